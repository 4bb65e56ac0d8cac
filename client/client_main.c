/*
 * client_main.c - ondc-client: the buyer role's client API, for the buyer
 * app's own backend (docs/buyer.md), on client_listen with a bearer token
 * (client_token_file). Run by the fleet only when roles has "buyer".
 *
 *   POST /buyer/v1/{action}          the request is built (buyer_send),
 *                                    written with its outbox rows in one
 *                                    LMDB transaction, committed, then
 *                                    answered {transaction_id, message_id,
 *                                    sent_to} and the callback told
 *   GET  /buyer/v1/on_{action}?messageId=M[&wait_ms=N&seen=K]
 *                                    what became of each copy sent and
 *                                    every answer so far (a search: merged
 *                                    per seller); wait_ms holds the answer
 *                                    until more than K answers are in
 *   GET  /buyer/v1/events?messageId=M|transactionId=T[&after=S&timeout_ms=N]
 *                                    server-sent events, one per answer
 *   GET  /buyer/v1/orders/{id}       the order as its seller last described it
 *   GET  /buyer/v1/transactions/{id} every answer of a transaction, in order
 *
 * Why a process of its own, and why not the journal and a worker: the
 * client's request carries no signature to verify and needs no seller
 * logic; its whole work is to build the Beckn request and address it, and
 * the outbox row it writes is as durable as a journal row (the answer
 * leaves after the commit, and the callback process delivers the row at
 * least once, retrying within its TTL). A separate process keeps the
 * buyer app's long-polls and event streams off the ingress's loop, as
 * ondc-admin keeps the seller's API off it. Long-polls and streams wait by
 * nature, so this listener runs a thread per connection (bounded by
 * max_connections_per_ip and a fixed limit), each polling LMDB (a read
 * transaction every CLIENT_POLL_MS) while it waits: the workers that
 * store the on_* need not know who waits.
 *
 * Config keys read: client_listen, client_token_file, max_body_bytes,
 * buyer.*, bap_uri, endpoints.callback.
 */
#include "buyer.h"
#include "clock.h"
#include "context.h"
#include "envelope.h"
#include "log.h"
#include "runtime.h"
#include "url.h"
#include "zendpoint.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLIENT_POLL_MS 50
#define CLIENT_MAX_CONNECTIONS 256
#define CLIENT_WAIT_MAX_MS 120000
#define CLIENT_STREAM_MAX_MS 3600000

typedef struct {
    runtime_t *rt;
    struct MHD_Daemon *http;
    zsock_t *notify; /* PUSH to ondc-callback (under MU) */
    pthread_mutex_t mu;
    char token[256];
    size_t token_len;
    volatile int stopping;
} client_t;

static client_t s_c = {.mu = PTHREAD_MUTEX_INITIALIZER};

typedef struct {
    char *body;
    size_t len, cap;
    int too_large;
} conn_t;

static enum MHD_Result s_send(struct MHD_Connection *conn, int status, char *body, const char *ctype)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ctype ? ctype : "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result s_json(struct MHD_Connection *conn, int status, json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    return text ? s_send(conn, status, text, NULL) : MHD_NO;
}

static enum MHD_Result s_error(struct MHD_Connection *conn, const ondc_err_t *err)
{
    return s_json(conn, err->http_status ? err->http_status : 400,
                  json_pack("{s:{s:s,s:s,s:s,s:s}}", "error", "type",
                            err_type_name(err->type), "code", err->code, "path", err->path,
                            "message", err->message));
}

static enum MHD_Result s_fail(struct MHD_Connection *conn, int status, const char *path,
                              const char *msg)
{
    ondc_err_t e;
    err_set(&e, ERR_TYPE_CONTEXT, status, ERR_INVALID_REQUEST, path, "%s", msg);
    return s_error(conn, &e);
}

/* s_notify - tell the callback process of outbox rows IDS (it reads them) */
static void s_notify(client_t *c, const uint64_t *ids, int n)
{
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < n && c->notify; i++) {
        envelope_t e = {.kind = ENVELOPE_OUTBOX, .id = ids[i]};
        envelope_send(c->notify, &e, NULL, 0); /* a lost notice: the callback's scan finds it */
    }
    pthread_mutex_unlock(&c->mu);
}

