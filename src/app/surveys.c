/*
 * Satisfaction surveys (see surveys.h): CSAT, NPS and custom questionnaires,
 * invitations with secret tokens, answers checked against the survey's
 * scale, attitudinal data on the customer, results.
 */
#include "app/surveys.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/loyalty_calc.h"
#include "app/audit.h"
#include "app/customers.h"
#include "app/events.h"
#include "store/store.h"
#include "util/timeu.h"

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int64_t jint_or(const json_t *o, const char *k, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static int finish(struct ctx *c, int rc)
{
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

/* ------------------------------------------------------------------ surveys */

static const struct field question_fields[] = {
    {"key", FT_STRING, FF_REQUIRED, 40, NULL, NULL, "a-z, 0-9 and _; the answer's key"},
    {"label", FT_STRING, FF_REQUIRED, 500, NULL, NULL, NULL},
    {"type", FT_ENUM, FF_REQUIRED, 0, "scale|choice|yesno|text", NULL, NULL},
    {"scale_min", FT_INT, 0, 1, NULL, NULL, "0 or 1 (default 1)"},
    {"scale_max", FT_INT, 0, 10, NULL, NULL, "2 to 10 (type scale)"},
    {"choices", FT_STRINGS, 0, 20, NULL, NULL, "type choice"},
    {"required", FT_BOOL, 0, 0, NULL, NULL, NULL},
    {"attitude", FT_ENUM, FF_NULLABLE, 0, "satisfaction|repurchase_intention", NULL,
     "recorded on the customer; satisfaction also gives the response's score"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field survey_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"kind", FT_ENUM, FF_REQUIRED, 0, "csat|nps|custom", NULL,
     "csat: score 1-5; nps: score 0-10; custom: questions"},
    {"question", FT_STRING, FF_NULLABLE, 500, NULL, NULL, "CSAT / NPS wording"},
    {"questions", FT_OBJECTS, 0, 50, NULL, question_fields, "custom questionnaires"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

struct survey {
    int64_t id;
    char kind[8];
    char status[8];
    int scale_max; /* 0: no score */
    json_t *questions;
};

static int survey_load(struct ctx *c, int64_t id, struct survey *sv)
{
    memset(sv, 0, sizeof(*sv));
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT kind, status, COALESCE(scale_max, 0), questions FROM surveys "
                         "WHERE id = ?",
                         "i", id);
    if (rc)
        return rc;
    if ((rc = stmt_step(s, &c->err)) == 1) {
        sv->id = id;
        snprintf(sv->kind, sizeof(sv->kind), "%s", stmt_text(s, 0));
        snprintf(sv->status, sizeof(sv->status), "%s", stmt_text(s, 1));
        sv->scale_max = (int)stmt_int(s, 2);
        sv->questions = json_loads(stmt_text(s, 3), 0, NULL);
    }
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "survey_id", "no survey %lld", (long long)id);
    if (rc < 0)
        return rc;
    if (!sv->questions)
        sv->questions = json_array();
    return 0;
}

static int valid_key(const char *k)
{
    if (!k || !*k)
        return 0;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

/* Business rules of a questionnaire beyond its field table. *scale gets the
 * scale of its satisfaction question (0: none). */
static int questions_check(struct ctx *c, const json_t *qs, int *scale)
{
    size_t i, j;
    json_t *q, *q2;
    int sat = 0, rep = 0;
    *scale = 0;
    json_array_foreach(qs, i, q)
    {
        char f[64];
        const char *key = jstr(q, "key"), *type = jstr(q, "type"), *att = jstr(q, "attitude");
        snprintf(f, sizeof(f), "questions[%zu].key", i);
        if (!valid_key(key) || !strcmp(key, "comment"))
            return fail(c, ERR_INVALID, f, "a-z, 0-9 and _ only, and not 'comment'");
        json_array_foreach(qs, j, q2) if (j < i && !strcmp(jstr(q2, "key"), key)) return fail(
            c, ERR_INVALID, f, "two questions have the key '%s'", key);
        int smax = (int)jint_or(q, "scale_max", 0);
        snprintf(f, sizeof(f), "questions[%zu].scale_max", i);
        if (!strcmp(type, "scale") && smax < 2)
            return fail(c, ERR_INVALID, f, "a scale question needs scale_max (2 to 10)");
        snprintf(f, sizeof(f), "questions[%zu].choices", i);
        if (!strcmp(type, "choice") && json_array_size(json_object_get(q, "choices")) < 2)
            return fail(c, ERR_INVALID, f, "a choice question needs at least two choices");
        snprintf(f, sizeof(f), "questions[%zu].attitude", i);
        if (att && strcmp(type, "scale") && strcmp(type, "yesno"))
            return fail(c, ERR_INVALID, f, "only a scale or yes/no question measures an attitude");
        if (att && !strcmp(att, "satisfaction")) {
            if (sat++ || strcmp(type, "scale"))
                return fail(c, ERR_INVALID, f, "one satisfaction question, on a scale");
            *scale = smax;
        }
        if (att && !strcmp(att, "repurchase_intention") && rep++)
            return fail(c, ERR_INVALID, f, "one repurchase intention question");
    }
    return 0;
}

#define SURVEY_COLS "id, name, kind, question, questions, scale_max, builtin, status, created_at"

static json_t *survey_row(struct stmt *s)
{
    char ts[TIME_BUF];
    json_t *qs = json_loads(stmt_text(s, 4), 0, NULL);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(stmt_int(s, 0)));
    json_object_set_new(o, "name", json_string(stmt_text(s, 1)));
    json_object_set_new(o, "kind", json_string(stmt_text(s, 2)));
    json_object_set_new(o, "question",
                        stmt_text(s, 3) ? json_string(stmt_text(s, 3)) : json_null());
    json_object_set_new(o, "questions", qs ? qs : json_array());
    json_object_set_new(o, "scale_max",
                        stmt_isnull(s, 5) ? json_null() : json_integer(stmt_int(s, 5)));
    json_object_set_new(o, "builtin", stmt_text(s, 6) ? json_string(stmt_text(s, 6)) : json_null());
    json_object_set_new(o, "status", json_string(stmt_text(s, 7)));
    json_object_set_new(o, "created_at", json_string(time_format(stmt_int(s, 8), ts, sizeof(ts))));
    return o;
}

int survey_get(struct ctx *c, int64_t id, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, "SELECT " SURVEY_COLS " FROM surveys WHERE id = ?",
                         "i", id);
    if (rc)
        return rc;
    if ((rc = stmt_step(s, &c->err)) == 1)
        *out = survey_row(s);
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "id", "no survey %lld", (long long)id);
    return rc < 0 ? rc : 0;
}

