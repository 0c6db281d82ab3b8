/*
 * The event log (an outbox): services append business events inside the
 * transaction of the change that caused them; consumers (the rules engine,
 * segment membership, webhooks) read them forward by id and remember where
 * they stopped, so an event is never lost after a crash.
 *
 * Event types are "<entity>.<verb>": order.placed, order.cancelled,
 * survey.answered, ticket.opened, ticket.resolved, interest.noted,
 * segment.entered, segment.left, page.viewed, ... Each emitter documents the
 * keys of its data object next to its call.
 */
#ifndef APP_EVENTS_H
#define APP_EVENTS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"

/* Appends one event at time_now() inside the caller's transaction.
 * customer_id 0: about no customer. subject may be NULL. data may be NULL
 * (an empty object) and is not consumed. *id (may be NULL) gets its id. */
int event_emit(struct ctx *c, const char *type, int64_t customer_id, const char *subject,
               int64_t subject_id, const json_t *data, int64_t *id);

/* One event as read back. data is owned by the caller (json_decref). */
struct event {
    int64_t id, at, customer_id, subject_id;
    char type[64];
    char subject[32];
    json_t *data;
};

/* Calls fn for up to limit events after consumer's cursor, in id order, then
 * moves the cursor past the last event fn accepted (fn returns 0; a negative
 * return stops the batch there and is returned). The cursor moves in the same
 * transaction as fn's writes, so each event is handled exactly once.
 * *handled (may be NULL) gets the number of events accepted. */
int events_consume(struct ctx *c, const char *consumer, int limit,
                   int (*fn)(struct ctx *c, const struct event *ev, void *arg), void *arg,
                   int *handled);

/* Lists events (customer_id 0: all; type NULL: all), newest first, keyset on
 * id: {"items":[...],"next_cursor":...}. */
int events_list(struct ctx *c, int64_t customer_id, const char *type, int64_t before_id, int limit,
                json_t **out);

#endif
