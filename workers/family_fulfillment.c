/*
 * family_fulfillment.c - the fulfillment family: status, track, cancel,
 * update, against the orders in LMDB (seller/order.h).
 *
 * status: the order as it stands. track: the tracking the seller set on
 * the order desk, 40005 when the delivery is not tracked. cancel: a buyer
 * reason code (30012 otherwise), allowed until the order is picked up
 * (50001 after, or when an item is not cancellable); the order becomes
 * Cancelled with a Cancel fulfillment and its quote trail, stock released.
 * update: a return request (update_target "item", a Return fulfillment
 * with return_request tags) for a delivered order within the item's
 * return window, or the buyer app's payment/settlement details
 * (update_target "payment"); 50002 for anything else.
 * Orders are the buyer app's: order_id with the request's bap_id.
 */
#include "worker.h"

#include "catalog.h"
#include "context.h"
#include "money.h"
#include "order.h"
#include "tags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s_order - the record of message.order_id (or message.order.id) of M's
 * buyer app; fails M with 30018 and returns NULL when there is none. */
static json_t *s_order(worker_msg_t *m)
{
    json_t *msg = json_object_get(m->req, "message");
    json_t *id = json_object_get(msg, "order_id");
    const char *path = "message.order_id";
    if (!id) {
        id = json_object_get(json_object_get(msg, "order"), "id");
        path = "message.order.id";
    }
    char key[400];
    const char *oid = json_string_value(id);
    if (!oid || order_key(oid, context_str(m->ctx, "bap_id"), key, sizeof key) < 0) {
        worker_fail(m, ERR_TYPE_JSON_SCHEMA, ERR_INVALID_REQUEST, path, "%s is required", path);
        return NULL;
    }
    json_t *rec = order_get(m->store, m->txn, key);
    if (!rec)
        worker_fail(m, ERR_TYPE_DOMAIN, ERR_ORDER_NOT_FOUND, path, "order %s not found", oid);
    return rec;
}

static int s_status(worker_msg_t *m)
{
    json_t *rec = s_order(m);
    if (!rec)
        return 0;
    m->message =
        json_pack("{s:o}", "order", order_wire(json_object_get(rec, "order"), "on_status"));
    json_decref(rec);
    return 0;
}

static int s_track(worker_msg_t *m)
{
    json_t *rec = s_order(m);
    if (!rec)
        return 0;
    json_t *tr = json_object_get(rec, "tracking");
    json_t *f = order_fulfillment(json_object_get(rec, "order"));
    if (!json_is_object(tr) || !f) {
        json_decref(rec);
        return worker_fail(m, ERR_TYPE_DOMAIN, ERR_TRACKING_NOT_ENABLED, "message.order_id",
                           "tracking is not enabled for this order");
    }
    const char *fs = order_fstate(f);
    int active = strcmp(fs, "Agent-assigned") == 0 || strcmp(fs, "Order-picked-up") == 0 ||
                 strcmp(fs, "Out-for-delivery") == 0;
    json_t *t = json_pack("{s:O,s:O,s:s}", "id", json_object_get(f, "id"), "url",
                          json_object_get(tr, "url"), "status", active ? "active" : "inactive");
    json_t *gps = json_object_get(tr, "gps");
    int located = active && json_is_string(gps);
    if (located)
        json_object_set_new(t, "location",
                            json_pack("{s:O,s:{s:O},s:O}", "gps", gps, "time", "timestamp",
                                      json_object_get(tr, "updated_at"), "updated_at",
                                      json_object_get(tr, "updated_at")));
    /* retail 1.2.x: which order, and what the buyer app polls (the
     * agent's position, else the tracking page) */
    const char *cv = context_str(m->ctx, "core_version");
    if (cv && strncmp(cv, "1.2.", 4) == 0)
        json_object_set_new(
            t, "tags",
            json_pack("[{s:s,s:[{s:s,s:O}]},{s:s,s:[{s:s,s:s},{s:s,s:s}]}]", "code", "order",
                      "list", "code", "id", "value",
                      json_object_get(json_object_get(rec, "order"), "id"), "code", "config",
                      "list", "code", "attr", "value",
                      located ? "tracking.location.gps" : "tracking.url", "code", "type", "value",
                      "live_poll"));
    m->message = json_pack("{s:o}", "tracking", t);
    json_decref(rec);
    return 0;
}

/* buyer cancellation codes: retail 1.2.0 (001, 003, 006, 009, 010) and
 * the 1.2.5 codes buyer apps already send (051, 052, 053) */
static int s_buyer_reason(const char *r)
{
    static const char *ok[] = {"001", "003", "006", "009", "010", "051", "052", "053"};
    for (size_t i = 0; r && i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(r, ok[i]) == 0)
            return 1;
    return 0;
}

/* s_item - the catalog item of REC's provider; caller owns. */
static json_t *s_item(worker_msg_t *m, json_t *rec, const char *iid)
{
    const char *pid = json_string_value(
        json_object_get(json_object_get(json_object_get(rec, "order"), "provider"), "id"));
    return pid && iid ? catalog_item(m->store, m->txn, pid, iid) : NULL;
}

