/*
 * zwatch.h - a CZMQ socket plugged into the project's loop (util/loop.c).
 *
 * The loop watches the socket's ZMQ_FD. That descriptor is edge-triggered
 * and says only that the socket's state may have changed: a watcher must
 * drain the socket until a non-blocking receive says EAGAIN (which also
 * processes the socket's commands and so arms the edge again), or it may
 * never be woken again. zwatch calls FN until FN says it found the socket
 * empty; FN receives without blocking, as many messages as it likes per
 * call. Messages queued before the watch began are handled at the loop's
 * next turn.
 *
 * Ownership: the watch borrows the socket and the loop; destroy the watch
 * before either. Plumbing: knows nothing of ONDC.
 */
#ifndef ONDC_ZWATCH_H
#define ONDC_ZWATCH_H

#include "loop.h"

#include <czmq.h>

typedef struct zwatch_s zwatch_t;

/* FN is called when SOCK may have input (there may be none: an edge says
 * only that something changed). It receives without blocking and returns
 * 0 once a receive found the socket empty (EAGAIN), or 1 when it stopped
 * with messages perhaps left, to be called again at once. */
typedef int(zwatch_fn)(zsock_t *sock, void *arg);

/* zwatch_new - call FN(SOCK, ARG) from LOOP whenever SOCK has input.
 * Caller owns the watch. NULL on failure (logged). */
zwatch_t *zwatch_new(loop_t *loop, zsock_t *sock, zwatch_fn *fn, void *arg);

/* zwatch_destroy - stop watching (accepts NULL, NULLs the pointer); the
 * socket stays open, the caller's. */
void zwatch_destroy(zwatch_t **self_p);

/* zwatch_has_input - whether SOCK has a message waiting (ZMQ_EVENTS). */
int zwatch_has_input(zsock_t *sock);

#endif
