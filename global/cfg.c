/*
 * cfg.c - the config table and its loader. See cfg.h.
 *
 * The table below is the single source of every key: its JSON name (dotted
 * names are nested objects: "registry.file"), type, default, bounds, whether
 * SIGHUP reloads it, and one line of documentation that the generated
 * configuration reference prints.
 */
#include "cfg.h"

#include "jarena.h"
#include "log.h"
#include "url.h"

#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_STR, T_PATH, T_INT, T_BOOL, T_LIST, T_ENUM } s_type_t;

typedef struct {
    const char *name;
    s_type_t type;
    size_t off;
    size_t size;
    const char *def; /* default, as text (lists: comma separated) */
    long min, max;   /* T_INT bounds; T_STR/T_PATH: max length is size */
    int reload;
    const char *allowed; /* T_ENUM: "a|b|c" */
    const char *doc;
} s_key_t;

#define F(field) offsetof(cfg_t, field), sizeof(((cfg_t *)0)->field)

#define RETAIL_DOMAINS                                                                            \
    "nic2004:52110,ONDC:RET10,ONDC:RET11,ONDC:RET12,ONDC:RET13,ONDC:RET14,ONDC:RET15,ONDC:RET16," \
    "ONDC:RET17,ONDC:RET18,ONDC:RET19"

