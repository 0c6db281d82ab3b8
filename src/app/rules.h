/*
 * Rules as data: the JSON definition language (trigger → conditions →
 * steps of actions and waits), its strict validation with errors naming the
 * JSON path, loop detection, the catalog of event types, and the CRUD of the
 * rules table (shipped templates are rows like any other). Evaluation lives
 * in rules_engine.h, actions in actions.h. Reference: docs/rules.md.
 */
#ifndef APP_RULES_H
#define APP_RULES_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

/* Body of POST /api/v1/rules and PATCH (all optional there). */
extern const struct field rule_fields[];

/* An event type rules may listen to, with the keys of its data object
 * ("a|b|c") and who emits it. */
struct event_type {
    const char *type;
    const char *fields;
    const char *doc;
};
extern const struct event_type rule_event_types[];
const struct event_type *rule_event_type(const char *type);

/* Customer attributes conditions may test ("customer.<name>"). */
#define RULE_CUSTOMER_FIELDS                                                                       \
    "kind|lifecycle|orders_count|revenue_minor|tags|flags|interests|email|team|owner_id"

/* Events after this many rule-caused hops do not trigger rules (the run is
 * recorded as "cut"): a backstop behind the refusal of loops at save time. */
#define RULES_MAX_DEPTH 4

/* Validates a definition; self_id is the rule being saved (0: new). On
 * error ERR_INVALID with c->err.field the JSON path ("definition.steps[2].
 * action"). A definition whose actions emit an event that re-triggers the
 * same chain of enabled rules is refused (checked when enabled is set). */
int rule_validate(struct ctx *c, const json_t *def, int64_t self_id, int enabled);

/* The event type a valid definition's trigger listens to, or NULL for
 * scheduled triggers (absence, schedule). */
const char *rule_trigger_event(const json_t *def);

int rule_create(struct ctx *c, const json_t *in, json_t **out);
/* One rule with its webhook secret. */
int rule_get(struct ctx *c, int64_t id, json_t **out);
/* Every rule (templates included) with counts of runs and firings. */
int rule_list(struct ctx *c, json_t **out);
/* Changes the fields sent; the definition is revalidated. */
int rule_update(struct ctx *c, int64_t id, const json_t *in, json_t **out);
int rule_set_enabled(struct ctx *c, int64_t id, int on, json_t **out);
/* Deletes a rule with its runs, firings and deliveries. */
int rule_delete(struct ctx *c, int64_t id);

/* {"events":[…],"actions":[…],"customer_fields":[…],"operators":[…]}. */
int rules_catalog(json_t **out);

#endif
