/*
 * ingress_batch.c - the group commit: journal before ACK.
 *
 * Requests that passed their checks wait here, suspended. The batch goes to
 * the commit thread, which writes it in one LMDB write transaction (a
 * dedupe look-up, then a journal row, its pending mark, its transaction
 * index and dedupe entry per new request) and commits it (with
 * journal_sync "fsync", its pages flushed under the write lock and its
 * meta page right after, outside it); the loop meanwhile goes on reading and verifying
 * the next requests, which form the next batch. When
 * the commit returns, the thread wakes the loop (an eventfd) and the loop
 * resumes the connections with their answers and pushes the envelopes to
 * the dispatcher: nothing is ACKed before it is on disk, and the verifying
 * never waits for the disk. A commit that fails, or a backlog past
 * backlog_limit, answers 503 NACK. A push that fails is harmless: the row
 * is pending, and the dispatcher's lease scan sends it on.
 *
 * Threads: the loop owns everything but the batch in the thread's hands
 * (its req_t are suspended connections the loop does not touch until the
 * batch comes back); ZeroMQ sockets, MHD and the counters stay in the loop.
 */
#include "ingress.h"

#include "ack.h"
#include "clock.h"
#include "context.h"
#include "envelope.h"
#include "log.h"
#include "metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct ingress_commit_s {
    pthread_t th;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    req_t *todo, **todo_tail; /* waiting for the thread: the next batch */
    req_t *done, **done_tail; /* committed batches (first requests, on
                               * bnext) not yet collected, oldest first */
    int held;                 /* requests queued, in hand or in DONE */
    int stop;
    int efd; /* the thread -> the loop: DONE has a batch */
};

/* s_forwarded - a gateway's search is journaled as the buyer app's
 * Authorization, a newline, then the search as received (verified and
 * hashed already): the gateway worker forwards both (family_gateway.c).
 * Out of memory: left as it is, and the worker finds no header to forward. */
static void s_forwarded(req_t *r)
{
    size_t al = strlen(r->fwd_auth);
    char *b = malloc(al + 1 + r->len + 1);
    if (!b)
        return;
    memcpy(b, r->fwd_auth, al);
    b[al] = '\n';
    memcpy(b + al + 1, r->body, r->len);
    b[al + 1 + r->len] = '\0';
    free(r->body);
    r->body = b;
    r->len += al + 1;
    r->cap = r->len + 1;
    r->row.body = r->body;
    r->row.body_len = r->len;
    free(r->fwd_auth);
    r->fwd_auth = NULL;
}

