/* Routes: pipelines, deals, leads, objectives, forecast and sales reports
 * (the table sales_routes is joined in routes.c). */
#include <stdio.h>
#include <string.h>

#include "app/forecast.h"
#include "app/leads.h"
#include "app/sales.h"
#include "http/handlers.h"

#define STAFF ROLES_STAFF
#define LEADS (ROLE_ADMIN | ROLE_MANAGER | ROLE_SYSTEM)
#define SELLERS (ROLE_SALES | ROLE_MANAGER | ROLE_ADMIN | ROLE_SYSTEM)

static int created(struct resp *w, const char *base, json_t *out)
{
    snprintf(w->location, sizeof(w->location), "%s/%lld", base,
             (long long)json_integer_value(json_object_get(out, "id")));
    return reply_json(w, 201, out);
}

static int limit_of(struct req *r, int64_t *limit)
{
    int rc = req_query_int(r, "limit", 50, limit);
    if (!rc && (*limit < 1 || *limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    return rc;
}

/* ---------------------------------------------------------------- pipelines */

static int h_pipelines_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = pipeline_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_pipelines_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = pipeline_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/pipelines", out);
}

static int h_pipelines_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = pipeline_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_pipelines_board(struct req *r, struct resp *w)
{
    int64_t owner, per;
    int rc = req_query_int(r, "owner_id", 0, &owner);
    if (!rc)
        rc = req_query_int(r, "per_stage", 50, &per);
    json_t *out = NULL;
    if (!rc)
        rc = pipeline_board(&r->c, r->id, owner, (int)per, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_stages_add(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = pipeline_add_stage(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_stages_update(struct req *r, struct resp *w)
{
    int64_t sid;
    int rc = req_param_id(r, 1, &sid);
    json_t *out = NULL;
    if (!rc)
        rc = pipeline_update_stage(&r->c, r->id, sid, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

/* -------------------------------------------------------------------- deals */

static int deal_query(struct req *r, struct deal_filter *f)
{
    memset(f, 0, sizeof(*f));
    int rc = req_query_int(r, "pipeline_id", 0, &f->pipeline_id);
    if (!rc)
        rc = req_query_int(r, "stage_id", 0, &f->stage_id);
    if (!rc)
        rc = req_query_int(r, "owner_id", 0, &f->owner_id);
    if (!rc)
        rc = req_query_int(r, "customer_id", 0, &f->customer_id);
    f->status = req_query(r, "status");
    f->team = req_query(r, "team");
    return rc;
}

static int h_deals_list(struct req *r, struct resp *w)
{
    struct deal_filter f;
    int64_t limit, after;
    int rc = deal_query(r, &f);
    if (!rc)
        rc = limit_of(r, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &after);
    json_t *out = NULL;
    if (!rc)
        rc = deal_list(&r->c, &f, after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_customer_deals(struct req *r, struct resp *w)
{
    struct deal_filter f = {0};
    int64_t limit, after;
    f.customer_id = r->id;
    f.status = req_query(r, "status");
    int rc = limit_of(r, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &after);
    json_t *out = NULL;
    if (!rc)
        rc = deal_list(&r->c, &f, after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_deals_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = deal_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/deals", out);
}

static void etag(struct resp *w, const json_t *deal)
{
    snprintf(w->etag, sizeof(w->etag), "\"%lld\"",
             (long long)json_integer_value(json_object_get(deal, "version")));
}

static int h_deals_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = deal_get(&r->c, r->id, &out);
    if (rc)
        return rc;
    etag(w, out);
    return reply_json(w, 200, out);
}

static int h_deals_update(struct req *r, struct resp *w)
{
    const char *im = req_header(r, "If-Match");
    long long v = 0;
    if (im && sscanf(im, "\"%lld\"", &v) != 1 && sscanf(im, "%lld", &v) != 1)
        return err_set(&r->c.err, ERR_BADREQ, "If-Match", "send the ETag you read");
    json_t *out = NULL;
    int rc = deal_update(&r->c, r->id, r->body, v, &out);
    if (rc)
        return rc;
    etag(w, out);
    return reply_json(w, 200, out);
}

static int h_deals_move(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = deal_move(&r->c, r->id, r->body, &out);
    if (rc)
        return rc;
    etag(w, out);
    return reply_json(w, 200, out);
}

static int h_deals_reopen(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = deal_reopen(&r->c, r->id, r->body, &out);
    if (rc)
        return rc;
    etag(w, out);
    return reply_json(w, 200, out);
}

/* -------------------------------------------------------------------- leads */

static int h_leads_list(struct req *r, struct resp *w)
{
    int64_t limit;
    int rc = limit_of(r, &limit);
    json_t *out = NULL;
    if (!rc)
        rc = lead_list(&r->c, req_query(r, "status"), req_query(r, "cursor"), (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_leads_rescore(struct req *r, struct resp *w)
{
    int64_t n = 0;
    int rc = lead_rescore_all(&r->c, &n);
    return rc ? rc : reply_json(w, 200, json_pack("{s:I}", "rescored", (json_int_t)n));
}

static int h_leads_scoring_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = lead_scoring_get(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_leads_scoring_set(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = lead_scoring_set(&r->c, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_lead_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = lead_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_lead_status(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = lead_set_status(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_lead_convert(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = lead_convert(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

/* ------------------------------------------------------ objectives, forecast */

static int h_objectives_list(struct req *r, struct resp *w)
{
    int64_t uid;
    int rc = req_query_int(r, "user_id", 0, &uid);
    json_t *out = NULL;
    if (!rc)
        rc = objective_list(&r->c, uid, req_query(r, "team"), req_query(r, "period"), &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_objectives_set(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = objective_set(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/objectives", out);
}

static int h_objectives_delete(struct req *r, struct resp *w)
{
    int rc = objective_delete(&r->c, r->id);
    return rc ? rc : reply_json(w, 200, json_pack("{s:b}", "deleted", 1));
}

static int h_forecast(struct req *r, struct resp *w)
{
    struct forecast_query q = {0};
    q.period = req_query(r, "period");
    q.team = req_query(r, "team");
    q.currency = req_query(r, "currency");
    const char *owner = req_query(r, "owner_id");
    int rc = 0;
    if (owner && !strcmp(owner, "me"))
        q.owner_id = r->c.actor.user_id ? r->c.actor.user_id : -1;
    else
        rc = req_query_int(r, "owner_id", 0, &q.owner_id);
    if (!rc)
        rc = req_query_int(r, "pipeline_id", 0, &q.pipeline_id);
    json_t *out = NULL;
    if (!rc)
        rc = forecast_report(&r->c, &q, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_sales_report(struct req *r, struct resp *w)
{
    int64_t pid;
    int rc = req_query_int(r, "pipeline_id", 0, &pid);
    json_t *out = NULL;
    if (!rc)
        rc = sales_report(&r->c, req_query(r, "from"), req_query(r, "to"), pid, &out);
    return rc ? rc : reply_json(w, 200, out);
}

const struct route sales_routes[] = {
    {"GET", "/api/v1/pipelines", h_pipelines_list, STAFF, "sales", "Pipelines with their stages",
     NULL},
    {"POST", "/api/v1/pipelines", h_pipelines_create, LEADS, "sales",
     "Create a pipeline with ordered stages (name, probability, kind open|won|lost)",
     pipeline_fields},
    {"GET", "/api/v1/pipelines/{id}", h_pipelines_get, STAFF, "sales", "A pipeline", NULL},
    {"GET", "/api/v1/pipelines/{id}/board", h_pipelines_board, STAFF, "sales",
     "Kanban: each stage with count, amount, weighted amount and its deals (owner_id, per_stage)",
     NULL},
    {"POST", "/api/v1/pipelines/{id}/stages", h_stages_add, LEADS, "sales",
     "Add a stage (at position, default last)", stage_fields},
    {"PATCH", "/api/v1/pipelines/{id}/stages/{stage_id}", h_stages_update, LEADS, "sales",
     "Rename, reprice (probability) or move a stage", stage_fields},

    {"GET", "/api/v1/deals", h_deals_list, STAFF, "sales",
     "Deals, newest first (pipeline_id, stage_id, owner_id, customer_id, status, team, limit, "
     "cursor)",
     NULL},
    {"POST", "/api/v1/deals", h_deals_create, SELLERS, "sales",
     "Open a deal for a customer or organisation", deal_fields},
    {"GET", "/api/v1/deals/{id}", h_deals_get, STAFF, "sales",
     "A deal with its products and stage history (ETag)", NULL},
    {"PATCH", "/api/v1/deals/{id}", h_deals_update, SELLERS, "sales",
     "Change a deal's amount, close date, owner, products… (If-Match)", deal_fields},
    {"POST", "/api/v1/deals/{id}/stage", h_deals_move, SELLERS, "sales",
     "Move a deal to another stage of its pipeline; won/lost stages close it (reason)",
     deal_move_fields},
    {"POST", "/api/v1/deals/{id}/reopen", h_deals_reopen, LEADS, "sales",
     "Reopen a won or lost deal in an open stage (managers; reason required)", deal_move_fields},
    {"GET", "/api/v1/customers/{id}/deals", h_customer_deals, STAFF, "sales",
     "Deals of a customer (status, limit, cursor)", NULL},

    {"GET", "/api/v1/leads", h_leads_list, STAFF, "leads",
     "Leads by stored score, best first (status, limit, cursor)", NULL},
    {"POST", "/api/v1/leads/rescore", h_leads_rescore, LEADS, "leads",
     "Make every prospect a lead and rescore all open leads", NULL},
    {"GET", "/api/v1/leads/scoring", h_leads_scoring_get, STAFF, "leads",
     "Lead scoring rules in force (fit and behaviour)", NULL},
    {"PUT", "/api/v1/leads/scoring", h_leads_scoring_set, LEADS, "leads",
     "Replace the lead scoring rules", lead_scoring_fields},
    {"GET", "/api/v1/customers/{id}/lead", h_lead_get, STAFF, "leads",
     "The customer's lead record with its live score and breakdown", NULL},
    {"POST", "/api/v1/customers/{id}/lead", h_lead_status, SELLERS, "leads",
     "Qualify or disqualify a lead (status, reason)", lead_status_fields},
    {"POST", "/api/v1/customers/{id}/convert", h_lead_convert, SELLERS, "leads",
     "Convert a lead: open its deal and mark it converted", lead_convert_fields},

    {"GET", "/api/v1/objectives", h_objectives_list, STAFF, "forecast",
     "Objectives (user_id, team, period)", NULL},
    {"POST", "/api/v1/objectives", h_objectives_set, LEADS, "forecast",
     "Set the objective of a user, a team or the company for a month, quarter or year",
     objective_fields},
    {"DELETE", "/api/v1/objectives/{id}", h_objectives_delete, LEADS, "forecast",
     "Remove an objective", NULL},
    {"GET", "/api/v1/forecast", h_forecast, STAFF, "forecast",
     "Won + weighted open pipeline by expected close month against objectives (period "
     "YYYY-MM|YYYY-Qn|YYYY, owner_id (or me), team, pipeline_id, currency)",
     NULL},
    {"GET", "/api/v1/reports/sales", h_sales_report, STAFF, "forecast",
     "Win rate, average cycle, pipeline by stage and owner, activity per rep (from, to, "
     "pipeline_id)",
     NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
