/*
 * Routes: the public tracking collector (/t/collect, CORS for the sites'
 * registered origins), sites, identify tokens, audience report, a customer's
 * web history and personalised content.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/customers.h"
#include "app/tracking.h"
#include "http/handlers.h"
#include "util/log.h"
#include "util/timeu.h"

static const struct field identity_fields[] = {
    {"site_key", FT_STRING, FF_REQUIRED, 64, NULL, NULL, NULL},
    {"customer_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"ttl_seconds", FT_INT, 0, 30 * 86400, NULL, NULL, "validity, default 600 s, at most 30 days"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const struct field content_fields[] = {
    {"content", FT_OBJECT, FF_REQUIRED, 8192, NULL, NULL,
     "what the page shows, e.g. {\"title\":…,\"text\":…,\"url\":…}"},
    {"expires_at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* POST /t/collect: a batch of events from the snippet or a site's backend. */
static int h_collect(struct req *r, struct resp *w)
{
    const char *cl = req_header(r, "Content-Length");
    if (cl && strtoll(cl, NULL, 10) > TRACK_MAX_BODY)
        return err_set(&r->c.err, ERR_TOOLARGE, "body", "a batch is at most %d bytes",
                       TRACK_MAX_BODY);
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object body is required");
    int rc = collect_check(r->body, &r->c.err);
    if (rc) {
        log_info("tracking: batch refused: %s: %s", r->c.err.field, r->c.err.msg);
        return rc;
    }
    struct collect_req rq = {req_header(r, "Origin"), req_header(r, "User-Agent"), NULL};
    json_t *out = NULL;
    rc = track_collect_grouped(&r->c, &rq, r->body, &out);
    if (rq.origin && (rc == 0 || (rc != ERR_FORBIDDEN && rc != ERR_NOTFOUND)))
        snprintf(w->cors, sizeof(w->cors), "%s", rq.origin);
    return rc ? rc : reply_json(w, 200, out);
}

/* OPTIONS /t/collect: the CORS preflight of a browser on a registered site. */
static int h_collect_preflight(struct req *r, struct resp *w)
{
    const char *origin = req_header(r, "Origin");
    int rc = site_origin_allowed(&r->c, NULL, origin);
    if (rc < 0)
        return rc;
    if (rc == 1)
        snprintf(w->cors, sizeof(w->cors), "%s", origin);
    w->status = 204;
    return 0;
}

static int h_sites_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = site_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_sites_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = site_create(&r->c, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_identity_token(struct req *r, struct resp *w)
{
    int rc = req_body(r, identity_fields, 0);
    if (rc)
        return rc;
    json_t *ttl = json_object_get(r->body, "ttl_seconds");
    int64_t exp = time_now() + (json_is_integer(ttl) ? json_integer_value(ttl) : 600);
    char *tok = NULL;
    rc =
        track_sign_identity(&r->c, json_string_value(json_object_get(r->body, "site_key")),
                            json_integer_value(json_object_get(r->body, "customer_id")), exp, &tok);
    if (rc)
        return rc;
    char ts[TIME_BUF];
    json_t *out =
        json_pack("{s:s,s:s}", "token", tok, "expires_at", time_format(exp, ts, sizeof(ts)));
    free(tok);
    return reply_json(w, 201, out);
}

/* ?from=&to= as dates or date-times; default the last 30 days. */
static int range(struct req *r, int64_t *from, int64_t *to)
{
    const char *f = req_query(r, "from"), *t = req_query(r, "to");
    *to = time_now() + 1;
    if (t && time_parse(t, to) != 0)
        return err_set(&r->c.err, ERR_BADREQ, "to", "an ISO 8601 date or date-time");
    if (t && strlen(t) == 10)
        *to += 86400; /* a date includes its whole day */
    *from = *to - 30 * 86400;
    if (f && time_parse(f, from) != 0)
        return err_set(&r->c.err, ERR_BADREQ, "from", "an ISO 8601 date or date-time");
    return 0;
}

static int h_report(struct req *r, struct resp *w)
{
    int64_t from, to;
    int rc = range(r, &from, &to);
    json_t *out = NULL;
    if (!rc)
        rc = track_report(&r->c, req_query(r, "site"), from, to, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_customer_web(struct req *r, struct resp *w)
{
    int64_t limit, cursor;
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &cursor);
    if (!rc && (limit < 1 || limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    json_t *out = NULL;
    if (!rc)
        rc = track_customer_events(&r->c, r->id, cursor, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_content_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = customer_exists(&r->c, r->id);
    if (!rc)
        rc = personalize_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_content_put(struct req *r, struct resp *w)
{
    int rc = req_body(r, content_fields, 0);
    if (rc)
        return rc;
    int64_t exp = 0;
    const char *e = json_string_value(json_object_get(r->body, "expires_at"));
    if (e)
        time_parse(e, &exp);
    rc = personalize_set(&r->c, r->id, r->params[1], json_object_get(r->body, "content"), exp);
    json_t *out = NULL;
    if (!rc)
        rc = personalize_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_content_delete(struct req *r, struct resp *w)
{
    int rc = personalize_set(&r->c, r->id, r->params[1], NULL, 0);
    if (!rc)
        w->status = 204;
    return rc;
}

#define MKT (ROLE_MARKETING | ROLE_MANAGER | ROLE_ADMIN | ROLE_SYSTEM)

const struct route tracking_routes[] = {
    {"POST", "/t/collect", h_collect, 0, "tracking",
     "Collect a batch of web events (public; per-site key; CORS for the site's origins; the "
     "answer carries the visitor's personalised content)",
     collect_fields},
    {"OPTIONS", "/t/collect", h_collect_preflight, 0, "tracking", "CORS preflight", NULL},
    {"GET", "/api/v1/tracking/sites", h_sites_list, ROLES_STAFF, "tracking", "Tracked web sites",
     NULL},
    {"POST", "/api/v1/tracking/sites", h_sites_create, MKT, "tracking",
     "Register a site (answers its key and, once, its signing secret)", site_fields},
    {"POST", "/api/v1/tracking/identity-tokens", h_identity_token, ROLES_WRITE, "tracking",
     "Sign an identify token for a customer (for a site's backend or an e-mail link)",
     identity_fields},
    {"GET", "/api/v1/tracking/report", h_report, ROLES_STAFF, "tracking",
     "Audience: visitors, sessions, top pages, sources, referrers, keywords, funnel (site, from, "
     "to)",
     NULL},
    {"GET", "/api/v1/customers/{id}/web-events", h_customer_web, ROLES_STAFF, "tracking",
     "Web history of a customer, stitched anonymous sessions included (limit, cursor)", NULL},
    {"GET", "/api/v1/customers/{id}/personalization", h_content_get, ROLES_STAFF, "tracking",
     "Personalised content live for a customer, by slot", NULL},
    {"PUT", "/api/v1/customers/{id}/personalization/{slot}", h_content_put, MKT, "tracking",
     "Set the content of a slot (banner, offer, survey) for a customer", content_fields},
    {"DELETE", "/api/v1/customers/{id}/personalization/{slot}", h_content_delete, MKT, "tracking",
     "Clear a slot", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
