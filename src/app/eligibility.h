/*
 * The checks before every marketing message, as pure logic over facts the
 * caller gathered: consent for the channel and purpose, an address, the
 * suppression list, offers refused on any channel, the provenance terms of
 * the customer's data (rented files), the marketing-pressure cap across
 * channels, and quiet hours (which defer rather than exclude).
 */
#ifndef APP_ELIGIBILITY_H
#define APP_ELIGIBILITY_H
#include <stdint.h>

/* Why a customer gets no message; ELIG_OK when they do. Order is the order
 * of the checks: the first failing one is the reason reported. */
enum elig_reason {
    ELIG_OK = 0,
    ELIG_UNREACHABLE,        /* erased or merged record */
    ELIG_NO_ADDRESS,         /* no e-mail / phone / postal address for the channel */
    ELIG_NO_CONSENT,         /* never asked for this channel and purpose */
    ELIG_CONSENT_WITHDRAWN,  /* the latest decision withdraws it */
    ELIG_SUPPRESSED,         /* address on the suppression list (bounce, unsubscribe) */
    ELIG_OFFER_REFUSED,      /* the customer refused this offer on some channel */
    ELIG_PROVENANCE_NOT_YET, /* rented file not usable yet */
    ELIG_PROVENANCE_EXPIRED, /* rented file's terms have ended */
    ELIG_PROVENANCE_PURPOSE, /* rented file's terms exclude this purpose */
    ELIG_PRESSURE_CAP,       /* too many messages in the window, all channels */
    ELIG_NREASONS
};

/* Consent as read from the ledger: the latest decision for (channel, purpose). */
enum elig_consent { CONSENT_NONE = 0, CONSENT_GRANTED, CONSENT_WITHDRAWN };

/* What is known about one recipient. */
struct elig_facts {
    int unreachable;
    int has_address;
    int consent; /* enum elig_consent */
    int suppressed;
    int refused_offer;
    /* provenance: restricted = 1 for bought/rented/exchanged files */
    int restricted;
    int64_t usable_from, usable_until; /* 0: unbounded */
    const char *allowed_purposes;      /* "a|b", NULL: any */
    int recent_messages;               /* queued to them within the window, all channels */
};

/* The campaign's side. */
struct elig_policy {
    const char *purpose;
    int pressure_max;  /* at most this many messages per window; 0: no cap */
    int needs_consent; /* 1: opt-in (e-mail, SMS); 0: opt-out (mail, phone) */
    int64_t now;
};

/* The reason (ELIG_OK when the message may go). */
int eligibility_check(const struct elig_policy *p, const struct elig_facts *f);

/* "consent_withdrawn", "offer_refused"… for reports and the API. */
const char *elig_reason_name(int reason);

/* Quiet hours [start_min, end_min) in minutes of the day (UTC), possibly
 * wrapping midnight (21:00–08:00). Returns t when it is outside them, else
 * the first instant after them. start == end: no quiet hours. */
int64_t quiet_hours_defer(int64_t t, int start_min, int end_min);

/* "HH:MM" → minutes, -1 when malformed. */
int hhmm_minutes(const char *s);

#endif
