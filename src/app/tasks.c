/*
 * Tasks and the per-user iCalendar feed (see tasks.h). The feed token is a
 * 256-bit secret in the URL; only its SHA-256 is stored, as for API tokens.
 */
#include "app/tasks.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/audit.h"
#include "app/customers.h"
#include "app/events.h"
#include "app/rowjson.h"
#include "store/store.h"
#include "util/ical.h"
#include "util/timeu.h"

#define jstr rowj_str
#define jint rowj_int

const struct field task_fields[] = {
    {"kind", FT_ENUM, FF_REQUIRED, 0, TASK_KINDS, NULL, NULL},
    {"title", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"notes", FT_TEXT, FF_NULLABLE, 5000, NULL, NULL, NULL},
    {"customer_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"deal_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "its customer is the task's"},
    {"ticket_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"due_at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, "ISO 8601; a call or meeting starts then"},
    {"ends_at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, "end of a meeting"},
    {"remind_at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, "at or before due_at"},
    {"assignee_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "default: the acting user"},
    {"team", FT_STRING, FF_NULLABLE, 64, NULL, NULL, "a team's task (without assignee_id)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field task_update_fields[] = {
    {"kind", FT_ENUM, 0, 0, TASK_KINDS, NULL, NULL},
    {"title", FT_STRING, 0, 200, NULL, NULL, NULL},
    {"notes", FT_TEXT, FF_NULLABLE, 5000, NULL, NULL, NULL},
    {"status", FT_ENUM, 0, 0, TASK_STATUSES, NULL, "done closes the task"},
    {"due_at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"ends_at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"remind_at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"assignee_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"team", FT_STRING, FF_NULLABLE, 64, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const task_names[] = {
    "id",          "customer_id",    "customer_name", "deal_id", "deal_title", "ticket_id",
    "kind",        "title",          "notes",         "due_at",  "ends_at",    "remind_at",
    "assignee_id", "assignee_email", "team",          "status",  "done_at",    "created_by",
    "created_at",  "updated_at",     "sequence",      NULL};
#define TASK_TYPES "iisisissstttisssttiti"
#define TASK_SELECT                                                                                \
    "SELECT t.id, t.customer_id, COALESCE(cu.name, NULLIF(TRIM(COALESCE(cu.first_name, '') || ' "  \
    "' || COALESCE(cu.last_name, '')), ''), cu.email), t.deal_id, d.title, t.ticket_id, t.kind, "  \
    "t.title, t.notes, t.due_at, t.ends_at, t.remind_at, t.assignee_id, u.email, t.team, "         \
    "t.status, t.done_at, t.created_by, t.created_at, t.updated_at, t.sequence FROM tasks t LEFT " \
    "JOIN customers cu ON cu.id = t.customer_id LEFT JOIN deals d ON d.id = t.deal_id LEFT JOIN "  \
    "users u ON u.id = t.assignee_id "

int task_get(struct ctx *c, int64_t id, json_t **out)
{
    int rc = rowj_one(c, TASK_SELECT "WHERE t.id = ?", id, task_names, TASK_TYPES, "task", out);
    if (rc)
        return rc;
    int64_t due;
    const char *d = jstr(*out, "due_at");
    int overdue =
        d && !strcmp(jstr(*out, "status"), "open") && time_parse(d, &due) == 0 && due < time_now();
    json_object_set_new(*out, "overdue", json_boolean(overdue));
    return 0;
}

/* A time field of in: 1 present with *t set, 0 absent or null. */
static int time_field(const json_t *in, const char *k, int64_t *t)
{
    const char *s = jstr(in, k);
    return s && time_parse(s, t) == 0;
}

static int check_user(struct ctx *c, int64_t uid)
{
    int64_t n = 0;
    int rc = store_int(c->st, &n, &c->err, "SELECT COUNT(*) FROM users WHERE id = ? AND active = 1",
                       "i", uid);
    if (!rc && !n)
        return fail(c, ERR_INVALID, "assignee_id", "no active user %lld", (long long)uid);
    return rc;
}

/* Times must be in order: remind_at <= due_at < ends_at. */
static int check_times(struct ctx *c, int has_due, int64_t due, int has_end, int64_t end,
                       int has_rem, int64_t rem)
{
    if (has_end && !has_due)
        return fail(c, ERR_INVALID, "ends_at", "an end needs a due_at (start)");
    if (has_end && end <= due)
        return fail(c, ERR_INVALID, "ends_at", "must be after due_at");
    if (has_rem && has_due && rem > due)
        return fail(c, ERR_INVALID, "remind_at", "must not be after due_at");
    return 0;
}

/* 1 when a title is sent and holds only spaces. */
static int blank_title(const json_t *in)
{
    const char *v = jstr(in, "title");
    if (!v)
        return 0;
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    return !*v;
}

static int emit(struct ctx *c, const char *type, const json_t *task)
{
    json_t *data = json_pack(
        "{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O}", "task_id", json_object_get(task, "id"), "kind",
        json_object_get(task, "kind"), "title", json_object_get(task, "title"), "due_at",
        json_object_get(task, "due_at"), "assignee_id", json_object_get(task, "assignee_id"),
        "team", json_object_get(task, "team"), "deal_id", json_object_get(task, "deal_id"),
        "ticket_id", json_object_get(task, "ticket_id"));
    int rc =
        event_emit(c, type, jint(task, "customer_id", 0), "task", jint(task, "id", 0), data, NULL);
    json_decref(data);
    return rc;
}

int task_create(struct ctx *c, const json_t *in, json_t **out)
{
    *out = NULL;
    int rc = fields_check(task_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int64_t due = 0, end = 0, rem = 0;
    int has_due = time_field(in, "due_at", &due), has_end = time_field(in, "ends_at", &end),
        has_rem = time_field(in, "remind_at", &rem);
    if (blank_title(in))
        return fail(c, ERR_INVALID, "title", "must not be empty");
    rc = check_times(c, has_due, due, has_end, end, has_rem, rem);
    if (rc)
        return rc;
    int64_t cid = jint(in, "customer_id", 0), did = jint(in, "deal_id", 0),
            aid = jint(in, "assignee_id", 0), id = 0, now = time_now();
    const char *team = jstr(in, "team");
    if (aid && team)
        return fail(c, ERR_INVALID, "team", "a task goes to a user or to a team, not both");
    if (team && !*team)
        return fail(c, ERR_INVALID, "team", "must not be empty");
    if (!aid && !team && c->actor.user_id)
        aid = c->actor.user_id;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    if (did) {
        int64_t dcid = 0;
        rc = store_int(c->st, &dcid, &c->err, "SELECT customer_id FROM deals WHERE id = ?", "i",
                       did);
        if (rc == ERR_NOTFOUND)
            rc = fail(c, ERR_INVALID, "deal_id", "no deal %lld", (long long)did);
        if (!rc && cid && cid != dcid)
            rc = fail(c, ERR_INVALID, "deal_id", "deal %lld belongs to another customer",
                      (long long)did);
        if (!rc)
            cid = dcid;
    }
    int64_t tid = jint(in, "ticket_id", 0);
    if (!rc && tid) { /* the service desk's ticket: its customer is the task's */
        int64_t tcid = 0;
        rc = store_int(c->st, &tcid, &c->err, "SELECT customer_id FROM tickets WHERE id = ?", "i",
                       tid);
        if (rc == ERR_NOTFOUND)
            rc = fail(c, ERR_INVALID, "ticket_id", "no ticket %lld", (long long)tid);
        if (!rc && cid && cid != tcid)
            rc = fail(c, ERR_INVALID, "ticket_id", "ticket %lld belongs to another customer",
                      (long long)tid);
        if (!rc)
            cid = tcid;
    }
    if (!rc && cid && jint(in, "customer_id", 0)) {
        rc = customer_exists(c, cid);
        if (rc == ERR_NOTFOUND)
            rc = fail(c, ERR_INVALID, "customer_id", "no customer %lld", (long long)cid);
    }
    if (!rc && aid)
        rc = check_user(c, aid);
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO tasks(customer_id, deal_id, ticket_id, kind, title, notes, "
                       "due_at, ends_at, remind_at, assignee_id, team, status, created_by, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', "
                       "?, ?, ?) RETURNING id",
                       "IIIsssIIIIsIii", cid ? cid : INT64_MIN, did ? did : INT64_MIN,
                       jint(in, "ticket_id", INT64_MIN), jstr(in, "kind"), jstr(in, "title"),
                       jstr(in, "notes"), has_due ? due : INT64_MIN, has_end ? end : INT64_MIN,
                       has_rem ? rem : INT64_MIN, aid ? aid : INT64_MIN, team,
                       c->actor.user_id ? c->actor.user_id : INT64_MIN, now, now);
    if (!rc)
        rc = task_get(c, id, out);
    if (!rc)
        rc = emit(c, "task.created", *out);
    if (!rc)
        rc = audit_record(c, "create", "task", id, NULL, *out);
    if (rc) {
        json_decref(*out);
        *out = NULL;
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

/* A sales rep changes their own tasks, their team's, and those they created. */
static int may_change(struct ctx *c, const json_t *task)
{
    json_t *a = json_object_get(task, "assignee_id"), *by = json_object_get(task, "created_by");
    const char *team = jstr(task, "team");
    if (json_is_integer(a) && json_integer_value(a) == c->actor.user_id)
        return 1;
    if (json_is_integer(by) && json_integer_value(by) == c->actor.user_id)
        return 1;
    return !json_is_integer(a) && team && c->actor.team[0] && !strcmp(team, c->actor.team);
}

int task_update(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    *out = NULL;
    int rc = fields_check(task_update_fields, in, FIELDS_UPDATE, &c->err);
    if (rc)
        return rc;
    if (blank_title(in))
        return fail(c, ERR_INVALID, "title", "must not be empty");
    json_t *before = NULL;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = task_get(c, id, &before);
    if (!rc && c->actor.role == ROLE_SALES && !may_change(c, before))
        rc = fail(c, ERR_FORBIDDEN, "assignee_id",
                  "task %lld is another rep's: ask its assignee or a manager", (long long)id);
    /* the times after the change, checked together */
    int64_t due = 0, end = 0, rem = 0;
    const json_t *src;
    src = rowj_has(in, "due_at") ? in : before;
    int has_due = time_field(src, "due_at", &due);
    src = rowj_has(in, "ends_at") ? in : before;
    int has_end = time_field(src, "ends_at", &end);
    src = rowj_has(in, "remind_at") ? in : before;
    int has_rem = time_field(src, "remind_at", &rem);
    if (!rc)
        rc = check_times(c, has_due, due, has_end, end, has_rem, rem);
    int64_t aid = jint(in, "assignee_id", 0);
    if (!rc && aid && jstr(in, "team"))
        rc = fail(c, ERR_INVALID, "team", "a task goes to a user or to a team, not both");
    if (!rc && aid)
        rc = check_user(c, aid);
    const char *status = jstr(in, "status"), *old = rc ? NULL : jstr(before, "status");
    int64_t now = time_now();
    if (!rc)
        rc = store_run(
            c->st, NULL, &c->err,
            "UPDATE tasks SET kind = COALESCE(?1, kind), title = COALESCE(?2, title), notes = "
            "CASE WHEN ?3 THEN ?4 ELSE notes END, status = COALESCE(?5, status), done_at = CASE "
            "WHEN ?5 = 'done' AND status <> 'done' THEN ?6 WHEN ?5 IS NOT NULL AND ?5 <> 'done' "
            "THEN NULL ELSE done_at END, due_at = ?7, ends_at = ?8, remind_at = ?9, assignee_id "
            "= CASE WHEN ?10 THEN ?11 WHEN ?12 THEN NULL ELSE assignee_id END, team = CASE WHEN "
            "?12 THEN ?13 ELSE team END, updated_at = ?6, sequence = sequence + 1 WHERE id = ?14",
            "ssissiIIIiIisi", jstr(in, "kind"), jstr(in, "title"), (int64_t)rowj_has(in, "notes"),
            jstr(in, "notes"), status, now, has_due ? due : INT64_MIN, has_end ? end : INT64_MIN,
            has_rem ? rem : INT64_MIN, (int64_t)rowj_has(in, "assignee_id"), aid ? aid : INT64_MIN,
            (int64_t)rowj_has(in, "team"), jstr(in, "team"), id);
    if (!rc)
        rc = task_get(c, id, out);
    if (!rc && status && !strcmp(status, "done") && strcmp(old, "done"))
        rc = emit(c, "task.done", *out);
    if (!rc)
        rc = audit_record(c, "update", "task", id, before, *out);
    json_decref(before);
    if (rc) {
        json_decref(*out);
        *out = NULL;
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int task_list(struct ctx *c, const struct task_filter *f, const char *cursor, int limit,
              json_t **out)
{
    if (limit <= 0)
        limit = 50;
    if (limit > 500)
        return fail(c, ERR_BADREQ, "limit", "at most 500");
    if (f->status && !enum_has(TASK_STATUSES, f->status))
        return fail(c, ERR_BADREQ, "status", "must be one of: %s", TASK_STATUSES);
    if (f->kind && !enum_has(TASK_KINDS, f->kind))
        return fail(c, ERR_BADREQ, "kind", "must be one of: %s", TASK_KINDS);
    long long ck = INT64_MIN, ci = 0;
    if (cursor && *cursor) {
        char tail;
        if (sscanf(cursor, "%lld.%lld%c", &ck, &ci, &tail) != 2)
            return fail(c, ERR_BADREQ, "cursor", "not a cursor this API returned");
    }
    int64_t now = time_now();
    struct stmt *s = NULL;
    int rc = store_query(
        c->st, &s, &c->err,
        TASK_SELECT "WHERE (?1 = 0 OR t.assignee_id = ?1) AND (?2 IS NULL OR t.team = ?2) AND "
                    "(?3 = 0 OR t.customer_id = ?3) AND (?4 = 0 OR t.deal_id = ?4) AND (?5 = 0 "
                    "OR t.ticket_id = ?5) AND (?6 IS NULL OR t.status = ?6) AND (?7 IS NULL OR "
                    "t.kind = ?7) AND (?8 = 0 OR t.due_at < ?8) AND (?9 = 0 OR (t.status = "
                    "'open' AND t.due_at < ?10)) AND (?11 = 0 OR (t.status = 'open' AND "
                    "t.remind_at <= ?10)) AND (COALESCE(t.due_at, 9223372036854775807) > ?12 OR "
                    "(COALESCE(t.due_at, 9223372036854775807) = ?12 AND t.id > ?13)) ORDER BY "
                    "COALESCE(t.due_at, 9223372036854775807), t.id LIMIT ?14",
        "isiiissiiiiiii", f->assignee_id, f->team, f->customer_id, f->deal_id, f->ticket_id,
        f->status, f->kind, f->due_before, (int64_t)f->overdue, now, (int64_t)f->reminders,
        (int64_t)ck, (int64_t)ci, (int64_t)limit + 1);
    if (rc)
        return rc;
    json_t *items = json_array();
    int n = 0;
    int64_t lk = 0, li = 0;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (n++ == limit)
            break;
        json_t *o = rowj_object(s, task_names, TASK_TYPES);
        lk = stmt_isnull(s, 9) ? INT64_MAX : stmt_int(s, 9);
        li = stmt_int(s, 0);
        int overdue =
            !stmt_isnull(s, 9) && !strcmp(stmt_text(s, 15), "open") && stmt_int(s, 9) < now;
        json_object_set_new(o, "overdue", json_boolean(overdue));
        json_array_append_new(items, o);
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    char cur[48];
    snprintf(cur, sizeof(cur), "%lld.%lld", (long long)lk, (long long)li);
    *out = json_pack("{s:o,s:o}", "items", items, "next_cursor",
                     n > limit ? json_string(cur) : json_null());
    return 0;
}

/* ------------------------------------------------------------ calendar feed */

static void token_hash(const char *token, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

int task_feed_token(struct ctx *c, int64_t user_id, char token[64])
{
    unsigned char raw[32];
    char hash[65];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(token, 64, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    token_hash(token, hash);
    return store_run(c->st, NULL, &c->err,
                     "INSERT INTO calendar_feeds(user_id, token_hash, created_at) VALUES (?1, ?2, "
                     "?3) ON CONFLICT(user_id) DO UPDATE SET token_hash = ?2, created_at = ?3",
                     "isi", user_id, hash, time_now());
}

int task_feed_info(struct ctx *c, int64_t user_id, int64_t *created_at)
{
    *created_at = 0;
    int rc = store_int(c->st, created_at, &c->err,
                       "SELECT created_at FROM calendar_feeds WHERE user_id = ?", "i", user_id);
    if (rc == ERR_NOTFOUND) {
        err_clear(&c->err);
        return 0;
    }
    return rc;
}

static void ics_task(struct ical *ic, const json_t *t, int64_t now)
{
    int64_t due = 0, end = 0, rem = 0, upd = now, done = 0, created = 0;
    int has_due = time_field(t, "due_at", &due), has_end = time_field(t, "ends_at", &end),
        has_rem = time_field(t, "remind_at", &rem), has_done = time_field(t, "done_at", &done);
    time_field(t, "updated_at", &upd);
    time_field(t, "created_at", &created);
    const char *kind = jstr(t, "kind"), *status = jstr(t, "status"), *title = jstr(t, "title");
    int event = has_due && kind && (!strcmp(kind, "call") || !strcmp(kind, "meeting"));
    char uid[64], seq[24], summary[320];
    snprintf(uid, sizeof(uid), "task-%lld@relatio", (long long)jint(t, "id", 0));
    snprintf(seq, sizeof(seq), "%lld", (long long)jint(t, "sequence", 0));
    static const struct {
        const char *kind, *label;
    } labels[] = {{"call", "Call"}, {"meeting", "Meeting"}, {"email", "E-mail"}, {"todo", "To do"}};
    const char *label = "Task";
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (kind && !strcmp(kind, labels[i].kind))
            label = labels[i].label;
    snprintf(summary, sizeof(summary), "%s: %s", label, title ? title : "");
    ical_raw(ic, "BEGIN", event ? "VEVENT" : "VTODO");
    ical_raw(ic, "UID", uid);
    ical_time(ic, "DTSTAMP", upd);
    if (created)
        ical_time(ic, "CREATED", created);
    ical_time(ic, "LAST-MODIFIED", upd);
    ical_raw(ic, "SEQUENCE", seq);
    ical_text(ic, "SUMMARY", summary);
    /* the description: notes, then who and what it is about */
    char desc[6000];
    size_t dl = 0;
    desc[0] = 0;
    if (jstr(t, "notes"))
        dl += (size_t)snprintf(desc + dl, sizeof(desc) - dl, "%s\n", jstr(t, "notes"));
    if (jstr(t, "customer_name") && dl < sizeof(desc))
        dl += (size_t)snprintf(desc + dl, sizeof(desc) - dl, "Customer: %s (#%lld)\n",
                               jstr(t, "customer_name"), (long long)jint(t, "customer_id", 0));
    if (jstr(t, "deal_title") && dl < sizeof(desc))
        dl += (size_t)snprintf(desc + dl, sizeof(desc) - dl, "Deal: %s (#%lld)\n",
                               jstr(t, "deal_title"), (long long)jint(t, "deal_id", 0));
    if (jint(t, "ticket_id", 0) && dl < sizeof(desc))
        dl += (size_t)snprintf(desc + dl, sizeof(desc) - dl, "Ticket: #%lld\n",
                               (long long)jint(t, "ticket_id", 0));
    if (dl >= sizeof(desc))
        dl = sizeof(desc) - 1;
    while (dl && desc[dl - 1] == '\n')
        desc[--dl] = 0;
    if (dl)
        ical_text(ic, "DESCRIPTION", desc);
    if (event) {
        ical_time(ic, "DTSTART", due);
        ical_time(ic, "DTEND", has_end ? end : due + (!strcmp(kind, "call") ? 1800 : 3600));
        ical_raw(ic, "STATUS", status && !strcmp(status, "cancelled") ? "CANCELLED" : "CONFIRMED");
        ical_raw(ic, "TRANSP", "OPAQUE");
    } else {
        if (has_due)
            ical_time(ic, "DUE", due);
        ical_raw(ic, "STATUS",
                 !status || !strcmp(status, "open") ? "NEEDS-ACTION"
                 : !strcmp(status, "done")          ? "COMPLETED"
                                                    : "CANCELLED");
        if (has_done && status && !strcmp(status, "done")) {
            ical_time(ic, "COMPLETED", done);
            ical_raw(ic, "PERCENT-COMPLETE", "100");
        }
    }
    ical_raw(ic, "CLASS", "PRIVATE");
    if (has_rem && status && !strcmp(status, "open")) {
        char trig[32];
        ical_raw(ic, "BEGIN", "VALARM");
        ical_raw(ic, "ACTION", "DISPLAY");
        ical_text(ic, "DESCRIPTION", summary);
        ical_raw(ic, "TRIGGER;VALUE=DATE-TIME", ical_format_time(rem, trig, sizeof(trig)));
        ical_raw(ic, "END", "VALARM");
    }
    ical_raw(ic, "END", event ? "VEVENT" : "VTODO");
}

int tasks_ics_render(const json_t *tasks, const char *calname, int64_t now, size_t max, char **ics,
                     size_t *len)
{
    struct ical ic;
    ical_init(&ic, max);
    ical_raw(&ic, "BEGIN", "VCALENDAR");
    ical_raw(&ic, "VERSION", "2.0");
    ical_raw(&ic, "PRODID", "-//relatio//tasks 1.0//EN");
    ical_raw(&ic, "CALSCALE", "GREGORIAN");
    ical_raw(&ic, "METHOD", "PUBLISH");
    ical_text(&ic, "NAME", calname);
    ical_text(&ic, "X-WR-CALNAME", calname);
    ical_raw(&ic, "REFRESH-INTERVAL;VALUE=DURATION", "PT15M");
    ical_raw(&ic, "X-PUBLISHED-TTL", "PT15M");
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t) ics_task(&ic, t, now);
    ical_raw(&ic, "END", "VCALENDAR");
    if (ic.err) {
        ical_release(&ic);
        return -1;
    }
    *ics = ic.buf;
    *len = ic.len;
    return 0;
}

int task_feed_ics(struct ctx *c, const char *token, char **ics, size_t *len)
{
    char hash[65], email[128] = "", team[64] = "";
    if (!token || strlen(token) != 43)
        return fail(c, ERR_NOTFOUND, "token", "no such calendar");
    token_hash(token, hash);
    struct stmt *s = NULL;
    int64_t uid = 0, now = time_now();
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT u.id, u.email, COALESCE(u.team, '') FROM calendar_feeds f JOIN "
                         "users u ON u.id = f.user_id WHERE f.token_hash = ? AND u.active = 1",
                         "s", hash);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1) {
        uid = stmt_int(s, 0);
        snprintf(email, sizeof(email), "%s", stmt_text(s, 1));
        snprintf(team, sizeof(team), "%s", stmt_text(s, 2));
    }
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "token", "no such calendar");
    if (rc < 0)
        return rc;
    json_t *tasks = NULL;
    rc = store_query(c->st, &s, &c->err,
                     TASK_SELECT "WHERE (t.assignee_id = ?1 OR (t.assignee_id IS NULL AND ?2 <> "
                                 "'' AND t.team = ?2)) AND (t.status = 'open' OR t.updated_at >= "
                                 "?3) ORDER BY t.id LIMIT 5000",
                     "isi", uid, team, now - 30 * 86400);
    if (!rc)
        rc = rowj_all(c, s, task_names, TASK_TYPES, &tasks);
    if (rc)
        return rc;
    char name[160];
    snprintf(name, sizeof(name), "relatio tasks – %s", email);
    rc = tasks_ics_render(tasks, name, now, 0, ics, len);
    json_decref(tasks);
    if (rc)
        return fail(c, ERR_INTERNAL, "", "calendar too large");
    return 0;
}
