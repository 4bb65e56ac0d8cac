/*
 * idmap.h - a hash map from 64-bit ids to items.
 *
 * Open addressing with linear probing in a table of a power of two slots,
 * at most half full (it doubles when an insert would pass that). Any id
 * may be a key; items are borrowed, never NULL, and left alone when the
 * map is destroyed. A deletion moves the rest of its probe run back, so
 * there are no tombstones. Plumbing: knows nothing of ONDC.
 */
#ifndef ONDC_IDMAP_H
#define ONDC_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct idmap_s idmap_t;

/* idmap_new - an empty map; caller owns it. NULL when out of memory. */
idmap_t *idmap_new(void);

/* idmap_destroy - free the map, not its items (accepts NULL, NULLs the
 * pointer). */
void idmap_destroy(idmap_t **self_p);

/* idmap_insert - ITEM (borrowed while held; not NULL) under ID, in place
 * of any item held under ID. 0, or -1 when out of memory or ITEM is NULL
 * (the map is as it was). */
int idmap_insert(idmap_t *self, uint64_t id, void *item);

/* idmap_lookup - the item held under ID, or NULL. */
void *idmap_lookup(const idmap_t *self, uint64_t id);

/* idmap_delete - stop holding ID; returns its item, or NULL when none was
 * held. */
void *idmap_delete(idmap_t *self, uint64_t id);

/* idmap_size - how many ids are held. */
size_t idmap_size(const idmap_t *self);

/* idmap_next - walk the items: *CURSOR starts at 0; each call returns the
 * next item (its id into *ID_P unless ID_P is NULL), NULL after the last.
 * The map must not change during a walk. */
void *idmap_next(const idmap_t *self, size_t *cursor, uint64_t *id_p);

/* idmap_slots - the table's slots now (0 before the first insert). */
size_t idmap_slots(const idmap_t *self);

/* idmap_home - the slot where ID's probe starts in a table of SLOTS (a
 * power of two): ids with the same home collide. For tests. */
size_t idmap_home(uint64_t id, size_t slots);

#endif
