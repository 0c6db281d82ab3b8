/*
 * The loyalty programme (see loyalty.h): members, the points ledger with its
 * cached balance, earning on orders, tiers, rewards and redemptions, expiry.
 */
#include "app/loyalty.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/loyalty_calc.h"
#include "app/audit.h"
#include "app/customers.h"
#include "app/events.h"
#include "store/store.h"
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

/* One row as an object: names[i] typed by types[i] ('s' text, 'i' integer,
 * 'b' boolean, 't' time). */
static json_t *row_json(struct stmt *s, const char *const *names, const char *types)
{
    json_t *o = json_object();
    char ts[TIME_BUF];
    for (int i = 0; names[i]; i++) {
        json_t *v;
        if (stmt_isnull(s, i))
            v = json_null();
        else if (types[i] == 'i')
            v = json_integer(stmt_int(s, i));
        else if (types[i] == 'b')
            v = json_boolean(stmt_int(s, i));
        else if (types[i] == 't')
            v = json_string(time_format(stmt_int(s, i), ts, sizeof(ts)));
        else
            v = json_string(stmt_text(s, i));
        json_object_set_new(o, names[i], v);
    }
    return o;
}

/* All rows of a prepared query as an array (at most max). */
static int rows_json(struct ctx *c, struct stmt *s, const char *const *names, const char *types,
                     int max, json_t **out)
{
    json_t *items = json_array();
    int rc, n = 0;
    while ((rc = stmt_step(s, &c->err)) == 1 && n++ < max)
        json_array_append_new(items, row_json(s, names, types));
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return 0;
}

static int one_row(struct ctx *c, const char *sql, int64_t id, const char *const *names,
                   const char *types, const char *what, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, sql, "i", id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1)
        *out = row_json(s, names, types);
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "id", "no %s %lld", what, (long long)id);
    return rc < 0 ? rc : 0;
}

/* Ends a write transaction: commit on success, roll back on error. */
static int finish(struct ctx *c, int rc)
{
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

static int64_t actor_or_null(struct ctx *c)
{
    return c->actor.user_id ? c->actor.user_id : INT64_MIN;
}

/* --------------------------------------------------------------- the ledger */

static const char *const entry_names[] = {"id",         "customer_id", "at",
                                          "kind",       "points",      "balance_after",
                                          "expires_at", "order_id",    "redemption_id",
                                          "ref",        "reason",      "user_id",
                                          NULL};
#define ENTRY_TYPES "iitsiitiissi"
#define ENTRY_COLS                                                                                 \
    "id, customer_id, at, kind, points, balance_after, expires_at, order_id, redemption_id, ref, " \
    "reason, user_id"

/* The programme's expiry in months (0: points never expire). */
static int64_t expiry_months(struct ctx *c)
{
    int64_t m = 24;
    if (store_int(c->st, &m, NULL,
                  "SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'loyalty_expiry_months'",
                  ""))
        m = 24;
    return m;
}

/* When a credit made at t expires, or INT64_MIN (NULL) when never. */
static int64_t expiry_of(struct ctx *c, int64_t t)
{
    int64_t m = expiry_months(c);
    if (m <= 0)
        return INT64_MIN;
    int32_t day = (int32_t)(t / 86400);
    return (int64_t)days_add_months(day, (int)m) * 86400 + t % 86400;
}

/* Moves the member to the tier their qualifying points reach; emits
 * loyalty.tier_changed {from, to, from_name, to_name, tier_points}. */
static int tier_refresh(struct ctx *c, int64_t cid)
{
    struct stmt *s = NULL;
    int rc = store_query(
        c->st, &s, &c->err,
        "SELECT m.tier_id, m.tier_points, t.id, t.name, (SELECT name FROM loyalty_tiers WHERE id "
        "= m.tier_id) FROM loyalty_members m LEFT JOIN loyalty_tiers t ON t.id = (SELECT id FROM "
        "loyalty_tiers WHERE threshold <= m.tier_points ORDER BY threshold DESC LIMIT 1) WHERE "
        "m.customer_id = ?",
        "i", cid);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc != 1) {
        stmt_done(s);
        return rc < 0 ? rc : fail(c, ERR_NOTFOUND, "customer_id", "not a member");
    }
    int64_t old = stmt_isnull(s, 0) ? 0 : stmt_int(s, 0), pts = stmt_int(s, 1);
    int64_t nid = stmt_isnull(s, 2) ? 0 : stmt_int(s, 2);
    json_t *data =
        json_pack("{s:o,s:o,s:o,s:o,s:I}", "from", old ? json_integer(old) : json_null(), "to",
                  nid ? json_integer(nid) : json_null(), "from_name",
                  stmt_text(s, 4) ? json_string(stmt_text(s, 4)) : json_null(), "to_name",
                  stmt_text(s, 3) ? json_string(stmt_text(s, 3)) : json_null(), "tier_points",
                  (json_int_t)pts);
    stmt_done(s);
    rc = 0;
    if (old != nid) {
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE loyalty_members SET tier_id = ? WHERE customer_id = ?", "Ii",
                       nid ? nid : INT64_MIN, cid);
        /* loyalty.tier_changed: {from, to, from_name, to_name, tier_points} */
        if (!rc)
            rc = event_emit(c, "loyalty.tier_changed", cid, "loyalty_member", cid, data, NULL);
    }
    json_decref(data);
    return rc;
}

struct entry {
    const char *kind;
    int64_t points;
    int64_t expires_at; /* INT64_MIN: none */
    int64_t order_id, redemption_id;
    const char *ref, *reason;
    int allow_negative; /* a reversal may take the balance below zero */
};

/* Appends one entry inside the caller's transaction: the ledger row, the
 * cached balance and qualifying points, the tier, and the event. *id (may be
 * NULL) gets the entry id. */
