/* Merge and undo (see merge.h). */
#include "app/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/activity.h"
#include "app/audit.h"
#include "app/events.h"
#include "app/rows.h"
#include "app/snapshot.h"
#include "store/store.h"
#include "util/timeu.h"

/* ------------------------------------------------------------ generic rows */

static struct bindv bind_of(const json_t *v)
{
    struct bindv b = {'n', 0, 0, NULL};
    if (json_is_integer(v))
        b = (struct bindv){'i', json_integer_value(v), 0, NULL};
    else if (json_is_real(v))
        b = (struct bindv){'d', 0, json_real_value(v), NULL};
    else if (json_is_string(v))
        b = (struct bindv){'s', 0, 0, json_string_value(v)};
    return b;
}

/* INSERT INTO table (every key of row) VALUES (...). */
static int row_insert(struct ctx *c, const char *table, const json_t *row)
{
    char sql[4096];
    struct bindv args[128];
    int n = 0;
    size_t len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO \"%s\" (", table);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)row, k, v)
    {
        if (!rows_ident_ok(k) || n == 128 || len > sizeof(sql) - 200)
            return fail(c, ERR_INTERNAL, "", "table %s: unexpected column %s", table, k);
        len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s\"%s\"", n ? ", " : "", k);
        args[n++] = bind_of(v);
    }
    len += (size_t)snprintf(sql + len, sizeof(sql) - len, ") VALUES (");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s?", i ? ", " : "");
    snprintf(sql + len, sizeof(sql) - len, ")");
    struct stmt *s = NULL;
    int rc = store_queryv(c->st, &s, &c->err, sql, args, n);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* UPDATE table SET (every key of row but id) WHERE id = row.id. */
static int row_update(struct ctx *c, const char *table, const json_t *row)
{
    char sql[8192];
    struct bindv args[129];
    int n = 0;
    size_t len = (size_t)snprintf(sql, sizeof(sql), "UPDATE \"%s\" SET ", table);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)row, k, v)
    {
        if (strcmp(k, "id") == 0)
            continue;
        if (!rows_ident_ok(k) || n == 128 || len > sizeof(sql) - 200)
            return fail(c, ERR_INTERNAL, "", "table %s: unexpected column %s", table, k);
        len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s\"%s\" = ?", n ? ", " : "", k);
        args[n++] = bind_of(v);
    }
    snprintf(sql + len, sizeof(sql) - len, " WHERE id = ?");
    args[n++] = bind_of(json_object_get(row, "id"));
    struct stmt *s = NULL;
    int rc = store_queryv(c->st, &s, &c->err, sql, args, n);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------- the references */

#define MAX_REFS 128

struct ref {
    char table[64];
    char cols[4][64];
    int ncols;
    int has_id;
    int leaf; /* no other table points at this one */
};

struct refs {
    struct ref v[MAX_REFS];
    int n;
};

static int ref_add(const char *table, const char *column, int has_id, void *arg)
{
    struct refs *r = arg;
    if (!rows_ident_ok(table) || !rows_ident_ok(column))
        return ERR_INTERNAL;
    struct ref *f = r->n ? &r->v[r->n - 1] : NULL;
    if (!f || strcmp(f->table, table) != 0) {
        if (r->n == MAX_REFS)
            return ERR_INTERNAL;
        f = &r->v[r->n++];
        memset(f, 0, sizeof(*f));
        snprintf(f->table, sizeof(f->table), "%s", table);
        f->has_id = has_id;
    }
    if (f->ncols < 4)
        snprintf(f->cols[f->ncols++], sizeof(f->cols[0]), "%s", column);
    return 0;
}

static int count_ref(const char *table, const char *column, int has_id, void *arg)
{
    (*(int *)arg)++;
    return 0;
}

/* Ledgers that only grow: their rows stay where they are. The consent
 * ledger is merged by appending decisions (merge_consents). */
static int append_only(const char *table)
{
    return strcmp(table, "consents") == 0;
}

static int load_refs(struct ctx *c, struct refs *r)
{
    r->n = 0;
    int rc = store_references(c->st, "customers", ref_add, r, &c->err);
    if (rc)
        return c->err.kind ? rc : fail(c, ERR_INTERNAL, "", "schema references not readable");
    for (int i = 0; i < r->n; i++) {
        int n = 0;
        rc = store_references(c->st, r->v[i].table, count_ref, &n, &c->err);
        if (rc)
            return rc;
        r->v[i].leaf = n == 0;
    }
    return 0;
}

