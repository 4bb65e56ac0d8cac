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
#include "backoff.h"
#include "context.h"
#include "clock.h"
#include "envelope.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "retain.h"
#include "runtime.h"
#include "zendpoint.h"
#include "zwatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEASE_SCAN_MAX 4096

typedef struct {
    runtime_t *rt;
    zsock_t *pull;
    zsock_t *push[FAMILY_COUNT];
    zwatch_t *watch; /* PULL in the loop */
    int64_t last_janitor_ms;
    int64_t started_ms;
    int swept;        /* the start-up sweep of every pending row is done */
    int janitor_ran;  /* the janitor runs at the first cron, then every minute */
    int janitor_more; /* ... and at the next cron while rows past retention are left */
    int janitor_pruned; /* ... or while the last run pruned any */
    int64_t last_reader_check_ms;
    retain_pos_t txn_pos; /* where the janitor's walk of DB_TXN goes on */
    uint64_t n_routed, n_dropped, n_redispatched, n_dead, n_bad;
} dispatcher_t;

static dispatcher_t s_d;

/* s_route - send one request envelope with its body frame *BODY_P to its
 * family; ownership of the frame passes (sent or destroyed, NULLed either
 * way). 0 or -1 (dropped). */
static int s_route(dispatcher_t *d, const envelope_t *e, zframe_t **body_p)
{
    /* a buyer action, an on_* (buyer role) or gw_search (gateway role) */
    int a = context_any_action_parse(e->action);
    if (a < 0) {
        d->n_bad++;
        log_warn("dispatch.unknown_action", "action", e->action, NULL);
        zframe_destroy(body_p);
        return -1;
    }
    zsock_t *out = d->push[context_action_family((action_t)a)];
    if (envelope_send_frame(out, e, body_p) < 0) {
        /* no worker connected or its queue is full: the row stays pending
         * and the lease scan sends it again */
        d->n_dropped++;
        return -1;
    }
    d->n_routed++;
    return 0;
}

static int s_on_pull(zsock_t *sock, void *arg)
{
    dispatcher_t *d = arg;
    envelope_t e;
    zframe_t *body;
    int rc = envelope_recv(sock, &e, &body);
    if (rc < 0) {
        d->n_bad++;
        log_warn("dispatch.bad_envelope", NULL);
    } else if (rc > 0) {
        /* the body frame goes on as it came: no copy */
        if (e.kind == ENVELOPE_REQUEST)
            s_route(d, &e, &body);
        else
            d->n_bad++;
    }
    zframe_destroy(&body);
    return rc != 0;
}

/* s_lease_of - how long a row dispatched ATTEMPTS times so far may stay
 * undone before it is sent again: journal_lease_ms, doubled for each
 * re-dispatch (at most 16 times it). A row is re-sent because its worker
 * died or its message was lost in a dead process's queue, or merely because
 * the workers are behind: doubling keeps the latter from using up
 * journal_max_attempts (which exists to stop a message that kills its
 * worker every time) while a backlog drains. */
static int64_t s_lease_of(int64_t lease, uint32_t attempts)
{
    const backoff_t p = {.base_ms = lease, .max_doublings = 4};
    return backoff_wait(&p, attempts, 0, BACKOFF_NO_TTL, 0);
}

typedef struct {
    int64_t now, lease;
    int sweep; /* the first scan after start: every pending row */
    uint64_t ids[LEASE_SCAN_MAX];
    uint32_t attempts[LEASE_SCAN_MAX];
    int64_t received[LEASE_SCAN_MAX]; /* the pending entry's (a replay's: its own) */
    char due[LEASE_SCAN_MAX];
    int n;
} s_scan_t;

static int s_collect(const journal_pending_t *p, void *arg)
{
    s_scan_t *sc = arg;
    int due = sc->now - p->dispatched_ms >= s_lease_of(sc->lease, p->attempts);
    if (due || sc->sweep) {
        sc->ids[sc->n] = p->id;
        sc->attempts[sc->n] = p->attempts;
        sc->received[sc->n] = p->received_ms;
        sc->due[sc->n] = (char)due;
        sc->n++;
    }
    return sc->n >= LEASE_SCAN_MAX;
}

/* s_lease_scan - send again every journal row not done within its lease.
 *
 * An attempt is counted only for a row actually handed to a worker socket:
 * while every worker of a family is down the send fails, and the row stays
 * due (tried again each second) without coming closer to "dead". A row whose
 * lease ran out journal_max_attempts times is marked dead (journal.dead;
 * `ondcctl replay ID` brings it back). The first scan after start (SWEEP)
 * also sends the rows whose lease has not run out, without counting them:
 * whatever the previous dispatcher held in its queues died with it, and a
 * worker skips a row that is already done, so a second copy costs nothing.
 * Returns how many rows of the sweep found no worker socket. */
