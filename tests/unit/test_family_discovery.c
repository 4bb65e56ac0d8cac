/*
 * test_family_discovery.c - the discovery family (workers/
 * family_discovery.c) driven as ondc-worker drives it (fixture_worker.h):
 * a search journaled, handled in a read transaction, its on_search rows
 * written to the outbox with the journal row marked done, on a store
 * holding tests/fixtures/catalog-demo.json.
 *
 * Happy paths: the seed search (tests/fixtures/search-request.json)
 * against a golden on_search, and a table of intents (item name, category,
 * provider, fulfillment type and drop-off, payment type, city) with the
 * items each must find; a catalog too large for one callback split into
 * pages that each fit search.page_kb and hold every item once.
 * Bad inputs: malformed intents (each answered by an on_search carrying a
 * 30000 error at the field's path), searches that match nothing (no
 * on_search at all), an action of another family (31001), the same
 * journal row dispatched twice (answered once).
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
#include "journal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CATALOG "tests/fixtures/catalog-demo.json"
#define TS "2024-06-01T10:00:00.000Z"

static int64_t s_now(void)
{
    return context_parse_time(TS) + 250;
}

static int s_setup(void **state)
{
    fixture_store_t *fx = fixture_store_new_open("test_family_discovery");
    *state = fx;
    return fx ? fixture_store_import(fx, CATALOG) : -1;
}

static int s_teardown(void **state)
{
    return fixture_store_destroy((fixture_store_t **)state);
}

/* s_search - a search with MESSAGE (JSON text), in CITY; caller owns */
static json_t *s_search(const fixture_store_t *fx, const char *city, const char *msg_id,
                        const char *message)
{
    json_error_t je;
    json_t *m = json_loads(message, 0, &je);
    assert_non_null(m);
    json_t *req = fixture_worker_request(fx, "search", "txn-search", msg_id, TS, m);
    json_object_set_new(json_object_get(req, "context"), "city", json_string(city));
    return req;
}

/* s_ids - "provider/item" of every item of every page of REPLIES, sorted,
 * space-separated, into OUT */
static void s_ids(json_t *replies, char *out, size_t cap)
{
    json_t *ids = json_array();
    size_t i, j, k;
    json_t *r, *p, *it;
    json_array_foreach(replies, i, r)
    {
        json_array_foreach(fixture_json_at(r, "body.message.catalog.bpp/providers"), j, p)
        {
            json_array_foreach(json_object_get(p, "items"), k, it)
            {
                char id[400];
                snprintf(id, sizeof id, "%s/%s", json_string_value(json_object_get(p, "id")),
                         json_string_value(json_object_get(it, "id")));
                json_array_append_new(ids, json_string(id));
            }
        }
    }
    size_t n = json_array_size(ids);
    const char **v = calloc(n + 1, sizeof *v);
    assert_non_null(v);
    for (i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(ids, i));
        for (j = i; j > 0 && strcmp(v[j - 1], s) > 0; j--)
            v[j] = v[j - 1];
        v[j] = s;
    }
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        strncat(out, v[i], cap - strlen(out) - 1);
        if (i + 1 < n)
            strncat(out, " ", cap - strlen(out) - 1);
    }
    free(v);
    json_decref(ids);
}

static int s_journal_done(fixture_store_t *fx, uint64_t jid)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    int st = journal_state(fx->s, txn, jid);
    mdb_txn_abort(txn);
    return st == JOURNAL_DONE;
}

/* the seed search (a Delivery intent with the buyer app's finder fee):
 * every item of both stores, the on_search as in the golden file */
