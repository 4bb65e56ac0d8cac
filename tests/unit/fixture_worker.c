/*
 * fixture_worker.c - a worker family's handlers driven as ondc-worker
 * drives them. See fixture_worker.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture_worker.h"

#include "context.h"
#include "journal.h"
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s_journal - append REQ's journal row (TEXT its body) received at
 * RECEIVED_MS; 0 with *JID, or -1. */
static int s_journal(fixture_store_t *fx, json_t *req, const char *text, int64_t received_ms,
                     uint64_t *jid)
{
    json_t *ctx = json_object_get(req, "context");
    const char *action = context_str(ctx, "action");
    const char *bap = context_str(ctx, "bap_id");
    const char *tid = context_str(ctx, "transaction_id");
    const char *mid = context_str(ctx, "message_id");
    journal_row_t row;
    memset(&row, 0, sizeof row);
    row.action = action ? context_action_parse(action) : -1;
    row.received_ms = received_ms;
    snprintf(row.sender, sizeof row.sender, "%s", bap ? bap : "");
    snprintf(row.transaction_id, sizeof row.transaction_id, "%s", tid ? tid : "");
    snprintf(row.message_id, sizeof row.message_id, "%s", mid ? mid : "");
    row.body = text;
    row.body_len = strlen(text);
    MDB_txn *txn = store_begin(fx->s, 0);
    if (!txn)
        return -1;
    if (journal_append(fx->s, txn, &row, jid) != 0) {
        mdb_txn_abort(txn);
        return -1;
    }
    return store_commit(txn) == 0 ? 0 : -1;
}

/* s_run - the worker's batch of one: E with body TEXT through FAM in the
 * store's transactions, committed; the rows written into OUT. 0 or -1. */
static int s_run(fixture_store_t *fx, const worker_family_t *fam, const envelope_t *e,
                 const char *text, int64_t now_ms, worker_out_t *out)
{
    size_t len = strlen(text);
    MDB_txn *txn;
    if (!fam->read_only) {
        txn = store_begin(fx->s, 0);
        if (!txn)
            return -1;
        if (worker_process(fam, fx->s, txn, &fx->cfg, e, text, len, now_ms, out) < 0) {
            mdb_txn_abort(txn);
            return -1;
        }
        return store_commit(txn) == 0 ? 0 : -1;
    }
    /* read-only: handled in a read transaction, answered in a write one */
    worker_msg_t m;
    MDB_txn *rtxn = store_begin(fx->s, 1);
    if (!rtxn)
        return -1;
    int prc = worker_prepare(fam, fx->s, rtxn, &fx->cfg, e, text, len, now_ms, &m);
    mdb_txn_abort(rtxn);
    if (prc < 0)
        return -1;
    txn = store_begin(fx->s, 0);
    if (!txn) {
        if (prc == 0)
            worker_msg_free(&m);
        return -1;
    }
    int rc = prc == 1 ? (journal_mark_done(fx->s, txn, e->id) < 0 ? -1 : 0)
                      : worker_finish(fx->s, txn, &fx->cfg, e, &m, now_ms, out);
    if (rc < 0) {
        mdb_txn_abort(txn);
        return -1;
    }
    return store_commit(txn) == 0 ? 0 : -1;
}

/* s_replies - the rows of OUT read back from the store, as fixture_worker.h
 * describes them; NULL on a failure (reason on stderr). */
static json_t *s_replies(fixture_store_t *fx, const worker_out_t *out)
{
    json_t *all = json_array();
    MDB_txn *txn = store_begin(fx->s, 1);
    if (!txn) {
        json_decref(all);
        return NULL;
    }
    for (size_t i = 0; i < out->n; i++) {
        MDB_val raw;
        outbox_row_t row;
        if (outbox_raw(fx->s, txn, out->ids[i], &raw) != 0 ||
            outbox_get(fx->s, txn, out->ids[i], &row) != 0) {
            fprintf(stderr, "fixture_worker: outbox row %llu not found\n",
                    (unsigned long long)out->ids[i]);
            goto fail;
        }
        /* the bytes handed to the callback process are the bytes stored */
        int same = out->rows[i] && out->row_lens[i] == raw.mv_size &&
                   memcmp(out->rows[i], raw.mv_data, raw.mv_size) == 0;
        json_error_t je;
        json_t *body = json_loadb(row.body, row.body_len, JSON_REJECT_DUPLICATES, &je);
        if (!same || !body) {
            fprintf(stderr, "fixture_worker: outbox row %llu: %s\n",
                    (unsigned long long)out->ids[i],
                    !same ? "the copy for the callback process differs from the row"
                          : "body is not JSON");
            json_decref(body);
            outbox_row_clear(&row);
            goto fail;
        }
        json_array_append_new(all, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:I,s:o}", "id",
                                             (json_int_t)row.id, "journal_id",
                                             (json_int_t)row.journal_id, "action", row.action,
                                             "url", row.url, "transaction_id", row.transaction_id,
                                             "message_id", row.message_id, "deadline_ms",
                                             (json_int_t)row.deadline_ms, "body", body));
        outbox_row_clear(&row);
    }
    mdb_txn_abort(txn);
    return all;
