/*
 * test_journal.c - journal.{c,h} (and the id counter of store.c) on a real
 * LMDB environment: row round trips, pending / done / dead life, requeue,
 * the backlog without dead rows, dedupe, range and per-transaction reads,
 * pruning, ids that never repeat, and LMDB failures (read-only transaction,
 * map full).
 *
 * Each test gets a fresh environment from fixture_store.h, removed at the
 * end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fixture_store.h"
#include "journal.h"
#include "migrate.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef fixture_store_t fx_t;

/* s_open_store - open the store again with a MAP_MB map */
static int s_open_store(fx_t *fx, int map_mb)
{
    fx->cfg.lmdb_map_size_mb = map_mb;
    return fixture_store_reopen(fx);
}

static int s_setup(void **state)
{
    *state = fixture_store_new_open("test_journal");
    return *state ? 0 : -1;
}

static int s_teardown(void **state)
{
    return fixture_store_destroy((fx_t **)state);
}

/* s_noise - LEN bytes no compressor can shrink (xorshift from SEED): a
 * body that takes its full size in the store, packed or not */
static void s_noise(char *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 2654435761u + 88172645463325252ull;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (char)(x >> 24);
    }
}

static void s_row(journal_row_t *r, int action, int64_t received, const char *sender,
                  const char *txn_id, const char *msg_id, const char *body, size_t len)
{
    memset(r, 0, sizeof *r);
    r->action = action;
    r->received_ms = received;
    snprintf(r->sender, sizeof r->sender, "%s", sender);
    snprintf(r->transaction_id, sizeof r->transaction_id, "%s", txn_id);
    snprintf(r->message_id, sizeof r->message_id, "%s", msg_id);
    r->body = body;
    r->body_len = len;
}

/* s_append - one row in its own committed transaction; returns its id. */
static uint64_t s_append(fx_t *fx, int64_t received, const char *txn_id, const char *msg_id)
{
    journal_row_t r;
    s_row(&r, 2, received, "bap.example", txn_id, msg_id, "{}", 2);
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_non_null(txn);
    uint64_t id = 0;
    assert_int_equal(journal_append(fx->s, txn, &r, &id), 0);
    assert_int_equal(store_commit(txn), 0);
    assert_true(id > 0);
    return id;
}

static int s_state(fx_t *fx, uint64_t id)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    int st = journal_state(fx->s, txn, id);
    mdb_txn_abort(txn);
    return st;
}

/* s_done / s_dispatched - one mark in its own committed transaction. */
static int s_done(fx_t *fx, uint64_t id)
{
    MDB_txn *txn = store_begin(fx->s, 0);
    int rc = journal_mark_done(fx->s, txn, id);
    assert_int_equal(store_commit(txn), 0);
    return rc;
}

static int s_dispatched(fx_t *fx, uint64_t id, int64_t now, uint32_t max)
{
    MDB_txn *txn = store_begin(fx->s, 0);
    int rc = journal_mark_dispatched(fx->s, txn, id, now, max);
    assert_int_equal(store_commit(txn), 0);
    return rc;
}

typedef struct {
    uint64_t ids[64];
    int64_t received[64];
    int n;
    int stop_after; /* 0: never */
} collect_t;

static int s_collect_pending(const journal_pending_t *p, void *arg)
{
    collect_t *c = arg;
    c->received[c->n] = p->received_ms;
    c->ids[c->n++] = p->id;
    return c->stop_after && c->n >= c->stop_after;
}

static int s_collect_row(const journal_row_t *r, void *arg)
{
    collect_t *c = arg;
    c->received[c->n] = r->received_ms;
    c->ids[c->n++] = r->id;
    return c->stop_after && c->n >= c->stop_after;
}

static void s_assert_ids(const collect_t *c, const uint64_t *want, int n)
{
    if (c->n != n)
        fail_msg("got %d ids, want %d", c->n, n);
    for (int i = 0; i < n; i++)
        if (c->ids[i] != want[i])
            fail_msg("id[%d] = %llu, want %llu", i, (unsigned long long)c->ids[i],
                     (unsigned long long)want[i]);
}

static collect_t s_pending(fx_t *fx, int stop_after)
{
    collect_t c = {.stop_after = stop_after};
    MDB_txn *txn = store_begin(fx->s, 1);
    assert_int_equal(journal_pending_each(fx->s, txn, s_collect_pending, &c), 0);
    mdb_txn_abort(txn);
    return c;
}

static size_t s_pending_count(fx_t *fx)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    size_t n = journal_pending_count(fx->s, txn);
    mdb_txn_abort(txn);
    return n;
}

/* s_backlog - journal_backlog, and the dead count into *DEAD */
static size_t s_backlog(fx_t *fx, uint64_t *dead)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    size_t n = journal_backlog(fx->s, txn);
    *dead = journal_dead_count(fx->s, txn);
    mdb_txn_abort(txn);
    return n;
}

/* ---- tests ---- */

static void test_append_get_round_trip(void **state)
{
    fx_t *fx = *state;
    char sender[256], body[1000];
    memset(sender, 's', 255);
    sender[255] = '\0';
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (char)(i * 7); /* NUL bytes included */
    static const struct {
        int action;
        int64_t received;
        const char *txn_id, *msg_id;
        size_t body_len;
    } cases[] = {
        {2, 1668688564230LL, "9b023f42-8532-4aa0-9f13-6cc909f1ae95",
         "822480a8-797d-4950-8eae-291e4b7b0341", 1000},
        {0, 1, "t", "m", 0},
        {9, INT64_MAX, "txn-with-long-body", "msg", 1000},
    };
    uint64_t ids[N(cases)];
    MDB_txn *txn = store_begin(fx->s, 0);
    for (size_t i = 0; i < N(cases); i++) {
        journal_row_t r;
        s_row(&r, cases[i].action, cases[i].received, i == 0 ? sender : "bap", cases[i].txn_id,
              cases[i].msg_id, body, cases[i].body_len);
        assert_int_equal(journal_append(fx->s, txn, &r, &ids[i]), 0);
    }
    assert_int_equal(store_commit(txn), 0);

    txn = store_begin(fx->s, 1);
    for (size_t i = 0; i < N(cases); i++) {
        journal_row_t out;
        assert_int_equal(journal_get(fx->s, txn, ids[i], &out), 0);
        assert_int_equal(out.id, ids[i]);
        assert_int_equal(out.action, cases[i].action);
        assert_int_equal(out.received_ms, cases[i].received);
        assert_string_equal(out.sender, i == 0 ? sender : "bap");
        assert_string_equal(out.transaction_id, cases[i].txn_id);
        assert_string_equal(out.message_id, cases[i].msg_id);
        assert_int_equal(out.body_len, cases[i].body_len);
        if (cases[i].body_len)
            assert_memory_equal(out.body, body, cases[i].body_len);
        journal_row_clear(&out);
        assert_int_equal(journal_state(fx->s, txn, ids[i]), JOURNAL_PENDING);
        journal_pending_t p;
        assert_int_equal(journal_pending_get(fx->s, txn, ids[i], &p), 0);
        assert_int_equal(p.id, ids[i]);
        assert_int_equal(p.received_ms, cases[i].received);
        assert_int_equal(p.attempts, 0);
        assert_int_equal(p.dead, 0);
    }
    journal_row_t out;
    assert_int_equal(journal_get(fx->s, txn, 999, &out), MDB_NOTFOUND);
    assert_int_equal(journal_state(fx->s, txn, 999), -1);
    journal_pending_t p;
    assert_int_equal(journal_pending_get(fx->s, txn, 999, &p), MDB_NOTFOUND);
    mdb_txn_abort(txn);
}

static void test_ids_increase(void **state)
{
    fx_t *fx = *state;
    uint64_t prev = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t id = s_append(fx, 1000 + i, "t", "m");
        assert_true(id > prev);
        prev = id;
    }
    /* several rows in one transaction */
    MDB_txn *txn = store_begin(fx->s, 0);
    for (int i = 0; i < 5; i++) {
        journal_row_t r;
        s_row(&r, 1, 2000 + i, "bap", "t", "m", "x", 1);
        uint64_t id;
        assert_int_equal(journal_append(fx->s, txn, &r, &id), 0);
        assert_true(id > prev);
        prev = id;
    }
    assert_int_equal(store_commit(txn), 0);
    assert_int_equal(prev, 10);
}

