/* Audit log (see audit.h). */
#include "app/audit.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"
#include "util/timeu.h"

int audit_record(struct ctx *c, const char *action, const char *entity, int64_t entity_id,
                 const json_t *before, const json_t *after)
{
    char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO audit_log(at, user_id, actor, action, entity, entity_id, "
                       "before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       "iIsssiss", time_now(), c->actor.user_id ? c->actor.user_id : INT64_MIN,
                       c->actor.email, action, entity, entity_id, b, a);
    free(b);
    free(a);
    return rc;
}

int audit_list(struct ctx *c, const char *entity, int64_t entity_id, int64_t before_id, int limit,
               json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, at, user_id, actor, action, entity, entity_id, before_json, "
                         "after_json FROM audit_log WHERE (? IS NULL OR entity = ?) AND (? = 0 OR "
                         "entity_id = ?) AND id < ? ORDER BY id DESC LIMIT ?",
                         "ssiiii", entity, entity, entity_id, entity_id,
                         before_id > 0 ? before_id : INT64_MAX, (int64_t)limit + 1);
    if (rc)
        return rc;
    json_t *items = json_array();
    int64_t last = 0;
    int n = 0;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (n++ == limit)
            break;
        char ts[TIME_BUF];
        last = stmt_int(s, 0);
        json_t *b = stmt_text(s, 7) ? json_loads(stmt_text(s, 7), 0, NULL) : NULL;
        json_t *a = stmt_text(s, 8) ? json_loads(stmt_text(s, 8), 0, NULL) : NULL;
        json_array_append_new(
            items, json_pack("{s:I,s:s,s:o,s:s,s:s,s:s,s:I,s:o,s:o}", "id", (json_int_t)last, "at",
                             time_format(stmt_int(s, 1), ts, sizeof(ts)), "user_id",
                             stmt_isnull(s, 2) ? json_null() : json_integer(stmt_int(s, 2)),
                             "actor", stmt_text(s, 3), "action", stmt_text(s, 4), "entity",
                             stmt_text(s, 5), "entity_id", (json_int_t)stmt_int(s, 6), "before",
                             b ? b : json_null(), "after", a ? a : json_null()));
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    char cur[32];
    snprintf(cur, sizeof(cur), "%lld", (long long)last);
    *out = json_pack("{s:o,s:o}", "items", items, "next_cursor",
                     n > limit ? json_string(cur) : json_null());
    return 0;
}
