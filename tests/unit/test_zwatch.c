/*
 * test_zwatch.c - zwatch.{c,h}: a CZMQ PULL socket in the loop. Messages
 * queued before the watch began are handled at the first turn; a burst is
 * drained whole although the callback takes one message a call (ZMQ_FD is
 * edge-triggered: a watch that stopped before the socket was empty would
 * never be woken again); the edge re-arms for a later burst; a destroyed
 * watch calls nothing, even one destroyed before its first turn. Also that
 * log.h's levels keep their values with czmq.h included after it (syslog's
 * LOG_DEBUG / LOG_INFO). Every loop run has a guard timer, so a broken
 * watch fails the test instead of hanging it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "zwatch.h"

#include <czmq.h>

typedef struct {
    loop_t *loop;
    zsock_t *push, *pull;
    int got;      /* messages received by the callback */
    int calls;    /* callback calls */
    int empty;    /* calls that found the socket empty */
    int sent;     /* messages sent */
    int want;     /* stop the loop once GOT reaches it (0: never) */
    int last;     /* the last message's number */
    int in_order; /* every message came in the order sent */
    int guard_fired;
} fix_t;

static int s_setup(void **state)
{
    static int seq;
    fix_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://test-zwatch-%d", seq++);
    f->loop = loop_new();
    f->pull = zsock_new(ZMQ_PULL);
    f->push = zsock_new(ZMQ_PUSH);
    f->in_order = 1;
    f->last = -1;
    *state = f;
    if (!f->loop || !f->pull || !f->push)
        return -1;
    zsock_set_rcvhwm(f->pull, 100000);
    zsock_set_sndhwm(f->push, 100000);
    if (zsock_bind(f->pull, "%s", ep) < 0 || zsock_connect(f->push, "%s", ep) < 0)
        return -1;
    return 0;
}

static int s_teardown(void **state)
{
    fix_t *f = *state;
    zsock_destroy(&f->push);
    zsock_destroy(&f->pull);
    loop_destroy(&f->loop);
    free(f);
    return 0;
}

/* s_one - the watch's callback: one message a call, received without
 * waiting; 0 when the socket was empty */
static int s_one(zsock_t *sock, void *arg)
{
    fix_t *f = arg;
    f->calls++;
    char buf[32];
    int len = zmq_recv(zsock_resolve(sock), buf, sizeof buf - 1, ZMQ_DONTWAIT);
    if (len < 0) {
        assert_int_equal(errno, EAGAIN);
        f->empty++;
        return 0;
    }
    buf[len] = '\0';
    int n = atoi(buf);
    if (n != f->last + 1)
        f->in_order = 0;
    f->last = n;
    f->got++;
    if (f->want && f->got == f->want)
        loop_stop(f->loop);
    return 1;
}

static void s_guard(loop_t *loop, void *arg)
{
    fix_t *f = arg;
    f->guard_fired = 1;
    loop_stop(loop);
}

static void s_stop(loop_t *loop, void *arg)
{
    (void)arg;
    loop_stop(loop);
}

/* s_send - N more numbered messages on F's PUSH */
static void s_send(fix_t *f, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(zstr_sendf(f->push, "%d", f->sent++), 0);
}

static void s_burst(loop_t *loop, void *arg)
{
    (void)loop;
    s_send(arg, 500);
}

/* s_run - run F's loop until it stops or GUARD_MS passes; the guard timer
 * is cancelled after */
static void s_run(fix_t *f, int guard_ms)
{
    long g = loop_timer(f->loop, guard_ms, 0, s_guard, f);
    loop_run(f->loop);
    loop_timer_cancel(f->loop, g);
}

static void test_queued_before_the_watch(void **state)
{
    fix_t *f = *state;
    s_send(f, 5);
    /* wait until the messages are at the PULL: their edge is long gone */
    for (int i = 0; i < 200 && !zwatch_has_input(f->pull); i++)
        zclock_sleep(5);
    assert_true(zwatch_has_input(f->pull));
    zwatch_t *w = zwatch_new(f->loop, f->pull, s_one, f);
    assert_non_null(w);
    f->want = 5;
    s_run(f, 2000);
    assert_false(f->guard_fired);
    assert_int_equal(f->got, 5);
    assert_true(f->in_order);
    assert_false(zwatch_has_input(f->pull));
    zwatch_destroy(&w);
    assert_null(w);
    zwatch_destroy(&w); /* NULL is accepted */
    zwatch_destroy(NULL);
}

static void test_burst_drained_and_edge_rearmed(void **state)
{
    fix_t *f = *state;
    zwatch_t *w = zwatch_new(f->loop, f->pull, s_one, f);
    assert_non_null(w);
    /* two bursts from the loop, the second once the first is drained */
    loop_timer(f->loop, 5, 0, s_burst, f);
    f->want = 500;
    s_run(f, 3000);
    assert_false(f->guard_fired);
    assert_int_equal(f->got, 500);
    loop_timer(f->loop, 5, 0, s_burst, f);
    f->want = 1000;
    s_run(f, 3000);
    assert_false(f->guard_fired);
    assert_int_equal(f->got, 1000);
    /* one call a message, and one more each time the socket ran dry (the
     * receive that re-armed the edge: the second burst came through it) */
    assert_int_equal(f->calls, f->got + f->empty);
    assert_true(f->empty >= 1);
    assert_true(f->in_order);
    zwatch_destroy(&w);
}

static void test_destroyed_watch_calls_nothing(void **state)
{
    fix_t *f = *state;
    /* destroyed before its first turn: its kick must not run */
    zwatch_t *w = zwatch_new(f->loop, f->pull, s_one, f);
    assert_non_null(w);
    s_send(f, 3);
    zwatch_destroy(&w);
    loop_timer(f->loop, 50, 0, s_stop, NULL);
    s_run(f, 2000);
    assert_int_equal(f->calls, 0);
    /* destroyed after it ran: later messages stay queued */
    w = zwatch_new(f->loop, f->pull, s_one, f);
    f->want = 3;
    s_run(f, 2000);
    assert_int_equal(f->got, 3);
    zwatch_destroy(&w);
    s_send(f, 2);
    loop_timer(f->loop, 50, 0, s_stop, NULL);
    s_run(f, 2000);
    assert_int_equal(f->got, 3);
    assert_true(zwatch_has_input(f->pull));
}

static void test_log_levels_with_czmq(void **state)
{
    (void)state;
    /* log.h came first here, czmq.h (and <syslog.h>) after it */
    assert_int_equal(LOG_DEBUG, 0);
    assert_int_equal(LOG_INFO, 1);
    assert_int_equal(LOG_WARN, 2);
    assert_int_equal(LOG_ERROR, 3);
    assert_int_equal(LOG_FATAL, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_queued_before_the_watch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_burst_drained_and_edge_rearmed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_destroyed_watch_calls_nothing, s_setup, s_teardown),
        cmocka_unit_test(test_log_levels_with_czmq),
    };
    zsys_handler_set(NULL);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
