/*
 * Per-customer (frequency, recency, age, mean spend) summaries: the input of
 * the BG/NBD and Gamma-Gamma models (bgnbd.h, gammagamma.h), built from order
 * lines with the literature's conventions. Pure: arrays in, results out.
 */
#ifndef ANALYTICS_CLV_SUMMARY_H
#define ANALYTICS_CLV_SUMMARY_H
#include <stddef.h>
#include <stdint.h>

#include "analytics/rfm.h" /* struct rfm_txn: one order line */
#include "util/err.h"

/*
 * One customer, time in the caller's unit (weeks in the literature):
 *   x       repeat transactions in the calibration period: distinct purchase
 *           days after the first one (same-day purchases are one
 *           transaction; the first purchase is not counted);
 *   t_x     time from the first purchase to the last one (0 when x = 0);
 *   T       time from the first purchase to the end of calibration;
 *   zbar    mean value of the repeat transactions in major units (each day's
 *           amounts summed; the first purchase excluded), 0 when x = 0;
 *   x_holdout  distinct purchase days after calibration, up to the end of
 *           observation (for checking predictions), 0 without a holdout.
 * x < 0 marks a customer with no purchase by the end of calibration: the
 * models skip such rows.
 */
struct clv_summary {
    int32_t x;
    double t_x;
    double T;
    double zbar;
    int32_t x_holdout;
};

/*
 * Builds out[ncustomers] (caller-owned, fully overwritten) from order lines
 * in any order, as Fader, Hardie & Lee (2005) and the `lifetimes` library
 * do. Lines with the refund flag or a negative amount are skipped; lines of
 * amount 0 are purchases (CDNOW has 80 of them and counts them). Lines dated
 * after obs_end are ignored; pass obs_end = cal_end for no holdout.
 * days_per_unit is 7 for weeks; minor_per_major converts amounts for zbar.
 *
 * Cost O(ntx + ncustomers) plus sorting each customer's own lines (a
 * bucket pass groups them first), memory 12 bytes per line.
 * Errors: ERR_INVALID (customer index, units, obs_end < cal_end),
 * ERR_INTERNAL (out of memory).
 */
int clv_summary_build(struct clv_summary *out, size_t ncustomers, const struct rfm_txn *tx,
                      size_t ntx, int32_t cal_end, int32_t obs_end, double days_per_unit,
                      int64_t minor_per_major, struct err *e);

#endif
