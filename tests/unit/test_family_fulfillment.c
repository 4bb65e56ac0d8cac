/*
 * test_family_fulfillment.c - the fulfillment family (workers/
 * family_fulfillment.c: status, track, cancel, update) driven as
 * ondc-worker drives it (fixture_worker.h), each test on a fresh store
 * holding tests/fixtures/catalog-demo.json and orders made by the order
 * family (init then confirm), moved along by the seller layer's order
 * functions as the order desk moves them.
 *
 * Happy paths: status by message.order_id and by message.order.id; track
 * once the seller set tracking (inactive before pick-up, active with the
 * agent's position after); a buyer cancel in each state that allows it
 * (the order Cancelled, the quote trail, the stock back); a return of a
 * delivered item within its window; the buyer app's refund details.
 * Bad inputs (each test's table says which): an order that does not
 * exist, another buyer app's order, no order id; track of an untracked
 * order; a cancel with a seller's reason code or none, after pick-up,
 * after delivery, of an order already cancelled, with an item that is
 * not cancellable; a return before delivery, after its window, of an item
 * that is not returnable, of more units than ordered or none, with an
 * unknown reason or fields missing, asked twice; an update that is
 * neither; a cancel dispatched twice (answered once, stock back once);
 * an action of another family.
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
#define DAY_MS 86400000LL

static int64_t s_now(void)
{
    return context_parse_time(TS) + 250;
}

static int s_setup(void **state)
{
    fixture_store_t *fx = fixture_store_new_open("test_family_fulfillment");
    *state = fx;
    return fx ? fixture_store_import(fx, CATALOG) : -1;
}

static int s_teardown(void **state)
{
    return fixture_store_destroy((fixture_store_t **)state);
}

/* s_order - an order OID of ITEMS at the first store, on transaction OID */
static void s_order(fixture_store_t *fx, const char *oid, const char *items)
{
    json_t *o = fixture_worker_confirmed(fx, oid, oid, AMUL, items, TS, s_now());
    assert_non_null(o);
    assert_string_equal(fixture_str_at(o, "state"), "Created");
    json_decref(o);
}

static json_t *s_rec(fixture_store_t *fx, MDB_txn *txn, const char *oid)
{
    char key[400];
    assert_int_equal(order_key(oid, "buyer.example", key, sizeof key), 0);
    return order_get(fx->s, txn, key);
}

/* s_desk - the seller moves order OID: accepts it, then its delivery
 * through each fulfillment state up to TO ("Accepted": accepted only);
 * delivered at AT_MS. As the order desk does it. */
static void s_desk(fixture_store_t *fx, const char *oid, const char *to, int64_t at_ms)
{
    static const char *const path[] = {"Packed", "Agent-assigned", "Order-picked-up",
                                       "Out-for-delivery", "Order-delivered"};
    char ts[40];
    context_format_time(at_ms, ts, sizeof ts);
    MDB_txn *txn = store_begin(fx->s, 0);
    json_t *rec = s_rec(fx, txn, oid);
    assert_non_null(rec);
    ondc_err_t err;
    uint64_t outbox = 0;
    assert_int_equal(order_accept(fx->s, txn, &fx->cfg, rec, at_ms, &outbox, &err), 0);
    for (size_t i = 0; strcmp(to, "Accepted") != 0 && i < N(path); i++) {
        assert_int_equal(order_advance(rec, path[i], ts, &err), 0);
        json_t *f = order_fulfillment(json_object_get(rec, "order"));
        if (strcmp(path[i], "Agent-assigned") == 0)
            json_object_set_new(f, "agent",
                                json_pack("{s:s,s:s}", "name", "Ravi", "phone", "9886012345"));
        if (strcmp(path[i], "Order-delivered") == 0)
            json_object_set_new(json_object_get(f, "end"), "time",
                                json_pack("{s:s}", "timestamp", ts));
        if (strcmp(path[i], to) == 0)
            break;
    }
    assert_int_equal(order_put(fx->s, txn, rec), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(rec);
}

/* s_call - ACTION on OID's transaction with MESSAGE (stolen) at NOW_MS:
 * its one reply (caller owns), checked as the answer */
static json_t *s_call(fixture_store_t *fx, const char *txn, const char *action, json_t *message,
                      int64_t now_ms)
{
    static int seq;
    char mid[64];
    snprintf(mid, sizeof mid, "%s-%s-%d", txn, action, ++seq);
    json_t *req = fixture_worker_request(fx, action, txn, mid, TS, message);
    uint64_t jid = 0;
    json_t *replies = fixture_worker_handle(fx, &family_fulfillment, req, now_ms, &jid);
    assert_non_null(replies);
    assert_int_equal(json_array_size(replies), 1);
    json_t *r = json_incref(json_array_get(replies, 0));
    fixture_assert_reply(fx, r, req, now_ms, jid);
    json_decref(replies);
    json_decref(req);
    return r;
}

static int64_t s_stock(fixture_store_t *fx, const char *iid)
{
    int64_t st = -1;
    MDB_txn *txn = store_begin(fx->s, 1);
    catalog_stock(fx->s, txn, AMUL, iid, &st);
    mdb_txn_abort(txn);
    return st;
}

/* s_stored - the stored order of OID (caller owns) */
static json_t *s_stored(fixture_store_t *fx, const char *oid)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    json_t *rec = s_rec(fx, txn, oid);
    mdb_txn_abort(txn);
    assert_non_null(rec);
    json_t *o = json_incref(json_object_get(rec, "order"));
    json_decref(rec);
    return o;
}

