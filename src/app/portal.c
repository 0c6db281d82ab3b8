/*
 * The customer portal (see portal.h): accounts, links and sessions of
 * customers, and the customer-scoped calls into the other services.
 */
#include "app/portal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/activity.h"
#include "app/audit.h"
#include "app/customers.h"
#include "app/events.h"
#include "app/loyalty.h"
#include "app/surveys.h"
#include "app/tickets.h"
#include "app/tracking.h"
#include "channels/smtp.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeu.h"
#include "util/validate.h"

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* hex SHA-256: what the database keeps of a secret token */
static void secret_hash(const char *secret, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)secret, strlen(secret));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

static void random_token(char out[65])
{
    unsigned char b[32];
    randombytes_buf(b, sizeof(b));
    sodium_bin2hex(out, 65, b, sizeof(b));
}

static int session_open(struct ctx *c, int64_t cid, char session[65], char csrf[65])
{
    char th[65];
    int64_t now = time_now();
    random_token(session);
    random_token(csrf);
    secret_hash(session, th);
    int rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO portal_sessions(token_hash, customer_id, csrf_token, "
                       "created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                       "sisii", th, cid, csrf, now, now + PORTAL_SESSION_TTL);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE portal_accounts SET last_login_at = ?, failures = 0, locked_until "
                       "= NULL WHERE customer_id = ?",
                       "ii", now, cid);
    return rc;
}

/* ------------------------------------------------------------ signing in */

int portal_link_request(struct ctx *c, const char *email, const char *base_url)
{
    char em[255];
    if (!email || email_normalize(email, em))
        return fail(c, ERR_INVALID, "email", "not a valid e-mail address");
    if (sodium_init() < 0)
        return fail(c, ERR_INTERNAL, "", "libsodium failed to start");
    int64_t cid = 0;
    int rc = customer_find(c, NULL, em, &cid);
    if (rc)
        return rc;
    if (!cid) { /* the same answer as for a customer: no enumeration */
        log_info("portal: sign-in link asked for an unknown address");
        return 0;
    }
    /* no mail bombing: at most PORTAL_LINKS_PER_HOUR links an hour, then
     * the same silent answer */
    int64_t recent = 0;
    rc = store_int(c->st, &recent, &c->err,
                   "SELECT COUNT(*) FROM portal_links WHERE customer_id = ? AND created_at > ?",
                   "ii", cid, time_now() - 3600);
    if (rc)
        return rc;
    if (recent >= PORTAL_LINKS_PER_HOUR) {
        log_warn("portal: sign-in links for customer %lld over the hourly limit", (long long)cid);
        return 0;
    }
    const char *url = getenv("RELATIO_SMTP_URL");
    if (!url || !*url)
        return fail(c, ERR_UNAVAILABLE, "", "e-mail is not configured (RELATIO_SMTP_URL)");
    char token[65], th[65];
    random_token(token);
    secret_hash(token, th);
    int64_t now = time_now();
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = store_run(c->st, NULL, &c->err,
                   "INSERT INTO portal_accounts(customer_id, email, created_at) VALUES (?, ?, ?) "
                   "ON CONFLICT(customer_id) DO UPDATE SET email = excluded.email",
                   "isi", cid, em, now);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO portal_links(token_hash, customer_id, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?)",
                       "siii", th, cid, now, now + PORTAL_LINK_TTL);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    /* the link is stored before it is sent, and kept only if it was sent */
    char link[1200], text[3000];
    snprintf(link, sizeof(link), "%s#/portal/link/%s", base_url ? base_url : "", token);
    snprintf(text, sizeof(text),
             "Bonjour,\n\nPour ouvrir votre espace client, suivez ce lien (valable 15 minutes, une "
             "seule fois) :\n%s\n\nHello,\n\nTo open your customer space, follow this link (valid "
             "for 15 minutes, once):\n%s\n\nSi vous n'avez rien demandé, ignorez ce message. / If "
             "you did not ask, ignore this message.\n",
             link, link);
    const char *from = getenv("RELATIO_MAIL_FROM");
    struct smtp_config cfg = {url, getenv("RELATIO_SMTP_USER"), getenv("RELATIO_SMTP_PASSWORD"),
                              10000};
    struct mail_msg m = {0};
    m.from = from && *from ? from : "relatio <noreply@relatio.invalid>";
    m.to = em;
    m.subject = "Votre lien de connexion / Your sign-in link";
    m.text = text;
    struct err se = {0};
    rc = smtp_send(&cfg, &m, &se);
    if (rc) {
        store_rollback(c->st);
        log_warn("portal: sign-in link not sent: %s", se.msg);
        return fail(c, ERR_UNAVAILABLE, "", "the e-mail could not be sent; try again later");
    }
    return store_commit(c->st, &c->err);
}

