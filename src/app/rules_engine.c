/*
 * Rule evaluation, windows, waits, absences, schedules and firings (see
 * rules_engine.h; the definition language is in rules.h / docs/rules.md).
 */
#include "app/rules_engine.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/actions.h"
#include "app/customers.h"
#include "app/events.h"
#include "app/rule_mail.h"
#include "app/rules.h"
#include "app/webhook.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeu.h"

enum once { ONCE_EVENT, ONCE_EVER, ONCE_WINDOW };

/* A rule compiled for evaluation. def owns the JSON the pointers refer to. */
struct crule {
    int64_t id;
    char name[200];
    json_t *def;
    const char *type;  /* event|absence|segment|schedule */
    const char *event; /* trigger event type */
    int64_t count_n, count_secs;
    const char *count_same;
    int64_t segment_id;
    enum once once;
    int64_t once_secs;
    const json_t *conds, *steps;
};

struct rset {
    struct crule *r;
    int n;
};

static int64_t jint(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static int64_t dur_secs(const json_t *o)
{
    return jint(o, "days") * 86400 + jint(o, "hours") * 3600 + jint(o, "minutes") * 60;
}

static void rset_free(struct rset *rs)
{
    for (int i = 0; i < rs->n; i++)
        json_decref(rs->r[i].def);
    free(rs->r);
    rs->r = NULL;
    rs->n = 0;
}

static void compile(struct crule *r)
{
    const json_t *t = json_object_get(r->def, "trigger");
    r->type = json_string_value(json_object_get(t, "type"));
    r->event = rule_trigger_event(r->def);
    if (!r->event && r->type && !strcmp(r->type, "absence"))
        r->event = json_string_value(json_object_get(t, "event"));
    r->segment_id = jint(t, "segment_id");
    const json_t *cnt = json_object_get(t, "count");
    if (cnt) {
        r->count_n = jint(cnt, "at_least");
        r->count_secs = jint(cnt, "within_days") * 86400 + jint(cnt, "within_hours") * 3600;
        r->count_same = json_string_value(json_object_get(cnt, "same"));
    }
    r->conds = json_object_get(r->def, "conditions");
    r->steps = json_object_get(r->def, "steps");
    const json_t *once = json_object_get(r->def, "once_per");
    if (json_is_string(once))
        r->once = !strcmp(json_string_value(once), "ever") ? ONCE_EVER : ONCE_EVENT;
    else if (json_is_object(once)) {
        r->once = ONCE_WINDOW;
        r->once_secs = dur_secs(once);
    } else if (cnt) {
        r->once = ONCE_WINDOW;
        r->once_secs = r->count_secs;
    } else
        r->once = r->type && !strcmp(r->type, "schedule") ? ONCE_EVER : ONCE_EVENT;
}

/* Enabled rules; scheduled 1: absence and schedule triggers, 0: the others. */
static int rset_load(struct ctx *c, int scheduled, struct rset *rs)
{
    rs->r = NULL;
    rs->n = 0;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, name, definition FROM rules WHERE enabled = 1 AND "
                         "(trigger_event IS NULL) = ? ORDER BY id LIMIT 1000",
                         "i", (int64_t)scheduled);
    int cap = 0;
    while (s && (rc = stmt_step(s, &c->err)) == 1) {
        json_t *def = json_loads(stmt_text(s, 2), 0, NULL);
        if (!def)
            continue;
        if (rs->n == cap) {
            cap = cap ? cap * 2 : 16;
            struct crule *nr = realloc(rs->r, (size_t)cap * sizeof(*nr));
            if (!nr) {
                json_decref(def);
                rc = fail(c, ERR_INTERNAL, "", "out of memory");
                break;
            }
            rs->r = nr;
        }
        struct crule *r = &rs->r[rs->n++];
        memset(r, 0, sizeof(*r));
        r->id = stmt_int(s, 0);
        snprintf(r->name, sizeof(r->name), "%s", stmt_text(s, 1));
        r->def = def;
        compile(r);
    }
    stmt_done(s);
    if (rc < 0) {
        rset_free(rs);
        return rc;
    }
    return 0;
}

/* -------------------------------------------------------------- conditions */

/* What conditions may test of the customer, loaded once per evaluation. */
static int customer_facts(struct ctx *c, int64_t id, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT kind, orders_count, revenue_minor, first_order_at, last_order_at, "
                         "email, team, owner_id, (SELECT COUNT(*) FROM contracts k WHERE "
                         "k.customer_id = customers.id), (SELECT COUNT(*) FROM contracts k WHERE "
                         "k.customer_id = customers.id AND k.status = 'cancelled') FROM customers "
                         "WHERE id = ?",
                         "i", id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc != 1) {
        stmt_done(s);
        return rc < 0 ? rc
                      : fail(c, ERR_NOTFOUND, "customer_id", "no customer %lld", (long long)id);
    }
    int64_t orders = stmt_int(s, 1), nk = stmt_int(s, 8), nkc = stmt_int(s, 9);
    const char *life =
        customer_lifecycle(&c->app->cfg, time_now(), orders, stmt_isnull(s, 3) ? 0 : stmt_int(s, 3),
                           stmt_isnull(s, 4) ? 0 : stmt_int(s, 4), nk > 0 && nk == nkc);
    json_t *o =
        json_pack("{s:s,s:s,s:I,s:I,s:s?,s:s?,s:o}", "kind", stmt_text(s, 0), "lifecycle", life,
                  "orders_count", (json_int_t)orders, "revenue_minor", (json_int_t)stmt_int(s, 2),
                  "email", stmt_text(s, 5), "team", stmt_text(s, 6), "owner_id",
                  stmt_isnull(s, 7) ? json_null() : json_integer(stmt_int(s, 7)));
    stmt_done(s);
    static const struct {
        const char *key, *sql;
    } lists[] = {
        {"tags", "SELECT tag FROM customer_tags WHERE customer_id = ?"},
        {"flags", "SELECT flag FROM customer_flags WHERE customer_id = ?"},
        {"interests", "SELECT interest FROM customer_interests WHERE customer_id = ?"},
    };
    for (size_t i = 0; !rc && i < sizeof(lists) / sizeof(lists[0]); i++) {
        json_t *a = json_array();
        s = NULL;
        rc = store_query(c->st, &s, &c->err, lists[i].sql, "i", id);
        while (s && (rc = stmt_step(s, &c->err)) == 1)
            json_array_append_new(a, json_string(stmt_text(s, 0)));
        stmt_done(s);
        if (rc > 0)
            rc = 0;
        json_object_set_new(o, lists[i].key, a);
    }
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

