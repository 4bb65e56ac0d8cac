/*
 * test_url.c - url_parse and url_under over tables of good and bad URLs.
 */
#include "url.h"

#include <arpa/inet.h>
#include <netinet/in.h>

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

static int s_internal(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
    }
    return url_addr_internal((const struct sockaddr *)&ss);
}

static void test_internal_addresses(void **state)
{
    (void)state;
    static const char *internal[] = {
        "127.0.0.1", "127.9.9.9", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255",
        "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.255", "224.0.0.1",
        "255.255.255.255", "192.0.0.8", "198.18.0.1", "::", "::1", "fe80::1", "fc00::1", "fd12::1",
        "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254"};
    static const char *public_[] = {"8.8.8.8",       "1.1.1.1",     "172.15.255.255",
                                    "172.32.0.1",    "100.63.255.255", "100.128.0.1",
                                    "192.169.0.1",   "169.255.0.1", "11.0.0.1",
                                    "2001:4860::8888", "::ffff:8.8.8.8"};
    for (size_t i = 0; i < N(internal); i++)
        if (!s_internal(internal[i]))
            fail_msg("%s should be internal", internal[i]);
    for (size_t i = 0; i < N(public_); i++)
        if (s_internal(public_[i]))
            fail_msg("%s should not be internal", public_[i]);
    assert_int_equal(url_addr_internal(NULL), 1);
}

static void test_listen_addr(void **state)
{
    (void)state;
    struct sockaddr_in sa;
    assert_int_equal(url_listen_addr("127.0.0.1:8080", &sa), 0);
    assert_int_equal(ntohs(sa.sin_port), 8080);
    assert_int_equal(ntohl(sa.sin_addr.s_addr), INADDR_LOOPBACK);
    assert_int_equal(url_listen_addr("localhost:1", &sa), 0);
    assert_int_equal(ntohl(sa.sin_addr.s_addr), INADDR_LOOPBACK);
    assert_int_equal(url_listen_addr("*:65535", &sa), 0);
    assert_int_equal(ntohl(sa.sin_addr.s_addr), INADDR_ANY);
    assert_int_equal(url_listen_addr(":80", &sa), 0);
    assert_int_equal(url_listen_addr("127.0.0.1:0", &sa), 0); /* any free port */
    assert_int_equal(ntohs(sa.sin_port), 0);
    /* refused: no port, a port past 65535 (it used to wrap: 80000 was
     * 14464), signs, letters, spaces, a name, too long */
    static const char *bad[] = {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                                "127.0.0.1:80000", "127.0.0.1:+80", "127.0.0.1:-1",
                                "127.0.0.1:abc", "127.0.0.1:80 ", "example.com:80",
                                "127.0.0.1:123456", "999.0.0.1:80", NULL};
    for (int i = 0; bad[i]; i++)
        if (url_listen_addr(bad[i], &sa) == 0)
            fail_msg("%s accepted", bad[i]);
    char longer[300];
    memset(longer, '1', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(url_listen_addr(longer, &sa), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_under),
        cmocka_unit_test(test_internal_addresses),
        cmocka_unit_test(test_listen_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
