/*
 * ingress_admin.c - the admin listener (admin_listen): /health and the
 * seller's API, routed by a small table. Every route but /health needs
 * "Authorization: Bearer TOKEN" with the token of admin_token_file,
 * compared in constant time. Without a token file the seller API answers
 * only on a loopback admin_listen.
 */
#include "ingress.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *method;
    const char *prefix;
    ingress_admin_fn fn;
} s_routes[] = {
    {"PUT", "/seller/v1/catalog", ingress_admin_put_catalog},
    {"PATCH", "/seller/v1/items/", ingress_admin_patch_item},
    {"GET", "/seller/v1/orders", ingress_admin_get_orders},
    {"POST", "/seller/v1/orders/", ingress_admin_post_order},
};

enum MHD_Result ingress_admin_reply(struct MHD_Connection *conn, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result ingress_admin_error(struct MHD_Connection *conn, int status, const char *field,
                                    const char *fmt, ...)
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
    return ingress_admin_reply(conn, status, b);
}

static int s_loopback(const char *hostport)
{
    return strncmp(hostport, "127.", 4) == 0 || strncmp(hostport, "localhost:", 10) == 0;
}

int ingress_admin_init(ingress_t *in)
{
    const cfg_t *cfg = &in->rt->cfg;
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
        close(fd);
        return -1;
    }
    ssize_t n = read(fd, in->admin_token, sizeof in->admin_token - 1);
    close(fd);
    while (n > 0 && (in->admin_token[n - 1] == '\n' || in->admin_token[n - 1] == '\r' ||
                     in->admin_token[n - 1] == ' '))
        n--;
    if (n < 16) {
        log_error("admin.token_short", "path", cfg->admin_token_file, "why",
                  "the token must be at least 16 characters", NULL);
        return -1;
    }
    in->admin_token[n] = '\0';
    in->admin_token_len = (size_t)n;
    return 0;
}

static int s_authorized(ingress_t *in, struct MHD_Connection *conn)
{
    if (!in->admin_token_len)
        return s_loopback(in->rt->cfg.admin_listen);
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return 0;
    h += 7;
    size_t n = strlen(h);
    /* constant time over the token; the length is not secret */
    return n == in->admin_token_len &&
           sodium_memcmp(h, in->admin_token, in->admin_token_len) == 0;
}

enum MHD_Result ingress_admin(ingress_t *in, struct MHD_Connection *conn, const char *url,
                              const char *method, req_t *r)
{
    if (strcmp(method, "GET") == 0 && strcmp(url, "/health") == 0)
        return ingress_admin_reply(conn, 200, json_pack("{s:s}", "status", "ok"));
    if (r->too_large)
        return ingress_admin_error(conn, 413, NULL, "body larger than %d bytes",
                                   in->rt->cfg.max_body_bytes);
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++) {
        size_t pl = strlen(s_routes[i].prefix);
        if (strncmp(url, s_routes[i].prefix, pl) != 0)
            continue;
        if (!s_authorized(in, conn)) {
            log_info("admin.unauthorized", "path", url, NULL);
            return ingress_admin_error(conn, 401, NULL, "a valid bearer token is required");
        }
        if (strcmp(method, s_routes[i].method) != 0)
            continue;
        return s_routes[i].fn(in, conn, url + pl, r);
    }
    return ingress_admin_error(conn, 404, NULL, "no such endpoint");
}

void ingress_notify(ingress_t *in, uint64_t id)
{
    envelope_t e = {.kind = ENVELOPE_OUTBOX, .id = id};
    /* a lost notice is harmless: the callback process scans for due rows */
    envelope_send(in->notify, &e, NULL, 0);
}
