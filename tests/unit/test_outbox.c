/*
 * test_outbox.c - outbox.{c,h} on a real LMDB environment: row round trips,
 * the delivery state beside each row, walks filtered by status, pruning of
 * finished rows only, status names, refusal of oversized rows, and bodies
 * stored compressed (which, read back exactly, damaged ones refused).
 *
 * Each test gets a fresh environment from fixture_store.h, removed at the
 * end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_store.h"
#include "outbox.h"
#include "reply.h"

#include <jansson.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef fixture_store_t fx_t;

static int s_setup(void **state)
{
    *state = fixture_store_new_open("test_outbox");
    return *state ? 0 : -1;
}

static int s_teardown(void **state)
{
    return fixture_store_destroy((fx_t **)state);
}

static void s_row(outbox_row_t *r, uint64_t jid, int64_t created, const char *action,
                  const char *url, const char *body, size_t len)
{
    memset(r, 0, sizeof *r);
    r->journal_id = jid;
    r->created_ms = created;
    r->deadline_ms = created + 3600000;
    r->request_ms = created - 5;
    snprintf(r->action, sizeof r->action, "%s", action);
    snprintf(r->transaction_id, sizeof r->transaction_id, "txn-%llu", (unsigned long long)jid);
    snprintf(r->message_id, sizeof r->message_id, "msg-%llu", (unsigned long long)jid);
    r->url = url;
    r->body = body;
    r->body_len = len;
}

static uint64_t s_put(fx_t *fx, int64_t created, int status)
{
    outbox_row_t r;
    s_row(&r, 1, created, "on_init", "https://bap.example/on_init", "{}", 2);
    MDB_txn *txn = store_begin(fx->s, 0);
    uint64_t id = 0;
    assert_int_equal(outbox_put(fx->s, txn, &r, &id), 0);
    if (status != OUTBOX_PENDING) {
        outbox_state_t st;
        assert_int_equal(outbox_state_get(fx->s, txn, id, &st), 0);
        st.status = status;
        assert_int_equal(outbox_state_put(fx->s, txn, &st), 0);
    }
    assert_int_equal(store_commit(txn), 0);
    return id;
}

static void test_put_get_round_trip(void **state)
{
    fx_t *fx = *state;
    char body[3000], url[600], tid[256];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (char)(i * 13); /* NUL bytes included */
    snprintf(url, sizeof url, "https://bap.example/ondc/1.0/%0500d/on_search", 7);
    memset(tid, 't', 255);
    tid[255] = '\0';
    static const struct {
        uint64_t jid;
        int64_t created;
        const char *action;
        int long_url;
        size_t body_len;
    } cases[] = {
        {17, 1668688564231LL, "on_init", 0, 3000},
        {0, 1, "on_status", 1, 0}, /* unsolicited: no journal row */
        {UINT64_MAX, INT64_MAX - 3600000, "on_support", 0, 1},
    };
    uint64_t ids[N(cases)];
    MDB_txn *txn = store_begin(fx->s, 0);
    for (size_t i = 0; i < N(cases); i++) {
        outbox_row_t r;
        s_row(&r, cases[i].jid, cases[i].created, cases[i].action,
              cases[i].long_url ? url : "https://bap.example/on_init", body, cases[i].body_len);
        if (i == 0)
            snprintf(r.transaction_id, sizeof r.transaction_id, "%s", tid);
        assert_int_equal(outbox_put(fx->s, txn, &r, &ids[i]), 0);
        assert_true(i == 0 || ids[i] > ids[i - 1]);
    }
    assert_int_equal(store_commit(txn), 0);

    txn = store_begin(fx->s, 1);
    for (size_t i = 0; i < N(cases); i++) {
        outbox_row_t o;
        assert_int_equal(outbox_get(fx->s, txn, ids[i], &o), 0);
        assert_int_equal(o.id, ids[i]);
        assert_int_equal(o.journal_id, cases[i].jid);
        assert_int_equal(o.created_ms, cases[i].created);
        assert_int_equal(o.deadline_ms, cases[i].created + 3600000);
        assert_int_equal(o.request_ms, cases[i].created - 5);
        assert_string_equal(o.action, cases[i].action);
        if (i == 0) {
            assert_string_equal(o.transaction_id, tid);
        } else {
            char want[64];
            snprintf(want, sizeof want, "txn-%llu", (unsigned long long)cases[i].jid);
            assert_string_equal(o.transaction_id, want);
        }
        char want[64];
        snprintf(want, sizeof want, "msg-%llu", (unsigned long long)cases[i].jid);
        assert_string_equal(o.message_id, want);
        assert_string_equal(o.url, cases[i].long_url ? url : "https://bap.example/on_init");
        assert_int_equal(o.body_len, cases[i].body_len);
        if (cases[i].body_len)
            assert_memory_equal(o.body, body, cases[i].body_len);
        /* the 3,000-byte body repeats every 256 bytes: stored compressed */
        assert_true((o.owned != NULL) == (cases[i].body_len >= OUTBOX_PACK_MIN));
        outbox_row_clear(&o);

        /* a fresh row is PENDING, due at once, with the row's deadline */
        outbox_state_t st;
        assert_int_equal(outbox_state_get(fx->s, txn, ids[i], &st), 0);
        assert_int_equal(st.id, ids[i]);
        assert_int_equal(st.status, OUTBOX_PENDING);
        assert_int_equal(st.attempts, 0);
        assert_int_equal(st.http_status, 0);
        assert_int_equal(st.next_try_ms, cases[i].created);
        assert_int_equal(st.last_try_ms, 0);
        assert_int_equal(st.deadline_ms, cases[i].created + 3600000);
        assert_string_equal(st.answer, "");
    }
    outbox_row_t o;
    assert_int_equal(outbox_get(fx->s, txn, 999, &o), MDB_NOTFOUND);
    outbox_state_t st;
    assert_int_equal(outbox_state_get(fx->s, txn, 999, &st), MDB_NOTFOUND);
    MDB_val raw;
    assert_int_equal(outbox_raw(fx->s, txn, 999, &raw), MDB_NOTFOUND);

    /* the bytes a worker sends with its notice decode to the same row, from
     * a copy that outlives the transaction; cut or padded copies do not */
    assert_int_equal(outbox_raw(fx->s, txn, ids[0], &raw), 0);
    char *copy = malloc(raw.mv_size + 1);
    memcpy(copy, raw.mv_data, raw.mv_size);
    size_t size = raw.mv_size;
    outbox_row_t g;
    assert_int_equal(outbox_get(fx->s, txn, ids[0], &g), 0);
    outbox_row_clear(&g);
    mdb_txn_abort(txn);
    assert_true(size < 3000); /* compressed */
    outbox_row_t d;
    assert_int_equal(outbox_decode(ids[0], copy, size, &d), 0);
    assert_int_equal(d.id, ids[0]);
    assert_int_equal(d.journal_id, g.journal_id);
    assert_int_equal(d.deadline_ms, g.deadline_ms);
    assert_string_equal(d.action, "on_init");
    assert_string_equal(d.transaction_id, tid);
    assert_string_equal(d.url, "https://bap.example/on_init");
    assert_int_equal(d.body_len, 3000);
    assert_memory_equal(d.body, body, 3000);
    assert_true(d.body == d.owned); /* expanded into a buffer of its own */
    assert_true(d.url >= copy && d.url < copy + size); /* the url points into the copy */
    outbox_row_clear(&d);
    assert_null(d.owned);
    assert_int_equal(outbox_decode(ids[0], copy, size - 1, &d), MDB_CORRUPTED);
    assert_int_equal(outbox_decode(ids[0], copy, size + 1, &d), MDB_CORRUPTED);
    assert_int_equal(outbox_decode(ids[0], copy, 10, &d), MDB_CORRUPTED);
    assert_int_equal(outbox_decode(ids[0], copy, 0, &d), MDB_CORRUPTED);
    free(copy);
}

