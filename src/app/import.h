/*
 * CSV import of customers and orders: headers recognised by name (English
 * or French) or mapped explicitly, values converted and validated, upserts
 * by external id or e-mail so re-importing a file changes nothing, a dry run
 * reporting every problem with its line and column, and either all rows or
 * none (default) or only the good rows (skip_bad).
 */
#ifndef APP_IMPORT_H
#define APP_IMPORT_H
#include <jansson.h>
#include <stddef.h>

#include "app/app.h"
#include "util/fields.h"

#define IMPORT_MAX_MAPS 64
#define IMPORT_MAX_PROBLEMS 1000 /* problems listed; more are counted */

struct import_opts {
    const char *kind;                  /* customers | orders | products | interactions */
    const char *path;                  /* .csv or .csv.gz, "-" for standard input */
    const char *data;                  /* or the file's bytes in memory (API) */
    size_t data_len;
    const char *rejects_path;          /* rejected rows with their reasons go there (CSV) */
    int no_duplicates;                 /* skip the duplicate check of new customers */
    const char *maps[IMPORT_MAX_MAPS]; /* "SOURCE=field" */
    int nmaps;
    const char *currency;    /* when the file has none */
    const char *source_kind; /* provenance: internal|bought|rented|exchanged… (import) */
    const char *source_terms;
    const char *source_expires; /* ISO date */
    int dry_run;                /* check everything, write nothing */
    int skip_bad;               /* import the good rows, report the others */
    void (*progress)(const char *stage, double frac, void *arg);
    void *progress_arg;
};

/* Runs the import. *report gets {"rows","created","updated","unchanged",
 * "rejected","problems":[{"line","column","field","message"}],"dry_run"}.
 * Returns 0 when the data was written (or would be, in a dry run) and
 * ERR_INVALID when rows were rejected in all-or-nothing mode (nothing
 * written); the report is filled in both cases. */
int import_run(struct ctx *c, const struct import_opts *o, json_t **report);

/* Starts an import of the CSV text in body (the JSON of POST
 * /api/v1/imports: kind, csv, map[], currency, dry_run, skip_bad, source,
 * source_terms, source_expires) as a background job (app/jobs.h); *job_id
 * gets its id. The job's result is the import report. */
int import_start(struct ctx *c, const json_t *body, int64_t *job_id);
extern const struct field import_fields[];

#endif
