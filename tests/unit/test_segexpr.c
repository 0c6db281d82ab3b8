/* Unit tests for analytics/segexpr: the grammar (precedence, parentheses,
 * keywords in any case, lists, date arithmetic with month-end clamps),
 * the type checker's errors with their byte positions, missing values, and
 * the evaluator against a row-by-row reference over random columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/segexpr.h"
#include "util/timeu.h"

enum { K_KIND, K_REV, K_LAST, K_TAGS, K_RISK, K_CITY, K_NF };

static const struct segx_field fields[K_NF] = {
    {"kind", SEGX_STR, "person|organization|guest", NULL},
    {"revenue", SEGX_NUM, NULL, NULL},
    {"last_purchase", SEGX_DATE, NULL, NULL},
    {"tags", SEGX_SET, NULL, NULL},
    {"at_risk", SEGX_BOOL, NULL, NULL},
    {"city", SEGX_STR, NULL, NULL},
};

/* Eight customers:
 *  i kind          revenue last_purchase tags        at_risk city
 *  0 person        100     2026-06-01    vip         0       Paris
 *  1 person        600     2025-01-15    -           1       Lyon
 *  2 organization  NaN     missing       vip,expert  0       missing
 *  3 guest         0       2026-03-31    -           0       Paris
 *  4 person        50      2026-04-01    expert      1       Saint-Denis
 *  5 organization  1000    2024-07-01    -           0       Lyon
 *  6 person        -20     2026-06-30    vip         0       paris
 *  7 guest         500     missing       -           1       Marseille
 */
static const char *const kinds[] = {NULL, "person", "organization", "guest"};
static const uint32_t kind_code[8] = {1, 1, 2, 3, 1, 2, 1, 3};
static const char *const tagdict[] = {NULL, "vip", "expert"};
static const uint32_t tag_start[9] = {0, 1, 1, 3, 3, 4, 4, 5, 5};
static const uint32_t tag_items[5] = {1, 1, 2, 2, 1};
static const uint8_t risk[8] = {0, 1, 0, 0, 1, 0, 0, 1};
static const char *const cities[] = {NULL, "Paris", "Lyon", "Saint-Denis", "paris", "Marseille"};
static const uint32_t city_code[8] = {1, 2, 0, 1, 3, 2, 4, 5};
static double rev[8];
static int32_t last[8];
static struct segx_column cols[K_NF];

#define TODAY_S "2026-07-01"
static int32_t today;

static int setup(void **state)
{
    (void)state;
    const double r[8] = {100, 600, NAN, 0, 50, 1000, -20, 500};
    const char *const d[8] = {"2026-06-01", "2025-01-15", NULL,         "2026-03-31",
                              "2026-04-01", "2024-07-01", "2026-06-30", NULL};
    for (int i = 0; i < 8; i++) {
        rev[i] = r[i];
        last[i] = INT32_MIN;
        if (d[i])
            assert_int_equal(date_parse(d[i], &last[i]), 0);
    }
    assert_int_equal(date_parse(TODAY_S, &today), 0);
    memset(cols, 0, sizeof(cols));
    cols[K_KIND] = (struct segx_column){.code = kind_code, .dict = kinds, .ndict = 4};
    cols[K_REV] = (struct segx_column){.num = rev};
    cols[K_LAST] = (struct segx_column){.day = last};
    cols[K_TAGS] =
        (struct segx_column){.start = tag_start, .items = tag_items, .dict = tagdict, .ndict = 3};
    cols[K_RISK] = (struct segx_column){.flag = risk};
    cols[K_CITY] = (struct segx_column){.code = city_code, .dict = cities, .ndict = 6};
    return 0;
}

/* The matching customers as a bit string "01001000" (customer 0 first). */
static void run(const char *expr, char out[9])
{
    struct segx *x = NULL;
    struct segx_error e;
    int rc = segx_compile(expr, fields, K_NF, today, &x, &e);
    if (rc)
        fail_msg("'%s' refused at %zu: %s", expr, e.pos, e.msg);
    uint64_t bits[1] = {0};
    assert_int_equal(segx_eval(x, cols, 8, bits), 0);
    for (int i = 0; i < 8; i++)
        out[i] = (bits[0] >> i) & 1 ? '1' : '0';
    out[8] = 0;
    segx_free(x);
}

