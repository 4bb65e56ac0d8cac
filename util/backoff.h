/*
 * backoff.h - the one retry policy: how long to wait before the next try,
 * and when to give up.
 *
 * A pure function: no clock and no random source inside. The caller says
 * which retry this is, how old the work is and how long it may live, and
 * passes a jitter value it drew; the same inputs always give the same
 * wait. The wait is BASE doubled once per earlier retry (at most
 * MAX_DOUBLINGS times), no more than CAP, less a jittered part of up to
 * half of it; past the TTL (less a slack for the last try) it is a give-up.
 * Plumbing: knows nothing of ONDC.
 */
#ifndef ONDC_BACKOFF_H
#define ONDC_BACKOFF_H

#include <stdint.h>

/* backoff_wait's answer when the TTL leaves no time for another try */
#define BACKOFF_GIVE_UP ((int64_t)-1)
/* a TTL that never runs out */
#define BACKOFF_NO_TTL INT64_MAX

typedef struct {
    int64_t base_ms;        /* the wait before the first retry (>= 0) */
    int64_t cap_ms;         /* no wait is longer (before jitter); 0: no cap */
    uint32_t max_doublings; /* the wait doubles at most this many times */
    int64_t ttl_slack_ms;   /* the last try starts this long before the TTL */
    int64_t ttl_min_ms;     /* less time than this left for the last try: give up */
} backoff_t;

/* backoff_wait - milliseconds to wait before retry RETRY (0 for the first
 * retry, 1 for the second...) of work AGE_MS old that may live TTL_MS
 * (BACKOFF_NO_TTL: for ever). JITTER is a uniform 32-bit draw, or 0 for no
 * jitter: it takes up to half of the wait off (0 keeps the whole wait,
 * UINT32_MAX takes half of it off). A wait that would pass TTL_MS less
 * ttl_slack_ms is cut to end there: one last try before the TTL rather
 * than giving up while time is left; when less than ttl_min_ms would be
 * left, BACKOFF_GIVE_UP. Never overflows, whatever RETRY. */
int64_t backoff_wait(const backoff_t *p, uint32_t retry, int64_t age_ms, int64_t ttl_ms,
                     uint32_t jitter);

#endif
