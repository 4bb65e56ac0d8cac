/*
 * callback_state.c - ondc-callback: delivery states into LMDB, many in one
 * transaction.
 *
 * Each outcome's new state is kept in hand and committed before the loop
 * sleeps: a retry's, a NACK's or a dead letter's at once; "delivered"
 * marks once the oldest is callback.state_flush_ms old (the 100 ms cron
 * wakes the loop) or CALLBACK_STATE_BATCH_MAX are in hand. Until then the
 * row is out of memory but reads "pending" in the outbox: a crash then
 * delivers it again, which at-least-once allows; a scan flushes first. A
 * commit the store refuses (a full disk or map) is not fatal: restarting
 * would send every delivered-but-unmarked row again. The states stay in
 * hand and the commit is tried again with backoff; meanwhile no delivery
 * starts and no scan runs (ondc_callback_state_write_failures_total).
 *
 * Config keys read: callback.state_flush_ms.
 */
#include "clock.h"
#include "callback.h"

#include "backoff.h"
#include "log.h"
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>

void callback_update(callback_t *cb, const outbox_state_t *st)
{
    if (!cb->upd_n)
        cb->upd_first_ms = clock_wall_ms();
    if (st->status != OUTBOX_DELIVERED)
        cb->upd_urgent = 1;
    if (cb->upd_n == cb->upd_cap) {
        size_t cap = cb->upd_cap ? cb->upd_cap * 2 : 256;
        outbox_state_t *u = realloc(cb->updates, cap * sizeof *u);
        if (!u) {
            /* out of memory: this state is not recorded; the row reads
             * pending and is delivered again (at least once) */
            log_warn("callback.state_dropped", "why", "out of memory", NULL);
            return;
        }
        cb->updates = u;
        cb->upd_cap = cap;
    }
    cb->updates[cb->upd_n++] = *st;
}

int callback_flush_due(size_t n, int urgent, int64_t age_ms, int64_t flush_ms)
{
    if (!n)
        return 0;
    return urgent || n >= CALLBACK_STATE_BATCH_MAX || age_ms >= flush_ms;
}

int64_t callback_flush_retry_wait(int fails)
{
    const backoff_t p = {.base_ms = CALLBACK_FLUSH_RETRY_MS,
                         .cap_ms = CALLBACK_FLUSH_RETRY_MAX_MS,
                         .max_doublings = 16};
    /* the first failure waits base_ms: retry 0 */
    return backoff_wait(&p, fails > 1 ? (uint32_t)(fails - 1) : 0, 0, BACKOFF_NO_TTL, 0);
}

/* s_failed - the commit of the states in hand failed at WHAT with RC */
static int s_failed(callback_t *cb, const char *what, int rc)
{
    cb->flush_fails++;
    int64_t wait = callback_flush_retry_wait(cb->flush_fails);
    cb->flush_retry_ms = clock_wall_ms() + wait;
    metrics_inc("ondc_callback_state_write_failures_total", "");
    char n[24], w[24];
    snprintf(n, sizeof n, "%zu", cb->upd_n);
    snprintf(w, sizeof w, "%lld", (long long)wait);
    log_warn("callback.state_write_failed", "at", what, "error", rc ? mdb_strerror(rc) : "?",
             "states", n, "retry_ms", w, NULL);
    return -1;
}

int callback_flush(callback_t *cb)
{
    if (!cb->upd_n)
        return 0;
    if (cb->flush_fails && clock_wall_ms() < cb->flush_retry_ms)
        return -1;
    double lock_ms = 0;
    MDB_txn *txn = store_begin_write(cb->rt->store, 0, &lock_ms);
    if (!txn)
        return s_failed(cb, "begin", 0);
    metrics_observe("ondc_store_lock_wait_seconds", "", lock_ms);
    for (size_t i = 0; i < cb->upd_n; i++) {
        int rc = outbox_state_put(cb->rt->store, txn, &cb->updates[i]);
        if (rc != 0) {
            mdb_txn_abort(txn);
            return s_failed(cb, "put", rc);
        }
    }
    double cms = 0;
    int rc = store_commit_timed(txn, &cms);
    if (rc != 0)
        return s_failed(cb, "commit", rc);
    metrics_observe("ondc_store_commit_seconds", "", cms);
    if (cb->flush_fails)
        log_info("callback.state_write_recovered", NULL);
    cb->flush_fails = 0;
    cb->flush_retry_ms = 0;
    cb->upd_n = 0;
    cb->upd_urgent = 0;
    return 0;
}

void callback_before_sleep(loop_t *loop, void *arg)
{
    (void)loop;
    callback_t *cb = arg;
    if (!cb->upd_n)
        return;
    if (callback_flush_due(cb->upd_n, cb->upd_urgent, clock_wall_ms() - cb->upd_first_ms,
                           cb->rt->cfg.callback_state_flush_ms))
        callback_flush(cb);
}

void callback_state_free(callback_t *cb)
{
    free(cb->updates);
    cb->updates = NULL;
    cb->upd_n = cb->upd_cap = 0;
}
