/*
 * The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005,
 * "'Counting Your Customers' the Easy Way", Marketing Science 24(2)):
 * likelihood, maximum-likelihood fit, and the model's predictions.
 * Pure: arrays in, results out. Time is in the unit of the summaries
 * (weeks in the literature and in DOMAIN.md).
 *
 * Model: while active, a customer buys as a Poisson process of rate
 * lambda ~ Gamma(r, alpha); after each repeat purchase the customer drops
 * out with probability p ~ Beta(a, b).
 */
#ifndef ANALYTICS_BGNBD_H
#define ANALYTICS_BGNBD_H
#include <stddef.h>
#include <stdint.h>

#include "analytics/clv_summary.h"
#include "analytics/mle.h"
#include "util/err.h"

struct bgnbd_params {
    double r, alpha, a, b;
};

struct bgnbd_fit {
    struct bgnbd_params p;  /* the estimates */
    struct bgnbd_params se; /* standard errors (observed information); NaN
                               when the information matrix is singular */
    double ll;              /* total log-likelihood at p */
    size_t n;               /* customers used (x >= 0) */
    size_t groups;          /* distinct (x, t_x, T) triples evaluated */
    int iterations;
    int converged;
};

/*
 * Log-likelihood of one customer (FHL 2005, eq. 6, in logs as in their
 * note "Implementing the BG/NBD model"):
 *   L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
 *     + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x)).
 * NaN when a parameter is not positive.
 */
double bgnbd_loglik1(const struct bgnbd_params *p, int32_t x, double t_x, double T);

/* Sum of bgnbd_loglik1 over s[n], skipping rows with x < 0. */
double bgnbd_loglik(const struct bgnbd_params *p, const struct clv_summary *s, size_t n);

/*
 * Maximum-likelihood fit on the rows of s[n] with x >= 0. Identical
 * (x, t_x, T) triples are evaluated once with a weight, and the terms that
 * depend on x only are computed once per distinct x, so a fit costs about
 * four logarithms per distinct triple per iteration. Nelder-Mead on
 * log-parameters from (1, 1, 1, 1), then BFGS (mle.h). o may be NULL.
 * Errors: ERR_INVALID (no usable row, negative times, t_x > T),
 * ERR_INTERNAL (memory, or the optimiser could not start).
 */
int bgnbd_fit(struct bgnbd_fit *out, const struct clv_summary *s, size_t n,
              const struct mle_options *o, struct err *e);

/*
 * E[X(t)], the expected number of repeat purchases in (0, t] of a customer
 * just acquired (FHL 2005, eq. 9):
 *   (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))].
 * The 2F1 is summed after Euler's transformation (see bgnbd.c), which keeps
 * every term bounded. NaN at the poles of the closed form: a = 1, or
 * a + b - 1 equal to 0 or a negative integer.
 */
double bgnbd_expected(const struct bgnbd_params *p, double t);

/*
 * E[Y(t) | x, t_x, T], the expected repeat purchases in (T, T+t] of a
 * customer with that history (FHL 2005, eq. 10):
 *   (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
 *                          2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
 *   / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).
 * NaN at the same poles as bgnbd_expected (with a + b + x - 1).
 */
double bgnbd_conditional_expected(const struct bgnbd_params *p, double t, int32_t x, double t_x,
                                  double T);

/*
 * P(alive | x, t_x, T) (Fader, Hardie & Lee 2008, "Computing P(alive) using
 * the BG/NBD model"): 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).
 */
double bgnbd_p_alive(const struct bgnbd_params *p, int32_t x, double t_x, double T);

/*
 * P(X(t) = k) for a customer just acquired (FHL 2005, eq. 8):
 *   B(a, b+k)/B(a, b) * G(r+k)/(G(r) k!) (alpha/(alpha+t))^r (t/(alpha+t))^k
 *   + [k > 0] B(a+1, b+k-1)/B(a, b) * P(NB(r, t/(alpha+t)) >= k),
 * the negative-binomial tail being summed directly rather than as one
 * minus the head, so that tiny probabilities keep their digits.
 */
double bgnbd_pmf(const struct bgnbd_params *p, double t, int32_t k);

#endif
