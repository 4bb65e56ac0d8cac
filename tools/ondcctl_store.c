/*
 * ondcctl_store.c - commands that read or change the store: catalog import,
 * journal list|show, outbox list|show|retry, dead list|retry, replay.
 *
 * LMDB allows readers and writers from other processes at any time, so all
 * of these are safe against a running fleet.
 */
#include "ondcctl.h"
#include "clock.h"
#include "migrate.h"

#include "catalog.h"
#include "context.h"
#include "hugeheap.h"
#include "jparse.h"
#include "envelope.h"
#include "journal.h"
#include "outbox.h"
#include "store.h"
#include "zendpoint.h"

#include <czmq.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static store_t *s_open(ctl_t *ctl)
{
    store_t *s = migrate_open(ctl_need_config(ctl));
    if (!s) {
        fprintf(stderr, "ondcctl: cannot open the store under %s\n", ctl->cfg.data_dir);
        exit(1);
    }
    return s;
}

/* s_load - the JSON of FILE, read whole and parsed in one pass (jparse.h);
 * NULL with ERR as json_load_file fills it */
static json_t *s_load(const char *file, json_error_t *err)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return json_load_file(file, JSON_REJECT_DUPLICATES, err); /* its error */
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : (size_t)1 << 20;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return json_load_file(file, JSON_REJECT_DUPLICATES, err);
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    int bad = ferror(f);
    fclose(f);
    json_t *root = bad ? json_load_file(file, JSON_REJECT_DUPLICATES, err)
                       : jparse(buf, len, JSON_REJECT_DUPLICATES, err);
    free(buf);
    return root;
}

int ctl_catalog(ctl_t *ctl, int argc, char **argv)
{
    static const char *const opts[] = {"upsert", NULL};
    int arc = ctl_args("catalog", argc, argv, opts, 2, 2);
    if (arc)
        return arc;
    const char *sub = ctl_positional(argc, argv, 0), *file = ctl_positional(argc, argv, 1);
    if (!sub || strcmp(sub, "import") != 0 || !file) {
        fprintf(stderr, "usage: ondcctl --config C catalog import FILE [--upsert]\n");
        return 64;
    }
    /* a big catalog's tree is about ten times its text, held until the
     * commit: on pages faulted in 2 MB at a time (hugeheap.h) */
    struct stat st;
    if (stat(file, &st) == 0 && st.st_size > (off_t)(16 << 20))
        hugeheap_reserve((size_t)st.st_size * 12);
    json_error_t jerr;
    json_t *root = s_load(file, &jerr);
    if (!root) {
        fprintf(stderr, "ondcctl: %s:%d:%d: %s\n", file, jerr.line, jerr.column, jerr.text);
        return 1;
    }
    store_t *s = s_open(ctl);
    MDB_txn *txn = store_begin(s, 0);
    ondc_err_t err;
    int rc = 1;
    if (txn && catalog_import(s, txn, root, ctl_flag(argc, argv, "upsert") ? CATALOG_UPSERT : CATALOG_REPLACE, &err) == 0) {
        if (store_commit(txn) == 0) {
            size_t n = 0;
            json_t *p;
            size_t i;
            json_array_foreach(json_object_get(root, "bpp/providers"), i, p) n += json_array_size(json_object_get(p, "items"));
            printf("imported %zu providers, %zu items\n", json_array_size(json_object_get(root, "bpp/providers")), n);
            rc = 0;
        }
    } else {
        if (txn)
            mdb_txn_abort(txn);
        fprintf(stderr, "ondcctl: catalog refused: %s\n", err.message);
    }
    json_decref(root);
    store_destroy(&s);
    return rc;
}

/* ---- journal ---- */

typedef struct {
    const char *txn_id, *msg_id, *action;
    int state; /* -1: any */
    int64_t since, until;
    store_t *s;
    MDB_txn *txn;
    int n;
    int unchecked; /* damaged rows left out: a filter they cannot be checked against */
} s_filter_t;

static const char *s_state_name(int st)
{
    return st == JOURNAL_PENDING ? "pending" : st == JOURNAL_DONE ? "done" : st == JOURNAL_DEAD ? "dead" : "?";
}

