/*
 * SMTP sending with libcurl (see smtp.h): the message is rendered once as
 * RFC 5322 + MIME (quoted-printable UTF-8 parts, RFC 2047 headers) and
 * uploaded; the server's reply code decides bounce (5xx) or retry (the rest).
 */
#include "channels/smtp.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/timeu.h"

#define MAIL_MAX (8 * 1024 * 1024) /* bytes of a rendered message */

/* ------------------------------------------------------------------ buffer */

struct sbuf {
    char *p;
    size_t len, cap;
    int oom; /* a growth failed or went over MAIL_MAX: the result is dropped */
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = cap > MAIL_MAX ? NULL : realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_str(struct sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* ---------------------------------------------------------------- encoders */

static int is_ascii_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x7f || (unsigned char)*s < 0x20)
            return 0;
    return 1;
}

/* RFC 2047 "B" encoded-words of UTF-8 text, each at most 75 characters, cut
 * between characters, separated by folding white space. */
static void sb_encoded_words(struct sbuf *b, const char *s)
{
    size_t n = strlen(s), i = 0;
    int first = 1;
    while (i < n) {
        /* 45 bytes of input → 60 base64 characters + 12 of "=?UTF-8?B??=" */
        size_t take = n - i > 45 ? 45 : n - i;
        while (take > 0 && i + take < n && ((unsigned char)s[i + take] & 0xC0) == 0x80)
            take--;
        if (take == 0)
            take = n - i > 45 ? 45 : n - i;
        char enc[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(enc, sizeof(enc), (const unsigned char *)s + i, take,
                          sodium_base64_VARIANT_ORIGINAL);
        if (!first)
            sb_str(b, "\r\n ");
        sb_str(b, "=?UTF-8?B?");
        sb_str(b, enc);
        sb_str(b, "?=");
        first = 0;
        i += take;
    }
}

/* A header whose value is unstructured text (Subject). */
static void sb_text_header(struct sbuf *b, const char *name, const char *v)
{
    sb_str(b, name);
    sb_str(b, ": ");
    if (is_ascii_printable(v) && strlen(v) < 900)
        sb_str(b, v);
    else
        sb_encoded_words(b, v);
    sb_str(b, "\r\n");
}

/* An address header "Name <addr>" or "addr": a non-ASCII display name is
 * encoded, the address is kept as given. */
static void sb_addr_header(struct sbuf *b, const char *name, const char *v)
{
    sb_str(b, name);
    sb_str(b, ": ");
    const char *lt = strrchr(v, '<');
    if (lt && !is_ascii_printable(v)) {
        size_t pl = (size_t)(lt - v);
        while (pl > 0 && v[pl - 1] == ' ')
            pl--;
        char *phrase = strndup(v, pl);
        if (phrase && *phrase && phrase[0] == '"' && pl >= 2 && phrase[pl - 1] == '"') {
            phrase[pl - 1] = 0;
            memmove(phrase, phrase + 1, pl - 1);
        }
        if (phrase && *phrase) {
            sb_encoded_words(b, phrase);
            sb_str(b, " ");
        }
        free(phrase);
        sb_str(b, lt);
    } else {
        sb_str(b, v);
    }
    sb_str(b, "\r\n");
}

/* Quoted-printable (RFC 2045 §6.7) with CRLF line breaks, soft breaks under
 * 76 characters, and a leading '.' encoded so no line reads as SMTP's end. */
static void sb_qp(struct sbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int col = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\r')
            continue;
        if (*p == '\n') {
            sb_str(b, "\r\n");
            col = 0;
            continue;
        }
        char tok[4];
        size_t tl;
        int at_eol = p[1] == '\n' || p[1] == 0 || (p[1] == '\r' && p[2] == '\n');
        if ((*p >= 33 && *p <= 126 && *p != '=' && !(*p == '.' && col == 0)) ||
            ((*p == ' ' || *p == '\t') && !at_eol)) {
            tok[0] = (char)*p;
            tl = 1;
        } else {
            tok[0] = '=';
            tok[1] = hex[*p >> 4];
            tok[2] = hex[*p & 15];
            tl = 3;
        }
        if (col + (int)tl > 75) {
            sb_str(b, "=\r\n");
            col = 0;
            if (tl == 1 && tok[0] == '.') {
                memcpy(tok, "=2E", 3);
                tl = 3;
            }
        }
        sb_put(b, tok, tl);
        col += (int)tl;
    }
    sb_str(b, "\r\n");
}

