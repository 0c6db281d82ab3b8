/* Text mining service: the per-day term index and the queries over it (see
 * textmining.h). The words come from analytics/textmine, the ranking too. */
#include "app/textmining.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/textmine.h"
#include "store/store.h"
#include "util/sbuf.h"
#include "util/timeu.h"

#define DAY 86400

const struct field textmining_refresh_fields[] = {
    {"since", FT_DATE, FF_NULLABLE, 0, NULL, NULL,
     "first day to re-index (default: the day of the last refresh)"},
    {"until", FT_DATE, FF_NULLABLE, 0, NULL, NULL, "last day to re-index (default: today)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int oom(struct ctx *c)
{
    return fail(c, ERR_INTERNAL, "", "out of memory");
}

static int32_t today(void)
{
    int64_t t = time_now();
    return (int32_t)(t >= 0 ? t / DAY : (t - DAY + 1) / DAY);
}

/* ---------------------------------------------------------------- one day */

/* One (source, category, term) of the day, or the totals of a (source,
 * category) when term is "". */
struct entry {
    char *key; /* "source\x1f" "category\x1f" "term" */
    char *surface;
    int words;
    int64_t n, docs, last_doc, scored, low;
    double sum;
};

struct table {
    struct entry *e;
    size_t n, cap; /* open addressing, cap a power of two */
};

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->cap; i++) {
        free(t->e[i].key);
        free(t->e[i].surface);
    }
    free(t->e);
    memset(t, 0, sizeof(*t));
}

/* The entry of key, added (zeroed) when new; NULL when out of memory. */
static struct entry *table_get(struct table *t, const char *key)
{
    if (2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        struct entry *e = calloc(cap, sizeof(*e));
        if (!e)
            return NULL;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->e[i].key)
                continue;
            size_t k = hash_key(t->e[i].key) & (cap - 1);
            while (e[k].key)
                k = (k + 1) & (cap - 1);
            e[k] = t->e[i];
        }
        free(t->e);
        t->e = e;
        t->cap = cap;
    }
    size_t k = hash_key(key) & (t->cap - 1);
    while (t->e[k].key) {
        if (!strcmp(t->e[k].key, key))
            return &t->e[k];
        k = (k + 1) & (t->cap - 1);
    }
    t->e[k].key = strdup(key);
    if (!t->e[k].key)
        return NULL;
    t->e[k].last_doc = -1;
    t->n++;
    return &t->e[k];
}

/* The code of term in a dictionary (dict[0] unused; codes kept in the
 * entries of the table codes); 0 when out of memory. */
static uint32_t dict_code(struct table *codes, char ***dict, size_t *ndict, size_t *capdict,
                          const char *term)
{
    struct entry *e = table_get(codes, term);
    if (!e)
        return 0;
    if (e->n)
        return (uint32_t)e->n;
    if (*ndict + 1 >= *capdict) {
        size_t cap = *capdict ? 2 * *capdict : 256;
        char **d = realloc(*dict, cap * sizeof(*d));
        if (!d)
            return 0;
        *dict = d;
        *capdict = cap;
    }
    if (!*ndict)
        (*dict)[(*ndict)++] = NULL; /* code 0: missing */
    if (!((*dict)[*ndict] = strdup(term)))
        return 0;
    e->n = (int64_t)*ndict;
    return (uint32_t)(*ndict)++;
}

/* The latest time each (customer, stem) was written in the complaints a
 * refresh reads, written at its end: one upsert per pair, not per text. */
struct pair {
    int64_t customer_id, at; /* customer_id 0: an empty slot */
    uint32_t code;
};

struct cstems {
    struct table codes;
    char **dict;
    size_t ndict, capdict;
    struct pair *p;
    size_t n, cap; /* open addressing, cap a power of two */
};

#define CSTEMS_FLUSH (1u << 20) /* pairs held before they are written */

static void cstems_free(struct cstems *cs)
{
    table_free(&cs->codes);
    for (size_t i = 1; i < cs->ndict; i++)
        free(cs->dict[i]);
    free(cs->dict);
    free(cs->p);
    memset(cs, 0, sizeof(*cs));
}

static int cstems_add(struct cstems *cs, int64_t customer_id, const char *stem, int64_t at)
{
    uint32_t code = dict_code(&cs->codes, &cs->dict, &cs->ndict, &cs->capdict, stem);
    if (!code)
        return -1;
    if (2 * (cs->n + 1) > cs->cap) {
        size_t cap = cs->cap ? 2 * cs->cap : 4096;
        struct pair *p = calloc(cap, sizeof(*p));
        if (!p)
            return -1;
        for (size_t i = 0; i < cs->cap; i++) {
            if (!cs->p[i].customer_id)
                continue;
            size_t k = ((uint64_t)cs->p[i].customer_id * 0x9E3779B97F4A7C15ULL ^ cs->p[i].code) &
                       (cap - 1);
            while (p[k].customer_id)
                k = (k + 1) & (cap - 1);
            p[k] = cs->p[i];
        }
        free(cs->p);
        cs->p = p;
        cs->cap = cap;
    }
    size_t k = ((uint64_t)customer_id * 0x9E3779B97F4A7C15ULL ^ code) & (cs->cap - 1);
    while (cs->p[k].customer_id &&
           (cs->p[k].customer_id != customer_id || cs->p[k].code != code))
        k = (k + 1) & (cs->cap - 1);
    if (!cs->p[k].customer_id) {
        cs->p[k] = (struct pair){customer_id, at, code};
        cs->n++;
    } else if (at > cs->p[k].at) {
        cs->p[k].at = at;
    }
    return 0;
}

