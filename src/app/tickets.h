/*
 * The service desk: tickets (complaint, assistance request, support,
 * information request) with channel, priority and a status workflow, teams
 * with manual or round-robin assignment, a conversation of replies and
 * internal notes, SLA policies with a business-hours calendar, breach
 * detection and escalation. Due times are computed when a ticket changes
 * state and kept indexed, so the breach sweep is an index range scan.
 *
 * Events emitted (data keys): ticket.opened {kind, priority, channel, team_id},
 * ticket.replied {message_id, internal}, ticket.resolved {kind, priority,
 * customer_id}, sla.breached {target: "first_response"|"resolution", due_at}.
 */
#ifndef APP_TICKETS_H
#define APP_TICKETS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

#define TICKET_KINDS "complaint|assistance|support|information"
#define TICKET_PRIORITIES "low|normal|high|urgent"
#define TICKET_STATUSES "new|open|waiting|resolved|closed"
#define TICKET_CHANNELS "email|phone|web|chat|portal|store|mail|social|sms"

extern const struct field ticket_fields[];
extern const struct field ticket_update_fields[];
extern const struct field ticket_message_fields[];
extern const struct field team_fields[];
extern const struct field sla_policy_fields[];
extern const struct field sla_calendar_fields[];

/* Opens a ticket from the JSON of POST /api/v1/tickets: customer_id (or
 * email, which finds the customer), kind, subject, body, channel, priority,
 * team_id, assignee_id, email_message_id (threading). Assigns by the team's
 * round-robin when the team says so, computes the SLA due times and emits
 * ticket.opened, all in one transaction. *out (caller owns) gets the ticket. */
int ticket_create(struct ctx *c, const json_t *in, json_t **out);
/* A ticket with its SLA state; with_messages adds the conversation. */
int ticket_get(struct ctx *c, int64_t id, int with_messages, json_t **out);
/* Queue: filters (NULL/0 = any) status, team, assignee, customer, breached
 * (1 only breached), ordered by the nearest SLA due time, keyset cursor. */
struct ticket_filter {
    const char *status;
    const char *kind;
    int64_t team_id, assignee_id, customer_id;
    int breached;
    const char *cursor;
    int limit;
};
int ticket_list(struct ctx *c, const struct ticket_filter *f, json_t **out);
/* Changes status (workflow checked: ERR_CONFLICT naming "status" when the
 * transition is illegal), priority, team, assignee. Recomputes due times;
 * waiting pauses the clock, leaving waiting resumes it. */
int ticket_update(struct ctx *c, int64_t id, const json_t *in, json_t **out);
/* Adds a reply (sent to the customer by e-mail when the ticket came by
 * e-mail or the customer has an address, unless internal) or an internal
 * note. The first public reply stops the first-response clock. */
int ticket_reply(struct ctx *c, int64_t id, const json_t *in, json_t **out);

/* Records an inbound e-mail: threads it onto the ticket whose messages
 * carry one of its In-Reply-To / References ids, else opens a ticket.
 * Duplicate Message-IDs are ignored (*ticket_id gets the existing one). */
struct inbound_mail {
    const char *message_id, *in_reply_to, *references, *subject, *from_addr, *from_name, *body;
};
int ticket_from_mail(struct ctx *c, const struct inbound_mail *m, int64_t *ticket_id, int *created);

/* The support mailbox from the environment: RELATIO_IMAP_URL
 * ("imap://host:port/INBOX"), RELATIO_IMAP_USER, RELATIO_IMAP_PASSWORD.
 * ERR_UNAVAILABLE when no mailbox is configured. */
struct imap_config;
int ticket_mail_config(struct imap_config *cfg, struct err *e);
/* Imports the mailbox's new messages (UIDs above the stored high-water
 * mark) with ticket_from_mail, moving the mark in the same transaction as
 * each message. *out gets {"fetched","created","threaded","duplicates",
 * "skipped","last_uid"}. cfg NULL: ticket_mail_config's. */
int ticket_mail_fetch(struct ctx *c, const struct imap_config *cfg, json_t **out);

/* Teams and assignment. */
int team_create(struct ctx *c, const json_t *in, json_t **out);
int team_list(struct ctx *c, json_t **out);
int team_add_member(struct ctx *c, int64_t team_id, int64_t user_id, json_t **out);

/* Marks tickets whose first-response or resolution due time has passed as
 * breached (once each), escalates them (priority up one step, the team's
 * escalation team) and emits sla.breached. *n gets the number of breaches. */
int sla_sweep(struct ctx *c, int64_t *n);

/* The server's background work for the service desk: an SLA sweep every
 * RELATIO_SLA_SWEEP_SECONDS (default 60; 0 turns it off) and, when
 * RELATIO_IMAP_URL is set, a mail fetch every RELATIO_MAIL_POLL_SECONDS
 * (default 60; 0: off). The first run comes one period after the start.
 * start returns 0 when the thread runs (nothing to do is not an error: -1);
 * stop wakes it and joins it. */
int service_scheduler_start(struct app *a);
void service_scheduler_stop(void);

/* Demo data (service_demo.c): calendar, policies, teams, knowledge-base
 * articles in fr/en, and a few tickets on the first customers. Does nothing
 * when there are too few customers. */
int service_demo_seed(struct ctx *c);

#endif
