/*
 * admin_api.c - the seller's API for those who sync or poll:
 *   GET /seller/v1/openapi.json         the API described (OpenAPI 3.0; no token)
 *   GET /seller/v1/catalog[?provider=]  the catalog in the shape PUT takes, each
 *        item's quantity.available.count the live stock
 *   GET /seller/v1/items[?provider=&q=&category=&enabled=&limit=&cursor=]
 *        items with their live stock, a page at a time
 *   GET /seller/v1/items/{item} | /items/{provider}/{item}   one item
 *   POST /seller/v1/stock {"changes": [{"item_id", "provider_id"?, "stock" | "delta"}]}
 *        stock set or moved for many items at once, all or nothing
 *   GET /seller/v1/orders[?state=&fulfillment_state=&bap_id=&q=&returns=&since=
 *        &sort=&limit=&cursor=]  order summaries by updated_at, a page at a time
 * A query argument this API does not know, or a filter value outside its
 * set (a state that does not exist, a limit out of bounds), is refused
 * with 400 and the argument named: a typo never silently widens a filter.
 *
 * The console's files and openapi.json are read from console.dir, else
 * from share/ondc-gateway/console beside the binaries' folder (an
 * install), else admin/console of the source tree (build/bin/..); the
 * folder found is logged at start.
 *
 * Config keys read: console.dir.
 */
#include "admin.h"

#include "catalog.h"
#include "catalog_sync.h"
#include "context.h"
#include "jparse.h"
#include "log.h"
#include "order.h"

#include <ctype.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the most a page holds, and what it holds unless ?limit= says */
#define API_LIMIT_MAX 1000
#define API_LIMIT_DEFAULT 100

static int s_isdir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int admin_files_init(admin_t *a)
{
    const cfg_t *cfg = &a->rt->cfg;
    a->console_dir[0] = '\0';
    if (cfg->console_dir[0]) {
        if (!s_isdir(cfg->console_dir)) {
            log_error("console.no_dir", "path", cfg->console_dir, NULL);
            return -1;
        }
        snprintf(a->console_dir, sizeof a->console_dir, "%s", cfg->console_dir);
    } else {
        char exe[2048];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = '\0';
            char *bin = dirname(exe); /* .../bin */
            char cand[2][4096];
            snprintf(cand[0], sizeof cand[0], "%s/../share/ondc-gateway/console", bin);
            snprintf(cand[1], sizeof cand[1], "%s/../../admin/console", bin);
            for (int i = 0; i < 2 && !a->console_dir[0]; i++)
                if (s_isdir(cand[i]) && !realpath(cand[i], a->console_dir))
                    a->console_dir[0] = '\0';
        }
    }
    if (a->console_dir[0])
        log_info("console.files", "path", a->console_dir, NULL);
    else
        log_warn("console.no_files", "why",
                 "no console folder found (console.dir): the console and openapi.json are "
                 "not served",
                 NULL);
    return 0;
}

