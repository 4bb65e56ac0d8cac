/*
 * zsock.c - ZeroMQ socket helpers. See zsock.h.
 */
#include "zsock.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <zmq.h>

typedef struct {
    void *socket;
    zsock_ready_fn *fn;
    void *arg;
} s_watch_t;

void *zsock_new(void *zctx, int type, const char *endpoint, int bind, int hwm, int linger_ms)
{
    void *s = zmq_socket(zctx, type);
    if (!s) {
        log_error("zmq.socket", "error", zmq_strerror(errno), NULL);
        return NULL;
    }
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
    if (bind && strncmp(endpoint, "ipc://", 6) == 0) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s", endpoint + 6);
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = '\0';
            mkdir(dir, 0750);
        }
    }
    int rc = bind ? zmq_bind(s, endpoint) : zmq_connect(s, endpoint);
    if (rc != 0) {
        log_error(bind ? "zmq.bind" : "zmq.connect", "endpoint", endpoint, "error",
                  zmq_strerror(errno), NULL);
        zmq_close(s);
        return NULL;
    }
    return s;
}

int zsock_has_input(void *socket)
{
    int events = 0;
    size_t len = sizeof events;
    if (zmq_getsockopt(socket, ZMQ_EVENTS, &events, &len) != 0)
        return 0;
    return (events & ZMQ_POLLIN) != 0;
}

static void s_on_fd(loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    s_watch_t *w = arg;
    while (zsock_has_input(w->socket))
        w->fn(w->socket, w->arg);
}

static void s_kick(loop_t *loop, void *arg)
{
    s_on_fd(loop, -1, 0, arg);
}

int zsock_watch(loop_t *loop, void *socket, zsock_ready_fn *fn, void *arg)
{
    int fd;
    size_t len = sizeof fd;
    if (zmq_getsockopt(socket, ZMQ_FD, &fd, &len) != 0)
        return -1;
    /* watches live as long as the process: a static table, nothing to free */
    static s_watch_t watches[16];
    static int nwatches;
    if (nwatches >= 16)
        return -1;
    s_watch_t *w = &watches[nwatches++];
    w->socket = socket;
    w->fn = fn;
    w->arg = arg;
    if (loop_add_fd(loop, fd, EPOLLIN | EPOLLET, s_on_fd, w) < 0)
        return -1;
    /* messages may already be queued: the edge has passed */
    loop_timer(loop, 0, 0, s_kick, w);
    return 0;
}
