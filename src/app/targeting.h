/*
 * Targeting (DOMAIN.md "Targeting", seed 002): the seed's target groups
 * (best, high potential, lead, new, inactive, unhappy, former) and the
 * loyalty x profitability quadrants, each a segment whose expression is
 * stored as data (migration 0040, editable through the segments API), with
 * live counts and revenue, and the matrix's own summary.
 */
#ifndef APP_TARGETING_H
#define APP_TARGETING_H
#include <jansson.h>

#include "app/app.h"

/*
 * {"groups": [{"key", "segment_id", "name", "description", "expr", "count",
 * "revenue", "kind": "group"|"matrix"}], "matrix": the summary of
 * analytics_matrix (thresholds, per-quadrant counts and revenue) or null when
 * there are no transactions}. Customer lists: GET /segments/{segment_id}/members.
 * A group whose expression fails to compile is listed with "error" instead
 * of counts. Caller owns *out.
 */
int targeting_groups(struct ctx *c, json_t **out);

#endif
