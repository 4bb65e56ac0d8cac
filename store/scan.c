/*
 * scan.c - walks over the id-keyed databases. See scan.h.
 */
#include "scan.h"

#include <string.h>

int scan_each(store_t *s, MDB_txn *txn, store_db_t db, uint64_t from, uint64_t to, scan_fn *fn,
              void *arg)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[db], &cur);
    if (rc)
        return rc;
    unsigned char kb[8];
    store_key64(kb, from);
    MDB_val k = {8, kb}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, from ? MDB_SET_RANGE : MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8)
            continue;
        uint64_t id = store_get64(&k);
        if (to && id > to)
            break;
        if (fn(id, &v, arg))
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int scan_prune(store_t *s, MDB_txn *txn, store_db_t db, int limit, scan_prune_fn *fn, void *arg)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[db], &cur))
        return 0;
    int n = 0;
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0 && n < limit) {
        scan_verdict_t verdict = SCAN_KEEP;
        if (k.mv_size == 8)
            verdict = fn(s, txn, store_get64(&k), &v, arg);
        if (verdict == SCAN_STOP)
            break;
        if (verdict == SCAN_DELETE) {
            mdb_cursor_del(cur, 0);
            n++;
        }
        /* after a delete, LMDB's MDB_NEXT yields the record that followed */
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return n;
}
