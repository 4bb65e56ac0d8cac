/*
 * callback_main.c - ondc-callback: delivers the outbox to buyer apps.
 *
 * Workers tell this process of each outbox row they commit (a notice on
 * the PULL socket at endpoints.callback, most with the row's bytes); it
 * POSTs each on_* to its buyer app, signed, retries with backoff until the
 * row's deadline and records every outcome in the row's state (DELIVERED,
 * NACKED, or DEAD: a dead letter, never dropped silently). Pending rows
 * are found again at start and by a periodic scan, so a lost notification
 * or a restart loses nothing. This file is the role: init, the socket and
 * its notices, the cron, drain and exit; the work is in the other
 * callback_*.c files (callback.h lists them).
 *
 * Config keys read: endpoints.callback, zmq_hwm, callback.*, subscriber_id,
 * unique_key_id, signing_private_key_file, signature_validity_s.
 */
#include "clock.h"
#include "callback.h"

#include "envelope.h"
#include "log.h"
#include "metrics.h"
#include "zendpoint.h"
#include "zwatch.h"

#include <stdlib.h>
#include <string.h>

static callback_t s_cb;

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

static int s_on_pull(zsock_t *sock, void *arg)
{
    callback_t *cb = arg;
    /* a worker's notice carries the row's bytes: delivered from memory. A
     * notice without them (an operator's retry, an unsolicited message from
     * the admin API) is read from the outbox in a snapshot opened after the
     * notices are read: each was sent after its row committed, so the
     * snapshot sees every one */
    uint64_t ids[1024];
    int n = 0, drained = 0;
    for (int i = 0; i < 1024; i++) {
        envelope_t e;
        char *body;
        size_t len;
        int rc = s_recv(sock, &e, &body, &len);
        if (rc == 0) {
            free(body);
            drained = 1;
            break;
        }
        if (rc <= 0 || e.kind != ENVELOPE_OUTBOX || cb->rt->draining) {
            free(body);
            continue;
        }
        /* one we already hold is an operator's retry: if it waits for its
         * backoff, it is due now */
        callback_dl_t *d = idmap_lookup(cb->known, e.id);
        if (d) {
            free(body);
            heap_rekey(cb->retry, d, 0); /* if it waits in the heap */
        } else if (body && len) {
            callback_add_row(cb, e.id, body, len);
        } else {
            free(body);
            ids[n++] = e.id;
        }
    }
    if (!n)
        return !drained;
    MDB_txn *txn = store_begin(cb->rt->store, 1);
    if (!txn)
        return !drained;
    for (int i = 0; i < n; i++)
        callback_add(cb, ids[i], txn, 0);
    mdb_txn_abort(txn);
    return !drained;
}

static void s_cron(runtime_t *rt)
{
    callback_t *cb = rt->state;
    int64_t now = clock_wall_ms();
    *cb->g_held = (uint64_t)(idmap_size(cb->known) - cb->n_parked);
    *cb->g_parked = (uint64_t)cb->n_parked;
    callback_due(cb, now);
    static int ticks;
    if (++ticks % 50 == 0 && !rt->draining) {
        callback_scan(cb);
        callback_hosts_sweep(cb);
    }
}

static int s_init(runtime_t *rt)
{
    callback_t *cb = &s_cb;
    cb->rt = rt;
    rt->state = cb;
    cb->g_held = metrics_gauge("ondc_callback_rows", "state=\"held\"");
    cb->g_parked = metrics_gauge("ondc_callback_rows", "state=\"parked\"");
    cb->known = idmap_new();
    cb->retry = heap_new();
    if (!cb->known || !cb->retry)
        return -1;
    ondc_err_t err;
    if (sign_key_load_file(&cb->key, rt->cfg.signing_private_key_file, &err) == 0)
        cb->have_key = 1;
    else
        log_warn("callback.unsigned", "path", rt->cfg.signing_private_key_file, "why",
                 err.message, NULL);
    if (callback_roles_init(cb) < 0)
        return -1;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return -1;
    cb->curl = curlloop_new(rt->loop, callback_done, cb);
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
    loop_before_sleep(rt->loop, callback_before_sleep, cb);
    callback_scan(cb); /* recovery: every pending row from before */
    cb->watch = zwatch_new(rt->loop, cb->pull, s_on_pull, cb);
    return cb->watch ? 0 : -1;
}

static void s_drain_check(loop_t *loop, void *arg)
{
    (void)loop;
    callback_t *cb = arg;
    int busy = callback_hosts_busy(cb);
    /* what is not in flight stays PENDING in the outbox for the next start */
    if (!busy) {
        callback_flush(cb);
        runtime_stop(cb->rt);
    }
}

static void s_drain(runtime_t *rt)
{
    loop_timer(rt->loop, 20, 1, s_drain_check, rt->state);
}

static void s_fini(runtime_t *rt)
{
    callback_t *cb = rt->state;
    if (!cb)
        return;
    callback_rows_free(cb);
    callback_hosts_free(cb);
    callback_state_free(cb);
    callback_easy_free(cb);
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
