/*
 * order.c - orders in LMDB and the state table. See order.h.
 */
#include "order.h"

#include "catalog.h"
#include "context.h"
#include "fulfillment.h"
#include "jarena.h"
#include "jparse.h"
#include "log.h"
#include "money.h"
#include "reply.h"
#include "tags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the state table ---- */

static const char *const s_order_states[] = {"Created", "Accepted", "In-progress", "Completed",
                                             "Cancelled", NULL};
static const char *const s_ful_states[] = {
    "Pending",          "Packed",        "Agent-assigned", "Order-picked-up",
    "Out-for-delivery", "Order-delivered", "Cancelled",    "RTO-Initiated",
    "RTO-Delivered",    "RTO-Disposed",  NULL};
static const char *const s_return_states[] = {"Return_Initiated", "Return_Approved",
                                              "Return_Rejected",  "Liquidated",
                                              "Return_Picked",    "Return_Delivered", NULL};

static const struct {
    order_kind_t kind;
    const char *from, *to;
} s_table[] = {
    {ORDER_KIND_ORDER, "Created", "Accepted"},
    {ORDER_KIND_ORDER, "Created", "Cancelled"},
    {ORDER_KIND_ORDER, "Accepted", "In-progress"},
    {ORDER_KIND_ORDER, "Accepted", "Cancelled"},
    {ORDER_KIND_ORDER, "In-progress", "Completed"},
    {ORDER_KIND_ORDER, "In-progress", "Cancelled"},

    {ORDER_KIND_FULFILLMENT, "Pending", "Packed"},
    {ORDER_KIND_FULFILLMENT, "Pending", "Cancelled"},
    {ORDER_KIND_FULFILLMENT, "Packed", "Agent-assigned"},
    {ORDER_KIND_FULFILLMENT, "Packed", "Order-picked-up"},
    {ORDER_KIND_FULFILLMENT, "Packed", "Cancelled"},
    {ORDER_KIND_FULFILLMENT, "Agent-assigned", "Order-picked-up"},
    {ORDER_KIND_FULFILLMENT, "Agent-assigned", "Cancelled"},
    {ORDER_KIND_FULFILLMENT, "Order-picked-up", "Out-for-delivery"},
    {ORDER_KIND_FULFILLMENT, "Order-picked-up", "RTO-Initiated"},
    {ORDER_KIND_FULFILLMENT, "Out-for-delivery", "Order-delivered"},
    {ORDER_KIND_FULFILLMENT, "Out-for-delivery", "RTO-Initiated"},
    {ORDER_KIND_FULFILLMENT, "RTO-Initiated", "RTO-Delivered"},
    {ORDER_KIND_FULFILLMENT, "RTO-Initiated", "RTO-Disposed"},

    {ORDER_KIND_RETURN, "Return_Initiated", "Return_Approved"},
    {ORDER_KIND_RETURN, "Return_Initiated", "Return_Rejected"},
    {ORDER_KIND_RETURN, "Return_Initiated", "Liquidated"},
    {ORDER_KIND_RETURN, "Return_Approved", "Return_Picked"},
    {ORDER_KIND_RETURN, "Return_Picked", "Return_Delivered"},
};

int order_transition_ok(order_kind_t kind, const char *from, const char *to)
{
    if (!from || !to)
        return 0;
    for (size_t i = 0; i < sizeof s_table / sizeof s_table[0]; i++)
        if (s_table[i].kind == kind && strcmp(s_table[i].from, from) == 0 &&
            strcmp(s_table[i].to, to) == 0)
            return 1;
    return 0;
}

const char *const *order_states(order_kind_t kind)
{
    return kind == ORDER_KIND_ORDER         ? s_order_states
           : kind == ORDER_KIND_FULFILLMENT ? s_ful_states
                                            : s_return_states;
}

const char *order_state_for(const char *fs, const char *accepted_state)
{
    if (!fs)
        return NULL;
    if (strcmp(fs, "Pending") == 0)
        return accepted_state;
    if (strcmp(fs, "Packed") == 0 || strcmp(fs, "Agent-assigned") == 0 ||
        strcmp(fs, "Order-picked-up") == 0 || strcmp(fs, "Out-for-delivery") == 0)
        return "In-progress";
    if (strcmp(fs, "Order-delivered") == 0)
        return "Completed";
    if (strcmp(fs, "Cancelled") == 0 || strncmp(fs, "RTO-", 4) == 0)
        return "Cancelled";
    return NULL;
}

/* ---- records ---- */