static void test_mark_done(void **state)
{
    fx_t *fx = *state;
    uint64_t id = s_append(fx, 1000, "t", "m");
    assert_int_equal(s_state(fx, id), JOURNAL_PENDING);
    assert_int_equal(s_pending_count(fx), 1);
    assert_int_equal(s_done(fx, id), 1);  /* it was pending: do the work */
    assert_int_equal(s_done(fx, id), 0);  /* already done: skip */
    assert_int_equal(s_state(fx, id), JOURNAL_DONE);
    assert_int_equal(s_pending_count(fx), 0);
    assert_int_equal(s_done(fx, 12345), 0); /* no such row */

    /* done inside an aborted transaction is not done */
    uint64_t id2 = s_append(fx, 1001, "t", "m2");
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_int_equal(journal_mark_done(fx->s, txn, id2), 1);
    mdb_txn_abort(txn);
    assert_int_equal(s_state(fx, id2), JOURNAL_PENDING);

    /* the row itself stays readable after done */
    txn = store_begin(fx->s, 1);
    journal_row_t r;
    assert_int_equal(journal_get(fx->s, txn, id, &r), 0);
    assert_string_equal(r.message_id, "m");
    mdb_txn_abort(txn);
}

static void test_mark_dispatched_until_dead(void **state)
{
    fx_t *fx = *state;
    uint64_t id = s_append(fx, 1000, "t", "m");
    uint64_t other = s_append(fx, 1001, "t", "m2");
    assert_int_equal(s_dispatched(fx, id, 5000, 3), 0);
    assert_int_equal(s_dispatched(fx, id, 6000, 3), 0);

    MDB_txn *txn = store_begin(fx->s, 1);
    journal_pending_t p;
    assert_int_equal(journal_pending_get(fx->s, txn, id, &p), 0);
    assert_int_equal(p.attempts, 2);
    assert_int_equal(p.dispatched_ms, 6000);
    assert_int_equal(p.received_ms, 1000);
    assert_int_equal(p.dead, 0);
    mdb_txn_abort(txn);

    assert_int_equal(s_dispatched(fx, id, 7000, 3), 1); /* third attempt: dead */
    assert_int_equal(s_state(fx, id), JOURNAL_DEAD);
    txn = store_begin(fx->s, 1);
    assert_int_equal(journal_pending_get(fx->s, txn, id, &p), 0);
    assert_int_equal(p.attempts, 3);
    assert_int_equal(p.dead, 1);
    mdb_txn_abort(txn);

    assert_int_equal(s_done(fx, id), 0); /* dead rows are not done by a worker */
    assert_int_equal(s_state(fx, id), JOURNAL_DEAD);
    collect_t c = s_pending(fx, 0);
    uint64_t want[] = {other};
    s_assert_ids(&c, want, 1);
    assert_int_equal(s_pending_count(fx), 1);

    /* max 1: the first dispatch is the last */
    assert_int_equal(s_dispatched(fx, other, 8000, 1), 1);
    assert_int_equal(s_pending_count(fx), 0);
    /* a done row is not counted */
    uint64_t third = s_append(fx, 1002, "t", "m3");
    assert_int_equal(s_done(fx, third), 1);
    assert_int_equal(s_dispatched(fx, third, 9000, 3), 0);
    assert_int_equal(s_state(fx, third), JOURNAL_DONE);
}

static void test_requeue(void **state)
{
    fx_t *fx = *state;
    uint64_t done = s_append(fx, 1000, "t", "m1");
    uint64_t dead = s_append(fx, 1001, "t", "m2");
    assert_int_equal(s_done(fx, done), 1);
    assert_int_equal(s_dispatched(fx, dead, 2000, 1), 1);
    assert_int_equal(s_pending_count(fx), 0);

    MDB_txn *txn = store_begin(fx->s, 0);
    assert_int_equal(journal_requeue(fx->s, txn, done, 50000), 0);
    assert_int_equal(journal_requeue(fx->s, txn, dead, 50001), 0);
    assert_int_equal(journal_requeue(fx->s, txn, 777, 50002), MDB_NOTFOUND);
    assert_int_equal(store_commit(txn), 0);

    assert_int_equal(s_state(fx, done), JOURNAL_PENDING);
    assert_int_equal(s_state(fx, dead), JOURNAL_PENDING);
    txn = store_begin(fx->s, 1);
    journal_pending_t p;
    assert_int_equal(journal_pending_get(fx->s, txn, dead, &p), 0);
    assert_int_equal(p.attempts, 0);
    assert_int_equal(p.dead, 0);
    assert_int_equal(p.received_ms, 50001); /* the replay's time: its TTL counts from it */
    assert_int_equal(p.dispatched_ms, 50001);
    journal_row_t row;
    assert_int_equal(journal_get(fx->s, txn, dead, &row), 0);
    assert_int_equal(row.received_ms, 1001); /* the row keeps when it came */
    mdb_txn_abort(txn);
    collect_t c = s_pending(fx, 0);
    uint64_t want[] = {done, dead};
    s_assert_ids(&c, want, 2);
    assert_int_equal(s_done(fx, done), 1); /* a worker does it again */
}

/* test_backlog_without_dead_rows - what backlog_limit bounds: rows not done
 * and not dead, kept without a scan; a dead row dispatched again is not
 * counted twice; a replayed one counts again; a store from before the
 * count (no count kept) is counted once at open. */
static void test_backlog_without_dead_rows(void **state)
{
    fx_t *fx = *state;
    uint64_t ids[6], dead = 99;
    for (int i = 0; i < 6; i++) {
        char m[16];
        snprintf(m, sizeof m, "m%d", i);
        ids[i] = s_append(fx, 1000 + i, "t", m);
    }
    assert_int_equal(s_backlog(fx, &dead), 6);
    assert_int_equal(dead, 0);
    assert_int_equal(s_done(fx, ids[0]), 1);
    assert_int_equal(s_dispatched(fx, ids[1], 2000, 1), 1); /* dead */
    assert_int_equal(s_dispatched(fx, ids[2], 2000, 2), 0);
    assert_int_equal(s_dispatched(fx, ids[2], 3000, 2), 1); /* dead at its second */
    assert_int_equal(s_backlog(fx, &dead), 3);
    assert_int_equal(dead, 2);
    assert_int_equal(s_pending_count(fx), 3); /* the scan agrees */
    /* marked again (an old lease): still one dead row */
    assert_int_equal(s_dispatched(fx, ids[1], 4000, 1), 1);
    assert_int_equal(s_backlog(fx, &dead), 3);
    assert_int_equal(dead, 2);
    /* a worker's done mark leaves a dead row dead */
    assert_int_equal(s_done(fx, ids[2]), 0);
    assert_int_equal(s_backlog(fx, &dead), 3);
    /* replayed: pending again, counted in the backlog */
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_int_equal(journal_requeue(fx->s, txn, ids[1], 5000), 0);
    assert_int_equal(journal_requeue(fx->s, txn, ids[0], 5000), 0); /* a done one: no change to dead */
    assert_int_equal(store_commit(txn), 0);
    assert_int_equal(s_backlog(fx, &dead), 5);
    assert_int_equal(dead, 1);
    assert_int_equal(s_pending_count(fx), 5);

    /* a store without the count: counted once when it is opened */
    txn = store_begin(fx->s, 0);
    MDB_val k = {strlen("count/jdead"), (void *)"count/jdead"};
    assert_int_equal(mdb_del(txn, fx->s->dbi[DB_META], &k, NULL), 0);
    assert_int_equal(store_commit(txn), 0);
    assert_int_equal(s_backlog(fx, &dead), 6); /* every entry looks pending */
    assert_int_equal(dead, 0);
    assert_int_equal(fixture_store_reopen(fx), 0);
    assert_int_equal(s_backlog(fx, &dead), 5);
    assert_int_equal(dead, 1);
    /* and a second open leaves the count as it is */
    assert_int_equal(fixture_store_reopen(fx), 0);
    assert_int_equal(s_backlog(fx, &dead), 5);
    assert_int_equal(dead, 1);
}

