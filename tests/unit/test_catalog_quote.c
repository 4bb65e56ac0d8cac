/*
 * test_catalog_quote.c - catalog.{c,h} and quote.{c,h} on a real LMDB
 * environment holding tests/fixtures/catalog-demo.json: reads, upsert vs
 * replace, validation errors that name the field (and leave the stored
 * catalog as it was), a write failure (map full), and quotes: the seed
 * order, taxes, fulfillment ids by core version, hard errors and soft
 * (partial) quotes. Every quote's breakup is checked to sum exactly to its
 * price, in paise.
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
#include "quote.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CATALOG_PATH "tests/fixtures/catalog-demo.json"
#define SEED_PATH "tests/fixtures/seed-init-request.json"

typedef struct {
    fixture_store_t *st; /* the store, holding the demo catalog */
    json_t *catalog;     /* the demo catalog, parsed */
    json_t *seed;        /* the seed init request */
} fx_t;

static int s_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    json_error_t jerr;
    fx->catalog = json_load_file(CATALOG_PATH, JSON_REJECT_DUPLICATES, &jerr);
    fx->seed = json_load_file(SEED_PATH, JSON_REJECT_DUPLICATES, &jerr);
    fx->st = fixture_store_new_open("test_catalog");
    if (!fx->catalog || !fx->seed || !fx->st)
        return -1;
    return fixture_store_import(fx->st, CATALOG_PATH);
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    int rc = fixture_store_destroy(&fx->st);
    json_decref(fx->catalog);
    json_decref(fx->seed);
    free(fx);
    return rc;
}

static json_t *s_at(json_t *root, const char *path);

static const char *s_str(json_t *root, const char *path)
{
    return json_string_value(s_at(root, path));
}

/* s_count - an integer at PATH as text ("" if not an integer): the
 * quote's @ondc/org/item_quantity.count is an integer */
static const char *s_count(json_t *root, const char *path)
{
    static char buf[32];
    json_t *v = s_at(root, path);
    if (!json_is_integer(v))
        return "";
    snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    return buf;
}

static json_t *s_at(json_t *root, const char *path)
{
    /* dotted path; "[n]" selects an array element: "price.value", "breakup[2].price.value" */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save)) {
        char *br = strchr(tok, '[');
        if (br) {
            *br = '\0';
            cur = json_array_get(json_object_get(cur, tok), strtoul(br + 1, NULL, 10));
        } else {
            cur = json_object_get(cur, tok);
        }
    }
    return cur;
}

static int s_count_cb(const char *pid, json_t *item, void *arg)
{
    (void)item;
    int *counts = arg;
    if (strcmp(pid, "111863") == 0)
        counts[0]++;
    else if (strcmp(pid, "P2-KORA") == 0)
        counts[1]++;
    else
        counts[2]++;
    return 0;
}

static int s_prov_cb(json_t *p, void *arg)
{
    json_t *ids = arg;
    json_array_append(ids, json_object_get(p, "id"));
    return 0;
}

/* ---- catalog reads ---- */

