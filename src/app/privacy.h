/*
 * Privacy rights (GDPR): everything held on a person as JSON (article 15
 * and 20), erasure across every module (article 17) – personal data removed,
 * orders and contracts kept for accounting but de-identified, the consent
 * ledger kept as the proof it is – applied again to any older backup that
 * is restored, and a retention policy that erases prospects inactive for N
 * months.
 */
#ifndef APP_PRIVACY_H
#define APP_PRIVACY_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"

/* {"customer":{...},"records":{"table":[rows...]},"audit":[...]}: every row
 * of every table that points at the customer (found from the schema's
 * foreign keys, so a new module's data is included without code here). */
int privacy_export(struct ctx *c, int64_t customer_id, json_t **out);

/* Erases the customer; *out (may be NULL) gets {"id","erased_at",
 * "removed":{"table":rows},"kept":[tables]}. ERR_CONFLICT when erased or
 * merged already. */
int privacy_erase(struct ctx *c, int64_t customer_id, const char *reason, json_t **out);

/* The ids of every person erased (the erasures table), ascending; caller
 * frees. */
int privacy_erased_ids(struct ctx *c, int64_t **ids, size_t *n);

/* After a restore: adds known (the erasures of the database that was
 * replaced) to the erasures table, then erases again every person of that
 * table whose record is back. *count gets how many. */
int privacy_reapply(struct ctx *c, const int64_t *known, size_t nknown, int64_t *count);

/* Erases prospects (no order, no contract) without any activity for
 * months; dry_run only counts. *out gets {"months","cutoff","prospects",
 * "erased","sample_ids"}. */
int privacy_retention(struct ctx *c, int months, int dry_run, json_t **out);

#endif
