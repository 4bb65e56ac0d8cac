/*
 * test_tags.c - tags.{c,h}: look-up in Beckn tag groups in both shapes
 * (descriptor.code and the older code), which code wins when a node has
 * both, the walk over repeated groups, missing pieces, values that are
 * not strings, and arrays or objects of the wrong JSON type.
 *
 * Table-driven: each row is a tags document (JSON text), a group, a code,
 * and the value tags_lookup must answer (NULL: none).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "tags.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static json_t *s_load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    if (!j)
        fail_msg("bad test JSON: %s: %s", text, e.text);
    return j;
}

typedef struct {
    const char *why;
    const char *tags; /* JSON text */
    const char *group, *code;
    const char *want; /* NULL: no value */
} lookup_case_t;

static const lookup_case_t s_lookup_cases[] = {
    {"older form",
     "[{\"code\":\"return_request\",\"list\":[{\"code\":\"item_id\",\"value\":\"I1\"}]}]",
     "return_request", "item_id", "I1"},
    {"1.2 form",
     "[{\"descriptor\":{\"code\":\"return_request\"},"
     "\"list\":[{\"descriptor\":{\"code\":\"item_id\"},\"value\":\"I2\"}]}]",
     "return_request", "item_id", "I2"},
    {"1.2 group, older entries",
     "[{\"descriptor\":{\"code\":\"g\"},\"list\":[{\"code\":\"c\",\"value\":\"v\"}]}]", "g", "c",
     "v"},
    {"older group, 1.2 entries",
     "[{\"code\":\"g\",\"list\":[{\"descriptor\":{\"code\":\"c\"},\"value\":\"v\"}]}]", "g", "c",
     "v"},
    {"the entry after others",
     "[{\"code\":\"g\",\"list\":[{\"code\":\"a\",\"value\":\"1\"},{\"code\":\"b\",\"value\":\"2\"},"
     "{\"code\":\"c\",\"value\":\"3\"}]}]",
     "g", "c", "3"},
    {"the first of two entries",
     "[{\"code\":\"g\",\"list\":[{\"code\":\"c\",\"value\":\"first\"},"
     "{\"code\":\"c\",\"value\":\"second\"}]}]",
     "g", "c", "first"},
    {"a later group when the first lacks the entry",
     "[{\"code\":\"g\",\"list\":[{\"code\":\"x\",\"value\":\"1\"}]},"
     "{\"code\":\"g\",\"list\":[{\"code\":\"c\",\"value\":\"2\"}]}]",
     "g", "c", "2"},
    {"another group's entry is not ours",
     "[{\"code\":\"other\",\"list\":[{\"code\":\"c\",\"value\":\"1\"}]}]", "g", "c", NULL},
    {"code wins over descriptor.code",
     "[{\"code\":\"g\",\"descriptor\":{\"code\":\"h\"},"
     "\"list\":[{\"code\":\"c\",\"descriptor\":{\"code\":\"d\"},\"value\":\"v\"}]}]",
     "h", "c", NULL},
    {"code wins (found by it)",
     "[{\"code\":\"g\",\"descriptor\":{\"code\":\"h\"},"
     "\"list\":[{\"code\":\"c\",\"descriptor\":{\"code\":\"d\"},\"value\":\"v\"}]}]",
     "g", "c", "v"},
    {"a non-string code falls back to descriptor.code",
     "[{\"code\":7,\"descriptor\":{\"code\":\"g\"},\"list\":[{\"code\":\"c\",\"value\":\"v\"}]}]",
     "g", "c", "v"},
    /* missing pieces */
    {"no groups", "[]", "g", "c", NULL},
    {"group without a list", "[{\"code\":\"g\"}]", "g", "c", NULL},
    {"group without a code", "[{\"list\":[{\"code\":\"c\",\"value\":\"v\"}]}]", "g", "c", NULL},
    {"descriptor without a code",
     "[{\"descriptor\":{\"name\":\"g\"},\"list\":[{\"code\":\"c\",\"value\":\"v\"}]}]", "g", "c",
     NULL},
    {"entry without a value", "[{\"code\":\"g\",\"list\":[{\"code\":\"c\"}]}]", "g", "c", NULL},
    {"entry without a code", "[{\"code\":\"g\",\"list\":[{\"value\":\"v\"}]}]", "g", "c", NULL},
    {"empty list", "[{\"code\":\"g\",\"list\":[]}]", "g", "c", NULL},
    /* values that are not strings */
    {"number value", "[{\"code\":\"g\",\"list\":[{\"code\":\"c\",\"value\":5}]}]", "g", "c", NULL},
    {"null value", "[{\"code\":\"g\",\"list\":[{\"code\":\"c\",\"value\":null}]}]", "g", "c", NULL},
    {"object value", "[{\"code\":\"g\",\"list\":[{\"code\":\"c\",\"value\":{\"v\":\"1\"}}]}]", "g",
     "c", NULL},
    {"a non-string value answers: no going on to a later entry",
     "[{\"code\":\"g\",\"list\":[{\"code\":\"c\",\"value\":1},{\"code\":\"c\",\"value\":\"2\"}]}]",
     "g", "c", NULL},
    {"nor to a later group",
     "[{\"code\":\"g\",\"list\":[{\"code\":\"c\",\"value\":true}]},"
     "{\"code\":\"g\",\"list\":[{\"code\":\"c\",\"value\":\"2\"}]}]",
     "g", "c", NULL},
    {"number code", "[{\"code\":\"g\",\"list\":[{\"code\":3,\"value\":\"v\"}]}]", "g", "3", NULL},
    /* arrays that are not arrays, objects that are not objects */
    {"tags an object", "{\"code\":\"g\",\"list\":[{\"code\":\"c\",\"value\":\"v\"}]}", "g", "c",
     NULL},
    {"tags a string", "\"g\"", "g", "c", NULL},
    {"tags null", "null", "g", "c", NULL},
    {"list an object", "[{\"code\":\"g\",\"list\":{\"code\":\"c\",\"value\":\"v\"}}]", "g", "c",
     NULL},
    {"list a string", "[{\"code\":\"g\",\"list\":\"c\"}]", "g", "c", NULL},
    {"group a string", "[\"g\",{\"code\":\"g\",\"list\":[{\"code\":\"c\",\"value\":\"v\"}]}]", "g",
     "c", "v"},
    {"entry an array",
     "[{\"code\":\"g\",\"list\":[[\"c\",\"x\"],{\"code\":\"c\",\"value\":\"v\"}]}]", "g", "c", "v"},
    {"descriptor a string", "[{\"descriptor\":\"g\",\"list\":[{\"code\":\"c\",\"value\":\"v\"}]}]",
     "g", "c", NULL},
};

