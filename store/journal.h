/*
 * journal.h - the durable journal of every ACKed request, and dedupe.
 *
 * A journal row is written by ingress before the ACK (in a group commit) and
 * never changed: id, action, received time, sender, transaction and message
 * ids, raw body (stored packed, pack.h, when that pays; journal_get gives it
 * back as it came). Its life is kept beside it in "jpending": a row there is
 * not done yet (with dispatch attempts and the last dispatch time) or dead;
 * a row gone from there is done. A worker removes it in the same LMDB
 * transaction as its state change and outbox row, which is what makes
 * handling exactly-once in effect. "jtxn" indexes the rows by transaction
 * (transaction_id, journal id), and beside those ids holds each message's
 * dedupe entry: its sender|message_id (hashed) maps to the body digest and
 * journal id, so a replayed message is recognised. A request's index and
 * dedupe entries are neighbours in one B-tree leaf: one page written for
 * both, where two random keys cost two.
 *
 * All functions take an open transaction; returned pointers into LMDB are
 * borrowed until that transaction ends.
 */
#ifndef ONDC_JOURNAL_H
#define ONDC_JOURNAL_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { JOURNAL_PENDING = 0, JOURNAL_DONE = 1, JOURNAL_DEAD = 2 } journal_state_t;

typedef struct {
    uint64_t id;
    int action;
    int64_t received_ms;
    char sender[256];
    char transaction_id[256];
    char message_id[256];
    const char *body; /* borrowed until the transaction ends, or in owned (not
                       * NUL-terminated) */
    size_t body_len;
    char *owned; /* a read row's body expanded from its packed form, or NULL */
} journal_row_t;

typedef struct {
    uint64_t id;
    int64_t received_ms;
    int64_t dispatched_ms;
    uint32_t attempts;
    uint32_t dead;
} journal_pending_t;

/* journal_append - write ROW (id assigned, returned in *ID) with its pending
 * mark and transaction index. Returns 0 or an LMDB error code. */
int journal_append(store_t *s, MDB_txn *txn, const journal_row_t *row, uint64_t *id);

/* journal_get - read row ID into OUT (release it with journal_row_clear:
 * a packed body is expanded into OUT->owned). 0, MDB_NOTFOUND,
 * MDB_CORRUPTED (the row cannot be read: its header or its packed body is
 * damaged; nothing else is touched) or ENOMEM. */
int journal_get(store_t *s, MDB_txn *txn, uint64_t id, journal_row_t *out);

/* journal_row_clear - free what a read row owns (its expanded body). */
void journal_row_clear(journal_row_t *row);

/* journal_state - PENDING, DONE or DEAD of row ID (-1: no such row). */
int journal_state(store_t *s, MDB_txn *txn, uint64_t id);

/* journal_pending_get - the pending record of ID; 0, or MDB_NOTFOUND (done). */
int journal_pending_get(store_t *s, MDB_txn *txn, uint64_t id, journal_pending_t *out);

/* journal_mark_done - mark ID done. Returns 1 if it was pending (the caller
 * does the work), 0 if it was already done or dead (the caller skips it),
 * or -1 on an LMDB error. */
int journal_mark_done(store_t *s, MDB_txn *txn, uint64_t id);

/* journal_mark_dispatched - count one more dispatch of ID at NOW_MS; marks
 * it dead once attempts reach MAX_ATTEMPTS (returns 1 then, else 0). */
int journal_mark_dispatched(store_t *s, MDB_txn *txn, uint64_t id, int64_t now_ms,
                            uint32_t max_attempts);

/* journal_requeue - make a done or dead row ID pending again (replay), as
 * if received at NOW_MS (its pending entry's received_ms: what the on_*'s
 * TTL counts from when the dispatcher sends it again). */
int journal_requeue(store_t *s, MDB_txn *txn, uint64_t id, int64_t now_ms);

typedef int(journal_pending_fn)(const journal_pending_t *p, void *arg);

