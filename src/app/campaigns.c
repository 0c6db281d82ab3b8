/*
 * Campaigns (see campaigns.h): settings, CRUD with templates checked up
 * front, the launch (audience → checks → control group → personalisation →
 * send queue, in one transaction), signed links, results.
 */
#include "app/campaigns.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/activity.h"
#include "app/audit.h"
#include "app/bulk.h"
#include "app/customers.h"
#include "app/eligibility.h"
#include "app/events.h"
#include "app/recommend.h"
#include "app/rowjson.h"
#include "app/segments.h"
#include "app/tasks.h"
#include "channels/template.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeu.h"

#define AUDIENCE_MAX 5000000 /* recipients of one campaign */
#define LIST_MAX 100000      /* explicit customer_ids */

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int64_t jint(const json_t *o, const char *k, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* ----------------------------------------------------------------- settings */

const struct field campaign_settings_fields[] = {
    {"smtp_url", FT_STRING, FF_NULLABLE, 250, NULL, NULL, "smtp://host:port or smtps://host:465"},
    {"smtp_user", FT_STRING, FF_NULLABLE, 120, NULL, NULL, NULL},
    {"smtp_password", FT_STRING, FF_NULLABLE, 120, NULL, NULL, "write-only"},
    {"from", FT_STRING, FF_NULLABLE, 250, NULL, NULL, "\"Name <address>\" of campaign e-mails"},
    {"sms_url", FT_STRING, FF_NULLABLE, 500, NULL, NULL, "the SMS gateway's HTTP(S) endpoint"},
    {"sms_template", FT_TEXT, FF_NULLABLE, 1000, NULL, NULL,
     "request body with {{to}}, {{text}}, {{from}}, {{key}}"},
    {"sms_content_type", FT_ENUM, FF_NULLABLE, 0,
     "application/json|application/x-www-form-urlencoded", NULL, NULL},
    {"sms_from", FT_STRING, FF_NULLABLE, 30, NULL, NULL, "sender id"},
    {"public_url", FT_STRING, FF_NULLABLE, 250, NULL, NULL,
     "base URL of links in messages (unsubscribe, tracking)"},
    {"pressure_max", FT_INT, 0, 100, NULL, NULL,
     "at most this many marketing messages per customer per window, all channels (0: no cap)"},
    {"pressure_days", FT_INT, 0, 365, NULL, NULL, "the window in days"},
    {"quiet_start", FT_STRING, FF_NULLABLE, 5, NULL, NULL, "HH:MM UTC; null: no quiet hours"},
    {"quiet_end", FT_STRING, FF_NULLABLE, 5, NULL, NULL, "HH:MM UTC"},
    {"rate_per_sec", FT_INT, 0, 100000, NULL, NULL, "sending throttle (0: unthrottled)"},
    {"max_attempts", FT_INT, 0, 50, NULL, NULL, "before a message is failed"},
    {"backoff_seconds", FT_INT, 0, 86400, NULL, NULL, "first retry delay, doubled each attempt"},
    {"timeout_ms", FT_INT, 0, 600000, NULL, NULL, "per SMTP or gateway call"},
    {"in_doubt", FT_ENUM, 0, 0, "resend|check|hold", NULL,
     "a message whose sending was cut by a crash: resend it with the same Message-ID, check "
     "delivery_check_url first, or hold it as failed"},
    {"delivery_check_url", FT_STRING, FF_NULLABLE, 250, NULL, NULL,
     "asked GET ?message_id=…: 200 when the message arrived, 404 when not"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static void setting_str(char *dst, size_t len, const char *v)
{
    snprintf(dst, len, "%s", v ? v : "");
}

int campaign_settings_load(struct ctx *c, struct campaign_settings *s)
{
    memset(s, 0, sizeof(*s));
    const char *env = getenv("RELATIO_SMTP_URL");
    setting_str(s->smtp_url, sizeof(s->smtp_url), env);
    setting_str(s->from, sizeof(s->from), "relatio <noreply@relatio.invalid>");
    env = getenv("RELATIO_PUBLIC_URL");
    setting_str(s->public_url, sizeof(s->public_url), env ? env : "http://127.0.0.1:8080");
    s->pressure_max = 2;
    s->pressure_days = 7;
    s->quiet_start = 21 * 60;
    s->quiet_end = 8 * 60;
    s->rate_per_sec = 50;
    s->max_attempts = 5;
    s->backoff_s = 30;
    s->timeout_ms = 10000;
    setting_str(s->in_doubt, sizeof(s->in_doubt), "resend");
    struct stmt *st = NULL;
    int rc = store_query(c->st, &st, &c->err,
                         "SELECT key, value FROM settings WHERE key LIKE 'campaign.%'", "");
    if (rc)
        return rc;
    while ((rc = stmt_step(st, &c->err)) == 1) {
        const char *k = stmt_text(st, 0) + 9, *v = stmt_text(st, 1);
        if (!v)
            continue;
        long n = strtol(v, NULL, 10);
        if (!strcmp(k, "smtp_url"))
            setting_str(s->smtp_url, sizeof(s->smtp_url), v);
        else if (!strcmp(k, "smtp_user"))
            setting_str(s->smtp_user, sizeof(s->smtp_user), v);
        else if (!strcmp(k, "smtp_password"))
            setting_str(s->smtp_password, sizeof(s->smtp_password), v);
        else if (!strcmp(k, "from"))
            setting_str(s->from, sizeof(s->from), v);
        else if (!strcmp(k, "sms_url"))
            setting_str(s->sms_url, sizeof(s->sms_url), v);
        else if (!strcmp(k, "sms_template"))
            setting_str(s->sms_template, sizeof(s->sms_template), v);
        else if (!strcmp(k, "sms_content_type"))
            setting_str(s->sms_content_type, sizeof(s->sms_content_type), v);
        else if (!strcmp(k, "sms_from"))
            setting_str(s->sms_from, sizeof(s->sms_from), v);
        else if (!strcmp(k, "public_url"))
            setting_str(s->public_url, sizeof(s->public_url), v);
        else if (!strcmp(k, "pressure_max"))
            s->pressure_max = (int)n;
        else if (!strcmp(k, "pressure_days"))
            s->pressure_days = (int)n;
        else if (!strcmp(k, "quiet_start"))
            s->quiet_start = hhmm_minutes(v);
        else if (!strcmp(k, "quiet_end"))
            s->quiet_end = hhmm_minutes(v);
        else if (!strcmp(k, "rate_per_sec"))
            s->rate_per_sec = (int)n;
        else if (!strcmp(k, "max_attempts"))
            s->max_attempts = (int)n;
        else if (!strcmp(k, "backoff_seconds"))
            s->backoff_s = (int)n;
        else if (!strcmp(k, "timeout_ms"))
            s->timeout_ms = (int)n;
        else if (!strcmp(k, "in_doubt"))
            setting_str(s->in_doubt, sizeof(s->in_doubt), v);
        else if (!strcmp(k, "delivery_check_url"))
            setting_str(s->check_url, sizeof(s->check_url), v);
    }
    stmt_done(st);
    return rc < 0 ? rc : 0;
}

static json_t *hhmm_json(int m)
{
    if (m < 0)
        return json_null();
    char b[8];
    snprintf(b, sizeof(b), "%02d:%02d", (m / 60) % 24, m % 60);
    return json_string(b);
}

int campaign_settings_get(struct ctx *c, json_t **out)
{
    struct campaign_settings s;
    int rc = campaign_settings_load(c, &s);
    if (rc)
        return rc;
    *out = json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:o,s:o,s:i,s:i,s:i,s:i,s:s,s:s}",
                     "smtp_url", s.smtp_url, "smtp_user", s.smtp_user, "smtp_password_set",
                     s.smtp_password[0] != 0, "from", s.from, "sms_url", s.sms_url, "sms_template",
                     s.sms_template, "sms_content_type", s.sms_content_type, "sms_from", s.sms_from,
                     "public_url", s.public_url, "pressure_max", s.pressure_max, "pressure_days",
                     s.pressure_days, "quiet_start", hhmm_json(s.quiet_start), "quiet_end",
                     hhmm_json(s.quiet_end), "rate_per_sec", s.rate_per_sec, "max_attempts",
                     s.max_attempts, "backoff_seconds", s.backoff_s, "timeout_ms", s.timeout_ms,
                     "in_doubt", s.in_doubt, "delivery_check_url", s.check_url);
    return 0;
}

static int url_scheme_ok(const char *v, const char *const *schemes)
{
    if (!v || !*v)
        return 1;
    for (; *schemes; schemes++)
        if (!strncmp(v, *schemes, strlen(*schemes)) && v[strlen(*schemes)])
            return 1;
    return 0;
}

int campaign_settings_set(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(campaign_settings_fields, in, FIELDS_UPDATE, &c->err);
    if (rc)
        return rc;
    static const char *const smtp[] = {"smtp://", "smtps://", NULL};
    static const char *const http[] = {"http://", "https://", NULL};
    if (!url_scheme_ok(jstr(in, "smtp_url"), smtp))
        return fail(c, ERR_INVALID, "smtp_url", "must start with smtp:// or smtps://");
    if (!url_scheme_ok(jstr(in, "sms_url"), http))
        return fail(c, ERR_INVALID, "sms_url", "must start with http:// or https://");
    if (!url_scheme_ok(jstr(in, "public_url"), http))
        return fail(c, ERR_INVALID, "public_url", "must start with http:// or https://");
    if (!url_scheme_ok(jstr(in, "delivery_check_url"), http))
        return fail(c, ERR_INVALID, "delivery_check_url", "must start with http:// or https://");
    if (jstr(in, "in_doubt") && !strcmp(jstr(in, "in_doubt"), "check")) {
        struct campaign_settings cur;
        const char *url = jstr(in, "delivery_check_url");
        if (!url && (rc = campaign_settings_load(c, &cur)) == 0)
            url = cur.check_url;
        if (rc)
            return rc;
        if (!url || !*url)
            return fail(c, ERR_INVALID, "in_doubt", "\"check\" needs a delivery_check_url");
    }
    const char *tpl = jstr(in, "sms_template");
    if (tpl && *tpl && !(strstr(tpl, "{{to}}") && strstr(tpl, "{{text}}")))
        return fail(c, ERR_INVALID, "sms_template", "must contain {{to}} and {{text}}");
    const char *q[] = {"quiet_start", "quiet_end"};
    for (int i = 0; i < 2; i++) {
        const char *v = jstr(in, q[i]);
        if (v && hhmm_minutes(v) < 0)
            return fail(c, ERR_INVALID, q[i], "must be HH:MM");
    }
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)in, k, v)
    {
        char key[64], num[32];
        const char *val = NULL;
        snprintf(key, sizeof(key), "campaign.%s", k);
        if (json_is_integer(v)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
            val = num;
        } else if (json_is_string(v)) {
            val = json_string_value(v);
        } else {
            val = !strncmp(k, "quiet_", 6) ? "none" : "";
        }
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                       "SET value = excluded.value",
                       "ss", key, val);
        if (rc)
            break;
    }
    if (!rc) {
        json_t *redacted = json_deep_copy(in);
        if (json_object_get(redacted, "smtp_password"))
            json_object_set_new(redacted, "smtp_password", json_string("***"));
        rc = audit_record(c, "update", "campaign_settings", 0, NULL, redacted);
        json_decref(redacted);
    }
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    return rc ? rc : campaign_settings_get(c, out);
}