static void test_state_put_get(void **state)
{
    fx_t *fx = *state;
    uint64_t id = s_put(fx, 1000, OUTBOX_PENDING);
    char longans[400];
    memset(longans, 'x', sizeof longans - 1);
    longans[sizeof longans - 1] = '\0';
    static const struct {
        int status;
        uint32_t attempts;
        int http;
        int64_t next, last;
        int long_answer;
        const char *answer;
    } cases[] = {
        {OUTBOX_PENDING, 1, 0, 2000, 1500, 0, "timeout after 10000 ms"},
        {OUTBOX_PENDING, 2, 500, 4000, 2500, 0, "HTTP 500"},
        {OUTBOX_NACKED, 3, 400, 0, 4100, 0, "{\"message\":{\"ack\":{\"status\":\"NACK\"}}}"},
        {OUTBOX_DELIVERED, 4, 200, 0, 5000, 1, NULL},
        {OUTBOX_DEAD, 9, 0, 0, 9000, 0, ""},
    };
    for (size_t i = 0; i < N(cases); i++) {
        outbox_state_t in = {.id = id,
                             .status = cases[i].status,
                             .attempts = cases[i].attempts,
                             .http_status = cases[i].http,
                             .next_try_ms = cases[i].next,
                             .last_try_ms = cases[i].last,
                             .deadline_ms = 1000 + 3600000};
        if (cases[i].long_answer) { /* the longest answer the field holds */
            memcpy(in.answer, longans, sizeof in.answer - 1);
            in.answer[sizeof in.answer - 1] = '\0';
        } else {
            snprintf(in.answer, sizeof in.answer, "%s", cases[i].answer);
        }
        MDB_txn *txn = store_begin(fx->s, 0);
        assert_int_equal(outbox_state_put(fx->s, txn, &in), 0);
        assert_int_equal(store_commit(txn), 0);

        txn = store_begin(fx->s, 1);
        outbox_state_t out;
        assert_int_equal(outbox_state_get(fx->s, txn, id, &out), 0);
        mdb_txn_abort(txn);
        assert_int_equal(out.id, id);
        assert_int_equal(out.status, cases[i].status);
        assert_int_equal(out.attempts, cases[i].attempts);
        assert_int_equal(out.http_status, cases[i].http);
        assert_int_equal(out.next_try_ms, cases[i].next);
        assert_int_equal(out.last_try_ms, cases[i].last);
        assert_int_equal(out.deadline_ms, 1000 + 3600000);
        if (cases[i].long_answer) {
            /* 199 characters and the NUL */
            assert_int_equal(strlen(out.answer), sizeof out.answer - 1);
            assert_memory_equal(out.answer, longans, sizeof out.answer - 1);
        } else {
            assert_string_equal(out.answer, cases[i].answer);
        }
    }
    /* the row itself never changes */
    MDB_txn *txn = store_begin(fx->s, 1);
    outbox_row_t o;
    assert_int_equal(outbox_get(fx->s, txn, id, &o), 0);
    assert_string_equal(o.url, "https://bap.example/on_init");
    assert_int_equal(o.body_len, 2);
    outbox_row_clear(&o);
    mdb_txn_abort(txn);
}

