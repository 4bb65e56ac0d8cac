/*
 * backoff.c - the one retry policy. See backoff.h.
 *
 * Invariants: the wait before jitter is min(BASE << min(RETRY,
 * MAX_DOUBLINGS), CAP), saturating at INT64_MAX instead of overflowing;
 * jitter takes off at most half of it (rounded down); a wait is never
 * negative.
 */
#include "backoff.h"

/* s_sub_sat - A - B, held to the int64 range instead of overflowing */
static int64_t s_sub_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* s_doubled - BASE doubled SHIFT times, INT64_MAX when that would not fit */
static int64_t s_doubled(int64_t base, uint32_t shift)
{
    if (base <= 0)
        return 0;
    if (shift >= 63 || base > (INT64_MAX >> shift))
        return INT64_MAX;
    return base << shift;
}

int64_t backoff_wait(const backoff_t *p, uint32_t retry, int64_t age_ms, int64_t ttl_ms,
                     uint32_t jitter)
{
    int64_t wait = s_doubled(p->base_ms, retry < p->max_doublings ? retry : p->max_doublings);
    if (p->cap_ms > 0 && wait > p->cap_ms)
        wait = p->cap_ms;
    /* jitter: somewhere in [wait - wait/2, wait], spread over the draw by
     * multiply and shift (one of wait/2 + 1 values, each about as likely) */
    uint64_t half = (uint64_t)(wait / 2);
    wait -= (int64_t)(((unsigned __int128)(half + 1) * jitter) >> 32);
    if (ttl_ms == BACKOFF_NO_TTL)
        return wait;
    int64_t left = s_sub_sat(s_sub_sat(ttl_ms, age_ms), p->ttl_slack_ms);
    if (left < p->ttl_min_ms)
        return BACKOFF_GIVE_UP;
    return wait > left ? left : wait;
}