int order_key(const char *oid, const char *bap_id, char *out, size_t cap)
{
    if (!oid || !bap_id || !*oid || strlen(oid) > 128 || strlen(bap_id) > 255)
        return -1;
    for (const char *c = oid; *c; c++)
        if ((unsigned char)*c < 0x20)
            return -1;
    int n = snprintf(out, cap, "o/%s\x1f%s", oid, bap_id);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static json_t *s_get(store_t *s, MDB_txn *txn, const char *key)
{
    MDB_val k = {strlen(key), (void *)key}, d;
    if (mdb_get(txn, s->dbi[DB_ORDERS], &k, &d) != 0)
        return NULL;
    return jparse(d.mv_data, d.mv_size, 0, NULL);
}

json_t *order_get(store_t *s, MDB_txn *txn, const char *key)
{
    return s_get(s, txn, key);
}

/* s_txn_index_key - "t/{tid}\x1f{bap}": a transaction's order, per buyer
 * app (two buyer apps may use the same transaction id) */
static int s_txn_index_key(const char *tid, const char *bap, char *out, size_t cap)
{
    int n = snprintf(out, cap, "t/%s\x1f%s", tid, bap);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

json_t *order_by_txn(store_t *s, MDB_txn *txn, const char *tid, const char *bap_id)
{
    if (!tid || !bap_id || !*bap_id)
        return NULL;
    char tk[600];
    int tl = s_txn_index_key(tid, bap_id, tk, sizeof tk);
    if (tl < 0)
        return NULL;
    MDB_val k = {(size_t)tl, tk}, d;
    int rc = mdb_get(txn, s->dbi[DB_ORDERS], &k, &d);
    if (rc == MDB_NOTFOUND) {
        /* an order stored before the index named the buyer app: "t/{tid}" */
        tl = snprintf(tk, sizeof tk, "t/%s", tid);
        k = (MDB_val){(size_t)tl, tk};
        rc = mdb_get(txn, s->dbi[DB_ORDERS], &k, &d);
    }
    if (rc != 0 || d.mv_size >= 400)
        return NULL;
    char key[400];
    snprintf(key, sizeof key, "%.*s", (int)d.mv_size, (const char *)d.mv_data);
    json_t *rec = s_get(s, txn, key);
    /* the order must be this buyer app's: another's is answered as if it
     * did not exist */
    const char *owner = json_string_value(json_object_get(rec, "bap_id"));
    if (rec && (!owner || strcmp(owner, bap_id) != 0)) {
        json_decref(rec);
        return NULL;
    }
    return rec;
}

static void s_due_key(int64_t ms, const char *key, char *out, size_t *len)
{
    out[0] = 'a';
    out[1] = '/';
    store_key64((unsigned char *)out + 2, (uint64_t)ms);
    size_t kl = strlen(key);
    memcpy(out + 10, key, kl); /* NOLINT(bugprone-not-null-terminated-result): a key with a length */
    *len = 10 + kl;
}

const char *order_updated(json_t *rec)
{
    json_t *o = json_object_get(rec, "order");
    const char *upd = json_string_value(json_object_get(o, "updated_at"));
    if (!upd)
        upd = json_string_value(json_object_get(o, "created_at"));
    return upd ? upd : "";
}

/* s_upd_key - "u/{updated_at}\x1e{order key}" of REC under KEY into OUT
 * (ORDER_POS_MAX + 3 bytes): its length, or -1 when KEY is too long */
static int s_upd_key(json_t *rec, const char *key, char *out)
{
    const char *upd = order_updated(rec);
    size_t ul = strnlen(upd, ORDER_UPD_MAX), kl = strlen(key);
    if (ul + 1 + kl > ORDER_POS_MAX)
        return -1;
    out[0] = 'u';
    out[1] = '/';
    memcpy(out + 2, upd, ul);
    out[2 + ul] = '\x1e';
    memcpy(out + 3 + ul, key, kl + 1);
    return (int)(3 + ul + kl);
}

int order_put(store_t *s, MDB_txn *txn, json_t *rec)
{
    const char *key = json_string_value(json_object_get(rec, "key"));
    if (!key)
        return -1;
    json_t *old = s_get(s, txn, key);
    /* the acceptance-window index holds Created orders only */
    char dk[420];
    size_t dl;
    json_t *old_by = json_object_get(old, "accept_by_ms");
    if (json_is_integer(old_by)) {
        s_due_key(json_integer_value(old_by), key, dk, &dl);
        MDB_val k = {dl, dk};
        mdb_del(txn, s->dbi[DB_ORDERS], &k, NULL);
    }
    /* the updated_at index: the entry moves when the time changes */
    char uk_old[ORDER_POS_MAX + 3], uk[ORDER_POS_MAX + 3];
    int ul_old = old ? s_upd_key(old, key, uk_old) : -1;
    int ul = s_upd_key(rec, key, uk);
    int moved = ul_old != ul || (ul > 0 && memcmp(uk_old, uk, (size_t)ul) != 0);
    if (ul_old > 0 && moved) {
        MDB_val k = {(size_t)ul_old, uk_old};
        mdb_del(txn, s->dbi[DB_ORDERS], &k, NULL);
    }
    json_decref(old);
    const char *state =
        json_string_value(json_object_get(json_object_get(rec, "order"), "state"));
    json_t *by = json_object_get(rec, "accept_by_ms");
    if (state && strcmp(state, "Created") != 0 && by) {
        json_object_del(rec, "accept_by_ms");
        by = NULL;
    }
    int rc = 0;
    if (json_is_integer(by)) {
        s_due_key(json_integer_value(by), key, dk, &dl);
        MDB_val k = {dl, dk}, d = {0, ""};
        rc |= mdb_put(txn, s->dbi[DB_ORDERS], &k, &d, 0);
    }
    if (ul > 0 && moved) {
        MDB_val k = {(size_t)ul, uk}, d = {strlen(key), (void *)key};
        rc |= mdb_put(txn, s->dbi[DB_ORDERS], &k, &d, 0);
    }
    const char *tid = json_string_value(json_object_get(rec, "transaction_id"));
    const char *bap = json_string_value(json_object_get(rec, "bap_id"));
    char tk[600];
    int tl = tid && bap ? s_txn_index_key(tid, bap, tk, sizeof tk) : -1;
    if (tl > 0) {
        MDB_val k = {(size_t)tl, tk}, d = {strlen(key), (void *)key};
        rc |= mdb_put(txn, s->dbi[DB_ORDERS], &k, &d, 0);
    }
    size_t n = 0;
    const char *text = jarena_dumpb(rec, &n);
    if (!text)
        return -1;
    MDB_val k = {strlen(key), (void *)key}, d = {n, (void *)text};
    rc |= mdb_put(txn, s->dbi[DB_ORDERS], &k, &d, 0);
    return rc ? -1 : 0;
}

int order_find(store_t *s, MDB_txn *txn, const char *oid, char keys[][400], int cap)
{
    char prefix[300];
    int pl = snprintf(prefix, sizeof prefix, "o/%s\x1f", oid);
    if (pl < 0 || (size_t)pl >= sizeof prefix)
        return 0;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_ORDERS], &cur))
        return 0;
    MDB_val k = {(size_t)pl, prefix}, d;
    int n = 0;
    for (int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && n < cap;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < (size_t)pl || memcmp(k.mv_data, prefix, (size_t)pl) != 0 ||
            k.mv_size >= 400)
            break;
        memcpy(keys[n], k.mv_data, k.mv_size);
        keys[n][k.mv_size] = '\0';
        n++;
    }
    mdb_cursor_close(cur);
    return n;
}

