/*
 * worker_core.c - the shared part of every worker: mark done, handle,
 * write the on_*. See worker.h.
 */
#include "worker.h"

#include "ack.h"
#include "clock.h"
#include "journal.h"
#include "jparse.h"
#include "log.h"
#include "outbox.h"
#include "reply.h"
#include "metrics.h"
#include "order.h"
#include "webhook.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const worker_family_t *worker_family(family_t f)
{
    switch (f) {
    case FAMILY_DISCOVERY:
        return &family_discovery;
    case FAMILY_ORDER:
        return &family_order;
    case FAMILY_FULFILLMENT:
        return &family_fulfillment;
    case FAMILY_POST:
        return &family_post;
    case FAMILY_BUYER:
        return &family_buyer;
    case FAMILY_GATEWAY:
        return &family_gateway;
    default:
        return NULL;
    }
}

int worker_fail(worker_msg_t *m, err_type_t type, const char *code, const char *path,
                const char *fmt, ...)
{
    m->has_err = 1;
    m->err.type = type;
    m->err.http_status = 200;
    snprintf(m->err.code, sizeof m->err.code, "%s", code);
    snprintf(m->err.path, sizeof m->err.path, "%s", path ? path : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err.message, sizeof m->err.message, fmt, ap);
    va_end(ap);
    return 0;
}

static int s_unsupported(worker_msg_t *m)
{
    return worker_fail(m, ERR_TYPE_CORE, ERR_INTERNAL, "context.action",
                       "%s is not supported by this seller app yet",
                       context_action_name((action_t)m->action));
}

/* s_handler_of - FAM's handler of ACTION (one of another family's
 * actions, sent here by mistake: unsupported) */
static worker_handler_fn s_handler_of(const worker_family_t *fam, int action)
{
    if (fam->any)
        return fam->any;
    if (action >= 0 && action < ACT_COUNT && fam->handlers[action])
        return fam->handlers[action];
    if (action >= ACT_ON_BASE && action < ACT_ON_BASE + ACT_COUNT &&
        fam->answers[action - ACT_ON_BASE])
        return fam->answers[action - ACT_ON_BASE];
    return s_unsupported;
}

int worker_out_add(worker_out_t *o, uint64_t id)
{
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 64;
        uint64_t *ni = realloc(o->ids, nc * sizeof *ni);
        if (!ni)
            return -1;
        o->ids = ni;
        char **nr = realloc(o->rows, nc * sizeof *nr);
        if (!nr)
            return -1;
        o->rows = nr;
        size_t *nl = realloc(o->row_lens, nc * sizeof *nl);
        if (!nl)
            return -1;
        o->row_lens = nl;
        o->cap = nc;
    }
    o->rows[o->n] = NULL;
    o->row_lens[o->n] = 0;
    o->ids[o->n++] = id;
    return 0;
}

int worker_out_add_row(worker_out_t *o, store_t *s, MDB_txn *txn, uint64_t id)
{
    if (worker_out_add(o, id) < 0)
        return -1;
    MDB_val v;
    if (outbox_raw(s, txn, id, &v) == 0) {
        char *copy = malloc(v.mv_size);
        if (copy) {
            memcpy(copy, v.mv_data, v.mv_size);
            o->rows[o->n - 1] = copy;
            o->row_lens[o->n - 1] = v.mv_size;
        }
    }
    return 0;
}

void worker_out_reset(worker_out_t *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->rows[i]);
        o->rows[i] = NULL;
    }
    o->n = 0;
}

void worker_out_free(worker_out_t *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->rows[i]);
    free(o->ids);
    free(o->rows);
    free(o->row_lens);
    memset(o, 0, sizeof *o);
}

void worker_reply_more(worker_msg_t *m, json_t *ctx, json_t *message)
{
    if (!m->more)
        m->more = json_array();
    json_t *r = json_pack("{s:o}", "message", message ? message : json_object());
    if (ctx)
        json_object_set_new(r, "context", ctx);
    json_array_append_new(m->more, r);
}

