/*
 * test_jparse.c - jparse accepts exactly what json_loadb accepts and builds
 * the same tree (same compact text, key order, integer/real types and
 * 17-digit reals), with and without JSON_REJECT_DUPLICATES.
 *
 * Tried: the fixtures; a table of edge inputs (every escape, surrogate pairs
 * and lone halves, \u0000, raw control characters and NUL bytes, overlong
 * and surrogate UTF-8, bytes past U+10FFFF, truncated sequences, integers at
 * and past the 64-bit limits, reals that overflow and underflow, leading
 * zeros, lone '-', "1.", ".5", "1e", trailing commas, missing colons,
 * unquoted and single-quoted keys, duplicate keys, top-level scalars, empty
 * and all-white input, trailing garbage, nesting at and past 2,048 levels,
 * long keys and strings with escapes); 50,000 random mutations of the
 * fixtures (flipped, inserted, deleted and repeated bytes); 20,000 random
 * documents made of JSON's pieces and near-misses. JPARSE_ITER scales the
 * random parts. Also: the error says where (line and column), and a NULL
 * buffer is an empty one. The one difference allowed: json_loadb drops a
 * NUL byte right after a number or literal ("[1\0]" is [1] to it); jparse
 * refuses it, and the test checks that the NUL was all that differed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jparse.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint32_t s_rand(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 11);
}

static long s_iter(long dflt)
{
    const char *e = getenv("JPARSE_ITER");
    return e && atol(e) > 0 ? dflt * atol(e) / 10 : dflt;
}

static char *s_dump(const json_t *v, size_t *n)
{
    size_t f = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);
    *n = json_dumpb(v, NULL, 0, f);
    char *b = malloc(*n + 1);
    assert_non_null(b);
    assert_int_equal(json_dumpb(v, b, *n, f), *n);
    return b;
}

static void s_show(const char *buf, size_t len)
{
    fprintf(stderr, "input (%zu bytes): ", len);
    for (size_t i = 0; i < len && i < 400; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c >= 0x20 && c < 0x7F && c != '\\')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fputc('\n', stderr);
}

/* s_same - jparse and json_loadb agree on BUF; returns 1 if it parsed */
static int s_same_flags(const char *buf, size_t len, size_t flags)
{
    json_error_t ea, eb;
    json_t *a = json_loadb(buf, len, flags, &ea);
    json_t *b = jparse(buf, len, flags, &eb);
    if (a && !b && memchr(buf, '\0', len)) {
        /* the one difference: json_loadb drops a NUL byte that directly
         * follows a number or a literal (its stream mistakes the byte it
         * puts back for an empty slot); jparse refuses every NUL byte
         * outside a string, as RFC 8259 does. Check that this is all it
         * was: without its NUL bytes the text is the same tree. */
        char *c = malloc(len ? len : 1);
        assert_non_null(c);
        size_t m = 0;
        for (size_t i = 0; i < len; i++)
            if (buf[i] != '\0')
                c[m++] = buf[i];
        json_t *a2 = json_loadb(c, m, flags, NULL);
        free(c);
        if (!a2 || !json_equal(a, a2)) {
            s_show(buf, len);
            fail_msg("json_loadb accepts, jparse refuses (%s), not for a dropped NUL", eb.text);
        }
        json_decref(a2);
        json_decref(a);
        return 0;
    }
    if (!a != !b) {
        s_show(buf, len);
        fail_msg("flags %zx: json_loadb %s (%s), jparse %s (%s)", flags, a ? "accepts" : "refuses",
                 a ? "" : ea.text, b ? "accepts" : "refuses", b ? "" : eb.text);
    }
    int ok = a != NULL;
    if (a) {
        size_t na, nb;
        char *da = s_dump(a, &na), *db = s_dump(b, &nb);
        if (na != nb || memcmp(da, db, na) != 0 || !json_equal(a, b)) {
            s_show(buf, len);
            fail_msg("trees differ:\n json_loadb %.*s\n jparse     %.*s", (int)na, da, (int)nb, db);
        }
        free(da);
        free(db);
    } else {
        assert_true(eb.text[0] != '\0');
        assert_true(eb.line >= 1);
    }
    json_decref(a);
    json_decref(b);
    return ok;
}

static int s_same(const char *buf, size_t len)
{
    int ok = s_same_flags(buf, len, 0);
    s_same_flags(buf, len, JSON_REJECT_DUPLICATES);
    s_same_flags(buf, len, JSON_DECODE_ANY);
    return ok;
}

