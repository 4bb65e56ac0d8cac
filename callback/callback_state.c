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
 * store failure here is fatal (runtime_fatal): the supervisor restarts the
 * process and its start-up scan picks the rows up again.
 *
 * Config keys read: callback.state_flush_ms.
 */
#include "clock.h"
#include "callback.h"

#include "metrics.h"

#include <stdlib.h>

void callback_update(callback_t *cb, const outbox_state_t *st)
{
    if (!cb->upd_n)
        cb->upd_first_ms = clock_wall_ms();
    if (st->status != OUTBOX_DELIVERED)
        cb->upd_urgent = 1;
    if (cb->upd_n == cb->upd_cap) {
        cb->upd_cap = cb->upd_cap ? cb->upd_cap * 2 : 256;
        cb->updates = realloc(cb->updates, cb->upd_cap * sizeof *cb->updates);
    }
    cb->updates[cb->upd_n++] = *st;
}

int callback_flush_due(size_t n, int urgent, int64_t age_ms, int64_t flush_ms)
{
    if (!n)
        return 0;
    return urgent || n >= CALLBACK_STATE_BATCH_MAX || age_ms >= flush_ms;
}

void callback_flush(callback_t *cb)
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
