/*
 * callback_main.c - ondc-callback: delivers the outbox to buyer apps.
 *
 * Each on_* is POSTed, signed (Authorization, Ed25519 over BLAKE-512 of the
 * exact bytes sent), to the URL its worker wrote, with libcurl multi in our
 * loop: keep-alive connections, no "Expect: 100-continue", timeouts. The
 * buyer app's answer is recorded in the row's state: DELIVERED on ACK,
 * NACKED on NACK or a 4xx, and for connection errors, timeouts, 408, 429
 * and 5xx a retry with exponential backoff and jitter until the row's
 * deadline (its TTL, capped by callback.max_age_s), then DEAD: a dead
 * letter, never dropped silently. At most callback.max_per_host deliveries
 * run at once per host, so one slow buyer app cannot hold up the others.
 * Pending rows are found again at start and by a periodic scan, so a lost
 * notification or a restart loses nothing.
 *
 * Config keys read: endpoints.callback, callback.*, subscriber_id,
 * unique_key_id, signing_private_key_file, signature_validity_s.
 */
#include "ack.h"
#include "curlloop.h"
#include "envelope.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "runtime.h"
#include "sign.h"
#include "zendpoint.h"
#include "zwatch.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTS_MAX 1024
#define RESP_MAX 4096
#define LAST_TRY_SLACK_MS 250  /* the last try starts this long before the deadline */
#define CLAMPED_TRY_MIN_MS 50  /* less time than this left for it: dead now */
#define EASY_IDLE_MAX 256      /* curl handles kept for the next transfers */
#define LINE_LIVE_MIN 64       /* a host's waiting line keeps this many rows' bytes (or
                                  callback.max_per_host, if more); the rest are parked */

typedef struct dl_s dl_t;

typedef struct {
    char name[160];
    int inflight;
    int waiting; /* rows in the line */
    dl_t *wait_head, *wait_tail;
} host_t;

/* a row's bytes, while it is due or in flight */
typedef struct {
    char *raw;        /* the row's stored bytes (owned) */
    outbox_row_t row; /* decoded from RAW: url (and body, unless stored
                         compressed) point into it */
} dl_body_t;

/* a row in memory. One that waits (for its retry, or far back in its
 * host's line) is parked: its bytes are let go (B NULL) and read again
 * from the outbox when it is due, so a buyer app that is down for its
 * rows' TTL costs this small record a row, not the row's on_* */
struct dl_s {
    uint64_t id;
    int64_t due_ms;
    host_t *host;
    CURL *easy;
    struct curl_slist *headers;
    dl_body_t *b;      /* NULL: parked */
    outbox_state_t st; /* its delivery state while it is in memory */
    char *resp;        /* the buyer app's answer (RESP_MAX, while in flight) */
    size_t resp_len;
    int64_t started_ms;
    dl_t *next;
};

static void s_body_free(dl_body_t *b)
{
    if (!b)
        return;
    outbox_row_clear(&b->row);
    free(b->raw);
    free(b);
}

static void s_dl_free(dl_t *d)
{
    s_body_free(d->b);
    free(d->resp);
    free(d);
}

typedef struct {
    runtime_t *rt;
    zsock_t *pull;
    zwatch_t *watch;
    curlloop_t *curl;
    CURLM *multi; /* borrowed from curl */
    sign_key_t key;
    int have_key;
    host_t hosts[HOSTS_MAX];
    int nhosts;
    /* every row in memory, by id (open addressing; 0 = empty) */
    dl_t **known;
    size_t known_cap, known_n;
    /* retries waiting for their time: a binary heap by due_ms */
    dl_t **heap;
    size_t heap_n, heap_cap;
    /* state changes to commit before sleeping */
    outbox_state_t *updates;
    size_t upd_n, upd_cap;
    int64_t upd_first_ms; /* when the oldest update in hand was made */
    int upd_urgent;       /* an update other than "delivered" is in hand */
    /* curl handles between transfers: the options every transfer shares
     * set once (making and freeing a handle was ~6% of this process) */
    CURL *easy_idle[EASY_IDLE_MAX];
    int n_easy_idle;
    uint64_t n_delivered, n_nacked, n_retried, n_dead;
    size_t n_parked;               /* rows in memory without their bytes */
    uint64_t *g_held, *g_parked;   /* ondc_callback_rows{state} */
} cb_t;