static const s_key_t s_keys[] = {
    {"subscriber_id", T_STR, F(subscriber_id), "localhost", 0, 0, 0, NULL,
     "our subscriber id in the ONDC registry; the bpp_id of every callback"},
    {"unique_key_id", T_STR, F(unique_key_id), "k1", 0, 0, 0, NULL,
     "ukId of our signing key in the registry"},
    {"signing_private_key_file", T_PATH, F(signing_private_key_file), "keys/signing.key", 0, 0, 0,
     NULL, "file with base64 Ed25519 private key (64-byte or 32-byte seed); mode 0600"},
    {"encryption_private_key_file", T_PATH, F(encryption_private_key_file), "keys/encryption.key",
     0, 0, 0, NULL, "file with base64 DER X25519 private key, for /on_subscribe; mode 0600"},
    {"bpp_uri", T_STR, F(bpp_uri), "http://127.0.0.1:8080", 0, 0, 0, NULL,
     "our public base URL; the bpp_uri of every callback"},
    {"country", T_STR, F(country), "IND", 0, 0, 0, NULL, "country code served"},
    {"domains", T_LIST, F(domains), RETAIL_DOMAINS, 0, 0, 0, NULL,
     "domains served; a request outside them gets a CONTEXT-ERROR NACK"},
    {"cities", T_LIST, F(cities), "*", 0, 0, 0, NULL,
     "city codes served (std:NNN); \"*\" serves every city"},
    {"listen", T_STR, F(listen), "127.0.0.1:8080", 0, 0, 0, NULL,
     "host:port of the network listener (buyer apps)"},
    {"admin_listen", T_STR, F(admin_listen), "127.0.0.1:8081", 0, 0, 0, NULL,
     "host:port of the admin listener, ondc-admin's (seller API, /ready, /metrics); "
     "loopback by default"},
    {"admin_token_file", T_PATH, F(admin_token_file), "", 0, 0, 0, NULL,
     "file with the admin API bearer token; mode 0600"},
    {"admin_max_body_mb", T_INT, F(admin_max_body_mb), "64", 1, 1024, 0, NULL,
     "largest admin API body (a whole catalog for PUT /seller/v1/catalog)"},
    {"max_body_bytes", T_INT, F(max_body_bytes), "1048576", 1024, 67108864, 0, NULL,
     "largest request body accepted; larger gets 413 NACK"},
    {"max_header_bytes", T_INT, F(max_header_bytes), "16384", 2048, 1048576, 0, NULL,
     "largest request line + headers; a client past it is refused"},
    {"max_json_depth", T_INT, F(max_json_depth), "32", 4, 1024, 1, NULL,
     "deepest JSON nesting accepted (checked before parsing)"},
    {"max_array_items", T_INT, F(max_array_items), "256", 1, 100000, 1, NULL,
     "most entries in items, fulfillments, breakup and tags arrays of a request"},
    {"max_connections_per_ip", T_INT, F(max_connections_per_ip), "256", 1, 1000000, 0, NULL,
     "connections one client address may hold at once"},
    {"rate_limit.per_s", T_INT, F(rate_limit_per_s), "2000", 0, 10000000, 1, NULL,
     "requests per second one subscriber may send from one address (0: no limit); past it 429"},
    {"rate_limit.burst", T_INT, F(rate_limit_burst), "4000", 1, 10000000, 1, NULL,
     "token-bucket size of rate_limit.per_s"},
    {"max_connections", T_INT, F(max_connections), "4096", 16, 1000000, 0, NULL,
     "connections the network listener holds at once"},
    {"connection_timeout_s", T_INT, F(connection_timeout_s), "15", 1, 3600, 0, NULL,
     "idle/read timeout of one connection"},
    {"request_header_timeout_ms", T_INT, F(request_header_timeout_ms), "10000", 100, 600000, 0,
     NULL,
     "a request's line and headers must be in within this of the connection's start (or of "
     "the previous answer on a kept-alive connection), however steadily they trickle; past it "
     "the connection is closed"},
    {"request_body_timeout_ms", T_INT, F(request_body_timeout_ms), "30000", 100, 600000, 0, NULL,
     "a request's body must be in within this of its headers; past it the connection is closed"},
    {"backlog_limit", T_INT, F(backlog_limit), "50000", 10, 100000000, 1, NULL,
     "journal rows not yet done (dead ones not counted) past which ingress answers 503 NACK"},
    {"data_dir", T_PATH, F(data_dir), "var/data", 0, 0, 0, NULL, "LMDB environment directory"},
    {"run_dir", T_PATH, F(run_dir), "var/run", 0, 0, 0, NULL,
     "ipc sockets, pid files and the generated supervisord config"},
    {"lmdb_map_size_mb", T_INT, F(lmdb_map_size_mb), "4096", 16, 1048576, 0, NULL,
     "LMDB map size (the store's upper bound) in MiB"},
    {"lmdb_resident_mb", T_INT, F(lmdb_resident_mb), "16", 0, 1048576, 1, NULL,
     "mapped LMDB pages a process keeps resident before it lets them go (0: never)"},
    {"journal_sync", T_ENUM, F(journal_sync), "fsync", 0, 0, 0, "fsync|nosync",
     "fsync: an ACKed request survives power loss; nosync: survives a process crash only"},
    {"journal_lease_ms", T_INT, F(journal_lease_ms), "30000", 100, 86400000, 1, NULL,
     "a journal row not done this long after dispatch is dispatched again"},
    {"journal_max_attempts", T_INT, F(journal_max_attempts), "5", 1, 1000, 1, NULL,
     "dispatch attempts before a journal row is marked dead"},
    {"retention_s", T_INT, F(retention_s), "604800", 60, 315360000, 1, NULL,
     "journal and outbox rows and transaction states (carts) older than this are pruned by the "
     "janitor"},
    {"registry.file", T_PATH, F(registry_file), "", 0, 0, 1, NULL,
     "JSON array of registry lookup records (the local registry)"},
    {"registry.url", T_STR, F(registry_url), "", 0, 0, 1, NULL,
     "ONDC registry base URL; POST {url}/v2.0/lookup"},
    {"registry.encr_public_key", T_STR, F(registry_encr_public_key), "", 0, 0, 0, NULL,
     "the ONDC registry's X25519 public key (base64 SPKI DER), for /on_subscribe"},
    {"registry.request_id", T_STR, F(registry_request_id), "", 0, 0, 0, NULL,
     "request id of our subscription; signed on /ondc-site-verification.html"},
    {"registry.timeout_ms", T_INT, F(registry_timeout_ms), "2000", 50, 60000, 1, NULL,
     "longest wait for a registry lookup"},
    {"registry.cache_max_s", T_INT, F(registry_cache_max_s), "86400", 1, 31536000, 1, NULL,
     "longest a registry record is cached (also bounded by valid_until)"},
    {"registry.negative_cache_s", T_INT, F(registry_negative_cache_s), "30", 0, 86400, 1, NULL,
     "how long an unknown subscriber is remembered as unknown"},
    {"registry.lookups_per_address", T_INT, F(registry_lookups_per_address), "8", 1, 256, 1, NULL,
     "registry lookups one client address may have in flight (more: 429); a flood of "
     "unknown keys from a few addresses cannot take every lookup slot"},
    {"registry.lookup_rate_per_address", T_INT, F(registry_lookup_rate_per_address), "4", 1, 10000,
     1, NULL,
     "registry lookups one client address may start per second (bursts of four times as "
     "many); past it 429"},
    {"verify_signatures", T_BOOL, F(verify_signatures), "true", 0, 0, 0, NULL,
     "verify Authorization on every request; false only for local experiments"},
    {"signature_skew_s", T_INT, F(signature_skew_s), "120", 0, 3600, 1, NULL,
     "clock skew allowed when checking created/expires"},
    {"signature_max_lifetime_s", T_INT, F(signature_max_lifetime_s), "3600", 10, 86400, 1, NULL,
     "longest expires - created accepted on a request's signature; the janitor keeps a "
     "request's dedupe entry at least this long (plus twice the skew), so a replay is "
     "refused as a repeat or as expired"},
    {"signature_validity_s", T_INT, F(signature_validity_s), "300", 10, 86400, 1, NULL,
     "expires - created of the signatures we make"},
    {"ingress_copies", T_INT, F(ingress_copies), "1", 1, 64, 0, NULL,
     "copies of ondc-ingress sharing the network listener (SO_REUSEPORT): connections are "
     "spread over them; on a machine with N cores, up to N (ondc-admin stays one)"},
    {"ingress_verify_threads", T_INT, F(ingress_verify_threads), "1", 0, 16, 0, NULL,
     "threads of each ingress that verify request signatures beside its loop (0: the loop "
     "verifies); on a machine with N cores, up to N - 1"},
    {"workers.discovery", T_INT, F(workers[FAMILY_DISCOVERY]), "1", 1, 64, 0, NULL,
     "copies of the discovery worker (search)"},
    {"workers.order", T_INT, F(workers[FAMILY_ORDER]), "1", 1, 64, 0, NULL,
     "copies of the order worker (select, init, confirm)"},
    {"workers.fulfillment", T_INT, F(workers[FAMILY_FULFILLMENT]), "1", 1, 64, 0, NULL,
     "copies of the fulfillment worker (status, track, cancel, update)"},
    {"workers.post-fulfillment", T_INT, F(workers[FAMILY_POST]), "1", 1, 64, 0, NULL,
     "copies of the post-fulfillment worker (rating, support)"},
    {"nice.ingress", T_INT, F(nice_ingress), "0", -20, 19, 0, NULL,
     "scheduling priority (nice) of ondc-ingress"},
    {"nice.admin", T_INT, F(nice_admin), "5", -20, 19, 0, NULL,
     "scheduling priority (nice) of ondc-admin: below the ingress, so that parsing a catalog "
     "upload does not take the CPU the ACKs need"},
    {"nice.dispatcher", T_INT, F(nice_dispatcher), "0", -20, 19, 0, NULL,
     "scheduling priority (nice) of ondc-dispatcher"},
    {"nice.worker", T_INT, F(nice_worker), "5", -20, 19, 0, NULL,
     "scheduling priority (nice) of the workers: below the ingress, so that a burst is "
     "ACKed at once and worked off from the journal (bounded by backlog_limit)"},
    {"nice.callback", T_INT, F(nice_callback), "5", -20, 19, 0, NULL,
     "scheduling priority (nice) of ondc-callback (as the workers)"},
    {"zmq_hwm", T_INT, F(zmq_hwm), "20000", 100, 10000000, 0, NULL,
     "ZeroMQ high-water mark of every pipeline socket"},
    {"endpoints.dispatcher", T_STR, F(ep_dispatcher), "", 0, 0, 0, NULL,
     "ingress -> dispatcher socket (default ipc://{run_dir}/dispatcher.sock)"},
    {"endpoints.discovery", T_STR, F(ep_family[FAMILY_DISCOVERY]), "", 0, 0, 0, NULL,
     "dispatcher -> discovery workers (default ipc://{run_dir}/discovery.sock)"},
    {"endpoints.order", T_STR, F(ep_family[FAMILY_ORDER]), "", 0, 0, 0, NULL,
     "dispatcher -> order workers (default ipc://{run_dir}/order.sock)"},
    {"endpoints.fulfillment", T_STR, F(ep_family[FAMILY_FULFILLMENT]), "", 0, 0, 0, NULL,
     "dispatcher -> fulfillment workers (default ipc://{run_dir}/fulfillment.sock)"},
    {"endpoints.post-fulfillment", T_STR, F(ep_family[FAMILY_POST]), "", 0, 0, 0, NULL,
     "dispatcher -> post-fulfillment workers (default ipc://{run_dir}/post-fulfillment.sock)"},
    {"endpoints.buyer", T_STR, F(ep_family[FAMILY_BUYER]), "", 0, 0, 0, NULL,
     "dispatcher -> buyer workers (default ipc://{run_dir}/buyer.sock)"},
    {"endpoints.gateway", T_STR, F(ep_family[FAMILY_GATEWAY]), "", 0, 0, 0, NULL,
     "dispatcher -> gateway workers (default ipc://{run_dir}/gateway.sock)"},
    {"endpoints.callback", T_STR, F(ep_callback), "", 0, 0, 0, NULL,
     "workers -> callback socket (default ipc://{run_dir}/callback.sock)"},
    {"batch_max", T_INT, F(batch_max), "256", 1, 65536, 1, NULL,
     "most messages one LMDB transaction groups"},
    {"callback.timeout_ms", T_INT, F(callback_timeout_ms), "10000", 100, 600000, 1, NULL,
     "whole-request timeout of one callback delivery"},
    {"callback.connect_timeout_ms", T_INT, F(callback_connect_timeout_ms), "3000", 50, 600000, 1,
     NULL, "connect timeout of one callback delivery"},
    {"callback.max_per_host", T_INT, F(callback_max_per_host), "32", 1, 10000, 1, NULL,
     "concurrent deliveries to one buyer app host"},
    {"callback.allow_private_addresses", T_BOOL, F(callback_allow_private_addresses), "false", 0,
     0, 1, NULL,
     "deliver to buyer app addresses on this machine or a private network (loopback, 10/8, "
     "172.16/12, 192.168/16, link-local...); false in production: a registered URL that "
     "resolves there is refused"},
    {"callback.max_age_s", T_INT, F(callback_max_age_s), "3600", 1, 604800, 1, NULL,
     "retry an undelivered callback at most this long from when it is written (a longer TTL "
     "is capped here)"},
    {"callback.backoff_ms", T_INT, F(callback_backoff_ms), "500", 10, 600000, 1, NULL,
     "first retry delay; doubles each attempt, with jitter"},
    {"callback.state_flush_ms", T_INT, F(callback_state_flush_ms), "200", 0, 10000, 1, NULL,
     "delivered marks are written at most this late, many in one LMDB transaction (a crash "
     "before then delivers those on_* again: at least once); retries, NACKs and dead "
     "letters are written at once"},
    {"search.page_kb", T_INT, F(search_page_kb), "1024", 16, 65536, 1, NULL,
     "largest on_search callback; a bigger answer is split into several on_search (same message_id)"},
    {"search.resident_mb", T_INT, F(search_resident_mb), "256", 0, 1048576, 1, NULL,
     "mapped LMDB pages a discovery worker keeps resident before it lets them go (its "
     "catalog, read again at every search; lmdb_resident_mb when that is larger or 0)"},
    {"search.inc_interval_s", T_INT, F(search_inc_interval_s), "300", 1, 3600, 1, NULL,
     "incremental catalog: changes are pushed to subscribed buyer apps (catalog_inc mode "
     "start) together, at most once per this many seconds (ONDC asks for 1 to 30 minutes)"},
    {"search.inc_retention_s", T_INT, F(search_inc_retention_s), "604800", 3600, 31536000, 1, NULL,
     "incremental catalog: how long change notes are kept for catalog_inc pulls (a window "
     "further back gets only what is left)"},
    {"seller.auto_accept", T_BOOL, F(auto_accept), "false", 0, 0, 1, NULL,
     "confirm makes orders Accepted at once instead of Created"},
    {"seller.accept_window_s", T_INT, F(accept_window_s), "900", 1, 604800, 1, NULL,
     "a Created order the seller does not act on in this time is rejected"},
    {"seller.reject_reason", T_STR, F(reject_reason), "005", 0, 0, 1, NULL,
     "cancellation reason of an order rejected for want of acceptance (005: merchant rejected)"},
    {"seller.accept_warn_s", T_INT, F(accept_warn_s), "120", 0, 604800, 1, NULL,
     "the seller's webhook hears order.expiring this long before an order's acceptance "
     "window closes (0: no warning)"},
    {"seller.webhook_url", T_STR, F(seller_webhook_url), "", 0, 0, 1, NULL,
     "the seller's backend: order events (created, cancelled by the buyer, return requested, "
     "rating, support, expiring) are POSTed here, signed with HMAC-SHA256 in X-Ondc-Signature, "
     "retried through the outbox like every callback; empty: none"},
    {"seller.webhook_secret_file", T_PATH, F(seller_webhook_secret_file), "", 0, 0, 0, NULL,
     "file with the seller webhook's HMAC key (its trailing newline dropped); mode 0600; "
     "required with seller.webhook_url"},
    {"seller.webhook_ttl_s", T_INT, F(seller_webhook_ttl_s), "86400", 10, 2592000, 1, NULL,
     "how long an event is retried while the seller's backend is down; then it is a dead "
     "letter"},
    {"console.dir", T_PATH, F(console_dir), "", 0, 0, 0, NULL,
     "folder of the web console's files and openapi.json; empty: share/ondc-gateway/console "
     "beside the binaries' folder, else admin/console of the source tree"},
    {"console.users_file", T_PATH, F(console_users_file), "", 0, 0, 1, NULL,
     "the console's users, one \"name:hash\" a line (ondcctl console-user makes the hash, "
     "Argon2id); mode 0600; empty: the admin token is the only login"},
    {"console.session_ttl_s", T_INT, F(console_session_ttl_s), "28800", 60, 604800, 1, NULL,
     "a console session ends this long after it was opened"},
    {"roles", T_LIST, F(roles), "seller", 0, 0, 0, NULL,
     "what this fleet is on the network: \"seller\" (a seller app, BPP), \"buyer\" (a buyer "
     "app's node, BAP: the client API on client_listen, on_* received on listen), "
     "\"gateway\" (multicasts buyer apps' searches to the sellers); any combination"},
    {"bap_uri", T_STR, F(bap_uri), "", 0, 0, 0, NULL,
     "the buyer role's public base URL, where sellers send the on_* (the bap_uri of every "
     "request it sends); default: bpp_uri"},
    {"client_listen", T_STR, F(client_listen), "127.0.0.1:8082", 0, 0, 0, NULL,
     "host:port of the buyer client API (ondc-client; buyer role only); loopback by default"},
    {"client_token_file", T_PATH, F(client_token_file), "", 0, 0, 0, NULL,
     "file with the buyer client API's bearer token; mode 0600 (empty: admin_token_file's)"},
    {"buyer.subscriber_id", T_STR, F(buyer_subscriber_id), "", 0, 0, 0, NULL,
     "the buyer role's subscriber id (its bap_id; default: subscriber_id)"},
    {"buyer.unique_key_id", T_STR, F(buyer_unique_key_id), "", 0, 0, 0, NULL,
     "ukId of the buyer role's signing key (default: unique_key_id)"},
    {"buyer.signing_private_key_file", T_PATH, F(buyer_signing_key_file), "", 0, 0, 0, NULL,
     "the buyer role's private key file (default: signing_private_key_file)"},
    {"buyer.gateway_uri", T_STR, F(buyer_gateway_uri), "", 0, 0, 1, NULL,
     "gateway a search goes to ({gateway_uri}/search); empty: straight to every seller the "
     "registry file lists for the domain and city"},
    {"buyer.webhook_url", T_STR, F(buyer_webhook_url), "", 0, 0, 1, NULL,
     "the buyer app's backend: every on_* received is POSTed here too (HMAC-SHA256 body "
     "signature in X-ONDC-Webhook-Signature), retried like every callback; empty: none"},
    {"buyer.webhook_secret_file", T_PATH, F(buyer_webhook_secret_file), "", 0, 0, 0, NULL,
     "file with the webhook's HMAC key; mode 0600"},
    {"buyer.ttl_s", T_INT, F(buyer_ttl_s), "30", 1, 86400, 1, NULL,
     "context.ttl of the requests the buyer role sends (PT{n}S): how long a seller has to "
     "answer, and how long a request to a seller that is down is retried"},
    {"gateway.subscriber_id", T_STR, F(gateway_subscriber_id), "", 0, 0, 0, NULL,
     "the gateway role's subscriber id (signs X-Gateway-Authorization; default: subscriber_id)"},
    {"gateway.unique_key_id", T_STR, F(gateway_unique_key_id), "", 0, 0, 0, NULL,
     "ukId of the gateway role's signing key (default: unique_key_id)"},
    {"gateway.signing_private_key_file", T_PATH, F(gateway_signing_key_file), "", 0, 0, 0, NULL,
     "the gateway role's private key file (default: signing_private_key_file)"},
    {"workers.buyer", T_INT, F(workers[FAMILY_BUYER]), "1", 1, 64, 0, NULL,
     "copies of the buyer worker (the on_* received; buyer role only)"},
    {"workers.gateway", T_INT, F(workers[FAMILY_GATEWAY]), "1", 1, 64, 0, NULL,
     "copies of the gateway worker (searches to multicast; gateway role only)"},
    {"log_level", T_ENUM, F(log_level), "info", 0, 0, 1, "debug|info|warn|error|fatal",
     "lowest level logged"},
};

