/*
 * Web tracking (see tracking.h): sites, the batch collector with sessions
 * and identity stitching, audience reports and personalised content.
 */
#include "app/tracking.h"

#include <ctype.h>
#include <pthread.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/audit.h"
#include "app/customers.h"
#include "app/events.h"
#include "store/store.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/timeu.h"

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* ------------------------------------------------------------------- sites */

const struct field site_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 100, NULL, NULL, NULL},
    {"origins", FT_STRINGS, FF_REQUIRED, 20, NULL, NULL,
     "origins allowed to send events, e.g. https://shop.example"},
    {"require_consent", FT_BOOL, 0, 0, NULL, NULL,
     "the snippet sends nothing until the page calls relatio.consent(true)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int origin_valid(const char *o)
{
    const char *p = !strncmp(o, "https://", 8) ? o + 8 : !strncmp(o, "http://", 7) ? o + 7 : NULL;
    if (!p || !*p)
        return 0;
    for (; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != ':' && *p != '[' &&
            *p != ']')
            return 0;
    return 1;
}

static json_t *site_row(struct stmt *s)
{
    char ts[TIME_BUF];
    json_t *origins = json_loads(stmt_text(s, 3), 0, NULL);
    return json_pack("{s:I,s:s,s:s,s:o,s:b,s:s}", "id", (json_int_t)stmt_int(s, 0), "key",
                     stmt_text(s, 1), "name", stmt_text(s, 2), "origins",
                     origins ? origins : json_array(), "require_consent", (int)stmt_int(s, 4),
                     "created_at", time_format(stmt_int(s, 5), ts, sizeof(ts)));
}

static void random_hex(char *out, size_t bytes)
{
    unsigned char buf[64];
    randombytes_buf(buf, bytes);
    sodium_bin2hex(out, bytes * 2 + 1, buf, bytes);
}

int site_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(site_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    json_t *origins = json_object_get(in, "origins");
    size_t i;
    json_t *o;
    json_array_foreach(origins, i, o)
    {
        if (!origin_valid(json_string_value(o))) {
            char f[32];
            snprintf(f, sizeof(f), "origins[%zu]", i);
            return fail(c, ERR_INVALID, f, "an origin is scheme://host[:port], without a path");
        }
    }
    if (sodium_init() < 0)
        return fail(c, ERR_INTERNAL, "", "libsodium failed to start");
    char key[2 * 12 + 1], secret[2 * 32 + 1];
    random_hex(key, 12);
    random_hex(secret, 32);
    char *ojs = json_dumps(origins, JSON_COMPACT);
    int rq = json_is_true(json_object_get(in, "require_consent"));
    rc = store_begin(c->st, &c->err);
    int64_t id = 0;
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO track_sites(key, secret, name, origins, require_consent, "
                       "created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                       "ssssii", key, secret, jstr(in, "name"), ojs, (int64_t)rq, time_now());
    free(ojs);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (rc)
        return rc;
    char ts[TIME_BUF];
    *out = json_pack("{s:I,s:s,s:s,s:s,s:O,s:b,s:s}", "id", (json_int_t)id, "key", key, "secret",
                     secret, "name", jstr(in, "name"), "origins", origins, "require_consent", rq,
                     "created_at", time_format(time_now(), ts, sizeof(ts)));
    return 0;
}

int site_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, key, name, origins, require_consent, created_at FROM "
                         "track_sites ORDER BY id",
                         "");
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1)
        json_array_append_new(items, site_row(s));
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

static int origins_has(const char *origins_json, const char *origin)
{
    json_t *a = json_loads(origins_json ? origins_json : "[]", 0, NULL);
    size_t i;
    json_t *o;
    int found = 0;
    json_array_foreach(a, i, o)
    {
        if (json_is_string(o) && !strcmp(json_string_value(o), origin))
            found = 1;
    }
    json_decref(a);
    return found;
}

int site_origin_allowed(struct ctx *c, const char *key, const char *origin)
{
    if (!origin)
        return 0;
    struct stmt *s = NULL;
    int rc =
        store_query(c->st, &s, &c->err,
                    "SELECT origins FROM track_sites WHERE ? IS NULL OR key = ?", "ss", key, key);
    if (rc)
        return rc;
    int found = 0;
    while (!found && (rc = stmt_step(s, &c->err)) == 1)
        found = origins_has(stmt_text(s, 0), origin);
    stmt_done(s);
    return rc < 0 ? rc : found;
}

/* -------------------------------------------------------------- identities */

static void identity_mac(const char *secret, const char *key, int64_t cid, int64_t exp,
                         char hex[65])
{
    char msg[128];
    int n = snprintf(msg, sizeof(msg), "%s.%lld.%lld", key, (long long)cid, (long long)exp);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, (unsigned long long)n);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, 65, mac, sizeof(mac));
}

int track_sign_identity(struct ctx *c, const char *site_key, int64_t customer_id, int64_t expires,
                        char **out)
{
    char secret[80] = "";
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, "SELECT secret FROM track_sites WHERE key = ?", "s",
                         site_key);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1)
        snprintf(secret, sizeof(secret), "%s", stmt_text(s, 0));
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "site_key", "no site with this key");
    if (rc < 0)
        return rc;
    rc = customer_exists(c, customer_id);
    if (rc)
        return rc;
    if (sodium_init() < 0)
        return fail(c, ERR_INTERNAL, "", "libsodium failed to start");
    char hex[65], buf[128];
    identity_mac(secret, site_key, customer_id, expires, hex);
    snprintf(buf, sizeof(buf), "%lld.%lld.%s", (long long)customer_id, (long long)expires, hex);
    *out = strdup(buf);
    return *out ? 0 : fail(c, ERR_INTERNAL, "", "out of memory");
}

