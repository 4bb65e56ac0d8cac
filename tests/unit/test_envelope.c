/*
 * test_envelope.c - envelope.{c,h}: the header codec (round trips at the
 * field limits, refusal of every truncation, unknown versions and kinds,
 * trailing bytes, lengths past the end) and envelope_send /
 * envelope_send_frame / envelope_send_owned / envelope_recv over a real
 * CZMQ PUSH/PULL pair on inproc://, including malformed messages that must
 * be dropped without losing the next good one, a body frame handed on as
 * it came, and ownership of the body passing on a failed send too (the
 * sanitizer build sees a leak or a double free).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "envelope.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* offsets in a version 1 header */
#define OFF_VERSION 0
#define OFF_KIND 1
#define OFF_ACTION_LEN 20
#define FIXED_LEN 22 /* header without action and sender text */

static void s_fill(envelope_t *e, int kind, uint16_t attempt, uint64_t id, uint64_t received,
                   size_t action_len, size_t sender_len)
{
    memset(e, 0, sizeof *e);
    e->version = ENVELOPE_VERSION;
    e->kind = (uint8_t)kind;
    e->attempt = attempt;
    e->id = id;
    e->received_ms = received;
    for (size_t i = 0; i < action_len; i++)
        e->action[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < sender_len; i++)
        e->sender[i] = (char)('A' + i % 26);
}

static void s_assert_same(const envelope_t *a, const envelope_t *b)
{
    assert_int_equal(a->version, ENVELOPE_VERSION);
    assert_int_equal(b->version, ENVELOPE_VERSION);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->attempt, b->attempt);
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->received_ms, b->received_ms);
    assert_string_equal(a->action, b->action);
    assert_string_equal(a->sender, b->sender);
}

typedef struct {
    int kind;
    uint16_t attempt;
    uint64_t id, received;
    size_t action_len, sender_len;
} rt_case_t;

/* every case fits a buffer of ENVELOPE_HDR_MAX with room to spare; the
 * case with both fields at their maximum is test_encode_max_fields */
static const rt_case_t s_rt_cases[] = {
    {ENVELOPE_REQUEST, 0, 1, 1668688564230ULL, 4, 15},
    {ENVELOPE_OUTBOX, 7, 42, 0, 7, 0},
    {ENVELOPE_REQUEST, 65535, UINT64_MAX, UINT64_MAX, 0, 0},
    {ENVELOPE_REQUEST, 0x0102, 0x0102030405060708ULL, 0x1112131415161718ULL, 6, 255},
    {ENVELOPE_OUTBOX, 1, 99, 1, 32, 200},
    {ENVELOPE_OUTBOX, 1, 99, 1, 30, 255},
};

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_rt_cases); i++) {
        const rt_case_t *c = &s_rt_cases[i];
        envelope_t e, d;
        s_fill(&e, c->kind, c->attempt, c->id, c->received, c->action_len, c->sender_len);
        unsigned char buf[ENVELOPE_HDR_MAX + 16];
        int n = envelope_encode(&e, buf, sizeof buf);
        assert_int_equal(n, FIXED_LEN + c->action_len + c->sender_len);
        assert_int_equal(buf[OFF_VERSION], 1);
        assert_int_equal(buf[OFF_KIND], c->kind);
        assert_int_equal(buf[OFF_ACTION_LEN], c->action_len);
        assert_int_equal(envelope_decode(&d, buf, (size_t)n), 0);
        s_assert_same(&e, &d);
    }
}

static void test_wire_layout(void **state)
{
    (void)state;
    envelope_t e;
    s_fill(&e, ENVELOPE_REQUEST, 0x0203, 0x0102030405060708ULL, 0x1112131415161718ULL, 0, 0);
    strcpy(e.action, "init");
    strcpy(e.sender, "bap");
    unsigned char buf[ENVELOPE_HDR_MAX];
    int n = envelope_encode(&e, buf, sizeof buf);
    static const unsigned char want[] = {
        1,    1,    0x02, 0x03, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x11, 0x12, 0x13,
        0x14, 0x15, 0x16, 0x17, 0x18, 4,    'i',  'n',  'i',  't',  3,    'b',  'a',  'p'};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
}

