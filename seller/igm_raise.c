/*
 * igm_raise.c - IGM 2.0.0 issues the seller raises, and the cascade of a
 * buyer app's issue to a counterparty. See igm_raise.h.
 */
#include "igm_raise.h"

#include "context.h"
#include "igm.h"
#include "igm_check.h"
#include "jarena.h"
#include "jparse.h"
#include "money.h"
#include "order.h"
#include "outbox.h"
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_sv(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int s_key(const char *id, char *out, size_t cap)
{
    if (!id || !*id || strlen(id) > 128)
        return -1;
    for (const char *c = id; *c; c++)
        if ((unsigned char)*c < 0x20)
            return -1;
    int n = snprintf(out, cap, "j/%s", id);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

json_t *igm_raised_get(store_t *s, MDB_txn *txn, const char *id)
{
    char key[160];
    if (s_key(id, key, sizeof key) < 0)
        return NULL;
    return igm_get_key(s, txn, key);
}

int igm_raised_each(store_t *s, MDB_txn *txn, igm_raised_fn *fn, void *arg)
{
    return igm_scan(s, txn, "j/", fn, arg);
}

const char *igm_raised_next(const char *from, const char *status, const char *last_code)
{
    if (!from || !status || strcmp(from, "CLOSED") == 0)
        return NULL;
    if (strcmp(status, "RESOLVED") == 0)
        return "RESOLVED";
    if (strcmp(from, "RESOLVED") == 0)
        return NULL; /* a resolved issue goes back only by our rejection */
    if (strcmp(status, "PROCESSING") == 0 || strcmp(status, "OPEN") == 0)
        return last_code && strcmp(last_code, "INFO_REQUESTED") == 0 ? "NEED-MORE-INFO"
               : strcmp(status, "OPEN") == 0 && strcmp(from, "OPEN") == 0 ? "OPEN"
                                                                           : "PROCESSING";
    return NULL;
}

/* -- the issue as sent -- */

static void s_action(json_t *issue, const char *me, const char *who, const char *code,
                     const char *desc, const char *ts, const char *ref_id, const char *ref_type)
{
    char id[48];
    reply_uuid(id);
    json_t *a = json_pack("{s:s,s:{s:s,s:s},s:s,s:s,s:{s:s}}", "id", id, "descriptor", "code", code,
                          "short_desc", desc, "updated_at", ts, "action_by", me, "actor_details",
                          "name", who);
    if (ref_id)
        json_object_set_new(a, "ref_id", json_string(ref_id));
    if (ref_type)
        json_object_set_new(a, "ref_type", json_string(ref_type));
    json_t *list = json_object_get(issue, "actions");
    if (!json_is_array(list)) {
        list = json_array();
        json_object_set_new(issue, "actions", list);
    }
    json_array_append_new(list, a);
    json_object_set_new(issue, "last_action_id", json_string(id));
    json_object_set_new(issue, "updated_at", json_string(ts));
}

/* s_send - REC's issue into the outbox as an `issue` with a fresh
 * message_id and timestamp TS_MS */
static int s_send(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, int64_t now_ms,
                  uint64_t *outbox_id)
{
    json_t *ctx = json_deep_copy(json_object_get(rec, "context"));
    char mid[40], ts[40];
    reply_uuid(mid);
    context_format_time(now_ms, ts, sizeof ts);
    json_object_set_new(ctx, "message_id", json_string(mid));
    json_object_set_new(ctx, "timestamp", json_string(ts));
    json_object_set(rec, "context", ctx);
    json_t *req = json_pack("{s:o,s:{s:O}}", "context", ctx, "message", "issue",
                            json_object_get(rec, "issue"));
    /* the text lives in the message's arena (or this thread's buffer) */
    size_t len = 0;
    const char *body = req ? jarena_dumpb(req, &len) : NULL;
    char *url = body ? context_request_url(s_sv(rec, "bpp_uri"), "issue") : NULL;
    int rc = -1;
    if (url) {
        outbox_row_t row;
        memset(&row, 0, sizeof row);
        row.created_ms = row.request_ms = now_ms;
        row.deadline_ms = now_ms + (int64_t)cfg->callback_max_age_s * 1000;
        snprintf(row.action, sizeof row.action, "issue");
        snprintf(row.transaction_id, sizeof row.transaction_id, "%s",
                 s_sv(ctx, "transaction_id"));
        snprintf(row.message_id, sizeof row.message_id, "%s", mid);
        row.url = url;
        row.body = body;
        row.body_len = len;
        rc = outbox_put(s, txn, &row, outbox_id) == 0 ? 0 : -1;
    }
    free(url);
    json_decref(req);
    return rc;
}

/* s_order - the order BODY names: order_id (+ bap_id); ERR when none */
static json_t *s_order(store_t *s, MDB_txn *txn, const char *oid, const char *bap,
                       ondc_err_t *err)
{
    char keys[2][400];
    int n = 0;
    if (bap) {
        if (order_key(oid, bap, keys[0], sizeof keys[0]) == 0)
            n = 1;
    } else if (oid) {
        n = order_find(s, txn, oid, keys, 2);
    }
    if (n > 1) {
        err_set(err, ERR_TYPE_CONTEXT, 409, ERR_INVALID_REQUEST, "bap_id",
                "order %.100s exists for several buyer apps: add bap_id", oid);
        return NULL;
    }
    json_t *rec = n ? order_get(s, txn, keys[0]) : NULL;
    if (!rec)
        err_set(err, ERR_TYPE_DOMAIN, 404, IGM_ERR_ORDER, "order_id", "order %.100s not found",
                oid ? oid : "");
    return rec;
}

/* s_body_str - BODY.KEY, a string of 1..MAX characters; NULL if absent;
 * -1 with ERR at KEY when of another type or size */
static int s_body_str(json_t *body, const char *key, size_t max, int required, const char **out,
                      ondc_err_t *err)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v && !required)
        return 0;
    if (!json_is_string(v) || !*json_string_value(v) || strlen(json_string_value(v)) > max)
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, key,
                       "%s must be a string of 1 to %zu characters%s", key, max,
                       required ? " (required)" : "");
    *out = json_string_value(v);
    return 0;
}

