/*
 * cfg.h - the one configuration table, read by every process.
 *
 * One JSON file (--config FILE) holds every key; each key has a type, a
 * default that serves on one machine, bounds and a flag saying whether
 * SIGHUP may reload it. The table in cfg.c is the only place defaults live:
 * no call site invents its own. Relative paths in the file are resolved
 * against the directory of the config file. Secrets (private keys, admin
 * token) are only ever named by path here; their contents never reach a log.
 * Plumbing: apart from key names, knows nothing of ONDC.
 */
#ifndef ONDC_CFG_H
#define ONDC_CFG_H

#include <stddef.h>

#define CFG_PATH_MAX 512
#define CFG_STR_MAX 512
#define CFG_LIST_MAX 32

typedef struct {
    int n;
    char v[CFG_LIST_MAX][64];
} cfg_list_t;

/* the seller's four families, then the buyer role's (the on_* it
 * receives) and the gateway role's (searches to multicast) */
typedef enum {
    FAMILY_DISCOVERY = 0,
    FAMILY_ORDER,
    FAMILY_FULFILLMENT,
    FAMILY_POST,
    FAMILY_BUYER,
    FAMILY_GATEWAY,
    FAMILY_COUNT
} family_t;

typedef struct {
    char config_path[CFG_PATH_MAX];
    char config_dir[CFG_PATH_MAX];

    /* identity */
    char subscriber_id[CFG_STR_MAX];
    char unique_key_id[128];
    char signing_private_key_file[CFG_PATH_MAX];
    char encryption_private_key_file[CFG_PATH_MAX];
    char bpp_uri[CFG_STR_MAX];
    char country[8];
    cfg_list_t domains;
    cfg_list_t cities;

    /* listeners */
    char listen[128];
    char admin_listen[128];
    char admin_token_file[CFG_PATH_MAX];
    int max_body_bytes;
    int admin_max_body_mb;
    int max_header_bytes;
    int max_json_depth;
    int max_array_items;
    int max_connections_per_ip;
    int rate_limit_per_s;
    int rate_limit_burst;
    int max_connections;
    int connection_timeout_s;
    int request_header_timeout_ms, request_body_timeout_ms;
    int backlog_limit;

    /* storage */
    char data_dir[CFG_PATH_MAX];
    char run_dir[CFG_PATH_MAX];
    int lmdb_map_size_mb;
    int lmdb_resident_mb;
    char journal_sync[16]; /* "fsync" or "nosync" */
    int journal_lease_ms;
    int journal_max_attempts;
    int retention_s;

    /* trust */
    char registry_file[CFG_PATH_MAX];
    char registry_url[CFG_STR_MAX];
    char registry_encr_public_key[128];
    char registry_request_id[256];
    int registry_timeout_ms;
    int registry_cache_max_s;
    int registry_negative_cache_s;
    int verify_signatures;
    int registry_lookups_per_address;
    int registry_lookup_rate_per_address;
    int signature_skew_s;
    int signature_max_lifetime_s;
    int signature_validity_s;

    /* workers and pipeline */
    int workers[FAMILY_COUNT];
    int ingress_copies;
    int ingress_verify_threads;
    int nice_ingress, nice_admin, nice_dispatcher, nice_worker, nice_callback;
    int zmq_hwm;
    char ep_dispatcher[CFG_STR_MAX];
    char ep_family[FAMILY_COUNT][CFG_STR_MAX];
    char ep_callback[CFG_STR_MAX];
    int batch_max;

    /* callback delivery */
    int callback_timeout_ms;
    int callback_connect_timeout_ms;
    int callback_max_per_host;
    int callback_allow_private_addresses;
    int callback_max_age_s;
    int callback_backoff_ms;
    int callback_state_flush_ms;

    /* seller behaviour */
    int search_page_kb;
    int search_resident_mb;
    int search_inc_interval_s;
    int search_inc_retention_s;
    int auto_accept;
    int accept_window_s;
    char reject_reason[8];
    int accept_warn_s;
    char seller_webhook_url[CFG_STR_MAX];
    char seller_webhook_secret_file[CFG_PATH_MAX];
    int seller_webhook_ttl_s;

    /* the web console (ondc-admin) */
    char console_dir[CFG_PATH_MAX];
    char console_users_file[CFG_PATH_MAX];
    int console_session_ttl_s;

    /* operations */
    char log_level[16];

    /* roles (docs/buyer.md): "seller" (the default), "buyer", "gateway";
     * each role's identity falls back on subscriber_id, unique_key_id and
     * signing_private_key_file when not set (filled in at load) */
    cfg_list_t roles;
    char bap_uri[CFG_STR_MAX];
    char client_listen[128];
    char client_token_file[CFG_PATH_MAX];
    char buyer_subscriber_id[CFG_STR_MAX];
    char buyer_unique_key_id[128];
    char buyer_signing_key_file[CFG_PATH_MAX];
    char buyer_gateway_uri[CFG_STR_MAX];
    char buyer_webhook_url[CFG_STR_MAX];
    char buyer_webhook_secret_file[CFG_PATH_MAX];
    int buyer_ttl_s;
    char gateway_subscriber_id[CFG_STR_MAX];
    char gateway_unique_key_id[128];
    char gateway_signing_key_file[CFG_PATH_MAX];
} cfg_t;

/* cfg_has_role - whether ROLE ("seller", "buyer", "gateway") is on. */
int cfg_has_role(const cfg_t *cfg, const char *role);

/* cfg_load - read PATH into CFG (defaults first, then the file). On failure
 * returns -1 and writes a one-line reason (naming the key) into WHY. */
int cfg_load(cfg_t *cfg, const char *path, char *why, size_t whylen);

/* cfg_check_start - what the keys name, checked before a process starts
 * and by --check-config: the identity is not a placeholder (example.com and
 * other reserved names), each key file reads (a secret only by its
 * owner), data_dir and run_dir are usable, each listen host is an
 * address of this machine and its port one this user may bind. 0, or -1
 * with a one-line reason (the key, the path, the errno name) in WHY. */
int cfg_check_start(const cfg_t *cfg, char *why, size_t whylen);

/* cfg_defaults - fill CFG with every default (no file). */
void cfg_defaults(cfg_t *cfg);

/* cfg_reload - load PATH and copy the reloadable keys into CFG; logs each
 * key that changed. Keys that cannot change live are reported and ignored. */
int cfg_reload(cfg_t *cfg, char *why, size_t whylen);

/* cfg_family_name - "discovery", "order", "fulfillment", "post-fulfillment". */
const char *cfg_family_name(family_t f);

/* cfg_family_parse - the inverse of cfg_family_name; -1 if unknown. */
int cfg_family_parse(const char *name);

/* cfg_has - whether LIST holds S, or "*" when STAR_MATCHES. */
int cfg_list_has(const cfg_list_t *list, const char *s, int star_matches);

/* cfg_print_reference - write the config reference (markdown table of every
 * key: name, type, default, bounds, reload) to STREAM (a FILE *). */
void cfg_print_reference(void *stream);

/* cfg_dump_json - the effective config as a JSON text; caller owns it. */
char *cfg_dump_json(const cfg_t *cfg);

#endif
