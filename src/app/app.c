/* Application context: configuration and per-thread store connections. */
#include "app/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/snapshot.h"
#include "store/store.h"

static const char *const role_names[] = {"analyst", "support", "marketing", "sales",
                                         "manager", "admin",   "system"};

int role_from_name(const char *name)
{
    for (int i = 0; name && i < 7; i++)
        if (strcmp(name, role_names[i]) == 0)
            return 1 << i;
    return 0;
}

const char *role_name(int role)
{
    for (int i = 0; i < 7; i++)
        if (role == 1 << i)
            return role_names[i];
    return "none";
}

static void load_config(struct app *a, struct store *st)
{
    struct config *c = &a->cfg;
    c->inactive_after_days = 365;
    c->lost_after_days = 730;
    c->new_within_days = 90;
    snprintf(c->default_country, sizeof(c->default_country), "FR");
    snprintf(c->default_currency, sizeof(c->default_currency), "EUR");
    struct stmt *s = NULL;
    if (store_query(st, &s, NULL, "SELECT key, value FROM settings", ""))
        return;
    while (stmt_step(s, NULL) == 1) {
        const char *k = stmt_text(s, 0), *v = stmt_text(s, 1);
        if (!k || !v)
            continue;
        if (!strcmp(k, "inactive_after_days"))
            c->inactive_after_days = (int)strtol(v, NULL, 10);
        else if (!strcmp(k, "lost_after_days"))
            c->lost_after_days = (int)strtol(v, NULL, 10);
        else if (!strcmp(k, "new_within_days"))
            c->new_within_days = (int)strtol(v, NULL, 10);
        else if (!strcmp(k, "default_country") && strlen(v) == 2)
            snprintf(c->default_country, sizeof(c->default_country), "%s", v);
        else if (!strcmp(k, "default_currency") && strlen(v) == 3)
            snprintf(c->default_currency, sizeof(c->default_currency), "%s", v);
    }
    stmt_done(s);
}

int app_init(struct app *a, const char *db_url, struct err *e)
{
    memset(a, 0, sizeof(*a));
    if (strlen(db_url) >= sizeof(a->db_url))
        return err_set(e, ERR_INVALID, "db", "database name too long");
    snprintf(a->db_url, sizeof(a->db_url), "%s", db_url);
    pthread_key_create(&a->store_key, NULL);
    pthread_mutex_init(&a->lock, NULL);
    struct store *st = app_store(a, e);
    if (!st) {
        app_release(a);
        return e ? e->kind : ERR_INTERNAL;
    }
    load_config(a, st);
    return 0;
}

void app_release(struct app *a)
{
    snapshot_free(a->snap);
    a->snap = NULL;
    for (int i = 0; i < a->nstores; i++)
        store_close(a->stores[i]);
    free(a->stores);
    a->stores = NULL;
    a->nstores = a->cap_stores = 0;
    pthread_key_delete(a->store_key);
    pthread_mutex_destroy(&a->lock);
}

struct store *app_store(struct app *a, struct err *e)
{
    struct store *st = pthread_getspecific(a->store_key);
    if (st)
        return st;
    if (store_open(&st, a->db_url, e))
        return NULL;
    pthread_mutex_lock(&a->lock);
    if (a->nstores == a->cap_stores) {
        int cap = a->cap_stores ? a->cap_stores * 2 : 8;
        struct store **n = realloc(a->stores, (size_t)cap * sizeof(*n));
        if (!n) {
            pthread_mutex_unlock(&a->lock);
            store_close(st);
            err_set(e, ERR_INTERNAL, "", "out of memory");
            return NULL;
        }
        a->stores = n;
        a->cap_stores = cap;
    }
    a->stores[a->nstores++] = st;
    pthread_mutex_unlock(&a->lock);
    pthread_setspecific(a->store_key, st);
    return st;
}

int ctx_init(struct ctx *c, struct app *a, const struct actor *actor)
{
    memset(c, 0, sizeof(*c));
    c->app = a;
    if (actor) {
        c->actor = *actor;
    } else {
        c->actor.role = ROLE_SYSTEM;
        snprintf(c->actor.email, sizeof(c->actor.email), "system");
    }
    c->st = app_store(a, &c->err);
    return c->st ? 0 : c->err.kind;
}

int ctx_begin_read(struct ctx *c)
{
    return store_begin_read(c->st, &c->err);
}

void ctx_end_read(struct ctx *c)
{
    store_end_read(c->st);
}
