/*
 * admin_http.c - the admin listener (admin_listen): libmicrohttpd run from
 * our loop (MHD_USE_EPOLL: the daemon's epoll fd sits in the process's
 * loop), each request's body collected up to admin_max_body_mb (413 past
 * it), then handed whole to admin_handle and its answer sent.
 *
 * A request is answered in the loop turn that completes it: a catalog
 * upload holds this process's loop while it is parsed and written, which
 * is why the admin API is a process apart from the ingress. Each
 * connection's buffer is owned here and freed when MHD ends the request.
 *
 * Config keys read: admin_listen, admin_max_body_mb, max_connections_per_ip,
 * max_header_bytes, connection_timeout_s.
 */
#include "admin.h"

#include "log.h"
#include "url.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/* connections the admin listener holds at once */
#define ADMIN_CONNECTIONS 256

typedef struct {
    char *body;
    size_t len, cap;
    int too_large;
    int unauthorized; /* an API route without the token: the body is not kept */
} s_conn_t;

static long long s_limit(const admin_t *a)
{
    return (long long)a->rt->cfg.admin_max_body_mb * 1024 * 1024;
}

static const char *s_lookup(void *ctx, admin_kind_t kind, const char *name)
{
    return MHD_lookup_connection_value(
        ctx, kind == ADMIN_HEADER ? MHD_HEADER_KIND : MHD_GET_ARGUMENT_KIND, name);
}

typedef struct {
    admin_name_fn *fn;
    void *arg;
} s_each_t;

static enum MHD_Result s_each_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    (void)value;
    s_each_t *e = cls;
    e->fn(key ? key : "", e->arg);
    return MHD_YES;
}

static void s_each(void *ctx, admin_name_fn *fn, void *arg)
{
    s_each_t e = {fn, arg};
    MHD_get_connection_values(ctx, MHD_GET_ARGUMENT_KIND, s_each_cb, &e);
}

/* s_headers - the answer's own header lines onto RESP */
static void s_headers(struct MHD_Response *resp, char *lines)
{
    for (char *p = lines; p && *p;) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        char *colon = strstr(p, ": ");
        if (colon) {
            *colon = '\0';
            MHD_add_response_header(resp, p, colon + 2);
        }
        p = nl + 1;
    }
}

static ssize_t s_sse_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    return admin_sse_read(cls, buf, max);
}

static void s_sse_free(void *cls)
{
    admin_sse_close(cls);
}

/* s_stream - the answer of an event stream (admin_events): open until the
 * client goes, fed by admin_console.c */
static enum MHD_Result s_stream(admin_t *a, struct MHD_Connection *conn)
{
    admin_sse_t *e = admin_sse_open(
        a, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID"));
    if (!e) {
        static const char busy[] = "{\"error\":{\"code\":\"503\",\"message\":\"too many event streams\"}}";
        struct MHD_Response *r =
            MHD_create_response_from_buffer(strlen(busy), (void *)busy, MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        enum MHD_Result rc = MHD_queue_response(conn, 503, r);
        MHD_destroy_response(r);
        return rc;
    }
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, s_sse_reader, e, s_sse_free);
    if (!r) {
        admin_sse_close(e);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    /* a stream is idle between events by design: no inactivity timeout */
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0);
    enum MHD_Result rc = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return rc;
}

/* s_answer - hand the whole request to admin_handle and queue its answer. */
static enum MHD_Result s_answer(admin_t *a, struct MHD_Connection *conn, const char *url,
                                const char *method, s_conn_t *c)
{
    admin_req_t q = {.method = method,
                     .url = url,
                     .body = c->body,
                     .len = c->len,
                     .too_large = c->too_large,
                     .lookup = s_lookup,
                     .lookup_ctx = conn,
                     .each_arg = s_each};
    if (admin_handle(a, &q) < 0 || !q.answer) {
        free(q.answer);
        return MHD_NO;
    }
    if (q.stream) {
        free(q.answer);
        return s_stream(a, conn);
    }
    /* ownership of the answer passes to the response */
    size_t len = q.answer_len ? q.answer_len : strlen(q.answer);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, q.answer, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(q.answer);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", q.ctype ? q.ctype : "application/json");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    s_headers(resp, q.headers);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)q.status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
    admin_t *a = cls;
    s_conn_t *c = *con_cls;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c)
            return MHD_NO;
        *con_cls = c;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoll(cl, NULL, 10) > s_limit(a))
            c->too_large = 1;
        /* the token is checked on the headers, before any of the body is
         * read: without it a client could make this process buffer
         * admin_max_body_mb per connection */
        admin_req_t q = {.method = method, .url = url, .lookup = s_lookup, .lookup_ctx = conn};
        if (admin_needs_token(url) && !admin_authorized(a, &q))
            c->unauthorized = 1;
        return MHD_YES;
    }
    if (*upload_size && c->unauthorized) {
        *upload_size = 0; /* read and let go; the answer is 401 */
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (c->too_large || c->len + n > (size_t)s_limit(a)) {
            c->too_large = 1;
            return MHD_YES;
        }
        if (c->len + n + 1 > c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 4096;
            while (cap < c->len + n + 1)
                cap *= 2;
            char *b = realloc(c->body, cap);
            if (!b)
                return MHD_NO;
            c->body = b;
            c->cap = cap;
        }
        memcpy(c->body + c->len, upload, n);
        c->len += n;
        c->body[c->len] = '\0';
        return MHD_YES;
    }
    return s_answer(a, conn, url, method, c);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    s_conn_t *c = *con_cls;
    if (!c)
        return;
    free(c->body);
    free(c);
    *con_cls = NULL;
}

