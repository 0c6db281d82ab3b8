/* Duplicate customers (see duplicates.h). */
#include "app/duplicates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/dedup.h"
#include "store/store.h"
#include "util/text.h"
#include "util/timeu.h"

/* ----------------------------------------------------------------- records */

/* The customers as dedup records; strings live in one buffer. */
struct recs {
    struct dedup_rec *v;
    int64_t *updated; /* updated_at per record */
    size_t n, cap;
    char *buf;
    size_t len, bcap;
    size_t (*offs)[9]; /* string offsets, turned into pointers at the end */
};

enum { F_FIRST, F_LAST, F_ORG, F_EMAIL, F_PHONE, F_POSTAL, F_CITY, F_BIRTH, F_STREET };

static int put(struct recs *r, size_t *off, const char *s, int folded)
{
    char tmp[256];
    if (!s || !*s) {
        *off = SIZE_MAX;
        return 0;
    }
    if (folded) {
        if (text_fold(s, tmp, sizeof(tmp)) <= 0) {
            *off = SIZE_MAX;
            return 0;
        }
        s = tmp;
    }
    size_t l = strlen(s) + 1;
    if (r->len + l > r->bcap) {
        size_t cap = r->bcap ? r->bcap * 2 : 1 << 20;
        while (cap < r->len + l)
            cap *= 2;
        char *b = realloc(r->buf, cap);
        if (!b)
            return -1;
        r->buf = b;
        r->bcap = cap;
    }
    memcpy(r->buf + r->len, s, l);
    *off = r->len;
    r->len += l;
    return 0;
}

static void recs_free(struct recs *r)
{
    free(r->v);
    free(r->updated);
    free(r->buf);
    free(r->offs);
    memset(r, 0, sizeof(*r));
}

#define REC_SQL                                                                                    \
    "SELECT c.id, c.first_name, c.last_name, c.name, c.email, c.phone, a.postal_code, a.city, "  \
    "c.birth_date, a.line1, c.updated_at FROM customers c LEFT JOIN customer_addresses a ON "      \
    "a.customer_id = c.id AND a.is_primary = 1 WHERE c.merged_into IS NULL AND c.erased_at IS "   \
    "NULL AND c.kind <> 'guest'"

/* Reads the rows of s into r (skipping a repeated id). */
static int recs_read(struct ctx *c, struct stmt *s, struct recs *r, size_t expect,
                     const struct dup_scan_opts *o)
{
    int rc;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        int64_t id = stmt_int(s, 0);
        if (r->n && r->v[r->n - 1].id == id)
            continue;
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 1024;
            struct dedup_rec *v = realloc(r->v, cap * sizeof(*v));
            int64_t *u = v ? realloc(r->updated, cap * sizeof(*u)) : NULL;
            size_t(*of)[9] = u ? realloc(r->offs, cap * sizeof(*of)) : NULL;
            if (v)
                r->v = v;
            if (u)
                r->updated = u;
            if (!of) {
                stmt_done(s);
                return fail(c, ERR_INTERNAL, "", "out of memory");
            }
            r->offs = of;
            r->cap = cap;
        }
        size_t *of = r->offs[r->n];
        static const int folded[9] = {1, 1, 1, 0, 0, 0, 1, 0, 1};
        int bad = 0;
        for (int f = 0; f < 9; f++)
            bad |= put(r, &of[f], stmt_text(s, 1 + f), folded[f]);
        if (bad) {
            stmt_done(s);
            return fail(c, ERR_INTERNAL, "", "out of memory");
        }
        r->v[r->n].id = id;
        r->updated[r->n] = stmt_int(s, 10);
        r->n++;
        if (o && o->progress && expect && (r->n & 0xffff) == 0)
            o->progress("load", (double)r->n / (double)expect, o->progress_arg);
    }
    stmt_done(s);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < r->n; i++) {
        const char **f[9] = {&r->v[i].first, &r->v[i].last,  &r->v[i].org,
                             &r->v[i].email, &r->v[i].phone, &r->v[i].postal,
                             &r->v[i].city,  &r->v[i].birth, &r->v[i].street};
        for (int k = 0; k < 9; k++)
            *f[k] = r->offs[i][k] == SIZE_MAX ? NULL : r->buf + r->offs[i][k];
    }
    return 0;
}