static void test_pending_each_order(void **state)
{
    fx_t *fx = *state;
    uint64_t ids[6];
    for (int i = 0; i < 6; i++)
        ids[i] = s_append(fx, 1000 + 10 * i, "t", "m");
    assert_int_equal(s_done(fx, ids[1]), 1);
    assert_int_equal(s_done(fx, ids[3]), 1);
    assert_int_equal(s_dispatched(fx, ids[5], 9999, 1), 1); /* dead */

    collect_t c = s_pending(fx, 0);
    uint64_t want[] = {ids[0], ids[2], ids[4]};
    s_assert_ids(&c, want, 3);
    assert_int_equal(c.received[0], 1000);
    assert_int_equal(c.received[1], 1020);
    assert_int_equal(c.received[2], 1040);
    assert_int_equal(s_pending_count(fx), 3);

    c = s_pending(fx, 2); /* FN returning non-zero stops the walk */
    s_assert_ids(&c, want, 2);
}

static void test_seen(void **state)
{
    fx_t *fx = *state;
    unsigned char a[16], b[16];
    memset(a, 0xaa, sizeof a);
    memset(b, 0xaa, sizeof b);
    b[15] = 0xab;
    uint64_t prior = 0;
    MDB_txn *txn = store_begin(fx->s, 0);

    /* lookup alone never records */
    assert_int_equal(journal_seen_lookup(fx->s, txn, "t", "bap", "m1", a, &prior), SEEN_NEW);
    assert_int_equal(journal_seen_lookup(fx->s, txn, "t", "bap", "m1", a, &prior), SEEN_NEW);

    static const struct {
        const char *tid, *sender, *msg;
        int digest_b;
        uint64_t jid;
        int want;
        uint64_t want_prior;
    } cases[] = {
        {"t", "bap", "m1", 0, 7, SEEN_NEW, 0},
        {"t", "bap", "m1", 0, 8, SEEN_DUPLICATE, 7},
        {"t", "bap", "m1", 1, 9, SEEN_CONFLICT, 7},
        {"t", "other", "m1", 1, 10, SEEN_NEW, 0},   /* same message id, other sender */
        {"t", "bap", "m2", 0, 11, SEEN_NEW, 0},
        {"t", "other", "m1", 1, 13, SEEN_DUPLICATE, 10},
        {"t2", "bap", "m1", 1, 14, SEEN_NEW, 0},   /* same message id, other transaction */
        {"t2", "bap", "m1", 0, 15, SEEN_CONFLICT, 14},
        {"t", "bap", "m1", 0, 16, SEEN_DUPLICATE, 7}, /* the first is as it was */
        {"t", "bap|m", "1", 0, 17, SEEN_NEW, 0}, /* the separator in a sender */
    };
    for (size_t i = 0; i < N(cases); i++) {
        prior = 0;
        int st = journal_seen(fx->s, txn, cases[i].tid, cases[i].sender, cases[i].msg,
                              cases[i].digest_b ? b : a, cases[i].jid, &prior);
        if (st != cases[i].want)
            fail_msg("seen case %zu: %d, want %d", i, st, cases[i].want);
        if (cases[i].want != SEEN_NEW && prior != cases[i].want_prior)
            fail_msg("seen case %zu: prior %llu, want %llu", i, (unsigned long long)prior,
                     (unsigned long long)cases[i].want_prior);
    }
    /* a NULL prior is allowed */
    assert_int_equal(journal_seen(fx->s, txn, "t", "bap", "m1", a, 99, NULL), SEEN_DUPLICATE);
    assert_int_equal(store_commit(txn), 0);

    /* recorded durably */
    txn = store_begin(fx->s, 1);
    assert_int_equal(journal_seen_lookup(fx->s, txn, "t", "bap", "m2", a, &prior), SEEN_DUPLICATE);
    assert_int_equal(prior, 11);
    assert_int_equal(journal_seen_lookup(fx->s, txn, "t", "bap", "m2", b, &prior), SEEN_CONFLICT);
    /* the transaction's index lists journal rows only, not its dedupe entries */
    collect_t c = {0};
    assert_int_equal(journal_each_txn(fx->s, txn, "t", s_collect_row, &c), 0);
    assert_int_equal(c.n, 0);
    mdb_txn_abort(txn);
}

static void test_each_range(void **state)
{
    fx_t *fx = *state;
    uint64_t ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = s_append(fx, 100 + i, "t", "m");
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[4], 5);
    assert_int_equal(s_done(fx, 3), 1); /* done rows are still read */

    static const struct {
        uint64_t from, to;
        int stop_after;
        uint64_t want[5];
        int n;
    } cases[] = {
        {2, 4, 0, {2, 3, 4}, 3}, {0, 0, 0, {1, 2, 3, 4, 5}, 5}, {4, 0, 0, {4, 5}, 2},
        {0, 2, 0, {1, 2}, 2},    {3, 3, 0, {3}, 1},             {6, 0, 0, {0}, 0},
        {4, 2, 0, {0}, 0},       {0, 0, 2, {1, 2}, 2},          {5, 99, 0, {5}, 1},
    };
    MDB_txn *txn = store_begin(fx->s, 1);
    for (size_t i = 0; i < N(cases); i++) {
        collect_t c = {.stop_after = cases[i].stop_after};
        assert_int_equal(journal_each(fx->s, txn, cases[i].from, cases[i].to, s_collect_row, &c),
                         0);
        s_assert_ids(&c, cases[i].want, cases[i].n);
    }
    mdb_txn_abort(txn);
}

static void test_each_txn(void **state)
{
    fx_t *fx = *state;
    static const char *txns[] = {"txn-a", "txn-ab", "txn-a", "txn-b", "txn-a", "txn"};
    uint64_t ids[N(txns)];
    for (size_t i = 0; i < N(txns); i++)
        ids[i] = s_append(fx, 100 + (int64_t)i, txns[i], "m");
    static const struct {
        const char *txn;
        int idx[3];
        int n;
    } cases[] = {
        {"txn-a", {0, 2, 4}, 3}, {"txn-ab", {1}, 1}, {"txn-b", {3}, 1},
        {"txn", {5}, 1},         {"tx", {0}, 0},     {"txn-c", {0}, 0},
    };
    MDB_txn *txn = store_begin(fx->s, 1);
    for (size_t i = 0; i < N(cases); i++) {
        collect_t c = {0};
        assert_int_equal(journal_each_txn(fx->s, txn, cases[i].txn, s_collect_row, &c), 0);
        uint64_t want[3];
        for (int j = 0; j < cases[i].n; j++)
            want[j] = ids[cases[i].idx[j]];
        s_assert_ids(&c, want, cases[i].n);
    }
    collect_t c = {.stop_after = 1};
    assert_int_equal(journal_each_txn(fx->s, txn, "txn-a", s_collect_row, &c), 0);
    assert_int_equal(c.n, 1);
    mdb_txn_abort(txn);
}

