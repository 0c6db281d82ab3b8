/*
 * Call events of the phone system (see cti_event.h): the field table, the
 * parser and the HMAC-SHA256 signature of the webhook.
 */
#include "app/cti_event.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeu.h"
#include "util/validate.h"

const struct field cti_event_fields[] = {
    {"call_id", FT_STRING, FF_REQUIRED, 100, NULL, NULL,
     "the phone system's id of the call, the same on each of its events"},
    {"event", FT_ENUM, FF_REQUIRED, 0, CTI_EVENTS, NULL, NULL},
    {"direction", FT_ENUM, 0, 0, "inbound|outbound", NULL, "inbound when absent"},
    {"from", FT_STRING, FF_REQUIRED, 40, NULL, NULL, "calling number (E.164, national or as sent)"},
    {"to", FT_STRING, FF_REQUIRED, 40, NULL, NULL, "called number"},
    {"agent", FT_STRING, FF_NULLABLE, 254, NULL, NULL,
     "the agent's e-mail (the relatio user whose browser gets the call card)"},
    {"outcome", FT_ENUM, FF_NULLABLE, 0, CTI_OUTCOMES, NULL,
     "on ended; derived from the events when absent"},
    {"at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, "when it happened; now when absent"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A number as E.164 when it parses, else as sent (printable ASCII only). */
static int number(const char *in, const char *country, char out[41], const char *field,
                  struct err *e)
{
    char e164[17];
    if (phone_normalize(in, country, e164) == 0) {
        snprintf(out, 41, "%s", e164);
        return 0;
    }
    if (!*in)
        return err_set(e, ERR_INVALID, field, "must not be empty");
    for (const char *p = in; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return err_set(e, ERR_INVALID, field, "a phone number, an extension or 'anonymous'");
    snprintf(out, 41, "%s", in);
    return 0;
}

int cti_event_parse(const char *body, size_t len, const char *country, struct cti_event *ev,
                    struct err *e)
{
    memset(ev, 0, sizeof(*ev));
    if (len > CTI_MAX_BODY)
        return err_set(e, ERR_TOOLARGE, "body", "a call event is at most %d bytes", CTI_MAX_BODY);
    json_error_t je;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return err_set(e, ERR_BADREQ, "body", "malformed JSON at line %d, column %d", je.line,
                       je.column);
    int rc = 0;
    if (!json_is_object(o))
        rc = err_set(e, ERR_BADREQ, "body", "the body must be a JSON object");
    if (!rc)
        rc = fields_check(cti_event_fields, o, FIELDS_CREATE, e);
    if (!rc) {
        const char *id = jstr(o, "call_id");
        for (const char *p = id; *p && !rc; p++)
            if ((unsigned char)*p < 0x20)
                rc = err_set(e, ERR_INVALID, "call_id", "no control characters");
        if (!rc && !*id)
            rc = err_set(e, ERR_INVALID, "call_id", "must not be empty");
        snprintf(ev->call_id, sizeof(ev->call_id), "%s", id);
    }
    if (!rc) {
        snprintf(ev->event, sizeof(ev->event), "%s", jstr(o, "event"));
        const char *d = jstr(o, "direction");
        snprintf(ev->direction, sizeof(ev->direction), "%s", d ? d : "inbound");
        const char *a = jstr(o, "agent"), *out = jstr(o, "outcome"), *at = jstr(o, "at");
        snprintf(ev->agent, sizeof(ev->agent), "%s", a ? a : "");
        snprintf(ev->outcome, sizeof(ev->outcome), "%s", out ? out : "");
        if (at && time_parse(at, &ev->at))
            rc = err_set(e, ERR_INVALID, "at", "an ISO 8601 date-time");
    }
    if (!rc)
        rc = number(jstr(o, "from"), country, ev->from, "from", e);
    if (!rc)
        rc = number(jstr(o, "to"), country, ev->to, "to", e);
    json_decref(o);
    if (rc)
        memset(ev, 0, sizeof(*ev));
    return rc;
}

static void mac_of(const char *secret, const char *ts, const char *body, size_t len,
                   unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof(st));
}

void cti_sign(const char *secret, const char *ts, const char *body, size_t len, char hex[65])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    mac_of(secret, ts, body, len, mac);
    sodium_bin2hex(hex, 65, mac, sizeof(mac));
}

int cti_signature_check(const char *secret, const char *ts, const char *sig, const char *body,
                        size_t len, int64_t now, struct err *e)
{
    if (!secret || !*secret)
        return err_set(e, ERR_UNAUTH, "X-CTI-Signature", "no CTI secret is set");
    if (!ts || !sig)
        return err_set(e, ERR_UNAUTH, ts ? "X-CTI-Signature" : "X-CTI-Timestamp",
                       "signed call events need X-CTI-Timestamp and X-CTI-Signature");
    char *end = NULL;
    errno = 0;
    long long t = strtoll(ts, &end, 10);
    if (errno || end == ts || *end || strlen(ts) > 12)
        return err_set(e, ERR_UNAUTH, "X-CTI-Timestamp", "must be Unix seconds");
    if (t < now - CTI_WINDOW_S || t > now + CTI_WINDOW_S)
        return err_set(e, ERR_UNAUTH, "X-CTI-Timestamp",
                       "outside the %d s window (replayed, or a clock out of step)", CTI_WINDOW_S);
    unsigned char sent[crypto_auth_hmacsha256_BYTES];
    size_t n = 0;
    if (strncmp(sig, "sha256=", 7) != 0 || strlen(sig + 7) != 64 ||
        sodium_hex2bin(sent, sizeof(sent), sig + 7, 64, NULL, &n, NULL) != 0 || n != sizeof(sent))
        return err_set(e, ERR_UNAUTH, "X-CTI-Signature", "must be sha256=<64 hex digits>");
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    mac_of(secret, ts, body, len, mac);
    if (sodium_memcmp(mac, sent, sizeof(mac)) != 0)
        return err_set(e, ERR_UNAUTH, "X-CTI-Signature", "the signature does not match");
    return 0;
}
