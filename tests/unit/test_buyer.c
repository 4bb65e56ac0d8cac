/*
 * test_buyer.c - the buyer/ layer (buyer.c, buyer_send.c,
 * buyer_registry.c) on a real LMDB store: the request built around the
 * client API's body (context filled, addressed to the gateway, to every
 * seller of the registry file for the domain and city, or to the
 * transaction's seller) and its bad inputs, each with its path; an on_*
 * checked against what was sent (unknown message, other action, other
 * transaction, other seller, not our bap_id, unsolicited without an
 * order); answers kept in order and merged per seller; the order as last
 * described; the webhook row; what became of each copy; the registry
 * cache (a list, an address, an unknown seller, out of date).
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

#include "buyer.h"
#include "context.h"
#include "fixture_store.h"
#include "outbox.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NOW 1717200000000LL /* 2024-06-01T00:00:00.000Z */

static const char *s_registry =
    "[{\"subscriber_id\":\"s1.test\",\"subscriber_url\":\"http://s1.test/bpp\",\"type\":\"BPP\","
    "\"domain\":\"ONDC:RET10\",\"city\":\"std:080\",\"status\":\"SUBSCRIBED\"},"
    "{\"subscriber_id\":\"s2.test\",\"subscriber_url\":\"http://s2.test\",\"type\":\"BPP\","
    "\"domain\":\"ONDC:RET10\",\"city\":\"*\"},"
    "{\"subscriber_id\":\"s3.test\",\"subscriber_url\":\"http://s3.test\",\"type\":\"BPP\","
    "\"domain\":\"ONDC:RET11\",\"city\":\"std:080\"},"
    "{\"subscriber_id\":\"s4.test\",\"subscriber_url\":\"http://s4.test\",\"type\":\"BPP\","
    "\"domain\":\"ONDC:RET10\",\"city\":\"std:011\"},"
    "{\"subscriber_id\":\"s5.test\",\"subscriber_url\":\"http://s5.test\",\"type\":\"BPP\","
    "\"domain\":\"ONDC:RET10\",\"city\":\"std:080\",\"status\":\"INITIATED\"},"
    "{\"subscriber_id\":\"bap.test\",\"subscriber_url\":\"http://bap.test\",\"type\":\"BAP\","
    "\"domain\":\"ONDC:RET10\",\"city\":\"std:080\"}]";

static int s_setup(void **state)
{
    fixture_store_t *fx = fixture_store_new_open("test_buyer");
    if (!fx)
        return -1;
    snprintf(fx->cfg.registry_file, sizeof fx->cfg.registry_file, "%s/registry.json", fx->dir);
    FILE *f = fopen(fx->cfg.registry_file, "w");
    if (!f)
        return -1;
    fputs(s_registry, f);
    fclose(f);
    snprintf(fx->cfg.buyer_subscriber_id, sizeof fx->cfg.buyer_subscriber_id, "bap.test");
    snprintf(fx->cfg.bap_uri, sizeof fx->cfg.bap_uri, "http://bap.test/ondc");
    fx->cfg.buyer_ttl_s = 30;
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_store_t *fx = *state;
    return fixture_store_destroy(&fx);
}

/* s_send - buyer_send of ACTION with body TEXT in a committed transaction;
 * the answer (caller owns) or NULL with ERR; the rows in IDS/N */
static json_t *s_send(fixture_store_t *fx, int action, const char *text, ondc_err_t *err,
                      uint64_t *ids, int *n)
{
    json_t *in = json_loads(text, 0, NULL);
    assert_non_null(in);
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_non_null(txn);
    json_t *a = buyer_send(fx->s, txn, &fx->cfg, action, in, NOW, ids, n, err);
    if (a)
        assert_int_equal(store_commit(txn), 0);
    else
        mdb_txn_abort(txn);
    json_decref(in);
    return a;
}

/* s_row - outbox row ID's url into URL and its body parsed (caller owns) */
static json_t *s_row(fixture_store_t *fx, uint64_t id, char *url, size_t ulen)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    outbox_row_t row;
    assert_int_equal(outbox_get(fx->s, txn, id, &row), 0);
    snprintf(url, ulen, "%s", row.url);
    json_t *b = json_loadb(row.body, row.body_len, 0, NULL);
    outbox_row_clear(&row);
    mdb_txn_abort(txn);
    assert_non_null(b);
    return b;
}

