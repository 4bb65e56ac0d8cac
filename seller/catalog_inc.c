/*
 * catalog_inc.c - the incremental catalog: change notes, pull, push
 * subscriptions. See catalog_inc.h.
 */
#include "catalog_inc.h"

#include "catalog.h"
#include "catalog_rules.h"
#include "context.h"
#include "jarena.h"
#include "jparse.h"
#include "log.h"
#include "reply.h"
#include "search.h"
#include "tags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEP "\x1f"

static int s_err(ondc_err_t *err, const char *path, const char *msg)
{
    return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, path, "%s: %s", path, msg);
}

int catalog_inc_parse(json_t *message, catalog_inc_req_t *r, ondc_err_t *err)
{
    memset(r, 0, sizeof *r);
    json_t *tags = json_object_get(json_object_get(message, "intent"), "tags");
    size_t gi = 0;
    json_t *g = tags_next(tags, "catalog_inc", &gi);
    if (!g)
        return 0;
    char base[80];
    snprintf(base, sizeof base, "message.intent.tags[%zu].list", gi - 1);
    json_t *list = tags_list(g);
    if (!list)
        return s_err(err, base, "catalog_inc needs a list (mode, or start_time and end_time)");
    const char *mode = tags_value(list, "mode");
    const char *st = tags_value(list, "start_time"), *en = tags_value(list, "end_time");
    if (st && (r->start_ms = context_parse_time(st)) < 0)
        return s_err(err, base, "start_time must be an RFC 3339 UTC time");
    if (en && (r->end_ms = context_parse_time(en)) < 0)
        return s_err(err, base, "end_time must be an RFC 3339 UTC time");
    if (mode) {
        if (strcmp(mode, "start") == 0)
            r->kind = CATALOG_INC_START;
        else if (strcmp(mode, "stop") == 0)
            r->kind = CATALOG_INC_STOP;
        else
            return s_err(err, base, "mode must be start or stop");
        return 0;
    }
    if (!st || !en)
        return s_err(err, base, "catalog_inc needs mode, or both start_time and end_time");
    if (r->end_ms <= r->start_ms)
        return s_err(err, base, "end_time must be after start_time");
    r->kind = CATALOG_INC_PULL;
    return 0;
}

int catalog_inc_note(store_t *s, MDB_txn *txn, const char *pid, const char *iid, int64_t now_ms)
{
    char key[400];
    int kl = snprintf(key, sizeof key, "c/%013lld" SEP "%s" SEP "%s", (long long)now_ms, pid,
                      iid ? iid : "");
    if (kl < 0 || (size_t)kl >= sizeof key)
        return -1;
    MDB_val k = {(size_t)kl, key}, d = {0, ""};
    return mdb_put(txn, s->dbi[DB_CATALOG], &k, &d, 0) ? -1 : 0;
}

static int s_put(store_t *s, MDB_txn *txn, const char *key, json_t *v)
{
    size_t n = 0;
    const char *text = jarena_dumpb(v, &n);
    if (!text)
        return -1;
    MDB_val k = {strlen(key), (void *)key}, d = {n, (void *)text};
    return mdb_put(txn, s->dbi[DB_CATALOG], &k, &d, 0) ? -1 : 0;
}

static json_t *s_get(store_t *s, MDB_txn *txn, const char *key)
{
    MDB_val k = {strlen(key), (void *)key}, d;
    if (mdb_get(txn, s->dbi[DB_CATALOG], &k, &d) != 0)
        return NULL;
    return jparse(d.mv_data, d.mv_size, 0, NULL);
}

int catalog_inc_tombstone(store_t *s, MDB_txn *txn, const char *pid, json_t *item, int64_t now_ms)
{
    const char *iid = json_string_value(json_object_get(item, "id"));
    char key[400], ts[40];
    if (!iid)
        return -1;
    snprintf(key, sizeof key, "d/%s/%s", pid, iid);
    json_t *t = json_copy(item);
    context_format_time(now_ms, ts, sizeof ts);
    json_object_set_new(t, "time", json_pack("{s:s,s:s}", "label", "disable", "timestamp", ts));
    json_object_set_new(t, "enabled", json_false());
    int rc = s_put(s, txn, key, t);
    json_decref(t);
    return rc < 0 ? -1 : catalog_inc_note(s, txn, pid, iid, now_ms);
}

