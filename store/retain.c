/*
 * retain.c - retention cut-offs and pruning slices. See retain.h.
 */
#include "retain.h"

#include "journal.h"
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

retain_cut_t retain_cutoffs(const cfg_t *cfg, int64_t now_ms, int64_t age_s)
{
    if (age_s < 0)
        age_s = cfg->retention_s;
    /* a journal row carries its request's dedupe entry: kept until the
     * signature it protects has expired (created + signature_max_lifetime_s,
     * with the skew on both sides), whatever the age asked for, so a replay
     * is refused as a repeat or as expired, never processed again */
    int64_t keep_s = age_s;
    int64_t sig_s = (int64_t)cfg->signature_max_lifetime_s + 2 * (int64_t)cfg->signature_skew_s;
    if (keep_s < sig_s)
        keep_s = sig_s;
    retain_cut_t c = {.journal_before = now_ms - keep_s * 1000,
                      .outbox_before = now_ms - age_s * 1000,
                      .txn_before = now_ms - age_s * 1000,
                      .now_ms = now_ms};
    return c;
}

int64_t retain_txn_at(const char *data, size_t len)
{
    /* the stamp is the object's first key (family_order.c writes it so):
     * no parse of the whole state */
    static const char key[] = "{\"at\":";
    if (len < sizeof key || memcmp(data, key, sizeof key - 1) != 0)
        return -1;
    int64_t v = 0;
    size_t i = sizeof key - 1;
    if (i >= len || data[i] < '0' || data[i] > '9')
        return -1;
    for (; i < len && data[i] >= '0' && data[i] <= '9' && v < INT64_MAX / 10; i++)
        v = v * 10 + (data[i] - '0');
    return v;
}

/* s_stamp - the state at CUR (key K, value V: a JSON object without "at") written
 * again with "at": NOW_MS as its first key; 0, or -1 (left as it was) */
static int s_stamp(MDB_cursor *cur, const MDB_val *k, const MDB_val *v, int64_t now_ms)
{
    const char *d = v->mv_data;
    size_t n = v->mv_size;
    if (n < 2 || d[0] != '{')
        return -1; /* not an object: not ours to touch */
    char head[40];
    size_t j = 1;
    while (j < n && (d[j] == ' ' || d[j] == '\n' || d[j] == '\t' || d[j] == '\r'))
        j++;
    int empty = j < n && d[j] == '}';
    int hl = snprintf(head, sizeof head, "{\"at\":%lld%s", (long long)now_ms, empty ? "" : ",");
    /* the key and the value both copied out of the page the put rewrites */
    char *b = malloc(k->mv_size + (size_t)hl + n - 1);
    if (!b)
        return -1;
    memcpy(b, k->mv_data, k->mv_size);
    char *val = b + k->mv_size;
    memcpy(val, head, (size_t)hl);
    memcpy(val + hl, d + 1, n - 1); /* the rest of the object after its "{" */
    MDB_val key = {k->mv_size, b}, nv = {(size_t)hl + n - 1, val};
    int rc = mdb_cursor_put(cur, &key, &nv, MDB_CURRENT);
    free(b);
    return rc == 0 ? 0 : -1;
}

/* s_txn_slice - walk DB_TXN from *POS, deleting states stamped before
 * BEFORE_MS and stamping those without a stamp with NOW_MS: at most LIMIT
 * deleted, WALK looked at. Returns how many went; *MORE when it stopped
 * short of the end. */
static int s_txn_slice(store_t *s, MDB_txn *txn, int64_t before_ms, int64_t now_ms, int limit,
                       int walk, retain_pos_t *pos, int *more)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_TXN], &cur) != 0)
        return 0;
    MDB_val k = {pos->len, pos->key}, v;
    int rc = mdb_cursor_get(cur, &k, &v, pos->len ? MDB_SET_RANGE : MDB_FIRST);
    int n = 0, seen = 0;
    while (rc == 0 && n < limit && seen < walk) {
        seen++;
        int64_t at = retain_txn_at(v.mv_data, v.mv_size);
        if (at < 0)
            s_stamp(cur, &k, &v, now_ms); /* from a build before the stamps */
        else if (at < before_ms && mdb_cursor_del(cur, 0) == 0)
            n++;
        /* after a delete, LMDB's MDB_NEXT yields the record that followed */
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc == 0 && k.mv_size <= sizeof pos->key) {
        memcpy(pos->key, k.mv_data, k.mv_size); /* the next slice starts here */
        pos->len = k.mv_size;
        *more = 1;
    } else {
        pos->len = 0; /* the end: from the start next time */
    }
    mdb_cursor_close(cur);
    return n;
}

retain_done_t retain_slice(store_t *s, MDB_txn *txn, const retain_cut_t *cut, int limit,
                           retain_pos_t *pos)
{
    retain_done_t d = {0};
    d.journal = journal_prune(s, txn, cut->journal_before, limit);
    d.outbox = outbox_prune(s, txn, cut->outbox_before, limit);
    int more = 0;
    d.txn = s_txn_slice(s, txn, cut->txn_before, cut->now_ms, limit, 8 * limit, pos, &more);
    d.more = d.journal == limit || d.outbox == limit || d.txn == limit;
    return d;
}
