/*
 * The HTTP server on libmicrohttpd: a thread pool on epoll, request bodies
 * gathered up to HTTP_MAX_BODY, dispatch through the route table with
 * authentication, CSRF and role checks, RFC 9457 problem details, static
 * files of the web app, Prometheus metrics and graceful shutdown.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/users.h"
#include "app/visibility.h"
#include "http/http.h"
#include "util/log.h"
#include "util/timeu.h"

struct server {
    struct app *app;
    const char *web_root;
};

struct reqstate {
    char *body;
    size_t len, cap;
    int too_large;
    struct timespec start;
};

/* ------------------------------------------------------------------ metrics */

#define NBUCKETS 8
static const double bucket_le[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0};
static atomic_ullong m_requests[6]; /* by status class 1xx..5xx, [0] other */
static atomic_ullong m_buckets[NBUCKETS + 1];
static atomic_ullong m_sum_us;
static atomic_ullong m_route_hits[1024];

static void observe(int status, double seconds, int route)
{
    int cls = status / 100;
    atomic_fetch_add(&m_requests[cls >= 1 && cls <= 5 ? cls : 0], 1);
    int b = 0;
    while (b < NBUCKETS && seconds > bucket_le[b])
        b++;
    atomic_fetch_add(&m_buckets[b], 1);
    atomic_fetch_add(&m_sum_us, (unsigned long long)(seconds * 1e6));
    if (route >= 0 && route < 1024)
        atomic_fetch_add(&m_route_hits[route], 1);
}