static int s_cancel(worker_msg_t *m)
{
    json_t *msg = json_object_get(m->req, "message");
    const char *reason = json_string_value(json_object_get(msg, "cancellation_reason_id"));
    if (!s_buyer_reason(reason))
        return worker_fail(m, ERR_TYPE_DOMAIN, ERR_INVALID_CANCEL_REASON,
                           "message.cancellation_reason_id",
                           "%s is not a reason a buyer may cancel with", reason ? reason : "(none)");
    json_t *rec = s_order(m);
    if (!rec)
        return 0;
    json_t *order = json_object_get(rec, "order");
    json_t *f = order_fulfillment(order);
    const char *fs = order_fstate(f);
    if (!order_transition_ok(ORDER_KIND_FULFILLMENT, fs, "Cancelled")) {
        /* FS points into REC: report before letting it go */
        worker_fail(m, ERR_TYPE_POLICY, ERR_CANCEL_NOT_POSSIBLE, "message.order_id",
                    "the order is %s: it can no longer be cancelled", fs[0] ? fs : "closed");
        json_decref(rec);
        return 0;
    }
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(order, "items"), i, it)
    {
        json_t *item = s_item(m, rec, json_string_value(json_object_get(it, "id")));
        int no = json_is_false(json_object_get(item, "@ondc/org/cancellable"));
        json_decref(item);
        if (no) {
            worker_fail(m, ERR_TYPE_POLICY, ERR_CANCEL_NOT_POSSIBLE, "message.order_id",
                        "item %s is not cancellable", json_string_value(json_object_get(it, "id")));
            json_decref(rec);
            return 0;
        }
    }
    char ts[40];
    json_t *rctx = context_reply(m->cfg, m->ctx, m->now_ms);
    snprintf(ts, sizeof ts, "%s", context_str(rctx, "timestamp"));
    json_decref(rctx);
    if (order_cancel(m->store, m->txn, rec, context_str(m->ctx, "bap_id"), reason, ts, &m->err) < 0) {
        m->has_err = 1;
        json_decref(rec);
        return 0;
    }
    int rc = order_put(m->store, m->txn, rec);
    m->message =
        json_pack("{s:o}", "order", order_wire(json_object_get(rec, "order"), "on_cancel"));
    if (rc == 0) {
        json_t *why = json_pack("{s:s,s:s?}", "reason", reason, "by", context_str(m->ctx, "bap_id"));
        rc = worker_event(m, "order.cancelled", rec, why);
        json_decref(why);
    }
    json_decref(rec);
    return rc;
}

/* s_return - a return request: fulfillment RF (type Return) of the update. */
static int s_return(worker_msg_t *m, json_t *rec, json_t *rf, size_t idx, const char *ts)
{
    char path[96];
    snprintf(path, sizeof path, "message.order.fulfillments[%zu].tags", idx);
    /* the last return_request group is the request */
    json_t *req = NULL, *tag;
    size_t i = 0;
    while ((tag = tags_next(json_object_get(rf, "tags"), "return_request", &i)) != NULL)
        req = tag;
    json_t *req_list = tags_list(req);
    const char *rid = tags_value(req_list, "id");
    const char *iid = tags_value(req_list, "item_id");
    const char *qty = tags_value(req_list, "item_quantity");
    const char *reason = tags_value(req_list, "reason_id");
    if (!rid || !iid || !qty || !reason)
        return worker_fail(m, ERR_TYPE_JSON_SCHEMA, ERR_INVALID_REQUEST, path,
                           "return_request needs id, item_id, item_quantity and reason_id");
    static const char *reasons[] = {"001", "002", "003", "004", "005"};
    int ok = 0;
    for (size_t k = 0; k < sizeof reasons / sizeof reasons[0]; k++)
        ok |= strcmp(reason, reasons[k]) == 0;
    if (!ok)
        return worker_fail(m, ERR_TYPE_DOMAIN, "30005", path, "return reason %s is not valid", reason);
    json_t *order = json_object_get(rec, "order");
    json_t *f = order_fulfillment(order);
    if (strcmp(order_fstate(f), "Order-delivered") != 0)
        return worker_fail(m, ERR_TYPE_POLICY, ERR_UPDATE_NOT_POSSIBLE, path,
                           "only a delivered order can be returned");
    /* the item was ordered, in at least that quantity */
    long n = strtol(qty, NULL, 10), had = 0;
    json_array_foreach(json_object_get(order, "items"), i, tag)
    {
        const char *id = json_string_value(json_object_get(tag, "id"));
        const char *fid = json_string_value(json_object_get(tag, "fulfillment_id"));
        json_t *c = json_object_get(json_object_get(tag, "quantity"), "count");
        if (id && strcmp(id, iid) == 0 && (!fid || !f || json_equal(json_object_get(tag, "fulfillment_id"), json_object_get(f, "id"))))
            had += (long)catalog_count(c);
    }
    json_array_foreach(json_object_get(order, "fulfillments"), i, tag)
    {
        const char *t = json_string_value(json_object_get(tag, "type"));
        const char *id = json_string_value(json_object_get(tag, "id"));
        if (t && strcmp(t, "Return") == 0 && id && strcmp(id, rid) == 0)
            return worker_fail(m, ERR_TYPE_POLICY, ERR_UPDATE_NOT_POSSIBLE, path,
                               "return %s was already requested", rid);
    }
    if (n < 1 || n > had)
        return worker_fail(m, ERR_TYPE_DOMAIN, "30005", path,
                           "item %s: %ld ordered, cannot return %s", iid, had, qty);
    json_t *item = s_item(m, rec, iid);
    int returnable = json_is_true(json_object_get(item, "@ondc/org/returnable"));
    long window = context_parse_duration(
        json_string_value(json_object_get(item, "@ondc/org/return_window")));
    json_decref(item);
    int64_t delivered = context_parse_time(json_string_value(
        json_object_get(json_object_get(json_object_get(f, "end"), "time"), "timestamp")));
    if (!returnable || window <= 0)
        return worker_fail(m, ERR_TYPE_POLICY, ERR_UPDATE_NOT_POSSIBLE, path,
                           "item %s is not returnable", iid);
    if (delivered > 0 && m->now_ms > delivered + (int64_t)window * 1000)
        return worker_fail(m, ERR_TYPE_POLICY, ERR_UPDATE_NOT_POSSIBLE, path,
                           "the return window of item %s has closed", iid);
    json_t *list = json_deep_copy(req_list);
    json_array_append_new(list, json_pack("{s:s,s:s}", "code", "initiated_by", "value",
                                          context_str(m->ctx, "bap_id")));
    json_array_append_new(
        json_object_get(order, "fulfillments"),
        json_pack("{s:s,s:s,s:{s:{s:s},s:s},s:[{s:s,s:o}]}", "id", rid, "type", "Return", "state",
                  "descriptor", "code", "Return_Initiated", "updated_at", ts, "tags", "code",
                  "return_request", "list", list));
    json_object_set_new(order, "updated_at", json_string(ts));
    return 0;
}

