/*
 * family_order.c - the order family: select, init, confirm.
 *
 * init: the quote is recomputed from the catalog (never trusted from the
 * buyer); billing, fulfillments and items are echoed; payment terms and
 * settlement details come from the provider's seller data. init works with
 * or without a prior select.
 */
#include "worker.h"

#include "catalog.h"
#include "money.h"
#include "quote.h"

#include <stdio.h>
#include <string.h>

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
        json_decref(pay);
        worker_fail(m, ERR_TYPE_DOMAIN, ERR_PAYMENT_NOT_SUPPORTED, "message.order.payment.type",
                    "payment type %s is not supported for this order", type);
        return NULL;
    }
    json_object_set_new(pay, "type", json_string(type));
    if (!json_object_get(pay, "collected_by"))
        json_object_set_new(pay, "collected_by",
                            json_string(strcmp(type, "ON-FULFILLMENT") == 0 ? "BPP" : "BAP"));
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
    json_t *details = json_object_get(settle, "details");
    if (json_is_array(details))
        json_object_set(pay, "@ondc/org/settlement_details", details);
    return pay;
}

/* s_on_init - message.order of on_init. */
static int s_init(worker_msg_t *m)
{
    quote_t q;
    if (quote_build(m->store, m->txn, m->order, context_str(m->ctx, "core_version"), &q, &m->err) < 0) {
        m->has_err = 1;
        return 0;
    }
    if (q.soft) {
        /* init must be for what can be had; the buyer app selects again */
        m->has_err = 1;
        quote_release(&q);
        return 0;
    }
    json_t *pay = s_payment(m, &q);
    if (!pay) {
        quote_release(&q);
        return 0;
    }
    json_t *order = json_object();
    json_t *prov = json_pack("{s:s}", "id", q.provider_id);
    json_t *locs = json_object_get(json_object_get(m->order, "provider"), "locations");
    if (json_is_array(locs)) {
        json_object_set(prov, "locations", locs);
        json_t *loc_id = json_object_get(json_array_get(locs, 0), "id");
        if (loc_id)
            json_object_set_new(order, "provider_location", json_pack("{s:O}", "id", loc_id));
    }
    json_object_set_new(order, "provider", prov);
    static const char *echo[] = {"items", "billing", "fulfillments", "tags"};
    for (size_t i = 0; i < sizeof echo / sizeof echo[0]; i++) {
        json_t *v = json_object_get(m->order, echo[i]);
        if (v)
            json_object_set(order, echo[i], v);
    }
    json_object_set(order, "quote", q.quote);
    json_object_set_new(order, "payment", pay);
    json_t *tax_number = json_object_get(json_object_get(q.provider, "seller"), "tax_number");
    if (json_is_string(tax_number) && !json_object_get(order, "tags"))
        json_object_set_new(
            order, "tags",
            json_pack("[{s:s,s:[{s:s,s:O}]}]", "code", "bpp_terms", "list", "code", "tax_number",
                      "value", tax_number));
    m->message = json_pack("{s:o}", "order", order);
    quote_release(&q);
    return 0;
}

const worker_family_t family_order = {
    .family = FAMILY_ORDER,
    .handlers = {[ACT_INIT] = s_init},
};
