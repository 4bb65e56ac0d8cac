/*
 * err.c - filling and naming ONDC errors. See err.h.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *s_type_names[] = {
    [ERR_TYPE_NONE] = "",
    [ERR_TYPE_CONTEXT] = "CONTEXT-ERROR",
    [ERR_TYPE_CORE] = "CORE-ERROR",
    [ERR_TYPE_DOMAIN] = "DOMAIN-ERROR",
    [ERR_TYPE_POLICY] = "POLICY-ERROR",
    [ERR_TYPE_JSON_SCHEMA] = "JSON-SCHEMA-ERROR",
};

int err_set(ondc_err_t *err, err_type_t type, int http_status, const char *code,
            const char *path, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->type = type;
    err->http_status = http_status;
    snprintf(err->code, sizeof err->code, "%s", code ? code : "");
    snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

int err_field(ondc_err_t *err, const char *path, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, path, "%s: %s", path, msg);
}

void err_clear(ondc_err_t *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

const char *err_type_name(err_type_t type)
{
    if ((unsigned)type >= sizeof s_type_names / sizeof s_type_names[0])
        return "";
    return s_type_names[type];
}

err_type_t err_type_parse(const char *name)
{
    for (size_t i = 1; name && i < sizeof s_type_names / sizeof s_type_names[0]; i++)
        if (strcmp(name, s_type_names[i]) == 0)
            return (err_type_t)i;
    return ERR_TYPE_NONE;
}