static enum MHD_Result s_post(client_t *c, struct MHD_Connection *conn, int action, conn_t *k)
{
    if (k->too_large)
        return s_fail(conn, 413, "", "body too large");
    json_error_t jerr;
    json_t *in = json_loadb(k->body ? k->body : "", k->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!in) {
        char msg[300];
        snprintf(msg, sizeof msg, "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        return s_fail(conn, 400, "", msg);
    }
    static uint64_t ids[BUYER_SEND_MAX];
    int n = 0;
    ondc_err_t err;
    err_clear(&err);
    /* a seller list or bpp_uri only the ONDC registry knows: asked now, in
     * this connection's thread, before the write lock (cached after) */
    if (buyer_registry_prepare(c->rt->store, &c->rt->cfg, action, in, clock_wall_ms(), &err) < 0) {
        json_decref(in);
        log_info("client.refused", "action", context_action_name((action_t)action), "why",
                 err.message, NULL);
        return s_error(conn, &err);
    }
    /* one writer at a time in this process: IDS and the notice socket */
    pthread_mutex_lock(&c->mu);
    MDB_txn *txn = store_begin_write(c->rt->store, 0, NULL);
    json_t *answer = NULL;
    if (!txn) {
        err_set(&err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "", "store busy; retry shortly");
    } else {
        answer = buyer_send(c->rt->store, txn, &c->rt->cfg, action, in, clock_wall_ms(), ids, &n,
                            &err);
        if (!answer || store_commit(txn) != 0) {
            if (!answer)
                mdb_txn_abort(txn);
            else
                err_set(&err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "",
                        "request could not be made durable; retry shortly");
            json_decref(answer);
            answer = NULL;
        }
    }
    uint64_t sent[BUYER_SEND_MAX];
    memcpy(sent, ids, sizeof(uint64_t) * (size_t)n);
    pthread_mutex_unlock(&c->mu);
    json_decref(in);
    if (!answer) {
        log_info("client.refused", "action", context_action_name((action_t)action), "path",
                 err.path, "why", err.message, NULL);
        return s_error(conn, &err);
    }
    s_notify(c, sent, n);
    log_info("client.sent", "action", context_action_name((action_t)action), "transaction_id",
             json_string_value(json_object_get(answer, "transaction_id")), "message_id",
             json_string_value(json_object_get(answer, "message_id")), NULL);
    return s_json(conn, 200, answer);
}

static long s_arg_long(struct MHD_Connection *conn, const char *name, long def, long max)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
    if (!v)
        return def;
    long n = strtol(v, NULL, 10);
    return n < 0 ? 0 : n > max ? max : n;
}

/* s_status - GET /buyer/v1/on_{action}: the request's copies and answers,
 * held until more than SEEN answers are in or WAIT_MS has passed */
static enum MHD_Result s_results(client_t *c, struct MHD_Connection *conn, int action)
{
    const char *mid = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "messageId");
    if (!mid || !*mid)
        return s_fail(conn, 400, "messageId", "messageId is required");
    long wait = s_arg_long(conn, "wait_ms", 0, CLIENT_WAIT_MAX_MS);
    long seen = s_arg_long(conn, "seen", 0, 1L << 30);
    int64_t until = clock_mono_ms() + wait;
    for (;;) {
        MDB_txn *txn = store_begin(c->rt->store, 1);
        if (!txn)
            return s_fail(conn, 503, "", "store busy; retry shortly");
        ondc_err_t err;
        json_t *st = buyer_status(c->rt->store, txn, &c->rt->cfg, mid, &err);
        mdb_txn_abort(txn);
        if (!st)
            return s_error(conn, &err);
        const char *act = json_string_value(json_object_get(st, "action"));
        if (!act || strcmp(act, context_action_name((action_t)(action - ACT_ON_BASE))) != 0) {
            json_decref(st);
            return s_fail(conn, 400, "messageId", "that message is not of this action");
        }
        long have = (long)json_array_size(json_object_get(st, "answers"));
        if (have > seen || clock_mono_ms() >= until || c->stopping)
            return s_json(conn, 200, st);
        json_decref(st);
        usleep(CLIENT_POLL_MS * 1000);
    }
}

