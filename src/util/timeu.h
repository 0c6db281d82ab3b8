/*
 * Time and calendar arithmetic in UTC. Instants are int64 Unix seconds; days
 * are int32 days since 1970-01-01. The clock can be replaced for tests by the
 * RELATIO_NOW environment variable (an ISO 8601 time).
 */
#ifndef UTIL_TIMEU_H
#define UTIL_TIMEU_H
#include <stddef.h>
#include <stdint.h>

/* Current time in Unix seconds, or RELATIO_NOW when it is set and valid. */
int64_t time_now(void);

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
int32_t days_from_civil(int y, int m, int d);
/* Inverse of days_from_civil. */
void civil_from_days(int32_t days, int *y, int *m, int *d);
/* 1 when y-m-d is a real calendar date (2024-02-29 yes, 2023-02-29 no). */
int date_valid(int y, int m, int d);
/* Number of days in month m of year y. */
int days_in_month(int y, int m);
/* add_months with the end-of-month clamp: 2026-01-31 + 1 = 2026-02-28. */
int32_t days_add_months(int32_t day, int months);
/* Largest m >= 0 with days_add_months(from, m) <= to; -1 when from > to. */
int months_between(int32_t from, int32_t to);

/* Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z", "+hh:mm" or
 * nothing (UTC), and "YYYY-MM-DD HH:MM[:SS]". Returns 0 or -1 when malformed or
 * impossible (31/02). */
int time_parse(const char *s, int64_t *out);
/* Parses only a calendar date "YYYY-MM-DD" into days. 0 or -1. */
int date_parse(const char *s, int32_t *out);
/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
char *time_format(int64_t t, char *buf, size_t len);
/* Formats a day as "YYYY-MM-DD" into buf (at least 11 bytes). */
char *date_format(int32_t day, char *buf, size_t len);

#define TIME_BUF 32

#endif