#define NKEYS (sizeof s_keys / sizeof s_keys[0])

static const char *s_family_names[FAMILY_COUNT] = {"discovery", "order", "fulfillment",
                                                   "post-fulfillment", "buyer", "gateway"};

int cfg_has_role(const cfg_t *cfg, const char *role)
{
    return cfg_list_has(&cfg->roles, role, 0);
}

static const char *const s_roles = "seller|buyer|gateway";

const char *cfg_family_name(family_t f)
{
    return (unsigned)f < FAMILY_COUNT ? s_family_names[f] : "?";
}

int cfg_family_parse(const char *name)
{
    for (int i = 0; name && i < FAMILY_COUNT; i++)
        if (strcmp(name, s_family_names[i]) == 0)
            return i;
    return -1;
}

int cfg_list_has(const cfg_list_t *list, const char *s, int star_matches)
{
    for (int i = 0; i < list->n; i++) {
        if (star_matches && strcmp(list->v[i], "*") == 0)
            return 1;
        if (s && strcmp(list->v[i], s) == 0)
            return 1;
    }
    return 0;
}

static int s_set_str(char *dst, size_t size, const char *v)
{
    if (strlen(v) >= size)
        return -1;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int s_resolve_path(const cfg_t *cfg, char *dst, size_t size, const char *v)
{
    if (v[0] == '\0' || v[0] == '/')
        return s_set_str(dst, size, v);
    int n = snprintf(dst, size, "%s/%s", cfg->config_dir, v);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

static int s_list_parse(cfg_list_t *l, const char *csv)
{
    memset(l, 0, sizeof *l);
    const char *p = csv;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (l->n >= CFG_LIST_MAX || n >= sizeof l->v[0])
            return -1;
        memcpy(l->v[l->n], p, n);
        l->v[l->n][n] = '\0';
        l->n++;
        p += n + (e ? 1 : 0);
    }
    return 0;
}

static int s_enum_ok(const char *allowed, const char *v)
{
    size_t n = strlen(v);
    const char *p = allowed;
    while (p && *p) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* s_apply_text - set key K in CFG from its text form (defaults). */
static int s_apply_text(cfg_t *cfg, const s_key_t *k, const char *text)
{
    char *dst = (char *)cfg + k->off;
    switch (k->type) {
    case T_STR:
    case T_ENUM:
        return s_set_str(dst, k->size, text);
    case T_PATH:
        return s_resolve_path(cfg, dst, k->size, text);
    case T_INT:
        *(int *)dst = atoi(text);
        return 0;
    case T_BOOL:
        *(int *)dst = strcmp(text, "true") == 0;
        return 0;
    case T_LIST:
        return s_list_parse((cfg_list_t *)dst, text);
    }
    return -1;
}

/* s_lookup - the JSON value at dotted NAME in ROOT, or NULL. */
static json_t *s_lookup(json_t *root, const char *name)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", name);
    json_t *cur = root;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
        cur = json_is_object(cur) ? json_object_get(cur, tok) : NULL;
    return cur;
}

/* s_expected - what a key of type T must be, for a message. */
static const char *s_expected(s_type_t t)
{
    switch (t) {
    case T_INT:
        return "an integer";
    case T_BOOL:
        return "a boolean (true or false)";
    case T_LIST:
        return "a list of strings";
    case T_STR:
    case T_PATH:
    case T_ENUM:
        break;
    }
    return "a string";
}

/* s_json_type_name - what V is, for a message: "string", "integer"... */
static const char *s_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

static int s_apply_json(cfg_t *cfg, const s_key_t *k, json_t *v, char *why, size_t whylen)
{
    char *dst = (char *)cfg + k->off;
    switch (k->type) {
    case T_STR:
    case T_PATH:
    case T_ENUM:
        if (!json_is_string(v))
            goto type;
        if (k->type == T_ENUM && !s_enum_ok(k->allowed, json_string_value(v))) {
            snprintf(why, whylen, "%s: \"%s\" is not one of %s", k->name, json_string_value(v),
                     k->allowed);
            return -1;
        }
        if ((k->type == T_PATH ? s_resolve_path(cfg, dst, k->size, json_string_value(v))
                               : s_set_str(dst, k->size, json_string_value(v))) < 0) {
            snprintf(why, whylen, "%s: value too long (max %zu)", k->name, k->size - 1);
            return -1;
        }
        return 0;
    case T_INT: {
        if (!json_is_integer(v))
            goto type;
        json_int_t n = json_integer_value(v);
        if (n < k->min || n > k->max) {
            snprintf(why, whylen, "%s: %lld is out of bounds [%ld, %ld]", k->name, (long long)n,
                     k->min, k->max);
            return -1;
        }
        *(int *)dst = (int)n;
        return 0;
    }
    case T_BOOL:
        if (!json_is_boolean(v))
            goto type;
        *(int *)dst = json_is_true(v);
        return 0;
    case T_LIST: {
        if (!json_is_array(v))
            goto type;
        cfg_list_t *l = (cfg_list_t *)dst;
        memset(l, 0, sizeof *l);
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e) || l->n >= CFG_LIST_MAX ||
                strlen(json_string_value(e)) >= sizeof l->v[0]) {
                snprintf(why, whylen, "%s[%zu]: must be a string of at most %zu chars (and at most %d entries)",
                         k->name, i, sizeof l->v[0] - 1, CFG_LIST_MAX);
                return -1;
            }
            snprintf(l->v[l->n++], sizeof l->v[0], "%s", json_string_value(e));
        }
        return 0;
    }
    }
