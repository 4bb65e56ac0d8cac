/*
 * ingress_admin_catalog.c - the seller's catalog API:
 *   PUT   /seller/v1/catalog[?mode=upsert]   replace (or upsert) the catalog
 *   PATCH /seller/v1/items/{provider}/{item} price, stock, enabled
 */
#include "ingress.h"

#include "catalog.h"

enum MHD_Result ingress_admin_put_catalog(ingress_t *in, struct MHD_Connection *conn,
                                          const char *rest, req_t *r)
{
    (void)in;
    (void)rest;
    (void)r;
    return ingress_admin_error(conn, 501, NULL, "not implemented yet");
}

enum MHD_Result ingress_admin_patch_item(ingress_t *in, struct MHD_Connection *conn,
                                         const char *rest, req_t *r)
{
    (void)in;
    (void)rest;
    (void)r;
    return ingress_admin_error(conn, 501, NULL, "not implemented yet");
}
