/*
 * worker_main.c - ondc-worker --family F: takes requests of one action
 * family from the dispatcher, handles them in batches (one LMDB write
 * transaction for as many messages as are waiting, up to batch_max), and
 * after each commit tells the callback process which outbox rows are new.
 *
 * Config keys read: endpoints.{family}, endpoints.callback, zmq_hwm,
 * batch_max, and whatever the family's handlers read.
 */
#include "worker.h"

#include "catalog.h"
#include "catalog_inc.h"
#include "clock.h"
#include "order.h"
#include "search.h"
#include "webhook.h"

#include "jarena.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "runtime.h"
#include "zendpoint.h"
#include "zwatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the PUSH to the callback process: notices queued at exit leave within it */
#define PUSH_LINGER_MS 2000

typedef struct {
    runtime_t *rt;
    int family;
    const worker_family_t *fam;
    zsock_t *pull;
    zsock_t *push;
    zwatch_t *watch; /* PULL in the loop */
    worker_out_t out;
    worker_out_t held; /* the rows of a batch committed, its meta page not
                        * yet on disk (see s_on_pull) */
    int has_held;
    MDB_txn *txn_cron; /* the incremental catalog round's, while it runs */
    uint64_t n_handled, n_skipped;
    uint64_t *inflight; /* gauge: messages in the batch being handled */
} worker_t;

static worker_t s_w = {.family = -1};

/* s_notify_rows - tell the callback process of O's outbox rows. */
static void s_notify_rows(worker_t *w, worker_out_t *o)
{
    for (size_t i = 0; i < o->n; i++) {
        envelope_t e = {.kind = ENVELOPE_OUTBOX, .id = o->ids[i]};
        /* the row's bytes go along (committed: the same as in the outbox),
         * without a copy: ownership passes to ZeroMQ, which frees them once
         * sent. A lost notification is harmless: the callback process scans
         * the outbox for due rows */
        envelope_send_owned(w->push, &e, o->rows[i], o->row_lens[i]);
        o->rows[i] = NULL;
    }
    o->n = 0;
}

/* s_notify - tell the callback process of the batch's outbox rows. */
static void s_notify(worker_t *w)
{
    s_notify_rows(w, &w->out);
}

/* s_release_held - the batch held back is on disk: tell of its rows */
static void s_release_held(worker_t *w)
{
    if (w->has_held) {
        s_notify_rows(w, &w->held);
        w->has_held = 0;
    }
}

/* s_flush_held - a batch still held when the loop comes round (the next
 * batch did not come after all): its meta page to disk, its rows told of */
static void s_flush_held(loop_t *loop, void *arg)
{
    (void)loop;
    worker_t *w = arg;
    if (!w->has_held)
        return;
    if (store_flush(w->rt->store) != 0)
        runtime_fatal(w->rt, "worker.store_failed", "flush");
    s_release_held(w);
}

/* s_batch_read_only - a batch of a read-only family: every handler runs in
 * one read transaction, then one short write transaction marks the rows
 * done and writes the on_*: the write lock (ingress's journal needs it
 * too) is never held for a search. */
