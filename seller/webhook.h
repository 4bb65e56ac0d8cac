/*
 * webhook.h - order events for the seller's own backend (an ERP, an
 * inventory system, a shop), so that a seller who does not poll still
 * hears of every order in time.
 *
 * When seller.webhook_url is set, each event is a row of the outbox,
 * written in the same LMDB transaction as the change it tells of, and
 * delivered by ondc-callback like every callback: retried with the same
 * backoff for seller.webhook_ttl_s, then a dead letter (ondcctl dead
 * list, the console's health page). The callback process signs the body:
 * X-Ondc-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with the
 * contents of seller.webhook_secret_file without its trailing newline>.
 *
 * The body: {"event", "event_id" (a UUID: the backend's dedupe key, as a
 * row may be delivered more than once), "at", "order_id", "bap_id",
 * "transaction_id", "state", "accept_by"? (a Created order), "order" (as
 * the buyer app last saw it), "data"? (what the event adds)}. Events:
 *   order.created    a confirm made an order (Created, or Accepted with
 *                    seller.auto_accept)
 *   order.expiring   a Created order's acceptance window closes within
 *                    seller.accept_warn_s
 *   order.expired    it closed: the order was rejected for the seller
 *   order.cancelled  the buyer cancelled (data: reason)
 *   return.requested the buyer asked to return items (data: returns)
 *   rating           the buyer rated (data: the ratings)
 *   support          the buyer asked for support (data: ref_id)
 *
 * Config keys read: seller.webhook_url, seller.webhook_ttl_s.
 */
#ifndef ONDC_WEBHOOK_H
#define ONDC_WEBHOOK_H

#include "cfg.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

/* the outbox action of a seller webhook row */
#define WEBHOOK_ACTION "seller_webhook"

/* webhook_event - write EVENT about order record REC, with DATA (borrowed,
 * may be NULL), to the outbox in TXN; *ID gets the row, 0 when no
 * seller.webhook_url is set (nothing written). 0 or -1. */
int webhook_event(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *event, json_t *rec,
                  json_t *data, int64_t now_ms, uint64_t *id);

#endif
