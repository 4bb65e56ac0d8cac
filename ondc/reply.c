/*
 * reply.c - on_* messages into the outbox. See reply.h.
 */
#include "reply.h"

#include "jarena.h"

#include "ack.h"
#include "context.h"
#include "outbox.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void reply_uuid(char out[37])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

int reply_put(store_t *s, MDB_txn *txn, const cfg_t *cfg, uint64_t journal_id, int64_t request_ms,
              json_t *ctx, json_t *message, const ondc_err_t *err, int64_t now_ms,
              uint64_t *outbox_id)
{
    json_t *reply = json_object();
    json_object_set(reply, "context", ctx);
    if (message)
        json_object_set(reply, "message", message);
    if (err)
        json_object_set_new(reply, "error", ack_error_object(err));
    /* written into a buffer kept from call to call, in one pass (jdump.h:
     * json_dumpb formats and hashes a pointer per object on every call) */
    size_t need = 0;
    const char *body = jarena_dumpb(reply, &need);
    json_decref(reply);
    const char *bap_uri = context_str(ctx, "bap_uri");
    const char *action = context_str(ctx, "action");
    char *url = NULL;
    if (bap_uri && action && strncmp(action, "on_", 3) == 0)
        url = context_callback_url(bap_uri, action + 3);
    long ttl = context_parse_duration(context_str(ctx, "ttl"));
    int rc = -1;
    if (!body || !url)
        goto out;
    outbox_row_t row;
    memset(&row, 0, sizeof row);
    row.journal_id = journal_id;
    row.created_ms = now_ms;
    row.request_ms = request_ms ? request_ms : now_ms;
    /* the buyer app waits for an answer TTL from its request, not from
     * when a worker came to it: past that the on_* is no use to it (a
     * request worked off late from a backlog gets less time, or none);
     * callback.max_age_s, the node's own limit, counts from now and also
     * stands in for a missing or unreadable TTL */
    int64_t cap = now_ms + (int64_t)cfg->callback_max_age_s * 1000;
    row.deadline_ms = ttl > 0 ? row.request_ms + (int64_t)ttl * 1000 : cap;
    if (row.deadline_ms > cap)
        row.deadline_ms = cap;
    snprintf(row.action, sizeof row.action, "%s", action);
    const char *tid = context_str(ctx, "transaction_id"), *mid = context_str(ctx, "message_id");
    snprintf(row.transaction_id, sizeof row.transaction_id, "%s", tid ? tid : "");
    snprintf(row.message_id, sizeof row.message_id, "%s", mid ? mid : "");
    row.url = url;
    row.body = body;
    row.body_len = need;
    rc = outbox_put(s, txn, &row, outbox_id) == 0 ? 0 : -1;
out:
    free(url);
    return rc;
}

json_t *reply_unsolicited_context(const cfg_t *cfg, json_t *order_ctx, const char *action,
                                  int64_t now_ms)
{
    json_t *ctx = json_deep_copy(order_ctx);
    if (!ctx)
        return NULL;
    char mid[37], ts[40];
    reply_uuid(mid);
    context_format_time(now_ms, ts, sizeof ts);
    json_object_set_new(ctx, "action", json_string(action));
    json_object_set_new(ctx, "message_id", json_string(mid));
    json_object_set_new(ctx, "timestamp", json_string(ts));
    json_object_set_new(ctx, "bpp_id", json_string(cfg->subscriber_id));
    json_object_set_new(ctx, "bpp_uri", json_string(cfg->bpp_uri));
    json_object_set_new(ctx, "ttl", json_string("PT30S"));
    return ctx;
}