type:
    snprintf(why, whylen, "%s: wrong type: expected %s, got %s", k->name, s_expected(k->type),
             s_json_type_name(v));
    return -1;
}

void cfg_defaults(cfg_t *cfg)
{
    char path[CFG_PATH_MAX], dir[CFG_PATH_MAX];
    memcpy(path, cfg->config_path, sizeof path);
    memcpy(dir, cfg->config_dir, sizeof dir);
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->config_path, path, sizeof path);
    memcpy(cfg->config_dir, dir, sizeof dir);
    if (!cfg->config_dir[0])
        strcpy(cfg->config_dir, ".");
    for (size_t i = 0; i < NKEYS; i++)
        (void)s_apply_text(cfg, &s_keys[i], s_keys[i].def);
}

/* s_check - cross-field checks and derived values after loading. */
static int s_check(cfg_t *cfg, char *why, size_t whylen)
{
    char *eps[FAMILY_COUNT + 2];
    const char *names[FAMILY_COUNT + 2];
    eps[0] = cfg->ep_dispatcher;
    names[0] = "dispatcher";
    for (int f = 0; f < FAMILY_COUNT; f++) {
        eps[1 + f] = cfg->ep_family[f];
        names[1 + f] = s_family_names[f];
    }
    eps[FAMILY_COUNT + 1] = cfg->ep_callback;
    names[FAMILY_COUNT + 1] = "callback";
    for (int i = 0; i < FAMILY_COUNT + 2; i++) {
        if (eps[i][0])
            continue;
        int n = snprintf(eps[i], CFG_STR_MAX, "ipc://%s/%s.sock", cfg->run_dir, names[i]);
        /* sun_path holds 107 characters */
        if (n < 0 || n - 6 > 107) {
            snprintf(why, whylen, "run_dir: too long for an ipc socket path (%s)", eps[i]);
            return -1;
        }
    }
    const char *listens[2][2] = {{"listen", cfg->listen}, {"admin_listen", cfg->admin_listen}};
    for (int i = 0; i < 2; i++) {
        struct sockaddr_in sa;
        if (url_listen_addr(listens[i][1], &sa) < 0 || sa.sin_port == 0) {
            snprintf(why, whylen,
                     "%s: \"%s\" is not host:port (host: an IPv4 address, localhost or *; "
                     "port: 1..65535)",
                     listens[i][0], listens[i][1]);
            return -1;
        }
    }
    if (strcmp(cfg->listen, cfg->admin_listen) == 0) {
        snprintf(why, whylen, "admin_listen: must differ from listen");
        return -1;
    }
    if (cfg->domains.n == 0 || cfg->cities.n == 0) {
        snprintf(why, whylen, "domains/cities: must not be empty");
        return -1;
    }
    if (cfg->verify_signatures && !cfg->registry_file[0] && !cfg->registry_url[0])
        log_warn("config.no_registry", "why",
                 "verify_signatures is on but neither registry.file nor registry.url is set: "
                 "every signed request will be refused",
                 NULL);
    if (!cfg->subscriber_id[0] || !cfg->bpp_uri[0]) {
        snprintf(why, whylen, "subscriber_id/bpp_uri: must not be empty");
        return -1;
    }
    if (cfg->roles.n == 0) {
        snprintf(why, whylen, "roles: must name at least one of seller, buyer, gateway");
        return -1;
    }
    for (int i = 0; i < cfg->roles.n; i++)
        if (!s_enum_ok(s_roles, cfg->roles.v[i])) {
            snprintf(why, whylen, "roles[%d]: \"%s\" is not one of seller, buyer, gateway", i,
                     cfg->roles.v[i]);
            return -1;
        }
    if (cfg_has_role(cfg, "buyer") &&
        (!strchr(cfg->client_listen, ':') || strcmp(cfg->client_listen, cfg->listen) == 0 ||
         strcmp(cfg->client_listen, cfg->admin_listen) == 0)) {
        snprintf(why, whylen, "client_listen: must be host:port, apart from listen and admin_listen");
        return -1;
    }
    if (cfg->seller_webhook_url[0] &&
        (strncmp(cfg->seller_webhook_url, "http://", 7) != 0 &&
         strncmp(cfg->seller_webhook_url, "https://", 8) != 0)) {
        snprintf(why, whylen, "seller.webhook_url: must be an http:// or https:// URL");
        return -1;
    }
    if (cfg->seller_webhook_url[0] && !cfg->seller_webhook_secret_file[0]) {
        snprintf(why, whylen, "seller.webhook_secret_file: required with seller.webhook_url");
        return -1;
    }
    /* each role's identity: its own when configured, else the node's */
    if (!cfg->bap_uri[0])
        snprintf(cfg->bap_uri, sizeof cfg->bap_uri, "%s", cfg->bpp_uri);
    if (!cfg->client_token_file[0])
        snprintf(cfg->client_token_file, sizeof cfg->client_token_file, "%s",
                 cfg->admin_token_file);
    if (!cfg->buyer_subscriber_id[0])
        snprintf(cfg->buyer_subscriber_id, sizeof cfg->buyer_subscriber_id, "%s", cfg->subscriber_id);
    if (!cfg->buyer_unique_key_id[0])
        snprintf(cfg->buyer_unique_key_id, sizeof cfg->buyer_unique_key_id, "%s", cfg->unique_key_id);
    if (!cfg->buyer_signing_key_file[0])
        snprintf(cfg->buyer_signing_key_file, sizeof cfg->buyer_signing_key_file, "%s",
                 cfg->signing_private_key_file);
    if (!cfg->gateway_subscriber_id[0])
        snprintf(cfg->gateway_subscriber_id, sizeof cfg->gateway_subscriber_id, "%s",
                 cfg->subscriber_id);
    if (!cfg->gateway_unique_key_id[0])
        snprintf(cfg->gateway_unique_key_id, sizeof cfg->gateway_unique_key_id, "%s",
                 cfg->unique_key_id);
    if (!cfg->gateway_signing_key_file[0])
        snprintf(cfg->gateway_signing_key_file, sizeof cfg->gateway_signing_key_file, "%s",
                 cfg->signing_private_key_file);
    return 0;
}

