/*
 * loop.c - epoll loop with timers and signals. See loop.h.
 *
 * Timers are kept in a small unsorted array: processes here have a handful
 * (cron, lease scans, MHD's timeout), so a linear scan per iteration is
 * cheaper than a heap. Callback delivery keeps its own retry queue.
 */
#include "loop.h"
#include "clock.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define MAX_FDS 65536
#define MAX_TIMERS 64
#define MAX_SIGNALS 8

typedef struct {
    loop_fd_fn *fn;
    void *arg;
} s_fd_t;

typedef struct {
    long id;
    int64_t due, every;
    loop_timer_fn *fn;
    void *arg;
} s_timer_t;

struct loop_s {
    int epfd;
    int sigfd;
    sigset_t sigs;
    s_fd_t *fds;
    s_timer_t timers[MAX_TIMERS];
    int ntimers;
    long next_timer_id;
    loop_timer_fn *before_fn;
    void *before_arg;
    struct {
        int signo;
        loop_signal_fn *fn;
        void *arg;
    } signals[MAX_SIGNALS];
    int nsignals;
    int stop;
};

loop_t *loop_new(void)
{
    loop_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->fds = calloc(MAX_FDS, sizeof *self->fds);
    self->epfd = epoll_create1(EPOLL_CLOEXEC);
    self->sigfd = -1;
    self->next_timer_id = 1;
    sigemptyset(&self->sigs);
    if (!self->fds || self->epfd < 0) {
        loop_destroy(&self);
        return NULL;
    }
    return self;
}

void loop_destroy(loop_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    loop_t *self = *self_p;
    if (self->epfd >= 0)
        close(self->epfd);
    if (self->sigfd >= 0)
        close(self->sigfd);
    free(self->fds);
    free(self);
    *self_p = NULL;
}

int loop_add_fd(loop_t *loop, int fd, uint32_t events, loop_fd_fn *fn, void *arg)
{
    if (fd < 0 || fd >= MAX_FDS) {
        errno = EBADF;
        return -1;
    }
    struct epoll_event ev = {.events = events, .data.fd = fd};
    int had = loop->fds[fd].fn != NULL;
    if (epoll_ctl(loop->epfd, had ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0) {
        if (!had || errno != ENOENT || epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
            return -1;
    }
    loop->fds[fd].fn = fn;
    loop->fds[fd].arg = arg;
    return 0;
}

int loop_del_fd(loop_t *loop, int fd)
{
    if (fd < 0 || fd >= MAX_FDS || !loop->fds[fd].fn)
        return -1;
    loop->fds[fd].fn = NULL;
    loop->fds[fd].arg = NULL;
    return epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
}

long loop_timer(loop_t *loop, int64_t ms, int repeat, loop_timer_fn *fn, void *arg)
{
    if (loop->ntimers >= MAX_TIMERS)
        return -1;
    s_timer_t *t = &loop->timers[loop->ntimers++];
    t->id = loop->next_timer_id++;
    t->due = clock_mono_ms() + ms;
    t->every = repeat ? (ms > 0 ? ms : 1) : 0;
    t->fn = fn;
    t->arg = arg;
    return t->id;
}

void loop_timer_cancel(loop_t *loop, long id)
{
    for (int i = 0; i < loop->ntimers; i++)
        if (loop->timers[i].id == id) {
            loop->timers[i] = loop->timers[--loop->ntimers];
            return;
        }
}

void loop_before_sleep(loop_t *loop, loop_timer_fn *fn, void *arg)
{
    loop->before_fn = fn;
    loop->before_arg = arg;
}

static void s_on_signal(loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)events;
    (void)arg;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
        for (int i = 0; i < loop->nsignals; i++)
            if (loop->signals[i].signo == (int)si.ssi_signo)
                loop->signals[i].fn(loop, (int)si.ssi_signo, loop->signals[i].arg);
}

int loop_signal(loop_t *loop, int signo, loop_signal_fn *fn, void *arg)
{
    if (loop->nsignals >= MAX_SIGNALS)
        return -1;
    sigaddset(&loop->sigs, signo);
    if (sigprocmask(SIG_BLOCK, &loop->sigs, NULL) < 0)
        return -1;
    int fd = signalfd(loop->sigfd, &loop->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (loop->sigfd < 0) {
        loop->sigfd = fd;
        if (loop_add_fd(loop, fd, EPOLLIN, s_on_signal, NULL) < 0)
            return -1;
    }
    loop->signals[loop->nsignals].signo = signo;
    loop->signals[loop->nsignals].fn = fn;
    loop->signals[loop->nsignals].arg = arg;
    loop->nsignals++;
    return 0;
}

void loop_stop(loop_t *loop)
{
    loop->stop = 1;
}

/* s_run_timers - fire due timers; returns ms until the next one (-1: none). */
static int s_run_timers(loop_t *loop)
{
    int64_t now = clock_mono_ms();
    for (int i = 0; i < loop->ntimers;) {
        s_timer_t *t = &loop->timers[i];
        if (t->due > now) {
            i++;
            continue;
        }
        loop_timer_fn *fn = t->fn;
        void *arg = t->arg;
        if (t->every) {
            t->due = now + t->every;
            i++;
        } else {
            loop->timers[i] = loop->timers[--loop->ntimers];
        }
        fn(loop, arg);
    }
    int64_t next = -1;
    for (int i = 0; i < loop->ntimers; i++) {
        int64_t d = loop->timers[i].due - now;
        if (d < 0)
            d = 0;
        if (next < 0 || d < next)
            next = d;
    }
    return next > 3600000 ? 3600000 : (int)next;
}

int loop_run(loop_t *loop)
{
    struct epoll_event evs[256];
    while (!loop->stop) {
        int timeout = s_run_timers(loop);
        if (loop->before_fn)
            loop->before_fn(loop, loop->before_arg);
        if (loop->stop)
            break;
        /* the before-sleep hook may have created work due now */
        int t2 = s_run_timers(loop);
        if (t2 >= 0 && (timeout < 0 || t2 < timeout))
            timeout = t2;
        int n = epoll_wait(loop->epfd, evs, 256, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd >= 0 && fd < MAX_FDS && loop->fds[fd].fn)
                loop->fds[fd].fn(loop, fd, evs[i].events, loop->fds[fd].arg);
        }
    }
    loop->stop = 0; /* the loop can run again */
    return 0;
}
