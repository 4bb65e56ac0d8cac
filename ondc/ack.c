/*
 * ack.c - ACK/NACK bodies. See ack.h.
 */
#include "ack.h"

#include "jarena.h"
#include "jparse.h"

#include <string.h>

json_t *ack_error_object(const ondc_err_t *err)
{
    json_t *e = json_object();
    json_object_set_new(e, "type", json_string(err_type_name(err->type)));
    json_object_set_new(e, "code", json_string(err->code));
    if (err->path[0])
        json_object_set_new(e, "path", json_string(err->path));
    /* jansson refuses invalid UTF-8; messages may quote buyer input */
    json_t *m = json_string(err->message);
    json_object_set_new(e, "message", m ? m : json_string("invalid request"));
    return e;
}

char *ack_nack_body(const ondc_err_t *err)
{
    json_t *root = json_pack("{s:{s:{s:s}}}", "message", "ack", "status", "NACK");
    json_object_set_new(root, "error", ack_error_object(err));
    char *s = jarena_dumps(root, JSON_COMPACT);
    json_decref(root);
    return s;
}

int ack_parse(const char *body, size_t len)
{
    json_t *root = jparse(body, len, 0, NULL);
    if (!root)
        return -1;
    json_t *st = json_object_get(json_object_get(json_object_get(root, "message"), "ack"), "status");
    int rc = -1;
    if (json_is_string(st))
        rc = strcmp(json_string_value(st), "ACK") == 0 ? 1
             : strcmp(json_string_value(st), "NACK") == 0 ? 0 : -1;
    json_decref(root);
    return rc;
}
