/*
 * order.h - orders in LMDB and the one table of their legal state changes.
 *
 * An order record (DB_ORDERS, key "o/{order id}\x1f{bap_id}": order ids
 * are the buyer app's, unique per buyer app) is
 *   {"key", "bap_id", "transaction_id", "context": the confirm's context
 *    (for unsolicited on_* on the order's transaction), "order": the order
 *    as the buyer app last saw it, "accept_by_ms", "ratings", "history"}.
 * Other keys in DB_ORDERS: "t/{transaction_id}\x1f{bap_id}" -> order key
 * (older stores: "t/{transaction_id}", read only after the record's bap_id
 * is checked), and
 * "a/{8-byte big-endian ms}{order key}" -> "" for every Created order,
 * so that the orders past their acceptance window are a range read, and
 * "u/{updated_at}\x1e{order key}" -> order key for every order (updated_at
 * is order_updated's, at most ORDER_UPD_MAX bytes of it), so that the
 * orders list walks them by time a page at a time (order_walk). order_put
 * keeps both in step in the caller's transaction; order_index_upgrade
 * builds the second once for a store written before it.
 *
 * The state table (order_transition_ok) is the only place that says which
 * change is legal: order Created -> Accepted -> In-progress -> Completed,
 * or Cancelled; fulfillment Pending -> Packed -> Agent-assigned ->
 * Order-picked-up -> Out-for-delivery -> Order-delivered, Cancelled before
 * pick-up, RTO-Initiated -> RTO-Delivered | RTO-Disposed after it; return
 * Return_Initiated -> Return_Approved | Return_Rejected | Liquidated,
 * Return_Approved -> Return_Picked -> Return_Delivered. The order state
 * follows the delivery fulfillment's (order_state_for).
 */
#ifndef ONDC_ORDER_H
#define ONDC_ORDER_H

#include "cfg.h"
#include "err.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

typedef enum { ORDER_KIND_ORDER = 0, ORDER_KIND_FULFILLMENT, ORDER_KIND_RETURN } order_kind_t;

/* order_transition_ok - whether FROM -> TO is legal for KIND. */
int order_transition_ok(order_kind_t kind, const char *from, const char *to);

/* order_state_for - the order state a delivery fulfillment state implies
 * ("Pending" -> ACCEPTED_STATE, i.e. "Created" or "Accepted"); NULL if
 * unknown. */
const char *order_state_for(const char *fulfillment_state, const char *accepted_state);

/* order_states - every state of KIND, NULL-terminated (for tests and docs). */
const char *const *order_states(order_kind_t kind);

/* order_key - "o/{oid}\x1f{bap}" into OUT; -1 if too long or bad characters. */
int order_key(const char *oid, const char *bap_id, char *out, size_t cap);

/* order_get - the record under KEY (caller owns) or NULL. */
json_t *order_get(store_t *s, MDB_txn *txn, const char *key);

/* order_by_txn - the record of buyer app BAP_ID's order on TRANSACTION_ID
 * (caller owns), or NULL: none, or the order is another buyer app's. */
json_t *order_by_txn(store_t *s, MDB_txn *txn, const char *transaction_id, const char *bap_id);

/* order_put - store REC (its "key"); keeps the transaction and
 * acceptance-window indexes in step with REC's state. 0 or -1. */
int order_put(store_t *s, MDB_txn *txn, json_t *rec);

/* the part of updated_at an index entry keeps (a timestamp is 24 bytes),
 * and the longest position "{updated_at}\x1e{order key}" (LMDB's keys
 * are at most 511 bytes) */
#define ORDER_UPD_MAX 64
#define ORDER_POS_MAX 509

/* order_updated - the time the orders list sorts REC by: its order's
 * updated_at, else created_at, else "" (borrowed from REC). */
const char *order_updated(json_t *rec);

/* order_find - keys (at most CAP) of orders with id OID, any buyer app. */
int order_find(store_t *s, MDB_txn *txn, const char *oid, char keys[][400], int cap);

typedef int(order_fn)(json_t *rec, void *arg);

/* order_each - FN for every order (state STATE, or all when NULL). */
int order_each(store_t *s, MDB_txn *txn, const char *state, order_fn *fn, void *arg);

typedef int(order_walk_fn)(json_t *rec, const char *pos, void *arg);

/* order_walk - FN for every order (state STATE, or all when NULL) by
 * updated_at then key, newest first when DESC, starting just after
 * position AFTER ("{updated_at}\x1e{order key}", as bytes; NULL or "":
 * from the first). FN gets the record and its position (both borrowed
 * for the call) and returns nonzero to stop. 0, or -1 on a store error. */
