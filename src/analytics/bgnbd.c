/*
 * BG/NBD (see bgnbd.h): likelihood with its analytic gradient for the fit,
 * and the closed-form predictions of Fader, Hardie & Lee (2005).
 */
#include "analytics/bgnbd.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

/* ======================================================================== */
/* Special functions, guarded                                                */
/* ======================================================================== */

/* GSL calls its error handler (abort by default) on a domain error, so the
 * arguments are checked here and a NaN propagates instead. */
static double lng(double v)
{
    return v > 0 && isfinite(v) ? gsl_sf_lngamma(v) : NAN;
}

static double lnbeta(double a, double b)
{
    return lng(a) + lng(b) - lng(a + b);
}

static double digamma(double v)
{
    return v > 0 && isfinite(v) ? gsl_sf_psi(v) : NAN;
}

static int params_ok(const struct bgnbd_params *p)
{
    return p->r > 0 && p->alpha > 0 && p->a > 0 && p->b > 0 && isfinite(p->r) &&
           isfinite(p->alpha) && isfinite(p->a) && isfinite(p->b);
}

/*
 * Gauss's hypergeometric series 2F1(a, b; c; z) for 0 <= z < 1, summed
 * until the terms stop mattering. Callers pass Euler-transformed parameters
 * whose terms decay at least like j^(a+b-c-1) z^j, so the loop is short even
 * for z near 1. NaN when c hits a pole or the series fails to settle.
 */
static double hyp2f1(double a, double b, double c, double z)
{
    if (!(z >= 0 && z < 1))
        return NAN;
    double term = 1, sum = 1;
    for (int j = 0; j < 1000000; j++) {
        if (c + j == 0)
            return NAN;
        term *= (a + j) * (b + j) / ((c + j) * (j + 1)) * z;
        sum += term;
        if (fabs(term) < DBL_MIN || (fabs(term) < 1e-17 * fabs(sum) && j > 2))
            return sum;
    }
    return NAN;
}

/* 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z): the bracket of eqs. 9 and 10
 * after Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B)
 * 2F1(C-A, C-B; C; z), with (A, B, C) = (r+x, b+x, a+b+x-1) and c = C.
 * The power in front of the 2F1 in the paper, (1-z)^(r+x), then combines
 * with (1-z)^(C-A-B) into (1-z)^(a-1), independent of x: no huge 2F1
 * times tiny power for heavy buyers. */
static double bracket(const struct bgnbd_params *p, double c, double z)
{
    if (p->a == 1)
        return NAN; /* the (a-1) in the denominator: no closed form */
    double f = hyp2f1(p->a + p->b - 1 - p->r, p->a - 1, c, z);
    return 1 - exp((p->a - 1) * log1p(-z)) * f;
}

/* ======================================================================== */
/* Likelihood                                                                */
/* ======================================================================== */

double bgnbd_loglik1(const struct bgnbd_params *p, int32_t x, double t_x, double T)
{
    if (!params_ok(p) || x < 0)
        return NAN;
    double r = p->r, al = p->alpha, a = p->a, b = p->b;
    double a1 = lng(r + x) - lng(r) + r * log(al);
    double a2 = lnbeta(a, b + x) - lnbeta(a, b);
    double a3 = -(r + x) * log(al + T);
    if (x == 0)
        return a1 + a2 + a3;
    /* B(a+1, b+x-1)/B(a, b+x) = a/(b+x-1), so the second term is relative
     * to the first by that factor (FHL 2005, eq. 6) */
    double a4 = log(a) - log(b + x - 1) - (r + x) * log(al + t_x);
    double m = a3 > a4 ? a3 : a4;
    return a1 + a2 + m + log(exp(a3 - m) + exp(a4 - m));
}

double bgnbd_loglik(const struct bgnbd_params *p, const struct clv_summary *s, size_t n)
{
    double ll = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].x >= 0)
            ll += bgnbd_loglik1(p, s[i].x, s[i].t_x, s[i].T);
    }
    return ll;
}

/* ======================================================================== */
/* Fit                                                                       */
/* ======================================================================== */

/* Customers sharing (x, t_x, T), counted once with weight w. */
struct group {
    int32_t x;
    uint32_t xi;      /* index of x among the distinct frequencies */
    uint32_t ti, txi; /* indexes of T and t_x among the distinct times */
    double t_x, T, w;
};

/* Terms that depend on x only (FHL 2005 eq. 6, A1 and A2 in their note). */
struct xterm {
    double a12;           /* A1 + A2 */
    double d1r, d2a, d2b; /* their derivatives in r, a, b */
    double ln_bx1;        /* log(b + x - 1), x > 0 */
};

/* Terms that depend on a time only: log(alpha + t) and 1 / (alpha + t). */
struct tterm {
    double ln, inv;
};

