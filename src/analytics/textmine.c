/* Tokenising, stop words, stemming and term statistics (see textmine.h).
 * Stop words are folded (no accents), as the words they are compared with. */
#include "analytics/textmine.h"

#include <libstemmer.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

/* Function words and greetings (folded). */
static const char *const stop_fr[] = {
    "a",       "ai",      "aie",      "ainsi",    "alors",   "apres",   "au",     "aucun",
    "aussi",   "autre",   "aux",      "avais",    "avait",   "avant",   "avec",   "avez",
    "avoir",   "avons",   "bien",     "bonjour",  "c",       "ca",      "car",    "ce",
    "ceci",    "cela",    "celle",    "celui",    "ces",     "cet",     "cette",  "chez",
    "comme",   "comment", "cordialement", "d",    "dans",    "de",      "deja",   "depuis",
    "des",     "deux",    "doit",     "donc",     "dont",    "du",      "elle",   "elles",
    "en",      "encore",  "entre",    "est",      "et",      "etaient", "etais",  "etait",
    "ete",     "etre",    "eu",       "fait",     "faire",   "fois",    "ici",    "il",
    "ils",     "j",       "je",       "jusqu",    "l",       "la",      "le",     "les",
    "leur",    "leurs",   "lui",      "m",        "ma",      "madame",  "mais",   "me",
    "meme",    "merci",   "mes",      "moi",      "mon",     "monsieur", "n",     "ne",
    "ni",      "nos",     "notre",    "nous",     "on",      "ont",     "ou",     "par",
    "pas",     "peu",     "plus",     "pour",     "pourquoi", "pourtant", "qu",    "quand",
    "que",     "quel",    "quelle",   "qui",      "quoi",    "s",       "sa",     "sans",
    "se",      "sera",    "ses",      "si",       "son",     "sont",    "sous",   "suis",
    "sur",     "svp",     "t",        "ta",       "te",      "tes",     "toi",    "ton",
    "toujours", "tous",   "tout",     "toute",    "tres",    "tu",      "un",     "une",
    "vais",    "vos",     "votre",    "vous",     "y",
};

static const char *const stop_en[] = {
    "a",      "about",  "after",  "again", "all",     "also",    "am",     "an",     "and",
    "any",    "are",    "as",     "at",    "be",      "been",    "before", "being",  "but",
    "by",     "can",    "could",  "d",     "dear",    "did",     "do",     "does",   "doing",
    "don",    "down",   "for",    "from",  "further", "get",     "got",    "had",    "has",
    "have",   "having", "he",     "hello", "her",     "here",    "hers",   "hi",     "him",
    "his",    "how",    "i",      "if",    "in",      "into",    "is",     "it",     "its",
    "just",   "ll",     "m",      "me",    "more",    "most",    "my",     "no",     "nor",
    "not",    "now",    "of",     "off",   "on",      "once",    "only",   "or",     "other",
    "our",    "out",    "over",   "own",   "please",  "re",      "regards", "s",     "same",
    "she",    "should", "so",     "some",  "still",   "such",    "t",      "than",   "thank",
    "thanks", "that",   "the",    "their", "them",    "then",    "there",  "these",  "they",
    "this",   "those",  "through", "to",   "too",     "under",   "until",  "up",     "ve",
    "very",   "was",    "we",     "were",  "what",    "when",    "where",  "which",  "while",
    "who",    "whom",   "why",    "will",  "with",    "would",   "you",    "your",   "yours",
};

#define NSTOP_FR (sizeof(stop_fr) / sizeof(stop_fr[0]))
#define NSTOP_EN (sizeof(stop_en) / sizeof(stop_en[0]))
#define STOP_HCAP 1024 /* power of two, over twice the words */

struct textmine {
    struct sb_stemmer *fr, *en;
    int default_lang;
    /* open addressing: the word and which lists hold it (1 fr, 2 en) */
    const char *stop[STOP_HCAP];
    uint8_t stop_in[STOP_HCAP];
};

