/*
 * callback.h - ondc-callback's shared state, and the functions its files
 * call one another by.
 *
 * The process in files by job:
 *   callback_main.c     role table, init/drain/cron/fini, the socket and its notices
 *   callback_rows.c     rows coming into memory (notices, scans) and leaving it;
 *                       the retry heap
 *   callback_hosts.c    per-host lines (callback.max_per_host), parking of rows
 *                       that wait
 *   callback_deliver.c  transfers: the request, the curl handle pool, the answer
 *                       and what follows from it (the retry policy)
 *   callback_state.c    delivery states batched into one LMDB transaction
 *
 * Ownership: every row in memory (callback_dl_t) is held by KNOWN from the
 * moment it comes in until callback_drop frees it; the retry heap and the
 * hosts' lines only borrow it. A row is in at most one of: in flight (EASY
 * set), waiting in the retry heap, waiting in its host's line. Its bytes
 * (B) are owned by it, or let go while it waits (parked, B NULL).
 *
 * The pure decisions (callback_outcome, callback_retry_wait,
 * callback_line_keeps, callback_flush_due) take no clock and touch no
 * state: the unit tests call them directly.
 */
#ifndef ONDC_CALLBACK_H
#define ONDC_CALLBACK_H

#include "cfg.h"
#include "curlloop.h"
#include "heap.h"
#include "idmap.h"
#include "outbox.h"
#include "runtime.h"
#include "sign.h"
#include "zwatch.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#define CALLBACK_RESP_MAX 4096         /* the buyer app's answer kept, at most */
#define CALLBACK_RETRY_CAP_MS 60000    /* no retry waits longer */
#define CALLBACK_LAST_TRY_SLACK_MS 250 /* the last try starts this long before the deadline */
#define CALLBACK_CLAMPED_TRY_MIN_MS 50 /* less time than this left for it: dead now */
#define CALLBACK_EASY_IDLE_MAX 256     /* curl handles kept for the next transfers */
/* a host's waiting line keeps this many rows' bytes (or callback.max_per_host,
 * if more); the rest are parked */
#define CALLBACK_LINE_LIVE_MIN 64
#define CALLBACK_FLUSH_RETRY_MS 100      /* first wait after a failed state commit */
#define CALLBACK_FLUSH_RETRY_MAX_MS 5000 /* longest */
#define CALLBACK_STATE_BATCH_MAX 4096 /* "delivered" marks in hand that are flushed at once */

typedef struct callback_dl_s callback_dl_t;

/* one buyer app host: its transfers in flight and its line of due rows */
typedef struct {
    char name[160];
    uint64_t key; /* its key in callback_t.hosts */
    int refs;     /* rows in memory that name it: it is let go at 0 */
    int inflight;
    int waiting; /* rows in the line */
    callback_dl_t *wait_head, *wait_tail;
} callback_host_t;

/* a row's bytes, while it is due or in flight */
typedef struct {
    char *raw;        /* the row's stored bytes (owned) */
    outbox_row_t row; /* decoded from RAW: url (and body, unless stored
                         compressed) point into it */
} callback_body_t;

/* a row in memory. One that waits (for its retry, or far back in its
 * host's line) is parked: its bytes are let go (B NULL) and read again
 * from the outbox when it is due, so a buyer app that is down for its
 * rows' TTL costs this small record a row, not the row's on_* */
struct callback_dl_s {
    uint64_t id;
    callback_host_t *host;
    CURL *easy;
    struct curl_slist *headers;
    callback_body_t *b; /* NULL: parked */
    outbox_state_t st;  /* its delivery state while it is in memory */
    char *resp;         /* the buyer app's answer (CALLBACK_RESP_MAX, while in flight) */
    size_t resp_len;
    int64_t started_ms;
    int refused_address; /* its host resolved to an address not allowed */
    int allow_private;   /* callback.allow_private_addresses when it started */
    callback_dl_t *next; /* in its host's line */
};

