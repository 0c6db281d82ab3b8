/*
 * Routes: campaigns, channel settings, suppressions, sources (rented-file
 * terms), newsletters; and the public links in messages (unsubscribe, open
 * pixel, tracked click, newsletter confirmation), which need no sign-in but
 * a valid signature. The table campaigns_routes[] is joined in routes.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/campaigns.h"
#include "app/newsletters.h"
#include "http/handlers.h"

#define STAFF ROLES_STAFF
#define MKT (ROLE_MARKETING | ROLE_MANAGER | ROLE_ADMIN | ROLE_SYSTEM)
#define ADMIN ROLES_ADMIN

static int page(struct req *r, int64_t *limit, int64_t *after)
{
    int rc = req_query_int(r, "limit", 50, limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, after);
    if (!rc && (*limit < 1 || *limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    return rc;
}

static int created(struct resp *w, const char *base, json_t *out)
{
    snprintf(w->location, sizeof(w->location), "%s/%lld", base,
             (long long)json_integer_value(json_object_get(out, "id")));
    return reply_json(w, 201, out);
}

static int h_campaigns_list(struct req *r, struct resp *w)
{
    int64_t limit, after;
    int rc = page(r, &limit, &after);
    json_t *out = NULL;
    if (!rc)
        rc = campaign_list(&r->c, after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int need_body(struct req *r)
{
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object is required");
    return 0;
}

static int h_campaigns_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = need_body(r);
    if (!rc)
        rc = campaign_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/campaigns", out);
}

static int h_campaigns_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = campaign_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_campaigns_update(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = need_body(r);
    if (!rc)
        rc = campaign_update(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_campaigns_preview(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = campaign_preview(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_campaigns_test(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, campaign_test_fields, 0);
    if (!rc)
        rc = campaign_test_send(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 202, out);
}

static int h_campaigns_launch(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = campaign_launch(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_campaigns_cancel(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = campaign_cancel(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_campaigns_results(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = campaign_results(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_campaigns_recipients(struct req *r, struct resp *w)
{
    int64_t limit, after;
    int rc = page(r, &limit, &after);
    json_t *out = NULL;
    if (!rc)
        rc = campaign_recipients(&r->c, r->id, req_query(r, "status"), after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_campaigns_export(struct req *r, struct resp *w)
{
    char *csv = NULL;
    size_t len = 0;
    const char *kind = req_query(r, "kind");
    int rc = campaign_export(&r->c, r->id, kind ? kind : "labels", &csv, &len);
    if (rc)
        return rc;
    w->raw = csv;
    w->raw_len = len;
    w->ctype = "text/csv; charset=utf-8";
    w->status = 200;
    return 0;
}

static int h_campaigns_calls(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = campaign_call_list(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_settings_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = campaign_settings_get(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_settings_put(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = need_body(r);
    if (!rc)
        rc = campaign_settings_set(&r->c, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_suppressions_list(struct req *r, struct resp *w)
{
    int64_t limit;
    int rc = req_query_int(r, "limit", 500, &limit);
    json_t *out = NULL;
    if (!rc)
        rc = suppression_list(&r->c, req_query(r, "channel"), (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_suppressions_add(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, suppression_fields, 0);
    if (!rc)
        rc = suppression_add(&r->c, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_sources_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = source_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_sources_terms(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = need_body(r);
    if (!rc)
        rc = source_set_terms(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_newsletters_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = newsletter_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_newsletters_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, newsletter_fields, 0);
    if (!rc)
        rc = newsletter_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/newsletters", out);
}

static int h_newsletters_subscribe(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, newsletter_subscribe_fields, 0);
    if (!rc)
        rc = newsletter_subscribe(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 202, out);
}

/* ------------------------------------------------------------ public links */