static uint32_t hash_word(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void stop_add(struct textmine *tm, const char *w, uint8_t bit)
{
    uint32_t k = hash_word(w, strlen(w)) & (STOP_HCAP - 1);
    while (tm->stop[k] && strcmp(tm->stop[k], w))
        k = (k + 1) & (STOP_HCAP - 1);
    tm->stop[k] = w;
    tm->stop_in[k] |= bit;
}

/* Which lists hold w[0..n): 0 none, 1 fr, 2 en, 3 both. */
static int stop_lists(const struct textmine *tm, const char *w, size_t n)
{
    uint32_t k = hash_word(w, n) & (STOP_HCAP - 1);
    while (tm->stop[k]) {
        if (!strncmp(tm->stop[k], w, n) && !tm->stop[k][n])
            return tm->stop_in[k];
        k = (k + 1) & (STOP_HCAP - 1);
    }
    return 0;
}

int textmine_new(struct textmine **out, int default_lang)
{
    struct textmine *tm = calloc(1, sizeof(*tm));
    if (!tm)
        return -1;
    tm->fr = sb_stemmer_new("french", "UTF_8");
    tm->en = sb_stemmer_new("english", "UTF_8");
    if (!tm->fr || !tm->en) {
        textmine_free(tm);
        return -1;
    }
    tm->default_lang = default_lang == TM_LANG_EN ? TM_LANG_EN : TM_LANG_FR;
    for (size_t i = 0; i < NSTOP_FR; i++)
        stop_add(tm, stop_fr[i], 1);
    for (size_t i = 0; i < NSTOP_EN; i++)
        stop_add(tm, stop_en[i], 2);
    *out = tm;
    return 0;
}

void textmine_free(struct textmine *tm)
{
    if (!tm)
        return;
    sb_stemmer_delete(tm->fr);
    sb_stemmer_delete(tm->en);
    free(tm);
}

const char *tm_lang_name(int lang)
{
    return lang == TM_LANG_FR ? "fr" : lang == TM_LANG_EN ? "en" : "";
}

int textmine_is_stop(const struct textmine *tm, const char *word)
{
    return stop_lists(tm, word, strlen(word)) != 0;
}

/* ---------------------------------------------------------------- folding */

/* The folded text: sentences (split at . ! ? ; : and line ends) folded one
 * by one and joined by '\n'; words within one by single spaces. */
struct folded {
    char *s;
    size_t n;
};

static int is_break(unsigned char ch)
{
    return ch == '.' || ch == '!' || ch == '?' || ch == ';' || ch == ':' || ch == '\n' ||
           ch == '\r';
}

/* 0, -1 invalid UTF-8, -2 out of memory. */
static int fold_text(const char *text, struct folded *f)
{
    f->s = NULL;
    f->n = 0;
    size_t len = strlen(text);
    if (len > TM_MAX_TEXT) {
        len = TM_MAX_TEXT;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--; /* not in the middle of a character */
    }
    if (!utf8_valid(text, len))
        return -1;
    /* folding can expand a character (ligatures, compatibility forms) */
    size_t cap = 3 * len + 16;
    char *out = malloc(cap), *chunk = malloc(len + 1);
    if (!out || !chunk) {
        free(out);
        free(chunk);
        return -2;
    }
    size_t o = 0, i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && !is_break((unsigned char)text[j]))
            j++;
        if (j > i) {
            memcpy(chunk, text + i, j - i);
            chunk[j - i] = 0;
            if (o && out[o - 1] != '\n')
                out[o++] = '\n';
            int w = text_fold(chunk, out + o, cap - o - 1);
            if (w < 0) {
                free(out);
                free(chunk);
                return -1;
            }
            o += (size_t)w;
        }
        i = j + 1;
    }
    out[o] = 0;
    free(chunk);
    f->s = out;
    f->n = o;
    return 0;
}

/* The next word of f from *pos: its start and length; *sentence_end set when
 * a sentence ended before it. 0 at the end. */