/* ------------------------------------------------------------ signed links */

/* The server secret of signed links (settings "campaign.secret"). create = 1
 * makes it on first use (in its own write transaction, or a savepoint of the
 * caller's); create = 0 reads only (GET handlers): no secret, no valid link. */
static int secret_get(struct ctx *c, unsigned char key[32], int create)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT value FROM settings WHERE key = 'campaign.secret'", "");
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    size_t n = 0;
    if (rc == 1)
        rc = !stmt_text(s, 0) || sodium_hex2bin(key, 32, stmt_text(s, 0), 64, NULL, &n, NULL) ||
                     n != 32
                 ? fail(c, ERR_INTERNAL, "", "bad campaign secret")
                 : 0;
    else if (rc == 0)
        rc = ERR_NOTFOUND;
    stmt_done(s);
    if (rc != ERR_NOTFOUND)
        return rc;
    if (!create)
        return fail(c, ERR_FORBIDDEN, "token", "this link is not valid");
    char hex[65];
    randombytes_buf(key, 32);
    sodium_bin2hex(hex, sizeof(hex), key, 32);
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc =
        store_run(c->st, NULL, &c->err,
                  "INSERT INTO settings(key, value) VALUES ('campaign.secret', ?) ON CONFLICT(key) "
                  "DO NOTHING",
                  "s", hex);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    return rc ? rc : secret_get(c, key, 0); /* another thread may have won: read it back */
}

static int secret_load(struct ctx *c, unsigned char key[32])
{
    return secret_get(c, key, 1);
}

static void sign_with(const unsigned char key[32], char kind, int64_t a, int64_t b,
                      const char *extra, char *out, size_t len)
{
    char payload[64];
    int pl = snprintf(payload, sizeof(payload), "%c.%lld.%lld", kind, (long long)a, (long long)b);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, 32);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, (size_t)pl);
    if (extra) {
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)"\n", 1);
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)extra, strlen(extra));
    }
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[33];
    sodium_bin2hex(hex, sizeof(hex), mac, 16);
    snprintf(out, len, "%s.%s", payload, hex);
}

int link_sign(struct ctx *c, char kind, int64_t a, int64_t b, const char *extra, char *out,
              size_t len)
{
    unsigned char key[32];
    int rc = secret_load(c, key);
    if (rc)
        return rc;
    sign_with(key, kind, a, b, extra, out, len);
    sodium_memzero(key, sizeof(key));
    return 0;
}

int link_verify(struct ctx *c, const char *token, char kind, const char *extra, int64_t *a,
                int64_t *b)
{
    long long x, y;
    char k, sig[40], tail;
    if (!token || strlen(token) > 100 ||
        sscanf(token, "%c.%lld.%lld.%39[0-9a-f]%c", &k, &x, &y, sig, &tail) != 4 ||
        strlen(sig) != 32 || k != kind || x <= 0 || y <= 0)
        return fail(c, ERR_FORBIDDEN, "token", "this link is not valid");
    unsigned char key[32];
    int rc = secret_get(c, key, 0);
    if (rc)
        return rc;
    char want[100];
    sign_with(key, kind, x, y, extra, want, sizeof(want));
    sodium_memzero(key, sizeof(key));
    if (strlen(want) != strlen(token) || sodium_memcmp(want, token, strlen(want)) != 0)
        return fail(c, ERR_FORBIDDEN, "token", "this link is not valid (bad signature)");
    *a = x;
    *b = y;
    return 0;
}

int link_use_once(struct ctx *c, const char *token)
{
    int rc = store_run(c->st, NULL, &c->err, "INSERT INTO used_links(nonce, at) VALUES (?, ?)",
                       "si", token, time_now());
    if (rc == ERR_EXISTS)
        return fail(c, ERR_CONFLICT, "token", "this link has already been used");
    return rc;
}

/* ------------------------------------------------------------------- CRUD */

static const char *const merge_fields[] = {"first_name",
                                           "last_name",
                                           "name",
                                           "email",
                                           "phone",
                                           "city",
                                           "postal_code",
                                           "country",
                                           "lang",
                                           "offer",
                                           "campaign",
                                           "unsubscribe_url",
                                           "landing_url",
                                           "interests.name",
                                           "recommendations.name",
                                           "recommendations.sku",
                                           "recommendations.price",
                                           NULL};

static const char *const template_cols[] = {"subject_fr", "subject_en", "body_fr",
                                            "body_en",    "html_fr",    "html_en"};

