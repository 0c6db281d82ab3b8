/* Routes: /api/v1/segments (CRUD, draft counts, members, refresh) and
 * /api/v1/targeting/groups, thin over app/segments and app/targeting. */
#include <stdio.h>
#include <string.h>

#include "app/segments.h"
#include "app/targeting.h"
#include "http/handlers.h"

#define STAFF ROLES_STAFF
/* who may define audiences */
#define MARKETERS (ROLE_MARKETING | ROLE_MANAGER | ROLE_ADMIN | ROLE_SYSTEM)

static int h_segments_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = segment_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_segments_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = req_body(r, segment_fields, 0);
    if (!rc)
        rc = segment_create(&r->c, r->body, &out);
    if (rc)
        return rc;
    snprintf(w->location, sizeof(w->location), "/api/v1/segments/%lld",
             (long long)json_integer_value(json_object_get(out, "id")));
    return reply_json(w, 201, out);
}

static int h_segments_count(struct req *r, struct resp *w)
{
    int64_t count = 0;
    int rc = req_body(r, segment_count_fields, 0);
    if (!rc)
        rc = segment_count_expr(&r->c, json_string_value(json_object_get(r->body, "expr")), &count);
    return rc ? rc : reply_json(w, 200, json_pack("{s:I}", "count", (json_int_t)count));
}

static int h_segments_fields(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = segment_fields_json(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_segments_refresh(struct req *r, struct resp *w)
{
    int64_t changed = 0;
    int rc = segments_refresh(&r->c, 1, &changed);
    return rc ? rc : reply_json(w, 200, json_pack("{s:I}", "changed", (json_int_t)changed));
}

static int h_segments_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = segment_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_segments_update(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = r->body ? 0 : err_set(&r->c.err, ERR_BADREQ, "body", "send a JSON object");
    if (!rc) /* validated as an update: every field optional */
        rc = segment_update(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_segments_delete(struct req *r, struct resp *w)
{
    int rc = segment_delete(&r->c, r->id);
    if (!rc)
        w->status = 204;
    return rc;
}

static int h_segments_members(struct req *r, struct resp *w)
{
    int64_t limit, after;
    json_t *out = NULL;
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &after);
    if (!rc && (limit < 1 || limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    if (!rc)
        rc = segment_members_page(&r->c, r->id, after, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int list_members(struct req *r, struct resp *w, int on)
{
    json_t *out = NULL;
    if (!r->body)
        return err_set(&r->c.err, ERR_BADREQ, "body", "send {\"customer_ids\": [...]}");
    json_t *ids = json_object_get(r->body, "customer_ids");
    const char *key;
    json_t *v;
    json_object_foreach(r->body, key, v)
    {
        if (strcmp(key, "customer_ids"))
            return err_set(&r->c.err, ERR_INVALID, key, "unknown field");
    }
    int rc = segment_list_members(&r->c, r->id, ids, on, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_segments_add(struct req *r, struct resp *w)
{
    return list_members(r, w, 1);
}

static int h_segments_remove(struct req *r, struct resp *w)
{
    return list_members(r, w, 0);
}

static int h_targeting_groups(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = targeting_groups(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

const struct route segments_routes[] = {
    {"GET", "/api/v1/segments", h_segments_list, STAFF, "segments",
     "Saved segments and static lists, targeting groups first", NULL},
    {"POST", "/api/v1/segments", h_segments_create, MARKETERS, "segments",
     "Save a dynamic segment (expr) or a static list (filled once from expr when given)",
     segment_fields},
    {"POST", "/api/v1/segments/count", h_segments_count, STAFF, "segments",
     "Count the customers a draft expression matches now, without saving it", segment_count_fields},
    {"GET", "/api/v1/segments/fields", h_segments_fields, STAFF, "segments",
     "The fields of the segment language with their types and values", NULL},
    {"POST", "/api/v1/segments/refresh", h_segments_refresh, MARKETERS, "segments",
     "Re-evaluate every dynamic segment now, emitting segment.entered / segment.left", NULL},
    {"GET", "/api/v1/segments/{id}", h_segments_get, STAFF, "segments", "A segment", NULL},
    {"PATCH", "/api/v1/segments/{id}", h_segments_update, MARKETERS, "segments",
     "Rename, describe or change the expression of a segment (targeting groups too)",
     segment_fields},
    {"DELETE", "/api/v1/segments/{id}", h_segments_delete, MARKETERS, "segments",
     "Delete a segment (not a targeting group)", NULL},
    {"GET", "/api/v1/segments/{id}/members", h_segments_members, STAFF, "segments",
     "The customers of a segment now, by ascending id (limit, cursor); total counts them all",
     NULL},
    {"POST", "/api/v1/segments/{id}/members", h_segments_add, MARKETERS, "segments",
     "Add customers to a static list: {\"customer_ids\": [...]}", NULL},
    {"DELETE", "/api/v1/segments/{id}/members", h_segments_remove, MARKETERS, "segments",
     "Remove customers from a static list: {\"customer_ids\": [...]}", NULL},
    {"GET", "/api/v1/targeting/groups", h_targeting_groups, STAFF, "segments",
     "The seed's target groups and the loyalty x profitability quadrants: definitions, counts, "
     "revenue and the matrix summary",
     NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
