/*
 * fuzz_catalog.c - catalog import (validate + write with its indexes) of
 * any JSON, then a city-wide search and a name search over what was
 * stored: every page must be valid JSON within its bound.
 */
#include "fuzz_common.h"
#include "search.h"

#include <stdint.h>

static store_t *g_store;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_cfg();
    g_store = fuzz_store();
    return 0;
}

static void s_search(MDB_txn *txn, const char *intent)
{
    json_error_t je;
    json_t *ctx = json_pack("{s:s}", "city", "*");
    json_t *msg = json_pack("{s:o}", "intent", json_loads(intent, 0, &je));
    search_intent_t q;
    ondc_err_t err;
    if (search_parse(ctx, msg, &q, &err) == 0) {
        json_t *pages = NULL;
        if (search_run(g_store, txn, &q, 8192, &pages, NULL) == 0) {
            size_t i;
            json_t *p;
            json_array_foreach(pages, i, p)
            {
                char *t = json_dumps(p, JSON_COMPACT);
                if (!t)
                    abort();
                free(t);
            }
        }
        json_decref(pages);
    }
    json_decref(ctx);
    json_decref(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return 0;
    MDB_txn *txn = store_begin(g_store, 0);
    ondc_err_t err;
    catalog_mode_t mode = size & 1 ? CATALOG_UPSERT : CATALOG_REPLACE;
    if (catalog_import(g_store, txn, root, mode, &err) == 0) {
        s_search(txn, "{}");
        s_search(txn, "{\"item\":{\"descriptor\":{\"name\":\"a\"}}}");
        s_search(txn, "{\"fulfillment\":{\"end\":{\"location\":{\"gps\":\"12.97,77.64\",\"address\":{\"area_code\":\"560038\"}}}}}");
    }
    mdb_txn_abort(txn); /* the demo catalog stays for the next input */
    json_decref(root);
    return 0;
}
