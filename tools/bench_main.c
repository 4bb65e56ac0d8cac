/*
 * bench_main.c - ondc-bench: the load generator and callback sink of
 * `make bench`, in one process so that a request and its on_* are timed on
 * one clock.
 *
 *   ondc-bench --url http://127.0.0.1:P/protocol/v1/ --template FILE[,FILE...]
 *              --key BUYER.key --subscriber ID --ukid K --node-pub B64
 *              --sink-port S [--rate R | --max] [--seconds T | --count N]
 *              [--conns C] [--wait S] [--tick-us U] [--expires S]
 *
 * Requests are made before the clock starts, as a real buyer app makes them:
 * each template (a request body; its context.action names the endpoint)
 * gets a fresh transaction_id, message_id and timestamp, bap_uri pointing at
 * the sink, and its own Ed25519 Authorization header (valid for --expires
 * seconds from when it is made, default 600). They go out over C
 * keep-alive HTTP/1.1 connections (epoll, one request in flight per
 * connection), either on a fixed schedule (--rate: open loop, a late
 * request is sent as soon as a connection is free and its lateness counts
 * in its latency; the generator wakes on a grid of --tick-us, default
 * 1000, and sends what fell due since, 0: at each request's own time) or
 * as fast as they are ACKed (--max). The sink
 * (bench_sink.c, served by the same epoll loop: no thread to wake per
 * callback on a machine the node shares) matches each on_* to its request by
 * message_id, times it and answers ACK, keeping the body and its
 * Authorization header; once the timed run is over and every on_* has come,
 * a thread of its own verifies each signature with the node's public key
 * (bad_signatures, verified). The buyer app's crypto, which a real one does
 * on its own machine, so takes no CPU from the node while it is measured.
 *
 * Prints "key value" lines: sent, acked, nacks, errors, ack_p50_ms,
 * ack_p99_ms, ack_p999_ms, acked_per_s, callbacks, bad_signatures,
 * verified (on_* signatures checked, repeats included), unmatched,
 * sink_errors (sink connections closed for what was not HTTP),
 * delivered_per_s, roundtrip_p50_ms, roundtrip_p99_ms, roundtrip_p999_ms,
 * roundtrip_max_ms, lost, cpu_s (this process, the verifying included),
 * cpu_run_s (the timed run alone), seconds, and the whole machine over the
 * timed run: machine_busy_s (CPU seconds not idle), machine_steal_pct (the
 * share the host took from this virtual machine) and machine_seconds.
 * The on_* bodies wait in memory for the verifier until the run is over.
 */
#include "bench.h"
#include "clock.h"
#include "sign.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    char *wire; /* the whole HTTP request */
    size_t len;
    int64_t due_us, sent_us, ack_us, cb_us; /* 0: not yet */
    int status;
} breq_t;

static breq_t *g_reqs;
static size_t g_n;
static _Atomic size_t g_callbacks, g_bad_sigs, g_unmatched, g_verified;
static unsigned char g_node_pk[32];
static char g_run[16];
static long g_expires_s = 600; /* --expires: each signature's lifetime */

static char *s_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = '\0';
    fclose(f);
    return b;
}

/* ---- the sink ---- */

typedef struct sreq_s {
    char *body;
    size_t len;
    char auth[1024]; /* the Authorization header, "" if none */
    struct sreq_s *next;
} sreq_t;

/* the verifier's queue: on_* received, signatures not yet checked */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sreq_t *head, *tail;
    int busy, stop, go; /* GO: the timed run is over, verify */
} g_vq = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0, 0};

static void s_verify(const sreq_t *r)
{
    sign_header_t h;
    ondc_err_t err;
    if (!r->auth[0] || sign_header_parse(r->auth, &h, &err) < 0 ||
        sign_verify(&h, g_node_pk, r->body ? r->body : "", r->len, (long)time(NULL), 120,
                    &err) < 0)
        atomic_fetch_add(&g_bad_sigs, 1);
    atomic_fetch_add(&g_verified, 1);
}

