/*
 * test_registry.c - registry.{c,h}: a local registry file written to a
 * temporary directory (a SUBSCRIBED record with a real Ed25519 key, and
 * records that must be refused: INITIATED, expired, not yet valid, bad
 * key), lookups and their 401 / 30016 refusals, the LMDB cache (bounded by
 * valid_until and registry.cache_max_s), reloads and unusable files.
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

#include "context.h"
#include "fixture_store.h"
#include "registry.h"
#include "sign.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NOW 1717200000000LL /* 2024-06-01T00:00:00.000Z */
#define HOUR 3600000LL

typedef struct {
    fixture_store_t *st; /* the directory, the config, the store (opened by test_cache) */
    char file[128];
    unsigned char pk[32], pk2[32];
    char pk_b64[45], pk2_b64[45];
} fx_t;

static void s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* s_file_text - the registry file: one usable record per "ok" line below. */
static char *s_file_text(const fx_t *fx)
{
    unsigned char short_key[31] = {1};
    char short_b64[64];
    sodium_bin2base64(short_b64, sizeof short_b64, short_key, sizeof short_key,
                      sodium_base64_VARIANT_ORIGINAL);
    json_t *a = json_pack(
        "["
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}," /* ok */
        "{s:s,s:s,s:s},"                         /* ok: no status, unique_key_id */
        "{s:s,s:s,s:s,s:s},"                     /* INITIATED */
        "{s:s,s:s,s:s,s:s,s:s},"                 /* expired */
        "{s:s,s:s,s:s,s:s,s:s},"                 /* not yet valid */
        "{s:s,s:s,s:s,s:s},"                     /* bad key */
        "{s:s,s:s,s:s},"                         /* 31-byte key */
        "{s:s,s:s},"                             /* no ukId */
        "i"                                      /* not an object */
        "]",
        "subscriber_id", "buyer.example", "ukId", "k1", "signing_public_key", fx->pk_b64,
        "encr_public_key", "MCowBQYDK2VuAyEAi801MjVpgFOXHjliyT6Nb14HkS5dj1p41qbeyU6/SC8=",
        "subscriber_url", "https://buyer.example/ondc", "type", "BAP", "status", "SUBSCRIBED",
        "valid_from", "2020-01-01T00:00:00.000Z", "valid_until", "2030-01-01T00:00:00.000Z",

        "subscriber_id", "nostatus.example", "unique_key_id", "k2", "signing_public_key",
        fx->pk2_b64,

        "subscriber_id", "initiated.example", "ukId", "k1", "signing_public_key", fx->pk_b64,
        "status", "INITIATED",

        "subscriber_id", "expired.example", "ukId", "k1", "signing_public_key", fx->pk_b64,
        "status", "SUBSCRIBED", "valid_until", "2021-01-01T00:00:00.000Z",

        "subscriber_id", "future.example", "ukId", "k1", "signing_public_key", fx->pk_b64,
        "status", "SUBSCRIBED", "valid_from", "2029-01-01T00:00:00.000Z",

        "subscriber_id", "badkey.example", "ukId", "k1", "signing_public_key", "not base64!",
        "status", "SUBSCRIBED",

        "subscriber_id", "shortkey.example", "ukId", "k1", "signing_public_key", short_b64,

        "subscriber_id", "noukid.example", "signing_public_key", fx->pk_b64,

        42);
    assert_non_null(a);
    char *text = json_dumps(a, JSON_INDENT(1));
    json_decref(a);
    return text;
}

static int s_setup(void **state)
{
    if (sign_init() < 0)
        return -1;
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    fx->st = fixture_store_new("test_registry");
    if (!fx->st)
        return -1;
    unsigned char sk[64];
    crypto_sign_keypair(fx->pk, sk);
    crypto_sign_keypair(fx->pk2, sk);
    sodium_memzero(sk, sizeof sk);
    sign_pubkey_to_base64(fx->pk, fx->pk_b64);
    sign_pubkey_to_base64(fx->pk2, fx->pk2_b64);
    snprintf(fx->file, sizeof fx->file, "%s/registry.json", fx->st->dir);
    char *text = s_file_text(fx);
    s_write(fx->file, text);
    free(text);
    snprintf(fx->st->cfg.registry_file, sizeof fx->st->cfg.registry_file, "%s", fx->file);
    return 0;
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    int rc = fixture_store_destroy(&fx->st);
    free(fx);
    return rc;
}

