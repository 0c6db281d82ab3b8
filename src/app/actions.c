/*
 * The rules engine's actions (see actions.h): each calls the service that
 * owns the data, inside the run's transaction, and says what it did.
 */
#include "app/actions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/customers.h"
#include "app/events.h"
#include "app/activity.h"
#include "app/campaigns.h"
#include "app/eligibility.h"
#include "app/loyalty.h"
#include "app/rule_mail.h"
#include "app/tasks.h"
#include "app/tracking.h"
#include "app/webhook.h"
#include "store/store.h"
#include "util/timeu.h"

/* ------------------------------------------------------------- templating */

/* The value at a dotted path ("event.data.offer") of the context. */
static const json_t *ctx_path(const json_t *root, const char *path, size_t len)
{
    const json_t *v = root;
    const char *p = path, *end = path + len;
    while (v && p < end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
        char key[64];
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, p, n);
        key[n] = 0;
        v = json_is_object(v) ? json_object_get(v, key) : NULL;
        p += n + (dot ? 1 : 0);
    }
    return v;
}

char *action_expand(const struct action_env *env, const char *s)
{
    size_t cap = strlen(s) + 64, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    while (*s) {
        const char *open = strstr(s, "{{"), *close = open ? strstr(open + 2, "}}") : NULL;
        size_t lit = close ? (size_t)(open - s) : strlen(s);
        char val[512] = "";
        if (close) {
            const char *k = open + 2;
            size_t kl = (size_t)(close - k);
            while (kl && *k == ' ')
                k++, kl--;
            while (kl && k[kl - 1] == ' ')
                kl--;
            if (kl == 11 && !strncmp(k, "customer.id", 11))
                snprintf(val, sizeof(val), "%lld", (long long)env->customer_id);
            else if (kl == 9 && !strncmp(k, "rule.name", 9))
                snprintf(val, sizeof(val), "%s", env->rule_name ? env->rule_name : "");
            else {
                const json_t *v = ctx_path(env->context, k, kl);
                if (json_is_string(v))
                    snprintf(val, sizeof(val), "%s", json_string_value(v));
                else if (json_is_integer(v))
                    snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
                else if (json_is_real(v))
                    snprintf(val, sizeof(val), "%g", json_real_value(v));
            }
        }
        size_t need = len + lit + strlen(val) + 1;
        if (need > cap) {
            cap = need * 2;
            char *n = realloc(out, cap);
            if (!n) {
                free(out);
                return NULL;
            }
            out = n;
        }
        memcpy(out + len, s, lit);
        len += lit;
        if (!close)
            break;
        memcpy(out + len, val, strlen(val));
        len += strlen(val);
        s = close + 2;
    }
    out[len] = 0;
    return out;
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Appends an event caused by a rule: data gets rule_id and depth + 1 so the
 * engine can cut chains that would not end. */
static int emit_caused(struct ctx *c, const struct action_env *env, const char *type, json_t *data)
{
    json_object_set_new(data, "rule_id", json_integer(env->rule_id));
    json_object_set_new(data, RULES_DEPTH_KEY, json_integer(env->depth + 1));
    int rc = event_emit(c, type, env->customer_id, "rule_run", env->run_id, data, NULL);
    json_decref(data);
    return rc;
}

static char *dupf(const char *fmt, const char *a)
{
    size_t n = strlen(fmt) + strlen(a) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, fmt, a);
    return s;
}

/* -------------------------------------------------------------- flag, tag */

