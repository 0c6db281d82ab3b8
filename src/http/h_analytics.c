/* Routes: /api/v1/analytics/... (rfm, abc, clv, matrix, kpis, cohorts, geo, costs,
 * churn, clusters) and recommendations, thin over app/analytics, app/kpis,
 * app/mining and app/recommend; the table analytics_routes[] is joined in
 * routes.c. */
#include <string.h>

#include "app/analytics.h"
#include "app/kpis.h"
#include "app/mining.h"
#include "app/recommend.h"
#include "http/handlers.h"
#include "util/timeu.h"

/*
 * The common query: as_of (YYYY-MM-DD, default today), limit (1..500, 50)
 * and cursor (the next_cursor of the previous page) for the customers, the
 * filter named filter_name, and summary=only for the model and summary
 * alone. A million customers are never sent in one response.
 */
static int parse_query(struct req *r, struct analytics_query *q, const char *filter_name)
{
    int64_t limit, after;
    memset(q, 0, sizeof(*q));
    q->as_of = INT32_MIN;
    const char *as_of = req_query(r, "as_of"), *summary = req_query(r, "summary");
    if (as_of && date_parse(as_of, &q->as_of))
        return err_set(&r->c.err, ERR_BADREQ, "as_of", "a date YYYY-MM-DD");
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &after);
    if (rc)
        return rc;
    if (limit < 1 || limit > 500)
        return err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    if (summary && strcmp(summary, "only"))
        return err_set(&r->c.err, ERR_BADREQ, "summary", "only 'only' is understood");
    q->limit = (int)limit;
    q->after = after;
    q->summary = 1;
    q->no_customers = summary != NULL;
    q->filter = filter_name ? req_query(r, filter_name) : NULL;
    return 0;
}

typedef int (*analytics_fn)(struct ctx *c, const struct analytics_query *q, json_t **out);

