/*
 * buyer_send.c - the buyer app's requests into the outbox, and what became
 * of them. See buyer.h.
 *
 * The client API gives what the buyer app chooses (domain, city,
 * transaction_id, bpp_id, the message); the node fills the rest of the
 * context: action, country, core_version (1.2.0 unless given), bap_id and
 * bap_uri (the buyer role's), bpp_uri (the transaction's seller as its
 * on_search named it, else the registry: buyer_registry.c), a fresh message_id, the
 * timestamp and ttl (buyer.ttl_s). Each copy is an outbox row addressed to
 * {uri}/{action}: the callback process signs it with the buyer role's key
 * and delivers it like an on_*, retrying until the TTL; the seller's
 * ACK/NACK is its delivery state.
 */
#include "buyer.h"

#include "jarena.h"
#include "log.h"

#include "context.h"
#include "outbox.h"
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s_jfree - free a text json_dumps made: it may come from a worker's
 * arena (jarena.h), so it goes back through jansson's free */
static void s_jfree(void *p)
{
    json_free_t f = NULL;
    json_get_alloc_funcs(NULL, &f);
    if (p)
        (f ? f : free)(p);
}

/* s_str - string at OBJ.KEY of at most MAX chars, or NULL; a value there
 * of another type or longer is an error at PATH */
static int s_str(json_t *obj, const char *key, size_t max, const char **out, ondc_err_t *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) == 0 ||
        strlen(json_string_value(v)) > max)
    {
        char path[64];
        snprintf(path, sizeof path, "context.%s", key);
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, path,
                       "%s must be a string of 1 to %zu characters", path, max);
    }
    *out = json_string_value(v);
    return 0;
}

/* s_row - one copy of BODY to URL/ACTION into the outbox */
static int s_row(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *base, const char *action,
                 const char *tid, const char *mid, const char *body, int64_t now_ms, uint64_t *id)
{
    char *url = context_request_url(base, action);
    if (!url)
        return -1;
    outbox_row_t row;
    memset(&row, 0, sizeof row);
    row.created_ms = row.request_ms = now_ms;
    row.deadline_ms = now_ms + (int64_t)cfg->buyer_ttl_s * 1000;
    snprintf(row.action, sizeof row.action, "%s", action);
    snprintf(row.transaction_id, sizeof row.transaction_id, "%s", tid);
    snprintf(row.message_id, sizeof row.message_id, "%s", mid);
    row.url = url;
    row.body = body;
    row.body_len = strlen(body);
    int rc = outbox_put(s, txn, &row, id);
    free(url);
    return rc == 0 ? 0 : -1;
}

