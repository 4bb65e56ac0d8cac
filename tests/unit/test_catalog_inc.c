/*
 * test_catalog_inc.c - catalog_rules.{c,h} (ONDC retail's mandatory
 * attributes: a table of refusals with their paths, and what is derived)
 * and catalog_inc.{c,h} (change notes, the pull window, subscriptions and
 * push rounds) on a real LMDB environment holding the demo catalog.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog.h"
#include "catalog_inc.h"
#include "catalog_rules.h"
#include "clock.h"
#include "context.h"
#include "fixture_store.h"
#include "tags.h"

#define CATALOG "tests/fixtures/catalog-demo.json"

static int s_setup(void **state)
{
    fixture_store_t *fx = fixture_store_new_open("test_catalog_inc");
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
    json_t *cat = json_load_file(CATALOG, 0, &je);
    assert_non_null(cat);
    return cat;
}

static json_t *s_at(json_t *root, const char *path)
{
    /* "p1.i2" style: provider index, item index */
    int pi = -1, ii = -1;
    sscanf(path, "p%d.i%d", &pi, &ii);
    json_t *p = json_array_get(json_object_get(root, "bpp/providers"), (size_t)pi);
    return ii < 0 ? p : json_array_get(json_object_get(p, "items"), (size_t)ii);
}

/* ---- rules ---- */

static void test_rules_derive(void **state)
{
    (void)state;
    json_t *cat = s_demo();
    ondc_err_t err;
    assert_int_equal(catalog_rules_apply(cat, 1, 1735689600000LL, &err), 0);
    json_t *p = s_at(cat, "p1");
    /* timing from the location's days and range */
    const char *t[] = {"type", "location", "day_from", "day_to", "time_from", "time_to"};
    const char *want[] = {"All", "L-KORA-1", "1", "7", "0800", "2100"};
    json_t *timing = tags_list(tags_find(json_object_get(p, "tags"), "timing"));
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(tags_value(timing, t[i]), want[i]);
    /* one serviceability tag per item category, the given one kept */
    size_t pos = 0, n = 0;
    json_t *tg;
    while ((tg = tags_next(json_object_get(p, "tags"), "serviceability", &pos)) != NULL) {
        n++;
        assert_string_equal(tags_value(tags_list(tg), "val"), "5");
    }
    assert_int_equal(n, 3);
    /* bpp fulfillment ids, seller domain, consumer care */
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(cat, "bpp/fulfillments"), 1), "id")),
                        "2");
    assert_string_equal(catalog_provider_domain(p), "ONDC:RET10");
    assert_string_equal(json_string_value(json_object_get(s_at(cat, "p1.i0"),
                                                          "@ondc/org/contact_details_consumer_care")),
                        "Koramangala Fresh Mart,help@freshmart.example,9845098450");
    json_decref(cat);

    /* gps to six decimals, symbol from the image, time filled */
    cat = s_demo();
    json_t *loc = json_array_get(json_object_get(s_at(cat, "p0"), "locations"), 0);
    json_object_set_new(loc, "gps", json_string("12.9783,77.6408"));
    json_object_del(json_object_get(s_at(cat, "p0.i1"), "descriptor"), "symbol");
    json_object_del(s_at(cat, "p0.i1"), "time");
    assert_int_equal(catalog_rules_apply(cat, 1, 1735689600000LL, &err), 0);
    assert_string_equal(json_string_value(json_object_get(loc, "gps")), "12.978300,77.640800");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(s_at(cat, "p0.i1"), "descriptor"), "symbol")),
        "https://example.com/images/amul-taaza.png");
    assert_string_equal(json_string_value(json_object_get(json_object_get(s_at(cat, "p0.i1"), "time"),
                                                          "timestamp")),
                        "2025-01-01T00:00:00.000Z");
    json_decref(cat);
}

