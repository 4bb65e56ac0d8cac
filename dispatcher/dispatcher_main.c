/*
 * dispatcher_main.c - ondc-dispatcher: routes each request to its action
 * family's workers, re-dispatches journal rows not done within their lease,
 * and runs the janitor.
 *
 * Sockets: PULL bound at endpoints.dispatcher (every ingress copy connects);
 * one PUSH bound per family (every worker copy of that family connects and
 * ZeroMQ shares the load among them). The dispatcher keeps no state of its
 * own: the journal's pending marks are the truth, so it can die at any time.
 *
 * Config keys read: endpoints.*, zmq_hwm, journal_lease_ms,
 * journal_max_attempts, retention_s, batch_max.
 */
#include "context.h"
#include "envelope.h"
#include "journal.h"
#include "log.h"
#include "outbox.h"
#include "runtime.h"
#include "zsock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define LEASE_SCAN_MAX 4096

typedef struct {
    runtime_t *rt;
    void *pull;
    void *push[FAMILY_COUNT];
    int64_t last_janitor_ms;
    uint64_t n_routed, n_dropped, n_redispatched, n_dead, n_bad;
} dispatcher_t;

static dispatcher_t s_d;

/* s_route - send one request envelope to its family; 0 or -1 (dropped). */
static int s_route(dispatcher_t *d, const envelope_t *e, const char *body, size_t len)
{
    int a = context_action_parse(e->action);
    if (a < 0) {
        d->n_bad++;
        log_warn("dispatch.unknown_action", "action", e->action, NULL);
        return -1;
    }
    void *out = d->push[context_action_family((action_t)a)];
    if (envelope_send(out, e, body, len) < 0) {
        /* no worker connected or its queue is full: the row stays pending
         * and the lease scan sends it again */
        d->n_dropped++;
        return -1;
    }
    d->n_routed++;
    return 0;
}

static void s_on_pull(void *socket, void *arg)
{
    dispatcher_t *d = arg;
    envelope_t e;
    char *body;
    size_t len;
    int rc = envelope_recv(socket, &e, &body, &len);
    if (rc < 0) {
        d->n_bad++;
        log_warn("dispatch.bad_envelope", NULL);
    } else if (rc > 0) {
        if (e.kind == ENVELOPE_REQUEST)
            s_route(d, &e, body, len);
        else
            d->n_bad++;
    }
    free(body);
}

typedef struct {
    int64_t now, lease;
    uint64_t ids[LEASE_SCAN_MAX];
    int n;
} s_scan_t;

static int s_collect(const journal_pending_t *p, void *arg)
{
    s_scan_t *sc = arg;
    if (sc->now - p->dispatched_ms >= sc->lease)
        sc->ids[sc->n++] = p->id;
    return sc->n >= LEASE_SCAN_MAX;
}

/* s_lease_scan - send again every journal row not done within its lease. */
static void s_lease_scan(dispatcher_t *d)
{
    runtime_t *rt = d->rt;
    static s_scan_t sc;
    sc.now = loop_wall_ms();
    sc.lease = rt->cfg.journal_lease_ms;
    sc.n = 0;
    MDB_txn *txn = store_begin(rt->store, 1);
    if (!txn)
        return;
    journal_pending_each(rt->store, txn, s_collect, &sc);
    mdb_txn_abort(txn);
    if (sc.n == 0)
        return;
    txn = store_begin(rt->store, 0);
    if (!txn)
        return;
    static char dead[LEASE_SCAN_MAX];
    for (int i = 0; i < sc.n; i++) {
        int rc = journal_mark_dispatched(rt->store, txn, sc.ids[i], sc.now,
                                         (uint32_t)rt->cfg.journal_max_attempts + 1);
        dead[i] = rc == 1;
    }
    if (store_commit(txn) != 0)
        return;
    txn = store_begin(rt->store, 1);
    if (!txn)
        return;
    for (int i = 0; i < sc.n; i++) {
        journal_row_t row;
        if (journal_get(rt->store, txn, sc.ids[i], &row) != 0)
            continue;
        char jid[24];
        snprintf(jid, sizeof jid, "%llu", (unsigned long long)row.id);
        if (dead[i]) {
            d->n_dead++;
            log_error("journal.dead", "journal_id", jid, "transaction_id", row.transaction_id,
                      "message_id", row.message_id, "why", "not done after every attempt", NULL);
            continue;
        }
        journal_pending_t p;
        journal_pending_get(rt->store, txn, row.id, &p);
        envelope_t e = {.kind = ENVELOPE_REQUEST,
                        .id = row.id,
                        .received_ms = (uint64_t)row.received_ms,
                        .attempt = (uint16_t)p.attempts};
        snprintf(e.action, sizeof e.action, "%s", context_action_name((action_t)row.action));
        snprintf(e.sender, sizeof e.sender, "%s", row.sender);
        if (s_route(d, &e, row.body, row.body_len) == 0) {
            d->n_redispatched++;
            log_info("journal.redispatch", "journal_id", jid, "transaction_id", row.transaction_id,
                     "message_id", row.message_id, NULL);
        }
    }
    mdb_txn_abort(txn);
}

/* s_janitor - prune journal and outbox rows past retention, in slices so no
 * write transaction is long. */
static void s_janitor(dispatcher_t *d)
{
    runtime_t *rt = d->rt;
    int64_t before = loop_wall_ms() - (int64_t)rt->cfg.retention_s * 1000;
    MDB_txn *txn = store_begin(rt->store, 0);
    if (!txn)
        return;
    int nj = journal_prune(rt->store, txn, before, 2000);
    int no = outbox_prune(rt->store, txn, before, 2000);
    if (store_commit(txn) == 0 && (nj || no)) {
        char a[16], b[16];
        snprintf(a, sizeof a, "%d", nj);
        snprintf(b, sizeof b, "%d", no);
        log_info("janitor.pruned", "journal", a, "outbox", b, NULL);
    }
}

static void s_cron(runtime_t *rt)
{
    dispatcher_t *d = rt->state;
    s_lease_scan(d);
    int64_t now = loop_now_ms();
    if (now - d->last_janitor_ms > 60000) {
        d->last_janitor_ms = now;
        store_reader_check(rt->store);
        s_janitor(d);
    }
}

static int s_init(runtime_t *rt)
{
    dispatcher_t *d = &s_d;
    d->rt = rt;
    rt->state = d;
    d->pull = zsock_new(rt->zctx, ZMQ_PULL, rt->cfg.ep_dispatcher, 1, rt->cfg.zmq_hwm, 0);
    if (!d->pull)
        return -1;
    for (int f = 0; f < FAMILY_COUNT; f++) {
        d->push[f] = zsock_new(rt->zctx, ZMQ_PUSH, rt->cfg.ep_family[f], 1, rt->cfg.zmq_hwm, 0);
        if (!d->push[f])
            return -1;
    }
    d->last_janitor_ms = loop_now_ms();
    return zsock_watch(rt->loop, d->pull, s_on_pull, d);
}

static void s_fini(runtime_t *rt)
{
    dispatcher_t *d = rt->state;
    if (!d)
        return;
    if (d->pull)
        zmq_close(d->pull);
    for (int f = 0; f < FAMILY_COUNT; f++)
        if (d->push[f])
            zmq_close(d->push[f]);
}

static const runtime_role_t s_role = {
    .name = "dispatcher",
    .needs_store = 1,
    .cron_ms = 1000,
    .init = s_init,
    .cron = s_cron,
    .fini = s_fini,
};

int main(int argc, char **argv)
{
    return runtime_main(&s_role, argc, argv);
}