static int cmp_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    if (x->customer_id != y->customer_id)
        return x->customer_id < y->customer_id ? -1 : 1;
    return x->code < y->code ? -1 : x->code > y->code; /* code holds the rank here */
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define UPSERT_ROWS 64 /* rows per INSERT statement */
#define UPSERT_TAIL                                                                                \
    " ON CONFLICT (customer_id, term) DO UPDATE SET last_at = CASE WHEN excluded.last_at > "      \
    "textmine_customer_terms.last_at THEN excluded.last_at ELSE "                                 \
    "textmine_customer_terms.last_at END"

/* INSERT of rows (customer, term, time) of p[0..n) (n <= UPSERT_ROWS). */
static int upsert(struct ctx *c, const struct pair *p, size_t n, char *const *sorted)
{
    struct sbuf b = {0};
    sbuf_puts(&b, "INSERT INTO textmine_customer_terms(customer_id, term, last_at) VALUES ");
    struct bindv args[3 * UPSERT_ROWS];
    for (size_t i = 0; i < n; i++) {
        sbuf_puts(&b, i ? ", (?, ?, ?)" : "(?, ?, ?)");
        args[3 * i] = (struct bindv){'i', p[i].customer_id, 0, NULL};
        args[3 * i + 1] = (struct bindv){'s', 0, 0, sorted[p[i].code]};
        args[3 * i + 2] = (struct bindv){'i', p[i].at, 0, NULL};
    }
    sbuf_puts(&b, UPSERT_TAIL);
    char *sql = sbuf_take(&b, NULL);
    if (!sql)
        return oom(c);
    struct stmt *s = NULL;
    int rc = store_queryv(c->st, &s, &c->err, sql, args, (int)(3 * n));
    free(sql);
    if (rc)
        return rc;
    while ((rc = stmt_step(s, &c->err)) == 1)
        ;
    stmt_done(s);
    return rc;
}

/* Writes the pairs (keeping the later time of each) in key order, many rows
 * per statement, and forgets them. */
static int cstems_flush(struct ctx *c, struct cstems *cs)
{
    if (!cs->n)
        return 0;
    /* the stems in order: a pair's code becomes its stem's rank */
    size_t nd = cs->ndict - 1;
    char **sorted = malloc(nd * sizeof(char *));
    uint32_t *rank = malloc(cs->ndict * sizeof(uint32_t));
    if (!sorted || !rank) {
        free(sorted);
        free(rank);
        return oom(c);
    }
    memcpy(sorted, cs->dict + 1, nd * sizeof(char *));
    qsort(sorted, nd, sizeof(char *), cmp_str);
    for (size_t i = 0; i < nd; i++) {
        struct entry *e = table_get(&cs->codes, sorted[i]);
        rank[e->n] = (uint32_t)i;
    }
    size_t n = 0;
    for (size_t i = 0; i < cs->cap; i++)
        if (cs->p[i].customer_id) {
            cs->p[n] = cs->p[i];
            cs->p[n++].code = rank[cs->p[i].code];
        }
    free(rank);
    qsort(cs->p, n, sizeof(*cs->p), cmp_pair);
    int rc = store_begin(c->st, &c->err);
    for (size_t i = 0; !rc && i < n; i += UPSERT_ROWS)
        rc = upsert(c, cs->p + i, n - i < UPSERT_ROWS ? n - i : UPSERT_ROWS, sorted);
    if (rc == ERR_INVALID) { /* a customer erased meanwhile: the others one by one */
        store_rollback(c->st);
        err_clear(&c->err);
        rc = store_begin(c->st, &c->err);
        for (size_t i = 0; !rc && i < n; i++)
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO textmine_customer_terms(customer_id, term, last_at) "
                           "SELECT id, ?, ? FROM customers WHERE id = ?" UPSERT_TAIL,
                           "sii", sorted[cs->p[i].code], cs->p[i].at, cs->p[i].customer_id);
    }
    free(sorted);
    memset(cs->p, 0, cs->cap * sizeof(*cs->p));
    cs->n = 0;
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

/* A day being indexed: the terms, the totals, the current text. */
struct day_run {
    struct ctx *c;
    struct textmine *tm;
    struct table terms, totals;
    int64_t doc; /* number of the current text */
    const char *source, *category;
    double score; /* NAN when the text has no satisfaction score */
    int low, complaint;
    char **stems; /* distinct stems of the current complaint text */
    size_t nstems, capstems;
    struct cstems *cstems; /* where they go, per customer */
    int64_t stems_since;   /* complaints before this time are not kept per customer */
    char key[2 * TM_TERM_LEN + 128]; /* the current text's key prefix, then a term */
    size_t nprefix;
    int failed;
    int64_t documents, words;
};

static void add_stem(struct day_run *r, const char *s)
{
    for (size_t i = 0; i < r->nstems; i++)
        if (!strcmp(r->stems[i], s))
            return;
    if (r->nstems == r->capstems) {
        size_t cap = r->capstems ? 2 * r->capstems : 64;
        char **p = realloc(r->stems, cap * sizeof(*p));
        if (!p) {
            r->failed = 1;
            return;
        }
        r->stems = p;
        r->capstems = cap;
    }
    if (!(r->stems[r->nstems] = strdup(s))) {
        r->failed = 1;
        return;
    }
    r->nstems++;
}

static void on_term(const struct tm_term *t, void *arg)
{
    struct day_run *r = arg;
    /* "source\x1f" "category\x1f" term; the prefix is set per text */
    size_t tl = strlen(t->term);
    if (r->nprefix + tl >= sizeof(r->key))
        return;
    memcpy(r->key + r->nprefix, t->term, tl + 1);
    struct entry *e = table_get(&r->terms, r->key);
    if (!e) {
        r->failed = 1;
        return;
    }
    if (!e->surface) {
        e->surface = strdup(t->surface);
        e->words = t->words;
        if (!e->surface) {
            r->failed = 1;
            return;
        }
    }
    e->n++;
    if (e->last_doc != r->doc) {
        e->last_doc = r->doc;
        e->docs++;
        if (!isnan(r->score)) {
            e->scored++;
            e->sum += r->score;
            e->low += r->low;
        }
    }
    if (r->complaint && t->words == 1) {
        add_stem(r, t->term);
        if (t->alt && strcmp(t->alt, t->term))
            add_stem(r, t->alt);
    }
}