int order_each(store_t *s, MDB_txn *txn, const char *state, order_fn *fn, void *arg)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_ORDERS], &cur))
        return -1;
    MDB_val k = {2, "o/"}, d;
    for (int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < 2 || memcmp(k.mv_data, "o/", 2) != 0)
            break;
        json_t *rec = jparse(d.mv_data, d.mv_size, 0, NULL);
        if (!rec)
            continue;
        const char *st = json_string_value(json_object_get(json_object_get(rec, "order"), "state"));
        int stop = 0;
        if (!state || (st && strcmp(st, state) == 0))
            stop = fn(rec, arg);
        json_decref(rec);
        if (stop)
            break;
    }
    mdb_cursor_close(cur);
    return 0;
}

/* s_pos_cmp - index entry K's position (K without "u/") against AFTER,
 * as memcmp orders keys */
static int s_pos_cmp(const MDB_val *k, const char *after, size_t al)
{
    size_t pl = k->mv_size - 2, n = pl < al ? pl : al;
    int c = memcmp((const char *)k->mv_data + 2, after, n);
    return c ? c : pl < al ? -1 : pl > al;
}

static int s_is_upd(const MDB_val *k)
{
    return k->mv_size > 2 && memcmp(k->mv_data, "u/", 2) == 0;
}

int order_walk(store_t *s, MDB_txn *txn, int desc, const char *after, const char *state,
               order_walk_fn *fn, void *arg)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_ORDERS], &cur))
        return -1;
    size_t al = after ? strlen(after) : 0;
    char start[ORDER_POS_MAX + 3];
    /* a position longer than any entry's starts the search at its
     * longest prefix; the steps below finish the job */
    int sl = snprintf(start, sizeof start, "u%c%.*s", al || !desc ? '/' : '0', ORDER_POS_MAX,
                      al ? after : "");
    MDB_val k = {(size_t)sl, start}, d;
    int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    if (!desc) {
        while (al && rc == 0 && s_is_upd(&k) && s_pos_cmp(&k, after, al) <= 0)
            rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    } else {
        while (al && rc == 0 && s_is_upd(&k) && s_pos_cmp(&k, after, al) < 0)
            rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
        /* the entry found is the first at or past the position: the walk
         * starts at the one before it */
        rc = rc == 0              ? mdb_cursor_get(cur, &k, &d, MDB_PREV)
             : rc == MDB_NOTFOUND ? mdb_cursor_get(cur, &k, &d, MDB_LAST)
                                  : rc;
    }
    int out = 0;
    for (; rc == 0 && s_is_upd(&k); rc = mdb_cursor_get(cur, &k, &d, desc ? MDB_PREV : MDB_NEXT)) {
        char pos[ORDER_POS_MAX + 1], key[400];
        if (k.mv_size - 2 > ORDER_POS_MAX || d.mv_size >= sizeof key)
            continue;
        memcpy(pos, (const char *)k.mv_data + 2, k.mv_size - 2);
        pos[k.mv_size - 2] = '\0';
        memcpy(key, d.mv_data, d.mv_size);
        key[d.mv_size] = '\0';
        json_t *rec = s_get(s, txn, key);
        if (!rec)
            continue;
        /* an entry the record no longer names (left by a build without
         * the index) is passed over: the record's own entry is the one */
        char uk[ORDER_POS_MAX + 3];
        int ul = s_upd_key(rec, key, uk);
        const char *st = json_string_value(json_object_get(json_object_get(rec, "order"), "state"));
        int stop = 0;
        if (ul == (int)k.mv_size && memcmp(uk + 2, pos, (size_t)ul - 2) == 0 &&
            (!state || (st && strcmp(st, state) == 0)))
            stop = fn(rec, pos, arg);
        json_decref(rec);
        if (stop)
            break;
    }
    if (rc != 0 && rc != MDB_NOTFOUND)
        out = -1;
    mdb_cursor_close(cur);
    return out;
}