/* With a 32-byte action and a 255-byte sender the header is exactly
 * ENVELOPE_HDR_MAX (309) bytes: encode must take a buffer of that size (the
 * size envelope.h promises is enough and the size envelope_send uses). */
static void test_encode_max_fields(void **state)
{
    (void)state;
    envelope_t e, d;
    s_fill(&e, ENVELOPE_REQUEST, 3, 77, 1234, 32, 255);
    unsigned char buf[ENVELOPE_HDR_MAX];
    int n = envelope_encode(&e, buf, sizeof buf);
    assert_int_equal(n, ENVELOPE_HDR_MAX);
    assert_int_equal(envelope_decode(&d, buf, (size_t)n), 0);
    s_assert_same(&e, &d);
}

static void test_encode_refusals(void **state)
{
    (void)state;
    envelope_t e;
    unsigned char buf[ENVELOPE_HDR_MAX + 16];
    /* action of 33 characters (no NUL inside the field) */
    s_fill(&e, ENVELOPE_REQUEST, 0, 1, 1, 0, 0);
    memset(e.action, 'x', sizeof e.action);
    assert_int_equal(envelope_encode(&e, buf, sizeof buf), -1);
    /* sender of 256 characters */
    s_fill(&e, ENVELOPE_REQUEST, 0, 1, 1, 0, 0);
    memset(e.sender, 'y', sizeof e.sender);
    assert_int_equal(envelope_encode(&e, buf, sizeof buf), -1);
    /* a buffer too small for the fixed part */
    s_fill(&e, ENVELOPE_REQUEST, 0, 1, 1, 4, 4);
    assert_int_equal(envelope_encode(&e, buf, 10), -1);
}

static void test_decode_refusals(void **state)
{
    (void)state;
    envelope_t e, d;
    s_fill(&e, ENVELOPE_REQUEST, 2, 1000, 2000, 6, 40);
    unsigned char buf[ENVELOPE_HDR_MAX + 16];
    int n = envelope_encode(&e, buf, sizeof buf);
    assert_true(n > 0);

    /* every truncation */
    for (int len = 0; len < n; len++)
        if (envelope_decode(&d, buf, (size_t)len) != -1)
            fail_msg("a header truncated to %d of %d bytes was accepted", len, n);

    /* a trailing byte */
    buf[n] = 'Z';
    assert_int_equal(envelope_decode(&d, buf, (size_t)n + 1), -1);

    /* version 0, 2 and 255 */
    static const unsigned char versions[] = {0, 2, 255};
    for (size_t i = 0; i < N(versions); i++) {
        unsigned char b[sizeof buf];
        memcpy(b, buf, (size_t)n);
        b[OFF_VERSION] = versions[i];
        assert_int_equal(envelope_decode(&d, b, (size_t)n), -1);
    }

    /* kinds other than REQUEST and OUTBOX */
    static const unsigned char kinds[] = {0, 3, 9, 255};
    for (size_t i = 0; i < N(kinds); i++) {
        unsigned char b[sizeof buf];
        memcpy(b, buf, (size_t)n);
        b[OFF_KIND] = kinds[i];
        assert_int_equal(envelope_decode(&d, b, (size_t)n), -1);
    }

    /* action_len beyond the buffer, and above 32 */
    {
        unsigned char b[sizeof buf];
        memcpy(b, buf, (size_t)n);
        b[OFF_ACTION_LEN] = (unsigned char)(n - OFF_ACTION_LEN);
        assert_int_equal(envelope_decode(&d, b, (size_t)n), -1);
        b[OFF_ACTION_LEN] = 33;
        assert_int_equal(envelope_decode(&d, b, (size_t)n), -1);
        b[OFF_ACTION_LEN] = 255;
        assert_int_equal(envelope_decode(&d, b, (size_t)n), -1);
    }

    /* sender_len beyond the buffer, and short of it */
    {
        size_t off = OFF_ACTION_LEN + 1 + 6;
        assert_int_equal(buf[off], 40);
        unsigned char b[sizeof buf];
        memcpy(b, buf, (size_t)n);
        b[off] = 41;
        assert_int_equal(envelope_decode(&d, b, (size_t)n), -1);
        b[off] = 255;
        assert_int_equal(envelope_decode(&d, b, (size_t)n), -1);
        b[off] = 39;
        assert_int_equal(envelope_decode(&d, b, (size_t)n), -1);
    }

    /* the intact header still decodes */
    assert_int_equal(envelope_decode(&d, buf, (size_t)n), 0);
    s_assert_same(&e, &d);
}

