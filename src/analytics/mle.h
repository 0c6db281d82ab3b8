/*
 * Maximum-likelihood driver shared by the CLV models (bgnbd.c,
 * gammagamma.c): minimise a negative log-likelihood over log-parameters
 * with GSL's Nelder-Mead simplex, polish with BFGS on the analytic gradient,
 * and derive standard errors from the observed information.
 */
#ifndef ANALYTICS_MLE_H
#define ANALYTICS_MLE_H
#include <stddef.h>

#define MLE_MAX_PARAMS 4

/*
 * The objective, evaluated at phi[k] = log(theta): *f = mean negative
 * log-likelihood per customer (a scale-free value keeps the tolerances
 * meaningful whatever N); grad, when not NULL, receives d f / d phi.
 * Must return 0 and a finite value, or -1 when theta is unusable (the
 * driver then treats the point as very bad, never as an error).
 */
typedef int (*mle_objective)(const double *phi, double *f, double *grad, void *ctx);

struct mle_options {
    int max_iter;    /* Nelder-Mead iterations (BFGS gets max_iter / 4) */
    double size_tol; /* simplex size at which Nelder-Mead stops, in log units */
    double grad_tol; /* gradient norm (per customer) at which BFGS stops */
    double step;     /* initial simplex step, in log units */
    int polish;      /* 1: theta0 is already near the optimum (a fit on a
                        sample): BFGS alone from it, and the whole two-stage
                        search only if BFGS does not converge there */
};

/* max_iter 4000, size_tol 1e-7, grad_tol 1e-9, step 0.5, polish 0. */
void mle_options_default(struct mle_options *o);

struct mle_result {
    double theta[MLE_MAX_PARAMS]; /* exp(phi) at the optimum */
    double se[MLE_MAX_PARAMS];    /* standard errors of theta; NaN if the
                                     information matrix is not positive definite */
    double f;                     /* objective at the optimum */
    int iterations;               /* Nelder-Mead + BFGS iterations */
    int converged;                /* 1 when a stopping test was met */
};

/*
 * Minimises fn over k <= MLE_MAX_PARAMS log-parameters from theta0 (> 0).
 * weight is the number of customers the mean objective averages over: the
 * standard errors come from the inverse Hessian of weight * f (central
 * differences of the analytic gradient), mapped from log to natural
 * parameters with the delta method, se(theta) = theta * se(phi).
 * Returns 0, or -1 when theta0 is unusable or memory runs out.
 */
int mle_minimise(struct mle_result *out, int k, const double *theta0, mle_objective fn, void *ctx,
                 double weight, const struct mle_options *o);

#endif
