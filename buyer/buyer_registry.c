/*
 * buyer_registry.c - the sellers a buyer app's search goes to, and a
 * seller's bpp_uri: from the registry file, else from the ONDC registry
 * (registry.url, POST /v2.0/lookup by domain, city and type BPP, or by
 * subscriber_id), cached in LMDB like the seller side's key lookups.
 *
 * The cache lives in the "buyer" database (buyer.h's key shape, its
 * first part empty, so one cache serves every role of the fleet):
 *   r US {domain} US {city}  -> {"until_ms", "sellers": [{subscriber_id, subscriber_url}]}
 *   u US {subscriber_id}     -> {"until_ms", "subscriber_url"}
 * A list or an address is kept registry.cache_max_s, and an empty
 * answer registry.negative_cache_s (so a registry that lists nobody is
 * not asked for every search, nor remembered as empty for long).
 *
 * The lookup itself (buyer_registry_fetch, buyer_registry_fetch.c, the
 * one part that needs libcurl) is a blocking HTTP call,
 * bounded by registry.timeout_ms: the caller makes it outside any write
 * transaction (ondc-client before its commit, in the connection's own
 * thread; the gateway worker in its read-only phase) and writes what it
 * got with buyer_registry_cache_put in the transaction that uses it. The
 * lookup is signed as the role that asks (buyer.* or gateway.* keys).
 *
 * Config keys read: registry.file, registry.url, registry.timeout_ms,
 * registry.cache_max_s, registry.negative_cache_s, country, buyer.* and
 * gateway.* identities.
 */
#include "buyer.h"

#include "log.h"

#include "context.h"
#include "sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US '\x1f'

/* s_jfree - free a text json_dumps made (it may come from a worker's arena) */
static void s_jfree(void *p)
{
    json_free_t f = NULL;
    json_get_alloc_funcs(NULL, &f);
    if (p)
        (f ? f : free)(p);
}

/* s_ckey - "{kind}US{a}[US{b}]" into BUF; its length, or 0 when too long */
static size_t s_ckey(char *buf, size_t cap, char kind, const char *a, const char *b)
{
    int n = b ? snprintf(buf, cap, "%c%c%s%c%s", kind, US, a, US, b)
              : snprintf(buf, cap, "%c%c%s", kind, US, a);
    return n < 0 || (size_t)n >= cap || n > 500 ? 0 : (size_t)n;
}

static json_t *s_cget(store_t *s, MDB_txn *txn, char kind, const char *a, const char *b,
                      int64_t now_ms)
{
    char kb[600];
    size_t kl = s_ckey(kb, sizeof kb, kind, a, b);
    MDB_val k = {kl, kb}, v;
    if (!kl || mdb_get(txn, s->dbi[DB_BUYER], &k, &v) != 0)
        return NULL;
    json_t *e = json_loadb(v.mv_data, v.mv_size, 0, NULL);
    if (e && json_integer_value(json_object_get(e, "until_ms")) <= now_ms) {
        json_decref(e);
        return NULL; /* stale: asked again */
    }
    return e;
}

static int s_cput(store_t *s, MDB_txn *txn, char kind, const char *a, const char *b, json_t *e)
{
    char kb[600];
    size_t kl = s_ckey(kb, sizeof kb, kind, a, b);
    if (!kl)
        return 0; /* too long to cache: asked each time */
    char *text = json_dumps(e, JSON_COMPACT);
    if (!text)
        return -1;
    MDB_val k = {kl, kb}, v = {strlen(text), text};
    int rc = mdb_put(txn, s->dbi[DB_BUYER], &k, &v, 0);
    s_jfree(text);
    return rc == 0 ? 0 : -1;
}

/* buyer_registry_filter - the usable seller records of RECS (an array in the lookup
 * answer's shape) for DOMAIN and CITY (NULL: any) appended to OUT as
 * {"subscriber_id", "subscriber_url"}, each subscriber once (SEEN) */
void buyer_registry_filter(json_t *recs, const char *domain, const char *city, json_t *seen, json_t *out)
{
    size_t i;
    json_t *r;
    json_array_foreach(recs, i, r)
    {
        const char *type = json_string_value(json_object_get(r, "type"));
        const char *sub = json_string_value(json_object_get(r, "subscriber_id"));
        const char *url = json_string_value(json_object_get(r, "subscriber_url"));
        const char *d = json_string_value(json_object_get(r, "domain"));
        const char *c = json_string_value(json_object_get(r, "city"));
        const char *st = json_string_value(json_object_get(r, "status"));
        if (!type || strcmp(type, "BPP") != 0 || !sub || !url || !*sub || !*url)
            continue;
        if (st && strcmp(st, "SUBSCRIBED") != 0)
            continue;
        if (d && domain && strcmp(d, domain) != 0)
            continue;
        if (c && city && strcmp(c, "*") != 0 && strcmp(city, "*") != 0 && strcmp(c, city) != 0)
            continue;
        if (json_object_get(seen, sub))
            continue;
        json_object_set_new(seen, sub, json_true());
        json_array_append_new(out, json_pack("{s:s,s:s}", "subscriber_id", sub, "subscriber_url", url));
    }
}

