/*
 * callback_rows.c - ondc-callback: the rows in memory, coming in and
 * leaving.
 *
 * A row comes in from a worker's notice (with its bytes: delivered from
 * memory), from a notice without them or a scan of the outbox (read in a
 * snapshot), and joins the id map KNOWN, which owns it until it leaves
 * (callback_drop). One not yet due waits in the retry heap, keyed by when
 * it is due; the cron hands due ones to their host. A row that cannot be
 * held (out of memory) stays PENDING in the outbox, where the periodic
 * scan finds it again: nothing is lost, at worst delivered late.
 *
 * Config keys read: none.
 */
#include "clock.h"
#include "callback.h"

#include "log.h"

#include <stdlib.h>

void callback_dl_free(callback_dl_t *d)
{
    if (d->host && d->host->refs > 0)
        d->host->refs--; /* the cron's sweep lets an unnamed host go */
    callback_body_free(d->b);
    free(d->resp);
    free(d);
}

void callback_drop(callback_t *cb, callback_dl_t *d)
{
    idmap_delete(cb->known, d->id);
    if (!d->b)
        cb->n_parked--;
    callback_dl_free(d);
}

int callback_wait(callback_t *cb, callback_dl_t *d, int64_t due_ms)
{
    if (heap_push(cb->retry, due_ms, d) == 0)
        return 0;
    callback_drop(cb, d);
    return -1;
}

/* s_hold - D (row and state filled) joins the rows in memory, due at
 * DUE_MS: at once if that has come, else it waits in the retry heap (a row
 * found again after a restart keeps its backoff). */
static void s_hold(callback_t *cb, callback_dl_t *d, int64_t due_ms)
{
    d->host = callback_host_of(cb, d->b->row.url);
    if (!d->host || idmap_insert(cb->known, d->id, d) != 0) {
        callback_dl_free(d); /* out of memory: the scan finds it */
        return;
    }
    if (due_ms > clock_wall_ms()) {
        callback_wait(cb, d, due_ms);
        return;
    }
    callback_enqueue(cb, d);
}

void callback_add(callback_t *cb, uint64_t id, MDB_txn *txn, int64_t due_ms)
{
    if (idmap_lookup(cb->known, id))
        return;
    outbox_state_t st;
    if (outbox_state_get(cb->rt->store, txn, id, &st) != 0 || st.status != OUTBOX_PENDING)
        return;
    callback_dl_t *d = calloc(1, sizeof *d);
    if (!d)
        return;
    if (!(d->b = callback_body_read(cb, txn, id))) {
        free(d);
        return;
    }
    d->id = id;
    d->st = st;
    s_hold(cb, d, due_ms);
}

void callback_add_row(callback_t *cb, uint64_t id, char *raw, size_t len)
{
    callback_dl_t *d = calloc(1, sizeof *d);
    if (!d || !(d->b = calloc(1, sizeof *d->b))) {
        free(d);
        free(raw);
        return; /* the scan finds it */
    }
    d->b->raw = raw;
    if (outbox_decode(id, raw, len, &d->b->row) != 0) {
        log_warn("callback.bad_notice", NULL);
        callback_dl_free(d);
        return;
    }
    d->id = id;
    d->st.id = id;
    d->st.status = OUTBOX_PENDING;
    d->st.next_try_ms = d->b->row.created_ms;
    d->st.deadline_ms = d->b->row.deadline_ms;
    s_hold(cb, d, 0);
}

void callback_due(callback_t *cb, int64_t now_ms)
{
    int64_t due;
    callback_dl_t *d;
    while ((d = heap_peek(cb->retry, &due)) && due <= now_ms) {
        heap_pop(cb->retry, NULL);
        callback_enqueue(cb, d);
    }
}

static int s_scan_one(const outbox_state_t *st, void *arg)
{
    void **a = arg;
    callback_t *cb = a[0];
    callback_add(cb, st->id, a[1], st->next_try_ms);
    return 0;
}

/* The states of this loop turn are committed first: a row that just got
 * its answer has left memory, and its "delivered" must not still read
 * "pending" here, or it would go out twice. */
void callback_scan(callback_t *cb)
{
    /* states in hand that cannot be committed: the rows they mark read
     * pending, and a scan would send them again */
    if (callback_flush(cb) != 0)
        return;
    MDB_txn *txn = store_begin(cb->rt->store, 1);
    if (!txn)
        return;
    void *a[2] = {cb, txn};
    outbox_state_each(cb->rt->store, txn, OUTBOX_PENDING, s_scan_one, a);
    mdb_txn_abort(txn);
}

void callback_rows_free(callback_t *cb)
{
    size_t cur = 0;
    callback_dl_t *d;
    while (cb->known && (d = idmap_next(cb->known, &cur, NULL))) {
        callback_cancel(cb, d);
        callback_dl_free(d);
    }
    idmap_destroy(&cb->known);
    heap_destroy(&cb->retry);
}
