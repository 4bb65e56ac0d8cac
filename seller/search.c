/*
 * search.c - search intents against the catalog. See search.h.
 */
#include "search.h"

#include "hash.h"

#include "catalog.h"
#include "catalog_render.h"
#include "catalog_rules.h"
#include "jdump.h"
#include "jparse.h"
#include "customize.h"
#include "money.h"
#include "tags.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

double search_distance_km(double lat1, double lng1, double lat2, double lng2)
{
    const double r = 6371.0088, rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlng = (lng2 - lng1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlng / 2) * sin(dlng / 2);
    return 2 * r * atan2(sqrt(a), sqrt(1 - a));
}

/* ---- the intent ---- */

typedef struct {
    char (*out)[64];
    int *n;
} s_tok_t;

static int s_add_token(const char *tok, void *arg)
{
    s_tok_t *t = arg;
    if (*t->n >= SEARCH_TOKENS_MAX)
        return 1;
    snprintf(t->out[*t->n], 64, "%s", tok);
    (*t->n)++;
    return 0;
}

static int s_copy(char *dst, size_t cap, json_t *v, const char *path, ondc_err_t *err)
{
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, path,
                       "%s: must be a string shorter than %zu", path, cap);
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int search_parse(json_t *ctx, json_t *message, search_intent_t *q, ondc_err_t *err)
{
    memset(q, 0, sizeof *q);
    const char *city = json_string_value(json_object_get(ctx, "city"));
    snprintf(q->city, sizeof q->city, "%s", city ? city : "*");
    const char *domain = json_string_value(json_object_get(ctx, "domain"));
    snprintf(q->domain, sizeof q->domain, "%s", domain ? domain : "");
    const char *cv = json_string_value(json_object_get(ctx, "core_version"));
    snprintf(q->core_version, sizeof q->core_version, "%s", cv ? cv : "");
    json_t *intent = json_object_get(message, "intent");
    if (!intent)
        return 0;
    if (!json_is_object(intent))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "message.intent",
                       "message.intent must be an object");
    json_t *name = json_object_get(json_object_get(json_object_get(intent, "item"), "descriptor"),
                                   "name");
    if (name && !json_is_string(name))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST,
                       "message.intent.item.descriptor.name", "the item name must be a string");
    s_tok_t t = {q->tokens, &q->ntokens};
    catalog_tokens(json_string_value(name), s_add_token, &t);
    json_t *cat = json_object_get(intent, "category");
    if (s_copy(q->category, sizeof q->category, json_object_get(cat, "id"),
               "message.intent.category.id", err) < 0)
        return -1;
    json_t *prov = json_object_get(intent, "provider");
    json_t *pid = json_object_get(prov, "id");
    if (json_is_integer(pid))
        snprintf(q->provider_id, sizeof q->provider_id, "%lld", (long long)json_integer_value(pid));
    else if (s_copy(q->provider_id, sizeof q->provider_id, pid, "message.intent.provider.id",
                    err) < 0)
        return -1;
    json_t *pname = json_object_get(json_object_get(prov, "descriptor"), "name");
    if (pname && !json_is_string(pname))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST,
                       "message.intent.provider.descriptor.name",
                       "the provider name must be a string");
    s_tok_t pt = {q->ptokens, &q->nptokens};
    catalog_tokens(json_string_value(pname), s_add_token, &pt);
    json_t *ful = json_object_get(intent, "fulfillment");
    if (s_copy(q->fulfillment_type, sizeof q->fulfillment_type, json_object_get(ful, "type"),
               "message.intent.fulfillment.type", err) < 0)
        return -1;
    json_t *loc = json_object_get(json_object_get(ful, "end"), "location");
    json_t *gps = json_object_get(loc, "gps");
    if (gps) {
        if (catalog_parse_gps(json_string_value(gps), &q->lat, &q->lng) < 0)
            return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST,
                           "message.intent.fulfillment.end.location.gps",
                           "gps must be \"latitude,longitude\"");
        q->has_gps = 1;
    }
    json_t *addr = json_object_get(loc, "address");
    json_t *area = json_object_get(addr, "area_code");
    if (!area)
        area = json_object_get(addr, "pincode"); /* some 1.0.0 buyer apps */
    if (s_copy(q->area_code, sizeof q->area_code, area,
               "message.intent.fulfillment.end.location.address.area_code", err) < 0)
        return -1;
    if (s_copy(q->payment_type, sizeof q->payment_type,
               json_object_get(json_object_get(intent, "payment"), "type"),
               "message.intent.payment.type", err) < 0)
        return -1;
    return 0;
}

/* ---- matching ---- */

/* s_name_match - every query token is a token of NAME; the last one may be
 * a prefix of one. */
