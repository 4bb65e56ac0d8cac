/*
 * test_ack.c - ack.{c,h} and the error names of err.{c,h}: NACK bodies as
 * golden JSON (ONDC.md "ACK / NACK"), the error object, and reading a buyer
 * app's answer to our callbacks.
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

#include "ack.h"
#include "err.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    err_type_t type;
    int http;
    const char *code, *path, *message;
    const char *golden;
} nack_case_t;

static const nack_case_t s_nack_cases[] = {
    {ERR_TYPE_CONTEXT, 400, "30000", "context.city", "context.city \"x\" must be std:NNN or *",
     "{\"message\":{\"ack\":{\"status\":\"NACK\"}},\"error\":{\"type\":\"CONTEXT-ERROR\","
     "\"code\":\"30000\",\"path\":\"context.city\",\"message\":\"context.city \\\"x\\\" must be "
     "std:NNN or *\"}}"},
    {ERR_TYPE_POLICY, 401, "30016", "", "invalid signature",
     "{\"message\":{\"ack\":{\"status\":\"NACK\"}},\"error\":{\"type\":\"POLICY-ERROR\","
     "\"code\":\"30016\",\"message\":\"invalid signature\"}}"},
    {ERR_TYPE_CORE, 503, "31001", "", "overloaded; retry shortly",
     "{\"message\":{\"ack\":{\"status\":\"NACK\"}},\"error\":{\"type\":\"CORE-ERROR\","
     "\"code\":\"31001\",\"message\":\"overloaded; retry shortly\"}}"},
    {ERR_TYPE_DOMAIN, 400, "40009", "message.order.items[0].quantity.count", "at most 10",
     "{\"message\":{\"ack\":{\"status\":\"NACK\"}},\"error\":{\"type\":\"DOMAIN-ERROR\","
     "\"code\":\"40009\",\"path\":\"message.order.items[0].quantity.count\","
     "\"message\":\"at most 10\"}}"},
    {ERR_TYPE_JSON_SCHEMA, 400, "30000", "message", "message is required",
     "{\"message\":{\"ack\":{\"status\":\"NACK\"}},\"error\":{\"type\":\"JSON-SCHEMA-ERROR\","
     "\"code\":\"30000\",\"path\":\"message\",\"message\":\"message is required\"}}"},
};

static void s_fill(ondc_err_t *err, const nack_case_t *c)
{
    err_clear(err);
    assert_int_equal(err_set(err, c->type, c->http, c->code, c->path, "%s", c->message), -1);
}

static void test_nack_body_golden(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_nack_cases); i++) {
        ondc_err_t err;
        s_fill(&err, &s_nack_cases[i]);
        char *body = ack_nack_body(&err);
        assert_non_null(body);
        assert_string_equal(body, s_nack_cases[i].golden);
        /* and it reads back as a NACK */
        assert_int_equal(ack_parse(body, strlen(body)), 0);
        json_t *root = json_loads(body, 0, NULL);
        assert_non_null(root);
        json_t *e = json_object_get(root, "error");
        assert_string_equal(json_string_value(json_object_get(e, "code")), s_nack_cases[i].code);
        if (s_nack_cases[i].path[0])
            assert_string_equal(json_string_value(json_object_get(e, "path")),
                                s_nack_cases[i].path);
        else
            assert_null(json_object_get(e, "path")); /* omitted when empty */
        json_decref(root);
        free(body);
    }
}

static void test_error_object(void **state)
{
    (void)state;
    ondc_err_t err;
    s_fill(&err, &s_nack_cases[0]);
    json_t *e = ack_error_object(&err);
    assert_int_equal(json_object_size(e), 4);
    assert_string_equal(json_string_value(json_object_get(e, "type")), "CONTEXT-ERROR");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "30000");
    assert_string_equal(json_string_value(json_object_get(e, "path")), "context.city");
    json_decref(e);

    /* a message quoting invalid UTF-8 from the buyer is replaced, not dropped */
    err_set(&err, ERR_TYPE_CONTEXT, 400, "30000", "context.bap_id", "bad id \"%s\"", "\xff\xfe");
    e = ack_error_object(&err);
    assert_string_equal(json_string_value(json_object_get(e, "message")), "invalid request");
    json_decref(e);
    char *body = ack_nack_body(&err);
    assert_non_null(body);
    assert_int_equal(ack_parse(body, strlen(body)), 0);
    free(body);
}

