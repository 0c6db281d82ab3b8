/* iCalendar writer (see ical.h). */
#include "util/ical.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeu.h"

#define ICAL_FOLD 75 /* octets per line, CRLF excluded (RFC 5545 3.1) */

void ical_init(struct ical *ic, size_t max)
{
    memset(ic, 0, sizeof(*ic));
    ic->max = max ? max : (size_t)16 << 20;
}

void ical_release(struct ical *ic)
{
    free(ic->buf);
    ic->buf = NULL;
    ic->len = ic->cap = 0;
}

static void put(struct ical *ic, const char *s, size_t n)
{
    if (ic->err)
        return;
    if (ic->len + n + 1 > ic->max) {
        ic->err = 1;
        return;
    }
    if (ic->len + n + 1 > ic->cap) {
        size_t cap = ic->cap ? ic->cap : 4096;
        while (cap < ic->len + n + 1)
            cap *= 2;
        char *nb = realloc(ic->buf, cap);
        if (!nb) {
            ic->err = 1;
            return;
        }
        ic->buf = nb;
        ic->cap = cap;
    }
    memcpy(ic->buf + ic->len, s, n);
    ic->len += n;
    ic->buf[ic->len] = 0;
}

/* Writes one logical line (s, n octets) folded, then CRLF. A fold never
 * falls before a UTF-8 continuation byte (10xxxxxx). */
static void line(struct ical *ic, const char *s, size_t n)
{
    size_t room = ICAL_FOLD, i = 0;
    while (n - i > room) {
        size_t cut = i + room;
        while (cut > i && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        put(ic, s + i, cut - i);
        put(ic, "\r\n ", 3);
        i = cut;
        room = ICAL_FOLD - 1; /* the leading space counts */
    }
    put(ic, s + i, n - i);
    put(ic, "\r\n", 2);
}

static void name_value(struct ical *ic, const char *name, const char *value, size_t vlen)
{
    size_t nl = strlen(name);
    char stackbuf[512];
    char *tmp = nl + 1 + vlen <= sizeof(stackbuf) ? stackbuf : malloc(nl + 1 + vlen);
    if (!tmp) {
        ic->err = 1;
        return;
    }
    memcpy(tmp, name, nl);
    tmp[nl] = ':';
    memcpy(tmp + nl + 1, value, vlen);
    line(ic, tmp, nl + 1 + vlen);
    if (tmp != stackbuf)
        free(tmp);
}

void ical_raw(struct ical *ic, const char *name, const char *value)
{
    name_value(ic, name, value, strlen(value));
}

size_t ical_escape(const char *text, char *out, size_t outlen)
{
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        char esc[2] = {0, 0};
        int two = 1;
        switch (*p) {
        case '\\':
            esc[1] = '\\';
            break;
        case ';':
            esc[1] = ';';
            break;
        case ',':
            esc[1] = ',';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            continue;
        default:
            two = 0;
        }
        if (two) {
            if (n + 2 < outlen) {
                out[n] = '\\';
                out[n + 1] = esc[1];
            }
            n += 2;
        } else {
            /* other controls are not allowed in TEXT: a space instead */
            char ch = ((unsigned char)*p < 0x20 || *p == 0x7f) ? ' ' : *p;
            if (n + 1 < outlen)
                out[n] = ch;
            n++;
        }
    }
    if (outlen)
        out[n < outlen ? n : outlen - 1] = 0;
    return n;
}

void ical_text(struct ical *ic, const char *name, const char *text)
{
    if (!text || ic->err)
        return;
    size_t need = ical_escape(text, NULL, 0);
    char *esc = malloc(need + 1);
    if (!esc) {
        ic->err = 1;
        return;
    }
    ical_escape(text, esc, need + 1);
    name_value(ic, name, esc, need);
    free(esc);
}

char *ical_format_time(int64_t t, char *buf, size_t len)
{
    int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sec = t - day * 86400;
    int y, m, d;
    civil_from_days((int32_t)day, &y, &m, &d);
    snprintf(buf, len, "%04d%02d%02dT%02d%02d%02dZ", y, m, d, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60));
    return buf;
}

void ical_time(struct ical *ic, const char *name, int64_t t)
{
    char b[32];
    ical_raw(ic, name, ical_format_time(t, b, sizeof(b)));
}
