/*
 * family_order.c - the order family: select, init, confirm.
 *
 * select: the quote for what can be had (40002 / 40009 listed per item in
 * error.message, as retail 1.2.0 prescribes), the drop-off checked against
 * the provider's serviceability (Non-serviceable and 30009 otherwise), the
 * fulfillment's TAT and category. init: the quote recomputed from the
 * catalog (never trusted from the buyer); billing, fulfillments and items
 * echoed; payment terms and settlement details from the provider's seller
 * data; works with or without a prior select. init and confirm check the
 * drop-off against the serviceability again (30009). confirm: the order, stock
 * reserved in the same transaction, the quote checked against on_init's.
 * Per transaction and buyer app (key transaction_id \x1f bap_id), DB_TXN
 * keeps {"at": ms, "select": {...}, "init": {"total"}} ("at": when it was
 * last written; the janitor lets it go retention_s after).
 */
#include "worker.h"

#include "catalog.h"
#include "clock.h"
#include "context.h"
#include "jarena.h"
#include "jparse.h"
#include "log.h"
#include "money.h"
#include "offers.h"
#include "order.h"
#include "quote.h"
#include "reply.h"
#include "search.h"
#include "terms.h"
#include "fulfillment.h"

#include <stdlib.h>

#include <stdio.h>
#include <string.h>

/* s_txn_key - the DB_TXN key of the request's transaction: transaction_id
 * \x1f bap_id. The ingress has checked that bap_id is the signer, so one
 * buyer app never reads or changes another's cart, even on the same
 * transaction id. -1 when the context lacks either. */
