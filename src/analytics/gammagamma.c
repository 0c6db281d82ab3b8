/*
 * Gamma-Gamma spend model (see gammagamma.h): likelihood with its analytic
 * gradient, grouped by frequency so the gamma functions run once per x.
 */
#include "analytics/gammagamma.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

/* GSL aborts on domain errors by default: check arguments, return NaN. */
static double lng(double v)
{
    return v > 0 && isfinite(v) ? gsl_sf_lngamma(v) : NAN;
}

static double digamma(double v)
{
    return v > 0 && isfinite(v) ? gsl_sf_psi(v) : NAN;
}

static int params_ok(const struct gg_params *p)
{
    return p->p > 0 && p->q > 0 && p->v > 0 && isfinite(p->p) && isfinite(p->q) && isfinite(p->v);
}

static int usable(const struct clv_summary *s)
{
    return s->x > 0 && s->zbar > 0 && isfinite(s->zbar);
}

double gg_loglik1(const struct gg_params *p, int32_t x, double zbar)
{
    if (!params_ok(p) || x <= 0 || !(zbar > 0))
        return NAN;
    double px = p->p * x;
    return lng(px + p->q) - lng(px) - lng(p->q) + p->q * log(p->v) + (px - 1) * log(zbar) +
           px * log((double)x) - (px + p->q) * log(p->v + x * zbar);
}

double gg_loglik(const struct gg_params *p, const struct clv_summary *s, size_t n)
{
    double ll = 0;
    for (size_t i = 0; i < n; i++) {
        if (usable(&s[i]))
            ll += gg_loglik1(p, s[i].x, s[i].zbar);
    }
    return ll;
}

/* One customer with what the objective needs precomputed. */
struct row {
    uint32_t xi;  /* index among the distinct frequencies */
    double x, xm; /* x and x * zbar */
    double ln_mx; /* log(zbar) + log(x), the coefficient of p x */
    double ln_m;  /* log(zbar) */
};

/* Terms that depend on x only. */
struct xterm {
    double lg;     /* lgamma(px + q) - lgamma(px) */
    double ps_pxq; /* digamma(px + q) */
    double ps_px;  /* digamma(px) */
};

struct fit_ctx {
    struct row *r;
    size_t n;
    double *xs;
    struct xterm *xt;
    size_t nx;
};

/* Mean negative log-likelihood and its gradient in log-parameters. */
static int objective(const double *phi, double *f, double *grad, void *vctx)
{
    const struct fit_ctx *c = vctx;
    double p = exp(phi[0]), q = exp(phi[1]), v = exp(phi[2]);
    double lg_q = lng(q), ln_v = log(v), ps_q = grad ? digamma(q) : 0;
    for (size_t i = 0; i < c->nx; i++) {
        double px = p * c->xs[i];
        c->xt[i].lg = lng(px + q) - lng(px);
        if (grad) {
            c->xt[i].ps_pxq = digamma(px + q);
            c->xt[i].ps_px = digamma(px);
        }
    }
    double ll = 0, gp = 0, gq = 0, gv = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct row *r = &c->r[i];
        const struct xterm *t = &c->xt[r->xi];
        double px = p * r->x, ln_den = log(v + r->xm);
        ll += t->lg - lg_q + q * ln_v + px * r->ln_mx - r->ln_m - (px + q) * ln_den;
        if (grad) {
            gp += r->x * (t->ps_pxq - t->ps_px + r->ln_mx - ln_den);
            gq += t->ps_pxq - ps_q + ln_v - ln_den;
            gv += q / v - (px + q) / (v + r->xm);
        }
    }
    *f = -ll / (double)c->n;
    if (grad) {
        grad[0] = -gp * p / (double)c->n;
        grad[1] = -gq * q / (double)c->n;
        grad[2] = -gv * v / (double)c->n;
    }
    return isfinite(*f) ? 0 : -1;
}

static void ctx_free(struct fit_ctx *c)
{
    free(c->r);
    free(c->xs);
    free(c->xt);
}