static int s_print_row(const journal_row_t *row, void *arg)
{
    s_filter_t *f = arg;
    if ((f->txn_id && strcmp(row->transaction_id, f->txn_id) != 0) ||
        (f->msg_id && strcmp(row->message_id, f->msg_id) != 0) ||
        (f->action && strcmp(context_action_name((action_t)row->action), f->action) != 0) ||
        (f->since && row->received_ms < f->since) || (f->until && row->received_ms > f->until))
        return 0;
    int state = journal_state(f->s, f->txn, row->id);
    if (f->state >= 0 && state != f->state)
        return 0;
    char ts[40];
    context_format_time(row->received_ms, ts, sizeof ts);
    printf("%llu\t%s\t%s\t%s\t%s\t%s\t%s\n", (unsigned long long)row->id, ts,
           context_action_name((action_t)row->action), s_state_name(state), row->sender,
           row->transaction_id, row->message_id);
    f->n++;
    return 0;
}

/* s_print_damaged - a row that cannot be read (its header or packed body
 * damaged), as one line in its place: its id, and its state and attempts
 * from its pending mark, which the damage leaves alone. --state is checked;
 * --transaction holds (the transaction's index named it); --message,
 * --action, --since and --until cannot be, so with any of them it is left
 * out and counted. */
static int s_print_damaged(uint64_t id, void *arg)
{
    s_filter_t *f = arg;
    int state = journal_state(f->s, f->txn, id);
    if (f->state >= 0 && state != f->state)
        return 0;
    if (f->msg_id || f->action || f->since || f->until) {
        f->unchecked++;
        return 0;
    }
    journal_pending_t p = {0};
    journal_pending_get(f->s, f->txn, id, &p);
    printf("%llu\t-\t-\t%s\tdamaged: cannot be read (MDB_CORRUPTED), attempts %u\t%s\t-\n",
           (unsigned long long)id, s_state_name(state), p.attempts, f->txn_id ? f->txn_id : "-");
    f->n++;
    return 0;
}

/* s_time_opt - --NAME as epoch milliseconds or an RFC 3339 UTC time
 * ("2024-05-01T10:00:00Z"); 0 if absent, -1 (after a message) if neither. */
static int64_t s_time_opt(int argc, char **argv, const char *name)
{
    const char *v = ctl_opt(argc, argv, name);
    if (!v)
        return 0;
    char *end;
    long long ms = strtoll(v, &end, 10);
    if (*v && !*end && ms > 0)
        return ms;
    int64_t t = context_parse_time(v);
    if (t > 0)
        return t;
    fprintf(stderr, "ondcctl: --%s %s: give epoch milliseconds or 2024-05-01T10:00:00Z\n", name,
            v);
    return -1;
}

