/*
 * test_retain.c - retention of the transactions' select/init states
 * (store/retain.c): stamped states past the cut-off go, recent ones stay,
 * and a state from before states were stamped is stamped when a slice first
 * sees it, then goes retention_s later like any other. Bad input tried: a
 * stamp that is not a number, an empty object, an object with spaces after
 * its brace, a value that is not a JSON object at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_store.h"
#include "retain.h"

static int s_setup(void **state)
{
    *state = fixture_store_new_open("test_retain");
    return *state ? 0 : -1;
}

static int s_teardown(void **state)
{
    return fixture_store_destroy((fixture_store_t **)state);
}

static void s_put(fixture_store_t *fx, const char *key, const char *val)
{
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_non_null(txn);
    MDB_val k = {strlen(key), (void *)key}, v = {strlen(val), (void *)val};
    assert_int_equal(mdb_put(txn, fx->s->dbi[DB_TXN], &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
}

/* s_get - the state under KEY (malloc'd, NUL-terminated), NULL when gone */
static char *s_get(fixture_store_t *fx, const char *key)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    assert_non_null(txn);
    MDB_val k = {strlen(key), (void *)key}, v;
    char *out = NULL;
    if (mdb_get(txn, fx->s->dbi[DB_TXN], &k, &v) == 0) {
        out = malloc(v.mv_size + 1);
        assert_non_null(out);
        memcpy(out, v.mv_data, v.mv_size);
        out[v.mv_size] = '\0';
    }
    mdb_txn_abort(txn);
    return out;
}

/* s_gone - whether the state under KEY is gone */
static int s_gone(fixture_store_t *fx, const char *key)
{
    char *g = s_get(fx, key);
    int gone = g == NULL;
    free(g);
    return gone;
}

/* s_slice - one retention slice at NOW_MS for AGE_S, committed */
static retain_done_t s_slice(fixture_store_t *fx, int64_t now_ms, int64_t age_s)
{
    retain_cut_t cut = retain_cutoffs(&fx->cfg, now_ms, age_s);
    retain_pos_t pos = {0};
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_non_null(txn);
    retain_done_t d = retain_slice(fx->s, txn, &cut, 100, &pos);
    assert_int_equal(mdb_txn_commit(txn), 0);
    return d;
}

static void test_stamp_read(void **state)
{
    (void)state;
    const char *ok = "{\"at\":1700000000123,\"cart\":[]}";
    assert_true(retain_txn_at(ok, strlen(ok)) == 1700000000123LL);
    const char *none = "{\"cart\":[],\"at\":5}"; /* the stamp is the first key or none */
    assert_int_equal(retain_txn_at(none, strlen(none)), -1);
    const char *text = "{\"at\":\"soon\"}";
    assert_int_equal(retain_txn_at(text, strlen(text)), -1);
    assert_int_equal(retain_txn_at("{}", 2), -1);
}

static void test_old_gone_recent_kept(void **state)
{
    fixture_store_t *fx = *state;
    const int64_t now = 1800000000000LL;
    char old[64], recent[64];
    snprintf(old, sizeof old, "{\"at\":%lld,\"cart\":[1]}", (long long)(now - 120000));
    snprintf(recent, sizeof recent, "{\"at\":%lld,\"cart\":[2]}", (long long)(now - 30000));
    s_put(fx, "bap#t-old", old);
    s_put(fx, "bap#t-recent", recent);
    retain_done_t d = s_slice(fx, now, 60);
    assert_int_equal(d.txn, 1);
    assert_true(s_gone(fx, "bap#t-old"));
    char *g = s_get(fx, "bap#t-recent");
    assert_non_null(g);
    assert_string_equal(g, recent); /* a stamped state is not rewritten */
    free(g);
}

static void test_unstamped_stamped_then_gone(void **state)
{
    fixture_store_t *fx = *state;
    const int64_t now = 1800000000000LL;
    s_put(fx, "bap#t-a", "{\"cart\":[{\"id\":\"I1\",\"count\":2}],\"bap_id\":\"b\"}");
    s_put(fx, "bap#t-b", "{}");
    s_put(fx, "bap#t-c", "{ \n \"x\":1}");
    s_put(fx, "bap#t-d", "[1,2]"); /* not an object: left alone, kept */
    retain_done_t d = s_slice(fx, now, 60);
    assert_int_equal(d.txn, 0); /* nothing old enough: stamped, kept */
    char *a = s_get(fx, "bap#t-a"), *b = s_get(fx, "bap#t-b"), *c = s_get(fx, "bap#t-c"),
         *x = s_get(fx, "bap#t-d");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(x);
    assert_true(retain_txn_at(a, strlen(a)) == now);
    assert_true(retain_txn_at(b, strlen(b)) == now);
    assert_true(retain_txn_at(c, strlen(c)) == now);
    assert_string_equal(x, "[1,2]");
    /* the stamped states are still the same JSON, with "at" added */
    json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL), *jc = json_loads(c, 0, NULL);
    assert_non_null(ja);
    assert_non_null(jb);
    assert_non_null(jc);
    assert_int_equal(json_object_size(ja), 3);
    assert_string_equal(json_string_value(json_object_get(ja, "bap_id")), "b");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(ja, "cart"), 0),
                                                        "count")),
                     2);
    assert_int_equal(json_object_size(jb), 1);
    assert_int_equal(json_integer_value(json_object_get(jc, "x")), 1);
    json_decref(ja);
    json_decref(jb);
    json_decref(jc);
    free(a);
    free(b);
    free(c);
    free(x);
    /* a second slice soon after changes nothing */
    d = s_slice(fx, now + 1000, 60);
    assert_int_equal(d.txn, 0);
    a = s_get(fx, "bap#t-a");
    assert_true(retain_txn_at(a, strlen(a)) == now);
    free(a);
    /* retention_s after the stamp they go; the non-object stays */
    d = s_slice(fx, now + 61000, 60);
    assert_int_equal(d.txn, 3);
    assert_true(s_gone(fx, "bap#t-a"));
    assert_true(s_gone(fx, "bap#t-b"));
    assert_true(s_gone(fx, "bap#t-c"));
    x = s_get(fx, "bap#t-d");
    assert_non_null(x);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stamp_read),
        cmocka_unit_test_setup_teardown(test_old_gone_recent_kept, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_unstamped_stamped_then_gone, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
