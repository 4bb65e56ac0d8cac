/*
 * test_catalog_sync.c - seller/catalog_sync.c: the rules that make a
 * catalog safe to sync, each with a bad input refused with the field named
 * and the stored catalog left as it was (a provider without locations,
 * without fulfillments, without seller terms or settlement details, a
 * settlement detail with an unknown type or without its account, a typo
 * in the seller's terms at each level, an amount as a JSON number at each
 * amount, an MRP below the price, a "stock" mode that does not exist);
 * the stock rule of an import (kept on replace and upsert, set with
 * "stock": "set", a new item's count taken); PATCH of maximum_value
 * (refused below the price, a price above the MRP refused, both together
 * taken); stock changes as absolute values and deltas (all or nothing,
 * the entry at fault named).
 *
 * Run with the working directory at the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "catalog_sync.h"
#include "fixture_store.h"

#define CATALOG "tests/fixtures/catalog-demo.json"

static int s_setup(void **state)
{
    fixture_store_t *fx = fixture_store_new_open("test_catalog_sync");
    if (!fx || fixture_store_import(fx, CATALOG) < 0)
        return -1;
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_store_t *fx = *state;
    return fixture_store_destroy(&fx);
}

static json_t *s_demo(void)
{
    json_error_t je;
    json_t *c = json_load_file(CATALOG, 0, &je);
    assert_non_null(c);
    return c;
}

/* s_at - the value at a dotted path with [i] indexes ("bpp/providers" is one key) */
static json_t *s_at(json_t *root, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save)) {
        char *br = strchr(tok, '[');
        if (br)
            *br = '\0';
        cur = json_object_get(cur, tok);
        while (br && cur) {
            cur = json_array_get(cur, (size_t)atoi(br + 1));
            br = strchr(br + 1, '[');
        }
    }
    return cur;
}

static int64_t s_stock(fixture_store_t *fx, const char *pid, const char *iid)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    int64_t n = -1;
    catalog_stock(fx->s, txn, pid, iid, &n);
    mdb_txn_abort(txn);
    return n;
}

/* s_import - import ROOT (stolen) with MODE; 0, or -1 with ERR (aborted) */
static int s_import(fixture_store_t *fx, json_t *root, catalog_mode_t mode, ondc_err_t *err)
{
    MDB_txn *txn = store_begin(fx->s, 0);
    int rc = catalog_import(fx->s, txn, root, mode, err);
    if (rc == 0)
        assert_int_equal(store_commit(txn), 0);
    else
        mdb_txn_abort(txn);
    json_decref(root);
    return rc;
}

typedef struct {
    const char *what;
    const char *path;  /* where the change is made */
    const char *key;   /* the key set (or deleted when VALUE is NULL) */
    const char *value; /* JSON text */
    const char *field; /* the field the refusal names */
} s_bad_t;

static const s_bad_t s_bad[] = {
    {"no locations", "bpp/providers[0]", "locations", NULL, "bpp/providers[0].locations"},
    {"empty locations", "bpp/providers[1]", "locations", "[]", "bpp/providers[1].locations"},
    {"no fulfillments", "bpp/providers[0]", "fulfillments", NULL, "bpp/providers[0].fulfillments"},
    {"no seller terms", "bpp/providers[0]", "seller", NULL, "bpp/providers[0].seller"},
    {"no settlement", "bpp/providers[1].seller", "settlement", NULL,
     "bpp/providers[1].seller.settlement"},
    {"no settlement details", "bpp/providers[0].seller.settlement", "details", "[]",
     "bpp/providers[0].seller.settlement.details"},
    {"settlement type unknown", "bpp/providers[1].seller.settlement.details[0]", "settlement_type",
     "\"cheque\"", "bpp/providers[1].seller.settlement.details[0].settlement_type"},
    {"upi without address", "bpp/providers[1].seller.settlement.details[0]", "upi_address", NULL,
     "bpp/providers[1].seller.settlement.details[0].upi_address"},
    {"neft without ifsc", "bpp/providers[0].seller.settlement.details[0]", "settlement_ifsc_code",
     NULL, "bpp/providers[0].seller.settlement.details[0].settlement_ifsc_code"},
    {"typo in a detail", "bpp/providers[0].seller.settlement.details[0]", "ifsc", "\"X\"",
     "bpp/providers[0].seller.settlement.details[0].ifsc"},
    {"typo in the terms", "bpp/providers[0].seller", "setlement", "{}",
     "bpp/providers[0].seller.setlement"},
    {"typo in charges", "bpp/providers[0].seller.charges", "delivry", "\"10.00\"",
     "bpp/providers[0].seller.charges.delivry"},
    {"typo in payment", "bpp/providers[1].seller.payment", "type", "[\"ON-ORDER\"]",
     "bpp/providers[1].seller.payment.type"},
    {"typo in support", "bpp/providers[0].seller.support", "mobile", "\"9\"",
     "bpp/providers[0].seller.support.mobile"},
    {"charges not an object", "bpp/providers[0].seller", "charges", "5",
     "bpp/providers[0].seller.charges"},
    {"delivery as a number", "bpp/providers[0].seller.charges", "delivery", "23",
     "bpp/providers[0].seller.charges.delivery"},
    {"tax as a number", "bpp/providers[1].seller.charges", "tax_percent", "5",
     "bpp/providers[1].seller.charges.tax_percent"},
    {"finder fee as a number", "bpp/providers[1].seller.payment", "buyer_app_finder_fee_amount",
     "3", "bpp/providers[1].seller.payment.buyer_app_finder_fee_amount"},
    {"withholding as a number", "bpp/providers[1].seller.settlement", "withholding_amount", "10.0",
     "bpp/providers[1].seller.settlement.withholding_amount"},
    {"price as a number", "bpp/providers[0].items[1].price", "value", "27",
     "bpp/providers[0].items[1].price.value"},
    {"MRP as a number", "bpp/providers[0].items[2].price", "maximum_value", "60",
     "bpp/providers[0].items[2].price.maximum_value"},
    {"MRP below the price", "bpp/providers[1].items[0].price", "maximum_value", "\"300.00\"",
     "bpp/providers[1].items[0].price.maximum_value"},
    {"stock mode unknown", "", "stock", "\"reset\"", "stock"},
};

