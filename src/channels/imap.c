/*
 * IMAP reading with libcurl and RFC 5322 / MIME parsing (see imap.h). The
 * parser is forgiving (real mail is messy) but bounded: nested multiparts
 * stop at depth 8, messages over MAIL_MAX_MESSAGE are refused.
 */
#include "channels/imap.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ buffers */

struct buf {
    char *p;
    size_t n, cap, max;
    int over;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->max) {
        b->over = 1;
        return -1;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

static char *buf_take(struct buf *b, size_t *len)
{
    if (!b->p)
        buf_put(b, "", 0);
    if (len)
        *len = b->n;
    return b->p;
}

/* ------------------------------------------------------------ libcurl */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *p, size_t sz, size_t nm, void *arg)
{
    return buf_put(arg, p, sz * nm) ? 0 : sz * nm;
}

/* Runs one request: url (a mailbox, or a message with ";UID=n"), an
 * optional custom command; the response body goes to out. */
static int imap_do(const struct imap_config *cfg, const char *url, const char *command,
                   struct buf *out, struct err *e)
{
    pthread_once(&curl_once, curl_start);
    CURL *h = curl_easy_init();
    if (!h)
        return err_set(e, ERR_INTERNAL, NULL, "curl_easy_init failed");
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (cfg->user)
        curl_easy_setopt(h, CURLOPT_USERNAME, cfg->user);
    if (cfg->password)
        curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->password);
    if (command)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, command);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000));
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    if (out->over)
        return err_set(e, ERR_TOOLARGE, NULL, "message over %d bytes", MAIL_MAX_MESSAGE);
    if (rc != CURLE_OK)
        return err_set(e, ERR_UNAVAILABLE, NULL, "imap: %s", curl_easy_strerror(rc));
    return 0;
}

int imap_search_after(const struct imap_config *cfg, int64_t after_uid, int64_t **uids, size_t *n,
                      size_t max, struct err *e)
{
    *uids = NULL;
    *n = 0;
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "UID SEARCH UID %lld:*", (long long)after_uid + 1);
    struct buf b = {.max = 16 * 1024 * 1024};
    int rc = imap_do(cfg, cfg->url, cmd, &b, e);
    if (rc) {
        free(b.p);
        return rc;
    }
    /* "* SEARCH 3 4 5\r\n"; "n:*" always includes the last message, even
     * when its UID is below n, so filter */
    const char *p = b.p ? strstr(b.p, "SEARCH") : NULL;
    int64_t *v = NULL;
    size_t cnt = 0, cap = 0;
    while (p && *p && *p != '\r' && *p != '\n' && cnt < max) {
        while (*p == ' ' || isalpha((unsigned char)*p))
            p++;
        if (!isdigit((unsigned char)*p))
            break;
        char *end;
        long long u = strtoll(p, &end, 10);
        p = end;
        if (u <= after_uid)
            continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *q = realloc(v, cap * sizeof(*q));
            if (!q) {
                free(v);
                free(b.p);
                return err_set(e, ERR_INTERNAL, NULL, "out of memory");
            }
            v = q;
        }
        v[cnt++] = u;
    }
    free(b.p);
    *uids = v;
    *n = cnt;
    return 0;
}

int imap_fetch(const struct imap_config *cfg, int64_t uid, char **raw, size_t *len, struct err *e)
{
    char url[1200];
    snprintf(url, sizeof(url), "%s;UID=%lld", cfg->url, (long long)uid);
    struct buf b = {.max = MAIL_MAX_MESSAGE};
    int rc = imap_do(cfg, url, NULL, &b, e);
    if (rc) {
        free(b.p);
        return rc;
    }
    *raw = buf_take(&b, len);
    return 0;
}

/* ------------------------------------------------------------ decoders */

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = tolower(ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

char *mail_decode_qp(const char *s, size_t len, size_t *outlen)
{
    char *o = malloc(len + 1);
    size_t n = 0;
    if (!o)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '=') {
            o[n++] = s[i];
            continue;
        }
        if (i + 1 < len && s[i + 1] == '\n') { /* soft line break */
            i += 1;
            continue;
        }
        if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
            i += 2;
            continue;
        }
        int a = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
        int b = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
        if (a < 0 || b < 0) {
            o[n++] = '='; /* not an escape: keep it */
            continue;
        }
        o[n++] = (char)(a * 16 + b);
        i += 2;
    }
    o[n] = 0;
    if (outlen)
        *outlen = n;
    return o;
}

