/*
 * admin_issue.c - the seller's issue desk (IGM complaints):
 *   GET  /seller/v1/issues[?state=S][&overdue=1]  list issues (id, buyer app,
 *        order, state, level, category, times, overdue flags)
 *   GET  /seller/v1/issues/{id}[?bap_id=]         one issue as stored
 *   POST /seller/v1/issues/{id}/processing        {"note"?}: being worked on
 *   POST /seller/v1/issues/{id}/need-info         {"info"}: ask the complainant
 *   POST /seller/v1/issues/{id}/resolve           {"action", "refund_amount"?,
 *        "short_desc"?, "long_desc"?}: resolved (1.0.0) or offered (2.0.0)
 *   POST /seller/v1/issues/{id}/escalate          {"note"?}: to the grievance officer
 *   POST /seller/v1/issues/{id}/close             {"note"?}: a resolved issue closed
 *   POST /seller/v1/issues/{id}/cascade           {"to", "to_uri"?, "domain"?,
 *        "transaction_id"?}: a buyer app's IGM 2.0.0 issue cascaded to a
 *        counterparty (a logistics provider) as an issue the seller raises
 * Issues the seller raises (seller/igm_raise.c; ids are ours):
 *   POST /seller/v1/issues                        {"order_id", "bap_id"?, "to",
 *        "to_uri"?, "code", "short_desc", "long_desc"?, "domain"?,
 *        "transaction_id"?, "expected_response_time"?,
 *        "expected_resolution_time"?}: raise one (IGM 2.0.0 `issue`)
 *   POST /seller/v1/issues/{id}/info              {"info"}: what the respondent asked for
 *   POST /seller/v1/issues/{id}/accept|reject     {"note"?}: its resolution on offer
 *   POST /seller/v1/issues/{id}/close             {"note"?}
 * They are listed under "raised" in GET /seller/v1/issues, and GET
 * /seller/v1/issues/{id} shows one with the answers received. The
 * counterparty's uri is to_uri or its registry record (type BPP).
 * Issue ids are the buyer app's; ?bap_id= picks one when two buyer apps
 * used the same id. Each action is checked against the issue's state
 * table (seller/igm.c), stored, and the unsolicited on_issue_status
 * (IGM 1.0.0) or on_issue (2.0.0) written to the outbox with a fresh
 * message_id in one LMDB transaction (with the order's on_update when a
 * refund changed it); once it commits ondc-callback is told.
 */
#include "admin.h"

#include "clock.h"
#include "context.h"
#include "buyer.h"
#include "igm.h"
#include "igm_raise.h"
#include "jparse.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    json_t *list;
    const char *state;
    int overdue_only;
    int64_t now;
} s_list_t;

static int s_list_cb(json_t *rec, void *arg)
{
    s_list_t *l = arg;
    const char *st = json_string_value(json_object_get(rec, "state"));
    if (l->state && (!st || strcmp(st, l->state) != 0))
        return 0;
    int resp, resol;
    igm_overdue(rec, l->now, &resp, &resol);
    if (l->overdue_only && !resp && !resol)
        return 0;
    json_t *issue = json_object_get(rec, "issue");
    json_t *cat = json_object_get(issue, "sub_category");
    if (!cat)
        cat = json_object_get(json_object_get(issue, "descriptor"), "code");
    char by[2][40];
    context_format_time(json_integer_value(json_object_get(rec, "respond_by_ms")), by[0],
                        sizeof by[0]);
    context_format_time(json_integer_value(json_object_get(rec, "resolve_by_ms")), by[1],
                        sizeof by[1]);
    json_array_append_new(
        l->list,
        json_pack("{s:O,s:O,s:O,s:s,s:O,s:O,s:O?,s:O?,s:s,s:s,s:b,s:b,s:O?}", "id",
                  json_object_get(rec, "id"), "bap_id", json_object_get(rec, "bap_id"), "order_id",
                  json_object_get(rec, "order_id"), "version",
                  json_integer_value(json_object_get(rec, "version")) == 2 ? "2.0.0" : "1.0.0",
                  "state", json_object_get(rec, "state"), "level", json_object_get(rec, "level"),
                  "category", json_object_get(issue, "category"), "code", cat, "respond_by", by[0],
                  "resolve_by", by[1], "overdue_response", resp, "overdue_resolution", resol,
                  "updated_at", json_object_get(rec, "updated_at")));
    json_t *casc = json_object_get(rec, "cascaded_to");
    if (casc)
        json_object_set(json_array_get(l->list, json_array_size(l->list) - 1), "cascaded_to",
                        casc);
    return json_array_size(l->list) >= 10000;
}

