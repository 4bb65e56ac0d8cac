/*
 * test_ingress_check.c - what the ingress refuses before a request is
 * journaled, and the NACK each refusal answers: table-driven over good and
 * bad requests, asserting the HTTP status, the ONDC error code, type and
 * path, and the NACK body ack_nack_body makes of it.
 *
 * ingress_check (ingress/ingress_check.c, linked from libingress.a): JSON
 * (depth, syntax, duplicated keys, not an object), the Beckn context (a
 * missing field, an action not the endpoint's, a domain, city or core
 * version not served, another seller's bpp_id, message_id equal to
 * transaction_id, a stale request), message missing, ONDC's retail schema
 * (a required field missing, a wrong type, both before the signature is
 * looked at; tests/unit/test_schema.c holds the rules), arrays over
 * max_array_items, the rate limit per sender, and the signature headers
 * (none, malformed, keyId not the sender, unknown key, another key's
 * signature, a body changed after signing, expired, created in the future;
 * the gateway's X-Gateway-Authorization good and forged). Keys come from a
 * registry file written to the fixture's directory.
 *
 * The HTTP front (ingress/ingress_http.c) refuses some requests before
 * ingress_check sees them: the network listener started on a loopback
 * port and driven from the test (MHD_run between a non-blocking client's
 * writes and reads): an unknown endpoint (404), GET (405), a body over
 * max_body_bytes announced by Content-Length and one sent chunked (413),
 * a Content-Type other than JSON (415), a node shutting down (503), and
 * one of ingress_check's refusals through HTTP (401 with WWW-Authenticate).
 *
 * Run with the working directory at the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "clock.h"
#include "ack.h"
#include "context.h"
#include "fixture_worker.h"
#include "ingress.h"
#include "loop.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TS "2024-06-01T10:00:00.000Z"
#define BAP "buyer.example"
#define GW "gateway.example"

typedef struct {
    fixture_store_t *st;
    runtime_t rt;
    ingress_t in;
    sign_key_t buyer, gateway, stranger;
} fx_t;

static int64_t s_now(void)
{
    return context_parse_time(TS) + 1000;
}

static void s_key(sign_key_t *k)
{
    crypto_sign_keypair(k->pk, k->sk);
}

/* a registry file with the buyer app's key (BAP) and the gateway's (BG) */
static int s_setup(void **state)
{
    if (sodium_init() < 0)
        return -1;
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    fx->st = fixture_store_new_open("test_ingress_check");
    if (!fx->st)
        return -1;
    s_key(&fx->buyer);
    s_key(&fx->gateway);
    s_key(&fx->stranger);
    char bpk[45], gpk[45], path[128];
    sign_pubkey_to_base64(fx->buyer.pk, bpk);
    sign_pubkey_to_base64(fx->gateway.pk, gpk);
    snprintf(path, sizeof path, "%s/registry.json", fx->st->dir);
    json_t *reg =
        json_pack("[{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s,s:s,s:s}]", "subscriber_id",
                  BAP, "ukId", "k1", "signing_public_key", bpk, "valid_from",
                  "2020-01-01T00:00:00.000Z", "valid_until", "2099-01-01T00:00:00.000Z", "status",
                  "SUBSCRIBED", "type", "BAP", "subscriber_url", "https://buyer.example/ondc",
                  "subscriber_id", GW, "ukId", "g1",
                  "signing_public_key", gpk, "valid_from", "2020-01-01T00:00:00.000Z",
                  "valid_until", "2099-01-01T00:00:00.000Z", "status", "SUBSCRIBED", "type", "BG");
    int rc = json_dump_file(reg, path, 0);
    json_decref(reg);
    if (rc != 0)
        return -1;
    snprintf(fx->st->cfg.registry_file, sizeof fx->st->cfg.registry_file, "%s", path);
    fx->rt.cfg = fx->st->cfg;
    fx->rt.store = fx->st->s;
    fx->in.rt = &fx->rt;
    fx->in.registry = registry_new(&fx->rt.cfg, fx->st->s);
    return fx->in.registry ? 0 : -1;
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    registry_destroy(&fx->in.registry);
    int rc = fixture_store_destroy(&fx->st);
    free(fx);
    return rc;
}

