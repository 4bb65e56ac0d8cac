/*
 * test_jdump.c - jdump.{c,h} writes byte for byte what
 * json_dumpb(..., JSON_COMPACT) writes: the fixtures (seed init, on_init,
 * catalog), every control character and escape, non-ASCII text, keys that
 * need escaping or hold a NUL, integer and real edge values, empty and deep
 * containers, and 2,000 random trees; appending to a buffer that already
 * holds text. Bad input tried: NULL and nesting past the depth limit (each
 * refused with -1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdump.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif

/* s_same - jdump of V equals json_dumpb's compact text */
static void s_same(const json_t *v)
{
    size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_true(n > 0);
    char *want = malloc(n ? n : 1);
    assert_non_null(want);
    assert_int_equal(json_dumpb(v, want, n, JSON_COMPACT | JSON_ENCODE_ANY), n);
    jdump_t d = {0};
    assert_int_equal(jdump_append(&d, v), 0);
    if (d.len != n || memcmp(d.buf, want, n) != 0)
        fail_msg("jdump differs:\n want %.*s\n got  %.*s", (int)n, want, (int)d.len, d.buf);
    jdump_free(&d);
    free(want);
}

static void test_fixtures(void **state)
{
    (void)state;
    const char *files[] = {"seed-init-request.json", "seed-on_init-response.json",
                           "catalog-demo.json", "search-request.json", "signing-body.json"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", FIXTURES, files[i]);
        json_error_t e;
        json_t *v = json_load_file(path, 0, &e);
        if (!v)
            fail_msg("%s: %s", path, e.text);
        s_same(v);
        json_decref(v);
    }
}

static void test_escapes_and_text(void **state)
{
    (void)state;
    char all[64];
    for (int c = 1; c < 0x20; c++)
        all[c - 1] = (char)c;
    static const char tail[4] = "\"\\/\x7f";
    memcpy(all + 31, tail, sizeof tail);
    json_t *o = json_object();
    json_object_set_new(o, "controls", json_stringn(all, 35));
    json_object_set_new(o, "nul", json_stringn("a\0b", 3));
    json_object_set_new(
        o, "unicode",
        json_string(
            "Butter milk \xc3\xa9t\xc3\xa9 \xe0\xa4\xa6\xe0\xa5\x82\xe0\xa4\xa7 \xf0\x9f\x98\x80"));
    json_object_set_new(o, "key \"with\" \\ and \n", json_true());
    json_object_setn_new(o, "k\0nul", 5, json_false());
    json_object_set_new(o, "empty", json_string(""));
    s_same(o);
    json_decref(o);
}

static void test_numbers_and_containers(void **state)
{
    (void)state;
    json_t *a = json_array();
    json_int_t ints[] = {0, 1, -1, 9, 10, 99, 100, 123456789, -987654321, LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        json_array_append_new(a, json_integer(ints[i]));
    double reals[] = {0.0,  -0.0,          0.1,      1.5,  3.0,   -2.0, 1e300,
                      1e-7, 123456789.125, 2.5e-310, 1e21, 99.99, 147.0};
    for (size_t i = 0; i < sizeof reals / sizeof *reals; i++)
        json_array_append_new(a, json_real(reals[i]));
    json_array_append_new(a, json_null());
    json_array_append_new(a, json_object());
    json_array_append_new(a, json_array());
    json_t *deep = json_array();
    json_t *cur = deep;
    for (int i = 0; i < 100; i++) {
        json_t *next = json_object();
        json_array_append_new(cur, next);
        cur = json_array();
        json_object_set_new(next, "d", cur);
    }
    json_array_append_new(a, deep);
    s_same(a);
    json_decref(a);
}

static unsigned long s_rng = 12345;
static unsigned s_rand(void)
{
    s_rng = s_rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(s_rng >> 33);
}

static json_t *s_tree(int depth)
{
    unsigned k = s_rand() % (depth > 4 ? 6 : 8);
    switch (k) {
    case 0:
        return json_null();
    case 1:
        return json_boolean(s_rand() & 1);
    case 2:
        return json_integer((json_int_t)s_rand() - (json_int_t)(s_rand() % 100000) * 40000);
    case 3:
        return json_real((double)s_rand() / ((s_rand() % 1000) + 1));
    case 4:
    case 5: {
        char s[24];
        size_t n = s_rand() % sizeof s;
        for (size_t i = 0; i < n; i++) {
            unsigned c = s_rand() % 100;
            s[i] = (char)(c < 5 ? c + 1 : c < 8 ? '"' : c < 10 ? '\\' : 'a' + c % 26);
        }
        return json_stringn(s, n);
    }
    case 6: {
        json_t *a = json_array();
        for (unsigned i = s_rand() % 5; i > 0; i--)
            json_array_append_new(a, s_tree(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (unsigned i = s_rand() % 5; i > 0; i--) {
            char key[16];
            snprintf(key, sizeof key, "k%u%s", s_rand() % 50, (s_rand() & 7) ? "" : "\t\"");
            json_object_set_new(o, key, s_tree(depth + 1));
        }
        return o;
    }
    }
}

static void test_random_trees(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) {
        json_t *t = s_tree(0);
        s_same(t);
        json_decref(t);
    }
}

static void test_appends_and_refusals(void **state)
{
    (void)state;
    jdump_t d = {0};
    json_t *v = json_pack("{s:i}", "a", 1);
    assert_int_equal(jdump_append(&d, v), 0);
    assert_int_equal(jdump_append(&d, v), 0);
    assert_int_equal(d.len, 14);
    assert_memory_equal(d.buf, "{\"a\":1}{\"a\":1}", 14);
    assert_int_equal(jdump_append(&d, NULL), -1);
    /* (jansson makes no non-finite real: json_real(INFINITY) is NULL) */
    assert_null(json_real(INFINITY));
    json_t *deep = json_array(), *cur = deep;
    for (int i = 0; i < 600; i++) {
        json_t *n = json_array();
        json_array_append_new(cur, n);
        cur = n;
    }
    d.len = 0;
    assert_int_equal(jdump_append(&d, deep), -1);
    json_decref(deep);
    json_decref(v);
    jdump_free(&d);
    assert_null(d.buf);
}

/* jdump_bytes: text made elsewhere, byte for byte (NULs included), around
 * values, across many doublings of the buffer */
static void test_bytes(void **state)
{
    (void)state;
    jdump_t o = {0};
    assert_int_equal(jdump_bytes(&o, "[", 1), 0);
    json_t *v = json_pack("{s:i}", "a", 1);
    assert_int_equal(jdump_append(&o, v), 0);
    json_decref(v);
    assert_int_equal(jdump_bytes(&o, ",\"x\0y\"", 6), 0);
    assert_int_equal(jdump_bytes(&o, "", 0), 0);
    assert_int_equal(o.len, 14u);
    assert_memory_equal(o.buf, "[{\"a\":1},\"x\0y\"", 14);
    /* 1 MB in 1,000-byte pieces: each piece where it belongs */
    char piece[1000];
    for (int i = 0; i < 1000; i++) {
        memset(piece, 'a' + i % 26, sizeof piece);
        assert_int_equal(jdump_bytes(&o, piece, sizeof piece), 0);
    }
    assert_int_equal(o.len, 14u + 1000u * 1000u);
    assert_true(o.cap >= o.len);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(o.buf[14 + i * 1000 + 999], 'a' + i % 26);
    jdump_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_escapes_and_text),
        cmocka_unit_test(test_numbers_and_containers),
        cmocka_unit_test(test_random_trees),
        cmocka_unit_test(test_appends_and_refusals),
        cmocka_unit_test(test_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