static int s_raised_cb(json_t *rec, void *arg)
{
    s_list_t *l = arg;
    const char *st = json_string_value(json_object_get(rec, "state"));
    if (l->state && (!st || strcmp(st, l->state) != 0))
        return 0;
    json_t *issue = json_object_get(rec, "issue");
    json_array_append_new(
        l->list,
        json_pack("{s:O,s:O,s:O,s:O,s:O?,s:O?,s:O?,s:I,s:O}", "id", json_object_get(rec, "id"),
                  "to", json_object_get(rec, "bpp_id"), "order_id",
                  json_object_get(rec, "order_id"), "state", json_object_get(rec, "state"),
                  "code", json_object_get(json_object_get(issue, "descriptor"), "code"),
                  "cascade_of", json_object_get(rec, "cascade_of"), "proposed",
                  json_object_get(rec, "proposed"), "answers",
                  (json_int_t)json_array_size(json_object_get(rec, "answers")), "updated_at",
                  json_object_get(rec, "updated_at")));
    return json_array_size(l->list) >= 10000;
}

/* s_lookup - the record of issue ID (?bap_id= when ambiguous); answers
 * the error itself and returns NULL. */
static json_t *s_lookup(admin_t *a, admin_req_t *q, MDB_txn *txn, const char *id, int *rc)
{
    const char *bap = admin_arg(q, "bap_id");
    json_t *rec = NULL;
    if (bap) {
        rec = igm_get(a->rt->store, txn, id, bap);
    } else {
        char keys[2][400];
        int n = igm_find(a->rt->store, txn, id, keys, 2);
        if (n > 1) {
            *rc = admin_error(q, 409, "bap_id",
                              "issue %s exists for several buyer apps: add ?bap_id=", id);
            return NULL;
        }
        rec = n ? igm_get_key(a->rt->store, txn, keys[0]) : NULL;
    }
    if (!rec)
        *rc = admin_error(q, 404, NULL, "issue %s not found", id);
    return rec;
}

int admin_get_issues(admin_t *a, admin_req_t *q, const char *rest)
{
    MDB_txn *txn = store_begin(a->rt->store, 1);
    if (!txn)
        return admin_error(q, 503, NULL, "the store is not available");
    int rc = -1;
    if (!*rest || strcmp(rest, "/") == 0) {
        /* a filter value that names nothing is refused, not read as "all" */
        static const char *const args[] = {"state", "overdue", NULL};
        const char *ov = admin_arg(q, "overdue"), *want = admin_arg(q, "state");
        int known = !want;
        for (int i = 0; !known && igm_states()[i]; i++)
            known = strcmp(want, igm_states()[i]) == 0;
        if (admin_args_only(q, args, &rc) ||
            (!known && (rc = admin_error(q, 400, "state", "state %s is not an issue state",
                                         want)) == 0) ||
            (ov && strcmp(ov, "0") != 0 && strcmp(ov, "1") != 0 &&
             (rc = admin_error(q, 400, "overdue", "overdue must be 0 or 1")) == 0)) {
            mdb_txn_abort(txn);
            return rc;
        }
        s_list_t l = {json_array(), admin_arg(q, "state"), ov && strcmp(ov, "0") != 0,
                      clock_wall_ms()};
        igm_each(a->rt->store, txn, s_list_cb, &l);
        s_list_t r = l;
        r.list = json_array();
        igm_raised_each(a->rt->store, txn, s_raised_cb, &r);
        mdb_txn_abort(txn);
        return admin_reply(q, 200, json_pack("{s:o,s:o}", "issues", l.list, "raised", r.list));
    }
    if (*rest != '/' || strchr(rest + 1, '/')) {
        mdb_txn_abort(txn);
        return admin_error(q, 404, NULL, "no such resource");
    }
    json_t *raised = igm_raised_get(a->rt->store, txn, rest + 1);
    if (raised) {
        mdb_txn_abort(txn);
        json_object_del(raised, "key");
        return admin_reply(q, 200, raised);
    }
    json_t *rec = s_lookup(a, q, txn, rest + 1, &rc);
    mdb_txn_abort(txn);
    if (!rec)
        return rc;
    int resp, resol;
    igm_overdue(rec, clock_wall_ms(), &resp, &resol);
    json_object_set_new(rec, "overdue_response", json_boolean(resp));
    json_object_set_new(rec, "overdue_resolution", json_boolean(resol));
    json_object_del(rec, "key");
    return admin_reply(q, 200, rec);
}

