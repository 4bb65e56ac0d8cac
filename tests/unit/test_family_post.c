/*
 * test_family_post.c - the post-fulfillment family (workers/family_post.c:
 * rating, support) driven as ondc-worker drives it (fixture_worker.h),
 * each test on a fresh store holding tests/fixtures/catalog-demo.json and
 * an order made by the order family (init then confirm).
 *
 * Happy paths: one rating (retail 1.2.0's single object) and a "ratings"
 * array, stored on the order per category and id, a later rating of the
 * same id replacing the earlier; support by order id, by transaction id
 * and with no ref_id, answered with the store's contacts.
 * Bad inputs (each test's table says which): a rating category nobody
 * knows, values 0, 6, 4.5, "abc" and none, no rated id, a bad entry in an
 * array (nothing of the array stored), a rating on a transaction with no
 * order; support for something that is neither an order nor a
 * transaction, and for a store that gave no contacts; an action of another
 * family.
 *
 * Run with the working directory at the repository root.
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

#include "catalog.h"
#include "context.h"
#include "fixture_worker.h"
#include "order.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CATALOG "tests/fixtures/catalog-demo.json"
#define TS "2024-06-01T10:00:00.000Z"
#define AMUL "111863"
#define TXN "txn-post"
#define OID "ORD-POST"

static int64_t s_now(void)
{
    return context_parse_time(TS) + 250;
}

/* a fresh store with the demo catalog and order OID on transaction TXN */
static int s_setup(void **state)
{
    fixture_store_t *fx = fixture_store_new_open("test_family_post");
    *state = fx;
    if (!fx || fixture_store_import(fx, CATALOG) < 0)
        return -1;
    json_t *o = fixture_worker_confirmed(
        fx, TXN, OID, AMUL, "[{\"id\":\"42602097\",\"quantity\":{\"count\":1}}]", TS, s_now());
    json_decref(o);
    return o ? 0 : -1;
}

static int s_teardown(void **state)
{
    return fixture_store_destroy((fixture_store_t **)state);
}

/* s_call - ACTION on transaction TID with MESSAGE (stolen): its one reply
 * (caller owns), checked as the answer */
static json_t *s_call(fixture_store_t *fx, const char *tid, const char *action, json_t *message)
{
    static int seq;
    char mid[64];
    snprintf(mid, sizeof mid, "%s-%s-%d", tid, action, ++seq);
    json_t *req = fixture_worker_request(fx, action, tid, mid, TS, message);
    uint64_t jid = 0;
    json_t *replies = fixture_worker_handle(fx, &family_post, req, s_now(), &jid);
    assert_non_null(replies);
    assert_int_equal(json_array_size(replies), 1);
    json_t *r = json_incref(json_array_get(replies, 0));
    fixture_assert_reply(fx, r, req, s_now(), jid);
    json_decref(replies);
    json_decref(req);
    return r;
}

/* s_ratings - the ratings stored on OID (caller owns; NULL when none) */
static json_t *s_ratings(fixture_store_t *fx)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    json_t *rec = order_by_txn(fx->s, txn, TXN, "buyer.example");
    mdb_txn_abort(txn);
    assert_non_null(rec);
    json_t *r = json_incref(json_object_get(rec, "ratings"));
    json_decref(rec);
    return r;
}

static void s_assert_ratings(fixture_store_t *fx, const char *want)
{
    json_t *got = s_ratings(fx);
    json_t *w = want ? json_loads(want, 0, NULL) : NULL;
    if (!(got == NULL && w == NULL) && !json_equal(got, w)) {
        char *text = got ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        print_error("ratings %s, want %s\n", text ? text : "(none)", want ? want : "(none)");
        free(text);
        json_decref(got);
        json_decref(w);
        fail();
    }
    json_decref(got);
    json_decref(w);
}

/* ---- rating ---- */

/* ratings acknowledged and stored per category and id */
static void test_rating(void **state)
{
    fixture_store_t *fx = *state;
    json_t *r =
        s_call(fx, TXN, "rating",
               json_pack("{s:s,s:s,s:i}", "rating_category", "Provider", "id", AMUL, "value", 5));
    assert_null(fixture_json_at(r, "body.error"));
    json_t *want = json_pack("{s:b,s:b}", "feedback_ack", 0, "rating_ack", 1);
    assert_true(json_equal(fixture_json_at(r, "body.message"), want));
    json_decref(want);
    json_decref(r);
    s_assert_ratings(fx, "{\"Provider\":{\"111863\":5}}");
    /* an array, values as text and as a whole real; the provider rated again */
    r = s_call(fx, TXN, "rating",
               json_pack("{s:[{s:s,s:s,s:s},{s:s,s:s,s:f},{s:s,s:s,s:i}]}", "ratings",
                         "rating_category", "Item", "id", "42602097", "value", "4",
                         "rating_category", "Order", "id", OID, "value", 3.0, "rating_category",
                         "Provider", "id", AMUL, "value", 2));
    assert_null(fixture_json_at(r, "body.error"));
    json_decref(r);
    s_assert_ratings(fx, "{\"Provider\":{\"111863\":2},\"Item\":{\"42602097\":4},"
                         "\"Order\":{\"ORD-POST\":3}}");
}

