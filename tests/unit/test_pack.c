/*
 * test_pack.c - the packed form of stored bodies (store/pack.c): round
 * trips, what is left as it is, and damaged bodies refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pack.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char s_on_init[] =
    "{\"context\":{\"domain\":\"ONDC:RET10\",\"country\":\"IND\",\"city\":\"std:080\","
    "\"core_version\":\"1.2.0\",\"action\":\"on_init\",\"bap_id\":\"buyer.example\","
    "\"bap_uri\":\"https://buyer.example/ondc\",\"bpp_id\":\"seller.example\","
    "\"bpp_uri\":\"https://seller.example/ondc\",\"transaction_id\":\"t-81\","
    "\"message_id\":\"m-81\",\"timestamp\":\"2025-03-01T09:30:00.120Z\",\"ttl\":\"PT30S\"},"
    "\"message\":{\"order\":{\"provider\":{\"id\":\"P1\"},\"items\":[{\"id\":\"I1\","
    "\"quantity\":{\"count\":2},\"fulfillment_id\":\"F1\"}],\"quote\":{\"price\":{"
    "\"currency\":\"INR\",\"value\":\"246.00\"},\"breakup\":[{\"@ondc/org/item_id\":\"I1\","
    "\"title\":\"Atta 5kg\",\"@ondc/org/title_type\":\"item\",\"price\":{\"currency\":"
    "\"INR\",\"value\":\"198.00\"}},{\"@ondc/org/item_id\":\"F1\",\"title\":\"Delivery "
    "charges\",\"@ondc/org/title_type\":\"delivery\",\"price\":{\"currency\":\"INR\","
    "\"value\":\"23.00\"}},{\"@ondc/org/item_id\":\"F1\",\"title\":\"Packing charges\","
    "\"@ondc/org/title_type\":\"packing\",\"price\":{\"currency\":\"INR\",\"value\":"
    "\"25.00\"}}],\"ttl\":\"P1D\"},\"payment\":{\"type\":\"ON-ORDER\",\"collected_by\":"
    "\"BAP\",\"@ondc/org/settlement_basis\":\"delivery\",\"@ondc/org/settlement_window\":"
    "\"P1D\",\"@ondc/org/withholding_amount\":\"0.00\"}}}}";

/* JSON of every size packs (and expands back byte for byte) once it is
 * PACK_MIN long; shorter, or what does not shrink by an eighth, is left
 * as it is */
static void test_round_trip(void **state)
{
    (void)state;
    size_t full = sizeof s_on_init - 1;
    static const struct {
        size_t len;
        int packed;
    } cases[] = {{0, 0}, {10, 0}, {PACK_MIN - 1, 0}, {PACK_MIN + 200, 1}, {0 /* full */, 1}};
    for (size_t i = 0; i < N(cases); i++) {
        size_t len = cases[i].len ? cases[i].len : (i ? full : 0);
        char *out = NULL;
        size_t olen = 0;
        int rc = pack_body(s_on_init, len, &out, &olen);
        if (rc != cases[i].packed)
            fail_msg("%zu bytes: pack_body %d, want %d", len, rc, cases[i].packed);
        if (!rc) {
            assert_null(out);
            continue;
        }
        assert_true(olen <= len - len / 8);
        char *back = malloc(len + 1);
        assert_non_null(back);
        assert_int_equal(pack_expand(out, olen, back, len), 0);
        assert_memory_equal(back, s_on_init, len);
        /* the wrong length expected is refused */
        assert_int_equal(pack_expand(out, olen, back, len - 1), -1);
        free(back);
        int corrupt = 1;
        char *dup = pack_dup(out, olen, len, &corrupt);
        assert_non_null(dup);
        assert_int_equal(corrupt, 0);
        assert_memory_equal(dup, s_on_init, len);
        free(dup);
        free(out);
    }
    /* the whole on_init shrinks well over half with the dictionary */
    char *out;
    size_t olen;
    assert_int_equal(pack_body(s_on_init, full, &out, &olen), 1);
    if (olen * 2 > full)
        fail_msg("%zu bytes packed to %zu", full, olen);
    free(out);
    /* bytes with no repeats do not pack */
    char noise[1024];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof noise; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise[i] = (char)x;
    }
    assert_int_equal(pack_body(noise, sizeof noise, &out, &olen), 0);
    assert_null(out);
}

/* every single byte of a packed body damaged, and cuts of it: always
 * an error, never a body */
static void test_damage_refused(void **state)
{
    (void)state;
    size_t full = sizeof s_on_init - 1;
    char *out;
    size_t olen;
    assert_int_equal(pack_body(s_on_init, full, &out, &olen), 1);
    char *bad = malloc(olen);
    char *back = malloc(full);
    assert_non_null(bad);
    assert_non_null(back);
    for (size_t i = 0; i < olen; i++) {
        memcpy(bad, out, olen);
        bad[i] ^= 0x20;
        if (pack_expand(bad, olen, back, full) != -1)
            fail_msg("byte %zu of %zu damaged: expanded", i, olen);
        int corrupt = 0;
        assert_null(pack_dup(bad, olen, full, &corrupt));
        assert_int_equal(corrupt, 1);
    }
    for (size_t cut = 1; cut <= olen; cut++)
        assert_int_equal(pack_expand(out, olen - cut, back, full), -1);
    free(bad);
    free(back);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_damage_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
