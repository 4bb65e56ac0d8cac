/*
 * loop.h - the one event loop of every process (epoll).
 *
 * File descriptors with a callback, one-shot and repeating timers in
 * milliseconds, a before-sleep hook that runs once per iteration (where
 * group commits happen), and signals turned into loop events through a
 * signalfd. Nothing registered here may block. Plumbing: no ONDC.
 */
#ifndef ONDC_LOOP_H
#define ONDC_LOOP_H

#include <stdint.h>

typedef struct loop_s loop_t;
typedef void(loop_fd_fn)(loop_t *loop, int fd, uint32_t events, void *arg);
typedef void(loop_timer_fn)(loop_t *loop, void *arg);
typedef void(loop_signal_fn)(loop_t *loop, int signo, void *arg);

/* loop_new - a new loop; caller owns it. NULL on failure (errno set). */
loop_t *loop_new(void);

/* loop_destroy - free the loop (accepts NULL, NULLs the pointer). Does not
 * close registered fds. */
void loop_destroy(loop_t **self_p);

/* loop_add_fd - watch FD for EVENTS (EPOLLIN/EPOLLOUT...); replaces an
 * existing registration of FD. */
int loop_add_fd(loop_t *loop, int fd, uint32_t events, loop_fd_fn *fn, void *arg);

/* loop_del_fd - stop watching FD. */
int loop_del_fd(loop_t *loop, int fd);

/* loop_timer - call FN after MS milliseconds, then every MS if REPEAT.
 * Returns a timer id (> 0) or -1. */
long loop_timer(loop_t *loop, int64_t ms, int repeat, loop_timer_fn *fn, void *arg);

/* loop_timer_cancel - cancel timer ID (no-op if it already ran). */
void loop_timer_cancel(loop_t *loop, long id);

/* loop_before_sleep - FN runs once per iteration before waiting. */
void loop_before_sleep(loop_t *loop, loop_timer_fn *fn, void *arg);

/* loop_signal - turn SIGNO into a loop event (blocks its default action). */
int loop_signal(loop_t *loop, int signo, loop_signal_fn *fn, void *arg);

/* loop_run - run until loop_stop. Returns 0. */
int loop_run(loop_t *loop);

/* loop_stop - make loop_run return after the current iteration. */
void loop_stop(loop_t *loop);

#endif