/* The customer a token proves, or 0 (forged, expired, malformed). */
static int64_t identity_verify(const char *secret, const char *key, const char *token)
{
    long long cid = 0, exp = 0;
    char hex[80], tail;
    if (!token || strlen(token) > 200 ||
        sscanf(token, "%lld.%lld.%79[0-9a-f]%c", &cid, &exp, hex, &tail) != 3 || cid <= 0 ||
        strlen(hex) != 64 || exp < time_now())
        return 0;
    char want[65];
    identity_mac(secret, key, cid, exp, want);
    return sodium_memcmp(want, hex, 64) == 0 ? cid : 0;
}

/* -------------------------------------------------------------- collector */

/* One tracked event waiting for the batch insert (web_events row and, when
 * log is set, its event-log mirror). Strings point into the request's JSON,
 * which outlives the batch. */
struct wrow {
    int64_t customer_id, session_id, at, amount; /* amount INT64_MIN: none */
    const char *type, *title, *product, *query, *currency, *order;
    char path[512];
    char keyword[201]; /* the search engine's keyword (from_referrer) */
    int has_path, log, from_referrer;
};

/* The rows of one request: each event, and the search keyword of each
 * session it starts. */
#define WROWS_MAX (TRACK_MAX_EVENTS * 2)

struct visit {
    int64_t site_id, customer_id, guest_id, session_id, last_at, session_events;
    const char *key, *visitor;
    char secret[80];
    int dirty_session;
    struct wrow *rows;
    int nrows;
};

