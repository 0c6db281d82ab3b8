/*
 * Analytics services: the pure models of src/analytics/ (seed RFM grid,
 * quintile RFM with segments, ABC, BG/NBD + Gamma-Gamma CLV, the loyalty x
 * profitability matrix) run over the
 * column snapshot (app/snapshot.h) as of a date, rendered as JSON for the
 * CLI (`relatio score`), the API (/api/v1/analytics/...) and the 360° view.
 * No SQL here: the snapshot is the only input besides the settings.
 */
#ifndef APP_ANALYTICS_H
#define APP_ANALYTICS_H
#include <jansson.h>
#include <stdint.h>

#include "analytics/abc.h"
#include "analytics/clv.h"
#include "analytics/rfm.h"
#include "app/app.h"
#include "app/snapshot.h"

#define ANALYTICS_MAX_SEGMENTS 16

/*
 * The configuration, from the settings table (analytics_config.c), each
 * key a JSON value laid over the defaults of DOMAIN.md:
 *   rfm_grid      {"bands": [[3,20],[6,5],[12,3],[24,1]], "window_months": 24,
 *                  "r_mode": "sum"|"last", "f_per_txn": 4, "f_cap": 20,
 *                  "m_rate": 0.1, "m_cap": 20, "weights": [5,3,2],
 *                  "minor_per_major": 100}
 *   rfm_segments  [{"name": "champions", "label": "Champions", "r": [4,5],
 *                   "fm": [4,5]}, …]  (first match wins)
 *   abc           {"mode": "customers"|"revenue", "a": 0.05, "b": 0.20}
 *   clv           {"months": 12, "monthly_discount": 0.01, "margin": 1}
 *   analytics_stale_seconds  how long a cached population or fit may serve
 *                 after orders changed (60)
 */
struct analytics_config {
    struct rfm_grid grid;
    struct rfm_segment_rule segments[ANALYTICS_MAX_SEGMENTS];
    size_t nsegments;
    char seg_text[ANALYTICS_MAX_SEGMENTS][2][64]; /* names and labels read from settings */
    struct abc_config abc;
    struct clv_options clv;
    int stale_seconds;
};

/* The defaults above. */
void analytics_config_default(struct analytics_config *cfg);
/* Defaults overlaid with the settings; ERR_INVALID naming the setting when
 * one is malformed. */
int analytics_config_load(struct ctx *c, struct analytics_config *cfg);
/* {"settings": the effective configuration, "defaults": DOMAIN.md's,
 * "customized": [the keys set]}, in the shapes above. */
int analytics_config_json(struct ctx *c, json_t **out);
/* Validates every key of in (the shapes above; "reset": [keys] returns them
 * to the defaults) and stores them in one transaction, audited. ERR_INVALID
 * naming the key; nothing is written unless all are valid. */
int analytics_config_save(struct ctx *c, const json_t *in);

/*
 * One scoring request. Customers are listed by ascending id: those with at
 * least one transaction on or before as_of.
 */
struct analytics_query {
    int32_t as_of;      /* day; INT32_MIN: today (RELATIO_NOW aware) */
    int64_t after;      /* keyset cursor: only ids above this one */
    int limit;          /* customers in the page; 0: all of them */
    int summary;        /* 1: add "summary" (segments, classes, totals) */
    int no_customers;   /* 1: model (and summary) only */
    const char *filter; /* rfm: a segment; abc: "A", "B" or "C"; matrix: a quadrant */
    /* When set, every listed customer is handed to emit (which owns it)
     * instead of being put in the document; a non-zero return stops. */
    int (*emit)(void *arg, json_t *customer);
    /* With emit: called once with the document so far (as_of, model,
     * summary) before the first customer; may be NULL. */
    int (*emit_head)(void *arg, const json_t *doc);
    void *emit_arg;
    snapshot_progress_fn progress; /* snapshot build and scoring, may be NULL */
    void *progress_arg;
};

/*
 * The documents: {"as_of": "YYYY-MM-DD", "model": {…}, "summary": {…}
 * (when asked), "customers": [{"id", "external_id", …}], "next_cursor": id
 * or null}; without emit, caller owns *out.
 *
 * rfm: model = the grid and segment table; each customer has the seed
 *   grid's score, r, f, m, transactions and net_minor (in the window) and
 *   "quintile": {recency_days, frequency, monetary_minor, r, f, m, fm,
 *   segment} over all history up to as_of.
 * abc: model = mode and cut-offs; customers have class, rank, revenue_minor.
 * clv: model = BG/NBD r, alpha, a, b, ll and Gamma-Gamma p, q, v (gg_ll),
 *   time_unit "weeks", the horizon and discounting; customers have
 *   frequency, recency, T (weeks), monetary (mean repeat spend, major
 *   units), p_alive, expected_purchases (over the horizon), expected_value
 *   (per purchase) and clv (discounted, major units). A fit is cached per
 *   as_of for the profile. ERR_INVALID when there is too little data to fit.
 * Errors: ERR_BADREQ for a bad filter, those of the snapshot and settings.
 */
int analytics_rfm(struct ctx *c, const struct analytics_query *q, json_t **out);
int analytics_abc(struct ctx *c, const struct analytics_query *q, json_t **out);
int analytics_clv(struct ctx *c, const struct analytics_query *q, json_t **out);
/*
 * matrix: Reinartz & Kumar's loyalty x profitability quadrants (strangers,
 *   butterflies, barnacles, true_friends) with median thresholds; loyalty is
 *   the days from the first to the last transaction, profit the margin when
 *   every order counted carries one, else the net revenue (model.profit
 *   says which). Customers have quadrant, duration_days, profit_minor,
 *   revenue_minor; the filter is a quadrant name.
 */
int analytics_matrix(struct ctx *c, const struct analytics_query *q, json_t **out);

/*
 * Sets profile["scores"] for customer id as of today: {"as_of", "rfm":
 * {score, r, f, m, transactions, net_minor}, "quintile": {r, f, m, segment,
 * label} | null, "abc": {class, rank} | null, "clv": {p_alive,
 * expected_purchases, expected_value, clv, model_as_of} | null}. The
 * customer's own figures are always fresh; the population they are ranked
 * in is cached per as_of (refreshed after changes at most every
 * stale_seconds), and clv appears once a fit for a date up to today is
 * cached (analytics_clv makes one). Never fails the profile: on error,
 * "scores" is null and the error is logged.
 */
void analytics_customer_scores(struct ctx *c, int64_t id, json_t *profile);

/* Builds the snapshot and today's ranked population ahead of the first
 * profile read (the server calls it in the background at start). */
int analytics_warm(struct ctx *c);

#endif
