/* Rows to JSON (see rowjson.h). */
#include "app/rowjson.h"

#include <stdio.h>

#include "store/store.h"
#include "util/timeu.h"

static json_t *col(struct stmt *s, int i, char type)
{
    char ts[TIME_BUF];
    if (stmt_isnull(s, i))
        return json_null();
    switch (type) {
    case 'i':
        return json_integer(stmt_int(s, i));
    case 'b':
        return json_boolean(stmt_int(s, i));
    case 't':
        return json_string(time_format(stmt_int(s, i), ts, sizeof(ts)));
    case 'd':
        return json_real(stmt_double(s, i));
    default:
        return json_string(stmt_text(s, i));
    }
}

json_t *rowj_object(struct stmt *s, const char *const *names, const char *types)
{
    json_t *o = json_object();
    for (int i = 0; names[i]; i++)
        json_object_set_new(o, names[i], col(s, i, types[i]));
    return o;
}

int rowj_page(struct ctx *c, struct stmt *s, const char *const *names, const char *types, int limit,
              json_t **out)
{
    json_t *items = json_array();
    int rc, n = 0;
    int64_t last = 0;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (n++ == limit)
            break;
        last = stmt_int(s, 0);
        json_array_append_new(items, rowj_object(s, names, types));
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    char cur[32];
    snprintf(cur, sizeof(cur), "%lld", (long long)last);
    *out = json_pack("{s:o,s:o}", "items", items, "next_cursor",
                     n > limit ? json_string(cur) : json_null());
    return 0;
}

int rowj_all(struct ctx *c, struct stmt *s, const char *const *names, const char *types,
             json_t **out)
{
    json_t *items = json_array();
    int rc;
    while ((rc = stmt_step(s, &c->err)) == 1)
        json_array_append_new(items, rowj_object(s, names, types));
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return 0;
}

int rowj_one(struct ctx *c, const char *sql, int64_t id, const char *const *names,
             const char *types, const char *what, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, sql, "i", id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1)
        *out = rowj_object(s, names, types);
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "id", "no %s %lld", what, (long long)id);
    return rc < 0 ? rc : 0;
}

const char *rowj_str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

int64_t rowj_int(const json_t *o, const char *k, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int rowj_has(const json_t *o, const char *k)
{
    return json_object_get(o, k) != NULL;
}
