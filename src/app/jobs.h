/*
 * Background jobs for long requests (an import sent through the API): run
 * on their own thread with their own store connection, with a progress
 * that GET /api/v1/jobs/{id} reads while they run and a result once done.
 * Jobs live in memory: a restart forgets finished ones (the data they wrote
 * is in the database).
 */
#ifndef APP_JOBS_H
#define APP_JOBS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"

typedef void (*job_progress_fn)(const char *stage, double frac, void *arg);

/* The work: fills *result (may stay NULL) and returns 0 or an error kind
 * with c->err set. progress(stage, frac, parg) may be called any time. */
typedef int (*job_fn)(struct ctx *c, void *arg, job_progress_fn progress, void *parg,
                      json_t **result);

/* Starts fn(arg) for actor on a new thread; free_arg(arg) runs when the job
 * ends. *id gets the job's id. ERR_THROTTLED when too many jobs run. */
int job_start(struct app *a, const struct actor *actor, const char *kind, job_fn fn, void *arg,
              void (*free_arg)(void *), int64_t *id, struct err *e);

/* {"id","kind","state":"running|done|failed","stage","progress","result",
 * "error"} of a job started by user_id (0: any). ERR_NOTFOUND otherwise. */
int job_get(int64_t id, int64_t user_id, json_t **out, struct err *e);

/* Waits for every running job (at shutdown) and forgets them all. */
void jobs_finish(void);

#endif