static void test_prune(void **state)
{
    fx_t *fx = *state;
    unsigned char dg[16];
    memset(dg, 1, sizeof dg);
    /* rows received at 1000..5000; 1, 2 and 4 done, 3 pending, 5 done but new */
    uint64_t ids[5];
    MDB_txn *txn;
    for (int i = 0; i < 5; i++) {
        char mid[16];
        snprintf(mid, sizeof mid, "m%d", i + 1);
        ids[i] = s_append(fx, (int64_t)1000 * (i + 1), "txn-p", mid);
        txn = store_begin(fx->s, 0);
        assert_int_equal(
            journal_seen(fx->s, txn, "txn-p", "bap.example", mid, dg, ids[i], NULL), SEEN_NEW);
        assert_int_equal(store_commit(txn), 0);
    }
    assert_int_equal(s_done(fx, ids[0]), 1);
    assert_int_equal(s_done(fx, ids[1]), 1);
    assert_int_equal(s_done(fx, ids[3]), 1);
    assert_int_equal(s_done(fx, ids[4]), 1);

    /* LIMIT is respected */
    txn = store_begin(fx->s, 0);
    assert_int_equal(journal_prune(fx->s, txn, 4500, 1), 1);
    assert_int_equal(store_commit(txn), 0);
    /* then the rest before the cutoff: row 2 and 4 (row 3 pending is kept) */
    txn = store_begin(fx->s, 0);
    assert_int_equal(journal_prune(fx->s, txn, 4500, 100), 2);
    assert_int_equal(store_commit(txn), 0);

    txn = store_begin(fx->s, 1);
    journal_row_t r;
    static const int kept[5] = {0, 0, 1, 0, 1};
    for (int i = 0; i < 5; i++) {
        int rc = journal_get(fx->s, txn, ids[i], &r);
        if (kept[i] ? rc != 0 : rc != MDB_NOTFOUND)
            fail_msg("row %d: journal_get %d after prune", i + 1, rc);
        char mid[16];
        snprintf(mid, sizeof mid, "m%d", i + 1);
        uint64_t prior = 0;
        int st = journal_seen_lookup(fx->s, txn, "txn-p", "bap.example", mid, dg, &prior);
        /* a pruned message is NEW again; kept ones are still duplicates */
        assert_int_equal(st, kept[i] ? SEEN_DUPLICATE : SEEN_NEW);
    }
    assert_int_equal(journal_state(fx->s, txn, ids[2]), JOURNAL_PENDING);
    assert_int_equal(journal_state(fx->s, txn, ids[0]), -1);
    /* the transaction index lost the pruned rows */
    collect_t c = {0};
    assert_int_equal(journal_each_txn(fx->s, txn, "txn-p", s_collect_row, &c), 0);
    uint64_t want[] = {ids[2], ids[4]};
    s_assert_ids(&c, want, 2);
    mdb_txn_abort(txn);

    /* nothing more before the cutoff */
    txn = store_begin(fx->s, 0);
    assert_int_equal(journal_prune(fx->s, txn, 4500, 100), 0);
    assert_int_equal(store_commit(txn), 0);

    /* the re-sent message is recorded as new */
    txn = store_begin(fx->s, 0);
    assert_int_equal(journal_seen(fx->s, txn, "txn-p", "bap.example", "m1", dg, 77, NULL),
                     SEEN_NEW);
    assert_int_equal(store_commit(txn), 0);
}

static void test_ids_never_repeat_after_prune(void **state)
{
    fx_t *fx = *state;
    uint64_t last = 0;
    for (int i = 0; i < 4; i++) {
        last = s_append(fx, 1000 + i, "t", "m");
        assert_int_equal(s_done(fx, last), 1);
    }
    MDB_txn *txn = store_begin(fx->s, 0);
    assert_int_equal(journal_prune(fx->s, txn, INT64_MAX, 100), 4);
    assert_int_equal(store_commit(txn), 0);
    collect_t c = {0};
    txn = store_begin(fx->s, 1);
    journal_each(fx->s, txn, 0, 0, s_collect_row, &c);
    mdb_txn_abort(txn);
    assert_int_equal(c.n, 0); /* the journal is empty */

    uint64_t next = s_append(fx, 2000, "t", "m");
    assert_true(next > last);

    /* and across a restart */
    assert_int_equal(s_done(fx, next), 1);
    txn = store_begin(fx->s, 0);
    assert_int_equal(journal_prune(fx->s, txn, INT64_MAX, 100), 1);
    assert_int_equal(store_commit(txn), 0);
    assert_int_equal(fixture_store_reopen(fx), 0);
    uint64_t after = s_append(fx, 3000, "t", "m");
    assert_true(after > next);

    /* store_next_id directly: one counter per database */
    txn = store_begin(fx->s, 0);
    uint64_t o1 = store_next_id(fx->s, txn, DB_OUTBOX);
    uint64_t o2 = store_next_id(fx->s, txn, DB_OUTBOX);
    uint64_t j1 = store_next_id(fx->s, txn, DB_JOURNAL);
    assert_int_equal(o1, 1);
    assert_int_equal(o2, 2);
    assert_int_equal(j1, after + 1);
    assert_int_equal(store_commit(txn), 0);
}

static void test_readonly_txn_refused(void **state)
{
    fx_t *fx = *state;
    journal_row_t r;
    s_row(&r, 1, 1000, "bap", "t", "m", "{}", 2);
    MDB_txn *txn = store_begin(fx->s, 1);
    uint64_t id = 0;
    assert_int_not_equal(journal_append(fx->s, txn, &r, &id), 0);
    assert_int_equal(id, 0);
    unsigned char dg[16] = {0};
    assert_int_equal(journal_seen(fx->s, txn, "t", "bap", "m", dg, 1, NULL), -1);
    mdb_txn_abort(txn);
    collect_t c = s_pending(fx, 0);
    assert_int_equal(c.n, 0);
}

/* BUG (store/journal.c, journal_append): when the first mdb_put
 * (MDB_RESERVE | MDB_APPEND) fails, it retries without MDB_APPEND whatever
 * the error. After MDB_MAP_FULL the transaction is already poisoned, so the
 * retry returns MDB_BAD_TXN and the real cause (map full: raise
 * lmdb_map_size_mb) never reaches the caller or its log line. Retry only on
 * MDB_KEYEXIST. */
static void test_map_full(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(fixture_store_wipe(fx), 0);
    assert_int_equal(s_open_store(fx, 1), 0); /* a 1 MiB map */

    uint64_t before = s_append(fx, 1000, "t", "small");
    size_t big = 2u << 20;
    char *body = calloc(1, big);
    assert_non_null(body);
    s_noise(body, big, 1);
    journal_row_t r;
    s_row(&r, 1, 2000, "bap", "t", "big", body, big);
    MDB_txn *txn = store_begin(fx->s, 0);
    uint64_t id = 0;
    int rc = journal_append(fx->s, txn, &r, &id);
    mdb_txn_abort(txn);
    free(body);
    /* what was committed before is intact, and the store still works */
    assert_int_equal(s_state(fx, before), JOURNAL_PENDING);
    assert_true(s_append(fx, 3000, "t", "after") > before);
    if (rc != MDB_MAP_FULL)
        fail_msg("BUG: journal_append into a full map returned %d (%s), want MDB_MAP_FULL", rc,
                 mdb_strerror(rc));
}

/* s_file_kb - file-backed resident memory of this process (statm), kB. */
static long s_file_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long a = 0, b = 0, c = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld %ld", &a, &b, &c), 3);
    fclose(f);
    return c * 4;
}

/* store_trim lets mapped pages go once more than the limit are resident,
 * and every row reads back the same afterwards. */
static void test_trim_mapped_pages(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(s_open_store(fx, 256), 0);
    /* 12 MB of rows, 48 KB each */
    enum { ROWS = 256, SIZE = 48 * 1024 };
    char *body = malloc(SIZE);
    assert_non_null(body);
    uint64_t ids[ROWS];
    MDB_txn *txn = store_begin(fx->s, 0);
    for (int i = 0; i < ROWS; i++) {
        s_noise(body, SIZE, (uint64_t)i + 1);
        char mid[32];
        snprintf(mid, sizeof mid, "m%d", i);
        journal_row_t r;
        s_row(&r, 1, 1000 + i, "bap", "t", mid, body, SIZE);
        assert_int_equal(journal_append(fx->s, txn, &r, &ids[i]), 0);
    }
    assert_int_equal(store_commit(txn), 0);
    /* read every row: its pages are now resident in this process */
    long sum = 0;
    txn = store_begin(fx->s, 1);
    for (int i = 0; i < ROWS; i++) {
        journal_row_t r;
        assert_int_equal(journal_get(fx->s, txn, ids[i], &r), 0);
        for (size_t k = 0; k < r.body_len; k += 4096)
            sum += (unsigned char)r.body[k] + 1;
    }
    mdb_txn_abort(txn);
    assert_true(sum > 0);
    long before = s_file_kb();
    /* under the limit: nothing happens */
    assert_int_equal(store_trim(fx->s, 1024), 0);
    assert_int_equal(store_trim(fx->s, 0), 0);
    assert_int_equal(store_trim(fx->s, 4), 1);
    long after = s_file_kb();
    if (before - after < 8L * 1024)
        fail_msg("file-backed RSS %ld kB before the trim, %ld kB after", before, after);
    /* the rows read back whole */
    txn = store_begin(fx->s, 1);
    for (int i = 0; i < ROWS; i++) {
        journal_row_t r;
        assert_int_equal(journal_get(fx->s, txn, ids[i], &r), 0);
        assert_int_equal(r.body_len, SIZE);
        s_noise(body, SIZE, (uint64_t)i + 1);
        assert_memory_equal(r.body, body, SIZE);
        journal_row_clear(&r);
    }
    mdb_txn_abort(txn);
    free(body);
}

