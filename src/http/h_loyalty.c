/* Routes of the loyalty programme: members, ledger, awards, corrections,
 * redemptions, cards, the programme's rules, tiers and rewards, and the
 * expiry and birthday jobs. Thin: parse → app/loyalty.c → reply. */
#include <stdio.h>

#include "app/customers.h"
#include "app/loyalty.h"
#include "http/handlers.h"

#define STAFF ROLES_STAFF
#define WRITE ROLES_WRITE
#define PROGRAMME (ROLE_ADMIN | ROLE_MANAGER | ROLE_MARKETING | ROLE_SYSTEM)
#define JOBS (ROLE_ADMIN | ROLE_MANAGER | ROLE_SYSTEM)

static const struct field settings_fields[] = {
    {"expiry_months", FT_INT, FF_REQUIRED, 120, NULL, NULL, "0 (never) to 120"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int h_programme(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = loyalty_programme(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_programme_update(struct req *r, struct resp *w)
{
    int rc = req_body(r, settings_fields, 0);
    if (!rc)
        rc = loyalty_set_expiry(&r->c,
                                json_integer_value(json_object_get(r->body, "expiry_months")));
    return rc ? rc : h_programme(r, w);
}

static int h_enrol(struct req *r, struct resp *w)
{
    int rc = req_body(r, loyalty_enrol_fields, 1);
    json_t *out = NULL;
    if (!rc)
        rc = loyalty_enrol(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_member(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = loyalty_balance(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

/* {"member": …} or {"member": null}: the 360° view asks for every customer,
 * and a customer who has not joined is not an error there */
static int h_customer_loyalty(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = customer_exists(&r->c, r->id);
    if (!rc) {
        rc = loyalty_balance(&r->c, r->id, &out);
        if (rc == ERR_NOTFOUND) {
            err_clear(&r->c.err);
            rc = 0;
        }
    }
    return rc ? rc : reply_json(w, 200, json_pack("{s:o}", "member", out ? out : json_null()));
}

static int h_ledger(struct req *r, struct resp *w)
{
    int64_t limit, before;
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &before);
    if (!rc && (limit < 1 || limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    json_t *out = NULL;
    if (!rc)
        rc = loyalty_ledger(&r->c, r->id, before, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_award(struct req *r, struct resp *w)
{
    int rc = req_body(r, loyalty_award_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = loyalty_award(&r->c, r->id, json_integer_value(json_object_get(r->body, "points")),
                           json_string_value(json_object_get(r->body, "reason")),
                           json_string_value(json_object_get(r->body, "ref")), &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_adjust(struct req *r, struct resp *w)
{
    int rc = req_body(r, loyalty_adjust_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = loyalty_adjust(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_redeem(struct req *r, struct resp *w)
{
    int rc = req_body(r, loyalty_redeem_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = loyalty_redeem(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_card(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = loyalty_card_lookup(&r->c, r->params[0], &out);
    return rc ? rc : reply_json(w, 200, out);
}

typedef int (*save_fn)(struct ctx *c, int64_t id, const json_t *in, json_t **out);

/* The service checks the body (an update against the merged stored row). */
static int save(struct req *r, struct resp *w, save_fn fn, int64_t id)
{
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object body is required");
    json_t *out = NULL;
    int rc = fn(&r->c, id, r->body, &out);
    return rc ? rc : reply_json(w, id ? 200 : 201, out);
}

static int h_rule_create(struct req *r, struct resp *w)
{
    return save(r, w, loyalty_rule_save, 0);
}
static int h_rule_update(struct req *r, struct resp *w)
{
    return r->id ? save(r, w, loyalty_rule_save, r->id)
                 : err_set(&r->c.err, ERR_NOTFOUND, "id", "no such rule");
}
static int h_tier_create(struct req *r, struct resp *w)
{
    return save(r, w, loyalty_tier_save, 0);
}
static int h_tier_update(struct req *r, struct resp *w)
{
    return r->id ? save(r, w, loyalty_tier_save, r->id)
                 : err_set(&r->c.err, ERR_NOTFOUND, "id", "no such tier");
}
static int h_reward_create(struct req *r, struct resp *w)
{
    return save(r, w, loyalty_reward_save, 0);
}
static int h_reward_update(struct req *r, struct resp *w)
{
    return r->id ? save(r, w, loyalty_reward_save, r->id)
                 : err_set(&r->c.err, ERR_NOTFOUND, "id", "no such reward");
}

static int h_rewards(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    const char *all = req_query(r, "all");
    int rc = loyalty_rewards(&r->c, !(all && all[0] == '1'), &out);
    return rc ? rc : reply_json(w, 200, json_pack("{s:o}", "items", out));
}

static int h_expire(struct req *r, struct resp *w)
{
    int n = 0;
    int rc = loyalty_expire(&r->c, &n);
    return rc ? rc : reply_json(w, 200, json_pack("{s:i}", "members", n));
}

static int h_birthdays(struct req *r, struct resp *w)
{
    int n = 0;
    int rc = loyalty_birthdays(&r->c, &n);
    return rc ? rc : reply_json(w, 200, json_pack("{s:i}", "members", n));
}

static int h_verify(struct req *r, struct resp *w)
{
    int64_t bad = 0;
    int rc = loyalty_verify(&r->c, &bad);
    return rc ? rc : reply_json(w, 200, json_pack("{s:I}", "mismatched", (json_int_t)bad));
}

const struct route loyalty_routes[] = {
    {"GET", "/api/v1/loyalty/programme", h_programme, STAFF, "loyalty",
     "The programme: earning rules, tiers, rewards, expiry, member count", NULL},
    {"PATCH", "/api/v1/loyalty/programme", h_programme_update, PROGRAMME, "loyalty",
     "Set the points expiry in months (0: never)", settings_fields},
    {"POST", "/api/v1/loyalty/rules", h_rule_create, PROGRAMME, "loyalty",
     "Add an earning rule (base or category rate, welcome, birthday, referrer, referee bonus)",
     loyalty_rule_fields},
    {"PATCH", "/api/v1/loyalty/rules/{id}", h_rule_update, PROGRAMME, "loyalty",
     "Change an earning rule", loyalty_rule_fields},
    {"POST", "/api/v1/loyalty/tiers", h_tier_create, PROGRAMME, "loyalty",
     "Add a tier (threshold in qualifying points, benefits, earning bonus)", loyalty_tier_fields},
    {"PATCH", "/api/v1/loyalty/tiers/{id}", h_tier_update, PROGRAMME, "loyalty", "Change a tier",
     loyalty_tier_fields},
    {"GET", "/api/v1/loyalty/rewards", h_rewards, STAFF, "loyalty",
     "The rewards catalogue (all=1 includes withdrawn rewards)", NULL},
    {"POST", "/api/v1/loyalty/rewards", h_reward_create, PROGRAMME, "loyalty",
     "Add a reward to the catalogue", loyalty_reward_fields},
    {"PATCH", "/api/v1/loyalty/rewards/{id}", h_reward_update, PROGRAMME, "loyalty",
     "Change or withdraw a reward", loyalty_reward_fields},
    {"POST", "/api/v1/loyalty/members/{id}", h_enrol, WRITE, "loyalty",
     "Enrol customer {id}: card number, referral code, welcome bonus (referral_code: sponsor)",
     loyalty_enrol_fields},
    {"GET", "/api/v1/loyalty/members/{id}", h_member, STAFF, "loyalty",
     "A member's card, balance, tier, next tier and points expiring within 30 days", NULL},
    {"GET", "/api/v1/customers/{id}/loyalty", h_customer_loyalty, STAFF, "loyalty",
     "The customer's membership ({member: null} when not a member)", NULL},
    {"GET", "/api/v1/loyalty/members/{id}/ledger", h_ledger, STAFF, "loyalty",
     "A member's points ledger, newest first (limit, cursor)", NULL},
    {"POST", "/api/v1/loyalty/members/{id}/awards", h_award, PROGRAMME, "loyalty",
     "Credit points (1..1,000,000; ref makes it idempotent)", loyalty_award_fields},
    {"POST", "/api/v1/loyalty/members/{id}/adjustments", h_adjust, PROGRAMME, "loyalty",
     "Correct a balance with a new ledger entry (reason required)", loyalty_adjust_fields},
    {"POST", "/api/v1/loyalty/members/{id}/redemptions", h_redeem, WRITE, "loyalty",
     "Redeem a reward against the balance (request_id: idempotency key)", loyalty_redeem_fields},
    {"GET", "/api/v1/loyalty/cards/{card}", h_card, STAFF, "loyalty",
     "Find a member by card number (the check digit is verified)", NULL},
    {"POST", "/api/v1/loyalty/expire", h_expire, JOBS, "loyalty",
     "Expire points past the programme's expiry (FIFO); daily job", NULL},
    {"POST", "/api/v1/loyalty/birthdays", h_birthdays, JOBS, "loyalty",
     "Credit today's birthday bonuses (once a year per member); daily job", NULL},
    {"GET", "/api/v1/loyalty/verify", h_verify, STAFF, "loyalty",
     "Members whose cached balance differs from the sum of their ledger (should be 0)", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
