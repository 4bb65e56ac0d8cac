/*
 * test_heap.c - heap.{c,h}: items come out smallest key first (duplicates
 * and negative keys too), the heap grows past its first array, an item is
 * taken out from the middle or given a new key and the order holds, and a
 * long run of mixed operations matches a plain array kept beside it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* a fixed pseudo-random sequence (xorshift64), so every run is the same */
static uint64_t s_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* pop everything; the keys must not go down and each item must carry the
 * key it was pushed with (KEYS, indexed by the item's place in ITEMS) */
static size_t s_drain_sorted(heap_t *h, const int *items, const int64_t *keys)
{
    int64_t prev = INT64_MIN, k;
    size_t n = 0;
    int *it;
    while ((it = heap_pop(h, &k))) {
        assert_true(k >= prev);
        assert_int_equal(k, keys[it - items]);
        prev = k;
        n++;
    }
    assert_int_equal(heap_size(h), 0);
    return n;
}

static void test_empty(void **state)
{
    (void)state;
    heap_t *h = heap_new();
    assert_non_null(h);
    int64_t k = 42;
    assert_null(heap_peek(h, &k));
    assert_null(heap_pop(h, &k));
    assert_int_equal(k, 42);
    int x;
    assert_int_equal(heap_remove(h, &x), -1);
    assert_int_equal(heap_rekey(h, &x, 1), -1);
    assert_int_equal(heap_size(h), 0);
    heap_destroy(&h);
    assert_null(h);
    heap_destroy(&h); /* NULL is fine */
    heap_destroy(NULL);
}

static void test_order(void **state)
{
    (void)state;
    static const int64_t keys[] = {50, -3, 7, 7, 0, 1000, 7, INT64_MAX, INT64_MIN, 2, 99, -3};
    int items[N(keys)];
    heap_t *h = heap_new();
    for (size_t i = 0; i < N(keys); i++)
        assert_int_equal(heap_push(h, keys[i], &items[i]), 0);
    assert_int_equal(heap_size(h), N(keys));
    int64_t k = 0;
    assert_ptr_equal(heap_peek(h, &k), &items[8]);
    assert_int_equal(k, INT64_MIN);
    assert_int_equal(heap_size(h), N(keys)); /* peek leaves it */
    assert_ptr_equal(heap_peek(h, NULL), &items[8]);
    assert_ptr_equal(heap_pop(h, NULL), &items[8]);
    /* the two -3 keys next, in either order */
    int *a = heap_pop(h, &k);
    assert_int_equal(k, -3);
    int *b = heap_pop(h, &k);
    assert_int_equal(k, -3);
    assert_true((a == &items[1] && b == &items[11]) || (a == &items[11] && b == &items[1]));
    assert_int_equal(s_drain_sorted(h, items, keys), N(keys) - 3);
    heap_destroy(&h);
}

static void test_growth(void **state)
{
    (void)state;
    enum { COUNT = 100000 };
    int *items = calloc(COUNT, sizeof *items);
    int64_t *keys = calloc(COUNT, sizeof *keys);
    assert_non_null(items);
    assert_non_null(keys);
    heap_t *h = heap_new();
    uint64_t seed = 88172645463325252ull;
    for (size_t i = 0; i < COUNT; i++) {
        keys[i] = (int64_t)(s_rand(&seed) % 5000); /* many equal keys */
        assert_int_equal(heap_push(h, keys[i], &items[i]), 0);
    }
    assert_int_equal(heap_size(h), COUNT);
    assert_int_equal(s_drain_sorted(h, items, keys), COUNT);
    /* empty again, it takes new items */
    assert_int_equal(heap_push(h, 5, &items[0]), 0);
    assert_ptr_equal(heap_pop(h, NULL), &items[0]);
    heap_destroy(&h);
    free(items);
    free(keys);
}

static void test_remove_from_the_middle(void **state)
{
    (void)state;
    enum { COUNT = 1000 };
    static int items[COUNT];
    static int64_t keys[COUNT];
    heap_t *h = heap_new();
    for (size_t i = 0; i < COUNT; i++) {
        keys[i] = (int64_t)((i * 7919) % COUNT); /* every key once, shuffled */
        assert_int_equal(heap_push(h, keys[i], &items[i]), 0);
    }
    /* every third item goes, wherever it sits (the top among them) */
    size_t left = COUNT;
    for (size_t i = 0; i < COUNT; i += 3) {
        assert_int_equal(heap_remove(h, &items[i]), 0);
        assert_int_equal(heap_remove(h, &items[i]), -1); /* gone */
        left--;
    }
    assert_int_equal(heap_size(h), left);
    /* what is left comes out in order, and none of the removed */
    int64_t prev = INT64_MIN, k;
    int *it;
    size_t n = 0;
    while ((it = heap_pop(h, &k))) {
        assert_true((it - items) % 3 != 0);
        assert_true(k >= prev);
        prev = k;
        n++;
    }
    assert_int_equal(n, left);
    /* the last entry and the only entry */
    assert_int_equal(heap_push(h, 1, &items[0]), 0);
    assert_int_equal(heap_push(h, 2, &items[1]), 0);
    assert_int_equal(heap_remove(h, &items[1]), 0);
    assert_ptr_equal(heap_pop(h, NULL), &items[0]);
    assert_int_equal(heap_push(h, 1, &items[0]), 0);
    assert_int_equal(heap_remove(h, &items[0]), 0);
    assert_null(heap_pop(h, NULL));
    heap_destroy(&h);
}

static void test_rekey(void **state)
{
    (void)state;
    int items[8];
    heap_t *h = heap_new();
    for (int i = 0; i < 8; i++)
        assert_int_equal(heap_push(h, 100 + i * 10, &items[i]), 0);
    /* up: the last comes first */
    assert_int_equal(heap_rekey(h, &items[7], 0), 0);
    /* down: the first goes last */
    assert_int_equal(heap_rekey(h, &items[0], 1000), 0);
    int64_t k;
    assert_ptr_equal(heap_pop(h, &k), &items[7]);
    assert_int_equal(k, 0);
    for (int i = 1; i < 7; i++) {
        assert_ptr_equal(heap_pop(h, &k), &items[i]);
        assert_int_equal(k, 100 + i * 10);
    }
    assert_ptr_equal(heap_pop(h, &k), &items[0]);
    assert_int_equal(k, 1000);
    int other;
    assert_int_equal(heap_rekey(h, &other, 5), -1);
    heap_destroy(&h);
}

/* mixed pushes, pops, removals and new keys, checked against an array of
 * what is held */
static void test_matches_a_plain_array(void **state)
{
    (void)state;
    enum { ITEMS = 300, STEPS = 20000 };
    static int items[ITEMS];
    static int64_t key[ITEMS];
    static int held[ITEMS];
    size_t nheld = 0;
    memset(held, 0, sizeof held);
    heap_t *h = heap_new();
    uint64_t seed = 0x2545F4914F6CDD1Dull;
    for (int step = 0; step < STEPS; step++) {
        size_t i = (size_t)(s_rand(&seed) % ITEMS);
        int op = (int)(s_rand(&seed) % 4);
        int64_t k = (int64_t)(s_rand(&seed) % 1000) - 500;
        if (op == 0 && !held[i]) {
            assert_int_equal(heap_push(h, k, &items[i]), 0);
            key[i] = k;
            held[i] = 1;
            nheld++;
        } else if (op == 1) {
            assert_int_equal(heap_remove(h, &items[i]), held[i] ? 0 : -1);
            if (held[i])
                nheld--;
            held[i] = 0;
        } else if (op == 2) {
            assert_int_equal(heap_rekey(h, &items[i], k), held[i] ? 0 : -1);
            if (held[i])
                key[i] = k;
        } else {
            int64_t least = INT64_MAX, got;
            for (size_t j = 0; j < ITEMS; j++)
                if (held[j] && key[j] < least)
                    least = key[j];
            int *it = heap_pop(h, &got);
            if (!nheld) {
                assert_null(it);
                continue;
            }
            assert_non_null(it);
            assert_int_equal(got, least);
            assert_true(held[it - items]);
            assert_int_equal(key[it - items], least);
            held[it - items] = 0;
            nheld--;
        }
        assert_int_equal(heap_size(h), nheld);
    }
    heap_destroy(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),  cmocka_unit_test(test_order),
        cmocka_unit_test(test_growth), cmocka_unit_test(test_remove_from_the_middle),
        cmocka_unit_test(test_rekey),  cmocka_unit_test(test_matches_a_plain_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
