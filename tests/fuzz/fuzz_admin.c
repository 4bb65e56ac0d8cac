/*
 * fuzz_admin.c - the bodies the admin API and buyer apps send that are
 * parsed beyond JSON: a PATCH of an item (price, stock, enabled, maximum)
 * and a search intent. Both on the demo catalog, rolled back per input.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    if (!body)
        return 0;
    MDB_txn *txn = store_begin(g_store, 0);
    ondc_err_t err;
    if (catalog_patch_item(g_store, txn, "111863", "42602101", body, &err) == 0) {
        int64_t stock;
        if (catalog_stock(g_store, txn, "111863", "42602101", &stock) < 0 || stock < 0)
            abort();
    }
    json_t *ctx = json_pack("{s:s}", "city", "std:080");
    json_t *msg = json_pack("{s:O}", "intent", body);
    search_intent_t q;
    if (search_parse(ctx, msg, &q, &err) == 0) {
        json_t *pages = NULL;
        search_run(g_store, txn, &q, 4096, &pages, NULL);
        json_decref(pages);
    }
    json_decref(ctx);
    json_decref(msg);
    mdb_txn_abort(txn);
    json_decref(body);
    return 0;
}
