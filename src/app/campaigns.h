/*
 * Campaigns over real channels (e-mail, SMS, postal mail, phone): audience
 * from a segment, a newsletter's subscribers or an explicit list; the
 * pre-send checks of app/eligibility.h for every recipient, with the reason
 * of each exclusion kept; a seeded control group; personalisation with the
 * template language (channels/template.h) in the customer's language;
 * messages into the persistent send queue (app/sendq.h); signed one-time
 * links (unsubscribe, newsletter confirmation), tracked clicks and opens;
 * results with uplift over the control group, cost and ROI.
 */
#ifndef APP_CAMPAIGNS_H
#define APP_CAMPAIGNS_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

extern const struct field campaign_fields[];
extern const struct field campaign_test_fields[];
extern const struct field campaign_settings_fields[];
extern const struct field source_terms_fields[];
extern const struct field suppression_fields[];

/* Channel settings, from the settings table (keys "campaign.<name>"), with
 * RELATIO_SMTP_URL and RELATIO_PUBLIC_URL as defaults. */
struct campaign_settings {
    char smtp_url[256], smtp_user[128], smtp_password[128], from[256];
    char sms_url[512], sms_template[1024], sms_content_type[100], sms_from[32];
    char public_url[256]; /* base of links in messages */
    int pressure_max;     /* messages per window per customer, all channels (2) */
    int pressure_days;    /* the window (7) */
    int quiet_start;      /* minutes of the day UTC, -1 none (21:00) */
    int quiet_end;        /* (08:00) */
    int rate_per_sec;     /* sending throttle, 0 unthrottled (50) */
    int max_attempts;     /* before a message is failed (5) */
    int backoff_s;        /* first retry delay, doubled each time (30) */
    int timeout_ms;       /* per SMTP / gateway call (10000) */
    /* a message whose worker died during its attempt (outcome unknown):
     * "resend" it with the same Message-ID (at-least-once, default),
     * "check" check_url first (re-sent only when not delivered), or
     * "hold" it as failed (at-most-once) */
    char in_doubt[8];
    char check_url[256]; /* GET ?message_id=…: 200 delivered, 404 not */
};
int campaign_settings_load(struct ctx *c, struct campaign_settings *s);
int campaign_settings_get(struct ctx *c, json_t **out);
int campaign_settings_set(struct ctx *c, const json_t *in, json_t **out);

/* CRUD. Templates are parsed and checked at create and update (ERR_INVALID
 * naming the template field, "line L, column C: …"). Only drafts and
 * scheduled campaigns change. */
int campaign_create(struct ctx *c, const json_t *in, json_t **out);
int campaign_update(struct ctx *c, int64_t id, const json_t *in, json_t **out);
int campaign_get(struct ctx *c, int64_t id, json_t **out);
int campaign_list(struct ctx *c, int64_t after, int limit, json_t **out);

/* Dry run: the audience with the count per exclusion reason, the control
 * group and the messages that would go, plus up to 5 rendered samples. */
int campaign_preview(struct ctx *c, int64_t id, json_t **out);

/* Queues one test message of the campaign to an address (e-mail or phone),
 * rendered for customer_id (or sample data), marked [TEST]; no checks and no
 * effect on results. */
int campaign_test_send(struct ctx *c, int64_t id, const json_t *in, json_t **out);

/* Launches now, or schedules when scheduled_at is in the future (the send
 * queue worker launches it when due). Every audience member gets a
 * recipient row: queued, control or excluded with its reason. ERR_CONFLICT
 * unless draft (or scheduled and due). */
int campaign_launch(struct ctx *c, int64_t id, json_t **out);
/* Launches the scheduled campaigns that are due; *n gets how many. */
int campaign_launch_due(struct ctx *c, int *n);
/* Cancels: pending messages are not sent. */
int campaign_cancel(struct ctx *c, int64_t id, json_t **out);

/* Delivered, bounced, opened, clicked, converted, revenue for the treated
 * group and the control group, uplift, cost and ROI, exclusions by reason. */
int campaign_results(struct ctx *c, int64_t id, json_t **out);
/* Recipients with their status and reason (status filter may be NULL). */
int campaign_recipients(struct ctx *c, int64_t id, const char *status, int64_t after, int limit,
                        json_t **out);
/* Postal mail: kind "labels" (CSV of address labels) or "letters" (CSV with
 * one personalised letter text per recipient). *csv malloc'd. */
int campaign_export(struct ctx *c, int64_t id, const char *kind, char **csv, size_t *len);
/* Phone: the call list (recipients with phone and task ids). */
int campaign_call_list(struct ctx *c, int64_t id, json_t **out);

/* Signed links. kind is one letter ('u' unsubscribe, 'o' open, 'c' click,
 * 'n' newsletter confirmation); a and b two ids; extra (may be NULL) is
 * covered by the signature too (the click's target URL). out gets
 * "k.a.b.sig" (HMAC-SHA256 with the server secret, truncated to 128 bits). */
int link_sign(struct ctx *c, char kind, int64_t a, int64_t b, const char *extra, char *out,
              size_t len);
/* Checks a token: ERR_FORBIDDEN when forged or of another kind. */
int link_verify(struct ctx *c, const char *token, char kind, const char *extra, int64_t *a,
                int64_t *b);
/* Marks a one-time token used: ERR_CONFLICT when it already was (replay).
 * Inside the caller's transaction. */
int link_use_once(struct ctx *c, const char *token);

/* Public link actions. Unsubscribe (one time) withdraws consent for the
 * campaign's channel and purpose (and the newsletter subscription). */
int link_unsubscribe(struct ctx *c, const char *token, json_t **out);
/* Records an open when the customer allows tracking. */
int link_open(struct ctx *c, const char *token);
/* Records a click; *dest (malloc'd) gets the target. */
int link_click(struct ctx *c, const char *token, const char *url, char **dest);

/* Suppression list and rented-file terms. */
int suppression_add(struct ctx *c, const json_t *in, json_t **out);
int suppression_list(struct ctx *c, const char *channel, int limit, json_t **out);
int source_list(struct ctx *c, json_t **out);
int source_set_terms(struct ctx *c, int64_t id, const json_t *in, json_t **out);

/* Queues one e-mail outside campaigns (newsletter confirmation): the
 * idempotency key makes a second call with the same key a no-op. */
int campaign_queue_email(struct ctx *c, const char *idem_key, int64_t customer_id, const char *to,
                         const char *subject, const char *text, const char *html);

#endif
