/*
 * buyer_registry_fetch.c - the ONDC registry asked over HTTP for the
 * sellers of a domain and city, or a seller's address (buyer_registry_fetch),
 * and the client's step that asks it before a request when the cache
 * (buyer_registry.c) cannot tell (buyer_registry_prepare). The one part of
 * the buyer layer that needs libcurl: in a file of its own so that a
 * process that only reads the cache (ondc-admin) does not load libcurl and
 * the libraries it brings.
 *
 * Config keys read: registry.url, registry.timeout_ms, country, buyer.* and
 * gateway.* identities (and those of buyer_registry_cache_put).
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

#define ANSWER_MAX ((size_t)4 * 1024 * 1024)

/* s_jfree - free a text json_dumps made (it may come from a worker's arena) */
static void s_jfree(void *p)
{
    json_free_t f = NULL;
    json_get_alloc_funcs(NULL, &f);
    if (p)
        (f ? f : free)(p);
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
    buyer_registry_filter(recs, domain, city, seen, out);
    json_decref(seen);
    json_decref(recs);
    char n[16];
    snprintf(n, sizeof n, "%zu", json_array_size(out));
    log_info("buyer.registry_lookup", "domain", domain, "city", city, "subscriber_id",
             subscriber_id, "sellers", n, NULL);
    return out;
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