/* The objective's data from every stride-th usable row of s[n] (stride 1:
 * all of them). 0 or -1 (out of memory). */
static int ctx_build(struct fit_ctx *c, const struct clv_summary *s, size_t n, size_t used,
                     size_t stride)
{
    memset(c, 0, sizeof(*c));
    size_t want = (used + stride - 1) / stride;
    c->r = malloc(want * sizeof(*c->r));
    c->xs = malloc(want * sizeof(*c->xs));
    c->xt = malloc(want * sizeof(*c->xt));
    if (!c->r || !c->xs || !c->xt)
        return -1;
    size_t k = 0, u = 0;
    int32_t max_x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!usable(&s[i]) || u++ % stride != 0 || k == want)
            continue;
        double x = s[i].x, m = s[i].zbar;
        c->r[k++] = (struct row){0, x, x * m, log(m) + log(x), log(m)};
        if (s[i].x > max_x)
            max_x = s[i].x;
    }
    c->n = k;
    /* the distinct x in increasing order through a table indexed by x: no
     * sort of the rows */
    uint32_t *xmap = malloc(((size_t)max_x + 1) * sizeof(*xmap));
    if (!xmap)
        return -1;
    memset(xmap, 0xff, ((size_t)max_x + 1) * sizeof(*xmap));
    for (size_t i = 0; i < k; i++)
        xmap[(int32_t)c->r[i].x] = 0;
    for (int32_t x = 0; x <= max_x; x++)
        if (xmap[x] == 0) {
            xmap[x] = (uint32_t)c->nx;
            c->xs[c->nx++] = x;
        }
    for (size_t i = 0; i < k; i++)
        c->r[i].xi = xmap[(int32_t)c->r[i].x];
    free(xmap);
    return 0;
}

/* Above this many customers, a fit on an evenly spread sample of about
 * FIT_SAMPLE of them gives the start of the full fit (BFGS steps only). */
#define FIT_SAMPLE 20000

int gg_fit(struct gg_fit *out, const struct clv_summary *s, size_t n, const struct mle_options *o,
           struct err *e)
{
    memset(out, 0, sizeof(*out));
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += usable(&s[i]) ? 1 : 0;
    if (used == 0)
        return err_set(e, ERR_INVALID, "summary", "no customer with repeat transactions");

    int rc = 0;
    struct fit_ctx c = {0}, sc = {0};
    struct mle_options opt;
    if (o)
        opt = *o;
    else
        mle_options_default(&opt);
    double start[3] = {1, 1, 1};
    struct mle_result m;
    if (used >= 2 * FIT_SAMPLE) {
        if (ctx_build(&sc, s, n, used, used / FIT_SAMPLE)) {
            rc = err_set(e, ERR_INTERNAL, "", "out of memory");
            goto out;
        }
        if (mle_minimise(&m, 3, start, objective, &sc, (double)sc.n, &opt) == 0) {
            for (int i = 0; i < 3; i++)
                start[i] = m.theta[i];
            opt.polish = 1;
        }
    }
    if (ctx_build(&c, s, n, used, 1)) {
        rc = err_set(e, ERR_INTERNAL, "", "out of memory");
        goto out;
    }
    if (mle_minimise(&m, 3, start, objective, &c, (double)used, &opt) < 0) {
        rc = err_set(e, ERR_INTERNAL, "", "the optimiser could not start");
        goto out;
    }
    out->p = (struct gg_params){m.theta[0], m.theta[1], m.theta[2]};
    out->se = (struct gg_params){m.se[0], m.se[1], m.se[2]};
    out->ll = -m.f * (double)used;
    out->n = used;
    out->iterations = m.iterations;
    out->converged = m.converged;
out:
    ctx_free(&sc);
    ctx_free(&c);
    return rc;
}

double gg_expected_spend(const struct gg_params *p, int32_t x, double zbar)
{
    if (!params_ok(p) || x < 0)
        return NAN;
    double den = p->p * x + p->q - 1;
    if (!(den > 0))
        return NAN;
    return p->p * (p->v + (x > 0 ? x * zbar : 0)) / den;
}