static char *metrics_text(size_t *len)
{
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
#define OUT(...) n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__)
    OUT("# HELP relatio_http_requests_total HTTP requests by status class.\n"
        "# TYPE relatio_http_requests_total counter\n");
    for (int i = 1; i <= 5; i++)
        OUT("relatio_http_requests_total{code=\"%dxx\"} %llu\n", i,
            (unsigned long long)atomic_load(&m_requests[i]));
    OUT("# HELP relatio_http_request_duration_seconds Time to answer.\n"
        "# TYPE relatio_http_request_duration_seconds histogram\n");
    unsigned long long cum = 0;
    for (int b = 0; b < NBUCKETS; b++) {
        cum += atomic_load(&m_buckets[b]);
        OUT("relatio_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bucket_le[b], cum);
    }
    cum += atomic_load(&m_buckets[NBUCKETS]);
    OUT("relatio_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    OUT("relatio_http_request_duration_seconds_sum %.6f\n", (double)atomic_load(&m_sum_us) / 1e6);
    OUT("relatio_http_request_duration_seconds_count %llu\n", cum);
    OUT("# HELP relatio_route_requests_total Requests per route.\n"
        "# TYPE relatio_route_requests_total counter\n");
    const struct route *routes = route_list();
    for (int i = 0; routes[i].method && i < 1024 && n < cap - 256; i++) {
        unsigned long long v = atomic_load(&m_route_hits[i]);
        if (v)
            OUT("relatio_route_requests_total{method=\"%s\",path=\"%s\"} %llu\n", routes[i].method,
                routes[i].path, v);
    }
#undef OUT
    *len = n < cap ? n : cap - 1;
    return buf;
}

/* ---------------------------------------------------------------- requests */

const char *req_query(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int req_query_int(struct req *r, const char *name, int64_t dflt, int64_t *out)
{
    const char *v = req_query(r, name);
    *out = dflt;
    if (!v || !*v)
        return 0;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || !end || *end)
        return err_set(&r->c.err, ERR_BADREQ, name, "must be an integer");
    *out = n;
    return 0;
}

int req_param_id(struct req *r, int i, int64_t *out)
{
    const char *p = i < HTTP_MAX_PARAMS ? r->params[i] : NULL;
    char *end = NULL;
    if (!p || !*p || strlen(p) > 18)
        return err_set(&r->c.err, ERR_NOTFOUND, "id", "no such resource");
    long long n = strtoll(p, &end, 10);
    if (!end || *end || n <= 0)
        return err_set(&r->c.err, ERR_NOTFOUND, "id", "no such resource");
    *out = n;
    return 0;
}

int req_body(struct req *r, const struct field *spec, int allow_empty)
{
    if (!r->body && allow_empty)
        return 0;
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object body is required");
    return fields_check(spec, r->body, FIELDS_CREATE, &r->c.err);
}

int reply_json(struct resp *w, int status, json_t *body)
{
    w->status = status;
    json_decref(w->json);
    w->json = body;
    return 0;
}

static int http_status(int kind)
{
    switch (kind) {
    case ERR_INVALID:
        return 422;
    case ERR_BADREQ:
        return 400;
    case ERR_NOTFOUND:
        return 404;
    case ERR_EXISTS:
    case ERR_CONFLICT:
        return 409;
    case ERR_UNAUTH:
        return 401;
    case ERR_FORBIDDEN:
        return 403;
    case ERR_TOOLARGE:
        return 413;
    case ERR_MEDIATYPE:
        return 415;
    case ERR_THROTTLED:
        return 429;
    case ERR_UNAVAILABLE:
        return 503;
    default:
        return 500;
    }
}

static const char *status_title(int status)
{
    switch (status) {
    case 400:
        return "Bad request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not found";
    case 405:
        return "Method not allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Content too large";
    case 415:
        return "Unsupported media type";
    case 422:
        return "Unprocessable content";
    case 429:
        return "Too many requests";
    case 503:
        return "Service unavailable";
    default:
        return "Internal server error";
    }
}

/* RFC 9457 problem details; validation errors name the field in "errors". */
static void problem(struct resp *w, const struct err *e, const char *instance)
{
    int status = http_status(e->kind);
    char type[64];
    snprintf(type, sizeof(type), "/problems/%s", err_kind_name(e->kind));
    json_t *p = json_pack("{s:s,s:s,s:i,s:s,s:s}", "type", type, "title", status_title(status),
                          "status", status, "detail", e->msg[0] ? e->msg : status_title(status),
                          "instance", instance);
    if (!p) /* a message that is not valid UTF-8 */
        p = json_pack("{s:s,s:s,s:i}", "type", type, "title", status_title(status), "status",
                      status);
    if (e->field[0]) {
        json_t *fe = json_pack("{s:s,s:s}", "field", e->field, "message", e->msg);
        if (fe)
            json_object_set_new(p, "errors", json_pack("[o]", fe));
    }
    reply_json(w, status, p);
    w->ctype = "application/problem+json";
    if (status >= 500)
        log_error("%s: %s", instance, e->msg);
}

/* Matches path against pattern, collecting {params}. */
static int match(const char *pattern, const char *path, struct req *r)
{
    int np = 0;
    const char *p = pattern, *u = path;
    static __thread char pbuf[HTTP_MAX_PARAMS][128];
    while (*p && *u) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            const char *slash = strchr(u, '/');
            size_t len = slash ? (size_t)(slash - u) : strlen(u);
            if (!close || len == 0 || len >= sizeof(pbuf[0]) || np >= HTTP_MAX_PARAMS)
                return 0;
            memcpy(pbuf[np], u, len);
            pbuf[np][len] = 0;
            r->params[np] = pbuf[np];
            np++;
            p = close + 1;
            u += len;
            continue;
        }
        if (*p != *u)
            return 0;
        p++;
        u++;
    }
    if (*p || *u)
        return 0;
    for (int i = np; i < HTTP_MAX_PARAMS; i++)
        r->params[i] = NULL;
    return 1;
}

static int is_unsafe(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
           strcmp(method, "OPTIONS") != 0;
}

/* Who is calling: a bearer token, else the session cookie (with CSRF for
 * unsafe methods). 0 with r->c.actor set, or an error. */