static void m_no_code(json_t *c) { json_object_del(json_object_get(s_at(c, "p0.i0"), "descriptor"), "code"); }
static void m_code_hsn(json_t *c)
{
    json_object_set_new(json_object_get(s_at(c, "p0.i0"), "descriptor"), "code", json_string("4:1234"));
}
static void m_no_long(json_t *c) { json_object_del(json_object_get(s_at(c, "p1.i2"), "descriptor"), "long_desc"); }
static void m_unit(json_t *c)
{
    json_object_set_new(json_object_get(json_object_get(json_object_get(s_at(c, "p0.i2"), "quantity"),
                                                        "unitized"),
                                        "measure"),
                        "unit", json_string("packet"));
}
static void m_category(json_t *c) { json_object_set_new(s_at(c, "p1.i1"), "category_id", json_string("Foodgrains")); }
static void m_no_origin(json_t *c) { json_object_set_new(s_at(c, "p0.i3"), "tags", json_array()); }
static void m_statutory(json_t *c)
{
    json_object_del(json_object_get(s_at(c, "p1.i0"), "@ondc/org/statutory_reqs_packaged_commodities"),
                    "manufacturer_or_packer_name");
}
static void m_no_cats(json_t *c) { json_object_set_new(s_at(c, "p1"), "categories", json_array()); }
static void m_email(json_t *c)
{
    json_object_set_new(json_object_get(json_array_get(json_object_get(s_at(c, "p0"), "fulfillments"), 1),
                                        "contact"),
                        "email", json_string("nobody"));
}
static void m_range(json_t *c)
{
    json_t *loc = json_array_get(json_object_get(s_at(c, "p1"), "locations"), 0);
    json_object_set_new(json_object_get(json_object_get(loc, "time"), "range"), "end", json_string("0700"));
}
static void m_svc(json_t *c)
{
    json_t *l = tags_list(tags_find(json_object_get(s_at(c, "p1"), "tags"), "serviceability"));
    json_object_set_new(json_array_get(l, 3), "value", json_string("9")); /* val, not the radius */
}
static void m_flag(json_t *c) { json_object_set_new(s_at(c, "p1.i1"), "@ondc/org/returnable", json_string("yes")); }
static void m_care(json_t *c)
{
    json_object_set_new(s_at(c, "p0.i1"), "@ondc/org/contact_details_consumer_care",
                        json_string("Amul Parlour,9886098860"));
}
static void m_no_bpp(json_t *c) { json_object_del(c, "bpp/descriptor"); }

static void test_rules_refuse(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        void (*mutate)(json_t *);
        const char *path;
    } cases[] = {
        {"no code", m_no_code, "bpp/providers[0].items[0].descriptor.code"},
        {"an HSN in grocery", m_code_hsn, "bpp/providers[0].items[0].descriptor.code"},
        {"no long_desc", m_no_long, "bpp/providers[1].items[2].descriptor.long_desc"},
        {"an unknown unit", m_unit, "bpp/providers[0].items[2].quantity.unitized.measure"},
        {"not an ONDC category", m_category, "bpp/providers[1].items[1].category_id"},
        {"no origin", m_no_origin, "bpp/providers[0].items[3].tags"},
        {"statutory field", m_statutory,
         "bpp/providers[1].items[0].@ondc/org/statutory_reqs_packaged_commodities.manufacturer_or_packer_name"},
        {"no categories", m_no_cats, "bpp/providers[1].categories"},
        {"a bad email", m_email, "bpp/providers[0].fulfillments[1].contact.email"},
        {"closing before opening", m_range, "bpp/providers[1].locations[0].time.range"},
        {"serviceability val not the radius", m_svc, "bpp/providers[1].tags"},
        {"a flag that is a string", m_flag, "bpp/providers[1].items[1].@ondc/org/returnable"},
        {"consumer care without email", m_care,
         "bpp/providers[0].items[1].@ondc/org/contact_details_consumer_care"},
        {"no bpp/descriptor", m_no_bpp, "bpp/descriptor"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *cat = s_demo();
        cases[i].mutate(cat);
        ondc_err_t err;
        memset(&err, 0, sizeof err);
        if (catalog_rules_apply(cat, 1, 1735689600000LL, &err) != -1)
            fail_msg("%s: taken", cases[i].what);
        if (strcmp(err.path, cases[i].path) != 0)
            fail_msg("%s: path %s, want %s", cases[i].what, err.path, cases[i].path);
        assert_string_equal(err.code, "30000");
        json_decref(cat);
    }
}

