/*
 * zsock.h - ZeroMQ socket helpers: create with the high-water marks set by
 * hand, bind or connect (making the ipc directory), and plug a socket into
 * the loop.
 *
 * ZMQ_FD is edge-triggered: a watcher must drain the socket while
 * ZMQ_EVENTS says input is ready; zsock_watch calls FN for as long as it
 * does (FN receives one message per call at most, or drains itself).
 */
#ifndef ONDC_ZSOCK_H
#define ONDC_ZSOCK_H

#include "loop.h"

typedef void(zsock_ready_fn)(void *socket, void *arg);

/* zsock_new - a socket of TYPE (ZMQ_PUSH...) with send/recv high-water
 * mark HWM and linger LINGER_MS; BIND or connect to ENDPOINT. Caller owns
 * it (zmq_close). NULL on failure (logged). */
void *zsock_new(void *zctx, int type, const char *endpoint, int bind, int hwm, int linger_ms);

/* zsock_watch - call FN(socket, ARG) from LOOP whenever SOCKET has input;
 * FN must receive everything it is handed. */
int zsock_watch(loop_t *loop, void *socket, zsock_ready_fn *fn, void *arg);

/* zsock_has_input - whether SOCKET has a message waiting. */
int zsock_has_input(void *socket);

#endif
