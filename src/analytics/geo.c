/* Geographic aggregates (see geo.h): sort by key, one sweep. */
#include "analytics/geo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_key(const void *a, const void *b)
{
    const char *x = ((const struct geo_row *)a)->key, *y = ((const struct geo_row *)b)->key;
    if (!x || !y)
        return (x == NULL) - (y == NULL);
    return strcmp(x, y);
}

static int cmp_area(const void *a, const void *b)
{
    const struct geo_area *x = a, *y = b;
    if (!x->key || !y->key)
        return (x->key == NULL) - (y->key == NULL);
    if (x->revenue != y->revenue)
        return x->revenue > y->revenue ? -1 : 1;
    return strcmp(x->key, y->key);
}

int geo_group(struct geo_area **out, size_t *nout, struct geo_row *rows, size_t n, struct err *e)
{
    *out = NULL;
    *nout = 0;
    if (n)
        qsort(rows, n, sizeof(*rows), cmp_key);
    size_t areas = 0;
    for (size_t i = 0; i < n; i++)
        areas += i == 0 || cmp_key(&rows[i - 1], &rows[i]) != 0;
    struct geo_area *a = calloc(areas ? areas : 1, sizeof(*a));
    if (!a)
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && cmp_key(&rows[i - 1], &rows[i]) != 0)
            k++;
        a[k].key = rows[i].key;
        a[k].customers++;
        a[k].buyers += (rows[i].flags & GEO_BUYER) != 0;
        a[k].active += (rows[i].flags & GEO_ACTIVE) != 0;
        a[k].revenue += rows[i].revenue;
    }
    qsort(a, areas, sizeof(*a), cmp_area);
    *out = a;
    *nout = areas;
    return 0;
}

const char *geo_postal_area(const char *country, const char *postal_code, char *buf, size_t len)
{
    if (!postal_code || !*postal_code)
        return NULL;
    char two[3] = {postal_code[0], postal_code[1] ? postal_code[1] : 0, 0};
    snprintf(buf, len, "%s-%s", country && *country ? country : "??", two);
    return buf;
}

/* ------------------------------------------------------------ distances */

#define DEG (3.14159265358979323846 / 180.0)

double geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    double p1 = lat1 * DEG, p2 = lat2 * DEG;
    double dp = (lat2 - lat1) * DEG, dl = (lon2 - lon1) * DEG;
    double a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
    if (a > 1)
        a = 1;
    return 2 * GEO_EARTH_KM * asin(sqrt(a));
}

struct geo_point {
    double lat, lon;
    long idx;
};

struct geo_index {
    size_t n;
    struct geo_point *p; /* by latitude, then index */
};

static int cmp_point(const void *a, const void *b)
{
    const struct geo_point *x = a, *y = b;
    if (x->lat != y->lat)
        return x->lat < y->lat ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

int geo_index_build(struct geo_index **out, const double *lat, const double *lon, size_t n,
                    struct err *e)
{
    *out = NULL;
    struct geo_index *ix = calloc(1, sizeof(*ix));
    if (!ix || !(ix->p = calloc(n ? n : 1, sizeof(*ix->p)))) {
        free(ix);
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (!isnan(lat[i]) && !isnan(lon[i]))
            ix->p[ix->n++] = (struct geo_point){lat[i], lon[i], (long)i};
    if (ix->n)
        qsort(ix->p, ix->n, sizeof(*ix->p), cmp_point);
    *out = ix;
    return 0;
}

void geo_index_free(struct geo_index *ix)
{
    if (!ix)
        return;
    free(ix->p);
    free(ix);
}

/* Visits p against the best so far. */
static void consider(const struct geo_point *p, double lat, double lon, long *best, double *bkm)
{
    double d = geo_distance_km(lat, lon, p->lat, p->lon);
    if (*best < 0 || d < *bkm || (d == *bkm && p->idx < *best)) {
        *best = p->idx;
        *bkm = d;
    }
}

long geo_nearest(const struct geo_index *ix, double lat, double lon, double *km)
{
    if (!ix || !ix->n || isnan(lat) || isnan(lon))
        return -1;
    size_t lo = 0, hi = ix->n; /* first point with latitude >= lat */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->p[mid].lat < lat)
            lo = mid + 1;
        else
            hi = mid;
    }
    long best = -1;
    double bkm = 0;
    size_t up = lo, down = lo; /* next to visit: p[up], p[down - 1] */
    for (;;) {
        double gap_up = up < ix->n ? (ix->p[up].lat - lat) * DEG * GEO_EARTH_KM : INFINITY;
        double gap_down = down > 0 ? (lat - ix->p[down - 1].lat) * DEG * GEO_EARTH_KM : INFINITY;
        double gap = gap_up < gap_down ? gap_up : gap_down;
        if (gap == INFINITY || (best >= 0 && gap > bkm))
            break;
        if (gap_up <= gap_down)
            consider(&ix->p[up++], lat, lon, &best, &bkm);
        else
            consider(&ix->p[--down], lat, lon, &best, &bkm);
    }
    if (km)
        *km = bkm;
    return best;
}

int geo_in_ring(const double *xy, size_t n, double x, double y)
{
    int in = 0;
    for (size_t i = 0, j = n ? n - 1 : 0; i < n; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            in = !in;
    }
    return in;
}

/* ------------------------------------------------------------- tallies */

void geo_tally_add(struct geo_tally *t, size_t nareas, const struct geo_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct geo_item *it = &items[i];
        if (it->area >= nareas)
            continue;
        struct geo_tally *a = &t[it->area];
        a->customers++;
        a->buyers += it->txns > 0;
        a->txns += it->txns;
        a->revenue += it->revenue;
        a->targeted += it->targeted;
        a->responded += it->responded;
        if (!isnan(it->km)) {
            a->located++;
            a->km_sum += it->km;
        }
    }
}

double geo_tally_basket(const struct geo_tally *t)
{
    return t->txns ? (double)t->revenue / (double)t->txns : NAN;
}

double geo_tally_response(const struct geo_tally *t)
{
    return t->targeted ? (double)t->responded / (double)t->targeted : NAN;
}

double geo_tally_km(const struct geo_tally *t)
{
    return t->located ? t->km_sum / (double)t->located : NAN;
}