/* "col1 IN (?1, ?2) OR col2 IN (?1, ?2)" */
static void where_any(const struct ref *f, char *out, size_t len)
{
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < f->ncols && n < len; i++)
        n += (size_t)snprintf(out + n, len - n, "%s\"%s\" IN (?1, ?2)", i ? " OR " : "",
                              f->cols[i]);
}

/* ----------------------------------------------------------- survivorship */

static const struct group {
    const char *name;
    const char *updated; /* column with the group's last update, or NULL */
    const char *dflt;    /* default rule */
    const char *fields[8];
} groups[] = {
    {"identity", "identity_updated_at", "most_trusted",
     {"first_name", "last_name", "name", "birth_date", "sex", NULL}},
    {"contact", "contact_updated_at", "most_recent", {"email", "phone", NULL}},
    {"socio", "socio_updated_at", "most_complete",
     {"occupation", "income_band", "housing", "category_spend_minor", NULL}},
    {"company", "company_updated_at", "most_complete",
     {"company_revenue_minor", "naf_code", "headcount", NULL}},
    {"prefs", "prefs_updated_at", "most_recent",
     {"language", "preferred_channel", "quiet_hours_start", "quiet_hours_end",
      "callback_requested_at", NULL}},
    {"other", NULL, "most_complete", {"external_id", "owner_id", "team", "source_id", NULL}},
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static int rule_ok(const char *r)
{
    return r && (!strcmp(r, "most_recent") || !strcmp(r, "most_complete") ||
                 !strcmp(r, "most_trusted"));
}

json_t *merge_rules(struct ctx *c)
{
    json_t *out = json_object();
    for (size_t g = 0; g < NGROUPS; g++) {
        char key[64];
        snprintf(key, sizeof(key), "merge_rule.%s", groups[g].name);
        struct stmt *s = NULL;
        const char *rule = groups[g].dflt;
        char buf[32] = "";
        if (!store_query(c->st, &s, NULL, "SELECT value FROM settings WHERE key = ?", "s", key)) {
            if (stmt_step(s, NULL) == 1 && stmt_text(s, 0) && rule_ok(stmt_text(s, 0))) {
                snprintf(buf, sizeof(buf), "%s", stmt_text(s, 0));
                rule = buf;
            }
            stmt_done(s);
        }
        json_object_set_new(out, groups[g].name, json_string(rule));
    }
    return out;
}

/* Rank of a record's source: the more trusted, the higher. */
static int trust(struct ctx *c, const json_t *row)
{
    json_t *sid = json_object_get(row, "source_id");
    if (!json_is_integer(sid))
        return 5; /* entered by staff */
    struct stmt *s = NULL;
    int rank = 3;
    if (!store_query(c->st, &s, NULL, "SELECT kind FROM sources WHERE id = ?", "i",
                     json_integer_value(sid))) {
        if (stmt_step(s, NULL) == 1) {
            static const char *const order[] = {"rented", "bought", "exchanged", "import",
                                                "api",    "web",    "form",      "store",
                                                "internal"};
            for (int i = 0; i < 9; i++)
                if (strcmp(stmt_text(s, 0), order[i]) == 0)
                    rank = i;
        }
        stmt_done(s);
    }
    return rank;
}

/* Decides each field: which side's value the survivor keeps. *decided gets
 * {"field": "survivor"|"duplicate"}; *values the survivor's new values. */
static int survivorship(struct ctx *c, const json_t *srow, const json_t *drow,
                        const json_t *overrides, json_t **decided, json_t **values)
{
    json_t *rules = merge_rules(c);
    *decided = json_object();
    *values = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)overrides, k, v)
    {
        int known = 0;
        for (size_t g = 0; g < NGROUPS && !known; g++)
            for (int f = 0; groups[g].fields[f]; f++)
                known |= strcmp(groups[g].fields[f], k) == 0;
        if (!known || !json_is_string(v) ||
            (strcmp(json_string_value(v), "survivor") && strcmp(json_string_value(v), "duplicate"))) {
            json_decref(rules);
            return fail(c, ERR_INVALID, k,
                        known ? "must be \"survivor\" or \"duplicate\"" : "not a mergeable field");
        }
    }
    for (size_t g = 0; g < NGROUPS; g++) {
        const char *rule = json_string_value(json_object_get(rules, groups[g].name));
        int prefer_dup = 0;
        if (strcmp(rule, "most_recent") == 0 && groups[g].updated) {
            json_int_t su = json_integer_value(json_object_get(srow, groups[g].updated));
            json_int_t du = json_integer_value(json_object_get(drow, groups[g].updated));
            prefer_dup = du > su;
        } else if (strcmp(rule, "most_trusted") == 0) {
            prefer_dup = trust(c, drow) > trust(c, srow);
        }
        for (int f = 0; groups[g].fields[f]; f++) {
            const char *name = groups[g].fields[f];
            json_t *sv = json_object_get(srow, name), *dv = json_object_get(drow, name);
            const char *o = json_string_value(json_object_get(overrides, name));
            int dup;
            if (o)
                dup = strcmp(o, "duplicate") == 0;
            else if (prefer_dup)
                dup = !json_is_null(dv); /* the preferred side, unless it has nothing */
            else
                dup = json_is_null(sv) && !json_is_null(dv);
            json_object_set_new(*decided, name, json_string(dup ? "duplicate" : "survivor"));
            if (dup && !json_equal(sv, dv))
                json_object_set(*values, name, dv ? dv : json_null());
        }
    }
    json_decref(rules);
    return 0;
}

