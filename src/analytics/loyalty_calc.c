/* Card numbers, referral codes, points, expiry and survey summaries (see
 * loyalty_calc.h). */
#include "analytics/loyalty_calc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int luhn_digit(const char *digits, size_t n)
{
    if (!n)
        return -1;
    int sum = 0;
    /* from the right, every second digit starting with the rightmost is
     * doubled, since the check digit will be appended after it */
    for (size_t i = 0; i < n; i++) {
        char ch = digits[n - 1 - i];
        if (ch < '0' || ch > '9')
            return -1;
        int d = ch - '0';
        if (i % 2 == 0) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return (10 - sum % 10) % 10;
}

int luhn_valid(const char *number)
{
    size_t n = number ? strlen(number) : 0;
    if (n < 2)
        return 0;
    int d = luhn_digit(number, n - 1);
    return d >= 0 && number[n - 1] == '0' + d;
}

int card_number(int64_t customer_id, char *out, size_t len)
{
    if (customer_id <= 0 || customer_id > 9999999999999LL || len < CARD_LEN + 1)
        return -1;
    snprintf(out, len, "92%013lld", (long long)customer_id);
    int d = luhn_digit(out, CARD_LEN - 1);
    out[CARD_LEN - 1] = (char)('0' + d);
    out[CARD_LEN] = 0;
    return 0;
}

int referral_code(int64_t customer_id, char *out, size_t len)
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; /* Crockford */
    const uint64_t mask = (1ULL << 40) - 1;
    if (customer_id <= 0 || (uint64_t)customer_id > mask || len < REFCODE_LEN + 1)
        return -1;
    /* odd multipliers and xor-shifts are bijections modulo 2^40 */
    uint64_t x = (uint64_t)customer_id;
    x = (x * 0x9E3779B97F4A7C15ULL + 0x5DEECE66DULL) & mask;
    x ^= x >> 17;
    x = (x * 0xBF58476D1CE4E5B9ULL) & mask;
    x ^= x >> 21;
    for (int i = REFCODE_LEN - 1; i >= 0; i--) {
        out[i] = alphabet[x & 31];
        x >>= 5;
    }
    out[REFCODE_LEN] = 0;
    return 0;
}

static int64_t clamp(__int128 v)
{
    if (v > POINTS_LIMIT)
        return POINTS_LIMIT;
    if (v < -POINTS_LIMIT)
        return -POINTS_LIMIT;
    return (int64_t)v;
}

int64_t points_for(int64_t amount_minor, int64_t rate, int bonus_pct)
{
    __int128 base = (__int128)amount_minor * rate / 100;
    return clamp(base * (100 + bonus_pct) / 100);
}

int64_t points_add(int64_t a, int64_t b)
{
    return clamp((__int128)a + b);
}

int64_t points_to_expire(int64_t expired_credits, int64_t debits, int64_t balance)
{
    int64_t left = expired_credits - debits;
    if (left > balance)
        left = balance;
    return left > 0 ? left : 0;
}

void score_summarise(const int *scores, size_t n, int scale_max, struct score_summary *out)
{
    memset(out, 0, sizeof(*out));
    double sum = 0;
    int64_t top2 = 0;
    for (size_t i = 0; i < n; i++) {
        int s = scores[i];
        sum += s;
        if (s >= scale_max - 1)
            top2++;
        if (s >= 9)
            out->promoters++;
        else if (s >= 7)
            out->passives++;
        else
            out->detractors++;
    }
    out->n = (int64_t)n;
    out->mean = n ? sum / (double)n : NAN;
    out->csat = n ? 100.0 * (double)top2 / (double)n : NAN;
    out->nps = n ? 100.0 * (double)(out->promoters - out->detractors) / (double)n : NAN;
}