static int authenticate(struct req *r)
{
    struct actor who;
    const char *authz = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (authz) {
        if (strncmp(authz, "Bearer ", 7) != 0)
            return err_set(&r->c.err, ERR_UNAUTH, "", "use 'Authorization: Bearer <token>'");
        int rc = auth_bearer(&r->c, authz + 7, &who);
        if (rc)
            return rc;
        r->c.actor = who;
        return 0;
    }
    const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "relatio_session");
    if (!cookie)
        return err_set(&r->c.err, ERR_UNAUTH, "", "sign in or send an API token");
    char csrf[65];
    int rc = auth_session(&r->c, cookie, &who, csrf);
    if (rc)
        return rc;
    if (is_unsafe(r->method)) {
        const char *sent = req_header(r, "X-CSRF-Token");
        if (!sent || strlen(sent) != 64 || sodium_memcmp(sent, csrf, 64) != 0)
            return err_set(&r->c.err, ERR_FORBIDDEN, "X-CSRF-Token", "missing or wrong CSRF token");
    }
    snprintf(r->session, sizeof(r->session), "%s", cookie);
    r->c.actor = who;
    return 0;
}

static int is_form_post(struct req *r)
{
    const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    return ct && strncmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

static int parse_body(struct req *r, struct reqstate *rs)
{
    if (rs->too_large)
        return err_set(&r->c.err, ERR_TOOLARGE, "body", "request body over %d bytes",
                       HTTP_MAX_BODY);
    if (!rs->len)
        return 0;
    const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct || (strncmp(ct, "application/json", 16) != 0 &&
                strncmp(ct, "application/merge-patch+json", 28) != 0))
        return err_set(&r->c.err, ERR_MEDIATYPE, "Content-Type", "send application/json");
    json_error_t je;
    r->body = json_loadb(rs->body, rs->len, JSON_REJECT_DUPLICATES, &je);
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "malformed JSON at line %d, column %d: %s",
                       je.line, je.column, je.text);
    if (!json_is_object(r->body))
        return err_set(&r->c.err, ERR_BADREQ, "body", "the body must be a JSON object");
    return 0;
}

static void add_common_headers(struct MHD_Response *res)
{
    MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(res, "X-Frame-Options", "DENY");
    MHD_add_response_header(res, "Referrer-Policy", "same-origin");
}

static enum MHD_Result send_stream(struct MHD_Connection *conn, struct resp *w);

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct resp *w, int api)
{
    if (w->stream && !w->json)
        return send_stream(conn, w);
    char *body = NULL;
    size_t len = 0;
    if (w->json) {
        body = json_dumps(w->json, JSON_COMPACT);
        len = body ? strlen(body) : 0;
        if (!w->ctype)
            w->ctype = "application/json";
    } else if (w->raw) {
        body = w->raw;
        len = w->raw_len;
        w->raw = NULL;
    }
    struct MHD_Response *res = MHD_create_response_from_buffer(
        len, body ? body : (void *)"", body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (w->ctype)
        MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, w->ctype);
    if (w->etag[0])
        MHD_add_response_header(res, MHD_HTTP_HEADER_ETAG, w->etag);
    if (w->location[0])
        MHD_add_response_header(res, MHD_HTTP_HEADER_LOCATION, w->location);
    if (w->cookie[0])
        MHD_add_response_header(res, MHD_HTTP_HEADER_SET_COOKIE, w->cookie);
    if (w->status == 405)
        MHD_add_response_header(res, MHD_HTTP_HEADER_ALLOW, w->location);
    if (w->cors[0]) {
        MHD_add_response_header(res, "Access-Control-Allow-Origin", w->cors);
        MHD_add_response_header(res, "Access-Control-Allow-Methods", "POST, OPTIONS");
        MHD_add_response_header(res, "Access-Control-Allow-Headers", "Content-Type");
        MHD_add_response_header(res, "Access-Control-Max-Age", "600");
        MHD_add_response_header(res, "Vary", "Origin");
    }
    add_common_headers(res);
    if (api)
        MHD_add_response_header(res, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)(w->status ? w->status : 200), res);
    MHD_destroy_response(res);
    return ret;
}

