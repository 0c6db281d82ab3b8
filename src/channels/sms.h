/*
 * Sending SMS through an HTTP gateway with libcurl: the gateway is a URL and
 * a body template in which {{to}}, {{text}}, {{from}} and {{key}} (the
 * message's idempotency key, for gateways that deduplicate) are replaced,
 * escaped for the content type (JSON or form).
 */
#ifndef CHANNELS_SMS_H
#define CHANNELS_SMS_H

#include "util/err.h"

#define SMS_DEFAULT_TEMPLATE                                                                       \
    "{\"to\":\"{{to}}\",\"from\":\"{{from}}\",\"text\":\"{{text}}\",\"id\":\"{{key}}\"}"

struct sms_config {
    const char *url;           /* "https://gateway.example/send" */
    const char *body_template; /* NULL: SMS_DEFAULT_TEMPLATE */
    const char *content_type;  /* NULL: application/json; or application/x-www-form-urlencoded */
    const char *auth_header;   /* e.g. "Authorization: Bearer …", may be NULL */
    const char *from;          /* sender id, may be NULL */
    int timeout_ms;            /* whole request; 0: 10 s */
};

/* Sends text to the E.164 number to. 0 when the gateway answered 2xx;
 * ERR_INVALID when it refused the message for good (4xx other than 408 and
 * 429; e->msg has the status and the start of its answer); ERR_UNAVAILABLE
 * on a temporary failure (5xx, 408, 429, connection, timeout): retry. */
int sms_send(const struct sms_config *cfg, const char *to, const char *text, const char *key,
             struct err *e);

/* The request body sms_send would post (for tests and previews). Caller
 * frees; NULL when a value does not fit the content type. */
char *sms_body(const struct sms_config *cfg, const char *to, const char *text, const char *key);

#endif
