/*
 * test_scan.c - scan.{c,h} on a real LMDB environment: scan_each's id
 * ranges (open ends, big-endian order past one byte), stopping early, keys
 * that are not ids, the values it hands over; scan_prune's verdicts (stop,
 * keep, delete), its slices of at most LIMIT, the callback deleting a
 * row's index entry in another database, and rows it never reaches.
 *
 * Rows are put straight into id-keyed databases (outbox, opending) with
 * values the tests choose; each test gets a fresh environment in its own
 * mkdtemp directory, removed at the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "migrate.h"
#include "scan.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    char dir[64];
    cfg_t cfg;
    store_t *s;
} fx_t;

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int s_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_scan.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    log_set_level(LOG_FATAL);
    cfg_defaults(&fx->cfg);
    snprintf(fx->cfg.data_dir, sizeof fx->cfg.data_dir, "%s", fx->dir);
    fx->cfg.lmdb_map_size_mb = 64;
    snprintf(fx->cfg.journal_sync, sizeof fx->cfg.journal_sync, "nosync");
    fx->s = migrate_open(&fx->cfg);
    return fx->s ? 0 : -1;
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    store_destroy(&fx->s);
    int rc = nftw(fx->dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return rc;
}

/* a row: key ID, value the row's "time" and whether it is to be kept */
typedef struct {
    int64_t t;
    int keep;
} row_t;

static void s_put(store_t *s, MDB_txn *txn, store_db_t db, uint64_t id, int64_t t, int keep)
{
    unsigned char kb[8];
    store_key64(kb, id);
    row_t r = {t, keep};
    MDB_val k = {8, kb}, v = {sizeof r, &r};
    assert_int_equal(mdb_put(txn, s->dbi[db], &k, &v, 0), 0);
}

static void s_put_raw(store_t *s, MDB_txn *txn, store_db_t db, const char *key, size_t klen)
{
    row_t r = {0, 0};
    MDB_val k = {klen, (void *)key}, v = {sizeof r, &r};
    assert_int_equal(mdb_put(txn, s->dbi[db], &k, &v, 0), 0);
}

typedef struct {
    uint64_t ids[32];
    int64_t ts[32];
    size_t n;
    size_t stop_after; /* 0: never stop */
} seen_t;

static int s_collect(uint64_t id, const MDB_val *val, void *arg)
{
    seen_t *c = arg;
    assert_true(c->n < N(c->ids));
    assert_int_equal(val->mv_size, sizeof(row_t));
    row_t r;
    memcpy(&r, val->mv_data, sizeof r);
    c->ids[c->n] = id;
    c->ts[c->n] = r.t;
    c->n++;
    return c->stop_after && c->n >= c->stop_after;
}

static const uint64_t s_ids[] = {1, 2, 5, 9, 255, 256, 300, 70000};

static void s_fill(fx_t *fx)
{
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_non_null(txn);
    /* put out of order: the walk's order is the keys' */
    for (size_t i = N(s_ids); i-- > 0;)
        s_put(fx->s, txn, DB_OUTBOX, s_ids[i], (int64_t)s_ids[i] * 10, 0);
    assert_int_equal(store_commit(txn), 0);
}

static void test_each_ranges(void **state)
{
    fx_t *fx = *state;
    s_fill(fx);
    static const struct {
        uint64_t from, to;
        uint64_t want[8];
        size_t n;
    } cases[] = {
        {0, 0, {1, 2, 5, 9, 255, 256, 300, 70000}, 8},
        {2, 0, {2, 5, 9, 255, 256, 300, 70000}, 7},
        {3, 9, {5, 9}, 2},
        {0, 1, {1}, 1},
        {5, 5, {5}, 1},
        {10, 254, {0}, 0},
        {255, 256, {255, 256}, 2},
        {257, 69999, {300}, 1},
        {70001, 0, {0}, 0},
        {9, 3, {0}, 0},
    };
    MDB_txn *txn = store_begin(fx->s, 1);
    assert_non_null(txn);
    for (size_t i = 0; i < N(cases); i++) {
        seen_t c = {.n = 0};
        assert_int_equal(
            scan_each(fx->s, txn, DB_OUTBOX, cases[i].from, cases[i].to, s_collect, &c), 0);
        if (c.n != cases[i].n)
            fail_msg("case %zu [%llu, %llu]: %zu rows, want %zu", i,
                     (unsigned long long)cases[i].from, (unsigned long long)cases[i].to, c.n,
                     cases[i].n);
        for (size_t j = 0; j < c.n; j++) {
            assert_int_equal(c.ids[j], cases[i].want[j]);
            assert_int_equal(c.ts[j], (int64_t)cases[i].want[j] * 10); /* the row's own value */
        }
    }
    mdb_txn_abort(txn);
}