/* ------------------------------------------------------------------- scan */

static void reasons_json(unsigned why, char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "[");
    for (int b = 0; b < DEDUP_NREASONS && n < len; b++)
        if (why & (1u << b))
            n += (size_t)snprintf(out + n, len - n, "%s\"%s\"", n > 1 ? "," : "",
                                  dedup_reason_name(b));
    if (n < len)
        snprintf(out + n, len - n, "]");
}

static int store_pairs(struct ctx *c, const struct recs *r, const struct dedup_pair *p, size_t np,
                       int64_t since, size_t *kept)
{
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = store_run(c->st, NULL, &c->err, "DELETE FROM duplicate_pairs WHERE status = 'open'", "");
    int64_t now = time_now();
    *kept = 0;
    for (size_t i = 0; !rc && i < np; i++) {
        if (since > 0) {
            /* records are sorted by id: find both sides' update times */
            int64_t ua = 0, ub = 0;
            size_t lo = 0, hi = r->n;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (r->v[mid].id < p[i].a)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            ua = lo < r->n ? r->updated[lo] : 0;
            lo = 0, hi = r->n;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (r->v[mid].id < p[i].b)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            ub = lo < r->n ? r->updated[lo] : 0;
            if (ua < since && ub < since)
                continue;
        }
        char why[256];
        reasons_json(p[i].reasons, why, sizeof(why));
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO duplicate_pairs(a, b, score, reasons, found_at) VALUES (?, ?, "
                       "?, ?, ?) ON CONFLICT (a, b) DO NOTHING",
                       "iidsi", p[i].a, p[i].b, p[i].score, why, now);
        (*kept)++;
    }
    if (!rc)
        return store_commit(c->st, &c->err);
    store_rollback(c->st);
    return rc;
}

static void dedup_prog(const char *stage, double frac, void *arg)
{
    const struct dup_scan_opts *o = arg;
    o->progress(stage, frac, o->progress_arg);
}

int duplicates_scan(struct ctx *c, const struct dup_scan_opts *o, json_t **out)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double threshold = o->threshold > 0 ? o->threshold : DUPLICATES_THRESHOLD;
    int64_t expect = 0;
    int rc = store_int(c->st, &expect, &c->err,
                       "SELECT COUNT(*) FROM customers WHERE merged_into IS NULL AND erased_at IS "
                       "NULL AND kind <> 'guest'",
                       "");
    struct recs r = {0};
    struct stmt *s = NULL;
    if (!rc)
        rc = store_query(c->st, &s, &c->err, REC_SQL " ORDER BY c.id", "");
    if (!rc)
        rc = recs_read(c, s, &r, (size_t)expect, o);
    struct dedup_pair *p = NULL;
    size_t np = 0, kept = 0;
    if (!rc && dedup_candidates(r.v, r.n, threshold, &p, &np, o->progress ? dedup_prog : NULL,
                                (void *)o))
        rc = fail(c, ERR_INTERNAL, "", "out of memory");
    if (!rc)
        rc = store_pairs(c, &r, p, np, o->only_since, &kept);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!rc)
        *out = json_pack("{s:I,s:I,s:f}", "customers", (json_int_t)r.n, "pairs",
                         (json_int_t)kept,
                         "seconds", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    free(p);
    recs_free(&r);
    return rc;
}

/* ------------------------------------------------------------------ lists */

