/* Routes: /api/v1/analytics/rfm|abc|clv|matrix, thin over app/analytics. */
#include <string.h>

#include "app/analytics.h"
#include "http/handlers.h"
#include "util/timeu.h"

/*
 * The common query: as_of (YYYY-MM-DD, default today), limit (1..500, 50)
 * and cursor (the next_cursor of the previous page) for the customers, the
 * filter named filter_name, and summary=only for the model and summary
 * alone. A million customers are never sent in one response.
 */
static int parse_query(struct req *r, struct analytics_query *q, const char *filter_name)
{
    int64_t limit, after;
    memset(q, 0, sizeof(*q));
    q->as_of = INT32_MIN;
    const char *as_of = req_query(r, "as_of"), *summary = req_query(r, "summary");
    if (as_of && date_parse(as_of, &q->as_of))
        return err_set(&r->c.err, ERR_BADREQ, "as_of", "a date YYYY-MM-DD");
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &after);
    if (rc)
        return rc;
    if (limit < 1 || limit > 500)
        return err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    if (summary && strcmp(summary, "only"))
        return err_set(&r->c.err, ERR_BADREQ, "summary", "only 'only' is understood");
    q->limit = (int)limit;
    q->after = after;
    q->summary = 1;
    q->no_customers = summary != NULL;
    q->filter = filter_name ? req_query(r, filter_name) : NULL;
    return 0;
}

typedef int (*analytics_fn)(struct ctx *c, const struct analytics_query *q, json_t **out);

static int run(struct req *r, struct resp *w, analytics_fn fn, const char *filter_name)
{
    struct analytics_query q;
    json_t *out = NULL;
    int rc = parse_query(r, &q, filter_name);
    if (!rc)
        rc = fn(&r->c, &q, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_analytics_rfm(struct req *r, struct resp *w)
{
    return run(r, w, analytics_rfm, "segment");
}

int h_analytics_abc(struct req *r, struct resp *w)
{
    return run(r, w, analytics_abc, "class");
}

int h_analytics_clv(struct req *r, struct resp *w)
{
    return run(r, w, analytics_clv, NULL);
}

int h_analytics_matrix(struct req *r, struct resp *w)
{
    return run(r, w, analytics_matrix, "quadrant");
}
