/* Routes: privacy rights – a person's data export, erasure, retention. */
#include "app/privacy.h"
#include "http/handlers.h"

#define LEADS (ROLE_ADMIN | ROLE_MANAGER | ROLE_SYSTEM)
#define ADMIN ROLES_ADMIN

static const struct field erase_fields[] = {
    {"reason", FT_STRING, 0, 500, NULL, NULL, "why (an erasure request, a retention policy…)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
static const struct field retention_fields[] = {
    {"months", FT_INT, FF_REQUIRED, 1200, NULL, NULL, "prospects inactive for longer are erased"},
    {"dry_run", FT_BOOL, 0, 0, NULL, NULL, "count only"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int h_privacy_export(struct req *r, struct resp *w)
{
    int64_t id;
    int rc = req_param_id(r, 0, &id);
    json_t *out = NULL;
    if (!rc)
        rc = privacy_export(&r->c, id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_privacy_erase(struct req *r, struct resp *w)
{
    int64_t id;
    int rc = req_param_id(r, 0, &id);
    if (!rc)
        rc = req_body(r, erase_fields, 1);
    json_t *out = NULL;
    if (!rc)
        rc = privacy_erase(&r->c, id,
                           r->body ? json_string_value(json_object_get(r->body, "reason")) : NULL,
                           &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_privacy_retention(struct req *r, struct resp *w)
{
    int rc = req_body(r, retention_fields, 0);
    json_t *out = NULL;
    if (!rc)
        rc = privacy_retention(&r->c, (int)json_integer_value(json_object_get(r->body, "months")),
                               json_is_true(json_object_get(r->body, "dry_run")), &out);
    return rc ? rc : reply_json(w, 200, out);
}

const struct route privacy_routes[] = {
    {"GET", "/api/v1/customers/{id}/export", h_privacy_export, LEADS, "privacy",
     "Everything held on a person, as JSON (GDPR access and portability): the record and every "
     "row of every table that points at it, and its audit trail",
     NULL},
    {"POST", "/api/v1/customers/{id}/erase", h_privacy_erase, ADMIN, "privacy",
     "Erase a person (GDPR): personal data removed in every module, orders and contracts kept "
     "de-identified, the consent ledger kept as proof; applied again to older backups restored",
     erase_fields},
    {"POST", "/api/v1/privacy/retention", h_privacy_retention, ADMIN, "privacy",
     "Retention policy: erase the prospects (no order, no contract) inactive for N months",
     retention_fields},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