static const char *event_log_type(const char *t)
{
    static const char *const map[][2] = {
        {"page_view", "page.viewed"},
        {"product_view", "product.viewed"},
        {"search", "search"},
        {"add_to_cart", "cart.added"},
        {"checkout_started", "checkout.started"},
        {"purchase", "purchase"},
        {"identify", "identified"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(map[i][0], t))
            return map[i][1];
    return t;
}

/* ------------------------------------------------------ batched row writes */

/* Multi-row INSERTs in a few fixed sizes, so that the connection's statement
 * cache holds four statements per table whatever the batch size. */
static const int chunk_sizes[] = {64, 16, 4, 1};
#define NCHUNKS 4
#define WEB_COLS 13
#define LOG_COLS 5
static char *web_sql[NCHUNKS], *log_sql[NCHUNKS];
static pthread_once_t sql_once = PTHREAD_ONCE_INIT;

static char *values_sql(const char *head, const char *tuple, int rows, const char *tail)
{
    struct sbuf b = {0};
    sbuf_puts(&b, head);
    for (int i = 0; i < rows; i++) {
        sbuf_puts(&b, i ? ", " : " VALUES ");
        sbuf_puts(&b, tuple);
    }
    sbuf_puts(&b, tail);
    return sbuf_take(&b, NULL);
}

static void sql_build(void)
{
    for (int i = 0; i < NCHUNKS; i++) {
        web_sql[i] = values_sql("INSERT INTO web_events(customer_id, site_id, visitor, session_id, "
                                "at, type, path, title, product, query, amount_minor, currency, "
                                "order_ref)",
                                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", chunk_sizes[i],
                                " RETURNING id");
        /* the bulk form of event_emit (events.h): same columns, same clock */
        log_sql[i] =
            values_sql("INSERT INTO events(at, type, customer_id, subject, subject_id, data)",
                       "(?, ?, ?, 'web_event', ?, ?)", chunk_sizes[i], "");
    }
}

/* Appends s as a JSON string (quoted, escaped). */
static void json_quote(struct sbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    sbuf_put(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        sbuf_put(b, run, (size_t)(s - run));
        char esc[7] = {'\\', (char)ch, 0};
        if (ch < 0x20) {
            esc[1] = 'u';
            memcpy(esc + 2, "00", 2);
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            sbuf_put(b, esc, 6);
        } else
            sbuf_put(b, esc, 2);
        run = s + 1;
    }
    sbuf_put(b, run, (size_t)(s - run));
    sbuf_put(b, "\"", 1);
}

static void json_field(struct sbuf *b, const char *k, const char *v)
{
    if (!v)
        return;
    sbuf_put(b, ",", 1);
    json_quote(b, k);
    sbuf_put(b, ":", 1);
    json_quote(b, v);
}

/* The event-log data of a row: what the rules engine sees (keys: site,
 * visitor, session_id, path, product, query, amount_minor, currency, order;
 * a keyword from a search engine: site, visitor, query, source). */
static char *row_data(const struct visit *v, const struct wrow *w)
{
    struct sbuf b = {0};
    sbuf_puts(&b, "{\"site\":");
    json_quote(&b, v->key);
    json_field(&b, "visitor", v->visitor);
    if (w->from_referrer) {
        json_field(&b, "query", w->query);
        json_field(&b, "source", "referrer");
    } else {
        sbuf_printf(&b, ",\"session_id\":%lld", (long long)w->session_id);
        json_field(&b, "path", w->has_path ? w->path : NULL);
        json_field(&b, "product", w->product);
        json_field(&b, "query", w->query);
        json_field(&b, "currency", w->currency);
        json_field(&b, "order", w->order);
        if (w->amount != INT64_MIN)
            sbuf_printf(&b, ",\"amount_minor\":%lld", (long long)w->amount);
    }
    sbuf_put(&b, "}", 1);
    return sbuf_take(&b, NULL);
}

static struct bindv bi(int64_t x)
{
    return (struct bindv){'i', x, 0, NULL};
}

static struct bindv bs(const char *x)
{
    return (struct bindv){x ? 's' : 'n', 0, 0, x};
}

/* Writes rows [from, from + k) with the k-row statement; ids[] gets their
 * ids in order. */
static int rows_insert(struct ctx *c, const struct visit *v, int from, int k, int chunk,
                       int64_t *ids)
{
    struct bindv a[64 * WEB_COLS];
    int na = 0;
    for (int i = from; i < from + k; i++) {
        const struct wrow *w = &v->rows[i];
        a[na++] = bi(w->customer_id);
        a[na++] = bi(v->site_id);
        a[na++] = bs(v->visitor);
        a[na++] = bi(w->session_id);
        a[na++] = bi(w->at);
        a[na++] = bs(w->type);
        a[na++] = bs(w->has_path ? w->path : NULL);
        a[na++] = bs(w->title);
        a[na++] = bs(w->product);
        a[na++] = bs(w->query);
        a[na++] = w->amount == INT64_MIN ? bs(NULL) : bi(w->amount);
        a[na++] = bs(w->currency);
        a[na++] = bs(w->order);
    }
    struct stmt *s = NULL;
    int rc = store_queryv(c->st, &s, &c->err, web_sql[chunk], a, na);
    if (rc)
        return rc;
    /* RETURNING yields the rows in the order of the VALUES list */
    int n = 0;
    while ((rc = stmt_step(s, &c->err)) == 1)
        if (n < k)
            ids[n++] = stmt_int(s, 0);
    stmt_done(s);
    if (rc < 0)
        return rc;
    if (n != k)
        return fail(c, ERR_INTERNAL, "", "batch insert returned %d ids for %d rows", n, k);
    /* the event-log mirror of the same rows */
    int64_t now = time_now();
    char *data[64] = {0};
    na = 0;
    int nlog = 0;
    for (int i = 0; i < k; i++) {
        const struct wrow *w = &v->rows[from + i];
        if (!w->log)
            continue;
        data[nlog] = row_data(v, w);
        if (!data[nlog]) {
            rc = fail(c, ERR_INTERNAL, "", "out of memory");
            break;
        }
        a[na++] = bi(now);
        a[na++] = bs(w->from_referrer ? "search" : event_log_type(w->type));
        a[na++] = bi(w->customer_id);
        a[na++] = bi(ids[i]);
        a[na++] = bs(data[nlog]);
        nlog++;
    }
    /* the mirror rows in chunks of the fixed sizes too */
    for (int off = 0, ci = 0; !rc && off < nlog;) {
        while (chunk_sizes[ci] > nlog - off)
            ci++;
        rc = store_queryv(c->st, &s, &c->err, log_sql[ci], a + off * LOG_COLS,
                          chunk_sizes[ci] * LOG_COLS);
        if (!rc) {
            rc = stmt_step(s, &c->err);
            stmt_done(s);
            rc = rc < 0 ? rc : 0;
        }
        off += chunk_sizes[ci];
    }
    for (int i = 0; i < nlog; i++)
        free(data[i]);
    return rc;
}

/* Writes the rows waiting in v (in the order they came). */
static int rows_flush(struct ctx *c, struct visit *v)
{
    pthread_once(&sql_once, sql_build);
    int64_t ids[64];
    int rc = 0, off = 0, ci = 0;
    while (!rc && off < v->nrows) {
        while (chunk_sizes[ci] > v->nrows - off)
            ci++;
        rc = rows_insert(c, v, off, chunk_sizes[ci], ci, ids);
        off += chunk_sizes[ci];
    }
    v->nrows = 0;
    return rc;
}

static struct wrow *row_add(struct visit *v, const char *type, int64_t at, const char *url)
{
    struct wrow *w = &v->rows[v->nrows++];
    memset(w, 0, offsetof(struct wrow, path));
    w->path[0] = 0;
    w->customer_id = v->customer_id;
    w->session_id = v->session_id;
    w->at = at;
    w->type = type;
    w->amount = INT64_MIN;
    w->has_path = url != NULL;
    if (url)
        url_path(url, w->path, sizeof(w->path));
    w->log = 1;
    w->from_referrer = 0;
    return w;
}

static int session_flush(struct ctx *c, struct visit *v)
{
    if (!v->dirty_session)
        return 0;
    v->dirty_session = 0;
    return store_run(c->st, NULL, &c->err,
                     "UPDATE web_sessions SET last_at = ?, events = events + ? WHERE id = ?", "iii",
                     v->last_at, v->session_events, v->session_id);
}

/* Starts a session when there is none or the last one went quiet. */
static int session_touch(struct ctx *c, struct visit *v, int64_t at, const json_t *ev)
{
    if (v->session_id && at - v->last_at <= TRACK_SESSION_GAP) {
        if (at > v->last_at)
            v->last_at = at;
        v->session_events++;
        v->dirty_session = 1;
        return 0;
    }
    int rc = session_flush(c, v);
    if (rc)
        return rc;
    char keyword[201], rhost[256], path[512];
    const char *url = jstr(ev, "url"), *ref = jstr(ev, "referrer");
    const char *source = url_source(url, ref, keyword, sizeof(keyword));
    url_host(ref, rhost, sizeof(rhost));
    url_path(url, path, sizeof(path));
    rc = store_int(c->st, &v->session_id, &c->err,
                   "INSERT INTO web_sessions(customer_id, site_id, visitor, started_at, last_at, "
                   "events, landing, source, referrer, keyword) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, "
                   "?) RETURNING id",
                   "iisiissss", v->customer_id, v->site_id, v->visitor, at, at, url ? path : NULL,
                   source, rhost[0] && strcmp(source, "direct") ? rhost : NULL,
                   keyword[0] ? keyword : NULL);
    v->last_at = at;
    v->session_events = 1;
    v->dirty_session = 1;
    if (rc || !keyword[0])
        return rc;
    /* the keyword that brought the visitor is a search like a site search */
    struct wrow *w = row_add(v, "search", at, url);
    w->from_referrer = 1;
    snprintf(w->keyword, sizeof(w->keyword), "%s", keyword);
    w->query = w->keyword;
    return 0;
}

/* Joins the visitor's anonymous history to customer cid. */
static int stitch(struct ctx *c, struct visit *v, int64_t cid, int64_t at)
{
    int rc = customer_exists(c, cid);
    if (rc)
        return rc;
    if (cid == v->customer_id)
        return 0;
    int64_t moved = 0, from = v->customer_id;
    rc = rows_flush(c, v); /* the batch's earlier events join the history too */
    if (!rc)
        rc = session_flush(c, v);
    if (!rc && from == v->guest_id) {
        /* anonymous until now: the whole history becomes the customer's */
        rc = store_run(c->st, &moved, &c->err,
                       "UPDATE web_events SET customer_id = ? WHERE customer_id = ?", "ii", cid,
                       from);
        if (!rc)
            rc = store_run(c->st, NULL, &c->err,
                           "UPDATE web_sessions SET customer_id = ? WHERE customer_id = ?", "ii",
                           cid, from);
        if (!rc)
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO personalization(customer_id, slot, content, expires_at, "
                           "updated_at) SELECT ?, slot, content, expires_at, updated_at FROM "
                           "personalization WHERE customer_id = ? AND true ON CONFLICT DO NOTHING",
                           "ii", cid, from);
        if (!rc)
            rc = store_run(c->st, NULL, &c->err,
                           "UPDATE customers SET merged_into = ?, updated_at = ? WHERE id = ? AND "
                           "kind = 'guest'",
                           "iii", cid, time_now(), from);
    } else if (!rc) {
        /* someone else signs in on a shared browser: a new session for them */
        v->session_id = 0;
    }
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE web_visitors SET customer_id = ?, identified_at = ? WHERE site_id = "
                       "? AND visitor = ?",
                       "iiis", cid, at, v->site_id, v->visitor);
    json_t *d = json_pack("{s:s,s:s,s:I,s:I}", "site", v->key, "visitor", v->visitor, "guest_id",
                          (json_int_t)v->guest_id, "events_joined", (json_int_t)moved);
    if (!rc)
        rc = audit_record(c, "stitch", "customer", cid, NULL, d);
    if (!rc)
        rc = event_emit(c, "identified", cid, "web_visitor", 0, d, NULL);
    json_decref(d);
    if (!rc)
        v->customer_id = cid;
    return rc;
}

