/*
 * test_admin.c - admin/: the admin API as ondc-admin answers it, through
 * admin_handle on a real LMDB environment holding the demo catalog, without
 * a network: the routes and their answers (/health, an unknown path, a body
 * too large), the bearer token (missing, wrong, right; a token file others
 * can read, a short token, no token file off loopback), the catalog (a bad
 * mode, a body that is not JSON, an invalid catalog that leaves the stored
 * one as it was, an upsert, a PATCH and its 404), the order desk (an
 * accept writes the on_status to the outbox and the notice reaches a PULL
 * socket standing in for ondc-callback; a second accept is refused with no
 * notice), the orders list (paged through the updated_at index at several
 * page sizes and filters against a sort done in the test, before and after
 * the index is rebuilt for an older store; bad cursors and limits), /ready
 * (names a stage with no process, counts a live ingress published by
 * another process and forgets it once killed, checks the signing key file)
 * and /metrics (the store's gauges and this process's own request
 * counters).
 *
 * Run with the working directory at the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include <jansson.h>
#include <sodium.h>

#include "admin.h"
#include "clock.h"
#include "catalog.h"
#include "envelope.h"
#include "log.h"
#include "metrics.h"
#include "order.h"
#include "outbox.h"

#define TOKEN "0123456789abcdef-test-token"
#define AUTH "Bearer " TOKEN

typedef struct {
    char dir[64];
    char path[128];
    runtime_t rt;
    admin_t a;
    zsock_t *pull;
    pid_t child; /* a process publishing as an ingress, killed at teardown */
} fx_t;

/* what a request carries besides its method, path and body */
typedef struct {
    const char *auth;  /* Authorization, or NULL */
    const char *query; /* "name=value&..." query arguments, or NULL */
    const char *cookie; /* Cookie, or NULL */
    const char *csrf;   /* X-CSRF-Token, or NULL */
} s_in_t;

static const char *s_lookup(void *ctx, admin_kind_t kind, const char *name)
{
    const s_in_t *in = ctx;
    if (kind == ADMIN_HEADER)
        return strcmp(name, "Authorization") == 0 ? in->auth
               : strcmp(name, "Cookie") == 0      ? in->cookie
               : strcmp(name, "X-CSRF-Token") == 0 ? in->csrf
                                                   : NULL;
    /* "a=1&b=2": each value up to the next '&' (in buffers of their own:
     * a value stays valid while the request is handled, as MHD's do) */
    static char values[32][512]; /* the orders list alone looks up nine */
    static int next;
    char *value = values[next++ % 32];
    size_t n = strlen(name);
    for (const char *p = in->query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            snprintf(value, sizeof values[0], "%.*s", (int)(len - n - 1), p + n + 1);
            return value;
        }
        p += len + (amp ? 1 : 0);
    }
    return NULL;
}

/* s_call - METHOD URL with BODY (may be NULL) and IN (NULL: the right
 * token, no query): the status; *OUT (if not NULL) gets the parsed answer
 * (caller owns), *TEXT (if not NULL) the raw one (caller frees). */
static int s_call(fx_t *fx, const char *method, const char *url, const char *body, s_in_t *in,
                  json_t **out, char **text)
{
    s_in_t dflt = {AUTH, NULL, NULL, NULL};
    admin_req_t q = {.method = method,
                     .url = url,
                     .body = body,
                     .len = body ? strlen(body) : 0,
                     .lookup = s_lookup,
                     .lookup_ctx = in ? in : &dflt};
    assert_int_equal(admin_handle(&fx->a, &q), 0);
    assert_non_null(q.answer);
    if (out) {
        json_error_t je;
        *out = json_loads(q.answer, 0, &je);
        assert_non_null(*out);
    }
    if (text)
        *text = q.answer;
    else
        free(q.answer);
    return q.status;
}

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void s_write(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    chmod(path, mode);
}

static int s_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    *state = fx;
    log_set_level(LOG_FATAL);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_admin.XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    cfg_t *cfg = &fx->rt.cfg;
    cfg_defaults(cfg);
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", fx->dir);
    snprintf(cfg->run_dir, sizeof cfg->run_dir, "%s/run", fx->dir);
    snprintf(cfg->subscriber_id, sizeof cfg->subscriber_id, "seller.test.local");
    snprintf(cfg->bpp_uri, sizeof cfg->bpp_uri, "http://127.0.0.1:1/");
    snprintf(cfg->signing_private_key_file, sizeof cfg->signing_private_key_file, "%s/signing.key",
             fx->dir);
    snprintf(cfg->admin_token_file, sizeof cfg->admin_token_file, "%s/admin.token", fx->dir);
    cfg->lmdb_map_size_mb = 64;
    cfg->ingress_copies = 2;
    snprintf(cfg->journal_sync, sizeof cfg->journal_sync, "nosync");
    s_write(cfg->admin_token_file, TOKEN "\n", 0600);
    fx->rt.store = store_open(cfg);
    if (!fx->rt.store)
        return -1;
    fx->a.rt = &fx->rt;
    fx->a.registry = registry_new(cfg, NULL);
    if (!fx->a.registry || admin_token_load(&fx->a) < 0)
        return -1;
    /* ondc-callback's PULL, and the admin's PUSH to it */
    zsys_handler_set(NULL);
    /* an endpoint of its own per test: ZeroMQ closes the last test's
     * sockets in its own thread, and may not have unbound its name yet */
    static int n_ep;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://callback-%d", ++n_ep);
    fx->pull = zsock_new_pull(ep);
    fx->a.notify = zsock_new_push(ep);
    if (!fx->pull || !fx->a.notify)
        return -1;
    json_error_t je;
    json_t *cat = json_load_file("tests/fixtures/catalog-demo.json", 0, &je);
    MDB_txn *txn = store_begin(fx->rt.store, 0);
    ondc_err_t err;
    int rc = cat && txn ? catalog_import(fx->rt.store, txn, cat, CATALOG_REPLACE, &err) : -1;
    json_decref(cat);
    return rc < 0 || store_commit(txn) ? -1 : 0;
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    if (fx->child > 0) {
        kill(fx->child, SIGKILL);
        waitpid(fx->child, NULL, 0);
    }
    zsock_destroy(&fx->a.notify);
    zsock_destroy(&fx->pull);
    registry_destroy(&fx->a.registry);
    store_destroy(&fx->rt.store);
    int rc = nftw(fx->dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return rc;
}

