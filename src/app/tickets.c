/*
 * The service desk (see tickets.h): tickets and their workflow, teams and
 * assignment, the conversation, e-mail threading, SLA clocks and the breach
 * sweep. A ticket's SLA state lives in its row; every change loads it into
 * a struct tk, moves the clocks in C and writes it back with next_due_at.
 */
#include "app/tickets.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "app/audit.h"
#include "app/customers.h"
#include "app/events.h"
#include "app/sla.h"
#include "channels/imap.h"
#include "channels/smtp.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeu.h"

#define NONE INT64_MIN /* a NULL column */

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int64_t jint_or(const json_t *o, const char *k, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* ------------------------------------------------------------ field tables */

const struct field ticket_fields[] = {
    {"customer_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "or email, which finds the customer"},
    {"email", FT_EMAIL, FF_NULLABLE, 0, NULL, NULL,
     "the customer's address; an unknown one creates a guest customer"},
    {"kind", FT_ENUM, FF_REQUIRED, 0, TICKET_KINDS, NULL,
     "complaint, assistance request, support, information request"},
    {"subject", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"body", FT_TEXT, FF_NULLABLE, 20000, NULL, NULL, "the customer's first message"},
    {"channel", FT_ENUM, 0, 0, TICKET_CHANNELS, NULL, "default web"},
    {"priority", FT_ENUM, 0, 0, TICKET_PRIORITIES, NULL, "default normal"},
    {"team_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "round-robin teams assign at once"},
    {"assignee_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "a user"},
    {"email_message_id", FT_STRING, FF_NULLABLE, 250, NULL, NULL,
     "Message-ID of the e-mail that opened it (threading)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field ticket_update_fields[] = {
    {"status", FT_ENUM, 0, 0, TICKET_STATUSES, NULL,
     "new → open | waiting | resolved | closed; waiting → open | resolved | closed; resolved → "
     "open | closed; closed is final"},
    {"priority", FT_ENUM, 0, 0, TICKET_PRIORITIES, NULL, "re-targets the SLA"},
    {"kind", FT_ENUM, 0, 0, TICKET_KINDS, NULL, NULL},
    {"team_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"assignee_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field ticket_message_fields[] = {
    {"body", FT_TEXT, FF_REQUIRED, 20000, NULL, NULL, NULL},
    {"internal", FT_BOOL, 0, 0, NULL, NULL, "true: an internal note the customer never sees"},
    {"status", FT_ENUM, 0, 0, TICKET_STATUSES, NULL,
     "status after the reply (e.g. waiting, resolved); default open"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field team_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 100, NULL, NULL, NULL},
    {"assignment", FT_ENUM, 0, 0, "manual|round_robin", NULL, "default manual"},
    {"escalation_team_id", FT_ID, FF_NULLABLE, 0, NULL, NULL,
     "team that receives this team's breached tickets"},
    {"members", FT_STRINGS, 0, 200, NULL, NULL, "user ids as strings or e-mails"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* ------------------------------------------------------------- the record */

struct tk {
    int64_t id, customer_id, team_id, assignee_id, policy_id, created_at;
    int64_t fr_at, resolved_at, closed_at, fr_due, res_due, fr_left, res_left, paused_at;
    int64_t fr_breached, res_breached, escalated, csat_at;
    char kind[16], priority[16], status[16];
};

#define TK_COLS                                                                                    \
    "id, customer_id, team_id, assignee_id, policy_id, created_at, first_response_at, "            \
    "resolved_at, closed_at, first_response_due_at, resolution_due_at, first_response_left, "      \
    "resolution_left, paused_at, first_response_breached, resolution_breached, escalated, "        \
    "csat_requested_at, kind, priority, status"

static int64_t col_or_none(struct stmt *s, int i)
{
    return stmt_isnull(s, i) ? NONE : stmt_int(s, i);
}

static int tk_load(struct ctx *c, int64_t id, struct tk *t)
{
    struct stmt *s = NULL;
    int rc =
        store_query(c->st, &s, &c->err, "SELECT " TK_COLS " FROM tickets WHERE id = ?", "i", id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1) {
        int64_t *f[] = {&t->id,        &t->customer_id, &t->team_id,     &t->assignee_id,
                        &t->policy_id, &t->created_at,  &t->fr_at,       &t->resolved_at,
                        &t->closed_at, &t->fr_due,      &t->res_due,     &t->fr_left,
                        &t->res_left,  &t->paused_at,   &t->fr_breached, &t->res_breached,
                        &t->escalated, &t->csat_at};
        for (int i = 0; i < 18; i++)
            *f[i] = col_or_none(s, i);
        snprintf(t->kind, sizeof(t->kind), "%s", stmt_text(s, 18));
        snprintf(t->priority, sizeof(t->priority), "%s", stmt_text(s, 19));
        snprintf(t->status, sizeof(t->status), "%s", stmt_text(s, 20));
    }
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "id", "no ticket %lld", (long long)id);
    return rc < 0 ? rc : 0;
}

static int fr_pending(const struct tk *t)
{
    return t->fr_at == NONE && !t->fr_breached && t->policy_id != NONE;
}

static int res_pending(const struct tk *t)
{
    return t->resolved_at == NONE && t->closed_at == NONE && !t->res_breached &&
           t->policy_id != NONE;
}

/* The nearest due time the sweep must look at; NONE when paused or met. */
static int64_t next_due(const struct tk *t)
{
    int64_t d = NONE;
    if (fr_pending(t) && t->fr_due != NONE)
        d = t->fr_due;
    if (res_pending(t) && t->res_due != NONE && (d == NONE || t->res_due < d))
        d = t->res_due;
    return d;
}

static int tk_save(struct ctx *c, const struct tk *t, int64_t now)
{
    return store_run(c->st, NULL, &c->err,
                     "UPDATE tickets SET kind = ?, priority = ?, status = ?, team_id = ?, "
                     "assignee_id = ?, policy_id = ?, updated_at = ?, first_response_at = ?, "
                     "resolved_at = ?, closed_at = ?, first_response_due_at = ?, "
                     "resolution_due_at = ?, first_response_left = ?, resolution_left = ?, "
                     "paused_at = ?, next_due_at = ?, first_response_breached = ?, "
                     "resolution_breached = ?, escalated = ?, csat_requested_at = ? WHERE id = ?",
                     "sssIIIiIIIIIIIIIiiiIi", t->kind, t->priority, t->status, t->team_id,
                     t->assignee_id, t->policy_id, now, t->fr_at, t->resolved_at, t->closed_at,
                     t->fr_due, t->res_due, t->fr_left, t->res_left, t->paused_at, next_due(t),
                     t->fr_breached, t->res_breached, t->escalated, t->csat_at, t->id);
}

/* Stops the clocks (waiting on the customer, resolved): remaining business
 * seconds are kept and the due times cleared. */
static void clock_pause(struct tk *t, const struct bizcal *cal, int64_t now)
{
    if (t->paused_at != NONE)
        return;
    if (t->fr_due != NONE && fr_pending(t)) {
        t->fr_left = bizhours_between(cal, now, t->fr_due);
        t->fr_due = NONE;
    }
    if (t->res_due != NONE && res_pending(t)) {
        t->res_left = bizhours_between(cal, now, t->res_due);
        t->res_due = NONE;
    }
    t->paused_at = now;
}

static void clock_resume(struct tk *t, const struct bizcal *cal, int64_t now)
{
    if (t->paused_at == NONE)
        return;
    if (t->fr_left != NONE) {
        t->fr_due = t->fr_left > 0 ? bizhours_add(cal, now, t->fr_left) : now;
        t->fr_left = NONE;
    }
    if (t->res_left != NONE) {
        t->res_due = t->res_left > 0 ? bizhours_add(cal, now, t->res_left) : now;
        t->res_left = NONE;
    }
    t->paused_at = NONE;
}

static int is_paused_status(const char *st)
{
    return !strcmp(st, "waiting") || !strcmp(st, "resolved") || !strcmp(st, "closed");
}

/* The workflow: which status may follow which. */
static const struct {
    const char *from, *to;
} transitions[] = {
    {"new", "open|waiting|resolved|closed"},
    {"open", "waiting|resolved|closed"},
    {"waiting", "open|resolved|closed"},
    {"resolved", "open|closed"},
    {"closed", ""},
};

static int transition_ok(const char *from, const char *to)
{
    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
        if (!strcmp(transitions[i].from, from))
            return *transitions[i].to && enum_has(transitions[i].to, to);
    return 0;
}

/* Moves t to status `to` at now with its clocks; emits ticket.resolved. */
static int tk_set_status(struct ctx *c, struct tk *t, const char *to, const struct bizcal *cal,
                         int64_t now)
{
    if (!strcmp(t->status, to))
        return 0;
    if (!transition_ok(t->status, to))
        return fail(c, ERR_CONFLICT, "status", "a %s ticket cannot become %s", t->status, to);
    if (is_paused_status(to))
        clock_pause(t, cal, now);
    else
        clock_resume(t, cal, now);
    if (!strcmp(to, "resolved")) {
        t->resolved_at = now;
        t->csat_at = now;
    } else if (!strcmp(to, "closed")) {
        t->closed_at = now;
        if (t->resolved_at == NONE)
            t->resolved_at = now;
    } else if (!strcmp(t->status, "resolved")) {
        t->resolved_at = NONE; /* reopened */
    }
    snprintf(t->status, sizeof(t->status), "%s", to);
    if (!strcmp(to, "resolved")) {
        /* the surveys capability sends the CSAT survey on this event */
        json_t *d = json_pack("{s:I,s:I,s:s,s:s}", "ticket_id", (json_int_t)t->id, "customer_id",
                              (json_int_t)t->customer_id, "kind", t->kind, "priority", t->priority);
        int rc = event_emit(c, "ticket.resolved", t->customer_id, "ticket", t->id, d, NULL);
        json_decref(d);
        return rc;
    }
    return 0;
}

/* Re-targets the SLA after a kind or priority change: the business time
 * already used counts against the new targets. */
static int tk_retarget(struct ctx *c, struct tk *t, int64_t now)
{
    struct sla_target old, nw;
    int rc = sla_target_load(c, t->policy_id == NONE ? 0 : t->policy_id, &old);
    if (!rc)
        rc = sla_target_for(c, t->kind, t->priority, &nw);
    if (rc)
        return rc;
    if (nw.policy_id == 0) {
        t->policy_id = NONE;
        return 0;
    }
    int paused = t->paused_at != NONE;
    int64_t fr_used = 0, res_used = 0;
    if (t->policy_id != NONE) {
        fr_used = old.first_response_s -
                  (paused ? (t->fr_left != NONE ? t->fr_left : 0)
                          : (t->fr_due != NONE ? bizhours_between(&old.cal, now, t->fr_due) : 0));
        res_used =
            old.resolution_s -
            (paused ? (t->res_left != NONE ? t->res_left : 0)
                    : (t->res_due != NONE ? bizhours_between(&old.cal, now, t->res_due) : 0));
    } else {
        fr_used = res_used = bizhours_between(&nw.cal, t->created_at, now);
    }
    t->policy_id = nw.policy_id;
    int64_t fr_left = nw.first_response_s - fr_used, res_left = nw.resolution_s - res_used;
    if (paused) {
        if (t->fr_at == NONE && !t->fr_breached)
            t->fr_left = fr_left;
        if (t->resolved_at == NONE && !t->res_breached)
            t->res_left = res_left;
    } else {
        if (t->fr_at == NONE && !t->fr_breached)
            t->fr_due = fr_left > 0 ? bizhours_add(&nw.cal, now, fr_left) : now;
        if (t->resolved_at == NONE && !t->res_breached)
            t->res_due = res_left > 0 ? bizhours_add(&nw.cal, now, res_left) : now;
    }
    return 0;
}

static int calendar_of(struct ctx *c, const struct tk *t, struct bizcal *cal)
{
    struct sla_target tg;
    int rc = sla_target_load(c, t->policy_id == NONE ? 0 : t->policy_id, &tg);
    if (!rc)
        *cal = tg.cal;
    return rc;
}

/* ----------------------------------------------------------------- output */

static const char *const ticket_names[] = {"id",
                                           "customer_id",
                                           "kind",
                                           "channel",
                                           "priority",
                                           "status",
                                           "subject",
                                           "team_id",
                                           "assignee_id",
                                           "policy_id",
                                           "email_from",
                                           "created_at",
                                           "updated_at",
                                           "first_response_at",
                                           "resolved_at",
                                           "closed_at",
                                           "first_response_due_at",
                                           "resolution_due_at",
                                           "next_due_at",
                                           "paused_at",
                                           "first_response_breached",
                                           "resolution_breached",
                                           "breached_at",
                                           "escalated",
                                           "customer_name",
                                           "team_name",
                                           "assignee_name",
                                           NULL};
static const char ticket_types[] = "iisssssiiistttttttttbbtbsss";
#define TICKET_SELECT                                                                              \
    "SELECT t.id, t.customer_id, t.kind, t.channel, t.priority, t.status, t.subject, t.team_id, "  \
    "t.assignee_id, t.policy_id, t.email_from, t.created_at, t.updated_at, t.first_response_at, "  \
    "t.resolved_at, t.closed_at, t.first_response_due_at, t.resolution_due_at, t.next_due_at, "    \
    "t.paused_at, t.first_response_breached, t.resolution_breached, t.breached_at, t.escalated, "  \
    "COALESCE(cu.name, TRIM(COALESCE(cu.first_name, '') || ' ' || COALESCE(cu.last_name, '')), "   \
    "cu.email), tm.name, u.name FROM tickets t JOIN customers cu ON cu.id = t.customer_id LEFT "   \
    "JOIN teams tm ON tm.id = t.team_id LEFT JOIN users u ON u.id = t.assignee_id "

static json_t *row_json(struct stmt *s, const char *const *names, const char *types)
{
    json_t *o = json_object();
    char ts[TIME_BUF];
    for (int i = 0; names[i]; i++) {
        json_t *v;
        if (stmt_isnull(s, i))
            v = json_null();
        else if (types[i] == 'i')
            v = json_integer(stmt_int(s, i));
        else if (types[i] == 'b')
            v = json_boolean(stmt_int(s, i));
        else if (types[i] == 't')
            v = json_string(time_format(stmt_int(s, i), ts, sizeof(ts)));
        else
            v = json_string(stmt_text(s, i));
        json_object_set_new(o, names[i], v);
    }
    return o;
}

static int messages_json(struct ctx *c, int64_t ticket_id, json_t **out)
{
    static const char *const names[] = {
        "id",   "at",       "direction",      "internal",         "author_id", "author_name",
        "body", "delivery", "delivery_error", "email_message_id", NULL};
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT m.id, m.at, m.direction, m.internal, m.author_id, u.name, m.body, "
                         "m.delivery, m.delivery_error, m.email_message_id FROM ticket_messages "
                         "m LEFT JOIN users u ON u.id = m.author_id WHERE m.ticket_id = ? ORDER "
                         "BY m.id",
                         "i", ticket_id);
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1)
        json_array_append_new(items, row_json(s, names, "itsbisssss"));
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return 0;
}

int ticket_get(struct ctx *c, int64_t id, int with_messages, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, TICKET_SELECT "WHERE t.id = ?", "i", id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    json_t *o = rc == 1 ? row_json(s, ticket_names, ticket_types) : NULL;
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "id", "no ticket %lld", (long long)id);
    if (rc < 0)
        return rc;
    json_object_set_new(o, "paused", json_boolean(!json_is_null(json_object_get(o, "paused_at"))));
    if (with_messages) {
        json_t *msgs = NULL;
        rc = messages_json(c, id, &msgs);
        if (rc) {
            json_decref(o);
            return rc;
        }
        json_object_set_new(o, "messages", msgs);
    }
    *out = o;
    return 0;
}

int ticket_list(struct ctx *c, const struct ticket_filter *f, json_t **out)
{
    int limit = f->limit > 0 ? f->limit : 50;
    if (limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    if (f->status && !enum_has(TICKET_STATUSES "|active", f->status))
        return fail(c, ERR_INVALID, "status", "must be one of: " TICKET_STATUSES "|active");
    if (f->kind && !enum_has(TICKET_KINDS, f->kind))
        return fail(c, ERR_INVALID, "kind", "must be one of: " TICKET_KINDS);
    long long cdue = INT64_MIN, cid = 0;
    if (f->cursor && *f->cursor) {
        char tail;
        if (sscanf(f->cursor, "%lld.%lld%c", &cdue, &cid, &tail) != 2)
            return fail(c, ERR_INVALID, "cursor", "not a cursor this API returned");
    }
    const char *status = f->status, *active = NULL;
    if (status && !strcmp(status, "active")) {
        active = "1";
        status = NULL;
    }
    struct stmt *s = NULL;
    int rc = store_query(
        c->st, &s, &c->err,
        TICKET_SELECT
        "WHERE (?1 IS NULL OR t.status = ?1) AND (?2 IS NULL OR t.status IN "
        "('new','open','waiting')) AND (?3 IS NULL OR t.kind = ?3) AND (?4 = 0 OR t.team_id = ?4) "
        "AND (?5 = 0 OR t.assignee_id = ?5) AND (?6 = 0 OR t.customer_id = ?6) AND (?7 = 0 OR "
        "t.first_response_breached + t.resolution_breached > 0) AND (COALESCE(t.next_due_at, "
        "9223372036854775807), t.id) > (?8, ?9) ORDER BY COALESCE(t.next_due_at, "
        "9223372036854775807), t.id LIMIT ?10",
        "sssiiiiiii", status, active, f->kind, f->team_id, f->assignee_id, f->customer_id,
        (int64_t)(f->breached != 0), (int64_t)cdue, (int64_t)cid, (int64_t)limit + 1);
    if (rc)
        return rc;
    json_t *items = json_array();
    int n = 0;
    char next[64] = "";
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (n++ == limit)
            break;
        snprintf(next, sizeof(next), "%lld.%lld",
                 (long long)(stmt_isnull(s, 18) ? INT64_MAX : stmt_int(s, 18)),
                 (long long)stmt_int(s, 0));
        json_array_append_new(items, row_json(s, ticket_names, ticket_types));
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o,s:o}", "items", items, "next_cursor",
                     n > limit ? json_string(next) : json_null());
    return 0;
}

/* ------------------------------------------------------------ assignment */

static int user_ok(struct ctx *c, int64_t user_id, const char *field)
{
    int64_t n = 0;
    int rc = store_int(c->st, &n, &c->err, "SELECT COUNT(*) FROM users WHERE id = ? AND active = 1",
                       "i", user_id);
    if (rc)
        return rc;
    return n ? 0 : fail(c, ERR_INVALID, field, "no active user %lld", (long long)user_id);
}

static int team_ok(struct ctx *c, int64_t team_id, const char *field)
{
    int64_t n = 0;
    int rc = store_int(c->st, &n, &c->err, "SELECT COUNT(*) FROM teams WHERE id = ?", "i", team_id);
    if (rc)
        return rc;
    return n ? 0 : fail(c, ERR_INVALID, field, "unknown team %lld", (long long)team_id);
}

/* The team's next member after the last one assigned (by user id, wrapping
 * round); 0 when the team is manual or has no active member. */
static int round_robin(struct ctx *c, int64_t team_id, int64_t *user_id)
{
    *user_id = 0;
    int64_t rr = 0;
    int rc = store_int(c->st, &rr, &c->err,
                       "SELECT assignment = 'round_robin' FROM teams WHERE id = ?", "i", team_id);
    if (rc || !rr)
        return rc;
    rc = store_int(c->st, user_id, &c->err,
                   "SELECT tm.user_id FROM team_members tm JOIN users u ON u.id = tm.user_id "
                   "WHERE tm.team_id = ?1 AND u.active = 1 ORDER BY tm.user_id <= COALESCE((SELECT "
                   "last_assigned_user_id FROM teams WHERE id = ?1), 0), tm.user_id LIMIT 1",
                   "i", team_id);
    if (rc == ERR_NOTFOUND) {
        *user_id = 0;
        return 0;
    }
    if (rc)
        return rc;
    return store_run(c->st, NULL, &c->err,
                     "UPDATE teams SET last_assigned_user_id = ? WHERE id = ?", "ii", *user_id,
                     team_id);
}

/* --------------------------------------------------------------- tickets */

static int add_message(struct ctx *c, int64_t ticket_id, int64_t customer_id, const char *dir,
                       int internal, const char *body, const char *msgid, const char *in_reply_to,
                       int64_t *id)
{
    return store_int(c->st, id, &c->err,
                     "INSERT INTO ticket_messages(ticket_id, customer_id, at, direction, internal, "
                     "author_id, body, email_message_id, in_reply_to) VALUES (?, ?, ?, ?, ?, ?, "
                     "?, ?, ?) RETURNING id",
                     "iiisiIsss", ticket_id, customer_id, time_now(), dir, (int64_t)internal,
                     c->actor.user_id && strcmp(dir, "outbound") == 0 ? c->actor.user_id : NONE,
                     body, msgid, in_reply_to);
}

/* Creates the ticket row inside the caller's transaction; *id gets it. */
static int ticket_insert(struct ctx *c, const json_t *in, const char *email_from, int64_t *id)
{
    int64_t cid = jint_or(in, "customer_id", 0), now = time_now();
    int rc = 0;
    const char *email = jstr(in, "email");
    if (!cid && email) {
        rc = customer_find(c, NULL, email, &cid);
        if (!rc && !cid) {
            json_t *g = json_pack("{s:s,s:s}", "kind", "guest", "email", email);
            rc = customer_create(c, g, &cid, NULL);
            json_decref(g);
        }
    } else if (!cid) {
        return fail(c, ERR_INVALID, "customer_id", "a ticket needs customer_id or email");
    } else {
        rc = customer_exists(c, cid);
        if (rc == ERR_NOTFOUND)
            return fail(c, ERR_INVALID, "customer_id", "no customer %lld", (long long)cid);
    }
    if (rc)
        return rc;
    int64_t team = jint_or(in, "team_id", 0), assignee = jint_or(in, "assignee_id", 0);
    if (team && (rc = team_ok(c, team, "team_id")))
        return rc;
    if (assignee && (rc = user_ok(c, assignee, "assignee_id")))
        return rc;
    if (team && !assignee && (rc = round_robin(c, team, &assignee)))
        return rc;
    const char *kind = jstr(in, "kind"),
               *prio = jstr(in, "priority") ? jstr(in, "priority") : "normal";
    struct sla_target tg;
    rc = sla_target_for(c, kind, prio, &tg);
    if (rc)
        return rc;
    int64_t fr_due = NONE, res_due = NONE;
    if (tg.policy_id) {
        fr_due = bizhours_add(&tg.cal, now, tg.first_response_s);
        res_due = bizhours_add(&tg.cal, now, tg.resolution_s);
    }
    rc = store_int(c->st, id, &c->err,
                   "INSERT INTO tickets(customer_id, kind, channel, priority, status, subject, "
                   "team_id, assignee_id, policy_id, email_from, created_at, updated_at, "
                   "first_response_due_at, resolution_due_at, next_due_at) VALUES (?, ?, ?, ?, "
                   "'new', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                   "issssIIIsiiIII", cid, kind, jstr(in, "channel") ? jstr(in, "channel") : "web",
                   prio, jstr(in, "subject"), team ? team : NONE, assignee ? assignee : NONE,
                   tg.policy_id ? tg.policy_id : NONE, email_from, now, now, fr_due, res_due,
                   fr_due != NONE && fr_due < res_due ? fr_due : res_due);
    if (rc)
        return rc;
    const char *body = jstr(in, "body");
    int64_t mid = 0;
    if (body && *body)
        rc = add_message(c, *id, cid, "inbound", 0, body, jstr(in, "email_message_id"), NULL, &mid);
    if (rc)
        return rc;
    /* data: kind, priority, channel, team_id (null), assignee_id (null) */
    json_t *d = json_pack("{s:s,s:s,s:s,s:o,s:o}", "kind", kind, "priority", prio, "channel",
                          jstr(in, "channel") ? jstr(in, "channel") : "web", "team_id",
                          team ? json_integer(team) : json_null(), "assignee_id",
                          assignee ? json_integer(assignee) : json_null());
    rc = event_emit(c, "ticket.opened", cid, "ticket", *id, d, NULL);
    json_decref(d);
    return rc;
}

int ticket_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(ticket_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    const char *subj = jstr(in, "subject");
    while (subj && (*subj == ' ' || *subj == '\t'))
        subj++;
    if (!subj || !*subj)
        return fail(c, ERR_INVALID, "subject", "must not be empty");
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    int64_t id = 0;
    rc = ticket_insert(c, in, NULL, &id);
    if (!rc)
        rc = ticket_get(c, id, 1, out);
    if (!rc)
        rc = audit_record(c, "create", "ticket", id, NULL, *out);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int ticket_update(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = fields_check(ticket_update_fields, in, FIELDS_UPDATE, &c->err);
    if (rc)
        return rc;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    struct tk t;
    struct bizcal cal;
    json_t *before = NULL;
    int64_t now = time_now();
    rc = tk_load(c, id, &t);
    if (!rc)
        rc = ticket_get(c, id, 0, &before);
    if (!rc && !strcmp(t.status, "closed"))
        rc = fail(c, ERR_CONFLICT, "status", "a closed ticket cannot change");
    json_t *v;
    if (!rc && (v = json_object_get(in, "team_id"))) {
        int64_t team = json_is_integer(v) ? json_integer_value(v) : 0, next = 0;
        if (team)
            rc = team_ok(c, team, "team_id");
        /* handed to another team without naming an agent: its turn order */
        if (!rc && team && team != t.team_id && !json_object_get(in, "assignee_id")) {
            rc = round_robin(c, team, &next);
            if (!rc && next)
                t.assignee_id = next;
        }
        t.team_id = team ? team : NONE;
    }
    if (!rc && (v = json_object_get(in, "assignee_id"))) {
        int64_t u = json_is_integer(v) ? json_integer_value(v) : 0;
        if (u)
            rc = user_ok(c, u, "assignee_id");
        t.assignee_id = u ? u : NONE;
    }
    const char *prio = jstr(in, "priority"), *kind = jstr(in, "kind"), *st = jstr(in, "status");
    if (!rc && ((prio && strcmp(prio, t.priority)) || (kind && strcmp(kind, t.kind)))) {
        if (prio)
            snprintf(t.priority, sizeof(t.priority), "%s", prio);
        if (kind)
            snprintf(t.kind, sizeof(t.kind), "%s", kind);
        rc = tk_retarget(c, &t, now);
    }
    if (!rc)
        rc = calendar_of(c, &t, &cal);
    if (!rc && st)
        rc = tk_set_status(c, &t, st, &cal, now);
    if (!rc)
        rc = tk_save(c, &t, now);
    if (!rc)
        rc = ticket_get(c, id, 1, out);
    if (!rc)
        rc = audit_record(c, "update", "ticket", id, before, *out);
    json_decref(before);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

/* ------------------------------------------------------------ e-mail out */

static const char *support_from(void)
{
    const char *f = getenv("RELATIO_SUPPORT_FROM");
    return f && *f ? f : "relatio support <support@relatio.local>";
}

/* Sends an agent's reply to the customer over SMTP when RELATIO_SMTP_URL is
 * set, threaded under the customer's last e-mail, and records the outcome
 * on the message. Runs after the commit: a slow mail server never holds
 * the write lock. */
static void send_reply(struct ctx *c, int64_t ticket_id, int64_t msg_id)
{
    const char *url = getenv("RELATIO_SMTP_URL");
    if (!url || !*url)
        return;
    struct stmt *s = NULL;
    char to[256] = "", subject[300] = "", msgid[256] = "", irt[256] = "", *body = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT COALESCE(t.email_from, cu.email), t.subject, m.body, "
                         "m.email_message_id, (SELECT email_message_id FROM ticket_messages WHERE "
                         "ticket_id = t.id AND direction = 'inbound' AND email_message_id IS NOT "
                         "NULL ORDER BY id DESC LIMIT 1) FROM tickets t JOIN customers cu ON cu.id "
                         "= t.customer_id JOIN ticket_messages m ON m.id = ? WHERE t.id = ?",
                         "ii", msg_id, ticket_id);
    if (!rc && stmt_step(s, &c->err) == 1 && !stmt_isnull(s, 0)) {
        snprintf(to, sizeof(to), "%s", stmt_text(s, 0));
        const char *subj = stmt_text(s, 1);
        snprintf(subject, sizeof(subject), "%s[#%lld] %s", strncmp(subj, "Re:", 3) ? "Re: " : "",
                 (long long)ticket_id, subj);
        body = strdup(stmt_text(s, 2));
        snprintf(msgid, sizeof(msgid), "%s", stmt_isnull(s, 3) ? "" : stmt_text(s, 3));
        snprintf(irt, sizeof(irt), "%s", stmt_isnull(s, 4) ? "" : stmt_text(s, 4));
    }
    stmt_done(s);
    if (rc || !to[0] || !body) {
        free(body);
        return;
    }
    struct smtp_config cfg = {.url = url,
                              .user = getenv("RELATIO_SMTP_USER"),
                              .password = getenv("RELATIO_SMTP_PASSWORD"),
                              .timeout_ms = 10000};
    struct mail_msg m = {.from = support_from(),
                         .to = to,
                         .subject = subject,
                         .text = body,
                         .message_id = msgid[0] ? msgid : NULL,
                         .in_reply_to = irt[0] ? irt : NULL,
                         .references = irt[0] ? irt : NULL};
    struct err e = {0};
    rc = smtp_send(&cfg, &m, &e);
    free(body);
    if (rc)
        log_warn("ticket %lld: reply not sent: %s", (long long)ticket_id, e.msg);
    store_run(c->st, NULL, NULL,
              "UPDATE ticket_messages SET delivery = ?, delivery_error = ? WHERE id = ?", "ssi",
              rc ? "failed" : "sent", rc ? e.msg : NULL, msg_id);
}

int ticket_reply(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = fields_check(ticket_message_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    const char *body = jstr(in, "body"), *st = jstr(in, "status");
    int internal = json_is_true(json_object_get(in, "internal"));
    if (!body || !*body)
        return fail(c, ERR_INVALID, "body", "must not be empty");
    if (internal && st)
        return fail(c, ERR_INVALID, "status", "an internal note does not change the status");
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    struct tk t;
    struct bizcal cal;
    int64_t now = time_now(), mid = 0;
    rc = tk_load(c, id, &t);
    if (!rc && !strcmp(t.status, "closed"))
        rc = fail(c, ERR_CONFLICT, "status", "a closed ticket takes no more messages");
    if (!rc)
        rc = calendar_of(c, &t, &cal);
    char msgid[160] = "";
    if (!rc && !internal) {
        unsigned char rnd[8];
        randombytes_buf(rnd, sizeof(rnd));
        snprintf(msgid, sizeof(msgid), "<t%lld.%02x%02x%02x%02x%02x%02x%02x%02x@relatio.local>",
                 (long long)id, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    }
    if (!rc)
        rc = add_message(c, id, t.customer_id, "outbound", internal, body, msgid[0] ? msgid : NULL,
                         NULL, &mid);
    if (!rc && !internal) {
        if (t.fr_at == NONE)
            t.fr_at = now; /* the first-response clock stops */
        const char *to = st ? st : (strcmp(t.status, "new") ? NULL : "open");
        if (to)
            rc = tk_set_status(c, &t, to, &cal, now);
    }
    if (!rc)
        rc = tk_save(c, &t, now);
    if (!rc) {
        /* data: message_id, internal */
        json_t *d = json_pack("{s:I,s:b,s:s}", "message_id", (json_int_t)mid, "internal", internal,
                              "direction", "outbound");
        rc = event_emit(c, "ticket.replied", t.customer_id, "ticket", id, d, NULL);
        json_decref(d);
    }
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (rc)
        return rc;
    if (!internal)
        send_reply(c, id, mid);
    return ticket_get(c, id, 1, out);
}

/* ------------------------------------------------------------- e-mail in */

/* Finds the ticket that one of the ids in refs ("<a> <b>") belongs to. */
static int thread_lookup(struct ctx *c, const char *refs, int64_t *ticket_id)
{
    *ticket_id = 0;
    for (const char *p = refs ? strchr(refs, '<') : NULL; p; p = strchr(p + 1, '<')) {
        const char *e = strchr(p, '>');
        if (!e)
            break;
        char id[256];
        size_t n = (size_t)(e - p + 1);
        if (n >= sizeof(id))
            continue;
        memcpy(id, p, n);
        id[n] = 0;
        int rc =
            store_int(c->st, ticket_id, &c->err,
                      "SELECT ticket_id FROM ticket_messages WHERE email_message_id = ?", "s", id);
        if (rc == 0)
            return 0;
        if (rc != ERR_NOTFOUND)
            return rc;
        *ticket_id = 0;
    }
    return 0;
}

/* "[#123]" in a subject: the ticket our replies are tagged with. */
static int64_t subject_tag(const char *subject)
{
    const char *p = subject ? strstr(subject, "[#") : NULL;
    if (!p)
        return 0;
    char *end = NULL;
    long long v = strtoll(p + 2, &end, 10);
    return end && *end == ']' && v > 0 ? v : 0;
}

int ticket_from_mail(struct ctx *c, const struct inbound_mail *m, int64_t *ticket_id, int *created)
{
    *ticket_id = 0;
    *created = 0;
    if (!m->from_addr || !*m->from_addr)
        return fail(c, ERR_INVALID, "from", "the e-mail has no sender");
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    if (m->message_id && *m->message_id) {
        rc = store_int(c->st, ticket_id, &c->err,
                       "SELECT ticket_id FROM ticket_messages WHERE email_message_id = ?", "s",
                       m->message_id);
        if (rc == 0) { /* already imported */
            store_rollback(c->st);
            return 0;
        }
        if (rc != ERR_NOTFOUND)
            goto out;
        rc = 0;
        *ticket_id = 0;
    }
    rc = thread_lookup(c, m->in_reply_to, ticket_id);
    if (!rc && !*ticket_id)
        rc = thread_lookup(c, m->references, ticket_id);
    if (!rc && !*ticket_id && (*ticket_id = subject_tag(m->subject))) {
        int64_t n = 0;
        rc = store_int(c->st, &n, &c->err, "SELECT COUNT(*) FROM tickets WHERE id = ?", "i",
                       *ticket_id);
        if (!n)
            *ticket_id = 0;
    }
    struct tk t;
    if (!rc && *ticket_id) {
        rc = tk_load(c, *ticket_id, &t);
        if (!rc && !strcmp(t.status, "closed"))
            *ticket_id = 0; /* a closed conversation: a new ticket */
    }
    const char *body = m->body && *m->body ? m->body : "(empty message)";
    if (!rc && *ticket_id) {
        struct bizcal cal;
        int64_t now = time_now(), mid = 0;
        rc = calendar_of(c, &t, &cal);
        if (!rc)
            rc = add_message(c, t.id, t.customer_id, "inbound", 0, body, m->message_id,
                             m->in_reply_to, &mid);
        if (!rc && (!strcmp(t.status, "waiting") || !strcmp(t.status, "resolved")))
            rc = tk_set_status(c, &t, "open", &cal, now);
        if (!rc)
            rc = tk_save(c, &t, now);
        if (!rc) {
            json_t *d = json_pack("{s:I,s:b,s:s}", "message_id", (json_int_t)mid, "internal", 0,
                                  "direction", "inbound");
            rc = event_emit(c, "ticket.replied", t.customer_id, "ticket", t.id, d, NULL);
            json_decref(d);
        }
    } else if (!rc) {
        char subj[201];
        snprintf(subj, sizeof(subj), "%s", m->subject && *m->subject ? m->subject : "(no subject)");
        json_t *in = json_pack("{s:s,s:s,s:s,s:s,s:s}", "email", m->from_addr, "kind", "support",
                               "subject", subj, "channel", "email", "body", body);
        if (m->message_id && *m->message_id)
            json_object_set_new(in, "email_message_id", json_string(m->message_id));
        rc = fields_check(ticket_fields, in, FIELDS_CREATE, &c->err);
        if (!rc)
            rc = ticket_insert(c, in, m->from_addr, ticket_id);
        json_decref(in);
        *created = !rc;
    }
out:
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int ticket_mail_config(struct imap_config *cfg, struct err *e)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->url = getenv("RELATIO_IMAP_URL");
    if (!cfg->url || !*cfg->url)
        return err_set(e, ERR_UNAVAILABLE, NULL,
                       "no support mailbox configured (set RELATIO_IMAP_URL)");
    cfg->user = getenv("RELATIO_IMAP_USER");
    cfg->password = getenv("RELATIO_IMAP_PASSWORD");
    cfg->timeout_ms = 30000;
    return 0;
}

int ticket_mail_fetch(struct ctx *c, const struct imap_config *cfg, json_t **out)
{
    struct imap_config env;
    if (!cfg) {
        int rc = ticket_mail_config(&env, &c->err);
        if (rc)
            return rc;
        cfg = &env;
    }
    int64_t last = 0, *uids = NULL;
    size_t n = 0;
    int rc = store_int(c->st, &last, &c->err, "SELECT last_uid FROM mail_state WHERE mailbox = ?",
                       "s", cfg->url);
    if (rc == ERR_NOTFOUND) {
        last = 0;
        rc = 0;
    }
    if (!rc)
        rc = imap_search_after(cfg, last, &uids, &n, 10000, &c->err);
    if (rc)
        return rc;
    int64_t created = 0, threaded = 0, dups = 0, skipped = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char *raw = NULL;
        size_t len = 0;
        struct mail_parsed m;
        struct err pe = {0};
        rc = imap_fetch(cfg, uids[i], &raw, &len, &c->err);
        if (rc == ERR_TOOLARGE) { /* skip it rather than block the mailbox */
            rc = 0;
            raw = NULL;
        }
        if (rc)
            break;
        rc = store_begin(c->st, &c->err);
        if (rc) {
            free(raw);
            break;
        }
        if (!raw || mail_parse(raw, len, &m, &pe)) {
            log_warn("mail uid %lld skipped: %s", (long long)uids[i], raw ? pe.msg : "too large");
            skipped++;
        } else {
            struct inbound_mail im = {m.message_id, m.in_reply_to, m.references, m.subject,
                                      m.from_addr,  m.from_name,   m.body};
            int64_t tid = 0;
            int made = 0;
            int64_t before = 0;
            store_int(c->st, &before, NULL,
                      "SELECT COUNT(*) FROM ticket_messages WHERE email_message_id = ?", "s",
                      m.message_id);
            rc = ticket_from_mail(c, &im, &tid, &made);
            if (rc == ERR_INVALID) { /* a message we cannot take: skip it */
                log_warn("mail uid %lld skipped: %s", (long long)uids[i], c->err.msg);
                err_clear(&c->err);
                skipped++;
                rc = 0;
            } else if (!rc) {
                if (made)
                    created++;
                else if (before)
                    dups++;
                else
                    threaded++;
            }
            mail_parsed_free(&m);
        }
        free(raw);
        if (!rc)
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO mail_state(mailbox, last_uid, fetched_at) VALUES (?, ?, ?) "
                           "ON CONFLICT(mailbox) DO UPDATE SET last_uid = excluded.last_uid, "
                           "fetched_at = excluded.fetched_at",
                           "sii", cfg->url, uids[i], time_now());
        if (rc) {
            store_rollback(c->st);
            break;
        }
        rc = store_commit(c->st, &c->err);
        if (!rc)
            last = uids[i];
    }
    free(uids);
    if (rc)
        return rc;
    *out =
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "fetched", (json_int_t)n, "created",
                  (json_int_t)created, "threaded", (json_int_t)threaded, "duplicates",
                  (json_int_t)dups, "skipped", (json_int_t)skipped, "last_uid", (json_int_t)last);
    return 0;
}

/* ------------------------------------------------------------------ teams */

int team_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(team_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    int64_t esc = jint_or(in, "escalation_team_id", 0), id = 0;
    if (esc)
        rc = team_ok(c, esc, "escalation_team_id");
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO teams(name, assignment, escalation_team_id, created_at) "
                       "VALUES (?, ?, ?, ?) RETURNING id",
                       "ssIi", jstr(in, "name"),
                       jstr(in, "assignment") ? jstr(in, "assignment") : "manual", esc ? esc : NONE,
                       time_now());
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "name", "a team with this name already exists");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "members"), i, v)
    {
        if (rc)
            break;
        const char *s = json_string_value(v);
        char *end = NULL, f[32];
        int64_t uid = strtoll(s, &end, 10);
        snprintf(f, sizeof(f), "members[%zu]", i);
        if (!end || *end || uid <= 0) {
            rc = store_int(c->st, &uid, &c->err, "SELECT id FROM users WHERE email = ?", "s", s);
            if (rc == ERR_NOTFOUND)
                rc = fail(c, ERR_INVALID, f, "no user '%.100s'", s);
        }
        if (!rc)
            rc = user_ok(c, uid, f);
        if (!rc)
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO team_members(team_id, user_id) VALUES (?, ?) ON CONFLICT "
                           "DO NOTHING",
                           "ii", id, uid);
    }
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (rc)
        return rc;
    json_t *all = NULL;
    rc = team_list(c, &all);
    if (rc)
        return rc;
    json_array_foreach(json_object_get(all, "items"), i,
                       v) if (json_integer_value(json_object_get(v, "id")) == id)
    {
        *out = json_incref(v);
        break;
    }
    json_decref(all);
    return *out ? 0 : fail(c, ERR_INTERNAL, NULL, "team vanished");
}

