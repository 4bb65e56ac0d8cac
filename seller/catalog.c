/*
 * catalog.c - catalog import and reads. See catalog.h.
 */
#include "catalog.h"

#include "catalog_inc.h"
#include "catalog_render.h"
#include "catalog_rules.h"
#include "catalog_sync.h"
#include "catalog_variants.h"
#include "customize.h"
#include "offers.h"
#include "clock.h"
#include "context.h"
#include "jarena.h"
#include "jparse.h"
#include "money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t catalog_count(json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        return n < 0 || n > CATALOG_COUNT_MAX ? -1 : (int64_t)n;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!*s || strlen(s) > 10)
            return -1;
        for (const char *c = s; *c; c++)
            if (*c < '0' || *c > '9')
                return -1;
        long long n = strtoll(s, NULL, 10);
        return n > CATALOG_COUNT_MAX ? -1 : (int64_t)n;
    }
    return -1;
}

/* s_amount - a seller's amount: a decimal string ("99.00"), not a JSON
 * number (ONDC amounts are strings; a number's binary value is not the
 * decimal the seller typed). 0 or -1. */
static int s_amount(json_t *v, int64_t *paise)
{
    return json_is_string(v) ? money_parse_json(v, paise) : -1;
}

int catalog_item_price(json_t *item, int64_t *paise)
{
    return money_parse_json(json_object_get(json_object_get(item, "price"), "value"), paise);
}

int64_t catalog_item_max(json_t *item)
{
    json_t *q = json_object_get(item, "quantity");
    json_t *m = json_object_get(json_object_get(q, "maximum"), "count");
    return m ? catalog_count(m) : -1;
}

static int s_id_ok(json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 128)
        return 0;
    for (const char *c = json_string_value(v); *c; c++)
        if (*c == '/' || (unsigned char)*c < 0x20)
            return 0;
    return 1;
}

/* s_ref_ok - a category, fulfillment or location reference: non-empty,
 * no control characters (the index separator is one). */
static int s_ref_ok(json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 128)
        return 0;
    for (const char *c = json_string_value(v); *c; c++)
        if ((unsigned char)*c < 0x20)
            return 0;
    return 1;
}

/* s_listed - whether array ARR (of objects with "id") has an entry with id ID. */
static int s_listed(json_t *arr, json_t *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) if (json_equal(json_object_get(e, "id"), id)) return 1;
    return 0;
}

int catalog_parse_gps(const char *s, double *lat, double *lng)
{
    if (!s)
        return -1;
    char *end;
    double a = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (end == s || *end != ',')
        return -1;
    const char *b = end + 1;
    double o = strtod(b, &end);
    while (*end == ' ')
        end++;
    if (end == b || *end || a < -90 || a > 90 || o < -180 || o > 180)
        return -1;
    *lat = a;
    *lng = o;
    return 0;
}

#define FIELD_ERR(...) err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, path, __VA_ARGS__)

static int s_check_money(json_t *o, const char *key, const char *base, ondc_err_t *err)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    int64_t p;
    char path[160];
    snprintf(path, sizeof path, "%s.%s", base, key);
    if (s_amount(v, &p) < 0 || p < 0)
        return FIELD_ERR("%s: not a non-negative decimal amount as a string (\"23.00\")", path);
    return 0;
}

static int s_validate_seller(json_t *seller, const char *base, ondc_err_t *err)
{
    char path[160];
    snprintf(path, sizeof path, "%s", base);
    if (!seller)
        return 0;
    if (!json_is_object(seller))
        return FIELD_ERR("%s: must be an object", path);
    json_t *ch = json_object_get(seller, "charges");
    if (ch) {
        snprintf(path, sizeof path, "%s.charges", base);
        if (!json_is_object(ch))
            return FIELD_ERR("%s: must be an object", path);
        if (s_check_money(ch, "delivery", path, err) < 0 ||
            s_check_money(ch, "packing", path, err) < 0)
            return -1;
        json_t *tax = json_object_get(ch, "tax_percent");
        int64_t t;
        if (tax && (money_parse_json(tax, &t) < 0 || t < 0 || t > 10000)) {
            snprintf(path, sizeof path, "%s.charges.tax_percent", base);
            return FIELD_ERR("%s: must be a percentage from 0 to 100", path);
        }
    }
    return 0;
}