/* ---- the incremental catalog ---- */

/* s_patch - PATCH {"price": PRICE} of 111863/IID, committed */
static void s_patch(fixture_store_t *fx, const char *iid, const char *price)
{
    MDB_txn *txn = store_begin(fx->s, 0);
    json_t *patch = json_pack("{s:s}", "price", price);
    ondc_err_t err;
    assert_int_equal(catalog_patch_item(fx->s, txn, "111863", iid, patch, &err), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(patch);
}

static int s_cmp(const void *x, const void *y)
{
    return strcmp(json_string_value(*(json_t *const *)x), json_string_value(*(json_t *const *)y));
}

static json_t *s_changed_ids(fixture_store_t *fx, int64_t from, int64_t to, const char *domain)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    json_t *msg = catalog_inc_changes(fx->s, txn, from, to, domain);
    mdb_txn_abort(txn);
    json_t *ids = json_array();
    size_t i, j;
    json_t *p, *it;
    json_array_foreach(json_object_get(json_object_get(msg, "catalog"), "bpp/providers"), i, p)
        json_array_foreach(json_object_get(p, "items"), j, it)
    {
        char id[400];
        snprintf(id, sizeof id, "%s/%s/%s", json_string_value(json_object_get(p, "id")),
                 json_string_value(json_object_get(it, "id")),
                 json_string_value(json_object_get(json_object_get(it, "time"), "label")));
        json_array_append_new(ids, json_string(id));
    }
    json_decref(msg);
    /* sorted: the order of providers follows the times of their changes */
    size_t n = json_array_size(ids);
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): the elements are pointers */
    json_t **v = calloc(n ? n : 1, sizeof *v);
    for (i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(ids, i));
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): the elements are pointers */
    qsort(v, n, sizeof *v, s_cmp);
    json_array_clear(ids);
    for (i = 0; i < n; i++)
        json_array_append_new(ids, v[i]);
    free(v);
    return ids;
}

static char *s_ids_text(json_t *ids)
{
    char *t = json_dumps(ids, JSON_COMPACT);
    json_decref(ids);
    return t;
}

