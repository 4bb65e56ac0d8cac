/*
 * heap.c - a binary min-heap of items by a 64-bit key. See heap.h.
 *
 * Invariants: entries [0, n) of the array are held; every entry's key is
 * no smaller than its parent's ((i - 1) / 2). The array grows by doubling
 * and never shrinks while the heap lives.
 */
#include "heap.h"

#include <stdlib.h>

#define HEAP_CAP_MIN 256

typedef struct {
    int64_t key;
    void *item;
} heap_entry_t;

struct heap_s {
    heap_entry_t *e;
    size_t n, cap;
};

heap_t *heap_new(void)
{
    return calloc(1, sizeof(heap_t));
}

void heap_destroy(heap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->e);
    free(*self_p);
    *self_p = NULL;
}

/* s_up - put E, whose place is free at I, as far up as its key goes */
static void s_up(heap_t *self, size_t i, heap_entry_t e)
{
    while (i > 0 && self->e[(i - 1) / 2].key > e.key) {
        self->e[i] = self->e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    self->e[i] = e;
}

/* s_down - put E, whose place is free at I, as far down as its key goes */
static void s_down(heap_t *self, size_t i, heap_entry_t e)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= self->n)
            break;
        if (c + 1 < self->n && self->e[c + 1].key < self->e[c].key)
            c++;
        if (self->e[c].key >= e.key)
            break;
        self->e[i] = self->e[c];
        i = c;
    }
    self->e[i] = e;
}

/* s_place - put E at the free place I, up or down as its key goes */
static void s_place(heap_t *self, size_t i, heap_entry_t e)
{
    if (i > 0 && self->e[(i - 1) / 2].key > e.key)
        s_up(self, i, e);
    else
        s_down(self, i, e);
}

/* s_find - where ITEM is held, or N when it is not */
static size_t s_find(const heap_t *self, const void *item)
{
    size_t i = 0;
    while (i < self->n && self->e[i].item != item)
        i++;
    return i;
}

int heap_push(heap_t *self, int64_t key, void *item)
{
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : HEAP_CAP_MIN;
        heap_entry_t *e = realloc(self->e, cap * sizeof *e);
        if (!e)
            return -1;
        self->e = e;
        self->cap = cap;
    }
    heap_entry_t e = {key, item};
    s_up(self, self->n++, e);
    return 0;
}

void *heap_peek(const heap_t *self, int64_t *key_p)
{
    if (!self->n)
        return NULL;
    if (key_p)
        *key_p = self->e[0].key;
    return self->e[0].item;
}

void *heap_pop(heap_t *self, int64_t *key_p)
{
    if (!self->n)
        return NULL;
    heap_entry_t top = self->e[0];
    heap_entry_t last = self->e[--self->n];
    if (self->n)
        s_down(self, 0, last);
    if (key_p)
        *key_p = top.key;
    return top.item;
}

int heap_rekey(heap_t *self, const void *item, int64_t key)
{
    size_t i = s_find(self, item);
    if (i == self->n)
        return -1;
    heap_entry_t e = {key, self->e[i].item};
    s_place(self, i, e);
    return 0;
}

int heap_remove(heap_t *self, const void *item)
{
    size_t i = s_find(self, item);
    if (i == self->n)
        return -1;
    heap_entry_t last = self->e[--self->n];
    if (i < self->n)
        s_place(self, i, last);
    return 0;
}

size_t heap_size(const heap_t *self)
{
    return self->n;
}
