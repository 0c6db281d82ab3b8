/*
 * Tasks and activities of the front line: calls, meetings, e-mails and
 * to-dos with a due time, a reminder, an assignee (a user or a team) and
 * links to a customer, a deal or a ticket; and the per-user iCalendar feed
 * (RFC 5545) that calendar clients subscribe to with a secret URL token.
 */
#ifndef APP_TASKS_H
#define APP_TASKS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

#define TASK_KINDS "call|meeting|email|todo"
#define TASK_STATUSES "open|done|cancelled"

/* The body of POST /api/v1/tasks (and of PATCH, all optional there). */
extern const struct field task_fields[];
extern const struct field task_update_fields[];

/* Creates a task from exactly the JSON of POST /api/v1/tasks:
 * {customer_id?, deal_id?, ticket_id?, kind (call|meeting|email|todo),
 *  title, notes?, due_at?, ends_at?, remind_at?, assignee_id? or team?}.
 * Without an assignee nor a team the task goes to the acting user (the
 * system's tasks stay unassigned). A deal link without customer_id takes the
 * deal's customer. Emits task.created {task_id, kind, title, due_at,
 * assignee_id, team, deal_id, ticket_id} in the same transaction. A ticket
 * link, like a deal link, gives the customer (and must agree with it).
 * Other services (rules engine, campaign call lists) call this inside their
 * own transaction: it nests as a savepoint. *out (caller owns) gets the
 * task. ERR_INVALID naming the field on bad input. */
int task_create(struct ctx *c, const json_t *in, json_t **out);

int task_get(struct ctx *c, int64_t id, json_t **out);

/* Changes the fields sent (task_update_fields); "status":"done" closes it
 * (done_at, event task.done), "open" reopens. A sales rep changes only the
 * tasks assigned to them, created by them or given to their team
 * (ERR_FORBIDDEN). */
int task_update(struct ctx *c, int64_t id, const json_t *in, json_t **out);

/* Filters for task_list; zero / NULL members do not filter. */
struct task_filter {
    int64_t assignee_id;
    const char *team;
    int64_t customer_id;
    int64_t deal_id;
    int64_t ticket_id;
    const char *status; /* open|done|cancelled */
    const char *kind;
    int64_t due_before; /* Unix seconds; 0: any */
    int overdue;        /* 1: open and due before now */
    int reminders;      /* 1: open with a reminder time reached */
};

/* Tasks by due time (nulls last) then id; keyset cursor "due.id" opaque.
 * {"items":[…],"next_cursor":…}. */
int task_list(struct ctx *c, const struct task_filter *f, const char *cursor, int limit,
              json_t **out);

/* A new secret feed token for the user, replacing any earlier one (whose URL
 * stops working). Only its SHA-256 is stored, so it is shown once. *token
 * gets 43 URL-safe characters. */
int task_feed_token(struct ctx *c, int64_t user_id, char token[64]);
/* Whether the user has a feed, and since when (0: none). */
int task_feed_info(struct ctx *c, int64_t user_id, int64_t *created_at);

/* The iCalendar feed of the user owning token: their open tasks and those
 * done in the last 30 days, plus tasks of their team. *ics (malloc'd, caller
 * frees) gets the document, *len its length. ERR_NOTFOUND for an unknown
 * token. */
int task_feed_ics(struct ctx *c, const char *token, char **ics, size_t *len);

/* Pure: the VCALENDAR of tasks (an array of task objects as task_get
 * returns them) named calname. Calls and meetings with a due time become
 * VEVENTs (DTEND: ends_at, else 30 min for a call, 1 h for a meeting), the
 * rest VTODOs; a reminder becomes a VALARM with an absolute trigger. *ics
 * (malloc'd, caller frees) and *len. -1 when over max bytes. */
int tasks_ics_render(const json_t *tasks, const char *calname, int64_t now, size_t max, char **ics,
                     size_t *len);

#endif
