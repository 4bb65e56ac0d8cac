/*
 * test_search.c - search.{c,h} and the catalog indexes on a real LMDB
 * environment holding tests/fixtures/catalog-demo.json: tokens, distances,
 * intents parsed from requests (and malformed ones refused with the path),
 * name / prefix / category / provider / location / payment matches, the
 * index kept right when an item is renamed, pages that never exceed
 * their byte bound yet hold every item exactly once, and the provider's
 * serviceability tag read in both Beckn shapes.
 *
 * Run with the working directory at the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog.h"
#include "fixture_store.h"
#include "search.h"

typedef fixture_store_t fx_t;

/* the demo catalog in a fresh store, shared by the group */
static int s_setup(void **state)
{
    fx_t *fx = fixture_store_new_open("test_search");
    *state = fx;
    return fx ? fixture_store_import(fx, "tests/fixtures/catalog-demo.json") : -1;
}

static int s_teardown(void **state)
{
    return fixture_store_destroy((fx_t **)state);
}

typedef struct {
    char text[512];
} toks_t;

static int s_tok(const char *t, void *arg)
{
    toks_t *k = arg;
    size_t len = strlen(k->text);
    snprintf(k->text + len, sizeof k->text - len, "%s|", t);
    return 0;
}

static void test_tokens_and_distance(void **state)
{
    (void)state;
    toks_t k = {""};
    catalog_tokens("Amul Taaza, Toned-Milk 500ml!", s_tok, &k);
    assert_string_equal(k.text, "amul|taaza|toned|milk|500ml|");
    k.text[0] = '\0';
    catalog_tokens("  ", s_tok, &k);
    assert_string_equal(k.text, "");
    /* Indiranagar to Koramangala, about 5.1 km */
    double d = search_distance_km(12.9783, 77.6408, 12.9352, 77.6245);
    assert_true(d > 5.0 && d < 5.2);
    assert_true(search_distance_km(1, 1, 1, 1) < 1e-9);
}

/* s_run - search with intent JSON text INTENT in city CITY; the sorted
 * "provider/item" ids of every page into OUT. Returns the page count. */
static int s_run(fx_t *fx, const char *intent, const char *city, size_t max_bytes, char *out,
                 size_t cap)
{
    json_error_t je;
    json_t *ctx = json_pack("{s:s}", "city", city);
    json_t *msg = intent ? json_pack("{s:o}", "intent", json_loads(intent, 0, &je)) : json_object();
    search_intent_t q;
    ondc_err_t err;
    assert_int_equal(search_parse(ctx, msg, &q, &err), 0);
    MDB_txn *txn = store_begin(fx->s, 1);
    json_t *pages;
    search_stats_t st;
    assert_int_equal(search_run(fx->s, txn, &q, max_bytes, &pages, &st), 0);
    mdb_txn_abort(txn);
    json_t *ids = json_array();
    size_t i, j, k;
    json_t *page, *p, *it;
    json_array_foreach(pages, i, page)
    {
        char *text = json_dumps(page, JSON_COMPACT);
        assert_true(strlen(text) <= max_bytes || json_array_size(pages) == 1);
        free(text);
        json_array_foreach(json_object_get(json_object_get(page, "catalog"), "bpp/providers"), j, p)
        {
            assert_null(json_object_get(p, "seller"));
            json_array_foreach(json_object_get(p, "items"), k, it)
            {
                char id[320];
                snprintf(id, sizeof id, "%s/%s", json_string_value(json_object_get(p, "id")),
                         json_string_value(json_object_get(it, "id")));
                json_array_append_new(ids, json_string(id));
            }
        }
    }
    /* sort (insertion: few items) and join */
    size_t n = json_array_size(ids);
    const char **v = calloc(n + 1, sizeof *v);
    for (i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(ids, i));
        for (j = i; j > 0 && strcmp(v[j - 1], s) > 0; j--)
            v[j] = v[j - 1];
        v[j] = s;
    }
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        strncat(out, v[i], cap - strlen(out) - 1);
        strncat(out, " ", cap - strlen(out) - 1);
    }
    free(v);
    int np = (int)json_array_size(pages);
    json_decref(ids);
    json_decref(pages);
    json_decref(ctx);
    json_decref(msg);
    return np;
}