/* ---- over ZeroMQ ---- */

typedef struct {
    zsock_t *push, *pull;
} pair_t;

/* s_socket - a socket of TYPE as the stages make theirs, bound or
 * connected to EP; NULL on failure */
static zsock_t *s_socket(int type, const char *ep, int bind)
{
    zsock_t *s = zsock_new(type);
    if (!s)
        return NULL;
    zsock_set_sndhwm(s, 1000);
    zsock_set_rcvhwm(s, 1000);
    zsock_set_linger(s, 0);
    if ((bind ? zsock_bind(s, "%s", ep) : zsock_connect(s, "%s", ep)) < 0)
        zsock_destroy(&s);
    return s;
}

static int s_pair_setup(void **state)
{
    static int seq;
    pair_t *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://test-envelope-%d", seq++);
    p->pull = s_socket(ZMQ_PULL, ep, 1);
    p->push = s_socket(ZMQ_PUSH, ep, 0);
    *state = p;
    return p->pull && p->push ? 0 : -1;
}

static int s_pair_teardown(void **state)
{
    pair_t *p = *state;
    zsock_destroy(&p->push);
    zsock_destroy(&p->pull);
    free(p);
    return 0;
}

/* s_recv - wait (at most 2 s) for input, then envelope_recv once. */
static int s_recv(zsock_t *sock, envelope_t *e, zframe_t **body)
{
    zpoller_t *poller = zpoller_new(sock, NULL);
    zpoller_wait(poller, 2000);
    zpoller_destroy(&poller);
    return envelope_recv(sock, e, body);
}

/* s_send_raw - FRAMES (N of them, NUL-terminated text or HDR) as one
 * multipart message, bypassing envelope_send */
static void s_send_raw(zsock_t *sock, const void *const *data, const size_t *len, int n)
{
    for (int i = 0; i < n; i++) {
        zframe_t *f = zframe_new(data[i], len[i]);
        assert_non_null(f);
        assert_int_equal(zframe_send(&f, sock, i + 1 < n ? ZFRAME_MORE : 0), 0);
    }
}

