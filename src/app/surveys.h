/*
 * Satisfaction surveys: CSAT (1..5), NPS (0..10) and custom questionnaires.
 * Answers are stored as responses (survey_responses: the table the KPIs
 * read) and as attitudinal data on the customer (satisfaction, NPS,
 * repurchase intention in customer_attitudes). Each answer emits
 * survey.answered {survey_id, kind, score, scale_max, response_id} in the
 * same transaction, so rules can react (a bad score flags the customer at
 * risk).
 *
 * Invitations carry a secret token (a survey link sent by a campaign, a rule,
 * or after a resolved ticket) and are answered once.
 *
 * Functions return 0 or a negative error kind with c->err filled; *out is
 * owned by the caller.
 */
#ifndef APP_SURVEYS_H
#define APP_SURVEYS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

extern const struct field survey_fields[];
extern const struct field survey_invite_fields[];
extern const struct field survey_ticket_fields[];

int survey_create(struct ctx *c, const json_t *in, json_t **out);
int survey_get(struct ctx *c, int64_t id, json_t **out);
int survey_list(struct ctx *c, json_t **out);
/* Closes a survey: no more answers (ERR_CONFLICT). */
int survey_close(struct ctx *c, int64_t id, json_t **out);

/* Records a customer's answers. CSAT/NPS: {"score": n, "comment": "..."};
 * custom: {"<question key>": value, ...}. The answer fills the customer's
 * oldest open invitation to this survey when there is one; otherwise a
 * customer answers a survey once (ERR_EXISTS the second time). Scores out
 * of scale, unknown keys and missing required answers are ERR_INVALID naming
 * the answer; nothing is written then. *out gets the response. */
int survey_answer(struct ctx *c, int64_t survey_id, int64_t customer_id, const json_t *answers,
                  json_t **out);

/* Creates an invitation (in: customer_id, optional ticket_id, channel);
 * *out gets it with its token (shown once). */
int survey_invite(struct ctx *c, int64_t survey_id, const json_t *in, json_t **out);
/* The CSAT invitation for a resolved ticket (in: ticket_id, customer_id), to
 * the built-in "ticket satisfaction" survey; ERR_EXISTS if already invited. */
int survey_invite_ticket(struct ctx *c, const json_t *in, json_t **out);
/* Reads ticket.resolved events (consumer "surveys.ticket_csat") and invites
 * each ticket's customer. *n (may be NULL) gets the number invited. */
int survey_invite_resolved(struct ctx *c, int *n);
/* The survey behind an invitation token (for the answer form). */
int survey_by_token(struct ctx *c, const char *token, json_t **out);
/* Answers through an invitation token; ERR_EXISTS when already answered. */
int survey_answer_token(struct ctx *c, const char *token, const json_t *answers, json_t **out);

/* Results: count, mean, CSAT (share of 4-5 of 5), NPS (promoters minus
 * detractors, in points), distribution of scores. */
int survey_results(struct ctx *c, int64_t id, json_t **out);
/* A customer's responses and attitudes. */
int survey_customer(struct ctx *c, int64_t customer_id, json_t **out);
/* Responses of a survey, newest first, keyset on id. */
int survey_responses(struct ctx *c, int64_t id, int64_t before_id, int limit, json_t **out);

#endif