int survey_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT " SURVEY_COLS " FROM surveys ORDER BY id DESC LIMIT 1000", "");
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1)
        json_array_append_new(items, survey_row(s));
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

int survey_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(survey_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    const char *kind = jstr(in, "kind"), *question = jstr(in, "question");
    json_t *qs = json_object_get(in, "questions");
    int scale = 0;
    if (!strcmp(kind, "custom")) {
        if (json_array_size(qs) == 0)
            return fail(c, ERR_INVALID, "questions", "a custom survey needs questions");
        rc = questions_check(c, qs, &scale);
        if (rc)
            return rc;
    } else {
        if (json_array_size(qs))
            return fail(c, ERR_INVALID, "questions", "a %s survey asks one question", kind);
        scale = !strcmp(kind, "csat") ? 5 : 10;
        if (!question)
            question = !strcmp(kind, "csat")
                           ? "How satisfied are you?"
                           : "How likely are you to recommend us to a friend or colleague?";
    }
    char *qtext = qs ? json_dumps(qs, JSON_COMPACT) : NULL;
    int64_t id = 0, now = time_now();
    rc = store_int(c->st, &id, &c->err,
                   "INSERT INTO surveys(name, kind, question, questions, scale_max, created_at, "
                   "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                   "ssssIii", jstr(in, "name"), kind, question, qtext ? qtext : "[]",
                   scale ? (int64_t)scale : INT64_MIN, now, now);
    free(qtext);
    return rc ? rc : survey_get(c, id, out);
}