static void test_search_to_every_seller_of_the_domain_and_city(void **state)
{
    fixture_store_t *fx = *state;
    uint64_t ids[BUYER_SEND_MAX];
    int n = 0;
    ondc_err_t err;
    json_t *a = s_send(fx, ACT_SEARCH,
                       "{\"context\":{\"domain\":\"ONDC:RET10\",\"city\":\"std:080\"},"
                       "\"message\":{\"intent\":{}}}", &err, ids, &n);
    assert_non_null(a);
    /* s1 (the city), s2 (every city); not s3 (domain), s4 (city), s5 (not subscribed), the BAP */
    assert_int_equal(n, 2);
    assert_int_equal(json_integer_value(json_object_get(a, "sent_to")), 2);
    char url[600];
    json_t *b = s_row(fx, ids[0], url, sizeof url);
    assert_string_equal(url, "http://s1.test/bpp/search");
    json_t *ctx = json_object_get(b, "context");
    assert_string_equal(context_str(ctx, "bap_id"), "bap.test");
    assert_string_equal(context_str(ctx, "bap_uri"), "http://bap.test/ondc");
    assert_string_equal(context_str(ctx, "action"), "search");
    assert_string_equal(context_str(ctx, "core_version"), "1.2.0");
    assert_string_equal(context_str(ctx, "ttl"), "PT30S");
    assert_string_equal(context_str(ctx, "message_id"),
                        json_string_value(json_object_get(a, "message_id")));
    assert_string_equal(context_str(ctx, "transaction_id"),
                        json_string_value(json_object_get(a, "transaction_id")));
    assert_null(json_object_get(ctx, "bpp_id"));
    json_decref(b);
    b = s_row(fx, ids[1], url, sizeof url);
    assert_string_equal(url, "http://s2.test/search");
    json_decref(b);
    json_decref(a);
    /* with a gateway: one copy, to it */
    snprintf(fx->cfg.buyer_gateway_uri, sizeof fx->cfg.buyer_gateway_uri, "http://gw.test/");
    a = s_send(fx, ACT_SEARCH,
               "{\"context\":{\"domain\":\"ONDC:RET10\",\"city\":\"std:080\"},\"message\":{}}",
               &err, ids, &n);
    assert_non_null(a);
    assert_int_equal(n, 1);
    b = s_row(fx, ids[0], url, sizeof url);
    assert_string_equal(url, "http://gw.test/search");
    json_decref(b);
    json_decref(a);
    fx->cfg.buyer_gateway_uri[0] = '\0';
}