static int s_txn_key(worker_msg_t *m, char *out, size_t cap)
{
    const char *tid = context_str(m->ctx, "transaction_id");
    const char *bap = context_str(m->ctx, "bap_id");
    if (!tid || !bap)
        return -1;
    int n = snprintf(out, cap, "%s\x1f%s", tid, bap);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* s_txn_get - this transaction's select/init state (caller owns). */
static json_t *s_txn_get(worker_msg_t *m)
{
    char key[600];
    int kl = s_txn_key(m, key, sizeof key);
    MDB_val k = {kl > 0 ? (size_t)kl : 0, key}, d;
    json_t *t = NULL;
    if (kl > 0 && mdb_get(m->txn, m->store->dbi[DB_TXN], &k, &d) == 0)
        t = jparse(d.mv_data, d.mv_size, 0, NULL);
    return json_is_object(t) ? t : (json_decref(t), json_object());
}

static int s_txn_put(worker_msg_t *m, json_t *t)
{
    char key[600];
    int kl = s_txn_key(m, key, sizeof key);
    if (kl < 0)
        return 0;
    /* stamped with when it was written, as its first key: what retention
     * (store/retain.c) reads to let a transaction's state go */
    json_t *o = json_pack("{s:I}", "at", (json_int_t)clock_wall_ms());
    json_object_del(t, "at");
    json_object_update(o, t);
    size_t n = 0;
    const char *text = jarena_dumpb(o, &n);
    json_decref(o);
    if (!text)
        return -1;
    MDB_val k = {(size_t)kl, key}, d = {n, (void *)text};
    int rc = mdb_put(m->txn, m->store->dbi[DB_TXN], &k, &d, 0);
    return rc ? -1 : 0;
}

/* s_payment - the on_init payment object: the buyer's payment with the
 * seller's terms filled in. Returns NULL and fails M on a payment type the
 * order cannot use. */
static json_t *s_payment(worker_msg_t *m, const quote_t *q)
{
    json_t *req = json_object_get(m->order, "payment");
    json_t *pay = json_is_object(req) ? json_deep_copy(req) : json_object();
    json_t *seller = json_object_get(q->provider, "seller");
    json_t *terms = json_object_get(seller, "payment");
    json_t *settle = json_object_get(seller, "settlement");
    const char *type = json_string_value(json_object_get(pay, "type"));
    if (!type)
        type = "ON-ORDER";
    json_t *allowed = json_object_get(terms, "types");
    int ok = 0;
    if (json_is_array(allowed)) {
        size_t i;
        json_t *t;
        json_array_foreach(allowed, i, t) if (json_is_string(t) && strcmp(json_string_value(t), type) == 0) ok = 1;
    } else {
        ok = strcmp(type, "ON-ORDER") == 0;
    }
    if (strcmp(type, "ON-FULFILLMENT") == 0 && !q->cod_ok)
        ok = 0;
    if (!ok) {
        /* TYPE points into PAY: report before letting it go */
        worker_fail(m, ERR_TYPE_DOMAIN, ERR_PAYMENT_NOT_SUPPORTED, "message.order.payment.type",
                    "payment type %s is not supported for this order", type);
        json_decref(pay);
        return NULL;
    }
    /* TYPE may point into PAY, and setting "type" frees what it points to */
    int cod = strcmp(type, "ON-FULFILLMENT") == 0;
    json_object_set_new(pay, "type", json_string(type));
    if (!json_object_get(pay, "collected_by"))
        json_object_set_new(pay, "collected_by", json_string(cod ? "BPP" : "BAP"));
    /* the finder fee the buyer app declared (this request's payment, else
     * its select's), else the seller's default */
    int retail12 = quote_retail12(context_str(m->ctx, "core_version"));
    if (retail12) {
        json_t *t = s_txn_get(m);
        json_t *declared[] = {req, json_object_get(json_object_get(t, "select"), "payment")};
        terms_finder_fee(pay, declared, 2, terms);
        json_decref(t);
    } else {
        static const struct {
            const char *key, *term, *def;
        } fee[] = {
            {"@ondc/org/buyer_app_finder_fee_type", "buyer_app_finder_fee_type", "percent"},
            {"@ondc/org/buyer_app_finder_fee_amount", "buyer_app_finder_fee_amount", "0"},
        };
        for (size_t i = 0; i < sizeof fee / sizeof fee[0]; i++)
            if (!json_object_get(pay, fee[i].key)) {
                json_t *v = json_object_get(terms, fee[i].term);
                json_object_set_new(pay, fee[i].key, v ? json_copy(v) : json_string(fee[i].def));
            }
    }
    static const struct {
        const char *key, *term, *def;
    } st[] = {
        {"@ondc/org/settlement_basis", "basis", "delivery"},
        {"@ondc/org/settlement_window", "window", "P1D"},
        {"@ondc/org/withholding_amount", "withholding_amount", "0.00"},
        {"@ondc/org/return_window", "return_window", "P0D"},
    };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        json_t *v = json_object_get(settle, st[i].term);
        json_object_set_new(pay, st[i].key, v ? json_copy(v) : json_string(st[i].def));
    }
    /* retail 1.2.x: the basis as the spec spells it; windows as ISO 8601
     * durations */
    if (retail12) {
        json_object_set_new(pay, "@ondc/org/settlement_basis",
                            json_string(terms_settlement_basis(
                                json_string_value(json_object_get(settle, "basis")))));
        const char *v = json_string_value(json_object_get(pay, "@ondc/org/settlement_window"));
        if (!v || v[0] != 'P' || context_parse_duration(v) < 0)
            json_object_set_new(pay, "@ondc/org/settlement_window", json_string("P1D"));
        /* the return window is each item's (the catalog's): ONDC's 1.2.x
         * payment has none, and F&B's schema refuses one */
        json_object_del(pay, "@ondc/org/return_window");
    }
    json_t *details = json_object_get(settle, "details");
    if (json_is_array(details))
        json_object_set(pay, "@ondc/org/settlement_details", details);
    return pay;
}

/* s_unserved - init and confirm check the drop-off again (the catalog's
 * serviceability may have changed since select, or the buyer app skipped
 * it): 1 with M failed (30009) when Q's provider does not serve it. */