static cb_t s_cb;

/* s_count - ondc_callbacks_total{action,outcome}: delivered, nacked,
 * retried, dead. */
static void s_count(const char *action, const char *outcome)
{
    char labels[96];
    snprintf(labels, sizeof labels, "action=\"%.32s\",outcome=\"%s\"", action, outcome);
    metrics_inc("ondc_callbacks_total", labels);
}

/* ---- the set of rows in memory ---- */

static size_t s_hash(uint64_t id, size_t cap)
{
    return (size_t)((id * 0x9E3779B97F4A7C15ULL) >> 7) & (cap - 1);
}

static dl_t *s_known_get(cb_t *cb, uint64_t id)
{
    if (!cb->known_cap)
        return NULL;
    for (size_t i = s_hash(id, cb->known_cap);; i = (i + 1) & (cb->known_cap - 1)) {
        if (!cb->known[i])
            return NULL;
        if (cb->known[i]->id == id)
            return cb->known[i];
    }
}

static void s_known_put(cb_t *cb, dl_t *d);

static void s_known_grow(cb_t *cb)
{
    dl_t **old = cb->known;
    size_t oldcap = cb->known_cap;
    cb->known_cap = oldcap ? oldcap * 2 : 1024;
    cb->known = calloc(cb->known_cap, sizeof *cb->known); /* NOLINT(bugprone-sizeof-expression): an array of pointers */
    cb->known_n = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i])
            s_known_put(cb, old[i]);
    free(old);
}

static void s_known_put(cb_t *cb, dl_t *d)
{
    if ((cb->known_n + 1) * 2 > cb->known_cap)
        s_known_grow(cb);
    size_t i = s_hash(d->id, cb->known_cap);
    while (cb->known[i])
        i = (i + 1) & (cb->known_cap - 1);
    cb->known[i] = d;
    cb->known_n++;
}

static void s_known_del(cb_t *cb, uint64_t id)
{
    if (!cb->known_cap)
        return;
    size_t i = s_hash(id, cb->known_cap);
    while (cb->known[i] && cb->known[i]->id != id)
        i = (i + 1) & (cb->known_cap - 1);
    if (!cb->known[i])
        return;
    cb->known[i] = NULL;
    cb->known_n--;
    /* re-insert the rest of the cluster */
    for (i = (i + 1) & (cb->known_cap - 1); cb->known[i]; i = (i + 1) & (cb->known_cap - 1)) {
        dl_t *d = cb->known[i];
        cb->known[i] = NULL;
        cb->known_n--;
        s_known_put(cb, d);
    }
}

/* ---- retry heap ---- */

/* s_heap_up - move D, now at I, up to where its due_ms belongs. */
static void s_heap_up(cb_t *cb, size_t i, dl_t *d)
{
    while (i > 0 && cb->heap[(i - 1) / 2]->due_ms > d->due_ms) {
        cb->heap[i] = cb->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    cb->heap[i] = d;
}

static void s_heap_push(cb_t *cb, dl_t *d)
{
    if (cb->heap_n == cb->heap_cap) {
        cb->heap_cap = cb->heap_cap ? cb->heap_cap * 2 : 256;
        cb->heap = realloc(cb->heap, cb->heap_cap * sizeof *cb->heap); /* NOLINT(bugprone-sizeof-expression): an array of pointers */
    }
    s_heap_up(cb, cb->heap_n++, d);
}

/* s_heap_expedite - D, if it waits in the heap for a retry, is due now
 * (an operator's `ondcctl outbox retry`). Linear: rare. */
static void s_heap_expedite(cb_t *cb, dl_t *d)
{
    for (size_t i = 0; i < cb->heap_n; i++)
        if (cb->heap[i] == d) {
            d->due_ms = 0;
            s_heap_up(cb, i, d);
            return;
        }
}

static dl_t *s_heap_pop(cb_t *cb)
{
    dl_t *top = cb->heap[0];
    dl_t *last = cb->heap[--cb->heap_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= cb->heap_n)
            break;
        if (c + 1 < cb->heap_n && cb->heap[c + 1]->due_ms < cb->heap[c]->due_ms)
            c++;
        if (cb->heap[c]->due_ms >= last->due_ms)
            break;
        cb->heap[i] = cb->heap[c];
        i = c;
    }
    if (cb->heap_n)
        cb->heap[i] = last;
    return top;
}

