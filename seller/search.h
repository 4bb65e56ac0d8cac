/*
 * search.h - answering a search intent from the catalog in LMDB.
 *
 * A fulfillment type is a provider's offer (a store that offers
 * Self-Pickup hands over any of its items at the counter).
 *
 * Intents, as buyer apps send them (core 1.0.0 and retail 1.2.x alike):
 * item name (case-insensitive; every token must match a token of the
 * item's name, the last one as a prefix), category id, provider id or
 * name, fulfillment type (Delivery, Self-Pickup) and end location (gps
 * within a provider location's serviceable radius, or an area code that a
 * location serves), payment type (ON-ORDER, ON-FULFILLMENT), and the
 * context city ("std:NNN" or "*"). No intent: the whole catalog for the
 * city.
 *
 * Variants and customizations: a name or category search that shows an
 * item shows the other variants of its group and the customizations its
 * custom groups offer (as far as their child groups go), found through
 * the "g" index; a customization is never matched on its own. The
 * provider's offers are shown at 1.2.5 only.
 *
 * Reads only what can match: a name search walks the index of its most
 * selective token, a category search the category index, a provider
 * search that provider's items; only a city-wide search reads every item.
 *
 * The answer is one or more on_search messages ("pages"), each at most
 * max_bytes of JSON: providers are split across pages, and a provider with
 * more items than fit repeats in the next page with the rest of its items
 * (buyer apps merge on_search callbacks of one message_id, as they do for
 * several seller apps). No match: no page at all (a seller app that has
 * nothing for a search does not answer it).
 */
#ifndef ONDC_SEARCH_H
#define ONDC_SEARCH_H

#include "cfg.h"
#include "err.h"
#include "store.h"

#include <jansson.h>
#include <stddef.h>

#define SEARCH_TOKENS_MAX 8

typedef struct {
    char city[64];
    char domain[32]; /* context.domain: a retail domain sees its own providers */
    char tokens[SEARCH_TOKENS_MAX][64]; /* item name tokens */
    int ntokens;
    char category[160];
    char provider_id[160];
    char ptokens[SEARCH_TOKENS_MAX][64]; /* provider name tokens */
    int nptokens;
    char fulfillment_type[32];
    int has_gps;
    double lat, lng;
    char area_code[16];
    char payment_type[32];
    char core_version[16]; /* 1.2.5: the providers' offers are shown */
} search_intent_t;

typedef struct {
    size_t providers_read, items_read, items_matched, pages;
} search_stats_t;

/* search_parse - the intent of a search request (CTX its context, MESSAGE
 * its message). 0, or -1 with ERR (30000 and the path) on a malformed
 * intent. */
int search_parse(json_t *ctx, json_t *message, search_intent_t *q, ondc_err_t *err);

/* search_run - match Q in TXN; *PAGES gets a new array of on_search
 * messages ({"catalog": ...}), empty when nothing matches. MAX_BYTES
 * bounds each page's JSON. 0, or -1 on a store failure. */
int search_run(store_t *s, MDB_txn *txn, const search_intent_t *q, size_t max_bytes,
               json_t **pages, search_stats_t *st);

/* search_pool_clear - free the text buffers kept from one search to the
 * next (at exit, for leak checks). */
void search_pool_clear(void);

/* search_run_raw - search_run with each page a jdump_raw value (jdump.h):
 * its text made from the items' kept on_search texts
 * (catalog_render.h), written out as it is. What the discovery worker
 * sends. */
int search_run_raw(store_t *s, MDB_txn *txn, const search_intent_t *q, size_t max_bytes,
                   json_t **pages, search_stats_t *st);

/* search_item_out - stored ITEM of PID as on_search shows it: without the
 * seller's own fields, quantity.available "99" in stock or "0", maximum
 * at most 99. Caller owns. */
json_t *search_item_out(store_t *s, MDB_txn *txn, const char *pid, json_t *item);

/* search_provider_serves - whether a location of PROV (LOC_ID's, when it
 * is non-empty) delivers to GPS ("lat,lng") / AREA_CODE; 1 when neither
 * is given. */
int search_provider_serves(json_t *prov, const char *gps, const char *area_code,
                           const char *loc_id);

/* search_distance_km - great-circle distance between two points. */
double search_distance_km(double lat1, double lng1, double lat2, double lng2);

#endif