/* Indexes one text. */
static int index_text(struct day_run *r, const char *source, const char *category,
                      int64_t customer_id, int64_t at, const char *text, double score, int low)
{
    r->source = source;
    r->category = category ? category : "";
    r->score = score;
    r->low = low;
    /* the customers' stems serve complaint_terms_90d: older texts never count */
    r->complaint = customer_id > 0 && at >= r->stems_since && !strcmp(r->category, "complaint");
    r->nstems = 0;
    r->doc++;
    int np = snprintf(r->key, sizeof(r->key), "%.60s\x1f%.60s\x1f", r->source, r->category);
    r->nprefix = np > 0 && (size_t)np < sizeof(r->key) ? (size_t)np : 0;
    int kept = textmine_text(r->tm, text, r->complaint ? TM_ALT : 0, NULL, on_term, r);
    if (kept == -2 || r->failed)
        return oom(r->c);
    if (kept < 0)
        kept = 0; /* not UTF-8 (stored before validation): no words, still a text */
    char key[256];
    snprintf(key, sizeof(key), "%s\x1f%s\x1f", r->source, r->category);
    struct entry *tot = table_get(&r->totals, key);
    if (!tot)
        return oom(r->c);
    tot->docs++;
    tot->n += kept;
    if (!isnan(score)) {
        tot->scored++;
        tot->sum += score;
        tot->low += low;
    }
    r->documents++;
    r->words += kept;
    int rc = 0;
    for (size_t i = 0; i < r->nstems; i++) {
        if (!rc && cstems_add(r->cstems, customer_id, r->stems[i], at))
            rc = oom(r->c);
        free(r->stems[i]);
    }
    r->nstems = 0;
    return rc;
}

/* Satisfaction of a score on a scale, and whether it is low: CSAT 1-2 of 5
 * (below half the scale), NPS detractors (0-6). */
static double satisfaction(struct stmt *s, int col_score, int col_max, const char *kind, int *low)
{
    *low = 0;
    if (stmt_isnull(s, col_score) || stmt_isnull(s, col_max) || stmt_int(s, col_max) <= 0)
        return NAN;
    double v = (double)stmt_int(s, col_score) / (double)stmt_int(s, col_max);
    *low = kind && !strcmp(kind, "nps") ? stmt_int(s, col_score) <= 6 : v < 0.5;
    return v;
}

/* The texts of a survey answer: every string value (the comment, text
 * answers), joined as sentences. */
static char *answer_text(const char *answers)
{
    json_t *a = answers ? json_loads(answers, 0, NULL) : NULL;
    if (!json_is_object(a)) {
        json_decref(a);
        return NULL;
    }
    struct sbuf b = {0};
    const char *k;
    json_t *v;
    json_object_foreach(a, k, v)
    {
        if (!json_is_string(v))
            continue;
        if (b.n)
            sbuf_puts(&b, ".\n");
        sbuf_puts(&b, json_string_value(v));
    }
    json_decref(a);
    return sbuf_take(&b, NULL);
}

static int read_sources(struct day_run *r, int64_t t0, int64_t t1)
{
    struct ctx *c = r->c;
    struct stmt *s = NULL;
    /* inbound ticket messages, with the ticket's satisfaction answer */
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT m.id, m.customer_id, m.at, t.kind, m.body, r.score, r.scale_max, "
                         "r.kind FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id "
                         "LEFT JOIN survey_invitations i ON i.survey_id = (SELECT id FROM "
                         "surveys WHERE builtin = 'ticket_csat') AND i.ticket_id = m.ticket_id "
                         "LEFT JOIN survey_responses r ON r.invitation_id = i.id AND r.score IS "
                         "NOT NULL WHERE m.at >= ? AND m.at < ? AND m.direction = 'inbound' AND "
                         "m.internal = 0 ORDER BY m.id",
                         "ii", t0, t1);
    if (rc)
        return rc;
    int64_t last = 0;
    while (!rc && (rc = stmt_step(s, &c->err)) == 1) {
        int64_t id = stmt_int(s, 0);
        rc = 0;
        if (id == last)
            continue; /* a second answer for the ticket */
        last = id;
        int low;
        double sat = satisfaction(s, 5, 6, stmt_text(s, 7), &low);
        rc = index_text(r, "ticket", stmt_text(s, 3), stmt_int(s, 1), stmt_int(s, 2),
                        stmt_text(s, 4), sat, low);
    }
    stmt_done(s);
    if (rc < 0)
        return rc;
    /* complaints logged as interactions */
    rc = store_query(c->st, &s, &c->err,
                     "SELECT customer_id, at, COALESCE(subject, '') || '.\n' || COALESCE(body, "
                     "'') FROM interactions WHERE kind = 'complaint' AND at >= ? AND at < ? "
                     "ORDER BY id",
                     "ii", t0, t1);
    if (rc)
        return rc;
    while (!rc && (rc = stmt_step(s, &c->err)) == 1)
        rc = index_text(r, "interaction", "complaint", stmt_int(s, 0), stmt_int(s, 1),
                        stmt_text(s, 2), NAN, 0);
    stmt_done(s);
    if (rc < 0)
        return rc;
    /* survey comments and text answers */
    rc = store_query(c->st, &s, &c->err,
                     "SELECT customer_id, answered_at, kind, answers, score, scale_max FROM "
                     "survey_responses WHERE answered_at >= ? AND answered_at < ? ORDER BY id",
                     "ii", t0, t1);
    if (rc)
        return rc;
    while (!rc && (rc = stmt_step(s, &c->err)) == 1) {
        char *text = answer_text(stmt_text(s, 3));
        rc = 0;
        if (!text)
            continue;
        int low;
        double sat = satisfaction(s, 4, 5, stmt_text(s, 2), &low);
        rc = index_text(r, "survey", stmt_text(s, 2), stmt_int(s, 0), stmt_int(s, 1), text, sat,
                        low);
        free(text);
    }
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Splits "source\x1f" "category\x1f" "term" in place. */
static void split_key(char *key, char **source, char **category, char **term)
{
    *source = key;
    *category = strchr(key, '\x1f');
    *(*category)++ = 0;
    *term = strchr(*category, '\x1f');
    *(*term)++ = 0;
}