typedef struct {
    uint64_t ids[32];
    int status[32];
    int n, stop_after;
} collect_t;

static int s_collect(const outbox_state_t *st, void *arg)
{
    collect_t *c = arg;
    c->status[c->n] = st->status;
    c->ids[c->n++] = st->id;
    return c->stop_after && c->n >= c->stop_after;
}

static void test_state_each_filter(void **state)
{
    fx_t *fx = *state;
    static const int statuses[] = {OUTBOX_PENDING, OUTBOX_DELIVERED, OUTBOX_DEAD,
                                   OUTBOX_PENDING, OUTBOX_NACKED,    OUTBOX_DELIVERED};
    uint64_t ids[N(statuses)];
    for (size_t i = 0; i < N(statuses); i++)
        ids[i] = s_put(fx, 1000 + (int64_t)i, statuses[i]);

    static const struct {
        int filter;
        int idx[6];
        int n;
        int stop_after;
    } cases[] = {
        {-1, {0, 1, 2, 3, 4, 5}, 6, 0},
        {OUTBOX_PENDING, {0, 3}, 2, 0},
        {OUTBOX_DELIVERED, {1, 5}, 2, 0},
        {OUTBOX_NACKED, {4}, 1, 0},
        {OUTBOX_DEAD, {2}, 1, 0},
        {-1, {0, 1}, 2, 2}, /* FN non-zero stops */
        {7, {0}, 0, 0},
    };
    MDB_txn *txn = store_begin(fx->s, 1);
    for (size_t i = 0; i < N(cases); i++) {
        collect_t c = {.stop_after = cases[i].stop_after};
        assert_int_equal(outbox_state_each(fx->s, txn, cases[i].filter, s_collect, &c), 0);
        if (c.n != cases[i].n)
            fail_msg("filter %d: %d rows, want %d", cases[i].filter, c.n, cases[i].n);
        for (int j = 0; j < c.n; j++) {
            assert_int_equal(c.ids[j], ids[cases[i].idx[j]]);
            assert_int_equal(c.status[j], statuses[cases[i].idx[j]]);
        }
    }
    mdb_txn_abort(txn);
}