json_t *buyer_sellers(const cfg_t *cfg, const char *domain, const char *city)
{
    json_t *out = json_array();
    if (!cfg->registry_file[0])
        return out;
    json_t *recs = json_load_file(cfg->registry_file, 0, NULL);
    json_t *seen = json_object();
    buyer_registry_filter(recs, domain, city, seen, out);
    json_decref(seen);
    json_decref(recs);
    return out;
}

int buyer_seller_uri(const cfg_t *cfg, const char *bpp_id, char *out, size_t outlen)
{
    json_t *all = buyer_sellers(cfg, NULL, NULL);
    size_t i;
    json_t *r;
    int rc = -1;
    json_array_foreach(all, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "subscriber_id")), bpp_id) == 0) {
            snprintf(out, outlen, "%s", json_string_value(json_object_get(r, "subscriber_url")));
            rc = 0;
            break;
        }
    }
    json_decref(all);
    return rc;
}

json_t *buyer_sellers_cached(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *domain,
                             const char *city, int64_t now_ms, int *stale)
{
    json_t *out = buyer_sellers(cfg, domain, city);
    if (stale)
        *stale = 0;
    if (!cfg->registry_url[0] || !domain || !city)
        return out;
    json_t *e = s_cget(s, txn, 'r', domain, city, now_ms);
    if (!e) {
        if (stale)
            *stale = 1;
        return out;
    }
    json_t *seen = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(out, i, r)
    {
        json_object_set_new(seen, json_string_value(json_object_get(r, "subscriber_id")), json_true());
    }
    json_array_foreach(json_object_get(e, "sellers"), i, r)
    {
        const char *sub = json_string_value(json_object_get(r, "subscriber_id"));
        if (sub && !json_object_get(seen, sub)) {
            json_object_set_new(seen, sub, json_true());
            json_array_append(out, r);
        }
    }
    json_decref(seen);
    json_decref(e);
    return out;
}

int buyer_seller_uri_cached(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *bpp_id,
                            int64_t now_ms, char *out, size_t outlen)
{
    if (buyer_seller_uri(cfg, bpp_id, out, outlen) == 0)
        return 0;
    if (!cfg->registry_url[0])
        return -1;
    json_t *e = s_cget(s, txn, 'u', bpp_id, NULL, now_ms);
    if (!e)
        return 1;
    const char *url = json_string_value(json_object_get(e, "subscriber_url"));
    int rc = url && *url ? 0 : -1; /* "": the registry said it knows no such seller */
    if (rc == 0)
        snprintf(out, outlen, "%s", url);
    json_decref(e);
    return rc;
}

int buyer_registry_cache_put(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *domain,
                             const char *city, const char *subscriber_id, json_t *sellers,
                             int64_t now_ms)
{
    int64_t keep = (int64_t)(json_array_size(sellers) ? cfg->registry_cache_max_s
                                                      : cfg->registry_negative_cache_s) * 1000;
    if (keep <= 0)
        return 0;
    int rc = 0;
    if (domain && city && !subscriber_id) {
        json_t *e = json_pack("{s:I,s:O}", "until_ms", (json_int_t)now_ms + keep, "sellers", sellers);
        rc = s_cput(s, txn, 'r', domain, city, e);
        json_decref(e);
    }
    size_t i;
    json_t *r;
    json_array_foreach(sellers, i, r)
    {
        json_t *e = json_pack("{s:I,s:O}", "until_ms", (json_int_t)now_ms + (json_int_t)cfg->registry_cache_max_s * 1000,
                              "subscriber_url", json_object_get(r, "subscriber_url"));
        if (rc == 0)
            rc = s_cput(s, txn, 'u', json_string_value(json_object_get(r, "subscriber_id")), NULL, e);
        json_decref(e);
    }
    if (rc == 0 && subscriber_id && json_array_size(sellers) == 0) {
        json_t *e = json_pack("{s:I,s:s}", "until_ms", (json_int_t)now_ms + keep, "subscriber_url", "");
        rc = s_cput(s, txn, 'u', subscriber_id, NULL, e);
        json_decref(e);
    }
    return rc;
}
