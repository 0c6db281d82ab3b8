/*
 * Field specifications: one table per resource says which JSON fields it
 * accepts, their types, limits and whether they are required. The same table
 * validates request bodies (naming the offending field) and produces the
 * OpenAPI schema, so the two cannot drift apart.
 */
#ifndef UTIL_FIELDS_H
#define UTIL_FIELDS_H
#include <jansson.h>

#include "util/err.h"

enum field_type {
    FT_STRING, /* UTF-8 text up to max bytes (default 200) */
    FT_TEXT,   /* long text up to max bytes (default 20000) */
    FT_INT,    /* integer, min..max when max > 0 */
    FT_MONEY,  /* integer minor units, |v| < 10^15 */
    FT_NUMBER, /* any JSON number */
    FT_BOOL,
    FT_DATE,     /* "YYYY-MM-DD", a real date */
    FT_DATETIME, /* ISO 8601 date-time (or date) */
    FT_EMAIL,
    FT_PHONE,    /* anything phone_normalize accepts */
    FT_ENUM,     /* one of enums, "a|b|c" */
    FT_COUNTRY,  /* ISO 3166-1 alpha-2 */
    FT_CURRENCY, /* ISO 4217: three upper-case letters */
    FT_ID,       /* positive integer id */
    FT_OBJECT,   /* free JSON object (custom attributes), max bytes serialised */
    FT_STRINGS,  /* array of strings up to max items, each up to 100 bytes */
    FT_OBJECTS,  /* array of objects described by sub, up to max items */
    FT_RECORD,   /* one object described by sub */
};

#define FF_REQUIRED 1 /* must be present on create */
#define FF_READONLY 2 /* output only: refused on input */
#define FF_NULLABLE 4 /* null accepted */

struct field {
    const char *name;
    int type;  /* enum field_type */
    int flags; /* FF_* */
    long max;  /* limit as described per type; 0 = default */
    const char *enums;
    const struct field *sub; /* for FT_OBJECTS / FT_RECORD, ends with name NULL */
    const char *doc;
};

enum { FIELDS_CREATE = 1, FIELDS_UPDATE = 2 };

/* Checks obj against spec (ending with a NULL name). On create, required
 * fields must be present; unknown and read-only fields are refused. On error
 * returns ERR_INVALID/ERR_BADREQ with e->field naming the field (with a path
 * such as "emails[1].email"). */
int fields_check(const struct field *spec, const json_t *obj, int mode, struct err *e);

/* JSON Schema (OpenAPI 3.1) of spec; caller owns the result. */
json_t *fields_schema(const struct field *spec);

/* 1 when value is one of the "a|b|c" alternatives. */
int enum_has(const char *enums, const char *value);

#endif