static void s_refs(json_t *issue, json_t *order_rec)
{
    json_t *order = json_object_get(order_rec, "order");
    json_t *refs = json_array();
    json_array_append_new(refs, json_pack("{s:O,s:s}", "ref_id", json_object_get(order, "id"),
                                          "ref_type", "ORDER"));
    json_t *pid = json_object_get(json_object_get(order, "provider"), "id");
    if (json_is_string(pid))
        json_array_append_new(refs, json_pack("{s:O,s:s}", "ref_id", pid, "ref_type", "PROVIDER"));
    json_t *f = json_array_get(json_object_get(order, "fulfillments"), 0);
    if (json_is_string(json_object_get(f, "id")))
        json_array_append_new(refs, json_pack("{s:O,s:s}", "ref_id", json_object_get(f, "id"),
                                              "ref_type", "FULFILLMENT"));
    json_object_set_new(issue, "refs", refs);
}

json_t *igm_raise(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *body, const char *to_uri,
                  json_t *cascade_of, int64_t now_ms, uint64_t *outbox_id, ondc_err_t *err)
{
    *outbox_id = 0;
    const char *to, *code = NULL, *sd = NULL, *ld, *dom, *tid, *resp, *resol, *oid = NULL,
                    *bap = NULL;
    json_t *cissue = json_object_get(cascade_of, "issue");
    if (!json_is_object(body))
        body = NULL;
    if (s_body_str(body, "to", 255, 1, &to, err) < 0 ||
        s_body_str(body, "long_desc", 1000, 0, &ld, err) < 0 ||
        s_body_str(body, "domain", 64, 0, &dom, err) < 0 ||
        s_body_str(body, "transaction_id", 255, 0, &tid, err) < 0 ||
        s_body_str(body, "expected_response_time", 32, 0, &resp, err) < 0 ||
        s_body_str(body, "expected_resolution_time", 32, 0, &resol, err) < 0)
        return NULL;
    if (!cascade_of && (s_body_str(body, "order_id", 128, 1, &oid, err) < 0 ||
                        s_body_str(body, "bap_id", 255, 0, &bap, err) < 0 ||
                        s_body_str(body, "code", 32, 1, &code, err) < 0 ||
                        s_body_str(body, "short_desc", 255, 1, &sd, err) < 0))
        return NULL;
    if (code && !igm_code_ok(code)) {
        err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "code",
                "code \"%.32s\" is not an IGM 2.0.0 issue code (FLM002, ITM004, ...)", code);
        return NULL;
    }
    if (!to) /* required: s_body_str refused its absence */
        return NULL;
    if (strcmp(to, cfg->subscriber_id) == 0) {
        err_set(err, ERR_TYPE_CONTEXT, 400, ERR_INVALID_REQUEST, "to",
                "to is the seller app itself: an issue goes to a counterparty");
        return NULL;
    }
    for (const char **d = (const char *[]){resp, resol, NULL}; *d; d++)
        if (*d && context_parse_duration(*d) <= 0) {
            err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST,
                    *d == resp ? "expected_response_time" : "expected_resolution_time",
                    "%s is not an ISO 8601 duration (PT2H, P1D)", *d);
            return NULL;
        }
    if (!to_uri || strncmp(to_uri, "http", 4) != 0) {
        err_set(err, ERR_TYPE_CONTEXT, 400, ERR_INVALID_REQUEST, "to_uri",
                "counterparty %.100s: no uri (to_uri, or its registry record)", to);
        return NULL;
    }
    json_t *order_rec = NULL;
    if (cascade_of)
        order_rec = order_get(s, txn, s_sv(cascade_of, "order_key") ?: "");
    else
        order_rec = s_order(s, txn, oid, bap, err);
    if (!order_rec) {
        if (cascade_of)
            err_set(err, ERR_TYPE_DOMAIN, 409, IGM_ERR_ORDER, "", "the issue's order is gone");
        return NULL;
    }
    json_t *octx = json_object_get(order_rec, "context");
    const char *domain = dom ? dom : s_sv(octx, "domain") ? s_sv(octx, "domain") : "ONDC:RET10";
    char id[40], ts[40], me[300], org[400];
    reply_uuid(id);
    context_format_time(now_ms, ts, sizeof ts);
    snprintf(me, sizeof me, "%.250s", cfg->subscriber_id);
    snprintf(org, sizeof org, "%.255s::%.64s", cfg->subscriber_id, domain);
    igm_who_t w;
    memset(&w, 0, sizeof w);
    json_t *wrec = json_pack("{s:{s:s}}", "context", "domain", domain);
    igm_who(s, txn, cfg, wrec, order_rec, &w);
    json_decref(wrec);

    json_t *issue = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s},s:{s:s}}", "id", id, "status", "OPEN",
                              "level", "ISSUE", "created_at", ts, "updated_at", ts,
                              "expected_response_time", "duration", resp ? resp : "PT2H",
                              "expected_resolution_time", "duration", resol ? resol : "P1D");
    json_t *actors = json_array();
    const char *source = me;
    if (cascade_of) {
        /* the buyer app's refs, and its complaint (ref type COMPLAINT) */
        json_t *refs = json_deep_copy(json_object_get(cissue, "refs"));
        if (!json_is_array(refs)) {
            json_decref(refs);
            refs = json_array();
        }
        json_array_append_new(refs, json_pack("{s:O,s:s}", "ref_id", json_object_get(cissue, "id"),
                                              "ref_type", "COMPLAINT"));
        json_object_set_new(issue, "refs", refs);
        json_object_set(issue, "descriptor", json_object_get(cissue, "descriptor"));
        /* the consumer, as the seller app speaks for it to the counterparty */
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(cissue, "actors"), i, a)
        {
            if (s_sv(a, "type") && strcmp(s_sv(a, "type"), "CONSUMER") == 0) {
                json_t *c = json_deep_copy(a);
                json_t *info = json_object_get(c, "info");
                if (json_is_object(info))
                    json_object_set_new(info, "org", json_pack("{s:s}", "name", org));
                json_array_append_new(actors, c);
                source = s_sv(a, "id") ? s_sv(a, "id") : me;
                break;
            }
        }
    } else {
        s_refs(issue, order_rec);
        json_t *desc = json_pack("{s:s,s:s}", "code", code, "short_desc", sd);
        if (ld)
            json_object_set_new(desc, "long_desc", json_string(ld));
        json_object_set_new(issue, "descriptor", desc);
    }
    json_array_append_new(actors, json_pack("{s:s,s:s,s:{s:{s:s},s:{s:s},s:{s:s,s:s}}}", "id", me,
                                            "type", "INTERFACING_NP", "info", "org", "name", org,
                                            "person", "name", w.name, "contact", "phone", w.phone,
                                            "email", w.email));
    json_object_set_new(issue, "actors", actors);
    json_object_set_new(issue, "source_id", json_string(source));
    json_object_set_new(issue, "complainant_id", json_string(me));
    s_action(issue, me, w.name, "OPEN", "Complaint created", ts, NULL, NULL);

    char key[160];
    s_key(id, key, sizeof key);
    json_t *ctx = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "domain", domain,
                            "action", "issue", "country", s_sv(octx, "country") ?: cfg->country,
                            "city", s_sv(octx, "city") ?: "*", "core_version", "2.0.0", "bap_id",
                            cfg->subscriber_id, "bap_uri", cfg->bpp_uri, "bpp_id", to, "bpp_uri",
                            to_uri, "transaction_id",
                            tid ? tid : s_sv(order_rec, "transaction_id") ?: id, "ttl", "PT30S");
    json_t *rec = json_pack("{s:s,s:s,s:b,s:i,s:s,s:s,s:O,s:O,s:O,s:o,s:o,s:s,s:[],s:I,s:s}", "key",
                            key, "id", id, "raised", 1, "version", 2, "bpp_id", to, "bpp_uri",
                            to_uri, "order_key", json_object_get(order_rec, "key"), "order_id",
                            json_object_get(json_object_get(order_rec, "order"), "id"), "bap_id",
                            json_object_get(order_rec, "bap_id"), "context", ctx, "issue", issue,
                            "state", "OPEN", "answers", "created_ms", (json_int_t)now_ms,
                            "updated_at", ts);
    json_decref(order_rec);
    if (!rec) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "out of memory");
        return NULL;
    }
    if (cascade_of) {
        json_object_set(rec, "cascade_of", json_object_get(cascade_of, "key"));
        json_object_set_new(cascade_of, "cascaded_to",
                            json_pack("{s:s,s:s,s:s}", "id", id, "bpp_id", to, "at", ts));
    }
    if (s_send(s, txn, cfg, rec, now_ms, outbox_id) < 0 || igm_put(s, txn, rec) < 0) {
        json_decref(rec);
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not store the issue");
        return NULL;
    }
    return rec;
}