static int s_unserved(worker_msg_t *m, const quote_t *q)
{
    json_t *rf = json_array_get(json_object_get(m->order, "fulfillments"), 0);
    const char *type = json_string_value(json_object_get(rf, "type"));
    if (type && strcmp(type, "Self-Pickup") == 0)
        return 0;
    json_t *end = json_object_get(json_object_get(rf, "end"), "location");
    const char *gps = json_string_value(json_object_get(end, "gps"));
    const char *area =
        json_string_value(json_object_get(json_object_get(end, "address"), "area_code"));
    if ((!gps && !area) || search_provider_serves(q->provider, gps, area, NULL))
        return 0;
    worker_fail(m, ERR_TYPE_DOMAIN, ERR_NOT_SERVICEABLE, "message.order.fulfillments[0].end.location",
                "the drop-off location is not serviceable by provider %s", q->provider_id);
    return 1;
}

/* s_on_init - message.order of on_init. */
/* s_offers_carried - ORDER with the offers an earlier request of the
 * transaction named (KEY "select" or "init" of its state) when ORDER names
 * none: ONDC's confirm does not repeat init's offers. Caller owns. */
static json_t *s_offers_carried(worker_msg_t *m, const char *key)
{
    if (json_object_get(m->order, "offers"))
        return json_incref(m->order);
    json_t *t = s_txn_get(m);
    json_t *had = json_object_get(json_object_get(t, key), "offers");
    json_t *order = json_incref(m->order);
    if (json_is_array(had)) {
        json_decref(order);
        order = json_copy(m->order);
        json_object_set(order, "offers", had);
    }
    json_decref(t);
    return order;
}

static int s_init(worker_msg_t *m)
{
    quote_t q;
    json_t *with_offers = s_offers_carried(m, "select");
    int built = quote_build(m->store, m->txn, with_offers, context_str(m->ctx, "core_version"), &q,
                            &m->err);
    json_t *offers = offers_selected(with_offers);
    json_decref(with_offers);
    if (built < 0) {
        json_decref(offers);
        m->has_err = 1;
        return 0;
    }
    if (q.soft) {
        /* init must be for what can be had; the buyer app selects again */
        m->has_err = 1;
        json_decref(offers);
        quote_release(&q);
        return 0;
    }
    json_t *pay = s_payment(m, &q);
    if (!pay) {
        json_decref(offers);
        quote_release(&q);
        return 0;
    }
    if (s_unserved(m, &q)) {
        json_decref(pay);
        quote_release(&q);
        return 0;
    }
    /* retail 1.2.5: when the buyer app collects, it says so on confirm;
     * on_init names no collector (ONDC's examples; its validator refuses
     * collected_by "BAP" there). A seller that collects (BPP) says so. */
    const char *cv = context_str(m->ctx, "core_version");
    const char *by = json_string_value(json_object_get(pay, "collected_by"));
    if (cv && strcmp(cv, "1.2.5") == 0 && by && strcmp(by, "BAP") == 0)
        json_object_del(pay, "collected_by");
    json_t *order = json_object();
    json_t *prov = json_pack("{s:s}", "id", q.provider_id);
    json_t *locs = json_object_get(json_object_get(m->order, "provider"), "locations");
    if (json_is_array(locs)) {
        json_object_set(prov, "locations", locs);
        /* 1.0.0 as the seed has it; retail 1.2.x has no provider_location */
        json_t *loc_id = json_object_get(json_array_get(locs, 0), "id");
        if (loc_id && !quote_retail12(context_str(m->ctx, "core_version")))
            json_object_set_new(order, "provider_location", json_pack("{s:O}", "id", loc_id));
    }
    json_object_set_new(order, "provider", prov);
    static const char *echo[] = {"items", "billing", "fulfillments"};
    for (size_t i = 0; i < sizeof echo / sizeof echo[0]; i++) {
        json_t *v = json_object_get(m->order, echo[i]);
        if (v)
            json_object_set(order, echo[i], v);
    }
    int retail12 = quote_retail12(context_str(m->ctx, "core_version"));
    if (retail12)
        quote_strip_item_quantity(q.quote);
    json_object_set(order, "quote", q.quote);
    json_object_set_new(order, "payment", pay);
    /* the seller's terms: bpp_terms only (the buyer's bap_terms are not
     * echoed: on_init's tags are the seller's); 1.0.0 as the seed has them */
    json_t *terms = NULL;
    if (retail12) {
        json_t *bpp = catalog_bpp(m->store, m->txn);
        terms = terms_bpp_tag(bpp, q.provider);
        json_decref(bpp);
    } else {
        json_t *tax_number = json_object_get(json_object_get(q.provider, "seller"), "tax_number");
        if (json_is_string(tax_number))
            terms = json_pack("{s:s,s:[{s:s,s:O}]}", "code", "bpp_terms", "list", "code",
                              "tax_number", "value", tax_number);
    }
    if (terms)
        json_object_set_new(order, "tags", json_pack("[o]", terms));
    m->message = json_pack("{s:o}", "order", order);
    json_t *t = s_txn_get(m);
    json_object_set_new(t, "init", json_pack("{s:I}", "total", (json_int_t)q.total));
    if (offers)
        json_object_set_new(json_object_get(t, "init"), "offers", offers);
    int rc = s_txn_put(m, t);
    json_decref(t);
    quote_release(&q);
    return rc;
}

