/*
 * test_igm.c - complaints (seller/igm.c, ondc/igm_check.c, the handlers of
 * workers/family_igm.c driven as ondc-worker drives them).
 *
 * The state table, every pair; the IGM 1.0.0 sub-category codes; the
 * request checks with a good 1.0.0 and 2.0.0 issue and, table-driven, the
 * bad inputs and the path each names (no id, a sub-category that is not a
 * code or is another category's, a phone with letters, no provider id, a
 * response time that is not a duration, an unknown complainant action, a
 * quantity of 0, a closing with status OPEN; 2.0.0: no ORDER ref, an
 * unknown actor type, a source_id that is no actor, a last_action_id that
 * is not the last action's, a descriptor code that is no IGM code; an
 * issue_status without issue_id); the issue life cycle on a store with an
 * order: opened (PROCESSING), more information asked and given, resolved
 * with a refund that the order's quote and settlement show, a refund above
 * the total refused and nothing changed, escalated, closed with no reply;
 * the overdue flags around the expected times.
 *
 * Run with the working directory at the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "context.h"
#include "fixture_worker.h"
#include "igm.h"
#include "igm_check.h"
#include "igm_raise.h"
#include "outbox.h"
#include "money.h"
#include "order.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TS "2024-06-01T10:00:00.000Z"
#define TXN "txn-igm"
#define OID "ORD-IGM"
#define AMUL "111863"

static int64_t s_now(void)
{
    return context_parse_time(TS) + 250;
}

static void test_state_table(void **state)
{
    (void)state;
    static const struct {
        const char *from, *to;
        int ok;
    } cases[] = {
        {"OPEN", "PROCESSING", 1},           {"OPEN", "NEED-MORE-INFO", 1},
        {"OPEN", "RESOLVED", 1},             {"OPEN", "CLOSED", 1},
        {"OPEN", "OPEN", 0},                 {"PROCESSING", "PROCESSING", 1},
        {"PROCESSING", "NEED-MORE-INFO", 1}, {"PROCESSING", "RESOLVED", 1},
        {"PROCESSING", "OPEN", 1},           {"PROCESSING", "CLOSED", 1},
        {"NEED-MORE-INFO", "PROCESSING", 1}, {"NEED-MORE-INFO", "RESOLVED", 1},
        {"NEED-MORE-INFO", "OPEN", 1},       {"RESOLVED", "OPEN", 1},
        {"RESOLVED", "CLOSED", 1},           {"RESOLVED", "PROCESSING", 0},
        {"RESOLVED", "NEED-MORE-INFO", 0},   {"RESOLVED", "RESOLVED", 0},
        {"CLOSED", "OPEN", 0},               {"CLOSED", "PROCESSING", 0},
        {"CLOSED", "CLOSED", 0},             {"ESCALATED", "OPEN", 0},
        {NULL, "OPEN", 0},                   {"OPEN", NULL, 0},
    };
    for (size_t i = 0; i < N(cases); i++)
        if (igm_transition_ok(cases[i].from, cases[i].to) != cases[i].ok)
            fail_msg("%s -> %s: want %d", cases[i].from ? cases[i].from : "(null)",
                     cases[i].to ? cases[i].to : "(null)", cases[i].ok);
    int n = 0;
    for (const char *const *s = igm_states(); *s; s++)
        n++;
    assert_int_equal(n, 5);
}

static void test_categories(void **state)
{
    (void)state;
    static const struct {
        const char *sub, *cat;
    } cases[] = {
        {"ITM01", "ITEM"},   {"ITM05", "ITEM"},    {"ITM06", NULL},  {"FLM08", "FULFILLMENT"},
        {"FLM09", NULL},     {"ORD03", "ORDER"},   {"AGT02", "AGENT"}, {"PMT04", "PAYMENT"},
        {"PMT00", NULL},     {"XYZ01", NULL},      {"ITM1", NULL},   {"", NULL},
        {NULL, NULL},
    };
    for (size_t i = 0; i < N(cases); i++) {
        const char *got = igm_category_of(cases[i].sub);
        if ((got == NULL) != (cases[i].cat == NULL) || (got && strcmp(got, cases[i].cat) != 0))
            fail_msg("%s: %s", cases[i].sub ? cases[i].sub : "(null)", got ? got : "(none)");
    }
    assert_true(igm_code_ok("ITM004"));
    assert_true(igm_code_ok("FLM002"));
    assert_false(igm_code_ok("ITM04"));
    assert_false(igm_code_ok("ABC123"));
}

static const char *s_v1 =
    "{\"issue\":{\"id\":\"ISSUE-1\",\"category\":\"ITEM\",\"sub_category\":\"ITM04\","
    "\"complainant_info\":{\"person\":{\"name\":\"Sam\"},\"contact\":{\"phone\":\"9879879870\"}},"
    "\"order_details\":{\"id\":\"" OID "\",\"provider_id\":\"" AMUL "\","
    "\"items\":[{\"id\":\"42602097\",\"quantity\":1}]},"
    "\"description\":{\"short_desc\":\"Quality\"},"
    "\"source\":{\"network_participant_id\":\"buyer.example\",\"type\":\"CONSUMER\"},"
    "\"expected_response_time\":{\"duration\":\"PT2H\"},"
    "\"expected_resolution_time\":{\"duration\":\"P1D\"},\"status\":\"OPEN\","
    "\"issue_type\":\"ISSUE\",\"issue_actions\":{\"complainant_actions\":[{"
    "\"complainant_action\":\"OPEN\",\"short_desc\":\"Complaint created\","
    "\"updated_at\":\"" TS "\",\"updated_by\":{\"org\":{\"name\":\"buyer.example::ONDC:RET10\"},"
    "\"contact\":{\"phone\":\"9450394039\"},\"person\":{\"name\":\"Desk\"}}}]},"
    "\"created_at\":\"" TS "\",\"updated_at\":\"" TS "\"}}";

static const char *s_v2 =
    "{\"issue\":{\"id\":\"ISSUE-2\",\"status\":\"OPEN\",\"level\":\"ISSUE\","
    "\"created_at\":\"" TS "\",\"updated_at\":\"" TS "\","
    "\"expected_response_time\":{\"duration\":\"PT2H\"},"
    "\"expected_resolution_time\":{\"duration\":\"P1D\"},"
    "\"refs\":[{\"ref_id\":\"" OID "\",\"ref_type\":\"ORDER\"},{\"ref_id\":\"" AMUL "\","
    "\"ref_type\":\"PROVIDER\"},{\"ref_id\":\"42602097\",\"ref_type\":\"ITEM\"}],"
    "\"actors\":[{\"id\":\"CUST1\",\"type\":\"CONSUMER\",\"info\":{\"org\":{\"name\":\"b::ONDC:RET10\"}}},"
    "{\"id\":\"NP1\",\"type\":\"INTERFACING_NP\",\"info\":{\"org\":{\"name\":\"b::ONDC:RET10\"}}}],"
    "\"source_id\":\"CUST1\",\"complainant_id\":\"NP1\","
    "\"descriptor\":{\"code\":\"ITM004\",\"short_desc\":\"Quality\"},"
    "\"last_action_id\":\"A1\",\"actions\":[{\"id\":\"A1\",\"descriptor\":{\"code\":\"OPEN\","
    "\"short_desc\":\"Complaint created\"},\"updated_at\":\"" TS "\",\"action_by\":\"NP1\","
    "\"actor_details\":{\"name\":\"Sam\"}}]}}";

/* s_req - a request with MESSAGE (JSON text) */
static json_t *s_req(const char *action, const char *message)
{
    json_t *m = json_loads(message, 0, NULL);
    assert_non_null(m);
    return json_pack("{s:{s:s},s:o}", "context", "action", action, "message", m);
}

