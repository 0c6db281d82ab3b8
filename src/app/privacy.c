/* Privacy rights (see privacy.h). */
#include "app/privacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/audit.h"
#include "app/events.h"
#include "app/rows.h"
#include "app/snapshot.h"
#include "store/store.h"
#include "util/timeu.h"

/* Every (table, column) of the schema pointing at customers. */
struct refs {
    char table[128][64];
    char column[128][64];
    int n;
};

static int ref_add(const char *table, const char *column, int has_id, void *arg)
{
    struct refs *r = arg;
    if (r->n == 128 || !rows_ident_ok(table) || !rows_ident_ok(column))
        return ERR_INTERNAL;
    snprintf(r->table[r->n], sizeof(r->table[0]), "%s", table);
    snprintf(r->column[r->n], sizeof(r->column[0]), "%s", column);
    r->n++;
    return 0;
}

static int load_refs(struct ctx *c, struct refs *r)
{
    r->n = 0;
    int rc = store_references(c->st, "customers", ref_add, r, &c->err);
    return rc && !c->err.kind ? fail(c, ERR_INTERNAL, "", "schema references not readable") : rc;
}

/* ------------------------------------------------------------------ export */

int privacy_export(struct ctx *c, int64_t id, json_t **out)
{
    struct refs *r = calloc(1, sizeof(*r));
    if (!r)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    json_t *cust = NULL, *records = json_object(), *audit = NULL;
    int rc = rows_json(c, "SELECT * FROM customers WHERE id = ?1 AND ?2 = ?2", id, id, &cust);
    if (!rc && !json_array_size(cust))
        rc = fail(c, ERR_NOTFOUND, "id", "no customer %lld", (long long)id);
    if (!rc)
        rc = load_refs(c, r);
    for (int i = 0; !rc && i < r->n; i++) {
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" WHERE \"%s\" = ?1 AND ?2 = ?2",
                 r->table[i], r->column[i]);
        json_t *rows = NULL;
        rc = rows_json(c, sql, id, id, &rows);
        if (!rc && json_array_size(rows)) {
            char key[140];
            /* a table pointing at customers twice lists both ways */
            if (json_object_get(records, r->table[i]))
                snprintf(key, sizeof(key), "%s.%s", r->table[i], r->column[i]);
            else
                snprintf(key, sizeof(key), "%s", r->table[i]);
            json_object_set_new(records, key, rows);
        } else {
            json_decref(rows);
        }
    }
    if (!rc)
        rc = rows_json(c,
                       "SELECT at, actor, action, before_json, after_json FROM audit_log WHERE "
                       "entity = 'customer' AND entity_id = ?1 AND ?2 = ?2 ORDER BY id",
                       id, id, &audit);
    if (!rc) {
        char ts[TIME_BUF];
        *out = json_pack("{s:s,s:O,s:O,s:O}", "exported_at",
                         time_format(time_now(), ts, sizeof(ts)), "customer",
                         json_array_get(cust, 0), "records", records, "audit", audit);
        rc = audit_record(c, "export", "customer", id, NULL, NULL);
    }
    json_decref(cust);
    json_decref(records);
    json_decref(audit);
    free(r);
    return rc;
}

/* ------------------------------------------------------------------- erase */

/* Records kept, de-identified by the erasure of the customer row they point
 * at: orders and contracts for accounting, the consent ledger as proof,
 * the requests made through the portal, the campaign log for the
 * marketing-pressure history. */
static int kept(const char *table)
{
    static const char *const keep[] = {"orders",          "order_lines",
                                       "contracts",       "consents",
                                       "portal_requests", "campaign_recipients",
                                       "loyalty_members", NULL};
    for (int i = 0; keep[i]; i++)
        if (!strcmp(keep[i], table))
            return 1;
    return 0;
}

/* Personal columns of the customer row, emptied. */
#define ERASE_CUSTOMER                                                                             \
    "UPDATE customers SET external_id = NULL, first_name = NULL, last_name = NULL, name = NULL, "  \
    "email = NULL, phone = NULL, birth_date = NULL, sex = NULL, occupation = NULL, income_band = " \
    "NULL, housing = NULL, language = NULL, preferred_channel = NULL, quiet_hours_start = NULL, "  \
    "quiet_hours_end = NULL, callback_requested_at = NULL, category_spend_minor = NULL, custom = " \
    "'{}', erased_at = ?1, updated_at = ?1, version = version + 1 WHERE id = ?2"

