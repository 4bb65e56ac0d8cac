/*
 * ingress_check.c - the checks a request passes before it is journaled:
 * JSON, context (and the shape of an IGM complaint, ondc/igm_check.c),
 * schema, signature. Cheap checks first: no signature is verified
 * before the size (checked while reading), JSON and context pass.
 *
 * Two steps, because a key may have to come from the ONDC registry over
 * HTTP: ingress_check_request needs no key (JSON, context, both signature
 * headers parsed, Authorization's keyId subscriber = context.bap_id);
 * ingress_check_keys finds each header's key and verifies it, and when a
 * key is only in the remote registry it parks the request on a lookup
 * (ingress_lookup.c) and is called again once the key is there. A request
 * that fails any step is answered 401/30016 (400 for JSON and context) and
 * never reaches the journal or a worker. created/expires are checked against
 * the time the request arrived (its row's received_ms) with
 * signature_skew_s either side, so a slow registry cannot make a good
 * signature expire.
 *
 * After the context, a request in a retail version (1.2.0, 1.2.5) is held
 * to ONDC's retail schema for its action (schema.h): a fault is a 400
 * JSON-SCHEMA-ERROR NACK, 30000, with the JSON path, before any signature
 * is verified.
 *
 * The X-Gateway-Authorization header (a gateway forwarding a search) is
 * verified when present, against its own keyId's registry record, which
 * must be a gateway's (type BG); its subscriber need not be the sender. The
 * Authorization key's record must be a buyer app's (BAP, or no type in a
 * local file): a seller app's or a gateway's key does not sign as a buyer.
 *
 * Config keys read: verify_signatures, signature_skew_s (and those of
 * context_check).
 */
#include "ingress.h"

#include "jarena.h"
#include "jparse.h"
#include "url.h"

#include "context.h"
#include "igm_check.h"
#include "log.h"
#include "schema.h"

#include <string.h>

static const char *const s_what[2] = {"Authorization", "X-Gateway-Authorization"};

/* s_prefix - prepend WHAT to ERR's message (which header failed). */
static void s_prefix(ondc_err_t *err, const char *what)
{
    char msg[sizeof err->message];
    memcpy(msg, err->message, sizeof msg);
    int n = snprintf(err->message, sizeof err->message, "%s: ", what);
    if (n > 0 && (size_t)n < sizeof err->message)
        snprintf(err->message + n, sizeof err->message - (size_t)n, "%.*s",
                 (int)(sizeof err->message - (size_t)n - 1), msg);
}

/* s_depth_ok - whether the JSON text nests at most MAX deep: a cheap scan
 * before the parser sees it (jansson would recurse up to 2048 levels). */
int ingress_json_depth_ok(const char *p, size_t len, int max)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return 0;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 1;
}

/* s_arrays_ok - the arrays a handler loops over stay within MAX entries. */
static int s_arrays_ok(json_t *root, int max, ondc_err_t *err)
{
    static const char *paths[][3] = {
        {"order", "items", NULL},        {"order", "fulfillments", NULL},
        {"order", "tags", NULL},         {"order", "quote", "breakup"},
        {"intent", "tags", NULL},        {"order", "cancellation_reason", NULL},
    };
    json_t *msg = json_object_get(root, "message");
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        json_t *v = msg;
        char path[96] = "message";
        for (int j = 0; j < 3 && paths[i][j] && v; j++) {
            v = json_object_get(v, paths[i][j]);
            strncat(path, ".", sizeof path - strlen(path) - 1);
            strncat(path, paths[i][j], sizeof path - strlen(path) - 1);
        }
        if (json_is_array(v) && json_array_size(v) > (size_t)max)
            return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, path,
                           "%s has more than %d entries", path, max);
    }
    return 0;
}

