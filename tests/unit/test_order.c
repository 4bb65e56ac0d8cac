/*
 * test_order.c - order.{c,h}: the state table exhaustively (every pair of
 * states of each kind, legal or not, against an expected list written out
 * here independently), the order state each fulfillment state implies,
 * and on a real LMDB environment: advancing an order (refused while
 * Created, illegal moves leave the record as it was), cancelling (quote to
 * zero, the trail refunds every row, stock released), a part cancel (the
 * quote drops by exactly the units' price and tax, items re-split), the
 * acceptance-window index, lookups by transaction and by id, and the
 * updated_at index: its walk (order against a sort done here, from every
 * position, page by page, both ways), entries moving with the time, stale
 * entries passed over, and its one-time build for an older store (also by
 * two processes at once).
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
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog.h"
#include "fixture_store.h"
#include "igm.h"
#include "migrate.h"
#include "money.h"
#include "order.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the table ---- */

static const char *s_legal[][3] = {
    {"o", "Created", "Accepted"},
    {"o", "Created", "Cancelled"},
    {"o", "Accepted", "In-progress"},
    {"o", "Accepted", "Cancelled"},
    {"o", "In-progress", "Completed"},
    {"o", "In-progress", "Cancelled"},
    {"f", "Pending", "Packed"},
    {"f", "Pending", "Cancelled"},
    {"f", "Packed", "Agent-assigned"},
    {"f", "Packed", "Order-picked-up"},
    {"f", "Packed", "Cancelled"},
    {"f", "Agent-assigned", "Order-picked-up"},
    {"f", "Agent-assigned", "Cancelled"},
    {"f", "Order-picked-up", "Out-for-delivery"},
    {"f", "Order-picked-up", "RTO-Initiated"},
    {"f", "Out-for-delivery", "Order-delivered"},
    {"f", "Out-for-delivery", "RTO-Initiated"},
    {"f", "RTO-Initiated", "RTO-Delivered"},
    {"f", "RTO-Initiated", "RTO-Disposed"},
    {"r", "Return_Initiated", "Return_Approved"},
    {"r", "Return_Initiated", "Return_Rejected"},
    {"r", "Return_Initiated", "Liquidated"},
    {"r", "Return_Approved", "Return_Picked"},
    {"r", "Return_Picked", "Return_Delivered"},
};

static int s_expected(const char *kind, const char *from, const char *to)
{
    for (size_t i = 0; i < N(s_legal); i++)
        if (strcmp(s_legal[i][0], kind) == 0 && strcmp(s_legal[i][1], from) == 0 &&
            strcmp(s_legal[i][2], to) == 0)
            return 1;
    return 0;
}

static void test_every_pair_of_states(void **state)
{
    (void)state;
    static const struct {
        order_kind_t kind;
        const char *tag;
        int nstates;
    } kinds[] = {{ORDER_KIND_ORDER, "o", 5}, {ORDER_KIND_FULFILLMENT, "f", 10}, {ORDER_KIND_RETURN, "r", 6}};
    int legal = 0, checked = 0;
    for (size_t k = 0; k < N(kinds); k++) {
        const char *const *st = order_states(kinds[k].kind);
        int n = 0;
        while (st[n])
            n++;
        assert_int_equal(n, kinds[k].nstates);
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) {
                int want = s_expected(kinds[k].tag, st[a], st[b]);
                if (order_transition_ok(kinds[k].kind, st[a], st[b]) != want) {
                    fprintf(stderr, "%s: %s -> %s should be %s\n", kinds[k].tag, st[a], st[b],
                            want ? "legal" : "illegal");
                    fail();
                }
                legal += want;
                checked++;
            }
    }
    assert_int_equal(legal, (int)N(s_legal)); /* every listed move is between known states */
    assert_int_equal(checked, 25 + 100 + 36);
    /* nothing crosses kinds, and unknown states are never legal */
    assert_false(order_transition_ok(ORDER_KIND_ORDER, "Pending", "Packed"));
    assert_false(order_transition_ok(ORDER_KIND_FULFILLMENT, "Created", "Accepted"));
    assert_false(order_transition_ok(ORDER_KIND_FULFILLMENT, "Pending", "Teleported"));
    assert_false(order_transition_ok(ORDER_KIND_FULFILLMENT, NULL, "Packed"));
}

