/*
 * The rules engine: reads the event log forward (consumer "rules"), matches
 * enabled rules (trigger, counts in a window, conditions), starts one run
 * per customer, rule and window (a unique key: each action at most once),
 * executes its steps, parks it on wait steps and resumes it when due, finds
 * absences and scheduled audiences, and delivers webhooks. Time is
 * time_now(), so RELATIO_NOW drives waits and windows in tests.
 */
#ifndef APP_RULES_ENGINE_H
#define APP_RULES_ENGINE_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"

struct rules_stats {
    int events;     /* events read from the log */
    int runs;       /* runs started */
    int actions;    /* actions done */
    int failed;     /* actions that failed (recorded, not retried) */
    int resumed;    /* waiting runs resumed */
    int stopped;    /* runs stopped by a wait's "unless" event */
    int cut;        /* runs cut by the depth limit */
    int deliveries; /* webhooks delivered */
    int emails;     /* e-mails accepted by the SMTP server */
};

/* Handles every event not yet read (batches of batch events). */
int rules_consume(struct ctx *c, int batch, struct rules_stats *st);

/* One pass of everything: events, due waits, then (when scheduled) absence
 * and schedule triggers, then due webhooks. What `relatio rules run` and
 * POST /api/v1/rules/run do, and what the server's scheduler repeats. */
int rules_tick(struct ctx *c, int scheduled, struct rules_stats *st);

/* The firing log: actions of runs, newest first; rule_id / customer_id 0
 * for all. {"items":[…],"next_cursor":…}. */
int rules_firings(struct ctx *c, int64_t rule_id, int64_t customer_id, int64_t before_id, int limit,
                  json_t **out);

/* The server's background scheduler: a thread ticking every interval_ms
 * (scheduled triggers every minute) until rules_scheduler_stop. */
int rules_scheduler_start(struct app *a, int interval_ms);
void rules_scheduler_stop(void);

/* {"events":…,"runs":…,…} of a stats struct. */
json_t *rules_stats_json(const struct rules_stats *st);

#endif