static void test_zmq_with_body(void **state)
{
    pair_t *p = *state;
    envelope_t e, d;
    s_fill(&e, ENVELOPE_REQUEST, 1, 17, 1668688564230ULL, 0, 0);
    strcpy(e.action, "init");
    strcpy(e.sender, "carecommerce.in");
    static const char body[] = "{\"context\":{},\"message\":{}}";
    assert_int_equal(envelope_send(p->push, &e, body, strlen(body)), 0);
    zframe_t *got = (zframe_t *)1;
    assert_int_equal(s_recv(p->pull, &d, &got), 1);
    s_assert_same(&e, &d);
    assert_non_null(got);
    assert_int_equal(zframe_size(got), strlen(body));
    assert_memory_equal(zframe_data(got), body, strlen(body));
    assert_int_equal(zframe_more(got), 0);
    zframe_destroy(&got);

    /* a body with NUL bytes and an empty body arrive exactly */
    static const char bin[] = {'a', 0, 'b', 0};
    assert_int_equal(envelope_send(p->push, &e, bin, sizeof bin), 0);
    assert_int_equal(s_recv(p->pull, &d, &got), 1);
    assert_int_equal(zframe_size(got), sizeof bin);
    assert_memory_equal(zframe_data(got), bin, sizeof bin);
    zframe_destroy(&got);
    assert_int_equal(envelope_send(p->push, &e, "", 0), 0);
    assert_int_equal(s_recv(p->pull, &d, &got), 1);
    assert_non_null(got); /* an empty body is still a body frame */
    assert_int_equal(zframe_size(got), 0);
    zframe_destroy(&got);

    /* nothing pending: 0 at once, without blocking */
    got = (zframe_t *)1;
    int64_t t0 = zclock_mono();
    assert_int_equal(envelope_recv(p->pull, &d, &got), 0);
    assert_true(zclock_mono() - t0 < 1000);
    assert_null(got);
}

static void test_zmq_without_body(void **state)
{
    pair_t *p = *state;
    envelope_t e, d;
    s_fill(&e, ENVELOPE_OUTBOX, 0, 4242, 5, 0, 0);
    strcpy(e.action, "on_init");
    assert_int_equal(envelope_send(p->push, &e, NULL, 0), 0);
    zframe_t *got = (zframe_t *)1;
    assert_int_equal(s_recv(p->pull, &d, &got), 1);
    s_assert_same(&e, &d);
    assert_null(got);

    /* a REQUEST needs its body frame: without one it is malformed */
    s_fill(&e, ENVELOPE_REQUEST, 0, 4243, 5, 0, 0);
    strcpy(e.action, "init");
    assert_int_equal(envelope_send(p->push, &e, NULL, 0), 0);
    got = (zframe_t *)1;
    assert_int_equal(s_recv(p->pull, &d, &got), -1);
    assert_null(got);
    /* ... and so through envelope_send_frame and envelope_send_owned */
    assert_int_equal(envelope_send_frame(p->push, &e, NULL), 0);
    assert_int_equal(s_recv(p->pull, &d, &got), -1);
    assert_int_equal(envelope_send_owned(p->push, &e, NULL, 0), 0);
    assert_int_equal(s_recv(p->pull, &d, &got), -1);
    assert_null(got);
}

static void test_zmq_malformed_then_good(void **state)
{
    pair_t *p = *state;
    envelope_t e, d;
    s_fill(&e, ENVELOPE_REQUEST, 0, 1, 2, 0, 0);
    strcpy(e.action, "select");
    strcpy(e.sender, "bap.example");
    unsigned char hdr[ENVELOPE_HDR_MAX];
    int n = envelope_encode(&e, hdr, sizeof hdr);
    assert_true(n > 0);
    unsigned char bad[ENVELOPE_HDR_MAX];
    memcpy(bad, hdr, (size_t)n);
    bad[OFF_VERSION] = 2;

    /* 1: three frames (header, body, one too many) */
    s_send_raw(p->push, (const void *[]){hdr, "body", "extra"}, (size_t[]){(size_t)n, 4, 5}, 3);
    /* 2: an unknown version with a body */
    s_send_raw(p->push, (const void *[]){bad, "body"}, (size_t[]){(size_t)n, 4}, 2);
    /* 3: a short header alone */
    s_send_raw(p->push, (const void *[]){hdr}, (size_t[]){5}, 1);
    /* 4: an empty frame alone */
    s_send_raw(p->push, (const void *[]){""}, (size_t[]){0}, 1);
    /* 5: a good one */
    e.id = 99;
    assert_int_equal(envelope_send(p->push, &e, "good", 4), 0);

    zframe_t *got;
    for (int i = 0; i < 4; i++) {
        got = (zframe_t *)1;
        if (s_recv(p->pull, &d, &got) != -1)
            fail_msg("malformed message %d was not refused", i + 1);
        assert_null(got);
    }
    assert_int_equal(s_recv(p->pull, &d, &got), 1);
    assert_int_equal(d.id, 99);
    assert_string_equal(d.action, "select");
    assert_string_equal(d.sender, "bap.example");
    assert_int_equal(zframe_size(got), 4);
    assert_memory_equal(zframe_data(got), "good", 4);
    zframe_destroy(&got);
    assert_int_equal(envelope_recv(p->pull, &d, &got), 0);
}