static void test_health_unknown_and_too_large(void **state)
{
    fx_t *fx = *state;
    json_t *a;
    char *text;
    s_in_t anon = {NULL, NULL, NULL, NULL};
    assert_int_equal(s_call(fx, "GET", "/health", NULL, &anon, NULL, &text), 200);
    assert_string_equal(text, "{\"status\":\"ok\"}");
    free(text);
    assert_int_equal(s_call(fx, "GET", "/seller/v2/nothing", NULL, NULL, &a, NULL), 404);
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "error"), "message")), "no such endpoint");
    json_decref(a);
    admin_req_t q = {.method = "PUT", .url = "/seller/v1/catalog", .too_large = 1};
    assert_int_equal(admin_handle(&fx->a, &q), 0);
    assert_int_equal(q.status, 413);
    assert_non_null(strstr(q.answer, "larger than 64 MB"));
    free(q.answer);
}

static void test_bearer_token(void **state)
{
    fx_t *fx = *state;
    json_t *a;
    s_in_t none = {NULL, NULL, NULL, NULL}, wrong = {"Bearer 0123456789abcdef-test-tokeX", NULL, NULL, NULL},
           shorter = {"Bearer 0123456789abcdef", NULL, NULL, NULL}, basic = {"Basic " TOKEN, NULL, NULL, NULL};
    s_in_t *bad[] = {&none, &wrong, &shorter, &basic};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, bad[i], &a, NULL), 401);
        assert_string_equal(json_string_value(json_object_get(json_object_get(a, "error"), "message")),
                            "a valid bearer token is required");
        json_decref(a);
    }
    assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, NULL, &a, NULL), 200);
    assert_int_equal(json_array_size(json_object_get(a, "orders")), 0);
    json_decref(a);

    /* the token file: others may not read it, and it is long enough */
    admin_t b = {.rt = &fx->rt};
    chmod(fx->rt.cfg.admin_token_file, 0644);
    assert_int_equal(admin_token_load(&b), -1);
    s_write(fx->rt.cfg.admin_token_file, "short\n", 0600);
    assert_int_equal(admin_token_load(&b), -1);
    s_write(fx->rt.cfg.admin_token_file, TOKEN "\n", 0600);
    assert_int_equal(admin_token_load(&b), 0);
    assert_int_equal(b.token_len, strlen(TOKEN));
    /* no token file: only on a loopback admin_listen, and then no token is asked */
    fx->rt.cfg.admin_token_file[0] = '\0';
    snprintf(fx->rt.cfg.admin_listen, sizeof fx->rt.cfg.admin_listen, "0.0.0.0:8081");
    assert_int_equal(admin_token_load(&fx->a), -1);
    snprintf(fx->rt.cfg.admin_listen, sizeof fx->rt.cfg.admin_listen, "127.0.0.1:8081");
    assert_int_equal(admin_token_load(&fx->a), 0);
    assert_int_equal(fx->a.token_len, 0);
    assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, &none, NULL, NULL), 200);
}

/* s_raw - METHOD URL with IN (NULL: the token) through admin_handle; the
 * request is returned with its answer (free q.answer) */
static admin_req_t s_raw(fx_t *fx, const char *method, const char *url, s_in_t *in)
{
    static s_in_t dflt = {AUTH, NULL, NULL, NULL};
    admin_req_t q = {.method = method, .url = url, .lookup = s_lookup, .lookup_ctx = in ? in : &dflt};
    assert_int_equal(admin_handle(&fx->a, &q), 0);
    assert_non_null(q.answer);
    return q;
}