int admin_file_answer(admin_t *a, admin_req_t *q, const char *name, const char *ctype)
{
    char path[4400];
    if (!a->console_dir[0])
        return admin_error(q, 404, NULL, "the console's files are not installed (console.dir)");
    snprintf(path, sizeof path, "%s/%s", a->console_dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 4L * 1024 * 1024) {
        if (fd >= 0)
            close(fd);
        return admin_error(q, 404, NULL, "no such file");
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (got != st.st_size) {
        free(buf);
        return admin_error(q, 500, NULL, "could not read %s", name);
    }
    buf[got] = '\0';
    free(q->answer);
    q->answer = buf;
    q->answer_len = (size_t)got;
    q->status = 200;
    q->ctype = ctype;
    return 0;
}

int admin_get_openapi(admin_t *a, admin_req_t *q, const char *rest)
{
    if (*rest)
        return admin_error(q, 404, NULL, "no such resource");
    return admin_file_answer(a, q, "openapi.json", "application/json");
}

/* s_limit - ?limit= (1..API_LIMIT_MAX, default API_LIMIT_DEFAULT) into
 * *OUT; 1 when refused (answered). */
static int s_limit(admin_req_t *q, int *out, int *rc)
{
    const char *l = admin_arg(q, "limit");
    *out = API_LIMIT_DEFAULT;
    if (!l)
        return 0;
    char *end;
    long v = strtol(l, &end, 10);
    if (!*l || *end || v < 1 || v > API_LIMIT_MAX) {
        *rc = admin_error(q, 400, "limit", "limit must be a whole number from 1 to %d",
                          API_LIMIT_MAX);
        return 1;
    }
    *out = (int)v;
    return 0;
}

/* s_bool_arg - ?NAME=true|false into *OUT (-1: absent); 1 when refused. */
static int s_bool_arg(admin_req_t *q, const char *name, int *out, int *rc)
{
    const char *v = admin_arg(q, name);
    *out = -1;
    if (!v)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = 1;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = 0;
    else {
        *rc = admin_error(q, 400, name, "%s must be true or false", name);
        return 1;
    }
    return 0;
}

/* s_icontains - whether HAY holds NEEDLE, ASCII case ignored */
static int s_icontains(const char *hay, const char *needle)
{
    if (!hay)
        return 0;
    size_t n = strlen(needle);
    for (const char *h = hay; *h; h++)
        if (strncasecmp(h, needle, n) == 0)
            return 1;
    return n == 0;
}

/* s_stocked - a copy of ITEM with its quantity.available.count the live stock */
static json_t *s_stocked(store_t *st, MDB_txn *txn, const char *pid, json_t *item, int64_t *stock)
{
    json_t *c = json_deep_copy(item);
    const char *iid = json_string_value(json_object_get(item, "id"));
    *stock = 0;
    if (iid && catalog_stock(st, txn, pid, iid, stock) == 0) {
        json_t *qty = json_object_get(c, "quantity");
        if (!json_is_object(qty)) {
            qty = json_object();
            json_object_set_new(c, "quantity", qty);
        }
        char n[24];
        snprintf(n, sizeof n, "%lld", (long long)*stock);
        json_object_set_new(qty, "available", json_pack("{s:s}", "count", n));
    }
    return c;
}

/* ---- GET /seller/v1/catalog ---- */

typedef struct {
    store_t *st;
    MDB_txn *txn;
    const char *only; /* ?provider= */
    json_t *providers;
    json_t *items; /* of the provider being filled */
} s_cat_t;

static int s_cat_item(const char *pid, json_t *item, void *arg)
{
    s_cat_t *c = arg;
    int64_t stock;
    json_array_append_new(c->items, s_stocked(c->st, c->txn, pid, item, &stock));
    return 0;
}

static int s_cat_provider(json_t *prov, void *arg)
{
    s_cat_t *c = arg;
    const char *pid = json_string_value(json_object_get(prov, "id"));
    if (!pid || (c->only && strcmp(pid, c->only) != 0))
        return 0;
    json_t *p = json_deep_copy(prov);
    c->items = json_array();
    catalog_each_item(c->st, c->txn, pid, s_cat_item, c);
    json_object_set_new(p, "items", c->items);
    json_array_append_new(c->providers, p);
    return 0;
}

int admin_get_catalog(admin_t *a, admin_req_t *q, const char *rest)
{
    static const char *const args[] = {"provider", NULL};
    int rc = -1;
    if (*rest && strcmp(rest, "/") != 0)
        return admin_error(q, 404, NULL, "no such resource");
    if (admin_args_only(q, args, &rc))
        return rc;
    MDB_txn *txn = store_begin(a->rt->store, 1);
    if (!txn)
        return admin_error(q, 503, NULL, "the store is not available");
    s_cat_t c = {a->rt->store, txn, admin_arg(q, "provider"), json_array(), NULL};
    json_t *prov = c.only ? catalog_provider(a->rt->store, txn, c.only) : NULL;
    if (c.only && !prov) {
        mdb_txn_abort(txn);
        json_decref(c.providers);
        return admin_error_code(q, 400, "30001", "provider", "no provider %s", c.only);
    }
    json_decref(prov);
    catalog_each_provider(a->rt->store, txn, s_cat_provider, &c);
    json_t *bpp = catalog_bpp(a->rt->store, txn);
    mdb_txn_abort(txn);
    json_t *out = json_object();
    if (json_object_get(bpp, "descriptor"))
        json_object_set(out, "bpp/descriptor", json_object_get(bpp, "descriptor"));
    if (json_object_get(bpp, "fulfillments"))
        json_object_set(out, "bpp/fulfillments", json_object_get(bpp, "fulfillments"));
    json_object_set_new(out, "bpp/providers", c.providers);
    json_decref(bpp);
    return admin_reply(q, 200, out);
}

/* ---- GET /seller/v1/items ---- */

typedef struct {
    store_t *st;
    MDB_txn *txn;
    const char *text, *category, *cursor;
    int enabled, limit;
    json_t *list;
    char last[330]; /* "{provider}/{item}" of the last one listed */
    int more;
} s_items_t;

/* s_item_summary - what a list shows of PID's ITEM, its stock read now */
static json_t *s_item_summary(store_t *st, MDB_txn *txn, const char *pid, json_t *item)
{
    int64_t stock = 0;
    json_t *full = s_stocked(st, txn, pid, item, &stock);
    json_t *price = json_object_get(item, "price");
    json_t *en = json_object_get(item, "enabled");
    json_t *s = json_pack(
        "{s:s,s:O?,s:O?,s:O?,s:O?,s:O?,s:I,s:b,s:o}", "provider_id", pid, "id",
        json_object_get(item, "id"), "name", json_object_get(json_object_get(item, "descriptor"), "name"),
        "category_id", json_object_get(item, "category_id"), "price", json_object_get(price, "value"),
        "maximum_value", json_object_get(price, "maximum_value"), "stock", (json_int_t)stock,
        "enabled", !json_is_false(en), "item", full);
    return s;
}

static int s_items_cb(const char *pid, json_t *item, void *arg)
{
    s_items_t *x = arg;
    const char *iid = json_string_value(json_object_get(item, "id"));
    if (!iid)
        return 0;
    char key[330];
    snprintf(key, sizeof key, "%s/%s", pid, iid);
    if (x->cursor && strcmp(key, x->cursor) <= 0)
        return 0;
    if (x->category) {
        const char *c = json_string_value(json_object_get(item, "category_id"));
        if (!c || strcmp(c, x->category) != 0)
            return 0;
    }
    if (x->enabled >= 0 && (json_is_false(json_object_get(item, "enabled")) ? 0 : 1) != x->enabled)
        return 0;
    if (x->text && !s_icontains(iid, x->text) &&
        !s_icontains(json_string_value(json_object_get(json_object_get(item, "descriptor"), "name")),
                     x->text))
        return 0;
    if ((int)json_array_size(x->list) >= x->limit) {
        x->more = 1;
        return 1;
    }
    json_array_append_new(x->list, s_item_summary(x->st, x->txn, pid, item));
    snprintf(x->last, sizeof x->last, "%s", key);
    return 0;
}

/* s_one_item - GET /seller/v1/items/{item} or /{provider}/{item} */
static int s_one_item(admin_t *a, admin_req_t *q, const char *rest)
{
    char pid[160] = "", iid[160];
    const char *slash = strchr(rest, '/');
    if (slash) {
        size_t pl = (size_t)(slash - rest);
        if (pl == 0 || pl >= sizeof pid || strchr(slash + 1, '/') || !slash[1] ||
            strlen(slash + 1) >= sizeof iid)
            return admin_error_code(q, 404, "30004", NULL, "no such item");
        memcpy(pid, rest, pl);
        pid[pl] = '\0';
        snprintf(iid, sizeof iid, "%s", slash + 1);
    } else {
        if (!*rest || strlen(rest) >= sizeof iid)
            return admin_error_code(q, 404, "30004", NULL, "no such item");
        snprintf(iid, sizeof iid, "%s", rest);
    }
    store_t *st = a->rt->store;
    MDB_txn *txn = store_begin(st, 1);
    if (!txn)
        return admin_error(q, 503, NULL, "the store is not available");
    if (!pid[0]) {
        char pids[2][160];
        int n = catalog_item_providers(st, txn, iid, pids, 2);
        if (n > 1) {
            mdb_txn_abort(txn);
            return admin_error(q, 409, NULL,
                               "item %s is listed by several providers: "
                               "GET /seller/v1/items/{provider}/%s",
                               iid, iid);
        }
        if (n == 1)
            snprintf(pid, sizeof pid, "%s", pids[0]);
    }
    json_t *item = pid[0] ? catalog_item(st, txn, pid, iid) : NULL;
    if (!item) {
        mdb_txn_abort(txn);
        return admin_error_code(q, 404, "30004", NULL, "item %s not found", iid);
    }
    json_t *out = s_item_summary(st, txn, pid, item);
    mdb_txn_abort(txn);
    json_decref(item);
    return admin_reply(q, 200, out);
}

int admin_get_items(admin_t *a, admin_req_t *q, const char *rest)
{
    static const char *const args[] = {"provider", "q", "category", "enabled", "limit", "cursor",
                                       NULL};
    int rc = -1;
    if (*rest == '/' && rest[1])
        return s_one_item(a, q, rest + 1);
    if (*rest && strcmp(rest, "/") != 0)
        return admin_error(q, 404, NULL, "no such resource");
    if (admin_args_only(q, args, &rc))
        return rc;
    s_items_t x = {.text = admin_arg(q, "q"),
                   .category = admin_arg(q, "category"),
                   .cursor = admin_arg(q, "cursor")};
    if (s_limit(q, &x.limit, &rc) || s_bool_arg(q, "enabled", &x.enabled, &rc))
        return rc;
    if (x.cursor && (!strchr(x.cursor, '/') || strlen(x.cursor) >= sizeof x.last))
        return admin_error(q, 400, "cursor", "cursor must be a next_cursor this API gave");
    const char *pid = admin_arg(q, "provider");
    store_t *st = a->rt->store;
    MDB_txn *txn = store_begin(st, 1);
    if (!txn)
        return admin_error(q, 503, NULL, "the store is not available");
    if (pid) {
        json_t *p = catalog_provider(st, txn, pid);
        if (!p) {
            mdb_txn_abort(txn);
            return admin_error_code(q, 400, "30001", "provider", "no provider %s", pid);
        }
        json_decref(p);
    }
    x.st = st;
    x.txn = txn;
    x.list = json_array();
    catalog_each_item(st, txn, pid, s_items_cb, &x);
    mdb_txn_abort(txn);
    json_t *out = json_pack("{s:o}", "items", x.list);
    json_object_set_new(out, "next_cursor", x.more ? json_string(x.last) : json_null());
    return admin_reply(q, 200, out);
}

/* ---- GET /seller/v1/orders ---- */

typedef struct {
    const char *state, *fstate, *bap, *text;
    char since[40];
    int returns;                  /* -1: any; 1: only orders with a return */
    int desc;                     /* newest first: the walk stops at the first row before since */
    size_t limit;                 /* the page's size; one row more tells there is a next */
    char last[ORDER_POS_MAX + 1]; /* the position of the page's last row */
    json_t *all;                  /* the summary of each match, in the page's order */
} s_orders_t;

/* s_order_summary - what a list shows of order record REC */
static json_t *s_order_summary(json_t *rec)
{
    json_t *o = json_object_get(rec, "order");
    json_t *f = order_fulfillment(o);
    json_t *returns = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(o, "fulfillments"), i, x)
    {
        const char *t = json_string_value(json_object_get(x, "type"));
        if (t && strcmp(t, "Return") == 0)
            json_array_append_new(returns, json_pack("{s:O?,s:s}", "id", json_object_get(x, "id"),
                                                     "state", order_fstate(x)));
    }
    json_t *billing = json_object_get(o, "billing");
    json_t *s = json_pack(
        "{s:O?,s:O?,s:O?,s:s,s:O?,s:O?,s:O?,s:O?,s:O?,s:I,s:o}", "id", json_object_get(o, "id"),
        "bap_id", json_object_get(rec, "bap_id"), "state", json_object_get(o, "state"),
        "fulfillment_state", order_fstate(f), "total",
        json_object_get(json_object_get(json_object_get(o, "quote"), "price"), "value"),
        "buyer", json_object_get(billing, "name"), "provider_id",
        json_object_get(json_object_get(o, "provider"), "id"), "created_at",
        json_object_get(o, "created_at"), "updated_at", json_object_get(o, "updated_at"),
        "items", (json_int_t)json_array_size(json_object_get(o, "items")), "returns", returns);
    json_t *by = json_object_get(rec, "accept_by_ms");
    const char *st = json_string_value(json_object_get(o, "state"));
    if (json_is_integer(by) && st && strcmp(st, "Created") == 0) {
        char ts[40];
        context_format_time(json_integer_value(by), ts, sizeof ts);
        json_object_set_new(s, "accept_by", json_string(ts));
    }
    return s;
}

