/*
 * fuzz_admin.c - the admin API of ondc-admin (admin/, through admin_handle)
 * as a request reaches it, on the demo catalog and the two orders of
 * tests/fixtures/admin-orders.json (ORD-C Created; ORD-A Accepted, with a
 * return R1 initiated), with no bearer token asked (a loopback
 * admin_listen without a token file).
 *
 * Input: byte 0 picks the method and path prefix from s_routes; then the
 * rest of the path up to the first newline, with "?name=value&..." query
 * arguments; the rest is the body. The body is also run as a search
 * intent (what buyer apps send beyond JSON), on a read transaction.
 *
 * Every input starts from the same data: one that a write route answered
 * 200 changed the store, which is then made again (the demo catalog and
 * the orders), so a finding replays alone. An answer must be JSON with a
 * status the API documents.
 */
#include "fuzz_common.h"

#include "admin.h"
#include "jparse.h"
#include "order.h"
#include "search.h"

#include <stdint.h>
#include <unistd.h>

static const struct {
    const char *method, *prefix;
} s_routes[] = {
    {"PATCH", "/seller/v1/items/"},
    {"PUT", "/seller/v1/catalog"},
    {"GET", "/seller/v1/orders"},
    {"POST", "/seller/v1/orders/"},
    {"GET", "/health"},
    {"DELETE", "/seller/v1/"},
};

static runtime_t g_rt;
static admin_t g_admin;
static json_t *g_catalog, *g_orders;

/* s_fresh - the store as every input finds it: the demo catalog and the orders */
static void s_fresh(void)
{
    char p[CFG_PATH_MAX + 16];
    store_destroy(&g_rt.store);
    snprintf(p, sizeof p, "%s/data.mdb", g_cfg.data_dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", g_cfg.data_dir);
    unlink(p);
    g_rt.store = store_open(&g_cfg);
    MDB_txn *txn = g_rt.store ? store_begin(g_rt.store, 0) : NULL;
    ondc_err_t err;
    if (!txn || catalog_import(g_rt.store, txn, g_catalog, CATALOG_REPLACE, &err) < 0)
        abort();
    size_t i;
    json_t *rec;
    json_array_foreach(g_orders, i, rec)
    {
        /* order_put may add to the record: a copy each time */
        json_t *copy = json_deep_copy(rec);
        if (!copy || order_put(g_rt.store, txn, copy) < 0)
            abort();
        json_decref(copy);
    }
    if (store_commit(txn))
        abort();
}

/* the query arguments of the input's path: "a=1&b=2" */
static char g_query[512];

static const char *s_lookup(void *ctx, admin_kind_t kind, const char *name)
{
    (void)ctx;
    if (kind != ADMIN_ARG)
        return NULL;
    static char value[512];
    size_t n = strlen(name);
    for (const char *p = g_query; *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            snprintf(value, sizeof value, "%.*s", (int)(len - n - 1), p + n + 1);
            return value;
        }
        p += len + (amp ? 1 : 0);
    }
    return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_cfg();
    char p[512];
    json_error_t je;
    g_catalog = json_load_file(fuzz_path("tests/fixtures/catalog-demo.json", p, sizeof p), 0, &je);
    g_orders = json_load_file(fuzz_path("tests/fixtures/admin-orders.json", p, sizeof p), 0, &je);
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/ondc-fuzz-admin.XXXXXX");
    if (!g_catalog || !json_is_array(g_orders) || !mkdtemp(dir))
        abort();
    snprintf(g_cfg.data_dir, sizeof g_cfg.data_dir, "%s", dir);
    snprintf(g_cfg.run_dir, sizeof g_cfg.run_dir, "%s/run", dir);
    snprintf(g_cfg.bpp_uri, sizeof g_cfg.bpp_uri, "http://127.0.0.1:1/");
    g_cfg.admin_token_file[0] = '\0';
    snprintf(g_cfg.admin_listen, sizeof g_cfg.admin_listen, "127.0.0.1:8081");
    g_rt.cfg = g_cfg;
    g_admin.rt = &g_rt;
    s_fresh();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t r = data[0] % (sizeof s_routes / sizeof s_routes[0]);
    const uint8_t *p = data + 1, *end = data + size;
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    size_t plen = nl ? (size_t)(nl - p) : 0;
    char url[512];
    int n = snprintf(url, sizeof url, "%s%.*s", s_routes[r].prefix, (int)plen, (const char *)p);
    if (n < 0 || (size_t)n >= sizeof url || memchr(p, '\0', plen))
        return 0;
    g_query[0] = '\0';
    char *qm = strchr(url, '?');
    if (qm) {
        snprintf(g_query, sizeof g_query, "%s", qm + 1);
        *qm = '\0';
    }
    const char *body = nl ? (const char *)nl + 1 : (const char *)p;
    size_t blen = (size_t)(end - (const uint8_t *)body);
    admin_req_t q = {
        .method = s_routes[r].method, .url = url, .body = body, .len = blen, .lookup = s_lookup};
    if (admin_handle(&g_admin, &q) < 0)
        abort();
    json_error_t je;
    json_t *answer = q.answer ? json_loads(q.answer, 0, &je) : NULL;
    static const int documented[] = {200, 400, 401, 404, 405, 409, 413, 500, 503};
    int known = 0;
    for (size_t i = 0; i < sizeof documented / sizeof documented[0]; i++)
        known |= q.status == documented[i];
    if (!answer || !known)
        abort();
    json_decref(answer);
    free(q.answer);
    if (q.status == 200 && strcmp(q.method, "GET") != 0)
        s_fresh();

    /* the body as a buyer app's search intent */
    json_t *intent = jparse(body, blen, JSON_REJECT_DUPLICATES, &je);
    if (!intent)
        return 0;
    json_t *ctx = json_pack("{s:s}", "city", "std:080");
    json_t *msg = json_pack("{s:O}", "intent", intent);
    search_intent_t si;
    ondc_err_t err;
    MDB_txn *txn = store_begin(g_rt.store, 1);
    if (txn && search_parse(ctx, msg, &si, &err) == 0) {
        json_t *pages = NULL;
        search_run(g_rt.store, txn, &si, 4096, &pages, NULL);
        json_decref(pages);
    }
    if (txn)
        mdb_txn_abort(txn);
    json_decref(ctx);
    json_decref(msg);
    json_decref(intent);
    return 0;
}
