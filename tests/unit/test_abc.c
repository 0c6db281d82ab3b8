/* Unit tests for analytics/abc: the seed's cut-offs, ties, non-positive
 * revenue, the revenue-share mode and the Pareto curve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "analytics/abc.h"

static void test_seed_cutoffs_100(void **state)
{
    (void)state;
    struct abc_input in[100];
    uint8_t cls[100];
    size_t rank[100];
    for (int i = 0; i < 100; i++) /* shuffled order: revenue (i*37 % 100 + 1) euros */
        in[i] = (struct abc_input){i, (int64_t)((i * 37) % 100 + 1) * 100};
    struct abc_config c;
    abc_config_default(&c);
    struct abc_result r;
    assert_int_equal(abc_classify(cls, rank, &r, NULL, 0, in, 100, &c, NULL), 0);
    assert_int_equal(r.cls[ABC_A].customers, 5);
    assert_int_equal(r.cls[ABC_B].customers, 15);
    assert_int_equal(r.cls[ABC_C].customers, 80);
    assert_int_equal(r.total, 505000);
    for (int i = 0; i < 100; i++) {
        int64_t euros = in[i].revenue / 100; /* 1..100, rank = 101 - euros */
        assert_int_equal(rank[i], 101 - euros);
        assert_int_equal(cls[i], euros > 95 ? ABC_A : euros > 80 ? ABC_B : ABC_C);
    }
    /* A = 96..100 = 490 euros of 5050 */
    assert_int_equal(r.cls[ABC_A].revenue, 49000);
    assert_true(fabs(r.cls[ABC_A].revenue_share - 490.0 / 5050.0) < 1e-12);
    double s = 0;
    for (int k = 0; k < 3; k++)
        s += r.cls[k].revenue_share;
    assert_true(fabs(s - 1) < 1e-12);
}

static void test_small_n_ceilings_and_ties(void **state)
{
    (void)state;
    /* N = 7: ceil(0.35) = 1 in A, ceil(1.4) - 1 = 1 in B */
    struct abc_input in[7] = {{10, 500}, {11, 900}, {12, 900}, {13, 100},
                              {14, 100}, {15, 50},  {16, 50}};
    uint8_t cls[7];
    size_t rank[7];
    struct abc_config c;
    abc_config_default(&c);
    struct abc_result r;
    assert_int_equal(abc_classify(cls, rank, &r, NULL, 0, in, 7, &c, NULL), 0);
    /* 11 and 12 tie on 900: the lower id ranks first */
    assert_int_equal(rank[1], 1);
    assert_int_equal(rank[2], 2);
    assert_int_equal(cls[1], ABC_A);
    assert_int_equal(cls[2], ABC_B);
    assert_int_equal(cls[0], ABC_C);
    assert_int_equal(rank[5], 6);
    assert_int_equal(rank[6], 7);

    /* 0.55 x 100 is 55.000000000000007 in binary: the cut-off must still be 55 */
    struct abc_input big[100];
    uint8_t cb[100];
    for (int i = 0; i < 100; i++)
        big[i] = (struct abc_input){i, 1000 - i};
    c.a_cut = 0.55;
    c.b_cut = 0.55;
    assert_int_equal(abc_classify(cb, NULL, &r, NULL, 0, big, 100, &c, NULL), 0);
    assert_int_equal(r.cls[ABC_A].customers, 55);
    assert_int_equal(r.cls[ABC_B].customers, 0);
}

static void test_non_positive_revenue_is_c(void **state)
{
    (void)state;
    /* ceil(0.05 x 3) = 1 would put the top customer in A, but it has 0 */
    struct abc_input in[3] = {{1, 0}, {2, -500}, {3, 0}};
    uint8_t cls[3];
    struct abc_config c;
    abc_config_default(&c);
    struct abc_result r;
    assert_int_equal(abc_classify(cls, NULL, &r, NULL, 0, in, 3, &c, NULL), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cls[i], ABC_C);
    assert_int_equal(r.cls[ABC_C].customers, 3);
    assert_int_equal(r.total, -500);
    assert_true(r.cls[ABC_C].revenue_share == 0); /* no meaningful share */

    /* with one positive customer among 40, only it can be A (ceil(2) = 2) */
    struct abc_input m[40];
    uint8_t cm[40];
    for (int i = 0; i < 40; i++)
        m[i] = (struct abc_input){i, i == 7 ? 1000 : -(int64_t)i};
    assert_int_equal(abc_classify(cm, NULL, &r, NULL, 0, m, 40, &c, NULL), 0);
    assert_int_equal(r.cls[ABC_A].customers, 1);
    assert_int_equal(r.cls[ABC_B].customers, 0);
    assert_int_equal(cm[7], ABC_A);
}

