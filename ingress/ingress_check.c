/*
 * ingress_check.c - the checks a request passes before it is journaled:
 * JSON, context, signature. Cheap checks first: no signature is verified
 * before the size (checked while reading), JSON and context pass.
 */
#include "ingress.h"

#include "context.h"
#include "log.h"

#include <string.h>

/* s_verify_header - verify one signature header VALUE over BODY; SENDER,
 * when non-NULL, must be the keyId's subscriber. */
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

static int s_verify_header(ingress_t *in, const char *what, const char *value, const char *sender,
                           const char *body, size_t len, int64_t now_ms, ondc_err_t *err)
{
    sign_header_t h;
    if (sign_header_parse(value, &h, err) < 0) {
        s_prefix(err, what);
        return -1;
    }
    if (sender && strcmp(h.subscriber_id, sender) != 0)
        return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "context.bap_id",
                       "%s: keyId subscriber is not the sender (context.bap_id)", what);
    registry_record_t rec;
    if (registry_lookup(in->registry, h.subscriber_id, h.ukid, now_ms, &rec, err) < 0)
        return -1;
    if (sign_verify(&h, rec.signing_pk, body, len, (long)(now_ms / 1000),
                    in->rt->cfg.signature_skew_s, err) < 0) {
        s_prefix(err, what);
        return -1;
    }
    return 0;
}

int ingress_check(ingress_t *in, int action, const char *body, size_t len, const char *auth,
                  const char *gw_auth, int64_t now_ms, journal_row_t *row, ondc_err_t *err)
{
    const cfg_t *cfg = &in->rt->cfg;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "",
                       "invalid JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    int rc = -1;
    if (context_check(cfg, root, (action_t)action, now_ms, err) < 0)
        goto out;
    json_t *ctx = json_object_get(root, "context");
    const char *bap_id = context_str(ctx, "bap_id");
    if (cfg->verify_signatures) {
        if (!auth || !*auth) {
            err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                    "Authorization header is required");
            goto out;
        }
        if (s_verify_header(in, "Authorization", auth, bap_id, body, len, now_ms, err) < 0)
            goto out;
        if (gw_auth && s_verify_header(in, "X-Gateway-Authorization", gw_auth, NULL, body, len,
                                       now_ms, err) < 0)
            goto out;
    }
    memset(row, 0, sizeof *row);
    row->action = action;
    row->received_ms = now_ms;
    snprintf(row->sender, sizeof row->sender, "%s", bap_id);
    snprintf(row->transaction_id, sizeof row->transaction_id, "%s",
             context_str(ctx, "transaction_id"));
    snprintf(row->message_id, sizeof row->message_id, "%s", context_str(ctx, "message_id"));
    rc = 0;
out:
    json_decref(root);
    return rc;
}
