/*
 * Objectives (quotas) per user, team or the whole company and period, the
 * forecast (won + open pipeline weighted by probability, by expected close
 * month, against objectives) and the sales reports (win rate, cycle length,
 * pipeline by stage and owner, activity per rep).
 */
#ifndef APP_FORECAST_H
#define APP_FORECAST_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

extern const struct field objective_fields[];

/* Sets the objective of a scope (user_id, team, or neither: the company) for
 * a period "YYYY-MM", "YYYY-Qn" or "YYYY" (replacing the same one). */
int objective_set(struct ctx *c, const json_t *in, json_t **out);
/* Objectives, optionally of one user or team and overlapping a period. */
int objective_list(struct ctx *c, int64_t user_id, const char *team, const char *period,
                   json_t **out);
int objective_delete(struct ctx *c, int64_t id);

struct forecast_query {
    const char *period;   /* required: YYYY-MM, YYYY-Qn or YYYY */
    int64_t owner_id;     /* 0: all */
    const char *team;     /* NULL: all */
    int64_t pipeline_id;  /* 0: all */
    const char *currency; /* NULL: the configured default */
};

/* {period, currency, scope, months:[{month, won_minor, pipeline_minor,
 * weighted_minor, forecast_minor, objective_minor, won_deals, open_deals}],
 * total:{…, attainment, forecast_attainment, gap_minor}, other_currencies}.
 * The objective is the scope's own: the owner's, the team's, or the
 * company's when neither is given. */
int forecast_report(struct ctx *c, const struct forecast_query *q, json_t **out);

/* Sales report over [from, to] (YYYY-MM-DD, inclusive): win rate, average
 * cycle length of won deals (days from creation to close), open pipeline by
 * stage and by owner, activity per rep (tasks done by kind, interactions
 * logged). pipeline_id 0: all. */
int sales_report(struct ctx *c, const char *from, const char *to, int64_t pipeline_id,
                 json_t **out);

#endif
