/*
 * customize.c - custom groups, menus and customizations. See customize.h.
 */
#include "customize.h"

#include "catalog.h"
#include "money.h"
#include "quote.h"
#include "tags.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_type(json_t *o)
{
    return tags_lookup(json_object_get(o, "tags"), "type", "type");
}

int customize_is_option(json_t *item)
{
    const char *t = s_type(item);
    return t && strcmp(t, "customization") == 0;
}

const char *customize_group_of(json_t *item)
{
    return customize_is_option(item) ? tags_lookup(json_object_get(item, "tags"), "parent", "id")
                                     : NULL;
}

int customize_each_group(json_t *item, customize_group_fn *fn, void *arg)
{
    const char *code = customize_is_option(item) ? "child" : "custom_group";
    size_t pos = 0, i;
    json_t *g, *e;
    while ((g = tags_next(json_object_get(item, "tags"), code, &pos)) != NULL)
        json_array_foreach(tags_list(g), i, e)
        {
            const char *id = json_string_value(json_object_get(e, "value"));
            const char *c = json_string_value(json_object_get(e, "code"));
            if (id && c && strcmp(c, "id") == 0 && fn(id, arg))
                return 1;
        }
    return 0;
}

/* s_count - a whole number of at most 6 digits; -1 otherwise */
static long s_count(const char *v)
{
    if (!v || !*v || strlen(v) > 6)
        return -1;
    for (const char *c = v; *c; c++)
        if (*c < '0' || *c > '9')
            return -1;
    return atol(v);
}

static int s_hhmm(const char *s)
{
    return s && strlen(s) == 4 && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' &&
           s[2] >= '0' && s[2] <= '5' && s[3] >= '0' && s[3] <= '9' && atoi(s) <= 2359;
}

/* s_category - category ID of PROV with type TYPE (its index in *AT); NULL if none */
static json_t *s_category(json_t *prov, const char *id, const char *type, size_t *at)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(prov, "categories"), i, c)
    {
        const char *cid = json_string_value(json_object_get(c, "id"));
        const char *t = s_type(c);
        if (cid && id && strcmp(cid, id) == 0 && t && strcmp(t, type) == 0) {
            if (at)
                *at = i;
            return c;
        }
    }
    return NULL;
}

/* the groups as a graph: an edge G -> H for each customization of G that
 * opens H, remembered with the item that makes it */
typedef struct {
    size_t from, to, item;
} s_edge_t;

typedef struct {
    json_t *prov;
    s_edge_t *edges;
    size_t n, cap;
    size_t from, item;
    int bad;
    const char *unknown;
} s_graph_t;

static int s_add_edge(const char *group, void *arg)
{
    s_graph_t *g = arg;
    size_t to;
    if (!s_category(g->prov, group, "custom_group", &to)) {
        g->unknown = group;
        return 1;
    }
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 16;
        s_edge_t *ne = realloc(g->edges, nc * sizeof *ne);
        if (!ne) {
            g->bad = 1;
            return 1;
        }
        g->edges = ne;
        g->cap = nc;
    }
    g->edges[g->n++] = (s_edge_t){g->from, to, g->item};
    return 0;
}

/* s_dfs - from group AT: 1 with *ITEM the customization that closes a
 * cycle (a group met again on the way), 0 none. COLOR: 0 new, 1 on the
 * way, 2 done. */
static int s_dfs(const s_graph_t *g, size_t at, unsigned char *color, size_t *item)
{
    color[at] = 1;
    for (size_t e = 0; e < g->n; e++) {
        if (g->edges[e].from != at)
            continue;
        size_t to = g->edges[e].to;
        if (color[to] == 1) {
            *item = g->edges[e].item;
            return 1;
        }
        if (color[to] == 0 && s_dfs(g, to, color, item))
            return 1;
    }
    color[at] = 2;
    return 0;
}

