/*
 * ingress_admin.c - the admin listener (admin_listen): /health and the
 * seller's API, routed by a small table. Every route but /health needs
 * "Authorization: Bearer TOKEN" with the token of admin_token_file,
 * compared in constant time. Without a token file the seller API answers
 * only on a loopback admin_listen.
 */
#include "ingress.h"

#include "clock.h"
#include "jarena.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"

#include <errno.h>
#include <signal.h>
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
    char *text = jarena_dumps(body, JSON_COMPACT);
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
        fprintf(stderr, "ondc-ingress: %s: readable by group or others; chmod 600 it\n",
                cfg->admin_token_file);
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

static int s_count_pending(const outbox_state_t *st, void *arg)
{
    (void)st;
    (*(uint64_t *)arg)++;
    return 0;
}

/* s_metrics - the whole fleet's metrics, plus gauges read from the store now. */
static enum MHD_Result s_metrics(ingress_t *in, struct MHD_Connection *conn)
{
    store_t *st = in->rt->store;
    uint64_t backlog = 0, dead = 0, pending = 0, used = store_used_bytes(st);
    MDB_txn *txn = store_begin(st, 1);
    if (txn) {
        backlog = journal_backlog(st, txn);
        dead = journal_dead_count(st, txn);
        outbox_state_each(st, txn, OUTBOX_PENDING, s_count_pending, &pending);
        mdb_txn_abort(txn);
    }
    char extra[1024];
    snprintf(extra, sizeof extra,
             "# HELP ondc_journal_backlog journal rows not done yet (dead ones not counted)\n"
             "# TYPE ondc_journal_backlog gauge\nondc_journal_backlog %llu\n"
             "# HELP ondc_journal_dead journal rows marked dead, kept until replayed\n"
             "# TYPE ondc_journal_dead gauge\nondc_journal_dead %llu\n"
             "# HELP ondc_outbox_pending on_* messages not yet delivered\n"
             "# TYPE ondc_outbox_pending gauge\nondc_outbox_pending %llu\n"
             "# HELP ondc_lmdb_used_bytes pages in use in the LMDB environment\n"
             "# TYPE ondc_lmdb_used_bytes gauge\nondc_lmdb_used_bytes %llu\n"
             "# HELP ondc_lmdb_map_bytes the LMDB map size\n"
             "# TYPE ondc_lmdb_map_bytes gauge\nondc_lmdb_map_bytes %llu\n",
             (unsigned long long)backlog, (unsigned long long)dead, (unsigned long long)pending,
             (unsigned long long)used,
             (unsigned long long)in->rt->cfg.lmdb_map_size_mb * 1024 * 1024);
    char *text = metrics_render(in->rt->cfg.run_dir, extra);
    if (!text)
        return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
    enum MHD_Result rc = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* s_ready - every stage alive, store writable, key loaded, registry usable. */
static enum MHD_Result s_ready(ingress_t *in, struct MHD_Connection *conn)
{
    const cfg_t *cfg = &in->rt->cfg;
    json_t *checks = json_object();
    int ok = 1;
    metrics_proc_t procs[256];
    int n = metrics_procs(cfg->run_dir, procs, 256);
    int64_t now = clock_wall_ms();
    struct {
        const char *stage;
        const char *prefix;
        int want;
    } stages[] = {
        {"dispatcher", "dispatcher", 1},
        {"callback", "callback", 1},
        {"worker", "discovery", cfg->workers[FAMILY_DISCOVERY]},
        {"worker", "order", cfg->workers[FAMILY_ORDER]},
        {"worker", "fulfillment", cfg->workers[FAMILY_FULFILLMENT]},
        {"worker", "post-fulfillment", cfg->workers[FAMILY_POST]},
    };
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
        int alive = 0;
        size_t pl = strlen(stages[i].prefix);
        for (int j = 0; j < n; j++)
            if (strcmp(procs[j].stage, stages[i].stage) == 0 &&
                strncmp(procs[j].instance, stages[i].prefix, pl) == 0 &&
                (procs[j].instance[pl] == '.' || procs[j].instance[pl] == '\0') && procs[j].pid > 0 &&
                kill(procs[j].pid, 0) == 0 && now - procs[j].heartbeat_ms < 4000)
                alive++;
        char name[64];
        snprintf(name, sizeof name, "%s%s", strcmp(stages[i].stage, "worker") == 0 ? "worker." : "",
                 stages[i].prefix);
        json_object_set_new(checks, name,
                            json_pack("{s:b,s:i,s:i}", "ok", alive >= 1, "alive", alive, "configured",
                                      stages[i].want));
        ok &= alive >= 1;
    }
    /* store writable: a real write transaction */
    int writable = 0;
    MDB_txn *txn = store_begin(in->rt->store, 0);
    if (txn) {
        MDB_val k = {5, "ready"}, v = {8, &now};
        writable = mdb_put(txn, in->rt->store->dbi[DB_META], &k, &v, 0) == 0 && store_commit(txn) == 0;
        if (!writable)
            mdb_txn_abort(txn);
    }
    json_object_set_new(checks, "store", json_pack("{s:b}", "ok", writable));
    json_object_set_new(checks, "signing_key", json_pack("{s:b}", "ok", in->have_key));
    int reg = registry_count(in->registry) > 0 || cfg->registry_url[0];
    json_object_set_new(checks, "registry", json_pack("{s:b,s:i}", "ok", reg, "records",
                                                      registry_count(in->registry)));
    ok &= writable && in->have_key && reg;
    return ingress_admin_reply(conn, ok ? 200 : 503,
                               json_pack("{s:b,s:o}", "ready", ok, "checks", checks));
}

enum MHD_Result ingress_admin(ingress_t *in, struct MHD_Connection *conn, const char *url,
                              const char *method, req_t *r)
{
    if (strcmp(method, "GET") == 0 && strcmp(url, "/health") == 0)
        return ingress_admin_reply(conn, 200, json_pack("{s:s}", "status", "ok"));
    if (strcmp(method, "GET") == 0 && strcmp(url, "/metrics") == 0)
        return s_metrics(in, conn);
    if (strcmp(method, "GET") == 0 && strcmp(url, "/ready") == 0)
        return s_ready(in, conn);
    if (r->too_large)
        return ingress_admin_error(conn, 413, NULL, "body larger than %d MB",
                                   in->rt->cfg.admin_max_body_mb);
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