/* ---- hosts ---- */

static host_t *s_host_of(cb_t *cb, const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    char name[160];
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p);
    for (int i = 0; i < cb->nhosts; i++)
        if (strcmp(cb->hosts[i].name, name) == 0)
            return &cb->hosts[i];
    if (cb->nhosts == HOSTS_MAX)
        return &cb->hosts[HOSTS_MAX - 1]; /* XXX: beyond this many hosts they share one slot */
    host_t *h = &cb->hosts[cb->nhosts++];
    snprintf(h->name, sizeof h->name, "%s", name);
    return h;
}

static void s_update(cb_t *cb, const outbox_state_t *st)
{
    if (!cb->upd_n)
        cb->upd_first_ms = loop_wall_ms();
    if (st->status != OUTBOX_DELIVERED)
        cb->upd_urgent = 1;
    if (cb->upd_n == cb->upd_cap) {
        cb->upd_cap = cb->upd_cap ? cb->upd_cap * 2 : 256;
        cb->updates = realloc(cb->updates, cb->upd_cap * sizeof *cb->updates);
    }
    cb->updates[cb->upd_n++] = *st;
}

static size_t s_on_body(char *ptr, size_t size, size_t n, void *arg)
{
    dl_t *d = arg;
    size_t len = size * n;
    size_t room = RESP_MAX - 1 - d->resp_len;
    size_t take = len < room ? len : room;
    memcpy(d->resp + d->resp_len, ptr, take);
    d->resp_len += take;
    d->resp[d->resp_len] = '\0';
    return len;
}

static void s_start_next(cb_t *cb, host_t *h);

/* s_easy_get - a curl handle with the options every transfer shares; the
 * caller sets the transfer's own (URL, body, headers, D) before each use,
 * so nothing of an earlier transfer is left in effect. NULL: no memory. */
static CURL *s_easy_get(cb_t *cb)
{
    if (cb->n_easy_idle > 0)
        return cb->easy_idle[--cb->n_easy_idle];
    const cfg_t *cfg = &cb->rt->cfg;
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)cfg->callback_timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->callback_connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "ondc-gateway");
    return e;
}

/* s_easy_put - E's transfer is over (removed from the multi handle): keep
 * it for the next one, or free it when enough are kept. */
static void s_easy_put(cb_t *cb, CURL *e)
{
    if (!e)
        return;
    if (cb->n_easy_idle < EASY_IDLE_MAX) {
        /* let go of what pointed into the finished transfer */
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, NULL);
        curl_easy_setopt(e, CURLOPT_PRIVATE, NULL);
        cb->easy_idle[cb->n_easy_idle++] = e;
        return;
    }
    curl_easy_cleanup(e);
}

/* s_park - let D's bytes go while it waits (its state stays) */
static void s_park(cb_t *cb, dl_t *d)
{
    if (!d->b)
        return;
    s_body_free(d->b);
    d->b = NULL;
    cb->n_parked++;
}

/* s_body_read - row ID's bytes from the outbox in TXN, decoded; NULL when
 * the row is not there or cannot be read */
static dl_body_t *s_body_read(cb_t *cb, MDB_txn *txn, uint64_t id)
{
    MDB_val v;
    if (outbox_raw(cb->rt->store, txn, id, &v) != 0)
        return NULL;
    dl_body_t *b = calloc(1, sizeof *b);
    if (!b || !(b->raw = malloc(v.mv_size ? v.mv_size : 1))) {
        free(b);
        return NULL;
    }
    memcpy(b->raw, v.mv_data, v.mv_size);
    if (outbox_decode(id, b->raw, v.mv_size, &b->row) != 0) {
        s_body_free(b);
        return NULL;
    }
    return b;
}

