/*
 * Reading a support mailbox over IMAP with libcurl (UID SEARCH, then one
 * FETCH per message), and parsing RFC 5322 messages: the threading headers,
 * the sender, an RFC 2047 subject, and the text part of a MIME message with
 * quoted-printable or base64 decoding. channels/ only talks to the server;
 * the high-water mark and the tickets belong to app/.
 */
#ifndef CHANNELS_IMAP_H
#define CHANNELS_IMAP_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define MAIL_MAX_MESSAGE (4 * 1024 * 1024) /* bytes of one message accepted */

struct imap_config {
    const char *url; /* "imap://127.0.0.1:1143/INBOX" (the mailbox in the path) */
    const char *user;
    const char *password;
    int timeout_ms; /* per command; 0: 30 s */
};

/* UIDs greater than after_uid in the mailbox, ascending, at most max.
 * *uids (caller frees) and *n get them. ERR_UNAVAILABLE when the server
 * cannot be reached or refuses the login. */
int imap_search_after(const struct imap_config *cfg, int64_t after_uid, int64_t **uids, size_t *n,
                      size_t max, struct err *e);

/* The raw message with that UID (caller frees *raw). */
int imap_fetch(const struct imap_config *cfg, int64_t uid, char **raw, size_t *len, struct err *e);

/* A parsed message. Every string is owned by the struct (mail_parsed_free);
 * absent headers are NULL. body is the first text/plain part (or text/html
 * with the tags removed), decoded to UTF-8. */
struct mail_parsed {
    char *message_id;  /* "<id@host>" */
    char *in_reply_to; /* "<id@host>" */
    char *references;  /* "<a@h> <b@h>" */
    char *subject;     /* RFC 2047 decoded */
    char *from_addr;   /* "jean@example.fr", lower-cased */
    char *from_name;   /* "Jean Martin" or NULL */
    char *body;
};

/* Parses raw[0..len). 0, or ERR_INVALID when it is not a message at all. */
int mail_parse(const char *raw, size_t len, struct mail_parsed *out, struct err *e);
void mail_parsed_free(struct mail_parsed *m);

/* Decoders, exposed for tests. Each returns a malloc'd NUL-terminated
 * string and its length in *outlen (may be NULL). */
char *mail_decode_qp(const char *s, size_t len, size_t *outlen);
char *mail_decode_base64(const char *s, size_t len, size_t *outlen);
/* RFC 2047 encoded words in a header value ("=?UTF-8?B?…?=", Q encoding;
 * ISO-8859-1 and Windows-1252 converted to UTF-8). */
char *mail_decode_header(const char *s);

#endif
