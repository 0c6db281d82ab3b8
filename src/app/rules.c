/*
 * Rule definitions: validation with JSON paths, loop detection, catalog and
 * CRUD (see rules.h and docs/rules.md).
 */
#include "app/rules.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/actions.h"
#include "store/store.h"
#include "util/timeu.h"

const struct field rule_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"description", FT_TEXT, FF_NULLABLE, 4000, NULL, NULL, NULL},
    {"enabled", FT_BOOL, 0, 0, NULL, NULL, "evaluated when true (default false)"},
    {"definition", FT_OBJECT, FF_REQUIRED, 60000, NULL, NULL,
     "{trigger, conditions?, steps, once_per?}: see docs/rules.md"},
    {"webhook_secret", FT_STRING, 0, 200, NULL, NULL,
     "HMAC-SHA256 key of the rule's webhooks (generated when absent)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* The events rules can react to. Emitters document their data next to
 * their event_emit call; keep this table in step. */
const struct event_type rule_event_types[] = {
    {"order.placed", "order_id|total_minor|currency|channel", "an order (not a refund) recorded"},
    {"interaction.logged", "interaction_id|channel|direction|kind|outcome|offer",
     "a touchpoint logged on any channel"},
    {"interest.noted", "interaction_id|channel|direction|kind|outcome|offer",
     "an interest in an offer noted (e.g. by a seller in store)"},
    {"survey.answered", "survey_id|kind|score|scale_max|response_id",
     "a survey answer (kind csat|nps|custom)"},
    {"segment.entered", "segment_id|segment", "a customer entered a segment"},
    {"segment.left", "segment_id|segment", "a customer left a segment"},
    {"page.viewed", "site|visitor|session_id|path|product|query|amount_minor|currency|order",
     "a page seen on the web site (tracking)"},
    {"product.viewed", "site|visitor|session_id|path|product|query|amount_minor|currency|order",
     "a product page seen (tracking)"},
    {"search", "site|visitor|session_id|path|query|source",
     "a site search, or the search-engine keyword that brought the visitor (source referrer)"},
    {"cart.added", "site|visitor|session_id|path|product|query|amount_minor|currency|order",
     "a product put in the cart (tracking)"},
    {"checkout.started", "site|visitor|session_id|path|product|query|amount_minor|currency|order",
     "an order started on the site, before payment (tracking)"},
    {"purchase", "site|visitor|session_id|path|product|query|amount_minor|currency|order",
     "an order paid on the site (tracking)"},
    {"ticket.opened", "kind|priority|channel|team_id", "a ticket (complaint, request) opened"},
    {"ticket.resolved", "kind|priority|customer_id", "a ticket resolved"},
    {"sla.breached", "target|due_at", "a ticket missed its first-response or resolution time"},
    {"task.created", "task_id|kind|title|due_at|assignee_id|team|deal_id|ticket_id",
     "a task created"},
    {"loyalty.earned", "entry_id|kind|points|balance|order_id|ref|reason",
     "loyalty points earned or awarded"},
    {"loyalty.tier_changed", "from|to|from_name|to_name|tier_points", "a member changed tier"},
    {"customer.flagged", "flag|reason|rule_id|depth", "a rule set a flag on the customer"},
    {"customer.tagged", "tag|rule_id|depth", "a rule added a tag to the customer"},
    {"form.submitted",
     "form_id|form_key|form|kind|submission_id|created|campaign|source|visitor_joined",
     "a web form submitted (contact, newsletter, contest, event, referral)"},
    {"call.ended", "call_id|direction|from|to|agent|duration_s|outcome",
     "a phone call ended (telephony; outcome answered|missed|no_answer|busy|voicemail|failed|"
     "rejected)"},
    {NULL, NULL, NULL},
};

const struct event_type *rule_event_type(const char *type)
{
    for (const struct event_type *t = rule_event_types; type && t->type; t++)
        if (!strcmp(t->type, type))
            return t;
    return NULL;
}

/* --------------------------------------------------------------- validation */

#define OPS "eq|ne|lt|lte|gt|gte|in|contains|not_contains|exists|missing|bad_score"
#define AUDIENCES "all|prospect|new|active|inactive|former"

static int bad(struct ctx *c, const char *path, const char *fmt, const char *arg)
{
    return fail(c, ERR_INVALID, path, fmt, arg ? arg : "");
}

/* Refuses keys of obj not in allowed ("a|b|c"). */
static int only_keys(struct ctx *c, const json_t *obj, const char *allowed, const char *base)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        if (!enum_has(allowed, k)) {
            char p[96];
            snprintf(p, sizeof(p), "%s.%s", base, k);
            return fail(c, ERR_INVALID, p, "unknown field (expected one of: %s)", allowed);
        }
    }
    return 0;
}