/* s_unpark - read parked D's bytes again. 0, or -1 when they cannot be
 * read (the row stays PENDING in the outbox; a scan tries it again) */
static int s_unpark(cb_t *cb, dl_t *d)
{
    if (d->b)
        return 0;
    MDB_txn *txn = store_begin(cb->rt->store, 1);
    if (txn) {
        d->b = s_body_read(cb, txn, d->id);
        mdb_txn_abort(txn);
    }
    if (!d->b) {
        char idb[24];
        snprintf(idb, sizeof idb, "%llu", (unsigned long long)d->id);
        log_warn("callback.unpark_failed", "outbox_id", idb, NULL);
        return -1;
    }
    cb->n_parked--;
    return 0;
}

/* s_start - begin delivering D now: sign, hand to curl. */
static void s_start(cb_t *cb, dl_t *d)
{
    runtime_t *rt = cb->rt;
    if (s_unpark(cb, d) < 0) {
        /* out of memory, or the row is gone: let go of it here */
        cb->n_parked--;
        s_known_del(cb, d->id);
        s_dl_free(d);
        return;
    }
    const outbox_row_t *row = &d->b->row;
    int64_t now = loop_wall_ms();
    if (now >= d->st.deadline_ms) {
        d->st.status = OUTBOX_DEAD;
        snprintf(d->st.answer, sizeof d->st.answer, "deadline passed after %u attempts",
                 d->st.attempts);
        s_update(cb, &d->st);
        cb->n_dead++;
        s_count(row->action, "dead");
        log_error("callback.dead", "action", row->action, "transaction_id", row->transaction_id,
                  "message_id", row->message_id, "url", row->url, NULL);
        s_known_del(cb, d->id);
        s_dl_free(d);
        return;
    }
    d->easy = s_easy_get(cb);
    if (!d->resp)
        d->resp = malloc(RESP_MAX);
    if (!d->easy || !d->resp) {
        /* out of memory: try again later, like a transport error */
        s_easy_put(cb, d->easy);
        d->easy = NULL;
        d->due_ms = now + rt->cfg.callback_backoff_ms;
        s_heap_push(cb, d);
        s_park(cb, d);
        return;
    }
    d->resp_len = 0;
    d->resp[0] = '\0';
    d->headers = curl_slist_append(NULL, "Content-Type: application/json");
    d->headers = curl_slist_append(d->headers, "Expect:");
    if (cb->have_key) {
        long created = (long)(now / 1000);
        char *auth = sign_auth_header(&cb->key, rt->cfg.subscriber_id, rt->cfg.unique_key_id,
                                      row->body, row->body_len, created,
                                      created + rt->cfg.signature_validity_s);
        if (auth) {
            size_t n = strlen(auth) + 32;
            char *h = malloc(n);
            if (h) {
                snprintf(h, n, "Authorization: %s", auth);
                d->headers = curl_slist_append(d->headers, h);
                free(h);
            }
            free(auth);
        }
    }
    curl_easy_setopt(d->easy, CURLOPT_URL, row->url);
    curl_easy_setopt(d->easy, CURLOPT_POSTFIELDSIZE, (long)row->body_len);
    /* the body lives in D->raw until the transfer ends: no copy */
    curl_easy_setopt(d->easy, CURLOPT_POSTFIELDS, row->body);
    curl_easy_setopt(d->easy, CURLOPT_HTTPHEADER, d->headers);
    curl_easy_setopt(d->easy, CURLOPT_WRITEDATA, d);
    curl_easy_setopt(d->easy, CURLOPT_PRIVATE, d);
    d->started_ms = now;
    d->host->inflight++;
    curl_multi_add_handle(cb->multi, d->easy);
}

