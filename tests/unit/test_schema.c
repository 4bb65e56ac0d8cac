/*
 * test_schema.c - the schema checker (ondc/schema.c) and ONDC's retail
 * rules (ondc/schema_retail.c).
 *
 * The checker, on a small rule set of its own: each rule kind (required,
 * type, enum, format, least length, greatest length, least entries, a
 * conditional rule and its UNLESS form, a closed object, a rule limited to
 * a version or to F&B) passes a good document and refuses a bad one with
 * the path of the fault (array indexes included) and the ONDC error: 400,
 * 30000, JSON-SCHEMA-ERROR. The formats one by one, good and bad values.
 *
 * The retail rules: every request of tests/fixtures/retail/ meets them at
 * 1.2.0 and 1.2.5, in ONDC:RET10 and ONDC:RET11; a table of bad requests
 * (a field missing, a wrong type, a value not in the enum, a pattern not
 * met, an empty array, a key a 1.2.5 search does not allow, a conditional
 * field missing) is refused with the path; a core 1.0.0 request and an
 * action without a rule set are not held to them.
 *
 * Run with the working directory at the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "fixture_worker.h"
#include "schema.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const s_colours[] = {"red", "green", NULL};
static const char *const s_card[] = {"card", NULL};

static const schema_rule_t s_rules[] = {
    {.path = "", .types = SCH_OBJ, .flags = SCH_CLOSED},
    {.path = "name", .types = SCH_STR, .flags = SCH_REQ, .min = 2, .max = 5},
    {.path = "colour", .types = SCH_STR, .oneof = s_colours},
    {.path = "price", .types = SCH_STR, .fmt = SCH_F_AMOUNT},
    {.path = "count", .types = SCH_INT},
    {.path = "flag", .types = SCH_BOOL},
    {.path = "list", .types = SCH_ARR, .min = 1},
    {.path = "list[]", .types = SCH_OBJ},
    {.path = "list[].id", .types = SCH_STR, .flags = SCH_REQ},
    {.path = "list[].kind", .types = SCH_STR},
    {.path = "list[].number", .types = SCH_STR, .flags = SCH_REQ, .when = "kind",
     .when_in = s_card},
    {.path = "list[].note", .types = SCH_STR, .flags = SCH_REQ | SCH_UNLESS, .when = "kind",
     .when_in = s_card},
    {.path = "list[].tags", .types = SCH_ARR},
    {.path = "list[].tags[]", .types = SCH_STR | SCH_ARR},
    {.path = "any", .types = 0},
    {.path = "new", .types = SCH_STR, .flags = SCH_REQ | SCH_V125},
    {.path = "fnb", .types = SCH_STR, .flags = SCH_REQ | SCH_FNB},
};
static const schema_set_t s_set = {"test", s_rules, N(s_rules)};

/* s_check - DOC (JSON text) against s_set at V125/FNB; the error's path
 * when refused, or NULL when it passes (static buffer) */
static const char *s_check(const char *doc, int v125, int fnb, ondc_err_t *err)
{
    json_error_t je;
    json_t *root = json_loads(doc, 0, &je);
    if (!root)
        fail_msg("bad test JSON %s: %s", doc, je.text);
    err_clear(err);
    int rc = schema_check_set(&s_set, v125, fnb, root, err);
    json_decref(root);
    if (rc == 0)
        return NULL;
    assert_int_equal(rc, -1);
    assert_int_equal(err->type, ERR_TYPE_JSON_SCHEMA);
    assert_int_equal(err->http_status, 400);
    assert_string_equal(err->code, "30000");
    assert_non_null(strstr(err->message, err->path));
    return err->path;
}

