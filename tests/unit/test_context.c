/*
 * test_context.c - context.{c,h}: RFC 3339 times, ISO 8601 durations, the
 * context rules (ONDC.md "Context rules") as one table of mutations of the
 * seed init request, the on_* reply context, callback URLs and the action
 * table.
 *
 * Run with the working directory at the repository root: the request is read
 * from tests/fixtures/seed-init-request.json.
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

#include "context.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SEED_PATH "tests/fixtures/seed-init-request.json"
#define SEED_TS_MS 1668688564230LL /* 2022-11-17T12:36:04.230Z */
#define SEED_TXN "9b023f42-8532-4aa0-9f13-6cc909f1ae95"
#define SEED_MSG "822480a8-797d-4950-8eae-291e4b7b0341"

static json_t *s_seed;

static int s_setup(void **state)
{
    (void)state;
    json_error_t jerr;
    s_seed = json_load_file(SEED_PATH, JSON_REJECT_DUPLICATES, &jerr);
    return s_seed ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    json_decref(s_seed);
    s_seed = NULL;
    return 0;
}

/* ---- time ---- */

typedef struct {
    const char *in;
    int64_t want; /* -1: refused */
} time_case_t;

static const time_case_t s_time_cases[] = {
    {"2022-11-17T12:36:04.230Z", SEED_TS_MS},
    {"2022-11-17T12:36:04.230123Z", SEED_TS_MS}, /* 6 digits: microseconds dropped */
    {"2022-11-17T12:36:04.230123456Z", SEED_TS_MS},
    {"2022-11-17T12:36:04Z", SEED_TS_MS - 230},
    {"2022-11-17T12:36:04.2Z", SEED_TS_MS - 30},
    {"2022-11-17T12:36:04.23Z", SEED_TS_MS},
    {"1970-01-01T00:00:00.000Z", 0},
    {"2024-02-29T23:59:59.999Z", 1709251199999LL},
    {"2100-01-01T00:00:00.000Z", 4102444800000LL},
    {"2022-11-17T12:36:04.230", -1},       /* missing Z */
    {"2022-11-17T12:36:04.230+05:30", -1}, /* offset instead of Z */
    {"2022-11-17T12:36:04+05:30", -1},
    {"2022-11-17T12:36:04.230z", -1},
    {"2022-11-17T12:36:04.230ZZ", -1},
    {"2022-13-17T12:36:04.230Z", -1}, /* month 13 */
    {"2022-11-32T12:36:04.230Z", -1},
    {"2022-11-00T12:36:04.230Z", -1},
    {"2022-11-17T24:00:00.000Z", -1},
    {"2022-11-17T12:60:00.000Z", -1},
    {"2022-11-17T12:36:61.000Z", -1},
    {"2022-11-17t12:36:04.230Z", -1},
    {"2022-11-17 12:36:04.230Z", -1},
    {"2022-11-17T12:36:04.Z", -1},            /* dot without digits */
    {"2022-11-17T12:36:04.1234567890Z", -1}, /* more than 9 digits */
    {"22-11-17T12:36:04.230Z", -1},
    {"2022/11/17T12:36:04.230Z", -1},
    {"garbage", -1},
    {"", -1},
};

static void test_parse_time_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_time_cases); i++) {
        int64_t got = context_parse_time(s_time_cases[i].in);
        if (got != s_time_cases[i].want)
            fail_msg("context_parse_time(\"%s\") = %lld, want %lld", s_time_cases[i].in,
                     (long long)got, (long long)s_time_cases[i].want);
    }
    assert_int_equal(context_parse_time(NULL), -1);
}

/* BUG (ondc/context.c, context_parse_time): the range check tests
 * tm_mon > 11 but not tm_mon < 0, and never checks the day against the
 * month, so timegm() silently normalises month 00 and February 30 into
 * other dates. These must be refused like month 13 is. */