/* s_enqueue - D is due: start it if its host has room, else wait in line. */
static void s_enqueue(cb_t *cb, dl_t *d)
{
    host_t *h = d->host;
    if (h->inflight < cb->rt->cfg.callback_max_per_host) {
        s_start(cb, d);
        return;
    }
    d->next = NULL;
    if (h->wait_tail)
        h->wait_tail->next = d;
    else
        h->wait_head = d;
    h->wait_tail = d;
    /* far back in a slow host's line: parked until it comes forward */
    int live = cb->rt->cfg.callback_max_per_host > LINE_LIVE_MIN ? cb->rt->cfg.callback_max_per_host
                                                                 : LINE_LIVE_MIN;
    if (++h->waiting > live)
        s_park(cb, d);
}

static void s_start_next(cb_t *cb, host_t *h)
{
    while (h->wait_head && h->inflight < cb->rt->cfg.callback_max_per_host) {
        dl_t *d = h->wait_head;
        h->wait_head = d->next;
        if (!h->wait_head)
            h->wait_tail = NULL;
        h->waiting--;
        s_start(cb, d);
    }
}

/* s_hold - D (row and state filled) joins the rows in memory, due at
 * DUE_MS: at once if that has come, else it waits in the retry heap (a row
 * found again after a restart keeps its backoff). */
static void s_hold(cb_t *cb, dl_t *d, int64_t due_ms)
{
    d->host = s_host_of(cb, d->b->row.url);
    s_known_put(cb, d);
    if (due_ms > loop_wall_ms()) {
        d->due_ms = due_ms;
        s_heap_push(cb, d);
        return;
    }
    s_enqueue(cb, d);
}

/* s_add - a pending row read from the outbox in TXN (a scan, an operator's
 * retry, a notice without the row), due at DUE_MS. */
static void s_add(cb_t *cb, uint64_t id, MDB_txn *txn, int64_t due_ms)
{
    if (s_known_get(cb, id))
        return;
    outbox_state_t st;
    if (outbox_state_get(cb->rt->store, txn, id, &st) != 0 || st.status != OUTBOX_PENDING)
        return;
    dl_t *d = calloc(1, sizeof *d);
    if (!d)
        return;
    if (!(d->b = s_body_read(cb, txn, id))) {
        free(d);
        return;
    }
    d->id = id;
    d->st = st;
    s_hold(cb, d, due_ms);
}

/* s_add_row - a worker's notice with the row's bytes RAW (taken over): a
 * row just committed, PENDING, first attempt, due now. */
static void s_add_row(cb_t *cb, uint64_t id, char *raw, size_t len)
{
    dl_t *d = calloc(1, sizeof *d);
    if (!d || !(d->b = calloc(1, sizeof *d->b))) {
        free(d);
        free(raw);
        return; /* the scan finds it */
    }
    d->b->raw = raw;
    if (outbox_decode(id, raw, len, &d->b->row) != 0) {
        log_warn("callback.bad_notice", NULL);
        s_dl_free(d);
        return;
    }
    d->id = id;
    d->st.id = id;
    d->st.status = OUTBOX_PENDING;
    d->st.next_try_ms = d->b->row.created_ms;
    d->st.deadline_ms = d->b->row.deadline_ms;
    s_hold(cb, d, 0);
}