static char *s_read(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static const char *g_files[] = {"seed-init-request.json", "seed-on_init-response.json",
                                "catalog-demo.json", "search-request.json", "signing-body.json"};

static void test_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof g_files / sizeof *g_files; i++) {
        size_t n;
        char *b = s_read(g_files[i], &n);
        assert_int_equal(s_same(b, n), 1);
        free(b);
    }
}

#define S(lit) (lit), sizeof(lit) - 1

static void test_edges(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
        int ok; /* what both must say with flags 0 */
    } t[] = {
        {S("{}"), 1},
        {S("[]"), 1},
        {S(" \t\r\n{ } \n"), 1},
        {S(""), 0},
        {S("   "), 0},
        {S("1"), 0}, /* a scalar at the top needs JSON_DECODE_ANY */
        {S("\"a\""), 0},
        {S("null"), 0},
        {S("{}x"), 0},
        {S("{} {}"), 0},
        {S("{}\0"), 0},
        {S("[\0]"), 0},
        {S("[1\0]"), 0}, /* json_loadb drops this NUL; jparse refuses it */
        {S("[true\0,1]"), 0},
        {S("{\"a\":1,}"), 0},
        {S("[1,]"), 0},
        {S("[,1]"), 0},
        {S("{\"a\" 1}"), 0},
        {S("{a:1}"), 0},
        {S("{'a':1}"), 0},
        {S("{\"a\":1"), 0},
        {S("[1"), 0},
        {S("[\"abc"), 0},
        {S("[\"a\\\"]"), 0},
        {S("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"), 1},
        {S("[\"\\x\"]"), 0},
        {S("[\"\\u00e9\\u20AC\\uFFFF\"]"), 1},
        {S("[\"\\ud83d\\ude00\"]"), 1},
        {S("[\"\\uD83D\"]"), 0},
        {S("[\"\\uD83Dx\"]"), 0},
        {S("[\"\\uD83D\\u0041\"]"), 0},
        {S("[\"\\uDE00\"]"), 0},
        {S("[\"\\u0000\"]"), 0},
        {S("{\"\\u0000\":1}"), 0},
        {S("[\"\\u12\"]"), 0},
        {S("[\"\\u12G4\"]"), 0},
        {S("[\"tab\there\"]"), 0},
        {S("[\"nl\nhere\"]"), 0},
        {S("[\"\x7f\"]"), 1},
        {S("[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]"), 1},
        {S("[\"\xc0\xaf\"]"), 0},             /* overlong '/' */
        {S("[\"\xe0\x80\xaf\"]"), 0},         /* overlong, 3 bytes */
        {S("[\"\xf0\x80\x80\xaf\"]"), 0},     /* overlong, 4 bytes */
        {S("[\"\xed\xa0\x80\"]"), 0},         /* a surrogate in UTF-8 */
        {S("[\"\xf4\x90\x80\x80\"]"), 0},     /* past U+10FFFF */
        {S("[\"\xf5\x80\x80\x80\"]"), 0},
        {S("[\"\xc3\"]"), 0},                 /* cut short */
        {S("[\"\xe2\x82\"]"), 0},
        {S("[\"\x80\"]"), 0},
        {S("[\xc3\xa9]"), 0},
        {S("[0,-0,1,-1,123456789]"), 1},
        {S("[9223372036854775807,-9223372036854775808]"), 1},
        {S("[9223372036854775808]"), 0},
        {S("[-9223372036854775809]"), 0},
        {S("[0.5,-0.0,1e2,1E+2,1e-2,2.5e308]"), 0}, /* the last overflows */
        {S("[0.5,-0.0,1e2,1E+2,1e-2,1.7976931348623157e308]"), 1},
        {S("[1e-400,-1e-400,4.9e-324]"), 1},
        {S("[1e400]"), 0},
        {S("[-1e400]"), 0},
        {S("[01]"), 0},
        {S("[-01]"), 0},
        {S("[00]"), 0},
        {S("[-]"), 0},
        {S("[1.]"), 0},
        {S("[.5]"), 0},
        {S("[1e]"), 0},
        {S("[1e+]"), 0},
        {S("[+1]"), 0},
        {S("[1.5.2]"), 0},
        {S("[0x10]"), 0},
        {S("[12abc]"), 0},
        {S("[Infinity]"), 0},
        {S("[NaN]"), 0},
        {S("[true,false,null]"), 1},
        {S("[tru]"), 0},
        {S("[truex]"), 0},
        {S("[nul]"), 0},
        {S("[True]"), 0},
        {S("{\"a\":1,\"b\":2,\"a\":3}"), 1}, /* the last value, the first place */
        {S("{\"a\":1,\"\\u0061\":2}"), 1},
        {S("{\"\":1}"), 1},
        {S("{\"a\":{\"a\":{\"a\":[]}}}"), 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        if (s_same(t[i].s, t[i].n) != t[i].ok) {
            s_show(t[i].s, t[i].n);
            fail_msg("case %zu: expected %s", i, t[i].ok ? "accepted" : "refused");
        }
    }
    /* duplicates: refused with the flag (s_same checked both agree) */
    json_error_t e;
    assert_null(jparse(S("{\"a\":1,\"a\":2}"), JSON_REJECT_DUPLICATES, &e));
    assert_non_null(strstr(e.text, "duplicate"));
    /* scalars with JSON_DECODE_ANY */
    json_t *v = jparse(S(" 42 "), JSON_DECODE_ANY, NULL);
    assert_true(json_is_integer(v) && json_integer_value(v) == 42);
    json_decref(v);
    /* a NULL buffer is empty: refused */
    assert_null(jparse(NULL, 0, 0, &e));
    /* a flag it does not know goes to json_loadb, which honours it */
    v = jparse(S("{} x"), JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(v);
    json_decref(v);
}

static void test_where(void **state)
{
    (void)state;
    json_error_t e;
    assert_null(jparse(S("{\n \"a\": 1,\n \"b\": tru\n}"), 0, &e));
    assert_int_equal(e.line, 3);
    assert_int_equal(e.column, 7);
    assert_int_equal(e.position, 17);
    assert_non_null(strstr(e.text, "invalid"));
}

static void test_depth(void **state)
{
    (void)state;
    size_t cap = 2 * 2100 + 8;
    char *b = malloc(cap);
    assert_non_null(b);
    const int depths[] = {1, 2, 100, 2047, 2048, 2049, 2100};
    for (size_t d = 0; d < sizeof depths / sizeof *depths; d++) {
        for (int inner = 0; inner < 2; inner++) { /* [[]] and [[1]] */
            size_t n = 0;
            for (int i = 0; i < depths[d]; i++)
                b[n++] = '[';
            if (inner)
                b[n++] = '1';
            for (int i = 0; i < depths[d]; i++)
                b[n++] = ']';
            int ok = s_same(b, n);
            /* a value deeper than 2,048 is refused, the 1 counting too */
            assert_int_equal(ok, depths[d] + inner <= JSON_PARSER_MAX_DEPTH);
        }
    }
    free(b);
}

static void test_long(void **state)
{
    (void)state;
    /* keys and strings longer than the parser's small buffers, with
     * escapes (they are unescaped into its scratch, which the next string
     * reuses) */
    size_t cap = 70000;
    char *b = malloc(cap);
    assert_non_null(b);
    size_t n = 0;
    n += (size_t)sprintf(b + n, "{");
    for (int k = 0; k < 3; k++) {
        b[n++] = '"';
        for (int i = 0; i < 300 * (k + 1); i++)
            n += (size_t)sprintf(b + n, i % 7 ? "k%d" : "\\u00e9%d", k);
        n += (size_t)sprintf(b + n, "\":\"");
        for (int i = 0; i < 4000; i++)
            n += (size_t)sprintf(b + n, i % 5 ? "v" : "\\n\\ud83d\\ude00");
        n += (size_t)sprintf(b + n, "\",");
    }
    n += (size_t)sprintf(b + n, "\"n\":");
    for (int i = 0; i < 100; i++)
        b[n++] = (char)('1' + i % 9);
    n += (size_t)sprintf(b + n, ".5}");
    assert_true(n < cap);
    assert_int_equal(s_same(b, n), 1);
    free(b);
}

static void test_mutations(void **state)
{
    (void)state;
    static const char alpha[] = "{}[]:,\"\\ \n\t0123456789-+.eEtrufalsn/u\x7f\xc3\xa9\xed\xa0\x80\xf4";
    long per = s_iter(10000);
    long accepted = 0, total = 0;
    for (size_t f = 0; f < sizeof g_files / sizeof *g_files; f++) {
        size_t n0;
        char *orig = s_read(g_files[f], &n0);
        if (n0 > 8000)
            n0 = 8000; /* a cut catalog: mostly refused, still compared */
        char *b = malloc(n0 * 2 + 64);
        assert_non_null(b);
        for (long it = 0; it < per; it++) {
            size_t n = n0;
            memcpy(b, orig, n);
            int edits = 1 + (int)(s_rand() % 3);
            for (int e = 0; e < edits; e++) {
                if (n == 0)
                    break;
                size_t at = s_rand() % n;
                switch (s_rand() % 5) {
                case 0: /* replace with a JSON-ish byte */
                    b[at] = alpha[s_rand() % (sizeof alpha - 1)];
                    break;
                case 1: /* any byte */
                    b[at] = (char)(s_rand() & 0xFF);
                    break;
                case 2: /* insert */
                    memmove(b + at + 1, b + at, n - at);
                    b[at] = alpha[s_rand() % (sizeof alpha - 1)];
                    n++;
                    break;
                case 3: /* delete */
                    memmove(b + at, b + at + 1, n - at - 1);
                    n--;
                    break;
                default: { /* repeat a short slice (makes duplicate keys) */
                    size_t len = 1 + s_rand() % 24;
                    if (at + len > n || n + len > n0 * 2 + 32)
                        break;
                    memmove(b + at + len, b + at, n - at);
                    n += len;
                    break;
                }
                }
            }
            accepted += s_same(b, n);
            total++;
        }
        free(b);
        free(orig);
    }
    /* both sides were exercised */
    assert_true(accepted > total / 50);
    assert_true(accepted < total);
}

/* s_gen - a random document of JSON's pieces, some of them slightly wrong */
static void s_gen(char *b, size_t *n, size_t cap, int depth)
{
    if (*n + 64 > cap)
        return;
    unsigned r = s_rand() % 100;
    if (r < 3) { /* noise */
        static const char *bad[] = {",", "]", "}", ":", "\"", "\\", "01", "-", "1.", "\xff", " "};
        const char *s = bad[s_rand() % (sizeof bad / sizeof *bad)];
        *n += (size_t)snprintf(b + *n, cap - *n, "%s", s);
        return;
    }
    if (depth < 6 && r < 25) {
        int obj = s_rand() & 1, k = (int)(s_rand() % 5);
        b[(*n)++] = obj ? '{' : '[';
        for (int i = 0; i < k && *n + 64 < cap; i++) {
            if (i)
                b[(*n)++] = ',';
            if (s_rand() % 8 == 0)
                b[(*n)++] = ' ';
            if (obj) {
                /* few distinct keys, so duplicates happen */
                static const char *keys[] = {"\"a\"", "\"b\"", "\"\\u0061\"", "\"\"", "\"k\\n\""};
                *n += (size_t)snprintf(b + *n, cap - *n, "%s:", keys[s_rand() % 5]);
            }
            s_gen(b, n, cap, depth + 1);
        }
        b[(*n)++] = obj ? '}' : ']';
        return;
    }
    switch (s_rand() % 4) {
    case 0: { /* a number */
        static const char *nums[] = {"0",    "-0",       "1",        "-12",    "3.25",
                                     "1e10", "-2.5E-3",  "1e309",    "1e-320", "9223372036854775807",
                                     "9223372036854775808", "0.1e1", "123456789012345678901234"};
        *n += (size_t)snprintf(b + *n, cap - *n, "%s", nums[s_rand() % 13]);
        break;
    }
    case 1: { /* a string with escapes and UTF-8, right and wrong */
        static const char *parts[] = {"a",         "\\n",     "\\\"",         "\\u00e9",   "\\ud83d\\ude00",
                                      "\\ud83d",   "\\ude00", "\\u0000",      "\xc3\xa9",  "\xed\xa0\x80",
                                      "\xf0\x9f\x98\x80", "\xc0\xaf", "\\/", "\x01", "\\uABCD", " "};
        b[(*n)++] = '"';
        int k = (int)(s_rand() % 6);
        for (int i = 0; i < k; i++)
            *n += (size_t)snprintf(b + *n, cap - *n, "%s", parts[s_rand() % 16]);
        b[(*n)++] = '"';
        break;
    }
    case 2: {
        static const char *lits[] = {"true", "false", "null", "nul", "truee"};
        *n += (size_t)snprintf(b + *n, cap - *n, "%s", lits[s_rand() % 5]);
        break;
    }
    default:
        *n += (size_t)snprintf(b + *n, cap - *n, "\"%u\"", s_rand() % 1000);
        break;
    }
}

static void test_generated(void **state)
{
    (void)state;
    char b[8192];
    long count = s_iter(20000), accepted = 0;
    for (long it = 0; it < count; it++) {
        size_t n = 0;
        b[n++] = (s_rand() & 1) ? '[' : '{';
        if (b[0] == '{')
            n += (size_t)snprintf(b + n, sizeof b - n, "\"x\":");
        s_gen(b, &n, sizeof b - 8, 0);
        b[n++] = b[0] == '[' ? ']' : '}';
        accepted += s_same(b, n);
    }
    assert_true(accepted > count / 20);
    assert_true(accepted < count);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),  cmocka_unit_test(test_edges),
        cmocka_unit_test(test_where),     cmocka_unit_test(test_depth),
        cmocka_unit_test(test_long),      cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_generated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
