/*
 * journal.c - journal rows, pending marks, dedupe. See journal.h.
 *
 * Row layout (host byte order; rows never leave this machine's LMDB):
 *   hdr_t | sender | transaction_id | message_id | body
 *
 * Version 1 stores the body as it is (its header's stored_len is 0, the
 * padding it once was); version 2 stores it packed (pack.h: LZ4 over
 * dictionary 1), stored_len bytes that expand to body_len. A body is
 * packed when that saves an eighth or more, so both versions are written;
 * every reader takes both.
 */
#include "journal.h"
#include "pack.h"
#include "scan.h"

#include "log.h"

#include <sodium.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t version;
    uint8_t action;
    uint16_t sender_len;
    uint16_t txn_len;
    uint16_t msg_len;
    uint32_t body_len;   /* the body's length */
    uint32_t stored_len; /* version 2: its packed length (version 1: 0) */
    int64_t received_ms;
} s_hdr_t;

typedef struct {
    int64_t received_ms;
    int64_t dispatched_ms;
    uint32_t attempts;
    uint32_t dead;
} s_pending_t;

typedef struct {
    unsigned char digest[16];
    uint64_t journal_id;
} s_seen_t;

static MDB_val s_idkey(unsigned char buf[8], uint64_t id)
{
    store_key64(buf, id);
    MDB_val k = {8, buf};
    return k;
}

int journal_append(store_t *s, MDB_txn *txn, const journal_row_t *row, uint64_t *id)
{
    size_t sl = strlen(row->sender), tl = strlen(row->transaction_id),
           ml = strlen(row->message_id);
    if (row->body_len > UINT32_MAX)
        return MDB_BAD_VALSIZE;
    uint64_t jid = store_next_id(s, txn, DB_JOURNAL);
    if (!jid)
        return MDB_BAD_TXN;
    char *packed = NULL;
    size_t stored = row->body_len;
    if (pack_body(row->body, row->body_len, &packed, &stored) == 0)
        stored = row->body_len;
    unsigned char kb[8];
    MDB_val k = s_idkey(kb, jid);
    MDB_val v = {sizeof(s_hdr_t) + sl + tl + ml + stored, NULL};
    int rc = mdb_put(txn, s->dbi[DB_JOURNAL], &k, &v, MDB_RESERVE | MDB_APPEND);
    if (rc == MDB_KEYEXIST) /* not the largest key (ids from a replayed store): plain put */
        rc = mdb_put(txn, s->dbi[DB_JOURNAL], &k, &v, MDB_RESERVE);
    if (rc != 0) {
        free(packed);
        return rc;
    }
    s_hdr_t h = {.version = packed ? 2 : 1,
                 .action = (uint8_t)row->action,
                 .sender_len = (uint16_t)sl,
                 .txn_len = (uint16_t)tl,
                 .msg_len = (uint16_t)ml,
                 .body_len = (uint32_t)row->body_len,
                 .stored_len = packed ? (uint32_t)stored : 0,
                 .received_ms = row->received_ms};
    char *p = v.mv_data;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    memcpy(p, row->sender, sl);
    p += sl;
    memcpy(p, row->transaction_id, tl);
    p += tl;
    memcpy(p, row->message_id, ml);
    p += ml;
    memcpy(p, packed ? packed : row->body, stored);
    free(packed);

    s_pending_t pend = {.received_ms = row->received_ms, .dispatched_ms = row->received_ms};
    MDB_val pv = {sizeof pend, &pend};
    if ((rc = mdb_put(txn, s->dbi[DB_JPENDING], &k, &pv, 0)) != 0)
        return rc;
    char tk[256 + 9];
    memcpy(tk, row->transaction_id, tl);
    tk[tl] = '\0';
    memcpy(tk + tl + 1, kb, 8);
    MDB_val tkv = {tl + 9, tk}, empty = {0, ""};
    if ((rc = mdb_put(txn, s->dbi[DB_JTXN], &tkv, &empty, 0)) != 0)
        return rc;
    *id = jid;
    return 0;
}

