/* Growable string (see sbuf.h). */
#include "util/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(struct sbuf *b, size_t more)
{
    if (b->oom)
        return -1;
    if (b->n + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap * 2 : 512;
    while (cap < b->n + more + 1)
        cap *= 2;
    char *t = realloc(b->s, cap);
    if (!t) {
        b->oom = 1;
        return -1;
    }
    b->s = t;
    b->cap = cap;
    return 0;
}

void sbuf_put(struct sbuf *b, const char *s, size_t len)
{
    if (grow(b, len))
        return;
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = 0;
}

void sbuf_puts(struct sbuf *b, const char *s)
{
    sbuf_put(b, s, strlen(s));
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0 || grow(b, (size_t)need))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

char *sbuf_take(struct sbuf *b, size_t *len)
{
    if (!b->oom && !b->s)
        sbuf_put(b, "", 0);
    char *s = b->oom ? NULL : b->s;
    if (len)
        *len = b->oom ? 0 : b->n;
    if (b->oom)
        free(b->s);
    *b = (struct sbuf){0};
    return s;
}

void sbuf_free(struct sbuf *b)
{
    free(b->s);
    *b = (struct sbuf){0};
}
