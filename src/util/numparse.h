/*
 * Number, id and date parsing for imports: the ways people and spreadsheets
 * in France, the UK and the US write amounts and dates, read exactly (amounts
 * in integer minor units, never through a double).
 */
#ifndef UTIL_NUMPARSE_H
#define UTIL_NUMPARSE_H
#include <stddef.h>
#include <stdint.h>

struct err;

/*
 * Numbers. Accepted, around optional ASCII spaces, NBSP or NNBSP:
 * - a sign `-`, `+` or U+2212, or the whole value in parentheses (negative);
 * - a currency symbol `£` `€` `$` `¥` or a 3-letter upper-case code, before
 *   or after the number, with or without a space ("£12.50", "12,50 €",
 *   "EUR 12.50", "-£3", "£-3");
 * - digits with `.` or `,` as decimal separator and, in the integer part,
 *   thousands separators: space, NBSP, NNBSP, `'`, `’`, or whichever of `.`
 *   and `,` is not the decimal one; groups after the first have exactly 3
 *   digits ("1 234,56", "1,234.56", "1.234.567,8", "1'234.5");
 * - an exponent after a number without thousands separators ("1.5e3").
 * Which of `.` and `,` is the decimal separator: the last one when both
 * occur; a repeated one is a thousands separator; a lone `.` is decimal; a
 * lone `,` is decimal unless it is followed by exactly 3 digits after a
 * non-zero integer part of 1 to 3 digits ("1,234"), which is ambiguous and an
 * error unless num_opts.decimal_sep says which it is.
 */
struct num_opts {
    int decimals;     /* digits of the minor unit, 0..18 (2: cents, 3: mills) */
    char decimal_sep; /* '.' or ',' when the file's convention is known; 0: guess */
};

#define NUM_CURRENCY_LEN 4

/*
 * Parses an amount into minor units: "12.345" with decimals 2 is 1235
 * (rounded half away from zero; -12.345 gives -1235). o may be NULL
 * (decimals 2, guess). currency, when not NULL, receives the ISO code written
 * or implied by the symbol (£ GBP, € EUR, $ USD, ¥ JPY), or "" when none.
 * Returns 0, or ERR_INVALID with a message in e (malformed, ambiguous,
 * beyond int64). *out is written only on success.
 */
int num_parse_amount(int64_t *out, char currency[NUM_CURRENCY_LEN], const char *s,
                     const struct num_opts *o, struct err *e);

/*
 * Parses an integer with the same syntax, currency excluded; a fraction must
 * be zero ("17850.0" is 17850, "2.5" is an error). o may be NULL; its
 * decimals are ignored. Returns 0 or ERR_INVALID.
 */
int num_parse_int(int64_t *out, const char *s, const struct num_opts *o, struct err *e);

/*
 * Copies an external id into buf (cap bytes, NUL-terminated), trimmed of
 * surrounding spaces, with the ".0" that spreadsheets add to numeric ids
 * removed: "17850.0" and "17850,00" give "17850"; "00042" stays "00042" and
 * anything else is copied as is. Returns 0, ERR_INVALID for an empty id or
 * ERR_TOOLARGE when it does not fit in buf.
 */
int num_clean_id(char *buf, size_t cap, const char *s, struct err *e);

/* Order of day and month in dates written with slashes or dots. */
enum num_date_order {
    NUM_DMY = 0, /* 31/12/2024: French and British default */
    NUM_MDY = 1  /* 12/31/2024: US */
};

/*
 * Parses a date or date-time into Unix seconds (UTC; a time without an
 * offset is taken as UTC, a date alone as 00:00). Accepted:
 * - ISO 8601 as util/timeu.h: "2024-03-01", "2024-03-01 08:26[:00]",
 *   "2024-03-01T08:26:00Z", with an offset "+02:00";
 * - "YYYYMMDD"; "YYYY/MM/DD";
 * - day, month and a 4-digit year separated by `/`, `.` or `-`, in the given
 *   order, one or two digits each ("1/12/2010", "01.12.2010"), optionally
 *   followed by " H:MM[:SS]" and " AM"/" PM" ("12/1/2010 8:26").
 * Impossible dates ("31/02/2024") and times are errors. Returns 0 or
 * ERR_INVALID with a message saying what is wrong.
 */
int num_parse_date(int64_t *out, const char *s, int order, struct err *e);

/* What one value tells about the date order: NUM_DMY when the first number
 * cannot be a month ("25/12/2024"), NUM_MDY when the second cannot
 * ("12/25/2024"), -1 when it does not tell (also for ISO dates). Scanning a
 * column with it lets an importer choose the order for a file. */
int num_date_order_hint(const char *s);

#endif