int survey_close(struct ctx *c, int64_t id, json_t **out)
{
    int64_t n = 0;
    int rc = store_run(c->st, &n, &c->err,
                       "UPDATE surveys SET status = 'closed', updated_at = ? WHERE id = ?", "ii",
                       time_now(), id);
    if (!rc && n == 0)
        return fail(c, ERR_NOTFOUND, "id", "no survey %lld", (long long)id);
    return rc ? rc : survey_get(c, id, out);
}

/* ------------------------------------------------------------------ answers */

struct scored {
    int64_t score; /* INT64_MIN: none */
    int scale_max;
    double satisfaction, repurchase; /* NAN: not measured */
    int64_t nps;                     /* -1: not an NPS answer */
};

/* Checks the answers against the survey; fills what they measure. */
static int answers_check(struct ctx *c, const struct survey *sv, const json_t *a, struct scored *sc)
{
    sc->score = INT64_MIN;
    sc->scale_max = 0;
    sc->satisfaction = sc->repurchase = NAN;
    sc->nps = -1;
    if (!json_is_object(a))
        return fail(c, ERR_BADREQ, "answers", "the answers must be an object");
    json_t *comment = json_object_get(a, "comment");
    if (comment && !json_is_null(comment) &&
        (!json_is_string(comment) || strlen(json_string_value(comment)) > 2000))
        return fail(c, ERR_INVALID, "answers.comment", "text of at most 2000 bytes");
    const char *k;
    json_t *v;
    if (strcmp(sv->kind, "custom")) {
        int lo = !strcmp(sv->kind, "csat") ? 1 : 0;
        json_object_foreach(
            (json_t *)a, k,
            v) if (strcmp(k, "score") &&
                   strcmp(k,
                          "comment")) return fail(c, ERR_INVALID, "answers",
                                                  "unknown answer '%.40s': send score and comment",
                                                  k);
        v = json_object_get(a, "score");
        if (!v)
            return fail(c, ERR_INVALID, "answers.score", "the score is required");
        if (!json_is_integer(v) || json_integer_value(v) < lo ||
            json_integer_value(v) > sv->scale_max)
            return fail(c, ERR_INVALID, "answers.score", "a whole number from %d to %d", lo,
                        sv->scale_max);
        sc->score = json_integer_value(v);
        sc->scale_max = sv->scale_max;
        if (!strcmp(sv->kind, "csat"))
            sc->satisfaction = (double)sc->score / sv->scale_max;
        else
            sc->nps = sc->score;
        return 0;
    }
    json_object_foreach((json_t *)a, k, v)
    {
        if (!strcmp(k, "comment"))
            continue;
        size_t i;
        json_t *q;
        int known = 0;
        json_array_foreach(sv->questions, i, q) known |= !strcmp(jstr(q, "key"), k);
        if (!known)
            return fail(c, ERR_INVALID, "answers", "unknown question '%.40s'", k);
    }
    size_t i;
    json_t *q;
    json_array_foreach(sv->questions, i, q)
    {
        const char *key = jstr(q, "key"), *type = jstr(q, "type"), *att = jstr(q, "attitude");
        char f[64];
        snprintf(f, sizeof(f), "answers.%s", key);
        v = json_object_get(a, key);
        if (!v || json_is_null(v)) {
            if (json_is_true(json_object_get(q, "required")))
                return fail(c, ERR_INVALID, f, "an answer is required");
            continue;
        }
        double ratio = NAN;
        if (!strcmp(type, "scale")) {
            int64_t lo = jint_or(q, "scale_min", 1), hi = jint_or(q, "scale_max", 5);
            if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
                return fail(c, ERR_INVALID, f, "a whole number from %lld to %lld", (long long)lo,
                            (long long)hi);
            ratio = (double)json_integer_value(v) / (double)hi;
            if (att && !strcmp(att, "satisfaction")) {
                sc->score = json_integer_value(v);
                sc->scale_max = (int)hi;
            }
        } else if (!strcmp(type, "yesno")) {
            if (!json_is_boolean(v))
                return fail(c, ERR_INVALID, f, "true or false");
            ratio = json_is_true(v) ? 1.0 : 0.0;
        } else if (!strcmp(type, "choice")) {
            size_t j;
            json_t *ch;
            int ok = 0;
            if (json_is_string(v))
                json_array_foreach(json_object_get(q, "choices"), j, ch) ok |= json_equal(ch, v);
            if (!ok)
                return fail(c, ERR_INVALID, f, "one of the question's choices");
        } else if (!json_is_string(v) || strlen(json_string_value(v)) > 2000) {
            return fail(c, ERR_INVALID, f, "text of at most 2000 bytes");
        }
        if (att && !strcmp(att, "satisfaction"))
            sc->satisfaction = ratio;
        else if (att && !strcmp(att, "repurchase_intention"))
            sc->repurchase = ratio;
    }
    return 0;
}

