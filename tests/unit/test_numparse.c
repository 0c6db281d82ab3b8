/* Unit tests for util/numparse: amounts in minor units, integers, ids and
 * dates as French, British and US files write them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/err.h"
#include "util/numparse.h"
#include "util/timeu.h"

static int64_t amount(const char *s, int decimals, char sep, const char *want_cur)
{
    struct num_opts o = {.decimals = decimals, .decimal_sep = sep};
    struct err e;
    char cur[NUM_CURRENCY_LEN];
    int64_t v = 0;
    err_clear(&e);
    if (num_parse_amount(&v, cur, s, &o, &e) != 0)
        fail_msg("'%s': %s", s, e.msg);
    assert_string_equal(cur, want_cur);
    return v;
}

#define A2(s) amount((s), 2, 0, "")

/* Expects an error whose message contains part. */
static void amount_fails(const char *s, char sep, const char *part)
{
    struct num_opts o = {.decimals = 2, .decimal_sep = sep};
    struct err e;
    int64_t v = 42;
    err_clear(&e);
    if (num_parse_amount(&v, NULL, s, &o, &e) != ERR_INVALID)
        fail_msg("'%s' parsed as %lld", s, (long long)v);
    assert_int_equal(v, 42);
    if (!strstr(e.msg, part))
        fail_msg("'%s': message '%s' lacks '%s'", s, e.msg, part);
}

static void test_amount_formats(void **state)
{
    (void)state;
    assert_int_equal(A2("1 234,56"), 123456);
    assert_int_equal(A2("1,234.56"), 123456);
    assert_int_equal(A2("1234.5"), 123450);
    assert_int_equal(A2("-3"), -300);
    assert_int_equal(A2("+4"), 400);
    assert_int_equal(A2("\xE2\x88\x92"
                        "2"),
                     -200); /* U+2212 minus */
    assert_int_equal(A2("1.234.567,89"), 123456789);
    assert_int_equal(A2("1,234,567"), 123456700);
    assert_int_equal(A2("1'234.5"), 123450);
    assert_int_equal(A2("1\xE2\x80\x99"
                        "234.5"),
                     123450);
    assert_int_equal(A2("1\xC2\xA0"
                        "234,56"),
                     123456); /* NBSP */
    assert_int_equal(A2("1\xE2\x80\xAF"
                        "234,56"),
                     123456); /* NNBSP (French locales) */
    assert_int_equal(A2("  7 "), 700);
    assert_int_equal(A2(".5"), 50);
    assert_int_equal(A2("5."), 500);
    assert_int_equal(A2("0,125"), 13); /* leading 0: not a thousands group */
    assert_int_equal(A2("1234,567"), 123457);
    assert_int_equal(A2("1.234"), 123); /* a lone point is decimal */
    assert_int_equal(A2("(12.50)"), -1250);
    assert_int_equal(A2("1.5e3"), 150000);
    assert_int_equal(A2("2E-2"), 2);
    assert_int_equal(A2("1e-999999"), 0);
    assert_int_equal(A2("0"), 0);
    assert_int_equal(A2("-0.00"), 0);
}

static void test_amount_currency(void **state)
{
    (void)state;
    assert_int_equal(amount("\xC2\xA3"
                            "12.50",
                            2, 0, "GBP"),
                     1250);
    assert_int_equal(amount("12,50 \xE2\x82\xAC", 2, 0, "EUR"), 1250);
    assert_int_equal(amount("12,50\xE2\x82\xAC", 2, 0, "EUR"), 1250);
    assert_int_equal(amount("-\xC2\xA3"
                            "3",
                            2, 0, "GBP"),
                     -300);
    assert_int_equal(amount("\xC2\xA3-3", 2, 0, "GBP"), -300);
    assert_int_equal(amount("$1,000.00", 2, 0, "USD"), 100000);
    assert_int_equal(amount("EUR 12.50", 2, 0, "EUR"), 1250);
    assert_int_equal(amount("12.50CHF", 2, 0, "CHF"), 1250);
    assert_int_equal(amount("\xC2\xA5"
                            "500",
                            0, 0, "JPY"),
                     500);
    assert_int_equal(amount("1 234,56 \xE2\x82\xAC", 2, 0, "EUR"), 123456);
    amount_fails("\xC2\xA3"
                 "12 $",
                 0, "two currencies");
    amount_fails("12 EURO", 0, "not a number");
}

