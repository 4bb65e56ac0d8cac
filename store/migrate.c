/*
 * migrate.c - the store's format upgrades, run once at open. See migrate.h.
 */
#include "migrate.h"

#include "journal.h"
#include "log.h"

#include <stdio.h>

/* s_build_opending - a store made before the pending-outbox index: build it
 * once from the delivery states (status is their first byte), then mark it
 * built in "meta". */
static int s_build_opending(store_t *self, MDB_txn *txn)
{
    static const char mark[] = "index/opending";
    MDB_val mk = {sizeof mark - 1, (void *)mark}, mv;
    int rc = mdb_get(txn, self->dbi[DB_META], &mk, &mv);
    if (rc != MDB_NOTFOUND)
        return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, self->dbi[DB_OSTATE], &cur)) != 0)
        return rc;
    MDB_val k, v, none = {0, (void *)""};
    size_t n = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (v.mv_size < 1 || ((const unsigned char *)v.mv_data)[0] != 0 /* pending */)
            continue;
        if ((rc = mdb_put(txn, self->dbi[DB_OPENDING], &k, &none, 0)) != 0)
            break;
        n++;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND && rc != 0)
        return rc;
    MDB_val one = {1, (void *)"1"};
    if (n) {
        char nb[24];
        snprintf(nb, sizeof nb, "%zu", n);
        log_info("store.index_built", "index", "opending", "rows", nb, NULL);
    }
    return mdb_put(txn, self->dbi[DB_META], &mk, &one, 0);
}

/* the upgrades, in the order they were added; each is idempotent and
 * cheap on a store that has it already */
typedef int s_step_fn(store_t *store, MDB_txn *txn);
static s_step_fn *const s_steps[] = {
    s_build_opending, /* the pending-outbox index (opending) */
    journal_upgrade,  /* dead-row count; dedupe entries beside their transaction */
};

int migrate_run(store_t *store)
{
    MDB_txn *txn = store_begin(store, 0);
    if (!txn)
        return -1;
    for (size_t i = 0; i < sizeof s_steps / sizeof s_steps[0]; i++) {
        int rc = s_steps[i](store, txn);
        if (rc != 0) {
            log_error("store.migrate", "error", mdb_strerror(rc), NULL);
            mdb_txn_abort(txn);
            return -1;
        }
    }
    return store_commit(txn) == 0 ? 0 : -1;
}

store_t *migrate_open(const cfg_t *cfg)
{
    store_t *store = store_open(cfg);
    if (store && migrate_run(store) != 0)
        store_destroy(&store);
    return store;
}
