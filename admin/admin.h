/*
 * admin.h - ondc-admin private state, shared by its files.
 *
 * ondc-admin owns the admin listener (admin_listen): the seller's API
 * (/seller/v1/...), and /health, /ready and /metrics of the whole fleet. It
 * is a process of its own so that what the seller's API does - parse a
 * whole catalog, hold an LMDB write transaction while it is written, change
 * an order - never runs on the loop that answers buyer apps: the ingress
 * keeps ACKing while an upload is in progress, and a crash here costs the
 * network listener nothing. One copy runs, whatever ingress_copies says
 * (the listener is bound without SO_REUSEPORT: a second copy fails to
 * start rather than take half of the seller's requests).
 *
 * Its write transactions take LMDB's write lock as a batch writer
 * (store_begin_write, URGENT 0): when the ingress's journal commit waits
 * for the lock too, the ingress has it first. An on_* the order desk
 * writes to the outbox is announced to ondc-callback on endpoints.callback
 * after its transaction commits, as the workers announce theirs; a lost
 * notice is found by the callback's scan of due rows.
 *
 * A request is handled apart from HTTP: admin_handle takes an admin_req_t
 * (method, path, body, a lookup for headers and query arguments) and fills
 * in its answer. admin_http.c feeds it from libmicrohttpd; the unit tests
 * and the fuzz harness call it directly.
 */
#ifndef ONDC_ADMIN_H
#define ONDC_ADMIN_H

#include "envelope.h"
#include "err.h"
#include "registry.h"
#include "runtime.h"

#include <jansson.h>
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum { ADMIN_HEADER = 0, ADMIN_ARG } admin_kind_t;

/* admin_lookup_fn - the value of header or query argument NAME of the
 * request behind CTX, or NULL; borrowed until the request is answered. */
typedef const char *(admin_lookup_fn)(void *ctx, admin_kind_t kind, const char *name);

/* admin_each_fn - call FN(NAME, ARG) for every query argument of the
 * request behind CTX (the names are borrowed for the call). */
typedef void(admin_name_fn)(const char *name, void *arg);
typedef void(admin_each_fn)(void *ctx, admin_name_fn *fn, void *arg);

/* the answer's own header lines, at most this many bytes in all */
#define ADMIN_HEADERS_MAX 1024

typedef struct {
    /* the request; every pointer borrowed from the caller */
    const char *method;
    const char *url;  /* the path, without the query */
    const char *body; /* LEN bytes, not necessarily NUL-terminated */
    size_t len;
    int too_large; /* the body was longer than admin_max_body_mb (not kept) */
    admin_lookup_fn *lookup;
    void *lookup_ctx;
    admin_each_fn *each_arg; /* NULL: the query's names cannot be listed */
    /* the answer, made by admin_handle */
    int status;
    char *answer;      /* caller owns (free) */
    size_t answer_len; /* 0: strlen(answer) (a static file may hold NULs) */
    const char *ctype; /* static */
    char headers[ADMIN_HEADERS_MAX]; /* further header lines, "Name: value\n" each */
    size_t headers_len;
    int stream; /* 1: the answer is a server-sent event stream (admin_events) */
} admin_req_t;

typedef struct admin_sse_s admin_sse_t;

typedef struct admin_s {
    runtime_t *rt;           /* borrowed: config, store, loop */
    struct MHD_Daemon *http; /* the listener (admin_http.c) */
    zsock_t *notify;         /* PUSH to ondc-callback; NULL: no notices */
    registry_t *registry;    /* the registry file, for /ready */
    char token[256];         /* the bearer token (admin_token_file) */
    size_t token_len;        /* 0: no token file */
    int64_t drain_started_ms;
    int64_t ready_write_ms; /* when /ready last tried a write (0: never) */
    int ready_writable;     /* and whether it committed */
    char console_dir[4096]; /* the console's files and openapi.json ("": none found) */
    struct admin_console_s *console; /* sessions and users (admin_console.c) */
} admin_t;