/* s_last - the last action of ISSUE (borrowed), or NULL */
static json_t *s_last(json_t *issue)
{
    json_t *acts = json_object_get(issue, "actions");
    return json_array_get(acts, json_array_size(acts) - 1);
}

/* s_last_of - the id of the last action in ISSUE with descriptor CODE */
static const char *s_last_of(json_t *issue, const char *code)
{
    json_t *acts = json_object_get(issue, "actions");
    for (size_t i = json_array_size(acts); i-- > 0;) {
        const char *c = s_sv(json_object_get(json_array_get(acts, i), "descriptor"), "code");
        if (c && strcmp(c, code) == 0)
            return s_sv(json_array_get(acts, i), "id");
    }
    return NULL;
}

int igm_raised_act(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, const char *code,
                   json_t *body, int64_t now_ms, uint64_t *outbox_id, ondc_err_t *err)
{
    *outbox_id = 0;
    const char *st = s_sv(rec, "state"), *text = NULL, *ref = NULL, *ref_type = NULL;
    if (!st || strcmp(st, "CLOSED") == 0)
        return err_set(err, ERR_TYPE_POLICY, 409, "50000", "", "issue %s is closed",
                       s_sv(rec, "id"));
    json_t *counter = json_object_get(rec, "counter_issue");
    if (strcmp(code, "INFO_PROVIDED") == 0) {
        if (s_body_str(body, "info", 1000, 1, &text, err) < 0)
            return -1;
        if (strcmp(st, "NEED-MORE-INFO") != 0)
            return err_set(err, ERR_TYPE_POLICY, 409, "50000", "",
                           "issue is %s: no information was asked for", st);
        ref = s_last_of(counter, "INFO_REQUESTED");
        ref_type = "ACTION";
    } else if (strcmp(code, "RESOLUTION_ACCEPTED") == 0 ||
               strcmp(code, "RESOLUTION_REJECTED") == 0) {
        ref = s_sv(rec, "proposed");
        if (!ref)
            return err_set(err, ERR_TYPE_POLICY, 409, "50000", "",
                           "issue is %s: no resolution is on offer", st);
        ref_type = "RESOLUTIONS";
        if (s_body_str(body, "note", 255, 0, &text, err) < 0)
            return -1;
        if (!text)
            text = strcmp(code, "RESOLUTION_ACCEPTED") == 0 ? "Resolution accepted"
                                                             : "Resolution rejected";
    } else if (strcmp(code, "CLOSED") == 0) {
        if (s_body_str(body, "note", 255, 0, &text, err) < 0)
            return -1;
        if (!text)
            text = "Complaint closed";
    } else {
        return err_set(err, ERR_TYPE_CONTEXT, 400, ERR_INVALID_REQUEST, "", "unknown step %s",
                       code);
    }
    char ts[40], me[300];
    context_format_time(now_ms, ts, sizeof ts);
    snprintf(me, sizeof me, "%.250s", cfg->subscriber_id);
    json_t *issue = json_object_get(rec, "issue");
    const char *who = "Seller app desk";
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(issue, "actors"), i, a)
    {
        const char *name = s_sv(json_object_get(json_object_get(a, "info"), "person"), "name");
        if (s_sv(a, "id") && strcmp(s_sv(a, "id"), me) == 0 && name)
            who = name;
    }
    s_action(issue, me, who, code, text, ts, ref, ref_type);
    json_object_set_new(issue, "update_target",
                        json_pack("[{s:s,s:s}]", "path", "issue.actions", "action", "APPENDED"));
    if (strcmp(code, "CLOSED") == 0) {
        json_object_set_new(issue, "status", json_string("CLOSED"));
        json_object_set_new(rec, "state", json_string("CLOSED"));
    } else if (strcmp(code, "INFO_PROVIDED") == 0 || strcmp(code, "RESOLUTION_REJECTED") == 0) {
        json_object_set_new(rec, "state", json_string("PROCESSING"));
        json_object_del(rec, "proposed");
    } else {
        /* ref is the proposed resolution's id, inside "proposed": copy it
           before that is dropped */
        json_object_set_new(rec, "accepted", json_string(ref));
        json_object_del(rec, "proposed");
    }
    if (json_object_get(counter, "resolutions"))
        json_object_set(issue, "resolutions", json_object_get(counter, "resolutions"));
    json_object_set_new(rec, "updated_at", json_string(ts));
    if (s_send(s, txn, cfg, rec, now_ms, outbox_id) < 0 || igm_put(s, txn, rec) < 0)
        return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not store the issue");
    return 0;
}