static void test_import_reads(void **state)
{
    fx_t *fx = *state;
    MDB_txn *txn = store_begin(fx->st->s, 1);

    json_t *p = catalog_provider(fx->st->s, txn, "111863");
    assert_non_null(p);
    assert_string_equal(s_str(p, "id"), "111863");
    assert_null(json_object_get(p, "items")); /* items live under their own keys */
    assert_string_equal(s_str(p, "seller.charges.delivery"), "23.00");
    assert_string_equal(s_str(p, "seller.charges.packing"), "25.00");
    json_decref(p);
    p = catalog_provider(fx->st->s, txn, "P2-KORA");
    assert_string_equal(s_str(p, "seller.charges.tax_percent"), "5");
    json_decref(p);
    assert_null(catalog_provider(fx->st->s, txn, "NOPE"));

    json_t *it = catalog_item(fx->st->s, txn, "111863", "42602097");
    assert_non_null(it);
    assert_string_equal(s_str(it, "price.value"), "99.00");
    assert_string_equal(s_str(it, "descriptor.name"), "Butter milk Amul");
    int64_t paise = 0;
    assert_int_equal(catalog_item_price(it, &paise), 0);
    assert_int_equal(paise, 9900);
    assert_int_equal(catalog_item_max(it), 100);
    json_decref(it);
    it = catalog_item(fx->st->s, txn, "111863", "42602110");
    assert_int_equal(catalog_item_price(it, &paise), 0);
    assert_int_equal(paise, 9550);
    assert_int_equal(catalog_item_max(it), 3);
    json_decref(it);
    assert_null(catalog_item(fx->st->s, txn, "111863", "FM-RICE-5KG")); /* other provider's */
    assert_null(catalog_item(fx->st->s, txn, "NOPE", "42602097"));

    static const struct {
        const char *pid, *iid;
        int rc;
        int64_t stock;
    } stocks[] = {
        {"111863", "42602097", 0, 100}, {"111863", "42602101", 0, 200},
        {"111863", "42602110", 0, 1},   {"P2-KORA", "FM-BANANA-1DZ", 0, 0},
        {"P2-KORA", "FM-RICE-5KG", 0, 40}, {"P2-KORA", "42602097", -1, 0},
        {"111863", "nope", -1, 0},
    };
    for (size_t i = 0; i < N(stocks); i++) {
        int64_t st = -99;
        assert_int_equal(catalog_stock(fx->st->s, txn, stocks[i].pid, stocks[i].iid, &st),
                         stocks[i].rc);
        if (stocks[i].rc == 0)
            assert_int_equal(st, stocks[i].stock);
    }

    json_t *bpp = catalog_bpp(fx->st->s, txn);
    assert_true(json_is_object(json_object_get(bpp, "descriptor")));
    assert_true(json_is_array(json_object_get(bpp, "fulfillments")));
    json_decref(bpp);

    int counts[3] = {0};
    assert_int_equal(catalog_each_item(fx->st->s, txn, NULL, s_count_cb, counts), 0);
    assert_int_equal(counts[0], 4);
    assert_int_equal(counts[1], 3);
    assert_int_equal(counts[2], 0);
    memset(counts, 0, sizeof counts);
    catalog_each_item(fx->st->s, txn, "P2-KORA", s_count_cb, counts);
    assert_int_equal(counts[0], 0);
    assert_int_equal(counts[1], 3);
    json_t *ids = json_array();
    assert_int_equal(catalog_each_provider(fx->st->s, txn, s_prov_cb, ids), 0);
    assert_int_equal(json_array_size(ids), 2);
    assert_string_equal(json_string_value(json_array_get(ids, 0)), "111863");
    assert_string_equal(json_string_value(json_array_get(ids, 1)), "P2-KORA");
    json_decref(ids);
    mdb_txn_abort(txn);

    /* stock_set and put_item */
    txn = store_begin(fx->st->s, 0);
    assert_int_equal(catalog_stock_set(fx->st->s, txn, "111863", "42602097", 7), 0);
    json_t *ni = json_pack("{s:s,s:{s:s},s:{s:s}}", "id", "NEW", "descriptor", "name", "New",
                           "price", "value", "1.50");
    assert_int_equal(catalog_put_item(fx->st->s, txn, "111863", ni), 0);
    json_decref(ni);
    assert_int_equal(store_commit(txn), 0);
    txn = store_begin(fx->st->s, 1);
    int64_t st = 0;
    assert_int_equal(catalog_stock(fx->st->s, txn, "111863", "42602097", &st), 0);
    assert_int_equal(st, 7);
    it = catalog_item(fx->st->s, txn, "111863", "NEW");
    assert_string_equal(s_str(it, "price.value"), "1.50");
    json_decref(it);
    mdb_txn_abort(txn);
}

static void test_count_helper(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        int64_t want;
    } cases[] = {
        {"\"10\"", 10}, {"10", 10},   {"0", 0},     {"\"007\"", 7}, {"\"-1\"", -1},
        {"-1", -1},     {"\"1x\"", -1}, {"\"\"", -1}, {"1.5", -1},   {"null", -1},
        {"true", -1},
    };
    for (size_t i = 0; i < N(cases); i++) {
        json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        assert_non_null(v);
        int64_t got = catalog_count(v);
        json_decref(v);
        if (got != cases[i].want)
            fail_msg("catalog_count(%s) = %lld, want %lld", cases[i].json, (long long)got,
                     (long long)cases[i].want);
    }
    assert_int_equal(catalog_count(NULL), -1);
}

/* ---- upsert vs replace ---- */

static const char *s_small =
    "{\"domain\":\"nic2004:52110\",\"bpp/providers\":[{\"id\":\"111863\",\"descriptor\":{\"name\":\"Renamed\"},"
    "\"locations\":[{\"id\":\"L1\",\"gps\":\"12.97,77.64\"}],\"fulfillments\":[{\"id\":\"1\",\"type\":\"Delivery\"}],"
    "\"seller\":{\"settlement\":{\"details\":[{\"settlement_counterparty\":\"seller-app\","
    "\"settlement_type\":\"upi\",\"upi_address\":\"renamed@upi\"}]}},"
    "\"items\":[{\"id\":\"NEW-1\",\"descriptor\":{\"name\":\"New\"},"
    "\"price\":{\"currency\":\"INR\",\"value\":\"10.00\"},"
    "\"quantity\":{\"available\":{\"count\":\"5\"}}}]}]}";

