/* Cohort retention matrix by first-purchase month (see cohort.h). */
#include "analytics/cohort.h"

#include <stdlib.h>

int cohort_init(struct cohort_table *t, int32_t as_of, int ncohorts, struct err *e)
{
    t->size = NULL;
    t->active = NULL;
    t->revenue = NULL;
    t->ncohorts = 0;
    if (ncohorts < 1 || ncohorts > 240)
        return err_set(e, ERR_INVALID, "months", "between 1 and 240");
    size_t cells = (size_t)ncohorts * (size_t)ncohorts;
    t->size = calloc((size_t)ncohorts, sizeof(*t->size));
    t->active = calloc(cells, sizeof(*t->active));
    t->revenue = calloc(cells, sizeof(*t->revenue));
    if (!t->size || !t->active || !t->revenue) {
        cohort_release(t);
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    }
    t->as_of = as_of;
    t->ncohorts = ncohorts;
    t->first_month = kpi_month_of(as_of) - (ncohorts - 1);
    return 0;
}

void cohort_release(struct cohort_table *t)
{
    if (!t)
        return;
    free(t->size);
    free(t->active);
    free(t->revenue);
    t->size = NULL;
    t->active = NULL;
    t->revenue = NULL;
    t->ncohorts = 0;
}

void cohort_add_customer(struct cohort_table *t, const struct kpi_row *rows, size_t n)
{
    int cohort = -1, last_counted = -1;
    for (size_t i = 0; i < n && rows[i].day <= t->as_of; i++) {
        const struct kpi_row *r = &rows[i];
        int mi = kpi_month_of(r->day);
        if (cohort < 0) {
            if (!r->txn)
                continue; /* a refund before any purchase belongs to no cohort */
            if (mi < t->first_month)
                return;
            cohort = mi - t->first_month;
            t->size[cohort]++;
        }
        int k = mi - t->first_month - cohort;
        size_t cell = (size_t)cohort * (size_t)t->ncohorts + (size_t)k;
        t->revenue[cell] += r->amount;
        if (r->txn && k != last_counted) {
            t->active[cell]++;
            last_counted = k;
        }
    }
}