static int ledger_add(struct ctx *c, int64_t cid, const struct entry *e, int64_t *id)
{
    int64_t bal = 0, newbal, eid = 0;
    int rc = store_int(c->st, &bal, &c->err,
                       "SELECT balance FROM loyalty_members WHERE customer_id = ?", "i", cid);
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_NOTFOUND, "customer_id", "customer %lld is not a loyalty member",
                    (long long)cid);
    if (rc)
        return rc;
    if (__builtin_add_overflow(bal, e->points, &newbal) || newbal > INT64_MAX / 4)
        return fail(c, ERR_INVALID, "points", "the balance would overflow");
    if (newbal < 0 && e->points < 0 && !e->allow_negative)
        return fail(c, ERR_CONFLICT, "points",
                    "not enough points: %lld needed, the balance is %lld", (long long)-e->points,
                    (long long)bal);
    int64_t now = time_now();
    rc = store_int(c->st, &eid, &c->err,
                   "INSERT INTO loyalty_ledger(customer_id, at, kind, points, balance_after, "
                   "expires_at, order_id, redemption_id, ref, reason, user_id) VALUES (?, ?, ?, ?, "
                   "?, ?, ?, ?, ?, ?, ?) RETURNING id",
                   "iisiiIIIssI", cid, now, e->kind, e->points, newbal, e->expires_at,
                   e->order_id ? e->order_id : INT64_MIN,
                   e->redemption_id ? e->redemption_id : INT64_MIN, e->ref, e->reason,
                   actor_or_null(c));
    if (rc == ERR_EXISTS)
        return fail(c, ERR_EXISTS, "ref", "already credited for '%s'", e->ref ? e->ref : "");
    if (rc)
        return rc;
    int qualifying = !strcmp(e->kind, "earn") || !strcmp(e->kind, "reversal");
    rc = store_run(c->st, NULL, &c->err,
                   "UPDATE loyalty_members SET balance = ?, tier_points = tier_points + ?, "
                   "updated_at = ? WHERE customer_id = ?",
                   "iiii", newbal, qualifying ? e->points : 0, now, cid);
    if (!rc && qualifying)
        rc = tier_refresh(c, cid);
    if (!rc && strcmp(e->kind, "redeem")) {
        /* loyalty.earned (credits), loyalty.reversed, loyalty.expired,
         * loyalty.adjusted: {entry_id, kind, points, balance, order_id, ref,
         * reason}. loyalty.redeemed is emitted by loyalty_redeem. */
        const char *type = e->points > 0                  ? "loyalty.earned"
                           : !strcmp(e->kind, "reversal") ? "loyalty.reversed"
                           : !strcmp(e->kind, "expire")   ? "loyalty.expired"
                                                          : "loyalty.adjusted";
        json_t *data =
            json_pack("{s:I,s:s,s:I,s:I,s:o,s:s?,s:s?}", "entry_id", (json_int_t)eid, "kind",
                      e->kind, "points", (json_int_t)e->points, "balance", (json_int_t)newbal,
                      "order_id", e->order_id ? json_integer(e->order_id) : json_null(), "ref",
                      e->ref, "reason", e->reason);
        rc = event_emit(c, type, cid, "loyalty_entry", eid, data, NULL);
        json_decref(data);
    }
    if (!rc && id)
        *id = eid;
    return rc;
}

static int entry_get(struct ctx *c, int64_t id, json_t **out)
{
    return one_row(c, "SELECT " ENTRY_COLS " FROM loyalty_ledger WHERE id = ?", id, entry_names,
                   ENTRY_TYPES, "ledger entry", out);
}

/* A bonus rule's points (0 when inactive or absent). */
static int64_t bonus_points(struct ctx *c, const char *kind)
{
    int64_t p = 0;
    if (store_int(c->st, &p, NULL,
                  "SELECT points FROM loyalty_rules WHERE kind = ? AND active = 1 AND category IS "
                  "NULL",
                  "s", kind))
        return 0;
    return p;
}

/* Credits a bonus rule's points with an idempotency ref; nothing when the
 * rule gives none or the ref was already credited. */
static int bonus(struct ctx *c, int64_t cid, const char *rule, const char *kind, const char *ref,
                 const char *reason)
{
    int64_t p = bonus_points(c, rule);
    if (p <= 0)
        return 0;
    struct entry e = {.kind = kind,
                      .points = p,
                      .expires_at = expiry_of(c, time_now()),
                      .ref = ref,
                      .reason = reason};
    int rc = store_begin(c->st, &c->err); /* savepoint: a duplicate ref is skipped */
    if (rc)
        return rc;
    rc = ledger_add(c, cid, &e, NULL);
    if (rc == ERR_EXISTS) {
        store_rollback(c->st);
        err_clear(&c->err);
        return 0;
    }
    return finish(c, rc);
}

/* -------------------------------------------------------------- membership */

