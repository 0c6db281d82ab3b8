/*
 * The e-mails of rule actions: queued in the run's transaction (after the
 * consent check) and sent afterwards over SMTP (channels/smtp.h) to
 * RELATIO_SMTP_URL from RELATIO_MAIL_FROM, retried with back-off; never
 * sent while no SMTP server is configured (they wait).
 */
#ifndef APP_RULE_MAIL_H
#define APP_RULE_MAIL_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"

#define RULE_MAIL_MAX_ATTEMPTS 5

/* Queues a message to to (inside the caller's transaction). */
int rule_mail_enqueue(struct ctx *c, int64_t rule_id, int64_t run_id, int64_t customer_id,
                      const char *to, const char *subject, const char *body, int64_t *id);

/* Sends up to max messages due at time_now(); *sent (may be NULL) gets how
 * many the SMTP server accepted. */
int rule_mail_send_due(struct ctx *c, int max, int *sent);

/* Messages of a customer (0: all), newest first. */
int rule_mail_list(struct ctx *c, int64_t customer_id, int limit, json_t **out);

#endif
