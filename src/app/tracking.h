/*
 * Web tracking coupled to the customer base: registered sites (per-site key,
 * allowed origins, consent policy), the batch collector behind /t/collect
 * (anonymous visitors, 30-minute sessions, events mirrored to the event log),
 * identity stitching (a proven identify joins the anonymous history to the
 * customer), audience reports, and personalised content per customer.
 */
#ifndef APP_TRACKING_H
#define APP_TRACKING_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "app/collect.h"
#include "util/fields.h"

/* A session ends after this long without an event (seed 004). */
#define TRACK_SESSION_GAP (30 * 60)

/* The body of POST /api/v1/tracking/sites. */
extern const struct field site_fields[];

/* Registers a site: {"name","origins":["https://shop.example"],
 * "require_consent":bool}. *out gets the site with its public "key" and its
 * "secret" (shown once: the site's backend signs identify tokens with it). */
int site_create(struct ctx *c, const json_t *in, json_t **out);
/* {"items":[site…]}, without secrets. */
int site_list(struct ctx *c, json_t **out);

/* 1 when origin (may be NULL) is registered for the site with key (NULL:
 * any site); 0 when not; negative on error. For CORS preflights. */
int site_origin_allowed(struct ctx *c, const char *key, const char *origin);

/* What the collector knows about the request besides its body. */
struct collect_req {
    const char *origin;     /* Origin header or NULL */
    const char *user_agent; /* User-Agent header or NULL */
    const char *visitor;    /* the anonymous id cookie, or NULL */
};

/* Ingests a batch in one transaction (committed before returning): events,
 * sessions, identity stitching, event log. *out gets {"visitor","accepted",
 * "ignored","customer_id"?, "content":{slot: content}}. Unknown key:
 * ERR_NOTFOUND on "key"; an origin not registered: ERR_FORBIDDEN. */
int track_collect(struct ctx *c, const struct collect_req *rq, const json_t *batch, json_t **out);
/* track_collect with group commit: concurrent calls share one transaction
 * (each in its own savepoint), committed before any of them returns. What
 * the HTTP collector calls. */
int track_collect_grouped(struct ctx *c, const struct collect_req *rq, const json_t *batch,
                          json_t **out);

/* Signs an identify token for customer_id with the site's secret (what the
 * site's backend does; exposed for the CLI, tests and the e-mail links):
 * "<customer_id>.<expires>.<hex hmac>". *out is caller-owned (free). */
int track_sign_identity(struct ctx *c, const char *site_key, int64_t customer_id, int64_t expires,
                        char **out);

/* Joins the anonymous history of visitor on the site with site_key to
 * customer cid (a lead form filled in by that visitor), in the caller's
 * transaction: *joined = 1 when done; 0 when the visitor is unknown or
 * already known as another customer (that needs a signed identify). */
int track_join_visitor(struct ctx *c, const char *site_key, const char *visitor, int64_t cid,
                       int *joined);

/* Audience report over [from, to): visitors, sessions, top pages, sources,
 * referrers, search keywords, funnel. site_key NULL: every site. */
int track_report(struct ctx *c, const char *site_key, int64_t from, int64_t to, json_t **out);

/* Web events of a customer (stitched history), newest first. */
int track_customer_events(struct ctx *c, int64_t customer_id, int64_t before_id, int limit,
                          json_t **out);

/* Sets the personalised content of a slot ("banner", "offer", "survey") for
 * a customer; content is not consumed (copied); expires_at 0: never.
 * content NULL clears the slot. The rules engine's actions call this. */
int personalize_set(struct ctx *c, int64_t customer_id, const char *slot, const json_t *content,
                    int64_t expires_at);
/* The live content of a customer as {slot: content}. */
int personalize_get(struct ctx *c, int64_t customer_id, json_t **out);

#endif
