/*
 * A growable string: appends that remember running out of memory, so a
 * writer checks once at the end.
 */
#ifndef UTIL_SBUF_H
#define UTIL_SBUF_H
#include <stddef.h>

struct sbuf {
    char *s; /* NUL-terminated once anything was appended */
    size_t n, cap;
    int oom;
};

void sbuf_put(struct sbuf *b, const char *s, size_t len);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the string over (NULL when out of memory) and resets b. */
char *sbuf_take(struct sbuf *b, size_t *len);
void sbuf_free(struct sbuf *b);

#endif
