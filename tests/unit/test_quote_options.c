/*
 * test_quote_options.c - the quote's arithmetic with customizations and
 * offers (customize.{c,h}, offers.{c,h}, quote.c) on a real LMDB store
 * holding the demo catalog, its second grocer with offers, and the pizza
 * place of tests/fixtures/catalog-food-provider.json. Every quote is
 * checked row by row, in paise, and to sum exactly to its price.
 *
 * Bad inputs tried: a customization of a group its item does not open, two
 * options of a group that takes one, an expired offer, an unknown offer,
 * two non-additive offers, a buy-2 offer for one unit, a freebie whose
 * item is out of stock (30007), and at import an offer with no items, a
 * customization cycle and a group whose min is above its max. Price tags:
 * a file's own range and default_selection (wrong) are replaced, a
 * disabled option is left out of the range.
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
#include "customize.h"
#include "fixture_store.h"
#include "money.h"
#include "quote.h"

static const char *OFFERS =
    "["
    "{\"id\":\"FLAT20\",\"descriptor\":{\"code\":\"discount\"},\"item_ids\":[\"FM-RICE-5KG\"],"
    "\"tags\":[{\"code\":\"qualifier\",\"list\":[{\"code\":\"min_value\",\"value\":\"300.00\"}]},"
    "{\"code\":\"benefit\",\"list\":[{\"code\":\"value_type\",\"value\":\"amount\"},{\"code\":\"value\",\"value\":\"-20.00\"}]},"
    "{\"code\":\"meta\",\"list\":[{\"code\":\"additive\",\"value\":\"yes\"},{\"code\":\"auto\",\"value\":\"yes\"}]}]},"
    "{\"id\":\"PCT10\",\"descriptor\":{\"code\":\"discount\"},\"item_ids\":[\"FM-TOOR-1KG\"],"
    "\"tags\":[{\"code\":\"benefit\",\"list\":[{\"code\":\"value_type\",\"value\":\"percent\"},{\"code\":\"value\",\"value\":\"-12.50\"},{\"code\":\"value_cap\",\"value\":\"-500.00\"}]},"
    "{\"code\":\"meta\",\"list\":[{\"code\":\"additive\",\"value\":\"yes\"},{\"code\":\"auto\",\"value\":\"no\"}]}]},"
    "{\"id\":\"DEL50\",\"descriptor\":{\"code\":\"delivery\"},\"item_ids\":[\"FM-RICE-5KG\"],"
    "\"tags\":[{\"code\":\"benefit\",\"list\":[{\"code\":\"value_type\",\"value\":\"percent\"},{\"code\":\"value\",\"value\":\"-50.00\"}]},"
    "{\"code\":\"meta\",\"list\":[{\"code\":\"additive\",\"value\":\"no\"},{\"code\":\"auto\",\"value\":\"no\"}]}]},"
    "{\"id\":\"B2G1\",\"descriptor\":{\"code\":\"buyXgetY\"},\"item_ids\":[\"FM-TOOR-1KG\"],"
    "\"tags\":[{\"code\":\"qualifier\",\"list\":[{\"code\":\"item_count\",\"value\":\"2\"}]},"
    "{\"code\":\"benefit\",\"list\":[{\"code\":\"item_count\",\"value\":\"1\"},{\"code\":\"item_value\",\"value\":\"15.00\"}]},"
    "{\"code\":\"meta\",\"list\":[{\"code\":\"additive\",\"value\":\"no\"},{\"code\":\"auto\",\"value\":\"no\"}]}]},"
    "{\"id\":\"BANANA\",\"descriptor\":{\"code\":\"freebie\"},\"item_ids\":[\"FM-RICE-5KG\"],"
    "\"tags\":[{\"code\":\"benefit\",\"list\":[{\"code\":\"item_count\",\"value\":\"1\"},{\"code\":\"item_id\",\"value\":\"FM-BANANA-1DZ\"}]},"
    "{\"code\":\"meta\",\"list\":[{\"code\":\"additive\",\"value\":\"yes\"},{\"code\":\"auto\",\"value\":\"no\"}]}]},"
    "{\"id\":\"OLD\",\"descriptor\":{\"code\":\"discount\"},\"item_ids\":[\"FM-RICE-5KG\"],"
    "\"time\":{\"label\":\"valid\",\"range\":{\"start\":\"2020-01-01T00:00:00.000Z\",\"end\":\"2021-01-01T00:00:00.000Z\"}},"
    "\"tags\":[{\"code\":\"benefit\",\"list\":[{\"code\":\"value_type\",\"value\":\"amount\"},{\"code\":\"value\",\"value\":\"-5.00\"}]},"
    "{\"code\":\"meta\",\"list\":[{\"code\":\"additive\",\"value\":\"yes\"},{\"code\":\"auto\",\"value\":\"no\"}]}]}"
    "]";

static json_t *s_catalog(void)
{
    json_error_t je;
    json_t *cat = json_load_file("tests/fixtures/catalog-demo.json", 0, &je);
    json_t *food = json_load_file("tests/fixtures/catalog-food-provider.json", 0, &je);
    json_t *offers = json_loads(OFFERS, 0, &je);
    if (!cat || !food || !offers)
        return NULL;
    json_object_set_new(json_array_get(json_object_get(cat, "bpp/providers"), 1), "offers", offers);
    json_array_append_new(json_object_get(cat, "bpp/providers"), food);
    return cat;
}

static int s_setup(void **state)
{
    fixture_store_t *fx = fixture_store_new_open("test_quote_options");
    json_t *cat = s_catalog();
    if (!fx || !cat)
        return -1;
    MDB_txn *txn;
    ondc_err_t err;
    if (mdb_txn_begin(fx->s->env, NULL, 0, &txn) != 0)
        return -1;
    if (catalog_import(fx->s, txn, cat, CATALOG_REPLACE, &err) < 0) {
        fprintf(stderr, "import: %s\n", err.message);
        mdb_txn_abort(txn);
        return -1;
    }
    json_decref(cat);
    *state = fx;
    return mdb_txn_commit(txn) == 0 ? 0 : -1;
}

static int s_teardown(void **state)
{
    fixture_store_t *fx = *state;
    return fixture_store_destroy(&fx);
}

static int64_t s_paise(json_t *price)
{
    int64_t p = 0;
    assert_int_equal(money_parse_json(json_object_get(price, "value"), &p), 0);
    return p;
}

/* s_quote - quote ORDER (JSON text) at VERSION; returns quote_build's
 * result, Q filled; the breakup sums exactly to the price */
