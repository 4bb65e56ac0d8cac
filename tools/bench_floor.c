/*
 * bench_floor.c - ondc-bench-floor: the benchmark's floor, the least work
 * any node must do for a signed request, served as fast as this machine
 * can.
 *
 *   ondc-bench-floor --listen HOST:PORT --registry FILE [--threads N]
 *                    [--skew S] [--max-body BYTES]
 *                    [--roundtrip --key FILE --subscriber ID --ukid UKID
 *                     [--senders N] [--multi K]]
 *
 * A bare libmicrohttpd server (its own thread pool, one thread per core
 * unless --threads says otherwise, epoll) that for every POST reads the
 * body, verifies its Authorization header as ondc-ingress does
 * (sign_header_parse, then sign_verify: BLAKE2b-512 of the body and Ed25519
 * over the signing string, with the signer's key from the registry file),
 * parses the body as the ingress does (jparse in a jansson arena), checks
 * that context.action is a string, and answers the node's ACK. A request
 * that fails is answered the node's NACK (401 for the signature, 400 for
 * the JSON). No journal, no ZeroMQ, no callback: `make bench`
 * (scripts/bench.sh) drives it with ondc-bench's burst over the same
 * connections and the same signed requests as the node, and holds the
 * node's figures as ratios to its rate (docs/performance.md).
 *
 * With --roundtrip it is the floor of a whole exchange: after the ACK, each
 * request's on_* goes back as the node's would, and nothing else is done.
 * The on_* is the request with context.action "on_" + its action, bpp_id
 * the --subscriber (bpp_uri https://SUBSCRIBER/), and a new timestamp (its message is the
 * request's: about the size of the node's on_init, and no business logic
 * made); it is signed with --key as --subscriber|--ukid (BLAKE2b-512 and
 * Ed25519, sign_auth_line) and POSTed to context.bap_uri + the action by
 * --senders threads (default 4), the requests dealt to them in turn: each
 * with one keep-alive libcurl handle, one on_* at a time, or with --multi
 * K a curl multi handle with up to K on_* in flight (its connections kept
 * alive in the handle's cache), as ondc-callback sends.
 * `make bench` drives it with the same burst and reads the rate the on_*
 * came back at (roundtrip_floor_per_s): the most round trips a second any
 * node can give on this machine with this generator.
 *
 * GET /health answers 200, so a script can wait for it. On SIGTERM or
 * SIGINT it stops and prints "served N acked A nacked K" on stderr.
 *
 * The registry file is the node's local registry (`registry.file`): a JSON
 * array of records with subscriber_id, ukId and signing_public_key; the
 * keys are read once at start.
 */
#include "ack.h"
#include "jarena.h"
#include "jparse.h"
#include "sign.h"

#include "jdump.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef ONDC_VERSION
#define ONDC_VERSION "unknown"
#endif

#define FLOOR_KEYS_MAX 64

typedef struct {
    char subscriber_id[256];
    char ukid[256];
    unsigned char pk[32];
} floor_key_t;

static floor_key_t s_keys[FLOOR_KEYS_MAX];
static int s_nkeys;
static long s_skew = 30;
static size_t s_max_body = 1 << 20;
static _Atomic unsigned long s_served, s_acked, s_nacked;
static struct MHD_Response *s_ack;

/* --roundtrip: the node's key and identity, and the on_* waiting for a
 * sender thread */
typedef struct rt_item_s {
    struct rt_item_s *next;
    char url[512];
    char *body; /* the on_*'s text (owned) */
    size_t len;
    char *auth; /* its Authorization line, once signed (owned) */
    struct curl_slist *headers;
} rt_item_t;

/* a sender thread and its queue; MULTI is its curl multi handle with
 * --multi, NULL in blocking mode */
typedef struct {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rt_item_t *head, **tail;
    int stop;
    CURLM *multi;
} rt_sender_t;

#define SENDERS_MAX 64
#define MULTI_MAX 1024
static struct {
    int on;
    sign_key_t key;
    char subscriber[256], ukid[256];
    int nsenders;
    int multi; /* transfers at once per sender (curl multi), 0: one, blocking */
    rt_sender_t senders[SENDERS_MAX];
    _Atomic unsigned next;
    _Atomic unsigned long sent, failed;
} s_rt = {.nsenders = 4};

/* one request's body, collected over the handler's calls */
typedef struct {
    char *buf;
    size_t len, cap;
    int too_large;
} floor_req_t;

