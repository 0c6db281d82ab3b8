/*
 * The loyalty x profitability matrix of Reinartz & Kumar ("The Mismanagement
 * of Customer Loyalty", Harvard Business Review, July 2002; seed 002): each
 * customer falls in a quadrant by relationship duration and profit.
 * Pure: arrays in, results out; outputs are caller-owned.
 */
#ifndef ANALYTICS_MATRIX_H
#define ANALYTICS_MATRIX_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Bit 0 = high profit, bit 1 = long relationship. */
enum matrix_quadrant {
    MATRIX_STRANGERS = 0,   /* short relationship, low profit: poor fit */
    MATRIX_BUTTERFLIES = 1, /* short, high profit: good fit, not loyal */
    MATRIX_BARNACLES = 2,   /* long, low profit: limited fit, loyal */
    MATRIX_TRUE_FRIENDS = 3 /* long, high profit: good fit, loyal */
};

/* Stable machine name of a quadrant: "strangers", "butterflies",
 * "barnacles", "true_friends"; "unknown" out of range. */
const char *matrix_quadrant_name(int q);

/*
 * One customer: relationship duration (days since the first purchase, or
 * any measure where more is more loyal), profit (margin, CLV: any measure
 * where more is more profitable) and revenue (minor units, summed per
 * quadrant for the report).
 */
struct matrix_input {
    double duration;
    double profit;
    int64_t revenue;
};

/*
 * Thresholds. When *_median is non-zero the threshold is the median of the
 * input (the mean of the two middle values when N is even), else the given
 * value. A customer is "long" when duration > the duration threshold and
 * "high" when profit > the profit threshold: strictly above, so that a
 * base where half the customers have zero profit does not call them high.
 */
struct matrix_config {
    int duration_median;       /* 1 */
    double duration_threshold; /* used when duration_median == 0 */
    int profit_median;         /* 1 */
    double profit_threshold;   /* used when profit_median == 0 */
};

/* Medians for both axes. */
void matrix_config_default(struct matrix_config *c);

struct matrix_cell {
    size_t customers;
    int64_t revenue;
    double profit;
    double customer_share; /* customers / N */
    double revenue_share;  /* revenue / total revenue; 0 when total <= 0 */
};

struct matrix_result {
    size_t n;
    double duration_threshold; /* the thresholds actually used */
    double profit_threshold;
    int64_t total_revenue;
    struct matrix_cell cell[4]; /* indexed by enum matrix_quadrant */
};

/*
 * Classifies in[n]: quad[i] = enum matrix_quadrant of in[i] (caller-owned,
 * n entries); res gets the thresholds and per-quadrant totals.
 * O(N log N) when a median is asked for (a sort of a copy), else O(N).
 * Errors: ERR_INVALID (a NaN or infinite input or threshold),
 * ERR_INTERNAL (out of memory).
 */
int matrix_classify(uint8_t *quad, struct matrix_result *res, const struct matrix_input *in,
                    size_t n, const struct matrix_config *cfg, struct err *e);

#endif
