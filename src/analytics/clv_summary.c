/*
 * (x, t_x, T, zbar) summaries from order lines (see clv_summary.h): bucket
 * the lines by customer, sort each bucket by day, merge same-day lines.
 */
#include "analytics/clv_summary.h"

#include <stdlib.h>
#include <string.h>

struct line {
    int64_t amount;
    int32_t day;
};

static int cmp_line(const void *pa, const void *pb)
{
    const struct line *a = pa, *b = pb;
    return (a->day > b->day) - (a->day < b->day);
}

/* Most customers have a handful of lines: insertion sort beats qsort's call
 * overhead there; long histories go to qsort. */
static void sort_lines(struct line *l, size_t n)
{
    if (n > 32) {
        qsort(l, n, sizeof(*l), cmp_line);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        struct line v = l[i];
        size_t j = i;
        while (j > 0 && l[j - 1].day > v.day) {
            l[j] = l[j - 1];
            j--;
        }
        l[j] = v;
    }
}

static void summarise(struct clv_summary *o, const struct line *l, size_t n, int32_t cal_end,
                      double days_per_unit, int64_t minor_per_major)
{
    memset(o, 0, sizeof(*o));
    if (n == 0 || l[0].day > cal_end) {
        o->x = -1;
        return;
    }
    int32_t first = l[0].day, last = first;
    int64_t repeat_sum = 0;
    size_t i = 0;
    while (i < n && l[i].day == first) /* the first day, merged, is not a repeat */
        i++;
    while (i < n) {
        int32_t day = l[i].day;
        int64_t sum = 0;
        for (; i < n && l[i].day == day; i++)
            sum += l[i].amount;
        if (day <= cal_end) {
            o->x++;
            repeat_sum += sum;
            last = day;
        } else {
            o->x_holdout++;
        }
    }
    o->t_x = (last - first) / days_per_unit;
    o->T = (cal_end - first) / days_per_unit;
    if (o->x > 0)
        o->zbar = (double)repeat_sum / (double)o->x / (double)minor_per_major;
}

int clv_summary_build(struct clv_summary *out, size_t ncustomers, const struct rfm_txn *tx,
                      size_t ntx, int32_t cal_end, int32_t obs_end, double days_per_unit,
                      int64_t minor_per_major, struct err *e)
{
    if (!(days_per_unit > 0))
        return err_set(e, ERR_INVALID, "days_per_unit", "must be positive");
    if (minor_per_major <= 0)
        return err_set(e, ERR_INVALID, "minor_per_major", "must be positive");
    if (obs_end < cal_end)
        return err_set(e, ERR_INVALID, "obs_end", "observation ends before calibration");

    int rc = 0;
    size_t *start = calloc(ncustomers + 1, sizeof(*start));
    struct line *lines = NULL;
    if (!start) {
        rc = err_set(e, ERR_INTERNAL, "", "out of memory");
        goto out;
    }
    /* pass 1: count the kept lines per customer */
    size_t kept = 0;
    for (size_t i = 0; i < ntx; i++) {
        const struct rfm_txn *t = &tx[i];
        if (t->customer >= ncustomers) {
            rc = err_set(e, ERR_INVALID, "customer", "customer index %lu out of range",
                         (unsigned long)t->customer);
            goto out;
        }
        if (t->refund || t->amount < 0 || t->day > obs_end)
            continue;
        start[t->customer + 1]++;
        kept++;
    }
    for (size_t c = 0; c < ncustomers; c++)
        start[c + 1] += start[c];
    lines = malloc((kept ? kept : 1) * sizeof(*lines));
    if (!lines) {
        rc = err_set(e, ERR_INTERNAL, "", "out of memory for %lu lines", (unsigned long)kept);
        goto out;
    }
    /* pass 2: scatter into buckets; start[c] walks forward and ends at the
     * next bucket's start, so afterwards bucket c is [start[c-1], start[c]) */
    for (size_t i = 0; i < ntx; i++) {
        const struct rfm_txn *t = &tx[i];
        if (t->refund || t->amount < 0 || t->day > obs_end)
            continue;
        lines[start[t->customer]++] = (struct line){t->amount, t->day};
    }
    size_t lo = 0;
    for (size_t c = 0; c < ncustomers; c++) {
        size_t hi = start[c];
        sort_lines(lines + lo, hi - lo);
        summarise(&out[c], lines + lo, hi - lo, cal_end, days_per_unit, minor_per_major);
        lo = hi;
    }
out:
    free(start);
    free(lines);
    return rc;
}
