/*
 * Multi-row inserts for bulk writers (imports, campaign launches): rows of
 * bound values written BULK_ROWS at a time by one statement, so the per-
 * statement work (a CHECK's IN list, constraint set-up, the VDBE start) is
 * paid once per hundred rows instead of once per row. Portable SQL.
 */
#ifndef APP_BULK_H
#define APP_BULK_H
#include <stddef.h>

#include "app/app.h"
#include "store/store.h"

#define BULK_ROWS 100

/* Inserts nrows rows of ncols values each (args, row after row): head is
 * "INSERT INTO t(a, b) VALUES ", tail "" or e.g. " ON CONFLICT DO NOTHING".
 * Statements of BULK_ROWS rows, the rest in statements of 64, 32 … 1 rows
 * (at most seven; every text cached). */
int bulk_insert(struct ctx *c, const char *head, const char *tail, int ncols,
                const struct bindv *args, size_t nrows);

#endif