json_t *buyer_send(store_t *s, MDB_txn *txn, const cfg_t *cfg, int action, json_t *in,
                   int64_t now_ms, uint64_t *ids, int *n, ondc_err_t *err)
{
    *n = 0;
    const char *aname = context_action_name((action_t)action);
    json_t *cin = json_object_get(in, "context"), *msg = json_object_get(in, "message");
    if (!json_is_object(in)) {
        err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "", "body must be a JSON object");
        return NULL;
    }
    if (cin && !json_is_object(cin)) {
        err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "context", "context must be an object");
        return NULL;
    }
    if (!json_is_object(msg)) {
        err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "message",
                "message must be an object (the Beckn message of %s)", aname);
        return NULL;
    }
    const char *domain, *city, *tid, *bpp, *bpp_uri, *ver, *country;
    if (s_str(cin, "domain", 64, &domain, err) || s_str(cin, "city", 64, &city, err) ||
        s_str(cin, "transaction_id", 200, &tid, err) || s_str(cin, "bpp_id", 200, &bpp, err) ||
        s_str(cin, "bpp_uri", 400, &bpp_uri, err) || s_str(cin, "core_version", 16, &ver, err) ||
        s_str(cin, "country", 8, &country, err))
        return NULL;
    const char *bap = cfg->buyer_subscriber_id;
    char tidbuf[37], mid[37];
    json_t *t = tid ? buyer_get(s, txn, 't', bap, tid) : NULL;
    json_t *answer = NULL, *ctx = NULL;
    if (action != ACT_SEARCH && !tid) {
        err_set(err, ERR_TYPE_CONTEXT, 400, ERR_INVALID_REQUEST, "context.transaction_id",
                "context.transaction_id is required for %s (the search's, or a new one with "
                "context.bpp_id)", aname);
        goto out;
    }
    if (tid && !t && action != ACT_SEARCH && action != ACT_SELECT) {
        err_set(err, ERR_TYPE_CONTEXT, 404, ERR_INVALID_REQUEST, "context.transaction_id",
                "unknown transaction %.100s", tid);
        goto out;
    }
    if (!t)
        t = json_object();
    if (!tid) {
        reply_uuid(tidbuf);
        tid = tidbuf;
    }
    /* what the app leaves out comes from the transaction so far */
    if (!domain)
        domain = json_string_value(json_object_get(t, "domain"));
    if (!city)
        city = json_string_value(json_object_get(t, "city"));
    if (!ver)
        ver = json_string_value(json_object_get(t, "core_version"));
    if (!bpp && action != ACT_SEARCH)
        bpp = json_string_value(json_object_get(t, "bpp_id"));
    if (!domain || !city) {
        err_set(err, ERR_TYPE_CONTEXT, 400, ERR_INVALID_REQUEST, !domain ? "context.domain" : "context.city",
                "context.%s is required", !domain ? "domain" : "city");
        goto out;
    }
    if (action != ACT_SEARCH && !bpp) {
        err_set(err, ERR_TYPE_CONTEXT, 400, ERR_INVALID_REQUEST, "context.bpp_id",
                "context.bpp_id is required for %s: the seller it goes to", aname);
        goto out;
    }
    char uri[CFG_STR_MAX] = "";
    if (bpp) {
        const char *known = json_string_value(json_object_get(json_object_get(t, "sellers"), bpp));
        if (bpp_uri)
            snprintf(uri, sizeof uri, "%s", bpp_uri);
        else if (known)
            snprintf(uri, sizeof uri, "%s", known);
        else if (buyer_seller_uri_cached(s, txn, cfg, bpp, now_ms, uri, sizeof uri) != 0) {
            err_set(err, ERR_TYPE_CONTEXT, 400, ERR_INVALID_REQUEST, "context.bpp_id",
                    "seller %.100s: no bpp_uri (no on_search from it in this transaction, not "
                    "in the registry)", bpp);
            goto out;
        }
    }
    reply_uuid(mid);
    char ts[40], ttl[24];
    context_format_time(now_ms, ts, sizeof ts);
    snprintf(ttl, sizeof ttl, "PT%dS", cfg->buyer_ttl_s);
    ctx = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "domain", domain, "action",
                    aname, "country", country ? country : cfg->country, "city", city,
                    "core_version", ver ? ver : "1.2.0", "bap_id", bap, "bap_uri", cfg->bap_uri,
                    "transaction_id", tid, "message_id", mid, "timestamp", ts, "ttl", ttl);
    if (bpp) {
        json_object_set_new(ctx, "bpp_id", json_string(bpp));
        json_object_set_new(ctx, "bpp_uri", json_string(uri));
    }
    json_t *req = json_pack("{s:O,s:O}", "context", ctx, "message", msg);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "out of memory");
        goto out;
    }
    /* where it goes */
    json_t *targets = json_array();
    if (bpp)
        json_array_append_new(targets, json_string(uri));
    else if (cfg->buyer_gateway_uri[0])
        json_array_append_new(targets, json_string(cfg->buyer_gateway_uri));
    else {
        json_t *sellers = buyer_sellers_cached(s, txn, cfg, domain, city, now_ms, NULL);
        size_t i;
        json_t *r;
        json_array_foreach(sellers, i, r)
        {
            if (json_array_size(targets) < BUYER_SEND_MAX)
                json_array_append(targets, json_object_get(r, "subscriber_url"));
        }
        json_decref(sellers);
    }
    json_t *oids = json_array();
    size_t i;
    json_t *u;
    int failed = 0;
    json_array_foreach(targets, i, u)
    {
        uint64_t id = 0;
        if (s_row(s, txn, cfg, json_string_value(u), aname, tid, mid, body, now_ms, &id) < 0) {
            failed = 1;
            break;
        }
        ids[(*n)++] = id;
        json_array_append_new(oids, json_integer((json_int_t)id));
    }
    s_jfree(body);
    json_t *m = json_pack("{s:s,s:s,s:s?,s:I,s:o,s:o,s:O}", "action", aname, "transaction_id", tid,
                          "bpp_id", bpp, "created_ms", (json_int_t)now_ms, "outbox", oids,
                          "targets", targets, "context", ctx);
    /* the transaction: its domain and city, and from the cart on its seller */
    json_object_set_new(t, "domain", json_string(domain));
    json_object_set_new(t, "city", json_string(city));
    json_object_set_new(t, "core_version", json_string(ver ? ver : "1.2.0"));
    if (bpp && !json_is_string(json_object_get(t, "order_id"))) {
        json_object_set_new(t, "bpp_id", json_string(bpp));
        json_object_set_new(t, "bpp_uri", json_string(uri));
    }
    if (!json_object_get(t, "created_ms"))
        json_object_set_new(t, "created_ms", json_integer((json_int_t)now_ms));
    if (failed || !m || buyer_put(s, txn, 'm', bap, mid, m) != 0 ||
        buyer_put(s, txn, 't', bap, tid, t) != 0) {
        json_decref(m);
        err_set(err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "", "request could not be made durable; retry shortly");
        goto out;
    }
    json_decref(m);
    answer = json_pack("{s:s,s:s,s:i}", "transaction_id", tid, "message_id", mid, "sent_to", *n);
