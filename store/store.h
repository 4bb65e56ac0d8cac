/*
 * store.h - the LMDB environment every process shares, and its named
 * databases.
 *
 * One environment under data_dir. Each process opens it once (LMDB forbids
 * two handles on one file in one process) with every named database, and
 * checks for reader slots left by processes that died. Values read in a
 * transaction die with it: copy before commit. Journal and outbox keys are
 * 8-byte big-endian ids so that "the oldest first" is a range read.
 *
 * The data file is mapped read-only and shared: every page a process has
 * read (and a writer reads most of the B-tree's pages over time, as each
 * commit copies the path it changes to pages anywhere in the file) stays in
 * that process's RSS. store_trim bounds that to what was read lately.
 *
 * Config keys read: data_dir, lmdb_map_size_mb, lmdb_resident_mb (by the
 * runtime's heartbeat), journal_sync.
 */
#ifndef ONDC_STORE_H
#define ONDC_STORE_H

#include "cfg.h"

#include <lmdb.h>
#include <stdint.h>

typedef enum {
    DB_META = 0,  /* counters and markers */
    DB_JOURNAL,   /* u64 id -> journal row (immutable) */
    DB_JPENDING,  /* u64 id -> pending state (absent = done) */
    DB_JTXN,      /* transaction_id \0 u64 id -> "" (journal by transaction), and
                   * transaction_id \0 0xff hash(sender|message_id) -> digest +
                   * journal id (dedupe; see journal.h) */
    DB_SEEN,      /* sender | message_id -> digest + journal id: dedupe before it
                   * moved into jtxn, emptied at open (journal_upgrade) */
    DB_TXN,       /* transaction_id -> select/init state (JSON) */
    DB_ORDERS,    /* order id -> order (JSON) */
    DB_CATALOG,   /* p/{provider}, i/{provider}/{item}, ... -> JSON */
    DB_INVENTORY, /* {provider}/{item} -> stock */
    DB_OUTBOX,    /* u64 id -> outbox row */
    DB_OSTATE,    /* u64 id -> outbox row state (attempts, next try, answer) */
    DB_KEYS,      /* subscriber|ukid -> registry record cache */
    DB_OPENDING,  /* u64 id -> "" for each PENDING outbox row (the scans' index) */
    DB_BUYER,     /* the buyer role's requests, answers and orders, every key
                   * under its bap_id (buyer/buyer.h) */
    DB_COUNT
} store_db_t;

/* the writers' notice board: DATA_DIR/writers.shm, mapped shared by every
 * process of the store. An urgent writer (the ingress's journal commit,
 * which ACKs wait on) puts the time it began waiting for the write lock in
 * its slot until it has the lock; batch writers make way for it. A batch
 * writer (a worker, the callback) puts the time it began waiting in its own
 * slot; an urgent writer lets one that has waited STORE_STARVE_US have the
 * lock first (see store_begin_write). */
#define STORE_URGENT_SLOTS 16
typedef struct {
    _Atomic long long since_ms[STORE_URGENT_SLOTS];       /* CLOCK_MONOTONIC ms, 0 = none */
    _Atomic long long batch_since_us[STORE_URGENT_SLOTS]; /* CLOCK_MONOTONIC us, 0 = none */
} store_board_t;

typedef struct {
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    int nosync;
    store_board_t *board; /* NULL: no notice board (then nobody makes way) */
    long base_file_kb; /* file-backed resident memory at open (libraries) */
    void *map;         /* the data file's mapping (found at open), or NULL */
    size_t map_len;
} store_t;

/* store_open - open (creating) the environment under CFG->data_dir.
 * Caller owns the result; NULL on failure (logged). */
store_t *store_open(const cfg_t *cfg);

/* store_destroy - close (accepts NULL, NULLs the pointer). */
void store_destroy(store_t **self_p);

/* store_begin - a write (RDONLY 0) or read transaction; NULL on failure. */
MDB_txn *store_begin(store_t *store, int rdonly);

/* store_begin_write - a write transaction, and *WAIT_MS (may be NULL) how
 * long it waited for it: what ondc_store_lock_wait_seconds records. LMDB
 * has one write lock for the whole fleet, and a process that commits and
 * begins again at once takes it back before a waiter on the other core has
 * woken: the ingress's journal commit could wait through several of a
 * worker's batches, and a worker could wait through dozens of the
 * ingress's commits (its commit thread begins the next the moment one
 * ends), the on_* of its batch held up all that time. So the wait is posted
 * on the notice board. With URGENT (the ingress) it is first let go to a
 * batch writer that has waited STORE_STARVE_US or more, until that one has
 * the lock (at most STORE_DEFER_MAX_US); a batch writer (URGENT 0:
 * workers, callback) that finds an urgent writer waiting lets it have the
 * lock first, until each urgent writer it saw waiting has the lock or it
 * has itself waited STORE_STARVE_US (a post older than STORE_STALE_MS is a
 * writer that died waiting, ignored). NULL on failure. */
#define STORE_STARVE_US 2000
#define STORE_DEFER_MAX_US 5000
#define STORE_STALE_MS 5000
MDB_txn *store_begin_write(store_t *store, int urgent, double *wait_ms);

/* store_commit - commit TXN; returns 0 or an LMDB error code (logged). */
int store_commit(MDB_txn *txn);

/* store_commit_timed - store_commit, and *MS (if not NULL) how long the
 * commit took, flushes included: what ondc_store_commit_seconds records. */
int store_commit_timed(MDB_txn *txn, double *ms);

/* store_commit_unflushed - commit TXN without the meta page's flush, and
 * *MS (if not NULL) how long it took. With journal_sync fsync the commit's
 * data pages are on disk when it returns but the meta page that makes it
 * current may not be: a crash may undo this commit (and only it; LMDB's
 * MDB_NOMETASYNC). It is on disk once store_flush returns, or once any
 * later commit that wrote a page has returned (that commit's data flush
 * writes the file's every dirty page, this meta page with them). 0 or an
 * LMDB error code (logged). */
int store_commit_unflushed(MDB_txn *txn, double *ms);

/* store_flush - put the last commit's meta page on disk (journal_sync
 * fsync; nothing to do with nosync). 0 or an LMDB error code (logged). */
int store_flush(store_t *store);

/* store_db_name - the name of a database. */
const char *store_db_name(store_db_t db);

/* store_key64 - fill the 8-byte big-endian key of ID. */
void store_key64(unsigned char out[8], uint64_t id);

/* store_get64 - the id of an 8-byte key (0 if the size is wrong). */
uint64_t store_get64(const MDB_val *v);

/* store_next_id - a fresh id for DB (a counter in meta; write TXN). 0 on failure. */
uint64_t store_next_id(store_t *store, MDB_txn *txn, store_db_t db);

/* store_reader_check - clear reader slots of dead processes; returns how many. */
int store_reader_check(store_t *store);

/* store_trim - when more than LIMIT_MB of mapped store pages are resident
 * in this process (file-backed RSS past what it had at open), let the
 * mapping go (madvise MADV_DONTNEED): the pages stay in the page cache and
 * the next read maps them again. Returns 1 when it trimmed, else 0. */
int store_trim(store_t *store, int limit_mb);

/* store_used_bytes - pages in use times page size (for metrics). */
uint64_t store_used_bytes(store_t *store);

#endif
