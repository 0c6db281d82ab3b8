/* Routes: text mining of complaints, ticket messages and survey comments.
 * Thin: parse → app/textmining.c → reply. */
#include <stdio.h>

#include "app/textmining.h"
#include "http/handlers.h"

#define STAFF ROLES_STAFF
#define DESK (ROLE_SUPPORT | ROLE_MANAGER | ROLE_MARKETING | ROLE_ADMIN | ROLE_SYSTEM)

/* The query string: source, period, category, limit, min_support, min_count. */
static int query(struct req *r, struct textmining_query *q)
{
    int64_t limit, support, count;
    int rc = req_query_int(r, "limit", 20, &limit);
    if (!rc)
        rc = req_query_int(r, "min_support", 3, &support);
    if (!rc)
        rc = req_query_int(r, "min_count", 3, &count);
    if (rc)
        return rc;
    if (limit < 1 || limit > 200)
        return err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 200");
    if (support < 1 || support > 1000000)
        return err_set(&r->c.err, ERR_BADREQ, "min_support", "between 1 and 1000000");
    if (count < 1 || count > 1000000)
        return err_set(&r->c.err, ERR_BADREQ, "min_count", "between 1 and 1000000");
    *q = (struct textmining_query){req_query(r, "source"), req_query(r, "period"),
                                   req_query(r, "category"), (int)limit, (int)support,
                                   (int)count};
    return 0;
}

typedef int (*analysis_fn)(struct ctx *c, const struct textmining_query *q, json_t **out);

/* The three analyses take the same query and answer their document. */
static int analysis(struct req *r, struct resp *w, analysis_fn fn)
{
    struct textmining_query q;
    json_t *out = NULL;
    int rc = query(r, &q);
    if (!rc)
        rc = fn(&r->c, &q, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_terms(struct req *r, struct resp *w)
{
    return analysis(r, w, textmining_terms);
}

static int h_emerging(struct req *r, struct resp *w)
{
    return analysis(r, w, textmining_emerging);
}

static int h_satisfaction(struct req *r, struct resp *w)
{
    return analysis(r, w, textmining_satisfaction);
}

static int h_refresh(struct req *r, struct resp *w)
{
    int64_t id = 0;
    int rc = req_body(r, textmining_refresh_fields, 1);
    if (!rc)
        rc = textmining_refresh_start(&r->c, r->body, &id);
    if (rc)
        return rc;
    snprintf(w->location, sizeof(w->location), "/api/v1/jobs/%lld", (long long)id);
    return reply_json(w, 202, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "state", "running",
                                        "location", w->location));
}

const struct route textmining_routes[] = {
    {"GET", "/api/v1/textmining/terms", h_terms, STAFF, "textmining",
     "Top words and two-word phrases of customers' texts by tf-idf (source "
     "all|ticket|complaint|survey|interaction, period 30d|YYYY|YYYY-MM|YYYY-MM-DD..YYYY-MM-DD, "
     "category, limit); reads the index that POST /api/v1/textmining/refresh keeps",
     NULL},
    {"GET", "/api/v1/textmining/emerging", h_emerging, STAFF, "textmining",
     "Emerging topics: terms whose share rises against the previous period of the same length "
     "(source, period, category, min_support, limit)",
     NULL},
    {"GET", "/api/v1/textmining/satisfaction", h_satisfaction, STAFF, "textmining",
     "Words most associated with low satisfaction scores: mean score of the texts with the word "
     "against the overall mean, and log-odds of a low score (source, period, category, "
     "min_count, limit)",
     NULL},
    {"POST", "/api/v1/textmining/refresh", h_refresh, DESK, "textmining",
     "Re-index the texts of the days since..until (default: since the last refresh) as a "
     "background job: 202 with its location, progress at GET /api/v1/jobs/{id}",
     textmining_refresh_fields},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
