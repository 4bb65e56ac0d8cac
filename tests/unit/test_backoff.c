/*
 * test_backoff.c - backoff.{c,h}: the one retry policy as a pure function.
 *
 * Table-driven: each row is one policy and input and the exact wait it
 * gives: the doubling and where it stops, the cap, the jitter's bounds and
 * spread, the cut to one last try before the TTL and the give-up past it,
 * and no overflow at huge retry numbers. The two policies the project uses
 * (the callback's and the dispatcher's lease) are rows of their own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "backoff.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define J_MAX UINT32_MAX
#define J_MID 0x80000000u

/* ondc-callback's: callback.backoff_ms 500 (the default), 60 s cap, one
 * last try 250 ms before the deadline unless less than 50 ms is left */
static const backoff_t CB = {500, 60000, 16, 250, 50};
/* ondc-dispatcher's lease: journal_lease_ms 30 s (the default), doubled
 * at most 4 times, no jitter, no TTL */
static const backoff_t LEASE = {30000, 0, 4, 0, 0};
/* nothing held back: for the overflow rows */
static const backoff_t WIDE = {1, 0, UINT32_MAX, 0, 0};
static const backoff_t BIG = {600000, 0, 16, 0, 0};
static const backoff_t ODD = {501, 0, 16, 0, 0};
static const backoff_t ZERO = {0, 0, 16, 250, 50};

typedef struct {
    const char *name;
    const backoff_t *p;
    uint32_t retry;
    int64_t age, ttl;
    uint32_t jitter;
    int64_t want;
} case_t;

static const case_t s_cases[] = {
    /* doubling, then the cap */
    {"cb first", &CB, 0, 0, BACKOFF_NO_TTL, 0, 500},
    {"cb second", &CB, 1, 0, BACKOFF_NO_TTL, 0, 1000},
    {"cb third", &CB, 2, 0, BACKOFF_NO_TTL, 0, 2000},
    {"cb 7th", &CB, 6, 0, BACKOFF_NO_TTL, 0, 32000},
    {"cb 8th capped", &CB, 7, 0, BACKOFF_NO_TTL, 0, 60000},
    {"cb 17th capped", &CB, 16, 0, BACKOFF_NO_TTL, 0, 60000},
    {"cb huge retry capped", &CB, UINT32_MAX, 0, BACKOFF_NO_TTL, 0, 60000},
    /* jitter takes off up to half */
    {"cb first, most jitter", &CB, 0, 0, BACKOFF_NO_TTL, J_MAX, 250},
    {"cb first, half jitter", &CB, 0, 0, BACKOFF_NO_TTL, J_MID, 375},
    {"cb first, least jitter", &CB, 0, 0, BACKOFF_NO_TTL, 1, 500},
    {"cb capped, most jitter", &CB, 20, 0, BACKOFF_NO_TTL, J_MAX, 30000},
    {"cb capped, half jitter", &CB, 20, 0, BACKOFF_NO_TTL, J_MID, 45000},
    {"odd wait, most jitter", &ODD, 0, 0, BACKOFF_NO_TTL, J_MAX, 251},
    /* the TTL: a wait past it is cut to one last try, then a give-up */
    {"ttl far", &CB, 0, 0, 10000, 0, 500},
    {"ttl cut", &CB, 3, 9000, 10000, 0, 750},
    {"ttl cut after jitter", &CB, 3, 9000, 10000, J_MAX, 750},
    {"ttl not cut by jitter", &CB, 3, 8000, 10000, J_MAX, 1750},
    {"ttl last 50 ms", &CB, 0, 9700, 10000, 0, 50},
    {"ttl 49 ms: give up", &CB, 0, 9701, 10000, 0, BACKOFF_GIVE_UP},
    {"ttl reached: give up", &CB, 0, 10000, 10000, 0, BACKOFF_GIVE_UP},
    {"ttl passed: give up", &CB, 0, 50000, 10000, 0, BACKOFF_GIVE_UP},
    {"ttl zero: give up", &CB, 0, 0, 0, 0, BACKOFF_GIVE_UP},
    {"no ttl, very old", &CB, 0, INT64_MAX, BACKOFF_NO_TTL, 0, 500},
    {"ttl near max, age far back", &CB, 0, INT64_MIN, INT64_MAX - 1, 0, 500},
    {"ttl near min, age far on", &CB, 0, INT64_MAX, INT64_MIN, 0, BACKOFF_GIVE_UP},
    {"base 0", &ZERO, 5, 0, 10000, J_MAX, 0},
    /* the dispatcher's lease */
    {"lease first", &LEASE, 0, 0, BACKOFF_NO_TTL, 0, 30000},
    {"lease second", &LEASE, 1, 0, BACKOFF_NO_TTL, 0, 60000},
    {"lease 5th", &LEASE, 4, 0, BACKOFF_NO_TTL, 0, 480000},
    {"lease 6th held", &LEASE, 5, 0, BACKOFF_NO_TTL, 0, 480000},
    {"lease huge retry held", &LEASE, UINT32_MAX, 0, BACKOFF_NO_TTL, 0, 480000},
    /* no overflow */
    {"largest base, 16 doublings", &BIG, UINT32_MAX, 0, BACKOFF_NO_TTL, 0, 600000LL << 16},
    {"wide 62 doublings", &WIDE, 62, 0, BACKOFF_NO_TTL, 0, (int64_t)1 << 62},
    {"wide 63 doublings saturate", &WIDE, 63, 0, BACKOFF_NO_TTL, 0, INT64_MAX},
    {"wide huge retry saturates", &WIDE, UINT32_MAX, 0, BACKOFF_NO_TTL, 0, INT64_MAX},
    {"wide huge retry, most jitter", &WIDE, UINT32_MAX, 0, BACKOFF_NO_TTL, J_MAX,
     INT64_MAX - (((int64_t)1 << 62) - ((int64_t)1 << 30))},
    {"wide huge retry, ttl cut", &WIDE, UINT32_MAX, 5, 1000, 0, 995},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_cases); i++) {
        const case_t *c = &s_cases[i];
        int64_t got = backoff_wait(c->p, c->retry, c->age, c->ttl, c->jitter);
        if (got != c->want)
            fail_msg("%s: backoff_wait = %lld, want %lld", c->name, (long long)got,
                     (long long)c->want);
    }
}