static int run(struct req *r, struct resp *w, analytics_fn fn, const char *filter_name)
{
    struct analytics_query q;
    json_t *out = NULL;
    int rc = parse_query(r, &q, filter_name);
    if (!rc)
        rc = fn(&r->c, &q, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_analytics_rfm(struct req *r, struct resp *w)
{
    return run(r, w, analytics_rfm, "segment");
}

int h_analytics_abc(struct req *r, struct resp *w)
{
    return run(r, w, analytics_abc, "class");
}

int h_analytics_clv(struct req *r, struct resp *w)
{
    return run(r, w, analytics_clv, NULL);
}

int h_analytics_matrix(struct req *r, struct resp *w)
{
    return run(r, w, analytics_matrix, "quadrant");
}

/* ------------------------------------------------ KPIs, cohorts, geography */

static int parse_kpi_query(struct req *r, struct kpi_query *q)
{
    int64_t months;
    memset(q, 0, sizeof(*q));
    q->as_of = INT32_MIN;
    const char *as_of = req_query(r, "as_of");
    if (as_of && date_parse(as_of, &q->as_of))
        return err_set(&r->c.err, ERR_BADREQ, "as_of", "a date YYYY-MM-DD");
    int rc = req_query_int(r, "months", 0, &months);
    if (rc)
        return rc;
    if (months < 0 || months > 120)
        return err_set(&r->c.err, ERR_BADREQ, "months", "between 1 and 120");
    q->months = (int)months;
    q->segment = req_query(r, "segment");
    q->channel = req_query(r, "channel");
    q->country = req_query(r, "country");
    q->region = req_query(r, "region");
    q->level = req_query(r, "level");
    int64_t k, horizon, limit;
    rc = req_query_int(r, "k", 0, &k);
    if (!rc)
        rc = req_query_int(r, "horizon", 0, &horizon);
    if (!rc)
        rc = req_query_int(r, "limit", 0, &limit);
    if (rc)
        return rc;
    if (k && (k < 2 || k > 20))
        return err_set(&r->c.err, ERR_BADREQ, "k", "between 2 and 20");
    if (horizon && (horizon < 30 || horizon > 730))
        return err_set(&r->c.err, ERR_BADREQ, "horizon", "between 30 and 730 days");
    if (limit < 0 || limit > 500)
        return err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    q->k = (int)k;
    q->horizon_days = (int)horizon;
    q->limit = (int)limit;
    return 0;
}

typedef int (*kpi_fn)(struct ctx *c, const struct kpi_query *q, json_t **out);

static int run_kpi(struct req *r, struct resp *w, kpi_fn fn)
{
    struct kpi_query q;
    json_t *out = NULL;
    int rc = parse_kpi_query(r, &q);
    if (!rc)
        rc = fn(&r->c, &q, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_analytics_kpis(struct req *r, struct resp *w)
{
    return run_kpi(r, w, kpis_series);
}

int h_analytics_cohorts(struct req *r, struct resp *w)
{
    return run_kpi(r, w, kpis_cohorts);
}

int h_analytics_geo(struct req *r, struct resp *w)
{
    return run_kpi(r, w, kpis_geo);
}

int h_analytics_churn(struct req *r, struct resp *w)
{
    return run_kpi(r, w, mining_churn);
}

int h_analytics_clusters(struct req *r, struct resp *w)
{
    return run_kpi(r, w, mining_clusters);
}

/* ?limit=N (1..RECOMMEND_MAX, 10) */
static int reco_limit(struct req *r, int *n)
{
    int64_t v;
    int rc = req_query_int(r, "limit", 10, &v);
    if (rc)
        return rc;
    if (v < 1 || v > RECOMMEND_MAX)
        return err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and %d", RECOMMEND_MAX);
    *n = (int)v;
    return 0;
}

int h_products_also_bought(struct req *r, struct resp *w)
{
    int n = 0;
    json_t *out = NULL;
    int rc = reco_limit(r, &n);
    if (!rc)
        rc = recommend_also_bought(&r->c, r->id, n, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_customers_recommendations(struct req *r, struct resp *w)
{
    int n = 0;
    json_t *out = NULL;
    int rc = reco_limit(r, &n);
    if (!rc)
        rc = recommend_for_customer(&r->c, r->id, n, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_analytics_costs_add(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, crm_cost_fields, 0);
    if (!rc)
        rc = kpis_cost_add(&r->c, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

int h_analytics_costs_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = kpis_cost_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

/* ------------------------------------------------------------------ table */

#define STAFF ROLES_STAFF
#define BUDGET (ROLE_ADMIN | ROLE_MANAGER | ROLE_MARKETING | ROLE_SYSTEM)

const struct route analytics_routes[] = {
    {"GET", "/api/v1/analytics/rfm", h_analytics_rfm, STAFF, "analytics",
     "Seed RFM grid and quintile RFM segments as of a date: model, segment summary and a page "
     "of customers (as_of, segment, limit, cursor, summary=only)",
     NULL},
    {"GET", "/api/v1/analytics/abc", h_analytics_abc, STAFF, "analytics",
     "ABC (Pareto) classes as of a date: model, class summary, Pareto curve and a page of "
     "customers (as_of, class, limit, cursor, summary=only)",
     NULL},
    {"GET", "/api/v1/analytics/clv", h_analytics_clv, STAFF, "analytics",
     "BG/NBD + Gamma-Gamma CLV as of a date: fitted parameters, totals and a page of customers "
     "(as_of, limit, cursor, summary=only)",
     NULL},
    {"GET", "/api/v1/analytics/matrix", h_analytics_matrix, STAFF, "analytics",
     "Loyalty x profitability matrix (Reinartz & Kumar) as of a date: quadrant summary and a page "
     "of customers (as_of, quadrant, limit, cursor, summary=only)",
     NULL},
    {"GET", "/api/v1/analytics/kpis", h_analytics_kpis, STAFF, "analytics",
     "Monthly KPI series (revenue, active/new/lost customers, churn and attrition, retention, "
     "repeat rate, frequency, basket, ARPU, NPS/CSAT, CRM cost, CAC, ROI) and a summary (share "
     "of wallet, addressable customers, loyalty); as_of, months (24), segment, channel, "
     "country, region",
     NULL},
    {"GET", "/api/v1/analytics/cohorts", h_analytics_cohorts, STAFF, "analytics",
     "Cohort retention matrix by first-purchase month (as_of, months (12), segment, channel, "
     "country, region)",
     NULL},
    {"GET", "/api/v1/analytics/geo", h_analytics_geo, STAFF, "analytics",
     "Customers, buyers, active customers and revenue by country, region or postal area "
     "(level=country|region|postal, as_of, segment, channel, country, region)",
     NULL},
    {"GET", "/api/v1/analytics/churn", h_analytics_churn, STAFF, "analytics",
     "Churn score: logistic regression trained on a time split (features as of T-2h, label = no "
     "purchase in the next h days), held-out AUC against BG/NBD P(alive), customers most at risk "
     "first (as_of, horizon (180), limit (50))",
     NULL},
    {"GET", "/api/v1/analytics/clusters", h_analytics_clusters, STAFF, "analytics",
     "k-means clusters of customers on standardised recency, frequency, monetary, tenure and "
     "gap, k-means++ start, cluster profiles (as_of, k (4))",
     NULL},
    {"GET", "/api/v1/products/{id}/also-bought", h_products_also_bought, STAFF, "products",
     "Customers who bought this also bought: products by cosine similarity of their buyers "
     "(limit)",
     NULL},
    {"GET", "/api/v1/customers/{id}/recommendations", h_customers_recommendations, STAFF,
     "customers",
     "Recommended products (item-to-item collaborative filtering), excluding those owned and "
     "offers refused (limit)",
     NULL},
    {"GET", "/api/v1/analytics/costs", h_analytics_costs_list, STAFF, "analytics",
     "CRM costs entered per month (for ROI and acquisition cost)", NULL},
    {"POST", "/api/v1/analytics/costs", h_analytics_costs_add, BUDGET, "analytics",
     "Enter a CRM cost for a month (programme, acquisition or campaign)", crm_cost_fields},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
