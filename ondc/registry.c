/*
 * registry.c - registry file, LMDB key cache, negative cache, and the
 * /v2.0/lookup request and answer. See registry.h.
 *
 * The negative cache is a direct-mapped table of UNKNOWN_SLOTS entries keyed
 * by a BLAKE2b-128 of "subscriber|ukid": a collision only evicts an entry,
 * which costs one more lookup, never a wrong answer.
 */
#include "registry.h"

#include "context.h"
#include "jarena.h"
#include "jparse.h"
#include "log.h"
#include "sign.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNKNOWN_SLOTS 1024

typedef struct {
    unsigned char h[16];
    int64_t until_ms;
} s_unknown_t;

struct registry_s {
    registry_record_t *recs;
    int n;
    store_t *store;
    int cache_max_s;
    int negative_cache_s;
    char url[CFG_STR_MAX];
    s_unknown_t unknown[UNKNOWN_SLOTS];
};

typedef struct {
    int64_t expires_ms;
    registry_record_t rec;
} s_cached_t;

static int s_get_str(json_t *o, const char *k, char *dst, size_t cap)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return -1;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int registry_parse_record(json_t *rec, registry_record_t *out, ondc_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(rec))
        return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                       "registry record is not an object");
    char pk[128] = "";
    if (s_get_str(rec, "subscriber_id", out->subscriber_id, sizeof out->subscriber_id) < 0 ||
        (s_get_str(rec, "ukId", out->ukid, sizeof out->ukid) < 0 &&
         s_get_str(rec, "unique_key_id", out->ukid, sizeof out->ukid) < 0) ||
        s_get_str(rec, "signing_public_key", pk, sizeof pk) < 0)
        return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                       "registry record lacks subscriber_id, ukId or signing_public_key");
    if (sign_pubkey_from_base64(out->signing_pk, pk) < 0)
        return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                       "registry record of %s has an invalid signing_public_key",
                       out->subscriber_id);
    char status[32] = "";
    if (s_get_str(rec, "status", status, sizeof status) == 0 && strcmp(status, "SUBSCRIBED") != 0)
        return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                       "subscriber %s is %s, not SUBSCRIBED", out->subscriber_id, status);
    s_get_str(rec, "encr_public_key", out->encr_public_key, sizeof out->encr_public_key);
    s_get_str(rec, "subscriber_url", out->subscriber_url, sizeof out->subscriber_url);
    s_get_str(rec, "type", out->type, sizeof out->type);
    char t[64];
    out->valid_from_ms = s_get_str(rec, "valid_from", t, sizeof t) == 0 ? context_parse_time(t) : 0;
    out->valid_until_ms =
        s_get_str(rec, "valid_until", t, sizeof t) == 0 ? context_parse_time(t) : INT64_MAX;
    if (out->valid_from_ms < 0)
        out->valid_from_ms = 0;
    if (out->valid_until_ms < 0)
        out->valid_until_ms = INT64_MAX;
    return 0;
}

/* s_load_file - read PATH ("" = no file) into SELF. The records in memory
 * are replaced only once the new file has been read: a broken file (a
 * half-written save, then SIGHUP) keeps the old records and returns -1. */
static int s_load_file(registry_t *self, const char *path)
{
    registry_record_t *recs = NULL;
    int n = 0;
    if (path[0]) {
        json_error_t jerr;
        json_t *root = json_load_file(path, 0, &jerr);
        if (!json_is_array(root)) {
            log_error("registry.file_invalid", "path", path, "why",
                      root ? "not an array" : jerr.text, NULL);
            json_decref(root);
            return -1;
        }
        recs = calloc(json_array_size(root) + 1, sizeof *recs);
        if (!recs) {
            log_error("registry.file_invalid", "path", path, "why", "out of memory", NULL);
            json_decref(root);
            return -1;
        }
        size_t i;
        json_t *rec;
        json_array_foreach(root, i, rec)
        {
            ondc_err_t err;
            if (registry_parse_record(rec, &recs[n], &err) == 0)
                n++;
            else
                log_warn("registry.record_skipped", "path", path, "why", err.message, NULL);
        }
        json_decref(root);
        char count[16];
        snprintf(count, sizeof count, "%d", n);
        log_info("registry.loaded", "path", path, "records", count, NULL);
    }
    free(self->recs);
    self->recs = recs;
    self->n = n;
    return 0;
}

