/* Routes: /api/v1/geo/... (geomarketing: areas and their KPIs, stores, the
 * shipped outlines of départements and régions, a customer's place). */
#include <stdio.h>
#include <stdlib.h>

#include "app/geomarketing.h"
#include "http/handlers.h"

#define STAFF ROLES_STAFF
#define MANAGE (ROLE_MARKETING | ROLE_MANAGER | ROLE_ADMIN | ROLE_SYSTEM)

static int h_geo_areas(struct req *r, struct resp *w)
{
    int64_t campaign = 0;
    int rc = req_query_int(r, "campaign_id", 0, &campaign);
    json_t *out = NULL;
    if (!rc)
        rc = geo_areas(&r->c, req_query(r, "level"), req_query(r, "kpi"), campaign, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_geo_shapes(struct req *r, struct resp *w)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = geo_shapes(&r->c, r->params[0], &buf, &len);
    if (rc)
        return rc;
    w->status = 200;
    w->raw = buf;
    w->raw_len = len;
    w->ctype = "application/geo+json";
    return 0;
}

static int h_geo_customer(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = geo_customer(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_stores_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = geo_store_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_stores_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = geo_store_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_stores_create(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = geo_store_create(&r->c, r->body, &out);
    if (rc)
        return rc;
    snprintf(w->location, sizeof(w->location), "/api/v1/geo/stores/%lld",
             (long long)json_integer_value(json_object_get(out, "id")));
    return reply_json(w, 201, out);
}

static int h_stores_update(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = geo_store_update(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_stores_delete(struct req *r, struct resp *w)
{
    int rc = geo_store_delete(&r->c, r->id);
    if (rc)
        return rc;
    w->status = 204;
    return 0;
}

const struct route geo_routes[] = {
    {"GET", "/api/v1/geo/areas", h_geo_areas, STAFF, "geo",
     "Customers, buyers, revenue, average basket, campaign response (targeted, responded, "
     "response_rate; campaign_id for one campaign) and mean distance to the nearest store by "
     "area: level country|region|departement|postal_code (default departement), kpi sorts and "
     "fills value (customers|buyers|revenue|average_basket|targeted|responded|response_rate|"
     "nearest_store_km); unknown postal codes count in the area 'unknown'",
     NULL},
    {"GET", "/api/v1/geo/shapes/{level}", h_geo_shapes, STAFF, "geo",
     "Outlines (GeoJSON, WGS84) of metropolitan France's departements or regions, as shipped in "
     "data/geo (IGN Admin Express 2018, Licence Ouverte)",
     NULL},
    {"GET", "/api/v1/geo/customers/{id}", h_geo_customer, STAFF, "geo",
     "A customer's place from the primary address: departement, region, point, nearest store "
     "and the distance to every store",
     NULL},
    {"GET", "/api/v1/geo/stores", h_stores_list, STAFF, "geo", "Every store, by code", NULL},
    {"POST", "/api/v1/geo/stores", h_stores_create, MANAGE, "geo",
     "Create a store; without latitude and longitude it is placed from its French postal code",
     geo_store_fields},
    {"GET", "/api/v1/geo/stores/{id}", h_stores_get, STAFF, "geo", "A store", NULL},
    {"PATCH", "/api/v1/geo/stores/{id}", h_stores_update, MANAGE, "geo",
     "Change a store (a new postal code moves it unless coordinates are given)",
     geo_store_fields},
    {"DELETE", "/api/v1/geo/stores/{id}", h_stores_delete, MANAGE, "geo", "Delete a store",
     NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
