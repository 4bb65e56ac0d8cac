/*
 * igm_raise.h - IGM 2.0.0 issues the seller raises: the seller app is the
 * complainant, a counterparty network participant (a logistics provider,
 * or the buyer app) the respondent. Raised from the issue desk, on its own
 * or as the cascade of a buyer app's issue (ONDC's IGM 2.0.0 Flow 3).
 *
 * A raised issue's record (DB_ORDERS, key "j/{issue id}"; the id is ours)
 * is
 *   {"key", "id", "raised": true, "version": 2, "bpp_id", "bpp_uri" (the
 *    counterparty), "order_key", "order_id", "bap_id" (the order's buyer
 *    app), "cascade_of" (the key of the buyer app's issue it cascades, if
 *    any), "context": the last issue's context, "issue": the issue as last
 *    sent, "state", "proposed" (the counterparty's resolution on offer),
 *    "answers": [{"received_ms", "message_id", "status", "action",
 *    "short_desc"}], "counter_issue": the counterparty's last view of it,
 *    "created_ms", "updated_at"}.
 * Each `issue` goes into the outbox with context bap_id = our
 * subscriber_id and bap_uri = our bpp_uri (the counterparty answers
 * on_issue there), bpp_id / bpp_uri the counterparty's; ondc-callback
 * signs it with the seller's key.
 *
 * States follow the counterparty's answers (igm_raised_next): OPEN ->
 * PROCESSING | NEED-MORE-INFO | RESOLVED, as the on_issue says; CLOSED
 * (ours) is final.
 *
 * Cascade: the counterparty's INFO_REQUESTED and RESOLUTION_PROPOSED go on
 * to the buyer app's issue (igm_desk: need-info, resolve); the buyer app's
 * INFO_PROVIDED, RESOLUTION_ACCEPTED and CLOSED go on to the counterparty
 * (igm_cascade_forward).
 */
#ifndef ONDC_IGM_RAISE_H
#define ONDC_IGM_RAISE_H

#include "cfg.h"
#include "err.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

/* ONDC's code for an answer that answers nothing of ours */
#define IGM_ERR_ANSWER "20006"

/* igm_raised_get - raised issue ID (caller owns), or NULL. */
json_t *igm_raised_get(store_t *s, MDB_txn *txn, const char *id);

typedef int(igm_raised_fn)(json_t *rec, void *arg);

/* igm_raised_each - FN for every raised issue (stops when FN returns non-zero). */
int igm_raised_each(store_t *s, MDB_txn *txn, igm_raised_fn *fn, void *arg);

/* igm_raised_next - the state of a raised issue in state FROM after the
 * counterparty's on_issue with STATUS and last action LAST_CODE (may be
 * NULL); NULL when the answer cannot change it (FROM is CLOSED, or STATUS
 * is unknown). */
const char *igm_raised_next(const char *from, const char *status, const char *last_code);

/* igm_raise - a new issue of the seller's, from the desk's BODY
 * {"order_id", "bap_id"? (when two buyer apps share the order id), "to"
 * (the counterparty's subscriber id), "code", "short_desc", "long_desc"?,
 * "domain"?, "transaction_id"?, "expected_response_time"?,
 * "expected_resolution_time"?} sent to TO_URI; with CASCADE_OF (a buyer
 * app's IGM 2.0.0 issue record, stored by the caller after) its
 * descriptor and refs are the buyer app's and the two are linked. Stores
 * the record and writes the `issue` into the outbox (*OUTBOX_ID). The
 * record (caller owns), or NULL with ERR (http 400 / 404 / 409, path). */
json_t *igm_raise(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *body, const char *to_uri,
                  json_t *cascade_of, int64_t now_ms, uint64_t *outbox_id, ondc_err_t *err);

/* igm_raised_act - the seller's next step on raised issue REC: CODE
 * INFO_PROVIDED ({"info"}), RESOLUTION_ACCEPTED, RESOLUTION_REJECTED
 * ({"note"?}) or CLOSED, sent as an `issue` (*OUTBOX_ID) and stored. 0, or
 * -1 with ERR (http 400 / 409). */
int igm_raised_act(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, const char *code,
                   json_t *body, int64_t now_ms, uint64_t *outbox_id, ondc_err_t *err);

/* igm_raised_check - whether on_issue ROOT answers an issue we raised:
 * bap_id ours, message.issue.id one of ours, bpp_id its counterparty.
 * 0, or -1 with ERR (400, "20006", the path at fault). */
int igm_raised_check(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *root, ondc_err_t *err);

/* igm_raised_answer - take the counterparty's on_issue ROOT at NOW_MS:
 * kept with the issue, its state moved, and when it cascades a buyer
 * app's issue the information asked for or the resolution offered passed
 * on (the unsolicited on_issue's outbox rows into OUTBOX, *N of at most
 * 4). 0; 1 when the answer is ignored (a closed issue, unknown status:
 * logged by the caller); -1 on a store failure. */
int igm_raised_answer(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *root, int64_t now_ms,
                      uint64_t outbox[4], int *n);

/* igm_cascade_forward - after the buyer app's issue request REQ was
 * taken: when its issue is cascaded, its INFO_PROVIDED,
 * RESOLUTION_ACCEPTED or CLOSED goes on to the counterparty (*OUTBOX_ID;
 * 0 when nothing is sent). 0 or -1 on a store failure. */
int igm_cascade_forward(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *req, int64_t now_ms,
                        uint64_t *outbox_id);

#endif
