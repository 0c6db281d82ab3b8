/* Routes of the rules engine: rules CRUD, enable/disable, firing logs,
 * webhook deliveries, the catalog, a run on demand, and the event log. */
#include <stdio.h>
#include <string.h>

#include "app/events.h"
#include "app/rule_mail.h"
#include "app/rules.h"
#include "app/rules_engine.h"
#include "app/webhook.h"
#include "http/handlers.h"

#define RULES_WRITE (ROLE_MARKETING | ROLE_MANAGER | ROLE_ADMIN | ROLE_SYSTEM)

static int page(struct req *r, int64_t *limit, int64_t *before)
{
    int rc = req_query_int(r, "limit", 50, limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, before);
    if (!rc && (*limit < 1 || *limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    return rc;
}

static int need_body(struct req *r)
{
    return r->body ? 0 : err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object is required");
}

static int h_rules_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = rule_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_rules_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = need_body(r);
    if (!rc)
        rc = rule_create(&r->c, r->body, &out);
    if (rc)
        return rc;
    snprintf(w->location, sizeof(w->location), "/api/v1/rules/%lld",
             (long long)json_integer_value(json_object_get(out, "id")));
    return reply_json(w, 201, out);
}

static int h_rules_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = rule_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_rules_update(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = need_body(r);
    if (!rc)
        rc = rule_update(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_rules_delete(struct req *r, struct resp *w)
{
    int rc = rule_delete(&r->c, r->id);
    return rc ? rc : reply_json(w, 200, json_pack("{s:b}", "deleted", 1));
}

static int h_rules_enable(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = rule_set_enabled(&r->c, r->id, 1, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_rules_disable(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = rule_set_enabled(&r->c, r->id, 0, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_rules_firings(struct req *r, struct resp *w)
{
    int64_t limit, before;
    json_t *out = NULL, *rule = NULL;
    int rc = page(r, &limit, &before);
    if (!rc)
        rc = rule_get(&r->c, r->id, &rule); /* 404 for an unknown rule */
    json_decref(rule);
    if (!rc)
        rc = rules_firings(&r->c, r->id, 0, before, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_rules_deliveries(struct req *r, struct resp *w)
{
    int64_t limit, before;
    json_t *out = NULL, *rule = NULL;
    int rc = page(r, &limit, &before);
    if (!rc)
        rc = rule_get(&r->c, r->id, &rule);
    json_decref(rule);
    if (!rc)
        rc = webhook_list(&r->c, r->id, before, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_customer_firings(struct req *r, struct resp *w)
{
    int64_t limit, before;
    json_t *out = NULL;
    int rc = page(r, &limit, &before);
    if (!rc)
        rc = rules_firings(&r->c, 0, r->id, before, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_rules_catalog(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = rules_catalog(&out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_rules_run(struct req *r, struct resp *w)
{
    struct rules_stats st = {0};
    int rc = rules_tick(&r->c, 1, &st);
    return rc ? rc : reply_json(w, 200, rules_stats_json(&st));
}

static int h_rules_messages(struct req *r, struct resp *w)
{
    int64_t limit, before, cid;
    int rc = page(r, &limit, &before);
    if (!rc)
        rc = req_query_int(r, "customer_id", 0, &cid);
    json_t *out = NULL;
    if (!rc)
        rc = rule_mail_list(&r->c, cid, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_events_list(struct req *r, struct resp *w)
{
    int64_t limit, before, cid;
    int rc = page(r, &limit, &before);
    if (!rc)
        rc = req_query_int(r, "customer_id", 0, &cid);
    const char *type = req_query(r, "type");
    if (!rc && type && strlen(type) > 63)
        rc = err_set(&r->c.err, ERR_BADREQ, "type", "too long");
    json_t *out = NULL;
    if (!rc)
        rc = events_list(&r->c, cid, type, before, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

const struct route rules_routes[] = {
    {"GET", "/api/v1/rules", h_rules_list, ROLES_STAFF, "rules",
     "Every rule, the shipped templates included, with run and firing counts", NULL},
    {"POST", "/api/v1/rules", h_rules_create, RULES_WRITE, "rules",
     "Create a rule (definition validated; errors name the JSON path; loops refused)", rule_fields},
    {"GET", "/api/v1/rules/catalog", h_rules_catalog, ROLES_STAFF, "rules",
     "Event types with their data fields, actions with their parameters, operators", NULL},
    {"POST", "/api/v1/rules/run", h_rules_run, RULES_WRITE, "rules",
     "Run the engine now: pending events, due waits, absences and schedules, webhooks", NULL},
    {"GET", "/api/v1/rules/messages", h_rules_messages, ROLES_STAFF, "rules",
     "E-mails sent by rule actions with their status (customer_id, limit)", NULL},
    {"GET", "/api/v1/rules/{id}", h_rules_get, ROLES_STAFF, "rules",
     "One rule with its webhook secret", NULL},
    {"PATCH", "/api/v1/rules/{id}", h_rules_update, RULES_WRITE, "rules",
     "Edit a rule (name, description, enabled, definition, webhook_secret)", rule_fields},
    {"DELETE", "/api/v1/rules/{id}", h_rules_delete, RULES_WRITE, "rules",
     "Delete a rule with its runs and firings", NULL},
    {"POST", "/api/v1/rules/{id}/enable", h_rules_enable, RULES_WRITE, "rules",
     "Switch a rule on (revalidated, loops refused)", NULL},
    {"POST", "/api/v1/rules/{id}/disable", h_rules_disable, RULES_WRITE, "rules",
     "Switch a rule off (waiting runs stay parked)", NULL},
    {"GET", "/api/v1/rules/{id}/firings", h_rules_firings, ROLES_STAFF, "rules",
     "Firing log of a rule, newest first (limit, cursor)", NULL},
    {"GET", "/api/v1/rules/{id}/deliveries", h_rules_deliveries, ROLES_STAFF, "rules",
     "Webhook deliveries of a rule with attempts and status (limit, cursor)", NULL},
    {"GET", "/api/v1/customers/{id}/firings", h_customer_firings, ROLES_STAFF, "rules",
     "Rule firings for a customer, newest first (limit, cursor)", NULL},
    {"GET", "/api/v1/events", h_events_list, ROLES_STAFF, "rules",
     "The event log, newest first (customer_id, type, limit, cursor)", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
