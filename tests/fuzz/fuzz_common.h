/*
 * fuzz_common.h - shared set-up of the libFuzzer harnesses: a quiet log, a
 * config with defaults, and a temporary LMDB environment holding the demo
 * catalog (tests/fixtures/catalog-demo.json, found from the working
 * directory or FUZZ_TOP). Everything a harness allocates per input is
 * freed before it returns: LeakSanitizer runs too.
 */
#ifndef ONDC_FUZZ_COMMON_H
#define ONDC_FUZZ_COMMON_H

#include "catalog.h"
#include "cfg.h"
#include "log.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cfg_t g_cfg;

static void fuzz_quiet_cfg(void)
{
    log_set_level(LOG_FATAL);
    cfg_defaults(&g_cfg);
    snprintf(g_cfg.subscriber_id, sizeof g_cfg.subscriber_id, "seller.fuzz.local");
    snprintf(g_cfg.journal_sync, sizeof g_cfg.journal_sync, "nosync");
    g_cfg.lmdb_map_size_mb = 64;
}

static char *fuzz_path(const char *rel, char *buf, size_t cap)
{
    const char *top = getenv("FUZZ_TOP");
    snprintf(buf, cap, "%s/%s", top ? top : ".", rel);
    return buf;
}

/* fuzz_store - a fresh environment under /tmp with the demo catalog. */
static store_t *fuzz_store(void)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/ondc-fuzz.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(g_cfg.data_dir, sizeof g_cfg.data_dir, "%s", dir);
    store_t *s = store_open(&g_cfg);
    char p[512];
    json_error_t je;
    json_t *cat = json_load_file(fuzz_path("tests/fixtures/catalog-demo.json", p, sizeof p), 0, &je);
    MDB_txn *txn = s ? store_begin(s, 0) : NULL;
    ondc_err_t err;
    if (!cat || !txn || catalog_import(s, txn, cat, CATALOG_REPLACE, &err) < 0 || store_commit(txn))
        abort();
    json_decref(cat);
    return s;
}

#endif
