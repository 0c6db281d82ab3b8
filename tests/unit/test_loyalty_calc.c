/* Unit tests for analytics/loyalty_calc: Luhn check digits against published
 * numbers, card numbers, referral codes (format, no collisions), points
 * rounding, FIFO expiry, and CSAT / NPS summaries on hand-computed cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/loyalty_calc.h"

static void test_luhn_known_numbers(void **state)
{
    (void)state;
    /* the textbook example 7992739871 -> 3, and test card numbers */
    assert_int_equal(luhn_digit("7992739871", 10), 3);
    assert_true(luhn_valid("79927398713"));
    assert_false(luhn_valid("79927398710"));
    assert_true(luhn_valid("4111111111111111"));
    assert_true(luhn_valid("5555555555554444"));
    assert_false(luhn_valid("4111111111111112"));
    assert_int_equal(luhn_digit("", 0), -1);
    assert_int_equal(luhn_digit("12a4", 4), -1);
    assert_false(luhn_valid("7"));
    assert_false(luhn_valid(NULL));
    /* every single-digit typo and adjacent transposition (except 09/90) is caught */
    char n[] = "4111111111111111";
    for (int i = 0; i < 16; i++)
        for (char d = '0'; d <= '9'; d++) {
            char save = n[i];
            if (d == save)
                continue;
            n[i] = d;
            assert_false(luhn_valid(n));
            n[i] = save;
        }
}

static void test_card_numbers(void **state)
{
    (void)state;
    char card[CARD_LEN + 1];
    assert_int_equal(card_number(1, card, sizeof(card)), 0);
    assert_int_equal(strlen(card), 16);
    assert_memory_equal(card, "920000000000001", 15);
    assert_true(luhn_valid(card));
    assert_int_equal(card_number(9999999999999LL, card, sizeof(card)), 0);
    assert_true(luhn_valid(card));
    assert_int_equal(card_number(0, card, sizeof(card)), -1);
    assert_int_equal(card_number(10000000000000LL, card, sizeof(card)), -1);
    assert_int_equal(card_number(5, card, 8), -1);
}

static int cmp_code(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_referral_codes(void **state)
{
    (void)state;
    enum { N = 200000 };
    char(*codes)[REFCODE_LEN + 1] = malloc(N * sizeof(*codes));
    assert_non_null(codes);
    for (int i = 0; i < N; i++) {
        assert_int_equal(referral_code(i + 1, codes[i], sizeof(codes[i])), 0);
        assert_int_equal(strlen(codes[i]), REFCODE_LEN);
        assert_int_equal(strspn(codes[i], "0123456789ABCDEFGHJKMNPQRSTVWXYZ"), REFCODE_LEN);
    }
    /* neighbours look unrelated */
    assert_true(strncmp(codes[0], codes[1], 4) != 0 || strcmp(codes[0] + 4, codes[1] + 4) != 0);
    qsort(codes, N, sizeof(*codes), cmp_code);
    for (int i = 1; i < N; i++)
        assert_true(strcmp(codes[i - 1], codes[i]) != 0);
    free(codes);
    char c[REFCODE_LEN + 1];
    assert_int_equal(referral_code(0, c, sizeof(c)), -1);
    assert_int_equal(referral_code(1LL << 40, c, sizeof(c)), -1);
}

static void test_points(void **state)
{
    (void)state;
    assert_int_equal(points_for(11800, 1, 0), 118);
    assert_int_equal(points_for(1350, 1, 0), 13); /* 13.50 -> 13, rounded down */
    assert_int_equal(points_for(10000, 3, 0), 300);
    assert_int_equal(points_for(10000, 1, 10), 110); /* Silver: +10 % */
    assert_int_equal(points_for(999, 1, 25), 11);    /* 9 points + 25 % = 11.25 */
    assert_int_equal(points_for(-5000, 1, 0), -50);  /* refunds */
    assert_int_equal(points_for(99, 1, 0), 0);
    assert_int_equal(points_for(999999999999999LL, 1000, 0), 9999999999999990LL);
    /* no overflow in the intermediate product (1e16 x 1100) */
    assert_int_equal(points_for(999999999999999LL, 1000, 1000), 109999999999999890LL);
    assert_int_equal(points_for(INT64_MAX / 2, 1000, 1000), POINTS_LIMIT); /* saturates */
    assert_int_equal(points_for(-(INT64_MAX / 2), 1000, 1000), -POINTS_LIMIT);
    assert_int_equal(points_add(POINTS_LIMIT, 5), POINTS_LIMIT);
    assert_int_equal(points_add(-POINTS_LIMIT, -5), -POINTS_LIMIT);
    assert_int_equal(points_add(40, -5), 35);
}

static void test_fifo_expiry(void **state)
{
    (void)state;
    /* earned 100 (expired) and 50 (not yet), spent 120: FIFO took the 100 first */
    assert_int_equal(points_to_expire(100, 120, 30), 0);
    /* both credits expired: 150 - 120 = 30 unspent */
    assert_int_equal(points_to_expire(150, 120, 30), 30);
    /* nothing spent */
    assert_int_equal(points_to_expire(100, 0, 180), 100);
    /* never more than the balance (a reversal left less) */
    assert_int_equal(points_to_expire(100, 0, 40), 40);
    /* a negative balance expires nothing */
    assert_int_equal(points_to_expire(100, 0, -10), 0);
    /* after an expiry entry of 30 the debits include it */
    assert_int_equal(points_to_expire(150, 150, 0), 0);
}

static void test_scores(void **state)
{
    (void)state;
    struct score_summary s;
    int csat[] = {5, 4, 4, 2, 1};
    score_summarise(csat, 5, 5, &s);
    assert_int_equal(s.n, 5);
    assert_float_equal(s.mean, 3.2, 1e-12);
    assert_float_equal(s.csat, 60.0, 1e-12);
    int nps[] = {10, 9, 8, 6, 0};
    score_summarise(nps, 5, 10, &s);
    assert_int_equal(s.promoters, 2);
    assert_int_equal(s.passives, 1);
    assert_int_equal(s.detractors, 2);
    assert_float_equal(s.nps, 0.0, 1e-12);
    int all9[] = {9, 10, 9};
    score_summarise(all9, 3, 10, &s);
    assert_float_equal(s.nps, 100.0, 1e-12);
    int bad[] = {0, 3, 6, 7};
    score_summarise(bad, 4, 10, &s);
    assert_float_equal(s.nps, -75.0, 1e-12);
    score_summarise(NULL, 0, 5, &s);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.mean) && isnan(s.csat) && isnan(s.nps));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_luhn_known_numbers), cmocka_unit_test(test_card_numbers),
        cmocka_unit_test(test_referral_codes),     cmocka_unit_test(test_points),
        cmocka_unit_test(test_fifo_expiry),        cmocka_unit_test(test_scores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