/* s_decode_head - the row's header fields and ids into OUT; its body as
 * stored, in *STORED / *STORED_LEN (packed when *PACKED). MDB_CORRUPTED
 * when the header does not describe the row. */
static int s_decode_head(uint64_t id, const MDB_val *v, journal_row_t *out, const char **stored,
                         size_t *stored_len, int *packed)
{
    memset(out, 0, sizeof *out);
    s_hdr_t h;
    if (v->mv_size < sizeof h)
        return MDB_CORRUPTED;
    memcpy(&h, v->mv_data, sizeof h);
    /* version 1 rows have 0 in stored_len (the padding it once was) */
    size_t sl = h.version == 2 ? h.stored_len : h.body_len;
    if ((h.version != 1 && h.version != 2) ||
        sizeof h + (size_t)h.sender_len + h.txn_len + h.msg_len + sl != v->mv_size ||
        h.sender_len > 255 || h.txn_len > 255 || h.msg_len > 255)
        return MDB_CORRUPTED;
    const char *p = (const char *)v->mv_data + sizeof h;
    out->id = id;
    out->action = h.action;
    out->received_ms = h.received_ms;
    memcpy(out->sender, p, h.sender_len);
    p += h.sender_len;
    memcpy(out->transaction_id, p, h.txn_len);
    p += h.txn_len;
    memcpy(out->message_id, p, h.msg_len);
    p += h.msg_len;
    out->body_len = h.body_len;
    *stored = p;
    *stored_len = sl;
    *packed = h.version == 2;
    return 0;
}

/* s_decode - the whole row into OUT, a packed body expanded into
 * OUT->owned. 0, MDB_CORRUPTED or ENOMEM. */
static int s_decode(uint64_t id, const MDB_val *v, journal_row_t *out)
{
    const char *stored;
    size_t stored_len;
    int packed;
    int rc = s_decode_head(id, v, out, &stored, &stored_len, &packed);
    if (rc)
        return rc;
    out->body = stored;
    if (packed) {
        int corrupt = 0;
        out->owned = pack_dup(stored, stored_len, out->body_len, &corrupt);
        if (!out->owned) {
            out->body = NULL;
            return corrupt ? MDB_CORRUPTED : ENOMEM;
        }
        out->body = out->owned;
    }
    return 0;
}

void journal_row_clear(journal_row_t *row)
{
    free(row->owned);
    row->owned = NULL;
    row->body = NULL;
    row->body_len = 0;
}

int journal_get(store_t *s, MDB_txn *txn, uint64_t id, journal_row_t *out)
{
    unsigned char kb[8];
    MDB_val k = s_idkey(kb, id), v;
    memset(out, 0, sizeof *out);
    int rc = mdb_get(txn, s->dbi[DB_JOURNAL], &k, &v);
    return rc ? rc : s_decode(id, &v, out);
}

int journal_pending_get(store_t *s, MDB_txn *txn, uint64_t id, journal_pending_t *out)
{
    unsigned char kb[8];
    MDB_val k = s_idkey(kb, id), v;
    int rc = mdb_get(txn, s->dbi[DB_JPENDING], &k, &v);
    if (rc)
        return rc;
    s_pending_t p;
    if (v.mv_size != sizeof p)
        return MDB_CORRUPTED;
    memcpy(&p, v.mv_data, sizeof p);
    out->id = id;
    out->received_ms = p.received_ms;
    out->dispatched_ms = p.dispatched_ms;
    out->attempts = p.attempts;
    out->dead = p.dead;
    return 0;
}

int journal_state(store_t *s, MDB_txn *txn, uint64_t id)
{
    journal_pending_t p;
    int rc = journal_pending_get(s, txn, id, &p);
    if (rc == 0)
        return p.dead ? JOURNAL_DEAD : JOURNAL_PENDING;
    unsigned char kb[8];
    MDB_val k = s_idkey(kb, id), v;
    return mdb_get(txn, s->dbi[DB_JOURNAL], &k, &v) == 0 ? JOURNAL_DONE : -1;
}