int ingress_check_request(ingress_t *in, req_t *r, const char *auth, const char *gw_auth,
                          int64_t now_ms, ondc_err_t *err)
{
    const cfg_t *cfg = &in->rt->cfg;
    if (!ingress_json_depth_ok(r->body ? r->body : "", r->len, cfg->max_json_depth))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "",
                       "JSON nested deeper than %d levels", cfg->max_json_depth);
    json_error_t jerr;
    /* the parse lives in the arena until the checks are done (jarena.h):
     * nothing of it is kept, what is needed is copied into R */
    jarena_begin();
    json_t *root = jparse(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        jarena_end();
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "",
                       "invalid JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    }
    int rc = -1;
    r->nsig = 0;
    r->verified = 0;
    if (context_check(cfg, root, (action_t)r->action, now_ms, err) < 0)
        goto out;
    if (s_arrays_ok(root, cfg->max_array_items, err) < 0)
        goto out;
    /* a complaint is checked whole here: a malformed one is NACKed with its path */
    if ((r->action == ACT_ISSUE || r->action == ACT_ISSUE_STATUS) &&
        igm_check_request(root, r->action == ACT_ISSUE_STATUS, cfg->max_array_items, err) < 0)
        goto out;
    json_t *ctx = json_object_get(root, "context");
    /* ONDC's retail schema for the action and version (schema_retail.c):
     * a request that misses it is NACKed here, never journaled */
    if (schema_check(context_action_name((action_t)r->action), context_str(ctx, "domain"),
                     context_str(ctx, "core_version"), root, err) < 0)
        goto out;
    const char *bap_id = context_str(ctx, "bap_id");
    /* before any signature is verified: the claimed sender from this
     * address has its own bucket, so forgeries in a buyer app's name from
     * elsewhere cannot spend that buyer app's allowance */
    if (ingress_rate_take(in, bap_id, r->conn, now_ms) < 0) {
        err_set(err, ERR_TYPE_POLICY, 429, ERR_INVALID_REQUEST, "",
                "rate limit: more than %d requests/s; retry shortly", cfg->rate_limit_per_s);
        goto out;
    }
    if (cfg->verify_signatures) {
        if (!auth || !*auth) {
            err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                    "Authorization header is required");
            goto out;
        }
        const char *values[2] = {auth, gw_auth};
        for (int i = 0; i < 2 && values[i]; i++) {
            if (sign_header_parse(values[i], &r->sig[i], err) < 0) {
                s_prefix(err, s_what[i]);
                goto out;
            }
            /* a signature good for years could be replayed once the
             * janitor has pruned the request's dedupe entry: bounded, and
             * the janitor keeps entries past the bound (ONDC signs for an
             * hour) */
            if (r->sig[i].expires - r->sig[i].created > cfg->signature_max_lifetime_s) {
                err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                        "signature lifetime (expires - created) longer than %d s",
                        cfg->signature_max_lifetime_s);
                s_prefix(err, s_what[i]);
                goto out;
            }
            r->nsig = i + 1;
        }
        if (strcmp(r->sig[0].subscriber_id, bap_id) != 0) {
            err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "context.bap_id",
                    "Authorization: keyId subscriber is not the sender (context.bap_id)");
            goto out;
        }
    }
    memset(&r->row, 0, sizeof r->row);
    r->row.action = r->action;
    r->row.received_ms = now_ms;
    snprintf(r->row.sender, sizeof r->row.sender, "%s", bap_id);
    snprintf(r->row.transaction_id, sizeof r->row.transaction_id, "%s",
             context_str(ctx, "transaction_id"));
    snprintf(r->row.message_id, sizeof r->row.message_id, "%s", context_str(ctx, "message_id"));
    snprintf(r->domain, sizeof r->domain, "%s", context_str(ctx, "domain"));
    snprintf(r->bap_uri, sizeof r->bap_uri, "%s", context_str(ctx, "bap_uri"));
    rc = 0;
out:
    json_decref(root);
    jarena_end();
    return rc;
}

/* s_verify_one - verify header I of R with PK against the raw body at the
 * request's time; 0 (marked verified), or -1 with ERR naming the header. */
static int s_verify_one(const ingress_t *in, req_t *r, int i, const unsigned char pk[32],
                        ondc_err_t *err)
{
    if (sign_verify(&r->sig[i], pk, r->body ? r->body : "", r->len,
                    (long)(r->row.received_ms / 1000), in->rt->cfg.signature_skew_s, err) < 0) {
        s_prefix(err, s_what[i]);
        return -1;
    }
    r->verified |= 1 << i;
    return 0;
}

/* s_type_ok - whether a registry record of TYPE may sign header I (0:
 * Authorization, the buyer app's - or with SELLER, the seller app's on an
 * on_* to the buyer role; 1: X-Gateway-Authorization, a gateway) */
static int s_type_ok(int i, const char *type, int seller)
{
    if (i == 1)
        return strcmp(type, "BG") == 0;
    return !type[0] || strcmp(type, seller ? "BPP" : "BAP") == 0;
}