int igm_raised_check(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *root, ondc_err_t *err)
{
    json_t *ctx = json_object_get(root, "context");
    const char *bap = s_sv(ctx, "bap_id");
    if (!bap || strcmp(bap, cfg->subscriber_id) != 0)
        return err_set(err, ERR_TYPE_CONTEXT, 400, IGM_ERR_ANSWER, "context.bap_id",
                       "context.bap_id is not this seller app (%.100s)", cfg->subscriber_id);
    json_t *issue = json_object_get(json_object_get(root, "message"), "issue");
    if (!json_is_object(issue) || !s_sv(issue, "id"))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, IGM_ERR_ANSWER, "message.issue.id",
                       "message.issue.id is required");
    if (!s_sv(issue, "status"))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, IGM_ERR_ANSWER, "message.issue.status",
                       "message.issue.status is required");
    json_t *rec = igm_raised_get(s, txn, s_sv(issue, "id"));
    int rc = 0;
    if (!rec)
        rc = err_set(err, ERR_TYPE_CONTEXT, 400, IGM_ERR_ANSWER, "message.issue.id",
                     "issue %.100s was not raised by this seller app", s_sv(issue, "id"));
    else if (!s_sv(ctx, "bpp_id") || strcmp(s_sv(ctx, "bpp_id"), s_sv(rec, "bpp_id")) != 0)
        rc = err_set(err, ERR_TYPE_CONTEXT, 400, IGM_ERR_ANSWER, "context.bpp_id",
                     "issue %.100s went to %.100s, not to this sender", s_sv(issue, "id"),
                     s_sv(rec, "bpp_id"));
    json_decref(rec);
    return rc;
}

