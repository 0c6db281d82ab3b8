/* Targeting groups and the loyalty x profitability matrix (see targeting.h). */
#include "app/targeting.h"

#include <stdlib.h>
#include <string.h>

#include "app/analytics.h"
#include "app/segments.h"
#include "store/store.h"

struct group_def {
    int64_t id;
    char key[32], name[128], desc[512];
    char *expr;
};

static int is_quadrant(const char *key)
{
    return !strcmp(key, "true_friends") || !strcmp(key, "butterflies") ||
           !strcmp(key, "barnacles") || !strcmp(key, "strangers");
}

/* The group definitions, in the seed's order then the matrix's. */
static int load_groups(struct ctx *c, struct group_def *g, size_t cap, size_t *n)
{
    struct stmt *s = NULL;
    *n = 0;
    int rc =
        store_query(c->st, &s, &c->err,
                    "SELECT id, group_key, name, COALESCE(description, ''), expr FROM segments "
                    "WHERE group_key IS NOT NULL ORDER BY id",
                    "");
    if (!rc)
        while (*n < cap && (rc = stmt_step(s, &c->err)) == 1) {
            struct group_def *d = &g[(*n)++];
            d->id = stmt_int(s, 0);
            snprintf(d->key, sizeof(d->key), "%s", stmt_text(s, 1));
            snprintf(d->name, sizeof(d->name), "%s", stmt_text(s, 2));
            snprintf(d->desc, sizeof(d->desc), "%s", stmt_text(s, 3));
            d->expr = stmt_text(s, 4) ? strdup(stmt_text(s, 4)) : NULL;
        }
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

int targeting_groups(struct ctx *c, json_t **out)
{
    struct group_def g[32];
    size_t n = 0;
    int rc = load_groups(c, g, 32, &n);
    json_t *groups = json_array();
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *o =
            json_pack("{s:s,s:I,s:s,s:s,s:s?,s:s}", "key", g[i].key, "segment_id",
                      (json_int_t)g[i].id, "name", g[i].name, "description", g[i].desc, "expr",
                      g[i].expr, "kind", is_quadrant(g[i].key) ? "matrix" : "group");
        int64_t count = 0;
        double revenue = 0;
        int erc = g[i].expr ? segment_expr_stats(c, g[i].expr, &count, &revenue) : ERR_INVALID;
        if (erc == ERR_INVALID) { /* an edited definition that no longer compiles */
            json_object_set_new(o, "error", json_string(g[i].expr ? c->err.msg : "no expression"));
            err_clear(&c->err);
        } else if (erc) {
            rc = erc;
        } else {
            json_object_set_new(o, "count", json_integer(count));
            json_object_set_new(o, "revenue", json_real(revenue));
        }
        json_array_append_new(groups, o);
    }
    for (size_t i = 0; i < n; i++)
        free(g[i].expr);
    json_t *matrix = NULL;
    if (!rc) {
        struct analytics_query q;
        memset(&q, 0, sizeof(q));
        q.as_of = INT32_MIN;
        q.summary = 1;
        q.no_customers = 1;
        json_t *doc = NULL;
        int mrc = analytics_matrix(c, &q, &doc);
        if (mrc == ERR_INVALID || mrc == ERR_NOTFOUND) {
            err_clear(&c->err);
        } else if (mrc) {
            rc = mrc;
        } else {
            matrix = json_incref(json_object_get(doc, "summary"));
            if (matrix && json_object_get(doc, "model"))
                json_object_set(matrix, "model", json_object_get(doc, "model"));
        }
        json_decref(doc);
    }
    if (rc) {
        json_decref(groups);
        json_decref(matrix);
        return rc;
    }
    *out = json_pack("{s:o,s:o}", "groups", groups, "matrix", matrix ? matrix : json_null());
    return 0;
}
