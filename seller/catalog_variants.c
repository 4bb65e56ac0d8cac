/*
 * catalog_variants.c - variants grouped by parent_item_id. See
 * catalog_variants.h.
 */
#include "catalog_variants.h"

#include "tags.h"

#include <stdio.h>
#include <string.h>

static int s_fail(ondc_err_t *err, const char *path, const char *msg, const char *a, const char *b)
{
    return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, path, "%s: %s%s%s", path,
                   msg, a ? a : "", b ? b : "");
}

/* s_group - category GID of PROV when it is a variant_group; NULL otherwise */
static json_t *s_group(json_t *prov, const char *gid)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(prov, "categories"), i, c)
    {
        const char *id = json_string_value(json_object_get(c, "id"));
        if (!id || !gid || strcmp(id, gid) != 0)
            continue;
        const char *type = tags_lookup(json_object_get(c, "tags"), "type", "type");
        return type && strcmp(type, "variant_group") == 0 ? c : NULL;
    }
    return NULL;
}

const char *catalog_variant_value(json_t *group, json_t *item, char *out, size_t cap)
{
    const char *attr = tags_lookup(json_object_get(group, "tags"), "attr", "name");
    if (!attr)
        return NULL;
    if (strcmp(attr, "item.quantity.unitized.measure") == 0) {
        json_t *m = json_object_get(
            json_object_get(json_object_get(item, "quantity"), "unitized"), "measure");
        const char *u = json_string_value(json_object_get(m, "unit"));
        const char *v = json_string_value(json_object_get(m, "value"));
        if (!u || !v)
            return NULL;
        snprintf(out, cap, "%s %s", v, u);
        return out;
    }
    if (strncmp(attr, "item.tags.attribute.", 20) != 0)
        return NULL;
    const char *v = tags_lookup(json_object_get(item, "tags"), "attribute", attr + 20);
    if (!v || !*v)
        return NULL;
    snprintf(out, cap, "%s", v);
    return out;
}

int catalog_variants_check(json_t *prov, const char *base, ondc_err_t *err)
{
    json_t *items = json_object_get(prov, "items");
    size_t i;
    json_t *it;
    char path[200];
    json_t *seen = json_object(); /* "{group}\x1f{value}" met so far */
    json_array_foreach(items, i, it)
    {
        json_t *parent = json_object_get(it, "parent_item_id");
        if (!parent)
            continue;
        if (!json_is_array(json_object_get(prov, "categories"))) {
            /* the root cause: the provider lists no categories at all */
            json_decref(seen);
            snprintf(path, sizeof path, "%s.categories", base);
            return s_fail(err, path, "is required (a variant's parent_item_id names its variant_group there)",
                          NULL, NULL);
        }
        snprintf(path, sizeof path, "%s.items[%zu].parent_item_id", base, i);
        const char *gid = json_string_value(parent);
        json_t *group = s_group(prov, gid);
        if (!group) {
            json_decref(seen);
            return s_fail(err, path, "must name one of the provider's variant_group categories",
                          gid ? " (not \"" : NULL, gid ? "\")" : NULL);
        }
        char mine[200];
        const char *attr = tags_lookup(json_object_get(group, "tags"), "attr", "name");
        snprintf(path, sizeof path, "%s.items[%zu].%s", base, i,
                 attr && strcmp(attr, "item.quantity.unitized.measure") == 0
                     ? "quantity.unitized.measure"
                     : "tags");
        if (!catalog_variant_value(group, it, mine, sizeof mine)) {
            json_decref(seen);
            return s_fail(err, path, "a variant needs its group's attribute ", attr ? attr : "?",
                          NULL);
        }
        /* variants of one group differ in its attribute: else a buyer
         * cannot tell them apart */
        char key[420];
        snprintf(key, sizeof key, "%s\x1f%s", gid, mine);
        if (json_object_get(seen, key)) {
            json_decref(seen);
            return s_fail(err, path, "variants of one group must differ in ", attr,
                          " (an earlier variant has the same value)");
        }
        json_object_set_new(seen, key, json_true());
    }
    json_decref(seen);
    return 0;
}