/* s_set - set PATH ("issue.order_details.items[0].quantity", no arrays but
 * [0]) of ROOT's message to V (stolen; NULL deletes) */
static void s_set(json_t *root, const char *path, json_t *v)
{
    json_t *o = json_object_get(root, "message");
    char buf[200];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL, *tok = strtok_r(buf, ".", &save), *next;
    while ((next = strtok_r(NULL, ".", &save))) {
        char *br = strchr(tok, '[');
        if (br) {
            *br = '\0';
            o = json_array_get(json_object_get(o, tok), (size_t)atoi(br + 1));
        } else {
            o = json_object_get(o, tok);
        }
        tok = next;
    }
    if (v)
        json_object_set_new(o, tok, v);
    else
        json_object_del(o, tok);
}

static void test_check(void **state)
{
    (void)state;
    ondc_err_t err;
    json_t *r = s_req("issue", s_v1);
    assert_int_equal(igm_check_request(r, 0, 100, &err), 0);
    json_decref(r);
    r = s_req("issue", s_v2);
    assert_int_equal(igm_check_request(r, 0, 100, &err), 0);
    json_decref(r);
    static const struct {
        int v2;
        const char *set, *value; /* value NULL: deleted */
        const char *path;
    } bad[] = {
        {0, "issue.id", NULL, "message.issue.id"},
        {0, "issue.sub_category", "\"ITM99\"", "message.issue.sub_category"},
        {0, "issue.sub_category", "\"FLM01\"", "message.issue.sub_category"},
        {0, "issue.complainant_info.contact.phone", "\"98ab879870\"",
         "message.issue.complainant_info.contact.phone"},
        {0, "issue.order_details.provider_id", NULL, "message.issue.order_details.provider_id"},
        {0, "issue.expected_response_time.duration", "\"2 hours\"",
         "message.issue.expected_response_time.duration"},
        {0, "issue.issue_actions.complainant_actions[0].complainant_action", "\"REOPEN\"",
         "message.issue.issue_actions.complainant_actions[0].complainant_action"},
        {0, "issue.order_details.items[0].quantity", "0",
         "message.issue.order_details.items[0].quantity"},
        {0, "issue.issue_actions.complainant_actions[0].complainant_action", "\"CLOSE\"",
         "message.issue.status"},
        {1, "issue.refs", "[{\"ref_id\":\"P\",\"ref_type\":\"PROVIDER\"}]", "message.issue.refs"},
        {1, "issue.actors[0].type", "\"NOBODY\"", "message.issue.actors[0].type"},
        {1, "issue.source_id", "\"CUST9\"", "message.issue.source_id"},
        {1, "issue.last_action_id", "\"A9\"", "message.issue.last_action_id"},
        {1, "issue.descriptor.code", "\"QUALITY\"", "message.issue.descriptor.code"},
    };
    for (size_t i = 0; i < N(bad); i++) {
        r = s_req("issue", bad[i].v2 ? s_v2 : s_v1);
        s_set(r, bad[i].set, bad[i].value ? json_loads(bad[i].value, JSON_DECODE_ANY, NULL) : NULL);
        err_clear(&err);
        if (igm_check_request(r, 0, 100, &err) != -1 || strcmp(err.path, bad[i].path) != 0 ||
            strcmp(err.code, IGM_ERR_SCHEMA) != 0)
            fail_msg("case %zu (%s): path \"%s\" code %s, want %s", i, bad[i].set, err.path,
                     err.code, bad[i].path);
        json_decref(r);
    }
    r = s_req("issue_status", "{\"issue\":\"x\"}");
    assert_int_equal(igm_check_request(r, 1, 100, &err), -1);
    assert_string_equal(err.path, "message.issue_id");
    json_decref(r);
}