/* s_resolution_body - the desk's resolve body for the counterparty's
 * resolution RID in ISSUE: {"action", "refund_amount"?, "short_desc"} */
static json_t *s_resolution_body(json_t *issue, const char *rid)
{
    size_t i, j;
    json_t *r, *t;
    json_array_foreach(json_object_get(issue, "resolutions"), i, r)
    {
        if (!rid || !s_sv(r, "id") || strcmp(s_sv(r, "id"), rid) != 0)
            continue;
        json_t *d = json_object_get(r, "descriptor");
        const char *code = s_sv(d, "code");
        json_t *b = json_pack("{s:s,s:s}", "action",
                              code && strcmp(code, "NO_ACTION") == 0 ? "NO-ACTION" : code ?: "",
                              "short_desc", s_sv(d, "short_desc") ?: "Resolution proposed");
        json_array_foreach(json_object_get(r, "tags"), j, t)
        {
            size_t k;
            json_t *l;
            json_array_foreach(json_object_get(t, "list"), k, l)
            {
                const char *c = s_sv(json_object_get(l, "descriptor"), "code");
                if (c && strcmp(c, "REFUND_AMOUNT") == 0 && s_sv(l, "value"))
                    json_object_set(b, "refund_amount", json_object_get(l, "value"));
            }
        }
        return b;
    }
    return NULL;
}

