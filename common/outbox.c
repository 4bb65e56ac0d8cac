/*
 * outbox.c - outbox rows and delivery state. See outbox.h.
 *
 * Row layout (host byte order): hdr_t | action | txn id | msg id | url \0 | body
 */
#include "outbox.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    uint8_t version;
    uint8_t action_len;
    uint16_t txn_len;
    uint16_t msg_len;
    uint16_t url_len;
    uint32_t body_len;
    uint32_t pad;
    uint64_t journal_id;
    int64_t created_ms;
    int64_t deadline_ms;
    int64_t request_ms;
} s_hdr_t;

typedef struct {
    uint8_t status;
    uint8_t pad[3];
    uint32_t attempts;
    int32_t http_status;
    uint32_t pad2;
    int64_t next_try_ms;
    int64_t last_try_ms;
    int64_t deadline_ms;
    char answer[200];
} s_state_t;

static const char *s_status_names[] = {"pending", "delivered", "nacked", "dead"};

const char *outbox_status_name(int status)
{
    return status >= 0 && status <= OUTBOX_DEAD ? s_status_names[status] : "?";
}

int outbox_put(store_t *s, MDB_txn *txn, const outbox_row_t *row, uint64_t *id)
{
    size_t al = strlen(row->action), tl = strlen(row->transaction_id),
           ml = strlen(row->message_id), ul = strlen(row->url) + 1;
    if (al > 255 || tl > 255 || ml > 255 || ul > 65535)
        return MDB_BAD_VALSIZE;
    uint64_t oid = store_next_id(s, txn, DB_OUTBOX);
    if (!oid)
        return MDB_BAD_TXN;
    unsigned char kb[8];
    store_key64(kb, oid);
    MDB_val k = {8, kb}, v = {sizeof(s_hdr_t) + al + tl + ml + ul + row->body_len, NULL};
    int rc = mdb_put(txn, s->dbi[DB_OUTBOX], &k, &v, MDB_RESERVE);
    if (rc)
        return rc;
    s_hdr_t h = {.version = 1,
                 .action_len = (uint8_t)al,
                 .txn_len = (uint16_t)tl,
                 .msg_len = (uint16_t)ml,
                 .url_len = (uint16_t)ul,
                 .body_len = (uint32_t)row->body_len,
                 .journal_id = row->journal_id,
                 .created_ms = row->created_ms,
                 .deadline_ms = row->deadline_ms,
                 .request_ms = row->request_ms};
    char *p = v.mv_data;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    memcpy(p, row->action, al);
    p += al;
    memcpy(p, row->transaction_id, tl);
    p += tl;
    memcpy(p, row->message_id, ml);
    p += ml;
    memcpy(p, row->url, ul);
    p += ul;
    memcpy(p, row->body, row->body_len);
    outbox_state_t st = {.id = oid,
                         .status = OUTBOX_PENDING,
                         .next_try_ms = row->created_ms,
                         .deadline_ms = row->deadline_ms};
    if ((rc = outbox_state_put(s, txn, &st)) != 0)
        return rc;
    *id = oid;
    return 0;
}

int outbox_raw(store_t *s, MDB_txn *txn, uint64_t id, MDB_val *out)
{
    unsigned char kb[8];
    store_key64(kb, id);
    MDB_val k = {8, kb};
    return mdb_get(txn, s->dbi[DB_OUTBOX], &k, out);
}

int outbox_get(store_t *s, MDB_txn *txn, uint64_t id, outbox_row_t *out)
{
    MDB_val v;
    int rc = outbox_raw(s, txn, id, &v);
    if (rc)
        return rc;
    return outbox_decode(id, v.mv_data, v.mv_size, out);
}

int outbox_decode(uint64_t id, const void *data, size_t size, outbox_row_t *out)
{
    MDB_val v = {size, (void *)data};
    s_hdr_t h;
    if (v.mv_size < sizeof h)
        return MDB_CORRUPTED;
    memcpy(&h, v.mv_data, sizeof h);
    if (sizeof h + (size_t)h.action_len + h.txn_len + h.msg_len + h.url_len + h.body_len !=
            v.mv_size ||
        h.action_len >= sizeof out->action || h.txn_len > 255 || h.msg_len > 255 ||
        h.url_len == 0)
        return MDB_CORRUPTED;
    memset(out, 0, sizeof *out);
    const char *p = (const char *)v.mv_data + sizeof h;
    out->id = id;
    out->journal_id = h.journal_id;
    out->created_ms = h.created_ms;
    out->deadline_ms = h.deadline_ms;
    out->request_ms = h.request_ms;
    memcpy(out->action, p, h.action_len);
    p += h.action_len;
    memcpy(out->transaction_id, p, h.txn_len);
    p += h.txn_len;
    memcpy(out->message_id, p, h.msg_len);
    p += h.msg_len;
    out->url = p;
    if (p[h.url_len - 1] != '\0')
        return MDB_CORRUPTED;
    p += h.url_len;
    out->body = p;
    out->body_len = h.body_len;
    return 0;
}