static int num(const json_t *v, double *d)
{
    if (!json_is_number(v))
        return 0;
    *d = json_number_value(v);
    return 1;
}

static int same_value(const json_t *a, const json_t *b)
{
    double x, y;
    if (num(a, &x) && num(b, &y))
        return x == y;
    return json_equal((json_t *)a, (json_t *)b);
}

/* A survey score is bad: CSAT at most csat_max on a 5 scale (default 2),
 * NPS at most nps_max (default 6). */
static int bad_score(const json_t *data, const json_t *cd)
{
    const char *kind = json_string_value(json_object_get(data, "kind"));
    double score, scale = 5;
    if (!kind || !num(json_object_get(data, "score"), &score))
        return 0;
    num(json_object_get(data, "scale_max"), &scale);
    json_t *cm = json_object_get(cd, "csat_max"), *nm = json_object_get(cd, "nps_max");
    if (!strcmp(kind, "csat"))
        return scale > 0 && score * 5.0 / scale <= (cm ? (double)json_integer_value(cm) : 2.0);
    if (!strcmp(kind, "nps"))
        return score <= (nm ? (double)json_integer_value(nm) : 6.0);
    return 0;
}

struct evalenv {
    struct ctx *c;
    int64_t customer_id;
    const json_t *data; /* the event's data, or NULL */
    json_t *customer;   /* loaded on first use */
};

