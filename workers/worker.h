/*
 * worker.h - one worker runtime, one file of handlers per family.
 *
 * worker_process takes one request (journal id + raw body) inside the
 * batch's LMDB write transaction: it marks the journal row done (skipping
 * the message if it already was: a re-dispatch), runs the family's handler
 * in a nested transaction (rolled back if the handler reports an error, so
 * a refused request changes nothing), and writes the on_* into the outbox.
 * The caller commits the batch and then tells the callback process.
 */
#ifndef ONDC_WORKER_H
#define ONDC_WORKER_H

#include "cfg.h"
#include "context.h"
#include "envelope.h"
#include "err.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

#define WORKER_EXTRA_MAX 4

typedef struct worker_msg {
    store_t *store;
    MDB_txn *txn; /* the handler's (nested) write transaction */
    const cfg_t *cfg;
    uint64_t journal_id;
    int action;
    json_t *req;   /* the whole request (borrowed) */
    json_t *ctx;   /* req.context (borrowed) */
    json_t *order; /* req.message.order, if any (borrowed) */
    int64_t now_ms;
    const char *body; /* the request's bytes as received (borrowed) */
    size_t body_len;
    const char *fwd_auth; /* gw_search: the buyer app's Authorization (borrowed) */
    size_t fwd_auth_len;
    struct worker_out_s *out; /* rows the handler writes itself to tell the
                               * callback of (worker_out_add_row), or NULL */
    json_t *message; /* the reply's message (the handler sets it; owned) */
    json_t *more;    /* further replies, owned array of {"message", "context"?}:
                      * more pages of a solicited on_*, or unsolicited on_*
                      * with their own context (written after the reply) */
    int no_reply;    /* 1: the request is answered by no on_* (a search with no match) */
    /* a write the handler asks for, made in the transaction that writes
     * the reply (a read-only family's handler cannot write); FINISH_ARG is
     * owned and freed with the message */
    int (*finish)(struct worker_msg *m, MDB_txn *txn);
    json_t *finish_arg;
    ondc_err_t err;
    int has_err;
} worker_msg_t;

/* the outbox rows a batch wrote: the callback process is told of each */
typedef struct worker_out_s {
    uint64_t *ids;
    char **rows;      /* a copy of each row's stored bytes (or NULL): sent
                       * with the notice, so the callback process need not
                       * read it back */
    size_t *row_lens;
    size_t n, cap;
} worker_out_t;

/* worker_out_add_row - remember outbox row ID with a copy of its bytes as
 * written in TXN; -1 when out of memory. */
int worker_out_add_row(worker_out_t *o, store_t *s, MDB_txn *txn, uint64_t id);

/* worker_out_reset - empty O (rows not sent are freed). */
void worker_out_reset(worker_out_t *o);

/* worker_out_free - free what O holds. */
void worker_out_free(worker_out_t *o);

/* worker_out_add - remember outbox row ID; -1 when out of memory. */
int worker_out_add(worker_out_t *o, uint64_t id);

typedef int (*worker_handler_fn)(worker_msg_t *m);

typedef struct {
    family_t family;
    int read_only; /* handlers only read the store: they run in a read
                    * transaction, outside the write lock (worker_prepare) */
    worker_handler_fn handlers[ACT_COUNT];
    /* the buyer and gateway families: one handler for every action they
     * get (on_*, gw_search); NULL: HANDLERS by action */
    worker_handler_fn any;
    /* the on_* a seller family takes, by action (an on_issue answering an
     * issue the seller raised) */
    worker_handler_fn answers[ACT_COUNT];
} worker_family_t;

extern const worker_family_t family_discovery;
extern const worker_family_t family_order;
extern const worker_family_t family_fulfillment;
extern const worker_family_t family_post;
extern const worker_family_t family_buyer;
extern const worker_family_t family_gateway;

/* worker_family - the handler table of family F. */
const worker_family_t *worker_family(family_t f);

/* worker_fail - record an ONDC error for the reply; returns 0 (the message
 * is handled: its on_* carries the error). */
int worker_fail(worker_msg_t *m, err_type_t type, const char *code, const char *path,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* worker_reply_more - queue a further reply MESSAGE (stolen) on M; CTX
 * (stolen) NULL for another page of the solicited on_*. */
void worker_reply_more(worker_msg_t *m, json_t *ctx, json_t *message);

/* worker_process - handle one request in TXN (see above). The new outbox
 * rows are added to OUT (none if the message was already done). Returns 0,
 * or -1 on a store failure (the caller aborts the batch and exits). */
int worker_process(const worker_family_t *fam, store_t *s, MDB_txn *txn, const cfg_t *cfg,
                   const envelope_t *e, const char *body, size_t len, int64_t now_ms,
                   worker_out_t *out);

/* worker_prepare - for a read-only family: run the handler of one request
 * in read transaction RTXN, leaving the reply in M (worker_finish writes
 * it). 0, 1 when the row cannot be answered (nothing to finish), -1 on a
 * store failure. A long search so never holds LMDB's write lock. */
int worker_prepare(const worker_family_t *fam, store_t *s, MDB_txn *rtxn, const cfg_t *cfg,
                   const envelope_t *e, const char *body, size_t len, int64_t now_ms,
                   worker_msg_t *m);

/* worker_finish - mark E done in write TXN and write M's on_* (skipped if
 * E was already done); frees M. 0, or -1 on a store failure. */
int worker_finish(store_t *s, MDB_txn *txn, const cfg_t *cfg, const envelope_t *e,
                  worker_msg_t *m, int64_t now_ms, worker_out_t *out);

/* worker_event - the seller's webhook hears EVENT about order record REC
 * (DATA borrowed, may be NULL): its outbox row written in M's transaction
 * and added to M's rows (webhook.h). Call it last on a handler's path of
 * success. 0 (also when no webhook is set), or -1 on a store failure. */
int worker_event(worker_msg_t *m, const char *event, json_t *rec, json_t *data);

/* what the acceptance window asks of an order now (worker_expiry_action) */
#define WORKER_EXPIRY_NONE 0
#define WORKER_EXPIRY_WARN 1   /* the webhook hears order.expiring */
#define WORKER_EXPIRY_REJECT 2 /* the window closed: rejected */

/* worker_expiry_action - for order record REC (may be NULL) at NOW_MS:
 * REJECT a Created order past accept_by_ms; WARN one due within
 * seller.accept_warn_s not warned of yet, when seller.webhook_url is
 * set; else NONE. */
int worker_expiry_action(json_t *rec, const cfg_t *cfg, int64_t now_ms);

/* worker_expiry_warn - order.expiring for REC in TXN (noted in the record,
 * so it is said once), its row added to OUT. 0 or -1. */
int worker_expiry_warn(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, int64_t now_ms,
                       worker_out_t *out);

/* worker_msg_free - release what M holds. */
void worker_msg_free(worker_msg_t *m);

#endif