/* s_parse - fill M from the request; -1 when the row cannot be answered. */
static int s_parse(worker_msg_t *m, store_t *s, const cfg_t *cfg, const envelope_t *e,
                   const char *body, size_t len, int64_t now_ms)
{
    memset(m, 0, sizeof *m);
    m->store = s;
    m->cfg = cfg;
    m->journal_id = e->id;
    m->now_ms = now_ms;
    m->action = context_any_action_parse(e->action);
    if (m->action == ACT_GW_SEARCH) {
        /* the ingress journaled the buyer app's Authorization, a newline,
         * then the search as received (ingress_buyer.c) */
        const char *nl = memchr(body, '\n', len);
        if (nl) {
            m->fwd_auth = body;
            m->fwd_auth_len = (size_t)(nl - body);
            len -= (size_t)(nl + 1 - body);
            body = nl + 1;
        }
    }
    m->body = body;
    m->body_len = len;
    m->req = jparse(body, len, 0, NULL);
    m->ctx = json_object_get(m->req, "context");
    if (m->action < 0 || !json_is_object(m->ctx)) {
        /* ingress checked it; a row that fails now cannot be answered */
        char jid[24];
        snprintf(jid, sizeof jid, "%llu", (unsigned long long)e->id);
        log_error("worker.unreadable", "journal_id", jid, NULL);
        json_decref(m->req);
        m->req = NULL;
        return -1;
    }
    m->order = json_object_get(json_object_get(m->req, "message"), "order");
    return 0;
}

int worker_event(worker_msg_t *m, const char *event, json_t *rec, json_t *data)
{
    uint64_t id = 0;
    if (webhook_event(m->store, m->txn, m->cfg, event, rec, data, m->now_ms, &id) < 0)
        return -1;
    if (id && m->out && worker_out_add_row(m->out, m->store, m->txn, id) < 0)
        return -1;
    return 0;
}

int worker_expiry_action(json_t *rec, const cfg_t *cfg, int64_t now_ms)
{
    const char *st = json_string_value(json_object_get(json_object_get(rec, "order"), "state"));
    json_t *by = json_object_get(rec, "accept_by_ms");
    if (!st || strcmp(st, "Created") != 0 || !json_is_integer(by))
        return WORKER_EXPIRY_NONE;
    if (json_integer_value(by) <= now_ms)
        return WORKER_EXPIRY_REJECT;
    if (cfg->seller_webhook_url[0] && cfg->accept_warn_s > 0 &&
        json_integer_value(by) - now_ms <= (int64_t)cfg->accept_warn_s * 1000 &&
        !json_is_true(json_object_get(rec, "expiry_warned")))
        return WORKER_EXPIRY_WARN;
    return WORKER_EXPIRY_NONE;
}

int worker_expiry_warn(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, int64_t now_ms,
                       worker_out_t *out)
{
    uint64_t id = 0;
    json_object_set_new(rec, "expiry_warned", json_true());
    if (order_put(s, txn, rec) < 0 ||
        webhook_event(s, txn, cfg, "order.expiring", rec, NULL, now_ms, &id) < 0)
        return -1;
    if (id && worker_out_add_row(out, s, txn, id) < 0)
        return -1;
    log_info("order.expiring", "order_id",
             json_string_value(json_object_get(json_object_get(rec, "order"), "id")), NULL);
    return 0;
}

void worker_msg_free(worker_msg_t *m)
{
    json_decref(m->message);
    json_decref(m->more);
    json_decref(m->req);
    json_decref(m->finish_arg);
    m->message = m->more = m->req = m->finish_arg = NULL;
}