static void s_assert_refused(const ondc_err_t *err, const char *what)
{
    if (strcmp(err->code, "30016") != 0 || err->http_status != 401 ||
        err->type != ERR_TYPE_POLICY || !err->message[0])
        fail_msg("%s: code %s http %d type %d \"%s\"", what, err->code, err->http_status,
                 err->type, err->message);
}

static void test_file_lookup(void **state)
{
    fx_t *fx = *state;
    registry_t *r = registry_new(&fx->st->cfg, NULL);
    assert_non_null(r);
    assert_int_equal(registry_count(r), 4); /* buyer, nostatus, expired, future */

    registry_record_t rec;
    ondc_err_t err;
    err_clear(&err);
    assert_int_equal(registry_lookup(r, "buyer.example", "k1", NOW, &rec, &err), 0);
    assert_string_equal(rec.subscriber_id, "buyer.example");
    assert_string_equal(rec.ukid, "k1");
    assert_memory_equal(rec.signing_pk, fx->pk, 32);
    assert_string_equal(rec.subscriber_url, "https://buyer.example/ondc");
    assert_string_equal(rec.type, "BAP");
    assert_string_equal(rec.encr_public_key,
                        "MCowBQYDK2VuAyEAi801MjVpgFOXHjliyT6Nb14HkS5dj1p41qbeyU6/SC8=");
    assert_int_equal(rec.valid_from_ms, context_parse_time("2020-01-01T00:00:00.000Z"));
    assert_int_equal(rec.valid_until_ms, context_parse_time("2030-01-01T00:00:00.000Z"));

    assert_int_equal(registry_lookup(r, "nostatus.example", "k2", NOW, &rec, &err), 0);
    assert_memory_equal(rec.signing_pk, fx->pk2, 32);
    assert_int_equal(rec.valid_from_ms, 0);
    assert_int_equal(rec.valid_until_ms, INT64_MAX);

    static const struct {
        const char *sub, *ukid;
        const char *when; /* NULL: NOW */
    } refused[] = {
        {"buyer.example", "k2", NULL}, /* other key id */
        {"buyer.example", "k1", "2030-01-01T00:00:00.001Z"},
        {"buyer.example", "k1", "2019-12-31T23:59:59.999Z"},
        {"initiated.example", "k1", NULL},
        {"expired.example", "k1", NULL},
        {"future.example", "k1", NULL},
        {"badkey.example", "k1", NULL},
        {"shortkey.example", "k1", NULL},
        {"noukid.example", "", NULL},
        {"nobody.example", "k1", NULL},
        {"", "", NULL},
    };
    for (size_t i = 0; i < N(refused); i++) {
        int64_t now = refused[i].when ? context_parse_time(refused[i].when) : NOW;
        assert_true(now > 0);
        err_clear(&err);
        if (registry_lookup(r, refused[i].sub, refused[i].ukid, now, &rec, &err) != -1)
            fail_msg("%s|%s accepted", refused[i].sub, refused[i].ukid);
        s_assert_refused(&err, refused[i].sub);
    }
    /* the validity edges themselves are inside */
    assert_int_equal(registry_lookup(r, "buyer.example", "k1",
                                     context_parse_time("2030-01-01T00:00:00.000Z"), &rec, &err),
                     0);
    assert_int_equal(registry_lookup(r, "buyer.example", "k1",
                                     context_parse_time("2020-01-01T00:00:00.000Z"), &rec, &err),
                     0);
    /* the expired record is in the file, but outside its validity */
    assert_int_equal(registry_lookup(r, "expired.example", "k1",
                                     context_parse_time("2020-06-01T00:00:00.000Z"), &rec, &err),
                     0);
    registry_destroy(&r);
    assert_null(r);
    registry_destroy(&r);
    registry_destroy(NULL);
}

