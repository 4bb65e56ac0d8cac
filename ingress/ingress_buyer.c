/*
 * ingress_buyer.c - the network listener's part for the other roles
 * (roles: docs/buyer.md).
 *
 * Routing: POST /protocol/v1/{action} (or /{action}) is a seller's request
 * when the seller role is on; with the gateway role on, a search that
 * carries no X-Gateway-Authorization is one to multicast (a search a
 * gateway already forwarded goes to the seller role, if on); with the
 * buyer role on, /protocol/v1/on_{action} is a seller's answer; with the
 * seller role on, /protocol/v1/on_issue is a counterparty's answer to an
 * issue the seller raised (igm_raised_check instead of
 * buyer_check_answer). Anything else is 404, as before.
 *
 * An on_* passes, before it is journaled: JSON (depth, duplicates), its
 * context (action as the URL says, ids, bap_id ours, bpp_id, bpp_uri,
 * timestamp), that it answers a request of ours (buyer_check_answer: a
 * message_id we sent, to this seller unless a search; or an unsolicited
 * on_status / on_update / on_cancel of an order this seller holds), the
 * rate limit, and the Authorization header: keyId subscriber = bpp_id,
 * a key registered as a seller app's (BPP), bpp_uri under its registered
 * subscriber_url, the signature over the exact bytes. A fault is a NACK
 * with the path (401/20001 for a signature, 400/20006 otherwise) and
 * nothing is kept. Its dedupe key counts the body: an on_search's pages
 * share a message_id.
 *
 * Config keys read: roles, verify_signatures, signature_max_lifetime_s,
 * max_json_depth, buyer.subscriber_id.
 */
#include "ingress.h"

#include "buyer.h"
#include "context.h"
#include "igm_raise.h"
#include "jarena.h"
#include "jparse.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

int ingress_route(ingress_t *in, const char *url, const char *gw_auth, int *action,
                  ondc_err_t *err)
{
    const cfg_t *cfg = &in->rt->cfg;
    const char *p = url;
    *action = -1;
    if (strncmp(p, "/protocol/v1/", 13) == 0)
        p += 13;
    else if (*p == '/')
        p++;
    int a = context_action_parse(p);
    if (a >= 0) {
        *action = a;
        if (a == ACT_SEARCH && cfg_has_role(cfg, "gateway") && !(gw_auth && *gw_auth))
            return 2;
        if (cfg_has_role(cfg, "seller"))
            return 0;
        return err_set(err, ERR_TYPE_CONTEXT, 404, ERR_INVALID_REQUEST, "context.action",
                       "this node is not a seller app: no %s here", p);
    }
    a = strncmp(p, "on_", 3) == 0 ? context_action_parse(p + 3) : -1;
    if (a == ACT_ISSUE && cfg_has_role(cfg, "seller")) {
        /* a counterparty's answer to an issue the seller raised */
        *action = ACT_ON_BASE + a;
        return 1;
    }
    if (a >= 0 && a != ACT_ISSUE && a != ACT_ISSUE_STATUS && cfg_has_role(cfg, "buyer")) {
        *action = ACT_ON_BASE + a;
        return 1;
    }
    return err_set(err, ERR_TYPE_CONTEXT, 404, ERR_INVALID_REQUEST, "context.action",
                   "unknown endpoint %.64s", url);
}

/* s_need - the string at context.KEY, or -1 with ERR naming it */
static int s_need(json_t *ctx, const char *key, const char **out, ondc_err_t *err)
{
    *out = context_str(ctx, key);
    if (*out && **out && strlen(*out) < 256)
        return 0;
    return err_set(err, ERR_TYPE_CONTEXT, 400, BUYER_ERR_INVALID_RESPONSE, "", "context.%s is "
                   "required (a string of 1 to 255 characters)", key);
}