static void test_revenue_mode(void **state)
{
    (void)state;
    struct abc_input in[7] = {{1, 5000}, {2, 2000}, {3, 1000}, {4, 1000},
                              {5, 500},  {6, 500},  {7, -300}};
    uint8_t cls[7];
    struct abc_config c = {ABC_BY_REVENUE, 0.65, 0.80};
    struct abc_result r;
    assert_int_equal(abc_classify(cls, NULL, &r, NULL, 0, in, 7, &c, NULL), 0);
    /* positive total 10000: before 1 = 0 < 6500 A; before 2 = 5000 A;
     * before 3 = 7000 < 8000 B; before 4 = 8000 C */
    assert_int_equal(cls[0], ABC_A);
    assert_int_equal(cls[1], ABC_A);
    assert_int_equal(cls[2], ABC_B);
    assert_int_equal(cls[3], ABC_C);
    assert_int_equal(cls[6], ABC_C);
    assert_int_equal(r.cls[ABC_A].revenue, 7000);
    assert_int_equal(r.cls[ABC_C].revenue, 1700);
    assert_int_equal(r.total, 9700);

    struct err e;
    c.b_cut = 0.5;
    assert_int_equal(abc_classify(cls, NULL, &r, NULL, 0, in, 7, &c, &e), ERR_INVALID);
    assert_string_equal(e.field, "b_cut");
}

static void test_pareto_curve(void **state)
{
    (void)state;
    struct abc_input in[4] = {{1, 100}, {2, 400}, {3, 300}, {4, 200}};
    uint8_t cls[4];
    struct abc_config c;
    abc_config_default(&c);
    struct abc_result r;
    struct abc_point pt[3];
    assert_int_equal(abc_classify(cls, NULL, &r, pt, 3, in, 4, &c, NULL), 0);
    assert_true(pt[0].customers == 0 && pt[0].revenue == 0);
    assert_true(pt[1].customers == 0.5 && fabs(pt[1].revenue - 0.7) < 1e-12);
    assert_true(pt[2].customers == 1 && fabs(pt[2].revenue - 1) < 1e-12);

    /* a long base downsampled to 101 points: monotone, concave, ends at 1 */
    enum { N = 100003 };
    struct abc_input *big = malloc(N * sizeof(*big));
    uint8_t *cb = malloc(N);
    struct abc_point curve[101];
    assert_true(big && cb);
    for (int i = 0; i < N; i++) /* heavy tail: revenue ~ 1 / rank */
        big[i] = (struct abc_input){i, 10000000 / ((i * 7919) % N + 1)};
    assert_int_equal(abc_classify(cb, NULL, &r, curve, 101, big, N, &c, NULL), 0);
    assert_true(curve[100].customers == 1 && fabs(curve[100].revenue - 1) < 1e-12);
    for (int k = 1; k <= 100; k++) {
        assert_true(curve[k].customers > curve[k - 1].customers);
        assert_true(curve[k].revenue >= curve[k - 1].revenue);
        assert_true(fabs(curve[k].customers - k / 100.0) < 1e-4);
    }
    assert_true(curve[5].revenue > 0.5); /* heavy tail: top 5 % hold most */
    assert_int_equal(r.cls[ABC_A].customers, (N * 5 + 99) / 100);
    free(big);
    free(cb);

    struct err e;
    assert_int_equal(abc_classify(cls, NULL, &r, pt, 1, in, 4, &c, &e), ERR_INVALID);
    /* an empty base is not an error */
    assert_int_equal(abc_classify(cls, NULL, &r, pt, 3, in, 0, &c, NULL), 0);
    assert_int_equal(r.n, 0);
    assert_true(pt[2].customers == 1 && pt[2].revenue == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_cutoffs_100),
        cmocka_unit_test(test_small_n_ceilings_and_ties),
        cmocka_unit_test(test_non_positive_revenue_is_c),
        cmocka_unit_test(test_revenue_mode),
        cmocka_unit_test(test_pareto_curve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
