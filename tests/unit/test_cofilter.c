/* Unit tests for analytics/cofilter and analytics/geo: cosine similarities
 * computed by hand, exclusions, best sellers; areas grouped and ordered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/cofilter.h"
#include "analytics/geo.h"

/* users 0..3, items 0..3:
 *   u0: 0 1      u1: 0 1 2     u2: 0 2     u3: 3 (and a duplicate of 3) */
static void build(struct cof_model *m)
{
    struct cof_pair p[] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2},
                           {2, 0}, {2, 2}, {3, 3}, {3, 3}, {0, 1}};
    assert_int_equal(cofilter_build(m, p, 10, 4, 4, NULL), 0);
    assert_int_equal(m->npairs, 8);
}

static void test_similar(void **state)
{
    (void)state;
    struct cof_model m;
    build(&m);
    struct cof_score out[4];
    size_t n;
    assert_int_equal(cofilter_similar(&m, 1, 4, out, &n, NULL), 0);
    /* item 1 buyers {0,1}; item 0 buyers {0,1,2}: 2/sqrt(6); item 2 {1,2}: 1/2 */
    assert_int_equal(n, 2);
    assert_int_equal(out[0].item, 0);
    assert_true(fabs(out[0].score - 2 / sqrt(6)) < 1e-12);
    assert_int_equal(out[0].common, 2);
    assert_int_equal(out[1].item, 2);
    assert_true(fabs(out[1].score - 0.5) < 1e-12);
    assert_int_equal(cofilter_similar(&m, 3, 4, out, &n, NULL), 0);
    assert_int_equal(n, 0); /* nobody else bought with item 3 */
    cofilter_release(&m);
}

static void test_recommend(void **state)
{
    (void)state;
    struct cof_model m;
    build(&m);
    struct cof_score out[4];
    size_t n;
    uint32_t owned[] = {0, 1}; /* u0 */
    assert_int_equal(cofilter_recommend(&m, owned, 2, NULL, 4, out, &n, NULL), 0);
    /* item 2: cos(0,2) = 2/sqrt(6) + cos(1,2) = 1/2 */
    assert_int_equal(n, 1);
    assert_int_equal(out[0].item, 2);
    assert_true(fabs(out[0].score - (2 / sqrt(6) + 0.5)) < 1e-12);
    assert_int_equal(out[0].common, 2);
    uint8_t excluded[4] = {0, 0, 1, 0};
    assert_int_equal(cofilter_recommend(&m, owned, 2, excluded, 4, out, &n, NULL), 0);
    assert_int_equal(n, 0);
    assert_int_equal(cofilter_popular(&m, NULL, 2, out, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].item, 0); /* 3 buyers */
    assert_int_equal(out[1].item, 1); /* 2 buyers, lower index than item 2 */
    struct cof_pair bad[] = {{9, 0}};
    struct cof_model m2;
    assert_int_equal(cofilter_build(&m2, bad, 1, 4, 4, NULL), ERR_INVALID);
    cofilter_release(&m);
}

static void test_geo(void **state)
{
    (void)state;
    struct geo_row rows[] = {{"FR", 100, GEO_BUYER | GEO_ACTIVE},
                             {NULL, 5000, GEO_BUYER},
                             {"BE", 300, GEO_BUYER},
                             {"FR", 250, GEO_BUYER},
                             {"FR", 0, 0}};
    struct geo_area *a;
    size_t n;
    assert_int_equal(geo_group(&a, &n, rows, 5, NULL), 0);
    assert_int_equal(n, 3);
    assert_string_equal(a[0].key, "FR");
    assert_int_equal(a[0].customers, 3);
    assert_int_equal(a[0].buyers, 2);
    assert_int_equal(a[0].active, 1);
    assert_int_equal(a[0].revenue, 350);
    assert_string_equal(a[1].key, "BE");
    assert_null(a[2].key); /* unknown last, whatever its revenue */
    assert_int_equal(a[2].revenue, 5000);
    free(a);
    char buf[16];
    assert_string_equal(geo_postal_area("FR", "75011", buf, sizeof(buf)), "FR-75");
    assert_null(geo_postal_area("FR", "", buf, sizeof(buf)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_similar),
        cmocka_unit_test(test_recommend),
        cmocka_unit_test(test_geo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