/* s_known - whether dotted key NAME (or a prefix object of one) is in the table. */
static int s_known(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(s_keys[i].name, name) == 0 ||
            (strncmp(s_keys[i].name, name, n) == 0 && s_keys[i].name[n] == '.'))
            return 1;
    return 0;
}

/* s_distance - edit distance of A and B (at most 63 characters each). */
static size_t s_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la > 63 || lb > 63)
        return 64;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* s_closest - the known key (or object of keys) nearest to NAME, or NULL
 * when none is near enough to be a likely typo. */
static const char *s_closest(const char *name)
{
    static char best[128];
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < NKEYS; i++) {
        /* the key, and each object that holds it ("registry" of "registry.file") */
        char cand[128];
        snprintf(cand, sizeof cand, "%s", s_keys[i].name);
        for (;;) {
            size_t d = s_distance(name, cand);
            if (d < best_d) {
                best_d = d;
                snprintf(best, sizeof best, "%s", cand);
            }
            char *dot = strrchr(cand, '.');
            if (!dot)
                break;
            *dot = '\0';
        }
    }
    size_t n = strlen(name);
    return best_d <= (n < 6 ? 2 : n / 3) ? best : NULL;
}

/* s_unknown - refuse a key that is not in the table (a typo would
 * otherwise leave its default in force without a word), naming the
 * nearest known key. */
