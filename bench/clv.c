/*
 * CLV fit benchmark on the pure modules: N customers (1M by default)
 * simulated from a known BG/NBD process with Gamma-Gamma spend, bought on
 * whole days over three years as the demo's orders are, summarised in
 * weeks (clv_summary_build, as the analytics service does), then the
 * BG/NBD and Gamma-Gamma fits timed (wall and CPU) with the recovered
 * parameters next to the true ones. Usage: clv [customers]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "analytics/bgnbd.h"
#include "analytics/clv_summary.h"
#include "analytics/gammagamma.h"

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

static uint64_t rng = 88172645463325252ULL;
static double unif(void) /* (0, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

/* Marsaglia-Tsang, shape k > 0, scale 1 */
static double gamma1(double k)
{
    if (k < 1)
        return gamma1(k + 1) * pow(unif(), 1 / k);
    double d = k - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double z, v;
        do {
            double u1 = unif(), u2 = unif();
            z = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
            v = 1 + c * z;
        } while (v <= 0);
        v = v * v * v;
        double u = unif();
        if (log(u) < 0.5 * z * z + d - d * v + d * log(v))
            return d * v;
    }
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    /* true parameters, rates per week; spend in euros */
    const struct bgnbd_params tp = {0.6, 4.0, 0.8, 2.5};
    const struct gg_params tg = {6.0, 4.0, 15.0};
    const int32_t cal_end = 3 * 365;
    size_t cap = n * 8, ntx = 0;
    struct rfm_txn *tx = malloc(cap * sizeof(*tx));
    struct clv_summary *sum = malloc(n * sizeof(*sum));
    if (!tx || !sum)
        return 1;
    for (size_t c = 0; c < n; c++) {
        double lambda = gamma1(tp.r) / tp.alpha; /* per week */
        double ga = gamma1(tp.a), p = ga / (ga + gamma1(tp.b));
        double nu = gamma1(tg.q) / tg.v;
        int32_t day = (int32_t)(unif() * (cal_end - 1));
        double t = day / 7.0;
        for (;;) {
            if (ntx == cap) {
                cap *= 2;
                struct rfm_txn *m = realloc(tx, cap * sizeof(*tx));
                if (!m)
                    return 1;
                tx = m;
            }
            int64_t cents = (int64_t)(gamma1(tg.p) / nu * 100) + 1;
            tx[ntx++] = (struct rfm_txn){(uint32_t)c, (int32_t)(t * 7), cents, 0};
            if (unif() < p && t > day / 7.0) /* drops out after a repeat purchase */
                break;
            t += -log(unif()) / lambda;
            if (t * 7 > cal_end)
                break;
        }
    }
    struct err e = {0};
    double w0 = now(), c0 = cpu();
    if (clv_summary_build(sum, n, tx, ntx, cal_end, cal_end, 7, 100, &e)) {
        fprintf(stderr, "summary: %s\n", e.msg);
        return 1;
    }
    double w1 = now(), c1 = cpu();
    printf("%zu customers, %zu orders over 3 years (whole days), summaries in weeks: %.3f s\n", n,
           ntx, w1 - w0);
    struct bgnbd_fit bg;
    if (bgnbd_fit(&bg, sum, n, NULL, &e)) {
        fprintf(stderr, "bgnbd: %s\n", e.msg);
        return 1;
    }
    double w2 = now(), c2 = cpu();
    printf("BG/NBD fit: %.3f s wall, %.3f s CPU; %zu customers in %zu distinct (x, t_x, T), "
           "%d iterations%s\n",
           w2 - w1, c2 - c1, bg.n, bg.groups, bg.iterations, bg.converged ? "" : " (NOT converged)");
    printf("  r %.4f (true %.2f), alpha %.4f (%.2f), a %.4f (%.2f), b %.4f (%.2f), LL %.2f\n",
           bg.p.r, tp.r, bg.p.alpha, tp.alpha, bg.p.a, tp.a, bg.p.b, tp.b, bg.ll);
    struct gg_fit gg;
    if (gg_fit(&gg, sum, n, NULL, &e)) {
        fprintf(stderr, "gg: %s\n", e.msg);
        return 1;
    }
    double w3 = now(), c3 = cpu();
    printf("Gamma-Gamma fit: %.3f s wall, %.3f s CPU; %zu customers, %d iterations%s\n", w3 - w2,
           c3 - c2, gg.n, gg.iterations, gg.converged ? "" : " (NOT converged)");
    printf("  p %.4f (true %.2f), q %.4f (%.2f), v %.4f (%.2f), LL %.2f\n", gg.p.p, tg.p, gg.p.q,
           tg.q, gg.p.v, tg.v, gg.ll);
    printf("both fits: %.3f s wall, %.3f s CPU\n", w3 - w1, c3 - c1);
    free(tx);
    free(sum);
    return 0;
}
