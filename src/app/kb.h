/*
 * The knowledge base: articles in French and English, in categories,
 * internal (agents) or public (the customer portal), full-text search over
 * folded words, helpfulness votes, and suggestions from a ticket's text.
 */
#ifndef APP_KB_H
#define APP_KB_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

extern const struct field kb_article_fields[];
extern const struct field kb_category_fields[];
extern const struct field kb_vote_fields[];

int kb_category_create(struct ctx *c, const json_t *in, json_t **out);
int kb_category_list(struct ctx *c, json_t **out);

/* Creates an article (title, body, lang fr|en, category_id, visibility
 * internal|public, status draft|published); indexes its words. */
int kb_article_create(struct ctx *c, const json_t *in, json_t **out);
int kb_article_update(struct ctx *c, int64_t id, const json_t *in, json_t **out);
/* public_only: ERR_NOTFOUND for internal or unpublished articles. */
int kb_article_get(struct ctx *c, int64_t id, int public_only, json_t **out);
/* Lists (lang, category_id 0 = any), newest first, keyset on id. */
int kb_article_list(struct ctx *c, const char *lang, int64_t category_id, int public_only,
                    int64_t after, int limit, json_t **out);

/* Full-text search: articles containing every word of q (accents and case
 * folded, prefix match on the last word), best first. lang NULL = any;
 * public_only restricts to published public articles (the portal).
 * *out gets {"items":[{id,title,lang,category_id,visibility,score,excerpt}]}. */
int kb_search(struct ctx *c, const char *q, const char *lang, int public_only, int limit,
              json_t **out);

/* Records a helpfulness vote (helpful true/false). */
int kb_vote(struct ctx *c, int64_t id, const json_t *in, json_t **out);

/* Articles ranked by how many of the ticket's subject and body words they
 * share (any word, not all), internal and public. */
int kb_suggest_for_ticket(struct ctx *c, int64_t ticket_id, int limit, json_t **out);

#endif
