/*
 * admin_status.c - what operators and monitors ask the admin listener:
 *   GET /health   this process answers (the network listener has its own)
 *   GET /metrics  the whole fleet's metrics: every process's metrics file
 *                 under run_dir (util/metrics.h), this one's included, plus
 *                 gauges read from the store now
 *   GET /ready    200 when every stage has a live process (ingress copies,
 *                 dispatcher, callback, each worker family), the store takes
 *                 a write, the signing key loads and the registry is usable;
 *                 503 otherwise, with every check named; either way it
 *                 says whose it is (subscriber_id, this process's pid), so
 *                 scripts/fleet knows the answer came from its own fleet
 * None of them needs the bearer token.
 *
 * Config keys read: subscriber_id, run_dir, lmdb_map_size_mb, ingress_copies, workers.*,
 * signing_private_key_file, registry.url.
 */
#include "admin.h"

#include "clock.h"
#include "igm.h"

#include "journal.h"
#include "metrics.h"
#include "outbox.h"
#include "sign.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* a stage is alive while its heartbeat (every second) is this recent */
#define HEARTBEAT_MAX_AGE_MS 4000

int admin_health(admin_t *a, admin_req_t *q)
{
    (void)a;
    return admin_reply(q, 200, json_pack("{s:s}", "status", "ok"));
}

static int s_count_pending(const outbox_state_t *st, void *arg)
{
    (void)st;
    (*(uint64_t *)arg)++;
    return 0;
}

int admin_metrics(admin_t *a, admin_req_t *q)
{
    store_t *st = a->rt->store;
    uint64_t backlog = 0, dead = 0, pending = 0, odead = 0, used = store_used_bytes(st);
    igm_stats_t is;
    memset(&is, 0, sizeof is);
    MDB_txn *txn = store_begin(st, 1);
    if (txn) {
        backlog = journal_backlog(st, txn);
        dead = journal_dead_count(st, txn);
        outbox_state_each(st, txn, OUTBOX_PENDING, s_count_pending, &pending);
        outbox_state_each(st, txn, OUTBOX_DEAD, s_count_pending, &odead);
        igm_stats(st, txn, clock_wall_ms(), &is);
        mdb_txn_abort(txn);
    }
    char extra[2048];
    snprintf(extra, sizeof extra,
             "# HELP ondc_journal_backlog journal rows not done yet (dead ones not counted)\n"
             "# TYPE ondc_journal_backlog gauge\nondc_journal_backlog %llu\n"
             "# HELP ondc_journal_dead journal rows marked dead, kept until replayed\n"
             "# TYPE ondc_journal_dead gauge\nondc_journal_dead %llu\n"
             "# HELP ondc_outbox_pending on_* messages not yet delivered\n"
             "# TYPE ondc_outbox_pending gauge\nondc_outbox_pending %llu\n"
             "# HELP ondc_outbox_dead messages not delivered before their deadline (dead letters)\n"
             "# TYPE ondc_outbox_dead gauge\nondc_outbox_dead %llu\n"
             "# HELP ondc_lmdb_used_bytes pages in use in the LMDB environment\n"
             "# TYPE ondc_lmdb_used_bytes gauge\nondc_lmdb_used_bytes %llu\n"
             "# HELP ondc_lmdb_map_bytes the LMDB map size\n"
             "# TYPE ondc_lmdb_map_bytes gauge\nondc_lmdb_map_bytes %llu\n",
             (unsigned long long)backlog, (unsigned long long)dead, (unsigned long long)pending,
             (unsigned long long)odead, (unsigned long long)used,
             (unsigned long long)a->rt->cfg.lmdb_map_size_mb * 1024 * 1024);
    /* complaints (IGM) by state, and those past their expected response or
     * resolution time: the ones the seller must look at now */
    size_t n = strlen(extra);
    n += (size_t)snprintf(extra + n, sizeof extra - n,
                          "# HELP ondc_issues complaints (IGM issues) by state\n"
                          "# TYPE ondc_issues gauge\n");
    for (int i = 0; igm_states()[i] && n < sizeof extra; i++)
        n += (size_t)snprintf(extra + n, sizeof extra - n, "ondc_issues{state=\"%s\"} %llu\n",
                              igm_states()[i], (unsigned long long)is.by_state[i]);
    if (n < sizeof extra)
        snprintf(extra + n, sizeof extra - n,
                 "# HELP ondc_issues_overdue open complaints past their expected response "
                 "(no action of the seller's yet) or resolution time\n"
                 "# TYPE ondc_issues_overdue gauge\n"
                 "ondc_issues_overdue{kind=\"response\"} %llu\n"
                 "ondc_issues_overdue{kind=\"resolution\"} %llu\n",
                 (unsigned long long)is.overdue_response, (unsigned long long)is.overdue_resolution);
    char *text = metrics_render(a->rt->cfg.run_dir, extra);
    if (!text)
        return -1;
    free(q->answer);
    q->answer = text;
    q->status = 200;
    q->ctype = "text/plain; version=0.0.4";
    return 0;
}

