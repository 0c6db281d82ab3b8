/* Unit tests for analytics/kpi and analytics/cohort: hand-computed months
 * (new, active, lost, returning, base), the base invariant, and a cohort
 * matrix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "analytics/cohort.h"
#include "analytics/kpi.h"
#include "util/timeu.h"

static int32_t D(int y, int m, int d)
{
    return days_from_civil(y, m, d);
}

static void test_months_and_flows(void **state)
{
    (void)state;
    struct kpi_series s;
    /* six months ending 2026-06-15, lost after 60 days */
    assert_int_equal(kpi_series_init(&s, D(2026, 6, 15), 6, 60, NULL), 0);
    assert_int_equal(s.m[0].first_day, D(2026, 1, 1));
    assert_int_equal(s.m[0].last_day, D(2026, 1, 31));
    assert_int_equal(s.m[5].last_day, D(2026, 6, 15));
    /* a: bought 2025-12-20 (before the series) and 2026-01-10, then silent:
     * lost on 2026-03-11; back 2026-05-02 */
    struct kpi_row a[] = {{D(2025, 12, 20), 1000, 1},
                          {D(2026, 1, 10), 2000, 1},
                          {D(2026, 1, 20), -500, 0},
                          {D(2026, 5, 2), 3000, 1},
                          {D(2026, 7, 1), 9999, 1}}; /* after as_of: ignored */
    kpi_add_customer(&s, a, 5);
    /* b: new in February, twice in February, once in March */
    struct kpi_row b[] = {
        {D(2026, 2, 3), 100, 1}, {D(2026, 2, 25), 300, 1}, {D(2026, 3, 1), 200, 1}};
    kpi_add_customer(&s, b, 3);
    const struct kpi_month *m = s.m;
    assert_int_equal(m[0].revenue, 1500);
    assert_int_equal(m[0].sales, 2000);
    assert_int_equal(m[0].transactions, 1);
    assert_int_equal(m[0].active, 1);
    assert_int_equal(m[0].new_customers, 0);
    assert_int_equal(m[0].at_start, 1); /* a, since December */
    assert_int_equal(m[1].new_customers, 1);
    assert_int_equal(m[1].active, 1);
    assert_int_equal(m[1].transactions, 2);
    assert_int_equal(m[1].repeat_active, 1);
    assert_int_equal(m[2].lost, 1); /* a on 2026-03-11 */
    assert_int_equal(m[2].active, 1);
    assert_int_equal(m[2].retained_active, 1); /* b in February and March */
    assert_int_equal(m[2].prev_active, 1);
    assert_int_equal(m[3].lost, 1); /* b on 2026-04-30 */
    assert_int_equal(m[3].at_end, 0);
    assert_int_equal(m[4].returning, 1); /* a on 2026-05-02 */
    assert_int_equal(m[4].at_end, 1);
    assert_int_equal(m[5].at_end, 1);
    for (int k = 0; k < 6; k++)
        assert_int_equal(m[k].at_end,
                         m[k].at_start + m[k].new_customers + m[k].returning - m[k].lost);
    kpi_series_release(&s);
}

static void test_cohorts(void **state)
{
    (void)state;
    struct cohort_table t;
    assert_int_equal(cohort_init(&t, D(2026, 3, 31), 3, NULL), 0); /* Jan, Feb, Mar */
    struct kpi_row a[] = {{D(2026, 1, 5), 10, 1}, {D(2026, 1, 9), 10, 1}, {D(2026, 3, 2), 5, 1}};
    struct kpi_row b[] = {{D(2026, 1, 30), 7, 1}, {D(2026, 2, 1), 3, 1}};
    struct kpi_row c[] = {{D(2026, 2, 10), 4, 1}};
    struct kpi_row old[] = {{D(2025, 12, 1), 1, 1}, {D(2026, 2, 1), 1, 1}};
    cohort_add_customer(&t, a, 3);
    cohort_add_customer(&t, b, 2);
    cohort_add_customer(&t, c, 1);
    cohort_add_customer(&t, old, 2);
    assert_int_equal(t.size[0], 2);
    assert_int_equal(t.size[1], 1);
    assert_int_equal(t.size[2], 0);
    assert_int_equal(t.active[0 * 3 + 0], 2);
    assert_int_equal(t.active[0 * 3 + 1], 1); /* b in February */
    assert_int_equal(t.active[0 * 3 + 2], 1); /* a in March */
    assert_int_equal(t.revenue[0 * 3 + 0], 27);
    assert_int_equal(t.active[1 * 3 + 0], 1);
    assert_int_equal(t.active[1 * 3 + 1], 0);
    cohort_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_months_and_flows),
        cmocka_unit_test(test_cohorts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