static void sb_part(struct sbuf *b, const char *type, const char *body)
{
    sb_str(b, "Content-Type: ");
    sb_str(b, type);
    sb_str(b, "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
    sb_qp(b, body);
}

static int has_crlf(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

static void random_hex(char *out, size_t bytes)
{
    unsigned char r[32];
    if (bytes > sizeof(r))
        bytes = sizeof(r);
    randombytes_buf(r, bytes);
    sodium_bin2hex(out, bytes * 2 + 1, r, bytes);
}

/* The domain of an address, for generated Message-IDs. */
static void domain_of(const char *addr, char *out, size_t len)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    size_t n = 0;
    if (at)
        for (at++; at[n] && at[n] != '>' && at[n] != ' ' && n + 1 < len; n++)
            out[n] = at[n];
    if (!n)
        n = (size_t)snprintf(out, len, "relatio.invalid");
    out[n] = 0;
}

char *mail_render(const struct mail_msg *m)
{
    if (!m || !m->from || !m->to || !m->subject || !m->text)
        return NULL;
    const char *hdrs[] = {m->from,        m->to,         m->subject,         m->message_id,
                          m->in_reply_to, m->references, m->list_unsubscribe};
    for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
        if (has_crlf(hdrs[i]))
            return NULL; /* header injection */
    struct sbuf b = {0};
    char date[64], mid[160], dom[100], bnd[48], rnd[33];
    time_t now = (time_t)time_now();
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    sb_str(&b, "Date: ");
    sb_str(&b, date);
    sb_str(&b, "\r\n");
    sb_addr_header(&b, "From", m->from);
    sb_addr_header(&b, "To", m->to);
    sb_text_header(&b, "Subject", m->subject);
    if (m->message_id) {
        snprintf(mid, sizeof(mid), "%s", m->message_id);
    } else {
        domain_of(m->from, dom, sizeof(dom));
        random_hex(rnd, 16);
        snprintf(mid, sizeof(mid), "<%s@%s>", rnd, dom);
    }
    sb_str(&b, "Message-ID: ");
    sb_str(&b, mid);
    sb_str(&b, "\r\n");
    if (m->in_reply_to) {
        sb_str(&b, "In-Reply-To: ");
        sb_str(&b, m->in_reply_to);
        sb_str(&b, "\r\n");
    }
    if (m->references) {
        sb_str(&b, "References: ");
        sb_str(&b, m->references);
        sb_str(&b, "\r\n");
    }
    if (m->list_unsubscribe) {
        sb_str(&b, "List-Unsubscribe: ");
        sb_str(&b, m->list_unsubscribe);
        sb_str(&b, "\r\n");
        if (m->list_unsubscribe_one_click)
            sb_str(&b, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
    }
    sb_str(&b, "MIME-Version: 1.0\r\n");
    if (m->html) {
        random_hex(rnd, 12);
        snprintf(bnd, sizeof(bnd), "=_relatio_%s", rnd);
        sb_str(&b, "Content-Type: multipart/alternative; boundary=\"");
        sb_str(&b, bnd);
        sb_str(&b, "\"\r\n\r\nThis is a MIME message.\r\n--");
        sb_str(&b, bnd);
        sb_str(&b, "\r\n");
        sb_part(&b, "text/plain", m->text);
        sb_str(&b, "--");
        sb_str(&b, bnd);
        sb_str(&b, "\r\n");
        sb_part(&b, "text/html", m->html);
        sb_str(&b, "--");
        sb_str(&b, bnd);
        sb_str(&b, "--\r\n");
    } else {
        sb_part(&b, "text/plain", m->text);
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* ------------------------------------------------------------------ sending */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static pthread_key_t handle_key; /* this thread's easy handle: its connection is reused */

static void handle_free(void *h)
{
    curl_easy_cleanup(h);
}

static void curl_start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_key_create(&handle_key, handle_free);
}

/* The thread's handle, reset for a new message; the SMTP connection stays
 * open between messages to the same server (libcurl checks it is alive). */
static CURL *thread_handle(void)
{
    CURL *h = pthread_getspecific(handle_key);
    if (h) {
        curl_easy_reset(h);
        return h;
    }
    h = curl_easy_init();
    if (h)
        pthread_setspecific(handle_key, h);
    return h;
}

struct upload {
    const char *p;
    size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t n, void *arg)
{
    struct upload *u = arg;
    size_t want = size * n;
    if (want > u->left)
        want = u->left;
    memcpy(buf, u->p, want);
    u->p += want;
    u->left -= want;
    return want;
}

/* The bare address of "Name <addr>" or "addr", into out. */
static int bare_addr(const char *s, char *out, size_t len)
{
    const char *lt = strrchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    const char *a = lt && gt ? lt + 1 : s;
    size_t n = lt && gt ? (size_t)(gt - lt - 1) : strlen(s);
    while (n && *a == ' ')
        a++, n--;
    while (n && a[n - 1] == ' ')
        n--;
    if (!n || n + 3 > len || memchr(a, '@', n) == NULL)
        return -1;
    snprintf(out, len, "<%.*s>", (int)n, a);
    return 0;
}

int smtp_send(const struct smtp_config *cfg, const struct mail_msg *m, struct err *e)
{
    char from[320], to[320], ebuf[CURL_ERROR_SIZE] = "";
    if (!cfg || !cfg->url)
        return err_set(e, ERR_INVALID, "url", "no SMTP server configured");
    if (!m || !m->from || bare_addr(m->from, from, sizeof(from)))
        return err_set(e, ERR_INVALID, "from", "not an e-mail address");
    if (!m->to || bare_addr(m->to, to, sizeof(to)))
        return err_set(e, ERR_INVALID, "to", "not an e-mail address");
    char *msg = mail_render(m);
    if (!msg)
        return err_set(e, ERR_INVALID, "subject",
                       "the message cannot be built (missing part or a line break in a header)");
    pthread_once(&curl_once, curl_start);
    CURL *h = thread_handle();
    if (!h) {
        free(msg);
        return err_set(e, ERR_INTERNAL, "", "curl_easy_init failed");
    }
    struct upload u = {msg, strlen(msg)};
    struct curl_slist *rcpt = curl_slist_append(NULL, to);
    curl_easy_setopt(h, CURLOPT_URL, cfg->url);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)u.left);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000));
    curl_easy_setopt(
        h, CURLOPT_CONNECTTIMEOUT_MS,
        (long)(cfg->timeout_ms > 0 && cfg->timeout_ms < 10000 ? cfg->timeout_ms : 10000));
    if (cfg->user) {
        curl_easy_setopt(h, CURLOPT_USERNAME, cfg->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    }
    CURLcode cc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpt);
    if (cc != CURLE_OK) { /* a failed session is not reused */
        pthread_setspecific(handle_key, NULL);
        curl_easy_cleanup(h);
    }
    free(msg);
    if (cc == CURLE_OK)
        return 0;
    const char *why = ebuf[0] ? ebuf : curl_easy_strerror(cc);
    if (code >= 500 && code < 600)
        return err_set(e, ERR_INVALID, "to", "refused by the server (%ld): %s", code, why);
    return err_set(e, ERR_UNAVAILABLE, "", "temporary failure (%ld): %s", code, why);
}