static void test_order_state_follows_the_fulfillment(void **state)
{
    (void)state;
    assert_string_equal(order_state_for("Pending", "Created"), "Created");
    assert_string_equal(order_state_for("Pending", "Accepted"), "Accepted");
    const char *inprog[] = {"Packed", "Agent-assigned", "Order-picked-up", "Out-for-delivery"};
    for (size_t i = 0; i < N(inprog); i++)
        assert_string_equal(order_state_for(inprog[i], "Accepted"), "In-progress");
    assert_string_equal(order_state_for("Order-delivered", "Accepted"), "Completed");
    const char *gone[] = {"Cancelled", "RTO-Initiated", "RTO-Delivered", "RTO-Disposed"};
    for (size_t i = 0; i < N(gone); i++)
        assert_string_equal(order_state_for(gone[i], "Accepted"), "Cancelled");
    assert_null(order_state_for("Lost", "Accepted"));
}

/* ---- records on LMDB ---- */

typedef fixture_store_t fx_t;

/* the demo catalog in a fresh store, shared by the group */
static int s_setup(void **state)
{
    fx_t *fx = fixture_store_new_open("test_order");
    *state = fx;
    return fx ? fixture_store_import(fx, "tests/fixtures/catalog-demo.json") : -1;
}

static int s_teardown(void **state)
{
    return fixture_store_destroy((fx_t **)state);
}

/* an order of 2 x Taaza (27.00) + 1 x buttermilk (99.00), tax 5.00 on the
 * Taaza row, delivery 23 and packing 25: 54 + 99 + 5 + 23 + 25 = 206 */
static json_t *s_record(const char *state, int64_t accept_by)
{
    json_t *rec = json_pack(
        "{s:s,s:s,s:s,s:{s:s,s:s},s:{s:I,s:I},s:{s:s,s:s,s:{s:s},s:[{s:s,s:s,s:{s:i}},{s:s,s:s,s:{s:i}}],"
        "s:[{s:s,s:s,s:{s:{s:s}}}],s:{s:{s:s,s:s},s:[{s:s,s:s,s:{s:s},s:{s:s}},{s:s,s:s,s:{s:s},s:{s:s}},"
        "{s:s,s:s,s:{s:s}},{s:s,s:s,s:{s:s}},{s:s,s:s,s:{s:s}}]}}}",
        "key", "o/ORD1\x1f" "buyer.example", "bap_id", "buyer.example", "transaction_id", "T1",
        "context", "bap_id", "buyer.example", "transaction_id", "T1", "reserved", "42602101",
        (json_int_t)2, "42602097", (json_int_t)1, "order", "id", "ORD1", "state", state, "provider",
        "id", "111863", "items", "id", "42602101", "fulfillment_id", "1", "quantity", "count", 2, "id",
        "42602097", "fulfillment_id", "1", "quantity", "count", 1, "fulfillments", "id", "1", "type",
        "Delivery", "state", "descriptor", "code", "Pending", "quote", "price", "currency", "INR",
        "value", "206.00", "breakup", "@ondc/org/item_id", "42602101", "@ondc/org/title_type", "item",
        "@ondc/org/item_quantity", "count", "2", "price", "value", "54.00", "@ondc/org/item_id",
        "42602097", "@ondc/org/title_type", "item", "@ondc/org/item_quantity", "count", "1", "price",
        "value", "99.00", "@ondc/org/item_id", "42602101", "@ondc/org/title_type", "tax", "price",
        "value", "5.00", "@ondc/org/item_id", "1", "@ondc/org/title_type", "delivery", "price",
        "value", "23.00", "@ondc/org/item_id", "1", "@ondc/org/title_type", "packing", "price",
        "value", "25.00");
    assert_non_null(rec);
    if (accept_by)
        json_object_set_new(rec, "accept_by_ms", json_integer(accept_by));
    return rec;
}

static int64_t s_sum(json_t *quote)
{
    int64_t total = 0, v;
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(quote, "breakup"), i, row)
    {
        assert_int_equal(money_parse_json(json_object_get(json_object_get(row, "price"), "value"), &v), 0);
        total += v;
    }
    assert_int_equal(money_parse_json(json_object_get(json_object_get(quote, "price"), "value"), &v), 0);
    assert_int_equal(total, v);
    return total;
}