static void test_bad_catalogs_refused_with_the_field_named(void **state)
{
    fixture_store_t *fx = *state;
    for (size_t i = 0; i < sizeof s_bad / sizeof s_bad[0]; i++) {
        const s_bad_t *b = &s_bad[i];
        json_t *cat = s_demo();
        json_t *at = b->path[0] ? s_at(cat, b->path) : cat;
        if (!json_is_object(at))
            fail_msg("%s: no object at %s", b->what, b->path);
        if (b->value)
            json_object_set_new(at, b->key, json_loads(b->value, JSON_DECODE_ANY, NULL));
        else
            json_object_del(at, b->key);
        ondc_err_t err;
        memset(&err, 0, sizeof err);
        if (s_import(fx, cat, CATALOG_UPSERT, &err) == 0)
            fail_msg("%s: accepted", b->what);
        if (strcmp(err.path, b->field) != 0)
            fail_msg("%s: field %s, want %s (%s)", b->what, err.path, b->field, err.message);
        assert_string_equal(err.code, "30000");
    }
    /* nothing of it was written: the demo stock as imported */
    assert_int_equal(s_stock(fx, "111863", "42602101"), 200);
}

static void test_import_keeps_live_stock_unless_told_to_set(void **state)
{
    fixture_store_t *fx = *state;
    /* orders took some: 200 -> 150 */
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_int_equal(catalog_stock_add(fx->s, txn, "111863", "42602101", -50), 0);
    assert_int_equal(store_commit(txn), 0);
    ondc_err_t err;
    /* a replace and an upsert of the same file keep 150 */
    assert_int_equal(s_import(fx, s_demo(), CATALOG_REPLACE, &err), 0);
    assert_int_equal(s_stock(fx, "111863", "42602101"), 150);
    assert_int_equal(s_import(fx, s_demo(), CATALOG_UPSERT, &err), 0);
    assert_int_equal(s_stock(fx, "111863", "42602101"), 150);
    /* "stock": "keep" says the same */
    json_t *cat = s_demo();
    json_object_set_new(cat, "stock", json_string("keep"));
    assert_int_equal(s_import(fx, cat, CATALOG_UPSERT, &err), 0);
    assert_int_equal(s_stock(fx, "111863", "42602101"), 150);
    /* a new item takes its count at once */
    cat = s_demo();
    json_t *items = s_at(cat, "bpp/providers[0].items");
    json_t *n = json_deep_copy(json_array_get(items, 1));
    json_object_set_new(n, "id", json_string("NEW-MILK"));
    json_object_set_new(json_object_get(json_object_get(n, "quantity"), "available"), "count",
                        json_string("12"));
    json_array_append_new(items, n);
    assert_int_equal(s_import(fx, cat, CATALOG_UPSERT, &err), 0);
    assert_int_equal(s_stock(fx, "111863", "NEW-MILK"), 12);
    assert_int_equal(s_stock(fx, "111863", "42602101"), 150);
    /* "stock": "set": the file's count wins */
    cat = s_demo();
    json_object_set_new(cat, "stock", json_string("set"));
    assert_int_equal(s_import(fx, cat, CATALOG_REPLACE, &err), 0);
    assert_int_equal(s_stock(fx, "111863", "42602101"), 200);
    assert_int_equal(s_stock(fx, "111863", "NEW-MILK"), -1); /* the replace dropped it */
}

/* s_patch - catalog_sync_patch of BODY on 111863/42602105 (price 58.00,
 * MRP 60.00 in the demo); 0, or -1 with ERR */
static int s_patch(fixture_store_t *fx, const char *body, ondc_err_t *err)
{
    json_t *p = json_loads(body, 0, NULL);
    assert_non_null(p);
    MDB_txn *txn = store_begin(fx->s, 0);
    memset(err, 0, sizeof *err);
    int rc = catalog_sync_patch(fx->s, txn, "111863", "42602105", p, err);
    if (rc == 0)
        assert_int_equal(store_commit(txn), 0);
    else
        mdb_txn_abort(txn);
    json_decref(p);
    return rc;
}