static int s_validate_item(json_t *it, json_t *prov, const char *base, ondc_err_t *err)
{
    char path[160];
    snprintf(path, sizeof path, "%s", base);
    if (!json_is_object(it))
        return FIELD_ERR("%s: must be an object", path);
    snprintf(path, sizeof path, "%s.id", base);
    if (!s_id_ok(json_object_get(it, "id")))
        return FIELD_ERR("%s: must be a non-empty string without '/'", path);
    snprintf(path, sizeof path, "%s.descriptor.name", base);
    json_t *name = json_object_get(json_object_get(it, "descriptor"), "name");
    if (!json_is_string(name) || json_string_length(name) == 0)
        return FIELD_ERR("%s: is required", path);
    snprintf(path, sizeof path, "%s.price.value", base);
    int64_t p;
    if (s_amount(json_object_get(json_object_get(it, "price"), "value"), &p) < 0 || p < 0)
        return FIELD_ERR("%s: must be a non-negative decimal amount as a string (\"99.00\")", path);
    json_t *q = json_object_get(it, "quantity");
    json_t *avail = json_object_get(json_object_get(q, "available"), "count");
    snprintf(path, sizeof path, "%s.quantity.available.count", base);
    if (avail && catalog_count(avail) < 0)
        return FIELD_ERR("%s: must be a whole number from 0 to 1000000000", path);
    json_t *max = json_object_get(json_object_get(q, "maximum"), "count");
    snprintf(path, sizeof path, "%s.quantity.maximum.count", base);
    if (max && catalog_count(max) < 0)
        return FIELD_ERR("%s: must be a whole number from 0 to 1000000000", path);
    json_t *cur = json_object_get(json_object_get(it, "price"), "currency");
    snprintf(path, sizeof path, "%s.price.currency", base);
    if (cur && (!json_is_string(cur) || strcmp(json_string_value(cur), "INR") != 0))
        return FIELD_ERR("%s: must be \"INR\"", path);
    json_t *cat = json_object_get(it, "category_id");
    snprintf(path, sizeof path, "%s.category_id", base);
    if (cat && !s_ref_ok(cat))
        return FIELD_ERR("%s: must be a non-empty string", path);
    json_t *fid = json_object_get(it, "fulfillment_id");
    snprintf(path, sizeof path, "%s.fulfillment_id", base);
    if (fid && (!s_ref_ok(fid) || (json_is_array(json_object_get(prov, "fulfillments")) &&
                                   !s_listed(json_object_get(prov, "fulfillments"), fid))))
        return FIELD_ERR("%s: must name one of the provider's fulfillments", path);
    json_t *lid = json_object_get(it, "location_id");
    snprintf(path, sizeof path, "%s.location_id", base);
    if (lid && (!s_ref_ok(lid) || !s_listed(json_object_get(prov, "locations"), lid)))
        return FIELD_ERR("%s: must name one of the provider's locations", path);
    static const char *flags[] = {"@ondc/org/returnable", "@ondc/org/cancellable",
                                  "@ondc/org/seller_pickup_return", "@ondc/org/available_on_cod",
                                  "enabled"};
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        json_t *v = json_object_get(it, flags[k]);
        snprintf(path, sizeof path, "%s.%s", base, flags[k]);
        if (v && !json_is_boolean(v))
            return FIELD_ERR("%s: must be true or false", path);
    }
    static const char *durations[] = {"@ondc/org/return_window", "@ondc/org/time_to_ship"};
    for (size_t k = 0; k < sizeof durations / sizeof durations[0]; k++) {
        json_t *v = json_object_get(it, durations[k]);
        snprintf(path, sizeof path, "%s.%s", base, durations[k]);
        if (v && (!json_is_string(v) || context_parse_duration(json_string_value(v)) < 0))
            return FIELD_ERR("%s: must be an ISO 8601 duration (\"PT45M\", \"P7D\")", path);
    }
    return 0;
}

static int s_validate_location(json_t *loc, const char *base, ondc_err_t *err)
{
    char path[160];
    snprintf(path, sizeof path, "%s", base);
    if (!json_is_object(loc))
        return FIELD_ERR("%s: must be an object", path);
    snprintf(path, sizeof path, "%s.id", base);
    if (!s_id_ok(json_object_get(loc, "id")))
        return FIELD_ERR("%s: must be a non-empty string without '/'", path);
    double a, o;
    json_t *gps = json_object_get(loc, "gps");
    snprintf(path, sizeof path, "%s.gps", base);
    if (gps && catalog_parse_gps(json_string_value(gps), &a, &o) < 0)
        return FIELD_ERR("%s: must be \"latitude,longitude\"", path);
    json_t *circle = json_object_get(loc, "circle");
    if (circle) {
        json_t *cg = json_object_get(circle, "gps");
        snprintf(path, sizeof path, "%s.circle.gps", base);
        if (cg && catalog_parse_gps(json_string_value(cg), &a, &o) < 0)
            return FIELD_ERR("%s: must be \"latitude,longitude\"", path);
        json_t *r = json_object_get(json_object_get(circle, "radius"), "value");
        int64_t km;
        snprintf(path, sizeof path, "%s.circle.radius.value", base);
        if (r && (money_parse_json(r, &km) < 0 || km < 0))
            return FIELD_ERR("%s: must be a non-negative number of km", path);
    }
    json_t *cc = json_object_get(loc, "city_code");
    snprintf(path, sizeof path, "%s.city_code", base);
    if (cc && (!json_is_string(cc) || (strncmp(json_string_value(cc), "std:", 4) != 0 &&
                                       strcmp(json_string_value(cc), "*") != 0)))
        return FIELD_ERR("%s: must be a city code (\"std:080\")", path);
    return 0;
}

/* s_validate - catalog_validate; RULES: with ONDC's retail rules too (an
 * import that replaces applies them itself, once, in full) */
/* s_groups_check - the variant groups, customizations and offers of every
 * provider of ROOT; 0, or -1 with ERR naming the field */
static int s_groups_check(json_t *root, ondc_err_t *err)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(root, "bpp/providers"), i, p)
    {
        char base[96];
        snprintf(base, sizeof base, "bpp/providers[%zu]", i);
        if (catalog_variants_check(p, base, err) < 0 || customize_check(p, base, err) < 0 ||
            offers_check(p, base, err) < 0)
            return -1;
    }
    return 0;
}