static const char s_usage[] =
    "usage: ondc-bench-floor --listen HOST:PORT --registry FILE [--threads N]\n"
    "                        [--skew S] [--max-body BYTES]\n"
    "                        [--roundtrip --key FILE --subscriber ID --ukid UKID\n"
    "                         [--senders N] [--multi K]]\n"
    "       ondc-bench-floor --version\n"
    "The benchmark's floor: verify, parse and ACK signed requests, nothing more\n"
    "(with --roundtrip: and send each one's on_* back, signed).\n";

/* s_load_registry - the signing keys of the records in PATH. */
static int s_load_registry(const char *path)
{
    json_error_t jerr;
    json_t *arr = json_load_file(path, 0, &jerr);
    if (!json_is_array(arr)) {
        fprintf(stderr, "ondc-bench-floor: %s: not a JSON array of records (%s)\n", path,
                jerr.text);
        json_decref(arr);
        return -1;
    }
    size_t i;
    json_t *rec;
    json_array_foreach(arr, i, rec)
    {
        const char *sub = json_string_value(json_object_get(rec, "subscriber_id"));
        const char *ukid = json_string_value(json_object_get(rec, "ukId"));
        const char *pub = json_string_value(json_object_get(rec, "signing_public_key"));
        if (!sub || !ukid || !pub || s_nkeys == FLOOR_KEYS_MAX)
            continue;
        floor_key_t *k = &s_keys[s_nkeys];
        if (sign_pubkey_from_base64(k->pk, pub) < 0)
            continue;
        snprintf(k->subscriber_id, sizeof k->subscriber_id, "%s", sub);
        snprintf(k->ukid, sizeof k->ukid, "%s", ukid);
        s_nkeys++;
    }
    json_decref(arr);
    if (s_nkeys == 0) {
        fprintf(stderr, "ondc-bench-floor: %s: no signing keys\n", path);
        return -1;
    }
    return 0;
}

/* s_key - the public key of SUB|UKID, borrowed; NULL if unknown. */
static const unsigned char *s_key(const char *sub, const char *ukid)
{
    for (int i = 0; i < s_nkeys; i++)
        if (strcmp(s_keys[i].subscriber_id, sub) == 0 && strcmp(s_keys[i].ukid, ukid) == 0)
            return s_keys[i].pk;
    return NULL;
}

static enum MHD_Result s_nack(struct MHD_Connection *conn, const ondc_err_t *err)
{
    atomic_fetch_add_explicit(&s_nacked, 1, memory_order_relaxed);
    char *body = ack_nack_body(err);
    if (!body)
        return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result rc =
        MHD_queue_response(conn, (unsigned)(err->http_status ? err->http_status : 400), resp);
    MHD_destroy_response(resp);
    return rc;
}

/* s_rt_make - the on_* of the parsed request ROOT, signed, queued for a
 * sender. 0, or -1 (no bap_uri, or out of memory). */
static int s_rt_make(json_t *root)
{
    json_t *ctx = json_object_get(root, "context");
    const char *action = json_string_value(json_object_get(ctx, "action"));
    const char *bap_uri = json_string_value(json_object_get(ctx, "bap_uri"));
    if (!action || !bap_uri || strlen(bap_uri) > 400 || strlen(action) > 32)
        return -1;
    rt_item_t *it = calloc(1, sizeof *it);
    if (!it)
        return -1;
    size_t ul = strlen(bap_uri);
    snprintf(it->url, sizeof it->url, "%s%son_%s", bap_uri,
             ul && bap_uri[ul - 1] == '/' ? "" : "/", action);
    char on[40], ts[64];
    snprintf(on, sizeof on, "on_%s", action);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             now.tv_nsec / 1000000);
    json_object_set_new(ctx, "action", json_string(on));
    json_object_set_new(ctx, "bpp_id", json_string(s_rt.subscriber));
    char uri[300];
    snprintf(uri, sizeof uri, "https://%s/", s_rt.subscriber);
    json_object_set_new(ctx, "bpp_uri", json_string(uri));
    json_object_set_new(ctx, "timestamp", json_string(ts));
    jdump_t d = {0};
    if (jdump_append(&d, root) < 0) {
        jdump_free(&d);
        free(it);
        return -1;
    }
    it->body = d.buf;
    it->len = d.len;
    /* the senders take turns; a sender waits for its queue (blocking
     * mode) or polls its transfers and its wake-up (multi mode) */
    rt_sender_t *sd = &s_rt.senders[atomic_fetch_add(&s_rt.next, 1) % (unsigned)s_rt.nsenders];
    pthread_mutex_lock(&sd->mu);
    int was_empty = sd->head == NULL;
    *sd->tail = it;
    sd->tail = &it->next;
    pthread_cond_signal(&sd->cv);
    pthread_mutex_unlock(&sd->mu);
    if (was_empty && sd->multi)
        curl_multi_wakeup(sd->multi);
    return 0;
}