/* s_reply - the on_* of handled M into the outbox in TXN; frees M. */
static int s_reply(worker_msg_t *m, store_t *s, MDB_txn *txn, const cfg_t *cfg,
                   const envelope_t *e, int64_t now_ms, worker_out_t *out)
{
    char lab[96];
    snprintf(lab, sizeof lab, "action=\"%s\",outcome=\"%s\"", e->action,
             m->has_err ? "error" : m->no_reply ? "no_reply" : "ok");
    metrics_inc("ondc_handled_total", lab);
    snprintf(lab, sizeof lab, "action=\"%s\"", e->action);
    /* time in the handler, measured from the batch's clock */
    metrics_observe("ondc_handling_seconds", lab, (double)(clock_wall_ms() - now_ms));
    json_t *ctx = context_reply(cfg, m->ctx, now_ms);
    uint64_t oid = 0;
    int rc = 0;
    if (m->finish && !m->has_err)
        rc = m->finish(m, txn);
    if (rc == 0 && (!m->no_reply || m->has_err)) {
        rc = reply_put(s, txn, cfg, e->id, (int64_t)e->received_ms, ctx, m->message,
                       m->has_err ? &m->err : NULL, now_ms, &oid);
        if (rc == 0 && worker_out_add_row(out, s, txn, oid) < 0)
            rc = -1;
    }
    size_t i;
    json_t *r;
    json_array_foreach(m->has_err ? NULL : m->more, i, r)
    {
        if (rc < 0)
            break;
        json_t *c = json_object_get(r, "context");
        rc = reply_put(s, txn, cfg, c ? 0 : e->id, (int64_t)e->received_ms, c ? c : ctx,
                       json_object_get(r, "message"), NULL, now_ms, &oid);
        if (rc == 0 && worker_out_add_row(out, s, txn, oid) < 0)
            rc = -1;
    }
    char jid[24];
    snprintf(jid, sizeof jid, "%llu", (unsigned long long)e->id);
    log_info(m->has_err ? "request.refused" : "request.handled", "action", e->action,
             "transaction_id", context_str(m->ctx, "transaction_id"), "message_id",
             context_str(m->ctx, "message_id"), "journal_id", jid, "code",
             m->has_err ? m->err.code : NULL, "why", m->has_err ? m->err.message : NULL, NULL);
    json_decref(ctx);
    worker_msg_free(m);
    return rc;
}

int worker_process(const worker_family_t *fam, store_t *s, MDB_txn *txn, const cfg_t *cfg,
                   const envelope_t *e, const char *body, size_t len, int64_t now_ms,
                   worker_out_t *out)
{
    int done = journal_mark_done(s, txn, e->id);
    if (done < 0)
        return -1;
    if (done == 0)
        return 0; /* already handled (a re-dispatch or a replayed copy) */
    worker_msg_t m;
    if (s_parse(&m, s, cfg, e, body, len, now_ms) < 0)
        return 0;
    worker_handler_fn fn = s_handler_of(fam, m.action);
    m.out = out;
    if (mdb_txn_begin(s->env, txn, 0, &m.txn) != 0) {
        worker_msg_free(&m);
        return -1;
    }
    if (fn(&m) < 0) {
        mdb_txn_abort(m.txn);
        worker_msg_free(&m);
        return -1;
    }
    if (m.has_err)
        mdb_txn_abort(m.txn); /* a refused request changes nothing */
    else if (mdb_txn_commit(m.txn) != 0) {
        worker_msg_free(&m);
        return -1;
    }
    return s_reply(&m, s, txn, cfg, e, now_ms, out);
}

int worker_prepare(const worker_family_t *fam, store_t *s, MDB_txn *rtxn, const cfg_t *cfg,
                   const envelope_t *e, const char *body, size_t len, int64_t now_ms,
                   worker_msg_t *m)
{
    if (s_parse(m, s, cfg, e, body, len, now_ms) < 0)
        return 1;
    worker_handler_fn fn = s_handler_of(fam, m->action);
    m->txn = rtxn;
    int rc = fn(m);
    m->txn = NULL;
    if (rc < 0) {
        worker_msg_free(m);
        return -1;
    }
    return 0;
}

int worker_finish(store_t *s, MDB_txn *txn, const cfg_t *cfg, const envelope_t *e,
                  worker_msg_t *m, int64_t now_ms, worker_out_t *out)
{
    int done = journal_mark_done(s, txn, e->id);
    if (done <= 0) {
        worker_msg_free(m); /* already handled: a re-dispatch or a replayed copy */
        return done;
    }
    m->out = out; /* the finish hook's own rows are told of too */
    return s_reply(m, s, txn, cfg, e, now_ms, out);
}
