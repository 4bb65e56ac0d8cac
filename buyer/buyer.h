/*
 * buyer.h - the buyer role's domain: the requests it sends to sellers, the
 * on_* answers it receives, and its view of each order (docs/buyer.md).
 *
 * Everything lives in the "buyer" database under the buyer app's own
 * subscriber id (its bap_id), so a reader holding one buyer's credentials
 * reads only keys under that id:
 *   m {bap} US {message_id}                      -> request record (JSON)
 *   t {bap} US {transaction_id}                  -> transaction record (JSON)
 *   a {bap} US {transaction_id} US {u64 journal} -> one on_* received (JSON)
 *   o {bap} US {order_id}                        -> transaction_id
 * (US is 0x1f.) Answers are keyed by the journal id of the on_* as the
 * ingress took it: a transaction's answers read back in the order they
 * arrived, and a re-dispatched on_* writes the same key again.
 *
 * A request record: {"action", "transaction_id", "bpp_id" (null for a
 * search to many), "created_ms", "outbox": [ids of the copies sent]}.
 * A transaction record: {"domain", "city", "core_version", "bpp_id",
 * "bpp_uri", "sellers": {bpp_id: bpp_uri} (every seller that answered a
 * search), "order_id", "order": the order as the seller last described it,
 * "last": journal id of the latest answer}.
 *
 * Pointers returned are the caller's (json_decref) unless said borrowed.
 * Config keys read: buyer.*, bap_uri, registry.*, country, domains.
 */
#ifndef ONDC_BUYER_H
#define ONDC_BUYER_H

#include "cfg.h"
#include "err.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

/* ONDC's buyer-app error codes */
#define BUYER_ERR_INVALID_SIGNATURE "20001"
#define BUYER_ERR_INVALID_RESPONSE "20006"
#define BUYER_ERR_OUT_OF_SEQUENCE "20008"

/* buyer_get - the JSON record of KIND ('m', 't') ID under BAP; NULL if none. */
json_t *buyer_get(store_t *s, MDB_txn *txn, char kind, const char *bap, const char *id);

/* buyer_put - write record REC (borrowed) of KIND ID under BAP. 0 or an LMDB error. */
int buyer_put(store_t *s, MDB_txn *txn, char kind, const char *bap, const char *id, json_t *rec);

/* buyer_order_txn - the transaction of ORDER_ID under BAP into OUT; 0 or -1. */
int buyer_order_txn(store_t *s, MDB_txn *txn, const char *bap, const char *order_id, char *out,
                    size_t outlen);

/* buyer_answers - the on_* of TRANSACTION_ID received after journal id
 * AFTER, oldest first, each {"seq", "received_ms", "action", "message_id",
 * "bpp_id", "solicited", "body"}; only MESSAGE_ID's when not NULL. An
 * array (empty when none). */
json_t *buyer_answers(store_t *s, MDB_txn *txn, const char *bap, const char *transaction_id,
                      const char *message_id, uint64_t after);

/* buyer_merge_search - the on_search answers ANSWERS (buyer_answers)
 * merged per seller: [{"bpp_id", "bpp_uri", "pages", "catalog"}] with every
 * page's providers in one catalog. */
json_t *buyer_merge_search(json_t *answers);

/* buyer_check_answer - whether on_* ROOT (parsed; action ACTION, an
 * ACT_ON_BASE + action) answers a request of ours: bap_id ours, and its
 * message_id one we sent (to this seller, unless a search) for the same
 * action and transaction, or an unsolicited on_status / on_update /
 * on_cancel on a transaction whose order this seller holds. 0, or -1
 * with ERR (400, BUYER_ERR_INVALID_RESPONSE, the path at fault). */
int buyer_check_answer(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *root, int action,
                       ondc_err_t *err);

/* buyer_take_answer - keep on_* ROOT (parsed, checked) received as journal
 * row JOURNAL_ID at RECEIVED_MS: the answer row, the transaction record
 * (sellers, order), the order index. 0 or an LMDB error. */
int buyer_take_answer(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *root,
                      uint64_t journal_id, int64_t received_ms);

/* buyer_webhook_put - when buyer.webhook_url is set, ROOT (an on_* kept as
 * journal row JOURNAL_ID) into the outbox for the buyer app's backend, as
 * {"event": "on_*", "transaction_id", "message_id", "seq", "body"}. *ID is
 * the row (0: none). 0 or -1. */
int buyer_webhook_put(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *root,
                      uint64_t journal_id, int64_t now_ms, uint64_t *id);

