/* Record visibility per role (see visibility.h). */
#include "app/visibility.h"

#include <stdio.h>
#include <string.h>

#include "app/audit.h"
#include "store/store.h"

static const char *const scope_names[] = {"all", "team", "own"};
static const char *const roles[] = {"admin", "manager", "sales", "support", "marketing", "analyst",
                                    NULL};

static int scope_of(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (name && !strcmp(name, scope_names[i]))
            return i;
    return -1;
}

int visibility_scope(struct ctx *c)
{
    int role = c->actor.role;
    if (!role || role == ROLE_ADMIN || role == ROLE_SYSTEM || !c->actor.user_id)
        return VIS_ALL;
    char key[48];
    snprintf(key, sizeof(key), "visibility.%s", role_name(role));
    struct stmt *s = NULL;
    int scope = VIS_ALL;
    if (!store_query(c->st, &s, NULL, "SELECT value FROM settings WHERE key = ?", "s", key) &&
        stmt_step(s, NULL) == 1) {
        int v = scope_of(stmt_text(s, 0));
        scope = v < 0 ? VIS_OWN : v; /* a damaged setting hides rather than shows */
    }
    stmt_done(s);
    return scope;
}

int visibility_check_customer(struct ctx *c, int64_t id)
{
    int scope = visibility_scope(c);
    if (scope == VIS_ALL)
        return 0;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, "SELECT owner_id, team FROM customers WHERE id = ?",
                         "i", id);
    if (rc)
        return rc;
    int step = stmt_step(s, &c->err), visible = 1;
    if (step == 1) {
        int owned = !stmt_isnull(s, 0) && stmt_int(s, 0) == c->actor.user_id;
        const char *team = stmt_text(s, 1);
        int same_team = team && c->actor.team[0] && !strcmp(team, c->actor.team);
        visible = owned || (scope == VIS_TEAM && same_team);
    }
    stmt_done(s);
    if (step < 0)
        return step;
    return visible ? 0 : err_set(&c->err, ERR_NOTFOUND, "", "no such customer");
}

int visibility_get(struct ctx *c, json_t **out)
{
    json_t *o = json_object();
    for (int i = 0; roles[i]; i++)
        json_object_set_new(o, roles[i], json_string("all"));
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT key, value FROM settings WHERE key LIKE 'visibility.%'", "");
    while (!rc && (rc = stmt_step(s, &c->err)) == 1) {
        rc = 0;
        const char *role = stmt_text(s, 0) + strlen("visibility."), *v = stmt_text(s, 1);
        if (json_object_get(o, role) && scope_of(v) >= 0)
            json_object_set_new(o, role, json_string(v));
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

int visibility_set(struct ctx *c, const json_t *in)
{
    if (!json_is_object(in) || !json_object_size(in))
        return err_set(&c->err, ERR_BADREQ, "", "expected an object of role: scope");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)in, k, v)
    {
        int known = 0;
        for (int i = 0; roles[i]; i++)
            known |= !strcmp(k, roles[i]);
        if (!known)
            return err_set(&c->err, ERR_BADREQ, k, "unknown role");
        if (scope_of(json_string_value(v)) < 0)
            return err_set(&c->err, ERR_INVALID, k, "must be all, team or own");
        if (!strcmp(k, "admin") && strcmp(json_string_value(v), "all"))
            return err_set(&c->err, ERR_INVALID, k, "administrators always see every customer");
    }
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    json_object_foreach((json_t *)in, k, v)
    {
        char key[48];
        snprintf(key, sizeof(key), "visibility.%s", k);
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                       "SET value = excluded.value",
                       "ss", key, json_string_value(v));
        if (rc)
            break;
    }
    if (!rc)
        rc = audit_record(c, "update", "visibility", 0, NULL, in);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}