/* ---- status ---- */

/* status: the order as stored, by message.order_id or message.order.id.
 * Bad inputs: an order that does not exist, another buyer app's order (its
 * id under another bap_id), no order id at all */
static void test_status(void **state)
{
    fixture_store_t *fx = *state;
    s_order(fx, "ORD-S", "[{\"id\":\"42602101\",\"quantity\":{\"count\":2}}]");
    json_t *stored = s_stored(fx, "ORD-S");
    json_t *r = s_call(fx, "ORD-S", "status", json_pack("{s:s}", "order_id", "ORD-S"), s_now());
    assert_null(fixture_json_at(r, "body.error"));
    assert_true(json_equal(fixture_json_at(r, "body.message.order"), stored));
    json_decref(r);
    r = s_call(fx, "ORD-S", "status", json_pack("{s:{s:s}}", "order", "id", "ORD-S"), s_now());
    assert_true(json_equal(fixture_json_at(r, "body.message.order"), stored));
    json_decref(r);
    json_decref(stored);

    static const struct {
        const char *what, *message, *type, *code, *path;
    } bad[] = {
        {"an order that does not exist", "{\"order_id\":\"NOPE\"}", "DOMAIN-ERROR", "30018",
         "message.order_id"},
        {"by message.order.id", "{\"order\":{\"id\":\"NOPE\"}}", "DOMAIN-ERROR", "30018",
         "message.order.id"},
        {"no order id", "{}", "JSON-SCHEMA-ERROR", "30000", "message.order.id"},
        {"an order id that is not a string", "{\"order_id\":7}", "JSON-SCHEMA-ERROR", "30000",
         "message.order_id"},
    };
    for (size_t i = 0; i < N(bad); i++) {
        print_message("status: %s\n", bad[i].what);
        json_t *m = json_loads(bad[i].message, 0, NULL);
        r = s_call(fx, "ORD-S", "status", m, s_now());
        fixture_assert_error(r, bad[i].type, bad[i].code, bad[i].path);
        assert_null(fixture_json_at(r, "body.message"));
        json_decref(r);
    }
    /* another buyer app asks for this buyer app's order */
    json_t *req = fixture_worker_request(fx, "status", "ORD-S", "other-bap", TS,
                                         json_pack("{s:s}", "order_id", "ORD-S"));
    json_object_set_new(json_object_get(req, "context"), "bap_id", json_string("other.example"));
    uint64_t jid = 0;
    json_t *replies = fixture_worker_handle(fx, &family_fulfillment, req, s_now(), &jid);
    assert_non_null(replies);
    fixture_assert_error(json_array_get(replies, 0), "DOMAIN-ERROR", "30018", "message.order_id");
    json_decref(replies);
    json_decref(req);
}

/* ---- track ---- */

/* track: 40005 until the seller sets tracking; inactive before the agent
 * has the goods, active with the position after. Bad inputs: an untracked
 * order, an order that does not exist */
