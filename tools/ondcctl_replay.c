/*
 * ondcctl_replay.c - re-inject journal rows into a fleet.
 *
 *   ondcctl --config C replay ID
 *   ondcctl --config C replay --transaction T
 *   ondcctl --config C replay --since T --until T   (epoch ms or RFC 3339)
 *   ondcctl --config SIDE replay --from LIVE ... [--bap-uri URI]   (copy rows
 *       from LIVE's journal into the side fleet SIDE, with its own data dir,
 *       and run them there)
 *
 * In place, a row is made pending again and sent to the dispatcher: the
 * worker handles it as if new (its state changes are idempotent by order and
 * transaction id) and a fresh on_* goes out. With --from, rows are appended
 * to the side fleet's journal as new rows; LIVE is only read. The copies
 * keep their context.bap_uri, so the side fleet's on_* would go to the real
 * buyer app: --bap-uri points them at a listener of your own instead
 * (`ondcctl listen`), which is what a debugging session wants.
 */
#include "ondcctl.h"
#include "clock.h"
#include "migrate.h"

#include "context.h"
#include "envelope.h"
#include "journal.h"
#include "store.h"
#include "zendpoint.h"

#include <czmq.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* s_rebase - BODY with context.bap_uri set to URI; caller owns (free());
 * NULL if BODY is not a JSON object with a context. */
static char *s_rebase(const char *body, size_t len, const char *uri)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *ctx = json_object_get(root, "context");
    char *out = NULL;
    if (json_is_object(ctx) && json_object_set_new(ctx, "bap_uri", json_string(uri)) == 0)
        out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return out;
}

/* s_time - --since/--until: epoch milliseconds or an RFC 3339 UTC time
 * (as `journal list` takes them); 0 if absent or unreadable. */
static int64_t s_time(const char *v)
{
    if (!v)
        return 0;
    char *end;
    long long ms = strtoll(v, &end, 10);
    if (*v && !*end)
        return ms > 0 ? ms : 0;
    int64_t t = context_parse_time(v);
    return t > 0 ? t : 0;
}

