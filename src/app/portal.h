/*
 * The customer portal (seed 004, self-care): customers' own accounts, apart
 * from staff users (argon2id passwords, single-use e-mailed sign-in links,
 * sessions with their own CSRF token), and the services a signed-in customer
 * calls. Every function taking customer_id acts for that customer only:
 * anything belonging to another customer answers ERR_NOTFOUND, never data.
 */
#ifndef APP_PORTAL_H
#define APP_PORTAL_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

#define PORTAL_SESSION_TTL (7 * 86400)
#define PORTAL_LINK_TTL (15 * 60) /* an e-mailed sign-in link lives 15 minutes */
#define PORTAL_LINKS_PER_HOUR 5   /* links mailed to one customer in an hour */
#define PORTAL_MAX_FAILURES 5     /* bad passwords in a row before a lock */
#define PORTAL_LOCK_SECONDS (15 * 60)

extern const struct field portal_profile_fields[];
extern const struct field portal_consent_fields[];
extern const struct field portal_callback_fields[];
extern const struct field portal_ticket_fields[];
extern const struct field portal_reply_fields[];
extern const struct field portal_erasure_fields[];

/* Sends a sign-in link to email when it belongs to a customer (creating the
 * portal account on first use): a single-use token valid PORTAL_LINK_TTL,
 * mailed with smtp_send (RELATIO_SMTP_URL) as base_url + "#/portal/link/" +
 * token. Unknown addresses do nothing and answer the same (no account
 * enumeration), and so do requests over PORTAL_LINKS_PER_HOUR.
 * ERR_UNAVAILABLE when the mail server refuses or is not configured. */
int portal_link_request(struct ctx *c, const char *email, const char *base_url);
/* Redeems a link token once: opens a session. session and csrf get 64 hex
 * characters; *customer_id gets who. ERR_UNAUTH when unknown, used or
 * expired. */
int portal_link_redeem(struct ctx *c, const char *token, char session[65], char csrf[65],
                       int64_t *customer_id);
/* Password sign-in; PORTAL_MAX_FAILURES wrong passwords lock the account for
 * PORTAL_LOCK_SECONDS (ERR_THROTTLED). ERR_UNAUTH on bad credentials. */
int portal_login(struct ctx *c, const char *email, const char *password, char session[65],
                 char csrf[65], int64_t *customer_id);
/* Resolves a session cookie: *customer_id and its CSRF token. ERR_UNAUTH. */
int portal_session(struct ctx *c, const char *session, int64_t *customer_id, char csrf[65]);
int portal_logout(struct ctx *c, const char *session);
/* Sets the account's password (at least 8 characters). */
int portal_set_password(struct ctx *c, int64_t customer_id, const char *password);

/* The customer's own profile, preferences and interests. */
int portal_me(struct ctx *c, int64_t customer_id, json_t **out);
/* Changes what a customer may change themselves (portal_profile_fields);
 * audited with the customer as the actor. */
int portal_update_me(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out);
/* Asks to be called back (optional "at" and "note"): sets
 * callback_requested_at, logs an inbound web interaction and emits
 * callback.requested {note}. */
int portal_callback(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out);
/* Grants or withdraws a consent (channel, purpose, granted), source portal. */
int portal_consent(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out);

/* One of the customer's orders with its lines. */
int portal_order(struct ctx *c, int64_t customer_id, int64_t order_id, json_t **out);
/* One of the customer's tickets with its public conversation (internal
 * notes removed). */
int portal_ticket(struct ctx *c, int64_t customer_id, int64_t ticket_id, json_t **out);
/* Opens a ticket (kind, subject, body) on the portal channel. */
int portal_ticket_open(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out);
/* The customer's reply on their ticket ({"body"}); reopens it when it was
 * waiting or resolved. ERR_CONFLICT on a closed ticket. */
int portal_ticket_reply(struct ctx *c, int64_t customer_id, int64_t ticket_id, const json_t *in,
                        json_t **out);

/* Everything relatio holds about the customer, as one JSON document (the
 * right of access and portability). */
int portal_export(struct ctx *c, int64_t customer_id, json_t **out);
/* Files an erasure request ({"note"}) for the data protection officer;
 * emits gdpr.erasure_requested; a second open request is ERR_EXISTS. */
int portal_erasure_request(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out);

#endif
