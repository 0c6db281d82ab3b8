/*
 * Recommendations (see recommend.h): the purchase matrix is read from the
 * order lines once and cached until a new line appears (MAX(id) moves);
 * the scoring itself is analytics/cofilter.c. Refused offers come from the
 * customer's interactions.
 */
#include "app/recommend.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analytics/cofilter.h"
#include "app/customers.h"
#include "store/store.h"

struct id_pair {
    int64_t user, item;
};

static struct {
    pthread_mutex_t lock;
    const struct app *app;
    int64_t max_line; /* the key: highest order line id when built */
    int built;
    struct cof_model m;
    int64_t *users, *items; /* dense index -> database id, ascending */
} cache = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, {0}, NULL, NULL};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Index of id in the sorted ids[n], or -1. */
static long find(const int64_t *ids, size_t n, int64_t id)
{
    const int64_t *p = bsearch(&id, ids, n, sizeof(*ids), cmp_i64);
    return p ? (long)(p - ids) : -1;
}

/* Sorted unique copy of the user or item column. */
static int64_t *unique(const struct id_pair *p, size_t n, int item, size_t *nout)
{
    int64_t *v = malloc((n ? n : 1) * sizeof(*v));
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = item ? p[i].item : p[i].user;
    qsort(v, n, sizeof(*v), cmp_i64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || v[i] != v[u - 1])
            v[u++] = v[i];
    *nout = u;
    return v;
}