static void test_prune(void **state)
{
    fx_t *fx = *state;
    static const struct {
        int64_t created;
        int status;
        int kept;
    } rows[] = {
        {1000, OUTBOX_DELIVERED, 0}, {2000, OUTBOX_PENDING, 1}, {3000, OUTBOX_DEAD, 0},
        {4000, OUTBOX_NACKED, 0},    {4500, OUTBOX_PENDING, 1}, {5000, OUTBOX_DELIVERED, 1},
        {9000, OUTBOX_DEAD, 1},
    };
    uint64_t ids[N(rows)];
    for (size_t i = 0; i < N(rows); i++)
        ids[i] = s_put(fx, rows[i].created, rows[i].status);

    MDB_txn *txn = store_begin(fx->s, 0);
    assert_int_equal(outbox_prune(fx->s, txn, 5000, 2), 2); /* LIMIT */
    assert_int_equal(store_commit(txn), 0);
    txn = store_begin(fx->s, 0);
    assert_int_equal(outbox_prune(fx->s, txn, 5000, 100), 1);
    assert_int_equal(store_commit(txn), 0);
    txn = store_begin(fx->s, 0);
    assert_int_equal(outbox_prune(fx->s, txn, 5000, 100), 0);
    assert_int_equal(store_commit(txn), 0);

    txn = store_begin(fx->s, 1);
    for (size_t i = 0; i < N(rows); i++) {
        outbox_row_t o;
        outbox_state_t st;
        int rc = outbox_get(fx->s, txn, ids[i], &o);
        if (rc == 0)
            outbox_row_clear(&o);
        int src = outbox_state_get(fx->s, txn, ids[i], &st);
        if (rows[i].kept ? (rc != 0 || src != 0) : (rc != MDB_NOTFOUND || src != MDB_NOTFOUND))
            fail_msg("row created %lld (%s): get %d, state %d after prune",
                     (long long)rows[i].created, outbox_status_name(rows[i].status), rc, src);
    }
    collect_t c = {0};
    outbox_state_each(fx->s, txn, -1, s_collect, &c);
    assert_int_equal(c.n, 4);
    mdb_txn_abort(txn);

    /* pending rows survive any cutoff; ids are not reused afterwards */
    txn = store_begin(fx->s, 0);
    assert_int_equal(outbox_prune(fx->s, txn, INT64_MAX, 100), 2);
    assert_int_equal(store_commit(txn), 0);
    uint64_t next = s_put(fx, 10000, OUTBOX_PENDING);
    assert_true(next > ids[N(rows) - 1]);
}