int order_index_upgrade(store_t *s, MDB_txn *txn)
{
    static const char mark[] = "index/oupdated";
    MDB_val mk = {sizeof mark - 1, (void *)mark}, mv;
    int rc = mdb_get(txn, s->dbi[DB_META], &mk, &mv);
    if (rc != MDB_NOTFOUND)
        return rc == 0 ? 0 : -1;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_ORDERS], &cur))
        return -1;
    size_t n = 0;
    MDB_val k = {2, "o/"}, d;
    /* the entries sort after every "o/" key: the cursor walks records only
     * (LMDB keeps a write transaction's cursors right across its puts) */
    for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < 2 || memcmp(k.mv_data, "o/", 2) != 0)
            break;
        char key[400], uk[ORDER_POS_MAX + 3];
        if (k.mv_size >= sizeof key)
            continue;
        memcpy(key, k.mv_data, k.mv_size);
        key[k.mv_size] = '\0';
        json_t *rec = jparse(d.mv_data, d.mv_size, 0, NULL);
        int ul = rec ? s_upd_key(rec, key, uk) : -1;
        json_decref(rec);
        if (ul < 0)
            continue;
        MDB_val ik = {(size_t)ul, uk}, iv = {k.mv_size, key};
        if ((rc = mdb_put(txn, s->dbi[DB_ORDERS], &ik, &iv, 0)) != 0)
            break;
        n++;
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        log_error("order.index_failed", "index", "oupdated", "error", mdb_strerror(rc), NULL);
        return -1;
    }
    if (n) {
        char nb[24];
        snprintf(nb, sizeof nb, "%zu", n);
        log_info("store.index_built", "index", "oupdated", "rows", nb, NULL);
    }
    MDB_val one = {1, (void *)"1"};
    return mdb_put(txn, s->dbi[DB_META], &mk, &one, 0) == 0 ? 0 : -1;
}

int order_due(store_t *s, MDB_txn *txn, int64_t now_ms, char keys[][400], int cap)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_ORDERS], &cur))
        return 0;
    MDB_val k = {2, "a/"}, d;
    int n = 0;
    for (int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && n < cap;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < 10 || memcmp(k.mv_data, "a/", 2) != 0)
            break;
        MDB_val t = {8, (char *)k.mv_data + 2};
        if ((int64_t)store_get64(&t) > now_ms)
            break;
        size_t kl = k.mv_size - 10;
        if (kl >= 400)
            continue;
        memcpy(keys[n], (char *)k.mv_data + 10, kl);
        keys[n][kl] = '\0';
        n++;
    }
    mdb_cursor_close(cur);
    return n;
}

int order_stock_release(store_t *s, MDB_txn *txn, json_t *rec)
{
    json_t *order = json_object_get(rec, "order");
    const char *pid = json_string_value(json_object_get(json_object_get(order, "provider"), "id"));
    json_t *reserved = json_object_get(rec, "reserved"); /* {item id: units} */
    if (!pid || !json_is_object(reserved))
        return 0;
    const char *iid;
    json_t *v;
    int rc = 0;
    json_object_foreach(reserved, iid, v)
    {
        /* an item that left the catalog is skipped by catalog_stock_add */
        rc |= catalog_stock_add(s, txn, pid, iid, json_integer_value(v));
    }
    json_object_set_new(rec, "reserved", json_object());
    return rc ? -1 : 0;
}

json_t *order_fulfillment(json_t *order)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(order, "fulfillments"), i, f)
    {
        const char *t = json_string_value(json_object_get(f, "type"));
        if (!t || (strcmp(t, "Cancel") != 0 && strcmp(t, "Return") != 0 && strcmp(t, "RTO") != 0))
            return f;
    }
    return NULL;
}

const char *order_fstate(json_t *f)
{
    const char *c = json_string_value(
        json_object_get(json_object_get(json_object_get(f, "state"), "descriptor"), "code"));
    return c ? c : "";
}

int order_set_fstate(json_t *f, order_kind_t kind, const char *to, const char *ts, ondc_err_t *err)
{
    const char *from = order_fstate(f);
    if (!order_transition_ok(kind, from, to))
        return err_set(err, ERR_TYPE_POLICY, 409, kind == ORDER_KIND_RETURN ? ERR_UPDATE_NOT_POSSIBLE
                                                                            : "50008",
                       "", "fulfillment %s cannot go from %s to %s",
                       json_string_value(json_object_get(f, "id")), from[0] ? from : "(none)", to);
    json_object_set_new(f, "state",
                        json_pack("{s:{s:s},s:s}", "descriptor", "code", to, "updated_at", ts));
    return 0;
}

void order_state_stamp(json_t *f, const char *core_version, const char *ts)
{
    if (f && core_version && strcmp(core_version, "1.2.5") == 0)
        json_object_set_new(f, "@ondc/org/state_updated_at", json_string(ts));
}

/* s_version - the core version REC's order was confirmed at; borrowed */
static const char *s_version(json_t *rec)
{
    return json_string_value(json_object_get(json_object_get(rec, "context"), "core_version"));
}

/* s_rto_ful - the order's RTO fulfillment, borrowed; NULL if none */
static json_t *s_rto_ful(json_t *order)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(order, "fulfillments"), i, f)
    {
        const char *t = json_string_value(json_object_get(f, "type"));
        if (t && strcmp(t, "RTO") == 0)
            return f;
    }
    return NULL;
}