static int s_setup(void **state)
{
    fixture_store_t *fx = fixture_store_new_open("test_igm");
    *state = fx;
    if (!fx || fixture_store_import(fx, "tests/fixtures/catalog-demo.json") < 0)
        return -1;
    json_t *o = fixture_worker_confirmed(
        fx, TXN, OID, AMUL, "[{\"id\":\"42602097\",\"quantity\":{\"count\":1}}]", TS, s_now());
    json_decref(o);
    return o ? 0 : -1;
}

static int s_teardown(void **state)
{
    return fixture_store_destroy((fixture_store_t **)state);
}

/* s_issue - an issue request with MESSAGE (stolen) handled as the worker
 * does; the replies (caller owns) */
static json_t *s_handle(fixture_store_t *fx, const char *action, json_t *message)
{
    static int seq;
    char mid[64];
    snprintf(mid, sizeof mid, "igm-%d", ++seq);
    json_t *req = fixture_worker_request(fx, action, TXN, mid, TS, message);
    json_object_set_new(json_object_get(req, "context"), "core_version", json_string("1.0.0"));
    uint64_t jid = 0;
    json_t *replies = fixture_worker_handle(fx, &family_post, req, s_now(), &jid);
    assert_non_null(replies);
    json_decref(req);
    return replies;
}