/* s_to_uri - the counterparty's uri: BODY.to_uri, or its registry record */
static void s_to_uri(admin_t *a, json_t *body, char *out, size_t cap)
{
    const char *u = json_string_value(json_object_get(body, "to_uri"));
    const char *to = json_string_value(json_object_get(body, "to"));
    out[0] = '\0';
    if (u)
        snprintf(out, cap, "%s", u);
    else if (to && buyer_seller_uri(&a->rt->cfg, to, out, cap) < 0)
        out[0] = '\0';
}

/* s_done - commit TXN, tell ondc-callback of row ID, answer REC */
static int s_done(admin_t *a, admin_req_t *q, MDB_txn *txn, json_t *rec, uint64_t id,
                  const char *what)
{
    if (admin_commit(a, txn) != 0) {
        json_decref(rec);
        return admin_error(q, 500, NULL, "could not commit");
    }
    if (id)
        admin_notify(a, id);
    log_info("issue.raised_desk", "issue_id", json_string_value(json_object_get(rec, "id")),
             "action", what, NULL);
    json_object_del(rec, "key");
    return admin_reply(q, 200, rec);
}

static int s_err(admin_req_t *q, const ondc_err_t *err)
{
    return admin_error(q, err->http_status ? err->http_status : 500,
                       err->path[0] ? err->path : NULL, "%s%s%s", err->code[0] ? err->code : "",
                       err->code[0] ? ": " : "", err->message);
}

/* s_raised_desk - VERB on issue ID when it is one the seller raised
 * (info, accept, reject, close) or a cascade of a buyer app's issue; 1
 * when it is neither (the buyer app's issue desk goes on) */
static int s_raised_desk(admin_t *a, admin_req_t *q, const char *id, const char *verb)
{
    static const char *const verbs[][2] = {{"info", "INFO_PROVIDED"},
                                           {"accept", "RESOLUTION_ACCEPTED"},
                                           {"reject", "RESOLUTION_REJECTED"},
                                           {"close", "CLOSED"}};
    int rc = 0, cascade = strcmp(verb, "cascade") == 0;
    const char *code = NULL;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(verb, verbs[i][0]) == 0)
            code = verbs[i][1];
    if (!cascade && !code)
        return 1;
    json_t *body = NULL;
    MDB_txn *txn = admin_begin(a);
    if (!txn)
        return admin_error(q, 503, NULL, "the store is not available");
    json_t *rec = cascade ? NULL : igm_raised_get(a->rt->store, txn, id);
    if (!cascade && !rec) {
        mdb_txn_abort(txn);
        return strcmp(verb, "close") == 0 ? 1
                                          : admin_error(q, 404, NULL, "issue %s not found", id);
    }
    if (admin_body_object(q, &body, &rc) < 0) {
        mdb_txn_abort(txn);
        json_decref(rec);
        return rc;
    }
    ondc_err_t err;
    err_clear(&err);
    uint64_t oid = 0;
    int64_t now = clock_wall_ms();
    if (!cascade) {
        rc = igm_raised_act(a->rt->store, txn, &a->rt->cfg, rec, code, body, now, &oid, &err);
        json_decref(body);
        if (rc < 0) {
            mdb_txn_abort(txn);
            json_decref(rec);
            return s_err(q, &err);
        }
        return s_done(a, q, txn, rec, oid, verb);
    }
    json_t *brec = s_lookup(a, q, txn, id, &rc);
    if (!brec) {
        mdb_txn_abort(txn);
        json_decref(body);
        return rc;
    }
    const char *st = json_string_value(json_object_get(brec, "state"));
    if (json_integer_value(json_object_get(brec, "version")) != 2 ||
        json_object_get(brec, "cascaded_to") || !st || strcmp(st, "CLOSED") == 0 ||
        strcmp(st, "RESOLVED") == 0) {
        rc = admin_error(q, 409, NULL,
                         json_object_get(brec, "cascaded_to")
                             ? "issue %s is already cascaded"
                             : "issue %s cannot be cascaded: an open IGM 2.0.0 issue can",
                         id);
        mdb_txn_abort(txn);
        json_decref(brec);
        json_decref(body);
        return rc;
    }
    char uri[CFG_STR_MAX];
    s_to_uri(a, body, uri, sizeof uri);
    json_t *raised = igm_raise(a->rt->store, txn, &a->rt->cfg, body, uri, brec, now, &oid, &err);
    json_decref(body);
    if (!raised || igm_put(a->rt->store, txn, brec) < 0) {
        if (raised)
            err_set(&err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not store the issue");
        mdb_txn_abort(txn);
        json_decref(raised);
        json_decref(brec);
        return s_err(q, &err);
    }
    json_decref(brec);
    return s_done(a, q, txn, raised, oid, "cascade");
}

