/*
 * scan.h - walks over a database of the store keyed by 8-byte big-endian
 * ids (journal, jpending, outbox, ostate, opending): oldest first, a
 * callback per row that may stop the walk, and the janitor's pruning of
 * old rows in slices.
 *
 * Invariants: a key that is not 8 bytes is not a row and is passed over.
 * The value handed to a callback is LMDB's: valid until the callback
 * returns, and only while the transaction lives. scan_prune deletes a row
 * only when its callback says so, after the callback has deleted what
 * else names the row (its indexes), and holds the write transaction it is
 * given; it never commits.
 *
 * Ownership: nothing allocated; the cursor is opened and closed inside
 * each call. No config keys.
 */
#ifndef ONDC_SCAN_H
#define ONDC_SCAN_H

#include "store.h"

#include <lmdb.h>
#include <stdint.h>

/* scan_fn - one row: non-zero stops the walk. */
typedef int(scan_fn)(uint64_t id, const MDB_val *val, void *arg);

/* scan_each - call FN for the rows of DB with id in [FROM, TO] (0 = open at
 * that end), oldest first, until it returns non-zero. 0, or the LMDB
 * error that stopped the walk (opening the cursor or reading a row). */
int scan_each(store_t *s, MDB_txn *txn, store_db_t db, uint64_t from, uint64_t to, scan_fn *fn,
              void *arg);

/* what a scan_prune_fn says of the row it was shown */
typedef enum {
    SCAN_STOP = 0, /* too new (or unreadable): the walk ends here */
    SCAN_KEEP,     /* not yet: passed over, the walk goes on */
    SCAN_DELETE    /* its other entries are gone: delete the row and go on */
} scan_verdict_t;

typedef scan_verdict_t(scan_prune_fn)(store_t *s, MDB_txn *txn, uint64_t id, const MDB_val *val,
                                      void *arg);

/* scan_prune - walk DB from its oldest row, in write transaction TXN, and
 * delete the rows FN says to, at most LIMIT of them (one slice of the
 * janitor's); the walk ends at the first SCAN_STOP, at the end of DB or at
 * LIMIT deletions. Returns how many rows it deleted (0 when the cursor
 * cannot be opened). */
int scan_prune(store_t *s, MDB_txn *txn, store_db_t db, int limit, scan_prune_fn *fn, void *arg);

#endif
