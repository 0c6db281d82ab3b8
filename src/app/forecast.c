/*
 * Objectives, the forecast and the sales reports (see forecast.h). The
 * forecast reads the open deals of the period through a covering index and
 * hands them to analytics/forecast.c, which does the arithmetic.
 */
#include "app/forecast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/forecast.h"
#include "app/rowjson.h"
#include "store/store.h"
#include "util/timeu.h"

#define jstr rowj_str
#define jint rowj_int

/* ---------------------------------------------------------------- objectives */

const struct field objective_fields[] = {
    {"user_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "a rep's quota"},
    {"team", FT_STRING, FF_NULLABLE, 64, NULL, NULL, "a team's quota (without user_id)"},
    {"period", FT_STRING, FF_REQUIRED, 7, NULL, NULL, "YYYY-MM, YYYY-Qn or YYYY"},
    {"amount_minor", FT_MONEY, FF_REQUIRED, 0, NULL, NULL, "won revenue to reach, >= 0"},
    {"currency", FT_CURRENCY, 0, 0, NULL, NULL, "default: the configured currency"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const objective_names[] = {"id",     "user_id",      "user_email", "team",
                                              "period", "amount_minor", "currency",   NULL};
#define OBJECTIVE_TYPES "iississ"
#define OBJECTIVE_SELECT                                                                           \
    "SELECT o.id, o.user_id, u.email, o.team, o.period, o.amount_minor, o.currency FROM "          \
    "objectives o LEFT JOIN users u ON u.id = o.user_id "

static int32_t month_of_time(int64_t t)
{
    int y, mo, d;
    civil_from_days((int32_t)(t >= 0 ? t / 86400 : (t - 86399) / 86400), &y, &mo, &d);
    return (int32_t)(y * 12 + mo - 1);
}

static int64_t month_start(int32_t m)
{
    return (int64_t)days_from_civil(m / 12, m % 12 + 1, 1) * 86400;
}

int objective_set(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(objective_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int32_t first;
    int months;
    const char *period = jstr(in, "period"), *team = jstr(in, "team");
    int64_t uid = jint(in, "user_id", 0);
    if (forecast_period_parse(period, &first, &months))
        return fail(c, ERR_INVALID, "period", "use YYYY-MM, YYYY-Qn or YYYY");
    if (jint(in, "amount_minor", 0) < 0)
        return fail(c, ERR_INVALID, "amount_minor", "must not be negative");
    if (uid && team)
        return fail(c, ERR_INVALID, "team", "an objective is a user's or a team's, not both");
    if (team && !*team)
        return fail(c, ERR_INVALID, "team", "must not be empty");
    const char *cur = jstr(in, "currency") ? jstr(in, "currency") : c->app->cfg.default_currency;
    int64_t now = time_now(), id = 0, n = 0;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    if (uid) {
        rc = store_int(c->st, &n, &c->err, "SELECT COUNT(*) FROM users WHERE id = ?", "i", uid);
        if (!rc && !n)
            rc = fail(c, ERR_INVALID, "user_id", "no user %lld", (long long)uid);
    }
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "DELETE FROM objectives WHERE COALESCE(user_id, 0) = ? AND COALESCE(team, "
                       "'') = ? AND period = ? AND currency = ?",
                       "isss", uid, team ? team : "", period, cur);
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO objectives(user_id, team, period, start_month, months, "
                       "amount_minor, currency, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, "
                       "?, ?, ?) RETURNING id",
                       "Issiiisii", uid ? uid : INT64_MIN, team, period, (int64_t)first,
                       (int64_t)months, jint(in, "amount_minor", 0), cur, now, now);
    if (!rc)
        rc = rowj_one(c, OBJECTIVE_SELECT "WHERE o.id = ?", id, objective_names, OBJECTIVE_TYPES,
                      "objective", out);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int objective_list(struct ctx *c, int64_t user_id, const char *team, const char *period,
                   json_t **out)
{
    int32_t first = 0;
    int months = 0;
    if (period && forecast_period_parse(period, &first, &months))
        return fail(c, ERR_BADREQ, "period", "use YYYY-MM, YYYY-Qn or YYYY");
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         OBJECTIVE_SELECT "WHERE (?1 = 0 OR o.user_id = ?1) AND (?2 IS NULL OR "
                                          "o.team = ?2) AND (?3 = 0 OR (o.start_month < ?4 + ?3 "
                                          "AND o.start_month + o.months > ?4)) ORDER BY "
                                          "o.start_month, o.months, o.id LIMIT 1000",
                         "isii", user_id, team, (int64_t)months, (int64_t)first);
    json_t *items = NULL;
    if (!rc)
        rc = rowj_all(c, s, objective_names, OBJECTIVE_TYPES, &items);
    if (!rc)
        *out = json_pack("{s:o}", "items", items);
    return rc;
}

int objective_delete(struct ctx *c, int64_t id)
{
    int64_t n = 0;
    int rc = store_run(c->st, &n, &c->err, "DELETE FROM objectives WHERE id = ?", "i", id);
    if (!rc && !n)
        return fail(c, ERR_NOTFOUND, "id", "no objective %lld", (long long)id);
    return rc;
}

/* ----------------------------------------------------------------- forecast */

struct deals_buf {
    struct fc_deal *v;
    size_t n, cap;
};

static int push(struct ctx *c, struct deals_buf *b, int32_t month, int64_t amount, int prob,
                int won)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        struct fc_deal *nv = realloc(b->v, cap * sizeof(*nv));
        if (!nv)
            return fail(c, ERR_INTERNAL, "", "out of memory");
        b->v = nv;
        b->cap = cap;
    }
    b->v[b->n++] = (struct fc_deal){month, amount, prob, won};
    return 0;
}

static json_t *ratio(int64_t a, int64_t b)
{
    return b > 0 ? json_real((double)a / (double)b) : json_null();
}

int forecast_report(struct ctx *c, const struct forecast_query *q, json_t **out)
{
    int32_t first;
    int months;
    if (!q->period || forecast_period_parse(q->period, &first, &months))
        return fail(c, ERR_BADREQ, "period", "use YYYY-MM, YYYY-Qn or YYYY");
    const char *cur = q->currency ? q->currency : c->app->cfg.default_currency;
    if (strlen(cur) != 3)
        return fail(c, ERR_BADREQ, "currency", "not an ISO 4217 currency code");
    char d0[16], d1[16];
    int64_t t0 = month_start(first), t1 = month_start(first + months);
    date_format((int32_t)(t0 / 86400), d0, sizeof(d0));
    date_format((int32_t)(t1 / 86400), d1, sizeof(d1));
    struct deals_buf b = {0};
    struct fc_objective objs[64];
    size_t nobjs = 0;
    struct fc_month mo[12];
    struct fc_total tot;
    json_t *others = json_array();
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT expected_close, amount_minor, probability FROM deals WHERE status "
                         "= 'open' AND expected_close >= ?1 AND expected_close < ?2 AND currency "
                         "= ?3 AND (?4 = 0 OR owner_id = ?4) AND (?5 IS NULL OR team = ?5) AND (?6 "
                         "= 0 OR pipeline_id = ?6)",
                         "sssisi", d0, d1, cur, q->owner_id, q->team, q->pipeline_id);
    int step = 0;
    while (!rc && (step = stmt_step(s, &c->err)) == 1) {
        const char *ec = stmt_text(s, 0);
        int32_t m = (int32_t)((ec[0] - '0') * 1000 + (ec[1] - '0') * 100 + (ec[2] - '0') * 10 +
                              (ec[3] - '0')) *
                        12 +
                    ((ec[5] - '0') * 10 + (ec[6] - '0')) - 1;
        rc = push(c, &b, m, stmt_int(s, 1), (int)stmt_int(s, 2), 0);
    }
    stmt_done(s);
    if (!rc && step < 0)
        rc = step;
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT closed_at, amount_minor FROM deals WHERE status = 'won' AND "
                         "closed_at >= ?1 AND closed_at < ?2 AND currency = ?3 AND (?4 = 0 OR "
                         "owner_id = ?4) AND (?5 IS NULL OR team = ?5) AND (?6 = 0 OR "
                         "pipeline_id = ?6)",
                         "iisisi", t0, t1, cur, q->owner_id, q->team, q->pipeline_id);
    while (!rc && (step = stmt_step(s, &c->err)) == 1)
        rc = push(c, &b, month_of_time(stmt_int(s, 0)), stmt_int(s, 1), 100, 1);
    stmt_done(s);
    if (!rc && step < 0)
        rc = step;
    /* the scope's own objectives */
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT start_month, months, amount_minor FROM objectives WHERE currency "
                         "= ?1 AND start_month < ?2 + ?3 AND start_month + months > ?2 AND "
                         "CASE WHEN ?4 <> 0 THEN user_id = ?4 WHEN ?5 IS NOT NULL THEN team = ?5 "
                         "AND user_id IS NULL ELSE user_id IS NULL AND team IS NULL END LIMIT 64",
                         "siiis", cur, (int64_t)first, (int64_t)months, q->owner_id, q->team);
    while (!rc && (step = stmt_step(s, &c->err)) == 1 && nobjs < 64)
        objs[nobjs++] =
            (struct fc_objective){(int32_t)stmt_int(s, 0), (int)stmt_int(s, 1), stmt_int(s, 2)};
    stmt_done(s);
    if (!rc && step < 0)
        rc = step;
    /* what the currency filter left out */
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT currency, COUNT(*), SUM(amount_minor) FROM deals WHERE status = "
                         "'open' AND expected_close >= ?1 AND expected_close < ?2 AND currency <> "
                         "?3 AND (?4 = 0 OR owner_id = ?4) AND (?5 IS NULL OR team = ?5) AND (?6 "
                         "= 0 OR pipeline_id = ?6) GROUP BY currency",
                         "sssisi", d0, d1, cur, q->owner_id, q->team, q->pipeline_id);
    while (!rc && (step = stmt_step(s, &c->err)) == 1)
        json_array_append_new(others, json_pack("{s:s,s:I,s:I}", "currency", stmt_text(s, 0),
                                                "open_deals", (json_int_t)stmt_int(s, 1),
                                                "pipeline_minor", (json_int_t)stmt_int(s, 2)));
    stmt_done(s);
    if (!rc && step < 0)
        rc = step;
    if (!rc && forecast_compute(b.v, b.n, objs, nobjs, first, months, mo, &tot))
        rc = fail(c, ERR_INVALID, "amount_minor", "the sums overflow 64 bits");
    free(b.v);
    if (rc) {
        json_decref(others);
        return rc;
    }
    json_t *arr = json_array();
    for (int i = 0; i < months; i++) {
        char mb[16];
        json_array_append_new(
            arr, json_pack("{s:s,s:I,s:I,s:I,s:I,s:o,s:i,s:i}", "month",
                           forecast_month_format(mo[i].month, mb, sizeof(mb)), "won_minor",
                           (json_int_t)mo[i].won, "pipeline_minor", (json_int_t)mo[i].pipeline,
                           "weighted_minor", (json_int_t)mo[i].weighted, "forecast_minor",
                           (json_int_t)(mo[i].won + mo[i].weighted), "objective_minor",
                           tot.has_objective ? json_integer(mo[i].objective) : json_null(),
                           "won_deals", mo[i].won_deals, "open_deals", mo[i].open_deals));
    }
    json_t *scope = q->owner_id ? json_pack("{s:I}", "owner_id", (json_int_t)q->owner_id)
                    : q->team   ? json_pack("{s:s}", "team", q->team)
                                : json_pack("{s:s}", "company", "all");
    if (q->pipeline_id)
        json_object_set_new(scope, "pipeline_id", json_integer(q->pipeline_id));
    *out = json_pack(
        "{s:s,s:s,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:o,s:i,s:i,s:o,s:o,s:o},s:o}", "period", q->period,
        "currency", cur, "scope", scope, "months", arr, "total", "won_minor", (json_int_t)tot.won,
        "pipeline_minor", (json_int_t)tot.pipeline, "weighted_minor", (json_int_t)tot.weighted,
        "forecast_minor", (json_int_t)tot.forecast, "objective_minor",
        tot.has_objective ? json_integer(tot.objective) : json_null(), "won_deals", tot.won_deals,
        "open_deals", tot.open_deals, "attainment",
        tot.has_objective ? ratio(tot.won, tot.objective) : json_null(), "forecast_attainment",
        tot.has_objective ? ratio(tot.forecast, tot.objective) : json_null(), "gap_minor",
        tot.has_objective ? json_integer(tot.objective - tot.forecast) : json_null(),
        "other_currencies", others);
    return 0;
}

