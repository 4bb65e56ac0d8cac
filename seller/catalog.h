/*
 * catalog.h - the seller's catalog and stock in LMDB.
 *
 * The catalog file is the ONDC on_search catalog shape ("bpp/descriptor",
 * "bpp/fulfillments", "bpp/providers" with locations, categories, items)
 * plus, per provider, a "seller" object with the seller's own terms that
 * never appear in a catalog: charges, payment and settlement terms,
 * support contacts, serviceability. Stock is the items'
 * quantity.available.count at import, then lives in "inventory".
 *
 * Keys in "catalog": "bpp" -> {descriptor, fulfillments};
 * "p/{provider}" -> provider without items; "i/{provider}/{item}" -> item;
 * index keys (empty values), kept with every item write:
 * "x/t/{name token}\x1f{provider}\x1f{item}", "x/c/{category}\x1f{provider}\x1f{item}",
 * "x/i/{item}\x1f{provider}", "x/g/{group}\x1f{provider}\x1f{item}" (the
 * variant group of a variant, the custom group of a customization). Ids and references may not hold control
 * characters, so the separator is unambiguous.
 * Keys in "inventory": "{provider}/{item}" -> stock as decimal text.
 * Values are compact JSON; getters return a parsed copy the caller owns.
 */
#ifndef ONDC_CATALOG_H
#define ONDC_CATALOG_H

#include "err.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

typedef enum { CATALOG_REPLACE = 0, CATALOG_UPSERT = 1 } catalog_mode_t;

/* catalog_validate - check ROOT is an importable catalog; -1 with ERR
 * naming the field ("bpp/providers[0].items[2].price.value"). */
int catalog_validate(json_t *root, ondc_err_t *err);

/* catalog_import - validate, then write ROOT in TXN (replace: everything
 * else goes). On -1 nothing was written by this call (the caller aborts). */
int catalog_import(store_t *s, MDB_txn *txn, json_t *root, catalog_mode_t mode, ondc_err_t *err);

/* catalog_bpp - {"descriptor", "fulfillments"} of the seller app; caller owns. */
json_t *catalog_bpp(store_t *s, MDB_txn *txn);

/* catalog_provider - provider PID (without items); caller owns; NULL if none. */
json_t *catalog_provider(store_t *s, MDB_txn *txn, const char *pid);

/* catalog_item - item IID of PID; caller owns; NULL if none. */
json_t *catalog_item(store_t *s, MDB_txn *txn, const char *pid, const char *iid);

/* catalog_provider_ro, catalog_item_ro - the same, shared with this
 * process's parse cache: the caller holds one reference (json_decref it)
 * and must not change the object or anything in it. An entry is used only
 * while the stored bytes are the ones it was parsed from. Not thread-safe. */
json_t *catalog_provider_ro(store_t *s, MDB_txn *txn, const char *pid);
json_t *catalog_item_ro(store_t *s, MDB_txn *txn, const char *pid, const char *iid);

/* catalog_cache_clear - empty the parse cache (at exit, for leak checks). */
void catalog_cache_clear(void);

/* catalog_put_item - store ITEM (its "id") under PID. */
int catalog_put_item(store_t *s, MDB_txn *txn, const char *pid, json_t *item);

/* catalog_stock - current stock of PID/IID into *STOCK; 0, or -1 if none. */
int catalog_stock(store_t *s, MDB_txn *txn, const char *pid, const char *iid, int64_t *stock);

/* catalog_stock_set - set the stock of PID/IID. */
int catalog_stock_set(store_t *s, MDB_txn *txn, const char *pid, const char *iid, int64_t stock);

/* catalog_stock_add - add N units (negative: take) to PID/IID's stock,
 * held to 0..CATALOG_COUNT_MAX: -1 when it would go below 0 or N is out of
 * bounds; 0 (nothing changed) for an item without stock. */
int catalog_stock_add(store_t *s, MDB_txn *txn, const char *pid, const char *iid, int64_t n);

/* catalog_item_price - the item's price.value in paise; 0 or -1. */
int catalog_item_price(json_t *item, int64_t *paise);

/* catalog_item_max - the item's quantity.maximum.count, or -1 if unlimited. */
int64_t catalog_item_max(json_t *item);

/* the most units of anything: stock, a maximum, a quantity. Any two added
 * stay far inside int64_t. */
#define CATALOG_COUNT_MAX 1000000000LL

/* catalog_count - a count from a string of digits or an integer JSON
 * value, 0..CATALOG_COUNT_MAX; -1 otherwise (negative, too large, "+1",
 * " 1", "1e3", a real). */
int64_t catalog_count(json_t *v);

typedef int(catalog_item_fn)(const char *pid, json_t *item, void *arg);

/* catalog_each_item - call FN for every item of PID (NULL: every provider). */
int catalog_each_item(store_t *s, MDB_txn *txn, const char *pid, catalog_item_fn *fn, void *arg);

typedef int(catalog_provider_fn)(json_t *provider, void *arg);

/* catalog_each_provider - call FN for every provider. */
int catalog_each_provider(store_t *s, MDB_txn *txn, catalog_provider_fn *fn, void *arg);

/* catalog_parse_gps - "lat,lng" (spaces allowed after the comma); 0 or -1. */
int catalog_parse_gps(const char *s, double *lat, double *lng);

#define CATALOG_TOKEN_MAX 64

typedef int(catalog_token_fn)(const char *token, void *arg);

/* catalog_tokens - call FN with each search token of TEXT: runs of ASCII
 * letters and digits (lower-cased) and non-ASCII bytes, at most
 * CATALOG_TOKEN_MAX-1 bytes each. Stops early when FN returns non-zero
 * (and returns that). */
int catalog_tokens(const char *text, catalog_token_fn *fn, void *arg);

typedef int(catalog_ref_fn)(const char *pid, const char *iid, void *arg);

/* catalog_each_indexed - call FN for every item in index KIND ("t" name
 * token, "c" category id, "g" variant or custom group) under TERM; PREFIX: every term starting with
 * TERM. FN returns non-zero to stop. Reads only the matching index keys. */
int catalog_each_indexed(store_t *s, MDB_txn *txn, const char *kind, const char *term, int prefix,
                         catalog_ref_fn *fn, void *arg);

/* catalog_item_providers - ids of the providers (at most CAP) that have an
 * item IID; returns how many. */
int catalog_item_providers(store_t *s, MDB_txn *txn, const char *iid, char pids[][160], int cap);

/* catalog_patch_item - apply PATCH {price, stock | stock_delta, enabled,
 * maximum} to PID/IID in TXN; -1 with ERR naming the field (nothing
 * written). stock_delta adds to (or, negative, takes from) the stock. */
int catalog_patch_item(store_t *s, MDB_txn *txn, const char *pid, const char *iid, json_t *patch,
                       ondc_err_t *err);

#endif
