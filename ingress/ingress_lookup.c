/*
 * ingress_lookup.c - registry lookups over HTTP, inside the ingress loop.
 *
 * A request whose key is neither in the registry file, nor in the LMDB
 * cache, nor remembered as unknown waits here, its connection suspended,
 * while POST {registry.url}/v2.0/lookup runs in libcurl multi plugged into
 * the process loop (CURLMOPT_SOCKETFUNCTION / TIMERFUNCTION, as the callback
 * process does): nothing blocks, and requests that need no lookup go on
 * being served meanwhile. The lookup body is signed with our own
 * Authorization header.
 *
 * Invariants:
 *  - one lookup in flight per key (subscriber|ukId): requests needing the
 *    same unknown key wait on the same lookup (its waiter list, chained
 *    through req_t.lk_next);
 *  - every waiting request is resumed exactly once: when its lookup ends
 *    (ingress_check_keys again with the fetched record, then the batch or a
 *    NACK), or at fini (503). A lookup ends within registry.timeout_ms
 *    (curl's whole-transfer timeout), so a registry that is down costs a
 *    waiting request at most that, and is answered 503 - "cannot tell",
 *    not 401 - unless the registry answered that it does not know the key;
 *  - at most LOOKUPS_MAX lookups are in flight (more: 503 at once), and an
 *    answer larger than ANSWER_MAX is refused;
 *  - a client address starts at most registry.lookup_rate_per_address
 *    lookups a second (token bucket, bursts of four times that) and has
 *    at most registry.lookups_per_address in flight, fewer as the slots
 *    fill, and the last eighth of the slots only for an address with none
 *    in flight (more: 429 at once):
 *    requests with made-up subscriber ids from a few addresses cannot
 *    take the slots a buyer app whose key is not cached yet needs. A
 *    request that joins a lookup already in flight costs nothing;
 *  - a fetched record is kept in memory until the next before-sleep flush
 *    writes it to LMDB (registry_cache_put_txn, one transaction for all of
 *    a loop turn), and is found there by ingress_lookup_wait meanwhile. An
 *    unknown key is remembered by registry_lookup_answer (negative cache).
 *
 * Ownership: lookups and their buffers are owned here; waiting requests are
 * borrowed (MHD owns them, and does not free a suspended connection's).
 *
 * Metrics: ondc_registry_lookups_total{result="fetched|unknown|failed"},
 * ondc_registry_lookup_duration_seconds.
 *
 * Config keys read: registry.url (through the registry), registry.timeout_ms,
 * registry.lookups_per_address, registry.lookup_rate_per_address,
 * country, subscriber_id, unique_key_id, signature_validity_s.
 */
#include "ingress.h"

#include "clock.h"
#include "curlloop.h"

#include "ack.h"
#include "context.h"
#include "log.h"
#include "metrics.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOOKUPS_MAX 256
#define ANSWER_MAX ((size_t)1024 * 1024)
#define SOURCES 1024 /* client addresses tracked (direct-mapped by hash) */

/* a client address's lookups: in flight, and its token bucket */
typedef struct {
    uint64_t key; /* hash of the address; 0: free */
    int inflight;
    double tokens;
    int64_t last_ms;
} s_source_t;

typedef struct lk_s {
    char sub[256], ukid[128];
    CURL *easy;
    struct curl_slist *headers;
    char *body; /* the request body (owned; curl reads it in place) */
    char *resp; /* the answer (owned) */
    size_t resp_len, resp_cap;
    int64_t started_ms;
    s_source_t *source; /* the address that started it (its in-flight count) */
    req_t *waiters, **waiters_tail;
    struct lk_s *next;
} lk_t;

typedef struct {
    registry_record_t rec;
    int64_t at_ms;
} s_fetched_t;

struct ingress_lookup_s {
    ingress_t *in;
    curlloop_t *curl;
    CURLM *multi; /* borrowed from curl */
    lk_t *inflight;
    int n;
    s_fetched_t *fetched; /* waiting for the before-sleep flush */
    size_t nfetched, capfetched;
    s_source_t sources[SOURCES];
};

/* s_source_take - the source entry of CONN's address with one lookup's
 * token taken, or NULL with ERR (429) when the address is past its rate or
 * its lookups in flight. An entry held by another address with nothing in
 * flight is taken over; one with lookups in flight is shared (the limits
 * then bind the two together: stricter, never looser). */
