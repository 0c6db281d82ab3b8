/* Unit tests for analytics/rfm: the seed's worked example and boundaries,
 * quintile scores and segments, and a timing on a large synthetic base. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/rfm.h"
#include "util/timeu.h"

static int32_t D(const char *s)
{
    int32_t d = 0;
    assert_int_equal(date_parse(s, &d), 0);
    return d;
}

static struct rfm_txn T(uint32_t c, const char *day, int64_t cents) {
    struct rfm_txn t = {c, D(day), cents, 0};
    return t;
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Customer 0 = Mr Maroy, customer 1 = Mrs Dupont (DOMAIN.md worked example). */
static void test_seed_worked_example(void **state)
{
    (void)state;
    struct rfm_txn tx[] = {
        T(1, "2026-05-01", 4000),
        T(0, "2025-08-01", 60000),
        T(1, "2025-01-01", 5000),
        T(1, "2026-02-01", 6000),
    };
    struct rfm_grid g;
    rfm_grid_default(&g);
    struct rfm_grid_score out[2];
    assert_int_equal(rfm_grid_score(out, 2, tx, 4, D("2026-07-01"), &g, NULL), 0);
    assert_true(out[0].r == 3 && out[0].f == 4 && out[0].m == 20);
    assert_true(out[0].score == 67);
    assert_true(out[1].r == 26 && out[1].f == 12);
    assert_true(fabs(out[1].m - 15) < 1e-12);
    assert_true(fabs(out[1].score - 196) < 1e-9);
    assert_int_equal(out[1].transactions, 3);
    assert_int_equal(out[1].net, 15000);
    assert_int_equal(out[1].last_day, D("2026-05-01"));

    /* last-purchase-only R: Dupont's latest purchase is 2 months old */
    g.r_mode = RFM_R_LAST;
    assert_int_equal(rfm_grid_score(out, 2, tx, 4, D("2026-07-01"), &g, NULL), 0);
    assert_true(out[0].r == 3 && out[1].r == 20);
    assert_true(fabs(out[1].score - (100 + 36 + 30)) < 1e-9);
}

/* One purchase of 1 euro per customer; returns its R points. */
static double r_of(const char *day, const char *ref)
{
    struct rfm_txn tx[] = {T(0, day, 100)};
    struct rfm_grid g;
    rfm_grid_default(&g);
    struct rfm_grid_score out[1];
    assert_int_equal(rfm_grid_score(out, 1, tx, 1, D(ref), &g, NULL), 0);
    return out[0].r;
}

static void test_seed_boundaries(void **state)
{
    (void)state;
    assert_true(r_of("2026-04-01", "2026-07-01") == 5);  /* m = 3 */
    assert_true(r_of("2026-04-02", "2026-07-01") == 20); /* m = 2 */
    assert_true(r_of("2024-07-02", "2026-07-01") == 1);  /* m = 23 */
    assert_true(r_of("2026-01-31", "2026-02-28") == 20); /* m = 1, clamp */
    assert_true(r_of("2026-07-01", "2026-07-01") == 20); /* same day */

    /* m = 24 is outside the window: no R, no F, no M */
    struct rfm_txn tx[] = {T(0, "2024-07-01", 100000), T(1, "2026-07-02", 100000)};
    struct rfm_grid g;
    rfm_grid_default(&g);
    struct rfm_grid_score out[2];
    assert_int_equal(rfm_grid_score(out, 2, tx, 2, D("2026-07-01"), &g, NULL), 0);
    for (int i = 0; i < 2; i++) { /* the second is after --as-of */
        assert_true(out[i].r == 0 && out[i].f == 0 && out[i].m == 0 && out[i].score == 0);
        assert_int_equal(out[i].transactions, 0);
        assert_int_equal(out[i].last_day, INT32_MIN);
    }
}

/* The cut-off days agree with months_between() for every day around
 * reference days chosen at month ends and leap days. */