static void test_lookup_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(s_lookup_cases); i++) {
        const lookup_case_t *c = &s_lookup_cases[i];
        json_t *tags = s_load(c->tags);
        const char *got = tags_lookup(tags, c->group, c->code);
        if (c->want == NULL && got != NULL)
            fail_msg("%s: want no value, got \"%s\"", c->why, got);
        if (c->want != NULL && (got == NULL || strcmp(got, c->want) != 0))
            fail_msg("%s: want \"%s\", got %s%s%s", c->why, c->want, got ? "\"" : "",
                     got ? got : "NULL", got ? "\"" : "");
        json_decref(tags);
    }
}

/* NULL arguments read as empty */
static void test_null(void **state)
{
    (void)state;
    size_t pos = 0;
    assert_null(tags_code(NULL));
    assert_null(tags_next(NULL, "g", &pos));
    assert_int_equal(pos, 0);
    assert_null(tags_find(NULL, "g"));
    assert_null(tags_list(NULL));
    assert_null(tags_value(NULL, "c"));
    assert_null(tags_lookup(NULL, "g", "c"));
}

static void test_code(void **state)
{
    (void)state;
    static const struct {
        const char *node, *want;
    } cases[] = {
        {"{\"code\":\"a\"}", "a"},
        {"{\"descriptor\":{\"code\":\"b\"}}", "b"},
        {"{\"code\":\"a\",\"descriptor\":{\"code\":\"b\"}}", "a"},
        {"{\"code\":null,\"descriptor\":{\"code\":\"b\"}}", "b"},
        {"{\"code\":1}", NULL},
        {"{\"descriptor\":{\"code\":2}}", NULL},
        {"{\"descriptor\":[{\"code\":\"b\"}]}", NULL},
        {"{}", NULL},
        {"[\"a\"]", NULL},
        {"\"a\"", NULL},
    };
    for (size_t i = 0; i < N(cases); i++) {
        json_t *n = s_load(cases[i].node);
        const char *got = tags_code(n);
        if (cases[i].want)
            assert_string_equal(got, cases[i].want);
        else
            assert_null(got);
        json_decref(n);
    }
}