int order_advance(json_t *rec, const char *to, const char *ts, ondc_err_t *err)
{
    json_t *order = json_object_get(rec, "order");
    json_t *f = order_fulfillment(order);
    /* the return to origin moves on its own fulfillment (order_cancel) */
    if (strncmp(to, "RTO-", 4) == 0 && s_rto_ful(order))
        f = s_rto_ful(order);
    if (!f)
        return err_set(err, ERR_TYPE_POLICY, 409, "50007", "", "the order has no fulfillment");
    const char *ostate = json_string_value(json_object_get(order, "state"));
    if (ostate && strcmp(ostate, "Created") == 0 && strcmp(to, "Cancelled") != 0)
        return err_set(err, ERR_TYPE_POLICY, 409, "50000", "",
                       "order %s is not accepted yet: accept it first",
                       json_string_value(json_object_get(order, "id")));
    const char *want = order_state_for(to, "Accepted");
    if (!want)
        return err_set(err, ERR_TYPE_POLICY, 400, "50000", "", "unknown fulfillment state %s", to);
    char from_f[64];
    snprintf(from_f, sizeof from_f, "%s", order_fstate(f));
    if (order_set_fstate(f, ORDER_KIND_FULFILLMENT, to, ts, err) < 0)
        return -1;
    if (strcmp(to, "RTO-Delivered") == 0 || strcmp(to, "RTO-Disposed") == 0)
        fulfillment_stamp(f, "end", ts); /* back at the store, or disposed of */
    if (ostate && strcmp(ostate, want) != 0) {
        if (!order_transition_ok(ORDER_KIND_ORDER, ostate, want)) {
            /* undo: the table refuses the order's move */
            json_object_set_new(f, "state", json_pack("{s:{s:s}}", "descriptor", "code", from_f));
            return err_set(err, ERR_TYPE_POLICY, 409, "50000", "", "order cannot go from %s to %s",
                           ostate, want);
        }
        json_object_set_new(order, "state", json_string(want));
    }
    order_state_stamp(f, s_version(rec), ts);
    json_object_set_new(order, "updated_at", json_string(ts));
    return 0;
}

static json_t *s_tag(const char *code, json_t *list)
{
    return json_pack("{s:s,s:o}", "code", code, "list", list);
}

static json_t *s_kv(const char *code, const char *value)
{
    return json_pack("{s:s,s:s}", "code", code, "value", value);
}

