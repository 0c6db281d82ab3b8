/*
 * Segment benchmark.
 *   1. The evaluator alone (analytics/segexpr) over N synthetic customers in
 *      columns (default 1,000,000): a 3-condition and a 6-condition segment,
 *      median of 21 runs.
 *   2. The service on a demo database (segments_count through
 *      app/segments: fingerprint query + evaluation over the cached column
 *      store), the first call (which loads the columns, then the scores),
 *      against the same condition in plain SQL on the same database (peer).
 *   segments [N_SYNTHETIC] [DEMO_DB]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/segexpr.h"
#include "app/app.h"
#include "app/customers.h"
#include "app/segments.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeu.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return v[n / 2];
}

#define RUNS 21

static const struct segx_field fields[] = {
    {"lifecycle", SEGX_STR, "prospect|new|active|inactive|former", NULL},
    {"revenue", SEGX_NUM, NULL, NULL},
    {"last_purchase", SEGX_DATE, NULL, NULL},
    {"tags", SEGX_SET, NULL, NULL},
    {"country", SEGX_STR, NULL, NULL},
    {"at_risk", SEGX_BOOL, NULL, NULL},
};

static void synthetic(size_t n)
{
    static const char *const lc[] = {NULL, "prospect", "new", "active", "inactive", "former"};
    static const char *const tags[] = {NULL, "vip", "newsletter", "expert", "b2b"};
    static const char *const countries[] = {NULL, "FR", "BE", "CH", "GB", "DE", "ES"};
    uint32_t *lcode = malloc(n * sizeof(uint32_t)), *ccode = malloc(n * sizeof(uint32_t));
    double *rev = malloc(n * sizeof(double));
    int32_t *last = malloc(n * sizeof(int32_t));
    uint8_t *risk = malloc(n);
    uint32_t *start = malloc((n + 1) * sizeof(uint32_t)), *items = malloc(n * sizeof(uint32_t));
    uint64_t *bits = malloc(SEGX_WORDS(n) * sizeof(uint64_t));
    if (!lcode || !ccode || !rev || !last || !risk || !start || !items || !bits) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    int32_t today = 20635; /* 2026-07-01 */
    uint64_t seed = 7;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        lcode[i] = 1 + (uint32_t)((seed >> 33) % 5);
        ccode[i] = 1 + (uint32_t)((seed >> 20) % 6);
        rev[i] = (seed >> 40) % 10 == 0 ? NAN : (double)((seed >> 12) % 200000) / 100.0;
        last[i] = (seed >> 50) % 8 == 0 ? INT32_MIN : today - (int32_t)((seed >> 24) % 1500);
        risk[i] = (seed >> 45) % 20 == 0;
        start[i] = (uint32_t)k;
        if ((seed >> 55) % 3 == 0)
            items[k++] = 1 + (uint32_t)((seed >> 28) % 4);
    }
    start[n] = (uint32_t)k;
    struct segx_column cols[6] = {
        {.code = lcode, .dict = lc, .ndict = 6},
        {.num = rev},
        {.day = last},
        {.start = start, .items = items, .dict = tags, .ndict = 5},
        {.code = ccode, .dict = countries, .ndict = 7},
        {.flag = risk},
    };
    static const char *const exprs[] = {
        "lifecycle = active AND revenue > 500 AND last_purchase < today - 90d",
        "(lifecycle in [active, new] OR tags contains vip) AND revenue >= 100 AND country in "
        "[FR, BE] AND NOT at_risk AND last_purchase >= today - 1y",
    };
    for (size_t e = 0; e < 2; e++) {
        struct segx *x = NULL;
        struct segx_error err;
        if (segx_compile(exprs[e], fields, 6, today, &x, &err)) {
            fprintf(stderr, "compile: %s\n", err.msg);
            exit(1);
        }
        double t[RUNS];
        size_t hits = 0;
        for (int r = 0; r < RUNS; r++) {
            double t0 = now_ms();
            segx_eval(x, cols, n, bits);
            hits = segx_popcount(bits, n);
            t[r] = now_ms() - t0;
        }
        printf("%-58s %8.2f ms  (%zu of %zu match)\n",
               e ? "evaluator, 6 conditions, synthetic columns"
                 : "evaluator, 3 conditions, synthetic columns",
               median(t, RUNS), hits, n);
        segx_free(x);
    }
    free(lcode);
    free(ccode);
    free(rev);
    free(last);
    free(risk);
    free(start);
    free(items);
    free(bits);
}