static void s_state_decode(uint64_t id, const s_state_t *in, outbox_state_t *out)
{
    memset(out, 0, sizeof *out);
    out->id = id;
    out->status = in->status;
    out->attempts = in->attempts;
    out->http_status = in->http_status;
    out->next_try_ms = in->next_try_ms;
    out->last_try_ms = in->last_try_ms;
    out->deadline_ms = in->deadline_ms;
    memcpy(out->answer, in->answer, sizeof out->answer);
    out->answer[sizeof out->answer - 1] = '\0';
}

int outbox_state_get(store_t *s, MDB_txn *txn, uint64_t id, outbox_state_t *out)
{
    unsigned char kb[8];
    store_key64(kb, id);
    MDB_val k = {8, kb}, v;
    int rc = mdb_get(txn, s->dbi[DB_OSTATE], &k, &v);
    if (rc)
        return rc;
    s_state_t st;
    if (v.mv_size != sizeof st)
        return MDB_CORRUPTED;
    memcpy(&st, v.mv_data, sizeof st);
    s_state_decode(id, &st, out);
    return 0;
}

int outbox_state_put(store_t *s, MDB_txn *txn, const outbox_state_t *in)
{
    s_state_t st;
    memset(&st, 0, sizeof st);
    st.status = (uint8_t)in->status;
    st.attempts = in->attempts;
    st.http_status = in->http_status;
    st.next_try_ms = in->next_try_ms;
    st.last_try_ms = in->last_try_ms;
    st.deadline_ms = in->deadline_ms;
    snprintf(st.answer, sizeof st.answer, "%s", in->answer);
    unsigned char kb[8];
    store_key64(kb, in->id);
    MDB_val k = {8, kb}, v = {sizeof st, &st};
    int rc = mdb_put(txn, s->dbi[DB_OSTATE], &k, &v, 0);
    if (rc)
        return rc;
    /* the index of pending rows: what the callback's scans read */
    if (in->status == OUTBOX_PENDING) {
        MDB_val none = {0, (void *)""};
        return mdb_put(txn, s->dbi[DB_OPENDING], &k, &none, 0);
    }
    rc = mdb_del(txn, s->dbi[DB_OPENDING], &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* s_pending_each - the pending rows, from their index. */
static int s_pending_each(store_t *s, MDB_txn *txn, outbox_state_fn *fn, void *arg)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[DB_OPENDING], &cur);
    if (rc)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        outbox_state_t out;
        if (k.mv_size != 8 || outbox_state_get(s, txn, store_get64(&k), &out) != 0 ||
            out.status != OUTBOX_PENDING)
            continue;
        if (fn(&out, arg))
            break;
    }
    mdb_cursor_close(cur);
    return 0;
}

int outbox_state_each(store_t *s, MDB_txn *txn, int status, outbox_state_fn *fn, void *arg)
{
    if (status == OUTBOX_PENDING)
        return s_pending_each(s, txn, fn, arg);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[DB_OSTATE], &cur);
    if (rc)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        s_state_t st;
        if (v.mv_size != sizeof st)
            continue;
        memcpy(&st, v.mv_data, sizeof st);
        if (status >= 0 && st.status != status)
            continue;
        outbox_state_t out;
        s_state_decode(store_get64(&k), &st, &out);
        if (fn(&out, arg))
            break;
    }
    mdb_cursor_close(cur);
    return 0;
}

int outbox_prune(store_t *s, MDB_txn *txn, int64_t before_ms, int limit)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_OUTBOX], &cur))
        return 0;
    int n = 0;
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0 && n < limit) {
        s_hdr_t h;
        if (v.mv_size < sizeof h)
            break;
        memcpy(&h, v.mv_data, sizeof h);
        if (h.created_ms >= before_ms)
            break;
        outbox_state_t st;
        if (outbox_state_get(s, txn, store_get64(&k), &st) == 0 && st.status == OUTBOX_PENDING) {
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            continue;
        }
        unsigned char kb[8];
        memcpy(kb, k.mv_data, 8);
        MDB_val sk = {8, kb};
        mdb_del(txn, s->dbi[DB_OSTATE], &sk, NULL);
        mdb_del(txn, s->dbi[DB_OPENDING], &sk, NULL);
        mdb_cursor_del(cur, 0);
        n++;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return n;
}
