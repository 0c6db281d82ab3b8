/*
 * Routes: web forms for the staff (/api/v1/forms) and the public side a
 * site embeds (/f/{key}): the form's description, a proof-of-work
 * challenge, and the submission, posted as a plain HTML form
 * (application/x-www-form-urlencoded) or as JSON, with CORS.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/forms.h"
#include "http/handlers.h"
#include "util/formenc.h"
#include "util/sbuf.h"

#define MKT (ROLE_MARKETING | ROLE_MANAGER | ROLE_ADMIN | ROLE_SYSTEM)

static int page_args(struct req *r, int64_t *after, int64_t *limit)
{
    int rc = req_query_int(r, "limit", 50, limit);
    if (!rc && (*limit < 1 || *limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    if (!rc)
        rc = req_query_int(r, "cursor", 0, after);
    return rc;
}

static int h_forms_list(struct req *r, struct resp *w)
{
    int64_t after, limit;
    json_t *out = NULL;
    int rc = page_args(r, &after, &limit);
    if (!rc)
        rc = form_list(&r->c, after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_forms_create(struct req *r, struct resp *w)
{
    int rc = req_body(r, form_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = form_create(&r->c, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_forms_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = form_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_forms_update(struct req *r, struct resp *w)
{
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object body is required");
    json_t *out = NULL;
    int rc = form_update(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_forms_submissions(struct req *r, struct resp *w)
{
    int64_t after, limit;
    json_t *out = NULL;
    int rc = page_args(r, &after, &limit);
    if (!rc)
        rc = form_submissions(&r->c, r->id, req_query(r, "status"), after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

/* ----------------------------------------------------------------- public */

/* Echoes the Origin when the form may be embedded there. */
static void cors(struct req *r, struct resp *w)
{
    const char *origin = req_header(r, "Origin");
    if (origin && form_origin_allowed(&r->c, r->params[0], origin))
        snprintf(w->cors, sizeof(w->cors), "%s", origin);
}

static int h_public_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = form_public(&r->c, r->params[0], &out);
    if (!rc)
        cors(r, w);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_public_preflight(struct req *r, struct resp *w)
{
    cors(r, w);
    w->status = 204;
    return 0;
}

static int h_public_challenge(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = form_challenge(&r->c, r->params[0], &out);
    if (!rc)
        cors(r, w);
    return rc ? rc : reply_json(w, 201, out);
}

static void client_ip(struct req *r, char *out, size_t len)
{
    out[0] = 0;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)len);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)len);
}

static void html_escaped(struct sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            sbuf_puts(b, "&lt;");
            break;
        case '>':
            sbuf_puts(b, "&gt;");
            break;
        case '&':
            sbuf_puts(b, "&amp;");
            break;
        case '"':
            sbuf_puts(b, "&quot;");
            break;
        case '\'':
            sbuf_puts(b, "&#39;");
            break;
        default:
            sbuf_put(b, s, 1);
        }
    }
}

/* A plain HTML post (no script) lands on the form's success page, or on a
 * short thank-you page. */
static int html_answer(struct req *r, struct resp *w, const json_t *out)
{
    char url[128];
    if (form_success_url(&r->c, r->params[0], url, sizeof(url)) == 0 && url[0]) {
        snprintf(w->location, sizeof(w->location), "%s", url);
        w->status = 303;
        return 0;
    }
    struct sbuf b = {0};
    const char *thanks = json_string_value(json_object_get(out, "thanks"));
    sbuf_puts(&b, "<!doctype html><html><head><meta charset=\"utf-8\"><title>Merci / Thank "
                  "you</title></head><body><p>");
    html_escaped(&b, thanks ? thanks : "Merci, c'est bien reçu. / Thank you, received.");
    sbuf_puts(&b, "</p></body></html>\n");
    w->raw = sbuf_take(&b, &w->raw_len);
    if (!w->raw)
        return err_set(&r->c.err, ERR_INTERNAL, "", "out of memory");
    w->ctype = "text/html; charset=utf-8";
    w->status = 200;
    return 0;
}

