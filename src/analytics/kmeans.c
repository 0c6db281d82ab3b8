/*
 * k-means (see kmeans.h): z-scores, k-means++ seeding, Lloyd iterations,
 * best of n_init starts, clusters renumbered by size.
 */
#include "analytics/kmeans.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void kmeans_options_default(struct kmeans_options *o)
{
    o->k = 4;
    o->max_iter = 300;
    o->n_init = 5;
    o->tol = 1e-6;
    o->seed = 1;
    o->standardise = 1;
}

void kmeans_result_release(struct kmeans_result *r)
{
    if (!r)
        return;
    free(r->centroids);
    free(r->sizes);
    free(r->mean);
    free(r->sd);
    memset(r, 0, sizeof(*r));
}

/* splitmix64 (Steele, Lea & Flood 2014): a tiny generator whose state is a
 * local, so the module stays free of globals and runs are reproducible. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* uniform in [0, 1) with 53 random bits */
static double rng_uniform(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double dist2(const double *a, const double *b, size_t d)
{
    double s = 0;
    for (size_t j = 0; j < d; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

/* Working memory of one start. */
struct run {
    double *c;   /* k x d centres, standardised */
    int *lab;    /* n */
    double *d2;  /* n: squared distance to the assigned or nearest centre */
    size_t *cnt; /* k */
    double inertia;
    int iterations;
};

/* k-means++: the first centre uniformly, each next one with probability
 * proportional to the squared distance to the nearest centre so far. */
static void seed_centres(struct run *r, const double *z, size_t n, size_t d, int k, uint64_t *rng)
{
    size_t first = (size_t)(rng_uniform(rng) * (double)n);
    memcpy(r->c, z + first * d, d * sizeof(double));
    for (size_t i = 0; i < n; i++)
        r->d2[i] = dist2(z + i * d, r->c, d);
    for (int c = 1; c < k; c++) {
        double total = 0;
        for (size_t i = 0; i < n; i++)
            total += r->d2[i];
        size_t pick = n - 1;
        if (total > 0) {
            double u = rng_uniform(rng) * total, acc = 0;
            for (size_t i = 0; i < n; i++) {
                acc += r->d2[i];
                if (acc > u) {
                    pick = i;
                    break;
                }
            }
        } else { /* every point already sits on a centre */
            pick = (size_t)(rng_uniform(rng) * (double)n);
        }
        double *cc = r->c + (size_t)c * d;
        memcpy(cc, z + pick * d, d * sizeof(double));
        for (size_t i = 0; i < n; i++) {
            double t = dist2(z + i * d, cc, d);
            if (t < r->d2[i])
                r->d2[i] = t;
        }
    }
}

/* Assigns every point to its nearest centre; returns how many moved and
 * leaves the squared distances in d2 and the inertia in r. */
static size_t assign(struct run *r, const double *z, size_t n, size_t d, int k)
{
    size_t moved = 0;
    r->inertia = 0;
    for (size_t i = 0; i < n; i++) {
        int best = 0;
        double bd = dist2(z + i * d, r->c, d);
        for (int c = 1; c < k; c++) {
            double t = dist2(z + i * d, r->c + (size_t)c * d, d);
            if (t < bd) {
                bd = t;
                best = c;
            }
        }
        if (r->lab[i] != best)
            moved++;
        r->lab[i] = best;
        r->d2[i] = bd;
        r->inertia += bd;
    }
    return moved;
}

/* Moves each centre to the mean of its points; an empty cluster takes the
 * point farthest from its centre (it then leaves its old cluster's mean a
 * little off until the next assignment, which is what Lloyd corrects).
 * Returns the largest squared move. */
static double update(struct run *r, const double *z, size_t n, size_t d, int k, double *sum)
{
    memset(sum, 0, (size_t)k * d * sizeof(double));
    memset(r->cnt, 0, (size_t)k * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        double *s = sum + (size_t)r->lab[i] * d;
        for (size_t j = 0; j < d; j++)
            s[j] += z[i * d + j];
        r->cnt[r->lab[i]]++;
    }
    double shift = 0;
    for (int c = 0; c < k; c++) {
        /* the new centre is built in place of its sum, which is read once */
        double *cc = r->c + (size_t)c * d, *next = sum + (size_t)c * d;
        if (r->cnt[c] == 0) {
            size_t far = 0;
            for (size_t i = 1; i < n; i++)
                if (r->d2[i] > r->d2[far])
                    far = i;
            r->d2[far] = 0;
            for (size_t j = 0; j < d; j++)
                next[j] = z[far * d + j];
        } else {
            for (size_t j = 0; j < d; j++)
                next[j] /= (double)r->cnt[c];
        }
        double t = dist2(cc, next, d);
        if (t > shift)
            shift = t;
        memcpy(cc, next, d * sizeof(double));
    }
    return shift;
}

static void lloyd(struct run *r, const double *z, size_t n, size_t d, int k, double *sum,
                  const struct kmeans_options *o)
{
    for (size_t i = 0; i < n; i++)
        r->lab[i] = -1;
    r->iterations = 0;
    for (int it = 0; it < o->max_iter; it++) {
        r->iterations++;
        size_t moved = assign(r, z, n, d, k);
        if (moved == 0)
            return; /* labels, centres and inertia agree */
        double shift = update(r, z, n, d, k, sum);
        if (shift <= o->tol * o->tol)
            break;
    }
    assign(r, z, n, d, k); /* make labels and inertia match the last centres */
}

static int run_alloc(struct run *r, size_t n, size_t d, int k)
{
    r->c = malloc((size_t)k * d * sizeof(double));
    r->lab = malloc(n * sizeof(int));
    r->d2 = malloc(n * sizeof(double));
    r->cnt = malloc((size_t)k * sizeof(size_t));
    return r->c && r->lab && r->d2 && r->cnt ? 0 : -1;
}

static void run_free(struct run *r)
{
    free(r->c);
    free(r->lab);
    free(r->d2);
    free(r->cnt);
}

struct order {
    size_t size, first;
    int old;
};

static int cmp_order(const void *pa, const void *pb)
{
    const struct order *a = pa, *b = pb;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return (a->first > b->first) - (a->first < b->first);
}

int kmeans_fit(struct kmeans_result *out, int *labels, const double *x, size_t n, size_t d,
               const struct kmeans_options *o, struct err *e)
{
    struct kmeans_options def;
    if (!o) {
        kmeans_options_default(&def);
        o = &def;
    }
    memset(out, 0, sizeof(*out));
    int k = o->k;
    if (k < 1 || (size_t)k > n)
        return err_set(e, ERR_INVALID, "k", "k must be between 1 and the number of rows");
    if (d == 0)
        return err_set(e, ERR_INVALID, "d", "at least one feature");
    if (o->max_iter < 1 || o->n_init < 1)
        return err_set(e, ERR_INVALID, "max_iter", "iterations and starts must be positive");
    for (size_t i = 0; i < n * d; i++) {
        if (!isfinite(x[i]))
            return err_set(e, ERR_INVALID, "x", "row %lu: features must be finite",
                           (unsigned long)(i / d));
    }

    int rc = 0;
    struct run best = {0}, cur = {0};
    double *z = malloc(n * d * sizeof(double));
    double *sum = malloc((size_t)k * d * sizeof(double));
    struct order *ord = malloc((size_t)k * sizeof(*ord));
    int *map = malloc((size_t)k * sizeof(*map));
    out->k = k;
    out->d = d;
    out->centroids = calloc((size_t)k * d, sizeof(double));
    out->sizes = calloc((size_t)k, sizeof(size_t));
    out->mean = calloc(d, sizeof(double));
    out->sd = calloc(d, sizeof(double));
    if (!z || !sum || !ord || !map || !out->centroids || !out->sizes || !out->mean || !out->sd ||
        run_alloc(&best, n, d, k) < 0 || run_alloc(&cur, n, d, k) < 0) {
        rc = err_set(e, ERR_INTERNAL, "", "out of memory for %lu rows", (unsigned long)n);
        goto out;
    }

    /* z-scores: population mean and standard deviation per feature */
    for (size_t j = 0; j < d; j++) {
        double m = 0, v = 0;
        if (o->standardise) {
            for (size_t i = 0; i < n; i++)
                m += x[i * d + j];
            m /= (double)n;
            for (size_t i = 0; i < n; i++)
                v += (x[i * d + j] - m) * (x[i * d + j] - m);
            v = sqrt(v / (double)n);
        }
        out->mean[j] = m;
        out->sd[j] = v > 0 ? v : 1;
        for (size_t i = 0; i < n; i++)
            z[i * d + j] = (x[i * d + j] - m) / out->sd[j];
    }

    best.inertia = INFINITY;
    for (int s = 0; s < o->n_init; s++) {
        uint64_t rng = o->seed ^ (UINT64_C(0xD1B54A32D192ED03) * (uint64_t)(s + 1));
        seed_centres(&cur, z, n, d, k, &rng);
        lloyd(&cur, z, n, d, k, sum, o);
        if (cur.inertia < best.inertia) {
            struct run t = best;
            best = cur;
            cur = t;
        }
    }

    /* renumber by decreasing size, ties by first row */
    for (int c = 0; c < k; c++)
        ord[c] = (struct order){0, n, c};
    for (size_t i = 0; i < n; i++) {
        struct order *q = &ord[best.lab[i]];
        q->size++;
        if (i < q->first)
            q->first = i;
    }
    qsort(ord, (size_t)k, sizeof(*ord), cmp_order);
    for (int c = 0; c < k; c++)
        map[ord[c].old] = c;
    for (size_t i = 0; i < n; i++)
        labels[i] = map[best.lab[i]];
    for (int c = 0; c < k; c++) {
        out->sizes[c] = ord[c].size;
        const double *cz = best.c + (size_t)ord[c].old * d;
        for (size_t j = 0; j < d; j++)
            out->centroids[(size_t)c * d + j] = cz[j] * out->sd[j] + out->mean[j];
    }
    out->inertia = best.inertia;
    out->iterations = best.iterations;
out:
    if (rc < 0)
        kmeans_result_release(out);
    run_free(&best);
    run_free(&cur);
    free(z);
    free(sum);
    free(ord);
    free(map);
    return rc;
}
