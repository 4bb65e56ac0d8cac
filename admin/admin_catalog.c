/*
 * admin_catalog.c - the seller's catalog API:
 *   PUT   /seller/v1/catalog[?mode=upsert]   replace (or upsert) the catalog
 *   PATCH /seller/v1/items/{item}            price, maximum_value (MRP), stock,
 *                                            stock_delta, enabled, maximum
 *   PATCH /seller/v1/items/{provider}/{item} the same, when item ids repeat
 *                                            across providers
 * A change commits in one LMDB transaction and is seen by the next search.
 * Bad input is refused with 400 and {"error", "field"}; nothing is written.
 * A catalog is parsed and checked before the write transaction begins, so
 * LMDB's write lock (which the ingress's journal commits need too) is held
 * only while it is written.
 */
#include "admin.h"

#include "catalog.h"
#include "catalog_sync.h"
#include "jparse.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

/* s_body - Q's body as JSON, or NULL with the 400 answered (*RC set). */
static json_t *s_body(admin_req_t *q, int *rc)
{
    json_error_t je;
    json_t *root = q->len ? jparse(q->body, q->len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!root)
        *rc = admin_error(q, 400, NULL, "the body is not JSON: %s", q->len ? je.text : "empty");
    return root;
}

int admin_put_catalog(admin_t *a, admin_req_t *q, const char *rest)
{
    if (*rest && strcmp(rest, "/") != 0)
        return admin_error(q, 404, NULL, "no such resource");
    const char *mode = admin_arg(q, "mode");
    if (mode && strcmp(mode, "upsert") != 0 && strcmp(mode, "replace") != 0)
        return admin_error(q, 400, "mode", "mode must be replace or upsert");
    int rc = -1;
    json_t *root = s_body(q, &rc);
    if (!root)
        return rc;
    ondc_err_t err;
    memset(&err, 0, sizeof err);
    if (catalog_validate(root, &err) < 0) {
        json_decref(root);
        return admin_error_code(q, 400, err.code, err.path, "%s", err.message);
    }
    MDB_txn *txn = admin_begin(a);
    if (!txn) {
        json_decref(root);
        return admin_error(q, 503, NULL, "the store is not available");
    }
    catalog_mode_t m = mode && strcmp(mode, "upsert") == 0 ? CATALOG_UPSERT : CATALOG_REPLACE;
    if (catalog_import(a->rt->store, txn, root, m, &err) < 0) {
        mdb_txn_abort(txn);
        json_decref(root);
        return admin_error_code(q, err.http_status == 500 ? 500 : 400, err.code, err.path, "%s",
                                err.message);
    }
    if (admin_commit(a, txn) != 0) {
        json_decref(root);
        return admin_error(q, 500, NULL, "could not commit the catalog");
    }
    size_t np = json_array_size(json_object_get(root, "bpp/providers")), ni = 0, i;
    json_t *p;
    json_array_foreach(json_object_get(root, "bpp/providers"), i, p) ni +=
        json_array_size(json_object_get(p, "items"));
    char nps[24], nis[24];
    snprintf(nps, sizeof nps, "%zu", np);
    snprintf(nis, sizeof nis, "%zu", ni);
    log_info("catalog.imported", "mode", m == CATALOG_UPSERT ? "upsert" : "replace", "providers",
             nps, "items", nis, NULL);
    json_decref(root);
    return admin_reply(q, 200,
                       json_pack("{s:s,s:I,s:I}", "mode",
                                 m == CATALOG_UPSERT ? "upsert" : "replace", "providers",
                                 (json_int_t)np, "items", (json_int_t)ni));
}

int admin_patch_item(admin_t *a, admin_req_t *q, const char *rest)
{
    char pid[160] = "", iid[160];
    const char *slash = strchr(rest, '/');
    if (slash) {
        size_t pl = (size_t)(slash - rest);
        if (pl == 0 || pl >= sizeof pid || strchr(slash + 1, '/') || !slash[1] ||
            strlen(slash + 1) >= sizeof iid)
            return admin_error(q, 404, NULL, "no such item");
        memcpy(pid, rest, pl);
        pid[pl] = '\0';
        snprintf(iid, sizeof iid, "%s", slash + 1);
    } else {
        if (!*rest || strlen(rest) >= sizeof iid)
            return admin_error(q, 404, NULL, "no such item");
        snprintf(iid, sizeof iid, "%s", rest);
    }
    int rc = -1;
    json_t *patch = s_body(q, &rc);
    if (!patch)
        return rc;
    store_t *st = a->rt->store;
    MDB_txn *txn = admin_begin(a);
    if (!txn) {
        json_decref(patch);
        return admin_error(q, 503, NULL, "the store is not available");
    }
    if (!pid[0]) {
        char pids[2][160];
        int n = catalog_item_providers(st, txn, iid, pids, 2);
        if (n == 0) {
            mdb_txn_abort(txn);
            json_decref(patch);
            return admin_error(q, 404, NULL, "item %s not found", iid);
        }
        if (n > 1) {
            mdb_txn_abort(txn);
            json_decref(patch);
            return admin_error(q, 409, NULL,
                               "item %s is listed by several providers: "
                               "PATCH /seller/v1/items/{provider}/%s",
                               iid, iid);
        }
        snprintf(pid, sizeof pid, "%s", pids[0]);
    }
    ondc_err_t err;
    memset(&err, 0, sizeof err);
    if (catalog_sync_patch(st, txn, pid, iid, patch, &err) < 0) {
        mdb_txn_abort(txn);
        json_decref(patch);
        return admin_error_err(q, &err);
    }
    json_t *item = catalog_item(st, txn, pid, iid);
    int64_t stock = 0;
    catalog_stock(st, txn, pid, iid, &stock);
    if (admin_commit(a, txn) != 0) {
        json_decref(patch);
        json_decref(item);
        return admin_error(q, 500, NULL, "could not commit the change");
    }
    log_info("catalog.item_changed", "provider", pid, "item", iid, NULL);
    json_decref(patch);
    return admin_reply(q, 200,
                       json_pack("{s:s,s:o,s:I}", "provider", pid, "item",
                                 item ? item : json_null(), "stock", (json_int_t)stock));
}