static int h_public_submit(struct req *r, struct resp *w)
{
    const char *cl = req_header(r, "Content-Length");
    if ((cl && strtoll(cl, NULL, 10) > FORM_MAX_BODY) || r->raw_len > FORM_MAX_BODY)
        return err_set(&r->c.err, ERR_TOOLARGE, "body", "a submission is at most %d bytes",
                       FORM_MAX_BODY);
    const char *ct = req_header(r, "Content-Type");
    int form_post = ct && !strncmp(ct, "application/x-www-form-urlencoded", 33);
    json_t *values = NULL;
    int rc = 0;
    if (form_post)
        rc = formenc_parse(r->raw ? r->raw : "", r->raw_len, &values, &r->c.err);
    else if (r->body)
        values = json_incref(r->body);
    else
        rc = err_set(&r->c.err, ERR_BADREQ, "body",
                     "send the form's values (form-urlencoded or a JSON object)");
    if (rc)
        return rc;
    char ip[INET6_ADDRSTRLEN];
    client_ip(r, ip, sizeof(ip));
    struct form_meta m = {
        .ip = ip[0] ? ip : NULL,
        .origin = req_header(r, "Origin"),
        .referer = req_header(r, "Referer"),
        .user_agent = req_header(r, "User-Agent"),
        .visitor = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "relatio_vid"),
    };
    json_t *out = NULL;
    rc = form_submit(&r->c, r->params[0], values, &m, &out);
    json_decref(values);
    if (m.origin && (rc == 0 || (rc != ERR_FORBIDDEN && rc != ERR_NOTFOUND)))
        cors(r, w);
    if (rc)
        return rc;
    const char *accept = req_header(r, "Accept");
    if (form_post && accept && strstr(accept, "text/html")) {
        rc = html_answer(r, w, out);
        json_decref(out);
        return rc;
    }
    return reply_json(w, 200, out);
}

const struct route forms_routes[] = {
    {"GET", "/api/v1/forms", h_forms_list, ROLES_STAFF, "forms",
     "Web forms with their submission counts (limit, cursor)", NULL},
    {"POST", "/api/v1/forms", h_forms_create, MKT, "forms",
     "Define a web form: fields mapped to customer fields and interests, consent boxes with "
     "their wording, hidden campaign/source fields, kind, spam settings",
     form_fields},
    {"GET", "/api/v1/forms/{id}", h_forms_get, ROLES_STAFF, "forms", "A web form", NULL},
    {"PATCH", "/api/v1/forms/{id}", h_forms_update, MKT, "forms",
     "Change a web form (fields given replace the stored ones; status closed stops it)",
     form_fields},
    {"GET", "/api/v1/forms/{id}/submissions", h_forms_submissions, ROLES_STAFF, "forms",
     "Submissions of a form, newest first, with their provenance (status accepted|spam, limit, "
     "cursor)",
     NULL},
    {"GET", "/f/{key}", h_public_get, 0, "forms",
     "Public: the form's fields, consent wording and proof-of-work difficulty (for the snippet)",
     NULL},
    {"OPTIONS", "/f/{key}", h_public_preflight, 0, "forms", "CORS preflight", NULL},
    {"POST", "/f/{key}", h_public_submit, 0, "forms",
     "Public: submit the form (application/x-www-form-urlencoded from a plain HTML form, or "
     "JSON); reserved fields _hp (honeypot), _nonce, _pow, _pow_nonce, _visitor, _page",
     NULL},
    {"POST", "/f/{key}/challenge", h_public_challenge, 0, "forms",
     "Public: a proof-of-work challenge for the form", NULL},
    {"OPTIONS", "/f/{key}/challenge", h_public_preflight, 0, "forms", "CORS preflight", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
