/*
 * hash.h - FNV-1a (64-bit) of a pair of strings, for the in-process hash
 * tables (metrics index, search's seen set). Not for anything an attacker
 * could aim at a table that cannot grow.
 */
#ifndef ONDC_HASH_H
#define ONDC_HASH_H

#include <stdint.h>

/* hash_pair - FNV-1a of A, a separator byte, then B. */
static inline uint64_t hash_pair(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *c = a; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    h = (h ^ 0x1f) * 1099511628211ull;
    for (const char *c = b; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    return h;
}

#endif