int team_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT t.id, t.name, t.assignment, t.escalation_team_id FROM teams t "
                         "ORDER BY t.name",
                         "");
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1) {
        /* the members by a query of their own: portable SQL, no JSON aggregate */
        json_t *members = json_array();
        struct stmt *m = NULL;
        int mrc = store_query(c->st, &m, &c->err,
                              "SELECT u.id, u.name, u.email FROM team_members tm JOIN users u ON "
                              "u.id = tm.user_id WHERE tm.team_id = ? ORDER BY u.id",
                              "i", stmt_int(s, 0));
        if (!mrc)
            while ((mrc = stmt_step(m, &c->err)) == 1)
                json_array_append_new(members, json_pack("{s:I,s:s,s:s}", "id",
                                                         (json_int_t)stmt_int(m, 0), "name",
                                                         stmt_text(m, 1), "email",
                                                         stmt_text(m, 2)));
        stmt_done(m);
        json_t *o = json_pack("{s:I,s:s,s:s,s:o,s:o}", "id", (json_int_t)stmt_int(s, 0), "name",
                              stmt_text(s, 1), "assignment", stmt_text(s, 2), "escalation_team_id",
                              stmt_isnull(s, 3) ? json_null() : json_integer(stmt_int(s, 3)),
                              "members", members);
        json_array_append_new(items, o);
        if (mrc < 0) {
            rc = mrc;
            break;
        }
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

int team_add_member(struct ctx *c, int64_t team_id, int64_t user_id, json_t **out)
{
    int rc = team_ok(c, team_id, "team_id");
    if (rc == ERR_INVALID)
        return fail(c, ERR_NOTFOUND, "id", "no team %lld", (long long)team_id);
    if (!rc)
        rc = user_ok(c, user_id, "user_id");
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO team_members(team_id, user_id) VALUES (?, ?) ON CONFLICT DO "
                       "NOTHING",
                       "ii", team_id, user_id);
    if (rc)
        return rc;
    *out = json_pack("{s:I,s:I}", "team_id", (json_int_t)team_id, "user_id", (json_int_t)user_id);
    return 0;
}