static int s_validate(json_t *root, int rules, ondc_err_t *err)
{
    char path[160] = "";
    if (!json_is_object(root))
        return FIELD_ERR("catalog must be a JSON object");
    json_t *provs = json_object_get(root, "bpp/providers");
    snprintf(path, sizeof path, "bpp/providers");
    if (!json_is_array(provs))
        return FIELD_ERR("bpp/providers: is required (an array)");
    if (catalog_sync_check(root, err) < 0) /* terms, amounts, stock mode: catalog_sync.h */
        return -1;
    size_t i, j;
    json_t *p, *it;
    json_array_foreach(provs, i, p)
    {
        char base[96];
        snprintf(base, sizeof base, "bpp/providers[%zu]", i);
        snprintf(path, sizeof path, "%s", base);
        if (!json_is_object(p))
            return FIELD_ERR("%s: must be an object", base);
        snprintf(path, sizeof path, "%s.id", base);
        if (!s_id_ok(json_object_get(p, "id")))
            return FIELD_ERR("%s: must be a non-empty string without '/'", path);
        for (size_t k = 0; k < i; k++)
            if (json_equal(json_object_get(json_array_get(provs, k), "id"), json_object_get(p, "id")))
                return FIELD_ERR("%s: duplicate provider id", path);
        snprintf(path, sizeof path, "%s.descriptor.name", base);
        if (!json_is_string(json_object_get(json_object_get(p, "descriptor"), "name")))
            return FIELD_ERR("%s: is required", path);
        json_t *locs = json_object_get(p, "locations");
        snprintf(path, sizeof path, "%s.locations", base);
        if (locs && !json_is_array(locs))
            return FIELD_ERR("%s: must be an array", path);
        json_array_foreach(locs, j, it)
        {
            char lb[128];
            snprintf(lb, sizeof lb, "%s.locations[%zu]", base, j);
            if (s_validate_location(it, lb, err) < 0)
                return -1;
        }
        json_t *fuls = json_object_get(p, "fulfillments");
        snprintf(path, sizeof path, "%s.fulfillments", base);
        if (fuls && !json_is_array(fuls))
            return FIELD_ERR("%s: must be an array", path);
        json_t *items = json_object_get(p, "items");
        snprintf(path, sizeof path, "%s.items", base);
        if (items && !json_is_array(items))
            return FIELD_ERR("%s: must be an array", path);
        json_t *seen = json_object(); /* item ids met so far: a set */
        json_array_foreach(items, j, it)
        {
            char ib[128];
            snprintf(ib, sizeof ib, "%s.items[%zu]", base, j);
            if (s_validate_item(it, p, ib, err) < 0) {
                json_decref(seen);
                return -1;
            }
            const char *iid = json_string_value(json_object_get(it, "id"));
            if (json_object_get(seen, iid)) {
                json_decref(seen);
                snprintf(path, sizeof path, "%s.id", ib);
                return FIELD_ERR("%s: duplicate item id", path);
            }
            json_object_set_new(seen, iid, json_true());
        }
        json_decref(seen);
        char sb[128];
        snprintf(sb, sizeof sb, "%s.seller", base);
        if (s_validate_seller(json_object_get(p, "seller"), sb, err) < 0)
            return -1;
    }
    /* ONDC's mandatory attributes before the groups built on them: a
     * missing or malformed category is named as such, not as the variant
     * or customization that cannot find it. Without RULES the caller
     * applies them, then s_groups_check. */
    if (rules && (catalog_rules_apply(root, 0, clock_wall_ms(), err) < 0 ||
                  s_groups_check(root, err) < 0))
        return -1;
    return 0;
}

int catalog_validate(json_t *root, ondc_err_t *err)
{
    return s_validate(root, 1, err);
}

static int s_put_json(store_t *s, MDB_txn *txn, store_db_t db, const char *key, json_t *v)
{
    size_t n = 0;
    const char *text = jarena_dumpb(v, &n);
    if (!text)
        return -1;
    MDB_val k = {strlen(key), (void *)key}, d = {n, (void *)text};
    int rc = mdb_put(txn, s->dbi[db], &k, &d, 0);
    return rc ? -1 : 0;
}

static json_t *s_get_json(store_t *s, MDB_txn *txn, store_db_t db, const char *key)
{
    MDB_val k = {strlen(key), (void *)key}, d;
    if (mdb_get(txn, s->dbi[db], &k, &d) != 0)
        return NULL;
    return jparse(d.mv_data, d.mv_size, 0, NULL);
}

/* The parse cache of catalog_provider_ro / catalog_item_ro: a small
 * direct-mapped table per process. An entry keeps the stored bytes it was
 * parsed from; a hit is a key whose stored value is byte for byte the same,
 * so a catalog change is never served stale and needs no invalidation. */
#define CACHE_SLOTS 1024
#define CACHE_MAX_VALUE ((size_t)256 * 1024) /* larger values are parsed each time */
typedef struct {
    char *key;
    size_t klen;
    void *raw;
    size_t rlen;
    json_t *v;
} cache_slot_t;
static cache_slot_t s_cache[CACHE_SLOTS];