/* Writes the day's terms, then its totals (entries with an empty term). */
static int write_day(struct day_run *r, int32_t day)
{
    struct ctx *c = r->c;
    int rc = 0;
    int64_t now = time_now();
    for (int totals = 0; totals < 2; totals++) {
        const struct table *t = totals ? &r->totals : &r->terms;
        for (size_t i = 0; !rc && i < t->cap; i++) {
            struct entry *e = &t->e[i];
            if (!e->key)
                continue;
            char *src, *cat, *term;
            split_key(e->key, &src, &cat, &term);
            if (totals)
                rc = store_run(c->st, NULL, &c->err,
                               "INSERT INTO textmine_days(day, source, category, docs, words, "
                               "scored, score_sum, low, refreshed_at) VALUES (?, ?, ?, ?, ?, ?, "
                               "?, ?, ?)",
                               "issiiidii", (int64_t)day, src, cat, e->docs, e->n, e->scored,
                               e->sum, e->low, now);
            else
                rc = store_run(c->st, NULL, &c->err,
                               "INSERT INTO textmine_terms(day, source, category, term, words, "
                               "surface, n, docs, scored, score_sum, low) VALUES (?, ?, ?, ?, ?, "
                               "?, ?, ?, ?, ?, ?)",
                               "isssisiiidi", (int64_t)day, src, cat, term, (int64_t)e->words,
                               e->surface, e->n, e->docs, e->scored, e->sum, e->low);
        }
    }
    return rc;
}

/* Replaces one day's index in one transaction. */
static int refresh_day(struct ctx *c, struct textmine *tm, struct cstems *cs, int32_t day,
                       int64_t *docs, int64_t *words)
{
    struct day_run r = {.c = c, .tm = tm, .cstems = cs,
                        .stems_since = time_now() - TEXTMINING_CUSTOMER_DAYS * (int64_t)DAY};
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = store_run(c->st, NULL, &c->err, "DELETE FROM textmine_terms WHERE day = ?", "i",
                   (int64_t)day);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err, "DELETE FROM textmine_days WHERE day = ?", "i",
                       (int64_t)day);
    if (!rc)
        rc = read_sources(&r, (int64_t)day * DAY, (int64_t)(day + 1) * DAY);
    if (!rc)
        rc = write_day(&r, day);
    for (size_t i = 0; i < r.nstems; i++)
        free(r.stems[i]);
    free(r.stems);
    table_free(&r.terms);
    table_free(&r.totals);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    *docs += r.documents;
    *words += r.words;
    return store_commit(c->st, &c->err);
}