/* one provider of the answer being built */
typedef struct {
    char pid[160];
    json_t *out;   /* {"id", "time"?, "items"} */
    json_t *items; /* borrowed from out */
    json_t *seen;  /* item ids added: a set */
    int ok;        /* of the asked domain */
} s_prov_t;

/* s_ref - note ID (a JSON string or NULL) in the set REFS */
static void s_ref(json_t *refs, json_t *id)
{
    if (json_is_string(id))
        json_object_set_new(refs, json_string_value(id), json_true());
}

/* s_categories - the categories of provider PID that the ITEMS (their
 * on_search form) name: menus and groups in category_ids, variant groups
 * by parent_item_id, custom groups in the parent/child tags. An
 * incremental on_search carries them beside the items, as ONDC's checks
 * want every category an item names to be in the catalog it reads. */
static json_t *s_categories(store_t *s, MDB_txn *txn, const char *pid, json_t *items)
{
    json_t *refs = json_object();
    size_t i, j, k;
    json_t *it, *v, *tag;
    json_array_foreach(items, i, it)
    {
        json_array_foreach(json_object_get(it, "category_ids"), j, v) { s_ref(refs, v); }
        s_ref(refs, json_object_get(it, "parent_item_id"));
        json_array_foreach(json_object_get(it, "tags"), j, tag)
        {
            const char *code = json_string_value(json_object_get(tag, "code"));
            if (!code || (strcmp(code, "parent") != 0 && strcmp(code, "child") != 0))
                continue;
            json_array_foreach(json_object_get(tag, "list"), k, v)
            {
                const char *c = json_string_value(json_object_get(v, "code"));
                if (c && strcmp(c, "id") == 0)
                    s_ref(refs, json_object_get(v, "value"));
            }
        }
    }
    json_t *out = json_array();
    json_t *prov = json_object_size(refs) ? catalog_provider(s, txn, pid) : NULL;
    json_array_foreach(json_object_get(prov, "categories"), i, v)
    {
        const char *id = json_string_value(json_object_get(v, "id"));
        if (id && json_object_get(refs, id))
            json_array_append(out, v);
    }
    json_decref(prov);
    json_decref(refs);
    return out;
}

