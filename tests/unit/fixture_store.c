/*
 * fixture_store.c - the unit tests' LMDB environment. See fixture_store.h.
 */
#include "fixture_store.h"

#include "catalog.h"
#include "log.h"
#include "migrate.h"
#include "search.h"

#include <jansson.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* s_rm - nftw's visit: remove one file or (emptied, depth first) directory */
static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* s_rm_tree - remove PATH and everything under it; a missing PATH is fine */
static int s_rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, s_rm, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

fixture_store_t *fixture_store_new(const char *name)
{
    fixture_store_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return NULL;
    log_set_level(LOG_FATAL);
    int n = snprintf(fx->dir, sizeof fx->dir, "/tmp/%s.XXXXXX", name);
    if (n < 0 || (size_t)n >= sizeof fx->dir || !mkdtemp(fx->dir)) {
        free(fx);
        return NULL;
    }
    cfg_defaults(&fx->cfg);
    snprintf(fx->cfg.data_dir, sizeof fx->cfg.data_dir, "%s/data", fx->dir);
    snprintf(fx->cfg.journal_sync, sizeof fx->cfg.journal_sync, "nosync");
    fx->cfg.lmdb_map_size_mb = 64;
    return fx;
}

fixture_store_t *fixture_store_new_open(const char *name)
{
    fixture_store_t *fx = fixture_store_new(name);
    if (fx && fixture_store_open(fx) < 0)
        fixture_store_destroy(&fx);
    return fx;
}

int fixture_store_open(fixture_store_t *fx)
{
    if (fx->s)
        return -1;
    fx->s = migrate_open(&fx->cfg);
    return fx->s ? 0 : -1;
}

int fixture_store_reopen(fixture_store_t *fx)
{
    fixture_store_close(fx);
    return fixture_store_open(fx);
}

void fixture_store_close(fixture_store_t *fx)
{
    store_destroy(&fx->s);
}

int fixture_store_wipe(fixture_store_t *fx)
{
    fixture_store_close(fx);
    return s_rm_tree(fx->cfg.data_dir);
}

int fixture_store_import(fixture_store_t *fx, const char *path)
{
    json_error_t je;
    json_t *cat = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!cat) {
        fprintf(stderr, "fixture_store_import: %s: %s (line %d)\n", path, je.text, je.line);
        return -1;
    }
    MDB_txn *txn = fx->s ? store_begin(fx->s, 0) : NULL;
    ondc_err_t err;
    memset(&err, 0, sizeof err);
    int rc = txn ? catalog_import(fx->s, txn, cat, CATALOG_REPLACE, &err) : -1;
    json_decref(cat);
    if (rc < 0) {
        fprintf(stderr, "fixture_store_import: %s: %s %s\n", path, err.path, err.message);
        if (txn)
            mdb_txn_abort(txn);
        return -1;
    }
    return store_commit(txn) == 0 ? 0 : -1;
}

int fixture_store_destroy(fixture_store_t **self_p)
{
    if (!self_p || !*self_p)
        return 0;
    fixture_store_t *fx = *self_p;
    fixture_store_close(fx);
    catalog_cache_clear();
    search_pool_clear();
    int rc = s_rm_tree(fx->dir);
    free(fx);
    *self_p = NULL;
    return rc;
}
