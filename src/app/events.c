/* Event log (see events.h). */
#include "app/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/timeu.h"

int event_emit(struct ctx *c, const char *type, int64_t customer_id, const char *subject,
               int64_t subject_id, const json_t *data, int64_t *id)
{
    char *d = data ? json_dumps(data, JSON_COMPACT) : NULL;
    int64_t newid = 0;
    int rc = store_int(c->st, &newid, &c->err,
                       "INSERT INTO events(at, type, customer_id, subject, subject_id, data) "
                       "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                       "isIsIs", time_now(), type, customer_id ? customer_id : INT64_MIN, subject,
                       subject_id ? subject_id : INT64_MIN, d ? d : "{}");
    free(d);
    if (!rc && id)
        *id = newid;
    return rc;
}

static void event_read(struct stmt *s, struct event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->id = stmt_int(s, 0);
    ev->at = stmt_int(s, 1);
    snprintf(ev->type, sizeof(ev->type), "%s", stmt_text(s, 2));
    ev->customer_id = stmt_isnull(s, 3) ? 0 : stmt_int(s, 3);
    snprintf(ev->subject, sizeof(ev->subject), "%s", stmt_text(s, 4) ? stmt_text(s, 4) : "");
    ev->subject_id = stmt_isnull(s, 5) ? 0 : stmt_int(s, 5);
    ev->data = json_loads(stmt_text(s, 6) ? stmt_text(s, 6) : "{}", 0, NULL);
    if (!ev->data)
        ev->data = json_object();
}

#define EVENT_COLS "id, at, type, customer_id, subject, subject_id, data"

int events_consume(struct ctx *c, const char *consumer, int limit,
                   int (*fn)(struct ctx *c, const struct event *ev, void *arg), void *arg,
                   int *handled)
{
    if (handled)
        *handled = 0;
    if (limit <= 0 || limit > 100000)
        limit = 1000;
    struct event *evs = calloc((size_t)limit, sizeof(*evs));
    if (!evs)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    int rc = store_begin(c->st, &c->err);
    if (rc) {
        free(evs);
        return rc;
    }
    int64_t last = 0;
    rc = store_run(c->st, NULL, &c->err,
                   "INSERT INTO event_cursors(consumer, last_id) VALUES (?, 0) ON CONFLICT "
                   "(consumer) DO NOTHING",
                   "s", consumer);
    if (!rc)
        rc = store_int(c->st, &last, &c->err,
                       "SELECT last_id FROM event_cursors WHERE consumer = ?", "s", consumer);
    /* read the batch first: fn may write, and the statement must be done */
    int n = 0;
    struct stmt *s = NULL;
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT " EVENT_COLS " FROM events WHERE id > ? ORDER BY id LIMIT ?", "ii",
                         last, (int64_t)limit);
    /* not "!rc &&": rc is 1 after a row, which would stop at the first */
    while (s && n < limit && (rc = stmt_step(s, &c->err)) == 1)
        event_read(s, &evs[n++]);
    if (s)
        stmt_done(s);
    if (rc > 0)
        rc = 0;
    int ok = 0;
    for (int i = 0; !rc && i < n; i++) {
        rc = store_begin(c->st, &c->err); /* a savepoint per event */
        if (rc)
            break;
        rc = fn(c, &evs[i], arg);
        if (rc) {
            store_rollback(c->st);
            break;
        }
        rc = store_commit(c->st, &c->err);
        if (!rc) {
            last = evs[i].id;
            ok++;
        }
    }
    int frc = rc;
    rc = store_run(c->st, NULL, &c->err, "UPDATE event_cursors SET last_id = ? WHERE consumer = ?",
                   "is", last, consumer);
    if (!rc)
        rc = store_commit(c->st, &c->err);
    else
        store_rollback(c->st);
    for (int i = 0; i < n; i++)
        json_decref(evs[i].data);
    free(evs);
    if (handled)
        *handled = ok;
    return frc ? frc : rc;
}

int events_list(struct ctx *c, int64_t customer_id, const char *type, int64_t before_id, int limit,
                json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT " EVENT_COLS " FROM events WHERE (? = 0 OR customer_id = ?) AND "
                         "(? IS NULL OR type = ?) AND id < ? ORDER BY id DESC LIMIT ?",
                         "iissii", customer_id, customer_id, type, type,
                         before_id > 0 ? before_id : INT64_MAX, (int64_t)limit + 1);
    if (rc)
        return rc;
    json_t *items = json_array();
    int n = 0;
    int64_t lastid = 0;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (n++ == limit)
            break;
        struct event ev;
        event_read(s, &ev);
        lastid = ev.id;
        char ts[TIME_BUF];
        json_array_append_new(
            items, json_pack("{s:I,s:s,s:s,s:o,s:s?,s:o,s:o}", "id", (json_int_t)ev.id, "at",
                             time_format(ev.at, ts, sizeof(ts)), "type", ev.type, "customer_id",
                             ev.customer_id ? json_integer(ev.customer_id) : json_null(),
                             "subject", ev.subject[0] ? ev.subject : NULL, "subject_id",
                             ev.subject_id ? json_integer(ev.subject_id) : json_null(), "data",
                             ev.data));
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    char cur[32];
    snprintf(cur, sizeof(cur), "%lld", (long long)lastid);
    *out = json_pack("{s:o,s:s?}", "items", items, "next_cursor", n > limit ? cur : NULL);
    return 0;
}