static void test_conventions_405_401_filters(void **state)
{
    fx_t *fx = *state;
    /* a path another method serves: 405 naming them in Allow */
    admin_req_t q = s_raw(fx, "DELETE", "/seller/v1/catalog", NULL);
    assert_int_equal(q.status, 405);
    assert_non_null(strstr(q.headers, "Allow: GET, PUT\n"));
    assert_non_null(strstr(q.answer, "\"code\":\"405\""));
    free(q.answer);
    q = s_raw(fx, "PATCH", "/seller/v1/items", NULL);
    assert_int_equal(q.status, 405);
    assert_non_null(strstr(q.headers, "Allow: GET\n"));
    free(q.answer);
    /* no token: 401 with the scheme to use */
    s_in_t none = {NULL, NULL, NULL, NULL};
    q = s_raw(fx, "GET", "/seller/v1/items", &none);
    assert_int_equal(q.status, 401);
    assert_non_null(strstr(q.headers, "WWW-Authenticate: Bearer"));
    free(q.answer);
    /* a filter value that names nothing is refused with the argument named */
    static const char *bad[][2] = {{"/seller/v1/orders", "state=Shipped"},
                                   {"/seller/v1/orders", "fulfillment_state=Lost"},
                                   {"/seller/v1/orders", "limit=0"},
                                   {"/seller/v1/orders", "since=yesterday"},
                                   {"/seller/v1/orders", "sort=price"},
                                   {"/seller/v1/orders", "cursor=zz"},
                                   {"/seller/v1/items", "enabled=maybe"},
                                   {"/seller/v1/items", "provider=nobody"},
                                   {"/seller/v1/catalog", "provider=nobody"},
                                   {"/seller/v1/issues", "state=Lost"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_in_t in = {AUTH, bad[i][1], NULL, NULL};
        json_t *a;
        assert_int_equal(s_call(fx, "GET", bad[i][0], NULL, &in, &a, NULL), 400);
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(strchr(bad[i][1], '=') - bad[i][1]), bad[i][1]);
        assert_string_equal(json_string_value(json_object_get(json_object_get(a, "error"), "field")),
                            name);
        json_decref(a);
    }
}

static void test_items_and_catalog_read_back_live_stock(void **state)
{
    fx_t *fx = *state;
    json_t *a;
    assert_int_equal(s_call(fx, "PATCH", "/seller/v1/items/42602101", "{\"stock\": 7}", NULL, NULL, NULL), 200);
    assert_int_equal(s_call(fx, "GET", "/seller/v1/items/42602101", NULL, NULL, &a, NULL), 200);
    assert_int_equal(json_integer_value(json_object_get(a, "stock")), 7);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
                            json_object_get(a, "item"), "quantity"), "available"), "count")),
                        "7");
    json_decref(a);
    assert_int_equal(s_call(fx, "GET", "/seller/v1/items/NOPE", NULL, NULL, &a, NULL), 404);
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "error"), "code")), "30004");
    json_decref(a);
    /* pages: two at a time until next_cursor is null, every item once */
    json_t *seen = json_object();
    char cursor[400] = "";
    int pages = 0;
    for (;;) {
        char query[500];
        snprintf(query, sizeof query, "limit=2%s%s", cursor[0] ? "&cursor=" : "", cursor);
        s_in_t in = {AUTH, query, NULL, NULL};
        assert_int_equal(s_call(fx, "GET", "/seller/v1/items", NULL, &in, &a, NULL), 200);
        assert_true(json_array_size(json_object_get(a, "items")) <= 2);
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(a, "items"), i, it)
        {
            char k[400];
            snprintf(k, sizeof k, "%s/%s", json_string_value(json_object_get(it, "provider_id")),
                     json_string_value(json_object_get(it, "id")));
            assert_null(json_object_get(seen, k));
            json_object_set_new(seen, k, json_true());
        }
        pages++;
        json_t *next = json_object_get(a, "next_cursor");
        if (!json_is_string(next)) {
            json_decref(a);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        json_decref(a);
        assert_true(pages < 1000);
    }
    /* the whole catalog read back has the same items, with the live stock */
    assert_int_equal(s_call(fx, "GET", "/seller/v1/catalog", NULL, NULL, &a, NULL), 200);
    size_t n = 0, i, j;
    json_t *p, *it;
    json_array_foreach(json_object_get(a, "bpp/providers"), i, p)
        json_array_foreach(json_object_get(p, "items"), j, it)
    {
        n++;
        if (strcmp(json_string_value(json_object_get(it, "id")), "42602101") == 0)
            assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
                                    it, "quantity"), "available"), "count")),
                                "7");
    }
    assert_int_equal(n, json_object_size(seen));
    assert_true(n > 2);
    assert_int_equal(pages, (int)(n + 1) / 2);
    json_decref(a);
    json_decref(seen);
}

typedef struct {
    json_t *paths;
    int missing;
} s_doc_t;

/* every API route is in the OpenAPI document, under its method */
static void s_route_documented(const char *method, const char *prefix, void *arg)
{
    s_doc_t *d = arg;
    char m[16], want[128];
    size_t i;
    for (i = 0; i < sizeof m - 1 && method[i]; i++)
        m[i] = (char)(method[i] | 0x20);
    m[i] = '\0';
    snprintf(want, sizeof want, "%s", prefix);
    const char *path;
    json_t *ops;
    json_object_foreach(d->paths, path, ops)
    {
        if (strncmp(path, want, strlen(want)) == 0 && json_object_get(ops, m))
            return;
    }
    fprintf(stderr, "route %s %s is not in openapi.json\n", method, prefix);
    d->missing++;
}

static void test_openapi_matches_the_routes(void **state)
{
    fx_t *fx = *state;
    json_error_t je;
    json_t *doc = json_load_file("admin/console/openapi.json", 0, &je);
    assert_non_null(doc);
    s_doc_t d = {json_object_get(doc, "paths"), 0};
    assert_true(json_object_size(d.paths) > 5);
    admin_route_each(s_route_documented, &d);
    assert_int_equal(d.missing, 0);
    /* and every documented path and method is served (no 404 for the path, no 405) */
    const char *path, *method;
    json_t *ops, *op;
    json_object_foreach(d.paths, path, ops)
    {
        json_object_foreach(ops, method, op)
        {
            char url[256], m[16];
            size_t o = 0, i;
            for (const char *c = path; *c && o < sizeof url - 8; c++) {
                if (*c == '{') {
                    o += (size_t)snprintf(url + o, sizeof url - o, "x1");
                    c = strchr(c, '}');
                } else
                    url[o++] = *c;
            }
            url[o] = '\0';
            for (i = 0; i < sizeof m - 1 && method[i]; i++)
                m[i] = (char)(method[i] & ~0x20);
            m[i] = '\0';
            admin_req_t q = s_raw(fx, m, url, NULL);
            if (q.status == 405 || strstr(q.answer, "no such endpoint"))
                fail_msg("%s %s is documented but not served (%d %s)", m, url, q.status, q.answer);
            free(q.answer);
        }
    }
    json_decref(doc);
}

