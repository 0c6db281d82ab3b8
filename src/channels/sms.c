/* SMS through an HTTP gateway (see sms.h). */
#include "channels/sms.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMS_BODY_MAX 16384

struct sbuf {
    char *p;
    size_t len, cap;
    int over;
};

static void put(struct sbuf *b, const char *s, size_t n)
{
    if (b->over)
        return;
    if (b->len + n + 1 > SMS_BODY_MAX) {
        b->over = 1;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 512;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->over = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void put_json(struct sbuf *b, const char *s)
{
    char u[8];
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            put(b, "\\", 1);
            put(b, s, 1);
        } else if (ch < 0x20) {
            snprintf(u, sizeof(u), "\\u%04x", ch);
            put(b, u, 6);
        } else {
            put(b, s, 1);
        }
    }
}

static void put_form(struct sbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            put(b, s, 1);
        } else {
            char t[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            put(b, t, 3);
        }
    }
}

char *sms_body(const struct sms_config *cfg, const char *to, const char *text, const char *key)
{
    const char *tpl =
        cfg->body_template && *cfg->body_template ? cfg->body_template : SMS_DEFAULT_TEMPLATE;
    int form = cfg->content_type && strstr(cfg->content_type, "x-www-form-urlencoded");
    struct sbuf b = {0};
    put(&b, "", 0);
    static const char *const names[] = {"{{to}}", "{{text}}", "{{from}}", "{{key}}"};
    const char *vals[] = {to, text, cfg->from ? cfg->from : "", key ? key : ""};
    for (const char *p = tpl; *p;) {
        int hit = -1;
        for (int i = 0; i < 4 && hit < 0; i++)
            if (!strncmp(p, names[i], strlen(names[i])))
                hit = i;
        if (hit < 0) {
            put(&b, p, 1);
            p++;
            continue;
        }
        if (form)
            put_form(&b, vals[hit] ? vals[hit] : "");
        else
            put_json(&b, vals[hit] ? vals[hit] : "");
        p += strlen(names[hit]);
    }
    if (b.over) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct answer {
    char text[200];
    size_t len;
};

static size_t write_cb(char *p, size_t size, size_t n, void *arg)
{
    struct answer *a = arg;
    size_t got = size * n, room = sizeof(a->text) - 1 - a->len;
    size_t take = got < room ? got : room;
    memcpy(a->text + a->len, p, take);
    a->len += take;
    a->text[a->len] = 0;
    return got;
}

int sms_send(const struct sms_config *cfg, const char *to, const char *text, const char *key,
             struct err *e)
{
    if (!cfg || !cfg->url || !*cfg->url)
        return err_set(e, ERR_INVALID, "sms_url", "no SMS gateway configured");
    if (!to || to[0] != '+' || strlen(to) < 8 || strlen(to) > 16)
        return err_set(e, ERR_INVALID, "to", "not an E.164 phone number");
    if (!text || !*text)
        return err_set(e, ERR_INVALID, "text", "empty message");
    char *body = sms_body(cfg, to, text, key);
    if (!body)
        return err_set(e, ERR_INVALID, "text", "message too long for the gateway body");
    pthread_once(&curl_once, curl_start);
    CURL *h = curl_easy_init();
    if (!h) {
        free(body);
        return err_set(e, ERR_INTERNAL, "", "curl_easy_init failed");
    }
    char ctype[160], ebuf[CURL_ERROR_SIZE] = "";
    snprintf(ctype, sizeof(ctype), "Content-Type: %s",
             cfg->content_type && *cfg->content_type ? cfg->content_type : "application/json");
    struct curl_slist *hd = curl_slist_append(NULL, ctype);
    if (cfg->auth_header && *cfg->auth_header)
        hd = curl_slist_append(hd, cfg->auth_header);
    struct answer ans = {.len = 0};
    curl_easy_setopt(h, CURLOPT_URL, cfg->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ans);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000));
    CURLcode cc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    free(body);
    if (cc != CURLE_OK)
        return err_set(e, ERR_UNAVAILABLE, "", "gateway unreachable: %s",
                       ebuf[0] ? ebuf : curl_easy_strerror(cc));
    if (code >= 200 && code < 300)
        return 0;
    if (code >= 400 && code < 500 && code != 408 && code != 429)
        return err_set(e, ERR_INVALID, "to", "gateway refused (%ld): %.150s", code, ans.text);
    return err_set(e, ERR_UNAVAILABLE, "", "gateway error (%ld): %.150s", code, ans.text);
}