const struct field campaign_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"channel", FT_ENUM, FF_REQUIRED, 0, "email|sms|mail|phone", NULL,
     "mail: print-ready export; phone: call tasks for agents"},
    {"purpose", FT_STRING, 0, 40, NULL, NULL,
     "consent purpose checked (marketing by default; newsletter for newsletter issues)"},
    {"offer", FT_STRING, FF_NULLABLE, 100, NULL, NULL,
     "the offer promoted: customers who refused it on any channel are left out"},
    {"segment_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "audience: a segment"},
    {"newsletter_id", FT_ID, FF_NULLABLE, 0, NULL, NULL,
     "audience: a newsletter's confirmed subscribers"},
    {"subject_fr", FT_STRING, FF_NULLABLE, 500, NULL, NULL, "template (e-mail subject)"},
    {"subject_en", FT_STRING, FF_NULLABLE, 500, NULL, NULL, NULL},
    {"body_fr", FT_TEXT, FF_NULLABLE, TEMPLATE_MAX_SRC, NULL, NULL,
     "template: text body, SMS text, letter or call script"},
    {"body_en", FT_TEXT, FF_NULLABLE, TEMPLATE_MAX_SRC, NULL, NULL, NULL},
    {"html_fr", FT_TEXT, FF_NULLABLE, TEMPLATE_MAX_SRC, NULL, NULL, "template: HTML e-mail"},
    {"html_en", FT_TEXT, FF_NULLABLE, TEMPLATE_MAX_SRC, NULL, NULL, NULL},
    {"landing_url", FT_STRING, FF_NULLABLE, 100, NULL, NULL,
     "target of {{ landing_url }} (a tracked, signed redirect)"},
    {"scheduled_at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, "launch later"},
    {"control_pct", FT_INT, 0, 90, NULL, NULL, "share held out as a control group (10)"},
    {"seed", FT_INT, 0, 2147483647, NULL, NULL, "of the control group draw (reproducible)"},
    {"conversion_days", FT_INT, 0, 365, NULL, NULL, "orders within N days count as converted"},
    {"cost_minor", FT_MONEY, 0, 0, NULL, NULL, "fixed cost"},
    {"cost_per_message_minor", FT_MONEY, 0, 0, NULL, NULL, NULL},
    {"currency", FT_CURRENCY, 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field campaign_test_fields[] = {
    {"to", FT_STRING, FF_REQUIRED, 254, NULL, NULL, "e-mail address or phone number"},
    {"customer_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "personalise as this customer"},
    {"lang", FT_ENUM, 0, 0, "fr|en", NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

#define CAMPAIGN_COLS                                                                              \
    "id, name, channel, purpose, offer, newsletter_id, segment_id, customer_ids, subject_fr, "     \
    "subject_en, body_fr, body_en, html_fr, html_en, landing_url, status, scheduled_at, "          \
    "control_pct, seed, conversion_days, cost_minor, cost_per_message_minor, currency, "           \
    "launched_at, created_at, updated_at"
static const char *const campaign_names[] = {"id",
                                             "name",
                                             "channel",
                                             "purpose",
                                             "offer",
                                             "newsletter_id",
                                             "segment_id",
                                             "customer_ids",
                                             "subject_fr",
                                             "subject_en",
                                             "body_fr",
                                             "body_en",
                                             "html_fr",
                                             "html_en",
                                             "landing_url",
                                             "status",
                                             "scheduled_at",
                                             "control_pct",
                                             "seed",
                                             "conversion_days",
                                             "cost_minor",
                                             "cost_per_message_minor",
                                             "currency",
                                             "launched_at",
                                             "created_at",
                                             "updated_at",
                                             NULL};
#define CAMPAIGN_TYPES "issssiissssssssstiiiiisttt"

int campaign_get(struct ctx *c, int64_t id, json_t **out)
{
    int rc = rowj_one(c, "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE id = ?", id, campaign_names,
                      CAMPAIGN_TYPES, "campaign", out);
    if (rc)
        return rc;
    const char *ids = jstr(*out, "customer_ids");
    json_object_set_new(*out, "customer_ids", ids ? json_loads(ids, 0, NULL) : json_null());
    return 0;
}

int campaign_list(struct ctx *c, int64_t after, int limit, json_t **out)
{
    if (limit <= 0)
        limit = 50;
    if (limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, name, channel, purpose, offer, status, scheduled_at, "
                         "launched_at, created_at FROM campaigns WHERE id < ? ORDER BY id DESC "
                         "LIMIT ?",
                         "ii", after > 0 ? after : INT64_MAX, (int64_t)limit + 1);
    static const char *const names[] = {"id",         "name",   "channel",      "purpose",
                                        "offer",      "status", "scheduled_at", "launched_at",
                                        "created_at", NULL};
    return rc ? rc : rowj_page(c, s, names, "issssstt", limit, out);
}

/* Checks every template of a campaign object (merged state). */
static int check_templates(struct ctx *c, const json_t *cam)
{
    for (size_t i = 0; i < 6; i++) {
        struct template *t = NULL;
        const char *src = jstr(cam, template_cols[i]);
        if (!src)
            continue;
        int rc = template_parse(&t, src, merge_fields, template_cols[i], NULL, &c->err);
        template_free(t);
        if (rc)
            return rc;
    }
    const char *ch = jstr(cam, "channel");
    if (!jstr(cam, "body_fr") && !jstr(cam, "body_en"))
        return fail(c, ERR_INVALID, "body_fr", "a campaign needs a body (body_fr or body_en)");
    if (!strcmp(ch, "email") && !jstr(cam, "subject_fr") && !jstr(cam, "subject_en"))
        return fail(c, ERR_INVALID, "subject_fr", "an e-mail campaign needs a subject");
    const char *lu = jstr(cam, "landing_url");
    if (lu && strncmp(lu, "http://", 7) && strncmp(lu, "https://", 8))
        return fail(c, ERR_INVALID, "landing_url", "must start with http:// or https://");
    return 0;
}

/* customer_ids: an array of positive integers, at most LIST_MAX; *dump gets
 * it serialised (NULL when absent). */
static int check_ids(struct ctx *c, const json_t *v, char **dump)
{
    *dump = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v) || json_array_size(v) > LIST_MAX)
        return fail(c, ERR_INVALID, "customer_ids", "a list of at most %d customer ids", LIST_MAX);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!json_is_integer(x) || json_integer_value(x) <= 0) {
            char f[48];
            snprintf(f, sizeof(f), "customer_ids[%zu]", i);
            return fail(c, ERR_INVALID, f, "must be a positive id");
        }
    }
    *dump = json_dumps(v, JSON_COMPACT);
    return 0;
}

/* Validates the body (customer_ids aside, checked by hand: an id list). */
static int check_body(struct ctx *c, const json_t *in, int mode, char **ids)
{
    json_t *copy = json_copy((json_t *)in);
    json_object_del(copy, "customer_ids");
    int rc = fields_check(campaign_fields, copy, mode, &c->err);
    json_decref(copy);
    return rc ? rc : check_ids(c, json_object_get(in, "customer_ids"), ids);
}

static int save(struct ctx *c, int64_t id, const json_t *m, const char *ids, int64_t *out_id)
{
    int64_t sched = INT64_MIN, now = time_now();
    const char *sa = jstr(m, "scheduled_at");
    if (sa)
        time_parse(sa, &sched);
    const char *status = sched != INT64_MIN && sched > now ? "scheduled" : "draft";
    if (!id)
        return store_int(
            c->st, out_id, &c->err,
            "INSERT INTO campaigns(name, channel, purpose, offer, newsletter_id, segment_id, "
            "customer_ids, subject_fr, subject_en, body_fr, body_en, html_fr, html_en, "
            "landing_url, status, scheduled_at, control_pct, seed, conversion_days, cost_minor, "
            "cost_per_message_minor, currency, created_by, created_at, updated_at) VALUES (?, ?, "
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            "ssssIIsssssssssIiiiiisIii", jstr(m, "name"), jstr(m, "channel"),
            jstr(m, "purpose") ? jstr(m, "purpose") : "marketing", jstr(m, "offer"),
            jint(m, "newsletter_id", INT64_MIN), jint(m, "segment_id", INT64_MIN), ids,
            jstr(m, "subject_fr"), jstr(m, "subject_en"), jstr(m, "body_fr"), jstr(m, "body_en"),
            jstr(m, "html_fr"), jstr(m, "html_en"), jstr(m, "landing_url"), status, sched,
            jint(m, "control_pct", 10), jint(m, "seed", 1), jint(m, "conversion_days", 30),
            jint(m, "cost_minor", 0), jint(m, "cost_per_message_minor", 0),
            jstr(m, "currency") ? jstr(m, "currency") : c->app->cfg.default_currency,
            c->actor.user_id ? c->actor.user_id : INT64_MIN, now, now);
    *out_id = id;
    return store_run(
        c->st, NULL, &c->err,
        "UPDATE campaigns SET name = ?, channel = ?, purpose = ?, offer = ?, newsletter_id = ?, "
        "segment_id = ?, customer_ids = ?, subject_fr = ?, subject_en = ?, body_fr = ?, body_en "
        "= ?, html_fr = ?, html_en = ?, landing_url = ?, status = ?, scheduled_at = ?, "
        "control_pct = ?, seed = ?, conversion_days = ?, cost_minor = ?, cost_per_message_minor "
        "= ?, currency = ?, updated_at = ? WHERE id = ?",
        "ssssIIsssssssssIiiiiisii", jstr(m, "name"), jstr(m, "channel"), jstr(m, "purpose"),
        jstr(m, "offer"), jint(m, "newsletter_id", INT64_MIN), jint(m, "segment_id", INT64_MIN),
        ids, jstr(m, "subject_fr"), jstr(m, "subject_en"), jstr(m, "body_fr"), jstr(m, "body_en"),
        jstr(m, "html_fr"), jstr(m, "html_en"), jstr(m, "landing_url"), status, sched,
        jint(m, "control_pct", 10), jint(m, "seed", 1), jint(m, "conversion_days", 30),
        jint(m, "cost_minor", 0), jint(m, "cost_per_message_minor", 0), jstr(m, "currency"), now,
        id);
}

int campaign_create(struct ctx *c, const json_t *in, json_t **out)
{
    char *ids = NULL;
    int rc = check_body(c, in, FIELDS_CREATE, &ids);
    if (!rc)
        rc = check_templates(c, in);
    if (!rc && jint(in, "newsletter_id", 0) && !jstr(in, "purpose"))
        json_object_set_new((json_t *)in, "purpose", json_string("newsletter"));
    if (rc) {
        free(ids);
        return rc;
    }
    int64_t id = 0;
    rc = store_begin(c->st, &c->err);
    if (!rc)
        rc = save(c, 0, in, ids, &id);
    if (!rc)
        rc = campaign_get(c, id, out);
    if (!rc)
        rc = audit_record(c, "create", "campaign", id, NULL, *out);
    free(ids);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int campaign_update(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    char *ids = NULL;
    int rc = check_body(c, in, FIELDS_UPDATE, &ids);
    free(ids);
    if (rc)
        return rc;
    json_t *before = NULL, *m = NULL;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = campaign_get(c, id, &before);
    const char *st = rc ? NULL : jstr(before, "status");
    if (!rc && strcmp(st, "draft") && strcmp(st, "scheduled"))
        rc = fail(c, ERR_CONFLICT, "status", "a %s campaign cannot be changed", st);
    if (!rc) {
        m = json_deep_copy(before);
        json_object_update(m, (json_t *)in);
        rc = check_templates(c, m);
    }
    if (!rc) {
        json_t *idv = json_object_get(m, "customer_ids");
        ids = json_is_array(idv) ? json_dumps(idv, JSON_COMPACT) : NULL;
        rc = save(c, id, m, ids, &id);
        free(ids);
    }
    if (!rc)
        rc = campaign_get(c, id, out);
    if (!rc)
        rc = audit_record(c, "update", "campaign", id, before, *out);
    json_decref(before);
    json_decref(m);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

/* ----------------------------------------------------------------- audience */

/* Sorted (customer id, value) pairs for bulk facts. */
struct idmap {
    int64_t *ids;
    int *vals;
    size_t n, cap;
};

static int idmap_put(struct idmap *m, int64_t id, int v)
{
    if (m->n && m->ids[m->n - 1] == id) { /* rows come sorted: the last one wins */
        m->vals[m->n - 1] = v;
        return 0;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        int64_t *ni = realloc(m->ids, cap * sizeof(*ni));
        if (!ni)
            return -1;
        m->ids = ni;
        int *nv = realloc(m->vals, cap * sizeof(*nv));
        if (!nv)
            return -1;
        m->vals = nv;
        m->cap = cap;
    }
    m->ids[m->n] = id;
    m->vals[m->n++] = v;
    return 0;
}

static int idmap_get(const struct idmap *m, int64_t id, int dflt)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n && m->ids[lo] == id ? m->vals[lo] : dflt;
}

static void idmap_free(struct idmap *m)
{
    free(m->ids);
    free(m->vals);
}

/* Fills m from a query returning (customer_id, int) sorted by customer_id. */
static int idmap_load(struct ctx *c, struct idmap *m, struct stmt *s)
{
    int rc;
    while ((rc = stmt_step(s, &c->err)) == 1)
        if (idmap_put(m, stmt_int(s, 0), (int)stmt_int(s, 1))) {
            rc = fail(c, ERR_INTERNAL, "", "out of memory");
            break;
        }
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The audience's ids, sorted and unique. Caller frees. */
static int audience(struct ctx *c, const json_t *cam, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    int64_t nl = jint(cam, "newsletter_id", 0), seg = jint(cam, "segment_id", 0);
    int rc = 0;
    if (seg) {
        rc = segment_members(c, seg, ids, n);
        if (rc == ERR_NOTFOUND)
            c->err.field[0] = 0, rc = fail(c, ERR_INVALID, "segment_id", "no such segment");
        return rc;
    }
    size_t cap = 0;
    if (nl) {
        struct stmt *s = NULL;
        rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id FROM newsletter_subscriptions WHERE newsletter_id = ? "
                         "AND status = 'confirmed' ORDER BY customer_id",
                         "i", nl);
        if (rc)
            return rc;
        while ((rc = stmt_step(s, &c->err)) == 1) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 256;
                int64_t *ni = realloc(*ids, cap * sizeof(*ni));
                if (!ni) {
                    rc = fail(c, ERR_INTERNAL, "", "out of memory");
                    break;
                }
                *ids = ni;
            }
            (*ids)[(*n)++] = stmt_int(s, 0);
        }
        stmt_done(s);
        return rc < 0 ? rc : 0;
    }
    const json_t *list = json_object_get(cam, "customer_ids");
    if (!json_is_array(list) || !json_array_size(list))
        return fail(c, ERR_INVALID, "customer_ids",
                    "a campaign needs an audience: segment_id, newsletter_id or customer_ids");
    *ids = malloc(json_array_size(list) * sizeof(int64_t));
    if (!*ids)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)(*ids)[(*n)++] = json_integer_value(v);
    qsort(*ids, *n, sizeof(int64_t), cmp_i64);
    size_t u = 0;
    for (size_t k = 0; k < *n; k++)
        if (!u || (*ids)[u - 1] != (*ids)[k])
            (*ids)[u++] = (*ids)[k];
    *n = u;
    return 0;
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Seeded, reproducible draw: 1 when the customer is held out. */
static int in_control(int64_t seed, int64_t cid, int pct)
{
    if (pct <= 0)
        return 0;
    uint64_t h = splitmix64((uint64_t)seed * 0x100000001B3ull ^ splitmix64((uint64_t)cid));
    return (int)(h % 10000) < pct * 100;
}

/* Everything a launch or preview needs, loaded once. */
struct plan {
    json_t *cam;
    int64_t id, seed, now, start;
    const char *channel, *purpose, *offer;
    int control_pct, needs_consent;
    struct campaign_settings set;
    unsigned char key[32];
    struct template *tpl[6]; /* template_cols order */
    int uses_interests, uses_recs;
    struct idmap consent, tracking, refused, pressure;
    char **suppressed; /* the channel's suppressed addresses, sorted */
    size_t nsuppressed;
    struct launch_rows *rows; /* a launch's rows waiting for a multi-row insert */
};

static void plan_release(struct plan *p)
{
    for (int i = 0; i < 6; i++)
        template_free(p->tpl[i]);
    idmap_free(&p->consent);
    idmap_free(&p->tracking);
    idmap_free(&p->refused);
    idmap_free(&p->pressure);
    for (size_t i = 0; i < p->nsuppressed; i++)
        free(p->suppressed[i]);
    free(p->suppressed);
    json_decref(p->cam);
    sodium_memzero(p->key, sizeof(p->key));
}

static int uses(const struct template *t, const char *name)
{
    if (!t)
        return 0;
    json_t *f = template_fields(t);
    size_t i;
    json_t *v;
    int hit = 0;
    json_array_foreach(f, i, v) hit |= !strcmp(json_string_value(v), name);
    json_decref(f);
    return hit;
}

static int plan_init(struct ctx *c, int64_t id, struct plan *p)
{
    memset(p, 0, sizeof(*p));
    int rc = campaign_get(c, id, &p->cam);
    if (rc)
        return rc;
    p->id = id;
    p->channel = jstr(p->cam, "channel");
    p->purpose = jstr(p->cam, "purpose");
    p->offer = jstr(p->cam, "offer");
    p->control_pct = (int)jint(p->cam, "control_pct", 10);
    p->seed = jint(p->cam, "seed", 1);
    p->now = time_now();
    p->start = p->now;
    p->needs_consent = !strcmp(p->channel, "email") || !strcmp(p->channel, "sms");
    rc = campaign_settings_load(c, &p->set);
    if (!rc)
        rc = secret_load(c, p->key);
    for (int i = 0; !rc && i < 6; i++) {
        const char *src = jstr(p->cam, template_cols[i]);
        if (src)
            rc = template_parse(&p->tpl[i], src, merge_fields, template_cols[i], NULL, &c->err);
        p->uses_interests |= uses(p->tpl[i], "interests");
        p->uses_recs |= uses(p->tpl[i], "recommendations");
    }
    struct stmt *s = NULL;
    const char *consent_ch = p->channel;
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id, granted + 1 FROM consents WHERE channel = ? AND "
                         "purpose = ? ORDER BY customer_id, id",
                         "ss", consent_ch, p->purpose);
    if (!rc)
        rc = idmap_load(c, &p->consent, s);
    if (!rc && !strcmp(p->channel, "email"))
        rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id, granted FROM consents WHERE channel = 'tracking' AND "
                         "purpose = ? ORDER BY customer_id, id",
                         "s", p->purpose);
    if (!rc && !strcmp(p->channel, "email"))
        rc = idmap_load(c, &p->tracking, s);
    if (!rc && p->offer)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT DISTINCT customer_id, 1 FROM interactions WHERE outcome IN "
                         "('offer_refused', 'refused') AND lower(offer) = lower(?) ORDER BY 1",
                         "s", p->offer);
    if (!rc && p->offer)
        rc = idmap_load(c, &p->refused, s);
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id, COUNT(*) FROM campaign_recipients WHERE status = "
                         "'queued' AND at >= ? GROUP BY customer_id ORDER BY customer_id",
                         "i", p->now - (int64_t)p->set.pressure_days * 86400);
    if (!rc)
        rc = idmap_load(c, &p->pressure, s);
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT address FROM suppressions WHERE channel = ? ORDER BY address", "s",
                         p->channel);
    size_t cap = 0;
    int step = 0;
    while (!rc && (step = stmt_step(s, &c->err)) == 1) {
        if (p->nsuppressed == cap) {
            cap = cap ? cap * 2 : 64;
            char **n = realloc(p->suppressed, cap * sizeof(*n));
            if (!n) {
                rc = fail(c, ERR_INTERNAL, "", "out of memory");
                break;
            }
            p->suppressed = n;
        }
        p->suppressed[p->nsuppressed++] = strdup(stmt_text(s, 0));
    }
    if (!rc)
        stmt_done(s);
    if (!rc && step < 0)
        rc = step;
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One recipient's data and the decision about them. */
struct recipient {
    int64_t id;
    const char *first_name, *last_name, *name, *email, *phone, *lang, *city, *postal_code, *country,
        *line1, *line2;
    int quiet_start, quiet_end;
    int reason; /* enum elig_reason */
    int control;
    char addr[260];
};

