/*
 * ingress_conns.h - the network listener's connection table: a deadline
 * per request, accept-time shedding and a per-address share that scales
 * (ingress_conns.c says how). The iconns_* part knows nothing of
 * libmicrohttpd and is unit-tested on its own.
 */
#ifndef ONDC_INGRESS_CONNS_H
#define ONDC_INGRESS_CONNS_H

#include <stdint.h>

enum { ICONN_HEAD, ICONN_BODY, ICONN_WAIT, ICONN_SHUT };
enum { ICONN_SHED_HEAD, ICONN_SHED_BODY, ICONN_SHED_FULL, ICONN_SHED_ADDRESS, ICONN_SHED_KINDS };

typedef struct iconn_s {
    struct iconn_s *prev, *next; /* in the list of its phase (HEAD, BODY) */
    int phase;
    int64_t since_ms; /* when the phase began (monotonic) */
    uint64_t addr;    /* hash of the client address */
    int fd;
} iconn_t;

typedef struct idmap_s idmap_t;

typedef struct {
    iconn_t head, body; /* sentinels of the phase lists, oldest first */
    idmap_t *addrs;     /* address hash -> connections it holds */
    int open, max, per_ip, reserve, floor;
    int64_t head_ms, body_ms;
    uint64_t shed[ICONN_SHED_KINDS];
    /* closes IC (NULL: a connection refused at accept) for WHY */
    void (*close)(iconn_t *ic, int why, void *arg);
    void *close_arg;
} iconns_t;

/* iconns_init - an empty table for MAX connections, PER_IP at most per
 * address, the head and body deadlines; iconns_fini frees it. */
void iconns_init(iconns_t *c, int max, int per_ip, int64_t head_ms, int64_t body_ms);
void iconns_fini(iconns_t *c);

/* iconns_admit - whether a new connection from ADDR may be taken: -1 when
 * the address holds its share already; 0, after shedding the connection
 * that has waited longest for its head when the table is nearly full. */
int iconns_admit(iconns_t *c, uint64_t addr, int64_t now_ms);

/* iconns_open / iconns_close - IC enters the table (in HEAD) / leaves it. */
void iconns_open(iconns_t *c, iconn_t *ic, uint64_t addr, int64_t now_ms);
void iconns_close(iconns_t *c, iconn_t *ic);

/* iconns_phase - IC moves to PHASE (ICONN_HEAD, _BODY or _WAIT) now. */
void iconns_phase(iconns_t *c, iconn_t *ic, int phase, int64_t now_ms);

/* iconns_sweep - close every connection past its phase's deadline; how many. */
int iconns_sweep(iconns_t *c, int64_t now_ms);

/* iconns_held - connections ADDR holds; iconns_addr_limit - the most one
 * address may hold now. */
int iconns_held(const iconns_t *c, uint64_t addr);
int iconns_addr_limit(const iconns_t *c);

#endif