static const char *s_price(fixture_store_t *fx, const char *key, char *out, size_t cap)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    json_t *it = catalog_item(fx->s, txn, "111863", "42602105");
    snprintf(out, cap, "%s",
             json_string_value(json_object_get(json_object_get(it, "price"), key)) ?: "");
    json_decref(it);
    mdb_txn_abort(txn);
    return out;
}

static void test_patch_keeps_the_mrp_honest(void **state)
{
    fixture_store_t *fx = *state;
    ondc_err_t err;
    char b[32];
    /* a price above the MRP, alone: refused, naming price */
    assert_int_equal(s_patch(fx, "{\"price\": \"65.00\"}", &err), -1);
    assert_string_equal(err.path, "price");
    /* an MRP below the price: refused, naming maximum_value */
    assert_int_equal(s_patch(fx, "{\"maximum_value\": \"50.00\"}", &err), -1);
    assert_string_equal(err.path, "maximum_value");
    assert_int_equal(s_patch(fx, "{\"maximum_value\": 70}", &err), -1);
    assert_string_equal(err.path, "maximum_value");
    assert_int_equal(s_patch(fx, "{\"price\": {\"value\": \"50.00\", \"maximum_value\": \"55.00\"}}",
                             &err),
                     -1);
    assert_string_equal(err.path, "price.maximum_value");
    assert_string_equal(s_price(fx, "value", b, sizeof b), "58.00");
    assert_string_equal(s_price(fx, "maximum_value", b, sizeof b), "60.00");
    /* both together: taken */
    assert_int_equal(s_patch(fx, "{\"price\": \"65.00\", \"maximum_value\": \"70\"}", &err), 0);
    assert_string_equal(s_price(fx, "value", b, sizeof b), "65.00");
    assert_string_equal(s_price(fx, "maximum_value", b, sizeof b), "70.00");
    /* the MRP down to the price itself, and a lower price alone */
    assert_int_equal(s_patch(fx, "{\"maximum_value\": \"65.00\"}", &err), 0);
    assert_int_equal(s_patch(fx, "{\"price\": \"49.50\"}", &err), 0);
    assert_string_equal(s_price(fx, "maximum_value", b, sizeof b), "65.00");
}

static int s_changes(fixture_store_t *fx, const char *body, json_t **res, ondc_err_t *err)
{
    json_t *c = json_loads(body, 0, NULL);
    assert_non_null(c);
    MDB_txn *txn = store_begin(fx->s, 0);
    memset(err, 0, sizeof *err);
    int rc = catalog_sync_stock_changes(fx->s, txn, c, res, err);
    if (rc == 0)
        assert_int_equal(store_commit(txn), 0);
    else
        mdb_txn_abort(txn);
    json_decref(c);
    return rc;
}

static void test_stock_changes_absolute_and_deltas(void **state)
{
    fixture_store_t *fx = *state;
    ondc_err_t err;
    json_t *res;
    assert_int_equal(s_changes(fx,
                               "[{\"item_id\":\"42602101\",\"delta\":-20},"
                               "{\"item_id\":\"FM-RICE-5KG\",\"provider_id\":\"P2-KORA\",\"stock\":7},"
                               "{\"item_id\":\"42602101\",\"delta\":5}]",
                               &res, &err),
                     0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(res, 2), "stock")), 185);
    json_decref(res);
    assert_int_equal(s_stock(fx, "111863", "42602101"), 185);
    assert_int_equal(s_stock(fx, "P2-KORA", "FM-RICE-5KG"), 7);
    static const char *bad[][2] = {
        {"[{\"item_id\":\"42602101\",\"delta\":-1},{\"item_id\":\"FM-RICE-5KG\",\"delta\":-8}]",
         "changes[1].delta"},
        {"[{\"item_id\":\"42602101\",\"stock\":-1}]", "changes[0].stock"},
        {"[{\"item_id\":\"42602101\",\"delta\":\"5\"}]", "changes[0].delta"},
        {"[{\"item_id\":\"42602101\",\"stock\":1,\"delta\":1}]", "changes[0]"},
        {"[{\"item_id\":\"42602101\"}]", "changes[0]"},
        {"[{\"item_id\":\"NOPE\",\"stock\":1}]", "changes[0].item_id"},
        {"[{\"item\":\"42602101\",\"stock\":1}]", "changes[0].item"},
        {"[]", "changes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (s_changes(fx, bad[i][0], &res, &err) == 0)
            fail_msg("%s: accepted", bad[i][0]);
        if (strcmp(err.path, bad[i][1]) != 0)
            fail_msg("%s: field %s, want %s", bad[i][0], err.path, bad[i][1]);
    }
    /* all or nothing: the first change of a refused batch was not kept */
    assert_int_equal(s_stock(fx, "111863", "42602101"), 185);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_catalogs_refused_with_the_field_named, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_import_keeps_live_stock_unless_told_to_set, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_patch_keeps_the_mrp_honest, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stock_changes_absolute_and_deltas, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