static const char *s_code(json_t *rec, int ful)
{
    json_t *f = json_array_get(json_object_get(json_object_get(rec, "order"), "fulfillments"), (size_t)ful);
    return order_fstate(f);
}

static void test_advance_checks_the_table(void **state)
{
    (void)state;
    ondc_err_t err;
    json_t *rec = s_record("Created", 0);
    assert_int_equal(order_advance(rec, "Packed", "2024-01-01T00:00:00.000Z", &err), -1);
    assert_string_equal(s_code(rec, 0), "Pending"); /* unchanged */
    json_object_set_new(json_object_get(rec, "order"), "state", json_string("Accepted"));
    assert_int_equal(order_advance(rec, "Order-delivered", "t", &err), -1);
    assert_string_equal(err.code, "50008");
    assert_string_equal(s_code(rec, 0), "Pending");
    assert_int_equal(order_advance(rec, "Packed", "t1", &err), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "order"), "state")),
                        "In-progress");
    assert_int_equal(order_advance(rec, "Order-picked-up", "t2", &err), 0);
    assert_int_equal(order_advance(rec, "Out-for-delivery", "t3", &err), 0);
    assert_int_equal(order_advance(rec, "Order-delivered", "t4", &err), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "order"), "state")),
                        "Completed");
    assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "order"), "updated_at")), "t4");
    assert_int_equal(order_advance(rec, "Packed", "t5", &err), -1);
    json_decref(rec);
}

static void test_cancel_refunds_everything_and_releases_stock(void **state)
{
    fx_t *fx = *state;
    ondc_err_t err;
    MDB_txn *txn = store_begin(fx->s, 0);
    int64_t before = 0, after = 0;
    catalog_stock(fx->s, txn, "111863", "42602101", &before);
    json_t *rec = s_record("Accepted", 0);
    assert_int_equal(order_cancel(fx->s, txn, rec, "seller.example", "002", "t", &err), 0);
    json_t *order = json_object_get(rec, "order");
    assert_string_equal(json_string_value(json_object_get(order, "state")), "Cancelled");
    assert_int_equal(s_sum(json_object_get(order, "quote")), 0);
    json_t *cf = json_array_get(json_object_get(order, "fulfillments"), 1);
    assert_string_equal(json_string_value(json_object_get(cf, "type")), "Cancel");
    int64_t trail = 0, v;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(cf, "tags"), i, t)
    {
        json_t *val = json_object_get(json_array_get(json_object_get(t, "list"), 3), "value");
        assert_int_equal(money_parse_json(val, &v), 0);
        trail += v;
    }
    assert_int_equal(trail, -20600);
    catalog_stock(fx->s, txn, "111863", "42602101", &after);
    assert_int_equal(after, before + 2);
    /* a cancelled order cannot be cancelled again */
    assert_int_equal(order_cancel(fx->s, txn, rec, "seller.example", "002", "t", &err), -1);
    assert_string_equal(err.code, "50001");
    mdb_txn_abort(txn);
    json_decref(rec);
}

static void test_part_cancel_takes_exactly_the_units(void **state)
{
    fx_t *fx = *state;
    ondc_err_t err;
    MDB_txn *txn = store_begin(fx->s, 0);
    json_t *rec = s_record("Accepted", 0);
    assert_int_equal(order_part_cancel(fx->s, txn, rec, "42602101", 3, "002", "s", "t", &err), -1);
    assert_int_equal(order_part_cancel(fx->s, txn, rec, "42602101", 1, "002", "s", "t", &err), 0);
    json_t *order = json_object_get(rec, "order");
    /* 206 - 27 - 2.50 tax = 176.50 */
    assert_int_equal(s_sum(json_object_get(order, "quote")), 17650);
    assert_int_equal(json_array_size(json_object_get(order, "items")), 3);
    json_t *moved = json_array_get(json_object_get(order, "items"), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(moved, "quantity"), "count")), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "order"), "state")), "Accepted");
    mdb_txn_abort(txn);
    json_decref(rec);
}

