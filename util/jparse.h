/*
 * jparse.h - JSON text to jansson values, in one pass over the buffer.
 *
 * json_loadb reads its input a byte at a time through a stream and copies
 * every string and number into a growing buffer before it makes a value;
 * for a request body that is most of the parse. jparse walks the buffer
 * itself: a string without escapes becomes its value straight from the
 * input, a number is converted where it lies. The values are jansson's
 * (json_object, json_stringn_nocheck, ...), so the arena (jarena.h) and
 * everything that reads a tree work as before.
 *
 * It accepts exactly what json_loadb accepts, and builds the same tree:
 * RFC 8259 with strict UTF-8 (no overlong forms, no surrogates, nothing past
 * U+10FFFF), \u0000 refused, an integer that does not fit json_int_t
 * refused, a real that overflows refused, nesting deeper than
 * JSON_PARSER_MAX_DEPTH refused, a top level that is an object or an array
 * (unless JSON_DECODE_ANY), nothing after it but white space; a repeated
 * key keeps its first place and takes the last value, or is refused with
 * JSON_REJECT_DUPLICATES. tests/unit/test_jparse.c and
 * tests/fuzz/fuzz_jparse.c hold it to json_loadb on the same inputs. The
 * one difference: a NUL byte outside a string is refused, where json_loadb
 * drops one that directly follows a number or a literal ("[1\0]" is [1] to
 * it: its stream takes the byte it put back for an empty slot).
 * Reals are read with strtod, so the process must keep the "C" numeric
 * locale (the daemons never call setlocale).
 *
 * Only the flags JSON_REJECT_DUPLICATES and JSON_DECODE_ANY are understood;
 * any other flag makes it call json_loadb instead.
 */
#ifndef ONDC_JPARSE_H
#define ONDC_JPARSE_H

#include <jansson.h>
#include <stddef.h>

/* jparse - the value BUF (LEN bytes, need not be NUL-terminated) holds, or
 * NULL with ERR (if not NULL) saying why and where, as json_loadb does. */
json_t *jparse(const char *buf, size_t len, size_t flags, json_error_t *err);

#endif
