/*
 * heap.h - a binary min-heap of items by a 64-bit key (a due time, say).
 *
 * The heap holds pointers it does not own: destroying it leaves the items
 * alone. The smallest key is always at the top; items with equal keys come
 * out in no set order. Finding one item (to change its key or take it out
 * from the middle) is a linear search: for rare operations. Plumbing:
 * knows nothing of ONDC.
 */
#ifndef ONDC_HEAP_H
#define ONDC_HEAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct heap_s heap_t;

/* heap_new - an empty heap; caller owns it. NULL when out of memory. */
heap_t *heap_new(void);

/* heap_destroy - free the heap, not its items (accepts NULL, NULLs the
 * pointer). */
void heap_destroy(heap_t **self_p);

/* heap_push - hold ITEM (borrowed while held) under KEY. 0, or -1 when
 * out of memory (the heap is as it was). */
int heap_push(heap_t *self, int64_t key, void *item);

/* heap_peek - the item with the smallest key (its key into *KEY_P unless
 * KEY_P is NULL), left in the heap; NULL when the heap is empty. */
void *heap_peek(const heap_t *self, int64_t *key_p);

/* heap_pop - take out the item with the smallest key (its key into *KEY_P
 * unless KEY_P is NULL); NULL when the heap is empty. */
void *heap_pop(heap_t *self, int64_t *key_p);

/* heap_rekey - ITEM, if held, is held under KEY from now on. 0, or -1
 * when it is not held. */
int heap_rekey(heap_t *self, const void *item, int64_t key);

/* heap_remove - take ITEM out wherever it is. 0, or -1 when it is not
 * held. */
int heap_remove(heap_t *self, const void *item);

/* heap_size - how many items are held. */
size_t heap_size(const heap_t *self);

#endif
