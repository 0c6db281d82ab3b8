/*
 * UTF-8 text helpers: validation, accent- and case-folding for search and
 * duplicate detection ("Hélène" and "HELENE" fold to "helene"), tokenising.
 */
#ifndef UTIL_TEXT_H
#define UTIL_TEXT_H
#include <stddef.h>

/* 1 when s[0..len) is valid UTF-8 without NUL bytes. */
int utf8_valid(const char *s, size_t len);

/* Folds s into out (NUL-terminated, truncated at outlen): compatibility
 * decomposition, case folding, marks removed, ASCII kept; every run of
 * characters that are neither letters nor digits becomes one space; no
 * leading/trailing space. Returns the length written, or -1 on invalid UTF-8. */
int text_fold(const char *s, char *out, size_t outlen);

/* Calls fn(term, arg) for each folded word of s (words of 1..63 bytes).
 * Returns the number of words, or -1 on invalid UTF-8. */
int text_words(const char *s, void (*fn)(const char *term, void *arg), void *arg);

/* Copies at most outlen-1 bytes of s, never cutting a UTF-8 sequence. */
void text_copy(char *out, size_t outlen, const char *s);

#endif
