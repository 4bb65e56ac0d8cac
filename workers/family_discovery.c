/*
 * family_discovery.c - the discovery family: search -> on_search from the
 * catalog in LMDB (seller/search.h has the matching rules and the paging).
 *
 * A search that matches nothing gets no on_search: a seller app answers
 * only when it has something for the buyer (the gateway multicasts every
 * search to every seller app). A malformed intent gets an on_search with
 * a 30000 error naming the field.
 *
 * A search with a catalog_inc tag (seller/catalog_inc.h): a start_time /
 * end_time window is answered with what changed in it (nothing changed:
 * no on_search); mode start subscribes the buyer app's transaction to
 * pushed changes and mode stop ends that, both answered by no on_search
 * (the subscription is written with the journal's done mark). The pushes
 * themselves are discovery_inc_push's, run from the worker's cron.
 */
#include "worker.h"

#include "catalog_inc.h"
#include "log.h"

#include "clock.h"
#include "jdump.h"
#include "metrics.h"
#include "search.h"

#include <stdio.h>
#include <string.h>

/* s_inc_finish - the subscription change of a catalog_inc search, in the
 * transaction that marks it done */
static int s_inc_finish(worker_msg_t *m, MDB_txn *txn)
{
    json_t *a = m->finish_arg;
    const char *op = json_string_value(json_object_get(a, "op"));
    if (op && strcmp(op, "start") == 0) {
        log_info("catalog.inc_subscribed", "bap_id", context_str(m->ctx, "bap_id"),
                 "transaction_id", context_str(m->ctx, "transaction_id"), NULL);
        return catalog_inc_subscribe(m->store, txn, m->ctx,
                                     json_integer_value(json_object_get(a, "since_ms")),
                                     json_integer_value(json_object_get(a, "until_ms")));
    }
    int rc = catalog_inc_unsubscribe(m->store, txn, m->ctx);
    log_info(rc == 1 ? "catalog.inc_unsubscribed" : "catalog.inc_no_subscription", "bap_id",
             context_str(m->ctx, "bap_id"), "transaction_id",
             context_str(m->ctx, "transaction_id"), NULL);
    return rc < 0 ? -1 : 0;
}

/* s_inc - a catalog_inc search R */
static int s_inc(worker_msg_t *m, const catalog_inc_req_t *r)
{
    if (r->kind == CATALOG_INC_PULL) {
        /* the window's end is inclusive */
        m->message = catalog_inc_changes(m->store, m->txn, r->start_ms, r->end_ms + 1,
                                         context_str(m->ctx, "domain"));
        m->no_reply = m->message == NULL;
        return 0;
    }
    m->no_reply = 1;
    m->finish = s_inc_finish;
    m->finish_arg =
        json_pack("{s:s,s:I,s:I}", "op", r->kind == CATALOG_INC_START ? "start" : "stop", "since_ms",
                  (json_int_t)(r->start_ms > 0 ? r->start_ms : m->now_ms), "until_ms",
                  (json_int_t)r->end_ms);
    return 0;
}

static int s_search(worker_msg_t *m)
{
    catalog_inc_req_t inc;
    if (catalog_inc_parse(json_object_get(m->req, "message"), &inc, &m->err) < 0) {
        m->has_err = 1;
        m->err.http_status = 200;
        return 0;
    }
    if (inc.kind != CATALOG_INC_NONE)
        return s_inc(m, &inc);
    search_intent_t q;
    if (search_parse(m->ctx, json_object_get(m->req, "message"), &q, &m->err) < 0) {
        m->has_err = 1;
        m->err.http_status = 200;
        return 0;
    }
    json_t *pages;
    search_stats_t st;
    int64_t t0 = clock_wall_ms();
    /* the page limit holds for the whole callback: context and envelope too */
    size_t limit = (size_t)m->cfg->search_page_kb * 1024;
    size_t envelope = json_dumpb(m->ctx, NULL, 0, JSON_COMPACT) + 256;
    limit = limit > envelope * 2 ? limit - envelope : limit / 2;
    if (search_run_raw(m->store, m->txn, &q, limit, &pages, &st) < 0)
        return -1;
    metrics_observe("ondc_search_seconds", "", (double)(clock_wall_ms() - t0));
    *metrics_counter("ondc_search_items_read_total", "") += st.items_read;
    size_t bytes = 0, i;
    json_t *pg;
    json_array_foreach(pages, i, pg)
    {
        size_t n = 0;
        if (jdump_raw_text(pg, &n))
            bytes += n;
    }
    *metrics_counter("ondc_search_bytes_total", "") += bytes;
    if (json_array_size(pages) == 0) {
        m->no_reply = 1;
        json_decref(pages);
        return 0;
    }
    m->message = json_incref(json_array_get(pages, 0));
    for (size_t i = 1; i < json_array_size(pages); i++)
        worker_reply_more(m, NULL, json_incref(json_array_get(pages, i)));
    json_decref(pages);
    return 0;
}

const worker_family_t family_discovery = {
    .family = FAMILY_DISCOVERY,
    .read_only = 1,
    .handlers = {[ACT_SEARCH] = s_search},
};