static void test_bands_match_months_between(void **state)
{
    (void)state;
    const char *refs[] = {"2026-07-01", "2026-02-28", "2024-02-29", "2025-03-31",
                          "2024-12-31", "2025-05-30", "2023-01-29"};
    struct rfm_grid g;
    rfm_grid_default(&g);
    enum { SPAN = 800 };
    struct rfm_txn *tx = calloc(SPAN, sizeof(*tx));
    struct rfm_grid_score *out = calloc(SPAN, sizeof(*out));
    assert_non_null(tx);
    assert_non_null(out);
    for (size_t k = 0; k < sizeof(refs) / sizeof(refs[0]); k++) {
        int32_t ref = D(refs[k]);
        for (int i = 0; i < SPAN; i++)
            tx[i] = (struct rfm_txn){(uint32_t)i, ref + 5 - i, 100, 0};
        assert_int_equal(rfm_grid_score(out, SPAN, tx, SPAN, ref, &g, NULL), 0);
        for (int i = 0; i < SPAN; i++) {
            int m = months_between(tx[i].day, ref);
            double want = m < 0 ? 0 : m < 3 ? 20 : m < 6 ? 5 : m < 12 ? 3 : m < 24 ? 1 : 0;
            assert_true(out[i].r == want);
            assert_int_equal(out[i].transactions, (m >= 0 && m < 24) ? 1 : 0);
        }
    }
    free(tx);
    free(out);
}

static void test_refunds_caps_and_config(void **state)
{
    (void)state;
    struct rfm_txn tx[] = {
        T(0, "2026-06-01", 10000),      T(0, "2026-06-02", 10000), T(0, "2026-06-03", 10000),
        T(0, "2026-06-04", 10000),      T(0, "2026-06-05", 10000), T(0, "2026-06-06", 10000),
        {0, D("2026-06-07"), 3000, 1},  /* refund flag */
        {0, D("2026-06-08"), -2000, 0}, /* negative amount is a refund too */
        {0, D("2026-06-09"), 0, 0},     /* zero amount: not a transaction */
        {1, D("2026-06-09"), 5000, 1},  /* a refund alone: negative M, no F */
    };
    struct rfm_grid g;
    rfm_grid_default(&g);
    struct rfm_grid_score out[2];
    assert_int_equal(rfm_grid_score(out, 2, tx, 10, D("2026-07-01"), &g, NULL), 0);
    assert_int_equal(out[0].transactions, 6);
    assert_true(out[0].f == 20);  /* 24 capped */
    assert_true(out[0].r == 120); /* R is not capped in the seed */
    assert_int_equal(out[0].net, 55000);
    assert_true(out[0].m == 20);
    assert_true(out[1].f == 0 && out[1].r == 0);
    assert_true(fabs(out[1].m - (-5.0)) < 1e-12);

    /* a custom grid: two bands, 12-month window, yen (no minor unit) */
    g.nbands = 2;
    g.band_months[0] = 1;
    g.band_months[1] = 12;
    g.band_points[0] = 10;
    g.band_points[1] = 2;
    g.window_months = 12;
    g.minor_per_major = 1;
    g.m_cap = 1e9;
    struct rfm_txn ty[] = {T(0, "2026-06-15", 50), T(0, "2026-01-15", 70),
                           T(0, "2025-06-30", 1000)};
    assert_int_equal(rfm_grid_score(out, 1, ty, 3, D("2026-07-01"), &g, NULL), 0);
    assert_true(out[0].r == 12);
    assert_true(fabs(out[0].m - 12.0) < 1e-12);

    /* validation */
    struct err e;
    g.band_months[1] = 1;
    assert_int_equal(rfm_grid_score(out, 1, ty, 3, D("2026-07-01"), &g, &e), ERR_INVALID);
    assert_string_equal(e.field, "band_months");
    rfm_grid_default(&g);
    struct rfm_txn bad[] = {T(7, "2026-06-15", 50)};
    assert_int_equal(rfm_grid_score(out, 1, bad, 1, D("2026-07-01"), &g, &e), ERR_INVALID);
    assert_string_equal(e.field, "customer");
}

