/*
 * registry.h - the public keys of other network participants.
 *
 * Records come from the local registry file (registry.file: a JSON array of
 * /v2.0/lookup records) and, in production, from the ONDC registry
 * (registry.url) through an asynchronous lookup whose answers are cached
 * in LMDB ("keys") until valid_until, bounded by registry.cache_max_s.
 * Only records with status SUBSCRIBED (or no status, in a local file) and
 * inside their validity are used.
 *
 * Config keys read: registry.file, registry.url, registry.cache_max_s,
 * registry.negative_cache_s, registry.timeout_ms.
 */
#ifndef ONDC_REGISTRY_H
#define ONDC_REGISTRY_H

#include "cfg.h"
#include "err.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

typedef struct registry_s registry_t;

typedef struct {
    char subscriber_id[256];
    char ukid[128];
    unsigned char signing_pk[32];
    char encr_public_key[128];
    char subscriber_url[256];
    char type[16];
    int64_t valid_from_ms, valid_until_ms;
} registry_record_t;

/* registry_new - load the registry file named in CFG (if any). STORE may be
 * NULL (no LMDB cache). Caller owns; NULL if the file is invalid (logged). */
registry_t *registry_new(const cfg_t *cfg, store_t *store);

/* registry_destroy - free (accepts NULL, NULLs the pointer). */
void registry_destroy(registry_t **self_p);

/* registry_reload - re-read the file after a config reload. */
int registry_reload(registry_t *self, const cfg_t *cfg);

/* registry_lookup - the record of SUBSCRIBER|UKID valid at NOW_MS, from the
 * file or the LMDB cache. Returns 0 (OUT filled), or -1 with ERR (401,
 * 30016, "unknown subscriber ..."). */
int registry_lookup(registry_t *self, const char *subscriber, const char *ukid, int64_t now_ms,
                    registry_record_t *out, ondc_err_t *err);

/* registry_parse_record - one lookup record (JSON object) into OUT; 0, or
 * -1 with a reason in ERR if it is unusable (not SUBSCRIBED, bad key ...). */
int registry_parse_record(json_t *rec, registry_record_t *out, ondc_err_t *err);

/* registry_cache_put - remember REC in LMDB until min(valid_until, now +
 * cache_max_s). */
int registry_cache_put(registry_t *self, const registry_record_t *rec, int64_t now_ms);

/* registry_count - records loaded from the file. */
int registry_count(const registry_t *self);

#endif