/* The first day with a text, or today when there is none. */
static int first_day(struct ctx *c, int32_t *out)
{
    static const char *const sql[] = {
        "SELECT MIN(at) FROM ticket_messages",
        "SELECT MIN(at) FROM interactions WHERE kind = 'complaint'",
        "SELECT MIN(answered_at) FROM survey_responses",
    };
    *out = today();
    for (int i = 0; i < 3; i++) {
        struct stmt *s = NULL;
        int rc = store_query(c->st, &s, &c->err, sql[i], "");
        if (rc)
            return rc;
        rc = stmt_step(s, &c->err);
        if (rc == 1 && !stmt_isnull(s, 0)) {
            int64_t t = stmt_int(s, 0);
            int32_t d = (int32_t)(t >= 0 ? t / DAY : (t - DAY + 1) / DAY);
            if (d < *out)
                *out = d;
        }
        stmt_done(s);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int textmining_refresh(struct ctx *c, int32_t since, int32_t until, job_progress_fn progress,
                       void *parg, json_t **out)
{
    int32_t now_day = today();
    if (until == INT32_MIN)
        until = now_day;
    if (since == INT32_MIN) {
        int64_t last = 0;
        int rc = store_int(c->st, &last, &c->err, "SELECT last_day FROM textmine_state WHERE id = 1",
                           "");
        if (rc == ERR_NOTFOUND) {
            err_clear(&c->err);
            rc = first_day(c, &since);
            if (until - since >= TEXTMINING_MAX_DAYS) /* the first time: the last ten years */
                since = until - TEXTMINING_MAX_DAYS + 1;
        } else if (!rc) {
            since = (int32_t)last;
        }
        if (rc)
            return rc;
        if (since > until)
            since = until;
    }
    if (since > until)
        return fail(c, ERR_INVALID, "since", "since is after until");
    if (until - since >= TEXTMINING_MAX_DAYS)
        return fail(c, ERR_INVALID, "since", "at most %d days at once", TEXTMINING_MAX_DAYS);
    struct textmine *tm = NULL;
    if (textmine_new(&tm, TM_LANG_FR))
        return oom(c);
    int64_t docs = 0, words = 0;
    struct cstems cs = {0};
    int rc = 0;
    for (int32_t d = since; !rc && d <= until; d++) {
        rc = refresh_day(c, tm, &cs, d, &docs, &words);
        if (!rc && cs.n >= CSTEMS_FLUSH)
            rc = cstems_flush(c, &cs);
        if (progress)
            progress("indexing", (double)(d - since + 1) / (double)(until - since + 1), parg);
    }
    if (!rc)
        rc = cstems_flush(c, &cs);
    if (!rc) /* stems too old for any segment */
        rc = store_run(c->st, NULL, &c->err,
                       "DELETE FROM textmine_customer_terms WHERE last_at < ?", "i",
                       time_now() - TEXTMINING_CUSTOMER_DAYS * (int64_t)DAY);
    cstems_free(&cs);
    textmine_free(tm);
    if (!rc && until >= now_day - 1) { /* the state follows refreshes that reach today */
        int32_t last = until < now_day ? until : now_day;
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO textmine_state(id, last_day, refreshed_at) VALUES (1, ?, ?) "
                       "ON CONFLICT (id) DO UPDATE SET last_day = excluded.last_day, "
                       "refreshed_at = excluded.refreshed_at",
                       "ii", (int64_t)last, time_now());
    }
    if (rc)
        return rc;
    if (out) {
        char a[16], b[16];
        *out = json_pack("{s:s,s:s,s:i,s:I,s:I}", "from", date_format(since, a, sizeof(a)), "to",
                         date_format(until, b, sizeof(b)), "days", (int)(until - since + 1),
                         "documents", (json_int_t)docs, "words", (json_int_t)words);
    }
    return 0;
}

/* ---------------------------------------------------------------- the job */

struct refresh_job {
    int32_t since, until;
};

static int refresh_job_run(struct ctx *c, void *arg, job_progress_fn progress, void *parg,
                           json_t **result)
{
    struct refresh_job *j = arg;
    return textmining_refresh(c, j->since, j->until, progress, parg, result);
}

int textmining_refresh_start(struct ctx *c, const json_t *body, int64_t *job_id)
{
    int32_t since = INT32_MIN, until = INT32_MIN;
    const char *s = json_string_value(json_object_get(body, "since"));
    const char *u = json_string_value(json_object_get(body, "until"));
    if (s && date_parse(s, &since))
        return fail(c, ERR_INVALID, "since", "a date YYYY-MM-DD");
    if (u && date_parse(u, &until))
        return fail(c, ERR_INVALID, "until", "a date YYYY-MM-DD");
    if (until != INT32_MIN && until > today() + 1)
        return fail(c, ERR_INVALID, "until", "a day not after tomorrow");
    int32_t hi = until != INT32_MIN ? until : today();
    if (since != INT32_MIN && since > hi)
        return fail(c, ERR_INVALID, "since", "since is after until");
    if (since != INT32_MIN && hi - since >= TEXTMINING_MAX_DAYS)
        return fail(c, ERR_INVALID, "since", "at most %d days at once", TEXTMINING_MAX_DAYS);
    struct refresh_job *j = malloc(sizeof(*j));
    if (!j)
        return oom(c);
    j->since = since;
    j->until = until;
    return job_start(c->app, &c->actor, "textmining.refresh", refresh_job_run, j, free, job_id,
                     &c->err);
}

/* ---------------------------------------------------------------- queries */

/* The query's days and filter, checked. */
struct scope {
    int32_t from, to;
    const char *source, *category;
    int limit, min_support, min_count;
};

static int parse_period(struct ctx *c, const char *p, int32_t *from, int32_t *to)
{
    int32_t t = today();
    if (!p || !*p)
        p = "30d";
    size_t n = strlen(p);
    char buf[32];
    if (n >= 2 && n <= 5 && p[n - 1] == 'd' && strspn(p, "0123456789") == n - 1) {
        long days = strtol(p, NULL, 10);
        if (days < 1 || days > TEXTMINING_MAX_DAYS)
            return fail(c, ERR_INVALID, "period", "from 1d to %dd", TEXTMINING_MAX_DAYS);
        *to = t;
        *from = t - (int32_t)days + 1;
        return 0;
    }
    if (n == 4 && strspn(p, "0123456789") == 4) {
        int y = (int)strtol(p, NULL, 10);
        *from = days_from_civil(y, 1, 1);
        *to = days_from_civil(y, 12, 31);
        return 0;
    }
    if (n == 7 && p[4] == '-') {
        snprintf(buf, sizeof(buf), "%s-01", p);
        if (!date_parse(buf, from)) {
            *to = days_add_months(*from, 1) - 1;
            return 0;
        }
    }
    if (n == 22 && !strncmp(p + 10, "..", 2)) {
        char a[11], b[11];
        memcpy(a, p, 10);
        a[10] = 0;
        memcpy(b, p + 12, 10);
        b[10] = 0;
        if (!date_parse(a, from) && !date_parse(b, to)) {
            if (*from > *to)
                return fail(c, ERR_INVALID, "period", "the first day is after the last");
            if (*to - *from >= TEXTMINING_MAX_DAYS)
                return fail(c, ERR_INVALID, "period", "at most %d days", TEXTMINING_MAX_DAYS);
            return 0;
        }
    }
    return fail(c, ERR_INVALID, "period",
                "30d (last days), YYYY, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD");
}

static int scope_init(struct ctx *c, const struct textmining_query *q, struct scope *sc)
{
    memset(sc, 0, sizeof(*sc));
    int rc = parse_period(c, q->period, &sc->from, &sc->to);
    if (rc)
        return rc;
    sc->source = q->source && *q->source ? q->source : "all";
    static const char *const sources[] = {"all", "ticket", "complaint", "survey", "interaction"};
    int ok = 0;
    for (size_t i = 0; i < 5; i++)
        ok |= !strcmp(sc->source, sources[i]);
    if (!ok)
        return fail(c, ERR_INVALID, "source", "one of " TEXTMINING_SOURCES);
    sc->category = q->category && *q->category ? q->category : NULL;
    if (sc->category && (strlen(sc->category) > 40 ||
                         strspn(sc->category, "abcdefghijklmnopqrstuvwxyz_") != strlen(sc->category)))
        return fail(c, ERR_INVALID, "category", "a ticket kind, complaint or a survey kind");
    sc->limit = q->limit ? q->limit : 20;
    if (sc->limit < 1 || sc->limit > 200)
        return fail(c, ERR_INVALID, "limit", "from 1 to 200");
    sc->min_support = q->min_support ? q->min_support : 3;
    sc->min_count = q->min_count ? q->min_count : 3;
    if (sc->min_support < 1 || sc->min_count < 1)
        return fail(c, ERR_INVALID, q->min_support < 1 ? "min_support" : "min_count",
                    "at least 1");
    return 0;
}

/* The scope's filter as SQL ("source = ? AND ..." or "1 = 1") and its
 * arguments appended at args[*n]. */
static void scope_filter(const struct scope *sc, struct sbuf *b, struct bindv *args, int *n)
{
    sbuf_puts(b, "1 = 1");
    if (!strcmp(sc->source, "complaint")) {
        sbuf_puts(b, " AND category = 'complaint'");
    } else if (strcmp(sc->source, "all")) {
        sbuf_puts(b, " AND source = ?");
        args[(*n)++] = (struct bindv){'s', 0, 0, sc->source};
    }
    if (sc->category) {
        sbuf_puts(b, " AND category = ?");
        args[(*n)++] = (struct bindv){'s', 0, 0, sc->category};
    }
}

static json_t *scope_json(const struct scope *sc)
{
    char a[16], b[16];
    return json_pack("{s:s,s:s,s:s,s:s?}", "from", date_format(sc->from, a, sizeof(a)), "to",
                     date_format(sc->to, b, sizeof(b)), "source", sc->source, "category",
                     sc->category);
}

/* Totals of the scope over days from..to: texts, words, scored, sum, low. */
static int totals(struct ctx *c, const struct scope *sc, int32_t from, int32_t to, double tot[5])
{
    struct sbuf b = {0};
    struct bindv args[4];
    int n = 0;
    sbuf_puts(&b, "SELECT COALESCE(SUM(docs), 0), COALESCE(SUM(words), 0), COALESCE(SUM(scored), "
                  "0), COALESCE(SUM(score_sum), 0), COALESCE(SUM(low), 0) FROM textmine_days "
                  "WHERE day >= ? AND day <= ? AND ");
    args[n++] = (struct bindv){'i', from, 0, NULL};
    args[n++] = (struct bindv){'i', to, 0, NULL};
    scope_filter(sc, &b, args, &n);
    char *sql = sbuf_take(&b, NULL);
    if (!sql)
        return oom(c);
    struct stmt *s = NULL;
    int rc = store_queryv(c->st, &s, &c->err, sql, args, n);
    free(sql);
    if (rc)
        return rc;
    memset(tot, 0, 5 * sizeof(double));
    if ((rc = stmt_step(s, &c->err)) == 1)
        for (int i = 0; i < 5; i++)
            tot[i] = stmt_double(s, i);
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* The rows of a grouped query: term, label, words, then up to 4 numbers. */
struct trow {
    char *term, *label;
    int words;
    double v[4];
};

struct trows {
    struct trow *r;
    size_t n, cap;
};

static void trows_free(struct trows *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->r[i].term);
        free(t->r[i].label);
    }
    free(t->r);
}