/* -------------------------------------------------------------- the sweep */

static const char *priority_up(const char *p)
{
    static const char *const order[] = {"low", "normal", "high", "urgent"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(order[i], p))
            return order[i + 1];
    return "urgent";
}

/* One ticket past a due time: flags, escalation, events. */
static int breach_one(struct ctx *c, int64_t id, int64_t now, int64_t *n)
{
    struct tk t;
    int rc = tk_load(c, id, &t);
    if (rc)
        return rc;
    const char *which[2] = {NULL, NULL};
    int64_t due[2] = {0, 0};
    if (fr_pending(&t) && t.fr_due != NONE && t.fr_due <= now) {
        t.fr_breached = 1;
        which[0] = "first_response";
        due[0] = t.fr_due;
    }
    if (res_pending(&t) && t.res_due != NONE && t.res_due <= now) {
        t.res_breached = 1;
        which[1] = "resolution";
        due[1] = t.res_due;
    }
    if (!which[0] && !which[1])
        return tk_save(c, &t, now); /* stale next_due_at: refresh it */
    int moved = 0;                  /* handed to another team: the full row is written */
    if (!t.escalated) {
        t.escalated = 1;
        snprintf(t.priority, sizeof(t.priority), "%s", priority_up(t.priority));
        if (t.team_id != NONE) {
            int64_t esc = 0;
            rc = store_int(c->st, &esc, &c->err,
                           "SELECT COALESCE(escalation_team_id, 0) FROM teams WHERE id = ?", "i",
                           t.team_id);
            if (rc && rc != ERR_NOTFOUND)
                return rc;
            rc = 0;
            if (esc) {
                t.team_id = esc;
                t.assignee_id = NONE;
                moved = 1;
                rc = round_robin(c, esc, &esc);
                if (rc)
                    return rc;
                if (esc)
                    t.assignee_id = esc;
            }
        }
    }
    /* Only the columns a breach changes, so the indexes on status and
     * assignee are left alone: a sweep over many tickets writes few pages. */
    rc = moved ? tk_save(c, &t, now)
               : store_run(c->st, NULL, &c->err,
                           "UPDATE tickets SET priority = ?, first_response_breached = ?, "
                           "resolution_breached = ?, escalated = ?, next_due_at = ?, updated_at = "
                           "?, breached_at = COALESCE(breached_at, ?) WHERE id = ?",
                           "siiiIiii", t.priority, t.fr_breached, t.res_breached, t.escalated,
                           next_due(&t), now, now, id);
    if (!rc && moved)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE tickets SET breached_at = ? WHERE id = ? AND breached_at IS NULL",
                       "ii", now, id);
    char ts[TIME_BUF];
    for (int i = 0; i < 2 && !rc; i++) {
        if (!which[i])
            continue;
        /* data: target, due_at, priority (after escalation), team_id */
        json_t *d = json_pack("{s:s,s:s,s:s,s:o}", "target", which[i], "due_at",
                              time_format(due[i], ts, sizeof(ts)), "priority", t.priority,
                              "team_id", t.team_id != NONE ? json_integer(t.team_id) : json_null());
        rc = event_emit(c, "sla.breached", t.customer_id, "ticket", id, d, NULL);
        json_decref(d);
        (*n)++;
    }
    return rc;
}

