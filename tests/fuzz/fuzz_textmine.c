/*
 * libFuzzer driver for analytics/textmine: any bytes as a text (French,
 * English, other scripts, broken UTF-8, no sentence at all). Invalid UTF-8
 * must be refused before any term; every term must be a non-empty stem or
 * two stems joined by one space, shorter than the limits; the language guess
 * and the segment key must not read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/textmine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct textmine *tm; /* one for the process: creating stemmers per input is slow */

struct seen {
    int terms, words;
};

static void check(const struct tm_term *t, void *arg)
{
    struct seen *s = arg;
    size_t n = strlen(t->term);
    if (!n || n >= 2 * TM_TERM_LEN || !*t->surface || (t->words != 1 && t->words != 2))
        abort();
    int spaces = 0;
    for (const char *p = t->term; *p; p++)
        spaces += *p == ' ';
    if (spaces != t->words - 1 || t->term[0] == ' ' || t->term[n - 1] == ' ')
        abort();
    if (t->words == 1 && t->alt && !*t->alt)
        abort();
    s->terms++;
    s->words += t->words == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tm && textmine_new(&tm, TM_LANG_FR))
        abort();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    struct seen s = {0};
    int lang = -1;
    int kept = textmine_text(tm, text, TM_ALT, &lang, check, &s);
    if (kept == -1 && s.terms)
        abort(); /* refused texts give no term */
    if (kept >= 0 && kept != s.words)
        abort();
    if (kept > 0 && lang != TM_LANG_FR && lang != TM_LANG_EN)
        abort();
    int guess = textmine_lang(tm, text);
    if (guess != TM_LANG_FR && guess != TM_LANG_EN)
        abort();
    char key[TM_TERM_LEN];
    if (!textmine_key(tm, text, key, sizeof(key)) && (!*key || strlen(key) >= sizeof(key)))
        abort();
    free(text);
    return 0;
}