static void test_upsert(void **state)
{
    fx_t *fx = *state;
    json_t *small = json_loads(s_small, 0, NULL);
    MDB_txn *txn = store_begin(fx->st->s, 0);
    ondc_err_t err;
    assert_int_equal(catalog_import(fx->st->s, txn, small, CATALOG_UPSERT, &err), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(small);

    txn = store_begin(fx->st->s, 1);
    json_t *p = catalog_provider(fx->st->s, txn, "111863");
    assert_string_equal(s_str(p, "descriptor.name"), "Renamed");
    json_decref(p);
    p = catalog_provider(fx->st->s, txn, "P2-KORA"); /* untouched */
    assert_non_null(p);
    json_decref(p);
    json_t *it = catalog_item(fx->st->s, txn, "111863", "42602097"); /* kept */
    assert_non_null(it);
    json_decref(it);
    it = catalog_item(fx->st->s, txn, "111863", "NEW-1");
    assert_string_equal(s_str(it, "price.value"), "10.00");
    json_decref(it);
    int64_t st;
    assert_int_equal(catalog_stock(fx->st->s, txn, "111863", "NEW-1", &st), 0);
    assert_int_equal(st, 5);
    assert_int_equal(catalog_stock(fx->st->s, txn, "111863", "42602097", &st), 0);
    assert_int_equal(st, 100);
    int counts[3] = {0};
    catalog_each_item(fx->st->s, txn, NULL, s_count_cb, counts);
    assert_int_equal(counts[0], 5);
    assert_int_equal(counts[1], 3);
    mdb_txn_abort(txn);
}

static void test_replace(void **state)
{
    fx_t *fx = *state;
    json_t *small = json_loads(s_small, 0, NULL);
    MDB_txn *txn = store_begin(fx->st->s, 0);
    ondc_err_t err;
    assert_int_equal(catalog_import(fx->st->s, txn, small, CATALOG_REPLACE, &err), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(small);

    txn = store_begin(fx->st->s, 1);
    assert_null(catalog_provider(fx->st->s, txn, "P2-KORA"));
    assert_null(catalog_item(fx->st->s, txn, "111863", "42602097"));
    json_t *it = catalog_item(fx->st->s, txn, "111863", "NEW-1");
    assert_non_null(it);
    json_decref(it);
    int64_t st;
    assert_int_equal(catalog_stock(fx->st->s, txn, "111863", "42602097", &st), -1);
    assert_int_equal(catalog_stock(fx->st->s, txn, "P2-KORA", "FM-RICE-5KG", &st), -1);
    assert_int_equal(catalog_stock(fx->st->s, txn, "111863", "NEW-1", &st), 0);
    json_t *bpp = catalog_bpp(fx->st->s, txn); /* the small catalog has no bpp/descriptor */
    assert_null(json_object_get(bpp, "descriptor"));
    json_decref(bpp);
    int counts[3] = {0};
    catalog_each_item(fx->st->s, txn, NULL, s_count_cb, counts);
    assert_int_equal(counts[0], 1);
    assert_int_equal(counts[1], 0);
    mdb_txn_abort(txn);
}

/* ---- validation ---- */

typedef void (*mutate_fn)(json_t *root);

static json_t *s_prov(json_t *root, size_t i)
{
    return json_array_get(json_object_get(root, "bpp/providers"), i);
}

static json_t *s_item(json_t *root, size_t p, size_t i)
{
    return json_array_get(json_object_get(s_prov(root, p), "items"), i);
}

static void m_price_abc(json_t *r)
{
    json_object_set_new(json_object_get(s_item(r, 0, 1), "price"), "value", json_string("abc"));
}
static void m_price_negative(json_t *r)
{
    json_object_set_new(json_object_get(s_item(r, 1, 0), "price"), "value", json_string("-1.00"));
}
static void m_price_missing(json_t *r)
{
    json_object_del(s_item(r, 0, 3), "price");
}
static void m_no_provider_id(json_t *r)
{
    json_object_del(s_prov(r, 0), "id");
}
static void m_provider_id_slash(json_t *r)
{
    json_object_set_new(s_prov(r, 1), "id", json_string("P2/KORA"));
}
static void m_dup_provider(json_t *r)
{
    json_object_set_new(s_prov(r, 1), "id", json_string("111863"));
}
static void m_dup_item(json_t *r)
{
    json_object_set_new(s_item(r, 0, 1), "id", json_string("42602097"));
}
static void m_item_id_number(json_t *r)
{
    json_object_set_new(s_item(r, 1, 2), "id", json_integer(5));
}
static void m_negative_stock(json_t *r)
{
    json_t *q = json_object_get(s_item(r, 0, 0), "quantity");
    json_object_set_new(json_object_get(q, "available"), "count", json_string("-1"));
}
static void m_negative_max(json_t *r)
{
    json_t *q = json_object_get(s_item(r, 0, 2), "quantity");
    json_object_set_new(json_object_get(q, "maximum"), "count", json_integer(-3));
}
static void m_no_item_name(json_t *r)
{
    json_object_del(json_object_get(s_item(r, 0, 2), "descriptor"), "name");
}
static void m_no_provider_name(json_t *r)
{
    json_object_del(json_object_get(s_prov(r, 1), "descriptor"), "name");
}
static void m_items_not_array(json_t *r)
{
    json_object_set_new(s_prov(r, 0), "items", json_object());
}
static void m_bad_delivery(json_t *r)
{
    json_t *ch = json_object_get(json_object_get(s_prov(r, 0), "seller"), "charges");
    json_object_set_new(ch, "delivery", json_string("abc"));
}
static void m_bad_tax(json_t *r)
{
    json_t *ch = json_object_get(json_object_get(s_prov(r, 1), "seller"), "charges");
    json_object_set_new(ch, "tax_percent", json_string("150"));
}
static void m_no_providers(json_t *r)
{
    json_object_del(r, "bpp/providers");
}
static void m_provider_not_object(json_t *r)
{
    json_array_set_new(json_object_get(r, "bpp/providers"), 1, json_string("x"));
}

static const struct {
    const char *name;
    mutate_fn fn;
    const char *path;
} s_invalid[] = {
    {"price abc", m_price_abc, "bpp/providers[0].items[1].price.value"},
    {"price negative", m_price_negative, "bpp/providers[1].items[0].price.value"},
    {"price missing", m_price_missing, "bpp/providers[0].items[3].price.value"},
    {"provider id missing", m_no_provider_id, "bpp/providers[0].id"},
    {"provider id with /", m_provider_id_slash, "bpp/providers[1].id"},
    {"duplicate provider", m_dup_provider, "bpp/providers[1].id"},
    {"duplicate item", m_dup_item, "bpp/providers[0].items[1].id"},
    {"item id a number", m_item_id_number, "bpp/providers[1].items[2].id"},
    {"negative stock", m_negative_stock, "bpp/providers[0].items[0].quantity.available.count"},
    {"negative maximum", m_negative_max, "bpp/providers[0].items[2].quantity.maximum.count"},
    {"item name missing", m_no_item_name, "bpp/providers[0].items[2].descriptor.name"},
    {"provider name missing", m_no_provider_name, "bpp/providers[1].descriptor.name"},
    {"items not an array", m_items_not_array, "bpp/providers[0].items"},
    {"delivery charge abc", m_bad_delivery, "bpp/providers[0].seller.charges.delivery"},
    {"tax 150%", m_bad_tax, "bpp/providers[1].seller.charges.tax_percent"},
    {"no providers", m_no_providers, "bpp/providers"},
    {"provider not an object", m_provider_not_object, "bpp/providers[1]"},
};

static void s_assert_old_catalog(fx_t *fx, MDB_txn *txn)
{
    json_t *it = catalog_item(fx->st->s, txn, "111863", "42602097");
    assert_non_null(it);
    assert_string_equal(s_str(it, "price.value"), "99.00");
    json_decref(it);
    it = catalog_item(fx->st->s, txn, "P2-KORA", "FM-RICE-5KG");
    assert_non_null(it);
    json_decref(it);
    int64_t st;
    assert_int_equal(catalog_stock(fx->st->s, txn, "111863", "42602097", &st), 0);
    assert_int_equal(st, 100);
}

static void test_validation_errors(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(catalog_validate(fx->catalog, NULL), 0);
    for (size_t i = 0; i < N(s_invalid); i++) {
        json_t *bad = json_deep_copy(fx->catalog);
        s_invalid[i].fn(bad);
        ondc_err_t err;
        err_clear(&err);
        if (catalog_validate(bad, &err) != -1)
            fail_msg("%s: accepted", s_invalid[i].name);
        if (strcmp(err.path, s_invalid[i].path) != 0)
            fail_msg("%s: path \"%s\", want \"%s\"", s_invalid[i].name, err.path,
                     s_invalid[i].path);
        if (!strstr(err.message, s_invalid[i].path))
            fail_msg("%s: message \"%s\" does not name %s", s_invalid[i].name, err.message,
                     s_invalid[i].path);
        assert_string_equal(err.code, "30000");
        assert_int_equal(err.type, ERR_TYPE_JSON_SCHEMA);
        assert_int_equal(err.http_status, 400);

        /* importing it fails, writes nothing even inside the transaction,
         * and the caller's abort leaves the stored catalog as it was */
        for (int mode = CATALOG_REPLACE; mode <= CATALOG_UPSERT; mode++) {
            MDB_txn *txn = store_begin(fx->st->s, 0);
            err_clear(&err);
            assert_int_equal(catalog_import(fx->st->s, txn, bad, (catalog_mode_t)mode, &err), -1);
            assert_string_equal(err.path, s_invalid[i].path);
            s_assert_old_catalog(fx, txn);
            mdb_txn_abort(txn);
        }
        json_decref(bad);
    }
    MDB_txn *txn = store_begin(fx->st->s, 1);
    s_assert_old_catalog(fx, txn);
    mdb_txn_abort(txn);

    /* not an object at all */
    json_t *arr = json_array();
    ondc_err_t err;
    assert_int_equal(catalog_validate(arr, &err), -1);
    assert_string_equal(err.code, "30000");
    json_decref(arr);
}

/* failure injection: the map is too small for the catalog */
static void test_import_map_full(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(fixture_store_wipe(fx->st), 0);
    fx->st->cfg.lmdb_map_size_mb = 1; /* 1 MiB */
    assert_int_equal(fixture_store_open(fx->st), 0);
    MDB_txn *txn = store_begin(fx->st->s, 0);
    ondc_err_t err;
    assert_int_equal(catalog_import(fx->st->s, txn, fx->catalog, CATALOG_REPLACE, &err), 0);
    assert_int_equal(store_commit(txn), 0);

    /* 300 items of 8 KiB each */
    json_t *big = json_deep_copy(fx->catalog);
    json_t *items = json_object_get(s_prov(big, 1), "items");
    char *blob = malloc(8193);
    memset(blob, 'd', 8192);
    blob[8192] = '\0';
    for (int i = 0; i < 300; i++) {
        char id[32];
        snprintf(id, sizeof id, "BIG-%d", i);
        json_t *it = json_deep_copy(json_array_get(items, 0));
        json_object_set_new(it, "id", json_string(id));
        json_object_set_new(json_object_get(it, "descriptor"), "name", json_string(id));
        json_object_set_new(json_object_get(it, "descriptor"), "long_desc", json_string(blob));
        json_array_append_new(items, it);
    }
    free(blob);
    assert_int_equal(catalog_validate(big, NULL), 0);
    txn = store_begin(fx->st->s, 0);
    err_clear(&err);
    assert_int_equal(catalog_import(fx->st->s, txn, big, CATALOG_REPLACE, &err), -1);
    assert_string_equal(err.code, "31001");
    assert_int_equal(err.type, ERR_TYPE_CORE);
    assert_int_equal(err.http_status, 500);
    mdb_txn_abort(txn);
    json_decref(big);

    txn = store_begin(fx->st->s, 1);
    s_assert_old_catalog(fx, txn);
    assert_null(catalog_item(fx->st->s, txn, "P2-KORA", "BIG-0"));
    mdb_txn_abort(txn);
}

/* ---- quotes ---- */

/* s_check_sum - the breakup rows sum exactly to quote.price and Q->total. */
static void s_check_sum(const quote_t *q)
{
    int64_t price = 0, sum = 0;
    assert_int_equal(money_parse(s_str(q->quote, "price.value"), &price), 0);
    assert_string_equal(s_str(q->quote, "price.currency"), "INR");
    assert_int_equal(price, q->total);
    json_t *breakup = json_object_get(q->quote, "breakup");
    size_t i;
    json_t *row;
    json_array_foreach(breakup, i, row)
    {
        int64_t v;
        const char *text = s_str(row, "price.value");
        assert_non_null(text);
        assert_int_equal(money_parse(text, &v), 0);
        assert_string_equal(s_str(row, "price.currency"), "INR");
        sum += v;
    }
    assert_int_equal(sum, price);
}

typedef struct {
    const char *type, *item_id, *value;
} row_want_t;

static void s_check_rows(const quote_t *q, const row_want_t *want, size_t n)
{
    json_t *breakup = json_object_get(q->quote, "breakup");
    if (json_array_size(breakup) != n)
        fail_msg("%zu breakup rows, want %zu", json_array_size(breakup), n);
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(breakup, i);
        const char *type = s_str(row, "@ondc/org/title_type");
        const char *iid = s_str(row, "@ondc/org/item_id");
        const char *val = s_str(row, "price.value");
        if (!type || !iid || !val || strcmp(type, want[i].type) != 0 ||
            strcmp(iid, want[i].item_id) != 0 || strcmp(val, want[i].value) != 0)
            fail_msg("row %zu: %s/%s/%s, want %s/%s/%s", i, type, iid, val, want[i].type,
                     want[i].item_id, want[i].value);
    }
}

static json_t *s_seed_order(fx_t *fx)
{
    return json_object_get(json_object_get(fx->seed, "message"), "order");
}

static void test_quote_seed(void **state)
{
    fx_t *fx = *state;
    MDB_txn *txn = store_begin(fx->st->s, 1);
    quote_t q;
    ondc_err_t err;
    err_clear(&err);
    assert_int_equal(quote_build(fx->st->s, txn, s_seed_order(fx), "1.0.0", &q, &err), 0);
    assert_int_equal(q.soft, 0);
    assert_string_equal(err.code, "");
    assert_int_equal(q.total, 14700);
    assert_string_equal(s_str(q.quote, "price.value"), "147.00");
    assert_string_equal(s_str(q.quote, "ttl"), "P1D");
    assert_string_equal(q.provider_id, "111863");
    assert_string_equal(q.fulfillment_id, "1");
    assert_int_equal(q.cod_ok, 1);
    assert_string_equal(s_str(q.provider, "id"), "111863");
    static const row_want_t rows[] = {
        {"item", "42602097", "99.00"}, {"delivery", "", "23.00"}, {"packing", "", "25.00"}};
    s_check_rows(&q, rows, N(rows));
    json_t *item = json_array_get(json_object_get(q.quote, "breakup"), 0);
    assert_string_equal(s_str(item, "@ondc/org/item_quantity.count"), "1");
    assert_string_equal(s_str(item, "item.price.value"), "99.00");
    assert_string_equal(s_str(item, "item.quantity.available.count"), "100");
    assert_string_equal(s_str(item, "item.quantity.maximum.count"), "100");
    assert_string_equal(s_str(item, "title"), "Butter milk Amul");
    s_check_sum(&q);
    quote_release(&q);
    assert_null(q.quote);
    assert_null(q.provider);
    quote_release(&q); /* twice is harmless */

    /* 1.2.0: the charges carry the fulfillment id */
    assert_int_equal(quote_build(fx->st->s, txn, s_seed_order(fx), "1.2.0", &q, &err), 0);
    static const row_want_t rows12[] = {
        {"item", "42602097", "99.00"}, {"delivery", "1", "23.00"}, {"packing", "1", "25.00"}};
    s_check_rows(&q, rows12, N(rows12));
    s_check_sum(&q);
    /* 1.2.x: the count an integer, the stock not disclosed ("99" while
     * there is some), and item.quantity gone once stripped for on_init */
    item = json_array_get(json_object_get(q.quote, "breakup"), 0);
    assert_string_equal(s_count(item, "@ondc/org/item_quantity.count"), "1");
    assert_string_equal(s_str(item, "item.quantity.available.count"), "99");
    assert_string_equal(s_str(item, "item.quantity.maximum.count"), "99");
    quote_strip_item_quantity(q.quote);
    assert_null(s_at(item, "item.quantity"));
    assert_string_equal(s_str(item, "item.price.value"), "99.00");
    assert_true(quote_retail12("1.2.5"));
    assert_false(quote_retail12("1.0.0"));
    assert_false(quote_retail12(NULL));
    quote_release(&q);
    mdb_txn_abort(txn);
}

static void test_quote_tax(void **state)
{
    fx_t *fx = *state;
    json_t *order = json_loads(
        "{\"provider\":{\"id\":\"P2-KORA\"},"
        "\"items\":[{\"id\":\"FM-RICE-5KG\",\"quantity\":{\"count\":2}},"
        "{\"id\":\"FM-TOOR-1KG\",\"quantity\":{\"count\":\"1\"}}],"
        "\"fulfillments\":[{\"id\":\"F9\"}]}",
        0, NULL);
    assert_non_null(order);
    MDB_txn *txn = store_begin(fx->st->s, 1);
    quote_t q;
    ondc_err_t err;
    err_clear(&err);
    assert_int_equal(quote_build(fx->st->s, txn, order, "1.2.0", &q, &err), 0);
    assert_int_equal(q.soft, 0);
    assert_int_equal(q.total, 94615);
    assert_string_equal(s_str(q.quote, "price.value"), "946.15");
    assert_string_equal(q.fulfillment_id, "F9"); /* no item fulfillment_id: the order's */
    static const row_want_t rows[] = {
        {"item", "FM-RICE-5KG", "698.00"}, {"item", "FM-TOOR-1KG", "165.00"},
        {"delivery", "F9", "30.00"},       {"packing", "F9", "10.00"},
        {"tax", "FM-RICE-5KG", "34.90"},   {"tax", "FM-TOOR-1KG", "8.25"},
    };
    s_check_rows(&q, rows, N(rows));
    json_t *rice = json_array_get(json_object_get(q.quote, "breakup"), 0);
    assert_string_equal(s_count(rice, "@ondc/org/item_quantity.count"), "2");
    assert_string_equal(s_str(rice, "item.price.value"), "349.00");
    s_check_sum(&q);
    quote_release(&q);
    mdb_txn_abort(txn);
    json_decref(order);
}

static void test_quote_cod_and_ids(void **state)
{
    fx_t *fx = *state;
    /* integer provider id; an item not payable on delivery */
    json_t *order = json_loads("{\"provider\":{\"id\":111863},"
                               "\"items\":[{\"id\":\"42602097\",\"quantity\":{\"count\":1}},"
                               "{\"id\":42602105,\"quantity\":{\"count\":2}}]}",
                               0, NULL);
    MDB_txn *txn = store_begin(fx->st->s, 1);
    quote_t q;
    ondc_err_t err;
    err_clear(&err);
    assert_int_equal(quote_build(fx->st->s, txn, order, "1.2.0", &q, &err), 0);
    assert_int_equal(q.cod_ok, 0);
    assert_string_equal(q.fulfillment_id, "1"); /* nothing given: "1" */
    static const row_want_t rows[] = {{"item", "42602097", "99.00"},
                                      {"item", "42602105", "116.00"},
                                      {"delivery", "1", "23.00"},
                                      {"packing", "1", "25.00"}};
    s_check_rows(&q, rows, N(rows));
    assert_int_equal(q.total, 26300);
    s_check_sum(&q);
    quote_release(&q);
    mdb_txn_abort(txn);
    json_decref(order);
}

typedef struct {
    const char *name;
    const char *order;
    int rc;
    const char *code, *path;
    int soft;
    const char *qty;   /* soft: the quoted quantity of the failing item (row 0) */
    const char *value; /* soft: its row value */
    int64_t total;
} quote_case_t;

static const quote_case_t s_quote_cases[] = {
    {"unknown provider",
     "{\"provider\":{\"id\":\"NOPE\"},\"items\":[{\"id\":\"42602097\",\"quantity\":{\"count\":1}}]}",
     -1, "30001", "message.order.provider.id", 0, NULL, NULL, 0},
    {"no provider id", "{\"provider\":{},\"items\":[{\"id\":\"42602097\",\"quantity\":{\"count\":1}}]}",
     -1, "30000", "message.order.provider.id", 0, NULL, NULL, 0},
    {"unknown item",
     "{\"provider\":{\"id\":\"111863\"},\"items\":[{\"id\":\"NOPE\",\"quantity\":{\"count\":1}}]}",
     -1, "30004", "message.order.items[0].id", 0, NULL, NULL, 0},
    {"second item unknown",
     "{\"provider\":{\"id\":\"111863\"},\"items\":[{\"id\":\"42602097\",\"quantity\":{\"count\":1}},"
     "{\"id\":\"FM-RICE-5KG\",\"quantity\":{\"count\":1}}]}",
     -1, "30004", "message.order.items[1].id", 0, NULL, NULL, 0},
    {"item without id", "{\"provider\":{\"id\":\"111863\"},\"items\":[{\"quantity\":{\"count\":1}}]}",
     -1, "30000", "message.order.items[0].id", 0, NULL, NULL, 0},
    {"quantity 0",
     "{\"provider\":{\"id\":\"111863\"},\"items\":[{\"id\":\"42602097\",\"quantity\":{\"count\":0}}]}",
     -1, "30000", "message.order.items[0].quantity.count", 0, NULL, NULL, 0},
    {"quantity -2",
     "{\"provider\":{\"id\":\"111863\"},\"items\":[{\"id\":\"42602097\",\"quantity\":{\"count\":\"-2\"}}]}",
     -1, "30000", "message.order.items[0].quantity.count", 0, NULL, NULL, 0},
    {"quantity missing", "{\"provider\":{\"id\":\"111863\"},\"items\":[{\"id\":\"42602097\"}]}", -1,
     "30000", "message.order.items[0].quantity.count", 0, NULL, NULL, 0},
    {"no items", "{\"provider\":{\"id\":\"111863\"},\"items\":[]}", -1, "30000",
     "message.order.items", 0, NULL, NULL, 0},
    {"order not an object", "[]", -1, "30000", "message.order", 0, NULL, NULL, 0},
    {"over maximum",
     "{\"provider\":{\"id\":\"111863\"},\"items\":[{\"id\":\"42602101\",\"quantity\":{\"count\":11}}]}",
     0, "40009", "message.order.items[0].quantity.count", 1, "10", "270.00", 27000 + 4800},
    {"over stock",
     "{\"provider\":{\"id\":\"111863\"},\"items\":[{\"id\":\"42602110\",\"quantity\":{\"count\":2}}]}",
     0, "40002", "message.order.items[0].quantity.count", 1, "1", "95.50", 9550 + 4800},
    {"out of stock",
     "{\"provider\":{\"id\":\"P2-KORA\"},\"items\":[{\"id\":\"FM-BANANA-1DZ\",\"quantity\":{\"count\":1}}]}",
     0, "40002", "message.order.items[0].quantity.count", 1, "0", "0.00", 4000},
};

static void test_quote_errors(void **state)
{
    fx_t *fx = *state;
    MDB_txn *txn = store_begin(fx->st->s, 1);
    for (size_t i = 0; i < N(s_quote_cases); i++) {
        const quote_case_t *c = &s_quote_cases[i];
        json_t *order = json_loads(c->order, 0, NULL);
        assert_non_null(order);
        quote_t q;
        ondc_err_t err;
        err_clear(&err);
        int rc = quote_build(fx->st->s, txn, order, "1.2.0", &q, &err);
        json_decref(order);
        if (rc != c->rc)
            fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->rc, err.message);
        if (strcmp(err.code, c->code) != 0 || strcmp(err.path, c->path) != 0)
            fail_msg("%s: %s at \"%s\", want %s at \"%s\"", c->name, err.code, err.path, c->code,
                     c->path);
        assert_int_equal(err.http_status, 400);
        if (rc < 0) {
            /* nothing to release */
            assert_null(q.quote);
            assert_null(q.provider);
            continue;
        }
        assert_int_equal(err.type, ERR_TYPE_DOMAIN);
        assert_int_equal(q.soft, c->soft);
        json_t *row = json_array_get(json_object_get(q.quote, "breakup"), 0);
        assert_string_equal(s_str(row, "@ondc/org/title_type"), "item");
        assert_string_equal(s_count(row, "@ondc/org/item_quantity.count"), c->qty);
        assert_string_equal(s_str(row, "price.value"), c->value);
        assert_int_equal(q.total, c->total);
        s_check_sum(&q);
        quote_release(&q);
    }
    mdb_txn_abort(txn);
}