int order_walk(store_t *s, MDB_txn *txn, int desc, const char *after, const char *state,
               order_walk_fn *fn, void *arg);

/* order_index_upgrade - the updated_at index for a store written before
 * it: built once from the records in TXN (a write transaction) and marked
 * in meta ("index/oupdated"); a look-up when marked. 0 or -1 (logged). */
int order_index_upgrade(store_t *s, MDB_txn *txn);

/* order_due - keys (at most CAP) of Created orders whose acceptance window
 * ended at or before NOW_MS. */
int order_due(store_t *s, MDB_txn *txn, int64_t now_ms, char keys[][400], int cap);

/* order_stock_release - give the units of REC's order items back. */
int order_stock_release(store_t *s, MDB_txn *txn, json_t *rec);

/* order_fulfillment - the order's delivery fulfillment (first that is not
 * Cancel/Return/RTO), borrowed; NULL if none. */
json_t *order_fulfillment(json_t *order);

/* order_fstate - the code of fulfillment F's state ("Pending"), or "". */
const char *order_fstate(json_t *f);

/* order_set_fstate - move fulfillment F to TO (checked against the
 * table), stamping state.updated_at; -1 with ERR (50000-range policy
 * error naming both states) when illegal. */
int order_set_fstate(json_t *f, order_kind_t kind, const char *to, const char *ts, ondc_err_t *err);

/* order_state_stamp - at core version 1.2.5, F's
 * "@ondc/org/state_updated_at" = TS, the time of its latest state change
 * (set beside every change of a delivery or RTO fulfillment's state, from
 * on_confirm's Pending on; ONDC's validator holds the states a logistics
 * partner reports to it); nothing at other versions. */
void order_state_stamp(json_t *f, const char *core_version, const char *ts);

/* order_advance - move REC's delivery fulfillment to TO and the order to
 * the state it implies, updated_at = TS. 0 or -1 with ERR. */
int order_advance(json_t *rec, const char *to, const char *ts, ondc_err_t *err);

/* order_cancel - cancel REC's order as BY (a subscriber id) with REASON:
 * the order and its delivery fulfillment become Cancelled, a "Cancel"
 * fulfillment with the quote trail (every row refunded) is added, the
 * quote drops to the cancellation charges (none), the stock is released.
 * -1 with ERR when the order cannot be cancelled in its state. */
int order_cancel(store_t *s, MDB_txn *txn, json_t *rec, const char *by, const char *reason,
                 const char *ts, ondc_err_t *err);

/* order_wire - ORDER as ACTION ("on_status", "on_cancel") carries it:
 * on_cancel, and every message about a cancelled order, without order
 * tags and documents (the retail schema has none there), and without the
 * cancelled delivery's routing and tracking tags. Caller
 * owns. */
json_t *order_wire(json_t *order, const char *action);

/* order_send - write an unsolicited ACTION ("on_status") with REC's order
 * into the outbox on REC's transaction (fresh message_id, NOW_MS);
 * *OUTBOX_ID gets the row. 0 or -1. */
int order_send(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, const char *action,
               int64_t now_ms, uint64_t *outbox_id);

/* order_accept - the seller accepts REC's Created order: Accepted, stored,
 * and an unsolicited on_status tells the buyer app. -1 with ERR. */
int order_accept(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, int64_t now_ms,
                 uint64_t *outbox_id, ondc_err_t *err);

/* order_reject - the seller cancels REC's order with REASON (a seller
 * cancellation code, "005" merchant rejected): order_cancel, stored, and
 * an unsolicited on_cancel tells the buyer app. -1 with ERR. */
int order_reject(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, const char *reason,
                 int64_t now_ms, uint64_t *outbox_id, ondc_err_t *err);

/* order_part_cancel - the seller cancels N units of item IID (REASON "002"
 * or "012"): a Cancel fulfillment with cancel_request and quote_trail, the
 * items re-split, the quote reduced, the units back in stock. Allowed
 * until pick-up; -1 with ERR (50002) otherwise. */
int order_part_cancel(store_t *s, MDB_txn *txn, json_t *rec, const char *iid, int64_t n,
                      const char *reason, const char *by, const char *ts, ondc_err_t *err);

/* order_return_advance - move return RID of REC to TO (checked against the
 * table). Return_Approved adds the reverse pick-up (buyer -> store);
 * Return_Rejected carries REASON; Return_Picked and Liquidated refund the
 * returned units (quote_trail, items re-split, quote reduced);
 * Return_Delivered puts them back in stock. -1 with ERR. */
int order_return_advance(store_t *s, MDB_txn *txn, json_t *rec, const char *rid, const char *to,
                         const char *reason, const char *ts, ondc_err_t *err);

#endif
