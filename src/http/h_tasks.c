/* Routes: tasks and the per-user iCalendar feed (the table tasks_routes is
 * joined in routes.c). The feed itself is public: its URL holds the secret. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/tasks.h"
#include "http/handlers.h"
#include "util/timeu.h"

#define STAFF ROLES_STAFF
#define WRITE ROLES_WRITE

static int task_query(struct req *r, struct task_filter *f)
{
    memset(f, 0, sizeof(*f));
    const char *a = req_query(r, "assignee_id");
    int rc = 0;
    if (a && !strcmp(a, "me"))
        f->assignee_id = r->c.actor.user_id ? r->c.actor.user_id : -1;
    else
        rc = req_query_int(r, "assignee_id", 0, &f->assignee_id);
    if (!rc)
        rc = req_query_int(r, "customer_id", 0, &f->customer_id);
    if (!rc)
        rc = req_query_int(r, "deal_id", 0, &f->deal_id);
    if (!rc)
        rc = req_query_int(r, "ticket_id", 0, &f->ticket_id);
    f->team = req_query(r, "team");
    f->status = req_query(r, "status");
    f->kind = req_query(r, "kind");
    const char *db = req_query(r, "due_before");
    if (!rc && db && time_parse(db, &f->due_before))
        rc = err_set(&r->c.err, ERR_BADREQ, "due_before", "an ISO 8601 date or time");
    const char *o = req_query(r, "overdue"), *rem = req_query(r, "reminders");
    f->overdue = o && (!strcmp(o, "1") || !strcmp(o, "true"));
    f->reminders = rem && (!strcmp(rem, "1") || !strcmp(rem, "true"));
    return rc;
}

static int h_tasks_list(struct req *r, struct resp *w)
{
    struct task_filter f;
    int64_t limit;
    int rc = task_query(r, &f);
    if (!rc)
        rc = req_query_int(r, "limit", 50, &limit);
    if (!rc && (limit < 1 || limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    json_t *out = NULL;
    if (!rc)
        rc = task_list(&r->c, &f, req_query(r, "cursor"), (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_customer_tasks(struct req *r, struct resp *w)
{
    struct task_filter f = {0};
    f.customer_id = r->id;
    f.status = req_query(r, "status");
    json_t *out = NULL;
    int rc = task_list(&r->c, &f, req_query(r, "cursor"), 100, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_tasks_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = task_create(&r->c, r->body, &out);
    if (rc)
        return rc;
    snprintf(w->location, sizeof(w->location), "/api/v1/tasks/%lld",
             (long long)json_integer_value(json_object_get(out, "id")));
    return reply_json(w, 201, out);
}

static int h_tasks_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = task_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_tasks_update(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = task_update(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_calendar_info(struct req *r, struct resp *w)
{
    int64_t at = 0;
    char ts[TIME_BUF];
    int rc = task_feed_info(&r->c, r->c.actor.user_id, &at);
    if (rc)
        return rc;
    return reply_json(w, 200,
                      json_pack("{s:b,s:o}", "active", at != 0, "created_at",
                                at ? json_string(time_format(at, ts, sizeof(ts))) : json_null()));
}

static int h_calendar_token(struct req *r, struct resp *w)
{
    if (!r->c.actor.user_id)
        return err_set(&r->c.err, ERR_FORBIDDEN, "", "a calendar belongs to a user");
    char token[64], path[128], url[512];
    int rc = task_feed_token(&r->c, r->c.actor.user_id, token);
    if (rc)
        return rc;
    snprintf(path, sizeof(path), "/api/v1/calendar/%s.ics", token);
    const char *host = req_header(r, "Host"), *proto = req_header(r, "X-Forwarded-Proto");
    if (host && strlen(host) < 256 && !strpbrk(host, " /\\\"<>"))
        snprintf(url, sizeof(url), "%s://%s%s", proto && !strcmp(proto, "https") ? "https" : "http",
                 host, path);
    else
        snprintf(url, sizeof(url), "%s", path);
    return reply_json(w, 201, json_pack("{s:s,s:s,s:s}", "token", token, "path", path, "url", url));
}

static int h_calendar_feed(struct req *r, struct resp *w)
{
    char token[64];
    const char *p = r->params[0];
    size_t n = p ? strlen(p) : 0;
    if (n > 4 && !strcmp(p + n - 4, ".ics"))
        n -= 4;
    if (!p || n >= sizeof(token))
        return err_set(&r->c.err, ERR_NOTFOUND, "token", "no such calendar");
    memcpy(token, p, n);
    token[n] = 0;
    char *ics = NULL;
    size_t len = 0;
    int rc = task_feed_ics(&r->c, token, &ics, &len);
    if (rc)
        return rc;
    w->status = 200;
    w->raw = ics;
    w->raw_len = len;
    w->ctype = "text/calendar; charset=utf-8";
    return 0;
}

const struct route tasks_routes[] = {
    {"GET", "/api/v1/tasks", h_tasks_list, STAFF, "tasks",
     "Tasks by due time (assignee_id or 'me', team, customer_id, deal_id, ticket_id, status, "
     "kind, due_before, overdue, reminders, limit, cursor)",
     NULL},
    {"POST", "/api/v1/tasks", h_tasks_create, WRITE, "tasks",
     "Create a call, meeting, e-mail or to-do with due time, reminder and assignee", task_fields},
    {"GET", "/api/v1/tasks/{id}", h_tasks_get, STAFF, "tasks", "A task", NULL},
    {"PATCH", "/api/v1/tasks/{id}", h_tasks_update, WRITE, "tasks",
     "Change a task; status done closes it", task_update_fields},
    {"GET", "/api/v1/customers/{id}/tasks", h_customer_tasks, STAFF, "tasks",
     "Tasks linked to a customer (status)", NULL},
    {"GET", "/api/v1/calendar/feed", h_calendar_info, STAFF, "tasks",
     "Whether the signed-in user has a calendar feed", NULL},
    {"POST", "/api/v1/calendar/feed", h_calendar_token, STAFF, "tasks",
     "Create (or replace) the signed-in user's secret iCalendar feed URL, shown once", NULL},
    {"GET", "/api/v1/calendar/{token}", h_calendar_feed, 0, "tasks",
     "The iCalendar (RFC 5545) feed of a user's tasks; the URL is the secret", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