/* refused ratings leave what was stored. Bad inputs: see the table */
static void test_rating_refused(void **state)
{
    fixture_store_t *fx = *state;
    static const struct {
        const char *what, *message, *type, *code, *path;
    } bad[] = {
        {"a category nobody knows", "{\"rating_category\":\"Weather\",\"id\":\"x\",\"value\":3}",
         "POLICY-ERROR", "50003", "message.rating_category"},
        {"no category", "{\"id\":\"x\",\"value\":3}", "POLICY-ERROR", "50003",
         "message.rating_category"},
        {"7", "{\"rating_category\":\"Item\",\"id\":\"42602097\",\"value\":7}", "DOMAIN-ERROR",
         "30015", "message.value"},
        {"0", "{\"rating_category\":\"Item\",\"id\":\"42602097\",\"value\":0}", "DOMAIN-ERROR",
         "30015", "message.value"},
        {"4.5", "{\"rating_category\":\"Item\",\"id\":\"42602097\",\"value\":4.5}", "DOMAIN-ERROR",
         "30015", "message.value"},
        {"\"abc\"", "{\"rating_category\":\"Item\",\"id\":\"42602097\",\"value\":\"abc\"}",
         "DOMAIN-ERROR", "30015", "message.value"},
        {"no value", "{\"rating_category\":\"Item\",\"id\":\"42602097\"}", "DOMAIN-ERROR", "30015",
         "message.value"},
        {"no rated id", "{\"rating_category\":\"Agent\",\"value\":4}", "JSON-SCHEMA-ERROR", "30000",
         "message.id"},
        {"an empty rated id", "{\"rating_category\":\"Agent\",\"id\":\"\",\"value\":4}",
         "JSON-SCHEMA-ERROR", "30000", "message.id"},
        {"a bad second entry: the first not stored either",
         "{\"ratings\":[{\"rating_category\":\"Item\",\"id\":\"42602097\",\"value\":4},"
         "{\"rating_category\":\"Fulfillment\",\"id\":\"1\",\"value\":9}]}",
         "DOMAIN-ERROR", "30015", "message.ratings[1].value"},
    };
    for (size_t i = 0; i < N(bad); i++) {
        print_message("rating: %s\n", bad[i].what);
        json_t *r = s_call(fx, TXN, "rating", json_loads(bad[i].message, 0, NULL));
        fixture_assert_error(r, bad[i].type, bad[i].code, bad[i].path);
        assert_null(fixture_json_at(r, "body.message"));
        json_decref(r);
        s_assert_ratings(fx, NULL);
    }
    /* a transaction with no order */
    json_t *r =
        s_call(fx, "txn-none", "rating",
               json_pack("{s:s,s:s,s:i}", "rating_category", "Provider", "id", AMUL, "value", 5));
    fixture_assert_error(r, "DOMAIN-ERROR", "30018", "context.transaction_id");
    json_decref(r);
}

/* ---- support ---- */

/* the store's contacts, found by order id, by transaction id, and by the
 * request's transaction when ref_id names nothing or is left out */
static void test_support(void **state)
{
    fixture_store_t *fx = *state;
    json_t *want =
        json_pack("{s:s,s:s,s:s}", "phone", "9886098860", "email", "care@amulparlour.example",
                  "uri", "https://amulparlour.example/support");
    static const struct {
        const char *what, *tid, *ref;
    } cases[] = {
        {"by order id", "txn-other", OID},
        {"by transaction id", "txn-other", TXN},
        {"no ref_id: the request's transaction", TXN, NULL},
        {"a ref_id that names nothing, on the order's transaction", TXN, "nothing"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        print_message("support: %s\n", cases[i].what);
        json_t *m = cases[i].ref ? json_pack("{s:s}", "ref_id", cases[i].ref) : json_object();
        json_t *r = s_call(fx, cases[i].tid, "support", m);
        assert_null(fixture_json_at(r, "body.error"));
        assert_true(json_equal(fixture_json_at(r, "body.message"), want));
        json_decref(r);
    }
    json_decref(want);
    /* neither an order nor a transaction of this buyer app */
    json_t *r = s_call(fx, "txn-other", "support", json_pack("{s:s}", "ref_id", "nothing"));
    fixture_assert_error(r, "DOMAIN-ERROR", "30018", "message.ref_id");
    json_decref(r);
}

/* a store that gave no contacts: 50004 */
static void test_support_unavailable(void **state)
{
    fixture_store_t *fx = *state;
    json_t *cat = fixture_worker_load(CATALOG);
    assert_non_null(cat);
    json_object_del(fixture_json_at(cat, "bpp/providers[0].seller"), "support");
    MDB_txn *txn = store_begin(fx->s, 0);
    ondc_err_t err;
    assert_int_equal(catalog_import(fx->s, txn, cat, CATALOG_UPSERT, &err), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(cat);
    json_t *r = s_call(fx, TXN, "support", json_pack("{s:s}", "ref_id", OID));
    fixture_assert_error(r, "POLICY-ERROR", "50004", "message.ref_id");
    json_decref(r);
}

/* an action of another family sent here: an on_* with 31001 */
static void test_other_family_action(void **state)
{
    fixture_store_t *fx = *state;
    json_t *r = s_call(fx, TXN, "cancel", json_pack("{s:s}", "order_id", OID));
    fixture_assert_error(r, "CORE-ERROR", "31001", "context.action");
    json_decref(r);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_rating),
        T(test_rating_refused),
        T(test_support),
        T(test_support_unavailable),
        T(test_other_family_action),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