int order_cancel(store_t *s, MDB_txn *txn, json_t *rec, const char *by, const char *reason,
                 const char *ts, ondc_err_t *err)
{
    json_t *order = json_object_get(rec, "order");
    const char *ostate = json_string_value(json_object_get(order, "state"));
    if (!ostate || !order_transition_ok(ORDER_KIND_ORDER, ostate, "Cancelled"))
        return err_set(err, ERR_TYPE_POLICY, 409, ERR_CANCEL_NOT_POSSIBLE, "",
                       "order %s is %s and cannot be cancelled",
                       json_string_value(json_object_get(order, "id")), ostate ? ostate : "?");
    json_t *f = order_fulfillment(order);
    char pre[64] = "Pending", pre_at[40];
    snprintf(pre_at, sizeof pre_at, "%s", ts);
    json_t *rto = NULL;
    if (f) {
        snprintf(pre, sizeof pre, "%s", order_fstate(f));
        const char *was =
            json_string_value(json_object_get(json_object_get(f, "state"), "updated_at"));
        if (was)
            snprintf(pre_at, sizeof pre_at, "%s", was);
        int picked = !order_transition_ok(ORDER_KIND_FULFILLMENT, pre, "Cancelled");
        if (picked && !order_transition_ok(ORDER_KIND_FULFILLMENT, pre, "RTO-Initiated"))
            return err_set(err, ERR_TYPE_POLICY, 409, ERR_CANCEL_NOT_POSSIBLE, "",
                           "fulfillment is %s: the order cannot be cancelled", pre);
        /* the delivery is Cancelled; once picked up, the goods come back
         * on an RTO fulfillment of their own (retail 1.2.0) */
        json_object_set_new(
            f, "state",
            json_pack("{s:{s:s},s:s}", "descriptor", "code", "Cancelled", "updated_at", ts));
        order_state_stamp(f, s_version(rec), ts);
        if (picked) {
            rto = fulfillment_rto(f, ts);
            order_state_stamp(rto, s_version(rec), ts);
        }
        json_t *tags = json_object_get(f, "tags");
        if (!json_is_array(tags)) {
            tags = json_array();
            json_object_set_new(f, "tags", tags);
        }
        json_t *req = json_pack("[o,o]", s_kv("reason_id", reason), s_kv("initiated_by", by));
        if (rto)
            json_array_append_new(req,
                                  s_kv("rto_id", json_string_value(json_object_get(rto, "id"))));
        json_array_append_new(tags, s_tag("cancel_request", req));
        json_array_append_new(
            tags, s_tag("precancel_state", json_pack("[o,o]", s_kv("fulfillment_state", pre),
                                                     s_kv("updated_at", pre_at))));
    }
    const char *fid = f ? json_string_value(json_object_get(f, "id")) : NULL;
    char cid[96];
    if (rto)
        snprintf(cid, sizeof cid, "%s", json_string_value(json_object_get(rto, "id")));
    else
        snprintf(cid, sizeof cid, "C-%s", fid ? fid : "1");
    /* the quote trail: every row refunded; the quote drops to zero */
    json_t *trail = json_array();
    json_t *quote = json_object_get(order, "quote");
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(quote, "breakup"), i, row)
    {
        int64_t v = 0;
        money_parse_json(json_object_get(json_object_get(row, "price"), "value"), &v);
        if (v == 0)
            continue;
        char val[32];
        money_format(-v, val, sizeof val);
        const char *type = json_string_value(json_object_get(row, "@ondc/org/title_type"));
        const char *id = json_string_value(json_object_get(row, "@ondc/org/item_id"));
        /* retail 1.2.x: a trail's type is item, delivery, packing, tax or
         * misc; an offer's or a discount's row is misc (its id names it) */
        if (type && s_version(rec) && strncmp(s_version(rec), "1.2.", 4) == 0 &&
            strcmp(type, "item") != 0 &&
            strcmp(type, "delivery") != 0 && strcmp(type, "packing") != 0 &&
            strcmp(type, "tax") != 0)
            type = "misc";
        json_array_append_new(trail, s_tag("quote_trail",
                                           json_pack("[o,o,o,o]", s_kv("type", type ? type : "misc"),
                                                     s_kv("id", id ? id : ""),
                                                     s_kv("currency", "INR"), s_kv("value", val))));
        json_object_set_new(row, "price", money_json(0));
        if (json_object_get(row, "@ondc/org/item_quantity"))
            json_object_set_new(row, "@ondc/org/item_quantity", json_pack("{s:i}", "count", 0));
    }
    json_object_set_new(quote, "price", money_json(0));
    if (rto) {
        json_object_set_new(rto, "tags", trail);
        json_array_append_new(json_object_get(order, "fulfillments"), rto);
    } else {
        json_array_append_new(json_object_get(order, "fulfillments"),
                              json_pack("{s:s,s:s,s:{s:{s:s}},s:o}", "id", cid, "type", "Cancel",
                                        "state", "descriptor", "code", "Cancelled", "tags", trail));
    }
    /* the delivery's items move to the cancel (or RTO) fulfillment; rows
     * of an earlier part cancel or return keep their fulfillment and count */
    json_t *items = json_object_get(order, "items");
    json_t *nitems = json_array();
    json_array_foreach(items, i, row)
    {
        const char *rf = json_string_value(json_object_get(row, "fulfillment_id"));
        if (fid && rf && strcmp(rf, fid) != 0) {
            json_array_append(nitems, row);
            continue;
        }
        json_t *kept = json_copy(row);
        json_t *count = json_object_get(json_object_get(row, "quantity"), "count");
        json_object_set_new(kept, "quantity", json_pack("{s:i}", "count", 0));
        json_array_append_new(nitems, kept);
        int64_t n = catalog_count(count);
        if (n <= 0)
            continue; /* nothing of it was left to cancel */
        json_t *moved = json_copy(row);
        json_object_set_new(moved, "fulfillment_id", json_string(cid));
        json_object_set_new(moved, "quantity", json_pack("{s:I}", "count", (json_int_t)n));
        json_array_append_new(nitems, moved);
    }
    json_object_set_new(order, "items", nitems);
    json_object_set_new(order, "state", json_string("Cancelled"));
    json_object_set_new(order, "cancellation",
                        json_pack("{s:s,s:{s:s}}", "cancelled_by", by, "reason", "id", reason));
    json_object_set_new(order, "updated_at", json_string(ts));
    return order_stock_release(s, txn, rec);
}

json_t *order_wire(json_t *order, const char *action)
{
    json_t *o = json_copy(order);
    const char *st = json_string_value(json_object_get(o, "state"));
    if (strcmp(action, "on_cancel") == 0 || (st && strcmp(st, "Cancelled") == 0)) {
        json_object_del(o, "tags");
        json_object_del(o, "documents");
        {
            /* the cancelled delivery keeps only the cancellation's tag
             * groups, on on_cancel and every later message (ONDC's
             * on_cancel examples, the return to origin's too) */
            json_t *fuls = json_deep_copy(json_object_get(o, "fulfillments"));
            size_t i, j;
            json_t *f, *t;
            json_array_foreach(fuls, i, f)
            {
                json_t *tags = json_object_get(f, "tags");
                json_array_foreach(tags, j, t)
                {
                    const char *c = json_string_value(json_object_get(t, "code"));
                    if (c && (strcmp(c, "routing") == 0 || strcmp(c, "tracking") == 0)) {
                        json_array_remove(tags, j);
                        j--;
                    }
                }
            }
            json_object_set_new(o, "fulfillments", fuls);
        }
    }
    return o;
}

int order_send(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, const char *action,
               int64_t now_ms, uint64_t *outbox_id)
{
    json_t *ctx = reply_unsolicited_context(cfg, json_object_get(rec, "context"), action, now_ms);
    if (!ctx)
        return -1;
    json_t *msg = json_pack("{s:o}", "order", order_wire(json_object_get(rec, "order"), action));
    int rc = reply_put(s, txn, cfg, 0, 0, ctx, msg, NULL, now_ms, outbox_id);
    json_decref(msg);
    json_decref(ctx);
    return rc;
}

