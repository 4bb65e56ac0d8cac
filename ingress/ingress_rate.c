/*
 * ingress_rate.c - per-sender token buckets: rate_limit.per_s requests per
 * second with bursts of rate_limit.burst, for each (claimed subscriber,
 * client address). The table is fixed in size (no growth under a flood of
 * made-up subscriber ids): a bucket whose slot is wanted by another key is
 * replaced, which can only ever make a limit more lenient, never block a
 * sender wrongly.
 *
 * The copies of the ingress (ingress_copies) share one table, in
 * RUN_DIR/rate.shm (shared memory, no data worth keeping): a buyer app
 * whose connections land on several copies still has one allowance. A
 * bucket is updated under a lock of its own, a word holding the holder's
 * pid; a lock held by a process that died is taken back, and a lock that
 * cannot be had within RATE_SPINS tries lets the request through (lenient
 * again). Without the file, a process keeps a
 * table of its own.
 *
 * Config keys read: rate_limit.per_s, rate_limit.burst, run_dir.
 */
#include "ingress.h"

#include "log.h"
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define RATE_SLOTS 8192
#define RATE_SPINS 2000

typedef struct {
    _Atomic uint32_t lock; /* 0, or the pid of the process updating it */
    uint32_t pad;
    uint64_t key;
    double tokens;
    int64_t last_ms;
} s_bucket_t;

static s_bucket_t s_local[RATE_SLOTS];
static s_bucket_t *s_buckets = s_local;
static uint32_t s_pid;

int ingress_rate_init(ingress_t *in)
{
    s_pid = (uint32_t)getpid();
    char path[4200];
    snprintf(path, sizeof path, "%s/rate.shm", in->rt->cfg.run_dir);
    size_t size = sizeof(s_bucket_t) * RATE_SLOTS;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 ||
        ((size_t)st.st_size != size && ftruncate(fd, (off_t)size) < 0)) {
        log_errno(LOG_WARN, "ingress.rate_table", "path", path, "why",
                  "not shared: this copy keeps its own buckets", NULL);
        if (fd >= 0)
            close(fd);
        return 0;
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        log_errno(LOG_WARN, "ingress.rate_table", "path", path, "why",
                  "not shared: this copy keeps its own buckets", NULL);
        return 0;
    }
    s_buckets = m;
    return 0;
}

void ingress_rate_fini(void)
{
    if (s_buckets != s_local)
        munmap(s_buckets, sizeof(s_bucket_t) * RATE_SLOTS);
    s_buckets = s_local;
}

/* s_lock - take B's lock; 0 when it could not be had (the caller admits) */
static int s_lock(s_bucket_t *b)
{
    for (int i = 0; i < RATE_SPINS; i++) {
        uint32_t held = 0;
        if (atomic_compare_exchange_weak_explicit(&b->lock, &held, s_pid, memory_order_acquire,
                                                  memory_order_relaxed))
            return 1;
        /* a holder that died in its few instructions never lets go (nor
         * would one that had our pid before us) */
        if (held == s_pid || (held && kill((pid_t)held, 0) < 0 && errno == ESRCH))
            atomic_compare_exchange_strong(&b->lock, &held, 0);
    }
    return 0;
}

static void s_unlock(s_bucket_t *b)
{
    atomic_store_explicit(&b->lock, 0, memory_order_release);
}

/* s_fnv - 64-bit FNV-1a of N bytes of P, from H */
static uint64_t s_fnv(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

uint64_t ingress_sockaddr_hash(const struct sockaddr *sa, uint64_t seed)
{
    uint64_t h = seed ? seed : 1469598103934665603ULL;
    if (sa && sa->sa_family == AF_INET)
        h = s_fnv(h, (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    else if (sa && sa->sa_family == AF_INET6)
        h = s_fnv(h, (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    return h ? h : 1;
}

uint64_t ingress_address_hash(struct MHD_Connection *conn, uint64_t seed)
{
    const union MHD_ConnectionInfo *ci =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    return ingress_sockaddr_hash(ci ? ci->client_addr : NULL, seed);
}

/* s_key - 64-bit FNV-1a of the subscriber and the client address. */
static uint64_t s_key(const char *sub, struct MHD_Connection *conn)
{
    uint64_t h = s_fnv(1469598103934665603ULL, (const unsigned char *)sub, strlen(sub));
    return ingress_address_hash(conn, h);
}

int ingress_rate_take(ingress_t *in, const char *subscriber, struct MHD_Connection *conn,
                      int64_t now_ms)
{
    const cfg_t *cfg = &in->rt->cfg;
    if (cfg->rate_limit_per_s <= 0)
        return 0;
    uint64_t key = s_key(subscriber ? subscriber : "", conn);
    s_bucket_t *b = &s_buckets[key % RATE_SLOTS];
    if (!s_lock(b))
        return 0;
    if (b->key != key) {
        b->key = key;
        b->tokens = cfg->rate_limit_burst;
        b->last_ms = now_ms;
    }
    double add = (double)(now_ms - b->last_ms) * cfg->rate_limit_per_s / 1000.0;
    if (add > 0) {
        b->tokens += add;
        if (b->tokens > cfg->rate_limit_burst)
            b->tokens = cfg->rate_limit_burst;
        b->last_ms = now_ms;
    }
    int rc = 0;
    if (b->tokens < 1.0)
        rc = -1;
    else
        b->tokens -= 1.0;
    s_unlock(b);
    if (rc < 0)
        metrics_inc("ondc_rate_limited_total", "");
    return rc;
}