int admin_post_issues(admin_t *a, admin_req_t *q, const char *rest)
{
    if (*rest)
        return admin_error(q, 404, NULL, "no such resource");
    json_t *body = NULL;
    int rc = 0;
    if (admin_body_object(q, &body, &rc) < 0)
        return rc;
    if (!body)
        return admin_error(q, 400, NULL, "a JSON body is required");
    MDB_txn *txn = admin_begin(a);
    if (!txn) {
        json_decref(body);
        return admin_error(q, 503, NULL, "the store is not available");
    }
    char uri[CFG_STR_MAX];
    s_to_uri(a, body, uri, sizeof uri);
    ondc_err_t err;
    err_clear(&err);
    uint64_t oid = 0;
    json_t *rec = igm_raise(a->rt->store, txn, &a->rt->cfg, body, uri, NULL, clock_wall_ms(), &oid,
                            &err);
    json_decref(body);
    if (!rec) {
        mdb_txn_abort(txn);
        return s_err(q, &err);
    }
    return s_done(a, q, txn, rec, oid, "raise");
}

int admin_post_issue(admin_t *a, admin_req_t *q, const char *rest)
{
    char id[160], verb[64];
    const char *slash = strchr(rest, '/');
    if (!slash || slash == rest || (size_t)(slash - rest) >= sizeof id ||
        strlen(slash + 1) >= sizeof verb)
        return admin_error(q, 404, NULL, "POST /seller/v1/issues/{id}/{action}");
    memcpy(id, rest, (size_t)(slash - rest));
    id[slash - rest] = '\0';
    snprintf(verb, sizeof verb, "%s", slash + 1);
    int what = igm_desk_parse(verb);
    if (what < 0 || strcmp(verb, "close") == 0 || strcmp(verb, "cascade") == 0 ||
        strcmp(verb, "info") == 0 || strcmp(verb, "accept") == 0 || strcmp(verb, "reject") == 0) {
        int r = s_raised_desk(a, q, id, verb);
        if (r != 1)
            return r;
    }
    if (what < 0)
        return admin_error(q, 404, NULL,
                           "unknown action %s (processing, need-info, resolve, escalate, close, "
                           "cascade; on a raised issue: info, accept, reject, close)",
                           verb);
    json_t *body = NULL;
    int brc = 0;
    if (admin_body_object(q, &body, &brc) < 0)
        return brc;
    MDB_txn *txn = admin_begin(a);
    if (!txn) {
        json_decref(body);
        return admin_error(q, 503, NULL, "the store is not available");
    }
    int res = -1;
    json_t *rec = s_lookup(a, q, txn, id, &res);
    if (!rec) {
        mdb_txn_abort(txn);
        json_decref(body);
        return res;
    }
    ondc_err_t err;
    err_clear(&err);
    uint64_t outbox[2] = {0, 0};
    if (igm_desk(a->rt->store, txn, &a->rt->cfg, rec, (igm_desk_t)what, body, clock_wall_ms(),
                 outbox, &err) < 0) {
        mdb_txn_abort(txn);
        json_decref(rec);
        json_decref(body);
        return admin_error_code(q, err.http_status ? err.http_status : 500, err.code,
                                err.path[0] ? err.path : NULL, "%s", err.message);
    }
    json_decref(body);
    if (admin_commit(a, txn) != 0) {
        json_decref(rec);
        return admin_error(q, 500, NULL, "could not commit");
    }
    for (int i = 0; i < 2; i++)
        if (outbox[i])
            admin_notify(a, outbox[i]);
    log_info("issue.desk", "issue_id", id, "action", verb, NULL);
    json_object_del(rec, "key");
    return admin_reply(q, 200, rec);
}