static void test_intents(void **state)
{
    fx_t *fx = *state;
    char out[2048];
    s_run(fx, "{\"item\":{\"descriptor\":{\"name\":\"butt\"}}}", "std:080", 1 << 20, out, sizeof out);
    assert_string_equal(out, "111863/42602097 111863/42602105 ");
    s_run(fx, "{\"item\":{\"descriptor\":{\"name\":\"milk butter\"}}}", "std:080", 1 << 20, out, sizeof out);
    assert_string_equal(out, "111863/42602097 ");
    assert_int_equal(s_run(fx, "{\"item\":{\"descriptor\":{\"name\":\"ghee\"}}}", "std:080", 1 << 20, out,
                           sizeof out), 0);
    s_run(fx, "{\"category\":{\"id\":\"Dals and Pulses\"}}", "std:080", 1 << 20, out, sizeof out);
    assert_string_equal(out, "P2-KORA/FM-TOOR-1KG ");
    assert_int_equal(s_run(fx, NULL, "std:011", 1 << 20, out, sizeof out), 0); /* no store in Delhi */
    s_run(fx, "{\"fulfillment\":{\"end\":{\"location\":{\"gps\":\"12.978400,77.640900\"}}}}", "*", 1 << 20,
          out, sizeof out);
    assert_string_equal(out, "111863/42602097 111863/42602101 111863/42602105 111863/42602110 ");
    s_run(fx, "{\"provider\":{\"id\":\"P2-KORA\"},\"payment\":{\"type\":\"ON-FULFILLMENT\"}}", "*", 1 << 20,
          out, sizeof out);
    assert_string_equal(out, "");
}

static void test_malformed_intents(void **state)
{
    (void)state;
    json_error_t je;
    const char *bad[][2] = {
        {"{\"fulfillment\":{\"end\":{\"location\":{\"gps\":\"91,200\"}}}}",
         "message.intent.fulfillment.end.location.gps"},
        {"{\"category\":{\"id\":7}}", "message.intent.category.id"},
        {"{\"item\":{\"descriptor\":{\"name\":[\"x\"]}}}", "message.intent.item.descriptor.name"},
        {"[]", "message.intent"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *ctx = json_pack("{s:s}", "city", "std:080");
        json_t *msg = json_pack("{s:o}", "intent", json_loads(bad[i][0], 0, &je));
        search_intent_t q;
        ondc_err_t err;
        assert_int_equal(search_parse(ctx, msg, &q, &err), -1);
        assert_string_equal(err.path, bad[i][1]);
        assert_string_equal(err.code, "30000");
        json_decref(ctx);
        json_decref(msg);
    }
}

static void test_rename_keeps_the_index_right(void **state)
{
    fx_t *fx = *state;
    MDB_txn *txn = store_begin(fx->s, 0);
    json_t *item = catalog_item(fx->s, txn, "111863", "42602110");
    json_object_set_new(json_object_get(item, "descriptor"), "name", json_string("Malai Kofta"));
    assert_int_equal(catalog_put_item(fx->s, txn, "111863", item), 0);
    json_decref(item);
    assert_int_equal(store_commit(txn), 0);
    char out[512];
    assert_int_equal(s_run(fx, "{\"item\":{\"descriptor\":{\"name\":\"paneer\"}}}", "*", 1 << 20, out, sizeof out), 0);
    s_run(fx, "{\"item\":{\"descriptor\":{\"name\":\"kofta\"}}}", "*", 1 << 20, out, sizeof out);
    assert_string_equal(out, "111863/42602110 ");
}

/* s_kora_tags - the demo catalog again, with P2-KORA's tags TAGS (JSON
 * text; NULL: none) */
static void s_kora_tags(fx_t *fx, const char *tags)
{
    json_error_t je;
    json_t *cat = json_load_file("tests/fixtures/catalog-demo.json", 0, &je);
    assert_non_null(cat);
    /* core 1.0.0: serviceability tags of any shape (catalog_rules.h) */
    json_object_set_new(cat, "domain", json_string("nic2004:52110"));
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(cat, "bpp/providers"), i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "id")), "P2-KORA") != 0)
            continue;
        if (tags)
            json_object_set_new(p, "tags", json_loads(tags, 0, &je));
        else
            json_object_del(p, "tags");
    }
    MDB_txn *txn = store_begin(fx->s, 0);
    ondc_err_t err;
    assert_int_equal(catalog_import(fx->s, txn, cat, CATALOG_REPLACE, &err), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(cat);
}

