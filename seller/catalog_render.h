/*
 * catalog_render.h - each item's on_search text, made when the item is
 * written, so that a search copies bytes instead of parsing, copying and
 * printing every item it shows.
 *
 * Keys in "catalog": "s/{provider}/{item}" for every item a search may
 * show (none for a disabled item), kept by catalog.c with every item write
 * and delete. The value: a header line "{flags}\x1f{category_id}\x1f
 * {location_id}\x1f{maximum}\n" (flags: 'o' a customization, 'c'
 * available on cash on delivery; maximum -1 for none), then the item's
 * compact JSON without "enabled" and "quantity" and without its closing
 * brace, "\x1e", and the members of its quantity other than available and
 * maximum. The quantity is written at search time from the live stock:
 * available "99" in stock or "0", maximum at most 99 (retail 1.2.0), as
 * search_item_out has it.
 */
#ifndef ONDC_CATALOG_RENDER_H
#define ONDC_CATALOG_RENDER_H

#include "jdump.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

typedef struct {
    int option, cod;
    const char *category, *location; /* into the record; not terminated */
    size_t category_len, location_len;
    int64_t maximum;
    const char *prefix, *rest; /* into the record */
    size_t prefix_len, rest_len;
} catalog_render_t;

/* catalog_render_put - write (or, for a disabled item, delete) the
 * on_search text of ITEM of PID in TXN. 0 or -1. */
int catalog_render_put(store_t *s, MDB_txn *txn, const char *pid, json_t *item);

/* catalog_render_del - delete the text of PID/IID (none is fine). 0 or -1. */
int catalog_render_del(store_t *s, MDB_txn *txn, const char *pid, const char *iid);

/* catalog_render_parse - split record REC (LEN bytes) into R (pointing
 * into REC); 0, or -1 when it is not one. */
int catalog_render_parse(const char *rec, size_t len, catalog_render_t *r);

/* catalog_render_item - append R's item with its quantity for STOCK to
 * OUT. 0 or -1 (out of memory). */
int catalog_render_item(const catalog_render_t *r, int64_t stock, jdump_t *out);

/* catalog_render_get - the record of PID/IID in TXN into R (valid until
 * TXN ends); 0, or -1 when there is none. */
int catalog_render_get(store_t *s, MDB_txn *txn, const char *pid, const char *iid,
                       catalog_render_t *r);

#endif