static void s_wake(loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg; /* nothing: the loop iterates and the before-sleep hook services MHD */
}

/* s_service - MHD's epoll is edge-triggered inside: when it has more to
 * do (data left in a socket) it asks, through a zero timeout, to be run
 * again at once; honour that a bounded number of times, then come back
 * through the loop. */
static void s_service(loop_t *loop, void *arg)
{
    admin_t *a = arg;
    if (!a->http)
        return;
    for (int n = 0; n < 64; n++) {
        MHD_UNSIGNED_LONG_LONG to;
        if (MHD_get_timeout(a->http, &to) != MHD_YES || to > 0)
            return;
        MHD_run(a->http);
    }
    loop_timer(loop, 0, 0, s_wake, a);
}

static void s_on_daemon(loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    admin_t *a = arg;
    MHD_run(a->http);
}

static void s_tick(loop_t *loop, void *arg)
{
    (void)loop;
    admin_t *a = arg;
    /* connection timeouts are MHD's to notice: run it now and then */
    if (a->http)
        MHD_run(a->http);
}

int admin_http_start(admin_t *a)
{
    const cfg_t *cfg = &a->rt->cfg;
    struct sockaddr_in sa;
    if (url_listen_addr(cfg->admin_listen, &sa) < 0) {
        log_error("http.bad_address", "listen", cfg->admin_listen, NULL);
        return -1;
    }
    a->http = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_TURBO, 0, NULL, NULL, s_handler, a, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, (unsigned)ADMIN_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, a, MHD_OPTION_LISTEN_BACKLOG_SIZE, 128,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections_per_ip,
        /* request line + headers live in this pool: a larger head is refused */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(cfg->max_header_bytes < 16384 ? 32768 : 2 * cfg->max_header_bytes),
        MHD_OPTION_END);
    if (!a->http) {
        log_errno(LOG_ERROR, "http.start_failed", "listen", cfg->admin_listen, NULL);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->http, MHD_DAEMON_INFO_EPOLL_FD);
    if (!info || loop_add_fd(a->rt->loop, info->epoll_fd, EPOLLIN, s_on_daemon, a) < 0) {
        MHD_stop_daemon(a->http);
        a->http = NULL;
        return -1;
    }
    loop_before_sleep(a->rt->loop, s_service, a);
    loop_timer(a->rt->loop, 500, 1, s_tick, a);
    log_info("http.listening", "listen", cfg->admin_listen, NULL);
    return 0;
}

void admin_http_quiesce(admin_t *a)
{
    if (a->http)
        MHD_quiesce_daemon(a->http);
}

unsigned admin_http_busy(const admin_t *a)
{
    if (!a->http)
        return 0;
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(a->http, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

void admin_http_stop(admin_t *a)
{
    if (!a->http)
        return;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->http, MHD_DAEMON_INFO_EPOLL_FD);
    if (info)
        loop_del_fd(a->rt->loop, info->epoll_fd);
    MHD_stop_daemon(a->http);
    a->http = NULL;
}
