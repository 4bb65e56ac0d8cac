/*
 * pack.c - LZ4 with a preset dictionary for stored bodies. See pack.h.
 *
 * A packed body: u32 check (FNV-1a of what follows, host byte order) |
 * LZ4 block compressed against dictionary 1. LZ4 alone would expand a
 * damaged literal into a wrong body of the right length; the check turns
 * any damage to the stored bytes into an error.
 */
#include "pack.h"

#include <lz4.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* dictionary 1 loaded once; each compression starts from a copy of this
 * state (LZ4's documented way to reuse a dictionary: the copy refers to
 * the dictionary's bytes, which are static) */
static LZ4_stream_t s_dict_state;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static uint32_t s_check(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619u;
    }
    return h;
}

static void s_load(void)
{
    LZ4_initStream(&s_dict_state, sizeof s_dict_state);
    LZ4_loadDict(&s_dict_state, pack_dict1, (int)pack_dict1_len);
}

int pack_body(const char *src, size_t len, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (len < PACK_MIN || len > (size_t)LZ4_MAX_INPUT_SIZE)
        return 0;
    pthread_once(&s_once, s_load);
    static _Thread_local LZ4_stream_t work;
    int cap = LZ4_compressBound((int)len);
    char *buf = malloc(4 + (size_t)cap);
    if (!buf)
        return 0;
    memcpy(&work, &s_dict_state, sizeof work);
    int n = LZ4_compress_fast_continue(&work, src, buf + 4, (int)len, cap, 1);
    if (n <= 0 || 4 + (size_t)n > len - len / 8) {
        free(buf);
        return 0;
    }
    uint32_t check = s_check(buf + 4, (size_t)n);
    memcpy(buf, &check, 4);
    *out = buf;
    *out_len = 4 + (size_t)n;
    return 1;
}

int pack_expand(const char *src, size_t src_len, char *dst, size_t dst_len)
{
    if (src_len < 4 || src_len > (size_t)LZ4_MAX_INPUT_SIZE ||
        dst_len > (size_t)LZ4_MAX_INPUT_SIZE)
        return -1;
    uint32_t check;
    memcpy(&check, src, 4);
    if (check != s_check(src + 4, src_len - 4))
        return -1;
    int n = LZ4_decompress_safe_usingDict(src + 4, dst, (int)src_len - 4, (int)dst_len,
                                          pack_dict1, (int)pack_dict1_len);
    return n == (int)dst_len ? 0 : -1;
}

char *pack_dup(const char *src, size_t src_len, size_t dst_len, int *corrupt)
{
    *corrupt = 0;
    if (dst_len > (size_t)LZ4_MAX_INPUT_SIZE) {
        *corrupt = 1;
        return NULL;
    }
    char *dst = malloc(dst_len ? dst_len : 1);
    if (!dst)
        return NULL;
    if (pack_expand(src, src_len, dst, dst_len) != 0) {
        free(dst);
        *corrupt = 1;
        return NULL;
    }
    return dst;
}
