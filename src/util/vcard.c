/* vCard 4.0 (see vcard.h). */
#include "util/vcard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/sbuf.h"
#include "util/text.h"

/* ----------------------------------------------------------------- writing */

/* Escapes a text value (RFC 6350 3.4): backslash, comma, semicolon, newline. */
static void escaped(struct sbuf *b, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\' || *v == ',' || *v == ';') {
            char e[2] = {'\\', *v};
            sbuf_put(b, e, 2);
        } else if (*v == '\n') {
            sbuf_put(b, "\\n", 2);
        } else if (*v != '\r') {
            sbuf_put(b, v, 1);
        }
    }
}

/* Appends line (without its end) folded at 75 octets, never inside a UTF-8
 * sequence, then CRLF. */
static void line(struct sbuf *out, const char *l, size_t n)
{
    size_t col = 0;
    for (size_t i = 0; i < n;) {
        size_t len = 1;
        unsigned char ch = (unsigned char)l[i];
        if (ch >= 0xf0)
            len = 4;
        else if (ch >= 0xe0)
            len = 3;
        else if (ch >= 0xc0)
            len = 2;
        if (i + len > n)
            len = n - i;
        if (col + len > 75) {
            sbuf_put(out, "\r\n ", 3);
            col = 1;
        }
        sbuf_put(out, l + i, len);
        col += len;
        i += len;
    }
    sbuf_put(out, "\r\n", 2);
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* property: name, then escaped components separated by sep */
static void prop(struct sbuf *out, const char *name, const char *const *vals, int n, char sep)
{
    struct sbuf b = {0};
    sbuf_put(&b, name, strlen(name));
    sbuf_put(&b, ":", 1);
    for (int i = 0; i < n; i++) {
        if (i)
            sbuf_put(&b, &sep, 1);
        escaped(&b, vals[i]);
    }
    if (!b.oom)
        line(out, b.s, b.n);
    out->oom |= b.oom;
    free(b.s);
}

char *vcard_render(const json_t *c)
{
    struct sbuf out = {0};
    line(&out, "BEGIN:VCARD", 11);
    line(&out, "VERSION:4.0", 11);
    int org = str(c, "kind") && strcmp(str(c, "kind"), "organization") == 0;
    line(&out, org ? "KIND:org" : "KIND:individual", org ? 8 : 15);
    const char *first = str(c, "first_name"), *last = str(c, "last_name");
    char fn[512];
    if (org || (!first && !last))
        snprintf(fn, sizeof(fn), "%s", str(c, "name") ? str(c, "name") : "");
    else
        snprintf(fn, sizeof(fn), "%s%s%s", first ? first : "", first && last ? " " : "",
                 last ? last : "");
    const char *v1[] = {fn};
    prop(&out, "FN", v1, 1, ';');
    if (!org) {
        const char *n[] = {last ? last : "", first ? first : "", "", "", ""};
        prop(&out, "N", n, 5, ';');
    } else if (str(c, "name")) {
        const char *o[] = {str(c, "name")};
        prop(&out, "ORG", o, 1, ';');
    }
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(c, "emails"), i, it)
    {
        const char *v[] = {str(it, "email")};
        prop(&out, json_is_true(json_object_get(it, "primary")) ? "EMAIL;PREF=1" : "EMAIL", v, 1,
             ';');
    }
    json_array_foreach(json_object_get(c, "phones"), i, it)
    {
        char uri[64];
        snprintf(uri, sizeof(uri), "tel:%s", str(it, "phone") ? str(it, "phone") : "");
        const char *v[] = {uri};
        prop(&out,
             json_is_true(json_object_get(it, "primary")) ? "TEL;VALUE=uri;PREF=1" : "TEL;VALUE=uri",
             v, 1, ';');
    }
    json_array_foreach(json_object_get(c, "addresses"), i, it)
    {
        char street[420];
        snprintf(street, sizeof(street), "%s%s%s", str(it, "line1") ? str(it, "line1") : "",
                 str(it, "line2") ? "\n" : "", str(it, "line2") ? str(it, "line2") : "");
        const char *v[] = {"",
                           "",
                           street,
                           str(it, "city") ? str(it, "city") : "",
                           str(it, "region") ? str(it, "region") : "",
                           str(it, "postal_code") ? str(it, "postal_code") : "",
                           str(it, "country") ? str(it, "country") : ""};
        prop(&out, "ADR", v, 7, ';');
    }
    const char *bday = str(c, "birth_date");
    if (bday && strlen(bday) == 10) {
        char b[9] = {bday[0], bday[1], bday[2], bday[3], bday[5], bday[6], bday[8], bday[9], 0};
        const char *v[] = {b};
        prop(&out, "BDAY", v, 1, ';');
    }
    if (json_is_integer(json_object_get(c, "id"))) {
        char uid[64];
        snprintf(uid, sizeof(uid), "UID:urn:relatio:customer:%lld",
                 (long long)json_integer_value(json_object_get(c, "id")));
        line(&out, uid, strlen(uid));
    }
    line(&out, "END:VCARD", 9);
    if (out.oom) {
        free(out.s);
        return NULL;
    }
    return out.s;
}