static void test_bad_input_named_by_path(void **state)
{
    fixture_store_t *fx = *state;
    static const struct {
        int action;
        const char *body;
        int status;
        const char *path;
    } cases[] = {
        {ACT_SEARCH, "[1]", 400, ""},
        {ACT_SEARCH, "{\"context\":5,\"message\":{}}", 400, "context"},
        {ACT_SEARCH, "{\"context\":{\"domain\":\"ONDC:RET10\",\"city\":\"std:080\"}}", 400, "message"},
        {ACT_SEARCH, "{\"context\":{\"domain\":\"ONDC:RET10\",\"city\":\"std:080\"},\"message\":[]}", 400, "message"},
        {ACT_SEARCH, "{\"context\":{\"city\":\"std:080\"},\"message\":{}}", 400, "context.domain"},
        {ACT_SEARCH, "{\"context\":{\"domain\":\"ONDC:RET10\"},\"message\":{}}", 400, "context.city"},
        {ACT_SEARCH, "{\"context\":{\"domain\":7,\"city\":\"std:080\"},\"message\":{}}", 400, "context.domain"},
        {ACT_SEARCH, "{\"context\":{\"domain\":\"\",\"city\":\"std:080\"},\"message\":{}}", 400, "context.domain"},
        {ACT_SELECT, "{\"context\":{\"domain\":\"ONDC:RET10\",\"city\":\"std:080\"},\"message\":{}}", 400, "context.transaction_id"},
        {ACT_INIT, "{\"context\":{\"transaction_id\":\"nope\"},\"message\":{}}", 404, "context.transaction_id"},
        {ACT_SELECT, "{\"context\":{\"transaction_id\":\"t-new\",\"domain\":\"ONDC:RET10\",\"city\":\"std:080\"},\"message\":{}}", 400, "context.bpp_id"},
        {ACT_SELECT, "{\"context\":{\"transaction_id\":\"t-new\",\"domain\":\"ONDC:RET10\",\"city\":\"std:080\",\"bpp_id\":\"ghost.test\"},\"message\":{}}", 400, "context.bpp_id"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        uint64_t ids[BUYER_SEND_MAX];
        int n = -1;
        ondc_err_t err;
        err_clear(&err);
        json_t *a = s_send(fx, cases[i].action, cases[i].body, &err, ids, &n);
        if (a)
            fail_msg("case %zu accepted: %s", i, cases[i].body);
        assert_int_equal(err.http_status, cases[i].status);
        assert_string_equal(err.path, cases[i].path);
        assert_int_equal(n, 0);
    }
}

/* s_on - an on_* body of ACTION (without "on_") from BPP for TID/MID */
static json_t *s_on(const char *action, const char *bpp, const char *tid, const char *mid,
                    json_t *message)
{
    char act[32];
    snprintf(act, sizeof act, "on_%s", action);
    return json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},s:o}", "context", "domain",
                     "ONDC:RET10", "action", act, "bap_id", "bap.test", "bpp_id", bpp, "bpp_uri",
                     "http://s1.test/bpp", "transaction_id", tid, "message_id", mid, "timestamp",
                     "2024-06-01T00:00:00.000Z", "message", message ? message : json_object());
}

static int s_check(fixture_store_t *fx, json_t *root, int action, ondc_err_t *err)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    int rc = buyer_check_answer(fx->s, txn, &fx->cfg, root, ACT_ON_BASE + action, err);
    mdb_txn_abort(txn);
    return rc;
}

static void s_take(fixture_store_t *fx, json_t *root, uint64_t jid)
{
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_int_equal(buyer_take_answer(fx->s, txn, &fx->cfg, root, jid, NOW + (int64_t)jid), 0);
    assert_int_equal(store_commit(txn), 0);
}