static int s_quote(fixture_store_t *fx, const char *order_text, const char *version, quote_t *q,
                   ondc_err_t *err)
{
    json_error_t je;
    json_t *order = json_loads(order_text, 0, &je);
    assert_non_null(order);
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(fx->s->env, NULL, MDB_RDONLY, &txn), 0);
    memset(err, 0, sizeof *err);
    int rc = quote_build(fx->s, txn, order, version, q, err);
    mdb_txn_abort(txn);
    json_decref(order);
    if (rc == 0) {
        int64_t sum = 0;
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(q->quote, "breakup"), i, row) sum +=
            s_paise(json_object_get(row, "price"));
        assert_int_equal(sum, q->total);
        assert_int_equal(s_paise(json_object_get(q->quote, "price")), q->total);
    }
    return rc;
}

/* s_row_paise - the price of the row of TYPE for ID; -1 when none */
static int64_t s_row_paise(const quote_t *q, const char *type, const char *id)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(q->quote, "breakup"), i, row)
    {
        if (strcmp(json_string_value(json_object_get(row, "@ondc/org/title_type")), type) == 0 &&
            strcmp(json_string_value(json_object_get(row, "@ondc/org/item_id")), id) == 0)
            return s_paise(json_object_get(row, "price"));
    }
    return -1;
}

#define KORA "{\"provider\":{\"id\":\"P2-KORA\",\"locations\":[{\"id\":\"L-KORA-1\"}]},"