static int visit_open(struct ctx *c, struct visit *v, int64_t now)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id, guest_id, session_id, last_seen FROM web_visitors "
                         "WHERE site_id = ? AND visitor = ?",
                         "is", v->site_id, v->visitor);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1) {
        v->customer_id = stmt_int(s, 0);
        v->guest_id = stmt_int(s, 1);
        v->session_id = stmt_isnull(s, 2) ? 0 : stmt_int(s, 2);
        v->last_at = stmt_int(s, 3);
    }
    stmt_done(s);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    /* first sight: a guest customer so that every event has a customer */
    rc = store_int(c->st, &v->guest_id, &c->err,
                   "INSERT INTO customers(kind, created_at, updated_at) VALUES ('guest', ?, ?) "
                   "RETURNING id",
                   "ii", now, now);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO web_visitors(site_id, visitor, customer_id, guest_id, "
                       "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)",
                       "isiiii", v->site_id, v->visitor, v->guest_id, v->guest_id, now, now);
    v->customer_id = v->guest_id;
    v->session_id = 0;
    return rc;
}

int track_join_visitor(struct ctx *c, const char *site_key, const char *visitor, int64_t cid,
                       int *joined)
{
    *joined = 0;
    if (!site_key || !visitor || !visitor_valid(visitor))
        return 0;
    struct visit v = {0};
    v.key = site_key;
    v.visitor = visitor;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT w.site_id, w.customer_id, w.guest_id, w.session_id, w.last_seen "
                         "FROM web_visitors w JOIN track_sites t ON t.id = w.site_id WHERE t.key "
                         "= ? AND w.visitor = ?",
                         "ss", site_key, visitor);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1) {
        v.site_id = stmt_int(s, 0);
        v.customer_id = stmt_int(s, 1);
        v.guest_id = stmt_int(s, 2);
        v.session_id = stmt_isnull(s, 3) ? 0 : stmt_int(s, 3);
        v.last_at = stmt_int(s, 4);
    }
    stmt_done(s);
    if (rc <= 0)
        return rc; /* an unknown visitor has no history to join */
    if (v.customer_id != v.guest_id && v.customer_id != cid)
        return 0; /* known as someone else: only a signed identify moves it */
    rc = stitch(c, &v, cid, time_now());
    if (!rc)
        *joined = 1;
    return rc;
}