/* ----------------------------------------------------------------- reading */

/* Splits an unescaped copy of a value at unescaped sep into at most max
 * components (each malloc'ed into out). Returns the count. */
static int components(const char *v, char sep, char **out, int max)
{
    int n = 0;
    struct sbuf b = {0};
    sbuf_put(&b, "", 0);
    for (const char *p = v;; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            char ch = (*p == 'n' || *p == 'N') ? '\n' : *p;
            sbuf_put(&b, &ch, 1);
            continue;
        }
        if (!*p || (*p == sep && n < max - 1)) {
            out[n++] = b.s ? b.s : strdup("");
            b = (struct sbuf){0};
            sbuf_put(&b, "", 0);
            if (!*p)
                break;
            continue;
        }
        sbuf_put(&b, p, 1);
    }
    free(b.s);
    return n;
}

static void set_text(json_t *o, const char *k, const char *v)
{
    if (v && *v)
        json_object_set_new(o, k, json_string(v));
}

static void free_all(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
}

/* 1 when params (";TYPE=home;PREF=1") hold PREF=1 or TYPE=pref. */
static int preferred(const char *params)
{
    return params && (strstr(params, "PREF=1") || strstr(params, "pref=1") ||
                      strstr(params, "TYPE=pref") || strstr(params, "type=pref"));
}

static int card_prop(json_t *card, const char *name, const char *params, const char *value)
{
    char *v[8] = {0};
    int n;
    if (!strcasecmp(name, "N")) {
        n = components(value, ';', v, 5);
        set_text(card, "last_name", v[0]);
        if (n > 1)
            set_text(card, "first_name", v[1]);
    } else if (!strcasecmp(name, "FN")) {
        n = components(value, '\x01', v, 1);
        set_text(card, "_fn", v[0]);
    } else if (!strcasecmp(name, "ORG")) {
        n = components(value, ';', v, 2);
        set_text(card, "name", v[0]);
    } else if (!strcasecmp(name, "KIND")) {
        n = 0;
        if (!strcasecmp(value, "org"))
            json_object_set_new(card, "kind", json_string("organization"));
    } else if (!strcasecmp(name, "EMAIL")) {
        n = components(value, '\x01', v, 1);
        if (v[0][0])
            json_array_append_new(json_object_get(card, "emails"),
                                  json_pack("{s:s,s:b}", "email", v[0], "primary", preferred(params)));
    } else if (!strcasecmp(name, "TEL")) {
        n = components(value, '\x01', v, 1);
        const char *t = v[0];
        if (!strncasecmp(t, "tel:", 4))
            t += 4;
        if (*t)
            json_array_append_new(json_object_get(card, "phones"),
                                  json_pack("{s:s,s:b}", "phone", t, "primary", preferred(params)));
    } else if (!strcasecmp(name, "ADR")) {
        n = components(value, ';', v, 7);
        json_t *a = json_object();
        if (n > 2 && v[2][0]) {
            char *nl = strchr(v[2], '\n');
            if (nl) {
                *nl = 0;
                set_text(a, "line2", nl + 1);
            }
            set_text(a, "line1", v[2]);
        }
        if (n > 3)
            set_text(a, "city", v[3]);
        if (n > 4)
            set_text(a, "region", v[4]);
        if (n > 5)
            set_text(a, "postal_code", v[5]);
        if (n > 6 && strlen(v[6]) == 2)
            set_text(a, "country", v[6]);
        json_array_append_new(json_object_get(card, "addresses"), a);
    } else if (!strcasecmp(name, "BDAY")) {
        n = components(value, '\x01', v, 1);
        char d[11] = "";
        const char *b = v[0];
        if (strlen(b) == 8 && strspn(b, "0123456789") == 8)
            snprintf(d, sizeof(d), "%.4s-%.2s-%.2s", b, b + 4, b + 6);
        else if (strlen(b) == 10 && b[4] == '-' && b[7] == '-' && strspn(b, "0123456789") == 4 &&
                 strspn(b + 5, "0123456789") == 2 && strspn(b + 8, "0123456789") == 2)
            snprintf(d, sizeof(d), "%s", b); /* the calendar is checked with the customer */
        else {
            free_all(v, n);
            return -1;
        }
        set_text(card, "birth_date", d);
    } else {
        return 0; /* UID, REV, NOTE, PHOTO...: not kept */
    }
    free_all(v, n);
    return 0;
}

