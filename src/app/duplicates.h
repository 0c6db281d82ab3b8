/*
 * Duplicate customers: a scan over every live customer (pure scoring in
 * analytics/dedup.h) whose candidate pairs are kept in duplicate_pairs for
 * review (open, dismissed, merged), and a quick check of one customer
 * against the others on create and after an import.
 */
#ifndef APP_DUPLICATES_H
#define APP_DUPLICATES_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"

#define DUPLICATES_THRESHOLD 0.5 /* default score from which a pair is listed */

struct dup_scan_opts {
    double threshold;         /* 0: DUPLICATES_THRESHOLD */
    int64_t only_since;       /* > 0: keep pairs where one side changed at or after this time */
    void (*progress)(const char *stage, double frac, void *arg);
    void *progress_arg;
};

/* Scans every live customer, replaces the open pairs with the ones found
 * (dismissed pairs stay dismissed) and returns {"customers","pairs",
 * "seconds"} in *out. */
int duplicates_scan(struct ctx *c, const struct dup_scan_opts *o, json_t **out);

/* Lists stored pairs (status open|dismissed|merged, NULL: open), best score
 * first, each with both customers' summaries: {"items":[...],"next_cursor"}.
 * The cursor is the offset. */
int duplicates_list(struct ctx *c, const char *status, int64_t offset, int limit, json_t **out);

/* Marks the pair (a, b) dismissed: "not the same person". */
int duplicates_dismiss(struct ctx *c, int64_t a, int64_t b);

/* Customers likely to be the same as id (same e-mail, phone, or a similar
 * name at the same postal code or birth date), scored, best first:
 * [{"id","display_name","score","reasons":[...]}]. */
int duplicates_for(struct ctx *c, int64_t id, json_t **out);

#endif
