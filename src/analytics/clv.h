/*
 * Customer lifetime value: the seed's formulas (seed 002: average lifetime x
 * expected consumption - acquisition cost; the sum of discounted expected
 * profits) and the probabilistic CLV that combines BG/NBD (bgnbd.h) with
 * Gamma-Gamma (gammagamma.h). Pure: arrays in, results out.
 */
#ifndef ANALYTICS_CLV_H
#define ANALYTICS_CLV_H
#include <stddef.h>

#include "analytics/bgnbd.h"
#include "analytics/clv_summary.h"
#include "analytics/gammagamma.h"
#include "util/err.h"

/*
 * The seed's simple formula: LTV = average lifetime x expected consumption
 * per period - acquisition cost, with lifetime in periods (years, months:
 * the same period as the consumption, which may be revenue or margin).
 */
double clv_seed_simple(double avg_lifetime, double consumption_per_period, double acquisition_cost);

/*
 * The seed's "sum of the discounted profits expected over the customer's
 * life":
 *   sum_{t=1..n} margin_rate * revenue[t-1] * retention^(t-1) / (1 + discount_rate)^t
 *   - acquisition_cost,
 * with cash flows at the end of each period, the customer present in the
 * first period, and retention the probability of staying from one period
 * to the next (1 when revenue[] already is an expectation). NaN when
 * discount_rate <= -1.
 */
double clv_discounted_profits(const double *revenue, size_t n, double margin_rate,
                              double discount_rate, double retention, double acquisition_cost);

struct clv_options {
    int months;              /* horizon: 12 */
    double monthly_discount; /* 0.01 a month, ~12.7 % a year */
    double margin;           /* profit per unit of spend: 1 = value is spend */
    double units_per_month;  /* model time units in a month: 4.345 (weeks),
                                as lifetimes' factor for weekly data */
};

/* months 12, monthly_discount 0.01, margin 1, units_per_month 4.345. */
void clv_options_default(struct clv_options *o);

/*
 * Probabilistic CLV of one customer, as lifetimes' customer_lifetime_value
 * (Fader, Hardie & Lee 2005 "RFM and CLV", with discrete monthly
 * discounting):
 *   CLV = sum_{k=1..K} margin * E[M | x, zbar]
 *         * (E[Y(k u) | x, t_x, T] - E[Y((k-1) u) | x, t_x, T]) / (1 + d)^k,
 * K = months, u = units_per_month, d = monthly_discount, E[M] from
 * gg_expected_spend (the population mean when x = 0), E[Y] from
 * bgnbd_conditional_expected: the expected purchases of month k, valued and
 * discounted at the month's end. NaN when s->x < 0 (not in the cohort).
 */
double clv_customer(const struct bgnbd_params *bg, const struct gg_params *gg,
                    const struct clv_summary *s, const struct clv_options *o);

/*
 * clv_customer for every row: out[n] is caller-owned and fully
 * overwritten. o may be NULL (defaults).
 * Errors: ERR_INVALID for bad options (months < 1, units_per_month <= 0,
 * monthly_discount <= -1).
 */
int clv_predict(double *out, const struct clv_summary *s, size_t n, const struct bgnbd_params *bg,
                const struct gg_params *gg, const struct clv_options *o, struct err *e);

#endif