/* ----------------------------------------------------------------- consents */

/* The latest decision per channel and purpose of a customer. */
static int latest_consents(struct ctx *c, int64_t id, json_t **out)
{
    return rows_json(c,
                   "SELECT channel, purpose, granted, legal_basis, proof FROM consents WHERE id IN "
                   "(SELECT MAX(id) FROM consents WHERE customer_id = ?1 GROUP BY channel, "
                   "purpose) AND ?2 = ?2 ORDER BY channel, purpose",
                   id, id, out);
}

static json_t *find_consent(const json_t *list, const char *channel, const char *purpose)
{
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        if (!strcmp(json_string_value(json_object_get(r, "channel")), channel) &&
            !strcmp(json_string_value(json_object_get(r, "purpose")), purpose))
            return r;
    }
    return NULL;
}

static int append_consent(struct ctx *c, int64_t customer, const char *channel,
                          const char *purpose, int granted, const char *basis, const char *source,
                          const char *proof)
{
    return store_run(c->st, NULL, &c->err,
                     "INSERT INTO consents(customer_id, at, channel, purpose, granted, "
                     "legal_basis, source, proof, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     "iississsI", customer, time_now(), channel, purpose, (int64_t)granted, basis,
                     source, proof, c->actor.user_id ? c->actor.user_id : INT64_MIN);
}

/* Appends to the survivor what it lacks: a withdrawal by the duplicate
 * always wins; a grant only where the survivor never decided. *log gets
 * [{channel, purpose, granted, before}] for the undo. */
static int merge_consents(struct ctx *c, int64_t s, int64_t d, int64_t merge_id, json_t *log)
{
    json_t *sl = NULL, *dl = NULL;
    int rc = latest_consents(c, s, &sl);
    if (!rc)
        rc = latest_consents(c, d, &dl);
    char proof[64];
    snprintf(proof, sizeof(proof), "merge %lld of customer %lld", (long long)merge_id, (long long)d);
    size_t i;
    json_t *r;
    json_array_foreach(dl, i, r)
    {
        if (rc)
            break;
        const char *ch = json_string_value(json_object_get(r, "channel"));
        const char *pu = json_string_value(json_object_get(r, "purpose"));
        int dg = (int)json_integer_value(json_object_get(r, "granted"));
        json_t *mine = find_consent(sl, ch, pu);
        int sg = mine ? (int)json_integer_value(json_object_get(mine, "granted")) : -1;
        if ((dg == 0 && sg != 0) || (dg == 1 && sg == -1)) {
            rc = append_consent(c, s, ch, pu, dg,
                                json_string_value(json_object_get(r, "legal_basis")), "merge",
                                proof);
            json_array_append_new(log, json_pack("{s:s,s:s,s:i,s:i}", "channel", ch, "purpose",
                                                 pu, "granted", dg, "before", sg));
        }
    }
    json_decref(sl);
    json_decref(dl);
    return rc;
}

/* ------------------------------------------------------------------- merge */

