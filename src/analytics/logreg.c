/*
 * Logistic regression by Newton-Raphson with a ridge penalty (see
 * logreg.h; Hastie, Tibshirani & Friedman, "Elements of Statistical
 * Learning", 4.4.1), and the Mann-Whitney AUC.
 */
#include "analytics/logreg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITER 50
#define TOL 1e-10

static double sigmoid(double t)
{
    return t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t));
}

/* Solves A x = b (p x p, A symmetric positive definite) by Cholesky, in
 * place; -1 when A is not positive definite. */
static int cholesky_solve(double *A, double *b, size_t p)
{
    for (size_t j = 0; j < p; j++) {
        double s = A[j * p + j];
        for (size_t k = 0; k < j; k++)
            s -= A[j * p + k] * A[j * p + k];
        if (!(s > 0))
            return -1;
        A[j * p + j] = sqrt(s);
        for (size_t i = j + 1; i < p; i++) {
            double t = A[i * p + j];
            for (size_t k = 0; k < j; k++)
                t -= A[i * p + k] * A[j * p + k];
            A[i * p + j] = t / A[j * p + j];
        }
    }
    for (size_t i = 0; i < p; i++) { /* L y = b */
        for (size_t k = 0; k < i; k++)
            b[i] -= A[i * p + k] * b[k];
        b[i] /= A[i * p + i];
    }
    for (size_t i = p; i-- > 0;) { /* L' x = y */
        for (size_t k = i + 1; k < p; k++)
            b[i] -= A[k * p + i] * b[k];
        b[i] /= A[i * p + i];
    }
    return 0;
}

int logreg_fit(struct logreg_model *m, const double *x, const uint8_t *y, size_t n, size_t d,
               double l2, struct err *e)
{
    memset(m, 0, sizeof(*m));
    if (d < 1 || d > LOGREG_MAX_FEATURES)
        return err_set(e, ERR_INVALID, "features", "between 1 and %d", LOGREG_MAX_FEATURES);
    if (!n)
        return err_set(e, ERR_INVALID, "rows", "no rows to fit");
    m->d = d;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        pos += y[i] != 0;
        for (size_t j = 0; j < d; j++) {
            double v = x[i * d + j];
            if (isnan(v))
                return err_set(e, ERR_INVALID, "features", "NaN in row %zu", i);
            m->mean[j] += v;
        }
    }
    if (pos == 0 || pos == n)
        return err_set(e, ERR_INVALID, "labels", "both classes are needed (%zu of %zu positive)",
                       pos, n);
    for (size_t j = 0; j < d; j++)
        m->mean[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double t = x[i * d + j] - m->mean[j];
            m->sd[j] += t * t;
        }
    for (size_t j = 0; j < d; j++) {
        m->sd[j] = sqrt(m->sd[j] / (double)n);
        if (!(m->sd[j] > 0))
            m->sd[j] = 1;
    }
    size_t p = d + 1;
    double H[(LOGREG_MAX_FEATURES + 1) * (LOGREG_MAX_FEATURES + 1)], g[LOGREG_MAX_FEATURES + 1];
    double z[LOGREG_MAX_FEATURES + 1];
    m->w[0] = log((double)pos / (double)(n - pos));
    for (int it = 1; it <= MAX_ITER; it++) {
        memset(H, 0, sizeof(H));
        memset(g, 0, sizeof(g));
        double ll = 0;
        for (size_t i = 0; i < n; i++) {
            z[0] = 1;
            double t = m->w[0];
            for (size_t j = 0; j < d; j++) {
                z[j + 1] = (x[i * d + j] - m->mean[j]) / m->sd[j];
                t += m->w[j + 1] * z[j + 1];
            }
            double pr = sigmoid(t), wt = pr * (1 - pr), r = (y[i] ? 1.0 : 0.0) - pr;
            ll += y[i] ? (t >= 0 ? -log1p(exp(-t)) : t - log1p(exp(t)))
                       : (t >= 0 ? -t - log1p(exp(-t)) : -log1p(exp(t)));
            for (size_t a = 0; a < p; a++) {
                g[a] += r * z[a];
                for (size_t b = 0; b <= a; b++)
                    H[a * p + b] += wt * z[a] * z[b];
            }
        }
        for (size_t a = 1; a < p; a++) {
            g[a] -= l2 * (double)n * m->w[a];
            H[a * p + a] += l2 * (double)n;
        }
        for (size_t a = 0; a < p; a++)
            for (size_t b = a + 1; b < p; b++)
                H[a * p + b] = H[b * p + a];
        m->ll = ll;
        m->iterations = it;
        if (cholesky_solve(H, g, p))
            return err_set(e, ERR_INTERNAL, "", "singular information matrix");
        double step = 0;
        for (size_t a = 0; a < p; a++) {
            m->w[a] += g[a];
            step = fmax(step, fabs(g[a]));
        }
        if (step < TOL * (1 + fabs(m->w[0]))) {
            m->converged = 1;
            break;
        }
    }
    m->w_raw[0] = m->w[0];
    for (size_t j = 0; j < d; j++) {
        m->w_raw[j + 1] = m->w[j + 1] / m->sd[j];
        m->w_raw[0] -= m->w_raw[j + 1] * m->mean[j];
    }
    return 0;
}

double logreg_predict(const struct logreg_model *m, const double *row)
{
    double t = m->w[0];
    for (size_t j = 0; j < m->d; j++)
        t += m->w[j + 1] * (row[j] - m->mean[j]) / m->sd[j];
    return sigmoid(t);
}

struct scored {
    double s;
    uint8_t y;
};

static int cmp_scored(const void *a, const void *b)
{
    double x = ((const struct scored *)a)->s, y = ((const struct scored *)b)->s;
    return (x > y) - (x < y);
}

double logreg_auc(const double *score, const uint8_t *y, size_t n)
{
    struct scored *v = malloc((n ? n : 1) * sizeof(*v));
    if (!v)
        return NAN;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = (struct scored){score[i], y[i] != 0};
        pos += v[i].y;
    }
    size_t neg = n - pos;
    if (!pos || !neg) {
        free(v);
        return NAN;
    }
    qsort(v, n, sizeof(*v), cmp_scored);
    double rank_sum = 0; /* sum of the positives' mid-ranks (1-based) */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        size_t npos = 0;
        while (j < n && v[j].s == v[i].s)
            npos += v[j++].y;
        double mid = ((double)(i + 1) + (double)j) / 2;
        rank_sum += mid * (double)npos;
        i = j;
    }
    free(v);
    return (rank_sum - (double)pos * ((double)pos + 1) / 2) / ((double)pos * (double)neg);
}