int journal_mark_done(store_t *s, MDB_txn *txn, uint64_t id)
{
    journal_pending_t p;
    int rc = journal_pending_get(s, txn, id, &p);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return -1;
    if (p.dead)
        return 0;
    unsigned char kb[8];
    MDB_val k = s_idkey(kb, id);
    return mdb_del(txn, s->dbi[DB_JPENDING], &k, NULL) == 0 ? 1 : -1;
}

static int s_put_pending(store_t *s, MDB_txn *txn, const journal_pending_t *jp)
{
    s_pending_t p = {.received_ms = jp->received_ms,
                     .dispatched_ms = jp->dispatched_ms,
                     .attempts = jp->attempts,
                     .dead = jp->dead};
    unsigned char kb[8];
    MDB_val k = s_idkey(kb, jp->id), v = {sizeof p, &p};
    return mdb_put(txn, s->dbi[DB_JPENDING], &k, &v, 0);
}

/* The dead rows stay in "jpending" (kept until an operator replays them),
 * counted in meta under DEAD_KEY, so that the backlog (pending, not dead)
 * is the index's entry count less that count, without a scan. */
#define DEAD_KEY "count/jdead"

static MDB_val s_dead_key(void)
{
    return (MDB_val){sizeof DEAD_KEY - 1, (void *)DEAD_KEY};
}

uint64_t journal_dead_count(store_t *s, MDB_txn *txn)
{
    MDB_val k = s_dead_key(), v;
    if (mdb_get(txn, s->dbi[DB_META], &k, &v) != 0 || v.mv_size != 8)
        return 0;
    return store_get64(&v);
}

static int s_dead_set(store_t *s, MDB_txn *txn, uint64_t n)
{
    unsigned char b[8];
    store_key64(b, n);
    MDB_val k = s_dead_key(), v = {8, b};
    return mdb_put(txn, s->dbi[DB_META], &k, &v, 0);
}

static int s_dead_add(store_t *s, MDB_txn *txn, int delta)
{
    uint64_t n = journal_dead_count(s, txn);
    return s_dead_set(s, txn, delta < 0 ? (n > 0 ? n - 1 : 0) : n + 1);
}

size_t journal_backlog(store_t *s, MDB_txn *txn)
{
    MDB_stat ps;
    if (mdb_stat(txn, s->dbi[DB_JPENDING], &ps) != 0)
        return 0;
    uint64_t dead = journal_dead_count(s, txn);
    return ps.ms_entries > dead ? (size_t)(ps.ms_entries - dead) : 0;
}

int journal_mark_dispatched(store_t *s, MDB_txn *txn, uint64_t id, int64_t now_ms,
                            uint32_t max_attempts)
{
    journal_pending_t p;
    if (journal_pending_get(s, txn, id, &p) != 0)
        return 0;
    int was_dead = p.dead != 0;
    p.attempts++;
    p.dispatched_ms = now_ms;
    if (p.attempts >= max_attempts)
        p.dead = 1;
    if (s_put_pending(s, txn, &p) != 0 || (p.dead && !was_dead && s_dead_add(s, txn, 1) != 0))
        return -1;
    return p.dead ? 1 : 0;
}

int journal_requeue(store_t *s, MDB_txn *txn, uint64_t id, int64_t now_ms)
{
    journal_row_t row;
    int rc = journal_get(s, txn, id, &row);
    if (rc)
        return rc;
    journal_row_clear(&row);
    /* a replay is asked for now: its on_* counts its TTL from now (the
     * row keeps when the request came) */
    journal_pending_t was;
    if (journal_pending_get(s, txn, id, &was) == 0 && was.dead &&
        (rc = s_dead_add(s, txn, -1)) != 0)
        return rc;
    journal_pending_t p = {.id = id, .received_ms = now_ms, .dispatched_ms = now_ms};
    return s_put_pending(s, txn, &p);
}