/* s_alive - processes of STAGE whose instance is PREFIX or PREFIX.N, with
 * a live pid and a fresh heartbeat, among the N published in PROCS. */
static int s_alive(const metrics_proc_t *procs, int n, const char *stage, const char *prefix,
                   int64_t now)
{
    int alive = 0;
    size_t pl = strlen(prefix);
    for (int j = 0; j < n; j++)
        if (strcmp(procs[j].stage, stage) == 0 && strncmp(procs[j].instance, prefix, pl) == 0 &&
            (procs[j].instance[pl] == '.' || procs[j].instance[pl] == '\0') && procs[j].pid > 0 &&
            kill(procs[j].pid, 0) == 0 && now - procs[j].heartbeat_ms < HEARTBEAT_MAX_AGE_MS)
            alive++;
    return alive;
}

/* s_key_loads - whether the signing key file loads (what the ingress and
 * the callback need); the key is wiped at once. */
static int s_key_loads(const cfg_t *cfg)
{
    sign_key_t key;
    ondc_err_t err;
    int ok = sign_key_load_file(&key, cfg->signing_private_key_file, &err) == 0;
    sodium_memzero(&key, sizeof key);
    return ok;
}

int admin_ready(admin_t *a, admin_req_t *q)
{
    const cfg_t *cfg = &a->rt->cfg;
    json_t *checks = json_object();
    int ok = 1;
    static metrics_proc_t procs[256];
    int n = metrics_procs(cfg->run_dir, procs, 256);
    int64_t now = clock_wall_ms();
    const struct {
        const char *stage;
        const char *prefix;
        const char *check; /* the check's name in the answer */
        int want;
    } stages[] = {
        {"ingress", "ingress", "ingress", cfg->ingress_copies},
        {"dispatcher", "dispatcher", "dispatcher", 1},
        {"callback", "callback", "callback", 1},
        {"worker", "discovery", "worker.discovery", cfg->workers[FAMILY_DISCOVERY]},
        {"worker", "order", "worker.order", cfg->workers[FAMILY_ORDER]},
        {"worker", "fulfillment", "worker.fulfillment", cfg->workers[FAMILY_FULFILLMENT]},
        {"worker", "post-fulfillment", "worker.post-fulfillment", cfg->workers[FAMILY_POST]},
    };
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
        int alive = s_alive(procs, n, stages[i].stage, stages[i].prefix, now);
        json_object_set_new(checks, stages[i].check,
                            json_pack("{s:b,s:i,s:i}", "ok", alive >= 1, "alive", alive,
                                      "configured", stages[i].want));
        ok &= alive >= 1;
    }
    /* store writable: a real write transaction, at most once in
     * ADMIN_READY_WRITE_MS (/ready needs no token: polling it must not
     * turn into a stream of commits) */
    int writable = a->ready_writable;
    if (!a->ready_write_ms || now - a->ready_write_ms >= ADMIN_READY_WRITE_MS || now < a->ready_write_ms) {
        writable = 0;
        MDB_txn *txn = admin_begin(a);
        if (txn) {
            MDB_val k = {5, "ready"}, v = {8, &now};
            writable = mdb_put(txn, a->rt->store->dbi[DB_META], &k, &v, 0) == 0;
            if (!writable)
                mdb_txn_abort(txn);
            else
                writable = admin_commit(a, txn) == 0;
        }
        a->ready_write_ms = now;
        a->ready_writable = writable;
    }
    json_object_set_new(checks, "store", json_pack("{s:b}", "ok", writable));
    int key = s_key_loads(cfg);
    json_object_set_new(checks, "signing_key", json_pack("{s:b}", "ok", key));
    int records = a->registry ? registry_count(a->registry) : 0;
    int reg = records > 0 || cfg->registry_url[0];
    json_object_set_new(checks, "registry", json_pack("{s:b,s:i}", "ok", reg, "records", records));
    ok &= writable && key && reg;
    return admin_reply(q, ok ? 200 : 503,
                       json_pack("{s:b,s:s,s:i,s:o}", "ready", ok, "subscriber_id",
                                 cfg->subscriber_id, "pid", (int)getpid(), "checks", checks));
}