registry_t *registry_new(const cfg_t *cfg, store_t *store)
{
    if (sign_init() < 0)
        return NULL;
    registry_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    if (registry_reload(self, cfg) < 0)
        registry_destroy(&self);
    return self;
}

void registry_destroy(registry_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->recs);
    free(*self_p);
    *self_p = NULL;
}

int registry_reload(registry_t *self, const cfg_t *cfg)
{
    self->cache_max_s = cfg->registry_cache_max_s;
    self->negative_cache_s = cfg->registry_negative_cache_s;
    snprintf(self->url, sizeof self->url, "%s", cfg->registry_url);
    /* a record that was unknown may be in the new file */
    memset(self->unknown, 0, sizeof self->unknown);
    return s_load_file(self, cfg->registry_file);
}

int registry_count(const registry_t *self)
{
    return self->n;
}

static int s_cache_get(registry_t *self, const char *subscriber, const char *ukid, int64_t now_ms,
                       registry_record_t *out)
{
    if (!self->store)
        return -1;
    MDB_txn *txn = store_begin(self->store, 1);
    if (!txn)
        return -1;
    char kb[400];
    int kl = snprintf(kb, sizeof kb, "%s|%s", subscriber, ukid);
    MDB_val k = {(size_t)kl, kb}, v;
    int rc = -1;
    if (mdb_get(txn, self->store->dbi[DB_KEYS], &k, &v) == 0 && v.mv_size == sizeof(s_cached_t)) {
        s_cached_t c;
        memcpy(&c, v.mv_data, sizeof c);
        if (c.expires_ms > now_ms && c.rec.valid_from_ms <= now_ms) {
            *out = c.rec;
            rc = 0;
        }
    }
    mdb_txn_abort(txn);
    return rc;
}

int registry_cache_put_txn(registry_t *self, MDB_txn *txn, const registry_record_t *rec,
                           int64_t now_ms)
{
    if (!self->store)
        return EINVAL;
    s_cached_t c;
    memset(&c, 0, sizeof c);
    c.rec = *rec;
    c.expires_ms = now_ms + (int64_t)self->cache_max_s * 1000;
    if (rec->valid_until_ms < c.expires_ms)
        c.expires_ms = rec->valid_until_ms;
    char kb[400];
    int kl = snprintf(kb, sizeof kb, "%s|%s", rec->subscriber_id, rec->ukid);
    MDB_val k = {(size_t)kl, kb}, v = {sizeof c, &c};
    return mdb_put(txn, self->store->dbi[DB_KEYS], &k, &v, 0);
}

int registry_cache_put(registry_t *self, const registry_record_t *rec, int64_t now_ms)
{
    if (!self->store)
        return -1;
    MDB_txn *txn = store_begin(self->store, 0);
    if (!txn)
        return -1;
    if (registry_cache_put_txn(self, txn, rec, now_ms) != 0) {
        mdb_txn_abort(txn);
        return -1;
    }
    return store_commit(txn) ? -1 : 0;
}

/* s_unknown_slot - the negative cache slot of SUBSCRIBER|UKID and its hash. */
static s_unknown_t *s_unknown_slot(registry_t *self, const char *subscriber, const char *ukid,
                                   unsigned char h[16])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 16);
    crypto_generichash_update(&st, (const unsigned char *)subscriber, strlen(subscriber) + 1);
    crypto_generichash_update(&st, (const unsigned char *)ukid, strlen(ukid));
    crypto_generichash_final(&st, h, 16);
    uint32_t i;
    memcpy(&i, h, sizeof i);
    return &self->unknown[i % UNKNOWN_SLOTS];
}

void registry_unknown_put(registry_t *self, const char *subscriber, const char *ukid,
                          int64_t now_ms)
{
    if (self->negative_cache_s <= 0)
        return;
    unsigned char h[16];
    s_unknown_t *u = s_unknown_slot(self, subscriber, ukid, h);
    memcpy(u->h, h, sizeof h);
    u->until_ms = now_ms + (int64_t)self->negative_cache_s * 1000;
}

static int s_unknown_has(registry_t *self, const char *subscriber, const char *ukid,
                         int64_t now_ms)
{
    unsigned char h[16];
    s_unknown_t *u = s_unknown_slot(self, subscriber, ukid, h);
    return u->until_ms > now_ms && memcmp(u->h, h, sizeof h) == 0;
}