int portal_link_redeem(struct ctx *c, const char *token, char session[65], char csrf[65],
                       int64_t *customer_id)
{
    if (!token || strlen(token) != 64)
        return fail(c, ERR_UNAUTH, "token", "this link is not valid");
    if (sodium_init() < 0)
        return fail(c, ERR_INTERNAL, "", "libsodium failed to start");
    char th[65];
    secret_hash(token, th);
    int64_t now = time_now(), changes = 0;
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = store_int(c->st, customer_id, &c->err,
                   "SELECT customer_id FROM portal_links WHERE token_hash = ? AND used_at IS NULL "
                   "AND expires_at > ?",
                   "si", th, now);
    if (rc == ERR_NOTFOUND)
        rc = fail(c, ERR_UNAUTH, "token", "this link is not valid, used or expired: ask another");
    if (!rc)
        rc = store_run(c->st, &changes, &c->err,
                       "UPDATE portal_links SET used_at = ? WHERE token_hash = ? AND used_at IS "
                       "NULL",
                       "is", now, th);
    if (!rc && changes != 1)
        rc = fail(c, ERR_UNAUTH, "token", "this link was used already");
    if (!rc)
        rc = customer_exists(c, *customer_id);
    if (!rc)
        rc = session_open(c, *customer_id, session, csrf);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

static void pwhash_limits(unsigned long long *ops, size_t *mem)
{
    const char *v = getenv("RELATIO_PWHASH"); /* "fast": the test-only cost */
    int fast = v && strcmp(v, "fast") == 0;
    *ops = fast ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    *mem = fast ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

int portal_login(struct ctx *c, const char *email, const char *password, char session[65],
                 char csrf[65], int64_t *customer_id)
{
    char em[255];
    if (!email || email_normalize(email, em))
        return fail(c, ERR_INVALID, "email", "not a valid e-mail address");
    if (!password || !*password || strlen(password) > 1024)
        return fail(c, ERR_INVALID, "password", "required, at most 1024 characters");
    if (sodium_init() < 0)
        return fail(c, ERR_INTERNAL, "", "libsodium failed to start");
    int64_t now = time_now(), cid = 0, locked = 0;
    char hash[crypto_pwhash_STRBYTES] = "";
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id, password_hash, COALESCE(locked_until, 0) FROM "
                         "portal_accounts WHERE email = ?",
                         "s", em);
    if (rc)
        return rc;
    if ((rc = stmt_step(s, &c->err)) == 1) {
        cid = stmt_int(s, 0);
        snprintf(hash, sizeof(hash), "%s", stmt_isnull(s, 1) ? "" : stmt_text(s, 1));
        locked = stmt_int(s, 2);
    }
    stmt_done(s);
    if (rc < 0)
        return rc;
    if (locked > now)
        return fail(c, ERR_THROTTLED, "email",
                    "too many wrong passwords: try again later or ask for a sign-in link");
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    if (!cid || !hash[0] || crypto_pwhash_str_verify(hash, password, strlen(password)) != 0) {
        if (cid)
            rc = store_run(c->st, NULL, &c->err,
                           "UPDATE portal_accounts SET failures = failures + 1, locked_until = "
                           "CASE WHEN failures + 1 >= ? THEN ? ELSE locked_until END WHERE "
                           "customer_id = ?",
                           "iii", (int64_t)PORTAL_MAX_FAILURES, now + PORTAL_LOCK_SECONDS, cid);
        if (!rc)
            rc = store_commit(c->st, &c->err);
        else
            store_rollback(c->st);
        return rc ? rc : fail(c, ERR_UNAUTH, "password", "wrong e-mail or password");
    }
    rc = session_open(c, cid, session, csrf);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    *customer_id = cid;
    return store_commit(c->st, &c->err);
}

int portal_session(struct ctx *c, const char *session, int64_t *customer_id, char csrf[65])
{
    if (!session || strlen(session) != 64)
        return fail(c, ERR_UNAUTH, "", "sign in to your customer space");
    char th[65];
    secret_hash(session, th);
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id, csrf_token FROM portal_sessions WHERE token_hash = ? "
                         "AND expires_at > ?",
                         "si", th, time_now());
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1) {
        *customer_id = stmt_int(s, 0);
        snprintf(csrf, 65, "%s", stmt_text(s, 1));
    }
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_UNAUTH, "", "your session ended: sign in again");
    return rc < 0 ? rc : 0;
}

