/*
 * test_registry_http.c - registry.{c,h}, the parts the registry lookup over
 * HTTP uses (the transfer itself runs in ingress, see tests/e2e/
 * test_trust.py): the lookup URL and body, reading the registry's answers
 * (table-driven: usable, unknown, not SUBSCRIBED, outside validity, HTTP
 * errors, not JSON, not an array), the negative cache and its expiry,
 * registry_find's three outcomes, and registry_cache_put_txn feeding
 * registry_find from LMDB.
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
#include <sodium.h>

#include "fixture_store.h"
#include "registry.h"
#include "sign.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NOW 1717200000000LL /* 2024-06-01T00:00:00.000Z */

typedef struct {
    fixture_store_t *st; /* the directory and the config (the store opened by one test) */
    char pk_b64[45];
    unsigned char pk[32];
} fx_t;

static int s_setup(void **state)
{
    if (sign_init() < 0)
        return -1;
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    fx->st = fixture_store_new("test_registry_http");
    if (!fx->st)
        return -1;
    unsigned char sk[64];
    crypto_sign_keypair(fx->pk, sk);
    sodium_memzero(sk, sizeof sk);
    sign_pubkey_to_base64(fx->pk, fx->pk_b64);
    snprintf(fx->st->cfg.registry_url, sizeof fx->st->cfg.registry_url,
             "https://registry.example/");
    fx->st->cfg.registry_negative_cache_s = 30;
    return 0;
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    int rc = fixture_store_destroy(&fx->st);
    free(fx);
    return rc;
}

/* s_answer - a registry answer: an array of one record for SUB|k1. */
static char *s_answer(const fx_t *fx, const char *sub, const char *status, const char *until)
{
    json_t *a = json_pack("[{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}]", "subscriber_id", sub,
                          "ukId", "k1", "signing_public_key", fx->pk_b64, "encr_public_key",
                          "MCowBQYDK2VuAyEAi801MjVpgFOXHjliyT6Nb14HkS5dj1p41qbeyU6/SC8=",
                          "subscriber_url", "https://gw.example/ondc", "type", "BG", "domain",
                          "ONDC:RET10", "status", status, "valid_from",
                          "2020-01-01T00:00:00.000Z", "valid_until", until);
    assert_non_null(a);
    char *text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return text;
}

static void test_url_and_body(void **state)
{
    fx_t *fx = *state;
    char url[600];
    const char *bases[][2] = {
        {"https://registry.example/", "https://registry.example/v2.0/lookup"},
        {"https://registry.example", "https://registry.example/v2.0/lookup"},
        {"http://127.0.0.1:9/reg//", "http://127.0.0.1:9/reg/v2.0/lookup"},
    };
    for (size_t i = 0; i < N(bases); i++) {
        snprintf(fx->st->cfg.registry_url, sizeof fx->st->cfg.registry_url, "%s", bases[i][0]);
        registry_t *r = registry_new(&fx->st->cfg, NULL);
        assert_non_null(r);
        assert_true(registry_has_url(r));
        assert_int_equal(registry_lookup_url(r, url, sizeof url), 0);
        assert_string_equal(url, bases[i][1]);
        assert_int_equal(registry_lookup_url(r, url, 10), -1);
        registry_destroy(&r);
    }
    fx->st->cfg.registry_url[0] = '\0';
    registry_t *r = registry_new(&fx->st->cfg, NULL);
    assert_false(registry_has_url(r));
    assert_int_equal(registry_lookup_url(r, url, sizeof url), -1);
    registry_destroy(&r);

    char *body = registry_lookup_body("IND", "ONDC:RET10", "buyer.example", "k1");
    assert_string_equal(body, "{\"country\":\"IND\",\"domain\":\"ONDC:RET10\","
                              "\"subscriber_id\":\"buyer.example\",\"ukId\":\"k1\"}");
    free(body);
    body = registry_lookup_body("IND", "ONDC:RET10", "a\"b", "k1");
    assert_non_null(strstr(body, "\"a\\\"b\"")); /* escaped, not spliced */
    free(body);
}