/* s_login - POST /seller/v1/session with BODY: the status; COOKIE and CSRF
 * (if not NULL) get the session's */
static int s_login(fx_t *fx, const char *body, char *cookie, char *csrf)
{
    s_in_t anon = {NULL, NULL, NULL, NULL};
    admin_req_t q = {.method = "POST", .url = "/seller/v1/session", .body = body,
                     .len = strlen(body), .lookup = s_lookup, .lookup_ctx = &anon};
    assert_int_equal(admin_handle(&fx->a, &q), 0);
    if (q.status == 200 && cookie) {
        const char *c = strstr(q.headers, "Set-Cookie: ");
        assert_non_null(c);
        assert_non_null(strstr(c, "HttpOnly"));
        assert_non_null(strstr(c, "SameSite=Strict"));
        snprintf(cookie, 100, "%.*s", (int)strcspn(c + 12, ";"), c + 12);
        json_t *a = json_loads(q.answer, 0, NULL);
        snprintf(csrf, 80, "%s", json_string_value(json_object_get(a, "csrf")));
        json_decref(a);
    }
    free(q.answer);
    return q.status;
}

static void test_console_sessions_and_csrf(void **state)
{
    fx_t *fx = *state;
    char cookie[100], csrf[80];
    /* a user of console.users_file, by its Argon2id hash */
    char hash[crypto_pwhash_STRBYTES], line[400], users[160];
    assert_int_equal(crypto_pwhash_str(hash, "correct horse", 13, crypto_pwhash_OPSLIMIT_MIN,
                                       crypto_pwhash_MEMLIMIT_MIN),
                     0);
    snprintf(users, sizeof users, "%s/users", fx->dir);
    snprintf(line, sizeof line, "# the console's users\nasha:%s\nbroken line\n", hash);
    s_write(users, line, 0600);
    snprintf(fx->rt.cfg.console_users_file, sizeof fx->rt.cfg.console_users_file, "%s", users);
    assert_int_equal(admin_console_load_users(&fx->a), 0);

    assert_int_equal(s_login(fx, "{\"token\":\"wrong-token-0123456789\"}", NULL, NULL), 401);
    assert_int_equal(s_login(fx, "{\"user\":\"asha\",\"password\":\"wrong\"}", NULL, NULL), 401);
    assert_int_equal(s_login(fx, "{\"user\":\"nobody\",\"password\":\"correct horse\"}", NULL, NULL), 401);
    assert_int_equal(s_login(fx, "{}", NULL, NULL), 400);
    assert_int_equal(s_login(fx, "{\"user\":\"asha\",\"password\":\"correct horse\"}", cookie, csrf), 200);
    assert_int_equal(s_login(fx, "{\"token\":\"" TOKEN "\"}", cookie, csrf), 200);
    assert_int_equal(strlen(csrf), 64);

    /* the cookie reads; a change needs the CSRF token as well */
    s_in_t c = {NULL, NULL, cookie, NULL}, cc = {NULL, NULL, cookie, csrf},
           forged = {NULL, NULL, "ondc_session=0000000000000000000000000000000000000000000000000000000000000000", NULL};
    assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, &c, NULL, NULL), 200);
    assert_int_equal(s_call(fx, "GET", "/seller/v1/session", NULL, &c, NULL, NULL), 200);
    assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, &forged, NULL, NULL), 401);
    assert_int_equal(s_call(fx, "PATCH", "/seller/v1/items/42602101", "{\"stock\": 3}", &c, NULL, NULL), 401);
    assert_int_equal(s_call(fx, "PATCH", "/seller/v1/items/42602101", "{\"stock\": 3}", &cc, NULL, NULL), 200);
    /* logout ends the session */
    assert_int_equal(s_call(fx, "DELETE", "/seller/v1/session", NULL, &c, NULL, NULL), 403);
    assert_int_equal(s_call(fx, "DELETE", "/seller/v1/session", NULL, &cc, NULL, NULL), 200);
    assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, &c, NULL, NULL), 401);
    /* guessing is cut short: 429 once too many logins failed */
    int st = 0;
    for (int i = 0; i < 30 && st != 429; i++)
        st = s_login(fx, "{\"token\":\"guess-guess-guess-guess\"}", NULL, NULL);
    assert_int_equal(st, 429);
    assert_int_equal(s_login(fx, "{\"token\":\"" TOKEN "\"}", NULL, NULL), 429);
}