static void s_cache_drop(cache_slot_t *c)
{
    free(c->key);
    free(c->raw);
    json_decref(c->v);
    memset(c, 0, sizeof *c);
}

void catalog_cache_clear(void)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        s_cache_drop(&s_cache[i]);
}

static json_t *s_get_json_ro(store_t *s, MDB_txn *txn, const char *key)
{
    size_t klen = strlen(key);
    MDB_val k = {klen, (void *)key}, d;
    if (mdb_get(txn, s->dbi[DB_CATALOG], &k, &d) != 0)
        return NULL;
    uint32_t h = 2166136261u; /* FNV-1a of the key */
    for (size_t i = 0; i < klen; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    cache_slot_t *c = &s_cache[h % CACHE_SLOTS];
    if (c->v && c->klen == klen && memcmp(c->key, key, klen) == 0 && c->rlen == d.mv_size &&
        memcmp(c->raw, d.mv_data, d.mv_size) == 0)
        return json_incref(c->v);
    if (d.mv_size > CACHE_MAX_VALUE)
        return jparse(d.mv_data, d.mv_size, 0, NULL);
    /* a cached value outlives the message: made from malloc, not the
     * message's arena (jarena.h) */
    int arena = jarena_pause();
    json_t *v = jparse(d.mv_data, d.mv_size, 0, NULL);
    jarena_resume(arena);
    if (!v)
        return NULL;
    s_cache_drop(c);
    c->key = malloc(klen);
    c->raw = malloc(d.mv_size);
    if (!c->key || !c->raw) {
        s_cache_drop(c);
        return v;
    }
    memcpy(c->key, key, klen);
    c->klen = klen;
    memcpy(c->raw, d.mv_data, d.mv_size);
    c->rlen = d.mv_size;
    c->v = json_incref(v);
    return v;
}

int catalog_tokens(const char *text, catalog_token_fn *fn, void *arg)
{
    char tok[CATALOG_TOKEN_MAX];
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)(text ? text : "");; c++) {
        int word = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c >= 0x80 ||
                   (*c >= 'A' && *c <= 'Z');
        if (word) {
            if (n < sizeof tok - 1)
                tok[n++] = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
            continue;
        }
        if (n) {
            tok[n] = '\0';
            int rc = fn(tok, arg);
            if (rc)
                return rc;
            n = 0;
        }
        if (!*c)
            return 0;
    }
}

typedef struct {
    store_t *s;
    MDB_txn *txn;
    const char *pid, *iid;
    int add;
    int rc;
} s_ix_t;