json_t *catalog_inc_changes(store_t *s, MDB_txn *txn, int64_t from_ms, int64_t to_ms,
                            const char *domain)
{
    char from[32], to[32];
    snprintf(from, sizeof from, "c/%013lld", (long long)(from_ms < 0 ? 0 : from_ms));
    snprintf(to, sizeof to, "c/%013lld", (long long)(to_ms < 0 ? 0 : to_ms));
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_CATALOG], &cur))
        return NULL;
    s_prov_t *ps = NULL;
    size_t np = 0, cap = 0;
    int any = 0;
    int all = !domain || strcmp(domain, "nic2004:52110") == 0;
    MDB_val k = {strlen(from), from}, d;
    for (int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < 15 || memcmp(k.mv_data, "c/", 2) != 0 || memcmp(k.mv_data, to, 15) >= 0)
            break;
        /* c/{ms}\x1f{pid}\x1f{iid} */
        const char *b = (const char *)k.mv_data + 16, *e = (const char *)k.mv_data + k.mv_size;
        const char *sep = memchr(b, '\x1f', (size_t)(e - b));
        if (!sep || (size_t)(sep - b) >= 160 || (size_t)(e - sep) >= 160)
            continue;
        char pid[160], iid[160];
        memcpy(pid, b, (size_t)(sep - b));
        pid[sep - b] = '\0';
        memcpy(iid, sep + 1, (size_t)(e - sep - 1));
        iid[e - sep - 1] = '\0';
        s_prov_t *p = NULL;
        for (size_t i = 0; i < np && !p; i++)
            if (strcmp(ps[i].pid, pid) == 0)
                p = &ps[i];
        if (!p) {
            if (np == cap) {
                size_t nc = cap ? cap * 2 : 8;
                s_prov_t *n = realloc(ps, nc * sizeof *n);
                if (!n)
                    break;
                ps = n;
                cap = nc;
            }
            p = &ps[np++];
            memset(p, 0, sizeof *p);
            snprintf(p->pid, sizeof p->pid, "%s", pid);
            json_t *prov = catalog_provider(s, txn, pid);
            p->ok = prov && (all || strcmp(catalog_provider_domain(prov), domain) == 0);
            p->out = json_pack("{s:s}", "id", pid);
            p->items = json_array();
            p->seen = json_object();
            json_decref(prov);
        }
        if (!p->ok)
            continue;
        if (!iid[0]) {
            json_t *prov = catalog_provider(s, txn, pid);
            json_t *t = json_object_get(prov, "time");
            if (t)
                json_object_set(p->out, "time", t);
            json_decref(prov);
            any = 1;
            continue;
        }
        if (json_object_get(p->seen, iid))
            continue;
        json_object_set_new(p->seen, iid, json_true());
        json_t *item = catalog_item(s, txn, pid, iid);
        if (!item) {
            char key[400];
            snprintf(key, sizeof key, "d/%s/%s", pid, iid);
            item = s_get(s, txn, key);
        }
        if (!item)
            continue;
        json_array_append_new(p->items, search_item_out(s, txn, pid, item));
        json_decref(item);
        any = 1;
    }
    mdb_cursor_close(cur);
    json_t *provs = json_array();
    for (size_t i = 0; i < np; i++) {
        if (ps[i].ok && (json_array_size(ps[i].items) > 0 || json_object_get(ps[i].out, "time"))) {
            if (json_array_size(ps[i].items) > 0) {
                json_t *cats = s_categories(s, txn, ps[i].pid, ps[i].items);
                if (json_array_size(cats) > 0)
                    json_object_set(ps[i].out, "categories", cats);
                json_decref(cats);
                json_object_set(ps[i].out, "items", ps[i].items);
            }
            json_array_append(provs, ps[i].out);
        }
        json_decref(ps[i].out);
        json_decref(ps[i].items);
        json_decref(ps[i].seen);
    }
    free(ps);
    if (!any || json_array_size(provs) == 0) {
        json_decref(provs);
        return NULL;
    }
    return json_pack("{s:{s:o}}", "catalog", "bpp/providers", provs);
}

static int s_sub_key(json_t *ctx, char *key, size_t cap)
{
    const char *bap = context_str(ctx, "bap_id"), *tid = context_str(ctx, "transaction_id");
    if (!bap || !tid)
        return -1;
    int n = snprintf(key, cap, "s/%s" SEP "%s", bap, tid);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int catalog_inc_subscribe(store_t *s, MDB_txn *txn, json_t *ctx, int64_t since_ms, int64_t until_ms)
{
    char key[400];
    if (s_sub_key(ctx, key, sizeof key) < 0)
        return -1;
    json_t *sub = json_pack("{s:O,s:I,s:I}", "context", ctx, "since_ms", (json_int_t)since_ms,
                            "until_ms", (json_int_t)until_ms);
    int rc = s_put(s, txn, key, sub);
    json_decref(sub);
    return rc;
}

int catalog_inc_unsubscribe(store_t *s, MDB_txn *txn, json_t *ctx)
{
    char key[400];
    if (s_sub_key(ctx, key, sizeof key) < 0)
        return 0;
    MDB_val k = {strlen(key), key};
    int rc = mdb_del(txn, s->dbi[DB_CATALOG], &k, NULL);
    return rc == 0 ? 1 : rc == MDB_NOTFOUND ? 0 : -1;
}

static int64_t s_last(store_t *s, MDB_txn *txn)
{
    MDB_val k = {10, "m/inc_last"}, d;
    char buf[32];
    if (mdb_get(txn, s->dbi[DB_CATALOG], &k, &d) != 0 || d.mv_size >= sizeof buf)
        return 0;
    memcpy(buf, d.mv_data, d.mv_size);
    buf[d.mv_size] = '\0';
    return strtoll(buf, NULL, 10);
}

int catalog_inc_due(store_t *s, MDB_txn *txn, const cfg_t *cfg, int64_t now_ms)
{
    return now_ms - s_last(s, txn) >= (int64_t)cfg->search_inc_interval_s * 1000;
}

/* s_prune - drop change notes before BEFORE_MS (and the tombstones are
 * kept: they are small and a later pull may still name them) */
static int s_prune(store_t *s, MDB_txn *txn, int64_t before_ms)
{
    char to[32];
    snprintf(to, sizeof to, "c/%013lld", (long long)(before_ms < 0 ? 0 : before_ms));
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_CATALOG], &cur))
        return -1;
    MDB_val k = {2, "c/"}, d;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < 15 || memcmp(k.mv_data, "c/", 2) != 0 || memcmp(k.mv_data, to, 15) >= 0)
            break;
        if (mdb_cursor_del(cur, 0) != 0) {
            mdb_cursor_close(cur);
            return -1;
        }
    }
    mdb_cursor_close(cur);
    return 0;
}