struct fit_ctx {
    struct group *g;
    size_t ng;
    int32_t *xs; /* distinct frequencies */
    struct xterm *xt;
    size_t nx;
    double *ts; /* distinct times (T and t_x values), ascending */
    struct tterm *tt;
    size_t nt;
    double weight; /* number of customers */
};

static int cmp_group(const void *pa, const void *pb)
{
    const struct group *a = pa, *b = pb;
    if (a->x != b->x)
        return (a->x > b->x) - (a->x < b->x);
    if (a->t_x != b->t_x)
        return (a->t_x > b->t_x) - (a->t_x < b->t_x);
    return (a->T > b->T) - (a->T < b->T);
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* The mean negative log-likelihood and its gradient in log-parameters.
 * Per distinct x: the gamma-function terms; per distinct time: one
 * logarithm; per group: one exponential and one logarithm. */
static int objective(const double *phi, double *f, double *grad, void *vctx)
{
    const struct fit_ctx *c = vctx;
    double r = exp(phi[0]), al = exp(phi[1]), a = exp(phi[2]), b = exp(phi[3]);
    double ln_al = log(al);
    double lg_r = lng(r), lg_b = lng(b), lg_ab = lng(a + b);
    double ps_r = 0, ps_b = 0, ps_ab = 0;
    if (grad) {
        ps_r = digamma(r);
        ps_b = digamma(b);
        ps_ab = digamma(a + b);
    }
    for (size_t i = 0; i < c->nx; i++) {
        double x = c->xs[i];
        struct xterm *t = &c->xt[i];
        t->a12 = lng(r + x) - lg_r + r * ln_al + lg_ab + lng(b + x) - lg_b - lng(a + b + x);
        t->ln_bx1 = x > 0 ? log(b + x - 1) : 0;
        if (grad) {
            double ps_abx = digamma(a + b + x);
            t->d1r = digamma(r + x) - ps_r + ln_al;
            t->d2a = ps_ab - ps_abx;
            t->d2b = ps_ab + digamma(b + x) - ps_b - ps_abx;
        }
    }
    for (size_t i = 0; i < c->nt; i++) {
        c->tt[i].ln = log(al + c->ts[i]);
        c->tt[i].inv = 1 / (al + c->ts[i]);
    }
    double ll = 0, gr = 0, gal = 0, ga = 0, gb = 0, ln_a = log(a);
    for (size_t i = 0; i < c->ng; i++) {
        const struct group *g = &c->g[i];
        const struct xterm *t = &c->xt[g->xi];
        const struct tterm *tT = &c->tt[g->ti];
        double rx = r + g->x, ln_T = tT->ln;
        double a3 = -rx * ln_T, lse = a3, w3 = 1, w4 = 0, ln_tx = 0, inv_tx = 0;
        if (g->x > 0) {
            ln_tx = c->tt[g->txi].ln;
            inv_tx = c->tt[g->txi].inv;
            /* log(e^a3 + e^a4) and the shares of each term, from the
             * larger one: exp never overflows */
            double a4 = ln_a - t->ln_bx1 - rx * ln_tx, d = a4 - a3;
            double e = exp(-fabs(d)), s = 1 / (1 + e);
            lse = (d > 0 ? a4 : a3) + log1p(e);
            w3 = d > 0 ? e * s : s;
            w4 = d > 0 ? s : e * s;
        }
        ll += g->w * (t->a12 + lse);
        if (grad) {
            gr += g->w * (t->d1r - w3 * ln_T - w4 * ln_tx);
            gal += g->w * (r / al - w3 * rx * tT->inv - w4 * rx * inv_tx);
            ga += g->w * (t->d2a + w4 / a);
            gb += g->w * (t->d2b - (g->x > 0 ? w4 / (b + g->x - 1) : 0));
        }
    }
    *f = -ll / c->weight;
    if (grad) { /* chain rule through theta = exp(phi) */
        grad[0] = -gr * r / c->weight;
        grad[1] = -gal * al / c->weight;
        grad[2] = -ga * a / c->weight;
        grad[3] = -gb * b / c->weight;
    }
    return isfinite(*f) ? 0 : -1;
}

static void ctx_free(struct fit_ctx *c)
{
    free(c->g);
    free(c->xs);
    free(c->xt);
    free(c->ts);
    free(c->tt);
}

static uint32_t time_index(const struct fit_ctx *c, double t)
{
    const double *hit = bsearch(&t, c->ts, c->nt, sizeof(*c->ts), cmp_double);
    return (uint32_t)(hit - c->ts);
}

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static uint64_t triple_hash(int32_t x, double t_x, double T)
{
    uint64_t a, b;
    memcpy(&a, &t_x, sizeof(a));
    memcpy(&b, &T, sizeof(b));
    return mix((uint64_t)(uint32_t)x * 0x9e3779b97f4a7c15ULL ^ mix(a) ^ mix(b + 0x632be59bd9b4e019ULL));
}

/* The objective's data from every stride-th usable row of s[n] (stride 1:
 * all of them): equal triples merged through a hash table (no sort of a
 * million rows), distinct x and times listed. 0 or -1 (out of memory). */
static int ctx_build(struct fit_ctx *c, const struct clv_summary *s, size_t n, size_t used,
                     size_t stride)
{
    memset(c, 0, sizeof(*c));
    size_t want = (used + stride - 1) / stride, cap = 16;
    while (cap < 2 * want)
        cap *= 2;
    uint32_t *slot = malloc(cap * sizeof(*slot));
    c->g = malloc(want * sizeof(*c->g));
    if (!slot || !c->g) {
        free(slot);
        return -1;
    }
    memset(slot, 0xff, cap * sizeof(*slot));
    size_t ng = 0, k = 0, u = 0;
    int32_t max_x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].x < 0)
            continue;
        if (u++ % stride != 0 || k == want)
            continue;
        k++;
        size_t h = (size_t)triple_hash(s[i].x, s[i].t_x, s[i].T) & (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            if (slot[h] == UINT32_MAX) {
                slot[h] = (uint32_t)ng;
                c->g[ng++] = (struct group){s[i].x, 0, 0, 0, s[i].t_x, s[i].T, 1};
                if (s[i].x > max_x)
                    max_x = s[i].x;
                break;
            }
            struct group *g = &c->g[slot[h]];
            if (g->x == s[i].x && g->t_x == s[i].t_x && g->T == s[i].T) {
                g->w += 1;
                break;
            }
        }
    }
    free(slot);
    /* in (x, t_x, T) order: the sums then do not depend on the hash layout,
     * and the simplex meets its tolerance as it did on sorted rows */
    qsort(c->g, ng, sizeof(*c->g), cmp_group);
    c->ng = ng;
    c->weight = (double)k;
    /* distinct x in increasing order, through a table indexed by x */
    uint32_t *xmap = malloc(((size_t)max_x + 1) * sizeof(*xmap));
    if (!xmap)
        return -1;
    memset(xmap, 0xff, ((size_t)max_x + 1) * sizeof(*xmap));
    for (size_t i = 0; i < ng; i++)
        xmap[c->g[i].x] = 0;
    size_t nx = 0;
    for (int32_t x = 0; x <= max_x; x++)
        if (xmap[x] == 0)
            nx++;
    c->nx = nx;
    c->xs = malloc((nx ? nx : 1) * sizeof(*c->xs));
    c->xt = malloc((nx ? nx : 1) * sizeof(*c->xt));
    c->ts = malloc(2 * ng * sizeof(*c->ts));
    if (!c->xs || !c->xt || !c->ts) {
        free(xmap);
        return -1;
    }
    nx = 0;
    for (int32_t x = 0; x <= max_x; x++)
        if (xmap[x] == 0) {
            c->xs[nx] = x;
            xmap[x] = (uint32_t)nx++;
        }
    size_t nt = 0;
    for (size_t i = 0; i < ng; i++) {
        c->g[i].xi = xmap[c->g[i].x];
        c->ts[nt++] = c->g[i].T;
        c->ts[nt++] = c->g[i].t_x;
    }
    free(xmap);
    qsort(c->ts, nt, sizeof(*c->ts), cmp_double);
    size_t nu = 0;
    for (size_t i = 0; i < nt; i++)
        if (nu == 0 || c->ts[i] != c->ts[nu - 1])
            c->ts[nu++] = c->ts[i];
    c->nt = nu;
    c->tt = malloc(nu * sizeof(*c->tt));
    if (!c->tt)
        return -1;
    for (size_t i = 0; i < ng; i++) {
        c->g[i].ti = time_index(c, c->g[i].T);
        c->g[i].txi = time_index(c, c->g[i].t_x);
    }
    return 0;
}