/* s_finish - a transfer ended: record the outcome, retry or let go. */
static void s_finish(cb_t *cb, dl_t *d, CURLcode res)
{
    runtime_t *rt = cb->rt;
    long code = 0;
    curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_multi_remove_handle(cb->multi, d->easy);
    s_easy_put(cb, d->easy);
    curl_slist_free_all(d->headers);
    d->easy = NULL;
    d->headers = NULL;
    d->host->inflight--;

    outbox_state_t st = d->st;
    const outbox_row_t *row = &d->b->row;
    const char *action = row->action, *tid = row->transaction_id, *mid = row->message_id;
    int64_t deadline = st.deadline_ms, request_ms = row->request_ms;
    int64_t now = loop_wall_ms();
    st.attempts++;
    st.last_try_ms = now;
    st.http_status = (int)code;
    int retry = 0;
    if (res != CURLE_OK) {
        snprintf(st.answer, sizeof st.answer, "%s", curl_easy_strerror(res));
        retry = 1;
    } else if (code >= 200 && code < 300) {
        int ack = ack_parse(d->resp, d->resp_len);
        st.status = ack == 0 ? OUTBOX_NACKED : OUTBOX_DELIVERED;
        snprintf(st.answer, sizeof st.answer, "%.*s", (int)(sizeof st.answer - 1), d->resp);
    } else if (code == 408 || code == 429 || code >= 500) {
        snprintf(st.answer, sizeof st.answer, "HTTP %ld", code);
        retry = 1;
    } else {
        st.status = OUTBOX_NACKED;
        snprintf(st.answer, sizeof st.answer, "HTTP %ld %.*s", code, 150, d->resp);
    }
    free(d->resp); /* not kept while the row waits */
    d->resp = NULL;
    char codebuf[16];
    snprintf(codebuf, sizeof codebuf, "%ld", code);
    host_t *h = d->host;
    if (retry) {
        int64_t backoff = (int64_t)rt->cfg.callback_backoff_ms << (st.attempts > 16 ? 16 : st.attempts - 1);
        if (backoff > 60000)
            backoff = 60000;
        /* jitter: somewhere in [backoff/2, backoff] */
        backoff = backoff / 2 + (int64_t)(randombytes_uniform((uint32_t)(backoff / 2 + 1)));
        /* clamped: a wait that would pass the deadline becomes one last try
         * just before it (retries start from the 100 ms cron, hence the
         * slack), rather than giving up while time is left */
        int64_t left = deadline - now - LAST_TRY_SLACK_MS;
        if (backoff > left)
            backoff = left;
        if (left < CLAMPED_TRY_MIN_MS) {
            st.status = OUTBOX_DEAD;
            cb->n_dead++;
            s_count(action, "dead");
            log_error("callback.dead", "action", action, "transaction_id", tid, "message_id", mid,
                      "answer", st.answer, NULL);
        } else {
            st.next_try_ms = now + backoff;
            d->due_ms = st.next_try_ms;
            d->st = st;
            cb->n_retried++;
            s_count(action, "retried");
            log_warn("callback.retry", "action", action, "transaction_id", tid, "message_id", mid,
                     "status", codebuf, "answer", st.answer, NULL);
            s_update(cb, &st);
            s_heap_push(cb, d);
            s_park(cb, d); /* after the log lines that read its row */
            s_start_next(cb, h);
            return;
        }
    } else if (st.status == OUTBOX_DELIVERED) {
        cb->n_delivered++;
        s_count(action, "delivered");
        if (request_ms > 0) {
            char lab[64];
            snprintf(lab, sizeof lab, "action=\"%.32s\"", action);
            /* request received -> on_* accepted by the buyer app */
            metrics_observe("ondc_roundtrip_seconds", lab, (double)(loop_wall_ms() - request_ms));
        }
        log_info("callback.delivered", "action", action, "transaction_id", tid, "message_id", mid,
                 "status", codebuf, NULL);
    } else {
        cb->n_nacked++;
        s_count(action, "nacked");
        log_warn("callback.nacked", "action", action, "transaction_id", tid, "message_id", mid,
                 "status", codebuf, "answer", st.answer, NULL);
    }
    s_update(cb, &st);
    s_known_del(cb, d->id);
    s_dl_free(d);
    s_start_next(cb, h);
}

/* s_done - a delivery's transfer ended (curlloop calls this). */
static void s_done(CURL *easy, CURLcode res, void *arg)
{
    dl_t *d = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&d);
    s_finish(arg, d, res);
}

/* ---- inputs ---- */

/* s_recv - one envelope from SOCK (envelope_recv), its body copied into
 * *BODY / *LEN (caller owns; NUL-terminated; NULL/0 when there is none):
 * a row keeps its bytes after the frame is gone */
static int s_recv(zsock_t *sock, envelope_t *e, char **body, size_t *len)
{
    zframe_t *f;
    int rc = envelope_recv(sock, e, &f);
    *body = NULL;
    *len = 0;
    if (f) {
        *len = zframe_size(f);
        *body = malloc(*len + 1);
        if (*body) {
            memcpy(*body, zframe_data(f), *len);
            (*body)[*len] = '\0';
        }
        zframe_destroy(&f);
    }
    return rc;
}