static void test_customized_pizza(void **state)
{
    fixture_store_t *fx = *state;
    quote_t q;
    ondc_err_t err;
    /* two pizzas: large with mushrooms and tomato (x2), thin regular (x1) */
    const char *order =
        "{\"provider\":{\"id\":\"P-PIZZA\"},\"items\":["
        "{\"id\":\"PZ-FARM\",\"parent_item_id\":\"A\",\"quantity\":{\"count\":2}},"
        "{\"id\":\"C-HAND\",\"parent_item_id\":\"A\",\"quantity\":{\"count\":2}},"
        "{\"id\":\"C-LARGE\",\"parent_item_id\":\"A\",\"quantity\":{\"count\":2}},"
        "{\"id\":\"C-MUSH\",\"parent_item_id\":\"A\",\"quantity\":{\"count\":2}},"
        "{\"id\":\"PZ-FARM\",\"parent_item_id\":\"B\",\"quantity\":{\"count\":1}},"
        "{\"id\":\"C-THIN\",\"parent_item_id\":\"B\",\"quantity\":{\"count\":1}},"
        "{\"id\":\"C-REG\",\"parent_item_id\":\"B\",\"quantity\":{\"count\":1}}]}";
    assert_int_equal(s_quote(fx, order, "1.2.0", &q, &err), 0);
    assert_false(q.soft);
    /* items: 3 x 269 + 2 x 450 + 2 x 35 + 45 = 1822.00; tax 5% per row:
     * 26.90 + 0 + 45.00 + 3.50 + 13.45 + 2.25 + 0 = 91.10; delivery 30,
     * packing 10 */
    assert_int_equal(q.total, 182200 + 9110 + 3000 + 1000);
    assert_int_equal(s_row_paise(&q, "item", "C-LARGE"), 90000);
    assert_int_equal(s_row_paise(&q, "tax", "C-LARGE"), 4500);
    json_t *row = json_array_get(json_object_get(q.quote, "breakup"), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(row, "item"), "parent_item_id")), "A");
    quote_release(&q);

    /* an option of a group its item does not open; two sizes */
    const char *bad[] = {
        "{\"provider\":{\"id\":\"P-PIZZA\"},\"items\":["
        "{\"id\":\"PZ-FARM\",\"parent_item_id\":\"A\",\"quantity\":{\"count\":1}},"
        "{\"id\":\"C-LARGE\",\"parent_item_id\":\"A\",\"quantity\":{\"count\":1}}]}",
        "{\"provider\":{\"id\":\"P-PIZZA\"},\"items\":["
        "{\"id\":\"PZ-FARM\",\"parent_item_id\":\"A\",\"quantity\":{\"count\":1}},"
        "{\"id\":\"C-HAND\",\"parent_item_id\":\"A\",\"quantity\":{\"count\":1}},"
        "{\"id\":\"C-REG\",\"parent_item_id\":\"A\",\"quantity\":{\"count\":1}},"
        "{\"id\":\"C-LARGE\",\"parent_item_id\":\"A\",\"quantity\":{\"count\":1}}]}",
    };
    const char *paths[] = {"message.order.items[1].id", "message.order.items[0]"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(s_quote(fx, bad[i], "1.2.0", &q, &err), -1);
        assert_string_equal(err.code, "30000");
        assert_string_equal(err.path, paths[i]);
    }
}

