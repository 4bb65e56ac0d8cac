/*
 * test_clock.c - clock.{c,h}: the monotonic readings in their three units
 * agree with each other and with time slept, never go back, and
 * clock_ms_since measures an interval with its fraction; the wall clock
 * agrees with time(2).
 *
 * Sleeps are a few milliseconds; the upper bounds are loose (a loaded
 * machine or valgrind may oversleep) but still catch a wrong unit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "clock.h"

static void s_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* the three monotonic units read the same clock: each reading lies between
 * the neighbouring readings of the others, scaled */
static void test_units_agree(void **state)
{
    (void)state;
    for (int i = 0; i < 100; i++) {
        int64_t ms = clock_mono_ms();
        int64_t us = clock_mono_us();
        int64_t ns = clock_mono_ns();
        int64_t ms2 = clock_mono_ms();
        assert_true(ms * 1000 <= us);
        assert_true(us <= ns / 1000);
        assert_true(ns / 1000000 <= ms2);
        assert_true(ms2 - ms < 1000);
    }
}

static void test_never_back(void **state)
{
    (void)state;
    int64_t ms = clock_mono_ms(), us = clock_mono_us(), ns = clock_mono_ns();
    for (int i = 0; i < 10000; i++) {
        int64_t ms2 = clock_mono_ms(), us2 = clock_mono_us(), ns2 = clock_mono_ns();
        assert_true(ms2 >= ms);
        assert_true(us2 >= us);
        assert_true(ns2 >= ns);
        ms = ms2;
        us = us2;
        ns = ns2;
    }
}

/* a 20 ms sleep reads as at least 20 ms in every unit, and far less than a
 * second (a unit off by a factor of 1000 fails one bound or the other) */
static void test_sleep_measured(void **state)
{
    (void)state;
    int64_t ms = clock_mono_ms(), us = clock_mono_us(), ns = clock_mono_ns();
    s_sleep_ms(20);
    int64_t dms = clock_mono_ms() - ms, dus = clock_mono_us() - us;
    double since = clock_ms_since(ns);
    assert_true(dms >= 20 && dms < 1000);
    assert_true(dus >= 20000 && dus < 1000000);
    assert_true(since >= 20.0 && since < 1000.0);
}

/* clock_ms_since keeps the fraction: 1.5 ms ago reads as 1.5 ms or more,
 * not 1 */
static void test_ms_since_fraction(void **state)
{
    (void)state;
    double since = clock_ms_since(clock_mono_ns() - 1500000);
    assert_true(since >= 1.5);
    assert_true(since < 1000.0);
    /* a start in the future: negative, not wrapped */
    assert_true(clock_ms_since(clock_mono_ns() + 1000000000) < -900.0);
}

static void test_wall_is_epoch_ms(void **state)
{
    (void)state;
    int64_t before = (int64_t)time(NULL);
    int64_t wall = clock_wall_ms();
    int64_t after = (int64_t)time(NULL);
    /* time(2) may lag the fine clock by a tick: one second of slack */
    assert_true(wall / 1000 >= before - 1);
    assert_true(wall / 1000 <= after + 1);
    /* milliseconds, not seconds or microseconds: after 2020, before 2100 */
    assert_true(wall > 1577836800000LL && wall < 4102444800000LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units_agree),      cmocka_unit_test(test_never_back),
        cmocka_unit_test(test_sleep_measured),   cmocka_unit_test(test_ms_since_fraction),
        cmocka_unit_test(test_wall_is_epoch_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
