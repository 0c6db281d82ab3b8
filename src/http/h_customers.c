/* Routes: customers, their 360° view, timeline, consents, flags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/activity.h"
#include "app/audit.h"
#include "app/customers.h"
#include "app/duplicates.h"
#include "http/handlers.h"

int h_customers_list(struct req *r, struct resp *w)
{
    struct customer_query q = {0};
    int64_t limit, after, owner;
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &after);
    if (!rc)
        rc = req_query_int(r, "owner_id", 0, &owner);
    if (rc)
        return rc;
    if (limit < 1 || limit > 500)
        return err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    q.q = req_query(r, "q");
    q.kind = req_query(r, "kind");
    q.lifecycle = req_query(r, "lifecycle");
    q.country = req_query(r, "country");
    q.postal_code = req_query(r, "postal_code");
    q.tag = req_query(r, "tag");
    q.owner_id = owner;
    q.after = after;
    q.limit = (int)limit;
    json_t *out = NULL;
    rc = customer_list(&r->c, &q, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static void set_etag(struct resp *w, const json_t *customer)
{
    snprintf(w->etag, sizeof(w->etag), "\"%lld\"",
             (long long)json_integer_value(json_object_get(customer, "version")));
}

int h_customers_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int64_t id = 0;
    int rc = customer_create(&r->c, r->body, &id, &out);
    if (rc)
        return rc;
    snprintf(w->location, sizeof(w->location), "/api/v1/customers/%lld", (long long)id);
    set_etag(w, out);
    /* checked on create: the likely duplicates come back with the record */
    json_t *dups = NULL;
    if (duplicates_for(&r->c, id, &dups) == 0)
        json_object_set_new(out, "possible_duplicates", dups);
    else
        err_clear(&r->c.err);
    return reply_json(w, 201, out);
}

int h_customers_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = customer_get(&r->c, r->id, &out);
    if (rc)
        return rc;
    set_etag(w, out);
    return reply_json(w, 200, out);
}

/* If-Match: "7", W/"7" or 7; absent means no check */
static int if_match(struct req *r, int64_t *version)
{
    const char *v = req_header(r, "If-Match");
    *version = 0;
    if (!v || !strcmp(v, "*"))
        return 0;
    if (!strncmp(v, "W/", 2))
        v += 2;
    if (*v == '"')
        v++;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (!end || end == v || (*end && strcmp(end, "\"") != 0) || n <= 0)
        return err_set(&r->c.err, ERR_BADREQ, "If-Match", "send the ETag you received");
    *version = n;
    return 0;
}

int h_customers_update(struct req *r, struct resp *w)
{
    int64_t version;
    int rc = if_match(r, &version);
    if (rc)
        return rc;
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "a JSON object body is required");
    json_t *out = NULL;
    rc = customer_update(&r->c, r->id, r->body, version, &out);
    if (rc)
        return rc;
    set_etag(w, out);
    return reply_json(w, 200, out);
}

int h_customers_timeline(struct req *r, struct resp *w)
{
    int64_t limit;
    int rc = req_query_int(r, "limit", 20, &limit);
    if (rc)
        return rc;
    if (limit < 1 || limit > 500)
        return err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    json_t *out = NULL;
    rc = timeline_list(&r->c, r->id, req_query(r, "cursor"), req_query(r, "channel"),
                       req_query(r, "kind"), (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_customers_consents(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = consent_history(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_customers_consent_add(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = consent_record(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 201, out);
}

int h_customers_flag(struct req *r, struct resp *w)
{
    int rc = req_body(r, flag_fields, 0);
    if (rc)
        return rc;
    rc = customer_flag(&r->c, r->id, json_string_value(json_object_get(r->body, "flag")),
                       json_string_value(json_object_get(r->body, "reason")), 1);
    if (rc)
        return rc;
    return h_customers_get(r, w);
}

int h_customers_relate(struct req *r, struct resp *w)
{
    int rc = req_body(r, relation_fields, 0);
    if (rc)
        return rc;
    json_t *rid = json_object_get(r->body, "related_id"), *kind = json_object_get(r->body, "kind");
    rc = customer_relate(&r->c, r->id, json_integer_value(rid), json_string_value(kind), 1);
    if (rc)
        return rc;
    return h_customers_get(r, w);
}

int h_customers_unrelate(struct req *r, struct resp *w)
{
    int64_t rid;
    int rc = req_param_id(r, 1, &rid);
    if (!rc)
        rc = customer_relate(&r->c, r->id, rid, r->params[2], 0);
    if (rc)
        return rc;
    w->status = 204;
    return 0;
}

int h_customers_unflag(struct req *r, struct resp *w)
{
    int rc = customer_flag(&r->c, r->id, r->params[1], NULL, 0);
    if (rc)
        return rc;
    w->status = 204;
    return 0;
}

int h_customers_orders(struct req *r, struct resp *w)
{
    int64_t limit, after;
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &after);
    if (!rc)
        rc = customer_exists(&r->c, r->id);
    json_t *out = NULL;
    if (!rc)
        rc = order_list(&r->c, r->id, after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_customers_contracts(struct req *r, struct resp *w)
{
    int rc = customer_exists(&r->c, r->id);
    json_t *out = NULL;
    if (!rc)
        rc = contract_list(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_customers_audit(struct req *r, struct resp *w)
{
    int64_t limit, after;
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &after);
    if (!rc && (limit < 1 || limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    json_t *out = NULL;
    if (!rc)
        rc = audit_list(&r->c, "customer", r->id, after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_audit_list(struct req *r, struct resp *w)
{
    int64_t limit, after, eid;
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &after);
    if (!rc)
        rc = req_query_int(r, "entity_id", 0, &eid);
    if (!rc && (limit < 1 || limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    json_t *out = NULL;
    if (!rc)
        rc = audit_list(&r->c, req_query(r, "entity"), eid, after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}
