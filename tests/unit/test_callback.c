/*
 * test_callback.c - ondc-callback's delivery policy (libcallback.a).
 *
 * The pure decisions, table-driven: which answers are final (a 2xx ACK is
 * DELIVERED, a NACK or another 4xx is NACKED) and which are tried again
 * (connection error, timeout, 408, 429, 5xx); the wait before each retry
 * and the give-up near the TTL; which rows of a host's line keep their
 * bytes; when delivery states are committed. Then the same on real rows in
 * a real LMDB outbox, with transfers handed to a curl multi handle that is
 * never driven (nothing goes on the network): each answer's state as
 * committed, a retried row parked in the retry heap and read back when due,
 * the dead letter at the TTL, at most callback.max_per_host in flight per
 * host with the rest in line (far back: parked, bytes read again when they
 * start), and the scan that picks up pending rows.
 *
 * Each test gets a fresh environment in its own mkdtemp directory, removed
 * at the end.
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

#include "clock.h"
#include "backoff.h"
#include "callback.h"
#include "log.h"
#include "migrate.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *ACK = "{\"message\":{\"ack\":{\"status\":\"ACK\"}}}";
static const char *NACK = "{\"message\":{\"ack\":{\"status\":\"NACK\"}},"
                          "\"error\":{\"type\":\"DOMAIN-ERROR\",\"code\":\"30000\"}}";

/* ---- the pure decisions ---- */

typedef struct {
    CURLcode res;
    long code;
    const char *body;
    int retry;       /* callback_outcome's answer */
    int status;      /* the state's status after it */
    const char *ans; /* the state's answer starts with this (NULL: curl's error text) */
} outcome_case_t;

static const outcome_case_t s_outcomes[] = {
    /* final */
    {CURLE_OK, 200, "{\"message\":{\"ack\":{\"status\":\"ACK\"}}}", 0, OUTBOX_DELIVERED,
     "{\"message\":{\"ack\":{\"status\":\"ACK\"}}}"},
    {CURLE_OK, 202, "{\"message\":{\"ack\":{\"status\":\"ACK\"}}}", 0, OUTBOX_DELIVERED, "{"},
    {CURLE_OK, 204, "", 0, OUTBOX_DELIVERED, ""}, /* a 2xx that is no NACK */
    {CURLE_OK, 299, "{\"message\":{\"ack\":{\"status\":\"ACK\"}}}", 0, OUTBOX_DELIVERED, "{"},
    {CURLE_OK, 300, "{\"message\":{\"ack\":{\"status\":\"ACK\"}}}", 0, OUTBOX_NACKED, "HTTP 300 {"},
    {CURLE_OK, 200, "not json", 0, OUTBOX_DELIVERED, "not json"},
    {CURLE_OK, 200, "{\"message\":{\"ack\":{\"status\":\"NACK\"}}}", 0, OUTBOX_NACKED,
     "{\"message\":{\"ack\":{\"status\":\"NACK\"}}}"},
    {CURLE_OK, 400, "{\"error\":\"bad\"}", 0, OUTBOX_NACKED, "HTTP 400 {\"error\":\"bad\"}"},
    {CURLE_OK, 401, "", 0, OUTBOX_NACKED, "HTTP 401 "},
    {CURLE_OK, 404, "no such path", 0, OUTBOX_NACKED, "HTTP 404 no such path"},
    {CURLE_OK, 409, "", 0, OUTBOX_NACKED, "HTTP 409"},
    {CURLE_OK, 301, "", 0, OUTBOX_NACKED, "HTTP 301"},
    /* tried again */
    {CURLE_OK, 408, "slow", 1, OUTBOX_PENDING, "HTTP 408"},
    {CURLE_OK, 429, "", 1, OUTBOX_PENDING, "HTTP 429"},
    {CURLE_OK, 500, "oops", 1, OUTBOX_PENDING, "HTTP 500"},
    {CURLE_OK, 502, "", 1, OUTBOX_PENDING, "HTTP 502"},
    {CURLE_OK, 503, "", 1, OUTBOX_PENDING, "HTTP 503"},
    {CURLE_OK, 504, "", 1, OUTBOX_PENDING, "HTTP 504"},
    {CURLE_COULDNT_CONNECT, 0, "", 1, OUTBOX_PENDING, NULL},
    {CURLE_COULDNT_RESOLVE_HOST, 0, "", 1, OUTBOX_PENDING, NULL},
    {CURLE_OPERATION_TIMEDOUT, 0, "", 1, OUTBOX_PENDING, NULL},
    {CURLE_RECV_ERROR, 0, "", 1, OUTBOX_PENDING, NULL},
    {CURLE_SEND_ERROR, 0, "", 1, OUTBOX_PENDING, NULL},
    /* a transport error after a status line is still a transport error */
    {CURLE_OPERATION_TIMEDOUT, 200, "{\"message\":", 1, OUTBOX_PENDING, NULL},
};

