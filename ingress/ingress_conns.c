/*
 * ingress_conns.c - who may hold the network listener's connections, and
 * for how long (slow-loris and connection floods).
 *
 * Every connection is in one phase: HEAD (waiting for a request's line and
 * headers: from accept, or from the previous answer on a kept-alive
 * connection), BODY (headers in, the body arriving), WAIT (the request is
 * ours: queued for the commit, a registry lookup or a verify thread). Three
 * rules:
 *  1. A deadline per request, not per byte: the head must be complete
 *     within request_header_timeout_ms of the phase's start, the body within
 *     request_body_timeout_ms of the head. A client trickling a byte a second
 *     is closed at the deadline however steadily it trickles. WAIT has no
 *     deadline here (the lookup and the commit bound it).
 *  2. Accept-time shedding: once the open connections reach max_connections
 *     less a reserve (a sixteenth, at least 8), each accepted connection
 *     closes the one that has waited longest for its head (at least
 *     SHED_MIN_AGE_MS), so a fresh client always finds a slot while the
 *     slow ones go first.
 *  3. A per-address share that scales: an address may hold at most the free
 *     slots left (never more than max_connections_per_ip, never fewer than
 *     max_connections / 256, at least 4). A few addresses cannot fill the
 *     table; an empty node lets one address use max_connections_per_ip.
 * A connection is closed by shutting its socket down; libmicrohttpd sees
 * the end and cleans it up (NOTIFY_COMPLETED, then CLOSED). Counted in
 * ondc_connections_shed_total{why}.
 *
 * Config keys read: max_connections, max_connections_per_ip,
 * request_header_timeout_ms, request_body_timeout_ms.
 */
#include "ingress_conns.h"

#include "ingress.h"

#include "clock.h"
#include "idmap.h"
#include "log.h"
#include "metrics.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* a connection younger than this in HEAD is not shed: a client that has
 * just connected has had no time to send its head */
#define SHED_MIN_AGE_MS 500
/* how often the deadlines are checked */
#define SWEEP_MS 250

/* s_unlink - take IC out of whatever list holds it */
static void s_unlink(iconn_t *ic)
{
    if (ic->next) {
        ic->prev->next = ic->next;
        ic->next->prev = ic->prev;
    }
    ic->prev = ic->next = NULL;
}

/* s_append - IC at the tail of LIST (the youngest end) */
static void s_append(iconn_t *list, iconn_t *ic)
{
    ic->prev = list->prev;
    ic->next = list;
    list->prev->next = ic;
    list->prev = ic;
}

void iconns_init(iconns_t *c, int max, int per_ip, int64_t head_ms, int64_t body_ms)
{
    *c = (iconns_t){.max = max, .per_ip = per_ip, .head_ms = head_ms, .body_ms = body_ms};
    c->head.prev = c->head.next = &c->head;
    c->body.prev = c->body.next = &c->body;
    c->reserve = max / 16 > 8 ? max / 16 : 8;
    c->floor = max / 256 > 4 ? max / 256 : 4;
    c->addrs = idmap_new();
}

void iconns_fini(iconns_t *c)
{
    idmap_destroy(&c->addrs);
}

/* the per-address count is kept in the map's item pointer itself (never
 * 0 while held: the entry goes when the count does) */
int iconns_held(const iconns_t *c, uint64_t addr)
{
    return (int)(intptr_t)idmap_lookup(c->addrs, addr);
}

static void s_held_add(iconns_t *c, uint64_t addr, int d)
{
    int n = iconns_held(c, addr) + d;
    if (n <= 0)
        idmap_delete(c->addrs, addr);
    else if (idmap_insert(c->addrs, addr, (void *)(intptr_t)n) < 0)
        log_warn("ingress.conns_oom", NULL); /* the address goes uncounted */
}

int iconns_addr_limit(const iconns_t *c)
{
    int lim = c->max - c->open;
    if (lim > c->per_ip)
        lim = c->per_ip;
    if (lim < c->floor)
        lim = c->floor;
    return lim;
}

/* s_shut - close IC for WHY */
static void s_shut(iconns_t *c, iconn_t *ic, int why)
{
    s_unlink(ic);
    ic->phase = ICONN_SHUT;
    c->shed[why]++;
    if (c->close)
        c->close(ic, why, c->close_arg);
}

int iconns_admit(iconns_t *c, uint64_t addr, int64_t now_ms)
{
    if (iconns_held(c, addr) >= iconns_addr_limit(c)) {
        c->shed[ICONN_SHED_ADDRESS]++;
        if (c->close)
            c->close(NULL, ICONN_SHED_ADDRESS, c->close_arg);
        return -1;
    }
    if (c->open + 1 > c->max - c->reserve) {
        iconn_t *old = c->head.next;
        if (old != &c->head && now_ms - old->since_ms >= SHED_MIN_AGE_MS)
            s_shut(c, old, ICONN_SHED_FULL);
    }
    return 0;
}

