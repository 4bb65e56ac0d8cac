/*
 * admin_orders.c - the seller's order desk:
 *   GET  /seller/v1/orders[?state=S...]    list orders (admin_api.c)
 *   GET  /seller/v1/orders/{id}            one order, as the buyer app sees it
 *   POST /seller/v1/orders/{id}/accept     Created -> Accepted (on_status)
 *   POST /seller/v1/orders/{id}/reject     {"reason": "005"}: cancelled (on_cancel)
 *   POST /seller/v1/orders/{id}/{state}    advance the fulfillment: packed,
 *        agent-assigned {"name","phone"}, picked-up, out-for-delivery,
 *        delivered, rto-initiated, rto-delivered, rto-disposed (on_status)
 *   POST /seller/v1/orders/{id}/cancel     {"reason": "002"}: the seller cancels (on_cancel)
 *   POST /seller/v1/orders/{id}/tracking   {"url", "gps"?}: the delivery is tracked
 *   POST /seller/v1/orders/{id}/part-cancel {"item_id", "count", "reason": "002"|"012"} (on_update)
 *   POST /seller/v1/orders/{id}/return/{return id}/{approve|reject|picked|delivered|liquidated}
 *        the buyer's return, {"reason"} with reject (on_update)
 * Order ids are unique per buyer app; ?bap_id= picks one when two buyer
 * apps used the same id. Every change is checked against the state table
 * (seller/order.c), stored, and written to the outbox as the unsolicited
 * on_* the spec prescribes, in one LMDB transaction; once it commits,
 * ondc-callback is told of the row (admin_notify) and delivers it.
 */
#include "admin.h"

#include "clock.h"
#include "context.h"
#include "jparse.h"
#include "log.h"
#include "order.h"
#include "catalog.h"
#include "fulfillment.h"
#include "terms.h"

#include <stdio.h>
#include <string.h>

/* s_lookup - the record of order OID (?bap_id= when ambiguous); answers
 * the error itself and returns NULL. */
static json_t *s_lookup(admin_t *a, admin_req_t *q, MDB_txn *txn, const char *oid, int *rc)
{
    const char *bap = admin_arg(q, "bap_id");
    char keys[2][400];
    int n;
    if (bap) {
        n = order_key(oid, bap, keys[0], sizeof keys[0]) == 0 ? 1 : 0;
    } else {
        n = order_find(a->rt->store, txn, oid, keys, 2);
        if (n > 1) {
            *rc = admin_error(q, 409, "bap_id",
                              "order %s exists for several buyer apps: add ?bap_id=", oid);
            return NULL;
        }
    }
    json_t *rec = n ? order_get(a->rt->store, txn, keys[0]) : NULL;
    if (!rec)
        *rc = admin_error(q, 404, NULL, "order %s not found", oid);
    return rec;
}

int admin_get_orders(admin_t *a, admin_req_t *q, const char *rest)
{
    if (!*rest || strcmp(rest, "/") == 0)
        return admin_orders_list(a, q); /* admin_api.c */
    MDB_txn *txn = store_begin(a->rt->store, 1);
    if (!txn)
        return admin_error(q, 503, NULL, "the store is not available");
    int rc = -1;
    if (*rest != '/' || strchr(rest + 1, '/')) {
        mdb_txn_abort(txn);
        return admin_error(q, 404, NULL, "no such resource");
    }
    json_t *rec = s_lookup(a, q, txn, rest + 1, &rc);
    mdb_txn_abort(txn);
    if (!rec)
        return rc;
    json_t *out = json_pack("{s:O,s:O,s:O,s:O?}", "order", json_object_get(rec, "order"), "bap_id",
                            json_object_get(rec, "bap_id"), "transaction_id",
                            json_object_get(rec, "transaction_id"), "ratings",
                            json_object_get(rec, "ratings"));
    /* what the desk may do now (the console's buttons), and the time a
     * Created order is rejected at */
    json_object_set_new(out, "actions", admin_order_actions(rec));
    json_t *by = json_object_get(rec, "accept_by_ms");
    if (json_is_integer(by)) {
        char t[40];
        context_format_time(json_integer_value(by), t, sizeof t);
        json_object_set_new(out, "accept_by", json_string(t));
    }
    json_decref(rec);
    return admin_reply(q, 200, out);
}

/* the fulfillment states the desk may set, by path verb */
static const struct {
    const char *verb, *state;
} s_verbs[] = {
    {"packed", "Packed"},
    {"agent-assigned", "Agent-assigned"},
    {"picked-up", "Order-picked-up"},
    {"out-for-delivery", "Out-for-delivery"},
    {"delivered", "Order-delivered"},
    {"rto-delivered", "RTO-Delivered"},
    {"rto-disposed", "RTO-Disposed"},
};