static void test_parse_time_impossible_dates(void **state)
{
    (void)state;
    static const char *bad[] = {
        "2022-00-17T12:36:04.230Z", /* month 00: accepted as 2021-12-17 */
        "2022-02-30T00:00:00.000Z", /* 30 February: accepted as 2 March */
        "2023-02-29T00:00:00.000Z", /* not a leap year */
        "2022-04-31T00:00:00.000Z",
    };
    int accepted = 0;
    for (size_t i = 0; i < N(bad); i++) {
        int64_t got = context_parse_time(bad[i]);
        if (got != -1) {
            print_error("BUG: context_parse_time(\"%s\") = %lld, want -1\n", bad[i],
                        (long long)got);
            accepted++;
        }
    }
    assert_int_equal(accepted, 0);
}

static void test_format_time_round_trip(void **state)
{
    (void)state;
    static const int64_t ms[] = {0,       1,       999,           1000,          SEED_TS_MS,
                                 SEED_TS_MS + 5,  1709251199999LL, 4102444800000LL};
    char out[40];
    context_format_time(SEED_TS_MS, out, sizeof out);
    assert_string_equal(out, "2022-11-17T12:36:04.230Z");
    context_format_time(5, out, sizeof out);
    assert_string_equal(out, "1970-01-01T00:00:00.005Z");
    for (size_t i = 0; i < N(ms); i++) {
        context_format_time(ms[i], out, sizeof out);
        assert_int_equal(strlen(out), 24);
        assert_int_equal(context_parse_time(out), ms[i]);
    }
}

/* ---- durations ---- */

typedef struct {
    const char *in;
    long want;
} dur_case_t;

static const dur_case_t s_dur_cases[] = {
    {"PT30S", 30},
    {"PT0S", 0},
    {"P1D", 86400},
    {"PT1H30M", 5400},
    {"PT1H", 3600},
    {"PT15M", 900},
    {"P1M", 30L * 86400},
    {"P1Y", 365L * 86400},
    {"P1W", 7L * 86400},
    {"P1DT2H3M4S", 86400 + 7200 + 180 + 4},
    {"P1Y2M3D", 365L * 86400 + 60L * 86400 + 3L * 86400},
    {"30S", -1},
    {"P", -1},
    {"PT", -1},
    {"P1H", -1},  /* hours belong after T */
    {"P1S", -1},
    {"PT1D", -1}, /* days belong before T */
    {"PT1W", -1},
    {"PT1Y", -1},
    {"PT1.5S", -1},
    {"PT-1S", -1},
    {"PTT1S", -1},
    {"PT1X", -1},
    {"PT30", -1},
    {"pt30s", -1},
    {"30 seconds", -1},
    {"", -1},
};

static void test_parse_duration_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_dur_cases); i++) {
        long got = context_parse_duration(s_dur_cases[i].in);
        if (got != s_dur_cases[i].want)
            fail_msg("context_parse_duration(\"%s\") = %ld, want %ld", s_dur_cases[i].in, got,
                     s_dur_cases[i].want);
    }
    assert_int_equal(context_parse_duration(NULL), -1);
}

/* BUG (ondc/context.c, context_parse_duration): a "T" with no time
 * component after it ("P1DT") is accepted; ISO 8601 forbids it ("PT" alone
 * is already refused). */
static void test_parse_duration_dangling_t(void **state)
{
    (void)state;
    assert_int_equal(context_parse_duration("P1DT"), -1);
}

/* ---- context_check ---- */

enum { CFG_DEFAULT = 0, CFG_RET10_ONLY, CFG_CITY_080 };

static void s_cfg(cfg_t *cfg, int variant)
{
    memset(cfg, 0, sizeof *cfg);
    cfg_defaults(cfg);
    snprintf(cfg->subscriber_id, sizeof cfg->subscriber_id, "carecommerce.in");
    if (variant == CFG_RET10_ONLY) {
        cfg->domains.n = 1;
        snprintf(cfg->domains.v[0], sizeof cfg->domains.v[0], "ONDC:RET10");
    } else if (variant == CFG_CITY_080) {
        cfg->cities.n = 1;
        snprintf(cfg->cities.v[0], sizeof cfg->cities.v[0], "std:080");
    }
}

#define DEL ((const char *)0)
#define SAME_AS_TXN "=transaction_id"

typedef struct {
    const char *key;   /* context key to change; NULL: no change */
    const char *value; /* DEL removes it; SAME_AS_TXN copies transaction_id */
} mod_t;

typedef struct {
    const char *name;
    mod_t mods[3];
    action_t action;
    int cfg;
    const char *path; /* NULL: accepted */
} check_case_t;

