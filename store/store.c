/*
 * store.c - LMDB environment and named databases. See store.h.
 */
#include "store.h"

#include "clock.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *s_names[DB_COUNT] = {
    "meta", "journal", "jpending", "jtxn",     "seen",     "txn",
    "orders", "catalog", "inventory", "outbox", "ostate", "keys", "opending", "buyer",
};

const char *store_db_name(store_db_t db)
{
    return (unsigned)db < DB_COUNT ? s_names[db] : "?";
}

/* s_mkdirs - mkdir -p PATH. */
static int s_mkdirs(const char *path)
{
    char buf[CFG_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return (mkdir(buf, 0750) < 0 && errno != EEXIST) ? -1 : 0;
}

/* s_file_kb - this process's file-backed and shared resident memory, kB
 * (the third field of /proc/self/statm, in pages); -1 if unknown. */
static long s_file_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    long size = 0, resident = 0, shared = 0;
    int n = fscanf(f, "%ld %ld %ld", &size, &resident, &shared);
    fclose(f);
    if (n != 3)
        return -1;
    return shared * (sysconf(_SC_PAGESIZE) / 1024);
}

int store_trim(store_t *store, int limit_mb)
{
    if (!store || limit_mb <= 0)
        return 0;
    long kb = s_file_kb();
    if (kb < 0 || kb - store->base_file_kb <= (long)limit_mb * 1024)
        return 0;
    if (!store->map)
        return 0;
    /* read-only shared mapping of the file: dropping it only unmaps the
     * pages (their contents are the page cache's); pointers into the map
     * stay valid and fault the page in again */
    if (madvise(store->map, store->map_len, MADV_DONTNEED) != 0) {
        log_errno(LOG_WARN, "store.trim", NULL);
        return 0;
    }
    return 1;
}

/* s_find_map - the mapping of the data file: the /proc/self/maps range
 * that holds a value read from it (mdb_env_info names the address only
 * with MDB_FIXEDMAP). */
static void s_find_map(store_t *self)
{
    MDB_txn *txn;
    if (mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn) != 0)
        return;
    static const char mark[] = "index/opending";
    MDB_val k = {sizeof mark - 1, (void *)mark}, v;
    uintptr_t at = 0;
    if (mdb_get(txn, self->dbi[DB_META], &k, &v) == 0)
        at = (uintptr_t)v.mv_data;
    mdb_txn_abort(txn);
    FILE *f = at ? fopen("/proc/self/maps", "r") : NULL;
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && at >= lo && at < hi) {
            self->map = (void *)lo;
            self->map_len = hi - lo;
            break;
        }
    }
    fclose(f);
}

/* s_board_open - map DIR/writers.shm (creating it); without it, no writer
 * makes way for another (LMDB's lock alone), which is only slower */