int ctl_journal(ctl_t *ctl, int argc, char **argv)
{
    const char *sub = ctl_positional(argc, argv, 0);
    if (!sub || (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0)) {
        fprintf(stderr, "usage: ondcctl --config C journal list [--transaction T] [--message M] "
                        "[--action A] [--since T] [--until T] [--state S] | journal show ID\n");
        return 64;
    }
    static const char *const list_opts[] = {"transaction=", "message=", "action=", "since=",
                                            "until=",       "state=",   NULL};
    static const char *const none[] = {NULL};
    int show = strcmp(sub, "show") == 0;
    int arc = show ? ctl_args("journal show", argc, argv, none, 2, 2)
                   : ctl_args("journal list", argc, argv, list_opts, 1, 1);
    if (arc)
        return arc;
    uint64_t show_id = 0;
    if (show && ctl_id("journal show", ctl_positional(argc, argv, 1), &show_id) < 0)
        return 64;
    int64_t since = s_time_opt(argc, argv, "since"), until = s_time_opt(argc, argv, "until");
    const char *want = ctl_opt(argc, argv, "state");
    int state = -1;
    for (int i = JOURNAL_PENDING; want && i <= JOURNAL_DEAD; i++)
        if (strcmp(want, s_state_name(i)) == 0)
            state = i;
    if (since < 0 || until < 0 || (want && state < 0)) {
        if (want && state < 0)
            fprintf(stderr, "ondcctl: --state is pending, done or dead\n");
        return 64;
    }
    store_t *s = s_open(ctl);
    MDB_txn *txn = store_begin(s, 1);
    int rc = 0;
    if (strcmp(sub, "list") == 0) {
        s_filter_t f = {.txn_id = ctl_opt(argc, argv, "transaction"),
                        .msg_id = ctl_opt(argc, argv, "message"),
                        .action = ctl_opt(argc, argv, "action"),
                        .state = state,
                        .since = since,
                        .until = until,
                        .s = s,
                        .txn = txn};
        printf("id\treceived\taction\tstate\tsender\ttransaction_id\tmessage_id\n");
        if (f.txn_id)
            journal_each_txn_all(s, txn, f.txn_id, s_print_row, s_print_damaged, &f);
        else
            journal_each_all(s, txn, 0, 0, s_print_row, s_print_damaged, &f);
        if (f.unchecked)
            fprintf(stderr,
                    "ondcctl: %d damaged row%s not listed: --message, --action, --since and "
                    "--until cannot be checked on a row that cannot be read (list without "
                    "them to see %s)\n",
                    f.unchecked, f.unchecked == 1 ? "" : "s", f.unchecked == 1 ? "it" : "them");
    } else {
        journal_row_t row;
        int grc = journal_get(s, txn, show_id, &row);
        if (grc != 0) {
            if (grc == MDB_NOTFOUND) {
                fprintf(stderr, "ondcctl: no journal row %llu\n", (unsigned long long)show_id);
            } else {
                /* its pending mark is apart from the damaged bytes: the
                 * state still says whether the dispatcher gave it up */
                journal_pending_t p = {0};
                journal_pending_get(s, txn, show_id, &p);
                fprintf(stderr,
                        "ondcctl: journal row %llu cannot be read: %s (state %s, attempts %u)\n",
                        (unsigned long long)show_id, mdb_strerror(grc),
                        s_state_name(journal_state(s, txn, show_id)), p.attempts);
            }
            rc = 1;
        } else {
            journal_pending_t p = {0};
            journal_pending_get(s, txn, row.id, &p);
            char ts[40];
            context_format_time(row.received_ms, ts, sizeof ts);
            printf("id: %llu\nreceived: %s\naction: %s\nstate: %s\nattempts: %u\nsender: %s\n"
                   "transaction_id: %s\nmessage_id: %s\nbody: %.*s\n",
                   (unsigned long long)row.id, ts, context_action_name((action_t)row.action),
                   s_state_name(journal_state(s, txn, row.id)), p.attempts, row.sender,
                   row.transaction_id, row.message_id, (int)row.body_len, row.body);
        }
        journal_row_clear(&row);
    }
    mdb_txn_abort(txn);
    store_destroy(&s);
    return rc;
}

/* ---- outbox and dead letters ---- */

/* s_notify_callback - tell the callback process that outbox row ID is due
 * (as a worker does after its commit), so a retry goes out now rather than
 * at its next scan (5 s). 0 if handed to ZeroMQ; a notice to a callback
 * process that is down is lost with the socket, harmlessly: it finds the
 * row pending when it starts. */
static int s_notify_callback(const cfg_t *cfg, uint64_t id)
{
    zsys_handler_set(NULL);     /* CZMQ leaves SIGINT alone: Ctrl-C stops us */
    zsys_set_logstream(stderr); /* its lines, if any, stay out of our output */
    zsock_t *push = zsock_new(ZMQ_PUSH);
    if (!push)
        return -1;
    zsock_set_sndhwm(push, 100);
    zsock_set_rcvhwm(push, 100);
    zsock_set_linger(push, 1000); /* the notice leaves before we exit */
    envelope_t e = {.kind = ENVELOPE_OUTBOX, .id = id};
    int rc =
        zendpoint_attach(push, cfg->ep_callback, 0) == 0 ? envelope_send(push, &e, NULL, 0) : -1;
    zsock_destroy(&push);
    zsys_shutdown(); /* waits for the notice, within the linger */
    return rc;
}

typedef struct {
    store_t *s;
    MDB_txn *txn;
} s_ob_t;

static int s_print_state(const outbox_state_t *st, void *arg)
{
    s_ob_t *o = arg;
    outbox_row_t row = {0};
    if (outbox_get(o->s, o->txn, st->id, &row) != 0)
        return 0;
    char ts[40];
    context_format_time(row.created_ms, ts, sizeof ts);
    printf("%llu\t%s\t%s\t%s\t%u\t%d\t%s\t%s\t%s\n", (unsigned long long)st->id, ts, row.action,
           outbox_status_name(st->status), st->attempts, st->http_status, row.transaction_id,
           row.message_id, row.url);
    outbox_row_clear(&row);
    return 0;
}

