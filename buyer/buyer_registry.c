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
 * The lookup itself (buyer_registry_fetch) is a blocking HTTP call,
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

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define US '\x1f'
#define ANSWER_MAX ((size_t)4 * 1024 * 1024)

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

/* s_filter - the usable seller records of RECS (an array in the lookup
 * answer's shape) for DOMAIN and CITY (NULL: any) appended to OUT as
 * {"subscriber_id", "subscriber_url"}, each subscriber once (SEEN) */
static void s_filter(json_t *recs, const char *domain, const char *city, json_t *seen, json_t *out)
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
    s_filter(recs, domain, city, seen, out);
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

static size_t s_collect(char *ptr, size_t size, size_t n, void *arg)
{
    FILE *f = arg;
    size_t len = size * n;
    long at = ftell(f);
    if (at < 0 || (size_t)at + len > ANSWER_MAX)
        return 0; /* too large: the transfer fails */
    return fwrite(ptr, 1, len, f);
}

json_t *buyer_registry_fetch(const cfg_t *cfg, const char *role, const char *domain,
                             const char *city, const char *subscriber_id, ondc_err_t *err)
{
    int gw = strcmp(role, "gateway") == 0;
    const char *sub = gw ? cfg->gateway_subscriber_id : cfg->buyer_subscriber_id;
    const char *ukid = gw ? cfg->gateway_unique_key_id : cfg->buyer_unique_key_id;
    const char *keyf = gw ? cfg->gateway_signing_key_file : cfg->buyer_signing_key_file;
    char url[CFG_STR_MAX + 32];
    size_t ul = strlen(cfg->registry_url);
    snprintf(url, sizeof url, "%.*s/v2.0/lookup", (int)(ul && cfg->registry_url[ul - 1] == '/' ? ul - 1 : ul),
             cfg->registry_url);
    json_t *q = json_pack("{s:s,s:s}", "country", cfg->country, "type", "BPP");
    if (domain)
        json_object_set_new(q, "domain", json_string(domain));
    if (city)
        json_object_set_new(q, "city", json_string(city));
    if (subscriber_id)
        json_object_set_new(q, "subscriber_id", json_string(subscriber_id));
    char *body = json_dumps(q, JSON_COMPACT);
    json_decref(q);
    if (!body) {
        err_set(err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "", "out of memory");
        return NULL;
    }
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    sign_key_t key;
    ondc_err_t kerr;
    if (keyf[0] && sign_key_load_file(&key, keyf, &kerr) == 0) {
        long now = (long)time(NULL);
        (void)sign_auth_append(&h, &key, sub, ukid, body, strlen(body), now,
                               now + cfg->signature_validity_s);
        sodium_memzero(&key, sizeof key);
    }
    char *resp = NULL;
    size_t resp_len = 0;
    FILE *mem = open_memstream(&resp, &resp_len);
    CURL *c = curl_easy_init();
    CURLcode rc = CURLE_FAILED_INIT;
    long status = 0;
    if (c && mem) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->registry_timeout_ms);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    if (c)
        curl_easy_cleanup(c);
    if (mem)
        fclose(mem);
    curl_slist_free_all(h);
    s_jfree(body);
    json_t *recs = rc == CURLE_OK && status == 200 && resp ? json_loadb(resp, resp_len, 0, NULL) : NULL;
    free(resp);
    if (!json_is_array(recs)) {
        char why[64];
        snprintf(why, sizeof why, "%s, HTTP %ld", rc == CURLE_OK ? "no lookup answer" : curl_easy_strerror(rc),
                 status);
        log_warn("buyer.registry_lookup_failed", "domain", domain, "city", city, "subscriber_id",
                 subscriber_id, "why", why, NULL);
        json_decref(recs);
        err_set(err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "",
                "the ONDC registry could not be asked (%s); retry shortly", why);
        return NULL;
    }
    json_t *out = json_array(), *seen = json_object();
    s_filter(recs, domain, city, seen, out);
    json_decref(seen);
    json_decref(recs);
    char n[16];
    snprintf(n, sizeof n, "%zu", json_array_size(out));
    log_info("buyer.registry_lookup", "domain", domain, "city", city, "subscriber_id",
             subscriber_id, "sellers", n, NULL);
    return out;
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

int buyer_registry_prepare(store_t *s, const cfg_t *cfg, int action, json_t *in, int64_t now_ms,
                           ondc_err_t *err)
{
    if (!cfg->registry_url[0])
        return 0;
    json_t *cin = json_object_get(in, "context");
    const char *domain = json_string_value(json_object_get(cin, "domain"));
    const char *city = json_string_value(json_object_get(cin, "city"));
    const char *tid = json_string_value(json_object_get(cin, "transaction_id"));
    const char *bpp = json_string_value(json_object_get(cin, "bpp_id"));
    const char *bap = cfg->buyer_subscriber_id;
    MDB_txn *txn = store_begin(s, 1);
    if (!txn)
        return 0; /* buyer_send finds the store busy and says so */
    json_t *t = tid ? buyer_get(s, txn, 't', bap, tid) : NULL;
    if (!domain)
        domain = json_string_value(json_object_get(t, "domain"));
    if (!city)
        city = json_string_value(json_object_get(t, "city"));
    if (!bpp && action != ACT_SEARCH)
        bpp = json_string_value(json_object_get(t, "bpp_id"));
    int need_list = 0, need_uri = 0;
    char uri[CFG_STR_MAX];
    if (action == ACT_SEARCH && !bpp && !cfg->buyer_gateway_uri[0] && domain && city) {
        json_t *l = buyer_sellers_cached(s, txn, cfg, domain, city, now_ms, &need_list);
        json_decref(l);
    } else if (bpp && !json_object_get(cin, "bpp_uri") &&
               !json_object_get(json_object_get(t, "sellers"), bpp)) {
        need_uri = buyer_seller_uri_cached(s, txn, cfg, bpp, now_ms, uri, sizeof uri) == 1;
    }
    /* copies: the strings borrowed from T die with it and the read transaction */
    char dom[128] = "", cit[128] = "", sub[256] = "";
    snprintf(dom, sizeof dom, "%s", domain ? domain : "");
    snprintf(cit, sizeof cit, "%s", city ? city : "");
    snprintf(sub, sizeof sub, "%s", bpp ? bpp : "");
    json_decref(t);
    mdb_txn_abort(txn);
    if (!need_list && !need_uri)
        return 0;
    json_t *got = buyer_registry_fetch(cfg, "buyer", need_list ? dom : (dom[0] ? dom : NULL),
                                       need_list ? cit : NULL, need_uri ? sub : NULL, err);
    if (!got)
        return -1;
    int rc = -1;
    txn = store_begin_write(s, 0, NULL);
    if (txn) {
        if (buyer_registry_cache_put(s, txn, cfg, need_list ? dom : NULL, need_list ? cit : NULL,
                                     need_uri ? sub : NULL, got, now_ms) == 0)
            rc = store_commit(txn) == 0 ? 0 : -1; /* the commit frees TXN either way */
        else
            mdb_txn_abort(txn);
    }
    json_decref(got);
    if (rc < 0)
        err_set(err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "", "store busy; retry shortly");
    return rc;
}