static const struct field flag_params[] = {
    {"action", FT_ENUM, FF_REQUIRED, 0, "flag|unflag", NULL, NULL},
    {"flag", FT_STRING, FF_REQUIRED, 40, NULL, NULL, "e.g. at_risk"},
    {"reason", FT_STRING, 0, 500, NULL, NULL, "why; {{event.data.x}} placeholders allowed"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int run_flag(struct ctx *c, const struct action_env *env, const json_t *step, char **detail)
{
    int on = !strcmp(jstr(step, "action"), "flag");
    const char *flag = jstr(step, "flag");
    char *reason = jstr(step, "reason") ? action_expand(env, jstr(step, "reason")) : NULL;
    int rc = customer_flag(c, env->customer_id, flag, reason, on);
    if (!rc && on)
        rc = emit_caused(c, env, "customer.flagged",
                         json_pack("{s:s,s:s?}", "flag", flag, "reason", reason));
    if (!rc)
        *detail = dupf(on ? "flagged %s" : "cleared flag %s", flag);
    free(reason);
    return rc;
}

static const struct field tag_params[] = {
    {"action", FT_ENUM, FF_REQUIRED, 0, "tag", NULL, NULL},
    {"tag", FT_STRING, FF_REQUIRED, 100, NULL, NULL, "a tag or list name; placeholders allowed"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* Adds a tag through customer_update (audited, versioned) unless present. */
static int run_tag(struct ctx *c, const struct action_env *env, const json_t *step, char **detail)
{
    char *tag = action_expand(env, jstr(step, "tag"));
    if (!tag)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    if (!*tag || strlen(tag) > 100) {
        free(tag);
        return fail(c, ERR_INVALID, "tag", "the tag is empty or longer than 100 bytes");
    }
    json_t *prof = NULL;
    int rc = customer_profile(c, env->customer_id, &prof);
    int has = 0;
    size_t i;
    json_t *t;
    json_t *tags = rc ? NULL : json_object_get(prof, "tags");
    json_array_foreach(tags, i, t) has |= json_is_string(t) && !strcmp(json_string_value(t), tag);
    if (!rc && !has) {
        json_t *nt = json_deep_copy(json_is_array(tags) ? tags : json_array());
        if (!nt)
            nt = json_array();
        json_array_append_new(nt, json_string(tag));
        json_t *in = json_pack("{s:o}", "tags", nt), *out = NULL;
        rc = customer_update(c, env->customer_id, in, 0, &out);
        json_decref(in);
        json_decref(out);
        if (!rc)
            rc = emit_caused(c, env, "customer.tagged", json_pack("{s:s}", "tag", tag));
    }
    if (!rc)
        *detail = dupf(has ? "already tagged %s" : "tagged %s", tag);
    json_decref(prof);
    free(tag);
    return rc;
}

/* ---------------------------------------------------------------- webhook */

static const struct field webhook_params[] = {
    {"action", FT_ENUM, FF_REQUIRED, 0, "webhook", NULL, NULL},
    {"url", FT_STRING, FF_REQUIRED, 1000, NULL, NULL,
     "http(s) URL; the body is signed: X-Relatio-Signature: sha256=<hex HMAC-SHA256>"},
    {"payload", FT_OBJECT, 0, 8000, NULL, NULL, "extra JSON merged into the body"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int run_webhook(struct ctx *c, const struct action_env *env, const json_t *step,
                       char **detail)
{
    json_t *body = json_pack(
        "{s:I,s:s?,s:I,s:I,s:O}", "rule_id", (json_int_t)env->rule_id, "rule", env->rule_name,
        "customer_id", (json_int_t)env->customer_id, "run_id", (json_int_t)env->run_id, "event",
        json_object_get(env->context, "event") ? json_object_get(env->context, "event")
                                               : json_null());
    json_t *extra = json_object_get(step, "payload");
    if (json_is_object(extra))
        json_object_update(body, extra);
    char *s = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(body);
    if (!s)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    int64_t id = 0;
    int rc =
        webhook_enqueue(c, env->rule_id, env->run_id, env->customer_id, jstr(step, "url"), s, &id);
    free(s);
    if (!rc) {
        char d[64];
        snprintf(d, sizeof(d), "webhook delivery %lld queued", (long long)id);
        *detail = strdup(d);
    }
    return rc;
}

/* ------------------------------------------------------------------- task */

static const struct field task_params[] = {
    {"action", FT_ENUM, FF_REQUIRED, 0, "task", NULL, NULL},
    {"kind", FT_ENUM, 0, 0, TASK_KINDS, NULL, "default call"},
    {"title", FT_STRING, FF_REQUIRED, 200, NULL, NULL, "placeholders allowed"},
    {"notes", FT_TEXT, 0, 5000, NULL, NULL, "placeholders allowed"},
    {"assign", FT_ENUM, 0, 0, "owner|team", NULL,
     "owner: the customer's owner (else the team); team: the team named"},
    {"team", FT_STRING, 0, 64, NULL, NULL, "e.g. advisers, customer_service"},
    {"due_in_hours", FT_INT, 0, 8760, NULL, NULL, "due this long after the firing (default 24)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* A task for the customer's owner or a team, through tasks.h. */
static int run_task(struct ctx *c, const struct action_env *env, const json_t *step, char **detail)
{
    char *title = action_expand(env, jstr(step, "title"));
    char *notes = jstr(step, "notes") ? action_expand(env, jstr(step, "notes")) : NULL;
    json_t *due = json_object_get(step, "due_in_hours");
    char ts[TIME_BUF];
    time_format(time_now() + (due ? json_integer_value(due) : 24) * 3600, ts, sizeof(ts));
    json_t *in =
        json_pack("{s:s,s:s,s:s?,s:I,s:s}", "kind",
                  jstr(step, "kind") ? jstr(step, "kind") : "call", "title", title ? title : "",
                  "notes", notes, "customer_id", (json_int_t)env->customer_id, "due_at", ts);
    const char *assign = jstr(step, "assign"), *team = jstr(step, "team");
    int rc = 0;
    if (assign && !strcmp(assign, "owner")) {
        json_t *prof = NULL;
        rc = customer_profile(c, env->customer_id, &prof);
        json_t *owner = rc ? NULL : json_object_get(prof, "owner_id");
        if (json_is_integer(owner))
            json_object_set(in, "assignee_id", owner);
        else if (team)
            json_object_set_new(in, "team", json_string(team));
        json_decref(prof);
    } else if (team)
        json_object_set_new(in, "team", json_string(team));
    json_t *out = NULL;
    if (!rc)
        rc = task_create(c, in, &out);
    if (!rc) {
        char d[300];
        json_t *a = json_object_get(out, "assignee_id");
        long long tid = (long long)json_integer_value(json_object_get(out, "id"));
        if (json_is_integer(a))
            snprintf(d, sizeof(d), "task %lld for user %lld: %s", tid,
                     (long long)json_integer_value(a), title ? title : "");
        else
            snprintf(d, sizeof(d), "task %lld for team %s: %s", tid,
                     jstr(out, "team") ? jstr(out, "team") : "-", title ? title : "");
        *detail = strdup(d);
    }
    json_decref(out);
    json_decref(in);
    free(title);
    free(notes);
    return rc;
}

/* ----------------------------------------------------------------- points */

static const struct field points_params[] = {
    {"action", FT_ENUM, FF_REQUIRED, 0, "points", NULL, NULL},
    {"points", FT_INT, FF_REQUIRED, 1000000, NULL, NULL, "awarded to a loyalty member"},
    {"reason", FT_STRING, 0, 200, NULL, NULL, "placeholders allowed"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int run_points(struct ctx *c, const struct action_env *env, const json_t *step,
                      char **detail)
{
    char *reason = jstr(step, "reason") ? action_expand(env, jstr(step, "reason")) : NULL;
    char ref[64];
    snprintf(ref, sizeof(ref), "rule-run:%lld", (long long)env->run_id);
    int64_t pts = json_integer_value(json_object_get(step, "points"));
    int rc = loyalty_award(c, env->customer_id, pts, reason, ref, NULL);
    if (!rc) {
        char d[64];
        snprintf(d, sizeof(d), "%lld points awarded", (long long)pts);
        *detail = strdup(d);
    }
    free(reason);
    return rc;
}

/* ------------------------------------------------------------ personalize */

static const struct field personalize_params[] = {
    {"action", FT_ENUM, FF_REQUIRED, 0, "personalize", NULL, NULL},
    {"slot", FT_STRING, FF_REQUIRED, 32, NULL, NULL,
     "banner, offer (featured offer), survey (shown at the next visit)…"},
    {"content", FT_OBJECT, FF_REQUIRED, 8000, NULL, NULL,
     "returned to the tracking snippet; string values take placeholders"},
    {"expires_in_days", FT_INT, 0, 3650, NULL, NULL, "default: never"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static json_t *expand_json(const struct action_env *env, const json_t *v)
{
    if (json_is_string(v)) {
        char *s = action_expand(env, json_string_value(v));
        json_t *o = json_string(s ? s : "");
        free(s);
        return o ? o : json_string("");
    }
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) json_object_set_new(o, k, expand_json(env, x));
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) json_array_append_new(a, expand_json(env, x));
        return a;
    }
    return json_deep_copy(v);
}

static int run_personalize(struct ctx *c, const struct action_env *env, const json_t *step,
                           char **detail)
{
    json_t *content = expand_json(env, json_object_get(step, "content"));
    json_t *days = json_object_get(step, "expires_in_days");
    int64_t exp = days ? time_now() + json_integer_value(days) * 86400 : 0;
    int rc = personalize_set(c, env->customer_id, jstr(step, "slot"), content, exp);
    if (!rc) {
        char *js = json_dumps(content, JSON_COMPACT);
        size_t n = strlen(jstr(step, "slot")) + (js ? strlen(js) : 0) + 32;
        *detail = malloc(n);
        if (*detail)
            snprintf(*detail, n, "%s slot set: %s", jstr(step, "slot"), js ? js : "");
        free(js);
    }
    json_decref(content);
    return rc;
}

/* ------------------------------------------------------------------ email */

static const struct field email_params[] = {
    {"action", FT_ENUM, FF_REQUIRED, 0, "email", NULL, NULL},
    {"subject", FT_STRING, FF_REQUIRED, 200, NULL, NULL, "placeholders allowed"},
    {"text", FT_TEXT, FF_REQUIRED, 20000, NULL, NULL, "plain-text body; placeholders allowed"},
    {"purpose", FT_STRING, 0, 40, NULL, NULL, "consent purpose checked (default marketing)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* ------------------------------------------------- suppression and pressure */

/* Marketing messages to a customer since since, all channels: campaign
 * messages queued, rule e-mails and rule SMS. */
static int recent_messages(struct ctx *c, int64_t cid, int64_t since, int64_t *n)
{
    return store_int(c->st, n, &c->err,
                     "SELECT (SELECT COUNT(*) FROM campaign_recipients WHERE customer_id = ? AND "
                     "status = 'queued' AND at >= ?) + (SELECT COUNT(*) FROM rule_messages WHERE "
                     "customer_id = ? AND created_at >= ?) + (SELECT COUNT(*) FROM send_queue "
                     "WHERE customer_id = ? AND created_at >= ? AND idem_key LIKE 'rule-sms:%')",
                     "iiiiii", cid, since, cid, since, cid, since);
}

/* After the address and consent checks of the action: the suppression list
 * and the marketing-pressure cap of the campaign settings (messages per
 * window, all channels), through the same checks as a campaign's audience
 * (eligibility.h). ERR_INVALID naming "suppression" or "pressure". */
static int message_allowed(struct ctx *c, int64_t cid, const char *channel, const char *purpose,
                           const char *addr)
{
    struct campaign_settings set;
    int rc = campaign_settings_load(c, &set);
    if (rc)
        return rc;
    int64_t now = time_now(), suppressed = 0, recent = 0;
    rc = store_int(c->st, &suppressed, &c->err,
                   "SELECT COUNT(*) FROM suppressions WHERE channel = ? AND lower(address) = "
                   "lower(?)",
                   "ss", channel, addr);
    if (!rc)
        rc = recent_messages(c, cid, now - (int64_t)set.pressure_days * 86400, &recent);
    if (rc)
        return rc;
    struct elig_facts f = {.has_address = 1,
                           .consent = CONSENT_GRANTED,
                           .suppressed = suppressed > 0,
                           .recent_messages = (int)recent};
    struct elig_policy pol = {purpose, set.pressure_max, 1, now};
    int why = eligibility_check(&pol, &f);
    if (why == ELIG_SUPPRESSED)
        return fail(c, ERR_INVALID, "suppression", "%s is on the %s suppression list", addr,
                    channel);
    if (why == ELIG_PRESSURE_CAP)
        return fail(c, ERR_INVALID, "pressure",
                    "marketing pressure cap: %lld messages in the last %d days (at most %d)",
                    (long long)recent, set.pressure_days, set.pressure_max);
    return why == ELIG_OK ? 0 : fail(c, ERR_INVALID, "eligibility", "%s", elig_reason_name(why));
}

/* The checks before a rule message on channel ("email" or "sms"): the
 * customer's address for it (*to, valid while *prof lives; the caller
 * decrefs *prof), the consent for the step's purpose, then message_allowed. */
static int recipient(struct ctx *c, const struct action_env *env, const json_t *step,
                     const char *channel, json_t **prof, const char **to)
{
    const char *purpose = jstr(step, "purpose") ? jstr(step, "purpose") : "marketing";
    int sms = !strcmp(channel, "sms");
    int rc = customer_profile(c, env->customer_id, prof);
    *to = rc ? NULL : jstr(*prof, sms ? "phone" : "email");
    if (!rc && !(*to && **to))
        rc = sms ? fail(c, ERR_INVALID, "phone", "the customer has no phone number")
                 : fail(c, ERR_INVALID, "email", "the customer has no e-mail address");
    if (!rc && !consent_granted(c, env->customer_id, channel, purpose))
        rc = fail(c, ERR_INVALID, "consent", "no %s consent for %s", sms ? "SMS" : "e-mail",
                  purpose);
    if (!rc)
        rc = message_allowed(c, env->customer_id, channel, purpose, *to);
    return rc;
}

/* Queues an e-mail when the customer has an address and the consent. */
static int run_email(struct ctx *c, const struct action_env *env, const json_t *step, char **detail)
{
    json_t *prof = NULL;
    const char *to = NULL;
    int rc = recipient(c, env, step, "email", &prof, &to);
    char *subject = rc ? NULL : action_expand(env, jstr(step, "subject"));
    char *text = rc ? NULL : action_expand(env, jstr(step, "text"));
    int64_t id = 0;
    if (!rc)
        rc = rule_mail_enqueue(c, env->rule_id, env->run_id, env->customer_id, to,
                               subject ? subject : "", text ? text : "", &id);
    if (!rc) {
        size_t n = strlen(to) + (subject ? strlen(subject) : 0) + 64;
        *detail = malloc(n);
        if (*detail)
            snprintf(*detail, n, "e-mail %lld to %s: %s", (long long)id, to,
                     subject ? subject : "");
    }
    free(subject);
    free(text);
    json_decref(prof);
    return rc;
}

/* -------------------------------------------------------------------- sms */

static const struct field sms_params[] = {
    {"action", FT_ENUM, FF_REQUIRED, 0, "sms", NULL, NULL},
    {"text", FT_STRING, FF_REQUIRED, 640, NULL, NULL, "the message; placeholders allowed"},
    {"purpose", FT_STRING, 0, 40, NULL, NULL, "consent purpose checked (default marketing)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* Queues an SMS on the send queue (sent through the SMS gateway of the
 * campaign settings, retried) when the customer has a phone number, the SMS
 * consent for the purpose, is not suppressed and under the pressure cap. */
static int run_sms(struct ctx *c, const struct action_env *env, const json_t *step, char **detail)
{
    json_t *prof = NULL;
    const char *to = NULL;
    int rc = recipient(c, env, step, "sms", &prof, &to);
    char *text = rc ? NULL : action_expand(env, jstr(step, "text"));
    if (!rc && !text)
        rc = fail(c, ERR_INTERNAL, "", "out of memory");
    int64_t id = 0, now = time_now();
    if (!rc) {
        /* one message per run and text: a step replayed after a crash is not sent twice */
        uint32_t h = 2166136261u;
        for (const char *p = text; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        char key[80];
        snprintf(key, sizeof(key), "rule-sms:%lld:%lld:%08x", (long long)env->rule_id,
                 (long long)env->run_id, (unsigned)h);
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO send_queue(idem_key, channel, campaign_id, customer_id, "
                       "to_addr, body, next_at, created_at) VALUES (?, 'sms', NULL, ?, ?, ?, ?, "
                       "?) RETURNING id",
                       "sissii", key, env->customer_id, to, text, now, now);
    }
    if (!rc) {
        size_t n = strlen(to) + strlen(text) + 64;
        *detail = malloc(n);
        if (*detail)
            snprintf(*detail, n, "SMS %lld to %s: %s", (long long)id, to, text);
    }
    free(text);
    json_decref(prof);
    return rc;
}

/* ------------------------------------------------------------------ table */

const struct action_def action_defs[] = {
    {"flag", flag_params, "customer.flagged", run_flag,
     "sets a flag such as at_risk on the customer, with its reason"},
    {"unflag", flag_params, NULL, run_flag, "clears a flag"},
    {"tag", tag_params, "customer.tagged", run_tag, "adds a tag (list membership) to the customer"},
    {"webhook", webhook_params, NULL, run_webhook,
     "POSTs the run as JSON to a URL, signed with the rule's secret, retried with back-off"},
    {"email", email_params, NULL, run_email,
     "sends an e-mail (consent for the purpose, suppression list and marketing-pressure cap "
     "checked; queued, sent over SMTP, retried)"},
    {"sms", sms_params, NULL, run_sms,
     "sends an SMS (consent for the purpose, suppression list and marketing-pressure cap "
     "checked; queued on the send queue, sent through the SMS gateway, retried)"},
    {"task", task_params, "task.created", run_task,
     "creates a task (call back, follow-up) for the customer's owner or a team"},
    {"points", points_params, "loyalty.earned", run_points,
     "awards loyalty points (once per run; the customer must be a member)"},
    {"personalize", personalize_params, NULL, run_personalize,
     "sets personalised content for the next visit: a banner, a featured offer, a survey"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct action_def *action_find(const char *name)
{
    for (const struct action_def *a = action_defs; name && a->name; a++)
        if (!strcmp(a->name, name))
            return a;
    return NULL;
}