static size_t s_rt_discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* s_rt_pop - the next queued on_* of SD; with WAIT, waits for one until
 * stopped. NULL when there is none. */
static rt_item_t *s_rt_pop(rt_sender_t *sd, int wait)
{
    pthread_mutex_lock(&sd->mu);
    while (wait && !sd->head && !sd->stop)
        pthread_cond_wait(&sd->cv, &sd->mu);
    rt_item_t *it = sd->head;
    if (it) {
        sd->head = it->next;
        if (!sd->head)
            sd->tail = &sd->head;
    }
    pthread_mutex_unlock(&sd->mu);
    return it;
}

/* s_rt_prepare - sign IT and set handle C to POST it. 0, or -1. */
static int s_rt_prepare(CURL *c, rt_item_t *it)
{
    long now = (long)time(NULL);
    it->auth = sign_auth_line(&s_rt.key, s_rt.subscriber, s_rt.ukid, it->body, it->len, now,
                              now + 300);
    struct curl_slist *h = it->auth ? curl_slist_append(NULL, "Content-Type: application/json")
                                    : NULL;
    struct curl_slist *h2 = h ? curl_slist_append(h, it->auth) : NULL;
    if (!h2) {
        curl_slist_free_all(h);
        return -1;
    }
    it->headers = h2;
    curl_easy_setopt(c, CURLOPT_URL, it->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, it->headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, it->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)it->len);
    curl_easy_setopt(c, CURLOPT_PRIVATE, it);
    return 0;
}

/* s_rt_done - count IT's outcome (its handle C's answer) and free it */
static void s_rt_done(CURL *c, rt_item_t *it, CURLcode res)
{
    long code = 0;
    if (res == CURLE_OK && curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
        code == 200)
        atomic_fetch_add(&s_rt.sent, 1);
    else
        atomic_fetch_add(&s_rt.failed, 1);
    curl_slist_free_all(it->headers);
    free(it->auth);
    free(it->body);
    free(it);
}

static CURL *s_rt_easy(void)
{
    CURL *c = curl_easy_init();
    if (c) {
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_rt_discard);
    }
    return c;
}

/* s_rt_blocking - a sender in blocking mode: one on_* at a time over one
 * keep-alive handle, until stopped with its queue empty */
static void s_rt_blocking(rt_sender_t *sd)
{
    CURL *c = s_rt_easy();
    for (rt_item_t *it; c && (it = s_rt_pop(sd, 1));) {
        if (s_rt_prepare(c, it) < 0) {
            s_rt_done(c, it, CURLE_OUT_OF_MEMORY);
            continue;
        }
        s_rt_done(c, it, curl_easy_perform(c));
    }
    curl_easy_cleanup(c);
}

/* s_rt_multi - a sender in multi mode: up to s_rt.multi on_* at once on
 * its multi handle (its connections kept alive in the handle's cache),
 * woken by curl_multi_wakeup when its queue gets one, until stopped with
 * its queue empty and nothing in flight */
