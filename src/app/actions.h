/*
 * The actions a rule can take, as one table: each names its parameters (a
 * field table, so definitions are validated strictly and documented), the
 * event it emits (for loop detection) and the function that does it through
 * the owning service (customers, tasks, webhooks...).
 */
#ifndef APP_ACTIONS_H
#define APP_ACTIONS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

/* What an action knows about the run that calls it. */
struct action_env {
    int64_t rule_id, run_id, customer_id;
    const char *rule_name;
    int depth;             /* of the triggering event: events emitted get depth + 1 */
    const json_t *context; /* {"event":{"type","data",...}} for {{event.data.x}} */
};

struct action_def {
    const char *name;
    const struct field *params; /* the step object's fields, "action" included */
    const char *emits;          /* event type it appends to the log, or NULL */
    /* Runs inside the caller's transaction; *detail (may stay NULL, caller
     * frees) says what was done, for the firing log. */
    int (*run)(struct ctx *c, const struct action_env *env, const json_t *step, char **detail);
    const char *doc;
};

/* The table, ending with a NULL name. */
extern const struct action_def action_defs[];

/* The action called name, or NULL. */
const struct action_def *action_find(const char *name);

/* Expands {{event.data.x}}, {{event.type}}, {{customer.id}} and {{rule.name}}
 * in s from env. Caller frees. Unknown placeholders become "". */
char *action_expand(const struct action_env *env, const char *s);

/* Data of events emitted by actions carry "rule_id" and "depth". */
#define RULES_DEPTH_KEY "depth"

#endif