/* /ready writes to the store at most this often, and answers from the last
 * write in between */
#define ADMIN_READY_WRITE_MS 1000

/* admin_token_load - read the bearer token from admin_token_file (refusing
 * a file others can read, or a token shorter than 16 characters); without
 * a token file, only a loopback admin_listen is allowed. 0 or -1 (logged). */
int admin_token_load(admin_t *a);

/* admin_authorized - whether Q carries the bearer token (or, without a
 * token file, the listener is on loopback). Needs only Q's headers. */
int admin_authorized(const admin_t *a, const admin_req_t *q);

/* admin_needs_token - whether URL is an API route (every one but /health,
 * /ready, /metrics), answered 401 without the token */
int admin_needs_token(const char *url);

/* admin_handle - answer request Q: Q->status, Q->answer (caller owns) and
 * Q->ctype are set. 0, or -1 when no answer could be made (out of memory). */
int admin_handle(admin_t *a, admin_req_t *q);

/* admin_arg - query argument NAME of Q, or NULL (borrowed). */
const char *admin_arg(const admin_req_t *q, const char *name);

/* admin_header - header NAME of Q, or NULL (borrowed). */
const char *admin_header(const admin_req_t *q, const char *name);

/* admin_reply - answer Q with STATUS and BODY (stolen; compact JSON). 0 or -1. */
int admin_reply(admin_req_t *q, int status, json_t *body);

/* admin_error - answer Q with STATUS and {"error": {"code", "message",
 * "field"?}}; the code is ONDC's 30000 (invalid request) for a 400,
 * 31001 (internal error) for a 500, else the HTTP status as text. 0 or -1. */