static void test_zmq_send_refuses_bad_header(void **state)
{
    pair_t *p = *state;
    envelope_t e;
    s_fill(&e, ENVELOPE_REQUEST, 0, 1, 1, 0, 0);
    memset(e.sender, 'y', sizeof e.sender); /* 256 characters */
    errno = 0;
    assert_int_equal(envelope_send(p->push, &e, "x", 1), -1);
    assert_int_equal(errno, EINVAL);
    /* the frame and the malloc'd body are let go all the same */
    zframe_t *f = zframe_new("x", 1);
    errno = 0;
    assert_int_equal(envelope_send_frame(p->push, &e, &f), -1);
    assert_int_equal(errno, EINVAL);
    assert_null(f);
    char *owned = strdup("x");
    errno = 0;
    assert_int_equal(envelope_send_owned(p->push, &e, owned, 1), -1);
    assert_int_equal(errno, EINVAL);
    envelope_t d;
    zframe_t *got;
    assert_int_equal(envelope_recv(p->pull, &d, &got), 0);
}

/* A header with a 32-byte action and a 255-byte sender can be sent. */
static void test_zmq_max_fields(void **state)
{
    pair_t *p = *state;
    envelope_t e, d;
    s_fill(&e, ENVELOPE_OUTBOX, 1, 5, 6, 32, 255);
    assert_int_equal(envelope_send(p->push, &e, NULL, 0), 0);
    zframe_t *got;
    assert_int_equal(s_recv(p->pull, &d, &got), 1);
    s_assert_same(&e, &d);
    assert_null(got);
}

/* A received body frame handed on with envelope_send_frame (the
 * dispatcher's forwarding) arrives the same, and the sender's pointer is
 * NULLed: ownership passed. */
static void test_zmq_forward_frame(void **state)
{
    pair_t *p = *state;
    envelope_t e, d;
    s_fill(&e, ENVELOPE_REQUEST, 2, 31, 41, 0, 0);
    strcpy(e.action, "confirm");
    strcpy(e.sender, "bap.example");
    /* a body larger than a ZeroMQ "very small message" */
    char body[3000];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (char)('a' + i % 26);
    assert_int_equal(envelope_send(p->push, &e, body, sizeof body), 0);
    zframe_t *got;
    assert_int_equal(s_recv(p->pull, &d, &got), 1);
    d.attempt = 3;
    assert_int_equal(envelope_send_frame(p->push, &d, &got), 0);
    assert_null(got);
    envelope_t d2;
    assert_int_equal(s_recv(p->pull, &d2, &got), 1);
    assert_int_equal(d2.attempt, 3);
    assert_int_equal(d2.id, 31);
    assert_string_equal(d2.action, "confirm");
    assert_int_equal(zframe_size(got), sizeof body);
    assert_memory_equal(zframe_data(got), body, sizeof body);
    zframe_destroy(&got);
}

/* envelope_send_owned: the malloc'd body arrives exactly, and ZeroMQ frees
 * it (the sanitizer build reports it otherwise). */
