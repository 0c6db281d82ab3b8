/*
 * Business-hours arithmetic (see bizhours.h): walks day by day through the
 * local calendar, so a week of closed days or a long holiday costs a few
 * iterations, never a loop per second.
 */
#include "util/bizhours.h"

#include <stdlib.h>

#define DAY 86400

static int weekday(int32_t day) /* 0 = Monday; 1970-01-01 was a Thursday */
{
    int w = (int)((day + 3) % 7);
    return w < 0 ? w + 7 : w;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int is_holiday(const struct bizcal *cal, int32_t day)
{
    int lo = 0, hi = cal->nholidays - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (cal->holidays[mid] == day)
            return 1;
        if (cal->holidays[mid] < day)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

/* The open window of a local day in local seconds since the epoch; 0 when
 * closed. */
static int window(const struct bizcal *cal, int32_t day, int64_t *from, int64_t *to)
{
    int w = weekday(day);
    if (cal->close_min[w] <= cal->open_min[w] || is_holiday(cal, day))
        return 0;
    *from = (int64_t)day * DAY + (int64_t)cal->open_min[w] * 60;
    *to = (int64_t)day * DAY + (int64_t)cal->close_min[w] * 60;
    return 1;
}

void bizcal_always(struct bizcal *cal)
{
    cal->tz_offset_min = 0;
    for (int i = 0; i < 7; i++) {
        cal->open_min[i] = 0;
        cal->close_min[i] = 1440;
    }
    cal->nholidays = 0;
}

int bizhours_parse_hhmm(const char *s)
{
    if (!s || !(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
                s[3] >= '0' && s[3] <= '9' && s[4] >= '0' && s[4] <= '9' && !s[5]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

static int cmp_day(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int bizcal_finish(struct bizcal *cal)
{
    if (cal->tz_offset_min < -720 || cal->tz_offset_min > 840 || cal->nholidays < 0 ||
        cal->nholidays > BIZ_MAX_HOLIDAYS)
        return -1;
    for (int i = 0; i < 7; i++)
        if (cal->open_min[i] < 0 || cal->close_min[i] > 1440 ||
            cal->open_min[i] > cal->close_min[i])
            return -1;
    qsort(cal->holidays, (size_t)cal->nholidays, sizeof(cal->holidays[0]), cmp_day);
    return 0;
}

static int any_open(const struct bizcal *cal)
{
    for (int i = 0; i < 7; i++)
        if (cal->close_min[i] > cal->open_min[i])
            return 1;
    return 0;
}

int bizhours_is_open(const struct bizcal *cal, int64_t t)
{
    int64_t local = t + (int64_t)cal->tz_offset_min * 60, from, to;
    int32_t day = (int32_t)floordiv(local, DAY);
    return window(cal, day, &from, &to) && local >= from && local < to;
}

int64_t bizhours_add(const struct bizcal *cal, int64_t start, int64_t seconds)
{
    if (seconds <= 0)
        return start;
    if (!any_open(cal))
        return INT64_MAX;
    int64_t off = (int64_t)cal->tz_offset_min * 60, local = start + off, left = seconds;
    int32_t day = (int32_t)floordiv(local, DAY);
    /* holidays can close every open day for at most a year and a bit */
    for (int guard = 0; guard < 4000 + 7 * BIZ_MAX_HOLIDAYS; guard++, day++) {
        int64_t from, to;
        if (!window(cal, day, &from, &to) || local >= to)
            continue;
        if (local < from)
            local = from;
        if (to - local >= left)
            return local + left - off;
        left -= to - local;
        local = to;
    }
    return INT64_MAX;
}

int64_t bizhours_between(const struct bizcal *cal, int64_t a, int64_t b)
{
    if (b < a)
        return -bizhours_between(cal, b, a);
    int64_t off = (int64_t)cal->tz_offset_min * 60, la = a + off, lb = b + off, sum = 0;
    int32_t d0 = (int32_t)floordiv(la, DAY), d1 = (int32_t)floordiv(lb, DAY);
    int32_t full0 = d0 + 1, full1 = d1; /* whole days in [full0, full1) */
    for (int32_t day = d0; day <= d1; day++) {
        if (day == full0 && full1 - full0 > 14) {
            /* whole weeks at once, holidays subtracted below */
            int64_t weeks = (full1 - full0) / 7, week = 0;
            for (int i = 0; i < 7; i++)
                week += (int64_t)(cal->close_min[i] - cal->open_min[i]) * 60;
            sum += weeks * week;
            for (int h = 0; h < cal->nholidays; h++) {
                int32_t hd = cal->holidays[h];
                if (hd >= full0 && hd < full0 + weeks * 7) {
                    int w = weekday(hd);
                    sum -= (int64_t)(cal->close_min[w] - cal->open_min[w]) * 60;
                }
            }
            day = (int32_t)(full0 + weeks * 7) - 1;
            continue;
        }
        int64_t from, to;
        if (!window(cal, day, &from, &to))
            continue;
        if (from < la)
            from = la;
        if (to > lb)
            to = lb;
        if (to > from)
            sum += to - from;
    }
    return sum;
}