int ctl_replay(ctl_t *ctl, int argc, char **argv)
{
    static const char *const opts[] = {"from=", "transaction=", "since=", "until=", "bap-uri=",
                                       NULL};
    int arc = ctl_args("replay", argc, argv, opts, 0, 1);
    if (arc)
        return arc;
    cfg_t *cfg = ctl_need_config(ctl);
    const char *from = ctl_opt(argc, argv, "from"), *tid = ctl_opt(argc, argv, "transaction"),
               *one = ctl_positional(argc, argv, 0), *bap_uri = ctl_opt(argc, argv, "bap-uri");
    s_sel_t sel = {.ids = calloc(REPLAY_MAX, sizeof(uint64_t))};
    sel.since = s_time(ctl_opt(argc, argv, "since"));
    sel.until = s_time(ctl_opt(argc, argv, "until"));
    uint64_t one_id = 0;
    if (one && ctl_id("replay", one, &one_id) < 0) {
        free(sel.ids);
        return 64;
    }
    if (!sel.ids || (!one && !tid && !sel.since && !sel.until) || (bap_uri && !from)) {
        fprintf(stderr, "usage: ondcctl --config C replay (ID | --transaction T | --since MS --until MS)"
                        " [--from CONFIG [--bap-uri URI]]\n");
        free(sel.ids);
        return 64;
    }
    cfg_t src_cfg;
    if (from) {
        char why[512];
        if (cfg_load(&src_cfg, from, why, sizeof why) < 0) {
            fprintf(stderr, "ondcctl: --from: %s\n", why);
            free(sel.ids);
            return 78;
        }
        if (strcmp(src_cfg.data_dir, cfg->data_dir) == 0) {
            fprintf(stderr, "ondcctl: --from names the same data dir\n");
            free(sel.ids);
            return 64;
        }
    }
    store_t *dst = migrate_open(cfg);
    store_t *src = from && dst ? migrate_open(&src_cfg) : dst;
    if (!dst || !src) {
        fprintf(stderr, "ondcctl: cannot open the store under %s\n",
                !dst ? cfg->data_dir : src_cfg.data_dir);
        store_destroy(&dst);
        free(sel.ids);
        return 1;
    }
    MDB_txn *rtxn = store_begin(src, 1);
    if (one)
        sel.ids[sel.n++] = one_id;
    else if (tid && rtxn)
        journal_each_txn(src, rtxn, tid, s_pick, &sel);
    else if (rtxn)
        journal_each(src, rtxn, 0, 0, s_pick, &sel);

    int64_t now = clock_wall_ms();
    MDB_txn *wtxn = from ? store_begin(dst, 0) : NULL;
    uint64_t *newids = calloc((size_t)sel.n + 1, sizeof *newids);
    int ok = rtxn && newids && (!from || wtxn);
    for (int i = 0; i < sel.n && ok; i++) {
        journal_row_t row;
        int grc = journal_get(src, rtxn, sel.ids[i], &row);
        if (grc != 0) {
            if (grc == MDB_NOTFOUND)
                fprintf(stderr, "ondcctl: no journal row %llu\n", (unsigned long long)sel.ids[i]);
            else
                fprintf(stderr, "ondcctl: journal row %llu cannot be read: %s\n",
                        (unsigned long long)sel.ids[i], mdb_strerror(grc));
            journal_row_clear(&row);
            ok = 0;
            break;
        }
        if (from) {
            journal_row_t copy = row; /* borrows ROW's body; ROW is cleared below */
            copy.owned = NULL;
            copy.received_ms = now;
            char *rebased = bap_uri ? s_rebase(row.body, row.body_len, bap_uri) : NULL;
            if (bap_uri && !rebased) {
                fprintf(stderr, "ondcctl: journal row %llu has no context to point elsewhere\n",
                        (unsigned long long)row.id);
                journal_row_clear(&row);
                ok = 0;
                break;
            }
            if (rebased) {
                copy.body = rebased;
                copy.body_len = strlen(rebased);
            }
            ok = journal_append(dst, wtxn, &copy, &newids[i]) == 0;
            free(rebased);
            journal_row_clear(&row);
        } else {
            journal_row_clear(&row);
            newids[i] = sel.ids[i];
        }
    }
    if (rtxn)
        mdb_txn_abort(rtxn);
    if (from) {
        if (!ok || store_commit(wtxn) != 0) {
            if (!ok && wtxn)
                mdb_txn_abort(wtxn);
            ok = 0;
        }
    } else if (ok) {
        MDB_txn *t = store_begin(dst, 0);
        for (int i = 0; t && i < sel.n && ok; i++)
            ok = journal_requeue(dst, t, newids[i], now) == 0;
        if (!t || !ok || store_commit(t) != 0) {
            if (t && !ok)
                mdb_txn_abort(t);
            ok = 0;
        }
    }
    if (!ok || sel.n == 0) {
        if (ok)
            fprintf(stderr, "ondcctl: no journal rows match\n");
        else
            fprintf(stderr, "ondcctl: replay failed; nothing was injected\n");
        free(sel.ids);
        free(newids);
        if (src != dst)
            store_destroy(&src);
        store_destroy(&dst);
        return 1;
    }
    /* hand the rows to the dispatcher now; if it is down, its lease scan
     * finds them pending when it comes back */
    zsys_handler_set(NULL);     /* CZMQ leaves SIGINT alone: Ctrl-C stops us */
    zsys_set_logstream(stderr); /* its lines, if any, stay out of our output */
    zsock_t *push = zsock_new(ZMQ_PUSH);
    if (push) {
        /* room for every row a replay selects */
        zsock_set_sndhwm(push, REPLAY_MAX);
        zsock_set_rcvhwm(push, REPLAY_MAX);
        zsock_set_linger(push, 5000); /* the rows queued leave before we exit */
        if (zendpoint_attach(push, cfg->ep_dispatcher, 0) < 0)
            zsock_destroy(&push);
    }
    MDB_txn *t = store_begin(dst, 1);
    int sent = 0;
    for (int i = 0; push && i < sel.n; i++) {
        journal_row_t row;
        int grc = journal_get(dst, t, newids[i], &row);
        if (grc != 0) {
            if (grc != MDB_NOTFOUND)
                fprintf(stderr, "ondcctl: journal row %llu cannot be read: %s\n",
                        (unsigned long long)newids[i], mdb_strerror(grc));
            journal_row_clear(&row);
            continue;
        }
        /* as received now: the fresh on_* gets its TTL from the replay */
        envelope_t e = {.kind = ENVELOPE_REQUEST, .id = row.id, .received_ms = (uint64_t)now};
        snprintf(e.action, sizeof e.action, "%s", context_action_name((action_t)row.action));
        snprintf(e.sender, sizeof e.sender, "%s", row.sender);
        if (envelope_send(push, &e, row.body, row.body_len) == 0)
            sent++;
        printf("replayed %llu%s %s %s %s\n", (unsigned long long)row.id,
               from ? " (copied)" : "", e.action, row.transaction_id, row.message_id);
        journal_row_clear(&row);
    }
    mdb_txn_abort(t);
    zsock_destroy(&push);
    zsys_shutdown(); /* waits for the rows queued, within the linger */
    printf("%d rows replayed, %d handed to the dispatcher\n", sel.n, sent);
    free(sel.ids);
    free(newids);
    if (src != dst)
        store_destroy(&src);
    store_destroy(&dst);
    return 0;
}
