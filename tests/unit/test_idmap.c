/*
 * test_idmap.c - idmap.{c,h}: insert, look up, replace and delete; ids
 * aimed at one home slot (a run that wraps past the table's end) found and
 * deleted from the middle of their run without losing the others; growth
 * past the first table; a walk that meets every item once; and a long run
 * of mixed operations that matches a plain array kept beside it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"

/* a fixed pseudo-random sequence (xorshift64), so every run is the same */
static uint64_t s_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_empty(void **state)
{
    (void)state;
    idmap_t *m = idmap_new();
    assert_non_null(m);
    assert_int_equal(idmap_slots(m), 0);
    assert_null(idmap_lookup(m, 1));
    assert_null(idmap_delete(m, 1));
    size_t cur = 0;
    assert_null(idmap_next(m, &cur, NULL));
    assert_int_equal(idmap_size(m), 0);
    idmap_destroy(&m);
    assert_null(m);
    idmap_destroy(&m);
    idmap_destroy(NULL);
}

static void test_insert_lookup_delete(void **state)
{
    (void)state;
    int a, b, c;
    idmap_t *m = idmap_new();
    assert_int_equal(idmap_insert(m, 7, &a), 0);
    assert_int_equal(idmap_insert(m, 0, &b), 0);          /* any id is a key */
    assert_int_equal(idmap_insert(m, UINT64_MAX, &c), 0); /* ... the largest too */
    assert_int_equal(idmap_size(m), 3);
    assert_ptr_equal(idmap_lookup(m, 7), &a);
    assert_ptr_equal(idmap_lookup(m, 0), &b);
    assert_ptr_equal(idmap_lookup(m, UINT64_MAX), &c);
    assert_null(idmap_lookup(m, 8));
    /* a second insert under an id takes the first's place */
    assert_int_equal(idmap_insert(m, 7, &c), 0);
    assert_int_equal(idmap_size(m), 3);
    assert_ptr_equal(idmap_lookup(m, 7), &c);
    /* NULL is no item */
    assert_int_equal(idmap_insert(m, 9, NULL), -1);
    assert_int_equal(idmap_size(m), 3);
    assert_null(idmap_lookup(m, 9));
    /* delete returns the item, once */
    assert_ptr_equal(idmap_delete(m, 0), &b);
    assert_null(idmap_delete(m, 0));
    assert_null(idmap_lookup(m, 0));
    assert_int_equal(idmap_size(m), 2);
    assert_ptr_equal(idmap_lookup(m, 7), &c);
    assert_ptr_equal(idmap_lookup(m, UINT64_MAX), &c);
    idmap_destroy(&m);
}

/* COUNT ids from FROM on whose home in a table of SLOTS is HOME */
static size_t s_homed(uint64_t *out, size_t count, size_t home, size_t slots, uint64_t from)
{
    size_t n = 0;
    for (uint64_t id = from; n < count; id++)
        if (idmap_home(id, slots) == home)
            out[n++] = id;
    return n;
}

static void test_collisions(void **state)
{
    (void)state;
    idmap_t *m = idmap_new();
    int dummy;
    assert_int_equal(idmap_insert(m, 123456, &dummy), 0); /* sizes the table */
    assert_ptr_equal(idmap_delete(m, 123456), &dummy);
    size_t slots = idmap_slots(m);
    assert_true(slots > 0);
    /* a run at the table's end that wraps to its start: 8 ids at home in
     * the last slot, then 4 at home in slot 0 (pushed further on by them) */
    enum { AT_END = 8, AT_START = 4, ALL = AT_END + AT_START };
    uint64_t ids[ALL];
    int items[ALL];
    assert_int_equal(s_homed(ids, AT_END, slots - 1, slots, 1), AT_END);
    assert_int_equal(s_homed(ids + AT_END, AT_START, 0, slots, 1), AT_START);
    for (size_t i = 0; i < ALL; i++) {
        assert_int_equal(idmap_home(ids[i], slots), i < AT_END ? slots - 1 : 0);
        assert_int_equal(idmap_insert(m, ids[i], &items[i]), 0);
    }
    assert_int_equal(idmap_slots(m), slots); /* no growth: every id shares two slots */
    for (size_t i = 0; i < ALL; i++)
        assert_ptr_equal(idmap_lookup(m, ids[i]), &items[i]);
    /* an id with the same home that is not held is not found */
    uint64_t stranger;
    assert_int_equal(s_homed(&stranger, 1, slots - 1, slots, ids[AT_END - 1] + 1), 1);
    assert_null(idmap_lookup(m, stranger));
    /* delete from the middle of the run, the run's first, and one of the
     * ids homed at 0 that sits past the wrap: the rest stay reachable */
    const size_t gone[] = {3, 0, AT_END + 1, AT_END - 1};
    char deleted[ALL] = {0};
    for (size_t g = 0; g < sizeof gone / sizeof gone[0]; g++) {
        assert_ptr_equal(idmap_delete(m, ids[gone[g]]), &items[gone[g]]);
        deleted[gone[g]] = 1;
        for (size_t i = 0; i < ALL; i++)
            if (deleted[i])
                assert_null(idmap_lookup(m, ids[i]));
            else
                assert_ptr_equal(idmap_lookup(m, ids[i]), &items[i]);
    }
    assert_int_equal(idmap_size(m), ALL - 4);
    /* and they come back */
    for (size_t g = 0; g < sizeof gone / sizeof gone[0]; g++)
        assert_int_equal(idmap_insert(m, ids[gone[g]], &items[gone[g]]), 0);
    for (size_t i = 0; i < ALL; i++)
        assert_ptr_equal(idmap_lookup(m, ids[i]), &items[i]);
    idmap_destroy(&m);
}