static void test_quintiles_formula_and_ties(void **state)
{
    (void)state;
    /* 10 customers, frequency 1..10: w = i, q = 1 + floor(i / 2) */
    struct rfm_agg a[12];
    for (int i = 0; i < 10; i++)
        a[i] = (struct rfm_agg){1000 + i, (uint32_t)(i + 1), 100 * (i + 1)};
    a[10] = (struct rfm_agg){5000, 0, 0};     /* no transaction: not scored */
    a[11] = (struct rfm_agg){1009, 10, 1000}; /* ties with customer 9 */
    struct rfm_quintile q[12];
    assert_int_equal(rfm_quintiles(q, a, 12, NULL, 0, NULL), 0);
    /* N = 11: w = i for i < 10, customers 9 and 11 tie at w = 9 */
    for (int i = 0; i < 10; i++) {
        int want = 1 + (5 * i) / 11;
        assert_int_equal(q[i].f, want);
        assert_int_equal(q[i].m, want);
        assert_int_equal(q[i].r, want); /* later last day = better recency */
        assert_int_equal(q[i].segment, -1);
    }
    assert_int_equal(q[11].f, q[9].f);
    assert_int_equal(q[11].r, q[9].r);
    assert_int_equal(q[10].r, 0);
    assert_int_equal(q[10].segment, -1);

    /* every customer identical: nobody is strictly worse, all get 1 */
    struct rfm_agg same[5];
    for (int i = 0; i < 5; i++)
        same[i] = (struct rfm_agg){42, 3, 700};
    assert_int_equal(rfm_quintiles(q, same, 5, NULL, 0, NULL), 0);
    for (int i = 0; i < 5; i++)
        assert_true(q[i].r == 1 && q[i].f == 1 && q[i].m == 1);

    /* order independence: reversing the input reverses the output */
    struct rfm_agg rev[12];
    struct rfm_quintile qr[12];
    for (int i = 0; i < 12; i++)
        rev[i] = a[11 - i];
    assert_int_equal(rfm_quintiles(q, a, 12, NULL, 0, NULL), 0);
    assert_int_equal(rfm_quintiles(qr, rev, 12, NULL, 0, NULL), 0);
    for (int i = 0; i < 12; i++)
        assert_memory_equal(&q[i], &qr[11 - i], sizeof(q[i]));
}

static int seg(const char *name)
{
    size_t n;
    const struct rfm_segment_rule *r = rfm_segments_default(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].name, name) == 0)
            return (int)i;
    fail_msg("no segment %s", name);
    return -1;
}

static void test_segments_table(void **state)
{
    (void)state;
    size_t n;
    const struct rfm_segment_rule *r = rfm_segments_default(&n);
    assert_int_equal(n, 11);
    /* DOMAIN.md: R >= 4, FM >= 4 */
    assert_int_equal(rfm_segment_of(r, n, 5, 5), seg("champions"));
    assert_int_equal(rfm_segment_of(r, n, 4, 4), seg("champions"));
    assert_int_equal(rfm_segment_of(r, n, 3, 5), seg("loyal"));
    assert_int_equal(rfm_segment_of(r, n, 5, 3), seg("loyal"));
    assert_int_equal(rfm_segment_of(r, n, 4, 2), seg("potential_loyalists"));
    assert_int_equal(rfm_segment_of(r, n, 5, 1), seg("new"));
    assert_int_equal(rfm_segment_of(r, n, 4, 1), seg("promising"));
    assert_int_equal(rfm_segment_of(r, n, 3, 2), seg("need_attention"));
    assert_int_equal(rfm_segment_of(r, n, 3, 1), seg("about_to_sleep"));
    assert_int_equal(rfm_segment_of(r, n, 2, 3), seg("at_risk"));
    assert_int_equal(rfm_segment_of(r, n, 1, 5), seg("at_risk")); /* first match wins */
    assert_int_equal(rfm_segment_of(r, n, 2, 2), seg("hibernating"));
    assert_int_equal(rfm_segment_of(r, n, 1, 2), seg("lost"));
    assert_int_equal(rfm_segment_of(r, n, 1, 1), seg("lost"));
    /* whole-point FM leaves no gap */
    for (int R = 1; R <= 5; R++)
        for (int fm = 1; fm <= 5; fm++)
            assert_true(rfm_segment_of(r, n, R, fm) >= 0);

    /* a caller's table: can't lose them moved before at risk */
    struct rfm_segment_rule mine[] = {
        {"cant_lose_them", "can't lose them", 1, 1, 4, 5},
        {"rest", "rest", 1, 5, 1, 5},
    };
    assert_int_equal(rfm_segment_of(mine, 2, 1, 4), 0);
    assert_int_equal(rfm_segment_of(mine, 2, 2, 4), 1);

    /* FM is compared on whole points: F = 2, M = 1 gives FM 1.5 -> 1 */
    struct rfm_agg a[5] = {
        {100, 1, 10}, {200, 2, 20}, {300, 3, 30}, {400, 4, 40}, {500, 2, 5},
    };
    struct rfm_quintile q[5];
    assert_int_equal(rfm_quintiles(q, a, 5, r, n, NULL), 0);
    assert_int_equal(q[4].r, 5);
    assert_int_equal(q[4].f, 2);
    assert_int_equal(q[4].m, 1);
    assert_int_equal(q[4].fm, 1);
    assert_true(q[4].fm_avg == 1.5);
    assert_int_equal(q[4].segment, seg("new"));
    assert_int_equal(q[0].segment, seg("lost"));
}

