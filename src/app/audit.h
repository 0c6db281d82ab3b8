/*
 * The audit log of changes to personal data: who, when, what, before and
 * after. Append-only (the schema refuses updates and deletes).
 */
#ifndef APP_AUDIT_H
#define APP_AUDIT_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"

/* Records one change by c->actor inside the caller's transaction. before and
 * after may be NULL (create / delete); they are not consumed. */
int audit_record(struct ctx *c, const char *action, const char *entity, int64_t entity_id,
                 const json_t *before, const json_t *after);

/* Lists entries for an entity (entity_id 0: all), newest first, keyset on id.
 * *out gets {"items":[…],"next_cursor":…}. */
int audit_list(struct ctx *c, const char *entity, int64_t entity_id, int64_t before_id, int limit,
               json_t **out);

#endif