static void test_rule_kinds(void **state)
{
    (void)state;
    const struct {
        const char *doc;
        int v125, fnb;
        const char *path; /* NULL: passes */
        const char *says;
    } cases[] = {
        {"{\"name\":\"ab\"}", 0, 0, NULL, NULL},
        {"{\"name\":\"abc\",\"colour\":\"red\",\"price\":\"9.50\",\"count\":3,\"flag\":true,"
         "\"list\":[{\"id\":\"1\",\"note\":\"n\"},{\"id\":\"2\",\"kind\":\"card\",\"number\":\"4\"}],"
         "\"any\":[1]}",
         0, 0, NULL, NULL},
        {"{}", 0, 0, "name", "name is required"},
        {"{\"name\":5}", 0, 0, "name", "name must be a string"},
        {"{\"name\":null}", 0, 0, "name", "must be a string"},
        {"{\"name\":\"a\"}", 0, 0, "name", "at least 2 characters"},
        {"{\"name\":\"abcdef\"}", 0, 0, "name", "at most 5 characters"},
        {"{\"name\":\"ab\",\"colour\":\"blue\"}", 0, 0, "colour", "must be one of: red, green"},
        {"{\"name\":\"ab\",\"price\":\"9.999\"}", 0, 0, "price", "at most 2 decimals"},
        {"{\"name\":\"ab\",\"count\":1.5}", 0, 0, "count", "must be an integer"},
        {"{\"name\":\"ab\",\"count\":2.0}", 0, 0, NULL, NULL},
        {"{\"name\":\"ab\",\"count\":\"2\"}", 0, 0, "count", "must be an integer"},
        {"{\"name\":\"ab\",\"flag\":\"yes\"}", 0, 0, "flag", "true or false"},
        {"{\"name\":\"ab\",\"list\":[]}", 0, 0, "list", "at least 1 entry"},
        {"{\"name\":\"ab\",\"list\":{}}", 0, 0, "list", "must be an array"},
        {"{\"name\":\"ab\",\"list\":[{\"id\":\"1\",\"note\":\"n\"},7]}", 0, 0, "list[1]",
         "must be an object"},
        {"{\"name\":\"ab\",\"list\":[{\"id\":\"1\",\"note\":\"n\"},{\"note\":\"n\"}]}", 0, 0,
         "list[1].id", "list[1].id is required"},
        /* conditional: number when kind is card, note unless it is */
        {"{\"name\":\"ab\",\"list\":[{\"id\":\"1\",\"kind\":\"card\"}]}", 0, 0, "list[0].number",
         "is required"},
        {"{\"name\":\"ab\",\"list\":[{\"id\":\"1\",\"kind\":\"cash\"}]}", 0, 0, "list[0].note",
         "is required"},
        {"{\"name\":\"ab\",\"list\":[{\"id\":\"1\",\"kind\":\"card\",\"number\":\"4\"}]}", 0, 0,
         NULL, NULL},
        /* an array of strings or of arrays, and what is in neither */
        {"{\"name\":\"ab\",\"list\":[{\"id\":\"1\",\"note\":\"n\",\"tags\":[\"a\",[]]}]}", 0, 0,
         NULL, NULL},
        {"{\"name\":\"ab\",\"list\":[{\"id\":\"1\",\"note\":\"n\",\"tags\":[\"a\",{}]}]}", 0, 0,
         "list[0].tags[1]", "a string or an array of strings"},
        /* closed: the root names no other key */
        {"{\"name\":\"ab\",\"extra\":1}", 0, 0, "extra", "extra is not allowed here"},
        /* limited to a version, to F&B */
        {"{\"name\":\"ab\"}", 1, 0, "new", "new is required"},
        {"{\"name\":\"ab\",\"new\":\"x\"}", 1, 0, NULL, NULL},
        {"{\"name\":\"ab\",\"new\":\"x\"}", 0, 0, "new", "not allowed here"},
        {"{\"name\":\"ab\"}", 0, 1, "fnb", "fnb is required"},
        {"{\"name\":\"ab\",\"fnb\":\"x\"}", 1, 1, "new", "new is required"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        ondc_err_t err;
        const char *path = s_check(cases[i].doc, cases[i].v125, cases[i].fnb, &err);
        if (!cases[i].path != !path || (path && strcmp(path, cases[i].path) != 0))
            fail_msg("%s (v125 %d, fnb %d): got %s (%s), want %s", cases[i].doc, cases[i].v125,
                     cases[i].fnb, path ? path : "pass", path ? err.message : "",
                     cases[i].path ? cases[i].path : "pass");
        if (path && !strstr(err.message, cases[i].says))
            fail_msg("%s: \"%s\" does not say \"%s\"", cases[i].doc, err.message, cases[i].says);
    }
}

static void test_formats(void **state)
{
    (void)state;
    const struct {
        schema_fmt_t f;
        const char *s;
        int ok;
    } cases[] = {
        {SCH_F_AMOUNT, "0", 1},
        {SCH_F_AMOUNT, "99.00", 1},
        {SCH_F_AMOUNT, "99.5", 1},
        {SCH_F_AMOUNT, "99.", 0},
        {SCH_F_AMOUNT, ".5", 0},
        {SCH_F_AMOUNT, "-1", 0},
        {SCH_F_AMOUNT, "1,5", 0},
        {SCH_F_AMOUNT, "", 0},
        {SCH_F_SAMOUNT, "-10.00", 1},
        {SCH_F_SAMOUNT, "+1", 1},
        {SCH_F_SAMOUNT, "--1", 0},
        {SCH_F_PERCENT, "0", 1},
        {SCH_F_PERCENT, "12.5", 1},
        {SCH_F_PERCENT, "100", 1},
        {SCH_F_PERCENT, "100.00", 1},
        {SCH_F_PERCENT, "100.5", 0},
        {SCH_F_PERCENT, "101", 0},
        {SCH_F_TIMESTAMP, "2024-06-01T10:00:00.000Z", 1},
        {SCH_F_TIMESTAMP, "2024-06-01T10:00:00Z", 0},
        {SCH_F_TIMESTAMP, "2024-06-01T10:00:00.000000Z", 0},
        {SCH_F_TIMESTAMP, "2024-02-30T10:00:00.000Z", 0},
        {SCH_F_TIMESTAMP, "2024-06-01T10:00:00.000+05:30", 0},
        {SCH_F_DURATION, "PT30S", 1},
        {SCH_F_DURATION, "P1D", 1},
        {SCH_F_DURATION, "30S", 0},
        {SCH_F_ORDER_ID, "O-123", 1},
        {SCH_F_ORDER_ID, "0123456789abcdef0123456789abcdef", 1},
        {SCH_F_ORDER_ID, "0123456789abcdef0123456789abcdef0", 0},
        {SCH_F_ORDER_ID, "3c1a7e52-2d7b-4c39-9b0e-2f4a8a9d5e11", 1},
        {SCH_F_ORDER_ID, "O_1", 0},
        {SCH_F_ORDER_ID, "", 0},
        {SCH_F_EMAIL, "a@b.in", 1},
        {SCH_F_EMAIL, "a b@c.in", 0},
        {SCH_F_EMAIL, "a@b", 0},
        {SCH_F_EMAIL, "@b.in", 0},
        {SCH_F_NONBLANK, "INR", 1},
        {SCH_F_NONBLANK, "  ", 0},
        {SCH_F_URL, "https://x", 1},
        {SCH_F_URL, "ftp://x", 0},
    };
    for (size_t i = 0; i < N(cases); i++)
        if (schema_fmt_ok(cases[i].f, cases[i].s) != cases[i].ok)
            fail_msg("format %d of \"%s\": want %d", cases[i].f, cases[i].s, cases[i].ok);
}

static const char *const s_actions[] = {"search", "select", "init",   "confirm", "status",
                                        "track",  "cancel", "update", "rating",  "support"};

/* s_fixture - tests/fixtures/retail/ACTION.json at VERSION in DOMAIN */
static json_t *s_fixture(const char *action, const char *version, const char *domain)
{
    char path[96];
    snprintf(path, sizeof path, "tests/fixtures/retail/%s.json", action);
    json_t *req = fixture_worker_load(path);
    assert_non_null(req);
    json_t *ctx = json_object_get(req, "context");
    json_object_set_new(ctx, "core_version", json_string(version));
    json_object_set_new(ctx, "domain", json_string(domain));
    return req;
}

static void test_retail_fixtures_pass(void **state)
{
    (void)state;
    static const char *versions[] = {"1.2.0", "1.2.5"}, *domains[] = {"ONDC:RET10", "ONDC:RET11"};
    for (size_t a = 0; a < N(s_actions); a++)
        for (int v = 0; v < 2; v++)
            for (int d = 0; d < 2; d++) {
                json_t *req = s_fixture(s_actions[a], versions[v], domains[d]);
                ondc_err_t err;
                if (schema_check(s_actions[a], domains[d], versions[v], req, &err) != 0)
                    fail_msg("%s %s %s refused: %s", s_actions[a], versions[v], domains[d],
                             err.message);
                json_decref(req);
            }
}

/* s_set_at - set (VALUE: JSON text) or delete (NULL) dotted PATH in REQ;
 * a step "[N]" is an array index */
static void s_set_at(json_t *req, const char *path, const char *value)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *at = req;
    char *save = NULL, *tok = strtok_r(buf, ".", &save);
    while (tok) {
        char *next = strtok_r(NULL, ".", &save);
        char *br = strchr(tok, '[');
        size_t idx = 0;
        if (br) {
            idx = (size_t)atoi(br + 1);
            *br = '\0';
        }
        if (!next && !br) {
            if (value)
                json_object_set_new(at, tok, json_loads(value, JSON_DECODE_ANY, NULL));
            else
                json_object_del(at, tok);
            return;
        }
        at = json_object_get(at, tok);
        if (br) {
            if (!next) {
                if (value)
                    json_array_set_new(at, idx, json_loads(value, JSON_DECODE_ANY, NULL));
                else
                    json_array_remove(at, idx);
                return;
            }
            at = json_array_get(at, idx);
        }
        assert_non_null(at);
        tok = next;
    }
}