static void test_aggregate(void **state)
{
    (void)state;
    struct rfm_txn tx[] = {
        T(1, "2026-05-01", 4000),      T(0, "2025-08-01", 60000), T(1, "2025-01-01", 5000),
        {1, D("2026-02-01"), 1000, 1}, T(1, "2026-08-01", 9900),  T(2, "2019-01-01", 100),
    };
    struct rfm_agg a[3];
    assert_int_equal(rfm_aggregate(a, 3, tx, 6, D("2020-01-01"), D("2026-07-01"), NULL), 0);
    assert_int_equal(a[0].count, 1);
    assert_int_equal(a[0].net, 60000);
    assert_int_equal(a[1].count, 2);
    assert_int_equal(a[1].net, 8000);
    assert_int_equal(a[1].last_day, D("2026-05-01"));
    assert_int_equal(a[2].count, 0);
    struct err e;
    assert_int_equal(rfm_aggregate(a, 2, tx, 6, INT32_MIN, D("2026-07-01"), &e), ERR_INVALID);
}

/* xorshift64*: a small deterministic generator for synthetic bases */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* 1M customers, 4M order lines in random order: both scorings must be fast
 * (the 20M-line figure is in the report; here we keep the test light). */
static void test_large_base_is_fast(void **state)
{
    (void)state;
    const size_t nc = 1000000, nt = 4000000;
    struct rfm_txn *tx = malloc(nt * sizeof(*tx));
    struct rfm_grid_score *gs = malloc(nc * sizeof(*gs));
    struct rfm_agg *ag = malloc(nc * sizeof(*ag));
    struct rfm_quintile *q = malloc(nc * sizeof(*q));
    assert_true(tx && gs && ag && q);
    uint64_t s = 88172645463325252ULL;
    int32_t ref = D("2026-07-01");
    for (size_t i = 0; i < nt; i++) {
        tx[i].customer = (uint32_t)(rnd(&s) % nc);
        tx[i].day = ref - (int32_t)(rnd(&s) % 1000);
        tx[i].amount = (int64_t)(rnd(&s) % 50000) + 1;
        tx[i].refund = (rnd(&s) % 50) == 0;
    }
    struct rfm_grid g;
    rfm_grid_default(&g);
    size_t nseg;
    const struct rfm_segment_rule *rules = rfm_segments_default(&nseg);
    double t0 = now_s();
    assert_int_equal(rfm_grid_score(gs, nc, tx, nt, ref, &g, NULL), 0);
    double t1 = now_s();
    assert_int_equal(rfm_aggregate(ag, nc, tx, nt, INT32_MIN, ref, NULL), 0);
    assert_int_equal(rfm_quintiles(q, ag, nc, rules, nseg, NULL), 0);
    double t2 = now_s();
    fprintf(stderr, "rfm: grid %.3f s, aggregate+quintiles %.3f s (%zu customers, %zu lines)\n",
            t1 - t0, t2 - t1, nc, nt);
    size_t per_q[6] = {0};
    for (size_t i = 0; i < nc; i++) {
        if (ag[i].count > 0) {
            assert_true(q[i].segment >= 0);
            per_q[q[i].r]++;
        }
    }
    /* recency quintiles are roughly equal in size */
    for (int k = 1; k <= 5; k++)
        assert_true(per_q[k] > nc / 8);
    free(tx);
    free(gs);
    free(ag);
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_worked_example),
        cmocka_unit_test(test_seed_boundaries),
        cmocka_unit_test(test_bands_match_months_between),
        cmocka_unit_test(test_refunds_caps_and_config),
        cmocka_unit_test(test_quintiles_formula_and_ties),
        cmocka_unit_test(test_segments_table),
        cmocka_unit_test(test_aggregate),
        cmocka_unit_test(test_large_base_is_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