static void test_err_set(void **state)
{
    (void)state;
    ondc_err_t err;
    /* long fields are cut to fit, NUL-terminated */
    char longpath[300], longmsg[600];
    memset(longpath, 'p', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    memset(longmsg, 'm', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    assert_int_equal(err_set(&err, ERR_TYPE_CORE, 500, "31001xyzw", longpath, "%s", longmsg), -1);
    assert_int_equal(strlen(err.code), sizeof err.code - 1);
    assert_int_equal(strlen(err.path), sizeof err.path - 1);
    assert_int_equal(strlen(err.message), sizeof err.message - 1);
    assert_int_equal(err.http_status, 500);
    /* NULL code and path become "" */
    err_set(&err, ERR_TYPE_CORE, 500, NULL, NULL, "x %d", 5);
    assert_string_equal(err.code, "");
    assert_string_equal(err.path, "");
    assert_string_equal(err.message, "x 5");
    /* a NULL err is allowed */
    assert_int_equal(err_set(NULL, ERR_TYPE_CORE, 500, "31001", "", "ignored"), -1);
    err_clear(&err);
    assert_int_equal(err.type, ERR_TYPE_NONE);
    assert_string_equal(err.code, "");
    err_clear(NULL);
}

static void test_err_type_names(void **state)
{
    (void)state;
    static const struct {
        err_type_t type;
        const char *name;
    } cases[] = {
        {ERR_TYPE_CONTEXT, "CONTEXT-ERROR"},   {ERR_TYPE_CORE, "CORE-ERROR"},
        {ERR_TYPE_DOMAIN, "DOMAIN-ERROR"},     {ERR_TYPE_POLICY, "POLICY-ERROR"},
        {ERR_TYPE_JSON_SCHEMA, "JSON-SCHEMA-ERROR"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        assert_string_equal(err_type_name(cases[i].type), cases[i].name);
        assert_int_equal(err_type_parse(cases[i].name), cases[i].type);
    }
    assert_string_equal(err_type_name(ERR_TYPE_NONE), "");
    assert_string_equal(err_type_name((err_type_t)99), "");
    assert_int_equal(err_type_parse("context-error"), ERR_TYPE_NONE);
    assert_int_equal(err_type_parse(""), ERR_TYPE_NONE);
    assert_int_equal(err_type_parse(NULL), ERR_TYPE_NONE);
}

static void test_ack_parse(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int want;
    } cases[] = {
        {ACK_BODY, 1},
        {"{\"message\":{\"ack\":{\"status\":\"ACK\"}}}", 1},
        {" {\"message\" : {\"ack\" : {\"status\" : \"ACK\"}}}\n", 1},
        {"{\"context\":{},\"message\":{\"ack\":{\"status\":\"ACK\"}}}", 1},
        {"{\"message\":{\"ack\":{\"status\":\"NACK\"}},\"error\":{\"code\":\"30000\"}}", 0},
        {"{\"message\":{\"ack\":{\"status\":\"NACK\"}}}", 0},
        {"{\"message\":{\"ack\":{\"status\":\"ack\"}}}", -1},
        {"{\"message\":{\"ack\":{\"status\":\"OK\"}}}", -1},
        {"{\"message\":{\"ack\":{\"status\":1}}}", -1},
        {"{\"message\":{\"ack\":{}}}", -1},
        {"{\"message\":{}}", -1},
        {"{\"status\":\"ACK\"}", -1},
        {"{}", -1},
        {"[]", -1},
        {"ACK", -1},
        {"<html>502 Bad Gateway</html>", -1},
        {"", -1},
        {"{\"message\":{\"ack\":{\"status\":\"ACK\"}}", -1}, /* cut short */
    };
    for (size_t i = 0; i < N(cases); i++) {
        int got = ack_parse(cases[i].body, strlen(cases[i].body));
        if (got != cases[i].want)
            fail_msg("ack_parse(%s) = %d, want %d", cases[i].body, got, cases[i].want);
    }
    /* only LEN bytes are read */
    const char *two = ACK_BODY "garbage";
    assert_int_equal(ack_parse(two, strlen(ACK_BODY)), 1);
    assert_int_equal(ack_parse(two, strlen(two)), -1);
    assert_int_equal(ack_parse(ACK_BODY, 10), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nack_body_golden), cmocka_unit_test(test_error_object),
        cmocka_unit_test(test_err_set),          cmocka_unit_test(test_err_type_names),
        cmocka_unit_test(test_ack_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
