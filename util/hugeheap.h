/*
 * hugeheap.h - a heap of transparent huge pages for a short process that
 * builds a large tree in memory (a catalog import of 100,000 items holds
 * about 1 GB of small values).
 *
 * Every 4 kB page a process touches for the first time costs a page
 * fault; on a virtual machine that is several microseconds, more than the
 * work done on the page. hugeheap_reserve makes malloc take its memory
 * from one stretch of the heap marked MADV_HUGEPAGE (a fault per 2 MB
 * where the kernel has transparent huge pages for madvise or always),
 * reserved once and never given back, and turns off malloc's separate
 * mappings of large blocks (those would be 4 kB pages again). Only
 * address space is reserved: the pages are the ones touched. For commands
 * that exit when done, not for the daemons (their memory would stay at
 * the peak).
 */
#ifndef ONDC_HUGEHEAP_H
#define ONDC_HUGEHEAP_H

#include <stddef.h>

/* the most reserved: malloc gives back a free top of the heap larger than
 * its trim threshold (an int) */
#define HUGEHEAP_MAX ((size_t)1536 << 20)

/* hugeheap_reserve - reserve BYTES (at most HUGEHEAP_MAX) of heap as
 * above. 0, or -1 when the heap could not grow (malloc then goes on as
 * before). */
int hugeheap_reserve(size_t bytes);

#endif
