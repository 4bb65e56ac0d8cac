/*
 * envelope.c - header frame codec, and the envelope over CZMQ frames.
 * See envelope.h.
 */
#include "envelope.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void s_put64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t s_get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

int envelope_encode(const envelope_t *e, unsigned char *buf, size_t cap)
{
    size_t al = strnlen(e->action, sizeof e->action), sl = strnlen(e->sender, sizeof e->sender);
    if (al > 32 || sl > 255 || cap < 22 + al + sl)
        return -1;
    size_t p = 0;
    buf[p++] = ENVELOPE_VERSION;
    buf[p++] = e->kind;
    buf[p++] = (unsigned char)(e->attempt >> 8);
    buf[p++] = (unsigned char)(e->attempt & 0xff);
    s_put64(buf + p, e->id);
    p += 8;
    s_put64(buf + p, e->received_ms);
    p += 8;
    buf[p++] = (unsigned char)al;
    memcpy(buf + p, e->action, al);
    p += al;
    buf[p++] = (unsigned char)sl;
    memcpy(buf + p, e->sender, sl);
    p += sl;
    return (int)p;
}

int envelope_decode(envelope_t *e, const unsigned char *buf, size_t len)
{
    memset(e, 0, sizeof *e);
    if (len < 20 || buf[0] != ENVELOPE_VERSION)
        return -1;
    size_t p = 0;
    e->version = buf[p++];
    e->kind = buf[p++];
    if (e->kind != ENVELOPE_REQUEST && e->kind != ENVELOPE_OUTBOX)
        return -1;
    e->attempt = (uint16_t)((buf[p] << 8) | buf[p + 1]);
    p += 2;
    e->id = s_get64(buf + p);
    p += 8;
    e->received_ms = s_get64(buf + p);
    p += 8;
    if (p + 1 > len)
        return -1;
    size_t al = buf[p++];
    if (al > 32 || p + al + 1 > len)
        return -1;
    memcpy(e->action, buf + p, al);
    p += al;
    size_t sl = buf[p++];
    if (p + sl != len)
        return -1;
    memcpy(e->sender, buf + p, sl);
    return 0;
}

/* s_send_header - the header HDR (N bytes, encoded) on SOCK, with MORE
 * when a body frame follows; 0, or -1 with errno */
static int s_send_header(zsock_t *sock, const unsigned char *hdr, int n, int more)
{
    zframe_t *f = zframe_new(hdr, (size_t)n);
    if (!f) {
        errno = ENOMEM;
        return -1;
    }
    /* ZeroMQ queues a multipart message atomically: once the header frame
     * is taken, the body frame is too */
    if (zframe_send(&f, sock, ZFRAME_DONTWAIT | (more ? ZFRAME_MORE : 0)) < 0) {
        int err = errno;
        zframe_destroy(&f); /* a failed send leaves the frame with us */
        errno = err;
        return -1;
    }
    return 0;
}

int envelope_send_frame(zsock_t *sock, const envelope_t *e, zframe_t **body_p)
{
    int has_body = body_p && *body_p;
    unsigned char hdr[ENVELOPE_HDR_MAX];
    int n = envelope_encode(e, hdr, sizeof hdr);
    int rc = -1;
    if (n < 0)
        errno = EINVAL;
    else
        rc = s_send_header(sock, hdr, n, has_body);
    /* ownership passes: the frame's message moves into ZeroMQ's queue
     * (zframe_send destroys the frame once it is taken) */
    if (rc == 0 && has_body)
        rc = zframe_send(body_p, sock, ZFRAME_DONTWAIT);
    if (has_body && *body_p) {
        int err = errno;
        zframe_destroy(body_p); /* not sent: ours to destroy */
        errno = err;
    }
    return rc < 0 ? -1 : 0;
}

int envelope_send(zsock_t *sock, const envelope_t *e, const void *body, size_t len)
{
    zframe_t *f = NULL;
    if (body && !(f = zframe_new(body, len))) {
        errno = ENOMEM;
        return -1;
    }
    return envelope_send_frame(sock, e, &f);
}

static void s_free(void *data, void *hint)
{
    (void)hint;
    free(data);
}

int envelope_send_owned(zsock_t *sock, const envelope_t *e, void *body, size_t len)
{
    unsigned char hdr[ENVELOPE_HDR_MAX];
    int n = envelope_encode(e, hdr, sizeof hdr);
    if (n < 0) {
        free(body); /* ownership passed: nothing was queued */
        errno = EINVAL;
        return -1;
    }
    /* ownership passes: ZeroMQ sends BODY where it lies and frees it with
     * s_free once sent (CZMQ's stable API has no frame over memory it did
     * not allocate, hence a zmq_msg_t on the socket's own handle). Made
     * before the header goes, so that a header never leaves without it. */
    zmq_msg_t m;
    if (body && zmq_msg_init_data(&m, body, len, s_free, NULL) != 0) {
        free(body);
        errno = ENOMEM;
        return -1;
    }
    if (s_send_header(sock, hdr, n, body != NULL) < 0) {
        int err = errno;
        if (body)
            zmq_msg_close(&m); /* frees BODY */
        errno = err;
        return -1;
    }
    if (body && zmq_msg_send(&m, zsock_resolve(sock), ZMQ_DONTWAIT) < 0) {
        int err = errno;
        zmq_msg_close(&m);
        errno = err;
        return -1;
    }
    return 0;
}

int envelope_recv(zsock_t *sock, envelope_t *e, zframe_t **body_p)
{
    *body_p = NULL;
    memset(e, 0, sizeof *e);
    /* the header without waiting: EAGAIN is "nothing pending". Asking
     * ZMQ_EVENTS first would cost a poll and a getpid a message; a failed
     * non-blocking receive processes the socket's commands itself, so the
     * descriptor's edge is armed again once it says EAGAIN. A multipart
     * message is there whole or not at all: the body frame, if any, waits. */
    zmq_msg_t h;
    zmq_msg_init(&h);
    if (zmq_msg_recv(&h, zsock_resolve(sock), ZMQ_DONTWAIT) < 0) {
        int err = errno;
        zmq_msg_close(&h);
        errno = err;
        return err == EAGAIN ? 0 : -1;
    }
    int more = zmq_msg_more(&h);
    int rc = envelope_decode(e, zmq_msg_data(&h), zmq_msg_size(&h));
    zmq_msg_close(&h);
    int frames = 0;
    while (more) {
        zframe_t *part = zframe_recv(sock);
        if (!part)
            break;
        more = zframe_more(part);
        if (frames++ == 0 && rc == 0)
            *body_p = part; /* the body stays in its frame: no copy */
        else
            zframe_destroy(&part);
    }
    if (rc < 0 || frames > 1 || (e->kind == ENVELOPE_REQUEST && !*body_p)) {
        zframe_destroy(body_p);
        return -1;
    }
    return 1;
}
