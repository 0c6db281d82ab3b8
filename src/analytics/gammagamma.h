/*
 * The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005,
 * "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", JMR
 * 42(4); Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value"):
 * likelihood, maximum-likelihood fit, and the conditional expected spend.
 * Pure: arrays in, results out.
 *
 * Model: a customer's transaction values are Gamma(p, nu), so the mean of x
 * of them, zbar, is Gamma(p x, nu x); across customers nu ~ Gamma(q, v).
 * The model assumes spend is independent of the purchase process, and uses
 * only customers with repeat transactions (x > 0), zbar being the mean of
 * those repeat transactions.
 */
#ifndef ANALYTICS_GAMMAGAMMA_H
#define ANALYTICS_GAMMAGAMMA_H
#include <stddef.h>
#include <stdint.h>

#include "analytics/clv_summary.h"
#include "analytics/mle.h"
#include "util/err.h"

struct gg_params {
    double p, q, v;
};

struct gg_fit {
    struct gg_params p;  /* the estimates */
    struct gg_params se; /* standard errors (observed information), or NaN */
    double ll;           /* total log-likelihood at p */
    size_t n;            /* customers used: x > 0 and zbar > 0 */
    int iterations;
    int converged;
};

/*
 * Log-density of one customer's mean spend (Fader & Hardie 2013, eq. 4):
 *   log [ G(px+q) / (G(px) G(q)) * v^q zbar^(px-1) x^(px) / (v + x zbar)^(px+q) ].
 * NaN when a parameter is not positive or x <= 0 or zbar <= 0.
 */
double gg_loglik1(const struct gg_params *p, int32_t x, double zbar);

/* Sum of gg_loglik1 over the rows of s[n] with x > 0 and zbar > 0. */
double gg_loglik(const struct gg_params *p, const struct clv_summary *s, size_t n);

/*
 * Maximum-likelihood fit on the rows with x > 0 and zbar > 0 (others are
 * skipped, as the model requires). Nelder-Mead on log-parameters from
 * (1, 1, 1), then BFGS (mle.h). o may be NULL.
 * Errors: ERR_INVALID (no usable row), ERR_INTERNAL (memory, optimiser).
 */
int gg_fit(struct gg_fit *out, const struct clv_summary *s, size_t n, const struct mle_options *o,
           struct err *e);

/*
 * E[M | x, zbar], the expected mean spend of the customer's future
 * transactions (Fader, Hardie & Lee 2005, eq. 3; Fader & Hardie 2013, eq. 5):
 *   p (v + x zbar) / (p x + q - 1)
 *   = (q-1)/(px+q-1) * p v/(q-1)  +  px/(px+q-1) * zbar,
 * a weighted mean of the population mean p v / (q - 1) and the customer's
 * own zbar. With x = 0 it is the population mean. NaN when the denominator
 * is not positive (q <= 1 and x = 0: the population mean is infinite).
 */
double gg_expected_spend(const struct gg_params *p, int32_t x, double zbar);

#endif