static const char *const response_names[] = {
    "id",          "survey_id", "customer_id",   "kind",      "score", "scale_max",
    "answered_at", "answers",   "invitation_id", "ticket_id", NULL};
#define RESPONSE_COLS                                                                              \
    "id, survey_id, customer_id, kind, score, scale_max, answered_at, answers, invitation_id, "    \
    "ticket_id"

static json_t *response_row(struct stmt *s)
{
    char ts[TIME_BUF];
    json_t *o = json_object();
    for (int i = 0; response_names[i]; i++) {
        json_t *v;
        if (stmt_isnull(s, i))
            v = json_null();
        else if (i == 3)
            v = json_string(stmt_text(s, i));
        else if (i == 6)
            v = json_string(time_format(stmt_int(s, i), ts, sizeof(ts)));
        else if (i == 7)
            v = json_loads(stmt_text(s, i), 0, NULL);
        else
            v = json_integer(stmt_int(s, i));
        json_object_set_new(o, response_names[i], v ? v : json_null());
    }
    return o;
}

static int response_get(struct ctx *c, int64_t id, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT " RESPONSE_COLS " FROM survey_responses WHERE id = ?", "i", id);
    if (rc)
        return rc;
    if ((rc = stmt_step(s, &c->err)) == 1)
        *out = response_row(s);
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "id", "no response %lld", (long long)id);
    return rc < 0 ? rc : 0;
}

/* Records the answer (inv: the invitation answered, 0 to look for an open
 * one) inside one write transaction. */
