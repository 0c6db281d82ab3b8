/* Unit tests for analytics/clv_summary: CDNOW_sample.txt turned into the
 * published (x, t_x, T, zbar) summary, and the merging rules on small cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/clv_summary.h"
#include "util/timeu.h"

#define CDNOW_SAMPLE "../shared/data/cdnow/CDNOW_sample.txt"
#define CDNOW_MONEY "../shared/data/cdnow/cdnow_customers_summary_with_transactions.csv"

static int32_t D(const char *s)
{
    int32_t d = 0;
    assert_int_equal(date_parse(s, &d), 0);
    return d;
}

/* CDNOW_sample.txt: master id, sample id, YYYYMMDD, CDs, dollars. Customer
 * index = sample id - 1. Returns the number of lines, 0 if missing. */
static size_t load_sample(const char *path, struct rfm_txn **out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t cap = 8192, n = 0;
    struct rfm_txn *t = malloc(cap * sizeof(*t));
    assert_non_null(t);
    char line[256];
    while (fgets(line, sizeof line, f)) {
        char *end;
        strtol(line, &end, 10);
        long sid = strtol(end, &end, 10);
        long ymd = strtol(end, &end, 10);
        strtol(end, &end, 10);
        double usd = strtod(end, &end);
        assert_true(sid >= 1 && ymd > 19970000);
        if (n == cap) {
            cap *= 2;
            t = realloc(t, cap * sizeof(*t));
            assert_non_null(t);
        }
        int32_t day = days_from_civil((int)(ymd / 10000), (int)(ymd / 100 % 100), (int)(ymd % 100));
        t[n++] = (struct rfm_txn){(uint32_t)(sid - 1), day, llround(usd * 100), 0};
    }
    fclose(f);
    *out = t;
    return n;
}

static size_t load_money(const char *path, struct clv_summary **out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t cap = 4096, n = 0;
    struct clv_summary *s = malloc(cap * sizeof(*s));
    assert_non_null(s);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f)) {
        char *end;
        strtol(line, &end, 10);
        long x = strtol(end + 1, &end, 10);
        double tx = strtod(end + 1, &end);
        double T = strtod(end + 1, &end);
        double z = strtod(end + 1, &end);
        if (n == cap) {
            cap *= 2;
            s = realloc(s, cap * sizeof(*s));
            assert_non_null(s);
        }
        s[n++] = (struct clv_summary){(int32_t)x, tx, T, z, 0};
    }
    fclose(f);
    *out = s;
    return n;
}

static void test_cdnow_sample_reproduces_summary(void **state)
{
    (void)state;
    struct rfm_txn *tx = NULL;
    struct clv_summary *want = NULL;
    size_t ntx = load_sample(CDNOW_SAMPLE, &tx);
    size_t nw = load_money(CDNOW_MONEY, &want);
    if (ntx == 0 || nw == 0) {
        fprintf(stderr, "skipped: %s or %s not found (run from the repository root)\n",
                CDNOW_SAMPLE, CDNOW_MONEY);
        free(tx);
        free(want);
        skip();
    }
    assert_int_equal(ntx, 6919);
    assert_int_equal(nw, 2357);
    /* the builder must not depend on the order of the lines: reverse them */
    for (size_t i = 0; i < ntx / 2; i++) {
        struct rfm_txn t = tx[i];
        tx[i] = tx[ntx - 1 - i];
        tx[ntx - 1 - i] = t;
    }
    struct clv_summary got[2357];
    assert_int_equal(
        clv_summary_build(got, 2357, tx, ntx, D("1997-09-30"), D("1998-06-30"), 7, 100, NULL), 0);
    size_t repeaters = 0;
    long sum = 0, holdout = 0;
    for (size_t i = 0; i < 2357; i++) {
        assert_int_equal(got[i].x, want[i].x);
        /* the file rounds weeks and dollars to 2 decimals */
        assert_true(fabs(got[i].t_x - want[i].t_x) <= 0.005 + 1e-9);
        assert_true(fabs(got[i].T - want[i].T) <= 0.005 + 1e-9);
        assert_true(fabs(got[i].zbar - want[i].zbar) <= 0.005 + 1e-9);
        repeaters += got[i].x > 0;
        sum += got[i].x;
        holdout += got[i].x_holdout;
    }
    fprintf(stderr,
            "clv_summary: %zu customers with x > 0, %ld repeat transactions, "
            "%ld in the 39-week holdout\n",
            repeaters, sum, holdout);
    assert_int_equal(repeaters, 946);
    assert_int_equal(sum, 2457);
    assert_true(fabs(got[0].T - 38.857142857142854) < 1e-12); /* 272 days, unrounded */
    free(tx);
    free(want);
}

static void test_merging_rules(void **state)
{
    (void)state;
    struct rfm_txn tx[] = {
        {0, D("2024-01-10"), 1000, 0}, {0, D("2024-01-01"), 500, 0},  /* first day ... */
        {0, D("2024-01-01"), 700, 0},                                 /* ... merged */
        {0, D("2024-01-10"), 2000, 0},                                /* same day: one */
        {0, D("2024-01-15"), 0, 0},                                   /* 0 is a purchase */
        {0, D("2024-01-20"), 9900, 1},                                /* refund: skipped */
        {0, D("2024-03-01"), 4000, 0}, {0, D("2024-03-02"), 4000, 0}, /* holdout */
        {0, D("2025-01-01"), 4000, 0},                                /* after obs_end */
        {2, D("2024-02-01"), 100, 0},                                 /* after cal_end */
    };
    struct clv_summary s[3];
    assert_int_equal(
        clv_summary_build(s, 3, tx, 10, D("2024-01-29"), D("2024-06-30"), 7, 100, NULL), 0);
    assert_int_equal(s[0].x, 2);
    assert_true(fabs(s[0].t_x - 2.0) < 1e-12);   /* Jan 1 -> Jan 15 */
    assert_true(fabs(s[0].T - 4.0) < 1e-12);     /* Jan 1 -> Jan 29 */
    assert_true(fabs(s[0].zbar - 15.0) < 1e-12); /* (30 + 0) / 2 */
    assert_int_equal(s[0].x_holdout, 2);
    assert_int_equal(s[1].x, -1); /* never bought */
    assert_int_equal(s[2].x, -1); /* first purchase after calibration */

    struct err e;
    assert_int_equal(clv_summary_build(s, 2, tx, 10, D("2024-01-29"), D("2024-06-30"), 7, 100, &e),
                     ERR_INVALID);
    assert_string_equal(e.field, "customer");
    assert_int_equal(clv_summary_build(s, 3, tx, 10, D("2024-01-29"), D("2024-01-01"), 7, 100, &e),
                     ERR_INVALID);
    assert_int_equal(
        clv_summary_build(s, 3, NULL, 0, D("2024-01-29"), D("2024-01-29"), 7, 100, NULL), 0);
    assert_int_equal(s[0].x, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cdnow_sample_reproduces_summary),
        cmocka_unit_test(test_merging_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
