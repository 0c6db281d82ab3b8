/* Unit tests for util/timeu: calendar arithmetic and ISO 8601. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/timeu.h"

static int32_t D(const char *s)
{
    int32_t d = 0;
    assert_int_equal(date_parse(s, &d), 0);
    return d;
}

static void test_civil_roundtrip(void **state)
{
    (void)state;
    for (int32_t day = -800000; day < 800000; day += 997) {
        int y, m, d;
        civil_from_days(day, &y, &m, &d);
        assert_int_equal(days_from_civil(y, m, d), day);
    }
    assert_int_equal(days_from_civil(1970, 1, 1), 0);
    assert_int_equal(days_from_civil(2000, 3, 1), 11017);
}

static void test_add_months_clamps(void **state)
{
    (void)state;
    assert_int_equal(days_add_months(D("2026-01-31"), 1), D("2026-02-28"));
    assert_int_equal(days_add_months(D("2024-01-31"), 1), D("2024-02-29"));
    assert_int_equal(days_add_months(D("2025-08-01"), 11), D("2026-07-01"));
    assert_int_equal(days_add_months(D("2026-03-31"), -1), D("2026-02-28"));
}

static void test_months_between_seed_boundaries(void **state)
{
    (void)state;
    int32_t ref = D("2026-07-01");
    assert_int_equal(months_between(D("2025-08-01"), ref), 11);
    assert_int_equal(months_between(D("2025-01-01"), ref), 18);
    assert_int_equal(months_between(D("2026-02-01"), ref), 5);
    assert_int_equal(months_between(D("2026-05-01"), ref), 2);
    assert_int_equal(months_between(D("2026-04-01"), ref), 3);
    assert_int_equal(months_between(D("2026-04-02"), ref), 2);
    assert_int_equal(months_between(D("2024-07-01"), ref), 24);
    assert_int_equal(months_between(D("2024-07-02"), ref), 23);
    assert_int_equal(months_between(D("2026-01-31"), D("2026-02-28")), 1);
    assert_int_equal(months_between(ref, D("2026-06-30")), -1);
}

static void test_parse_and_format(void **state)
{
    (void)state;
    int64_t t;
    char buf[TIME_BUF];
    assert_int_equal(time_parse("2026-11-23T10:20:30Z", &t), 0);
    assert_string_equal(time_format(t, buf, sizeof buf), "2026-11-23T10:20:30Z");
    assert_int_equal(time_parse("2026-11-23T12:20:30+02:00", &t), 0);
    assert_string_equal(time_format(t, buf, sizeof buf), "2026-11-23T10:20:30Z");
    assert_int_equal(time_parse("2010-12-01 08:26:00", &t), 0);
    assert_string_equal(time_format(t, buf, sizeof buf), "2010-12-01T08:26:00Z");
    assert_int_equal(time_parse("2026-11-23", &t), 0);
    assert_int_equal(t % 86400, 0);
    assert_int_equal(time_parse("2024-02-31", &t), -1);
    assert_int_equal(time_parse("2024-13-01", &t), -1);
    assert_int_equal(time_parse("2024-01-01T25:00Z", &t), -1);
    assert_int_equal(time_parse("2024-01-01Tjunk", &t), -1);
    assert_int_equal(time_parse("", &t), -1);
    assert_int_equal(time_parse(NULL, &t), -1);
    int32_t d;
    assert_int_equal(date_parse("31/02/2024", &d), -1);
    assert_string_equal(date_format(D("1999-12-31"), buf, sizeof buf), "1999-12-31");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_roundtrip),
        cmocka_unit_test(test_add_months_clamps),
        cmocka_unit_test(test_months_between_seed_boundaries),
        cmocka_unit_test(test_parse_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
