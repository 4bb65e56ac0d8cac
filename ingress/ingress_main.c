/*
 * ingress_main.c - ondc-ingress: accepts buyer apps' HTTP requests, answers
 * ACK/NACK once each is durable, and hands it to the dispatcher. The
 * seller's API, /ready and /metrics are ondc-admin's (admin/).
 *
 * Config keys read: listen, max_body_bytes, max_connections,
 * connection_timeout_s, request_header_timeout_ms, request_body_timeout_ms
 * (ingress_conns.c), backlog_limit, endpoints.dispatcher, zmq_hwm,
 * verify_signatures, signature_skew_s, registry.*, signing_private_key_file,
 * encryption_private_key_file (onboarding, ingress_onboard.c).
 */
#include "ingress.h"

#include "log.h"
#include "schema.h"
#include "zendpoint.h"

#include <stdio.h>

/* the PUSH sockets' linger: what is queued at exit leaves within it */
#define PUSH_LINGER_MS 2000

static ingress_t s_in;

/* s_push - a PUSH socket connected to ENDPOINT, or NULL (logged) */
static zsock_t *s_push(const cfg_t *cfg, const char *endpoint)
{
    zsock_t *s = zsock_new(ZMQ_PUSH);
    if (!s)
        return NULL;
    zsock_set_sndhwm(s, cfg->zmq_hwm);
    zsock_set_rcvhwm(s, cfg->zmq_hwm);
    zsock_set_linger(s, PUSH_LINGER_MS);
    if (zendpoint_attach(s, endpoint, 0) < 0)
        zsock_destroy(&s);
    return s;
}

static void s_again(loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg; /* nothing: waking the loop runs the before-sleep hook again */
}

static void s_before_sleep(loop_t *loop, void *arg)
{
    (void)loop;
    ingress_t *in = arg;
    /* answers of committed batches go out before sleeping: resuming makes
     * MHD ask to run again (a bounded number of rounds; a busy node comes
     * back at once) */
    for (int round = 0; round < 8; round++) {
        ingress_lookup_flush(in);
        ingress_batch_collect(in);
        if (in->resumed) {
            in->resumed = 0;
            MHD_run(in->net);
        }
        ingress_http_service(in);
        if (!in->resumed)
            return;
    }
    loop_timer(in->rt->loop, 0, 0, s_again, in);
}

static int s_init(runtime_t *rt)
{
    ingress_t *in = &s_in;
    in->rt = rt;
    rt->state = in;
    if (!rt->cfg.verify_signatures)
        log_warn("ingress.signatures_off",
                 "why", "verify_signatures is false: requests are not authenticated", NULL);
    in->registry = registry_new(&rt->cfg, rt->store);
    if (!in->registry)
        return -1;
    ondc_err_t err;
    /* our key signs registry lookups and the site verification page; a
     * key file that is missing, unreadable or readable by others stops the
     * start (the message says which, never the key) */
    if (sign_key_load_file(&in->key, rt->cfg.signing_private_key_file, &err) < 0) {
        log_error("ingress.signing_key", "path", rt->cfg.signing_private_key_file, "why",
                  err.message, NULL);
        fprintf(stderr, "ondc-ingress: %s\n", err.message);
        return -1;
    }
    in->have_key = 1;
    schema_init(); /* the request schemas, compiled before the first request */
    if (ingress_rate_init(in) < 0 || ingress_lookup_init(in) < 0 || ingress_onboard_init(in) < 0)
        return -1;
    in->push = s_push(&rt->cfg, rt->cfg.ep_dispatcher);
    if (!in->push)
        return -1;
    if (ingress_batch_init(in) < 0 || ingress_verify_init(in) < 0)
        return -1;
    if (ingress_conns_init(in) < 0 || ingress_http_start(in) < 0)
        return -1;
    loop_before_sleep(rt->loop, s_before_sleep, in);
    return 0;
}

static void s_drain_check(loop_t *loop, void *arg)
{
    ingress_t *in = arg;
    (void)loop;
    /* the batch commits before each sleep; once empty, and no request waits
     * for a registry lookup (each ends within registry.timeout_ms), nothing
     * is held */
    if (!ingress_batch_busy(in) && !ingress_lookup_busy(in) && !ingress_verify_busy(in))
        runtime_stop(in->rt);
}

static void s_drain(runtime_t *rt)
{
    ingress_t *in = rt->state;
    /* stop accepting: new requests get 503 while the batch in hand commits */
    if (in->net)
        MHD_quiesce_daemon(in->net);
    loop_timer(rt->loop, 50, 1, s_drain_check, in);
}

static void s_reload(runtime_t *rt)
{
    ingress_t *in = rt->state;
    registry_reload(in->registry, &rt->cfg);
}

static void s_fini(runtime_t *rt)
{
    ingress_t *in = rt->state;
    if (!in)
        return;
    ingress_lookup_fini(in); /* resumes what still waits, before MHD stops */
    ingress_verify_fini(in); /* what is being verified joins the batch or is answered */
    ingress_batch_fini(in);  /* commits and answers what is in hand */
    ingress_http_stop(in);
    ingress_conns_fini(in);
    ingress_onboard_fini(in);
    zsock_destroy(&in->push);
    registry_destroy(&in->registry);
    ingress_rate_fini();
}

static const runtime_role_t s_role = {
    .name = "ingress",
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