static void test_answers(void **state)
{
    fx_t *fx = *state;
    char *good = s_answer(fx, "gw.example", "SUBSCRIBED", "2030-01-01T00:00:00.000Z");
    char *inactive = s_answer(fx, "gw.example", "INACTIVE", "2030-01-01T00:00:00.000Z");
    char *expired = s_answer(fx, "gw.example", "SUBSCRIBED", "2021-01-01T00:00:00.000Z");
    char *other = s_answer(fx, "other.example", "SUBSCRIBED", "2030-01-01T00:00:00.000Z");
    struct {
        long status;
        const char *body;
        int rc, http;
        const char *why;
    } cases[] = {
        {200, good, 0, 0, NULL},
        {200, "[]", -1, 401, "unknown subscriber"},
        {404, "[]", -1, 401, "unknown subscriber"},
        {200, other, -1, 401, "unknown subscriber"},
        {200, inactive, -1, 401, "SUBSCRIBED"},
        {200, expired, -1, 401, "validity"},
        {500, good, -1, 503, "HTTP 500"},
        {401, "{\"error\":\"sig\"}", -1, 503, "HTTP 401"},
        {200, "{\"message\":\"x\"}", -1, 503, "not an array"},
        {200, "<html>", -1, 503, "not JSON"},
        {200, "", -1, 503, "not JSON"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        registry_t *r = registry_new(&fx->st->cfg, NULL);
        registry_record_t out;
        ondc_err_t err;
        err_clear(&err);
        const char *b = cases[i].body;
        int rc = registry_lookup_answer(r, "gw.example", "k1", cases[i].status, b, strlen(b), NOW,
                                        &out, &err);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d (%s)", i, rc, err.message);
        if (rc == 0) {
            assert_string_equal(out.subscriber_id, "gw.example");
            assert_string_equal(out.type, "BG");
            assert_memory_equal(out.signing_pk, fx->pk, 32);
            /* a usable answer is not remembered as unknown */
            assert_int_equal(registry_find(r, "gw.example", "k1", NOW, &out, &err), 1);
        } else {
            assert_int_equal(err.http_status, cases[i].http);
            assert_string_equal(err.code, cases[i].http == 401 ? "30016" : "31001");
            if (!strstr(err.message, cases[i].why))
                fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, cases[i].why);
            /* only "the registry does not know it" is remembered */
            int want = cases[i].http == 401 ? -1 : 1;
            assert_int_equal(registry_find(r, "gw.example", "k1", NOW, &out, &err), want);
        }
        registry_destroy(&r);
    }
    free(good);
    free(inactive);
    free(expired);
    free(other);
}

static void test_negative_cache(void **state)
{
    fx_t *fx = *state;
    registry_t *r = registry_new(&fx->st->cfg, NULL);
    registry_record_t out;
    ondc_err_t err;
    assert_int_equal(registry_find(r, "nobody.example", "k1", NOW, &out, &err), 1);
    registry_unknown_put(r, "nobody.example", "k1", NOW);
    assert_int_equal(registry_find(r, "nobody.example", "k1", NOW + 29000, &out, &err), -1);
    assert_string_equal(err.code, "30016");
    /* another key of the same subscriber, and the same key later, are asked again */
    assert_int_equal(registry_find(r, "nobody.example", "k2", NOW, &out, &err), 1);
    assert_int_equal(registry_find(r, "nobody.example", "k1", NOW + 31000, &out, &err), 1);
    /* a reload forgets: the subscriber may be in the new file */
    registry_unknown_put(r, "nobody.example", "k1", NOW);
    assert_int_equal(registry_reload(r, &fx->st->cfg), 0);
    assert_int_equal(registry_find(r, "nobody.example", "k1", NOW, &out, &err), 1);
    registry_destroy(&r);

    /* negative_cache_s 0: never remembered */
    fx->st->cfg.registry_negative_cache_s = 0;
    r = registry_new(&fx->st->cfg, NULL);
    registry_unknown_put(r, "nobody.example", "k1", NOW);
    assert_int_equal(registry_find(r, "nobody.example", "k1", NOW, &out, &err), 1);
    registry_destroy(&r);

    /* without registry.url an unknown key is refused at once */
    fx->st->cfg.registry_url[0] = '\0';
    r = registry_new(&fx->st->cfg, NULL);
    assert_int_equal(registry_find(r, "nobody.example", "k1", NOW, &out, &err), -1);
    assert_int_equal(err.http_status, 401);
    registry_destroy(&r);
}

static void test_cache_put_txn_then_find(void **state)
{
    fx_t *fx = *state;
    fx->st->cfg.registry_cache_max_s = 60;
    assert_int_equal(fixture_store_open(fx->st), 0);
    store_t *st = fx->st->s;
    registry_t *r = registry_new(&fx->st->cfg, st);
    char *good = s_answer(fx, "gw.example", "SUBSCRIBED", "2030-01-01T00:00:00.000Z");
    registry_record_t rec, out;
    ondc_err_t err;
    assert_int_equal(registry_lookup_answer(r, "gw.example", "k1", 200, good, strlen(good), NOW,
                                            &rec, &err),
                     0);
    free(good);
    assert_int_equal(registry_find(r, "gw.example", "k1", NOW, &out, &err), 1);
    MDB_txn *txn = store_begin(st, 0);
    assert_non_null(txn);
    assert_int_equal(registry_cache_put_txn(r, txn, &rec, NOW), 0);
    assert_int_equal(store_commit(txn), 0);
    memset(&out, 0, sizeof out);
    assert_int_equal(registry_find(r, "gw.example", "k1", NOW + 1000, &out, &err), 0);
    assert_memory_equal(out.signing_pk, fx->pk, 32);
    assert_string_equal(out.type, "BG");
    assert_int_equal(registry_lookup(r, "gw.example", "k1", NOW + 1000, &out, &err), 0);
    /* bounded by registry.cache_max_s: gone after a minute, then asked again */
    assert_int_equal(registry_find(r, "gw.example", "k1", NOW + 61000, &out, &err), 1);
    registry_destroy(&r);
    /* without a store there is nothing to put into */
    r = registry_new(&fx->st->cfg, NULL);
    assert_int_not_equal(registry_cache_put_txn(r, NULL, &rec, NOW), 0);
    registry_destroy(&r);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_url_and_body),
        T(test_answers),
        T(test_negative_cache),
        T(test_cache_put_txn_then_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