static int s_batch_read_only(worker_t *w, zsock_t *sock)
{
    runtime_t *rt = w->rt;
    int max = rt->cfg.batch_max;
    envelope_t *es = calloc((size_t)max, sizeof *es);
    worker_msg_t *ms = calloc((size_t)max, sizeof *ms);
    int *ok = calloc((size_t)max, sizeof *ok);
    if (!es || !ms || !ok)
        runtime_fatal(rt, "worker.no_memory", "batch");
    int64_t now = clock_wall_ms();
    if (!w->inflight) {
        char lab[64];
        snprintf(lab, sizeof lab, "family=\"%s\"", cfg_family_name((family_t)w->family));
        w->inflight = metrics_gauge("ondc_inflight", lab);
    }
    MDB_txn *rtxn = store_begin(rt->store, 1);
    if (!rtxn)
        runtime_fatal(rt, "worker.store_failed", "cannot begin a read transaction");
    /* the batch's JSON lives in the arena (a large search goes on with
     * malloc past the arena's block), gone at the batch's end */
    jarena_begin();
    int n = 0, drained = 0;
    while (n < max) {
        zframe_t *body;
        int rc = envelope_recv(sock, &es[n], &body);
        if (rc == 0) {
            drained = 1;
            break;
        }
        if (rc < 0 || es[n].kind != ENVELOPE_REQUEST) {
            log_warn("worker.bad_envelope", NULL);
            zframe_destroy(&body);
            continue;
        }
        /* the body is read where it arrived, in its frame */
        rc = worker_prepare(w->fam, rt->store, rtxn, &rt->cfg, &es[n],
                            (const char *)zframe_data(body), zframe_size(body), now, &ms[n]);
        zframe_destroy(&body);
        if (rc < 0) {
            mdb_txn_abort(rtxn);
            runtime_fatal(rt, "worker.store_failed", "handling a request");
        }
        ok[n] = rc == 0;
        n++;
    }
    mdb_txn_abort(rtxn);
    if (n == 0) {
        /* the edge fired with nothing (or only bad envelopes): no write */
        jarena_end();
        free(es);
        free(ms);
        free(ok);
        return !drained;
    }
    *w->inflight = (uint64_t)n;
    double lock_ms = 0;
    MDB_txn *txn = store_begin_write(rt->store, 0, &lock_ms);
    if (!txn)
        runtime_fatal(rt, "worker.store_failed", "cannot begin a write transaction");
    metrics_observe("ondc_store_lock_wait_seconds", "", lock_ms);
    worker_out_reset(&w->out);
    for (int i = 0; i < n; i++) {
        size_t before = w->out.n;
        if (!ok[i]) {
            /* unreadable: mark it done so it is not dispatched forever */
            if (journal_mark_done(rt->store, txn, es[i].id) < 0) {
                mdb_txn_abort(txn);
                runtime_fatal(rt, "worker.store_failed", "marking a row done");
            }
            continue;
        }
        if (worker_finish(rt->store, txn, &rt->cfg, &es[i], &ms[i], now, &w->out) < 0) {
            mdb_txn_abort(txn);
            runtime_fatal(rt, "worker.store_failed", "writing a reply");
        }
        if (w->out.n == before)
            w->n_skipped++;
        else
            w->n_handled++;
    }
    double cms = 0;
    if (store_commit_timed(txn, &cms) != 0)
        runtime_fatal(rt, "worker.store_failed", "commit");
    metrics_observe("ondc_store_commit_seconds", "", cms);
    jarena_end();
    *w->inflight = 0;
    s_notify(w);
    free(es);
    free(ms);
    free(ok);
    return !drained;
}

static int s_on_pull(zsock_t *sock, void *arg)
{
    worker_t *w = arg;
    runtime_t *rt = w->rt;
    if (rt->draining) {
        /* not ours to handle any more: the journal rows stay pending and
         * the dispatcher's lease sends them again; read them off so the
         * edge-triggered watch does not spin */
        envelope_t e;
        zframe_t *body;
        while (envelope_recv(sock, &e, &body) != 0)
            zframe_destroy(&body);
        return 0;
    }
    if (w->fam->read_only)
        return s_batch_read_only(w, sock);
    /* the first message before the write lock: an edge may come with none */
    envelope_t first;
    zframe_t *first_body;
    int first_rc = envelope_recv(sock, &first, &first_body);
    if (first_rc == 0)
        return 0;
    double lock_ms = 0;
    MDB_txn *txn = store_begin_write(rt->store, 0, &lock_ms);
    if (!txn)
        runtime_fatal(rt, "worker.store_failed", "cannot begin a write transaction");
    metrics_observe("ondc_store_lock_wait_seconds", "", lock_ms);
    int n = 0, nout = 0;
    worker_out_reset(&w->out);
    int64_t now = clock_wall_ms();
    if (!w->inflight) {
        char lab[64];
        snprintf(lab, sizeof lab, "family=\"%s\"", cfg_family_name((family_t)w->family));
        w->inflight = metrics_gauge("ondc_inflight", lab);
    }
    int drained = 0, got = 0;
    while (got < rt->cfg.batch_max) {
        envelope_t e;
        zframe_t *body;
        int rc = first_rc;
        if (got++ == 0) {
            e = first;
            body = first_body;
        } else {
            rc = envelope_recv(sock, &e, &body);
        }
        if (rc == 0) {
            drained = 1;
            break;
        }
        if (rc < 0 || e.kind != ENVELOPE_REQUEST) {
            log_warn("worker.bad_envelope", NULL);
            zframe_destroy(&body);
            continue;
        }
        n++;
        size_t before = w->out.n;
        /* the message's JSON lives in the arena, gone at its end; the body
         * is read where it arrived, in its frame */
        jarena_begin();
        int prc = worker_process(w->fam, rt->store, txn, &rt->cfg, &e,
                                 (const char *)zframe_data(body), zframe_size(body), now, &w->out);
        jarena_end();
        zframe_destroy(&body);
        if (prc < 0) {
            mdb_txn_abort(txn);
            runtime_fatal(rt, "worker.store_failed", "handling a request");
        }
        if (w->out.n == before)
            w->n_skipped++;
        else
            nout++;
    }
    *w->inflight = (uint64_t)n; /* the batch in hand */
    double cms = 0;
    /* the commit flushes its pages, not yet its meta page: with more
     * messages waiting, the next batch's commit writes it with its own
     * pages (one flush a commit under load, not two); the rows are told of
     * only once it is on disk (store_commit_unflushed) */
    if (store_commit_unflushed(txn, &cms) != 0)
        runtime_fatal(rt, "worker.store_failed", "commit");
    metrics_observe("ondc_store_commit_seconds", "", cms);
    *w->inflight = 0;
    w->n_handled += (uint64_t)nout;
    int wrote = n > 0; /* every message handled writes its journal mark */
    if (wrote)
        s_release_held(w); /* on disk with this commit's pages */
    else
        s_flush_held(rt->loop, w); /* this commit wrote nothing: flush it */
    /* more waiting: the batch stopped at batch_max, or messages came while
     * it was handled (one ZMQ_EVENTS a batch) */
    int more = !drained || zwatch_has_input(sock);
    if (wrote && !rt->draining && more) {
        worker_out_t t = w->held;
        w->held = w->out;
        w->out = t;
        w->has_held = 1;
        loop_timer(rt->loop, 0, 0, s_flush_held, w);
        return 1;
    }
    if (wrote && store_flush(rt->store) != 0)
        runtime_fatal(rt, "worker.store_failed", "flush");
    s_notify(w);
    return more;
}

