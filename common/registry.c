/*
 * registry.c - registry file and LMDB key cache. See registry.h.
 */
#include "registry.h"

#include "context.h"
#include "log.h"
#include "sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct registry_s {
    registry_record_t *recs;
    int n;
    store_t *store;
    int cache_max_s;
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

static int s_load_file(registry_t *self, const char *path)
{
    free(self->recs);
    self->recs = NULL;
    self->n = 0;
    if (!path[0])
        return 0;
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!json_is_array(root)) {
        log_error("registry.file_invalid", "path", path, "why", root ? "not an array" : jerr.text,
                  NULL);
        json_decref(root);
        return -1;
    }
    self->recs = calloc(json_array_size(root) + 1, sizeof *self->recs);
    size_t i;
    json_t *rec;
    json_array_foreach(root, i, rec)
    {
        ondc_err_t err;
        if (registry_parse_record(rec, &self->recs[self->n], &err) == 0)
            self->n++;
        else
            log_warn("registry.record_skipped", "path", path, "why", err.message, NULL);
    }
    json_decref(root);
    char n[16];
    snprintf(n, sizeof n, "%d", self->n);
    log_info("registry.loaded", "path", path, "records", n, NULL);
    return 0;
}

registry_t *registry_new(const cfg_t *cfg, store_t *store)
{
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
        if (c.expires_ms > now_ms) {
            *out = c.rec;
            rc = 0;
        }
    }
    mdb_txn_abort(txn);
    return rc;
}

int registry_cache_put(registry_t *self, const registry_record_t *rec, int64_t now_ms)
{
    if (!self->store)
        return -1;
    s_cached_t c;
    memset(&c, 0, sizeof c);
    c.rec = *rec;
    c.expires_ms = now_ms + (int64_t)self->cache_max_s * 1000;
    if (rec->valid_until_ms < c.expires_ms)
        c.expires_ms = rec->valid_until_ms;
    MDB_txn *txn = store_begin(self->store, 0);
    if (!txn)
        return -1;
    char kb[400];
    int kl = snprintf(kb, sizeof kb, "%s|%s", rec->subscriber_id, rec->ukid);
    MDB_val k = {(size_t)kl, kb}, v = {sizeof c, &c};
    if (mdb_put(txn, self->store->dbi[DB_KEYS], &k, &v, 0) != 0) {
        mdb_txn_abort(txn);
        return -1;
    }
    return store_commit(txn) ? -1 : 0;
}

int registry_lookup(registry_t *self, const char *subscriber, const char *ukid, int64_t now_ms,
                    registry_record_t *out, ondc_err_t *err)
{
    for (int i = 0; i < self->n; i++) {
        registry_record_t *r = &self->recs[i];
        if (strcmp(r->subscriber_id, subscriber) != 0 || strcmp(r->ukid, ukid) != 0)
            continue;
        if (now_ms < r->valid_from_ms || now_ms > r->valid_until_ms)
            return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                           "key %s|%s is outside its validity", subscriber, ukid);
        *out = *r;
        return 0;
    }
    if (s_cache_get(self, subscriber, ukid, now_ms, out) == 0)
        return 0;
    return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                   "unknown subscriber key %s|%s", subscriber, ukid);
}
