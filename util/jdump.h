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

/* jdump_free - free OUT's buffer. */
void jdump_free(jdump_t *out);

#endif
