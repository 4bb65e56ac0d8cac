/*
 * fuzz_jparse.c - jparse against json_loadb on the same bytes, with and
 * without JSON_REJECT_DUPLICATES: both refuse, or both accept and give the
 * same compact text (key order, types, 17-digit reals). The one difference
 * allowed (jparse.h): json_loadb drops a NUL byte right after a number or
 * literal, so when only it accepts, the input must hold a NUL and give the
 * same tree without its NUL bytes.
 */
#include "jparse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *s_dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
}

static void s_one(const char *buf, size_t len, size_t flags)
{
    json_t *a = json_loadb(buf, len, flags, NULL);
    json_t *b = jparse(buf, len, flags, NULL);
    if (a && !b) {
        if (!memchr(buf, '\0', len))
            abort();
        char *c = malloc(len);
        size_t m = 0;
        for (size_t i = 0; i < len; i++)
            if (buf[i] != '\0')
                c[m++] = buf[i];
        json_t *a2 = json_loadb(c, m, flags, NULL);
        free(c);
        if (!a2 || !json_equal(a, a2))
            abort();
        json_decref(a2);
    } else if (!a != !b) {
        abort();
    } else if (a) {
        char *da = s_dump(a), *db = s_dump(b);
        if (!da || !db || strcmp(da, db) != 0)
            abort();
        free(da);
        free(db);
    }
    json_decref(a);
    json_decref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_one((const char *)data, size, 0);
    s_one((const char *)data, size, JSON_REJECT_DUPLICATES);
    s_one((const char *)data, size, JSON_DECODE_ANY);
    return 0;
}
