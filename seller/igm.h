/*
 * igm.h - complaints (IGM issues) about a buyer app's order: their record
 * in LMDB, the one table of their legal state changes, what the seller
 * answers and the refunds they lead to.
 *
 * An issue record (DB_ORDERS, beside the orders, key
 * "i/{bap_id}\x1f{issue id}": issue ids are the buyer app's) is
 *   {"key", "id", "bap_id", "version": 1 | 2 (IGM 1.0.0 / 2.0.0),
 *    "order_key", "order_id", "transaction_id", "context": the last
 *    request's context (unsolicited answers go on it), "state", "level"
 *    ("ISSUE", "GRIEVANCE" once escalated), "issue": the complaint as the
 *    buyer app last sent it, "created_ms", "respond_by_ms",
 *    "resolve_by_ms", "answered_ms" (the seller's first action on the
 *    desk; 0 until then), "updated_at", "refund" (paise refunded),
 *    1.0.0: "respondent_actions", "resolution", "rating";
 *    2.0.0: "actions" (the buyer app's and ours, in order), "resolutions",
 *    "proposed" (the resolution offered, until accepted), "gro"}.
 * Every read and write names the buyer app: another buyer app's issue or
 * order is never found.
 *
 * States: OPEN -> PROCESSING | NEED-MORE-INFO | RESOLVED | CLOSED; an
 * escalation (the complainant's, to a grievance) takes PROCESSING,
 * NEED-MORE-INFO or RESOLVED back to OPEN; CLOSED is final
 * (igm_transition_ok). On the wire 2.0.0 shows NEED-MORE-INFO as status
 * PROCESSING with an INFO_REQUESTED action.
 *
 * A refund (resolution REFUND) is taken off the order: a quote row of
 * title_type "refund" (the rows still sum to quote.price), a settlement
 * entry of phase "refund" to the buyer, and an unsolicited on_update.
 */
#ifndef ONDC_IGM_H
#define ONDC_IGM_H

#include "cfg.h"
#include "err.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

/* the states, NULL-terminated */
const char *const *igm_states(void);

/* igm_transition_ok - whether FROM -> TO is legal. */
int igm_transition_ok(const char *from, const char *to);

/* igm_key - "i/{bap}\x1f{id}" into OUT; -1 if too long or bad characters. */
int igm_key(const char *issue_id, const char *bap_id, char *out, size_t cap);

/* igm_get - buyer app BAP_ID's issue ISSUE_ID (caller owns), or NULL. */
json_t *igm_get(store_t *s, MDB_txn *txn, const char *issue_id, const char *bap_id);

/* igm_put - store REC under its "key". 0 or -1. */
int igm_put(store_t *s, MDB_txn *txn, json_t *rec);

typedef int(igm_fn)(json_t *rec, void *arg);

/* igm_scan - FN for every record whose key starts with PREFIX, in key
 * order (stops when FN returns non-zero). 0 or -1. */
int igm_scan(store_t *s, MDB_txn *txn, const char *prefix, igm_fn *fn, void *arg);

/* igm_each - FN for every issue (stops when FN returns non-zero). */
int igm_each(store_t *s, MDB_txn *txn, igm_fn *fn, void *arg);

/* igm_find - keys (at most CAP) of issues with id ISSUE_ID, any buyer app. */
int igm_find(store_t *s, MDB_txn *txn, const char *issue_id, char keys[][400], int cap);

/* igm_get_key - the record under KEY (caller owns), or NULL. */
json_t *igm_get_key(store_t *s, MDB_txn *txn, const char *key);

/* igm_overdue - whether REC missed its expected response time (no action
 * of the seller's by respond_by) and its expected resolution time (not
 * resolved by resolve_by), at NOW_MS. */
void igm_overdue(json_t *rec, int64_t now_ms, int *response, int *resolution);

/* igm_request - buyer app's issue request REQ (checked by igm_check):
 * open the issue on the buyer app's order, take the information it asked
 * for, an escalation, the acceptance of a resolution or the closing, at
 * TS_MS (the answer's timestamp). *MESSAGE gets the on_issue message
 * (caller owns; NULL when the request is answered by none: a closing);
 * *ORDER_UPDATE the order record when a refund changed it (caller owns;
 * it is stored: the caller sends its on_update). -1 with ERR (an IGM
 * error for the on_issue) when the request cannot be taken; nothing is
 * stored then. */
int igm_request(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *req, int64_t ts_ms,
                json_t **message, json_t **order_update, ondc_err_t *err);

/* igm_status - the on_issue_status message for buyer app BAP_ID's issue
 * ISSUE_ID (caller owns); NULL with ERR (IGM005) when it has none. */
json_t *igm_status(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *issue_id,
                   const char *bap_id, ondc_err_t *err);

typedef enum {
    IGM_DESK_PROCESSING = 0, /* the seller is working on it */
    IGM_DESK_NEED_INFO,      /* {"info"}: the seller asks the complainant */
    IGM_DESK_RESOLVE,        /* {"action", "refund_amount"?, "short_desc"?, "long_desc"?} */
    IGM_DESK_ESCALATE,       /* to the seller's grievance redressal officer */
    IGM_DESK_CLOSE,          /* a resolved issue the complainant left open */
} igm_desk_t;

/* igm_desk_parse - "processing", "need-info", "resolve", "escalate",
 * "close" to its igm_desk_t; -1 if none. */
int igm_desk_parse(const char *verb);

/* igm_desk - the seller's action WHAT with BODY (may be NULL) on issue REC
 * at NOW_MS: checked against the table, stored, and the unsolicited
 * on_issue_status (1.0.0) or on_issue (2.0.0) written to the outbox with
 * a fresh message_id (OUTBOX[0]); a refund also writes the order's
 * on_update (OUTBOX[1], else 0). -1 with ERR (http 400/409). */
int igm_desk(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, igm_desk_t what,
             json_t *body, int64_t now_ms, uint64_t outbox[2], ondc_err_t *err);

typedef struct {
    uint64_t by_state[5]; /* in igm_states order */
    uint64_t overdue_response, overdue_resolution;
} igm_stats_t;

/* who answers for the seller: the order's provider's contacts */
typedef struct {
    char org[400]; /* "{bpp_id}::{domain}" */
    char name[128], phone[32], email[128];
    char gro_name[128], gro_phone[32], gro_email[128];
} igm_who_t;

/* igm_who - the seller's contacts for issue REC (its context.domain) on
 * ORDER_REC (may be NULL): the provider's seller.support and
 * seller.grievance, defaults where the catalog names none. */
void igm_who(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, json_t *order_rec,
             igm_who_t *w);

/* igm_stats - how many issues are in each state and overdue at NOW_MS. */
int igm_stats(store_t *s, MDB_txn *txn, int64_t now_ms, igm_stats_t *st);

#endif