#define MATCHES(expr, want)                                                                        \
    do {                                                                                           \
        char got_[9];                                                                              \
        run(expr, got_);                                                                           \
        if (strcmp(got_, want))                                                                    \
            fail_msg("%s: got %s, want %s", expr, got_, want);                                     \
    } while (0)

/* Refused at byte pos with a message containing frag. */
static void refused(const char *expr, size_t pos, const char *frag)
{
    struct segx *x = NULL;
    struct segx_error e;
    if (segx_compile(expr, fields, K_NF, today, &x, &e) == 0) {
        segx_free(x);
        fail_msg("'%s' was accepted", expr);
    }
    assert_null(x);
    if (e.pos != pos || !strstr(e.msg, frag))
        fail_msg("'%s': got byte %zu '%s', want byte %zu containing '%s'", expr, e.pos, e.msg, pos,
                 frag);
}

static void test_comparisons(void **state)
{
    (void)state;
    MATCHES("revenue > 100", "01000101");
    MATCHES("revenue >= 100", "11000101");
    MATCHES("revenue < 100", "00011010");
    MATCHES("revenue <= 0", "00010010");
    MATCHES("revenue = 500", "00000001");
    MATCHES("revenue != 500", "11011110"); /* missing revenue (2) never matches */
    MATCHES("revenue <> 500", "11011110");
    MATCHES("revenue == 500", "00000001");
    MATCHES("revenue > -20.5", "11011111");
    MATCHES("revenue > 99.99", "11000101");
}

static void test_text_and_enum(void **state)
{
    (void)state;
    MATCHES("kind = person", "11001010");
    MATCHES("kind = 'person'", "11001010");
    MATCHES("kind != guest", "11101110");
    MATCHES("kind in [organization, guest]", "00110101");
    MATCHES("kind not in [organization, guest]", "11001010");
    MATCHES("KIND = Person", "11001010"); /* names and values: any case */
    MATCHES("city = paris", "10010010");  /* texts compare without case */
    MATCHES("city contains 'ar'", "10010011");
    MATCHES("city contains \"Saint-\"", "00001000");
    MATCHES("city is null", "00100000");
    MATCHES("city is not null", "11011111");
    MATCHES("city in ['Lyon', 'Marseille']", "01000101");
}

static void test_lists_flags(void **state)
{
    (void)state;
    MATCHES("tags contains vip", "10100010");
    MATCHES("tags contains 'expert'", "00101000");
    MATCHES("tags contains unknown_tag", "00000000");
    MATCHES("tags in [expert, nothing]", "00101000");
    MATCHES("tags is null", "01010101");
    MATCHES("tags is not null", "10101010");
    MATCHES("at_risk", "01001001");
    MATCHES("at_risk = true", "01001001");
    MATCHES("at_risk = false", "10110110");
    MATCHES("at_risk != true", "10110110");
    MATCHES("NOT at_risk", "10110110");
}

