/*
 * family_buyer.c - the buyer role's family: every on_* a seller sent
 * (solicited, or an unsolicited on_status / on_update / on_cancel of an
 * order of ours), checked by the ingress and journaled before its ACK.
 *
 * Kept in the "buyer" database under the buyer app's id (buyer.h): the
 * answer itself, keyed by its journal id so a transaction's answers read
 * back in the order they arrived; the transaction's sellers and the order
 * as the seller last described it; and, when buyer.webhook_url is set, a
 * copy for the buyer app's backend in the outbox (delivered and retried by
 * the callback process like every callback). Nothing goes back to the
 * seller: its ACK was the ingress's.
 */
#include "worker.h"

#include "buyer.h"
#include "metrics.h"

#include <stdio.h>

static int s_on_any(worker_msg_t *m)
{
    m->no_reply = 1;
    if (buyer_take_answer(m->store, m->txn, m->cfg, m->req, m->journal_id, m->now_ms) != 0)
        return -1;
    uint64_t wid = 0;
    if (buyer_webhook_put(m->store, m->txn, m->cfg, m->req, m->journal_id, m->now_ms, &wid) < 0)
        return -1;
    if (wid && m->out && worker_out_add_row(m->out, m->store, m->txn, wid) < 0)
        return -1;
    char lab[64];
    snprintf(lab, sizeof lab, "action=\"%.32s\"", context_action_name((action_t)m->action));
    metrics_inc("ondc_buyer_answers_total", lab);
    return 0;
}

const worker_family_t family_buyer = {
    .family = FAMILY_BUYER,
    .any = s_on_any,
};
