/*
 * Loyalty benchmark: a fresh database with N members (default 1,000,000),
 * three ledger entries each (welcome bonus, a purchase, a redemption), then
 * the balance lookup through the service (the cached balance on the member
 * row) against the peer that sums the ledger, the write path (award, redeem)
 * through the service, the full balance check (loyalty_verify) and an expiry
 * run where 1 % of the members have expired points.
 *   loyalty DB_PATH [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "app/loyalty.h"
#include "store/store.h"
#include "util/timeu.h"

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* members 1..n: a welcome bonus of 100 (expired a month ago), 1 + i % 500
 * earned on a purchase (expired for 1 %, i % 100 == 0), 150 debited from the
 * others (synthetic: some end below zero, as after a refund): the expiry run
 * examines every member and debits the 1 % */
static int load(struct ctx *c, long n)
{
    struct err *e = &c->err;
    int rc = store_bulk(c->st, 1, e);
    if (!rc)
        rc = store_begin(c->st, e);
    if (!rc)
        rc =
            store_run(c->st, NULL, e,
                      "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
                      "INSERT INTO customers(id, kind, first_name, created_at, updated_at) SELECT "
                      "i, 'person', 'Member', 0, 0 FROM s",
                      "i", (int64_t)n);
    if (!rc)
        rc = store_run(c->st, NULL, e,
                       "INSERT INTO loyalty_rewards(name, cost_points, created_at, updated_at) "
                       "VALUES ('bench', 50, 0, 0)",
                       "");
    /* ledger first, balances summed from it afterwards */
    if (!rc)
        rc = store_run(
            c->st, NULL, e,
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
            "INSERT INTO loyalty_members(customer_id, card_number, referral_code, tier_id, "
            "enrolled_at, updated_at) SELECT i, printf('92%013d0', i), printf('B%07d', i), 1, ?, "
            "? FROM s",
            "iii", (int64_t)n, time_now() - 800 * 86400LL, time_now());
    int64_t t = time_now();
    if (!rc)
        rc = store_run(c->st, NULL, e,
                       "INSERT INTO loyalty_ledger(customer_id, at, kind, points, balance_after, "
                       "expires_at, ref, reason) SELECT customer_id, ?, 'bonus', 100, 100, ?, "
                       "'welcome', 'welcome bonus' FROM loyalty_members",
                       "ii", t - 800 * 86400LL, t - 30 * 86400LL);
    if (!rc)
        rc = store_run(c->st, NULL, e,
                       "INSERT INTO loyalty_ledger(customer_id, at, kind, points, balance_after, "
                       "expires_at, order_id, reason) SELECT customer_id, ?, 'earn', 1 + "
                       "customer_id % 500, 101 + customer_id % 500, CASE WHEN customer_id % 100 = "
                       "0 THEN ? ELSE ? END, customer_id, 'purchase' FROM loyalty_members",
                       "iii", t - 400 * 86400LL, t - 30 * 86400LL, t + 300 * 86400LL);
    if (!rc)
        rc = store_run(c->st, NULL, e,
                       "INSERT INTO loyalty_ledger(customer_id, at, kind, points, balance_after, "
                       "reason) SELECT customer_id, ?, 'redeem', -150, -49 + customer_id % 500, "
                       "'bench' FROM loyalty_members WHERE customer_id % 100 <> 0",
                       "i", t - 10 * 86400LL);
    if (!rc)
        rc = store_run(c->st, NULL, e,
                       "UPDATE loyalty_members SET (balance, tier_points) = (SELECT SUM(points), "
                       "SUM(points) FILTER (WHERE kind = 'earn') FROM loyalty_ledger l WHERE "
                       "l.customer_id = loyalty_members.customer_id)",
                       "");
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

/* n random lookups: per-call times in us; fn 0 = the service, 1 = the cached
 * balance alone, 2 = the peer summing the ledger */
static int lookups(struct ctx *c, long members, int fn, int n, double *us)
{
    unsigned long long x = 7 + (unsigned long long)fn;
    for (int i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t id = 1 + (int64_t)((x >> 20) % (unsigned long long)members), v = 0;
        double t0 = now_us();
        int rc;
        if (fn == 0) {
            json_t *out = NULL;
            rc = store_begin_read(c->st, &c->err); /* as a GET does */
            if (!rc)
                rc = loyalty_balance(c, id, &out);
            store_end_read(c->st);
            json_decref(out);
        } else if (fn == 1) {
            rc = store_int(c->st, &v, &c->err,
                           "SELECT balance FROM loyalty_members WHERE customer_id = ?", "i", id);
        } else {
            rc = store_int(c->st, &v, &c->err,
                           "SELECT COALESCE(SUM(points), 0) FROM loyalty_ledger WHERE "
                           "customer_id = ?",
                           "i", id);
        }
        us[i] = now_us() - t0;
        if (rc)
            return rc;
    }
    qsort(us, (size_t)n, sizeof(*us), cmp_d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: loyalty DB_PATH [N]\n");
        return 1;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    if (n < 1000)
        n = 1000;
    remove(argv[1]);
    struct app a;
    struct err e = {0};
    if (app_init(&a, argv[1], &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    struct ctx c;
    ctx_init(&c, &a, NULL);
    double t0 = now_us();
    if (load(&c, n)) {
        fprintf(stderr, "load: %s\n", c.err.msg);
        return 1;
    }
    double load1;
    if (getloadavg(&load1, 1) != 1)
        load1 = -1;
    printf("== loyalty over %ld members, %ld ledger entries (load average %.1f)\n", n,
           3 * n - n / 100, load1);
    printf("%-56s %9.0f ms\n", "load (bulk insert + indexes)", (now_us() - t0) / 1e3);
    enum { L = 20000 };
    static double us[L];
    const char *names[] = {"balance lookup (service: balance, tier, next, expiring)",
                           "cached balance alone (member row)",
                           "  peer: SUM(points) of the member's ledger"};
    for (int fn = 0; fn < 3; fn++) {
        if (lookups(&c, n, fn, L, us)) {
            fprintf(stderr, "lookup: %s\n", c.err.msg);
            return 1;
        }
        printf("%-56s median %6.1f us, p99 %6.1f us, max %7.1f us\n", names[fn], us[L / 2],
               us[L * 99 / 100], us[L - 1]);
    }
    /* writes through the service, one transaction each */
    enum { W = 5000 };
    json_t *in = json_pack("{s:i}", "reward_id", 1);
    double w0 = now_us();
    for (int i = 0; i < W; i++) {
        json_t *out = NULL;
        int rc = (i % 2) ? loyalty_redeem(&c, 1 + (i * 7919) % n, in, &out)
                         : loyalty_award(&c, 1 + (i * 7919) % n, 60, "bench", NULL, &out);
        json_decref(out);
        if (rc && rc != ERR_CONFLICT) {
            fprintf(stderr, "write: %s\n", c.err.msg);
            return 1;
        }
    }
    double w1 = now_us();
    json_decref(in);
    printf("%-56s %9.0f /s (%.0f us each)\n", "award / redeem through the service (alternating)",
           W / ((w1 - w0) / 1e6), (w1 - w0) / W);
    int64_t bad = -1;
    double v0 = now_us();
    if (loyalty_verify(&c, &bad)) {
        fprintf(stderr, "verify: %s\n", c.err.msg);
        return 1;
    }
    printf("%-56s %9.0f ms, %lld mismatched\n", "verify every cached balance against SUM(ledger)",
           (now_us() - v0) / 1e3, (long long)bad);
    int expired = 0;
    double x0 = now_us();
    if (loyalty_expire(&c, &expired)) {
        fprintf(stderr, "expire: %s\n", c.err.msg);
        return 1;
    }
    printf("%-56s %9.0f ms, %d members\n", "expiry run (all examined, 1 % with unspent points)",
           (now_us() - x0) / 1e3, expired);
    if (loyalty_verify(&c, &bad) || bad) {
        fprintf(stderr, "after expiry: %lld mismatched\n", (long long)bad);
        return 1;
    }
    app_release(&a);
    return 0;
}
