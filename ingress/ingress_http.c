/*
 * ingress_http.c - the network listener (listen), libmicrohttpd run from
 * our loop (MHD_USE_EPOLL: the daemon's epoll fd sits in the process's
 * loop). The admin listener is ondc-admin's (admin/), so nothing the
 * seller's API does runs on this loop.
 *
 * A request's body is collected into its req_t up to max_body_bytes (413
 * past it). Network requests that pass ingress_check_request and
 * ingress_check_keys are suspended and queued for the group commit; one
 * whose key must come from the registry over HTTP is suspended and left to
 * its lookup (ingress_lookup.c), which queues it or answers it. MHD calls
 * the handler again once resumed, and the prepared answer goes out then.
 * POST .../on_subscribe and GET /ondc-site-verification.html (onboarding,
 * ingress_onboard.c) are routed before the buyer actions. Every 401 carries
 * WWW-Authenticate: Signature realm="{subscriber_id}",headers="(created)
 * (expires) digest".
 */
#include "ingress.h"

#include "ack.h"
#include "clock.h"
#include "context.h"
#include "log.h"
#include "url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define JSON_TYPE "application/json"

/* WWW-Authenticate of every 401: realm is our subscriber id (set at start) */
static char s_www_authenticate[320] =
    "Signature realm=\"ondc-gateway\",headers=\"(created) (expires) digest\"";

static enum MHD_Result s_send(struct MHD_Connection *conn, int status, const char *body,
                              int must_free, const char *ctype, int www_auth)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(body), (void *)body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", ctype ? ctype : JSON_TYPE);
    if (www_auth)
        MHD_add_response_header(resp, "WWW-Authenticate", s_www_authenticate);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* s_nack - answer ERR now. */
static enum MHD_Result s_nack(ingress_t *in, struct MHD_Connection *conn, int action,
                              const ondc_err_t *err)
{
    in->n_nack++;
    ingress_count(in, action, "nack", err->code, 0);
    char *body = ack_nack_body(err);
    if (!body)
        return MHD_NO;
    return s_send(conn, err->http_status ? err->http_status : 400, body, 1, NULL,
                  err->http_status == 401);
}