#define RECIPIENT_SQL                                                                              \
    "SELECT c.first_name, c.last_name, c.name, c.email, c.phone, c.language, c.erased_at IS NOT "  \
    "NULL OR c.merged_into IS NOT NULL, c.quiet_hours_start, c.quiet_hours_end, s.kind IN "        \
    "('bought', 'rented', 'exchanged'), s.usable_from, s.expires_at, s.allowed_purposes, "         \
    "a.line1, a.line2, a.postal_code, a.city, a.country FROM customers c LEFT JOIN sources s ON "  \
    "s.id = c.source_id LEFT JOIN customer_addresses a ON a.id = (SELECT id FROM "                 \
    "customer_addresses WHERE customer_id = c.id ORDER BY is_primary DESC, id LIMIT 1) WHERE "     \
    "c.id = ?"

/* Reads the customer (statement s stays open: the strings point into it)
 * and decides. 0 with r filled; ERR_NOTFOUND for an unknown id. */
static int decide(struct ctx *c, struct plan *p, int64_t cid, struct stmt **sp, struct recipient *r)
{
    memset(r, 0, sizeof(*r));
    r->id = cid;
    int rc = store_query(c->st, sp, &c->err, RECIPIENT_SQL, "i", cid);
    if (rc)
        return rc;
    struct stmt *s = *sp;
    rc = stmt_step(s, &c->err);
    if (rc <= 0) {
        stmt_done(s);
        *sp = NULL;
        return rc < 0 ? rc : ERR_NOTFOUND;
    }
    r->first_name = stmt_text(s, 0);
    r->last_name = stmt_text(s, 1);
    r->name = stmt_text(s, 2);
    r->email = stmt_text(s, 3);
    r->phone = stmt_text(s, 4);
    r->lang = stmt_text(s, 5);
    r->quiet_start = hhmm_minutes(stmt_text(s, 7));
    r->quiet_end = hhmm_minutes(stmt_text(s, 8));
    r->line1 = stmt_text(s, 13);
    r->line2 = stmt_text(s, 14);
    r->postal_code = stmt_text(s, 15);
    r->city = stmt_text(s, 16);
    r->country = stmt_text(s, 17);
    struct elig_facts f = {0};
    f.unreachable = (int)stmt_int(s, 6);
    const char *addr = NULL;
    if (!strcmp(p->channel, "email"))
        addr = r->email;
    else if (!strcmp(p->channel, "sms") || !strcmp(p->channel, "phone"))
        addr = r->phone;
    else
        addr = r->line1 && r->city ? r->line1 : NULL;
    f.has_address = addr && *addr;
    snprintf(r->addr, sizeof(r->addr), "%s", f.has_address ? addr : "");
    f.consent = idmap_get(&p->consent, cid, 0); /* 0 none, 1 withdrawn, 2 granted */
    f.consent = f.consent == 2   ? CONSENT_GRANTED
                : f.consent == 1 ? CONSENT_WITHDRAWN
                                 : CONSENT_NONE;
    f.refused_offer = idmap_get(&p->refused, cid, 0);
    f.restricted = !stmt_isnull(s, 9) && stmt_int(s, 9);
    f.usable_from = stmt_isnull(s, 10) ? 0 : stmt_int(s, 10);
    f.usable_until = stmt_isnull(s, 11) ? 0 : stmt_int(s, 11);
    f.allowed_purposes = stmt_text(s, 12);
    f.recent_messages = idmap_get(&p->pressure, cid, 0);
    if (f.has_address && p->nsuppressed) {
        const char *key = r->addr;
        f.suppressed =
            bsearch(&key, p->suppressed, p->nsuppressed, sizeof(char *), cmp_str) != NULL;
    }
    struct elig_policy pol = {p->purpose, p->set.pressure_max, p->needs_consent, p->now};
    r->reason = eligibility_check(&pol, &f);
    r->control = r->reason == ELIG_OK && in_control(p->seed, cid, p->control_pct);
    return 0;
}

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, json_string(v));
}

static void url_encode(const char *s, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < len; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("-._~", ch)) {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = 0;
}

/* Products bought by the buyers of what the customer bought, which they do
 * not own and have not refused: used when recommend_for_customer fails. */
static void recs_fallback(struct ctx *c, int64_t cid, json_t *arr)
{
    struct stmt *s = NULL;
    if (store_query(c->st, &s, NULL,
                    "SELECT p.name, p.sku, p.price_minor, p.currency FROM products p JOIN (SELECT "
                    "l2.product_id pid, COUNT(*) n FROM order_lines l1 JOIN order_lines l2 ON "
                    "l2.customer_id IN (SELECT customer_id FROM order_lines WHERE product_id = "
                    "l1.product_id LIMIT 200) AND l2.product_id <> l1.product_id WHERE "
                    "l1.customer_id = ?1 AND l2.product_id NOT IN (SELECT product_id FROM "
                    "order_lines WHERE customer_id = ?1 AND product_id IS NOT NULL) GROUP BY "
                    "l2.product_id ORDER BY n DESC LIMIT 10) x ON x.pid = p.id WHERE p.active = 1 "
                    "AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.customer_id = ?1 AND "
                    "i.outcome = 'offer_refused' AND (lower(i.offer) = lower(p.sku) OR "
                    "lower(i.offer) = lower(p.name))) ORDER BY x.n DESC LIMIT 3",
                    "i", cid))
        return;
    while (stmt_step(s, NULL) == 1) {
        char price[48] = "";
        if (!stmt_isnull(s, 2))
            snprintf(price, sizeof(price), "%lld.%02lld %s", (long long)(stmt_int(s, 2) / 100),
                     (long long)(stmt_int(s, 2) % 100), stmt_text(s, 3) ? stmt_text(s, 3) : "");
        json_array_append_new(arr, json_pack("{s:s,s:s?,s:s}", "name", stmt_text(s, 0), "sku",
                                             stmt_text(s, 1), "price", price));
    }
    stmt_done(s);
}

/* The merge variables of a recipient. */
static json_t *vars_of(struct ctx *c, struct plan *p, const struct recipient *r, int en)
{
    json_t *v = json_object();
    char tok[128], url[1024];
    set_str(v, "first_name", r->first_name);
    set_str(v, "last_name", r->last_name);
    if (r->name)
        set_str(v, "name", r->name);
    else if (r->first_name || r->last_name) {
        char nm[300];
        snprintf(nm, sizeof(nm), "%s%s%s", r->first_name ? r->first_name : "",
                 r->first_name && r->last_name ? " " : "", r->last_name ? r->last_name : "");
        set_str(v, "name", nm);
    }
    set_str(v, "email", r->email);
    set_str(v, "phone", r->phone);
    set_str(v, "city", r->city);
    set_str(v, "postal_code", r->postal_code);
    set_str(v, "country", r->country);
    set_str(v, "lang", en ? "en" : "fr");
    set_str(v, "offer", p->offer);
    set_str(v, "campaign", jstr(p->cam, "name"));
    sign_with(p->key, 'u', p->id, r->id, NULL, tok, sizeof(tok));
    snprintf(url, sizeof(url), "%s/api/v1/c/u/%s", p->set.public_url, tok);
    set_str(v, "unsubscribe_url", url);
    const char *lu = jstr(p->cam, "landing_url");
    if (lu) {
        char enc[400];
        sign_with(p->key, 'c', p->id, r->id, lu, tok, sizeof(tok));
        url_encode(lu, enc, sizeof(enc));
        snprintf(url, sizeof(url), "%s/api/v1/c/c/%s?u=%s", p->set.public_url, tok, enc);
        set_str(v, "landing_url", url);
    }
    if (p->uses_interests) {
        json_t *arr = json_array();
        struct stmt *s = NULL;
        if (store_query(c->st, &s, NULL,
                        "SELECT interest FROM customer_interests WHERE customer_id = ? ORDER BY "
                        "noted_at DESC LIMIT 5",
                        "i", r->id) == 0) {
            while (stmt_step(s, NULL) == 1)
                json_array_append_new(arr, json_pack("{s:s}", "name", stmt_text(s, 0)));
            stmt_done(s);
        }
        json_object_set_new(v, "interests", arr);
    }
    if (p->uses_recs) {
        /* collaborative filtering (app/recommend.h): products the customer
         * does not own and has not refused, best first */
        json_t *arr = json_array(), *rec = NULL;
        if (recommend_for_customer(c, r->id, 3, &rec) == 0) {
            size_t i;
            json_t *it;
            json_array_foreach(json_object_get(rec, "products"), i, it)
            {
                char price[48] = "";
                json_t *pm = json_object_get(it, "price_minor");
                if (json_is_integer(pm))
                    snprintf(price, sizeof(price), "%lld.%02lld %s",
                             (long long)(json_integer_value(pm) / 100),
                             (long long)(json_integer_value(pm) % 100),
                             json_string_value(json_object_get(it, "currency"))
                                 ? json_string_value(json_object_get(it, "currency"))
                                 : "");
                json_array_append_new(arr, json_pack("{s:O?,s:O?,s:s}", "name",
                                                     json_object_get(it, "name"), "sku",
                                                     json_object_get(it, "sku"), "price", price));
            }
        } else
            recs_fallback(c, r->id, arr);
        json_decref(rec);
        json_object_set_new(v, "recommendations", arr);
    }
    return v;
}