static enum MHD_Result s_order(client_t *c, struct MHD_Connection *conn, const char *id)
{
    const char *bap = c->rt->cfg.buyer_subscriber_id;
    MDB_txn *txn = store_begin(c->rt->store, 1);
    if (!txn)
        return s_fail(conn, 503, "", "store busy; retry shortly");
    char tid[300];
    json_t *t = NULL;
    if (buyer_order_txn(c->rt->store, txn, bap, id, tid, sizeof tid) == 0)
        t = buyer_get(c->rt->store, txn, 't', bap, tid);
    json_t *answers = t ? buyer_answers(c->rt->store, txn, bap, tid, NULL, 0) : NULL;
    mdb_txn_abort(txn);
    if (!t)
        return s_fail(conn, 404, "order_id", "no order of this buyer app with that id");
    json_t *updates = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(answers, i, a)
    {
        json_t *order = json_object_get(json_object_get(json_object_get(a, "body"), "message"), "order");
        json_array_append_new(updates,
                              json_pack("{s:O,s:O,s:O,s:O,s:O?}", "seq", json_object_get(a, "seq"),
                                        "action", json_object_get(a, "action"), "message_id",
                                        json_object_get(a, "message_id"), "solicited",
                                        json_object_get(a, "solicited"), "state",
                                        json_object_get(order, "state")));
    }
    json_decref(answers);
    json_t *out = json_pack("{s:s,s:s,s:O?,s:O?,s:O?,s:o}", "order_id", id, "transaction_id", tid,
                            "bpp_id", json_object_get(t, "bpp_id"), "order",
                            json_object_get(t, "order"), "from", json_object_get(t, "order_from"),
                            "updates", updates);
    json_decref(t);
    return s_json(conn, 200, out);
}

static enum MHD_Result s_transaction(client_t *c, struct MHD_Connection *conn, const char *tid)
{
    const char *bap = c->rt->cfg.buyer_subscriber_id;
    MDB_txn *txn = store_begin(c->rt->store, 1);
    if (!txn)
        return s_fail(conn, 503, "", "store busy; retry shortly");
    json_t *t = buyer_get(c->rt->store, txn, 't', bap, tid);
    json_t *answers = t ? buyer_answers(c->rt->store, txn, bap, tid, NULL, 0) : NULL;
    mdb_txn_abort(txn);
    if (!t)
        return s_fail(conn, 404, "transaction_id", "no transaction of this buyer app with that id");
    json_object_set_new(t, "answers", answers);
    json_object_set_new(t, "transaction_id", json_string(tid));
    return s_json(conn, 200, t);
}

/* one event stream: its filter, where it is, what is left to send */
typedef struct {
    client_t *c;
    char tid[300];
    char mid[300]; /* "" = the whole transaction */
    uint64_t after;
    int64_t until_ms, next_ping_ms;
    char *pending;
    size_t pending_len, pending_off;
} stream_t;

static ssize_t s_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream_t *s = cls;
    for (;;) {
        if (s->pending_off < s->pending_len) {
            size_t n = s->pending_len - s->pending_off;
            if (n > max)
                n = max;
            memcpy(buf, s->pending + s->pending_off, n);
            s->pending_off += n;
            return (ssize_t)n;
        }
        free(s->pending);
        s->pending = NULL;
        s->pending_len = s->pending_off = 0;
        if (s->c->stopping || clock_mono_ms() >= s->until_ms)
            return MHD_CONTENT_READER_END_OF_STREAM;
        MDB_txn *txn = store_begin(s->c->rt->store, 1);
        json_t *answers = NULL;
        if (txn) {
            answers = buyer_answers(s->c->rt->store, txn, s->c->rt->cfg.buyer_subscriber_id, s->tid,
                                    s->mid[0] ? s->mid : NULL, s->after);
            mdb_txn_abort(txn);
        }
        size_t i;
        json_t *a;
        size_t cap = 0;
        FILE *f = open_memstream(&s->pending, &cap);
        json_array_foreach(answers, i, a)
        {
            char *data = json_dumps(a, JSON_COMPACT);
            uint64_t seq = (uint64_t)json_integer_value(json_object_get(a, "seq"));
            if (f && data)
                fprintf(f, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)seq,
                        json_string_value(json_object_get(a, "action")), data);
            free(data);
            if (seq > s->after)
                s->after = seq;
        }
        json_decref(answers);
        if (f && clock_mono_ms() >= s->next_ping_ms) {
            fputs(": keep-alive\n\n", f); /* also finds a client that went away */
            s->next_ping_ms = clock_mono_ms() + 15000;
        }
        if (f)
            fclose(f);
        s->pending_len = s->pending ? strlen(s->pending) : 0;
        if (!s->pending_len)
            usleep(CLIENT_POLL_MS * 1000);
    }
}