static int s_lease_scan(dispatcher_t *d, int sweep)
{
    runtime_t *rt = d->rt;
    static s_scan_t sc;
    static char sent[LEASE_SCAN_MAX], dead[LEASE_SCAN_MAX];
    sc.now = clock_wall_ms();
    sc.lease = rt->cfg.journal_lease_ms;
    sc.sweep = sweep;
    sc.n = 0;
    MDB_txn *txn = store_begin(rt->store, 1);
    if (!txn)
        return 0;
    journal_pending_each(rt->store, txn, s_collect, &sc);
    int nsent = 0, ndead = 0, missed = 0, nrecovered = 0;
    for (int i = 0; i < sc.n; i++) {
        sent[i] = dead[i] = 0;
        journal_row_t row;
        int grc = journal_get(rt->store, txn, sc.ids[i], &row);
        if (grc == MDB_CORRUPTED) {
            /* a row that cannot be read (its packed body damaged) can never
             * be handled: dead at once, kept as it is for the operator, the
             * other rows go on */
            char jid[24];
            snprintf(jid, sizeof jid, "%llu", (unsigned long long)sc.ids[i]);
            log_error("journal.dead", "journal_id", jid, "why", "row cannot be read",
                      "error", mdb_strerror(grc), NULL);
            journal_row_clear(&row);
            dead[i] = 2; /* dead with this attempt, whatever the count */
            ndead++;
            d->n_dead++;
            continue;
        }
        if (grc != 0) {
            journal_row_clear(&row);
            continue;
        }
        char jid[24];
        snprintf(jid, sizeof jid, "%llu", (unsigned long long)row.id);
        if (sc.due[i] && sc.attempts[i] >= (uint32_t)rt->cfg.journal_max_attempts) {
            dead[i] = 1;
            ndead++;
            d->n_dead++;
            log_error("journal.dead", "journal_id", jid, "transaction_id", row.transaction_id,
                      "message_id", row.message_id, "why", "not done after every attempt", NULL);
            journal_row_clear(&row);
            continue;
        }
        envelope_t e = {.kind = ENVELOPE_REQUEST,
                        .id = row.id,
                        .received_ms = (uint64_t)sc.received[i],
                        .attempt = (uint16_t)(sc.attempts[i] + sc.due[i])};
        snprintf(e.action, sizeof e.action, "%s", context_action_name((action_t)row.action));
        snprintf(e.sender, sizeof e.sender, "%s", row.sender);
        /* the row's body is the store's, valid in this transaction: copied
         * into the frame */
        zframe_t *body = zframe_new(row.body, row.body_len);
        journal_row_clear(&row);
        if (!body || s_route(d, &e, &body) != 0) {
            missed++; /* no worker to take it: tried again next second */
            continue;
        }
        d->n_redispatched++;
        if (!sc.due[i]) {
            nrecovered++;
            continue;
        }
        sent[i] = 1;
        nsent++;
        log_info("journal.redispatch", "journal_id", jid, "transaction_id", row.transaction_id,
                 "message_id", row.message_id, NULL);
    }
    mdb_txn_abort(txn);
    if (nrecovered) {
        char nb[16];
        snprintf(nb, sizeof nb, "%d", nrecovered);
        log_info("journal.recovered", "rows", nb, "why", "sent again at start", NULL);
    }
    if (!nsent && !ndead)
        return missed;
    /* count the attempts; a row a worker finished meanwhile has no pending
     * mark any more and is left alone (journal_mark_dispatched) */
    txn = store_begin(rt->store, 0);
    if (!txn)
        return missed;
    for (int i = 0; i < sc.n; i++) {
        if (sent[i])
            journal_mark_dispatched(rt->store, txn, sc.ids[i], sc.now, UINT32_MAX);
        else if (dead[i])
            journal_mark_dispatched(rt->store, txn, sc.ids[i], sc.now,
                                    dead[i] == 2 ? 1 : (uint32_t)rt->cfg.journal_max_attempts);
    }
    store_commit(txn);
    return missed;
}

#define JANITOR_SLICE 200
#define JANITOR_BUDGET_MS 200

/* s_janitor - prune journal and outbox rows and transaction states past
 * retention (retain.h), in slices of their own write transaction so no
 * transaction is long, for at most JANITOR_BUDGET_MS of this loop turn.
 * Returns 1 when rows past retention are left (the caller runs it again at
 * the next cron, not in a minute: at a steady rate above one slice a
 * minute it would never catch up), and *PRUNED whether it deleted any.
 * A slice deletes each row's entries in five databases, most of them at
 * random keys (the transaction index, the dedupe entry), holding the write
 * lock the ingress's ACKs wait for, so a slice is kept short (how long one
 * takes: docs/performance-log.md); old leaf pages read from disk on a store
 * larger than the page cache make it longer. Each slice lets a waiting
 * ingress have the lock first (store_begin_write). */
