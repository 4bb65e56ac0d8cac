/*
 * hugeheap.c - a heap of transparent huge pages. See hugeheap.h.
 */
#include "hugeheap.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

int hugeheap_reserve(size_t bytes)
{
    /* large blocks from the heap too, and what is freed at its top kept */
    mallopt(M_MMAP_MAX, 0);
    if (bytes > HUGEHEAP_MAX)
        bytes = HUGEHEAP_MAX;
    mallopt(M_TRIM_THRESHOLD, INT32_MAX);
    /* the heap grows by one step of BYTES: the block below is its top */
    char *p = malloc(bytes);
    if (!p)
        return -1;
    uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t hi = ((uintptr_t)p + bytes) & ~(HUGE_PAGE - 1);
    int rc = hi > lo ? madvise((void *)lo, hi - lo, MADV_HUGEPAGE) : -1;
    /* back to the free top of the heap, where the allocations after this
     * one are cut from; the trim threshold keeps it there */
    free(p);
    return rc < 0 ? -1 : 0;
}