/* store_commit_unflushed leaves only the meta page's flush: the commit is
 * current at once, for this handle and another process's (a second
 * environment handle on the same files), store_flush then succeeds, and a
 * commit that cannot be made (map full) says so; with journal_sync fsync
 * and nosync alike. */
static void test_commit_unflushed(void **state)
{
    fx_t *fx = *state;
    static const char *modes[] = {"fsync", "nosync"};
    for (int m = 0; m < 2; m++) {
        snprintf(fx->cfg.journal_sync, sizeof fx->cfg.journal_sync, "%s", modes[m]);
        assert_int_equal(s_open_store(fx, 1), 0);
        store_t *other = migrate_open(&fx->cfg);
        assert_non_null(other);
        char body[600];
        s_noise(body, sizeof body, 7);
        uint64_t ids[3];
        for (int i = 0; i < 3; i++) {
            MDB_txn *txn = store_begin(fx->s, 0);
            journal_row_t r;
            char mid[32];
            snprintf(mid, sizeof mid, "unflushed-%s-%d", modes[m], i);
            s_row(&r, 2, 1000 + i, "bap", "t", mid, body, sizeof body);
            assert_int_equal(journal_append(fx->s, txn, &r, &ids[i]), 0);
            double ms = -1;
            assert_int_equal(store_commit_unflushed(txn, &ms), 0);
            assert_true(ms >= 0);
            /* current at once, here and in the other handle */
            MDB_txn *rd = store_begin(other, 1);
            journal_row_t out;
            assert_int_equal(journal_get(other, rd, ids[i], &out), 0);
            assert_string_equal(out.message_id, mid);
            mdb_txn_abort(rd);
        }
        assert_int_equal(store_flush(fx->s), 0);
        /* an empty commit: nothing to write, nothing fails */
        MDB_txn *txn = store_begin(fx->s, 0);
        assert_int_equal(store_commit_unflushed(txn, NULL), 0);
        assert_int_equal(store_flush(fx->s), 0);
        /* past the 1 MB map: the commit's error comes back */
        int rc = 0;
        for (int i = 0; i < 4000 && rc == 0; i++) {
            txn = store_begin(fx->s, 0);
            journal_row_t r;
            char mid[32];
            snprintf(mid, sizeof mid, "fill-%d", i);
            s_row(&r, 2, 1, "bap", "t", mid, body, sizeof body);
            uint64_t id;
            rc = journal_append(fx->s, txn, &r, &id);
            if (rc != 0) {
                mdb_txn_abort(txn);
                break;
            }
            rc = store_commit_unflushed(txn, NULL);
        }
        assert_int_not_equal(rc, 0);
        store_destroy(&other);
        assert_int_equal(fixture_store_wipe(fx), 0);
    }
    snprintf(fx->cfg.journal_sync, sizeof fx->cfg.journal_sync, "nosync");
    assert_int_equal(s_open_store(fx, 64), 0);
}

/* test_upgrade_seen - a store from before the dedupe entries moved into
 * "jtxn": its "seen" entries (sender|message_id -> digest, journal id) are
 * moved beside their transactions at open, so a retry of a message
 * journaled before the upgrade is still a duplicate; an entry whose row is
 * gone is dropped; "seen" ends empty, and a second open changes nothing. */
static void test_upgrade_seen(void **state)
{
    fx_t *fx = *state;
    uint64_t id1 = s_append(fx, 1000, "txn-u", "old-1");
    uint64_t id2 = s_append(fx, 1000, "txn-u", "old-2");
    struct {
        unsigned char digest[16];
        uint64_t journal_id;
    } v1, v2, gone;
    memset(v1.digest, 0x11, 16);
    v1.journal_id = id1;
    memset(v2.digest, 0x22, 16);
    v2.journal_id = id2;
    memset(gone.digest, 0x33, 16);
    gone.journal_id = 999999;
    MDB_txn *txn = store_begin(fx->s, 0);
    MDB_val k1 = {strlen("bap.example|old-1"), "bap.example|old-1"}, d1 = {sizeof v1, &v1};
    MDB_val k2 = {strlen("bap.example|old-2"), "bap.example|old-2"}, d2 = {sizeof v2, &v2};
    MDB_val k3 = {strlen("bap.example|gone"), "bap.example|gone"}, d3 = {sizeof gone, &gone};
    assert_int_equal(mdb_put(txn, fx->s->dbi[DB_SEEN], &k1, &d1, 0), 0);
    assert_int_equal(mdb_put(txn, fx->s->dbi[DB_SEEN], &k2, &d2, 0), 0);
    assert_int_equal(mdb_put(txn, fx->s->dbi[DB_SEEN], &k3, &d3, 0), 0);
    assert_int_equal(store_commit(txn), 0);
    for (int open = 0; open < 2; open++) {
        assert_int_equal(fixture_store_reopen(fx), 0);
        txn = store_begin(fx->s, 1);
        MDB_stat st;
        assert_int_equal(mdb_stat(txn, fx->s->dbi[DB_SEEN], &st), 0);
        assert_int_equal(st.ms_entries, 0);
        uint64_t prior = 0;
        assert_int_equal(
            journal_seen_lookup(fx->s, txn, "txn-u", "bap.example", "old-1", v1.digest, &prior),
            SEEN_DUPLICATE);
        assert_int_equal(prior, id1);
        assert_int_equal(
            journal_seen_lookup(fx->s, txn, "txn-u", "bap.example", "old-2", v1.digest, &prior),
            SEEN_CONFLICT);
        assert_int_equal(prior, id2);
        /* the transaction's index still lists exactly its two rows */
        collect_t c = {0};
        assert_int_equal(journal_each_txn(fx->s, txn, "txn-u", s_collect_row, &c), 0);
        uint64_t want[] = {id1, id2};
        s_assert_ids(&c, want, 2);
        mdb_txn_abort(txn);
    }
}

/* test_lock_wait - store_begin_write_timed reports how long a writer
 * waited for the write lock another thread held: it begins only after that
 * commit (it sees its row) and its wait covers the time the lock was held;
 * uncontended, it begins at once and reports a wait >= 0. */
typedef struct {
    store_t *s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int held;
    uint64_t id;
} holder_t;

static void *s_holder(void *arg)
{
    holder_t *h = arg;
    MDB_txn *txn = store_begin(h->s, 0);
    pthread_mutex_lock(&h->mu);
    h->held = txn != NULL;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (!txn)
        return NULL;
    usleep(150 * 1000);
    journal_row_t r;
    s_row(&r, 2, 1000, "bap", "t", "held-row", "{}", 2);
    if (journal_append(h->s, txn, &r, &h->id) != 0 || store_commit(txn) != 0)
        h->id = 0;
    return NULL;
}

static void test_lock_wait(void **state)
{
    fx_t *fx = *state;
    double w = -1;
    MDB_txn *txn = store_begin_write(fx->s, 1, &w);
    assert_non_null(txn);
    assert_true(w >= 0);
    mdb_txn_abort(txn);

    holder_t h = {.s = fx->s};
    pthread_mutex_init(&h.mu, NULL);
    pthread_cond_init(&h.cv, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, s_holder, &h), 0);
    pthread_mutex_lock(&h.mu);
    while (!h.held)
        pthread_cond_wait(&h.cv, &h.mu);
    pthread_mutex_unlock(&h.mu);
    w = -1;
    txn = store_begin_write(fx->s, 1, &w);
    assert_non_null(txn);
    pthread_join(th, NULL);
    assert_true(h.id != 0);
    /* it began after the holder's commit, and waited for it */
    journal_row_t out;
    assert_int_equal(journal_get(fx->s, txn, h.id, &out), 0);
    assert_string_equal(out.message_id, "held-row");
    assert_true(w >= 100.0);
    mdb_txn_abort(txn);
    pthread_mutex_destroy(&h.mu);
    pthread_cond_destroy(&h.cv);
}

/* test_make_way - a batch writer (urgent 0) that finds an urgent writer
 * posted as waiting on the notice board waits until that writer has had
 * the lock (its post cleared), or until it has itself waited
 * STORE_STARVE_US; a post older than STORE_STALE_MS (a writer that died
 * waiting) is ignored; each writer clears its own post once it has the
 * lock. */
typedef struct {
    _Atomic long long *slot;
    int after_us;
} clear_t;

