/*
 * family_igm.c - IGM issue and issue_status, handled in the
 * post-fulfillment family (see family_igm.h; the rules are in
 * seller/igm.c). The request's shape was checked at the ingress
 * (ondc/igm_check.c); what is checked here needs the store: the order and
 * the issue must be the signer's (context.bap_id, which the ingress
 * matched to the signature), an unknown one gets IGM002 / IGM005.
 */
#include "family_igm.h"

#include "context.h"
#include "igm.h"
#include "igm_raise.h"
#include "log.h"
#include "reply.h"

/* s_reply_ms - the on_*'s timestamp, as context_reply will make it */
static int64_t s_reply_ms(worker_msg_t *m)
{
    int64_t req = context_parse_time(context_str(m->ctx, "timestamp"));
    return m->now_ms > req ? m->now_ms : req + 1;
}

static int s_fail(worker_msg_t *m, const ondc_err_t *e)
{
    return worker_fail(m, e->type, e->code, e->path, "%s", e->message);
}

int family_igm_issue(worker_msg_t *m)
{
    ondc_err_t err;
    err_clear(&err);
    json_t *msg = NULL, *order_rec = NULL;
    if (igm_request(m->store, m->txn, m->cfg, m->req, s_reply_ms(m), &msg, &order_rec, &err) < 0)
        return s_fail(m, &err);
    if (!msg)
        m->no_reply = 1; /* a closing is answered by none */
    m->message = msg;
    /* a cascaded issue: the complainant's step goes on to the counterparty */
    uint64_t fwd = 0;
    if (igm_cascade_forward(m->store, m->txn, m->cfg, m->req, m->now_ms, &fwd) < 0 ||
        (fwd && m->out && worker_out_add_row(m->out, m->store, m->txn, fwd) < 0)) {
        json_decref(order_rec);
        return -1;
    }
    if (order_rec) {
        /* the refund changed the order: the buyer app hears it on the
         * order's transaction, as it hears any change of the order */
        json_t *ctx = reply_unsolicited_context(m->cfg, json_object_get(order_rec, "context"),
                                                "on_update", m->now_ms);
        json_t *om = json_pack("{s:O}", "order", json_object_get(order_rec, "order"));
        json_decref(order_rec);
        if (!ctx || !om) {
            json_decref(ctx);
            json_decref(om);
            return -1;
        }
        worker_reply_more(m, ctx, om);
    }
    return 0;
}

int family_igm_issue_status(worker_msg_t *m)
{
    ondc_err_t err;
    err_clear(&err);
    json_t *msg = igm_status(m->store, m->txn, m->cfg,
                             json_string_value(json_object_get(json_object_get(m->req, "message"),
                                                               "issue_id")),
                             context_str(m->ctx, "bap_id"), &err);
    if (!msg)
        return s_fail(m, &err);
    m->message = msg;
    return 0;
}

int family_igm_on_issue(worker_msg_t *m)
{
    m->no_reply = 1;
    uint64_t ids[4];
    int n = 0;
    int rc = igm_raised_answer(m->store, m->txn, m->cfg, m->req, m->now_ms, ids, &n);
    if (rc < 0)
        return -1;
    json_t *issue = json_object_get(json_object_get(m->req, "message"), "issue");
    log_info(rc ? "issue.answer_ignored" : "issue.answer", "issue_id",
             json_string_value(json_object_get(issue, "id")), "status",
             json_string_value(json_object_get(issue, "status")), "message_id",
             context_str(m->ctx, "message_id"), NULL);
    for (int i = 0; i < n; i++)
        if (m->out && worker_out_add_row(m->out, m->store, m->txn, ids[i]) < 0)
            return -1;
    return 0;
}
