/*
 * Merging two records of one customer, and undoing it.
 *
 * The survivor keeps its id; every record that points at the duplicate
 * (any column of the schema with a foreign key to customers: orders,
 * interactions, tickets, deals, points, tags, addresses...) moves to the
 * survivor; the duplicate stays as a tombstone (merged_into). Field values
 * follow survivorship rules per group of fields (most recent, most
 * complete, most trusted source), overridable per field. Consents merge to
 * the most restrictive: the consent ledger is append-only, so the merge
 * appends the decisions the survivor lacks (a withdrawal always wins).
 *
 * Everything moved is written to the merge record, so an undo puts every
 * row back as it was (tables other than the append-only ledgers – audit
 * log, consents, events – and the merge log itself have the same checksum
 * after merge + undo as before).
 */
#ifndef APP_MERGE_H
#define APP_MERGE_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"

/* Merges duplicate into survivor. fields (may be NULL) overrides the rules:
 * {"birth_date": "duplicate", "email": "survivor"}. *out gets the merge
 * record summary {"id","survivor_id","duplicate_id","fields":{...},
 * "moved":{"orders":3,...}}. */
int customer_merge(struct ctx *c, int64_t survivor, int64_t duplicate, const json_t *fields,
                   json_t **out);

/* Undoes merge id. ERR_CONFLICT when already undone or when the survivor
 * changed since (its later changes would be lost). */
int merge_undo(struct ctx *c, int64_t id, json_t **out);

/* Merges involving a customer (0: all), newest first. */
int merge_list(struct ctx *c, int64_t customer_id, int limit, json_t **out);

/* The merge rule of each group of fields, from settings (merge_rule.<group>),
 * as {"identity":"most_trusted",...}. */
json_t *merge_rules(struct ctx *c);

#endif
