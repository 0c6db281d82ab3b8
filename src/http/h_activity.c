/* Routes: interactions, orders, products, contracts; health and OpenAPI. */
#include <stdio.h>
#include <string.h>

#include "app/activity.h"
#include "http/handlers.h"

static int page(struct req *r, int64_t *limit, int64_t *after)
{
    int rc = req_query_int(r, "limit", 50, limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, after);
    if (!rc && (*limit < 1 || *limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    return rc;
}

static int created(struct resp *w, const char *base, json_t *out)
{
    snprintf(w->location, sizeof(w->location), "%s/%lld", base,
             (long long)json_integer_value(json_object_get(out, "id")));
    return reply_json(w, 201, out);
}

int h_interactions_list(struct req *r, struct resp *w)
{
    int64_t limit, after, cid;
    int rc = page(r, &limit, &after);
    if (!rc)
        rc = req_query_int(r, "customer_id", 0, &cid);
    json_t *out = NULL;
    if (!rc)
        rc = interaction_list(&r->c, cid, req_query(r, "channel"), after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_interactions_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = interaction_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/interactions", out);
}

int h_orders_list(struct req *r, struct resp *w)
{
    int64_t limit, after, cid;
    int rc = page(r, &limit, &after);
    if (!rc)
        rc = req_query_int(r, "customer_id", 0, &cid);
    json_t *out = NULL;
    if (!rc)
        rc = order_list(&r->c, cid, after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_orders_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = order_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/orders", out);
}

int h_orders_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = order_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_orders_update(struct req *r, struct resp *w)
{
    int rc = req_body(r, status_fields, 0);
    if (rc)
        return rc;
    json_t *st = json_object_get(r->body, "status");
    json_t *out = NULL;
    rc = order_set_status(&r->c, r->id, json_string_value(st), &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_products_list(struct req *r, struct resp *w)
{
    int64_t limit, after;
    int rc = page(r, &limit, &after);
    const char *q = req_query(r, "q");
    if (!rc && q && strlen(q) > 100)
        rc = err_set(&r->c.err, ERR_BADREQ, "q", "too long");
    json_t *out = NULL;
    if (!rc)
        rc = product_list(&r->c, q, after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_products_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = product_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/products", out);
}

int h_products_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = product_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_contracts_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = contract_create(&r->c, r->body, &out);
    return rc ? rc : created(w, "/api/v1/contracts", out);
}

int h_contracts_cancel(struct req *r, struct resp *w)
{
    int rc = req_body(r, reason_fields, 1);
    if (rc)
        return rc;
    const char *reason = r->body ? json_string_value(json_object_get(r->body, "reason")) : NULL;
    json_t *out = NULL;
    rc = contract_cancel(&r->c, r->id, reason, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_healthz(struct req *r, struct resp *w)
{
    (void)r;
    return reply_json(w, 200, json_pack("{s:s}", "status", "ok"));
}

int h_openapi(struct req *r, struct resp *w)
{
    (void)r;
    return reply_json(w, 200, openapi_document());
}