/* An integer member lo..hi; required or not. *out 0 when absent. */
static int int_member(struct ctx *c, const json_t *o, const char *k, long lo, long hi, int req,
                      const char *base, long *out)
{
    json_t *v = json_object_get(o, k);
    char p[96];
    snprintf(p, sizeof(p), "%s.%s", base, k);
    *out = 0;
    if (!v)
        return req ? fail(c, ERR_INVALID, p, "required") : 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return fail(c, ERR_INVALID, p, "must be a whole number from %ld to %ld", lo, hi);
    *out = (long)json_integer_value(v);
    return 0;
}

/* A duration object {days|hours|minutes: n}: exactly one unit. */
static int duration(struct ctx *c, const json_t *o, const char *base, int64_t *secs)
{
    if (!json_is_object(o))
        return bad(c, base, "must be an object such as {\"days\": 3}", NULL);
    int rc = only_keys(c, o, "days|hours|minutes", base);
    long d, h, m;
    if (!rc)
        rc = int_member(c, o, "days", 1, 3650, 0, base, &d);
    if (!rc)
        rc = int_member(c, o, "hours", 1, 87600, 0, base, &h);
    if (!rc)
        rc = int_member(c, o, "minutes", 1, 525600, 0, base, &m);
    if (rc)
        return rc;
    if ((d > 0) + (h > 0) + (m > 0) != 1)
        return bad(c, base, "give exactly one of days, hours, minutes", NULL);
    *secs = (int64_t)d * 86400 + (int64_t)h * 3600 + (int64_t)m * 60;
    return 0;
}

static int event_member(struct ctx *c, const json_t *o, const char *k, const char *base, int req,
                        const struct event_type **out)
{
    char p[96];
    snprintf(p, sizeof(p), "%s.%s", base, k);
    json_t *v = json_object_get(o, k);
    *out = NULL;
    if (!v)
        return req ? bad(c, p, "required", NULL) : 0;
    if (!json_is_string(v))
        return bad(c, p, "must be an event type such as \"order.placed\"", NULL);
    *out = rule_event_type(json_string_value(v));
    if (!*out)
        return fail(c, ERR_INVALID, p, "unknown event type '%s' (GET /api/v1/rules/catalog)",
                    json_string_value(v));
    return 0;
}

const char *rule_trigger_event(const json_t *def)
{
    const json_t *t = json_object_get(def, "trigger");
    const char *type = json_string_value(json_object_get(t, "type"));
    if (!type)
        return NULL;
    if (!strcmp(type, "event"))
        return json_string_value(json_object_get(t, "event"));
    if (!strcmp(type, "segment")) {
        const char *on = json_string_value(json_object_get(t, "on"));
        return on && !strcmp(on, "left") ? "segment.left" : "segment.entered";
    }
    return NULL;
}