void ingress_batch_add(ingress_t *in, req_t *r)
{
    ingress_commit_t *c = in->commit;
    if (r->fwd_auth)
        s_forwarded(r);
    r->next = NULL;
    pthread_mutex_lock(&c->mu);
    *c->todo_tail = r;
    c->todo_tail = &r->next;
    c->held++;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void s_answer(req_t *r, int status, const ondc_err_t *err)
{
    r->status = status;
    r->answer = err ? ack_nack_body(err) : NULL;
    r->www_auth = 0;
    r->state = REQ_DONE;
}

/* s_write - the thread's part: BATCH into the journal in one transaction.
 * Sets each request's answer (ACK, duplicate, 400 conflict, 503 backlog)
 * and journal id; returns 1 when the commit succeeded, 0 when nothing of
 * the batch is on disk. With FLUSHED 0 the commit leaves its meta page
 * unflushed (store_commit_unflushed) and *WROTE says whether it wrote a
 * page at all (an empty commit flushes nothing). *LOCK_MS: how long it
 * waited for the write lock. */
static int s_write(ingress_t *in, req_t *batch, int flushed, int *wrote, double *commit_ms,
                   double *lock_ms)
{
    store_t *st = in->rt->store;
    int n = 0, fresh = 0;
    for (req_t *r = batch; r; r = r->next)
        n++;
    MDB_txn *txn = store_begin_write(st, 1, lock_ms);
    size_t backlog = txn ? journal_backlog(st, txn) : 0; /* dead rows do not count */
    int ok = txn != NULL;
    int rc = 0;
    for (req_t *r = batch; r && ok; r = r->next) {
        r->row.id = 0;
        uint64_t prior = 0;
        /* an on_* (buyer role): its pages share a message_id, so the body
         * counts too - an identical repeat is still a duplicate */
        char dmid[300];
        const char *mid = r->row.message_id;
        if (r->dedupe_by_body) {
            int k = snprintf(dmid, sizeof dmid, "%.255s#", r->row.message_id);
            for (int j = 0; j < 8 && k > 0 && (size_t)k + 2 < sizeof dmid; j++, k += 2)
                snprintf(dmid + k, sizeof dmid - (size_t)k, "%02x", r->digest[j]);
            mid = dmid;
        }
        int seen = journal_seen_lookup(st, txn, r->row.transaction_id, r->row.sender, mid,
                                       r->digest, &prior);
        if (seen == SEEN_DUPLICATE) {
            /* the same message again: ACK, do not process it twice */
            s_answer(r, 200, NULL);
            continue;
        }
        if (seen == SEEN_CONFLICT) {
            ondc_err_t err;
            err_set(&err, ERR_TYPE_CONTEXT, 400, ERR_INVALID_REQUEST, "context.message_id",
                    "message_id was already used for a different request");
            s_answer(r, 400, &err);
            continue;
        }
        if (seen < 0) {
            log_error("journal.seen_failed", NULL);
            ok = 0;
            break;
        }
        if (backlog >= (size_t)in->rt->cfg.backlog_limit) {
            ondc_err_t err;
            err_set(&err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "", "overloaded; retry shortly");
            s_answer(r, 503, &err);
            continue;
        }
        rc = journal_append(st, txn, &r->row, &r->row.id);
        if (rc == 0 && journal_seen(st, txn, r->row.transaction_id, r->row.sender, mid,
                                    r->digest, r->row.id, NULL) != SEEN_NEW)
            rc = MDB_BAD_TXN; /* the dedupe put failed (map full, most likely) */
        if (rc != 0) {
            log_error("journal.append_failed", "error", mdb_strerror(rc), NULL);
            ok = 0;
            break;
        }
        backlog++;
        fresh++;
        s_answer(r, 200, NULL);
    }
    if (wrote)
        *wrote = ok && fresh > 0;
    if (ok && (flushed ? store_commit_timed(txn, commit_ms)
                       : store_commit_unflushed(txn, commit_ms)) != 0)
        ok = 0;
    else if (!ok && txn)
        mdb_txn_abort(txn);
    if (log_enabled(LOG_DEBUG)) {
        /* one line per group commit: how many requests shared it */
        char nb[16], fb[16];
        snprintf(nb, sizeof nb, "%d", n);
        snprintf(fb, sizeof fb, "%d", ok ? fresh : 0);
        log_debug("journal.commit", "requests", nb, "journaled", fb, "result",
                  ok ? "ok" : "failed", NULL);
    }
    return ok;
}

/* s_finish - the loop's part once BATCH is committed (OK) or not: answer,
 * resume and forward each request. */
static void s_finish(ingress_t *in, req_t *batch, int ok, double commit_ms, double lock_ms)
{
    if (commit_ms > 0)
        metrics_observe("ondc_store_commit_seconds", "", commit_ms);
    metrics_observe("ondc_store_lock_wait_seconds", "", lock_ms);
    ondc_err_t busy;
    err_set(&busy, ERR_TYPE_CORE, 503, ERR_INTERNAL, "",
            "request could not be made durable; retry shortly");
    in->n_commits++;
    for (req_t *r = batch, *next; r; r = next) {
        next = r->next;
        if (!ok) {
            /* nothing of this batch is on disk: no ACK may leave */
            free(r->answer);
            s_answer(r, 503, &busy);
            r->row.id = 0;
        }
        if (r->row.id) {
            in->n_ack++;
            ingress_count(in, r->action, "ack", NULL, r->started_ms);
            envelope_t e = {.kind = ENVELOPE_REQUEST, .id = r->row.id,
                            .received_ms = (uint64_t)r->row.received_ms};
            snprintf(e.action, sizeof e.action, "%s", context_action_name((action_t)r->action));
            snprintf(e.sender, sizeof e.sender, "%s", r->row.sender);
            if (envelope_send(in->push, &e, r->body, r->len) < 0)
                in->n_push_fail++;
            if (log_enabled(LOG_DEBUG)) {
                char jid[24];
                snprintf(jid, sizeof jid, "%llu", (unsigned long long)r->row.id);
                log_debug("request.ack", "action", e.action, "transaction_id",
                          r->row.transaction_id, "message_id", r->row.message_id, "journal_id",
                          jid, NULL);
            }
        } else if (r->status == 200) {
            in->n_dup++;
            ingress_count(in, r->action, "duplicate", NULL, r->started_ms);
            log_info("request.duplicate", "transaction_id", r->row.transaction_id, "message_id",
                     r->row.message_id, NULL);
        } else {
            in->n_nack++;
            const char *code = r->status == 400 ? ERR_INVALID_REQUEST : ERR_INTERNAL;
            ingress_count(in, r->action, "nack", code, 0);
            log_info("request.nack", "action", context_action_name((action_t)r->action), "code",
                     code, "status", r->status == 400 ? "400" : "503", "transaction_id",
                     r->row.transaction_id, "message_id", r->row.message_id, NULL);
        }
        r->next = NULL;
        MHD_resume_connection(r->conn);
    }
    in->resumed = 1;
}

/* s_release - BATCH goes back to the loop (C->mu held) */
static void s_release(ingress_commit_t *c, req_t *batch, int ok, double ms, double lock_ms)
{
    batch->batch_ok = ok;
    batch->batch_ms = ms;
    batch->batch_lock_ms = lock_ms;
    batch->bnext = NULL;
    int wake = c->done == NULL;
    *c->done_tail = batch;
    c->done_tail = &batch->bnext;
    pthread_cond_broadcast(&c->cv);
    uint64_t one = 1;
    if (wake && write(c->efd, &one, sizeof one) < 0) {
        /* the counter cannot overflow here; the loop also polls */
    }
}

/* s_thread - the commit thread. Whatever waits is the next batch (the
 * requests that came in while the last commit was on its way to disk), so
 * a commit starts the moment the last one ends, whatever the loop does.
 * The commit flushes its pages under the write lock (MDB_NOMETASYNC); its
 * meta page is flushed at once after it, outside the lock, and the batch
 * goes back to be answered. (Leaving that flush to the next commit saves
 * one fdatasync a commit, but then every ACK waits for a second turn at
 * the write lock, behind whatever worker holds it: under load that costs
 * more than the flush.) A commit that wrote nothing (duplicates, NACKs)
 * flushes nothing. */
static void *s_thread(void *arg)
{
    ingress_t *in = arg;
    ingress_commit_t *c = in->commit;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->todo && !c->stop)
            pthread_cond_wait(&c->cv, &c->mu);
        if (!c->todo)
            break; /* stop, nothing waits */
        req_t *batch = c->todo;
        c->todo = NULL;
        c->todo_tail = &c->todo;
        pthread_mutex_unlock(&c->mu);
        double ms = 0, lock_ms = 0;
        int wrote = 0;
        int ok = s_write(in, batch, 0, &wrote, &ms, &lock_ms);
        if (ok && wrote) {
            int64_t t0 = clock_mono_ns();
            ok = store_flush(in->rt->store) == 0;
            ms += clock_ms_since(t0);
        }
        pthread_mutex_lock(&c->mu);
        s_release(c, batch, ok, ms, lock_ms);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static void s_on_event(loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)events;
    uint64_t v;
    if (read(fd, &v, sizeof v) < 0) {
        /* EAGAIN: already read */
    }
    ingress_batch_collect(arg);
}

