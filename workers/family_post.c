/*
 * family_post.c - the post-fulfillment family: rating and support, and
 * IGM's issue and issue_status (workers/family_igm.c).
 *
 * rating: {rating_category, id, value} (retail 1.2.0 sends one object;
 * a "ratings" array is taken too), value 1-5 (30015 otherwise), category
 * one of Order, Provider, Item, Fulfillment, Agent (50003 otherwise),
 * stored on the transaction's order per category and id (30018 when the
 * transaction has no order). on_rating: {rating_ack: true}.
 * support: ref_id is an order id or transaction id; on_support carries the
 * provider's phone, email and URL from the catalog's seller.support (50004
 * when the seller gave none).
 */
#include "worker.h"

#include "catalog.h"
#include "context.h"
#include "family_igm.h"
#include "order.h"

#include <stdio.h>
#include <string.h>

static const char *s_categories[] = {"Order", "Provider", "Item", "Fulfillment", "Agent"};

/* s_rate - validate and store one rating R (PATH its place) on REC. */
static int s_rate(worker_msg_t *m, json_t *rec, json_t *r, const char *path)
{
    char p[96];
    const char *cat = json_string_value(json_object_get(r, "rating_category"));
    int ok = 0;
    for (size_t i = 0; cat && i < sizeof s_categories / sizeof s_categories[0]; i++)
        ok |= strcmp(cat, s_categories[i]) == 0;
    snprintf(p, sizeof p, "%s.rating_category", path);
    if (!ok)
        return worker_fail(m, ERR_TYPE_POLICY, ERR_RATING_CATEGORY, p,
                           "rating category %s is not supported (Order, Provider, Item, "
                           "Fulfillment, Agent)", cat ? cat : "(none)");
    json_t *v = json_object_get(r, "value");
    long value = json_is_integer(v)  ? (long)json_integer_value(v)
                 : json_is_real(v)   ? (long)json_real_value(v)
                 : json_is_string(v) ? (long)catalog_count(v)
                                     : -1;
    snprintf(p, sizeof p, "%s.value", path);
    if (value < 1 || value > 5 || (json_is_real(v) && json_real_value(v) != (double)value))
        return worker_fail(m, ERR_TYPE_DOMAIN, "30015", p, "a rating is a whole number from 1 to 5");
    const char *id = json_string_value(json_object_get(r, "id"));
    snprintf(p, sizeof p, "%s.id", path);
    if (!id || !*id)
        return worker_fail(m, ERR_TYPE_JSON_SCHEMA, ERR_INVALID_REQUEST, p, "the rated id is required");
    json_t *ratings = json_object_get(rec, "ratings");
    if (!json_is_object(ratings)) {
        ratings = json_object();
        json_object_set_new(rec, "ratings", ratings);
    }
    json_t *bycat = json_object_get(ratings, cat);
    if (!json_is_object(bycat)) {
        bycat = json_object();
        json_object_set_new(ratings, cat, bycat);
    }
    json_object_set_new(bycat, id, json_integer(value));
    return 0;
}

static int s_rating(worker_msg_t *m)
{
    json_t *msg = json_object_get(m->req, "message");
    json_t *rec = order_by_txn(m->store, m->txn, context_str(m->ctx, "transaction_id"),
                                context_str(m->ctx, "bap_id"));
    if (!rec)
        return worker_fail(m, ERR_TYPE_DOMAIN, ERR_ORDER_NOT_FOUND, "context.transaction_id",
                           "no order on this transaction to rate");
    json_t *list = json_object_get(msg, "ratings");
    if (json_is_array(list)) {
        size_t i;
        json_t *r;
        json_array_foreach(list, i, r)
        {
            char path[64];
            snprintf(path, sizeof path, "message.ratings[%zu]", i);
            s_rate(m, rec, r, path);
            if (m->has_err)
                break;
        }
    } else {
        s_rate(m, rec, msg, "message");
    }
    if (m->has_err) {
        json_decref(rec);
        return 0;
    }
    int rc = order_put(m->store, m->txn, rec);
    if (rc == 0) {
        json_t *what = json_pack("{s:O}", "ratings", json_is_array(list) ? list : msg);
        rc = worker_event(m, "rating", rec, what);
        json_decref(what);
    }
    json_decref(rec);
    m->message = json_pack("{s:b,s:b}", "feedback_ack", 0, "rating_ack", 1);
    return rc;
}

static int s_support(worker_msg_t *m)
{
    json_t *msg = json_object_get(m->req, "message");
    const char *ref = json_string_value(json_object_get(msg, "ref_id"));
    if (!ref)
        ref = context_str(m->ctx, "transaction_id");
    json_t *rec = order_by_txn(m->store, m->txn, ref, context_str(m->ctx, "bap_id"));
    if (!rec) {
        char key[400];
        if (order_key(ref, context_str(m->ctx, "bap_id"), key, sizeof key) == 0)
            rec = order_get(m->store, m->txn, key);
    }
    if (!rec)
        rec = order_by_txn(m->store, m->txn, context_str(m->ctx, "transaction_id"),
                                context_str(m->ctx, "bap_id"));
    if (!rec) {
        return worker_fail(m, ERR_TYPE_DOMAIN, ERR_ORDER_NOT_FOUND, "message.ref_id",
                           "%s is neither an order nor a transaction of yours", ref ? ref : "");
    }
    const char *pid = json_string_value(
        json_object_get(json_object_get(json_object_get(rec, "order"), "provider"), "id"));
    json_t *prov = pid ? catalog_provider(m->store, m->txn, pid) : NULL;
    json_t *sup = json_object_get(json_object_get(prov, "seller"), "support");
    json_t *out = json_object();
    static const char *keys[] = {"phone", "email", "uri"};
    for (size_t i = 0; i < 3; i++)
        if (json_is_string(json_object_get(sup, keys[i])))
            json_object_set(out, keys[i], json_object_get(sup, keys[i]));
    json_decref(prov);
    if (json_object_size(out) == 0) {
        json_decref(rec);
        json_decref(out);
        return worker_fail(m, ERR_TYPE_POLICY, ERR_SUPPORT_UNAVAILABLE, "message.ref_id",
                           "the seller has no support contact");
    }
    m->message = out;
    json_t *what = json_pack("{s:s?}", "ref_id", ref);
    int rc = worker_event(m, "support", rec, what);
    json_decref(what);
    json_decref(rec);
    return rc;
}

const worker_family_t family_post = {
    .family = FAMILY_POST,
    .handlers = {[ACT_RATING] = s_rating,
                 [ACT_SUPPORT] = s_support,
                 [ACT_ISSUE] = family_igm_issue,
                 [ACT_ISSUE_STATUS] = family_igm_issue_status},
    .answers = {[ACT_ISSUE] = family_igm_on_issue},
};
