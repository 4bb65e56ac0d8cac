/*
 * buyer.c - the buyer role's records and the answers it keeps. See buyer.h.
 */
#include "buyer.h"

#include "jarena.h"

#include "context.h"
#include "outbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s_jfree - free a text json_dumps made: it may come from a worker's
 * arena (jarena.h), so it goes back through jansson's free */
static void s_jfree(void *p)
{
    json_free_t f = NULL;
    json_get_alloc_funcs(NULL, &f);
    if (p)
        (f ? f : free)(p);
}

#define US '\x1f'

/* s_key - "{kind}{bap}US{id}" into BUF; its length, or 0 when too long. */
static size_t s_key(char *buf, size_t cap, char kind, const char *bap, const char *id)
{
    int n = snprintf(buf, cap, "%c%s%c%s", kind, bap, US, id);
    return n < 0 || (size_t)n >= cap || n > 500 ? 0 : (size_t)n;
}

json_t *buyer_get(store_t *s, MDB_txn *txn, char kind, const char *bap, const char *id)
{
    char kb[600];
    size_t kl = s_key(kb, sizeof kb, kind, bap, id);
    MDB_val k = {kl, kb}, v;
    if (!kl || mdb_get(txn, s->dbi[DB_BUYER], &k, &v) != 0)
        return NULL;
    return json_loadb(v.mv_data, v.mv_size, 0, NULL);
}

int buyer_put(store_t *s, MDB_txn *txn, char kind, const char *bap, const char *id, json_t *rec)
{
    char kb[600];
    size_t kl = s_key(kb, sizeof kb, kind, bap, id);
    if (!kl)
        return MDB_BAD_VALSIZE;
    char *text = json_dumps(rec, JSON_COMPACT);
    if (!text)
        return ENOMEM;
    MDB_val k = {kl, kb}, v = {strlen(text), text};
    int rc = mdb_put(txn, s->dbi[DB_BUYER], &k, &v, 0);
    s_jfree(text);
    return rc;
}

int buyer_order_txn(store_t *s, MDB_txn *txn, const char *bap, const char *order_id, char *out,
                    size_t outlen)
{
    char kb[600];
    size_t kl = s_key(kb, sizeof kb, 'o', bap, order_id);
    MDB_val k = {kl, kb}, v;
    if (!kl || mdb_get(txn, s->dbi[DB_BUYER], &k, &v) != 0 || v.mv_size >= outlen)
        return -1;
    memcpy(out, v.mv_data, v.mv_size);
    out[v.mv_size] = '\0';
    return 0;
}

json_t *buyer_answers(store_t *s, MDB_txn *txn, const char *bap, const char *transaction_id,
                      const char *message_id, uint64_t after)
{
    json_t *out = json_array();
    char kb[600];
    size_t pl = s_key(kb, sizeof kb - 9, 'a', bap, transaction_id);
    if (!pl)
        return out;
    kb[pl++] = US;
    unsigned char idb[8];
    store_key64(idb, after + 1);
    memcpy(kb + pl, idb, 8);
    MDB_cursor *c;
    if (mdb_cursor_open(txn, s->dbi[DB_BUYER], &c) != 0)
        return out;
    MDB_val k = {pl + 8, kb}, v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size == pl + 8 && memcmp(k.mv_data, kb, pl) == 0) {
        json_t *a = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        MDB_val idv = {8, (char *)k.mv_data + pl};
        if (a) {
            json_object_set_new(a, "seq", json_integer((json_int_t)store_get64(&idv)));
            const char *mid = json_string_value(json_object_get(a, "message_id"));
            if (!message_id || (mid && strcmp(mid, message_id) == 0))
                json_array_append(out, a);
            json_decref(a);
        }
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return out;
}