int igm_raised_answer(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *root, int64_t now_ms,
                      uint64_t outbox[4], int *n)
{
    *n = 0;
    json_t *ctx = json_object_get(root, "context");
    json_t *issue = json_object_get(json_object_get(root, "message"), "issue");
    json_t *rec = igm_raised_get(s, txn, s_sv(issue, "id"));
    if (!rec)
        return 1;
    json_t *last = s_last(issue);
    const char *code = s_sv(json_object_get(last, "descriptor"), "code");
    const char *to = igm_raised_next(s_sv(rec, "state"), s_sv(issue, "status"), code);
    if (!to) {
        json_decref(rec);
        return 1;
    }
    char ts[40];
    context_format_time(now_ms, ts, sizeof ts);
    json_object_set_new(rec, "state", json_string(to));
    json_object_set(rec, "counter_issue", issue);
    json_t *ans = json_pack("{s:I,s:s?,s:s?,s:s?,s:s?}", "received_ms", (json_int_t)now_ms,
                            "message_id", s_sv(ctx, "message_id"), "status",
                            s_sv(issue, "status"), "action", code, "short_desc",
                            s_sv(json_object_get(last, "descriptor"), "short_desc"));
    json_t *list = json_object_get(rec, "answers");
    if (!json_is_array(list)) {
        list = json_array();
        json_object_set_new(rec, "answers", list);
    }
    json_array_append_new(list, ans);
    int proposed = code && strcmp(code, "RESOLUTION_PROPOSED") == 0;
    if (proposed)
        json_object_set(rec, "proposed", json_object_get(last, "ref_id"));
    json_object_set_new(rec, "updated_at", json_string(ts));
    int rc = igm_put(s, txn, rec) < 0 ? -1 : 0;
    /* the cascade: the buyer app hears what the counterparty asks or offers */
    const char *ckey = s_sv(rec, "cascade_of");
    json_t *brec = rc == 0 && ckey ? igm_get_key(s, txn, ckey) : NULL;
    json_t *body = NULL;
    int what = -1;
    if (brec && code && strcmp(code, "INFO_REQUESTED") == 0) {
        what = IGM_DESK_NEED_INFO;
        body = json_pack("{s:s}", "info",
                         s_sv(json_object_get(last, "descriptor"), "short_desc") ?: "More information");
    } else if (brec && proposed) {
        what = IGM_DESK_RESOLVE;
        body = s_resolution_body(issue, s_sv(last, "ref_id"));
    }
    if (what >= 0 && body) {
        ondc_err_t err;
        err_clear(&err);
        uint64_t ids[2] = {0, 0};
        /* the buyer app's issue may not take it (already resolved): the
         * answer is still kept with ours */
        if (igm_desk(s, txn, cfg, brec, (igm_desk_t)what, body, now_ms, ids, &err) == 0) {
            for (int i = 0; i < 2; i++)
                if (ids[i] && *n < 4)
                    outbox[(*n)++] = ids[i];
        } else if (err.http_status >= 500) {
            rc = -1;
        }
    }
    json_decref(body);
    json_decref(brec);
    json_decref(rec);
    return rc;
}