/* A small page for people (links are followed in a browser). */
static int html_page(struct resp *w, int status, const char *title, const char *text,
                     const char *form_action)
{
    char *b = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&b, &n);
    if (!f)
        return ERR_INTERNAL;
    fprintf(f,
            "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            "content=\"width=device-width\"><title>%s</title></head><body style=\"font-family:"
            "sans-serif;max-width:32em;margin:3em auto\"><h1>%s</h1><p>%s</p>",
            title, title, text);
    if (form_action)
        fprintf(f,
                "<form method=\"post\" action=\"%s\"><input type=\"hidden\" "
                "name=\"List-Unsubscribe\" value=\"One-Click\"><button "
                "type=\"submit\">Unsubscribe / Se désinscrire</button></form>",
                form_action);
    fprintf(f, "</body></html>");
    fclose(f);
    w->raw = b;
    w->raw_len = n;
    w->ctype = "text/html; charset=utf-8";
    w->status = status;
    return 0;
}

/* Only tokens of the expected shape are echoed back into a page. */
static int token_ok(const char *t)
{
    if (!t || strlen(t) > 100)
        return 0;
    for (; *t; t++)
        if (!((*t >= '0' && *t <= '9') || (*t >= 'a' && *t <= 'z') || *t == '.'))
            return 0;
    return 1;
}

static int h_unsubscribe_page(struct req *r, struct resp *w)
{
    const char *tok = r->params[0];
    int64_t a, b;
    int rc = link_verify(&r->c, tok, 'u', NULL, &a, &b);
    if (rc)
        return rc;
    char action[160];
    snprintf(action, sizeof(action), "/api/v1/c/u/%s", token_ok(tok) ? tok : "");
    return html_page(w, 200, "Unsubscribe",
                     "Confirm that you no longer want these messages. / Confirmez que vous ne "
                     "souhaitez plus recevoir ces messages.",
                     action);
}