/* s_request - a good ACTION request (compact JSON text; caller frees): the
 * message of tests/fixtures/retail/ACTION.json, which meets ONDC's retail
 * schema, in the fixture's context */
static char *s_request(const fx_t *fx, const char *action)
{
    char path[96];
    snprintf(path, sizeof path, "tests/fixtures/retail/%s.json", action);
    json_t *file = fixture_worker_load(path);
    assert_non_null(file);
    json_t *msg = json_incref(json_object_get(file, "message"));
    json_decref(file);
    json_t *req = fixture_worker_request(fx->st, action, "txn-1", "msg-1", TS, msg);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    return text;
}

/* s_edit - TEXT (freed) with the value at dotted PATH set to VALUE (JSON
 * text; NULL: deleted); the result compact (caller frees) */
static char *s_edit(char *text, const char *path, const char *value)
{
    json_t *root = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(root);
    char parent[128];
    snprintf(parent, sizeof parent, "%s", path);
    char *dot = strrchr(parent, '.');
    const char *key = dot ? dot + 1 : parent;
    if (dot)
        *dot = '\0';
    json_t *obj = dot ? fixture_json_at(root, parent) : root;
    assert_non_null(obj);
    if (value)
        json_object_set_new(obj, key, json_loads(value, JSON_DECODE_ANY, NULL));
    else
        json_object_del(obj, key);
    char *out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return out;
}

/* s_auth - an Authorization value by KEY for SUB|UKID over BODY, created
 * CREATED_D seconds from now and valid for VALID_S (caller frees) */
static char *s_auth(const sign_key_t *key, const char *sub, const char *ukid, const char *body,
                    long created_d, long valid_s)
{
    long created = (long)(s_now() / 1000) + created_d;
    char *h = sign_auth_header(key, sub, ukid, body, strlen(body), created, created + valid_s);
    assert_non_null(h);
    return h;
}

/* s_assert_nack - ERR as the NACK it becomes: STATUS, CODE, TYPE, PATH
 * (NULL: none) in ERR and in the body ack_nack_body makes of it */
static void s_assert_nack(const char *what, const ondc_err_t *err, int status, const char *code,
                          const char *type, const char *path)
{
    char *body = ack_nack_body(err);
    assert_non_null(body);
    json_t *j = json_loads(body, 0, NULL);
    free(body);
    assert_non_null(j);
    const char *p = fixture_str_at(j, "error.path");
    int ok =
        err->http_status == status && strcmp(err->code, code) == 0 &&
        strcmp(err_type_name(err->type), type) == 0 &&
        (path ? p && strcmp(p, path) == 0 && strcmp(err->path, path) == 0 : !p && !err->path[0]) &&
        strcmp(fixture_str_at(j, "message.ack.status"), "NACK") == 0 &&
        strcmp(fixture_str_at(j, "error.code"), code) == 0 &&
        strcmp(fixture_str_at(j, "error.type"), type) == 0 && err->message[0] &&
        strcmp(fixture_str_at(j, "error.message"), err->message) == 0;
    json_decref(j);
    if (!ok)
        fail_msg("%s: got %d %s %s at \"%s\" (%s), want %d %s %s at \"%s\"", what, err->http_status,
                 err->code, err_type_name(err->type), err->path, err->message, status, code, type,
                 path ? path : "");
}

/* ---- ingress_check ---- */

enum {
    AUTH_NONE,
    AUTH_GOOD,
    AUTH_GARBLED,
    AUTH_OTHER_SUB,
    AUTH_UNKNOWN_KEY,
    AUTH_WRONG_KEY,
    AUTH_AFTER_SIGNING,
    AUTH_EXPIRED,
    AUTH_FUTURE,
    AUTH_GW_GOOD,
    AUTH_GW_FORGED
};