static void test_offers_arithmetic(void **state)
{
    fixture_store_t *fx = *state;
    quote_t q;
    ondc_err_t err;
    /* rice 349 x 1 + toor 165 x 3 = 844.00; tax 5% 17.45 + 24.75; FLAT20
     * auto (cart >= 300); PCT10 12.5% of the cart = 105.50 */
    assert_int_equal(s_quote(fx,
                             KORA "\"items\":[{\"id\":\"FM-RICE-5KG\",\"quantity\":{\"count\":1}},"
                                  "{\"id\":\"FM-TOOR-1KG\",\"quantity\":{\"count\":3}}],"
                                  "\"offers\":[{\"id\":\"PCT10\"}]}",
                             "1.2.5", &q, &err),
                     0);
    assert_int_equal(s_row_paise(&q, "offer", "PCT10"), -10550);
    assert_int_equal(s_row_paise(&q, "offer", "FLAT20"), -2000);
    assert_int_equal(q.total, 84400 + 1745 + 2475 + 3000 + 1000 - 10550 - 2000);
    quote_release(&q);
    /* at 1.2.0 there are no offers */
    assert_int_equal(s_quote(fx, KORA "\"items\":[{\"id\":\"FM-RICE-5KG\",\"quantity\":{\"count\":1}}]}",
                             "1.2.0", &q, &err),
                     0);
    assert_int_equal(s_row_paise(&q, "offer", "FLAT20"), -1);
    quote_release(&q);
    /* delivery 50%: 15.00 off the 30.00 charge; non-additive, so alone */
    assert_int_equal(s_quote(fx,
                             KORA "\"items\":[{\"id\":\"FM-RICE-5KG\",\"quantity\":{\"count\":1}}],"
                                  "\"offers\":[{\"id\":\"DEL50\"}]}",
                             "1.2.5", &q, &err),
                     0);
    assert_int_equal(s_row_paise(&q, "offer", "DEL50"), -1500);
    assert_int_equal(s_row_paise(&q, "offer", "FLAT20"), -1);
    quote_release(&q);
    /* buy 2 get 1 at 15.00: 5 units give 2 more, 30.00 */
    assert_int_equal(s_quote(fx,
                             KORA "\"items\":[{\"id\":\"FM-TOOR-1KG\",\"quantity\":{\"count\":5}}],"
                                  "\"offers\":[{\"id\":\"B2G1\"}]}",
                             "1.2.5", &q, &err),
                     0);
    assert_int_equal(s_row_paise(&q, "offer", "B2G1"), 3000);
    assert_int_equal(q.total, 82500 + 4125 + 3000 + 1000 + 3000);
    quote_release(&q);
    /* refusals */
    static const struct {
        const char *order, *code, *path;
    } bad[] = {
        {KORA "\"items\":[{\"id\":\"FM-RICE-5KG\",\"quantity\":{\"count\":1}}],\"offers\":[{\"id\":\"OLD\"}]}",
         "30006", "message.order.offers[0].id"},
        {KORA "\"items\":[{\"id\":\"FM-RICE-5KG\",\"quantity\":{\"count\":1}}],\"offers\":[{\"id\":\"NOPE\"}]}",
         "30006", "message.order.offers[0].id"},
        {KORA "\"items\":[{\"id\":\"FM-TOOR-1KG\",\"quantity\":{\"count\":1}}],\"offers\":[{\"id\":\"B2G1\"}]}",
         "30006", "message.order.offers[0].id"},
        {KORA "\"items\":[{\"id\":\"FM-RICE-5KG\",\"quantity\":{\"count\":1}},{\"id\":\"FM-TOOR-1KG\","
              "\"quantity\":{\"count\":2}}],\"offers\":[{\"id\":\"DEL50\"},{\"id\":\"B2G1\"}]}",
         "30006", "message.order.offers[1].id"},
        {KORA "\"items\":[{\"id\":\"FM-RICE-5KG\",\"quantity\":{\"count\":1}}],\"offers\":[{\"id\":\"BANANA\"}]}",
         "30007", "message.order.offers[0].id"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(s_quote(fx, bad[i].order, "1.2.5", &q, &err), -1);
        assert_string_equal(err.code, bad[i].code);
        assert_string_equal(err.path, bad[i].path);
    }
}

static void test_import_refusals(void **state)
{
    fixture_store_t *fx = *state;
    static const struct {
        const char *what, *field;
    } cases[] = {
        {"offer without items", "bpp/providers[1].offers[0].item_ids"},
        {"cycle", "bpp/providers[2].items[5].tags"},
        {"min above max", "bpp/providers[2].categories[3].tags"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *cat = s_catalog();
        json_t *p1 = json_array_get(json_object_get(cat, "bpp/providers"), 1);
        json_t *p2 = json_array_get(json_object_get(cat, "bpp/providers"), 2);
        if (i == 0)
            json_object_set_new(json_array_get(json_object_get(p1, "offers"), 0), "item_ids", json_array());
        if (i == 1) /* a topping opening the crust group again */
            json_array_append_new(
                json_object_get(json_array_get(json_object_get(p2, "items"), 5), "tags"),
                json_pack("{s:s,s:[{s:s,s:s}]}", "code", "child", "list", "code", "id", "value", "CG-CRUST"));
        if (i == 2) {
            json_t *cfg = json_array_get(json_object_get(json_array_get(json_object_get(p2, "categories"), 3), "tags"), 1);
            json_object_set_new(json_array_get(json_object_get(cfg, "list"), 0), "value", json_string("3"));
        }
        ondc_err_t err;
        memset(&err, 0, sizeof err);
        assert_int_equal(catalog_validate(cat, &err), -1);
        assert_string_equal(err.path, cases[i].field);
        json_decref(cat);
    }
    (void)fx;
}


/* s_tag_pair - the two values of price tag CODE of ITEM ("lower"/"upper",
 * "value"/"maximum_value") in paise; 0, or -1 when absent */
static int s_tag_pair(json_t *item, const char *code, int64_t *a, int64_t *b)
{
    json_t *tags = json_object_get(json_object_get(item, "price"), "tags");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "code")), code) != 0)
            continue;
        json_t *l = json_object_get(t, "list");
        assert_int_equal(json_array_size(l), 2);
        assert_int_equal(money_parse_json(json_object_get(json_array_get(l, 0), "value"), a), 0);
        assert_int_equal(money_parse_json(json_object_get(json_array_get(l, 1), "value"), b), 0);
        return 0;
    }
    return -1;
}

