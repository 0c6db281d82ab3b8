/*
 * Monthly KPI series (seed 002/004, DOMAIN.md "KPIs"): revenue, active, new
 * and lost customers, the customer base at the start and end of each month,
 * transactions and repeat buyers, accumulated one customer at a time from
 * its dated rows, so a million customers cost one pass and no SQL. Pure.
 */
#ifndef ANALYTICS_KPI_H
#define ANALYTICS_KPI_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* One kept order of a customer (the snapshot's semantics): txn marks a
 * transaction (a sale, not cancelled, amount > 0); other rows are refunds
 * whose negative amount lowers the revenue. */
struct kpi_row {
    int32_t day;
    int64_t amount;
    int txn;
};

/*
 * One calendar month [first_day, last_day] (the last month ends at as_of).
 * A customer is in the *base* on day d when it has a transaction on or before
 * d and d - (its last transaction on or before d) < lost_after days; it is
 * *lost* on the day L + lost_after that follows its transaction L with no
 * transaction in between, and *returns* when it buys again after that.
 */
struct kpi_month {
    int32_t first_day, last_day;
    int64_t revenue;          /* net: every row dated in the month */
    int64_t sales;            /* transaction amounts only */
    uint64_t transactions;    /* in the month */
    uint64_t active;          /* customers with a transaction in the month */
    uint64_t new_customers;   /* first transaction ever in the month */
    uint64_t returning;       /* bought again in the month after being lost */
    uint64_t lost;            /* lost on a day of the month */
    uint64_t at_start;        /* in the base on the day before first_day */
    uint64_t at_end;          /* in the base on last_day */
    uint64_t repeat_active;   /* active, with 2+ transactions to the month's end */
    uint64_t retained_active; /* active in this month and in the previous one */
    uint64_t prev_active;     /* active in the previous month */
};

/* Invariant: at_end = at_start + new_customers + returning - lost. */
struct kpi_series {
    int32_t as_of;
    int lost_after; /* days */
    int nmonths;
    struct kpi_month *m; /* nmonths, oldest first; the last holds as_of */
};

/*
 * The nmonths (1..1200) calendar months ending with the one that holds
 * as_of, all counts zero. lost_after >= 1. Caller releases with
 * kpi_series_release. Errors: ERR_INVALID, ERR_INTERNAL (memory).
 */
int kpi_series_init(struct kpi_series *s, int32_t as_of, int nmonths, int lost_after,
                    struct err *e);
void kpi_series_release(struct kpi_series *s);

/* Adds one customer's n rows, sorted by day; rows after as_of are ignored.
 * O(n + nmonths). */
void kpi_add_customer(struct kpi_series *s, const struct kpi_row *rows, size_t n);

/* Month index y * 12 + m - 1 of a day, and the first day of such an index. */
int kpi_month_of(int32_t day);
int32_t kpi_month_start(int month);

#endif