static void test_amount_rounding(void **state)
{
    (void)state;
    assert_int_equal(A2("0.125"), 13);
    assert_int_equal(A2("-0.125"), -13);
    assert_int_equal(A2("0.124"), 12);
    assert_int_equal(A2("0.0049"), 0);
    assert_int_equal(A2("-0.005"), -1);
    assert_int_equal(A2("2.675"), 268); /* 267 through a double */
    assert_int_equal(A2("1.005"), 101);
    assert_int_equal(amount("2.5", 0, 0, ""), 3);
    assert_int_equal(amount("-2.5", 0, 0, ""), -3);
    assert_int_equal(amount("2.55", 3, 0, ""), 2550);
    assert_int_equal(amount("0.001", 3, 0, ""), 1);
    assert_int_equal(amount("12", 0, 0, ""), 12);
    assert_int_equal(amount("1.23456789", 8, 0, ""), 123456789);
}

static void test_amount_separators_hint(void **state)
{
    (void)state;
    amount_fails("1,234", 0, "ambiguous");
    assert_int_equal(amount("1,234", 2, ',', ""), 123);
    assert_int_equal(amount("1,234", 2, '.', ""), 123400);
    assert_int_equal(amount("1.234", 2, ',', ""), 123400);
    assert_int_equal(amount("1.234,5", 2, ',', ""), 123450);
    amount_fails("1.23", ',', "misplaced thousands");
    amount_fails("1.234.567", '.', "several decimal");
    assert_int_equal(amount("1.234.567", 2, ',', ""), 123456700);
}

static void test_amount_errors(void **state)
{
    (void)state;
    amount_fails("", 0, "empty");
    amount_fails("   ", 0, "empty");
    amount_fails("abc", 0, "not a number");
    amount_fails("-", 0, "no digits");
    amount_fails(".", 0, "no digits");
    amount_fails("12abc", 0, "not a number");
    amount_fails("--3", 0, "not a number");
    amount_fails("1,2,3", 0, "misplaced thousands");
    amount_fails("12 34", 0, "misplaced thousands");
    amount_fails("1234 567", 0, "misplaced thousands");
    amount_fails("1.234,5.6", 0, "several decimal");
    amount_fails("1,5 000", 0, "separator after the decimal");
    amount_fails("1 234.567,8", 0, "mixes thousands");
    amount_fails("(-5)", 0, "parentheses and a sign");
    amount_fails("1 234e3", 0, "exponent");
    amount_fails("100000000000000000", 0, "too large");
    amount_fails("1e999999", 0, "too large");
    amount_fails("12345678901234567890123456789012345678901234567890123456789012345678901234"
                 "5678901234567890123456789",
                 0, "too many digits");
    struct num_opts bad = {.decimals = 19};
    int64_t v;
    struct err e;
    assert_int_equal(num_parse_amount(&v, NULL, "1", &bad, &e), ERR_INVALID);
    assert_int_equal(num_parse_amount(&v, NULL, NULL, NULL, &e), ERR_INVALID);

    assert_int_equal(amount("9223372036854775807", 0, 0, ""), INT64_MAX);
    assert_int_equal(amount("-9223372036854775807", 0, 0, ""), -INT64_MAX);
    assert_int_equal(amount("92233720368547758.07", 2, 0, ""), INT64_MAX);
    amount_fails("9223372036854775808", 0, "");
    struct num_opts d0 = {.decimals = 0};
    assert_int_equal(num_parse_amount(&v, NULL, "9223372036854775807.5", &d0, &e), ERR_INVALID);
    assert_int_equal(num_parse_amount(&v, NULL, "9223372036854775806.5", &d0, &e), 0);
    assert_int_equal(v, INT64_MAX);
}

