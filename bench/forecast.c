/*
 * Forecast benchmark: a fresh database with N open deals (default 100,000)
 * over a year plus won and lost ones, then the forecast report of the year
 * through the service (SQL read + analytics/forecast.c), against a peer:
 * the same figures by one SQL GROUP BY. Prints median and max of 25 runs.
 *   forecast DB_PATH [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analytics/forecast.h"
#include "app/app.h"
#include "app/forecast.h"
#include "store/store.h"

#define RUNS 25

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

static void report(const char *name, double *v)
{
    qsort(v, RUNS, sizeof(*v), cmp_d);
    printf("%-52s median %7.1f ms, max %7.1f ms\n", name, v[RUNS / 2], v[RUNS - 1]);
}

static int load(struct ctx *c, long n)
{
    struct err *e = &c->err;
    int rc = store_begin(c->st, e);
    for (int u = 1; !rc && u <= 20; u++) {
        char email[64];
        snprintf(email, sizeof(email), "rep%d@bench.example", u);
        rc = store_run(c->st, NULL, e,
                       "INSERT INTO users(email, name, role, team, password_hash, created_at, "
                       "updated_at) VALUES (?, ?, 'sales', ?, 'x', 0, 0)",
                       "sss", email, email, u % 2 ? "north" : "south");
    }
    for (int i = 0; !rc && i < 2000; i++)
        rc = store_run(c->st, NULL, e,
                       "INSERT INTO customers(kind, name, created_at, updated_at) VALUES "
                       "('organization', 'Bench org', 0, 0)",
                       "");
    unsigned long long x = 42;
    long total = n + n / 5;
    for (long i = 0; !rc && i < total; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int month = (int)((x >> 33) % 12) + 1, day = (int)((x >> 20) % 28) + 1;
        int64_t owner = (int64_t)((x >> 40) % 20) + 1, amount = (int64_t)((x >> 13) % 5000000);
        int stage = (int)((x >> 50) % 4) + 1; /* the default pipeline's open stages 1..4 */
        char close[16];
        snprintf(close, sizeof(close), "2027-%02d-%02d", month, day);
        const char *status = i < n ? "open" : (i % 2 ? "won" : "lost");
        if (i >= n)
            stage = i % 2 ? 5 : 6;
        int64_t closed_at = i < n ? INT64_MIN : 1798761600 + (int64_t)((x >> 30) % 31536000);
        rc = store_run(c->st, NULL, e,
                       "INSERT INTO deals(customer_id, pipeline_id, stage_id, title, amount_minor, "
                       "currency, probability, expected_close, owner_id, team, status, closed_at, "
                       "stage_at, created_at, updated_at) VALUES (?, 1, ?, 'Bench deal', ?, 'EUR', "
                       "?, ?, ?, ?, ?, ?, 0, 0, 0)",
                       "iiiisissI", (int64_t)(i % 2000) + 1, (int64_t)stage, amount,
                       (int64_t)(stage == 5   ? 100
                                 : stage == 6 ? 0
                                              : stage * 20),
                       close, owner, owner % 2 ? "north" : "south", status, closed_at);
    }
    if (!rc)
        rc = store_run(c->st, NULL, e,
                       "INSERT INTO objectives(user_id, team, period, start_month, months, "
                       "amount_minor, currency, created_at, updated_at) VALUES (NULL, NULL, "
                       "'2027', ?, 12, 90000000000, 'EUR', 0, 0)",
                       "i", (int64_t)2027 * 12);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, e);
    return rc ? rc : store_exec(c->st, "ANALYZE", e);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: forecast DB_PATH [N]\n");
        return 1;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
    unlink(argv[1]);
    struct app a;
    struct err e = {0};
    if (app_init(&a, argv[1], &e)) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 1;
    }
    struct ctx c;
    ctx_init(&c, &a, NULL);
    double t0 = now_ms();
    if (load(&c, n)) {
        fprintf(stderr, "error: %s\n", c.err.msg);
        return 1;
    }
    printf("== forecast benchmark: %ld open deals, %ld closed, 2027 by month\n", n, n / 5);
    printf("%-52s %.1f s\n", "load", (now_ms() - t0) / 1e3);

    double v[RUNS];
    json_t *out = NULL;
    int64_t check = 0;
    const struct {
        const char *name;
        struct forecast_query q;
    } cases[] = {
        {"forecast 2027 (all owners, 12 months)", {.period = "2027"}},
        {"forecast 2027-Q2 (all owners)", {.period = "2027-Q2"}},
        {"forecast 2027 of one rep (owner_id)", {.period = "2027", .owner_id = 3}},
        {"forecast 2027 of a team", {.period = "2027", .team = "north"}},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        for (int i = 0; i < RUNS; i++) {
            double s = now_ms();
            ctx_begin_read(&c);
            if (forecast_report(&c, &cases[k].q, &out)) {
                fprintf(stderr, "error: %s\n", c.err.msg);
                return 1;
            }
            ctx_end_read(&c);
            v[i] = now_ms() - s;
            if (k == 0)
                check = json_integer_value(
                    json_object_get(json_object_get(out, "total"), "weighted_minor"));
            json_decref(out);
        }
        report(cases[k].name, v);
    }
    /* the peer: one SQL GROUP BY computing the same weighted sums */
    int64_t peer = 0;
    for (int i = 0; i < RUNS; i++) {
        double s = now_ms();
        struct stmt *st = NULL;
        peer = 0;
        if (store_query(c.st, &st, &c.err,
                        "SELECT substr(expected_close, 1, 7), SUM(amount_minor), "
                        "(SUM(amount_minor * probability) + 50) / 100 FROM deals WHERE status = "
                        "'open' AND expected_close >= '2027-01-01' AND expected_close < "
                        "'2028-01-01' AND currency = 'EUR' GROUP BY 1",
                        ""))
            return 1;
        while (stmt_step(st, &c.err) == 1)
            peer += stmt_int(st, 2);
        stmt_done(st);
        v[i] = now_ms() - s;
    }
    report("peer: SQL GROUP BY month (weighted sums only)", v);
    printf("%-52s %s (%lld)\n", "same weighted total as the peer", check == peer ? "yes" : "NO",
           (long long)check);
    app_release(&a);
    return check == peer ? 0 : 1;
}