static int s_orders_cb(json_t *rec, const char *pos, void *arg)
{
    s_orders_t *l = arg;
    json_t *o = json_object_get(rec, "order");
    const char *upd = order_updated(rec);
    /* timestamps are all "YYYY-MM-DDTHH:MM:SS.mmmZ": they sort as text */
    if (l->since[0] && strcmp(upd, l->since) < 0)
        return l->desc; /* newest first: every row from here on is older */
    if (l->fstate && strcmp(order_fstate(order_fulfillment(o)), l->fstate) != 0)
        return 0;
    const char *bap = json_string_value(json_object_get(rec, "bap_id"));
    if (l->bap && (!bap || strcmp(bap, l->bap) != 0))
        return 0;
    json_t *billing = json_object_get(o, "billing");
    if (l->text && !s_icontains(json_string_value(json_object_get(o, "id")), l->text) &&
        !s_icontains(json_string_value(json_object_get(billing, "name")), l->text) &&
        !s_icontains(json_string_value(json_object_get(billing, "phone")), l->text) &&
        !s_icontains(bap, l->text))
        return 0;
    json_t *sum = s_order_summary(rec);
    if (l->returns == 1 && json_array_size(json_object_get(sum, "returns")) == 0) {
        json_decref(sum);
        return 0;
    }
    json_array_append_new(l->all, sum);
    if (json_array_size(l->all) == l->limit)
        snprintf(l->last, sizeof l->last, "%s", pos);
    return json_array_size(l->all) > l->limit;
}

