/*
 * The route table: every HTTP route with its handler, the roles allowed and
 * its body schema. The OpenAPI document is generated from it, so the two
 * stay in step.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/activity.h"
#include "app/customers.h"
#include "http/handlers.h"

#define STAFF ROLES_STAFF
#define WRITE ROLES_WRITE
#define ADMIN ROLES_ADMIN
#define LEADS (ROLE_ADMIN | ROLE_MANAGER | ROLE_SYSTEM)

const struct field login_fields[] = {
    {"email", FT_EMAIL, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"password", FT_STRING, FF_REQUIRED, 1024, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
const struct field flag_fields[] = {
    {"flag", FT_STRING, FF_REQUIRED, 40, NULL, NULL, "e.g. at_risk"},
    {"reason", FT_STRING, 0, 500, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
const struct field relation_fields[] = {
    {"related_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"kind", FT_ENUM, FF_REQUIRED, 0, "household|referral|employee_of|contact_of", NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
const struct field status_fields[] = {
    {"status", FT_ENUM, FF_REQUIRED, 0, "placed|paid|shipped|completed|cancelled|refunded", NULL,
     NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
const struct field reason_fields[] = {
    {"reason", FT_STRING, 0, 500, NULL, NULL, "why the customer cancelled"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
const struct field token_fields[] = {
    {"email", FT_EMAIL, 0, 0, NULL, NULL, "whose token (admin only for others)"},
    {"name", FT_STRING, 0, 100, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const struct route core_routes[] = {
    {"GET", "/healthz", h_healthz, 0, "meta", "Liveness and database check", NULL},
    {"GET", "/api/v1/openapi.json", h_openapi, 0, "meta", "This API's OpenAPI 3.1 document", NULL},

    {"POST", "/api/v1/auth/login", h_login, 0, "auth", "Sign in (sets the session cookie)",
     login_fields},
    {"POST", "/api/v1/auth/logout", h_logout, STAFF, "auth", "Sign out", NULL},
    {"GET", "/api/v1/auth/me", h_me, STAFF, "auth", "The signed-in user and CSRF token", NULL},

    {"GET", "/api/v1/customers", h_customers_list, STAFF, "customers",
     "Search and filter customers (q, kind, lifecycle, country, postal_code, tag, owner_id, "
     "limit, cursor)",
     NULL},
    {"POST", "/api/v1/customers", h_customers_create, WRITE, "customers", "Create a customer",
     customer_fields},
    {"GET", "/api/v1/customers/{id}", h_customers_get, STAFF, "customers",
     "The 360° profile of a customer (ETag)", NULL},
    {"PATCH", "/api/v1/customers/{id}", h_customers_update, WRITE, "customers",
     "Update a customer (If-Match for optimistic locking)", customer_fields},
    {"GET", "/api/v1/customers/{id}/timeline", h_customers_timeline, STAFF, "customers",
     "Multichannel history, newest first (channel, kind, limit, cursor)", NULL},
    {"GET", "/api/v1/customers/{id}/consents", h_customers_consents, STAFF, "consents",
     "Consent ledger of a customer", NULL},
    {"POST", "/api/v1/customers/{id}/consents", h_customers_consent_add, WRITE, "consents",
     "Record a consent decision (append-only)", consent_fields},
    {"POST", "/api/v1/customers/{id}/flags", h_customers_flag, WRITE, "customers",
     "Set a flag such as at_risk", flag_fields},
    {"DELETE", "/api/v1/customers/{id}/flags/{flag}", h_customers_unflag, WRITE, "customers",
     "Clear a flag", NULL},
    {"POST", "/api/v1/customers/{id}/relations", h_customers_relate, WRITE, "customers",
     "Link to another customer (household, referral, employee_of, contact_of)", relation_fields},
    {"DELETE", "/api/v1/customers/{id}/relations/{related_id}/{kind}", h_customers_unrelate, WRITE,
     "customers", "Remove a link", NULL},
    {"GET", "/api/v1/customers/{id}/orders", h_customers_orders, STAFF, "orders",
     "Orders of a customer", NULL},
    {"GET", "/api/v1/customers/{id}/contracts", h_customers_contracts, STAFF, "contracts",
     "Contracts of a customer", NULL},
    {"GET", "/api/v1/customers/{id}/audit", h_customers_audit, LEADS, "audit",
     "Changes to this customer's personal data", NULL},

    {"GET", "/api/v1/interactions", h_interactions_list, STAFF, "interactions",
     "Interactions (customer_id, channel, limit, cursor)", NULL},
    {"POST", "/api/v1/interactions", h_interactions_create, WRITE, "interactions",
     "Log a touchpoint on any channel", interaction_fields},

    {"GET", "/api/v1/orders", h_orders_list, STAFF, "orders", "Orders (customer_id, limit, cursor)",
     NULL},
    {"POST", "/api/v1/orders", h_orders_create, WRITE, "orders", "Record an order with its lines",
     order_fields},
    {"GET", "/api/v1/orders/{id}", h_orders_get, STAFF, "orders", "An order with its lines", NULL},
    {"PATCH", "/api/v1/orders/{id}", h_orders_update, WRITE, "orders",
     "Change an order's status (cancel, refund)", status_fields},

    {"GET", "/api/v1/products", h_products_list, STAFF, "products", "Catalogue (q, limit, cursor)",
     NULL},
    {"POST", "/api/v1/products", h_products_create, WRITE, "products", "Add a product",
     product_fields},
    {"GET", "/api/v1/products/{id}", h_products_get, STAFF, "products", "A product", NULL},

    {"POST", "/api/v1/contracts", h_contracts_create, WRITE, "contracts",
     "Subscribe a customer to an offer", contract_fields},
    {"POST", "/api/v1/contracts/{id}/cancel", h_contracts_cancel, WRITE, "contracts",
     "Cancel a contract (résiliation)", reason_fields},

    {"GET", "/api/v1/users", h_users_list, ADMIN, "users", "Users", NULL},
    {"POST", "/api/v1/users", h_users_create, ADMIN, "users", "Create a user", user_fields},
    {"GET", "/api/v1/users/{id}", h_users_get, ADMIN, "users", "A user", NULL},
    {"PATCH", "/api/v1/users/{id}", h_users_update, ADMIN, "users",
     "Change a user's name, role, team, password or active state", user_fields},
    {"POST", "/api/v1/tokens", h_tokens_create, STAFF, "users", "Create an API token",
     token_fields},
    {"DELETE", "/api/v1/tokens/{id}", h_tokens_revoke, ADMIN, "users", "Revoke an API token", NULL},
    {"GET", "/api/v1/audit", h_audit_list, LEADS, "audit",
     "Audit log of personal-data changes (entity, entity_id, limit, cursor)", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

static json_t *problem_schema(void)
{
    return json_pack("{s:{s:{s:{s:s,s:{s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s}}}}}}", "content",
                     "application/problem+json", "schema", "type", "object", "properties", "type",
                     "type", "string", "title", "type", "string", "status", "type", "integer",
                     "detail", "type", "string", "errors", "type", "array");
}

/* Each capability keeps its routes in its own table (h_<capability>.c or
 * routes_<capability>.c); the dispatcher sees them as one list, in this order. */