/* the provider's serviceability tag is read in both Beckn shapes: type
 * "12" (all of India) serves a buyer in Delhi, far outside the store's
 * 5 km circle; without it, or for another location, or with a value that
 * is not a string, the circle decides */
static void test_serviceability_both_shapes(void **state)
{
    fx_t *fx = *state;
    static const char delhi[] =
        "{\"fulfillment\":{\"end\":{\"location\":{\"gps\":\"28.613900,77.209000\"}}}}";
    static const char kora[] = "P2-KORA/FM-BANANA-1DZ P2-KORA/FM-RICE-5KG P2-KORA/FM-TOOR-1KG ";
    static const struct {
        const char *tags, *want;
    } cases[] = {
        {NULL, ""},
        {"[{\"code\":\"serviceability\",\"list\":[{\"code\":\"location\",\"value\":\"L-KORA-1\"},"
         "{\"code\":\"type\",\"value\":\"12\"}]}]",
         kora},
        {"[{\"descriptor\":{\"code\":\"serviceability\"},"
         "\"list\":[{\"descriptor\":{\"code\":\"location\"},\"value\":\"L-KORA-1\"},"
         "{\"descriptor\":{\"code\":\"type\"},\"value\":\"12\"}]}]",
         kora},
        {"[{\"descriptor\":{\"code\":\"serviceability\"},"
         "\"list\":[{\"descriptor\":{\"code\":\"location\"},\"value\":\"L-OTHER\"},"
         "{\"descriptor\":{\"code\":\"type\"},\"value\":\"12\"}]}]",
         ""},
        /* the second group names the location */
        {"[{\"code\":\"serviceability\",\"list\":[{\"code\":\"location\",\"value\":\"L-OTHER\"},"
         "{\"code\":\"type\",\"value\":\"11\"}]},"
         "{\"descriptor\":{\"code\":\"serviceability\"},\"list\":[{\"code\":\"location\","
         "\"value\":\"L-KORA-1\"},{\"code\":\"type\",\"value\":\"12\"}]}]",
         kora},
        {"[{\"code\":\"serviceability\",\"list\":[{\"code\":\"location\",\"value\":\"L-KORA-1\"},"
         "{\"code\":\"type\",\"value\":12}]}]",
         ""},
    };
    char out[2048];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_kora_tags(fx, cases[i].tags);
        s_run(fx, delhi, "*", 1 << 20, out, sizeof out);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: served \"%s\", want \"%s\"", i, out, cases[i].want);
    }
}

static void test_pages_bound_and_complete(void **state)
{
    fx_t *fx = *state;
    char all[2048], paged[2048];
    assert_int_equal(s_run(fx, NULL, "*", 1 << 20, all, sizeof all), 1);
    int n = s_run(fx, NULL, "*", 4096, paged, sizeof paged);
    assert_true(n > 2);
    assert_string_equal(all, paged); /* every item, exactly once */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_and_distance),
        cmocka_unit_test(test_intents),
        cmocka_unit_test(test_malformed_intents),
        cmocka_unit_test(test_rename_keeps_the_index_right),
        cmocka_unit_test(test_pages_bound_and_complete),
        cmocka_unit_test(test_serviceability_both_shapes),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
