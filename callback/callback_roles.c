/*
 * callback_roles.c - ondc-callback: how each row is signed, by the role
 * that sends it (roles: docs/buyer.md).
 *
 * The callback process delivers every message the node sends: the seller
 * role's on_*, the buyer role's requests to sellers (and to a gateway),
 * the gateway role's copies of a search, the buyer role's webhook calls
 * to the buyer app's backend, and the seller's order events to the
 * seller's backend (seller/webhook.h). What a row is follows from the row:
 * its action "on_*" (seller), "webhook", "seller_webhook", or a buyer
 * action, with the buyer app's Authorization among its headers for a
 * gateway's copy; an "issue" whose context.bap_id is the seller's
 * subscriber_id is an issue the seller raised (seller/igm_raise.c), signed
 * with the seller's key. The delivery itself (retries, backoff, TTL,
 * per-host lines, dead letters) is the same for all. Both webhooks' URLs
 * are the operator's own (config), so they may be on this machine or a
 * private network whatever callback.allow_private_addresses says.
 *
 * Config keys read: subscriber_id, unique_key_id, signature_validity_s,
 * roles, buyer.subscriber_id, buyer.unique_key_id,
 * buyer.signing_private_key_file, buyer.webhook_url,
 * buyer.webhook_secret_file, seller.webhook_url, seller.webhook_secret_file,
 * gateway.subscriber_id,
 * gateway.unique_key_id, gateway.signing_private_key_file.
 */
#include "callback.h"

#include "log.h"

#include "webhook.h"

#include <jansson.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s_secret - the key in PATH, its trailing newline dropped, into BUF (CAP
 * bytes); its length, or 0 when it cannot be read or is empty */
static size_t s_secret(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap, f) : 0;
    if (f)
        fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    return n;
}

int callback_roles_init(callback_t *cb)
{
    const cfg_t *cfg = &cb->rt->cfg;
    ondc_err_t err;
    if (cfg->seller_webhook_url[0]) {
        cb->seller_secret_len =
            s_secret(cfg->seller_webhook_secret_file, cb->seller_secret, sizeof cb->seller_secret);
        if (cb->seller_secret_len == 0) {
            log_error("callback.no_webhook_secret", "path", cfg->seller_webhook_secret_file, NULL);
            return -1;
        }
    }
    if (cfg_has_role(cfg, "buyer")) {
        if (sign_key_load_file(&cb->buyer_key, cfg->buyer_signing_key_file, &err) < 0) {
            log_error("callback.no_buyer_key", "path", cfg->buyer_signing_key_file, "why",
                      err.message, NULL);
            return -1;
        }
        cb->have_buyer_key = 1;
        if (cfg->buyer_webhook_url[0] && cfg->buyer_webhook_secret_file[0]) {
            FILE *f = fopen(cfg->buyer_webhook_secret_file, "r");
            size_t n = f ? fread(cb->webhook_secret, 1, sizeof cb->webhook_secret, f) : 0;
            if (f)
                fclose(f);
            while (n > 0 && (cb->webhook_secret[n - 1] == '\n' || cb->webhook_secret[n - 1] == '\r'))
                n--;
            if (n == 0) {
                log_error("callback.no_webhook_secret", "path", cfg->buyer_webhook_secret_file,
                          NULL);
                return -1;
            }
            cb->webhook_secret_len = n;
        }
    }
    if (cfg_has_role(cfg, "gateway")) {
        if (sign_key_load_file(&cb->gateway_key, cfg->gateway_signing_key_file, &err) < 0) {
            log_error("callback.no_gateway_key", "path", cfg->gateway_signing_key_file, "why",
                      err.message, NULL);
            return -1;
        }
        cb->have_gateway_key = 1;
    }
    return 0;
}

/* s_hmac - the header line NAME: sha256={hex HMAC-SHA256 of the body with KEY} */
static void s_hmac(const unsigned char *key, size_t key_len, const char *name,
                   const outbox_row_t *row, struct curl_slist **headers)
{
    if (!key_len)
        return;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)row->body, row->body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    char line[128];
    snprintf(line, sizeof line, "%s: sha256=", name);
    size_t n = strlen(line);
    sodium_bin2hex(line + n, sizeof line - n, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
    struct curl_slist *l = curl_slist_append(*headers, line);
    if (l)
        *headers = l;
}

int callback_row_trusted(const outbox_row_t *row)
{
    return strcmp(row->action, "webhook") == 0 || strcmp(row->action, WEBHOOK_ACTION) == 0;
}

/* s_forward - the row's own header lines (a gateway's copy: the buyer
 * app's Authorization), each "Name: value\n" */
static void s_forward(const outbox_row_t *row, struct curl_slist **headers)
{
    const char *p = row->headers;
    while (p && *p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *line = strndup(p, n);
        if (line) {
            struct curl_slist *l = curl_slist_append(*headers, line);
            if (l)
                *headers = l;
            free(line);
        }
        p += n + (e ? 1 : 0);
    }
}

/* s_seller_request - whether ROW is a request the seller role sends (an
 * issue it raised: context.bap_id is the seller's subscriber_id) */
static int s_seller_request(callback_t *cb, const outbox_row_t *row)
{
    if (!cb->have_key || strcmp(row->action, "issue") != 0)
        return 0;
    json_t *root = json_loadb(row->body, row->body_len, 0, NULL);
    const char *bap =
        json_string_value(json_object_get(json_object_get(root, "context"), "bap_id"));
    int mine = bap && strcmp(bap, cb->rt->cfg.subscriber_id) == 0;
    json_decref(root);
    return mine;
}

void callback_sign_row(callback_t *cb, const outbox_row_t *row, struct curl_slist **headers,
                       long created)
{
    const cfg_t *cfg = &cb->rt->cfg;
    long expires = created + cfg->signature_validity_s;
    if (strcmp(row->action, "webhook") == 0) {
        s_hmac(cb->webhook_secret, cb->webhook_secret_len, "X-ONDC-Webhook-Signature", row, headers);
        return;
    }
    if (strcmp(row->action, WEBHOOK_ACTION) == 0) {
        s_hmac(cb->seller_secret, cb->seller_secret_len, "X-Ondc-Signature", row, headers);
        return;
    }
    if (strncmp(row->action, "on_", 3) == 0) {
        if (cb->have_key)
            (void)sign_auth_append(headers, &cb->key, cfg->subscriber_id, cfg->unique_key_id,
                                   row->body, row->body_len, created, expires);
        return;
    }
    if (s_seller_request(cb, row)) {
        (void)sign_auth_append(headers, &cb->key, cfg->subscriber_id, cfg->unique_key_id,
                               row->body, row->body_len, created, expires);
        return;
    }
    if (row->headers) {
        s_forward(row, headers);
        if (!cb->have_gateway_key)
            return;
        char *v = sign_auth_header(&cb->gateway_key, cfg->gateway_subscriber_id,
                                   cfg->gateway_unique_key_id, row->body, row->body_len, created,
                                   expires);
        if (!v)
            return;
        size_t n = strlen(v) + 40;
        char *line = malloc(n);
        if (line) {
            snprintf(line, n, "X-Gateway-Authorization: %s", v);
            struct curl_slist *l = curl_slist_append(*headers, line);
            if (l)
                *headers = l;
            free(line);
        }
        free(v);
        return;
    }
    if (cb->have_buyer_key)
        (void)sign_auth_append(headers, &cb->buyer_key, cfg->buyer_subscriber_id,
                               cfg->buyer_unique_key_id, row->body, row->body_len, created,
                               expires);
}