static void s_stream_free(void *cls)
{
    stream_t *s = cls;
    free(s->pending);
    free(s);
}

static enum MHD_Result s_events(client_t *c, struct MHD_Connection *conn)
{
    const char *mid = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "messageId");
    const char *tid = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "transactionId");
    stream_t *s = calloc(1, sizeof *s);
    if (!s)
        return MHD_NO;
    s->c = c;
    if (mid && *mid) {
        MDB_txn *txn = store_begin(c->rt->store, 1);
        json_t *m = txn ? buyer_get(c->rt->store, txn, 'm', c->rt->cfg.buyer_subscriber_id, mid)
                        : NULL;
        if (txn)
            mdb_txn_abort(txn);
        const char *t = json_string_value(json_object_get(m, "transaction_id"));
        if (!t) {
            json_decref(m);
            free(s);
            return s_fail(conn, 404, "messageId", "no request of this buyer app with that id");
        }
        snprintf(s->tid, sizeof s->tid, "%s", t);
        snprintf(s->mid, sizeof s->mid, "%s", mid);
        json_decref(m);
    } else if (tid && *tid && strlen(tid) < sizeof s->tid) {
        snprintf(s->tid, sizeof s->tid, "%s", tid);
    } else {
        free(s);
        return s_fail(conn, 400, "messageId", "messageId or transactionId is required");
    }
    s->after = (uint64_t)s_arg_long(conn, "after", 0, 1L << 62);
    s->until_ms = clock_mono_ms() + s_arg_long(conn, "timeout_ms", 300000, CLIENT_STREAM_MAX_MS);
    s->next_ping_ms = clock_mono_ms() + 15000;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, s_stream_read, s, s_stream_free);
    if (!r) {
        free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    enum MHD_Result rc = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static int s_authorized(client_t *c, struct MHD_Connection *conn)
{
    if (!c->token_len)
        return 1; /* no token file: a loopback listener only (checked at start) */
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0 || strlen(h + 7) != c->token_len)
        return 0;
    return sodium_memcmp(h + 7, c->token, c->token_len) == 0;
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
    client_t *c = cls;
    conn_t *k = *con_cls;
    if (!k) {
        k = calloc(1, sizeof *k);
        if (!k)
            return MHD_NO;
        *con_cls = k;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (k->too_large || k->len + n > (size_t)c->rt->cfg.max_body_bytes) {
            k->too_large = 1;
            return MHD_YES;
        }
        if (k->len + n + 1 > k->cap) {
            size_t cap = k->cap ? k->cap * 2 : 4096;
            while (cap < k->len + n + 1)
                cap *= 2;
            char *b = realloc(k->body, cap);
            if (!b)
                return MHD_NO;
            k->body = b;
            k->cap = cap;
        }
        memcpy(k->body + k->len, upload, n);
        k->len += n;
        return MHD_YES;
    }
    if (strcmp(url, "/health") == 0)
        return s_send(conn, 200, strdup("{\"status\":\"ok\"}"), NULL);
    if (!s_authorized(c, conn))
        return s_fail(conn, 401, "", "bearer token required (client_token_file)");
    if (strncmp(url, "/buyer/v1/", 10) != 0)
        return s_fail(conn, 404, "", "unknown endpoint");
    const char *p = url + 10;
    if (strcmp(method, "POST") == 0) {
        int a = context_action_parse(p);
        if (a < 0 || a == ACT_ISSUE || a == ACT_ISSUE_STATUS)
            return s_fail(conn, 404, "", "unknown action: POST /buyer/v1/{search,select,init,"
                                         "confirm,status,track,cancel,update,rating,support}");
        return s_post(c, conn, a, k);
    }
    if (strcmp(method, "GET") != 0)
        return s_fail(conn, 405, "", "use GET or POST");
    if (strncmp(p, "on_", 3) == 0) {
        int a = context_action_parse(p + 3);
        if (a < 0)
            return s_fail(conn, 404, "", "unknown action");
        return s_results(c, conn, ACT_ON_BASE + a);
    }
    if (strcmp(p, "events") == 0)
        return s_events(c, conn);
    if (strncmp(p, "orders/", 7) == 0 && p[7])
        return s_order(c, conn, p + 7);
    if (strncmp(p, "transactions/", 13) == 0 && p[13])
        return s_transaction(c, conn, p + 13);
    return s_fail(conn, 404, "", "unknown endpoint");
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    conn_t *k = *con_cls;
    if (k) {
        free(k->body);
        free(k);
    }
    *con_cls = NULL;
}