static void test_catalog_put_and_patch(void **state)
{
    fx_t *fx = *state;
    json_t *a;
    s_in_t bogus = {AUTH, "mode=merge", NULL, NULL}, upsert = {AUTH, "mode=upsert", NULL, NULL};
    assert_int_equal(s_call(fx, "PUT", "/seller/v1/catalog", "{}", &bogus, &a, NULL), 400);
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "error"), "field")), "mode");
    json_decref(a);
    assert_int_equal(s_call(fx, "PUT", "/seller/v1/catalog", "{not json", NULL, &a, NULL), 400);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(a, "error"), "message")), "not JSON"));
    json_decref(a);

    /* an invalid catalog is refused with the field named; nothing changes */
    json_error_t je;
    json_t *cat = json_load_file("tests/fixtures/catalog-demo.json", 0, &je);
    assert_non_null(cat);
    json_t *item = json_array_get(
        json_object_get(json_array_get(json_object_get(cat, "bpp/providers"), 0), "items"), 0);
    const char *iid = json_string_value(json_object_get(item, "id"));
    char url[256];
    snprintf(url, sizeof url, "/seller/v1/items/%s", iid);
    json_t *price = json_deep_copy(json_object_get(item, "price"));
    json_object_del(item, "price");
    char *body = json_dumps(cat, JSON_COMPACT);
    assert_int_equal(s_call(fx, "PUT", "/seller/v1/catalog", body, NULL, &a, NULL), 400);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(a, "error"), "field")), "price"));
    json_decref(a);
    free(body);
    assert_int_equal(s_call(fx, "PATCH", url, "{}", NULL, &a, NULL), 200);
    assert_true(json_equal(json_object_get(json_object_get(a, "item"), "price"), price));
    json_decref(a);

    /* an upsert with a new price: answered with the counts, then stored */
    json_object_set_new(price, "value", json_string("31.00"));
    json_object_set(item, "price", price);
    body = json_dumps(cat, JSON_COMPACT);
    assert_int_equal(s_call(fx, "PUT", "/seller/v1/catalog", body, &upsert, &a, NULL), 200);
    assert_string_equal(json_string_value(json_object_get(a, "mode")), "upsert");
    assert_int_equal(json_integer_value(json_object_get(a, "providers")),
                     json_array_size(json_object_get(cat, "bpp/providers")));
    json_decref(a);
    free(body);
    assert_int_equal(s_call(fx, "PATCH", url, "{\"stock\": 7}", NULL, &a, NULL), 200);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(a, "item"), "price"), "value")),
                        "31.00");
    assert_int_equal(json_integer_value(json_object_get(a, "stock")), 7);
    json_decref(a);
    MDB_txn *txn = store_begin(fx->rt.store, 1);
    int64_t stock = -1;
    char pid[160];
    snprintf(pid, sizeof pid, "%s",
             json_string_value(
                 json_object_get(json_array_get(json_object_get(cat, "bpp/providers"), 0), "id")));
    assert_int_equal(catalog_stock(fx->rt.store, txn, pid, iid, &stock), 0);
    assert_int_equal(stock, 7);
    mdb_txn_abort(txn);
    assert_int_equal(
        s_call(fx, "PATCH", "/seller/v1/items/NO-SUCH-ITEM", "{\"stock\": 1}", NULL, &a, NULL),
        404);
    json_decref(a);
    json_decref(price);
    json_decref(cat);
}

/* s_notice - the id of the outbox notice waiting on the PULL socket, or 0
 * when none comes within WAIT_MS */
static uint64_t s_notice(fx_t *fx, int wait_ms)
{
    zpoller_t *p = zpoller_new(fx->pull, NULL);
    void *ready = zpoller_wait(p, wait_ms);
    zpoller_destroy(&p);
    if (!ready)
        return 0;
    envelope_t e;
    zframe_t *body = NULL;
    assert_int_equal(envelope_recv(fx->pull, &e, &body), 1);
    zframe_destroy(&body);
    assert_int_equal(e.kind, ENVELOPE_OUTBOX);
    return e.id;
}

static void test_order_desk_tells_the_callback_process(void **state)
{
    fx_t *fx = *state;
    json_t *rec =
        json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s},s:{s:s,s:s}}", "key",
                  "o/ORD-A\x1f"
                  "buyer.example",
                  "bap_id", "buyer.example", "transaction_id", "T-A", "context", "domain",
                  "ONDC:RET10", "bap_id", "buyer.example", "bap_uri", "http://127.0.0.1:9/ondc/",
                  "transaction_id", "T-A", "city", "std:080", "country", "IND", "core_version",
                  "1.2.0", "order", "id", "ORD-A", "state", "Created");
    MDB_txn *txn = store_begin(fx->rt.store, 0);
    assert_int_equal(order_put(fx->rt.store, txn, rec), 0);
    assert_int_equal(store_commit(txn), 0);
    json_decref(rec);

    json_t *a;
    assert_int_equal(s_call(fx, "POST", "/seller/v1/orders/ORD-A/accept", NULL, NULL, &a, NULL),
                     200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "order"), "state")),
                        "Accepted");
    json_decref(a);
    uint64_t id = s_notice(fx, 2000);
    assert_true(id > 0);
    txn = store_begin(fx->rt.store, 1);
    outbox_row_t row;
    assert_int_equal(outbox_get(fx->rt.store, txn, id, &row), 0);
    assert_string_equal(row.action, "on_status");
    assert_string_equal(row.url, "http://127.0.0.1:9/ondc/on_status");
    assert_string_equal(row.transaction_id, "T-A");
    outbox_row_clear(&row);
    mdb_txn_abort(txn);

    /* accepted already: refused, nothing written, nobody told */
    assert_int_equal(s_call(fx, "POST", "/seller/v1/orders/ORD-A/accept", NULL, NULL, &a, NULL),
                     409);
    json_decref(a);
    assert_int_equal(s_notice(fx, 100), 0);
    assert_int_equal(s_call(fx, "POST", "/seller/v1/orders/NOPE/accept", NULL, NULL, &a, NULL),
                     404);
    json_decref(a);

    s_in_t accepted = {AUTH, "state=Accepted", NULL, NULL};
    assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, &accepted, &a, NULL), 200);
    json_t *list = json_object_get(a, "orders");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")), "ORD-A");
    json_decref(a);
}