const struct field loyalty_enrol_fields[] = {
    {"referral_code", FT_STRING, FF_NULLABLE, 20, NULL, NULL,
     "the sponsor's code (parrainage): both are rewarded on the first purchase"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int loyalty_enrol(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out)
{
    int rc = in ? fields_check(loyalty_enrol_fields, in, FIELDS_CREATE, &c->err) : 0;
    if (rc)
        return rc;
    const char *code = in ? jstr(in, "referral_code") : NULL;
    char card[CARD_LEN + 1], mine[REFCODE_LEN + 1];
    if (card_number(customer_id, card, sizeof(card)) ||
        referral_code(customer_id, mine, sizeof(mine)))
        return fail(c, ERR_INVALID, "customer_id", "id out of range for a card number");
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = customer_exists(c, customer_id);
    int64_t guest = 0, referrer = 0, dummy = 0, now = time_now();
    if (!rc)
        rc = store_int(c->st, &guest, &c->err,
                       "SELECT kind = 'guest' OR erased_at IS NOT NULL FROM customers WHERE id = ?",
                       "i", customer_id);
    if (!rc && guest)
        rc = fail(c, ERR_INVALID, "customer_id", "a guest or erased customer cannot join");
    if (!rc && store_int(c->st, &dummy, NULL, "SELECT 1 FROM loyalty_members WHERE customer_id = ?",
                         "i", customer_id) == 0)
        rc = fail(c, ERR_EXISTS, "customer_id", "already a member");
    if (!rc && code) {
        int r2 = store_int(c->st, &referrer, &c->err,
                           "SELECT customer_id FROM loyalty_members WHERE referral_code = upper(?)",
                           "s", code);
        if (r2 == ERR_NOTFOUND)
            rc = fail(c, ERR_INVALID, "referral_code", "no member has this referral code");
        else
            rc = r2;
    }
    if (!rc)
        rc =
            store_run(c->st, NULL, &c->err,
                      "INSERT INTO loyalty_members(customer_id, card_number, referral_code, "
                      "referred_by, enrolled_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                      "issIii", customer_id, card, mine, referrer ? referrer : INT64_MIN, now, now);
    if (!rc)
        rc = tier_refresh(c, customer_id);
    if (!rc)
        rc = bonus(c, customer_id, "welcome", "bonus", "welcome", "welcome bonus");
    if (!rc && referrer)
        rc = customer_relate(c, customer_id, referrer, "referral", 1);
    if (!rc)
        rc = loyalty_balance(c, customer_id, out);
    if (!rc)
        rc = audit_record(c, "enrol", "customer", customer_id, NULL, *out);
    if (!rc) {
        /* loyalty.enrolled: {card_number, referred_by} */
        json_t *d = json_pack("{s:s,s:o}", "card_number", card, "referred_by",
                              referrer ? json_integer(referrer) : json_null());
        rc = event_emit(c, "loyalty.enrolled", customer_id, "loyalty_member", customer_id, d, NULL);
        json_decref(d);
    }
    if (rc && *out) {
        json_decref(*out);
        *out = NULL;
    }
    return finish(c, rc);
}

int loyalty_balance(struct ctx *c, int64_t customer_id, json_t **out)
{
    static const char *const names[] = {
        "customer_id", "card_number",   "referral_code",       "referred_by",
        "balance",     "tier_points",   "enrolled_at",         "tier_id",
        "tier",        "tier_benefits", "tier_earn_bonus_pct", NULL};
    json_t *m = NULL;
    int rc = one_row(c,
                     "SELECT m.customer_id, m.card_number, m.referral_code, m.referred_by, "
                     "m.balance, m.tier_points, m.enrolled_at, t.id, t.name, t.benefits, "
                     "t.earn_bonus_pct FROM loyalty_members m LEFT JOIN loyalty_tiers t ON t.id = "
                     "m.tier_id WHERE m.customer_id = ?",
                     customer_id, names, "issiiitissi", "loyalty member", &m);
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_NOTFOUND, "customer_id", "customer %lld is not a loyalty member",
                    (long long)customer_id);
    if (rc)
        return rc;
    int64_t tp = json_integer_value(json_object_get(m, "tier_points"));
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT name, threshold FROM loyalty_tiers WHERE threshold > ? ORDER BY "
                     "threshold LIMIT 1",
                     "i", tp);
    if (!rc) {
        json_t *next = json_null();
        if ((rc = stmt_step(s, &c->err)) == 1)
            next = json_pack("{s:s,s:I,s:I}", "name", stmt_text(s, 0), "threshold",
                             (json_int_t)stmt_int(s, 1), "points_needed",
                             (json_int_t)(stmt_int(s, 1) - tp));
        stmt_done(s);
        json_object_set_new(m, "next_tier", next);
        rc = rc < 0 ? rc : 0;
    }
    /* what the next expiry run within 30 days would take (FIFO) */
    int64_t soon = time_now() + 30 * 86400;
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT COALESCE(SUM(points) FILTER (WHERE expires_at IS NOT NULL AND "
                         "expires_at <= ?), 0), COALESCE(-SUM(points) FILTER (WHERE expires_at IS "
                         "NULL AND points < 0), 0) FROM loyalty_ledger WHERE customer_id = ?",
                         "ii", soon, customer_id);
    if (!rc) {
        if ((rc = stmt_step(s, &c->err)) == 1) {
            int64_t bal = json_integer_value(json_object_get(m, "balance"));
            char ts[TIME_BUF];
            json_object_set_new(
                m, "expiring",
                json_pack("{s:I,s:s}", "points",
                          (json_int_t)points_to_expire(stmt_int(s, 0), stmt_int(s, 1), bal),
                          "before", time_format(soon, ts, sizeof(ts))));
        }
        stmt_done(s);
        rc = rc < 0 ? rc : 0;
    }
    if (rc) {
        json_decref(m);
        return rc;
    }
    *out = m;
    return 0;
}

int loyalty_card_lookup(struct ctx *c, const char *card, json_t **out)
{
    size_t n = card ? strlen(card) : 0;
    if (n != CARD_LEN || strspn(card, "0123456789") != n)
        return fail(c, ERR_INVALID, "card", "a card number has %d digits", CARD_LEN);
    if (!luhn_valid(card))
        return fail(c, ERR_INVALID, "card", "wrong check digit: mistyped card number?");
    int64_t cid = 0;
    int rc = store_int(c->st, &cid, &c->err,
                       "SELECT customer_id FROM loyalty_members WHERE card_number = ?", "s", card);
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_NOTFOUND, "card", "no member has this card");
    return rc ? rc : loyalty_balance(c, cid, out);
}

/* ------------------------------------------------------ awards, corrections */

const struct field loyalty_award_fields[] = {
    {"points", FT_INT, FF_REQUIRED, LOYALTY_MAX_POINTS, NULL, NULL, "1 to 1,000,000"},
    {"reason", FT_STRING, FF_NULLABLE, 200, NULL, NULL, NULL},
    {"ref", FT_STRING, FF_NULLABLE, 100, NULL, NULL,
     "idempotency key: a second award with the same ref is refused"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field loyalty_adjust_fields[] = {
    {"points", FT_INT, FF_REQUIRED, 0, NULL, NULL,
     "-1,000,000 to 1,000,000, not 0; a debit cannot exceed the balance"},
    {"reason", FT_STRING, FF_REQUIRED, 200, NULL, NULL, "why (kept in the ledger)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int loyalty_award(struct ctx *c, int64_t customer_id, int64_t points, const char *reason,
                  const char *ref, json_t **out)
{
    if (points < 1 || points > LOYALTY_MAX_POINTS)
        return fail(c, ERR_INVALID, "points", "must be between 1 and %d", LOYALTY_MAX_POINTS);
    if (reason && strlen(reason) > 200)
        return fail(c, ERR_INVALID, "reason", "too long (at most 200 bytes)");
    if (ref && (!*ref || strlen(ref) > 100))
        return fail(c, ERR_INVALID, "ref", "1 to 100 bytes");
    char r[112];
    if (ref)
        snprintf(r, sizeof(r), "award:%s", ref);
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    struct entry e = {.kind = "award",
                      .points = points,
                      .expires_at = expiry_of(c, time_now()),
                      .ref = ref ? r : NULL,
                      .reason = reason};
    int64_t id = 0;
    rc = ledger_add(c, customer_id, &e, &id);
    if (!rc && out)
        rc = entry_get(c, id, out);
    return finish(c, rc);
}

int loyalty_adjust(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out)
{
    int rc = fields_check(loyalty_adjust_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int64_t p = jint_or(in, "points", 0);
    if (p == 0 || p > LOYALTY_MAX_POINTS || p < -LOYALTY_MAX_POINTS)
        return fail(c, ERR_INVALID, "points", "must be non-zero, between -%d and %d",
                    LOYALTY_MAX_POINTS, LOYALTY_MAX_POINTS);
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    struct entry e = {.kind = "adjust",
                      .points = p,
                      .expires_at = p > 0 ? expiry_of(c, time_now()) : INT64_MIN,
                      .reason = jstr(in, "reason")};
    int64_t id = 0;
    rc = ledger_add(c, customer_id, &e, &id);
    if (!rc)
        rc = entry_get(c, id, out);
    if (!rc)
        rc = audit_record(c, "loyalty_adjust", "customer", customer_id, NULL, *out);
    if (rc && *out) {
        json_decref(*out);
        *out = NULL;
    }
    return finish(c, rc);
}

int loyalty_ledger(struct ctx *c, int64_t customer_id, int64_t before_id, int limit, json_t **out)
{
    if (limit <= 0)
        limit = 50;
    if (limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    int64_t dummy;
    int rc = store_int(c->st, &dummy, &c->err,
                       "SELECT 1 FROM loyalty_members WHERE customer_id = ?", "i", customer_id);
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_NOTFOUND, "customer_id", "customer %lld is not a loyalty member",
                    (long long)customer_id);
    if (rc)
        return rc;
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT " ENTRY_COLS " FROM loyalty_ledger WHERE customer_id = ? AND id < ? "
                     "ORDER BY id DESC LIMIT ?",
                     "iii", customer_id, before_id > 0 ? before_id : INT64_MAX, (int64_t)limit + 1);
    json_t *items = NULL;
    if (!rc)
        rc = rows_json(c, s, entry_names, ENTRY_TYPES, limit + 1, &items);
    if (rc)
        return rc;
    json_t *next = json_null();
    if ((int)json_array_size(items) > limit) {
        json_array_remove(items, (size_t)limit);
        char cur[32];
        snprintf(cur, sizeof(cur), "%lld",
                 (long long)json_integer_value(
                     json_object_get(json_array_get(items, (size_t)limit - 1), "id")));
        json_decref(next);
        next = json_string(cur);
    }
    *out = json_pack("{s:o,s:o}", "items", items, "next_cursor", next);
    return 0;
}

/* ------------------------------------------------------------- redemptions */

const struct field loyalty_redeem_fields[] = {
    {"reward_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"request_id", FT_STRING, FF_NULLABLE, 100, NULL, NULL,
     "idempotency key: the same request_id never redeems twice"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int loyalty_redeem(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out)
{
    int rc = fields_check(loyalty_redeem_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int64_t rid = jint_or(in, "reward_id", 0);
    const char *request = jstr(in, "request_id");
    rc = store_begin(c->st, &c->err); /* the write lock: check and debit are one step */
    if (rc)
        return rc;
    struct stmt *s = NULL;
    int64_t cost = 0, stock = -1, active = 0, min_thr = 0, tier_thr = 0, bal = 0;
    char name[201] = "";
    rc = store_query(c->st, &s, &c->err,
                     "SELECT r.cost_points, r.stock, r.active, COALESCE(t.threshold, 0), r.name, "
                     "t.name FROM loyalty_rewards r LEFT JOIN loyalty_tiers t ON t.id = "
                     "r.min_tier_id WHERE r.id = ?",
                     "i", rid);
    char tier[101] = "";
    if (!rc) {
        rc = stmt_step(s, &c->err);
        if (rc == 1) {
            cost = stmt_int(s, 0);
            stock = stmt_isnull(s, 1) ? -1 : stmt_int(s, 1);
            active = stmt_int(s, 2);
            min_thr = stmt_int(s, 3);
            snprintf(name, sizeof(name), "%s", stmt_text(s, 4));
            snprintf(tier, sizeof(tier), "%s", stmt_text(s, 5) ? stmt_text(s, 5) : "");
        }
        stmt_done(s);
        if (rc == 0)
            rc = fail(c, ERR_INVALID, "reward_id", "no reward %lld", (long long)rid);
        else if (rc == 1)
            rc = 0;
    }
    if (!rc) {
        rc = store_query(c->st, &s, &c->err,
                         "SELECT m.balance, COALESCE(t.threshold, 0) FROM loyalty_members m LEFT "
                         "JOIN loyalty_tiers t ON t.id = m.tier_id WHERE m.customer_id = ?",
                         "i", customer_id);
        if (!rc) {
            rc = stmt_step(s, &c->err);
            if (rc == 1) {
                bal = stmt_int(s, 0);
                tier_thr = stmt_int(s, 1);
            }
            stmt_done(s);
            if (rc == 0)
                rc = fail(c, ERR_NOTFOUND, "customer_id", "customer %lld is not a loyalty member",
                          (long long)customer_id);
            else if (rc == 1)
                rc = 0;
        }
    }
    if (!rc && !active)
        rc = fail(c, ERR_CONFLICT, "reward_id", "the reward '%s' is withdrawn", name);
    if (!rc && stock == 0)
        rc = fail(c, ERR_CONFLICT, "reward_id", "the reward '%s' is out of stock", name);
    if (!rc && tier_thr < min_thr)
        rc = fail(c, ERR_CONFLICT, "reward_id", "the reward '%s' is for %s members and above", name,
                  tier);
    if (!rc && bal < cost)
        rc = fail(c, ERR_CONFLICT, "points",
                  "not enough points: '%s' costs %lld, the balance is %lld", name, (long long)cost,
                  (long long)bal);
    int64_t red = 0, eid = 0;
    if (!rc) {
        rc = store_int(c->st, &red, &c->err,
                       "INSERT INTO loyalty_redemptions(customer_id, reward_id, points, "
                       "request_id, at, user_id) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                       "iiisiI", customer_id, rid, cost, request, time_now(), actor_or_null(c));
        if (rc == ERR_EXISTS)
            rc = fail(c, ERR_EXISTS, "request_id", "this request was already redeemed");
    }
    if (!rc) {
        struct entry e = {.kind = "redeem",
                          .points = -cost,
                          .expires_at = INT64_MIN,
                          .redemption_id = red,
                          .reason = name};
        rc = ledger_add(c, customer_id, &e, &eid);
    }
    if (!rc && stock > 0)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE loyalty_rewards SET stock = stock - 1 WHERE id = ? AND stock > 0",
                       "i", rid);
    json_t *entry = NULL;
    if (!rc)
        rc = entry_get(c, eid, &entry);
    if (!rc) {
        /* loyalty.redeemed: {redemption_id, reward_id, reward, points, balance} */
        json_t *d = json_pack("{s:I,s:I,s:s,s:I,s:I}", "redemption_id", (json_int_t)red,
                              "reward_id", (json_int_t)rid, "reward", name, "points",
                              (json_int_t)cost, "balance", (json_int_t)(bal - cost));
        rc = event_emit(c, "loyalty.redeemed", customer_id, "loyalty_redemption", red, d, NULL);
        json_decref(d);
    }
    if (!rc)
        *out = json_pack("{s:I,s:I,s:s,s:I,s:I,s:o}", "redemption_id", (json_int_t)red, "reward_id",
                         (json_int_t)rid, "reward", name, "points", (json_int_t)cost, "balance",
                         (json_int_t)(bal - cost), "entry", entry);
    else
        json_decref(entry);
    return finish(c, rc);
}

/* ------------------------------------------------------------------ orders */

/* The points an order earns in its current state (0 when cancelled or made
 * before the member joined; negative for a refund order). */
static int order_points(struct ctx *c, int64_t order_id, int64_t cid, int64_t *pts)
{
    struct stmt *s = NULL;
    *pts = 0;
    int64_t total = 0, ordered = 0, enrolled = 0, bonus_pct = 0, base = 0, tier_points = 0;
    int refund = 0, live = 0;
    int rc = store_query(
        c->st, &s, &c->err,
        "SELECT o.kind = 'refund', o.status NOT IN ('cancelled','refunded'), o.total_minor, "
        "o.ordered_at, m.enrolled_at, COALESCE(t.earn_bonus_pct, 0), m.tier_points, "
        "COALESCE((SELECT rate FROM loyalty_rules WHERE kind = 'base' AND active = 1), 0) FROM "
        "orders o JOIN loyalty_members m ON m.customer_id = o.customer_id LEFT JOIN loyalty_tiers "
        "t ON t.id = m.tier_id WHERE o.id = ? AND o.customer_id = ?",
        "ii", order_id, cid);
    if (rc)
        return rc;
    if ((rc = stmt_step(s, &c->err)) == 1) {
        refund = (int)stmt_int(s, 0);
        live = (int)stmt_int(s, 1);
        total = stmt_int(s, 2);
        ordered = stmt_int(s, 3);
        enrolled = stmt_int(s, 4);
        bonus_pct = stmt_int(s, 5);
        tier_points = stmt_int(s, 6);
        base = stmt_int(s, 7);
    }
    stmt_done(s);
    if (rc <= 0)
        return rc;
    if (ordered < enrolled || !live || (!refund && total <= 0))
        return 0;
    /* per line: the category's rate, else the base rate */
    int64_t lines = 0;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT ol.amount_minor, COALESCE((SELECT r.rate FROM loyalty_rules r WHERE "
                     "r.kind = 'category' AND r.active = 1 AND r.category = p.category), ?) FROM "
                     "order_lines ol LEFT JOIN products p ON p.id = ol.product_id WHERE "
                     "ol.order_id = ?",
                     "ii", base, order_id);
    if (rc)
        return rc;
    /* points per line (rounded down each), saturating on absurd amounts */
    int bonus = refund ? 0 : (int)bonus_pct;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        int64_t amount = stmt_int(s, 0);
        *pts = points_add(
            *pts, points_for(refund && amount > 0 ? -amount : amount, stmt_int(s, 1), bonus));
        lines++;
    }
    stmt_done(s);
    if (rc < 0)
        return rc;
    if (!lines)
        *pts = points_for(refund && total > 0 ? -total : total, base, bonus);
    /* a refund takes back no more than purchases earned */
    if (refund && -*pts > tier_points)
        *pts = tier_points > 0 ? -tier_points : 0;
    return 0;
}

int loyalty_order_changed(struct ctx *c, int64_t order_id)
{
    int64_t cid = 0;
    int rc = store_int(c->st, &cid, &c->err,
                       "SELECT o.customer_id FROM orders o JOIN loyalty_members m ON m.customer_id "
                       "= o.customer_id WHERE o.id = ?",
                       "i", order_id);
    if (rc == ERR_NOTFOUND) { /* not a member's order */
        err_clear(&c->err);
        return 0;
    }
    if (rc)
        return rc;
    int64_t want = 0, have = 0, exp = INT64_MIN, first_sale = 0;
    rc = order_points(c, order_id, cid, &want);
    if (!rc)
        rc = store_int(c->st, &have, &c->err,
                       "SELECT COALESCE(SUM(points), 0) FROM loyalty_ledger WHERE order_id = ? AND "
                       "customer_id = ? AND kind IN ('earn','reversal')",
                       "ii", order_id, cid);
    if (rc)
        return rc;
    int64_t delta = want - have;
    if (delta > 0) {
        struct entry e = {.kind = "earn",
                          .points = delta,
                          .expires_at = expiry_of(c, time_now()),
                          .order_id = order_id,
                          .reason = "purchase"};
        rc = ledger_add(c, cid, &e, NULL);
        first_sale = have == 0;
    } else if (delta < 0) {
        /* the reversal expires with the credit it undoes, so FIFO expiry
         * does not count those points twice */
        if (store_int(c->st, &exp, NULL,
                      "SELECT expires_at FROM loyalty_ledger WHERE order_id = ? AND kind = 'earn' "
                      "AND expires_at IS NOT NULL ORDER BY id LIMIT 1",
                      "i", order_id))
            exp = INT64_MIN;
        struct entry e = {.kind = "reversal",
                          .points = delta,
                          .expires_at = exp,
                          .order_id = order_id,
                          .reason = "order cancelled or refunded",
                          .allow_negative = 1};
        rc = ledger_add(c, cid, &e, NULL);
    }
    /* parrainage: both sides are rewarded on the referee's first purchase */
    int64_t referrer = 0;
    if (!rc && first_sale &&
        store_int(c->st, &referrer, NULL,
                  "SELECT referred_by FROM loyalty_members WHERE customer_id = ? AND referred_by "
                  "IS NOT NULL AND referral_rewarded = 0",
                  "i", cid) == 0) {
        char ref[48];
        snprintf(ref, sizeof(ref), "referral:%lld", (long long)cid);
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE loyalty_members SET referral_rewarded = 1 WHERE customer_id = ?",
                       "i", cid);
        if (!rc)
            rc = bonus(c, cid, "referee", "referral", ref, "referral: first purchase");
        if (!rc)
            rc = bonus(c, referrer, "referrer", "referral", ref, "referral: a referee's purchase");
    }
    return rc;
}

/* ------------------------------------------------------ expiry, birthdays */

/* Collects up to max member ids from a query (statement done before any
 * write). */
static int collect_ids(struct ctx *c, struct stmt *s, int64_t **ids, size_t *n)
{
    size_t cap = 0;
    int rc;
    *ids = NULL;
    *n = 0;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            int64_t *p = realloc(*ids, cap * sizeof(**ids));
            if (!p) {
                rc = fail(c, ERR_INTERNAL, "", "out of memory");
                break;
            }
            *ids = p;
        }
        (*ids)[(*n)++] = stmt_int(s, 0);
    }
    stmt_done(s);
    if (rc < 0) {
        free(*ids);
        *ids = NULL;
        *n = 0;
        return rc;
    }
    return 0;
}

static int expire_one(struct ctx *c, int64_t cid, int64_t now, int *touched)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT COALESCE(SUM(points) FILTER (WHERE expires_at IS NOT NULL AND "
                         "expires_at <= ?), 0), COALESCE(-SUM(points) FILTER (WHERE expires_at IS "
                         "NULL AND points < 0), 0), (SELECT balance FROM loyalty_members WHERE "
                         "customer_id = ?) FROM loyalty_ledger WHERE customer_id = ?",
                         "iii", now, cid, cid);
    if (rc)
        return rc;
    int64_t pts = 0;
    if ((rc = stmt_step(s, &c->err)) == 1)
        pts = points_to_expire(stmt_int(s, 0), stmt_int(s, 1), stmt_int(s, 2));
    stmt_done(s);
    if (rc < 0 || pts <= 0)
        return rc < 0 ? rc : 0;
    struct entry e = {
        .kind = "expire", .points = -pts, .expires_at = INT64_MIN, .reason = "points expired"};
    rc = ledger_add(c, cid, &e, NULL);
    if (!rc)
        (*touched)++;
    return rc;
}

int loyalty_expire(struct ctx *c, int *n)
{
    int64_t now = time_now(), *ids = NULL;
    size_t nids = 0;
    int touched = 0;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT DISTINCT customer_id FROM loyalty_ledger WHERE expires_at <= ? "
                         "ORDER BY customer_id",
                         "i", now);
    if (!rc)
        rc = collect_ids(c, s, &ids, &nids);
    /* batches of members per transaction: short write locks */
    for (size_t i = 0; !rc && i < nids; i += 500) {
        rc = store_begin(c->st, &c->err);
        for (size_t j = i; !rc && j < nids && j < i + 500; j++)
            rc = expire_one(c, ids[j], now, &touched);
        if (!rc)
            rc = store_commit(c->st, &c->err);
        else
            store_rollback(c->st);
    }
    free(ids);
    if (n)
        *n = touched;
    return rc;
}

int loyalty_birthdays(struct ctx *c, int *n)
{
    int64_t now = time_now(), *ids = NULL;
    int y, m, d;
    civil_from_days((int32_t)(now / 86400), &y, &m, &d);
    char md[8], alt[8], ref[24];
    snprintf(md, sizeof(md), "%02d-%02d", m, d);
    /* 29 February birthdays are celebrated on the 28th in other years */
    snprintf(alt, sizeof(alt), "%s", m == 2 && d == 28 && !date_valid(y, 2, 29) ? "02-29" : md);
    snprintf(ref, sizeof(ref), "birthday:%04d", y);
    size_t nids = 0;
    int credited = 0;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT m.customer_id FROM loyalty_members m JOIN customers cu ON cu.id = "
                         "m.customer_id WHERE substr(cu.birth_date, 6, 5) IN (?, ?) AND NOT EXISTS "
                         "(SELECT 1 FROM loyalty_ledger l WHERE l.customer_id = m.customer_id AND "
                         "l.ref = ?) ORDER BY m.customer_id",
                         "sss", md, alt, ref);
    if (!rc)
        rc = collect_ids(c, s, &ids, &nids);
    for (size_t i = 0; !rc && i < nids; i++) {
        rc = store_begin(c->st, &c->err);
        if (rc)
            break;
        int64_t before = 0, after = 0;
        store_int(c->st, &before, NULL, "SELECT balance FROM loyalty_members WHERE customer_id = ?",
                  "i", ids[i]);
        rc = bonus(c, ids[i], "birthday", "bonus", ref, "birthday bonus");
        store_int(c->st, &after, NULL, "SELECT balance FROM loyalty_members WHERE customer_id = ?",
                  "i", ids[i]);
        if (!rc && after > before)
            credited++;
        rc = finish(c, rc);
    }
    free(ids);
    if (n)
        *n = credited;
    return rc;
}

int loyalty_verify(struct ctx *c, int64_t *bad)
{
    return store_int(c->st, bad, &c->err,
                     "SELECT COUNT(*) FROM loyalty_members m WHERE m.balance <> (SELECT "
                     "COALESCE(SUM(points), 0) FROM loyalty_ledger l WHERE l.customer_id = "
                     "m.customer_id)",
                     "");
}

/* ------------------------------------------------------------ the programme */

const struct field loyalty_rule_fields[] = {
    {"kind", FT_ENUM, FF_REQUIRED, 0, "base|category|welcome|birthday|referrer|referee", NULL,
     "base and category: points per currency unit; the others: bonus points"},
    {"category", FT_STRING, FF_NULLABLE, 100, NULL, NULL, "product category (kind category)"},
    {"rate", FT_INT, 0, 1000, NULL, NULL, "points per currency unit, 0 to 1000"},
    {"points", FT_INT, 0, LOYALTY_MAX_POINTS, NULL, NULL, "bonus points"},
    {"active", FT_BOOL, 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field loyalty_tier_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 100, NULL, NULL, NULL},
    {"threshold", FT_INT, FF_REQUIRED, 100000000, NULL, NULL, "qualifying points to reach it"},
    {"earn_bonus_pct", FT_INT, 0, 1000, NULL, NULL, "extra points on purchases, in %"},
    {"benefits", FT_TEXT, FF_NULLABLE, 2000, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field loyalty_reward_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"description", FT_TEXT, FF_NULLABLE, 2000, NULL, NULL, NULL},
    {"cost_points", FT_INT, FF_REQUIRED, LOYALTY_MAX_POINTS, NULL, NULL, "1 to 1,000,000"},
    {"stock", FT_INT, FF_NULLABLE, 100000000, NULL, NULL, "null: unlimited"},
    {"min_tier_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "reserved to this tier and above"},
    {"active", FT_BOOL, 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const rule_names[] = {"id",     "kind",   "category", "rate",
                                         "points", "active", NULL};
#define RULE_COLS "id, kind, category, rate, points, active"
static const char *const tier_names[] = {"id",       "name", "threshold", "earn_bonus_pct",
                                         "benefits", NULL};
#define TIER_COLS "id, name, threshold, earn_bonus_pct, benefits"
static const char *const reward_names[] = {"id",    "name",        "description", "cost_points",
                                           "stock", "min_tier_id", "active",      NULL};
#define REWARD_COLS "id, name, description, cost_points, stock, min_tier_id, active"

/* The stored row merged with the input (an update changes only what is
 * sent), checked as a whole. */
static int merged(struct ctx *c, const struct field *spec, const char *sql, int64_t id,
                  const char *const *names, const char *types, const char *what, const json_t *in,
                  json_t **out)
{
    int rc = fields_check(spec, in, id ? FIELDS_UPDATE : FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    json_t *m = NULL;
    if (id) {
        rc = one_row(c, sql, id, names, types, what, &m);
        if (rc)
            return rc;
        json_object_del(m, "id");
    } else {
        m = json_object();
    }
    json_object_update(m, (json_t *)in);
    *out = m;
    return 0;
}

static int min_int(struct ctx *c, const json_t *o, const char *k, int64_t lo)
{
    json_t *v = json_object_get(o, k);
    if (json_is_integer(v) && json_integer_value(v) < lo)
        return fail(c, ERR_INVALID, k, "must be at least %lld", (long long)lo);
    return 0;
}

int loyalty_rule_save(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    json_t *m = NULL;
    int rc = merged(c, loyalty_rule_fields, "SELECT " RULE_COLS " FROM loyalty_rules WHERE id = ?",
                    id, rule_names, "issiib", "rule", in, &m);
    if (rc)
        return rc;
    const char *kind = jstr(m, "kind"), *cat = jstr(m, "category");
    int is_cat = !strcmp(kind, "category");
    if (is_cat && !(cat && *cat))
        rc = fail(c, ERR_INVALID, "category", "a category rule names the category");
    else if (!is_cat && cat)
        rc = fail(c, ERR_INVALID, "category", "only a category rule has a category");
    if (!rc)
        rc = min_int(c, m, "rate", 0);
    if (!rc)
        rc = min_int(c, m, "points", 0);
    json_t *act = json_object_get(m, "active");
    int64_t now = time_now(), nid = id;
    if (!rc && id)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE loyalty_rules SET kind = ?, category = ?, rate = ?, points = ?, "
                       "active = ?, updated_at = ? WHERE id = ?",
                       "ssiiiii", kind, cat, jint_or(m, "rate", 0), jint_or(m, "points", 0),
                       (int64_t)(act ? json_is_true(act) : 1), now, id);
    else if (!rc)
        rc =
            store_int(c->st, &nid, &c->err,
                      "INSERT INTO loyalty_rules(kind, category, rate, points, active, updated_at) "
                      "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                      "ssiiii", kind, cat, jint_or(m, "rate", 0), jint_or(m, "points", 0),
                      (int64_t)(act ? json_is_true(act) : 1), now);
    json_decref(m);
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, is_cat ? "category" : "kind", "this rule exists: change it");
    return rc ? rc
              : one_row(c, "SELECT " RULE_COLS " FROM loyalty_rules WHERE id = ?", nid, rule_names,
                        "issiib", "rule", out);
}

int loyalty_tier_save(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    json_t *m = NULL;
    int rc = merged(c, loyalty_tier_fields, "SELECT " TIER_COLS " FROM loyalty_tiers WHERE id = ?",
                    id, tier_names, "isiis", "tier", in, &m);
    if (rc)
        return rc;
    rc = min_int(c, m, "threshold", 0);
    if (!rc)
        rc = min_int(c, m, "earn_bonus_pct", 0);
    if (!rc)
        rc = store_begin(c->st, &c->err);
    if (rc) {
        json_decref(m);
        return rc;
    }
    int64_t now = time_now(), nid = id;
    if (id)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE loyalty_tiers SET name = ?, threshold = ?, earn_bonus_pct = ?, "
                       "benefits = ?, updated_at = ? WHERE id = ?",
                       "siisii", jstr(m, "name"), jint_or(m, "threshold", 0),
                       jint_or(m, "earn_bonus_pct", 0), jstr(m, "benefits"), now, id);
    else
        rc = store_int(c->st, &nid, &c->err,
                       "INSERT INTO loyalty_tiers(name, threshold, earn_bonus_pct, benefits, "
                       "updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                       "siisi", jstr(m, "name"), jint_or(m, "threshold", 0),
                       jint_or(m, "earn_bonus_pct", 0), jstr(m, "benefits"), now);
    json_decref(m);
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "threshold", "another tier has this name or threshold");
    /* members whose tier the new thresholds change move now, each with its
     * loyalty.tier_changed event, in the same transaction */
    int64_t *ids = NULL;
    size_t n = 0;
    struct stmt *s = NULL;
    if (!rc)
        rc = store_query(
            c->st, &s, &c->err,
            "SELECT customer_id FROM loyalty_members m WHERE tier_id IS DISTINCT FROM (SELECT id "
            "FROM loyalty_tiers WHERE threshold <= m.tier_points ORDER BY threshold "
            "DESC LIMIT 1)",
            "");
    if (!rc)
        rc = collect_ids(c, s, &ids, &n);
    for (size_t i = 0; !rc && i < n; i++)
        rc = tier_refresh(c, ids[i]);
    free(ids);
    if (!rc)
        rc = one_row(c, "SELECT " TIER_COLS " FROM loyalty_tiers WHERE id = ?", nid, tier_names,
                     "isiis", "tier", out);
    if (rc && *out) {
        json_decref(*out);
        *out = NULL;
    }
    return finish(c, rc);
}

int loyalty_reward_save(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    json_t *m = NULL;
    int rc =
        merged(c, loyalty_reward_fields, "SELECT " REWARD_COLS " FROM loyalty_rewards WHERE id = ?",
               id, reward_names, "issiiib", "reward", in, &m);
    if (rc)
        return rc;
    rc = min_int(c, m, "cost_points", 1);
    if (!rc)
        rc = min_int(c, m, "stock", 0);
    json_t *act = json_object_get(m, "active");
    int64_t now = time_now(), nid = id, tier = jint_or(m, "min_tier_id", INT64_MIN);
    if (!rc && id)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE loyalty_rewards SET name = ?, description = ?, cost_points = ?, "
                       "stock = ?, min_tier_id = ?, active = ?, updated_at = ? WHERE id = ?",
                       "ssiIIiii", jstr(m, "name"), jstr(m, "description"),
                       jint_or(m, "cost_points", 0), jint_or(m, "stock", INT64_MIN), tier,
                       (int64_t)(act ? json_is_true(act) : 1), now, id);
    else if (!rc)
        rc = store_int(c->st, &nid, &c->err,
                       "INSERT INTO loyalty_rewards(name, description, cost_points, stock, "
                       "min_tier_id, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                       "?) RETURNING id",
                       "ssiIIiii", jstr(m, "name"), jstr(m, "description"),
                       jint_or(m, "cost_points", 0), jint_or(m, "stock", INT64_MIN), tier,
                       (int64_t)(act ? json_is_true(act) : 1), now, now);
    json_decref(m);
    if (rc == ERR_INVALID && !c->err.field[0])
        rc = fail(c, ERR_INVALID, "min_tier_id", "no such tier");
    return rc ? rc
              : one_row(c, "SELECT " REWARD_COLS " FROM loyalty_rewards WHERE id = ?", nid,
                        reward_names, "issiiib", "reward", out);
}

