/* Geographic aggregates (see geo.h): sort by key, one sweep. */
#include "analytics/geo.h"

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
