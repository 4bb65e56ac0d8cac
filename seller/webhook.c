/*
 * webhook.c - order events into the outbox for the seller's backend. See
 * webhook.h.
 */
#include "webhook.h"

#include "context.h"
#include "jarena.h"
#include "outbox.h"
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int webhook_event(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *event, json_t *rec,
                  json_t *data, int64_t now_ms, uint64_t *id)
{
    *id = 0;
    if (!cfg->seller_webhook_url[0])
        return 0;
    json_t *order = json_object_get(rec, "order");
    char eid[37], at[40];
    reply_uuid(eid);
    context_format_time(now_ms, at, sizeof at);
    json_t *ev = json_pack("{s:s,s:s,s:s,s:O?,s:O?,s:O?,s:O?,s:O?}", "event", event, "event_id",
                           eid, "at", at, "order_id", json_object_get(order, "id"), "bap_id",
                           json_object_get(rec, "bap_id"), "transaction_id",
                           json_object_get(rec, "transaction_id"), "state",
                           json_object_get(order, "state"), "order", order);
    if (!ev)
        return -1;
    json_t *by = json_object_get(rec, "accept_by_ms");
    const char *st = json_string_value(json_object_get(order, "state"));
    if (json_is_integer(by) && st && strcmp(st, "Created") == 0) {
        char t[40];
        context_format_time(json_integer_value(by), t, sizeof t);
        json_object_set_new(ev, "accept_by", json_string(t));
    }
    if (data)
        json_object_set(ev, "data", data);
    char *body = jarena_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    if (!body)
        return -1;
    outbox_row_t row;
    memset(&row, 0, sizeof row);
    row.created_ms = row.request_ms = now_ms;
    row.deadline_ms = now_ms + (int64_t)cfg->seller_webhook_ttl_s * 1000;
    snprintf(row.action, sizeof row.action, "%s", WEBHOOK_ACTION);
    snprintf(row.transaction_id, sizeof row.transaction_id, "%s",
             json_string_value(json_object_get(rec, "transaction_id")) ?: "");
    snprintf(row.message_id, sizeof row.message_id, "%s", eid);
    row.url = cfg->seller_webhook_url;
    row.body = body;
    row.body_len = strlen(body);
    int rc = outbox_put(s, txn, &row, id) == 0 ? 0 : -1;
    free(body);
    return rc;
}