/* Runs "SELECT term, MIN(surface), MAX(words), <nv numbers> ..." into t. */
static int trows_load(struct ctx *c, const char *sql, const struct bindv *args, int nargs, int nv,
                      struct trows *t)
{
    struct stmt *s = NULL;
    int rc = store_queryv(c->st, &s, &c->err, sql, args, nargs);
    if (rc)
        return rc;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 256;
            struct trow *p = realloc(t->r, cap * sizeof(*p));
            if (!p) {
                rc = oom(c);
                break;
            }
            t->r = p;
            t->cap = cap;
        }
        struct trow *r = &t->r[t->n];
        r->term = strdup(stmt_text(s, 0) ? stmt_text(s, 0) : "");
        r->label = strdup(stmt_text(s, 1) ? stmt_text(s, 1) : "");
        if (!r->term || !r->label) {
            free(r->term);
            free(r->label);
            rc = oom(c);
            break;
        }
        r->words = (int)stmt_int(s, 2);
        for (int i = 0; i < nv; i++)
            r->v[i] = stmt_double(s, 3 + i);
        t->n++;
    }
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Builds "SELECT term, MIN(surface), MAX(words), <cols> FROM textmine_terms
 * WHERE day >= ? AND day <= ? AND <where> GROUP BY term [HAVING having]". */
static char *grouped_sql(const char *cols, const char *where, const char *having)
{
    struct sbuf b = {0};
    sbuf_printf(&b,
                "SELECT term, MIN(surface), MAX(words), %s FROM textmine_terms WHERE day >= ? "
                "AND day <= ? AND %s GROUP BY term",
                cols, where);
    if (having)
        sbuf_printf(&b, " HAVING %s", having);
    return sbuf_take(&b, NULL);
}

struct scored_ix {
    size_t i;
    double score;
};

