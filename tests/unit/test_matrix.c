/* Unit tests for analytics/matrix: Reinartz & Kumar quadrants with median
 * and fixed thresholds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "analytics/matrix.h"

static void test_median_quadrants(void **state)
{
    (void)state;
    /* durations 100..400 (median 250), profits 10..40 (median 25) */
    struct matrix_input in[4] = {
        {400, 40, 10000}, /* long, high: true friend */
        {100, 35, 8000},  /* short, high: butterfly */
        {300, 10, 3000},  /* long, low: barnacle */
        {200, 20, 1000},  /* short, low: stranger */
    };
    uint8_t q[4];
    struct matrix_config c;
    matrix_config_default(&c);
    struct matrix_result r;
    assert_int_equal(matrix_classify(q, &r, in, 4, &c, NULL), 0);
    assert_true(r.duration_threshold == 250);
    assert_true(r.profit_threshold == 27.5); /* (20 + 35) / 2 */
    assert_int_equal(q[0], MATRIX_TRUE_FRIENDS);
    assert_int_equal(q[1], MATRIX_BUTTERFLIES);
    assert_int_equal(q[2], MATRIX_BARNACLES);
    assert_int_equal(q[3], MATRIX_STRANGERS);
    assert_int_equal(r.total_revenue, 22000);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(r.cell[k].customers, 1);
        assert_true(r.cell[k].customer_share == 0.25);
    }
    assert_true(fabs(r.cell[MATRIX_TRUE_FRIENDS].revenue_share - 10000.0 / 22000) < 1e-12);
    assert_true(r.cell[MATRIX_BUTTERFLIES].profit == 35);
    assert_string_equal(matrix_quadrant_name(MATRIX_TRUE_FRIENDS), "true_friends");
    assert_string_equal(matrix_quadrant_name(MATRIX_BARNACLES), "barnacles");
    assert_string_equal(matrix_quadrant_name(7), "unknown");
}

static void test_ties_and_fixed_thresholds(void **state)
{
    (void)state;
    /* odd N, half the base at zero profit: the median is 0 and zero is not high */
    struct matrix_input in[5] = {
        {10, 0, 0}, {20, 0, 0}, {30, 0, 0}, {40, 5, 500}, {50, 9, 900},
    };
    uint8_t q[5];
    struct matrix_config c;
    matrix_config_default(&c);
    struct matrix_result r;
    assert_int_equal(matrix_classify(q, &r, in, 5, &c, NULL), 0);
    assert_true(r.duration_threshold == 30 && r.profit_threshold == 0);
    assert_int_equal(q[2], MATRIX_STRANGERS); /* at the median: not long */
    assert_int_equal(q[3], MATRIX_TRUE_FRIENDS);
    assert_int_equal(r.cell[MATRIX_STRANGERS].customers, 3);

    /* fixed thresholds: long = more than 2 years, high = profit above 4 */
    c.duration_median = 0;
    c.duration_threshold = 730;
    c.profit_median = 0;
    c.profit_threshold = 4;
    struct matrix_input f[3] = {{731, 4.5, 1}, {730, 4.5, 1}, {2000, 4, 1}};
    assert_int_equal(matrix_classify(q, &r, f, 3, &c, NULL), 0);
    assert_int_equal(q[0], MATRIX_TRUE_FRIENDS);
    assert_int_equal(q[1], MATRIX_BUTTERFLIES);
    assert_int_equal(q[2], MATRIX_BARNACLES);

    struct err e;
    struct matrix_input bad[1] = {{NAN, 1, 1}};
    assert_int_equal(matrix_classify(q, &r, bad, 1, &c, &e), ERR_INVALID);
    c.profit_threshold = INFINITY;
    assert_int_equal(matrix_classify(q, &r, f, 3, &c, &e), ERR_INVALID);
    assert_string_equal(e.field, "profit_threshold");
    matrix_config_default(&c);
    assert_int_equal(matrix_classify(q, &r, f, 0, &c, NULL), 0);
    assert_int_equal(r.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_median_quadrants),
        cmocka_unit_test(test_ties_and_fixed_thresholds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
