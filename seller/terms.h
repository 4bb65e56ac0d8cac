/*
 * terms.h - the seller's payment, settlement and legal terms as ONDC
 * retail 1.2.0 spells them on on_init, on_confirm and every later message.
 *
 * The seller's own terms live in the catalog, per provider, under
 * "seller" (payment, settlement, tax_number, provider_tax_number,
 * np_tax_number, invoice_url, tracking, routing); the seller app's network participant type is the
 * bpp_terms np_type tag of "bpp/descriptor". These helpers map them onto
 * the values the spec allows and never fail: a value outside the spec's
 * set falls back to the spec's default (settlement basis "delivery",
 * finder fee type "percent", np_type "MSN"). They read no config key.
 */
#ifndef ONDC_TERMS_H
#define ONDC_TERMS_H

#include <jansson.h>

/* terms_settlement_basis - BASIS as the spec spells it: "shipment",
 * "delivery" or "return_window_expiry" (any case); "delivery" for
 * anything else or NULL. Static string. */
const char *terms_settlement_basis(const char *basis);

/* terms_finder_fee_type - "percent" or "amount" ("fixed" and "flat" are
 * amounts); NULL for anything else. Static string. */
const char *terms_finder_fee_type(const char *type);

/* terms_finder_fee - the buyer app finder fee the buyer app declared:
 * the first of DECLARED (objects holding @ondc/org/buyer_app_finder_fee_type
 * and _amount: the init or confirm payment, then the search intent's)
 * with both set and a known type, else the seller's default from TERMS
 * (the provider's seller.payment). Sets both keys on PAY. */
void terms_finder_fee(json_t *pay, json_t *const *declared, int n, json_t *terms);

/* terms_bpp_tag - the bpp_terms tag group of PROVIDER's orders: np_type
 * (from BPP, the catalog's bpp record), tax_number (for a marketplace,
 * MSN, the seller app's own GSTIN, seller.np_tax_number; else, or when
 * that is not given, the provider's seller.tax_number) and provider_tax_number
 * (seller.provider_tax_number, else the PAN inside the GSTIN, characters 3 to 12); NULL when the
 * provider has no tax number. Caller owns. */
json_t *terms_bpp_tag(json_t *bpp, json_t *provider);

/* terms_documents - order.documents once the order is picked up: the
 * invoice, at seller.invoice_url with "{order_id}" replaced, else at
 * BPP_URI/invoices/{order id}. Caller owns; NULL on a bad order id. */
json_t *terms_documents(json_t *provider, const char *bpp_uri, const char *order_id);

#endif
