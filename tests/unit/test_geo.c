/* Unit tests for analytics/geo: great-circle distances against values worked
 * out by hand, the nearest-point index against brute force (random points,
 * ties, NaN, empty), point-in-polygon on convex and concave rings, the area
 * tallies, and the existing grouping. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "analytics/geo.h"

#define PI 3.14159265358979323846

static void test_distance(void **state)
{
    (void)state;
    /* one degree along the equator or a meridian: R * pi / 180 */
    double deg = GEO_EARTH_KM * PI / 180.0;
    assert_true(fabs(geo_distance_km(0, 0, 0, 1) - deg) < 1e-9);
    assert_true(fabs(geo_distance_km(10, 5, 11, 5) - deg) < 1e-9);
    /* antipodes: half the circumference */
    assert_true(fabs(geo_distance_km(0, 0, 0, 180) - PI * GEO_EARTH_KM) < 1e-6);
    assert_true(fabs(geo_distance_km(90, 0, -90, 0) - PI * GEO_EARTH_KM) < 1e-6);
    /* same point, symmetry */
    assert_true(geo_distance_km(45.75, 4.85, 45.75, 4.85) == 0);
    double a = geo_distance_km(48.8566, 2.3522, 45.7640, 4.8357);
    assert_true(fabs(a - geo_distance_km(45.7640, 4.8357, 48.8566, 2.3522)) < 1e-9);
    /* Paris – Lyon (city halls): about 392 km by great circle */
    assert_true(a > 388 && a < 396);
    /* on the 60th parallel one degree of longitude is about half a degree of
     * the equator (cos 60 = 1/2; the great circle is a little shorter) */
    double d60 = geo_distance_km(60, 0, 60, 1);
    assert_true(d60 < deg / 2 && d60 > deg / 2 * 0.9999);
}

static double rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (double)((*s >> 8) & 0xffffff) / (double)0x1000000;
}

static long brute(const double *lat, const double *lon, size_t n, double qa, double qo, double *km)
{
    long best = -1;
    double b = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(lat[i]))
            continue;
        double d = geo_distance_km(qa, qo, lat[i], lon[i]);
        if (best < 0 || d < b) {
            best = (long)i;
            b = d;
        }
    }
    *km = b;
    return best;
}

static void test_nearest_matches_brute_force(void **state)
{
    (void)state;
    unsigned seed = 7;
    for (int round = 0; round < 20; round++) {
        size_t n = 1 + (size_t)(rnd(&seed) * 80);
        double lat[81], lon[81];
        for (size_t i = 0; i < n; i++) {
            /* France-sized and world-sized sets, some points missing */
            double span = round % 2 ? 170 : 9;
            lat[i] = (round % 2 ? -85 : 42) + span * rnd(&seed);
            lon[i] = (round % 2 ? -180 : -5) + (round % 2 ? 360 : 13) * rnd(&seed);
            if (rnd(&seed) < 0.05)
                lat[i] = NAN;
        }
        struct geo_index *ix = NULL;
        struct err e = {0};
        assert_int_equal(geo_index_build(&ix, lat, lon, n, &e), 0);
        for (int q = 0; q < 500; q++) {
            double qa = (round % 2 ? -89 : 41) + (round % 2 ? 178 : 11) * rnd(&seed);
            double qo = (round % 2 ? -180 : -6) + (round % 2 ? 360 : 15) * rnd(&seed);
            double k1 = -1, k2 = -1;
            long a = geo_nearest(ix, qa, qo, &k1), b = brute(lat, lon, n, qa, qo, &k2);
            assert_int_equal(a, b);
            if (a >= 0)
                assert_true(fabs(k1 - k2) < 1e-9);
        }
        geo_index_free(ix);
    }
}

