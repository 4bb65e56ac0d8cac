/*
 * fixture_store.h - the unit tests' LMDB environment: a fresh temporary
 * directory, a config with the config table's defaults, the store opened
 * there as every process opens it (migrate_open), reopened, closed and the
 * directory removed at the end.
 *
 * Layout: DIR (mkdtemp under /tmp) holds whatever files a test writes
 * beside the store (a registry file, say); the store itself lives in
 * DIR/data (cfg.data_dir), made when it is first opened. Two settings
 * differ from the defaults, both for speed and neither for behaviour: no
 * fsync (journal_sync nosync) and a 64 MB map (lmdb_map_size_mb). A test
 * changes fx->cfg as it likes before fixture_store_open / _reopen.
 *
 * Ownership: the fixture owns its store (fx->s, NULL while closed); a
 * second handle a test opens on fx->cfg is the test's to destroy first.
 * fixture_store_destroy also empties the catalog's parse cache, so that a
 * leak check at exit sees nothing of it.
 */
#ifndef ONDC_FIXTURE_STORE_H
#define ONDC_FIXTURE_STORE_H

#include "cfg.h"
#include "store.h"

typedef struct {
    char dir[64]; /* the temporary directory; removed by fixture_store_destroy */
    cfg_t cfg;    /* defaults, data_dir = DIR/data, nosync, 64 MB map */
    store_t *s;   /* the open store (owned), or NULL while closed */
} fixture_store_t;

/* fixture_store_new - a fresh directory /tmp/NAME.XXXXXX and the config;
 * the store is not opened yet. Caller owns (fixture_store_destroy); NULL
 * on failure. The log is set to fatal only (tests that fail on purpose
 * would fill the output). */
fixture_store_t *fixture_store_new(const char *name);

/* fixture_store_new_open - fixture_store_new, then fixture_store_open;
 * NULL (nothing left behind) when either fails. */
fixture_store_t *fixture_store_new_open(const char *name);

/* fixture_store_open - open the store on fx->cfg (migrate_open); 0, or -1
 * when it cannot be opened (or is open already). */
int fixture_store_open(fixture_store_t *fx);

/* fixture_store_reopen - close the store and open it again on fx->cfg
 * (the data kept: a process restarting); 0 or -1. */
int fixture_store_reopen(fixture_store_t *fx);

/* fixture_store_close - close the store (nothing if it is closed). */
void fixture_store_close(fixture_store_t *fx);

/* fixture_store_wipe - close the store and remove its files: the next
 * open starts from an empty environment (with fx->cfg as it is then).
 * 0 or -1. */
int fixture_store_wipe(fixture_store_t *fx);

/* fixture_store_import - import catalog file PATH (relative to the
 * repository root, the working directory of the unit tests) into the open
 * store, replacing what was there, in one committed transaction. 0, or -1
 * (the reason on stderr). */
int fixture_store_import(fixture_store_t *fx, const char *path);

/* fixture_store_destroy - close, remove the directory and everything in
 * it, free; accepts NULL, NULLs the pointer. Returns 0, or -1 when the
 * directory could not be removed. */
int fixture_store_destroy(fixture_store_t **self_p);

#endif