json_t *buyer_merge_search(json_t *answers)
{
    json_t *by = json_object(); /* bpp_id -> merged */
    json_t *order = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(answers, i, a)
    {
        json_t *body = json_object_get(a, "body");
        json_t *ctx = json_object_get(body, "context");
        const char *bpp = context_str(ctx, "bpp_id");
        if (!bpp)
            continue;
        json_t *m = json_object_get(by, bpp);
        if (!m) {
            m = json_pack("{s:s,s:s?,s:i,s:{s:[]}}", "bpp_id", bpp, "bpp_uri",
                          context_str(ctx, "bpp_uri"), "pages", 0, "catalog", "bpp/providers");
            json_object_set_new(by, bpp, m);
            json_array_append_new(order, json_string(bpp));
        }
        json_object_set_new(m, "pages", json_integer(json_integer_value(json_object_get(m, "pages")) + 1));
        json_t *cat = json_object_get(json_object_get(body, "message"), "catalog");
        json_t *mc = json_object_get(m, "catalog");
        const char *key;
        json_t *v;
        json_object_foreach(cat, key, v)
        {
            if (strcmp(key, "bpp/providers") == 0 && json_is_array(v))
                json_array_extend(json_object_get(mc, "bpp/providers"), v);
            else if (!json_object_get(mc, key))
                json_object_set(mc, key, v);
        }
        if (json_object_get(body, "error"))
            json_object_set(m, "error", json_object_get(body, "error"));
    }
    json_t *out = json_array();
    json_array_foreach(order, i, a) json_array_append(out, json_object_get(by, json_string_value(a)));
    json_decref(by);
    json_decref(order);
    return out;
}

static int s_err(ondc_err_t *err, const char *path, const char *msg)
{
    return err_set(err, ERR_TYPE_CONTEXT, 400, BUYER_ERR_INVALID_RESPONSE, path, "%s", msg);
}

int buyer_check_answer(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *root, int action,
                       ondc_err_t *err)
{
    json_t *ctx = json_object_get(root, "context");
    const char *bap = context_str(ctx, "bap_id"), *bpp = context_str(ctx, "bpp_id");
    const char *tid = context_str(ctx, "transaction_id"), *mid = context_str(ctx, "message_id");
    if (!bap || strcmp(bap, cfg->buyer_subscriber_id) != 0)
        return s_err(err, "context.bap_id", "context.bap_id is not this buyer app");
    int asked = action - ACT_ON_BASE;
    json_t *m = buyer_get(s, txn, 'm', bap, mid);
    if (m) {
        const char *ra = json_string_value(json_object_get(m, "action"));
        const char *rt = json_string_value(json_object_get(m, "transaction_id"));
        const char *rb = json_string_value(json_object_get(m, "bpp_id"));
        int rc = 0;
        if (!ra || strcmp(ra, context_action_name((action_t)asked)) != 0)
            rc = s_err(err, "context.action", "answers a request of another action");
        else if (!rt || strcmp(rt, tid) != 0)
            rc = s_err(err, "context.transaction_id",
                       "message_id was sent in another transaction");
        else if (rb && strcmp(rb, bpp) != 0)
            rc = s_err(err, "context.bpp_id", "the request was not sent to this seller");
        json_decref(m);
        return rc;
    }
    /* unsolicited: only what a seller may say of its own order, unasked */
    if (asked != ACT_STATUS && asked != ACT_UPDATE && asked != ACT_CANCEL)
        return s_err(err, "context.message_id", "answers no request of this buyer app");
    json_t *t = buyer_get(s, txn, 't', bap, tid);
    const char *tb = json_string_value(json_object_get(t, "bpp_id"));
    int rc = 0;
    if (!t)
        rc = s_err(err, "context.transaction_id", "no transaction of this buyer app");
    else if (!json_is_string(json_object_get(t, "order_id")))
        rc = s_err(err, "context.transaction_id", "no order confirmed in this transaction");
    else if (!tb || strcmp(tb, bpp) != 0)
        rc = s_err(err, "context.bpp_id", "the order of this transaction is another seller's");
    json_decref(t);
    return rc;
}

