/* Routes of the knowledge base: articles, categories, search, votes. */
#include <stdio.h>
#include <string.h>

#include "app/kb.h"
#include "http/handlers.h"

#define STAFF ROLES_STAFF
#define AUTHORS (ROLE_SUPPORT | ROLE_MANAGER | ROLE_ADMIN | ROLE_SYSTEM)

static int created(struct resp *w, const char *base, json_t *out)
{
    snprintf(w->location, sizeof(w->location), "%s/%lld", base,
             (long long)json_integer_value(json_object_get(out, "id")));
    return reply_json(w, 201, out);
}

static int public_flag(struct req *r, int64_t *pub)
{
    return req_query_int(r, "public", 0, pub);
}

static int h_kb_list(struct req *r, struct resp *w)
{
    int64_t limit, after, cat, pub;
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &after);
    if (!rc)
        rc = req_query_int(r, "category_id", 0, &cat);
    if (!rc)
        rc = public_flag(r, &pub);
    if (!rc && (limit < 1 || limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    json_t *out = NULL;
    if (!rc)
        rc = kb_article_list(&r->c, req_query(r, "lang"), cat, pub != 0, after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_kb_search(struct req *r, struct resp *w)
{
    int64_t limit, pub;
    int rc = req_query_int(r, "limit", 20, &limit);
    if (!rc)
        rc = public_flag(r, &pub);
    json_t *out = NULL;
    if (!rc)
        rc = kb_search(&r->c, req_query(r, "q"), req_query(r, "lang"), pub != 0, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_kb_create(struct req *r, struct resp *w)
{
    int rc = req_body(r, kb_article_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = kb_article_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/kb/articles", out);
}

static int h_kb_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = kb_article_get(&r->c, r->id, 0, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_kb_update(struct req *r, struct resp *w)
{
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object body is required");
    json_t *out = NULL;
    int rc = kb_article_update(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_kb_vote(struct req *r, struct resp *w)
{
    int rc = req_body(r, kb_vote_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = kb_vote(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_kb_categories(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = kb_category_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_kb_category_create(struct req *r, struct resp *w)
{
    int rc = req_body(r, kb_category_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = kb_category_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/kb/categories", out);
}

const struct route kb_routes[] = {
    {"GET", "/api/v1/kb/articles", h_kb_list, STAFF, "kb",
     "Knowledge-base articles, newest first (lang, category_id, public=1, limit, cursor)", NULL},
    {"POST", "/api/v1/kb/articles", h_kb_create, AUTHORS, "kb",
     "Write an article (fr or en, internal or public)", kb_article_fields},
    {"GET", "/api/v1/kb/search", h_kb_search, STAFF, "kb",
     "Full-text search, accents and case folded, best first (q, lang, public=1, limit)", NULL},
    {"GET", "/api/v1/kb/articles/{id}", h_kb_get, STAFF, "kb", "An article", NULL},
    {"PATCH", "/api/v1/kb/articles/{id}", h_kb_update, AUTHORS, "kb", "Edit an article",
     kb_article_fields},
    {"POST", "/api/v1/kb/articles/{id}/votes", h_kb_vote, STAFF, "kb",
     "Vote on an article's helpfulness", kb_vote_fields},
    {"GET", "/api/v1/kb/categories", h_kb_categories, STAFF, "kb", "Article categories", NULL},
    {"POST", "/api/v1/kb/categories", h_kb_category_create, AUTHORS, "kb", "Add a category",
     kb_category_fields},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
