/*
 * outbox.c - outbox rows and delivery state. See outbox.h.
 *
 * Row layout (host byte order): hdr_t | action | txn id | msg id | url \0 | body
 * where the url field may hold further header lines after the url's NUL
 * (url \0 headers \0; url_len counts both), read back as row->headers: a
 * row without them is as it always was.
 *
 * Version 1 stores the body as it is; version 2 stores it LZ4-compressed
 * (stored_len bytes that expand to body_len), version 3 packed (pack.h:
 * LZ4 over dictionary 1), which rows are written in now; versions 1 and 2
 * are read as ever. A body of OUTBOX_PACK_MIN
 * bytes or more is packed when that saves an eighth or more: an on_init
 * then sits in a B-tree leaf beside others instead of taking an overflow
 * page of its own, and an on_search page of a large catalog shrinks several
 * times (the sizes: docs/performance-log.md). Fewer pages written is less
 * flush time under the store's one write lock.
 */
#include "outbox.h"
#include "pack.h"
#include "scan.h"

#include <errno.h>
#include <lz4.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t version;
    uint8_t action_len;
    uint16_t txn_len;
    uint16_t msg_len;
    uint16_t url_len;
    uint32_t body_len;   /* the body's length */
    uint32_t stored_len; /* its length as stored (version 2: compressed) */
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

/* A state row is stored as s_state_t up to its answer, then the answer's
 * bytes without the NUL: S_STATE_HEAD to S_STATE_HEAD + 199 bytes. A row of
 * sizeof(s_state_t) bytes is one written before (the whole struct, the
 * answer NUL-padded): read as ever. */
#define S_STATE_HEAD offsetof(s_state_t, answer)

static const char *s_status_names[] = {"pending", "delivered", "nacked", "dead"};

const char *outbox_status_name(int status)
{
    return status >= 0 && status <= OUTBOX_DEAD ? s_status_names[status] : "?";
}

static int s_state_write(store_t *s, MDB_txn *txn, const outbox_state_t *in, unsigned flags);