/* s_cat - S appended to the text in BUF, a buffer of SIZE bytes */
static void s_cat(char *buf, size_t size, const char *s)
{
    size_t n = strlen(buf);
    snprintf(buf + n, size - n, "%s", s);
}

/* the requests, good and bad; each bad one says what it tries */
static void test_check_table(void **state)
{
    fx_t *fx = *state;
    char deep[200] = "";
    for (int i = 0; i < 40; i++)
        s_cat(deep, sizeof deep, "[");
    for (int i = 0; i < 40; i++)
        s_cat(deep, sizeof deep, "]");
    char items[8192] = "[";
    for (int i = 0; i < 257; i++)
        s_cat(items, sizeof items, i ? ",{\"id\":\"x\"}" : "{\"id\":\"x\"}");
    s_cat(items, sizeof items, "]");
    static char raw_dup[] = "{\"context\":{},\"context\":{}}";
    const struct {
        const char *what, *action, *edit_path, *edit_value, *raw;
        int auth;
        int status; /* 0: ACK */
        const char *code, *type, *path;
        const char *why; /* in the error's message */
    } cases[] = {
        {"a signed search", "search", NULL, NULL, NULL, AUTH_GOOD, 0, NULL, NULL, NULL, ""},
        {"a signed init", "init", NULL, NULL, NULL, AUTH_GOOD, 0, NULL, NULL, NULL, ""},
        {"a search the gateway forwards", "search", NULL, NULL, NULL, AUTH_GW_GOOD, 0, NULL, NULL,
         NULL, ""},
        {"JSON nested deeper than max_json_depth", "search", "message.deep", deep, NULL, AUTH_GOOD,
         400, "30000", "JSON-SCHEMA-ERROR", NULL, "nested deeper than 32"},
        {"JSON cut short", "search", NULL, NULL, "{\"context\":{\"domain\":", AUTH_NONE, 400,
         "30000", "JSON-SCHEMA-ERROR", NULL, "unexpected end of input"},
        {"a key twice", "search", NULL, NULL, raw_dup, AUTH_NONE, 400, "30000", "JSON-SCHEMA-ERROR",
         NULL, "duplicate object key"},
        {"an array, not an object", "search", NULL, NULL, "[1,2]", AUTH_NONE, 400, "30000",
         "JSON-SCHEMA-ERROR", NULL, "must be a JSON object"},
        {"no context", "search", "context", NULL, NULL, AUTH_GOOD, 400, "30000",
         "JSON-SCHEMA-ERROR", "context", "context is required"},
        {"no bap_uri", "search", "context.bap_uri", NULL, NULL, AUTH_GOOD, 400, "30000",
         "CONTEXT-ERROR", "context.bap_uri", "bap_uri is required"},
        {"a transaction_id longer than 255", "search", "context.transaction_id",
         "\"tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
         "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
         "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt\"",
         NULL, AUTH_GOOD, 400, "30000", "CONTEXT-ERROR", "context.transaction_id",
         "longer than 255"},
        {"an init without bpp_id", "init", "context.bpp_id", NULL, NULL, AUTH_GOOD, 400, "30000",
         "CONTEXT-ERROR", "context.bpp_id", "required for this action"},
        {"context.action not the endpoint's", "init", "context.action", "\"select\"", NULL,
         AUTH_GOOD, 400, "30000", "CONTEXT-ERROR", "context.action", "does not match the endpoint"},
        {"a domain not served", "search", "context.domain", "\"ONDC:FIS12\"", NULL, AUTH_GOOD, 400,
         "30000", "CONTEXT-ERROR", "context.domain", "\"ONDC:FIS12\" is not served"},
        {"another country", "search", "context.country", "\"USA\"", NULL, AUTH_GOOD, 400, "30000",
         "CONTEXT-ERROR", "context.country", "\"USA\" is not served"},
        {"a city that is not std:NNN", "search", "context.city", "\"Bengaluru\"", NULL, AUTH_GOOD,
         400, "30000", "CONTEXT-ERROR", "context.city", "must be std:NNN"},
        {"every city, for an init", "init", "context.city", "\"*\"", NULL, AUTH_GOOD, 400, "30000",
         "CONTEXT-ERROR", "context.city", "\"*\" is not served"},
        {"every city, for a search", "search", "context.city", "\"*\"", NULL, AUTH_GOOD, 0, NULL,
         NULL, NULL, ""},
        {"core 1.0.0 in a retail 1.2 domain", "search", "context.core_version", "\"1.0.0\"", NULL,
         AUTH_GOOD, 400, "30000", "CONTEXT-ERROR", "context.core_version",
         "not supported for this domain"},
        {"a bap_uri that is not a URL", "search", "context.bap_uri", "\"ftp://x\"", NULL, AUTH_GOOD,
         400, "30000", "CONTEXT-ERROR", "context.bap_uri", "must be an http(s) URL"},
        {"a bap_uri beside the registered subscriber_url", "search", "context.bap_uri",
         "\"https://buyer.example/ondcx\"", NULL, AUTH_GOOD, 400, "30000", "CONTEXT-ERROR",
         "context.bap_uri", "not under the buyer app's registered subscriber_url"},
        {"a bap_uri at this machine's loopback", "search", "context.bap_uri",
         "\"http://127.0.0.1:8081/seller/v1/catalog\"", NULL, AUTH_GOOD, 400, "30000",
         "CONTEXT-ERROR", "context.bap_uri", "not under the buyer app's registered subscriber_url"},
        {"another seller app's bpp_id", "init", "context.bpp_id", "\"other.seller\"", NULL,
         AUTH_GOOD, 400, "30000", "CONTEXT-ERROR", "context.bpp_id", "not this seller app"},
        {"message_id = transaction_id", "search", "context.message_id", "\"txn-1\"", NULL,
         AUTH_GOOD, 400, "30000", "CONTEXT-ERROR", "context.message_id",
         "must differ from transaction_id"},
        {"a timestamp that is not RFC 3339", "search", "context.timestamp", "\"yesterday\"", NULL,
         AUTH_GOOD, 400, "30000", "CONTEXT-ERROR", "context.timestamp", "must be RFC 3339"},
        {"a ttl that is not a duration", "search", "context.ttl", "\"soon\"", NULL, AUTH_GOOD, 400,
         "30000", "CONTEXT-ERROR", "context.ttl", "ISO 8601 duration"},
        {"stale: timestamp + ttl + skew passed", "search", "context.timestamp",
         "\"2024-06-01T09:57:00.000Z\"", NULL, AUTH_GOOD, 400, "30022", "CONTEXT-ERROR",
         "context.timestamp", "stale request"},
        {"no message", "search", "message", NULL, NULL, AUTH_GOOD, 400, "30000",
         "JSON-SCHEMA-ERROR", "message", "message is required"},
        {"257 items", "init", "message.order.items", items, NULL, AUTH_GOOD, 400, "30000",
         "JSON-SCHEMA-ERROR", "message.order.items", "more than 256 entries"},
        /* ONDC's retail schema (schema_retail.c), after the context and
         * before any signature */
        {"a search without the buyer app's finder fee", "search", "message.intent.payment", NULL,
         NULL, AUTH_GOOD, 400, "30000", "JSON-SCHEMA-ERROR", "message.intent.payment",
         "message.intent.payment is required"},
        {"an init whose count is a string", "init", "message.order.items",
         "[{\"id\":\"42602097\",\"fulfillment_id\":\"1\",\"quantity\":{\"count\":\"1\"}}]",
         NULL, AUTH_GOOD, 400, "30000", "JSON-SCHEMA-ERROR", "message.order.items[0].quantity.count",
         "must be an integer"},
        {"a retail request without ttl", "status", "context.ttl", NULL, NULL, AUTH_GOOD, 400,
         "30000", "JSON-SCHEMA-ERROR", "context.ttl", "context.ttl is required"},
        {"a schema fault is refused before a bad signature is seen", "cancel",
         "message.cancellation_reason_id", "\"3\"", NULL, AUTH_OTHER_SUB, 400, "30000",
         "JSON-SCHEMA-ERROR", "message.cancellation_reason_id", "at least 3 characters"},
        {"no Authorization", "search", NULL, NULL, NULL, AUTH_NONE, 401, "30016", "POLICY-ERROR",
         NULL, "Authorization header is required"},
        {"an Authorization that does not parse", "search", NULL, NULL, NULL, AUTH_GARBLED, 401,
         "30016", "POLICY-ERROR", NULL, "missing created or expires"},
        {"keyId of another subscriber than bap_id", "search", NULL, NULL, NULL, AUTH_OTHER_SUB, 401,
         "30016", "POLICY-ERROR", "context.bap_id", "not the sender"},
        {"a key the registry does not have", "search", NULL, NULL, NULL, AUTH_UNKNOWN_KEY, 401,
         "30016", "POLICY-ERROR", NULL, "unknown subscriber key buyer.example|k9"},
        {"signed with another key", "search", NULL, NULL, NULL, AUTH_WRONG_KEY, 401, "30016",
         "POLICY-ERROR", NULL, "signature mismatch"},
        {"the body changed after signing", "search", NULL, NULL, NULL, AUTH_AFTER_SIGNING, 401,
         "30016", "POLICY-ERROR", NULL, "signature mismatch"},
        {"a signature expired past the skew", "search", NULL, NULL, NULL, AUTH_EXPIRED, 401,
         "30016", "POLICY-ERROR", NULL, "signature expired"},
        {"a signature created past the skew ahead", "search", NULL, NULL, NULL, AUTH_FUTURE, 401,
         "30016", "POLICY-ERROR", NULL, "created in the future"},
        {"the gateway's header forged", "search", NULL, NULL, NULL, AUTH_GW_FORGED, 401, "30016",
         "POLICY-ERROR", NULL, "signature mismatch"},
    };
    int64_t now = s_now();
    for (size_t i = 0; i < N(cases); i++) {
        char *body = cases[i].raw ? strdup(cases[i].raw) : s_request(fx, cases[i].action);
        if (cases[i].edit_path)
            body = s_edit(body, cases[i].edit_path, cases[i].edit_value);
        char *auth = NULL, *gw = NULL;
        long skew = fx->rt.cfg.signature_skew_s;
        switch (cases[i].auth) {
        case AUTH_GOOD:
            auth = s_auth(&fx->buyer, BAP, "k1", body, -1, 60);
            break;
        case AUTH_GARBLED:
            auth = strdup("Signature keyId=\"buyer.example|k1|ed25519\",algorithm=\"ed25519\"");
            break;
        case AUTH_OTHER_SUB:
            auth = s_auth(&fx->gateway, GW, "g1", body, -1, 60);
            break;
        case AUTH_UNKNOWN_KEY:
            auth = s_auth(&fx->buyer, BAP, "k9", body, -1, 60);
            break;
        case AUTH_WRONG_KEY:
            auth = s_auth(&fx->stranger, BAP, "k1", body, -1, 60);
            break;
        case AUTH_AFTER_SIGNING:
            auth = s_auth(&fx->buyer, BAP, "k1", body, -1, 60);
            body = s_edit(body, "message.intent.payment.@ondc/org/buyer_app_finder_fee_amount",
                          "\"4\"");
            break;
        case AUTH_EXPIRED:
            auth = s_auth(&fx->buyer, BAP, "k1", body, -skew - 100, 60);
            break;
        case AUTH_FUTURE:
            auth = s_auth(&fx->buyer, BAP, "k1", body, skew + 60, 60);
            break;
        case AUTH_GW_GOOD:
            auth = s_auth(&fx->buyer, BAP, "k1", body, -1, 60);
            gw = s_auth(&fx->gateway, GW, "g1", body, -1, 60);
            break;
        case AUTH_GW_FORGED:
            auth = s_auth(&fx->buyer, BAP, "k1", body, -1, 60);
            gw = s_auth(&fx->stranger, GW, "g1", body, -1, 60);
            break;
        }
        int action = context_action_parse(cases[i].action);
        journal_row_t row;
        memset(&row, 0, sizeof row);
        ondc_err_t err;
        err_clear(&err);
        int rc = ingress_check(&fx->in, action, body, strlen(body), auth, gw, now, &row, &err);
        if (cases[i].status == 0) {
            if (rc != 0)
                fail_msg("%s: refused %d %s %s (%s)", cases[i].what, err.http_status, err.code,
                         err.path, err.message);
            /* what the journal row gets */
            assert_int_equal(row.action, action);
            assert_int_equal(row.received_ms, now);
            assert_string_equal(row.sender, BAP);
            assert_string_equal(row.transaction_id, "txn-1");
            assert_string_equal(row.message_id, "msg-1");
        } else {
            if (rc != -1)
                fail_msg("%s: accepted", cases[i].what);
            s_assert_nack(cases[i].what, &err, cases[i].status, cases[i].code, cases[i].type,
                          cases[i].path);
            if (!strstr(err.message, cases[i].why))
                fail_msg("%s: \"%s\" does not say \"%s\"", cases[i].what, err.message,
                         cases[i].why);
            /* which header failed is named */
            if (cases[i].auth == AUTH_GW_FORGED)
                assert_non_null(strstr(err.message, "X-Gateway-Authorization: "));
            else if (cases[i].auth == AUTH_WRONG_KEY || cases[i].auth == AUTH_GARBLED)
                assert_true(strncmp(err.message, "Authorization: ", 15) == 0);
        }
        free(auth);
        free(gw);
        free(body);
    }
}