int ctl_outbox(ctl_t *ctl, int argc, char **argv)
{
    int dead = strcmp(argv[0], "dead") == 0;
    const char *sub = ctl_positional(argc - 1, argv + 1, 0);
    int list = sub && strcmp(sub, "list") == 0;
    if (!sub || (!list && strcmp(sub, "show") != 0 && strcmp(sub, "retry") != 0)) {
        fprintf(stderr, "usage: ondcctl --config C %s\n",
                dead ? "dead list | dead retry ID"
                     : "outbox list [--status pending|delivered|nacked|dead] | outbox show ID | "
                       "outbox retry ID");
        return 64;
    }
    static const char *const list_opts[] = {"status=", NULL};
    static const char *const none[] = {NULL};
    char cmd[32];
    snprintf(cmd, sizeof cmd, "%s %s", argv[0], sub);
    int arc = ctl_args(cmd, argc - 1, argv + 1, list && !dead ? list_opts : none, list ? 1 : 2,
                       list ? 1 : 2);
    if (arc)
        return arc;
    uint64_t id = 0;
    if (!list && ctl_id(cmd, ctl_positional(argc - 1, argv + 1, 1), &id) < 0)
        return 64;
    int status = dead ? OUTBOX_DEAD : -1;
    const char *want = list ? ctl_opt(argc, argv, "status") : NULL;
    for (int i = 0; want && i <= OUTBOX_DEAD; i++)
        if (strcmp(want, outbox_status_name(i)) == 0)
            status = i;
    if (want && status < 0) {
        fprintf(stderr, "ondcctl %s: --status %s: give pending, delivered, nacked or dead\n", cmd,
                want);
        return 64;
    }
    store_t *s = s_open(ctl);
    int rc = 0;
    if (list) {
        MDB_txn *txn = store_begin(s, 1);
        s_ob_t o = {s, txn};
        printf("id\tcreated\taction\tstatus\tattempts\thttp\ttransaction_id\tmessage_id\turl\n");
        outbox_state_each(s, txn, status, s_print_state, &o);
        mdb_txn_abort(txn);
    } else if (strcmp(sub, "show") == 0 || strcmp(sub, "retry") == 0) {
        int retry = strcmp(sub, "retry") == 0;
        MDB_txn *txn = store_begin(s, retry ? 0 : 1);
        outbox_row_t row = {0};
        outbox_state_t st;
        if (!txn || outbox_get(s, txn, id, &row) != 0 || outbox_state_get(s, txn, id, &st) != 0) {
            fprintf(stderr, "ondcctl: no outbox row %llu\n", (unsigned long long)id);
            rc = 1;
            if (txn)
                mdb_txn_abort(txn);
        } else if (retry) {
            if (dead && st.status != OUTBOX_DEAD) {
                fprintf(stderr, "ondcctl: row %llu is not a dead letter\n", (unsigned long long)id);
                mdb_txn_abort(txn);
                rc = 1;
            } else {
                /* a fresh deadline from now, as long as the first one was */
                int64_t now = clock_wall_ms();
                st.deadline_ms = now + (row.deadline_ms - row.created_ms);
                st.status = OUTBOX_PENDING;
                st.next_try_ms = now;
                snprintf(st.answer, sizeof st.answer, "retry requested");
                rc = outbox_state_put(s, txn, &st) || store_commit(txn) ? 1 : 0;
                if (!rc) {
                    s_notify_callback(&ctl->cfg, id);
                    printf("row %llu is pending again; the callback process sends it now "
                           "(or when it next starts)\n",
                           (unsigned long long)id);
                }
            }
        } else {
            printf("id: %llu\naction: %s\nstatus: %s\nattempts: %u\nhttp_status: %d\nanswer: %s\n"
                   "journal_id: %llu\ntransaction_id: %s\nmessage_id: %s\nurl: %s\nbody: %.*s\n",
                   (unsigned long long)id, row.action, outbox_status_name(st.status), st.attempts,
                   st.http_status, st.answer, (unsigned long long)row.journal_id, row.transaction_id,
                   row.message_id, row.url, (int)row.body_len, row.body);
            mdb_txn_abort(txn);
        }
        outbox_row_clear(&row);
    } else {
        fprintf(stderr, "ondcctl: unknown %s command %s\n", argv[0], sub);
        rc = 64;
    }
    store_destroy(&s);
    return rc;
}
