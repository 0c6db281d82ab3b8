/*
 * Loyalty x profitability quadrants (see matrix.h): thresholds (medians by
 * default), then one pass that classifies and totals.
 */
#include "analytics/matrix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const quadrant_names[4] = {"strangers", "butterflies", "barnacles",
                                              "true_friends"};

const char *matrix_quadrant_name(int q)
{
    return q >= 0 && q < 4 ? quadrant_names[q] : "unknown";
}

void matrix_config_default(struct matrix_config *c)
{
    memset(c, 0, sizeof(*c));
    c->duration_median = 1;
    c->profit_median = 1;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Median of one field of in[n] (n > 0); buf has n slots. */
static double median(double *buf, const struct matrix_input *in, size_t n, int profit)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = profit ? in[i].profit : in[i].duration;
    qsort(buf, n, sizeof(*buf), cmp_double);
    return n % 2 ? buf[n / 2] : (buf[n / 2 - 1] + buf[n / 2]) / 2;
}

int matrix_classify(uint8_t *quad, struct matrix_result *res, const struct matrix_input *in,
                    size_t n, const struct matrix_config *cfg, struct err *e)
{
    memset(res, 0, sizeof(*res));
    res->n = n;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(in[i].duration) || !isfinite(in[i].profit))
            return err_set(e, ERR_INVALID, "input", "row %lu: duration and profit must be finite",
                           (unsigned long)i);
    }
    res->duration_threshold = cfg->duration_threshold;
    res->profit_threshold = cfg->profit_threshold;
    if (!cfg->duration_median && !isfinite(cfg->duration_threshold))
        return err_set(e, ERR_INVALID, "duration_threshold", "must be a finite number");
    if (!cfg->profit_median && !isfinite(cfg->profit_threshold))
        return err_set(e, ERR_INVALID, "profit_threshold", "must be a finite number");
    if (n == 0)
        return 0;
    if (cfg->duration_median || cfg->profit_median) {
        double *buf = malloc(n * sizeof(*buf));
        if (!buf)
            return err_set(e, ERR_INTERNAL, "", "out of memory for %lu customers",
                           (unsigned long)n);
        if (cfg->duration_median)
            res->duration_threshold = median(buf, in, n, 0);
        if (cfg->profit_median)
            res->profit_threshold = median(buf, in, n, 1);
        free(buf);
    }
    for (size_t i = 0; i < n; i++) {
        int q = (in[i].profit > res->profit_threshold ? 1 : 0) |
                (in[i].duration > res->duration_threshold ? 2 : 0);
        quad[i] = (uint8_t)q;
        res->cell[q].customers++;
        res->cell[q].revenue += in[i].revenue;
        res->cell[q].profit += in[i].profit;
        res->total_revenue += in[i].revenue;
    }
    for (int q = 0; q < 4; q++) {
        struct matrix_cell *c = &res->cell[q];
        c->customer_share = (double)c->customers / (double)n;
        c->revenue_share =
            res->total_revenue > 0 ? (double)c->revenue / (double)res->total_revenue : 0;
    }
    return 0;
}