static int answer(struct ctx *c, int64_t survey_id, int64_t customer_id, int64_t inv,
                  const json_t *answers, json_t **out)
{
    struct survey sv;
    int rc = survey_load(c, survey_id, &sv);
    if (rc)
        return rc;
    struct scored sc;
    rc = answers_check(c, &sv, answers, &sc);
    if (!rc && strcmp(sv.status, "active"))
        rc = fail(c, ERR_CONFLICT, "survey_id", "the survey is closed");
    if (rc) {
        json_decref(sv.questions);
        return rc;
    }
    rc = store_begin(c->st, &c->err);
    if (rc) {
        json_decref(sv.questions);
        return rc;
    }
    rc = customer_exists(c, customer_id);
    int64_t ticket = INT64_MIN, dummy = 0, now = time_now(), id = 0;
    if (!rc && !inv) {
        struct stmt *s = NULL;
        rc = store_query(c->st, &s, &c->err,
                         "SELECT id, ticket_id FROM survey_invitations WHERE survey_id = ? AND "
                         "customer_id = ? AND answered_at IS NULL ORDER BY id LIMIT 1",
                         "ii", survey_id, customer_id);
        if (!rc) {
            if ((rc = stmt_step(s, &c->err)) == 1) {
                inv = stmt_int(s, 0);
                ticket = stmt_isnull(s, 1) ? INT64_MIN : stmt_int(s, 1);
            }
            stmt_done(s);
            rc = rc < 0 ? rc : 0;
        }
        if (!rc && !inv &&
            store_int(c->st, &dummy, NULL,
                      "SELECT 1 FROM survey_responses WHERE survey_id = ? AND customer_id = ?",
                      "ii", survey_id, customer_id) == 0)
            rc = fail(c, ERR_EXISTS, "survey_id", "this customer has already answered");
    } else if (!rc) {
        if (store_int(c->st, &ticket, NULL,
                      "SELECT ticket_id FROM survey_invitations WHERE id = ? AND ticket_id IS NOT "
                      "NULL",
                      "i", inv))
            ticket = INT64_MIN;
    }
    char *atext = json_dumps(answers, JSON_COMPACT);
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO survey_responses(survey_id, customer_id, kind, score, "
                       "scale_max, answered_at, answers, invitation_id, ticket_id) VALUES (?, ?, "
                       "?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       "iisIIisII", survey_id, customer_id, sv.kind, sc.score,
                       sc.scale_max ? (int64_t)sc.scale_max : INT64_MIN, now, atext ? atext : "{}",
                       inv ? inv : INT64_MIN, ticket);
    free(atext);
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "survey_id", "this invitation has already been answered");
    if (!rc && inv)
        rc =
            store_run(c->st, NULL, &c->err,
                      "UPDATE survey_invitations SET answered_at = ? WHERE id = ?", "ii", now, inv);
    /* attitudinal data: the latest measure of each kind wins */
    if (!rc && (!isnan(sc.satisfaction) || !isnan(sc.repurchase) || sc.nps >= 0)) {
        struct bindv b[] = {
            {'i', customer_id, 0, NULL},
            {isnan(sc.satisfaction) ? 'n' : 'd', 0, sc.satisfaction, NULL},
            {isnan(sc.satisfaction) ? 'n' : 'i', now, 0, NULL},
            {sc.nps < 0 ? 'n' : 'i', sc.nps, 0, NULL},
            {sc.nps < 0 ? 'n' : 'i', now, 0, NULL},
            {isnan(sc.repurchase) ? 'n' : 'd', 0, sc.repurchase, NULL},
            {isnan(sc.repurchase) ? 'n' : 'i', now, 0, NULL},
            {'i', now, 0, NULL},
        };
        struct stmt *s = NULL;
        rc = store_queryv(
            c->st, &s, &c->err,
            "INSERT INTO customer_attitudes(customer_id, satisfaction, satisfaction_at, nps, "
            "nps_at, repurchase_intention, repurchase_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
            "?) ON CONFLICT(customer_id) DO UPDATE SET satisfaction = COALESCE(excluded."
            "satisfaction, customer_attitudes.satisfaction), satisfaction_at = "
            "COALESCE(excluded.satisfaction_at, customer_attitudes.satisfaction_at), nps = "
            "COALESCE(excluded.nps, customer_attitudes.nps), nps_at = COALESCE(excluded.nps_at, "
            "customer_attitudes.nps_at), repurchase_intention = "
            "COALESCE(excluded.repurchase_intention, customer_attitudes.repurchase_intention), "
            "repurchase_at = COALESCE(excluded.repurchase_at, customer_attitudes.repurchase_at), "
            "updated_at = excluded.updated_at",
            b, 8);
        if (!rc) {
            rc = stmt_step(s, &c->err);
            stmt_done(s);
            rc = rc < 0 ? rc : 0;
        }
    }
    if (!rc)
        rc = response_get(c, id, out);
    if (!rc)
        rc = audit_record(c, "survey_answer", "customer", customer_id, NULL, *out);
    if (!rc) {
        /* survey.answered: {survey_id, kind, score, scale_max, response_id,
         * ticket_id} (score and scale_max null for a custom survey without a
         * satisfaction question) */
        json_t *d = json_pack(
            "{s:I,s:s,s:o,s:o,s:I,s:o}", "survey_id", (json_int_t)survey_id, "kind", sv.kind,
            "score", sc.score == INT64_MIN ? json_null() : json_integer(sc.score), "scale_max",
            sc.scale_max ? json_integer(sc.scale_max) : json_null(), "response_id", (json_int_t)id,
            "ticket_id", ticket == INT64_MIN ? json_null() : json_integer(ticket));
        rc = event_emit(c, "survey.answered", customer_id, "survey_response", id, d, NULL);
        json_decref(d);
    }
    json_decref(sv.questions);
    if (rc && *out) {
        json_decref(*out);
        *out = NULL;
    }
    return finish(c, rc);
}