/* Two rows hold the same thing when every column but the keys, the
 * reference columns and the primary/label markers is equal. */
static int same_content(const json_t *a, const json_t *b, const struct ref *f)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)a, k, v)
    {
        int skip = !strcmp(k, "id") || !strcmp(k, "is_primary") || !strcmp(k, "label");
        for (int i = 0; i < f->ncols; i++)
            skip |= !strcmp(k, f->cols[i]);
        if (!skip && !json_equal(v, json_object_get(b, k)))
            return 0;
    }
    return 1;
}

static int refers_to(const json_t *row, const struct ref *f, int64_t id)
{
    for (int i = 0; i < f->ncols; i++)
        if (json_integer_value(json_object_get(row, f->cols[i])) == id)
            return 1;
    return 0;
}

/* Rows of a leaf table without a usable id move by being written again:
 * taken out, then the duplicate's put back as the survivor's, except those
 * the survivor already has. */
static int replace_rows(struct ctx *c, const struct ref *f, int64_t s, int64_t d, json_t *log,
                        int64_t *count)
{
    char where[512], sql[1024];
    where_any(f, where, sizeof(where));
    snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" WHERE %s", f->table, where);
    json_t *rows = NULL;
    int rc = rows_json(c, sql, s, d, &rows);
    if (rc || !json_array_size(rows)) {
        json_decref(rows);
        return rc;
    }
    snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE %s", f->table, where);
    rc = store_run(c->st, NULL, &c->err, sql, "ii", s, d);
    int survivor_has = 0;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) survivor_has |= refers_to(r, f, s) && !refers_to(r, f, d);
    json_t *kept = json_array();
    json_array_foreach(rows, i, r)
    {
        if (rc)
            break;
        json_t *m = json_deep_copy(r);
        int from_dup = refers_to(r, f, d);
        for (int k = 0; k < f->ncols; k++)
            if (json_integer_value(json_object_get(m, f->cols[k])) == d)
                json_object_set_new(m, f->cols[k], json_integer(s));
        int drop = 0;
        if (from_dup) {
            /* a link between the two records would point at itself now */
            for (int a = 0; a < f->ncols; a++)
                for (int b = a + 1; b < f->ncols; b++)
                    drop |= json_equal(json_object_get(m, f->cols[a]),
                                       json_object_get(m, f->cols[b]));
            size_t j;
            json_t *q;
            json_array_foreach(kept, j, q) drop |= same_content(q, m, f);
            if (survivor_has && json_object_get(m, "is_primary"))
                json_object_set_new(m, "is_primary", json_integer(0));
        }
        if (!drop) {
            rc = store_begin(c->st, &c->err);
            if (!rc) {
                rc = row_insert(c, f->table, m);
                if (rc == ERR_EXISTS) { /* the survivor has it already */
                    store_rollback(c->st);
                    err_clear(&c->err);
                    rc = 0;
                } else if (rc) {
                    store_rollback(c->st);
                } else {
                    rc = store_commit(c->st, &c->err);
                    json_array_append(kept, m);
                    if (from_dup)
                        (*count)++;
                }
            }
        }
        json_decref(m);
    }
    json_decref(kept);
    if (!rc)
        json_array_append_new(log, json_pack("{s:s,s:o}", "table", f->table, "rows", rows));
    else
        json_decref(rows);
    return rc;
}

/* Rows with an id move by an update of their reference column(s). */
static int move_rows(struct ctx *c, const struct ref *f, int64_t s, int64_t d, json_t *log,
                     int64_t *count)
{
    int rc = 0;
    for (int k = 0; !rc && k < f->ncols; k++) {
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT id FROM \"%s\" WHERE \"%s\" = ?1 AND ?2 = ?2 ORDER BY id",
                 f->table, f->cols[k]);
        json_t *rows = NULL;
        rc = rows_json(c, sql, d, d, &rows);
        if (rc || !json_array_size(rows)) {
            json_decref(rows);
            continue;
        }
        json_t *ids = json_array();
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r) json_array_append(ids, json_object_get(r, "id"));
        json_decref(rows);
        snprintf(sql, sizeof(sql), "UPDATE \"%s\" SET \"%s\" = ? WHERE \"%s\" = ?", f->table,
                 f->cols[k], f->cols[k]);
        rc = store_run(c->st, NULL, &c->err, sql, "ii", s, d);
        if (rc) {
            json_decref(ids);
            return fail(c, ERR_CONFLICT, f->table,
                        "the records of %s cannot move to the survivor (%s); resolve them first",
                        f->table, c->err.msg);
        }
        *count += (int64_t)json_array_size(ids);
        json_array_append_new(log, json_pack("{s:s,s:s,s:o}", "table", f->table, "column",
                                             f->cols[k], "ids", ids));
    }
    return rc;
}

