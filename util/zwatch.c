/*
 * zwatch.c - a CZMQ socket in the loop. See zwatch.h.
 */
#include "zwatch.h"

#include "log.h"

#include <stdlib.h>
#include <sys/epoll.h>

struct zwatch_s {
    loop_t *loop;
    zsock_t *sock;
    int fd;
    long kick; /* the first turn's timer, until it runs */
    zwatch_fn *fn;
    void *arg;
};

int zwatch_has_input(zsock_t *sock)
{
    return (zsock_events(sock) & ZMQ_POLLIN) != 0;
}

/* s_drain - the edge fired (or the first turn came): FN until it finds the
 * socket empty; only an empty socket re-arms the edge */
static void s_drain(zwatch_t *self)
{
    while (self->fn(self->sock, self->arg) > 0) {
    }
}

static void s_on_fd(loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    s_drain(arg);
}

static void s_kick(loop_t *loop, void *arg)
{
    (void)loop;
    zwatch_t *self = arg;
    self->kick = 0;
    s_drain(self);
}

zwatch_t *zwatch_new(loop_t *loop, zsock_t *sock, zwatch_fn *fn, void *arg)
{
    zwatch_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->sock = sock;
    self->fn = fn;
    self->arg = arg;
    self->fd = zsock_fd(sock);
    if (self->fd < 0 || loop_add_fd(loop, self->fd, EPOLLIN | EPOLLET, s_on_fd, self) < 0) {
        log_errno(LOG_ERROR, "zmq.watch", NULL);
        free(self);
        return NULL;
    }
    /* messages may already be queued: their edge has passed */
    self->kick = loop_timer(loop, 0, 0, s_kick, self);
    if (self->kick < 0) {
        log_error("zmq.watch", "why", "no timer left", NULL);
        zwatch_destroy(&self);
    }
    return self;
}

void zwatch_destroy(zwatch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zwatch_t *self = *self_p;
    loop_del_fd(self->loop, self->fd);
    if (self->kick > 0)
        loop_timer_cancel(self->loop, self->kick);
    free(self);
    *self_p = NULL;
}