int outbox_put(store_t *s, MDB_txn *txn, const outbox_row_t *row, uint64_t *id)
{
    size_t al = strlen(row->action), tl = strlen(row->transaction_id),
           ml = strlen(row->message_id), ul = strlen(row->url) + 1;
    size_t hl = row->headers && row->headers[0] ? strlen(row->headers) + 1 : 0;
    ul += hl;
    if (al > 255 || tl > 255 || ml > 255 || ul > 65535)
        return MDB_BAD_VALSIZE;
    if (row->body_len > (size_t)LZ4_MAX_INPUT_SIZE)
        return MDB_BAD_VALSIZE;
    uint64_t oid = store_next_id(s, txn, DB_OUTBOX);
    if (!oid)
        return MDB_BAD_TXN;
    /* the body packed (pack.h), when that is worth it */
    char *packed = NULL;
    size_t stored = row->body_len;
    if (row->body_len >= OUTBOX_PACK_MIN && pack_body(row->body, row->body_len, &packed, &stored) == 0)
        stored = row->body_len;
    unsigned char kb[8];
    store_key64(kb, oid);
    MDB_val k = {8, kb}, v = {sizeof(s_hdr_t) + al + tl + ml + ul + stored, NULL};
    /* ids only grow: appended, the leaf pages fill up (a plain put splits
     * the last page in two, which leaves a row of 1-2 KB a page to itself) */
    int rc = mdb_put(txn, s->dbi[DB_OUTBOX], &k, &v, MDB_RESERVE | MDB_APPEND);
    if (rc == MDB_KEYEXIST) /* not the largest key: plain put */
        rc = mdb_put(txn, s->dbi[DB_OUTBOX], &k, &v, MDB_RESERVE);
    if (rc) {
        free(packed);
        return rc;
    }
    s_hdr_t h = {.version = packed ? 3 : 1,
                 .action_len = (uint8_t)al,
                 .txn_len = (uint16_t)tl,
                 .msg_len = (uint16_t)ml,
                 .url_len = (uint16_t)ul,
                 .body_len = (uint32_t)row->body_len,
                 .stored_len = (uint32_t)stored,
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
    memcpy(p, row->url, ul - hl);
    if (hl)
        memcpy(p + ul - hl, row->headers, hl);
    p += ul;
    memcpy(p, packed ? packed : row->body, stored);
    free(packed);
    outbox_state_t st = {.id = oid,
                         .status = OUTBOX_PENDING,
                         .next_try_ms = row->created_ms,
                         .deadline_ms = row->deadline_ms};
    if ((rc = s_state_write(s, txn, &st, MDB_APPEND)) != 0)
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
    /* version 1 rows from before stored_len existed have 0 there */
    size_t stored = h.version >= 2 ? h.stored_len : h.body_len;
    if (h.version < 1 || h.version > 3 ||
        (h.version >= 2 && (h.stored_len > (uint32_t)LZ4_MAX_INPUT_SIZE ||
                            h.body_len > (uint32_t)LZ4_MAX_INPUT_SIZE)) ||
        sizeof h + (size_t)h.action_len + h.txn_len + h.msg_len + h.url_len + stored !=
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
    size_t ulen = strlen(p);
    if (ulen + 1 < h.url_len)
        out->headers = p + ulen + 1;
    p += h.url_len;
    out->body = p;
    out->body_len = h.body_len;
    if (h.version == 3) {
        /* expanded into a buffer of its own (outbox_row_clear frees it) */
        int corrupt = 0;
        out->owned = pack_dup(p, h.stored_len, h.body_len, &corrupt);
        if (!out->owned)
            return corrupt ? MDB_CORRUPTED : ENOMEM;
        out->body = out->owned;
    } else if (h.version == 2) {
        /* expanded into a buffer of its own (outbox_row_clear frees it) */
        char *body = malloc(h.body_len ? h.body_len : 1);
        if (!body)
            return ENOMEM;
        if (LZ4_decompress_safe(p, body, (int)h.stored_len, (int)h.body_len) != (int)h.body_len) {
            free(body);
            return MDB_CORRUPTED;
        }
        out->owned = body;
        out->body = body;
    }
    return 0;
}

void outbox_row_clear(outbox_row_t *row)
{
    free(row->owned);
    row->owned = NULL;
    row->body = NULL;
    row->body_len = 0;
}

/* s_state_read - the state row V into ST (either form); -1 if V is
 * neither */
static int s_state_read(const MDB_val *v, s_state_t *st)
{
    if (v->mv_size < S_STATE_HEAD || v->mv_size > sizeof *st)
        return -1;
    memset(st, 0, sizeof *st);
    memcpy(st, v->mv_data, v->mv_size);
    st->answer[sizeof st->answer - 1] = '\0';
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
    if (s_state_read(&v, &st) != 0)
        return MDB_CORRUPTED;
    s_state_decode(id, &st, out);
    return 0;
}

int outbox_state_put(store_t *s, MDB_txn *txn, const outbox_state_t *in)
{
    return s_state_write(s, txn, in, 0);
}

/* s_state_write - the state row and its pending index entry; FLAGS
 * MDB_APPEND for a new row (its id is the largest). */
static int s_state_write(store_t *s, MDB_txn *txn, const outbox_state_t *in, unsigned flags)
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
    /* the answer as long as it is (most are a short ACK or none) */
    MDB_val k = {8, kb}, v = {S_STATE_HEAD + strlen(st.answer), &st};
    int rc = mdb_put(txn, s->dbi[DB_OSTATE], &k, &v, flags);
    if (rc == MDB_KEYEXIST && flags)
        rc = mdb_put(txn, s->dbi[DB_OSTATE], &k, &v, 0);
    if (rc)
        return rc;
    /* the index of pending rows: what the callback's scans read */
    if (in->status == OUTBOX_PENDING) {
        MDB_val none = {0, (void *)""};
        rc = mdb_put(txn, s->dbi[DB_OPENDING], &k, &none, flags);
        if (rc == MDB_KEYEXIST && flags)
            rc = mdb_put(txn, s->dbi[DB_OPENDING], &k, &none, 0);
        return rc;
    }
    rc = mdb_del(txn, s->dbi[DB_OPENDING], &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

typedef struct {
    store_t *s;
    MDB_txn *txn;
    int status; /* -1: every status */
    outbox_state_fn *fn;
    void *arg;
} s_state_walk_t;

/* s_pending_one - a row of the pending index: its state, if still pending */
static int s_pending_one(uint64_t id, const MDB_val *v, void *arg)
{
    (void)v;
    s_state_walk_t *w = arg;
    outbox_state_t out;
    if (outbox_state_get(w->s, w->txn, id, &out) != 0 || out.status != OUTBOX_PENDING)
        return 0;
    return w->fn(&out, w->arg);
}

static int s_state_one(uint64_t id, const MDB_val *v, void *arg)
{
    s_state_walk_t *w = arg;
    s_state_t st;
    if (s_state_read(v, &st) != 0)
        return 0;
    if (w->status >= 0 && st.status != w->status)
        return 0;
    outbox_state_t out;
    s_state_decode(id, &st, &out);
    return w->fn(&out, w->arg);
}

int outbox_state_each(store_t *s, MDB_txn *txn, int status, outbox_state_fn *fn, void *arg)
{
    s_state_walk_t w = {s, txn, status, fn, arg};
    /* the pending rows from their index, the others from every state row */
    if (status == OUTBOX_PENDING)
        return scan_each(s, txn, DB_OPENDING, 0, 0, s_pending_one, &w);
    return scan_each(s, txn, DB_OSTATE, 0, 0, s_state_one, &w);
}

/* s_prune_one - a row created before *BEFORE_MS and no longer pending
 * goes, with its state and pending index entry */
static scan_verdict_t s_prune_one(store_t *s, MDB_txn *txn, uint64_t id, const MDB_val *v,
                                  void *arg)
{
    s_hdr_t h;
    if (v->mv_size < sizeof h)
        return SCAN_STOP;
    memcpy(&h, v->mv_data, sizeof h);
    if (h.created_ms >= *(const int64_t *)arg)
        return SCAN_STOP;
    outbox_state_t st;
    if (outbox_state_get(s, txn, id, &st) == 0 && st.status == OUTBOX_PENDING)
        return SCAN_KEEP;
    unsigned char kb[8];
    store_key64(kb, id);
    MDB_val sk = {8, kb};
    mdb_del(txn, s->dbi[DB_OSTATE], &sk, NULL);
    mdb_del(txn, s->dbi[DB_OPENDING], &sk, NULL);
    return SCAN_DELETE;
}

int outbox_prune(store_t *s, MDB_txn *txn, int64_t before_ms, int limit)
{
    return scan_prune(s, txn, DB_OUTBOX, limit, s_prune_one, &before_ms);
}