/* 1 when the customer's latest tracking decision is a refusal. */
static int tracking_refused(struct ctx *c, int64_t cid)
{
    int64_t granted = 1;
    int rc = store_int(c->st, &granted, &c->err,
                       "SELECT granted FROM consents WHERE customer_id = ? AND channel = "
                       "'tracking' ORDER BY at DESC, id DESC LIMIT 1",
                       "i", cid);
    if (rc == ERR_NOTFOUND)
        return 0;
    return rc < 0 ? rc : granted == 0;
}

static int64_t event_time(const json_t *ev, int64_t now)
{
    int64_t t;
    const char *s = jstr(ev, "at");
    if (s && time_parse(s, &t) == 0 && t >= now - 7 * 86400 && t <= now + 300)
        return t;
    return now;
}

static int ingest(struct ctx *c, struct visit *v, const json_t *ev, int64_t now, json_t *rejected,
                  size_t index, int *accepted)
{
    const char *type = jstr(ev, "type");
    int64_t at = event_time(ev, now);
    int rc;
    if (!strcmp(type, "identify")) {
        int64_t cid = identity_verify(v->secret, v->key, jstr(ev, "token"));
        if (cid > 0 && customer_exists(c, cid) == 0) {
            rc = stitch(c, v, cid, at);
            if (rc)
                return rc;
        } else {
            err_clear(&c->err);
            log_warn("tracking: identify refused on site %s, visitor %s", v->key, v->visitor);
            json_array_append_new(rejected,
                                  json_pack("{s:I,s:s}", "index", (json_int_t)index, "reason",
                                            "identify token not valid (forged or expired)"));
            return 0;
        }
    }
    rc = session_touch(c, v, at, ev);
    if (rc)
        return rc;
    json_t *amount = json_object_get(ev, "amount_minor");
    struct wrow *w = row_add(v, type, at, jstr(ev, "url"));
    w->title = jstr(ev, "title");
    w->product = jstr(ev, "product");
    w->query = jstr(ev, "query");
    w->currency = jstr(ev, "currency");
    w->order = jstr(ev, "order");
    if (json_is_integer(amount))
        w->amount = (int64_t)json_integer_value(amount);
    w->log = strcmp(type, "identify") != 0; /* stitch() logged "identified" already */
    (*accepted)++;
    return 0;
}

static json_t *ack(const char *visitor, int accepted, int ignored, const char *reason)
{
    json_t *o = json_pack("{s:s?,s:i,s:i,s:o,s:[]}", "visitor", visitor, "accepted", accepted,
                          "ignored", ignored, "content", json_object(), "rejected");
    if (reason)
        json_object_set_new(o, "reason", json_string(reason));
    return o;
}

/* track_collect; own 0: inside the group's transaction without a savepoint
 * of its own (the group rolls back whole when one fails). */
static int collect(struct ctx *c, const struct collect_req *rq, const json_t *batch, int own,
                   json_t **out)
{
    struct visit v = {0};
    v.key = jstr(batch, "key");
    json_t *evs = json_object_get(batch, "events");
    int n = (int)json_array_size(evs), rc;
    char origins[4096] = "[]";
    int64_t require_consent = 0;
    {
        struct stmt *s = NULL;
        rc = store_query(c->st, &s, &c->err,
                         "SELECT id, secret, origins, require_consent FROM track_sites WHERE key "
                         "= ?",
                         "s", v.key);
        if (rc)
            return rc;
        rc = stmt_step(s, &c->err);
        if (rc == 1) {
            v.site_id = stmt_int(s, 0);
            snprintf(v.secret, sizeof(v.secret), "%s", stmt_text(s, 1));
            snprintf(origins, sizeof(origins), "%s", stmt_text(s, 2));
            require_consent = stmt_int(s, 3);
        }
        stmt_done(s);
        if (rc == 0)
            return fail(c, ERR_NOTFOUND, "key", "no site with this key");
        if (rc < 0)
            return rc;
    }
    if (rq->origin && !origins_has(origins, rq->origin))
        return fail(c, ERR_FORBIDDEN, "Origin", "origin '%.100s' is not registered for this site",
                    rq->origin);
    if (track_is_bot(rq->user_agent)) {
        *out = ack(NULL, 0, n, "bot");
        return 0;
    }
    if (require_consent && !json_is_true(json_object_get(batch, "consent"))) {
        *out = ack(NULL, 0, n, "consent");
        return 0;
    }
    char fresh[33];
    v.visitor = jstr(batch, "visitor");
    if (!v.visitor && rq->visitor && visitor_valid(rq->visitor))
        v.visitor = rq->visitor;
    if (!v.visitor) {
        random_hex(fresh, 16);
        v.visitor = fresh;
    }
    int64_t now = time_now();
    v.rows = malloc(WROWS_MAX * sizeof(*v.rows));
    if (!v.rows)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    rc = own ? store_begin(c->st, &c->err) : 0;
    if (rc) {
        free(v.rows);
        return rc;
    }
    rc = visit_open(c, &v, now);
    int refused = 0;
    if (!rc && v.customer_id != v.guest_id) {
        refused = tracking_refused(c, v.customer_id);
        rc = refused < 0 ? refused : 0;
    }
    int accepted = 0;
    json_t *rejected = json_array();
    for (int i = 0; !rc && !refused && i < n; i++)
        rc = ingest(c, &v, json_array_get(evs, (size_t)i), now, rejected, (size_t)i, &accepted);
    if (!rc)
        rc = rows_flush(c, &v);
    free(v.rows);
    if (!rc)
        rc = session_flush(c, &v);
    if (!rc && accepted)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE web_visitors SET last_seen = ?, session_id = ? WHERE site_id = ? "
                       "AND visitor = ?",
                       "iiis", v.last_at > now ? v.last_at : now, v.session_id, v.site_id,
                       v.visitor);
    json_t *content = NULL;
    if (!rc)
        rc = personalize_get(c, v.customer_id, &content);
    if (!rc && own)
        rc = store_commit(c->st, &c->err);
    else if (rc && own)
        store_rollback(c->st);
    if (rc) {
        json_decref(rejected);
        json_decref(content);
        return rc;
    }
    *out = ack(v.visitor, accepted, n - accepted, refused ? "consent" : NULL);
    json_object_set_new(*out, "content", content);
    json_object_set_new(*out, "rejected", rejected);
    if (v.customer_id != v.guest_id)
        json_object_set_new(*out, "customer_id", json_integer(v.customer_id));
    return 0;
}

