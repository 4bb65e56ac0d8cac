/*
 * envelope.c - header frame codec and zmq send/recv. See envelope.h.
 */
#include "envelope.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

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

int envelope_send(void *socket, const envelope_t *e, const void *body, size_t len)
{
    unsigned char hdr[ENVELOPE_HDR_MAX];
    int n = envelope_encode(e, hdr, sizeof hdr);
    if (n < 0) {
        errno = EINVAL;
        return -1;
    }
    /* ZeroMQ sends a multipart message atomically: if the first frame is
     * queued, the rest is too. */
    if (zmq_send(socket, hdr, (size_t)n, ZMQ_DONTWAIT | (body ? ZMQ_SNDMORE : 0)) < 0)
        return -1;
    if (body && zmq_send(socket, body, len, ZMQ_DONTWAIT) < 0)
        return -1;
    return 0;
}

int envelope_recv(void *socket, envelope_t *e, char **body, size_t *len)
{
    *body = NULL;
    *len = 0;
    zmq_msg_t hdr;
    zmq_msg_init(&hdr);
    if (zmq_msg_recv(&hdr, socket, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&hdr);
        return errno == EAGAIN ? 0 : -1;
    }
    int more = zmq_msg_more(&hdr);
    int rc = envelope_decode(e, zmq_msg_data(&hdr), zmq_msg_size(&hdr));
    zmq_msg_close(&hdr);
    int frames = 0;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, socket, 0) < 0) {
            zmq_msg_close(&part);
            break;
        }
        more = zmq_msg_more(&part);
        if (frames++ == 0 && rc == 0) {
            *len = zmq_msg_size(&part);
            *body = malloc(*len + 1);
            if (*body) {
                memcpy(*body, zmq_msg_data(&part), *len);
                (*body)[*len] = '\0';
            }
        }
        zmq_msg_close(&part);
    }
    if (rc < 0 || frames > 1 || (e->kind == ENVELOPE_REQUEST && (!*body))) {
        free(*body);
        *body = NULL;
        *len = 0;
        return -1;
    }
    return 1;
}
