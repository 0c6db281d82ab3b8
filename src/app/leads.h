/*
 * Leads: qualification of a prospect (new → contacted → qualified or
 * disqualified → converted), its conversion into a deal, and lead scoring:
 * fit points from profile fields plus behaviour points from recent
 * interactions and events, by a configurable rule set kept in settings.
 */
#ifndef APP_LEADS_H
#define APP_LEADS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

#define LEAD_STATUSES "new|contacted|qualified|disqualified|converted"

extern const struct field lead_scoring_fields[];
extern const struct field lead_status_fields[];
extern const struct field lead_convert_fields[];

/* The scoring rules in force (the stored ones or the defaults). */
int lead_scoring_get(struct ctx *c, json_t **out);
/* Replaces the rules (validated against lead_scoring_fields). */
int lead_scoring_set(struct ctx *c, const json_t *in, json_t **out);

/* Pure: the score of a profile under config. counts[i] is the number of
 * occurrences of behaviour rule i in the window. *out gets {fit, behaviour,
 * score, grade, fit_rules:[{field, points}], behaviour_rules:[...]}. */
json_t *lead_score_compute(const json_t *config, const json_t *profile, const int64_t *counts,
                           size_t ncounts);

/* The lead of a customer, scored now and stored: {customer_id, status,
 * reason, fit, behaviour, score, grade, breakdown…}. Creates the lead record
 * (status new) on first use. */
int lead_get(struct ctx *c, int64_t customer_id, json_t **out);
/* Qualification: {status, reason}; disqualified needs a reason, a converted
 * lead changes no more (ERR_CONFLICT). Emits lead.qualified /
 * lead.disqualified. */
int lead_set_status(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out);
/* Conversion: creates the deal described by in (deal_fields without
 * customer_id) and marks the lead converted; emits lead.converted
 * {deal_id}. A disqualified lead must be requalified first. */
int lead_convert(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out);
/* Leads by score (best first), status filter; keyset by (score, id) in an
 * opaque cursor "score.id". */
int lead_list(struct ctx *c, const char *status, const char *cursor, int limit, json_t **out);
/* Rescores every lead not converted; *n gets how many. */
int lead_rescore_all(struct ctx *c, int64_t *n);
/* Called by deal_move inside its transaction when a deal is won. */
int lead_converted_by_deal(struct ctx *c, int64_t customer_id, int64_t deal_id);

#endif
