/*
 * ABC (Pareto) segmentation of customers by net revenue (seed 002,
 * DOMAIN.md "ABC (Pareto) segmentation"), plus the Pareto curve for a chart.
 * Pure: arrays in, results out; every output is caller-owned.
 */
#ifndef ANALYTICS_ABC_H
#define ANALYTICS_ABC_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum abc_class { ABC_A = 0, ABC_B = 1, ABC_C = 2 };

enum abc_mode {
    ABC_BY_CUSTOMERS = 0, /* cut-offs are shares of customers (default) */
    ABC_BY_REVENUE = 1    /* cut-offs are cumulative shares of revenue */
};

/*
 * Cumulative cut-offs, 0 <= a_cut <= b_cut <= 1.
 * ABC_BY_CUSTOMERS: A = the first ceil(a_cut N) ranked customers, B = the
 *   next ceil(b_cut N) - ceil(a_cut N), C = the rest. The ceilings are taken
 *   on the cut-offs rounded to millionths in integer arithmetic, so 0.05 x 100
 *   is 5, not 6 from a binary-floating-point 5.000000000000001.
 * ABC_BY_REVENUE: walking the ranking, a customer is A while the revenue of
 *   the customers ranked before it is < a_cut x P, B while it is < b_cut x
 *   P, where P is the sum of the positive revenues (the customer that
 *   crosses a cut-off belongs to the class it crosses). The seed's figures
 *   (A ~ 65 %, B ~ 15 %) are a_cut = 0.65, b_cut = 0.80.
 * In both modes a customer with zero or negative revenue is C.
 */
struct abc_config {
    enum abc_mode mode;
    double a_cut; /* 0.05 */
    double b_cut; /* 0.20 */
};

/* The seed's default: by customers, 5 % and 20 %. */
void abc_config_default(struct abc_config *c);

/* 0, or ERR_INVALID with the offending field. */
int abc_config_check(const struct abc_config *c, struct err *e);

/* One customer with a transaction in the period: the caller's customer id
 * (the tie-breaker, ascending) and its net revenue in minor units. */
struct abc_input {
    int64_t id;
    int64_t revenue;
};

struct abc_class_stats {
    size_t customers;
    int64_t revenue;       /* net, minor units */
    double customer_share; /* customers / N */
    double revenue_share;  /* revenue / total; 0 when total <= 0 */
};

struct abc_result {
    size_t n;                      /* customers ranked */
    int64_t total;                 /* net revenue of all of them */
    struct abc_class_stats cls[3]; /* indexed by enum abc_class */
};

/* A point of the Pareto (concentration) curve: the top `customers` share of
 * the ranking holds `revenue` share of the net total. */
struct abc_point {
    double customers;
    double revenue;
};

/*
 * Ranks in[n] by revenue descending, ties by id ascending, and classifies.
 *
 * cls:    caller-owned, n entries, cls[i] = enum abc_class of in[i].
 * rank:   optional (NULL), n entries, rank[i] = 1-based rank of in[i].
 * res:    per-class counts, revenue and shares.
 * curve:  optional (NULL), ncurve >= 2 points from (0, 0) to (1, 1): point k
 *         is the top round(k N / (ncurve - 1)) customers. Downsampling to
 *         ~100 points keeps a chart of a million customers small.
 * O(N log N) (one sort). Errors: ERR_INVALID (config, ncurve < 2),
 * ERR_INTERNAL (out of memory).
 */
int abc_classify(uint8_t *cls, size_t *rank, struct abc_result *res, struct abc_point *curve,
                 size_t ncurve, const struct abc_input *in, size_t n, const struct abc_config *cfg,
                 struct err *e);

#endif
