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
#include "igm.h"
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
        mdb_txn_abort(txn);
        return admin_reply(q, 200, json_pack("{s:o}", "issues", l.list));
    }
    if (*rest != '/' || strchr(rest + 1, '/')) {
        mdb_txn_abort(txn);
        return admin_error(q, 404, NULL, "no such resource");
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
    if (what < 0)
        return admin_error(q, 404, NULL,
                           "unknown action %s (processing, need-info, resolve, escalate, close)",
                           verb);
    json_t *body = NULL;
    if (q->len) {
        json_error_t je;
        body = jparse(q->body, q->len, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(body)) {
            json_decref(body);
            return admin_error(q, 400, NULL, "the body must be a JSON object");
        }
    }
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
