/*
 * ingress_admin_orders.c - the seller's order desk:
 *   GET  /seller/v1/orders[?state=S]      list orders
 *   GET  /seller/v1/orders/{id}           one order
 *   POST /seller/v1/orders/{id}/{verb}    accept, reject, advance, cancel, ...
 */
#include "ingress.h"

enum MHD_Result ingress_admin_get_orders(ingress_t *in, struct MHD_Connection *conn,
                                         const char *rest, req_t *r)
{
    (void)in;
    (void)rest;
    (void)r;
    return ingress_admin_error(conn, 501, NULL, "not implemented yet");
}

enum MHD_Result ingress_admin_post_order(ingress_t *in, struct MHD_Connection *conn,
                                         const char *rest, req_t *r)
{
    (void)in;
    (void)rest;
    (void)r;
    return ingress_admin_error(conn, 501, NULL, "not implemented yet");
}