/* s_expire - the order family's acceptance window: every Created order
 * past seller.accept_window_s is rejected (an unsolicited on_cancel with
 * seller.reject_reason), its stock released, and the seller's webhook
 * told (order.expired); seller.accept_warn_s before that, the webhook
 * hears order.expiring once. Several order workers may run this; LMDB
 * serializes them and the second finds nothing due. */
static void s_expire(loop_t *loop, void *arg)
{
    (void)loop;
    worker_t *w = arg;
    runtime_t *rt = w->rt;
    int64_t now = clock_wall_ms();
    MDB_txn *txn = store_begin(rt->store, 1);
    if (!txn)
        return;
    char keys[64][400];
    /* the due ones, and (for the seller's webhook) those due within
     * seller.accept_warn_s that were not warned of yet */
    int64_t warn_ms = rt->cfg.seller_webhook_url[0] ? (int64_t)rt->cfg.accept_warn_s * 1000 : 0;
    int n = order_due(rt->store, txn, now + warn_ms, keys, 64), todo = 0;
    for (int i = 0; i < n; i++) {
        json_t *rec = order_get(rt->store, txn, keys[i]);
        todo += worker_expiry_action(rec, &rt->cfg, now) != WORKER_EXPIRY_NONE;
        json_decref(rec);
    }
    mdb_txn_abort(txn);
    if (todo == 0)
        return;
    txn = store_begin(rt->store, 0);
    if (!txn)
        return;
    worker_out_reset(&w->out);
    for (int i = 0; i < n; i++) {
        json_t *rec = order_get(rt->store, txn, keys[i]);
        int act = worker_expiry_action(rec, &rt->cfg, now);
        if (act == WORKER_EXPIRY_WARN) {
            if (worker_expiry_warn(rt->store, txn, &rt->cfg, rec, now, &w->out) < 0)
                log_warn("order.warn_failed", "key", keys[i], NULL);
            json_decref(rec);
            continue;
        }
        if (act != WORKER_EXPIRY_REJECT) {
            json_decref(rec);
            continue;
        }
        ondc_err_t err;
        uint64_t oid = 0, wid = 0;
        if (order_reject(rt->store, txn, &rt->cfg, rec, rt->cfg.reject_reason, now, &oid, &err) == 0) {
            worker_out_add_row(&w->out, rt->store, txn, oid);
            if (webhook_event(rt->store, txn, &rt->cfg, "order.expired", rec, NULL, now, &wid) == 0 &&
                wid)
                worker_out_add_row(&w->out, rt->store, txn, wid);
            log_info("order.expired", "order_id",
                     json_string_value(json_object_get(json_object_get(rec, "order"), "id")),
                     "reason", rt->cfg.reject_reason, NULL);
            metrics_inc("ondc_orders_expired_total", "");
        } else {
            log_warn("order.expire_failed", "key", keys[i], "why", err.message, NULL);
        }
        json_decref(rec);
    }
    if (store_commit(txn) != 0) {
        worker_out_reset(&w->out);
        return;
    }
    s_notify(w);
}

static int s_inc_sent(uint64_t oid, void *arg)
{
    worker_t *w = arg;
    return worker_out_add_row(&w->out, w->rt->store, w->txn_cron, oid);
}