static void s_on_pull(zsock_t *sock, void *arg)
{
    cb_t *cb = arg;
    /* a worker's notice carries the row's bytes: delivered from memory. A
     * notice without them (an operator's retry, an unsolicited message from
     * the admin API) is read from the outbox in a snapshot opened after the
     * notices are read: each was sent after its row committed, so the
     * snapshot sees every one */
    uint64_t ids[1024];
    int n = 0;
    for (int i = 0; i < 1024; i++) {
        envelope_t e;
        char *body;
        size_t len;
        int rc = s_recv(sock, &e, &body, &len);
        if (rc == 0) {
            free(body);
            break;
        }
        if (rc <= 0 || e.kind != ENVELOPE_OUTBOX || cb->rt->draining) {
            free(body);
            continue;
        }
        /* one we already hold is an operator's retry: if it waits for its
         * backoff, it is due now */
        dl_t *d = s_known_get(cb, e.id);
        if (d) {
            free(body);
            s_heap_expedite(cb, d);
        } else if (body && len) {
            s_add_row(cb, e.id, body, len);
        } else {
            free(body);
            ids[n++] = e.id;
        }
    }
    if (!n)
        return;
    MDB_txn *txn = store_begin(cb->rt->store, 1);
    if (!txn)
        return;
    for (int i = 0; i < n; i++)
        s_add(cb, ids[i], txn, 0);
    mdb_txn_abort(txn);
}

static int s_scan_one(const outbox_state_t *st, void *arg)
{
    void **a = arg;
    cb_t *cb = a[0];
    s_add(cb, st->id, a[1], st->next_try_ms);
    return 0;
}

/* s_flush - commit the delivery states in hand. */
static void s_flush(cb_t *cb)
{
    if (!cb->upd_n)
        return;
    double lock_ms = 0;
    MDB_txn *txn = store_begin_write(cb->rt->store, 0, &lock_ms);
    if (!txn)
        runtime_fatal(cb->rt, "callback.store_failed", "begin");
    metrics_observe("ondc_store_lock_wait_seconds", "", lock_ms);
    for (size_t i = 0; i < cb->upd_n; i++)
        if (outbox_state_put(cb->rt->store, txn, &cb->updates[i]) != 0) {
            mdb_txn_abort(txn);
            runtime_fatal(cb->rt, "callback.store_failed", "put");
        }
    double cms = 0;
    if (store_commit_timed(txn, &cms) != 0)
        runtime_fatal(cb->rt, "callback.store_failed", "commit");
    metrics_observe("ondc_store_commit_seconds", "", cms);
    cb->upd_n = 0;
    cb->upd_urgent = 0;
}

/* s_before_sleep - commit the delivery states before sleeping: a retry's,
 * a NACK's or a dead letter's at once; "delivered" marks once the oldest is
 * callback.state_flush_ms old (the 100 ms cron wakes the loop) or many are
 * in hand. Until then the row is out of memory but reads "pending" in the
 * outbox: a crash then delivers it again, which at-least-once allows; a
 * scan flushes first. */
static void s_before_sleep(loop_t *loop, void *arg)
{
    (void)loop;
    cb_t *cb = arg;
    if (!cb->upd_n)
        return;
    if (!cb->upd_urgent && cb->upd_n < 4096 &&
        loop_wall_ms() - cb->upd_first_ms < cb->rt->cfg.callback_state_flush_ms)
        return;
    s_flush(cb);
}

/* s_scan - pick up every pending row not in memory (start, lost notices).
 * The states of this loop turn are committed first: a row that just got
 * its answer has left memory, and its "delivered" must not still read
 * "pending" here, or it would go out twice. */
static void s_scan(cb_t *cb)
{
    s_flush(cb);
    MDB_txn *txn = store_begin(cb->rt->store, 1);
    if (!txn)
        return;
    void *a[2] = {cb, txn};
    outbox_state_each(cb->rt->store, txn, OUTBOX_PENDING, s_scan_one, a);
    mdb_txn_abort(txn);
}