static void test_quote_disabled_item(void **state)
{
    fx_t *fx = *state;
    MDB_txn *txn = store_begin(fx->st->s, 0);
    json_t *it = catalog_item(fx->st->s, txn, "111863", "42602097");
    json_object_set_new(it, "enabled", json_false());
    assert_int_equal(catalog_put_item(fx->st->s, txn, "111863", it), 0);
    json_decref(it);
    quote_t q;
    ondc_err_t err;
    assert_int_equal(quote_build(fx->st->s, txn, s_seed_order(fx), "1.0.0", &q, &err), -1);
    assert_string_equal(err.code, "30004");
    assert_string_equal(err.path, "message.order.items[0].id");
    mdb_txn_abort(txn);

    /* stock lowered to 0 after import: soft 40002 */
    txn = store_begin(fx->st->s, 0);
    assert_int_equal(catalog_stock_set(fx->st->s, txn, "111863", "42602097", 0), 0);
    err_clear(&err);
    assert_int_equal(quote_build(fx->st->s, txn, s_seed_order(fx), "1.0.0", &q, &err), 0);
    assert_int_equal(q.soft, 1);
    assert_string_equal(err.code, "40002");
    assert_int_equal(q.total, 4800);
    s_check_sum(&q);
    quote_release(&q);
    mdb_txn_abort(txn);
}

