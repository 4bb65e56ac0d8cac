/*
 * callback_hosts.c - ondc-callback: one line per buyer app host, and the
 * parking of rows that wait.
 *
 * At most callback.max_per_host deliveries run at once per host, so one
 * slow buyer app cannot hold up the others; a due row beyond that waits in
 * its host's line (first in, first out) and starts when a transfer of that
 * host ends. A row far back in a line, or waiting for its retry, is
 * parked: its bytes are let go and read again from the outbox when it
 * starts (the row never changes once written). A host is held while a
 * row in memory names it (its refs) and let go by the cron's sweep once
 * none does: the table is bounded by the rows in memory, and each buyer
 * app's rows go to its own registered host, so one buyer app's dead hosts
 * never share a line with another's.
 *
 * Config keys read: callback.max_per_host.
 */
#include "callback.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s_name_key - 64-bit FNV-1a of NAME, never 0 */
static uint64_t s_name_key(const char *name)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h ? h : 1;
}

callback_host_t *callback_host_of(callback_t *cb, const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    char name[160];
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p);
    if (!cb->hosts && !(cb->hosts = idmap_new()))
        return NULL;
    /* two names with one hash (never seen, but possible) take the next keys */
    uint64_t key = s_name_key(name);
    for (int probe = 0; probe < 8; probe++, key = key + 1 ? key + 1 : 1) {
        callback_host_t *h = idmap_lookup(cb->hosts, key);
        if (h && strcmp(h->name, name) != 0)
            continue;
        if (!h) {
            if (!(h = calloc(1, sizeof *h)))
                return NULL;
            snprintf(h->name, sizeof h->name, "%s", name);
            h->key = key;
            if (idmap_insert(cb->hosts, key, h) != 0) {
                free(h);
                return NULL;
            }
        }
        h->refs++;
        return h;
    }
    return NULL;
}

int callback_hosts_sweep(callback_t *cb)
{
    uint64_t idle[256];
    int n = 0, total = 0;
    do {
        /* collected first: the map must not change during a walk */
        n = 0;
        size_t cur = 0;
        callback_host_t *h;
        while (cb->hosts && n < 256 && (h = idmap_next(cb->hosts, &cur, NULL)))
            if (h->refs <= 0 && h->inflight == 0 && !h->wait_head)
                idle[n++] = h->key;
        for (int i = 0; i < n; i++)
            free(idmap_delete(cb->hosts, idle[i]));
        total += n;
    } while (n == 256);
    return total;
}

int callback_hosts_busy(callback_t *cb)
{
    int busy = 0;
    size_t cur = 0;
    callback_host_t *h;
    while (cb->hosts && (h = idmap_next(cb->hosts, &cur, NULL)))
        busy += h->inflight;
    return busy;
}

void callback_hosts_free(callback_t *cb)
{
    size_t cur = 0;
    callback_host_t *h;
    while (cb->hosts && (h = idmap_next(cb->hosts, &cur, NULL)))
        free(h);
    idmap_destroy(&cb->hosts);
}

int callback_line_keeps(int waiting, int max_per_host)
{
    int live = max_per_host > CALLBACK_LINE_LIVE_MIN ? max_per_host : CALLBACK_LINE_LIVE_MIN;
    return waiting <= live;
}

void callback_enqueue(callback_t *cb, callback_dl_t *d)
{
    callback_host_t *h = d->host;
    if (h->inflight < cb->rt->cfg.callback_max_per_host) {
        callback_start(cb, d);
        return;
    }
    d->next = NULL;
    if (h->wait_tail)
        h->wait_tail->next = d;
    else
        h->wait_head = d;
    h->wait_tail = d;
    /* far back in a slow host's line: parked until it comes forward */
    if (!callback_line_keeps(++h->waiting, cb->rt->cfg.callback_max_per_host))
        callback_park(cb, d);
}

void callback_start_next(callback_t *cb, callback_host_t *h)
{
    while (h->wait_head && h->inflight < cb->rt->cfg.callback_max_per_host) {
        callback_dl_t *d = h->wait_head;
        h->wait_head = d->next;
        if (!h->wait_head)
            h->wait_tail = NULL;
        h->waiting--;
        callback_start(cb, d);
    }
}

void callback_body_free(callback_body_t *b)
{
    if (!b)
        return;
    outbox_row_clear(&b->row);
    free(b->raw);
    free(b);
}

callback_body_t *callback_body_read(callback_t *cb, MDB_txn *txn, uint64_t id)
{
    MDB_val v;
    if (outbox_raw(cb->rt->store, txn, id, &v) != 0)
        return NULL;
    callback_body_t *b = calloc(1, sizeof *b);
    if (!b || !(b->raw = malloc(v.mv_size ? v.mv_size : 1))) {
        free(b);
        return NULL;
    }
    memcpy(b->raw, v.mv_data, v.mv_size);
    if (outbox_decode(id, b->raw, v.mv_size, &b->row) != 0) {
        callback_body_free(b);
        return NULL;
    }
    return b;
}

void callback_park(callback_t *cb, callback_dl_t *d)
{
    if (!d->b)
        return;
    callback_body_free(d->b);
    d->b = NULL;
    cb->n_parked++;
}

int callback_unpark(callback_t *cb, callback_dl_t *d)
{
    if (d->b)
        return 0;
    MDB_txn *txn = store_begin(cb->rt->store, 1);
    if (txn) {
        d->b = callback_body_read(cb, txn, d->id);
        mdb_txn_abort(txn);
    }
    if (!d->b) {
        char idb[24];
        snprintf(idb, sizeof idb, "%llu", (unsigned long long)d->id);
        log_warn("callback.unpark_failed", "outbox_id", idb, NULL);
        return -1;
    }
    cb->n_parked--;
    return 0;
}