static void test_store_indexes(void **state)
{
    fx_t *fx = *state;
    MDB_txn *txn = store_begin(fx->s, 0);
    json_t *rec = s_record("Created", 5000);
    assert_int_equal(order_put(fx->s, txn, rec), 0);
    char keys[4][400];
    assert_int_equal(order_due(fx->s, txn, 4999, keys, 4), 0);
    assert_int_equal(order_due(fx->s, txn, 5000, keys, 4), 1);
    assert_string_equal(keys[0], "o/ORD1\x1f" "buyer.example");
    json_t *got = order_by_txn(fx->s, txn, "T1", "buyer.example");
    assert_non_null(got);
    json_decref(got);
    assert_int_equal(order_find(fx->s, txn, "ORD1", keys, 4), 1);
    assert_int_equal(order_find(fx->s, txn, "ORD", keys, 4), 0); /* no prefix matches */
    /* accepted: out of the window index */
    json_object_set_new(json_object_get(rec, "order"), "state", json_string("Accepted"));
    assert_int_equal(order_put(fx->s, txn, rec), 0);
    assert_int_equal(order_due(fx->s, txn, 99999, keys, 4), 0);
    char k[400];
    assert_int_equal(order_key("bad\x01id", "b", k, sizeof k), -1);
    mdb_txn_abort(txn);
    json_decref(rec);
}

/* a transaction's order belongs to the buyer app that made it. Tried: the
 * same transaction id from another buyer app (answered as if none), an
 * empty or missing bap_id, two buyer apps each with an order on one
 * transaction id (each finds its own), and an order indexed the way older
 * stores did ("t/{tid}" alone) read by another buyer app. */
static void test_txn_lookup_is_scoped_to_the_buyer_app(void **state)
{
    fx_t *fx = *state;
    MDB_txn *txn = store_begin(fx->s, 0);
    json_t *rec = s_record("Created", 0);
    assert_int_equal(order_put(fx->s, txn, rec), 0);
    assert_null(order_by_txn(fx->s, txn, "T1", "attacker.example"));
    assert_null(order_by_txn(fx->s, txn, "T1", ""));
    assert_null(order_by_txn(fx->s, txn, "T1", NULL));
    /* the other buyer app's own order on the same transaction id */
    json_t *other = s_record("Created", 0);
    json_object_set_new(other, "key", json_string("o/ORD1\x1f" "attacker.example"));
    json_object_set_new(other, "bap_id", json_string("attacker.example"));
    json_object_set_new(json_object_get(other, "order"), "state", json_string("Accepted"));
    assert_int_equal(order_put(fx->s, txn, other), 0);
    json_t *mine = order_by_txn(fx->s, txn, "T1", "buyer.example");
    json_t *theirs = order_by_txn(fx->s, txn, "T1", "attacker.example");
    assert_non_null(mine);
    assert_non_null(theirs);
    assert_string_equal(json_string_value(json_object_get(mine, "bap_id")), "buyer.example");
    assert_string_equal(json_string_value(json_object_get(json_object_get(mine, "order"), "state")),
                        "Created");
    assert_string_equal(json_string_value(json_object_get(theirs, "bap_id")), "attacker.example");
    json_decref(mine);
    json_decref(theirs);
    /* an older store's index entry: read only for the order's own buyer app */
    MDB_val k = {5, "t/OLD"}, d = {strlen("o/ORD1\x1f" "buyer.example"), "o/ORD1\x1f" "buyer.example"};
    assert_int_equal(mdb_put(txn, fx->s->dbi[DB_ORDERS], &k, &d, 0), 0);
    assert_null(order_by_txn(fx->s, txn, "OLD", "attacker.example"));
    json_t *old = order_by_txn(fx->s, txn, "OLD", "buyer.example");
    assert_non_null(old);
    json_decref(old);
    mdb_txn_abort(txn);
    json_decref(rec);
    json_decref(other);
}

/* ---- the updated_at index ---- */

/* the orders of the index tests: id, buyer app, updated_at, created_at
 * (NULL: absent), state. Ties on the time (A1, A2 and A3 at 10:00:01.000Z,
 * two buyer apps for A2), one with only created_at (A6), one with neither
 * (A7, sorting first). */