static s_source_t *s_source_take(ingress_lookup_t *L, struct MHD_Connection *conn, int64_t now,
                                 ondc_err_t *err)
{
    const cfg_t *cfg = &L->in->rt->cfg;
    uint64_t key = ingress_address_hash(conn, 0);
    s_source_t *s = &L->sources[key % SOURCES];
    double rate = cfg->registry_lookup_rate_per_address, burst = 4.0 * rate;
    if (s->key != key && s->inflight == 0) {
        s->key = key;
        s->tokens = burst;
        s->last_ms = now;
    }
    if (now > s->last_ms) {
        s->tokens += (double)(now - s->last_ms) * rate / 1000.0;
        if (s->tokens > burst)
            s->tokens = burst;
        s->last_ms = now;
    }
    /* an address's share of the slots in flight shrinks as they fill (half
     * the free ones at most), and the last eighth is kept for addresses
     * with no lookup in flight: many addresses together cannot take the
     * slot a buyer app whose key is not cached needs */
    int share = (LOOKUPS_MAX - L->n) / 2;
    if (share > cfg->registry_lookups_per_address)
        share = cfg->registry_lookups_per_address;
    if (share < 1)
        share = 1;
    if (s->inflight >= share || (s->inflight > 0 && L->n >= LOOKUPS_MAX - LOOKUPS_MAX / 8) ||
        s->tokens < 1.0) {
        err_set(err, ERR_TYPE_POLICY, 429, ERR_INVALID_REQUEST, "",
                "too many registry lookups from your address; retry shortly");
        return NULL;
    }
    s->tokens -= 1.0;
    s->inflight++;
    return s;
}

void ingress_refuse(ingress_t *in, req_t *r, const ondc_err_t *err)
{
    in->n_nack++;
    ingress_count(in, r->action, "nack", err->code, r->started_ms);
    r->status = err->http_status ? err->http_status : 401;
    r->answer = ack_nack_body(err);
    r->www_auth = r->status == 401;
    r->state = REQ_DONE;
    log_info("request.nack", "action", context_action_name((action_t)r->action), "code",
             err->code, "path", err->path, "why", err->message, "transaction_id",
             r->row.transaction_id, "message_id", r->row.message_id, NULL);
    MHD_resume_connection(r->conn);
    in->resumed = 1;
}

static void s_unlink(ingress_lookup_t *L, lk_t *lk)
{
    for (lk_t **p = &L->inflight; *p; p = &(*p)->next)
        if (*p == lk) {
            *p = lk->next;
            L->n--;
            return;
        }
}

static void s_free(lk_t *lk)
{
    curl_slist_free_all(lk->headers);
    free(lk->body);
    free(lk->resp);
    free(lk);
}

static void s_remember(ingress_lookup_t *L, const registry_record_t *rec, int64_t now)
{
    if (L->nfetched == L->capfetched) {
        size_t cap = L->capfetched ? L->capfetched * 2 : 16;
        s_fetched_t *f = realloc(L->fetched, cap * sizeof *f);
        if (!f)
            return; /* only the cache is lost: the next request looks it up again */
        L->fetched = f;
        L->capfetched = cap;
    }
    L->fetched[L->nfetched].rec = *rec;
    L->fetched[L->nfetched].at_ms = now;
    L->nfetched++;
}

/* s_finish - LK's transfer ended with RES: read the answer, then finish
 * every request that waited for it. */
static void s_finish(ingress_lookup_t *L, lk_t *lk, CURLcode res)
{
    ingress_t *in = L->in;
    long code = 0;
    curl_easy_getinfo(lk->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_multi_remove_handle(L->multi, lk->easy);
    curl_easy_cleanup(lk->easy);
    lk->easy = NULL;
    s_unlink(L, lk);
    if (lk->source && lk->source->inflight > 0)
        lk->source->inflight--;

    int64_t now = clock_wall_ms();
    char ms[24], status[16];
    snprintf(ms, sizeof ms, "%lld", (long long)(now - lk->started_ms));
    snprintf(status, sizeof status, "%ld", code);
    registry_record_t rec;
    ondc_err_t err;
    int ok = 0;
    if (res != CURLE_OK) {
        err_set(&err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "",
                "registry unreachable (%s); retry shortly", curl_easy_strerror(res));
    } else {
        ok = registry_lookup_answer(in->registry, lk->sub, lk->ukid, code, lk->resp,
                                    lk->resp_len, now, &rec, &err) == 0;
    }
    metrics_observe("ondc_registry_lookup_duration_seconds", "", (double)(now - lk->started_ms));
    metrics_inc("ondc_registry_lookups_total", ok                       ? "result=\"fetched\""
                                               : err.http_status == 401 ? "result=\"unknown\""
                                                                        : "result=\"failed\"");
    if (ok) {
        s_remember(L, &rec, now);
        log_info("registry.fetched", "subscriber", lk->sub, "ukid", lk->ukid, "type", rec.type,
                 "ms", ms, NULL);
    } else if (err.http_status == 401) {
        log_info("registry.unknown", "subscriber", lk->sub, "ukid", lk->ukid, "why",
                 err.message, "ms", ms, NULL);
    } else {
        in->n_lookup_fail++;
        log_warn("registry.lookup_failed", "subscriber", lk->sub, "ukid", lk->ukid, "status",
                 status, "why", err.message, "ms", ms, NULL);
    }
    for (req_t *r = lk->waiters, *next; r; r = next) {
        next = r->lk_next;
        r->lk_next = NULL;
        if (!ok) {
            ingress_refuse(in, r, &err);
            continue;
        }
        ondc_err_t e2;
        int rc = ingress_check_keys(in, r, &rec, &e2);
        if (rc == 0)
            ingress_batch_add(in, r);
        else if (rc < 0)
            ingress_refuse(in, r, &e2);
        /* rc == 1: it now waits for another key (the gateway's) */
    }
    s_free(lk);
}

/* s_done - a lookup's transfer ended (curlloop calls this). */
static void s_done(CURL *easy, CURLcode res, void *arg)
{
    lk_t *lk = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&lk);
    s_finish(arg, lk, res);
}