static void *s_verifier(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_vq.mu);
    for (;;) {
        while ((!g_vq.head || !g_vq.go) && !g_vq.stop)
            pthread_cond_wait(&g_vq.cv, &g_vq.mu);
        if (!g_vq.head)
            break;
        sreq_t *batch = g_vq.head;
        g_vq.head = g_vq.tail = NULL;
        g_vq.busy = 1;
        pthread_mutex_unlock(&g_vq.mu);
        for (sreq_t *r = batch, *next; r; r = next) {
            next = r->next;
            s_verify(r);
            free(r->body);
            free(r);
        }
        pthread_mutex_lock(&g_vq.mu);
        g_vq.busy = 0;
        pthread_cond_broadcast(&g_vq.cv);
    }
    pthread_mutex_unlock(&g_vq.mu);
    return NULL;
}

/* s_verify_later - hand R (owned) to the verifier. */
static void s_verify_later(sreq_t *r)
{
    r->next = NULL;
    pthread_mutex_lock(&g_vq.mu);
    if (g_vq.tail)
        g_vq.tail->next = r;
    else
        g_vq.head = r;
    g_vq.tail = r;
    if (g_vq.go)
        pthread_cond_signal(&g_vq.cv);
    pthread_mutex_unlock(&g_vq.mu);
}

/* s_verify_drain - verify every queued signature now, and wait for it. */
static void s_verify_drain(void)
{
    pthread_mutex_lock(&g_vq.mu);
    g_vq.go = 1;
    pthread_cond_broadcast(&g_vq.cv);
    while (g_vq.head || g_vq.busy)
        pthread_cond_wait(&g_vq.cv, &g_vq.mu);
    pthread_mutex_unlock(&g_vq.mu);
}

static void s_record(const char *raw, size_t len)
{
    int64_t now = clock_mono_us();
    /* the message_id without parsing the whole on_* (the sink shares the
     * machine with the node it measures): the first "message_id" is the
     * context's, as the node writes context first */
    char mid_buf[128];
    const char *mid = NULL;
    const char *p = memmem(raw, len, "\"message_id\":\"", 14);
    if (p) {
        p += 14;
        size_t n = 0;
        while (p + n < raw + len && p[n] != '"' && n < sizeof mid_buf - 1)
            n++;
        memcpy(mid_buf, p, n);
        mid_buf[n] = '\0';
        mid = mid_buf;
    }
    /* message ids are "{run}-{index}-{random}" */
    size_t rl = strlen(g_run);
    if (mid && strncmp(mid, g_run, rl) == 0 && mid[rl] == '-') {
        size_t i = strtoull(mid + rl + 1, NULL, 10);
        if (i < g_n && g_reqs[i].cb_us == 0) {
            g_reqs[i].cb_us = now;
            atomic_fetch_add(&g_callbacks, 1);
        }
    } else {
        atomic_fetch_add(&g_unmatched, 1);
    }
}

void bench_sink_on(const char *body, size_t len, const char *auth)
{
    s_record(body, len);
    /* the body goes to the verifier, checked once the timed run is over */
    sreq_t *v = calloc(1, sizeof *v);
    char *copy = malloc(len + 1);
    if (!v || !copy) {
        free(v);
        free(copy);
        atomic_fetch_add(&g_bad_sigs, 1); /* cannot be checked: count it against the node */
        return;
    }
    memcpy(copy, body, len);
    copy[len] = '\0';
    snprintf(v->auth, sizeof v->auth, "%s", auth);
    v->body = copy;
    v->len = len;
    s_verify_later(v);
}

/* ---- the requests ---- */