static json_t *new_card(void)
{
    return json_pack("{s:s,s:[],s:[],s:[]}", "kind", "person", "emails", "phones", "addresses");
}

/* The card's final shape: FN splits into names when N is absent; empty
 * lists go. */
static void finish(json_t *card)
{
    const char *fn = json_string_value(json_object_get(card, "_fn"));
    int org = strcmp(json_string_value(json_object_get(card, "kind")), "organization") == 0;
    if (org && !json_object_get(card, "name") && fn)
        set_text(card, "name", fn);
    if (!org && !json_object_get(card, "last_name") && !json_object_get(card, "first_name") && fn) {
        const char *sp = strrchr(fn, ' ');
        if (sp) {
            char first[256];
            snprintf(first, sizeof(first), "%.*s", (int)(sp - fn), fn);
            set_text(card, "first_name", first);
            set_text(card, "last_name", sp + 1);
        } else {
            set_text(card, "last_name", fn);
        }
    }
    json_object_del(card, "_fn");
    const char *lists[] = {"emails", "phones", "addresses"};
    for (int i = 0; i < 3; i++)
        if (!json_array_size(json_object_get(card, lists[i])))
            json_object_del(card, lists[i]);
}

int vcard_parse(const char *text, size_t len, json_t **cards, struct err *e)
{
    *cards = NULL;
    if (!utf8_valid(text, len))
        return err_set(e, ERR_INVALID, "line 1", "not UTF-8 text (or a NUL byte inside)");
    json_t *all = json_array(), *card = NULL;
    struct sbuf l = {0};
    size_t lineno = 0, start_line = 0;
    int rc = 0;
    size_t i = 0;
    while (i <= len && !rc) {
        /* one logical line: physical lines joined where the next starts
         * with a space or a tab */
        l.n = 0;
        sbuf_put(&l, "", 0);
        start_line = lineno + 1;
        int got = 0;
        while (i < len) {
            size_t j = i;
            while (j < len && text[j] != '\n')
                j++;
            size_t end = j > i && text[j - 1] == '\r' ? j - 1 : j;
            sbuf_put(&l, text + i, end - i);
            lineno++;
            got = 1;
            i = j + 1;
            if (!(i < len && (text[i] == ' ' || text[i] == '\t')))
                break;
            i++; /* the folding space */
        }
        if (!got)
            break;
        if (l.oom) {
            rc = err_set(e, ERR_INTERNAL, "", "out of memory");
            break;
        }
        if (l.n == 0)
            continue;
        char where[32];
        snprintf(where, sizeof(where), "line %zu", start_line);
        char *colon = NULL;
        int quoted = 0;
        for (char *p = l.s; *p && !colon; p++) {
            if (*p == '"')
                quoted = !quoted;
            else if (*p == ':' && !quoted)
                colon = p;
        }
        if (!colon) {
            rc = err_set(e, ERR_INVALID, where, "a property needs a name and ':'");
            break;
        }
        *colon = 0;
        char *value = colon + 1;
        char *params = strchr(l.s, ';');
        if (params)
            *params++ = 0;
        char *name = strchr(l.s, '.'); /* group.NAME */
        name = name ? name + 1 : l.s;
        if (!strcasecmp(name, "BEGIN")) {
            if (strcasecmp(value, "VCARD") || card) {
                rc = err_set(e, ERR_INVALID, where,
                             card ? "BEGIN inside a card (END:VCARD missing)" : "expected BEGIN:VCARD");
                break;
            }
            if (json_array_size(all) >= VCARD_MAX_CARDS) {
                rc = err_set(e, ERR_TOOLARGE, where, "more than %d cards", VCARD_MAX_CARDS);
                break;
            }
            card = new_card();
        } else if (!strcasecmp(name, "END")) {
            if (!card || strcasecmp(value, "VCARD")) {
                rc = err_set(e, ERR_INVALID, where, "END:VCARD without BEGIN:VCARD");
                break;
            }
            finish(card);
            json_array_append_new(all, card);
            card = NULL;
        } else if (!card) {
            rc = err_set(e, ERR_INVALID, where, "property %.40s outside BEGIN/END:VCARD", name);
        } else if (!strcasecmp(name, "VERSION")) {
            if (strcmp(value, "4.0") && strcmp(value, "3.0"))
                rc = err_set(e, ERR_INVALID, where, "vCard version %.10s is not supported", value);
        } else if (card_prop(card, name, params, value)) {
            rc = err_set(e, ERR_INVALID, where, "%.40s: not a date (YYYYMMDD)", name);
        }
    }
    if (!rc && card)
        rc = err_set(e, ERR_INVALID, "line 1", "END:VCARD missing at the end");
    free(l.s);
    json_decref(card);
    if (rc) {
        json_decref(all);
        return rc;
    }
    *cards = all;
    return 0;
}
