/*
 * pack.h - the compressed form of the bodies the store keeps (journal
 * requests, outbox on_*): LZ4 over a preset dictionary of typical ONDC
 * text (pack_dict.c, dictionary 1).
 *
 * A journal request of 1.1 KB or an on_init of 2.4 KB alone gives LZ4 too
 * little to find repeats in (a third saved); with the dictionary to refer
 * to, most of its keys and many of its values are matches, and it shrinks
 * four to five times (the sizes: docs/performance.md, "Disk"). A body is
 * stored packed only when that saves an eighth or more, so the reader
 * learns from the row's version whether to expand it. A packed body
 * carries a check of its bytes: damage is an error, never a wrong body.
 *
 * Ownership: pack_body hands back a buffer the caller frees. Thread-safe
 * (the dictionary's prepared state is made once, each thread compresses in
 * a state of its own). No config keys.
 */
#ifndef ONDC_PACK_H
#define ONDC_PACK_H

#include <stddef.h>

/* bodies shorter than this are stored as they are */
#define PACK_MIN 256

extern const char pack_dict1[];
extern const size_t pack_dict1_len;

/* pack_body - SRC/LEN compressed with dictionary 1 into a new buffer
 * *OUT (caller frees) of *OUT_LEN bytes, when LEN >= PACK_MIN and that
 * saves an eighth or more: returns 1. Otherwise 0 (*OUT NULL: store SRC
 * as it is). */
int pack_body(const char *src, size_t len, char **out, size_t *out_len);

/* pack_expand - SRC/SRC_LEN (from pack_body) expanded into DST, which
 * must come out exactly DST_LEN bytes. 0, or -1 when SRC is not such a
 * body (corrupt: DST's contents are then undefined). */
int pack_expand(const char *src, size_t src_len, char *dst, size_t dst_len);

/* pack_dup - pack_expand into a new buffer of DST_LEN bytes (at least 1;
 * caller frees), or NULL (corrupt, or out of memory: *CORRUPT says which). */
char *pack_dup(const char *src, size_t src_len, size_t dst_len, int *corrupt);

#endif
