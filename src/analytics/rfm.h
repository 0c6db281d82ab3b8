/*
 * RFM scoring, pure: the seed's points grid (seed 002, DOMAIN.md "RFM
 * scoring") and the industry's quintile scores with named segments.
 * Arrays in, results out; no I/O, no globals. All outputs are caller-owned.
 */
#ifndef ANALYTICS_RFM_H
#define ANALYTICS_RFM_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* ------------------------------------------------------------------------ */
/* Input                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * One order line as the store hands it over, in any order (the functions
 * below never assume the array is sorted). `customer` is a dense index
 * 0..ncustomers-1 chosen by the caller (not a database id). `day` is days
 * since 1970-01-01 (util/timeu.h). `amount` is in minor units (cents).
 *
 * A row is a *refund* when `refund` is non-zero or `amount` is negative; a
 * refund reduces the net amount by |amount| and is never a transaction.
 * Any other row with amount > 0 is a *transaction*; amount == 0 rows are
 * ignored (DOMAIN.md: "a transaction is an order that is not cancelled, with
 * a positive amount"). Cancelled orders must not be passed at all.
 */
struct rfm_txn {
    uint32_t customer;
    int32_t day;
    int64_t amount;
    int refund;
};

/* ------------------------------------------------------------------------ */
/* The seed's grid                                                           */
/* ------------------------------------------------------------------------ */

#define RFM_MAX_BANDS 8

enum rfm_r_mode {
    RFM_R_SUM = 0, /* R = sum of the points of every transaction (seed example) */
    RFM_R_LAST = 1 /* R = points of the most recent transaction only */
};

/*
 * The grid is configuration (STYLE.md "tables over code"). The age m of a
 * purchase on day d, seen from reference day D, is months_between(d, D)
 * (util/timeu.h: the largest m with add_months(d, m) <= D, end-of-month
 * clamp). A purchase earns band_points[i] for the first i with
 * m < band_months[i]; 0 if m is past the last band but inside the window.
 * Invariants (rfm_grid_check): 1 <= nbands <= RFM_MAX_BANDS, band_months
 * strictly ascending and > 0, window_months > 0, minor_per_major > 0, caps
 * and rates >= 0.
 */
struct rfm_grid {
    int nbands;
    int band_months[RFM_MAX_BANDS];    /* exclusive upper bounds: 3, 6, 12, 24 */
    double band_points[RFM_MAX_BANDS]; /* 20, 5, 3, 1 */
    int window_months;                 /* purchases with m < window count: 24 */
    enum rfm_r_mode r_mode;            /* RFM_R_SUM */
    double f_per_txn;                  /* 4 points per transaction ... */
    double f_cap;                      /* ... capped at 20 */
    double m_rate;                     /* 0.10 point per major unit ... */
    double m_cap;                      /* ... capped at 20 */
    double w_r, w_f, w_m;              /* score = 5R + 3F + 2M */
    int64_t minor_per_major;           /* 100 cents in a euro */
};

/* Fills g with the seed's grid (the values in the comments above). */
void rfm_grid_default(struct rfm_grid *g);

/* 0 when g satisfies the invariants above, else ERR_INVALID with the field. */
int rfm_grid_check(const struct rfm_grid *g, struct err *e);

/*
 * Per-customer result of the grid. r, f, m are not rounded. `net` is the
 * net amount in the window (minor units: transactions minus refunds);
 * `transactions` the count in the window; `last_day` the day of the latest
 * transaction in the window, INT32_MIN when there is none.
 */
struct rfm_grid_score {
    double r, f, m, score;
    uint32_t transactions;
    int32_t last_day;
    int64_t net;
};

/*
 * The seed's grid (DOMAIN.md, exactly):
 *   R = sum over window transactions of the band points (or the last one's),
 *   F = min(f_cap, f_per_txn * n),
 *   M = min(m_cap, m_rate * net / minor_per_major)   -- not floored at 0, as
 *       written; a net refund in the window gives a negative M,
 *   score = w_r R + w_f F + w_m M.
 * Rows dated after ref_day are ignored (--as-of). One pass over tx, O(ntx +
 * ncustomers): the band of a day is found by comparing it with the band
 * cut-off days, which are computed once with months_between().
 *
 * out: caller-owned array of ncustomers, fully overwritten.
 * Errors: ERR_INVALID for a bad grid or a customer index >= ncustomers.
 */