/* a walk's caller: its callback (by what the walk reads) and argument */
typedef struct {
    union {
        journal_pending_fn *pending;
        journal_each_fn *row;
    } fn;
    journal_damaged_fn *damaged; /* a row walk's unreadable rows, or NULL */
    void *arg;
} s_walk_t;

static int s_pending_one(uint64_t id, const MDB_val *v, void *arg)
{
    const s_walk_t *w = arg;
    s_pending_t p;
    if (v->mv_size != sizeof p)
        return 0;
    memcpy(&p, v->mv_data, sizeof p);
    if (p.dead)
        return 0;
    journal_pending_t jp = {id, p.received_ms, p.dispatched_ms, p.attempts, 0};
    return w->fn.pending(&jp, w->arg);
}

int journal_pending_each(store_t *s, MDB_txn *txn, journal_pending_fn *fn, void *arg)
{
    s_walk_t w = {.fn.pending = fn, .arg = arg};
    return scan_each(s, txn, DB_JPENDING, 0, 0, s_pending_one, &w);
}

static int s_count(const journal_pending_t *p, void *arg)
{
    (void)p;
    (*(size_t *)arg)++;
    return 0;
}

size_t journal_pending_count(store_t *s, MDB_txn *txn)
{
    size_t n = 0;
    journal_pending_each(s, txn, s_count, &n);
    return n;
}

/* s_dedupe_key - the dedupe entry's key in "jtxn", beside its
 * transaction's journal ids (the same leaf: one page written for both):
 *   TRANSACTION_ID \0 0xff BLAKE2b-128(SENDER | MESSAGE_ID)
 * (an id entry has 8 bytes after the NUL, the first 0 for any id below
 * 2^56; a dedupe entry 17, the first 0xff). BUF holds 256 + 18. */
#define DEDUPE_KEY_MAX (255 + 18)
static MDB_val s_dedupe_key(char *buf, const char *transaction_id, const char *sender,
                            const char *message_id)
{
    size_t tl = strnlen(transaction_id, 255);
    memcpy(buf, transaction_id, tl);
    buf[tl] = '\0';
    buf[tl + 1] = (char)0xff;
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 16);
    crypto_generichash_update(&h, (const unsigned char *)sender, strlen(sender));
    crypto_generichash_update(&h, (const unsigned char *)"|", 1);
    crypto_generichash_update(&h, (const unsigned char *)message_id, strlen(message_id));
    crypto_generichash_final(&h, (unsigned char *)buf + tl + 2, 16);
    MDB_val k = {tl + 18, buf};
    return k;
}

/* s_seen_get - the dedupe entry under key K: SEEN_NEW/DUPLICATE/CONFLICT */
static int s_seen_get(store_t *s, MDB_txn *txn, MDB_val *k, const unsigned char digest[16],
                      uint64_t *prior)
{
    MDB_val v;
    int rc = mdb_get(txn, s->dbi[DB_JTXN], k, &v);
    if (rc == MDB_NOTFOUND)
        return SEEN_NEW;
    if (rc || v.mv_size != sizeof(s_seen_t))
        return -1;
    s_seen_t seen;
    memcpy(&seen, v.mv_data, sizeof seen);
    if (prior)
        *prior = seen.journal_id;
    return memcmp(seen.digest, digest, 16) == 0 ? SEEN_DUPLICATE : SEEN_CONFLICT;
}

int journal_seen_lookup(store_t *s, MDB_txn *txn, const char *transaction_id, const char *sender,
                        const char *message_id, const unsigned char digest[16], uint64_t *prior)
{
    char kb[DEDUPE_KEY_MAX];
    MDB_val k = s_dedupe_key(kb, transaction_id, sender, message_id);
    return s_seen_get(s, txn, &k, digest, prior);
}