/* s_token_load - the bearer token: a file only its owner may read, 16
 * characters or more; no file: only a loopback client_listen */
static int s_token_load(client_t *c)
{
    const cfg_t *cfg = &c->rt->cfg;
    if (!cfg->client_token_file[0]) {
        if (strncmp(cfg->client_listen, "127.", 4) != 0 &&
            strncmp(cfg->client_listen, "localhost:", 10) != 0) {
            log_error("client.no_token", "why",
                      "client_token_file is required when client_listen is not loopback", NULL);
            return -1;
        }
        return 0;
    }
    struct stat st;
    FILE *f = fopen(cfg->client_token_file, "r");
    if (!f || fstat(fileno(f), &st) < 0 || (st.st_mode & 077)) {
        if (f)
            fclose(f);
        log_error("client.bad_token_file", "path", cfg->client_token_file, "why",
                  "missing, or readable by others (chmod 600)", NULL);
        return -1;
    }
    size_t n = fread(c->token, 1, sizeof c->token - 1, f);
    fclose(f);
    while (n > 0 && (c->token[n - 1] == '\n' || c->token[n - 1] == '\r' || c->token[n - 1] == ' '))
        n--;
    c->token[n] = '\0';
    if (n < 16) {
        log_error("client.bad_token_file", "path", cfg->client_token_file, "why",
                  "token shorter than 16 characters", NULL);
        return -1;
    }
    c->token_len = n;
    return 0;
}

static int s_init(runtime_t *rt)
{
    client_t *c = &s_c;
    c->rt = rt;
    rt->state = c;
    if (!cfg_has_role(&rt->cfg, "buyer")) {
        log_error("client.no_buyer_role", "why", "roles has no \"buyer\"", NULL);
        return -1;
    }
    if (s_token_load(c) < 0)
        return -1;
    c->notify = zsock_new(ZMQ_PUSH);
    if (!c->notify)
        return -1;
    zsock_set_sndhwm(c->notify, rt->cfg.zmq_hwm);
    zsock_set_linger(c->notify, 1000);
    if (zendpoint_attach(c->notify, rt->cfg.ep_callback, 0) < 0)
        return -1;
    struct sockaddr_in sa;
    if (url_listen_addr(rt->cfg.client_listen, &sa) < 0) {
        log_error("client.bad_address", "listen", rt->cfg.client_listen, NULL);
        return -1;
    }
    c->http = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, s_handler,
        c, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)CLIENT_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, c, MHD_OPTION_END);
    if (!c->http) {
        log_errno(LOG_ERROR, "client.start_failed", "listen", rt->cfg.client_listen, NULL);
        return -1;
    }
    log_info("client.listening", "listen", rt->cfg.client_listen, "bap_id",
             rt->cfg.buyer_subscriber_id, NULL);
    return 0;
}

static void s_drain(runtime_t *rt)
{
    client_t *c = rt->state;
    c->stopping = 1; /* long-polls answer, streams end */
    runtime_stop(rt);
}

static void s_fini(runtime_t *rt)
{
    client_t *c = rt->state;
    if (!c)
        return;
    c->stopping = 1;
    if (c->http)
        MHD_stop_daemon(c->http);
    c->http = NULL;
    zsock_destroy(&c->notify);
    sodium_memzero(c->token, sizeof c->token);
}

static const runtime_role_t s_role = {
    .name = "client",
    .needs_store = 1,
    .init = s_init,
    .drain = s_drain,
    .fini = s_fini,
};

int main(int argc, char **argv)
{
    return runtime_main(&s_role, argc, argv);
}
