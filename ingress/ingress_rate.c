/*
 * ingress_rate.c - per-sender token buckets: rate_limit.per_s requests per
 * second with bursts of rate_limit.burst, for each (claimed subscriber,
 * client address). The table is fixed in size (no growth under a flood of
 * made-up subscriber ids): a bucket whose slot is wanted by another key is
 * replaced, which can only ever make a limit more lenient, never block a
 * sender wrongly.
 *
 * Config keys read: rate_limit.per_s, rate_limit.burst.
 */
#include "ingress.h"

#include "metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define RATE_SLOTS 8192

typedef struct {
    uint64_t key;
    double tokens;
    int64_t last_ms;
} s_bucket_t;

static s_bucket_t s_buckets[RATE_SLOTS];

/* s_key - 64-bit FNV-1a of the subscriber and the client address. */
static uint64_t s_key(const char *sub, struct MHD_Connection *conn)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)sub; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    const union MHD_ConnectionInfo *ci =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        const unsigned char *a = NULL;
        size_t n = 0;
        if (sa->sa_family == AF_INET) {
            a = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
            n = 4;
        } else if (sa->sa_family == AF_INET6) {
            a = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
            n = 16;
        }
        for (size_t i = 0; i < n; i++)
            h = (h ^ a[i]) * 1099511628211ULL;
    }
    return h ? h : 1;
}

int ingress_rate_take(ingress_t *in, const char *subscriber, struct MHD_Connection *conn,
                      int64_t now_ms)
{
    const cfg_t *cfg = &in->rt->cfg;
    if (cfg->rate_limit_per_s <= 0)
        return 0;
    uint64_t key = s_key(subscriber ? subscriber : "", conn);
    s_bucket_t *b = &s_buckets[key % RATE_SLOTS];
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
    if (b->tokens < 1.0) {
        metrics_inc("ondc_rate_limited_total", "");
        return -1;
    }
    b->tokens -= 1.0;
    return 0;
}
