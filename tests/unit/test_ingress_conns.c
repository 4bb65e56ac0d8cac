/*
 * test_ingress_conns.c - ingress_conns.{c,h}, the connection table without
 * libmicrohttpd: the head deadline counts from the phase's start however
 * the bytes trickle, the body has its own deadline, a request that is ours
 * (WAIT) has none; a nearly full table sheds the connection that has waited
 * longest for its head (never one just accepted); the share of one address
 * shrinks as the table fills, never below its floor; the counts come back
 * when connections close.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ingress_conns.h"

#define MAXC 64

static iconn_t s_pool[4 * MAXC];
static iconn_t *s_closed[4 * MAXC];
static int s_nclosed, s_refused, s_why[ICONN_SHED_KINDS];

static void s_close(iconn_t *ic, int why, void *arg)
{
    (void)arg;
    s_why[why]++;
    if (ic)
        s_closed[s_nclosed++] = ic;
    else
        s_refused++;
}

static void s_setup(iconns_t *c, int max, int per_ip)
{
    memset(s_pool, 0, sizeof s_pool);
    s_nclosed = s_refused = 0;
    memset(s_why, 0, sizeof s_why);
    iconns_init(c, max, per_ip, 1000, 5000);
    assert_non_null(c->addrs);
    c->close = s_close;
}

static void test_head_deadline_is_per_request(void **state)
{
    (void)state;
    iconns_t c;
    s_setup(&c, MAXC, MAXC);
    iconns_open(&c, &s_pool[0], 1, 0);
    iconns_open(&c, &s_pool[1], 1, 400);
    /* a trickle does not move the deadline: nothing resets it but a phase */
    assert_int_equal(iconns_sweep(&c, 999), 0);
    assert_int_equal(iconns_sweep(&c, 1000), 1);
    assert_ptr_equal(s_closed[0], &s_pool[0]);
    assert_int_equal(s_pool[0].phase, ICONN_SHUT);
    assert_int_equal(s_why[ICONN_SHED_HEAD], 1);
    /* its head arrived: the body has its own, longer deadline */
    iconns_phase(&c, &s_pool[1], ICONN_BODY, 900);
    assert_int_equal(iconns_sweep(&c, 5899), 0);
    assert_int_equal(iconns_sweep(&c, 5900), 1);
    assert_int_equal(s_why[ICONN_SHED_BODY], 1);
    /* a closed connection that is shut already is not closed twice */
    assert_int_equal(iconns_sweep(&c, 100000), 0);
    iconns_close(&c, &s_pool[0]);
    iconns_close(&c, &s_pool[1]);
    assert_int_equal(c.open, 0);
    assert_int_equal(iconns_held(&c, 1), 0);
    iconns_fini(&c);
}

static void test_wait_has_no_deadline_and_keepalive_restarts(void **state)
{
    (void)state;
    iconns_t c;
    s_setup(&c, MAXC, MAXC);
    iconns_open(&c, &s_pool[0], 7, 0);
    iconns_phase(&c, &s_pool[0], ICONN_BODY, 10);
    iconns_phase(&c, &s_pool[0], ICONN_WAIT, 20);
    assert_int_equal(iconns_sweep(&c, 60000), 0);
    /* answered: the kept-alive connection waits for its next head from now */
    iconns_phase(&c, &s_pool[0], ICONN_HEAD, 60000);
    assert_int_equal(iconns_sweep(&c, 60999), 0);
    assert_int_equal(iconns_sweep(&c, 61000), 1);
    iconns_close(&c, &s_pool[0]);
    iconns_fini(&c);
}

static void test_full_table_sheds_the_oldest_head(void **state)
{
    (void)state;
    iconns_t c;
    s_setup(&c, MAXC, MAXC);
    assert_int_equal(c.reserve, 8);
    int n = 0;
    /* slow connections from many addresses, one every 10 ms */
    for (; n < MAXC - c.reserve; n++) {
        assert_int_equal(iconns_admit(&c, 100 + (uint64_t)n, (int64_t)n * 10), 0);
        iconns_open(&c, &s_pool[n], 100 + (uint64_t)n, (int64_t)n * 10);
    }
    assert_int_equal(s_nclosed, 0);
    /* one of them got its head: it is not a candidate */
    iconns_phase(&c, &s_pool[0], ICONN_BODY, 600);
    /* the next, at 1 s: the oldest in HEAD goes (pool[1], since 10 ms) */
    assert_int_equal(iconns_admit(&c, 9999, 1000), 0);
    iconns_open(&c, &s_pool[n++], 9999, 1000);
    assert_int_equal(s_nclosed, 1);
    assert_ptr_equal(s_closed[0], &s_pool[1]);
    assert_int_equal(s_why[ICONN_SHED_FULL], 1);
    iconns_close(&c, &s_pool[1]);
    /* the rest are younger than the shedding age at 20 ms... at 510 ms a
     * table full of connections just accepted sheds nothing */
    iconns_t d;
    iconns_init(&d, MAXC, MAXC, 1000, 5000);
    d.close = s_close;
    iconn_t fresh[MAXC];
    for (int i = 0; i < MAXC - d.reserve; i++)
        iconns_open(&d, &fresh[i], 500 + (uint64_t)i, 100);
    int before = s_nclosed;
    assert_int_equal(iconns_admit(&d, 1, 599), 0);
    assert_int_equal(s_nclosed, before);
    assert_int_equal(iconns_admit(&d, 1, 600), 0);
    assert_int_equal(s_nclosed, before + 1);
    assert_ptr_equal(s_closed[before], &fresh[0]);
    iconns_fini(&d);
    iconns_fini(&c);
}

static void test_address_share_scales(void **state)
{
    (void)state;
    iconns_t c;
    s_setup(&c, 1024, 256);
    assert_int_equal(c.floor, 4);
    assert_int_equal(iconns_addr_limit(&c), 256);
    /* one address alone: up to max_connections_per_ip */
    int n = 0;
    while (iconns_admit(&c, 42, 0) == 0) {
        iconns_open(&c, &s_pool[n], 42, 0);
        n++;
        assert_true(n <= 256);
    }
    assert_int_equal(n, 256);
    assert_int_equal(s_refused, 1);
    assert_int_equal(s_why[ICONN_SHED_ADDRESS], 1);
    /* fill with other addresses: the share falls with the free slots */
    static iconn_t more[1024];
    int m = 0;
    for (; c.open < 1024 - 100; m++)
        iconns_open(&c, &more[m], 1000 + (uint64_t)m, 0);
    assert_int_equal(iconns_addr_limit(&c), 100);
    /* an address holding 100 is refused, a fresh one is not */
    for (int i = 0; i < 100; i++)
        iconns_open(&c, &more[m++], 77, 0);
    assert_int_equal(iconns_admit(&c, 77, 0), -1);
    /* at the floor: a new address is still taken */
    while (c.open < 1024 - 2)
        iconns_open(&c, &more[m], 5000 + (uint64_t)m, 0), m++;
    assert_int_equal(iconns_addr_limit(&c), 4);
    assert_int_equal(iconns_admit(&c, 123456, 0), 0);
    /* closing gives the share back */
    for (int i = 0; i < n; i++)
        iconns_close(&c, &s_pool[i]);
    assert_int_equal(iconns_held(&c, 42), 0);
    assert_int_equal(iconns_held(&c, 77), 100);
    iconns_fini(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_deadline_is_per_request),
        cmocka_unit_test(test_wait_has_no_deadline_and_keepalive_restarts),
        cmocka_unit_test(test_full_table_sheds_the_oldest_head),
        cmocka_unit_test(test_address_share_scales),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
