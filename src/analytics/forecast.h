/*
 * Sales forecast arithmetic (pure): won revenue plus the open pipeline
 * weighted by win probability, by expected close month, against objectives
 * (quotas). Months are numbered year * 12 + (month - 1).
 */
#ifndef ANALYTICS_FORECAST_H
#define ANALYTICS_FORECAST_H
#include <stddef.h>
#include <stdint.h>

/* One deal: an open deal counts in its expected close month, weighted by
 * prob (0..100); a won deal counts whole in the month it was won. Lost deals
 * are not passed. amount >= 0 in minor units. */
struct fc_deal {
    int32_t month;
    int64_t amount;
    int prob;
    int won;
};

/* A quota over [start_month, start_month + months). */
struct fc_objective {
    int32_t start_month;
    int months; /* 1, 3 or 12 */
    int64_t amount;
};

struct fc_month {
    int32_t month;
    int64_t won;      /* closed won in the month */
    int64_t pipeline; /* open amount expected to close in the month, unweighted */
    int64_t weighted; /* sum of amount * prob / 100, rounded half up once per month */
    int64_t objective;
    int won_deals, open_deals;
};

struct fc_total {
    int64_t won, pipeline, weighted, forecast, objective;
    int won_deals, open_deals;
    int has_objective; /* some month had an objective */
};

/* Month numbers for "YYYY-MM", "YYYY-Qn" or "YYYY": *first and *months (1,
 * 3 or 12). 0, or -1 when malformed. */
int forecast_period_parse(const char *s, int32_t *first, int *months);
/* "YYYY-MM" of a month number into buf (at least 8 bytes). */
char *forecast_month_format(int32_t month, char *buf, size_t len);

/* Fills out[0..nmonths) for months first.. and *tot. A month's objective is
 * the most specific objective covering it (a month's own, else its share of
 * a quarter's, else of a year's; shares split the amount exactly, the
 * remainder going to the first months). Deals outside the months are
 * ignored. Returns 0, or -1 when a sum would overflow int64. */
int forecast_compute(const struct fc_deal *deals, size_t ndeals, const struct fc_objective *objs,
                     size_t nobjs, int32_t first, int nmonths, struct fc_month *out,
                     struct fc_total *tot);

#endif