static int check_trigger(struct ctx *c, const json_t *t, const struct event_type **evt)
{
    const char *base = "definition.trigger";
    *evt = NULL;
    if (!json_is_object(t))
        return bad(c, base, "required: an object with a type", NULL);
    const char *type = json_string_value(json_object_get(t, "type"));
    if (!type || !enum_has("event|absence|segment|schedule", type))
        return bad(c, "definition.trigger.type", "must be one of: event|absence|segment|schedule",
                   NULL);
    long v;
    int rc;
    if (!strcmp(type, "event")) {
        rc = only_keys(c, t, "type|event|count", base);
        if (!rc)
            rc = event_member(c, t, "event", base, 1, evt);
        json_t *cnt = json_object_get(t, "count");
        if (!rc && cnt) {
            const char *cb = "definition.trigger.count";
            if (!json_is_object(cnt))
                return bad(c, cb, "must be an object {at_least, within_days|within_hours, same?}",
                           NULL);
            rc = only_keys(c, cnt, "at_least|within_days|within_hours|same", cb);
            long d = 0, h = 0;
            if (!rc)
                rc = int_member(c, cnt, "at_least", 2, 1000, 1, cb, &v);
            if (!rc)
                rc = int_member(c, cnt, "within_days", 1, 3650, 0, cb, &d);
            if (!rc)
                rc = int_member(c, cnt, "within_hours", 1, 87600, 0, cb, &h);
            if (!rc && (d > 0) == (h > 0))
                rc = bad(c, cb, "give exactly one of within_days, within_hours", NULL);
            json_t *same = json_object_get(cnt, "same");
            if (!rc && same &&
                !(json_is_string(same) && enum_has((*evt)->fields, json_string_value(same))))
                rc = fail(c, ERR_INVALID, "definition.trigger.count.same",
                          "must name a data field of %s: %s", (*evt)->type, (*evt)->fields);
        }
        return rc;
    }
    if (!strcmp(type, "segment")) {
        rc = only_keys(c, t, "type|on|segment_id", base);
        const char *on = json_string_value(json_object_get(t, "on"));
        if (!rc && (!on || !enum_has("entered|left", on)))
            rc = bad(c, "definition.trigger.on", "must be one of: entered|left", NULL);
        if (!rc)
            rc = int_member(c, t, "segment_id", 1, INT32_MAX, 0, base, &v);
        if (!rc)
            *evt = rule_event_type(!strcmp(on, "left") ? "segment.left" : "segment.entered");
        return rc;
    }
    if (!strcmp(type, "absence")) {
        rc = only_keys(c, t, "type|event|days|hours|regular|min_events", base);
        const struct event_type *e2;
        if (!rc)
            rc = event_member(c, t, "event", base, 1, &e2);
        long d = 0, h = 0;
        if (!rc)
            rc = int_member(c, t, "days", 1, 3650, 0, base, &d);
        if (!rc)
            rc = int_member(c, t, "hours", 1, 87600, 0, base, &h);
        if (!rc && (d > 0) == (h > 0))
            rc = bad(c, base, "give exactly one of days, hours", NULL);
        json_t *reg = json_object_get(t, "regular");
        if (!rc && reg && !json_is_boolean(reg))
            rc = bad(c, "definition.trigger.regular", "must be true or false", NULL);
        if (!rc)
            rc = int_member(c, t, "min_events", 2, 1000, 0, base, &v);
        return rc;
    }
    /* schedule */
    rc = only_keys(c, t, "type|audience", base);
    const char *aud = json_string_value(json_object_get(t, "audience"));
    if (!rc && (!aud || !enum_has(AUDIENCES, aud)))
        rc = bad(c, "definition.trigger.audience", "must be one of: " AUDIENCES, NULL);
    return rc;
}

