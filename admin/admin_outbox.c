/*
 * admin_outbox.c - what the node sends and could not, for the seller:
 *   GET  /seller/v1/outbox[?status=dead|pending|nacked|delivered&action=&limit=]
 *        the newest rows of that status (dead letters by default): on_* to
 *        buyer apps and the seller's webhook events (action seller_webhook)
 *   POST /seller/v1/outbox/{id}/retry  a dead letter pending again, with a
 *        fresh deadline as long as its first, and ondc-callback told
 * The same as `ondcctl dead list | dead retry ID`, for the console.
 */
#include "admin.h"

#include "clock.h"
#include "context.h"
#include "log.h"
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    store_t *st;
    MDB_txn *txn;
    const char *action;
    json_t *rows; /* every match, oldest first */
} s_list_t;

static int s_row_cb(const outbox_state_t *st, void *arg)
{
    s_list_t *l = arg;
    outbox_row_t row;
    memset(&row, 0, sizeof row);
    if (outbox_get(l->st, l->txn, st->id, &row) != 0)
        return 0;
    if (!l->action || strcmp(row.action, l->action) == 0) {
        char created[40], last[40];
        context_format_time(row.created_ms, created, sizeof created);
        context_format_time(st->last_try_ms, last, sizeof last);
        json_array_append_new(
            l->rows,
            json_pack("{s:I,s:s,s:s,s:i,s:i,s:s,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)st->id,
                      "action", row.action, "status", outbox_status_name(st->status), "attempts",
                      (int)st->attempts, "http_status", st->http_status, "answer", st->answer,
                      "created_at", created, "last_try_at", st->last_try_ms ? last : "",
                      "transaction_id", row.transaction_id, "message_id", row.message_id, "url",
                      row.url ? row.url : ""));
    }
    outbox_row_clear(&row);
    return json_array_size(l->rows) >= 100000;
}

int admin_get_outbox(admin_t *a, admin_req_t *q, const char *rest)
{
    static const char *const args[] = {"status", "action", "limit", NULL};
    int rc = -1;
    if (*rest && strcmp(rest, "/") != 0)
        return admin_error(q, 404, NULL, "no such resource");
    if (admin_args_only(q, args, &rc))
        return rc;
    const char *sname = admin_arg(q, "status");
    int status = OUTBOX_DEAD;
    if (sname) {
        status = -1;
        for (int s = OUTBOX_PENDING; s <= OUTBOX_DEAD; s++)
            if (strcmp(sname, outbox_status_name(s)) == 0)
                status = s;
        if (status < 0)
            return admin_error(q, 400, "status", "status must be pending, delivered, nacked or dead");
    }
    const char *l = admin_arg(q, "limit");
    long limit = 100;
    if (l) {
        char *end;
        limit = strtol(l, &end, 10);
        if (!*l || *end || limit < 1 || limit > 1000)
            return admin_error(q, 400, "limit", "limit must be a whole number from 1 to 1000");
    }
    MDB_txn *txn = store_begin(a->rt->store, 1);
    if (!txn)
        return admin_error(q, 503, NULL, "the store is not available");
    s_list_t x = {a->rt->store, txn, admin_arg(q, "action"), json_array()};
    outbox_state_each(a->rt->store, txn, status, s_row_cb, &x);
    mdb_txn_abort(txn);
    size_t n = json_array_size(x.rows);
    json_t *page = json_array();
    for (size_t i = n > (size_t)limit ? n - (size_t)limit : 0; i < n; i++)
        json_array_append(page, json_array_get(x.rows, i));
    json_decref(x.rows);
    return admin_reply(q, 200, json_pack("{s:o,s:I}", "rows", page, "total", (json_int_t)n));
}

int admin_post_outbox(admin_t *a, admin_req_t *q, const char *rest)
{
    char *end;
    unsigned long long id = strtoull(rest, &end, 10);
    if (!*rest || end == rest || strcmp(end, "/retry") != 0)
        return admin_error(q, 404, NULL, "POST /seller/v1/outbox/{id}/retry");
    store_t *s = a->rt->store;
    MDB_txn *txn = admin_begin(a);
    if (!txn)
        return admin_error(q, 503, NULL, "the store is not available");
    outbox_row_t row;
    memset(&row, 0, sizeof row);
    outbox_state_t st;
    if (outbox_get(s, txn, id, &row) != 0 || outbox_state_get(s, txn, id, &st) != 0) {
        mdb_txn_abort(txn);
        outbox_row_clear(&row);
        return admin_error(q, 404, NULL, "no outbox row %llu", id);
    }
    if (st.status != OUTBOX_DEAD) {
        mdb_txn_abort(txn);
        outbox_row_clear(&row);
        return admin_error(q, 409, NULL, "row %llu is %s, not a dead letter", id,
                           outbox_status_name(st.status));
    }
    int64_t now = clock_wall_ms();
    st.deadline_ms = now + (row.deadline_ms - row.created_ms);
    st.status = OUTBOX_PENDING;
    st.next_try_ms = now;
    snprintf(st.answer, sizeof st.answer, "retry requested");
    outbox_row_clear(&row);
    if (outbox_state_put(s, txn, &st) != 0) {
        mdb_txn_abort(txn);
        return admin_error(q, 500, NULL, "could not write the row's state");
    }
    if (admin_commit(a, txn) != 0)
        return admin_error(q, 500, NULL, "could not commit");
    admin_notify(a, id);
    char ids[24];
    snprintf(ids, sizeof ids, "%llu", id);
    log_info("outbox.retry", "id", ids, NULL);
    return admin_reply(q, 200, json_pack("{s:I,s:s}", "id", (json_int_t)id, "status", "pending"));
}