static void test_answers_checked_kept_merged(void **state)
{
    fixture_store_t *fx = *state;
    uint64_t ids[BUYER_SEND_MAX];
    int n;
    ondc_err_t err;
    json_t *a = s_send(fx, ACT_SEARCH,
                       "{\"context\":{\"domain\":\"ONDC:RET10\",\"city\":\"std:080\","
                       "\"transaction_id\":\"T1\"},\"message\":{}}", &err, ids, &n);
    assert_non_null(a);
    char mid[64];
    snprintf(mid, sizeof mid, "%s", json_string_value(json_object_get(a, "message_id")));
    json_decref(a);
    /* two pages from s1, one from s2 */
    json_t *p1 = s_on("search", "s1.test", "T1", mid,
                      json_pack("{s:{s:[{s:s}],s:{s:s}}}", "catalog", "bpp/providers", "id", "P1",
                                "bpp/descriptor", "name", "S1"));
    json_t *p2 = s_on("search", "s1.test", "T1", mid,
                      json_pack("{s:{s:[{s:s}]}}", "catalog", "bpp/providers", "id", "P2"));
    json_t *q1 = s_on("search", "s2.test", "T1", mid,
                      json_pack("{s:{s:[{s:s}]}}", "catalog", "bpp/providers", "id", "Q1"));
    assert_int_equal(s_check(fx, p1, ACT_SEARCH, &err), 0);
    assert_int_equal(s_check(fx, q1, ACT_SEARCH, &err), 0);
    s_take(fx, p1, 10);
    s_take(fx, q1, 11);
    s_take(fx, p2, 12);
    s_take(fx, p2, 12); /* a re-dispatch writes the same key again */
    MDB_txn *txn = store_begin(fx->s, 1);
    json_t *all = buyer_answers(fx->s, txn, "bap.test", "T1", NULL, 0);
    assert_int_equal(json_array_size(all), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(all, 0), "seq")), 10);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(all, 2), "seq")), 12);
    json_t *after = buyer_answers(fx->s, txn, "bap.test", "T1", NULL, 10);
    assert_int_equal(json_array_size(after), 2);
    json_decref(after);
    json_t *merged = buyer_merge_search(all);
    assert_int_equal(json_array_size(merged), 2);
    json_t *m1 = json_array_get(merged, 0);
    assert_string_equal(json_string_value(json_object_get(m1, "bpp_id")), "s1.test");
    assert_int_equal(json_integer_value(json_object_get(m1, "pages")), 2);
    json_t *provs = json_object_get(json_object_get(m1, "catalog"), "bpp/providers");
    assert_int_equal(json_array_size(provs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(provs, 1), "id")), "P2");
    assert_non_null(json_object_get(json_object_get(m1, "catalog"), "bpp/descriptor"));
    json_decref(merged);
    json_decref(all);
    json_t *st = buyer_status(fx->s, txn, &fx->cfg, mid, &err);
    assert_non_null(st);
    assert_int_equal(json_array_size(json_object_get(st, "sent")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(st, "sent"), 0), "state")),
                        "pending");
    assert_int_equal(json_array_size(json_object_get(st, "sellers")), 2);
    json_decref(st);
    assert_null(buyer_status(fx->s, txn, &fx->cfg, "no-such-message", &err));
    assert_int_equal(err.http_status, 404);
    /* the transaction knows both sellers now */
    json_t *t = buyer_get(fx->s, txn, 't', "bap.test", "T1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(t, "sellers"), "s2.test")),
                        "http://s1.test/bpp");
    json_decref(t);
    mdb_txn_abort(txn);
    /* the wrong answers: each refused at its path */
    struct {
        json_t *root;
        int action;
        const char *path;
    } bad[] = {
        {s_on("search", "s1.test", "T1", "never-sent", NULL), ACT_SEARCH, "context.message_id"},
        {s_on("select", "s1.test", "T1", mid, NULL), ACT_SELECT, "context.action"},
        {s_on("search", "s1.test", "T2", mid, NULL), ACT_SEARCH, "context.transaction_id"},
        {s_on("status", "s1.test", "T1", "unasked", NULL), ACT_STATUS, "context.transaction_id"},
        {s_on("status", "s1.test", "T-none", "unasked", NULL), ACT_STATUS, "context.transaction_id"},
    };
    for (size_t i = 0; i < N(bad); i++) {
        err_clear(&err);
        assert_int_equal(s_check(fx, bad[i].root, bad[i].action, &err), -1);
        assert_string_equal(err.path, bad[i].path);
        assert_string_equal(err.code, BUYER_ERR_INVALID_RESPONSE);
        json_decref(bad[i].root);
    }
    json_object_set_new(json_object_get(p1, "context"), "bap_id", json_string("other.bap"));
    assert_int_equal(s_check(fx, p1, ACT_SEARCH, &err), -1);
    assert_string_equal(err.path, "context.bap_id");
    json_decref(p1);
    json_decref(p2);
    json_decref(q1);
}

