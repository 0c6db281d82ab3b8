/*
 * Logistic regression for scoring (churn, propensity): maximum likelihood by
 * Newton-Raphson (iteratively reweighted least squares) on standardised
 * features with a small ridge penalty, and the ROC AUC to evaluate a score
 * on held-out rows. Pure and deterministic.
 */
#ifndef ANALYTICS_LOGREG_H
#define ANALYTICS_LOGREG_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define LOGREG_MAX_FEATURES 16

/*
 * P(y = 1 | x) = 1 / (1 + exp(-(w0 + sum_j w[j] z_j))), z_j = (x_j - mean_j)
 * / sd_j. w_raw holds the same model on the raw features (w_raw[0] the
 * intercept), for reading the coefficients in the caller's units.
 */
struct logreg_model {
    size_t d;
    double w[LOGREG_MAX_FEATURES + 1];     /* intercept first, standardised */
    double w_raw[LOGREG_MAX_FEATURES + 1]; /* intercept first, raw units */
    double mean[LOGREG_MAX_FEATURES], sd[LOGREG_MAX_FEATURES];
    double ll; /* log-likelihood at the estimate (penalty excluded) */
    int iterations, converged;
};

/*
 * Fits on the n rows of x (n x d, row-major) with labels y (0 or 1).
 * l2 is the ridge penalty on the standardised slopes (not the intercept),
 * e.g. 1e-4; it keeps the estimate finite when the classes separate.
 * Errors: ERR_INVALID (d outside 1..LOGREG_MAX_FEATURES, n == 0, NaN, or
 * only one class), ERR_INTERNAL (singular system).
 */
int logreg_fit(struct logreg_model *m, const double *x, const uint8_t *y, size_t n, size_t d,
               double l2, struct err *e);

/* P(y = 1) for one row of d raw features. */
double logreg_predict(const struct logreg_model *m, const double *row);

/*
 * Area under the ROC curve of score for labels y (1 = positive): the
 * probability that a random positive scores above a random negative, ties
 * counting one half (Mann-Whitney). NaN when a class is empty or memory
 * runs out. O(n log n).
 */
double logreg_auc(const double *score, const uint8_t *y, size_t n);

#endif
