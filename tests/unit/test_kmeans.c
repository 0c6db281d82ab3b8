/* Unit tests for analytics/kmeans: well-separated synthetic blobs on very
 * different scales, determinism, profiles in original units, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/kmeans.h"

/* xorshift64* and Box-Muller: a deterministic normal generator */
static double unif(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return ((*s * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}

static double gauss(uint64_t *s)
{
    double u = unif(s), v = unif(s);
    return sqrt(-2 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

/* Blob b (0..2) of size m: recency in days ~ 30/200/600, revenue in cents
 * ~ 50000/5000/20000, so the scales differ by 100x. */
static const double CENTRE[3][2] = {{30, 50000}, {200, 5000}, {600, 20000}};
static const double SPREAD[2] = {10, 1500};
static const size_t SIZE[3] = {400, 250, 150};

static double *blobs(size_t *n, int *truth)
{
    size_t total = SIZE[0] + SIZE[1] + SIZE[2], i = 0;
    double *x = malloc(total * 2 * sizeof(*x));
    assert_non_null(x);
    uint64_t s = 12345;
    /* interleave the blobs so that row order says nothing */
    size_t left[3] = {SIZE[0], SIZE[1], SIZE[2]};
    while (i < total) {
        int b = (int)(unif(&s) * 3);
        if (left[b] == 0)
            continue;
        left[b]--;
        truth[i] = b;
        x[2 * i] = CENTRE[b][0] + SPREAD[0] * gauss(&s);
        x[2 * i + 1] = CENTRE[b][1] + SPREAD[1] * gauss(&s);
        i++;
    }
    *n = total;
    return x;
}

static void test_separated_blobs(void **state)
{
    (void)state;
    size_t n;
    int truth[800], lab[800], lab2[800];
    double *x = blobs(&n, truth);
    struct kmeans_options o;
    kmeans_options_default(&o);
    o.k = 3;
    o.seed = 42;
    struct kmeans_result r = {0};
    assert_int_equal(kmeans_fit(&r, lab, x, n, 2, &o, NULL), 0);
    /* clusters numbered by size: 400, 250, 150 = blobs 0, 1, 2 */
    for (int c = 0; c < 3; c++)
        assert_int_equal(r.sizes[c], SIZE[c]);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(lab[i], truth[i]);
    /* profiles are in original units, near the true centres */
    for (int c = 0; c < 3; c++) {
        assert_true(fabs(r.centroids[c * 2] - CENTRE[c][0]) < 3);
        assert_true(fabs(r.centroids[c * 2 + 1] - CENTRE[c][1]) < 400);
    }
    assert_true(r.sd[0] > 100 && r.sd[1] > 10000);
    assert_true(r.inertia > 0 && r.iterations >= 1);

    /* same seed, same answer; another seed, same partition (well separated) */
    struct kmeans_result r2 = {0};
    assert_int_equal(kmeans_fit(&r2, lab2, x, n, 2, &o, NULL), 0);
    assert_memory_equal(lab, lab2, n * sizeof(int));
    assert_true(r.inertia == r2.inertia);
    kmeans_result_release(&r2);
    o.seed = 7;
    assert_int_equal(kmeans_fit(&r2, lab2, x, n, 2, &o, NULL), 0);
    assert_memory_equal(lab, lab2, n * sizeof(int));
    kmeans_result_release(&r2);

    /* k = 1: one cluster whose profile is the overall mean */
    o.k = 1;
    assert_int_equal(kmeans_fit(&r2, lab2, x, n, 2, &o, NULL), 0);
    assert_true(fabs(r2.centroids[0] - r2.mean[0]) < 1e-9);
    assert_int_equal(r2.sizes[0], n);
    kmeans_result_release(&r2);
    kmeans_result_release(&r);
    kmeans_result_release(&r); /* twice is harmless */
    free(x);
}

static void test_degenerate_and_errors(void **state)
{
    (void)state;
    /* identical points and a constant feature: no NaN, every cluster filled */
    double x[12] = {1, 5, 1, 5, 1, 5, 1, 5, 1, 5, 1, 5};
    int lab[6];
    struct kmeans_options o;
    kmeans_options_default(&o);
    o.k = 3;
    struct kmeans_result r = {0};
    assert_int_equal(kmeans_fit(&r, lab, x, 6, 2, &o, NULL), 0);
    size_t total = 0;
    for (int c = 0; c < 3; c++) {
        total += r.sizes[c];
        assert_true(r.centroids[c * 2] == 1 && r.centroids[c * 2 + 1] == 5);
    }
    assert_int_equal(total, 6);
    assert_true(r.inertia == 0);
    kmeans_result_release(&r);

    struct err e;
    o.k = 7;
    assert_int_equal(kmeans_fit(&r, lab, x, 6, 2, &o, &e), ERR_INVALID);
    assert_string_equal(e.field, "k");
    assert_null(r.centroids);
    o.k = 2;
    x[3] = NAN;
    assert_int_equal(kmeans_fit(&r, lab, x, 6, 2, &o, &e), ERR_INVALID);
    assert_int_equal(kmeans_fit(&r, lab, x, 6, 0, &o, &e), ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_separated_blobs),
        cmocka_unit_test(test_degenerate_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
