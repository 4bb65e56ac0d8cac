/*
 * test_money.c - money.{c,h}: exact decimal text <-> paise, JSON values,
 * formatting and percentages (rounding half up).
 *
 * Table-driven: each table row is one input and its expected outcome.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "money.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    const char *in;
    int rc;        /* 0 ok, -1 refused */
    int64_t paise; /* when rc == 0 */
} parse_case_t;

static const parse_case_t s_parse_cases[] = {
    {"99", 0, 9900},
    {"99.5", 0, 9950},
    {"99.50", 0, 9950},
    {"0.01", 0, 1},
    {"0", 0, 0},
    {"0.00", 0, 0},
    {"-1.25", 0, -125},
    {"-0.05", 0, -5},
    {"+5", 0, 500},
    {"99.000", 0, 9900},
    {"99.500000", 0, 9950},
    {"007.10", 0, 710},
    {"9999999999999.99", 0, 999999999999999LL}, /* largest accepted: 10^13 - 0.01 */
    {"-9999999999999.99", 0, -999999999999999LL},
    {"", -1, 0},
    {"abc", -1, 0},
    {"1.234", -1, 0},
    {"1.001", -1, 0},
    {"1.", -1, 0},
    {".5", -1, 0},
    {"1e3", -1, 0},
    {" 1", -1, 0},
    {"1 ", -1, 0},
    {"-", -1, 0},
    {"+", -1, 0},
    {"--1", -1, 0},
    {"1,00", -1, 0},
    {"1.2.3", -1, 0},
    {"0x10", -1, 0},
    {"10000000000000", -1, 0},      /* 10^13 rupees */
    {"-10000000000000", -1, 0},
    {"99999999999999999999999", -1, 0}, /* would overflow int64 */
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_parse_cases); i++) {
        const parse_case_t *c = &s_parse_cases[i];
        int64_t p = 777;
        int rc = money_parse(c->in, &p);
        if (rc != c->rc)
            fail_msg("money_parse(\"%s\") returned %d, want %d", c->in, rc, c->rc);
        if (c->rc == 0 && p != c->paise)
            fail_msg("money_parse(\"%s\") = %lld paise, want %lld", c->in, (long long)p,
                     (long long)c->paise);
        if (c->rc != 0 && p != 777)
            fail_msg("money_parse(\"%s\") wrote the output on failure", c->in);
    }
}

static void test_parse_null(void **state)
{
    (void)state;
    int64_t p = 0;
    assert_int_equal(money_parse(NULL, &p), -1);
}

typedef struct {
    const char *json; /* parsed with JSON_DECODE_ANY */
    int rc;
    int64_t paise;
} json_case_t;

static const json_case_t s_json_cases[] = {
    {"\"99.50\"", 0, 9950},
    {"\"99\"", 0, 9900},
    {"\"abc\"", -1, 0},
    {"\"1.234\"", -1, 0},
    {"99", 0, 9900},
    {"0", 0, 0},
    {"-3", 0, -300},
    {"99.5", 0, 9950},
    {"19.99", 0, 1999},
    {"0.01", 0, 1},
    {"-2.5", 0, -250},
    {"1.0", 0, 100},
    {"0.125", -1, 0},
    {"99.999", -1, 0},
    {"10000000000000", -1, 0}, /* integer 10^13 rupees */
    {"-10000000000000", -1, 0},
    {"1e20", -1, 0},
    {"null", -1, 0},
    {"true", -1, 0},
    {"[]", -1, 0},
    {"{}", -1, 0},
};

static void test_parse_json_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_json_cases); i++) {
        const json_case_t *c = &s_json_cases[i];
        json_error_t jerr;
        json_t *v = json_loads(c->json, JSON_DECODE_ANY, &jerr);
        assert_non_null(v);
        int64_t p = 777;
        int rc = money_parse_json(v, &p);
        json_decref(v);
        if (rc != c->rc)
            fail_msg("money_parse_json(%s) returned %d, want %d", c->json, rc, c->rc);
        if (c->rc == 0 && p != c->paise)
            fail_msg("money_parse_json(%s) = %lld paise, want %lld", c->json, (long long)p,
                     (long long)c->paise);
    }
    int64_t p;
    assert_int_equal(money_parse_json(NULL, &p), -1);
}

/* BUG (seller/money.c, money_parse_json): money.h says reals are "read
 * through their shortest decimal form, then parsed as text", but the code
 * checks only six places ("%.6f" ends in "0000") and then rounds with
 * "%.2f". A real whose shortest form has more than two places is silently
 * rounded instead of refused: 1.0000001 becomes 1.00 and 99.99999999
 * becomes 100.00. Fix: find the shortest "%.{p}g" (p = 1..17) that strtod
 * reads back to the same double and pass that text to money_parse. */