int ingress_batch_init(ingress_t *in)
{
    ingress_commit_t *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    in->commit = c;
    c->todo_tail = &c->todo;
    c->done_tail = &c->done;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->efd < 0 || loop_add_fd(in->rt->loop, c->efd, EPOLLIN, s_on_event, in) < 0) {
        log_errno(LOG_ERROR, "ingress.commit_thread", NULL);
        return -1;
    }
    if (pthread_create(&c->th, NULL, s_thread, in) != 0) {
        log_error("ingress.commit_thread", "why", "cannot start the commit thread", NULL);
        return -1;
    }
    c->started = 1;
    return 0;
}

void ingress_batch_collect(ingress_t *in)
{
    ingress_commit_t *c = in->commit;
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    req_t *done = c->done;
    c->done = NULL;
    c->done_tail = &c->done;
    pthread_mutex_unlock(&c->mu);
    for (req_t *b = done, *next; b; b = next) {
        next = b->bnext;
        b->bnext = NULL;
        int n = 0;
        for (req_t *r = b; r; r = r->next)
            n++;
        s_finish(in, b, b->batch_ok, b->batch_ms, b->batch_lock_ms);
        pthread_mutex_lock(&c->mu);
        c->held -= n;
        pthread_mutex_unlock(&c->mu);
    }
}

int ingress_batch_busy(const ingress_t *in)
{
    ingress_commit_t *c = in->commit;
    if (!c)
        return 0;
    pthread_mutex_lock(&c->mu);
    int held = c->held;
    pthread_mutex_unlock(&c->mu);
    return held > 0;
}

void ingress_batch_fini(ingress_t *in)
{
    ingress_commit_t *c = in->commit;
    if (!c)
        return;
    if (c->started) {
        /* what is in hand or waiting is committed and answered before we go */
        pthread_mutex_lock(&c->mu);
        while (c->held > 0) {
            while (!c->done)
                pthread_cond_wait(&c->cv, &c->mu);
            pthread_mutex_unlock(&c->mu);
            ingress_batch_collect(in);
            pthread_mutex_lock(&c->mu);
        }
        c->stop = 1;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->th, NULL);
    } else {
        /* no thread: commit what waits in the loop */
        req_t *batch = c->todo;
        c->todo = NULL;
        if (batch) {
            double ms = 0, lock_ms = 0;
            int ok = s_write(in, batch, 1, NULL, &ms, &lock_ms);
            s_finish(in, batch, ok, ms, lock_ms);
        }
    }
    if (c->efd >= 0) {
        loop_del_fd(in->rt->loop, c->efd);
        close(c->efd);
    }
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
    in->commit = NULL;
}