static int h_unsubscribe(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = link_unsubscribe(&r->c, r->params[0], &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_open(struct req *r, struct resp *w)
{
    static const unsigned char gif[] = {
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};
    ctx_end_read(&r->c); /* it writes */
    const char *tok = r->params[0];
    size_t tl = strlen(tok);
    char t[128];
    snprintf(t, sizeof(t), "%.*s", (int)(tl > 4 && !strcmp(tok + tl - 4, ".gif") ? tl - 4 : tl),
             tok);
    int rc = link_open(&r->c, t);
    if (rc)
        return rc;
    w->raw = malloc(sizeof(gif));
    if (!w->raw)
        return ERR_INTERNAL;
    memcpy(w->raw, gif, sizeof(gif));
    w->raw_len = sizeof(gif);
    w->ctype = "image/gif";
    w->status = 200;
    return 0;
}

static int h_click(struct req *r, struct resp *w)
{
    ctx_end_read(&r->c);
    char *dest = NULL;
    int rc = link_click(&r->c, r->params[0], req_query(r, "u"), &dest);
    if (rc)
        return rc;
    if (strlen(dest) < sizeof(w->location)) {
        snprintf(w->location, sizeof(w->location), "%s", dest);
        free(dest);
        return reply_json(w, 302, json_pack("{s:s}", "location", w->location));
    }
    free(dest);
    return html_page(w, 200, "Redirect", "The link is too long to follow automatically.", NULL);
}

static int h_newsletter_confirm(struct req *r, struct resp *w)
{
    ctx_end_read(&r->c);
    json_t *out = NULL;
    int rc = newsletter_confirm(&r->c, r->params[0], &out);
    return rc ? rc : reply_json(w, 200, out);
}

const struct route campaigns_routes[] = {
    {"GET", "/api/v1/campaigns", h_campaigns_list, STAFF, "campaigns",
     "Campaigns, newest first (limit, cursor)", NULL},
    {"POST", "/api/v1/campaigns", h_campaigns_create, MKT, "campaigns",
     "Create a campaign (templates checked; audience: segment_id, newsletter_id or customer_ids, "
     "an array of ids)",
     campaign_fields},
    {"GET", "/api/v1/campaigns/{id}", h_campaigns_get, STAFF, "campaigns", "A campaign", NULL},
    {"PATCH", "/api/v1/campaigns/{id}", h_campaigns_update, MKT, "campaigns",
     "Change a draft or scheduled campaign", campaign_fields},
    {"POST", "/api/v1/campaigns/{id}/preview", h_campaigns_preview, MKT, "campaigns",
     "Audience preview: counts by exclusion reason, control group, sample messages", NULL},
    {"POST", "/api/v1/campaigns/{id}/test", h_campaigns_test, MKT, "campaigns",
     "Send a test message to an address (no checks, no effect on results)", campaign_test_fields},
    {"POST", "/api/v1/campaigns/{id}/launch", h_campaigns_launch, MKT, "campaigns",
     "Launch now (or schedule when scheduled_at is in the future)", NULL},
    {"POST", "/api/v1/campaigns/{id}/cancel", h_campaigns_cancel, MKT, "campaigns",
     "Cancel: pending messages are not sent", NULL},
    {"GET", "/api/v1/campaigns/{id}/results", h_campaigns_results, STAFF, "campaigns",
     "Delivered, opened, clicked, converted, revenue, uplift over the control group, cost, ROI, "
     "exclusions by reason",
     NULL},
    {"GET", "/api/v1/campaigns/{id}/recipients", h_campaigns_recipients, STAFF, "campaigns",
     "Recipients with status, exclusion reason and delivery (status, limit, cursor)", NULL},
    {"GET", "/api/v1/campaigns/{id}/export", h_campaigns_export, MKT, "campaigns",
     "Postal mail: CSV of address labels (kind=labels) or personalised letters (kind=letters)",
     NULL},
    {"GET", "/api/v1/campaigns/{id}/call-list", h_campaigns_calls, STAFF, "campaigns",
     "Phone: the call list and the agents' task ids", NULL},
    {"GET", "/api/v1/campaign-settings", h_settings_get, MKT, "campaigns",
     "Channel settings: SMTP, SMS gateway, pressure cap, quiet hours, throttle, retries", NULL},
    {"PUT", "/api/v1/campaign-settings", h_settings_put, ADMIN, "campaigns",
     "Change channel settings", campaign_settings_fields},
    {"GET", "/api/v1/suppressions", h_suppressions_list, MKT, "campaigns",
     "Suppression list (channel, limit)", NULL},
    {"POST", "/api/v1/suppressions", h_suppressions_add, MKT, "campaigns",
     "Never send to an address", suppression_fields},
    {"GET", "/api/v1/sources", h_sources_list, STAFF, "campaigns",
     "Data sources (rented files) with their usage terms", NULL},
    {"PATCH", "/api/v1/sources/{id}", h_sources_terms, MKT, "campaigns",
     "Set a source's usage terms (usable_from, usable_until, allowed_purposes)",
     source_terms_fields},
    {"GET", "/api/v1/newsletters", h_newsletters_list, STAFF, "newsletters",
     "Newsletters with subscriber counts", NULL},
    {"POST", "/api/v1/newsletters", h_newsletters_create, MKT, "newsletters", "Create a newsletter",
     newsletter_fields},
    {"POST", "/api/v1/newsletters/{id}/subscriptions", h_newsletters_subscribe, ROLES_WRITE,
     "newsletters", "Subscribe a customer (double opt-in: a confirmation e-mail is sent)",
     newsletter_subscribe_fields},
    {"GET", "/api/v1/newsletters/confirm/{token}", h_newsletter_confirm, 0, "public",
     "Confirm a newsletter subscription (signed one-time link)", NULL},
    {"GET", "/api/v1/c/u/{token}", h_unsubscribe_page, 0, "public",
     "Unsubscribe page of a signed link", NULL},
    {"POST", "/api/v1/c/u/{token}", h_unsubscribe, 0, "public",
     "Unsubscribe (RFC 8058 one-click; signed one-time link)", NULL},
    {"GET", "/api/v1/c/o/{token}", h_open, 0, "public",
     "Open-tracking pixel (counted only where the customer allows tracking)", NULL},
    {"GET", "/api/v1/c/c/{token}", h_click, 0, "public",
     "Tracked click: records it and redirects to u (signed)", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