static int b64val(int ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

char *mail_decode_base64(const char *s, size_t len, size_t *outlen)
{
    char *o = malloc(len / 4 * 3 + 4);
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    if (!o)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=')
            break;
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            continue; /* line breaks and stray characters */
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    o[n] = 0;
    if (outlen)
        *outlen = n;
    return o;
}

/* Converts Latin-1 / Windows-1252 bytes to UTF-8 (the euro sign and the
 * typographic quotes of 1252 included; other C1 bytes become '?'). */
static void latin1_to_utf8(struct buf *b, const char *s, size_t len, int cp1252)
{
    static const unsigned short w1252[32] = {
        0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};
    for (size_t i = 0; i < len; i++) {
        unsigned ch = (unsigned char)s[i];
        if (ch >= 0x80 && ch < 0xa0)
            ch = cp1252 && w1252[ch - 0x80] ? w1252[ch - 0x80] : '?';
        char u[4];
        size_t k;
        if (ch < 0x80) {
            u[0] = (char)ch;
            k = 1;
        } else if (ch < 0x800) {
            u[0] = (char)(0xc0 | (ch >> 6));
            u[1] = (char)(0x80 | (ch & 0x3f));
            k = 2;
        } else {
            u[0] = (char)(0xe0 | (ch >> 12));
            u[1] = (char)(0x80 | ((ch >> 6) & 0x3f));
            u[2] = (char)(0x80 | (ch & 0x3f));
            k = 3;
        }
        buf_put(b, u, k);
    }
}

static void put_charset(struct buf *b, const char *s, size_t len, const char *charset)
{
    if (charset && (!strncasecmp(charset, "iso-8859-1", 10) || !strncasecmp(charset, "latin1", 6) ||
                    !strncasecmp(charset, "iso-8859-15", 11)))
        latin1_to_utf8(b, s, len, 0);
    else if (charset && !strncasecmp(charset, "windows-1252", 12))
        latin1_to_utf8(b, s, len, 1);
    else
        buf_put(b, s, len);
}

char *mail_decode_header(const char *s)
{
    struct buf b = {.max = 64 * 1024};
    const char *p = s ? s : "";
    int last_was_word = 0;
    while (*p) {
        const char *q = strstr(p, "=?");
        const char *cs_end = q ? strchr(q + 2, '?') : NULL;
        const char *enc_end = cs_end && cs_end[1] && cs_end[2] == '?' ? cs_end + 2 : NULL;
        const char *end = enc_end ? strstr(enc_end + 1, "?=") : NULL;
        if (!end) {
            buf_put(&b, p, strlen(p));
            break;
        }
        /* white space between two encoded words is dropped (RFC 2047 6.2) */
        int only_space = 1;
        for (const char *t = p; t < q; t++)
            if (!isspace((unsigned char)*t))
                only_space = 0;
        if (!(last_was_word && only_space))
            buf_put(&b, p, (size_t)(q - p));
        char charset[40];
        snprintf(charset, sizeof(charset), "%.*s", (int)(cs_end - q - 2), q + 2);
        char *star = strchr(charset, '*'); /* RFC 2231 language */
        if (star)
            *star = 0;
        int enc = toupper((unsigned char)cs_end[1]);
        const char *text = enc_end + 1;
        size_t tlen = (size_t)(end - text), dlen = 0;
        char *dec = NULL;
        if (enc == 'B') {
            dec = mail_decode_base64(text, tlen, &dlen);
        } else {
            char *tmp = malloc(tlen + 1);
            if (tmp) {
                for (size_t i = 0; i < tlen; i++)
                    tmp[i] = text[i] == '_' ? ' ' : text[i];
                dec = mail_decode_qp(tmp, tlen, &dlen);
                free(tmp);
            }
        }
        if (dec)
            put_charset(&b, dec, dlen, charset);
        free(dec);
        p = end + 2;
        last_was_word = 1;
    }
    return buf_take(&b, NULL);
}

/* ------------------------------------------------------------ the parser */

/* Finds the end of the header block: returns the offset of the body. */
static size_t header_end(const char *raw, size_t len, size_t *hlen)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (raw[i] == '\n' && raw[i + 1] == '\n') {
            *hlen = i + 1;
            return i + 2;
        }
        if (raw[i] == '\n' && raw[i + 1] == '\r' && i + 2 < len && raw[i + 2] == '\n') {
            *hlen = i + 1;
            return i + 3;
        }
    }
    *hlen = len;
    return len;
}