/* Group commit: concurrent collect requests share one transaction. The
 * first request to find no leader becomes it, takes the waiting requests
 * (up to GROUP_MAX), runs them on its connection in one transaction (no
 * savepoint each unless one fails, see group_pass), commits once and wakes
 * the others, whose answers are sent only after that commit. */
#define GROUP_MAX 64

struct pending {
    struct ctx *c;
    const struct collect_req *rq;
    const json_t *batch;
    json_t *out;
    int rc, done;
    struct pending *next;
};

static pthread_mutex_t group_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t group_done = PTHREAD_COND_INITIALIZER;
static struct pending *group_head, *group_tail;
static int group_leading;

int track_collect(struct ctx *c, const struct collect_req *rq, const json_t *batch, json_t **out)
{
    return collect(c, rq, batch, 1, out);
}

/* Runs the group's requests in one transaction; careful 0: without a
 * savepoint each (the cheap way; 1 when one of them failed: it is all rolled
 * back and the caller runs the group again with careful 1), careful 1: each
 * in its own savepoint, so that one failure costs only that request. */
static int group_pass(struct ctx *c, struct pending *list, int careful)
{
    int rc = store_begin(c->st, &c->err);
    for (struct pending *p = list; p; p = p->next) {
        if (rc) {
            p->rc = rc;
            p->c->err = c->err;
            continue;
        }
        struct ctx lc = *p->c;
        lc.st = c->st; /* the leader's connection holds the transaction */
        err_clear(&lc.err);
        p->rc = collect(&lc, p->rq, p->batch, careful, &p->out);
        p->c->err = lc.err;
        if (p->rc && !careful) {
            store_rollback(c->st);
            for (struct pending *q = list; q; q = q->next) {
                json_decref(q->out);
                q->out = NULL;
            }
            return 1;
        }
    }
    if (!rc)
        rc = store_commit(c->st, &c->err);
    if (rc) /* nothing of the group is durable: nobody is told otherwise */
        for (struct pending *p = list; p; p = p->next) {
            if (!p->rc) {
                json_decref(p->out);
                p->out = NULL;
                p->rc = rc;
                p->c->err = c->err;
            }
        }
    return 0;
}

static void group_run(struct ctx *c, struct pending *list)
{
    if (list->next == NULL) /* alone: one pass, a failure is its own */
        group_pass(c, list, 1);
    else if (group_pass(c, list, 0))
        group_pass(c, list, 1);
}

int track_collect_grouped(struct ctx *c, const struct collect_req *rq, const json_t *batch,
                          json_t **out)
{
    struct pending me = {c, rq, batch, NULL, 0, 0, NULL};
    pthread_mutex_lock(&group_lock);
    if (group_tail)
        group_tail->next = &me;
    else
        group_head = &me;
    group_tail = &me;
    while (!me.done) {
        if (!group_leading) {
            group_leading = 1;
            struct pending *list = group_head, *last = list;
            for (int n = 1; n < GROUP_MAX && last->next; n++)
                last = last->next;
            group_head = last->next;
            if (!group_head)
                group_tail = NULL;
            last->next = NULL;
            pthread_mutex_unlock(&group_lock);
            group_run(c, list);
            pthread_mutex_lock(&group_lock);
            for (struct pending *p = list, *nx; p; p = nx) {
                nx = p->next;
                p->done = 1;
            }
            group_leading = 0;
            pthread_cond_broadcast(&group_done);
        } else {
            pthread_cond_wait(&group_done, &group_lock);
        }
    }
    pthread_mutex_unlock(&group_lock);
    *out = me.out;
    return me.rc;
}