static json_t *s_rec(fixture_store_t *fx, const char *id)
{
    MDB_txn *txn = store_begin(fx->s, 1);
    json_t *rec = igm_get(fx->s, txn, id, "buyer.example");
    mdb_txn_abort(txn);
    return rec;
}

static int64_t s_total(fixture_store_t *fx, int64_t *rows)
{
    char key[400];
    order_key(OID, "buyer.example", key, sizeof key);
    MDB_txn *txn = store_begin(fx->s, 1);
    json_t *rec = order_get(fx->s, txn, key);
    mdb_txn_abort(txn);
    json_t *q = json_object_get(json_object_get(rec, "order"), "quote");
    int64_t total = 0, sum = 0, v;
    money_parse_json(json_object_get(json_object_get(q, "price"), "value"), &total);
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(q, "breakup"), i, row)
    {
        money_parse_json(json_object_get(json_object_get(row, "price"), "value"), &v);
        sum += v;
    }
    *rows = sum;
    json_decref(rec);
    return total;
}

/* s_desk - the seller's action on ISSUE-1; 0 or -1 (ERR filled) */
static int s_desk(fixture_store_t *fx, igm_desk_t what, const char *body, ondc_err_t *err)
{
    json_t *b = body ? json_loads(body, 0, NULL) : NULL;
    MDB_txn *txn = store_begin(fx->s, 0);
    json_t *rec = igm_get(fx->s, txn, "ISSUE-1", "buyer.example");
    assert_non_null(rec);
    uint64_t ob[2];
    err_clear(err);
    int rc = igm_desk(fx->s, txn, &fx->cfg, rec, what, b, s_now() + 1000, ob, err);
    if (rc == 0)
        assert_int_equal(mdb_txn_commit(txn), 0);
    else
        mdb_txn_abort(txn);
    json_decref(rec);
    json_decref(b);
    return rc;
}

