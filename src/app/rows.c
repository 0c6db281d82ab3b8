/* Rows as JSON (see rows.h). */
#include "app/rows.h"

#include <string.h>

#include "store/store.h"

int rows_ident_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 63)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

static json_t *col_value(struct stmt *s, int i)
{
    switch (stmt_type(s, i)) {
    case 'i':
        return json_integer(stmt_int(s, i));
    case 'd':
        return json_real(stmt_double(s, i));
    case 'n':
        return json_null();
    default:
        return json_string(stmt_text(s, i));
    }
}

int rows_json(struct ctx *c, const char *sql, int64_t a, int64_t b, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, sql, "ii", a, b);
    if (rc)
        return rc;
    json_t *rows = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1) {
        json_t *o = json_object();
        for (int i = 0; i < stmt_ncols(s); i++)
            json_object_set_new(o, stmt_colname(s, i), col_value(s, i));
        json_array_append_new(rows, o);
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(rows);
        return rc;
    }
    *out = rows;
    return 0;
}
