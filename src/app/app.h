/*
 * The application context shared by the HTTP and CLI layers: configuration,
 * one store connection per thread, and the per-call context (who acts, the
 * error of the call). Services take a struct ctx and return 0 or a negative
 * error kind with ctx->err filled.
 */
#ifndef APP_APP_H
#define APP_APP_H
#include <pthread.h>
#include <stdint.h>

#include "util/err.h"

struct store;
struct snapshot;

/* Roles are bits so routes can allow several. */
enum role {
    ROLE_ANALYST = 1 << 0,   /* read-only */
    ROLE_SUPPORT = 1 << 1,   /* service desk */
    ROLE_MARKETING = 1 << 2, /* campaigns, segments */
    ROLE_SALES = 1 << 3,     /* pipeline, own customers */
    ROLE_MANAGER = 1 << 4,   /* a team's lead */
    ROLE_ADMIN = 1 << 5,     /* everything, users */
    ROLE_SYSTEM = 1 << 6,    /* the CLI and scheduled jobs */
};
#define ROLES_STAFF                                                                                \
    (ROLE_ANALYST | ROLE_SUPPORT | ROLE_MARKETING | ROLE_SALES | ROLE_MANAGER | ROLE_ADMIN |       \
     ROLE_SYSTEM)
#define ROLES_WRITE                                                                                \
    (ROLE_SUPPORT | ROLE_MARKETING | ROLE_SALES | ROLE_MANAGER | ROLE_ADMIN | ROLE_SYSTEM)
#define ROLES_ADMIN (ROLE_ADMIN | ROLE_SYSTEM)

/* "admin" → ROLE_ADMIN; 0 when unknown. */
int role_from_name(const char *name);
const char *role_name(int role);

struct config {
    int inactive_after_days; /* no transaction for this long: inactive (365) */
    int lost_after_days;     /* no transaction for this long: former (730) */
    int new_within_days;     /* first transaction this recent: new (90) */
    char default_country[3]; /* for national phone numbers and postal codes */
    char default_currency[4];
};

struct app {
    char db_url[1024];
    struct config cfg;
    pthread_key_t store_key; /* this thread's struct store */
    pthread_mutex_t lock;
    struct store **stores; /* every connection opened, closed at release */
    int nstores, cap_stores;
    struct snapshot *snap; /* analytics column snapshot (app/snapshot.h), lazy */
};

/* Who is acting: a signed-in user, an API token's user, or the system. */
struct actor {
    int64_t user_id; /* 0 for the system */
    int role;        /* one enum role bit */
    char email[128];
    char team[64];
};

struct ctx {
    struct app *app;
    struct store *st;
    struct actor actor;
    struct err err;
};

/* Opens the database once (migrating it), loads the configuration. */
int app_init(struct app *a, const char *db_url, struct err *e);
/* Closes every connection. */
void app_release(struct app *a);
/* This thread's connection, opened on first use. NULL with e set on failure. */
struct store *app_store(struct app *a, struct err *e);
/* A context for one call by actor (NULL: the system) on this thread. */
int ctx_init(struct ctx *c, struct app *a, const struct actor *actor);

/* Brackets a read-only call (a GET) in one read transaction. */
int ctx_begin_read(struct ctx *c);
void ctx_end_read(struct ctx *c);

/* Shorthand used by services: fill c->err and return the kind. */
#define fail(c, kind, field, ...) err_set(&(c)->err, (kind), (field), __VA_ARGS__)

#endif
