/*
 * ingress.h - ondc-ingress private state, shared by its files.
 *
 * The network listener takes buyer apps' requests; each one that passes the
 * checks (size, JSON, context, signature) is suspended in a batch; once per
 * loop iteration the batch is written to the journal in one LMDB
 * transaction, and only after it commits are the connections resumed with
 * ACK and the messages pushed to the dispatcher (Redis-style group commit).
 * The admin listener (the seller's API, /ready, /metrics) is ondc-admin's.
 */
#ifndef ONDC_INGRESS_H
#define ONDC_INGRESS_H

#include "envelope.h"
#include "ingress_conns.h"
#include "err.h"
#include "journal.h"
#include "registry.h"
#include "runtime.h"
#include "sign.h"
#include "url.h"

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

typedef enum { REQ_READING = 0, REQ_QUEUED, REQ_DONE } req_state_t;

typedef struct req_s {
    struct MHD_Connection *conn;
    char *body;
    size_t len, cap;
    int too_large;
    int head_too_large; /* request line + headers past max_header_bytes: 431 */
    req_state_t state;
    int status;    /* HTTP status of the prepared answer */
    char *answer;  /* prepared body (owned) or NULL for the static ACK */
    int www_auth;  /* add WWW-Authenticate to a 401 */
    int action;
    journal_row_t row;
    unsigned char digest[16];
    int64_t started_ms;
    struct req_s *next;
    /* on a committed batch's first request (ingress_batch.c): the next
     * batch back from the commit thread, and how its commit went */
    struct req_s *bnext;
    int batch_ok;
    double batch_ms, batch_lock_ms;
    /* signature checks (ingress_check.c); a request waiting for a registry
     * lookup stays suspended in state REQ_QUEUED, chained on lk_next */
    sign_header_t sig[2]; /* [0] Authorization, [1] X-Gateway-Authorization */
    int nsig;             /* headers to verify: 0 (verify_signatures off), 1 or 2 */
    int verified;         /* bit i set: sig[i] verified */
    char domain[64];      /* context.domain: the domain of a registry lookup */
    char bap_uri[URL_PATH_MAX]; /* context.bap_uri: must lie under the signer's
                                 * registered subscriber_url */
    struct req_s *lk_next;
    /* a signature check left to the verify threads (ingress_verify.c):
     * bit i of need_verify set: verify sig[i] with pk[i] there */
    int need_verify;
    unsigned char pk[2][32];
    int verify_failed; /* set by a verify thread, with verr */
    ondc_err_t verr;
    struct req_s *vnext;
    /* the other roles (ingress_buyer.c) */
    int signer_role;  /* who signs Authorization: 0 a buyer app (BAP), 1 a
                       * seller app (BPP: an on_* to the buyer role) */
    int dedupe_by_body; /* the dedupe key is message_id and the body's digest:
                         * an on_search's pages share a message_id */
    char *fwd_auth;   /* a gateway's search: the buyer app's Authorization,
                       * journaled before the body (owned) */
} req_t;

typedef struct ingress_lookup_s ingress_lookup_t;
typedef struct ingress_commit_s ingress_commit_t;
typedef struct ingress_onboard_s ingress_onboard_t;
typedef struct ingress_verify_s ingress_verify_t;

typedef struct {
    runtime_t *rt;
    struct MHD_Daemon *net;
    zsock_t *push; /* PUSH to the dispatcher */
    registry_t *registry;
    sign_key_t key;
    int have_key;
    int resumed;
    ingress_commit_t *commit; /* the commit thread (ingress_batch.c) */
    ingress_lookup_t *lookup;   /* registry lookups over HTTP (ingress_lookup.c) */
    ingress_onboard_t *onboard; /* /on_subscribe, site verification (ingress_onboard.c) */
    ingress_verify_t *verify;   /* the signature-verifying threads (ingress_verify.c) */
    iconns_t *conns;            /* the connection table (ingress_conns.c) */
    /* counters */
    uint64_t n_ack, n_nack, n_dup, n_push_fail, n_commits;
    uint64_t n_lookups, n_lookup_fail;
} ingress_t;

/* ingress_check - the request checks in one synchronous call, without
 * network (keys from the registry file and the LMDB cache only): parse
 * BODY, check the context for ACTION, verify the signature headers (AUTH
 * may be NULL; GW_AUTH is X-Gateway-Authorization or NULL). On success
 * fills ROW's ids, sender and action and returns 0; else -1 with ERR. */