/* Above this many customers, a fit on an evenly spread sample of about
 * FIT_SAMPLE of them gives the start of the full fit, which then needs only
 * a few BFGS steps instead of the whole simplex search. */
#define FIT_SAMPLE 20000

int bgnbd_fit(struct bgnbd_fit *out, const struct clv_summary *s, size_t n,
              const struct mle_options *o, struct err *e)
{
    memset(out, 0, sizeof(*out));
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].x < 0)
            continue;
        if (!(s[i].t_x >= 0 && s[i].T >= s[i].t_x && isfinite(s[i].T)))
            return err_set(e, ERR_INVALID, "summary", "row %lu: need 0 <= t_x <= T",
                           (unsigned long)i);
        used++;
    }
    if (used == 0)
        return err_set(e, ERR_INVALID, "summary", "no customer to fit");

    int rc = 0;
    struct fit_ctx c = {0}, sc = {0};
    struct mle_options opt;
    if (o)
        opt = *o;
    else
        mle_options_default(&opt);
    double start[4] = {1, 1, 1, 1};
    struct mle_result m;
    if (used >= 2 * FIT_SAMPLE) {
        if (ctx_build(&sc, s, n, used, used / FIT_SAMPLE)) {
            rc = err_set(e, ERR_INTERNAL, "", "out of memory");
            goto out;
        }
        if (mle_minimise(&m, 4, start, objective, &sc, sc.weight, &opt) == 0) {
            for (int i = 0; i < 4; i++)
                start[i] = m.theta[i];
            opt.polish = 1;
        }
    }
    if (ctx_build(&c, s, n, used, 1)) {
        rc = err_set(e, ERR_INTERNAL, "", "out of memory");
        goto out;
    }
    if (mle_minimise(&m, 4, start, objective, &c, c.weight, &opt) < 0) {
        rc = err_set(e, ERR_INTERNAL, "", "the optimiser could not start");
        goto out;
    }
    out->p = (struct bgnbd_params){m.theta[0], m.theta[1], m.theta[2], m.theta[3]};
    out->se = (struct bgnbd_params){m.se[0], m.se[1], m.se[2], m.se[3]};
    out->ll = -m.f * c.weight;
    out->n = used;
    out->groups = c.ng;
    out->iterations = m.iterations;
    out->converged = m.converged;