static void test_status_names(void **state)
{
    (void)state;
    static const struct {
        int status;
        const char *name;
    } cases[] = {
        {OUTBOX_PENDING, "pending"}, {OUTBOX_DELIVERED, "delivered"}, {OUTBOX_NACKED, "nacked"},
        {OUTBOX_DEAD, "dead"},       {4, "?"},                        {-1, "?"},
    };
    for (size_t i = 0; i < N(cases); i++)
        assert_string_equal(outbox_status_name(cases[i].status), cases[i].name);
}

static void test_refusals(void **state)
{
    fx_t *fx = *state;
    /* a URL of 70000 bytes does not fit its 16-bit length */
    char *url = malloc(70001);
    assert_non_null(url);
    memset(url, 'u', 70000);
    url[70000] = '\0';
    outbox_row_t r;
    s_row(&r, 1, 1000, "on_init", url, "{}", 2);
    MDB_txn *txn = store_begin(fx->s, 0);
    uint64_t id = 0;
    assert_int_equal(outbox_put(fx->s, txn, &r, &id), MDB_BAD_VALSIZE);
    assert_int_equal(id, 0);
    free(url);
    mdb_txn_abort(txn);

    /* a read-only transaction */
    s_row(&r, 1, 1000, "on_init", "https://x/on_init", "{}", 2);
    txn = store_begin(fx->s, 1);
    assert_int_not_equal(outbox_put(fx->s, txn, &r, &id), 0);
    assert_int_equal(id, 0);
    mdb_txn_abort(txn);

    txn = store_begin(fx->s, 1);
    collect_t c = {0};
    outbox_state_each(fx->s, txn, -1, s_collect, &c);
    assert_int_equal(c.n, 0);
    mdb_txn_abort(txn);
}

/* the pending index behind outbox_state_each(PENDING): a row leaves it on
 * any other status and comes back when put back to pending (an operator's
 * retry); a store made before the index gets it built at open */
static void test_pending_index(void **state)
{
    fx_t *fx = *state;
    uint64_t a = s_put(fx, 1000, OUTBOX_PENDING), b = s_put(fx, 1001, OUTBOX_PENDING),
             c = s_put(fx, 1002, OUTBOX_DEAD);
    MDB_txn *txn = store_begin(fx->s, 0);
    outbox_state_t st;
    assert_int_equal(outbox_state_get(fx->s, txn, a, &st), 0);
    st.status = OUTBOX_DELIVERED;
    assert_int_equal(outbox_state_put(fx->s, txn, &st), 0);
    assert_int_equal(outbox_state_get(fx->s, txn, c, &st), 0);
    st.status = OUTBOX_PENDING; /* dead letter retried */
    assert_int_equal(outbox_state_put(fx->s, txn, &st), 0);
    assert_int_equal(store_commit(txn), 0);
    txn = store_begin(fx->s, 1);
    collect_t col = {0};
    assert_int_equal(outbox_state_each(fx->s, txn, OUTBOX_PENDING, s_collect, &col), 0);
    MDB_stat ms;
    assert_int_equal(mdb_stat(txn, fx->s->dbi[DB_OPENDING], &ms), 0);
    mdb_txn_abort(txn);
    assert_int_equal(col.n, 2);
    assert_int_equal(col.ids[0], b);
    assert_int_equal(col.ids[1], c);
    assert_int_equal(ms.ms_entries, 2);

    /* an older store: no index, no marker -> built when opened */
    txn = store_begin(fx->s, 0);
    assert_int_equal(mdb_drop(txn, fx->s->dbi[DB_OPENDING], 0), 0);
    MDB_val mk = {14, (void *)"index/opending"};
    assert_int_equal(mdb_del(txn, fx->s->dbi[DB_META], &mk, NULL), 0);
    assert_int_equal(store_commit(txn), 0);
    assert_int_equal(fixture_store_reopen(fx), 0);
    txn = store_begin(fx->s, 1);
    collect_t again = {0};
    assert_int_equal(outbox_state_each(fx->s, txn, OUTBOX_PENDING, s_collect, &again), 0);
    mdb_txn_abort(txn);
    assert_int_equal(again.n, 2);
    assert_int_equal(again.ids[0], b);
    assert_int_equal(again.ids[1], c);
}

