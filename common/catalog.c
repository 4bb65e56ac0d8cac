/*
 * catalog.c - catalog import and reads. See catalog.h.
 */
#include "catalog.h"

#include "money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t catalog_count(json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) < 0 ? -1 : (int64_t)json_integer_value(v);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        if (!*s)
            return -1;
        long long n = strtoll(s, &end, 10);
        return (*end || n < 0) ? -1 : (int64_t)n;
    }
    return -1;
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
    return json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= 128 &&
           !strchr(json_string_value(v), '/');
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
    if (money_parse_json(v, &p) < 0 || p < 0)
        return FIELD_ERR("%s: not a non-negative decimal amount", path);
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

static int s_validate_item(json_t *it, const char *base, ondc_err_t *err)
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
    if (catalog_item_price(it, &p) < 0 || p < 0)
        return FIELD_ERR("%s: must be a non-negative decimal amount (\"99.00\")", path);
    json_t *q = json_object_get(it, "quantity");
    json_t *avail = json_object_get(json_object_get(q, "available"), "count");
    snprintf(path, sizeof path, "%s.quantity.available.count", base);
    if (avail && catalog_count(avail) < 0)
        return FIELD_ERR("%s: must be a non-negative whole number", path);
    json_t *max = json_object_get(json_object_get(q, "maximum"), "count");
    snprintf(path, sizeof path, "%s.quantity.maximum.count", base);
    if (max && catalog_count(max) < 0)
        return FIELD_ERR("%s: must be a non-negative whole number", path);
    return 0;
}

int catalog_validate(json_t *root, ondc_err_t *err)
{
    char path[160] = "";
    if (!json_is_object(root))
        return FIELD_ERR("catalog must be a JSON object");
    json_t *provs = json_object_get(root, "bpp/providers");
    snprintf(path, sizeof path, "bpp/providers");
    if (!json_is_array(provs))
        return FIELD_ERR("bpp/providers: is required (an array)");
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
        json_t *items = json_object_get(p, "items");
        snprintf(path, sizeof path, "%s.items", base);
        if (items && !json_is_array(items))
            return FIELD_ERR("%s: must be an array", path);
        json_array_foreach(items, j, it)
        {
            char ib[128];
            snprintf(ib, sizeof ib, "%s.items[%zu]", base, j);
            if (s_validate_item(it, ib, err) < 0)
                return -1;
            for (size_t k = 0; k < j; k++)
                if (json_equal(json_object_get(json_array_get(items, k), "id"),
                               json_object_get(it, "id"))) {
                    snprintf(path, sizeof path, "%s.id", ib);
                    return FIELD_ERR("%s: duplicate item id", path);
                }
        }
        char sb[128];
        snprintf(sb, sizeof sb, "%s.seller", base);
        if (s_validate_seller(json_object_get(p, "seller"), sb, err) < 0)
            return -1;
    }
    return 0;
}

static int s_put_json(store_t *s, MDB_txn *txn, store_db_t db, const char *key, json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT);
    if (!text)
        return -1;
    MDB_val k = {strlen(key), (void *)key}, d = {strlen(text), text};
    int rc = mdb_put(txn, s->dbi[db], &k, &d, 0);
    free(text);
    return rc ? -1 : 0;
}

static json_t *s_get_json(store_t *s, MDB_txn *txn, store_db_t db, const char *key)
{
    MDB_val k = {strlen(key), (void *)key}, d;
    if (mdb_get(txn, s->dbi[db], &k, &d) != 0)
        return NULL;
    return json_loadb(d.mv_data, d.mv_size, 0, NULL);
}

static int s_clear(store_t *s, MDB_txn *txn, store_db_t db)
{
    return mdb_drop(txn, s->dbi[db], 0) ? -1 : 0;
}

int catalog_put_item(store_t *s, MDB_txn *txn, const char *pid, json_t *item)
{
    char key[300];
    snprintf(key, sizeof key, "i/%s/%s", pid, json_string_value(json_object_get(item, "id")));
    return s_put_json(s, txn, DB_CATALOG, key, item);
}

int catalog_import(store_t *s, MDB_txn *txn, json_t *root, catalog_mode_t mode, ondc_err_t *err)
{
    if (catalog_validate(root, err) < 0)
        return -1;
    if (mode == CATALOG_REPLACE &&
        (s_clear(s, txn, DB_CATALOG) < 0 || s_clear(s, txn, DB_INVENTORY) < 0))
        return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not clear the catalog");
    json_t *bpp = json_object();
    json_t *d = json_object_get(root, "bpp/descriptor");
    json_t *f = json_object_get(root, "bpp/fulfillments");
    if (d)
        json_object_set(bpp, "descriptor", d);
    if (f)
        json_object_set(bpp, "fulfillments", f);
    int rc = s_put_json(s, txn, DB_CATALOG, "bpp", bpp);
    json_decref(bpp);
    size_t i, j;
    json_t *p, *it;
    json_array_foreach(json_object_get(root, "bpp/providers"), i, p)
    {
        const char *pid = json_string_value(json_object_get(p, "id"));
        json_t *copy = json_copy(p);
        json_object_del(copy, "items");
        char key[300];
        snprintf(key, sizeof key, "p/%s", pid);
        rc |= s_put_json(s, txn, DB_CATALOG, key, copy);
        json_decref(copy);
        json_array_foreach(json_object_get(p, "items"), j, it)
        {
            rc |= catalog_put_item(s, txn, pid, it);
            json_t *avail = json_object_get(
                json_object_get(json_object_get(it, "quantity"), "available"), "count");
            int64_t stock = avail ? catalog_count(avail) : 0;
            rc |= catalog_stock_set(s, txn, pid, json_string_value(json_object_get(it, "id")),
                                    stock);
        }
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
    int vl = snprintf(buf, sizeof buf, "%lld", (long long)stock);
    MDB_val k = {(size_t)kl, key}, d = {(size_t)vl, buf};
    return mdb_put(txn, s->dbi[DB_INVENTORY], &k, &d, 0) ? -1 : 0;
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
        json_t *v = json_loadb(d.mv_data, d.mv_size, 0, NULL);
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