static void test_track(void **state)
{
    fixture_store_t *fx = *state;
    s_order(fx, "ORD-T", "[{\"id\":\"42602097\",\"quantity\":{\"count\":1}}]");
    json_t *r = s_call(fx, "ORD-T", "track", json_pack("{s:s}", "order_id", "ORD-T"), s_now());
    fixture_assert_error(r, "DOMAIN-ERROR", "40005", "message.order_id");
    json_decref(r);
    r = s_call(fx, "ORD-T", "track", json_pack("{s:s}", "order_id", "NOPE"), s_now());
    fixture_assert_error(r, "DOMAIN-ERROR", "30018", "message.order_id");
    json_decref(r);

    /* the seller sets tracking, as the order desk does */
    MDB_txn *txn = store_begin(fx->s, 0);
    json_t *rec = s_rec(fx, txn, "ORD-T");
    json_object_set_new(order_fulfillment(json_object_get(rec, "order")), "tracking", json_true());
    json_object_set_new(rec, "tracking",
                        json_pack("{s:s,s:s,s:s}", "url", "https://track.example/o/1", "gps",
                                  "12.974002,77.613458", "updated_at", TS));
    assert_int_equal(order_put(fx->s, txn, rec), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(rec);

    r = s_call(fx, "ORD-T", "track", json_pack("{s:s}", "order_id", "ORD-T"), s_now());
    assert_null(fixture_json_at(r, "body.error"));
    assert_string_equal(fixture_str_at(r, "body.message.tracking.url"),
                        "https://track.example/o/1");
    assert_string_equal(fixture_str_at(r, "body.message.tracking.status"), "inactive");
    assert_string_equal(fixture_str_at(r, "body.message.tracking.id"), "1");
    assert_null(fixture_json_at(r, "body.message.tracking.location"));
    json_decref(r);

    s_desk(fx, "ORD-T", "Agent-assigned", s_now());
    r = s_call(fx, "ORD-T", "track", json_pack("{s:s}", "order_id", "ORD-T"), s_now());
    assert_string_equal(fixture_str_at(r, "body.message.tracking.status"), "active");
    assert_string_equal(fixture_str_at(r, "body.message.tracking.location.gps"),
                        "12.974002,77.613458");
    assert_string_equal(fixture_str_at(r, "body.message.tracking.location.time.timestamp"), TS);
    json_decref(r);
}

/* ---- cancel ---- */

/* a buyer cancel in each state: allowed until pick-up (the order
 * Cancelled, its quote refunded row by row, the stock back), refused
 * (50001) from pick-up on and once cancelled, leaving order and stock as
 * they were */
static void test_cancel_by_state(void **state)
{
    fixture_store_t *fx = *state;
    static const struct {
        const char *state; /* where the seller has the order */
        int ok;
    } cases[] = {
        {"Created", 1},         {"Accepted", 1},        {"Packed", 1},
        {"Agent-assigned", 1},  {"Order-picked-up", 0}, {"Out-for-delivery", 0},
        {"Order-delivered", 0},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char oid[32];
        snprintf(oid, sizeof oid, "ORD-C%zu", i);
        int64_t before = s_stock(fx, "42602101");
        s_order(fx, oid, "[{\"id\":\"42602101\",\"quantity\":{\"count\":2}}]");
        assert_int_equal(s_stock(fx, "42602101"), before - 2);
        if (strcmp(cases[i].state, "Created") != 0)
            s_desk(fx, oid, cases[i].state, s_now());
        json_t *was = s_stored(fx, oid);
        print_message("cancel when %s\n", cases[i].state);
        json_t *r = s_call(fx, oid, "cancel",
                           json_pack("{s:s,s:s}", "order_id", oid, "cancellation_reason_id", "003"),
                           s_now());
        json_t *now = s_stored(fx, oid);
        if (!cases[i].ok) {
            fixture_assert_error(r, "POLICY-ERROR", "50001", "message.order_id");
            assert_true(json_equal(was, now));
            assert_int_equal(s_stock(fx, "42602101"), before - 2);
        } else {
            assert_null(fixture_json_at(r, "body.error"));
            json_t *o = fixture_json_at(r, "body.message.order");
            json_t *wire = order_wire(now, "on_cancel");
            assert_true(json_equal(o, wire));
            json_decref(wire);
            assert_null(json_object_get(o, "tags")); /* none on on_cancel */
            assert_string_equal(fixture_str_at(o, "state"), "Cancelled");
            assert_string_equal(fixture_str_at(o, "cancellation.cancelled_by"), "buyer.example");
            assert_string_equal(fixture_str_at(o, "cancellation.reason.id"), "003");
            assert_string_equal(fixture_str_at(o, "fulfillments[0].state.descriptor.code"),
                                "Cancelled");
            assert_string_equal(fixture_str_at(o, "quote.price.value"), "0.00");
            /* the Cancel fulfillment: every row of 54 + 23 + 25 refunded */
            json_t *c = fixture_json_at(o, "fulfillments[1]");
            assert_string_equal(fixture_str_at(c, "type"), "Cancel");
            char trail[256] = "";
            size_t k;
            json_t *t;
            json_array_foreach(json_object_get(c, "tags"), k, t)
            {
                char one[64];
                snprintf(one, sizeof one, "%s%s=%s", k ? " " : "",
                         fixture_str_at(t, "list[0].value"), fixture_str_at(t, "list[3].value"));
                strncat(trail, one, sizeof trail - strlen(trail) - 1);
            }
            assert_string_equal(trail, "item=-54.00 delivery=-23.00 packing=-25.00");
            assert_int_equal(s_stock(fx, "42602101"), before);
        }
        json_decref(was);
        json_decref(now);
        json_decref(r);
    }
    /* once cancelled, again */
    json_t *r = s_call(
        fx, "ORD-C0", "cancel",
        json_pack("{s:s,s:s}", "order_id", "ORD-C0", "cancellation_reason_id", "003"), s_now());
    fixture_assert_error(r, "POLICY-ERROR", "50001", "message.order_id");
    json_decref(r);
}

/* cancels refused before any state is looked at. Bad inputs: a seller's
 * reason code, no reason, an order that does not exist, an item the
 * catalog says may not be cancelled */
static void test_cancel_refused(void **state)
{
    fixture_store_t *fx = *state;
    s_order(fx, "ORD-X", "[{\"id\":\"42602097\",\"quantity\":{\"count\":1}}]");
    static const struct {
        const char *what, *message, *type, *code, *path;
    } bad[] = {
        {"a seller's reason", "{\"order_id\":\"ORD-X\",\"cancellation_reason_id\":\"005\"}",
         "DOMAIN-ERROR", "30012", "message.cancellation_reason_id"},
        {"no reason", "{\"order_id\":\"ORD-X\"}", "DOMAIN-ERROR", "30012",
         "message.cancellation_reason_id"},
        {"an order that does not exist",
         "{\"order_id\":\"NOPE\",\"cancellation_reason_id\":\"001\"}", "DOMAIN-ERROR", "30018",
         "message.order_id"},
    };
    json_t *was = s_stored(fx, "ORD-X");
    for (size_t i = 0; i < N(bad); i++) {
        print_message("cancel: %s\n", bad[i].what);
        json_t *r = s_call(fx, "ORD-X", "cancel", json_loads(bad[i].message, 0, NULL), s_now());
        fixture_assert_error(r, bad[i].type, bad[i].code, bad[i].path);
        json_decref(r);
    }
    /* the seller makes the item not cancellable */
    MDB_txn *txn = store_begin(fx->s, 0);
    json_t *item = catalog_item(fx->s, txn, AMUL, "42602097");
    json_object_set_new(item, "@ondc/org/cancellable", json_false());
    assert_int_equal(catalog_put_item(fx->s, txn, AMUL, item), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(item);
    json_t *r = s_call(fx, "ORD-X", "cancel",
                       json_pack("{s:s,s:s}", "order_id", "ORD-X", "cancellation_reason_id", "001"),
                       s_now());
    fixture_assert_error(r, "POLICY-ERROR", "50001", "message.order_id");
    json_decref(r);
    json_t *now = s_stored(fx, "ORD-X");
    assert_true(json_equal(was, now));
    json_decref(was);
    json_decref(now);
}

/* the dispatcher sends a cancel again: answered once, stock back once */
static void test_cancel_redispatched(void **state)
{
    fixture_store_t *fx = *state;
    int64_t before = s_stock(fx, "42602101");
    s_order(fx, "ORD-R", "[{\"id\":\"42602101\",\"quantity\":{\"count\":4}}]");
    json_t *req = fixture_worker_request(
        fx, "cancel", "ORD-R", "cancel-once", TS,
        json_pack("{s:s,s:s}", "order_id", "ORD-R", "cancellation_reason_id", "001"));
    uint64_t jid = 0;
    json_t *first = fixture_worker_handle(fx, &family_fulfillment, req, s_now(), &jid);
    assert_non_null(first);
    assert_int_equal(json_array_size(first), 1);
    assert_int_equal(s_stock(fx, "42602101"), before);
    json_t *again = fixture_worker_handle(fx, &family_fulfillment, req, s_now() + 1000, &jid);
    assert_non_null(again);
    assert_int_equal(json_array_size(again), 0);
    assert_int_equal(s_stock(fx, "42602101"), before);
    json_decref(first);
    json_decref(again);
    json_decref(req);
}

/* ---- update ---- */

/* s_return - an update asking to return N (text) of IID under return id
 * RID with REASON (any of them NULL: left out) */
static json_t *s_return_msg(const char *oid, const char *rid, const char *iid, const char *n,
                            const char *reason)
{
    json_t *list = json_array();
    const char *codes[] = {"id", "item_id", "item_quantity", "reason_id"};
    const char *vals[] = {rid, iid, n, reason};
    for (size_t i = 0; i < N(codes); i++)
        if (vals[i])
            json_array_append_new(list, json_pack("{s:s,s:s}", "code", codes[i], "value", vals[i]));
    return json_pack("{s:s,s:{s:s,s:[{s:s,s:[{s:s,s:o}]}]}}", "update_target", "item", "order",
                     "id", oid, "fulfillments", "type", "Return", "tags", "code", "return_request",
                     "list", list);
}

/* returns: one of two butters (returnable for a day) once delivered.
 * Bad inputs: before delivery, an unknown reason, more units than ordered,
 * none, a field missing, an item that is not returnable, after the
 * window, the same return id twice, an update that is neither a return nor
 * refund details, an order that does not exist */
static void test_update_return(void **state)
{
    fixture_store_t *fx = *state;
    const char *path = "message.order.fulfillments[0].tags";
    s_order(fx, "ORD-U",
            "[{\"id\":\"42602105\",\"quantity\":{\"count\":2}},{\"id\":\"42602101\",\"quantity\":{"
            "\"count\":1}}]");
    json_t *r =
        s_call(fx, "ORD-U", "update", s_return_msg("ORD-U", "R1", "42602105", "1", "003"), s_now());
    fixture_assert_error(r, "POLICY-ERROR", "50002", path);
    json_decref(r);
    s_desk(fx, "ORD-U", "Order-delivered", s_now());
    json_t *was = s_stored(fx, "ORD-U");

    static const struct {
        const char *what, *rid, *iid, *n, *reason, *type, *code, *why;
        int64_t later_ms;
    } bad[] = {
        {"an unknown reason", "R1", "42602105", "1", "999", "DOMAIN-ERROR", "30005",
         "return reason 999 is not valid", 0},
        {"more units than ordered", "R1", "42602105", "3", "003", "DOMAIN-ERROR", "30005",
         "item 42602105: 2 ordered, cannot return 3", 0},
        {"no units", "R1", "42602105", "0", "003", "DOMAIN-ERROR", "30005",
         "item 42602105: 2 ordered, cannot return 0", 0},
        {"an item not ordered", "R1", "42602097", "1", "003", "DOMAIN-ERROR", "30005",
         "item 42602097: 0 ordered, cannot return 1", 0},
        {"no item id", "R1", NULL, "1", "003", "JSON-SCHEMA-ERROR", "30000",
         "return_request needs id, item_id, item_quantity and reason_id", 0},
        {"no reason", "R1", "42602105", "1", NULL, "JSON-SCHEMA-ERROR", "30000",
         "return_request needs id, item_id, item_quantity and reason_id", 0},
        {"an item that is not returnable", "R1", "42602101", "1", "003", "POLICY-ERROR", "50002",
         "item 42602101 is not returnable", 0},
        {"after the return window", "R1", "42602105", "1", "003", "POLICY-ERROR", "50002",
         "the return window of item 42602105 has closed", DAY_MS + 1000},
    };
    for (size_t i = 0; i < N(bad); i++) {
        print_message("return: %s\n", bad[i].what);
        r = s_call(fx, "ORD-U", "update",
                   s_return_msg("ORD-U", bad[i].rid, bad[i].iid, bad[i].n, bad[i].reason),
                   s_now() + bad[i].later_ms);
        fixture_assert_error(r, bad[i].type, bad[i].code, path);
        assert_string_equal(fixture_str_at(r, "body.error.message"), bad[i].why);
        json_decref(r);
        json_t *now = s_stored(fx, "ORD-U");
        assert_true(json_equal(was, now));
        json_decref(now);
    }
    json_decref(was);

    /* within the window: a Return fulfillment, Return_Initiated */
    r = s_call(fx, "ORD-U", "update", s_return_msg("ORD-U", "R1", "42602105", "1", "003"),
               s_now() + 1000);
    assert_null(fixture_json_at(r, "body.error"));
    json_t *o = fixture_json_at(r, "body.message.order");
    json_t *stored = s_stored(fx, "ORD-U");
    assert_true(json_equal(o, stored));
    json_decref(stored);
    json_t *ret = json_array_get(json_object_get(o, "fulfillments"),
                                 json_array_size(json_object_get(o, "fulfillments")) - 1);
    assert_string_equal(fixture_str_at(ret, "id"), "R1");
    assert_string_equal(fixture_str_at(ret, "type"), "Return");
    assert_string_equal(fixture_str_at(ret, "state.descriptor.code"), "Return_Initiated");
    assert_string_equal(fixture_str_at(ret, "tags[0].code"), "return_request");
    assert_string_equal(fixture_str_at(ret, "tags[0].list[4].code"), "initiated_by");
    assert_string_equal(fixture_str_at(ret, "tags[0].list[4].value"), "buyer.example");
    assert_string_equal(fixture_str_at(o, "updated_at"),
                        fixture_str_at(r, "body.context.timestamp"));
    json_decref(r);

    /* the same return again */
    r = s_call(fx, "ORD-U", "update", s_return_msg("ORD-U", "R1", "42602105", "1", "003"),
               s_now() + 2000);
    fixture_assert_error(r, "POLICY-ERROR", "50002", path);
    json_decref(r);
    /* neither a return nor refund details */
    r = s_call(fx, "ORD-U", "update",
               json_pack("{s:s,s:{s:s}}", "update_target", "billing", "order", "id", "ORD-U"),
               s_now());
    fixture_assert_error(r, "POLICY-ERROR", "50002", "message.update_target");
    json_decref(r);
    r = s_call(fx, "ORD-U", "update", s_return_msg("NOPE", "R2", "42602105", "1", "003"), s_now());
    fixture_assert_error(r, "DOMAIN-ERROR", "30018", "message.order.id");
    json_decref(r);
}

/* the buyer app's settlement details for a refund, kept on the order */
static void test_update_payment(void **state)
{
    fixture_store_t *fx = *state;
    s_order(fx, "ORD-P", "[{\"id\":\"42602097\",\"quantity\":{\"count\":1}}]");
    json_t *details = json_pack("[{s:s,s:s,s:s}]", "settlement_counterparty", "buyer",
                                "settlement_type", "upi", "upi_address", "buyer@upi");
    json_t *before = s_stored(fx, "ORD-P");
    json_t *had = json_deep_copy(fixture_json_at(before, "payment.@ondc/org/settlement_details"));
    json_decref(before);
    json_t *r = s_call(fx, "ORD-P", "update",
                       json_pack("{s:s,s:{s:s,s:{s:O}}}", "update_target", "payment", "order", "id",
                                 "ORD-P", "payment", "@ondc/org/settlement_details", details),
                       s_now());
    assert_null(fixture_json_at(r, "body.error"));
    /* the refund's entry joins the seller's, which stay */
    json_t *got = fixture_json_at(r, "body.message.order.payment.@ondc/org/settlement_details");
    assert_true(json_array_size(had) > 0);
    assert_int_equal(json_array_size(got), json_array_size(had) + 1);
    for (size_t k = 0; k < json_array_size(had); k++)
        assert_true(json_equal(json_array_get(got, k), json_array_get(had, k)));
    assert_true(json_equal(json_array_get(got, json_array_size(had)), json_array_get(details, 0)));
    json_decref(had);
    json_t *stored = s_stored(fx, "ORD-P");
    assert_true(json_equal(fixture_json_at(stored, "payment"),
                           fixture_json_at(r, "body.message.order.payment")));
    json_decref(stored);
    json_decref(r);
    /* payment without details: nothing to do */
    r = s_call(fx, "ORD-P", "update",
               json_pack("{s:s,s:{s:s,s:{}}}", "update_target", "payment", "order", "id", "ORD-P",
                         "payment"),
               s_now());
    fixture_assert_error(r, "POLICY-ERROR", "50002", "message.update_target");
    json_decref(r);
    json_decref(details);
}

/* an action of another family sent here: an on_* with 31001 */
static void test_other_family_action(void **state)
{
    fixture_store_t *fx = *state;
    json_t *r = s_call(fx, "ORD-W", "rating", json_pack("{s:s}", "id", "x"), s_now());
    fixture_assert_error(r, "CORE-ERROR", "31001", "context.action");
    json_decref(r);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_status),
        T(test_track),
        T(test_cancel_by_state),
        T(test_cancel_refused),
        T(test_cancel_redispatched),
        T(test_update_return),
        T(test_update_payment),
        T(test_other_family_action),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
