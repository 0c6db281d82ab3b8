/*
 * Text mining of what customers write: inbound ticket messages, complaint
 * interactions and survey comments, indexed per day (textmine_terms, see
 * migration 0092) so a refresh re-reads one day's texts only; top terms by
 * tf-idf, emerging topics and the words of low satisfaction are sums over the
 * days of a period. The words themselves come from analytics/textmine.
 *
 * Functions return 0 or a negative error kind with c->err filled; *out is
 * owned by the caller.
 */
#ifndef APP_TEXTMINING_H
#define APP_TEXTMINING_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "app/jobs.h"
#include "util/fields.h"

#define TEXTMINING_SOURCES "all|ticket|complaint|survey|interaction"
#define TEXTMINING_MAX_DAYS 3660 /* days re-indexed by one refresh, days of a period */
#define TEXTMINING_CUSTOMER_DAYS 90 /* complaint stems kept per customer (segments) */

extern const struct field textmining_refresh_fields[];

/*
 * Re-indexes the days since..until (days since 1970-01-01, inclusive), each
 * in its own transaction: the day's terms and totals are replaced, and the
 * stems of complaint texts of the last TEXTMINING_CUSTOMER_DAYS days are
 * added to their customers' (textmine_customer_terms, older ones dropped). since INT32_MIN: from the day of the last
 * refresh (the first text's day the first time); until INT32_MIN: today.
 * progress (may be NULL) gets the share of days done. *out (may be NULL)
 * gets {"from","to","days","documents","words"}. ERR_INVALID naming "since"
 * or "until" for a reversed or too long range.
 */
int textmining_refresh(struct ctx *c, int32_t since, int32_t until, job_progress_fn progress,
                       void *parg, json_t **out);

/* textmining_refresh as a background job (body: since, until as dates);
 * *job_id gets the job's id (GET /api/v1/jobs/{id}). */
int textmining_refresh_start(struct ctx *c, const json_t *body, int64_t *job_id);

/* What a query reads: source (TEXTMINING_SOURCES; "complaint" is every
 * text of category complaint), period ("30d", "YYYY", "YYYY-MM",
 * "YYYY-MM-DD..YYYY-MM-DD"; NULL: 30d), category (a ticket kind,
 * "complaint" or a survey kind; NULL: all), how many terms, and minimums. */
struct textmining_query {
    const char *source, *period, *category;
    int limit;       /* terms per list, 1..200 (default 20) */
    int min_support; /* emerging: occurrences in the period (default 3) */
    int min_count;   /* satisfaction: scored texts with the word (default 3) */
};

/* {"from","to","source","category","documents","words","terms":[{term,
 * label,count,docs,tfidf}],"phrases":[...]}: words and two-word phrases
 * ranked by tf-idf (count in the group over its words, idf over every text
 * of the period); phrases need 2 occurrences. */
int textmining_terms(struct ctx *c, const struct textmining_query *q, json_t **out);
/* {"from","to","previous":{"from","to"},...,"topics":[{term,label,words,
 * count,previous,share,previous_share,lift}]}: terms whose share rises
 * against the previous period of the same length (analytics tm_emerging). */
int textmining_emerging(struct ctx *c, const struct textmining_query *q, json_t **out);
/* {"from","to",...,"overall":{"documents","mean","low"},"terms":[{term,
 * label,docs,mean,diff,log_odds}]}: words of scored texts (survey comments,
 * messages of tickets with a CSAT answer) whose mean satisfaction is lowest
 * against the overall mean. */
int textmining_satisfaction(struct ctx *c, const struct textmining_query *q, json_t **out);

/* A segment column (segx SET) of the stems of each customer's complaint
 * texts: customer i (of ids, ascending) has items[start[i] .. start[i+1])
 * into dict (dict[0] unused). */
struct textmining_set {
    uint32_t *start, *items;
    char **dict;
    size_t ndict, nitems;
};
/* Fills *out for the n customers ids with the stems of complaints written at
 * or after since (Unix seconds). textmining_set_free releases it (also after
 * a failure). */
int textmining_customer_set(struct ctx *c, const int64_t *ids, size_t n, int64_t since,
                            struct textmining_set *out);
void textmining_set_free(struct textmining_set *s);

/* The key a segment value is compared with in complaint_terms_90d (see
 * textmine_key): 0, or -1 when value has no word. */
int textmining_segment_key(const char *value, char *out, size_t outlen);

#endif
