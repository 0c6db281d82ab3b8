/* Exports and vCard import (see export.h). */
#include "app/export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/segments.h"
#include "store/store.h"
#include "util/csv.h"
#include "util/sbuf.h"
#include "util/timeu.h"
#include "util/vcard.h"

/* ------------------------------------------------------------------ which */

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The ids of the query, ascending. */
static int select_ids(struct ctx *c, const struct export_query *q, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (q->segment_id)
        return segment_members(c, q->segment_id, ids, n);
    if (q->expr)
        return segment_eval_expr(c, q->expr, ids, n, NULL, NULL);
    if (q->ids) {
        *ids = malloc((q->nids + 1) * sizeof(**ids));
        if (!*ids)
            return fail(c, ERR_INTERNAL, "", "out of memory");
        memcpy(*ids, q->ids, q->nids * sizeof(**ids));
        *n = q->nids;
        qsort(*ids, *n, sizeof(**ids), cmp_id);
        return 0;
    }
    /* the list's filters, page by page */
    struct customer_query f = q->filter ? *q->filter : (struct customer_query){0};
    f.limit = 500;
    f.after = 0;
    size_t cap = 0;
    for (;;) {
        json_t *page = NULL;
        int rc = customer_list(c, &f, &page);
        if (rc) {
            free(*ids);
            *ids = NULL;
            return rc;
        }
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(page, "items"), i, it)
        {
            if (*n == cap) {
                cap = cap ? cap * 2 : 1024;
                int64_t *t = realloc(*ids, cap * sizeof(*t));
                if (!t) {
                    json_decref(page);
                    free(*ids);
                    *ids = NULL;
                    return fail(c, ERR_INTERNAL, "", "out of memory");
                }
                *ids = t;
            }
            (*ids)[(*n)++] = json_integer_value(json_object_get(it, "id"));
        }
        const char *next = json_string_value(json_object_get(page, "next_cursor"));
        f.after = next ? strtoll(next, NULL, 10) : 0;
        json_decref(page);
        if (!next || (q->max && *n > q->max))
            break;
    }
    if (*n)
        qsort(*ids, *n, sizeof(**ids), cmp_id);
    return 0;
}

/* -------------------------------------------------------------------- CSV */