int order_accept(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, int64_t now_ms,
                 uint64_t *outbox_id, ondc_err_t *err)
{
    json_t *order = json_object_get(rec, "order");
    const char *st = json_string_value(json_object_get(order, "state"));
    if (!order_transition_ok(ORDER_KIND_ORDER, st, "Accepted"))
        return err_set(err, ERR_TYPE_POLICY, 409, "50000", "", "order is %s: it cannot be accepted",
                       st ? st : "?");
    char ts[40];
    context_format_time(now_ms, ts, sizeof ts);
    json_object_set_new(order, "state", json_string("Accepted"));
    json_object_set_new(order, "updated_at", json_string(ts));
    if (order_put(s, txn, rec) < 0 || order_send(s, txn, cfg, rec, "on_status", now_ms, outbox_id) < 0)
        return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not store the order");
    return 0;
}

int order_reject(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, const char *reason,
                 int64_t now_ms, uint64_t *outbox_id, ondc_err_t *err)
{
    char ts[40];
    context_format_time(now_ms, ts, sizeof ts);
    if (order_cancel(s, txn, rec, cfg->subscriber_id, reason, ts, err) < 0)
        return -1;
    if (order_put(s, txn, rec) < 0 || order_send(s, txn, cfg, rec, "on_cancel", now_ms, outbox_id) < 0)
        return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not store the order");
    return 0;
}

/* s_row - the quote row of TYPE for item IID, borrowed; NULL if none. */
static json_t *s_row(json_t *quote, const char *type, const char *iid)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(quote, "breakup"), i, row)
    {
        const char *t = json_string_value(json_object_get(row, "@ondc/org/title_type"));
        const char *id = json_string_value(json_object_get(row, "@ondc/org/item_id"));
        if (t && id && strcmp(t, type) == 0 && strcmp(id, iid) == 0)
            return row;
    }
    return NULL;
}

static int64_t s_money(json_t *price_holder)
{
    int64_t v = 0;
    money_parse_json(json_object_get(json_object_get(price_holder, "price"), "value"), &v);
    return v;
}

/* s_take - take N units of item IID off REC's quote (item row and its tax
 * row, pro rata), appending the quote_trail tags to TRAIL; -1 when the
 * quote has fewer than N. */
static int s_take(json_t *rec, const char *iid, int64_t n, json_t *trail)
{
    json_t *order = json_object_get(rec, "order");
    json_t *quote = json_object_get(order, "quote");
    json_t *row = s_row(quote, "item", iid);
    int64_t had = row ? catalog_count(json_object_get(json_object_get(row, "@ondc/org/item_quantity"), "count")) : -1;
    if (had < n || n < 1)
        return -1;
    int64_t line = s_money(row), cut = had ? line * n / had : 0;
    int64_t total = 0;
    money_parse_json(json_object_get(json_object_get(quote, "price"), "value"), &total);
    char buf[32];
    json_object_set_new(row, "@ondc/org/item_quantity",
                        json_pack("{s:I}", "count", (json_int_t)(had - n)));
    json_object_set_new(row, "price", money_json(line - cut));
    money_format(-cut, buf, sizeof buf);
    json_array_append_new(trail, s_tag("quote_trail", json_pack("[o,o,o,o]", s_kv("type", "item"),
                                                                s_kv("id", iid), s_kv("currency", "INR"),
                                                                s_kv("value", buf))));
    total -= cut;
    json_t *tax = s_row(quote, "tax", iid);
    if (tax) {
        int64_t t = s_money(tax), tcut = had ? (t * n + had / 2) / had : 0;
        json_object_set_new(tax, "price", money_json(t - tcut));
        money_format(-tcut, buf, sizeof buf);
        json_array_append_new(trail, s_tag("quote_trail", json_pack("[o,o,o,o]", s_kv("type", "tax"),
                                                                    s_kv("id", iid), s_kv("currency", "INR"),
                                                                    s_kv("value", buf))));
        total -= tcut;
    }
    json_object_set_new(quote, "price", money_json(total));
    return 0;
}

/* s_split - move N units of IID from fulfillment FROM to fulfillment TO in
 * the order's items. */
static void s_split(json_t *order, const char *iid, const char *from, const char *to, int64_t n)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(order, "items"), i, it)
    {
        const char *id = json_string_value(json_object_get(it, "id"));
        const char *fid = json_string_value(json_object_get(it, "fulfillment_id"));
        if (!id || strcmp(id, iid) != 0 || (fid && from && strcmp(fid, from) != 0))
            continue;
        int64_t c = catalog_count(json_object_get(json_object_get(it, "quantity"), "count"));
        json_object_set_new(it, "quantity", json_pack("{s:I}", "count", (json_int_t)(c - n)));
        json_t *moved = json_copy(it);
        json_object_set_new(moved, "fulfillment_id", json_string(to));
        json_object_set_new(moved, "quantity", json_pack("{s:I}", "count", (json_int_t)n));
        json_array_append_new(json_object_get(order, "items"), moved);
        return;
    }
}

