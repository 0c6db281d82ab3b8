/*
 * Full rescoring benchmark (issue 3): on a demo database, builds the order
 * snapshot once (timed, with its bytes per order), then times the full
 * rescoring – the seed's RFM grid, quintile RFM with segments, ABC and the
 * loyalty x profitability matrix over every customer – as the services run
 * it, at RUNS as-of dates (each a new date, so no cached population is
 * reused). Prints the median and each run, wall and CPU; bench/rescore.sh
 * runs the same computation in SQLite SQL and DuckDB SQL next to it.
 * Usage: rescore DB [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "app/analytics.h"
#include "app/app.h"
#include "app/snapshot.h"
#include "util/timeu.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef int (*score_fn)(struct ctx *, const struct analytics_query *, json_t **);

/* One model over all customers as of day: the summary only (segments,
 * classes, quadrants), no per-customer list. */
static int score(struct ctx *c, score_fn fn, int32_t day, json_t **keep)
{
    struct analytics_query q = {0};
    q.as_of = day;
    q.summary = 1;
    q.no_customers = 1;
    json_t *doc = NULL;
    int rc = fn(c, &q, &doc);
    if (rc)
        fprintf(stderr, "scoring: %s\n", c->err.msg);
    if (keep) {
        json_decref(*keep);
        *keep = doc;
    } else {
        json_decref(doc);
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rescore DB [RUNS]\n");
        return 1;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > 100)
        runs = 5;
    struct app a;
    struct err e = {0};
    if (app_init(&a, argv[1], &e)) {
        fprintf(stderr, "%s: %s\n", argv[1], e.msg);
        return 1;
    }
    struct ctx c;
    ctx_init(&c, &a, NULL);
    double t0 = now();
    struct snapshot *s = NULL;
    if (snapshot_read(&a, &s, NULL, NULL, &e)) {
        fprintf(stderr, "snapshot: %s\n", e.msg);
        return 1;
    }
    size_t bytes = snapshot_bytes(s), orders = s->n_slots - s->n_free, customers = s->n_cust;
    snapshot_unlock(s);
    printf("%-46s %.2f s, %zu customers, %zu orders, %.1f bytes per order\n",
           "snapshot build (read once at start)", now() - t0, customers, orders,
           orders ? (double)bytes / (double)orders : 0.0);

    int32_t today = days_from_civil(2026, 11, 1);
    double wall[100], cpus[100], parts[4] = {0};
    json_t *rfm = NULL, *abc = NULL, *matrix = NULL;
    for (int r = 0; r < runs; r++) {
        int32_t day = today - r; /* a new as-of date each time: nothing cached */
        double w0 = now(), c0 = cpu(), p0;
        p0 = now();
        if (score(&c, analytics_rfm, day, r == 0 ? &rfm : NULL)) /* grid + quintiles */
            return 1;
        parts[0] += now() - p0;
        p0 = now();
        if (score(&c, analytics_abc, day, r == 0 ? &abc : NULL))
            return 1;
        parts[1] += now() - p0;
        p0 = now();
        if (score(&c, analytics_matrix, day, r == 0 ? &matrix : NULL))
            return 1;
        parts[2] += now() - p0;
        wall[r] = now() - w0;
        cpus[r] = cpu() - c0;
    }
    double sw[100];
    for (int r = 0; r < runs; r++)
        sw[r] = wall[r];
    qsort(sw, (size_t)runs, sizeof(double), cmp);
    printf("%-46s median %.0f ms wall (RFM grid + quintiles %.0f ms, ABC %.0f ms, matrix %.0f "
           "ms on average)\n",
           "full rescoring, all customers", sw[runs / 2] * 1e3, parts[0] / runs * 1e3,
           parts[1] / runs * 1e3, parts[2] / runs * 1e3);
    for (int r = 0; r < runs; r++)
        printf("  run %d: %.0f ms wall, %.0f ms CPU\n", r + 1, wall[r] * 1e3, cpus[r] * 1e3);
    /* the figures the SQL peers must reproduce */
    json_t *sum = json_object_get(rfm, "summary");
    char *txt = json_dumps(sum, JSON_COMPACT);
    printf("rfm summary as of the first run: %.400s\n", txt ? txt : "null");
    free(txt);
    txt = json_dumps(json_object_get(abc, "summary"), JSON_COMPACT);
    printf("abc summary: %.400s\n", txt ? txt : "null");
    free(txt);
    txt = json_dumps(json_object_get(matrix, "summary"), JSON_COMPACT);
    printf("matrix summary: %.400s\n", txt ? txt : "null");
    free(txt);
    json_decref(rfm);
    json_decref(abc);
    json_decref(matrix);
    app_release(&a);
    return 0;
}