static void s_ix_key(s_ix_t *x, const char *kind, const char *term, const char *tail1,
                     const char *tail2)
{
    char key[600];
    int kl = tail2 ? snprintf(key, sizeof key, "x/%s/%s\x1f%s\x1f%s", kind, term, tail1, tail2)
                   : snprintf(key, sizeof key, "x/%s/%s\x1f%s", kind, term, tail1);
    if (kl < 0 || (size_t)kl >= sizeof key) {
        x->rc = -1;
        return;
    }
    MDB_val k = {(size_t)kl, key}, d = {0, ""};
    int rc = x->add ? mdb_put(x->txn, x->s->dbi[DB_CATALOG], &k, &d, 0)
                    : mdb_del(x->txn, x->s->dbi[DB_CATALOG], &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
        x->rc = -1;
}

static int s_ix_token(const char *tok, void *arg)
{
    s_ix_t *x = arg;
    s_ix_key(x, "t", tok, x->pid, x->iid);
    return 0;
}

/* s_index - add (ADD) or remove the index entries of ITEM of PID. */
static int s_index(store_t *s, MDB_txn *txn, const char *pid, json_t *item, int add)
{
    const char *iid = json_string_value(json_object_get(item, "id"));
    if (!iid)
        return -1;
    s_ix_t x = {s, txn, pid, iid, add, 0};
    catalog_tokens(json_string_value(json_object_get(json_object_get(item, "descriptor"), "name")),
                   s_ix_token, &x);
    const char *cat = json_string_value(json_object_get(item, "category_id"));
    if (cat)
        s_ix_key(&x, "c", cat, pid, iid);
    /* the group a variant or a customization belongs to: a search that
     * shows an item shows its variants and its options too */
    const char *grp = customize_group_of(item);
    if (!grp)
        grp = json_string_value(json_object_get(item, "parent_item_id"));
    if (grp && *grp)
        s_ix_key(&x, "g", grp, pid, iid);
    s_ix_key(&x, "i", iid, pid, NULL);
    return x.rc;
}

/* s_same_but_time - whether A and B differ in nothing but "time" */
static int s_same_but_time(json_t *a, json_t *b)
{
    if (!a || !b)
        return 0;
    json_t *x = json_copy(a), *y = json_copy(b);
    json_object_del(x, "time");
    json_object_del(y, "time");
    int same = json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return same;
}

/* s_stamp - OBJ.time: label from "enabled" (or kept), timestamp NOW_MS */
static void s_stamp(json_t *obj, int64_t now_ms)
{
    char ts[40];
    context_format_time(now_ms, ts, sizeof ts);
    json_t *en = json_object_get(obj, "enabled");
    const char *label = json_string_value(json_object_get(json_object_get(obj, "time"), "label"));
    if (json_is_boolean(en) || !label)
        label = json_is_false(en) ? "disable" : "enable";
    json_object_set_new(obj, "time", json_pack("{s:s,s:s}", "label", label, "timestamp", ts));
}

int catalog_put_item(store_t *s, MDB_txn *txn, const char *pid, json_t *item)
{
    const char *iid = json_string_value(json_object_get(item, "id"));
    json_t *old = iid ? catalog_item(s, txn, pid, iid) : NULL;
    if (old && s_same_but_time(old, item)) {
        /* nothing a buyer app sees changed: the stored copy stays, with
         * the time of its last change */
        json_t *t = json_object_get(old, "time");
        if (t)
            json_object_set(item, "time", t);
        json_decref(old);
        return 0;
    }
    int64_t now = clock_wall_ms();
    /* a changed item's time is the change's; a new one keeps a time the
     * catalog gives it */
    if (old || !json_object_get(json_object_get(item, "time"), "timestamp"))
        s_stamp(item, now);
    int rc = old ? s_index(s, txn, pid, old, 0) : 0;
    json_decref(old);
    char key[300];
    snprintf(key, sizeof key, "i/%s/%s", pid, iid ? iid : "");
    rc |= s_put_json(s, txn, DB_CATALOG, key, item);
    rc |= catalog_render_put(s, txn, pid, item);
    rc |= s_index(s, txn, pid, item, 1);
    if (iid)
        rc |= catalog_inc_note(s, txn, pid, iid, now);
    return rc ? -1 : 0;
}

/* s_touch - the stock of PID/IID reached 0 or came back: the item's time
 * moves and the change is noted (the item is not otherwise changed) */
static int s_touch(store_t *s, MDB_txn *txn, const char *pid, const char *iid)
{
    json_t *item = catalog_item(s, txn, pid, iid);
    if (!item)
        return 0;
    int64_t now = clock_wall_ms();
    s_stamp(item, now);
    char key[300];
    snprintf(key, sizeof key, "i/%s/%s", pid, iid);
    int rc = s_put_json(s, txn, DB_CATALOG, key, item);
    rc |= catalog_render_put(s, txn, pid, item);
    json_decref(item);
    return rc < 0 ? -1 : catalog_inc_note(s, txn, pid, iid, now);
}

int catalog_item_providers(store_t *s, MDB_txn *txn, const char *iid, char pids[][160], int cap)
{
    char prefix[300];
    int pl = snprintf(prefix, sizeof prefix, "x/i/%s\x1f", iid);
    if (pl < 0 || (size_t)pl >= sizeof prefix)
        return 0;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_CATALOG], &cur))
        return 0;
    MDB_val k = {(size_t)pl, prefix}, d;
    int n = 0;
    for (int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && n < cap;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < (size_t)pl || memcmp(k.mv_data, prefix, (size_t)pl) != 0)
            break;
        size_t tl = k.mv_size - (size_t)pl;
        if (tl >= 160)
            continue;
        memcpy(pids[n], (const char *)k.mv_data + pl, tl);
        pids[n][tl] = '\0';
        n++;
    }
    mdb_cursor_close(cur);
    return n;
}

int catalog_each_indexed(store_t *s, MDB_txn *txn, const char *kind, const char *term, int prefix,
                         catalog_ref_fn *fn, void *arg)
{
    char key[300];
    int kl = snprintf(key, sizeof key, prefix ? "x/%s/%s" : "x/%s/%s\x1f", kind, term);
    if (kl < 0 || (size_t)kl >= sizeof key)
        return -1;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_CATALOG], &cur))
        return -1;
    MDB_val k = {(size_t)kl, key}, d;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < (size_t)kl || memcmp(k.mv_data, key, (size_t)kl) != 0)
            break;
        /* ...\x1f{pid}\x1f{iid}: the last two fields */
        const char *b = k.mv_data, *e = b + k.mv_size, *sep2 = NULL, *sep1 = NULL;
        for (const char *c = e - 1; c >= b + kl - (prefix ? 0 : 1); c--)
            if (*c == '\x1f') {
                if (!sep2)
                    sep2 = c;
                else {
                    sep1 = c;
                    break;
                }
            }
        if (!sep1 || !sep2)
            continue;
        char pid[160], iid[160];
        size_t pl = (size_t)(sep2 - sep1 - 1), il = (size_t)(e - sep2 - 1);
        if (pl >= sizeof pid || il >= sizeof iid)
            continue;
        memcpy(pid, sep1 + 1, pl);
        pid[pl] = '\0';
        memcpy(iid, sep2 + 1, il);
        iid[il] = '\0';
        if (fn(pid, iid, arg))
            break;
    }
    mdb_cursor_close(cur);
    return 0;
}