/* reply_put: an on_* may be delivered until its request's receipt plus the
 * request's ttl, and for at most callback.max_age_s from when it is written
 * (which also stands in for a missing or unreadable ttl); an unsolicited
 * one (no request) counts from now. A request worked off after its ttl
 * gets a deadline already past. */
static void test_reply_deadline(void **state)
{
    fx_t *fx = *state;
    static const struct {
        const char *ttl;
        int64_t request_ms, now_ms, want;
        int max_age_s;
    } cases[] = {
        {"PT30S", 1000000, 1020000, 1030000, 3600}, /* 20 s in a backlog: 10 s left */
        {"PT30S", 0, 5000, 35000, 3600},            /* unsolicited: from now */
        {NULL, 1000, 2000, 2000 + 3600000, 3600},   /* no ttl: max_age_s */
        {"P1D", 1000, 2000, 2000 + 3600000, 3600},  /* capped */
        {"soon", 1000, 2000, 2000 + 3600000, 3600}, /* unreadable: max_age_s */
        {"PT30S", 1000000, 1040000, 1030000, 3600}, /* handled after its ttl */
        {"PT1M", 7000, 7000, 67000, 3600},
        {"PT30S", 1000, 5000, 7000, 2}, /* max_age_s counts from now */
    };
    for (size_t i = 0; i < N(cases); i++) {
        json_t *ctx = json_pack("{s:s, s:s, s:s, s:s}", "action", "on_init", "bap_uri",
                                "http://127.0.0.1:9/bap/", "transaction_id", "t-1",
                                "message_id", "m-1");
        if (cases[i].ttl)
            json_object_set_new(ctx, "ttl", json_string(cases[i].ttl));
        json_t *msg = json_object();
        fx->cfg.callback_max_age_s = cases[i].max_age_s;
        MDB_txn *txn = store_begin(fx->s, 0);
        uint64_t oid = 0;
        assert_int_equal(reply_put(fx->s, txn, &fx->cfg, i + 1, cases[i].request_ms, ctx, msg,
                                   NULL, cases[i].now_ms, &oid),
                         0);
        assert_int_equal(store_commit(txn), 0);
        json_decref(ctx);
        json_decref(msg);
        txn = store_begin(fx->s, 1);
        outbox_row_t row;
        assert_int_equal(outbox_get(fx->s, txn, oid, &row), 0);
        assert_int_equal(row.deadline_ms, cases[i].want);
        assert_int_equal(row.created_ms, cases[i].now_ms);
        assert_string_equal(row.url, "http://127.0.0.1:9/bap/on_init");
        outbox_row_clear(&row);
        mdb_txn_abort(txn);
    }
}

/* test_packing - which bodies are stored compressed, that a compressed row
 * reads back exactly from the store and from a copy, that an uncompressed
 * one is read in place, and that damaged compressed bytes are refused. */