static void test_order_as_last_described_and_unsolicited(void **state)
{
    fixture_store_t *fx = *state;
    uint64_t ids[BUYER_SEND_MAX];
    int n;
    ondc_err_t err;
    /* a select straight to s1 (its uri from the registry file), then confirm */
    json_t *a = s_send(fx, ACT_SELECT,
                       "{\"context\":{\"domain\":\"ONDC:RET10\",\"city\":\"std:080\","
                       "\"transaction_id\":\"T3\",\"bpp_id\":\"s1.test\"},\"message\":{}}",
                       &err, ids, &n);
    assert_non_null(a);
    assert_int_equal(n, 1);
    char url[600];
    json_t *b = s_row(fx, ids[0], url, sizeof url);
    assert_string_equal(url, "http://s1.test/bpp/select");
    assert_string_equal(context_str(json_object_get(b, "context"), "bpp_uri"), "http://s1.test/bpp");
    json_decref(b);
    json_decref(a);
    /* the other seller may not answer it */
    a = s_send(fx, ACT_CONFIRM, "{\"context\":{\"transaction_id\":\"T3\"},\"message\":{}}", &err,
               ids, &n);
    assert_non_null(a);
    char mid[64];
    snprintf(mid, sizeof mid, "%s", json_string_value(json_object_get(a, "message_id")));
    json_decref(a);
    json_t *wrong = s_on("confirm", "s2.test", "T3", mid, NULL);
    assert_int_equal(s_check(fx, wrong, ACT_CONFIRM, &err), -1);
    assert_string_equal(err.path, "context.bpp_id");
    json_decref(wrong);
    json_t *conf = s_on("confirm", "s1.test", "T3", mid,
                        json_pack("{s:{s:s,s:s}}", "order", "id", "O-1", "state", "Created"));
    assert_int_equal(s_check(fx, conf, ACT_CONFIRM, &err), 0);
    s_take(fx, conf, 20);
    json_decref(conf);
    /* unsolicited on_status of that order: accepted; a later one wins, an
     * older one arriving late does not undo it */
    json_t *st1 = s_on("status", "s1.test", "T3", "u1",
                       json_pack("{s:{s:s,s:s}}", "order", "id", "O-1", "state", "Completed"));
    json_t *st0 = s_on("status", "s1.test", "T3", "u0",
                       json_pack("{s:{s:s,s:s}}", "order", "id", "O-1", "state", "Accepted"));
    assert_int_equal(s_check(fx, st1, ACT_STATUS, &err), 0);
    s_take(fx, st1, 30);
    s_take(fx, st0, 25);
    json_decref(st1);
    json_decref(st0);
    json_t *other = s_on("status", "s2.test", "T3", "u2", NULL);
    assert_int_equal(s_check(fx, other, ACT_STATUS, &err), -1);
    assert_string_equal(err.path, "context.bpp_id");
    json_decref(other);
    MDB_txn *txn = store_begin(fx->s, 1);
    char tid[64];
    assert_int_equal(buyer_order_txn(fx->s, txn, "bap.test", "O-1", tid, sizeof tid), 0);
    assert_string_equal(tid, "T3");
    json_t *t = buyer_get(fx->s, txn, 't', "bap.test", "T3");
    assert_string_equal(json_string_value(json_object_get(json_object_get(t, "order"), "state")),
                        "Completed");
    assert_string_equal(json_string_value(json_object_get(t, "order_id")), "O-1");
    json_decref(t);
    json_t *all = buyer_answers(fx->s, txn, "bap.test", "T3", NULL, 0);
    assert_int_equal(json_array_size(all), 3); /* in journal order: 20, 25, 30 */
    assert_false(json_is_true(json_object_get(json_array_get(all, 1), "solicited")));
    json_decref(all);
    mdb_txn_abort(txn);
}

static void test_webhook_row(void **state)
{
    fixture_store_t *fx = *state;
    json_t *root = s_on("status", "s1.test", "T3", "u9", NULL);
    MDB_txn *txn = store_begin(fx->s, 0);
    uint64_t id = 99;
    assert_int_equal(buyer_webhook_put(fx->s, txn, &fx->cfg, root, 40, NOW, &id), 0);
    assert_int_equal(id, 0); /* no webhook_url: nothing */
    snprintf(fx->cfg.buyer_webhook_url, sizeof fx->cfg.buyer_webhook_url, "http://hook.test/x");
    assert_int_equal(buyer_webhook_put(fx->s, txn, &fx->cfg, root, 40, NOW, &id), 0);
    assert_true(id > 0);
    assert_int_equal(store_commit(txn), 0);
    fx->cfg.buyer_webhook_url[0] = '\0';
    char url[600];
    json_t *b = s_row(fx, id, url, sizeof url);
    assert_string_equal(url, "http://hook.test/x");
    assert_string_equal(json_string_value(json_object_get(b, "event")), "on_status");
    assert_int_equal(json_integer_value(json_object_get(b, "seq")), 40);
    assert_string_equal(json_string_value(json_object_get(b, "message_id")), "u9");
    json_decref(b);
    json_decref(root);
}

