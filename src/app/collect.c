/*
 * The pure half of web tracking (see collect.h): the /t/collect body parser,
 * bot detection by user agent, and the URL helpers that classify where a
 * session comes from. No store: the fuzz target links this file alone.
 */
#include "app/collect.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* ------------------------------------------------------------------ parsing */

#define EVENT_TYPES "page_view|product_view|search|add_to_cart|checkout_started|purchase|identify"

static const struct field event_fields[] = {
    {"type", FT_ENUM, FF_REQUIRED, 0, EVENT_TYPES, NULL, NULL},
    {"at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL,
     "client time; outside the last 7 days the server time is used"},
    {"url", FT_STRING, FF_NULLABLE, 2048, NULL, NULL, "page address"},
    {"title", FT_STRING, FF_NULLABLE, 300, NULL, NULL, NULL},
    {"referrer", FT_STRING, FF_NULLABLE, 2048, NULL, NULL, NULL},
    {"product", FT_STRING, FF_NULLABLE, 200, NULL, NULL, "product reference (SKU)"},
    {"query", FT_STRING, FF_NULLABLE, 200, NULL, NULL, "site search keywords"},
    {"amount_minor", FT_MONEY, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"currency", FT_CURRENCY, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"order", FT_STRING, FF_NULLABLE, 100, NULL, NULL, "order reference of a purchase"},
    {"token", FT_STRING, FF_NULLABLE, 300, NULL, NULL,
     "identify: '<customer_id>.<expires>.<hmac>' signed with the site secret"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field collect_fields[] = {
    {"key", FT_STRING, FF_REQUIRED, 64, NULL, NULL, "the site key"},
    {"visitor", FT_STRING, FF_NULLABLE, 64, NULL, NULL, "anonymous id (8-64 of [A-Za-z0-9_-])"},
    {"consent", FT_BOOL, FF_NULLABLE, 0, NULL, NULL, "the visitor accepted tracking"},
    {"events", FT_OBJECTS, FF_REQUIRED, TRACK_MAX_EVENTS, NULL, event_fields, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int visitor_valid(const char *v)
{
    size_t n = strlen(v);
    if (n < 8 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)v[i]) && v[i] != '-' && v[i] != '_')
            return 0;
    return 1;
}

int collect_parse(const char *body, size_t len, json_t **out, struct err *e)
{
    *out = NULL;
    if (len > TRACK_MAX_BODY)
        return err_set(e, ERR_TOOLARGE, "body", "a batch is at most %d bytes", TRACK_MAX_BODY);
    json_error_t je;
    json_t *b = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!b)
        return err_set(e, ERR_BADREQ, "body", "malformed JSON at line %d, column %d", je.line,
                       je.column);
    int rc = collect_check(b, e);
    if (rc)
        json_decref(b);
    else
        *out = b;
    return rc;
}

int collect_check(const json_t *b, struct err *e)
{
    int rc = 0;
    if (!json_is_object(b))
        return err_set(e, ERR_BADREQ, "body", "the body must be a JSON object");
    json_t *evs = json_object_get(b, "events");
    if (json_is_array(evs) && json_array_size(evs) > TRACK_MAX_EVENTS) {
        rc = err_set(e, ERR_TOOLARGE, "events", "a batch has at most %d events", TRACK_MAX_EVENTS);
        goto out;
    }
    rc = fields_check(collect_fields, b, FIELDS_CREATE, e);
    if (rc)
        goto out;
    if (json_array_size(evs) == 0) {
        rc = err_set(e, ERR_INVALID, "events", "a batch has at least one event");
        goto out;
    }
    const char *v = jstr(b, "visitor");
    if (v && !visitor_valid(v)) {
        rc = err_set(e, ERR_INVALID, "visitor", "8 to 64 letters, digits, '-' or '_'");
        goto out;
    }
    size_t i;
    json_t *ev;
    json_array_foreach(evs, i, ev)
    {
        const char *type = jstr(ev, "type"), *need = NULL;
        if (!strcmp(type, "page_view"))
            need = "url";
        else if (!strcmp(type, "product_view") || !strcmp(type, "add_to_cart"))
            need = "product";
        else if (!strcmp(type, "search"))
            need = "query";
        else if (!strcmp(type, "identify"))
            need = "token";
        if (need && !(jstr(ev, need) && *jstr(ev, need))) {
            char f[48];
            snprintf(f, sizeof(f), "events[%zu].%s", i, need);
            return err_set(e, ERR_INVALID, f, "a %s event needs %s", type, need);
        }
    }
out:
    return rc;
}

int track_is_bot(const char *ua)
{
    static const char *const marks[] = {
        "bot",     "crawl",   "spider", "slurp",      "curl/",          "wget/",      "python-",
        "go-http", "java/",   "libwww", "httpclient", "facebookext",    "lighthouse", "pingdom",
        "uptime",  "preview", "scrapy", "phantomjs",  "headlesschrome", NULL,
    };
    if (!ua || strlen(ua) < 8)
        return 1;
    char low[512];
    size_t n = 0;
    for (; ua[n] && n < sizeof(low) - 1; n++)
        low[n] = (char)tolower((unsigned char)ua[n]);
    low[n] = 0;
    for (int i = 0; marks[i]; i++)
        if (strstr(low, marks[i]))
            return 1;
    return 0;
}

/* ------------------------------------------------------------------- urls */

/* Host of "scheme://host[:port]/..." into out ("" when none). */
void url_host(const char *url, char *out, size_t len)
{
    out[0] = 0;
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return;
    p += 3;
    size_t n = strcspn(p, "/?#:");
    if (n >= len)
        n = len - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)p[i]);
    out[n] = 0;
}