int catalog_patch_item(store_t *s, MDB_txn *txn, const char *pid, const char *iid, json_t *patch,
                       ondc_err_t *err)
{
    char path[160] = "";
    if (!json_is_object(patch))
        return FIELD_ERR("the body must be a JSON object");
    json_t *item = catalog_item(s, txn, pid, iid);
    if (!item)
        return err_set(err, ERR_TYPE_DOMAIN, 404, ERR_ITEM_NOT_FOUND, "", "item %s/%s not found",
                       pid, iid);
    const char *key;
    json_t *v;
    int64_t stock = -1, delta = 0;
    int has_delta = 0;
    json_object_foreach(patch, key, v)
    {
        snprintf(path, sizeof path, "%s", key);
        if (strcmp(key, "price") == 0) {
            int64_t p;
            json_t *val = json_is_object(v) ? json_object_get(v, "value") : v;
            if (s_amount(val, &p) < 0 || p < 0) {
                json_decref(item);
                return FIELD_ERR("price: must be a non-negative decimal amount as a string (\"99.00\")");
            }
            json_t *price = json_object_get(item, "price");
            if (!json_is_object(price)) {
                price = json_pack("{s:s}", "currency", "INR");
                json_object_set_new(item, "price", price);
            }
            char text[32];
            money_format(p, text, sizeof text);
            json_object_set_new(price, "value", json_string(text));
            int64_t mrp;
            if (money_parse_json(json_object_get(price, "maximum_value"), &mrp) == 0 && mrp < p)
                json_object_set_new(price, "maximum_value", json_string(text));
        } else if (strcmp(key, "stock_delta") == 0) {
            /* units added (or taken, negative) on top of what orders left:
             * an absolute stock would overwrite what a confirm took between
             * the seller's read and this write */
            json_int_t d = json_is_integer(v) ? json_integer_value(v) : CATALOG_COUNT_MAX + 1;
            if (d < -CATALOG_COUNT_MAX || d > CATALOG_COUNT_MAX) {
                json_decref(item);
                return FIELD_ERR("stock_delta: must be a whole number from -1000000000 to 1000000000");
            }
            delta = (int64_t)d;
            has_delta = 1;
        } else if (strcmp(key, "stock") == 0) {
            stock = catalog_count(v);
            if (stock < 0) {
                json_decref(item);
                return FIELD_ERR("stock: must be a whole number from 0 to 1000000000");
            }
        } else if (strcmp(key, "enabled") == 0) {
            if (!json_is_boolean(v)) {
                json_decref(item);
                return FIELD_ERR("enabled: must be true or false");
            }
            json_object_set(item, "enabled", v);
        } else if (strcmp(key, "maximum") == 0) {
            int64_t m = catalog_count(v);
            if (m < 0) {
                json_decref(item);
                return FIELD_ERR("maximum: must be a whole number from 0 to 1000000000");
            }
            json_t *q = json_object_get(item, "quantity");
            if (!json_is_object(q)) {
                q = json_object();
                json_object_set_new(item, "quantity", q);
            }
            char buf[24];
            snprintf(buf, sizeof buf, "%lld", (long long)m);
            json_object_set_new(q, "maximum", json_pack("{s:s}", "count", buf));
        } else {
            json_decref(item);
            return FIELD_ERR("%s: unknown field (price, stock, stock_delta, enabled, maximum)", key);
        }
    }
    if (stock >= 0 && has_delta) {
        json_decref(item);
        return FIELD_ERR("stock_delta: give stock or stock_delta, not both");
    }
    int64_t now = 0;
    if (has_delta && catalog_stock(s, txn, pid, iid, &now) == 0 && now + delta < 0) {
        json_decref(item);
        return FIELD_ERR("stock_delta: would take the stock below 0");
    }
    int rc = catalog_put_item(s, txn, pid, item);
    if (json_object_get(patch, "price") || json_object_get(patch, "enabled"))
        rc |= customize_refresh(s, txn, pid); /* the price tags of its customizable items */
    if (stock >= 0)
        rc |= catalog_stock_set(s, txn, pid, iid, stock);
    if (has_delta)
        rc |= catalog_stock_set(s, txn, pid, iid, now + delta > CATALOG_COUNT_MAX ? CATALOG_COUNT_MAX : now + delta);
    json_decref(item);
    if (rc)
        return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not write the item");
    return 0;
}

/* s_keys_with - the keys of "catalog" starting with PREFIX, as a new
 * array of strings (read first, deleted after: no cursor walks keys being
 * deleted) */
static json_t *s_keys_with(store_t *s, MDB_txn *txn, const char *prefix)
{
    json_t *keys = json_array();
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_CATALOG], &cur))
        return keys;
    size_t pl = strlen(prefix);
    MDB_val k = {pl, (void *)prefix}, d;
    for (int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < pl || memcmp(k.mv_data, prefix, pl) != 0)
            break;
        json_array_append_new(keys, json_stringn(k.mv_data, k.mv_size));
    }
    mdb_cursor_close(cur);
    return keys;
}

/* s_remove_missing - a replace: every provider and item of the store that
 * ROOT does not list goes (an item leaves a tombstone for the incremental
 * catalog, its index entries and its stock go with it) */
