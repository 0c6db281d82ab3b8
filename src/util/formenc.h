/*
 * HTML form bodies (application/x-www-form-urlencoded, as a browser posts a
 * plain <form>) parsed into a JSON object, with limits, for the public form
 * endpoint. Pure: no I/O, so the fuzz driver links it alone.
 */
#ifndef UTIL_FORMENC_H
#define UTIL_FORMENC_H
#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

#define FORMENC_MAX_FIELDS 100   /* name=value pairs in one body */
#define FORMENC_MAX_NAME 64      /* bytes of a decoded name */
#define FORMENC_MAX_VALUE 20000  /* bytes of a decoded value */

/* Parses len bytes of body (no NUL needed) into *out (caller decrefs): each
 * name maps to its value as a string, or to an array of strings when the
 * name repeats (a group of checkboxes). '+' is a space, %XX a byte; the
 * decoded text must be UTF-8 without NUL, names without control characters.
 * ERR_BADREQ (bad escape, bad UTF-8, empty name) or ERR_TOOLARGE (over a
 * limit) with e->field naming the field ("body" when there is no name yet). */
int formenc_parse(const char *body, size_t len, json_t **out, struct err *e);

/* Decodes one percent-encoded component into out (cap bytes, NUL ended):
 * the decoded length, -1 on a bad escape, -2 when it does not fit. */
long formenc_decode(const char *in, size_t len, char *out, size_t cap);

#endif