static const char *s_idx_orders[][5] = {
    {"A1", "b1.example", "2024-05-01T10:00:01.000Z", "2024-05-01T09:00:00.000Z", "Created"},
    {"A2", "b1.example", "2024-05-01T10:00:01.000Z", "2024-05-01T09:00:00.000Z", "Accepted"},
    {"A2", "b2.example", "2024-05-01T10:00:01.000Z", "2024-05-01T09:00:00.000Z", "Created"},
    {"A3", "b2.example", "2024-05-01T10:00:01.000Z", "2024-05-01T09:00:00.000Z", "Cancelled"},
    {"A4", "b1.example", "2024-05-01T10:00:00.999Z", "2024-05-01T09:00:00.000Z", "Created"},
    {"A5", "b1.example", "2024-05-02T00:00:00.000Z", "2024-05-01T09:00:00.000Z", "Completed"},
    {"A6", "b2.example", NULL, "2024-05-01T10:00:00.500Z", "Created"},
    {"A7", "b2.example", NULL, NULL, "Accepted"},
    {"A8", "b1.example", "2024-04-30T23:59:59.999Z", "2024-04-30T09:00:00.000Z", "Cancelled"},
    {"A9", "b2.example", "2024-05-03T08:00:00.000Z", "2024-05-01T09:00:00.000Z", "Created"},
};
#define IDX_N N(s_idx_orders)

static json_t *s_idx_record(const char *const o[5])
{
    char key[400];
    assert_int_equal(order_key(o[0], o[1], key, sizeof key), 0);
    json_t *rec = json_pack("{s:s,s:s,s:{s:s,s:s}}", "key", key, "bap_id", o[1], "order", "id",
                            o[0], "state", o[4]);
    json_t *order = json_object_get(rec, "order");
    if (o[2])
        json_object_set_new(order, "updated_at", json_string(o[2]));
    if (o[3])
        json_object_set_new(order, "created_at", json_string(o[3]));
    return rec;
}

/* the walk's answer: "key@position" of each record FN saw, and at most
 * STOP of them (0: all) */
typedef struct {
    char got[64][512];
    int n, stop;
} s_walk_t;

static int s_walk_cb(json_t *rec, const char *pos, void *arg)
{
    s_walk_t *w = arg;
    assert_true(w->n < 64);
    /* the position is the record's own time and key */
    char want[512];
    snprintf(want, sizeof want, "%s\x1e%s", order_updated(rec),
             json_string_value(json_object_get(rec, "key")));
    assert_string_equal(pos, want);
    snprintf(w->got[w->n++], sizeof w->got[0], "%s", pos);
    return w->stop && w->n >= w->stop;
}

/* s_expect - the positions of the orders in TIMES (the updated_at or
 * created_at of each order of s_idx_orders, "" for none), of state STATE
 * (NULL: all), sorted here by time then key; their number */
static int s_expect(const char *times[IDX_N], const char *state, char out[IDX_N][512])
{
    int n = 0;
    for (size_t i = 0; i < IDX_N; i++) {
        if (state && strcmp(state, s_idx_orders[i][4]) != 0)
            continue;
        snprintf(out[n++], 512, "%s\x1eo/%s\x1f%s", times[i], s_idx_orders[i][0],
                 s_idx_orders[i][1]);
    }
    /* insertion sort on (time, key): the times have no byte below \x1e */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(out[j - 1], out[j]) > 0; j--) {
            char t[512];
            memcpy(t, out[j], 512);
            memcpy(out[j], out[j - 1], 512);
            memcpy(out[j - 1], t, 512);
        }
    return n;
}

/* s_walk_check - the walk from every position (none, each order's, past
 * either end), both ways, in one go and a page of PAGE at a time, gives
 * exactly the expected positions after it: no duplicates, no gaps */