static json_t *s_group(const char *id, const char *min, const char *max)
{
    return json_pack("{s:s,s:{s:s},s:[{s:s,s:[{s:s,s:s}]},{s:s,s:[{s:s,s:s},{s:s,s:s}]}]}", "id", id,
                     "descriptor", "name", id, "tags", "code", "type", "list", "code", "type",
                     "value", "custom_group", "code", "config", "list", "code", "min", "value", min,
                     "code", "max", "value", max);
}

/* s_option - customization ID of GROUP at VALUE (MRP MRP), opening CHILD
 * (or none), default or not */
static json_t *s_option(const char *id, const char *group, const char *value, const char *mrp,
                        const char *child, int def)
{
    json_t *o = json_pack(
        "{s:s,s:{s:s,s:s,s:s},s:[{s:s,s:[{s:s,s:s}]},{s:s,s:[{s:s,s:s},{s:s,s:s}]}]}", "id", id,
        "price", "currency", "INR", "value", value, "maximum_value", mrp, "tags", "code", "type",
        "list", "code", "type", "value", "customization", "code", "parent", "list", "code", "id",
        "value", group, "code", "default", "value", def ? "yes" : "no");
    if (child)
        json_array_append_new(json_object_get(o, "tags"),
                              json_pack("{s:s,s:[{s:s,s:s}]}", "code", "child", "list", "code",
                                        "id", "value", child));
    return o;
}

/* the shape of ONDC's RET11 pizza: a crust opens a size, a size opens its
 * toppings (up to two); the dearest choice is the large hand tossed with
 * its two dearest toppings */
