/*
 * Geomarketing benchmark.
 *   1. Nearest store (analytics/geo): N_POINTS customer points (default
 *      1,000,000) against 60 stores, the latitude-sorted index against brute
 *      force (the peer), with the answers checked equal.
 *   2. The service on a demo database (geo_areas through app/geomarketing):
 *      the first call (column cache and order snapshot built), then each
 *      level and KPI warm, median of 21 runs, against the same per-country
 *      count and revenue in plain SQL on the same database (peer).
 *   geo [N_POINTS] [DEMO_DB]
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/geo.h"
#include "app/app.h"
#include "app/geomarketing.h"
#include "store/store.h"
#include "util/log.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return v[n / 2];
}

static double rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (double)((*s >> 8) & 0xffffff) / (double)0x1000000;
}

static void pure(size_t n)
{
    enum { NS = 60 };
    double slat[NS], slon[NS];
    unsigned seed = 42;
    for (int k = 0; k < NS; k++) { /* metropolitan France's box */
        slat[k] = 42.5 + 8.5 * rnd(&seed);
        slon[k] = -4.5 + 12.5 * rnd(&seed);
    }
    double *lat = malloc(n * sizeof(double)), *lon = malloc(n * sizeof(double));
    long *a = malloc(n * sizeof(long)), *b = malloc(n * sizeof(long));
    for (size_t i = 0; i < n; i++) {
        lat[i] = 42.5 + 8.5 * rnd(&seed);
        lon[i] = -4.5 + 12.5 * rnd(&seed);
    }
    struct geo_index *ix = NULL;
    struct err e = {0};
    geo_index_build(&ix, slat, slon, NS, &e);
    double t0 = now_ms();
    for (size_t i = 0; i < n; i++)
        a[i] = geo_nearest(ix, lat[i], lon[i], NULL);
    double t1 = now_ms();
    for (size_t i = 0; i < n; i++) {
        double best = INFINITY;
        b[i] = -1;
        for (int k = 0; k < NS; k++) {
            double d = geo_distance_km(lat[i], lon[i], slat[k], slon[k]);
            if (d < best) {
                best = d;
                b[i] = k;
            }
        }
    }
    double t2 = now_ms();
    size_t diff = 0;
    for (size_t i = 0; i < n; i++)
        diff += a[i] != b[i];
    printf("%-52s %8.1f ms\n", "nearest of 60 stores, sorted index", t1 - t0);
    printf("%-52s %8.1f ms  (peer; %zu answers differ)\n", "nearest of 60 stores, brute force", t2 - t1,
           diff);
    geo_index_free(ix);
    free(lat);
    free(lon);
    free(a);
    free(b);
}

static void service(const char *db)
{
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e)) {
        fprintf(stderr, "geo: %s\n", e.msg);
        exit(1);
    }
    struct ctx c;
    ctx_init(&c, &a, NULL);
    int64_t stores = 0;
    store_int(c.st, &stores, &c.err, "SELECT COUNT(*) FROM stores", "");
    if (!stores) { /* the demo has none: a few real ones, placed from their postal codes */
        static const char *const s[][3] = {{"paris", "75001", "Paris"},
                                           {"lyon", "69002", "Lyon"},
                                           {"marseille", "13001", "Marseille"},
                                           {"lille", "59000", "Lille"},
                                           {"bordeaux", "33000", "Bordeaux"},
                                           {"nantes", "44000", "Nantes"},
                                           {"strasbourg", "67000", "Strasbourg"},
                                           {"toulouse", "31000", "Toulouse"}};
        for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++) {
            json_t *in = json_pack("{s:s,s:s,s:s,s:s}", "code", s[k][0], "name", s[k][0],
                                   "postal_code", s[k][1], "city", s[k][2]);
            json_t *out = NULL;
            if (geo_store_create(&c, in, &out))
                fprintf(stderr, "geo: store %s: %s\n", s[k][0], c.err.msg);
            json_decref(in);
            json_decref(out);
        }
    }
    int64_t n = 0;
    store_int(c.st, &n, &c.err, "SELECT COUNT(*) FROM customers WHERE kind <> 'guest'", "");
    printf("%-52s %8lld\n", "customers (not guests) in the demo database", (long long)n);
    json_t *out = NULL;
    double t0 = now_ms();
    if (geo_areas(&c, "departement", "customers", 0, &out)) {
        fprintf(stderr, "geo: %s\n", c.err.msg);
        exit(1);
    }
    printf("%-52s %8.0f ms  (column cache + order snapshot)\n", "first call", now_ms() - t0);
    json_decref(out);
    static const char *const runs[][2] = {
        {"departement", "customers"}, {"departement", "revenue"}, {"region", "average_basket"},
        {"country", "revenue"},       {"postal_code", "customers"}, {"departement", "nearest_store_km"},
        {"departement", "response_rate"}};
    for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
        double v[21], u[21];
        t0 = now_ms();
        geo_areas(&c, runs[r][0], runs[r][1], 0, &out);
        double first = now_ms() - t0;
        size_t areas = json_array_size(json_object_get(out, "areas"));
        json_decref(out);
        for (int i = 0; i < 21; i++) {
            t0 = now_ms();
            double c0 = cpu_ms();
            geo_areas(&c, runs[r][0], runs[r][1], 0, &out);
            u[i] = cpu_ms() - c0;
            v[i] = now_ms() - t0;
            json_decref(out);
        }
        char name[96];
        snprintf(name, sizeof(name), "areas level=%s kpi=%s", runs[r][0], runs[r][1]);
        printf("%-52s %8.1f ms  (median of 21, CPU %.1f ms; %zu areas; first %.0f ms)\n", name,
               median(v, 21), median(u, 21), areas, first);
    }
    /* peer: the plain SQL that a per-country revenue would take */
    struct stmt *st = NULL;
    t0 = now_ms();
    if (!store_query(c.st, &st, &c.err,
                     "SELECT a.country, COUNT(*), SUM(c.revenue_minor) FROM customers c LEFT JOIN "
                     "customer_addresses a ON a.customer_id = c.id AND a.is_primary = 1 WHERE "
                     "c.kind <> 'guest' AND c.merged_into IS NULL GROUP BY a.country",
                     "")) {
        while (stmt_step(st, &c.err) == 1)
            ;
        stmt_done(st);
    }
    printf("%-52s %8.1f ms  (peer)\n", "per-country count and revenue in plain SQL", now_ms() - t0);
    app_release(&a);
}

int main(int argc, char **argv)
{
    log_init();
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
    pure(n);
    if (argc > 2)
        service(argv[2]);
    return 0;
}