static void test_int(void **state)
{
    (void)state;
    int64_t v = 0;
    struct err e;
    assert_int_equal(num_parse_int(&v, "17850.0", NULL, &e), 0);
    assert_int_equal(v, 17850);
    assert_int_equal(num_parse_int(&v, "17850,00", NULL, &e), 0);
    assert_int_equal(v, 17850);
    assert_int_equal(num_parse_int(&v, "-3", NULL, &e), 0);
    assert_int_equal(v, -3);
    assert_int_equal(num_parse_int(&v, "1 234", NULL, &e), 0);
    assert_int_equal(v, 1234);
    assert_int_equal(num_parse_int(&v, "80995", NULL, &e), 0);
    assert_int_equal(v, 80995);
    assert_int_equal(num_parse_int(&v, "2.5", NULL, &e), ERR_INVALID);
    assert_non_null(strstr(e.msg, "not a whole number"));
    assert_int_equal(num_parse_int(&v,
                                   "\xC2\xA3"
                                   "3",
                                   NULL, &e),
                     ERR_INVALID);
    assert_int_equal(num_parse_int(&v, "3 EUR", NULL, &e), ERR_INVALID);
    assert_int_equal(num_parse_int(&v, "1,000", NULL, &e), ERR_INVALID);
    assert_non_null(strstr(e.msg, "ambiguous"));
    struct num_opts fr = {.decimal_sep = ','};
    assert_int_equal(num_parse_int(&v, "1.000", &fr, &e), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(num_parse_int(&v, "", NULL, &e), ERR_INVALID);
    assert_int_equal(num_parse_int(&v, "9223372036854775808", NULL, &e), ERR_INVALID);
}

static void test_clean_id(void **state)
{
    (void)state;
    char buf[16];
    struct err e;
    assert_int_equal(num_clean_id(buf, sizeof(buf), "17850.0", &e), 0);
    assert_string_equal(buf, "17850");
    assert_int_equal(num_clean_id(buf, sizeof(buf), " 17850,00 ", &e), 0);
    assert_string_equal(buf, "17850");
    assert_int_equal(num_clean_id(buf, sizeof(buf), "00042", &e), 0);
    assert_string_equal(buf, "00042");
    assert_int_equal(num_clean_id(buf, sizeof(buf), "C536365", &e), 0);
    assert_string_equal(buf, "C536365");
    assert_int_equal(num_clean_id(buf, sizeof(buf), "17850.5", &e), 0);
    assert_string_equal(buf, "17850.5");
    assert_int_equal(num_clean_id(buf, sizeof(buf), "17850.", &e), 0);
    assert_string_equal(buf, "17850.");
    assert_int_equal(num_clean_id(buf, sizeof(buf), "  ", &e), ERR_INVALID);
    assert_int_equal(num_clean_id(buf, 5, "17850.0", &e), ERR_TOOLARGE);
    assert_string_equal(buf, "");
    assert_int_equal(num_clean_id(buf, 6, "17850.0", &e), 0);
    assert_string_equal(buf, "17850");
}

static int64_t T(int y, int mo, int d, int h, int mi, int s)
{
    return (int64_t)days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static int64_t date(const char *s, int order)
{
    int64_t t = 0;
    struct err e;
    err_clear(&e);
    if (num_parse_date(&t, s, order, &e) != 0)
        fail_msg("'%s': %s", s, e.msg);
    return t;
}

static void date_fails(const char *s, int order, const char *part)
{
    int64_t t = 42;
    struct err e;
    err_clear(&e);
    if (num_parse_date(&t, s, order, &e) != ERR_INVALID)
        fail_msg("'%s' parsed", s);
    assert_int_equal(t, 42);
    if (!strstr(e.msg, part))
        fail_msg("'%s': message '%s' lacks '%s'", s, e.msg, part);
}

static void test_dates(void **state)
{
    (void)state;
    assert_int_equal(date("2024-03-01", NUM_DMY), T(2024, 3, 1, 0, 0, 0));
    assert_int_equal(date("2010-12-01 08:26:00", NUM_DMY), T(2010, 12, 1, 8, 26, 0));
    assert_int_equal(date("2010-12-01 08:26", NUM_DMY), T(2010, 12, 1, 8, 26, 0));
    assert_int_equal(date("2010-12-01 8:26", NUM_DMY), T(2010, 12, 1, 8, 26, 0));
    assert_int_equal(date("2024-03-01T08:26:00Z", NUM_DMY), T(2024, 3, 1, 8, 26, 0));
    assert_int_equal(date("2024-03-01T10:26:00+02:00", NUM_DMY), T(2024, 3, 1, 8, 26, 0));
    assert_int_equal(date("2024-03-01T08:26:00.250Z", NUM_DMY), T(2024, 3, 1, 8, 26, 0));
    assert_int_equal(date(" 20240301 ", NUM_DMY), T(2024, 3, 1, 0, 0, 0));
    assert_int_equal(date("2024/3/1", NUM_MDY), T(2024, 3, 1, 0, 0, 0));
    assert_int_equal(date("01/12/2010", NUM_DMY), T(2010, 12, 1, 0, 0, 0));
    assert_int_equal(date("1/12/2010 8:26", NUM_DMY), T(2010, 12, 1, 8, 26, 0));
    assert_int_equal(date("01.12.2010", NUM_DMY), T(2010, 12, 1, 0, 0, 0));
    assert_int_equal(date("01-12-2010 17:05:09", NUM_DMY), T(2010, 12, 1, 17, 5, 9));
    /* the Kaggle copy of Online Retail */
    assert_int_equal(date("12/1/2010 8:26", NUM_MDY), T(2010, 12, 1, 8, 26, 0));
    assert_int_equal(date("12/9/2011 12:50", NUM_MDY), T(2011, 12, 9, 12, 50, 0));
    assert_int_equal(date("12/1/2010 8:26 PM", NUM_MDY), T(2010, 12, 1, 20, 26, 0));
    assert_int_equal(date("12/1/2010 12:05 am", NUM_MDY), T(2010, 12, 1, 0, 5, 0));
    assert_int_equal(date("12/1/2010 12:05 PM", NUM_MDY), T(2010, 12, 1, 12, 5, 0));
    assert_int_equal(date("29/02/2024", NUM_DMY), T(2024, 2, 29, 0, 0, 0));
}

static void test_date_errors(void **state)
{
    (void)state;
    date_fails("31/02/2024", NUM_DMY, "no such date '31/02/2024': February 2024 has 29 days");
    date_fails("2023-02-29", NUM_DMY, "February 2023 has 28 days");
    date_fails("20240231", NUM_DMY, "February 2024 has 29 days");
    date_fails("31/04/2024 10:00", NUM_DMY, "April 2024 has 30 days");
    date_fails("12/31/2024", NUM_DMY, "month first?");
    date_fails("31/12/2024", NUM_MDY, "no month 31");
    date_fails("13/13/2024", NUM_DMY, "no month 13");
    date_fails("00/01/2024", NUM_DMY, "no such date");
    date_fails("01/01/0000", NUM_DMY, "year 0");
    date_fails("1/2/24", NUM_DMY, "4 digits");
    date_fails("01/03-2024", NUM_DMY, "not a date");
    date_fails("2024-01-01T25:00Z", NUM_DMY, "bad time");
    date_fails("1/12/2010 24:00", NUM_DMY, "bad time");
    date_fails("1/12/2010 13:00 PM", NUM_MDY, "bad time");
    date_fails("1/12/2010 8:6", NUM_DMY, "bad time");
    date_fails("1/12/2010x", NUM_DMY, "bad time");
    date_fails("", NUM_DMY, "empty");
    date_fails("tomorrow", NUM_DMY, "not a date");
    date_fails("123/1/2024", NUM_DMY, "not a date");
    date_fails("2024-01-01T10:00:00+0200", NUM_DMY, "bad time");
    char longs[100];
    memset(longs, '1', sizeof(longs) - 1);
    longs[99] = 0;
    date_fails(longs, NUM_DMY, "not a date");
    int64_t t;
    assert_int_equal(num_parse_date(&t, NULL, NUM_DMY, NULL), ERR_INVALID);
}

static void test_date_order_hint(void **state)
{
    (void)state;
    assert_int_equal(num_date_order_hint("25/12/2024"), NUM_DMY);
    assert_int_equal(num_date_order_hint("12/25/2024 10:00"), NUM_MDY);
    assert_int_equal(num_date_order_hint("01/02/2024"), -1);
    assert_int_equal(num_date_order_hint("2024-01-31"), -1);
    assert_int_equal(num_date_order_hint("45/12/2024"), -1);
    assert_int_equal(num_date_order_hint(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amount_formats),  cmocka_unit_test(test_amount_currency),
        cmocka_unit_test(test_amount_rounding), cmocka_unit_test(test_amount_separators_hint),
        cmocka_unit_test(test_amount_errors),   cmocka_unit_test(test_int),
        cmocka_unit_test(test_clean_id),        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_date_errors),     cmocka_unit_test(test_date_order_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
