/*
 * ingress_admin_catalog.c - the seller's catalog API:
 *   PUT   /seller/v1/catalog[?mode=upsert]   replace (or upsert) the catalog
 *   PATCH /seller/v1/items/{item}            price, stock, enabled, maximum
 *   PATCH /seller/v1/items/{provider}/{item} the same, when item ids repeat
 *                                            across providers
 * A change commits in one LMDB transaction and is seen by the next search.
 * Bad input is refused with 400 and {"error", "field"}; nothing is written.
 */
#include "ingress.h"

#include "catalog.h"
#include "jparse.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static json_t *s_body(struct MHD_Connection *conn, req_t *r, enum MHD_Result *res)
{
    json_error_t je;
    json_t *root = r->len ? jparse(r->body, r->len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!root)
        *res = ingress_admin_error(conn, 400, NULL, "the body is not JSON: %s",
                                   r->len ? je.text : "empty");
    return root;
}

enum MHD_Result ingress_admin_put_catalog(ingress_t *in, struct MHD_Connection *conn,
                                          const char *rest, req_t *r)
{
    if (*rest && strcmp(rest, "/") != 0)
        return ingress_admin_error(conn, 404, NULL, "no such resource");
    const char *mode = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "mode");
    if (mode && strcmp(mode, "upsert") != 0 && strcmp(mode, "replace") != 0)
        return ingress_admin_error(conn, 400, "mode", "mode must be replace or upsert");
    enum MHD_Result res = MHD_NO;
    json_t *root = s_body(conn, r, &res);
    if (!root)
        return res;
    ondc_err_t err;
    memset(&err, 0, sizeof err);
    MDB_txn *txn = store_begin(in->rt->store, 0);
    if (!txn) {
        json_decref(root);
        return ingress_admin_error(conn, 503, NULL, "the store is not available");
    }
    catalog_mode_t m = mode && strcmp(mode, "upsert") == 0 ? CATALOG_UPSERT : CATALOG_REPLACE;
    if (catalog_import(in->rt->store, txn, root, m, &err) < 0) {
        mdb_txn_abort(txn);
        json_decref(root);
        return ingress_admin_error(conn, err.http_status == 500 ? 500 : 400, err.path, "%s",
                                   err.message);
    }
    if (store_commit(txn) != 0) {
        json_decref(root);
        return ingress_admin_error(conn, 500, NULL, "could not commit the catalog");
    }
    size_t np = json_array_size(json_object_get(root, "bpp/providers")), ni = 0, i;
    json_t *p;
    json_array_foreach(json_object_get(root, "bpp/providers"), i, p) ni +=
        json_array_size(json_object_get(p, "items"));
    char a[24], b[24];
    snprintf(a, sizeof a, "%zu", np);
    snprintf(b, sizeof b, "%zu", ni);
    log_info("catalog.imported", "mode", m == CATALOG_UPSERT ? "upsert" : "replace", "providers",
             a, "items", b, NULL);
    json_decref(root);
    return ingress_admin_reply(conn, 200,
                               json_pack("{s:s,s:I,s:I}", "mode",
                                         m == CATALOG_UPSERT ? "upsert" : "replace", "providers",
                                         (json_int_t)np, "items", (json_int_t)ni));
}

enum MHD_Result ingress_admin_patch_item(ingress_t *in, struct MHD_Connection *conn,
                                         const char *rest, req_t *r)
{
    char pid[160] = "", iid[160];
    const char *slash = strchr(rest, '/');
    if (slash) {
        size_t pl = (size_t)(slash - rest);
        if (pl == 0 || pl >= sizeof pid || strchr(slash + 1, '/') || !slash[1] ||
            strlen(slash + 1) >= sizeof iid)
            return ingress_admin_error(conn, 404, NULL, "no such item");
        memcpy(pid, rest, pl);
        pid[pl] = '\0';
        snprintf(iid, sizeof iid, "%s", slash + 1);
    } else {
        if (!*rest || strlen(rest) >= sizeof iid)
            return ingress_admin_error(conn, 404, NULL, "no such item");
        snprintf(iid, sizeof iid, "%s", rest);
    }
    enum MHD_Result res = MHD_NO;
    json_t *patch = s_body(conn, r, &res);
    if (!patch)
        return res;
    MDB_txn *txn = store_begin(in->rt->store, 0);
    if (!txn) {
        json_decref(patch);
        return ingress_admin_error(conn, 503, NULL, "the store is not available");
    }
    if (!pid[0]) {
        char pids[2][160];
        int n = catalog_item_providers(in->rt->store, txn, iid, pids, 2);
        if (n == 0) {
            mdb_txn_abort(txn);
            json_decref(patch);
            return ingress_admin_error(conn, 404, NULL, "item %s not found", iid);
        }
        if (n > 1) {
            mdb_txn_abort(txn);
            json_decref(patch);
            return ingress_admin_error(conn, 409, NULL,
                                       "item %s is listed by several providers: "
                                       "PATCH /seller/v1/items/{provider}/%s",
                                       iid, iid);
        }
        snprintf(pid, sizeof pid, "%s", pids[0]);
    }
    ondc_err_t err;
    memset(&err, 0, sizeof err);
    if (catalog_patch_item(in->rt->store, txn, pid, iid, patch, &err) < 0) {
        mdb_txn_abort(txn);
        json_decref(patch);
        return ingress_admin_error(conn, err.http_status, err.path, "%s", err.message);
    }
    json_t *item = catalog_item(in->rt->store, txn, pid, iid);
    int64_t stock = 0;
    catalog_stock(in->rt->store, txn, pid, iid, &stock);
    if (store_commit(txn) != 0) {
        json_decref(patch);
        json_decref(item);
        return ingress_admin_error(conn, 500, NULL, "could not commit the change");
    }
    log_info("catalog.item_changed", "provider", pid, "item", iid, NULL);
    json_decref(patch);
    return ingress_admin_reply(conn, 200,
                               json_pack("{s:s,s:o,s:I}", "provider", pid, "item",
                                         item ? item : json_null(), "stock", (json_int_t)stock));
}
