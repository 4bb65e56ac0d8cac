/*
 * catalog_sync.h - the rules that make a catalog safe to sync from the
 * seller's own systems, over and above ONDC's (catalog_rules.h):
 *
 * Checked on every catalog before it is written (catalog_validate calls
 * catalog_sync_check), refused with the field named:
 *   - each provider has locations, fulfillments (non-empty arrays) and
 *     settlement terms: "seller"."settlement" with "details", each naming
 *     settlement_counterparty, settlement_type and the account the type
 *     needs (neft/rtgs: settlement_bank_account_no and
 *     settlement_ifsc_code; upi: upi_address) - an order is never
 *     confirmed with nowhere to send the money;
 *   - the seller's terms ("seller") hold only the keys the node reads:
 *     a typo ("setlement", "charges.delivry") is an error, not a term
 *     silently ignored;
 *   - amounts are decimal strings ("99.00"), never JSON numbers: item
 *     price.value and price.maximum_value, seller.charges.*,
 *     payment.buyer_app_finder_fee_amount, settlement.withholding_amount;
 *   - an item's MRP (price.maximum_value) is not below its price;
 *   - the top-level "stock" is "keep" (the default) or "set".
 *
 * The stock rule of an import (catalog_sync_stock): an item new to the
 * store starts with its quantity.available.count (0 when absent); an item
 * already in the store keeps its live stock - what orders took stays
 * taken - unless the file's top-level "stock" is "set", when every item's
 * quantity.available.count becomes its stock. Stock moves otherwise by
 * PATCH (stock, stock_delta) or catalog_sync_stock_changes (absolute
 * values and deltas, many items in one transaction).
 *
 * No config keys.
 */
#ifndef ONDC_CATALOG_SYNC_H
#define ONDC_CATALOG_SYNC_H

#include "err.h"
#include "store.h"

#include <jansson.h>

/* catalog_sync_check - the rules above on catalog ROOT; 0, or -1 with
 * ERR (30000, path "bpp/providers[0].seller.settlement.details"). */
int catalog_sync_check(json_t *root, ondc_err_t *err);

/* catalog_sync_stock - write the stock an import gives item IT of PID
 * (the rule above; ROOT is the catalog being imported). 0 or -1. */
int catalog_sync_stock(store_t *s, MDB_txn *txn, json_t *root, const char *pid, json_t *it);

/* catalog_sync_patch - catalog_patch_item with the MRP kept honest:
 * PATCH may also carry "maximum_value" (the MRP, a decimal string), and
 * a price above the MRP (the one given, else the stored one) is refused
 * naming the field. -1 with ERR (nothing written). */
int catalog_sync_patch(store_t *s, MDB_txn *txn, const char *pid, const char *iid, json_t *patch,
                       ondc_err_t *err);

/* catalog_sync_stock_changes - CHANGES, an array of {"item_id",
 * "provider_id"? (needed when several providers list the item), and
 * "stock" (absolute) or "delta" (added; negative takes)}, applied in TXN
 * in order; -1 with ERR naming the entry ("changes[2].delta") and nothing
 * to commit (the caller aborts). *RESULT (caller owns) gets
 * [{"provider_id", "item_id", "stock"}] with each new stock. */
int catalog_sync_stock_changes(store_t *s, MDB_txn *txn, json_t *changes, json_t **result,
                               ondc_err_t *err);

#endif