int portal_logout(struct ctx *c, const char *session)
{
    char th[65];
    secret_hash(session ? session : "", th);
    return store_run(c->st, NULL, &c->err, "DELETE FROM portal_sessions WHERE token_hash = ?", "s",
                     th);
}

int portal_set_password(struct ctx *c, int64_t customer_id, const char *password)
{
    size_t len = password ? strlen(password) : 0;
    if (len < 8 || len > 1024)
        return fail(c, ERR_INVALID, "password", "8 to 1024 characters");
    unsigned long long ops;
    size_t mem;
    pwhash_limits(&ops, &mem);
    char hash[crypto_pwhash_STRBYTES];
    if (sodium_init() < 0 || crypto_pwhash_str(hash, password, len, ops, mem) != 0)
        return fail(c, ERR_INTERNAL, "", "password hashing failed (out of memory?)");
    int64_t changes = 0;
    int rc = store_run(c->st, &changes, &c->err,
                       "UPDATE portal_accounts SET password_hash = ?, failures = 0, locked_until = "
                       "NULL WHERE customer_id = ?",
                       "si", hash, customer_id);
    if (!rc && changes != 1)
        return fail(c, ERR_NOTFOUND, "", "no portal account");
    return rc;
}

/* ---------------------------------------------------------------- profile */

