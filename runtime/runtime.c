/*
 * runtime.c - process skeleton. See runtime.h.
 */
#include "runtime.h"
#include "clock.h"
#include "migrate.h"
#include "sign.h"

#include "jarena.h"
#include "log.h"
#include "metrics.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <czmq.h>
#include <sodium.h>

/* how long a drain may take before the process leaves anyway */
#define DRAIN_LIMIT_MS 10000

/* ZeroMQ's I/O threads in each process: libzmq's default, set by hand so
 * that a ZSYS_IO_THREADS in the environment does not change it */
#define RUNTIME_IO_THREADS 1

/* s_zsys_init - CZMQ's process-wide context, set up before any socket.
 * CZMQ would install its own SIGINT/SIGTERM handler when it starts: the
 * loop turns those signals into events (a signalfd), so it is told not to
 * (zsys_handler_set(NULL), at the top of runtime_main and again here). A
 * socket closes with linger 0 unless its maker sets more (a PUSH whose
 * last messages must leave does); zsys_shutdown waits for those. CZMQ's own
 * lines (a socket left open at exit) go to stderr with the logs, not to
 * stdout. */
static void s_zsys_init(void)
{
    zsys_handler_set(NULL);
    zsys_set_io_threads(RUNTIME_IO_THREADS);
    zsys_set_linger(0);
    zsys_set_logstream(stderr);
}

#ifndef ONDC_VERSION
#define ONDC_VERSION "unknown"
#endif

static void s_usage(const runtime_role_t *role)
{
    fprintf(stderr, "usage: ondc-%s --config FILE [--check-config] %s\n       ondc-%s --version\n",
            role->name, role->usage ? role->usage : "", role->name);
}

/* s_check_start - what a start needs beyond the file: cfg_check_start,
 * then the signing key parses. 0, or -1 with the reason in WHY. */
static int s_check_start(const cfg_t *cfg, char *why, size_t whylen)
{
    if (cfg_check_start(cfg, why, whylen) < 0)
        return -1;
    sign_key_t key;
    ondc_err_t err = {0};
    int rc = sign_key_load_file(&key, cfg->signing_private_key_file, &err);
    sodium_memzero(&key, sizeof key);
    if (rc < 0) {
        snprintf(why, whylen, "signing_private_key_file: %s", err.message);
        return -1;
    }
    return 0;
}

static void s_drain_deadline(loop_t *loop, void *arg)
{
    runtime_t *rt = arg;
    log_warn("runtime.drain_timeout", NULL);
    loop_stop(loop);
    (void)rt;
}

static void s_on_term(loop_t *loop, int signo, void *arg)
{
    runtime_t *rt = arg;
    (void)signo;
    if (rt->draining) {
        loop_stop(loop);
        return;
    }
    rt->draining = 1;
    log_info("runtime.draining", NULL);
    loop_timer(loop, DRAIN_LIMIT_MS, 0, s_drain_deadline, rt);
    if (rt->role->drain)
        rt->role->drain(rt);
    else
        loop_stop(loop);
}

static void s_on_hup(loop_t *loop, int signo, void *arg)
{
    runtime_t *rt = arg;
    (void)loop;
    (void)signo;
    char why[512];
    if (cfg_reload(&rt->cfg, why, sizeof why) < 0) {
        log_error("config.reload_failed", "why", why, NULL);
        return;
    }
    log_set_level((log_level_t)log_level_parse(rt->cfg.log_level));
    if (rt->role->reload)
        rt->role->reload(rt);
}

static void s_heartbeat(loop_t *loop, void *arg)
{
    (void)loop;
    runtime_t *rt = arg;
    metrics_heartbeat(clock_wall_ms());
    /* every 10 s: give the heap a burst left free back to the system
     * (glibc keeps it otherwise, and a process would stay at its peak);
     * not a discovery worker's (s_keep_heap) */
    static unsigned beats;
    if (++beats % 10 == 0 && !rt->search_resident)
        malloc_trim(0);
}

/* s_keep_heap - a discovery worker keeps the heap its searches use: a
 * city-wide on_search is tens of MB of text, and memory handed back to
 * the system costs a page fault for every 4 kB the next search touches.
 * Blocks up to 32 MB come from the heap, not a mapping of their own, and
 * the heap's free top is kept up to 128 MB. */