static void s_rt_multi(rt_sender_t *sd)
{
    CURL *idle[MULTI_MAX] = {NULL};
    int nidle = 0, inflight = 0;
    for (;;) {
        rt_item_t *it;
        while (inflight < s_rt.multi && (it = s_rt_pop(sd, 0))) {
            CURL *c = nidle ? idle[--nidle] : s_rt_easy();
            if (!c || s_rt_prepare(c, it) < 0 || curl_multi_add_handle(sd->multi, c) != CURLM_OK) {
                s_rt_done(c, it, CURLE_OUT_OF_MEMORY);
                if (c)
                    curl_easy_cleanup(c);
                continue;
            }
            inflight++;
        }
        pthread_mutex_lock(&sd->mu);
        int stop = sd->stop, empty = sd->head == NULL;
        pthread_mutex_unlock(&sd->mu);
        if (stop && empty && inflight == 0)
            break;
        int running = 0;
        curl_multi_perform(sd->multi, &running);
        CURLMsg *msg;
        int left, freed = 0;
        while ((msg = curl_multi_info_read(sd->multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *c = msg->easy_handle;
            CURLcode res = msg->data.result;
            rt_item_t *done = NULL;
            curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&done);
            curl_multi_remove_handle(sd->multi, c);
            s_rt_done(c, done, res);
            idle[nidle++] = c;
            inflight--;
            freed = 1;
        }
        /* a transfer done: its place goes to the next queued one first */
        if (!freed)
            curl_multi_poll(sd->multi, NULL, 0, stop ? 10 : 1000, NULL);
    }
    while (nidle)
        curl_easy_cleanup(idle[--nidle]);
}

static void *s_rt_sender(void *arg)
{
    rt_sender_t *sd = arg;
    if (sd->multi)
        s_rt_multi(sd);
    else
        s_rt_blocking(sd);
    return NULL;
}

/* s_check - the floor's work on one whole request: the signature, then the
 * JSON and its context.action. 0, or -1 with ERR. */
static int s_check(struct MHD_Connection *conn, const floor_req_t *r, ondc_err_t *err)
{
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!auth || !*auth)
        return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                       "Authorization header is required");
    sign_header_t h;
    if (sign_header_parse(auth, &h, err) < 0)
        return -1;
    const unsigned char *pk = s_key(h.subscriber_id, h.ukid);
    if (!pk)
        return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "",
                       "unknown subscriber key");
    const char *body = r->buf ? r->buf : "";
    if (sign_verify(&h, pk, body, r->len, (long)time(NULL), s_skew, err) < 0)
        return -1;
    json_error_t jerr;
    jarena_begin();
    json_t *root = jparse(body, r->len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = 0;
    if (!root)
        rc = err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "",
                     "invalid JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    else if (!json_is_string(json_object_get(json_object_get(root, "context"), "action")))
        rc = err_set(err, ERR_TYPE_CONTEXT, 400, ERR_INVALID_REQUEST, "context.action",
                     "context.action is required");
    else if (s_rt.on && s_rt_make(root) < 0)
        rc = err_set(err, ERR_TYPE_CONTEXT, 400, ERR_INVALID_REQUEST, "context.bap_uri",
                     "context.bap_uri is required");
    json_decref(root);
    jarena_end();
    return rc;
}

static enum MHD_Result s_handle(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    floor_req_t *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_large && r->len + *upload_size <= s_max_body) {
            if (r->len + *upload_size > r->cap) {
                size_t cap = r->cap ? r->cap : 4096;
                while (cap < r->len + *upload_size)
                    cap *= 2;
                char *b = realloc(r->buf, cap);
                if (!b)
                    return MHD_NO;
                r->buf = b;
                r->cap = cap;
            }
            memcpy(r->buf + r->len, upload, *upload_size);
            r->len += *upload_size;
        } else {
            r->too_large = 1;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    ondc_err_t err;
    err_clear(&err);
    if (strcmp(method, "GET") == 0 && strcmp(url, "/health") == 0)
        return MHD_queue_response(conn, 200, s_ack);
    atomic_fetch_add_explicit(&s_served, 1, memory_order_relaxed);
    if (strcmp(method, "POST") != 0) {
        err_set(&err, ERR_TYPE_CONTEXT, 405, ERR_INVALID_REQUEST, "", "use POST");
        return s_nack(conn, &err);
    }
    if (r->too_large) {
        err_set(&err, ERR_TYPE_JSON_SCHEMA, 413, ERR_INVALID_REQUEST, "", "body too large");
        return s_nack(conn, &err);
    }
    if (s_check(conn, r, &err) < 0)
        return s_nack(conn, &err);
    atomic_fetch_add_explicit(&s_acked, 1, memory_order_relaxed);
    return MHD_queue_response(conn, 200, s_ack);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    floor_req_t *r = *con_cls;
    if (r) {
        free(r->buf);
        free(r);
        *con_cls = NULL;
    }
}