static int s_remove_missing(store_t *s, MDB_txn *txn, json_t *root, int64_t now_ms)
{
    json_t *want = json_object(); /* "p/{pid}" and "i/{pid}/{iid}" of ROOT */
    size_t i, j;
    json_t *p, *it;
    json_array_foreach(json_object_get(root, "bpp/providers"), i, p)
    {
        const char *pid = json_string_value(json_object_get(p, "id"));
        char key[300];
        snprintf(key, sizeof key, "p/%s", pid);
        json_object_set_new(want, key, json_true());
        json_array_foreach(json_object_get(p, "items"), j, it)
        {
            snprintf(key, sizeof key, "i/%s/%s", pid, json_string_value(json_object_get(it, "id")));
            json_object_set_new(want, key, json_true());
        }
    }
    int rc = 0;
    json_t *keys = s_keys_with(s, txn, "i/");
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        const char *key = json_string_value(k);
        if (json_object_get(want, key))
            continue;
        const char *slash = strchr(key + 2, '/');
        if (!slash)
            continue;
        char pid[160];
        snprintf(pid, sizeof pid, "%.*s", (int)(slash - key - 2), key + 2);
        json_t *old = s_get_json(s, txn, DB_CATALOG, key);
        if (old) {
            rc |= s_index(s, txn, pid, old, 0);
            rc |= catalog_inc_tombstone(s, txn, pid, old, now_ms);
            rc |= catalog_render_del(s, txn, pid, slash + 1);
            json_decref(old);
        }
        MDB_val mk = {strlen(key), (void *)key}, ik = {strlen(key) - 2, (void *)(key + 2)};
        rc |= mdb_del(txn, s->dbi[DB_CATALOG], &mk, NULL) ? -1 : 0;
        int irc = mdb_del(txn, s->dbi[DB_INVENTORY], &ik, NULL);
        rc |= irc && irc != MDB_NOTFOUND ? -1 : 0;
    }
    json_decref(keys);
    keys = s_keys_with(s, txn, "p/");
    json_array_foreach(keys, i, k)
    {
        const char *key = json_string_value(k);
        if (json_object_get(want, key))
            continue;
        MDB_val mk = {strlen(key), (void *)key};
        rc |= mdb_del(txn, s->dbi[DB_CATALOG], &mk, NULL) ? -1 : 0;
    }
    json_decref(keys);
    json_decref(want);
    return rc ? -1 : 0;
}

/* s_put_provider - provider P without items; its time moves (and the
 * change is noted) only when something else of it changed */
static int s_put_provider(store_t *s, MDB_txn *txn, json_t *p, int64_t now_ms)
{
    const char *pid = json_string_value(json_object_get(p, "id"));
    json_t *copy = json_copy(p);
    json_object_del(copy, "items");
    char key[300];
    snprintf(key, sizeof key, "p/%s", pid);
    json_t *old = s_get_json(s, txn, DB_CATALOG, key);
    int rc = 0;
    if (old && s_same_but_time(old, copy)) {
        json_t *t = json_object_get(old, "time");
        if (t)
            json_object_set(copy, "time", t);
    } else if (old) {
        s_stamp(copy, now_ms);
        rc |= catalog_inc_note(s, txn, pid, NULL, now_ms);
    }
    rc |= s_put_json(s, txn, DB_CATALOG, key, copy);
    json_decref(old);
    json_decref(copy);
    return rc ? -1 : 0;
}

int catalog_import(store_t *s, MDB_txn *txn, json_t *root, catalog_mode_t mode, ondc_err_t *err)
{
    if (s_validate(root, mode != CATALOG_REPLACE, err) < 0)
        return -1;
    int64_t now = clock_wall_ms();
    if (mode == CATALOG_REPLACE &&
        (catalog_rules_apply(root, 1, now, err) < 0 || s_groups_check(root, err) < 0))
        return -1;
    int rc = 0;
    if (mode == CATALOG_REPLACE && s_remove_missing(s, txn, root, now) < 0)
        return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not clear the catalog");
    json_t *d = json_object_get(root, "bpp/descriptor");
    json_t *f = json_object_get(root, "bpp/fulfillments");
    if (mode == CATALOG_REPLACE || d || f) {
        /* an upsert keeps what it does not name */
        json_t *bpp = mode == CATALOG_REPLACE ? json_object() : catalog_bpp(s, txn);
        if (d)
            json_object_set(bpp, "descriptor", d);
        if (f)
            json_object_set(bpp, "fulfillments", f);
        rc |= s_put_json(s, txn, DB_CATALOG, "bpp", bpp);
        json_decref(bpp);
    }
    size_t i, j;
    json_t *p, *it;
    json_array_foreach(json_object_get(root, "bpp/providers"), i, p)
    {
        const char *pid = json_string_value(json_object_get(p, "id"));
        rc |= s_put_provider(s, txn, p, now);
        customize_price_tags(p); /* customizable items' price range and default */
        json_array_foreach(json_object_get(p, "items"), j, it)
        {
            rc |= catalog_put_item(s, txn, pid, it);
            /* the stock rule (live stock kept unless the file says "set"):
             * catalog_sync.h */
            rc |= catalog_sync_stock(s, txn, root, pid, it);
        }
        if (mode == CATALOG_UPSERT)
            rc |= customize_refresh(s, txn, pid); /* with the options stored before */
    }
    if (rc)
        return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not write the catalog");
    return 0;
}

json_t *catalog_bpp(store_t *s, MDB_txn *txn)
{
    json_t *b = s_get_json(s, txn, DB_CATALOG, "bpp");
    return b ? b : json_object();
}

json_t *catalog_provider(store_t *s, MDB_txn *txn, const char *pid)
{
    char key[300];
    snprintf(key, sizeof key, "p/%s", pid);
    return s_get_json(s, txn, DB_CATALOG, key);
}