static void test_outcome_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_outcomes); i++) {
        const outcome_case_t *c = &s_outcomes[i];
        outbox_state_t st;
        memset(&st, 0, sizeof st);
        st.status = OUTBOX_PENDING;
        int retry = callback_outcome(&st, c->res, c->code, c->body, strlen(c->body));
        const char *want = c->ans ? c->ans : curl_easy_strerror(c->res);
        if (retry != c->retry || st.status != c->status || st.http_status != c->code ||
            strncmp(st.answer, want, strlen(want)) != 0)
            fail_msg("case %zu (curl %d, HTTP %ld): retry %d status %d http %d answer \"%s\"; "
                     "want retry %d status %d answer \"%s\"",
                     i, (int)c->res, c->code, retry, st.status, st.http_status, st.answer, c->retry,
                     c->status, want);
    }
}

/* the answer kept in the state is cut to fit */
static void test_outcome_long_answers(void **state)
{
    (void)state;
    char body[CALLBACK_RESP_MAX];
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    outbox_state_t st;
    memset(&st, 0, sizeof st);
    assert_int_equal(callback_outcome(&st, CURLE_OK, 200, body, strlen(body)), 0);
    assert_int_equal(strlen(st.answer), sizeof st.answer - 1);
    memset(&st, 0, sizeof st);
    assert_int_equal(callback_outcome(&st, CURLE_OK, 403, body, strlen(body)), 0);
    assert_int_equal(strlen(st.answer), strlen("HTTP 403 ") + 150);
}

typedef struct {
    int backoff_ms; /* callback.backoff_ms */
    uint32_t attempts;
    int64_t age, ttl;
    uint32_t jitter;
    int64_t want;
} wait_case_t;

static const wait_case_t s_waits[] = {
    {500, 1, 0, 3600000, 0, 500},
    {500, 2, 0, 3600000, 0, 1000},
    {500, 3, 0, 3600000, 0, 2000},
    {500, 7, 0, 3600000, 0, 32000},
    {500, 8, 0, 3600000, 0, 60000},  /* the cap */
    {500, 17, 0, 3600000, 0, 60000}, /* doubled 16 times at most, capped anyway */
    {500, UINT32_MAX, 0, 3600000, 0, 60000},
    {500, 1, 0, 3600000, UINT32_MAX, 250}, /* jitter: down to half */
    {500, 8, 0, 3600000, UINT32_MAX, 30000},
    {10, 1, 0, 3600000, 0, 10}, /* the smallest callback.backoff_ms */
    {120000, 1, 0, 3600000, 0, 60000},
    /* near the TTL: one last try 250 ms before it, dead with under 50 ms */
    {500, 4, 9000, 10000, 0, 750},
    {500, 1, 9700, 10000, 0, 50},
    {500, 1, 9701, 10000, 0, BACKOFF_GIVE_UP},
    {500, 1, 10000, 10000, 0, BACKOFF_GIVE_UP},
    {500, 1, 20000, 10000, 0, BACKOFF_GIVE_UP},
};

static void test_retry_wait_table(void **state)
{
    (void)state;
    cfg_t cfg;
    cfg_defaults(&cfg);
    assert_int_equal(cfg.callback_backoff_ms, 500);
    for (size_t i = 0; i < N(s_waits); i++) {
        const wait_case_t *c = &s_waits[i];
        cfg.callback_backoff_ms = c->backoff_ms;
        int64_t got = callback_retry_wait(&cfg, c->attempts, c->age, c->ttl, c->jitter);
        if (got != c->want)
            fail_msg("case %zu: wait %lld, want %lld", i, (long long)got, (long long)c->want);
    }
}

static void test_line_keeps(void **state)
{
    (void)state;
    /* the first CALLBACK_LINE_LIVE_MIN rows, or max_per_host if more */
    assert_int_equal(CALLBACK_LINE_LIVE_MIN, 64);
    assert_true(callback_line_keeps(1, 1));
    assert_true(callback_line_keeps(64, 1));
    assert_false(callback_line_keeps(65, 1));
    assert_true(callback_line_keeps(64, 32));
    assert_false(callback_line_keeps(65, 32));
    assert_true(callback_line_keeps(100, 100));
    assert_false(callback_line_keeps(101, 100));
}