static const struct route *const tables[] = {
    core_routes,
    quality_routes,
    privacy_routes,
    analytics_routes,
    loyalty_routes,
    surveys_routes,
    tracking_routes,
    portal_routes,
    segments_routes,
    rules_routes,
    sales_routes,
    tasks_routes,
    tickets_routes,
    kb_routes,
    campaigns_routes,
    forms_routes,
    cti_routes,
    textmining_routes,
    settings_routes,
    geo_routes,
    NULL,
};

#define MAX_ROUTES 1024
static struct route all_routes[MAX_ROUTES];
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

static void all_build(void)
{
    size_t n = 0;
    for (size_t t = 0; tables[t]; t++)
        for (const struct route *rt = tables[t]; rt->method; rt++) {
            if (n + 1 >= MAX_ROUTES) { /* a programming error: refuse to start half-routed */
                fprintf(stderr, "routes: more than %d routes\n", MAX_ROUTES - 1);
                abort();
            }
            all_routes[n++] = *rt;
        }
}

const struct route *route_list(void)
{
    pthread_once(&all_once, all_build);
    return all_routes;
}

json_t *openapi_document(void)
{
    json_t *paths = json_object();
    for (const struct route *rt = route_list(); rt->method; rt++) {
        json_t *item = json_object_get(paths, rt->path);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, rt->path, item);
        }
        char method[8];
        size_t i = 0;
        for (; rt->method[i] && i < sizeof(method) - 1; i++)
            method[i] = (char)(rt->method[i] | 0x20);
        method[i] = 0;
        json_t *op = json_pack("{s:s,s:[s],s:{s:{s:s},s:{s:s},s:o}}", "summary", rt->summary,
                               "tags", rt->tag, "responses", "200", "description", "success", "201",
                               "description", "created", "default", problem_schema());
        json_t *params = json_array();
        for (const char *p = strchr(rt->path, '{'); p; p = strchr(p + 1, '{')) {
            const char *close = strchr(p, '}');
            json_array_append_new(params, json_pack("{s:s%,s:s,s:b,s:{s:s}}", "name", p + 1,
                                                    (size_t)(close - p - 1), "in", "path",
                                                    "required", 1, "schema", "type", "string"));
        }
        if (json_array_size(params))
            json_object_set_new(op, "parameters", params);
        else
            json_decref(params);
        if (rt->body)
            json_object_set_new(op, "requestBody",
                                json_pack("{s:b,s:{s:{s:o}}}", "required", 1, "content",
                                          "application/json", "schema", fields_schema(rt->body)));
        if (rt->roles) {
            json_object_set_new(op, "security", json_pack("[{s:[]},{s:[]}]", "bearer", "cookie"));
            json_t *roles = json_array(); /* who may call it (the dispatcher checks) */
            for (int b = 0; b < 7; b++)
                if (rt->roles & (1 << b))
                    json_array_append_new(roles, json_string(role_name(1 << b)));
            json_object_set_new(op, "x-roles", roles);
        }
        json_object_set_new(item, method, op);
    }
    return json_pack(
        "{s:s,s:{s:s,s:s,s:s},s:[{s:s}],s:o,s:{s:{s:{s:s,s:s},s:{s:s,s:s,s:s}}}}", "openapi",
        "3.1.0", "info", "title", "relatio API", "version", "1.0.0", "description",
        "Customer database, 360° history, analytics and e-CRM. Errors are RFC 9457 problem "
        "details; lists use keyset pagination (cursor).",
        "servers", "url", "/", "paths", paths, "components", "securitySchemes", "bearer", "type",
        "http", "scheme", "bearer", "cookie", "type", "apiKey", "in", "cookie", "name",
        "relatio_session");
}