/* with verify_signatures off a request needs no Authorization, and one
 * that carries a bad one is not held against it */
static void test_check_unsigned(void **state)
{
    fx_t *fx = *state;
    fx->rt.cfg.verify_signatures = 0;
    char *body = s_request(fx, "init");
    journal_row_t row;
    ondc_err_t err;
    assert_int_equal(
        ingress_check(&fx->in, ACT_INIT, body, strlen(body), NULL, NULL, s_now(), &row, &err), 0);
    assert_string_equal(row.sender, BAP);
    assert_int_equal(
        ingress_check(&fx->in, ACT_INIT, body, strlen(body), "garbage", NULL, s_now(), &row, &err),
        0);
    /* the context is checked all the same */
    body = s_edit(body, "context.bpp_id", "\"other.seller\"");
    assert_int_equal(
        ingress_check(&fx->in, ACT_INIT, body, strlen(body), NULL, NULL, s_now(), &row, &err), -1);
    s_assert_nack("unsigned, another seller's bpp_id", &err, 400, "30000", "CONTEXT-ERROR",
                  "context.bpp_id");
    free(body);
    fx->rt.cfg.verify_signatures = 1;
}

/* the rate limit: rate_limit.burst requests at once from one sender, the
 * next refused 429, another sender untouched, and a token back after
 * 1 / rate_limit.per_s seconds */
