/* Data quality report (see quality.h). */
#include "app/quality.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "util/timeu.h"
#include "util/validate.h"

#define SAMPLE 20 /* ids listed per kind of problem */

#define LIVE "merged_into IS NULL AND erased_at IS NULL"

static const struct fieldset {
    const char *kind; /* customers of this kind */
    const char *cols[16];
} completeness[] = {
    {"person",
     {"first_name", "last_name", "email", "phone", "birth_date", "sex", "occupation",
      "income_band", "housing", "language", "preferred_channel", NULL}},
    {"organization",
     {"name", "email", "phone", "naf_code", "headcount", "company_revenue_minor", "language",
      NULL}},
};

static int complete(struct ctx *c, json_t *out)
{
    json_t *res = json_object();
    int rc = 0;
    for (size_t k = 0; !rc && k < sizeof(completeness) / sizeof(completeness[0]); k++) {
        const struct fieldset *fs = &completeness[k];
        char sql[2048];
        size_t n = (size_t)snprintf(sql, sizeof(sql), "SELECT COUNT(*)");
        int ncols = 0;
        for (; fs->cols[ncols]; ncols++)
            n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", COUNT(%s)", fs->cols[ncols]);
        n += (size_t)snprintf(sql + n, sizeof(sql) - n,
                              ", COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM customer_addresses a "
                              "WHERE a.customer_id = customers.id)) FROM customers WHERE kind = ? "
                              "AND " LIVE);
        struct stmt *s = NULL;
        rc = store_query(c->st, &s, &c->err, sql, "s", fs->kind);
        if (rc)
            break;
        if ((rc = stmt_step(s, &c->err)) == 1) {
            int64_t total = stmt_int(s, 0);
            json_t *fields = json_object();
            for (int i = 0; i <= ncols; i++) {
                int64_t filled = stmt_int(s, 1 + i);
                json_object_set_new(fields, i < ncols ? fs->cols[i] : "address",
                                    json_pack("{s:I,s:f}", "filled", (json_int_t)filled, "share",
                                              total ? (double)filled / (double)total : 0.0));
            }
            json_object_set_new(res, fs->kind,
                                json_pack("{s:I,s:o}", "customers", (json_int_t)total, "fields",
                                          fields));
            rc = 0;
        }
        stmt_done(s);
    }
    json_object_set_new(out, "completeness", res);
    return rc;
}

struct problem {
    int64_t count;
    json_t *sample;
};

static void note(struct problem *p, int64_t id)
{
    if (p->count++ < SAMPLE)
        json_array_append_new(p->sample, json_integer(id));
}

static json_t *problem_json(struct problem *p, const char *what)
{
    return json_pack("{s:s,s:I,s:o}", "problem", what, "count", (json_int_t)p->count, "sample_ids",
                     p->sample);
}

/* Values stored before a rule existed, or by a bulk load, can still be bad:
 * each is checked again with today's validators. */
static int invalid(struct ctx *c, json_t *out)
{
    struct problem email = {0, json_array()}, phone = {0, json_array()},
                   postal = {0, json_array()}, birth = {0, json_array()};
    char today[11];
    date_format((int32_t)(time_now() / 86400), today, sizeof(today));
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT c.id, e.email FROM customer_emails e JOIN customers c ON c.id = "
                         "e.customer_id WHERE c." LIVE " ORDER BY c.id",
                         "");
    while (rc >= 0 && s && (rc = stmt_step(s, &c->err)) == 1) {
        char norm[255];
        if (email_normalize(stmt_text(s, 1), norm) != 0)
            note(&email, stmt_int(s, 0));
    }
    if (s)
        stmt_done(s);
    s = NULL;
    if (rc >= 0)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT c.id, p.phone FROM customer_phones p JOIN customers c ON c.id = "
                         "p.customer_id WHERE c." LIVE " ORDER BY c.id",
                         "");
    while (rc >= 0 && s && (rc = stmt_step(s, &c->err)) == 1) {
        char norm[17];
        if (phone_normalize(stmt_text(s, 1), c->app->cfg.default_country, norm) != 0 ||
            strcmp(norm, stmt_text(s, 1)) != 0)
            note(&phone, stmt_int(s, 0));
    }
    if (s)
        stmt_done(s);
    s = NULL;
    if (rc >= 0)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT c.id, a.country, a.postal_code FROM customer_addresses a JOIN "
                         "customers c ON c.id = a.customer_id WHERE c." LIVE
                         " AND a.postal_code IS NOT NULL AND a.country IS NOT NULL ORDER BY c.id",
                         "");
    while (rc >= 0 && s && (rc = stmt_step(s, &c->err)) == 1)
        if (!postal_valid(stmt_text(s, 1), stmt_text(s, 2)))
            note(&postal, stmt_int(s, 0));
    if (s)
        stmt_done(s);
    s = NULL;
    if (rc >= 0)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT id, birth_date FROM customers WHERE " LIVE
                         " AND birth_date IS NOT NULL AND (birth_date > ? OR birth_date < "
                         "'1900-01-01') ORDER BY id",
                         "s", today);
    while (rc >= 0 && s && (rc = stmt_step(s, &c->err)) == 1)
        note(&birth, stmt_int(s, 0));
    if (s)
        stmt_done(s);
    json_object_set_new(out, "invalid",
                        json_pack("[o,o,o,o]", problem_json(&email, "email not valid"),
                                  problem_json(&phone, "phone not in E.164"),
                                  problem_json(&postal, "postal code not valid for its country"),
                                  problem_json(&birth, "birth date in the future or before 1900")));
    return rc < 0 ? rc : 0;
}