/* s_ends_with - whether S ends with SUFFIX. */
static int s_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static enum MHD_Result s_network(ingress_t *in, struct MHD_Connection *conn, const char *url,
                                 const char *method, req_t *r)
{
    ondc_err_t err;
    err_clear(&err);
    if (strcmp(method, "GET") == 0 && strcmp(url, "/health") == 0)
        return s_send(conn, 200, "{\"status\":\"ok\"}", 0, NULL, 0);
    /* onboarding (ingress_onboard.c): not buyer actions, routed first */
    if (s_ends_with(url, "/on_subscribe"))
        return ingress_onboard_subscribe(in, conn, method, r);
    if (strcmp(url, "/ondc-site-verification.html") == 0)
        return ingress_onboard_site(in, conn, method);
    const char *gw = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Gateway-Authorization");
    /* the seller's requests, and when those roles are on the buyer role's
     * on_* and the gateway role's searches (ingress_buyer.c) */
    int action = -1;
    int role = ingress_route(in, url, gw, &action, &err);
    if (role < 0)
        return s_nack(in, conn, action, &err);
    if (strcmp(method, "POST") != 0) {
        err_set(&err, ERR_TYPE_CONTEXT, 405, ERR_INVALID_REQUEST, "", "use POST");
        return s_nack(in, conn, action, &err);
    }
    if (r->head_too_large) {
        err_set(&err, ERR_TYPE_JSON_SCHEMA, 431, ERR_INVALID_REQUEST, "",
                "request line and headers larger than %d bytes", in->rt->cfg.max_header_bytes);
        return s_nack(in, conn, action, &err);
    }
    if (r->too_large) {
        err_set(&err, ERR_TYPE_JSON_SCHEMA, 413, ERR_INVALID_REQUEST, "",
                "body larger than %d bytes", in->rt->cfg.max_body_bytes);
        return s_nack(in, conn, action, &err);
    }
    const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (ctype && strncasecmp(ctype, "application/json", 16) != 0) {
        err_set(&err, ERR_TYPE_JSON_SCHEMA, 415, ERR_INVALID_REQUEST, "",
                "Content-Type must be application/json");
        return s_nack(in, conn, action, &err);
    }
    if (in->rt->draining) {
        err_set(&err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "", "shutting down; retry shortly");
        return s_nack(in, conn, action, &err);
    }
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    int64_t now = clock_wall_ms();
    r->action = action;
    r->started_ms = now;
    r->conn = conn;
    /* step one needs no key; step two may wait for a registry lookup, which
     * then finishes the request (ingress_lookup.c) */
    int rc = role == 1 ? ingress_buyer_check_request(in, r, auth, now, &err)
                       : ingress_check_request(in, r, auth, gw, now, &err);
    if (rc == 0 && role == 2) {
        /* checked as the search it is; journaled as one to multicast, with
         * the buyer app's signature to forward */
        r->fwd_auth = auth ? strdup(auth) : NULL;
        if (!r->fwd_auth) {
            rc = err_set(&err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                         "Authorization header is required");
        } else {
            r->action = ACT_GW_SEARCH;
            r->row.action = ACT_GW_SEARCH;
        }
    }
    if (rc == 0)
        rc = in->verify ? ingress_check_keys_deferred(in, r, &err)
                        : ingress_check_keys(in, r, NULL, &err);
    if (rc < 0) {
        log_info("request.nack", "action", context_action_name((action_t)action), "code", err.code,
                 "path", err.path, "why", err.message, NULL);
        return s_nack(in, conn, action, &err);
    }
    r->row.body = r->body;
    r->row.body_len = r->len;
    r->state = REQ_QUEUED;
    ingress_conns_phase(in, conn, ICONN_WAIT);
    MHD_suspend_connection(conn);
    if (rc == 0 && r->need_verify) {
        /* a verify thread checks the signature and makes the digest */
        ingress_verify_submit(in, r);
        return MHD_YES;
    }
    crypto_generichash(r->digest, sizeof r->digest, (const unsigned char *)r->body, r->len, NULL,
                       0);
    if (rc == 0)
        ingress_batch_add(in, r);
    return MHD_YES;
}

/* s_count_field - add one header's (or query argument's) bytes to *ARG */
static enum MHD_Result s_count_field(void *arg, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    size_t *n = arg;
    *n += (key ? strlen(key) : 0) + (value ? strlen(value) : 0) + 4; /* ": ", CRLF */
    return MHD_YES;
}

/* s_head_bytes - the request line and headers of CONN, as sent */
static size_t s_head_bytes(struct MHD_Connection *conn, const char *method, const char *url)
{
    size_t n = strlen(method) + strlen(url) + 12; /* " HTTP/1.1" CRLF */
    MHD_get_connection_values(conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, s_count_field, &n);
    return n;
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
    ingress_t *in = cls;
    req_t *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        ingress_conns_phase(in, conn, ICONN_BODY);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoll(cl, NULL, 10) > in->rt->cfg.max_body_bytes)
            r->too_large = 1;
        /* libmicrohttpd's pool bounds the head only loosely (it holds the
         * body's first bytes too): the limit is checked here, exactly */
        if (s_head_bytes(conn, method, url) > (size_t)in->rt->cfg.max_header_bytes)
            r->head_too_large = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->head_too_large)
            return MHD_YES; /* read and let go; the answer is 431 */
        if (r->too_large || r->len + n > (size_t)in->rt->cfg.max_body_bytes) {
            r->too_large = 1;
            return MHD_YES;
        }
        if (r->len + n + 1 > r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 4096;
            while (cap < r->len + n + 1)
                cap *= 2;
            char *b = realloc(r->body, cap);
            if (!b)
                return MHD_NO;
            r->body = b;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload, n);
        r->len += n;
        r->body[r->len] = '\0';
        return MHD_YES;
    }
    if (r->state == REQ_DONE) {
        int owned = r->answer != NULL;
        const char *body = owned ? r->answer : ACK_BODY;
        r->answer = NULL; /* ownership passes to the response */
        return s_send(conn, r->status, body, owned, NULL, r->www_auth);
    }
    if (r->state == REQ_QUEUED)
        return MHD_YES;
    return s_network(in, conn, url, method, r);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    req_t *r = *con_cls;
    if (!r)
        return;
    /* a kept-alive connection waits for its next head from now */
    ingress_conns_phase(cls, conn, ICONN_HEAD);
    free(r->body);
    free(r->answer);
    free(r->fwd_auth);
    free(r);
    *con_cls = NULL;
}

