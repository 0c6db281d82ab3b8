/*
 * Customers service (see customers.h). Create and update share one path:
 * the stored customer is merged with the input, validated, and written with
 * fixed statements; child lists given in the input replace the stored ones.
 */
#include "app/customers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/analytics.h"
#include "app/audit.h"
#include "app/bulk.h"
#include "app/visibility.h"
#include "store/store.h"
#include "util/text.h"
#include "util/timeu.h"
#include "util/validate.h"

#define KINDS "person|organization|guest"
#define SOURCE_KINDS "internal|form|store|web|api|import|bought|rented|exchanged"

static const struct field email_fields[] = {
    {"email", FT_EMAIL, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"label", FT_STRING, FF_NULLABLE, 40, NULL, NULL, "home, work…"},
    {"primary", FT_BOOL, 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
static const struct field phone_fields[] = {
    {"phone", FT_PHONE, FF_REQUIRED, 0, NULL, NULL, "normalised to E.164"},
    {"label", FT_STRING, FF_NULLABLE, 40, NULL, NULL, "mobile, home, work…"},
    {"primary", FT_BOOL, 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
static const struct field address_fields[] = {
    {"label", FT_STRING, FF_NULLABLE, 40, NULL, NULL, NULL},
    {"line1", FT_STRING, FF_NULLABLE, 200, NULL, NULL, NULL},
    {"line2", FT_STRING, FF_NULLABLE, 200, NULL, NULL, NULL},
    {"postal_code", FT_STRING, FF_NULLABLE, 12, NULL, NULL, "checked per country"},
    {"city", FT_STRING, FF_NULLABLE, 100, NULL, NULL, NULL},
    {"region", FT_STRING, FF_NULLABLE, 100, NULL, NULL, NULL},
    {"country", FT_COUNTRY, FF_NULLABLE, 0, NULL, NULL, "ISO 3166-1 alpha-2"},
    {"primary", FT_BOOL, 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
static const struct field source_fields[] = {
    {"kind", FT_ENUM, FF_REQUIRED, 0, SOURCE_KINDS, NULL, "where the record comes from"},
    {"name", FT_STRING, FF_REQUIRED, 200, NULL, NULL, "file or form name"},
    {"terms", FT_TEXT, FF_NULLABLE, 2000, NULL, NULL, "usage terms of a rented file"},
    {"expires_at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, "end of the right to use"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* Scalar fields stored in a customers column of the same name. */
enum { S_TEXT, S_INT, S_DATE, S_TIME, S_JSON };
static const struct scalar {
    const char *name;
    int storage;
    char group; /* i identity, c contact, s socio, b business, p preferences */
} scalars[] = {
    {"external_id", S_TEXT, 'i'},
    {"first_name", S_TEXT, 'i'},
    {"last_name", S_TEXT, 'i'},
    {"name", S_TEXT, 'i'},
    {"email", S_TEXT, 'c'},
    {"phone", S_TEXT, 'c'},
    {"birth_date", S_DATE, 's'},
    {"sex", S_TEXT, 's'},
    {"occupation", S_TEXT, 's'},
    {"income_band", S_TEXT, 's'},
    {"housing", S_TEXT, 's'},
    {"company_revenue_minor", S_INT, 'b'},
    {"naf_code", S_TEXT, 'b'},
    {"headcount", S_INT, 'b'},
    {"language", S_TEXT, 'p'},
    {"preferred_channel", S_TEXT, 'p'},
    {"quiet_hours_start", S_TEXT, 'p'},
    {"quiet_hours_end", S_TEXT, 'p'},
    {"callback_requested_at", S_TIME, 'p'},
    {"category_spend_minor", S_INT, 'b'},
    {"owner_id", S_INT, 'i'},
    {"team", S_TEXT, 'i'},
    {"custom", S_JSON, 'i'},
};
#define NSCALARS ((int)(sizeof(scalars) / sizeof(scalars[0])))

const struct field customer_fields[] = {
    {"kind", FT_ENUM, FF_REQUIRED, 0, KINDS, NULL, "person (B2C), organization (B2B) or guest"},
    {"external_id", FT_STRING, FF_NULLABLE, 100, NULL, NULL, "id in another system; unique"},
    {"first_name", FT_STRING, FF_NULLABLE, 100, NULL, NULL, NULL},
    {"last_name", FT_STRING, FF_NULLABLE, 100, NULL, NULL, NULL},
    {"name", FT_STRING, FF_NULLABLE, 200, NULL, NULL, "organisation name"},
    {"email", FT_EMAIL, FF_NULLABLE, 0, NULL, NULL, "primary e-mail"},
    {"phone", FT_PHONE, FF_NULLABLE, 0, NULL, NULL, "primary phone, stored as E.164"},
    {"emails", FT_OBJECTS, 0, 10, NULL, email_fields, "all e-mail addresses"},
    {"phones", FT_OBJECTS, 0, 10, NULL, phone_fields, "all phone numbers"},
    {"addresses", FT_OBJECTS, 0, 10, NULL, address_fields, "postal addresses"},
    {"birth_date", FT_DATE, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"sex", FT_ENUM, FF_NULLABLE, 0, "female|male|other|unknown", NULL, NULL},
    {"occupation", FT_STRING, FF_NULLABLE, 60, NULL, NULL, "occupation category (CSP)"},
    {"income_band", FT_ENUM, FF_NULLABLE, 0, "low|lower_middle|middle|upper_middle|high", NULL,
     NULL},
    {"housing", FT_ENUM, FF_NULLABLE, 0, "owner|tenant|lodged|other", NULL, NULL},
    {"company_revenue_minor", FT_MONEY, FF_NULLABLE, 0, NULL, NULL, "B2B annual revenue"},
    {"naf_code", FT_STRING, FF_NULLABLE, 10, NULL, NULL, "APE/NAF activity code, e.g. 47.71Z"},
    {"headcount", FT_INT, FF_NULLABLE, 10000000, NULL, NULL, NULL},
    {"language", FT_ENUM, FF_NULLABLE, 0, "fr|en|de|es|it|nl|pt", NULL, NULL},
    {"preferred_channel", FT_ENUM, FF_NULLABLE, 0, "email|sms|phone|mail|store|none", NULL, NULL},
    {"quiet_hours_start", FT_STRING, FF_NULLABLE, 5, NULL, NULL, "HH:MM"},
    {"quiet_hours_end", FT_STRING, FF_NULLABLE, 5, NULL, NULL, "HH:MM"},
    {"callback_requested_at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, "asked to be called back"},
    {"category_spend_minor", FT_MONEY, FF_NULLABLE, 0, NULL, NULL,
     "declared or estimated spend in the category (share of wallet)"},
    {"owner_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "user who owns the customer"},
    {"team", FT_STRING, FF_NULLABLE, 60, NULL, NULL, NULL},
    {"tags", FT_STRINGS, 0, 50, NULL, NULL, NULL},
    {"interests", FT_STRINGS, 0, 50, NULL, NULL, "centres of interest (psychographic)"},
    {"custom", FT_OBJECT, FF_NULLABLE, 16384, NULL, NULL, "custom attributes"},
    {"source", FT_RECORD, FF_NULLABLE, 0, NULL, source_fields, "provenance of the record"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* ---------------------------------------------------------------- lifecycle */

const char *customer_lifecycle(const struct config *cfg, int64_t now, int64_t orders,
                               int64_t first_at, int64_t last_at, int all_contracts_cancelled)
{
    if (all_contracts_cancelled)
        return "former";
    if (orders <= 0)
        return "prospect";
    if (last_at < now - (int64_t)cfg->lost_after_days * 86400)
        return "former";
    if (last_at < now - (int64_t)cfg->inactive_after_days * 86400)
        return "inactive";
    if (first_at >= now - (int64_t)cfg->new_within_days * 86400)
        return "new";
    return "active";
}

/* ------------------------------------------------------------------ reading */

static json_t *jtext(struct stmt *s, int col)
{
    return stmt_isnull(s, col) ? json_null() : json_string(stmt_text(s, col));
}

static json_t *jint(struct stmt *s, int col)
{
    return stmt_isnull(s, col) ? json_null() : json_integer(stmt_int(s, col));
}

static json_t *jtime(struct stmt *s, int col)
{
    char ts[TIME_BUF];
    return stmt_isnull(s, col) ? json_null()
                               : json_string(time_format(stmt_int(s, col), ts, sizeof(ts)));
}

static json_t *display_name(const char *kind, const char *first, const char *last, const char *name,
                            const char *email, int64_t id)
{
    char buf[256];
    if (strcmp(kind, "organization") == 0 && name && *name)
        return json_string(name);
    if ((first && *first) || (last && *last)) {
        snprintf(buf, sizeof(buf), "%s%s%s", first ? first : "", first && *first && last ? " " : "",
                 last ? last : "");
        return json_string(buf);
    }
    if (name && *name)
        return json_string(name);
    if (email && *email)
        return json_string(email);
    snprintf(buf, sizeof(buf), "%s #%lld", strcmp(kind, "guest") == 0 ? "Guest" : "Customer",
             (long long)id);
    return json_string(buf);
}

static int all_contracts_cancelled(struct ctx *c, int64_t id)
{
    int64_t total = 0, cancelled = 0;
    struct stmt *s = NULL;
    if (store_query(
            c->st, &s, NULL,
            "SELECT COUNT(*), SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) FROM "
            "contracts WHERE customer_id = ?",
            "i",
            id))
        return 0;
    if (stmt_step(s, NULL) == 1) {
        total = stmt_int(s, 0);
        cancelled = stmt_int(s, 1);
    }
    stmt_done(s);
    return total > 0 && total == cancelled;
}

/* Appends rows of a child query as objects with the given column names. */
static int child_list(struct ctx *c, json_t *obj, const char *key, const char *sql, int64_t id,
                      const char *const *names, const char *types)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, sql, "i", id);
    if (rc)
        return rc;
    json_t *arr = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (!names) {
            json_array_append_new(arr, json_string(stmt_text(s, 0)));
            continue;
        }
        json_t *o = json_object();
        for (int i = 0; names[i]; i++) {
            json_t *v;
            switch (types[i]) {
            case 'b':
                v = json_boolean(stmt_int(s, i));
                break;
            case 'i':
                v = jint(s, i);
                break;
            case 't':
                v = jtime(s, i);
                break;
            default:
                v = jtext(s, i);
            }
            json_object_set_new(o, names[i], v);
        }
        json_array_append_new(arr, o);
    }
    stmt_done(s);
    json_object_set_new(obj, key, arr);
    return rc < 0 ? rc : 0;
}

#define CUSTOMER_COLS                                                                              \
    "kind, external_id, first_name, last_name, name, email, phone, birth_date, sex, occupation, "  \
    "income_band, housing, company_revenue_minor, naf_code, headcount, language, "                 \
    "preferred_channel, quiet_hours_start, quiet_hours_end, callback_requested_at, "               \
    "category_spend_minor, owner_id, team, custom, orders_count, revenue_minor, currency, "        \
    "first_order_at, last_order_at, source_id, created_at, updated_at, version, "                  \
    "identity_updated_at, contact_updated_at, socio_updated_at, company_updated_at, "              \
    "prefs_updated_at, merged_into, erased_at"

int customer_exists(struct ctx *c, int64_t id)
{
    int64_t one = 0;
    int rc = store_int(c->st, &one, &c->err,
                       "SELECT 1 FROM customers WHERE id = ? AND merged_into IS NULL", "i", id);
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_NOTFOUND, "customer_id", "no customer %lld", (long long)id);
    return rc;
}

/* The stored profile without the computed scores (what writes, audits and
 * imports compare); customer_get adds the scores. */
static int profile_load(struct ctx *c, int64_t id, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, "SELECT " CUSTOMER_COLS " FROM customers WHERE id = ?",
                         "i", id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc <= 0) {
        stmt_done(s);
        return rc < 0 ? rc : fail(c, ERR_NOTFOUND, "id", "no customer %lld", (long long)id);
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(id));
    json_object_set_new(o, "kind", jtext(s, 0));
    for (int i = 0; i < NSCALARS; i++) {
        const struct scalar *sc = &scalars[i];
        int col = i + 1;
        json_t *v;
        if (sc->storage == S_INT)
            v = jint(s, col);
        else if (sc->storage == S_TIME)
            v = jtime(s, col);
        else if (sc->storage == S_JSON)
            v = stmt_isnull(s, col) ? json_object() : json_loads(stmt_text(s, col), 0, NULL);
        else
            v = jtext(s, col);
        json_object_set_new(o, sc->name, v ? v : json_null());
    }
    int base = NSCALARS + 1;
    int64_t orders = stmt_int(s, base), first = stmt_int(s, base + 3), last = stmt_int(s, base + 4);
    json_object_set_new(o, "stats",
                        json_pack("{s:I,s:I,s:o,s:o,s:o}", "orders", (json_int_t)orders,
                                  "revenue_minor", (json_int_t)stmt_int(s, base + 1), "currency",
                                  jtext(s, base + 2), "first_order_at", jtime(s, base + 3),
                                  "last_order_at", jtime(s, base + 4)));
    int64_t source_id = stmt_isnull(s, base + 5) ? 0 : stmt_int(s, base + 5);
    json_object_set_new(o, "created_at", jtime(s, base + 6));
    json_object_set_new(o, "updated_at", jtime(s, base + 7));
    json_object_set_new(o, "version", json_integer(stmt_int(s, base + 8)));
    json_object_set_new(o, "field_updated_at",
                        json_pack("{s:o,s:o,s:o,s:o,s:o}", "identity", jtime(s, base + 9),
                                  "contact", jtime(s, base + 10), "socio", jtime(s, base + 11),
                                  "company", jtime(s, base + 12), "preferences",
                                  jtime(s, base + 13)));
    json_object_set_new(o, "merged_into", jint(s, base + 14));
    json_object_set_new(o, "erased_at", jtime(s, base + 15));
    json_object_set_new(o, "preferences",
                        json_pack("{s:O,s:O,s:O,s:O,s:O}", "preferred_channel",
                                  json_object_get(o, "preferred_channel"), "quiet_hours_start",
                                  json_object_get(o, "quiet_hours_start"), "quiet_hours_end",
                                  json_object_get(o, "quiet_hours_end"), "callback_requested_at",
                                  json_object_get(o, "callback_requested_at"), "language",
                                  json_object_get(o, "language")));
    json_object_set_new(o, "display_name",
                        display_name(json_string_value(json_object_get(o, "kind")),
                                     json_string_value(json_object_get(o, "first_name")),
                                     json_string_value(json_object_get(o, "last_name")),
                                     json_string_value(json_object_get(o, "name")),
                                     json_string_value(json_object_get(o, "email")), id));
    stmt_done(s);
    json_object_set_new(o, "lifecycle",
                        json_string(customer_lifecycle(&c->app->cfg, time_now(), orders, first,
                                                       last, all_contracts_cancelled(c, id))));

    static const char *const email_names[] = {"email", "label", "primary", NULL};
    static const char *const phone_names[] = {"phone", "label", "primary", NULL};
    static const char *const addr_names[] = {"label",  "line1",   "line2",   "postal_code", "city",
                                             "region", "country", "primary", NULL};
    static const char *const flag_names[] = {"flag", "reason", "at", NULL};
    static const char *const consent_names[] = {"channel",     "purpose", "granted", "at",
                                                "legal_basis", "source",  NULL};
    rc = child_list(c, o, "emails",
                    "SELECT email, label, is_primary FROM customer_emails WHERE customer_id = ? "
                    "ORDER BY is_primary DESC, id",
                    id, email_names, "ssb");
    if (!rc)
        rc =
            child_list(c, o, "phones",
                       "SELECT phone, label, is_primary FROM customer_phones WHERE customer_id = ? "
                       "ORDER BY is_primary DESC, id",
                       id, phone_names, "ssb");
    if (!rc)
        rc = child_list(c, o, "addresses",
                        "SELECT label, line1, line2, postal_code, city, region, country, "
                        "is_primary FROM customer_addresses WHERE customer_id = ? ORDER BY "
                        "is_primary DESC, id",
                        id, addr_names, "sssssssb");
    if (!rc)
        rc = child_list(c, o, "tags",
                        "SELECT tag FROM customer_tags WHERE customer_id = ? ORDER BY tag", id,
                        NULL, NULL);
    if (!rc)
        rc = child_list(c, o, "interests",
                        "SELECT interest FROM customer_interests WHERE customer_id = ? ORDER BY "
                        "noted_at, interest",
                        id, NULL, NULL);
    if (!rc)
        rc = child_list(c, o, "flags",
                        "SELECT flag, reason, set_at FROM customer_flags WHERE customer_id = ? "
                        "ORDER BY flag",
                        id, flag_names, "sst");
    if (!rc)
        rc = child_list(c, o, "consents",
                        "SELECT channel, purpose, granted, at, legal_basis, source FROM consents k "
                        "WHERE customer_id = ? AND id = (SELECT MAX(id) FROM consents k2 WHERE "
                        "k2.customer_id = k.customer_id AND k2.channel = k.channel AND k2.purpose "
                        "= k.purpose) ORDER BY channel, purpose",
                        id, consent_names, "ssbtss");
    static const char *const rel_names[] = {"related_id", "kind", "direction", "display_name",
                                            NULL};
    if (!rc)
        rc = child_list(
            c, o, "relations",
            "SELECT r.related_id, r.kind, 'to', COALESCE(NULLIF(TRIM(COALESCE(o.first_name, '') || "
            "' ' || "
            "COALESCE(o.last_name, '')), ''), o.name, o.email) FROM customer_relations r JOIN "
            "customers o ON o.id = r.related_id WHERE r.customer_id = ?1 UNION ALL SELECT "
            "r.customer_id, r.kind, 'from', COALESCE(NULLIF(TRIM(COALESCE(o.first_name, '') || ' ' "
            "|| "
            "COALESCE(o.last_name, '')), ''), o.name, o.email) FROM customer_relations r JOIN "
            "customers o ON o.id = r.customer_id WHERE r.related_id = ?1",
            id, rel_names, "isss");
    if (!rc) {
        json_t *src = json_null();
        if (source_id) {
            static const char *const src_names[] = {"kind", "name", "terms", "expires_at", NULL};
            json_t *tmp = json_object();
            rc = child_list(c, tmp, "s",
                            "SELECT kind, name, terms, expires_at FROM sources WHERE id = ?",
                            source_id, src_names, "ssst");
            json_t *first_src = json_array_get(json_object_get(tmp, "s"), 0);
            if (first_src)
                src = json_incref(first_src);
            json_decref(tmp);
        }
        json_object_set_new(o, "source", src);
    }
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

int customer_get(struct ctx *c, int64_t id, json_t **out)
{
    int rc = profile_load(c, id, out);
    if (!rc)
        analytics_customer_scores(c, id, *out);
    return rc;
}

int customer_profile(struct ctx *c, int64_t id, json_t **out)
{
    return profile_load(c, id, out);
}

/* ------------------------------------------------------------------ writing */

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Checks what the field table cannot: identity present, formats per country,
 * a primary e-mail and phone consistent with the lists. Normalises e-mails
 * and phones in place. */
static int check_customer(struct ctx *c, json_t *m)
{
    const char *kind = jstr(m, "kind");
    const char *first = jstr(m, "first_name"), *last = jstr(m, "last_name"),
               *name = jstr(m, "name"), *email = jstr(m, "email");
    if (strcmp(kind, "organization") == 0 && !(name && *name))
        return fail(c, ERR_INVALID, "name", "an organisation needs a name");
    if (strcmp(kind, "person") == 0 && !(first && *first) && !(last && *last) &&
        !(email && *email) && !(name && *name))
        return fail(c, ERR_INVALID, "last_name", "a person needs a name or an e-mail address");
    const char *country = c->app->cfg.default_country;
    json_t *addrs = json_object_get(m, "addresses");
    size_t i;
    json_t *a;
    json_array_foreach(addrs, i, a)
    {
        const char *cc = jstr(a, "country"), *pc = jstr(a, "postal_code");
        if (i == 0 && cc)
            country = cc;
        if (pc && *pc && !postal_valid(cc ? cc : c->app->cfg.default_country, pc)) {
            char f[64];
            snprintf(f, sizeof(f), "addresses[%zu].postal_code", i);
            return fail(c, ERR_INVALID, f, "not a valid postal code for %s",
                        cc ? cc : c->app->cfg.default_country);
        }
    }
    char buf[255];
    if (email) {
        email_normalize(email, buf);
        json_object_set_new(m, "email", json_string(buf));
    }
    json_t *emails = json_object_get(m, "emails");
    json_array_foreach(emails, i, a)
    {
        email_normalize(jstr(a, "email"), buf);
        json_object_set_new(a, "email", json_string(buf));
    }
    const char *phone = jstr(m, "phone");
    char ph[17];
    if (phone) {
        if (phone_normalize(phone, country, ph))
            return fail(c, ERR_INVALID, "phone", "not a valid phone number for %s", country);
        json_object_set_new(m, "phone", json_string(ph));
    }
    json_t *phones = json_object_get(m, "phones");
    json_array_foreach(phones, i, a)
    {
        if (phone_normalize(jstr(a, "phone"), country, ph)) {
            char f[64];
            snprintf(f, sizeof(f), "phones[%zu].phone", i);
            return fail(c, ERR_INVALID, f, "not a valid phone number for %s", country);
        }
        json_object_set_new(a, "phone", json_string(ph));
    }
    const char *qh[] = {"quiet_hours_start", "quiet_hours_end"};
    for (int k = 0; k < 2; k++) {
        const char *v = jstr(m, qh[k]);
        if (v && !(strlen(v) == 5 && v[2] == ':' && v[0] >= '0' && v[0] <= '2' && v[1] >= '0' &&
                   v[1] <= '9' && v[3] >= '0' && v[3] <= '5' && v[4] >= '0' && v[4] <= '9' &&
                   (v[0] - '0') * 10 + (v[1] - '0') < 24))
            return fail(c, ERR_INVALID, qh[k], "must be a time HH:MM");
    }
    int64_t owner = json_integer_value(json_object_get(m, "owner_id"));
    if (owner) {
        int64_t one;
        if (store_int(c->st, &one, NULL, "SELECT 1 FROM users WHERE id = ?", "i", owner))
            return fail(c, ERR_INVALID, "owner_id", "no user %lld", (long long)owner);
    }
    return 0;
}

/* Makes the primary e-mail/phone and the lists agree: the primary shortcut is
 * in the list (first, marked primary); without a shortcut the list's primary
 * (or first) entry becomes it. */
static void sync_primary(json_t *m, const char *one, const char *many)
{
    json_t *list = json_object_get(m, many);
    const char *v = jstr(m, one);
    if (!list) {
        list = json_array();
        json_object_set_new(m, many, list);
    }
    size_t i;
    json_t *it;
    if (v) {
        int found = 0;
        json_array_foreach(list, i, it)
        {
            int same = strcmp(jstr(it, one), v) == 0;
            json_object_set_new(it, "primary", json_boolean(same && !found));
            found |= same;
        }
        if (!found)
            json_array_insert_new(list, 0,
                                  json_pack("{s:s,s:n,s:b}", one, v, "label", "primary", 1));
        return;
    }
    json_t *pick = NULL;
    json_array_foreach(list, i, it) if (json_is_true(json_object_get(it, "primary")) && !pick)
        pick = it;
    if (!pick)
        pick = json_array_get(list, 0);
    json_array_foreach(list, i, it) json_object_set_new(it, "primary", json_boolean(it == pick));
    if (pick)
        json_object_set(m, one, json_object_get(pick, one));
}

struct terms_ctx {
    struct ctx *c;
    int64_t id;
    int rc;
};

static void add_term(const char *term, void *arg)
{
    struct terms_ctx *t = arg;
    if (t->rc)
        return;
    t->rc = store_run(t->c->st, NULL, &t->c->err,
                      "INSERT INTO customer_terms(term, customer_id) VALUES (?, ?) ON CONFLICT DO "
                      "NOTHING",
                      "si",
                      term, t->id);
}

static void phone_terms(const char *e164, void (*fn)(const char *term, void *arg), void *arg)
{
    if (!e164 || e164[0] != '+')
        return;
    fn(e164 + 1, arg);
    /* the national form most people type: 33612345678 → 0612345678 */
    if (strncmp(e164, "+33", 3) == 0 || strncmp(e164, "+44", 3) == 0) {
        char nat[20];
        snprintf(nat, sizeof(nat), "0%s", e164 + 3);
        fn(nat, arg);
    }
}

/* Calls fn for every search term of the customer m (may repeat a term). */
static void each_term(const json_t *m, void (*fn)(const char *term, void *arg), void *arg)
{
    const char *words[] = {"first_name", "last_name", "name", "external_id"};
    for (int i = 0; i < 4; i++)
        if (jstr(m, words[i]))
            text_words(jstr(m, words[i]), fn, arg);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(m, "emails"), i, it) text_words(jstr(it, "email"), fn, arg);
    json_array_foreach(json_object_get(m, "phones"), i, it) phone_terms(jstr(it, "phone"), fn, arg);
    json_array_foreach(json_object_get(m, "addresses"), i, it)
    {
        if (jstr(it, "city"))
            text_words(jstr(it, "city"), fn, arg);
        if (jstr(it, "postal_code"))
            text_words(jstr(it, "postal_code"), fn, arg);
    }
}

static int write_terms(struct ctx *c, int64_t id, const json_t *m)
{
    int rc = store_run(c->st, NULL, &c->err, "DELETE FROM customer_terms WHERE customer_id = ?",
                       "i", id);
    if (rc)
        return rc;
    struct terms_ctx t = {c, id, 0};
    each_term(m, add_term, &t);
    return t.rc;
}

static int write_children(struct ctx *c, int64_t id, const json_t *m, const json_t *in)
{
    int rc = 0;
    size_t i;
    json_t *it;
    int64_t now = time_now();
    if (json_object_get(in, "emails") || json_object_get(in, "email")) {
        rc = store_run(c->st, NULL, &c->err, "DELETE FROM customer_emails WHERE customer_id = ?",
                       "i", id);
        json_array_foreach(json_object_get(m, "emails"), i, it)
        {
            if (rc)
                break;
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO customer_emails(customer_id, email, label, is_primary) "
                           "VALUES (?, ?, ?, ?)",
                           "issi", id, jstr(it, "email"), jstr(it, "label"),
                           (int64_t)json_is_true(json_object_get(it, "primary")));
        }
    }
    if (!rc && (json_object_get(in, "phones") || json_object_get(in, "phone"))) {
        rc = store_run(c->st, NULL, &c->err, "DELETE FROM customer_phones WHERE customer_id = ?",
                       "i", id);
        json_array_foreach(json_object_get(m, "phones"), i, it)
        {
            if (rc)
                break;
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO customer_phones(customer_id, phone, label, is_primary) "
                           "VALUES (?, ?, ?, ?)",
                           "issi", id, jstr(it, "phone"), jstr(it, "label"),
                           (int64_t)json_is_true(json_object_get(it, "primary")));
        }
    }
    if (!rc && json_object_get(in, "addresses")) {
        rc = store_run(c->st, NULL, &c->err, "DELETE FROM customer_addresses WHERE customer_id = ?",
                       "i", id);
        json_array_foreach(json_object_get(m, "addresses"), i, it)
        {
            if (rc)
                break;
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO customer_addresses(customer_id, label, line1, line2, "
                           "postal_code, city, region, country, is_primary) VALUES (?, ?, ?, ?, ?, "
                           "?, ?, ?, ?)",
                           "isssssssi", id, jstr(it, "label"), jstr(it, "line1"), jstr(it, "line2"),
                           jstr(it, "postal_code"), jstr(it, "city"), jstr(it, "region"),
                           jstr(it, "country"), (int64_t)(i == 0));
        }
    }
    if (!rc && json_object_get(in, "tags")) {
        rc = store_run(c->st, NULL, &c->err, "DELETE FROM customer_tags WHERE customer_id = ?", "i",
                       id);
        json_array_foreach(json_object_get(m, "tags"), i, it)
        {
            if (rc)
                break;
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO customer_tags(customer_id, tag) VALUES (?, ?) ON CONFLICT "
                           "DO NOTHING",
                           "is", id, json_string_value(it));
        }
    }
    if (!rc && json_object_get(in, "interests")) {
        rc = store_run(c->st, NULL, &c->err, "DELETE FROM customer_interests WHERE customer_id = ?",
                       "i", id);
        json_array_foreach(json_object_get(m, "interests"), i, it)
        {
            if (rc)
                break;
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO customer_interests(customer_id, interest, noted_at) "
                           "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                           "isi", id, json_string_value(it), now);
        }
    }
    return rc;
}

static int source_id_of(struct ctx *c, const json_t *src, int64_t *out)
{
    *out = 0;
    if (!src || json_is_null(src))
        return 0;
    int64_t exp = INT64_MIN;
    const char *e = jstr(src, "expires_at");
    if (e)
        time_parse(e, &exp);
    int rc = store_run(
        c->st, NULL, &c->err,
        "INSERT INTO sources(kind, name, terms, expires_at, created_at) VALUES (?, ?, "
        "?, ?, ?) ON CONFLICT(kind, name) DO UPDATE SET terms = "
        "COALESCE(excluded.terms, sources.terms), expires_at = "
        "COALESCE(excluded.expires_at, sources.expires_at)",
        "sssIi", jstr(src, "kind"), jstr(src, "name"), jstr(src, "terms"), exp, time_now());
    if (rc)
        return rc;
    return store_int(c->st, out, &c->err, "SELECT id FROM sources WHERE kind = ? AND name = ?",
                     "ss", jstr(src, "kind"), jstr(src, "name"));
}

/* Binds the scalar columns of m in scalars[] order into args (NSCALARS). */
static int scalar_args(struct ctx *c, const json_t *m, struct bindv *args, char **custom_out)
{
    for (int i = 0; i < NSCALARS; i++) {
        const struct scalar *sc = &scalars[i];
        json_t *v = json_object_get(m, sc->name);
        struct bindv *b = &args[i];
        memset(b, 0, sizeof(*b));
        b->type = 'n';
        if (!v || json_is_null(v)) {
            if (sc->storage == S_JSON) {
                b->type = 's';
                b->s = "{}";
            }
            continue;
        }
        switch (sc->storage) {
        case S_INT:
            b->type = 'i';
            b->i = json_integer_value(v);
            break;
        case S_TIME:
            b->type = 'i';
            if (time_parse(json_string_value(v), &b->i))
                return fail(c, ERR_INVALID, sc->name, "not a valid date-time");
            break;
        case S_JSON:
            *custom_out = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
            b->type = 's';
            b->s = *custom_out;
            break;
        default:
            b->type = 's';
            b->s = json_string_value(v);
        }
    }
    return 0;
}

struct customer_batch;
static int batch_source(struct customer_batch *b, const json_t *src, int64_t *out);
static int batch_queue(struct customer_batch *b, int64_t id, json_t *m, int64_t src, int64_t now);
static int64_t batch_next_id(const struct customer_batch *b);

/* Writes the customer row; its child rows and terms are written at once, or
 * queued in batch (a bulk create) to be written with the batch's rows. */
static int write_customer(struct ctx *c, int64_t id, json_t *m, const json_t *in, int creating,
                          struct customer_batch *batch, int64_t *out_id)
{
    int64_t now = time_now(), src = 0;
    int rc = 0;
    if (json_object_get(in, "source"))
        rc = batch ? batch_source(batch, json_object_get(m, "source"), &src)
                   : source_id_of(c, json_object_get(m, "source"), &src);
    if (rc)
        return rc;
    int64_t next = batch ? batch_next_id(batch) : 0;
    if (creating && next) {
        /* bulk on SQLite: the row too is written with the batch, under the
         * id SQLite would pick (the import holds the write lock) */
        *out_id = next;
        return batch_queue(batch, next, m, src, now);
    }
    struct bindv args[NSCALARS + 12];
    char *custom = NULL;
    rc = scalar_args(c, m, args, &custom);
    if (rc)
        goto out;
    int n = NSCALARS;
    /* field-group times: set where the input touches the group */
    const char groups[] = "icsbp";
    for (int g = 0; g < 5; g++) {
        int touched = creating;
        for (int i = 0; i < NSCALARS && !touched; i++)
            touched = scalars[i].group == groups[g] && json_object_get(in, scalars[i].name);
        if (groups[g] == 'c' && !touched)
            touched = json_object_get(in, "emails") || json_object_get(in, "phones") ||
                      json_object_get(in, "addresses");
        args[n++] = touched ? (struct bindv){'i', now, 0, NULL} : (struct bindv){'n', 0, 0, NULL};
    }
    args[n++] = (struct bindv){'s', 0, 0, jstr(m, "kind")};
    args[n++] = src ? (struct bindv){'i', src, 0, NULL} : (struct bindv){'n', 0, 0, NULL};
    args[n++] = (struct bindv){'i', now, 0, NULL};
    struct stmt *s = NULL;
    args[n] = (struct bindv){'i', now, 0, NULL}; /* created_at when creating */
    if (creating) {
        rc = store_queryv(
            c->st, &s, &c->err,
            "INSERT INTO customers(external_id, first_name, last_name, name, email, phone, "
            "birth_date, sex, occupation, income_band, housing, company_revenue_minor, naf_code, "
            "headcount, language, preferred_channel, quiet_hours_start, quiet_hours_end, "
            "callback_requested_at, category_spend_minor, owner_id, team, custom, "
            "identity_updated_at, contact_updated_at, socio_updated_at, company_updated_at, "
            "prefs_updated_at, kind, source_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            args, n + 1);
    } else {
        args[n++] = (struct bindv){'i', id, 0, NULL};
        rc = store_queryv(
            c->st, &s, &c->err,
            "UPDATE customers SET external_id = ?, first_name = ?, last_name = ?, name = ?, email "
            "= ?, phone = ?, birth_date = ?, sex = ?, occupation = ?, income_band = ?, housing = "
            "?, company_revenue_minor = ?, naf_code = ?, headcount = ?, language = ?, "
            "preferred_channel = ?, quiet_hours_start = ?, quiet_hours_end = ?, "
            "callback_requested_at = ?, category_spend_minor = ?, owner_id = ?, team = ?, custom "
            "= ?, identity_updated_at = COALESCE(?, identity_updated_at), contact_updated_at = "
            "COALESCE(?, contact_updated_at), socio_updated_at = COALESCE(?, socio_updated_at), "
            "company_updated_at = COALESCE(?, company_updated_at), prefs_updated_at = COALESCE(?, "
            "prefs_updated_at), kind = ?, source_id = COALESCE(?, source_id), updated_at = ?, "
            "version = version + 1 WHERE id = ? RETURNING id",
            args, n);
    }
    if (rc)
        goto out;
    rc = stmt_step(s, &c->err);
    if (rc == 1) {
        id = stmt_int(s, 0);
        while ((rc = stmt_step(s, &c->err)) == 1)
            ;
    }
    stmt_done(s);
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "external_id", "another customer has this external id");
    if (rc)
        goto out;
    *out_id = id;
    if (batch) {
        rc = batch_queue(batch, id, m, 0, 0);
        goto out;
    }
    rc = write_children(c, id, m, in);
    if (!rc)
        rc = write_terms(c, id, m);
out:
    free(custom);
    return rc;
}

/* Copies the writable fields of a stored customer (as customer_get returns
 * it) so the input can be laid over it. */
static json_t *writable_copy(const json_t *full)
{
    json_t *m = json_object();
    for (const struct field *f = customer_fields; f->name; f++) {
        json_t *v = json_object_get(full, f->name);
        if (v)
            json_object_set_new(m, f->name, json_deep_copy(v));
    }
    return m;
}

static int save(struct ctx *c, int64_t id, const json_t *in, int64_t if_version, int64_t *id_out,
                json_t **out)
{
    int creating = id == 0;
    int rc = fields_check(customer_fields, in, creating ? FIELDS_CREATE : FIELDS_UPDATE, &c->err);
    if (rc)
        return rc;
    json_t *before = NULL, *m = NULL, *after = NULL;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    if (!creating) {
        rc = profile_load(c, id, &before);
        if (rc)
            goto out;
        if (!json_is_null(json_object_get(before, "merged_into")) ||
            !json_is_null(json_object_get(before, "erased_at"))) {
            rc = fail(c, ERR_CONFLICT, "id", "this customer was merged or erased");
            goto out;
        }
        if (if_version > 0 &&
            json_integer_value(json_object_get(before, "version")) != if_version) {
            rc = fail(c, ERR_CONFLICT, "version",
                      "the customer changed since you read it (version %lld, now %lld)",
                      (long long)if_version,
                      (long long)json_integer_value(json_object_get(before, "version")));
            goto out;
        }
        m = writable_copy(before);
    } else {
        m = json_object();
    }
    json_object_update(m, (json_t *)in);
    /* lists given in the input replace the stored ones; the primary follows */
    if (json_object_get(in, "emails") && !json_object_get(in, "email"))
        json_object_del(m, "email");
    if (json_object_get(in, "phones") && !json_object_get(in, "phone"))
        json_object_del(m, "phone");
    rc = check_customer(c, m);
    if (rc)
        goto out;
    sync_primary(m, "email", "emails");
    sync_primary(m, "phone", "phones");
    int64_t new_id = 0;
    rc = write_customer(c, id, m, in, creating, NULL, &new_id);
    if (rc)
        goto out;
    /* a create nobody reads back (an import) is audited with what was
     * written, without reading the profile again */
    if (creating && !out)
        after = json_incref(m);
    else
        rc = profile_load(c, new_id, &after);
    if (!rc)
        rc = audit_record(c, creating ? "create" : "update", "customer", new_id, before, after);
    if (rc)
        goto out;
    rc = store_commit(c->st, &c->err);
    if (rc)
        goto out;
    if (id_out)
        *id_out = new_id;
    if (out) {
        analytics_customer_scores(c, new_id, after);
        *out = after;
        after = NULL;
    }
out:
    if (rc)
        store_rollback(c->st);
    json_decref(before);
    json_decref(m);
    json_decref(after);
    return rc;
}

int customer_create(struct ctx *c, const json_t *in, int64_t *id, json_t **out)
{
    return save(c, 0, in, 0, id, out);
}

int customer_update(struct ctx *c, int64_t id, const json_t *in, int64_t if_version, json_t **out)
{
    return save(c, id, in, if_version, NULL, out);
}

/* -------------------------------------------------------------- bulk create */

struct bterm {
    uint64_t key; /* the first 8 bytes, big-endian: most comparisons end here */
    char t[64];
    int64_t id;
};

struct customer_batch {
    struct ctx *c;
    char *file;
    int cap, n;
    json_t **rows; /* the normalised customers queued, with their ids and lines */
    int64_t *ids;
    int64_t *src, *at; /* at: when created, 0 when the row is already written */
    long *lines;
    char *src_kind, *src_name; /* the last source resolved, and its id */
    int64_t src_id;
    struct bterm *terms;
    size_t nterms, capterms;
    int64_t term_id; /* the customer whose terms are being gathered */
    int64_t next_id; /* SQLite: the id of the next customer; 0: RETURNING */
    struct bindv *args;
    size_t nargs, capargs;
    int oom;
};

int customer_batch_new(struct ctx *c, const char *file, int size, struct customer_batch **out)
{
    struct customer_batch *b = calloc(1, sizeof(*b));
    if (b) {
        b->c = c;
        b->cap = size > 0 ? size : 5000;
        b->file = strdup(file ? file : "");
        b->rows = calloc((size_t)b->cap, sizeof(*b->rows));
        b->ids = calloc((size_t)b->cap, sizeof(*b->ids));
        b->lines = calloc((size_t)b->cap, sizeof(*b->lines));
        b->src = calloc((size_t)b->cap, sizeof(*b->src));
        b->at = calloc((size_t)b->cap, sizeof(*b->at));
    }
    if (!b || !b->file || !b->rows || !b->ids || !b->lines || !b->src || !b->at) {
        customer_batch_free(b);
        return fail(c, ERR_INTERNAL, "", "out of memory");
    }
    int rc = 0;
    if (!strcmp(store_backend(c->st), "sqlite"))
        rc = store_int(c->st, &b->next_id, &c->err,
                       "SELECT COALESCE(MAX(id), 0) + 1 FROM customers", "");
    if (rc) {
        customer_batch_free(b);
        return rc;
    }
    *out = b;
    return 0;
}

static void batch_clear(struct customer_batch *b)
{
    for (int i = 0; i < b->n; i++)
        json_decref(b->rows[i]);
    b->n = 0;
    b->nterms = 0;
    b->nargs = 0;
}

void customer_batch_free(struct customer_batch *b)
{
    if (!b)
        return;
    batch_clear(b);
    free(b->file);
    free(b->rows);
    free(b->ids);
    free(b->lines);
    free(b->src);
    free(b->at);
    free(b->src_kind);
    free(b->src_name);
    free(b->terms);
    free(b->args);
    free(b);
}

int customer_batch_holds(const struct customer_batch *b, int64_t id)
{
    return b && b->n > 0 && id >= b->ids[0];
}

/* The source of a batch's rows is resolved once (an import names one). */
static int batch_source(struct customer_batch *b, const json_t *src, int64_t *out)
{
    const char *kind = jstr(src, "kind"), *name = jstr(src, "name");
    if (b->src_id && kind && name && !strcmp(kind, b->src_kind) && !strcmp(name, b->src_name)) {
        *out = b->src_id;
        return 0;
    }
    int rc = source_id_of(b->c, src, out);
    if (rc || !*out || !kind || !name)
        return rc;
    free(b->src_kind);
    free(b->src_name);
    b->src_kind = strdup(kind);
    b->src_name = strdup(name);
    b->src_id = b->src_kind && b->src_name ? *out : 0;
    return 0;
}

static int64_t batch_next_id(const struct customer_batch *b)
{
    return b->next_id;
}

/* Queues a customer written (src, now: 0) or to write with the batch. */
static int batch_queue(struct customer_batch *b, int64_t id, json_t *m, int64_t src, int64_t now)
{
    if (b->next_id)
        b->next_id = id + 1;
    b->src[b->n] = src;
    b->at[b->n] = now;
    b->rows[b->n] = json_incref(m);
    b->ids[b->n++] = id;
    return 0;
}

int customer_batch_add(struct customer_batch *b, const json_t *in, long line, int64_t *id)
{
    struct ctx *c = b->c;
    int rc = fields_check(customer_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    if (b->n == b->cap && (rc = customer_batch_flush(b)))
        return rc;
    json_t *m = json_object();
    json_object_update(m, (json_t *)in);
    rc = check_customer(c, m);
    if (!rc) {
        sync_primary(m, "email", "emails");
        sync_primary(m, "phone", "phones");
        b->lines[b->n] = line;
        rc = write_customer(c, 0, m, in, 1, b, id);
    }
    json_decref(m);
    return rc;
}

static void arg(struct customer_batch *b, struct bindv v)
{
    if (b->nargs == b->capargs) {
        size_t cap = b->capargs ? b->capargs * 2 : 4096;
        struct bindv *a = realloc(b->args, cap * sizeof(*a));
        if (!a) {
            b->oom = 1;
            return;
        }
        b->args = a;
        b->capargs = cap;
    }
    b->args[b->nargs++] = v;
}

static void arg_text(struct customer_batch *b, const char *s)
{
    arg(b, s ? (struct bindv){'s', 0, 0, s} : (struct bindv){'n', 0, 0, NULL});
}

static void arg_int(struct customer_batch *b, int64_t i)
{
    arg(b, (struct bindv){'i', i, 0, NULL});
}

/* Inserts the rows gathered in b->args (ncols values each). */
static int insert_rows(struct customer_batch *b, const char *head, const char *tail, int ncols)
{
    if (b->oom)
        return fail(b->c, ERR_INTERNAL, "", "out of memory");
    int rc = bulk_insert(b->c, head, tail, ncols, b->args, b->nargs / (size_t)ncols);
    b->nargs = 0;
    return rc;
}

static void batch_term(const char *term, void *arg)
{
    struct customer_batch *b = arg;
    if (b->nterms == b->capterms) {
        size_t cap = b->capterms ? b->capterms * 2 : 4096;
        struct bterm *t = realloc(b->terms, cap * sizeof(*t));
        if (!t) {
            b->oom = 1;
            return;
        }
        b->terms = t;
        b->capterms = cap;
    }
    struct bterm *t = &b->terms[b->nterms++];
    size_t len = strnlen(term, sizeof(t->t) - 1);
    memcpy(t->t, term, len);
    t->t[len] = 0;
    t->key = 0;
    for (size_t i = 0; i < 8; i++)
        t->key = t->key << 8 | (i < len ? (unsigned char)term[i] : 0);
    t->id = b->term_id;
}

static int bterm_cmp(const void *pa, const void *pb)
{
    const struct bterm *a = *(const struct bterm *const *)pa, *b = *(const struct bterm *const *)pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    int d = strcmp(a->t, b->t);
    return d ? d : (a->id > b->id) - (a->id < b->id);
}

int customer_batch_flush(struct customer_batch *b)
{
    struct ctx *c = b->c;
    if (!b->n)
        return 0;
    int rc = 0;
    size_t i;
    json_t *it;
    /* the customers rows not written yet (SQLite), with their ids */
    char **customs = calloc((size_t)b->n, sizeof(*customs));
    int ncustoms = 0;
    if (!customs)
        rc = fail(c, ERR_INTERNAL, "", "out of memory");
    for (int r = 0; !rc && r < b->n; r++) {
        if (!b->at[r])
            continue;
        struct bindv v[NSCALARS];
        char *custom = NULL;
        rc = scalar_args(c, b->rows[r], v, &custom);
        for (int k = 0; k < NSCALARS; k++)
            arg(b, v[k]);
        for (int k = 0; k < 5; k++) /* every field group is set at creation */
            arg_int(b, b->at[r]);
        arg_text(b, jstr(b->rows[r], "kind"));
        if (b->src[r])
            arg_int(b, b->src[r]);
        else
            arg_text(b, NULL);
        arg_int(b, b->at[r]);
        arg_int(b, b->at[r]);
        arg_int(b, b->ids[r]);
        if (custom) /* bound until the insert below */
            customs[ncustoms++] = custom;
    }
    if (!rc && b->nargs)
        rc = insert_rows(b,
                         "INSERT INTO customers(external_id, first_name, last_name, name, email, "
                         "phone, birth_date, sex, occupation, income_band, housing, "
                         "company_revenue_minor, naf_code, headcount, language, preferred_channel, "
                         "quiet_hours_start, quiet_hours_end, callback_requested_at, "
                         "category_spend_minor, owner_id, team, custom, identity_updated_at, "
                         "contact_updated_at, socio_updated_at, company_updated_at, "
                         "prefs_updated_at, kind, source_id, updated_at, created_at, id) VALUES ",
                         "", NSCALARS + 10);
    for (int k = 0; k < ncustoms; k++)
        free(customs[k]);
    free(customs);
    if (rc) {
        batch_clear(b);
        return rc;
    }
    for (int r = 0; r < b->n; r++)
        json_array_foreach(json_object_get(b->rows[r], "emails"), i, it)
        {
            arg_int(b, b->ids[r]);
            arg_text(b, jstr(it, "email"));
            arg_text(b, jstr(it, "label"));
            arg_int(b, json_is_true(json_object_get(it, "primary")));
        }
    rc = insert_rows(b, "INSERT INTO customer_emails(customer_id, email, label, is_primary) VALUES ",
                     "", 4);
    for (int r = 0; !rc && r < b->n; r++)
        json_array_foreach(json_object_get(b->rows[r], "phones"), i, it)
        {
            arg_int(b, b->ids[r]);
            arg_text(b, jstr(it, "phone"));
            arg_text(b, jstr(it, "label"));
            arg_int(b, json_is_true(json_object_get(it, "primary")));
        }
    if (!rc)
        rc = insert_rows(
            b, "INSERT INTO customer_phones(customer_id, phone, label, is_primary) VALUES ", "", 4);
    for (int r = 0; !rc && r < b->n; r++)
        json_array_foreach(json_object_get(b->rows[r], "addresses"), i, it)
        {
            arg_int(b, b->ids[r]);
            static const char *const cols[] = {"label", "line1",  "line2",  "postal_code",
                                               "city",  "region", "country"};
            for (int k = 0; k < 7; k++)
                arg_text(b, jstr(it, cols[k]));
            arg_int(b, i == 0);
        }
    if (!rc)
        rc = insert_rows(b,
                         "INSERT INTO customer_addresses(customer_id, label, line1, line2, "
                         "postal_code, city, region, country, is_primary) VALUES ",
                         "", 9);
    for (int r = 0; !rc && r < b->n; r++)
        json_array_foreach(json_object_get(b->rows[r], "tags"), i, it)
        {
            arg_int(b, b->ids[r]);
            arg_text(b, json_string_value(it));
        }
    if (!rc)
        rc = insert_rows(b, "INSERT INTO customer_tags(customer_id, tag) VALUES ",
                         " ON CONFLICT DO NOTHING", 2);
    int64_t now = time_now();
    for (int r = 0; !rc && r < b->n; r++)
        json_array_foreach(json_object_get(b->rows[r], "interests"), i, it)
        {
            arg_int(b, b->ids[r]);
            arg_text(b, json_string_value(it));
            arg_int(b, now);
        }
    if (!rc)
        rc = insert_rows(b, "INSERT INTO customer_interests(customer_id, interest, noted_at) VALUES ",
                         " ON CONFLICT DO NOTHING", 3);
    /* search terms in key order: neighbouring inserts touch the same pages */
    for (int r = 0; !rc && r < b->n; r++) {
        b->term_id = b->ids[r];
        each_term(b->rows[r], batch_term, b);
    }
    /* sorted through pointers: moving 8 bytes, not the 72 of a term */
    const struct bterm **order = NULL;
    if (!rc && b->nterms && !(order = malloc(b->nterms * sizeof(*order))))
        rc = fail(c, ERR_INTERNAL, "", "out of memory");
    for (size_t t = 0; order && t < b->nterms; t++)
        order[t] = &b->terms[t];
    if (order)
        qsort(order, b->nterms, sizeof(*order), bterm_cmp);
    for (size_t t = 0; order && t < b->nterms; t++) {
        if (t && !bterm_cmp(&order[t], &order[t - 1]))
            continue;
        arg_text(b, order[t]->t);
        arg_int(b, order[t]->id);
    }
    if (!rc)
        rc = insert_rows(b, "INSERT INTO customer_terms(term, customer_id) VALUES ",
                         " ON CONFLICT DO NOTHING", 2);
    free(order);
    /* one audit entry for the batch: the file, its lines and the ids */
    if (!rc) {
        json_t *ids = json_array(), *lines = json_array();
        for (int r = 0; r < b->n; r++) {
            json_array_append_new(ids, json_integer(b->ids[r]));
            json_array_append_new(lines, json_integer(b->lines[r]));
        }
        json_t *after = json_pack("{s:s,s:i,s:o,s:o}", "file", b->file, "count", b->n, "ids", ids,
                                  "lines", lines);
        rc = audit_record(c, "import", "customer", 0, NULL, after);
        json_decref(after);
    }
    batch_clear(b);
    return rc;
}

int customer_find(struct ctx *c, const char *external_id, const char *email, int64_t *id)
{
    *id = 0;
    int rc = 0;
    if (external_id && *external_id) {
        rc = store_int(c->st, id, &c->err, "SELECT id FROM customers WHERE external_id = ?", "s",
                       external_id);
        if (rc != ERR_NOTFOUND)
            return rc;
    }
    char em[255];
    if (email && !email_normalize(email, em)) {
        rc = store_int(c->st, id, &c->err,
                       "SELECT customer_id FROM customer_emails WHERE email = ? ORDER BY "
                       "customer_id LIMIT 1",
                       "s", em);
        if (rc != ERR_NOTFOUND)
            return rc;
    }
    *id = 0;
    return 0;
}

int customer_relate(struct ctx *c, int64_t id, int64_t related_id, const char *kind, int on)
{
    if (!kind || !enum_has("household|referral|employee_of|contact_of", kind))
        return fail(c, ERR_INVALID, "kind",
                    "must be one of: household|referral|employee_of|contact_of");
    if (id == related_id)
        return fail(c, ERR_INVALID, "related_id", "a customer cannot be related to itself");
    int rc = customer_exists(c, id);
    if (!rc) {
        rc = customer_exists(c, related_id);
        if (rc)
            snprintf(c->err.field, sizeof(c->err.field), "related_id");
    }
    if (rc)
        return rc;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    int64_t n = 0;
    if (on)
        rc = store_run(c->st, &n, &c->err,
                       "INSERT INTO customer_relations(customer_id, related_id, kind, "
                       "created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       "iisi", id, related_id, kind, time_now());
    else
        rc =
            store_run(c->st, &n, &c->err,
                      "DELETE FROM customer_relations WHERE customer_id = ? AND related_id = ? AND "
                      "kind = ?",
                      "iis", id, related_id, kind);
    if (!rc && !on && n == 0)
        rc = fail(c, ERR_NOTFOUND, "related_id", "no such relation");
    json_t *a =
        json_pack("{s:I,s:s,s:b}", "related_id", (json_int_t)related_id, "kind", kind, "on", on);
    if (!rc && n)
        rc = audit_record(c, on ? "relate" : "unrelate", "customer", id, NULL, a);
    json_decref(a);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int customer_flag(struct ctx *c, int64_t id, const char *flag, const char *reason, int on)
{
    int rc = customer_exists(c, id);
    if (rc)
        return rc;
    if (!flag || !*flag || strlen(flag) > 40)
        return fail(c, ERR_INVALID, "flag", "a flag name of 1 to 40 bytes is required");
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    if (on)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO customer_flags(customer_id, flag, reason, set_at) VALUES (?, "
                       "?, ?, ?) ON CONFLICT(customer_id, flag) DO UPDATE SET reason = "
                       "excluded.reason, set_at = excluded.set_at",
                       "issi", id, flag, reason, time_now());
    else
        rc = store_run(c->st, NULL, &c->err,
                       "DELETE FROM customer_flags WHERE customer_id = ? AND flag = ?", "is", id,
                       flag);
    json_t *a = json_pack("{s:s,s:s?,s:b}", "flag", flag, "reason", reason, "on", on);
    if (!rc)
        rc = audit_record(c, on ? "flag" : "unflag", "customer", id, NULL, a);
    json_decref(a);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

/* ------------------------------------------------------------------ listing */

struct words {
    char w[8][64];
    int n;
};

static void collect_word(const char *term, void *arg)
{
    struct words *ws = arg;
    if (ws->n < 8)
        snprintf(ws->w[ws->n++], sizeof(ws->w[0]), "%s", term);
}

/* Splits a query into folded words; a query of digits and phone punctuation
 * is one word (a phone prefix without its "+"). */
static int query_words(const char *q, struct words *ws)
{
    ws->n = 0;
    char digits[64];
    size_t nd = 0;
    int phone_like = 1;
    for (const char *p = q; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (nd < sizeof(digits) - 1)
                digits[nd++] = *p;
        } else if (!strchr("+ .-()", *p)) {
            phone_like = 0;
        }
    }
    digits[nd] = 0;
    if (phone_like && nd >= 3) {
        collect_word(digits, ws);
        return 0;
    }
    return text_words(q, collect_word, ws) < 0 ? -1 : 0;
}

/* the smallest string greater than every string starting with prefix */
static void prefix_end(const char *prefix, char *out, size_t len)
{
    snprintf(out, len, "%s", prefix);
    size_t n = strlen(out);
    while (n > 0 && (unsigned char)out[n - 1] == 0xff)
        out[--n] = 0;
    if (n > 0)
        out[n - 1] = (char)((unsigned char)out[n - 1] + 1);
}

#define MAX_ARGS 40

struct sqlbuf {
    char sql[4096];
    size_t len;
    struct bindv args[MAX_ARGS];
    int n;
};

static void sql_add(struct sqlbuf *b, const char *frag)
{
    size_t l = strlen(frag);
    if (b->len + l < sizeof(b->sql)) {
        memcpy(b->sql + b->len, frag, l + 1);
        b->len += l;
    }
}

static void arg_s(struct sqlbuf *b, const char *s)
{
    if (b->n < MAX_ARGS)
        b->args[b->n++] = (struct bindv){'s', 0, 0, s};
}

static void arg_i(struct sqlbuf *b, int64_t i)
{
    if (b->n < MAX_ARGS)
        b->args[b->n++] = (struct bindv){'i', i, 0, NULL};
}

static int lifecycle_filter(struct ctx *c, struct sqlbuf *b, const char *lc)
{
    const struct config *cfg = &c->app->cfg;
    int64_t now = time_now();
    int64_t t_new = now - (int64_t)cfg->new_within_days * 86400;
    int64_t t_inactive = now - (int64_t)cfg->inactive_after_days * 86400;
    int64_t t_lost = now - (int64_t)cfg->lost_after_days * 86400;
    if (!strcmp(lc, "prospect")) {
        sql_add(b, " AND c.orders_count = 0");
    } else if (!strcmp(lc, "new")) {
        sql_add(b, " AND c.orders_count > 0 AND c.first_order_at >= ? AND c.last_order_at >= ?");
        arg_i(b, t_new);
        arg_i(b, t_inactive);
    } else if (!strcmp(lc, "active")) {
        sql_add(b, " AND c.orders_count > 0 AND c.first_order_at < ? AND c.last_order_at >= ?");
        arg_i(b, t_new);
        arg_i(b, t_inactive);
    } else if (!strcmp(lc, "inactive")) {
        sql_add(b, " AND c.orders_count > 0 AND c.last_order_at < ? AND c.last_order_at >= ?");
        arg_i(b, t_inactive);
        arg_i(b, t_lost);
    } else if (!strcmp(lc, "former")) {
        sql_add(b, " AND c.orders_count > 0 AND c.last_order_at < ?");
        arg_i(b, t_lost);
    } else {
        return fail(c, ERR_INVALID, "lifecycle",
                    "must be one of: prospect|new|active|inactive|former");
    }
    return 0;
}

static json_t *summary_row(struct ctx *c, int64_t id)
{
    struct stmt *s = NULL;
    if (store_query(c->st, &s, &c->err,
                    "SELECT c.kind, c.first_name, c.last_name, c.name, c.email, c.phone, "
                    "c.orders_count, c.revenue_minor, c.currency, c.first_order_at, "
                    "c.last_order_at, a.city, a.postal_code, a.country, c.updated_at, c.owner_id "
                    "FROM customers c LEFT JOIN customer_addresses a ON a.customer_id = c.id AND "
                    "a.is_primary = 1 WHERE c.id = ?",
                    "i", id))
        return NULL;
    json_t *o = NULL;
    if (stmt_step(s, &c->err) == 1) {
        const char *kind = stmt_text(s, 0);
        o = json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o}", "id",
                      (json_int_t)id, "kind", kind, "display_name",
                      display_name(kind, stmt_text(s, 1), stmt_text(s, 2), stmt_text(s, 3),
                                   stmt_text(s, 4), id),
                      "first_name", jtext(s, 1), "last_name", jtext(s, 2), "name", jtext(s, 3),
                      "email", jtext(s, 4), "phone", jtext(s, 5), "city", jtext(s, 11),
                      "postal_code", jtext(s, 12), "country", jtext(s, 13), "updated_at",
                      jtime(s, 14), "owner_id", jint(s, 15), "lifecycle",
                      customer_lifecycle(&c->app->cfg, time_now(), stmt_int(s, 6), stmt_int(s, 9),
                                         stmt_int(s, 10), 0),
                      "stats",
                      json_pack("{s:I,s:I,s:o,s:o}", "orders", (json_int_t)stmt_int(s, 6),
                                "revenue_minor", (json_int_t)stmt_int(s, 7), "currency",
                                jtext(s, 8), "last_order_at", jtime(s, 10)));
    }
    stmt_done(s);
    return o;
}

/* Candidates of a search by several words: all of the driving word's, in
 * id order, read until the page is full. */
#define SEARCH_BATCH INT32_MAX
/* A word with fewer matches than this has them read into memory once
 * (a sequential range of the term index: about 2 ms for 40,000 at a
 * million customers); a commoner one is probed customer by customer (a
 * random descent each: 1,500 probes cost 100 ms and more). */
#define SEARCH_SET 200000

/* The customers having a term that starts with a word, sorted (repeats
 * kept), or NULL when the word was not read (too common). */
struct idset {
    int64_t *ids;
    size_t n;
};

static int cmp_i64(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

static int idset_load(struct ctx *c, struct idset *set, const char *word, const char *end,
                      int64_t count)
{
    set->ids = malloc(((size_t)count + 1) * sizeof(*set->ids));
    set->n = 0;
    if (!set->ids)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id FROM customer_terms WHERE term >= ? AND term < ?",
                         "ss", word, end);
    if (rc)
        return rc;
    while (set->n <= (size_t)count && (rc = stmt_step(s, &c->err)) == 1)
        set->ids[set->n++] = stmt_int(s, 0);
    stmt_done(s);
    if (rc < 0)
        return rc;
    qsort(set->ids, set->n, sizeof(*set->ids), cmp_i64);
    return 0;
}

/* *all = 1 when customer id has a term starting with each word but the
 * driving one. */
static int has_other_words(struct ctx *c, int64_t id, const struct words *ws, char ends[][72],
                           int drive, const struct idset *sets, int *all)
{
    *all = 0;
    for (int i = 0; i < ws->n; i++) {
        if (i == drive)
            continue;
        if (sets[i].ids) {
            if (!bsearch(&id, sets[i].ids, sets[i].n, sizeof(id), cmp_i64))
                return 0;
            continue;
        }
        int64_t one = 0;
        int rc = store_int(c->st, &one, &c->err,
                           "SELECT 1 FROM customer_terms WHERE customer_id = ? AND term >= ? AND "
                           "term < ? LIMIT 1",
                           "iss", id, ws->w[i], ends[i]);
        if (rc == ERR_NOTFOUND) {
            err_clear(&c->err);
            return 0;
        }
        if (rc)
            return rc;
    }
    *all = 1;
    return 0;
}

int customer_list(struct ctx *c, const struct customer_query *q, json_t **out)
{
    int limit = q->limit > 0 ? q->limit : 50;
    if (limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    struct sqlbuf *b = calloc(1, sizeof(*b));
    if (!b)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    struct words ws = {0};
    char ends[8][72];
    int rc = 0, drive_word = 0;
    int64_t counts[8] = {0};
    struct idset sets[8] = {{0}};
    if (q->q && *q->q) {
        if (strlen(q->q) > 200) {
            rc = fail(c, ERR_INVALID, "q", "search text too long (at most 200 bytes)");
            goto out;
        }
        if (query_words(q->q, &ws)) {
            rc = fail(c, ERR_INVALID, "q", "not valid UTF-8 text");
            goto out;
        }
    }
    if (q->kind && !enum_has(KINDS, q->kind)) {
        rc = fail(c, ERR_INVALID, "kind", "must be one of: %s", KINDS);
        goto out;
    }
    /* The most selective source drives the scan in id order: a search word
     * (the one with the fewest matches), else a tag, else the customers
     * table. The customer row is joined only when a filter needs it; a
     * merged-away customer keeps no terms or tags (a merge moves them). */
    const char *key = "c.id";
    int scope = visibility_scope(c);
    int need_c = q->kind || q->lifecycle || q->owner_id > 0 || scope != VIS_ALL;
    if (ws.n > 0) {
        int drive = 0;
        int64_t best = INT64_MAX;
        for (int i = 0; i < ws.n; i++) {
            prefix_end(ws.w[i], ends[i], sizeof(ends[i]));
            int64_t cnt = 0;
            if (ws.n > 1)
                store_int(c->st, &cnt, NULL,
                          "SELECT COUNT(*) FROM (SELECT 1 FROM customer_terms WHERE term >= ? AND "
                          "term < ? LIMIT 200000) AS t",
                          "ss", ws.w[i], ends[i]);
            counts[i] = cnt;
            if (cnt < best) {
                best = cnt;
                drive = i;
            }
        }
        key = "t.customer_id";
        sql_add(b, need_c
                       ? "SELECT DISTINCT t.customer_id FROM customer_terms t JOIN customers c ON "
                         "c.id = t.customer_id AND c.merged_into IS NULL WHERE t.term >= ? AND "
                         "t.term < ?"
                       : "SELECT DISTINCT t.customer_id FROM customer_terms t WHERE t.term >= ? "
                         "AND t.term < ?");
        arg_s(b, ws.w[drive]);
        arg_s(b, ends[drive]);
        /* the other words are checked below, candidate by candidate in
         * id order, until the page is full: an EXISTS here would probe
         * every match of the driving word before the sort */
        drive_word = drive;
        for (int i = 0; i < ws.n && ws.n > 1; i++)
            if (i != drive && counts[i] < SEARCH_SET &&
                (rc = idset_load(c, &sets[i], ws.w[i], ends[i], counts[i])))
                goto out;
    } else if (q->tag) {
        key = "g.customer_id";
        sql_add(b, need_c ? "SELECT g.customer_id FROM customer_tags g JOIN customers c ON c.id = "
                            "g.customer_id AND c.merged_into IS NULL WHERE g.tag = ?"
                          : "SELECT g.customer_id FROM customer_tags g WHERE g.tag = ?");
        arg_s(b, q->tag);
    } else {
        sql_add(b, "SELECT c.id FROM customers c WHERE c.merged_into IS NULL");
    }
    char frag[256];
    /* a search reads its word's index range: the unary plus keeps SQLite
     * from walking the whole customer_id index instead to skip the sort */
    snprintf(frag, sizeof(frag), " AND %s%s < ?", ws.n > 0 ? "+" : "", key);
    sql_add(b, frag);
    int cursor_arg = b->n;
    arg_i(b, q->after > 0 ? q->after : INT64_MAX);
    if (q->kind) {
        sql_add(b, " AND c.kind = ?");
        arg_s(b, q->kind);
    }
    if (scope != VIS_ALL) { /* record visibility: the user's own, or the team's too */
        sql_add(b, scope == VIS_TEAM ? " AND (c.owner_id = ? OR c.team = ?)" : " AND c.owner_id = ?");
        arg_i(b, c->actor.user_id);
        if (scope == VIS_TEAM)
            arg_s(b, c->actor.team[0] ? c->actor.team : NULL);
    }
    if (q->lifecycle && (rc = lifecycle_filter(c, b, q->lifecycle)))
        goto out;
    if (q->country || q->postal_code) {
        snprintf(frag, sizeof(frag),
                 " AND EXISTS (SELECT 1 FROM customer_addresses a WHERE a.customer_id = %s AND (? "
                 "IS NULL OR a.country = ?) AND (? IS NULL OR a.postal_code = ?))",
                 key);
        sql_add(b, frag);
        arg_s(b, q->country);
        arg_s(b, q->country);
        arg_s(b, q->postal_code);
        arg_s(b, q->postal_code);
    }
    if (q->tag && ws.n > 0) {
        sql_add(b, " AND EXISTS (SELECT 1 FROM customer_tags g WHERE g.customer_id = "
                   "t.customer_id AND g.tag = ?)");
        arg_s(b, q->tag);
    }
    if (q->owner_id > 0) {
        sql_add(b, " AND c.owner_id = ?");
        arg_i(b, q->owner_id);
    }
    snprintf(frag, sizeof(frag), " ORDER BY %s DESC LIMIT ?", key);
    sql_add(b, frag);
    /* with other words to check, candidates come in batches */
    int64_t batch = ws.n > 1 ? SEARCH_BATCH : limit + 1;
    arg_i(b, batch);
    int64_t ids[501];
    int n = 0;
    for (;;) {
        struct stmt *s = NULL;
        rc = store_queryv(c->st, &s, &c->err, b->sql, b->args, b->n);
        if (rc)
            goto out;
        int64_t got = 0, last = 0;
        while (n <= limit && (rc = stmt_step(s, &c->err)) == 1) {
            last = stmt_int(s, 0);
            got++;
            if (ws.n > 1) {
                int all = 0;
                rc = has_other_words(c, last, &ws, ends, drive_word, sets, &all);
                if (rc)
                    break;
                if (!all)
                    continue;
            }
            ids[n++] = last;
        }
        stmt_done(s);
        if (rc < 0)
            goto out;
        rc = 0;
        if (n > limit || got < batch || ws.n <= 1)
            break;
        b->args[cursor_arg].i = last; /* the next batch, below the last candidate */
    }
    json_t *items = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) {
        json_t *row = summary_row(c, ids[i]);
        if (row)
            json_array_append_new(items, row);
    }
    char cur[32];
    snprintf(cur, sizeof(cur), "%lld", (long long)(shown ? ids[shown - 1] : 0));
    *out = json_pack("{s:o,s:o}", "items", items, "next_cursor",
                     n > limit ? json_string(cur) : json_null());
out:
    for (int i = 0; i < 8; i++)
        free(sets[i].ids);
    free(b);
    return rc;
}
