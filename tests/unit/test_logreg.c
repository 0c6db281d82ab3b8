/* Unit tests for analytics/logreg: recovering known coefficients from
 * simulated data, separable classes, and the Mann-Whitney AUC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "analytics/logreg.h"

/* xorshift64*: deterministic uniform numbers in (0, 1) */
static double uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return ((double)((*s * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(uint64_t *s)
{
    return sqrt(-2 * log(uniform(s))) * cos(2 * M_PI * uniform(s));
}

static void test_recovers_coefficients(void **state)
{
    (void)state;
    enum { N = 200000, D = 3 };
    const double truth[D + 1] = {-0.5, 1.2, -0.8, 0.3}; /* intercept, slopes (raw units) */
    double *x = malloc(N * D * sizeof(*x));
    uint8_t *y = malloc(N);
    uint64_t s = 42;
    for (int i = 0; i < N; i++) {
        double t = truth[0];
        x[i * D + 0] = gauss(&s);
        x[i * D + 1] = 2 + 3 * gauss(&s); /* mean 2, sd 3: standardisation must undo it */
        x[i * D + 2] = uniform(&s) * 10;
        for (int j = 0; j < D; j++)
            t += truth[j + 1] * x[i * D + j];
        y[i] = uniform(&s) < 1 / (1 + exp(-t));
    }
    struct logreg_model m;
    assert_int_equal(logreg_fit(&m, x, y, N, D, 0, NULL), 0);
    assert_true(m.converged);
    for (int j = 0; j <= D; j++)
        assert_true(fabs(m.w_raw[j] - truth[j]) < 0.05);
    double row[D] = {1, 2, 3};
    double t = truth[0] + truth[1] * 1 + truth[2] * 2 + truth[3] * 3;
    assert_true(fabs(logreg_predict(&m, row) - 1 / (1 + exp(-t))) < 0.02);
    free(x);
    free(y);
}

static void test_separable_stays_finite(void **state)
{
    (void)state;
    double x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t y[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    struct logreg_model m;
    assert_int_equal(logreg_fit(&m, x, y, 8, 1, 1e-3, NULL), 0);
    assert_true(isfinite(m.w[1]) && m.w[1] > 0);
    assert_true(logreg_predict(&m, (double[]){8}) > 0.9);
    assert_true(logreg_predict(&m, (double[]){1}) < 0.1);
}

static void test_errors(void **state)
{
    (void)state;
    double x[4] = {1, 2, 3, NAN};
    uint8_t y1[4] = {1, 1, 1, 1}, y[4] = {0, 1, 0, 1};
    struct logreg_model m;
    struct err e = {0};
    assert_int_equal(logreg_fit(&m, x, y1, 3, 1, 0, &e), ERR_INVALID);
    assert_string_equal(e.field, "labels");
    assert_int_equal(logreg_fit(&m, x, y, 4, 1, 0, &e), ERR_INVALID);
    assert_int_equal(logreg_fit(&m, x, y, 4, 0, 0, &e), ERR_INVALID);
}

static void test_auc(void **state)
{
    (void)state;
    double perfect[4] = {0.1, 0.2, 0.8, 0.9};
    uint8_t y[4] = {0, 0, 1, 1};
    assert_true(fabs(logreg_auc(perfect, y, 4) - 1) < 1e-12);
    double reversed[4] = {0.9, 0.8, 0.2, 0.1};
    assert_true(fabs(logreg_auc(reversed, y, 4)) < 1e-12);
    double ties[4] = {0.5, 0.5, 0.5, 0.5};
    assert_true(fabs(logreg_auc(ties, y, 4) - 0.5) < 1e-12);
    /* pairs (pos, neg): 0.7>0.4, 0.7>0.6, 0.5>0.4, 0.5<0.6 -> 3/4 */
    double mixed[4] = {0.4, 0.6, 0.7, 0.5};
    assert_true(fabs(logreg_auc(mixed, y, 4) - 0.75) < 1e-12);
    uint8_t one[4] = {1, 1, 1, 1};
    assert_true(isnan(logreg_auc(mixed, one, 4)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recovers_coefficients),
        cmocka_unit_test(test_separable_stays_finite),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_auc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
