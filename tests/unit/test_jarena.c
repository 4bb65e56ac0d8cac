/*
 * test_jarena.c - jarena.{c,h}: jansson's allocations inside a scope come
 * from the arena and are taken back at its end; outside a scope, while
 * paused, past the block and in other threads they are malloc's; values
 * made while paused outlive the scope; jarena_dumps is free()-able in and
 * out of a scope. Built with ASan, a value used after its scope would be
 * reported (the block is poisoned at jarena_end).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jarena.h"

static const char *DOC = "{\"context\":{\"action\":\"init\",\"message_id\":\"m-1\"},"
                         "\"message\":{\"order\":{\"items\":[{\"id\":\"a\",\"quantity\":"
                         "{\"count\":2}},{\"id\":\"b\"}],\"note\":\"\\u00e9t\\u00e9\"}}}";

static void test_scope_uses_the_arena_and_ends_clean(void **state)
{
    (void)state;
    assert_int_equal(jarena_used(), 0);
    jarena_begin();
    json_t *v = json_loads(DOC, 0, NULL);
    assert_non_null(v);
    size_t used = jarena_used();
    assert_true(used > 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "context"), "action")),
                        "init");
    json_object_set_new(v, "extra", json_string("x"));
    assert_true(jarena_used() > used);
    json_decref(v); /* frees are no-ops inside the arena */
    jarena_end();
    assert_int_equal(jarena_used(), 0);
    /* outside a scope: malloc, nothing counted */
    json_t *o = json_loads(DOC, 0, NULL);
    assert_non_null(o);
    assert_int_equal(jarena_used(), 0);
    json_decref(o);
}

static void test_paused_values_outlive_the_scope(void **state)
{
    (void)state;
    jarena_begin();
    int st = jarena_pause();
    assert_int_equal(jarena_used(), 0);
    json_t *kept = json_loads(DOC, 0, NULL);
    jarena_resume(st);
    json_t *tmp = json_loads(DOC, 0, NULL);
    assert_true(jarena_used() > 0);
    json_decref(tmp);
    jarena_end();
    /* a new scope writes over the block; the kept value is intact */
    jarena_begin();
    for (int i = 0; i < 50; i++) {
        json_t *x = json_pack("{s:s,s:i}", "overwrite", "zzzzzzzzzzzzzzzzzzzzzzzzzz", "i", i);
        json_decref(x);
    }
    jarena_end();
    char *text = jarena_dumps(kept, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *again = json_loads(DOC, 0, NULL);
    char *want = jarena_dumps(again, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, want);
    free(text);
    free(want);
    json_decref(again);
    json_decref(kept);
}

static void test_larger_than_the_block(void **state)
{
    (void)state;
    /* about 3 MB of values: past the 1 MB block the scope goes on with malloc */
    jarena_begin();
    json_t *arr = json_array();
    for (int i = 0; i < 40000; i++)
        json_array_append_new(arr, json_pack("{s:i,s:s}", "i", i, "name", "item name text"));
    assert_int_equal(json_array_size(arr), 40000);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 39999), "i")), 39999);
    char *text = jarena_dumps(arr, JSON_COMPACT);
    assert_non_null(text);
    json_decref(arr);
    jarena_end();
    json_t *back = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(back);
    assert_int_equal(json_array_size(back), 40000);
    json_decref(back);
}

static void test_dumps_is_malloc_memory(void **state)
{
    (void)state;
    jarena_begin();
    json_t *v = json_loads(DOC, 0, NULL);
    char *small = jarena_dumps(v, JSON_COMPACT);
    json_t *big = json_array();
    for (int i = 0; i < 600; i++)
        json_array_append_new(big, json_string("0123456789"));
    char *large = jarena_dumps(big, JSON_COMPACT); /* > 4 KB: the second path */
    json_decref(v);
    json_decref(big);
    jarena_end();
    /* usable and free()-able after the scope */
    assert_non_null(small);
    assert_non_null(large);
    assert_true(strlen(large) > 4096);
    assert_int_equal(large[0], '[');
    assert_int_equal(large[strlen(large) - 1], ']');
    json_t *back = json_loads(small, 0, NULL);
    assert_non_null(back);
    json_decref(back);
    free(small);
    free(large);
}

static void *s_thread(void *arg)
{
    int *ok = arg;
    for (int round = 0; round < 200; round++) {
        jarena_begin();
        json_t *v = json_loads(DOC, 0, NULL);
        json_t *items =
            json_object_get(json_object_get(json_object_get(v, "message"), "order"), "items");
        if (!v || json_array_size(items) != 2)
            *ok = 0;
        json_decref(v);
        jarena_end();
    }
    return NULL;
}

static void test_threads_have_their_own_blocks(void **state)
{
    (void)state;
    pthread_t th[4];
    int ok[4] = {1, 1, 1, 1};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, s_thread, &ok[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(ok[i], 1);
    }
}

int main(void)
{
    jarena_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scope_uses_the_arena_and_ends_clean),
        cmocka_unit_test(test_paused_values_outlive_the_scope),
        cmocka_unit_test(test_larger_than_the_block),
        cmocka_unit_test(test_dumps_is_malloc_memory),
        cmocka_unit_test(test_threads_have_their_own_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
