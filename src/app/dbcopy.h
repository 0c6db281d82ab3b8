/*
 * Copying a whole database into another, empty one of any backend (relatio
 * migrate --from relatio.db --to postgres://...): every table's rows in
 * foreign-key order in one transaction on the destination, generated ids
 * moved past the copied ones, then the per-table checksums of both sides
 * compared (store_checksum_tables: the same definition on every backend).
 */
#ifndef APP_DBCOPY_H
#define APP_DBCOPY_H
#include <stdint.h>

#include "util/err.h"

struct dbcopy_table {
    char name[64];
    int64_t rows;
    char src_sum[64], dst_sum[64];
    int same; /* checksums equal */
};

struct dbcopy_report {
    struct dbcopy_table *tables; /* owned; free with dbcopy_report_free */
    int ntables;
    int64_t rows;   /* copied, all tables */
    int mismatches; /* tables whose checksums differ */
};

/* progress(stage, fraction 0..1, arg) may be NULL. 0 when copied (the
 * report may still list mismatches), ERR_CONFLICT when the destination
 * holds data already, ERR_INVALID when its schema lacks a source table. */
int dbcopy_run(const char *from_url, const char *to_url,
               void (*progress)(const char *stage, double frac, void *arg), void *arg,
               struct dbcopy_report *rep, struct err *e);
void dbcopy_report_free(struct dbcopy_report *rep);

#endif