static void test_parse_record(void **state)
{
    fx_t *fx = *state;
    static const struct {
        const char *fmt; /* %s: a valid public key */
        int rc;
    } cases[] = {
        {"{\"subscriber_id\":\"a\",\"ukId\":\"k\",\"signing_public_key\":\"%s\"}", 0},
        {"{\"subscriber_id\":\"a\",\"ukId\":\"k\",\"signing_public_key\":\"%s\",\"status\":\"SUBSCRIBED\"}", 0},
        {"{\"subscriber_id\":\"a\",\"ukId\":\"k\",\"signing_public_key\":\"%s\",\"status\":\"UNSUBSCRIBED\"}", -1},
        {"{\"subscriber_id\":\"a\",\"ukId\":\"k\",\"signing_public_key\":\"%s\",\"status\":\"subscribed\"}", -1},
        {"{\"ukId\":\"k\",\"signing_public_key\":\"%s\"}", -1},
        {"{\"subscriber_id\":\"a\",\"signing_public_key\":\"%s\"}", -1},
        {"{\"subscriber_id\":\"a\",\"ukId\":\"k\"}", -1},
        {"{\"subscriber_id\":5,\"ukId\":\"k\",\"signing_public_key\":\"%s\"}", -1},
        {"[\"%s\"]", -1},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char text[512];
        snprintf(text, sizeof text, cases[i].fmt, fx->pk_b64);
        json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        registry_record_t rec;
        ondc_err_t err;
        err_clear(&err);
        int rc = registry_parse_record(j, &rec, &err);
        json_decref(j);
        if (rc != cases[i].rc)
            fail_msg("registry_parse_record(%s) = %d, want %d", text, rc, cases[i].rc);
        if (rc < 0)
            s_assert_refused(&err, text);
        else
            assert_memory_equal(rec.signing_pk, fx->pk, 32);
    }
}

static registry_record_t s_record(const fx_t *fx, const char *sub, const char *valid_until)
{
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s}", "subscriber_id", sub, "ukId", "c1",
                          "signing_public_key", fx->pk2_b64, "status", "SUBSCRIBED",
                          "valid_until", valid_until);
    registry_record_t rec;
    ondc_err_t err;
    assert_int_equal(registry_parse_record(j, &rec, &err), 0);
    json_decref(j);
    return rec;
}

static void test_cache(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(fixture_store_open(fx->st), 0);
    registry_t *r = registry_new(&fx->st->cfg, fx->st->s);
    assert_non_null(r);
    registry_record_t rec, out;
    ondc_err_t err;

    /* valid for one more hour: cached until then, not after */
    rec = s_record(fx, "cached.example", "2024-06-01T01:00:00.000Z");
    assert_int_equal(registry_lookup(r, "cached.example", "c1", NOW, &out, &err), -1);
    assert_int_equal(registry_cache_put(r, &rec, NOW), 0);
    err_clear(&err);
    assert_int_equal(registry_lookup(r, "cached.example", "c1", NOW, &out, &err), 0);
    assert_string_equal(out.subscriber_id, "cached.example");
    assert_memory_equal(out.signing_pk, fx->pk2, 32);
    assert_int_equal(registry_lookup(r, "cached.example", "c1", NOW + HOUR - 1, &out, &err), 0);
    err_clear(&err);
    assert_int_equal(registry_lookup(r, "cached.example", "c1", NOW + 2 * HOUR, &out, &err), -1);
    s_assert_refused(&err, "past valid_until");
    assert_int_equal(registry_lookup(r, "cached.example", "c2", NOW, &out, &err), -1);

    /* the cache outlives the registry object (it is in LMDB) */
    registry_destroy(&r);
    r = registry_new(&fx->st->cfg, fx->st->s);
    assert_int_equal(registry_lookup(r, "cached.example", "c1", NOW, &out, &err), 0);
    registry_destroy(&r);

    /* registry.cache_max_s bounds a long valid_until */
    fx->st->cfg.registry_cache_max_s = 60;
    r = registry_new(&fx->st->cfg, fx->st->s);
    rec = s_record(fx, "longlived.example", "2099-01-01T00:00:00.000Z");
    assert_int_equal(registry_cache_put(r, &rec, NOW), 0);
    assert_int_equal(registry_lookup(r, "longlived.example", "c1", NOW + 59000, &out, &err), 0);
    assert_int_equal(registry_lookup(r, "longlived.example", "c1", NOW + 61000, &out, &err), -1);
    /* putting it again renews it */
    assert_int_equal(registry_cache_put(r, &rec, NOW + 61000), 0);
    assert_int_equal(registry_lookup(r, "longlived.example", "c1", NOW + 100000, &out, &err), 0);
    registry_destroy(&r);

    /* without a store there is no cache */
    r = registry_new(&fx->st->cfg, NULL);
    assert_int_equal(registry_cache_put(r, &rec, NOW), -1);
    assert_int_equal(registry_lookup(r, "cached.example", "c1", NOW, &out, &err), -1);
    s_assert_refused(&err, "no store");
    registry_destroy(&r);
}