static int s_make(const char *url_base, char **templates, int ntemplates, const sign_key_t *key,
                  const char *sub, const char *ukid, const char *bap_uri, size_t n)
{
    json_t *tmpl[16] = {NULL};
    if (ntemplates < 1 || ntemplates > 16)
        return -1;
    for (int t = 0; t < ntemplates; t++) {
        char *text = s_slurp(templates[t]);
        tmpl[t] = text ? json_loads(text, 0, NULL) : NULL;
        free(text);
        if (!tmpl[t]) {
            fprintf(stderr, "ondc-bench: cannot read template %s\n", templates[t]);
            return -1;
        }
    }
    /* "http://host:port/path/": the path prefix */
    const char *p = strstr(url_base, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    const char *prefix = p ? p : "/";
    g_reqs = calloc(n, sizeof *g_reqs);
    if (!g_reqs)
        return -1;
    long now = (long)time(NULL);
    char ts[40];
    struct tm tm;
    time_t tt = (time_t)now;
    gmtime_r(&tt, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    for (size_t i = 0; i < n; i++) {
        json_t *b = json_deep_copy(tmpl[i % (size_t)ntemplates]);
        json_t *ctx = json_object_get(b, "context");
        unsigned char rnd[8];
        randombytes_buf(rnd, sizeof rnd);
        char mid[96], tid[104];
        snprintf(mid, sizeof mid, "%s-%zu-%02x%02x%02x%02x%02x%02x%02x%02x", g_run, i, rnd[0],
                 rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
        snprintf(tid, sizeof tid, "t%s", mid);
        json_object_set_new(ctx, "message_id", json_string(mid));
        json_object_set_new(ctx, "transaction_id", json_string(tid));
        json_object_set_new(ctx, "timestamp", json_string(ts));
        json_object_set_new(ctx, "bap_id", json_string(sub));
        json_object_set_new(ctx, "bap_uri", json_string(bap_uri));
        const char *action = json_string_value(json_object_get(ctx, "action"));
        char *body = json_dumps(b, JSON_COMPACT);
        size_t bl = strlen(body);
        char *auth = sign_auth_line(key, sub, ukid, body, bl, now, now + g_expires_s);
        if (!auth) {
            fprintf(stderr, "ondc-bench: cannot sign as %s|%s\n", sub, ukid);
            free(body);
            json_decref(b);
            return -1;
        }
        size_t cap = bl + strlen(auth) + 512;
        g_reqs[i].wire = malloc(cap);
        int hl =
            snprintf(g_reqs[i].wire, cap,
                     "POST %s%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "%s\r\nContent-Length: %zu\r\n\r\n",
                     prefix, action ? action : "init", auth, bl);
        memcpy(g_reqs[i].wire + hl, body, bl);
        g_reqs[i].len = (size_t)hl + bl;
        free(auth);
        free(body);
        json_decref(b);
    }
    for (int t = 0; t < ntemplates; t++)
        json_decref(tmpl[t]);
    return 0;
}

/* ---- the connections ---- */

typedef struct {
    int fd;
    ssize_t req; /* index in flight, -1 idle */
    size_t off;  /* bytes of the request written */
    char in[8192];
    size_t inlen;
} bconn_t;

static int s_connect(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* s_response - a whole response in C->in? Returns its status and drops
 * it from the buffer; 0 when more bytes are needed. */
static int s_response(bconn_t *c)
{
    c->in[c->inlen < sizeof c->in ? c->inlen : sizeof c->in - 1] = '\0';
    char *end = strstr(c->in, "\r\n\r\n");
    if (!end)
        return 0;
    int status = atoi(c->in + 9);
    char *cl = strcasestr(c->in, "Content-Length:");
    size_t blen = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
    size_t total = (size_t)(end + 4 - c->in) + blen;
    if (c->inlen < total)
        return 0;
    memmove(c->in, c->in + total, c->inlen - total);
    c->inlen -= total;
    return status ? status : 599;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double s_pct(int64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i] / 1000.0;
}

/* s_proc_stat - the machine's CPU time counters (ticks): user nice system
 * idle iowait irq softirq steal; zeros when /proc/stat cannot be read */
static void s_proc_stat(unsigned long long v[8])
{
    memset(v, 0, 8 * sizeof v[0]);
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return;
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]) != 8)
        memset(v, 0, 8 * sizeof v[0]);
    fclose(f);
}

/* s_cpu_s - user + system seconds from A to B */
static double s_cpu_s(const struct rusage *a, const struct rusage *b)
{
    return (double)(b->ru_utime.tv_sec - a->ru_utime.tv_sec + b->ru_stime.tv_sec -
                    a->ru_stime.tv_sec) +
           (double)(b->ru_utime.tv_usec - a->ru_utime.tv_usec + b->ru_stime.tv_usec -
                    a->ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *keyfile = NULL, *sub = NULL, *ukid = "k1", *node_pub = NULL;
    char *templates[16];
    int ntemplates = 0, sink_port = 0, conns = 32, maxrate = 0;
    double rate = 1000, seconds = 5, wait_s = 30;
    int64_t tick_us = 1000;
    size_t count = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--max") == 0) {
            maxrate = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "ondc-bench: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--url") == 0)
            url = v;
        else if (strcmp(a, "--template") == 0) {
            static char tbuf[8192]; /* the paths, split in place */
            snprintf(tbuf, sizeof tbuf, "%s", v);
            for (char *save = NULL, *t = strtok_r(tbuf, ",", &save); t && ntemplates < 16;
                 t = strtok_r(NULL, ",", &save))
                templates[ntemplates++] = t;
        } else if (strcmp(a, "--key") == 0)
            keyfile = v;
        else if (strcmp(a, "--subscriber") == 0)
            sub = v;
        else if (strcmp(a, "--ukid") == 0)
            ukid = v;
        else if (strcmp(a, "--node-pub") == 0)
            node_pub = v;
        else if (strcmp(a, "--sink-port") == 0)
            sink_port = atoi(v);
        else if (strcmp(a, "--rate") == 0)
            rate = atof(v);
        else if (strcmp(a, "--seconds") == 0)
            seconds = atof(v);
        else if (strcmp(a, "--count") == 0)
            count = strtoull(v, NULL, 10);
        else if (strcmp(a, "--conns") == 0)
            conns = atoi(v);
        else if (strcmp(a, "--wait") == 0)
            wait_s = atof(v);
        else if (strcmp(a, "--tick-us") == 0)
            tick_us = atoll(v);
        else if (strcmp(a, "--expires") == 0)
            g_expires_s = atol(v);
        else {
            fprintf(stderr, "ondc-bench: unknown option %s\n", a);
            return 2;
        }
    }
    if (!url || !ntemplates || !keyfile || !sub || !node_pub || !sink_port || conns < 1 ||
        conns > 4096 || rate <= 0 || g_expires_s < 1) {
        fprintf(stderr, "usage: ondc-bench --url U --template F[,F] --key K --subscriber S "
                        "--node-pub B64 --sink-port P [--rate R|--max] [--seconds T|--count N] "
                        "[--conns C] [--wait S] [--tick-us U] [--expires S]\n");
        return 2;
    }
    if (sign_init() < 0 || sign_pubkey_from_base64(g_node_pk, node_pub) < 0) {
        fprintf(stderr, "ondc-bench: bad --node-pub\n");
        return 2;
    }
    sign_key_t key;
    ondc_err_t err;
    if (sign_key_load_file(&key, keyfile, &err) < 0) {
        fprintf(stderr, "ondc-bench: %s\n", err.message);
        return 2;
    }
    unsigned char r[4];
    randombytes_buf(r, sizeof r);
    snprintf(g_run, sizeof g_run, "b%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    g_n = count ? count : (size_t)(rate * seconds);
    if (g_n == 0)
        g_n = 1;
    char bap_uri[64];
    snprintf(bap_uri, sizeof bap_uri, "http://127.0.0.1:%d/", sink_port);
    if (s_make(url, templates, ntemplates, &key, sub, ukid, bap_uri, g_n) < 0)
        return 1;
    pthread_t verifier;
    if (pthread_create(&verifier, NULL, s_verifier, NULL) != 0) {
        fprintf(stderr, "ondc-bench: cannot start the verifier\n");
        return 1;
    }
    int ep = epoll_create1(0);
    if (bench_sink_listen(ep, sink_port) < 0) {
        fprintf(stderr, "ondc-bench: cannot listen on %d\n", sink_port);
        return 1;
    }
    char host[64] = "127.0.0.1";
    int port = 80;
    sscanf(url, "http://%63[^:]:%d", host, &port);
    bconn_t *cs = calloc((size_t)conns, sizeof *cs);
    for (int i = 0; i < conns; i++) {
        cs[i].fd = s_connect(host, port);
        cs[i].req = -1;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u64 = (uint64_t)i};
        if (cs[i].fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) < 0) {
            fprintf(stderr, "ondc-bench: cannot connect\n");
            return 1;
        }
    }
    struct rusage ru0, ru1, rurun;
    unsigned long long st0[8], st1[8];
    s_proc_stat(st0);
    getrusage(RUSAGE_SELF, &ru0);
    int64_t t0 = clock_mono_us();
    for (size_t i = 0; i < g_n; i++)
        g_reqs[i].due_us = maxrate ? t0 : t0 + (int64_t)((double)i * 1e6 / rate);
    size_t next = 0, done = 0, nacks = 0, errors = 0;
    int *idle = calloc((size_t)conns, sizeof *idle);
    int nidle = 0;
    for (int i = 0; i < conns; i++)
        idle[nidle++] = i;
    /* until every request is answered, then until the on_* of every ACKed
     * one has come (or --wait runs out), and 200 ms more for late repeats:
     * the sink is served by this loop throughout */
    int64_t t1 = 0, deadline = 0, linger = 0;
    size_t acked = 0;
    for (;;) {
        int64_t now = clock_mono_us();
        if (done == g_n && !t1) {
            t1 = now;
            for (size_t i = 0; i < g_n; i++)
                acked += g_reqs[i].status == 200;
            deadline = now + (int64_t)(wait_s * 1e6);
        }
        if (t1 && !linger && (atomic_load(&g_callbacks) >= acked || now >= deadline))
            linger = now + 200000;
        if (linger && now >= linger)
            break;
        /* start what is due on idle connections */
        while (nidle > 0 && next < g_n && g_reqs[next].due_us <= now) {
            bconn_t *c = &cs[idle[--nidle]];
            c->req = (ssize_t)next;
            c->off = 0;
            g_reqs[next].sent_us = now;
            next++;
            ssize_t w = write(c->fd, g_reqs[c->req].wire, g_reqs[c->req].len);
            if (w > 0)
                c->off = (size_t)w;
        }
        /* sleep until the next request is due (to the microsecond: a
         * generator that spins would take a core from the node it measures),
         * or until a connection has something */
        int64_t wait = t1 ? 20000 : 100000;
        if (next < g_n && nidle > 0) {
            /* on a grid of --tick-us: the requests due within one tick go
             * out together, one wake-up for them all (their lateness, at
             * most a tick, counts in their latency) */
            int64_t due = g_reqs[next].due_us;
            if (tick_us > 0)
                due = t0 + ((due - t0 + tick_us - 1) / tick_us) * tick_us;
            wait = due - clock_mono_us();
            if (wait < 0)
                wait = 0;
        }
        struct timespec ts = {.tv_sec = wait / 1000000, .tv_nsec = (wait % 1000000) * 1000};
        struct epoll_event evs[256];
        int n = epoll_pwait2(ep, evs, 256, &ts, NULL);
        for (int k = 0; k < n; k++) {
            if (evs[k].data.u64 >= BENCH_EV_LISTEN) {
                bench_sink_event(evs[k].data.u64);
                continue;
            }
            uint32_t ci = (uint32_t)evs[k].data.u64;
            bconn_t *c = &cs[ci];
            if (c->req < 0)
                continue;
            breq_t *q = &g_reqs[c->req];
            if ((evs[k].events & EPOLLOUT) && c->off < q->len) {
                ssize_t w = write(c->fd, q->wire + c->off, q->len - c->off);
                if (w > 0)
                    c->off += (size_t)w;
            }
            for (;;) {
                ssize_t rd = read(c->fd, c->in + c->inlen, sizeof c->in - 1 - c->inlen);
                if (rd <= 0) {
                    if (rd == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                        /* the server closed: count it, reconnect */
                        errors++;
                        q->status = -1;
                        done++;
                        close(c->fd);
                        c->fd = s_connect(host, port);
                        c->inlen = 0;
                        c->req = -1;
                        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                                                 .data.u64 = ci};
                        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
                        idle[nidle++] = (int)ci;
                    }
                    break;
                }
                c->inlen += (size_t)rd;
                int st = s_response(c);
                if (st) {
                    q->status = st;
                    q->ack_us = clock_mono_us();
                    if (st != 200)
                        nacks++;
                    done++;
                    c->req = -1;
                    idle[nidle++] = (int)ci;
                    break;
                }
            }
        }
    }
    int64_t tend = clock_mono_us();
    s_proc_stat(st1);
    getrusage(RUSAGE_SELF, &rurun); /* the timed run alone */
    s_verify_drain();
    getrusage(RUSAGE_SELF, &ru1); /* the verifier's work included */
    int64_t *ack = malloc(g_n * sizeof *ack), *rt = malloc(g_n * sizeof *rt);
    size_t na = 0, nr = 0;
    int64_t last_cb = t0;
    for (size_t i = 0; i < g_n; i++) {
        /* open loop: from when it was due (lateness counts); --max: from sending */
        int64_t from = maxrate ? g_reqs[i].sent_us : g_reqs[i].due_us;
        if (g_reqs[i].status == 200)
            ack[na++] = g_reqs[i].ack_us - from;
        if (g_reqs[i].cb_us) {
            rt[nr++] = g_reqs[i].cb_us - from;
            if (g_reqs[i].cb_us > last_cb)
                last_cb = g_reqs[i].cb_us;
        }
    }
    /* BENCH_SLOW_MS: name the requests whose on_* took longer (stderr) */
    const char *slow = getenv("BENCH_SLOW_MS");
    if (slow)
        fprintf(stderr, "t0 %.6f s (CLOCK_MONOTONIC)\n", (double)t0 / 1e6);
    for (size_t i = 0; slow && i < g_n; i++)
        if (g_reqs[i].cb_us && g_reqs[i].cb_us - g_reqs[i].due_us > atoll(slow) * 1000)
            fprintf(stderr, "slow %zu due %+.3f s sent %+.3f ack %+.3f on_* %+.3f\n", i,
                    (double)(g_reqs[i].due_us - t0) / 1e6, (double)(g_reqs[i].sent_us - t0) / 1e6,
                    (double)(g_reqs[i].ack_us - t0) / 1e6, (double)(g_reqs[i].cb_us - t0) / 1e6);
    qsort(ack, na, sizeof *ack, cmp64);
    qsort(rt, nr, sizeof *rt, cmp64);
    double dur = (double)(t1 - t0) / 1e6, cbdur = (double)(last_cb - t0) / 1e6;
    double cpu = s_cpu_s(&ru0, &ru1), cpu_run = s_cpu_s(&ru0, &rurun);
    /* the whole machine over the timed run (/proc/stat: user nice system
     * idle iowait irq softirq steal): busy CPU seconds, and the share of
     * all CPU time the host took from this virtual machine (steal) */
    unsigned long long dl[8], total = 0;
    for (int i = 0; i < 8; i++) {
        dl[i] = st1[i] - st0[i];
        total += dl[i];
    }
    double hz = (double)sysconf(_SC_CLK_TCK);
    double busy_s = (double)(total - dl[3] - dl[4] - dl[7]) / hz;
    double steal_pct = total ? 100.0 * (double)dl[7] / (double)total : 0;
    printf("sent %zu\nacked %zu\nnacks %zu\nerrors %zu\n", g_n, acked, nacks, errors);
    printf("ack_p50_ms %.2f\nack_p99_ms %.2f\nack_p999_ms %.2f\n", s_pct(ack, na, 0.5),
           s_pct(ack, na, 0.99), s_pct(ack, na, 0.999));
    printf("acked_per_s %.0f\n", dur > 0 ? (double)acked / dur : 0);
    printf("callbacks %zu\nbad_signatures %zu\nverified %zu\nunmatched %zu\nsink_errors %zu\n",
           nr, atomic_load(&g_bad_sigs), atomic_load(&g_verified), atomic_load(&g_unmatched),
           bench_sink_errors());
    printf("delivered_per_s %.0f\n", cbdur > 0 ? (double)nr / cbdur : 0);
    printf("roundtrip_p50_ms %.2f\nroundtrip_p99_ms %.2f\nroundtrip_p999_ms %.2f\n"
           "roundtrip_max_ms %.2f\n",
           s_pct(rt, nr, 0.5), s_pct(rt, nr, 0.99), s_pct(rt, nr, 0.999), s_pct(rt, nr, 1.0));
    printf("lost %zu\ncpu_s %.2f\ncpu_run_s %.2f\nseconds %.2f\n", acked > nr ? acked - nr : 0, cpu,
           cpu_run, dur);
    printf("machine_busy_s %.2f\nmachine_steal_pct %.1f\nmachine_seconds %.2f\n", busy_s, steal_pct,
           (double)(tend - t0) / 1e6);
    bench_sink_close();
    pthread_mutex_lock(&g_vq.mu);
    g_vq.stop = 1;
    pthread_cond_broadcast(&g_vq.cv);
    pthread_mutex_unlock(&g_vq.mu);
    pthread_join(verifier, NULL);
    for (int i = 0; i < conns; i++)
        close(cs[i].fd);
    for (size_t i = 0; i < g_n; i++)
        free(g_reqs[i].wire);
    free(g_reqs);
    free(cs);
    free(idle);
    free(ack);
    free(rt);
    close(ep);
    return 0;
}