fail:
    mdb_txn_abort(txn);
    json_decref(all);
    return NULL;
}

json_t *fixture_worker_handle(fixture_store_t *fx, const worker_family_t *fam, json_t *req,
                              int64_t now_ms, uint64_t *jid)
{
    uint64_t id = jid ? *jid : 0;
    char *text = json_dumps(req, JSON_COMPACT);
    json_t *replies = NULL;
    worker_out_t out;
    memset(&out, 0, sizeof out);
    if (!text)
        return NULL;
    if (id == 0 && s_journal(fx, req, text, now_ms - 1, &id) < 0) {
        fprintf(stderr, "fixture_worker: cannot journal the request\n");
        goto out;
    }
    if (jid)
        *jid = id;
    json_t *ctx = json_object_get(req, "context");
    const char *action = context_str(ctx, "action");
    const char *bap = context_str(ctx, "bap_id");
    envelope_t e;
    memset(&e, 0, sizeof e);
    e.version = ENVELOPE_VERSION;
    e.kind = ENVELOPE_REQUEST;
    e.id = id;
    e.received_ms = (uint64_t)(now_ms - 1);
    snprintf(e.action, sizeof e.action, "%s", action ? action : "");
    snprintf(e.sender, sizeof e.sender, "%s", bap ? bap : "");
    if (s_run(fx, fam, &e, text, now_ms, &out) < 0) {
        fprintf(stderr, "fixture_worker: store failure handling %s\n", e.action);
        goto out;
    }
    replies = s_replies(fx, &out);
out:
    worker_out_free(&out);
    free(text);
    return replies;
}

json_t *fixture_worker_request(const fixture_store_t *fx, const char *action, const char *txn,
                               const char *msg, const char *ts, json_t *message)
{
    json_t *ctx =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "domain", "ONDC:RET10",
                  "country", "IND", "city", "std:080", "core_version", "1.2.0", "action", action,
                  "bap_id", "buyer.example", "bap_uri", "https://buyer.example/ondc", "bpp_id",
                  fx->cfg.subscriber_id, "bpp_uri", fx->cfg.bpp_uri, "transaction_id", txn,
                  "message_id", msg, "timestamp", ts, "ttl", "PT30S");
    return json_pack("{s:o,s:o}", "context", ctx, "message", message ? message : json_object());
}

json_t *fixture_worker_cart(const fixture_store_t *fx, const char *action, const char *txn,
                            const char *msg, const char *ts, const char *provider,
                            const char *items)
{
    json_t *seed = fixture_worker_load("tests/fixtures/seed-init-request.json");
    json_error_t je;
    json_t *list = json_loads(items, 0, &je);
    if (!seed || !json_is_array(list)) {
        fprintf(stderr, "fixture_worker_cart: %s\n", seed ? "items are not an array" : "no seed");
        json_decref(seed);
        json_decref(list);
        return NULL;
    }
    json_t *message = json_deep_copy(json_object_get(seed, "message"));
    json_decref(seed);
    json_t *order = json_object_get(message, "order");
    json_object_set_new(json_object_get(order, "provider"), "id", json_string(provider));
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it) if (!json_object_get(it, "fulfillment_id"))
        json_object_set_new(it, "fulfillment_id", json_string("1"));
    json_object_set_new(order, "items", list);
    return fixture_worker_request(fx, action, txn, msg, ts, message);
}

/* s_step - ACTION of an order flow; the reply's body (caller owns) or NULL */
static json_t *s_step(fixture_store_t *fx, json_t *req, int64_t now_ms)
{
    uint64_t jid = 0;
    json_t *replies = fixture_worker_handle(fx, &family_order, req, now_ms, &jid);
    json_t *body = json_incref(fixture_json_at(json_array_get(replies, 0), "body"));
    json_decref(replies);
    if (!body || json_object_get(body, "error")) {
        char *text = body ? json_dumps(json_object_get(body, "error"), JSON_COMPACT) : NULL;
        fprintf(stderr, "fixture_worker_confirmed: %s: %s\n",
                context_str(json_object_get(req, "context"), "action"), text ? text : "no reply");
        free(text);
        json_decref(body);
        return NULL;
    }
    return body;
}