int survey_answer(struct ctx *c, int64_t survey_id, int64_t customer_id, const json_t *answers,
                  json_t **out)
{
    *out = NULL;
    return answer(c, survey_id, customer_id, 0, answers, out);
}

/* -------------------------------------------------------------- invitations */

const struct field survey_invite_fields[] = {
    {"customer_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"ticket_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "the ticket the survey is about"},
    {"channel", FT_ENUM, FF_NULLABLE, 0, "email|sms|web|portal|phone", NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field survey_ticket_fields[] = {
    {"ticket_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, "a resolved ticket"},
    {"customer_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, "the ticket's customer"},
    {"channel", FT_ENUM, FF_NULLABLE, 0, "email|sms|web|portal|phone", NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static void token_hash(const char *token, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

static int invite(struct ctx *c, int64_t survey_id, int64_t customer_id, int64_t ticket_id,
                  const char *channel, json_t **out)
{
    unsigned char b[32];
    char token[65], hash[65];
    randombytes_buf(b, sizeof(b));
    sodium_bin2hex(token, sizeof(token), b, sizeof(b));
    token_hash(token, hash);
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    struct survey sv;
    rc = survey_load(c, survey_id, &sv);
    if (!rc) {
        json_decref(sv.questions);
        if (strcmp(sv.status, "active"))
            rc = fail(c, ERR_CONFLICT, "survey_id", "the survey is closed");
    }
    if (!rc) {
        rc = customer_exists(c, customer_id);
        if (rc)
            snprintf(c->err.field, sizeof(c->err.field), "customer_id");
    }
    int64_t id = 0, now = time_now();
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO survey_invitations(survey_id, customer_id, token_hash, "
                       "ticket_id, channel, sent_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                       "iisIsi", survey_id, customer_id, hash, ticket_id ? ticket_id : INT64_MIN,
                       channel, now);
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "ticket_id", "this ticket's customer is already invited");
    if (!rc) {
        char url[128], ts[TIME_BUF];
        snprintf(url, sizeof(url), "/api/v1/survey-invitations/%s/answers", token);
        *out = json_pack("{s:I,s:I,s:I,s:o,s:s?,s:s,s:s,s:s}", "id", (json_int_t)id, "survey_id",
                         (json_int_t)survey_id, "customer_id", (json_int_t)customer_id, "ticket_id",
                         ticket_id ? json_integer(ticket_id) : json_null(), "channel", channel,
                         "sent_at", time_format(now, ts, sizeof(ts)), "token", token, "answer_url",
                         url);
        /* survey.invited: {survey_id, invitation_id, ticket_id, channel} */
        json_t *d =
            json_pack("{s:I,s:I,s:o,s:s?}", "survey_id", (json_int_t)survey_id, "invitation_id",
                      (json_int_t)id, "ticket_id",
                      ticket_id ? json_integer(ticket_id) : json_null(), "channel", channel);
        rc = event_emit(c, "survey.invited", customer_id, "survey_invitation", id, d, NULL);
        json_decref(d);
        if (rc) {
            json_decref(*out);
            *out = NULL;
        }
    }
    return finish(c, rc);
}

int survey_invite(struct ctx *c, int64_t survey_id, const json_t *in, json_t **out)
{
    int rc = fields_check(survey_invite_fields, in, FIELDS_CREATE, &c->err);
    return rc ? rc
              : invite(c, survey_id, jint_or(in, "customer_id", 0), jint_or(in, "ticket_id", 0),
                       jstr(in, "channel"), out);
}

static int ticket_survey(struct ctx *c, int64_t *id)
{
    int rc =
        store_int(c->st, id, &c->err, "SELECT id FROM surveys WHERE builtin = 'ticket_csat'", "");
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_NOTFOUND, "survey_id", "the ticket satisfaction survey is missing");
    return rc;
}

int survey_invite_ticket(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(survey_ticket_fields, in, FIELDS_CREATE, &c->err);
    int64_t sid = 0;
    if (!rc)
        rc = ticket_survey(c, &sid);
    return rc ? rc
              : invite(c, sid, jint_or(in, "customer_id", 0), jint_or(in, "ticket_id", 0),
                       jstr(in, "channel") ? jstr(in, "channel") : "email", out);
}

struct resolved {
    int64_t survey_id;
    int invited;
};

static int on_event(struct ctx *c, const struct event *ev, void *arg)
{
    struct resolved *r = arg;
    if (strcmp(ev->type, "ticket.resolved") || !ev->customer_id || !ev->subject_id)
        return 0;
    json_t *out = NULL;
    int rc = invite(c, r->survey_id, ev->customer_id, ev->subject_id, "email", &out);
    json_decref(out);
    if (rc == ERR_EXISTS || rc == ERR_NOTFOUND) { /* already invited, or customer gone */
        err_clear(&c->err);
        return 0;
    }
    if (!rc)
        r->invited++;
    return rc;
}

int survey_invite_resolved(struct ctx *c, int *n)
{
    struct resolved r = {0, 0};
    int rc = ticket_survey(c, &r.survey_id);
    int handled = 1000;
    while (!rc && handled == 1000)
        rc = events_consume(c, "surveys.ticket_csat", 1000, on_event, &r, &handled);
    if (n)
        *n = r.invited;
    return rc;
}

/* The open invitation behind a token: ids, or ERR_NOTFOUND. */
static int by_token(struct ctx *c, const char *token, int64_t *inv, int64_t *sid, int64_t *cid,
                    int *answered)
{
    if (!token || strlen(token) != 64 || strspn(token, "0123456789abcdef") != 64)
        return fail(c, ERR_NOTFOUND, "token", "no such invitation");
    char hash[65];
    token_hash(token, hash);
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, survey_id, customer_id, answered_at IS NOT NULL FROM "
                         "survey_invitations WHERE token_hash = ?",
                         "s", hash);
    if (rc)
        return rc;
    if ((rc = stmt_step(s, &c->err)) == 1) {
        *inv = stmt_int(s, 0);
        *sid = stmt_int(s, 1);
        *cid = stmt_int(s, 2);
        *answered = (int)stmt_int(s, 3);
    }
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "token", "no such invitation");
    return rc < 0 ? rc : 0;
}

int survey_by_token(struct ctx *c, const char *token, json_t **out)
{
    int64_t inv, sid, cid;
    int answered;
    int rc = by_token(c, token, &inv, &sid, &cid, &answered);
    if (!rc)
        rc = survey_get(c, sid, out);
    if (!rc) {
        json_object_set_new(*out, "answered", json_boolean(answered));
        json_object_del(*out, "builtin");
    }
    return rc;
}

int survey_answer_token(struct ctx *c, const char *token, const json_t *answers, json_t **out)
{
    int64_t inv, sid, cid;
    int answered;
    *out = NULL;
    int rc = by_token(c, token, &inv, &sid, &cid, &answered);
    if (!rc && answered)
        rc = fail(c, ERR_EXISTS, "token", "this invitation has already been answered");
    return rc ? rc : answer(c, sid, cid, inv, answers, out);
}

/* ------------------------------------------------------------------ results */

int survey_results(struct ctx *c, int64_t id, json_t **out)
{
    struct survey sv;
    int rc = survey_load(c, id, &sv);
    if (rc)
        return rc;
    json_decref(sv.questions);
    int *scores = NULL;
    size_t n = 0, cap = 0;
    int64_t answered = 0;
    json_t *dist = json_object();
    struct stmt *s = NULL;
    rc = store_int(c->st, &answered, &c->err,
                   "SELECT COUNT(*) FROM survey_responses WHERE survey_id = ?", "i", id);
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT score, scale_max FROM survey_responses WHERE survey_id = ? AND "
                         "score IS NOT NULL ORDER BY id",
                         "i", id);
    int scale = sv.scale_max;
    while (!rc) {
        rc = stmt_step(s, &c->err);
        if (rc != 1)
            break;
        rc = 0;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            int *p = realloc(scores, cap * sizeof(*p));
            if (!p) {
                rc = fail(c, ERR_INTERNAL, "", "out of memory");
                break;
            }
            scores = p;
        }
        scores[n++] = (int)stmt_int(s, 0);
        scale = (int)stmt_int(s, 1);
    }
    if (s)
        stmt_done(s);
    if (rc < 0) {
        free(scores);
        json_decref(dist);
        return rc;
    }
    struct score_summary sum;
    score_summarise(scores, n, scale ? scale : 5, &sum);
    for (size_t i = 0; i < n; i++) {
        char k[8];
        snprintf(k, sizeof(k), "%d", scores[i]);
        json_object_set_new(dist, k,
                            json_integer(json_integer_value(json_object_get(dist, k)) + 1));
    }
    free(scores);
#define NUM(x) (isnan(x) ? json_null() : json_real(round((x)*10.0) / 10.0))
    json_t *o = json_pack("{s:I,s:s,s:I,s:I,s:o,s:o}", "survey_id", (json_int_t)id, "kind", sv.kind,
                          "responses", (json_int_t)answered, "scored", (json_int_t)sum.n, "mean",
                          NUM(sum.mean), "distribution", dist);
    if (!strcmp(sv.kind, "nps")) {
        json_object_set_new(o, "nps", NUM(sum.nps));
        json_object_set_new(o, "promoters", json_integer(sum.promoters));
        json_object_set_new(o, "passives", json_integer(sum.passives));
        json_object_set_new(o, "detractors", json_integer(sum.detractors));
    } else {
        json_object_set_new(o, "csat", NUM(sum.csat));
    }
#undef NUM
    *out = o;
    return 0;
}

int survey_responses(struct ctx *c, int64_t id, int64_t before_id, int limit, json_t **out)
{
    if (limit <= 0)
        limit = 50;
    if (limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT " RESPONSE_COLS " FROM survey_responses WHERE survey_id = ? AND "
                         "id < ? ORDER BY id DESC LIMIT ?",
                         "iii", id, before_id > 0 ? before_id : INT64_MAX, (int64_t)limit + 1);
    if (rc)
        return rc;
    json_t *items = json_array();
    int n = 0;
    int64_t last = 0;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (n++ == limit)
            break;
        last = stmt_int(s, 0);
        json_array_append_new(items, response_row(s));
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

int survey_customer(struct ctx *c, int64_t customer_id, json_t **out)
{
    int rc = customer_exists(c, customer_id);
    if (rc)
        return rc;
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT " RESPONSE_COLS " FROM survey_responses WHERE customer_id = ? ORDER "
                     "BY id DESC LIMIT 200",
                     "i", customer_id);
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1)
        json_array_append_new(items, response_row(s));
    stmt_done(s);
    json_t *att = json_null();
    if (rc >= 0)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT satisfaction, nps, repurchase_intention, updated_at FROM "
                         "customer_attitudes WHERE customer_id = ?",
                         "i", customer_id);
    if (rc >= 0) {
        if ((rc = stmt_step(s, &c->err)) == 1) {
            char ts[TIME_BUF];
            att = json_pack("{s:o,s:o,s:o,s:s}", "satisfaction",
                            stmt_isnull(s, 0) ? json_null() : json_real(stmt_double(s, 0)), "nps",
                            stmt_isnull(s, 1) ? json_null() : json_integer(stmt_int(s, 1)),
                            "repurchase_intention",
                            stmt_isnull(s, 2) ? json_null() : json_real(stmt_double(s, 2)),
                            "updated_at", time_format(stmt_int(s, 3), ts, sizeof(ts)));
        }
        stmt_done(s);
    }
    if (rc < 0) {
        json_decref(items);
        json_decref(att);
        return rc;
    }
    *out = json_pack("{s:o,s:o}", "attitudes", att, "responses", items);
    return 0;
}