/* A table keyed by the customer itself and referenced by others (a loyalty
 * membership with its ledger) cannot be moved row by row: the merge goes on
 * only when the duplicate has nothing there. */
static int refuse_if_used(struct ctx *c, const struct ref *f, int64_t d)
{
    for (int k = 0; k < f->ncols; k++) {
        char sql[256];
        int64_t n = 0;
        snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM \"%s\" WHERE \"%s\" = ?", f->table,
                 f->cols[k]);
        int rc = store_int(c->st, &n, &c->err, sql, "i", d);
        if (rc)
            return rc;
        if (n)
            return fail(c, ERR_CONFLICT, "duplicate_id",
                        "customer %lld has %s records that cannot move automatically; settle "
                        "them first (e.g. transfer the points), then merge",
                        (long long)d, f->table);
    }
    return 0;
}

static int load_customer(struct ctx *c, int64_t id, const char *field, json_t **row)
{
    json_t *rows = NULL;
    int rc = rows_json(c, "SELECT * FROM customers WHERE id = ?1 AND ?2 = ?2", id, id, &rows);
    if (rc)
        return rc;
    if (!json_array_size(rows)) {
        json_decref(rows);
        return fail(c, ERR_NOTFOUND, field, "no customer %lld", (long long)id);
    }
    *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    if (!json_is_null(json_object_get(*row, "merged_into")) ||
        !json_is_null(json_object_get(*row, "erased_at"))) {
        json_decref(*row);
        *row = NULL;
        return fail(c, ERR_CONFLICT, field, "customer %lld was merged or erased", (long long)id);
    }
    return 0;
}

static int apply_values(struct ctx *c, int64_t s, int64_t d, json_t *values)
{
    int rc = 0;
    /* an external id is unique: the duplicate lets go of it first */
    if (json_object_get(values, "external_id"))
        rc = store_run(c->st, NULL, &c->err, "UPDATE customers SET external_id = NULL WHERE id = ?",
                       "i", d);
    int64_t now = time_now();
    json_t *set = json_deep_copy(values);
    json_object_set_new(set, "id", json_integer(s));
    json_object_set_new(set, "updated_at", json_integer(now));
    if (!rc)
        rc = row_update(c, "customers", set);
    json_decref(set);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE customers SET version = version + 1 WHERE id = ?", "i", s);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE customers SET merged_into = ?, updated_at = ?, version = version + "
                       "1 WHERE id = ?",
                       "iii", s, now, d);
    /* the primary e-mail and phone follow the chosen values */
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE customer_emails SET is_primary = CASE WHEN email = (SELECT email "
                       "FROM customers WHERE id = ?1) THEN 1 ELSE 0 END WHERE customer_id = ?1 AND "
                       "EXISTS (SELECT 1 FROM customers WHERE id = ?1 AND email IS NOT NULL)",
                       "i", s);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE customer_phones SET is_primary = CASE WHEN phone = (SELECT phone "
                       "FROM customers WHERE id = ?1) THEN 1 ELSE 0 END WHERE customer_id = ?1 AND "
                       "EXISTS (SELECT 1 FROM customers WHERE id = ?1 AND phone IS NOT NULL)",
                       "i", s);
    return rc;
}

static int pair_row(struct ctx *c, int64_t s, int64_t d, json_t **out)
{
    int64_t a = s < d ? s : d, b = s < d ? d : s;
    json_t *rows = NULL;
    int rc = rows_json(c, "SELECT * FROM duplicate_pairs WHERE a = ?1 AND b = ?2", a, b, &rows);
    if (rc)
        return rc;
    *out = json_array_size(rows) ? json_incref(json_array_get(rows, 0)) : json_null();
    json_decref(rows);
    return 0;
}

