/* Background jobs (see jobs.h). */
#include "app/jobs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/timeu.h"

#define MAX_JOBS 64

struct job {
    int64_t id, user_id;
    char kind[32];
    int state; /* 0 free, 1 running, 2 done, 3 failed */
    char stage[96];
    double frac;
    json_t *result;
    struct err err;
    int64_t started, finished;
    pthread_t thread;
    int joinable;
    /* the work */
    struct app *app;
    struct actor actor;
    job_fn fn;
    void *arg;
    void (*free_arg)(void *);
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct job jobs[MAX_JOBS];
static int64_t next_id = 1;

static void progress(const char *stage, double frac, void *arg)
{
    struct job *j = arg;
    pthread_mutex_lock(&lock);
    snprintf(j->stage, sizeof(j->stage), "%s", stage ? stage : "");
    if (frac >= 0)
        j->frac = frac;
    pthread_mutex_unlock(&lock);
}

static void *run(void *arg)
{
    struct job *j = arg;
    struct ctx c;
    json_t *result = NULL;
    int rc = ctx_init(&c, j->app, &j->actor);
    if (!rc)
        rc = j->fn(&c, j->arg, progress, j, &result);
    if (j->free_arg)
        j->free_arg(j->arg);
    pthread_mutex_lock(&lock);
    j->result = result;
    j->state = rc ? 3 : 2;
    j->frac = 1.0;
    j->err = c.err;
    j->finished = time_now();
    pthread_mutex_unlock(&lock);
    if (rc)
        log_warn("job %lld (%s) failed: %s", (long long)j->id, j->kind, c.err.msg);
    return NULL;
}

/* A slot: a free one, or the oldest finished one (joined and cleared). */
static struct job *slot(void)
{
    struct job *best = NULL;
    for (int i = 0; i < MAX_JOBS; i++) {
        if (jobs[i].state == 0)
            return &jobs[i];
        if (jobs[i].state >= 2 && (!best || jobs[i].finished < best->finished))
            best = &jobs[i];
    }
    if (best) {
        if (best->joinable)
            pthread_join(best->thread, NULL);
        json_decref(best->result);
        memset(best, 0, sizeof(*best));
    }
    return best;
}

int job_start(struct app *a, const struct actor *actor, const char *kind, job_fn fn, void *arg,
              void (*free_arg)(void *), int64_t *id, struct err *e)
{
    pthread_mutex_lock(&lock);
    struct job *j = slot();
    if (!j) {
        pthread_mutex_unlock(&lock);
        if (free_arg)
            free_arg(arg);
        return err_set(e, ERR_THROTTLED, "", "%d jobs are running; try again later", MAX_JOBS);
    }
    *j = (struct job){.id = next_id++, .state = 1, .app = a, .fn = fn, .arg = arg,
                      .free_arg = free_arg, .started = time_now()};
    if (actor)
        j->actor = *actor;
    j->user_id = actor ? actor->user_id : 0;
    snprintf(j->kind, sizeof(j->kind), "%s", kind);
    snprintf(j->stage, sizeof(j->stage), "queued");
    if (pthread_create(&j->thread, NULL, run, j) != 0) {
        memset(j, 0, sizeof(*j));
        pthread_mutex_unlock(&lock);
        if (free_arg)
            free_arg(arg);
        return err_set(e, ERR_UNAVAILABLE, "", "cannot start a thread");
    }
    j->joinable = 1;
    *id = j->id;
    pthread_mutex_unlock(&lock);
    return 0;
}

int job_get(int64_t id, int64_t user_id, json_t **out, struct err *e)
{
    static const char *const states[] = {"", "running", "done", "failed"};
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_JOBS; i++) {
        struct job *j = &jobs[i];
        if (j->state == 0 || j->id != id || (user_id && j->user_id != user_id))
            continue;
        char ts[TIME_BUF];
        *out = json_pack("{s:I,s:s,s:s,s:s,s:f,s:s,s:O?}", "id", (json_int_t)j->id, "kind",
                         j->kind, "state", states[j->state], "stage", j->stage, "progress",
                         j->frac, "started_at", time_format(j->started, ts, sizeof(ts)), "result",
                         j->result);
        if (j->state == 3)
            json_object_set_new(*out, "error",
                                json_pack("{s:s,s:s,s:s}", "type", err_kind_name(j->err.kind),
                                          "field", j->err.field, "detail", j->err.msg));
        pthread_mutex_unlock(&lock);
        return 0;
    }
    pthread_mutex_unlock(&lock);
    return err_set(e, ERR_NOTFOUND, "id", "no job %lld", (long long)id);
}

void jobs_finish(void)
{
    for (int i = 0; i < MAX_JOBS; i++) {
        pthread_mutex_lock(&lock);
        int joinable = jobs[i].joinable;
        pthread_t t = jobs[i].thread;
        jobs[i].joinable = 0;
        pthread_mutex_unlock(&lock);
        if (joinable)
            pthread_join(t, NULL);
        pthread_mutex_lock(&lock);
        json_decref(jobs[i].result);
        memset(&jobs[i], 0, sizeof(jobs[i]));
        pthread_mutex_unlock(&lock);
    }
}
