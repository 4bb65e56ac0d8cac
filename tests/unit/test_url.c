/*
 * test_url.c - url_parse and url_under over tables of good and bad URLs.
 */
#include "url.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc, https, port;
        const char *host, *path;
    } cases[] = {
        {"http://buyer.example/ondc", 0, 0, 80, "buyer.example", "/ondc"},
        {"HTTPS://Buyer.Example", 0, 1, 443, "buyer.example", "/"},
        {"https://buyer.example:8443/a/b/", 0, 1, 8443, "buyer.example", "/a/b/"},
        {"http://127.0.0.1:9000/", 0, 0, 9000, "127.0.0.1", "/"},
        {"http://[::1]:9000/x", 0, 0, 9000, "::1", "/x"},
        {"http://[fe80::1]/", 0, 0, 80, "fe80::1", "/"},
        /* refused: no scheme or another one, empty host, user info, query,
         * fragment, spaces, control characters, backslash, bad ports */
        {"ftp://buyer.example/", -1, 0, 0, NULL, NULL},
        {"buyer.example/ondc", -1, 0, 0, NULL, NULL},
        {"http://", -1, 0, 0, NULL, NULL},
        {"http:///path", -1, 0, 0, NULL, NULL},
        {"http://user:pw@buyer.example/", -1, 0, 0, NULL, NULL},
        {"http://buyer.example@127.0.0.1/", -1, 0, 0, NULL, NULL},
        {"http://buyer.example/ondc?next=http://x", -1, 0, 0, NULL, NULL},
        {"http://buyer.example/ondc#frag", -1, 0, 0, NULL, NULL},
        {"http://buyer.example/a b", -1, 0, 0, NULL, NULL},
        {"http://buyer.example/a\r\nHost: x", -1, 0, 0, NULL, NULL},
        {"http://buyer.example\\@evil/", -1, 0, 0, NULL, NULL},
        {"http://buyer.example:0/", -1, 0, 0, NULL, NULL},
        {"http://buyer.example:65536/", -1, 0, 0, NULL, NULL},
        {"http://buyer.example:80a/", -1, 0, 0, NULL, NULL},
        {"http://buyer.example:/", -1, 0, 0, NULL, NULL},
        {"http://[::1/", -1, 0, 0, NULL, NULL},
        {"http://[]/", -1, 0, 0, NULL, NULL},
        {"http://[::1]x/", -1, 0, 0, NULL, NULL},
        {"http://bad_host/", -1, 0, 0, NULL, NULL},
        {NULL, -1, 0, 0, NULL, NULL},
    };
    for (size_t i = 0; i < N(cases); i++) {
        url_t u;
        assert_int_equal(url_parse(cases[i].text, &u), cases[i].rc);
        if (cases[i].rc == 0) {
            assert_int_equal(u.https, cases[i].https);
            assert_int_equal(u.port, cases[i].port);
            assert_string_equal(u.host, cases[i].host);
            assert_string_equal(u.path, cases[i].path);
        }
    }
}

static void test_under(void **state)
{
    (void)state;
    static const struct {
        const char *url, *base;
        int under;
    } cases[] = {
        {"https://buyer.example/ondc", "https://buyer.example/ondc", 1},
        {"https://buyer.example/ondc/", "https://buyer.example/ondc", 1},
        {"https://buyer.example/ondc/on_init", "https://buyer.example/ondc/", 1},
        {"https://buyer.example:443/ondc", "https://BUYER.example/ondc", 1},
        {"https://buyer.example/anything", "https://buyer.example", 1},
        {"https://buyer.example/anything", "https://buyer.example/", 1},
        /* elsewhere */
        {"https://buyer.example/ondcx", "https://buyer.example/ondc", 0},
        {"https://buyer.example/", "https://buyer.example/ondc", 0},
        {"http://buyer.example/ondc", "https://buyer.example/ondc", 0},
        {"https://buyer.example:8443/ondc", "https://buyer.example/ondc", 0},
        {"https://evil.example/ondc", "https://buyer.example/ondc", 0},
        {"https://buyer.example.evil.example/ondc", "https://buyer.example/ondc", 0},
        {"http://127.0.0.1:8081/seller/v1/catalog", "https://buyer.example/", 0},
        {"https://buyer.example/ondc?x=1", "https://buyer.example/ondc", 0},
        {"https://buyer.example/ondc", "not a url", 0},
        {NULL, "https://buyer.example/", 0},
    };
    for (size_t i = 0; i < N(cases); i++)
        assert_int_equal(url_under(cases[i].url, cases[i].base), cases[i].under);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_under),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