int main(int argc, char **argv)
{
    const char *listen = NULL, *registry = NULL, *keyfile = NULL;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(s_usage, stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            printf("ondc-bench-floor %s\n", ONDC_VERSION);
            return 0;
        }
        if (strcmp(a, "--roundtrip") == 0) {
            s_rt.on = 1;
            continue;
        }
        if (!v) {
            fputs(s_usage, stderr);
            return 64;
        }
        i++;
        if (strcmp(a, "--listen") == 0)
            listen = v;
        else if (strcmp(a, "--registry") == 0)
            registry = v;
        else if (strcmp(a, "--threads") == 0)
            threads = atol(v);
        else if (strcmp(a, "--skew") == 0)
            s_skew = atol(v);
        else if (strcmp(a, "--max-body") == 0)
            s_max_body = strtoul(v, NULL, 10);
        else if (strcmp(a, "--key") == 0)
            keyfile = v;
        else if (strcmp(a, "--subscriber") == 0)
            snprintf(s_rt.subscriber, sizeof s_rt.subscriber, "%s", v);
        else if (strcmp(a, "--ukid") == 0)
            snprintf(s_rt.ukid, sizeof s_rt.ukid, "%s", v);
        else if (strcmp(a, "--senders") == 0)
            s_rt.nsenders = atoi(v);
        else if (strcmp(a, "--multi") == 0)
            s_rt.multi = atoi(v);
        else {
            fputs(s_usage, stderr);
            return 64;
        }
    }
    char host[64] = "";
    int port = 0;
    if (!listen || !registry || sscanf(listen, "%63[^:]:%d", host, &port) != 2 || port <= 0 ||
        port > 65535 || threads < 1 || threads > 256 ||
        (s_rt.on && (!keyfile || !s_rt.subscriber[0] || !s_rt.ukid[0] || s_rt.nsenders < 1 ||
                     s_rt.nsenders > SENDERS_MAX || s_rt.multi < 0 || s_rt.multi > MULTI_MAX))) {
        fputs(s_usage, stderr);
        return 64;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "ondc-bench-floor: bad --listen %s\n", listen);
        return 64;
    }
    /* as the node's processes: the arena before any jansson call, libsodium
     * before any thread */
    jarena_install();
    if (sign_init() < 0 || s_load_registry(registry) < 0)
        return 1;
    if (s_rt.on) {
        ondc_err_t kerr;
        if (sign_key_load_file(&s_rt.key, keyfile, &kerr) < 0) {
            fprintf(stderr, "ondc-bench-floor: %s: %s\n", keyfile, kerr.message);
            return 1;
        }
        curl_global_init(CURL_GLOBAL_DEFAULT);
        for (int i = 0; i < s_rt.nsenders; i++) {
            rt_sender_t *sd = &s_rt.senders[i];
            pthread_mutex_init(&sd->mu, NULL);
            pthread_cond_init(&sd->cv, NULL);
            sd->tail = &sd->head;
            if (s_rt.multi && !(sd->multi = curl_multi_init()))
                return 1;
        }
    }
    s_ack = MHD_create_response_from_buffer(strlen(ACK_BODY), (void *)ACK_BODY,
                                            MHD_RESPMEM_PERSISTENT);
    if (!s_ack)
        return 1;
    MHD_add_response_header(s_ack, "Content-Type", "application/json");
    /* the signals are taken by sigwait below, in no thread of the pool */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; s_rt.on && i < s_rt.nsenders; i++)
        if (pthread_create(&s_rt.senders[i].th, NULL, s_rt_sender, &s_rt.senders[i]) != 0) {
            fprintf(stderr, "ondc-bench-floor: cannot start a sender thread\n");
            return 1;
        }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO, 0, NULL, NULL, s_handle, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)threads, MHD_OPTION_CONNECTION_LIMIT, 8192u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_NOTIFY_COMPLETED, s_completed, NULL,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "ondc-bench-floor: cannot listen on %s\n", listen);
        return 1;
    }
    fprintf(stderr, "ondc-bench-floor: listening on %s, %ld threads\n", listen, threads);
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(s_ack);
    if (s_rt.on) {
        /* what is queued goes out first */
        for (int i = 0; i < s_rt.nsenders; i++) {
            rt_sender_t *sd = &s_rt.senders[i];
            pthread_mutex_lock(&sd->mu);
            sd->stop = 1;
            pthread_cond_broadcast(&sd->cv);
            pthread_mutex_unlock(&sd->mu);
            if (sd->multi)
                curl_multi_wakeup(sd->multi);
            pthread_join(sd->th, NULL);
            if (sd->multi)
                curl_multi_cleanup(sd->multi);
            pthread_mutex_destroy(&sd->mu);
            pthread_cond_destroy(&sd->cv);
        }
        curl_global_cleanup();
    }
    fprintf(stderr, "served %lu acked %lu nacked %lu", atomic_load(&s_served),
            atomic_load(&s_acked), atomic_load(&s_nacked));
    if (s_rt.on)
        fprintf(stderr, " on_sent %lu on_failed %lu", atomic_load(&s_rt.sent),
                atomic_load(&s_rt.failed));
    fputc('\n', stderr);
    return 0;
}