/* s_find - the file, then the LMDB cache: 0 found, 1 not there, -1 refused (ERR). */
static int s_find(registry_t *self, const char *subscriber, const char *ukid, int64_t now_ms,
                  registry_record_t *out, ondc_err_t *err)
{
    for (int i = 0; i < self->n; i++) {
        registry_record_t *r = &self->recs[i];
        if (strcmp(r->subscriber_id, subscriber) != 0 || strcmp(r->ukid, ukid) != 0)
            continue;
        if (now_ms < r->valid_from_ms || now_ms > r->valid_until_ms)
            return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                           "key %.100s|%.60s is outside its validity", subscriber, ukid);
        *out = *r;
        return 0;
    }
    if (s_cache_get(self, subscriber, ukid, now_ms, out) == 0)
        return 0;
    return 1;
}

static int s_unknown_err(ondc_err_t *err, const char *subscriber, const char *ukid)
{
    return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                   "unknown subscriber key %.100s|%.60s", subscriber, ukid);
}

int registry_lookup(registry_t *self, const char *subscriber, const char *ukid, int64_t now_ms,
                    registry_record_t *out, ondc_err_t *err)
{
    int rc = s_find(self, subscriber, ukid, now_ms, out, err);
    if (rc <= 0)
        return rc;
    return s_unknown_err(err, subscriber, ukid);
}

int registry_find(registry_t *self, const char *subscriber, const char *ukid, int64_t now_ms,
                  registry_record_t *out, ondc_err_t *err)
{
    int rc = s_find(self, subscriber, ukid, now_ms, out, err);
    if (rc <= 0)
        return rc;
    if (!self->url[0] || s_unknown_has(self, subscriber, ukid, now_ms))
        return s_unknown_err(err, subscriber, ukid);
    return 1;
}

int registry_has_url(const registry_t *self)
{
    return self->url[0] != '\0';
}

int registry_lookup_url(const registry_t *self, char *out, size_t outlen)
{
    size_t n = strlen(self->url);
    if (!n)
        return -1;
    while (n > 0 && self->url[n - 1] == '/')
        n--;
    int w = snprintf(out, outlen, "%.*s/v2.0/lookup", (int)n, self->url);
    return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

char *registry_lookup_body(const char *country, const char *domain, const char *subscriber,
                           const char *ukid)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "country", country, "domain", domain,
                          "subscriber_id", subscriber, "ukId", ukid);
    if (!o)
        return NULL;
    char *text = jarena_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

static int s_down_err(ondc_err_t *err, const char *why, long status)
{
    return err_set(err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "",
                   "registry lookup failed (%s, HTTP %ld); retry shortly", why, status);
}

int registry_lookup_answer(registry_t *self, const char *subscriber, const char *ukid, long status,
                           const char *body, size_t len, int64_t now_ms, registry_record_t *out,
                           ondc_err_t *err)
{
    /* a 404 that still carries an array is the registry saying "none" */
    if ((status < 200 || status > 299) && status != 404)
        return s_down_err(err, "registry answered an error", status);
    json_error_t jerr;
    json_t *root = jparse(body ? body : "", len, 0, &jerr);
    if (!json_is_array(root)) {
        json_decref(root);
        return s_down_err(err, root ? "answer is not an array" : "answer is not JSON", status);
    }
    int rc = -1;
    char why[160] = "";
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v)
    {
        registry_record_t rec;
        ondc_err_t perr;
        json_t *sid = json_object_get(v, "subscriber_id");
        json_t *uk = json_object_get(v, "ukId");
        if (!uk)
            uk = json_object_get(v, "unique_key_id");
        if (!json_is_string(sid) || !json_is_string(uk) ||
            strcmp(json_string_value(sid), subscriber) != 0 ||
            strcmp(json_string_value(uk), ukid) != 0)
            continue;
        if (registry_parse_record(v, &rec, &perr) < 0) {
            snprintf(why, sizeof why, "%.150s", perr.message);
            continue;
        }
        if (now_ms < rec.valid_from_ms || now_ms > rec.valid_until_ms) {
            snprintf(why, sizeof why, "key is outside its validity");
            continue;
        }
        *out = rec;
        rc = 0;
        break;
    }
    json_decref(root);
    if (rc == 0)
        return 0;
    registry_unknown_put(self, subscriber, ukid, now_ms);
    if (why[0])
        return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                       "registry: %.100s|%.60s: %.80s", subscriber, ukid, why);
    return s_unknown_err(err, subscriber, ukid);
}
