/* Signed outgoing webhooks with retries (see webhook.h). */
#include "app/webhook.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/log.h"
#include "util/timeu.h"

int webhook_enqueue(struct ctx *c, int64_t rule_id, int64_t run_id, int64_t customer_id,
                    const char *url, const char *body, int64_t *id)
{
    if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
        return fail(c, ERR_INVALID, "url", "a webhook URL starts with http:// or https://");
    int64_t now = time_now(), newid = 0;
    int rc = store_int(c->st, &newid, &c->err,
                       "INSERT INTO webhook_deliveries(rule_id, run_id, customer_id, url, body, "
                       "status, attempts, next_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', "
                       "0, ?, ?) RETURNING id",
                       "iIIssii", rule_id, run_id ? run_id : INT64_MIN,
                       customer_id ? customer_id : INT64_MIN, url, body, now, now);
    if (!rc && id)
        *id = newid;
    return rc;
}

void webhook_sign(const char *secret, const char *body, size_t len, char hex[65])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, 65, mac, sizeof(mac));
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* One POST; *status gets the HTTP status (0 when none). */
static int post(const char *url, const char *body, const char *sig, long *status, char *errbuf)
{
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(errbuf, CURL_ERROR_SIZE, "curl init failed");
        return -1;
    }
    char sighdr[128];
    snprintf(sighdr, sizeof(sighdr), "X-Relatio-Signature: sha256=%s", sig);
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    hd = curl_slist_append(hd, sighdr);
    hd = curl_slist_append(hd, "User-Agent: relatio-webhook/1");
    errbuf[0] = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)WEBHOOK_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode cc = curl_easy_perform(h);
    *status = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    else if (!errbuf[0])
        snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(cc));
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return cc == CURLE_OK ? 0 : -1;
}

struct due {
    int64_t id, next_at, attempts;
    char *url, *body, *secret;
};

int webhook_deliver_due(struct ctx *c, int max, int *sent)
{
    if (sent)
        *sent = 0;
    if (max <= 0 || max > 1000)
        max = 100;
    struct due *d = calloc((size_t)max, sizeof(*d));
    if (!d)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    int64_t now = time_now();
    struct stmt *s = NULL;
    int n = 0;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT d.id, d.next_at, d.attempts, d.url, d.body, r.webhook_secret FROM "
                         "webhook_deliveries d JOIN rules r ON r.id = d.rule_id WHERE d.status = "
                         "'pending' AND d.next_at <= ? ORDER BY d.next_at, d.id LIMIT ?",
                         "ii", now, (int64_t)max);
    while (s && n < max && (rc = stmt_step(s, &c->err)) == 1) {
        d[n].id = stmt_int(s, 0);
        d[n].next_at = stmt_int(s, 1);
        d[n].attempts = stmt_int(s, 2);
        d[n].url = strdup(stmt_text(s, 3));
        d[n].body = strdup(stmt_text(s, 4));
        d[n].secret = strdup(stmt_text(s, 5));
        n++;
    }
    stmt_done(s);
    if (rc > 0)
        rc = 0;
    for (int i = 0; !rc && i < n; i++) {
        if (!d[i].url || !d[i].body || !d[i].secret)
            continue;
        /* claim it: another process running the scheduler skips it */
        int64_t ch = 0;
        rc = store_run(c->st, &ch, &c->err,
                       "UPDATE webhook_deliveries SET next_at = ? WHERE id = ? AND next_at = ? AND "
                       "status = 'pending'",
                       "iii", now + 600, d[i].id, d[i].next_at);
        if (rc || ch == 0)
            continue;
        char sig[65], errbuf[CURL_ERROR_SIZE];
        webhook_sign(d[i].secret, d[i].body, strlen(d[i].body), sig);
        long status = 0;
        int prc = post(d[i].url, d[i].body, sig, &status, errbuf);
        int ok = prc == 0 && status >= 200 && status < 300;
        int64_t attempts = d[i].attempts + 1;
        const char *st = ok ? "delivered" : attempts >= WEBHOOK_MAX_ATTEMPTS ? "failed" : "pending";
        int64_t next = now + ((int64_t)30 << (attempts - 1 > 10 ? 10 : attempts - 1));
        char msg[CURL_ERROR_SIZE + 32];
        if (prc)
            snprintf(msg, sizeof(msg), "%s", errbuf);
        else
            snprintf(msg, sizeof(msg), "HTTP %ld", status);
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status = ?, "
                       "last_error = ?, next_at = ?, delivered_at = ? WHERE id = ?",
                       "siIsiIi", st, attempts, status ? (int64_t)status : INT64_MIN,
                       ok ? NULL : msg, next, ok ? now : INT64_MIN, d[i].id);
        if (!ok)
            log_warn("webhook %lld to %s: %s (attempt %lld)", (long long)d[i].id, d[i].url, msg,
                     (long long)attempts);
        if (!rc && ok && sent)
            (*sent)++;
    }
    for (int i = 0; i < n; i++) {
        free(d[i].url);
        free(d[i].body);
        free(d[i].secret);
    }
    free(d);
    return rc;
}

int webhook_list(struct ctx *c, int64_t rule_id, int64_t before_id, int limit, json_t **out)
{
    if (limit <= 0)
        limit = 50;
    if (limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, rule_id, run_id, customer_id, url, status, attempts, "
                         "last_status, last_error, next_at, created_at, delivered_at, body FROM "
                         "webhook_deliveries WHERE (? = 0 OR rule_id = ?) AND id < ? ORDER BY id "
                         "DESC LIMIT ?",
                         "iiii", rule_id, rule_id, before_id > 0 ? before_id : INT64_MAX,
                         (int64_t)limit + 1);
    if (rc)
        return rc;
    json_t *items = json_array();
    int n = 0;
    int64_t last = 0;
    char t1[TIME_BUF], t2[TIME_BUF], t3[TIME_BUF];
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (n++ == limit)
            break;
        last = stmt_int(s, 0);
        json_t *o = json_pack(
            "{s:I,s:I,s:o,s:o,s:s,s:s,s:I,s:o,s:s?,s:s,s:s,s:s?}", "id", (json_int_t)last,
            "rule_id", (json_int_t)stmt_int(s, 1), "run_id",
            stmt_isnull(s, 2) ? json_null() : json_integer(stmt_int(s, 2)), "customer_id",
            stmt_isnull(s, 3) ? json_null() : json_integer(stmt_int(s, 3)), "url", stmt_text(s, 4),
            "status", stmt_text(s, 5), "attempts", (json_int_t)stmt_int(s, 6), "last_status",
            stmt_isnull(s, 7) ? json_null() : json_integer(stmt_int(s, 7)), "last_error",
            stmt_text(s, 8), "next_at", time_format(stmt_int(s, 9), t1, sizeof(t1)), "created_at",
            time_format(stmt_int(s, 10), t2, sizeof(t2)), "delivered_at",
            stmt_isnull(s, 11) ? NULL : time_format(stmt_int(s, 11), t3, sizeof(t3)));
        json_t *b = json_loads(stmt_text(s, 12), 0, NULL);
        json_object_set_new(o, "body", b ? b : json_null());
        json_array_append_new(items, o);
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    char cur[32];
    snprintf(cur, sizeof(cur), "%lld", (long long)last);
    *out = json_pack("{s:o,s:s?}", "items", items, "next_cursor", n > limit ? cur : NULL);
    return 0;
}