static void test_zmq_send_owned(void **state)
{
    pair_t *p = *state;
    envelope_t e, d;
    s_fill(&e, ENVELOPE_OUTBOX, 0, 77, 88, 0, 0);
    strcpy(e.action, "on_confirm");
    for (size_t size = 1; size <= 70000; size *= 7) {
        unsigned char *row = malloc(size);
        assert_non_null(row);
        for (size_t i = 0; i < size; i++)
            row[i] = (unsigned char)(i * 31 + size);
        unsigned char *want = malloc(size);
        assert_non_null(want);
        memcpy(want, row, size);
        e.id = size;
        assert_int_equal(envelope_send_owned(p->push, &e, row, size), 0);
        zframe_t *got;
        assert_int_equal(s_recv(p->pull, &d, &got), 1);
        assert_int_equal(d.id, size);
        assert_non_null(got);
        assert_int_equal(zframe_size(got), size);
        assert_memory_equal(zframe_data(got), want, size);
        zframe_destroy(&got);
        free(want);
    }
}

/* At the high-water mark (a PUSH with no peer takes nothing) each send
 * fails with EAGAIN, nothing half-sent, and the bodies handed over are let
 * go. */
static void test_zmq_no_peer(void **state)
{
    (void)state;
    zsock_t *lone = s_socket(ZMQ_PUSH, "inproc://test-envelope-nobody", 1);
    assert_non_null(lone);
    envelope_t e;
    s_fill(&e, ENVELOPE_REQUEST, 0, 1, 1, 4, 4);
    errno = 0;
    assert_int_equal(envelope_send(lone, &e, "body", 4), -1);
    assert_int_equal(errno, EAGAIN);
    zframe_t *f = zframe_new("body", 4);
    errno = 0;
    assert_int_equal(envelope_send_frame(lone, &e, &f), -1);
    assert_int_equal(errno, EAGAIN);
    assert_null(f);
    errno = 0;
    assert_int_equal(envelope_send_owned(lone, &e, strdup("body"), 4), -1);
    assert_int_equal(errno, EAGAIN);
    /* a peer that connects now gets the next message whole, and nothing
     * of the refused ones before it */
    zsock_t *pull = s_socket(ZMQ_PULL, "inproc://test-envelope-nobody", 0);
    assert_non_null(pull);
    e.id = 2;
    int rc = -1;
    for (int i = 0; i < 200 && rc != 0; i++) {
        rc = envelope_send(lone, &e, "next", 4); /* once the PUSH sees its peer */
        if (rc != 0)
            zclock_sleep(10);
    }
    assert_int_equal(rc, 0);
    envelope_t d;
    zframe_t *got;
    assert_int_equal(s_recv(pull, &d, &got), 1);
    assert_int_equal(d.id, 2);
    assert_memory_equal(zframe_data(got), "next", 4);
    zframe_destroy(&got);
    assert_int_equal(envelope_recv(pull, &d, &got), 0);
    zsock_destroy(&pull);
    zsock_destroy(&lone);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_wire_layout),
        cmocka_unit_test(test_encode_max_fields),
        cmocka_unit_test(test_encode_refusals),
        cmocka_unit_test(test_decode_refusals),
        cmocka_unit_test_setup_teardown(test_zmq_with_body, s_pair_setup, s_pair_teardown),
        cmocka_unit_test_setup_teardown(test_zmq_without_body, s_pair_setup, s_pair_teardown),
        cmocka_unit_test_setup_teardown(test_zmq_malformed_then_good, s_pair_setup,
                                        s_pair_teardown),
        cmocka_unit_test_setup_teardown(test_zmq_send_refuses_bad_header, s_pair_setup,
                                        s_pair_teardown),
        cmocka_unit_test_setup_teardown(test_zmq_max_fields, s_pair_setup, s_pair_teardown),
        cmocka_unit_test_setup_teardown(test_zmq_forward_frame, s_pair_setup, s_pair_teardown),
        cmocka_unit_test_setup_teardown(test_zmq_send_owned, s_pair_setup, s_pair_teardown),
        cmocka_unit_test(test_zmq_no_peer),
    };
    zsys_handler_set(NULL);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