static void test_changes_window(void **state)
{
    fixture_store_t *fx = *state;
    int64_t t0 = clock_wall_ms();
    char *t = s_ids_text(s_changed_ids(fx, t0, t0 + 60000, "ONDC:RET10"));
    assert_string_equal(t, "[]"); /* nothing yet */
    free(t);
    MDB_txn *txn = store_begin(fx->s, 0);
    ondc_err_t err;
    json_t *p1 = json_pack("{s:s}", "price", "57.00"), *p2 = json_pack("{s:s}", "price", "99.00");
    json_t *p3 = json_pack("{s:b}", "enabled", 0);
    assert_int_equal(catalog_patch_item(fx->s, txn, "111863", "42602105", p1, &err), 0);
    /* an unchanged item writes no note */
    assert_int_equal(catalog_patch_item(fx->s, txn, "111863", "42602097", p2, &err), 0);
    /* the stock reaching 0 is a change; a stock that stays above 0 is not */
    assert_int_equal(catalog_stock_add(fx->s, txn, "111863", "42602110", -1), 0);
    assert_int_equal(catalog_stock_add(fx->s, txn, "P2-KORA", "FM-RICE-5KG", -1), 0);
    assert_int_equal(catalog_patch_item(fx->s, txn, "P2-KORA", "FM-BANANA-1DZ", p3, &err), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(p1);
    json_decref(p2);
    json_decref(p3);
    int64_t t1 = clock_wall_ms() + 1;
    t = s_ids_text(s_changed_ids(fx, t0, t1, "ONDC:RET10"));
    assert_string_equal(t, "[\"111863/42602105/enable\",\"111863/42602110/enable\","
                           "\"P2-KORA/FM-BANANA-1DZ/disable\"]");
    free(t);
    t = s_ids_text(s_changed_ids(fx, t0, t1, "ONDC:RET12")); /* another domain's */
    assert_string_equal(t, "[]");
    free(t);
    t = s_ids_text(s_changed_ids(fx, t1, t1 + 60000, NULL)); /* a later window */
    assert_string_equal(t, "[]");
    free(t);
    /* a replace without the banana: its tombstone, labelled disable */
    json_t *cat = s_demo();
    json_array_remove(json_object_get(s_at(cat, "p1"), "items"), 2);
    usleep(2000); /* the window starts after the changes above, not in their millisecond */
    int64_t t2 = clock_wall_ms();
    txn = store_begin(fx->s, 0);
    assert_int_equal(catalog_import(fx->s, txn, cat, CATALOG_REPLACE, &err), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(cat);
    t = s_ids_text(s_changed_ids(fx, t2, clock_wall_ms() + 1, "ONDC:RET10"));
    /* the replace put back the price; the live stock stays (catalog_sync.h) */
    assert_string_equal(t, "[\"111863/42602105/enable\",\"P2-KORA/FM-BANANA-1DZ/disable\"]");
    free(t);
    /* a replace that says "stock": "set" puts the stock back too */
    cat = s_demo();
    json_object_set_new(cat, "stock", json_string("set"));
    usleep(2000);
    int64_t t3 = clock_wall_ms();
    txn = store_begin(fx->s, 0);
    assert_int_equal(catalog_import(fx->s, txn, cat, CATALOG_REPLACE, &err), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(cat);
    t = s_ids_text(s_changed_ids(fx, t3, clock_wall_ms() + 1, "ONDC:RET10"));
    assert_non_null(strstr(t, "\"111863/42602110/enable\""));
    free(t);
    assert_int_equal(fixture_store_import(fx, CATALOG), 0);
}

static int s_sent(uint64_t id, void *arg)
{
    (void)id;
    (*(int *)arg)++;
    return 0;
}

static int s_round(fixture_store_t *fx, int64_t now)
{
    int sent = 0;
    MDB_txn *txn = store_begin(fx->s, 0);
    int n = catalog_inc_push(fx->s, txn, &fx->cfg, now, s_sent, &sent);
    assert_int_equal(store_commit(txn), 0);
    assert_int_equal(n, sent);
    return n;
}

static void test_push_rounds(void **state)
{
    fixture_store_t *fx = *state;
    fx->cfg.search_inc_interval_s = 1;
    snprintf(fx->cfg.subscriber_id, sizeof fx->cfg.subscriber_id, "seller.test.local");
    snprintf(fx->cfg.bpp_uri, sizeof fx->cfg.bpp_uri, "https://seller.test.local");
    usleep(2000); /* the subscriptions start after the import's changes, not in its millisecond */
    int64_t now = clock_wall_ms();
    json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "domain", "ONDC:RET10", "action",
                          "search", "country", "IND", "city", "*", "core_version", "1.2.0",
                          "bap_id", "a.example", "bap_uri", "https://a.example/ondc",
                          "transaction_id", "T-A");
    json_t *b = json_deep_copy(a);
    json_object_set_new(b, "bap_id", json_string("b.example"));
    json_object_set_new(b, "transaction_id", json_string("T-B"));
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_int_equal(catalog_inc_subscribe(fx->s, txn, a, now, 0), 0);
    assert_int_equal(catalog_inc_subscribe(fx->s, txn, b, now, now + 3000), 0); /* ends */
    assert_int_equal(store_commit(txn), 0);
    assert_int_equal(s_round(fx, clock_wall_ms()), 0); /* nothing changed */
    txn = store_begin(fx->s, 1);
    assert_int_equal(catalog_inc_due(fx->s, txn, &fx->cfg, clock_wall_ms()), 0); /* just ran */
    mdb_txn_abort(txn);
    s_patch(fx, "42602105", "56.00");
    assert_int_equal(s_round(fx, clock_wall_ms()), 0); /* not due yet */
    usleep(1100 * 1000);
    assert_int_equal(s_round(fx, clock_wall_ms()), 2); /* both subscribers, once */
    usleep(2100 * 1000); /* past b's end, however late the round above ran */
    assert_int_equal(s_round(fx, clock_wall_ms()), 0); /* nothing since; b has ended */
    txn = store_begin(fx->s, 0);
    assert_int_equal(catalog_inc_unsubscribe(fx->s, txn, b), 0);
    assert_int_equal(store_commit(txn), 0);
    s_patch(fx, "42602105", "58.00");
    usleep(1100 * 1000);
    assert_int_equal(s_round(fx, clock_wall_ms()), 1); /* a only */
    txn = store_begin(fx->s, 0);
    assert_int_equal(catalog_inc_unsubscribe(fx->s, txn, a), 1); /* stop */
    assert_int_equal(store_commit(txn), 0);
    s_patch(fx, "42602105", "57.00");
    usleep(1100 * 1000);
    assert_int_equal(s_round(fx, clock_wall_ms()), 0); /* nobody left */
    json_decref(a);
    json_decref(b);
}

static void test_parse(void **state)
{
    (void)state;
    static const struct {
        const char *message;
        int rc;
        catalog_inc_kind_t kind;
    } cases[] = {
        {"{\"intent\":{}}", 0, CATALOG_INC_NONE},
        {"{\"intent\":{\"tags\":[{\"code\":\"catalog_inc\",\"list\":[{\"code\":\"mode\",\"value\":\"start\"}]}]}}",
         0, CATALOG_INC_START},
        {"{\"intent\":{\"tags\":[{\"code\":\"catalog_inc\",\"list\":[{\"code\":\"mode\",\"value\":\"stop\"}]}]}}",
         0, CATALOG_INC_STOP},
        {"{\"intent\":{\"tags\":[{\"code\":\"catalog_inc\",\"list\":[{\"code\":\"start_time\",\"value\":"
         "\"2024-01-01T00:00:00.000Z\"},{\"code\":\"end_time\",\"value\":\"2024-01-02T00:00:00.000Z\"}]}]}}",
         0, CATALOG_INC_PULL},
        {"{\"intent\":{\"tags\":[{\"code\":\"catalog_inc\",\"list\":[{\"code\":\"mode\",\"value\":\"go\"}]}]}}",
         -1, CATALOG_INC_NONE},
        {"{\"intent\":{\"tags\":[{\"code\":\"catalog_inc\",\"list\":[{\"code\":\"start_time\",\"value\":"
         "\"2024-01-01T00:00:00.000Z\"}]}]}}",
         -1, CATALOG_INC_NONE},
        {"{\"intent\":{\"tags\":[{\"code\":\"catalog_inc\",\"list\":[{\"code\":\"start_time\",\"value\":"
         "\"yesterday\"},{\"code\":\"end_time\",\"value\":\"2024-01-02T00:00:00.000Z\"}]}]}}",
         -1, CATALOG_INC_NONE},
        {"{\"intent\":{\"tags\":[{\"code\":\"catalog_inc\"}]}}", -1, CATALOG_INC_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *m = json_loads(cases[i].message, 0, NULL);
        assert_non_null(m);
        catalog_inc_req_t r;
        ondc_err_t err;
        memset(&err, 0, sizeof err);
        assert_int_equal(catalog_inc_parse(m, &r, &err), cases[i].rc);
        if (cases[i].rc == 0)
            assert_int_equal(r.kind, cases[i].kind);
        else
            assert_string_equal(err.path, "message.intent.tags[0].list");
        json_decref(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_derive),
        cmocka_unit_test(test_rules_refuse),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_changes_window),
        cmocka_unit_test(test_push_rounds),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
