/*
 * jparse.c - JSON text to jansson values in one pass. See jparse.h.
 *
 * A recursive descent over the buffer. Each value's depth is counted as
 * json_loadb counts it (the top level is 1; a value deeper than
 * JSON_PARSER_MAX_DEPTH is refused), so the recursion is bounded.
 */
#include "jparse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *s, *p, *e;
    size_t flags;
    json_error_t *err;
    char *scratch; /* unescaped strings */
    size_t scap;
} jp_t;

static int s_fail(jp_t *j, const unsigned char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* s_fail - ERR says FMT at AT (line and column counted from the start) */
static int s_fail(jp_t *j, const unsigned char *at, const char *fmt, ...)
{
    if (!j->err)
        return -1;
    json_error_t *e = j->err;
    if (at > j->e)
        at = j->e;
    int line = 1, col = 0;
    for (const unsigned char *q = j->s; q < at; q++) {
        if (*q == '\n') {
            line++;
            col = 0;
        } else if (*q < 0x80 || *q >= 0xC0) {
            col++; /* a character, not a byte of one */
        }
    }
    e->line = line;
    e->column = col + 1; /* of the offending character, from 1 */
    e->position = (int)(at - j->s);
    snprintf(e->source, sizeof e->source, "%s", "<buffer>");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    return -1;
}

static void s_ws(jp_t *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

/* s_utf8 - length of the valid UTF-8 sequence at P (first byte >= 0x80), or
 * 0 if it is not one: no overlong form, no surrogate, nothing past U+10FFFF */
static size_t s_utf8(const unsigned char *p, const unsigned char *e)
{
    unsigned c = p[0];
    size_t n;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(e - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return n;
}

static int s_hex4(const unsigned char *p, const unsigned char *e, uint32_t *out)
{
    if (e - p < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    *out = v;
    return 0;
}

static char *s_put_utf8(char *o, uint32_t v)
{
    if (v < 0x80) {
        *o++ = (char)v;
    } else if (v < 0x800) {
        *o++ = (char)(0xC0 | (v >> 6));
        *o++ = (char)(0x80 | (v & 0x3F));
    } else if (v < 0x10000) {
        *o++ = (char)(0xE0 | (v >> 12));
        *o++ = (char)(0x80 | ((v >> 6) & 0x3F));
        *o++ = (char)(0x80 | (v & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (v >> 18));
        *o++ = (char)(0x80 | ((v >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((v >> 6) & 0x3F));
        *o++ = (char)(0x80 | (v & 0x3F));
    }
    return o;
}

/* s_string - the string whose opening quote J->p is at: *OUT and *LEN, from
 * the input itself when it has no escapes, else unescaped into scratch */
static int s_string(jp_t *j, const char **out, size_t *len)
{
    const unsigned char *start = ++j->p, *q = start;
    int esc = 0;
    for (;;) {
        /* plain ASCII runs are the common case */
        while (q < j->e && *q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\')
            q++;
        if (q >= j->e)
            return s_fail(j, q, "premature end of input");
        unsigned c = *q;
        if (c == '"')
            break;
        if (c < 0x20)
            return s_fail(j, q, "control character 0x%x", c);
        if (c >= 0x80) {
            size_t n = s_utf8(q, j->e);
            if (!n)
                return s_fail(j, q, "unable to decode byte 0x%x", c);
            q += n;
            continue;
        }
        /* a backslash */
        esc = 1;
        if (q + 1 >= j->e)
            return s_fail(j, q, "premature end of input");
        unsigned x = q[1];
        if (x == 'u') {
            uint32_t v;
            if (s_hex4(q + 2, j->e, &v) < 0)
                return s_fail(j, q, "invalid escape");
            q += 6;
        } else if (x == '"' || x == '\\' || x == '/' || x == 'b' || x == 'f' || x == 'n' ||
                   x == 'r' || x == 't') {
            q += 2;
        } else {
            return s_fail(j, q, "invalid escape");
        }
    }
    j->p = q + 1;
    size_t n = (size_t)(q - start);
    if (!esc) {
        *out = (const char *)start;
        *len = n;
        return 0;
    }
    /* unescaping never lengthens: \uXXXX is 6 bytes for at most 3, a pair
     * 12 for 4 */
    if (n > j->scap || !j->scratch) {
        char *b = realloc(j->scratch, n + 1);
        if (!b)
            return s_fail(j, start, "out of memory");
        j->scratch = b;
        j->scap = n + 1;
    }
    char *o = j->scratch;
    for (const unsigned char *r = start; r < q;) {
        if (*r != '\\') {
            *o++ = (char)*r++;
            continue;
        }
        unsigned x = r[1];
        if (x != 'u') {
            *o++ = x == 'b' ? '\b' : x == 'f' ? '\f' : x == 'n' ? '\n' : x == 'r' ? '\r'
                 : x == 't' ? '\t' : (char)x;
            r += 2;
            continue;
        }
        uint32_t v;
        s_hex4(r + 2, q, &v);
        if (v >= 0xD800 && v <= 0xDBFF) {
            uint32_t lo;
            if (q - (r + 6) >= 6 && r[6] == '\\' && r[7] == 'u' && s_hex4(r + 8, q, &lo) == 0) {
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return s_fail(j, r, "invalid Unicode '\\u%04X\\u%04X'", (unsigned)v,
                                  (unsigned)lo);
                v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                r += 6;
            } else {
                return s_fail(j, r, "invalid Unicode '\\u%04X'", (unsigned)v);
            }
        } else if (v >= 0xDC00 && v <= 0xDFFF) {
            return s_fail(j, r, "invalid Unicode '\\u%04X'", (unsigned)v);
        } else if (v == 0) {
            return s_fail(j, r, "\\u0000 is not allowed without JSON_ALLOW_NUL");
        }
        o = s_put_utf8(o, v);
        r += 6;
    }
    *out = j->scratch;
    *len = (size_t)(o - j->scratch);
    return 0;
}

static int s_digit(const jp_t *j, const unsigned char *q)
{
    return q < j->e && *q >= '0' && *q <= '9';
}

static json_t *s_number(jp_t *j)
{
    const unsigned char *start = j->p, *q = j->p;
    if (*q == '-')
        q++;
    if (!s_digit(j, q)) {
        s_fail(j, start, "invalid token");
        return NULL;
    }
    if (*q == '0') {
        q++;
        if (s_digit(j, q)) {
            s_fail(j, start, "invalid token");
            return NULL;
        }
    } else {
        while (s_digit(j, q))
            q++;
    }
    int real = 0;
    if (q < j->e && *q == '.') {
        q++;
        if (!s_digit(j, q)) {
            s_fail(j, start, "invalid token");
            return NULL;
        }
        while (s_digit(j, q))
            q++;
        real = 1;
    }
    if (q < j->e && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < j->e && (*q == '+' || *q == '-'))
            q++;
        if (!s_digit(j, q)) {
            s_fail(j, start, "invalid token");
            return NULL;
        }
        while (s_digit(j, q))
            q++;
        real = 1;
    }
    size_t n = (size_t)(q - start);
    char small[64];
    char *text = n < sizeof small ? small : malloc(n + 1);
    if (!text) {
        s_fail(j, start, "out of memory");
        return NULL;
    }
    memcpy(text, start, n);
    text[n] = '\0';
    json_t *v = NULL;
    errno = 0;
    if (!real) {
        long long i = strtoll(text, NULL, 10);
        if (errno == ERANGE)
            s_fail(j, start, i < 0 ? "too big negative integer" : "too big integer");
        else if (!(v = json_integer((json_int_t)i)))
            s_fail(j, start, "out of memory");
    } else {
        double d = strtod(text, NULL);
        if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
            s_fail(j, start, "real number overflow");
        else if (!(v = json_real(d)))
            s_fail(j, start, "out of memory");
    }
    if (text != small)
        free(text);
    if (v)
        j->p = q;
    return v;
}

static int s_word(jp_t *j, const char *w, size_t n)
{
    if ((size_t)(j->e - j->p) < n || memcmp(j->p, w, n) != 0)
        return -1;
    j->p += n;
    return 0;
}

static json_t *s_value(jp_t *j, int depth);

/* s_next - after a member of a container that CLOSE ends: 1 if a ',' says
 * another follows, 0 if CLOSE ends it here, -1 (ERR set) otherwise */
static int s_next(jp_t *j, unsigned char close)
{
    s_ws(j);
    if (j->p < j->e && *j->p == ',') {
        j->p++;
        s_ws(j);
        return 1;
    }
    if (j->p < j->e && *j->p == close) {
        j->p++;
        return 0;
    }
    return s_fail(j, j->p, close == '}' ? "'}' expected" : "']' expected");
}

/* s_open - V (NULL: out of memory) is the container whose opening bracket
 * J->p is at: step past it; 1 if CLOSE follows at once (empty), 0 if
 * members follow, -1 (ERR set) on no memory */
static int s_open(jp_t *j, const json_t *v, unsigned char close)
{
    if (!v)
        return s_fail(j, j->p, "out of memory");
    j->p++;
    s_ws(j);
    if (j->p < j->e && *j->p == close) {
        j->p++;
        return 1;
    }
    return 0;
}

static json_t *s_object(jp_t *j, int depth)
{
    json_t *o = json_object();
    int empty = s_open(j, o, '}');
    if (empty != 0) {
        if (empty < 0)
            return NULL;
        return o;
    }
    for (;;) {
        if (j->p >= j->e || *j->p != '"') {
            s_fail(j, j->p, "string or '}' expected");
            goto bad;
        }
        const char *k = NULL;
        size_t klen = 0;
        if (s_string(j, &k, &klen) < 0)
            goto bad;
        /* a key with escapes is in scratch, which the value may reuse */
        char kbuf[128], *kheap = NULL;
        const char *key = k;
        if (j->scratch && k == j->scratch) {
            char *c = klen < sizeof kbuf ? kbuf : (kheap = malloc(klen));
            if (!c) {
                s_fail(j, j->p, "out of memory");
                goto bad;
            }
            memcpy(c, k, klen);
            key = c;
        }
        if ((j->flags & JSON_REJECT_DUPLICATES) && json_object_getn(o, key, klen)) {
            s_fail(j, j->p, "duplicate object key");
            free(kheap);
            goto bad;
        }
        s_ws(j);
        if (j->p >= j->e || *j->p != ':') {
            s_fail(j, j->p, "':' expected");
            free(kheap);
            goto bad;
        }
        j->p++;
        s_ws(j);
        json_t *v = s_value(j, depth + 1);
        if (!v) {
            free(kheap);
            goto bad;
        }
        int rc = json_object_setn_new_nocheck(o, key, klen, v);
        free(kheap);
        if (rc != 0) {
            s_fail(j, j->p, "out of memory");
            goto bad;
        }
        int more = s_next(j, '}');
        if (more == 0)
            return o;
        if (more < 0)
            goto bad;
    }
bad:
    json_decref(o);
    return NULL;
}

static json_t *s_array(jp_t *j, int depth)
{
    json_t *a = json_array();
    int empty = s_open(j, a, ']');
    if (empty != 0) {
        if (empty < 0)
            return NULL;
        return a;
    }
    for (;;) {
        json_t *v = s_value(j, depth + 1);
        if (!v)
            goto bad;
        if (json_array_append_new(a, v) != 0) {
            s_fail(j, j->p, "out of memory");
            goto bad;
        }
        int more = s_next(j, ']');
        if (more == 0)
            return a;
        if (more < 0)
            goto bad;
    }
bad:
    json_decref(a);
    return NULL;
}

/* s_value - the value at J->p (white space before it already skipped) */
static json_t *s_value(jp_t *j, int depth)
{
    if (depth > JSON_PARSER_MAX_DEPTH) {
        s_fail(j, j->p, "maximum parsing depth reached");
        return NULL;
    }
    if (j->p >= j->e) {
        s_fail(j, j->p, "unexpected end of input");
        return NULL;
    }
    json_t *v = NULL;
    switch (*j->p) {
    case '{':
        return s_object(j, depth);
    case '[':
        return s_array(j, depth);
    case '"': {
        const char *s = NULL;
        size_t n = 0;
        if (s_string(j, &s, &n) < 0)
            return NULL;
        if (!(v = json_stringn_nocheck(s, n)))
            s_fail(j, j->p, "out of memory");
        return v;
    }
    case 't':
        if (s_word(j, "true", 4) == 0)
            return json_true();
        break;
    case 'f':
        if (s_word(j, "false", 5) == 0)
            return json_false();
        break;
    case 'n':
        if (s_word(j, "null", 4) == 0)
            return json_null();
        break;
    default:
        if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
            return s_number(j);
        break;
    }
    s_fail(j, j->p, "invalid token");
    return NULL;
}

json_t *jparse(const char *buf, size_t len, size_t flags, json_error_t *err)
{
    if (flags & ~(size_t)(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY))
        return json_loadb(buf, len, flags, err);
    jp_t j = {.s = (const unsigned char *)buf, .flags = flags, .err = err};
    j.p = j.s;
    j.e = j.s + (buf ? len : 0);
    if (!buf)
        j.s = j.p = j.e = (const unsigned char *)"";
    s_ws(&j);
    json_t *v = NULL;
    if (!(flags & JSON_DECODE_ANY) && (j.p >= j.e || (*j.p != '{' && *j.p != '['))) {
        s_fail(&j, j.p, "'[' or '{' expected");
    } else if ((v = s_value(&j, 1))) {
        s_ws(&j);
        if (j.p < j.e) {
            s_fail(&j, j.p, "end of file expected");
            json_decref(v);
            v = NULL;
        }
    }
    free(j.scratch);
    return v;
}