/* s_tat - the fulfillment's turnaround: the longest time_to_ship of the
 * ordered items plus the provider's delivery time (seller.delivery_time,
 * default PT30M), as an ISO 8601 duration into OUT; the category that
 * matches it (retail 1.2.x: Immediate up to two hours, else Standard). */
static const char *s_tat(worker_msg_t *m, const quote_t *q, char *out, size_t cap, long *ship_s,
                         long *deliver_s)
{
    long ship = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(m->order, "items"), i, it)
    {
        char iid[160];
        if (!quote_id_str(json_object_get(it, "id"), iid, sizeof iid))
            continue;
        json_t *item = catalog_item_ro(m->store, m->txn, q->provider_id, iid);
        long t = context_parse_duration(
            json_string_value(json_object_get(item, "@ondc/org/time_to_ship")));
        if (t > ship)
            ship = t;
        json_decref(item);
    }
    long deliver = context_parse_duration(json_string_value(
        json_object_get(json_object_get(q->provider, "seller"), "delivery_time")));
    if (deliver < 0)
        deliver = 30L * 60;
    long total = ship + deliver;
    snprintf(out, cap, "PT%ldM", (total + 59) / 60);
    if (ship_s)
        *ship_s = ship;
    if (deliver_s)
        *deliver_s = deliver;
    if (total <= 2L * 3600)
        return "Immediate Delivery";
    /* retail 1.2.x knows Immediate, Standard and Express Delivery (ONDC's
     * examples and validator); core 1.0.0 keeps Same Day */
    if (quote_retail12(context_str(m->ctx, "core_version")))
        return "Standard Delivery";
    return total <= 24L * 3600 ? "Same Day Delivery" : "Standard Delivery";
}

/* s_tracked - whether the provider's deliveries are tracked
 * (seller.tracking): the fulfillment's tracking flag from on_select on,
 * never changed afterwards */
static int s_tracked(const quote_t *q)
{
    return json_is_true(json_object_get(json_object_get(q->provider, "seller"), "tracking"));
}

/* s_drop_rows - remove the TYPE rows of Q's quote (a drop-off that cannot
 * be served has no delivery charge). */
static void s_drop_rows(quote_t *q, const char *type)
{
    json_t *b = json_object_get(q->quote, "breakup");
    for (size_t i = 0; i < json_array_size(b);) {
        json_t *row = json_array_get(b, i);
        const char *t = json_string_value(json_object_get(row, "@ondc/org/title_type"));
        if (t && strcmp(t, type) == 0) {
            int64_t v = 0;
            money_parse_json(json_object_get(json_object_get(row, "price"), "value"), &v);
            q->total -= v;
            json_array_remove(b, i);
        } else {
            i++;
        }
    }
    json_object_set_new(q->quote, "price", money_json(q->total));
}

