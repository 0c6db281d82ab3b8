/*
 * Segments: saved customer filters written in the segment language
 * (analytics/segexpr.h, docs/segments.md), evaluated over an in-memory column
 * store of customer fields and scores (not SQL per customer); static lists;
 * membership kept in segment_members and kept current by segments_refresh,
 * which emits segment.entered / segment.left events for the rules engine.
 */
#ifndef APP_SEGMENTS_H
#define APP_SEGMENTS_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

/* Body of POST/PATCH /segments: name, description, kind (dynamic|static),
 * expr (dynamic: the filter; static: fills the list once). */
extern const struct field segment_fields[];
/* Body of POST /segments/count: {"expr": "..."} */
extern const struct field segment_count_fields[];

/* Progress of a long evaluation (column load, scores): may be NULL. */
typedef void (*segment_progress_fn)(const char *stage, double frac, void *arg);

/*
 * The customers of a segment, as sorted ascending ids (caller frees *ids).
 * A dynamic segment is evaluated now (fresh, not the stored membership), a
 * static list read from its members. ERR_NOTFOUND when there is no segment.
 */
int segment_members(struct ctx *c, int64_t segment_id, int64_t **ids, size_t *n);

/* Number of customers matching a draft expression now. ERR_INVALID with
 * c->err.field "expr" and a message "at byte N: ..." when the expression is
 * malformed or mistyped. */
int segment_count_expr(struct ctx *c, const char *expr, int64_t *count);

/* Count and summed net revenue (major units) of the customers matching an
 * expression now. Errors as segment_count_expr. */
int segment_expr_stats(struct ctx *c, const char *expr, int64_t *count, double *revenue);

/* The customers matching an expression now, sorted ascending ids (caller
 * frees *ids). Errors as segment_count_expr. */
int segment_eval_expr(struct ctx *c, const char *expr, int64_t **ids, size_t *n,
                      segment_progress_fn progress, void *arg);

/* CRUD. Dynamic segments get their membership computed at creation (no
 * events for that first fill); static lists take customer_ids. Names are
 * unique (ERR_EXISTS). Targeting groups are segments with a "group" key:
 * their expression may be edited, they cannot be deleted (ERR_CONFLICT). */
int segment_create(struct ctx *c, const json_t *in, json_t **out);
int segment_get(struct ctx *c, int64_t id, json_t **out);
/* {"items": [...]} every segment (a few hundred at most), by name. */
int segment_list(struct ctx *c, json_t **out);
int segment_update(struct ctx *c, int64_t id, const json_t *in, json_t **out);
int segment_delete(struct ctx *c, int64_t id);
/* A segment by id ("12") or by name. */
int segment_find(struct ctx *c, const char *id_or_name, int64_t *id);

/* A page of the stored membership, ascending customer id after the cursor:
 * {"items": [{id, display_name, email, lifecycle, ...}], "next_cursor"}. */
int segment_members_page(struct ctx *c, int64_t id, int64_t after, int limit, json_t **out);
/* Summary rows ({id, kind, display_name, email, city, country, lifecycle,
 * orders_count, revenue_minor, last_order_at}) of n customer ids, in order,
 * as a JSON array in *out (caller owns it). */
int segment_member_rows(struct ctx *c, const int64_t *ids, size_t n, json_t **out);

/* Adds (on = 1) or removes the customers of the JSON array customer_ids
 * to or from a static list; emits entered/left for real changes. */
int segment_list_members(struct ctx *c, int64_t id, const json_t *customer_ids, int on,
                         json_t **out);

/*
 * Brings stored memberships up to date: consumes the event log (consumer
 * "segments") and re-evaluates every dynamic segment when something
 * happened or when the last evaluation is older than the period
 * (settings key segments_refresh_seconds, default 300; force = 1 always),
 * writing the differences and emitting segment.entered / segment.left
 * (customer_id, subject "segment", data {"segment": name}) in the same
 * transaction. *changed (may be NULL) gets the number of entries and exits.
 */
int segments_refresh(struct ctx *c, int force, int64_t *changed);

/* A background thread that calls segments_refresh (force 0) every
 * interval_ms, first after one interval, on its own connection: the periodic
 * re-evaluation of a running server. RELATIO_SEGMENT_REFRESH (seconds)
 * overrides interval_ms; 0 starts nothing. Stop joins it. */
int segments_scheduler_start(struct app *a, int interval_ms);
void segments_scheduler_stop(void);

/* The fields the language knows, with types and values, for the builder:
 * {"fields": [{"name", "type", "values"?, "doc"}]}. */
int segment_fields_json(struct ctx *c, json_t **out);

#endif