static void s_board_open(store_t *self, const char *dir)
{
    char path[CFG_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/writers.shm", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        log_errno(LOG_WARN, "store.board", "path", path, NULL);
        return;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size < (off_t)sizeof(store_board_t) &&
        ftruncate(fd, (off_t)sizeof(store_board_t)) < 0) {
        log_errno(LOG_WARN, "store.board", "path", path, NULL);
        close(fd);
        return;
    }
    void *m = mmap(NULL, sizeof(store_board_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        log_errno(LOG_WARN, "store.board", "path", path, NULL);
        return;
    }
    self->board = m;
}

store_t *store_open(const cfg_t *cfg)
{
    store_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    int rc;
    if (s_mkdirs(cfg->data_dir) < 0) {
        log_errno(LOG_ERROR, "store.mkdir", "path", cfg->data_dir, NULL);
        goto fail;
    }
    if ((rc = mdb_env_create(&self->env)) != 0)
        goto lmdb_fail;
    mdb_env_set_maxdbs(self->env, DB_COUNT + 4);
    mdb_env_set_maxreaders(self->env, 512);
    mdb_env_set_mapsize(self->env, (size_t)cfg->lmdb_map_size_mb * 1024 * 1024);
    self->nosync = strcmp(cfg->journal_sync, "nosync") == 0;
    /* MDB_NOTLS: reader slots belong to transactions, not threads; we are
     * single-threaded but this keeps slot use predictable. */
    /* fsync: MDB_NOMETASYNC leaves the commit's second flush (of the meta
     * page) to store_commit, after the write lock is released: the lock is
     * held for one flush, not two, and the commit is on disk before
     * store_commit returns all the same (see store_commit) */
    unsigned flags = MDB_NOTLS | (self->nosync ? MDB_NOSYNC : MDB_NOMETASYNC);
    if ((rc = mdb_env_open(self->env, cfg->data_dir, flags, 0640)) != 0)
        goto lmdb_fail;
    int dead = 0;
    mdb_reader_check(self->env, &dead);
    MDB_txn *txn;
    if ((rc = mdb_txn_begin(self->env, NULL, 0, &txn)) != 0)
        goto lmdb_fail;
    for (int i = 0; i < DB_COUNT; i++)
        if ((rc = mdb_dbi_open(txn, s_names[i], MDB_CREATE, &self->dbi[i])) != 0) {
            mdb_txn_abort(txn);
            goto lmdb_fail;
        }
    if ((rc = mdb_txn_commit(txn)) != 0)
        goto lmdb_fail;
    s_find_map(self);
    s_board_open(self, cfg->data_dir);
    self->base_file_kb = s_file_kb();
    if (self->base_file_kb < 0)
        self->base_file_kb = 0;
    return self;
lmdb_fail:
    log_error("store.open", "path", cfg->data_dir, "error", mdb_strerror(rc), NULL);
fail:
    store_destroy(&self);
    return NULL;
}

void store_destroy(store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    if (self->env) {
        if (self->nosync)
            mdb_env_sync(self->env, 1);
        mdb_env_close(self->env);
    }
    if (self->board)
        munmap(self->board, sizeof *self->board);
    free(self);
    *self_p = NULL;
}

static void s_nap(void)
{
    struct timespec nap = {0, 100000L};
    nanosleep(&nap, NULL);
}

/* s_wait_served - until each writer of SLOTS posted as SEEN (0: none) has
 * had the lock (its slot cleared or restamped), or MAX_US from FROM_US */
static void s_wait_served(_Atomic long long *slots, const long long *seen, long long from_us,
                          long long max_us)
{
    for (int any = 1; any && clock_mono_us() - from_us < max_us;) {
        s_nap();
        any = 0;
        for (int i = 0; i < STORE_URGENT_SLOTS; i++)
            if (seen[i] && atomic_load(&slots[i]) == seen[i])
                any = 1;
    }
}

/* s_defer - an urgent writer lets batch writers that have waited
 * STORE_STARVE_US have the lock first: until each of them has it (its slot
 * cleared or restamped), at most STORE_DEFER_MAX_US */
static void s_defer(store_board_t *b)
{
    long long seen[STORE_URGENT_SLOTS];
    int any = 0;
    long long now = clock_mono_us();
    for (int i = 0; i < STORE_URGENT_SLOTS; i++) {
        seen[i] = atomic_load(&b->batch_since_us[i]);
        long long age = now - seen[i];
        if (seen[i] > 0 && age >= STORE_STARVE_US && age < (long long)STORE_STALE_MS * 1000)
            any = 1;
        else
            seen[i] = 0;
    }
    if (any)
        s_wait_served(b->batch_since_us, seen, now, STORE_DEFER_MAX_US);
}

/* s_make_way - a batch writer lets the urgent writers waiting now have the
 * lock first: until each has it (its slot cleared or restamped), or until
 * the batch writer has waited STORE_STARVE_US since SINCE_US */
static void s_make_way(store_board_t *b, long long since_us)
{
    long long seen[STORE_URGENT_SLOTS];
    int any = 0;
    long long now = clock_mono_ms();
    for (int i = 0; i < STORE_URGENT_SLOTS; i++) {
        seen[i] = atomic_load(&b->since_ms[i]);
        if (seen[i] > 0 && now - seen[i] < STORE_STALE_MS)
            any = 1;
        else
            seen[i] = 0;
    }
    if (any)
        s_wait_served(b->since_ms, seen, since_us, STORE_STARVE_US);
}

MDB_txn *store_begin_write(store_t *store, int urgent, double *wait_ms)
{
    int64_t a = clock_mono_ns();
    store_board_t *b = store->board;
    _Atomic long long *slot = NULL;
    /* one slot a process (two copies sharing one only lose a little of the
     * effect) */
    unsigned mine = (unsigned)getpid() % STORE_URGENT_SLOTS;
    if (b && urgent) {
        s_defer(b);
        slot = &b->since_ms[mine];
        atomic_store(slot, clock_mono_ms());
    } else if (b) {
        long long since = clock_mono_us();
        slot = &b->batch_since_us[mine];
        atomic_store(slot, since);
        s_make_way(b, since);
    }
    MDB_txn *txn = store_begin(store, 0);
    if (slot)
        atomic_store(slot, 0);
    if (wait_ms)
        *wait_ms = clock_ms_since(a);
    return txn;
}

MDB_txn *store_begin(store_t *store, int rdonly)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(store->env, NULL, rdonly ? MDB_RDONLY : 0, &txn);
    if (rc != 0) {
        log_error("store.begin", "error", mdb_strerror(rc), NULL);
        return NULL;
    }
    return txn;
}

