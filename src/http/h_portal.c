/*
 * Routes of the customer portal under /portal/v1/: its own realm (the
 * relatio_portal cookie, its own CSRF token), apart from staff sessions.
 * Every handler acts for the signed-in customer only; ids of other
 * customers' records answer 404.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/activity.h"
#include "app/kb.h"
#include "app/loyalty.h"
#include "app/portal.h"
#include "app/surveys.h"
#include "app/tickets.h"
#include "app/tracking.h"
#include "http/handlers.h"

static const struct field link_fields[] = {
    {"email", FT_EMAIL, FF_REQUIRED, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
static const struct field redeem_fields[] = {
    {"token", FT_STRING, FF_REQUIRED, 100, NULL, NULL, "the token of the e-mailed link"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
static const struct field password_fields[] = {
    {"password", FT_STRING, FF_REQUIRED, 1024, NULL, NULL, "at least 8 characters"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The relatio_portal cookie's value into out ("" when absent). */
static void portal_cookie(struct req *r, char out[65])
{
    out[0] = 0;
    const char *h = req_header(r, "Cookie");
    for (const char *p = h; p && (p = strstr(p, "relatio_portal=")); p++) {
        if (p != h && p[-1] != ' ' && p[-1] != ';')
            continue;
        p += strlen("relatio_portal=");
        size_t n = strcspn(p, ";");
        if (n == 64)
            snprintf(out, 65, "%.64s", p);
        return;
    }
}

/* Signs the call in as the portal's customer: 0 with *cid, or ERR_UNAUTH;
 * unsafe methods need the session's CSRF token. */
static int customer_auth(struct req *r, int64_t *cid, char csrf[65])
{
    char session[65];
    portal_cookie(r, session);
    int rc = portal_session(&r->c, session, cid, csrf);
    if (rc)
        return rc;
    if (strcmp(r->method, "GET") != 0) {
        const char *sent = req_header(r, "X-CSRF-Token");
        if (!sent || strlen(sent) != 64 || sodium_memcmp(sent, csrf, 64) != 0)
            return err_set(&r->c.err, ERR_FORBIDDEN, "X-CSRF-Token", "missing or wrong CSRF token");
    }
    snprintf(r->session, sizeof(r->session), "%s", session);
    r->c.actor.user_id = 0;
    r->c.actor.role = ROLE_SYSTEM;
    snprintf(r->c.actor.email, sizeof(r->c.actor.email), "customer:%lld (portal)", (long long)*cid);
    return 0;
}

#define AUTH(r, cid)                                                                               \
    int64_t cid = 0;                                                                               \
    char csrf_[65];                                                                                \
    do {                                                                                           \
        int arc = customer_auth((r), &cid, csrf_);                                                 \
        if (arc)                                                                                   \
            return arc;                                                                            \
    } while (0)

static int signed_in(struct req *r, struct resp *w, int64_t cid, const char *session,
                     const char *csrf)
{
    const char *secure = getenv("RELATIO_COOKIE_SECURE");
    snprintf(w->cookie, sizeof(w->cookie),
             "relatio_portal=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", session,
             PORTAL_SESSION_TTL, secure && *secure == '1' ? "; Secure" : "");
    json_t *me = NULL;
    int rc = portal_me(&r->c, cid, &me);
    if (rc)
        return rc;
    return reply_json(w, 200, json_pack("{s:o,s:s}", "customer", me, "csrf_token", csrf));
}

/* ------------------------------------------------------------- signing in */

static int hp_link(struct req *r, struct resp *w)
{
    int rc = req_body(r, link_fields, 0);
    if (rc)
        return rc;
    const char *base = getenv("RELATIO_PUBLIC_URL");
    char guess[300];
    if (!base || !*base) { /* set RELATIO_PUBLIC_URL in production: the Host is the client's */
        const char *host = req_header(r, "Host");
        snprintf(guess, sizeof(guess), "http://%.200s/", host ? host : "127.0.0.1");
        base = guess;
    }
    rc = portal_link_request(&r->c, jstr(r->body, "email"), base);
    if (rc)
        return rc;
    return reply_json(
        w, 202,
        json_pack("{s:s}", "detail", "if this address is known, a sign-in link is on its way"));
}