static const struct col {
    const char *name;
    int text; /* free text from people: neutralised */
} cols[] = {
    {"id", 0},          {"kind", 0},          {"external_id", 1}, {"first_name", 1},
    {"last_name", 1},   {"name", 1},          {"email", 1},       {"phone", 0},
    {"birth_date", 0},  {"sex", 0},           {"language", 0},    {"line1", 1},
    {"postal_code", 1}, {"city", 1},          {"country", 0},     {"orders_count", 0},
    {"revenue_minor", 0}, {"currency", 0},    {"first_order_at", 0}, {"last_order_at", 0},
    {"created_at", 0},
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static int export_csv(struct ctx *c, const int64_t *ids, size_t n, struct sbuf *b)
{
    for (size_t i = 0; i < NCOLS; i++)
        csv_put_cell(b, cols[i].name, 0, i == 0);
    sbuf_put(b, "\r\n", 2);
    for (size_t k = 0; k < n; k++) {
        struct stmt *s = NULL;
        int rc = store_query(c->st, &s, &c->err,
                             "SELECT c.id, c.kind, c.external_id, c.first_name, c.last_name, "
                             "c.name, c.email, c.phone, c.birth_date, c.sex, c.language, a.line1, "
                             "a.postal_code, a.city, a.country, c.orders_count, c.revenue_minor, "
                             "c.currency, c.first_order_at, c.last_order_at, c.created_at FROM "
                             "customers c LEFT JOIN customer_addresses a ON a.customer_id = c.id "
                             "AND a.is_primary = 1 WHERE c.id = ? AND c.merged_into IS NULL AND "
                             "c.erased_at IS NULL LIMIT 1",
                             "i", ids[k]);
        if (rc)
            return rc;
        if ((rc = stmt_step(s, &c->err)) == 1) {
            for (size_t i = 0; i < NCOLS; i++) {
                char ts[TIME_BUF];
                const char *v = stmt_text(s, (int)i);
                if (v && strstr(cols[i].name, "_at") && !stmt_isnull(s, (int)i))
                    v = time_format(stmt_int(s, (int)i), ts, sizeof(ts));
                csv_put_cell(b, v, cols[i].text, i == 0);
            }
            sbuf_put(b, "\r\n", 2);
        }
        stmt_done(s);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ JSON, vCard */

static int export_profiles(struct ctx *c, const int64_t *ids, size_t n, int vcard, struct sbuf *b)
{
    if (!vcard)
        sbuf_put(b, "[", 1);
    size_t written = 0;
    for (size_t k = 0; k < n; k++) {
        json_t *p = NULL;
        int rc = customer_profile(c, ids[k], &p);
        if (rc == ERR_NOTFOUND) {
            err_clear(&c->err);
            continue;
        }
        if (rc)
            return rc;
        if (!json_is_null(json_object_get(p, "merged_into")) ||
            !json_is_null(json_object_get(p, "erased_at"))) {
            json_decref(p);
            continue;
        }
        char *text = vcard ? vcard_render(p) : json_dumps(p, JSON_COMPACT);
        json_decref(p);
        if (!text)
            return fail(c, ERR_INTERNAL, "", "out of memory");
        if (!vcard && written)
            sbuf_put(b, ",\n", 2);
        sbuf_puts(b, text);
        free(text);
        written++;
    }
    if (!vcard)
        sbuf_put(b, "]\n", 2);
    return 0;
}

int export_customers(struct ctx *c, const struct export_query *q, char **out, size_t *len,
                     const char **ctype, int64_t *count)
{
    const char *fmt = q->format ? q->format : "csv";
    int kind = !strcmp(fmt, "csv") ? 0 : !strcmp(fmt, "json") ? 1 : !strcmp(fmt, "vcard") ? 2 : -1;
    if (kind < 0)
        return fail(c, ERR_INVALID, "format", "must be one of: csv|json|vcard");
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = select_ids(c, q, &ids, &n);
    if (rc)
        return rc;
    if (q->max && n > q->max) {
        free(ids);
        return fail(c, ERR_TOOLARGE, "", "%zu customers: more than %zu; use relatio export", n,
                    q->max);
    }
    struct sbuf b = {0};
    rc = kind == 0 ? export_csv(c, ids, n, &b) : export_profiles(c, ids, n, kind == 2, &b);
    free(ids);
    if (rc) {
        sbuf_free(&b);
        return rc;
    }
    *out = sbuf_take(&b, len);
    if (!*out)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    *ctype = kind == 0 ? "text/csv; charset=utf-8"
             : kind == 1 ? "application/json"
                         : "text/vcard; charset=utf-8";
    *count = (int64_t)n;
    return 0;
}

/* ------------------------------------------------------------ vCard import */

int vcard_import(struct ctx *c, const char *text, size_t len, int skip_bad, int dry_run,
                 json_t **report)
{
    json_t *cards = NULL;
    int rc = vcard_parse(text, len, &cards, &c->err);
    if (rc)
        return rc;
    json_t *problems = json_array();
    int64_t created = 0, updated = 0, rejected = 0;
    rc = store_begin(c->st, &c->err);
    int began = rc == 0;
    size_t i;
    json_t *card;
    json_array_foreach(cards, i, card)
    {
        if (rc)
            break;
        const char *email =
            json_string_value(json_object_get(json_array_get(json_object_get(card, "emails"), 0), "email"));
        int64_t id = 0;
        int r = store_begin(c->st, &c->err); /* a savepoint per card */
        if (!r && email)
            r = customer_find(c, NULL, email, &id);
        if (!r) {
            if (id) {
                json_t *upd = json_deep_copy(card);
                json_object_del(upd, "kind");
                r = customer_update(c, id, upd, 0, NULL);
                json_decref(upd);
            } else {
                r = customer_create(c, card, NULL, NULL);
            }
        }
        if (!r) {
            store_commit(c->st, &c->err);
            id ? updated++ : created++;
            continue;
        }
        store_rollback(c->st);
        rejected++;
        json_array_append_new(problems, json_pack("{s:I,s:s,s:s}", "card", (json_int_t)i + 1,
                                                  "field", c->err.field, "message", c->err.msg));
        err_clear(&c->err);
    }
    int all_or_nothing_failed = !rc && rejected && !skip_bad;
    if (began && !rc && !dry_run && !all_or_nothing_failed)
        rc = store_commit(c->st, &c->err);
    else if (began)
        store_rollback(c->st);
    json_t *rep = json_pack("{s:I,s:I,s:I,s:I,s:o,s:b}", "cards", (json_int_t)json_array_size(cards),
                            "created", (json_int_t)created, "updated", (json_int_t)updated,
                            "rejected", (json_int_t)rejected, "problems", problems, "dry_run",
                            dry_run);
    json_decref(cards);
    if (rc) {
        json_decref(rep);
        return rc;
    }
    *report = rep;
    if (all_or_nothing_failed)
        return fail(c, ERR_INVALID, "", "%lld of the cards were refused; nothing was imported",
                    (long long)rejected);
    return 0;
}
