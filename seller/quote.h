/*
 * quote.h - pricing an order from the catalog: the ONDC quote.
 *
 * The buyer's prices are never trusted: every amount is recomputed from the
 * catalog in paise. Rows: one "item" row per item (unit price x quantity,
 * with the item's price and available/maximum quantity; in retail 1.2.x
 * @ondc/org/item_quantity.count is an integer and available/maximum are
 * "99" in stock, "0" out, shown on on_select only), then "delivery"
 * and "packing" once per order (the provider's seller.charges), a "tax" row
 * per item when seller.charges.tax_percent is set, and a "discount" row
 * (negative) when seller.charges.discount is set. The rows sum exactly to
 * quote.price.
 */
#ifndef ONDC_QUOTE_H
#define ONDC_QUOTE_H

#include "err.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

typedef struct {
    json_t *quote;    /* {"price","breakup","ttl"}; owned */
    json_t *provider; /* the catalog provider; owned */
    int64_t total;    /* paise */
    int cod_ok;       /* every item may be paid on delivery */
    int soft;         /* 1: ERR is set but the quote covers what is available */
    char provider_id[160];
    char fulfillment_id[64];
} quote_t;

/* quote_build - price ORDER (message.order of select/init/confirm) in TXN.
 * CORE_VERSION picks the delivery row's item id ("" in 1.0.0, the
 * fulfillment id in 1.2.x). Returns 0 with Q filled (release it with
 * quote_release), possibly with Q->soft and ERR set (40002 out of stock,
 * 40009 over the maximum: the quote is for what can be had); -1 with ERR
 * (30001 provider, 30004 item, 30000 malformed) and nothing to release. */
int quote_build(store_t *s, MDB_txn *txn, json_t *order, const char *core_version, quote_t *q,
                ondc_err_t *err);

/* quote_retail12 - whether CORE_VERSION is retail 1.2.x, whose rules
 * (quote shapes, payment terms) this node follows; 1.0.0 keeps the seed's. */
int quote_retail12(const char *core_version);

/* quote_strip_item_quantity - drop item.quantity from QUOTE's rows: it
 * belongs to on_select only, never to on_init, on_confirm or later. */
void quote_strip_item_quantity(json_t *quote);

/* quote_release - free what Q holds. */
void quote_release(quote_t *q);

/* quote_id_str - a JSON id (string or integer) as text in BUF; NULL if neither. */
const char *quote_id_str(json_t *v, char *buf, size_t cap);

#endif
