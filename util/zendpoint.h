/*
 * zendpoint.h - bind or connect a CZMQ socket to one endpoint taken from
 * the config, verbatim.
 *
 * Binding an ipc:// endpoint first makes the socket file's directory (mode
 * 0750; one that exists is kept). The endpoint is one address: unlike
 * zsock_attach, a comma or a leading '@' / '>' in it is not syntax. Set the
 * socket's options (high-water marks, linger) before calling: ZeroMQ applies
 * them to the connections made here. Plumbing: knows nothing of ONDC.
 */
#ifndef ONDC_ZENDPOINT_H
#define ONDC_ZENDPOINT_H

#include <czmq.h>

/* zendpoint_attach - BIND (1) or connect (0) SOCK to ENDPOINT. 0, or -1
 * (logged with the endpoint and ZeroMQ's reason). */
int zendpoint_attach(zsock_t *sock, const char *endpoint, int bind);

#endif
