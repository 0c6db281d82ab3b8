/*
 * Newsletters with double opt-in: a subscription starts pending and a
 * confirmation e-mail with a signed one-time link goes out through the send
 * queue; following the link confirms it and records the consent (e-mail,
 * purpose "newsletter") with its proof in the ledger. An issue is a campaign
 * with newsletter_id: its audience is the confirmed subscribers.
 */
#ifndef APP_NEWSLETTERS_H
#define APP_NEWSLETTERS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

extern const struct field newsletter_fields[];
extern const struct field newsletter_subscribe_fields[];

int newsletter_create(struct ctx *c, const json_t *in, json_t **out);
/* {"items":[{id, name, description, pending, confirmed, unsubscribed}]} */
int newsletter_list(struct ctx *c, json_t **out);
/* Starts a pending subscription of in.customer_id and queues the
 * confirmation e-mail. ERR_INVALID (customer_id) without an e-mail address;
 * an already confirmed subscriber is answered as is. */
int newsletter_subscribe(struct ctx *c, int64_t id, const json_t *in, json_t **out);
/* Follows a confirmation link: ERR_FORBIDDEN forged, ERR_CONFLICT replayed. */
int newsletter_confirm(struct ctx *c, const char *token, json_t **out);

#endif