static void test_seed_search_golden(void **state)
{
    fixture_store_t *fx = *state;
    json_t *req = fixture_worker_load("tests/fixtures/search-request.json");
    assert_non_null(req);
    int64_t now =
        context_parse_time(context_str(json_object_get(req, "context"), "timestamp")) + 250;
    uint64_t jid = 0;
    json_t *replies = fixture_worker_handle(fx, &family_discovery, req, now, &jid);
    assert_non_null(replies);
    assert_int_equal(json_array_size(replies), 1);
    json_t *r = json_array_get(replies, 0);
    fixture_assert_reply(fx, r, req, now, jid);
    assert_null(fixture_json_at(r, "body.error"));
    assert_true(s_journal_done(fx, jid));
    char ids[1024];
    s_ids(replies, ids, sizeof ids);
    assert_string_equal(ids, "111863/42602097 111863/42602101 111863/42602105 111863/42602110 "
                             "P2-KORA/FM-BANANA-1DZ P2-KORA/FM-RICE-5KG P2-KORA/FM-TOOR-1KG");
    /* the seller's own terms never reach a buyer app */
    size_t i;
    json_t *p;
    json_array_foreach(fixture_json_at(r, "body.message.catalog.bpp/providers"), i, p)
        assert_null(json_object_get(p, "seller"));
    assert_int_equal(
        fixture_golden(fixture_json_at(r, "body"), "tests/fixtures/golden/on_search-seed.json"), 0);
    json_decref(replies);
    json_decref(req);
}

/* intents and what each finds; an empty want: nothing matches, and the
 * search gets no on_search at all */
static void test_intents(void **state)
{
    fixture_store_t *fx = *state;
    static const struct {
        const char *what, *city, *message, *want;
    } cases[] = {
        {"item name, two stores", "std:080",
         "{\"intent\":{\"item\":{\"descriptor\":{\"name\":\"butter\"}}}}",
         "111863/42602097 111863/42602105"},
        {"item name prefix", "std:080",
         "{\"intent\":{\"item\":{\"descriptor\":{\"name\":\"ric\"}}}}", "P2-KORA/FM-RICE-5KG"},
        {"category", "std:080", "{\"intent\":{\"category\":{\"id\":\"Dals and Pulses\"}}}",
         "P2-KORA/FM-TOOR-1KG"},
        {"provider id", "std:080", "{\"intent\":{\"provider\":{\"id\":\"P2-KORA\"}}}",
         "P2-KORA/FM-BANANA-1DZ P2-KORA/FM-RICE-5KG P2-KORA/FM-TOOR-1KG"},
        {"provider id as a number", "std:080", "{\"intent\":{\"provider\":{\"id\":111863}}}",
         "111863/42602097 111863/42602101 111863/42602105 111863/42602110"},
        {"self-pickup: only the store that offers it", "std:080",
         "{\"intent\":{\"fulfillment\":{\"type\":\"Self-Pickup\"}}}",
         "111863/42602097 111863/42602101 111863/42602105 111863/42602110"},
        {"the seed's drop-off: beyond Koramangala's 5 km", "std:080",
         "{\"intent\":{\"fulfillment\":{\"type\":\"Delivery\",\"end\":{\"location\":"
         "{\"gps\":\"13.01659,77.68040\"}}},\"item\":{\"descriptor\":{\"name\":\"dal\"}}}}",
         ""},
        {"the seed's drop-off: within Indiranagar's 15 km", "std:080",
         "{\"intent\":{\"fulfillment\":{\"type\":\"Delivery\",\"end\":{\"location\":"
         "{\"gps\":\"13.01659,77.68040\"}}},\"item\":{\"descriptor\":{\"name\":\"butter\"}}}}",
         "111863/42602097 111863/42602105"},
        {"drop-off by area code the store serves", "std:080",
         "{\"intent\":{\"fulfillment\":{\"end\":{\"location\":{\"address\":{\"area_code\":"
         "\"560095\"}}}},\"item\":{\"descriptor\":{\"name\":\"dal\"}}}}",
         "P2-KORA/FM-TOOR-1KG"},
        {"payment on delivery: only the items that may be paid so", "std:080",
         "{\"intent\":{\"payment\":{\"type\":\"ON-FULFILLMENT\"},\"item\":{\"descriptor\":"
         "{\"name\":\"butter\"}}}}",
         "111863/42602097"},
        {"payment on delivery: a store that does not take it", "std:080",
         "{\"intent\":{\"payment\":{\"type\":\"ON-FULFILLMENT\"},\"item\":{\"descriptor\":"
         "{\"name\":\"rice\"}}}}",
         ""},
        {"drop-off by gps: Koramangala", "std:080",
         "{\"intent\":{\"fulfillment\":{\"type\":\"Delivery\",\"end\":{\"location\":"
         "{\"gps\":\"12.9352,77.6245\"}}},\"item\":{\"descriptor\":{\"name\":\"dal\"}}}}",
         "P2-KORA/FM-TOOR-1KG"},
        {"another city", "std:011", "{}", ""},
        {"an unknown item", "std:080",
         "{\"intent\":{\"item\":{\"descriptor\":{\"name\":\"zzqx\"}}}}", ""},
        {"an unknown provider", "std:080", "{\"intent\":{\"provider\":{\"id\":\"NOPE\"}}}", ""},
        {"an unknown category", "std:080", "{\"intent\":{\"category\":{\"id\":\"Toys\"}}}", ""},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "intent-%zu", i);
        json_t *req = s_search(fx, cases[i].city, mid, cases[i].message);
        uint64_t jid = 0;
        json_t *replies = fixture_worker_handle(fx, &family_discovery, req, s_now(), &jid);
        assert_non_null(replies);
        char ids[1024];
        s_ids(replies, ids, sizeof ids);
        if (strcmp(ids, cases[i].want) != 0)
            fail_msg("%s: found \"%s\", want \"%s\"", cases[i].what, ids, cases[i].want);
        assert_int_equal(json_array_size(replies), cases[i].want[0] ? 1 : 0);
        if (cases[i].want[0])
            fixture_assert_reply(fx, json_array_get(replies, 0), req, s_now(), jid);
        /* answered or not, the request is done */
        assert_true(s_journal_done(fx, jid));
        json_decref(replies);
        json_decref(req);
    }
}