static int check_conditions(struct ctx *c, const json_t *conds, const struct event_type *evt)
{
    if (!conds)
        return 0;
    if (!json_is_array(conds) || json_array_size(conds) > 20)
        return bad(c, "definition.conditions", "must be an array of at most 20 conditions", NULL);
    size_t i;
    json_t *cd;
    json_array_foreach(conds, i, cd)
    {
        char base[64], p[96];
        snprintf(base, sizeof(base), "definition.conditions[%zu]", i);
        if (!json_is_object(cd))
            return bad(c, base, "must be an object {field, op, value}", NULL);
        int rc = only_keys(c, cd, "field|op|value|csat_max|nps_max", base);
        if (rc)
            return rc;
        const char *field = json_string_value(json_object_get(cd, "field"));
        const char *op = json_string_value(json_object_get(cd, "op"));
        snprintf(p, sizeof(p), "%s.op", base);
        if (!op || !enum_has(OPS, op))
            return bad(c, p, "must be one of: " OPS, NULL);
        snprintf(p, sizeof(p), "%s.field", base);
        if (!field)
            return bad(c, p, "required: event.data.<key> or customer.<attribute>", NULL);
        if (!strncmp(field, "event.data.", 11)) {
            if (!evt)
                return bad(c, p, "this trigger has no event: test customer.<attribute> instead",
                           NULL);
            if (!enum_has(evt->fields, field + 11))
                return fail(c, ERR_INVALID, p, "unknown field '%s' of %s (known: %s)", field + 11,
                            evt->type, evt->fields);
        } else if (!strncmp(field, "customer.", 9)) {
            if (!enum_has(RULE_CUSTOMER_FIELDS, field + 9))
                return fail(c, ERR_INVALID, p, "unknown customer attribute '%s' (known: %s)",
                            field + 9, RULE_CUSTOMER_FIELDS);
        } else
            return bad(c, p, "must start with event.data. or customer.", NULL);
        json_t *val = json_object_get(cd, "value");
        snprintf(p, sizeof(p), "%s.value", base);
        if (!strcmp(op, "bad_score")) {
            if (strcmp(field, "event.data.score"))
                return bad(c, base, "bad_score tests event.data.score of survey.answered", NULL);
            long v;
            if ((rc = int_member(c, cd, "csat_max", 0, 100, 0, base, &v)) ||
                (rc = int_member(c, cd, "nps_max", 0, 10, 0, base, &v)))
                return rc;
            if (val)
                return bad(c, p, "not used by bad_score (csat_max, nps_max set the thresholds)",
                           NULL);
        } else if (!strcmp(op, "exists") || !strcmp(op, "missing")) {
            if (val)
                return bad(c, p, "not used by this operator", NULL);
        } else if (!val) {
            return bad(c, p, "required by this operator", NULL);
        } else if (!strcmp(op, "in") && !json_is_array(val)) {
            return bad(c, p, "must be an array for in", NULL);
        } else if (!strcmp(op, "in") || !strcmp(op, "eq") || !strcmp(op, "ne") ||
                   !strcmp(op, "contains") || !strcmp(op, "not_contains")) {
            if (json_is_object(val))
                return bad(c, p, "must be a string, number or boolean", NULL);
        } else if (!json_is_number(val)) {
            return bad(c, p, "must be a number for this operator", NULL);
        }
        if (json_object_get(cd, "csat_max") || json_object_get(cd, "nps_max"))
            if (strcmp(op, "bad_score"))
                return bad(c, base, "csat_max and nps_max belong to bad_score", NULL);
    }
    return 0;
}

static int check_steps(struct ctx *c, const json_t *steps)
{
    if (!json_is_array(steps) || !json_array_size(steps) || json_array_size(steps) > 20)
        return bad(c, "definition.steps", "required: an array of 1 to 20 steps", NULL);
    size_t i;
    json_t *st;
    int actions = 0;
    json_array_foreach(steps, i, st)
    {
        char base[64], p[192];
        snprintf(base, sizeof(base), "definition.steps[%zu]", i);
        if (!json_is_object(st))
            return bad(c, base, "must be an object {action, …} or {wait, unless?}", NULL);
        if (json_object_get(st, "wait")) {
            int rc = only_keys(c, st, "wait|unless", base);
            int64_t secs;
            snprintf(p, sizeof(p), "%s.wait", base);
            if (!rc)
                rc = duration(c, json_object_get(st, "wait"), p, &secs);
            const struct event_type *e;
            json_t *un = json_object_get(st, "unless");
            if (!rc && json_is_array(un)) {
                size_t k;
                json_t *u;
                if (!json_array_size(un) || json_array_size(un) > 10)
                    rc = bad(c, p, "unless: 1 to 10 event types", NULL);
                json_array_foreach(un, k, u)
                {
                    if (rc)
                        break;
                    snprintf(p, sizeof(p), "%s.unless[%zu]", base, k);
                    if (!json_is_string(u) || !rule_event_type(json_string_value(u)))
                        rc = fail(c, ERR_INVALID, p,
                                  "unknown event type '%s' (GET /api/v1/rules/catalog)",
                                  json_is_string(u) ? json_string_value(u) : "");
                }
            } else if (!rc)
                rc = event_member(c, st, "unless", base, 0, &e);
            if (rc)
                return rc;
            continue;
        }
        const char *name = json_string_value(json_object_get(st, "action"));
        snprintf(p, sizeof(p), "%s.action", base);
        const struct action_def *a = action_find(name);
        if (!a) {
            char known[256] = "";
            size_t n = 0;
            for (const struct action_def *d = action_defs; d->name; d++)
                n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s", n ? "|" : "", d->name);
            return fail(c, ERR_INVALID, p, "unknown action '%s' (available: %s)", name ? name : "",
                        known);
        }
        struct err e = {0};
        if (fields_check(a->params, st, FIELDS_CREATE, &e)) {
            snprintf(p, sizeof(p), "%s.%s", base, e.field);
            return fail(c, ERR_INVALID, p, "%s", e.msg);
        }
        actions++;
    }
    if (!actions)
        return bad(c, "definition.steps", "needs at least one action", NULL);
    return 0;
}

