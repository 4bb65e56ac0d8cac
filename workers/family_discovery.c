/*
 * family_discovery.c - the discovery family: search -> on_search from the
 * catalog in LMDB (seller/search.h has the matching rules and the paging).
 *
 * A search that matches nothing gets no on_search: a seller app answers
 * only when it has something for the buyer (the gateway multicasts every
 * search to every seller app). A malformed intent gets an on_search with
 * a 30000 error naming the field.
 */
#include "worker.h"

#include "clock.h"
#include "metrics.h"
#include "search.h"

#include <stdio.h>

static int s_search(worker_msg_t *m)
{
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
    if (search_run(m->store, m->txn, &q, limit, &pages, &st) < 0)
        return -1;
    metrics_observe("ondc_search_seconds", "", (double)(clock_wall_ms() - t0));
    *metrics_counter("ondc_search_items_read_total", "") += st.items_read;
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