int order_part_cancel(store_t *s, MDB_txn *txn, json_t *rec, const char *iid, int64_t n,
                      const char *reason, const char *by, const char *ts, ondc_err_t *err)
{
    json_t *order = json_object_get(rec, "order");
    json_t *f = order_fulfillment(order);
    const char *fs = order_fstate(f);
    if (!f || !order_transition_ok(ORDER_KIND_FULFILLMENT, fs, "Cancelled"))
        return err_set(err, ERR_TYPE_POLICY, 409, ERR_UPDATE_NOT_POSSIBLE, "",
                       "the order is %s: items can no longer be cancelled", fs[0] ? fs : "closed");
    json_t *trail = json_array();
    if (s_take(rec, iid, n, trail) < 0) {
        json_decref(trail);
        return err_set(err, ERR_TYPE_POLICY, 400, ERR_UPDATE_NOT_POSSIBLE, "count",
                       "the order does not have %lld of item %s", (long long)n, iid);
    }
    size_t nf = json_array_size(json_object_get(order, "fulfillments"));
    char cid[32];
    snprintf(cid, sizeof cid, "C%zu", nf);
    json_t *tags = json_pack("[{s:s,s:[o,o]}]", "code", "cancel_request", "list",
                             s_kv("reason_id", reason), s_kv("initiated_by", by));
    json_array_extend(tags, trail);
    json_decref(trail);
    json_array_append_new(json_object_get(order, "fulfillments"),
                          json_pack("{s:s,s:s,s:{s:{s:s},s:s},s:o}", "id", cid, "type", "Cancel",
                                    "state", "descriptor", "code", "Cancelled", "updated_at", ts,
                                    "tags", tags));
    s_split(order, iid, json_string_value(json_object_get(f, "id")), cid, n);
    json_object_set_new(order, "updated_at", json_string(ts));
    /* the units go back on the shelf */
    const char *pid = json_string_value(json_object_get(json_object_get(order, "provider"), "id"));
    if (pid && catalog_stock_add(s, txn, pid, iid, n) < 0)
        return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not release the stock");
    json_t *res = json_object_get(rec, "reserved");
    json_t *r = json_object_get(res, iid);
    if (json_is_integer(r))
        json_object_set_new(res, iid, json_integer(json_integer_value(r) - n));
    return 0;
}

static json_t *s_return_ful(json_t *order, const char *rid)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(order, "fulfillments"), i, f)
    {
        const char *t = json_string_value(json_object_get(f, "type"));
        const char *id = json_string_value(json_object_get(f, "id"));
        if (t && id && strcmp(t, "Return") == 0 && strcmp(id, rid) == 0)
            return f;
    }
    return NULL;
}

int order_return_advance(store_t *s, MDB_txn *txn, json_t *rec, const char *rid, const char *to,
                         const char *reason, const char *ts, ondc_err_t *err)
{
    json_t *order = json_object_get(rec, "order");
    json_t *rf = s_return_ful(order, rid);
    if (!rf)
        return err_set(err, ERR_TYPE_POLICY, 404, "50007", "", "no return %s on this order", rid);
    if (order_set_fstate(rf, ORDER_KIND_RETURN, to, ts, err) < 0)
        return -1;
    json_t *rtags = json_object_get(rf, "tags");
    const char *iid = tags_lookup(rtags, "return_request", "item_id");
    const char *qty = tags_lookup(rtags, "return_request", "item_quantity");
    int64_t n = qty ? strtoll(qty, NULL, 10) : 0;
    json_t *f = order_fulfillment(order);
    if (strcmp(to, "Return_Approved") == 0 && f) {
        /* picked up from the buyer within a day of the approval, back to
         * the store */
        json_t *end = json_object_get(json_object_get(f, "end"), "location");
        json_t *start = json_object_get(json_object_get(f, "start"), "location");
        json_t *rs = json_object();
        if (end)
            json_object_set(rs, "location", end);
        if (json_object_get(json_object_get(f, "end"), "contact"))
            json_object_set(rs, "contact", json_object_get(json_object_get(f, "end"), "contact"));
        char until[40];
        context_format_time(context_parse_time(ts) + 86400000LL, until, sizeof until);
        json_object_set_new(rs, "time",
                            json_pack("{s:{s:s,s:s}}", "range", "start", ts, "end", until));
        json_object_set_new(rf, "start", rs);
        json_t *re = json_object();
        if (start)
            json_object_set(re, "location", start);
        if (json_object_get(json_object_get(f, "start"), "contact"))
            json_object_set(re, "contact", json_object_get(json_object_get(f, "start"), "contact"));
        json_object_set_new(rf, "end", re);
    }
    if (strcmp(to, "Return_Rejected") == 0 && reason)
        json_object_set_new(json_object_get(json_object_get(rf, "state"), "descriptor"), "short_desc",
                            json_string(reason));
    if ((strcmp(to, "Return_Picked") == 0 || strcmp(to, "Liquidated") == 0) && iid && n > 0) {
        /* the refund: the quote loses the returned units */
        json_t *trail = json_array();
        if (s_take(rec, iid, n, trail) < 0) {
            json_decref(trail);
            return err_set(err, ERR_TYPE_POLICY, 409, ERR_UPDATE_NOT_POSSIBLE, "",
                           "the order no longer has %lld of item %s", (long long)n, iid);
        }
        json_t *tags = json_object_get(rf, "tags");
        json_array_extend(tags, trail);
        json_decref(trail);
        s_split(order, iid, f ? json_string_value(json_object_get(f, "id")) : NULL, rid, n);
        if (strcmp(to, "Return_Picked") == 0)
            fulfillment_stamp(rf, "start", ts);
    }
    if (strcmp(to, "Return_Delivered") == 0 && iid && n > 0) {
        const char *pid = json_string_value(json_object_get(json_object_get(order, "provider"), "id"));
        if (pid && catalog_stock_add(s, txn, pid, iid, n) < 0)
            return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not restock");
        fulfillment_stamp(rf, "end", ts);
    }
    json_object_set_new(order, "updated_at", json_string(ts));
    return 0;
}
