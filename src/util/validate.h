/*
 * Validation and normalisation of contact data: e-mail syntax, phone numbers
 * to E.164, postal codes per country, ISO 3166-1 country codes.
 */
#ifndef UTIL_VALIDATE_H
#define UTIL_VALIDATE_H
#include <stddef.h>

/* Lower-cases and checks an e-mail address (local@domain.tld, no spaces,
 * at most 254 bytes). out must hold 255 bytes. 0 ok, -1 invalid. */
int email_normalize(const char *in, char out[255]);

/* Normalises a phone number to E.164 ("+33612345678"). Accepts spaces, dots,
 * dashes and parentheses; "+" or "00" international prefixes; national
 * numbers with a trunk "0" for the default country (ISO alpha-2, e.g. "FR").
 * out must hold 17 bytes. 0 ok, -1 invalid. */
int phone_normalize(const char *in, const char *country, char out[17]);

/* 1 when code is an ISO 3166-1 alpha-2 code we know (upper case). */
int country_valid(const char *code);

/* 1 when postal is plausible for country (FR 5 digits, GB outward/inward,
 * US ZIP or ZIP+4, DE 5 digits, BE/CH/AT/DK 4 digits ...; other countries:
 * 2 to 10 letters, digits, spaces or dashes). */
int postal_valid(const char *country, const char *postal);

#endif