typedef struct {
    const char (*q)[64];
    int nq;
    unsigned matched; /* bit per query token */
} s_nm_t;

static int s_nm_cb(const char *tok, void *arg)
{
    s_nm_t *m = arg;
    for (int i = 0; i < m->nq; i++) {
        if (m->matched & (1u << i))
            continue;
        if (i == m->nq - 1 ? strncmp(tok, m->q[i], strlen(m->q[i])) == 0
                           : strcmp(tok, m->q[i]) == 0) {
            m->matched |= 1u << i;
            break;
        }
    }
    return 0;
}

static int s_name_match(const char *name, const char (*q)[64], int nq)
{
    if (nq == 0)
        return 1;
    s_nm_t m = {q, nq, 0};
    catalog_tokens(name, s_nm_cb, &m);
    return m.matched == (1u << nq) - 1;
}

static int s_type_ok(const char *have, const char *want)
{
    if (!want[0])
        return 1;
    if (!have)
        return 0;
    if (strcasecmp(have, want) == 0)
        return 1;
    /* "Delivery and Self-Pickup" offers both */
    return strcasecmp(have, "Delivery and Self-Pickup") == 0 &&
           (strcasecmp(want, "Delivery") == 0 || strcasecmp(want, "Self-Pickup") == 0);
}

/* s_serviceability - the provider's serviceability tag for location LID:
 * type "10" (radius, km), "11" (pincodes), "12" (all of India); NULL if none. */
static json_t *s_serviceability(json_t *prov, const char *lid)
{
    size_t gi = 0;
    json_t *tag;
    while ((tag = tags_next(json_object_get(prov, "tags"), "serviceability", &gi)) != NULL) {
        json_t *list = tags_list(tag), *e;
        size_t ei = 0;
        while ((e = tags_next(list, "location", &ei)) != NULL) {
            const char *v = json_string_value(json_object_get(e, "value"));
            if (v && strcmp(v, lid) == 0)
                return list;
        }
    }
    return NULL;
}

/* s_pincode_in - whether AREA is in VAL: "560001,560002-560010". */
static int s_pincode_in(const char *val, const char *area)
{
    long a = strtol(area, NULL, 10);
    if (a <= 0)
        return 0;
    const char *p = val;
    while (*p) {
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (end == p)
            return 0;
        p = end;
        while (*p == ' ')
            p++;
        if (*p == '-') {
            hi = strtol(p + 1, &end, 10);
            p = end;
        }
        if (a >= lo && a <= hi)
            return 1;
        while (*p == ' ' || *p == ',')
            p++;
    }
    return 0;
}

/* s_location_serves - whether location LOC of PROV delivers to Q's end. */
static int s_location_serves(json_t *prov, json_t *loc, const search_intent_t *q)
{
    const char *lid = json_string_value(json_object_get(loc, "id"));
    json_t *svc = lid ? s_serviceability(prov, lid) : NULL;
    const char *type = tags_value(svc, "type");
    if (type && strcmp(type, "12") == 0)
        return 1;
    if (type && strcmp(type, "11") == 0) {
        const char *val = tags_value(svc, "val");
        return q->area_code[0] && val && s_pincode_in(val, q->area_code);
    }
    if (q->has_gps) {
        double lat, lng, km = -1;
        json_t *circle = json_object_get(loc, "circle");
        const char *g = json_string_value(json_object_get(circle, "gps"));
        if (!g)
            g = json_string_value(json_object_get(loc, "gps"));
        int64_t r;
        if (money_parse_json(json_object_get(json_object_get(circle, "radius"), "value"), &r) == 0 ||
            (type && strcmp(type, "10") == 0 && money_parse(tags_value(svc, "val"), &r) == 0))
            km = (double)r / 100.0; /* the circle's radius, else the tag's km */
        if (!g || catalog_parse_gps(g, &lat, &lng) < 0 || km < 0)
            return 0;
        return search_distance_km(lat, lng, q->lat, q->lng) <= km;
    }
    /* an area code alone: the location's own area */
    const char *own = json_string_value(json_object_get(json_object_get(loc, "address"), "area_code"));
    return own && strcmp(own, q->area_code) == 0;
}

#define LOCS_MAX 64

/* an item shown: its text in the provider's TEXT, its category (for the
 * serviceability tags of the page it lands on) */
typedef struct {
    size_t off, len;
    char cat[64];
} s_shown_t;

typedef struct {
    json_t *prov;    /* stored provider (owned) */
    json_t *matched; /* items matched through an index, parsed (owned
                      * array; for s_pull) */
    jdump_t text;    /* the on_search text of the items shown, one after
                      * another (catalog_render.h) */
    s_shown_t *shown;
    size_t nshown, shown_cap;
    char served[LOCS_MAX][160];
    int nserved; /* -1: every location (no end location asked) */
} s_prov_t;