static void test_each_stops_early(void **state)
{
    fx_t *fx = *state;
    s_fill(fx);
    MDB_txn *txn = store_begin(fx->s, 1);
    for (size_t stop = 1; stop <= 3; stop++) {
        seen_t c = {.stop_after = stop};
        assert_int_equal(scan_each(fx->s, txn, DB_OUTBOX, 0, 0, s_collect, &c), 0);
        assert_int_equal(c.n, stop);
        assert_int_equal(c.ids[stop - 1], s_ids[stop - 1]);
    }
    mdb_txn_abort(txn);
}

/* keys that are not 8 bytes are not rows: neither shown nor counted */
static void test_each_passes_over_other_keys(void **state)
{
    fx_t *fx = *state;
    MDB_txn *txn = store_begin(fx->s, 0);
    s_put_raw(fx->s, txn, DB_OPENDING, "abc", 3);
    s_put(fx->s, txn, DB_OPENDING, 7, 70, 0);
    s_put_raw(fx->s, txn, DB_OPENDING, "\0\0\0\0\0\0\0\x07z", 9);
    s_put(fx->s, txn, DB_OPENDING, 8, 80, 0);
    assert_int_equal(store_commit(txn), 0);
    txn = store_begin(fx->s, 1);
    seen_t c = {.n = 0};
    assert_int_equal(scan_each(fx->s, txn, DB_OPENDING, 0, 0, s_collect, &c), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.ids[0], 7);
    assert_int_equal(c.ids[1], 8);
    /* an empty database: no call */
    seen_t none = {.n = 0};
    assert_int_equal(scan_each(fx->s, txn, DB_OSTATE, 0, 0, s_collect, &none), 0);
    assert_int_equal(none.n, 0);
    mdb_txn_abort(txn);
}

/* ---- pruning ---- */

typedef struct {
    int64_t before;
    uint64_t shown[32];
    size_t n;
} prune_t;

/* older than BEFORE and not kept: its opending entry goes, then the row */
static scan_verdict_t s_prune(store_t *s, MDB_txn *txn, uint64_t id, const MDB_val *val, void *arg)
{
    prune_t *p = arg;
    assert_true(p->n < N(p->shown));
    p->shown[p->n++] = id;
    row_t r;
    memcpy(&r, val->mv_data, sizeof r);
    if (r.t >= p->before)
        return SCAN_STOP;
    if (r.keep)
        return SCAN_KEEP;
    unsigned char kb[8];
    store_key64(kb, id);
    MDB_val k = {8, kb};
    assert_int_equal(mdb_del(txn, s->dbi[DB_OPENDING], &k, NULL), 0);
    return SCAN_DELETE;
}

static size_t s_ids_of(fx_t *fx, store_db_t db, uint64_t *out)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    seen_t c = {.n = 0};
    assert_int_equal(scan_each(fx->s, txn, db, 0, 0, s_collect, &c), 0);
    mdb_txn_abort(txn);
    memcpy(out, c.ids, c.n * sizeof *out);
    return c.n;
}