static json_t *summary(struct ctx *c, int64_t id)
{
    struct stmt *s = NULL;
    if (store_query(c->st, &s, &c->err,
                    "SELECT c.id, c.kind, c.first_name, c.last_name, c.name, c.email, c.phone, "
                    "c.birth_date, a.postal_code, a.city, c.orders_count, c.merged_into FROM "
                    "customers c LEFT JOIN customer_addresses a ON a.customer_id = c.id AND "
                    "a.is_primary = 1 WHERE c.id = ?",
                    "i", id))
        return json_null();
    json_t *o = json_null();
    if (stmt_step(s, &c->err) == 1) {
        static const char *const names[] = {"kind",       "first_name", "last_name",
                                            "name",       "email",      "phone",
                                            "birth_date", "postal_code", "city"};
        o = json_pack("{s:I}", "id", (json_int_t)id);
        for (int i = 0; i < 9; i++)
            json_object_set_new(o, names[i],
                                stmt_text(s, 1 + i) ? json_string(stmt_text(s, 1 + i)) : json_null());
        json_object_set_new(o, "orders_count", json_integer(stmt_int(s, 10)));
        json_object_set_new(o, "merged_into",
                            stmt_isnull(s, 11) ? json_null() : json_integer(stmt_int(s, 11)));
    }
    stmt_done(s);
    return o;
}

int duplicates_list(struct ctx *c, const char *status, int64_t offset, int limit, json_t **out)
{
    if (!status)
        status = "open";
    if (strcmp(status, "open") && strcmp(status, "dismissed") && strcmp(status, "merged"))
        return fail(c, ERR_INVALID, "status", "must be one of: open|dismissed|merged");
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT a, b, score, reasons, found_at FROM duplicate_pairs WHERE status "
                         "= ? ORDER BY score DESC, a, b LIMIT ? OFFSET ?",
                         "sii", status, (int64_t)limit + 1, offset);
    if (rc)
        return rc;
    struct row {
        int64_t a, b, at;
        double score;
        json_t *reasons;
    } rows[501];
    int n = 0;
    while (n <= limit && (rc = stmt_step(s, &c->err)) == 1) {
        rows[n] = (struct row){stmt_int(s, 0), stmt_int(s, 1), stmt_int(s, 4), stmt_double(s, 2),
                               json_loads(stmt_text(s, 3), 0, NULL)};
        n++;
    }
    stmt_done(s);
    json_t *items = json_array();
    for (int i = 0; i < n && i < limit; i++) {
        char ts[TIME_BUF];
        json_array_append_new(items,
                              json_pack("{s:o,s:o,s:f,s:o,s:s,s:s}", "a", summary(c, rows[i].a),
                                        "b", summary(c, rows[i].b), "score", rows[i].score,
                                        "reasons", rows[i].reasons ? rows[i].reasons : json_array(),
                                        "status", status, "found_at",
                                        time_format(rows[i].at, ts, sizeof(ts))));
        rows[i].reasons = NULL;
    }
    for (int i = 0; i < n; i++)
        json_decref(rows[i].reasons);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    char next[32];
    snprintf(next, sizeof(next), "%lld", (long long)(offset + limit));
    *out = json_pack("{s:o,s:s?}", "items", items, "next_cursor", n > limit ? next : NULL);
    return 0;
}

int duplicates_dismiss(struct ctx *c, int64_t a, int64_t b)
{
    if (a > b) {
        int64_t t = a;
        a = b;
        b = t;
    }
    int64_t changed = 0;
    int rc = store_run(c->st, &changed, &c->err,
                       "UPDATE duplicate_pairs SET status = 'dismissed', decided_at = ?, "
                       "decided_by = ? WHERE a = ? AND b = ? AND status = 'open'",
                       "iIii", time_now(), c->actor.user_id ? c->actor.user_id : INT64_MIN, a, b);
    if (!rc && !changed)
        rc = fail(c, ERR_NOTFOUND, "id", "no open duplicate pair %lld / %lld", (long long)a,
                  (long long)b);
    return rc;
}

/* -------------------------------------------------------- one customer */

/* Candidate ids for id: same e-mail or phone, or the same folded last name
 * (a search term) with the same postal code or birth date. */