/* ---- the orders list, paged by the updated_at index ---- */

#define LIST_N 40

/* order I of the list test: a time out of ten (ties), every 13th with
 * created_at only, five states in turn, two buyer apps, every 5th billed
 * to "Asha Rao" */
static void s_list_order(int i, char *id, char *bap, char *time, const char **st)
{
    static const char *const states[] = {"Created", "Accepted", "In-progress", "Completed",
                                         "Cancelled"};
    sprintf(id, "P%02d", i);
    sprintf(bap, "b%d.example", 1 + i % 2);
    sprintf(time, "2024-05-01T10:00:%02d.000Z", (i * 7) % 10);
    *st = states[i % 5];
}

static json_t *s_list_record(int i)
{
    char id[8], bap[16], time[32], key[64];
    const char *st;
    s_list_order(i, id, bap, time, &st);
    assert_int_equal(order_key(id, bap, key, sizeof key), 0);
    json_t *rec = json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:[{s:s,s:s,s:{s:{s:s}}}]}}", "key", key,
                            "bap_id", bap, "order", "id", id, "state", st,
                            i % 13 ? "updated_at" : "created_at", time, "fulfillments", "id", "1",
                            "type", "Delivery", "state", "descriptor", "code", "Pending");
    if (i % 5 == 0)
        json_object_set_new(json_object_get(rec, "order"), "billing",
                            json_pack("{s:s}", "name", "Asha Rao"));
    return rec;
}

/* s_list_expect - "id/bap" of the orders a query would list, sorted here by
 * time then key (newest first when DESC); their number */
static int s_list_expect(const char *state, const char *bap_id, int asha, const char *since,
                         int desc, char out[LIST_N][32])
{
    char sortable[LIST_N][96];
    int n = 0;
    for (int i = 0; i < LIST_N; i++) {
        char id[8], bap[16], time[32];
        const char *st;
        s_list_order(i, id, bap, time, &st);
        if ((state && strcmp(st, state) != 0) || (bap_id && strcmp(bap, bap_id) != 0) ||
            (asha && i % 5 != 0) || (since && strcmp(time, since) < 0))
            continue;
        snprintf(sortable[n++], sizeof sortable[0], "%s o/%s\x1f%s|%s/%s", time, id, bap, id, bap);
    }
    qsort(sortable, (size_t)n, sizeof sortable[0], (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++)
        snprintf(out[i], 32, "%s", strchr(sortable[desc ? n - 1 - i : i], '|') + 1);
    return n;
}

/* s_list_pages - page through QUERY LIMIT rows at a time, checking every
 * row against the expectation and next_cursor null on the last page only */
static void s_list_pages(fx_t *fx, const char *query, int limit, char want[LIST_N][32], int n)
{
    char cursor[1100] = "";
    int seen = 0, pages = 0;
    for (;;) {
        char args[1400];
        snprintf(args, sizeof args, "%s%slimit=%d%s%s", query, *query ? "&" : "", limit,
                 *cursor ? "&cursor=" : "", cursor);
        s_in_t in = {AUTH, args, NULL, NULL};
        json_t *a;
        assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, &in, &a, NULL), 200);
        pages++;
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(a, "orders"), i, row)
        {
            char got[32];
            snprintf(got, sizeof got, "%s/%s", json_string_value(json_object_get(row, "id")),
                     json_string_value(json_object_get(row, "bap_id")));
            assert_true(seen < n);
            assert_string_equal(got, want[seen]);
            seen++;
        }
        json_t *next = json_object_get(a, "next_cursor");
        if (json_is_null(next)) {
            json_decref(a);
            break;
        }
        assert_int_equal(json_array_size(json_object_get(a, "orders")), (size_t)limit);
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        json_decref(a);
    }
    assert_int_equal(seen, n);
    /* a page ends with a next_cursor only when more rows follow */
    assert_int_equal(pages, n ? (n + limit - 1) / limit : 1);
}

/* s_list_all - every query of the test, at several page sizes */
static void s_list_all(fx_t *fx)
{
    static const struct {
        const char *query, *state, *bap, *since;
        int asha, desc;
    } qs[] = {
        {"", NULL, NULL, NULL, 0, 0},
        {"sort=-updated_at", NULL, NULL, NULL, 0, 1},
        {"sort=updated_at&state=Created", "Created", NULL, NULL, 0, 0},
        {"state=Cancelled&sort=-updated_at", "Cancelled", NULL, NULL, 0, 1},
        {"bap_id=b2.example", NULL, "b2.example", NULL, 0, 0},
        {"q=asha&sort=-updated_at", NULL, NULL, NULL, 1, 1},
        {"since=2024-05-01T10:00:06.000Z", NULL, NULL, "2024-05-01T10:00:06.000Z", 0, 0},
        {"since=2024-05-01T10:00:06.000Z&sort=-updated_at", NULL, NULL, "2024-05-01T10:00:06.000Z",
         0, 1},
        {"since=2024-06-01T00:00:00.000Z", NULL, NULL, "2024-06-01T00:00:00.000Z", 0, 0},
    };
    static const int limits[] = {1, 3, 4, 7, 50};
    for (size_t q = 0; q < sizeof qs / sizeof qs[0]; q++) {
        char want[LIST_N][32];
        int n = s_list_expect(qs[q].state, qs[q].bap, qs[q].asha, qs[q].since, qs[q].desc, want);
        for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++)
            s_list_pages(fx, qs[q].query, limits[l], want, n);
    }
}

