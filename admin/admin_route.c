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
    {"PUT", "/seller/v1/catalog", "catalog", admin_put_catalog},
    {"PATCH", "/seller/v1/items/", "items", admin_patch_item},
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
    q->status = status;
    q->ctype = "application/json";
    return 0;
}

int admin_error(admin_req_t *q, int status, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *b = json_object();
    json_t *m = json_string(msg);
    json_object_set_new(b, "error", m ? m : json_string("invalid request"));
    if (field && *field)
        json_object_set_new(b, "field", json_string(field));
    return admin_reply(q, status, b);
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
    if (q->too_large)
        return admin_error(q, 413, NULL, "body larger than %d MB", a->rt->cfg.admin_max_body_mb);
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++) {
        size_t pl = strlen(s_routes[i].prefix);
        if (strncmp(url, s_routes[i].prefix, pl) != 0)
            continue;
        if (!admin_authorized(a, q)) {
            log_info("admin.unauthorized", "path", url, NULL);
            return admin_error(q, 401, NULL, "a valid bearer token is required");
        }
        if (strcmp(method, s_routes[i].method) != 0)
            continue;
        *label = s_routes[i].label;
        return s_routes[i].fn(a, q, url + pl);
    }
    return admin_error(q, 404, NULL, "no such endpoint");
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
