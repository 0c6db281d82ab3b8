/*
 * The data quality report (seed 000: "a false piece of information or a
 * lack of update makes the file useless"): completeness per field, invalid
 * values, fields not updated for N months, duplicate candidates, and
 * records from rented or bought files past their expiry.
 */
#ifndef APP_QUALITY_H
#define APP_QUALITY_H
#include <jansson.h>

#include "app/app.h"

/* stale_months: a field group not updated for longer is stale (1..240). */
int quality_report(struct ctx *c, int stale_months, json_t **out);

#endif
