/*
 * The pure parts of loyalty and surveys: card numbers with a Luhn check
 * digit, referral codes, points for an amount, FIFO expiry, and the CSAT /
 * NPS summaries. No I/O, no globals.
 */
#ifndef ANALYTICS_LOYALTY_CALC_H
#define ANALYTICS_LOYALTY_CALC_H
#include <stddef.h>
#include <stdint.h>

#define CARD_LEN 16   /* digits of a loyalty card number */
#define REFCODE_LEN 8 /* characters of a referral code */

/* The Luhn check digit (ISO/IEC 7812-1) of a string of decimal digits, or -1
 * when it holds anything else or is empty. */
int luhn_digit(const char *digits, size_t n);
/* 1 when number (digits only, check digit last) passes the Luhn check. */
int luhn_valid(const char *number);

/* The card number of a member: "92", the customer id on 13 digits, the Luhn
 * digit. out has room for CARD_LEN + 1 bytes. -1 when the id does not fit. */
int card_number(int64_t customer_id, char *out, size_t len);

/* A referral code of REFCODE_LEN Crockford base-32 characters: a bijection
 * of the id below 2^40, so two members never share one and neighbours'
 * codes look unrelated. out has room for REFCODE_LEN + 1 bytes. */
int referral_code(int64_t customer_id, char *out, size_t len);

/* Points earned for amount_minor (minor units, 100 to the currency unit) at
 * rate points per unit, plus bonus_pct percent, rounded toward zero (a
 * negative amount, a refund, gives negative points). Saturates at
 * +-POINTS_LIMIT instead of overflowing. */
#define POINTS_LIMIT (INT64_MAX / 4)
int64_t points_for(int64_t amount_minor, int64_t rate, int bonus_pct);
/* a + b saturated at +-POINTS_LIMIT. */
int64_t points_add(int64_t a, int64_t b);

/* FIFO expiry: expired_credits is the sum of credits whose expiry date has
 * passed (net of their reversals), debits the sum of every debit so far
 * (redemptions, expiries, negative adjustments, as a positive number).
 * Spending takes the oldest credits first, so what is still unspent of the
 * expired credits is expired_credits - debits; never more than the balance,
 * never negative. */
int64_t points_to_expire(int64_t expired_credits, int64_t debits, int64_t balance);

struct score_summary {
    int64_t n;
    double mean; /* NaN when n = 0 */
    double csat; /* % of scores in the top two of the scale (4-5 of 5) */
    double nps;  /* % promoters (9-10) - % detractors (0-6), -100..100 */
    int64_t promoters, passives, detractors;
};

/* Summarises scores on a scale 0/1..scale_max. CSAT counts top-two-box
 * answers (Reichheld 2003 for NPS; top-two-box for CSAT). */
void score_summarise(const int *scores, size_t n, int scale_max, struct score_summary *out);

#endif