int admin_error(admin_req_t *q, int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* admin_error_code - the same with the error code CODE (ONDC's, "30004"). */
int admin_error_code(admin_req_t *q, int status, const char *code, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* admin_error_err - answer Q with ERR (its HTTP status, default 400; its
 * code, path and message). 0 or -1. */
int admin_error_err(admin_req_t *q, const ondc_err_t *err);

/* admin_add_header - add the header NAME: VALUE to Q's answer (dropped
 * when ADMIN_HEADERS_MAX is reached, or when it holds a line break). */
void admin_add_header(admin_req_t *q, const char *name, const char *value);

/* admin_args_only - refuse (400, the argument named) a query argument of
 * Q not in NAMES (NULL-terminated); 1 when refused (answered, *RC set),
 * 0 when every argument is known or they cannot be listed. */
int admin_args_only(admin_req_t *q, const char *const *names, int *rc);

/* admin_body_object - Q's body as a JSON object in *OUT (caller owns; NULL
 * when there is no body). 0, or -1 when the body is not a JSON object: Q
 * is answered 400 and *RC set. */
int admin_body_object(admin_req_t *q, json_t **out, int *rc);

/* admin_begin - a write transaction, as a batch writer (the ingress first);
 * the wait is recorded in ondc_store_lock_wait_seconds. NULL on failure. */
MDB_txn *admin_begin(admin_t *a);

/* admin_commit - commit TXN (ondc_store_commit_seconds); 0 or an LMDB error. */
int admin_commit(admin_t *a, MDB_txn *txn);

/* admin_notify - tell ondc-callback that outbox row ID is ready (after its
 * transaction committed). */
void admin_notify(admin_t *a, uint64_t id);

/* An API route: what follows its path prefix is REST. 0 or -1 (no answer). */
typedef int(admin_route_fn)(admin_t *a, admin_req_t *q, const char *rest);

/* admin_route_each - FN(METHOD, PREFIX, ARG) for every API route (the
 * OpenAPI document's test lists them). */
void admin_route_each(void (*fn)(const char *method, const char *prefix, void *arg), void *arg);

/* the seller's API, by concern (admin_catalog.c, admin_orders.c, admin_api.c) */
int admin_get_catalog(admin_t *a, admin_req_t *q, const char *rest);
int admin_get_items(admin_t *a, admin_req_t *q, const char *rest);
int admin_post_stock(admin_t *a, admin_req_t *q, const char *rest);
int admin_get_outbox(admin_t *a, admin_req_t *q, const char *rest); /* admin_outbox.c */
int admin_post_outbox(admin_t *a, admin_req_t *q, const char *rest);
int admin_get_openapi(admin_t *a, admin_req_t *q, const char *rest);
int admin_orders_list(admin_t *a, admin_req_t *q); /* GET /seller/v1/orders */

/* the console (admin_console.c) */
int admin_session(admin_t *a, admin_req_t *q, const char *rest); /* /seller/v1/session */
int admin_events(admin_t *a, admin_req_t *q, const char *rest);  /* /seller/v1/events */
int admin_throughput(admin_t *a, admin_req_t *q, const char *rest);

/* admin_console_start - the console's timers (throughput samples). */
void admin_console_start(admin_t *a);

/* admin_order_actions - the desk actions order record REC allows now, by
 * the state table (admin_api.c); caller owns. */
json_t *admin_order_actions(json_t *rec);

/* admin_console_file - GET /, /console/ and its files. 0 or -1. */
int admin_console_file(admin_t *a, admin_req_t *q);

/* admin_console_load_users - read console.users_file (again); 0 or -1. */
int admin_console_load_users(admin_t *a);

/* admin_console_authorized - whether Q carries a live console session
 * (and, unless it is a GET, that session's X-CSRF-Token). */
int admin_console_authorized(const admin_req_t *q);

/* admin_sse_open - a new event stream (NULL when SSE_MAX are open);
 * LAST_EVENT_ID (may be NULL) resumes after that event. */
admin_sse_t *admin_sse_open(admin_t *a, const char *last_event_id);

/* admin_sse_read - queued bytes of E into BUF: how many, 0 when none now,
 * -1 when the stream must end. */
ssize_t admin_sse_read(admin_sse_t *e, char *buf, size_t max);

/* admin_sse_close - let E go. */
void admin_sse_close(admin_sse_t *e);

/* admin_console_sse_count - event streams open. */
int admin_console_sse_count(void);

/* admin_files_init - find the console's folder (console.dir, else beside
 * the binaries); 0, or -1 when console.dir names no folder. */
int admin_files_init(admin_t *a);

/* admin_file_answer - answer Q with file NAME of the console's folder
 * (CTYPE static); 404 when there is none. 0 or -1. */
int admin_file_answer(admin_t *a, admin_req_t *q, const char *name, const char *ctype);
int admin_put_catalog(admin_t *a, admin_req_t *q, const char *rest);
int admin_patch_item(admin_t *a, admin_req_t *q, const char *rest);
int admin_get_orders(admin_t *a, admin_req_t *q, const char *rest);
int admin_post_order(admin_t *a, admin_req_t *q, const char *rest);
int admin_get_issues(admin_t *a, admin_req_t *q, const char *rest); /* admin_issue.c */
int admin_post_issue(admin_t *a, admin_req_t *q, const char *rest);
int admin_post_issues(admin_t *a, admin_req_t *q, const char *rest);

/* admin_health - GET /health: this process answers. */
int admin_health(admin_t *a, admin_req_t *q);

/* admin_metrics - GET /metrics: every process's metrics files, and gauges
 * read from the store now (admin_status.c). */
int admin_metrics(admin_t *a, admin_req_t *q);

/* admin_ready - GET /ready: every stage alive, store writable, signing key
 * loadable, registry usable; 200 or 503 with each check (admin_status.c). */
int admin_ready(admin_t *a, admin_req_t *q);

/* admin_http_start - start the listener on admin_listen, in the loop; 0 or -1. */
int admin_http_start(admin_t *a);

/* admin_http_quiesce - stop accepting connections (drain). */
void admin_http_quiesce(admin_t *a);

/* admin_http_busy - connections still open. */
unsigned admin_http_busy(const admin_t *a);

/* admin_http_stop - stop the listener (accepts one never started). */
void admin_http_stop(admin_t *a);

#endif