static void test_flush_due(void **state)
{
    (void)state;
    assert_false(callback_flush_due(0, 1, 1000, 200)); /* nothing in hand */
    assert_true(callback_flush_due(1, 1, 0, 200));     /* a retry, NACK or dead: at once */
    assert_false(callback_flush_due(1, 0, 199, 200));  /* "delivered" marks wait a little */
    assert_true(callback_flush_due(1, 0, 200, 200));
    assert_false(callback_flush_due(CALLBACK_STATE_BATCH_MAX - 1, 0, 0, 200));
    assert_true(callback_flush_due(CALLBACK_STATE_BATCH_MAX, 0, 0, 200));
    assert_true(callback_flush_due(1, 0, 0, 0)); /* callback.state_flush_ms 0 */
}

/* ---- on real rows ---- */

typedef struct {
    char dir[64];
    runtime_t rt;
    callback_t cb;
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
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_callback.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    log_set_level(LOG_FATAL);
    cfg_defaults(&fx->rt.cfg);
    snprintf(fx->rt.cfg.data_dir, sizeof fx->rt.cfg.data_dir, "%s", fx->dir);
    fx->rt.cfg.lmdb_map_size_mb = 64;
    snprintf(fx->rt.cfg.journal_sync, sizeof fx->rt.cfg.journal_sync, "nosync");
    fx->rt.store = migrate_open(&fx->rt.cfg);
    fx->cb.rt = &fx->rt;
    fx->rt.state = &fx->cb;
    fx->cb.known = idmap_new();
    fx->cb.retry = heap_new();
    fx->cb.multi = curl_multi_init(); /* never driven: no transfer runs */
    return fx->rt.store && fx->cb.known && fx->cb.retry && fx->cb.multi ? 0 : -1;
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    callback_rows_free(&fx->cb);
    callback_hosts_free(&fx->cb);
    callback_state_free(&fx->cb);
    callback_easy_free(&fx->cb);
    curl_multi_cleanup(fx->cb.multi);
    store_destroy(&fx->rt.store);
    int rc = nftw(fx->dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return rc;
}

/* s_put - an outbox row for URL with BODY, created now, DEADLINE_IN ms to
 * live; its id */
static uint64_t s_put(fx_t *fx, const char *url, const char *body, int64_t deadline_in)
{
    static int n;
    outbox_row_t r;
    memset(&r, 0, sizeof r);
    r.journal_id = (uint64_t)++n;
    r.created_ms = clock_wall_ms();
    r.deadline_ms = r.created_ms + deadline_in;
    r.request_ms = r.created_ms - 5;
    snprintf(r.action, sizeof r.action, "on_init");
    snprintf(r.transaction_id, sizeof r.transaction_id, "txn-%d", n);
    snprintf(r.message_id, sizeof r.message_id, "msg-%d", n);
    r.url = url;
    r.body = body;
    r.body_len = strlen(body);
    MDB_txn *txn = store_begin(fx->rt.store, 0);
    assert_non_null(txn);
    uint64_t id = 0;
    assert_int_equal(outbox_put(fx->rt.store, txn, &r, &id), 0);
    assert_int_equal(store_commit(txn), 0);
    return id;
}

/* s_take - row ID read from the outbox as a scan would, due now: it starts
 * or joins its host's line. The row in memory, or NULL. */
static callback_dl_t *s_take(fx_t *fx, uint64_t id)
{
    MDB_txn *txn = store_begin(fx->rt.store, 1);
    assert_non_null(txn);
    callback_add(&fx->cb, id, txn, 0);
    mdb_txn_abort(txn);
    return idmap_lookup(fx->cb.known, id);
}

/* s_answer - D's transfer ends with RES, HTTP CODE and BODY */
static void s_answer(fx_t *fx, callback_dl_t *d, CURLcode res, long code, const char *body)
{
    assert_non_null(d->easy); /* it was in flight */
    assert_non_null(d->resp);
    size_t n = strlen(body);
    assert_true(n < CALLBACK_RESP_MAX);
    memcpy(d->resp, body, n + 1);
    d->resp_len = n;
    callback_finish(&fx->cb, d, res, code);
}

/* s_stored - row ID's state as committed (after committing what is in
 * hand) */
static outbox_state_t s_stored(fx_t *fx, uint64_t id)
{
    callback_flush(&fx->cb);
    assert_int_equal(fx->cb.upd_n, 0);
    outbox_state_t st;
    MDB_txn *txn = store_begin(fx->rt.store, 1);
    assert_non_null(txn);
    assert_int_equal(outbox_state_get(fx->rt.store, txn, id, &st), 0);
    mdb_txn_abort(txn);
    return st;
}

static void test_ack_is_delivered(void **state)
{
    fx_t *fx = *state;
    uint64_t id = s_put(fx, "http://bap.example:8080/on_init", "{\"x\":1}", 3600000);
    callback_dl_t *d = s_take(fx, id);
    assert_non_null(d);
    assert_non_null(d->easy);
    assert_int_equal(d->host->inflight, 1);
    assert_string_equal(d->host->name, "bap.example:8080");
    callback_host_t *h = d->host;
    int64_t before = clock_wall_ms();
    s_answer(fx, d, CURLE_OK, 200, ACK);
    assert_null(idmap_lookup(fx->cb.known, id)); /* out of memory */
    assert_int_equal(h->inflight, 0);
    assert_int_equal(heap_size(fx->cb.retry), 0);
    assert_int_equal(fx->cb.n_delivered, 1);
    /* a "delivered" mark may wait for company */
    assert_int_equal(fx->cb.upd_n, 1);
    assert_int_equal(fx->cb.upd_urgent, 0);
    outbox_state_t st = s_stored(fx, id);
    assert_int_equal(st.status, OUTBOX_DELIVERED);
    assert_int_equal(st.attempts, 1);
    assert_int_equal(st.http_status, 200);
    assert_true(st.last_try_ms >= before && st.last_try_ms <= clock_wall_ms());
    assert_string_equal(st.answer, ACK);
}

static void test_final_answers(void **state)
{
    fx_t *fx = *state;
    static const struct {
        long code;
        const char *body;
        int status;
    } cases[] = {
        {200, NULL, OUTBOX_NACKED}, /* NACK */
        {400, "bad request", OUTBOX_NACKED},
        {404, "", OUTBOX_NACKED},
        {202, "{\"message\":{\"ack\":{\"status\":\"ACK\"}}}", OUTBOX_DELIVERED},
    };
    for (size_t i = 0; i < N(cases); i++) {
        uint64_t id = s_put(fx, "http://bap.example/on_init", "{}", 3600000);
        callback_dl_t *d = s_take(fx, id);
        assert_non_null(d);
        s_answer(fx, d, CURLE_OK, cases[i].code, cases[i].body ? cases[i].body : NACK);
        assert_null(idmap_lookup(fx->cb.known, id));
        /* a NACK is committed at once */
        assert_int_equal(fx->cb.upd_urgent, cases[i].status != OUTBOX_DELIVERED);
        outbox_state_t st = s_stored(fx, id);
        assert_int_equal(st.status, cases[i].status);
        assert_int_equal(st.attempts, 1);
        assert_int_equal(st.http_status, cases[i].code);
    }
    assert_int_equal(fx->cb.n_nacked, 3);
    assert_int_equal(fx->cb.n_delivered, 1);
    assert_int_equal(heap_size(fx->cb.retry), 0);
    assert_int_equal(idmap_size(fx->cb.known), 0);
}

/* each retried outcome: the row stays in memory, parked, in the retry
 * heap, its state PENDING with the next try in the first wait's range;
 * when due it is read back and sent again, and its waits grow */
static void test_retried_answers(void **state)
{
    fx_t *fx = *state;
    static const struct {
        CURLcode res;
        long code;
    } cases[] = {{CURLE_OK, 408},
                 {CURLE_OK, 429},
                 {CURLE_OK, 500},
                 {CURLE_OK, 503},
                 {CURLE_COULDNT_CONNECT, 0},
                 {CURLE_OPERATION_TIMEDOUT, 0}};
    const int64_t base = fx->rt.cfg.callback_backoff_ms;
    char body[2000]; /* compressed in the outbox: read back through the unpacking */
    for (size_t i = 0; i < sizeof body - 1; i++)
        body[i] = (char)('a' + i % 7);
    body[sizeof body - 1] = '\0';
    for (size_t i = 0; i < N(cases); i++) {
        uint64_t id = s_put(fx, "http://bap.example/on_init", body, 3600000);
        callback_dl_t *d = s_take(fx, id);
        assert_non_null(d);
        s_answer(fx, d, cases[i].res, cases[i].code, "busy");
        assert_ptr_equal(idmap_lookup(fx->cb.known, id), d);
        assert_null(d->easy);
        assert_null(d->b); /* parked */
        assert_int_equal(fx->cb.n_parked, 1);
        assert_int_equal(d->host->inflight, 0);
        assert_int_equal(fx->cb.upd_urgent, 1); /* a retry is committed at once */
        int64_t due;
        assert_ptr_equal(heap_peek(fx->cb.retry, &due), d);
        outbox_state_t st = s_stored(fx, id);
        assert_int_equal(st.status, OUTBOX_PENDING);
        assert_int_equal(st.attempts, 1);
        assert_int_equal(st.http_status, cases[i].code);
        assert_int_equal(st.next_try_ms, due);
        assert_true(st.next_try_ms - st.last_try_ms >= base / 2);
        assert_true(st.next_try_ms - st.last_try_ms <= base);

        /* not due yet: it stays */
        callback_due(&fx->cb, due - 1);
        assert_null(d->easy);
        /* due: read back and in flight again */
        callback_due(&fx->cb, due);
        assert_int_equal(heap_size(fx->cb.retry), 0);
        assert_non_null(d->easy);
        assert_non_null(d->b);
        assert_int_equal(fx->cb.n_parked, 0);
        assert_memory_equal(d->b->row.body, body, sizeof body - 1);
        assert_int_equal(d->b->row.body_len, sizeof body - 1);
        s_answer(fx, d, cases[i].res, cases[i].code, "busy");
        st = s_stored(fx, id);
        assert_int_equal(st.attempts, 2);
        assert_true(st.next_try_ms - st.last_try_ms >= base);
        assert_true(st.next_try_ms - st.last_try_ms <= 2 * base);

        /* the third try is ACKed */
        assert_ptr_equal(heap_pop(fx->cb.retry, &due), d);
        assert_int_equal(callback_wait(&fx->cb, d, 0), 0);
        callback_due(&fx->cb, 0);
        s_answer(fx, d, CURLE_OK, 200, ACK);
        st = s_stored(fx, id);
        assert_int_equal(st.status, OUTBOX_DELIVERED);
        assert_int_equal(st.attempts, 3);
        assert_null(idmap_lookup(fx->cb.known, id));
    }
    assert_int_equal(fx->cb.n_retried, 2 * N(cases));
    assert_int_equal(fx->cb.n_delivered, N(cases));
}

static void test_dead_letter_at_the_ttl(void **state)
{
    fx_t *fx = *state;
    /* too little time left for another try: dead at once */
    uint64_t id = s_put(fx, "http://bap.example/on_init", "{}", 200);
    callback_dl_t *d = s_take(fx, id);
    assert_non_null(d);
    s_answer(fx, d, CURLE_OK, 503, "");
    assert_null(idmap_lookup(fx->cb.known, id));
    assert_int_equal(heap_size(fx->cb.retry), 0);
    assert_int_equal(fx->cb.n_dead, 1);
    assert_int_equal(fx->cb.upd_urgent, 1);
    outbox_state_t st = s_stored(fx, id);
    assert_int_equal(st.status, OUTBOX_DEAD);
    assert_int_equal(st.attempts, 1);
    assert_string_equal(st.answer, "HTTP 503");

    /* time left, but less than the wait: one last try just before the
     * deadline rather than a give-up */
    id = s_put(fx, "http://bap.example/on_init", "{}", 400);
    d = s_take(fx, id);
    assert_non_null(d);
    s_answer(fx, d, CURLE_COULDNT_CONNECT, 0, "");
    int64_t due;
    assert_ptr_equal(heap_peek(fx->cb.retry, &due), d);
    st = s_stored(fx, id);
    assert_int_equal(st.status, OUTBOX_PENDING);
    assert_int_equal(st.next_try_ms, st.deadline_ms - CALLBACK_LAST_TRY_SLACK_MS);
    assert_int_equal(due, st.next_try_ms);

    /* a row found past its deadline is a dead letter, never sent */
    id = s_put(fx, "http://late.example/on_init", "{}", -1);
    assert_null(s_take(fx, id));
    assert_int_equal(fx->cb.n_dead, 2);
    st = s_stored(fx, id);
    assert_int_equal(st.status, OUTBOX_DEAD);
    assert_int_equal(st.attempts, 0);
    assert_string_equal(st.answer, "deadline passed after 0 attempts");
    assert_int_equal(callback_host_of(&fx->cb, "http://late.example/x")->inflight, 0);
}

/* the in-flight row of H (the first, when several) */
static callback_dl_t *s_inflight(fx_t *fx, const callback_host_t *h)
{
    size_t cur = 0;
    callback_dl_t *d;
    while ((d = idmap_next(fx->cb.known, &cur, NULL)))
        if (d->easy && d->host == h)
            return d;
    return NULL;
}

static void test_per_host_limit(void **state)
{
    fx_t *fx = *state;
    fx->rt.cfg.callback_max_per_host = 2;
    uint64_t a[5];
    callback_dl_t *da[5];
    for (int i = 0; i < 5; i++) {
        a[i] = s_put(fx, i % 2 ? "http://a.example:1/on_init?x=1" : "http://a.example:1/on_x", "{}",
                     3600000);
        da[i] = s_take(fx, a[i]);
        assert_non_null(da[i]);
    }
    uint64_t b = s_put(fx, "https://b.example/on_init", "{}", 3600000);
    callback_dl_t *db = s_take(fx, b);
    callback_host_t *ha = da[0]->host, *hb = db->host;
    assert_ptr_not_equal(ha, hb);
    assert_ptr_equal(callback_host_of(&fx->cb, "http://a.example:1#f"), ha);
    assert_ptr_not_equal(callback_host_of(&fx->cb, "http://a.example:2/on_x"), ha);
    /* two in flight, three in line, in order; the other host is not held up */
    assert_int_equal(ha->inflight, 2);
    assert_int_equal(ha->waiting, 3);
    assert_non_null(da[0]->easy);
    assert_non_null(da[1]->easy);
    for (int i = 2; i < 5; i++) {
        assert_null(da[i]->easy);
        assert_non_null(da[i]->b); /* near the front: bytes kept */
    }
    assert_ptr_equal(ha->wait_head, da[2]);
    assert_ptr_equal(ha->wait_tail, da[4]);
    assert_int_equal(hb->inflight, 1);
    assert_non_null(db->easy);
    /* one ends (ACK): the first in line starts */
    s_answer(fx, da[0], CURLE_OK, 200, ACK);
    assert_int_equal(ha->inflight, 2);
    assert_int_equal(ha->waiting, 2);
    assert_non_null(da[2]->easy);
    assert_null(da[3]->easy);
    /* one ends with a retry: it leaves the host's room to the next too */
    s_answer(fx, da[1], CURLE_OK, 500, "");
    assert_int_equal(ha->inflight, 2);
    assert_int_equal(ha->waiting, 1);
    assert_non_null(da[3]->easy);
    assert_int_equal(heap_size(fx->cb.retry), 1);
    /* the rest end */
    s_answer(fx, da[2], CURLE_OK, 200, ACK);
    assert_non_null(da[4]->easy);
    assert_int_equal(ha->waiting, 0);
    s_answer(fx, da[3], CURLE_OK, 200, ACK);
    s_answer(fx, da[4], CURLE_OK, 200, ACK);
    assert_int_equal(ha->inflight, 0);
    assert_null(ha->wait_head);
    assert_null(ha->wait_tail);
    assert_int_equal(s_stored(fx, a[4]).status, OUTBOX_DELIVERED);
    assert_int_equal(s_stored(fx, a[1]).status, OUTBOX_PENDING);
}

static void test_far_back_rows_are_parked(void **state)
{
    fx_t *fx = *state;
    fx->rt.cfg.callback_max_per_host = 1;
    enum { ROWS = 1 + CALLBACK_LINE_LIVE_MIN + 3 };
    static uint64_t ids[ROWS];
    static char bodies[ROWS][32];
    for (int i = 0; i < ROWS; i++) {
        snprintf(bodies[i], sizeof bodies[i], "{\"n\":%d}", i);
        ids[i] = s_put(fx, "http://slow.example/on_init", bodies[i], 3600000);
        assert_non_null(s_take(fx, ids[i]));
    }
    callback_host_t *h = callback_host_of(&fx->cb, "http://slow.example/");
    assert_int_equal(h->inflight, 1);
    assert_int_equal(h->waiting, ROWS - 1);
    /* the last three in line let their bytes go */
    assert_int_equal(fx->cb.n_parked, 3);
    for (int i = 0; i < ROWS; i++) {
        callback_dl_t *d = idmap_lookup(fx->cb.known, ids[i]);
        if (i > CALLBACK_LINE_LIVE_MIN)
            assert_null(d->b);
        else
            assert_non_null(d->b);
    }
    /* one at a time, in order; a parked row's bytes are read again when
     * it starts */
    for (int i = 0; i < ROWS; i++) {
        callback_dl_t *d = s_inflight(fx, h);
        assert_non_null(d);
        assert_int_equal(d->id, ids[i]);
        assert_non_null(d->b);
        assert_int_equal(d->b->row.body_len, strlen(bodies[i]));
        assert_memory_equal(d->b->row.body, bodies[i], strlen(bodies[i]));
        s_answer(fx, d, CURLE_OK, 200, ACK);
    }
    assert_int_equal(fx->cb.n_parked, 0);
    assert_int_equal(idmap_size(fx->cb.known), 0);
    assert_int_equal(h->inflight, 0);
    assert_int_equal(h->waiting, 0);
    for (int i = 0; i < ROWS; i++)
        assert_int_equal(s_stored(fx, ids[i]).status, OUTBOX_DELIVERED);
}

/* a parked row whose bytes are gone from the outbox leaves memory when it
 * would start, and the host goes on with the next */
static void test_unpark_failure_lets_go(void **state)
{
    fx_t *fx = *state;
    fx->rt.cfg.callback_max_per_host = 1;
    uint64_t first = s_put(fx, "http://h.example/on_init", "{}", 3600000);
    uint64_t gone = s_put(fx, "http://h.example/on_init", "{}", 3600000);
    uint64_t next = s_put(fx, "http://h.example/on_init", "{}", 3600000);
    callback_dl_t *d = s_take(fx, first);
    callback_dl_t *g = s_take(fx, gone);
    assert_non_null(s_take(fx, next));
    callback_park(&fx->cb, g);
    assert_int_equal(fx->cb.n_parked, 1);
    /* its row pruned from under it */
    outbox_state_t st = s_stored(fx, gone);
    MDB_txn *txn = store_begin(fx->rt.store, 0);
    assert_non_null(txn);
    st.status = OUTBOX_DELIVERED;
    assert_int_equal(outbox_state_put(fx->rt.store, txn, &st), 0);
    assert_int_equal(outbox_prune(fx->rt.store, txn, INT64_MAX, 10), 1);
    assert_int_equal(store_commit(txn), 0);
    s_answer(fx, d, CURLE_OK, 200, ACK);
    assert_null(idmap_lookup(fx->cb.known, gone));
    assert_int_equal(fx->cb.n_parked, 0);
    callback_dl_t *n = idmap_lookup(fx->cb.known, next);
    assert_non_null(n);
    assert_non_null(n->easy);
}

static void test_scan_and_notices(void **state)
{
    fx_t *fx = *state;
    int64_t now = clock_wall_ms();
    uint64_t due = s_put(fx, "http://s.example/on_init", "{}", 3600000);
    uint64_t later = s_put(fx, "http://s.example/on_init", "{}", 3600000);
    uint64_t done = s_put(fx, "http://s.example/on_init", "{}", 3600000);
    MDB_txn *txn = store_begin(fx->rt.store, 0);
    outbox_state_t st;
    assert_int_equal(outbox_state_get(fx->rt.store, txn, later, &st), 0);
    st.next_try_ms = now + 60000; /* waiting for its backoff before a restart */
    st.attempts = 2;
    assert_int_equal(outbox_state_put(fx->rt.store, txn, &st), 0);
    assert_int_equal(outbox_state_get(fx->rt.store, txn, done, &st), 0);
    st.status = OUTBOX_DELIVERED;
    assert_int_equal(outbox_state_put(fx->rt.store, txn, &st), 0);
    assert_int_equal(store_commit(txn), 0);

    callback_scan(&fx->cb);
    assert_int_equal(idmap_size(fx->cb.known), 2); /* not the delivered one */
    callback_dl_t *d = idmap_lookup(fx->cb.known, due), *l = idmap_lookup(fx->cb.known, later);
    assert_non_null(d->easy);
    assert_null(l->easy); /* keeps its backoff */
    int64_t key;
    assert_ptr_equal(heap_peek(fx->cb.retry, &key), l);
    assert_int_equal(key, now + 60000);
    /* a second scan or notice of a row held changes nothing */
    callback_scan(&fx->cb);
    assert_int_equal(idmap_size(fx->cb.known), 2);
    assert_int_equal(d->host->inflight, 1);
    assert_int_equal(heap_size(fx->cb.retry), 1);
    callback_due(&fx->cb, now + 60000);
    assert_non_null(l->easy);
    assert_int_equal(l->st.attempts, 2);

    /* a worker's notice with the row's bytes: in flight at once */
    uint64_t id = s_put(fx, "http://s.example/on_init", "{}", 3600000);
    txn = store_begin(fx->rt.store, 1);
    MDB_val v;
    assert_int_equal(outbox_raw(fx->rt.store, txn, id, &v), 0);
    char *raw = malloc(v.mv_size);
    assert_non_null(raw);
    memcpy(raw, v.mv_data, v.mv_size);
    mdb_txn_abort(txn);
    callback_add_row(&fx->cb, id, raw, v.mv_size);
    callback_dl_t *r = idmap_lookup(fx->cb.known, id);
    assert_non_null(r);
    assert_non_null(r->easy);
    assert_int_equal(r->st.status, OUTBOX_PENDING);
    /* one whose bytes do not decode is let go (freed: ASan would tell) */
    char *bad = malloc(3);
    assert_non_null(bad);
    static const char xyz[3] = "xyz";
    memcpy(bad, xyz, sizeof xyz);
    callback_add_row(&fx->cb, 999999, bad, sizeof xyz);
    assert_null(idmap_lookup(fx->cb.known, 999999));
}

/* the host table holds the hosts of the rows in memory, not every host
 * ever seen: 2,000 rows to 2,000 hosts that all answer, then swept; a host
 * whose row waits for its retry stays; the same name finds the same host
 * while it is held */
static void test_hosts_are_let_go(void **state)
{
    fx_t *fx = *state;
    char url[64];
    for (int i = 0; i < 2000; i++) {
        snprintf(url, sizeof url, "http://h%d.example:8080/on_init", i);
        callback_dl_t *d = s_take(fx, s_put(fx, url, "{}", 3600000));
        assert_non_null(d);
        assert_int_equal(d->host->refs, 1);
        s_answer(fx, d, CURLE_OK, 200, ACK);
    }
    assert_int_equal(idmap_size(fx->cb.hosts), 2000);
    assert_int_equal(callback_hosts_busy(&fx->cb), 0);
    /* one row that waits for its retry */
    uint64_t wid = s_put(fx, "http://kept.example/on_init", "{}", 3600000);
    callback_dl_t *w = s_take(fx, wid);
    callback_host_t *kept = w->host;
    s_answer(fx, w, CURLE_OK, 503, "down");
    assert_non_null(idmap_lookup(fx->cb.known, wid));
    assert_int_equal(callback_hosts_sweep(&fx->cb), 2000);
    assert_int_equal(idmap_size(fx->cb.hosts), 1);
    assert_int_equal(kept->refs, 1);
    callback_host_t *again = callback_host_of(&fx->cb, "http://kept.example/other");
    assert_ptr_equal(again, kept);
    assert_int_equal(kept->refs, 2);
    kept->refs--; /* the look-up's own reference */
    assert_int_equal(callback_hosts_sweep(&fx->cb), 0);
}

/* s_fill - fill the store's map with filler rows in DB_META, 1 MiB rows
 * and then ever smaller ones, until not even a small row fits; how many
 * were written */
static int s_fill(fx_t *fx)
{
    static char chunk[1 << 20];
    int n = 0;
    for (size_t size = sizeof chunk; size >= 16; size /= 16) {
        for (;;) {
            MDB_txn *txn = store_begin(fx->rt.store, 0);
            assert_non_null(txn);
            char key[32];
            snprintf(key, sizeof key, "filler/%05d", n);
            MDB_val k = {strlen(key), key}, v = {size, chunk};
            if (mdb_put(txn, fx->rt.store->dbi[DB_META], &k, &v, 0) != 0) {
                mdb_txn_abort(txn);
                break;
            }
            if (store_commit(txn) != 0)
                break;
            n++;
        }
    }
    return n;
}

/* a full store: the delivered row's state cannot be committed. The process
 * goes on (no exit), keeps the state in hand, starts no delivery and runs
 * no scan (which would send the delivered row again), tries again with
 * backoff, and commits once there is room */
static void test_full_store_keeps_the_states_and_waits(void **state)
{
    fx_t *fx = *state;
    uint64_t a = s_put(fx, "http://full.example/on_init", "{}", 3600000);
    uint64_t b = s_put(fx, "http://full.example/on_init", "{}", 3600000);
    callback_dl_t *da = s_take(fx, a);
    s_answer(fx, da, CURLE_OK, 200, ACK); /* delivered: its mark in hand */
    assert_int_equal(fx->cb.upd_n, 1);
    int filled = s_fill(fx);
    assert_true(filled > 0);
    assert_int_equal(callback_flush(&fx->cb), -1);
    assert_int_equal(fx->cb.upd_n, 1);
    assert_int_equal(fx->cb.flush_fails, 1);
    assert_true(fx->cb.flush_retry_ms > clock_wall_ms());
    /* within the wait: not tried again */
    assert_int_equal(callback_flush(&fx->cb), -1);
    assert_int_equal(fx->cb.flush_fails, 1);
    /* a scan does not pick the delivered row up again, and the other row
     * does not start while the store refuses */
    callback_scan(&fx->cb);
    assert_null(idmap_lookup(fx->cb.known, a));
    callback_dl_t *db = s_take(fx, b);
    assert_non_null(db);
    assert_null(db->easy);
    /* the waits grow, and stop growing */
    assert_int_equal(callback_flush_retry_wait(1), CALLBACK_FLUSH_RETRY_MS);
    assert_int_equal(callback_flush_retry_wait(2), 2 * CALLBACK_FLUSH_RETRY_MS);
    assert_int_equal(callback_flush_retry_wait(1000), CALLBACK_FLUSH_RETRY_MAX_MS);
    /* room again (a larger map: LMDB takes that on an open environment):
     * the next try commits */
    assert_int_equal(mdb_env_set_mapsize(fx->rt.store->env, (size_t)128 << 20), 0);
    fx->cb.flush_retry_ms = 0;
    assert_int_equal(callback_flush(&fx->cb), 0);
    assert_int_equal(fx->cb.flush_fails, 0);
    assert_int_equal(s_stored(fx, a).status, OUTBOX_DELIVERED);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcome_table),
        cmocka_unit_test(test_outcome_long_answers),
        cmocka_unit_test(test_retry_wait_table),
        cmocka_unit_test(test_line_keeps),
        cmocka_unit_test(test_flush_due),
        cmocka_unit_test_setup_teardown(test_ack_is_delivered, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_final_answers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_retried_answers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_dead_letter_at_the_ttl, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_per_host_limit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_far_back_rows_are_parked, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_unpark_failure_lets_go, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_scan_and_notices, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_hosts_are_let_go, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_full_store_keeps_the_states_and_waits, s_setup,
                                        s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