typedef struct {
    store_t *s;
    MDB_txn *txn;
    const search_intent_t *q;
    s_prov_t *provs;
    size_t nprovs, cap;
    search_stats_t *st;
    int failed;
    /* items already considered (a prefix walk meets an item once per
     * matching token): open addressing on 64-bit hashes */
    uint64_t *seen;
    size_t nseen, seen_cap;
    int indexed; /* items found through an index, not a provider's walk */
    int pulling; /* s_pull at work: variants and options of shown items */
    json_t *groups; /* s_pull's queue: group ids still to read */
    json_t *shown;  /* s_pull: ids of the provider's items shown or tried */
    const char *pull_pid;
} s_run_t;

/* The text buffers of a search (each provider's items, the page being
 * made) are kept from one search to the next, up to POOL_KEEP bytes of
 * them: a city-wide search writes megabytes, and memory the process has
 * not touched before costs a page fault per 4 kB, more than the copy
 * itself. Not thread-safe (one search at a time per process). */
#define POOL_SLOTS 32
#define POOL_KEEP ((size_t)64 << 20)
static jdump_t s_pool[POOL_SLOTS];
static size_t s_npool, s_pool_bytes;

/* s_text_take - an empty buffer, with the room of one kept if any */
static jdump_t s_text_take(void)
{
    jdump_t t = {0};
    if (s_npool > 0) {
        t = s_pool[--s_npool];
        s_pool_bytes -= t.cap;
        t.len = 0;
    }
    return t;
}

/* s_text_give - T back to the pool (or freed when the pool is full) */
static void s_text_give(jdump_t *t)
{
    if (t->buf && s_npool < POOL_SLOTS && s_pool_bytes + t->cap <= POOL_KEEP) {
        s_pool[s_npool++] = *t;
        s_pool_bytes += t->cap;
        memset(t, 0, sizeof *t);
        return;
    }
    jdump_free(t);
}

void search_pool_clear(void)
{
    while (s_npool > 0)
        jdump_free(&s_pool[--s_npool]);
    s_pool_bytes = 0;
}

static uint64_t s_hash(const char *a, const char *b)
{
    uint64_t h = hash_pair(a, b);
    return h ? h : 1;
}

/* s_seen - whether (PID, IID) was met before; records it. A 64-bit hash
 * collision would hide an item; at catalog sizes that is ~1e-11. */
static int s_seen(s_run_t *r, const char *pid, const char *iid)
{
    if (r->nseen * 2 >= r->seen_cap) {
        size_t nc = r->seen_cap ? r->seen_cap * 2 : 1024;
        uint64_t *ns = calloc(nc, sizeof *ns);
        if (!ns)
            return 0;
        for (size_t i = 0; i < r->seen_cap; i++)
            if (r->seen[i])
                for (size_t j = r->seen[i] & (nc - 1);; j = (j + 1) & (nc - 1))
                    if (!ns[j]) {
                        ns[j] = r->seen[i];
                        break;
                    }
        free(r->seen);
        r->seen = ns;
        r->seen_cap = nc;
    }
    uint64_t h = s_hash(pid, iid);
    for (size_t j = h & (r->seen_cap - 1);; j = (j + 1) & (r->seen_cap - 1)) {
        if (r->seen[j] == h)
            return 1;
        if (!r->seen[j]) {
            r->seen[j] = h;
            r->nseen++;
            return 0;
        }
    }
}

static int s_city_ok(json_t *prov, const char *city)
{
    if (strcmp(city, "*") == 0)
        return 1;
    size_t i;
    json_t *loc;
    int any = 0;
    json_array_foreach(json_object_get(prov, "locations"), i, loc)
    {
        const char *cc = json_string_value(json_object_get(loc, "city_code"));
        if (!cc)
            continue;
        any = 1;
        if (strcmp(cc, city) == 0 || strcmp(cc, "*") == 0)
            return 1;
    }
    return !any; /* no city codes: the node's cities (checked at ingress) */
}

