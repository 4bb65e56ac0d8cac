/*
 * idmap.c - a hash map from 64-bit ids to items. See idmap.h.
 *
 * Invariants: a slot is empty when its item is NULL; the table has a power
 * of two slots and at least twice as many as there are items; an id held
 * sits in the probe run that starts at its home slot, with no empty slot
 * between its home and itself (linear probing, wrapping at the end).
 */
#include "idmap.h"

#include <stdlib.h>

#define IDMAP_SLOTS_MIN 1024

typedef struct {
    uint64_t id;
    void *item;
} idmap_slot_t;

struct idmap_s {
    idmap_slot_t *t;
    size_t slots, n;
};

size_t idmap_home(uint64_t id, size_t slots)
{
    /* Fibonacci hashing: the product's top bits, which every bit of the
     * id moves (sequential ids spread evenly; ids that differ only in high
     * bits, too) */
    if (slots < 2)
        return 0;
    return (size_t)((id * 0x9E3779B97F4A7C15ULL) >> (64 - __builtin_ctzll(slots)));
}

idmap_t *idmap_new(void)
{
    return calloc(1, sizeof(idmap_t));
}

void idmap_destroy(idmap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->t);
    free(*self_p);
    *self_p = NULL;
}

/* s_find - the slot holding ID, or the empty slot that ends its probe run */
static size_t s_find(const idmap_t *self, uint64_t id)
{
    size_t mask = self->slots - 1, i = idmap_home(id, self->slots);
    while (self->t[i].item && self->t[i].id != id)
        i = (i + 1) & mask;
    return i;
}

/* s_grow - a table of SLOTS with every item moved over. -1: no memory */
static int s_grow(idmap_t *self, size_t slots)
{
    idmap_slot_t *t = calloc(slots, sizeof *t);
    if (!t)
        return -1;
    idmap_slot_t *old = self->t;
    size_t oldslots = self->slots;
    self->t = t;
    self->slots = slots;
    for (size_t i = 0; i < oldslots; i++)
        if (old[i].item)
            self->t[s_find(self, old[i].id)] = old[i];
    free(old);
    return 0;
}

int idmap_insert(idmap_t *self, uint64_t id, void *item)
{
    if (!item)
        return -1;
    if ((self->n + 1) * 2 > self->slots &&
        s_grow(self, self->slots ? self->slots * 2 : IDMAP_SLOTS_MIN) != 0)
        return -1;
    size_t i = s_find(self, id);
    if (!self->t[i].item)
        self->n++;
    self->t[i].id = id;
    self->t[i].item = item;
    return 0;
}

void *idmap_lookup(const idmap_t *self, uint64_t id)
{
    if (!self->slots)
        return NULL;
    return self->t[s_find(self, id)].item;
}

void *idmap_delete(idmap_t *self, uint64_t id)
{
    if (!self->slots)
        return NULL;
    size_t mask = self->slots - 1, i = s_find(self, id);
    void *item = self->t[i].item;
    if (!item)
        return NULL;
    self->t[i].item = NULL;
    self->n--;
    /* the rest of the run goes in again, so no later id is cut off from
     * its home by the slot just emptied */
    for (i = (i + 1) & mask; self->t[i].item; i = (i + 1) & mask) {
        idmap_slot_t s = self->t[i];
        self->t[i].item = NULL;
        self->t[s_find(self, s.id)] = s;
    }
    return item;
}

size_t idmap_size(const idmap_t *self)
{
    return self->n;
}

void *idmap_next(const idmap_t *self, size_t *cursor, uint64_t *id_p)
{
    for (size_t i = *cursor; i < self->slots; i++)
        if (self->t[i].item) {
            *cursor = i + 1;
            if (id_p)
                *id_p = self->t[i].id;
            return self->t[i].item;
        }
    *cursor = self->slots;
    return NULL;
}

size_t idmap_slots(const idmap_t *self)
{
    return self->slots;
}
