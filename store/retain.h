/*
 * retain.h - retention: what the janitor (ondc-dispatcher) and `ondcctl
 * store prune` delete, and from when.
 *
 * Journal rows done, outbox rows no longer pending, and the transactions'
 * select/init state (DB_TXN) untouched for retention_s go; a journal row
 * is kept at least while its request's signature could be replayed
 * (signature_max_lifetime_s with the skew on both sides), since its dedupe
 * entry goes with it. Deleting frees B-tree pages that LMDB reuses for new
 * rows once no reader holds an older snapshot, so under a steady load the
 * data file stops growing at about what retention_s of traffic takes.
 *
 * Every call works in the write transaction it is given and never commits.
 * Config keys read: retention_s, signature_max_lifetime_s,
 * signature_skew_s.
 */
#ifndef ONDC_RETAIN_H
#define ONDC_RETAIN_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t journal_before; /* journal rows received before this go (ms) */
    int64_t outbox_before;  /* outbox rows created before this go */
    int64_t txn_before;     /* transaction state last written before this goes */
    int64_t now_ms;         /* when the cut-offs were taken: the stamp given
                             * to a state written before states were stamped */
} retain_cut_t;

/* retain_cutoffs - the cut-offs at NOW_MS for rows older than AGE_S
 * seconds (AGE_S < 0: retention_s), the journal's raised to the
 * signature floor. */
retain_cut_t retain_cutoffs(const cfg_t *cfg, int64_t now_ms, int64_t age_s);

typedef struct {
    int journal, outbox, txn; /* rows deleted */
    int more;                 /* a limit was reached: rows past the cut-offs may be left */
} retain_done_t;

/* the walk through DB_TXN resumes where the last slice ended (its key);
 * zeroed: from the start */
typedef struct {
    char key[640];
    size_t len;
} retain_pos_t;

/* retain_slice - one slice in write transaction TXN: at most LIMIT rows of
 * each kind deleted, and at most 8 x LIMIT transaction states looked at
 * (from *POS on, which it moves; at the end of DB_TXN it starts again). A
 * state without a stamp (written by a build from before states were
 * stamped) is stamped with CUT->now_ms when a slice first sees it, so it
 * goes retention_s after that like any other; a value that is not a JSON
 * object is left as it is. */
retain_done_t retain_slice(store_t *s, MDB_txn *txn, const retain_cut_t *cut, int limit,
                           retain_pos_t *pos);

/* retain_txn_at - the time a transaction state JSON (DATA/LEN) was last
 * written (its "at", epoch ms), or -1 when it carries none (a state from
 * before states were stamped: retain_slice stamps it). */
int64_t retain_txn_at(const char *data, size_t len);

#endif
