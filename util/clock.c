/*
 * clock.c - the process's clocks. See clock.h.
 *
 * clock_gettime on these two clocks does not fail on Linux (the vDSO
 * answers it), so no reading has an error path.
 */
#include "clock.h"

#include <time.h>

/* s_read - CLOCK_ID in units of 1 / PER_SECOND seconds (truncated) */
static int64_t s_read(clockid_t clock_id, int64_t per_second)
{
    struct timespec ts;
    clock_gettime(clock_id, &ts);
    return (int64_t)ts.tv_sec * per_second + (int64_t)ts.tv_nsec / (1000000000 / per_second);
}

int64_t clock_mono_ms(void)
{
    return s_read(CLOCK_MONOTONIC, 1000);
}

int64_t clock_mono_us(void)
{
    return s_read(CLOCK_MONOTONIC, 1000000);
}

int64_t clock_mono_ns(void)
{
    return s_read(CLOCK_MONOTONIC, 1000000000);
}

double clock_ms_since(int64_t start_ns)
{
    return (double)(clock_mono_ns() - start_ns) / 1e6;
}

int64_t clock_wall_ms(void)
{
    return s_read(CLOCK_REALTIME, 1000);
}