static void stream_free(void *cls);

static void resp_release(struct resp *w)
{
    json_decref(w->json);
    free(w->raw);
    if (w->stream) /* an error answer was sent instead */
        stream_free(w->stream);
}

/* ------------------------------------------------------------------ streams */

/* A streaming answer (server-sent events) must not hold a pool thread while
 * it has nothing to send: its content reader then suspends the connection
 * (MHD_suspend_connection, which MHD allows from a content reader) and
 * http_stream_wake or the heartbeat tick resumes it. s->mu closes the race
 * between "nothing to send" and a wake: a wake that comes first sets woken,
 * and the reader does not suspend. On SIGTERM streams_stop ends them all,
 * so the wait for requests in flight is not held up by them and
 * MHD_stop_daemon finds no suspended connection (which it forbids). */
struct http_stream {
    struct MHD_Connection *conn;
    pthread_mutex_t mu;
    int suspended, woken, beat; /* under mu */
    const char *ctype, *heartbeat;
    long (*read)(void *cls, char *buf, size_t max);
    void (*release)(void *cls);
    void *cls;
    struct http_stream *next; /* in streams, under streams_lock */
};

static pthread_mutex_t streams_lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_stream *streams;
static atomic_int streams_stopping;

struct http_stream *http_stream_start(struct req *r, struct resp *w, const char *ctype,
                                      const char *heartbeat,
                                      long (*read)(void *cls, char *buf, size_t max),
                                      void (*release)(void *cls), void *cls)
{
    struct http_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->conn = r->conn;
    pthread_mutex_init(&s->mu, NULL);
    s->ctype = ctype;
    s->heartbeat = heartbeat;
    s->read = read;
    s->release = release;
    s->cls = cls;
    pthread_mutex_lock(&streams_lock);
    s->next = streams;
    streams = s;
    pthread_mutex_unlock(&streams_lock);
    w->stream = s;
    return s;
}

void http_stream_wake(struct http_stream *s)
{
    pthread_mutex_lock(&s->mu);
    s->woken = 1;
    if (s->suspended) {
        s->suspended = 0;
        MHD_resume_connection(s->conn);
    }
    pthread_mutex_unlock(&s->mu);
}

/* MHD's free callback of the response (or an answer never sent). */
static void stream_free(void *cls)
{
    struct http_stream *s = cls;
    pthread_mutex_lock(&streams_lock);
    for (struct http_stream **p = &streams; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    pthread_mutex_unlock(&streams_lock);
    s->release(s->cls); /* no wake after this */
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct http_stream *s = cls;
    if (atomic_load(&streams_stopping))
        return MHD_CONTENT_READER_END_OF_STREAM;
    pthread_mutex_lock(&s->mu);
    s->woken = 0;
    int beat = s->beat;
    s->beat = 0;
    pthread_mutex_unlock(&s->mu);
    long n = s->read(s->cls, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n == 0 && beat && s->heartbeat && strlen(s->heartbeat) <= max) {
        n = (long)strlen(s->heartbeat);
        memcpy(buf, s->heartbeat, (size_t)n);
    }
    if (n > 0)
        return n;
    pthread_mutex_lock(&s->mu);
    if (!s->woken && !atomic_load(&streams_stopping)) {
        s->suspended = 1;
        MHD_suspend_connection(s->conn);
    }
    pthread_mutex_unlock(&s->mu);
    return 0; /* suspended, or woken meanwhile: MHD calls again */
}

/* Heartbeat tick (main thread), or the end of every stream (stop = 1). */
static void streams_tick(int stop)
{
    if (stop)
        atomic_store(&streams_stopping, 1);
    pthread_mutex_lock(&streams_lock);
    for (struct http_stream *s = streams; s; s = s->next) {
        pthread_mutex_lock(&s->mu);
        s->beat = 1;
        pthread_mutex_unlock(&s->mu);
        http_stream_wake(s);
    }
    pthread_mutex_unlock(&streams_lock);
}

static enum MHD_Result send_stream(struct MHD_Connection *conn, struct resp *w)
{
    struct http_stream *s = w->stream;
    w->stream = NULL; /* MHD owns it now: stream_free when the answer ends */
    struct MHD_Response *res =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_reader, s, stream_free);
    if (!res) {
        stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, s->ctype);
    MHD_add_response_header(res, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(res, "X-Accel-Buffering", "no"); /* proxies: do not buffer */
    add_common_headers(res);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, res);
    MHD_destroy_response(res);
    return ret;
}