static void test_reload_and_bad_files(void **state)
{
    fx_t *fx = *state;
    registry_t *r = registry_new(&fx->st->cfg, NULL);
    assert_non_null(r);
    registry_record_t out;
    ondc_err_t err;

    /* a new file with one other record */
    char text[512];
    snprintf(text, sizeof text,
             "[{\"subscriber_id\":\"new.example\",\"ukId\":\"n1\",\"signing_public_key\":\"%s\"}]",
             fx->pk_b64);
    s_write(fx->file, text);
    assert_int_equal(registry_reload(r, &fx->st->cfg), 0);
    assert_int_equal(registry_count(r), 1);
    assert_int_equal(registry_lookup(r, "new.example", "n1", NOW, &out, &err), 0);
    assert_int_equal(registry_lookup(r, "buyer.example", "k1", NOW, &out, &err), -1);

    /* a file that is not an array: reload fails */
    s_write(fx->file, "{\"subscriber_id\":\"x\"}");
    assert_int_equal(registry_reload(r, &fx->st->cfg), -1);
    registry_destroy(&r);

    /* unusable files: registry_new refuses */
    static const char *bad[] = {"{}", "not json", ""};
    for (size_t i = 0; i < N(bad); i++) {
        s_write(fx->file, bad[i]);
        assert_null(registry_new(&fx->st->cfg, NULL));
    }
    cfg_t cfg = fx->st->cfg;
    snprintf(cfg.registry_file, sizeof cfg.registry_file, "%s/missing.json", fx->st->dir);
    assert_null(registry_new(&cfg, NULL));

    /* no file configured: empty, every lookup refused */
    cfg.registry_file[0] = '\0';
    r = registry_new(&cfg, NULL);
    assert_non_null(r);
    assert_int_equal(registry_count(r), 0);
    assert_int_equal(registry_lookup(r, "buyer.example", "k1", NOW, &out, &err), -1);
    s_assert_refused(&err, "empty registry");
    registry_destroy(&r);

    /* an empty array is fine */
    s_write(fx->file, "[]");
    r = registry_new(&fx->st->cfg, NULL);
    assert_non_null(r);
    assert_int_equal(registry_count(r), 0);
    registry_destroy(&r);
}

/* A reload (SIGHUP, ingress_main.c s_reload) with a broken registry file
 * must keep the records already loaded, as cfg_reload keeps the old config:
 * otherwise every signed request is NACKed 401 until the file is fixed.
 * (Regression test: the committed registry.c freed the records before
 * reading the new file.) */
static void test_failed_reload_keeps_records(void **state)
{
    fx_t *fx = *state;
    registry_t *r = registry_new(&fx->st->cfg, NULL);
    assert_non_null(r);
    assert_int_equal(registry_count(r), 4);
    s_write(fx->file, "[{\"subscriber_id\":"); /* an editor's half-written save */
    assert_int_equal(registry_reload(r, &fx->st->cfg), -1);
    registry_record_t out;
    ondc_err_t err;
    int count = registry_count(r);
    int rc = registry_lookup(r, "buyer.example", "k1", NOW, &out, &err);
    registry_destroy(&r);
    assert_int_equal(count, 4);
    assert_int_equal(rc, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_file_lookup),
        T(test_parse_record),
        T(test_cache),
        T(test_reload_and_bad_files),
        T(test_failed_reload_keeps_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