/* the orders list pages by the updated_at index: nine queries (both
 * orders, state, bap_id, q, since, a since past every order) at five page
 * sizes against a sort done here, with ties on the time and orders with
 * created_at only; a row's fields in their order; a store whose index was
 * dropped lists nothing until order_index_upgrade builds it, then the same.
 * Bad inputs tried: cursors that are not hex, have no \x1e or are empty
 * (400 naming cursor), a cursor past the end (200, no rows, next_cursor
 * null, and every row newest first), limit 0, 1001, -1, "ten", "" (400
 * naming limit). */

/* s_list_refused - GET /seller/v1/orders?NAME=V for each of the N VALUES
 * is refused 400 naming NAME */
static void s_list_refused(fx_t *fx, const char *name, const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char args[64];
        snprintf(args, sizeof args, "%s=%s", name, values[i]);
        s_in_t in = {AUTH, args, NULL, NULL};
        json_t *a;
        assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, &in, &a, NULL), 400);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(a, "error"), "field")), name);
        json_decref(a);
    }
}
static void test_orders_list_pages_by_the_index(void **state)
{
    fx_t *fx = *state;
    MDB_txn *txn = store_begin(fx->rt.store, 0);
    for (int i = 0; i < LIST_N; i++) {
        json_t *rec = s_list_record(i);
        assert_int_equal(order_put(fx->rt.store, txn, rec), 0);
        json_decref(rec);
    }
    assert_int_equal(store_commit(txn), 0);
    s_list_all(fx);

    /* one row as the API writes it: the fields and their order */
    s_in_t first = {AUTH, "limit=1", NULL, NULL};
    char *text = NULL;
    assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, &first, NULL, &text), 200);
    assert_string_equal(
        text,
        "{\"orders\":[{\"id\":\"P00\",\"bap_id\":\"b1.example\",\"state\":\"Created\","
        "\"fulfillment_state\":\"Pending\",\"total\":null,\"buyer\":\"Asha Rao\","
        "\"provider_id\":null,\"created_at\":\"2024-05-01T10:00:00.000Z\",\"updated_at\":null,"
        "\"items\":0,\"returns\":[]}],\"next_cursor\":\"323032342d30352d30315431303a30303a"
        "30302e3030305a1e6f2f5030301f62312e6578616d706c65\"}");
    free(text);

    /* an older store: no entries, no mark */
    txn = store_begin(fx->rt.store, 0);
    MDB_cursor *cur;
    assert_int_equal(mdb_cursor_open(txn, fx->rt.store->dbi[DB_ORDERS], &cur), 0);
    MDB_val k = {2, "u/"}, d;
    int dropped = 0;
    for (int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
         rc == 0 && k.mv_size >= 2 && memcmp(k.mv_data, "u/", 2) == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT), dropped++)
        assert_int_equal(mdb_cursor_del(cur, 0), 0);
    mdb_cursor_close(cur);
    assert_int_equal(dropped, LIST_N);
    MDB_val mk = {14, "index/oupdated"};
    mdb_del(txn, fx->rt.store->dbi[DB_META], &mk, NULL);
    assert_int_equal(store_commit(txn), 0);
    json_t *a;
    assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, NULL, &a, NULL), 200);
    assert_int_equal(json_array_size(json_object_get(a, "orders")), 0);
    json_decref(a);
    txn = store_begin(fx->rt.store, 0);
    assert_int_equal(order_index_upgrade(fx->rt.store, txn), 0);
    assert_int_equal(store_commit(txn), 0);
    s_list_all(fx);

    static const char *bad_cursor[] = {"zz", "41", "", "4", "1e1"};
    s_list_refused(fx, "cursor", bad_cursor, sizeof bad_cursor / sizeof bad_cursor[0]);
    /* "9999\x1e": after every order */
    s_in_t past = {AUTH, "cursor=393939391e", NULL, NULL};
    assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, &past, &a, NULL), 200);
    assert_int_equal(json_array_size(json_object_get(a, "orders")), 0);
    assert_true(json_is_null(json_object_get(a, "next_cursor")));
    json_decref(a);
    s_in_t past_desc = {AUTH, "cursor=393939391e&sort=-updated_at&limit=1000", NULL, NULL};
    assert_int_equal(s_call(fx, "GET", "/seller/v1/orders", NULL, &past_desc, &a, NULL), 200);
    assert_int_equal(json_array_size(json_object_get(a, "orders")), LIST_N);
    assert_true(json_is_null(json_object_get(a, "next_cursor")));
    json_decref(a);
    static const char *bad_limit[] = {"0", "1001", "-1", "ten", ""};
    s_list_refused(fx, "limit", bad_limit, sizeof bad_limit / sizeof bad_limit[0]);
}

/* s_check - checks.NAME.FIELD of a /ready answer */
static json_t *s_check(json_t *ready, const char *name, const char *field)
{
    return json_object_get(json_object_get(json_object_get(ready, "checks"), name), field);
}

