/*
 * Interactions, consent ledger, products, orders, contracts and the merged
 * 360° timeline (see activity.h).
 */
#include "app/activity.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/audit.h"
#include "app/customers.h"
#include "app/events.h"
#include "app/loyalty.h"
#include "app/rowjson.h"
#include "app/snapshot.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeu.h"

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int64_t jint_or(const json_t *o, const char *k, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* "at" of the input, or now */
static int64_t jtime_or_now(const json_t *o, const char *k)
{
    int64_t t;
    const char *s = jstr(o, k);
    return s && time_parse(s, &t) == 0 ? t : time_now();
}

static int check_limit(struct ctx *c, int *limit)
{
    if (*limit <= 0)
        *limit = 50;
    if (*limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    return 0;
}

/* ------------------------------------------------------------ interactions */

const struct field interaction_fields[] = {
    {"customer_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"channel", FT_ENUM, FF_REQUIRED, 0, CHANNELS, NULL, NULL},
    {"direction", FT_ENUM, FF_REQUIRED, 0, "inbound|outbound", NULL, NULL},
    {"kind", FT_ENUM, 0, 0,
     "note|call|meeting|visit|email|sms|letter|chat|complaint|request|interest|purchase|survey",
     NULL, "interest: the offer is noted as an interest of the customer"},
    {"subject", FT_STRING, FF_NULLABLE, 200, NULL, NULL, NULL},
    {"body", FT_TEXT, FF_NULLABLE, 20000, NULL, NULL, NULL},
    {"outcome", FT_STRING, FF_NULLABLE, 100, NULL, NULL,
     "free text, or offer_refused / offer_accepted with offer"},
    {"offer", FT_STRING, FF_NULLABLE, 100, NULL, NULL, "the offer concerned"},
    {"at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, "when it happened (default now)"},
    {"campaign_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"ticket_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"deal_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"order_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const interaction_names[] = {
    "id",      "customer_id", "at",      "channel",     "direction", "kind",    "subject",  "body",
    "outcome", "offer",       "user_id", "campaign_id", "ticket_id", "deal_id", "order_id", NULL};
#define INTERACTION_TYPES "iitsssssssiiiii"
#define INTERACTION_COLS                                                                           \
    "id, customer_id, at, channel, direction, kind, subject, body, outcome, offer, user_id, "      \
    "campaign_id, ticket_id, deal_id, order_id"

int interaction_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(interaction_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int64_t cid = jint_or(in, "customer_id", 0);
    const char *outcome = jstr(in, "outcome"), *offer = jstr(in, "offer"),
               *kind = jstr(in, "kind") ? jstr(in, "kind") : "note";
    if (outcome && !strcmp(outcome, "offer_refused") && !(offer && *offer))
        return fail(c, ERR_INVALID, "offer", "a refusal names the offer refused");
    if (!strcmp(kind, "interest") && !(offer && *offer))
        return fail(c, ERR_INVALID, "offer", "an interest names the offer or product");
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = customer_exists(c, cid);
    int64_t id = 0, at = jtime_or_now(in, "at");
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO interactions(customer_id, at, channel, direction, kind, "
                       "subject, body, outcome, offer, user_id, campaign_id, ticket_id, deal_id, "
                       "order_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                       "RETURNING id",
                       "iisssssssIIIIIi", cid, at, jstr(in, "channel"), jstr(in, "direction"), kind,
                       jstr(in, "subject"), jstr(in, "body"), outcome, offer,
                       c->actor.user_id ? c->actor.user_id : INT64_MIN,
                       jint_or(in, "campaign_id", INT64_MIN), jint_or(in, "ticket_id", INT64_MIN),
                       jint_or(in, "deal_id", INT64_MIN), jint_or(in, "order_id", INT64_MIN),
                       time_now());
    if (!rc && !strcmp(kind, "interest"))
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO customer_interests(customer_id, interest, noted_at) VALUES (?, "
                       "?, ?) ON CONFLICT(customer_id, interest) DO UPDATE SET noted_at = "
                       "excluded.noted_at",
                       "isi", cid, offer, at);
    if (!rc)
        rc = rowj_one(c, "SELECT " INTERACTION_COLS " FROM interactions WHERE id = ?", id,
                     interaction_names, INTERACTION_TYPES, "interaction", out);
    if (!rc)
        rc = audit_record(c, "create", "interaction", id, NULL, *out);
    if (!rc) { /* interaction.logged {interaction_id, channel, direction, kind, outcome, offer};
                  interest.noted {interaction_id, channel, offer} for an interest */
        json_t *d = json_pack("{s:I,s:s,s:s,s:s,s:s?,s:s?}", "interaction_id", (json_int_t)id,
                              "channel", jstr(in, "channel"), "direction", jstr(in, "direction"),
                              "kind", kind, "outcome", outcome, "offer", offer);
        rc = event_emit(c, "interaction.logged", cid, "interaction", id, d, NULL);
        if (!rc && !strcmp(kind, "interest"))
            rc = event_emit(c, "interest.noted", cid, "interaction", id, d, NULL);
        json_decref(d);
    }
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int interaction_list(struct ctx *c, int64_t customer_id, const char *channel, int64_t after,
                     int limit, json_t **out)
{
    int rc = check_limit(c, &limit);
    if (rc)
        return rc;
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT " INTERACTION_COLS " FROM interactions WHERE (? = 0 OR customer_id = "
                     "?) AND (? IS NULL OR channel = ?) AND id < ? ORDER BY id DESC LIMIT ?",
                     "iissii", customer_id, customer_id, channel, channel,
                     after > 0 ? after : INT64_MAX, (int64_t)limit + 1);
    return rc ? rc : rowj_page(c, s, interaction_names, INTERACTION_TYPES, limit, out);
}

/* ----------------------------------------------------------------- consents */

const struct field consent_fields[] = {
    {"channel", FT_ENUM, FF_REQUIRED, 0, "email|sms|phone|mail|tracking|profiling", NULL, NULL},
    {"purpose", FT_STRING, FF_REQUIRED, 40, NULL, NULL, "marketing, newsletter, service…"},
    {"granted", FT_BOOL, FF_REQUIRED, 0, NULL, NULL, "true grants, false withdraws"},
    {"legal_basis", FT_ENUM, 0, 0, "consent|contract|legitimate_interest|legal_obligation", NULL,
     NULL},
    {"source", FT_STRING, 0, 100, NULL, NULL, "web form, store, call centre…"},
    {"proof", FT_TEXT, FF_NULLABLE, 4000, NULL, NULL, "wording shown, IP, form id…"},
    {"at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const consent_names[] = {"id",      "customer_id", "at",          "channel",
                                            "purpose", "granted",     "legal_basis", "source",
                                            "proof",   "user_id",     NULL};
#define CONSENT_TYPES "iitssbsssi"
#define CONSENT_COLS                                                                               \
    "id, customer_id, at, channel, purpose, granted, legal_basis, source, proof, user_id"

int consent_record(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out)
{
    int rc = fields_check(consent_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = customer_exists(c, customer_id);
    int64_t id = 0;
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO consents(customer_id, at, channel, purpose, granted, "
                       "legal_basis, source, proof, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                       "RETURNING id",
                       "iississsI", customer_id, jtime_or_now(in, "at"), jstr(in, "channel"),
                       jstr(in, "purpose"), (int64_t)json_is_true(json_object_get(in, "granted")),
                       jstr(in, "legal_basis") ? jstr(in, "legal_basis") : "consent",
                       jstr(in, "source") ? jstr(in, "source") : "api", jstr(in, "proof"),
                       c->actor.user_id ? c->actor.user_id : INT64_MIN);
    if (!rc)
        rc = rowj_one(c, "SELECT " CONSENT_COLS " FROM consents WHERE id = ?", id, consent_names,
                     CONSENT_TYPES, "consent", out);
    if (!rc)
        rc = audit_record(c, "consent", "customer", customer_id, NULL, *out);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int consent_history(struct ctx *c, int64_t customer_id, json_t **out)
{
    int rc = customer_exists(c, customer_id);
    if (rc)
        return rc;
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT " CONSENT_COLS " FROM consents WHERE customer_id = ? ORDER BY id", "i",
                     customer_id);
    return rc ? rc : rowj_page(c, s, consent_names, CONSENT_TYPES, 100000, out);
}

int consent_granted(struct ctx *c, int64_t customer_id, const char *channel, const char *purpose)
{
    int64_t g = 0;
    if (store_int(c->st, &g, NULL,
                  "SELECT granted FROM consents WHERE customer_id = ? AND channel = ? AND purpose "
                  "= ? ORDER BY id DESC LIMIT 1",
                  "iss", customer_id, channel, purpose))
        return 0;
    return g != 0;
}

/* ----------------------------------------------------------------- products */

const struct field product_fields[] = {
    {"sku", FT_STRING, FF_REQUIRED, 64, NULL, NULL, "stock-keeping unit, unique"},
    {"name", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"category", FT_STRING, FF_NULLABLE, 100, NULL, NULL, NULL},
    {"range_name", FT_STRING, FF_NULLABLE, 100, NULL, NULL, "product range (up-selling)"},
    {"tier", FT_INT, FF_NULLABLE, 100, NULL, NULL, "position in the range, 1 = entry"},
    {"price_minor", FT_MONEY, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"margin_minor", FT_MONEY, FF_NULLABLE, 0, NULL, NULL, "unit margin"},
    {"currency", FT_CURRENCY, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"active", FT_BOOL, 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const product_names[] = {"id",         "sku",    "name",        "category",
                                            "range_name", "tier",   "price_minor", "margin_minor",
                                            "currency",   "active", NULL};
#define PRODUCT_TYPES "isssiiiisb"
#define PRODUCT_COLS                                                                               \
    "id, sku, name, category, range_name, tier, price_minor, margin_minor, currency, active"

int product_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(product_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int64_t id = 0, now = time_now();
    json_t *act = json_object_get(in, "active");
    rc = store_int(c->st, &id, &c->err,
                   "INSERT INTO products(sku, name, category, range_name, tier, price_minor, "
                   "margin_minor, currency, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, "
                   "?, ?, ?, ?, ?, ?) RETURNING id",
                   "ssssIIIsiii", jstr(in, "sku"), jstr(in, "name"), jstr(in, "category"),
                   jstr(in, "range_name"), jint_or(in, "tier", INT64_MIN),
                   jint_or(in, "price_minor", INT64_MIN), jint_or(in, "margin_minor", INT64_MIN),
                   jstr(in, "currency") ? jstr(in, "currency") : c->app->cfg.default_currency,
                   (int64_t)(act ? json_is_true(act) : 1), now, now);
    if (rc == ERR_EXISTS)
        return fail(c, ERR_EXISTS, "sku", "a product with this SKU already exists");
    return rc ? rc : product_get(c, id, out);
}

int product_get(struct ctx *c, int64_t id, json_t **out)
{
    return rowj_one(c, "SELECT " PRODUCT_COLS " FROM products WHERE id = ?", id, product_names,
                   PRODUCT_TYPES, "product", out);
}

int product_list(struct ctx *c, const char *q, int64_t after, int limit, json_t **out)
{
    int rc = check_limit(c, &limit);
    if (rc)
        return rc;
    char like[256];
    snprintf(like, sizeof(like), "%%%s%%", q ? q : "");
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT " PRODUCT_COLS " FROM products WHERE (? IS NULL OR name LIKE ? OR sku "
                     "LIKE ?) AND id < ? ORDER BY id DESC LIMIT ?",
                     "sssii", q, like, like, after > 0 ? after : INT64_MAX, (int64_t)limit + 1);
    return rc ? rc : rowj_page(c, s, product_names, PRODUCT_TYPES, limit, out);
}

/* ------------------------------------------------------------------- orders */

static const struct field line_fields[] = {
    {"product_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"sku", FT_STRING, FF_NULLABLE, 64, NULL, NULL, "known SKUs link the product"},
    {"description", FT_STRING, FF_NULLABLE, 200, NULL, NULL, NULL},
    {"quantity", FT_NUMBER, FF_REQUIRED, 0, NULL, NULL, "integer; negative on returns"},
    {"unit_price_minor", FT_MONEY, FF_REQUIRED, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field order_fields[] = {
    {"customer_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "or customer_external_id / email"},
    {"customer_external_id", FT_STRING, FF_NULLABLE, 100, NULL, NULL,
     "unknown ids create a guest customer"},
    {"email", FT_EMAIL, FF_NULLABLE, 0, NULL, NULL, "finds the customer by e-mail"},
    {"external_id", FT_STRING, FF_NULLABLE, 100, NULL, NULL, "order number, unique"},
    {"ordered_at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, "default now"},
    {"status", FT_ENUM, 0, 0, "placed|paid|shipped|completed|cancelled|refunded", NULL, NULL},
    {"kind", FT_ENUM, 0, 0, "sale|refund", NULL, "a refund's amount is negative"},
    {"currency", FT_CURRENCY, 0, 0, NULL, NULL, NULL},
    {"total_minor", FT_MONEY, FF_NULLABLE, 0, NULL, NULL, "default: sum of the lines"},
    {"margin_minor", FT_MONEY, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"channel", FT_ENUM, FF_NULLABLE, 0, CHANNELS, NULL, NULL},
    {"store", FT_STRING, FF_NULLABLE, 100, NULL, NULL, NULL},
    {"country", FT_COUNTRY, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"lines", FT_OBJECTS, 0, 10000, NULL, line_fields, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const order_names[] = {
    "id",          "customer_id",  "external_id", "ordered_at", "status",  "kind", "currency",
    "total_minor", "margin_minor", "channel",     "store",      "country", NULL};
#define ORDER_TYPES "iistsssiisss"
#define ORDER_COLS                                                                                 \
    "id, customer_id, external_id, ordered_at, status, kind, currency, total_minor, "              \
    "margin_minor, channel, store, country"

/* Recomputes a customer's purchase aggregates from the orders table.
 * A transaction is a sale not cancelled or refunded with a positive amount;
 * refunds (negative) lower the net revenue. */
int customer_refresh_aggregates(struct ctx *c, int64_t cid)
{
    return store_run(
        c->st, NULL, &c->err,
        "UPDATE customers SET (orders_count, revenue_minor, first_order_at, last_order_at, "
        "currency) = (SELECT COUNT(*) FILTER (WHERE kind = 'sale' AND status NOT IN "
        "('cancelled','refunded') AND total_minor > 0), COALESCE(SUM(CASE WHEN kind = 'refund' "
        "THEN total_minor WHEN status IN ('cancelled','refunded') THEN 0 ELSE total_minor END), "
        "0), MIN(ordered_at) FILTER (WHERE kind = 'sale' AND status NOT IN "
        "('cancelled','refunded') AND total_minor > 0), MAX(ordered_at) FILTER (WHERE kind = "
        "'sale' AND status NOT IN ('cancelled','refunded') AND total_minor > 0), "
        "COALESCE(MAX(currency), customers.currency) FROM orders WHERE customer_id = ?) WHERE id "
        "= ?",
        "ii", cid, cid);
}

/* The customer an order belongs to: by id, external id, e-mail, or a new
 * guest (an anonymous buyer still gets a record so every order has one). */
static int order_customer(struct ctx *c, const json_t *in, int64_t *cid)
{
    *cid = jint_or(in, "customer_id", 0);
    if (*cid)
        return customer_exists(c, *cid);
    const char *ext = jstr(in, "customer_external_id"), *email = jstr(in, "email");
    int rc = customer_find(c, ext, email, cid);
    if (rc || *cid)
        return rc;
    json_t *g = json_pack("{s:s}", "kind", "guest");
    if (ext)
        json_object_set_new(g, "external_id", json_string(ext));
    if (email)
        json_object_set_new(g, "email", json_string(email));
    rc = customer_create(c, g, cid, NULL);
    json_decref(g);
    return rc;
}

/* Checks the quantities of an order's lines; *sum gets their amount. */
static int lines_sum(struct ctx *c, const json_t *lines, int64_t *sum)
{
    size_t i;
    json_t *l;
    *sum = 0;
    json_array_foreach(lines, i, l)
    {
        json_t *q = json_object_get(l, "quantity");
        double qd = json_number_value(q);
        char f[48];
        snprintf(f, sizeof(f), "lines[%zu].quantity", i);
        if (!json_is_integer(q) && qd != (double)(int64_t)qd)
            return fail(c, ERR_INVALID, f, "must be a whole number");
        if (qd == 0 || qd > 1e7 || qd < -1e7)
            return fail(c, ERR_INVALID, f, "must be non-zero and at most 10,000,000 in size");
        *sum += (int64_t)qd * jint_or(l, "unit_price_minor", 0);
    }
    return 0;
}

static int insert_lines(struct ctx *c, int64_t id, int64_t cid, const json_t *lines)
{
    int rc = 0;
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        if (rc)
            break;
        int64_t pid = jint_or(l, "product_id", 0);
        const char *sku = jstr(l, "sku");
        if (!pid && sku)
            store_int(c->st, &pid, NULL, "SELECT id FROM products WHERE sku = ?", "s", sku);
        int64_t q = (int64_t)json_number_value(json_object_get(l, "quantity"));
        int64_t up = jint_or(l, "unit_price_minor", 0);
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO order_lines(order_id, customer_id, product_id, sku, "
                       "description, quantity, unit_price_minor, amount_minor) VALUES (?, ?, ?, ?, "
                       "?, ?, ?, ?)",
                       "iiIssiii", id, cid, pid ? pid : INT64_MIN, sku, jstr(l, "description"), q,
                       up, q * up);
        if (rc == ERR_INVALID) {
            char f[48];
            snprintf(f, sizeof(f), "lines[%zu].product_id", i);
            rc = fail(c, ERR_INVALID, f, "no such product");
        }
    }
    return rc;
}

int order_add_lines(struct ctx *c, int64_t id, const json_t *lines)
{
    int64_t sum = 0, cid = 0;
    int rc = lines_sum(c, lines, &sum);
    if (rc)
        return rc;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = store_int(c->st, &cid, &c->err, "SELECT customer_id FROM orders WHERE id = ?", "i", id);
    if (rc == ERR_NOTFOUND)
        rc = fail(c, ERR_NOTFOUND, "id", "no order %lld", (long long)id);
    if (!rc)
        rc = insert_lines(c, id, cid, lines);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE orders SET total_minor = total_minor + CASE WHEN kind = 'refund' "
                       "THEN -ABS(?1) ELSE ?1 END WHERE id = ?2",
                       "ii", sum, id);
    if (!rc)
        rc = customer_refresh_aggregates(c, cid);
    if (!rc)
        rc = loyalty_order_changed(c, id);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return snapshot_after_commit(c, store_commit(c->st, &c->err), cid);
}

int order_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(order_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    json_t *lines = json_object_get(in, "lines");
    int64_t sum = 0;
    rc = lines_sum(c, lines, &sum);
    if (rc)
        return rc;
    const char *kind = jstr(in, "kind") ? jstr(in, "kind") : "sale";
    int64_t total = jint_or(in, "total_minor", sum);
    if (!json_object_get(in, "total_minor") && !json_array_size(lines))
        return fail(c, ERR_INVALID, "total_minor", "an order needs an amount or lines");
    if (!strcmp(kind, "refund") && total > 0)
        total = -total;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    int64_t cid = 0, id = 0;
    rc = order_customer(c, in, &cid);
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO orders(customer_id, external_id, ordered_at, status, kind, "
                       "currency, total_minor, margin_minor, channel, store, country, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       "isisssiIsssi", cid, jstr(in, "external_id"), jtime_or_now(in, "ordered_at"),
                       jstr(in, "status") ? jstr(in, "status") : "completed", kind,
                       jstr(in, "currency") ? jstr(in, "currency") : c->app->cfg.default_currency,
                       total, jint_or(in, "margin_minor", INT64_MIN), jstr(in, "channel"),
                       jstr(in, "store"), jstr(in, "country"), time_now());
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "external_id", "an order with this number already exists");
    if (!rc)
        rc = insert_lines(c, id, cid, lines);
    if (!rc)
        rc = customer_refresh_aggregates(c, cid);
    if (!rc)
        rc = loyalty_order_changed(c, id); /* members earn in the same transaction */
    if (!rc)
        rc = order_get(c, id, out);
    if (!rc && strcmp(kind, "refund")) { /* order.placed {order_id, total_minor, currency, channel} */
        json_t *d = json_pack("{s:I,s:I,s:O,s:O}", "order_id", (json_int_t)id, "total_minor",
                              (json_int_t)total, "currency", json_object_get(*out, "currency"),
                              "channel", json_object_get(*out, "channel"));
        rc = event_emit(c, "order.placed", cid, "order", id, d, NULL);
        json_decref(d);
    }
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return snapshot_after_commit(c, store_commit(c->st, &c->err), cid);
}

int order_get(struct ctx *c, int64_t id, json_t **out)
{
    int rc = rowj_one(c, "SELECT " ORDER_COLS " FROM orders WHERE id = ?", id, order_names,
                     ORDER_TYPES, "order", out);
    if (rc)
        return rc;
    static const char *const line_names[] = {"id",           "product_id", "sku",
                                             "description",  "quantity",   "unit_price_minor",
                                             "amount_minor", NULL};
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT id, product_id, sku, description, quantity, unit_price_minor, "
                     "amount_minor FROM order_lines WHERE order_id = ? ORDER BY id",
                     "i", id);
    if (rc)
        return rc;
    json_t *arr = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1)
        json_array_append_new(arr, rowj_object(s, line_names, "iissiii"));
    stmt_done(s);
    json_object_set_new(*out, "lines", arr);
    return rc < 0 ? rc : 0;
}

int order_list(struct ctx *c, int64_t customer_id, int64_t after, int limit, json_t **out)
{
    int rc = check_limit(c, &limit);
    if (rc)
        return rc;
    struct stmt *s = NULL;
    rc = store_query(
        c->st, &s, &c->err,
        "SELECT " ORDER_COLS " FROM orders WHERE (? = 0 OR customer_id = ?) AND id < ? "
        "ORDER BY id DESC LIMIT ?",
        "iiii", customer_id, customer_id, after > 0 ? after : INT64_MAX, (int64_t)limit + 1);
    return rc ? rc : rowj_page(c, s, order_names, ORDER_TYPES, limit, out);
}

int order_set_status(struct ctx *c, int64_t id, const char *status, json_t **out)
{
    if (!status || !enum_has("placed|paid|shipped|completed|cancelled|refunded", status))
        return fail(c, ERR_INVALID, "status",
                    "must be one of: placed|paid|shipped|completed|cancelled|refunded");
    json_t *before = NULL;
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = order_get(c, id, &before);
    const char *old = rc ? NULL : jstr(before, "status");
    if (!rc && (!strcmp(old, "cancelled") || !strcmp(old, "refunded")) && strcmp(old, status))
        rc = fail(c, ERR_CONFLICT, "status", "a %s order cannot become %s", old, status);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err, "UPDATE orders SET status = ? WHERE id = ?", "si",
                       status, id);
    if (!rc)
        rc = customer_refresh_aggregates(c, jint_or(before, "customer_id", 0));
    if (!rc)
        rc = loyalty_order_changed(c, id); /* a cancellation or refund reverses the points */
    if (!rc)
        rc = order_get(c, id, out);
    if (!rc)
        rc = audit_record(c, "update", "order", id, before, *out);
    json_decref(before);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return snapshot_after_commit(c, store_commit(c->st, &c->err), jint_or(*out, "customer_id", 0));
}

/* ---------------------------------------------------------------- contracts */

const struct field contract_fields[] = {
    {"customer_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"offer", FT_STRING, FF_REQUIRED, 100, NULL, NULL, "the offer subscribed to"},
    {"start_date", FT_DATE, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"end_date", FT_DATE, FF_NULLABLE, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const contract_names[] = {"id",           "customer_id",   "offer",
                                             "start_date",   "end_date",      "status",
                                             "cancelled_at", "cancel_reason", NULL};
#define CONTRACT_TYPES "iissssts"
#define CONTRACT_COLS                                                                              \
    "id, customer_id, offer, start_date, end_date, status, cancelled_at, cancel_reason"

int contract_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(contract_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    const char *sd = jstr(in, "start_date"), *ed = jstr(in, "end_date");
    if (ed && strcmp(ed, sd) < 0)
        return fail(c, ERR_INVALID, "end_date", "ends before it starts");
    int64_t cid = jint_or(in, "customer_id", 0), id = 0, now = time_now();
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = customer_exists(c, cid);
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO contracts(customer_id, offer, start_date, end_date, status, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, 'active', ?, ?) RETURNING id",
                       "isssii", cid, jstr(in, "offer"), sd, ed, now, now);
    if (!rc)
        rc = rowj_one(c, "SELECT " CONTRACT_COLS " FROM contracts WHERE id = ?", id, contract_names,
                     CONTRACT_TYPES, "contract", out);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int contract_cancel(struct ctx *c, int64_t id, const char *reason, json_t **out)
{
    if (reason && strlen(reason) > 500)
        return fail(c, ERR_INVALID, "reason", "too long (at most 500 bytes)");
    int64_t n = 0;
    int rc = store_run(c->st, &n, &c->err,
                       "UPDATE contracts SET status = 'cancelled', cancelled_at = ?, cancel_reason "
                       "= ?, updated_at = ? WHERE id = ? AND status = 'active'",
                       "isii", time_now(), reason, time_now(), id);
    if (rc)
        return rc;
    rc = rowj_one(c, "SELECT " CONTRACT_COLS " FROM contracts WHERE id = ?", id, contract_names,
                 CONTRACT_TYPES, "contract", out);
    if (!rc && n == 0) {
        json_decref(*out);
        *out = NULL;
        return fail(c, ERR_CONFLICT, "status", "only an active contract can be cancelled");
    }
    return rc;
}

int contract_list(struct ctx *c, int64_t customer_id, json_t **out)
{
    struct stmt *s = NULL;
    int rc =
        store_query(c->st, &s, &c->err,
                    "SELECT " CONTRACT_COLS " FROM contracts WHERE customer_id = ? ORDER BY id "
                    "DESC",
                    "i", customer_id);
    return rc ? rc : rowj_page(c, s, contract_names, CONTRACT_TYPES, 10000, out);
}

/* ----------------------------------------------------------------- timeline */

/* Each source projects the same columns: kind, at, id, channel, direction,
 * title, detail, outcome, amount_minor, currency. A new kind of event joins
 * the timeline by adding one row here. ?1 is the customer id. */
static const char *const timeline_sources[] = {
    "SELECT 'interaction' AS kind, at, id, channel, direction, COALESCE(subject, kind) AS title, "
    "body AS detail, CASE WHEN offer IS NULL THEN outcome WHEN outcome IS NULL THEN kind || ': ' "
    "|| offer ELSE outcome || ': ' || offer END AS outcome, NULL AS amount_minor, NULL AS currency "
    "FROM interactions WHERE "
    "customer_id = ?1",
    "SELECT 'order', ordered_at, id, COALESCE(channel, 'store'), 'inbound', CASE WHEN kind = "
    "'refund' THEN 'Refund ' ELSE 'Order ' END || COALESCE(external_id, CAST(id AS TEXT)), "
    "COALESCE(store, ''), status, total_minor, currency FROM orders WHERE customer_id = ?1",
    "SELECT 'consent', at, id, channel, 'inbound', channel || ' / ' || purpose, source, CASE WHEN "
    "granted = 1 THEN 'granted' ELSE 'withdrawn' END, NULL, NULL FROM consents WHERE customer_id "
    "= ?1",
    "SELECT 'contract', COALESCE(cancelled_at, created_at), id, NULL, 'inbound', offer, "
    "cancel_reason, status, NULL, NULL FROM contracts WHERE customer_id = ?1",
    "SELECT 'web', at, id, 'web', 'inbound', type, path, COALESCE(product, query), "
    "amount_minor, currency FROM web_events WHERE customer_id = ?1",
    "SELECT 'loyalty', at, id, NULL, CASE WHEN points > 0 THEN 'inbound' ELSE 'outbound' END, "
    "kind || ' ' || points || ' points', reason, 'balance ' || balance_after, NULL, NULL FROM "
    "loyalty_ledger WHERE customer_id = ?1",
    "SELECT 'survey', r.answered_at, r.id, NULL, 'inbound', s.name, json_extract(r.answers, "
    "'$.comment'), r.kind || ' ' || COALESCE(r.score || '/' || r.scale_max, 'answered'), NULL, NULL "
    "FROM survey_responses r JOIN surveys s ON s.id = r.survey_id WHERE r.customer_id = ?1",
    "SELECT 'rule', f.at, f.id, NULL, 'outbound', r.name, f.action || ': ' || COALESCE(f.detail, "
    "''), f.status, NULL, NULL FROM rule_firings f JOIN rules r ON r.id = f.rule_id WHERE "
    "f.customer_id = ?1",
    "SELECT 'deal', d.stage_at, d.id, NULL, 'outbound', d.title, s.name, d.status, d.amount_minor, "
    "d.currency FROM deals d JOIN pipeline_stages s ON s.id = d.stage_id WHERE d.customer_id = ?1",
    "SELECT 'task', COALESCE(done_at, due_at, created_at), id, CASE kind WHEN 'call' THEN 'phone' "
    "WHEN 'email' THEN 'email' END, 'outbound', title, notes, status, NULL, NULL FROM tasks WHERE "
    "customer_id = ?1",
    "SELECT 'ticket', created_at, id, channel, 'inbound', subject, kind || ' / ' || priority, "
    "status, NULL, NULL FROM tickets WHERE customer_id = ?1",
    "SELECT 'segment', at, id, NULL, 'inbound', COALESCE(json_extract(data, '$.segment'), "
    "'segment'), NULL, CASE type WHEN 'segment.entered' THEN 'entered' ELSE 'left' END, NULL, "
    "NULL FROM events WHERE customer_id = ?1 AND type IN ('segment.entered', 'segment.left')",
    "SELECT 'campaign', COALESCE(sent_at, created_at), id, channel, 'outbound', COALESCE(subject, "
    "substr(body, 1, 80)), last_error, status, NULL, NULL FROM send_queue WHERE customer_id = ?1 "
    "AND campaign_id IS NOT NULL AND status IN ('sent', 'bounced', 'failed')",
    "SELECT 'form', s.at, s.id, 'web', 'inbound', f.name, s.page_url, f.kind, NULL, NULL FROM "
    "form_submissions s JOIN forms f ON f.id = s.form_id WHERE s.customer_id = ?1",
    "SELECT 'call', COALESCE(ended_at, answered_at, ringing_at, created_at), id, 'phone', "
    "direction, CASE direction WHEN 'inbound' THEN 'Call from ' || from_number ELSE 'Call to ' || "
    "to_number END, COALESCE(agent, '') || ' ' || duration_s || ' s', COALESCE(outcome, state), "
    "NULL, NULL FROM calls WHERE customer_id = ?1",
};

/* The kinds above, for validating ?kind=; keep in step with the sources. */
#define TIMELINE_KINDS                                                                             \
    "interaction|order|consent|contract|loyalty|survey|rule|web|deal|task|ticket|segment|campaign|" \
    "call|form"

static char timeline_sql[16384];
static pthread_once_t timeline_once = PTHREAD_ONCE_INIT;

/* Appends to timeline_sql; on overflow the query is emptied (never cut). */
static void timeline_add(size_t *len, const char *a, const char *b)
{
    if (*len >= sizeof(timeline_sql))
        return;
    int n = snprintf(timeline_sql + *len, sizeof(timeline_sql) - *len, "%s%s", a, b);
    *len = n < 0 || (size_t)n >= sizeof(timeline_sql) - *len ? sizeof(timeline_sql) : *len + (size_t)n;
}

static void timeline_build(void)
{
    size_t len = 0;
    timeline_add(&len, "SELECT * FROM (", "");
    for (size_t i = 0; i < sizeof(timeline_sources) / sizeof(timeline_sources[0]); i++)
        timeline_add(&len, i ? " UNION ALL " : "", timeline_sources[i]);
    timeline_add(&len,
                 ") AS timeline WHERE (at < ?2 OR (at = ?2 AND (kind < ?3 OR (kind = ?3 AND id < "
                 "?4)))) AND "
                 "(?5 IS NULL OR channel = ?5) AND (?6 IS NULL OR kind = ?6) ORDER BY at DESC, "
                 "kind DESC, id DESC LIMIT ?7",
                 "");
    if (len >= sizeof(timeline_sql)) {
        log_error("timeline: the query of %zu sources is longer than %zu bytes",
                  sizeof(timeline_sources) / sizeof(timeline_sources[0]), sizeof(timeline_sql));
        timeline_sql[0] = 0;
    }
}

int timeline_list(struct ctx *c, int64_t customer_id, const char *cursor, const char *channel,
                  const char *kind, int limit, json_t **out)
{
    int rc = check_limit(c, &limit);
    if (rc)
        return rc;
    if (channel && !enum_has(CHANNELS, channel))
        return fail(c, ERR_INVALID, "channel", "must be one of: %s", CHANNELS);
    if (kind && !enum_has(TIMELINE_KINDS, kind))
        return fail(c, ERR_INVALID, "kind", "must be one of: %s", TIMELINE_KINDS);
    long long cat = INT64_MAX, cid = INT64_MAX;
    char ckind[32] = "~";
    if (cursor && *cursor) {
        char tail;
        if (sscanf(cursor, "%lld.%31[a-z].%lld%c", &cat, ckind, &cid, &tail) != 3)
            return fail(c, ERR_INVALID, "cursor", "not a cursor this API returned");
    }
    rc = customer_exists(c, customer_id);
    if (rc)
        return rc;
    pthread_once(&timeline_once, timeline_build);
    if (!timeline_sql[0])
        return fail(c, ERR_INTERNAL, "", "the timeline query does not fit its buffer");
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err, timeline_sql, "iisissi", customer_id, (int64_t)cat, ckind,
                     (int64_t)cid, channel, kind, (int64_t)limit + 1);
    if (rc)
        return rc;
    static const char *const names[] = {"kind",         "at",       "id",     "channel",
                                        "direction",    "title",    "detail", "outcome",
                                        "amount_minor", "currency", NULL};
    json_t *items = json_array();
    int n = 0;
    char next[96] = "";
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (n++ == limit)
            break;
        snprintf(next, sizeof(next), "%lld.%s.%lld", (long long)stmt_int(s, 1), stmt_text(s, 0),
                 (long long)stmt_int(s, 2));
        json_array_append_new(items, rowj_object(s, names, "stisssssis"));
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o,s:o}", "items", items, "next_cursor",
                     n > limit ? json_string(next) : json_null());
    return 0;
}
