/*
 * ingress_admin.c - the admin listener (admin_listen): /health and the
 * seller's API. Loopback by default.
 */
#include "ingress.h"

#include <string.h>

static enum MHD_Result s_reply(struct MHD_Connection *conn, int status, const char *body)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result ingress_admin(ingress_t *in, struct MHD_Connection *conn, const char *url,
                              const char *method, req_t *r)
{
    (void)in;
    (void)r;
    if (strcmp(method, "GET") == 0 && strcmp(url, "/health") == 0)
        return s_reply(conn, 200, "{\"status\":\"ok\"}");
    return s_reply(conn, 404, "{\"error\":\"not found\"}");
}