int customer_merge(struct ctx *c, int64_t survivor, int64_t duplicate, const json_t *fields,
                   json_t **out)
{
    if (fields && !json_is_object(fields))
        return fail(c, ERR_INVALID, "fields", "must be an object of field: survivor|duplicate");
    if (survivor == duplicate)
        return fail(c, ERR_INVALID, "duplicate_id", "a customer cannot be merged into itself");
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    json_t *srow = NULL, *drow = NULL, *decided = NULL, *values = NULL, *pair = NULL;
    json_t *moved = json_array(), *replaced = json_array(), *consents = json_array();
    json_t *counts = json_object();
    struct refs *refs = calloc(1, sizeof(*refs));
    int64_t merge_id = 0, version = 0;
    if (!refs) {
        rc = fail(c, ERR_INTERNAL, "", "out of memory");
        goto out;
    }
    rc = load_customer(c, survivor, "id", &srow);
    if (!rc)
        rc = load_customer(c, duplicate, "duplicate_id", &drow);
    if (rc)
        goto out;
    const char *sk = json_string_value(json_object_get(srow, "kind"));
    const char *dk = json_string_value(json_object_get(drow, "kind"));
    if (strcmp(sk, dk) && strcmp(dk, "guest")) {
        rc = fail(c, ERR_CONFLICT, "duplicate_id", "a %s cannot be merged into a %s", dk, sk);
        goto out;
    }
    json_t *none = json_object();
    rc = survivorship(c, srow, drow, fields ? fields : none, &decided, &values);
    json_decref(none);
    if (!rc)
        rc = pair_row(c, survivor, duplicate, &pair);
    /* the merge record first, so consents can name it */
    if (!rc)
        rc = store_int(c->st, &merge_id, &c->err,
                       "INSERT INTO merges(survivor_id, duplicate_id, at, user_id, fields, record, "
                       "survivor_version) VALUES (?, ?, ?, ?, '{}', '{}', 0) RETURNING id",
                       "iiiI", survivor, duplicate, time_now(),
                       c->actor.user_id ? c->actor.user_id : INT64_MIN);
    if (!rc)
        rc = load_refs(c, refs);
    for (int i = 0; !rc && i < refs->n; i++) {
        const struct ref *f = &refs->v[i];
        if (append_only(f->table))
            continue;
        int64_t n = 0;
        if (f->has_id && !(f->leaf && strncmp(f->table, "customer_", 9) == 0))
            rc = move_rows(c, f, survivor, duplicate, moved, &n);
        else if (f->leaf)
            rc = replace_rows(c, f, survivor, duplicate, replaced, &n);
        else
            rc = refuse_if_used(c, f, duplicate);
        if (!rc && n)
            json_object_set_new(counts, f->table, json_integer(n));
    }
    if (!rc)
        rc = merge_consents(c, survivor, duplicate, merge_id, consents);
    if (!rc)
        rc = apply_values(c, survivor, duplicate, values);
    if (!rc)
        rc = customer_refresh_aggregates(c, survivor);
    if (!rc)
        rc = customer_refresh_aggregates(c, duplicate);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE duplicate_pairs SET status = 'merged', decided_at = ?, decided_by = "
                       "? WHERE a = ? AND b = ?",
                       "iIii", time_now(), c->actor.user_id ? c->actor.user_id : INT64_MIN,
                       survivor < duplicate ? survivor : duplicate,
                       survivor < duplicate ? duplicate : survivor);
    if (!rc)
        rc = store_int(c->st, &version, &c->err, "SELECT version FROM customers WHERE id = ?", "i",
                       survivor);
    if (!rc) {
        json_t *record = json_pack("{s:[O,O],s:O,s:O,s:O,s:O}", "customers", srow, drow, "moved",
                                   moved, "replaced", replaced, "consents", consents, "pair", pair);
        char *rj = json_dumps(record, JSON_COMPACT);
        char *fj = json_dumps(decided, JSON_COMPACT | JSON_SORT_KEYS);
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE merges SET fields = ?, record = ?, survivor_version = ? WHERE id = ?",
                       "ssii", fj, rj, version, merge_id);
        free(rj);
        free(fj);
        json_decref(record);
    }
    if (!rc) {
        json_t *after = NULL;
        rc = load_customer(c, survivor, "id", &after);
        if (!rc)
            rc = audit_record(c, "merge", "customer", survivor, srow, after);
        if (!rc)
            rc = audit_record(c, "merged_into", "customer", duplicate, drow, NULL);
        json_decref(after);
    }
    if (!rc) {
        json_t *ev = json_pack("{s:I,s:I,s:I}", "merge_id", (json_int_t)merge_id, "survivor_id",
                               (json_int_t)survivor, "duplicate_id", (json_int_t)duplicate);
        rc = event_emit(c, "customer.merged", survivor, "merge", merge_id, ev, NULL);
        json_decref(ev);
    }
    if (!rc)
        rc = store_commit(c->st, &c->err);
    if (!rc) {
        snapshot_after_commit(c, 0, survivor);
        snapshot_after_commit(c, 0, duplicate);
        *out = json_pack("{s:I,s:I,s:I,s:O,s:O,s:O}", "id", (json_int_t)merge_id, "survivor_id",
                         (json_int_t)survivor, "duplicate_id", (json_int_t)duplicate, "fields",
                         decided, "moved", counts, "consents_added", consents);
    }