int loyalty_rewards(struct ctx *c, int active_only, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT " REWARD_COLS " FROM loyalty_rewards WHERE (? = 0 OR active = 1) "
                         "ORDER BY cost_points, id",
                         "i", (int64_t)active_only);
    return rc ? rc : rows_json(c, s, reward_names, "issiiib", 10000, out);
}

int loyalty_programme(struct ctx *c, json_t **out)
{
    json_t *rules = NULL, *tiers = NULL, *rewards = NULL;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT " RULE_COLS " FROM loyalty_rules ORDER BY kind, category", "");
    if (!rc)
        rc = rows_json(c, s, rule_names, "issiib", 10000, &rules);
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT " TIER_COLS " FROM loyalty_tiers ORDER BY threshold", "");
    if (!rc)
        rc = rows_json(c, s, tier_names, "isiis", 1000, &tiers);
    if (!rc)
        rc = loyalty_rewards(c, 0, &rewards);
    int64_t members = 0;
    if (!rc)
        rc = store_int(c->st, &members, &c->err, "SELECT COUNT(*) FROM loyalty_members", "");
    if (rc) {
        json_decref(rules);
        json_decref(tiers);
        json_decref(rewards);
        return rc;
    }
    *out = json_pack("{s:o,s:o,s:o,s:I,s:I}", "rules", rules, "tiers", tiers, "rewards", rewards,
                     "expiry_months", (json_int_t)expiry_months(c), "members", (json_int_t)members);
    return 0;
}