static int s_provider_cb(json_t *prov, void *arg)
{
    s_run_t *r = arg;
    const search_intent_t *q = r->q;
    r->st->providers_read++;
    const char *pid = json_string_value(json_object_get(prov, "id"));
    if (!pid || json_is_false(json_object_get(prov, "enabled")))
        return 0;
    const char *label =
        json_string_value(json_object_get(json_object_get(prov, "time"), "label"));
    if (label && strcmp(label, "disable") == 0)
        return 0;
    if (q->provider_id[0] && strcmp(q->provider_id, pid) != 0)
        return 0;
    if (q->domain[0] && strcmp(q->domain, "nic2004:52110") != 0 &&
        strcmp(catalog_provider_domain(prov), q->domain) != 0)
        return 0; /* a retail search sees the providers of its domain */
    if (!s_name_match(json_string_value(json_object_get(json_object_get(prov, "descriptor"), "name")),
                      (const char(*)[64])q->ptokens, q->nptokens))
        return 0;
    if (!s_city_ok(prov, q->city))
        return 0;
    if (q->fulfillment_type[0]) {
        size_t i;
        json_t *f;
        int ok = 0;
        json_array_foreach(json_object_get(prov, "fulfillments"), i, f)
            ok |= s_type_ok(json_string_value(json_object_get(f, "type")), q->fulfillment_type);
        if (!ok)
            return 0;
    }
    if (q->payment_type[0]) {
        json_t *types = json_object_get(json_object_get(json_object_get(prov, "seller"), "payment"),
                                        "types");
        int ok = 0;
        if (json_is_array(types)) {
            size_t i;
            json_t *t;
            json_array_foreach(types, i, t) ok |=
                json_is_string(t) && strcmp(json_string_value(t), q->payment_type) == 0;
        } else {
            ok = strcmp(q->payment_type, "ON-ORDER") == 0;
        }
        if (!ok)
            return 0;
    }
    s_prov_t p;
    memset(&p, 0, sizeof p);
    p.nserved = -1;
    int pickup = q->fulfillment_type[0] && strcasecmp(q->fulfillment_type, "Self-Pickup") == 0;
    if ((q->has_gps || q->area_code[0]) && !pickup) {
        p.nserved = 0;
        size_t i;
        json_t *loc;
        json_array_foreach(json_object_get(prov, "locations"), i, loc)
        {
            const char *lid = json_string_value(json_object_get(loc, "id"));
            if (lid && p.nserved < LOCS_MAX && s_location_serves(prov, loc, q))
                snprintf(p.served[p.nserved++], 160, "%s", lid);
        }
        if (p.nserved == 0)
            return 0;
    }
    if (r->nprovs == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 16;
        s_prov_t *np = realloc(r->provs, nc * sizeof *np);
        if (!np) {
            r->failed = 1;
            return 1;
        }
        r->provs = np;
        r->cap = nc;
    }
    p.prov = json_incref(prov);
    p.matched = json_array();
    p.text = s_text_take();
    r->provs[r->nprovs++] = p;
    return 0;
}

static s_prov_t *s_find_prov(s_run_t *r, const char *pid)
{
    for (size_t i = 0; i < r->nprovs; i++)
        if (strcmp(json_string_value(json_object_get(r->provs[i].prov, "id")), pid) == 0)
            return &r->provs[i];
    return NULL;
}

json_t *search_item_out(store_t *s, MDB_txn *txn, const char *pid, json_t *item)
{
    const char *iid = json_string_value(json_object_get(item, "id"));
    int64_t stock = 0;
    if (iid)
        catalog_stock(s, txn, pid, iid, &stock);
    json_t *out = json_copy(item);
    json_object_del(out, "enabled");
    json_t *qty = json_object_get(out, "quantity");
    qty = json_is_object(qty) ? json_copy(qty) : json_object();
    json_object_set_new(out, "quantity", qty);
    /* retail 1.2.0: available is "99" in stock, "0" out of stock */
    json_object_set_new(qty, "available", json_pack("{s:s}", "count", stock > 0 ? "99" : "0"));
    int64_t max = catalog_item_max(item);
    char mbuf[24];
    snprintf(mbuf, sizeof mbuf, "%lld", (long long)(max < 0 || max > 99 ? 99 : max));
    json_object_set_new(qty, "maximum", json_pack("{s:s}", "count", mbuf));
    return out;
}

/* s_shown_add - a new entry for an item of P about to be written to its
 * text; NULL when out of memory */
static s_shown_t *s_shown_add(s_run_t *r, s_prov_t *p, const char *cat)
{
    if (p->nshown == p->shown_cap) {
        size_t nc = p->shown_cap ? p->shown_cap * 2 : 64;
        s_shown_t *ns = realloc(p->shown, nc * sizeof *ns);
        if (!ns) {
            r->failed = 1;
            return NULL;
        }
        p->shown = ns;
        p->shown_cap = nc;
    }
    s_shown_t *sh = &p->shown[p->nshown++];
    sh->off = p->text.len;
    sh->len = 0;
    snprintf(sh->cat, sizeof sh->cat, "%s", cat ? cat : "");
    return sh;
}

/* s_consider - the item ITEM of provider P: keep its on_search text when
 * it matches every part of the intent. */
