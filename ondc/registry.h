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
 * This module does no network I/O and knows no event loop: it builds the
 * lookup request (registry_lookup_url, registry_lookup_body) and reads the
 * answer (registry_lookup_answer); the caller moves the bytes (ingress runs
 * libcurl multi in its loop, ingress/ingress_lookup.c). Order of a
 * registry_find: the file, the LMDB cache, the negative cache (subscribers
 * the registry said it does not know, remembered in memory for
 * registry.negative_cache_s), then "ask the registry" if registry.url is set.
 *
 * Config keys read: registry.file, registry.url, registry.cache_max_s,
 * registry.negative_cache_s (registry.timeout_ms is the caller's).
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

/* registry_find - like registry_lookup, and says when only the ONDC
 * registry can tell. Returns 0 (OUT filled); 1 when SUBSCRIBER|UKID is
 * neither in the file, nor cached, nor remembered as unknown and
 * registry.url is set (look it up: registry_lookup_body, then
 * registry_lookup_answer); or -1 with ERR (401/30016: outside its validity,
 * or unknown - without registry.url, or remembered as unknown). */
int registry_find(registry_t *self, const char *subscriber, const char *ukid, int64_t now_ms,
                  registry_record_t *out, ondc_err_t *err);

/* registry_has_url - whether registry.url is set. */
int registry_has_url(const registry_t *self);

/* registry_lookup_url - "{registry.url}/v2.0/lookup" into OUT; -1 if there
 * is no registry.url or OUTLEN is too small. */
int registry_lookup_url(const registry_t *self, char *out, size_t outlen);

/* registry_lookup_body - the compact JSON body of a /v2.0/lookup of
 * SUBSCRIBER|UKID: {"country","domain","subscriber_id","ukId"} (COUNTRY and
 * DOMAIN as given). Caller owns (free()); NULL if out of memory. */
char *registry_lookup_body(const char *country, const char *domain, const char *subscriber,
                           const char *ukid);

/* registry_lookup_answer - read the registry's answer to a lookup of
 * SUBSCRIBER|UKID: HTTP STATUS and BODY[0..LEN). Returns 0 with the first
 * usable matching record in OUT (SUBSCRIBED, valid at NOW_MS); the caller
 * caches it (registry_cache_put). Else -1 with ERR: 401/30016 when the
 * answer is a well-formed array without a usable record for the key (then
 * the key is remembered as unknown for registry.negative_cache_s), or
 * 503/31001 when the answer is no lookup answer at all (HTTP error, not an
 * array). Never touches LMDB. */
int registry_lookup_answer(registry_t *self, const char *subscriber, const char *ukid, long status,
                           const char *body, size_t len, int64_t now_ms, registry_record_t *out,
                           ondc_err_t *err);

/* registry_unknown_put - remember SUBSCRIBER|UKID as unknown until NOW_MS +
 * registry.negative_cache_s (nothing if that is 0). In memory, per process. */
void registry_unknown_put(registry_t *self, const char *subscriber, const char *ukid,
                          int64_t now_ms);

/* registry_cache_put_txn - registry_cache_put inside the caller's write
 * TXN (so that many records share one commit); 0 or an LMDB error code. */
int registry_cache_put_txn(registry_t *self, MDB_txn *txn, const registry_record_t *rec,
                           int64_t now_ms);

#endif