static void test_registry_cache(void **state)
{
    fixture_store_t *fx = *state;
    snprintf(fx->cfg.registry_url, sizeof fx->cfg.registry_url, "http://registry.test");
    fx->cfg.registry_cache_max_s = 60;
    fx->cfg.registry_negative_cache_s = 5;
    MDB_txn *txn = store_begin(fx->s, 0);
    int stale = 0;
    json_t *l = buyer_sellers_cached(fx->s, txn, &fx->cfg, "ONDC:RET12", "std:080", NOW, &stale);
    assert_int_equal(json_array_size(l), 0);
    assert_int_equal(stale, 1);
    json_decref(l);
    char uri[256];
    assert_int_equal(buyer_seller_uri_cached(fx->s, txn, &fx->cfg, "r1.test", NOW, uri, sizeof uri), 1);
    assert_int_equal(buyer_seller_uri_cached(fx->s, txn, &fx->cfg, "s1.test", NOW, uri, sizeof uri), 0);
    assert_string_equal(uri, "http://s1.test/bpp"); /* the file first */
    json_t *got = json_pack("[{s:s,s:s},{s:s,s:s}]", "subscriber_id", "r1.test", "subscriber_url",
                            "http://r1.test", "subscriber_id", "s1.test", "subscriber_url",
                            "http://elsewhere.test");
    assert_int_equal(buyer_registry_cache_put(fx->s, txn, &fx->cfg, "ONDC:RET12", "std:080", NULL,
                                              got, NOW), 0);
    json_decref(got);
    json_t *none = json_array();
    assert_int_equal(buyer_registry_cache_put(fx->s, txn, &fx->cfg, NULL, NULL, "ghost.test", none,
                                              NOW), 0);
    json_decref(none);
    assert_int_equal(store_commit(txn), 0);
    txn = store_begin(fx->s, 1);
    l = buyer_sellers_cached(fx->s, txn, &fx->cfg, "ONDC:RET12", "std:080", NOW + 1000, &stale);
    assert_int_equal(stale, 0);
    assert_int_equal(json_array_size(l), 2);
    json_decref(l);
    /* the file's sellers and the cached ones, each once */
    l = buyer_sellers_cached(fx->s, txn, &fx->cfg, "ONDC:RET10", "std:080", NOW + 1000, &stale);
    assert_int_equal(stale, 1);
    assert_int_equal(json_array_size(l), 2);
    json_decref(l);
    assert_int_equal(buyer_seller_uri_cached(fx->s, txn, &fx->cfg, "r1.test", NOW + 1000, uri, sizeof uri), 0);
    assert_string_equal(uri, "http://r1.test");
    /* unknown: remembered negative_cache_s, then asked again */
    assert_int_equal(buyer_seller_uri_cached(fx->s, txn, &fx->cfg, "ghost.test", NOW + 1000, uri, sizeof uri), -1);
    assert_int_equal(buyer_seller_uri_cached(fx->s, txn, &fx->cfg, "ghost.test", NOW + 6000, uri, sizeof uri), 1);
    /* out of date after cache_max_s */
    l = buyer_sellers_cached(fx->s, txn, &fx->cfg, "ONDC:RET12", "std:080", NOW + 61000, &stale);
    assert_int_equal(stale, 1);
    assert_int_equal(json_array_size(l), 0);
    json_decref(l);
    mdb_txn_abort(txn);
    /* without registry.url: the file only, never stale */
    fx->cfg.registry_url[0] = '\0';
    txn = store_begin(fx->s, 1);
    l = buyer_sellers_cached(fx->s, txn, &fx->cfg, "ONDC:RET12", "std:080", NOW, &stale);
    assert_int_equal(stale, 0);
    json_decref(l);
    assert_int_equal(buyer_seller_uri_cached(fx->s, txn, &fx->cfg, "r1.test", NOW, uri, sizeof uri), -1);
    mdb_txn_abort(txn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_to_every_seller_of_the_domain_and_city),
        cmocka_unit_test(test_bad_input_named_by_path),
        cmocka_unit_test(test_answers_checked_kept_merged),
        cmocka_unit_test(test_order_as_last_described_and_unsolicited),
        cmocka_unit_test(test_webhook_row),
        cmocka_unit_test(test_registry_cache),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