int journal_seen(store_t *s, MDB_txn *txn, const char *transaction_id, const char *sender,
                 const char *message_id, const unsigned char digest[16], uint64_t journal_id,
                 uint64_t *prior)
{
    /* one key (one hash) for the look-up and the put */
    char kb[DEDUPE_KEY_MAX];
    MDB_val k = s_dedupe_key(kb, transaction_id, sender, message_id);
    int st = s_seen_get(s, txn, &k, digest, prior);
    if (st != SEEN_NEW)
        return st;
    s_seen_t seen;
    memcpy(seen.digest, digest, 16);
    seen.journal_id = journal_id;
    MDB_val v = {sizeof seen, &seen};
    return mdb_put(txn, s->dbi[DB_JTXN], &k, &v, 0) == 0 ? SEEN_NEW : -1;
}

static int s_count_dead_one(uint64_t id, const MDB_val *v, void *arg)
{
    (void)id;
    s_pending_t p;
    if (v->mv_size == sizeof p) {
        memcpy(&p, v->mv_data, sizeof p);
        *(uint64_t *)arg += p.dead != 0;
    }
    return 0;
}

/* s_count_dead - a store from before the dead rows were counted: count
 * them once (the key's absence says so) */
static int s_count_dead(store_t *s, MDB_txn *txn)
{
    MDB_val k = s_dead_key(), v;
    if (mdb_get(txn, s->dbi[DB_META], &k, &v) == 0)
        return 0;
    uint64_t n = 0;
    int rc = scan_each(s, txn, DB_JPENDING, 0, 0, s_count_dead_one, &n);
    return rc ? rc : s_dead_set(s, txn, n);
}

int journal_upgrade(store_t *s, MDB_txn *txn)
{
    int crc = s_count_dead(s, txn);
    if (crc)
        return crc;
    /* a store from before the dedupe entries moved into "jtxn": move each
     * one of "seen" (sender|message_id -> digest, journal id) beside its
     * transaction, named by its journal row; an entry whose row is gone
     * (pruned) goes with it */
    MDB_stat st;
    int rc = mdb_stat(txn, s->dbi[DB_SEEN], &st);
    if (rc || st.ms_entries == 0)
        return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, s->dbi[DB_SEEN], &cur)) != 0)
        return rc;
    MDB_val k, v;
    size_t moved = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        s_seen_t seen;
        journal_row_t row;
        if (v.mv_size != sizeof seen)
            continue;
        memcpy(&seen, v.mv_data, sizeof seen);
        if (journal_get(s, txn, seen.journal_id, &row) != 0)
            continue;
        journal_row_clear(&row);
        char kb[DEDUPE_KEY_MAX];
        MDB_val nk = s_dedupe_key(kb, row.transaction_id, row.sender, row.message_id);
        MDB_val nv = {sizeof seen, &seen};
        int prc = mdb_put(txn, s->dbi[DB_JTXN], &nk, &nv, 0);
        if (prc != 0) {
            mdb_cursor_close(cur);
            return prc;
        }
        moved++;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
        return rc;
    if ((rc = mdb_drop(txn, s->dbi[DB_SEEN], 0)) != 0)
        return rc;
    char n[24];
    snprintf(n, sizeof n, "%zu", moved);
    log_info("store.upgraded", "what", "dedupe entries beside their transactions", "entries", n,
             NULL);
    return 0;
}

/* s_row_each - hand row ID (read into ROW by its caller, RC what that
 * gave) to the walk W: an unreadable one to W's DAMAGED if it has one,
 * else passed over */
static int s_row_each(const s_walk_t *w, uint64_t id, journal_row_t *row, int rc)
{
    int stop = 0;
    if (rc == 0)
        stop = w->fn.row(row, w->arg);
    else if (rc == MDB_CORRUPTED && w->damaged)
        stop = w->damaged(id, w->arg);
    journal_row_clear(row);
    return stop;
}

static int s_row_one(uint64_t id, const MDB_val *v, void *arg)
{
    journal_row_t row;
    int rc = s_decode(id, v, &row);
    return s_row_each(arg, id, &row, rc);
}