static void test_check_rate_limit(void **state)
{
    fx_t *fx = *state;
    fx->rt.cfg.rate_limit_per_s = 2;
    fx->rt.cfg.rate_limit_burst = 3;
    fx->rt.cfg.verify_signatures = 0;
    char *body = s_request(fx, "search");
    char *other = s_edit(s_request(fx, "search"), "context.bap_id", "\"other-buyer.example\"");
    /* later than the requests before: the sender's bucket has filled up
     * to the burst */
    int64_t now = s_now() + 5000;
    journal_row_t row;
    ondc_err_t err;
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            ingress_check(&fx->in, ACT_SEARCH, body, strlen(body), NULL, NULL, now, &row, &err), 0);
    assert_int_equal(
        ingress_check(&fx->in, ACT_SEARCH, body, strlen(body), NULL, NULL, now, &row, &err), -1);
    s_assert_nack("past the burst", &err, 429, "30000", "POLICY-ERROR", NULL);
    assert_int_equal(
        ingress_check(&fx->in, ACT_SEARCH, other, strlen(other), NULL, NULL, now, &row, &err), 0);
    assert_int_equal(
        ingress_check(&fx->in, ACT_SEARCH, body, strlen(body), NULL, NULL, now + 500, &row, &err),
        0);
    assert_int_equal(
        ingress_check(&fx->in, ACT_SEARCH, body, strlen(body), NULL, NULL, now + 500, &row, &err),
        -1);
    free(body);
    free(other);
    fx->rt.cfg.rate_limit_per_s = fx->st->cfg.rate_limit_per_s;
    fx->rt.cfg.rate_limit_burst = fx->st->cfg.rate_limit_burst;
    fx->rt.cfg.verify_signatures = 1;
}