/* every draw lands in [wait - wait/2, wait], later draws never wait
 * longer, and the draws spread evenly over the wait/2 + 1 values */
static void test_jitter_bounds_and_spread(void **state)
{
    (void)state;
    const int64_t waits[] = {10, 11, 500, 60000, 1000001};
    for (size_t w = 0; w < N(waits); w++) {
        const backoff_t p = {waits[w], 0, 0, 0, 0};
        int64_t half = waits[w] / 2, prev = waits[w];
        enum { STEPS = 65536 };
        unsigned counts[101] = {0}; /* kept for waits of at most 100 values */
        for (uint32_t k = 0; k < STEPS; k++) {
            uint32_t j = k * 65536u + 32768u;
            int64_t got = backoff_wait(&p, 0, 0, BACKOFF_NO_TTL, j);
            if (got < waits[w] - half || got > waits[w])
                fail_msg("wait %lld, jitter %u: %lld out of bounds", (long long)waits[w], j,
                         (long long)got);
            if (got > prev)
                fail_msg("wait %lld: jitter %u waits longer than a smaller draw",
                         (long long)waits[w], j);
            prev = got;
            if (half + 1 <= 100)
                counts[waits[w] - got]++;
        }
        assert_int_equal(backoff_wait(&p, 0, 0, BACKOFF_NO_TTL, 0), waits[w]);
        assert_int_equal(backoff_wait(&p, 0, 0, BACKOFF_NO_TTL, J_MAX), waits[w] - half);
        if (half + 1 <= 100) { /* few values: each drawn as often, within one */
            double each = (double)STEPS / (double)(half + 1);
            for (int64_t k = 0; k <= half; k++)
                if (counts[k] + 1.0 < each || counts[k] > each + 1.0)
                    fail_msg("wait %lld: %lld taken off %u times of %d, want about %.1f",
                             (long long)waits[w], (long long)k, counts[k], STEPS, each);
        }
    }
}

/* the wait never shrinks from one retry to the next (without jitter), and
 * stops growing at the cap */
static void test_monotonic_up_to_the_cap(void **state)
{
    (void)state;
    int64_t prev = 0;
    for (uint32_t r = 0; r < 100; r++) {
        int64_t got = backoff_wait(&CB, r, 0, BACKOFF_NO_TTL, 0);
        assert_true(got >= prev);
        assert_true(got <= CB.cap_ms);
        prev = got;
    }
    assert_int_equal(prev, CB.cap_ms);
}

/* along a row's life the waits add up to no more than its TTL: the last
 * try starts ttl_slack_ms before it, and the next answer is a give-up */
static void test_retries_end_at_the_ttl(void **state)
{
    (void)state;
    const int64_t ttl = 30000;
    int64_t age = 0;
    uint32_t r = 0;
    for (;; r++) {
        int64_t w = backoff_wait(&CB, r, age, ttl, J_MID);
        if (w == BACKOFF_GIVE_UP)
            break;
        assert_true(w >= 0);
        age += w;
        assert_true(age <= ttl - CB.ttl_slack_ms);
        assert_true(r < 100);
    }
    /* 375, 750, 1500, 3000, 6000, 12000 (sum 23625), then cut to 6125 */
    assert_int_equal(r, 7);
    assert_int_equal(age, ttl - CB.ttl_slack_ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_jitter_bounds_and_spread),
        cmocka_unit_test(test_monotonic_up_to_the_cap),
        cmocka_unit_test(test_retries_end_at_the_ttl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