static void test_life_cycle(void **state)
{
    fixture_store_t *fx = *state;
    json_t *replies = s_handle(fx, "issue", json_loads(s_v1, 0, NULL));
    assert_int_equal(json_array_size(replies), 1);
    assert_null(fixture_json_at(json_array_get(replies, 0), "body.error"));
    assert_string_equal(
        fixture_str_at(json_array_get(replies, 0),
                       "body.message.issue.issue_actions.respondent_actions[0].respondent_action"),
        "PROCESSING");
    json_decref(replies);
    json_t *rec = s_rec(fx, "ISSUE-1");
    assert_string_equal(json_string_value(json_object_get(rec, "state")), "PROCESSING");
    json_decref(rec);
    ondc_err_t err;
    assert_int_equal(s_desk(fx, IGM_DESK_NEED_INFO, NULL, &err), -1);
    assert_string_equal(err.path, "info");
    assert_int_equal(s_desk(fx, IGM_DESK_NEED_INFO, "{\"info\":\"A photo\"}", &err), 0);
    /* the buyer app's answer: OPEN again */
    json_t *m = json_loads(s_v1, 0, NULL);
    json_t *acts = fixture_json_at(m, "issue.issue_actions.complainant_actions");
    json_array_append(acts, json_array_get(acts, 0));
    replies = s_handle(fx, "issue", m);
    json_decref(replies);
    rec = s_rec(fx, "ISSUE-1");
    assert_string_equal(json_string_value(json_object_get(rec, "state")), "PROCESSING");
    json_decref(rec);
    /* a refund above the total changes nothing; one within it is on the quote */
    int64_t rows, total = s_total(fx, &rows);
    assert_int_equal(s_desk(fx, IGM_DESK_RESOLVE, "{\"action\":\"REFUND\",\"refund_amount\":\"99999\"}",
                            &err), -1);
    assert_string_equal(err.path, "refund_amount");
    assert_int_equal(s_total(fx, &rows), total);
    rec = s_rec(fx, "ISSUE-1");
    assert_string_equal(json_string_value(json_object_get(rec, "state")), "PROCESSING");
    json_decref(rec);
    assert_int_equal(s_desk(fx, IGM_DESK_RESOLVE, "{\"action\":\"REFUND\",\"refund_amount\":\"12.50\"}",
                            &err), 0);
    assert_int_equal(s_total(fx, &rows), total - 1250);
    assert_int_equal(rows, total - 1250);
    rec = s_rec(fx, "ISSUE-1");
    assert_string_equal(json_string_value(json_object_get(rec, "state")), "RESOLVED");
    assert_string_equal(fixture_str_at(rec, "resolution.refund_amount"), "12.50");
    json_decref(rec);
    /* issue_status shows it */
    replies = s_handle(fx, "issue_status", json_pack("{s:s}", "issue_id", "ISSUE-1"));
    assert_string_equal(fixture_str_at(json_array_get(replies, 0),
                                       "body.message.issue.resolution.action_triggered"),
                        "REFUND");
    json_decref(replies);
    /* escalation, then closing: no reply */
    m = json_loads(s_v1, 0, NULL);
    acts = fixture_json_at(m, "issue.issue_actions.complainant_actions");
    json_t *esc = json_deep_copy(json_array_get(acts, 0));
    json_object_set_new(esc, "complainant_action", json_string("ESCALATE"));
    json_array_append_new(acts, esc);
    replies = s_handle(fx, "issue", json_deep_copy(m));
    assert_null(fixture_json_at(json_array_get(replies, 0), "body.error"));
    json_decref(replies);
    rec = s_rec(fx, "ISSUE-1");
    assert_string_equal(json_string_value(json_object_get(rec, "level")), "GRIEVANCE");
    json_decref(rec);
    json_t *cl = json_deep_copy(esc);
    json_object_set_new(cl, "complainant_action", json_string("CLOSE"));
    json_array_append_new(acts, cl);
    json_object_set_new(json_object_get(m, "issue"), "status", json_string("CLOSED"));
    replies = s_handle(fx, "issue", m);
    assert_int_equal(json_array_size(replies), 0);
    json_decref(replies);
    rec = s_rec(fx, "ISSUE-1");
    assert_string_equal(json_string_value(json_object_get(rec, "state")), "CLOSED");
    json_decref(rec);
    assert_int_equal(s_desk(fx, IGM_DESK_PROCESSING, NULL, &err), -1);
    /* unknown issue: IGM005 */
    replies = s_handle(fx, "issue_status", json_pack("{s:s}", "issue_id", "NOPE"));
    fixture_assert_error(json_array_get(replies, 0), "DOMAIN-ERROR", "IGM005", "message.issue_id");
    json_decref(replies);
}

/* the states of an issue the seller raised, moved by the counterparty's
 * answers */
static void test_raised_next(void **state)
{
    (void)state;
    static const struct {
        const char *from, *status, *code, *want;
    } cases[] = {
        {"OPEN", "PROCESSING", "PROCESSING", "PROCESSING"},
        {"OPEN", "OPEN", NULL, "OPEN"},
        {"OPEN", "PROCESSING", "INFO_REQUESTED", "NEED-MORE-INFO"},
        {"PROCESSING", "OPEN", "INFO_REQUESTED", "NEED-MORE-INFO"},
        {"NEED-MORE-INFO", "PROCESSING", "PROCESSING", "PROCESSING"},
        {"PROCESSING", "PROCESSING", "RESOLUTION_PROPOSED", "PROCESSING"},
        {"PROCESSING", "RESOLVED", "RESOLVED", "RESOLVED"},
        {"RESOLVED", "RESOLVED", "RESOLVED", "RESOLVED"},
        {"RESOLVED", "PROCESSING", "PROCESSING", NULL},
        {"CLOSED", "PROCESSING", "PROCESSING", NULL},
        {"CLOSED", "RESOLVED", "RESOLVED", NULL},
        {"OPEN", "ESCALATED", NULL, NULL},
        {"OPEN", "CLOSED", NULL, NULL},
        {NULL, "PROCESSING", NULL, NULL},
        {"OPEN", NULL, NULL, NULL},
    };
    for (size_t i = 0; i < N(cases); i++) {
        const char *got = igm_raised_next(cases[i].from, cases[i].status, cases[i].code);
        if ((got == NULL) != (cases[i].want == NULL) ||
            (got && strcmp(got, cases[i].want) != 0))
            fail_msg("%s + %s/%s: got %s, want %s", cases[i].from ? cases[i].from : "(null)",
                     cases[i].status ? cases[i].status : "(null)",
                     cases[i].code ? cases[i].code : "-", got ? got : "(null)",
                     cases[i].want ? cases[i].want : "(null)");
    }
}

