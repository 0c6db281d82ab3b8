/*
 * vCard 4.0 (RFC 6350): one card written from a customer object, and cards
 * read back (4.0 or 3.0) into customer objects with the API's field names
 * (first_name, last_name, name, kind, birth_date, emails, phones,
 * addresses). Pure text in, text out.
 */
#ifndef UTIL_VCARD_H
#define UTIL_VCARD_H
#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

#define VCARD_MAX_CARDS 100000

/* The card of customer (the API's customer object), CRLF line ends, lines
 * folded at 75 octets. Caller frees. */
char *vcard_render(const json_t *customer);

/* Parses text[0..len) into *cards, an array of customer objects. On error
 * returns ERR_INVALID with e->field "line N" and nothing in *cards. */
int vcard_parse(const char *text, size_t len, json_t **cards, struct err *e);

#endif