/* s_cursor - the cursor naming position POS ("updated_at\x1ekey") as hex */
static void s_cursor(const char *pos, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = pos; *p && o + 3 < cap; p++)
        o += (size_t)snprintf(out + o, cap - o, "%02x", (unsigned char)*p);
    out[o] = '\0';
}

/* s_uncursor - a cursor back to "updated_at\x1ekey"; -1 if not one */
static int s_uncursor(const char *hex, char *out, size_t cap)
{
    size_t n = strlen(hex);
    if (n == 0 || n % 2 || n / 2 >= cap)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        if (!isxdigit((unsigned char)hex[i]) || !isxdigit((unsigned char)hex[i + 1]))
            return -1;
        char b[3] = {hex[i], hex[i + 1], 0};
        out[i / 2] = (char)strtol(b, NULL, 16);
    }
    out[n / 2] = '\0';
    return strchr(out, '\x1e') && strlen(out) == n / 2 ? 0 : -1;
}

int admin_orders_list(admin_t *a, admin_req_t *q)
{
    static const char *const args[] = {"state", "fulfillment_state", "bap_id", "q", "returns",
                                       "since", "sort", "limit", "cursor", NULL};
    int rc = -1;
    if (admin_args_only(q, args, &rc))
        return rc;
    s_orders_t l = {.state = admin_arg(q, "state"),
                    .fstate = admin_arg(q, "fulfillment_state"),
                    .bap = admin_arg(q, "bap_id"),
                    .text = admin_arg(q, "q")};
    const char *const *known = order_states(ORDER_KIND_ORDER);
    int ok = !l.state;
    for (size_t i = 0; !ok && known[i]; i++)
        ok = strcmp(l.state, known[i]) == 0;
    if (!ok)
        return admin_error(q, 400, "state", "state %s is not an order state (Created, Accepted, "
                           "In-progress, Completed, Cancelled)", l.state);
    known = order_states(ORDER_KIND_FULFILLMENT);
    ok = !l.fstate;
    for (size_t i = 0; !ok && known[i]; i++)
        ok = strcmp(l.fstate, known[i]) == 0;
    if (!ok)
        return admin_error(q, 400, "fulfillment_state",
                           "fulfillment_state %s is not a fulfillment state (Pending, Packed, "
                           "Agent-assigned, Order-picked-up, Out-for-delivery, Order-delivered, "
                           "Cancelled, RTO-Initiated, RTO-Delivered, RTO-Disposed)",
                           l.fstate);
    const char *since = admin_arg(q, "since");
    if (since) {
        int64_t ms = context_parse_time(since);
        if (ms < 0)
            return admin_error(q, 400, "since",
                               "since must be an RFC 3339 UTC time (2024-05-01T10:00:00.000Z)");
        context_format_time(ms, l.since, sizeof l.since);
    }
    const char *sort = admin_arg(q, "sort");
    int desc = 0;
    if (sort && strcmp(sort, "updated_at") != 0 && !(desc = strcmp(sort, "-updated_at") == 0))
        return admin_error(q, 400, "sort", "sort must be updated_at or -updated_at");
    int limit;
    if (s_limit(q, &limit, &rc) || s_bool_arg(q, "returns", &l.returns, &rc))
        return rc;
    const char *cur = admin_arg(q, "cursor");
    char after[600] = "";
    if (cur && s_uncursor(cur, after, sizeof after) < 0)
        return admin_error(q, 400, "cursor", "cursor must be a next_cursor this API gave");
    /* ascending, since is a starting point: a position past it (it has
     * no \x1e, so none equals it) is a row at or after that time */
    l.desc = desc;
    if (!desc && l.since[0] && strcmp(after, l.since) < 0)
        snprintf(after, sizeof after, "%s", l.since);
    l.limit = (size_t)limit;
    MDB_txn *txn = store_begin(a->rt->store, 1);
    if (!txn)
        return admin_error(q, 503, NULL, "the store is not available");
    l.all = json_array();
    /* the updated_at index, from just after the cursor: a page costs its
     * own rows (and those the filters pass over), not the store */
    int walked = order_walk(a->rt->store, txn, desc, after, l.state, s_orders_cb, &l);
    mdb_txn_abort(txn);
    if (walked < 0) {
        json_decref(l.all);
        return admin_error(q, 503, NULL, "the store is not available");
    }
    char next[1300] = "";
    if (json_array_size(l.all) > l.limit) {
        json_array_remove(l.all, l.limit);
        s_cursor(l.last, next, sizeof next);
    }
    json_t *out = json_pack("{s:o}", "orders", l.all);
    json_object_set_new(out, "next_cursor", next[0] ? json_string(next) : json_null());
    return admin_reply(q, 200, out);
}