static int s_check_menu(json_t *c, const char *path, ondc_err_t *err)
{
    json_t *l = tags_list(tags_find(json_object_get(c, "tags"), "timing"));
    const char *df = tags_value(l, "day_from"), *dt = tags_value(l, "day_to");
    const char *tf = tags_value(l, "time_from"), *tt = tags_value(l, "time_to");
    long a = s_count(df), b = s_count(dt);
    if (!l || a < 1 || a > 7 || b < a || b > 7 || !s_hhmm(tf) || !s_hhmm(tt) ||
        atoi(tt) <= atoi(tf))
        return err_field(err, path,
                         "a custom_menu needs a \"timing\" tag: day_from <= day_to (1-7), "
                         "time_from < time_to (\"HHMM\")");
    return 0;
}

static int s_check_group(json_t *c, const char *path, ondc_err_t *err)
{
    json_t *l = tags_list(tags_find(json_object_get(c, "tags"), "config"));
    const char *mn = tags_value(l, "min"), *mx = tags_value(l, "max"), *seq = tags_value(l, "seq");
    long a = s_count(mn), b = s_count(mx);
    if (!l || a < 0 || b < 1)
        return err_field(err, path,
                         "a custom_group needs a \"config\" tag with min (0 or more) and max (1 or "
                         "more)");
    if (a > b)
        return err_field(err, path, "config min %ld is above max %ld", a, b);
    if (seq && s_count(seq) < 0)
        return err_field(err, path, "config seq must be a whole number");
    return 0;
}

int customize_check(json_t *prov, const char *base, ondc_err_t *err)
{
    char path[200];
    size_t i, k;
    json_t *c, *it, *e;
    size_t ncats = json_array_size(json_object_get(prov, "categories"));
    json_array_foreach(json_object_get(prov, "categories"), i, c)
    {
        const char *t = s_type(c);
        snprintf(path, sizeof path, "%s.categories[%zu].tags", base, i);
        if (t && strcmp(t, "custom_group") == 0 && s_check_group(c, path, err) < 0)
            return -1;
        if (t && strcmp(t, "custom_menu") == 0 && s_check_menu(c, path, err) < 0)
            return -1;
    }
    s_graph_t g = {prov, NULL, 0, 0, 0, 0, 0, NULL};
    int rc = 0;
    json_array_foreach(json_object_get(prov, "items"), i, it)
    {
        json_array_foreach(json_object_get(it, "category_ids"), k, e)
        {
            /* "{menu}:{rank}" */
            const char *v = json_string_value(e);
            const char *colon = v ? strrchr(v, ':') : NULL;
            char menu[160];
            snprintf(menu, sizeof menu, "%.*s", colon ? (int)(colon - v) : 0, v ? v : "");
            snprintf(path, sizeof path, "%s.items[%zu].category_ids[%zu]", base, i, k);
            if (!colon || s_count(colon + 1) < 0 || !s_category(prov, menu, "custom_menu", NULL)) {
                rc = err_field(err, path, "must be \"{menu}:{rank}\" naming one of the provider's "
                                       "custom_menu categories");
                goto out;
            }
        }
        snprintf(path, sizeof path, "%s.items[%zu].tags", base, i);
        g.item = i;
        g.unknown = NULL;
        if (customize_is_option(it)) {
            const char *parent = customize_group_of(it);
            if (!parent || !s_category(prov, parent, "custom_group", &g.from)) {
                rc = err_field(err, path,
                               "a customization's \"parent\" tag must name one of the provider's "
                               "custom_group categories (not \"%s\")",
                               parent ? parent : "");
                goto out;
            }
            customize_each_group(it, s_add_edge, &g);
        } else {
            /* an item's groups: checked as names only (no edge) */
            g.from = (size_t)-1;
            customize_each_group(it, s_add_edge, &g);
            size_t keep = 0;
            for (size_t x = 0; x < g.n; x++)
                if (g.edges[x].from != (size_t)-1)
                    g.edges[keep++] = g.edges[x];
            g.n = keep;
        }
        if (g.bad) {
            rc = err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "out of memory");
            goto out;
        }
        if (g.unknown) {
            rc = err_field(err, path, "names group \"%s\", not one of the provider's custom_group "
                                   "categories",
                           g.unknown);
            goto out;
        }
    }
    if (g.n) {
        unsigned char *color = calloc(ncats ? ncats : 1, 1);
        if (!color) {
            rc = err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "out of memory");
            goto out;
        }
        size_t item = 0;
        int cycle = 0;
        for (size_t x = 0; x < ncats && !cycle; x++)
            if (color[x] == 0)
                cycle = s_dfs(&g, x, color, &item);
        free(color);
        if (cycle) {
            snprintf(path, sizeof path, "%s.items[%zu].tags", base, item);
            rc = err_field(err, path,
                           "customization cycle: its \"child\" group leads back to a group met "
                           "before it");
        }
    }