/* ------------------------------------------------------------- static files */

static const char *mime_of(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".geojson", "application/geo+json"},
        {".map", "application/json"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static enum MHD_Result serve_static(struct server *sv, struct MHD_Connection *conn, const char *url,
                                    const char *method)
{
    struct resp w = {0};
    struct err e = {0};
    if (!sv->web_root || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
        err_set(&e, ERR_NOTFOUND, "", "no such page");
        problem(&w, &e, url);
        enum MHD_Result ret = send_resp(conn, &w, 1);
        resp_release(&w);
        return ret;
    }
    /* no traversal: refuse "..", backslashes and control characters */
    int bad = strstr(url, "..") != NULL || strchr(url, '\\') != NULL || strlen(url) > 512;
    for (const char *p = url; *p && !bad; p++)
        bad = (unsigned char)*p < 0x20;
    char path[1024];
    const char *rel = strcmp(url, "/") == 0 ? "/index.html" : url;
    snprintf(path, sizeof(path), "%s%s", sv->web_root, rel);
    int fd = bad ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    int fallback = 0;
    if (fd < 0 && !bad && strncmp(url, "/assets/", 8) != 0) {
        /* the web app routes itself: unknown pages get index.html */
        snprintf(path, sizeof(path), "%s/index.html", sv->web_root);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        fallback = 1;
        if (fd >= 0 && fstat(fd, &st) != 0) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        err_set(&e, ERR_NOTFOUND, "", "no such page");
        problem(&w, &e, "/");
        enum MHD_Result ret = send_resp(conn, &w, 1);
        resp_release(&w);
        return ret;
    }
    struct MHD_Response *res = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, mime_of(path));
    add_common_headers(res);
    MHD_add_response_header(res, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self' "
                            "'unsafe-inline'; script-src 'self'; connect-src 'self'; "
                            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'");
    MHD_add_response_header(res, MHD_HTTP_HEADER_CACHE_CONTROL,
                            !fallback && strncmp(url, "/assets/", 8) == 0
                                ? "public, max-age=31536000, immutable"
                                : "no-cache");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, res);
    MHD_destroy_response(res);
    return ret;
}

/* ----------------------------------------------------------------- dispatch */

static int is_api(const char *url)
{
    return strncmp(url, "/api/", 5) == 0 || strcmp(url, "/healthz") == 0 ||
           strcmp(url, "/metrics") == 0 || strcmp(url, "/t/collect") == 0 ||
           strncmp(url, "/f/", 3) == 0 ||
           strncmp(url, "/portal/v1/", 11) == 0;
}

static double elapsed(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* A route about one customer (its path starts with customers/{id}) answers
 * 404 when the actor's record visibility hides that customer. */
static int customer_visible(struct req *r, const struct route *rt)
{
    const char *at = strstr(rt->path, "customers/{id}");
    int64_t id;
    if (!at || (at[14] && at[14] != '/') || req_param_id(r, 0, &id))
        return 0;
    return visibility_check_customer(&r->c, id);
}

static enum MHD_Result add_length(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    size_t *total = cls;
    *total += strlen(key) + (value ? strlen(value) : 0) + 2;
    return MHD_YES;
}

/* Decoded bytes of the query string's names and values. */
static size_t query_length(struct MHD_Connection *conn)
{
    size_t total = 0;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_length, &total);
    return total;
}

