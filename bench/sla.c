/*
 * SLA benchmark: a fresh database with N open tickets (default 1,000,000)
 * whose due times spread over 30 days, then the breach sweep through the
 * service (index range scan on next_due_at, breach + escalation + event per
 * ticket) at instants where 0, 0.1 % and 1 % of them are due; against a
 * peer: the naive sweep that scans every open ticket and compares both due
 * times. Also times the business-hours arithmetic alone.
 *   sla DB_PATH [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "app/tickets.h"
#include "store/store.h"
#include "util/bizhours.h"
#include "util/timeu.h"

#define T0 1795420800 /* 2026-11-23T00:00:00Z, a Monday */
#define SPAN (30 * 86400)

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* CPU time of this process: on a shared machine the wall clock also counts
 * other people's work. */
static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int load(struct ctx *c, long n)
{
    struct err *e = &c->err;
    int rc = store_bulk(c->st, 1, e);
    if (!rc)
        rc = store_begin(c->st, e);
    if (!rc)
        rc = store_run(c->st, NULL, e,
                       "INSERT INTO customers(kind, name, created_at, updated_at) VALUES "
                       "('organization', 'Bench org', 0, 0)",
                       "");
    if (!rc)
        rc = store_run(c->st, NULL, e,
                       "INSERT INTO sla_policies(name, first_response_minutes, resolution_minutes, "
                       "created_at) VALUES ('bench', 240, 43200, 0)",
                       "");
    unsigned long long x = 42;
    for (long i = 0; !rc && i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t fr = T0 + 3600 + (int64_t)((x >> 20) % SPAN), res = fr + 86400 * 3;
        rc = store_run(c->st, NULL, e,
                       "INSERT INTO tickets(customer_id, kind, channel, priority, status, subject, "
                       "policy_id, created_at, updated_at, first_response_due_at, "
                       "resolution_due_at, next_due_at) VALUES (1, 'support', 'email', 'normal', "
                       "'open', 'bench', 1, ?, ?, ?, ?, ?)",
                       "iiiii", (int64_t)T0, (int64_t)T0, fr, res, fr);
    }
    if (!rc)
        rc = store_commit(c->st, e);
    else
        store_rollback(c->st);
    if (!rc)
        rc = store_bulk(c->st, 0, e);
    if (!rc)
        rc = store_exec(c->st, "ANALYZE", e);
    return rc;
}

/* Naive peer: every open ticket, both due times compared (no index). */
static int naive(struct ctx *c, int64_t now, int64_t *due)
{
    return store_int(c->st, due, &c->err,
                     "SELECT COUNT(*) FROM tickets WHERE status IN ('new','open') AND "
                     "((first_response_at IS NULL AND first_response_breached = 0 AND "
                     "first_response_due_at <= ?1) OR (resolved_at IS NULL AND "
                     "resolution_breached = 0 AND resolution_due_at <= ?1))",
                     "i", now);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sla DB_PATH [N]\n");
        return 1;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    remove(argv[1]);
    struct app a;
    struct err e = {0};
    if (app_init(&a, argv[1], &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    struct ctx c;
    ctx_init(&c, &a, NULL);
    double t0 = now_ms();
    if (load(&c, n)) {
        fprintf(stderr, "load: %s\n", c.err.msg);
        return 1;
    }
    double load1;
    if (getloadavg(&load1, 1) != 1)
        load1 = -1;
    printf("== SLA sweep over %ld open tickets (due times over 30 days; load average %.1f)\n", n,
           load1);
    printf("%-52s %9.0f ms\n", "load (bulk insert + index)", now_ms() - t0);
    /* fractions of the span: nothing due, 0.1 %, 1 % (cumulative) */
    const double frac[] = {0.0, 0.001, 0.01};
    for (int k = 0; k < 3; k++) {
        int64_t at = T0 + 3600 + (int64_t)(frac[k] * SPAN);
        char ts[TIME_BUF], label[96];
        setenv("RELATIO_NOW", time_format(at, ts, sizeof(ts)), 1);
        int64_t due = 0, breaches = 0;
        double a0 = now_ms(), c0 = cpu_ms();
        if (naive(&c, at, &due)) {
            fprintf(stderr, "naive: %s\n", c.err.msg);
            return 1;
        }
        double a1 = now_ms(), c1 = cpu_ms();
        if (sla_sweep(&c, &breaches)) {
            fprintf(stderr, "sweep: %s\n", c.err.msg);
            return 1;
        }
        double a2 = now_ms(), c2 = cpu_ms();
        snprintf(label, sizeof(label), "sweep, %lld newly due (%.1f %%)", (long long)breaches,
                 frac[k] * 100);
        printf("%-52s %9.1f ms wall %9.1f ms cpu\n", label, a2 - a1, c2 - c1);
        snprintf(label, sizeof(label), "  peer: full scan counting the due (%lld)", (long long)due);
        printf("%-52s %9.1f ms wall %9.1f ms cpu\n", label, a1 - a0, c1 - c0);
    }
    /* business-hours arithmetic alone */
    struct bizcal cal;
    bizcal_always(&cal);
    for (int d = 0; d < 7; d++) {
        cal.open_min[d] = d < 5 ? 540 : 0;
        cal.close_min[d] = d < 5 ? 1080 : 0;
    }
    for (int h = 0; h < 11; h++)
        cal.holidays[cal.nholidays++] = 20454 + h * 33;
    bizcal_finish(&cal);
    int64_t sink = 0;
    double b0 = now_ms();
    for (long i = 0; i < 1000000; i++)
        sink += bizhours_add(&cal, T0 + i * 97, 8 * 3600 + (i % 50) * 3600);
    double b1 = now_ms();
    printf("%-52s %9.1f ms (%lld)\n", "1M bizhours_add (8-57 business hours)", b1 - b0,
           (long long)(sink % 7));
    app_release(&a);
    return 0;
}
