/* Routes of the satisfaction surveys: surveys, answers, invitations (also
 * the public answer link with its token), CSAT after a ticket, results.
 * Thin: parse → app/surveys.c → reply. */
#include <stdio.h>

#include "app/surveys.h"
#include "http/handlers.h"

#define STAFF ROLES_STAFF
#define WRITE ROLES_WRITE
#define DESIGN (ROLE_ADMIN | ROLE_MANAGER | ROLE_MARKETING | ROLE_SYSTEM)
#define JOBS (ROLE_ADMIN | ROLE_MANAGER | ROLE_SYSTEM)

static const struct field response_fields[] = {
    {"customer_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"answers", FT_OBJECT, FF_REQUIRED, 20000, NULL, NULL,
     "CSAT/NPS: {score, comment}; custom: {question key: answer, comment}"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const struct field token_answer_fields[] = {
    {"answers", FT_OBJECT, FF_REQUIRED, 20000, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int h_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = survey_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, survey_fields, 0);
    if (!rc)
        rc = survey_create(&r->c, r->body, &out);
    if (rc)
        return rc;
    snprintf(w->location, sizeof(w->location), "/api/v1/surveys/%lld",
             (long long)json_integer_value(json_object_get(out, "id")));
    return reply_json(w, 201, out);
}

static int h_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = survey_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_close(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = survey_close(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_answer(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, response_fields, 0);
    if (!rc)
        rc =
            survey_answer(&r->c, r->id, json_integer_value(json_object_get(r->body, "customer_id")),
                          json_object_get(r->body, "answers"), &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_responses(struct req *r, struct resp *w)
{
    int64_t limit, before;
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &before);
    if (!rc && (limit < 1 || limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    json_t *out = NULL;
    if (!rc)
        rc = survey_responses(&r->c, r->id, before, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_results(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = survey_results(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_invite(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, survey_invite_fields, 0);
    if (!rc)
        rc = survey_invite(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_ticket(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, survey_ticket_fields, 0);
    if (!rc)
        rc = survey_invite_ticket(&r->c, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_ticket_sync(struct req *r, struct resp *w)
{
    int n = 0;
    int rc = survey_invite_resolved(&r->c, &n);
    return rc ? rc : reply_json(w, 200, json_pack("{s:i}", "invited", n));
}

static int h_customer(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = survey_customer(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_token_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = survey_by_token(&r->c, r->params[0], &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_token_answer(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, token_answer_fields, 0);
    if (!rc)
        rc = survey_answer_token(&r->c, r->params[0], json_object_get(r->body, "answers"), &out);
    if (rc)
        return rc;
    /* the public link learns only that its answer was recorded */
    json_t *ack = json_pack("{s:O,s:s}", "id", json_object_get(out, "id"), "status", "recorded");
    json_decref(out);
    return reply_json(w, 201, ack);
}

const struct route surveys_routes[] = {
    {"GET", "/api/v1/surveys", h_list, STAFF, "surveys", "Surveys (CSAT, NPS, custom)", NULL},
    {"POST", "/api/v1/surveys", h_create, DESIGN, "surveys", "Create a CSAT, NPS or custom survey",
     survey_fields},
    {"POST", "/api/v1/surveys/ticket-csat", h_ticket, WRITE, "surveys",
     "Invite a ticket's customer to the ticket satisfaction (CSAT) survey", survey_ticket_fields},
    {"POST", "/api/v1/surveys/ticket-csat/sync", h_ticket_sync, JOBS, "surveys",
     "Invite the customers of tickets resolved since the last run (reads ticket.resolved)", NULL},
    {"GET", "/api/v1/surveys/{id}", h_get, STAFF, "surveys", "A survey", NULL},
    {"POST", "/api/v1/surveys/{id}/close", h_close, DESIGN, "surveys", "Close a survey", NULL},
    {"POST", "/api/v1/surveys/{id}/responses", h_answer, WRITE, "surveys",
     "Record a customer's answers (once per customer, or per invitation)", response_fields},
    {"GET", "/api/v1/surveys/{id}/responses", h_responses, STAFF, "surveys",
     "Responses, newest first (limit, cursor)", NULL},
    {"GET", "/api/v1/surveys/{id}/results", h_results, STAFF, "surveys",
     "Results: responses, mean, CSAT (% 4-5) or NPS, distribution", NULL},
    {"POST", "/api/v1/surveys/{id}/invitations", h_invite, WRITE, "surveys",
     "Invite a customer: a survey link with a secret token", survey_invite_fields},
    {"GET", "/api/v1/customers/{id}/surveys", h_customer, STAFF, "surveys",
     "A customer's survey responses and attitudes (satisfaction, NPS, repurchase intention)", NULL},
    {"GET", "/api/v1/survey-invitations/{token}", h_token_get, 0, "surveys",
     "The survey behind an invitation link (public; the token is the credential)", NULL},
    {"POST", "/api/v1/survey-invitations/{token}/answers", h_token_answer, 0, "surveys",
     "Answer through an invitation link, once (public)", token_answer_fields},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
