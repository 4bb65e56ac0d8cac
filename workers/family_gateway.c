/*
 * family_gateway.c - the gateway role's family: a buyer app's search,
 * verified and journaled by the ingress (with the buyer app's
 * Authorization header before it), multicast to every seller the registry
 * lists for the search's domain and city: the registry file, and with
 * registry.url the ONDC registry's /v2.0/lookup by domain, city and type
 * BPP, cached (buyer_registry.c).
 *
 * A read-only family (worker.h): the handler runs in the batch's read
 * transaction, outside LMDB's write lock, because a seller list that is
 * not cached is asked of the registry there (blocking, at most
 * registry.timeout_ms); the finish hook then writes, in the batch's write
 * transaction, the list into the cache and one outbox row per seller:
 * {subscriber_url}/search with the search's exact bytes and the buyer
 * app's Authorization. The callback process adds the gateway's own
 * X-Gateway-Authorization over the same bytes and delivers each copy on
 * its own, retried with backoff until the search's TTL (counted from when
 * the ingress received it). The sellers answer the buyer app directly.
 * A registry that cannot be asked: the search goes to the sellers the
 * file and the cache know (none: logged, nothing sent).
 * ondc_gateway_searches_total and ondc_gateway_copies_total count the
 * fan-out.
 */
#include "worker.h"

#include "buyer.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s_write - the finish hook: the fetched list cached, one outbox row per
 * seller, in the batch's write transaction TXN. m->finish_arg holds
 * {"sellers", "fetched"?, "body", "auth"} made by s_multicast (the
 * request's own bytes are gone by now). */
static int s_write(worker_msg_t *m, MDB_txn *txn)
{
    const cfg_t *cfg = m->cfg;
    json_t *a = m->finish_arg;
    const char *domain = context_str(m->ctx, "domain"), *city = context_str(m->ctx, "city");
    const char *tid = context_str(m->ctx, "transaction_id");
    const char *mid = context_str(m->ctx, "message_id");
    json_t *fetched = json_object_get(a, "fetched");
    if (fetched && buyer_registry_cache_put(m->store, txn, cfg, domain, city, NULL, fetched,
                                            m->now_ms) < 0)
        return -1;
    const char *auth = json_string_value(json_object_get(a, "auth"));
    json_t *bj = json_object_get(a, "body");
    size_t hl = strlen(auth) + 32;
    char *headers = malloc(hl);
    if (!headers)
        return -1;
    snprintf(headers, hl, "Authorization: %s\n", auth);
    long ttl = context_parse_duration(context_str(m->ctx, "ttl"));
    int64_t received = context_parse_time(context_str(m->ctx, "timestamp"));
    if (received <= 0 || received > m->now_ms)
        received = m->now_ms;
    int64_t cap = m->now_ms + (int64_t)cfg->callback_max_age_s * 1000;
    int64_t deadline = received + (ttl > 0 ? ttl : 30) * 1000;
    if (deadline > cap)
        deadline = cap;
    size_t i;
    json_t *r;
    int n = 0, rc = 0;
    json_array_foreach(json_object_get(a, "sellers"), i, r)
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
        row.body = json_string_value(bj);
        row.body_len = json_string_length(bj);
        uint64_t id = 0;
        rc = outbox_put(m->store, txn, &row, &id) == 0 ? 0 : -1;
        free(url);
        if (rc == 0 && m->out && worker_out_add_row(m->out, m->store, txn, id) < 0)
            rc = -1;
        if (rc < 0)
            break;
        n++;
    }
    free(headers);
    if (rc < 0)
        return -1;
    char nb[16];
    snprintf(nb, sizeof nb, "%d", n);
    metrics_inc("ondc_gateway_searches_total", "");
    *metrics_counter("ondc_gateway_copies_total", "") += (uint64_t)n;
    log_info(n ? "gateway.multicast" : "gateway.no_sellers", "transaction_id", tid,
             "message_id", mid, "domain", domain, "city", city, "sellers", nb, NULL);
    return 0;
}

static int s_multicast(worker_msg_t *m)
{
    m->no_reply = 1;
    const cfg_t *cfg = m->cfg;
    const char *domain = context_str(m->ctx, "domain"), *city = context_str(m->ctx, "city");
    const char *mid = context_str(m->ctx, "message_id");
    if (!m->fwd_auth) {
        log_error("gateway.no_authorization", "message_id", mid, NULL);
        return 0;
    }
    int stale = 0;
    json_t *sellers = buyer_sellers_cached(m->store, m->txn, cfg, domain, city, m->now_ms, &stale);
    json_t *fetched = NULL;
    if (stale) {
        ondc_err_t err;
        fetched = buyer_registry_fetch(cfg, "gateway", domain, city, NULL, &err);
        size_t i;
        json_t *r, *seen = json_object();
        json_array_foreach(sellers, i, r)
        {
            json_object_set_new(seen, json_string_value(json_object_get(r, "subscriber_id")), json_true());
        }
        json_array_foreach(fetched, i, r)
        {
            const char *sub = json_string_value(json_object_get(r, "subscriber_id"));
            if (!json_object_get(seen, sub)) {
                json_object_set_new(seen, sub, json_true());
                json_array_append(sellers, r);
            }
        }
        json_decref(seen);
    }
    json_t *a = json_pack("{s:o,s:s%,s:s%}", "sellers", sellers, "body", m->body, m->body_len,
                          "auth", m->fwd_auth, m->fwd_auth_len);
    if (!a) {
        /* out of memory, or bytes that are no text: not multicast, said so */
        log_error("gateway.not_sent", "message_id", mid, NULL);
        json_decref(fetched);
        return 0;
    }
    if (fetched)
        json_object_set_new(a, "fetched", fetched);
    m->finish_arg = a;
    m->finish = s_write;
    return 0;
}

const worker_family_t family_gateway = {
    .family = FAMILY_GATEWAY,
    .read_only = 1,
    .any = s_multicast,
};