int ingress_check(ingress_t *in, int action, const char *body, size_t len, const char *auth,
                  const char *gw_auth, int64_t now_ms, journal_row_t *row, ondc_err_t *err);

/* ingress_check_request - step one, before any key: JSON, context for
 * R->action, the signature headers parsed (AUTH required when
 * verify_signatures; GW_AUTH optional) and the Authorization keyId's
 * subscriber equal to context.bap_id. Fills R->row (ids, sender, action,
 * received NOW_MS), R->sig, R->nsig, R->domain. 0, or -1 with ERR. */
int ingress_check_request(ingress_t *in, req_t *r, const char *auth, const char *gw_auth,
                          int64_t now_ms, ondc_err_t *err);

/* ingress_check_keys - step two: each header not yet verified gets its key
 * (registry file, LMDB cache, or GOT - a record just fetched - when it is
 * the header's key) and is verified against the raw body at R->started_ms.
 * Returns 0 when every header verified; 1 when a key must come from the
 * registry over HTTP: R is now waiting on that lookup (the caller suspends
 * it; ingress_lookup.c finishes it); -1 with ERR. */
int ingress_check_keys(ingress_t *in, req_t *r, const registry_record_t *got, ondc_err_t *err);

/* ingress_check_keys_deferred - ingress_check_keys, but each header whose
 * key is at hand is only marked (R->need_verify, R->pk) for
 * ingress_verify_finish to check in a verify thread. Same returns. */
int ingress_check_keys_deferred(ingress_t *in, req_t *r, ondc_err_t *err);

/* ingress_verify_finish - check the headers marked in R->need_verify (any
 * thread: reads only R and the config); 0, or -1 with ERR. */
int ingress_verify_finish(const ingress_t *in, req_t *r, ondc_err_t *err);

/* ingress_json_depth_ok - whether the JSON text P (LEN bytes) nests at
 * most MAX deep (checked before it is parsed). */
int ingress_json_depth_ok(const char *p, size_t len, int max);

/* ingress_route - which role takes a POST to URL: 0 a seller's request
 * (*ACTION a buyer action), 1 an on_* for the buyer role (*ACTION is
 * ACT_ON_BASE + action), 2 a search for the gateway role to multicast
 * (GW_AUTH: a search already forwarded by a gateway goes to the seller
 * role); -1 with ERR (404: no such endpoint, or not one of this node's
 * roles). */
int ingress_route(ingress_t *in, const char *url, const char *gw_auth, int *action,
                  ondc_err_t *err);

/* ingress_buyer_check_request - step one for an on_* (R->action): JSON,
 * its context, that it answers a request of ours (buyer.h), the signature
 * header parsed and its keyId subscriber the seller (context.bpp_id). Fills
 * R as ingress_check_request does; 0, or -1 with ERR. */
int ingress_buyer_check_request(ingress_t *in, req_t *r, const char *auth, int64_t now_ms,
                                ondc_err_t *err);

/* ingress_refuse - answer the suspended request R with ERR (a NACK,
 * counted and logged) and resume it. */
void ingress_refuse(ingress_t *in, req_t *r, const ondc_err_t *err);

/* ingress_verify_init - start cfg.ingress_verify_threads threads (none: the
 * loop verifies); 0 or -1. */
int ingress_verify_init(ingress_t *in);

/* ingress_verify_submit - hand R (suspended, keys found) to the threads;
 * once verified it joins the batch, or is answered 401. */
void ingress_verify_submit(ingress_t *in, req_t *r);

/* ingress_verify_busy - requests in the verify threads' hands. */
int ingress_verify_busy(const ingress_t *in);

/* ingress_verify_fini - stop the threads (after the drain: nothing left). */
void ingress_verify_fini(ingress_t *in);

/* ingress_lookup_init - the libcurl multi handle in our loop; 0 or -1. */
int ingress_lookup_init(ingress_t *in);

/* ingress_lookup_fini - answer every waiting request 503, free everything. */
void ingress_lookup_fini(ingress_t *in);

/* ingress_lookup_wait - R needs SUBSCRIBER|UKID, which only the registry
 * knows: join the lookup of that key in flight, or start one. Returns 1
 * (R waits; it is finished when the lookup ends), 0 when a lookup that just
 * ended has the record (OUT filled), or -1 with ERR (503: too many lookups
 * in flight, no registry.url). */