/* (Re)builds the cached model when lines were added; caller holds the lock. */
static int refresh(struct ctx *c)
{
    int64_t max_line;
    int rc =
        store_int(c->st, &max_line, &c->err, "SELECT COALESCE(MAX(id), 0) FROM order_lines", "");
    if (rc)
        return rc;
    if (cache.built && cache.app == c->app && cache.max_line == max_line)
        return 0;
    struct id_pair *p = NULL;
    struct cof_pair *dense = NULL;
    size_t n = 0, cap = 0, nu = 0, ni = 0;
    int64_t *users = NULL, *items = NULL;
    struct stmt *st;
    rc = store_query(c->st, &st, &c->err,
                     "SELECT ol.customer_id, ol.product_id FROM order_lines ol JOIN orders o ON "
                     "o.id = ol.order_id WHERE ol.product_id IS NOT NULL AND o.kind = 'sale' AND "
                     "o.status NOT IN ('cancelled', 'refunded')",
                     "");
    while (rc >= 0 && (rc = stmt_step(st, &c->err)) == 1) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            struct id_pair *q = realloc(p, ncap * sizeof(*q));
            if (!q) {
                rc = fail(c, ERR_INTERNAL, "", "out of memory");
                break;
            }
            p = q;
            cap = ncap;
        }
        p[n++] = (struct id_pair){stmt_int(st, 0), stmt_int(st, 1)};
    }
    if (rc >= 0)
        stmt_done(st);
    if (rc < 0)
        goto out;
    rc = 0;
    users = unique(p, n, 0, &nu);
    items = unique(p, n, 1, &ni);
    dense = malloc((n ? n : 1) * sizeof(*dense));
    if (!users || !items || !dense) {
        rc = fail(c, ERR_INTERNAL, "", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        dense[i] = (struct cof_pair){(uint32_t)find(users, nu, p[i].user),
                                     (uint32_t)find(items, ni, p[i].item)};
    struct cof_model m;
    rc = cofilter_build(&m, dense, n, nu, ni, &c->err);
    if (rc)
        goto out;
    cofilter_release(&cache.m);
    free(cache.users);
    free(cache.items);
    cache.m = m;
    cache.users = users;
    cache.items = items;
    users = items = NULL;
    cache.app = c->app;
    cache.max_line = max_line;
    cache.built = 1;
out:
    free(p);
    free(dense);
    free(users);
    free(items);
    return rc;
}

/* The product's row as JSON, or NULL when it is gone. */
static int product_row(struct ctx *c, int64_t id, json_t **out)
{
    struct stmt *st;
    *out = NULL;
    int rc = store_query(c->st, &st, &c->err,
                         "SELECT id, sku, name, category, price_minor, currency FROM products "
                         "WHERE id = ?",
                         "i", id);
    if (!rc && (rc = stmt_step(st, &c->err)) == 1) {
        json_t *o = json_object();
        static const char *const names[] = {"id",       "sku",         "name",
                                            "category", "price_minor", "currency"};
        for (int i = 0; i < 6; i++)
            json_object_set_new(o, names[i],
                                stmt_isnull(st, i)   ? json_null()
                                : (i == 0 || i == 4) ? json_integer(stmt_int(st, i))
                                                     : json_string(stmt_text(st, i)));
        *out = o;
    }
    if (rc >= 0)
        stmt_done(st);
    return rc < 0 ? rc : 0;
}

static int refused_match(const json_t *refused, const json_t *prod)
{
    size_t i;
    json_t *v;
    json_array_foreach(refused, i, v)
    {
        const char *offer = json_string_value(v);
        for (const char *k = "sku\0name\0category\0"; *k; k += strlen(k) + 1) {
            const char *f = json_string_value(json_object_get(prod, k));
            if (f && offer && !strcasecmp(f, offer))
                return 1;
        }
    }
    return 0;
}

int recommend_for_customer(struct ctx *c, int64_t customer_id, int n, json_t **out)
{
    if (n < 1 || n > RECOMMEND_MAX)
        return fail(c, ERR_BADREQ, "limit", "between 1 and %d", RECOMMEND_MAX);
    int rc = customer_exists(c, customer_id);
    if (rc)
        return rc;
    json_t *refused = json_array(), *list = NULL;
    struct stmt *st;
    rc = store_query(c->st, &st, &c->err,
                     "SELECT DISTINCT offer FROM interactions WHERE customer_id = ? AND outcome "
                     "= 'offer_refused' AND offer IS NOT NULL",
                     "i", customer_id);
    while (rc >= 0 && (rc = stmt_step(st, &c->err)) == 1)
        json_array_append_new(refused, json_string(stmt_text(st, 0)));
    if (rc >= 0)
        stmt_done(st);
    if (rc < 0) {
        json_decref(refused);
        return rc;
    }
    struct cof_score *sc = NULL;
    uint32_t *owned = NULL;
    pthread_mutex_lock(&cache.lock);
    rc = refresh(c);
    if (rc)
        goto out;
    size_t ni = cache.m.nitems, got = 0, nown = 0;
    sc = malloc((ni ? ni : 1) * sizeof(*sc));
    long u = find(cache.users, cache.m.nusers, customer_id);
    if (!sc) {
        rc = fail(c, ERR_INTERNAL, "", "out of memory");
        goto out;
    }
    const char *basis = "also bought";
    if (u >= 0) {
        owned = &cache.m.u_items[cache.m.u_start[u]];
        nown = cache.m.u_start[u + 1] - cache.m.u_start[u];
        rc = cofilter_recommend(&cache.m, owned, nown, NULL, ni, sc, &got, &c->err);
    }
    if (!rc && !got) {
        basis = "best sellers";
        rc = cofilter_popular(&cache.m, NULL, ni, sc, &got, &c->err);
        /* best sellers the customer owns are left out below */
    }
    if (rc)
        goto out;
    list = json_array();
    for (size_t k = 0; k < got && json_array_size(list) < (size_t)n; k++) {
        int64_t pid = cache.items[sc[k].item];
        int is_owned = 0;
        for (size_t j = 0; j < nown; j++)
            is_owned |= owned[j] == sc[k].item;
        json_t *prod;
        if (is_owned)
            continue;
        rc = product_row(c, pid, &prod);
        if (rc)
            goto out;
        if (!prod || refused_match(refused, prod)) {
            json_decref(prod);
            continue;
        }
        json_object_set_new(prod, "score", json_real(sc[k].score));
        json_array_append_new(list, prod);
    }
    *out = json_pack("{s:I,s:s,s:O,s:o}", "customer_id", (json_int_t)customer_id, "basis", basis,
                     "refused_offers", refused, "products", list);
    list = NULL;
out:
    pthread_mutex_unlock(&cache.lock);
    free(sc);
    json_decref(list);
    json_decref(refused);
    return rc;
}

int recommend_also_bought(struct ctx *c, int64_t product_id, int n, json_t **out)
{
    if (n < 1 || n > RECOMMEND_MAX)
        return fail(c, ERR_BADREQ, "limit", "between 1 and %d", RECOMMEND_MAX);
    json_t *self = NULL, *list = NULL;
    int rc = product_row(c, product_id, &self);
    if (rc)
        return rc;
    if (!self)
        return fail(c, ERR_NOTFOUND, "", "no product %lld", (long long)product_id);
    json_decref(self);
    struct cof_score sc[RECOMMEND_MAX];
    size_t got = 0;
    int64_t nbuyers = 0;
    pthread_mutex_lock(&cache.lock);
    rc = refresh(c);
    long it = rc ? -1 : find(cache.items, cache.m.nitems, product_id);
    if (!rc && it >= 0) {
        nbuyers = cache.m.i_start[it + 1] - cache.m.i_start[it];
        rc = cofilter_similar(&cache.m, (uint32_t)it, (size_t)n, sc, &got, &c->err);
    }
    list = json_array();
    for (size_t k = 0; !rc && k < got; k++) {
        json_t *prod;
        rc = product_row(c, cache.items[sc[k].item], &prod);
        if (rc || !prod)
            continue;
        json_object_set_new(prod, "similarity", json_real(sc[k].score));
        json_object_set_new(prod, "common_buyers", json_integer(sc[k].common));
        json_array_append_new(list, prod);
    }
    pthread_mutex_unlock(&cache.lock);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:I,s:I,s:s,s:o}", "product_id", (json_int_t)product_id, "buyers",
                     (json_int_t)nbuyers, "method", "cosine similarity of the buyer sets",
                     "products", list);
    return 0;
}