/* Deletes the rows of every table pointing at the customer but the kept
 * ones. Tables depend on each other (a ticket's messages before the
 * ticket), so a table whose delete is refused is tried again on the next
 * pass. */
static int remove_records(struct ctx *c, const struct refs *r, int64_t id, json_t *removed)
{
    char done[128] = {0};
    int left = 0;
    for (int pass = 0; pass < 6; pass++) {
        left = 0;
        for (int i = 0; i < r->n; i++) {
            if (done[i] || kept(r->table[i]))
                continue;
            char sql[256];
            snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE \"%s\" = ?", r->table[i],
                     r->column[i]);
            int64_t n = 0;
            int rc = store_begin(c->st, &c->err);
            if (!rc)
                rc = store_run(c->st, &n, &c->err, sql, "i", id);
            if (rc == ERR_INVALID) { /* still referenced: next pass */
                store_rollback(c->st);
                err_clear(&c->err);
                left = i + 1;
                continue;
            }
            if (rc) {
                store_rollback(c->st);
                return rc;
            }
            rc = store_commit(c->st, &c->err);
            if (rc)
                return rc;
            done[i] = 1;
            if (n) {
                json_int_t had = json_integer_value(json_object_get(removed, r->table[i]));
                json_object_set_new(removed, r->table[i], json_integer(had + n));
            }
        }
        if (!left)
            return 0;
    }
    return fail(c, ERR_CONFLICT, r->table[left - 1],
                "the records of %s could not be removed (still referenced)", r->table[left - 1]);
}

static int erase_in_txn(struct ctx *c, int64_t id, const char *reason, json_t *removed)
{
    int64_t erased = 0, merged = 0;
    int rc = store_int(c->st, &erased, &c->err,
                       "SELECT COALESCE(erased_at, 0) FROM customers WHERE id = ?", "i", id);
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_NOTFOUND, "id", "no customer %lld", (long long)id);
    if (!rc)
        rc = store_int(c->st, &merged, &c->err,
                       "SELECT COALESCE(merged_into, 0) FROM customers WHERE id = ?", "i", id);
    if (rc)
        return rc;
    if (erased || merged)
        return fail(c, ERR_CONFLICT, "id", "customer %lld was %s already", (long long)id,
                    erased ? "erased" : "merged into another");
    struct refs *r = calloc(1, sizeof(*r));
    if (!r)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    rc = load_refs(c, r);
    if (!rc)
        rc = remove_records(c, r, id, removed);
    free(r);
    int64_t now = time_now();
    if (!rc) /* events about the person carry what was seen and searched */
        rc = store_run(c->st, NULL, &c->err, "DELETE FROM events WHERE customer_id = ?", "i", id);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err, ERASE_CUSTOMER, "ii", now, id);
    if (!rc) /* the audit trail keeps who did what, not the data */
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE audit_log SET before_json = CASE WHEN before_json IS NULL THEN "
                       "NULL ELSE '{\"erased\":true}' END, after_json = CASE WHEN after_json IS "
                       "NULL THEN NULL ELSE '{\"erased\":true}' END WHERE (entity = 'customer' AND "
                       "entity_id = ?1) OR json_extract(before_json, '$.customer_id') = ?1 OR "
                       "json_extract(after_json, '$.customer_id') = ?1",
                       "i", id);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO erasures(customer_id, at, user_id, reason) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (customer_id) DO UPDATE SET at = excluded.at",
                       "iiIs", id, now, c->actor.user_id ? c->actor.user_id : INT64_MIN, reason);
    json_t *why = json_pack("{s:s}", "reason", reason);
    if (!rc)
        rc = audit_record(c, "erase", "customer", id, NULL, why);
    if (!rc)
        rc = event_emit(c, "customer.erased", 0, "customer", id, why, NULL);
    json_decref(why);
    return rc;
}