static enum MHD_Result dispatch(struct server *sv, struct MHD_Connection *conn, const char *url,
                                const char *method, struct reqstate *rs)
{
    if (strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0) {
        struct resp w = {0};
        w.raw = metrics_text(&w.raw_len);
        w.ctype = "text/plain; version=0.0.4";
        enum MHD_Result ret = send_resp(conn, &w, 1);
        resp_release(&w);
        return ret;
    }
    if (!is_api(url))
        return serve_static(sv, conn, url, method);

    struct req r = {0};
    struct resp w = {0};
    r.conn = conn;
    r.method = method;
    r.url = url;
    int rc = ctx_init(&r.c, sv->app, NULL);
    int found = -1, path_matched = 0, reading = 0;
    char allow[128] = "";
    const struct route *routes = route_list();
    for (int i = 0; !rc && routes[i].method; i++) {
        if (!match(routes[i].path, url, &r))
            continue;
        path_matched = 1;
        size_t al = strlen(allow);
        snprintf(allow + al, sizeof(allow) - al, "%s%s", al ? ", " : "", routes[i].method);
        if (strcmp(routes[i].method, method) == 0) {
            found = i;
            break;
        }
    }
    const struct route *rt = found >= 0 ? &routes[found] : NULL;
    if (!rc && !rt) {
        if (path_matched) {
            rc = err_set(&r.c.err, ERR_BADREQ, "", "method %s not allowed here", method);
            w.status = 405;
        } else {
            rc = err_set(&r.c.err, ERR_NOTFOUND, "", "no such resource");
        }
    } else if (!rc) {
        match(rt->path, url, &r); /* the loop may have matched other patterns since */
        if (query_length(conn) > HTTP_MAX_QUERY) {
            rc = err_set(&r.c.err, ERR_TOOLARGE, "query", "query string over %d bytes",
                         HTTP_MAX_QUERY);
            w.status = 414;
        }
        /* a GET reads one snapshot, taking the database locks once */
        reading = !is_unsafe(method) && ctx_begin_read(&r.c) == 0;
        if (!rc && rt->roles) {
            rc = authenticate(&r);
            if (!rc && !(r.c.actor.role & rt->roles))
                rc = err_set(&r.c.err, ERR_FORBIDDEN, "", "the role '%s' may not do this",
                             role_name(r.c.actor.role));
            if (!rc)
                rc = customer_visible(&r, rt);
        }
        /* a public route may take a form post (RFC 8058 one-click unsubscribe):
         * its body is not JSON and is left unparsed */
        if (!rc && !(rt->roles == 0 && is_form_post(&r)))
            rc = parse_body(&r, rs);
        else if (!rc && rs->too_large)
            rc = err_set(&r.c.err, ERR_TOOLARGE, "body", "request body over %d bytes",
                         HTTP_MAX_BODY);
        r.raw = rs->body; /* signed webhooks check the bytes they were sent */
        r.raw_len = rs->len;
        if (!rc) {
            for (int i = 0; i < HTTP_MAX_PARAMS && r.params[i]; i++)
                if (req_param_id(&r, i, &r.id) == 0)
                    break;
            err_clear(&r.c.err);
            rc = rt->fn(&r, &w);
        }
    }
    if (reading)
        ctx_end_read(&r.c);
    if (rc) {
        int keep405 = w.status == 405, keep414 = w.status == 414;
        problem(&w, &r.c.err, url);
        if (keep414) {
            w.status = 414;
            json_object_set_new(w.json, "status", json_integer(414));
            json_object_set_new(w.json, "title", json_string("URI too long"));
        }
        if (keep405) {
            w.status = 405;
            json_object_set_new(w.json, "status", json_integer(405));
            json_object_set_new(w.json, "title", json_string("Method not allowed"));
            snprintf(w.location, sizeof(w.location), "%s", allow);
        }
    }
    enum MHD_Result ret = send_resp(conn, &w, 1);
    observe(w.status ? w.status : 200, elapsed(&rs->start), found);
    if (log_enabled(LOG_DEBUG))
        log_debug("%s %s %d", method, url, w.status ? w.status : 200);
    json_decref(r.body);
    resp_release(&w);
    return ret;
}