out:
    if (rc)
        store_rollback(c->st);
    free(refs);
    json_decref(srow);
    json_decref(drow);
    json_decref(decided);
    json_decref(values);
    json_decref(pair);
    json_decref(moved);
    json_decref(replaced);
    json_decref(consents);
    json_decref(counts);
    return rc;
}

/* -------------------------------------------------------------------- undo */

static int undo_replaced(struct ctx *c, struct refs *refs, const json_t *entry, int64_t s,
                         int64_t d)
{
    const char *table = json_string_value(json_object_get(entry, "table"));
    const struct ref *f = NULL;
    for (int i = 0; i < refs->n && !f; i++)
        if (strcmp(refs->v[i].table, table) == 0)
            f = &refs->v[i];
    if (!f)
        return fail(c, ERR_CONFLICT, table, "table %s is gone from the schema", table);
    char where[512], sql[1024];
    where_any(f, where, sizeof(where));
    snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE %s", f->table, where);
    int rc = store_run(c->st, NULL, &c->err, sql, "ii", s, d);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(entry, "rows"), i, r)
    {
        if (rc)
            break;
        rc = row_insert(c, f->table, r);
    }
    return rc;
}

static int undo_moved(struct ctx *c, const json_t *entry, int64_t d)
{
    const char *table = json_string_value(json_object_get(entry, "table"));
    const char *col = json_string_value(json_object_get(entry, "column"));
    if (!rows_ident_ok(table) || !rows_ident_ok(col))
        return fail(c, ERR_INTERNAL, "", "bad merge record");
    char sql[256];
    snprintf(sql, sizeof(sql), "UPDATE \"%s\" SET \"%s\" = ? WHERE id = ?", table, col);
    int rc = 0;
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(entry, "ids"), i, id)
    {
        if (rc)
            break;
        rc = store_run(c->st, NULL, &c->err, sql, "ii", d, (int64_t)json_integer_value(id));
    }
    return rc;
}