/* Does an event type emitted by the candidate (transitively through enabled
 * rules) come back to the candidate's trigger? The check ignores conditions:
 * it refuses any chain that could loop. chain gets "a → b → …". */
struct graph_rule {
    int64_t id;
    char trigger[64];
    json_t *def;
    char name[80];
};

static int emits_of(const json_t *def, const char **out, int max)
{
    int n = 0;
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(def, "steps"), i, st)
    {
        const struct action_def *a = action_find(json_string_value(json_object_get(st, "action")));
        if (a && a->emits && n < max)
            out[n++] = a->emits;
    }
    return n;
}

static int loop_check(struct ctx *c, const json_t *def, int64_t self_id)
{
    const char *trig = rule_trigger_event(def);
    if (!trig)
        return 0; /* scheduled triggers are not re-triggered by events */
    struct graph_rule g[256];
    int n = 0;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, trigger_event, definition, name FROM rules WHERE enabled = 1 "
                         "AND trigger_event IS NOT NULL AND id <> ? ORDER BY id LIMIT 256",
                         "i", self_id);
    while (s && n < 256 && (rc = stmt_step(s, &c->err)) == 1) {
        g[n].id = stmt_int(s, 0);
        snprintf(g[n].trigger, sizeof(g[n].trigger), "%s", stmt_text(s, 1));
        snprintf(g[n].name, sizeof(g[n].name), "%s", stmt_text(s, 3));
        g[n].def = json_loads(stmt_text(s, 2), 0, NULL);
        n++;
    }
    stmt_done(s);
    if (rc > 0)
        rc = 0;
    /* breadth-first over event types; via[k] remembers which rule led there */
    const char *queue[512];
    int via[512], from[512], nq = 0;
    int seen[256] = {0};
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(def, "steps"), i, st)
    {
        const struct action_def *a = action_find(json_string_value(json_object_get(st, "action")));
        if (a && a->emits && nq < 512) {
            queue[nq] = a->emits;
            via[nq] = -1;
            from[nq] = (int)i;
            nq++;
        }
    }
    for (int q = 0; !rc && q < nq; q++) {
        if (!strcmp(queue[q], trig)) {
            char chain[200] = "";
            size_t len = 0;
            for (int k = q; k >= 0 && via[k] >= 0 && len < sizeof(chain) - 1; k = from[k])
                len += (size_t)snprintf(chain + len, sizeof(chain) - len, " via rule %lld '%s'",
                                        (long long)g[via[k]].id, g[via[k]].name);
            int k = q;
            while (via[k] >= 0)
                k = from[k];
            char p[96];
            snprintf(p, sizeof(p), "definition.steps[%d].action", from[k]);
            rc = fail(c, ERR_INVALID, p,
                      "would loop: this action emits %s, which re-triggers this rule%s "
                      "(refused; see docs/rules.md)",
                      queue[q], chain);
            break;
        }
        for (int r = 0; r < n; r++) {
            if (seen[r] || strcmp(g[r].trigger, queue[q]))
                continue;
            seen[r] = 1;
            const char *em[20];
            int ne = emits_of(g[r].def, em, 20);
            for (int e = 0; e < ne && nq < 512; e++) {
                queue[nq] = em[e];
                via[nq] = r;
                from[nq] = q;
                nq++;
            }
        }
    }
    for (int r = 0; r < n; r++)
        json_decref(g[r].def);
    return rc;
}

