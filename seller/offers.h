/*
 * offers.h - provider offers (ONDC retail 1.2.5): in the catalog, in the
 * quote.
 *
 * A provider's "offers" in the catalog file are ONDC's 1.2.5 offer
 * construct: id; descriptor.code discount, buyXgetY, freebie, slab, combo
 * or delivery; item_ids and/or category_ids (what the offer applies to),
 * location_ids, time {label valid, range {start, end}}; tags qualifier
 * (min_value, item_count, item_count_upper, item_id), benefit (value_type
 * percent|amount, value, value_cap, item_count, item_id, item_value) and
 * meta (additive, auto: yes|no). Import refuses, naming the field, an
 * offer without items or categories, an item id the provider does not
 * have, an unknown type, a tag an offer of its type needs missing.
 *
 * Applying (retail 1.2.5 select, init, confirm): an offer applies when it
 * is valid now, at one of the order's locations, to an item of the cart,
 * and its qualifier holds. The qualifier's min_value is on the cart value
 * (the items' rows, without tax, delivery or packing, as ONDC's offer
 * document has it). Offers with meta auto "yes" are applied unless the
 * buyer app declines them (order.offers[] {id, tags selection apply
 * "no"}); others when the buyer app names them in order.offers[]. A non
 * additive offer is the only one applied: when the buyer app names one,
 * it and nothing else; when it names none, the auto offers that add up,
 * or the best single non-additive one when that gives more. Each applied
 * offer is a quote row of title_type "offer" whose @ondc/org/item_id is
 * the offer id, with item.tags quote {type order|fulfillment} and offer
 * {id, type, additive, auto[, item_id, item_count, item_value]}:
 *   discount  - the amount, or the percent of the cart value up to value_cap
 *   delivery  - the same of the delivery charge, at most the charge
 *   slab      - the same of the offer items' value, when their count is
 *               from item_count to item_count_upper
 *   combo     - the same of the value of the offer items and the
 *               qualifier's item_id items, all in the cart
 *   buyXgetY  - for each item_count (X) offer items, benefit item_count (Y)
 *               more of benefit item_id (else the first offer item) at
 *               item_value each: the row's quantity and price (>= 0)
 *   freebie   - benefit item_count of benefit item_id at 0.00
 * The extra units of buyXgetY and freebie come from stock like any other
 * (taken at confirm).
 *
 * Errors: an offer named that the provider does not have, or that does
 * not apply (expired, another location, none of its items in the cart,
 * below min_value or item_count, two non-additive offers) is 30006 with
 * the path of the offer in order.offers; an offer whose extra items are
 * out of stock is 30007.
 */
#ifndef ONDC_OFFERS_H
#define ONDC_OFFERS_H

#include "err.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

#define ERR_OFFER_INVALID "30006"
#define ERR_OFFER_UNFULFILLABLE "30007"

/* offers_check - the offers of catalog provider PROV (BASE its path); 0,
 * or -1 with ERR naming the field. */
int offers_check(json_t *prov, const char *base, ondc_err_t *err);

/* one item row of a quote, as offers_apply reads it */
typedef struct {
    const char *id;       /* borrowed */
    const char *category; /* borrowed, may be NULL */
    const char *location; /* borrowed, may be NULL */
    int64_t count;
    int64_t unit, line; /* paise */
} offers_line_t;

typedef struct {
    store_t *s;
    MDB_txn *txn;
    const char *provider_id;
    json_t *provider;          /* the catalog provider (its offers) */
    json_t *order;             /* the request's order: locations, offers[] */
    const offers_line_t *lines;
    size_t nlines;
    int64_t delivery;          /* the delivery charge in the quote, paise */
    const char *fulfillment_id;
    int64_t now_ms;
} offers_ctx_t;

/* offers_apply - the offer rows for the cart C describes: appended to
 * BREAKUP, their sum (negative for a benefit) added to *TOTAL. 0, or -1
 * with ERR (30006 / 30007) and BREAKUP as it was. */
int offers_apply(const offers_ctx_t *c, json_t *breakup, int64_t *total, ondc_err_t *err);

/* offers_extra_units - an offer row's extra units (buyXgetY, freebie):
 * the item id into IID and the count into *N; 0, or -1 if ROW has none. */
int offers_extra_units(json_t *row, char *iid, size_t cap, int64_t *n);

/* offers_selected - the offer ids ORDER names (order.offers[].id), for a
 * later request of the transaction that names none; caller owns; NULL if
 * ORDER has no "offers". */
json_t *offers_selected(json_t *order);

#endif