static int s_update(worker_msg_t *m)
{
    json_t *msg = json_object_get(m->req, "message");
    const char *target = json_string_value(json_object_get(msg, "update_target"));
    json_t *rec = s_order(m);
    if (!rec)
        return 0;
    char ts[40];
    json_t *rctx = context_reply(m->cfg, m->ctx, m->now_ms);
    snprintf(ts, sizeof ts, "%s", context_str(rctx, "timestamp"));
    json_decref(rctx);
    json_t *uorder = json_object_get(msg, "order");
    int done = 0;
    if (target && strcmp(target, "item") == 0) {
        size_t i;
        json_t *rf;
        json_array_foreach(json_object_get(uorder, "fulfillments"), i, rf)
        {
            const char *t = json_string_value(json_object_get(rf, "type"));
            if (!t || strcmp(t, "Return") != 0)
                continue;
            if (s_return(m, rec, rf, i, ts) < 0 || m->has_err) {
                json_decref(rec);
                return 0;
            }
            done++;
        }
    } else if (target && strcmp(target, "payment") == 0 && json_is_object(json_object_get(uorder, "payment"))) {
        /* the buyer app's settlement details for a refund */
        json_t *pay = json_object_get(json_object_get(rec, "order"), "payment");
        json_t *details = json_object_get(json_object_get(uorder, "payment"), "@ondc/org/settlement_details");
        if (json_is_object(pay) && json_is_array(details)) {
            /* the refund's entries join the seller's, never replace them */
            json_t *have = json_object_get(pay, "@ondc/org/settlement_details");
            if (!json_is_array(have)) {
                have = json_array();
                json_object_set_new(pay, "@ondc/org/settlement_details", have);
            }
            size_t k;
            json_t *d;
            json_array_foreach(details, k, d)
            {
                size_t j;
                json_t *e;
                int dup = 0;
                json_array_foreach(have, j, e) dup |= json_equal(e, d);
                if (!dup)
                    json_array_append(have, d);
            }
            json_object_set_new(json_object_get(rec, "order"), "updated_at", json_string(ts));
            done++;
        }
    }
    if (!done) {
        json_decref(rec);
        return worker_fail(m, ERR_TYPE_POLICY, ERR_UPDATE_NOT_POSSIBLE, "message.update_target",
                           "this update is not possible (returns: update_target item with a "
                           "Return fulfillment; refund details: update_target payment)");
    }
    int rc = order_put(m->store, m->txn, rec);
    m->message = json_pack("{s:O}", "order", json_object_get(rec, "order"));
    if (rc == 0 && target && strcmp(target, "item") == 0) {
        json_t *what = json_pack("{s:O?}", "fulfillments", json_object_get(uorder, "fulfillments"));
        rc = worker_event(m, "return.requested", rec, what);
        json_decref(what);
    }
    json_decref(rec);
    return rc;
}

const worker_family_t family_fulfillment = {
    .family = FAMILY_FULFILLMENT,
    .handlers = {[ACT_STATUS] = s_status,
                 [ACT_TRACK] = s_track,
                 [ACT_CANCEL] = s_cancel,
                 [ACT_UPDATE] = s_update},
};