int privacy_erase(struct ctx *c, int64_t id, const char *reason, json_t **out)
{
    if (!reason || !*reason)
        reason = "erasure request";
    json_t *removed = json_object();
    int rc = store_begin(c->st, &c->err);
    if (!rc) {
        rc = erase_in_txn(c, id, reason, removed);
        if (rc)
            store_rollback(c->st);
        else
            rc = store_commit(c->st, &c->err);
    }
    if (!rc) {
        snapshot_after_commit(c, 0, id);
        if (out) {
            char ts[TIME_BUF];
            *out = json_pack("{s:I,s:s,s:O,s:[s,s,s,s]}", "id", (json_int_t)id, "erased_at",
                             time_format(time_now(), ts, sizeof(ts)), "removed", removed, "kept",
                             "orders", "contracts", "consents", "campaign history");
        }
    }
    json_decref(removed);
    return rc;
}

/* ------------------------------------------------- after a restore, retention */

static int ids_of(struct ctx *c, const char *sql, int64_t arg, int64_t **ids, size_t *n)
{
    struct stmt *s = NULL;
    *ids = NULL;
    *n = 0;
    int rc = store_query(c->st, &s, &c->err, sql, "i", arg);
    if (rc)
        return rc;
    size_t cap = 0;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *t = realloc(*ids, cap * sizeof(*t));
            if (!t) {
                rc = fail(c, ERR_INTERNAL, "", "out of memory");
                break;
            }
            *ids = t;
        }
        (*ids)[(*n)++] = stmt_int(s, 0);
    }
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

int privacy_erased_ids(struct ctx *c, int64_t **ids, size_t *n)
{
    return ids_of(c, "SELECT customer_id FROM erasures WHERE ? = 0 ORDER BY 1", 0, ids, n);
}

int privacy_reapply(struct ctx *c, const int64_t *known, size_t nknown, int64_t *count)
{
    int64_t *ids = NULL;
    size_t n = 0;
    *count = 0;
    int rc = 0;
    /* erasures the restored database does not know of join its log first */
    for (size_t i = 0; !rc && i < nknown; i++)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO erasures(customer_id, at, reason) VALUES (?, ?, 'erased "
                       "after this backup was taken') ON CONFLICT (customer_id) DO NOTHING",
                       "ii", known[i], time_now());
    if (!rc)
        rc = ids_of(c,
                    "SELECT e.customer_id FROM erasures e JOIN customers c ON c.id = "
                    "e.customer_id WHERE c.erased_at IS NULL AND c.merged_into IS NULL AND ? = 0",
                    0, &ids, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        rc = privacy_erase(c, ids[i], "erased before this backup was restored", NULL);
        if (!rc)
            (*count)++;
    }
    free(ids);
    return rc;
}

int privacy_retention(struct ctx *c, int months, int dry_run, json_t **out)
{
    if (months < 1 || months > 1200)
        return fail(c, ERR_INVALID, "months", "between 1 and 1200");
    int64_t cutoff = time_now() - (int64_t)months * 30 * 86400;
    int64_t *ids = NULL;
    size_t n = 0;
    /* a prospect: never bought, no contract; inactive: no change, no
     * interaction and no event since the cutoff */
    int rc = ids_of(c,
                    "SELECT c.id FROM customers c WHERE c.orders_count = 0 AND c.kind <> 'guest' "
                    "AND c.erased_at IS NULL AND c.merged_into IS NULL AND c.updated_at < ?1 AND "
                    "NOT EXISTS (SELECT 1 FROM contracts k WHERE k.customer_id = c.id) AND NOT "
                    "EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id) AND NOT EXISTS "
                    "(SELECT 1 FROM interactions i WHERE i.customer_id = c.id AND i.at >= ?1) AND "
                    "NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_id = c.id AND e.at >= ?1) "
                    "ORDER BY c.id",
                    cutoff, &ids, &n);
    size_t erased = 0;
    for (size_t i = 0; !rc && !dry_run && i < n; i++) {
        char why[64];
        snprintf(why, sizeof(why), "retention: inactive prospect for %d months", months);
        rc = privacy_erase(c, ids[i], why, NULL);
        if (!rc)
            erased++;
    }
    if (!rc) {
        char ts[TIME_BUF];
        json_t *sample = json_array();
        for (size_t i = 0; i < n && i < 20; i++)
            json_array_append_new(sample, json_integer(ids[i]));
        *out = json_pack("{s:i,s:s,s:I,s:I,s:o,s:b}", "months", months, "cutoff",
                         time_format(cutoff, ts, sizeof(ts)), "prospects", (json_int_t)n, "erased",
                         (json_int_t)erased, "sample_ids", sample, "dry_run", dry_run);
    }
    free(ids);
    return rc;
}
