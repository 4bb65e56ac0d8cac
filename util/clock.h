/*
 * clock.h - the process's clocks: monotonic time for intervals and
 * deadlines, wall time for what leaves the process (timestamps, the
 * signature's created/expires, journal and outbox times).
 *
 * Invariants: the monotonic readings come from CLOCK_MONOTONIC and never go
 * back; they mean nothing across processes except through a shared store of
 * the same boot (the store's notice board). Wall readings are CLOCK_REALTIME
 * and may jump. Every value is truncated, never rounded, to its unit.
 * Plumbing: no ONDC. Nothing allocated, no config keys.
 */
#ifndef ONDC_CLOCK_H
#define ONDC_CLOCK_H

#include <stdint.h>

/* clock_mono_ms - monotonic milliseconds. */
int64_t clock_mono_ms(void);

/* clock_mono_us - monotonic microseconds. */
int64_t clock_mono_us(void);

/* clock_mono_ns - monotonic nanoseconds: the start of a clock_ms_since. */
int64_t clock_mono_ns(void);

/* clock_ms_since - milliseconds (with fractions) from START_NS (a
 * clock_mono_ns reading) to now: what the latency histograms record. */
double clock_ms_since(int64_t start_ns);

/* clock_wall_ms - wall clock milliseconds since the epoch. */
int64_t clock_wall_ms(void);

#endif