static void *s_clear_later(void *arg)
{
    clear_t *c = arg;
    usleep((useconds_t)c->after_us);
    atomic_store(c->slot, 0);
    return NULL;
}

static void test_make_way(void **state)
{
    fx_t *fx = *state;
    assert_non_null(fx->s->board);
    _Atomic long long *slot = &fx->s->board->since_ms[3];
    /* an urgent writer waiting that never gets the lock: the batch writer
     * gives up making way once it has waited STORE_STARVE_US */
    atomic_store(slot, clock_mono_ms());
    double w = -1;
    MDB_txn *txn = store_begin_write(fx->s, 0, &w);
    assert_non_null(txn);
    assert_true(w >= STORE_STARVE_US / 1000.0 - 0.2);
    mdb_txn_abort(txn);
    /* one that gets it 1 ms later: the batch writer waits for that */
    atomic_store(slot, clock_mono_ms());
    pthread_t th;
    clear_t c = {slot, 1000};
    assert_int_equal(pthread_create(&th, NULL, s_clear_later, &c), 0);
    w = -1;
    txn = store_begin_write(fx->s, 0, &w);
    assert_non_null(txn);
    assert_true(w >= 0.9);
    /* it waited until the urgent writer had the lock, or (on a machine too
     * busy to run the clearing thread in time) until it had waited
     * STORE_STARVE_US: never went first before either */
    if (atomic_load(slot) != 0)
        assert_true(w >= STORE_STARVE_US / 1000.0 - 0.2);
    mdb_txn_abort(txn);
    pthread_join(th, NULL);
    /* a stale post: no wait for it (a writer that died waiting) */
    atomic_store(slot, clock_mono_ms() - STORE_STALE_MS - 1000);
    txn = store_begin_write(fx->s, 0, NULL);
    assert_non_null(txn);
    mdb_txn_abort(txn);
    assert_true(atomic_load(slot) != 0); /* not ours to clear */
    atomic_store(slot, 0);
    /* each writer: posted while it waits, cleared once it has the lock */
    unsigned me = (unsigned)getpid() % STORE_URGENT_SLOTS;
    txn = store_begin_write(fx->s, 1, NULL);
    assert_non_null(txn);
    assert_int_equal(atomic_load(&fx->s->board->since_ms[me]), 0);
    mdb_txn_abort(txn);
    txn = store_begin_write(fx->s, 0, NULL);
    assert_non_null(txn);
    assert_int_equal(atomic_load(&fx->s->board->batch_since_us[me]), 0);
    mdb_txn_abort(txn);
    /* the board is shared: another handle of the same store sees a post */
    store_t *other = migrate_open(&fx->cfg);
    assert_non_null(other);
    atomic_store(slot, 1234);
    assert_int_equal(atomic_load(&other->board->since_ms[3]), 1234);
    atomic_store(slot, 0);
    store_destroy(&other);
}

/* s_quick_begin - whether an urgent write transaction began without
 * deferring: a deferral waits STORE_DEFER_MAX_US every time, so one of
 * three tries under it shows there was none (a busy machine may hold up
 * one try by that much, not all three) */
static int s_quick_begin(store_t *s)
{
    for (int i = 0; i < 3; i++) {
        double w = -1;
        MDB_txn *txn = store_begin_write(s, 1, &w);
        assert_non_null(txn);
        mdb_txn_abort(txn);
        if (w < STORE_DEFER_MAX_US / 1000.0)
            return 1;
    }
    return 0;
}

/* test_defer_to_starved - an urgent writer lets a batch writer that has
 * waited STORE_STARVE_US or more have the lock first: it waits until that
 * writer's post is cleared, at most STORE_DEFER_MAX_US; one that has waited
 * less, or a stale post, it does not wait for. */
static void test_defer_to_starved(void **state)
{
    fx_t *fx = *state;
    assert_non_null(fx->s->board);
    _Atomic long long *slot = &fx->s->board->batch_since_us[5];
    /* starved (waiting 3 ms) and never served: deferred to at most
     * STORE_DEFER_MAX_US */
    atomic_store(slot, clock_mono_us() - 3000);
    double w = -1;
    MDB_txn *txn = store_begin_write(fx->s, 1, &w);
    assert_non_null(txn);
    assert_true(w >= STORE_DEFER_MAX_US / 1000.0 - 0.2);
    mdb_txn_abort(txn);
    /* starved, served 2 ms later: the urgent writer waits for that */
    atomic_store(slot, clock_mono_us() - 3000);
    pthread_t th;
    clear_t c = {slot, 2000};
    assert_int_equal(pthread_create(&th, NULL, s_clear_later, &c), 0);
    w = -1;
    txn = store_begin_write(fx->s, 1, &w);
    assert_non_null(txn);
    assert_true(w >= 1.9);
    assert_int_equal(atomic_load(slot), 0);
    mdb_txn_abort(txn);
    pthread_join(th, NULL);
    /* a batch writer that began waiting just now, and a stale post: the
     * urgent writer does not defer (the posts stay: not ours to clear) */
    long long fresh = clock_mono_us() + 60 * 1000000LL; /* "began" in the future: age < 0 */
    atomic_store(slot, fresh);
    assert_true(s_quick_begin(fx->s));
    assert_int_equal(atomic_load(slot), fresh);
    long long stale = clock_mono_us() - (long long)STORE_STALE_MS * 1000 - 1000000;
    atomic_store(slot, stale);
    assert_true(s_quick_begin(fx->s));
    assert_int_equal(atomic_load(slot), stale);
    atomic_store(slot, 0);
}

/* an init as buyer apps send it: what the journal holds most of */
static const char s_init_body[] =
    "{\"context\":{\"domain\":\"ONDC:RET10\",\"action\":\"init\",\"country\":\"IND\","
    "\"city\":\"std:080\",\"core_version\":\"1.2.0\",\"bap_id\":\"buyer.example\","
    "\"bap_uri\":\"https://buyer.example/ondc\",\"bpp_id\":\"seller.example\","
    "\"bpp_uri\":\"https://seller.example/ondc\",\"transaction_id\":"
    "\"5c1b3e0a-7c44-4f0e-9d7e-2b8f3a91c0de\",\"message_id\":"
    "\"0f6e2d41-93aa-4c1b-8e25-7d0c4b9a6f13\",\"timestamp\":\"2025-03-01T09:30:00.000Z\","
    "\"ttl\":\"PT30S\"},\"message\":{\"order\":{\"provider\":{\"id\":\"P1\",\"locations\":"
    "[{\"id\":\"L1\"}]},\"items\":[{\"id\":\"I1\",\"quantity\":{\"count\":2},"
    "\"fulfillment_id\":\"F1\"},{\"id\":\"I2\",\"quantity\":{\"count\":1},"
    "\"fulfillment_id\":\"F1\"}],\"billing\":{\"name\":\"Asha Rao\",\"address\":{\"name\":"
    "\"12 MG Road\",\"building\":\"Block A\",\"locality\":\"Indiranagar\",\"city\":"
    "\"Bengaluru\",\"state\":\"Karnataka\",\"country\":\"IND\",\"area_code\":\"560038\"},"
    "\"email\":\"asha@example.com\",\"phone\":\"9886098860\",\"created_at\":"
    "\"2025-03-01T09:30:00.000Z\",\"updated_at\":\"2025-03-01T09:30:00.000Z\"},"
    "\"fulfillments\":[{\"id\":\"F1\",\"type\":\"Delivery\",\"end\":{\"location\":{\"gps\":"
    "\"12.9716,77.6412\",\"address\":{\"name\":\"12 MG Road\",\"building\":\"Block A\","
    "\"locality\":\"Indiranagar\",\"city\":\"Bengaluru\",\"state\":\"Karnataka\","
    "\"country\":\"IND\",\"area_code\":\"560038\"}},\"contact\":{\"phone\":\"9886098860\","
    "\"email\":\"asha@example.com\"}}}],\"payment\":{\"type\":\"ON-ORDER\","
    "\"collected_by\":\"BAP\",\"@ondc/org/buyer_app_finder_fee_type\":\"percent\","
    "\"@ondc/org/buyer_app_finder_fee_amount\":\"3\"}}}}";