out:
    free(g.edges);
    return rc < 0 ? -1 : 0;
}

/* ---- orders ---- */

typedef struct {
    json_t *open; /* group id -> true */
    int changed;
} s_open_t;

static int s_open_cb(const char *group, void *arg)
{
    s_open_t *o = arg;
    if (!json_object_get(o->open, group)) {
        json_object_set_new(o->open, group, json_true());
        o->changed = 1;
    }
    return 0;
}

static int s_order_fail(ondc_err_t *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_order_fail(ondc_err_t *err, const char *path, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(err, ERR_TYPE_DOMAIN, 400, ERR_INVALID_REQUEST, path, "%s", msg);
}

/* s_instance - check the instance of base item BASE (index BI in ITEMS):
 * the customizations sharing its parent_item_id */
static int s_instance(store_t *s, MDB_txn *txn, const char *pid, json_t *provider, json_t *items,
                      size_t bi, json_t *base_item, ondc_err_t *err)
{
    json_t *req = json_array_get(items, bi);
    json_t *inst = json_object_get(req, "parent_item_id");
    int64_t count = catalog_count(json_object_get(json_object_get(req, "quantity"), "count"));
    s_open_t o = {json_object(), 1};
    json_t *chosen = json_object(); /* group -> how many */
    char path[120], iid[160];
    int rc = 0;
    customize_each_group(base_item, s_open_cb, &o);
    /* the groups open: the item's, then those its chosen options open, as
     * far as they go (the groups form no cycle: import saw to it) */
    size_t n = json_array_size(items);
    json_t **opt = calloc(n ? n : 1, sizeof(json_t *)); /* NOLINT(bugprone-sizeof-expression) */
    if (!opt) {
        rc = err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(items, i);
        if (i == bi || !inst || !json_equal(json_object_get(r, "parent_item_id"), inst))
            continue;
        snprintf(path, sizeof path, "message.order.items[%zu].id", i);
        if (!quote_id_str(json_object_get(r, "id"), iid, sizeof iid))
            continue; /* quote_build names it */
        json_t *ci = catalog_item_ro(s, txn, pid, iid);
        if (!ci)
            continue; /* quote_build: 30004 */
        if (!customize_is_option(ci)) {
            json_decref(ci);
            rc = s_order_fail(err, path,
                              "item %s: one item per parent_item_id, with its customizations", iid);
            goto out;
        }
        opt[i] = ci;
        snprintf(path, sizeof path, "message.order.items[%zu].quantity.count", i);
        if (catalog_count(json_object_get(json_object_get(r, "quantity"), "count")) != count) {
            rc = s_order_fail(err, path, "customization %s: the count of its item (%lld)", iid,
                              (long long)count);
            goto out;
        }
    }
    while (o.changed) {
        o.changed = 0;
        for (size_t i = 0; i < n; i++) {
            const char *g = opt[i] ? customize_group_of(opt[i]) : NULL;
            if (g && json_object_get(o.open, g))
                customize_each_group(opt[i], s_open_cb, &o);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!opt[i])
            continue;
        const char *g = customize_group_of(opt[i]);
        snprintf(path, sizeof path, "message.order.items[%zu].id", i);
        if (!g || !json_object_get(o.open, g)) {
            rc = s_order_fail(err, path, "customization %s is not an option of the groups its item "
                                         "and the options chosen open",
                              json_string_value(json_object_get(opt[i], "id")));
            goto out;
        }
        json_t *c = json_object_get(chosen, g);
        json_object_set_new(chosen, g, json_integer(c ? json_integer_value(c) + 1 : 1));
    }
    const char *g;
    json_t *v;
    json_object_foreach(o.open, g, v)
    {
        json_t *cat = s_category(provider, g, "custom_group", NULL);
        json_t *l = tags_list(tags_find(json_object_get(cat, "tags"), "config"));
        long mn = s_count(tags_value(l, "min")), mx = s_count(tags_value(l, "max"));
        json_t *c = json_object_get(chosen, g);
        long have = c ? (long)json_integer_value(c) : 0;
        snprintf(path, sizeof path, "message.order.items[%zu]", bi);
        if ((mn >= 0 && have < mn) || (mx >= 0 && have > mx)) {
            const char *name =
                json_string_value(json_object_get(json_object_get(cat, "descriptor"), "name"));
            rc = s_order_fail(err, path, "group %s (%s): from %ld to %ld options, %ld chosen", g,
                              name ? name : g, mn, mx, have);
            goto out;
        }
    }
out:
    for (size_t i = 0; opt && i < n; i++)
        json_decref(opt[i]);
    free(opt);
    json_decref(o.open);
    json_decref(chosen);
    return rc < 0 ? -1 : 0;
}

int customize_check_order(store_t *s, MDB_txn *txn, const char *pid, json_t *provider,
                          json_t *order, ondc_err_t *err)
{
    json_t *items = json_object_get(order, "items");
    json_t *seen = json_object(); /* instances met: each has one item */
    size_t i;
    json_t *r;
    char iid[160], path[120];
    int rc = 0;
    json_array_foreach(items, i, r)
    {
        if (!quote_id_str(json_object_get(r, "id"), iid, sizeof iid))
            continue;
        json_t *ci = catalog_item_ro(s, txn, pid, iid);
        if (!ci)
            continue;
        int option = customize_is_option(ci);
        json_t *inst = json_object_get(r, "parent_item_id");
        snprintf(path, sizeof path, "message.order.items[%zu].parent_item_id", i);
        if (option && !json_is_string(inst)) {
            json_decref(ci);
            rc = s_order_fail(err, path, "customization %s needs the parent_item_id of its item",
                              iid);
            break;
        }
        if (!option && json_is_string(inst)) {
            if (json_object_get(seen, json_string_value(inst))) {
                json_decref(ci);
                rc = s_order_fail(err, path, "parent_item_id %s has two items",
                                  json_string_value(inst));
                break;
            }
            json_object_set_new(seen, json_string_value(inst), json_true());
        }
        if (!option)
            rc = s_instance(s, txn, pid, provider, items, i, ci, err);
        json_decref(ci);
        if (rc < 0)
            break;
    }
    json_decref(seen);
    return rc < 0 ? -1 : 0;
}

json_t *customize_row_item(json_t *req)
{
    json_t *inst = json_object_get(req, "parent_item_id");
    json_t *tags = json_object_get(req, "tags");
    if (!inst && !tags)
        return NULL;
    json_t *o = json_object();
    if (inst)
        json_object_set(o, "parent_item_id", inst);
    if (json_is_array(tags)) {
        json_t *keep = json_array();
        size_t i;
        json_t *t;
        json_array_foreach(tags, i, t)
        {
            const char *c = tags_code(t);
            if (c && (strcmp(c, "type") == 0 || strcmp(c, "parent") == 0))
                json_array_append(keep, t);
        }
        if (json_array_size(keep))
            json_object_set_new(o, "tags", keep);
        else
            json_decref(keep);
    }
    return o;
}

/* ---- the price tags of a customizable item ---- */

typedef struct {
    json_t *prov;   /* categories (borrowed) */
    json_t *groups; /* group id -> array of its options (borrowed items) */
} s_price_t;

typedef struct {
    int64_t lo, hi;
} s_span_t;

#define S_PRICE_DEPTH 32 /* import refuses cycles; this only bounds a bad store */

static int64_t s_paise(json_t *item, const char *key)
{
    int64_t p;
    json_t *price = json_object_get(item, "price");
    if (money_parse_json(json_object_get(price, key), &p) == 0 && p >= 0)
        return p;
    if (strcmp(key, "value") != 0 && money_parse_json(json_object_get(price, "value"), &p) == 0 &&
        p >= 0)
        return p; /* no MRP: the price */
    return 0;
}

static int s_cmp_lo(const void *a, const void *b)
{
    int64_t x = ((const s_span_t *)a)->lo, y = ((const s_span_t *)b)->lo;
    return x < y ? -1 : x > y;
}

static int s_cmp_hi(const void *a, const void *b)
{
    int64_t x = ((const s_span_t *)a)->hi, y = ((const s_span_t *)b)->hi;
    return x > y ? -1 : x < y;
}

static s_span_t s_group_span(const s_price_t *c, const char *g, int depth);

typedef struct {
    const s_price_t *c;
    int depth;
    s_span_t sum;
} s_child_t;

static int s_child_span(const char *group, void *arg)
{
    s_child_t *k = arg;
    s_span_t g = s_group_span(k->c, group, k->depth);
    k->sum.lo += g.lo;
    k->sum.hi += g.hi;
    return 0;
}

/* s_option_span - the cheapest and dearest an option costs with what the
 * groups it opens add */
static s_span_t s_option_span(const s_price_t *c, json_t *opt, int depth)
{
    int64_t p = s_paise(opt, "value");
    s_child_t k = {c, depth + 1, {p, p}};
    customize_each_group(opt, s_child_span, &k);
    return k.sum;
}

/* s_group_span - the least a group adds (its min cheapest options) and the
 * most (its max dearest) */
static s_span_t s_group_span(const s_price_t *c, const char *g, int depth)
{
    s_span_t r = {0, 0};
    json_t *opts = json_object_get(c->groups, g);
    size_t n = json_array_size(opts), i;
    json_t *cat = s_category(c->prov, g, "custom_group", NULL);
    json_t *l = tags_list(tags_find(json_object_get(cat, "tags"), "config"));
    long mn = s_count(tags_value(l, "min")), mx = s_count(tags_value(l, "max"));
    if (!n || depth > S_PRICE_DEPTH)
        return r;
    s_span_t *v = calloc(n, sizeof *v);
    if (!v)
        return r;
    json_t *o;
    json_array_foreach(opts, i, o) v[i] = s_option_span(c, o, depth);
    qsort(v, n, sizeof *v, s_cmp_lo);
    for (size_t k = 0; mn > 0 && k < n && k < (size_t)mn; k++)
        r.lo += v[k].lo;
    qsort(v, n, sizeof *v, s_cmp_hi);
    for (size_t k = 0; mx > 0 && k < n && k < (size_t)mx; k++)
        r.hi += v[k].hi;
    free(v);
    return r;
}

typedef struct {
    const s_price_t *c;
    int depth;
    int64_t value, mrp;
} s_default_t;

/* s_default_group - the group's default options and, below each, the
 * defaults of the groups it opens */
static int s_default_group(const char *g, void *arg)
{
    s_default_t *d = arg;
    size_t i;
    json_t *o;
    if (d->depth > S_PRICE_DEPTH)
        return 0;
    json_array_foreach(json_object_get(d->c->groups, g), i, o)
    {
        const char *def = tags_lookup(json_object_get(o, "tags"), "parent", "default");
        if (!def || strcmp(def, "yes") != 0)
            continue;
        d->value += s_paise(o, "value");
        d->mrp += s_paise(o, "maximum_value");
        d->depth++;
        customize_each_group(o, s_default_group, d);
        d->depth--;
    }
    return 0;
}

static json_t *s_pair(const char *k1, int64_t v1, const char *k2, int64_t v2, const char *code)
{
    char a[32], b[32];
    money_format(v1, a, sizeof a);
    money_format(v2, b, sizeof b);
    return json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s}]}", "code", code, "list", "code", k1, "value",
                     a, "code", k2, "value", b);
}