/* s_on_issue - the counterparty's on_issue to raised issue REC: status
 * STATUS, last action CODE (ref REF) */
static json_t *s_on_issue(json_t *rec, const char *status, const char *code, const char *ref)
{
    json_t *issue = json_deep_copy(json_object_get(rec, "issue"));
    json_t *act = json_pack("{s:s,s:{s:s,s:s},s:s,s:s}", "id", "LA", "descriptor", "code", code,
                            "short_desc", "Photo please", "updated_at", TS, "action_by", "LSP1");
    if (ref)
        json_object_set_new(act, "ref_id", json_string(ref));
    json_array_append_new(json_object_get(issue, "actions"), act);
    json_object_set_new(issue, "status", json_string(status));
    json_t *ctx = json_deep_copy(json_object_get(rec, "context"));
    json_object_set_new(ctx, "action", json_string("on_issue"));
    return json_pack("{s:o,s:{s:o}}", "context", ctx, "message", "issue", issue);
}

static void test_raised_life_cycle(void **state)
{
    fixture_store_t *fx = *state;
    ondc_err_t err;
    uint64_t oid = 0;
    MDB_txn *txn = store_begin(fx->s, 0);
    json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "order_id", OID, "to", "lsp.example", "code",
                             "FLM002", "short_desc", "Damaged in transit");
    /* refused: no uri for the counterparty, an unknown order */
    err_clear(&err);
    assert_null(igm_raise(fx->s, txn, &fx->cfg, body, NULL, NULL, s_now(), &oid, &err));
    assert_string_equal(err.path, "to_uri");
    json_object_set_new(body, "order_id", json_string("NOPE"));
    assert_null(igm_raise(fx->s, txn, &fx->cfg, body, "https://lsp.example/ondc", NULL, s_now(),
                          &oid, &err));
    assert_string_equal(err.path, "order_id");
    json_object_set_new(body, "order_id", json_string(OID));
    json_t *rec = igm_raise(fx->s, txn, &fx->cfg, body, "https://lsp.example/ondc", NULL, s_now(),
                            &oid, &err);
    assert_non_null(rec);
    assert_true(oid > 0);
    outbox_row_t row;
    assert_int_equal(outbox_get(fx->s, txn, oid, &row), 0);
    assert_string_equal(row.action, "issue");
    assert_string_equal(row.url, "https://lsp.example/ondc/issue");
    json_t *sent = json_loadb(row.body, row.body_len, 0, NULL);
    outbox_row_clear(&row);
    assert_string_equal(fixture_str_at(sent, "context.bap_id"), fx->cfg.subscriber_id);
    assert_string_equal(fixture_str_at(sent, "context.bpp_id"), "lsp.example");
    assert_string_equal(fixture_str_at(sent, "context.core_version"), "2.0.0");
    assert_string_equal(fixture_str_at(sent, "message.issue.status"), "OPEN");
    assert_string_equal(fixture_str_at(sent, "message.issue.refs[0].ref_id"), OID);
    json_decref(sent);
    char id[64];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(rec, "id")));
    /* nothing asked, nothing on offer */
    json_t *x = json_pack("{s:s}", "info", "x");
    assert_int_equal(
        igm_raised_act(fx->s, txn, &fx->cfg, rec, "INFO_PROVIDED", x, s_now(), &oid, &err), -1);
    json_decref(x);
    assert_int_equal(err.http_status, 409);
    assert_int_equal(igm_raised_act(fx->s, txn, &fx->cfg, rec, "RESOLUTION_ACCEPTED", NULL,
                                    s_now(), &oid, &err),
                     -1);
    /* answers: an unknown issue is checked out, ours moves the state */
    json_t *ans = s_on_issue(rec, "PROCESSING", "INFO_REQUESTED", NULL);
    assert_int_equal(igm_raised_check(fx->s, txn, &fx->cfg, ans, &err), 0);
    json_object_set_new(json_object_get(ans, "context"), "bpp_id", json_string("other.example"));
    assert_int_equal(igm_raised_check(fx->s, txn, &fx->cfg, ans, &err), -1);
    assert_string_equal(err.path, "context.bpp_id");
    json_object_set_new(json_object_get(ans, "context"), "bpp_id", json_string("lsp.example"));
    uint64_t ids[4];
    int n = -1;
    assert_int_equal(igm_raised_answer(fx->s, txn, &fx->cfg, ans, s_now(), ids, &n), 0);
    assert_int_equal(n, 0); /* no buyer app's issue behind it */
    json_decref(ans);
    json_decref(rec);
    rec = igm_raised_get(fx->s, txn, id);
    assert_string_equal(json_string_value(json_object_get(rec, "state")), "NEED-MORE-INFO");
    assert_int_equal(igm_raised_act(fx->s, txn, &fx->cfg, rec, "INFO_PROVIDED", NULL, s_now(),
                                    &oid, &err),
                     -1);
    assert_string_equal(err.path, "info");
    json_t *info = json_pack("{s:s}", "info", "A photo");
    assert_int_equal(
        igm_raised_act(fx->s, txn, &fx->cfg, rec, "INFO_PROVIDED", info, s_now(), &oid, &err), 0);
    json_decref(info);
    assert_string_equal(json_string_value(json_object_get(rec, "state")), "PROCESSING");
    assert_int_equal(igm_raised_act(fx->s, txn, &fx->cfg, rec, "CLOSED", NULL, s_now(), &oid, &err),
                     0);
    assert_int_equal(igm_raised_act(fx->s, txn, &fx->cfg, rec, "CLOSED", NULL, s_now(), &oid, &err),
                     -1);
    /* a closed issue takes no answer */
    ans = s_on_issue(rec, "RESOLVED", "RESOLVED", NULL);
    assert_int_equal(igm_raised_answer(fx->s, txn, &fx->cfg, ans, s_now(), ids, &n), 1);
    json_decref(ans);
    json_decref(rec);
    json_decref(body);
    mdb_txn_abort(txn);
}