/* the process's state (one, static in callback_main.c) */
typedef struct {
    runtime_t *rt;
    zsock_t *pull;
    zwatch_t *watch;
    curlloop_t *curl;
    CURLM *multi; /* borrowed from curl */
    sign_key_t key;
    int have_key;
    /* the other roles' keys (callback_roles.c) */
    sign_key_t buyer_key, gateway_key;
    int have_buyer_key, have_gateway_key;
    unsigned char webhook_secret[64];
    size_t webhook_secret_len;
    unsigned char seller_secret[256]; /* seller.webhook_secret_file (callback_roles.c) */
    size_t seller_secret_len;
    idmap_t *hosts; /* host name's hash -> callback_host_t (owned) */
    idmap_t *known; /* every row in memory, by id (owns them) */
    heap_t *retry;  /* rows waiting for their time, by when they are due */
    /* state changes to commit before sleeping */
    outbox_state_t *updates;
    size_t upd_n, upd_cap;
    int64_t upd_first_ms; /* when the oldest update in hand was made */
    int upd_urgent;       /* an update other than "delivered" is in hand */
    int flush_fails;      /* commits of the states in hand failed in a row */
    int64_t flush_retry_ms; /* while failing: no commit tried, none started, before this */
    /* curl handles between transfers: the options every transfer shares
     * set once, rather than a handle made and freed for each transfer */
    CURL *easy_idle[CALLBACK_EASY_IDLE_MAX];
    int n_easy_idle;
    uint64_t n_delivered, n_nacked, n_retried, n_dead;
    size_t n_parked;             /* rows in memory without their bytes */
    uint64_t *g_held, *g_parked; /* ondc_callback_rows{state} */
} callback_t;

/* ---- callback_rows.c ---- */

/* callback_dl_free - free D and what it owns (not its transfer). */
void callback_dl_free(callback_dl_t *d);

/* callback_drop - D leaves memory and is freed (its row stays in the
 * outbox as it is). */
void callback_drop(callback_t *cb, callback_dl_t *d);

/* callback_wait - D waits in the retry heap until DUE_MS. 0, or -1 when
 * out of memory: D has left memory then (freed), and its row, PENDING in
 * the outbox, is found again by a scan. */
int callback_wait(callback_t *cb, callback_dl_t *d, int64_t due_ms);

/* callback_add - a pending row read from the outbox in TXN (a scan, an
 * operator's retry, a notice without the row), due at DUE_MS; nothing when
 * it is in memory already or not pending. */
void callback_add(callback_t *cb, uint64_t id, MDB_txn *txn, int64_t due_ms);

/* callback_add_row - a worker's notice with the row's bytes RAW (ownership
 * passes): a row just committed, PENDING, first attempt, due now. */
void callback_add_row(callback_t *cb, uint64_t id, char *raw, size_t len);

/* callback_due - every row in the retry heap due by NOW_MS goes to its
 * host (started, or in line). */
void callback_due(callback_t *cb, int64_t now_ms);

/* callback_scan - pick up every pending row not in memory (start, lost
 * notices), after committing the states in hand. */
void callback_scan(callback_t *cb);

/* callback_rows_free - cancel every transfer, free every row, the id map
 * and the retry heap (at exit). */
void callback_rows_free(callback_t *cb);

/* ---- callback_hosts.c ---- */

/* callback_host_of - the host of URL ("host:port" between "://" and the
 * path), made when first named; one reference more, which the row that
 * holds it gives back (callback_dl_free). Borrowed from CB; NULL when out
 * of memory. */
callback_host_t *callback_host_of(callback_t *cb, const char *url);

/* callback_hosts_sweep - let go of the hosts no row names any more: the
 * table holds the hosts of the rows in memory, not every host ever seen.
 * Returns how many were let go. */
int callback_hosts_sweep(callback_t *cb);

/* callback_hosts_busy - transfers in flight, all hosts together. */
int callback_hosts_busy(callback_t *cb);

/* callback_hosts_free - free every host (at exit, after the rows). */
void callback_hosts_free(callback_t *cb);

/* callback_line_keeps - 1 when the WAITING-th row in a host's line (from
 * 1) keeps its bytes, 0 when it is parked until it starts. */
int callback_line_keeps(int waiting, int max_per_host);

/* callback_enqueue - D is due: start it if its host has fewer than
 * callback.max_per_host in flight, else it joins the host's line (parked
 * when far back). */
void callback_enqueue(callback_t *cb, callback_dl_t *d);

/* callback_start_next - start rows from H's line while it has room. */
void callback_start_next(callback_t *cb, callback_host_t *h);

/* callback_body_free - free B (accepts NULL). */
void callback_body_free(callback_body_t *b);

/* callback_body_read - row ID's bytes from the outbox in TXN, decoded;
 * caller owns. NULL when the row is not there or cannot be read. */
callback_body_t *callback_body_read(callback_t *cb, MDB_txn *txn, uint64_t id);

/* callback_park - let D's bytes go while it waits (its state stays). */
void callback_park(callback_t *cb, callback_dl_t *d);

