/*
 * test_zendpoint.c - zendpoint.{c,h}: binding an ipc:// endpoint makes its
 * directory (mode 0750) and keeps one that exists; an endpoint is taken
 * verbatim (a comma or a '%' in it is not syntax); a PUSH connected to what
 * was bound carries a message; an unknown transport, a port in use and a
 * directory that cannot be made fail with -1. Also that log.h's levels keep
 * their values with czmq.h included before it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>

#include "log.h"
#include "zendpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char dir[64]; /* a fresh directory of this test's own */
} fix_t;

static int s_setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/test-zendpoint-XXXXXX");
    *state = f;
    return mkdtemp(f->dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    fix_t *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static zsock_t *s_sock(int type)
{
    zsock_t *s = zsock_new(type);
    assert_non_null(s);
    zsock_set_linger(s, 0);
    return s;
}

/* s_carries - a message sent on PUSH arrives on PULL within 2 s */
static void s_carries(zsock_t *push, zsock_t *pull)
{
    assert_int_equal(zstr_send(push, "hello"), 0);
    zpoller_t *p = zpoller_new(pull, NULL);
    assert_ptr_equal(zpoller_wait(p, 2000), pull);
    zpoller_destroy(&p);
    char *s = zstr_recv(pull);
    assert_string_equal(s, "hello");
    zstr_free(&s);
}

static void test_ipc_dir_made(void **state)
{
    fix_t *f = *state;
    char ep[160], sub[128];
    snprintf(sub, sizeof sub, "%s/run", f->dir);
    snprintf(ep, sizeof ep, "ipc://%s/x.sock", sub);
    zsock_t *pull = s_sock(ZMQ_PULL), *push = s_sock(ZMQ_PUSH);
    assert_int_equal(zendpoint_attach(pull, ep, 1), 0);
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0750 & ~umask(umask(0)));
    assert_int_equal(zendpoint_attach(push, ep, 0), 0);
    s_carries(push, pull);
    /* a second socket in the same directory: the directory is kept */
    char ep2[160];
    snprintf(ep2, sizeof ep2, "ipc://%s/y.sock", sub);
    zsock_t *pull2 = s_sock(ZMQ_PULL);
    assert_int_equal(zendpoint_attach(pull2, ep2, 1), 0);
    zsock_destroy(&pull2);
    zsock_destroy(&push);
    zsock_destroy(&pull);
}

static void test_endpoint_verbatim(void **state)
{
    fix_t *f = *state;
    /* zsock_attach would read the comma as a list; zsock_bind's format the % */
    char ep[160];
    snprintf(ep, sizeof ep, "ipc://%s/a,b%%s.sock", f->dir);
    zsock_t *pull = s_sock(ZMQ_PULL), *push = s_sock(ZMQ_PUSH);
    assert_int_equal(zendpoint_attach(pull, ep, 1), 0);
    char path[160];
    snprintf(path, sizeof path, "%s/a,b%%s.sock", f->dir);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(zendpoint_attach(push, ep, 0), 0);
    s_carries(push, pull);
    zsock_destroy(&push);
    zsock_destroy(&pull);
}

static void test_failures(void **state)
{
    fix_t *f = *state;
    zsock_t *s = s_sock(ZMQ_PULL);
    assert_int_equal(zendpoint_attach(s, "nonsense://x", 1), -1);
    assert_int_equal(zendpoint_attach(s, "nonsense://x", 0), -1);
    assert_int_equal(zendpoint_attach(s, "tcp://127.0.0.1:*", 1), 0);
    char *taken = zsock_last_endpoint(s); /* the port chosen */
    assert_non_null(taken);
    zsock_t *again = s_sock(ZMQ_PULL);
    assert_int_equal(zendpoint_attach(again, taken, 1), -1); /* the port is in use */
    zstr_free(&taken);
    /* a directory under a file cannot be made */
    char file[128], ep[200];
    snprintf(file, sizeof file, "%s/plain", f->dir);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    snprintf(ep, sizeof ep, "ipc://%s/sub/x.sock", file);
    assert_int_equal(zendpoint_attach(again, ep, 1), -1);
    zsock_destroy(&again);
    zsock_destroy(&s);
}

static void test_log_levels_with_czmq(void **state)
{
    (void)state;
    /* czmq.h (and <syslog.h>) came first here, log.h after it */
    assert_int_equal(LOG_DEBUG, 0);
    assert_int_equal(LOG_INFO, 1);
    assert_int_equal(LOG_FATAL, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ipc_dir_made, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_verbatim, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_failures, s_setup, s_teardown),
        cmocka_unit_test(test_log_levels_with_czmq),
    };
    zsys_handler_set(NULL);
    log_set_level(LOG_FATAL); /* the failures are logged: keep the output to cmocka's */
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