static void test_dates(void **state)
{
    (void)state;
    MATCHES("last_purchase < today - 90d", "01011100"); /* before 2026-04-02 */
    MATCHES("last_purchase < today - 3m", "01010100");  /* 2026-04-01 is not < 2026-04-01 */
    MATCHES("last_purchase <= today - 3m", "01011100");
    MATCHES("last_purchase >= 2026-06-01", "10000010");
    MATCHES("last_purchase = 2026-03-31", "00010000");
    MATCHES("last_purchase < today - 1y", "01000100");
    MATCHES("last_purchase <= today - 2y", "00000100");
    MATCHES("last_purchase > today - 1w", "00000010");
    MATCHES("last_purchase is null", "00100001");
    MATCHES("last_purchase != 2026-03-31", "11001110");
    MATCHES("last_purchase in [2026-03-31, 2024-07-01]", "00010100");
    /* month arithmetic clamps to the end of the month: 2026-03-31 - 1m = 2026-02-28 */
    struct segx *x = NULL;
    struct segx_error e;
    int32_t mar31, feb28;
    assert_int_equal(date_parse("2026-03-31", &mar31), 0);
    assert_int_equal(date_parse("2026-02-28", &feb28), 0);
    int32_t d[1] = {feb28};
    struct segx_column c[K_NF] = {0};
    c[K_LAST].day = d;
    assert_int_equal(segx_compile("last_purchase = today - 1m", fields, K_NF, mar31, &x, &e), 0);
    uint64_t bits = 0;
    assert_int_equal(segx_eval(x, c, 1, &bits), 0);
    assert_int_equal(bits, 1);
    segx_free(x);
    assert_int_equal(segx_compile("last_purchase = today - 1m + 1d", fields, K_NF, mar31, &x, &e),
                     0);
    assert_int_equal(segx_eval(x, c, 1, &bits), 0);
    assert_int_equal(bits, 0);
    segx_free(x);
}

static void test_precedence(void **state)
{
    (void)state;
    /* AND binds tighter than OR */
    MATCHES("kind = guest OR kind = person AND revenue > 100", "01010001");
    MATCHES("(kind = guest OR kind = person) AND revenue > 100", "01000001");
    MATCHES("kind = guest or kind = person and revenue > 100", "01010001");
    MATCHES("NOT kind = person AND revenue > 100", "00000101");
    MATCHES("NOT (kind = person AND revenue > 100)", "10111111");
    MATCHES("NOT NOT at_risk", "01001001");
    MATCHES("((((at_risk))))", "01001001");
    MATCHES("at_risk AND (tags contains vip OR city = lyon)", "01000000");
    MATCHES("  revenue\t>\n100  ", "01000101");
}

static void test_errors(void **state)
{
    (void)state;
    refused("", 0, "empty expression");
    refused("   ", 0, "empty expression");
    refused("revnue > 5", 0, "unknown field 'revnue'");
    refused("kind = persn", 7, "no value 'persn'");
    refused("revenue > 'abc'", 10, "is a number");
    refused("revenue > ", 10, "expected a number, found the end");
    refused("kind = person AND", 17, "field name");
    refused("kind = person revenue > 5", 14, "expected AND, OR");
    refused("(kind = person", 14, "expected ')'");
    refused("kind = person)", 13, "expected AND, OR");
    refused("last_purchase < 2026-02-30", 16, "impossible date 2026-02-30");
    refused("last_purchase < 2025-13-01", 16, "impossible date");
    refused("last_purchase < today - 90", 24, "duration");
    refused("last_purchase < today - 90x", 24, "unexpected '90x'");
    refused("last_purchase > 5", 16, "is a date");
    refused("last_purchase < today - 3000y", 24, "outside the years 1 to 9999");
    refused("last_purchase < 2026-01-31 - 25221m", 29, "outside the years");
    refused("last_purchase < today + 99999999d", 24, "outside the years");
    refused("tags = vip", 5, "is a list");
    refused("revenue contains 5", 8, "contains applies");
    refused("at_risk > true", 8, "only = and !=");
    refused("at_risk = 1", 10, "expected true or false");
    refused("kind in person", 8, "'['");
    refused("kind in [person", 15, "',' or ']'");
    refused("kind in []", 9, "expected a text value");
    refused("kind is person", 8, "expected null");
    refused("kind", 4, "expected an operator");
    refused("city = 'Paris", 7, "unterminated text");
    refused("revenue > 5 & kind = guest", 12, "unexpected");
    refused("revenue > 12abc", 10, "unexpected '12abc'");
    refused("kind = person AND AND", 18, "field name");
}