/* Rendered subject, body and html of one recipient (each may be NULL). */
struct rendered {
    char *subject, *body, *html;
};

static void rendered_free(struct rendered *m)
{
    free(m->subject);
    free(m->body);
    free(m->html);
}

static int render_for(struct ctx *c, struct plan *p, const struct recipient *r,
                      const char *force_lang, int tracking, struct rendered *m)
{
    int en = force_lang ? !strcmp(force_lang, "en") : r->lang && !strncmp(r->lang, "en", 2);
    if (en && !p->tpl[3])
        en = 0;
    if (!en && !p->tpl[2])
        en = 1;
    json_t *v = vars_of(c, p, r, en);
    memset(m, 0, sizeof(*m));
    const struct template *ts = p->tpl[en ? 1 : 0] ? p->tpl[en ? 1 : 0] : p->tpl[en ? 0 : 1];
    const struct template *th = p->tpl[en ? 5 : 4] ? p->tpl[en ? 5 : 4] : p->tpl[en ? 4 : 5];
    if (ts)
        m->subject = template_render(ts, v, 0);
    m->body = template_render(p->tpl[en ? 3 : 2], v, 0);
    if (th && !strcmp(p->channel, "email"))
        m->html = template_render(th, v, 1);
    json_decref(v);
    if (!m->body || (ts && !m->subject) || (th && !strcmp(p->channel, "email") && !m->html)) {
        rendered_free(m);
        return fail(c, ERR_INVALID, "body_fr", "the rendered message is over %d bytes",
                    TEMPLATE_MAX_OUT);
    }
    if (m->subject) /* a subject is one line */
        for (char *q = m->subject; *q; q++)
            if (*q == '\r' || *q == '\n')
                *q = ' ';
    if (m->html && tracking) {
        char tok[128], img[600];
        sign_with(p->key, 'o', p->id, r->id, NULL, tok, sizeof(tok));
        int n = snprintf(img, sizeof(img),
                         "<img src=\"%s/api/v1/c/o/%s\" width=\"1\" height=\"1\" alt=\"\">",
                         p->set.public_url, tok);
        size_t hl = strlen(m->html);
        char *nh = realloc(m->html, hl + (size_t)n + 1);
        if (nh) {
            memcpy(nh + hl, img, (size_t)n + 1);
            m->html = nh;
        }
    }
    return 0;
}

static int64_t quiet_defer(const struct plan *p, const struct recipient *r, int64_t t)
{
    if (r->quiet_start >= 0 && r->quiet_end >= 0)
        return quiet_hours_defer(t, r->quiet_start, r->quiet_end);
    return quiet_hours_defer(t, p->set.quiet_start, p->set.quiet_end);
}

/* A launch writes its recipient rows and queued messages BULK_ROWS at a
 * time (one statement each: the CHECK lists and statement start paid once).
 * On SQLite the messages get their ids here (the launch holds the write
 * lock), without RETURNING's per-row temporary table; elsewhere each message
 * is inserted at once with RETURNING. */
struct launch_rows {
    int64_t next_id; /* the next message id; 0: insert each message at once */
    struct queued {
        int64_t id, customer_id, due;
        char key[64];
        char *to, *subject, *body, *html, *unsub;
    } q[BULK_ROWS];
    int nq;
    struct bindv rargs[BULK_ROWS * 6];
    int nr;
};

static void queued_free(struct launch_rows *w)
{
    for (int i = 0; i < w->nq; i++) {
        free(w->q[i].to);
        free(w->q[i].subject);
        free(w->q[i].body);
        free(w->q[i].html);
        free(w->q[i].unsub);
    }
    w->nq = 0;
}

static int flush_queued(struct ctx *c, struct plan *p)
{
    struct launch_rows *w = p->rows;
    struct bindv args[BULK_ROWS * 12];
    for (int i = 0; i < w->nq; i++) {
        struct queued *q = &w->q[i];
        struct bindv *a = &args[i * 12];
        a[0] = (struct bindv){'i', q->id, 0, NULL};
        a[1] = (struct bindv){'s', 0, 0, q->key};
        a[2] = (struct bindv){'s', 0, 0, p->channel};
        a[3] = (struct bindv){'i', p->id, 0, NULL};
        a[4] = (struct bindv){'i', q->customer_id, 0, NULL};
        a[5] = (struct bindv){'s', 0, 0, q->to};
        a[6] = (struct bindv){q->subject ? 's' : 'n', 0, 0, q->subject};
        a[7] = (struct bindv){q->body ? 's' : 'n', 0, 0, q->body};
        a[8] = (struct bindv){q->html ? 's' : 'n', 0, 0, q->html};
        a[9] = (struct bindv){q->unsub ? 's' : 'n', 0, 0, q->unsub};
        a[10] = (struct bindv){'i', q->due, 0, NULL};
        a[11] = (struct bindv){'i', p->now, 0, NULL};
    }
    int rc = bulk_insert(c,
                         "INSERT INTO send_queue(id, idem_key, channel, campaign_id, customer_id, "
                         "to_addr, subject, body, html, unsubscribe, next_at, created_at) VALUES ",
                         "", 12, args, (size_t)w->nq);
    queued_free(w);
    return rc;
}

static int flush_recipients(struct ctx *c, struct plan *p)
{
    struct launch_rows *w = p->rows;
    int rc = bulk_insert(c,
                         "INSERT INTO campaign_recipients(campaign_id, customer_id, status, reason, "
                         "at, message_id) VALUES ",
                         "", 6, w->rargs, (size_t)w->nr);
    w->nr = 0;
    return rc;
}

/* Puts one recipient's message in the send queue (e-mail, SMS) or a call
 * task (phone); mail is exported later. *msg_id gets the queue or task id. */
static int deliver(struct ctx *c, struct plan *p, const struct recipient *r, int64_t *msg_id)
{
    *msg_id = INT64_MIN;
    if (!strcmp(p->channel, "mail"))
        return 0;
    struct rendered m;
    int tracking = !strcmp(p->channel, "email") && idmap_get(&p->tracking, r->id, 0) == 1;
    int rc = render_for(c, p, r, NULL, tracking, &m);
    if (rc)
        return rc;
    int64_t due = quiet_defer(p, r, p->start);
    if (!strcmp(p->channel, "phone")) {
        char title[300], dues[TIME_BUF];
        snprintf(title, sizeof(title), "%s: call %s", jstr(p->cam, "name"),
                 r->name        ? r->name
                 : r->last_name ? r->last_name
                                : "customer");
        json_t *in = json_pack("{s:I,s:s,s:s,s:s,s:s}", "customer_id", (json_int_t)r->id, "kind",
                               "call", "title", title, "notes", m.body, "due_at",
                               time_format(due, dues, sizeof(dues)));
        json_t *task = NULL;
        rc = task_create(c, in, &task);
        if (!rc)
            *msg_id = jint(task, "id", INT64_MIN);
        json_decref(in);
        json_decref(task);
    } else {
        char key[64], tok[128], unsub[600];
        snprintf(key, sizeof(key), "c%lld:%lld", (long long)p->id, (long long)r->id);
        sign_with(p->key, 'u', p->id, r->id, NULL, tok, sizeof(tok));
        snprintf(unsub, sizeof(unsub), "%s/api/v1/c/u/%s", p->set.public_url, tok);
        struct launch_rows *w = p->rows;
        if (w && w->next_id) {
            struct queued *q = &w->q[w->nq++];
            q->id = *msg_id = w->next_id++;
            q->customer_id = r->id;
            q->due = due;
            snprintf(q->key, sizeof(q->key), "%s", key);
            q->to = strdup(r->addr);
            q->subject = m.subject;
            q->body = m.body;
            q->html = m.html;
            q->unsub = !strcmp(p->channel, "email") ? strdup(unsub) : NULL;
            m = (struct rendered){NULL, NULL, NULL};
            if (!q->to || (!q->unsub && !strcmp(p->channel, "email")))
                return fail(c, ERR_INTERNAL, "", "out of memory");
            return w->nq == BULK_ROWS ? flush_queued(c, p) : 0;
        }
        rc = store_int(c->st, msg_id, &c->err,
                       "INSERT INTO send_queue(idem_key, channel, campaign_id, customer_id, "
                       "to_addr, subject, body, html, unsubscribe, next_at, created_at) VALUES (?, "
                       "?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       "ssiisssssii", key, p->channel, p->id, r->id, r->addr, m.subject, m.body,
                       m.html, !strcmp(p->channel, "email") ? unsub : NULL, due, p->now);
    }
    rendered_free(&m);
    return rc;
}

/* Runs the audience through the checks: write = 1 records recipients and
 * queues messages (the launch), 0 only counts and samples (the preview). */
