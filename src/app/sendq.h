/*
 * The send queue worker: takes due messages from the persistent queue
 * (send_queue), re-checks consent and suppression, sends them over SMTP or
 * the SMS gateway with throttling, and records the outcome — sent, bounced
 * (the address is suppressed), or retried with exponential back-off until
 * max_attempts, then failed. It also launches scheduled campaigns when due.
 *
 * Delivery is at-least-once with an idempotency key: a message is claimed
 * (committed) before it is sent and marked after. A worker that dies between
 * the server's acceptance and the mark leaves a claim behind; the next
 * worker re-sends it (the server may then hold two copies of that one
 * message, with the same Message-ID derived from the key, which receivers
 * use to drop the duplicate). The other choice, at-most-once, would lose
 * those messages; SMTP offers no way to ask whether one arrived.
 */
#ifndef APP_SENDQ_H
#define APP_SENDQ_H
#include <pthread.h>
#include <stdint.h>

#include "app/app.h"

struct sendq_stats {
    int64_t sent, bounced, retried, failed, cancelled, reclaimed;
};

/* One pass: launches due campaigns, takes back the claims of dead workers,
 * claims up to batch due messages and sends them. *processed (may be NULL)
 * gets the number of messages handled. */
int sendq_tick(struct ctx *c, int batch, struct sendq_stats *st, int *processed);

/* Runs passes until nothing is due (or max_seconds of wall time passed). */
int sendq_drain(struct ctx *c, int max_seconds, struct sendq_stats *st);

/* A background worker thread of the server. */
struct sendq_worker {
    struct app *app;
    pthread_t thread;
    volatile int stop;
    int running;
};
/* Starts the worker (not when RELATIO_SENDQ=off). */
int sendq_start(struct sendq_worker *w, struct app *a);
/* Asks it to stop after the message in flight and joins it. */
void sendq_stop(struct sendq_worker *w);

#endif