/* Requests between their first byte and their answer's last: a SIGTERM
 * waits for them. */
static atomic_int in_flight;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    struct reqstate *rs = *con_cls;
    if (!rs) {
        /* answer on the second call: answering now would close keep-alive */
        rs = calloc(1, sizeof(*rs));
        if (!rs)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &rs->start);
        *con_cls = rs;
        atomic_fetch_add(&in_flight, 1);
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rs->too_large || rs->len + n > HTTP_MAX_BODY) {
            rs->too_large = 1; /* keep reading, then answer 413 */
            return MHD_YES;
        }
        if (rs->len + n + 1 > rs->cap) {
            size_t cap = rs->cap ? rs->cap : 4096;
            while (cap < rs->len + n + 1)
                cap *= 2;
            char *nb = realloc(rs->body, cap);
            if (!nb)
                return MHD_NO;
            rs->body = nb;
            rs->cap = cap;
        }
        memcpy(rs->body + rs->len, upload, n);
        rs->len += n;
        return MHD_YES;
    }
    return dispatch(cls, conn, url, method, rs);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct reqstate *rs = *con_cls;
    if (rs) {
        free(rs->body);
        free(rs);
        *con_cls = NULL;
        atomic_fetch_sub(&in_flight, 1);
    }
}

int http_serve(struct app *a, const char *bind_addr, int port, const char *web_root, int threads,
               struct err *e)
{
    if (sodium_init() < 0)
        return err_set(e, ERR_INTERNAL, "", "libsodium failed to start");
    struct server sv = {a, web_root};
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, bind_addr ? bind_addr : "127.0.0.1", &sa.sin_addr) != 1)
        return err_set(e, ERR_INVALID, "bind", "not an IPv4 address: %s", bind_addr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the pool threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
            MHD_ALLOW_SUSPEND_RESUME, /* streams sleep suspended */ (uint16_t)port, NULL, NULL,
        on_request, &sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(threads > 0 ? threads : 2), MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
    if (!d)
        return err_set(e, ERR_UNAVAILABLE, "port", "cannot listen on %s:%d (in use?)",
                       bind_addr ? bind_addr : "127.0.0.1", port);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    log_info("listening on http://%s:%u", bind_addr ? bind_addr : "127.0.0.1",
             info ? info->port : (unsigned)port);
    /* wait for the signal, waking the streams for their heartbeat meanwhile */
    const char *hb = getenv("RELATIO_SSE_HEARTBEAT");
    long beat_s = hb ? strtol(hb, NULL, 10) : 15;
    struct timespec beat = {beat_s >= 1 && beat_s <= 3600 ? beat_s : 15, 0};
    int sig;
    while ((sig = sigtimedwait(&set, NULL, &beat)) < 0)
        streams_tick(0);
    log_info("signal %d: finishing in-flight requests", sig);
    streams_tick(1); /* streams end now rather than hold the wait below */
    MHD_quiesce_daemon(d); /* no new connection; the open ones go on */
    for (int i = 0; i < 3000 && atomic_load(&in_flight) > 0; i++) {
        struct timespec ms10 = {0, 10 * 1000 * 1000};
        nanosleep(&ms10, NULL); /* at most 30 s for the answers being written */
    }
    if (atomic_load(&in_flight) > 0)
        log_warn("%d request(s) still running after 30 s: cut", atomic_load(&in_flight));
    MHD_stop_daemon(d);
    log_info("stopped");
    return 0;
}
