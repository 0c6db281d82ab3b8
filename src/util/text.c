/* UTF-8 validation and folding with utf8proc (see text.h). */
#include "util/text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        if (*p == 0)
            return 0;
        if (*p < 0x80) {
            p++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, end - p, &cp);
        if (n <= 0)
            return 0;
        p += n;
    }
    return 1;
}

int text_fold(const char *s, char *out, size_t outlen)
{
    if (!outlen)
        return -1;
    out[0] = 0;
    if (!s)
        return 0;
    size_t o = 0;
    int pending_space = 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    const unsigned char *end = p + len;
    while (p < end) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n;
        if (*p < 0x80) {
            cp = *p;
            n = 1;
        } else {
            n = utf8proc_iterate(p, end - p, &cp);
            if (n <= 0)
                return -1;
        }
        p += n;
        /* decompose this code point, fold case, drop marks */
        utf8proc_int32_t buf[8];
        utf8proc_ssize_t k;
        if (cp < 0x80) {
            buf[0] = cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
            k = 1;
        } else {
            int opts =
                UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK;
            k = utf8proc_decompose_char(cp, buf, 8, opts, NULL);
            if (k < 0 || k > 8)
                k = 0;
        }
        for (utf8proc_ssize_t i = 0; i < k; i++) {
            utf8proc_int32_t c = buf[i];
            utf8proc_category_t cat = utf8proc_category(c);
            int alnum = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                        (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
            if (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
                cat == UTF8PROC_CATEGORY_ME)
                continue;
            if (!alnum) {
                pending_space = o > 0;
                continue;
            }
            unsigned char enc[4];
            utf8proc_ssize_t el = utf8proc_encode_char(c, enc);
            if (o + (size_t)el + (pending_space ? 1 : 0) + 1 > outlen)
                goto done;
            if (pending_space) {
                out[o++] = ' ';
                pending_space = 0;
            }
            memcpy(out + o, enc, (size_t)el);
            o += (size_t)el;
        }
    }
done:
    out[o] = 0;
    return (int)o;
}

int text_words(const char *s, void (*fn)(const char *term, void *arg), void *arg)
{
    char folded[1024];
    if (text_fold(s, folded, sizeof(folded)) < 0)
        return -1;
    int count = 0;
    char *p = folded;
    while (*p) {
        char *w = p;
        while (*p && *p != ' ')
            p++;
        size_t wl = (size_t)(p - w);
        if (*p)
            *p++ = 0;
        if (wl > 0 && wl < 64) {
            fn(w, arg);
            count++;
        }
    }
    return count;
}

void text_copy(char *out, size_t outlen, const char *s)
{
    if (!outlen)
        return;
    size_t n = s ? strlen(s) : 0;
    if (n >= outlen) {
        n = outlen - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(out, s, n);
    out[n] = 0;
}