static void s_walk_check(fixture_store_t *fx, MDB_txn *txn, const char *times[IDX_N],
                         const char *state)
{
    char want[IDX_N][512];
    int n = s_expect(times, state, want);
    for (int desc = 0; desc < 2; desc++) {
        /* from each start: none (-1), and just after each expected row */
        for (int from = -1; from < n; from++) {
            s_walk_t w = {.n = 0};
            const char *after = from < 0 ? NULL : want[desc ? n - 1 - from : from];
            assert_int_equal(order_walk(fx->s, txn, desc, after, state, s_walk_cb, &w), 0);
            assert_int_equal(w.n, n - (from + 1));
            for (int i = 0; i < w.n; i++)
                assert_string_equal(w.got[i], want[desc ? n - 1 - (from + 1 + i) : from + 1 + i]);
        }
        /* page by page, each page's last position the next one's cursor */
        for (int page = 1; page <= 3; page++) {
            char cursor[512] = "";
            int seen = 0;
            for (int guard = 0; guard <= n; guard++) {
                s_walk_t w = {.n = 0, .stop = page};
                assert_int_equal(order_walk(fx->s, txn, desc, cursor, state, s_walk_cb, &w), 0);
                for (int i = 0; i < w.n; i++, seen++)
                    assert_string_equal(w.got[i], want[desc ? n - 1 - seen : seen]);
                if (w.n < page)
                    break;
                snprintf(cursor, sizeof cursor, "%s", w.got[w.n - 1]);
            }
            assert_int_equal(seen, n);
        }
    }
    /* past either end: nothing; from before the first (desc) likewise */
    s_walk_t w = {.n = 0};
    assert_int_equal(order_walk(fx->s, txn, 0, "9999\x1e", state, s_walk_cb, &w), 0);
    assert_int_equal(w.n, 0);
    assert_int_equal(order_walk(fx->s, txn, 1, "\x1e", state, s_walk_cb, &w), 0);
    assert_int_equal(w.n, 0);
    /* past the end, newest first: everything */
    assert_int_equal(order_walk(fx->s, txn, 1, "9999\x1e", state, s_walk_cb, &w), 0);
    assert_int_equal(w.n, n);
}

/* s_count_prefix - the keys of DB_ORDERS starting with PREFIX */
static int s_count_prefix(fixture_store_t *fx, MDB_txn *txn, const char *prefix)
{
    MDB_cursor *cur;
    assert_int_equal(mdb_cursor_open(txn, fx->s->dbi[DB_ORDERS], &cur), 0);
    size_t pl = strlen(prefix);
    MDB_val k = {pl, (void *)prefix}, d;
    int n = 0;
    for (int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
         rc == 0 && k.mv_size >= pl && memcmp(k.mv_data, prefix, pl) == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))
        n++;
    mdb_cursor_close(cur);
    return n;
}

static int s_has(fixture_store_t *fx, MDB_txn *txn, const char *key)
{
    MDB_val k = {strlen(key), (void *)key}, d;
    return mdb_get(txn, fx->s->dbi[DB_ORDERS], &k, &d) == 0;
}

static void s_put_raw(fixture_store_t *fx, MDB_txn *txn, const char *key, const char *value)
{
    MDB_val k = {strlen(key), (void *)key}, d = {strlen(value), (void *)value};
    assert_int_equal(mdb_put(txn, fx->s->dbi[DB_ORDERS], &k, &d, 0), 0);
}

static int s_count_cb(json_t *rec, void *arg)
{
    (void)rec;
    ++*(int *)arg;
    return 0;
}

static void s_times(const char *times[IDX_N])
{
    for (size_t i = 0; i < IDX_N; i++)
        times[i] = s_idx_orders[i][2]   ? s_idx_orders[i][2]
                   : s_idx_orders[i][3] ? s_idx_orders[i][3]
                                        : "";
}

/* orders put with ties, created_at only and no time at all are walked by
 * time then key both ways, from every position, a page of 1, 2 and 3 at a
 * time, with and without a state; moving four of them in time (one to no
 * time at all) moves their entries (the old ones gone, one entry per
 * order) and the walk follows; an update that keeps the time keeps the
 * entry; the order and issue scans and order_find see none of the entries;
 * an entry the record does not name (a stale time, a missing record) is
 * passed over. Bad positions tried: past the end, before the start. */