/* ---------------------------------------------------------------- reports */

static int report_rows(struct ctx *c, json_t *into, const char *name, const char *sql,
                       const char *const *cols, int64_t site, int64_t from, int64_t to)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, sql, "iiii", site, site, from, to);
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1) {
        json_t *o = json_object();
        for (int i = 0; cols[i]; i++)
            json_object_set_new(o, cols[i],
                                stmt_isnull(s, i)   ? json_null()
                                : cols[i][0] == '#' ? json_integer(stmt_int(s, i))
                                                    : json_string(stmt_text(s, i)));
        /* '#' marks a count column; the key is the name after it */
        const char *k;
        json_t *val;
        void *tmp;
        json_object_foreach_safe(o, tmp, k, val)
        {
            if (k[0] == '#') {
                json_object_set(o, k + 1, val);
                json_object_del(o, k);
            }
        }
        json_array_append_new(items, o);
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    json_object_set_new(into, name, items);
    return 0;
}

#define SITE_RANGE "(? = 0 OR site_id = ?) AND at >= ? AND at < ?"
#define SESS_RANGE "(? = 0 OR site_id = ?) AND started_at >= ? AND started_at < ?"

int track_report(struct ctx *c, const char *site_key, int64_t from, int64_t to, json_t **out)
{
    int64_t site = 0;
    int rc;
    if (to <= from)
        return fail(c, ERR_INVALID, "to", "the end comes after the start");
    if (site_key) {
        rc = store_int(c->st, &site, &c->err, "SELECT id FROM track_sites WHERE key = ?", "s",
                       site_key);
        if (rc == ERR_NOTFOUND)
            return fail(c, ERR_NOTFOUND, "site", "no site with this key");
        if (rc)
            return rc;
    }
    json_t *r = json_object();
    char ts[TIME_BUF];
    json_object_set_new(r, "from", json_string(time_format(from, ts, sizeof(ts))));
    json_object_set_new(r, "to", json_string(time_format(to, ts, sizeof(ts))));
    struct stmt *s = NULL;
    rc = store_query(
        c->st, &s, &c->err,
        "SELECT COUNT(DISTINCT visitor), COUNT(*), COALESCE(SUM(CASE WHEN type = "
        "'page_view' THEN 1 ELSE 0 END), 0), COUNT(DISTINCT customer_id) FROM web_events "
        "WHERE " SITE_RANGE,
        "iiii", site, site, from, to);
    if (!rc && (rc = stmt_step(s, &c->err)) == 1) {
        json_object_set_new(r, "visitors", json_integer(stmt_int(s, 0)));
        json_object_set_new(r, "events", json_integer(stmt_int(s, 1)));
        json_object_set_new(r, "page_views", json_integer(stmt_int(s, 2)));
        rc = 0;
    }
    stmt_done(s);
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT COUNT(*), COALESCE(SUM(CASE WHEN events = 1 THEN 1 ELSE 0 END), 0), "
                         "COALESCE(AVG(last_at - "
                         "started_at), 0) FROM web_sessions WHERE " SESS_RANGE,
                         "iiii", site, site, from, to);
    if (!rc && (rc = stmt_step(s, &c->err)) == 1) {
        json_object_set_new(r, "sessions", json_integer(stmt_int(s, 0)));
        json_object_set_new(r, "bounces", json_integer(stmt_int(s, 1)));
        json_object_set_new(r, "avg_session_seconds", json_integer(stmt_int(s, 2)));
        rc = 0;
    }
    stmt_done(s);
    static const char *const page_cols[] = {"path", "#views", "#visitors", NULL};
    static const char *const src_cols[] = {"source", "#sessions", NULL};
    static const char *const ref_cols[] = {"referrer", "#sessions", NULL};
    static const char *const kw_cols[] = {"keyword", "#searches", NULL};
    if (!rc)
        rc = report_rows(c, r, "top_pages",
                         "SELECT path, COUNT(*) AS n, COUNT(DISTINCT visitor) FROM web_events "
                         "WHERE type = 'page_view' AND " SITE_RANGE
                         " GROUP BY path ORDER BY n DESC, path LIMIT 20",
                         page_cols, site, from, to);
    if (!rc)
        rc = report_rows(c, r, "sources",
                         "SELECT source, COUNT(*) AS n FROM web_sessions WHERE " SESS_RANGE
                         " GROUP BY source ORDER BY n DESC, source",
                         src_cols, site, from, to);
    if (!rc)
        rc = report_rows(c, r, "referrers",
                         "SELECT referrer, COUNT(*) AS n FROM web_sessions WHERE referrer IS NOT "
                         "NULL AND " SESS_RANGE
                         " GROUP BY referrer ORDER BY n DESC, referrer LIMIT 20",
                         ref_cols, site, from, to);
    if (!rc)
        rc = report_rows(c, r, "keywords",
                         "SELECT lower(query) AS q, COUNT(*) AS n FROM web_events WHERE type = "
                         "'search' AND " SITE_RANGE " GROUP BY q ORDER BY n DESC, q LIMIT 20",
                         kw_cols, site, from, to);
    /* funnel: visitors reaching each step after all the earlier ones */
    if (!rc)
        rc =
            store_query(c->st, &s, &c->err,
                        "SELECT COALESCE(SUM(p), 0), COALESCE(SUM(p * a), 0), COALESCE(SUM(p * a * "
                        "k), 0), COALESCE(SUM(p * a * k * b), 0) FROM (SELECT visitor, MAX(CASE "
                        "WHEN type = 'product_view' THEN 1 ELSE 0 END) AS p, MAX(CASE WHEN type = "
                        "'add_to_cart' THEN 1 ELSE 0 END) AS a, MAX(CASE WHEN type = "
                        "'checkout_started' THEN 1 ELSE 0 END) AS k, MAX(CASE WHEN type = "
                        "'purchase' THEN 1 ELSE 0 END) AS b "
                        "FROM web_events WHERE " SITE_RANGE " GROUP BY visitor) AS v",
                        "iiii", site, site, from, to);
    if (!rc && (rc = stmt_step(s, &c->err)) == 1) {
        static const char *const steps[] = {"product_view", "add_to_cart", "checkout_started",
                                            "purchase"};
        json_t *f = json_array();
        int64_t first = stmt_int(s, 0);
        for (int i = 0; i < 4; i++) {
            int64_t n = stmt_int(s, i);
            json_array_append_new(f, json_pack("{s:s,s:I,s:f}", "step", steps[i], "visitors",
                                               (json_int_t)n, "rate",
                                               first ? (double)n / (double)first : 0.0));
        }
        json_object_set_new(r, "funnel", f);
        rc = 0;
    }
    stmt_done(s);
    if (rc) {
        json_decref(r);
        return rc;
    }
    *out = r;
    return 0;
}