static int run_audience(struct ctx *c, struct plan *p, int write, json_t *counts, json_t *samples)
{
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = audience(c, p->cam, &ids, &n);
    if (!rc && n > AUDIENCE_MAX)
        rc = fail(c, ERR_INVALID, "segment_id", "audience over %d customers", AUDIENCE_MAX);
    int64_t cnt[ELIG_NREASONS] = {0}, control = 0, queued = 0, unknown = 0;
    if (!rc && write && !(p->rows = calloc(1, sizeof(*p->rows))))
        rc = fail(c, ERR_INTERNAL, "", "out of memory");
    if (!rc && write && !strcmp(store_backend(c->st), "sqlite"))
        rc = store_int(c->st, &p->rows->next_id, &c->err,
                       "SELECT COALESCE(MAX(id), 0) + 1 FROM send_queue", "");
    for (size_t i = 0; !rc && i < n; i++) {
        struct recipient r;
        struct stmt *s = NULL;
        rc = decide(c, p, ids[i], &s, &r);
        if (rc == ERR_NOTFOUND) {
            unknown++;
            rc = 0;
            continue;
        }
        if (rc)
            break;
        const char *status = r.reason ? "excluded" : r.control ? "control" : "queued";
        int64_t msg = INT64_MIN;
        if (r.reason)
            cnt[r.reason]++;
        else if (r.control)
            control++;
        else {
            queued++;
            if (write)
                rc = deliver(c, p, &r, &msg);
            else if (samples && json_array_size(samples) < 5) {
                struct rendered m;
                rc = render_for(c, p, &r, NULL, 0, &m);
                if (!rc)
                    json_array_append_new(samples,
                                          json_pack("{s:I,s:s,s:s?,s:s,s:s?}", "customer_id",
                                                    (json_int_t)r.id, "to", r.addr, "subject",
                                                    m.subject, "body", m.body, "html", m.html));
                if (!rc)
                    rendered_free(&m);
            }
        }
        if (!rc && write) {
            struct bindv *a = &p->rows->rargs[p->rows->nr++ * 6];
            const char *why = r.reason ? elig_reason_name(r.reason) : NULL;
            a[0] = (struct bindv){'i', p->id, 0, NULL};
            a[1] = (struct bindv){'i', r.id, 0, NULL};
            a[2] = (struct bindv){'s', 0, 0, status}; /* static strings */
            a[3] = (struct bindv){why ? 's' : 'n', 0, 0, why};
            a[4] = (struct bindv){'i', p->now, 0, NULL};
            a[5] = msg == INT64_MIN ? (struct bindv){'n', 0, 0, NULL}
                                    : (struct bindv){'i', msg, 0, NULL};
            if (p->rows->nr == BULK_ROWS)
                rc = flush_recipients(c, p);
        }
        stmt_done(s);
    }
    if (!rc && write)
        rc = flush_queued(c, p);
    if (!rc && write)
        rc = flush_recipients(c, p);
    if (p->rows) {
        queued_free(p->rows);
        free(p->rows);
        p->rows = NULL;
    }
    free(ids);
    if (rc)
        return rc;
    json_t *ex = json_object();
    for (int k = 1; k < ELIG_NREASONS; k++)
        if (cnt[k])
            json_object_set_new(ex, elig_reason_name(k), json_integer(cnt[k]));
    int64_t excl = 0;
    for (int k = 1; k < ELIG_NREASONS; k++)
        excl += cnt[k];
    json_object_set_new(counts, "audience", json_integer((json_int_t)(n - (size_t)unknown)));
    json_object_set_new(counts, "unknown_ids", json_integer(unknown));
    json_object_set_new(counts, "excluded", json_integer(excl));
    json_object_set_new(counts, "excluded_by_reason", ex);
    json_object_set_new(counts, "control", json_integer(control));
    json_object_set_new(counts, "queued", json_integer(queued));
    return 0;
}

int campaign_preview(struct ctx *c, int64_t id, json_t **out)
{
    struct plan p;
    unsigned char key[32];
    int rc0 = secret_load(c, key); /* made before the read transaction on first use */
    sodium_memzero(key, sizeof(key));
    if (rc0)
        return rc0;
    int reading = store_begin_read(c->st, &c->err) == 0; /* one snapshot, one lock */
    int rc = plan_init(c, id, &p);
    json_t *counts = json_object(), *samples = json_array();
    if (!rc)
        rc = run_audience(c, &p, 0, counts, samples);
    plan_release(&p);
    if (reading)
        store_end_read(c->st);
    if (rc) {
        json_decref(counts);
        json_decref(samples);
        return rc;
    }
    json_object_set_new(counts, "samples", samples);
    *out = counts;
    return 0;
}

int campaign_launch(struct ctx *c, int64_t id, json_t **out)
{
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    struct plan p;
    rc = plan_init(c, id, &p);
    const char *st = rc ? NULL : jstr(p.cam, "status");
    int64_t sched = 0;
    const char *sa = rc ? NULL : jstr(p.cam, "scheduled_at");
    if (sa)
        time_parse(sa, &sched);
    if (!rc && strcmp(st, "draft") && strcmp(st, "scheduled"))
        rc = fail(c, ERR_CONFLICT, "status", "a %s campaign cannot be launched", st);
    json_t *counts = json_object();
    int later = !rc && sched > p.now;
    if (!rc && later)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE campaigns SET status = 'scheduled', updated_at = ? WHERE id = ?",
                       "ii", p.now, id);
    if (!rc && !later)
        rc = run_audience(c, &p, 1, counts, NULL);
    if (!rc && !later)
        rc = store_run(
            c->st, NULL, &c->err,
            "UPDATE campaigns SET status = ?, launched_at = ?, updated_at = ? WHERE id "
            "= ?",
            "siii", !strcmp(p.channel, "email") || !strcmp(p.channel, "sms") ? "sending" : "sent",
            p.now, p.now, id);
    if (!rc && !later) {
        json_object_set_new(counts, "campaign_id", json_integer(id));
        rc = event_emit(c, "campaign.launched", 0, "campaign", id, counts, NULL);
    }
    if (!rc)
        rc = audit_record(c, later ? "schedule" : "launch", "campaign", id, NULL, counts);
    plan_release(&p);
    if (rc) {
        json_decref(counts);
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (rc) {
        json_decref(counts);
        return rc;
    }
    json_t *cam = NULL;
    rc = campaign_get(c, id, &cam);
    if (rc) {
        json_decref(counts);
        return rc;
    }
    json_object_set_new(cam, "launch", counts);
    *out = cam;
    log_info("campaign %lld %s", (long long)id, later ? "scheduled" : "launched");
    return 0;
}

int campaign_launch_due(struct ctx *c, int *n)
{
    *n = 0;
    for (;;) {
        int64_t id = 0;
        int rc = store_int(c->st, &id, &c->err,
                           "SELECT id FROM campaigns WHERE status = 'scheduled' AND scheduled_at "
                           "<= ? ORDER BY scheduled_at, id LIMIT 1",
                           "i", time_now());
        if (rc == ERR_NOTFOUND)
            return 0;
        if (rc)
            return rc;
        json_t *out = NULL;
        rc = campaign_launch(c, id, &out);
        json_decref(out);
        if (rc) {
            /* a campaign that cannot launch (its segment deleted…) is cancelled, logged */
            log_error("campaign %lld: launch failed: %s", (long long)id, c->err.msg);
            store_run(c->st, NULL, NULL,
                      "UPDATE campaigns SET status = 'cancelled', updated_at = ? WHERE id = ?",
                      "ii", time_now(), id);
        }
        (*n)++;
    }
}

int campaign_cancel(struct ctx *c, int64_t id, json_t **out)
{
    json_t *cam = NULL;
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = campaign_get(c, id, &cam);
    const char *st = rc ? NULL : jstr(cam, "status");
    if (!rc && (!strcmp(st, "sent") || !strcmp(st, "cancelled")))
        rc = fail(c, ERR_CONFLICT, "status", "a %s campaign cannot be cancelled", st);
    int64_t n = 0;
    if (!rc)
        rc = store_run(c->st, &n, &c->err,
                       "UPDATE send_queue SET status = 'cancelled' WHERE campaign_id = ? AND "
                       "status = 'pending'",
                       "i", id);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE campaigns SET status = 'cancelled', updated_at = ? WHERE id = ?",
                       "ii", time_now(), id);
    if (!rc)
        rc = audit_record(c, "cancel", "campaign", id, cam, NULL);
    json_decref(cam);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (!rc)
        rc = campaign_get(c, id, out);
    if (!rc)
        json_object_set_new(*out, "messages_cancelled", json_integer(n));
    return rc;
}

/* -------------------------------------------------------------- test sends */

