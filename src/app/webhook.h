/*
 * Outgoing webhooks of the rules engine: calls are queued in the run's
 * transaction and delivered afterwards (never holding the write lock), as
 * JSON POSTs signed X-Relatio-Signature: sha256=<hex HMAC-SHA256 of the body
 * with the rule's secret>, with a timeout, and retried with exponential
 * back-off (30 s, 1, 2, 4 min) up to WEBHOOK_MAX_ATTEMPTS, every attempt
 * recorded.
 */
#ifndef APP_WEBHOOK_H
#define APP_WEBHOOK_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"

#define WEBHOOK_MAX_ATTEMPTS 5
#define WEBHOOK_TIMEOUT_MS 5000

/* Queues one call (inside the caller's transaction). url must be http(s).
 * *id (may be NULL) gets the delivery id. */
int webhook_enqueue(struct ctx *c, int64_t rule_id, int64_t run_id, int64_t customer_id,
                    const char *url, const char *body, int64_t *id);

/* Sends up to max deliveries due at time_now(), each outside any
 * transaction, and records the outcome. *sent (may be NULL) gets the number
 * delivered now. */
int webhook_deliver_due(struct ctx *c, int max, int *sent);

/* hex gets the lower-case hex HMAC-SHA256 of body under secret (65 bytes). */
void webhook_sign(const char *secret, const char *body, size_t len, char hex[65]);

/* Deliveries of a rule (0: all), newest first, keyset on id. */
int webhook_list(struct ctx *c, int64_t rule_id, int64_t before_id, int limit, json_t **out);

#endif
