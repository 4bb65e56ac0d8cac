/*
 * family_gateway.c - the gateway role's family: a buyer app's search,
 * verified and journaled by the ingress (with the buyer app's
 * Authorization header before it), multicast to every seller the registry
 * file lists for the search's domain and city.
 *
 * Each copy is an outbox row to {seller's subscriber_url}/search with the
 * search's exact bytes and the buyer app's Authorization; the callback
 * process adds the gateway's own X-Gateway-Authorization over the same
 * bytes and delivers each copy on its own, retried with backoff until the
 * search's TTL (counted from when the ingress received it). The sellers
 * answer the buyer app directly. ondc_gateway_searches_total and
 * ondc_gateway_copies_total count the fan-out.
 */
#include "worker.h"

#include "buyer.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_multicast(worker_msg_t *m)
{
    m->no_reply = 1;
    const cfg_t *cfg = m->cfg;
    const char *domain = context_str(m->ctx, "domain"), *city = context_str(m->ctx, "city");
    const char *tid = context_str(m->ctx, "transaction_id");
    const char *mid = context_str(m->ctx, "message_id");
    if (!m->fwd_auth) {
        log_error("gateway.no_authorization", "message_id", mid, NULL);
        return 0;
    }
    char *headers = malloc(m->fwd_auth_len + 32);
    if (!headers)
        return -1;
    snprintf(headers, m->fwd_auth_len + 32, "Authorization: %.*s\n", (int)m->fwd_auth_len,
             m->fwd_auth);
    long ttl = context_parse_duration(context_str(m->ctx, "ttl"));
    int64_t received = context_parse_time(context_str(m->ctx, "timestamp"));
    if (received <= 0 || received > m->now_ms)
        received = m->now_ms;
    int64_t cap = m->now_ms + (int64_t)cfg->callback_max_age_s * 1000;
    int64_t deadline = received + (ttl > 0 ? ttl : 30) * 1000;
    if (deadline > cap)
        deadline = cap;
    json_t *sellers = buyer_sellers(cfg, domain, city);
    size_t i;
    json_t *r;
    int n = 0, rc = 0;
    json_array_foreach(sellers, i, r)
    {
        char *url = context_request_url(json_string_value(json_object_get(r, "subscriber_url")),
                                         "search");
        if (!url)
            continue;
        outbox_row_t row;
        memset(&row, 0, sizeof row);
        row.journal_id = m->journal_id;
        row.created_ms = m->now_ms;
        row.request_ms = received;
        row.deadline_ms = deadline;
        snprintf(row.action, sizeof row.action, "search");
        snprintf(row.transaction_id, sizeof row.transaction_id, "%s", tid ? tid : "");
        snprintf(row.message_id, sizeof row.message_id, "%s", mid ? mid : "");
        row.url = url;
        row.headers = headers;
        row.body = m->body;
        row.body_len = m->body_len;
        uint64_t id = 0;
        rc = outbox_put(m->store, m->txn, &row, &id) == 0 ? 0 : -1;
        free(url);
        if (rc == 0 && m->out && worker_out_add_row(m->out, m->store, m->txn, id) < 0)
            rc = -1;
        if (rc < 0)
            break;
        n++;
    }
    json_decref(sellers);
    free(headers);
    if (rc < 0)
        return -1;
    char nb[16];
    snprintf(nb, sizeof nb, "%d", n);
    metrics_inc("ondc_gateway_searches_total", "");
    *metrics_counter("ondc_gateway_copies_total", "") += (uint64_t)n;
    log_info("gateway.multicast", "transaction_id", tid, "message_id", mid, "domain", domain,
             "city", city, "sellers", nb, NULL);
    return 0;
}

const worker_family_t family_gateway = {
    .family = FAMILY_GATEWAY,
    .any = s_multicast,
};