/* ---- POST /seller/v1/stock ---- */

int admin_post_stock(admin_t *a, admin_req_t *q, const char *rest)
{
    if (*rest && strcmp(rest, "/") != 0)
        return admin_error(q, 404, NULL, "no such resource");
    json_error_t je;
    json_t *body = q->len ? jparse(q->body, q->len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!json_is_object(body)) {
        json_decref(body);
        return admin_error(q, 400, NULL, "the body must be {\"changes\": [...]}");
    }
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        if (strcmp(k, "changes") != 0) {
            int rc = admin_error(q, 400, k, "%s: unknown key (known: changes)", k);
            json_decref(body);
            return rc;
        }
    }
    MDB_txn *txn = admin_begin(a);
    if (!txn) {
        json_decref(body);
        return admin_error(q, 503, NULL, "the store is not available");
    }
    ondc_err_t err;
    memset(&err, 0, sizeof err);
    json_t *result = NULL;
    if (catalog_sync_stock_changes(a->rt->store, txn, json_object_get(body, "changes"), &result,
                                   &err) < 0) {
        mdb_txn_abort(txn);
        json_decref(body);
        return admin_error_err(q, &err);
    }
    json_decref(body);
    if (admin_commit(a, txn) != 0) {
        json_decref(result);
        return admin_error(q, 500, NULL, "could not commit the stock");
    }
    char n[24];
    snprintf(n, sizeof n, "%zu", json_array_size(result));
    log_info("catalog.stock_changed", "items", n, NULL);
    return admin_reply(q, 200, json_pack("{s:o}", "stock", result));
}

