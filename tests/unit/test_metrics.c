/*
 * test_metrics.c - metrics.{c,h} on a real run_dir: counters and histograms
 * found again by name and labels (the index), many distinct label sets, a
 * restart of the same instance finding its earlier values, the render of
 * what was counted, and the table's limit (past METRICS_MAX a dummy, never
 * a crash or an entry overwritten).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static char s_dir[64];

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/test_metrics.XXXXXX");
    return mkdtemp(s_dir) && metrics_open(s_dir, "worker", "order.0") == 0 ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    metrics_close();
    return nftw(s_dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_same_name_and_labels_same_counter(void **state)
{
    (void)state;
    uint64_t *a = metrics_counter("ondc_x_total", "action=\"init\"");
    uint64_t *b = metrics_counter("ondc_x_total", "action=\"select\"");
    assert_ptr_not_equal(a, b);
    for (int i = 0; i < 5; i++)
        metrics_inc("ondc_x_total", "action=\"init\"");
    metrics_inc("ondc_x_total", "action=\"select\"");
    assert_int_equal(*a, 5);
    assert_int_equal(*b, 1);
    assert_ptr_equal(metrics_counter("ondc_x_total", "action=\"init\""), a);
    /* a different name with the same labels is another counter */
    assert_ptr_not_equal(metrics_counter("ondc_y_total", "action=\"init\""), a);
}

static void test_many_label_sets_and_render(void **state)
{
    (void)state;
    char lab[64];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 300; i++) {
            snprintf(lab, sizeof lab, "k=\"%d\"", i);
            metrics_inc("ondc_many_total", lab);
        }
    for (int i = 0; i < 300; i++) {
        snprintf(lab, sizeof lab, "k=\"%d\"", i);
        assert_int_equal(*metrics_counter("ondc_many_total", lab), 3);
    }
    metrics_observe("ondc_t_seconds", "", 3.0);
    metrics_observe("ondc_t_seconds", "", 30.0);
    char *text = metrics_render(s_dir, NULL);
    assert_non_null(text);
    assert_non_null(
        strstr(text, "ondc_many_total{stage=\"worker\",instance=\"order.0\",k=\"299\"} 3"));
    assert_non_null(strstr(text, "ondc_t_seconds_count{stage=\"worker\",instance=\"order.0\"} 2"));
    free(text);
}

static void test_restart_finds_earlier_values(void **state)
{
    (void)state;
    metrics_inc("ondc_r_total", "a=\"1\"");
    metrics_inc("ondc_r_total", "a=\"1\"");
    metrics_close();
    assert_int_equal(metrics_open(s_dir, "worker", "order.0"), 0);
    metrics_inc("ondc_r_total", "a=\"1\"");
    assert_int_equal(*metrics_counter("ondc_r_total", "a=\"1\""), 3);
    assert_int_equal(*metrics_counter("ondc_process_starts_total", ""), 2);
}

static void test_past_the_limit_is_a_dummy(void **state)
{
    (void)state;
    uint64_t *first = metrics_counter("ondc_first_total", "");
    (*first)++;
    char lab[64];
    uint64_t *last = NULL;
    for (int i = 0; i < METRICS_MAX + 50; i++) {
        snprintf(lab, sizeof lab, "i=\"%d\"", i);
        last = metrics_counter("ondc_fill_total", lab);
        assert_non_null(last);
        (*last)++;
    }
    /* the earlier entry is untouched and still found */
    assert_ptr_equal(metrics_counter("ondc_first_total", ""), first);
    assert_int_equal(*first, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_same_name_and_labels_same_counter),
        T(test_many_label_sets_and_render),
        T(test_restart_finds_earlier_values),
        T(test_past_the_limit_is_a_dummy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