static void s_consider(s_run_t *r, s_prov_t *p, json_t *item)
{
    const search_intent_t *q = r->q;
    r->st->items_read++;
    if (json_is_false(json_object_get(item, "enabled")))
        return;
    const char *label =
        json_string_value(json_object_get(json_object_get(item, "time"), "label"));
    if (label && strcmp(label, "disable") == 0)
        return;
    if (r->indexed && !r->pulling && customize_is_option(item))
        return; /* shown with its item, never alone */
    if (r->pulling) {
        /* a variant or an option of an item the search shows: no name or
         * category of its own to match */
    } else if (q->category[0]) {
        const char *cat = json_string_value(json_object_get(item, "category_id"));
        if (!cat || strcmp(cat, q->category) != 0)
            return;
    }
    if (!r->pulling &&
        !s_name_match(json_string_value(json_object_get(json_object_get(item, "descriptor"), "name")),
                      (const char(*)[64])q->tokens, q->ntokens))
        return;
    if (p->nserved >= 0) {
        const char *lid = json_string_value(json_object_get(item, "location_id"));
        int ok = !lid; /* an item without a location ships from any */
        for (int i = 0; lid && i < p->nserved && !ok; i++)
            ok = strcmp(p->served[i], lid) == 0;
        if (!ok)
            return;
    }
    if (q->payment_type[0] && strcmp(q->payment_type, "ON-FULFILLMENT") == 0 &&
        !json_is_true(json_object_get(item, "@ondc/org/available_on_cod")))
        return;
    const char *pid = json_string_value(json_object_get(p->prov, "id"));
    const char *iid = json_string_value(json_object_get(item, "id"));
    catalog_render_t cr;
    int64_t stock = 0;
    if (iid)
        catalog_stock(r->s, r->txn, pid, iid, &stock);
    if (!s_shown_add(r, p, json_string_value(json_object_get(item, "category_id"))))
        return;
    s_shown_t *sh = &p->shown[p->nshown - 1];
    int rc;
    if (iid && catalog_render_get(r->s, r->txn, pid, iid, &cr) == 0) {
        rc = catalog_render_item(&cr, stock, &p->text);
    } else {
        /* an item written before its text was kept */
        json_t *out = search_item_out(r->s, r->txn, pid, item);
        rc = jdump_append(&p->text, out);
        json_decref(out);
    }
    if (rc < 0) {
        r->failed = 1;
        p->nshown--;
        return;
    }
    sh->len = p->text.len - sh->off;
    if (r->indexed)
        json_array_append(p->matched, item);
    r->st->items_matched++;
}

static int s_ref_cb(const char *pid, const char *iid, void *arg)
{
    s_run_t *r = arg;
    s_prov_t *p = s_find_prov(r, pid);
    if (!p || s_seen(r, pid, iid))
        return 0;
    json_t *item = catalog_item(r->s, r->txn, pid, iid);
    if (item)
        s_consider(r, p, item);
    json_decref(item);
    return 0;
}

/* s_provider_out - the provider as on_search shows it, without items. */
static json_t *s_provider_out(json_t *prov)
{
    json_t *out = json_copy(prov);
    json_object_del(out, "seller");
    json_object_del(out, "enabled");
    json_t *locs = json_object_get(prov, "locations");
    if (json_is_array(locs)) {
        json_t *nl = json_array();
        size_t i;
        json_t *loc;
        json_array_foreach(locs, i, loc)
        {
            json_t *c = json_copy(loc);
            json_object_del(c, "city_code");
            json_array_append_new(nl, c);
        }
        json_object_set_new(out, "locations", nl);
    }
    return out;
}

/* s_fit_tags - PROV (a page's copy) keeps the serviceability tags of the
 * categories its items on the page name (SH[0..N)): ONDC counts one per
 * category shown */
static void s_fit_tags(json_t *prov, const s_shown_t *sh, size_t n)
{
    json_t *tags = json_object_get(prov, "tags");
    if (!json_is_array(tags))
        return;
    for (size_t i = json_array_size(tags); i-- > 0;) {
        json_t *tg = json_array_get(tags, i);
        const char *code = tags_code(tg);
        if (!code || strcmp(code, "serviceability") != 0)
            continue;
        const char *cat = tags_value(tags_list(tg), "category");
        int used = 0;
        for (size_t j = 0; j < n && !used && cat; j++)
            used = strcmp(sh[j].cat, cat) == 0;
        if (!used)
            json_array_remove(tags, i);
    }
}

