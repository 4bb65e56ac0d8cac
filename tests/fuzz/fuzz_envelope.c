/*
 * fuzz_envelope.c - the versioned envelope decoder (every frame a stage
 * reads from ZeroMQ); what decodes must encode back to the same bytes. The
 * input is also sent as the header frame of real CZMQ messages over an
 * inproc:// PUSH/PULL pair - alone, with a body frame, and with one frame
 * too many - and envelope_recv must agree with the decoder: a message it
 * takes has the decoded header and the body as sent, a malformed one is
 * refused with nothing handed back, and nothing is left behind.
 */
#include "envelope.h"

#include <czmq.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static zsock_t *s_push, *s_pull;

static void s_close(void)
{
    /* before CZMQ's own exit handler (registered earlier, runs later) */
    zsock_destroy(&s_push);
    zsock_destroy(&s_pull);
    zsys_shutdown();
}

static void s_open(void)
{
    zsys_handler_set(NULL);
    s_pull = zsock_new(ZMQ_PULL);
    s_push = zsock_new(ZMQ_PUSH);
    if (!s_pull || !s_push || zsock_bind(s_pull, "inproc://fuzz-envelope") < 0 ||
        zsock_connect(s_push, "inproc://fuzz-envelope") < 0)
        abort();
    atexit(s_close);
}

/* s_send - DATA as the header frame, then NBODY frames of "body" */
static void s_send(const uint8_t *data, size_t size, int nbody)
{
    zframe_t *f = zframe_new(data, size);
    if (zframe_send(&f, s_push, nbody ? ZFRAME_MORE : 0) < 0)
        abort();
    for (int i = 0; i < nbody; i++) {
        f = zframe_new("body", 4);
        if (zframe_send(&f, s_push, i + 1 < nbody ? ZFRAME_MORE : 0) < 0)
            abort();
    }
}

/* s_recv - envelope_recv once the message is there (inproc: at once, or
 * after the pipe's first activation) */
static int s_recv(envelope_t *e, zframe_t **body)
{
    int rc = 0;
    for (int i = 0; i < 1000 && rc == 0; i++)
        rc = envelope_recv(s_pull, e, body);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_t e;
    int ok = envelope_decode(&e, data, size) == 0;
    if (ok) {
        unsigned char buf[1024];
        int n = envelope_encode(&e, buf, sizeof buf);
        envelope_t again;
        if (n > 0 && (envelope_decode(&again, buf, (size_t)n) != 0 || again.id != e.id ||
                      again.kind != e.kind))
            abort(); /* decode(encode(x)) must give x back */
    }
    if (!s_pull)
        s_open();
    for (int nbody = 0; nbody <= 2; nbody++) {
        s_send(data, size, nbody);
        envelope_t got;
        zframe_t *body = (zframe_t *)1;
        int rc = s_recv(&got, &body);
        /* taken: a header that decodes, at most one body frame, and a
         * REQUEST's body frame there */
        int want = ok && nbody <= 1 && (nbody == 1 || e.kind == ENVELOPE_OUTBOX) ? 1 : -1;
        if (rc != want)
            abort();
        if (rc == 1) {
            if (got.kind != e.kind || got.id != e.id || got.attempt != e.attempt ||
                got.received_ms != e.received_ms || strcmp(got.action, e.action) != 0 ||
                strcmp(got.sender, e.sender) != 0)
                abort();
            if (nbody == 1 &&
                (!body || zframe_size(body) != 4 || memcmp(zframe_data(body), "body", 4)))
                abort();
            if (nbody == 0 && body)
                abort();
        } else if (body) {
            abort(); /* a refused message hands nothing back */
        }
        zframe_destroy(&body);
        if (envelope_recv(s_pull, &got, &body) != 0)
            abort(); /* the whole message was consumed */
    }
    return 0;
}
