/*
 * curlloop.c - libcurl multi in the loop. See curlloop.h.
 */
#include "curlloop.h"

#include <stdlib.h>
#include <sys/epoll.h>

struct curlloop_s {
    loop_t *loop;
    CURLM *multi;
    long timer;
    curlloop_done_fn *done;
    void *arg;
};

static void s_check(curlloop_t *self)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(self->multi, &left)))
        if (msg->msg == CURLMSG_DONE)
            self->done(msg->easy_handle, msg->data.result, self->arg);
}

static void s_on_fd(loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    curlloop_t *self = arg;
    int flags = 0, running;
    if (events & EPOLLIN)
        flags |= CURL_CSELECT_IN;
    if (events & EPOLLOUT)
        flags |= CURL_CSELECT_OUT;
    if (events & (EPOLLERR | EPOLLHUP))
        flags |= CURL_CSELECT_ERR;
    curl_multi_socket_action(self->multi, fd, flags, &running);
    s_check(self);
}

static int s_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
    (void)e;
    (void)sockp;
    curlloop_t *self = arg;
    if (what == CURL_POLL_REMOVE) {
        loop_del_fd(self->loop, fd);
        return 0;
    }
    uint32_t ev = 0;
    if (what & CURL_POLL_IN)
        ev |= EPOLLIN;
    if (what & CURL_POLL_OUT)
        ev |= EPOLLOUT;
    loop_add_fd(self->loop, fd, ev, s_on_fd, self);
    return 0;
}

static void s_on_timer(loop_t *loop, void *arg)
{
    (void)loop;
    curlloop_t *self = arg;
    self->timer = 0;
    int running;
    curl_multi_socket_action(self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    s_check(self);
}

static int s_timer(CURLM *multi, long ms, void *arg)
{
    (void)multi;
    curlloop_t *self = arg;
    if (self->timer)
        loop_timer_cancel(self->loop, self->timer);
    self->timer = 0;
    if (ms >= 0)
        self->timer = loop_timer(self->loop, ms, 0, s_on_timer, self);
    return 0;
}

curlloop_t *curlloop_new(loop_t *loop, curlloop_done_fn *done, void *arg)
{
    curlloop_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->done = done;
    self->arg = arg;
    self->multi = curl_multi_init();
    if (!self->multi) {
        free(self);
        return NULL;
    }
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETFUNCTION, s_socket);
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETDATA, self);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERFUNCTION, s_timer);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERDATA, self);
    return self;
}

CURLM *curlloop_multi(curlloop_t *self)
{
    return self->multi;
}

void curlloop_destroy(curlloop_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    curlloop_t *self = *self_p;
    if (self->timer)
        loop_timer_cancel(self->loop, self->timer);
    curl_multi_cleanup(self->multi);
    free(self);
    *self_p = NULL;
}