const struct field portal_profile_fields[] = {
    {"first_name", FT_STRING, FF_NULLABLE, 100, NULL, NULL, NULL},
    {"last_name", FT_STRING, FF_NULLABLE, 100, NULL, NULL, NULL},
    {"phone", FT_PHONE, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"language", FT_ENUM, FF_NULLABLE, 0, "fr|en|de|es|it|nl|pt", NULL, NULL},
    {"preferred_channel", FT_ENUM, FF_NULLABLE, 0, "email|sms|phone|mail|store|none", NULL,
     "how the customer wants to be contacted"},
    {"quiet_hours_start", FT_STRING, FF_NULLABLE, 5, NULL, NULL, "HH:MM"},
    {"quiet_hours_end", FT_STRING, FF_NULLABLE, 5, NULL, NULL, "HH:MM"},
    {"interests", FT_STRINGS, 0, 50, NULL, NULL, "declared centres of interest"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int portal_me(struct ctx *c, int64_t customer_id, json_t **out)
{
    json_t *full = NULL;
    int rc = customer_profile(c, customer_id, &full);
    if (rc)
        return rc;
    static const char *const keys[] = {"id",
                                       "kind",
                                       "first_name",
                                       "last_name",
                                       "name",
                                       "email",
                                       "phone",
                                       "language",
                                       "preferred_channel",
                                       "quiet_hours_start",
                                       "quiet_hours_end",
                                       "interests",
                                       "callback_requested_at",
                                       "addresses",
                                       NULL};
    json_t *o = json_object();
    for (int i = 0; keys[i]; i++) {
        json_t *v = json_object_get(full, keys[i]);
        if (v)
            json_object_set(o, keys[i], v);
    }
    json_decref(full);
    *out = o;
    return 0;
}

int portal_update_me(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out)
{
    int rc = fields_check(portal_profile_fields, in, FIELDS_UPDATE, &c->err);
    if (rc)
        return rc;
    json_t *full = NULL;
    rc = customer_update(c, customer_id, in, 0, &full);
    json_decref(full);
    return rc ? rc : portal_me(c, customer_id, out);
}

const struct field portal_callback_fields[] = {
    {"at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, "when to call (default: as soon as possible)"},
    {"note", FT_STRING, FF_NULLABLE, 500, NULL, NULL, "what it is about"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int portal_callback(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out)
{
    int rc = fields_check(portal_callback_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    char ts[TIME_BUF];
    const char *at = jstr(in, "at");
    json_t *upd = json_pack("{s:s}", "callback_requested_at",
                            at ? at : time_format(time_now(), ts, sizeof(ts)));
    json_t *full = NULL, *ix = NULL;
    rc = customer_update(c, customer_id, upd, 0, &full);
    json_decref(upd);
    json_decref(full);
    if (rc)
        return rc;
    json_t *inter = json_pack("{s:I,s:s,s:s,s:s,s:s}", "customer_id", (json_int_t)customer_id,
                              "channel", "web", "direction", "inbound", "kind", "request",
                              "subject", "Call-back request (customer space)");
    if (jstr(in, "note"))
        json_object_set_new(inter, "body", json_string(jstr(in, "note")));
    rc = interaction_create(c, inter, &ix);
    json_decref(inter);
    json_decref(ix);
    if (rc)
        return rc;
    /* callback.requested {note, at}: the rules engine may assign a call task */
    json_t *d = json_pack("{s:s?,s:s?}", "note", jstr(in, "note"), "at", at);
    rc = store_begin(c->st, &c->err);
    if (!rc)
        rc = event_emit(c, "callback.requested", customer_id, "customer", customer_id, d, NULL);
    json_decref(d);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    return rc ? rc : portal_me(c, customer_id, out);
}

const struct field portal_consent_fields[] = {
    {"channel", FT_ENUM, FF_REQUIRED, 0, "email|sms|phone|mail|tracking|profiling", NULL, NULL},
    {"purpose", FT_STRING, FF_REQUIRED, 40, NULL, NULL, "marketing, newsletter, analytics…"},
    {"granted", FT_BOOL, FF_REQUIRED, 0, NULL, NULL, "true grants, false withdraws"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int portal_consent(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out)
{
    int rc = fields_check(portal_consent_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    json_t *rec = json_deep_copy(in);
    json_object_set_new(rec, "legal_basis", json_string("consent"));
    json_object_set_new(rec, "source", json_string("customer space"));
    rc = consent_record(c, customer_id, rec, out);
    json_decref(rec);
    return rc;
}

/* --------------------------------------------------------- owned records */

static int owned(struct ctx *c, json_t *o, int64_t customer_id, const char *what, int64_t id)
{
    json_t *cid = json_object_get(o, "customer_id");
    if (json_is_integer(cid) && json_integer_value(cid) == customer_id)
        return 0;
    return fail(c, ERR_NOTFOUND, "id", "no %s %lld", what, (long long)id);
}

int portal_order(struct ctx *c, int64_t customer_id, int64_t order_id, json_t **out)
{
    json_t *o = NULL;
    int rc = order_get(c, order_id, &o);
    if (!rc)
        rc = owned(c, o, customer_id, "order", order_id);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

int portal_ticket(struct ctx *c, int64_t customer_id, int64_t ticket_id, json_t **out)
{
    json_t *t = NULL;
    int rc = ticket_get(c, ticket_id, 1, &t);
    if (!rc)
        rc = owned(c, t, customer_id, "ticket", ticket_id);
    if (rc) {
        json_decref(t);
        return rc;
    }
    /* the customer sees the conversation, not the staff's internal notes */
    json_t *msgs = json_object_get(t, "messages"), *pub = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        if (!json_is_true(json_object_get(m, "internal")))
            json_array_append(pub, m);
    }
    json_object_set_new(t, "messages", pub);
    static const char *const staff_only[] = {"assignee_id", "team_id", "paused", "paused_at", NULL};
    for (int k = 0; staff_only[k]; k++)
        json_object_del(t, staff_only[k]);
    *out = t;
    return 0;
}

const struct field portal_ticket_fields[] = {
    {"kind", FT_ENUM, 0, 0, "complaint|assistance|support|information", NULL, NULL},
    {"subject", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"body", FT_TEXT, FF_REQUIRED, 20000, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int portal_ticket_open(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out)
{
    int rc = fields_check(portal_ticket_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    json_t *t = json_pack("{s:I,s:s,s:s,s:s,s:s}", "customer_id", (json_int_t)customer_id, "kind",
                          jstr(in, "kind") ? jstr(in, "kind") : "assistance", "subject",
                          jstr(in, "subject"), "body", jstr(in, "body"), "channel", "portal");
    json_t *created = NULL;
    rc = ticket_create(c, t, &created);
    json_decref(t);
    if (rc)
        return rc;
    int64_t id = json_integer_value(json_object_get(created, "id"));
    json_decref(created);
    return portal_ticket(c, customer_id, id, out);
}

const struct field portal_reply_fields[] = {
    {"body", FT_TEXT, FF_REQUIRED, 20000, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int portal_ticket_reply(struct ctx *c, int64_t customer_id, int64_t ticket_id, const json_t *in,
                        json_t **out)
{
    int rc = fields_check(portal_reply_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    json_t *t = NULL;
    rc = portal_ticket(c, customer_id, ticket_id, &t);
    if (rc)
        return rc;
    int closed = !strcmp(jstr(t, "status") ? jstr(t, "status") : "", "closed");
    json_decref(t);
    if (closed)
        return fail(c, ERR_CONFLICT, "status", "this ticket is closed: open a new one");
    json_t *me = NULL;
    rc = customer_profile(c, customer_id, &me);
    if (rc)
        return rc;
    /* the customer's message enters the conversation as an inbound mail on
     * the ticket would: tagged with its number, reopening it if needed */
    char subject[64];
    snprintf(subject, sizeof(subject), "[#%lld] portal reply", (long long)ticket_id);
    struct inbound_mail m = {0};
    m.subject = subject;
    m.from_addr = jstr(me, "email") ? jstr(me, "email") : "customer@portal.invalid";
    m.body = jstr(in, "body");
    int64_t tid = 0;
    int created = 0;
    rc = ticket_from_mail(c, &m, &tid, &created);
    json_decref(me);
    if (rc)
        return rc;
    if (tid != ticket_id || created)
        return fail(c, ERR_INTERNAL, "", "the reply did not reach ticket %lld",
                    (long long)ticket_id);
    return portal_ticket(c, customer_id, ticket_id, out);
}

/* ---------------------------------------------------------- data rights */

/* Adds key: the result of a service call, or {"error": …} when it has none
 * for this customer (not a member, …). */
static void export_part(struct ctx *c, json_t *doc, const char *key, int rc, json_t *v)
{
    if (rc == 0) {
        json_object_set_new(doc, key, v);
    } else {
        json_object_set_new(doc, key, json_null());
        err_clear(&c->err);
    }
}

int portal_export(struct ctx *c, int64_t customer_id, json_t **out)
{
    json_t *doc = json_object(), *v = NULL;
    char ts[TIME_BUF];
    json_object_set_new(doc, "exported_at", json_string(time_format(time_now(), ts, sizeof(ts))));
    int rc = customer_profile(c, customer_id, &v);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    json_object_set_new(doc, "profile", v);
    v = NULL;
    rc = consent_history(c, customer_id, &v);
    export_part(c, doc, "consents", rc, v);
    v = NULL;
    rc = order_list(c, customer_id, 0, 500, &v);
    export_part(c, doc, "orders", rc, v);
    v = NULL;
    rc = interaction_list(c, customer_id, NULL, 0, 500, &v);
    export_part(c, doc, "interactions", rc, v);
    v = NULL;
    rc = track_customer_events(c, customer_id, 0, 500, &v);
    export_part(c, doc, "web_events", rc, v);
    v = NULL;
    rc = loyalty_balance(c, customer_id, &v);
    export_part(c, doc, "loyalty", rc, v);
    v = NULL;
    rc = loyalty_ledger(c, customer_id, 0, 500, &v);
    export_part(c, doc, "loyalty_ledger", rc, v);
    v = NULL;
    struct ticket_filter f = {0};
    f.customer_id = customer_id;
    f.limit = 500;
    rc = ticket_list(c, &f, &v);
    export_part(c, doc, "tickets", rc, v);
    v = NULL;
    rc = survey_customer(c, customer_id, &v);
    export_part(c, doc, "surveys", rc, v);
    *out = doc;
    return 0;
}

const struct field portal_erasure_fields[] = {
    {"note", FT_STRING, FF_NULLABLE, 1000, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int portal_erasure_request(struct ctx *c, int64_t customer_id, const json_t *in, json_t **out)
{
    int rc = fields_check(portal_erasure_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int64_t open = 0, id = 0, now = time_now();
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = store_int(c->st, &open, &c->err,
                   "SELECT COUNT(*) FROM portal_requests WHERE customer_id = ? AND kind = "
                   "'erasure' AND status = 'open'",
                   "i", customer_id);
    if (!rc && open)
        rc = fail(c, ERR_EXISTS, "", "an erasure request is already open");
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO portal_requests(customer_id, kind, at, note) VALUES (?, "
                       "'erasure', ?, ?) RETURNING id",
                       "iis", customer_id, now, jstr(in, "note"));
    json_t *d = json_pack("{s:I,s:s?}", "request_id", (json_int_t)id, "note", jstr(in, "note"));
    if (!rc)
        rc = audit_record(c, "erasure_request", "customer", customer_id, NULL, d);
    if (!rc)
        rc = event_emit(c, "gdpr.erasure_requested", customer_id, "portal_request", id, d, NULL);
    json_decref(d);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (rc)
        return rc;
    char ts[TIME_BUF];
    *out = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "kind", "erasure", "status", "open",
                     "at", time_format(now, ts, sizeof(ts)));
    return 0;
}