int igm_cascade_forward(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *req, int64_t now_ms,
                        uint64_t *outbox_id)
{
    *outbox_id = 0;
    json_t *ctx = json_object_get(req, "context");
    json_t *issue = json_object_get(json_object_get(req, "message"), "issue");
    json_t *brec = igm_get(s, txn, s_sv(issue, "id"), s_sv(ctx, "bap_id"));
    const char *rid = s_sv(json_object_get(brec, "cascaded_to"), "id");
    json_t *rec = rid ? igm_raised_get(s, txn, rid) : NULL;
    int rc = 0;
    if (rec) {
        json_t *last = s_last(issue);
        const char *code = s_sv(json_object_get(last, "descriptor"), "code");
        if (code && strcmp(code, "CLOSE") == 0)
            code = "CLOSED";
        json_t *body = NULL;
        if (code && strcmp(code, "INFO_PROVIDED") == 0)
            body = json_pack("{s:s}", "info",
                             s_sv(json_object_get(last, "descriptor"), "short_desc") ?: "Provided");
        int pass = code && (strcmp(code, "INFO_PROVIDED") == 0 ||
                            strcmp(code, "RESOLUTION_ACCEPTED") == 0 ||
                            strcmp(code, "CLOSED") == 0);
        ondc_err_t err;
        err_clear(&err);
        /* a step the counterparty's issue cannot take (nothing asked of
         * it, nothing on offer) is not passed on */
        if (pass && igm_raised_act(s, txn, cfg, rec, code, body, now_ms, outbox_id, &err) < 0 &&
            err.http_status >= 500)
            rc = -1;
        json_decref(body);
    }
    json_decref(rec);
    json_decref(brec);
    return rc;
}