/* s_page_open - a page's text up to its providers' "[" into PAGE */
static int s_page_open(jdump_t *page, json_t *bpp)
{
    json_t *cat = json_object();
    json_t *d = json_object_get(bpp, "descriptor");
    json_t *f = json_object_get(bpp, "fulfillments");
    if (d)
        json_object_set(cat, "bpp/descriptor", d);
    if (f)
        json_object_set(cat, "bpp/fulfillments", f);
    json_object_set_new(cat, "bpp/providers", json_array());
    json_t *msg = json_pack("{s:o}", "catalog", cat);
    page->len = 0;
    int rc = jdump_append(page, msg);
    json_decref(msg);
    if (rc < 0 || page->len < 4)
        return -1;
    page->len -= 3; /* "]}}" */
    return 0;
}

/* s_page_close - the page's end, and the page as a message into PAGES */
static int s_page_close(jdump_t *page, json_t *pages)
{
    if (jdump_bytes(page, "]}}", 3) < 0)
        return -1;
    json_t *raw = jdump_raw(page->buf, page->len);
    if (!raw)
        return -1;
    json_array_append_new(pages, raw);
    return 0;
}

/* s_provider_text - provider copy POUT with SH[0..N) as its items,
 * appended to PAGE (after a comma unless FIRST) */
static int s_provider_text(jdump_t *page, int first, json_t *pout, const s_prov_t *p, size_t from,
                           size_t n)
{
    json_t *copy = json_copy(pout);
    s_fit_tags(copy, p->shown + from, n);
    size_t at = page->len;
    if (!first && jdump_bytes(page, ",", 1) < 0)
        goto fail;
    if (jdump_append(page, copy) < 0 || page->len < at + 2)
        goto fail;
    page->len--; /* its "}" */
    if (jdump_bytes(page, page->buf[page->len - 1] == '{' ? "\"items\":[" : ",\"items\":[", 
               page->buf[page->len - 1] == '{' ? 9 : 10) < 0)
        goto fail;
    for (size_t k = from; k < from + n; k++)
        if ((k > from && jdump_bytes(page, ",", 1) < 0) ||
            jdump_bytes(page, p->text.buf + p->shown[k].off, p->shown[k].len) < 0)
            goto fail;
    if (jdump_bytes(page, "]}", 2) < 0)
        goto fail;
    json_decref(copy);
    return 0;
fail:
    json_decref(copy);
    return -1;
}

static int s_queue_group(const char *group, void *arg)
{
    s_run_t *r = arg;
    json_t *done = json_object_get(r->groups, group);
    if (!done)
        json_object_set_new(r->groups, group, json_false());
    return 0;
}

static int s_pull_cb(const char *pid, const char *iid, void *arg)
{
    s_run_t *r = arg;
    if (strcmp(pid, r->pull_pid) != 0 || json_object_get(r->shown, iid))
        return 0;
    json_object_set_new(r->shown, iid, json_true());
    s_prov_t *p = s_find_prov(r, pid);
    json_t *item = catalog_item(r->s, r->txn, pid, iid);
    if (p && item) {
        size_t before = p->nshown;
        s_consider(r, p, item);
        if (p->nshown > before)
            customize_each_group(item, s_queue_group, r);
    }
    json_decref(item);
    return 0;
}

/* s_pull - the other variants and the options of the items an indexed
 * search matched, provider by provider */
static void s_pull(s_run_t *r)
{
    r->pulling = 1;
    for (size_t i = 0; i < r->nprovs; i++) {
        s_prov_t *p = &r->provs[i];
        if (json_array_size(p->matched) == 0)
            continue;
        r->pull_pid = json_string_value(json_object_get(p->prov, "id"));
        r->groups = json_object(); /* group -> read yet */
        r->shown = json_object();
        size_t k;
        json_t *it;
        json_array_foreach(p->matched, k, it)
        {
            const char *iid = json_string_value(json_object_get(it, "id"));
            if (iid)
                json_object_set_new(r->shown, iid, json_true());
            const char *parent = json_string_value(json_object_get(it, "parent_item_id"));
            if (parent)
                s_queue_group(parent, r);
            customize_each_group(it, s_queue_group, r);
        }
        for (int more = 1; more;) {
            more = 0;
            const char *g;
            json_t *done;
            void *tmp;
            json_object_foreach_safe(r->groups, tmp, g, done)
            {
                if (json_is_true(done))
                    continue;
                json_object_set_new(r->groups, g, json_true());
                catalog_each_indexed(r->s, r->txn, "g", g, 0, s_pull_cb, r);
                more = 1;
                break; /* the set may have grown: walk it again */
            }
        }
        json_decref(r->groups);
        json_decref(r->shown);
        r->groups = r->shown = NULL;
    }
    r->pulling = 0;
}

/* s_walk - every item of provider P: from the on_search texts kept beside
 * the items (catalog_render.h), read in step with the items; an item
 * without one (disabled, or written before texts were kept) is parsed
 * and considered */