static void test_parse_json_real_shortest_form(void **state)
{
    (void)state;
    static const char *reals[] = {"1.0000001", "99.99999999", "0.0000001"};
    int accepted = 0;
    for (size_t i = 0; i < N(reals); i++) {
        json_t *v = json_loads(reals[i], JSON_DECODE_ANY, NULL);
        assert_true(json_is_real(v));
        int64_t p = 0;
        if (money_parse_json(v, &p) == 0) {
            print_error("BUG: money_parse_json(%s) accepted as %lld paise\n", reals[i],
                        (long long)p);
            accepted++;
        }
        json_decref(v);
    }
    assert_int_equal(accepted, 0);
}

typedef struct {
    int64_t paise;
    const char *text;
} format_case_t;

static const format_case_t s_format_cases[] = {
    {0, "0.00"},
    {1, "0.01"},
    {10, "0.10"},
    {9900, "99.00"},
    {9950, "99.50"},
    {14700, "147.00"},
    {94615, "946.15"},
    {-1, "-0.01"},
    {-125, "-1.25"},
    {-9900, "-99.00"},
    {999999999999999LL, "9999999999999.99"},
};

static void test_format_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_format_cases); i++) {
        char out[24];
        money_format(s_format_cases[i].paise, out, sizeof out);
        assert_string_equal(out, s_format_cases[i].text);
        /* what we format parses back to the same amount */
        int64_t back = 0;
        assert_int_equal(money_parse(out, &back), 0);
        assert_int_equal(back, s_format_cases[i].paise);
    }
}

/* money_format writes what printf would, for any amount (the extremes
 * included) and cut to any buffer */
static void test_format_like_printf(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t p = i == 0 ? INT64_MIN : i == 1 ? INT64_MAX : (int64_t)(x >> (x % 60));
        if (i % 3 == 0 && i > 1)
            p = -p;
        int neg = p < 0;
        uint64_t a = neg ? (uint64_t)0 - (uint64_t)p : (uint64_t)p;
        char want[32], got[32];
        snprintf(want, sizeof want, "%s%llu.%02llu", neg ? "-" : "", (unsigned long long)(a / 100),
                 (unsigned long long)(a % 100));
        size_t cap = i % 7 == 0 ? (size_t)(x % 8) + 1 : sizeof got;
        memset(got, 'x', sizeof got);
        money_format(p, got, cap);
        if (strlen(want) >= cap)
            want[cap - 1] = '\0';
        assert_string_equal(got, want);
    }
}

static void test_money_json(void **state)
{
    (void)state;
    json_t *m = money_json(9950);
    assert_non_null(m);
    char *s = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "{\"currency\":\"INR\",\"value\":\"99.50\"}");
    free(s);
    json_decref(m);
    m = money_json(-5);
    assert_string_equal(json_string_value(json_object_get(m, "value")), "-0.05");
    json_decref(m);
}

typedef struct {
    int64_t paise, bp, want;
} percent_case_t;

static const percent_case_t s_percent_cases[] = {
    {105, 500, 5},     /* 5.25 -> 5 */
    {110, 500, 6},     /* 5.50 -> 6 (half up) */
    {130, 500, 7},     /* 6.50 -> 7 */
    {129, 500, 6},     /* 6.45 -> 6 */
    {69800, 500, 3490}, /* 698.00 at 5% = 34.90 */
    {16500, 500, 825},  /* 165.00 at 5% = 8.25 */
    {10000, 1800, 1800},
    {33, 1250, 4},     /* 4.125 -> 4 */
    {100, 50, 1},      /* 0.5 -> 1 */
    {99, 50, 0},       /* 0.495 -> 0 */
    {0, 500, 0},
    {12345, 0, 0},
    {12345, 10000, 12345},
    /* negative amounts round symmetrically (half away from zero) */
    {-110, 500, -6},
    {-105, 500, -5},
};

static void test_percent_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_percent_cases); i++) {
        const percent_case_t *c = &s_percent_cases[i];
        int64_t got = money_percent(c->paise, c->bp);
        if (got != c->want)
            fail_msg("money_percent(%lld, %lld) = %lld, want %lld", (long long)c->paise,
                     (long long)c->bp, (long long)got, (long long)c->want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),     cmocka_unit_test(test_parse_null),
        cmocka_unit_test(test_parse_json_table), cmocka_unit_test(test_format_table),
        cmocka_unit_test(test_format_like_printf),
        cmocka_unit_test(test_parse_json_real_shortest_form),
        cmocka_unit_test(test_money_json),      cmocka_unit_test(test_percent_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