static void test_quote_id_str(void **state)
{
    (void)state;
    char buf[8];
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"\"abc\"", "abc"}, {"148273", "148273"}, {"\"1234567\"", "1234567"},
        {"\"12345678\"", NULL}, /* does not fit */
        {"\"\"", NULL},     {"null", NULL},       {"1.5", NULL},
        {"[]", NULL},
    };
    for (size_t i = 0; i < N(cases); i++) {
        json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        const char *got = quote_id_str(v, buf, sizeof buf);
        json_decref(v);
        if (!cases[i].want) {
            if (got)
                fail_msg("quote_id_str(%s) = \"%s\", want NULL", cases[i].json, got);
        } else {
            assert_non_null(got);
            assert_string_equal(got, cases[i].want);
        }
    }
    assert_null(quote_id_str(NULL, buf, sizeof buf));
}

/* BUG (seller/catalog.c, catalog_stock and catalog_stock_set): the key is
 * built with snprintf into key[300] and the MDB_val size is snprintf's
 * return value - the length it would have written - so a provider id plus
 * item id longer than 298 characters makes LMDB read past the end of key
 * (AddressSanitizer: stack-buffer-overflow, READ of size 401, in mdb_put
 * from catalog_stock_set). Today's callers pass ids the catalog validated
 * (at most 128 characters each), but nothing in the API says so. Fix:
 * return -1 when kl < 0 || kl >= sizeof key (registry.c s_cache_get and
 * registry_cache_put build "subscriber|ukid" the same way into kb[400]). */
