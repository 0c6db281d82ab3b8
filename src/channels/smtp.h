/*
 * Sending e-mail over SMTP with libcurl. One message at a time, built as
 * MIME (text, optional HTML alternative, UTF-8, RFC 2047 subjects). Used by
 * the campaign send queue and by the service desk's replies.
 */
#ifndef CHANNELS_SMTP_H
#define CHANNELS_SMTP_H

#include "util/err.h"

struct smtp_config {
    const char *url;      /* "smtp://127.0.0.1:2525" or "smtps://host:465" */
    const char *user;     /* NULL: no AUTH */
    const char *password;
    int timeout_ms;       /* whole transaction; 0: 30 s */
};

struct mail_msg {
    const char *from;        /* "relatio <noreply@example.org>" */
    const char *to;          /* one address */
    const char *subject;
    const char *text;        /* text/plain body, required */
    const char *html;        /* text/html alternative, may be NULL */
    const char *message_id;  /* "<id@host>", generated when NULL */
    const char *in_reply_to; /* threading, may be NULL */
    const char *references;  /* may be NULL */
    const char *list_unsubscribe;      /* "<https://…>, <mailto:…>", may be NULL */
    int list_unsubscribe_one_click;    /* adds List-Unsubscribe-Post (RFC 8058) */
};

/* Sends m. Returns 0 when the server accepted it; ERR_INVALID when the
 * server refused it permanently (5xx: a bounce, e->msg has the reply);
 * ERR_UNAVAILABLE on a temporary failure (4xx, connection, timeout): retry. */
int smtp_send(const struct smtp_config *cfg, const struct mail_msg *m, struct err *e);

/* Builds the RFC 5322 message m as sent (for tests, previews and the
 * postal/print exports). Caller frees. */
char *mail_render(const struct mail_msg *m);

#endif