/* journal_pending_each - call FN for each pending (not dead) row, oldest
 * first, until it returns non-zero (scan_each). 0 or an LMDB error. */
int journal_pending_each(store_t *s, MDB_txn *txn, journal_pending_fn *fn, void *arg);

/* journal_backlog - rows not done and not dead (what backlog_limit bounds),
 * without a scan: the pending index's entries less the dead ones. */
size_t journal_backlog(store_t *s, MDB_txn *txn);

/* journal_dead_count - rows marked dead (kept until replayed). */
uint64_t journal_dead_count(store_t *s, MDB_txn *txn);

/* journal_pending_count - rows pending (not dead). */
size_t journal_pending_count(store_t *s, MDB_txn *txn);

typedef enum { SEEN_NEW = 0, SEEN_DUPLICATE = 1, SEEN_CONFLICT = 2 } journal_seen_t;

/* journal_seen - look up SENDER|MESSAGE_ID in TRANSACTION_ID. If new,
 * record it with DIGEST (16 bytes of the body's BLAKE2b) and JOURNAL_ID and
 * return SEEN_NEW; a repeat with the same digest is SEEN_DUPLICATE (its
 * journal id in *PRIOR), with another digest SEEN_CONFLICT; -1 on an LMDB
 * error. A retry repeats its context, so its transaction; a message_id
 * reused in another transaction is another request. */
int journal_seen(store_t *s, MDB_txn *txn, const char *transaction_id, const char *sender,
                 const char *message_id, const unsigned char digest[16], uint64_t journal_id,
                 uint64_t *prior);

/* journal_seen_lookup - read-only: SEEN_NEW/DUPLICATE/CONFLICT without recording. */
int journal_seen_lookup(store_t *s, MDB_txn *txn, const char *transaction_id, const char *sender,
                        const char *message_id, const unsigned char digest[16], uint64_t *prior);

/* journal_upgrade - a store from before the dedupe entries moved into
 * "jtxn": move those of "seen" there (store_open calls it). 0 or an LMDB
 * error. */
int journal_upgrade(store_t *s, MDB_txn *txn);

typedef int(journal_each_fn)(const journal_row_t *row, void *arg);

/* journal_each - call FN for rows with id in [FROM, TO] (0 = open), oldest
 * first, until it returns non-zero (scan_each); a row that cannot be read
 * (MDB_CORRUPTED) is passed over. The row handed to FN, body included, is
 * valid until FN returns. 0 or an LMDB error. */
int journal_each(store_t *s, MDB_txn *txn, uint64_t from, uint64_t to, journal_each_fn *fn,
                 void *arg);

/* journal_each_txn - call FN for each row of TRANSACTION_ID, in order (a
 * row that cannot be read is passed over). */
int journal_each_txn(store_t *s, MDB_txn *txn, const char *transaction_id, journal_each_fn *fn,
                     void *arg);

/* a walk's report of row ID, which cannot be read (MDB_CORRUPTED: its
 * header or packed body is damaged); non-zero stops the walk */
typedef int(journal_damaged_fn)(uint64_t id, void *arg);

/* journal_each_all / journal_each_txn_all - journal_each and
 * journal_each_txn that also call DAMAGED (in order among the rows FN gets)
 * for each row they pass over as unreadable, for a tool that shows every
 * row (ondcctl journal list). A row of a transaction is found by its index
 * entry, which the damage leaves alone. 0 or an LMDB error. */
int journal_each_all(store_t *s, MDB_txn *txn, uint64_t from, uint64_t to, journal_each_fn *fn,
                     journal_damaged_fn *damaged, void *arg);
int journal_each_txn_all(store_t *s, MDB_txn *txn, const char *transaction_id, journal_each_fn *fn,
                         journal_damaged_fn *damaged, void *arg);

/* journal_prune - delete rows (and their indexes) received before
 * BEFORE_MS that are done, at most LIMIT; returns how many. */
int journal_prune(store_t *s, MDB_txn *txn, int64_t before_ms, int limit);

#endif
