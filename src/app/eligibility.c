/* Pre-send checks (see eligibility.h): pure, no I/O. */
#include "app/eligibility.h"

#include <string.h>

static const char *const names[ELIG_NREASONS] = {
    "ok",
    "unreachable",
    "no_address",
    "no_consent",
    "consent_withdrawn",
    "suppressed",
    "offer_refused",
    "provenance_not_yet",
    "provenance_expired",
    "provenance_purpose",
    "pressure_cap",
};

const char *elig_reason_name(int reason)
{
    return reason >= 0 && reason < ELIG_NREASONS ? names[reason] : "unknown";
}

/* 1 when purpose is one of the '|'-separated alternatives of list. */
static int purpose_in(const char *list, const char *purpose)
{
    size_t pl = strlen(purpose);
    for (const char *p = list; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == pl && !strncmp(p, purpose, n))
            return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

int eligibility_check(const struct elig_policy *p, const struct elig_facts *f)
{
    if (f->unreachable)
        return ELIG_UNREACHABLE;
    if (!f->has_address)
        return ELIG_NO_ADDRESS;
    if (f->consent == CONSENT_WITHDRAWN)
        return ELIG_CONSENT_WITHDRAWN;
    if (p->needs_consent && f->consent != CONSENT_GRANTED)
        return ELIG_NO_CONSENT;
    if (f->suppressed)
        return ELIG_SUPPRESSED;
    if (f->refused_offer)
        return ELIG_OFFER_REFUSED;
    if (f->restricted) {
        if (f->usable_from && p->now < f->usable_from)
            return ELIG_PROVENANCE_NOT_YET;
        if (f->usable_until && p->now >= f->usable_until)
            return ELIG_PROVENANCE_EXPIRED;
        if (f->allowed_purposes && *f->allowed_purposes &&
            !purpose_in(f->allowed_purposes, p->purpose))
            return ELIG_PROVENANCE_PURPOSE;
    }
    if (p->pressure_max > 0 && f->recent_messages >= p->pressure_max)
        return ELIG_PRESSURE_CAP;
    return ELIG_OK;
}

int64_t quiet_hours_defer(int64_t t, int start_min, int end_min)
{
    if (start_min < 0 || end_min < 0 || start_min == end_min)
        return t;
    int64_t day = t - ((t % 86400) + 86400) % 86400;
    int m = (int)((t - day) / 60);
    int quiet =
        start_min < end_min ? (m >= start_min && m < end_min) : (m >= start_min || m < end_min);
    if (!quiet)
        return t;
    int64_t end = day + (int64_t)end_min * 60;
    if (end <= t)
        end += 86400;
    return end;
}

int hhmm_minutes(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}
