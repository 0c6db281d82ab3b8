/*
 * Monthly KPI series, one customer at a time (see kpi.h): a walk over the
 * customer's rows for the flows (revenue, new, active, lost, returning) and
 * a walk over the month boundaries for the stocks (the base).
 */
#include "analytics/kpi.h"

#include <stdlib.h>

#include "util/timeu.h"

int kpi_month_of(int32_t day)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    return y * 12 + m - 1;
}

int32_t kpi_month_start(int month)
{
    int y = month / 12, m = month % 12;
    if (m < 0) {
        m += 12;
        y--;
    }
    return days_from_civil(y, m + 1, 1);
}

int kpi_series_init(struct kpi_series *s, int32_t as_of, int nmonths, int lost_after, struct err *e)
{
    s->m = NULL;
    s->nmonths = 0;
    if (nmonths < 1 || nmonths > 1200)
        return err_set(e, ERR_INVALID, "months", "between 1 and 1200");
    if (lost_after < 1)
        return err_set(e, ERR_INVALID, "lost_after", "at least one day");
    s->m = calloc((size_t)nmonths, sizeof(*s->m));
    if (!s->m)
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    s->as_of = as_of;
    s->lost_after = lost_after;
    s->nmonths = nmonths;
    int last = kpi_month_of(as_of);
    for (int k = 0; k < nmonths; k++) {
        int mi = last - (nmonths - 1 - k);
        s->m[k].first_day = kpi_month_start(mi);
        s->m[k].last_day = k == nmonths - 1 ? as_of : kpi_month_start(mi + 1) - 1;
    }
    return 0;
}

void kpi_series_release(struct kpi_series *s)
{
    if (!s)
        return;
    free(s->m);
    s->m = NULL;
    s->nmonths = 0;
}

/* The month slot of a day, or -1 outside the series: a binary search over
 * the month starts (no calendar arithmetic per row). */
static int slot_of(const struct kpi_series *s, int32_t day)
{
    if (day < s->m[0].first_day || day > s->as_of)
        return -1;
    int lo = 0, hi = s->nmonths - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (s->m[mid].first_day <= day)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

void kpi_add_customer(struct kpi_series *s, const struct kpi_row *rows, size_t n)
{
    int32_t prev_txn = INT32_MIN; /* the last transaction day seen so far */
    int last_active = -2;         /* slot of the last month counted active */
    for (size_t i = 0; i < n; i++) {
        const struct kpi_row *r = &rows[i];
        if (r->day > s->as_of)
            break;
        int k = slot_of(s, r->day);
        if (k >= 0)
            s->m[k].revenue += r->amount;
        if (!r->txn)
            continue;
        if (prev_txn == INT32_MIN) {
            if (k >= 0)
                s->m[k].new_customers++;
        } else if (r->day - prev_txn > s->lost_after) {
            /* lost on prev_txn + lost_after, back today */
            int kl = slot_of(s, prev_txn + s->lost_after);
            if (kl >= 0)
                s->m[kl].lost++;
            if (k >= 0)
                s->m[k].returning++;
        }
        prev_txn = r->day;
        if (k < 0)
            continue;
        s->m[k].transactions++;
        s->m[k].sales += r->amount;
        if (k != last_active) {
            s->m[k].active++;
            if (last_active == k - 1)
                s->m[k].retained_active++;
            last_active = k;
        }
    }
    if (prev_txn != INT32_MIN && (int64_t)prev_txn + s->lost_after <= s->as_of) {
        int kl = slot_of(s, prev_txn + s->lost_after);
        if (kl >= 0)
            s->m[kl].lost++;
    }
    /* stocks and per-month flags: walk the months with a pointer in rows */
    size_t j = 0;
    int32_t last = INT32_MIN; /* last transaction day before the boundary */
    uint64_t count = 0;
    int prev_active = 0;
    for (int k = 0; k < s->nmonths; k++) {
        struct kpi_month *m = &s->m[k];
        while (j < n && rows[j].day < m->first_day && rows[j].day <= s->as_of) {
            if (rows[j].txn) {
                last = rows[j].day;
                count++;
            }
            j++;
        }
        if (last != INT32_MIN && (m->first_day - 1) - last < s->lost_after)
            m->at_start++;
        int active = 0;
        while (j < n && rows[j].day <= m->last_day) {
            if (rows[j].txn) {
                last = rows[j].day;
                count++;
                active = 1;
            }
            j++;
        }
        if (last != INT32_MIN && m->last_day - last < s->lost_after)
            m->at_end++;
        if (active && count >= 2)
            m->repeat_active++;
        if (prev_active)
            m->prev_active++;
        prev_active = active;
    }
}