/* 1 when every condition holds, 0 when not, negative on a store error. */
static int conditions_hold(struct evalenv *ev, const json_t *conds)
{
    size_t i;
    json_t *cd;
    json_array_foreach(conds, i, cd)
    {
        const char *field = json_string_value(json_object_get(cd, "field"));
        const char *op = json_string_value(json_object_get(cd, "op"));
        const json_t *want = json_object_get(cd, "value"), *got = NULL;
        if (!strncmp(field, "event.data.", 11))
            got = json_object_get(ev->data, field + 11);
        else {
            if (!ev->customer) {
                int rc = customer_facts(ev->c, ev->customer_id, &ev->customer);
                if (rc)
                    return rc;
            }
            got = json_object_get(ev->customer, field + 9);
        }
        int ok = 0;
        double x, y;
        if (!strcmp(op, "bad_score"))
            ok = bad_score(ev->data, cd);
        else if (!strcmp(op, "exists"))
            ok = got && !json_is_null(got);
        else if (!strcmp(op, "missing"))
            ok = !got || json_is_null(got);
        else if (!strcmp(op, "eq"))
            ok = got && same_value(got, want);
        else if (!strcmp(op, "ne"))
            ok = !got || !same_value(got, want);
        else if (!strcmp(op, "in")) {
            size_t k;
            json_t *w;
            json_array_foreach(want, k, w) ok |= got && same_value(got, w);
        } else if (!strcmp(op, "contains") || !strcmp(op, "not_contains")) {
            if (json_is_array(got)) {
                size_t k;
                json_t *w;
                json_array_foreach(got, k, w) ok |= same_value(w, want);
            } else if (json_is_string(got) && json_is_string(want))
                ok = strcasestr(json_string_value(got), json_string_value(want)) != NULL;
            if (!strcmp(op, "not_contains"))
                ok = !ok;
        } else if (num(got, &x) && num(want, &y)) {
            ok = !strcmp(op, "lt")    ? x < y
                 : !strcmp(op, "lte") ? x <= y
                 : !strcmp(op, "gt")  ? x > y
                                      : x >= y;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- firings */

static int firing(struct ctx *c, int64_t run_id, int64_t rule_id, int64_t cid, int step,
                  const char *action, const char *status, const char *detail)
{
    return store_run(c->st, NULL, &c->err,
                     "INSERT INTO rule_firings(run_id, rule_id, customer_id, step, action, status, "
                     "detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(run_id, step) DO "
                     "NOTHING",
                     "iiiisssi", run_id, rule_id, cid, (int64_t)step, action, status, detail,
                     time_now());
}

/* Executes the run's steps from next_step until a wait or the end. */
static int advance(struct ctx *c, const struct crule *r, int64_t run_id, int64_t cid, int depth,
                   const json_t *context, int next, struct rules_stats *st)
{
    int n = (int)json_array_size(r->steps), rc = 0;
    int64_t now = time_now();
    for (int i = next; i < n; i++) {
        const json_t *step = json_array_get(r->steps, (size_t)i);
        const json_t *wait = json_object_get(step, "wait");
        if (wait)
            return store_run(c->st, NULL, &c->err,
                             "UPDATE rule_runs SET status = 'waiting', next_step = ?, due_at = ?, "
                             "updated_at = ? WHERE id = ?",
                             "iiii", (int64_t)i + 1, now + dur_secs(wait), now, run_id);
        const char *name = json_string_value(json_object_get(step, "action"));
        const struct action_def *a = action_find(name);
        struct action_env env = {r->id, run_id, cid, r->name, depth, context};
        char *detail = NULL;
        rc = store_begin(c->st, &c->err); /* the action alone: a failure leaves no trace */
        if (rc)
            return rc;
        int arc = a ? a->run(c, &env, step, &detail)
                    : fail(c, ERR_INVALID, "action", "action %s is not available", name);
        if (arc) {
            store_rollback(c->st);
            char msg[400];
            snprintf(msg, sizeof(msg), "%s%s%s", c->err.field, c->err.field[0] ? ": " : "",
                     c->err.msg);
            err_clear(&c->err);
            if (arc == ERR_UNAVAILABLE || arc == ERR_INTERNAL) {
                free(detail);
                return fail(c, arc, "", "%s", msg); /* retried with the event */
            }
            rc = firing(c, run_id, r->id, cid, i, name, "failed", msg);
            if (st)
                st->failed++;
        } else {
            rc = store_commit(c->st, &c->err);
            if (!rc)
                rc = firing(c, run_id, r->id, cid, i, name, "done", detail);
            if (!rc && st)
                st->actions++;
        }
        free(detail);
        if (rc)
            return rc;
    }
    return store_run(c->st, NULL, &c->err,
                     "UPDATE rule_runs SET status = 'done', next_step = ?, due_at = NULL, "
                     "updated_at = ? WHERE id = ?",
                     "iii", (int64_t)n, now, run_id);
}

/* Starts a run unless one exists in the window; then advances it. */
static int start_run(struct ctx *c, const struct crule *r, int64_t cid, const char *key,
                     int64_t event_id, int depth, const json_t *context, struct rules_stats *st)
{
    int64_t now = time_now();
    char wkey[64];
    if (r->once == ONCE_EVER)
        snprintf(wkey, sizeof(wkey), "ever");
    else if (r->once == ONCE_WINDOW) {
        int64_t recent = 0;
        int rc = store_int(c->st, &recent, &c->err,
                           "SELECT COUNT(*) FROM rule_runs WHERE rule_id = ? AND customer_id = ? "
                           "AND started_at > ?",
                           "iii", r->id, cid, now - r->once_secs);
        if (rc)
            return rc;
        if (recent)
            return 0;
        snprintf(wkey, sizeof(wkey), "w%lld", (long long)(now / r->once_secs));
    } else
        snprintf(wkey, sizeof(wkey), "%s", key);
    char *ctxs = json_dumps(context, JSON_COMPACT);
    int cut = depth >= RULES_MAX_DEPTH;
    /* a journey that starts with a wait is parked at once (one write) */
    const json_t *first = json_object_get(json_array_get(r->steps, 0), "wait");
    int park = first && !cut;
    int64_t run_id = 0;
    int rc =
        store_int(c->st, &run_id, &c->err,
                  "INSERT INTO rule_runs(rule_id, customer_id, window_key, event_id, depth, "
                  "context, status, next_step, due_at, started_at, updated_at) VALUES (?, ?, "
                  "?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(rule_id, customer_id, window_key) DO "
                  "NOTHING RETURNING id",
                  "iisIissiIii", r->id, cid, wkey, event_id ? event_id : INT64_MIN, (int64_t)depth,
                  ctxs ? ctxs : "{}",
                  cut    ? "cut"
                  : park ? "waiting"
                         : "running",
                  (int64_t)(park ? 1 : 0), park ? now + dur_secs(first) : INT64_MIN, now, now);
    free(ctxs);
    if (rc == ERR_NOTFOUND) { /* already fired in this window: at most once */
        err_clear(&c->err);
        return 0;
    }
    if (rc)
        return rc;
    if (park) {
        if (st)
            st->runs++;
        return 0;
    }
    if (cut) {
        char d[96];
        snprintf(d, sizeof(d), "cut: the event is %d rule hops deep (limit %d)", depth,
                 RULES_MAX_DEPTH);
        if (st)
            st->cut++;
        log_warn("rule %lld cut for customer %lld at depth %d", (long long)r->id, (long long)cid,
                 depth);
        return firing(c, run_id, r->id, cid, 0, "-", "cut", d);
    }
    if (st)
        st->runs++;
    return advance(c, r, run_id, cid, depth, context, 0, st);
}

/* ------------------------------------------------------------------ events */

/* Adds this event to the rule's count for the customer (and the value of
 * count.same) and says how many of the kept times fall in the window: the
 * last at_least times are kept in rule_counts, one primary-key row, so the
 * cost does not grow with the customer's history. Counting starts when the
 * rule sees events (it is switched on). */
static int count_event(struct ctx *c, const struct crule *r, const struct event *ev, int64_t *n)
{
    *n = 0;
    char value[256] = "";
    if (r->count_same) {
        const json_t *v = json_object_get(ev->data, r->count_same);
        if (json_is_string(v))
            snprintf(value, sizeof(value), "%s", json_string_value(v));
        else if (json_is_integer(v))
            snprintf(value, sizeof(value), "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            snprintf(value, sizeof(value), "%.17g", json_real_value(v));
        else if (json_is_boolean(v))
            snprintf(value, sizeof(value), "%s", json_is_true(v) ? "true" : "false");
        else
            return 0; /* no value: nothing to count the same */
    }
    int64_t cap = r->count_n, from = ev->at - r->count_secs;
    int64_t *t = malloc((size_t)(cap + 1) * sizeof(*t));
    if (!t)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    int64_t k = 0;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT times FROM rule_counts WHERE rule_id = ? AND customer_id = ? AND "
                         "value = ?",
                         "iis", r->id, ev->customer_id, value);
    if (!rc && (rc = stmt_step(s, &c->err)) == 1) {
        const char *p = stmt_text(s, 0);
        while (p && *p) {
            char *end = NULL;
            long long x = strtoll(p, &end, 10);
            if (end == p)
                break;
            if (x > from && k < cap)
                t[k++] = x;
            p = *end == ',' ? end + 1 : end;
        }
    }
    stmt_done(s);
    if (rc > 0)
        rc = 0;
    if (!rc) {
        if (k == cap) { /* keep the last cap - 1, then this one */
            memmove(t, t + 1, (size_t)(cap - 1) * sizeof(*t));
            k--;
        }
        t[k++] = ev->at;
        *n = k;
        size_t len = (size_t)k * 21 + 1, off = 0;
        char *buf = malloc(len);
        if (!buf)
            rc = fail(c, ERR_INTERNAL, "", "out of memory");
        for (int64_t i = 0; buf && i < k; i++)
            off += (size_t)snprintf(buf + off, len - off, "%s%lld", i ? "," : "", (long long)t[i]);
        if (!rc)
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO rule_counts(rule_id, customer_id, value, times, last_at) "
                           "VALUES (?, ?, ?, ?, ?) ON CONFLICT(rule_id, customer_id, value) DO "
                           "UPDATE SET times = excluded.times, last_at = excluded.last_at",
                           "iissi", r->id, ev->customer_id, value, buf, ev->at);
        free(buf);
    }
    free(t);
    return rc;
}

/* Drops counts whose window has passed. */
static int prune_counts(struct ctx *c)
{
    struct rset rs;
    int rc = rset_load(c, 0, &rs);
    int64_t now = time_now();
    for (int i = 0; !rc && i < rs.n; i++)
        if (rs.r[i].count_n)
            rc = store_run(c->st, NULL, &c->err,
                           "DELETE FROM rule_counts WHERE rule_id = ? AND last_at <= ?", "ii",
                           rs.r[i].id, now - rs.r[i].count_secs);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "DELETE FROM rule_counts WHERE rule_id NOT IN (SELECT id FROM rules WHERE "
                       "enabled = 1)",
                       "");
    rset_free(&rs);
    return rc;
}

struct consume_arg {
    struct rset *rs;
    struct rules_stats *st;
};

static int on_event(struct ctx *c, const struct event *ev, void *arg)
{
    struct consume_arg *ca = arg;
    if (!ev->customer_id)
        return 0;
    struct evalenv ee = {c, ev->customer_id, ev->data, NULL};
    int rc = 0;
    json_t *context = NULL;
    for (int i = 0; !rc && i < ca->rs->n; i++) {
        const struct crule *r = &ca->rs->r[i];
        if (!r->event || strcmp(r->event, ev->type))
            continue;
        if (r->segment_id && jint(ev->data, "segment_id") != r->segment_id)
            continue;
        int ok = conditions_hold(&ee, r->conds);
        if (ok <= 0) {
            rc = ok;
            continue;
        }
        if (r->count_n) {
            int64_t n = 0;
            rc = count_event(c, r, ev, &n);
            if (rc || n < r->count_n)
                continue;
        }
        if (!context) {
            char ts[TIME_BUF];
            context =
                json_pack("{s:{s:I,s:s,s:s,s:O}}", "event", "id", (json_int_t)ev->id, "type",
                          ev->type, "at", time_format(ev->at, ts, sizeof(ts)), "data", ev->data);
        }
        char key[32];
        snprintf(key, sizeof(key), "e%lld", (long long)ev->id);
        rc = start_run(c, r, ev->customer_id, key, ev->id, (int)jint(ev->data, RULES_DEPTH_KEY),
                       context, ca->st);
    }
    json_decref(context);
    json_decref(ee.customer);
    return rc;
}

/* 1 when some rule of rs is triggered by events of this type. */
static int type_wanted(const struct rset *rs, const char *type)
{
    for (int i = 0; i < rs->n; i++)
        if (rs->r[i].event && !strcmp(rs->r[i].event, type))
            return 1;
    return 0;
}

/* Evaluates evs[0..n) each in its own savepoint (the slow path after a
 * batch failed): stops at the first failure, *done gets how many passed. */
static int consume_one_by_one(struct ctx *c, struct consume_arg *ca, const struct event *evs,
                              int n, int *done)
{
    int rc = 0;
    *done = 0;
    for (int i = 0; !rc && i < n; i++) {
        rc = store_begin(c->st, &c->err);
        if (rc)
            break;
        rc = on_event(c, &evs[i], ca);
        if (rc) {
            store_rollback(c->st);
            break;
        }
        rc = store_commit(c->st, &c->err);
        if (!rc)
            (*done)++;
    }
    return rc;
}

/* One batch of the log after the "rules" cursor, in one write transaction
 * with the cursor's move: only the events some rule listens to are decoded.
 * Fast (careful 0): evaluated one after the other without savepoints; on a
 * failure the caller rolls the whole transaction back (nothing of the batch
 * stays) and calls again with careful 1: each event in its own savepoint,
 * stopping before the failing one (retried at the next tick), as
 * events_consume does. *read gets the number of log rows read (and passed). */
static int consume_batch(struct ctx *c, struct rset *rs, int limit, int careful,
                         struct rules_stats *st, int *read)
{
    *read = 0;
    struct event *evs = calloc((size_t)limit, sizeof(*evs));
    int *pos = calloc((size_t)limit, sizeof(*pos)); /* log rows read before each */
    if (!evs || !pos) {
        free(evs);
        free(pos);
        return fail(c, ERR_INTERNAL, "", "out of memory");
    }
    int rc = store_begin(c->st, &c->err);
    if (rc) {
        free(evs);
        free(pos);
        return rc;
    }
    int64_t last = 0, top = 0;
    rc = store_run(c->st, NULL, &c->err,
                   "INSERT INTO event_cursors(consumer, last_id) VALUES ('rules', 0) ON CONFLICT "
                   "(consumer) DO NOTHING",
                   "");
    if (!rc)
        rc = store_int(c->st, &last, &c->err,
                       "SELECT last_id FROM event_cursors WHERE consumer = 'rules'", "");
    struct stmt *s = NULL;
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT id, at, type, customer_id, subject, subject_id, data FROM events "
                         "WHERE id > ? ORDER BY id LIMIT ?",
                         "ii", last, (int64_t)limit);
    int n = 0, nread = 0;
    while (s && (rc = stmt_step(s, &c->err)) == 1) {
        top = stmt_int(s, 0);
        nread++;
        const char *type = stmt_text(s, 2);
        if (stmt_isnull(s, 3) || !type_wanted(rs, type))
            continue; /* no rule listens: not even decoded */
        struct event *ev = &evs[n];
        ev->id = top;
        ev->at = stmt_int(s, 1);
        snprintf(ev->type, sizeof(ev->type), "%s", type);
        ev->customer_id = stmt_int(s, 3);
        snprintf(ev->subject, sizeof(ev->subject), "%s", stmt_text(s, 4) ? stmt_text(s, 4) : "");
        ev->subject_id = stmt_isnull(s, 5) ? 0 : stmt_int(s, 5);
        ev->data = json_loads(stmt_text(s, 6) ? stmt_text(s, 6) : "{}", 0, NULL);
        if (!ev->data)
            ev->data = json_object();
        pos[n++] = nread - 1;
    }
    stmt_done(s);
    if (rc > 0)
        rc = 0;
    struct consume_arg ca = {rs, st};
    int done = 0;
    if (!rc && !careful)
        for (; !rc && done < n; done++)
            rc = on_event(c, &evs[done], &ca);
    else if (!rc)
        rc = consume_one_by_one(c, &ca, evs, n, &done);
    int frc = rc;
    if (frc && !careful) {
        store_rollback(c->st); /* the whole batch: the careful pass redoes it */
    } else {
        if (done < n) { /* stop before the failing event */
            top = evs[done].id - 1;
            nread = pos[done];
        }
        rc = top > last ? store_run(c->st, NULL, &c->err,
                                    "UPDATE event_cursors SET last_id = ? WHERE consumer = "
                                    "'rules'",
                                    "i", top)
                        : 0;
        if (!rc)
            rc = store_commit(c->st, &c->err);
        else
            store_rollback(c->st);
        if (!rc && st)
            st->events += nread;
        *read = nread;
    }
    for (int i = 0; i < n; i++)
        json_decref(evs[i].data);
    free(evs);
    free(pos);
    return frc ? frc : rc;
}

