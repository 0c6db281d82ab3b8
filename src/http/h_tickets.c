/* Routes of the service desk: tickets and their conversation, teams, SLA
 * calendars and policies, the breach sweep, and the support mailbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/kb.h"
#include "app/sla.h"
#include "app/tickets.h"
#include "http/handlers.h"

#define STAFF ROLES_STAFF
/* who works tickets: agents, their leads, sales for their customers */
#define DESK (ROLE_SUPPORT | ROLE_SALES | ROLE_MANAGER | ROLE_ADMIN | ROLE_SYSTEM)
#define LEADS (ROLE_ADMIN | ROLE_MANAGER | ROLE_SYSTEM)

static const struct field member_fields[] = {
    {"user_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int created(struct resp *w, const char *base, json_t *out)
{
    snprintf(w->location, sizeof(w->location), "%s/%lld", base,
             (long long)json_integer_value(json_object_get(out, "id")));
    return reply_json(w, 201, out);
}

static int h_tickets_list(struct req *r, struct resp *w)
{
    int64_t limit, team, assignee, customer, breached;
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "team_id", 0, &team);
    if (!rc)
        rc = req_query_int(r, "assignee_id", 0, &assignee);
    if (!rc)
        rc = req_query_int(r, "customer_id", 0, &customer);
    if (!rc)
        rc = req_query_int(r, "breached", 0, &breached);
    if (!rc && (limit < 1 || limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    const char *mine = req_query(r, "mine");
    if (!rc && mine && !strcmp(mine, "1"))
        assignee = r->c.actor.user_id;
    struct ticket_filter f = {.status = req_query(r, "status"),
                              .kind = req_query(r, "kind"),
                              .team_id = team,
                              .assignee_id = assignee,
                              .customer_id = customer,
                              .breached = breached != 0,
                              .cursor = req_query(r, "cursor"),
                              .limit = (int)limit};
    json_t *out = NULL;
    if (!rc)
        rc = ticket_list(&r->c, &f, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_tickets_create(struct req *r, struct resp *w)
{
    int rc = req_body(r, ticket_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = ticket_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/tickets", out);
}

static int h_tickets_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = ticket_get(&r->c, r->id, 1, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_tickets_update(struct req *r, struct resp *w)
{
    int rc = req_body(r, ticket_update_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = ticket_update(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_tickets_reply(struct req *r, struct resp *w)
{
    int rc = req_body(r, ticket_message_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = ticket_reply(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_tickets_suggest(struct req *r, struct resp *w)
{
    int64_t limit;
    int rc = req_query_int(r, "limit", 5, &limit);
    json_t *out = NULL;
    if (!rc)
        rc = kb_suggest_for_ticket(&r->c, r->id, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_teams_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = team_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_teams_create(struct req *r, struct resp *w)
{
    int rc = req_body(r, team_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = team_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/teams", out);
}

static int h_teams_member(struct req *r, struct resp *w)
{
    int rc = req_body(r, member_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = team_add_member(&r->c, r->id, json_integer_value(json_object_get(r->body, "user_id")),
                             &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_calendars_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = sla_calendar_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_calendars_create(struct req *r, struct resp *w)
{
    int rc = req_body(r, sla_calendar_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = sla_calendar_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/sla/calendars", out);
}

static int h_policies_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = sla_policy_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_policies_create(struct req *r, struct resp *w)
{
    int rc = req_body(r, sla_policy_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = sla_policy_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/sla/policies", out);
}

static int h_sla_sweep(struct req *r, struct resp *w)
{
    int64_t n = 0;
    int rc = sla_sweep(&r->c, &n);
    return rc ? rc : reply_json(w, 200, json_pack("{s:I}", "breaches", (json_int_t)n));
}

static int h_mail_fetch(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = ticket_mail_fetch(&r->c, NULL, &out);
    return rc ? rc : reply_json(w, 200, out);
}

const struct route tickets_routes[] = {
    {"GET", "/api/v1/tickets", h_tickets_list, STAFF, "tickets",
     "Ticket queue, nearest SLA due time first (status incl. active, kind, team_id, "
     "assignee_id, mine=1, customer_id, breached=1, limit, cursor)",
     NULL},
    {"POST", "/api/v1/tickets", h_tickets_create, DESK, "tickets",
     "Open a ticket (assigns round-robin teams, starts the SLA clocks, emits ticket.opened)",
     ticket_fields},
    {"GET", "/api/v1/tickets/{id}", h_tickets_get, STAFF, "tickets",
     "A ticket with its SLA state and conversation", NULL},
    {"PATCH", "/api/v1/tickets/{id}", h_tickets_update, DESK, "tickets",
     "Change status (workflow checked; waiting pauses the SLA clock; resolved emits "
     "ticket.resolved), priority, kind, team or assignee",
     ticket_update_fields},
    {"POST", "/api/v1/tickets/{id}/messages", h_tickets_reply, DESK, "tickets",
     "Reply to the customer (sent by e-mail) or add an internal note", ticket_message_fields},
    {"GET", "/api/v1/tickets/{id}/suggestions", h_tickets_suggest, STAFF, "kb",
     "Knowledge-base articles suggested from the ticket's text (limit)", NULL},
    {"GET", "/api/v1/teams", h_teams_list, STAFF, "tickets", "Service teams with their members",
     NULL},
    {"POST", "/api/v1/teams", h_teams_create, LEADS, "tickets",
     "Create a team (manual or round-robin assignment, escalation team)", team_fields},
    {"POST", "/api/v1/teams/{id}/members", h_teams_member, LEADS, "tickets",
     "Add a member to a team", member_fields},
    {"GET", "/api/v1/sla/calendars", h_calendars_list, STAFF, "sla", "Business-hours calendars",
     NULL},
    {"POST", "/api/v1/sla/calendars", h_calendars_create, LEADS, "sla",
     "Create a business-hours calendar (weekly hours, UTC offset, holidays)", sla_calendar_fields},
    {"GET", "/api/v1/sla/policies", h_policies_list, STAFF, "sla", "SLA policies", NULL},
    {"POST", "/api/v1/sla/policies", h_policies_create, LEADS, "sla",
     "Create an SLA policy (first-response and resolution targets by kind and priority)",
     sla_policy_fields},
    {"POST", "/api/v1/sla/sweep", h_sla_sweep, LEADS, "sla",
     "Detect SLA breaches now: flag, escalate, emit sla.breached", NULL},
    {"POST", "/api/v1/mail/fetch", h_mail_fetch, LEADS, "tickets",
     "Read new mail from the support mailbox (RELATIO_IMAP_URL) into tickets", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