int campaign_test_send(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = fields_check(campaign_test_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    struct plan p;
    rc = plan_init(c, id, &p);
    const char *to = jstr(in, "to");
    if (!rc && strcmp(p.channel, "email") && strcmp(p.channel, "sms"))
        rc = fail(c, ERR_INVALID, "channel", "test sends are for e-mail and SMS campaigns");
    if (!rc && !strcmp(p.channel, "email") && (!strchr(to, '@') || strpbrk(to, " \r\n<>")))
        rc = fail(c, ERR_INVALID, "to", "not an e-mail address");
    if (!rc && !strcmp(p.channel, "sms") && to[0] != '+')
        rc = fail(c, ERR_INVALID, "to", "a phone number in E.164 form (+33…)");
    struct recipient r = {.id = 0, .quiet_start = -1, .quiet_end = -1};
    struct stmt *s = NULL;
    int64_t cid = jint(in, "customer_id", 0);
    if (!rc && cid) {
        rc = decide(c, &p, cid, &s, &r);
        if (rc == ERR_NOTFOUND)
            rc = fail(c, ERR_INVALID, "customer_id", "no such customer");
    } else if (!rc) {
        r.first_name = "Camille";
        r.last_name = "Exemple";
        r.city = "Paris";
        r.lang = jstr(in, "lang");
    }
    struct rendered m = {0};
    if (!rc)
        rc = render_for(c, &p, &r, jstr(in, "lang"), 0, &m);
    int64_t qid = 0;
    if (!rc) {
        char key[80], subj[600], nonce[17];
        unsigned char rb[8];
        randombytes_buf(rb, sizeof(rb));
        sodium_bin2hex(nonce, sizeof(nonce), rb, sizeof(rb));
        snprintf(key, sizeof(key), "test:%lld:%s", (long long)id, nonce);
        snprintf(subj, sizeof(subj), "[TEST] %s", m.subject ? m.subject : "");
        rc = store_begin(c->st, &c->err);
        if (!rc)
            rc = store_int(c->st, &qid, &c->err,
                           "INSERT INTO send_queue(idem_key, channel, campaign_id, customer_id, "
                           "to_addr, subject, body, html, next_at, created_at) VALUES (?, ?, NULL, "
                           "NULL, ?, ?, ?, ?, ?, ?) RETURNING id",
                           "ssssssii", key, p.channel, to, subj, m.body, m.html, p.now, p.now);
        if (!rc)
            rc = audit_record(c, "test_send", "campaign", id, NULL, in);
        if (rc)
            store_rollback(c->st);
        else
            rc = store_commit(c->st, &c->err);
        if (!rc)
            *out = json_pack("{s:I,s:s,s:s,s:s?,s:s,s:s?}", "queue_id", (json_int_t)qid, "to", to,
                             "channel", p.channel, "subject", m.subject ? subj : NULL, "body",
                             m.body, "html", m.html);
    }
    rendered_free(&m);
    stmt_done(s);
    plan_release(&p);
    return rc;
}

int campaign_queue_email(struct ctx *c, const char *idem_key, int64_t customer_id, const char *to,
                         const char *subject, const char *text, const char *html)
{
    int64_t now = time_now();
    return store_run(c->st, NULL, &c->err,
                     "INSERT INTO send_queue(idem_key, channel, campaign_id, customer_id, to_addr, "
                     "subject, body, html, next_at, created_at) VALUES (?, 'email', NULL, ?, ?, ?, "
                     "?, ?, ?, ?) ON CONFLICT(idem_key) DO NOTHING",
                     "sIssssii", idem_key, customer_id ? customer_id : INT64_MIN, to, subject, text,
                     html, now, now);
}

/* ----------------------------------------------------------------- results */

static double ratio(int64_t a, int64_t b)
{
    return b > 0 ? (double)a / (double)b : 0.0;
}

int campaign_results(struct ctx *c, int64_t id, json_t **out)
{
    json_t *cam = NULL;
    int rc = campaign_get(c, id, &cam);
    if (rc)
        return rc;
    int64_t launched = 0;
    const char *la = jstr(cam, "launched_at");
    if (la)
        time_parse(la, &launched);
    int64_t days = jint(cam, "conversion_days", 30);
    const char *channel = jstr(cam, "channel");
    json_t *o = json_object();
    json_object_set_new(o, "campaign_id", json_integer(id));
    json_object_set_new(o, "status", json_string(jstr(cam, "status")));
    json_object_set_new(o, "currency", json_string(jstr(cam, "currency")));
    int64_t n_queued = 0, n_control = 0, n_excluded = 0, opened = 0, clicked = 0;
    struct stmt *s = NULL;
    int step = 0;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT status, COUNT(*), COUNT(opened_at), COUNT(clicked_at) FROM "
                     "campaign_recipients WHERE campaign_id = ? GROUP BY status",
                     "i", id);
    while (!rc && (step = stmt_step(s, &c->err)) == 1) {
        const char *st = stmt_text(s, 0);
        int64_t n = stmt_int(s, 1);
        if (!strcmp(st, "queued")) {
            n_queued = n;
            opened = stmt_int(s, 2);
            clicked = stmt_int(s, 3);
        } else if (!strcmp(st, "control")) {
            n_control = n;
        } else {
            n_excluded = n;
        }
    }
    stmt_done(s);
    s = NULL;
    rc = rc ? rc : step < 0 ? step : 0;
    step = 0;
    json_t *reasons = json_object();
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT reason, COUNT(*) FROM campaign_recipients WHERE campaign_id = ? "
                         "AND status = 'excluded' GROUP BY reason ORDER BY reason",
                         "i", id);
    while (!rc && (step = stmt_step(s, &c->err)) == 1)
        json_object_set_new(reasons, stmt_text(s, 0), json_integer(stmt_int(s, 1)));
    stmt_done(s);
    s = NULL;
    rc = rc ? rc : step < 0 ? step : 0;
    step = 0;
    json_t *msgs = json_object();
    int64_t sent = 0;
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT status, COUNT(*) FROM send_queue WHERE campaign_id = ? GROUP BY "
                         "status",
                         "i", id);
    while (!rc && (step = stmt_step(s, &c->err)) == 1) {
        json_object_set_new(msgs, stmt_text(s, 0), json_integer(stmt_int(s, 1)));
        if (!strcmp(stmt_text(s, 0), "sent"))
            sent = stmt_int(s, 1);
    }
    stmt_done(s);
    s = NULL;
    rc = rc ? rc : step < 0 ? step : 0;
    step = 0;
    if (strcmp(channel, "email") && strcmp(channel, "sms"))
        sent = n_queued; /* letters printed, calls listed */
    int64_t conv_t = 0, conv_c = 0, rev_t = 0, rev_c = 0;
    if (!rc && launched)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT r.status, COUNT(*), COALESCE(SUM(x.rev), 0) FROM "
                         "campaign_recipients r JOIN (SELECT customer_id, SUM(total_minor) rev "
                         "FROM orders WHERE ordered_at >= ? AND ordered_at < ? AND kind = 'sale' "
                         "AND status NOT IN ('cancelled', 'refunded') GROUP BY customer_id) x ON "
                         "x.customer_id = r.customer_id WHERE r.campaign_id = ? AND r.status IN "
                         "('queued', 'control') GROUP BY r.status",
                         "iii", launched, launched + days * 86400, id);
    while (!rc && launched && (step = stmt_step(s, &c->err)) == 1) {
        if (!strcmp(stmt_text(s, 0), "queued")) {
            conv_t = stmt_int(s, 1);
            rev_t = stmt_int(s, 2);
        } else {
            conv_c = stmt_int(s, 1);
            rev_c = stmt_int(s, 2);
        }
    }
    stmt_done(s);
    rc = rc ? rc : step < 0 ? step : 0;
    step = 0;
    if (rc) {
        json_decref(o);
        json_decref(reasons);
        json_decref(msgs);
        json_decref(cam);
        return rc;
    }
    double rate_t = ratio(conv_t, n_queued), rate_c = ratio(conv_c, n_control);
    double rpc_t = ratio(rev_t, n_queued), rpc_c = ratio(rev_c, n_control);
    int64_t cost = jint(cam, "cost_minor", 0) + jint(cam, "cost_per_message_minor", 0) * sent;
    double incremental = n_control > 0 ? (rpc_t - rpc_c) * (double)n_queued : (double)rev_t;
    json_object_set_new(o, "audience", json_integer(n_queued + n_control + n_excluded));
    json_object_set_new(o, "excluded", json_integer(n_excluded));
    json_object_set_new(o, "excluded_by_reason", reasons);
    json_object_set_new(o, "treated", json_integer(n_queued));
    json_object_set_new(o, "control", json_integer(n_control));
    json_object_set_new(o, "messages", msgs);
    json_object_set_new(o, "delivered", json_integer(sent));
    json_object_set_new(o, "opened", json_integer(opened));
    json_object_set_new(o, "clicked", json_integer(clicked));
    json_object_set_new(o, "converted", json_integer(conv_t));
    json_object_set_new(o, "control_converted", json_integer(conv_c));
    json_object_set_new(o, "revenue_minor", json_integer(rev_t));
    json_object_set_new(o, "control_revenue_minor", json_integer(rev_c));
    json_object_set_new(o, "conversion_rate", json_real(rate_t));
    json_object_set_new(o, "control_conversion_rate", json_real(rate_c));
    json_object_set_new(o, "uplift", n_control ? json_real(rate_t - rate_c) : json_null());
    json_object_set_new(o, "uplift_relative",
                        n_control && rate_c > 0 ? json_real((rate_t - rate_c) / rate_c)
                                                : json_null());
    json_object_set_new(o, "incremental_revenue_minor", json_integer((json_int_t)incremental));
    json_object_set_new(o, "cost_minor", json_integer(cost));
    json_object_set_new(
        o, "roi", cost > 0 ? json_real((incremental - (double)cost) / (double)cost) : json_null());
    json_object_set_new(o, "open_rate", json_real(ratio(opened, sent)));
    json_object_set_new(o, "click_rate", json_real(ratio(clicked, sent)));
    json_decref(cam);
    *out = o;
    return 0;
}

int campaign_recipients(struct ctx *c, int64_t id, const char *status, int64_t after, int limit,
                        json_t **out)
{
    if (limit <= 0)
        limit = 50;
    if (limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    if (status && !enum_has("queued|control|excluded", status))
        return fail(c, ERR_INVALID, "status", "must be one of: queued|control|excluded");
    int rc =
        store_int(c->st, &(int64_t){0}, &c->err, "SELECT id FROM campaigns WHERE id = ?", "i", id);
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_NOTFOUND, "id", "no campaign %lld", (long long)id);
    if (rc)
        return rc;
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT r.customer_id, r.status, r.reason, r.at, r.message_id, q.status, "
                     "q.to_addr, q.attempts, q.last_error, q.sent_at, r.opened_at, r.clicked_at "
                     "FROM campaign_recipients r LEFT JOIN send_queue q ON q.id = r.message_id "
                     "AND q.campaign_id = r.campaign_id WHERE r.campaign_id = ? AND (? IS NULL OR "
                     "r.status = ?) AND r.customer_id > ? ORDER BY r.customer_id LIMIT ?",
                     "issii", id, status, status, after, (int64_t)limit + 1);
    static const char *const names[] = {
        "customer_id", "status",     "reason",  "at",        "message_id", "delivery", "to",
        "attempts",    "last_error", "sent_at", "opened_at", "clicked_at", NULL};
    if (rc)
        return rc;
    /* keyset ascending: rowj_page reports the last id as the cursor */
    return rowj_page(c, s, names, "isstisiisttt", limit, out);
}

/* ------------------------------------------------------------- mail, phone */

static void csv_field(char **buf, size_t *len, size_t *cap, const char *v, int last)
{
    size_t need = *len + 2 * (v ? strlen(v) : 0) + 8;
    if (need > *cap) {
        size_t nc = *cap ? *cap : 4096;
        while (nc < need)
            nc *= 2;
        char *nb = realloc(*buf, nc);
        if (!nb)
            return;
        *buf = nb;
        *cap = nc;
    }
    char *p = *buf + *len;
    *p++ = '"';
    for (const char *q = v ? v : ""; *q; q++) {
        if (*q == '"')
            *p++ = '"';
        *p++ = *q;
    }
    *p++ = '"';
    if (last) {
        *p++ = '\r';
        *p++ = '\n';
    } else {
        *p++ = ',';
    }
    *len = (size_t)(p - *buf);
}

int campaign_export(struct ctx *c, int64_t id, const char *kind, char **csv, size_t *len)
{
    if (!kind || (strcmp(kind, "labels") && strcmp(kind, "letters")))
        return fail(c, ERR_INVALID, "kind", "must be labels or letters");
    struct plan p;
    int rc = plan_init(c, id, &p);
    if (!rc && strcmp(p.channel, "mail"))
        rc = fail(c, ERR_INVALID, "channel", "only postal mail campaigns are exported");
    if (!rc && !jstr(p.cam, "launched_at"))
        rc = fail(c, ERR_CONFLICT, "status", "launch the campaign first");
    char *buf = NULL;
    size_t bl = 0, cap = 0;
    int letters = kind && !strcmp(kind, "letters");
    if (!rc) {
        static const char *const lh[] = {"customer_id", "name", "line1",  "line2",
                                         "postal_code", "city", "country"};
        for (int i = 0; i < 7; i++)
            csv_field(&buf, &bl, &cap, lh[i], !letters && i == 6);
        if (letters)
            csv_field(&buf, &bl, &cap, "letter", 1);
    }
    struct stmt *ls = NULL;
    if (!rc)
        rc = store_query(c->st, &ls, &c->err,
                         "SELECT customer_id FROM campaign_recipients WHERE campaign_id = ? AND "
                         "status = 'queued' ORDER BY customer_id",
                         "i", id);
    int step = 0;
    while (!rc && (step = stmt_step(ls, &c->err)) == 1) {
        struct recipient r;
        struct stmt *s = NULL;
        int64_t cid = stmt_int(ls, 0);
        rc = decide(c, &p, cid, &s, &r);
        if (rc == ERR_NOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc)
            break;
        char idb[24], nm[300];
        snprintf(idb, sizeof(idb), "%lld", (long long)cid);
        snprintf(nm, sizeof(nm), "%s", r.name ? r.name : "");
        if (!r.name)
            snprintf(nm, sizeof(nm), "%s%s%s", r.first_name ? r.first_name : "",
                     r.first_name ? " " : "", r.last_name ? r.last_name : "");
        const char *vals[] = {idb, nm, r.line1, r.line2, r.postal_code, r.city, r.country};
        for (int i = 0; i < 7; i++)
            csv_field(&buf, &bl, &cap, vals[i], !letters && i == 6);
        if (letters) {
            struct rendered m;
            rc = render_for(c, &p, &r, NULL, 0, &m);
            if (!rc)
                csv_field(&buf, &bl, &cap, m.body, 1);
            if (!rc)
                rendered_free(&m);
        }
        stmt_done(s);
    }
    stmt_done(ls);
    if (!rc && step < 0)
        rc = step;
    plan_release(&p);
    if (rc) {
        free(buf);
        return rc;
    }
    *csv = buf;
    *len = bl;
    return 0;
}