static void test_updated_index_walks_in_order(void **state)
{
    (void)state;
    fixture_store_t *fx = fixture_store_new_open("test_order_idx");
    assert_non_null(fx);
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_non_null(txn);
    for (size_t i = 0; i < IDX_N; i++) {
        json_t *rec = s_idx_record(s_idx_orders[i]);
        assert_int_equal(order_put(fx->s, txn, rec), 0);
        json_decref(rec);
    }
    const char *times[IDX_N];
    s_times(times);
    assert_int_equal(s_count_prefix(fx, txn, "u/"), (int)IDX_N);
    s_walk_check(fx, txn, times, NULL);
    s_walk_check(fx, txn, times, "Created");
    s_walk_check(fx, txn, times, "Cancelled");

    /* moves: A1 later, A5 earliest, A6 gets an updated_at, A9 loses its
     * only time (it has a created_at: falls back to it) */
    static const struct {
        size_t i;
        const char *to; /* the new updated_at; NULL: removed */
        const char *time;
    } moves[] = {{0, "2024-05-05T00:00:00.000Z", "2024-05-05T00:00:00.000Z"},
                 {5, "2024-04-01T00:00:00.000Z", "2024-04-01T00:00:00.000Z"},
                 {6, "2024-05-01T10:00:01.000Z", "2024-05-01T10:00:01.000Z"},
                 {9, NULL, "2024-05-01T09:00:00.000Z"}};
    for (size_t m = 0; m < N(moves); m++) {
        json_t *rec = s_idx_record(s_idx_orders[moves[m].i]);
        char key[400], old[512];
        snprintf(key, sizeof key, "%s", json_string_value(json_object_get(rec, "key")));
        snprintf(old, sizeof old, "u/%s\x1e%s", times[moves[m].i], key);
        assert_true(s_has(fx, txn, old));
        json_t *order = json_object_get(rec, "order");
        if (moves[m].to)
            json_object_set_new(order, "updated_at", json_string(moves[m].to));
        else
            json_object_del(order, "updated_at");
        assert_int_equal(order_put(fx->s, txn, rec), 0);
        json_decref(rec);
        times[moves[m].i] = moves[m].time;
        char now[512];
        snprintf(now, sizeof now, "u/%s\x1e%s", times[moves[m].i], key);
        assert_false(s_has(fx, txn, old));
        assert_true(s_has(fx, txn, now));
    }
    /* same time, another state: the entry stays */
    json_t *rec = s_idx_record(s_idx_orders[1]);
    json_object_set_new(json_object_get(rec, "order"), "state", json_string("In-progress"));
    assert_int_equal(order_put(fx->s, txn, rec), 0);
    json_decref(rec);
    assert_true(s_has(fx, txn, "u/2024-05-01T10:00:01.000Z\036o/A2\037b1.example"));
    assert_int_equal(s_count_prefix(fx, txn, "u/"), (int)IDX_N);
    s_walk_check(fx, txn, times, NULL);

    /* the other scans of DB_ORDERS see records only */
    int n = 0;
    assert_int_equal(order_each(fx->s, txn, NULL, s_count_cb, &n), 0);
    assert_int_equal(n, (int)IDX_N);
    n = 0;
    assert_int_equal(igm_each(fx->s, txn, s_count_cb, &n), 0);
    assert_int_equal(n, 0);
    char keys[4][400];
    assert_int_equal(order_find(fx->s, txn, "A2", keys, 4), 2);

    /* stale entries: an old time still pointing at A4, and one at an order
     * that is not there */
    s_put_raw(fx, txn, "u/2024-01-01T00:00:00.000Z\036o/A4\037b1.example", "o/A4\037b1.example");
    s_put_raw(fx, txn, "u/2024-05-01T12:00:00.000Z\036o/GONE\037b1.example",
              "o/GONE\037b1.example");
    s_walk_check(fx, txn, times, NULL);
    mdb_txn_abort(txn);
    assert_int_equal(fixture_store_destroy(&fx), 0);
}

/* s_drop_index - what a store from before the index looks like: no
 * entries, no mark */
static void s_drop_index(fixture_store_t *fx)
{
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_non_null(txn);
    MDB_cursor *cur;
    assert_int_equal(mdb_cursor_open(txn, fx->s->dbi[DB_ORDERS], &cur), 0);
    MDB_val k = {2, "u/"}, d;
    for (int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
         rc == 0 && k.mv_size >= 2 && memcmp(k.mv_data, "u/", 2) == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))
        assert_int_equal(mdb_cursor_del(cur, 0), 0);
    mdb_cursor_close(cur);
    MDB_val mk = {14, "index/oupdated"};
    mdb_del(txn, fx->s->dbi[DB_META], &mk, NULL);
    assert_int_equal(s_count_prefix(fx, txn, "u/"), 0);
    assert_int_equal(store_commit(txn), 0);
}