static void s_cron(runtime_t *rt)
{
    cb_t *cb = rt->state;
    int64_t now = loop_wall_ms();
    *cb->g_held = (uint64_t)(cb->known_n - cb->n_parked);
    *cb->g_parked = (uint64_t)cb->n_parked;
    while (cb->heap_n && cb->heap[0]->due_ms <= now)
        s_enqueue(cb, s_heap_pop(cb));
    static int ticks;
    if (++ticks % 50 == 0 && !rt->draining)
        s_scan(cb);
}

static int s_init(runtime_t *rt)
{
    cb_t *cb = &s_cb;
    cb->rt = rt;
    rt->state = cb;
    cb->g_held = metrics_gauge("ondc_callback_rows", "state=\"held\"");
    cb->g_parked = metrics_gauge("ondc_callback_rows", "state=\"parked\"");
    ondc_err_t err;
    if (sign_key_load_file(&cb->key, rt->cfg.signing_private_key_file, &err) == 0)
        cb->have_key = 1;
    else
        log_warn("callback.unsigned", "path", rt->cfg.signing_private_key_file, "why",
                 err.message, NULL);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return -1;
    cb->curl = curlloop_new(rt->loop, s_done, cb);
    if (!cb->curl)
        return -1;
    cb->multi = curlloop_multi(cb->curl);
    curl_multi_setopt(cb->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)rt->cfg.callback_max_per_host);
    curl_multi_setopt(cb->multi, CURLMOPT_MAXCONNECTS, 1024L);
    cb->pull = zsock_new(ZMQ_PULL);
    if (!cb->pull)
        return -1;
    zsock_set_sndhwm(cb->pull, rt->cfg.zmq_hwm);
    zsock_set_rcvhwm(cb->pull, rt->cfg.zmq_hwm);
    zsock_set_linger(cb->pull, 0);
    if (zendpoint_attach(cb->pull, rt->cfg.ep_callback, 1) < 0)
        return -1;
    loop_before_sleep(rt->loop, s_before_sleep, cb);
    s_scan(cb); /* recovery: every pending row from before */
    cb->watch = zwatch_new(rt->loop, cb->pull, s_on_pull, cb);
    return cb->watch ? 0 : -1;
}

static void s_drain_check(loop_t *loop, void *arg)
{
    (void)loop;
    cb_t *cb = arg;
    int busy = 0;
    for (int i = 0; i < cb->nhosts; i++)
        busy += cb->hosts[i].inflight;
    /* what is not in flight stays PENDING in the outbox for the next start */
    if (!busy) {
        s_flush(cb);
        runtime_stop(cb->rt);
    }
}

static void s_drain(runtime_t *rt)
{
    loop_timer(rt->loop, 20, 1, s_drain_check, rt->state);
}

static void s_fini(runtime_t *rt)
{
    cb_t *cb = rt->state;
    if (!cb)
        return;
    for (size_t i = 0; i < cb->known_cap; i++) {
        dl_t *d = cb->known[i];
        if (!d)
            continue;
        if (d->easy) {
            curl_multi_remove_handle(cb->multi, d->easy);
            curl_easy_cleanup(d->easy);
            curl_slist_free_all(d->headers);
        }
        s_dl_free(d);
    }
    free(cb->known);
    free(cb->heap);
    free(cb->updates);
    while (cb->n_easy_idle > 0)
        curl_easy_cleanup(cb->easy_idle[--cb->n_easy_idle]);
    curlloop_destroy(&cb->curl);
    curl_global_cleanup();
    zwatch_destroy(&cb->watch);
    zsock_destroy(&cb->pull);
}

static const runtime_role_t s_role = {
    .name = "callback",
    .needs_store = 1,
    .cron_ms = 100,
    .init = s_init,
    .cron = s_cron,
    .drain = s_drain,
    .fini = s_fini,
};

int main(int argc, char **argv)
{
    return runtime_main(&s_role, argc, argv);
}
