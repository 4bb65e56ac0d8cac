/*
 * test_order.c - order.{c,h}: the state table exhaustively (every pair of
 * states of each kind, legal or not, against an expected list written out
 * here independently), the order state each fulfillment state implies,
 * and on a real LMDB environment: advancing an order (refused while
 * Created, illegal moves leave the record as it was), cancelling (quote to
 * zero, the trail refunds every row, stock released), a part cancel (the
 * quote drops by exactly the units' price and tax, items re-split), the
 * acceptance-window index, and lookups by transaction and by id.
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
#include "fixture_store.h"
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
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