int ingress_lookup_wait(ingress_t *in, req_t *r, const char *subscriber, const char *ukid,
                        registry_record_t *out, ondc_err_t *err);

/* ingress_lookup_flush - cache the records fetched in this loop turn in
 * LMDB, in one transaction (before sleeping). */
void ingress_lookup_flush(ingress_t *in);

/* ingress_lookup_busy - lookups in flight (drain waits for them). */
int ingress_lookup_busy(const ingress_t *in);

/* ingress_onboard_init - load the encryption key and the registry's public
 * encryption key for /on_subscribe, and sign the site verification page.
 * Missing pieces are logged and those routes answer 404/503; 0 or -1
 * (out of memory). */
int ingress_onboard_init(ingress_t *in);

/* ingress_onboard_fini - free (secret material wiped). */
void ingress_onboard_fini(ingress_t *in);

/* ingress_onboard_subscribe - POST .../on_subscribe (full body in R). */
enum MHD_Result ingress_onboard_subscribe(ingress_t *in, struct MHD_Connection *conn,
                                          const char *method, req_t *r);

/* ingress_onboard_site - GET /ondc-site-verification.html. */
enum MHD_Result ingress_onboard_site(ingress_t *in, struct MHD_Connection *conn,
                                     const char *method);

/* ingress_http_start - start the network listener and plug it into the loop. */
int ingress_http_start(ingress_t *in);

/* ingress_http_service - run MHD again where it asked to be (before sleeping). */
void ingress_http_service(ingress_t *in);

/* ingress_http_stop - stop the network listener. */
void ingress_http_stop(ingress_t *in);

/* ingress_batch_add - queue R (checks passed) for the next group commit.
 * Any thread (the loop, a verify thread): R is in the commit thread's
 * hands until ingress_batch_collect gives it back. */
void ingress_batch_add(ingress_t *in, req_t *r);

/* ingress_batch_collect - take back the batches the commit thread finished:
 * answer, resume and forward each request. The loop's, before it sleeps
 * and when the thread wakes it. */
void ingress_batch_collect(ingress_t *in);

/* ingress_batch_init - start the commit thread; 0 or -1. */
int ingress_batch_init(ingress_t *in);

/* ingress_batch_busy - requests wait for the commit thread, are in its
 * hands, or are committed and not yet collected. */
int ingress_batch_busy(const ingress_t *in);

/* ingress_batch_fini - commit and answer what is in hand, stop the thread. */
void ingress_batch_fini(ingress_t *in);

/* ingress_count - count one answer: ACTION (-1 unknown), OUTCOME ("ack",
 * "nack", "duplicate"), CODE (ONDC code of a NACK, else NULL); STARTED_MS,
 * when the request was complete (> 0), feeds the ACK latency histogram. */
void ingress_count(ingress_t *in, int action, const char *outcome, const char *code,
                   int64_t started_ms);

/* ingress_rate_init / ingress_rate_fini - map the bucket table the copies
 * share (RUN_DIR/rate.shm); without it, one of this process's own. */
int ingress_rate_init(ingress_t *in);
void ingress_rate_fini(void);

/* ingress_address_hash - 64-bit FNV-1a of CONN's client address (IPv4 or
 * IPv6 bytes) continued from SEED (0: FNV's offset basis); never 0. */
uint64_t ingress_address_hash(struct MHD_Connection *conn, uint64_t seed);

/* ingress_sockaddr_hash - the same hash of the address SA. */
uint64_t ingress_sockaddr_hash(const struct sockaddr *sa, uint64_t seed);

/* ingress_conns_init / _fini - the connection table and its deadline
 * sweep; init also raises the open-file limit to the hard limit. */
int ingress_conns_init(ingress_t *in);
void ingress_conns_fini(ingress_t *in);

/* ingress_conns_accept / _notify - libmicrohttpd's accept policy and
 * connection notification callbacks (CLS is the ingress). */
enum MHD_Result ingress_conns_accept(void *cls, const struct sockaddr *addr, socklen_t len);
void ingress_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe);

/* ingress_conns_phase - CONN's request enters PHASE (ICONN_*). */
void ingress_conns_phase(ingress_t *in, struct MHD_Connection *conn, int phase);

/* ingress_rate_take - take one token of SUBSCRIBER's bucket for the
 * client address of CONN; 0, or -1 when the bucket is empty (429). */
int ingress_rate_take(ingress_t *in, const char *subscriber, struct MHD_Connection *conn,
                      int64_t now_ms);

#endif
