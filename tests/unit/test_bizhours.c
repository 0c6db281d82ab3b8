/* Unit tests for util/bizhours: SLA clocks over opening hours, weekends,
 * holidays and a fixed UTC offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/bizhours.h"
#include "util/timeu.h"

static int64_t T(const char *s)
{
    int64_t t = 0;
    assert_int_equal(time_parse(s, &t), 0);
    return t;
}

static int32_t D(const char *s)
{
    int32_t d = 0;
    assert_int_equal(date_parse(s, &d), 0);
    return d;
}

/* Monday to Friday 09:00-18:00, closed at weekends. */
static void office(struct bizcal *c, int tz)
{
    bizcal_always(c);
    c->tz_offset_min = tz;
    for (int i = 0; i < 7; i++) {
        c->open_min[i] = i < 5 ? 9 * 60 : 0;
        c->close_min[i] = i < 5 ? 18 * 60 : 0;
    }
    assert_int_equal(bizcal_finish(c), 0);
}

static void test_parse_hhmm(void **state)
{
    (void)state;
    assert_int_equal(bizhours_parse_hhmm("09:30"), 570);
    assert_int_equal(bizhours_parse_hhmm("00:00"), 0);
    assert_int_equal(bizhours_parse_hhmm("24:00"), 1440);
    assert_int_equal(bizhours_parse_hhmm("24:01"), -1);
    assert_int_equal(bizhours_parse_hhmm("25:00"), -1);
    assert_int_equal(bizhours_parse_hhmm("12:60"), -1);
    assert_int_equal(bizhours_parse_hhmm("9:00"), -1);
    assert_int_equal(bizhours_parse_hhmm(""), -1);
    assert_int_equal(bizhours_parse_hhmm(NULL), -1);
}

static void test_finish_refuses_opening_after_closing(void **state)
{
    (void)state;
    struct bizcal c;
    office(&c, 0);
    c.open_min[2] = 19 * 60;
    assert_int_equal(bizcal_finish(&c), -1);
    office(&c, 0);
    c.tz_offset_min = 900;
    assert_int_equal(bizcal_finish(&c), -1);
}

static void test_add_within_day(void **state)
{
    (void)state;
    struct bizcal c;
    office(&c, 0);
    /* 2026-11-23 is a Monday */
    assert_int_equal(bizhours_add(&c, T("2026-11-23T10:00:00Z"), 3600), T("2026-11-23T11:00:00Z"));
    /* before opening: the clock starts at 09:00 */
    assert_int_equal(bizhours_add(&c, T("2026-11-23T07:00:00Z"), 1800), T("2026-11-23T09:30:00Z"));
}

static void test_add_rolls_over_night_and_weekend(void **state)
{
    (void)state;
    struct bizcal c;
    office(&c, 0);
    /* Friday 17:00 + 2 h = Monday 10:00 */
    assert_int_equal(bizhours_add(&c, T("2026-11-27T17:00:00Z"), 7200), T("2026-11-30T10:00:00Z"));
    /* Saturday: starts Monday 09:00 */
    assert_int_equal(bizhours_add(&c, T("2026-11-28T12:00:00Z"), 60), T("2026-11-30T09:01:00Z"));
    /* ending exactly at closing time stays on that day */
    assert_int_equal(bizhours_add(&c, T("2026-11-23T17:00:00Z"), 3600), T("2026-11-23T18:00:00Z"));
    /* 3 business days of 9 h from Monday 09:00 = Wednesday 18:00 */
    assert_int_equal(bizhours_add(&c, T("2026-11-23T09:00:00Z"), 27 * 3600),
                     T("2026-11-25T18:00:00Z"));
}

static void test_holidays_skip_days(void **state)
{
    (void)state;
    struct bizcal c;
    office(&c, 0);
    c.holidays[c.nholidays++] = D("2026-12-25"); /* Friday */
    c.holidays[c.nholidays++] = D("2026-12-24"); /* Thursday, unsorted on purpose */
    assert_int_equal(bizcal_finish(&c), 0);
    assert_false(bizhours_is_open(&c, T("2026-12-24T10:00:00Z")));
    assert_true(bizhours_is_open(&c, T("2026-12-23T10:00:00Z")));
    /* Wednesday 17:00 + 2 h: Thursday and Friday are holidays -> Monday 10:00 */
    assert_int_equal(bizhours_add(&c, T("2026-12-23T17:00:00Z"), 7200), T("2026-12-28T10:00:00Z"));
    assert_int_equal(bizhours_between(&c, T("2026-12-23T17:00:00Z"), T("2026-12-28T10:00:00Z")),
                     7200);
}

static void test_timezone_offset(void **state)
{
    (void)state;
    struct bizcal c;
    office(&c, 60); /* UTC+1: 09:00 local is 08:00 UTC */
    assert_true(bizhours_is_open(&c, T("2026-11-23T08:00:00Z")));
    assert_false(bizhours_is_open(&c, T("2026-11-23T07:59:59Z")));
    assert_false(bizhours_is_open(&c, T("2026-11-23T17:00:00Z")));
    assert_int_equal(bizhours_add(&c, T("2026-11-23T06:00:00Z"), 3600), T("2026-11-23T09:00:00Z"));
    /* UTC-5: Friday 22:30 UTC is 17:30 local; 1 h ends Monday 09:30 local = 14:30 UTC */
    office(&c, -300);
    assert_int_equal(bizhours_add(&c, T("2026-11-27T22:30:00Z"), 3600), T("2026-11-30T14:30:00Z"));
}

static void test_between_matches_add(void **state)
{
    (void)state;
    struct bizcal c;
    office(&c, 120);
    c.holidays[c.nholidays++] = D("2027-01-01");
    c.holidays[c.nholidays++] = D("2027-05-01");
    assert_int_equal(bizcal_finish(&c), 0);
    int64_t start = T("2026-11-20T13:17:00Z");
    /* short and long spans (the long ones use the whole-week shortcut) */
    for (int64_t s = 1; s < 400LL * 3600; s = s * 3 + 7) {
        int64_t end = bizhours_add(&c, start, s);
        assert_int_equal(bizhours_between(&c, start, end), s);
    }
    assert_int_equal(bizhours_between(&c, T("2026-11-23T10:00:00Z"), T("2026-11-23T09:00:00Z")),
                     -3600);
}

static void test_always_open_and_never_open(void **state)
{
    (void)state;
    struct bizcal c;
    bizcal_always(&c);
    assert_int_equal(bizhours_add(&c, 1000, 3600), 4600);
    assert_int_equal(bizhours_between(&c, 1000, 4600), 3600);
    for (int i = 0; i < 7; i++)
        c.close_min[i] = 0;
    assert_int_equal(bizhours_add(&c, 1000, 3600), INT64_MAX);
    assert_int_equal(bizhours_between(&c, 1000, 4600), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_hhmm),
        cmocka_unit_test(test_finish_refuses_opening_after_closing),
        cmocka_unit_test(test_add_within_day),
        cmocka_unit_test(test_add_rolls_over_night_and_weekend),
        cmocka_unit_test(test_holidays_skip_days),
        cmocka_unit_test(test_timezone_offset),
        cmocka_unit_test(test_between_matches_add),
        cmocka_unit_test(test_always_open_and_never_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
