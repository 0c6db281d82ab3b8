/*
 * Lead qualification, conversion and scoring (see leads.h). The rules are
 * data (settings key "lead_scoring"); behaviour is counted with bound
 * queries per rule, the arithmetic is lead_score_compute.
 */
#include "app/leads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/audit.h"
#include "app/customers.h"
#include "app/events.h"
#include "app/rowjson.h"
#include "app/sales.h"
#include "store/store.h"
#include "util/timeu.h"

#define jstr rowj_str
#define jint rowj_int

#define FIT_FIELDS                                                                                 \
    "kind|email|phone|country|sex|occupation|income_band|housing|company_revenue_minor|naf_code|"  \
    "headcount|language|preferred_channel"

static const struct field fit_rule_fields[] = {
    {"field", FT_ENUM, FF_REQUIRED, 0, FIT_FIELDS, NULL, "profile field"},
    {"op", FT_ENUM, FF_REQUIRED, 0, "present|eq|in|gte|lte", NULL,
     "in: value lists alternatives separated by '|'"},
    {"value", FT_STRING, FF_NULLABLE, 200, NULL, NULL, "for eq and in"},
    {"number", FT_NUMBER, FF_NULLABLE, 0, NULL, NULL, "for gte and lte"},
    {"points", FT_INT, FF_REQUIRED, 100, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const struct field behaviour_rule_fields[] = {
    {"source", FT_ENUM, FF_REQUIRED, 0, "interaction|event", NULL,
     "interactions of the customer, or events of the event log"},
    {"kind", FT_STRING, FF_NULLABLE, 40, NULL, NULL, "interaction kind (interaction)"},
    {"channel", FT_STRING, FF_NULLABLE, 40, NULL, NULL, "interaction channel (interaction)"},
    {"type", FT_STRING, FF_NULLABLE, 64, NULL, NULL, "event type, e.g. page.viewed (event)"},
    {"points", FT_INT, FF_REQUIRED, 100, NULL, NULL, "per occurrence"},
    {"max", FT_INT, 0, 1000, NULL, NULL, "cap of this rule (default 100)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field lead_scoring_fields[] = {
    {"fit", FT_OBJECTS, FF_REQUIRED, 50, NULL, fit_rule_fields, "profile rules"},
    {"behaviour", FT_OBJECTS, FF_REQUIRED, 50, NULL, behaviour_rule_fields, "behaviour rules"},
    {"window_days", FT_INT, FF_REQUIRED, 3650, NULL, NULL, "behaviour counted over these days"},
    {"hot", FT_INT, FF_REQUIRED, 1000, NULL, NULL, "score from which a lead is hot"},
    {"warm", FT_INT, FF_REQUIRED, 1000, NULL, NULL, "score from which a lead is warm"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field lead_status_fields[] = {
    {"status", FT_ENUM, FF_REQUIRED, 0, "new|contacted|qualified|disqualified", NULL, NULL},
    {"reason", FT_STRING, FF_NULLABLE, 500, NULL, NULL, "required to disqualify"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* deal_fields without customer_id: the lead's customer */
const struct field lead_convert_fields[] = {
    {"title", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"pipeline_id", FT_ID, 0, 0, NULL, NULL, NULL},
    {"stage_id", FT_ID, 0, 0, NULL, NULL, NULL},
    {"amount_minor", FT_MONEY, 0, 0, NULL, NULL, NULL},
    {"currency", FT_CURRENCY, 0, 0, NULL, NULL, NULL},
    {"probability", FT_INT, 0, 100, NULL, NULL, NULL},
    {"expected_close", FT_DATE, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"owner_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"source", FT_STRING, FF_NULLABLE, 100, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char default_scoring[] =
    "{\"fit\":["
    "{\"field\":\"email\",\"op\":\"present\",\"points\":10},"
    "{\"field\":\"phone\",\"op\":\"present\",\"points\":10},"
    "{\"field\":\"kind\",\"op\":\"eq\",\"value\":\"organization\",\"points\":15},"
    "{\"field\":\"headcount\",\"op\":\"gte\",\"number\":50,\"points\":15},"
    "{\"field\":\"company_revenue_minor\",\"op\":\"gte\",\"number\":100000000,\"points\":10},"
    "{\"field\":\"occupation\",\"op\":\"in\",\"value\":\"executive|manager|professional\","
    "\"points\":10}],"
    "\"behaviour\":["
    "{\"source\":\"interaction\",\"kind\":\"interest\",\"points\":10,\"max\":30},"
    "{\"source\":\"interaction\",\"kind\":\"meeting\",\"points\":15,\"max\":30},"
    "{\"source\":\"interaction\",\"kind\":\"request\",\"points\":10,\"max\":20},"
    "{\"source\":\"interaction\",\"channel\":\"web\",\"points\":2,\"max\":10},"
    "{\"source\":\"event\",\"type\":\"page.viewed\",\"points\":1,\"max\":20}],"
    "\"window_days\":90,\"hot\":60,\"warm\":30}";

int lead_scoring_get(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT value FROM settings WHERE key = 'lead_scoring'", "");
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    json_t *cfg = rc == 1 ? json_loads(stmt_text(s, 0), 0, NULL) : NULL;
    stmt_done(s);
    if (rc < 0)
        return rc;
    if (!cfg)
        cfg = json_loads(default_scoring, 0, NULL);
    if (!cfg)
        return fail(c, ERR_INTERNAL, "", "bad lead scoring configuration");
    *out = cfg;
    return 0;
}

int lead_scoring_set(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(lead_scoring_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    if (jint(in, "warm", 0) > jint(in, "hot", 0))
        return fail(c, ERR_INVALID, "warm", "must not exceed hot");
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(in, "fit"), i, r)
    {
        const char *op = jstr(r, "op");
        char f[48];
        if ((!strcmp(op, "eq") || !strcmp(op, "in")) && !jstr(r, "value")) {
            snprintf(f, sizeof(f), "fit[%zu].value", i);
            return fail(c, ERR_INVALID, f, "'%s' compares with a value", op);
        }
        if ((!strcmp(op, "gte") || !strcmp(op, "lte")) &&
            !json_is_number(json_object_get(r, "number"))) {
            snprintf(f, sizeof(f), "fit[%zu].number", i);
            return fail(c, ERR_INVALID, f, "'%s' compares with a number", op);
        }
    }
    json_array_foreach(json_object_get(in, "behaviour"), i, r)
    {
        char f[48];
        if (!strcmp(jstr(r, "source"), "event") && !jstr(r, "type")) {
            snprintf(f, sizeof(f), "behaviour[%zu].type", i);
            return fail(c, ERR_INVALID, f, "an event rule names the event type");
        }
    }
    char *dump = json_dumps(in, JSON_COMPACT);
    if (!dump)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    rc = store_run(c->st, NULL, &c->err,
                   "INSERT INTO settings(key, value) VALUES ('lead_scoring', ?) ON CONFLICT(key) "
                   "DO UPDATE SET value = excluded.value",
                   "s", dump);
    free(dump);
    return rc ? rc : lead_scoring_get(c, out);
}

/* ------------------------------------------------------------------ scoring */

static int alt_match(const char *alts, const char *v)
{
    size_t vl = strlen(v);
    for (const char *p = alts; *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == vl && !strncmp(p, v, n))
            return 1;
        if (!bar)
            break;
        p = bar + 1;
    }
    return 0;
}

static int fit_match(const json_t *rule, const json_t *v)
{
    const char *op = jstr(rule, "op");
    int present = v && !json_is_null(v) && !(json_is_string(v) && !*json_string_value(v));
    if (!strcmp(op, "present"))
        return present;
    if (!present)
        return 0;
    if (!strcmp(op, "eq") || !strcmp(op, "in")) {
        const char *want = jstr(rule, "value");
        char num[32];
        const char *have = json_string_value(v);
        if (!have && json_is_integer(v)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
            have = num;
        }
        if (!want || !have)
            return 0;
        return !strcmp(op, "eq") ? !strcmp(want, have) : alt_match(want, have);
    }
    if (!json_is_number(v))
        return 0;
    double x = json_number_value(v), n = json_number_value(json_object_get(rule, "number"));
    return !strcmp(op, "gte") ? x >= n : x <= n;
}

json_t *lead_score_compute(const json_t *config, const json_t *profile, const int64_t *counts,
                           size_t ncounts)
{
    int64_t fit = 0, beh = 0;
    json_t *fits = json_array(), *behs = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(config, "fit"), i, r)
    {
        const char *field = jstr(r, "field");
        json_t *v = json_object_get(profile, field);
        if (field && !strcmp(field, "country") && !v) /* the first address's */
            v = json_object_get(json_array_get(json_object_get(profile, "addresses"), 0),
                                "country");
        if (!field || !fit_match(r, v))
            continue;
        int64_t p = jint(r, "points", 0);
        fit += p;
        json_array_append_new(fits, json_pack("{s:s,s:s,s:I}", "field", field, "op", jstr(r, "op"),
                                              "points", (json_int_t)p));
    }
    json_array_foreach(json_object_get(config, "behaviour"), i, r)
    {
        int64_t n = i < ncounts ? counts[i] : 0, p = jint(r, "points", 0),
                cap = jint(r, "max", 100), got = n * p;
        if (got > cap)
            got = cap;
        if (!n)
            continue;
        beh += got;
        json_t *b = json_pack("{s:s,s:I,s:I}", "source", jstr(r, "source"), "count", (json_int_t)n,
                              "points", (json_int_t)got);
        static const char *const keys[] = {"kind", "channel", "type", NULL};
        for (int k = 0; keys[k]; k++)
            if (jstr(r, keys[k]))
                json_object_set_new(b, keys[k], json_string(jstr(r, keys[k])));
        json_array_append_new(behs, b);
    }
    int64_t score = fit + beh;
    const char *grade = score >= jint(config, "hot", 60)    ? "hot"
                        : score >= jint(config, "warm", 30) ? "warm"
                                                            : "cold";
    return json_pack("{s:I,s:I,s:I,s:s,s:o,s:o}", "fit", (json_int_t)fit, "behaviour",
                     (json_int_t)beh, "score", (json_int_t)score, "grade", grade, "fit_rules", fits,
                     "behaviour_rules", behs);
}

/* Counts each behaviour rule's occurrences for the customer since `since`. */
static int behaviour_counts(struct ctx *c, const json_t *cfg, int64_t cid, int64_t since,
                            int64_t *counts, size_t max)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(cfg, "behaviour"), i, r)
    {
        if (i >= max)
            break;
        int rc;
        if (!strcmp(jstr(r, "source"), "event"))
            rc = store_int(c->st, &counts[i], &c->err,
                           "SELECT COUNT(*) FROM events WHERE customer_id = ? AND type = ? AND at "
                           ">= ?",
                           "isi", cid, jstr(r, "type"), since);
        else
            rc = store_int(c->st, &counts[i], &c->err,
                           "SELECT COUNT(*) FROM interactions WHERE customer_id = ? AND at >= ? "
                           "AND (? IS NULL OR kind = ?) AND (? IS NULL OR channel = ?)",
                           "iissss", cid, since, jstr(r, "kind"), jstr(r, "kind"),
                           jstr(r, "channel"), jstr(r, "channel"));
        if (rc)
            return rc;
    }
    return 0;
}

static const char *const lead_names[] = {"customer_id",   "status",           "reason",
                                         "fit",           "behaviour",        "score",
                                         "scored_at",     "deal_id",          "qualified_at",
                                         "converted_at",  "created_at",       "updated_at",
                                         "customer_name", "lifecycle_orders", NULL};
#define LEAD_TYPES "issiiitittttsi"
#define LEAD_SELECT                                                                                \
    "SELECT l.customer_id, l.status, l.reason, l.fit, l.behaviour, l.score, l.scored_at, "         \
    "l.deal_id, l.qualified_at, l.converted_at, l.created_at, l.updated_at, COALESCE(cu.name, "    \
    "TRIM(COALESCE(cu.first_name, '') || ' ' || COALESCE(cu.last_name, '')), cu.email), "          \
    "cu.orders_count FROM leads l JOIN customers cu ON cu.id = l.customer_id "

/* Ensures the lead row, scores it and stores the score; *breakdown (may be
 * NULL) gets the computation. Inside the caller's transaction. */
static int score_one(struct ctx *c, int64_t cid, json_t **breakdown)
{
    json_t *cfg = NULL, *profile = NULL, *res = NULL;
    int64_t counts[50] = {0}, now = time_now();
    int rc = customer_profile(c, cid, &profile);
    if (rc == ERR_NOTFOUND)
        rc = fail(c, ERR_NOTFOUND, "id", "no customer %lld", (long long)cid);
    if (!rc)
        rc = lead_scoring_get(c, &cfg);
    if (!rc)
        rc = behaviour_counts(c, cfg, cid, now - jint(cfg, "window_days", 90) * 86400, counts, 50);
    if (!rc) {
        res = lead_score_compute(cfg, profile, counts, 50);
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO leads(customer_id, fit, behaviour, score, scored_at, "
                       "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5) ON "
                       "CONFLICT(customer_id) DO UPDATE SET fit = ?2, behaviour = ?3, score = ?4, "
                       "scored_at = ?5",
                       "iiiii", cid, jint(res, "fit", 0), jint(res, "behaviour", 0),
                       jint(res, "score", 0), now);
    }
    json_decref(cfg);
    json_decref(profile);
    if (!rc && breakdown)
        *breakdown = res;
    else
        json_decref(res);
    return rc;
}

static int lead_row(struct ctx *c, int64_t cid, json_t *breakdown, json_t **out)
{
    int rc = rowj_one(c, LEAD_SELECT "WHERE l.customer_id = ?", cid, lead_names, LEAD_TYPES, "lead",
                      out);
    if (rc)
        return rc;
    json_t *orders = json_object_get(*out, "lifecycle_orders");
    json_object_set_new(*out, "prospect", json_boolean(json_integer_value(orders) == 0));
    json_object_del(*out, "lifecycle_orders");
    if (breakdown) {
        json_object_set(*out, "grade", json_object_get(breakdown, "grade"));
        json_object_set(*out, "fit_rules", json_object_get(breakdown, "fit_rules"));
        json_object_set(*out, "behaviour_rules", json_object_get(breakdown, "behaviour_rules"));
    }
    return 0;
}

/* Scores without storing (a GET is read-only): the stored record, or a new
 * lead's defaults, with the live score and its breakdown. */
int lead_get(struct ctx *c, int64_t customer_id, json_t **out)
{
    json_t *cfg = NULL, *profile = NULL, *bd = NULL;
    int64_t counts[50] = {0};
    int rc = customer_profile(c, customer_id, &profile);
    if (rc == ERR_NOTFOUND)
        rc = fail(c, ERR_NOTFOUND, "id", "no customer %lld", (long long)customer_id);
    if (!rc)
        rc = lead_scoring_get(c, &cfg);
    if (!rc)
        rc = behaviour_counts(c, cfg, customer_id,
                              time_now() - jint(cfg, "window_days", 90) * 86400, counts, 50);
    if (!rc)
        bd = lead_score_compute(cfg, profile, counts, 50);
    if (!rc) {
        rc = lead_row(c, customer_id, bd, out);
        if (rc == ERR_NOTFOUND) {
            err_clear(&c->err);
            json_t *stats = json_object_get(profile, "stats");
            json_t *oc = json_object_get(stats, "orders");
            *out =
                json_pack("{s:I,s:s,s:n,s:n,s:n,s:n,s:b}", "customer_id", (json_int_t)customer_id,
                          "status", "new", "reason", "deal_id", "qualified_at", "converted_at",
                          "prospect", !json_is_integer(oc) || json_integer_value(oc) == 0);
            char nm[220];
            snprintf(nm, sizeof(nm), "%s%s%s",
                     jstr(profile, "first_name") ? jstr(profile, "first_name") : "",
                     jstr(profile, "first_name") ? " " : "",
                     jstr(profile, "last_name") ? jstr(profile, "last_name") : "");
            json_object_set_new(*out, "customer_name",
                                jstr(profile, "name") ? json_string(jstr(profile, "name"))
                                                      : json_string(nm));
            json_object_set(*out, "grade", json_object_get(bd, "grade"));
            json_object_set(*out, "fit_rules", json_object_get(bd, "fit_rules"));
            json_object_set(*out, "behaviour_rules", json_object_get(bd, "behaviour_rules"));
            rc = 0;
        }
    }
    if (!rc) { /* the live score */
        json_object_set(*out, "fit", json_object_get(bd, "fit"));
        json_object_set(*out, "behaviour", json_object_get(bd, "behaviour"));
        json_object_set(*out, "score", json_object_get(bd, "score"));
    }
    json_decref(cfg);
    json_decref(profile);
    json_decref(bd);
    return rc;
}

int lead_set_status(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out)
{
    int rc = fields_check(lead_status_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    const char *status = jstr(in, "status"), *reason = jstr(in, "reason");
    if (!strcmp(status, "disqualified") && !(reason && *reason))
        return fail(c, ERR_INVALID, "reason", "say why the lead is disqualified");
    json_t *before = NULL, *bd = NULL;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = score_one(c, customer_id, &bd);
    if (!rc)
        rc = lead_row(c, customer_id, NULL, &before);
    if (!rc && !strcmp(jstr(before, "status"), "converted"))
        rc = fail(c, ERR_CONFLICT, "status", "the lead is already converted");
    int64_t now = time_now();
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE leads SET status = ?1, reason = ?2, qualified_at = CASE WHEN ?1 = "
                       "'qualified' THEN ?3 ELSE qualified_at END, updated_at = ?3 WHERE "
                       "customer_id = ?4",
                       "ssii", status, reason, now, customer_id);
    if (!rc)
        rc = lead_row(c, customer_id, bd, out);
    if (!rc && (!strcmp(status, "qualified") || !strcmp(status, "disqualified"))) {
        json_t *data = json_pack("{s:s,s:s?,s:O}", "status", status, "reason", reason, "score",
                                 json_object_get(*out, "score"));
        char type[32];
        snprintf(type, sizeof(type), "lead.%s", status);
        rc = event_emit(c, type, customer_id, "lead", customer_id, data, NULL);
        json_decref(data);
    }
    if (!rc)
        rc = audit_record(c, "qualify", "lead", customer_id, before, *out);
    json_decref(before);
    json_decref(bd);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int lead_convert(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out)
{
    int rc = fields_check(lead_convert_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    const char *title = jstr(in, "title");
    while (title && *title == ' ')
        title++;
    if (!title || !*title)
        return fail(c, ERR_INVALID, "title", "must not be empty");
    json_t *before = NULL, *deal = NULL, *bd = NULL;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = score_one(c, customer_id, &bd);
    if (!rc)
        rc = lead_row(c, customer_id, NULL, &before);
    const char *st = rc ? NULL : jstr(before, "status");
    if (!rc && !strcmp(st, "converted"))
        rc = fail(c, ERR_CONFLICT, "status", "the lead is already converted");
    if (!rc && !strcmp(st, "disqualified"))
        rc = fail(c, ERR_CONFLICT, "status", "a disqualified lead must be requalified first");
    if (!rc) {
        json_t *d = json_deep_copy(in);
        json_object_set_new(d, "customer_id", json_integer(customer_id));
        rc = deal_create(c, d, &deal);
        json_decref(d);
    }
    int64_t did = jint(deal, "id", 0), now = time_now();
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE leads SET status = 'converted', deal_id = ?, converted_at = ?, "
                       "qualified_at = COALESCE(qualified_at, ?), updated_at = ? WHERE "
                       "customer_id = ?",
                       "iiiii", did, now, now, now, customer_id);
    if (!rc)
        rc = lead_row(c, customer_id, bd, out);
    if (!rc) {
        json_object_set(*out, "deal", deal);
        json_t *data = json_pack("{s:I}", "deal_id", (json_int_t)did);
        rc = event_emit(c, "lead.converted", customer_id, "lead", customer_id, data, NULL);
        json_decref(data);
    }
    if (!rc)
        rc = audit_record(c, "convert", "lead", customer_id, before, *out);
    json_decref(before);
    json_decref(deal);
    json_decref(bd);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int lead_list(struct ctx *c, const char *status, const char *cursor, int limit, json_t **out)
{
    if (limit <= 0)
        limit = 50;
    if (limit > 500)
        return fail(c, ERR_BADREQ, "limit", "at most 500");
    if (status && !enum_has(LEAD_STATUSES, status))
        return fail(c, ERR_BADREQ, "status", "must be one of: %s", LEAD_STATUSES);
    long long cs = INT64_MAX, ci = INT64_MAX;
    if (cursor && *cursor) {
        char tail;
        if (sscanf(cursor, "%lld.%lld%c", &cs, &ci, &tail) != 2)
            return fail(c, ERR_BADREQ, "cursor", "not a cursor this API returned");
    }
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         LEAD_SELECT "WHERE (?1 IS NULL OR l.status = ?1) AND (l.score < ?2 OR "
                                     "(l.score = ?2 AND l.customer_id < ?3)) ORDER BY l.score "
                                     "DESC, l.customer_id DESC LIMIT ?4",
                         "siii", status, (int64_t)cs, (int64_t)ci, (int64_t)limit + 1);
    if (rc)
        return rc;
    json_t *items = json_array();
    int n = 0;
    int64_t ls = 0, lc = 0;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (n++ == limit)
            break;
        json_t *o = rowj_object(s, lead_names, LEAD_TYPES);
        json_object_del(o, "lifecycle_orders");
        ls = stmt_int(s, 5);
        lc = stmt_int(s, 0);
        json_array_append_new(items, o);
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    char cur[48];
    snprintf(cur, sizeof(cur), "%lld.%lld", (long long)ls, (long long)lc);
    *out = json_pack("{s:o,s:o}", "items", items, "next_cursor",
                     n > limit ? json_string(cur) : json_null());
    return 0;
}

int lead_rescore_all(struct ctx *c, int64_t *n)
{
    *n = 0;
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    /* prospects without a lead record become leads; then everyone is scored */
    rc = store_run(c->st, NULL, &c->err,
                   "INSERT INTO leads(customer_id, created_at, updated_at) SELECT id, ?1, ?1 FROM "
                   "customers WHERE kind IN ('person','organization') AND orders_count = 0 AND "
                   "merged_into IS NULL AND erased_at IS NULL ON CONFLICT(customer_id) DO NOTHING",
                   "i", time_now());
    struct stmt *s = NULL;
    int64_t *ids = NULL;
    size_t cnt = 0, cap = 0;
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id FROM leads WHERE status <> 'converted'", "");
    int step = 0;
    while (!rc && (step = stmt_step(s, &c->err)) == 1) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 256;
            int64_t *ni = realloc(ids, cap * sizeof(*ids));
            if (!ni) {
                rc = fail(c, ERR_INTERNAL, "", "out of memory");
                break;
            }
            ids = ni;
        }
        ids[cnt++] = stmt_int(s, 0);
    }
    stmt_done(s);
    if (!rc && step < 0)
        rc = step;
    for (size_t i = 0; !rc && i < cnt; i++)
        rc = score_one(c, ids[i], NULL);
    free(ids);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    *n = (int64_t)cnt;
    return store_commit(c->st, &c->err);
}

int lead_converted_by_deal(struct ctx *c, int64_t customer_id, int64_t deal_id)
{
    int64_t now = time_now();
    return store_run(c->st, NULL, &c->err,
                     "UPDATE leads SET status = 'converted', deal_id = COALESCE(deal_id, ?), "
                     "converted_at = ?, updated_at = ? WHERE customer_id = ? AND status <> "
                     "'converted'",
                     "iiii", deal_id, now, now, customer_id);
}