/* malformed intents: one on_search with the error, at the field */
static void test_malformed_intents(void **state)
{
    fixture_store_t *fx = *state;
    static const struct {
        const char *message, *path;
    } cases[] = {
        {"{\"intent\":[]}", "message.intent"},
        {"{\"intent\":{\"item\":{\"descriptor\":{\"name\":42}}}}",
         "message.intent.item.descriptor.name"},
        {"{\"intent\":{\"category\":{\"id\":{}}}}", "message.intent.category.id"},
        {"{\"intent\":{\"provider\":{\"id\":true}}}", "message.intent.provider.id"},
        {"{\"intent\":{\"provider\":{\"descriptor\":{\"name\":[1]}}}}",
         "message.intent.provider.descriptor.name"},
        {"{\"intent\":{\"fulfillment\":{\"type\":\"Delivery by a very long name that does not "
         "fit\"}}}",
         "message.intent.fulfillment.type"},
        {"{\"intent\":{\"fulfillment\":{\"end\":{\"location\":{\"gps\":\"north\"}}}}}",
         "message.intent.fulfillment.end.location.gps"},
        {"{\"intent\":{\"fulfillment\":{\"end\":{\"location\":{\"address\":{\"area_code\":"
         "560038}}}}}}",
         "message.intent.fulfillment.end.location.address.area_code"},
        {"{\"intent\":{\"payment\":{\"type\":7}}}", "message.intent.payment.type"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "bad-intent-%zu", i);
        json_t *req = s_search(fx, "std:080", mid, cases[i].message);
        uint64_t jid = 0;
        json_t *replies = fixture_worker_handle(fx, &family_discovery, req, s_now(), &jid);
        assert_non_null(replies);
        assert_int_equal(json_array_size(replies), 1);
        json_t *r = json_array_get(replies, 0);
        fixture_assert_reply(fx, r, req, s_now(), jid);
        fixture_assert_error(r, "JSON-SCHEMA-ERROR", "30000", cases[i].path);
        assert_null(fixture_json_at(r, "body.message"));
        json_decref(replies);
        json_decref(req);
    }
}

/* a catalog larger than one callback: pages of at most search.page_kb
 * (its smallest setting), whole bodies included, every item exactly once,
 * all on the request's message id */
