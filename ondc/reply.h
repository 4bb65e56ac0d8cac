/*
 * reply.h - an on_* message into the outbox, solicited or not.
 *
 * Workers answer a request with its on_*; the seller's order desk (admin
 * API) sends unsolicited on_status / on_update / on_cancel on an order's
 * transaction with a fresh message_id. Both end here: the message as sent
 * (compact JSON, exact bytes) is written to the outbox in the caller's
 * transaction; the caller commits, then tells the callback process.
 */
#ifndef ONDC_REPLY_H
#define ONDC_REPLY_H

#include "cfg.h"
#include "err.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

/* reply_put - {context: CTX, message: MESSAGE?, error: ERR?} into the
 * outbox, addressed to CTX.bap_uri + "/" + CTX.action. JOURNAL_ID is the
 * request's (0 for unsolicited), REQUEST_MS when it was received (latency).
 * The row's deadline is CTX.ttl from REQUEST_MS (NOW_MS when 0), and at
 * most callback.max_age_s from NOW_MS (that, too, for a missing ttl).
 * Returns 0 with *OUTBOX_ID, or -1. One thread per process calls it (the
 * serialized message goes through a buffer the process keeps). */
int reply_put(store_t *s, MDB_txn *txn, const cfg_t *cfg, uint64_t journal_id, int64_t request_ms,
              json_t *ctx, json_t *message, const ondc_err_t *err, int64_t now_ms,
              uint64_t *outbox_id);

/* reply_unsolicited_context - the context of an unsolicited ACTION
 * ("on_status") on the transaction of ORDER_CTX (a stored request context):
 * same transaction and buyer app, a fresh message_id, timestamp NOW_MS.
 * Caller owns it. */
json_t *reply_unsolicited_context(const cfg_t *cfg, json_t *order_ctx, const char *action,
                                  int64_t now_ms);

/* reply_uuid - a random (v4) UUID into OUT (37 bytes). */
void reply_uuid(char out[37]);

#endif
