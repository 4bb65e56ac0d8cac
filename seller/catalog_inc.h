/*
 * catalog_inc.h - the incremental catalog (retail 1.2.x "catalog_inc"):
 * what changed in the catalog and when, pulled for a time window or pushed
 * to subscribed buyer apps.
 *
 * Every catalog write that changes what a buyer app sees notes the change
 * (catalog_inc_note): an item put with other contents, enabled or
 * disabled, a price, a provider changed, an item's stock reaching 0 or
 * coming back, an item removed by a replace (its last copy kept, labelled
 * disable, as a tombstone). The changed object's time.timestamp is the
 * change's time.
 *
 * A search whose intent has a catalog_inc tag:
 *   start_time, end_time  pull: an on_search of what changed in the window;
 *   mode start            subscribe the buyer app (its bap_id and the
 *                         transaction): from then on every change is
 *                         pushed as an unsolicited on_search on that
 *                         transaction with a new message_id; an end_time
 *                         beside it ends the subscription then;
 *   mode stop             end the subscription of that transaction.
 * Pushes are aggregated: catalog_inc_push runs at most once per
 * search.inc_interval_s (one clock for every discovery worker, kept in
 * LMDB) and sends each subscriber what changed since its last push, as
 * one on_search through the outbox; nothing when nothing changed. Changes
 * older than search.inc_retention_s are pruned then.
 *
 * Keys in "catalog" (beside catalog.h's): "c/{ms, 13 digits}\x1f{provider}\x1f{item}"
 * (empty; item empty for a provider change); "d/{provider}/{item}" ->
 * the tombstone of a removed item; "s/{bap_id}\x1f{transaction_id}" ->
 * {"context": the subscribing search's context, "since_ms", "until_ms"};
 * "m/inc_last" -> the last push round's time (decimal ms).
 *
 * Config keys read: search.inc_interval_s, search.inc_retention_s.
 */
#ifndef ONDC_CATALOG_INC_H
#define ONDC_CATALOG_INC_H

#include "cfg.h"
#include "err.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

typedef enum { CATALOG_INC_NONE = 0, CATALOG_INC_PULL, CATALOG_INC_START, CATALOG_INC_STOP } catalog_inc_kind_t;

typedef struct {
    catalog_inc_kind_t kind;
    int64_t start_ms, end_ms; /* the window (pull); start: from, end: until (0: none) */
} catalog_inc_req_t;

/* catalog_inc_parse - the catalog_inc tag of search MESSAGE into R (kind
 * NONE without one). 0, or -1 with ERR naming the path of a malformed
 * tag (an unknown mode, a time that is not RFC 3339, end before start, a
 * window without both ends). */
int catalog_inc_parse(json_t *message, catalog_inc_req_t *r, ondc_err_t *err);

/* catalog_inc_note - record that item IID of PID (NULL: the provider)
 * changed at NOW_MS. 0 or -1. */
int catalog_inc_note(store_t *s, MDB_txn *txn, const char *pid, const char *iid, int64_t now_ms);

/* catalog_inc_tombstone - keep ITEM of PID (being removed) as a disabled
 * item for the incremental catalog, and note the change. 0 or -1. */
int catalog_inc_tombstone(store_t *s, MDB_txn *txn, const char *pid, json_t *item, int64_t now_ms);

/* catalog_inc_changes - the on_search message ({"catalog":{"bpp/providers"}})
 * of what changed in [FROM_MS, TO_MS) for providers of DOMAIN (every
 * provider for nic2004:52110 or NULL): each changed provider with its id
 * and time, and its changed items as search shows them (disabled and
 * removed items labelled disable). NULL when nothing changed. Caller owns. */
json_t *catalog_inc_changes(store_t *s, MDB_txn *txn, int64_t from_ms, int64_t to_ms,
                            const char *domain);

/* catalog_inc_subscribe - subscribe the buyer app of search context CTX
 * (its bap_id, transaction_id) from SINCE_MS until UNTIL_MS (0: until
 * stopped). 0 or -1. */
int catalog_inc_subscribe(store_t *s, MDB_txn *txn, json_t *ctx, int64_t since_ms, int64_t until_ms);

/* catalog_inc_unsubscribe - end the subscription of CTX's bap_id and
 * transaction_id; 1 if there was one, 0 if not, -1 on a store failure. */
int catalog_inc_unsubscribe(store_t *s, MDB_txn *txn, json_t *ctx);

/* catalog_inc_due - whether a push round is due at NOW_MS (read-only). */
int catalog_inc_due(store_t *s, MDB_txn *txn, const cfg_t *cfg, int64_t now_ms);

typedef int(catalog_inc_sent_fn)(uint64_t outbox_id, void *arg);

/* catalog_inc_push - a push round in write TXN, when one is due: each
 * subscription's changes as an unsolicited on_search into the outbox
 * (SENT is told each row), ended subscriptions dropped, old changes
 * pruned. Returns the number of on_search written, or -1. */
int catalog_inc_push(store_t *s, MDB_txn *txn, const cfg_t *cfg, int64_t now_ms,
                     catalog_inc_sent_fn *sent, void *arg);

#endif