static void test_retail_refusals(void **state)
{
    (void)state;
    const struct {
        const char *what, *action, *version, *set, *value, *path, *says;
    } cases[] = {
        {"missing required field", "search", "1.2.0", "message.intent.payment", NULL,
         "message.intent.payment", "is required"},
        {"finder fee type not percent", "search", "1.2.0",
         "message.intent.payment.@ondc/org/buyer_app_finder_fee_type", "\"amount\"",
         "message.intent.payment.@ondc/org/buyer_app_finder_fee_type", "one of: percent"},
        {"finder fee amount with 3 decimals", "search", "1.2.5",
         "message.intent.payment.@ondc/org/buyer_app_finder_fee_amount", "\"3.125\"",
         "message.intent.payment.@ondc/org/buyer_app_finder_fee_amount", "at most 2 decimals"},
        {"an empty tag list", "search", "1.2.0", "message.intent.tags[0].list", "[]",
         "message.intent.tags[0].list", "at least 1 entry"},
        {"a 1.2.0 tag code at 1.2.5", "search", "1.2.5", "message.intent.tags[0].code",
         "\"bnp_features\"", "message.intent.tags[0].code", "must be one of"},
        {"bpp_id in a 1.2.5 search's context", "search", "1.2.5", "context.bpp_id", "\"x\"",
         "context.bpp_id", "not allowed here"},
        {"a key outside the 1.2.5 search message", "search", "1.2.5", "message.extra", "{}",
         "message.extra", "not allowed here"},
        {"a search end location without an area code", "search", "1.2.0",
         "message.intent.fulfillment.end", "{\"location\":{\"gps\":\"12.9,77.6\"}}",
         "message.intent.fulfillment.end.location.address", "is required"},
        {"a timestamp without milliseconds", "select", "1.2.0", "context.timestamp",
         "\"2024-06-01T10:00:00Z\"", "context.timestamp", "milliseconds"},
        {"no ttl", "select", "1.2.0", "context.ttl", NULL, "context.ttl", "is required"},
        {"select without location_id", "select", "1.2.0", "message.order.items[0].location_id",
         NULL, "message.order.items[0].location_id", "is required"},
        {"count as a string", "select", "1.2.5", "message.order.items[0].quantity.count", "\"1\"",
         "message.order.items[0].quantity.count", "must be an integer"},
        {"no fulfillments", "select", "1.2.0", "message.order.fulfillments", NULL,
         "message.order.fulfillments", "is required"},
        {"a billing phone too short", "init", "1.2.0", "message.order.billing.phone",
         "\"12345\"", "message.order.billing.phone", "at least 10"},
        {"a billing email that is not one", "init", "1.2.0", "message.order.billing.email",
         "\"asha at example\"", "message.order.billing.email", "email"},
        {"a self-pickup init at 1.2.0", "init", "1.2.0", "message.order.fulfillments[0].type",
         "\"Self-Pickup\"", "message.order.fulfillments[0].type", "one of: Delivery"},
        {"an empty fulfillments list at 1.2.5", "init", "1.2.5", "message.order.fulfillments",
         "[]", "message.order.fulfillments", "at least 1 entry"},
        {"an order id with a space", "confirm", "1.2.0", "message.order.id", "\"O 1\"",
         "message.order.id", "letters, digits"},
        {"a quote price with a comma", "confirm", "1.2.0", "message.order.quote.price.value",
         "\"1,000\"", "message.order.quote.price.value", "decimal"},
        {"a breakup title type nobody knows", "confirm", "1.2.5",
         "message.order.quote.breakup[1].@ondc/org/title_type", "\"fee\"",
         "message.order.quote.breakup[1].@ondc/org/title_type", "one of"},
        {"upi settlement without the upi address", "confirm", "1.2.0",
         "message.order.payment.@ondc/org/settlement_details[0].upi_address", NULL,
         "message.order.payment.@ondc/org/settlement_details[0].upi_address", "is required"},
        {"tracking missing", "confirm", "1.2.0", "message.order.fulfillments[0].tracking", NULL,
         "message.order.fulfillments[0].tracking", "is required"},
        {"tracking as a string", "confirm", "1.2.0", "message.order.fulfillments[0].tracking",
         "\"false\"", "message.order.fulfillments[0].tracking", "true or false"},
        {"a 1.2.0 delivery without end", "confirm", "1.2.0", "message.order.fulfillments[0].end",
         NULL, "message.order.fulfillments[0].end", "is required"},
        {"a 1.2.5 delivery without end", "confirm", "1.2.5", "message.order.fulfillments[0].end",
         NULL, "message.order.fulfillments[0].end", "is required"},
        {"status with an order id too long", "status", "1.2.0", "message.order_id",
         "\"0123456789abcdef0123456789abcdefX\"", "message.order_id", "1 to 32"},
        {"track with an empty order id", "track", "1.2.5", "message.order_id", "\"\"",
         "message.order_id", "must not be empty"},
        {"a cancel reason of 4 characters at 1.2.0", "cancel", "1.2.0",
         "message.cancellation_reason_id", "\"0031\"", "message.cancellation_reason_id",
         "at most 3"},
        {"a cancel reason not in the 1.2.5 list", "cancel", "1.2.5",
         "message.cancellation_reason_id", "\"007\"", "message.cancellation_reason_id",
         "one of"},
        {"no cancel descriptor at 1.2.5", "cancel", "1.2.5", "message.descriptor", NULL,
         "message.descriptor", "is required"},
        {"update target fulfillment at 1.2.0", "update", "1.2.0", "message.update_target",
         "\"fulfillment\"", "message.update_target", "one of: payment, item"},
        {"an update tag value that is a number", "update", "1.2.5",
         "message.order.fulfillments[0].tags[0].list[3].value", "3",
         "message.order.fulfillments[0].tags[0].list[3].value", "a string or an array"},
        {"a rating without id", "rating", "1.2.0", "message.id", NULL, "message.id",
         "is required"},
        {"support without ref_id", "support", "1.2.5", "message.ref_id", NULL, "message.ref_id",
         "is required"},
        {"no message", "status", "1.2.0", "message", NULL, "message", "is required"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        json_t *req = s_fixture(cases[i].action, cases[i].version, "ONDC:RET10");
        s_set_at(req, cases[i].set, cases[i].value);
        ondc_err_t err;
        err_clear(&err);
        int rc = schema_check(cases[i].action, "ONDC:RET10", cases[i].version, req, &err);
        json_decref(req);
        if (rc != -1)
            fail_msg("%s: accepted", cases[i].what);
        if (strcmp(err.path, cases[i].path) != 0 || !strstr(err.message, cases[i].says) ||
            err.type != ERR_TYPE_JSON_SCHEMA || strcmp(err.code, "30000") != 0 ||
            err.http_status != 400)
            fail_msg("%s: got %s at \"%s\" (%s), want \"%s\" saying \"%s\"", cases[i].what,
                     err.code, err.path, err.message, cases[i].path, cases[i].says);
    }
}

/* a self-pickup at 1.2.5 needs no end; a core 1.0.0 request and an action
 * without a rule set are not held to the retail rules */
static void test_retail_scope(void **state)
{
    (void)state;
    ondc_err_t err;
    json_t *req = s_fixture("confirm", "1.2.5", "ONDC:RET10");
    s_set_at(req, "message.order.fulfillments[0].type", "\"Self-Pickup\"");
    s_set_at(req, "message.order.fulfillments[0].end", NULL);
    assert_int_equal(schema_check("confirm", "ONDC:RET10", "1.2.5", req, &err), 0);
    json_decref(req);
    req = s_fixture("search", "1.0.0", "nic2004:52110");
    s_set_at(req, "message.intent", "{}");
    assert_int_equal(schema_check("search", "nic2004:52110", "1.0.0", req, &err), 0);
    assert_int_equal(schema_check("search", "nic2004:52110", "1.2.0", req, &err), -1);
    assert_string_equal(err.path, "message.intent.payment");
    assert_int_equal(schema_check("issue", "ONDC:RET10", "1.2.0", req, &err), 0);
    assert_int_equal(schema_check(NULL, "ONDC:RET10", "1.2.0", req, &err), 0);
    json_decref(req);
    assert_int_equal(schema_applies("1.2.0"), 1);
    assert_int_equal(schema_applies("1.2.5"), 1);
    assert_int_equal(schema_applies("1.0.0"), 0);
    assert_int_equal(schema_applies(NULL), 0);
}

/* a path longer than the error's buffer is cut, never overrun */
static void test_long_path(void **state)
{
    (void)state;
    char key[200];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    json_t *req = s_fixture("search", "1.2.5", "ONDC:RET10");
    json_object_set_new(json_object_get(req, "message"), key, json_true());
    ondc_err_t err;
    assert_int_equal(schema_check("search", "ONDC:RET10", "1.2.5", req, &err), -1);
    assert_true(strlen(err.path) < sizeof err.path);
    assert_int_equal(strncmp(err.path, "message.kkk", 11), 0);
    json_decref(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_kinds),         cmocka_unit_test(test_formats),
        cmocka_unit_test(test_retail_fixtures_pass), cmocka_unit_test(test_retail_refusals),
        cmocka_unit_test(test_retail_scope),       cmocka_unit_test(test_long_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
