/*
 * The knowledge base (see kb.h). Search uses kb_terms, folded words with
 * their frequency per article (title words weigh three), looked up on a
 * B-tree, so it works the same on any SQL backend; ranking is tf-idf.
 */
#include "app/kb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/audit.h"
#include "store/store.h"
#include "util/text.h"
#include "util/timeu.h"

#define NONE INT64_MIN
#define KB_MAX_WORDS 8    /* words of a query that count */
#define KB_MAX_SUGGEST 40 /* distinct words of a ticket that count */
#define KB_MAX_POSTINGS 100000

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

const struct field kb_category_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 100, NULL, NULL, NULL},
    {"parent_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field kb_article_fields[] = {
    {"title", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"body", FT_TEXT, FF_REQUIRED, 100000, NULL, NULL, "plain text or Markdown"},
    {"lang", FT_ENUM, FF_REQUIRED, 0, "fr|en", NULL, NULL},
    {"category_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"visibility", FT_ENUM, 0, 0, "internal|public", NULL,
     "public articles appear on the customer portal (default internal)"},
    {"status", FT_ENUM, 0, 0, "draft|published", NULL, "default published"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field kb_vote_fields[] = {
    {"helpful", FT_BOOL, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"comment", FT_STRING, FF_NULLABLE, 500, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* Words too common to say anything about an article, French and English. */
static const char *const stop_words[] = {
    "a",    "au",   "aux",  "avec", "ce",   "ces",     "dans",  "de",    "des",    "du",
    "elle", "en",   "et",   "il",   "je",   "la",      "le",    "les",   "leur",   "lui",
    "ma",   "mais", "me",   "mes",  "mon",  "ne",      "nos",   "notre", "nous",   "on",
    "ou",   "par",  "pas",  "pour", "qu",   "que",     "qui",   "sa",    "se",     "ses",
    "son",  "sur",  "ta",   "te",   "tu",   "un",      "une",   "vos",   "votre",  "vous",
    "an",   "and",  "are",  "as",   "at",   "be",      "but",   "by",    "for",    "from",
    "has",  "have", "i",    "in",   "is",   "it",      "its",   "my",    "of",     "on",
    "or",   "our",  "so",   "that", "the",  "their",   "this",  "to",    "was",    "we",
    "what", "when", "with", "you",  "your", "est",     "d",     "l",     "s",      "y",
    "c",    "j",    "n",    "t",    "m",    "bonjour", "hello", "merci", "thanks", NULL};

static int is_stop(const char *w)
{
    for (int i = 0; stop_words[i]; i++)
        if (!strcmp(stop_words[i], w))
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- terms */

struct termset {
    struct term {
        char w[64];
        int64_t n;
    } * v;
    size_t n, cap, max;
    int weight;
};

static void term_add(const char *w, void *arg)
{
    struct termset *ts = arg;
    if (is_stop(w))
        return;
    for (size_t i = 0; i < ts->n; i++)
        if (!strcmp(ts->v[i].w, w)) {
            ts->v[i].n += ts->weight;
            return;
        }
    if (ts->n == ts->max)
        return;
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 32;
        struct term *p = realloc(ts->v, cap * sizeof(*p));
        if (!p)
            return;
        ts->v = p;
        ts->cap = cap;
    }
    snprintf(ts->v[ts->n].w, sizeof(ts->v[ts->n].w), "%s", w);
    ts->v[ts->n++].n = ts->weight;
}

static int index_article(struct ctx *c, int64_t id, const char *title, const char *body)
{
    struct termset ts = {.max = 5000, .weight = 3};
    text_words(title, term_add, &ts);
    ts.weight = 1;
    text_words(body, term_add, &ts);
    int rc = store_run(c->st, NULL, &c->err, "DELETE FROM kb_terms WHERE article_id = ?", "i", id);
    for (size_t i = 0; i < ts.n && !rc; i++)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO kb_terms(term, article_id, tf) VALUES (?, ?, ?)", "sii",
                       ts.v[i].w, id, ts.v[i].n);
    free(ts.v);
    return rc;
}

/* ------------------------------------------------------------ categories */

int kb_category_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(kb_category_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    json_t *p = json_object_get(in, "parent_id");
    int64_t parent = json_is_integer(p) ? json_integer_value(p) : 0, id = 0, n = 0;
    if (parent && (store_int(c->st, &n, &c->err, "SELECT COUNT(*) FROM kb_categories WHERE id = ?",
                             "i", parent) ||
                   !n))
        return fail(c, ERR_INVALID, "parent_id", "no category %lld", (long long)parent);
    rc = store_int(c->st, &id, &c->err,
                   "INSERT INTO kb_categories(name, parent_id, created_at) VALUES (?, ?, ?) "
                   "RETURNING id",
                   "sIi", jstr(in, "name"), parent ? parent : NONE, time_now());
    if (rc == ERR_EXISTS)
        return fail(c, ERR_EXISTS, "name", "a category with this name already exists");
    if (rc)
        return rc;
    *out = json_pack("{s:I,s:s,s:o}", "id", (json_int_t)id, "name", jstr(in, "name"), "parent_id",
                     parent ? json_integer(parent) : json_null());
    return 0;
}

int kb_category_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT k.id, k.name, k.parent_id, (SELECT COUNT(*) FROM kb_articles a "
                         "WHERE a.category_id = k.id) FROM kb_categories k ORDER BY k.name",
                         "");
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1)
        json_array_append_new(
            items, json_pack("{s:I,s:s,s:o,s:I}", "id", (json_int_t)stmt_int(s, 0), "name",
                             stmt_text(s, 1), "parent_id",
                             stmt_isnull(s, 2) ? json_null() : json_integer(stmt_int(s, 2)),
                             "articles", (json_int_t)stmt_int(s, 3)));
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

/* -------------------------------------------------------------- articles */

static const char *const art_names[] = {
    "id",     "title",   "body",        "lang",      "category_id", "category",   "visibility",
    "status", "helpful", "not_helpful", "author_id", "created_at",  "updated_at", NULL};
#define ART_SELECT                                                                                 \
    "SELECT a.id, a.title, a.body, a.lang, a.category_id, k.name, a.visibility, a.status, "        \
    "a.helpful, a.not_helpful, a.author_id, a.created_at, a.updated_at FROM kb_articles a LEFT "   \
    "JOIN kb_categories k ON k.id = a.category_id "

static json_t *art_json(struct stmt *s, int with_body)
{
    static const char types[] = "isssisssiiitt";
    json_t *o = json_object();
    char ts[TIME_BUF];
    for (int i = 0; art_names[i]; i++) {
        json_t *v;
        if (i == 2 && !with_body)
            continue;
        if (stmt_isnull(s, i))
            v = json_null();
        else if (types[i] == 'i')
            v = json_integer(stmt_int(s, i));
        else if (types[i] == 't')
            v = json_string(time_format(stmt_int(s, i), ts, sizeof(ts)));
        else
            v = json_string(stmt_text(s, i));
        json_object_set_new(o, art_names[i], v);
    }
    return o;
}

int kb_article_get(struct ctx *c, int64_t id, int public_only, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         ART_SELECT "WHERE a.id = ? AND (? = 0 OR (a.visibility = 'public' AND "
                                    "a.status = 'published'))",
                         "ii", id, (int64_t)(public_only != 0));
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1)
        *out = art_json(s, 1);
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "id", "no article %lld", (long long)id);
    return rc < 0 ? rc : 0;
}