static void s_keep_heap(runtime_t *rt)
{
    if (!rt->search_resident)
        return;
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

/* s_trim - mapped store pages read long ago leave this process's RSS.
 * Checked every STORE_TRIM_MS: under load a process reads tens of MB of
 * the map a second, and its peak RSS is what it read between checks. */
#define STORE_TRIM_MS 100
static void s_trim(loop_t *loop, void *arg)
{
    (void)loop;
    runtime_t *rt = arg;
    int mb = rt->cfg.lmdb_resident_mb;
    if (rt->search_resident && mb > 0 && rt->cfg.search_resident_mb > mb)
        mb = rt->cfg.search_resident_mb;
    store_trim(rt->store, mb);
}

static void s_cron(loop_t *loop, void *arg)
{
    (void)loop;
    runtime_t *rt = arg;
    rt->role->cron(rt);
}

/* s_set_nice - the role's scheduling priority from nice.{role}: the
 * ingress answers before the stages behind the journal take the CPU. */
static void s_set_nice(runtime_t *rt)
{
    const cfg_t *c = &rt->cfg;
    const char *n = rt->role->name;
    int want = strcmp(n, "ingress") == 0      ? c->nice_ingress
               : strcmp(n, "admin") == 0      ? c->nice_admin
               : strcmp(n, "dispatcher") == 0 ? c->nice_dispatcher
               : strcmp(n, "worker") == 0     ? c->nice_worker
               : strcmp(n, "callback") == 0   ? c->nice_callback
                                              : 0;
    errno = 0;
    int now = getpriority(PRIO_PROCESS, 0);
    if (errno != 0 || now == want)
        return;
    if (setpriority(PRIO_PROCESS, 0, want) < 0) {
        /* raising priority needs privilege; run at what we have */
        char w[16];
        snprintf(w, sizeof w, "%d", want);
        log_errno(LOG_WARN, "runtime.nice", "nice", w, NULL);
    }
}

void runtime_stop(runtime_t *rt)
{
    loop_stop(rt->loop);
}

void runtime_fatal(runtime_t *rt, const char *event, const char *detail)
{
    (void)rt;
    log_fatal(event, "detail", detail, NULL);
    _exit(2);
}

int runtime_main(const runtime_role_t *role, int argc, char **argv)
{
    static runtime_t rt_storage;
    runtime_t *rt = &rt_storage;
    rt->role = role;
    /* before anything can start CZMQ: no signal handler of its own */
    zsys_handler_set(NULL);
    /* jansson allocates from a per-message arena where a role opens one
     * (before the first jansson call: the config is JSON) */
    jarena_install();
    const char *config = NULL;
    int check_only = 0;
    log_open(role->name);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--check-config") == 0 || strcmp(argv[i], "-n") == 0) {
            check_only = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            s_usage(role);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("ondc-%s %s\n", role->name, ONDC_VERSION);
            return 0;
        } else if (!role->option || role->option(rt, argc, argv, &i) < 0) {
            s_usage(role);
            return 64;
        }
    }
    if (!config) {
        s_usage(role);
        return 64;
    }
    char why[512];
    if (cfg_load(&rt->cfg, config, why, sizeof why) < 0 ||
        s_check_start(&rt->cfg, why, sizeof why) < 0) {
        fprintf(stderr, "ondc-%s: config: %s\n", role->name, why);
        log_error("config.invalid", "why", why, NULL);
        return 78;
    }
    if (check_only) {
        printf("%s: config ok\n", config);
        return 0;
    }
    log_set_level((log_level_t)log_level_parse(rt->cfg.log_level));
    if (!rt->instance[0]) {
        /* supervisord names each copy ("order.0"); by hand, the pid keeps
         * copies apart */
        const char *n = getenv("ONDC_INSTANCE");
        if (n && *n)
            snprintf(rt->instance, sizeof rt->instance, "%s", n);
        else
            snprintf(rt->instance, sizeof rt->instance, "%s.%d", role->name, (int)getpid());
    }
    s_set_nice(rt);
    if (metrics_open(rt->cfg.run_dir, role->name, rt->instance) < 0)
        log_errno(LOG_WARN, "metrics.unavailable", "run_dir", rt->cfg.run_dir, NULL);
    metrics_heartbeat(clock_wall_ms());
    signal(SIGPIPE, SIG_IGN);
    int rc = 1;
    rt->loop = loop_new();
    if (!rt->loop)
        goto out;
    loop_signal(rt->loop, SIGTERM, s_on_term, rt);
    loop_signal(rt->loop, SIGINT, s_on_term, rt);
    loop_signal(rt->loop, SIGHUP, s_on_hup, rt);
    if (role->needs_store && !(rt->store = migrate_open(&rt->cfg)))
        goto out;
    /* after loop_signal: ZeroMQ's threads start with those signals blocked */
    s_zsys_init();
    if (role->init && role->init(rt) < 0) {
        log_error("runtime.init_failed", NULL);
        goto out;
    }
    s_keep_heap(rt);
    if (role->cron && role->cron_ms > 0)
        loop_timer(rt->loop, role->cron_ms, 1, s_cron, rt);
    loop_timer(rt->loop, 1000, 1, s_heartbeat, rt);
    if (rt->store)
        loop_timer(rt->loop, STORE_TRIM_MS, 1, s_trim, rt);
    log_info("runtime.started", "instance", rt->instance, "config", rt->cfg.config_path, NULL);
    loop_run(rt->loop);
    rc = 0;
    log_info("runtime.stopped", NULL);
out:
    if (role->fini)
        role->fini(rt); /* closes the role's sockets */
    /* what the sockets still hold leaves within their linger, then the
     * context ends */
    zsys_shutdown();
    store_destroy(&rt->store);
    loop_destroy(&rt->loop);
    metrics_close();
    return rc;
}