/* ---- the desk actions an order allows ---- */

json_t *admin_order_actions(json_t *rec)
{
    json_t *out = json_array();
    json_t *o = json_object_get(rec, "order");
    const char *st = json_string_value(json_object_get(o, "state"));
    if (!st)
        return out;
    if (strcmp(st, "Created") == 0) {
        if (order_transition_ok(ORDER_KIND_ORDER, "Created", "Accepted"))
            json_array_append_new(out, json_string("accept"));
        if (order_transition_ok(ORDER_KIND_ORDER, "Created", "Cancelled"))
            json_array_append_new(out, json_string("reject"));
        return out;
    }
    const char *fs = order_fstate(order_fulfillment(o));
    static const struct {
        const char *verb, *to;
    } fv[] = {{"packed", "Packed"},
              {"agent-assigned", "Agent-assigned"},
              {"picked-up", "Order-picked-up"},
              {"out-for-delivery", "Out-for-delivery"},
              {"delivered", "Order-delivered"},
              {"cancel", "Cancelled"},
              {"rto-initiated", "RTO-Initiated"},
              {"rto-delivered", "RTO-Delivered"},
              {"rto-disposed", "RTO-Disposed"}};
    /* the RTO's own states are on its fulfillment */
    const char *rto = NULL;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(o, "fulfillments"), i, f)
    {
        const char *t = json_string_value(json_object_get(f, "type"));
        if (t && strcmp(t, "RTO") == 0)
            rto = order_fstate(f);
    }
    for (size_t k = 0; k < sizeof fv / sizeof fv[0]; k++) {
        int rto_verb = strncmp(fv[k].verb, "rto-", 4) == 0 && strcmp(fv[k].verb, "rto-initiated") != 0;
        const char *from = rto_verb ? rto : fs;
        int ok = from && *from && order_transition_ok(ORDER_KIND_FULFILLMENT, from, fv[k].to);
        if (strcmp(fv[k].verb, "rto-initiated") == 0) /* after pick-up, as the desk has it */
            ok = !rto && (strcmp(fs, "Order-picked-up") == 0 || strcmp(fs, "Out-for-delivery") == 0);
        if (ok)
            json_array_append_new(out, json_string(fv[k].verb));
    }
    static const struct {
        const char *verb, *to;
    } rv[] = {{"approve", "Return_Approved"},
              {"reject", "Return_Rejected"},
              {"picked", "Return_Picked"},
              {"delivered", "Return_Delivered"},
              {"liquidated", "Liquidated"}};
    json_array_foreach(json_object_get(o, "fulfillments"), i, f)
    {
        const char *t = json_string_value(json_object_get(f, "type"));
        const char *id = json_string_value(json_object_get(f, "id"));
        if (!t || strcmp(t, "Return") != 0 || !id)
            continue;
        for (size_t k = 0; k < sizeof rv / sizeof rv[0]; k++)
            if (order_transition_ok(ORDER_KIND_RETURN, order_fstate(f), rv[k].to)) {
                char v[200];
                snprintf(v, sizeof v, "return/%s/%s", id, rv[k].verb);
                json_array_append_new(out, json_string(v));
            }
    }
    return out;
}
