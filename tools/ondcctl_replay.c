/*
 * ondcctl_replay.c - re-inject journal rows into a fleet.
 *
 *   ondcctl --config C replay ID
 *   ondcctl --config C replay --transaction T
 *   ondcctl --config C replay --since MS --until MS
 *   ondcctl --config SIDE replay --from LIVE ...   (copy rows from LIVE's
 *       journal into the side fleet SIDE, with its own data dir, and run them there)
 *
 * In place, a row is made pending again and sent to the dispatcher: the
 * worker handles it as if new (its state changes are idempotent by order and
 * transaction id) and a fresh on_* goes out. With --from, rows are appended
 * to the side fleet's journal as new rows.
 */
#include "ondcctl.h"

#include "context.h"
#include "envelope.h"
#include "journal.h"
#include "loop.h"
#include "store.h"
#include "zsock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define REPLAY_MAX 100000

typedef struct {
    uint64_t *ids;
    int n;
    int64_t since, until;
} s_sel_t;

static int s_pick(const journal_row_t *row, void *arg)
{
    s_sel_t *sel = arg;
    if ((sel->since && row->received_ms < sel->since) || (sel->until && row->received_ms > sel->until))
        return 0;
    sel->ids[sel->n++] = row->id;
    return sel->n >= REPLAY_MAX;
}

int ctl_replay(ctl_t *ctl, int argc, char **argv)
{
    cfg_t *cfg = ctl_need_config(ctl);
    const char *from = ctl_opt(argc, argv, "from"), *tid = ctl_opt(argc, argv, "transaction"),
               *one = ctl_positional(argc, argv, 0);
    s_sel_t sel = {.ids = calloc(REPLAY_MAX, sizeof(uint64_t))};
    sel.since = ctl_opt(argc, argv, "since") ? atoll(ctl_opt(argc, argv, "since")) : 0;
    sel.until = ctl_opt(argc, argv, "until") ? atoll(ctl_opt(argc, argv, "until")) : 0;
    if (!one && !tid && !sel.since && !sel.until) {
        fprintf(stderr, "usage: ondcctl --config C replay (ID | --transaction T | --since MS --until MS) [--from CONFIG]\n");
        free(sel.ids);
        return 64;
    }
    store_t *dst = store_open(cfg);
    cfg_t src_cfg;
    store_t *src = dst;
    if (from) {
        char why[512];
        if (cfg_load(&src_cfg, from, why, sizeof why) < 0) {
            fprintf(stderr, "ondcctl: --from: %s\n", why);
            return 78;
        }
        if (strcmp(src_cfg.data_dir, cfg->data_dir) == 0) {
            fprintf(stderr, "ondcctl: --from names the same data dir\n");
            return 64;
        }
        src = store_open(&src_cfg);
    }
    if (!dst || !src)
        return 1;
    MDB_txn *rtxn = store_begin(src, 1);
    if (one)
        sel.ids[sel.n++] = strtoull(one, NULL, 10);
    else if (tid)
        journal_each_txn(src, rtxn, tid, s_pick, &sel);
    else
        journal_each(src, rtxn, 0, 0, s_pick, &sel);

    int64_t now = loop_wall_ms();
    MDB_txn *wtxn = from ? store_begin(dst, 0) : NULL;
    uint64_t *newids = calloc((size_t)sel.n + 1, sizeof *newids);
    int ok = 1;
    for (int i = 0; i < sel.n && ok; i++) {
        journal_row_t row;
        if (journal_get(src, rtxn, sel.ids[i], &row) != 0) {
            fprintf(stderr, "ondcctl: no journal row %llu\n", (unsigned long long)sel.ids[i]);
            ok = 0;
            break;
        }
        if (from) {
            journal_row_t copy = row;
            copy.received_ms = now;
            ok = journal_append(dst, wtxn, &copy, &newids[i]) == 0;
        } else {
            newids[i] = sel.ids[i];
        }
    }
    mdb_txn_abort(rtxn);
    if (from) {
        if (!ok || store_commit(wtxn) != 0) {
            if (!ok)
                mdb_txn_abort(wtxn);
            fprintf(stderr, "ondcctl: replay failed; nothing was injected\n");
            return 1;
        }
    } else if (ok) {
        MDB_txn *t = store_begin(dst, 0);
        for (int i = 0; i < sel.n && ok; i++)
            ok = journal_requeue(dst, t, newids[i], now) == 0;
        if (!ok || store_commit(t) != 0) {
            if (!ok)
                mdb_txn_abort(t);
            fprintf(stderr, "ondcctl: replay failed; nothing was injected\n");
            return 1;
        }
    } else {
        return 1;
    }
    /* hand the rows to the dispatcher now; if it is down, its lease scan
     * finds them pending when it comes back */
    void *zctx = zmq_ctx_new();
    void *push = zsock_new(zctx, ZMQ_PUSH, cfg->ep_dispatcher, 0, 100000, 5000);
    MDB_txn *t = store_begin(dst, 1);
    int sent = 0;
    for (int i = 0; push && i < sel.n; i++) {
        journal_row_t row;
        if (journal_get(dst, t, newids[i], &row) != 0)
            continue;
        envelope_t e = {.kind = ENVELOPE_REQUEST, .id = row.id, .received_ms = (uint64_t)row.received_ms};
        snprintf(e.action, sizeof e.action, "%s", context_action_name((action_t)row.action));
        snprintf(e.sender, sizeof e.sender, "%s", row.sender);
        if (envelope_send(push, &e, row.body, row.body_len) == 0)
            sent++;
        printf("replayed %llu%s %s %s %s\n", (unsigned long long)row.id,
               from ? " (copied)" : "", e.action, row.transaction_id, row.message_id);
    }
    mdb_txn_abort(t);
    if (push)
        zmq_close(push);
    zmq_ctx_term(zctx);
    printf("%d rows replayed, %d handed to the dispatcher\n", sel.n, sent);
    free(sel.ids);
    free(newids);
    if (src != dst)
        store_destroy(&src);
    store_destroy(&dst);
    return 0;
}