static const check_case_t s_check_cases[] = {
    {"seed init is valid", {{0}}, ACT_INIT, CFG_DEFAULT, NULL},
    /* every required field, removed */
    {"no domain", {{"domain", DEL}}, ACT_INIT, CFG_DEFAULT, "context.domain"},
    {"no action", {{"action", DEL}}, ACT_INIT, CFG_DEFAULT, "context.action"},
    {"no country", {{"country", DEL}}, ACT_INIT, CFG_DEFAULT, "context.country"},
    {"no city", {{"city", DEL}}, ACT_INIT, CFG_DEFAULT, "context.city"},
    {"no core_version", {{"core_version", DEL}}, ACT_INIT, CFG_DEFAULT, "context.core_version"},
    {"no bap_id", {{"bap_id", DEL}}, ACT_INIT, CFG_DEFAULT, "context.bap_id"},
    {"no bap_uri", {{"bap_uri", DEL}}, ACT_INIT, CFG_DEFAULT, "context.bap_uri"},
    {"no transaction_id", {{"transaction_id", DEL}}, ACT_INIT, CFG_DEFAULT,
     "context.transaction_id"},
    {"no message_id", {{"message_id", DEL}}, ACT_INIT, CFG_DEFAULT, "context.message_id"},
    {"no timestamp", {{"timestamp", DEL}}, ACT_INIT, CFG_DEFAULT, "context.timestamp"},
    {"no bpp_id", {{"bpp_id", DEL}}, ACT_INIT, CFG_DEFAULT, "context.bpp_id"},
    {"no bpp_uri", {{"bpp_uri", DEL}}, ACT_INIT, CFG_DEFAULT, "context.bpp_uri"},
    /* empty strings count as missing */
    {"empty bap_id", {{"bap_id", ""}}, ACT_INIT, CFG_DEFAULT, "context.bap_id"},
    {"empty bpp_uri", {{"bpp_uri", ""}}, ACT_INIT, CFG_DEFAULT, "context.bpp_uri"},
    /* action vs endpoint */
    {"select body on init", {{"action", "select"}}, ACT_INIT, CFG_DEFAULT, "context.action"},
    {"init body on select", {{0}}, ACT_SELECT, CFG_DEFAULT, "context.action"},
    {"unknown action", {{"action", "on_init"}}, ACT_INIT, CFG_DEFAULT, "context.action"},
    /* domain and country */
    {"domain not in table", {{"domain", "ONDC:RET99"}}, ACT_INIT, CFG_DEFAULT, "context.domain"},
    {"domain not served", {{0}}, ACT_INIT, CFG_RET10_ONLY, "context.domain"},
    {"served domain", {{"domain", "ONDC:RET10"}, {"core_version", "1.2.0"}}, ACT_INIT,
     CFG_RET10_ONLY, NULL},
    {"country", {{"country", "USA"}}, ACT_INIT, CFG_DEFAULT, "context.country"},
    /* city */
    {"city std:99x", {{"city", "std:99x"}}, ACT_INIT, CFG_DEFAULT, "context.city"},
    {"city std:", {{"city", "std:"}}, ACT_INIT, CFG_DEFAULT, "context.city"},
    {"city 080", {{"city", "080"}}, ACT_INIT, CFG_DEFAULT, "context.city"},
    {"city * on init", {{"city", "*"}}, ACT_INIT, CFG_DEFAULT, "context.city"},
    {"city * on search",
     {{"action", "search"}, {"city", "*"}},
     ACT_SEARCH,
     CFG_DEFAULT,
     NULL},
    {"city not served", {{"city", "std:011"}}, ACT_INIT, CFG_CITY_080, "context.city"},
    {"city served", {{0}}, ACT_INIT, CFG_CITY_080, NULL},
    {"city * on search, one city served",
     {{"action", "search"}, {"city", "*"}},
     ACT_SEARCH,
     CFG_CITY_080,
     NULL},
    /* ids and URIs */
    {"transaction_id == message_id", {{"message_id", SAME_AS_TXN}}, ACT_INIT, CFG_DEFAULT,
     "context.message_id"},
    {"bap_uri ftp", {{"bap_uri", "ftp://x"}}, ACT_INIT, CFG_DEFAULT, "context.bap_uri"},
    {"bap_uri no host", {{"bap_uri", "https://"}}, ACT_INIT, CFG_DEFAULT, "context.bap_uri"},
    {"bap_uri http", {{"bap_uri", "http://bap.example"}}, ACT_INIT, CFG_DEFAULT, NULL},
    {"bpp_uri ftp", {{"bpp_uri", "ftp://x"}}, ACT_INIT, CFG_DEFAULT, "context.bpp_uri"},
    {"bpp_id not ours", {{"bpp_id", "other.example"}}, ACT_INIT, CFG_DEFAULT, "context.bpp_id"},
    {"search without bpp",
     {{"action", "search"}, {"bpp_id", DEL}, {"bpp_uri", DEL}},
     ACT_SEARCH,
     CFG_DEFAULT,
     NULL},
    /* timestamp and ttl */
    {"timestamp with offset", {{"timestamp", "2022-11-17T12:36:04.230+05:30"}}, ACT_INIT,
     CFG_DEFAULT, "context.timestamp"},
    {"ttl 30 seconds", {{"ttl", "30 seconds"}}, ACT_INIT, CFG_DEFAULT, "context.ttl"},
    {"ttl P1D", {{"ttl", "P1D"}}, ACT_INIT, CFG_DEFAULT, NULL},
    {"no ttl", {{"ttl", DEL}}, ACT_INIT, CFG_DEFAULT, NULL},
    /* versions */
    {"RET10 1.2.0", {{"domain", "ONDC:RET10"}, {"core_version", "1.2.0"}}, ACT_INIT, CFG_DEFAULT,
     NULL},
    {"RET10 1.2.5", {{"domain", "ONDC:RET10"}, {"core_version", "1.2.5"}}, ACT_INIT, CFG_DEFAULT,
     NULL},
    {"RET10 1.0.0", {{"domain", "ONDC:RET10"}}, ACT_INIT, CFG_DEFAULT, "context.core_version"},
    {"RET19 1.1.0", {{"domain", "ONDC:RET19"}, {"core_version", "1.1.0"}}, ACT_INIT, CFG_DEFAULT,
     "context.core_version"},
    {"nic2004 2.0.0", {{"core_version", "2.0.0"}}, ACT_INIT, CFG_DEFAULT, "context.core_version"},
    /* IGM names its own version, or the retail one */
    {"issue RET10 IGM 1.0.0", {{"domain", "ONDC:RET10"}, {"action", "issue"}}, ACT_ISSUE,
     CFG_DEFAULT, NULL},
    {"issue RET10 IGM 2.0.0", {{"domain", "ONDC:RET10"}, {"core_version", "2.0.0"}, {"action", "issue"}},
     ACT_ISSUE, CFG_DEFAULT, NULL},
    {"issue_status RET10 1.2.0",
     {{"domain", "ONDC:RET10"}, {"core_version", "1.2.0"}, {"action", "issue_status"}},
     ACT_ISSUE_STATUS, CFG_DEFAULT, NULL},
    {"issue RET10 IGM 3.0.0", {{"domain", "ONDC:RET10"}, {"core_version", "3.0.0"}, {"action", "issue"}},
     ACT_ISSUE, CFG_DEFAULT, "context.core_version"},
};

