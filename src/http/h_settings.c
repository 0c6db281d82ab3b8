/* Routes: the analytics settings (RFM grid, ABC cuts, CLV horizon) that the
 * settings screen edits. */
#include "app/analytics.h"
#include "app/visibility.h"
#include "http/handlers.h"

static const struct field analytics_settings_fields[] = {
    {"rfm_grid", FT_OBJECT, 0, 4096, NULL, NULL,
     "the seed's grid: bands [[months, points], …], window_months, r_mode sum|last, f_per_txn, "
     "f_cap, m_rate, m_cap, weights [r, f, m], minor_per_major"},
    {"abc", FT_OBJECT, 0, 1024, NULL, NULL, "mode customers|revenue, a and b cut-offs (0.05, 0.20)"},
    {"clv", FT_OBJECT, 0, 1024, NULL, NULL, "months of horizon, monthly_discount, margin"},
    {"analytics_stale_seconds", FT_INT, 0, 604800, NULL, NULL,
     "how long cached scores may serve after orders changed"},
    {"reset", FT_STRINGS, 0, 8, NULL, NULL, "settings returned to their defaults"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int h_settings_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = analytics_config_json(&r->c, &out);
    if (rc) {
        json_decref(out);
        return rc;
    }
    return reply_json(w, 200, out);
}

static int h_settings_put(struct req *r, struct resp *w)
{
    int rc = req_body(r, analytics_settings_fields, 0);
    if (!rc)
        rc = analytics_config_save(&r->c, r->body);
    return rc ? rc : h_settings_get(r, w);
}

static const struct field visibility_fields[] = {
    {"admin", FT_ENUM, 0, 0, "all", NULL, "administrators always see every customer"},
    {"manager", FT_ENUM, 0, 0, "all|team|own", NULL, NULL},
    {"sales", FT_ENUM, 0, 0, "all|team|own", NULL, NULL},
    {"support", FT_ENUM, 0, 0, "all|team|own", NULL, NULL},
    {"marketing", FT_ENUM, 0, 0, "all|team|own", NULL, NULL},
    {"analyst", FT_ENUM, 0, 0, "all|team|own", NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int h_visibility_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = visibility_get(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_visibility_put(struct req *r, struct resp *w)
{
    int rc = req_body(r, visibility_fields, 0);
    if (!rc)
        rc = visibility_set(&r->c, r->body);
    return rc ? rc : h_visibility_get(r, w);
}

const struct route settings_routes[] = {
    {"GET", "/api/v1/visibility", h_visibility_get, ROLES_STAFF, "users",
     "Which customers each role sees: all, its team's and its own, or its own", NULL},
    {"PUT", "/api/v1/visibility", h_visibility_put, ROLES_ADMIN, "users",
     "Set record visibility per role (all or nothing, audited)", visibility_fields},
    {"GET", "/api/v1/analytics/settings", h_settings_get, ROLES_STAFF, "analytics",
     "Analytics settings in force, DOMAIN.md's defaults and which are customised", NULL},
    {"PUT", "/api/v1/analytics/settings", h_settings_put, ROLES_ADMIN, "analytics",
     "Change analytics settings (all or nothing); reset lists those returned to defaults",
     analytics_settings_fields},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