out:
    ctx_free(&sc);
    ctx_free(&c);
    return rc;
}

/* ======================================================================== */
/* Predictions                                                               */
/* ======================================================================== */

double bgnbd_expected(const struct bgnbd_params *p, double t)
{
    if (!params_ok(p) || !(t >= 0))
        return NAN;
    if (t == 0)
        return 0;
    double z = t / (p->alpha + t);
    return (p->a + p->b - 1) / (p->a - 1) * bracket(p, p->a + p->b - 1, z);
}

/* a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x): the odds of having dropped out
 * after the last purchase against still being active (0 when x = 0). */
static double dropout_odds(const struct bgnbd_params *p, int32_t x, double t_x, double T)
{
    if (x == 0)
        return 0;
    return exp(log(p->a) - log(p->b + x - 1) +
               (p->r + x) * (log(p->alpha + T) - log(p->alpha + t_x)));
}

double bgnbd_conditional_expected(const struct bgnbd_params *p, double t, int32_t x, double t_x,
                                  double T)
{
    if (!params_ok(p) || !(t >= 0) || x < 0)
        return NAN;
    if (t == 0)
        return 0;
    double z = t / (p->alpha + T + t);
    double c = p->a + p->b + x - 1;
    return c / (p->a - 1) * bracket(p, c, z) / (1 + dropout_odds(p, x, t_x, T));
}

double bgnbd_p_alive(const struct bgnbd_params *p, int32_t x, double t_x, double T)
{
    if (!params_ok(p) || x < 0)
        return NAN;
    return 1 / (1 + dropout_odds(p, x, t_x, T));
}

/* P(N >= k) for N negative binomial with P(N = j) = G(r+j)/(G(r) j!)
 * (1-z)^r z^j, summed upwards from j = k. */
static double nb_tail(double r, double z, int32_t k)
{
    if (z == 0)
        return k == 0 ? 1 : 0;
    double term = exp(lng(r + k) - lng(r) - lng(k + 1.0) + r * log1p(-z) + k * log(z));
    double sum = 0;
    for (int64_t j = k; j < (int64_t)k + 10000000; j++) {
        sum += term;
        double ratio = (r + (double)j) / ((double)j + 1) * z;
        term *= ratio;
        /* past the mode the terms only shrink. A far tail whose terms are
         * subnormal must stop too: 0 < 1e-17 * 0 never holds, and the
         * smallest subnormal times 0.7 rounds back to itself. */
        if (ratio < 1 && (term < DBL_MIN || term < 1e-17 * sum))
            break;
    }
    return sum;
}

double bgnbd_pmf(const struct bgnbd_params *p, double t, int32_t k)
{
    if (!params_ok(p) || !(t >= 0) || k < 0)
        return NAN;
    if (t == 0)
        return k == 0 ? 1 : 0;
    double r = p->r, al = p->alpha, a = p->a, b = p->b;
    double z = t / (al + t); /* and 1 - z = alpha / (alpha + t) */
    double head = exp(lnbeta(a, b + k) - lnbeta(a, b) + lng(r + k) - lng(r) - lng(k + 1.0) +
                      r * log1p(-z) + k * log(z));
    if (k == 0)
        return head;
    return head + exp(lnbeta(a + 1, b + k - 1) - lnbeta(a, b)) * nb_tail(r, z, k);
}
