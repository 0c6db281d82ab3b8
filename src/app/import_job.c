/* CSV imports sent through the API, run as background jobs (see import.h). */
#include <stdlib.h>
#include <string.h>

#include "app/import.h"
#include "app/jobs.h"

const struct field import_fields[] = {
    {"kind", FT_ENUM, FF_REQUIRED, 0, "customers|orders|products|interactions", NULL, NULL},
    {"csv", FT_TEXT, FF_REQUIRED, 1024 * 1024, NULL, NULL,
     "the file's text (UTF-8; Latin-1 is converted)"},
    {"map", FT_STRINGS, 0, IMPORT_MAX_MAPS, NULL, NULL, "\"SOURCE=field\" pairs"},
    {"currency", FT_CURRENCY, 0, 0, NULL, NULL, "when the file has none"},
    {"dry_run", FT_BOOL, 0, 0, NULL, NULL, "check every row, write nothing"},
    {"skip_bad", FT_BOOL, 0, 0, NULL, NULL, "import the good rows (default: all or nothing)"},
    {"source", FT_ENUM, 0, 0, "internal|bought|rented|exchanged|import", NULL, "provenance"},
    {"source_name", FT_STRING, 0, 200, NULL, NULL, "the file's name, for provenance"},
    {"source_terms", FT_TEXT, 0, 2000, NULL, NULL, "usage terms of a rented file"},
    {"source_expires", FT_DATE, 0, 0, NULL, NULL, "end of the right to use"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

struct import_job {
    struct import_opts o;
    json_t *body; /* owns every string the options point at */
};

static void import_job_free(void *arg)
{
    struct import_job *j = arg;
    json_decref(j->body);
    free(j);
}

static int import_job_run(struct ctx *c, void *arg, job_progress_fn progress, void *parg,
                          json_t **result)
{
    struct import_job *j = arg;
    j->o.progress = progress;
    j->o.progress_arg = parg;
    return import_run(c, &j->o, result);
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

int import_start(struct ctx *c, const json_t *body, int64_t *job_id)
{
    struct import_job *j = calloc(1, sizeof(*j));
    if (!j)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    j->body = json_deep_copy(body);
    struct import_opts *o = &j->o;
    o->kind = str(j->body, "kind");
    o->data = str(j->body, "csv");
    o->data_len = strlen(o->data);
    o->path = str(j->body, "source_name") ? str(j->body, "source_name") : "api upload";
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(j->body, "map"), i, m)
    {
        if (!strchr(json_string_value(m), '=')) {
            import_job_free(j);
            return fail(c, ERR_INVALID, "map", "'%s' is not SOURCE=field", json_string_value(m));
        }
        o->maps[o->nmaps++] = json_string_value(m);
    }
    o->currency = str(j->body, "currency");
    o->dry_run = json_is_true(json_object_get(j->body, "dry_run"));
    o->skip_bad = json_is_true(json_object_get(j->body, "skip_bad"));
    o->source_kind = str(j->body, "source");
    o->source_terms = str(j->body, "source_terms");
    o->source_expires = str(j->body, "source_expires");
    return job_start(c->app, &c->actor, "import", import_job_run, j, import_job_free, job_id,
                     &c->err);
}
