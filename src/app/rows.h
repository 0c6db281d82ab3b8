/*
 * Whole rows as JSON objects, whatever the table: for the code that works
 * on every table pointing at a customer (merge, privacy export, erasure).
 */
#ifndef APP_ROWS_H
#define APP_ROWS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"

/* The rows of sql, bound to a and b (?1, ?2), as an array of objects with
 * every column (integers, reals, text, null). */
int rows_json(struct ctx *c, const char *sql, int64_t a, int64_t b, json_t **out);

/* 1 when s can be put into SQL as a table or column name (letters, digits,
 * underscores, at most 63 bytes). Names come from the schema, never from a
 * request; they are checked all the same. */
int rows_ident_ok(const char *s);

#endif
