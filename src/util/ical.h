/*
 * A small iCalendar (RFC 5545) writer: content lines folded at 75 octets
 * without splitting a UTF-8 sequence (3.1), TEXT values escaped (3.3.11),
 * UTC date-times (3.3.5), CRLF line ends. Pure: it only fills a buffer.
 */
#ifndef UTIL_ICAL_H
#define UTIL_ICAL_H
#include <stddef.h>
#include <stdint.h>

/* A growable output buffer with a hard maximum. err is set (and further
 * writes ignored) when the maximum would be passed or memory runs out. */
struct ical {
    char *buf; /* NUL-terminated; the caller owns it (free) */
    size_t len, cap, max;
    int err;
};

/* Starts an empty document of at most max bytes (0: 16 MiB). */
void ical_init(struct ical *ic, size_t max);
/* Frees the buffer (accepts a released one). */
void ical_release(struct ical *ic);

/* "NAME:value" as given (value must already be valid for its type), folded. */
void ical_raw(struct ical *ic, const char *name, const char *value);
/* "NAME:text" with TEXT escaping: backslash, ';', ',' and newlines
 * (CR dropped, LF as \n). NULL text writes nothing. */
void ical_text(struct ical *ic, const char *name, const char *text);
/* "NAME:YYYYMMDDTHHMMSSZ" of a Unix time (UTC form). */
void ical_time(struct ical *ic, const char *name, int64_t t);

/* The escaped form of text into out (at most outlen bytes with the NUL);
 * returns the length it needs (like snprintf). For tests and callers that
 * build parameters. */
size_t ical_escape(const char *text, char *out, size_t outlen);
/* The UTC form of t into buf (at least 17 bytes). */
char *ical_format_time(int64_t t, char *buf, size_t len);

#endif