static int s_select(worker_msg_t *m)
{
    quote_t q;
    if (quote_build(m->store, m->txn, m->order, context_str(m->ctx, "core_version"), &q, &m->err) < 0) {
        m->has_err = 1;
        return 0;
    }
    /* the drop-off: the first fulfillment's end location */
    json_t *rf = json_array_get(json_object_get(m->order, "fulfillments"), 0);
    json_t *end = json_object_get(json_object_get(rf, "end"), "location");
    const char *gps = json_string_value(json_object_get(end, "gps"));
    const char *area =
        json_string_value(json_object_get(json_object_get(end, "address"), "area_code"));
    const char *type = json_string_value(json_object_get(rf, "type"));
    int pickup = type && strcmp(type, "Self-Pickup") == 0;
    int serviceable = pickup || search_provider_serves(q.provider, gps, area, NULL);
    char tat[32] = "";
    const char *category = s_tat(m, &q, tat, sizeof tat, NULL, NULL);
    if (!serviceable)
        s_drop_rows(&q, "delivery");
    json_t *ful = json_object();
    json_object_set_new(ful, "id", json_string(q.fulfillment_id));
    json_object_set_new(ful, "type", json_string(type ? type : "Delivery"));
    const char *pname =
        json_string_value(json_object_get(json_object_get(q.provider, "descriptor"), "name"));
    json_object_set_new(ful, "@ondc/org/provider_name", json_string(pname ? pname : q.provider_id));
    json_object_set_new(ful, "tracking", json_boolean(s_tracked(&q)));
    json_object_set_new(ful, "@ondc/org/category", json_string(serviceable ? category : ""));
    json_object_set_new(ful, "@ondc/org/TAT", json_string(serviceable ? tat : ""));
    json_object_set_new(ful, "state", json_pack("{s:{s:s}}", "descriptor", "code",
                                                serviceable ? "Serviceable" : "Non-serviceable"));
    json_t *order = json_object();
    json_t *prov = json_pack("{s:s}", "id", q.provider_id);
    json_t *locs = json_object_get(json_object_get(m->order, "provider"), "locations");
    if (json_is_array(locs))
        json_object_set(prov, "locations", locs);
    json_object_set_new(order, "provider", prov);
    json_t *items = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(m->order, "items"), i, it)
    {
        json_t *o = json_pack("{s:O}", "id", json_object_get(it, "id"));
        json_object_set_new(o, "fulfillment_id", json_string(q.fulfillment_id));
        json_array_append_new(items, o);
    }
    json_object_set_new(order, "items", items);
    json_object_set_new(order, "fulfillments", json_pack("[o]", ful));
    json_object_set(order, "quote", q.quote);
    m->message = json_pack("{s:o}", "order", order);
    if (q.soft) {
        /* retail 1.2.0: error.message lists every item that cannot be had */
        json_t *list = json_array();
        json_array_foreach(json_object_get(m->order, "items"), i, it)
        {
            char iid[160];
            const char *id = quote_id_str(json_object_get(it, "id"), iid, sizeof iid);
            int64_t want = catalog_count(json_object_get(json_object_get(it, "quantity"), "count"));
            /* the quote shows "99" or "0": the real figures from the catalog */
            int64_t avail = 0, max = -1;
            json_t *item = id ? catalog_item_ro(m->store, m->txn, q.provider_id, id) : NULL;
            if (item) {
                catalog_stock(m->store, m->txn, q.provider_id, id, &avail);
                max = catalog_item_max(item);
                json_decref(item);
            }
            const char *code = want > avail             ? ERR_QTY_UNAVAILABLE
                               : max >= 0 && want > max ? ERR_MAX_QTY_EXCEEDED
                                                        : NULL;
            if (id && code)
                json_array_append_new(list, json_pack("{s:s,s:s}", "item_id", id, "error", code));
        }
        char *text = jarena_dumps(list, JSON_COMPACT);
        json_decref(list);
        m->has_err = 1;
        m->err.type = ERR_TYPE_DOMAIN;
        snprintf(m->err.message, sizeof m->err.message, "%s", text ? text : "[]");
        free(text);
    } else if (!serviceable) {
        worker_fail(m, ERR_TYPE_DOMAIN, ERR_NOT_SERVICEABLE,
                    "message.order.fulfillments[0].end.location",
                    "the drop-off location is not serviceable by provider %s", q.provider_id);
    } else {
        json_t *t = s_txn_get(m);
        json_object_set_new(t, "select", json_pack("{s:O,s:I}", "items",
                                                   json_object_get(m->order, "items"), "total",
                                                   (json_int_t)q.total));
        json_t *sp = json_object_get(m->order, "payment");
        if (json_is_object(sp))
            json_object_set(json_object_get(t, "select"), "payment", sp);
        json_t *so = offers_selected(m->order);
        if (so)
            json_object_set_new(json_object_get(t, "select"), "offers", so);
        int rc = s_txn_put(m, t);
        json_decref(t);
        if (rc < 0) {
            quote_release(&q);
            return -1;
        }
    }
    json_object_set_new(json_object_get(m->message, "order"), "quote", json_copy(q.quote));
    quote_release(&q);
    return 0;
}