/* tags_next walks every group with the code, in order, across both shapes
 * and past others; each pointer is the document's own node */
static void test_next_walks_groups(void **state)
{
    (void)state;
    json_t *tags =
        s_load("[{\"code\":\"s\",\"list\":[{\"code\":\"n\",\"value\":\"1\"}]},"
               "{\"code\":\"other\"},"
               "{\"descriptor\":{\"code\":\"s\"},\"list\":[{\"code\":\"n\",\"value\":\"2\"}]},"
               "5,"
               "{\"code\":\"s\",\"list\":[{\"code\":\"n\",\"value\":\"3\"}]}]");
    static const char *want[] = {"1", "2", "3"};
    static const size_t at[] = {0, 2, 4};
    size_t pos = 0, seen = 0;
    json_t *g;
    while ((g = tags_next(tags, "s", &pos)) != NULL) {
        assert_true(seen < N(want));
        if (seen >= N(want))
            break; /* not reached: the assertion ends the test */
        assert_ptr_equal(g, json_array_get(tags, at[seen]));
        assert_int_equal(pos, at[seen] + 1);
        assert_string_equal(tags_value(tags_list(g), "n"), want[seen]);
        seen++;
    }
    assert_int_equal(seen, N(want));
    /* past the end, and again: still none */
    assert_null(tags_next(tags, "s", &pos));
    pos = 99;
    assert_null(tags_next(tags, "s", &pos));
    /* tags_find is the first */
    assert_ptr_equal(tags_find(tags, "s"), json_array_get(tags, 0));
    assert_ptr_equal(tags_find(tags, "other"), json_array_get(tags, 1));
    assert_null(tags_find(tags, "none"));
    json_decref(tags);
}

static void test_list(void **state)
{
    (void)state;
    json_t *g = s_load("{\"code\":\"g\",\"list\":[{\"code\":\"c\",\"value\":\"v\"}]}");
    assert_ptr_equal(tags_list(g), json_object_get(g, "list"));
    json_decref(g);
    static const char *not_lists[] = {"{\"code\":\"g\",\"list\":{}}", "{\"code\":\"g\",\"list\":1}",
                                      "{\"code\":\"g\"}", "[[{\"code\":\"c\"}]]"};
    for (size_t i = 0; i < N(not_lists); i++) {
        json_t *n = s_load(not_lists[i]);
        assert_null(tags_list(n));
        json_decref(n);
    }
}

/* tags_value in a list of both shapes; the value points into the document */
static void test_value(void **state)
{
    (void)state;
    json_t *list = s_load("[{\"code\":\"type\",\"value\":\"10\"},"
                          "{\"descriptor\":{\"code\":\"val\"},\"value\":\"15\"},"
                          "{\"code\":\"unit\",\"value\":15},"
                          "{\"code\":\"location\",\"value\":\"L1\"}]");
    assert_string_equal(tags_value(list, "type"), "10");
    assert_string_equal(tags_value(list, "val"), "15");
    assert_null(tags_value(list, "unit"));
    assert_null(tags_value(list, "missing"));
    assert_ptr_equal(tags_value(list, "location"),
                     json_string_value(json_object_get(json_array_get(list, 3), "value")));
    json_decref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_table), cmocka_unit_test(test_null),
        cmocka_unit_test(test_code),         cmocka_unit_test(test_next_walks_groups),
        cmocka_unit_test(test_list),         cmocka_unit_test(test_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