/* ---- sellers from the registry (buyer_registry.c) ---- */

/* buyer_sellers - the sellers (type BPP, SUBSCRIBED) the registry file
 * lists for DOMAIN and CITY (NULL: any): [{"subscriber_id",
 * "subscriber_url"}], each once. */
json_t *buyer_sellers(const cfg_t *cfg, const char *domain, const char *city);

/* buyer_seller_uri - the registered subscriber_url of seller BPP_ID (the
 * registry file) into OUT; 0 or -1. */
int buyer_seller_uri(const cfg_t *cfg, const char *bpp_id, char *out, size_t outlen);

/* buyer_sellers_cached - buyer_sellers, and the sellers the ONDC registry
 * listed for DOMAIN and CITY as cached in TXN; *STALE (may be NULL) 1 when
 * registry.url is set and that list is not cached or out of date (ask:
 * buyer_registry_fetch, then buyer_registry_cache_put). */
json_t *buyer_sellers_cached(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *domain,
                             const char *city, int64_t now_ms, int *stale);

/* buyer_seller_uri_cached - BPP_ID's subscriber_url from the registry
 * file, else the cache of the ONDC registry's answers, into OUT: 0; 1 when
 * only the registry (registry.url) can tell; -1 when unknown. */
int buyer_seller_uri_cached(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *bpp_id,
                            int64_t now_ms, char *out, size_t outlen);

/* buyer_registry_filter - the usable seller records of RECS (an array in
 * the lookup answer's shape: type BPP, subscribed) for DOMAIN and CITY
 * (NULL: any) appended to OUT as {"subscriber_id", "subscriber_url"}, each
 * subscriber once (SEEN, an object of the ids already in OUT). */
void buyer_registry_filter(json_t *recs, const char *domain, const char *city, json_t *seen,
                           json_t *out);

/* buyer_registry_fetch - POST {registry.url}/v2.0/lookup for type BPP
 * and DOMAIN, CITY, SUBSCRIBER_ID (each left out when NULL), signed as
 * ROLE ("buyer" or "gateway"); blocks up to registry.timeout_ms. The
 * usable sellers of the answer as buyer_sellers gives them (caller owns),
 * or NULL with ERR (503) when the registry gave no lookup answer. */
json_t *buyer_registry_fetch(const cfg_t *cfg, const char *role, const char *domain,
                             const char *city, const char *subscriber_id, ondc_err_t *err);

/* buyer_registry_cache_put - remember in TXN what a lookup answered:
 * SELLERS (borrowed) as the list of DOMAIN and CITY (when both given and
 * SUBSCRIBER_ID is NULL) and each one's subscriber_url; an empty answer
 * for SUBSCRIBER_ID as "unknown". 0 or -1. */
int buyer_registry_cache_put(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *domain,
                             const char *city, const char *subscriber_id, json_t *sellers,
                             int64_t now_ms);

/* buyer_registry_prepare - before buyer_send of ACTION's client body IN:
 * when it will need a seller list or a bpp_uri that only the ONDC
 * registry can give, ask it (blocking, outside any transaction) and cache
 * the answer. 0 (nothing needed, or cached), or -1 with ERR (503). */
int buyer_registry_prepare(store_t *s, const cfg_t *cfg, int action, json_t *in, int64_t now_ms,
                           ondc_err_t *err);

#define BUYER_SEND_MAX 256

/* buyer_send - the buyer app's request ACTION (a buyer action) from the
 * client API body IN ({"context": {what the app chooses}, "message"}):
 * the node's context built around it, the request written into the
 * outbox for each seller it goes to (the gateway, every seller of the
 * domain and city, or the transaction's seller), and its record. Fills
 * IDS (the outbox rows, at most BUYER_SEND_MAX) and *N; returns the answer
 * for the app {"transaction_id", "message_id", "sent_to"}, or NULL with
 * ERR (400 with the path at fault, 404 unknown transaction). */
json_t *buyer_send(store_t *s, MDB_txn *txn, const cfg_t *cfg, int action, json_t *in,
                   int64_t now_ms, uint64_t *ids, int *n, ondc_err_t *err);

/* buyer_status - request record MESSAGE_ID with what became of each copy
 * sent (the outbox states: delivered = the seller ACKed, nacked with its
 * answer, pending with attempts, dead after its TTL) and the answers so
 * far (a search: merged per seller). NULL with ERR 404 when unknown. */
json_t *buyer_status(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *message_id,
                     ondc_err_t *err);

#endif
