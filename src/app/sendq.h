/*
 * The send queue worker: takes due messages from the persistent queue
 * (send_queue), re-checks consent and suppression, sends them over SMTP or
 * the SMS gateway with throttling, and records the outcome — sent, bounced
 * (the address is suppressed), or retried with exponential back-off until
 * max_attempts, then failed. It also launches scheduled campaigns when due.
 *
 * Delivery after a crash. Messages are claimed in batches (committed), and
 * each one's attempt is recorded (sending_at, committed) just before it is
 * handed to the SMTP server or the SMS gateway; the outcome is committed
 * after. When a worker dies, its claims are taken back:
 *   - a claim never tried goes back to the queue: it cannot have been sent;
 *   - the one message whose attempt had begun is "in doubt" (the server may
 *     have accepted it just before the crash, SMTP cannot be asked) and
 *     follows the campaign setting in_doubt:
 *       resend (default): sent again with the same Message-ID (and the same
 *         idempotency key for the SMS gateway): never lost, at most one extra
 *         copy of that message per crash, which receivers drop by its id;
 *       check: delivery_check_url is asked (GET ?message_id=<id>): 200 →
 *         recorded as sent, 404 → sent again, anything else → asked again at
 *         the next pass: never lost, never twice (as good as the check);
 *       hold: recorded as failed, not sent again: never twice, possibly lost.
 * So at most one message per dead worker is ever in doubt.
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