/* s_raw - the stored bytes of row ID (a copy, caller frees), *LEN their size */
static char *s_raw(fx_t *fx, uint64_t id, size_t *len)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    unsigned char kb[8];
    store_key64(kb, id);
    MDB_val k = {8, kb}, v;
    assert_int_equal(mdb_get(txn, fx->s->dbi[DB_JOURNAL], &k, &v), 0);
    char *copy = malloc(v.mv_size);
    assert_non_null(copy);
    memcpy(copy, v.mv_data, v.mv_size);
    *len = v.mv_size;
    mdb_txn_abort(txn);
    return copy;
}

/* s_put_raw - replace the stored bytes of row ID */
static void s_put_raw(fx_t *fx, uint64_t id, const void *data, size_t len)
{
    MDB_txn *txn = store_begin(fx->s, 0);
    unsigned char kb[8];
    store_key64(kb, id);
    MDB_val k = {8, kb}, v = {len, (void *)data};
    assert_int_equal(mdb_put(txn, fx->s->dbi[DB_JOURNAL], &k, &v, 0), 0);
    assert_int_equal(store_commit(txn), 0);
}

/* a row's header as version 1 wrote it (and as version 2 still lays it
 * out): the frozen format old stores hold */
typedef struct {
    uint8_t version;
    uint8_t action;
    uint16_t sender_len;
    uint16_t txn_len;
    uint16_t msg_len;
    uint32_t body_len;
    uint32_t stored_len; /* version 1: 0 (padding) */
    int64_t received_ms;
} v_hdr_t;

static int s_collect_bodies(const journal_row_t *r, void *arg)
{
    collect_t *c = arg;
    c->received[c->n] = (int64_t)r->body_len;
    c->ids[c->n++] = r->id;
    assert_true(r->body_len != sizeof s_init_body - 1 ||
                memcmp(r->body, s_init_body, r->body_len) == 0);
    return 0;
}

/* A request body is stored packed, several times smaller, and every
 * reader gets it back byte for byte: journal_get, journal_each,
 * journal_each_txn; a short body is stored as it is. */
static void test_packed_round_trip(void **state)
{
    fx_t *fx = *state;
    size_t blen = sizeof s_init_body - 1;
    journal_row_t r;
    s_row(&r, 3, 1000, "buyer.example", "txn-z", "m-packed", s_init_body, blen);
    MDB_txn *txn = store_begin(fx->s, 0);
    uint64_t id = 0, small;
    assert_int_equal(journal_append(fx->s, txn, &r, &id), 0);
    assert_int_equal(store_commit(txn), 0);
    small = s_append(fx, 1001, "txn-z", "m-small");
    size_t len;
    char *raw = s_raw(fx, id, &len);
    v_hdr_t h;
    memcpy(&h, raw, sizeof h);
    assert_int_equal(h.version, 2);
    assert_int_equal(h.body_len, blen);
    if (len > sizeof h + 13 + 5 + 8 + blen / 2)
        fail_msg("a %zu-byte request stored in %zu bytes", blen, len);
    free(raw);
    raw = s_raw(fx, small, &len);
    memcpy(&h, raw, sizeof h);
    assert_int_equal(h.version, 1);
    free(raw);

    txn = store_begin(fx->s, 1);
    journal_row_t out;
    assert_int_equal(journal_get(fx->s, txn, id, &out), 0);
    assert_int_equal(out.body_len, blen);
    assert_memory_equal(out.body, s_init_body, blen);
    assert_string_equal(out.message_id, "m-packed");
    assert_string_equal(out.sender, "buyer.example");
    assert_int_equal(out.received_ms, 1000);
    journal_row_clear(&out);
    assert_null(out.owned);
    assert_int_equal(journal_get(fx->s, txn, small, &out), 0);
    assert_int_equal(out.body_len, 2);
    assert_memory_equal(out.body, "{}", 2);
    assert_null(out.owned);
    journal_row_clear(&out);
    collect_t c = {0};
    assert_int_equal(journal_each(fx->s, txn, 0, 0, s_collect_bodies, &c), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.received[0], (int64_t)blen);
    memset(&c, 0, sizeof c);
    assert_int_equal(journal_each_txn(fx->s, txn, "txn-z", s_collect_bodies, &c), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.received[0], (int64_t)blen);
    mdb_txn_abort(txn);
    /* done and old: pruned like any row */
    assert_int_equal(s_done(fx, id), 1);
    txn = store_begin(fx->s, 0);
    assert_int_equal(journal_prune(fx->s, txn, 5000, 100), 1);
    assert_int_equal(store_commit(txn), 0);
    assert_int_equal(s_state(fx, id), -1);
}

/* A row as version 1 wrote it (the body as it came, 0 where stored_len is
 * now) reads as ever: by id, in walks, and it is pruned once done. */
static void test_old_format_rows(void **state)
{
    fx_t *fx = *state;
    /* a row appended now, then its bytes replaced by the version 1 form */
    uint64_t id = s_append(fx, 1000, "txn-old", "m-old");
    size_t blen = sizeof s_init_body - 1;
    v_hdr_t h = {.version = 1, .action = 3, .sender_len = 3, .txn_len = 7, .msg_len = 5,
                 .body_len = (uint32_t)blen, .stored_len = 0, .received_ms = 1000};
    size_t len = sizeof h + 3 + 7 + 5 + blen;
    char *row = malloc(len);
    assert_non_null(row);
    static const char keys[15] = "baptxn-oldm-old"; /* the three ids, unterminated */
    memcpy(row, &h, sizeof h);
    memcpy(row + sizeof h, keys, sizeof keys);
    memcpy(row + sizeof h + 15, s_init_body, blen);
    s_put_raw(fx, id, row, len);
    free(row);
    MDB_txn *txn = store_begin(fx->s, 1);
    journal_row_t out;
    assert_int_equal(journal_get(fx->s, txn, id, &out), 0);
    assert_null(out.owned);
    assert_int_equal(out.body_len, blen);
    assert_memory_equal(out.body, s_init_body, blen);
    assert_string_equal(out.sender, "bap");
    assert_string_equal(out.transaction_id, "txn-old");
    journal_row_clear(&out);
    collect_t c = {0};
    assert_int_equal(journal_each_txn(fx->s, txn, "txn-old", s_collect_bodies, &c), 0);
    assert_int_equal(c.n, 1);
    mdb_txn_abort(txn);
    /* a version this build does not know is refused, not guessed at */
    h.version = 9;
    char *raw = s_raw(fx, id, &len);
    memcpy(raw, &h, sizeof h);
    s_put_raw(fx, id, raw, len);
    free(raw);
    txn = store_begin(fx->s, 1);
    assert_int_equal(journal_get(fx->s, txn, id, &out), MDB_CORRUPTED);
    journal_row_clear(&out);
    mdb_txn_abort(txn);
}

/* A packed row whose bytes are damaged: journal_get says MDB_CORRUPTED
 * (never a wrong body), the walks pass over it, and nothing else is lost:
 * the row itself stays where it is, pending, and its neighbours read. */