int ingress_buyer_check_request(ingress_t *in, req_t *r, const char *auth, int64_t now_ms,
                                ondc_err_t *err)
{
    const cfg_t *cfg = &in->rt->cfg;
    if (!ingress_json_depth_ok(r->body ? r->body : "", r->len, cfg->max_json_depth))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, BUYER_ERR_INVALID_RESPONSE, "",
                       "JSON nested deeper than %d levels", cfg->max_json_depth);
    json_error_t jerr;
    jarena_begin();
    json_t *root = jparse(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = -1;
    if (!json_is_object(root)) {
        err_set(err, ERR_TYPE_JSON_SCHEMA, 400, BUYER_ERR_INVALID_RESPONSE, "",
                "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
                root ? "not an object" : jerr.text);
        goto out;
    }
    json_t *ctx = json_object_get(root, "context");
    const char *act, *tid, *mid, *bap, *bpp, *bpp_uri, *ts;
    if (!json_is_object(ctx)) {
        err_set(err, ERR_TYPE_CONTEXT, 400, BUYER_ERR_INVALID_RESPONSE, "context",
                "context must be an object");
        goto out;
    }
    if (s_need(ctx, "action", &act, err) < 0 || s_need(ctx, "transaction_id", &tid, err) < 0 ||
        s_need(ctx, "message_id", &mid, err) < 0 || s_need(ctx, "bap_id", &bap, err) < 0 ||
        s_need(ctx, "bpp_id", &bpp, err) < 0 || s_need(ctx, "bpp_uri", &bpp_uri, err) < 0 ||
        s_need(ctx, "timestamp", &ts, err) < 0) {
        snprintf(err->path, sizeof err->path, "context");
        goto out;
    }
    if (strcmp(act, context_action_name((action_t)r->action)) != 0) {
        err_set(err, ERR_TYPE_CONTEXT, 400, BUYER_ERR_INVALID_RESPONSE, "context.action",
                "context.action %.40s does not match the endpoint (%s)", act,
                context_action_name((action_t)r->action));
        goto out;
    }
    if (context_parse_time(ts) < 0) {
        err_set(err, ERR_TYPE_CONTEXT, 400, BUYER_ERR_INVALID_RESPONSE, "context.timestamp",
                "context.timestamp is not RFC 3339 UTC");
        goto out;
    }
    if (json_object_get(root, "message") && !json_is_object(json_object_get(root, "message"))) {
        err_set(err, ERR_TYPE_JSON_SCHEMA, 400, BUYER_ERR_INVALID_RESPONSE, "message",
                "message must be an object");
        goto out;
    }
    /* an answer to no request of ours is refused before any signature work */
    MDB_txn *txn = store_begin(in->rt->store, 1);
    if (!txn) {
        err_set(err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "", "store busy; retry shortly");
        goto out;
    }
    int known = r->action == ACT_ON_BASE + ACT_ISSUE
                    ? igm_raised_check(in->rt->store, txn, cfg, root, err)
                    : buyer_check_answer(in->rt->store, txn, cfg, root, r->action, err);
    mdb_txn_abort(txn);
    if (known < 0)
        goto out;
    if (ingress_rate_take(in, bpp, r->conn, now_ms) < 0) {
        err_set(err, ERR_TYPE_POLICY, 429, ERR_INVALID_REQUEST, "",
                "rate limit: more than %d requests/s; retry shortly", cfg->rate_limit_per_s);
        goto out;
    }
    r->nsig = 0;
    r->verified = 0;
    r->signer_role = 1;
    r->dedupe_by_body = 1;
    if (cfg->verify_signatures) {
        if (!auth || !*auth) {
            err_set(err, ERR_TYPE_POLICY, 401, BUYER_ERR_INVALID_SIGNATURE, "",
                    "Authorization header is required");
            goto out;
        }
        if (sign_header_parse(auth, &r->sig[0], err) < 0)
            goto out;
        if (r->sig[0].expires - r->sig[0].created > cfg->signature_max_lifetime_s) {
            err_set(err, ERR_TYPE_POLICY, 401, BUYER_ERR_INVALID_SIGNATURE, "",
                    "signature lifetime (expires - created) longer than %d s",
                    cfg->signature_max_lifetime_s);
            goto out;
        }
        if (strcmp(r->sig[0].subscriber_id, bpp) != 0) {
            err_set(err, ERR_TYPE_POLICY, 401, BUYER_ERR_INVALID_SIGNATURE, "context.bpp_id",
                    "Authorization: keyId subscriber is not the sender (context.bpp_id)");
            goto out;
        }
        r->nsig = 1;
    }
    memset(&r->row, 0, sizeof r->row);
    r->row.action = r->action;
    r->row.received_ms = now_ms;
    snprintf(r->row.sender, sizeof r->row.sender, "%s", bpp);
    snprintf(r->row.transaction_id, sizeof r->row.transaction_id, "%s", tid);
    snprintf(r->row.message_id, sizeof r->row.message_id, "%s", mid);
    snprintf(r->domain, sizeof r->domain, "%s", context_str(ctx, "domain") ? context_str(ctx, "domain") : "");
    snprintf(r->bap_uri, sizeof r->bap_uri, "%s", bpp_uri); /* checked under the seller's url */
    rc = 0;
out:
    json_decref(root);
    jarena_end();
    return rc;
}