/* callback_unpark - read parked D's bytes again. 0, or -1 when they cannot
 * be read (the row stays PENDING in the outbox; a scan tries it again). */
int callback_unpark(callback_t *cb, callback_dl_t *d);

/* ---- callback_deliver.c ---- */

/* callback_outcome - the buyer app's answer to one transfer into ST:
 * RES is curl's result, CODE the HTTP status, RESP the body
 * (NUL-terminated, RESP_LEN bytes). Sets http_status and answer, and for
 * a final answer the status: DELIVERED for a 2xx that is not a NACK,
 * NACKED for a NACK or any other status but 408, 429 and 5xx. Returns 1
 * when the row is to be tried again (connection error, timeout, 408, 429,
 * 5xx; status left as it was), else 0. */
int callback_outcome(outbox_state_t *st, CURLcode res, long code, const char *resp,
                     size_t resp_len);

/* callback_retry_wait - the wait before the next try of a row tried
 * ATTEMPTS times (>= 1), AGE_MS old with TTL_MS to live, for the jitter
 * draw JITTER (a uniform 32-bit value); BACKOFF_GIVE_UP: dead. */
int64_t callback_retry_wait(const cfg_t *cfg, uint32_t attempts, int64_t age_ms, int64_t ttl_ms,
                            uint32_t jitter);

/* callback_start - begin delivering D now: sign, hand to curl; a row past
 * its deadline becomes a dead letter instead. */
void callback_start(callback_t *cb, callback_dl_t *d);

/* callback_finish - D's transfer ended with RES and HTTP status CODE (its
 * answer in D->resp): record the outcome, retry or let go, and start the
 * next row in its host's line. */
void callback_finish(callback_t *cb, callback_dl_t *d, CURLcode res, long code);

/* callback_done - a delivery's transfer ended (curlloop calls this). */
void callback_done(CURL *easy, CURLcode res, void *arg);

/* callback_cancel - take D's transfer, if any, off the multi handle and
 * free it (at exit). */
void callback_cancel(callback_t *cb, callback_dl_t *d);

/* callback_easy_free - free the curl handles kept between transfers. */
void callback_easy_free(callback_t *cb);

/* ---- callback_roles.c ---- */

/* callback_roles_init - load the buyer and gateway roles' keys and the
 * webhook's secret, where those roles are on. 0, or -1 (logged) when a
 * role that is on has no key. */
int callback_roles_init(callback_t *cb);

/* callback_row_trusted - whether ROW goes to a URL of the operator's own
 * config (a webhook), allowed on a private address (callback_roles.c). */
int callback_row_trusted(const outbox_row_t *row);

/* callback_sign_row - add to *HEADERS what ROW is sent with, by what it
 * is: an on_* signed as the seller; a request of the buyer role signed as
 * the buyer; a gateway's copy of a search with the buyer app's own
 * Authorization (the row's headers) and the gateway's
 * X-Gateway-Authorization; a webhook with X-ONDC-Webhook-Signature
 * (sha256=hex HMAC of the body). CREATED is now in seconds. */
void callback_sign_row(callback_t *cb, const outbox_row_t *row, struct curl_slist **headers,
                       long created);

/* ---- callback_state.c ---- */

/* callback_update - a row's new state, committed before the loop sleeps
 * (callback_before_sleep) or at the next scan. */
void callback_update(callback_t *cb, const outbox_state_t *st);

/* callback_flush_due - 1 when the states in hand are to be committed now:
 * N of them, URGENT when one is not "delivered", the oldest AGE_MS old,
 * "delivered" marks held at most FLUSH_MS. */
int callback_flush_due(size_t n, int urgent, int64_t age_ms, int64_t flush_ms);

/* callback_flush - commit the delivery states in hand. 0, or -1 when the
 * store refused them (full disk, full map): they stay in hand, the next try
 * waits CALLBACK_FLUSH_RETRY_MS doubled for each failure in a row (at most
 * CALLBACK_FLUSH_RETRY_MAX_MS), and meanwhile no delivery starts and no
 * scan runs, so a row delivered but not yet marked is not sent again. */
int callback_flush(callback_t *cb);

/* callback_flush_retry_wait - the wait after FAILS failed commits in a row */
int64_t callback_flush_retry_wait(int fails);

/* callback_before_sleep - the loop's before-sleep hook (ARG: the
 * callback_t): commit the states in hand when callback_flush_due says. */
void callback_before_sleep(loop_t *loop, void *arg);

/* callback_state_free - free the states in hand (at exit, after a flush). */
void callback_state_free(callback_t *cb);

#endif