int store_commit_timed(MDB_txn *txn, double *ms)
{
    int64_t a = clock_mono_ns();
    int rc = store_commit(txn);
    if (ms)
        *ms = clock_ms_since(a);
    return rc;
}

/* s_meta_deferred - whether ENV's commits leave the meta page's flush to
 * us (journal_sync fsync: MDB_NOMETASYNC without MDB_NOSYNC) */
static int s_meta_deferred(MDB_env *env)
{
    unsigned flags = 0;
    return mdb_env_get_flags(env, &flags) == 0 && (flags & MDB_NOMETASYNC) &&
           !(flags & MDB_NOSYNC);
}

int store_commit(MDB_txn *txn)
{
    MDB_env *env = mdb_txn_env(txn);
    int rc = mdb_txn_commit(txn);
    if (rc != 0) {
        log_error("store.commit", "error", mdb_strerror(rc), NULL);
        return rc;
    }
    /* with MDB_NOMETASYNC the commit flushed its data pages and wrote the
     * meta page that makes it current, unflushed; flush that now, outside
     * the write lock (other writers go on meanwhile). LMDB keeps the store
     * consistent in between: a crash before this flush undoes only this
     * commit, and nothing of it has left this process yet. */
    if (s_meta_deferred(env) && (rc = mdb_env_sync(env, 1)) != 0)
        log_error("store.sync", "error", mdb_strerror(rc), NULL);
    return rc;
}

int store_commit_unflushed(MDB_txn *txn, double *ms)
{
    int64_t a = clock_mono_ns();
    int rc = mdb_txn_commit(txn);
    if (rc != 0)
        log_error("store.commit", "error", mdb_strerror(rc), NULL);
    if (ms)
        *ms = clock_ms_since(a);
    return rc;
}

int store_flush(store_t *store)
{
    int rc = 0;
    if (s_meta_deferred(store->env) && (rc = mdb_env_sync(store->env, 1)) != 0)
        log_error("store.sync", "error", mdb_strerror(rc), NULL);
    return rc;
}

void store_key64(unsigned char out[8], uint64_t id)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(id & 0xff);
        id >>= 8;
    }
}

uint64_t store_get64(const MDB_val *v)
{
    if (v->mv_size != 8)
        return 0;
    const unsigned char *p = v->mv_data;
    uint64_t id = 0;
    for (int i = 0; i < 8; i++)
        id = (id << 8) | p[i];
    return id;
}

uint64_t store_next_id(store_t *store, MDB_txn *txn, store_db_t db)
{
    /* A counter in meta rather than "last key + 1": the janitor may prune
     * every row, and an id must never be handed out twice. */
    char name[32];
    snprintf(name, sizeof name, "next/%s", s_names[db]);
    MDB_val mk = {strlen(name), name}, mv;
    uint64_t next = 1;
    if (mdb_get(txn, store->dbi[DB_META], &mk, &mv) == 0 && mv.mv_size == 8) {
        next = store_get64(&mv);
    } else {
        MDB_cursor *cur;
        MDB_val k, v;
        if (mdb_cursor_open(txn, store->dbi[db], &cur) == 0) {
            if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0)
                next = store_get64(&k) + 1;
            mdb_cursor_close(cur);
        }
    }
    unsigned char buf[8];
    store_key64(buf, next + 1);
    mv.mv_size = 8;
    mv.mv_data = buf;
    if (mdb_put(txn, store->dbi[DB_META], &mk, &mv, 0) != 0)
        return 0;
    return next;
}

int store_reader_check(store_t *store)
{
    int dead = 0;
    mdb_reader_check(store->env, &dead);
    return dead;
}

uint64_t store_used_bytes(store_t *store)
{
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info(store->env, &info) != 0 || mdb_env_stat(store->env, &st) != 0)
        return 0;
    return (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
}