int rules_consume(struct ctx *c, int batch, struct rules_stats *st)
{
    /* nothing new: two reads instead of a write transaction every tick */
    int64_t last = 0, top = 0;
    int rc = store_int(c->st, &last, &c->err,
                       "SELECT COALESCE((SELECT last_id FROM event_cursors WHERE consumer = "
                       "'rules'), 0)",
                       "");
    if (!rc)
        rc = store_int(c->st, &top, &c->err, "SELECT COALESCE(MAX(id), 0) FROM events", "");
    if (rc || top <= last)
        return rc;
    if (batch <= 0 || batch > 100000)
        batch = 1000;
    struct rset rs;
    rc = rset_load(c, 0, &rs);
    if (rc)
        return rc;
    int read = 0;
    do {
        struct rules_stats before = st ? *st : (struct rules_stats){0};
        rc = consume_batch(c, &rs, batch, 0, st, &read);
        if (rc) { /* rolled back whole: again event by event, keeping what passes */
            if (st)
                *st = before;
            err_clear(&c->err);
            rc = consume_batch(c, &rs, batch, 1, st, &read);
        }
    } while (!rc && read == batch);
    rset_free(&rs);
    return rc;
}

/* ------------------------------------------------------------------- waits */

static const struct crule *find_rule(const struct rset *rs, int64_t id)
{
    for (int i = 0; i < rs->n; i++)
        if (rs->r[i].id == id)
            return &rs->r[i];
    return NULL;
}

