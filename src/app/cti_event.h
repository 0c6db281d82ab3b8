/*
 * The pure half of telephony (CTI): parsing and checking one call event
 * posted by the phone system, and the shared-secret signature of its
 * webhook. No I/O and no store, so the fuzz driver links it alone.
 */
#ifndef APP_CTI_EVENT_H
#define APP_CTI_EVENT_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/fields.h"

#define CTI_MAX_BODY (16 * 1024) /* bytes of one call event */
#define CTI_EVENTS "ringing|answered|ended"
#define CTI_OUTCOMES "answered|missed|no_answer|busy|voicemail|failed|rejected"
#define CTI_WINDOW_S 300 /* a signed request older or newer than this is refused */

/* The body of POST /api/v1/cti/events (validation and OpenAPI). */
extern const struct field cti_event_fields[];

/* One call event as the service uses it. Numbers are E.164 when they parse
 * with the default country, else kept as sent ("anonymous", an extension). */
struct cti_event {
    char call_id[101];
    char event[16];     /* ringing|answered|ended */
    char direction[16]; /* inbound|outbound ("inbound" when absent) */
    char from[41], to[41];
    char agent[255]; /* "" when absent */
    char outcome[16];   /* "" when absent */
    int64_t at;         /* the event's time; 0 when absent (the receiver uses now) */
};

/* Parses and checks a call event: a JSON object {call_id, event, direction?,
 * from, to, agent?, outcome?, at?} of at most CTI_MAX_BODY bytes. country
 * (ISO alpha-2) is for national numbers. 0, or ERR_BADREQ / ERR_INVALID /
 * ERR_TOOLARGE naming the field. */
int cti_event_parse(const char *body, size_t len, const char *country, struct cti_event *ev,
                    struct err *e);

/* Checks the webhook's signature: sig is "sha256=<64 hex>", the HMAC-SHA256
 * under secret of "<ts>.<body>", and ts (Unix seconds, decimal) lies within
 * CTI_WINDOW_S of now. The comparison is constant-time. 0, or ERR_UNAUTH
 * with a message saying which part failed (never which bytes). */
int cti_signature_check(const char *secret, const char *ts, const char *sig, const char *body,
                        size_t len, int64_t now, struct err *e);

/* hex (65 bytes) gets the HMAC-SHA256 under secret of "<ts>.<body>". */
void cti_sign(const char *secret, const char *ts, const char *body, size_t len, char hex[65]);

#endif