/* The unfolded value of header name in hdr[0..len), or NULL (caller frees). */
static char *header_get(const char *hdr, size_t len, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < len;) {
        size_t eol = i;
        while (eol < len && hdr[eol] != '\n')
            eol++;
        if (eol - i > nl && !strncasecmp(hdr + i, name, nl) && hdr[i + nl] == ':') {
            struct buf b = {.max = 64 * 1024};
            size_t s = i + nl + 1;
            for (;;) {
                while (s < eol && (hdr[s] == ' ' || hdr[s] == '\t'))
                    s++;
                size_t e = eol;
                while (e > s && (hdr[e - 1] == '\r' || hdr[e - 1] == ' '))
                    e--;
                if (b.n)
                    buf_put(&b, " ", 1);
                buf_put(&b, hdr + s, e - s);
                /* continuation lines start with white space */
                if (eol + 1 < len && (hdr[eol + 1] == ' ' || hdr[eol + 1] == '\t')) {
                    s = eol + 1;
                    eol = s;
                    while (eol < len && hdr[eol] != '\n')
                        eol++;
                    continue;
                }
                break;
            }
            return buf_take(&b, NULL);
        }
        i = eol + 1;
    }
    return NULL;
}

/* A parameter of a structured header value: charset, boundary. */
static char *header_param(const char *value, const char *param)
{
    size_t pl = strlen(param);
    for (const char *p = value ? strchr(value, ';') : NULL; p; p = strchr(p + 1, ';')) {
        const char *q = p + 1;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncasecmp(q, param, pl) || q[pl] != '=')
            continue;
        q += pl + 1;
        const char *e;
        if (*q == '"') {
            q++;
            e = strchr(q, '"');
            if (!e)
                e = q + strlen(q);
        } else {
            e = q;
            while (*e && *e != ';' && *e != ' ' && *e != '\t')
                e++;
        }
        return strndup(q, (size_t)(e - q));
    }
    return NULL;
}

/* Removes tags and decodes a few entities from HTML, for html-only mail. */
static char *strip_html(const char *s)
{
    struct buf b = {.max = MAIL_MAX_MESSAGE};
    int in_tag = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '<') {
            in_tag = 1;
            if (!strncasecmp(p, "<br", 3) || !strncasecmp(p, "<p", 2) ||
                !strncasecmp(p, "</p", 3) || !strncasecmp(p, "<div", 4))
                buf_put(&b, "\n", 1);
        } else if (*p == '>') {
            in_tag = 0;
        } else if (!in_tag) {
            static const struct {
                const char *ent, *txt;
            } ents[] = {{"&amp;", "&"},  {"&lt;", "<"},    {"&gt;", ">"},
                        {"&nbsp;", " "}, {"&quot;", "\""}, {"&#39;", "'"}};
            size_t k = 0;
            for (; k < sizeof(ents) / sizeof(ents[0]); k++)
                if (!strncmp(p, ents[k].ent, strlen(ents[k].ent)))
                    break;
            if (k < sizeof(ents) / sizeof(ents[0])) {
                buf_put(&b, ents[k].txt, strlen(ents[k].txt));
                p += strlen(ents[k].ent) - 1;
            } else {
                buf_put(&b, p, 1);
            }
        }
    }
    return buf_take(&b, NULL);
}

/* Decodes one leaf part (headers hdr, body) into UTF-8 text. */
static char *leaf_text(const char *hdr, size_t hlen, const char *body, size_t blen, int html)
{
    char *cte = header_get(hdr, hlen, "Content-Transfer-Encoding");
    char *ct = header_get(hdr, hlen, "Content-Type");
    char *charset = header_param(ct, "charset");
    size_t dlen = blen;
    char *dec;
    if (cte && !strncasecmp(cte, "quoted-printable", 16))
        dec = mail_decode_qp(body, blen, &dlen);
    else if (cte && !strncasecmp(cte, "base64", 6))
        dec = mail_decode_base64(body, blen, &dlen);
    else if ((dec = malloc(blen + 1))) { /* exact bytes: a NUL inside must not shorten it */
        memcpy(dec, body, blen);
        dec[blen] = 0;
    }
    struct buf b = {.max = MAIL_MAX_MESSAGE};
    if (dec)
        put_charset(&b, dec, dlen, charset);
    free(dec);
    free(cte);
    free(ct);
    free(charset);
    char *text = buf_take(&b, NULL);
    if (html && text) {
        char *plain = strip_html(text);
        free(text);
        text = plain;
    }
    return text;
}

/* The best text of a part: text/plain first, else text/html stripped;
 * recurses into multiparts. *html says which kind was found. */