int track_customer_events(struct ctx *c, int64_t customer_id, int64_t before_id, int limit,
                          json_t **out)
{
    if (limit <= 0)
        limit = 50;
    if (limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    int rc = customer_exists(c, customer_id);
    if (rc)
        return rc;
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT id, at, type, path, title, product, query, amount_minor, currency, "
                     "order_ref, session_id, visitor FROM web_events WHERE customer_id = ? AND id "
                     "< ? ORDER BY id DESC LIMIT ?",
                     "iii", customer_id, before_id > 0 ? before_id : INT64_MAX, (int64_t)limit + 1);
    if (rc)
        return rc;
    static const char *const names[] = {
        "id",           "at",       "type",  "path",       "title",   "product", "query",
        "amount_minor", "currency", "order", "session_id", "visitor", NULL};
    static const char types[] = "itsssssisiis";
    json_t *items = json_array();
    int n = 0;
    int64_t last = 0;
    char ts[TIME_BUF];
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (n++ == limit)
            break;
        last = stmt_int(s, 0);
        json_t *o = json_object();
        for (int i = 0; names[i]; i++) {
            json_t *val = stmt_isnull(s, i) ? json_null()
                          : types[i] == 'i' ? json_integer(stmt_int(s, i))
                          : types[i] == 't'
                              ? json_string(time_format(stmt_int(s, i), ts, sizeof(ts)))
                              : json_string(stmt_text(s, i));
            json_object_set_new(o, names[i], val);
        }
        json_array_append_new(items, o);
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    char cur[32];
    snprintf(cur, sizeof(cur), "%lld", (long long)last);
    *out = json_pack("{s:o,s:o}", "items", items, "next_cursor",
                     n > limit ? json_string(cur) : json_null());
    return 0;
}

/* ---------------------------------------------------------- personalization */

static int slot_valid(const char *slot)
{
    size_t n = slot ? strlen(slot) : 0;
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)slot[i]) && !isdigit((unsigned char)slot[i]) && slot[i] != '_')
            return 0;
    return 1;
}

int personalize_set(struct ctx *c, int64_t customer_id, const char *slot, const json_t *content,
                    int64_t expires_at)
{
    if (!slot_valid(slot))
        return fail(c, ERR_INVALID, "slot", "1 to 32 of [a-z0-9_]");
    if (content && !json_is_object(content))
        return fail(c, ERR_INVALID, "content", "must be a JSON object");
    char *js = content ? json_dumps(content, JSON_COMPACT) : NULL;
    if (js && strlen(js) > 8192) {
        free(js);
        return fail(c, ERR_TOOLARGE, "content", "at most 8192 bytes");
    }
    int rc = store_begin(c->st, &c->err);
    if (!rc)
        rc = customer_exists(c, customer_id);
    if (!rc && js)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO personalization(customer_id, slot, content, expires_at, "
                       "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(customer_id, slot) DO "
                       "UPDATE SET content = excluded.content, expires_at = excluded.expires_at, "
                       "updated_at = excluded.updated_at",
                       "issIi", customer_id, slot, js, expires_at > 0 ? expires_at : INT64_MIN,
                       time_now());
    else if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "DELETE FROM personalization WHERE customer_id = ? AND slot = ?", "is",
                       customer_id, slot);
    free(js);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int personalize_get(struct ctx *c, int64_t customer_id, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT slot, content FROM personalization WHERE customer_id = ? AND "
                         "(expires_at IS NULL OR expires_at > ?) ORDER BY slot",
                         "ii", customer_id, time_now());
    if (rc)
        return rc;
    json_t *o = json_object();
    while ((rc = stmt_step(s, &c->err)) == 1) {
        json_t *v = json_loads(stmt_text(s, 1), 0, NULL);
        if (v)
            json_object_set_new(o, stmt_text(s, 0), v);
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}
