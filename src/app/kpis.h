/*
 * KPI services (DOMAIN.md "KPIs"): monthly series computed from the column
 * snapshot (analytics/kpi.h), the cohort retention matrix (analytics/
 * cohort.h), geographic aggregates (analytics/geo.h), and the figures that
 * need a few small tables beside the orders (contracts, consents, surveys,
 * CRM costs), each read in one query, never one per month.
 */
#ifndef APP_KPIS_H
#define APP_KPIS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "app/snapshot.h"
#include "util/fields.h"

/*
 * Which customers and which months. Filters combine (and):
 *   segment  a quintile RFM segment name as of as_of (analytics.h)
 *   channel  customers with at least one order through that channel
 *   country  customers whose primary address is in that ISO country
 *   region   customers whose primary address names that region
 */
struct kpi_query {
    int32_t as_of; /* INT32_MIN: today */
    int months;    /* 0: 24 (kpis) or 12 (cohorts) */
    const char *segment, *channel, *country, *region;
    const char *level; /* geo: "country", "region" or "postal" */
    int k;             /* clusters: 2..20 (0: 4) */
    int horizon_days;  /* churn: 30..730 (0: 180) */
    int limit;         /* churn: customers listed, most at risk first (0: 50) */
    snapshot_progress_fn progress;
    void *progress_arg;
};

/*
 * {"as_of", "currency", "lost_after_days", "filters", "series": [{"month":
 * "YYYY-MM", "revenue_minor", "sales_minor", "transactions", "active",
 * "new", "lost", "returning", "at_start", "at_end", "churn_rate" (lost /
 * at_start), "retention_rate" ((at_start - lost) / at_start),
 * "active_retention" (active in this and the previous month / active in the
 * previous), "repeat_purchase_rate" (active with 2+ transactions to date /
 * active), "purchase_frequency" (transactions / active), "average_basket_minor"
 * (sales / transactions), "arpu_minor" (revenue / at_end), "cancellations",
 * "attrition_rate" (contract cancellations / new customers), "csat", "nps",
 * "responses", "crm_cost_minor", "acquisition_cost_minor", "cac_minor"
 * (acquisition cost / new), "attributed_margin_minor", "roi"}], "summary":
 * {totals, share_of_wallet, addressable_customers, development_potential,
 * ltv_cac, loyalty: {behavioural, attitudinal, repurchase_intention}},
 * "unavailable": {kpi: reason}}. A rate whose denominator is 0 is null.
 * Errors: ERR_BADREQ naming a bad filter, those of the snapshot and store.
 */
int kpis_series(struct ctx *c, const struct kpi_query *q, json_t **out);

/*
 * {"as_of", "months", "cohorts": [{"month", "size", "active": [k0, k1, …],
 * "retention": [1, r1, …], "revenue_minor": […]}]}: customers by the month
 * of their first transaction, those buying again k months later.
 */
int kpis_cohorts(struct ctx *c, const struct kpi_query *q, json_t **out);

/*
 * {"as_of", "level", "areas": [{"key", "customers", "buyers", "active",
 * "revenue_minor", "revenue_share"}]} grouped by the primary address's
 * country, region, or postal area (country + the first two characters of
 * the postal code: the French département), by revenue descending.
 * Customers without an address are under key null. Errors: ERR_BADREQ
 * (level).
 */
int kpis_geo(struct ctx *c, const struct kpi_query *q, json_t **out);

/* A CRM cost entered per month (ROI, acquisition cost): body of
 * POST /api/v1/analytics/costs. */
extern const struct field crm_cost_fields[];
/* Records a cost {month "YYYY-MM", category programme|acquisition|campaign,
 * amount_minor, currency, note}; *out the stored row. ERR_INVALID naming
 * the field. */
int kpis_cost_add(struct ctx *c, const json_t *in, json_t **out);
/* Costs, newest month first. */
int kpis_cost_list(struct ctx *c, json_t **out);

#endif