static void test_pages(void **state)
{
    fixture_store_t *fx = *state;
    json_t *cat = fixture_worker_load(CATALOG);
    assert_non_null(cat);
    json_t *items = fixture_json_at(cat, "bpp/providers[1].items");
    char want[8192] = "";
    char desc[600];
    memset(desc, 'd', sizeof desc - 1);
    desc[sizeof desc - 1] = '\0';
    for (int i = 0; i < 80; i++) {
        char id[32], name[64];
        snprintf(id, sizeof id, "BULK-%02d", i);
        snprintf(name, sizeof name, "Bulk item %02d", i);
        /* a complete item (catalog_rules.h) with a long description */
        json_t *it = json_deep_copy(json_array_get(items, 1));
        json_object_set_new(it, "id", json_string(id));
        json_object_del(it, "parent_item_id"); /* not 80 variants alike */
        json_t *d = json_object_get(it, "descriptor");
        json_object_set_new(d, "name", json_string(name));
        json_object_set_new(d, "long_desc", json_string(desc));
        json_object_set_new(it, "price", json_pack("{s:s,s:s}", "currency", "INR", "value", "10.00"));
        json_object_set_new(json_object_get(it, "quantity"), "available",
                            json_pack("{s:s}", "count", "5"));
        json_array_append_new(items, it);
    }
    MDB_txn *txn = store_begin(fx->s, 0);
    ondc_err_t err;
    assert_int_equal(catalog_import(fx->s, txn, cat, CATALOG_REPLACE, &err), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(cat);
    for (int i = 0; i < 80; i++) {
        char id[40];
        snprintf(id, sizeof id, "%sP2-KORA/BULK-%02d", i ? " " : "", i);
        strncat(want, id, sizeof want - strlen(want) - 1);
    }
    strncat(want, " P2-KORA/FM-BANANA-1DZ P2-KORA/FM-RICE-5KG P2-KORA/FM-TOOR-1KG",
            sizeof want - strlen(want) - 1);

    int saved = fx->cfg.search_page_kb;
    fx->cfg.search_page_kb = 16;
    json_t *req =
        s_search(fx, "std:080", "paged", "{\"intent\":{\"provider\":{\"id\":\"P2-KORA\"}}}");
    uint64_t jid = 0;
    json_t *replies = fixture_worker_handle(fx, &family_discovery, req, s_now(), &jid);
    fx->cfg.search_page_kb = saved;
    assert_non_null(replies);
    assert_true(json_array_size(replies) >= 4); /* 80 x ~700 bytes in 16 KB pages */
    size_t i;
    json_t *r;
    json_array_foreach(replies, i, r)
    {
        fixture_assert_reply(fx, r, req, s_now(), jid);
        char *body = json_dumps(json_object_get(r, "body"), JSON_COMPACT);
        assert_non_null(body);
        size_t len = strlen(body);
        free(body);
        if (len > (size_t)16 * 1024)
            fail_msg("page %zu is %zu bytes, more than search.page_kb", i, len);
    }
    char ids[8192];
    s_ids(replies, ids, sizeof ids);
    assert_string_equal(ids, want);
    json_decref(replies);
    json_decref(req);
    assert_int_equal(fixture_store_import(fx, CATALOG), 0);
}

/* the dispatcher sends a row again (lease ran out): answered once */
static void test_redispatch_answered_once(void **state)
{
    fixture_store_t *fx = *state;
    json_t *req = s_search(fx, "std:080", "twice", "{}");
    uint64_t jid = 0;
    json_t *first = fixture_worker_handle(fx, &family_discovery, req, s_now(), &jid);
    assert_non_null(first);
    assert_int_equal(json_array_size(first), 1);
    json_t *again = fixture_worker_handle(fx, &family_discovery, req, s_now() + 5000, &jid);
    assert_non_null(again);
    assert_int_equal(json_array_size(again), 0);
    json_decref(first);
    json_decref(again);
    json_decref(req);
}

/* an action of another family sent here: an on_* with 31001 */
static void test_other_family_action(void **state)
{
    fixture_store_t *fx = *state;
    json_t *req = fixture_worker_request(fx, "select", "txn-wrong", "wrong-family", TS, NULL);
    uint64_t jid = 0;
    json_t *replies = fixture_worker_handle(fx, &family_discovery, req, s_now(), &jid);
    assert_non_null(replies);
    assert_int_equal(json_array_size(replies), 1);
    fixture_assert_reply(fx, json_array_get(replies, 0), req, s_now(), jid);
    fixture_assert_error(json_array_get(replies, 0), "CORE-ERROR", "31001", "context.action");
    json_decref(replies);
    json_decref(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_search_golden),       cmocka_unit_test(test_intents),
        cmocka_unit_test(test_malformed_intents),        cmocka_unit_test(test_pages),
        cmocka_unit_test(test_redispatch_answered_once), cmocka_unit_test(test_other_family_action),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