static void service(const char *db)
{
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e)) {
        fprintf(stderr, "%s: %s\n", db, e.msg);
        exit(1);
    }
    struct ctx c;
    ctx_init(&c, &a, NULL);
    int64_t customers = 0;
    store_int(c.st, &customers, &e, "SELECT COUNT(*) FROM customers", "");
    printf("-- service on %s (%lld customers)\n", db, (long long)customers);
    const char *expr = "lifecycle = active AND revenue > 500 AND last_purchase < today - 90d";
    int64_t n = 0;
    double t0 = now_ms();
    if (segment_count_expr(&c, expr, &n)) {
        fprintf(stderr, "count: %s\n", c.err.msg);
        exit(1);
    }
    printf("%-58s %8.0f ms\n", "first count (loads the column store)", now_ms() - t0);
    double t[RUNS];
    for (int r = 0; r < RUNS; r++) {
        t0 = now_ms();
        segment_count_expr(&c, expr, &n);
        t[r] = now_ms() - t0;
    }
    printf("%-58s %8.2f ms  (%lld match)\n", "count, 3 conditions (fingerprint + evaluation)",
           median(t, RUNS), (long long)n);
    /* the peer: the same condition in SQL (lifecycle active spelled out) */
    int64_t now = time_now(), sql_n = 0;
    int32_t today = (int32_t)(now / 86400);
    for (int r = 0; r < 5; r++) {
        t0 = now_ms();
        store_int(c.st, &sql_n, &e,
                  "SELECT COUNT(*) FROM customers c WHERE merged_into IS NULL AND erased_at IS "
                  "NULL AND orders_count > 0 AND first_order_at < ? AND last_order_at >= ? AND "
                  "revenue_minor > 50000 AND last_order_at < ? AND NOT EXISTS (SELECT 1 FROM "
                  "contracts k WHERE k.customer_id = c.id AND k.status = 'cancelled' AND NOT "
                  "EXISTS (SELECT 1 FROM contracts k2 WHERE k2.customer_id = c.id AND k2.status "
                  "<> 'cancelled'))",
                  "iii", now - (int64_t)a.cfg.new_within_days * 86400,
                  now - (int64_t)a.cfg.inactive_after_days * 86400, (int64_t)(today - 90) * 86400);
        t[r] = now_ms() - t0;
    }
    printf("%-58s %8.2f ms  (%lld match)\n", "peer: the same count in SQL (SQLite)", median(t, 5),
           (long long)sql_n);
    /* one profile changes: the columns re-read that customer only */
    for (int r = 0; r < RUNS; r++) {
        json_t *in = json_pack("{s:s}", "income_band", r % 2 ? "high" : "low"), *o = NULL;
        if (customer_update(&c, 1, in, 0, &o))
            fprintf(stderr, "update: %s\n", c.err.msg);
        json_decref(in);
        json_decref(o);
        t0 = now_ms();
        segment_count_expr(&c, expr, &n);
        t[r] = now_ms() - t0;
    }
    printf("%-58s %8.2f ms\n", "count after one profile change (incremental)", median(t, RUNS));
    const char *scored = "rfm_segment in [champions, loyal] AND abc_class = A";
    t0 = now_ms();
    if (segment_count_expr(&c, scored, &n))
        fprintf(stderr, "scores: %s\n", c.err.msg);
    printf("%-58s %8.0f ms\n", "first count on scores (RFM + ABC over the snapshot)",
           now_ms() - t0);
    for (int r = 0; r < RUNS; r++) {
        t0 = now_ms();
        segment_count_expr(&c, scored, &n);
        t[r] = now_ms() - t0;
    }
    printf("%-58s %8.2f ms  (%lld match)\n", "count on scores, cached", median(t, RUNS),
           (long long)n);
    app_release(&a);
}

int main(int argc, char **argv)
{
    log_init();
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
    synthetic(n ? n : 1000000);
    if (argc > 2)
        service(argv[2]);
    return 0;
}