int sla_sweep(struct ctx *c, int64_t *n)
{
    *n = 0;
    int64_t now = time_now();
    for (;;) {
        int64_t ids[4096];
        int k = 0, rc = store_begin(c->st, &c->err);
        if (rc)
            return rc;
        struct stmt *s = NULL;
        rc = store_query(c->st, &s, &c->err,
                         "SELECT id FROM tickets WHERE next_due_at <= ? ORDER BY next_due_at "
                         "LIMIT 4096",
                         "i", now);
        if (!rc) {
            int step;
            while ((step = stmt_step(s, &c->err)) == 1 && k < 4096)
                ids[k++] = stmt_int(s, 0);
            rc = step < 0 ? step : 0;
        }
        stmt_done(s);
        for (int i = 0; i < k && !rc; i++)
            rc = breach_one(c, ids[i], now, n);
        if (rc) {
            store_rollback(c->st);
            return rc;
        }
        rc = store_commit(c->st, &c->err);
        if (rc || k < 4096)
            return rc;
    }
}

/* ------------------------------------------------------------ scheduler */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int running, stop;
    long sweep_s, mail_s;
    struct app *app;
} sched = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static long env_seconds(const char *name, long dflt)
{
    const char *v = getenv(name);
    char *end = NULL;
    long n = v && *v ? strtol(v, &end, 10) : dflt;
    return (v && *v && (!end || *end)) || n < 0 ? dflt : n;
}