/* Resumes runs whose wait is over (rules disabled meanwhile stay parked). */
static int resume_waits(struct ctx *c, struct rules_stats *st)
{
    struct rset ev, sc;
    int rc = rset_load(c, 0, &ev);
    if (rc)
        return rc;
    rc = rset_load(c, 1, &sc);
    if (rc) {
        rset_free(&ev);
        return rc;
    }
    int64_t now = time_now();
    struct due {
        int64_t id, rule_id, cid, event_id, started;
        int depth, next;
        char *context;
    } d[256];
    int n = 0;
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT u.id, u.rule_id, u.customer_id, u.event_id, u.started_at, u.depth, "
                     "u.next_step, u.context FROM rule_runs u JOIN rules r ON r.id = u.rule_id "
                     "AND r.enabled = 1 WHERE u.status = 'waiting' AND u.due_at <= ? ORDER BY "
                     "u.due_at, u.id LIMIT 256",
                     "i", now);
    while (s && n < 256 && (rc = stmt_step(s, &c->err)) == 1) {
        d[n] = (struct due){stmt_int(s, 0),      stmt_int(s, 1),
                            stmt_int(s, 2),      stmt_isnull(s, 3) ? 0 : stmt_int(s, 3),
                            stmt_int(s, 4),      (int)stmt_int(s, 5),
                            (int)stmt_int(s, 6), strdup(stmt_text(s, 7))};
        n++;
    }
    stmt_done(s);
    if (rc > 0)
        rc = 0;
    for (int i = 0; !rc && i < n; i++) {
        const struct crule *r = find_rule(&ev, d[i].rule_id);
        if (!r)
            r = find_rule(&sc, d[i].rule_id);
        json_t *context = d[i].context ? json_loads(d[i].context, 0, NULL) : NULL;
        if (!r || !context) {
            json_decref(context);
            continue;
        }
        rc = store_begin(c->st, &c->err);
        if (rc) {
            json_decref(context);
            break;
        }
        /* the wait's "unless": an event of that type since the run started */
        const json_t *wstep = json_array_get(r->steps, (size_t)(d[i].next - 1));
        const json_t *un = json_object_get(wstep, "unless");
        const char *unless = NULL;
        int64_t since = 0;
        for (size_t k = 0; !rc && !since && k < (json_is_array(un) ? json_array_size(un) : 1);
             k++) {
            unless = json_string_value(json_is_array(un) ? json_array_get(un, k) : un);
            if (unless)
                rc = store_int(c->st, &since, &c->err,
                               "SELECT COUNT(*) FROM events WHERE customer_id = ? AND type = ? "
                               "AND (id > ? OR (? = 0 AND at >= ?))",
                               "isiii", d[i].cid, unless, d[i].event_id, d[i].event_id,
                               d[i].started);
        }
        if (!rc && since) {
            char msg[128];
            snprintf(msg, sizeof(msg), "stopped: %s happened during the wait", unless);
            rc = firing(c, d[i].id, r->id, d[i].cid, d[i].next - 1, "wait", "stopped", msg);
            if (!rc)
                rc = store_run(c->st, NULL, &c->err,
                               "UPDATE rule_runs SET status = 'stopped', due_at = NULL, "
                               "updated_at = ? WHERE id = ?",
                               "ii", now, d[i].id);
            if (st)
                st->stopped++;
        } else if (!rc) {
            rc = store_run(c->st, NULL, &c->err,
                           "UPDATE rule_runs SET status = 'running', updated_at = ? WHERE id = ?",
                           "ii", now, d[i].id);
            if (!rc)
                rc = advance(c, r, d[i].id, d[i].cid, d[i].depth, context, d[i].next, st);
            if (st)
                st->resumed++;
        }
        json_decref(context);
        if (rc)
            store_rollback(c->st);
        else
            rc = store_commit(c->st, &c->err);
    }
    for (int i = 0; i < n; i++)
        free(d[i].context);
    rset_free(&ev);
    rset_free(&sc);
    return rc;
}