static char *part_text(const char *raw, size_t len, int depth, int *is_html)
{
    size_t hlen, off = header_end(raw, len, &hlen);
    char *ct = header_get(raw, hlen, "Content-Type");
    char *res = NULL;
    *is_html = 0;
    if (!ct || !strncasecmp(ct, "text/plain", 10)) {
        res = leaf_text(raw, hlen, raw + off, len - off, 0);
    } else if (!strncasecmp(ct, "text/html", 9)) {
        res = leaf_text(raw, hlen, raw + off, len - off, 1);
        *is_html = 1;
    } else if (!strncasecmp(ct, "multipart/", 10) && depth < 8) {
        char *bnd = header_param(ct, "boundary");
        if (bnd && *bnd) {
            char delim[210];
            snprintf(delim, sizeof(delim), "--%s", bnd);
            size_t dl = strlen(delim);
            const char *body = raw + off, *end = raw + len;
            const char *p = memmem(body, (size_t)(end - body), delim, dl);
            while (p) {
                p += dl;
                if (p + 2 <= end && p[0] == '-' && p[1] == '-')
                    break; /* closing delimiter */
                while (p < end && *p != '\n')
                    p++;
                if (p < end)
                    p++;
                const char *next = memmem(p, (size_t)(end - p), delim, dl);
                const char *pe = next ? next : end;
                if (pe > p && pe[-1] == '\n')
                    pe--;
                if (pe > p && pe[-1] == '\r')
                    pe--;
                int h = 0;
                char *t = part_text(p, (size_t)(pe - p), depth + 1, &h);
                if (t && !h) { /* plain text wins */
                    free(res);
                    res = t;
                    *is_html = 0;
                    break;
                }
                if (t && !res) {
                    res = t;
                    *is_html = 1;
                } else {
                    free(t);
                }
                p = next;
            }
        }
        free(bnd);
    }
    free(ct);
    return res;
}

/* "<a@b>" out of a header value, or the trimmed value. */
static char *angle_id(const char *v)
{
    if (!v)
        return NULL;
    const char *a = strchr(v, '<'), *b = a ? strchr(a, '>') : NULL;
    if (a && b)
        return strndup(a, (size_t)(b - a + 1));
    while (*v == ' ')
        v++;
    return *v ? strndup(v, strcspn(v, " \t\r\n")) : NULL;
}

static void parse_from(const char *v, struct mail_parsed *m)
{
    if (!v)
        return;
    const char *a = strchr(v, '<'), *b = a ? strchr(a, '>') : NULL;
    char *addr;
    if (a && b) {
        addr = strndup(a + 1, (size_t)(b - a - 1));
        const char *n = v, *ne = a;
        while (n < ne && (*n == ' ' || *n == '"'))
            n++;
        while (ne > n && (ne[-1] == ' ' || ne[-1] == '"'))
            ne--;
        if (ne > n) {
            char *raw = strndup(n, (size_t)(ne - n));
            m->from_name = mail_decode_header(raw);
            free(raw);
        }
    } else {
        while (*v == ' ')
            v++;
        addr = strndup(v, strcspn(v, " \t(\r\n"));
    }
    for (char *p = addr; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    m->from_addr = addr;
}

int mail_parse(const char *raw, size_t len, struct mail_parsed *m, struct err *e)
{
    memset(m, 0, sizeof(*m));
    if (len > MAIL_MAX_MESSAGE)
        return err_set(e, ERR_TOOLARGE, NULL, "message over %d bytes", MAIL_MAX_MESSAGE);
    size_t hlen;
    header_end(raw, len, &hlen);
    char *from = header_get(raw, hlen, "From");
    if (!from) {
        return err_set(e, ERR_INVALID, "from", "not an e-mail message (no From header)");
    }
    parse_from(from, m);
    free(from);
    char *v = header_get(raw, hlen, "Message-ID");
    m->message_id = angle_id(v);
    free(v);
    v = header_get(raw, hlen, "In-Reply-To");
    m->in_reply_to = angle_id(v);
    free(v);
    m->references = header_get(raw, hlen, "References");
    v = header_get(raw, hlen, "Subject");
    m->subject = v ? mail_decode_header(v) : NULL;
    free(v);
    int html = 0;
    m->body = part_text(raw, len, 0, &html);
    if (m->body) { /* trim trailing white space */
        size_t n = strlen(m->body);
        while (n && isspace((unsigned char)m->body[n - 1]))
            m->body[--n] = 0;
    }
    return 0;
}

void mail_parsed_free(struct mail_parsed *m)
{
    if (!m)
        return;
    free(m->message_id);
    free(m->in_reply_to);
    free(m->references);
    free(m->subject);
    free(m->from_addr);
    free(m->from_name);
    free(m->body);
    memset(m, 0, sizeof(*m));
}