static json_t *s_mutate(const mod_t *mods)
{
    json_t *root = json_deep_copy(s_seed);
    json_t *ctx = json_object_get(root, "context");
    for (int i = 0; i < 3 && mods[i].key; i++) {
        if (mods[i].value == DEL)
            json_object_del(ctx, mods[i].key);
        else if (strcmp(mods[i].value, SAME_AS_TXN) == 0)
            json_object_set_new(ctx, mods[i].key,
                                json_string(context_str(ctx, "transaction_id")));
        else
            json_object_set_new(ctx, mods[i].key, json_string(mods[i].value));
    }
    return root;
}

static void test_check_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_check_cases); i++) {
        const check_case_t *c = &s_check_cases[i];
        cfg_t cfg;
        s_cfg(&cfg, c->cfg);
        json_t *root = s_mutate(c->mods);
        ondc_err_t err;
        err_clear(&err);
        int rc = context_check(&cfg, root, c->action, SEED_TS_MS + 1000, &err);
        json_decref(root);
        if (!c->path) {
            if (rc != 0)
                fail_msg("%s: refused (%s: %s)", c->name, err.path, err.message);
            continue;
        }
        if (rc != -1)
            fail_msg("%s: accepted, want %s refused", c->name, c->path);
        if (strcmp(err.path, c->path) != 0)
            fail_msg("%s: path \"%s\", want \"%s\"", c->name, err.path, c->path);
        if (err.http_status != 400 || strcmp(err.code, "30000") != 0 ||
            err.type != ERR_TYPE_CONTEXT || !err.message[0])
            fail_msg("%s: http %d code %s type %d message \"%s\"", c->name, err.http_status,
                     err.code, err.type, err.message);
    }
}