/* -------------------------------------------------------- scheduled triggers */

/* Customers whose last event of the type is older than the gap; with
 * "regular", only those whose usual gap (mean over at least min_events
 * events) was shorter: the visitor who stopped coming (seed 004). */
static int run_absence(struct ctx *c, const struct crule *r, struct rules_stats *st)
{
    const json_t *t = json_object_get(r->def, "trigger");
    int64_t gap = jint(t, "days") * 86400 + jint(t, "hours") * 3600, now = time_now();
    int regular = json_is_true(json_object_get(t, "regular"));
    int64_t min_events = jint(t, "min_events") ? jint(t, "min_events") : 3;
    struct cand {
        int64_t cid, last_at, first_at, n, last_id;
    } *cs = calloc(10000, sizeof(*cs));
    if (!cs)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    int n = 0;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id, MAX(at), MIN(at), COUNT(*), MAX(id) FROM events "
                         "WHERE type = ? AND customer_id IS NOT NULL GROUP BY customer_id HAVING "
                         "MAX(at) <= ? LIMIT 10000",
                         "si", r->event, now - gap);
    while (s && n < 10000 && (rc = stmt_step(s, &c->err)) == 1) {
        cs[n] = (struct cand){stmt_int(s, 0), stmt_int(s, 1), stmt_int(s, 2), stmt_int(s, 3),
                              stmt_int(s, 4)};
        n++;
    }
    stmt_done(s);
    if (rc > 0)
        rc = 0;
    for (int i = 0; !rc && i < n; i++) {
        if (regular &&
            (cs[i].n < min_events || (cs[i].last_at - cs[i].first_at) / (cs[i].n - 1) >= gap))
            continue;
        char key[32];
        snprintf(key, sizeof(key), "a%lld", (long long)cs[i].last_id);
        int64_t exists = 0;
        rc = store_int(c->st, &exists, &c->err,
                       "SELECT COUNT(*) FROM rule_runs WHERE rule_id = ? AND customer_id = ? AND "
                       "window_key = ?",
                       "iis", r->id, cs[i].cid, key);
        if (rc || exists)
            continue;
        struct evalenv ee = {c, cs[i].cid, NULL, NULL};
        rc = store_begin(c->st, &c->err);
        if (rc)
            break;
        int ok = conditions_hold(&ee, r->conds);
        char ts[TIME_BUF];
        json_t *context = json_pack(
            "{s:{s:s,s:s,s:I,s:I}}", "absence", "event", r->event, "last_at",
            time_format(cs[i].last_at, ts, sizeof(ts)), "events", (json_int_t)cs[i].n,
            "usual_gap_days",
            (json_int_t)(cs[i].n > 1 ? (cs[i].last_at - cs[i].first_at) / (cs[i].n - 1) / 86400
                                     : 0));
        rc = ok < 0 ? ok : ok ? start_run(c, r, cs[i].cid, key, cs[i].last_id, 0, context, st) : 0;
        json_decref(context);
        json_decref(ee.customer);
        if (rc)
            store_rollback(c->st);
        else
            rc = store_commit(c->st, &c->err);
    }
    free(cs);
    return rc;
}

