/*
 * Cohort retention by first-purchase month: for each cohort (customers whose
 * first transaction fell in a month) the number still buying k months later
 * and their revenue, accumulated one customer at a time. Pure.
 */
#ifndef ANALYTICS_COHORT_H
#define ANALYTICS_COHORT_H
#include <stddef.h>
#include <stdint.h>

#include "analytics/kpi.h"
#include "util/err.h"

/*
 * ncohorts calendar months ending with the one that holds as_of. Cohort c,
 * period k (0 <= k < ncohorts - c): active[c * ncohorts + k] customers of
 * cohort c with a transaction in month c + k, revenue[...] their net revenue
 * in it (every row, refunds included); size[c] = active[c * ncohorts + 0].
 * Customers whose first transaction is before the first month are left out.
 */
struct cohort_table {
    int32_t as_of;
    int ncohorts;
    int first_month; /* kpi_month_of of cohort 0 */
    uint64_t *size;
    uint64_t *active;
    int64_t *revenue;
};

/* Errors: ERR_INVALID (ncohorts outside 1..240), ERR_INTERNAL (memory).
 * Caller releases with cohort_release. */
int cohort_init(struct cohort_table *t, int32_t as_of, int ncohorts, struct err *e);
void cohort_release(struct cohort_table *t);
/* Adds one customer's rows, sorted by day (kpi.h's rows). O(n). */
void cohort_add_customer(struct cohort_table *t, const struct kpi_row *rows, size_t n);

#endif
