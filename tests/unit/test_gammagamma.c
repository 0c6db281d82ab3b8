/* Unit tests for analytics/gammagamma: the published CDNOW fit (Fader,
 * Hardie & Lee 2005 "RFM and CLV") and lifetimes' expected average profit
 * of customers 1-10. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "analytics/gammagamma.h"

#define CDNOW_MONEY "../shared/data/cdnow/cdnow_customers_summary_with_transactions.csv"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads ID,x,t_x,T,zbar (CRLF, no final newline); 0 if the file is missing. */
static size_t load_money(const char *path, struct clv_summary **out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t cap = 4096, n = 0;
    struct clv_summary *s = malloc(cap * sizeof(*s));
    assert_non_null(s);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        char *end;
        strtol(line, &end, 10);
        assert_true(*end == ',');
        long x = strtol(end + 1, &end, 10);
        assert_true(*end == ',');
        double tx = strtod(end + 1, &end);
        assert_true(*end == ',');
        double T = strtod(end + 1, &end);
        assert_true(*end == ',');
        double z = strtod(end + 1, &end);
        assert_true(*end == '\r' || *end == '\n' || *end == '\0');
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

static void test_cdnow_fit_and_expected_spend(void **state)
{
    (void)state;
    struct clv_summary *s = NULL;
    size_t n = load_money(CDNOW_MONEY, &s);
    if (n == 0) {
        fprintf(stderr, "skipped: %s not found (run from the repository root)\n", CDNOW_MONEY);
        skip();
    }
    assert_int_equal(n, 2357);
    struct gg_fit fit;
    double t0 = now_s();
    assert_int_equal(gg_fit(&fit, s, n, NULL, NULL), 0);
    double dt = now_s() - t0;
    fprintf(stderr,
            "gammagamma: CDNOW fit p=%.6f q=%.6f v=%.6f LL=%.4f (se %.4f %.4f %.4f) "
            "%d iterations, %.3f s\n",
            fit.p.p, fit.p.q, fit.p.v, fit.ll, fit.se.p, fit.se.q, fit.se.v, fit.iterations, dt);
    assert_true(fit.converged);
    assert_int_equal(fit.n, 946);
    /* Fader, Hardie & Lee 2005: p = 6.25, q = 3.74, v = 15.44 */
    assert_true(fabs(fit.p.p - 6.25) < 0.005);
    assert_true(fabs(fit.p.q - 3.74) < 0.005);
    assert_true(fabs(fit.p.v - 15.44) < 0.01);
    /* the optimum beats its neighbours */
    struct gg_params nb = fit.p;
    nb.v *= 1.001;
    assert_true(gg_loglik(&nb, s, n) < fit.ll);
    assert_true(fabs(gg_loglik(&fit.p, s, n) - fit.ll) < 1e-6);

    /* lifetimes' conditional expected average profit, customers 1-10, from
     * Hardie's spreadsheet: the figures are truncated to cents (customer 1
     * is 24.6586 at this fit, printed 24.65), so each must lie in
     * [want, want + 0.01) */
    const double want[10] = {24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17};
    for (int i = 0; i < 10; i++) {
        double got = gg_expected_spend(&fit.p, s[i].x, s[i].zbar);
        assert_true(got >= want[i] - 1e-9 && got < want[i] + 0.01);
    }
    free(s);
}

static void test_formulas(void **state)
{
    (void)state;
    struct gg_params p = {6.25, 3.74, 15.44};
    /* x = 0: the population mean p v / (q - 1) */
    assert_true(fabs(gg_expected_spend(&p, 0, 0) - 6.25 * 15.44 / 2.74) < 1e-12);
    /* a weighted mean of the population mean and zbar, tending to zbar */
    double m = gg_expected_spend(&p, 1000, 50);
    assert_true(m > 49.9 && m < 50.1);
    struct gg_params heavy = {6.25, 0.9, 15.44};
    assert_true(isnan(gg_expected_spend(&heavy, 0, 0)));
    assert_true(isnan(gg_loglik1(&p, 0, 10)));
    assert_true(isnan(gg_loglik1(&p, 2, 0)));
    assert_true(isfinite(gg_loglik1(&p, 2, 10)));

    struct err e;
    struct gg_fit fit;
    struct clv_summary none[] = {{0, 0, 10, 0, 0}, {-1, 0, 0, 0, 0}, {3, 5, 10, 0, 0}};
    assert_int_equal(gg_fit(&fit, none, 3, NULL, &e), ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cdnow_fit_and_expected_spend),
        cmocka_unit_test(test_formulas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
