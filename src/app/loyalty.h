/*
 * The loyalty programme: members with a card number (Luhn check digit) and a
 * referral (parrainage) code, earning rules (points per currency unit, per
 * category, welcome / birthday / referral bonuses), tiers, a rewards catalogue
 * and redemptions, points expiry, and the append-only points ledger.
 *
 * Invariants: a member's cached balance (loyalty_members.balance) equals
 * SUM(loyalty_ledger.points) of that member; both change in the same write
 * transaction (store_begin takes the write lock at once, so the balance check
 * of a redemption and its ledger entry cannot interleave with another
 * request). Nothing in the ledger is updated or deleted: corrections,
 * reversals and expiries are new entries. Only a reversal (refund or
 * cancellation of an order whose points were already spent) can leave a
 * balance below zero; redemptions, adjustments and expiry never do.
 *
 * Orders earn through a call from the order service: order_create and
 * order_set_status call loyalty_order_changed inside their transaction, so
 * points, reversals and the referral reward commit with the order.
 *
 * Every function returns 0 or a negative error kind with c->err filled; *out
 * (when given) is owned by the caller (json_decref).
 */
#ifndef APP_LOYALTY_H
#define APP_LOYALTY_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

#define LOYALTY_MAX_POINTS 1000000 /* one entry moves at most this many points */

extern const struct field loyalty_enrol_fields[];
extern const struct field loyalty_award_fields[];
extern const struct field loyalty_adjust_fields[];
extern const struct field loyalty_redeem_fields[];
extern const struct field loyalty_rule_fields[];
extern const struct field loyalty_tier_fields[];
extern const struct field loyalty_reward_fields[];

/* Enrols a customer: card number, referral code, the welcome bonus, and the
 * referrer when in has "referral_code". ERR_EXISTS when already a member. */
int loyalty_enrol(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out);

/* The member: card, referral code, balance, tier, next tier, points expiring
 * soon. ERR_NOTFOUND when the customer is not a member. */
int loyalty_balance(struct ctx *c, int64_t customer_id, json_t **out);

/* Credits points (1..LOYALTY_MAX_POINTS) to a member, e.g. from the rules
 * engine. ref (may be NULL) makes the award idempotent: a second award with
 * the same ref for the same member is ERR_EXISTS. reason may be NULL.
 * Emits loyalty.earned. *out (may be NULL) gets the ledger entry. */
int loyalty_award(struct ctx *c, int64_t customer_id, int64_t points, const char *reason,
                  const char *ref, json_t **out);

/* A manual correction (±points, reason required): a new ledger entry. A
 * debit larger than the balance is refused. Audited. */
int loyalty_adjust(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out);

/* Redeems a reward: checks the reward (active, stock, tier) and the balance,
 * debits the points, lowers the stock, in one write transaction. A repeated
 * request_id for the member is ERR_EXISTS (a double click never spends
 * twice). Emits loyalty.redeemed. */
int loyalty_redeem(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out);

/* The ledger of a member, newest first, keyset on id. */
int loyalty_ledger(struct ctx *c, int64_t customer_id, int64_t before_id, int limit, json_t **out);

/* Finds a member by card number; ERR_INVALID (field "card") when the check
 * digit is wrong, ERR_NOTFOUND when no member has it. */
int loyalty_card_lookup(struct ctx *c, const char *card, json_t **out);

/* Called by the order service inside its transaction after an order is
 * created or its status changes: brings the points of that order to what its
 * current state earns (an earn entry, or a reversal when it is cancelled,
 * refunded, or a refund order), and rewards both sides of a referral on the
 * referee's first purchase. Does nothing when the buyer is not a member. */
int loyalty_order_changed(struct ctx *c, int64_t order_id);

/* Expires points older than the programme's expiry (FIFO: spent points are
 * taken from the oldest credits first) for every member. *n (may be NULL)
 * gets the number of members touched. */
int loyalty_expire(struct ctx *c, int *n);
/* Credits the birthday bonus to members born on today's month and day, once a
 * year. *n (may be NULL) gets the number credited. */
int loyalty_birthdays(struct ctx *c, int *n);

/* Programme settings: earning rules, tiers, rewards (create, update, list).
 * Saving a tier moves the members whose tier the thresholds change (each
 * with loyalty.tier_changed) in the same transaction. */
int loyalty_programme(struct ctx *c, json_t **out);
int loyalty_rule_save(struct ctx *c, int64_t id, const json_t *in, json_t **out);
int loyalty_tier_save(struct ctx *c, int64_t id, const json_t *in, json_t **out);
int loyalty_reward_save(struct ctx *c, int64_t id, const json_t *in, json_t **out);
int loyalty_rewards(struct ctx *c, int active_only, json_t **out);
/* Months after which credited points expire (0: never; at most 120). */
int loyalty_set_expiry(struct ctx *c, int64_t months);

/* Checks every member's cached balance against SUM(ledger); *bad gets the
 * number of members that differ (0 when consistent). */
int loyalty_verify(struct ctx *c, int64_t *bad);

/* Enrols part of a demo database's customers with some history. */
int loyalty_demo(struct ctx *c, int64_t members);

#endif