json_t *fixture_worker_confirmed(fixture_store_t *fx, const char *txn, const char *oid,
                                 const char *provider, const char *items, const char *ts,
                                 int64_t now_ms)
{
    char mid[300];
    snprintf(mid, sizeof mid, "%s-init", txn);
    json_t *req = fixture_worker_cart(fx, "init", txn, mid, ts, provider, items);
    if (!req)
        return NULL;
    json_t *init = s_step(fx, req, now_ms);
    json_t *order = NULL;
    if (init) {
        json_t *o = fixture_json_at(req, "message.order");
        json_object_set(o, "quote", fixture_json_at(init, "message.order.quote"));
        json_object_set(o, "payment", fixture_json_at(init, "message.order.payment"));
        json_object_set_new(o, "id", json_string(oid));
        json_object_set_new(o, "created_at", json_string(ts));
        json_object_set_new(o, "updated_at", json_string(ts));
        json_t *ctx = json_object_get(req, "context");
        snprintf(mid, sizeof mid, "%s-confirm", txn);
        json_object_set_new(ctx, "action", json_string("confirm"));
        json_object_set_new(ctx, "message_id", json_string(mid));
        json_t *conf = s_step(fx, req, now_ms);
        order = json_incref(fixture_json_at(conf, "message.order"));
        json_decref(conf);
    }
    json_decref(init);
    json_decref(req);
    return order;
}

json_t *fixture_worker_load(const char *path)
{
    json_error_t je;
    json_t *v = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        fprintf(stderr, "fixture_worker_load: %s: %s (line %d)\n", path, je.text, je.line);
    return v;
}

json_t *fixture_json_at(json_t *root, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save)) {
        char *br = strchr(tok, '[');
        if (br)
            *br = '\0';
        if (*tok)
            cur = json_object_get(cur, tok);
        /* one or more "[n]" after the name */
        while (br && cur) {
            cur = json_array_get(cur, strtoul(br + 1, NULL, 10));
            br = strchr(br + 1, '[');
        }
    }
    return cur;
}

const char *fixture_str_at(json_t *root, const char *path)
{
    return json_string_value(fixture_json_at(root, path));
}

void fixture_assert_reply(const fixture_store_t *fx, json_t *reply, json_t *req, int64_t now_ms,
                          uint64_t jid)
{
    assert_non_null(reply);
    json_t *rctx = json_object_get(req, "context");
    json_t *ctx = fixture_json_at(reply, "body.context");
    assert_non_null(ctx);
    char on[48], url[600], ts[40];
    snprintf(on, sizeof on, "on_%s", context_str(rctx, "action"));
    char *want_url =
        context_callback_url(context_str(rctx, "bap_uri"), context_str(rctx, "action"));
    snprintf(url, sizeof url, "%s", want_url ? want_url : "");
    free(want_url);
    context_format_time(now_ms, ts, sizeof ts);
    assert_string_equal(fixture_str_at(reply, "action"), on);
    assert_string_equal(fixture_str_at(reply, "url"), url);
    assert_int_equal(json_integer_value(json_object_get(reply, "journal_id")), jid);
    assert_string_equal(context_str(ctx, "action"), on);
    assert_string_equal(context_str(ctx, "bpp_id"), fx->cfg.subscriber_id);
    assert_string_equal(context_str(ctx, "bpp_uri"), fx->cfg.bpp_uri);
    assert_string_equal(context_str(ctx, "timestamp"), ts);
    static const char *same[] = {"domain", "country", "city",           "core_version",
                                 "bap_id", "bap_uri", "transaction_id", "message_id"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        assert_string_equal(context_str(ctx, same[i]), context_str(rctx, same[i]));
    assert_string_equal(fixture_str_at(reply, "transaction_id"),
                        context_str(rctx, "transaction_id"));
    assert_string_equal(fixture_str_at(reply, "message_id"), context_str(rctx, "message_id"));
}

void fixture_assert_error(json_t *reply, const char *type, const char *code, const char *path)
{
    json_t *err = fixture_json_at(reply, "body.error");
    const char *t = fixture_str_at(err, "type"), *c = fixture_str_at(err, "code");
    const char *p = fixture_str_at(err, "path"), *m = fixture_str_at(err, "message");
    int ok = t && c && m && *m && strcmp(t, type) == 0 && strcmp(c, code) == 0 &&
             (path ? p && strcmp(p, path) == 0 : p == NULL);
    if (!ok) {
        char *text = json_dumps(fixture_json_at(reply, "body"), JSON_INDENT(1) | JSON_SORT_KEYS);
        print_error("want error %s %s at %s, got: %s\n", type, code, path ? path : "(no path)",
                    text ? text : "(none)");
        free(text);
        fail();
    }
}

int fixture_golden(json_t *got, const char *path)
{
    const char *update = getenv("ONDC_GOLDEN_UPDATE");
    if (update && strcmp(update, "1") == 0 &&
        json_dump_file(got, path, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
        fprintf(stderr, "fixture_golden: cannot write %s\n", path);
        return -1;
    }
    json_t *want = fixture_worker_load(path);
    int same = want && json_equal(got, want);
    if (!same) {
        char *a = json_dumps(got, JSON_INDENT(1) | JSON_SORT_KEYS);
        char *b = want ? json_dumps(want, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
        fprintf(stderr, "fixture_golden: %s differs\n--- got\n%s\n--- golden\n%s\n", path,
                a ? a : "", b ? b : "(unreadable)");
        free(a);
        free(b);
    }
    json_decref(want);
    return same ? 0 : -1;
}