/* Path of a URL without query or fragment ("/" at least). */
void url_path(const char *url, char *out, size_t len)
{
    const char *p = url ? strstr(url, "://") : NULL;
    p = p ? p + 3 + strcspn(p + 3, "/?#") : (url ? url : "");
    size_t n = strcspn(p, "?#");
    if (n == 0 || p[0] != '/') {
        snprintf(out, len, "/");
        return;
    }
    snprintf(out, len, "%.*s", (int)n, p);
}

static int hexval(int ch)
{
    return isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10;
}

/* Value of the query parameter name, percent-decoded, '+' as space. */
static int url_param(const char *url, const char *name, char *out, size_t len)
{
    const char *q = url ? strchr(url, '?') : NULL;
    size_t nl = strlen(name);
    while (q) {
        q++;
        if (!strncmp(q, name, nl) && q[nl] == '=') {
            const char *v = q + nl + 1;
            size_t o = 0;
            for (; *v && *v != '&' && *v != '#' && o + 1 < len; v++) {
                if (*v == '+')
                    out[o++] = ' ';
                else if (*v == '%' && isxdigit((unsigned char)v[1]) &&
                         isxdigit((unsigned char)v[2])) {
                    int ch = hexval((unsigned char)v[1]) * 16 + hexval((unsigned char)v[2]);
                    out[o++] = (char)(ch ? ch : ' ');
                    v += 2;
                } else
                    out[o++] = *v;
            }
            out[o] = 0;
            return o > 0;
        }
        q = strchr(q, '&');
    }
    return 0;
}

static int host_has(const char *host, const char *const *list)
{
    for (int i = 0; list[i]; i++) {
        const char *p = strstr(host, list[i]);
        if (p && (p == host || p[-1] == '.'))
            return 1;
    }
    return 0;
}

/* Where a session comes from, and the search keyword that brought it. */
const char *url_source(const char *url, const char *referrer, char *keyword, size_t klen)
{
    static const char *const engines[] = {"google.", "bing.",  "duckduckgo.", "qwant.",  "yahoo.",
                                          "ecosia.", "baidu.", "yandex.",     "search.", NULL};
    static const char *const social[] = {"facebook.", "t.co",       "twitter.",   "x.com",
                                         "linkedin.", "instagram.", "pinterest.", "youtube.",
                                         "tiktok.",   NULL};
    static const char *const mail[] = {"mail.", "outlook.", "webmail.", NULL};
    char medium[32], uhost[256], rhost[256];
    keyword[0] = 0;
    if (url_param(url, "utm_medium", medium, sizeof(medium)) && !strcmp(medium, "email"))
        return "email";
    if (url_param(url, "utm_source", medium, sizeof(medium)))
        return "campaign";
    url_host(url, uhost, sizeof(uhost));
    url_host(referrer, rhost, sizeof(rhost));
    if (!rhost[0] || !strcmp(rhost, uhost))
        return "direct";
    if (host_has(rhost, engines)) {
        if (!url_param(referrer, "q", keyword, klen) && !url_param(referrer, "p", keyword, klen))
            url_param(referrer, "text", keyword, klen);
        return "search";
    }
    if (host_has(rhost, social))
        return "social";
    if (host_has(rhost, mail))
        return "email";
    return "referral";
}