static void s_upgrade(fixture_store_t *fx)
{
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_non_null(txn);
    assert_int_equal(order_index_upgrade(fx->s, txn), 0);
    assert_int_equal(store_commit(txn), 0);
}

/* a store whose orders have no index entries (dropped, as a store from
 * before the index) walks nothing; reopened and upgraded it walks every
 * order in order; a second upgrade changes nothing; once marked, entries
 * dropped again are not rebuilt (the mark is looked up, the records not
 * read). Two processes upgrading the same store at once leave one entry
 * per order and the mark. */
static void test_updated_index_is_built_once_for_an_older_store(void **state)
{
    (void)state;
    fixture_store_t *fx = fixture_store_new_open("test_order_upg");
    assert_non_null(fx);
    MDB_txn *txn = store_begin(fx->s, 0);
    for (size_t i = 0; i < IDX_N; i++) {
        json_t *rec = s_idx_record(s_idx_orders[i]);
        assert_int_equal(order_put(fx->s, txn, rec), 0);
        json_decref(rec);
    }
    assert_int_equal(store_commit(txn), 0);
    const char *times[IDX_N];
    s_times(times);

    s_drop_index(fx);
    assert_int_equal(fixture_store_reopen(fx), 0);
    txn = store_begin(fx->s, 1);
    s_walk_t w = {.n = 0};
    assert_int_equal(order_walk(fx->s, txn, 0, NULL, NULL, s_walk_cb, &w), 0);
    assert_int_equal(w.n, 0);
    mdb_txn_abort(txn);

    s_upgrade(fx);
    txn = store_begin(fx->s, 1);
    assert_int_equal(s_count_prefix(fx, txn, "u/"), (int)IDX_N);
    s_walk_check(fx, txn, times, NULL);
    mdb_txn_abort(txn);
    s_upgrade(fx);
    txn = store_begin(fx->s, 1);
    assert_int_equal(s_count_prefix(fx, txn, "u/"), (int)IDX_N);
    mdb_txn_abort(txn);

    /* marked: the entries are not looked for again */
    txn = store_begin(fx->s, 0);
    MDB_val k = {strlen("u/2024-05-02T00:00:00.000Z\036o/A5\037b1.example"),
                 "u/2024-05-02T00:00:00.000Z\036o/A5\037b1.example"};
    assert_int_equal(mdb_del(txn, fx->s->dbi[DB_ORDERS], &k, NULL), 0);
    assert_int_equal(store_commit(txn), 0);
    s_upgrade(fx);
    txn = store_begin(fx->s, 1);
    assert_int_equal(s_count_prefix(fx, txn, "u/"), (int)IDX_N - 1);
    mdb_txn_abort(txn);

    /* two processes at once, each opening the store and upgrading it */
    s_drop_index(fx);
    fixture_store_close(fx);
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            store_t *s = migrate_open(&fx->cfg);
            MDB_txn *t = s ? store_begin(s, 0) : NULL;
            int rc = t && order_index_upgrade(s, t) == 0 && store_commit(t) == 0 ? 0 : 1;
            store_destroy(&s);
            _exit(rc);
        }
    }
    for (int i = 0; i < 2; i++) {
        int st = -1;
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    assert_int_equal(fixture_store_open(fx), 0);
    txn = store_begin(fx->s, 1);
    assert_int_equal(s_count_prefix(fx, txn, "u/"), (int)IDX_N);
    MDB_val mk = {14, "index/oupdated"}, mv;
    assert_int_equal(mdb_get(txn, fx->s->dbi[DB_META], &mk, &mv), 0);
    s_walk_check(fx, txn, times, NULL);
    mdb_txn_abort(txn);
    assert_int_equal(fixture_store_destroy(&fx), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pair_of_states),
        cmocka_unit_test(test_order_state_follows_the_fulfillment),
        cmocka_unit_test(test_advance_checks_the_table),
        cmocka_unit_test(test_cancel_refunds_everything_and_releases_stock),
        cmocka_unit_test(test_part_cancel_takes_exactly_the_units),
        cmocka_unit_test(test_store_indexes),
        cmocka_unit_test(test_txn_lookup_is_scoped_to_the_buyer_app),
        cmocka_unit_test(test_updated_index_walks_in_order),
        cmocka_unit_test(test_updated_index_is_built_once_for_an_older_store),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