int rule_validate(struct ctx *c, const json_t *def, int64_t self_id, int enabled)
{
    if (!json_is_object(def))
        return bad(c, "definition", "required: an object {trigger, conditions?, steps}", NULL);
    int rc = only_keys(c, def, "trigger|conditions|steps|once_per", "definition");
    const struct event_type *evt = NULL;
    if (!rc)
        rc = check_trigger(c, json_object_get(def, "trigger"), &evt);
    if (!rc)
        rc = check_conditions(c, json_object_get(def, "conditions"), evt);
    if (!rc)
        rc = check_steps(c, json_object_get(def, "steps"));
    json_t *once = json_object_get(def, "once_per");
    if (!rc && once) {
        int64_t secs;
        if (json_is_string(once)) {
            if (!enum_has("ever|event", json_string_value(once)))
                rc = bad(c, "definition.once_per", "must be \"ever\", \"event\" or {\"days\": n}",
                         NULL);
        } else
            rc = duration(c, once, "definition.once_per", &secs);
    }
    if (!rc && enabled)
        rc = loop_check(c, def, self_id);
    return rc;
}

/* ---------------------------------------------------------------------- CRUD */

#define RULE_COLS                                                                                  \
    "r.id, r.template, r.name, r.description, r.enabled, r.definition, r.trigger_event, "          \
    "r.version, r.created_at, r.updated_at, r.webhook_secret, (SELECT COUNT(*) FROM rule_runs u "  \
    "WHERE u.rule_id = r.id), (SELECT COUNT(*) FROM rule_firings f WHERE f.rule_id = r.id), "      \
    "(SELECT MAX(at) FROM rule_firings f WHERE f.rule_id = r.id)"

static json_t *rule_row(struct stmt *s, int with_secret)
{
    char t1[TIME_BUF], t2[TIME_BUF], t3[TIME_BUF];
    json_t *def = json_loads(stmt_text(s, 5), 0, NULL);
    json_t *o = json_pack(
        "{s:I,s:s?,s:s,s:s?,s:b,s:o,s:s?,s:I,s:s,s:s,s:{s:I,s:I,s:s?}}", "id",
        (json_int_t)stmt_int(s, 0), "template", stmt_text(s, 1), "name", stmt_text(s, 2),
        "description", stmt_text(s, 3), "enabled", (int)stmt_int(s, 4), "definition",
        def ? def : json_object(), "trigger_event", stmt_text(s, 6), "version",
        (json_int_t)stmt_int(s, 7), "created_at", time_format(stmt_int(s, 8), t1, sizeof(t1)),
        "updated_at", time_format(stmt_int(s, 9), t2, sizeof(t2)), "stats", "runs",
        (json_int_t)stmt_int(s, 11), "firings", (json_int_t)stmt_int(s, 12), "last_fired_at",
        stmt_isnull(s, 13) ? NULL : time_format(stmt_int(s, 13), t3, sizeof(t3)));
    if (with_secret)
        json_object_set_new(o, "webhook_secret", json_string(stmt_text(s, 10)));
    return o;
}

int rule_get(struct ctx *c, int64_t id, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, "SELECT " RULE_COLS " FROM rules r WHERE r.id = ?",
                         "i", id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1)
        *out = rule_row(s, 1);
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "id", "no rule %lld", (long long)id);
    return rc < 0 ? rc : 0;
}

int rule_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT " RULE_COLS " FROM rules r ORDER BY r.id LIMIT 1000", "");
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1)
        json_array_append_new(items, rule_row(s, 0));
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

static int save_checks(struct ctx *c, const json_t *in, int mode)
{
    int rc = fields_check(rule_fields, in, mode, &c->err);
    const char *sec = json_string_value(json_object_get(in, "webhook_secret"));
    if (!rc && sec && strlen(sec) < 16)
        rc = fail(c, ERR_INVALID, "webhook_secret", "at least 16 bytes");
    return rc;
}