/* Customers of the audience (lifecycle thresholds of the settings). */
static int run_schedule(struct ctx *c, const struct crule *r, struct rules_stats *st)
{
    const char *aud =
        json_string_value(json_object_get(json_object_get(r->def, "trigger"), "audience"));
    int64_t now = time_now(), day = 86400;
    int64_t inactive = now - (int64_t)c->app->cfg.inactive_after_days * day;
    int64_t lost = now - (int64_t)c->app->cfg.lost_after_days * day;
    int64_t fresh = now - (int64_t)c->app->cfg.new_within_days * day;
    char wkey[64];
    if (r->once == ONCE_WINDOW)
        snprintf(wkey, sizeof(wkey), "w%lld", (long long)(now / r->once_secs));
    else
        snprintf(wkey, sizeof(wkey), "ever");
    int64_t *ids = calloc(10000, sizeof(*ids));
    if (!ids)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    int n = 0;
    struct stmt *s = NULL;
    int rc = store_query(
        c->st, &s, &c->err,
        "SELECT id FROM customers WHERE merged_into IS NULL AND erased_at IS NULL AND CASE ? WHEN "
        "'all' THEN 1 WHEN 'prospect' THEN orders_count = 0 WHEN 'new' THEN orders_count > 0 AND "
        "first_order_at > ? WHEN 'active' THEN orders_count > 0 AND last_order_at > ? AND "
        "first_order_at <= ? WHEN 'inactive' THEN orders_count > 0 AND last_order_at <= ? AND "
        "last_order_at > ? WHEN 'former' THEN orders_count > 0 AND last_order_at <= ? ELSE 0 END "
        "AND NOT EXISTS (SELECT 1 FROM rule_runs u WHERE u.rule_id = ? AND u.customer_id = "
        "customers.id AND (u.window_key = ? OR u.started_at > ?)) ORDER BY id LIMIT 10000",
        "siiiiiiisi", aud, fresh, inactive, fresh, inactive, lost, lost, r->id, wkey,
        r->once == ONCE_WINDOW ? now - r->once_secs : now);
    while (s && n < 10000 && (rc = stmt_step(s, &c->err)) == 1)
        ids[n++] = stmt_int(s, 0);
    stmt_done(s);
    if (rc > 0)
        rc = 0;
    if (!rc && n)
        rc = store_begin(c->st, &c->err);
    if (rc || !n) {
        free(ids);
        return rc;
    }
    /* the log position at the start: a wait's "unless" looks after it */
    int64_t pos = 0;
    rc = store_int(c->st, &pos, &c->err, "SELECT COALESCE(MAX(id), 0) FROM events", "");
    json_t *context = json_pack("{s:{s:s}}", "schedule", "audience", aud);
    for (int i = 0; !rc && i < n; i++) {
        struct evalenv ee = {c, ids[i], NULL, NULL};
        int ok = conditions_hold(&ee, r->conds);
        rc = ok < 0 ? ok : ok ? start_run(c, r, ids[i], wkey, pos, 0, context, st) : 0;
        json_decref(ee.customer);
    }
    json_decref(context);
    free(ids);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

static int run_scheduled(struct ctx *c, struct rules_stats *st)
{
    struct rset rs;
    int rc = rset_load(c, 1, &rs);
    for (int i = 0; !rc && i < rs.n; i++)
        rc = !strcmp(rs.r[i].type, "absence") ? run_absence(c, &rs.r[i], st)
                                              : run_schedule(c, &rs.r[i], st);
    rset_free(&rs);
    return rc;
}

int rules_tick(struct ctx *c, int scheduled, struct rules_stats *st)
{
    int rc = rules_consume(c, 1000, st);
    if (!rc)
        rc = resume_waits(c, st);
    if (!rc && scheduled)
        rc = run_scheduled(c, st);
    if (!rc && scheduled)
        rc = prune_counts(c);
    if (!rc) /* runs started by waits and schedules may have emitted events */
        rc = rules_consume(c, 1000, st);
    int sent = 0, mailed = 0;
    if (!rc)
        rc = webhook_deliver_due(c, 100, &sent);
    if (!rc)
        rc = rule_mail_send_due(c, 100, &mailed);
    if (st) {
        st->deliveries += sent;
        st->emails += mailed;
    }
    return rc;
}

json_t *rules_stats_json(const struct rules_stats *st)
{
    return json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "events", st->events, "runs",
                     st->runs, "actions", st->actions, "failed", st->failed, "resumed", st->resumed,
                     "stopped", st->stopped, "cut", st->cut, "deliveries", st->deliveries, "emails",
                     st->emails);
}