/* s_start - the fulfillment's start: the provider location the items
 * ship from, with the store's name and contact. */
static json_t *s_start(const quote_t *q, json_t *pful)
{
    json_t *loc = json_array_get(json_object_get(q->provider, "locations"), 0);
    json_t *l = json_object();
    static const char *keys[] = {"id", "gps", "address"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_object_get(loc, keys[i]))
            json_object_set(l, keys[i], json_object_get(loc, keys[i]));
    json_t *name = json_object_get(json_object_get(q->provider, "descriptor"), "name");
    if (name)
        json_object_set_new(l, "descriptor", json_pack("{s:O}", "name", name));
    json_t *start = json_pack("{s:o}", "location", l);
    json_t *contact = json_object_get(pful, "contact");
    if (contact)
        json_object_set(start, "contact", contact);
    return start;
}

/* s_location - the provider location ORDER ships from (its
 * provider.locations[0].id), else the provider's first; borrowed */
static json_t *s_location(const quote_t *q, json_t *order)
{
    char want[160];
    json_t *locs = json_object_get(q->provider, "locations");
    if (quote_id_str(
            json_object_get(
                json_array_get(json_object_get(json_object_get(order, "provider"), "locations"), 0),
                "id"),
            want, sizeof want)) {
        size_t i;
        json_t *l;
        json_array_foreach(locs, i, l)
        {
            const char *id = json_string_value(json_object_get(l, "id"));
            if (id && strcmp(id, want) == 0)
                return l;
        }
    }
    return json_array_get(locs, 0);
}

static json_t *s_provider_fulfillment(const quote_t *q)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(q->provider, "fulfillments"), i, f)
    {
        const char *id = json_string_value(json_object_get(f, "id"));
        if (id && strcmp(id, q->fulfillment_id) == 0)
            return f;
    }
    return json_array_get(json_object_get(q->provider, "fulfillments"), 0);
}

