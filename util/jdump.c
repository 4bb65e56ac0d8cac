/*
 * jdump.c - compact JSON text of a jansson value. See jdump.h.
 */
#include "jdump.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512

static int s_grow(jdump_t *o, size_t more)
{
    if (o->len + more <= o->cap)
        return 0;
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < o->len + more)
        cap *= 2;
    char *b = realloc(o->buf, cap);
    if (!b)
        return -1;
    o->buf = b;
    o->cap = cap;
    return 0;
}

int jdump_bytes(jdump_t *out, const char *s, size_t n)
{
    if (s_grow(out, n) < 0)
        return -1;
    memcpy(out->buf + out->len, s, n);
    out->len += n;
    return 0;
}

/* s_string - S (N bytes) quoted and escaped as jansson does */
static int s_string(jdump_t *o, const char *s, size_t n)
{
    /* the worst case, every byte as \u00XX */
    if (s_grow(o, n * 6 + 2) < 0)
        return -1;
    char *p = o->buf + o->len;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *p++ = (char)c;
            continue;
        }
        *p++ = '\\';
        switch (c) {
        case '"':
            *p++ = '"';
            break;
        case '\\':
            *p++ = '\\';
            break;
        case '\b':
            *p++ = 'b';
            break;
        case '\f':
            *p++ = 'f';
            break;
        case '\n':
            *p++ = 'n';
            break;
        case '\r':
            *p++ = 'r';
            break;
        case '\t':
            *p++ = 't';
            break;
        default: {
            static const char hex[] = "0123456789ABCDEF";
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
        }
    }
    *p++ = '"';
    o->len = (size_t)(p - o->buf);
    return 0;
}

static int s_integer(jdump_t *o, json_int_t v)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *p = e;
    /* the magnitude as unsigned, so that the most negative value works */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return jdump_bytes(o, p, (size_t)(e - p));
}

static int s_real(jdump_t *o, double v)
{
    if (!isfinite(v))
        return -1;
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "%.17g", v);
    if (n <= 0 || (size_t)n >= sizeof tmp - 3)
        return -1;
    /* a locale's decimal comma, as jansson undoes it */
    for (int i = 0; i < n; i++)
        if (tmp[i] == ',')
            tmp[i] = '.';
    char *e = strchr(tmp, 'e');
    if (e) {
        /* as jansson writes an exponent: no '+', no leading zeros */
        char *q = e + 1, *w = e + 1;
        if (*q == '-')
            *w++ = *q++;
        else if (*q == '+')
            q++;
        while (*q == '0' && q[1])
            q++;
        while (*q)
            *w++ = *q++;
        *w = '\0';
        n = (int)(w - tmp);
    } else if (!strchr(tmp, '.')) {
        tmp[n++] = '.';
        tmp[n++] = '0';
    }
    return jdump_bytes(o, tmp, (size_t)n);
}

static int s_value(jdump_t *o, const json_t *v, int depth)
{
    if (depth > MAX_DEPTH)
        return -1;
    switch (json_typeof(v)) {
    case JSON_NULL:
        return jdump_bytes(o, "null", 4);
    case JSON_TRUE:
        return jdump_bytes(o, "true", 4);
    case JSON_FALSE:
        return jdump_bytes(o, "false", 5);
    case JSON_INTEGER:
        return s_integer(o, json_integer_value(v));
    case JSON_REAL:
        return s_real(o, json_real_value(v));
    case JSON_STRING:
        return s_string(o, json_string_value(v), json_string_length(v));
    case JSON_ARRAY: {
        if (jdump_bytes(o, "[", 1) < 0)
            return -1;
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if ((i && jdump_bytes(o, ",", 1) < 0) || s_value(o, json_array_get(v, i), depth + 1) < 0)
                return -1;
        }
        return jdump_bytes(o, "]", 1);
    }
    case JSON_OBJECT: {
        if (json_object_size(v) == 1) {
            /* a text made elsewhere (jdump_raw): written as it is */
            void *it = json_object_iter((json_t *)v);
            if (json_object_iter_key_len(it) == sizeof JDUMP_RAW_KEY - 1 &&
                memcmp(json_object_iter_key(it), JDUMP_RAW_KEY, sizeof JDUMP_RAW_KEY - 1) == 0) {
                json_t *t = json_object_iter_value(it);
                return jdump_bytes(o, json_string_value(t), json_string_length(t));
            }
        }
        if (jdump_bytes(o, "{", 1) < 0)
            return -1;
        int first = 1;
        const char *key;
        size_t klen;
        json_t *val;
        /* json_object_keylen_foreach: keys in insertion order, with their
         * length (a key may hold a NUL) */
        void *it = json_object_iter((json_t *)v);
        for (; it; it = json_object_iter_next((json_t *)v, it)) {
            key = json_object_iter_key(it);
            klen = json_object_iter_key_len(it);
            val = json_object_iter_value(it);
            if ((!first && jdump_bytes(o, ",", 1) < 0) || s_string(o, key, klen) < 0 ||
                jdump_bytes(o, ":", 1) < 0 || s_value(o, val, depth + 1) < 0)
                return -1;
            first = 0;
        }
        return jdump_bytes(o, "}", 1);
    }
    default:
        return -1;
    }
}

int jdump_append(jdump_t *out, const json_t *v)
{
    if (!v)
        return -1;
    return s_value(out, v, 0);
}

void jdump_free(jdump_t *out)
{
    free(out->buf);
    out->buf = NULL;
    out->len = out->cap = 0;
}

json_t *jdump_raw(const char *text, size_t len)
{
    json_t *o = json_object();
    json_t *t = json_stringn_nocheck(text, len);
    if (!o || !t || json_object_setn_new_nocheck(o, JDUMP_RAW_KEY, sizeof JDUMP_RAW_KEY - 1, t) < 0) {
        json_decref(o);
        json_decref(t);
        return NULL;
    }
    return o;
}

const char *jdump_raw_text(const json_t *v, size_t *len)
{
    if (!json_is_object(v) || json_object_size(v) != 1)
        return NULL;
    json_t *t = json_object_getn(v, JDUMP_RAW_KEY, sizeof JDUMP_RAW_KEY - 1);
    if (!json_is_string(t))
        return NULL;
    *len = json_string_length(t);
    return json_string_value(t);
}