int rfm_grid_score(struct rfm_grid_score *out, size_t ncustomers, const struct rfm_txn *tx,
                   size_t ntx, int32_t ref_day, const struct rfm_grid *g, struct err *e);

/* ------------------------------------------------------------------------ */
/* Quintile RFM and named segments                                           */
/* ------------------------------------------------------------------------ */

/* Per-customer aggregate: what the quintile scores need. The store may fill
 * it straight from SQL (MAX(day), COUNT(*), SUM(amount)) or with
 * rfm_aggregate(). count == 0 means "no transaction": not scored. */
struct rfm_agg {
    int32_t last_day; /* latest transaction day; ignored when count == 0 */
    uint32_t count;   /* number of transactions */
    int64_t net;      /* transactions minus refunds, minor units */
};

/*
 * Aggregates the rows of tx dated from_day <= day <= ref_day (pass INT32_MIN
 * for "since the beginning") into out[ncustomers] (caller-owned, fully
 * overwritten). Same row semantics as struct rfm_txn. O(ntx + ncustomers).
 * Errors: ERR_INVALID for a customer index >= ncustomers.
 */
int rfm_aggregate(struct rfm_agg *out, size_t ncustomers, const struct rfm_txn *tx, size_t ntx,
                  int32_t from_day, int32_t ref_day, struct err *e);

/*
 * A named segment: matches when r_min <= R <= r_max and fm_min <= FM <=
 * fm_max, where FM is the average of F and M compared on whole points,
 * FM = floor((F + M) / 2). Comparing whole points is what makes the seed
 * table cover every (R, FM) pair: with the raw average, R = 5 and FM = 1.5
 * would match no rule. `name` is a stable machine name, `label` the English
 * display text.
 */
struct rfm_segment_rule {
    const char *name;
    const char *label;
    uint8_t r_min, r_max;
    uint8_t fm_min, fm_max;
};

/*
 * The default table (DOMAIN.md order, first match wins): champions, loyal,
 * potential_loyalists, new, promising, need_attention, about_to_sleep,
 * at_risk, cant_lose_them, hibernating, lost. As DOMAIN.md orders it,
 * cant_lose_them (R = 1, FM >= 4) is always shadowed by at_risk (R <= 2,
 * FM >= 3); it is kept so the indices are the documented ones, and a caller
 * that wants it reachable passes its own table. Returns static constant
 * data; *n receives the number of rules.
 */
const struct rfm_segment_rule *rfm_segments_default(size_t *n);

/* Index of the first rule of rules[n] that matches (r, fm), or -1. */
int rfm_segment_of(const struct rfm_segment_rule *rules, size_t n, int r, int fm);

/* Quintile scores of one customer; all zero and segment -1 when not scored. */
struct rfm_quintile {
    uint8_t r, f, m; /* 1..5, 5 is best */
    uint8_t fm;      /* floor((f + m) / 2), what segments compare */
    double fm_avg;   /* (f + m) / 2, for display */
    int segment;     /* index into the rules, -1 when no rule matched */
};

/*
 * Quintile RFM (DOMAIN.md): among the N customers with count > 0, each of
 * recency (days since last_day, lower is better), frequency (count) and
 * monetary (net) gets q = 1 + floor(5 * w / N), w = the number of customers
 * strictly worse. Ties get the same score whatever the input order; this is
 * what SQL's RANK() gives, as (RANK() - 1) counts the strictly better ones
 * in the reversed order. One radix sort per dimension and a sweep: linear
 * time, within the O(N log N) budget.
 *
 * out: caller-owned array of n, fully overwritten. rules may be NULL (no
 * segments: segment = -1). Errors: ERR_INTERNAL when out of memory.
 */
int rfm_quintiles(struct rfm_quintile *out, const struct rfm_agg *agg, size_t n,
                  const struct rfm_segment_rule *rules, size_t nrules, struct err *e);

#endif
