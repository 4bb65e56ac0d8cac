/*
 * curlloop.h - libcurl multi driven by our event loop.
 *
 * curl tells us which sockets to watch and when to wake it
 * (CURLMOPT_SOCKETFUNCTION / TIMERFUNCTION); we register those with the
 * loop and call curl_multi_socket_action when they fire, then hand every
 * finished transfer to the owner's DONE callback. Nothing blocks. Used by
 * the callback process (deliveries) and the ingress (registry lookups).
 * Plumbing: knows nothing of ONDC.
 */
#ifndef ONDC_CURLLOOP_H
#define ONDC_CURLLOOP_H

#include "loop.h"

#include <curl/curl.h>

typedef struct curlloop_s curlloop_t;

/* DONE is called once per finished transfer, still added to the multi
 * handle: the owner removes and cleans it up. */
typedef void(curlloop_done_fn)(CURL *easy, CURLcode result, void *arg);

/* curlloop_new - a multi handle plugged into LOOP; caller owns it. */
curlloop_t *curlloop_new(loop_t *loop, curlloop_done_fn *done, void *arg);

/* curlloop_multi - the multi handle (add easy handles, set options); borrowed. */
CURLM *curlloop_multi(curlloop_t *self);

/* curlloop_destroy - cancel the timer and clean the multi handle up
 * (accepts NULL, NULLs the pointer). Easy handles are the owner's. */
void curlloop_destroy(curlloop_t **self_p);

#endif