static void test_check_wrong_types(void **state)
{
    (void)state;
    static const char *fields[] = {"domain", "city", "bap_id", "transaction_id", "timestamp"};
    cfg_t cfg;
    s_cfg(&cfg, CFG_DEFAULT);
    for (size_t i = 0; i < N(fields); i++) {
        json_t *root = json_deep_copy(s_seed);
        json_object_set_new(json_object_get(root, "context"), fields[i], json_integer(42));
        ondc_err_t err;
        err_clear(&err);
        assert_int_equal(context_check(&cfg, root, ACT_INIT, SEED_TS_MS, &err), -1);
        char want[64];
        snprintf(want, sizeof want, "context.%s", fields[i]);
        assert_string_equal(err.path, want);
        json_decref(root);
    }
    /* longer than 255 characters */
    char longid[300];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    json_t *root = json_deep_copy(s_seed);
    json_object_set_new(json_object_get(root, "context"), "message_id", json_string(longid));
    ondc_err_t err;
    assert_int_equal(context_check(&cfg, root, ACT_INIT, SEED_TS_MS, &err), -1);
    assert_string_equal(err.path, "context.message_id");
    json_decref(root);
    /* ttl as a number */
    root = json_deep_copy(s_seed);
    json_object_set_new(json_object_get(root, "context"), "ttl", json_integer(30));
    assert_int_equal(context_check(&cfg, root, ACT_INIT, SEED_TS_MS, &err), -1);
    assert_string_equal(err.path, "context.ttl");
    json_decref(root);
}

static void test_check_stale(void **state)
{
    (void)state;
    cfg_t cfg;
    s_cfg(&cfg, CFG_DEFAULT);
    cfg.signature_skew_s = 10;
    /* the seed has ttl PT30S: fresh until timestamp + 30 s + 10 s of skew */
    static const struct {
        int64_t after_ms;
        int rc;
    } cases[] = {{0, 0}, {30000, 0}, {40000, 0}, {40001, -1}, {3600000, -1}};
    for (size_t i = 0; i < N(cases); i++) {
        ondc_err_t err;
        err_clear(&err);
        assert_int_equal(context_check(&cfg, s_seed, ACT_INIT, SEED_TS_MS + cases[i].after_ms, &err),
                         cases[i].rc);
        if (cases[i].rc) {
            assert_string_equal(err.code, "30022");
            assert_string_equal(err.path, "context.timestamp");
            assert_int_equal(err.type, ERR_TYPE_CONTEXT);
        }
    }
    /* without a ttl, retail's PT30S: a request is never good forever (it
     * could be replayed once its dedupe entry is pruned) */
    json_t *root = json_deep_copy(s_seed);
    json_object_del(json_object_get(root, "context"), "ttl");
    ondc_err_t err;
    assert_int_equal(context_check(&cfg, root, ACT_INIT, SEED_TS_MS + 40000, &err), 0);
    assert_int_equal(context_check(&cfg, root, ACT_INIT, SEED_TS_MS + 40001, &err), -1);
    assert_string_equal(err.code, "30022");
    assert_int_equal(context_check(&cfg, root, ACT_INIT, SEED_TS_MS + 3600000, &err), -1);
    json_decref(root);
}