static void test_overdue(void **state)
{
    (void)state;
    json_t *rec = json_pack("{s:s,s:I,s:I,s:I}", "state", "PROCESSING", "respond_by_ms",
                            (json_int_t)1000, "resolve_by_ms", (json_int_t)5000, "answered_ms",
                            (json_int_t)0);
    int a, b;
    igm_overdue(rec, 999, &a, &b);
    assert_true(!a && !b);
    igm_overdue(rec, 1001, &a, &b);
    assert_true(a && !b);
    igm_overdue(rec, 5001, &a, &b);
    assert_true(a && b);
    json_object_set_new(rec, "answered_ms", json_integer(1200));
    igm_overdue(rec, 5001, &a, &b);
    assert_true(!a && b);
    json_object_set_new(rec, "state", json_string("RESOLVED"));
    igm_overdue(rec, 5001, &a, &b);
    assert_true(!a && !b);
    json_object_set_new(rec, "state", json_string("CLOSED"));
    json_object_set_new(rec, "answered_ms", json_integer(0));
    igm_overdue(rec, 5001, &a, &b);
    assert_true(!a && !b);
    json_decref(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_table),
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_check),
        cmocka_unit_test_setup_teardown(test_life_cycle, s_setup, s_teardown),
        cmocka_unit_test(test_overdue),
        cmocka_unit_test(test_raised_next),
        cmocka_unit_test_setup_teardown(test_raised_life_cycle, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
