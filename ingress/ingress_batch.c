/*
 * ingress_batch.c - the group commit: journal before ACK.
 *
 * Requests that passed their checks wait here, suspended. Once per loop
 * iteration (before sleeping) the whole batch goes into one LMDB write
 * transaction: dedupe against "seen", a journal row and its pending mark per
 * new request. Only after the commit returns are the connections resumed
 * with ACK and the envelopes pushed to the dispatcher. A commit that fails,
 * or a backlog past backlog_limit, answers 503 NACK: nothing is ACKed that
 * is not on disk. A push that fails is harmless: the row is pending, and
 * the dispatcher's lease scan sends it on.
 */
#include "ingress.h"

#include "ack.h"
#include "context.h"
#include "envelope.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ingress_batch_add(ingress_t *in, req_t *r)
{
    r->next = NULL;
    *in->batch_tail = r;
    in->batch_tail = &r->next;
    in->batch_n++;
}

static void s_answer(req_t *r, int status, const ondc_err_t *err)
{
    r->status = status;
    r->answer = err ? ack_nack_body(err) : NULL;
    r->www_auth = 0;
    r->state = REQ_DONE;
}

void ingress_batch_commit(ingress_t *in)
{
    if (!in->batch)
        return;
    req_t *batch = in->batch;
    in->batch = NULL;
    in->batch_tail = &in->batch;
    in->batch_n = 0;
    store_t *st = in->rt->store;
    ondc_err_t busy;
    err_set(&busy, ERR_TYPE_CORE, 503, ERR_INTERNAL, "",
            "request could not be made durable; retry shortly");

    int n = 0, fresh = 0;
    for (req_t *r = batch; r; r = r->next)
        n++;
    MDB_txn *txn = store_begin(st, 0);
    MDB_stat ps;
    size_t backlog = (txn && mdb_stat(txn, st->dbi[DB_JPENDING], &ps) == 0) ? ps.ms_entries : 0;
    int ok = txn != NULL;
    int rc = 0;
    for (req_t *r = batch; r && ok; r = r->next) {
        r->row.id = 0;
        uint64_t prior = 0;
        int seen = journal_seen_lookup(st, txn, r->row.sender, r->row.message_id, r->digest, &prior);
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
        if (rc == 0 && journal_seen(st, txn, r->row.sender, r->row.message_id, r->digest,
                                    r->row.id, NULL) != SEEN_NEW)
            rc = MDB_BAD_TXN; /* a put in "seen" failed (map full, most likely) */
        if (rc != 0) {
            log_error("journal.append_failed", "error", mdb_strerror(rc), NULL);
            ok = 0;
            break;
        }
        backlog++;
        fresh++;
        s_answer(r, 200, NULL);
    }
    if (ok && store_commit(txn) != 0)
        ok = 0;
    else if (!ok && txn)
        mdb_txn_abort(txn);
    in->n_commits++;
    if (log_enabled(LOG_DEBUG)) {
        /* one line per group commit: how many requests shared it */
        char nb[16], fb[16];
        snprintf(nb, sizeof nb, "%d", n);
        snprintf(fb, sizeof fb, "%d", ok ? fresh : 0);
        log_debug("journal.commit", "requests", nb, "journaled", fb, "result",
                  ok ? "ok" : "failed", NULL);
    }

    for (req_t *r = batch, *next; r; r = next) {
        next = r->next;
        if (!ok) {
            /* nothing of this batch is on disk: no ACK may leave */
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
