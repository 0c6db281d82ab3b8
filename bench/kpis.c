/*
 * KPI, cohort and churn benchmark on the pure modules: N customers (1M by
 * default) with about 20 orders each over three years, laid out as the
 * column snapshot holds them (per customer, by day). Times the 24-month KPI
 * series, the 24-cohort matrix, a churn logistic regression on N x 6 and
 * its AUC. Usage: kpis [customers]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "analytics/cohort.h"
#include "analytics/kpi.h"
#include "analytics/logreg.h"
#include "util/timeu.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process: on a loaded machine, nearer the work done
 * than the wall clock (both are printed). */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ULL;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    int32_t as_of = days_from_civil(2026, 6, 15), start = as_of - 3 * 365;
    uint32_t *first = malloc((n + 1) * sizeof(*first));
    size_t cap = n * 21, rows = 0;
    struct kpi_row *r = malloc(cap * sizeof(*r));
    if (!first || !r)
        return 1;
    for (size_t c = 0; c < n; c++) { /* 1..40 orders, a start day, a rhythm */
        first[c] = (uint32_t)rows;
        uint32_t k = 1 + next() % 40;
        int32_t d = start + (int32_t)(next() % 1000);
        for (uint32_t j = 0; j < k && rows < cap && d <= as_of; j++) {
            int refund = next() % 50 == 0;
            r[rows++] =
                (struct kpi_row){d, refund ? -1500 : 1000 + (int64_t)(next() % 20000), !refund};
            d += 1 + (int32_t)(next() % 90);
        }
    }
    first[n] = (uint32_t)rows;
    printf("%-44s %zu customers, %zu orders\n", "data", n, rows);

    struct kpi_series s;
    kpi_series_init(&s, as_of, 24, 730, NULL);
    double t0 = now(), c0 = cpu();
    for (size_t c = 0; c < n; c++)
        kpi_add_customer(&s, &r[first[c]], first[c + 1] - first[c]);
    double t1 = now(), c1 = cpu();
    printf("%-44s %.3f s wall, %.3f s CPU (last month: %llu active, %llu base)\n",
           "KPI series, 24 months", t1 - t0, c1 - c0, (unsigned long long)s.m[23].active,
           (unsigned long long)s.m[23].at_end);
    kpi_series_release(&s);

    struct cohort_table t;
    cohort_init(&t, as_of, 24, NULL);
    t0 = now();
    c0 = cpu();
    for (size_t c = 0; c < n; c++)
        cohort_add_customer(&t, &r[first[c]], first[c + 1] - first[c]);
    t1 = now();
    c1 = cpu();
    printf("%-44s %.3f s wall, %.3f s CPU\n", "cohort matrix, 24 cohorts", t1 - t0, c1 - c0);
    cohort_release(&t);

    /* churn: features as of T - 180 days, label = no purchase in the next 180 */
    enum { F = 6 };
    double *x = malloc(n * F * sizeof(*x));
    uint8_t *y = malloc(n);
    size_t m = 0;
    int32_t cut = as_of - 180;
    for (size_t c = 0; c < n; c++) {
        const struct kpi_row *p = &r[first[c]];
        size_t k = first[c + 1] - first[c], cnt = 0, after = 0;
        double net = 0;
        int32_t f = 0, l = 0;
        for (size_t j = 0; j < k; j++) {
            if (p[j].day > cut) {
                after += p[j].txn;
                continue;
            }
            net += (double)p[j].amount;
            if (p[j].txn) {
                if (!cnt)
                    f = p[j].day;
                l = p[j].day;
                cnt++;
            }
        }
        if (!cnt)
            continue;
        double *row = &x[m * F];
        row[0] = cut - l;
        row[1] = log1p((double)cnt);
        row[2] = log1p(net > 0 ? net / 100 : 0);
        row[3] = cut - f;
        row[4] = cnt > 1 ? (double)(l - f) / (double)(cnt - 1) : cut - f;
        row[5] = 0;
        y[m++] = after == 0;
    }
    struct logreg_model model;
    t0 = now();
    int rc = logreg_fit(&model, x, y, m, F, 1e-4, NULL);
    t1 = now();
    double *score = malloc(m * sizeof(*score));
    for (size_t i = 0; i < m; i++)
        score[i] = logreg_predict(&model, &x[i * F]);
    double t2 = now();
    double auc = logreg_auc(score, y, m);
    double t3 = now();
    printf("%-44s %.3f s (%d Newton steps, rc %d)\n", "churn logistic regression, 6 features",
           t1 - t0, model.iterations, rc);
    printf("%-44s %.3f s + AUC %.3f s (in-sample AUC %.3f)\n", "churn scoring", t2 - t1, t3 - t2,
           auc);
    free(x);
    free(y);
    free(score);
    free(r);
    free(first);
    return 0;
}
