/*
 * Item-to-item collaborative filtering ("customers who bought this also
 * bought", Linden, Smith & York 2003): the customer x product purchase
 * matrix (binary) in both orientations, cosine similarity between products'
 * buyer sets, and per-customer scores summing the similarities to the
 * products the customer owns. Pure: dense indices in, scores out.
 */
#ifndef ANALYTICS_COFILTER_H
#define ANALYTICS_COFILTER_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct cof_pair {
    uint32_t user, item;
};

/* CSR in both directions, duplicates removed; lists sorted ascending. */
struct cof_model {
    size_t nusers, nitems, npairs;
    uint32_t *u_start; /* nusers + 1 */
    uint32_t *u_items; /* npairs */
    uint32_t *i_start; /* nitems + 1 */
    uint32_t *i_users; /* npairs */
};

struct cof_score {
    uint32_t item;
    double score;    /* cosine (similar) or summed cosine (recommend); buyers (popular) */
    uint32_t common; /* buyers in common with the item (similar) / owned items that
                        led to it (recommend) */
};

/* Builds the model from n pairs (user < nusers, item < nitems; any order,
 * duplicates allowed; pairs is reordered). Release with cofilter_release.
 * Errors: ERR_INVALID (index out of range), ERR_INTERNAL (memory). */
int cofilter_build(struct cof_model *m, struct cof_pair *pairs, size_t n, size_t nusers,
                   size_t nitems, struct err *e);
void cofilter_release(struct cof_model *m);

/*
 * The products most similar to item: cosine = common buyers /
 * sqrt(buyers(item) x buyers(other)), best first (ties: more common buyers,
 * then lower index), at most k into out (caller-owned, k entries); *nout
 * gets the count. Cost: the purchases of the item's buyers.
 */
int cofilter_similar(const struct cof_model *m, uint32_t item, size_t k, struct cof_score *out,
                     size_t *nout, struct err *e);

/*
 * Scores for a customer owning owned[nowned] items: score(j) = sum over the
 * owned items i of cosine(i, j), for j not owned and not excluded
 * (excluded: nitems flags, may be NULL); best first, at most k.
 */
int cofilter_recommend(const struct cof_model *m, const uint32_t *owned, size_t nowned,
                       const uint8_t *excluded, size_t k, struct cof_score *out, size_t *nout,
                       struct err *e);

/* The items with the most buyers, not excluded, at most k, best first. */
int cofilter_popular(const struct cof_model *m, const uint8_t *excluded, size_t k,
                     struct cof_score *out, size_t *nout, struct err *e);

#endif
