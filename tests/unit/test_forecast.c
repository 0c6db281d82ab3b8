/* Unit tests for analytics/forecast: periods, won + weighted pipeline by
 * month, the most specific objective per month with exact shares, overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "analytics/forecast.h"

#define M(y, m) ((y)*12 + (m)-1)

static void test_periods(void **state)
{
    (void)state;
    int32_t f;
    int n;
    assert_int_equal(forecast_period_parse("2026-11", &f, &n), 0);
    assert_int_equal(f, M(2026, 11));
    assert_int_equal(n, 1);
    assert_int_equal(forecast_period_parse("2026-Q4", &f, &n), 0);
    assert_int_equal(f, M(2026, 10));
    assert_int_equal(n, 3);
    assert_int_equal(forecast_period_parse("2027", &f, &n), 0);
    assert_int_equal(f, M(2027, 1));
    assert_int_equal(n, 12);
    const char *bad[] = {"2026-13",    "2026-00",  "2026-Q5", "2026-Q0", "26-11", "2026-1",
                         "2026-11-01", "2026-Q44", "abcd",    "",        "1969"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(forecast_period_parse(bad[i], &f, &n), -1);
    char b[16];
    assert_string_equal(forecast_month_format(M(2026, 1), b, sizeof(b)), "2026-01");
    assert_string_equal(forecast_month_format(M(2026, 12), b, sizeof(b)), "2026-12");
}

static void test_weighted_and_won(void **state)
{
    (void)state;
    const struct fc_deal d[] = {
        {M(2027, 1), 100000, 50, 0}, /* 50 000 */
        {M(2027, 1), 33333, 75, 0},  /* 24 999.75: rounded once per month */
        {M(2027, 2), 80000, 10, 0},  /* 8 000 */
        {M(2027, 2), 12345, 100, 1}, /* won in February */
        {M(2027, 4), 99999, 90, 0},  /* outside */
        {M(2026, 12), 5, 100, 1},    /* outside */
        {M(2027, 3), 1, 50, 0},      /* 0.5 rounds half up to 1 */
    };
    struct fc_month mo[3];
    struct fc_total t;
    assert_int_equal(forecast_compute(d, 7, NULL, 0, M(2027, 1), 3, mo, &t), 0);
    assert_int_equal(mo[0].weighted, 75000);
    assert_int_equal(mo[0].pipeline, 133333);
    assert_int_equal(mo[0].open_deals, 2);
    assert_int_equal(mo[1].weighted, 8000);
    assert_int_equal(mo[1].won, 12345);
    assert_int_equal(mo[1].won_deals, 1);
    assert_int_equal(mo[2].weighted, 1);
    assert_int_equal(t.won, 12345);
    assert_int_equal(t.weighted, 75000 + 8000 + 1);
    assert_int_equal(t.forecast, 12345 + 83001);
    assert_int_equal(t.open_deals, 4);
    assert_int_equal(t.has_objective, 0);
    assert_int_equal(mo[0].objective, 0);
}

static void test_objectives_most_specific(void **state)
{
    (void)state;
    const struct fc_objective o[] = {
        {M(2027, 1), 12, 1200001}, /* year: 100 000.08 a month, remainder first */
        {M(2027, 1), 3, 300000},   /* Q1: 100 000 a month */
        {M(2027, 2), 1, 50000},    /* February's own */
        {M(2027, 4), 3, 100},      /* Q2: 34 + 33 + 33 */
    };
    struct fc_month mo[12];
    struct fc_total t;
    assert_int_equal(forecast_compute(NULL, 0, o, 4, M(2027, 1), 12, mo, &t), 0);
    assert_int_equal(mo[0].objective, 100000);
    assert_int_equal(mo[1].objective, 50000);
    assert_int_equal(mo[2].objective, 100000);
    assert_int_equal(mo[3].objective, 34);
    assert_int_equal(mo[4].objective, 33);
    assert_int_equal(mo[5].objective, 33);
    /* July..December: the year's share, 1 200 001 / 12 = 100 000 r 1 → the
     * first month of the year would get the extra unit; here months 7..12 */
    for (int i = 6; i < 12; i++)
        assert_int_equal(mo[i].objective, 100000);
    assert_int_equal(t.objective, 100000 + 50000 + 100000 + 100 + 6 * 100000);
    assert_int_equal(t.has_objective, 1);
    /* a quarter's shares add up exactly */
    const struct fc_objective q = {M(2027, 1), 3, 100};
    assert_int_equal(forecast_compute(NULL, 0, &q, 1, M(2027, 1), 3, mo, &t), 0);
    assert_int_equal(mo[0].objective + mo[1].objective + mo[2].objective, 100);
    assert_int_equal(mo[0].objective, 34);
}

static void test_overflow(void **state)
{
    (void)state;
    struct fc_deal d[3];
    for (int i = 0; i < 3; i++)
        d[i] = (struct fc_deal){M(2027, 1), INT64_MAX / 2, 100, 1};
    struct fc_month mo[1];
    struct fc_total t;
    assert_int_equal(forecast_compute(d, 3, NULL, 0, M(2027, 1), 1, mo, &t), -1);
    d[0] = (struct fc_deal){M(2027, 1), INT64_MAX / 10, 90, 0};
    assert_int_equal(forecast_compute(d, 1, NULL, 0, M(2027, 1), 1, mo, &t), -1);
    assert_int_equal(forecast_compute(d, 0, NULL, 0, M(2027, 1), 0, mo, &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_weighted_and_won),
        cmocka_unit_test(test_objectives_most_specific),
        cmocka_unit_test(test_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
