/*
 * admin_route.c - one admin request to its answer: /health, /metrics and
 * /ready (admin_status.c) and the seller's API, routed by a small table.
 * Every API route needs "Authorization: Bearer TOKEN" with the token of
 * admin_token_file, compared in constant time. Without a token file the
 * seller API answers only on a loopback admin_listen.
 *
 * Each answer is counted in ondc_admin_requests_total{route,code} and
 * timed in ondc_admin_seconds{route}.
 *
 * Config keys read: admin_listen, admin_token_file, admin_max_body_mb.
 */
#include "admin.h"

#include "clock.h"

#include "envelope.h"
#include "jarena.h"
#include "jparse.h"
#include "log.h"
#include "metrics.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *method;
    const char *prefix;
    const char *label; /* route="..." of the metrics */
    admin_route_fn *fn;
} s_routes[] = {
    {"GET", "/seller/v1/openapi.json", "openapi", admin_get_openapi},
    {"GET", "/seller/v1/catalog", "catalog", admin_get_catalog},
    {"PUT", "/seller/v1/catalog", "catalog", admin_put_catalog},
    {"GET", "/seller/v1/items", "items", admin_get_items},
    {"PATCH", "/seller/v1/items/", "items", admin_patch_item},
    {"POST", "/seller/v1/stock", "stock", admin_post_stock},
    {"GET", "/seller/v1/events", "events", admin_events},
    {"GET", "/seller/v1/throughput", "throughput", admin_throughput},
    {"GET", "/seller/v1/outbox", "outbox", admin_get_outbox},
    {"POST", "/seller/v1/outbox/", "outbox", admin_post_outbox},
    {"GET", "/seller/v1/orders", "orders", admin_get_orders},
    {"POST", "/seller/v1/orders/", "order_desk", admin_post_order},
    {"GET", "/seller/v1/issues", "issues", admin_get_issues},
    {"POST", "/seller/v1/issues/", "issue_desk", admin_post_issue},
    {"POST", "/seller/v1/issues", "issue_raise", admin_post_issues},
};

const char *admin_arg(const admin_req_t *q, const char *name)
{
    return q->lookup ? q->lookup(q->lookup_ctx, ADMIN_ARG, name) : NULL;
}

const char *admin_header(const admin_req_t *q, const char *name)
{
    return q->lookup ? q->lookup(q->lookup_ctx, ADMIN_HEADER, name) : NULL;
}

int admin_reply(admin_req_t *q, int status, json_t *body)
{
    char *text = body ? jarena_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text)
        return -1;
    free(q->answer);
    q->answer = text;
    q->answer_len = 0;
    q->status = status;
    q->ctype = "application/json";
    return 0;
}

/* s_fail - the error answer: {"error": {"code", "message", "field"?}} */
static int s_fail(admin_req_t *q, int status, const char *code, const char *field,
                  const char *msg)
{
    char dflt[8];
    if (!code || !*code) {
        snprintf(dflt, sizeof dflt, "%d", status);
        code = status == 400 ? ERR_INVALID_REQUEST : status == 500 ? ERR_INTERNAL : dflt;
    }
    json_t *e = json_pack("{s:s,s:s}", "code", code, "message", msg);
    if (e && field && *field)
        json_object_set_new(e, "field", json_string(field));
    return admin_reply(q, status, json_pack("{s:o}", "error", e ? e : json_object()));
}

int admin_error(admin_req_t *q, int status, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return s_fail(q, status, NULL, field, msg);
}

int admin_error_code(admin_req_t *q, int status, const char *code, const char *field,
                     const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return s_fail(q, status, code, field, msg);
}

int admin_error_err(admin_req_t *q, const ondc_err_t *err)
{
    int status = err->http_status ? err->http_status : 400;
    return s_fail(q, status, err->code, err->path, err->message);
}

void admin_add_header(admin_req_t *q, const char *name, const char *value)
{
    if (strpbrk(name, "\r\n") || strpbrk(value, "\r\n"))
        return;
    size_t left = sizeof q->headers - q->headers_len;
    int n = snprintf(q->headers + q->headers_len, left, "%s: %s\n", name, value);
    if (n > 0 && (size_t)n < left)
        q->headers_len += (size_t)n;
    else
        q->headers[q->headers_len] = '\0';
}