static void test_check_schema(void **state)
{
    (void)state;
    cfg_t cfg;
    s_cfg(&cfg, CFG_DEFAULT);
    ondc_err_t err;

    /* missing message */
    json_t *root = json_deep_copy(s_seed);
    json_object_del(root, "message");
    err_clear(&err);
    assert_int_equal(context_check(&cfg, root, ACT_INIT, SEED_TS_MS, &err), -1);
    assert_string_equal(err.path, "message");
    assert_int_equal(err.type, ERR_TYPE_JSON_SCHEMA);
    assert_int_equal(err.http_status, 400);
    assert_string_equal(err.code, "30000");
    /* message not an object */
    json_object_set_new(root, "message", json_string("hello"));
    assert_int_equal(context_check(&cfg, root, ACT_INIT, SEED_TS_MS, &err), -1);
    assert_string_equal(err.path, "message");
    assert_int_equal(err.type, ERR_TYPE_JSON_SCHEMA);
    json_decref(root);

    /* missing context */
    root = json_deep_copy(s_seed);
    json_object_del(root, "context");
    assert_int_equal(context_check(&cfg, root, ACT_INIT, SEED_TS_MS, &err), -1);
    assert_string_equal(err.path, "context");
    assert_int_equal(err.type, ERR_TYPE_JSON_SCHEMA);
    json_object_set_new(root, "context", json_array());
    assert_int_equal(context_check(&cfg, root, ACT_INIT, SEED_TS_MS, &err), -1);
    assert_string_equal(err.path, "context");
    json_decref(root);

    /* body not an object */
    json_t *bodies[] = {json_array(), json_string("x"), json_integer(1), json_null(), NULL};
    for (int i = 0; i < 5; i++) {
        err_clear(&err);
        assert_int_equal(context_check(&cfg, bodies[i], ACT_INIT, SEED_TS_MS, &err), -1);
        assert_int_equal(err.type, ERR_TYPE_JSON_SCHEMA);
        assert_int_equal(err.http_status, 400);
        assert_string_equal(err.code, "30000");
        assert_string_equal(err.path, "");
        json_decref(bodies[i]);
    }
}

/* ---- context_reply ---- */