static int s_unknown(json_t *obj, const char *prefix, char *why, size_t whylen)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char full[128];
        snprintf(full, sizeof full, "%s%s%s", prefix, prefix[0] ? "." : "", key);
        if (!s_known(full)) {
            const char *near = s_closest(full);
            snprintf(why, whylen, "%s: unknown key%s%s%s", full, near ? " (did you mean \"" : "",
                     near ? near : "", near ? "\"?)" : "");
            return -1;
        }
        if (json_is_object(v) && s_unknown(v, full, why, whylen) < 0)
            return -1;
    }
    return 0;
}

int cfg_load(cfg_t *cfg, const char *path, char *why, size_t whylen)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->config_path, sizeof cfg->config_path, "%s", path);
    char *real = realpath(path, NULL);
    if (!real) {
        snprintf(why, whylen, "%s: cannot open", path);
        return -1;
    }
    snprintf(cfg->config_path, sizeof cfg->config_path, "%s", real);
    char *slash = strrchr(real, '/');
    if (slash)
        *slash = '\0';
    snprintf(cfg->config_dir, sizeof cfg->config_dir, "%s", slash == real ? "/" : real);
    free(real);
    cfg_defaults(cfg);

    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(why, whylen, "%s:%d: %s", path, jerr.line, jerr.text);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(root)) {
        snprintf(why, whylen, "%s: must be a JSON object", path);
        goto out;
    }
    for (size_t i = 0; i < NKEYS; i++) {
        json_t *v = s_lookup(root, s_keys[i].name);
        if (v && !json_is_null(v) && s_apply_json(cfg, &s_keys[i], v, why, whylen) < 0)
            goto out;
    }
    if (s_unknown(root, "", why, whylen) < 0)
        goto out;
    rc = s_check(cfg, why, whylen);