void iconns_open(iconns_t *c, iconn_t *ic, uint64_t addr, int64_t now_ms)
{
    ic->addr = addr;
    ic->phase = ICONN_HEAD;
    ic->since_ms = now_ms;
    ic->prev = ic->next = NULL;
    s_append(&c->head, ic);
    c->open++;
    s_held_add(c, addr, 1);
}

void iconns_phase(iconns_t *c, iconn_t *ic, int phase, int64_t now_ms)
{
    if (ic->phase == ICONN_SHUT || ic->phase == phase)
        return;
    s_unlink(ic);
    ic->phase = phase;
    ic->since_ms = now_ms;
    if (phase == ICONN_HEAD)
        s_append(&c->head, ic);
    else if (phase == ICONN_BODY)
        s_append(&c->body, ic);
}

void iconns_close(iconns_t *c, iconn_t *ic)
{
    s_unlink(ic);
    c->open--;
    s_held_add(c, ic->addr, -1);
}

int iconns_sweep(iconns_t *c, int64_t now_ms)
{
    int n = 0;
    /* each list is in phase-start order: stop at the first within its time */
    while (c->head.next != &c->head && now_ms - c->head.next->since_ms >= c->head_ms) {
        s_shut(c, c->head.next, ICONN_SHED_HEAD);
        n++;
    }
    while (c->body.next != &c->body && now_ms - c->body.next->since_ms >= c->body_ms) {
        s_shut(c, c->body.next, ICONN_SHED_BODY);
        n++;
    }
    return n;
}

/* --- libmicrohttpd's side ------------------------------------------------ */

static const char *const s_why[ICONN_SHED_KINDS] = {"header_deadline", "body_deadline",
                                                    "listener_full", "address_share"};

static void s_close_socket(iconn_t *ic, int why, void *arg)
{
    (void)arg;
    char labels[64];
    snprintf(labels, sizeof labels, "why=\"%s\"", s_why[why]);
    metrics_inc("ondc_connections_shed_total", labels);
    if (ic)
        shutdown(ic->fd, SHUT_RDWR);
}

static void s_sweep(loop_t *loop, void *arg)
{
    (void)loop;
    ingress_t *in = arg;
    iconns_sweep(in->conns, clock_mono_ms());
}

int ingress_conns_init(ingress_t *in)
{
    const cfg_t *cfg = &in->rt->cfg;
    in->conns = calloc(1, sizeof *in->conns);
    if (!in->conns)
        return -1;
    iconns_init(in->conns, cfg->max_connections, cfg->max_connections_per_ip,
                cfg->request_header_timeout_ms, cfg->request_body_timeout_ms);
    if (!in->conns->addrs)
        return -1;
    in->conns->close = s_close_socket;
    /* every connection is a descriptor: take what the hard limit allows */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)cfg->max_connections + 256) {
        char have[24];
        snprintf(have, sizeof have, "%llu", (unsigned long long)rl.rlim_cur);
        log_warn("ingress.fd_limit", "open_files", have, "why",
                 "below max_connections + 256: raise the hard limit (ulimit -Hn)", NULL);
    }
    loop_timer(in->rt->loop, SWEEP_MS, 1, s_sweep, in);
    return 0;
}

void ingress_conns_fini(ingress_t *in)
{
    if (!in->conns)
        return;
    iconns_fini(in->conns);
    free(in->conns);
    in->conns = NULL;
}

enum MHD_Result ingress_conns_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
    (void)len;
    ingress_t *in = cls;
    if (!in->conns) /* a listener started without its table (tests): MHD's limits only */
        return MHD_YES;
    return iconns_admit(in->conns, ingress_sockaddr_hash(addr, 0), clock_mono_ms()) == 0 ? MHD_YES
                                                                                          : MHD_NO;
}

void ingress_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    ingress_t *in = cls;
    if (!in->conns)
        return;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        iconn_t *ic = calloc(1, sizeof *ic);
        if (!ic)
            return; /* uncounted: it is still bound by MHD's own limits */
        const union MHD_ConnectionInfo *fi =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        ic->fd = fi ? fi->connect_fd : -1;
        iconns_open(in->conns, ic, ingress_address_hash(conn, 0), clock_mono_ms());
        *socket_context = ic;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        iconns_close(in->conns, *socket_context);
        free(*socket_context);
        *socket_context = NULL;
    }
}

void ingress_conns_phase(ingress_t *in, struct MHD_Connection *conn, int phase)
{
    const union MHD_ConnectionInfo *si =
        in->conns ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
    if (si && si->socket_context)
        iconns_phase(in->conns, si->socket_context, phase, clock_mono_ms());
}