/* ---------------------------------------------------------------- firings */

int rules_firings(struct ctx *c, int64_t rule_id, int64_t customer_id, int64_t before_id, int limit,
                  json_t **out)
{
    if (limit <= 0)
        limit = 50;
    if (limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    struct stmt *s = NULL;
    int rc = store_query(
        c->st, &s, &c->err,
        "SELECT f.id, f.run_id, f.rule_id, r.name, f.customer_id, f.step, f.action, f.status, "
        "f.detail, f.at, u.status, u.due_at, u.window_key FROM rule_firings f JOIN rules r ON "
        "r.id = f.rule_id JOIN rule_runs u ON u.id = f.run_id WHERE (? = 0 OR f.rule_id = ?) AND "
        "(? = 0 OR f.customer_id = ?) AND f.id < ? ORDER BY f.id DESC LIMIT ?",
        "iiiiii", rule_id, rule_id, customer_id, customer_id, before_id > 0 ? before_id : INT64_MAX,
        (int64_t)limit + 1);
    if (rc)
        return rc;
    json_t *items = json_array();
    int n = 0;
    int64_t last = 0;
    char t1[TIME_BUF], t2[TIME_BUF];
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (n++ == limit)
            break;
        last = stmt_int(s, 0);
        json_array_append_new(
            items,
            json_pack("{s:I,s:I,s:I,s:s,s:I,s:i,s:s,s:s,s:s?,s:s,s:{s:s,s:s?,s:s}}", "id",
                      (json_int_t)last, "run_id", (json_int_t)stmt_int(s, 1), "rule_id",
                      (json_int_t)stmt_int(s, 2), "rule", stmt_text(s, 3), "customer_id",
                      (json_int_t)stmt_int(s, 4), "step", (int)stmt_int(s, 5), "action",
                      stmt_text(s, 6), "status", stmt_text(s, 7), "detail", stmt_text(s, 8), "at",
                      time_format(stmt_int(s, 9), t1, sizeof(t1)), "run", "status",
                      stmt_text(s, 10), "due_at",
                      stmt_isnull(s, 11) ? NULL : time_format(stmt_int(s, 11), t2, sizeof(t2)),
                      "window", stmt_text(s, 12)));
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    char cur[32];
    snprintf(cur, sizeof(cur), "%lld", (long long)last);
    *out = json_pack("{s:o,s:s?}", "items", items, "next_cursor", n > limit ? cur : NULL);
    return 0;
}

/* --------------------------------------------------------------- scheduler */

static struct {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, started, interval_ms;
    struct app *app;
} sched = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *sched_main(void *arg)
{
    (void)arg;
    struct ctx c;
    if (ctx_init(&c, sched.app, NULL)) {
        log_error("rules scheduler: %s", c.err.msg);
        return NULL;
    }
    struct timespec last = {0, 0};
    pthread_mutex_lock(&sched.mu);
    while (!sched.stop) {
        pthread_mutex_unlock(&sched.mu);
        struct timespec mono;
        clock_gettime(CLOCK_MONOTONIC, &mono);
        int scheduled = last.tv_sec == 0 || mono.tv_sec - last.tv_sec >= 60;
        if (scheduled)
            last = mono;
        struct rules_stats st = {0};
        err_clear(&c.err);
        if (rules_tick(&c, scheduled, &st))
            log_warn("rules scheduler: %s", c.err.msg);
        else if (st.runs || st.resumed || st.deliveries)
            log_info("rules: %d events, %d runs, %d actions, %d resumed, %d webhooks", st.events,
                     st.runs, st.actions, st.resumed, st.deliveries);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)(sched.interval_ms % 1000) * 1000000L;
        until.tv_sec += sched.interval_ms / 1000 + until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_mutex_lock(&sched.mu);
        while (!sched.stop && pthread_cond_timedwait(&sched.cv, &sched.mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&sched.mu);
    return NULL;
}

int rules_scheduler_start(struct app *a, int interval_ms)
{
    pthread_mutex_lock(&sched.mu);
    int rc = 0;
    if (!sched.started) {
        sched.app = a;
        sched.stop = 0;
        sched.interval_ms = interval_ms > 0 ? interval_ms : 1000;
        rc = pthread_create(&sched.th, NULL, sched_main, NULL);
        sched.started = rc == 0;
    }
    pthread_mutex_unlock(&sched.mu);
    return rc ? ERR_INTERNAL : 0;
}

void rules_scheduler_stop(void)
{
    pthread_mutex_lock(&sched.mu);
    int started = sched.started;
    sched.stop = 1;
    pthread_cond_broadcast(&sched.cv);
    pthread_mutex_unlock(&sched.mu);
    if (started)
        pthread_join(sched.th, NULL);
    sched.started = 0;
}
