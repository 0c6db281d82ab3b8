/* Unit tests for analytics/clv: the seed's formulas, the BG/NBD x
 * Gamma-Gamma CLV, and the whole pipeline on the full CDNOW cohort. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "analytics/clv.h"
#include "util/timeu.h"

/* Timings are asserted, except under valgrind (make check), which runs the
 * code some 50 times slower. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define CDNOW_MONEY "../shared/data/cdnow/cdnow_customers_summary_with_transactions.csv"
#define CDNOW_MASTER "../shared/data/cdnow/CDNOW_master.txt"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_seed_formulas(void **state)
{
    (void)state;
    /* 5 years x 200 euros of margin a year - 150 of acquisition */
    assert_true(clv_seed_simple(5, 200, 150) == 850);

    /* 3 years of 1000 revenue, 30 % margin, 10 % discount, no attrition */
    double rev[3] = {1000, 1000, 1000};
    double v = clv_discounted_profits(rev, 3, 0.3, 0.10, 1, 0);
    assert_true(fabs(v - (300 / 1.1 + 300 / 1.21 + 300 / 1.331)) < 1e-9);
    /* with 80 % retention and 100 acquisition cost */
    v = clv_discounted_profits(rev, 3, 0.3, 0.10, 0.8, 100);
    assert_true(fabs(v - (300 / 1.1 + 240 / 1.21 + 192 / 1.331 - 100)) < 1e-9);
    /* a long horizon converges to the geometric sum m r^0 / (1+d) / (1 - r/(1+d)) */
    double *flat = malloc(2000 * sizeof(*flat));
    assert_non_null(flat);
    for (int i = 0; i < 2000; i++)
        flat[i] = 100;
    v = clv_discounted_profits(flat, 2000, 1, 0.05, 0.9, 0);
    assert_true(fabs(v - 100 / (1.05 - 0.9)) < 1e-6);
    free(flat);
    assert_true(isnan(clv_discounted_profits(rev, 3, 0.3, -1, 1, 0)));
    assert_true(clv_discounted_profits(rev, 0, 0.3, 0.1, 1, 25) == -25);
}

static const struct bgnbd_params BG = {0.242593, 4.413532, 0.792886, 2.425752};
static const struct gg_params GG = {6.248805, 3.744588, 15.447739};

static void test_probabilistic_clv(void **state)
{
    (void)state;
    struct clv_summary c = {2, 30.43, 38.86, 22.35, 0};
    struct clv_options o;
    clv_options_default(&o);
    /* no discount: the sum telescopes to E[M] * E[Y(K u)] */
    o.monthly_discount = 0;
    double v = clv_customer(&BG, &GG, &c, &o);
    double want = gg_expected_spend(&GG, 2, 22.35) *
                  bgnbd_conditional_expected(&BG, 12 * 4.345, 2, 30.43, 38.86);
    assert_true(fabs(v - want) < 1e-9);
    /* discounting lowers it, margin scales it */
    o.monthly_discount = 0.01;
    double d = clv_customer(&BG, &GG, &c, &o);
    assert_true(d < v && d > v / 1.01 / 1.01 / 1.01 / 1.01 / 1.01 / 1.01 / 1.01 / 1.01 / 1.01 /
                                 1.01 / 1.01 / 1.01);
    o.margin = 0.3;
    assert_true(fabs(clv_customer(&BG, &GG, &c, &o) - 0.3 * d) < 1e-9);

    struct clv_summary rows[3] = {c, {0, 0, 38.86, 0, 0}, {-1, 0, 0, 0, 0}};
    double out[3];
    assert_int_equal(clv_predict(out, rows, 3, &BG, &GG, NULL, NULL), 0);
    assert_true(fabs(out[0] - d) < 1e-9);
    assert_true(out[1] > 0 && out[1] < out[0]);
    assert_true(isnan(out[2]));
    struct err e;
    o.months = 0;
    assert_int_equal(clv_predict(out, rows, 3, &BG, &GG, &o, &e), ERR_INVALID);
}

/*
 * lifetimes' quick-start prints CLV for customers 1-10 of CDNOW with
 * time=12, discount_rate=0.01 and its default freq="D", i.e. 30 model
 * units (here weeks) a month. A unit mix-up in the docs, but a good check
 * that the sum is the same one: with units_per_month = 30 we must print the
 * same numbers (140.096218, 18.943466, 38.180575, ...).
 */