static void test_prune_slices(void **state)
{
    fx_t *fx = *state;
    /* ids 1..8 with times; 3 and 6 kept; 7 is new; 8 is old but after 7 */
    static const struct {
        uint64_t id;
        int64_t t;
        int keep;
    } rows[] = {{1, 100, 0}, {2, 110, 0}, {3, 120, 1}, {4, 130, 0},
                {5, 140, 0}, {6, 150, 1}, {7, 900, 0}, {8, 160, 0}};
    MDB_txn *txn = store_begin(fx->s, 0);
    for (size_t i = 0; i < N(rows); i++) {
        s_put(fx->s, txn, DB_OUTBOX, rows[i].id, rows[i].t, rows[i].keep);
        s_put(fx->s, txn, DB_OPENDING, rows[i].id, rows[i].t, 0);
    }
    s_put_raw(fx->s, txn, DB_OUTBOX, "x", 1); /* sorts first: not a row */
    assert_int_equal(store_commit(txn), 0);

    /* slices of 2: {1,2}, then 3 kept and {4,5}, then 6 kept and 7 stops */
    static const struct {
        int deleted;
        uint64_t shown[4];
        size_t nshown;
    } slices[] = {
        {2, {1, 2}, 2},
        {2, {3, 4, 5}, 3},
        {0, {3, 6, 7}, 3},
        {0, {3, 6, 7}, 3},
    };
    for (size_t i = 0; i < N(slices); i++) {
        prune_t p = {.before = 500};
        txn = store_begin(fx->s, 0);
        assert_int_equal(scan_prune(fx->s, txn, DB_OUTBOX, 2, s_prune, &p), slices[i].deleted);
        assert_int_equal(store_commit(txn), 0);
        if (p.n != slices[i].nshown)
            fail_msg("slice %zu: %zu rows shown, want %zu", i, p.n, slices[i].nshown);
        for (size_t j = 0; j < p.n; j++)
            assert_int_equal(p.shown[j], slices[i].shown[j]);
    }
    uint64_t left[16];
    static const uint64_t want_left[] = {3, 6, 7, 8};
    size_t n = s_ids_of(fx, DB_OUTBOX, left);
    assert_int_equal(n, N(want_left));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(left[i], want_left[i]);
    /* the callback's own deletions went with each row, and only those */
    n = s_ids_of(fx, DB_OPENDING, left);
    assert_int_equal(n, N(want_left));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(left[i], want_left[i]);
    /* the key that is not a row is still there, never shown */
    txn = store_begin(fx->s, 1);
    MDB_val k = {1, "x"}, v;
    assert_int_equal(mdb_get(txn, fx->s->dbi[DB_OUTBOX], &k, &v), 0);
    mdb_txn_abort(txn);

    /* a later retention reaches past the new row: 7 and 8 go, in one slice */
    prune_t p = {.before = 1000};
    txn = store_begin(fx->s, 0);
    assert_int_equal(scan_prune(fx->s, txn, DB_OUTBOX, 100, s_prune, &p), 2);
    assert_int_equal(store_commit(txn), 0);
    n = s_ids_of(fx, DB_OUTBOX, left);
    assert_int_equal(n, 2);
    assert_int_equal(left[0], 3);
    assert_int_equal(left[1], 6);
    /* LIMIT 0: nothing read, nothing deleted */
    prune_t z = {.before = 1000};
    txn = store_begin(fx->s, 0);
    assert_int_equal(scan_prune(fx->s, txn, DB_OUTBOX, 0, s_prune, &z), 0);
    mdb_txn_abort(txn);
    assert_int_equal(z.n, 0);
}

/* a write transaction aborted: the slice's deletions are not kept (the
 * caller commits, scan_prune never does) */
static void test_prune_does_not_commit(void **state)
{
    fx_t *fx = *state;
    s_fill(fx);
    prune_t p = {.before = INT64_MAX};
    MDB_txn *txn = store_begin(fx->s, 0);
    /* the index entries the callback deletes */
    for (size_t i = 0; i < N(s_ids); i++)
        s_put(fx->s, txn, DB_OPENDING, s_ids[i], 0, 0);
    assert_int_equal(scan_prune(fx->s, txn, DB_OUTBOX, 100, s_prune, &p), (int)N(s_ids));
    mdb_txn_abort(txn);
    uint64_t left[16];
    assert_int_equal(s_ids_of(fx, DB_OUTBOX, left), N(s_ids));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_each_ranges),  T(test_each_stops_early),      T(test_each_passes_over_other_keys),
        T(test_prune_slices), T(test_prune_does_not_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
