/*
 * jdump.h - compact JSON text of a jansson value, fast.
 *
 * The same text as json_dumpb(v, ..., JSON_COMPACT) - keys in the object's
 * order, strings escaped as jansson escapes them ("\"", "\\", control
 * characters as \b \f \n \r \t or \u00XX, everything else as is), integers
 * in decimal, reals as "%.17g" with ".0" added when that looks like an
 * integer and the exponent without "+" or leading zeros - without what
 * makes json_dumpb slow on every call: a formatted pointer and a hash table
 * entry per object and array (its guard against cycles; a value with a
 * cycle is refused here by a depth limit instead) and a callback per token.
 */
#ifndef ONDC_JDUMP_H
#define ONDC_JDUMP_H

#include <jansson.h>
#include <stddef.h>

typedef struct {
    char *buf; /* owned (malloc) */
    size_t len, cap;
} jdump_t;

/* jdump_append - append V's compact text to OUT (growing its buffer).
 * 0, or -1 (out of memory, a value nested deeper than 512, a real that is
 * not finite - as json_dumpb refuses); OUT->len is then unspecified. */
int jdump_append(jdump_t *out, const json_t *v);

/* jdump_bytes - append N bytes of S to OUT as they are (text made
 * elsewhere), growing its buffer. 0, or -1 out of memory. */
int jdump_bytes(jdump_t *out, const char *s, size_t n);

/* jdump_raw - a value that jdump_append writes as TEXT (LEN bytes of
 * JSON made elsewhere, not checked), to put text already made into a
 * larger value without parsing it again: an object whose one key is
 * JDUMP_RAW_KEY, its value the text as a string (json_dumpb would write
 * that object, not the text). Caller owns; NULL when out of memory. */
#define JDUMP_RAW_KEY "\x01jdump-raw"
json_t *jdump_raw(const char *text, size_t len);

/* jdump_raw_text - the text of a jdump_raw value into *LEN (borrowed from
 * V); NULL when V is not one. */
const char *jdump_raw_text(const json_t *v, size_t *len);

/* jdump_free - free OUT's buffer. */
void jdump_free(jdump_t *out);

#endif