static void test_price_tags_tree(void **state)
{
    (void)state;
    json_t *prov = json_pack("{s:s,s:[o,o,o,o,o,o],s:[]}", "id", "P", "categories",
                             s_group("CG1", "1", "1"), s_group("CG2", "1", "1"),
                             s_group("CG3", "1", "1"), s_group("CG4", "0", "2"),
                             s_group("CG5", "0", "2"), s_group("CG6", "0", "2"), "items");
    json_t *items = json_object_get(prov, "items");
    /* the base item, with a file's own (wrong) range and another price tag */
    json_array_append_new(
        items, json_pack("{s:s,s:{s:s,s:s,s:s,s:[{s:s,s:[{s:s,s:s},{s:s,s:s}]},{s:s,s:[{s:s,s:s}]}]},"
                         "s:[{s:s,s:[{s:s,s:s}]},{s:s,s:[{s:s,s:s}]}]}",
                         "id", "I1", "price", "currency", "INR", "value", "269.00", "maximum_value",
                         "299.00", "tags", "code", "range", "list", "code", "lower", "value", "1.00",
                         "code", "upper", "value", "2.00", "code", "note", "list", "code", "text",
                         "value", "kept", "tags", "code", "type", "list", "code", "type", "value",
                         "item", "code", "custom_group", "list", "code", "id", "value", "CG1"));
    json_array_append_new(items, s_option("C1", "CG1", "0.00", "0.00", "CG2", 1));
    json_array_append_new(items, s_option("C2", "CG1", "0.00", "0.00", "CG3", 0));
    json_array_append_new(items, s_option("C3", "CG2", "0.00", "0.00", "CG4", 1));
    json_array_append_new(items, s_option("C4", "CG2", "450.00", "450.00", "CG5", 0));
    json_array_append_new(items, s_option("C5", "CG2", "210.00", "210.00", "CG6", 0));
    json_array_append_new(items, s_option("C6", "CG3", "45.00", "45.00", "CG4", 0));
    json_array_append_new(items, s_option("C7", "CG3", "275.00", "275.00", "CG6", 0));
    json_array_append_new(items, s_option("C8", "CG4", "35.00", "40.00", NULL, 1));
    json_array_append_new(items, s_option("C9", "CG4", "35.00", "35.00", NULL, 0));
    json_array_append_new(items, s_option("C10", "CG4", "50.00", "50.00", NULL, 0));
    for (int k = 0; k < 3; k++) {
        char id[16];
        snprintf(id, sizeof id, "C%d", 11 + k);
        json_array_append_new(items, s_option(id, "CG5", k == 2 ? "95.00" : "80.00",
                                              k == 2 ? "95.00" : "80.00", NULL, 0));
        snprintf(id, sizeof id, "C%d", 14 + k);
        json_array_append_new(items, s_option(id, "CG6", k == 2 ? "95.00" : "80.00",
                                              k == 2 ? "95.00" : "80.00", NULL, 0));
    }
    json_t *i1 = json_array_get(items, 0);
    assert_int_equal(customize_price_tags(prov), 1);
    int64_t a, b;
    /* 269 + large (450) + its two dearest toppings (95 + 80) */
    assert_int_equal(s_tag_pair(i1, "range", &a, &b), 0);
    assert_int_equal(a, 26900);
    assert_int_equal(b, 89400);
    /* the defaults: hand tossed (0), regular (0), the mushroom topping at
     * 35.00, MRP 40.00; the item's own MRP 299.00 */
    assert_int_equal(s_tag_pair(i1, "default_selection", &a, &b), 0);
    assert_int_equal(a, 26900 + 3500);
    assert_int_equal(b, 29900 + 4000);
    /* ONDC's order: range, default_selection, then the file's other tags */
    json_t *tags = json_object_get(json_object_get(i1, "price"), "tags");
    assert_int_equal(json_array_size(tags), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(tags, 0), "code")), "range");
    assert_string_equal(json_string_value(json_object_get(json_array_get(tags, 2), "code")), "note");
    /* options carry no price tags */
    assert_null(json_object_get(json_object_get(json_array_get(items, 1), "price"), "tags"));
    /* nothing changes: none rewritten */
    assert_int_equal(customize_price_tags(prov), 0);
    /* the large size disabled: the dearest is now the thin crust's 275 */
    json_object_set_new(json_array_get(items, 4), "enabled", json_false());
    assert_int_equal(customize_price_tags(prov), 1);
    assert_int_equal(s_tag_pair(i1, "range", &a, &b), 0);
    assert_int_equal(a, 26900);
    assert_int_equal(b, 26900 + 27500 + 9500 + 8000);
    json_decref(prov);
}

/* the pizza place imported: its pizza's tags, and a topping's new price
 * moving them */
static void test_price_tags_stored(void **state)
{
    fixture_store_t *fx = *state;
    MDB_txn *txn;
    ondc_err_t err;
    int64_t a = 0, b = 0;
    assert_int_equal(mdb_txn_begin(fx->s->env, NULL, 0, &txn), 0);
    json_t *pz = catalog_item(fx->s, txn, "P-PIZZA", "PZ-FARM");
    assert_non_null(pz);
    /* 269 + thin crust 45 + large 450 + two toppings of 35 */
    assert_int_equal(s_tag_pair(pz, "range", &a, &b), 0);
    assert_int_equal(a, 26900);
    assert_int_equal(b, 26900 + 4500 + 45000 + 7000);
    assert_int_equal(s_tag_pair(pz, "default_selection", &a, &b), 0);
    assert_int_equal(a, 26900);
    assert_int_equal(b, 26900);
    json_decref(pz);
    json_t *patch = json_pack("{s:s}", "price", "500.00");
    memset(&err, 0, sizeof err);
    assert_int_equal(catalog_patch_item(fx->s, txn, "P-PIZZA", "C-LARGE", patch, &err), 0);
    pz = catalog_item(fx->s, txn, "P-PIZZA", "PZ-FARM");
    assert_int_equal(s_tag_pair(pz, "range", &a, &b), 0);
    assert_int_equal(b, 26900 + 4500 + 50000 + 7000);
    json_decref(pz);
    json_decref(patch);
    mdb_txn_abort(txn); /* the store as the other tests had it */
    catalog_cache_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_customized_pizza),
        cmocka_unit_test(test_offers_arithmetic),
        cmocka_unit_test(test_import_refusals),
        cmocka_unit_test(test_price_tags_tree),
        cmocka_unit_test(test_price_tags_stored),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
