/*
 * ondcctl_usage.c - `ondcctl store usage`: where the store's bytes go;
 * `ondcctl store prune`: a retention pass now.
 *
 * For each named database: entries, B-tree pages (branch, leaf, overflow)
 * and the bytes those pages take; then the data file's size, the pages in
 * use (the highest page number written), and the free pages LMDB keeps for
 * reuse (its free list, database 0). A read transaction of its own: safe
 * against a running fleet. With --json one object, for scripts (the disk
 * benchmark, scripts/bench-disk.py).
 *
 * `store prune [--age S]` deletes what the janitor would (retain.h): rows
 * older than S seconds (default retention_s), the journal's kept at least
 * as long as a signature lives, in slices of their own write transaction,
 * until none is left past the cut-offs; then prints how many went.
 */
#include "ondcctl.h"
#include "migrate.h"

#include "clock.h"
#include "retain.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    const char *name;
    size_t entries, branch, leaf, overflow;
} s_db_t;

/* s_free_pages - pages on LMDB's free list as TXN sees it (each free-list
 * record is a page-number list whose first word is its length) */
static size_t s_free_pages(MDB_txn *txn)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, 0, &cur) != 0)
        return 0;
    size_t n = 0;
    MDB_val k, v;
    while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0)
        if (v.mv_size >= sizeof(size_t))
            n += *(const size_t *)v.mv_data;
    mdb_cursor_close(cur);
    return n;
}

/* s_prune - `store prune [--age S]` */
static int s_prune(ctl_t *ctl, int argc, char **argv)
{
    static const char *const opts[] = {"age=", NULL};
    int arc = ctl_args("store prune", argc, argv, opts, 1, 1);
    if (arc)
        return arc;
    const char *age = ctl_opt(argc, argv, "age");
    char *end = NULL;
    long long age_s = age ? strtoll(age, &end, 10) : -1;
    if (age && (!*age || *end || age_s < 0)) {
        fprintf(stderr, "ondcctl store prune: --age is seconds (0 or more)\n");
        return 64;
    }
    cfg_t *cfg = ctl_need_config(ctl);
    store_t *s = migrate_open(cfg);
    if (!s) {
        fprintf(stderr, "ondcctl: cannot open the store under %s\n", cfg->data_dir);
        return 1;
    }
    retain_cut_t cut = retain_cutoffs(cfg, clock_wall_ms(), age_s);
    retain_pos_t pos = {0};
    long nj = 0, no = 0, nt = 0;
    int rc = 0;
    for (int more = 1; more;) {
        MDB_txn *txn = store_begin_write(s, 0, NULL);
        if (!txn) {
            rc = 1;
            break;
        }
        retain_done_t d = retain_slice(s, txn, &cut, 500, &pos);
        if (store_commit(txn) != 0) {
            rc = 1;
            break;
        }
        nj += d.journal;
        no += d.outbox;
        nt += d.txn;
        /* on while a limit was reached, or the walk of DB_TXN is not at its end */
        more = d.more || pos.len != 0;
    }
    printf("pruned %ld journal rows, %ld outbox rows, %ld transaction states\n", nj, no, nt);
    store_destroy(&s);
    return rc;
}

int ctl_store(ctl_t *ctl, int argc, char **argv)
{
    static const char *const opts[] = {"json", NULL};
    const char *sub = ctl_positional(argc, argv, 0);
    if (sub && strcmp(sub, "prune") == 0)
        return s_prune(ctl, argc, argv);
    if (!sub || strcmp(sub, "usage") != 0) {
        fprintf(stderr, "usage: ondcctl --config C store usage [--json] | store prune [--age S]\n");
        return 64;
    }
    int arc = ctl_args("store usage", argc, argv, opts, 1, 1);
    if (arc)
        return arc;
    cfg_t *cfg = ctl_need_config(ctl);
    store_t *s = migrate_open(cfg);
    if (!s) {
        fprintf(stderr, "ondcctl: cannot open the store under %s\n", cfg->data_dir);
        return 1;
    }
    MDB_txn *txn = store_begin(s, 1);
    if (!txn) {
        store_destroy(&s);
        return 1;
    }
    s_db_t dbs[DB_COUNT];
    MDB_stat st;
    MDB_envinfo info;
    mdb_env_stat(s->env, &st);
    mdb_env_info(s->env, &info);
    size_t psize = st.ms_psize;
    size_t used = 0;
    for (int i = 0; i < DB_COUNT; i++) {
        memset(&dbs[i], 0, sizeof dbs[i]);
        dbs[i].name = store_db_name((store_db_t)i);
        if (mdb_stat(txn, s->dbi[i], &st) != 0)
            continue;
        dbs[i].entries = st.ms_entries;
        dbs[i].branch = st.ms_branch_pages;
        dbs[i].leaf = st.ms_leaf_pages;
        dbs[i].overflow = st.ms_overflow_pages;
        used += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    }
    size_t free_pages = s_free_pages(txn);
    mdb_txn_abort(txn);
    char path[CFG_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/data.mdb", cfg->data_dir);
    struct stat fst;
    unsigned long long file = stat(path, &fst) == 0 ? (unsigned long long)fst.st_size : 0;
    unsigned long long last = (unsigned long long)info.me_last_pgno + 1;
    if (ctl_flag(argc, argv, "json")) {
        printf("{\"page_size\":%zu,\"file_bytes\":%llu,\"last_page\":%llu,\"free_pages\":%zu,"
               "\"tree_pages\":%zu,\"databases\":{",
               psize, file, last, free_pages, used);
        for (int i = 0; i < DB_COUNT; i++)
            printf("%s\"%s\":{\"entries\":%zu,\"branch\":%zu,\"leaf\":%zu,\"overflow\":%zu,"
                   "\"bytes\":%zu}",
                   i ? "," : "", dbs[i].name, dbs[i].entries, dbs[i].branch, dbs[i].leaf,
                   dbs[i].overflow, (dbs[i].branch + dbs[i].leaf + dbs[i].overflow) * psize);
        printf("}}\n");
    } else {
        printf("%-10s %10s %8s %8s %9s %12s %10s\n", "database", "entries", "branch", "leaf",
               "overflow", "bytes", "per entry");
        for (int i = 0; i < DB_COUNT; i++) {
            size_t b = (dbs[i].branch + dbs[i].leaf + dbs[i].overflow) * psize;
            printf("%-10s %10zu %8zu %8zu %9zu %12zu %10.0f\n", dbs[i].name, dbs[i].entries,
                   dbs[i].branch, dbs[i].leaf, dbs[i].overflow, b,
                   dbs[i].entries ? (double)b / (double)dbs[i].entries : 0.0);
        }
        printf("pages in the databases %zu (%zu bytes); free for reuse %zu; highest written %llu; "
               "data file %llu bytes\n",
               used, used * psize, free_pages, last, file);
    }
    store_destroy(&s);
    return 0;
}