static void test_stock_long_ids(void **state)
{
    fx_t *fx = *state;
    char pid[201], iid[201];
    memset(pid, 'p', 200);
    pid[200] = '\0';
    memset(iid, 'i', 200);
    iid[200] = '\0';
    MDB_txn *txn = store_begin(fx->st->s, 0);
    /* the longest ids the catalog accepts work */
    int64_t st = 0;
    assert_int_equal(catalog_stock_set(fx->st->s, txn, pid + 72, iid + 72, 5), 0);
    assert_int_equal(catalog_stock(fx->st->s, txn, pid + 72, iid + 72, &st), 0);
    assert_int_equal(st, 5);
    /* longer ones are refused, not read past the key buffer */
    int set = catalog_stock_set(fx->st->s, txn, pid, iid, 7);
    int get = catalog_stock(fx->st->s, txn, pid, iid, &st);
    mdb_txn_abort(txn);
    assert_int_equal(set, -1);
    assert_int_equal(get, -1);
}

/* the parse cache behind catalog_provider_ro/catalog_item_ro: a second
 * read of unchanged bytes is the same object; a change (committed or not)
 * is read at once, and an aborted change is not served afterwards */
static void test_parse_cache(void **state)
{
    fx_t *fx = *state;
    MDB_txn *txn = store_begin(fx->st->s, 1);
    json_t *a = catalog_item_ro(fx->st->s, txn, "111863", "42602097");
    json_t *b = catalog_item_ro(fx->st->s, txn, "111863", "42602097");
    assert_non_null(a);
    assert_ptr_equal(a, b); /* served from the cache */
    json_t *fresh = catalog_item(fx->st->s, txn, "111863", "42602097");
    assert_true(json_equal(a, fresh));
    assert_ptr_not_equal(a, fresh);
    json_decref(fresh);
    json_t *p1 = catalog_provider_ro(fx->st->s, txn, "111863");
    json_t *p2 = catalog_provider_ro(fx->st->s, txn, "111863");
    assert_ptr_equal(p1, p2);
    assert_null(catalog_provider_ro(fx->st->s, txn, "NOPE"));
    assert_null(catalog_item_ro(fx->st->s, txn, "111863", "NOPE"));
    json_decref(p1);
    json_decref(p2);
    json_decref(b);
    mdb_txn_abort(txn);

    /* a new price in a write transaction: read back at once */
    txn = store_begin(fx->st->s, 0);
    json_t *it = catalog_item(fx->st->s, txn, "111863", "42602097");
    json_object_set_new(json_object_get(it, "price"), "value", json_string("123.45"));
    assert_int_equal(catalog_put_item(fx->st->s, txn, "111863", it), 0);
    json_decref(it);
    json_t *c = catalog_item_ro(fx->st->s, txn, "111863", "42602097");
    assert_ptr_not_equal(c, a);
    assert_string_equal(s_str(c, "price.value"), "123.45");
    quote_t q;
    ondc_err_t err;
    assert_int_equal(quote_build(fx->st->s, txn, s_seed_order(fx), "1.2.0", &q, &err), 0);
    assert_string_equal(s_str(q.quote, "breakup[0].price.value"), "123.45");
    quote_release(&q);
    json_decref(c);
    mdb_txn_abort(txn); /* the change is gone */

    txn = store_begin(fx->st->s, 1);
    json_t *d = catalog_item_ro(fx->st->s, txn, "111863", "42602097");
    assert_true(json_equal(d, a));
    assert_string_equal(s_str(d, "price.value"), s_str(a, "price.value"));
    assert_int_equal(quote_build(fx->st->s, txn, s_seed_order(fx), "1.2.0", &q, &err), 0);
    assert_string_equal(s_str(q.quote, "breakup[0].price.value"), s_str(a, "price.value"));
    quote_release(&q);
    json_decref(d);
    json_decref(a);
    mdb_txn_abort(txn);
    catalog_cache_clear();
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_import_reads),        T(test_count_helper),     T(test_upsert),
        T(test_replace),             T(test_validation_errors), T(test_import_map_full),
        T(test_quote_seed),          T(test_quote_tax),        T(test_quote_cod_and_ids),
        T(test_quote_errors),        T(test_quote_disabled_item), T(test_quote_id_str),
        T(test_stock_long_ids),      T(test_parse_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