/* ids that differ in low bits only (sequential) and in high bits only
 * both spread over the table, so neither piles into one long run */
static void test_spread(void **state)
{
    (void)state;
    enum { SLOTS = 1024, IDS = 512 };
    static char hit_low[SLOTS], hit_high[SLOTS];
    size_t low = 0, high = 0;
    for (uint64_t i = 0; i < IDS; i++) {
        size_t a = idmap_home(1000 + i, SLOTS), b = idmap_home((i << 40) + 5, SLOTS);
        assert_true(a < SLOTS && b < SLOTS);
        low += !hit_low[a];
        high += !hit_high[b];
        hit_low[a] = hit_high[b] = 1;
    }
    if (low < IDS * 9 / 10 || high < IDS / 2)
        fail_msg("%d ids over %d slots: %zu homes (sequential), %zu (high bits)", IDS, SLOTS, low,
                 high);
}

static void test_growth_and_walk(void **state)
{
    (void)state;
    enum { COUNT = 100000 };
    uint64_t *ids = calloc(COUNT, sizeof *ids);
    int *items = calloc(COUNT, sizeof *items);
    char *seen = calloc(COUNT, 1);
    assert_non_null(ids);
    assert_non_null(items);
    assert_non_null(seen);
    idmap_t *m = idmap_new();
    assert_int_equal(idmap_insert(m, 1, &items[0]), 0);
    size_t first = idmap_slots(m);
    assert_ptr_equal(idmap_delete(m, 1), &items[0]);
    for (size_t i = 0; i < COUNT; i++) {
        /* half sequential, half spread over the whole range */
        ids[i] = i % 2 ? (uint64_t)i + 1 : ((uint64_t)i << 40) + 5;
        assert_int_equal(idmap_insert(m, ids[i], &items[i]), 0);
        assert_true(idmap_slots(m) >= 2 * idmap_size(m)); /* at most half full */
    }
    assert_int_equal(idmap_size(m), COUNT);
    assert_true(idmap_slots(m) > first);
    for (size_t i = 0; i < COUNT; i++)
        assert_ptr_equal(idmap_lookup(m, ids[i]), &items[i]);
    /* the walk meets every item once, with its id */
    size_t cur = 0, walked = 0;
    uint64_t id;
    int *it;
    while ((it = idmap_next(m, &cur, &id))) {
        size_t i = (size_t)(it - items);
        assert_true(i < COUNT);
        assert_false(seen[i]);
        assert_true(ids[i] == id);
        seen[i] = 1;
        walked++;
    }
    assert_int_equal(walked, COUNT);
    /* every other one deleted: the rest are still there */
    for (size_t i = 0; i < COUNT; i += 2)
        assert_ptr_equal(idmap_delete(m, ids[i]), &items[i]);
    assert_int_equal(idmap_size(m), COUNT / 2);
    for (size_t i = 0; i < COUNT; i++)
        if (i % 2)
            assert_ptr_equal(idmap_lookup(m, ids[i]), &items[i]);
        else
            assert_null(idmap_lookup(m, ids[i]));
    idmap_destroy(&m);
    free(ids);
    free(items);
    free(seen);
}

/* mixed inserts, replacements and deletes over few ids (so runs are long
 * and deletes hit them), checked against an array */
static void test_matches_a_plain_array(void **state)
{
    (void)state;
    enum { IDS = 600, STEPS = 50000 };
    static int items[IDS][2];
    static void *held[IDS];
    size_t nheld = 0;
    idmap_t *m = idmap_new();
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (int step = 0; step < STEPS; step++) {
        size_t i = (size_t)(s_rand(&seed) % IDS);
        uint64_t id = (uint64_t)i * 1024; /* ids a table's size apart */
        switch (s_rand(&seed) % 3) {
        case 0: {
            void *it = &items[i][s_rand(&seed) % 2];
            assert_int_equal(idmap_insert(m, id, it), 0);
            if (!held[i])
                nheld++;
            held[i] = it;
            break;
        }
        case 1:
            assert_ptr_equal(idmap_delete(m, id), held[i]);
            if (held[i])
                nheld--;
            held[i] = NULL;
            break;
        default:
            assert_ptr_equal(idmap_lookup(m, id), held[i]);
        }
        assert_int_equal(idmap_size(m), nheld);
    }
    for (size_t i = 0; i < IDS; i++)
        assert_ptr_equal(idmap_lookup(m, (uint64_t)i * 1024), held[i]);
    idmap_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),           cmocka_unit_test(test_insert_lookup_delete),
        cmocka_unit_test(test_collisions),      cmocka_unit_test(test_spread),
        cmocka_unit_test(test_growth_and_walk), cmocka_unit_test(test_matches_a_plain_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