static void s_walk(s_run_t *r, s_prov_t *p)
{
    const search_intent_t *q = r->q;
    const char *pid = json_string_value(json_object_get(p->prov, "id"));
    char ip[300], sp[300], iid[200];
    int il = snprintf(ip, sizeof ip, "i/%s/", pid), sl = snprintf(sp, sizeof sp, "s/%s/", pid);
    MDB_cursor *ci = NULL, *cs = NULL;
    if (il < 0 || (size_t)il >= sizeof ip || sl < 0 || (size_t)sl >= sizeof sp ||
        mdb_cursor_open(r->txn, r->s->dbi[DB_CATALOG], &ci) ||
        mdb_cursor_open(r->txn, r->s->dbi[DB_CATALOG], &cs)) {
        if (ci)
            mdb_cursor_close(ci);
        r->failed = 1;
        return;
    }
    int cod_only = q->payment_type[0] && strcmp(q->payment_type, "ON-FULFILLMENT") == 0;
    MDB_val ik = {(size_t)il, ip}, id, sk = {(size_t)sl, sp}, sd;
    int sok = mdb_cursor_get(cs, &sk, &sd, MDB_SET_RANGE) == 0 && sk.mv_size >= (size_t)sl &&
              memcmp(sk.mv_data, sp, (size_t)sl) == 0;
    for (int rc = mdb_cursor_get(ci, &ik, &id, MDB_SET_RANGE); rc == 0 && !r->failed;
         rc = mdb_cursor_get(ci, &ik, &id, MDB_NEXT)) {
        if (ik.mv_size < (size_t)il || memcmp(ik.mv_data, ip, (size_t)il) != 0)
            break;
        const char *k = (const char *)ik.mv_data + il;
        size_t kl = ik.mv_size - (size_t)il;
        int cmp = 1;
        while (sok) {
            const char *t = (const char *)sk.mv_data + sl;
            size_t tl = sk.mv_size - (size_t)sl;
            /* LMDB's order: bytes, then the shorter first */
            cmp = memcmp(t, k, tl < kl ? tl : kl);
            if (cmp == 0)
                cmp = tl < kl ? -1 : tl > kl;
            if (cmp >= 0)
                break;
            sok = mdb_cursor_get(cs, &sk, &sd, MDB_NEXT) == 0 && sk.mv_size >= (size_t)sl &&
                  memcmp(sk.mv_data, sp, (size_t)sl) == 0;
        }
        catalog_render_t cr;
        if (sok && cmp == 0 && kl < sizeof iid && catalog_render_parse(sd.mv_data, sd.mv_size, &cr) == 0) {
            r->st->items_read++;
            if (p->nserved >= 0 && cr.location_len) {
                int ok = 0;
                for (int i = 0; i < p->nserved && !ok; i++)
                    ok = strlen(p->served[i]) == cr.location_len &&
                         memcmp(p->served[i], cr.location, cr.location_len) == 0;
                if (!ok)
                    continue;
            }
            if (cod_only && !cr.cod)
                continue;
            memcpy(iid, k, kl);
            iid[kl] = '\0';
            int64_t stock = 0;
            catalog_stock(r->s, r->txn, pid, iid, &stock);
            char cat[64];
            snprintf(cat, sizeof cat, "%.*s", (int)cr.category_len, cr.category);
            s_shown_t *sh = s_shown_add(r, p, cat);
            if (!sh)
                break;
            if (catalog_render_item(&cr, stock, &p->text) < 0) {
                r->failed = 1;
                break;
            }
            sh->len = p->text.len - sh->off;
            r->st->items_matched++;
            continue;
        }
        json_t *item = jparse(id.mv_data, id.mv_size, 0, NULL);
        if (item)
            s_consider(r, p, item);
        json_decref(item);
    }
    mdb_cursor_close(ci);
    mdb_cursor_close(cs);
}

static void s_run_free(s_run_t *r)
{
    for (size_t i = 0; i < r->nprovs; i++) {
        json_decref(r->provs[i].prov);
        json_decref(r->provs[i].matched);
        s_text_give(&r->provs[i].text);
        free(r->provs[i].shown);
    }
    free(r->provs);
    free(r->seen);
}

