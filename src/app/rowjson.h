/*
 * Rows to JSON for the sales and tasks services: a statement's columns
 * typed by one letter each ('s' text, 'i' integer, 'b' boolean, 't' Unix
 * time as ISO 8601, 'd' double), so each service describes its output once.
 */
#ifndef APP_ROWJSON_H
#define APP_ROWJSON_H
#include <jansson.h>

#include "app/app.h"

struct stmt;

/* The current row as an object: names[i] typed by types[i]; NULL ends. */
json_t *rowj_object(struct stmt *s, const char *const *names, const char *types);
/* Steps s to the end (at most limit rows) and releases it; *out gets
 * {"items":[...],"next_cursor":id-of-last|null}, a next cursor when a
 * limit+1-th row exists (column 0 is the keyset id). */
int rowj_page(struct ctx *c, struct stmt *s, const char *const *names, const char *types, int limit,
              json_t **out);
/* All rows of s as an array in *out. */
int rowj_all(struct ctx *c, struct stmt *s, const char *const *names, const char *types,
             json_t **out);
/* One row of sql bound to id; ERR_NOTFOUND "no WHAT ID" on field "id". */
int rowj_one(struct ctx *c, const char *sql, int64_t id, const char *const *names,
             const char *types, const char *what, json_t **out);

/* Small accessors of request objects. */
const char *rowj_str(const json_t *o, const char *k);
int64_t rowj_int(const json_t *o, const char *k, int64_t dflt);
/* 1 when the key is present (even null). */
int rowj_has(const json_t *o, const char *k);

#endif