static int s_confirm(worker_msg_t *m)
{
    const char *bap = context_str(m->ctx, "bap_id");
    const char *tid = context_str(m->ctx, "transaction_id");
    json_t *reply_ctx = context_reply(m->cfg, m->ctx, m->now_ms);
    char ts[40];
    snprintf(ts, sizeof ts, "%s", context_str(reply_ctx, "timestamp"));
    json_decref(reply_ctx);
    /* a confirm retried on the same transaction: the order it made */
    json_t *prev = order_by_txn(m->store, m->txn, tid, bap);
    if (prev) {
        m->message = json_pack("{s:O}", "order", json_object_get(prev, "order"));
        json_decref(prev);
        return 0;
    }
    quote_t q;
    json_t *with_offers = s_offers_carried(m, "init");
    int built = quote_build(m->store, m->txn, with_offers, context_str(m->ctx, "core_version"), &q,
                            &m->err);
    json_decref(with_offers);
    if (built < 0) {
        m->has_err = 1;
        return 0;
    }
    if (q.soft) {
        m->has_err = 1; /* 40002 / 40009 from quote_build */
        quote_release(&q);
        return 0;
    }
    if (s_unserved(m, &q)) {
        quote_release(&q);
        return 0;
    }
    int64_t theirs;
    json_t *tq = json_object_get(json_object_get(m->order, "quote"), "price");
    json_t *t = s_txn_get(m);
    json_t *init_total = json_object_get(json_object_get(t, "init"), "total");
    if (json_is_integer(init_total) && json_integer_value(init_total) != q.total) {
        json_decref(t);
        quote_release(&q);
        return worker_fail(m, ERR_TYPE_DOMAIN, "40008", "message.order.quote",
                           "the quote changed since on_init: init it again");
    }
    json_decref(t);
    if (tq && (money_parse_json(json_object_get(tq, "value"), &theirs) < 0 || theirs != q.total)) {
        char want[32];
        money_format(q.total, want, sizeof want);
        quote_release(&q);
        return worker_fail(m, ERR_TYPE_DOMAIN, "40008", "message.order.quote.price.value",
                           "the quote does not match on_init's (%s)", want);
    }
    json_t *pay = s_payment(m, &q);
    if (!pay) {
        quote_release(&q);
        return 0;
    }
    /* the order id: the buyer app's, else ours */
    char oid[160];
    if (!quote_id_str(json_object_get(m->order, "id"), oid, sizeof oid)) {
        char u[37];
        reply_uuid(u);
        size_t n = 0;
        for (const char *c = u; *c && n < 32; c++)
            if (*c != '-')
                oid[n++] = *c;
        oid[n] = '\0';
    }
    char key[400];
    if (order_key(oid, bap, key, sizeof key) < 0) {
        json_decref(pay);
        quote_release(&q);
        return worker_fail(m, ERR_TYPE_JSON_SCHEMA, ERR_INVALID_REQUEST, "message.order.id",
                           "order id must be 1 to 128 printable characters");
    }
    json_t *dup = order_get(m->store, m->txn, key);
    if (dup) {
        json_decref(dup);
        json_decref(pay);
        quote_release(&q);
        return worker_fail(m, ERR_TYPE_DOMAIN, ERR_INVALID_REQUEST, "message.order.id",
                           "order id %s is already used by another transaction", oid);
    }
    /* reserve the stock: quote_build saw enough of every item */
    json_t *reserved = json_object();
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(q.quote, "breakup"), i, row)
    {
        const char *type = json_string_value(json_object_get(row, "@ondc/org/title_type"));
        char extra[160];
        int64_t n = 0;
        const char *iid;
        if (offers_extra_units(row, extra, sizeof extra, &n) == 0) {
            iid = extra; /* the units an offer gives (offers.h) */
        } else {
            if (!type || strcmp(type, "item") != 0)
                continue;
            iid = json_string_value(json_object_get(row, "@ondc/org/item_id"));
            n = catalog_count(
                json_object_get(json_object_get(row, "@ondc/org/item_quantity"), "count"));
        }
        int64_t stock = 0;
        if (!iid || n < 0 || catalog_stock(m->store, m->txn, q.provider_id, iid, &stock) < 0 ||
            stock < n) {
            /* IID points into Q: report before releasing it */
            worker_fail(m, ERR_TYPE_DOMAIN, ERR_QTY_UNAVAILABLE, "message.order.items",
                        "item %s: not enough stock", iid ? iid : "?");
            json_decref(reserved);
            json_decref(pay);
            quote_release(&q);
            return 0;
        }
        if (catalog_stock_set(m->store, m->txn, q.provider_id, iid, stock - n) < 0) {
            json_decref(reserved);
            json_decref(pay);
            quote_release(&q);
            return -1;
        }
        json_t *had = json_object_get(reserved, iid);
        json_object_set_new(reserved, iid, json_integer(n + (had ? json_integer_value(had) : 0)));
    }
    /* the order as the buyer app sees it */
    json_t *order = json_deep_copy(m->order);
    /* the offers chosen are select's and init's (ONDC's 1.2.5 schemas have
     * order.offers there only): from here on the quote's offer rows say them */
    json_object_del(order, "offers");
    json_object_set_new(order, "id", json_string(oid));
    int accepted = m->cfg->auto_accept;
    json_object_set_new(order, "state", json_string(accepted ? "Accepted" : "Created"));
    if (quote_retail12(context_str(m->ctx, "core_version")))
        quote_strip_item_quantity(q.quote);
    json_object_set(order, "quote", q.quote);
    json_object_set_new(order, "payment", pay);
    json_t *pful = s_provider_fulfillment(&q);
    const char *pname =
        json_string_value(json_object_get(json_object_get(q.provider, "descriptor"), "name"));
    json_t *fuls = json_object_get(order, "fulfillments");
    if (!json_is_array(fuls) || json_array_size(fuls) == 0) {
        fuls = json_pack("[{s:s,s:s}]", "id", q.fulfillment_id, "type", "Delivery");
        json_object_set_new(order, "fulfillments", fuls);
    }
    /* the delivery as on_select quoted it: TAT, tracking flag, windows
     * from now (or the store's opening) and the routing and tracking tags */
    char tat[32] = "";
    long ship_s = 0, deliver_s = 0;
    const char *category = s_tat(m, &q, tat, sizeof tat, &ship_s, &deliver_s);
    json_t *seller = json_object_get(q.provider, "seller");
    json_t *f;
    json_array_foreach(fuls, i, f)
    {
        json_object_set_new(
            f, "state",
            json_pack("{s:{s:s},s:s}", "descriptor", "code", "Pending", "updated_at", ts));
        order_state_stamp(f, context_str(m->ctx, "core_version"), ts);
        json_object_set_new(f, "@ondc/org/provider_name", json_string(pname ? pname : q.provider_id));
        json_object_set_new(f, "tracking", json_boolean(s_tracked(&q)));
        json_object_set_new(f, "@ondc/org/TAT", json_string(tat));
        json_object_set_new(f, "@ondc/org/category", json_string(category));
        json_object_set_new(f, "start", s_start(&q, pful));
        json_t *end = json_object_get(f, "end");
        if (json_is_object(end))
            json_object_del(end, "time");
        fulfillment_windows(f, s_location(&q, m->order), m->now_ms, ship_s, deliver_s);
        json_object_del(f, "tags");
        fulfillment_tags(f, json_string_value(json_object_get(seller, "routing")));
    }
    /* created_at is the confirm's time, as the buyer app stamped it */
    json_object_set_new(order, "created_at", json_string(context_str(m->ctx, "timestamp")));
    json_object_set_new(order, "updated_at", json_string(ts));
    /* the terms: the seller's bpp_terms, the buyer's bap_terms as sent */
    json_t *tags = json_array();
    json_t *bpp = catalog_bpp(m->store, m->txn);
    json_t *terms = terms_bpp_tag(bpp, q.provider);
    json_decref(bpp);
    if (terms)
        json_array_append_new(tags, terms);
    json_array_foreach(json_object_get(m->order, "tags"), i, f)
    {
        const char *code = json_string_value(json_object_get(f, "code"));
        if (code && strcmp(code, "bap_terms") == 0)
            json_array_append(tags, f);
    }
    if (json_array_size(tags))
        json_object_set_new(order, "tags", tags);
    else {
        json_decref(tags);
        json_object_del(order, "tags");
    }
    json_t *rec = json_object();
    json_object_set_new(rec, "key", json_string(key));
    json_object_set_new(rec, "bap_id", json_string(bap ? bap : ""));
    json_object_set_new(rec, "transaction_id", json_string(tid ? tid : ""));
    json_object_set_new(rec, "context", json_deep_copy(m->ctx));
    json_object_set(rec, "order", order);
    json_object_set_new(rec, "reserved", reserved);
    if (!accepted)
        json_object_set_new(rec, "accept_by_ms",
                            json_integer(m->now_ms + (int64_t)m->cfg->accept_window_s * 1000));
    int rc = order_put(m->store, m->txn, rec);
    if (rc == 0) /* the seller's backend hears of it (webhook.h) */
        rc = worker_event(m, "order.created", rec, NULL);
    json_decref(rec);
    m->message = json_pack("{s:o}", "order", order);
    log_info("order.created", "order_id", oid, "bap_id", bap, "state",
             accepted ? "Accepted" : "Created", NULL);
    quote_release(&q);
    return rc;
}

const worker_family_t family_order = {
    .family = FAMILY_ORDER,
    .handlers = {[ACT_SELECT] = s_select, [ACT_INIT] = s_init, [ACT_CONFIRM] = s_confirm},
};
