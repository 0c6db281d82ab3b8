/* Routes: duplicates, merges, exports, vCard import and the data quality
 * report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/duplicates.h"
#include "app/export.h"
#include "app/import.h"
#include "app/jobs.h"
#include "app/merge.h"
#include "app/quality.h"
#include "http/handlers.h"

#define STAFF ROLES_STAFF
#define LEADS (ROLE_ADMIN | ROLE_MANAGER | ROLE_SYSTEM)
#define DATA (ROLE_ADMIN | ROLE_MANAGER | ROLE_MARKETING | ROLE_SYSTEM)

static const struct field scan_fields[] = {
    {"threshold", FT_NUMBER, 0, 0, NULL, NULL, "score from which a pair is kept (0.5)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
static const struct field dismiss_fields[] = {
    {"a", FT_ID, FF_REQUIRED, 0, NULL, NULL, "one customer of the pair"},
    {"b", FT_ID, FF_REQUIRED, 0, NULL, NULL, "the other"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
static const struct field merge_fields[] = {
    {"duplicate_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, "the record merged away"},
    {"fields", FT_OBJECT, 0, 4096, NULL, NULL,
     "per-field choice overriding the rules: {\"birth_date\": \"duplicate\"}"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
static const struct field vcard_fields[] = {
    {"vcard", FT_TEXT, FF_REQUIRED, HTTP_MAX_BODY, NULL, NULL, "one or more vCards (3.0 or 4.0)"},
    {"skip_bad", FT_BOOL, 0, 0, NULL, NULL, "keep the good cards (default: all or nothing)"},
    {"dry_run", FT_BOOL, 0, 0, NULL, NULL, "check only"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int h_duplicates_list(struct req *r, struct resp *w)
{
    int64_t limit, offset;
    int rc = req_query_int(r, "limit", 50, &limit);
    if (!rc)
        rc = req_query_int(r, "cursor", 0, &offset);
    if (!rc && (limit < 1 || limit > 500))
        rc = err_set(&r->c.err, ERR_BADREQ, "limit", "between 1 and 500");
    if (!rc && offset < 0)
        rc = err_set(&r->c.err, ERR_BADREQ, "cursor", "not a cursor this API returned");
    json_t *out = NULL;
    if (!rc)
        rc = duplicates_list(&r->c, req_query(r, "status"), offset, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_duplicates_scan(struct req *r, struct resp *w)
{
    struct dup_scan_opts o = {0};
    int brc = req_body(r, scan_fields, 1);
    if (brc)
        return brc;
    json_t *t = json_object_get(r->body, "threshold");
    if (t) {
        o.threshold = json_number_value(t);
        if (o.threshold <= 0 || o.threshold >= 1)
            return err_set(&r->c.err, ERR_INVALID, "threshold", "between 0 and 1, exclusive");
    }
    json_t *out = NULL;
    int rc = duplicates_scan(&r->c, &o, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_duplicates_dismiss(struct req *r, struct resp *w)
{
    int rc = req_body(r, dismiss_fields, 0);
    if (rc)
        return rc;
    rc = duplicates_dismiss(&r->c, json_integer_value(json_object_get(r->body, "a")),
                                json_integer_value(json_object_get(r->body, "b")));
    return rc ? rc : reply_json(w, 200, json_pack("{s:s}", "status", "dismissed"));
}

static int h_customer_duplicates(struct req *r, struct resp *w)
{
    int64_t id;
    int rc = req_param_id(r, 0, &id);
    json_t *out = NULL;
    if (!rc)
        rc = customer_exists(&r->c, id);
    if (!rc)
        rc = duplicates_for(&r->c, id, &out);
    return rc ? rc : reply_json(w, 200, json_pack("{s:o}", "items", out));
}

static int h_customer_merge(struct req *r, struct resp *w)
{
    int64_t id;
    int rc = req_param_id(r, 0, &id);
    json_t *out = NULL;
    if (!rc)
        rc = req_body(r, merge_fields, 0);
    if (!rc)
        rc = customer_merge(&r->c, id, json_integer_value(json_object_get(r->body, "duplicate_id")),
                            json_object_get(r->body, "fields"), &out);
    return rc ? rc : reply_json(w, 201, out);
}

static int h_merges_list(struct req *r, struct resp *w)
{
    int64_t cid, limit;
    int rc = req_query_int(r, "customer_id", 0, &cid);
    if (!rc)
        rc = req_query_int(r, "limit", 100, &limit);
    json_t *out = NULL;
    if (!rc)
        rc = merge_list(&r->c, cid, (int)limit, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_merge_undo(struct req *r, struct resp *w)
{
    int64_t id;
    int rc = req_param_id(r, 0, &id);
    json_t *out = NULL;
    if (!rc)
        rc = merge_undo(&r->c, id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_export(struct req *r, struct resp *w)
{
    int64_t seg, owner;
    int rc = req_query_int(r, "segment_id", 0, &seg);
    if (!rc)
        rc = req_query_int(r, "owner_id", 0, &owner);
    if (rc)
        return rc;
    struct customer_query f = {0};
    f.q = req_query(r, "q");
    f.kind = req_query(r, "kind");
    f.lifecycle = req_query(r, "lifecycle");
    f.country = req_query(r, "country");
    f.postal_code = req_query(r, "postal_code");
    f.tag = req_query(r, "tag");
    f.owner_id = owner;
    struct export_query q = {.format = req_query(r, "format"),
                             .segment_id = seg,
                             .expr = req_query(r, "expr"),
                             .filter = &f,
                             .max = EXPORT_MAX_API};
    char *body = NULL;
    size_t len = 0;
    const char *ctype = NULL;
    int64_t n = 0;
    rc = export_customers(&r->c, &q, &body, &len, &ctype, &n);
    if (rc)
        return rc;
    w->status = 200;
    w->raw = body;
    w->raw_len = len;
    w->ctype = ctype;
    return 0;
}

static int h_vcard_import(struct req *r, struct resp *w)
{
    int rc = req_body(r, vcard_fields, 0);
    if (rc)
        return rc;
    const char *text = json_string_value(json_object_get(r->body, "vcard"));
    json_t *report = NULL;
    rc = vcard_import(&r->c, text, strlen(text),
                          json_is_true(json_object_get(r->body, "skip_bad")),
                          json_is_true(json_object_get(r->body, "dry_run")), &report);
    if (rc && report) { /* all or nothing refused: a problem listing every card's error */
        json_t *errors = json_array();
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(report, "problems"), i, p)
        {
            char field[64];
            snprintf(field, sizeof(field), "cards[%lld].%s",
                     (long long)json_integer_value(json_object_get(p, "card")) - 1,
                     json_string_value(json_object_get(p, "field")));
            json_array_append_new(errors, json_pack("{s:s,s:O}", "field", field, "message",
                                                    json_object_get(p, "message")));
        }
        json_t *body = json_pack("{s:s,s:s,s:i,s:s,s:o,s:O}", "type", "/problems/invalid", "title",
                                 "Unprocessable Content", "status", 422, "detail", r->c.err.msg,
                                 "errors", errors, "report", report);
        json_decref(report);
        reply_json(w, 422, body);
        w->ctype = "application/problem+json";
        return 0;
    }
    return rc ? rc : reply_json(w, 200, report);
}

