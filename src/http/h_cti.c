/*
 * Routes: telephony (CTI). The phone system's webhook is public and
 * authenticated by its HMAC signature; the call-card stream is a
 * server-sent-events answer fed by the CTI hub (app/cti.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cti.h"
#include "http/handlers.h"

#define STAFF ROLES_STAFF
#define WRITE ROLES_WRITE
#define ADMIN ROLES_ADMIN

static int h_cti_events(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = cti_receive(&r->c, req_header(r, "X-CTI-Timestamp"), req_header(r, "X-CTI-Signature"),
                         r->raw ? r->raw : "", r->raw ? r->raw_len : 0, &out);
    return rc ? rc : reply_json(w, 200, out);
}

/* ------------------------------------------------------------------ stream */

/* One browser's stream: a greeting, then the hub's messages, each possibly
 * over several reads when the server's buffer is smaller. */
struct sse {
    struct cti_sub *sub;
    char *pending;
    size_t off, len;
    int greeted;
};

static const char greeting[] = "retry: 2000\nevent: ready\ndata: {}\n\n";

static long sse_read(void *cls, char *buf, size_t max)
{
    struct sse *x = cls;
    if (!x->greeted && max >= sizeof(greeting) - 1) {
        x->greeted = 1;
        memcpy(buf, greeting, sizeof(greeting) - 1);
        return (long)(sizeof(greeting) - 1);
    }
    if (!x->pending) {
        x->pending = cti_sub_next(x->sub);
        x->off = 0;
        x->len = x->pending ? strlen(x->pending) : 0;
    }
    if (!x->pending)
        return 0;
    size_t n = x->len - x->off < max ? x->len - x->off : max;
    memcpy(buf, x->pending + x->off, n);
    x->off += n;
    if (x->off == x->len) {
        free(x->pending);
        x->pending = NULL;
    }
    return (long)n;
}

static void sse_release(void *cls)
{
    struct sse *x = cls;
    cti_unsubscribe(x->sub);
    free(x->pending);
    free(x);
}

static void sse_wake(void *arg)
{
    http_stream_wake(arg);
}

static int h_cti_stream(struct req *r, struct resp *w)
{
    struct sse *x = calloc(1, sizeof(*x));
    if (!x)
        return err_set(&r->c.err, ERR_INTERNAL, "", "out of memory");
    struct http_stream *s = http_stream_start(r, w, "text/event-stream; charset=utf-8",
                                              ": heartbeat\n\n", sse_read, sse_release, x);
    if (!s) {
        free(x);
        return err_set(&r->c.err, ERR_INTERNAL, "", "out of memory");
    }
    /* from here the stream owns x: an error answer releases it */
    if (cti_subscribe(r->c.actor.user_id, sse_wake, s, &x->sub))
        return err_set(&r->c.err, ERR_INTERNAL, "", "out of memory");
    return 0;
}

/* ------------------------------------------------------------------- calls */

static int h_cti_calls(struct req *r, struct resp *w)
{
    int64_t cid, before, limit;
    int rc = req_query_int(r, "customer_id", 0, &cid);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &before);
    if (!rc)
        rc = req_query_int(r, "limit", 50, &limit);
    json_t *out = NULL;
    if (!rc)
        rc = cti_call_list(&r->c, cid, before, (int)(limit > 0 && limit <= 500 ? limit : -1), &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_cti_call(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = cti_call_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_cti_link(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, cti_link_fields, 0);
    if (!rc)
        rc = cti_call_link(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_cti_followup(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, cti_followup_fields, 0);
    if (!rc)
        rc = cti_followup(&r->c, r->id, r->body, &out);
    if (rc)
        return rc;
    snprintf(w->location, sizeof(w->location), "/api/v1/tasks/%lld",
             (long long)json_integer_value(json_object_get(out, "id")));
    return reply_json(w, 201, out);
}

static int h_cti_card(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = cti_card(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_cti_originate(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, cti_originate_fields, 0);
    if (!rc)
        rc = cti_originate(&r->c, r->body, &out);
    return rc ? rc : reply_json(w, json_is_true(json_object_get(out, "requested")) ? 202 : 200, out);
}

static int h_cti_settings_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = cti_settings_get(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_cti_settings_put(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, cti_settings_fields, 0);
    if (!rc)
        rc = cti_settings_set(&r->c, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

const struct route cti_routes[] = {
    {"POST", "/api/v1/cti/events", h_cti_events, 0, "cti",
     "Call event from the phone system (ringing, answered, ended; any order). Signed: "
     "X-CTI-Timestamp (Unix seconds, within 300 s) and X-CTI-Signature: sha256=<hex "
     "HMAC-SHA256 of \"<timestamp>.<body>\" with the CTI secret>; a replay is refused (409)",
     cti_event_fields},
    {"GET", "/api/v1/cti/stream", h_cti_stream, STAFF, "cti",
     "Server-sent events to the signed-in agent: 'call' messages {state, call, customer card or "
     "null} as calls ring, are answered and end; heartbeats as comments",
     NULL},
    {"GET", "/api/v1/cti/calls", h_cti_calls, STAFF, "cti",
     "Calls, newest first (customer_id, limit, cursor)", NULL},
    {"GET", "/api/v1/cti/calls/{id}", h_cti_call, STAFF, "cti", "A call", NULL},
    {"POST", "/api/v1/cti/calls/{id}/customer", h_cti_link, WRITE, "cti",
     "Attach an unknown caller's call to a customer (after the new-caller form)",
     cti_link_fields},
    {"POST", "/api/v1/cti/calls/{id}/followup", h_cti_followup, WRITE, "cti",
     "Set a follow-up task for the caller from the call card", cti_followup_fields},
    {"GET", "/api/v1/cti/cards/{id}", h_cti_card, STAFF, "cti",
     "The call card of a customer: name, lifecycle, scores, last orders and tickets", NULL},
    {"POST", "/api/v1/cti/originate", h_cti_originate, WRITE, "cti",
     "Click-to-call: asks the phone system to call the number (202), or answers the tel: link "
     "when no originate URL is set (200)",
     cti_originate_fields},
    {"GET", "/api/v1/cti/settings", h_cti_settings_get, ADMIN, "cti",
     "CTI settings (whether the secret is set, the originate URL)", NULL},
    {"PUT", "/api/v1/cti/settings", h_cti_settings_put, ADMIN, "cti",
     "Change the webhook secret and the originate URL", cti_settings_fields},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