static int hp_redeem(struct req *r, struct resp *w)
{
    int rc = req_body(r, redeem_fields, 0);
    if (rc)
        return rc;
    char session[65], csrf[65];
    int64_t cid = 0;
    rc = portal_link_redeem(&r->c, jstr(r->body, "token"), session, csrf, &cid);
    return rc ? rc : signed_in(r, w, cid, session, csrf);
}

static int hp_login(struct req *r, struct resp *w)
{
    int rc = req_body(r, login_fields, 0);
    if (rc)
        return rc;
    char session[65], csrf[65];
    int64_t cid = 0;
    rc =
        portal_login(&r->c, jstr(r->body, "email"), jstr(r->body, "password"), session, csrf, &cid);
    return rc ? rc : signed_in(r, w, cid, session, csrf);
}

static int hp_logout(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    int rc = portal_logout(&r->c, r->session);
    if (rc)
        return rc;
    snprintf(w->cookie, sizeof(w->cookie),
             "relatio_portal=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    w->status = 204;
    return 0;
}

/* ---------------------------------------------------------------- profile */

static int hp_me(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    json_t *me = NULL;
    int rc = portal_me(&r->c, cid, &me);
    return rc ? rc
              : reply_json(w, 200, json_pack("{s:o,s:s}", "customer", me, "csrf_token", csrf_));
}

static int hp_me_update(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object body is required");
    json_t *me = NULL;
    int rc = portal_update_me(&r->c, cid, r->body, &me);
    return rc ? rc : reply_json(w, 200, me);
}

static int hp_password(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    int rc = req_body(r, password_fields, 0);
    if (!rc)
        rc = portal_set_password(&r->c, cid, jstr(r->body, "password"));
    if (!rc)
        w->status = 204;
    return rc;
}

static int hp_callback(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    json_t *empty = json_object(), *me = NULL;
    int rc = portal_callback(&r->c, cid, r->body ? r->body : empty, &me);
    json_decref(empty);
    return rc ? rc : reply_json(w, 201, me);
}

static int hp_consents(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    json_t *out = NULL;
    int rc = consent_history(&r->c, cid, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int hp_consent_add(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object body is required");
    json_t *out = NULL;
    int rc = portal_consent(&r->c, cid, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

/* ----------------------------------------------------------------- records */

static int page(struct req *r, int64_t *limit, int64_t *cursor)
{
    int rc = req_query_int(r, "limit", 50, limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, cursor);
    if (!rc && (*limit < 1 || *limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    return rc;
}

static int hp_orders(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    int64_t limit, cursor;
    json_t *out = NULL;
    int rc = page(r, &limit, &cursor);
    if (!rc)
        rc = order_list(&r->c, cid, cursor, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int hp_order(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    json_t *out = NULL;
    int rc = portal_order(&r->c, cid, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int hp_loyalty(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    json_t *member = NULL, *ledger = NULL;
    int rc = loyalty_balance(&r->c, cid, &member);
    if (rc == ERR_NOTFOUND) /* not a member: an empty card, not an error */
        return reply_json(w, 200, json_pack("{s:n,s:[]}", "member", "ledger"));
    if (!rc)
        rc = loyalty_ledger(&r->c, cid, 0, 50, &ledger);
    if (rc) {
        json_decref(member);
        return rc;
    }
    json_t *out =
        json_pack("{s:o,s:O?}", "member", member, "ledger", json_object_get(ledger, "items"));
    json_decref(ledger);
    return reply_json(w, 200, out);
}

static int hp_tickets(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    struct ticket_filter f = {0};
    f.customer_id = cid;
    f.cursor = req_query(r, "cursor");
    f.limit = 50;
    json_t *out = NULL;
    int rc = ticket_list(&r->c, &f, &out);
    if (!rc) { /* who handles it is the service desk's business */
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(out, "items"), i, t)
        {
            json_object_del(t, "assignee_id");
            json_object_del(t, "team_id");
        }
    }
    return rc ? rc : reply_json(w, 200, out);
}

static int hp_ticket_open(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object body is required");
    json_t *out = NULL;
    int rc = portal_ticket_open(&r->c, cid, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int hp_ticket(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    json_t *out = NULL;
    int rc = portal_ticket(&r->c, cid, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int hp_ticket_reply(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object body is required");
    json_t *out = NULL;
    int rc = portal_ticket_reply(&r->c, cid, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int hp_surveys(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    json_t *out = NULL;
    int rc = survey_customer(&r->c, cid, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int hp_survey_answer(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object body is required");
    json_t *out = NULL;
    int rc = survey_answer(&r->c, r->id, cid, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int hp_kb(struct req *r, struct resp *w)
{
    const char *q = req_query(r, "q");
    if (!q || !*q)
        return err_set(&r->c.err, ERR_BADREQ, "q", "what to search for");
    json_t *out = NULL;
    int rc = kb_search(&r->c, q, req_query(r, "lang"), 1, 20, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int hp_offers(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    json_t *out = NULL;
    int rc = personalize_get(&r->c, cid, &out);
    return rc ? rc : reply_json(w, 200, json_pack("{s:o}", "content", out));
}

static int hp_export(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    json_t *out = NULL;
    int rc = portal_export(&r->c, cid, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int hp_erasure(struct req *r, struct resp *w)
{
    AUTH(r, cid);
    json_t *empty = json_object(), *out = NULL;
    int rc = portal_erasure_request(&r->c, cid, r->body ? r->body : empty, &out);
    json_decref(empty);
    return rc ? rc : reply_json(w, 201, out);
}

/* Public routes for the table: each handler checks the portal session. */
const struct route portal_routes[] = {
    {"POST", "/portal/v1/auth/link", hp_link, 0, "portal",
     "E-mail a single-use sign-in link (answers 202 whether or not the address is known)",
     link_fields},
    {"POST", "/portal/v1/auth/redeem", hp_redeem, 0, "portal",
     "Sign in with an e-mailed link's token (sets the relatio_portal cookie)", redeem_fields},
    {"POST", "/portal/v1/auth/login", hp_login, 0, "portal", "Sign in with e-mail and password",
     login_fields},
    {"POST", "/portal/v1/auth/logout", hp_logout, 0, "portal", "Sign out", NULL},
    {"GET", "/portal/v1/me", hp_me, 0, "portal", "My profile and preferences, and the CSRF token",
     NULL},
    {"PATCH", "/portal/v1/me", hp_me_update, 0, "portal",
     "Change my name, phone, language, preferred channel, quiet hours, interests",
     portal_profile_fields},
    {"POST", "/portal/v1/me/password", hp_password, 0, "portal", "Set my password",
     password_fields},
    {"POST", "/portal/v1/me/callback", hp_callback, 0, "portal", "Ask to be called back",
     portal_callback_fields},
    {"GET", "/portal/v1/consents", hp_consents, 0, "portal", "My consents with their history",
     NULL},
    {"POST", "/portal/v1/consents", hp_consent_add, 0, "portal", "Grant or withdraw a consent",
     portal_consent_fields},
    {"GET", "/portal/v1/orders", hp_orders, 0, "portal", "My orders (limit, cursor)", NULL},
    {"GET", "/portal/v1/orders/{id}", hp_order, 0, "portal", "One of my orders with its lines",
     NULL},
    {"GET", "/portal/v1/loyalty", hp_loyalty, 0, "portal",
     "My loyalty card: balance, tier, referral code and history", NULL},
    {"GET", "/portal/v1/tickets", hp_tickets, 0, "portal", "My tickets", NULL},
    {"POST", "/portal/v1/tickets", hp_ticket_open, 0, "portal", "Open a ticket",
     portal_ticket_fields},
    {"GET", "/portal/v1/tickets/{id}", hp_ticket, 0, "portal",
     "One of my tickets with its conversation", NULL},
    {"POST", "/portal/v1/tickets/{id}/replies", hp_ticket_reply, 0, "portal",
     "Reply on one of my tickets", portal_reply_fields},
    {"GET", "/portal/v1/surveys", hp_surveys, 0, "portal", "My survey answers", NULL},
    {"POST", "/portal/v1/surveys/{id}/answers", hp_survey_answer, 0, "portal",
     "Answer a survey ({score, comment} or the survey's questions)", NULL},
    {"GET", "/portal/v1/kb", hp_kb, 0, "portal", "Search the public knowledge base (q, lang)",
     NULL},
    {"GET", "/portal/v1/offers", hp_offers, 0, "portal",
     "My personalised offers, banner and surveys by slot", NULL},
    {"GET", "/portal/v1/export", hp_export, 0, "portal", "Download all my data (JSON)", NULL},
    {"POST", "/portal/v1/erasure", hp_erasure, 0, "portal", "Ask for my data to be erased",
     portal_erasure_fields},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
