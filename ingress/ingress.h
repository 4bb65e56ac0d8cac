/*
 * ingress.h - ondc-ingress private state, shared by its files.
 *
 * The network listener takes buyer apps' requests; each one that passes the
 * checks (size, JSON, context, signature) is suspended in a batch; once per
 * loop iteration the batch is written to the journal in one LMDB
 * transaction, and only after it commits are the connections resumed with
 * ACK and the messages pushed to the dispatcher (Redis-style group commit).
 * The admin listener serves the seller's API, /health and /metrics.
 */
#ifndef ONDC_INGRESS_H
#define ONDC_INGRESS_H

#include "envelope.h"
#include "err.h"
#include "journal.h"
#include "registry.h"
#include "runtime.h"
#include "sign.h"

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

typedef enum { REQ_READING = 0, REQ_QUEUED, REQ_DONE } req_state_t;

typedef struct req_s {
    struct MHD_Connection *conn;
    char *body;
    size_t len, cap;
    int too_large;
    req_state_t state;
    int status;    /* HTTP status of the prepared answer */
    char *answer;  /* prepared body (owned) or NULL for the static ACK */
    int www_auth;  /* add WWW-Authenticate to a 401 */
    int action;
    journal_row_t row;
    unsigned char digest[16];
    int64_t started_ms;
    struct req_s *next;
} req_t;

typedef struct {
    runtime_t *rt;
    struct MHD_Daemon *net;
    struct MHD_Daemon *admin;
    void *push;   /* PUSH to the dispatcher */
    void *notify; /* PUSH to the callback process (unsolicited on_*) */
    char admin_token[256];
    size_t admin_token_len;
    registry_t *registry;
    sign_key_t key;
    int have_key;
    req_t *batch;
    req_t **batch_tail;
    int batch_n;
    int resumed;
    /* counters */
    uint64_t n_ack, n_nack, n_dup, n_push_fail, n_commits;
} ingress_t;

/* ingress_check - the request checks, without network: parse BODY, check
 * the context for ACTION, verify the signature headers (AUTH may be NULL;
 * GW_AUTH is X-Gateway-Authorization or NULL). On success fills ROW's
 * ids, sender and action and returns 0; else -1 with ERR. */
int ingress_check(ingress_t *in, int action, const char *body, size_t len, const char *auth,
                  const char *gw_auth, int64_t now_ms, journal_row_t *row, ondc_err_t *err);

/* ingress_http_start - start both listeners and plug them into the loop. */
int ingress_http_start(ingress_t *in);

/* ingress_http_service - run MHD again where it asked to be (before sleeping). */
void ingress_http_service(ingress_t *in);

/* ingress_http_stop - stop both listeners. */
void ingress_http_stop(ingress_t *in);

/* ingress_batch_add - queue R (checks passed) for the next group commit. */
void ingress_batch_add(ingress_t *in, req_t *r);

/* ingress_batch_commit - write the batch, then answer and forward it. */
void ingress_batch_commit(ingress_t *in);

/* ingress_admin - handle one admin request (full body in R). */
enum MHD_Result ingress_admin(ingress_t *in, struct MHD_Connection *conn, const char *url,
                              const char *method, req_t *r);

/* ingress_admin_init - load the admin token (refusing a file others can
 * read); 0 or -1 (logged). */
int ingress_admin_init(ingress_t *in);

/* ingress_admin_reply - answer STATUS with BODY (stolen; compact JSON). */
enum MHD_Result ingress_admin_reply(struct MHD_Connection *conn, int status, json_t *body);

/* ingress_admin_error - answer STATUS with {"error": MESSAGE, "field": FIELD?}. */
enum MHD_Result ingress_admin_error(struct MHD_Connection *conn, int status, const char *field,
                                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ingress_notify - tell the callback process that outbox row ID is ready
 * (after its transaction committed). */
void ingress_notify(ingress_t *in, uint64_t id);

/* An admin route: METHOD and a path PREFIX; REST is what follows it. */
typedef enum MHD_Result (*ingress_admin_fn)(ingress_t *in, struct MHD_Connection *conn,
                                            const char *rest, req_t *r);

/* the seller's API, by concern (ingress_admin_catalog.c, ingress_admin_orders.c) */
enum MHD_Result ingress_admin_put_catalog(ingress_t *in, struct MHD_Connection *conn,
                                          const char *rest, req_t *r);
enum MHD_Result ingress_admin_patch_item(ingress_t *in, struct MHD_Connection *conn,
                                         const char *rest, req_t *r);
enum MHD_Result ingress_admin_get_orders(ingress_t *in, struct MHD_Connection *conn,
                                         const char *rest, req_t *r);
enum MHD_Result ingress_admin_post_order(ingress_t *in, struct MHD_Connection *conn,
                                         const char *rest, req_t *r);

#endif
