/*
 * tags.c - look-up in Beckn tag groups. See tags.h.
 */
#include "tags.h"

#include <string.h>

const char *tags_code(const json_t *node)
{
    const char *c = json_string_value(json_object_get(node, "code"));
    if (c)
        return c;
    return json_string_value(json_object_get(json_object_get(node, "descriptor"), "code"));
}

json_t *tags_next(json_t *arr, const char *code, size_t *pos)
{
    size_t n = json_array_size(arr);
    for (size_t i = *pos; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        const char *c = tags_code(e);
        if (c && strcmp(c, code) == 0) {
            *pos = i + 1;
            return e;
        }
    }
    return NULL;
}

json_t *tags_find(json_t *arr, const char *code)
{
    size_t pos = 0;
    return tags_next(arr, code, &pos);
}

json_t *tags_list(const json_t *group)
{
    json_t *list = json_object_get(group, "list");
    return json_is_array(list) ? list : NULL;
}

const char *tags_value(json_t *list, const char *code)
{
    return json_string_value(json_object_get(tags_find(list, code), "value"));
}

const char *tags_lookup(json_t *tags, const char *group, const char *code)
{
    size_t pos = 0;
    json_t *g;
    while ((g = tags_next(tags, group, &pos)) != NULL) {
        json_t *e = tags_find(tags_list(g), code);
        if (e)
            return json_string_value(json_object_get(e, "value"));
    }
    return NULL;
}