static int h_quality(struct req *r, struct resp *w)
{
    int64_t months;
    int rc = req_query_int(r, "stale_months", 24, &months);
    json_t *out = NULL;
    if (!rc)
        rc = quality_report(&r->c, (int)months, &out);
    return rc ? rc : reply_json(w, 200, out);
}

static int h_imports_start(struct req *r, struct resp *w)
{
    int64_t id = 0;
    int rc = req_body(r, import_fields, 0);
    if (!rc)
        rc = import_start(&r->c, r->body, &id);
    if (rc)
        return rc;
    snprintf(w->location, sizeof(w->location), "/api/v1/jobs/%lld", (long long)id);
    return reply_json(w, 202, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "state", "running",
                                        "location", w->location));
}

static int h_jobs_get(struct req *r, struct resp *w)
{
    int64_t id;
    int rc = req_param_id(r, 0, &id);
    json_t *out = NULL;
    /* a job is its starter's, or any admin's to look at */
    int64_t owner = (r->c.actor.role & (ROLE_ADMIN | ROLE_SYSTEM)) ? 0 : r->c.actor.user_id;
    if (!rc)
        rc = job_get(id, owner, &out, &r->c.err);
    return rc ? rc : reply_json(w, 200, out);
}

const struct route quality_routes[] = {
    {"POST", "/api/v1/imports", h_imports_start, DATA, "import",
     "Import CSV text (customers, orders, products, interactions) as a background job: 202 with "
     "the job's location; its progress and report at GET /api/v1/jobs/{id}",
     import_fields},
    {"GET", "/api/v1/jobs/{id}", h_jobs_get, STAFF, "import",
     "A background job: state (running, done, failed), stage, progress 0..1, result (the import "
     "report)",
     NULL},
    {"GET", "/api/v1/duplicates", h_duplicates_list, STAFF, "duplicates",
     "Duplicate candidate pairs found by the last scan, best score first, with both "
     "customers and the reasons (status open|dismissed|merged, limit, cursor)",
     NULL},
    {"POST", "/api/v1/duplicates/scan", h_duplicates_scan, DATA, "duplicates",
     "Scan every customer for duplicates (blocking keys, Jaro-Winkler, French phonetics)",
     scan_fields},
    {"POST", "/api/v1/duplicates/dismiss", h_duplicates_dismiss, DATA, "duplicates",
     "Mark a pair as not the same person", dismiss_fields},
    {"GET", "/api/v1/customers/{id}/duplicates", h_customer_duplicates, STAFF, "duplicates",
     "Customers likely to be the same person as this one, scored", NULL},
    {"POST", "/api/v1/customers/{id}/merge", h_customer_merge, DATA, "duplicates",
     "Merge duplicate_id into this customer: every record moves, fields follow the survivorship "
     "rules (or the per-field choices), consents merge to the most restrictive; undoable",
     merge_fields},
    {"GET", "/api/v1/merges", h_merges_list, STAFF, "duplicates",
     "Merges, newest first (customer_id, limit)", NULL},
    {"POST", "/api/v1/merges/{id}/undo", h_merge_undo, DATA, "duplicates",
     "Undo a merge: every moved row goes back", NULL},
    {"GET", "/api/v1/export/customers", h_export, DATA, "export",
     "Export customers as CSV (formula-safe), JSON or vCard 4.0 (format csv|json|vcard; "
     "segment_id, expr, or the list filters q, kind, lifecycle, country, postal_code, tag, "
     "owner_id; at most 100,000 – the CLI has no limit)",
     NULL},
    {"POST", "/api/v1/import/vcard", h_vcard_import, DATA, "import",
     "Import vCards: create customers or update the one with the same e-mail", vcard_fields},
    {"GET", "/api/v1/quality", h_quality, LEADS, "quality",
     "Data quality report: completeness per field, invalid values, stale fields (stale_months), "
     "duplicate candidates, records from expired rented files",
     NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
