/*
 * envelope.h - the message between processes: a versioned header frame and
 * the raw request body, as a ZeroMQ multipart message.
 *
 * Header frame (network byte order), version 1:
 *   u8 version | u8 kind | u16 attempt | u64 id | u64 received_ms |
 *   u8 action_len | action | u8 sender_len | sender
 * kind REQUEST: id is the journal id, the second frame is the body.
 * kind OUTBOX: id is the outbox row id, no body frame.
 * Encoding and decoding live here only; sizes are checked before any field
 * is read, and an unknown version is refused (the caller counts it and
 * moves on, never crashes).
 *
 * On the wire each frame is a CZMQ frame (zframe_t). A received body stays
 * in its frame (no copy): the receiver reads zframe_data / zframe_size and
 * destroys the frame, or hands it on with envelope_send_frame. Sends never
 * block: at the high-water mark they fail with EAGAIN, and a multipart
 * message leaves whole or not at all.
 */
#ifndef ONDC_ENVELOPE_H
#define ONDC_ENVELOPE_H

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

#define ENVELOPE_VERSION 1
#define ENVELOPE_HDR_MAX (1 + 1 + 2 + 8 + 8 + 1 + 32 + 1 + 255)

typedef enum { ENVELOPE_REQUEST = 1, ENVELOPE_OUTBOX = 2 } envelope_kind_t;

typedef struct {
    uint8_t version;
    uint8_t kind;
    uint16_t attempt;
    uint64_t id;
    uint64_t received_ms;
    char action[33];
    char sender[256];
} envelope_t;

/* envelope_encode - write E's header into BUF (>= ENVELOPE_HDR_MAX bytes);
 * returns the length or -1 if a field is too long. */
int envelope_encode(const envelope_t *e, unsigned char *buf, size_t cap);

/* envelope_decode - parse LEN bytes of header into E. Returns 0, or -1 on
 * a short, malformed or unknown-version frame. */
int envelope_decode(envelope_t *e, const unsigned char *buf, size_t len);

/* envelope_send - send E's header and a copy of BODY (LEN bytes; no body
 * frame when BODY is NULL) on SOCK. Returns 0, or -1 with errno (EINVAL: a
 * field too long; EAGAIN: the high-water mark). */
int envelope_send(zsock_t *sock, const envelope_t *e, const void *body, size_t len);

/* envelope_send_frame - send E's header and the body frame *BODY_P (NULL
 * or *BODY_P NULL: no body frame) on SOCK without copying it: ownership
 * passes, *BODY_P is sent or destroyed and NULLed either way. 0 or -1
 * with errno, as envelope_send. */
int envelope_send_frame(zsock_t *sock, const envelope_t *e, zframe_t **body_p);

/* envelope_send_owned - send E's header and BODY (LEN bytes from malloc)
 * on SOCK without copying it: ownership passes, ZeroMQ frees BODY once it
 * is sent, or at once when the send fails. 0 or -1 with errno, as
 * envelope_send. */
int envelope_send_owned(zsock_t *sock, const envelope_t *e, void *body, size_t len);

/* envelope_recv - receive one message from SOCK without blocking. On
 * success fills E, and *BODY_P with the body frame (caller owns:
 * zframe_destroy; NULL when there is none). Returns 1 got one, 0 nothing
 * pending, -1 malformed (already consumed and dropped, *BODY_P NULL). */
int envelope_recv(zsock_t *sock, envelope_t *e, zframe_t **body_p);

#endif