static int s_has_group(const char *group, void *arg)
{
    (void)group;
    (void)arg;
    return 1;
}

int customize_price_tags(json_t *prov)
{
    json_t *items = json_object_get(prov, "items");
    int has = 0;
    size_t i;
    json_t *c, *it;
    json_array_foreach(json_object_get(prov, "categories"), i, c)
    {
        const char *t = s_type(c);
        has |= t && strcmp(t, "custom_group") == 0;
    }
    if (!has)
        return 0;
    s_price_t pc = {prov, json_object()};
    /* the options of each group, as a buyer app sees them (not disabled) */
    json_array_foreach(items, i, it)
    {
        const char *g = customize_group_of(it);
        if (!g || json_is_false(json_object_get(it, "enabled")))
            continue;
        json_t *a = json_object_get(pc.groups, g);
        if (!a) {
            a = json_array();
            json_object_set_new(pc.groups, g, a);
        }
        json_array_append(a, it);
    }
    int changed = 0;
    json_array_foreach(items, i, it)
    {
        json_t *price = json_object_get(it, "price");
        if (customize_is_option(it) || !json_is_object(price) ||
            !customize_each_group(it, s_has_group, NULL))
            continue;
        int64_t base = s_paise(it, "value");
        s_child_t k = {&pc, 0, {base, base}};
        customize_each_group(it, s_child_span, &k);
        s_default_t d = {&pc, 0, base, s_paise(it, "maximum_value")};
        customize_each_group(it, s_default_group, &d);
        /* ONDC's order: range first, default_selection second (the
         * validator reads them by position); other price tags after */
        json_t *tags = json_array();
        json_array_append_new(tags, s_pair("lower", k.sum.lo, "upper", k.sum.hi, "range"));
        json_array_append_new(tags, s_pair("value", d.value, "maximum_value", d.mrp,
                                           "default_selection"));
        size_t j;
        json_t *t;
        json_array_foreach(json_object_get(price, "tags"), j, t)
        {
            const char *code = tags_code(t);
            if (!code || (strcmp(code, "range") != 0 && strcmp(code, "default_selection") != 0))
                json_array_append(tags, t);
        }
        if (json_equal(tags, json_object_get(price, "tags"))) {
            json_decref(tags);
            continue;
        }
        json_object_set_new(price, "tags", tags);
        changed++;
    }
    json_decref(pc.groups);
    return changed;
}

