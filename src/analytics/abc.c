/*
 * ABC / Pareto segmentation (see abc.h): one sort of the customers, then a
 * single sweep that assigns classes, sums per class and samples the curve.
 */
#include "analytics/abc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void abc_config_default(struct abc_config *c)
{
    c->mode = ABC_BY_CUSTOMERS;
    c->a_cut = 0.05;
    c->b_cut = 0.20;
}

int abc_config_check(const struct abc_config *c, struct err *e)
{
    if (c->mode != ABC_BY_CUSTOMERS && c->mode != ABC_BY_REVENUE)
        return err_set(e, ERR_INVALID, "mode", "unknown abc mode");
    if (!(c->a_cut >= 0 && c->a_cut <= 1))
        return err_set(e, ERR_INVALID, "a_cut", "cut-off must be between 0 and 1");
    if (!(c->b_cut >= c->a_cut && c->b_cut <= 1))
        return err_set(e, ERR_INVALID, "b_cut", "cut-off must be between a_cut and 1");
    return 0;
}

/* ceil(cut * n) with cut rounded to millionths, in integers (see abc.h). */
static size_t ceil_share(double cut, size_t n)
{
    uint64_t ppm = (uint64_t)llround(cut * 1e6);
    return (size_t)(((uint64_t)n * ppm + 999999) / 1000000);
}

/* qsort context-free comparator: the index array carries pointers. */
static int cmp_rank(const void *pa, const void *pb)
{
    const struct abc_input *a = *(const struct abc_input *const *)pa;
    const struct abc_input *b = *(const struct abc_input *const *)pb;
    if (a->revenue != b->revenue)
        return a->revenue > b->revenue ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

int abc_classify(uint8_t *cls, size_t *rank, struct abc_result *res, struct abc_point *curve,
                 size_t ncurve, const struct abc_input *in, size_t n, const struct abc_config *cfg,
                 struct err *e)
{
    int rc = abc_config_check(cfg, e);
    if (rc < 0)
        return rc;
    if (curve && ncurve < 2)
        return err_set(e, ERR_INVALID, "ncurve", "a curve needs at least two points");
    memset(res, 0, sizeof(*res));
    res->n = n;
    if (n == 0) {
        for (size_t k = 0; curve && k < ncurve; k++)
            curve[k] = (struct abc_point){(double)k / (double)(ncurve - 1), 0};
        return 0;
    }
    const struct abc_input **order = malloc(n * sizeof(*order));
    if (!order)
        return err_set(e, ERR_INTERNAL, "", "out of memory for %lu customers", (unsigned long)n);

    int64_t positive = 0;
    for (size_t i = 0; i < n; i++) {
        order[i] = &in[i];
        res->total += in[i].revenue;
        if (in[i].revenue > 0)
            positive += in[i].revenue;
    }
    qsort(order, n, sizeof(*order), cmp_rank);

    size_t a_end = ceil_share(cfg->a_cut, n), b_end = ceil_share(cfg->b_cut, n);
    double a_rev = cfg->a_cut * (double)positive, b_rev = cfg->b_cut * (double)positive;
    int64_t cum = 0;
    size_t next_k = 0; /* next curve point to emit */
    for (size_t j = 0; j <= n; j++) {
        /* curve point k sits after the top round(k n / (ncurve-1)) customers */
        while (curve && next_k < ncurve &&
               (size_t)llround((double)next_k * (double)n / (double)(ncurve - 1)) == j) {
            curve[next_k].customers = (double)j / (double)n;
            curve[next_k].revenue = res->total > 0 ? (double)cum / (double)res->total : 0;
            next_k++;
        }
        if (j == n)
            break;
        const struct abc_input *c = order[j];
        size_t i = (size_t)(c - in);
        enum abc_class k = ABC_C;
        if (c->revenue > 0) {
            if (cfg->mode == ABC_BY_CUSTOMERS)
                k = j < a_end ? ABC_A : j < b_end ? ABC_B : ABC_C;
            else
                k = (double)cum < a_rev ? ABC_A : (double)cum < b_rev ? ABC_B : ABC_C;
        }
        cls[i] = (uint8_t)k;
        if (rank)
            rank[i] = j + 1;
        res->cls[k].customers++;
        res->cls[k].revenue += c->revenue;
        cum += c->revenue;
    }
    free(order);

    for (int k = 0; k < 3; k++) {
        struct abc_class_stats *s = &res->cls[k];
        s->customer_share = (double)s->customers / (double)n;
        s->revenue_share = res->total > 0 ? (double)s->revenue / (double)res->total : 0;
    }
    return 0;
}