int buyer_take_answer(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *root,
                      uint64_t journal_id, int64_t received_ms)
{
    (void)cfg;
    json_t *ctx = json_object_get(root, "context");
    const char *bap = context_str(ctx, "bap_id"), *bpp = context_str(ctx, "bpp_id");
    const char *tid = context_str(ctx, "transaction_id"), *mid = context_str(ctx, "message_id");
    const char *act = context_str(ctx, "action");
    if (!bap || !bpp || !tid || !mid || !act)
        return 0; /* the ingress checked it: nothing to keep */
    json_t *m = buyer_get(s, txn, 'm', bap, mid);
    json_t *a = json_pack("{s:I,s:s,s:s,s:s,s:b,s:O}", "received_ms", (json_int_t)received_ms,
                          "action", act, "message_id", mid, "bpp_id", bpp, "solicited", m != NULL,
                          "body", root);
    json_decref(m);
    char kb[600];
    size_t pl = s_key(kb, sizeof kb - 9, 'a', bap, tid);
    if (!pl || !a) {
        json_decref(a);
        return MDB_BAD_VALSIZE;
    }
    kb[pl++] = US;
    store_key64((unsigned char *)kb + pl, journal_id);
    char *text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    if (!text)
        return ENOMEM;
    MDB_val k = {pl + 8, kb}, v = {strlen(text), text};
    int rc = mdb_put(txn, s->dbi[DB_BUYER], &k, &v, 0);
    s_jfree(text);
    if (rc)
        return rc;
    /* the transaction: who answered, and the order as last described */
    json_t *t = buyer_get(s, txn, 't', bap, tid);
    if (!t)
        t = json_object();
    json_t *sellers = json_object_get(t, "sellers");
    if (!json_is_object(sellers)) {
        sellers = json_object();
        json_object_set_new(t, "sellers", sellers);
    }
    const char *bpp_uri = context_str(ctx, "bpp_uri");
    if (bpp_uri && !json_object_get(sellers, bpp))
        json_object_set_new(sellers, bpp, json_string(bpp_uri));
    json_t *order = json_object_get(json_object_get(root, "message"), "order");
    const char *oid = json_string_value(json_object_get(order, "id"));
    json_t *last = json_object_get(t, "order_seq");
    if (json_is_object(order) && (!last || (uint64_t)json_integer_value(last) < journal_id)) {
        json_object_set(t, "order", order);
        json_object_set_new(t, "order_seq", json_integer((json_int_t)journal_id));
        json_object_set_new(t, "order_from", json_string(act));
        if (oid && !json_is_string(json_object_get(t, "order_id"))) {
            json_object_set_new(t, "order_id", json_string(oid));
            json_object_set_new(t, "bpp_id", json_string(bpp));
        }
    }
    json_object_set_new(t, "last", json_integer((json_int_t)journal_id));
    rc = buyer_put(s, txn, 't', bap, tid, t);
    json_decref(t);
    if (rc == 0 && oid) {
        size_t kl = s_key(kb, sizeof kb, 'o', bap, oid);
        MDB_val ok = {kl, kb}, ov = {strlen(tid), (void *)tid};
        rc = kl ? mdb_put(txn, s->dbi[DB_BUYER], &ok, &ov, 0) : 0;
    }
    return rc;
}

int buyer_webhook_put(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *root,
                      uint64_t journal_id, int64_t now_ms, uint64_t *id)
{
    *id = 0;
    if (!cfg->buyer_webhook_url[0])
        return 0;
    json_t *ctx = json_object_get(root, "context");
    const char *tid = context_str(ctx, "transaction_id"), *mid = context_str(ctx, "message_id");
    json_t *ev = json_pack("{s:s?,s:s?,s:s?,s:I,s:O}", "event", context_str(ctx, "action"),
                           "transaction_id", tid, "message_id", mid, "seq",
                           (json_int_t)journal_id, "body", root);
    char *body = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    if (!body)
        return -1;
    outbox_row_t row;
    memset(&row, 0, sizeof row);
    row.created_ms = row.request_ms = now_ms;
    row.deadline_ms = now_ms + (int64_t)cfg->callback_max_age_s * 1000;
    snprintf(row.action, sizeof row.action, "webhook");
    snprintf(row.transaction_id, sizeof row.transaction_id, "%s", tid ? tid : "");
    snprintf(row.message_id, sizeof row.message_id, "%s", mid ? mid : "");
    row.url = cfg->buyer_webhook_url;
    row.body = body;
    row.body_len = strlen(body);
    int rc = outbox_put(s, txn, &row, id) == 0 ? 0 : -1;
    s_jfree(body);
    return rc;
}