int search_run_raw(store_t *s, MDB_txn *txn, const search_intent_t *q, size_t max_bytes,
                   json_t **pages, search_stats_t *st)
{
    search_stats_t dummy;
    if (!st)
        st = &dummy;
    memset(st, 0, sizeof *st);
    *pages = json_array();
    s_run_t r = {s, txn, q, NULL, 0, 0, st, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL};
    jdump_t page = s_text_take();
    json_t *bpp = NULL;
    catalog_each_provider(s, txn, s_provider_cb, &r);
    if (r.failed)
        goto fail;
    if (r.nprovs > 0) {
        r.indexed = q->ntokens > 0 || q->category[0];
        if (q->ntokens > 0) {
            /* the most selective token: the longest whole one, else the
             * last (a prefix) */
            int best = -1;
            for (int i = 0; i < q->ntokens - 1; i++)
                if (best < 0 || strlen(q->tokens[i]) > strlen(q->tokens[best]))
                    best = i;
            if (best >= 0)
                catalog_each_indexed(s, txn, "t", q->tokens[best], 0, s_ref_cb, &r);
            else
                catalog_each_indexed(s, txn, "t", q->tokens[q->ntokens - 1], 1, s_ref_cb, &r);
        } else if (q->category[0]) {
            catalog_each_indexed(s, txn, "c", q->category, 0, s_ref_cb, &r);
        } else {
            for (size_t i = 0; i < r.nprovs && !r.failed; i++)
                s_walk(&r, &r.provs[i]);
        }
        if (r.indexed)
            s_pull(&r);
    }
    if (r.failed)
        goto fail;
    bpp = catalog_bpp(s, txn);
    int open = 0, first = 1;
    size_t base = 0;
    for (size_t i = 0; i < r.nprovs; i++) {
        s_prov_t *p = &r.provs[i];
        size_t n = p->nshown;
        if (n == 0)
            continue;
        json_t *pout = s_provider_out(p->prov);
        if (strcmp(q->core_version, "1.2.5") != 0)
            json_object_del(pout, "offers"); /* offers are retail 1.2.5's */
        jdump_t pt = {0};
        if (jdump_append(&pt, pout) < 0) {
            json_decref(pout);
            goto fail;
        }
        size_t pbytes = pt.len + 16;
        jdump_free(&pt);
        size_t k = 0;
        while (k < n) {
            if (!open) {
                if (s_page_open(&page, bpp) < 0) {
                    json_decref(pout);
                    goto fail;
                }
                open = 1;
                first = 1;
                base = page.len;
            }
            /* this provider (again) on this page, with as many items as fit */
            size_t from = k, used = pbytes;
            while (k < n) {
                size_t ib = p->shown[k].len + 1;
                if (k > from && page.len + used + ib > max_bytes)
                    break;
                if (k == from && page.len > base && page.len + used + ib > max_bytes)
                    break; /* not even one more item: a fresh page */
                used += ib;
                k++;
            }
            if (k > from) {
                if (s_provider_text(&page, first, pout, p, from, k - from) < 0) {
                    json_decref(pout);
                    goto fail;
                }
                first = 0;
            }
            if (k < n || page.len >= max_bytes) {
                if (s_page_close(&page, *pages) < 0) {
                    json_decref(pout);
                    goto fail;
                }
                open = 0;
            }
        }
        json_decref(pout);
    }
    if (open && s_page_close(&page, *pages) < 0)
        goto fail;
    json_decref(bpp);
    s_text_give(&page);
    st->pages = json_array_size(*pages);
    s_run_free(&r);
    return 0;
fail:
    json_decref(bpp);
    s_text_give(&page);
    s_run_free(&r);
    json_decref(*pages);
    *pages = NULL;
    return -1;
}

int search_run(store_t *s, MDB_txn *txn, const search_intent_t *q, size_t max_bytes,
               json_t **pages, search_stats_t *st)
{
    json_t *raw;
    if (search_run_raw(s, txn, q, max_bytes, &raw, st) < 0)
        return -1;
    *pages = json_array();
    size_t i;
    json_t *pg;
    json_array_foreach(raw, i, pg)
    {
        size_t len = 0;
        const char *text = jdump_raw_text(pg, &len);
        json_t *v = text ? jparse(text, len, 0, NULL) : NULL;
        if (!v) {
            json_decref(raw);
            json_decref(*pages);
            *pages = NULL;
            return -1;
        }
        json_array_append_new(*pages, v);
    }
    json_decref(raw);
    return 0;
}

int search_provider_serves(json_t *prov, const char *gps, const char *area_code,
                           const char *loc_id)
{
    search_intent_t q;
    memset(&q, 0, sizeof q);
    if (gps && catalog_parse_gps(gps, &q.lat, &q.lng) == 0)
        q.has_gps = 1;
    if (area_code)
        snprintf(q.area_code, sizeof q.area_code, "%s", area_code);
    if (!q.has_gps && !q.area_code[0])
        return 1; /* nothing to check against */
    size_t i;
    json_t *loc;
    json_array_foreach(json_object_get(prov, "locations"), i, loc)
    {
        const char *lid = json_string_value(json_object_get(loc, "id"));
        if (loc_id && loc_id[0] && (!lid || strcmp(loc_id, lid) != 0))
            continue;
        if (s_location_serves(prov, loc, &q))
            return 1;
    }
    return 0;
}