int journal_each_all(store_t *s, MDB_txn *txn, uint64_t from, uint64_t to, journal_each_fn *fn,
                     journal_damaged_fn *damaged, void *arg)
{
    s_walk_t w = {.fn.row = fn, .damaged = damaged, .arg = arg};
    return scan_each(s, txn, DB_JOURNAL, from, to, s_row_one, &w);
}

int journal_each(store_t *s, MDB_txn *txn, uint64_t from, uint64_t to, journal_each_fn *fn,
                 void *arg)
{
    return journal_each_all(s, txn, from, to, fn, NULL, arg);
}

int journal_each_txn(store_t *s, MDB_txn *txn, const char *transaction_id, journal_each_fn *fn,
                     void *arg)
{
    return journal_each_txn_all(s, txn, transaction_id, fn, NULL, arg);
}

int journal_each_txn_all(store_t *s, MDB_txn *txn, const char *transaction_id, journal_each_fn *fn,
                         journal_damaged_fn *damaged, void *arg)
{
    s_walk_t w = {.fn.row = fn, .damaged = damaged, .arg = arg};
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[DB_JTXN], &cur);
    if (rc)
        return rc;
    size_t tl = strlen(transaction_id);
    MDB_val k = {tl + 1, (void *)transaction_id}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < tl + 1 || memcmp(k.mv_data, transaction_id, tl + 1) != 0)
            break;
        if (k.mv_size != tl + 9)
            continue; /* the transaction's dedupe entries */
        MDB_val idk = {8, (char *)k.mv_data + tl + 1};
        uint64_t id = store_get64(&idk);
        journal_row_t row;
        if (s_row_each(&w, id, &row, journal_get(s, txn, id, &row)))
            break;
    }
    mdb_cursor_close(cur);
    return 0;
}

/* s_prune_one - a row received before *BEFORE_MS and done goes, with its
 * transaction index entry and its dedupe entry; a pending one stays */
static scan_verdict_t s_prune_one(store_t *s, MDB_txn *txn, uint64_t id, const MDB_val *v,
                                  void *arg)
{
    journal_row_t row;
    const char *body;
    size_t body_len;
    int packed;
    /* the header alone: the body stays as stored */
    if (s_decode_head(id, v, &row, &body, &body_len, &packed) != 0 ||
        row.received_ms >= *(const int64_t *)arg)
        return SCAN_STOP;
    unsigned char kb[8];
    MDB_val pk = s_idkey(kb, id), pv;
    if (mdb_get(txn, s->dbi[DB_JPENDING], &pk, &pv) == 0)
        return SCAN_KEEP; /* not done: keep */
    char tk[256 + 9], sk[DEDUPE_KEY_MAX];
    size_t tl = strlen(row.transaction_id);
    memcpy(tk, row.transaction_id, tl + 1);
    memcpy(tk + tl + 1, kb, 8);
    MDB_val tkv = {tl + 9, tk};
    mdb_del(txn, s->dbi[DB_JTXN], &tkv, NULL);
    /* the dedupe entry goes with the row it names (a row copied in by
     * `replay --from` shares its message id with no entry of its own) */
    MDB_val skv = s_dedupe_key(sk, row.transaction_id, row.sender, row.message_id), sv;
    s_seen_t seen = {.journal_id = 0};
    if (mdb_get(txn, s->dbi[DB_JTXN], &skv, &sv) == 0 && sv.mv_size == sizeof seen)
        memcpy(&seen, sv.mv_data, sizeof seen);
    if (seen.journal_id == id)
        mdb_del(txn, s->dbi[DB_JTXN], &skv, NULL);
    return SCAN_DELETE;
}

int journal_prune(store_t *s, MDB_txn *txn, int64_t before_ms, int limit)
{
    return scan_prune(s, txn, DB_JOURNAL, limit, s_prune_one, &before_ms);
}