static void test_reply(void **state)
{
    (void)state;
    cfg_t cfg;
    s_cfg(&cfg, CFG_DEFAULT);
    snprintf(cfg.subscriber_id, sizeof cfg.subscriber_id, "seller.example");
    snprintf(cfg.bpp_uri, sizeof cfg.bpp_uri, "https://seller.example/ondc");
    json_t *req = json_object_get(s_seed, "context");

    static const struct {
        int64_t now_ms;
        const char *want_ts;
    } cases[] = {
        {SEED_TS_MS + 5000, "2022-11-17T12:36:09.230Z"}, /* clock ahead: now */
        {SEED_TS_MS, "2022-11-17T12:36:04.231Z"},        /* same ms: one later */
        {SEED_TS_MS - 10000, "2022-11-17T12:36:04.231Z"}, /* clock behind */
        {0, "2022-11-17T12:36:04.231Z"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        json_t *ctx = context_reply(&cfg, req, cases[i].now_ms);
        assert_non_null(ctx);
        assert_string_equal(context_str(ctx, "action"), "on_init");
        assert_string_equal(context_str(ctx, "bpp_id"), "seller.example");
        assert_string_equal(context_str(ctx, "bpp_uri"), "https://seller.example/ondc");
        assert_string_equal(context_str(ctx, "transaction_id"), SEED_TXN);
        assert_string_equal(context_str(ctx, "message_id"), SEED_MSG);
        assert_string_equal(context_str(ctx, "bap_id"), "carecommerce.in");
        assert_string_equal(context_str(ctx, "bap_uri"), "http://127.0.0.1:9000/ondc/1.0/");
        assert_string_equal(context_str(ctx, "domain"), "nic2004:52110");
        assert_string_equal(context_str(ctx, "city"), "std:080");
        assert_string_equal(context_str(ctx, "core_version"), "1.0.0");
        assert_string_equal(context_str(ctx, "ttl"), "PT30S");
        assert_string_equal(context_str(ctx, "timestamp"), cases[i].want_ts);
        assert_true(context_parse_time(context_str(ctx, "timestamp")) > SEED_TS_MS);
        json_decref(ctx);
    }
    /* the request is untouched */
    assert_string_equal(context_str(req, "action"), "init");
    assert_string_equal(context_str(req, "bpp_id"), "carecommerce.in");

    /* a request without ttl gets PT30S; one with its own keeps it */
    json_t *r2 = json_deep_copy(req);
    json_object_del(r2, "ttl");
    json_object_set_new(r2, "action", json_string("select"));
    json_t *ctx = context_reply(&cfg, r2, SEED_TS_MS + 1);
    assert_string_equal(context_str(ctx, "action"), "on_select");
    assert_string_equal(context_str(ctx, "ttl"), "PT30S");
    json_decref(ctx);
    json_object_set_new(r2, "ttl", json_string("PT5M"));
    ctx = context_reply(&cfg, r2, SEED_TS_MS + 1);
    assert_string_equal(context_str(ctx, "ttl"), "PT5M");
    json_decref(ctx);
    json_decref(r2);
}

/* ---- callback URL ---- */

static void test_callback_url(void **state)
{
    (void)state;
    static const struct {
        const char *bap_uri, *action, *want;
    } cases[] = {
        {"https://x/ondc/1.0/", "init", "https://x/ondc/1.0/on_init"},
        {"https://x/ondc/1.0", "init", "https://x/ondc/1.0/on_init"},
        {"https://x/ondc/1.0///", "init", "https://x/ondc/1.0/on_init"},
        {"https://x", "search", "https://x/on_search"},
        {"https://x/", "support", "https://x/on_support"},
        {"https://buyer-app.example/ondc/1.0/", "confirm",
         "https://buyer-app.example/ondc/1.0/on_confirm"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char *url = context_callback_url(cases[i].bap_uri, cases[i].action);
        assert_non_null(url);
        assert_string_equal(url, cases[i].want);
        free(url);
    }
}

/* ---- action table ---- */

static void test_actions(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        action_t act;
        family_t fam;
    } cases[] = {
        {"search", ACT_SEARCH, FAMILY_DISCOVERY},    {"select", ACT_SELECT, FAMILY_ORDER},
        {"init", ACT_INIT, FAMILY_ORDER},            {"confirm", ACT_CONFIRM, FAMILY_ORDER},
        {"status", ACT_STATUS, FAMILY_FULFILLMENT},  {"track", ACT_TRACK, FAMILY_FULFILLMENT},
        {"cancel", ACT_CANCEL, FAMILY_FULFILLMENT},  {"update", ACT_UPDATE, FAMILY_FULFILLMENT},
        {"rating", ACT_RATING, FAMILY_POST},         {"support", ACT_SUPPORT, FAMILY_POST},
        {"issue", ACT_ISSUE, FAMILY_POST},           {"issue_status", ACT_ISSUE_STATUS, FAMILY_POST},
    };
    assert_int_equal(N(cases), ACT_COUNT);
    for (size_t i = 0; i < N(cases); i++) {
        assert_int_equal(context_action_parse(cases[i].name), cases[i].act);
        assert_string_equal(context_action_name(cases[i].act), cases[i].name);
        assert_int_equal(context_action_family(cases[i].act), cases[i].fam);
    }
    static const char *unknown[] = {"on_init", "INIT", "", "init ", "on_issue", "issue_close"};
    for (size_t i = 0; i < N(unknown); i++)
        assert_int_equal(context_action_parse(unknown[i]), -1);
    assert_int_equal(context_action_parse(NULL), -1);
    assert_string_equal(context_action_name(ACT_COUNT), "?");
}

static void test_context_str(void **state)
{
    (void)state;
    json_t *ctx = json_pack("{s:s,s:i}", "a", "x", "n", 1);
    assert_string_equal(context_str(ctx, "a"), "x");
    assert_null(context_str(ctx, "n"));
    assert_null(context_str(ctx, "missing"));
    assert_null(context_str(NULL, "a"));
    json_decref(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_time_table),
        cmocka_unit_test(test_check_stale),
        cmocka_unit_test(test_parse_time_impossible_dates),
        cmocka_unit_test(test_format_time_round_trip),
        cmocka_unit_test(test_parse_duration_table),
        cmocka_unit_test(test_parse_duration_dangling_t),
        cmocka_unit_test(test_check_table),
        cmocka_unit_test(test_check_wrong_types),
        cmocka_unit_test(test_check_schema),
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_callback_url),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_context_str),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
