/*
 * bench_sink.c - ondc-bench's callback sink: a small HTTP/1.1 server (keep-
 * alive, Content-Length bodies) run by the generator's own epoll loop, so a
 * request and its on_* are timed on one clock and one thread, and the
 * buyer app's side of a callback costs the machine one read and one write,
 * no thread of its own to wake (the node it measures shares the cores).
 *
 * Each complete POST is handed to bench_sink_on (the message_id match and
 * the timing) with its Authorization header, and answered ACK. A
 * connection that sends what is not HTTP, or a header block past 16 KB, is
 * closed and counted in bench_sink_errors.
 */
#include "bench.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEADER_MAX 16384
#define SINK_CONNS_MAX 4096

typedef struct {
    int fd;
    char *buf;
    size_t len, cap;
} sconn_t;

static struct {
    int ep, lfd;
    sconn_t conns[SINK_CONNS_MAX];
    size_t errors;
} g_sink = {.lfd = -1};

static const char s_ack[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "Content-Length: 36\r\n\r\n"
                            "{\"message\":{\"ack\":{\"status\":\"ACK\"}}}";

int bench_sink_listen(int ep, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = BENCH_EV_LISTEN};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4096) < 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        return -1;
    }
    g_sink.ep = ep;
    g_sink.lfd = fd;
    for (int i = 0; i < SINK_CONNS_MAX; i++)
        g_sink.conns[i].fd = -1;
    return 0;
}

static void s_close(sconn_t *c)
{
    close(c->fd); /* leaves the epoll set with it */
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

static void s_accept(void)
{
    for (;;) {
        int fd = accept4(g_sink.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN: all taken */
        int slot = -1;
        for (int i = 0; i < SINK_CONNS_MAX && slot < 0; i++)
            if (g_sink.conns[i].fd < 0)
                slot = i;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET,
                                 .data.u64 = BENCH_EV_SINK | (uint64_t)slot};
        if (slot < 0 || epoll_ctl(g_sink.ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            g_sink.errors++;
            close(fd);
            continue;
        }
        g_sink.conns[slot].fd = fd;
    }
}

/* s_header - the value of header NAME (case-insensitive, at a line's start)
 * in the block HDR..END, copied into OUT; 0 when absent. */
static size_t s_header(const char *hdr, const char *end, const char *name, char *out,
                       size_t outsz)
{
    size_t nl = strlen(name);
    for (const char *p = memchr(hdr, '\n', (size_t)(end - hdr)); p && p < end;
         p = memchr(p + 1, '\n', (size_t)(end - p - 1))) {
        const char *line = p + 1;
        if ((size_t)(end - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            const char *e = v;
            while (e < end && *e != '\r' && *e != '\n')
                e++;
            size_t n = (size_t)(e - v) < outsz - 1 ? (size_t)(e - v) : outsz - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return n ? n : 1;
        }
    }
    out[0] = '\0';
    return 0;
}

/* s_requests - answer every whole request in C's buffer; -1 to close */
static int s_requests(sconn_t *c)
{
    size_t off = 0;
    while (off < c->len) {
        char *start = c->buf + off;
        size_t avail = c->len - off;
        char *end = memmem(start, avail, "\r\n\r\n", 4);
        if (!end)
            break;
        if (strncmp(start, "POST ", 5) != 0)
            return -1;
        char cl[32], auth[1024];
        if (!s_header(start, end + 2, "Content-Length", cl, sizeof cl))
            return -1;
        size_t blen = strtoul(cl, NULL, 10);
        size_t total = (size_t)(end + 4 - start) + blen;
        if (avail < total)
            break;
        s_header(start, end + 2, "Authorization", auth, sizeof auth);
        bench_sink_on(end + 4, blen, auth);
        /* the answer is short: a loopback socket's buffer takes it whole */
        if (write(c->fd, s_ack, sizeof s_ack - 1) != (ssize_t)(sizeof s_ack - 1))
            return -1;
        off += total;
    }
    if (off) {
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
    }
    if (c->len > HEADER_MAX && !memmem(c->buf, c->len, "\r\n\r\n", 4))
        return -1;
    return 0;
}

void bench_sink_event(uint64_t tag)
{
    if (tag == BENCH_EV_LISTEN) {
        s_accept();
        return;
    }
    sconn_t *c = &g_sink.conns[tag & 0xffffffffu];
    if (c->fd < 0)
        return;
    for (;;) {
        if (c->cap - c->len < 8192) {
            size_t cap = c->cap ? c->cap * 2 : 16384;
            char *b = realloc(c->buf, cap);
            if (!b) {
                g_sink.errors++;
                s_close(c);
                return;
            }
            c->buf = b;
            c->cap = cap;
        }
        ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (n == 0) {
            s_close(c); /* the node closed it */
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                g_sink.errors++;
                s_close(c);
            }
            break;
        }
        c->len += (size_t)n;
    }
    if (s_requests(c) < 0) {
        g_sink.errors++;
        s_close(c);
    }
}

size_t bench_sink_errors(void)
{
    return g_sink.errors;
}

void bench_sink_close(void)
{
    for (int i = 0; i < SINK_CONNS_MAX; i++)
        if (g_sink.conns[i].fd >= 0)
            s_close(&g_sink.conns[i]);
    if (g_sink.lfd >= 0)
        close(g_sink.lfd);
    g_sink.lfd = -1;
}