static void test_limits(void **state)
{
    (void)state;
    char buf[SEGX_MAX_LEN + 16];
    /* nesting */
    size_t k = 0;
    for (int i = 0; i < SEGX_MAX_DEPTH + 5; i++)
        buf[k++] = '(';
    strcpy(buf + k, "at_risk");
    k += 7;
    for (int i = 0; i < SEGX_MAX_DEPTH + 5; i++)
        buf[k++] = ')';
    buf[k] = 0;
    struct segx *x = NULL;
    struct segx_error e;
    assert_int_equal(segx_compile(buf, fields, K_NF, today, &x, &e), -1);
    assert_non_null(strstr(e.msg, "nested"));
    /* length */
    memset(buf, ' ', SEGX_MAX_LEN + 1);
    memcpy(buf, "at_risk", 7);
    buf[SEGX_MAX_LEN + 1] = 0;
    assert_int_equal(segx_compile(buf, fields, K_NF, today, &x, &e), -1);
    assert_non_null(strstr(e.msg, "longer than"));
    /* too many parts */
    k = 0;
    for (int i = 0; i < SEGX_MAX_NODES + 1 && k + 20 < sizeof(buf) - 20; i++)
        k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%sat_risk", i ? " OR " : "");
    assert_int_equal(segx_compile(buf, fields, K_NF, today, &x, &e), -1);
}

/* Random columns: the bitset evaluator against a plain row-by-row reading
 * of "kind = person AND revenue > 100 AND last_purchase < today - 90d",
 * across word boundaries (n not a multiple of 64). */
static void test_against_reference(void **state)
{
    (void)state;
    size_t n = 1000 + 37;
    uint32_t *kc = malloc(n * sizeof(*kc));
    double *rv = malloc(n * sizeof(*rv));
    int32_t *lp = malloc(n * sizeof(*lp));
    uint8_t *fl = malloc(n);
    uint64_t seed = 42;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        kc[i] = (uint32_t)(seed >> 33) % 4;
        rv[i] = (seed >> 40) % 7 == 0 ? NAN : (double)((seed >> 20) % 500);
        lp[i] = (seed >> 50) % 9 == 0 ? INT32_MIN : today - (int32_t)((seed >> 24) % 400);
        fl[i] = (seed >> 45) & 1;
    }
    struct segx_column c[K_NF] = {0};
    c[K_KIND] = (struct segx_column){.code = kc, .dict = kinds, .ndict = 4};
    c[K_REV].num = rv;
    c[K_LAST].day = lp;
    c[K_RISK].flag = fl;
    struct segx *x = NULL;
    struct segx_error e;
    assert_int_equal(segx_compile("kind = person AND revenue > 100 AND last_purchase < today - "
                                  "90d OR NOT (at_risk OR kind is null)",
                                  fields, K_NF, today, &x, &e),
                     0);
    uint64_t *bits = calloc(SEGX_WORDS(n), sizeof(uint64_t));
    assert_int_equal(segx_eval(x, c, n, bits), 0);
    size_t want = 0;
    for (size_t i = 0; i < n; i++) {
        int m = (kc[i] == 1 && rv[i] > 100 && lp[i] != INT32_MIN && lp[i] < today - 90) ||
                !(fl[i] || kc[i] == 0);
        want += (size_t)m;
        assert_int_equal((int)((bits[i / 64] >> (i % 64)) & 1), m);
    }
    assert_int_equal(segx_popcount(bits, n), want);
    /* no stray bits past n after a NOT */
    assert_int_equal(bits[SEGX_WORDS(n) - 1] >> (n % 64), 0);
    assert_true(segx_uses(x, K_KIND) && segx_uses(x, K_RISK) && !segx_uses(x, K_CITY));
    segx_free(x);
    free(bits);
    free(kc);
    free(rv);
    free(lp);
    free(fl);
}

static void test_empty_data(void **state)
{
    (void)state;
    struct segx *x = NULL;
    struct segx_error e;
    assert_int_equal(segx_compile("revenue > 5", fields, K_NF, today, &x, &e), 0);
    struct segx_column c[K_NF] = {0};
    assert_int_equal(segx_eval(x, c, 0, NULL), 0);
    assert_int_equal(segx_popcount(NULL, 0), 0);
    segx_free(x);
    segx_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comparisons), cmocka_unit_test(test_text_and_enum),
        cmocka_unit_test(test_lists_flags), cmocka_unit_test(test_dates),
        cmocka_unit_test(test_precedence),  cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),      cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_empty_data),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