#define CANDIDATES_SQL                                                                             \
    "SELECT customer_id FROM customer_emails WHERE email IN (SELECT email FROM customer_emails "  \
    "WHERE customer_id = ?1) AND customer_id <> ?1 UNION SELECT customer_id FROM "                 \
    "customer_phones WHERE phone IN (SELECT phone FROM customer_phones WHERE customer_id = ?1) "   \
    "AND customer_id <> ?1 UNION SELECT t.customer_id FROM customer_terms t JOIN "                 \
    "customer_addresses a ON a.customer_id = t.customer_id WHERE t.term = ?2 AND a.postal_code "   \
    "IN (SELECT postal_code FROM customer_addresses WHERE customer_id = ?1) AND t.customer_id <> " \
    "?1 UNION SELECT t.customer_id FROM customer_terms t JOIN customers c ON c.id = "              \
    "t.customer_id WHERE t.term = ?2 AND c.birth_date = ?3 AND t.customer_id <> ?1 LIMIT 200"

static int by_score(const void *x, const void *y)
{
    double a = json_real_value(json_object_get(*(json_t *const *)x, "score"));
    double b = json_real_value(json_object_get(*(json_t *const *)y, "score"));
    return a < b ? 1 : a > b ? -1 : 0;
}

int duplicates_for(struct ctx *c, int64_t id, json_t **out)
{
    struct recs me = {0}, them = {0};
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, REC_SQL " AND c.id = ?", "i", id);
    if (!rc)
        rc = recs_read(c, s, &me, 0, NULL);
    if (!rc && !me.n) {
        *out = json_array(); /* a guest, merged or erased: nothing to compare */
        recs_free(&me);
        return 0;
    }
    char last[64] = "";
    if (!rc && me.v[0].last) {
        /* the longest word of the last name is a search term */
        const char *w = me.v[0].last;
        for (const char *p = w; *p;) {
            const char *e = strchr(p, ' ');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            if (l > strlen(last) && l < sizeof(last)) {
                memcpy(last, p, l);
                last[l] = 0;
            }
            p = e ? e + 1 : p + l;
        }
    }
    int64_t ids[200] = {0};
    int nid = 0;
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id FROM (" CANDIDATES_SQL ") x ORDER BY 1", "iss", id,
                         last[0] ? last : NULL, me.v[0].birth);
    if (!rc) {
        int st = 0;
        while (nid < 200 && (st = stmt_step(s, &c->err)) == 1)
            ids[nid++] = stmt_int(s, 0);
        stmt_done(s);
        rc = st < 0 ? st : 0;
    }
    json_t *list = json_array();
    for (int i = 0; !rc && i < nid; i++) {
        rc = store_query(c->st, &s, &c->err, REC_SQL " AND c.id = ?", "i", ids[i]);
        if (!rc)
            rc = recs_read(c, s, &them, 0, NULL);
    }
    for (size_t i = 0; !rc && i < them.n; i++) {
        unsigned why;
        double sc = dedup_score(&me.v[0], &them.v[i], &why);
        if (sc < DUPLICATES_THRESHOLD)
            continue;
        json_t *reasons = json_array();
        for (int b = 0; b < DEDUP_NREASONS; b++)
            if (why & (1u << b))
                json_array_append_new(reasons, json_string(dedup_reason_name(b)));
        json_t *o = summary(c, them.v[i].id);
        json_object_set_new(o, "score", json_real(sc));
        json_object_set_new(o, "reasons", reasons);
        json_array_append_new(list, o);
    }
    recs_free(&me);
    recs_free(&them);
    if (rc) {
        json_decref(list);
        return rc;
    }
    /* best first */
    size_t n = json_array_size(list);
    json_t **v = malloc((n + 1) * sizeof(*v));
    for (size_t i = 0; v && i < n; i++)
        v[i] = json_incref(json_array_get(list, i));
    if (v) {
        qsort(v, n, sizeof(*v), by_score);
        json_array_clear(list);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, v[i]);
        free(v);
    }
    *out = list;
    return 0;
}