static void *sched_main(void *arg)
{
    (void)arg;
    struct timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    int64_t now = mono.tv_sec, next_sweep = now + sched.sweep_s, next_mail = now + sched.mail_s;
    pthread_mutex_lock(&sched.lock);
    while (!sched.stop) {
        int64_t due = INT64_MAX;
        if (sched.sweep_s)
            due = next_sweep;
        if (sched.mail_s && next_mail < due)
            due = next_mail;
        /* the condition variable waits on the real-time clock */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        clock_gettime(CLOCK_MONOTONIC, &mono);
        until.tv_sec += (time_t)(due - mono.tv_sec > 0 ? due - mono.tv_sec : 0);
        int w = pthread_cond_timedwait(&sched.wake, &sched.lock, &until);
        if (sched.stop)
            break;
        if (w != ETIMEDOUT)
            continue;
        pthread_mutex_unlock(&sched.lock);
        clock_gettime(CLOCK_MONOTONIC, &mono);
        struct ctx c;
        if (sched.sweep_s && mono.tv_sec >= next_sweep) {
            int64_t n = 0;
            if (ctx_init(&c, sched.app, NULL) == 0 && sla_sweep(&c, &n))
                log_warn("sla sweep: %s", c.err.msg);
            else if (n)
                log_info("sla sweep: %lld breaches", (long long)n);
            next_sweep = mono.tv_sec + sched.sweep_s;
        }
        if (sched.mail_s && mono.tv_sec >= next_mail) {
            json_t *out = NULL;
            if (ctx_init(&c, sched.app, NULL) == 0 && ticket_mail_fetch(&c, NULL, &out))
                log_warn("mail fetch: %s", c.err.msg);
            json_decref(out);
            next_mail = mono.tv_sec + sched.mail_s;
        }
        pthread_mutex_lock(&sched.lock);
    }
    pthread_mutex_unlock(&sched.lock);
    return NULL;
}

int service_scheduler_start(struct app *a)
{
    const char *imap = getenv("RELATIO_IMAP_URL");
    sched.sweep_s = env_seconds("RELATIO_SLA_SWEEP_SECONDS", 60);
    sched.mail_s = imap && *imap ? env_seconds("RELATIO_MAIL_POLL_SECONDS", 60) : 0;
    if (sched.running || (!sched.sweep_s && !sched.mail_s))
        return -1;
    sched.app = a;
    sched.stop = 0;
    if (pthread_create(&sched.thread, NULL, sched_main, NULL))
        return -1;
    sched.running = 1;
    return 0;
}

void service_scheduler_stop(void)
{
    if (!sched.running)
        return;
    pthread_mutex_lock(&sched.lock);
    sched.stop = 1;
    pthread_cond_signal(&sched.wake);
    pthread_mutex_unlock(&sched.lock);
    pthread_join(sched.thread, NULL);
    sched.running = 0;
}