static size_t s_on_body(char *ptr, size_t size, size_t n, void *arg)
{
    lk_t *lk = arg;
    size_t len = size * n;
    if (lk->resp_len + len + 1 > ANSWER_MAX)
        return 0; /* too large: curl ends the transfer with a write error */
    if (lk->resp_len + len + 1 > lk->resp_cap) {
        size_t cap = lk->resp_cap ? lk->resp_cap : 4096;
        while (cap < lk->resp_len + len + 1)
            cap *= 2;
        char *b = realloc(lk->resp, cap);
        if (!b)
            return 0;
        lk->resp = b;
        lk->resp_cap = cap;
    }
    memcpy(lk->resp + lk->resp_len, ptr, len);
    lk->resp_len += len;
    lk->resp[lk->resp_len] = '\0';
    return len;
}

/* s_start - a new lookup of SUB|UKID in DOMAIN; NULL (ERR) on failure. */
static lk_t *s_start(ingress_lookup_t *L, const char *sub, const char *ukid, const char *domain,
                     ondc_err_t *err)
{
    ingress_t *in = L->in;
    const cfg_t *cfg = &in->rt->cfg;
    char url[CFG_STR_MAX + 32];
    if (registry_lookup_url(in->registry, url, sizeof url) < 0) {
        err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                "unknown subscriber key %.100s|%.60s", sub, ukid);
        return NULL;
    }
    lk_t *lk = calloc(1, sizeof *lk);
    if (!lk)
        goto fail;
    snprintf(lk->sub, sizeof lk->sub, "%s", sub);
    snprintf(lk->ukid, sizeof lk->ukid, "%s", ukid);
    lk->waiters_tail = &lk->waiters;
    lk->body = registry_lookup_body(cfg->country, domain[0] ? domain : cfg->domains.v[0], sub,
                                    ukid);
    lk->easy = curl_easy_init();
    if (!lk->body || !lk->easy)
        goto fail;
    lk->headers = curl_slist_append(NULL, "Content-Type: application/json");
    lk->headers = curl_slist_append(lk->headers, "Accept: application/json");
    lk->headers = curl_slist_append(lk->headers, "Expect:");
    size_t blen = strlen(lk->body);
    if (in->have_key) {
        long created = (long)(clock_wall_ms() / 1000);
        if (sign_auth_append(&lk->headers, &in->key, cfg->subscriber_id, cfg->unique_key_id,
                             lk->body, blen, created, created + cfg->signature_validity_s) < 0)
            goto fail;
    }
    curl_easy_setopt(lk->easy, CURLOPT_URL, url);
    curl_easy_setopt(lk->easy, CURLOPT_POSTFIELDS, lk->body);
    curl_easy_setopt(lk->easy, CURLOPT_POSTFIELDSIZE, (long)blen);
    curl_easy_setopt(lk->easy, CURLOPT_HTTPHEADER, lk->headers);
    curl_easy_setopt(lk->easy, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(lk->easy, CURLOPT_WRITEDATA, lk);
    curl_easy_setopt(lk->easy, CURLOPT_PRIVATE, lk);
    curl_easy_setopt(lk->easy, CURLOPT_TIMEOUT_MS, (long)cfg->registry_timeout_ms);
    curl_easy_setopt(lk->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->registry_timeout_ms);
    curl_easy_setopt(lk->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(lk->easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(lk->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(lk->easy, CURLOPT_USERAGENT, "ondc-gateway");
    lk->started_ms = clock_wall_ms();
    if (curl_multi_add_handle(L->multi, lk->easy) != CURLM_OK)
        goto fail;
    lk->next = L->inflight;
    L->inflight = lk;
    L->n++;
    in->n_lookups++;
    log_info("registry.lookup", "subscriber", sub, "ukid", ukid, NULL);
    return lk;
fail:
    if (lk) {
        if (lk->easy)
            curl_easy_cleanup(lk->easy);
        s_free(lk);
    }
    err_set(err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "", "registry lookup could not start; retry");
    return NULL;
}

int ingress_lookup_wait(ingress_t *in, req_t *r, const char *subscriber, const char *ukid,
                        registry_record_t *out, ondc_err_t *err)
{
    ingress_lookup_t *L = in->lookup;
    if (!L)
        return err_set(err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "",
                       "registry lookups are not available; retry shortly");
    for (size_t i = 0; i < L->nfetched; i++) {
        const registry_record_t *f = &L->fetched[i].rec;
        if (strcmp(f->subscriber_id, subscriber) == 0 && strcmp(f->ukid, ukid) == 0) {
            *out = *f;
            return 0;
        }
    }
    lk_t *lk = L->inflight;
    while (lk && (strcmp(lk->sub, subscriber) != 0 || strcmp(lk->ukid, ukid) != 0))
        lk = lk->next;
    if (!lk) {
        if (L->n >= LOOKUPS_MAX)
            return err_set(err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "",
                           "too many registry lookups in flight; retry shortly");
        s_source_t *src = s_source_take(L, r->conn, clock_wall_ms(), err);
        if (!src)
            return -1;
        lk = s_start(L, subscriber, ukid, r->domain, err);
        if (!lk) {
            src->inflight--;
            return -1;
        }
        lk->source = src;
    }
    r->lk_next = NULL;
    *lk->waiters_tail = r;
    lk->waiters_tail = &r->lk_next;
    return 1;
}

void ingress_lookup_flush(ingress_t *in)
{
    ingress_lookup_t *L = in->lookup;
    if (!L || !L->nfetched)
        return;
    store_t *st = in->rt->store;
    MDB_txn *txn = st ? store_begin(st, 0) : NULL;
    int rc = txn ? 0 : -1;
    for (size_t i = 0; i < L->nfetched && rc == 0; i++)
        rc = registry_cache_put_txn(in->registry, txn, &L->fetched[i].rec, L->fetched[i].at_ms);
    if (rc == 0)
        rc = store_commit(txn);
    else if (txn)
        mdb_txn_abort(txn);
    /* the cache is an optimisation: a failed write costs a lookup later */
    if (rc != 0)
        log_warn("registry.cache_failed", "why", rc > 0 ? mdb_strerror(rc) : "no transaction",
                 NULL);
    L->nfetched = 0;
}

int ingress_lookup_busy(const ingress_t *in)
{
    return in->lookup ? in->lookup->n : 0;
}

int ingress_lookup_init(ingress_t *in)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return -1;
    ingress_lookup_t *L = calloc(1, sizeof *L);
    if (!L)
        return -1;
    L->in = in;
    L->curl = curlloop_new(in->rt->loop, s_done, L);
    if (!L->curl) {
        free(L);
        return -1;
    }
    L->multi = curlloop_multi(L->curl);
    curl_multi_setopt(L->multi, CURLMOPT_MAXCONNECTS, 16L);
    in->lookup = L;
    if (registry_has_url(in->registry)) {
        char to[16];
        snprintf(to, sizeof to, "%d", in->rt->cfg.registry_timeout_ms);
        log_info("registry.remote", "url", in->rt->cfg.registry_url, "timeout_ms", to, NULL);
    }
    return 0;
}

void ingress_lookup_fini(ingress_t *in)
{
    ingress_lookup_t *L = in->lookup;
    if (!L)
        return;
    ondc_err_t err;
    err_set(&err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "", "shutting down; retry shortly");
    while (L->inflight) {
        lk_t *lk = L->inflight;
        L->inflight = lk->next;
        curl_multi_remove_handle(L->multi, lk->easy);
        curl_easy_cleanup(lk->easy);
        for (req_t *r = lk->waiters, *next; r; r = next) {
            next = r->lk_next;
            r->lk_next = NULL;
            ingress_refuse(in, r, &err);
        }
        s_free(lk);
    }
    L->n = 0;
    curlloop_destroy(&L->curl);
    curl_global_cleanup();
    free(L->fetched);
    free(L);
    in->lookup = NULL;
}