static int category_ok(struct ctx *c, const json_t *in, int64_t *cat)
{
    json_t *v = json_object_get(in, "category_id");
    *cat = json_is_integer(v) ? json_integer_value(v) : 0;
    int64_t n = 0;
    if (*cat && (store_int(c->st, &n, &c->err, "SELECT COUNT(*) FROM kb_categories WHERE id = ?",
                           "i", *cat) ||
                 !n))
        return fail(c, ERR_INVALID, "category_id", "no category %lld", (long long)*cat);
    return 0;
}

int kb_article_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(kb_article_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    const char *title = jstr(in, "title"), *body = jstr(in, "body");
    if (!*title)
        return fail(c, ERR_INVALID, "title", "must not be empty");
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    int64_t cat = 0, id = 0, now = time_now();
    rc = category_ok(c, in, &cat);
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO kb_articles(title, body, lang, category_id, visibility, "
                       "status, author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                       "?, ?) RETURNING id",
                       "sssIssIii", title, body, jstr(in, "lang"), cat ? cat : NONE,
                       jstr(in, "visibility") ? jstr(in, "visibility") : "internal",
                       jstr(in, "status") ? jstr(in, "status") : "published",
                       c->actor.user_id ? c->actor.user_id : NONE, now, now);
    if (!rc)
        rc = index_article(c, id, title, body);
    if (!rc)
        rc = kb_article_get(c, id, 0, out);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int kb_article_update(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = fields_check(kb_article_fields, in, FIELDS_UPDATE, &c->err);
    if (rc)
        return rc;
    const char *title = jstr(in, "title");
    if (title && !*title)
        return fail(c, ERR_INVALID, "title", "must not be empty");
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    json_t *cur = NULL;
    int64_t cat = 0;
    rc = kb_article_get(c, id, 0, &cur);
    if (!rc && json_object_get(in, "category_id"))
        rc = category_ok(c, in, &cat);
    else if (!rc)
        cat = json_integer_value(json_object_get(cur, "category_id"));
    if (!rc) {
#define PICK(k) (jstr(in, k) ? jstr(in, k) : jstr(cur, k))
        const char *t = PICK("title"), *b = PICK("body");
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE kb_articles SET title = ?, body = ?, lang = ?, category_id = ?, "
                       "visibility = ?, status = ?, updated_at = ? WHERE id = ?",
                       "sssIssii", t, b, PICK("lang"), cat ? cat : NONE, PICK("visibility"),
                       PICK("status"), time_now(), id);
        if (!rc)
            rc = index_article(c, id, t, b);
#undef PICK
    }
    json_decref(cur);
    if (!rc)
        rc = kb_article_get(c, id, 0, out);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int kb_article_list(struct ctx *c, const char *lang, int64_t category_id, int public_only,
                    int64_t after, int limit, json_t **out)
{
    if (limit <= 0)
        limit = 50;
    if (limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    if (lang && !enum_has("fr|en", lang))
        return fail(c, ERR_INVALID, "lang", "must be fr or en");
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         ART_SELECT "WHERE (?1 IS NULL OR a.lang = ?1) AND (?2 = 0 OR "
                                    "a.category_id = ?2) AND (?3 = 0 OR (a.visibility = 'public' "
                                    "AND a.status = 'published')) AND a.id < ?4 ORDER BY a.id "
                                    "DESC LIMIT ?5",
                         "siiii", lang, category_id, (int64_t)(public_only != 0),
                         after > 0 ? after : INT64_MAX, (int64_t)limit + 1);
    if (rc)
        return rc;
    json_t *items = json_array();
    int n = 0;
    int64_t last = 0;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (n++ == limit)
            break;
        last = stmt_int(s, 0);
        json_array_append_new(items, art_json(s, 0));
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

int kb_vote(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = fields_check(kb_vote_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int helpful = json_is_true(json_object_get(in, "helpful"));
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    json_t *cur = NULL;
    rc = kb_article_get(c, id, 0, &cur);
    json_decref(cur);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO kb_votes(article_id, helpful, user_id, comment, at) VALUES (?, "
                       "?, ?, ?, ?)",
                       "iiIsi", id, (int64_t)helpful, c->actor.user_id ? c->actor.user_id : NONE,
                       jstr(in, "comment"), time_now());
    if (!rc)
        rc =
            store_run(c->st, NULL, &c->err,
                      helpful ? "UPDATE kb_articles SET helpful = helpful + 1 WHERE id = ?"
                              : "UPDATE kb_articles SET not_helpful = not_helpful + 1 WHERE id = ?",
                      "i", id);
    if (!rc)
        rc = kb_article_get(c, id, 0, out);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

/* --------------------------------------------------------------- search */

struct hit {
    int64_t id;
    double score;
    int words; /* how many query words matched */
};

struct hits {
    struct hit *v;
    size_t n, cap;
};

static struct hit *hit_get(struct hits *h, int64_t id)
{
    for (size_t i = 0; i < h->n; i++) /* small sets: postings are capped */
        if (h->v[i].id == id)
            return &h->v[i];
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        struct hit *p = realloc(h->v, cap * sizeof(*p));
        if (!p)
            return NULL;
        h->v = p;
        h->cap = cap;
    }
    h->v[h->n] = (struct hit){id, 0, 0};
    return &h->v[h->n++];
}

static int cmp_hit(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->words != y->words)
        return y->words - x->words;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->id < y->id ? 1 : -1;
}

/* Adds the postings of one word (prefix when prefix) to h, weighted by idf. */
static int add_word(struct ctx *c, struct hits *h, const char *w, int prefix, int64_t total,
                    const char *lang, int public_only)
{
    char hi[80];
    /* after every word starting with w: U+10FFFF, the largest code point (a
     * lone 0xff byte is not UTF-8, which PostgreSQL refuses) */
    snprintf(hi, sizeof(hi), "%s\xf4\x8f\xbf\xbf", w);
    int64_t df = 0;
    int rc = prefix ? store_int(c->st, &df, &c->err,
                                "SELECT COUNT(DISTINCT article_id) FROM (SELECT article_id FROM "
                                "kb_terms WHERE term >= ? AND term < ? LIMIT 100000) AS t",
                                "ss", w, hi)
                    : store_int(c->st, &df, &c->err, "SELECT COUNT(*) FROM kb_terms WHERE term = ?",
                                "s", w);
    if (rc)
        return rc;
    double idf = log(1.0 + (double)(total + 1) / (double)(df + 1));
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT t.article_id, MAX(t.tf) FROM kb_terms t JOIN kb_articles a ON a.id = "
                     "t.article_id WHERE t.term >= ?1 AND (t.term = ?1 OR (?2 = 1 AND t.term < "
                     "?3)) AND (?4 IS NULL OR a.lang = ?4) AND (?5 = 0 OR (a.visibility = "
                     "'public' AND a.status = 'published')) GROUP BY t.article_id LIMIT ?6",
                     "sissii", w, (int64_t)(prefix != 0), hi, lang, (int64_t)(public_only != 0),
                     (int64_t)KB_MAX_POSTINGS);
    if (rc)
        return rc;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        struct hit *x = hit_get(h, stmt_int(s, 0));
        if (!x) {
            rc = fail(c, ERR_INTERNAL, NULL, "out of memory");
            break;
        }
        x->score += (1.0 + log((double)stmt_int(s, 1))) * idf;
        x->words++;
    }
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Turns ranked hits into {"items":[…]} with an excerpt of each article. */
static int hits_json(struct ctx *c, struct hits *h, int min_words, int limit, json_t **out)
{
    if (h->n > 1)
        qsort(h->v, h->n, sizeof(h->v[0]), cmp_hit);
    json_t *items = json_array();
    int rc = 0;
    for (size_t i = 0; i < h->n && (int)json_array_size(items) < limit; i++) {
        if (h->v[i].words < min_words)
            break;
        struct stmt *s = NULL;
        rc = store_query(c->st, &s, &c->err, ART_SELECT "WHERE a.id = ?", "i", h->v[i].id);
        if (rc)
            break;
        rc = stmt_step(s, &c->err);
        if (rc == 1) {
            json_t *o = art_json(s, 0);
            char ex[241];
            text_copy(ex, sizeof(ex), stmt_text(s, 2));
            json_object_set_new(o, "excerpt", json_string(ex));
            json_object_set_new(o, "score", json_real(round(h->v[i].score * 1000) / 1000));
            json_array_append_new(items, o);
        }
        stmt_done(s);
        if (rc < 0)
            break;
        rc = 0;
    }
    if (rc) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

int kb_search(struct ctx *c, const char *q, const char *lang, int public_only, int limit,
              json_t **out)
{
    if (limit <= 0)
        limit = 20;
    if (limit > 100)
        return fail(c, ERR_INVALID, "limit", "at most 100");
    if (lang && !enum_has("fr|en", lang))
        return fail(c, ERR_INVALID, "lang", "must be fr or en");
    if (!q || strlen(q) > 500)
        return fail(c, ERR_INVALID, "q", q ? "too long (500 bytes at most)" : "required");
    struct termset ts = {.max = KB_MAX_WORDS, .weight = 1};
    if (text_words(q, term_add, &ts) < 0) {
        free(ts.v);
        return fail(c, ERR_INVALID, "q", "not valid UTF-8");
    }
    struct hits h = {0};
    int64_t total = 0;
    int rc = store_int(c->st, &total, &c->err, "SELECT COUNT(*) FROM kb_articles", "");
    /* every word must match; the last one may be a prefix (search as you type) */
    for (size_t i = 0; i < ts.n && !rc; i++)
        rc = add_word(c, &h, ts.v[i].w, i + 1 == ts.n, total, lang, public_only);
    if (!rc && ts.n)
        rc = hits_json(c, &h, (int)ts.n, limit, out);
    else if (!rc)
        *out = json_pack("{s:[]}", "items");
    free(ts.v);
    free(h.v);
    return rc;
}

int kb_suggest_for_ticket(struct ctx *c, int64_t ticket_id, int limit, json_t **out)
{
    if (limit <= 0)
        limit = 5;
    if (limit > 50)
        return fail(c, ERR_INVALID, "limit", "at most 50");
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, "SELECT subject FROM tickets WHERE id = ?", "i",
                         ticket_id);
    if (rc)
        return rc;
    struct termset ts = {.max = KB_MAX_SUGGEST, .weight = 1};
    rc = stmt_step(s, &c->err);
    if (rc == 1)
        text_words(stmt_text(s, 0), term_add, &ts);
    stmt_done(s);
    if (rc == 1) {
        /* the first five inbound messages, joined by spaces (portable SQL:
         * no string aggregate) */
        char buf[4000];
        size_t len = 0;
        int n = 0;
        buf[0] = 0;
        rc = store_query(c->st, &s, &c->err,
                         "SELECT body FROM ticket_messages WHERE ticket_id = ? AND direction = "
                         "'inbound' AND body IS NOT NULL ORDER BY id LIMIT 5",
                         "i", ticket_id);
        while (!rc && (rc = stmt_step(s, &c->err)) == 1) {
            rc = 0;
            int w = snprintf(buf + len, sizeof(buf) - len, "%s%s", n++ ? " " : "", stmt_text(s, 0));
            len = w < 0 || (size_t)w >= sizeof(buf) - len ? sizeof(buf) - 1 : len + (size_t)w;
        }
        stmt_done(s);
        if (rc == 0) {
            rc = 1;
            char folded[4000];
            text_copy(folded, sizeof(folded), buf);
            text_words(folded, term_add, &ts);
        }
    }
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "id", "no ticket %lld", (long long)ticket_id);
    if (rc < 0) {
        free(ts.v);
        return rc;
    }
    struct hits h = {0};
    int64_t total = 0;
    rc = store_int(c->st, &total, &c->err, "SELECT COUNT(*) FROM kb_articles", "");
    for (size_t i = 0; i < ts.n && !rc; i++)
        if (strlen(ts.v[i].w) >= 3)
            rc = add_word(c, &h, ts.v[i].w, 0, total, NULL, 0);
    /* rank by shared words, then tf-idf; one shared word is enough */
    if (!rc)
        rc = hits_json(c, &h, 1, limit, out);
    free(ts.v);
    free(h.v);
    return rc;
}