static void test_packing(void **state)
{
    fx_t *fx = *state;
    /* an on_*-like JSON body (compresses well), incompressible noise, and a
     * short body (under OUTBOX_PACK_MIN: never compressed) */
    char json[2400], noise[2400];
    size_t jl = 0;
    while (jl + 80 < sizeof json)
        jl += (size_t)snprintf(json + jl, sizeof json - jl,
                               "{\"id\":\"I%04zu\",\"quantity\":{\"count\":1},\"price\":{\"value\":\"99.00\"}},",
                               jl);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof noise; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        noise[i] = (char)(x >> 24);
    }
    static const char *shortb = "{\"message\":{\"ack\":{\"status\":\"ACK\"}}}";
    const struct {
        const char *body;
        size_t len;
        int packed;
    } cases[] = {
        {json, jl, 1},
        {noise, sizeof noise, 0},
        {shortb, strlen(shortb), 0},
        {json, OUTBOX_PACK_MIN - 1, 0},
        {json, OUTBOX_PACK_MIN, 1},
    };
    for (size_t i = 0; i < N(cases); i++) {
        outbox_row_t r;
        s_row(&r, 40 + i, 1000, "on_select", "https://bap.example/on_select", cases[i].body,
              cases[i].len);
        MDB_txn *txn = store_begin(fx->s, 0);
        uint64_t id = 0;
        assert_int_equal(outbox_put(fx->s, txn, &r, &id), 0);
        assert_int_equal(store_commit(txn), 0);

        txn = store_begin(fx->s, 1);
        MDB_val raw;
        assert_int_equal(outbox_raw(fx->s, txn, id, &raw), 0);
        if (cases[i].packed)
            assert_true(raw.mv_size < cases[i].len * 7 / 8);
        else
            assert_true(raw.mv_size > cases[i].len);
        outbox_row_t o;
        assert_int_equal(outbox_get(fx->s, txn, id, &o), 0);
        assert_int_equal(o.body_len, cases[i].len);
        assert_memory_equal(o.body, cases[i].body, cases[i].len);
        assert_true((o.owned != NULL) == cases[i].packed);
        if (!cases[i].packed) /* read in place */
            assert_true(o.body >= (const char *)raw.mv_data &&
                        o.body + o.body_len <= (const char *)raw.mv_data + raw.mv_size);
        outbox_row_clear(&o);

        char *copy = malloc(raw.mv_size);
        memcpy(copy, raw.mv_data, raw.mv_size);
        size_t size = raw.mv_size;
        mdb_txn_abort(txn);
        assert_int_equal(outbox_decode(id, copy, size, &o), 0);
        assert_memory_equal(o.body, cases[i].body, cases[i].len);
        outbox_row_clear(&o);
        if (!cases[i].packed) {
            /* a row written before stored_len existed (0 there) reads the same */
            char save[4];
            memcpy(save, copy + 12, 4);
            memset(copy + 12, 0, 4);
            assert_int_equal(outbox_decode(id, copy, size, &o), 0);
            assert_int_equal(o.body_len, cases[i].len);
            assert_memory_equal(o.body, cases[i].body, cases[i].len);
            assert_null(o.owned);
            outbox_row_clear(&o);
            memcpy(copy + 12, save, 4);
        }
        if (cases[i].packed) {
            /* the stored length or the compressed bytes damaged: refused,
             * never a body of another length */
            copy[size - 1] ^= 0x5a;
            int rc = outbox_decode(id, copy, size, &o);
            if (rc == 0) { /* a changed literal still expands to the length */
                assert_int_equal(o.body_len, cases[i].len);
                outbox_row_clear(&o);
            } else {
                assert_int_equal(rc, MDB_CORRUPTED);
            }
            copy[size - 1] ^= 0x5a;
            assert_int_equal(outbox_decode(id, copy, size - 1, &o), MDB_CORRUPTED);
            char *longer = malloc(size + 16);
            memcpy(longer, copy, size);
            memset(longer + size, 0, 16);
            assert_int_equal(outbox_decode(id, longer, size + 16, &o), MDB_CORRUPTED);
            free(longer);
            /* a header claiming a longer body than the bytes expand to */
            uint32_t bl;
            memcpy(&bl, copy + 8, sizeof bl);
            bl += 1;
            memcpy(copy + 8, &bl, sizeof bl);
            assert_int_equal(outbox_decode(id, copy, size, &o), MDB_CORRUPTED);
        }
        free(copy);
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_put_get_round_trip), T(test_state_put_get), T(test_state_each_filter),
        T(test_prune),              T(test_status_names),  T(test_refusals),
        T(test_pending_index),      T(test_reply_deadline), T(test_packing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
