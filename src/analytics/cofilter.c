/* Item-to-item collaborative filtering by cosine similarity (see cofilter.h). */
#include "analytics/cofilter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_ui(const void *a, const void *b)
{
    const struct cof_pair *x = a, *y = b;
    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

static int cmp_score(const void *a, const void *b)
{
    const struct cof_score *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->common != y->common)
        return x->common > y->common ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

void cofilter_release(struct cof_model *m)
{
    if (!m)
        return;
    free(m->u_start);
    free(m->u_items);
    free(m->i_start);
    free(m->i_users);
    memset(m, 0, sizeof(*m));
}

int cofilter_build(struct cof_model *m, struct cof_pair *pairs, size_t n, size_t nusers,
                   size_t nitems, struct err *e)
{
    memset(m, 0, sizeof(*m));
    for (size_t i = 0; i < n; i++)
        if (pairs[i].user >= nusers || pairs[i].item >= nitems)
            return err_set(e, ERR_INVALID, "pairs", "index out of range in pair %zu", i);
    qsort(pairs, n, sizeof(*pairs), cmp_ui);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || cmp_ui(&pairs[i - 1], &pairs[i]))
            pairs[u++] = pairs[i];
    m->nusers = nusers;
    m->nitems = nitems;
    m->npairs = u;
    m->u_start = calloc(nusers + 1, sizeof(uint32_t));
    m->i_start = calloc(nitems + 1, sizeof(uint32_t));
    m->u_items = malloc((u ? u : 1) * sizeof(uint32_t));
    m->i_users = malloc((u ? u : 1) * sizeof(uint32_t));
    if (!m->u_start || !m->i_start || !m->u_items || !m->i_users) {
        cofilter_release(m);
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    }
    for (size_t i = 0; i < u; i++) {
        m->u_start[pairs[i].user + 1]++;
        m->i_start[pairs[i].item + 1]++;
        m->u_items[i] = pairs[i].item; /* sorted by user, then item */
    }
    for (size_t i = 0; i < nusers; i++)
        m->u_start[i + 1] += m->u_start[i];
    for (size_t i = 0; i < nitems; i++)
        m->i_start[i + 1] += m->i_start[i];
    uint32_t *fill = malloc((nitems ? nitems : 1) * sizeof(uint32_t));
    if (!fill) {
        cofilter_release(m);
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    }
    memcpy(fill, m->i_start, nitems * sizeof(uint32_t));
    for (size_t i = 0; i < u; i++) /* users ascending within each item */
        m->i_users[fill[pairs[i].item]++] = pairs[i].user;
    free(fill);
    return 0;
}

static uint32_t buyers(const struct cof_model *m, uint32_t item)
{
    return m->i_start[item + 1] - m->i_start[item];
}

/* co[j] += buyers of item who bought j, touched lists the items seen. */
static void cooccur(const struct cof_model *m, uint32_t item, uint32_t *co, uint32_t *touched,
                    size_t *ntouched)
{
    for (uint32_t a = m->i_start[item]; a < m->i_start[item + 1]; a++) {
        uint32_t user = m->i_users[a];
        for (uint32_t b = m->u_start[user]; b < m->u_start[user + 1]; b++) {
            uint32_t j = m->u_items[b];
            if (j == item)
                continue;
            if (!co[j]++)
                touched[(*ntouched)++] = j;
        }
    }
}

static void top(struct cof_score *cand, size_t ncand, size_t k, struct cof_score *out, size_t *nout)
{
    qsort(cand, ncand, sizeof(*cand), cmp_score);
    *nout = ncand < k ? ncand : k;
    memcpy(out, cand, *nout * sizeof(*out));
}

int cofilter_similar(const struct cof_model *m, uint32_t item, size_t k, struct cof_score *out,
                     size_t *nout, struct err *e)
{
    *nout = 0;
    if (item >= m->nitems)
        return err_set(e, ERR_INVALID, "item", "out of range");
    size_t nt = 0, ni = m->nitems ? m->nitems : 1;
    uint32_t *co = calloc(ni, sizeof(*co)), *touched = malloc(ni * sizeof(*touched));
    struct cof_score *cand = malloc(ni * sizeof(*cand));
    if (!co || !touched || !cand) {
        free(co);
        free(touched);
        free(cand);
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    }
    cooccur(m, item, co, touched, &nt);
    double bi = buyers(m, item);
    for (size_t t = 0; t < nt; t++) {
        uint32_t j = touched[t];
        cand[t] = (struct cof_score){j, co[j] / sqrt(bi * buyers(m, j)), co[j]};
    }
    top(cand, nt, k, out, nout);
    free(co);
    free(touched);
    free(cand);
    return 0;
}

int cofilter_recommend(const struct cof_model *m, const uint32_t *owned, size_t nowned,
                       const uint8_t *excluded, size_t k, struct cof_score *out, size_t *nout,
                       struct err *e)
{
    *nout = 0;
    size_t ni = m->nitems ? m->nitems : 1, nt = 0;
    uint32_t *co = calloc(ni, sizeof(*co)), *touched = malloc(ni * sizeof(*touched));
    uint32_t *seen = calloc(ni, sizeof(*seen)), *all = malloc(ni * sizeof(*all));
    double *score = calloc(ni, sizeof(*score));
    uint8_t *own = calloc(ni, 1);
    struct cof_score *cand = malloc(ni * sizeof(*cand));
    size_t nall = 0;
    int rc = 0;
    if (!co || !touched || !seen || !all || !score || !own || !cand) {
        rc = err_set(e, ERR_INTERNAL, "", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nowned; i++) {
        if (owned[i] >= m->nitems) {
            rc = err_set(e, ERR_INVALID, "owned", "item out of range");
            goto out;
        }
        own[owned[i]] = 1;
    }
    for (size_t i = 0; i < nowned; i++) {
        uint32_t item = owned[i];
        if (i > 0 && own[item] == 2)
            continue; /* listed twice */
        own[item] = 2;
        nt = 0;
        cooccur(m, item, co, touched, &nt);
        double bi = buyers(m, item);
        for (size_t t = 0; t < nt; t++) {
            uint32_t j = touched[t];
            score[j] += co[j] / sqrt(bi * buyers(m, j));
            if (!seen[j]++)
                all[nall++] = j;
            co[j] = 0;
        }
    }
    size_t nc = 0;
    for (size_t t = 0; t < nall; t++) {
        uint32_t j = all[t];
        if (own[j] || (excluded && excluded[j]))
            continue;
        cand[nc++] = (struct cof_score){j, score[j], seen[j]};
    }
    top(cand, nc, k, out, nout);
out:
    free(co);
    free(touched);
    free(seen);
    free(all);
    free(score);
    free(own);
    free(cand);
    return rc;
}

int cofilter_popular(const struct cof_model *m, const uint8_t *excluded, size_t k,
                     struct cof_score *out, size_t *nout, struct err *e)
{
    *nout = 0;
    struct cof_score *cand = malloc((m->nitems ? m->nitems : 1) * sizeof(*cand));
    if (!cand)
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    size_t nc = 0;
    for (uint32_t j = 0; j < m->nitems; j++)
        if (buyers(m, j) && !(excluded && excluded[j]))
            cand[nc++] = (struct cof_score){j, buyers(m, j), buyers(m, j)};
    top(cand, nc, k, out, nout);
    free(cand);
    return 0;
}