out:
    json_decref(root);
    return rc;
}

int cfg_reload(cfg_t *cfg, char *why, size_t whylen)
{
    cfg_t *fresh = malloc(sizeof *fresh);
    if (!fresh || cfg_load(fresh, cfg->config_path, why, whylen) < 0) {
        free(fresh);
        return -1;
    }
    for (size_t i = 0; i < NKEYS; i++) {
        const s_key_t *k = &s_keys[i];
        char *old = (char *)cfg + k->off, *new = (char *)fresh + k->off;
        if (memcmp(old, new, k->size) == 0)
            continue;
        if (k->reload) {
            memcpy(old, new, k->size);
            log_info("config.reloaded", "key", k->name, NULL);
        } else {
            log_warn("config.needs_restart", "key", k->name, NULL);
        }
    }
    free(fresh);
    return 0;
}

static const char *s_type_name(s_type_t t)
{
    switch (t) {
    case T_STR:
        return "string";
    case T_PATH:
        return "path";
    case T_INT:
        return "integer";
    case T_BOOL:
        return "boolean";
    case T_LIST:
        return "list of strings";
    case T_ENUM:
        return "string";
    }
    return "?";
}

void cfg_print_reference(void *stream)
{
    FILE *f = stream;
    fprintf(f, "| key | type | default | bounds | reload | meaning |\n");
    fprintf(f, "| --- | --- | --- | --- | --- | --- |\n");
    for (size_t i = 0; i < NKEYS; i++) {
        const s_key_t *k = &s_keys[i];
        char bounds[64] = "";
        if (k->type == T_INT)
            snprintf(bounds, sizeof bounds, "%ld..%ld", k->min, k->max);
        else if (k->type == T_ENUM) {
            /* "a|b" as "a \| b": a bare | would end the table cell */
            size_t n = 0;
            for (const char *c = k->allowed; *c && n + 5 < sizeof bounds; c++) {
                if (*c == '|') {
                    memcpy(bounds + n, " \\| ", 4);
                    n += 4;
                } else {
                    bounds[n++] = *c;
                }
            }
            bounds[n] = '\0';
        }
        fprintf(f, "| `%s` | %s | `%s` | %s | %s | %s |\n", k->name, s_type_name(k->type),
                k->def, bounds, k->reload ? "yes" : "no", k->doc);
    }
}

char *cfg_dump_json(const cfg_t *cfg)
{
    json_t *root = json_object();
    for (size_t i = 0; i < NKEYS; i++) {
        const s_key_t *k = &s_keys[i];
        const char *src = (const char *)cfg + k->off;
        json_t *v = NULL;
        switch (k->type) {
        case T_STR:
        case T_PATH:
        case T_ENUM:
            v = json_string(src);
            break;
        case T_INT:
            v = json_integer(*(const int *)src);
            break;
        case T_BOOL:
            v = json_boolean(*(const int *)src);
            break;
        case T_LIST: {
            const cfg_list_t *l = (const cfg_list_t *)src;
            v = json_array();
            for (int j = 0; j < l->n; j++)
                json_array_append_new(v, json_string(l->v[j]));
            break;
        }
        }
        json_object_set_new(root, k->name, v);
    }
    char *s = jarena_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(root);
    return s;
}