int campaign_call_list(struct ctx *c, int64_t id, json_t **out)
{
    json_t *cam = NULL;
    int rc = campaign_get(c, id, &cam);
    if (!rc && strcmp(jstr(cam, "channel"), "phone"))
        rc = fail(c, ERR_INVALID, "channel", "only phone campaigns have a call list");
    json_decref(cam);
    if (rc)
        return rc;
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT r.customer_id, COALESCE(c.name, TRIM(COALESCE(c.first_name, '') || ' "
                     "' || COALESCE(c.last_name, ''))), c.phone, r.message_id FROM "
                     "campaign_recipients r JOIN customers c ON c.id = r.customer_id WHERE "
                     "r.campaign_id = ? AND r.status = 'queued' ORDER BY r.customer_id",
                     "i", id);
    static const char *const names[] = {"customer_id", "name", "phone", "task_id", NULL};
    json_t *items = NULL;
    if (!rc)
        rc = rowj_all(c, s, names, "issi", &items);
    if (!rc)
        *out = json_pack("{s:o}", "items", items);
    return rc;
}

/* ---------------------------------------------------------- link actions */

int link_unsubscribe(struct ctx *c, const char *token, json_t **out)
{
    int64_t cid = 0, cust = 0;
    int rc = link_verify(c, token, 'u', NULL, &cid, &cust);
    if (rc)
        return rc;
    json_t *cam = NULL;
    rc = campaign_get(c, cid, &cam);
    if (rc) {
        err_set(&c->err, ERR_FORBIDDEN, "token", "this link is not valid");
        return ERR_FORBIDDEN;
    }
    const char *ch = jstr(cam, "channel"), *purpose = jstr(cam, "purpose");
    rc = store_begin(c->st, &c->err);
    if (!rc)
        rc = link_use_once(c, token);
    json_t *in = json_pack("{s:s,s:s,s:b,s:s,s:s}", "channel", ch, "purpose", purpose, "granted", 0,
                           "source", "unsubscribe link", "proof", token);
    json_t *rec = NULL;
    /* as the customer, not the user who happens to be signed in */
    struct actor saved = c->actor;
    c->actor.user_id = 0;
    snprintf(c->actor.email, sizeof(c->actor.email), "customer (unsubscribe link)");
    if (!rc)
        rc = consent_record(c, cust, in, &rec);
    c->actor = saved;
    int64_t nl = jint(cam, "newsletter_id", 0);
    if (!rc && nl)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE newsletter_subscriptions SET status = 'unsubscribed', "
                       "unsubscribed_at = ? WHERE newsletter_id = ? AND customer_id = ?",
                       "iii", time_now(), nl, cust);
    json_t *d = json_pack("{s:s,s:s}", "channel", ch, "purpose", purpose);
    if (!rc)
        rc = event_emit(c, "campaign.unsubscribed", cust, "campaign", cid, d, NULL);
    json_decref(d);
    json_decref(in);
    json_decref(rec);
    if (rc) {
        store_rollback(c->st);
        json_decref(cam);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (!rc)
        *out =
            json_pack("{s:s,s:s,s:s}", "status", "unsubscribed", "channel", ch, "purpose", purpose);
    json_decref(cam);
    return rc;
}

int link_open(struct ctx *c, const char *token)
{
    int64_t cid = 0, cust = 0;
    int rc = link_verify(c, token, 'o', NULL, &cid, &cust);
    if (rc)
        return rc;
    char purpose[48] = "marketing";
    struct stmt *s = NULL;
    if (store_query(c->st, &s, NULL, "SELECT purpose FROM campaigns WHERE id = ?", "i", cid) == 0) {
        if (stmt_step(s, NULL) == 1)
            snprintf(purpose, sizeof(purpose), "%s", stmt_text(s, 0));
        stmt_done(s);
    }
    /* only where the customer allows tracking (consent may have changed) */
    if (!consent_granted(c, cust, "tracking", purpose))
        return 0;
    return store_run(c->st, NULL, &c->err,
                     "UPDATE campaign_recipients SET opened_at = COALESCE(opened_at, ?) WHERE "
                     "campaign_id = ? AND customer_id = ?",
                     "iii", time_now(), cid, cust);
}

int link_click(struct ctx *c, const char *token, const char *url, char **dest)
{
    if (!url || !*url)
        return fail(c, ERR_BADREQ, "u", "the target is missing");
    int64_t cid = 0, cust = 0;
    int rc = link_verify(c, token, 'c', url, &cid, &cust);
    if (rc)
        return rc;
    rc = store_begin(c->st, &c->err);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO campaign_clicks(campaign_id, customer_id, url, at) VALUES (?, "
                       "?, ?, ?)",
                       "iisi", cid, cust, url, time_now());
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE campaign_recipients SET clicked_at = COALESCE(clicked_at, ?), "
                       "opened_at = COALESCE(opened_at, ?) WHERE campaign_id = ? AND customer_id "
                       "= ?",
                       "iiii", time_now(), time_now(), cid, cust);
    json_t *d = json_pack("{s:s}", "url", url);
    if (!rc)
        rc = event_emit(c, "campaign.clicked", cust, "campaign", cid, d, NULL);
    json_decref(d);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (!rc)
        *dest = strdup(url);
    return rc;
}

/* ------------------------------------------------ suppressions and sources */

const struct field suppression_fields[] = {
    {"channel", FT_ENUM, FF_REQUIRED, 0, "email|sms|phone", NULL, NULL},
    {"address", FT_STRING, FF_REQUIRED, 254, NULL, NULL, "e-mail address or E.164 phone"},
    {"reason", FT_STRING, 0, 200, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int suppression_add(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(suppression_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    char addr[256];
    snprintf(addr, sizeof(addr), "%s", jstr(in, "address"));
    for (char *p = addr; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    rc = store_begin(c->st, &c->err);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO suppressions(channel, address, reason, at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT(channel, address) DO UPDATE SET reason = excluded.reason, at = "
                       "excluded.at",
                       "sssi", jstr(in, "channel"), addr,
                       jstr(in, "reason") ? jstr(in, "reason") : "manual", time_now());
    if (!rc)
        rc = audit_record(c, "create", "suppression", 0, NULL, in);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (!rc)
        *out = json_pack("{s:s,s:s,s:s}", "channel", jstr(in, "channel"), "address", addr, "reason",
                         jstr(in, "reason") ? jstr(in, "reason") : "manual");
    return rc;
}

int suppression_list(struct ctx *c, const char *channel, int limit, json_t **out)
{
    if (limit <= 0 || limit > 500)
        limit = 500;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT channel, address, reason, at FROM suppressions WHERE ? IS NULL OR "
                         "channel = ? ORDER BY at DESC LIMIT ?",
                         "ssi", channel, channel, (int64_t)limit);
    static const char *const names[] = {"channel", "address", "reason", "at", NULL};
    json_t *items = NULL;
    if (!rc)
        rc = rowj_all(c, s, names, "ssst", &items);
    if (!rc)
        *out = json_pack("{s:o}", "items", items);
    return rc;
}

const struct field source_terms_fields[] = {
    {"usable_from", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, "start of the right to use"},
    {"usable_until", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, "end of the right to use"},
    {"allowed_purposes", FT_STRINGS, FF_NULLABLE, 20, NULL, NULL,
     "purposes the terms allow (null: any)"},
    {"terms", FT_TEXT, FF_NULLABLE, 2000, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

#define SOURCE_COLS "id, kind, name, terms, usable_from, expires_at, allowed_purposes, created_at"
static const char *const source_names[] = {
    "id",         "kind", "name", "terms", "usable_from", "usable_until", "allowed_purposes",
    "created_at", NULL};

int source_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc =
        store_query(c->st, &s, &c->err,
                    "SELECT " SOURCE_COLS ", (SELECT COUNT(*) FROM customers WHERE source_id = "
                    "sources.id) FROM sources ORDER BY id LIMIT 1000",
                    "");
    static const char *const names[] = {"id",
                                        "kind",
                                        "name",
                                        "terms",
                                        "usable_from",
                                        "usable_until",
                                        "allowed_purposes",
                                        "created_at",
                                        "customers",
                                        NULL};
    json_t *items = NULL;
    if (!rc)
        rc = rowj_all(c, s, names, "isssttsti", &items);
    if (!rc)
        *out = json_pack("{s:o}", "items", items);
    return rc;
}

int source_set_terms(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = fields_check(source_terms_fields, in, FIELDS_UPDATE, &c->err);
    if (rc)
        return rc;
    int64_t from = INT64_MIN, until = INT64_MIN;
    const char *f = jstr(in, "usable_from"), *u = jstr(in, "usable_until");
    if (f)
        time_parse(f, &from);
    if (u)
        time_parse(u, &until);
    if (f && u && until <= from)
        return fail(c, ERR_INVALID, "usable_until", "ends before it starts");
    char purposes[1024] = "";
    json_t *ap = json_object_get(in, "allowed_purposes");
    size_t i;
    json_t *v;
    json_array_foreach(ap, i, v)
    {
        size_t l = strlen(purposes);
        snprintf(purposes + l, sizeof(purposes) - l, "%s%s", l ? "|" : "", json_string_value(v));
    }
    json_t *before = NULL;
    rc = store_begin(c->st, &c->err);
    if (!rc)
        rc = rowj_one(c, "SELECT " SOURCE_COLS " FROM sources WHERE id = ?", id, source_names,
                      "isssttst", "source", &before);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE sources SET usable_from = CASE WHEN ?1 THEN ?2 ELSE usable_from "
                       "END, expires_at = CASE WHEN ?3 THEN ?4 ELSE expires_at END, "
                       "allowed_purposes = CASE WHEN ?5 THEN ?6 ELSE allowed_purposes END, terms "
                       "= CASE WHEN ?7 THEN ?8 ELSE terms END WHERE id = ?9",
                       "iIiIisisi", (int64_t)rowj_has(in, "usable_from"), from,
                       (int64_t)rowj_has(in, "usable_until"), until,
                       (int64_t)rowj_has(in, "allowed_purposes"),
                       ap && !json_is_null(ap) ? purposes : NULL, (int64_t)rowj_has(in, "terms"),
                       jstr(in, "terms"), id);
    if (!rc)
        rc = rowj_one(c, "SELECT " SOURCE_COLS " FROM sources WHERE id = ?", id, source_names,
                      "isssttst", "source", out);
    if (!rc)
        rc = audit_record(c, "update", "source", id, before, *out);
    json_decref(before);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}
