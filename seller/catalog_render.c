/*
 * catalog_render.c - items' on_search text kept beside them. See
 * catalog_render.h.
 */
#include "catalog_render.h"

#include "catalog.h"
#include "customize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_key(char *key, size_t cap, const char *pid, const char *iid)
{
    int n = snprintf(key, cap, "s/%s/%s", pid, iid);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

int catalog_render_del(store_t *s, MDB_txn *txn, const char *pid, const char *iid)
{
    char key[400];
    int kl = s_key(key, sizeof key, pid, iid);
    if (kl < 0)
        return -1;
    MDB_val k = {(size_t)kl, key};
    int rc = mdb_del(txn, s->dbi[DB_CATALOG], &k, NULL);
    return rc && rc != MDB_NOTFOUND ? -1 : 0;
}

/* s_field - a header field: the separators may not appear in it */
static void s_field(jdump_t *o, const char *v)
{
    for (const char *c = v ? v : ""; *c; c++) {
        char ch = *c == '\x1f' || *c == '\n' ? ' ' : *c;
        if (o->len < o->cap)
            o->buf[o->len++] = ch;
    }
}

int catalog_render_put(store_t *s, MDB_txn *txn, const char *pid, json_t *item)
{
    const char *iid = json_string_value(json_object_get(item, "id"));
    if (!iid)
        return -1;
    const char *label = json_string_value(json_object_get(json_object_get(item, "time"), "label"));
    if (json_is_false(json_object_get(item, "enabled")) || (label && strcmp(label, "disable") == 0))
        return catalog_render_del(s, txn, pid, iid);
    json_t *copy = json_copy(item);
    json_t *qty = json_object_get(item, "quantity");
    json_t *rest = json_is_object(qty) ? json_copy(qty) : json_object();
    json_object_del(copy, "enabled");
    json_object_del(copy, "quantity");
    json_object_del(rest, "available");
    json_object_del(rest, "maximum");
    jdump_t o = {0};
    char hdr[400];
    int rc = -1;
    /* the header: fields cleaned of the separators */
    o.buf = hdr;
    o.cap = sizeof hdr - 40;
    if (customize_is_option(item))
        o.buf[o.len++] = 'o';
    if (json_is_true(json_object_get(item, "@ondc/org/available_on_cod")))
        o.buf[o.len++] = 'c';
    o.buf[o.len++] = '\x1f';
    s_field(&o, json_string_value(json_object_get(item, "category_id")));
    o.buf[o.len++] = '\x1f';
    s_field(&o, json_string_value(json_object_get(item, "location_id")));
    size_t hl = o.len;
    hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "\x1f%lld\n", (long long)catalog_item_max(item));
    static __thread jdump_t body; /* kept from item to item: an import writes 100,000 */
    body.len = 0;
    if (jdump_append(&body, copy) < 0 || body.len < 2)
        goto out;
    body.len--; /* the closing brace */
    size_t at = body.len;
    if (jdump_append(&body, rest) < 0)
        goto out;
    /* the rest's "{" becomes the separator, its "}" goes: its members only */
    body.buf[at] = '\x1e';
    body.len--;
    char key[400];
    int kl = s_key(key, sizeof key, pid, iid);
    if (kl < 0)
        goto out;
    MDB_val k = {(size_t)kl, key}, d = {hl + body.len, NULL};
    if (mdb_put(txn, s->dbi[DB_CATALOG], &k, &d, MDB_RESERVE) != 0)
        goto out;
    memcpy(d.mv_data, hdr, hl);
    memcpy((char *)d.mv_data + hl, body.buf, body.len);
    rc = 0;
out:
    json_decref(copy);
    json_decref(rest);
    return rc;
}

int catalog_render_parse(const char *rec, size_t len, catalog_render_t *r)
{
    memset(r, 0, sizeof *r);
    const char *end = rec + len;
    const char *nl = memchr(rec, '\n', len);
    if (!nl)
        return -1;
    const char *f[4];
    size_t fl[4];
    const char *p = rec;
    for (int i = 0; i < 4; i++) {
        const char *sep = i < 3 ? memchr(p, '\x1f', (size_t)(nl - p)) : nl;
        if (!sep)
            return -1;
        f[i] = p;
        fl[i] = (size_t)(sep - p);
        p = sep + 1;
    }
    for (size_t i = 0; i < fl[0]; i++) {
        r->option |= f[0][i] == 'o';
        r->cod |= f[0][i] == 'c';
    }
    r->category = f[1];
    r->category_len = fl[1];
    r->location = f[2];
    r->location_len = fl[2];
    r->maximum = strtoll(f[3], NULL, 10);
    const char *sep = memchr(nl + 1, '\x1e', (size_t)(end - nl - 1));
    /* the prefix may hold no 0x1e (JSON text escapes control characters):
     * the first one is the separator */
    if (!sep)
        return -1;
    r->prefix = nl + 1;
    r->prefix_len = (size_t)(sep - nl - 1);
    r->rest = sep + 1;
    r->rest_len = (size_t)(end - sep - 1);
    return 0;
}

int catalog_render_item(const catalog_render_t *r, int64_t stock, jdump_t *out)
{
    char q[96];
    int64_t max = r->maximum < 0 || r->maximum > 99 ? 99 : r->maximum;
    int ql = snprintf(q, sizeof q, "%s\"quantity\":{\"available\":{\"count\":\"%s\"},\"maximum\":{\"count\":\"%lld\"}%s",
                      r->prefix_len > 1 ? "," : "", stock > 0 ? "99" : "0", (long long)max,
                      r->rest_len ? "," : "");
    if (jdump_bytes(out, r->prefix, r->prefix_len) < 0 || jdump_bytes(out, q, (size_t)ql) < 0 ||
        jdump_bytes(out, r->rest, r->rest_len) < 0 || jdump_bytes(out, "}}", 2) < 0)
        return -1;
    return 0;
}

int catalog_render_get(store_t *s, MDB_txn *txn, const char *pid, const char *iid,
                       catalog_render_t *r)
{
    char key[400];
    int kl = s_key(key, sizeof key, pid, iid);
    if (kl < 0)
        return -1;
    MDB_val k = {(size_t)kl, key}, d;
    if (mdb_get(txn, s->dbi[DB_CATALOG], &k, &d) != 0)
        return -1;
    return catalog_render_parse(d.mv_data, d.mv_size, r);
}
