/*
 * What happens with a customer: interactions on every channel (the 360°
 * history's touchpoints), the consent ledger and preferences, products,
 * orders with lines, contracts, and the merged timeline.
 */
#ifndef APP_ACTIVITY_H
#define APP_ACTIVITY_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

#define CHANNELS "web|email|phone|sms|mail|store|call_center|chat|social"

extern const struct field interaction_fields[];
extern const struct field consent_fields[];
extern const struct field product_fields[];
extern const struct field order_fields[];
extern const struct field contract_fields[];

/* Logs a touchpoint; outcome "offer_refused" with offer X records a refusal
 * that campaigns must respect on every channel. */
int interaction_create(struct ctx *c, const json_t *in, json_t **out);
/* Interactions of a customer, or all, newest first (keyset on id). */
int interaction_list(struct ctx *c, int64_t customer_id, const char *channel, int64_t after,
                     int limit, json_t **out);

/* Appends a consent decision for (channel, purpose); the current state is
 * the latest entry. */
int consent_record(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out);
/* Whole ledger of a customer, oldest first. */
int consent_history(struct ctx *c, int64_t customer_id, json_t **out);
/* 1 when the latest decision for (channel, purpose) grants it. */
int consent_granted(struct ctx *c, int64_t customer_id, const char *channel, const char *purpose);

int product_create(struct ctx *c, const json_t *in, json_t **out);
int product_get(struct ctx *c, int64_t id, json_t **out);
int product_list(struct ctx *c, const char *q, int64_t after, int limit, json_t **out);

/* Records an order with its lines and updates the customer's purchase
 * aggregates in the same transaction. A refund (kind "refund") lowers the
 * net revenue. Guests are created when customer_id is absent and
 * customer_external_id unknown. */
int order_create(struct ctx *c, const json_t *in, json_t **out);
/* Adds lines to an existing order (an invoice whose rows come back later in
 * a file): the total, the customer's aggregates and points follow. */
int order_add_lines(struct ctx *c, int64_t id, const json_t *lines);
/* Recomputes a customer's purchase aggregates (orders count, net revenue,
 * first and last purchase) from its orders, in the caller's transaction. */
int customer_refresh_aggregates(struct ctx *c, int64_t cid);
int order_get(struct ctx *c, int64_t id, json_t **out);
int order_list(struct ctx *c, int64_t customer_id, int64_t after, int limit, json_t **out);
/* Changes the status (cancel, refund…) and the aggregates with it. */
int order_set_status(struct ctx *c, int64_t id, const char *status, json_t **out);

int contract_create(struct ctx *c, const json_t *in, json_t **out);
/* Cancels (résiliation) a contract with a reason. */
int contract_cancel(struct ctx *c, int64_t id, const char *reason, json_t **out);
int contract_list(struct ctx *c, int64_t customer_id, json_t **out);

/* The 360° history: interactions, orders, consents, contracts (and, as the
 * sources table grows, tickets, deals, surveys, web events) in one list,
 * newest first. cursor is opaque ("at.kind.id"); channel and kind filter. */
int timeline_list(struct ctx *c, int64_t customer_id, const char *cursor, const char *channel,
                  const char *kind, int limit, json_t **out);

#endif