static int cmp_scored(const void *a, const void *b)
{
    const struct scored_ix *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int textmining_terms(struct ctx *c, const struct textmining_query *q, json_t **out)
{
    struct scope sc;
    int rc = scope_init(c, q, &sc);
    if (rc)
        return rc;
    double tot[5];
    if ((rc = totals(c, &sc, sc.from, sc.to, tot)))
        return rc;
    /* the reference corpus: every text of the period */
    struct scope all = sc;
    all.source = "all";
    all.category = NULL;
    double ref[5];
    if ((rc = totals(c, &all, sc.from, sc.to, ref)))
        return rc;
    struct sbuf f = {0};
    struct bindv args[6];
    int n = 0;
    args[n++] = (struct bindv){'i', sc.from, 0, NULL};
    args[n++] = (struct bindv){'i', sc.to, 0, NULL};
    scope_filter(&sc, &f, args, &n);
    char *filter = sbuf_take(&f, NULL);
    struct sbuf cols = {0};
    if (filter)
        sbuf_printf(&cols,
                    "SUM(CASE WHEN %s THEN n ELSE 0 END), SUM(CASE WHEN %s THEN docs ELSE 0 "
                    "END), SUM(docs)",
                    filter, filter);
    char *colsql = sbuf_take(&cols, NULL);
    char *having = NULL;
    if (colsql) {
        struct sbuf h = {0};
        sbuf_printf(&h, "SUM(CASE WHEN %s THEN n ELSE 0 END) > 0", filter);
        having = sbuf_take(&h, NULL);
    }
    char *sql = having ? grouped_sql(colsql, "1 = 1", having) : NULL;
    struct trows t = {0};
    if (!sql) {
        rc = oom(c);
    } else {
        /* the filter's arguments appear three times: in the two sums, before
         * the day range, and in HAVING after it */
        struct bindv ordered[2 + 3 * 4];
        int no = 0;
        for (int k = 0; k < 2; k++)
            for (int i = 2; i < n; i++)
                ordered[no++] = args[i];
        ordered[no++] = args[0];
        ordered[no++] = args[1];
        for (int i = 2; i < n; i++)
            ordered[no++] = args[i];
        rc = trows_load(c, sql, ordered, no, 3, &t);
    }
    free(filter);
    free(colsql);
    free(having);
    free(sql);
    struct scored_ix *ix = NULL;
    if (!rc && t.n && !(ix = malloc(t.n * sizeof(*ix))))
        rc = oom(c);
    if (rc) {
        trows_free(&t);
        return rc;
    }
    for (size_t i = 0; i < t.n; i++)
        ix[i] = (struct scored_ix){i, tm_tfidf(t.r[i].v[0], tot[1], t.r[i].v[2], ref[0])};
    if (t.n > 1)
        qsort(ix, t.n, sizeof(*ix), cmp_scored);
    json_t *terms = json_array(), *phrases = json_array();
    for (size_t k = 0; k < t.n; k++) {
        struct trow *r = &t.r[ix[k].i];
        json_t *list = r->words == 1 ? terms : phrases;
        if (json_array_size(list) >= (size_t)sc.limit || (r->words == 2 && r->v[0] < 2))
            continue;
        json_array_append_new(list, json_pack("{s:s,s:s,s:I,s:I,s:f}", "term", r->term, "label",
                                              r->label, "count", (json_int_t)r->v[0], "docs",
                                              (json_int_t)r->v[1], "tfidf", ix[k].score));
    }
    free(ix);
    trows_free(&t);
    *out = scope_json(&sc);
    json_object_set_new(*out, "documents", json_integer((json_int_t)tot[0]));
    json_object_set_new(*out, "words", json_integer((json_int_t)tot[1]));
    json_object_set_new(*out, "terms", terms);
    json_object_set_new(*out, "phrases", phrases);
    return 0;
}

/* The grouped rows of the scope over from..to with cols (numbers, each
 * "SUM(...)" with day arguments given in dayargs, before the range). */
static int scope_rows(struct ctx *c, const struct scope *sc, const char *cols,
                      const struct bindv *colargs, int ncolargs, int32_t from, int32_t to,
                      const char *having, int nv, struct trows *t)
{
    struct sbuf f = {0};
    struct bindv fargs[4];
    int nf = 0;
    scope_filter(sc, &f, fargs, &nf);
    char *filter = sbuf_take(&f, NULL);
    char *sql = filter ? grouped_sql(cols, filter, having) : NULL;
    free(filter);
    if (!sql)
        return oom(c);
    struct bindv args[16];
    int n = 0;
    for (int i = 0; i < ncolargs; i++)
        args[n++] = colargs[i];
    args[n++] = (struct bindv){'i', from, 0, NULL};
    args[n++] = (struct bindv){'i', to, 0, NULL};
    for (int i = 0; i < nf; i++)
        args[n++] = fargs[i];
    int rc = trows_load(c, sql, args, n, nv, t);
    free(sql);
    return rc;
}

int textmining_emerging(struct ctx *c, const struct textmining_query *q, json_t **out)
{
    struct scope sc;
    int rc = scope_init(c, q, &sc);
    if (rc)
        return rc;
    int32_t len = sc.to - sc.from + 1, pfrom = sc.from - len, pto = sc.from - 1;
    double cur[5], prev[5];
    if ((rc = totals(c, &sc, sc.from, sc.to, cur)) || (rc = totals(c, &sc, pfrom, pto, prev)))
        return rc;
    struct bindv colargs[2] = {{'i', sc.from, 0, NULL}, {'i', sc.from, 0, NULL}};
    struct trows t = {0};
    rc = scope_rows(c, &sc,
                    "SUM(CASE WHEN day >= ? THEN n ELSE 0 END), SUM(CASE WHEN day < ? THEN n "
                    "ELSE 0 END)",
                    colargs, 2, pfrom, sc.to, NULL, 2, &t);
    double *a = NULL, *b = NULL;
    struct tm_rank *rk = NULL;
    if (!rc && t.n) {
        a = malloc(t.n * sizeof(double));
        b = malloc(t.n * sizeof(double));
        rk = malloc(t.n * sizeof(*rk));
        if (!a || !b || !rk)
            rc = oom(c);
    }
    if (rc) {
        free(a);
        free(b);
        free(rk);
        trows_free(&t);
        return rc;
    }
    for (size_t i = 0; i < t.n; i++) {
        a[i] = t.r[i].v[0];
        b[i] = t.r[i].v[1];
    }
    size_t k = t.n ? tm_emerging(a, b, t.n, cur[1], prev[1], sc.min_support, 1.5, rk) : 0;
    json_t *topics = json_array();
    for (size_t i = 0; i < k && i < (size_t)sc.limit; i++) {
        struct trow *r = &t.r[rk[i].index];
        json_array_append_new(
            topics, json_pack("{s:s,s:s,s:i,s:I,s:I,s:f,s:f,s:f}", "term", r->term, "label",
                              r->label, "words", r->words, "count", (json_int_t)r->v[0],
                              "previous", (json_int_t)r->v[1], "share", rk[i].share,
                              "previous_share", rk[i].prev_share, "lift", rk[i].lift));
    }
    free(a);
    free(b);
    free(rk);
    trows_free(&t);
    char pa[16], pb[16];
    *out = scope_json(&sc);
    json_object_set_new(*out, "previous",
                        json_pack("{s:s,s:s,s:I}", "from", date_format(pfrom, pa, sizeof(pa)), "to",
                                  date_format(pto, pb, sizeof(pb)), "words", (json_int_t)prev[1]));
    json_object_set_new(*out, "words", json_integer((json_int_t)cur[1]));
    json_object_set_new(*out, "min_support", json_integer(sc.min_support));
    json_object_set_new(*out, "topics", topics);
    return 0;
}

int textmining_satisfaction(struct ctx *c, const struct textmining_query *q, json_t **out)
{
    struct scope sc;
    int rc = scope_init(c, q, &sc);
    if (rc)
        return rc;
    double tot[5];
    if ((rc = totals(c, &sc, sc.from, sc.to, tot)))
        return rc;
    struct trows t = {0};
    rc = scope_rows(c, &sc, "SUM(scored), SUM(score_sum), SUM(low)", NULL, 0, sc.from, sc.to,
                    "SUM(scored) > 0", 3, &t);
    double *d = NULL, *s = NULL, *l = NULL;
    struct tm_assoc *as = NULL;
    if (!rc && t.n) {
        d = malloc(t.n * sizeof(double));
        s = malloc(t.n * sizeof(double));
        l = malloc(t.n * sizeof(double));
        as = malloc(t.n * sizeof(*as));
        if (!d || !s || !l || !as)
            rc = oom(c);
    }
    if (rc) {
        free(d);
        free(s);
        free(l);
        free(as);
        trows_free(&t);
        return rc;
    }
    for (size_t i = 0; i < t.n; i++) {
        d[i] = t.r[i].v[0];
        s[i] = t.r[i].v[1];
        l[i] = t.r[i].v[2];
    }
    size_t k = t.n ? tm_low_satisfaction(d, s, l, t.n, tot[2], tot[3], tot[4], sc.min_count, as)
                   : 0;
    json_t *terms = json_array();
    for (size_t i = 0; i < k && json_array_size(terms) < (size_t)sc.limit; i++) {
        struct trow *r = &t.r[as[i].index];
        if (r->words != 1)
            continue;
        json_array_append_new(terms, json_pack("{s:s,s:s,s:I,s:I,s:f,s:f,s:f}", "term", r->term,
                                               "label", r->label, "docs", (json_int_t)r->v[0],
                                               "low", (json_int_t)r->v[2], "mean", as[i].mean,
                                               "diff", as[i].diff, "log_odds", as[i].log_odds));
    }
    free(d);
    free(s);
    free(l);
    free(as);
    trows_free(&t);
    *out = scope_json(&sc);
    json_object_set_new(*out, "overall",
                        json_pack("{s:I,s:o?,s:I}", "documents", (json_int_t)tot[2], "mean",
                                  tot[2] > 0 ? json_real(tot[3] / tot[2]) : NULL, "low",
                                  (json_int_t)tot[4]));
    json_object_set_new(*out, "min_count", json_integer(sc.min_count));
    json_object_set_new(*out, "terms", terms);
    return 0;
}

/* ---------------------------------------------------------------- segments */

void textmining_set_free(struct textmining_set *s)
{
    if (!s)
        return;
    for (size_t i = 1; i < s->ndict; i++)
        free(s->dict[i]);
    free(s->dict);
    free(s->start);
    free(s->items);
    memset(s, 0, sizeof(*s));
}

/* Index of id in the ascending ids, or (size_t)-1. */
static size_t find_id(const int64_t *ids, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && ids[lo] == id ? lo : (size_t)-1;
}

int textmining_customer_set(struct ctx *c, const int64_t *ids, size_t n, int64_t since,
                            struct textmining_set *out)
{
    memset(out, 0, sizeof(*out));
    out->start = calloc(n + 1, sizeof(uint32_t));
    if (!out->start)
        return oom(c);
    struct table codes = {0};
    size_t capdict = 0, capitems = 0, next = 0;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id, term FROM textmine_customer_terms WHERE last_at >= ? "
                         "ORDER BY customer_id, term",
                         "i", since);
    while (!rc && (rc = stmt_step(s, &c->err)) == 1) {
        size_t i = find_id(ids, n, stmt_int(s, 0));
        const char *term = stmt_text(s, 1);
        rc = 0;
        if (i == (size_t)-1 || !term || i + 1 < next)
            continue;
        while (next <= i)
            out->start[next++] = (uint32_t)out->nitems;
        if (out->nitems == capitems) {
            size_t cap = capitems ? 2 * capitems : 1024;
            uint32_t *p = realloc(out->items, cap * sizeof(*p));
            if (!p) {
                rc = oom(c);
                break;
            }
            out->items = p;
            capitems = cap;
        }
        uint32_t code = dict_code(&codes, &out->dict, &out->ndict, &capdict, term);
        if (!code) {
            rc = oom(c);
            break;
        }
        out->items[out->nitems++] = code;
        rc = 0;
    }
    stmt_done(s);
    table_free(&codes);
    while (next <= n)
        out->start[next++] = (uint32_t)out->nitems;
    if (!out->ndict) { /* an empty dictionary still has code 0 */
        out->dict = calloc(1, sizeof(char *));
        out->ndict = out->dict ? 1 : 0;
    }
    return rc < 0 ? rc : 0;
}

int textmining_segment_key(const char *value, char *out, size_t outlen)
{
    struct textmine *tm = NULL;
    if (textmine_new(&tm, TM_LANG_FR))
        return -1;
    int rc = textmine_key(tm, value, out, outlen);
    textmine_free(tm);
    return rc;
}
