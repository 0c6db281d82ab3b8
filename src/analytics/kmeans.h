/*
 * k-means clustering for customer segmentation (seed 000/002 "segmentation
 * by clustering"): standardised features, k-means++ seeding (Arthur &
 * Vassilvitskii 2007) from a seeded generator, Lloyd iterations, best of
 * several starts, and cluster profiles in the original units. Pure and
 * deterministic: the same input and seed give the same clusters.
 */
#ifndef ANALYTICS_KMEANS_H
#define ANALYTICS_KMEANS_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kmeans_options {
    int k;           /* clusters: 4 */
    int max_iter;    /* Lloyd iterations per start: 300 */
    int n_init;      /* starts, the lowest inertia wins: 5 */
    double tol;      /* stop when no centroid moves more than this
                        (standardised units): 1e-6 */
    uint64_t seed;   /* generator seed: 1 */
    int standardise; /* 1: z-score each feature first (recency in days and
                        revenue in cents would otherwise not compare) */
};

/* The defaults in the comments above. */
void kmeans_options_default(struct kmeans_options *o);

/*
 * Owned by the caller, filled by kmeans_fit, freed by kmeans_result_release
 * (which accepts a zeroed or released result).
 * centroids: k x d, row-major, in the ORIGINAL units of the features (the
 * cluster's mean profile); sizes: k; mean, sd: d, the standardisation used
 * (0 and 1 when standardise is off; sd 1 for a constant feature).
 */
struct kmeans_result {
    int k;
    size_t d;
    double *centroids;
    size_t *sizes;
    double *mean, *sd;
    double inertia; /* within-cluster sum of squares, standardised units */
    int iterations; /* Lloyd iterations of the winning start */
};

/*
 * Clusters the n rows of x (n x d, row-major; NaN not allowed). labels
 * (caller-owned, n entries) receives each row's cluster 0..k-1. Clusters are
 * numbered by decreasing size, ties by their first row, so the numbering
 * does not depend on the seeding. Cost O(n k d) per iteration.
 * Errors: ERR_INVALID (k < 1 or k > n, d == 0, NaN), ERR_INTERNAL (memory).
 */
int kmeans_fit(struct kmeans_result *out, int *labels, const double *x, size_t n, size_t d,
               const struct kmeans_options *o, struct err *e);

void kmeans_result_release(struct kmeans_result *r);

#endif