int merge_undo(struct ctx *c, int64_t id, json_t **out)
{
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    json_t *rows = NULL, *rec = NULL;
    struct refs *refs = calloc(1, sizeof(*refs));
    rc = refs ? rows_json(c, "SELECT * FROM merges WHERE id = ?1 AND ?2 = ?2", id, id, &rows)
              : fail(c, ERR_INTERNAL, "", "out of memory");
    json_t *m = rc ? NULL : json_array_get(rows, 0);
    if (!rc && !m)
        rc = fail(c, ERR_NOTFOUND, "id", "no merge %lld", (long long)id);
    if (!rc && !json_is_null(json_object_get(m, "undone_at")))
        rc = fail(c, ERR_CONFLICT, "id", "merge %lld was undone already", (long long)id);
    int64_t s = m ? json_integer_value(json_object_get(m, "survivor_id")) : 0;
    int64_t d = m ? json_integer_value(json_object_get(m, "duplicate_id")) : 0;
    int64_t version = 0;
    if (!rc)
        rc = store_int(c->st, &version, &c->err, "SELECT version FROM customers WHERE id = ?", "i",
                       s);
    if (!rc && version != json_integer_value(json_object_get(m, "survivor_version")))
        rc = fail(c, ERR_CONFLICT, "id",
                  "customer %lld changed since the merge; undoing would lose those changes",
                  (long long)s);
    if (!rc && !(rec = json_loads(json_string_value(json_object_get(m, "record")), 0, NULL)))
        rc = fail(c, ERR_INTERNAL, "", "bad merge record");
    if (!rc)
        rc = load_refs(c, refs);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(rec, "replaced"), i, e)
    {
        if (rc)
            break;
        rc = undo_replaced(c, refs, e, s, d);
    }
    json_array_foreach(json_object_get(rec, "moved"), i, e)
    {
        if (rc)
            break;
        rc = undo_moved(c, e, d);
    }
    /* the ledger keeps the merge's decisions; the survivor's earlier state
     * is appended again (none: withdrawn, the restrictive side) */
    char proof[64];
    snprintf(proof, sizeof(proof), "undo of merge %lld", (long long)id);
    json_array_foreach(json_object_get(rec, "consents"), i, e)
    {
        if (rc)
            break;
        int before = (int)json_integer_value(json_object_get(e, "before"));
        int granted = (int)json_integer_value(json_object_get(e, "granted"));
        if (before == granted)
            continue;
        rc = append_consent(c, s, json_string_value(json_object_get(e, "channel")),
                            json_string_value(json_object_get(e, "purpose")), before == 1,
                            "consent", "merge undo", proof);
    }
    /* the duplicate first: it may hold the external id back */
    json_t *cust = json_object_get(rec, "customers");
    if (!rc)
        rc = row_update(c, "customers", json_array_get(cust, 1));
    if (!rc)
        rc = row_update(c, "customers", json_array_get(cust, 0));
    json_t *pair = json_object_get(rec, "pair");
    if (!rc && json_is_object(pair)) {
        rc = store_run(c->st, NULL, &c->err, "DELETE FROM duplicate_pairs WHERE a = ? AND b = ?",
                       "ii", (int64_t)json_integer_value(json_object_get(pair, "a")),
                       (int64_t)json_integer_value(json_object_get(pair, "b")));
        if (!rc)
            rc = row_insert(c, "duplicate_pairs", pair);
    }
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE merges SET undone_at = ?, undone_by = ? WHERE id = ?", "iIi",
                       time_now(), c->actor.user_id ? c->actor.user_id : INT64_MIN, id);
    if (!rc)
        rc = audit_record(c, "unmerge", "customer", s, NULL, json_array_get(cust, 0));
    if (!rc)
        rc = audit_record(c, "unmerge", "customer", d, NULL, json_array_get(cust, 1));
    if (!rc) {
        json_t *ev = json_pack("{s:I,s:I,s:I}", "merge_id", (json_int_t)id, "survivor_id",
                               (json_int_t)s, "duplicate_id", (json_int_t)d);
        rc = event_emit(c, "customer.unmerged", s, "merge", id, ev, NULL);
        json_decref(ev);
    }
    if (!rc)
        rc = store_commit(c->st, &c->err);
    else
        store_rollback(c->st);
    if (!rc) {
        snapshot_after_commit(c, 0, s);
        snapshot_after_commit(c, 0, d);
        *out = json_pack("{s:I,s:I,s:I,s:b}", "id", (json_int_t)id, "survivor_id", (json_int_t)s,
                         "duplicate_id", (json_int_t)d, "undone", 1);
    }
    free(refs);
    json_decref(rows);
    json_decref(rec);
    return rc;
}

int merge_list(struct ctx *c, int64_t customer_id, int limit, json_t **out)
{
    json_t *rows = NULL;
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT id, survivor_id, duplicate_id, at, user_id, fields, undone_at FROM merges "
             "WHERE (?1 = 0 OR survivor_id = ?1 OR duplicate_id = ?1) AND ?2 = ?2 ORDER BY id "
             "DESC LIMIT %d",
             limit > 0 && limit <= 500 ? limit : 100);
    int rc = rows_json(c, sql, customer_id, customer_id, &rows);
    if (rc)
        return rc;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        char ts[TIME_BUF];
        json_t *f = json_loads(json_string_value(json_object_get(r, "fields")), 0, NULL);
        json_object_set_new(r, "fields", f ? f : json_object());
        json_object_set_new(r, "at", json_string(time_format(
                                         json_integer_value(json_object_get(r, "at")), ts,
                                         sizeof(ts))));
        json_t *u = json_object_get(r, "undone_at");
        if (json_is_integer(u))
            json_object_set_new(r, "undone_at",
                                json_string(time_format(json_integer_value(u), ts, sizeof(ts))));
    }
    *out = json_pack("{s:o}", "items", rows);
    return 0;
}