/* s_keys - ingress_check_keys; without MAY_WAIT a key only the remote
 * registry knows is refused as unknown (the synchronous path). */
static int s_keys(ingress_t *in, req_t *r, const registry_record_t *got, int may_wait,
                  int defer, ondc_err_t *err)
{
    int64_t at = r->row.received_ms;
    for (int i = 0; i < r->nsig; i++) {
        if (r->verified & (1 << i))
            continue;
        const sign_header_t *h = &r->sig[i];
        registry_record_t rec;
        int rc;
        if (got && strcmp(got->subscriber_id, h->subscriber_id) == 0 &&
            strcmp(got->ukid, h->ukid) == 0) {
            rec = *got;
            rc = 0;
        } else {
            rc = registry_find(in->registry, h->subscriber_id, h->ukid, at, &rec, err);
        }
        if (rc == 1 && !may_wait)
            rc = err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                         "unknown subscriber key %.100s|%.60s", h->subscriber_id, h->ukid);
        if (rc == 1) {
            rc = ingress_lookup_wait(in, r, h->subscriber_id, h->ukid, &rec, err);
            if (rc == 1)
                return 1;
        }
        /* the key must belong to the role it signs as: Authorization is
         * the buyer app's (BAP), X-Gateway-Authorization a gateway's (BG).
         * A record without a type (a local file's) is taken as the buyer
         * app's, never as a gateway's */
        if (rc == 0 && !s_type_ok(i, rec.type, r->signer_role)) {
            rc = err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                         "key %.100s|%.60s is registered as %s, not as a %s", h->subscriber_id,
                         h->ukid, rec.type[0] ? rec.type : "(no type)",
                         i == 1 ? "BG" : r->signer_role ? "BPP" : "BAP");
        }
        /* the on_* go to bap_uri: only to a place the buyer app registered
         * (its subscriber_url, or under it), never one a request names,
         * such as this node's own admin listener or another host */
        if (rc == 0 && i == 0 && !url_under(r->bap_uri, rec.subscriber_url)) {
            /* (an on_*: bap_uri holds context.bpp_uri, under the seller's) */
            return err_set(err, ERR_TYPE_CONTEXT, 400, ERR_INVALID_REQUEST,
                           r->signer_role ? "context.bpp_uri" : "context.bap_uri",
                           "%s is not under the %s app's registered subscriber_url (%.200s)",
                           r->signer_role ? "context.bpp_uri" : "context.bap_uri",
                           r->signer_role ? "seller" : "buyer",
                           rec.subscriber_url[0] ? rec.subscriber_url : "none registered");
        }
        if (rc == 0 && defer) {
            /* the key is at hand: a verify thread checks it */
            memcpy(r->pk[i], rec.signing_pk, sizeof r->pk[i]);
            r->need_verify |= 1 << i;
            continue;
        }
        if (rc < 0) {
            s_prefix(err, s_what[i]);
            return -1;
        }
        if (s_verify_one(in, r, i, rec.signing_pk, err) < 0)
            return -1;
    }
    return 0;
}

int ingress_check_keys(ingress_t *in, req_t *r, const registry_record_t *got, ondc_err_t *err)
{
    return s_keys(in, r, got, 1, 0, err);
}

int ingress_check_keys_deferred(ingress_t *in, req_t *r, ondc_err_t *err)
{
    return s_keys(in, r, NULL, 1, 1, err);
}

int ingress_verify_finish(const ingress_t *in, req_t *r, ondc_err_t *err)
{
    for (int i = 0; i < r->nsig && i < 2; i++)
        if ((r->need_verify & (1 << i)) && s_verify_one(in, r, i, r->pk[i], err) < 0)
            return -1;
    r->need_verify = 0;
    return 0;
}

int ingress_check(ingress_t *in, int action, const char *body, size_t len, const char *auth,
                  const char *gw_auth, int64_t now_ms, journal_row_t *row, ondc_err_t *err)
{
    /* one request on the stack; the body is only read */
    req_t r;
    memset(&r, 0, sizeof r);
    r.body = (char *)body;
    r.len = len;
    r.action = action;
    if (ingress_check_request(in, &r, auth, gw_auth, now_ms, err) < 0 ||
        s_keys(in, &r, NULL, 0, 0, err) < 0)
        return -1;
    *row = r.row;
    return 0;
}
