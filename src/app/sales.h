/*
 * Sales force automation (seed 002): pipelines with ordered stages and
 * default win probabilities, deals (amount, currency, expected close date,
 * owner, source, products) moving through them with a full stage history,
 * won and lost reasons. Deals appear on the customer's 360° timeline and
 * emit deal.stage_changed, deal.won and deal.lost.
 */
#ifndef APP_SALES_H
#define APP_SALES_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

#define STAGE_KINDS "open|won|lost"
#define DEAL_STATUSES "open|won|lost"

extern const struct field pipeline_fields[];
extern const struct field stage_fields[];
extern const struct field deal_fields[];
extern const struct field deal_move_fields[];

/* A pipeline with its stages: {name, currency?, stages:[{name, probability,
 * kind?}]}; stages keep the order given, at least one open stage. */
int pipeline_create(struct ctx *c, const json_t *in, json_t **out);
/* {id, name, currency, is_default, stages:[{id, position, name, probability,
 * kind}]} */
int pipeline_get(struct ctx *c, int64_t id, json_t **out);
int pipeline_list(struct ctx *c, json_t **out);
/* Appends a stage (or inserts it at "position", shifting the others). */
int pipeline_add_stage(struct ctx *c, int64_t pipeline_id, const json_t *in, json_t **out);
/* Renames a stage, changes its default probability or its position. The
 * kind of a stage that holds deals cannot change. */
int pipeline_update_stage(struct ctx *c, int64_t pipeline_id, int64_t stage_id, const json_t *in,
                          json_t **out);
/* The kanban: each stage with its count, amount, weighted amount and the
 * first per_stage deals (newest first); owner_id 0 = all owners. */
int pipeline_board(struct ctx *c, int64_t id, int64_t owner_id, int per_stage, json_t **out);

/* Creates a deal in an open stage (default: the pipeline's first). Default
 * pipeline, the pipeline's currency, the stage's probability, the acting
 * user as owner. amount_minor >= 0 (default: the sum of the products). */
int deal_create(struct ctx *c, const json_t *in, json_t **out);
/* The deal with its products and stage history. */
int deal_get(struct ctx *c, int64_t id, json_t **out);
/* Changes the fields sent (not the stage: deal_move). if_version > 0 must
 * match the stored version (ERR_CONFLICT otherwise). A sales rep changes
 * only deals they own (or nobody owns). */
int deal_update(struct ctx *c, int64_t id, const json_t *in, int64_t if_version, json_t **out);
/* Moves an open deal to stage_id of its own pipeline, with a reason (required
 * for a lost stage). Entering a won or lost stage closes the deal for good
 * (ERR_CONFLICT on a later move). Records the history row and emits
 * deal.stage_changed {deal_id, pipeline_id, from_stage_id, stage_id, stage,
 * kind, amount_minor, currency, probability} and, on closing, deal.won or
 * deal.lost {deal_id, amount_minor, currency, reason}. */
int deal_move(struct ctx *c, int64_t id, const json_t *in, json_t **out);

/* Reopens a won or lost deal (managers: the route's roles) in an open stage
 * of its pipeline, with a reason; history row, events deal.reopened and
 * deal.stage_changed. ERR_CONFLICT when it is open. */
int deal_reopen(struct ctx *c, int64_t id, const json_t *in, json_t **out);

struct deal_filter {
    int64_t pipeline_id, stage_id, owner_id, customer_id;
    const char *status; /* open|won|lost */
    const char *team;
};
/* Deals newest first, keyset on id. */
int deal_list(struct ctx *c, const struct deal_filter *f, int64_t after, int limit, json_t **out);

/* Demo data (app/sales_demo.c): a B2B pipeline, a few hundred deals over
 * the first organisations and persons with their stage history, tasks and
 * a yearly company objective. Deterministic for a seed; inside the caller's
 * transaction. */
int sales_demo_seed(struct ctx *c, uint64_t seed);

#endif
