/* application/x-www-form-urlencoded bodies into JSON (see formenc.h). */
#include "util/formenc.h"

#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long formenc_decode(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int ch = (unsigned char)in[i];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%') {
            if (i + 2 >= len)
                return -1;
            int h = hexval(in[i + 1]), l = hexval(in[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            ch = h * 16 + l;
            i += 2;
        }
        if (o + 1 >= cap)
            return -2;
        out[o++] = (char)ch;
    }
    out[o] = 0;
    return (long)o;
}

/* 1 when s (n bytes) is well-formed UTF-8 without NUL (RFC 3629: no
 * overlongs, no surrogates, at most U+10FFFF). */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned cp;
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + k >= n)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* Adds value under name: a second value turns it into an array. */
static int add_value(json_t *obj, const char *name, json_t *v)
{
    json_t *old = json_object_get(obj, name);
    if (!old)
        return json_object_set_new(obj, name, v);
    if (json_is_array(old))
        return json_array_append_new(old, v);
    json_t *arr = json_array();
    json_array_append(arr, old);
    json_array_append_new(arr, v);
    return json_object_set_new(obj, name, arr);
}

int formenc_parse(const char *body, size_t len, json_t **out, struct err *e)
{
    *out = NULL;
    json_t *obj = json_object();
    char *val = malloc(FORMENC_MAX_VALUE + 1);
    char name[FORMENC_MAX_NAME + 1];
    int rc = 0, pairs = 0;
    if (!obj || !val) {
        rc = err_set(e, ERR_INTERNAL, "", "out of memory");
        goto out;
    }
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end == i) { /* "a=1&&b=2": an empty pair is skipped, as browsers do */
            i = end + 1;
            continue;
        }
        if (++pairs > FORMENC_MAX_FIELDS) {
            rc = err_set(e, ERR_TOOLARGE, "body", "a form has at most %d fields",
                         FORMENC_MAX_FIELDS);
            goto out;
        }
        size_t eq = i;
        while (eq < end && body[eq] != '=')
            eq++;
        long nl = formenc_decode(body + i, eq - i, name, sizeof(name));
        if (nl < 0) {
            rc = nl == -2 ? err_set(e, ERR_TOOLARGE, "body", "a field name is at most %d bytes",
                               FORMENC_MAX_NAME)
                     : err_set(e, ERR_BADREQ, "body", "a field name is not well encoded");
            goto out;
        }
        int bad = nl == 0 || !utf8_ok((const unsigned char *)name, (size_t)nl);
        for (long k = 0; k < nl && !bad; k++)
            bad = (unsigned char)name[k] < 0x20 || name[k] == 0x7f;
        if (bad) {
            rc = err_set(e, ERR_BADREQ, "body",
                         "a field name is empty, not UTF-8 or has control characters");
            goto out;
        }
        size_t vstart = eq < end ? eq + 1 : end;
        long vl = formenc_decode(body + vstart, end - vstart, val, FORMENC_MAX_VALUE + 1);
        if (vl < 0) {
            rc = vl == -2 ? err_set(e, ERR_TOOLARGE, name, "at most %d bytes", FORMENC_MAX_VALUE)
                     : err_set(e, ERR_BADREQ, name, "not well encoded (bad %%XX escape)");
            goto out;
        }
        if (!utf8_ok((const unsigned char *)val, (size_t)vl)) {
            rc = err_set(e, ERR_BADREQ, name, "not UTF-8 text");
            goto out;
        }
        json_t *v = json_stringn(val, (size_t)vl);
        if (!v || add_value(obj, name, v)) {
            rc = err_set(e, ERR_INTERNAL, "", "out of memory");
            goto out;
        }
        i = end + 1;
    }
out:
    free(val);
    if (rc) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return 0;
}