static void test_lifetimes_quickstart_values(void **state)
{
    (void)state;
    FILE *f = fopen(CDNOW_MONEY, "r");
    if (!f) {
        fprintf(stderr, "skipped: %s not found (run from the repository root)\n", CDNOW_MONEY);
        skip();
    }
    struct clv_summary s[10];
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    for (int i = 0; i < 10; i++) {
        assert_non_null(fgets(line, sizeof line, f));
        char *end;
        strtol(line, &end, 10);
        long x = strtol(end + 1, &end, 10);
        double tx = strtod(end + 1, &end);
        double T = strtod(end + 1, &end);
        double z = strtod(end + 1, &end);
        s[i] = (struct clv_summary){(int32_t)x, tx, T, z, 0};
    }
    fclose(f);
    struct clv_options o;
    clv_options_default(&o);
    o.units_per_month = 30;
    double out[10];
    assert_int_equal(clv_predict(out, s, 10, &BG, &GG, &o, NULL), 0);
    const double want[10] = {140.096218,  18.943466, 38.180575, 38.180575,  38.180575,
                             1003.868285, 28.109681, 38.180575, 167.418224, 38.180575};
    for (int i = 0; i < 10; i++) {
        fprintf(stderr, "clv: customer %d: %.6f (lifetimes %.6f)\n", i + 1, out[i], want[i]);
        assert_true(fabs(out[i] - want[i]) < 0.005 * want[i]);
    }
}

/* The full cohort, 69,659 lines, 23,570 customers: summary, both fits and
 * the CLV of everyone, timed. */
static void test_cdnow_master_pipeline(void **state)
{
    (void)state;
    FILE *f = fopen(CDNOW_MASTER, "r");
    if (!f) {
        fprintf(stderr, "skipped: %s not found (run from the repository root)\n", CDNOW_MASTER);
        skip();
    }
    size_t cap = 80000, n = 0;
    struct rfm_txn *tx = malloc(cap * sizeof(*tx));
    assert_non_null(tx);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f) && n < cap) {
        char *end;
        long id = strtol(line, &end, 10);
        long ymd = strtol(end, &end, 10);
        strtol(end, &end, 10);
        double usd = strtod(end, &end);
        int32_t day = days_from_civil((int)(ymd / 10000), (int)(ymd / 100 % 100), (int)(ymd % 100));
        tx[n++] = (struct rfm_txn){(uint32_t)(id - 1), day, llround(usd * 100), 0};
    }
    fclose(f);
    assert_int_equal(n, 69659);
    enum { NC = 23570 };
    struct clv_summary *s = malloc(NC * sizeof(*s));
    double *clv = malloc(NC * sizeof(*clv));
    assert_true(s && clv);
    int32_t cal, obs;
    assert_int_equal(date_parse("1997-09-30", &cal), 0);
    assert_int_equal(date_parse("1998-06-30", &obs), 0);

    double t0 = now_s();
    assert_int_equal(clv_summary_build(s, NC, tx, n, cal, obs, 7, 100, NULL), 0);
    double t1 = now_s();
    struct bgnbd_fit bf;
    assert_int_equal(bgnbd_fit(&bf, s, NC, NULL, NULL), 0);
    double t2 = now_s();
    struct gg_fit gf;
    assert_int_equal(gg_fit(&gf, s, NC, NULL, NULL), 0);
    double t3 = now_s();
    assert_int_equal(clv_predict(clv, s, NC, &bf.p, &gf.p, NULL, NULL), 0);
    double t4 = now_s();

    double predicted = 0, total_clv = 0;
    long actual = 0;
    for (size_t i = 0; i < NC; i++) {
        predicted += bgnbd_conditional_expected(&bf.p, 39, s[i].x, s[i].t_x, s[i].T);
        actual += s[i].x_holdout;
        total_clv += clv[i];
    }
    fprintf(stderr,
            "clv: CDNOW master, %zu customers: BG/NBD r=%.4f alpha=%.4f a=%.4f b=%.4f "
            "LL=%.2f (%zu groups); GG p=%.4f q=%.4f v=%.4f (%zu customers)\n"
            "clv: holdout repeat purchases, 39 weeks: predicted %.0f, actual %ld; "
            "12-month CLV total %.0f USD\n"
            "clv: timings: summary %.3f s, BG/NBD fit %.3f s, GG fit %.3f s, CLV %.3f s\n",
            bf.n, bf.p.r, bf.p.alpha, bf.p.a, bf.p.b, bf.ll, bf.groups, gf.p.p, gf.p.q, gf.p.v,
            gf.n, predicted, actual, total_clv, t1 - t0, t2 - t1, t3 - t2, t4 - t3);
    assert_true(bf.converged && gf.converged);
    assert_int_equal(bf.n, NC);
    /* a sanity check, not a published figure: the forecast of the 39-week
     * holdout is in the right range (it under-forecasts CDNOW by ~14 %) */
    assert_true(fabs(predicted - actual) < 0.2 * actual);
    assert_true(RUNNING_ON_VALGRIND || t3 - t1 < 2.0);
    free(tx);
    free(s);
    free(clv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_formulas),
        cmocka_unit_test(test_probabilistic_clv),
        cmocka_unit_test(test_lifetimes_quickstart_values),
        cmocka_unit_test(test_cdnow_master_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
