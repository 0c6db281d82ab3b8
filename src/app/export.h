/*
 * Exports of customers – a saved segment or list, a segment expression, the
 * customer list's filters, or explicit ids – to CSV (spreadsheet-safe:
 * cells that a spreadsheet would run as formulas are neutralised), JSON (the
 * stored profiles) or vCard 4.0; and the import of vCards.
 */
#ifndef APP_EXPORT_H
#define APP_EXPORT_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "app/customers.h"

#define EXPORT_MAX_API 100000 /* customers in one API export; the CLI has no limit */

struct export_query {
    const char *format;                  /* csv | json | vcard */
    int64_t segment_id;                  /* a saved segment or list, or */
    const char *expr;                    /* a segment expression, or */
    const int64_t *ids;                  /* explicit ids (nids), or */
    size_t nids;
    const struct customer_query *filter; /* the list's filters (q, tag, country...) */
    size_t max;                          /* 0: no limit, else ERR_TOOLARGE beyond */
};

/* Writes the export into *out (malloc'ed, *len bytes) and its media type
 * into *ctype; *count gets the number of customers. */
int export_customers(struct ctx *c, const struct export_query *q, char **out, size_t *len,
                     const char **ctype, int64_t *count);

/* Imports the vCards of text: each card creates a customer or updates the
 * one with the same e-mail. skip_bad: good cards are kept, bad ones
 * reported; else all or nothing. *report gets {"cards","created","updated",
 * "rejected","problems":[{"card","field","message"}]}. */
int vcard_import(struct ctx *c, const char *text, size_t len, int skip_bad, int dry_run,
                 json_t **report);

#endif