int loyalty_set_expiry(struct ctx *c, int64_t months)
{
    if (months < 0 || months > 120)
        return fail(c, ERR_INVALID, "expiry_months", "0 (never) to 120 months");
    char v[24];
    snprintf(v, sizeof(v), "%lld", (long long)months);
    return store_run(c->st, NULL, &c->err,
                     "INSERT INTO settings(key, value) VALUES ('loyalty_expiry_months', ?) ON "
                     "CONFLICT(key) DO UPDATE SET value = excluded.value",
                     "s", v);
}

/* -------------------------------------------------------------------- demo */

int loyalty_demo(struct ctx *c, int64_t members)
{
    static const struct {
        const char *name;
        int cost;
    } rewards[] = {{"Sample set", 300}, {"10 € voucher", 1000}, {"Spa afternoon", 5000}};
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof(rewards) / sizeof(rewards[0]); i++) {
        json_t *in =
                   json_pack("{s:s,s:i}", "name", rewards[i].name, "cost_points", rewards[i].cost),
               *out = NULL;
        rc = loyalty_reward_save(c, 0, in, &out);
        json_decref(in);
        json_decref(out);
    }
    int64_t *ids = NULL;
    size_t n = 0;
    struct stmt *s = NULL;
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT id FROM customers WHERE kind = 'person' AND orders_count > 0 "
                         "ORDER BY revenue_minor DESC, id LIMIT ?",
                         "i", members);
    if (!rc)
        rc = collect_ids(c, s, &ids, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *out = NULL;
        rc = loyalty_enrol(c, ids[i], NULL, &out);
        json_decref(out);
        int64_t rev = 0;
        if (!rc)
            rc = store_int(c->st, &rev, &c->err,
                           "SELECT revenue_minor / 100 FROM customers WHERE id = ?", "i", ids[i]);
        if (!rc && rev > 0)
            rc = loyalty_award(c, ids[i], rev > LOYALTY_MAX_POINTS ? LOYALTY_MAX_POINTS : rev,
                               "points carried over from the previous card", "carry-over", NULL);
    }
    free(ids);
    return rc;
}