static int next_word(const struct folded *f, size_t *pos, const char **w, size_t *wl,
                     int *sentence_end)
{
    size_t p = *pos;
    *sentence_end = 0;
    while (p < f->n && (f->s[p] == ' ' || f->s[p] == '\n')) {
        if (f->s[p] == '\n')
            *sentence_end = 1;
        p++;
    }
    if (p >= f->n)
        return 0;
    size_t s = p;
    while (p < f->n && f->s[p] != ' ' && f->s[p] != '\n')
        p++;
    *w = f->s + s;
    *wl = p - s;
    *pos = p;
    return 1;
}

static int guess(struct textmine *tm, const struct folded *f)
{
    size_t pos = 0, wl;
    const char *w;
    int end, fr = 0, en = 0;
    while (next_word(f, &pos, &w, &wl, &end)) {
        int in = stop_lists(tm, w, wl);
        fr += in == 1;
        en += in == 2;
    }
    return fr > en ? TM_LANG_FR : en > fr ? TM_LANG_EN : tm->default_lang;
}

int textmine_lang(struct textmine *tm, const char *text)
{
    struct folded f;
    if (!text || fold_text(text, &f))
        return tm->default_lang;
    int lang = guess(tm, &f);
    free(f.s);
    return lang;
}

/* Stems w[0..n) into out (TM_TERM_LEN); its length, or -1. */
static int stem(struct textmine *tm, int lang, const char *w, size_t n, char *out)
{
    struct sb_stemmer *sb = lang == TM_LANG_EN ? tm->en : tm->fr;
    const sb_symbol *s = sb_stemmer_stem(sb, (const sb_symbol *)w, (int)n);
    if (!s)
        return -1;
    int len = sb_stemmer_length(sb);
    if (len <= 0 || len > TM_MAX_WORD) { /* stemmers never lengthen; be safe */
        len = (int)n;
        s = (const sb_symbol *)w;
    }
    memcpy(out, s, (size_t)len);
    out[len] = 0;
    return len;
}

static int all_digits(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (w[i] < '0' || w[i] > '9')
            return 0;
    return 1;
}

/* ---------------------------------------------------------------- terms */

/* "a b" into out (2 * TM_TERM_LEN bytes; a and b are shorter than TM_TERM_LEN). */
static void join2(char *out, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    memcpy(out, a, la);
    out[la] = ' ';
    memcpy(out + la + 1, b, lb + 1);
}

int textmine_text(struct textmine *tm, const char *text, int flags, int *lang, tm_term_fn fn,
                  void *arg)
{
    if (lang)
        *lang = TM_LANG_NONE;
    if (!text || !*text)
        return 0;
    struct folded f;
    int rc = fold_text(text, &f);
    if (rc)
        return rc;
    int lg = guess(tm, &f);
    if (lang)
        *lang = lg;
    char cur[TM_TERM_LEN], prev[TM_TERM_LEN], alt[TM_TERM_LEN];
    char surf[TM_TERM_LEN], prev_surf[TM_TERM_LEN];
    char pair[2 * TM_TERM_LEN], pair_surf[2 * TM_TERM_LEN];
    int have_prev = 0, gap = 0, kept = 0, end;
    size_t pos = 0, wl;
    const char *w;
    while (next_word(&f, &pos, &w, &wl, &end)) {
        if (end)
            have_prev = 0;
        if (stop_lists(tm, w, wl)) {
            gap++;
            continue;
        }
        if (wl < 2 || wl > TM_MAX_WORD || all_digits(w, wl)) {
            have_prev = 0;
            continue;
        }
        if (stem(tm, lg, w, wl, cur) < 0) {
            free(f.s);
            return -2;
        }
        memcpy(surf, w, wl);
        surf[wl] = 0;
        struct tm_term t = {cur, surf, NULL, 1};
        if (flags & TM_ALT) {
            if (lg == TM_LANG_EN)
                t.alt = cur;
            else if (stem(tm, TM_LANG_EN, w, wl, alt) >= 0)
                t.alt = alt;
        }
        fn(&t, arg);
        kept++;
        if (have_prev && gap <= 2) {
            join2(pair, prev, cur);
            join2(pair_surf, prev_surf, surf);
            struct tm_term p = {pair, pair_surf, NULL, 2};
            fn(&p, arg);
        }
        memcpy(prev, cur, sizeof(prev));
        memcpy(prev_surf, surf, sizeof(prev_surf));
        have_prev = 1;
        gap = 0;
    }
    free(f.s);
    return kept;
}