int rule_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = save_checks(c, in, FIELDS_CREATE);
    if (rc)
        return rc;
    const json_t *def = json_object_get(in, "definition");
    int enabled = json_is_true(json_object_get(in, "enabled"));
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = rule_validate(c, def, 0, enabled);
    char secret[65];
    const char *given = json_string_value(json_object_get(in, "webhook_secret"));
    if (given)
        snprintf(secret, sizeof(secret), "%s", given);
    else {
        unsigned char raw[32];
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(secret, sizeof(secret), raw, sizeof(raw));
    }
    char *d = rc ? NULL : json_dumps(def, JSON_COMPACT);
    int64_t id = 0, now = time_now();
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO rules(name, description, enabled, definition, trigger_event, "
                       "webhook_secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                       "RETURNING id",
                       "ssisssii", json_string_value(json_object_get(in, "name")),
                       json_string_value(json_object_get(in, "description")), (int64_t)enabled, d,
                       rule_trigger_event(def), secret, now, now);
    free(d);
    if (!rc)
        rc = rule_get(c, id, out);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int rule_update(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = save_checks(c, in, FIELDS_UPDATE);
    if (rc)
        return rc;
    json_t *cur = NULL;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = rule_get(c, id, &cur);
    const json_t *def = json_object_get(in, "definition");
    if (!rc && !def)
        def = json_object_get(cur, "definition");
    json_t *en = json_object_get(in, "enabled");
    int enabled = en ? json_is_true(en) : json_is_true(json_object_get(cur, "enabled"));
    if (!rc)
        rc = rule_validate(c, def, id, enabled);
    char *d = rc ? NULL : json_dumps(def, JSON_COMPACT);
    const char *name = json_string_value(json_object_get(in, "name"));
    json_t *desc = json_object_get(in, "description");
    if (!rc)
        rc = store_run(
            c->st, NULL, &c->err,
            "UPDATE rules SET name = COALESCE(?, name), description = CASE WHEN ? THEN ? ELSE "
            "description END, enabled = ?, definition = ?, trigger_event = ?, webhook_secret = "
            "COALESCE(?, webhook_secret), version = version + 1, updated_at = ? WHERE id = ?",
            "sisisssii", name, (int64_t)(desc != NULL), json_string_value(desc), (int64_t)enabled,
            d, rule_trigger_event(def), json_string_value(json_object_get(in, "webhook_secret")),
            time_now(), id);
    free(d);
    json_decref(cur);
    if (!rc)
        rc = rule_get(c, id, out);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int rule_set_enabled(struct ctx *c, int64_t id, int on, json_t **out)
{
    json_t *in = json_pack("{s:b}", "enabled", on);
    int rc = rule_update(c, id, in, out);
    json_decref(in);
    return rc;
}

int rule_delete(struct ctx *c, int64_t id)
{
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    int64_t n = 0;
    rc = store_run(c->st, NULL, &c->err, "DELETE FROM rule_firings WHERE rule_id = ?", "i", id);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err, "DELETE FROM webhook_deliveries WHERE rule_id = ?",
                       "i", id);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err, "DELETE FROM rule_runs WHERE rule_id = ?", "i", id);
    if (!rc)
        rc = store_run(c->st, &n, &c->err, "DELETE FROM rules WHERE id = ?", "i", id);
    if (!rc && n == 0)
        rc = fail(c, ERR_NOTFOUND, "id", "no rule %lld", (long long)id);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

/* ------------------------------------------------------------------ catalog */

static json_t *split(const char *alts)
{
    json_t *a = json_array();
    const char *p = alts;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        json_array_append_new(a, json_stringn(p, n));
        p = bar ? bar + 1 : NULL;
    }
    return a;
}

int rules_catalog(json_t **out)
{
    json_t *ev = json_array(), *ac = json_array();
    for (const struct event_type *t = rule_event_types; t->type; t++)
        json_array_append_new(ev, json_pack("{s:s,s:o,s:s}", "type", t->type, "fields",
                                            split(t->fields), "doc", t->doc));
    for (const struct action_def *a = action_defs; a->name; a++)
        json_array_append_new(ac, json_pack("{s:s,s:o,s:s?,s:s}", "action", a->name, "params",
                                            fields_schema(a->params), "emits", a->emits, "doc",
                                            a->doc));
    *out = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:i}", "events", ev, "actions", ac,
                     "customer_fields", split(RULE_CUSTOMER_FIELDS), "operators", split(OPS),
                     "triggers", split("event|absence|segment|schedule"), "audiences",
                     split(AUDIENCES), "max_depth", RULES_MAX_DEPTH);
    return 0;
}