/* ------------------------------------------------------------------ reports */

static int range(struct ctx *c, const char *from, const char *to, int64_t *t0, int64_t *t1)
{
    int32_t d0, d1;
    if (!from || date_parse(from, &d0))
        return fail(c, ERR_BADREQ, "from", "a date YYYY-MM-DD");
    if (!to || date_parse(to, &d1))
        return fail(c, ERR_BADREQ, "to", "a date YYYY-MM-DD");
    if (d1 < d0)
        return fail(c, ERR_BADREQ, "to", "before from");
    *t0 = (int64_t)d0 * 86400;
    *t1 = ((int64_t)d1 + 1) * 86400;
    return 0;
}

int sales_report(struct ctx *c, const char *from, const char *to, int64_t pipeline_id, json_t **out)
{
    int64_t t0 = 0, t1 = 0;
    int rc = range(c, from, to, &t0, &t1);
    if (rc)
        return rc;
    struct stmt *s = NULL;
    int64_t won = 0, lost = 0, won_amount = 0;
    double cycle = 0;
    int have_cycle = 0;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT COUNT(*) FILTER (WHERE status = 'won'), COUNT(*) FILTER (WHERE status "
                     "= 'lost'), COALESCE(SUM(amount_minor) FILTER (WHERE status = 'won'), 0), "
                     "AVG(CASE WHEN status = 'won' THEN (closed_at - created_at) / 86400.0 END) "
                     "FROM deals WHERE status IN ('won','lost') AND closed_at >= ?1 AND closed_at "
                     "< ?2 AND (?3 = 0 OR pipeline_id = ?3)",
                     "iii", t0, t1, pipeline_id);
    if (!rc && (rc = stmt_step(s, &c->err)) == 1) {
        won = stmt_int(s, 0);
        lost = stmt_int(s, 1);
        won_amount = stmt_int(s, 2);
        have_cycle = !stmt_isnull(s, 3);
        cycle = stmt_double(s, 3);
        rc = 0;
    }
    stmt_done(s);
    if (rc)
        return rc;
    static const char *const stage_n[] = {"pipeline_id",  "stage_id",       "stage",
                                          "position",     "currency",       "count",
                                          "amount_minor", "weighted_minor", NULL};
    static const char *const owner_n[] = {
        "owner_id",       "owner_email", "currency",  "open_deals", "pipeline_minor",
        "weighted_minor", "won_deals",   "won_minor", "lost_deals", NULL};
    static const char *const act_n[] = {"user_id",      "email", "calls",      "meetings",
                                        "emails",       "todos", "tasks_done", "tasks_open_overdue",
                                        "interactions", NULL};
    json_t *by_stage = NULL, *by_owner = NULL, *activity = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT s.pipeline_id, s.id, s.name, s.position, d.currency, COUNT(*), "
                     "SUM(d.amount_minor), SUM((d.amount_minor * d.probability + 50) / 100) FROM "
                     "deals d JOIN pipeline_stages s ON s.id = d.stage_id WHERE d.status = 'open' "
                     "AND (?1 = 0 OR d.pipeline_id = ?1) GROUP BY s.id, d.currency ORDER BY "
                     "s.pipeline_id, s.position, d.currency",
                     "i", pipeline_id);
    if (!rc)
        rc = rowj_all(c, s, stage_n, "iisisiii", &by_stage);
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT d.owner_id, u.email, d.currency, COUNT(*) FILTER (WHERE d.status "
                         "= 'open'), COALESCE(SUM(d.amount_minor) FILTER (WHERE d.status = "
                         "'open'), 0), COALESCE(SUM((d.amount_minor * d.probability + 50) / 100) "
                         "FILTER (WHERE d.status = 'open'), 0), COUNT(*) FILTER (WHERE d.status = "
                         "'won' AND d.closed_at >= ?1 AND d.closed_at < ?2), "
                         "COALESCE(SUM(d.amount_minor) FILTER (WHERE d.status = 'won' AND "
                         "d.closed_at >= ?1 AND d.closed_at < ?2), 0), COUNT(*) FILTER (WHERE "
                         "d.status = 'lost' AND d.closed_at >= ?1 AND d.closed_at < ?2) FROM "
                         "deals d LEFT JOIN users u ON u.id = d.owner_id WHERE (?3 = 0 OR "
                         "d.pipeline_id = ?3) AND (d.status = 'open' OR d.closed_at >= ?1) GROUP "
                         "BY d.owner_id, d.currency ORDER BY 5 DESC",
                         "iii", t0, t1, pipeline_id);
    if (!rc)
        rc = rowj_all(c, s, owner_n, "isiiiiiii", &by_owner);
    if (!rc)
        rc = store_query(
            c->st, &s, &c->err,
            "SELECT u.id, u.email, (SELECT COUNT(*) FROM tasks t WHERE t.assignee_id = u.id AND "
            "t.status = 'done' AND t.kind = 'call' AND t.done_at >= ?1 AND t.done_at < ?2), "
            "(SELECT COUNT(*) FROM tasks t WHERE t.assignee_id = u.id AND t.status = 'done' AND "
            "t.kind = 'meeting' AND t.done_at >= ?1 AND t.done_at < ?2), (SELECT COUNT(*) FROM "
            "tasks t WHERE t.assignee_id = u.id AND t.status = 'done' AND t.kind = 'email' AND "
            "t.done_at >= ?1 AND t.done_at < ?2), (SELECT COUNT(*) FROM tasks t WHERE "
            "t.assignee_id = u.id AND t.status = 'done' AND t.kind = 'todo' AND t.done_at >= ?1 "
            "AND t.done_at < ?2), (SELECT COUNT(*) FROM tasks t WHERE t.assignee_id = u.id AND "
            "t.status = 'done' AND t.done_at >= ?1 AND t.done_at < ?2), (SELECT COUNT(*) FROM "
            "tasks t WHERE t.assignee_id = u.id AND t.status = 'open' AND t.due_at < ?3), (SELECT "
            "COUNT(*) FROM interactions i WHERE i.user_id = u.id AND i.at >= ?1 AND i.at < ?2) "
            "FROM users u WHERE u.active = 1 AND u.role IN ('sales','manager','admin','support') "
            "ORDER BY u.email LIMIT 1000",
            "iii", t0, t1, time_now());
    if (!rc)
        rc = rowj_all(c, s, act_n, "isiiiiiii", &activity);
    if (rc) {
        json_decref(by_stage);
        json_decref(by_owner);
        json_decref(activity);
        return rc;
    }
    *out = json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o}", "from", from, "to", to,
                     "won_deals", (json_int_t)won, "lost_deals", (json_int_t)lost, "won_minor",
                     (json_int_t)won_amount, "win_rate", ratio(won, won + lost), "avg_cycle_days",
                     have_cycle ? json_real(cycle) : json_null(), "by_stage", by_stage, "by_owner",
                     by_owner, "activity", activity);
    return 0;
}