static void test_nearest_edges(void **state)
{
    (void)state;
    struct geo_index *ix = NULL;
    struct err e = {0};
    /* empty index: no answer */
    assert_int_equal(geo_index_build(&ix, NULL, NULL, 0, &e), 0);
    assert_int_equal(geo_nearest(ix, 45, 4, NULL), -1);
    geo_index_free(ix);
    /* two stores at the same place: the lower index wins; a NaN query has none */
    double lat[] = {45.0, 46.0, 45.0}, lon[] = {4.0, 4.0, 4.0};
    assert_int_equal(geo_index_build(&ix, lat, lon, 3, &e), 0);
    double km = -1;
    assert_int_equal(geo_nearest(ix, 45.0, 4.0, &km), 0);
    assert_true(km == 0);
    assert_int_equal(geo_nearest(ix, 45.9, 4.0, &km), 1);
    assert_int_equal(geo_nearest(ix, NAN, 4.0, &km), -1);
    assert_int_equal(geo_nearest(ix, 45.0, NAN, &km), -1);
    geo_index_free(ix);
    geo_index_free(NULL);
}

static void test_point_in_ring(void **state)
{
    (void)state;
    const double square[] = {0, 0, 10, 0, 10, 10, 0, 10, 0, 0};
    assert_true(geo_in_ring(square, 5, 5, 5));
    assert_false(geo_in_ring(square, 5, 11, 5));
    assert_false(geo_in_ring(square, 5, -0.1, 5));
    /* a U: the notch (4..6 x 5..10) is outside */
    const double u[] = {0, 0, 10, 0, 10, 10, 6, 10, 6, 5, 4, 5, 4, 10, 0, 10, 0, 0};
    assert_true(geo_in_ring(u, 9, 2, 8));
    assert_true(geo_in_ring(u, 9, 8, 8));
    assert_false(geo_in_ring(u, 9, 5, 8));
    assert_true(geo_in_ring(u, 9, 5, 2));
    assert_false(geo_in_ring(u, 0, 5, 2));
}

static void test_tally(void **state)
{
    (void)state;
    struct geo_item items[] = {
        {1, 10000, 2, 1, 1, 5.0}, {1, 3000, 1, 2, 0, NAN}, {1, 0, 0, 0, 0, 15.0},
        {0, 500, 1, 0, 0, NAN},   {7, 99, 1, 0, 0, 1.0}, /* out of range: ignored */
    };
    struct geo_tally t[3] = {0};
    geo_tally_add(t, 3, items, 5);
    assert_int_equal(t[1].customers, 3);
    assert_int_equal(t[1].buyers, 2);
    assert_int_equal(t[1].txns, 3);
    assert_int_equal(t[1].revenue, 13000);
    assert_true(fabs(geo_tally_basket(&t[1]) - 13000.0 / 3) < 1e-9);
    assert_true(fabs(geo_tally_response(&t[1]) - 1.0 / 3) < 1e-9);
    assert_true(fabs(geo_tally_km(&t[1]) - 10.0) < 1e-9);
    assert_int_equal(t[0].customers, 1);
    assert_true(isnan(geo_tally_response(&t[0])));
    assert_true(isnan(geo_tally_km(&t[0])));
    assert_true(isnan(geo_tally_basket(&t[2])));
}

static void test_group_and_postal_area(void **state)
{
    (void)state;
    struct geo_row rows[] = {{"FR", 100, GEO_BUYER}, {NULL, 5, 0}, {"GB", 300, GEO_BUYER | GEO_ACTIVE},
                             {"FR", 50, 0}};
    struct geo_area *a = NULL;
    size_t n = 0;
    struct err e = {0};
    assert_int_equal(geo_group(&a, &n, rows, 4, &e), 0);
    assert_int_equal(n, 3);
    assert_string_equal(a[0].key, "GB");
    assert_string_equal(a[1].key, "FR");
    assert_int_equal(a[1].customers, 2);
    assert_null(a[2].key);
    free(a);
    char buf[16];
    assert_string_equal(geo_postal_area("FR", "69003", buf, sizeof(buf)), "FR-69");
    assert_null(geo_postal_area("FR", "", buf, sizeof(buf)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_nearest_matches_brute_force),
        cmocka_unit_test(test_nearest_edges),
        cmocka_unit_test(test_point_in_ring),
        cmocka_unit_test(test_tally),
        cmocka_unit_test(test_group_and_postal_area),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