int catalog_inc_push(store_t *s, MDB_txn *txn, const cfg_t *cfg, int64_t now_ms,
                     catalog_inc_sent_fn *sent, void *arg)
{
    if (!catalog_inc_due(s, txn, cfg, now_ms))
        return 0;
    char buf[32];
    int bl = snprintf(buf, sizeof buf, "%lld", (long long)now_ms);
    MDB_val lk = {10, "m/inc_last"}, lv = {(size_t)bl, buf};
    if (mdb_put(txn, s->dbi[DB_CATALOG], &lk, &lv, 0) != 0)
        return -1;
    /* the subscriptions first (the round writes under the same prefix) */
    json_t *subs = json_object();
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_CATALOG], &cur)) {
        json_decref(subs);
        return -1;
    }
    MDB_val k = {2, "s/"}, d;
    for (int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < 2 || memcmp(k.mv_data, "s/", 2) != 0)
            break;
        json_t *sub = jparse(d.mv_data, d.mv_size, 0, NULL);
        char key[400];
        if (sub && k.mv_size < sizeof key) {
            memcpy(key, k.mv_data, k.mv_size);
            key[k.mv_size] = '\0';
            json_object_set_new(subs, key, sub);
        } else {
            json_decref(sub);
        }
    }
    mdb_cursor_close(cur);
    int n = 0, rc = 0;
    const char *key;
    json_t *sub;
    json_object_foreach(subs, key, sub)
    {
        json_t *ctx = json_object_get(sub, "context");
        int64_t since = json_integer_value(json_object_get(sub, "since_ms"));
        int64_t until = json_integer_value(json_object_get(sub, "until_ms"));
        int64_t upto = until > 0 && until < now_ms ? until : now_ms;
        json_t *msg = catalog_inc_changes(s, txn, since, upto, context_str(ctx, "domain"));
        if (msg) {
            json_t *rctx = reply_unsolicited_context(cfg, ctx, "on_search", now_ms);
            uint64_t oid = 0;
            rc = rctx ? reply_put(s, txn, cfg, 0, now_ms, rctx, msg, NULL, now_ms, &oid) : -1;
            if (rc == 0) {
                n++;
                log_info("catalog.inc_pushed", "bap_id", context_str(ctx, "bap_id"),
                         "transaction_id", context_str(ctx, "transaction_id"), "message_id",
                         context_str(rctx, "message_id"), NULL);
                if (sent)
                    rc = sent(oid, arg);
            }
            json_decref(rctx);
            json_decref(msg);
            if (rc < 0)
                break;
        }
        MDB_val sk = {strlen(key), (void *)key};
        if (until > 0 && until <= now_ms) {
            log_info("catalog.inc_ended", "bap_id", context_str(ctx, "bap_id"), "transaction_id",
                     context_str(ctx, "transaction_id"), NULL);
            rc = mdb_del(txn, s->dbi[DB_CATALOG], &sk, NULL) ? -1 : 0;
        } else {
            json_object_set_new(sub, "since_ms", json_integer(now_ms));
            rc = s_put(s, txn, key, sub);
        }
        if (rc < 0)
            break;
    }
    json_decref(subs);
    if (rc == 0)
        rc = s_prune(s, txn, now_ms - (int64_t)cfg->search_inc_retention_s * 1000);
    return rc < 0 ? -1 : n;
}