static void test_ready_names_what_is_missing(void **state)
{
    fx_t *fx = *state;
    json_t *a;
    assert_int_equal(s_call(fx, "GET", "/ready", NULL, NULL, &a, NULL), 503);
    assert_false(json_is_true(json_object_get(a, "ready")));
    assert_false(json_is_true(s_check(a, "ingress", "ok")));
    assert_int_equal(json_integer_value(s_check(a, "ingress", "configured")), 2);
    assert_false(json_is_true(s_check(a, "worker.order", "ok")));
    assert_true(json_is_true(s_check(a, "store", "ok")));
    assert_false(json_is_true(s_check(a, "signing_key", "ok")));
    assert_false(json_is_true(s_check(a, "registry", "ok")));
    json_decref(a);

    /* an ingress is a process apart: one that publishes its heartbeat is
     * counted, and once it is killed it is not */
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        alarm(30); /* never outlives the test run */
        metrics_open(fx->rt.cfg.run_dir, "ingress", "ingress.0");
        metrics_heartbeat(clock_wall_ms());
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    fx->child = child;
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    close(ready[1]);
    s_write(fx->rt.cfg.signing_private_key_file, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            0600);
    assert_int_equal(s_call(fx, "GET", "/ready", NULL, NULL, &a, NULL), 503);
    assert_true(json_is_true(s_check(a, "ingress", "ok")));
    assert_int_equal(json_integer_value(s_check(a, "ingress", "alive")), 1);
    assert_true(json_is_true(s_check(a, "signing_key", "ok")));
    json_decref(a);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    fx->child = 0;
    assert_int_equal(s_call(fx, "GET", "/ready", NULL, NULL, &a, NULL), 503);
    assert_int_equal(json_integer_value(s_check(a, "ingress", "alive")), 0);
    json_decref(a);
    /* a key file others can read does not count */
    chmod(fx->rt.cfg.signing_private_key_file, 0644);
    assert_int_equal(s_call(fx, "GET", "/ready", NULL, NULL, &a, NULL), 503);
    assert_false(json_is_true(s_check(a, "signing_key", "ok")));
    json_decref(a);
}

/* s_ready_mark - the time the last /ready write put in meta, or 0 */
static int64_t s_ready_mark(fx_t *fx)
{
    int64_t v = 0;
    MDB_txn *txn = store_begin(fx->rt.store, 1);
    assert_non_null(txn);
    MDB_val k = {5, "ready"}, d;
    if (mdb_get(txn, fx->rt.store->dbi[DB_META], &k, &d) == 0 && d.mv_size == sizeof v)
        memcpy(&v, d.mv_data, sizeof v);
    mdb_txn_abort(txn);
    return v;
}

/* /ready needs no token: a hundred calls in a row make one write, the
 * others answer from it; once ADMIN_READY_WRITE_MS has passed it writes
 * again */
static void test_ready_writes_at_most_once_a_second(void **state)
{
    fx_t *fx = *state;
    json_t *a;
    s_call(fx, "GET", "/ready", NULL, NULL, &a, NULL);
    assert_true(json_is_true(s_check(a, "store", "ok")));
    json_decref(a);
    int64_t first = s_ready_mark(fx);
    assert_true(first > 0);
    for (int i = 0; i < 100; i++) {
        s_call(fx, "GET", "/ready", NULL, NULL, &a, NULL);
        assert_true(json_is_true(s_check(a, "store", "ok")));
        json_decref(a);
    }
    assert_int_equal(s_ready_mark(fx), first);
    fx->a.ready_write_ms -= ADMIN_READY_WRITE_MS; /* as if a second had passed */
    int64_t shifted = fx->a.ready_write_ms;
    s_call(fx, "GET", "/ready", NULL, NULL, &a, NULL);
    json_decref(a);
    assert_true(fx->a.ready_write_ms > shifted); /* it wrote again, now */
    assert_int_equal(s_ready_mark(fx), fx->a.ready_write_ms);
}

static void test_metrics_has_the_store_and_this_process(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(metrics_open(fx->rt.cfg.run_dir, "admin", "admin.0"), 0);
    s_call(fx, "GET", "/health", NULL, NULL, NULL, NULL);
    s_call(fx, "GET", "/health", NULL, NULL, NULL, NULL);
    char *text;
    admin_req_t q = {.method = "GET", .url = "/metrics"};
    assert_int_equal(admin_handle(&fx->a, &q), 0);
    assert_int_equal(q.status, 200);
    assert_string_equal(q.ctype, "text/plain; version=0.0.4");
    text = q.answer;
    assert_non_null(strstr(text, "\nondc_journal_backlog 0\n"));
    assert_non_null(strstr(text, "\nondc_outbox_pending "));
    assert_non_null(strstr(text, "ondc_admin_requests_total{stage=\"admin\",instance=\"admin.0\","
                                 "route=\"health\",code=\"200\"} 2\n"));
    free(text);
    metrics_close();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health_unknown_and_too_large, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bearer_token, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_catalog_put_and_patch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_conventions_405_401_filters, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_items_and_catalog_read_back_live_stock, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_openapi_matches_the_routes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_console_sessions_and_csrf, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_order_desk_tells_the_callback_process, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_orders_list_pages_by_the_index, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_ready_names_what_is_missing, s_setup, s_teardown),

        cmocka_unit_test_setup_teardown(test_ready_writes_at_most_once_a_second, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_metrics_has_the_store_and_this_process, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