/* s_inc_push - the discovery family's incremental catalog round
 * (seller/catalog_inc.h): due once per search.inc_interval_s for every
 * discovery worker together (the clock is in LMDB; a worker that comes
 * second finds the round done). Checked in a read transaction first, so
 * the write lock is taken only when a round is due. */
static void s_inc_push(loop_t *loop, void *arg)
{
    (void)loop;
    worker_t *w = arg;
    runtime_t *rt = w->rt;
    int64_t now = clock_wall_ms();
    MDB_txn *txn = store_begin(rt->store, 1);
    if (!txn)
        return;
    int due = catalog_inc_due(rt->store, txn, &rt->cfg, now);
    mdb_txn_abort(txn);
    if (!due)
        return;
    txn = store_begin(rt->store, 0);
    if (!txn)
        return;
    worker_out_reset(&w->out);
    w->txn_cron = txn;
    int n = catalog_inc_push(rt->store, txn, &rt->cfg, now, s_inc_sent, w);
    w->txn_cron = NULL;
    if (n < 0) {
        mdb_txn_abort(txn);
        worker_out_reset(&w->out);
        log_warn("catalog.inc_push_failed", NULL);
        return;
    }
    if (store_commit(txn) != 0) {
        worker_out_reset(&w->out);
        return;
    }
    if (n > 0)
        *metrics_counter("ondc_catalog_inc_pushed_total", "") += (uint64_t)n;
    s_notify(w);
}

static int s_option(runtime_t *rt, int argc, char **argv, int *i)
{
    (void)rt;
    if (strcmp(argv[*i], "--family") == 0 && *i + 1 < argc) {
        s_w.family = cfg_family_parse(argv[++*i]);
        return s_w.family < 0 ? -1 : 0;
    }
    return -1;
}

static int s_init(runtime_t *rt)
{
    worker_t *w = &s_w;
    w->rt = rt;
    rt->state = w;
    if (w->family < 0) {
        log_error("worker.no_family", "why", "--family is required", NULL);
        return -1;
    }
    w->fam = worker_family((family_t)w->family);
    /* every search reads the catalog again: letting its pages go after
     * each one costs a page fault per 4 kB at the next */
    rt->search_resident = w->family == FAMILY_DISCOVERY;
    /* PULL from the dispatcher, linger 0: a message not handled is pending
     * in the journal; PUSH to the callback process */
    w->pull = zsock_new(ZMQ_PULL);
    w->push = zsock_new(ZMQ_PUSH);
    if (!w->pull || !w->push)
        return -1;
    zsock_set_sndhwm(w->pull, rt->cfg.zmq_hwm);
    zsock_set_rcvhwm(w->pull, rt->cfg.zmq_hwm);
    zsock_set_linger(w->pull, 0);
    zsock_set_sndhwm(w->push, rt->cfg.zmq_hwm);
    zsock_set_rcvhwm(w->push, rt->cfg.zmq_hwm);
    zsock_set_linger(w->push, PUSH_LINGER_MS);
    if (zendpoint_attach(w->pull, rt->cfg.ep_family[w->family], 0) < 0 ||
        zendpoint_attach(w->push, rt->cfg.ep_callback, 0) < 0)
        return -1;
    log_info("worker.family", "family", cfg_family_name((family_t)w->family), NULL);
    if (w->family == FAMILY_ORDER)
        loop_timer(rt->loop, 1000, 1, s_expire, w);
    if (w->family == FAMILY_DISCOVERY)
        loop_timer(rt->loop, 1000, 1, s_inc_push, w);
    w->watch = zwatch_new(rt->loop, w->pull, s_on_pull, w);
    return w->watch ? 0 : -1;
}

static void s_drain(runtime_t *rt)
{
    /* single-threaded: no message is in hand between loop events */
    runtime_stop(rt);
}

static void s_fini(runtime_t *rt)
{
    worker_t *w = rt->state;
    if (!w)
        return;
    zwatch_destroy(&w->watch);
    zsock_destroy(&w->pull);
    s_flush_held(rt->loop, w);
    zsock_destroy(&w->push);
    worker_out_free(&w->out);
    worker_out_free(&w->held);
    catalog_cache_clear();
    search_pool_clear();
}

static const runtime_role_t s_role = {
    .name = "worker",
    .needs_store = 1,
    .usage = "--family discovery|order|fulfillment|post-fulfillment",
    .option = s_option,
    .init = s_init,
    .drain = s_drain,
    .fini = s_fini,
};

int main(int argc, char **argv)
{
    return runtime_main(&s_role, argc, argv);
}
