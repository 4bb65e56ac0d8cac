/*
 * admin_main.c - ondc-admin: the seller's API and the fleet's /health,
 * /ready and /metrics on admin_listen, in a process apart from the
 * ingress (see admin.h for why).
 *
 * Start: the bearer token (refusing a file others can read), the orders'
 * updated_at index built if the store has none (order_index_upgrade),
 * the registry file (for /ready), a PUSH to ondc-callback for the order
 * desk's on_*, then the listener. SIGTERM: stop accepting, let the answers already
 * queued go out (at most DRAIN_MAX_MS), stop. SIGHUP: the registry file
 * is read again.
 *
 * Config keys read: admin_listen, admin_token_file, endpoints.callback,
 * zmq_hwm, registry.file (and the keys of admin_route.c, admin_status.c,
 * admin_http.c); nice.admin, by the runtime.
 */
#include "admin.h"

#include "log.h"
#include "clock.h"
#include "order.h"
#include "zendpoint.h"

#include <sodium.h>
#include <zmq.h>

/* the longest a drain waits for open connections to finish */
#define DRAIN_MAX_MS 1000

static admin_t s_admin;

static int s_init(runtime_t *rt)
{
    admin_t *a = &s_admin;
    a->rt = rt;
    rt->state = a;
    if (admin_token_load(a) < 0)
        return -1;
    /* the orders list walks the updated_at index: a store written before
     * it gets it once, before the first request */
    MDB_txn *txn = admin_begin(a);
    if (!txn || order_index_upgrade(rt->store, txn) < 0) {
        if (txn)
            mdb_txn_abort(txn);
        log_error("admin.index_failed", "index", "oupdated", NULL);
        return -1;
    }
    if (admin_commit(a, txn) != 0)
        return -1;
    a->registry = registry_new(&rt->cfg, NULL);
    if (!a->registry)
        return -1;
    a->notify = zsock_new(ZMQ_PUSH);
    if (!a->notify)
        return -1;
    zsock_set_sndhwm(a->notify, rt->cfg.zmq_hwm);
    zsock_set_linger(a->notify, 2000); /* notices queued at exit still leave */
    if (zendpoint_attach(a->notify, rt->cfg.ep_callback, 0) < 0)
        return -1;
    if (admin_files_init(a) < 0 || admin_console_load_users(a) < 0)
        return -1;
    admin_console_start(a);
    return admin_http_start(a);
}

static void s_drain_check(loop_t *loop, void *arg)
{
    (void)loop;
    admin_t *a = arg;
    /* each request is answered in the loop turn that completes it: what
     * is left are answers being sent and idle keep-alive connections */
    if (admin_http_busy(a) == 0 || clock_mono_ms() - a->drain_started_ms >= DRAIN_MAX_MS)
        runtime_stop(a->rt);
}

static void s_drain(runtime_t *rt)
{
    admin_t *a = rt->state;
    admin_http_quiesce(a);
    a->drain_started_ms = clock_mono_ms();
    loop_timer(rt->loop, 50, 1, s_drain_check, a);
}

static void s_reload(runtime_t *rt)
{
    admin_t *a = rt->state;
    registry_reload(a->registry, &rt->cfg);
    admin_console_load_users(a); /* a bad file keeps no user: logged */
}

static void s_fini(runtime_t *rt)
{
    admin_t *a = rt->state;
    if (!a)
        return;
    admin_http_stop(a);
    zsock_destroy(&a->notify);
    registry_destroy(&a->registry);
    sodium_memzero(a->token, sizeof a->token);
}

static const runtime_role_t s_role = {
    .name = "admin",
    .needs_store = 1,
    .init = s_init,
    .drain = s_drain,
    .reload = s_reload,
    .fini = s_fini,
};

int main(int argc, char **argv)
{
    return runtime_main(&s_role, argc, argv);
}