typedef struct {
    json_t *items;
} s_collect_t;

static int s_collect(const char *pid, json_t *item, void *arg)
{
    (void)pid;
    s_collect_t *k = arg;
    json_array_append_new(k->items, json_deep_copy(item));
    return 0;
}

int customize_refresh(store_t *s, MDB_txn *txn, const char *pid)
{
    json_t *prov = catalog_provider(s, txn, pid);
    if (!prov)
        return 0;
    int has = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(prov, "categories"), i, c)
    {
        const char *t = s_type(c);
        has |= t && strcmp(t, "custom_group") == 0;
    }
    if (!has) {
        json_decref(prov);
        return 0;
    }
    s_collect_t k = {json_array()};
    int rc = catalog_each_item(s, txn, pid, s_collect, &k) < 0 ? -1 : 0;
    json_t *was = json_deep_copy(k.items);
    json_object_set(prov, "items", k.items);
    if (rc == 0 && customize_price_tags(prov) > 0) {
        json_t *it;
        json_array_foreach(k.items, i, it)
        {
            if (!json_equal(json_object_get(it, "price"),
                            json_object_get(json_array_get(was, i), "price")))
                rc |= catalog_put_item(s, txn, pid, it);
        }
    }
    json_decref(was);
    json_decref(k.items);
    json_decref(prov);
    return rc ? -1 : 0;
}