static void test_corrupt_packed_row(void **state)
{
    fx_t *fx = *state;
    size_t blen = sizeof s_init_body - 1;
    uint64_t ids[3];
    for (int i = 0; i < 3; i++) {
        journal_row_t r;
        char mid[16];
        snprintf(mid, sizeof mid, "m%d", i);
        s_row(&r, 3, 1000 + i, "bap", "txn-c", mid, s_init_body, blen);
        MDB_txn *txn = store_begin(fx->s, 0);
        assert_int_equal(journal_append(fx->s, txn, &r, &ids[i]), 0);
        assert_int_equal(store_commit(txn), 0);
    }
    size_t len;
    char *good = s_raw(fx, ids[1], &len);
    char *bad = malloc(len);
    assert_non_null(bad);
    size_t body_at = sizeof(v_hdr_t) + 3 + 5 + 2;
    static const struct {
        const char *what;
        size_t at, n; /* bytes of the packed body set to 0xff */
        long cut;     /* bytes cut off the end (the header then lies) */
    } cases[] = {
        {"garbage at the start", 0, 16, 0},
        {"garbage in the middle", 40, 24, 0},
        {"the end cut off", 0, 0, 7},
    };
    for (size_t i = 0; i < N(cases); i++) {
        memcpy(bad, good, len);
        memset(bad + body_at + cases[i].at, 0xff, cases[i].n);
        s_put_raw(fx, ids[1], bad, len - (size_t)cases[i].cut);
        MDB_txn *txn = store_begin(fx->s, 1);
        journal_row_t out;
        int rc = journal_get(fx->s, txn, ids[1], &out);
        if (rc != MDB_CORRUPTED)
            fail_msg("%s: journal_get %d, want MDB_CORRUPTED", cases[i].what, rc);
        assert_null(out.owned);
        journal_row_clear(&out);
        collect_t c = {0};
        assert_int_equal(journal_each(fx->s, txn, 0, 0, s_collect_bodies, &c), 0);
        assert_int_equal(c.n, 2);
        assert_int_equal(c.ids[0], ids[0]);
        assert_int_equal(c.ids[1], ids[2]);
        assert_int_equal(journal_state(fx->s, txn, ids[1]), JOURNAL_PENDING);
        assert_int_equal(journal_get(fx->s, txn, ids[2], &out), 0);
        assert_memory_equal(out.body, s_init_body, blen);
        journal_row_clear(&out);
        mdb_txn_abort(txn);
    }
    /* put back as it was: it reads again */
    s_put_raw(fx, ids[1], good, len);
    MDB_txn *txn = store_begin(fx->s, 1);
    journal_row_t out;
    assert_int_equal(journal_get(fx->s, txn, ids[1], &out), 0);
    assert_memory_equal(out.body, s_init_body, blen);
    journal_row_clear(&out);
    mdb_txn_abort(txn);
    free(good);
    free(bad);
}

/* what a walk that reports damaged rows saw, in order */
typedef struct {
    uint64_t ids[16];
    int damaged[16]; /* 1: reported unreadable, 0: handed over as a row */
    int n;
    int stop_at_damaged; /* the damaged callback stops the walk */
} seen_all_t;

static int s_all_row(const journal_row_t *r, void *arg)
{
    seen_all_t *w = arg;
    assert_true(w->n < (int)N(w->ids));
    assert_memory_equal(r->body, s_init_body, r->body_len);
    w->damaged[w->n] = 0;
    w->ids[w->n++] = r->id;
    return 0;
}

static int s_all_damaged(uint64_t id, void *arg)
{
    seen_all_t *w = arg;
    assert_true(w->n < (int)N(w->ids));
    w->damaged[w->n] = 1;
    w->ids[w->n++] = id;
    return w->stop_at_damaged;
}

/* s_assert_seen - W saw exactly the ids WANT, DAMAGED[i] saying which were
 * reported unreadable */
static void s_assert_seen(const char *what, const seen_all_t *w, const uint64_t *want,
                          const int *damaged, int n)
{
    if (w->n != n)
        fail_msg("%s: saw %d rows, want %d", what, w->n, n);
    for (int i = 0; i < n; i++)
        if (w->ids[i] != want[i] || w->damaged[i] != damaged[i])
            fail_msg("%s: [%d] = %llu%s, want %llu%s", what, i, (unsigned long long)w->ids[i],
                     w->damaged[i] ? " damaged" : "", (unsigned long long)want[i],
                     damaged[i] ? " damaged" : "");
}

/* The walks for a tool that shows every row (journal_each_all,
 * journal_each_txn_all) report each row that cannot be read, in its
 * place, by id: one whose packed body is damaged and one whose bytes are
 * garbage (no header at all); its state still reads. journal_each and
 * journal_each_txn, what the dispatcher, replay and retention walk, still
 * pass over both. */
static void test_each_all_reports_damaged_rows(void **state)
{
    fx_t *fx = *state;
    size_t blen = sizeof s_init_body - 1;
    static const char *const txns[] = {"txn-d", "txn-d", "txn-d", "txn-e"};
    uint64_t ids[4];
    for (int i = 0; i < 4; i++) {
        journal_row_t r;
        char mid[16];
        snprintf(mid, sizeof mid, "m%d", i);
        s_row(&r, 3, 1000 + i, "bap", txns[i], mid, s_init_body, blen);
        MDB_txn *txn = store_begin(fx->s, 0);
        assert_int_equal(journal_append(fx->s, txn, &r, &ids[i]), 0);
        assert_int_equal(store_commit(txn), 0);
    }
    /* row 1: its packed body's middle inverted; row 2: garbage bytes in
     * place of the whole row, and dead (given up after one attempt) */
    size_t len;
    char *raw = s_raw(fx, ids[1], &len);
    for (size_t i = len / 2 - 8; i < len / 2 + 8; i++)
        raw[i] = (char)~raw[i];
    s_put_raw(fx, ids[1], raw, len);
    free(raw);
    s_put_raw(fx, ids[2], "not a journal row", 17);
    assert_int_equal(s_dispatched(fx, ids[2], 2000, 1), 1);

    MDB_txn *txn = store_begin(fx->s, 1);
    journal_row_t out;
    for (int i = 1; i <= 2; i++) {
        assert_int_equal(journal_get(fx->s, txn, ids[i], &out), MDB_CORRUPTED);
        journal_row_clear(&out);
    }
    assert_int_equal(journal_state(fx->s, txn, ids[1]), JOURNAL_PENDING);
    assert_int_equal(journal_state(fx->s, txn, ids[2]), JOURNAL_DEAD);

    static const int d_all[] = {0, 1, 1, 0}, d_none[] = {0, 0};
    uint64_t want[] = {ids[0], ids[1], ids[2], ids[3]}, want_plain[] = {ids[0], ids[3]};
    seen_all_t w = {0};
    assert_int_equal(journal_each_all(fx->s, txn, 0, 0, s_all_row, s_all_damaged, &w), 0);
    s_assert_seen("journal_each_all", &w, want, d_all, 4);
    w = (seen_all_t){0};
    assert_int_equal(journal_each_all(fx->s, txn, ids[2], ids[3], s_all_row, s_all_damaged, &w), 0);
    s_assert_seen("journal_each_all of [row 2, row 3]", &w, want + 2, d_all + 2, 2);
    w = (seen_all_t){0};
    assert_int_equal(journal_each_txn_all(fx->s, txn, "txn-d", s_all_row, s_all_damaged, &w), 0);
    s_assert_seen("journal_each_txn_all", &w, want, d_all, 3);
    /* the damaged callback stops the walk as the row callback does */
    w = (seen_all_t){.stop_at_damaged = 1};
    assert_int_equal(journal_each_all(fx->s, txn, 0, 0, s_all_row, s_all_damaged, &w), 0);
    s_assert_seen("journal_each_all stopped", &w, want, d_all, 2);
    w = (seen_all_t){.stop_at_damaged = 1};
    assert_int_equal(journal_each_txn_all(fx->s, txn, "txn-d", s_all_row, s_all_damaged, &w), 0);
    s_assert_seen("journal_each_txn_all stopped", &w, want, d_all, 2);

    /* the walks everything else uses pass over them, as before */
    w = (seen_all_t){0};
    assert_int_equal(journal_each(fx->s, txn, 0, 0, s_all_row, &w), 0);
    s_assert_seen("journal_each", &w, want_plain, d_none, 2);
    w = (seen_all_t){0};
    assert_int_equal(journal_each_all(fx->s, txn, 0, 0, s_all_row, NULL, &w), 0);
    s_assert_seen("journal_each_all without DAMAGED", &w, want_plain, d_none, 2);
    w = (seen_all_t){0};
    assert_int_equal(journal_each_txn(fx->s, txn, "txn-d", s_all_row, &w), 0);
    s_assert_seen("journal_each_txn", &w, want_plain, d_none, 1);
    mdb_txn_abort(txn);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_append_get_round_trip),
        T(test_ids_increase),
        T(test_mark_done),
        T(test_mark_dispatched_until_dead),
        T(test_requeue),
        T(test_backlog_without_dead_rows),
        T(test_pending_each_order),
        T(test_seen),
        T(test_each_range),
        T(test_each_txn),
        T(test_prune),
        T(test_ids_never_repeat_after_prune),
        T(test_readonly_txn_refused),
        T(test_map_full),
        T(test_trim_mapped_pages),
        T(test_commit_unflushed),
        T(test_upgrade_seen),
        T(test_lock_wait),
        T(test_make_way),
        T(test_defer_to_starved),
        T(test_packed_round_trip),
        T(test_old_format_rows),
        T(test_corrupt_packed_row),
        T(test_each_all_reports_damaged_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