static int s_janitor(dispatcher_t *d, int *pruned)
{
    runtime_t *rt = d->rt;
    int64_t t0 = clock_wall_ms();
    retain_cut_t cut = retain_cutoffs(&rt->cfg, t0, -1);
    int nj = 0, no = 0, nt = 0, more = 0;
    for (;;) {
        double lock_ms = 0, commit_ms = 0;
        MDB_txn *txn = store_begin_write(rt->store, 0, &lock_ms);
        if (!txn)
            break;
        metrics_observe("ondc_store_lock_wait_seconds", "", lock_ms);
        retain_pos_t pos = d->txn_pos;
        retain_done_t r = retain_slice(rt->store, txn, &cut, JANITOR_SLICE, &pos);
        if (store_commit_timed(txn, &commit_ms) != 0)
            break;
        d->txn_pos = pos;
        metrics_observe("ondc_store_commit_seconds", "", commit_ms);
        nj += r.journal;
        no += r.outbox;
        nt += r.txn;
        more = r.more;
        if (!more || clock_wall_ms() - t0 >= JANITOR_BUDGET_MS)
            break;
    }
    *pruned = nj || no || nt;
    if (nj || no || nt) {
        char a[16], b[16], c[16];
        snprintf(a, sizeof a, "%d", nj);
        snprintf(b, sizeof b, "%d", no);
        snprintf(c, sizeof c, "%d", nt);
        log_info("janitor.pruned", "journal", a, "outbox", b, "txn", c, "more",
                 more ? "yes" : "no", NULL);
    }
    return more;
}

static void s_cron(runtime_t *rt)
{
    dispatcher_t *d = rt->state;
    int64_t now = clock_mono_ms();
    int missed = s_lease_scan(d, !d->swept);
    /* the start-up sweep is over once every row found a worker socket (or
     * after 10 s, if a family has no worker at all) */
    if (!d->swept && (missed == 0 || now - d->started_ms > 10000))
        d->swept = 1;
    if (rt->store->nosync)
        mdb_env_sync(rt->store->env, 1); /* journal_sync nosync: bound what a power loss takes */
    /* while it finds rows to prune (a steady load: each second's rows pass
     * retention a second later) the janitor runs every cron, so the store
     * holds retention_s of traffic, not a minute more: the pages it frees
     * are reused at once rather than the file growing by a minute's rows */
    if (d->janitor_more || d->janitor_pruned || !d->janitor_ran ||
        now - d->last_janitor_ms > 60000) {
        if (!d->janitor_more && now - d->last_reader_check_ms > 60000) {
            store_reader_check(rt->store);
            d->last_reader_check_ms = now;
        }
        d->janitor_ran = 1;
        d->last_janitor_ms = now;
        d->janitor_more = s_janitor(d, &d->janitor_pruned);
    }
}

/* s_bound - a socket of TYPE bound at ENDPOINT, or NULL (logged). Linger
 * 0: what it holds at exit is pending in the journal, sent again by the
 * next dispatcher's sweep. */
static zsock_t *s_bound(const cfg_t *cfg, int type, const char *endpoint)
{
    zsock_t *s = zsock_new(type);
    if (!s)
        return NULL;
    zsock_set_sndhwm(s, cfg->zmq_hwm);
    zsock_set_rcvhwm(s, cfg->zmq_hwm);
    zsock_set_linger(s, 0);
    if (zendpoint_attach(s, endpoint, 1) < 0)
        zsock_destroy(&s);
    return s;
}

static int s_init(runtime_t *rt)
{
    dispatcher_t *d = &s_d;
    d->rt = rt;
    rt->state = d;
    d->pull = s_bound(&rt->cfg, ZMQ_PULL, rt->cfg.ep_dispatcher);
    if (!d->pull)
        return -1;
    for (int f = 0; f < FAMILY_COUNT; f++) {
        d->push[f] = s_bound(&rt->cfg, ZMQ_PUSH, rt->cfg.ep_family[f]);
        if (!d->push[f])
            return -1;
    }
    d->started_ms = d->last_janitor_ms = clock_mono_ms();
    d->watch = zwatch_new(rt->loop, d->pull, s_on_pull, d);
    return d->watch ? 0 : -1;
}

static void s_fini(runtime_t *rt)
{
    dispatcher_t *d = rt->state;
    if (!d)
        return;
    zwatch_destroy(&d->watch);
    zsock_destroy(&d->pull);
    for (int f = 0; f < FAMILY_COUNT; f++)
        zsock_destroy(&d->push[f]);
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