out:
    json_decref(ctx);
    json_decref(t);
    return answer;
}

json_t *buyer_status(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *message_id,
                     ondc_err_t *err)
{
    const char *bap = cfg->buyer_subscriber_id;
    json_t *m = buyer_get(s, txn, 'm', bap, message_id);
    if (!m) {
        err_set(err, ERR_TYPE_CONTEXT, 404, ERR_INVALID_REQUEST, "messageId",
                "no request of this buyer app with message_id %.100s", message_id);
        return NULL;
    }
    json_t *sent = json_array();
    size_t i;
    json_t *id;
    json_t *targets = json_object_get(m, "targets");
    json_array_foreach(json_object_get(m, "outbox"), i, id)
    {
        outbox_state_t st;
        json_t *one = json_pack("{s:O?}", "to", json_array_get(targets, i));
        if (outbox_state_get(s, txn, (uint64_t)json_integer_value(id), &st) == 0) {
            json_object_set_new(one, "state", json_string(outbox_status_name(st.status)));
            json_object_set_new(one, "attempts", json_integer(st.attempts));
            if (st.http_status)
                json_object_set_new(one, "http_status", json_integer(st.http_status));
            if (st.answer[0])
                json_object_set_new(one, "answer", json_string(st.answer));
        } else {
            json_object_set_new(one, "state", json_string("pruned"));
        }
        json_array_append_new(sent, one);
    }
    const char *tid = json_string_value(json_object_get(m, "transaction_id"));
    json_t *answers = buyer_answers(s, txn, bap, tid, message_id, 0);
    json_t *out = json_pack("{s:s,s:s,s:O,s:o}", "message_id", message_id, "transaction_id", tid,
                            "action", json_object_get(m, "action"), "sent", sent);
    if (strcmp(json_string_value(json_object_get(m, "action")), "search") == 0)
        json_object_set_new(out, "sellers", buyer_merge_search(answers));
    json_object_set_new(out, "answers", answers);
    json_decref(m);
    return out;
}