static void s_on_daemon(loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    MHD_run(arg);
}

static void s_wake(loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg; /* nothing: the loop iterates and the before-sleep hook services MHD */
}

void ingress_http_service(ingress_t *in)
{
    /* MHD's epoll is edge-triggered inside: when it has more to do (data
     * left in a socket, a resumed connection) it asks, through a zero
     * timeout, to be run again at once; honour that, a bounded number of
     * times, then come back through the loop. */
    if (!in->net)
        return;
    for (int n = 0; n < 64; n++) {
        MHD_UNSIGNED_LONG_LONG to;
        if (MHD_get_timeout(in->net, &to) != MHD_YES || to > 0)
            return;
        MHD_run(in->net);
    }
    loop_timer(in->rt->loop, 0, 0, s_wake, in);
}

static void s_tick(loop_t *loop, void *arg)
{
    (void)loop;
    ingress_t *in = arg;
    if (in->net)
        MHD_run(in->net);
}

static struct MHD_Daemon *s_start(ingress_t *in, const char *hostport, MHD_AccessHandlerCallback h,
                                  unsigned limit)
{
    struct sockaddr_in sa;
    if (url_listen_addr(hostport, &sa) < 0) {
        log_error("http.bad_address", "listen", hostport, NULL);
        return NULL;
    }
    /* several copies of the ingress bind the same address (SO_REUSEPORT);
     * the kernel spreads new connections over them */
    struct MHD_OptionItem reuse[] = {
        {in->rt->cfg.ingress_copies > 1 ? MHD_OPTION_LISTENING_ADDRESS_REUSE : MHD_OPTION_END, 1,
         NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO, 0, ingress_conns_accept, in, h,
        in,
        MHD_OPTION_ARRAY, reuse,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, limit,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)in->rt->cfg.connection_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, in, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
        /* one client address cannot take every slot (slow-loris); the
         * share that scales, shedding and the deadlines: ingress_conns.c */
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)in->rt->cfg.max_connections_per_ip,
        MHD_OPTION_NOTIFY_CONNECTION, ingress_conns_notify, in,
        /* request line + headers live in this pool: a larger head is refused */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(in->rt->cfg.max_header_bytes < 16384 ? 32768 : 2 * in->rt->cfg.max_header_bytes),
        MHD_OPTION_END);
    if (!d) {
        log_errno(LOG_ERROR, "http.start_failed", "listen", hostport, NULL);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    if (!info || loop_add_fd(in->rt->loop, info->epoll_fd, EPOLLIN, s_on_daemon, d) < 0) {
        MHD_stop_daemon(d);
        return NULL;
    }
    log_info("http.listening", "listen", hostport, NULL);
    return d;
}

int ingress_http_start(ingress_t *in)
{
    /* the realm is our subscriber id; a '"' in it would break the header */
    char realm[256];
    snprintf(realm, sizeof realm, "%.255s", in->rt->cfg.subscriber_id);
    for (char *p = realm; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
            *p = '_';
    snprintf(s_www_authenticate, sizeof s_www_authenticate,
             "Signature realm=\"%s\",headers=\"(created) (expires) digest\"", realm);
    in->net = s_start(in, in->rt->cfg.listen, s_handler, (unsigned)in->rt->cfg.max_connections);
    if (!in->net)
        return -1;
    loop_timer(in->rt->loop, 500, 1, s_tick, in);
    return 0;
}

static void s_stop(ingress_t *in, struct MHD_Daemon **d)
{
    if (!*d)
        return;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(*d, MHD_DAEMON_INFO_EPOLL_FD);
    if (info)
        loop_del_fd(in->rt->loop, info->epoll_fd);
    MHD_stop_daemon(*d);
    *d = NULL;
}

void ingress_http_stop(ingress_t *in)
{
    s_stop(in, &in->net);
}