static int stale(struct ctx *c, int months, json_t *out)
{
    int64_t cutoff = time_now() - (int64_t)months * 30 * 86400;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT COUNT(*) FILTER (WHERE COALESCE(identity_updated_at, created_at) "
                         "< ?1), COUNT(*) FILTER (WHERE COALESCE(contact_updated_at, created_at) < "
                         "?1), COUNT(*) FILTER (WHERE COALESCE(socio_updated_at, created_at) < ?1), "
                         "COUNT(*) FILTER (WHERE COALESCE(prefs_updated_at, created_at) < ?1), "
                         "COUNT(*) FILTER (WHERE updated_at < ?1) FROM customers WHERE kind <> "
                         "'guest' AND " LIVE,
                         "i", cutoff);
    if (rc)
        return rc;
    if ((rc = stmt_step(s, &c->err)) == 1) {
        json_object_set_new(out, "stale",
                            json_pack("{s:i,s:I,s:I,s:I,s:I,s:I}", "months", months, "identity",
                                      (json_int_t)stmt_int(s, 0), "contact",
                                      (json_int_t)stmt_int(s, 1), "socio",
                                      (json_int_t)stmt_int(s, 2), "preferences",
                                      (json_int_t)stmt_int(s, 3), "whole_record",
                                      (json_int_t)stmt_int(s, 4)));
        rc = 0;
    }
    stmt_done(s);
    return rc;
}

static int duplicates(struct ctx *c, json_t *out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT COUNT(*) FILTER (WHERE status = 'open'), COUNT(*) FILTER (WHERE "
                         "status = 'open' AND score >= 0.9), MAX(found_at) FROM duplicate_pairs",
                         "");
    if (rc)
        return rc;
    if ((rc = stmt_step(s, &c->err)) == 1) {
        char ts[TIME_BUF];
        json_object_set_new(out, "duplicates",
                            json_pack("{s:I,s:I,s:s?}", "open_pairs", (json_int_t)stmt_int(s, 0),
                                      "likely_pairs", (json_int_t)stmt_int(s, 1), "last_scan",
                                      stmt_isnull(s, 2) ? NULL
                                                        : time_format(stmt_int(s, 2), ts, sizeof(ts))));
        rc = 0;
    }
    stmt_done(s);
    return rc;
}

static int expired(struct ctx *c, json_t *out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT src.id, src.kind, src.name, src.expires_at, COUNT(cu.id) FROM "
                         "sources src JOIN customers cu ON cu.source_id = src.id AND cu."
                         "merged_into IS NULL AND cu.erased_at IS NULL WHERE src.expires_at IS NOT "
                         "NULL AND src.expires_at < ? GROUP BY src.id ORDER BY src.expires_at",
                         "i", time_now());
    if (rc)
        return rc;
    json_t *list = json_array();
    int64_t total = 0;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        char ts[TIME_BUF];
        total += stmt_int(s, 4);
        json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:s,s:I}", "source_id",
                                              (json_int_t)stmt_int(s, 0), "kind", stmt_text(s, 1),
                                              "name", stmt_text(s, 2), "expired_at",
                                              time_format(stmt_int(s, 3), ts, sizeof(ts)),
                                              "customers", (json_int_t)stmt_int(s, 4)));
    }
    stmt_done(s);
    json_object_set_new(out, "expired_sources",
                        json_pack("{s:I,s:o}", "customers", (json_int_t)total, "sources", list));
    return rc < 0 ? rc : 0;
}

int quality_report(struct ctx *c, int stale_months, json_t **out)
{
    if (stale_months < 1 || stale_months > 240)
        return fail(c, ERR_INVALID, "stale_months", "between 1 and 240");
    json_t *o = json_object();
    char ts[TIME_BUF];
    json_object_set_new(o, "as_of", json_string(time_format(time_now(), ts, sizeof(ts))));
    int rc = complete(c, o);
    if (!rc)
        rc = invalid(c, o);
    if (!rc)
        rc = stale(c, stale_months, o);
    if (!rc)
        rc = duplicates(c, o);
    if (!rc)
        rc = expired(c, o);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}
