/*
 * KPI services (see kpis.h): the order-based series come from one pass over
 * the column snapshot; contracts, consents, surveys, costs and addresses are
 * read in one query each and bucketed by month or area in C.
 */
#include "app/kpis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/cohort.h"
#include "analytics/geo.h"
#include "analytics/kpi.h"
#include "analytics/rfm.h"
#include "app/analytics.h"
#include "app/events.h"
#include "store/store.h"
#include "util/timeu.h"

#define DEFAULT_KPI_MONTHS 24
#define DEFAULT_COHORT_MONTHS 12

static int32_t today(void)
{
    int64_t t = time_now(), d = t / 86400;
    if (t % 86400 < 0)
        d--;
    return (int32_t)d;
}

static int32_t day_of(int64_t t)
{
    int64_t d = t / 86400;
    if (t % 86400 < 0)
        d--;
    return (int32_t)d;
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* a / b, or null when b is 0 */
static json_t *ratio(double a, double b)
{
    return b != 0 ? jnum(a / b) : json_null();
}

static json_t *month_name(int32_t first_day)
{
    char buf[16];
    date_format(first_day, buf, sizeof(buf));
    buf[7] = 0;
    return json_string(buf);
}

static int oom(struct ctx *c)
{
    return fail(c, ERR_INTERNAL, "", "out of memory");
}

/* ------------------------------------------------------------ filtering */

/*
 * keep[i] for every snapshot customer i, from the filters of q; *keep stays
 * NULL when there is no filter. Segment from quintile RFM as of as_of, the
 * others from one query each.
 */
static int build_keep(struct ctx *c, const struct snapshot *s, const struct kpi_query *q,
                      int32_t as_of, uint8_t **keep)
{
    *keep = NULL;
    if (!q->segment && !q->channel && !q->country && !q->region)
        return 0;
    size_t n = s->n_cust ? s->n_cust : 1;
    uint8_t *k = malloc(n);
    if (!k)
        return oom(c);
    memset(k, 1, n);
    int rc = 0;
    if (q->segment) {
        struct analytics_config cfg;
        struct rfm_agg *agg = malloc(n * sizeof(*agg));
        struct rfm_quintile *qs = malloc(n * sizeof(*qs));
        int seg = -1;
        rc = analytics_config_load(c, &cfg);
        for (size_t i = 0; !rc && i < cfg.nsegments; i++)
            if (!strcmp(cfg.segments[i].name, q->segment))
                seg = (int)i;
        if (!rc && seg < 0)
            rc = fail(c, ERR_BADREQ, "segment", "no segment '%s'", q->segment);
        if (!rc && (!agg || !qs))
            rc = oom(c);
        for (size_t i = 0; !rc && i < s->n_cust; i++) {
            struct rfm_agg a = {INT32_MIN, 0, 0};
            uint32_t cnt = snapshot_count_until(s, (uint32_t)i, as_of);
            for (uint32_t j = 0; j < cnt; j++) {
                size_t o = s->c_start[i] + j;
                a.net += s->o_amount[o];
                if (s->o_flags[o] & SNAP_TXN) {
                    a.count++;
                    a.last_day = s->o_day[o];
                }
            }
            agg[i] = a;
        }
        if (!rc)
            rc = rfm_quintiles(qs, agg, s->n_cust, cfg.segments, cfg.nsegments, &c->err);
        for (size_t i = 0; !rc && i < s->n_cust; i++)
            k[i] &= agg[i].count > 0 && qs[i].segment == seg;
        free(agg);
        free(qs);
    }
    struct {
        const char *value, *sql;
    } sets[] = {
        {q->channel, "SELECT DISTINCT customer_id FROM orders WHERE channel = ?"},
        {q->country, "SELECT customer_id FROM customer_addresses WHERE is_primary = 1 AND "
                     "country = ?"},
        {q->region, "SELECT customer_id FROM customer_addresses WHERE is_primary = 1 AND "
                    "region = ?"},
    };
    uint8_t *in = NULL;
    for (size_t f = 0; !rc && f < sizeof(sets) / sizeof(sets[0]); f++) {
        if (!sets[f].value)
            continue;
        if (!in && !(in = malloc(n))) {
            rc = oom(c);
            break;
        }
        memset(in, 0, n);
        struct stmt *st;
        rc = store_query(c->st, &st, &c->err, sets[f].sql, "s", sets[f].value);
        while (rc >= 0 && (rc = stmt_step(st, &c->err)) == 1) {
            uint32_t i = snapshot_find(s, stmt_int(st, 0));
            if (i != SNAP_NONE)
                in[i] = 1;
        }
        if (rc >= 0)
            stmt_done(st);
        rc = rc < 0 ? rc : 0;
        for (size_t i = 0; !rc && i < s->n_cust; i++)
            k[i] &= in[i];
    }
    free(in);
    if (rc) {
        free(k);
        return rc;
    }
    *keep = k;
    return 0;
}

/* A customer's snapshot rows as kpi rows; buf grows as needed. */
static int rows_of(const struct snapshot *s, uint32_t i, struct kpi_row **buf, size_t *cap,
                   size_t *n)
{
    uint32_t cnt = s->c_count[i];
    if (cnt > *cap) {
        struct kpi_row *p = realloc(*buf, cnt * sizeof(*p));
        if (!p)
            return -1;
        *buf = p;
        *cap = cnt;
    }
    for (uint32_t j = 0; j < cnt; j++) {
        size_t o = s->c_start[i] + j;
        (*buf)[j] = (struct kpi_row){s->o_day[o], s->o_amount[o], (s->o_flags[o] & SNAP_TXN) != 0};
    }
    *n = cnt;
    return 0;
}

static json_t *filters_json(const struct kpi_query *q)
{
    json_t *f = json_object();
    const char *names[] = {"segment", "channel", "country", "region"};
    const char *vals[] = {q->segment, q->channel, q->country, q->region};
    for (int i = 0; i < 4; i++)
        if (vals[i])
            json_object_set_new(f, names[i], json_string(vals[i]));
    return f;
}

/* ----------------------------------------------------- per-month extras */

struct extras {
    int64_t *cancellations, *responses, *csat_n, *csat_ok, *nps_n, *nps_pro, *nps_det;
    int64_t *cost, *acq_cost, *margin;
    int have_surveys, have_costs;
};

static void extras_free(struct extras *x)
{
    free(x->cancellations);
    free(x->responses);
    free(x->csat_n);
    free(x->csat_ok);
    free(x->nps_n);
    free(x->nps_pro);
    free(x->nps_det);
    free(x->cost);
    free(x->acq_cost);
    free(x->margin);
}

/* May the row of customer id count under the filter? */
static int kept(const struct snapshot *s, const uint8_t *keep, int64_t id)
{
    if (!keep)
        return 1;
    uint32_t i = snapshot_find(s, id);
    return i != SNAP_NONE && keep[i];
}

static int slot(const struct kpi_series *ks, int32_t day)
{
    if (day < ks->m[0].first_day || day > ks->as_of)
        return -1;
    return kpi_month_of(day) - kpi_month_of(ks->m[0].first_day);
}

/* Runs sql (binding the series' first and last instants) and hands each row
 * to fn; a failing query when optional marks the source absent (*present =
 * 0) instead of failing. */
typedef void (*row_cb)(struct extras *x, const struct kpi_series *ks, struct stmt *st, int k);

static int each_row(struct ctx *c, const struct snapshot *s, const uint8_t *keep,
                    const struct kpi_series *ks, struct extras *x, const char *sql, row_cb fn,
                    int *present)
{
    struct stmt *st;
    int64_t from = (int64_t)ks->m[0].first_day * 86400, to = ((int64_t)ks->as_of + 1) * 86400;
    struct err saved = c->err;
    int rc = store_query(c->st, &st, &c->err, sql, "ii", from, to);
    if (rc && present) {
        c->err = saved;
        *present = 0;
        return 0;
    }
    if (present)
        *present = 1;
    while (rc >= 0 && (rc = stmt_step(st, &c->err)) == 1) {
        if (!kept(s, keep, stmt_int(st, 0)))
            continue;
        int k = slot(ks, day_of(stmt_int(st, 1)));
        if (k >= 0)
            fn(x, ks, st, k);
    }
    if (rc >= 0)
        stmt_done(st);
    return rc < 0 ? rc : 0;
}

static void on_cancel(struct extras *x, const struct kpi_series *ks, struct stmt *st, int k)
{
    (void)ks;
    (void)st;
    x->cancellations[k]++;
}

static void on_response(struct extras *x, const struct kpi_series *ks, struct stmt *st, int k)
{
    (void)ks;
    const char *kind = stmt_text(st, 2);
    if (stmt_isnull(st, 3) || !kind)
        return;
    int64_t score = stmt_int(st, 3), top = stmt_isnull(st, 4) ? 0 : stmt_int(st, 4);
    x->responses[k]++;
    if (!strcmp(kind, "nps")) {
        x->nps_n[k]++;
        x->nps_pro[k] += score >= 9;
        x->nps_det[k] += score <= 6;
    } else if (!strcmp(kind, "csat") && top > 0) {
        x->csat_n[k]++;
        x->csat_ok[k] += score * 5 >= top * 4; /* 4 or 5 out of 5 */
    }
}

static void on_margin(struct extras *x, const struct kpi_series *ks, struct stmt *st, int k)
{
    (void)ks;
    x->margin[k] += stmt_int(st, 2);
}

static int month_slot(const struct kpi_series *ks, const char *month)
{
    int32_t d;
    char buf[16];
    if (!month || strlen(month) != 7)
        return -1;
    snprintf(buf, sizeof(buf), "%s-01", month);
    if (date_parse(buf, &d))
        return -1;
    return slot(ks, d);
}

static int load_extras(struct ctx *c, const struct snapshot *s, const uint8_t *keep,
                       const struct kpi_series *ks, struct extras *x)
{
    size_t n = (size_t)ks->nmonths;
    int64_t **arrays[] = {&x->cancellations, &x->responses, &x->csat_n, &x->csat_ok,  &x->nps_n,
                          &x->nps_pro,       &x->nps_det,   &x->cost,   &x->acq_cost, &x->margin};
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
        if (!(*arrays[i] = calloc(n, sizeof(int64_t))))
            return oom(c);
    int rc = each_row(c, s, keep, ks, x,
                      "SELECT customer_id, cancelled_at FROM contracts WHERE status = 'cancelled' "
                      "AND cancelled_at >= ? AND cancelled_at < ?",
                      on_cancel, NULL);
    if (!rc)
        rc = each_row(c, s, keep, ks, x,
                      "SELECT customer_id, answered_at, kind, score, scale_max FROM "
                      "survey_responses WHERE answered_at >= ? AND answered_at < ?",
                      on_response, &x->have_surveys);
    /* margin of the orders a campaign's interaction led to (net revenue when
     * the order has no margin); CROSS JOIN keeps the interactions (partial
     * index of 0046) driving, not every order of the period */
    if (!rc)
        rc = each_row(c, s, keep, ks, x,
                      "SELECT customer_id, ordered_at, m FROM (SELECT DISTINCT o.id, "
                      "o.customer_id, o.ordered_at, COALESCE(o.margin_minor, o.total_minor) AS m "
                      "FROM interactions i CROSS JOIN orders o WHERE o.id = i.order_id AND "
                      "i.campaign_id IS NOT NULL AND i.order_id IS NOT NULL AND o.ordered_at >= ? "
                      "AND o.ordered_at < ? AND o.kind = 'sale' AND o.status NOT IN "
                      "('cancelled', 'refunded')) AS a",
                      on_margin, NULL);
    if (rc)
        return rc;
    struct stmt *st;
    rc =
        store_query(c->st, &st, &c->err, "SELECT month, category, amount_minor FROM crm_costs", "");
    while (rc >= 0 && (rc = stmt_step(st, &c->err)) == 1) {
        int k = month_slot(ks, stmt_text(st, 0));
        x->have_costs = 1;
        if (k < 0)
            continue;
        const char *cat = stmt_text(st, 1);
        x->cost[k] += stmt_int(st, 2);
        if (cat && !strcmp(cat, "acquisition"))
            x->acq_cost[k] += stmt_int(st, 2);
    }
    if (rc >= 0)
        stmt_done(st);
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------- summary */

/* share of wallet, addressable customers, attitudes: one query each */
static int summary_extras(struct ctx *c, const struct snapshot *s, const uint8_t *keep,
                          int32_t as_of, json_t *summary, json_t *unavailable)
{
    struct stmt *st;
    int rc = store_query(c->st, &st, &c->err,
                         "SELECT id, category_spend_minor FROM customers WHERE "
                         "category_spend_minor > 0",
                         "");
    double sum_ratio = 0, ours = 0, total = 0;
    int64_t nw = 0;
    int32_t from = days_add_months(as_of, -12);
    while (rc >= 0 && (rc = stmt_step(st, &c->err)) == 1) {
        int64_t id = stmt_int(st, 0), spend = stmt_int(st, 1);
        if (!kept(s, keep, id))
            continue;
        uint32_t i = snapshot_find(s, id);
        int64_t net = 0;
        for (uint32_t j = 0, cnt = i == SNAP_NONE ? 0 : snapshot_count_until(s, i, as_of); j < cnt;
             j++) {
            size_t o = s->c_start[i] + j;
            if (s->o_day[o] > from)
                net += s->o_amount[o];
        }
        double r = (double)net / (double)spend;
        sum_ratio += r > 1 ? 1 : r < 0 ? 0 : r;
        ours += (double)net;
        total += (double)spend;
        nw++;
    }
    if (rc >= 0)
        stmt_done(st);
    if (rc < 0)
        return rc;
    if (nw)
        json_object_set_new(summary, "share_of_wallet",
                            json_pack("{s:I,s:o,s:o,s:s}", "customers", (json_int_t)nw, "mean",
                                      jnum(sum_ratio / (double)nw), "aggregate", jnum(ours / total),
                                      "basis",
                                      "net revenue of the last 12 months / declared category "
                                      "spend (customers.category_spend_minor, per year)"));
    else
        json_object_set_new(unavailable, "share_of_wallet",
                            json_string("no customer has a declared or estimated category spend "
                                        "(category_spend_minor)"));

    /* addressable: the latest decision on a contact channel grants it */
    rc = store_query(c->st, &st, &c->err,
                     "SELECT DISTINCT k.customer_id FROM consents k WHERE k.channel IN ('email', "
                     "'sms', 'phone', 'mail') AND k.granted = 1 AND k.id = (SELECT MAX(l.id) FROM "
                     "consents l WHERE l.customer_id = k.customer_id AND l.channel = k.channel "
                     "AND l.purpose = k.purpose)",
                     "");
    int64_t addressable = 0;
    while (rc >= 0 && (rc = stmt_step(st, &c->err)) == 1)
        addressable += kept(s, keep, stmt_int(st, 0));
    if (rc >= 0)
        stmt_done(st);
    if (rc < 0)
        return rc;
    json_object_set_new(summary, "addressable_customers", json_integer(addressable));

    struct err saved = c->err;
    rc = store_query(c->st, &st, &c->err,
                     "SELECT customer_id, satisfaction, repurchase_intention FROM "
                     "customer_attitudes",
                     "");
    if (rc) {
        c->err = saved;
        json_object_set_new(unavailable, "attitudinal_loyalty",
                            json_string("no survey data (customer_attitudes)"));
        return 0;
    }
    double sat = 0, rep = 0;
    int64_t nsat = 0, nrep = 0;
    while ((rc = stmt_step(st, &c->err)) == 1) {
        if (!kept(s, keep, stmt_int(st, 0)))
            continue;
        if (!stmt_isnull(st, 1)) {
            sat += stmt_double(st, 1);
            nsat++;
        }
        if (!stmt_isnull(st, 2)) {
            rep += stmt_double(st, 2);
            nrep++;
        }
    }
    if (rc >= 0)
        stmt_done(st);
    if (rc < 0)
        return rc;
    json_t *loyalty = json_object_get(summary, "loyalty");
    json_object_set_new(loyalty, "attitudinal",
                        json_pack("{s:o,s:I}", "satisfaction",
                                  nsat ? jnum(sat / (double)nsat) : json_null(), "respondents",
                                  (json_int_t)nsat));
    json_object_set_new(loyalty, "repurchase_intention",
                        json_pack("{s:o,s:I}", "mean",
                                  nrep ? jnum(rep / (double)nrep) : json_null(), "respondents",
                                  (json_int_t)nrep));
    if (!nsat)
        json_object_set_new(unavailable, "attitudinal_loyalty",
                            json_string("no satisfaction answer yet (surveys)"));
    if (!nrep)
        json_object_set_new(unavailable, "repurchase_intention",
                            json_string("no repurchase-intention answer yet (surveys)"));
    return 0;
}

/* --------------------------------------------------------------- series */

static json_t *month_json(const struct kpi_month *m, const struct extras *x, int k)
{
    json_t *o =
        json_pack("{s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "month", month_name(m->first_day),
                  "revenue_minor", (json_int_t)m->revenue, "sales_minor", (json_int_t)m->sales,
                  "transactions", (json_int_t)m->transactions, "active", (json_int_t)m->active,
                  "new", (json_int_t)m->new_customers, "lost", (json_int_t)m->lost, "returning",
                  (json_int_t)m->returning, "at_start", (json_int_t)m->at_start, "at_end",
                  (json_int_t)m->at_end);
    json_object_set_new(o, "churn_rate", ratio((double)m->lost, (double)m->at_start));
    json_object_set_new(o, "retention_rate",
                        ratio((double)m->at_start - (double)m->lost, (double)m->at_start));
    json_object_set_new(o, "active_retention",
                        ratio((double)m->retained_active, (double)m->prev_active));
    json_object_set_new(o, "repeat_purchase_rate",
                        ratio((double)m->repeat_active, (double)m->active));
    json_object_set_new(o, "purchase_frequency", ratio((double)m->transactions, (double)m->active));
    json_object_set_new(o, "average_basket_minor",
                        ratio((double)m->sales, (double)m->transactions));
    json_object_set_new(o, "arpu_minor", ratio((double)m->revenue, (double)m->at_end));
    json_object_set_new(o, "cancellations", json_integer(x->cancellations[k]));
    json_object_set_new(o, "attrition_rate",
                        ratio((double)x->cancellations[k], (double)m->new_customers));
    json_object_set_new(o, "responses", json_integer(x->responses[k]));
    json_object_set_new(o, "csat", ratio((double)x->csat_ok[k], (double)x->csat_n[k]));
    json_object_set_new(
        o, "nps", ratio(100.0 * (double)(x->nps_pro[k] - x->nps_det[k]), (double)x->nps_n[k]));
    json_object_set_new(o, "crm_cost_minor", json_integer(x->cost[k]));
    json_object_set_new(o, "acquisition_cost_minor", json_integer(x->acq_cost[k]));
    json_object_set_new(o, "cac_minor",
                        x->acq_cost[k] ? ratio((double)x->acq_cost[k], (double)m->new_customers)
                                       : json_null());
    json_object_set_new(o, "attributed_margin_minor", json_integer(x->margin[k]));
    json_object_set_new(o, "roi", ratio((double)(x->margin[k] - x->cost[k]), (double)x->cost[k]));
    return o;
}

int kpis_series(struct ctx *c, const struct kpi_query *q, json_t **out)
{
    struct snapshot *s = NULL;
    struct kpi_series ks = {0};
    struct extras x = {0};
    struct kpi_row *buf = NULL;
    size_t cap = 0, n;
    uint8_t *keep = NULL;
    json_t *doc = NULL;
    int32_t as_of = q->as_of == INT32_MIN ? today() : q->as_of;
    int rc = kpi_series_init(&ks, as_of, q->months ? q->months : DEFAULT_KPI_MONTHS,
                             c->app->cfg.lost_after_days, &c->err);
    if (!rc)
        rc = snapshot_read(c->app, &s, q->progress, q->progress_arg, &c->err);
    if (!rc)
        rc = build_keep(c, s, q, as_of, &keep);
    if (rc)
        goto out;
    for (size_t i = 0; i < s->n_cust; i++) {
        if (keep && !keep[i])
            continue;
        if (rows_of(s, (uint32_t)i, &buf, &cap, &n)) {
            rc = oom(c);
            goto out;
        }
        kpi_add_customer(&ks, buf, n);
        if (q->progress && !(i & 0xfffff))
            q->progress("kpis", (double)i / (double)s->n_cust, q->progress_arg);
    }
    rc = load_extras(c, s, keep, &ks, &x);
    if (rc)
        goto out;
    json_t *series = json_array(), *unavailable = json_object();
    int64_t revenue = 0, txns = 0, sales = 0, news = 0, cancels = 0, cost = 0, acq = 0, margin = 0;
    for (int k = 0; k < ks.nmonths; k++) {
        json_array_append_new(series, month_json(&ks.m[k], &x, k));
        revenue += ks.m[k].revenue;
        sales += ks.m[k].sales;
        txns += (int64_t)ks.m[k].transactions;
        news += (int64_t)ks.m[k].new_customers;
        cancels += x.cancellations[k];
        cost += x.cost[k];
        acq += x.acq_cost[k];
        margin += x.margin[k];
    }
    const struct kpi_month *last = &ks.m[ks.nmonths - 1];
    json_t *summary =
        json_pack("{s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:{s:{s:o,s:o}}}", "revenue_minor",
                  (json_int_t)revenue, "transactions", (json_int_t)txns, "new", (json_int_t)news,
                  "average_basket_minor", ratio((double)sales, (double)txns), "customers_now",
                  (json_int_t)last->at_end, "cancellations", (json_int_t)cancels, "crm_cost_minor",
                  (json_int_t)cost, "loyalty", "behavioural", "repeat_purchase_rate",
                  ratio((double)last->repeat_active, (double)last->active), "purchase_frequency",
                  ratio((double)last->transactions, (double)last->active));
    json_object_set_new(summary, "attrition_rate", ratio((double)cancels, (double)news));
    json_object_set_new(summary, "roi",
                        cost ? ratio((double)(margin - cost), (double)cost) : json_null());
    json_object_set_new(summary, "cac_minor", acq ? ratio((double)acq, (double)news) : json_null());
    if (!x.have_surveys) {
        json_object_set_new(unavailable, "nps", json_string("no survey_responses table"));
        json_object_set_new(unavailable, "csat", json_string("no survey_responses table"));
    }
    if (!x.have_costs) {
        json_object_set_new(unavailable, "roi",
                            json_string("no CRM cost entered (POST /api/v1/analytics/costs)"));
        json_object_set_new(unavailable, "acquisition_cost",
                            json_string("no acquisition cost entered"));
    }
    rc = summary_extras(c, s, keep, as_of, summary, unavailable);
    char d[16];
    doc = json_pack("{s:s,s:s,s:i,s:o,s:o,s:o,s:o}", "as_of", date_format(as_of, d, sizeof(d)),
                    "currency", c->app->cfg.default_currency, "lost_after_days",
                    c->app->cfg.lost_after_days, "filters", filters_json(q), "series", series,
                    "summary", summary, "unavailable", unavailable);
out:
    snapshot_unlock(s);
    kpi_series_release(&ks);
    extras_free(&x);
    free(buf);
    free(keep);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

/* -------------------------------------------------------------- cohorts */

int kpis_cohorts(struct ctx *c, const struct kpi_query *q, json_t **out)
{
    struct snapshot *s = NULL;
    struct cohort_table t = {0};
    struct kpi_row *buf = NULL;
    size_t cap = 0, n;
    uint8_t *keep = NULL;
    json_t *doc = NULL;
    int32_t as_of = q->as_of == INT32_MIN ? today() : q->as_of;
    int rc = cohort_init(&t, as_of, q->months ? q->months : DEFAULT_COHORT_MONTHS, &c->err);
    if (!rc)
        rc = snapshot_read(c->app, &s, q->progress, q->progress_arg, &c->err);
    if (!rc)
        rc = build_keep(c, s, q, as_of, &keep);
    if (rc)
        goto out;
    for (size_t i = 0; i < s->n_cust; i++) {
        if (keep && !keep[i])
            continue;
        if (rows_of(s, (uint32_t)i, &buf, &cap, &n)) {
            rc = oom(c);
            goto out;
        }
        cohort_add_customer(&t, buf, n);
    }
    json_t *cohorts = json_array();
    for (int k = 0; k < t.ncohorts; k++) {
        json_t *active = json_array(), *ret = json_array(), *rev = json_array();
        for (int p = 0; p < t.ncohorts - k; p++) {
            size_t cell = (size_t)k * (size_t)t.ncohorts + (size_t)p;
            json_array_append_new(active, json_integer((json_int_t)t.active[cell]));
            json_array_append_new(ret, ratio((double)t.active[cell], (double)t.size[k]));
            json_array_append_new(rev, json_integer(t.revenue[cell]));
        }
        json_array_append_new(cohorts, json_pack("{s:o,s:I,s:o,s:o,s:o}", "month",
                                                 month_name(kpi_month_start(t.first_month + k)),
                                                 "size", (json_int_t)t.size[k], "active", active,
                                                 "retention", ret, "revenue_minor", rev));
    }
    char d[16];
    doc = json_pack("{s:s,s:i,s:o,s:s,s:o}", "as_of", date_format(as_of, d, sizeof(d)), "months",
                    t.ncohorts, "filters", filters_json(q), "basis",
                    "customers by the month of their first transaction; active = with a "
                    "transaction k months later",
                    "cohorts", cohorts);
out:
    snapshot_unlock(s);
    cohort_release(&t);
    free(buf);
    free(keep);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

/* ------------------------------------------------------------------ geo */

int kpis_geo(struct ctx *c, const struct kpi_query *q, json_t **out)
{
    const char *level = q->level ? q->level : "country";
    int col = !strcmp(level, "country")  ? 1
              : !strcmp(level, "region") ? 2
              : !strcmp(level, "postal") ? 3
                                         : 0;
    if (!col)
        return fail(c, ERR_BADREQ, "level", "country, region or postal");
    struct snapshot *s = NULL;
    struct geo_row *rows = NULL;
    struct geo_area *areas = NULL;
    size_t n = 0, cap = 0, nareas = 0;
    uint8_t *keep = NULL;
    json_t *doc = NULL;
    struct stmt *st = NULL;
    int32_t as_of = q->as_of == INT32_MIN ? today() : q->as_of;
    int rc = snapshot_read(c->app, &s, q->progress, q->progress_arg, &c->err);
    if (!rc)
        rc = build_keep(c, s, q, as_of, &keep);
    if (!rc)
        rc = store_query(c->st, &st, &c->err,
                         "SELECT c.id, a.country, a.region, a.postal_code FROM customers c LEFT "
                         "JOIN customer_addresses a ON a.customer_id = c.id AND a.is_primary = 1 "
                         "WHERE c.merged_into IS NULL AND c.kind <> 'guest'",
                         "");
    while (rc >= 0 && (rc = stmt_step(st, &c->err)) == 1) {
        int64_t id = stmt_int(st, 0);
        uint32_t i = snapshot_find(s, id);
        if (keep && (i == SNAP_NONE || !keep[i]))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            struct geo_row *p = realloc(rows, ncap * sizeof(*p));
            if (!p) {
                rc = oom(c);
                break;
            }
            rows = p;
            cap = ncap;
        }
        char area[64];
        const char *key =
            col == 3 ? geo_postal_area(stmt_text(st, 1), stmt_text(st, 3), area, sizeof(area))
                     : stmt_text(st, col);
        struct geo_row r = {NULL, 0, 0};
        if (key && *key && !(r.key = strdup(key))) {
            rc = oom(c);
            break;
        }
        int32_t last = INT32_MIN;
        for (uint32_t j = 0, cnt = i == SNAP_NONE ? 0 : snapshot_count_until(s, i, as_of); j < cnt;
             j++) {
            size_t o = s->c_start[i] + j;
            r.revenue += s->o_amount[o];
            if (s->o_flags[o] & SNAP_TXN)
                last = s->o_day[o];
        }
        if (last != INT32_MIN)
            r.flags |=
                GEO_BUYER | (as_of - last < c->app->cfg.inactive_after_days ? GEO_ACTIVE : 0);
        rows[n++] = r;
    }
    if (st && rc >= 0)
        stmt_done(st);
    rc = rc < 0 ? rc : 0;
    if (!rc)
        rc = geo_group(&areas, &nareas, rows, n, &c->err);
    if (rc)
        goto out;
    int64_t total = 0;
    for (size_t k = 0; k < nareas; k++)
        total += areas[k].revenue;
    json_t *list = json_array();
    for (size_t k = 0; k < nareas; k++)
        json_array_append_new(
            list, json_pack("{s:o,s:I,s:I,s:I,s:I,s:o}", "key",
                            areas[k].key ? json_string(areas[k].key) : json_null(), "customers",
                            (json_int_t)areas[k].customers, "buyers", (json_int_t)areas[k].buyers,
                            "active", (json_int_t)areas[k].active, "revenue_minor",
                            (json_int_t)areas[k].revenue, "revenue_share",
                            ratio((double)areas[k].revenue, (double)total)));
    char d[16];
    doc = json_pack("{s:s,s:s,s:o,s:I,s:o}", "as_of", date_format(as_of, d, sizeof(d)), "level",
                    level, "filters", filters_json(q), "customers", (json_int_t)n, "areas", list);
out:
    snapshot_unlock(s);
    for (size_t k = 0; k < n; k++)
        free((char *)rows[k].key);
    free(rows);
    free(areas);
    free(keep);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

/* ---------------------------------------------------------------- costs */

const struct field crm_cost_fields[] = {
    {"month", FT_STRING, FF_REQUIRED, 7, NULL, NULL, "YYYY-MM"},
    {"category", FT_ENUM, FF_REQUIRED, 0, "programme|acquisition|campaign", NULL,
     "programme: the CRM programme's running cost; acquisition: spent to win new customers"},
    {"amount_minor", FT_MONEY, FF_REQUIRED, 0, NULL, NULL, "minor units, >= 0"},
    {"currency", FT_CURRENCY, 0, 0, NULL, NULL, "default: the configured currency"},
    {"note", FT_STRING, 0, 500, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const cost_cols[] = {"id",       "month", "category", "amount_minor",
                                        "currency", "note",  NULL};

static json_t *cost_row(struct stmt *st)
{
    json_t *o = json_object();
    for (int i = 0; cost_cols[i]; i++) {
        json_t *v = stmt_isnull(st, i)   ? json_null()
                    : (i == 0 || i == 3) ? json_integer(stmt_int(st, i))
                                         : json_string(stmt_text(st, i));
        json_object_set_new(o, cost_cols[i], v);
    }
    return o;
}

int kpis_cost_add(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(crm_cost_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    const char *month = json_string_value(json_object_get(in, "month"));
    const char *cur = json_string_value(json_object_get(in, "currency"));
    const char *note = json_string_value(json_object_get(in, "note"));
    int64_t amount = json_integer_value(json_object_get(in, "amount_minor"));
    char buf[16];
    int32_t d;
    snprintf(buf, sizeof(buf), "%.7s-01", month);
    if (strlen(month) != 7 || month[4] != '-' || date_parse(buf, &d))
        return fail(c, ERR_INVALID, "month", "a month YYYY-MM");
    if (amount < 0)
        return fail(c, ERR_INVALID, "amount_minor", "a cost is not negative");
    int64_t id;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = store_int(c->st, &id, &c->err,
                   "INSERT INTO crm_costs(month, category, amount_minor, currency, note, user_id, "
                   "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                   "ssissIi", month, json_string_value(json_object_get(in, "category")), amount,
                   cur ? cur : c->app->cfg.default_currency, note,
                   c->actor.user_id ? c->actor.user_id : INT64_MIN, time_now());
    if (!rc)
        rc = event_emit(c, "crm_cost.recorded", 0, "crm_cost", id, in, NULL);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (rc)
        return rc;
    struct stmt *st;
    rc = store_query(c->st, &st, &c->err,
                     "SELECT id, month, category, amount_minor, currency, note FROM crm_costs "
                     "WHERE id = ?",
                     "i", id);
    if (!rc && (rc = stmt_step(st, &c->err)) == 1)
        *out = cost_row(st);
    if (rc >= 0)
        stmt_done(st);
    return rc == 1 ? 0 : rc < 0 ? rc : fail(c, ERR_INTERNAL, "", "the cost vanished");
}

int kpis_cost_list(struct ctx *c, json_t **out)
{
    struct stmt *st;
    int rc = store_query(c->st, &st, &c->err,
                         "SELECT id, month, category, amount_minor, currency, note FROM crm_costs "
                         "ORDER BY month DESC, id DESC LIMIT 500",
                         "");
    json_t *items = json_array();
    while (rc >= 0 && (rc = stmt_step(st, &c->err)) == 1)
        json_array_append_new(items, cost_row(st));
    if (rc >= 0)
        stmt_done(st);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o}", "costs", items);
    return 0;
}
