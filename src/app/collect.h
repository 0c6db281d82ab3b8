/*
 * The pure half of web tracking: parsing and checking a /t/collect batch,
 * telling crawlers from people by user agent, and the URL helpers that say
 * where a session comes from. No I/O, so the fuzz target links it alone.
 */
#ifndef APP_COLLECT_H
#define APP_COLLECT_H
#include <jansson.h>
#include <stddef.h>

#include "util/err.h"
#include "util/fields.h"

/* Limits of one /t/collect request. */
#define TRACK_MAX_BODY (64 * 1024)
#define TRACK_MAX_EVENTS 100

/* The body of POST /t/collect (validation and OpenAPI). */
extern const struct field collect_fields[];

/* Parses and checks a collect body. body is {"key","visitor","consent":bool,
 * "events":[{"type","at","url","title","referrer","product","query",
 * "amount_minor","currency","order","token"}...]}, types page_view,
 * product_view, search, add_to_cart, checkout_started, purchase, identify.
 * *out gets the parsed JSON (caller decrefs). ERR_BADREQ / ERR_INVALID /
 * ERR_TOOLARGE naming the field ("events[3].url"). */
int collect_parse(const char *body, size_t len, json_t **out, struct err *e);
/* The checks of collect_parse on an already parsed body (the HTTP layer has
 * parsed it): fields, visitor id, the details each event type needs. */
int collect_check(const json_t *batch, struct err *e);

/* 1 when an anonymous id is 8-64 of [A-Za-z0-9_-]. */
int visitor_valid(const char *v);

/* 1 when the user agent looks like a crawler or headless tool (no tracking);
 * NULL or very short agents count as bots. */
int track_is_bot(const char *user_agent);

/* Lower-cased host of "scheme://host[:port]/…" into out ("" when none). */
void url_host(const char *url, char *out, size_t len);
/* Path of a URL without query or fragment ("/" at least). */
void url_path(const char *url, char *out, size_t len);
/* Where a visit comes from given its landing url and referrer (either may be
 * NULL): "direct", "search", "social", "email", "campaign" or "referral";
 * keyword gets the search engine's query when the referrer carries one. */
const char *url_source(const char *url, const char *referrer, char *keyword, size_t klen);

#endif