/* ---- the HTTP front ---- */

typedef struct {
    int status;
    char www_auth[256];
    json_t *body; /* the answer, parsed (owned) */
} s_answer_t;

/* s_http - send RAW (the whole HTTP request; LEN bytes) to the network
 * listener on PORT, running the listener in between, and read the answer
 * into A. 0, or -1 when no whole answer came within two seconds. */
static int s_http(fx_t *fx, int port, const char *raw, size_t len, s_answer_t *a)
{
    memset(a, 0, sizeof *a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    assert_true(rc == 0 || errno == EINPROGRESS);
    size_t sent = 0, got = 0, cap = 65536;
    char *in = malloc(cap);
    assert_non_null(in);
    int64_t until = clock_mono_ms() + 2000;
    int done = 0;
    while (!done && clock_mono_ms() < until) {
        MHD_run(fx->in.net);
        if (sent < len) {
            ssize_t n = send(fd, raw + sent, len - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
        }
        ssize_t n = recv(fd, in + got, cap - got - 1, 0);
        if (n > 0) {
            got += (size_t)n;
            in[got] = '\0';
            /* whole when the head is in and Content-Length bytes after it */
            const char *end = strstr(in, "\r\n\r\n");
            const char *cl = strcasestr(in, "\r\nContent-Length:");
            if (end && cl && got >= (size_t)(end + 4 - in) + strtoul(cl + 17, NULL, 10))
                done = 1;
        } else if (n == 0) {
            done = 1;
        } else {
            struct pollfd p = {fd, POLLIN, 0};
            poll(&p, 1, 1);
        }
    }
    close(fd);
    if (!done) {
        free(in);
        return -1;
    }
    in[got] = '\0';
    sscanf(in, "HTTP/1.%*d %d", &a->status);
    const char *w = strcasestr(in, "\r\nWWW-Authenticate: ");
    if (w) {
        w += 20;
        size_t n = strcspn(w, "\r");
        snprintf(a->www_auth, sizeof a->www_auth, "%.*s", (int)n, w);
    }
    const char *end = strstr(in, "\r\n\r\n");
    a->body = end ? json_loads(end + 4, 0, NULL) : NULL;
    free(in);
    return 0;
}

/* the requests refused before ingress_check, and one it refuses, through
 * the network listener; body limit 1024 bytes (max_body_bytes' least) */
static void test_http_front(void **state)
{
    fx_t *fx = *state;
    fx->rt.cfg.max_body_bytes = 1024;
    snprintf(fx->rt.cfg.listen, sizeof fx->rt.cfg.listen, "127.0.0.1:0");
    snprintf(fx->rt.cfg.admin_listen, sizeof fx->rt.cfg.admin_listen, "127.0.0.1:0");
    fx->rt.loop = loop_new();
    assert_non_null(fx->rt.loop);
    assert_int_equal(ingress_http_start(&fx->in), 0);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(fx->in.net, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(di);
    int port = di->port;
    assert_true(port > 0);

    char big[2048];
    memset(big, ' ', sizeof big);
    big[0] = '{';
    big[sizeof big - 1] = '}';
    /* the listener checks against the wall clock: a request of now */
    char ts[48];
    ts[0] = '"';
    context_format_time(clock_wall_ms(), ts + 1, sizeof ts - 2);
    s_cat(ts, sizeof ts, "\"");
    char *small = s_edit(s_request(fx, "search"), "context.timestamp", ts);
    enum { PLAIN, CHUNKED, DRAINING };
    const struct {
        const char *what, *method, *path, *ctype, *body;
        size_t len;
        int how, status;
        const char *code, *type, *epath;
    } cases[] = {
        {"an unknown endpoint", "POST", "/protocol/v1/teleport", "application/json", small,
         strlen(small), PLAIN, 404, "30000", "CONTEXT-ERROR", "context.action"},
        {"GET", "GET", "/protocol/v1/search", NULL, "", 0, PLAIN, 405, "30000", "CONTEXT-ERROR",
         NULL},
        {"a body over max_body_bytes", "POST", "/protocol/v1/search", "application/json", big,
         sizeof big, PLAIN, 413, "30000", "JSON-SCHEMA-ERROR", NULL},
        {"a body over max_body_bytes, chunked", "POST", "/search", "application/json", big,
         sizeof big, CHUNKED, 413, "30000", "JSON-SCHEMA-ERROR", NULL},
        {"a Content-Type that is not JSON", "POST", "/protocol/v1/search", "text/plain", small,
         strlen(small), PLAIN, 415, "30000", "JSON-SCHEMA-ERROR", NULL},
        {"the node shutting down", "POST", "/protocol/v1/search", "application/json", small,
         strlen(small), DRAINING, 503, "31001", "CORE-ERROR", NULL},
        {"no Authorization", "POST", "/protocol/v1/search", "application/json", small,
         strlen(small), PLAIN, 401, "30016", "POLICY-ERROR", NULL},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char *raw = malloc(cases[i].len + 512);
        assert_non_null(raw);
        int n = snprintf(raw, 512, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
                         cases[i].method, cases[i].path);
        if (cases[i].ctype)
            n += snprintf(raw + n, 512 - (size_t)n, "Content-Type: %s\r\n", cases[i].ctype);
        if (cases[i].how == CHUNKED) {
            n += snprintf(raw + n, 512 - (size_t)n, "Transfer-Encoding: chunked\r\n\r\n%zx\r\n",
                          cases[i].len);
            memcpy(raw + n, cases[i].body, cases[i].len);
            n += (int)cases[i].len;
            n += snprintf(raw + n, 16, "\r\n0\r\n\r\n");
        } else {
            n += snprintf(raw + n, 512 - (size_t)n, "Content-Length: %zu\r\n\r\n", cases[i].len);
            memcpy(raw + n, cases[i].body, cases[i].len);
            n += (int)cases[i].len;
        }
        fx->rt.draining = cases[i].how == DRAINING;
        s_answer_t a;
        print_message("http: %s\n", cases[i].what);
        assert_int_equal(s_http(fx, port, raw, (size_t)n, &a), 0);
        fx->rt.draining = 0;
        free(raw);
        assert_int_equal(a.status, cases[i].status);
        assert_non_null(a.body);
        assert_string_equal(fixture_str_at(a.body, "message.ack.status"), "NACK");
        assert_string_equal(fixture_str_at(a.body, "error.code"), cases[i].code);
        assert_string_equal(fixture_str_at(a.body, "error.type"), cases[i].type);
        if (cases[i].epath)
            assert_string_equal(fixture_str_at(a.body, "error.path"), cases[i].epath);
        else
            assert_null(fixture_json_at(a.body, "error.path"));
        /* a 401 says how to sign, realm our subscriber id */
        if (cases[i].status == 401)
            assert_string_equal(
                a.www_auth, "Signature realm=\"localhost\",headers=\"(created) (expires) digest\"");
        else
            assert_string_equal(a.www_auth, "");
        json_decref(a.body);
    }
    free(small);
    ingress_http_stop(&fx->in);
    loop_destroy(&fx->rt.loop);
    fx->rt.cfg.max_body_bytes = fx->st->cfg.max_body_bytes;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_table),
        cmocka_unit_test(test_check_unsigned),
        cmocka_unit_test(test_check_rate_limit),
        cmocka_unit_test(test_http_front),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
