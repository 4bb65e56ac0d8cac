/*
 * callback_hosts.c - ondc-callback: one line per buyer app host, and the
 * parking of rows that wait.
 *
 * At most callback.max_per_host deliveries run at once per host, so one
 * slow buyer app cannot hold up the others; a due row beyond that waits in
 * its host's line (first in, first out) and starts when a transfer of that
 * host ends. A row far back in a line, or waiting for its retry, is
 * parked: its bytes are let go and read again from the outbox when it
 * starts (the row never changes once written). Past CALLBACK_HOSTS_MAX
 * hosts, the last slot is shared.
 *
 * Config keys read: callback.max_per_host.
 */
#include "callback.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

callback_host_t *callback_host_of(callback_t *cb, const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    char name[160];
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p);
    for (int i = 0; i < cb->nhosts; i++)
        if (strcmp(cb->hosts[i].name, name) == 0)
            return &cb->hosts[i];
    if (cb->nhosts == CALLBACK_HOSTS_MAX) /* XXX: beyond this many hosts they share one slot */
        return &cb->hosts[CALLBACK_HOSTS_MAX - 1];
    callback_host_t *h = &cb->hosts[cb->nhosts++];
    snprintf(h->name, sizeof h->name, "%s", name);
    return h;
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
