/*
 * The HTTP layer: a request, a response, the handler signature and the route
 * table. Handlers are thin: parse → call a service in app/ → render. They
 * return 0 with the response filled, or a negative error kind with req->c.err
 * filled, which server.c turns into RFC 9457 problem details.
 */
#ifndef HTTP_HTTP_H
#define HTTP_HTTP_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

struct MHD_Connection;

#define HTTP_MAX_BODY (1024 * 1024) /* bytes of request body accepted */
#define HTTP_MAX_QUERY 8192         /* bytes of query string (names and values) */
#define HTTP_MAX_PARAMS 4

struct req {
    struct MHD_Connection *conn;
    const char *method;
    const char *url;
    const char *params[HTTP_MAX_PARAMS]; /* path parameters in order, raw */
    int64_t id;                          /* the first numeric path parameter */
    json_t *body;                        /* parsed JSON object body, or NULL */
    const char *raw;                     /* the body's bytes as received (signed webhooks) */
    size_t raw_len;
    struct ctx c;                        /* the call: app, store, actor, error */
    char session[65];                    /* session token when signed in by cookie */
};

struct resp {
    int status;   /* 200 when left 0 */
    json_t *json; /* body, owned by the response */
    char *raw;    /* or a raw body (malloc'd) with its type */
    size_t raw_len;
    const char *ctype;
    char etag[40];
    char location[128];
    char cookie[256];
    char cors[256]; /* an allowed Origin to echo (CORS, tracking collector), or "" */
    struct http_stream *stream; /* a streaming answer (http_stream_start), or NULL */
};

/* Streaming answers (server-sent events). A handler calls http_stream_start
 * and returns 0: the server then answers 200 with ctype and calls read(cls,
 * buf, max) from its event loop; read copies at most max bytes and returns
 * their number, 0 when it has nothing now (the connection then sleeps,
 * holding no thread, until http_stream_wake or the next heartbeat tick), or
 * -1 to end the answer. Every RELATIO_SSE_HEARTBEAT seconds (default 15) a
 * sleeping stream with nothing to say sends heartbeat (may be NULL), which
 * also finds browsers that went away. release(cls) is called once, when the
 * answer is over or was never sent; after it returns no wake may come. On
 * SIGTERM every stream ends first. */
struct http_stream;
struct http_stream *http_stream_start(struct req *r, struct resp *w, const char *ctype,
                                      const char *heartbeat,
                                      long (*read)(void *cls, char *buf, size_t max),
                                      void (*release)(void *cls), void *cls);
/* Schedules a read of s (any thread). */
void http_stream_wake(struct http_stream *s);

typedef int (*handler_fn)(struct req *r, struct resp *w);

struct route {
    const char *method;
    const char *path; /* "/api/v1/customers/{id}" */
    handler_fn fn;
    int roles; /* enum role bits allowed; 0 = public */
    const char *tag;
    const char *summary;
    const struct field *body; /* accepted body, for the OpenAPI document */
};

/* All routes (routes.c joins the per-capability tables), ending with a NULL
 * method. */
const struct route *route_list(void);

/* Query-string value or NULL. */
const char *req_query(struct req *r, const char *name);
/* Integer query parameter: *out = dflt when absent; ERR_BADREQ naming it
 * when not an integer. */
int req_query_int(struct req *r, const char *name, int64_t dflt, int64_t *out);
/* Request header or NULL. */
const char *req_header(struct req *r, const char *name);
/* The numeric path parameter i (0-based), or ERR_NOTFOUND. */
int req_param_id(struct req *r, int i, int64_t *out);

/* Checks the body against spec (a missing body is an empty object when
 * allow_empty, else ERR_BADREQ). 0 or the error, naming the field. */
int req_body(struct req *r, const struct field *spec, int allow_empty);

/* Fills w with a JSON body and status (takes ownership of body). */
int reply_json(struct resp *w, int status, json_t *body);

/* The OpenAPI 3.1 document built from the route table. Caller owns it. */
json_t *openapi_document(void);

/* Serves until SIGINT/SIGTERM; then stops accepting and finishes in-flight
 * requests. web_root (may be NULL) holds the built web app. */
int http_serve(struct app *a, const char *bind, int port, const char *web_root, int threads,
               struct err *e);

#endif