typedef struct {
    const char *const *names;
    char bad[128];
} s_args_t;

static void s_arg_known(const char *name, void *arg)
{
    s_args_t *x = arg;
    if (x->bad[0])
        return;
    for (size_t i = 0; x->names[i]; i++)
        if (strcmp(name, x->names[i]) == 0)
            return;
    snprintf(x->bad, sizeof x->bad, "%s", *name ? name : "(empty)");
}

int admin_args_only(admin_req_t *q, const char *const *names, int *rc)
{
    if (!q->each_arg)
        return 0;
    s_args_t x = {.names = names};
    q->each_arg(q->lookup_ctx, s_arg_known, &x);
    if (!x.bad[0])
        return 0;
    char list[256] = "";
    size_t n = 0;
    for (size_t i = 0; names[i] && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", names[i]);
    *rc = admin_error(q, 400, x.bad, "unknown query parameter %s (known: %s)", x.bad,
                      names[0] ? list : "none");
    return 1;
}

int admin_body_object(admin_req_t *q, json_t **out, int *rc)
{
    *out = NULL;
    if (!q->len)
        return 0;
    json_error_t je;
    json_t *b = jparse(q->body, q->len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(b)) {
        json_decref(b);
        *rc = admin_error(q, 400, NULL, "the body must be a JSON object");
        return -1;
    }
    *out = b;
    return 0;
}

MDB_txn *admin_begin(admin_t *a)
{
    double wait_ms = 0;
    MDB_txn *txn = store_begin_write(a->rt->store, 0, &wait_ms);
    if (txn)
        metrics_observe("ondc_store_lock_wait_seconds", "", wait_ms);
    return txn;
}

int admin_commit(admin_t *a, MDB_txn *txn)
{
    (void)a;
    double ms = 0;
    int rc = store_commit_timed(txn, &ms);
    if (rc == 0)
        metrics_observe("ondc_store_commit_seconds", "", ms);
    return rc;
}

void admin_notify(admin_t *a, uint64_t id)
{
    if (!a->notify)
        return;
    envelope_t e = {.kind = ENVELOPE_OUTBOX, .id = id};
    /* a lost notice is harmless: the callback process scans for due rows */
    envelope_send(a->notify, &e, NULL, 0);
}

static int s_loopback(const char *hostport)
{
    return strncmp(hostport, "127.", 4) == 0 || strncmp(hostport, "localhost:", 10) == 0;
}

int admin_token_load(admin_t *a)
{
    const cfg_t *cfg = &a->rt->cfg;
    a->token_len = 0;
    if (!cfg->admin_token_file[0]) {
        if (!s_loopback(cfg->admin_listen)) {
            log_error("admin.no_token", "why",
                      "admin_listen is not loopback and no admin_token_file is set", NULL);
            return -1;
        }
        log_warn("admin.no_token", "why", "seller API open to loopback clients without a token",
                 NULL);
        return 0;
    }
    int fd = open(cfg->admin_token_file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        log_errno(LOG_ERROR, "admin.token_unreadable", "path", cfg->admin_token_file, NULL);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (st.st_mode & 077) {
        log_error("admin.token_exposed", "path", cfg->admin_token_file, "why",
                  "the token file is readable by group or others; chmod 600 it", NULL);
        fprintf(stderr, "ondc-admin: %s: readable by group or others; chmod 600 it\n",
                cfg->admin_token_file);
        close(fd);
        return -1;
    }
    ssize_t n = read(fd, a->token, sizeof a->token - 1);
    close(fd);
    while (n > 0 && (a->token[n - 1] == '\n' || a->token[n - 1] == '\r' || a->token[n - 1] == ' '))
        n--;
    if (n < 16) {
        sodium_memzero(a->token, sizeof a->token);
        log_error("admin.token_short", "path", cfg->admin_token_file, "why",
                  "the token must be at least 16 characters", NULL);
        return -1;
    }
    a->token[n] = '\0';
    a->token_len = (size_t)n;
    return 0;
}

int admin_authorized(const admin_t *a, const admin_req_t *q)
{
    if (admin_console_authorized(q)) /* the console's session cookie */
        return 1;
    if (!a->token_len)
        return s_loopback(a->rt->cfg.admin_listen);
    const char *h = admin_header(q, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return 0;
    h += 7;
    size_t n = strlen(h);
    /* constant time over the token; the length is not secret */
    return n == a->token_len && sodium_memcmp(h, a->token, a->token_len) == 0;
}

int admin_needs_token(const char *url)
{
    if (strcmp(url, "/seller/v1/openapi.json") == 0 || strcmp(url, "/seller/v1/session") == 0)
        return 0;
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++)
        if (strncmp(url, s_routes[i].prefix, strlen(s_routes[i].prefix)) == 0)
            return 1;
    return 0;
}

/* s_route - answer Q; *LABEL gets the route's metrics label. */
static int s_route(admin_t *a, admin_req_t *q, const char **label)
{
    const char *url = q->url, *method = q->method;
    *label = "other";
    if (strcmp(method, "GET") == 0 && strcmp(url, "/health") == 0) {
        *label = "health";
        return admin_health(a, q);
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/metrics") == 0) {
        *label = "metrics";
        return admin_metrics(a, q);
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/ready") == 0) {
        *label = "ready";
        return admin_ready(a, q);
    }
    if (strcmp(method, "GET") == 0 &&
        (strcmp(url, "/") == 0 || strcmp(url, "/console") == 0 || strncmp(url, "/console/", 9) == 0)) {
        *label = "console";
        return admin_console_file(a, q);
    }
    if (q->too_large)
        return admin_error(q, 413, NULL, "body larger than %d MB", a->rt->cfg.admin_max_body_mb);
    if (strcmp(url, "/seller/v1/session") == 0) {
        /* the console's login: no token yet (admin_console.c) */
        *label = "session";
        return admin_session(a, q, "");
    }
    char allow[64] = "";
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++) {
        size_t pl = strlen(s_routes[i].prefix);
        if (strncmp(url, s_routes[i].prefix, pl) != 0)
            continue;
        if (s_routes[i].fn != admin_get_openapi && !admin_authorized(a, q)) {
            log_info("admin.unauthorized", "path", url, NULL);
            admin_add_header(q, "WWW-Authenticate", "Bearer realm=\"ondc-admin\"");
            return admin_error(q, 401, NULL, "a valid bearer token is required");
        }
        if (strcmp(method, s_routes[i].method) != 0) {
            /* another method serves this path: the Allow list of a 405 */
            if (!strstr(allow, s_routes[i].method) && strlen(allow) + 10 < sizeof allow)
                snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s",
                         allow[0] ? ", " : "", s_routes[i].method);
            continue;
        }
        *label = s_routes[i].label;
        return s_routes[i].fn(a, q, url + pl);
    }
    if (allow[0]) {
        admin_add_header(q, "Allow", allow);
        return admin_error(q, 405, NULL, "%s is not allowed here (allowed: %s)", method, allow);
    }
    return admin_error(q, 404, NULL, "no such endpoint");
}

void admin_route_each(void (*fn)(const char *method, const char *prefix, void *arg), void *arg)
{
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++)
        fn(s_routes[i].method, s_routes[i].prefix, arg);
}

int admin_handle(admin_t *a, admin_req_t *q)
{
    int64_t t0 = clock_wall_ms();
    const char *label;
    q->status = 0;
    int rc = s_route(a, q, &label);
    char labels[96];
    snprintf(labels, sizeof labels, "route=\"%s\",code=\"%d\"", label, rc == 0 ? q->status : 0);
    metrics_inc("ondc_admin_requests_total", labels);
    snprintf(labels, sizeof labels, "route=\"%s\"", label);
    metrics_observe("ondc_admin_seconds", labels, (double)(clock_wall_ms() - t0));
    return rc;
}
