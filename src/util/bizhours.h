/*
 * Business-hours arithmetic for SLA clocks: a weekly calendar of opening
 * hours in a fixed UTC offset (no DST: a configured offset), with holidays.
 * Pure: no I/O, no clock; instants are Unix seconds in UTC.
 */
#ifndef UTIL_BIZHOURS_H
#define UTIL_BIZHOURS_H
#include <stdint.h>

#define BIZ_MAX_HOLIDAYS 366

struct bizcal {
    int tz_offset_min;                  /* local = UTC + offset; -720..840 */
    int open_min[7];                    /* per weekday, 0 = Monday: minutes after local midnight */
    int close_min[7];                   /* open == close: closed all day; close <= 1440 */
    int32_t holidays[BIZ_MAX_HOLIDAYS]; /* local days since 1970-01-01, sorted */
    int nholidays;
};

/* A calendar open all the time (24/7, no holidays). */
void bizcal_always(struct bizcal *cal);

/* Parses "HH:MM" (00:00..24:00) into minutes; -1 when malformed or out of
 * range (hours > 24, minutes > 59, 24:xx other than 24:00). */
int bizhours_parse_hhmm(const char *s);

/* Sorts the holidays; 0, or -1 when a weekday opens after it closes or a
 * value is out of range (the caller names the field). */
int bizcal_finish(struct bizcal *cal);

/* 1 when instant t falls inside business hours. */
int bizhours_is_open(const struct bizcal *cal, int64_t t);

/* The instant at which `seconds` business seconds have elapsed after start
 * (seconds <= 0: start itself). A calendar with no open hour at all returns
 * INT64_MAX. */
int64_t bizhours_add(const struct bizcal *cal, int64_t start, int64_t seconds);

/* Business seconds in [a, b); negative when b < a. */
int64_t bizhours_between(const struct bizcal *cal, int64_t a, int64_t b);

#endif