/* s_seller_reason - a code the seller may cancel with (retail 1.2.0). */
static int s_seller_reason(const char *r)
{
    static const char *ok[] = {"002", "005", "011", "012", "013", "014",
                               "015", "018", "019", "020", "022"};
    for (size_t i = 0; r && i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(r, ok[i]) == 0)
            return 1;
    return 0;
}

/* s_documents - the order's invoice (seller/terms.h), once picked up */
static void s_documents(store_t *st, MDB_txn *txn, const cfg_t *cfg, json_t *rec)
{
    json_t *order = json_object_get(rec, "order");
    if (json_object_get(order, "documents"))
        return;
    const char *pid = json_string_value(json_object_get(json_object_get(order, "provider"), "id"));
    json_t *prov = pid ? catalog_provider_ro(st, txn, pid) : NULL;
    json_t *docs =
        terms_documents(prov, cfg->bpp_uri, json_string_value(json_object_get(order, "id")));
    json_decref(prov);
    if (docs)
        json_object_set_new(order, "documents", docs);
}

int admin_post_order(admin_t *a, admin_req_t *q, const char *rest)
{
    char oid[160], verb[128];
    const char *slash = strchr(rest, '/');
    if (!slash || slash == rest || (size_t)(slash - rest) >= sizeof oid ||
        strlen(slash + 1) >= sizeof verb)
        return admin_error(q, 404, NULL, "POST /seller/v1/orders/{id}/{action}");
    memcpy(oid, rest, (size_t)(slash - rest));
    oid[slash - rest] = '\0';
    snprintf(verb, sizeof verb, "%s", slash + 1);
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
    json_t *rec = s_lookup(a, q, txn, oid, &res);
    if (!rec) {
        mdb_txn_abort(txn);
        json_decref(body);
        return res;
    }
    int64_t now = clock_wall_ms();
    char ts[40];
    context_format_time(now, ts, sizeof ts);
    ondc_err_t err;
    memset(&err, 0, sizeof err);
    uint64_t outbox = 0;
    int rc = -1;
    const cfg_t *cfg = &a->rt->cfg;
    store_t *st = a->rt->store;
    const char *reason = json_string_value(json_object_get(body, "reason"));
    if (strcmp(verb, "accept") == 0) {
        rc = order_accept(st, txn, cfg, rec, now, &outbox, &err);
    } else if (strcmp(verb, "reject") == 0 || strcmp(verb, "cancel") == 0 ||
               strcmp(verb, "rto-initiated") == 0) {
        /* after pick-up a cancel is a return to origin (order_cancel) */
        if (!reason)
            reason = strcmp(verb, "reject") == 0   ? "005"
                     : strcmp(verb, "cancel") == 0 ? NULL
                                                   : "013";
        if (strcmp(verb, "rto-initiated") == 0 &&
            strcmp(order_fstate(order_fulfillment(json_object_get(rec, "order"))),
                   "Order-picked-up") != 0 &&
            strcmp(order_fstate(order_fulfillment(json_object_get(rec, "order"))),
                   "Out-for-delivery") != 0)
            rc = err_set(&err, ERR_TYPE_POLICY, 409, ERR_CANCEL_NOT_POSSIBLE, "",
                         "a return to origin starts only after pick-up");
        else if (!s_seller_reason(reason))
            rc = err_set(
                &err, ERR_TYPE_POLICY, 400, ERR_INVALID_CANCEL_REASON, "reason",
                "reason must be a seller cancellation code (002, 005, 011-015, 018-020, 022)");
        else
            rc = order_reject(st, txn, cfg, rec, reason, now, &outbox, &err);
    } else if (strcmp(verb, "part-cancel") == 0) {
        const char *iid = json_string_value(json_object_get(body, "item_id"));
        json_t *cnt = json_object_get(body, "count");
        if (!reason)
            reason = "002";
        if (!iid || !json_is_integer(cnt) || json_integer_value(cnt) < 1)
            rc = err_set(&err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST,
                         iid ? "count" : "item_id", "item_id and a count from 1 are required");
        else if (strcmp(reason, "002") != 0 && strcmp(reason, "012") != 0)
            rc = err_set(&err, ERR_TYPE_POLICY, 400, ERR_INVALID_CANCEL_REASON, "reason",
                         "a part cancel takes reason 002 or 012");
        else if ((rc = order_part_cancel(st, txn, rec, iid, json_integer_value(cnt), reason,
                                         cfg->subscriber_id, ts, &err)) == 0 &&
                 (order_put(st, txn, rec) < 0 ||
                  order_send(st, txn, cfg, rec, "on_update", now, &outbox) < 0))
            rc = err_set(&err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not store the order");
    } else if (strncmp(verb, "return/", 7) == 0) {
        char rid[96];
        const char *v = strchr(verb + 7, '/');
        static const struct {
            const char *verb, *state;
        } rv[] = {{"approve", "Return_Approved"},
                  {"reject", "Return_Rejected"},
                  {"picked", "Return_Picked"},
                  {"delivered", "Return_Delivered"},
                  {"liquidated", "Liquidated"}};
        const char *to = NULL;
        for (size_t i = 0; v && i < sizeof rv / sizeof rv[0]; i++)
            if (strcmp(v + 1, rv[i].verb) == 0)
                to = rv[i].state;
        if (!v || v == verb + 7 || (size_t)(v - verb - 7) >= sizeof rid || !to) {
            rc = err_set(&err, ERR_TYPE_JSON_SCHEMA, 404, ERR_INVALID_REQUEST, "",
                         "return/{id}/approve|reject|picked|delivered|liquidated");
        } else {
            memcpy(rid, verb + 7, (size_t)(v - verb - 7));
            rid[v - verb - 7] = '\0';
            if ((rc = order_return_advance(st, txn, rec, rid, to, reason, ts, &err)) == 0 &&
                (order_put(st, txn, rec) < 0 ||
                 order_send(st, txn, cfg, rec, "on_update", now, &outbox) < 0))
                rc = err_set(&err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "",
                             "could not store the order");
        }
    } else if (strcmp(verb, "tracking") == 0) {
        const char *url = json_string_value(json_object_get(body, "url"));
        json_t *f = order_fulfillment(json_object_get(rec, "order"));
        if (!url || strncmp(url, "http", 4) != 0)
            rc = err_set(&err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "url",
                         "url (http or https) is required");
        else if (!f)
            rc = err_set(&err, ERR_TYPE_POLICY, 409, "50007", "", "the order has no fulfillment");
        else {
            /* the fulfillment's tracking flag stays what on_select said */
            json_object_set_new(rec, "tracking",
                                json_pack("{s:s,s:O?,s:s}", "url", url, "gps",
                                          json_object_get(body, "gps"), "updated_at", ts));
            rc = order_put(st, txn, rec);
        }
    } else {
        const char *to = NULL;
        for (size_t i = 0; i < sizeof s_verbs / sizeof s_verbs[0]; i++)
            if (strcmp(verb, s_verbs[i].verb) == 0)
                to = s_verbs[i].state;
        if (!to) {
            rc = err_set(&err, ERR_TYPE_JSON_SCHEMA, 404, ERR_INVALID_REQUEST, "",
                         "unknown action %s", verb);
        } else {
            json_t *f = order_fulfillment(json_object_get(rec, "order"));
            if (strcmp(to, "Agent-assigned") == 0) {
                const char *name = json_string_value(json_object_get(body, "name"));
                const char *phone = json_string_value(json_object_get(body, "phone"));
                if (!name || !phone) {
                    rc =
                        err_set(&err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST,
                                name ? "phone" : "name", "the agent's name and phone are required");
                    goto done;
                }
                if (f)
                    json_object_set_new(f, "agent",
                                        json_pack("{s:s,s:s}", "name", name, "phone", phone));
            }
            rc = order_advance(rec, to, ts, &err);
            if (rc == 0 && f) {
                /* pick-up and delivery times beside their windows, as
                 * on_status shows them; the invoice from pick-up on */
                if (strcmp(to, "Order-picked-up") == 0) {
                    fulfillment_stamp(f, "start", ts);
                    s_documents(st, txn, cfg, rec);
                }
                if (strcmp(to, "Order-delivered") == 0) {
                    fulfillment_stamp(f, "end", ts);
                    json_t *pay = json_object_get(json_object_get(rec, "order"), "payment");
                    if (json_is_object(pay))
                        json_object_set_new(pay, "status", json_string("PAID"));
                }
            }
            if (rc == 0 &&
                (order_put(st, txn, rec) < 0 ||
                 order_send(st, txn, cfg, rec,
                            strncmp(to, "RTO-Initiated", 13) == 0 ? "on_cancel" : "on_status", now,
                            &outbox) < 0))
                rc = err_set(&err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "",
                             "could not store the order");
            if (rc == 0 && strcmp(to, "RTO-Delivered") == 0) /* the goods are back on the shelf */
                rc = order_stock_release(st, txn, rec) < 0 ? -1 : order_put(st, txn, rec);
        }
    }
done:
    if (rc < 0) {
        mdb_txn_abort(txn);
        json_decref(rec);
        json_decref(body);
        return admin_error_code(q, err.http_status ? err.http_status : 500, err.code, err.path,
                                "%s", err.message);
    }
    if (admin_commit(a, txn) != 0) {
        json_decref(rec);
        json_decref(body);
        return admin_error(q, 500, NULL, "could not commit");
    }
    if (outbox)
        admin_notify(a, outbox);
    log_info("order.desk", "order_id", oid, "action", verb, NULL);
    json_t *out = json_pack("{s:O}", "order", json_object_get(rec, "order"));
    json_decref(rec);
    json_decref(body);
    return admin_reply(q, 200, out);
}