json_t *catalog_item(store_t *s, MDB_txn *txn, const char *pid, const char *iid)
{
    char key[300];
    snprintf(key, sizeof key, "i/%s/%s", pid, iid);
    return s_get_json(s, txn, DB_CATALOG, key);
}

json_t *catalog_provider_ro(store_t *s, MDB_txn *txn, const char *pid)
{
    char key[300];
    snprintf(key, sizeof key, "p/%s", pid);
    return s_get_json_ro(s, txn, key);
}

json_t *catalog_item_ro(store_t *s, MDB_txn *txn, const char *pid, const char *iid)
{
    char key[300];
    snprintf(key, sizeof key, "i/%s/%s", pid, iid);
    return s_get_json_ro(s, txn, key);
}

int catalog_stock(store_t *s, MDB_txn *txn, const char *pid, const char *iid, int64_t *stock)
{
    char key[300], buf[32];
    int kl = snprintf(key, sizeof key, "%s/%s", pid, iid);
    if (kl < 0 || (size_t)kl >= sizeof key)
        return -1;
    MDB_val k = {(size_t)kl, key}, d;
    if (mdb_get(txn, s->dbi[DB_INVENTORY], &k, &d) != 0 || d.mv_size >= sizeof buf)
        return -1;
    memcpy(buf, d.mv_data, d.mv_size);
    buf[d.mv_size] = '\0';
    *stock = strtoll(buf, NULL, 10);
    return 0;
}

int catalog_stock_set(store_t *s, MDB_txn *txn, const char *pid, const char *iid, int64_t stock)
{
    char key[300], buf[32];
    int kl = snprintf(key, sizeof key, "%s/%s", pid, iid);
    if (kl < 0 || (size_t)kl >= sizeof key)
        return -1;
    int64_t before = 0;
    int had = catalog_stock(s, txn, pid, iid, &before) == 0;
    int vl = snprintf(buf, sizeof buf, "%lld", (long long)stock);
    MDB_val k = {(size_t)kl, key}, d = {(size_t)vl, buf};
    if (mdb_put(txn, s->dbi[DB_INVENTORY], &k, &d, 0))
        return -1;
    /* in stock <-> out of stock is a change buyer apps are told of */
    return had && (before > 0) != (stock > 0) ? s_touch(s, txn, pid, iid) : 0;
}

int catalog_stock_add(store_t *s, MDB_txn *txn, const char *pid, const char *iid, int64_t n)
{
    int64_t stock = 0;
    if (catalog_stock(s, txn, pid, iid, &stock) < 0)
        return 0; /* an item no longer in the catalog: nothing to give back to */
    if (n < -CATALOG_COUNT_MAX || n > CATALOG_COUNT_MAX || stock < 0)
        return -1;
    /* both at most CATALOG_COUNT_MAX: the sum cannot overflow */
    int64_t sum = stock + n;
    if (sum < 0)
        return -1;
    if (sum > CATALOG_COUNT_MAX)
        sum = CATALOG_COUNT_MAX;
    return catalog_stock_set(s, txn, pid, iid, sum);
}

static int s_each_prefix(store_t *s, MDB_txn *txn, const char *prefix,
                         int (*fn)(const MDB_val *k, json_t *v, void *arg), void *arg)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_CATALOG], &cur))
        return -1;
    size_t pl = strlen(prefix);
    MDB_val k = {pl, (void *)prefix}, d;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < pl || memcmp(k.mv_data, prefix, pl) != 0)
            break;
        json_t *v = jparse(d.mv_data, d.mv_size, 0, NULL);
        if (!v)
            continue;
        int stop = fn(&k, v, arg);
        json_decref(v);
        if (stop)
            break;
    }
    mdb_cursor_close(cur);
    return 0;
}

typedef struct {
    catalog_item_fn *ifn;
    catalog_provider_fn *pfn;
    void *arg;
} s_each_t;

static int s_item_cb(const MDB_val *k, json_t *v, void *arg)
{
    s_each_t *e = arg;
    /* key i/{pid}/{iid}: provider id is between the slashes */
    char pid[160];
    const char *start = (const char *)k->mv_data + 2;
    const char *end = memchr(start, '/', k->mv_size - 2);
    size_t n = end ? (size_t)(end - start) : 0;
    if (n >= sizeof pid)
        return 0;
    memcpy(pid, start, n);
    pid[n] = '\0';
    return e->ifn(pid, v, e->arg);
}

static int s_prov_cb(const MDB_val *k, json_t *v, void *arg)
{
    (void)k;
    s_each_t *e = arg;
    return e->pfn(v, e->arg);
}

int catalog_each_item(store_t *s, MDB_txn *txn, const char *pid, catalog_item_fn *fn, void *arg)
{
    char prefix[300];
    if (pid)
        snprintf(prefix, sizeof prefix, "i/%s/", pid);
    else
        snprintf(prefix, sizeof prefix, "i/");
    s_each_t e = {fn, NULL, arg};
    return s_each_prefix(s, txn, prefix, s_item_cb, &e);
}

int catalog_each_provider(store_t *s, MDB_txn *txn, catalog_provider_fn *fn, void *arg)
{
    s_each_t e = {NULL, fn, arg};
    return s_each_prefix(s, txn, "p/", s_prov_cb, &e);
}