int textmine_stem(struct textmine *tm, const char *word, int lang, char *out, size_t outlen)
{
    struct folded f;
    if (!word || fold_text(word, &f))
        return -1;
    size_t pos = 0, wl;
    const char *w;
    int end, rc = -1;
    char buf[TM_TERM_LEN];
    if (next_word(&f, &pos, &w, &wl, &end) && wl <= TM_MAX_WORD &&
        stem(tm, lang, w, wl, buf) >= 0 && strlen(buf) < outlen) {
        memcpy(out, buf, strlen(buf) + 1);
        rc = 0;
    }
    free(f.s);
    return rc;
}

int textmine_key(struct textmine *tm, const char *value, char *out, size_t outlen)
{
    int accented = 0;
    for (const unsigned char *p = (const unsigned char *)value; p && *p; p++)
        accented |= *p >= 0x80;
    int lang = accented ? TM_LANG_FR : TM_LANG_EN;
    if (!accented && strchr(value, ' '))
        lang = textmine_lang(tm, value);
    return textmine_stem(tm, value, lang, out, outlen);
}

/* ---------------------------------------------------------------- statistics */

double tm_tfidf(double count, double total, double df, double ndocs)
{
    if (total <= 0)
        return 0;
    return (count / total) * (log((1 + ndocs) / (1 + df)) + 1);
}

static int cmp_rank(const void *a, const void *b)
{
    const struct tm_rank *x = a, *y = b;
    if (x->lift != y->lift)
        return x->lift > y->lift ? -1 : 1;
    if (x->share != y->share)
        return x->share > y->share ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

size_t tm_emerging(const double *cur, const double *prev, size_t n, double tot_cur,
                   double tot_prev, double min_support, double min_lift, struct tm_rank *out)
{
    size_t k = 0;
    if (tot_prev <= 0 || tot_cur <= 0)
        return 0; /* no baseline */
    for (size_t i = 0; i < n; i++) {
        if (cur[i] < min_support || cur[i] <= 0)
            continue;
        double lift = ((cur[i] + 0.5) / (tot_cur + 1)) / ((prev[i] + 0.5) / (tot_prev + 1));
        if (!(lift >= min_lift) || lift <= 1)
            continue;
        out[k++] = (struct tm_rank){i, tot_cur > 0 ? cur[i] / tot_cur : 0,
                                    tot_prev > 0 ? prev[i] / tot_prev : 0, lift};
    }
    if (k > 1)
        qsort(out, k, sizeof(*out), cmp_rank);
    return k;
}

static int cmp_assoc(const void *a, const void *b)
{
    const struct tm_assoc *x = a, *y = b;
    if (x->diff != y->diff)
        return x->diff < y->diff ? -1 : 1;
    if (x->log_odds != y->log_odds)
        return x->log_odds > y->log_odds ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

size_t tm_low_satisfaction(const double *docs, const double *sum, const double *low, size_t n,
                           double all_docs, double all_sum, double all_low, double min_count,
                           struct tm_assoc *out)
{
    if (all_docs <= 0)
        return 0;
    double overall = all_sum / all_docs;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (docs[i] < min_count || docs[i] <= 0)
            continue;
        double mean = sum[i] / docs[i], diff = mean - overall;
        if (!(diff < 0))
            continue;
        /* 2x2 table: low / not low, with the term / without it */
        double a = low[i], b = docs[i] - low[i];
        double c = all_low - low[i], d = (all_docs - docs[i]) - c;
        if (c < 0)
            c = 0;
        if (d < 0)
            d = 0;
        double lo = log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)));
        out[k++] = (struct tm_assoc){i, mean, diff, lo};
    }
    if (k > 1)
        qsort(out, k, sizeof(*out), cmp_assoc);
    return k;
}
