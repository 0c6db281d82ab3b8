/*
 * Text mining of complaints, ticket messages and survey comments: French and
 * English tokenising with accent folding (utf8proc, via util/text.h), stop
 * words, Snowball stemming (libstemmer), a language guess per text, terms and
 * two-word phrases; and the statistics over term counts: tf-idf, emerging
 * topics, words associated with low satisfaction. Pure: no I/O; the only
 * state is a struct textmine (the stemmers), one per thread.
 */
#ifndef ANALYTICS_TEXTMINE_H
#define ANALYTICS_TEXTMINE_H
#include <stddef.h>

enum tm_lang { TM_LANG_NONE = 0, TM_LANG_FR = 1, TM_LANG_EN = 2 };

#define TM_MAX_TEXT 20000 /* bytes of a text analysed; the rest is ignored */
#define TM_MAX_WORD 40    /* longer words (URLs, ids, unspaced scripts) are skipped */
#define TM_TERM_LEN 96    /* a term: a stem or "stem stem", NUL included */

struct textmine;

/* The stemmers (French and English) and stop-word sets. default_lang is the
 * language of a text with no stop-word hits (enum tm_lang, not NONE).
 * 0, or -1 when out of memory. Not thread-safe: one per thread. */
int textmine_new(struct textmine **out, int default_lang);
/* Accepts NULL. */
void textmine_free(struct textmine *tm);

/* "fr" / "en" / "" */
const char *tm_lang_name(int lang);

/* One term of a text. term is a stem ("livraison") or two stems joined by a
 * space ("retard livraison"), surface the folded words as written ("retards
 * livraison"); alt (unigrams, with TM_ALT) the English stem of the word,
 * whatever the text's language. Valid during the callback only. */
struct tm_term {
    const char *term;
    const char *surface;
    const char *alt;
    int words; /* 1 or 2 */
};
typedef void (*tm_term_fn)(const struct tm_term *t, void *arg);

#define TM_ALT 1 /* fill tm_term.alt */

/*
 * Calls fn for every term of text, in order: each kept word (not a stop word
 * of either language, 2..TM_MAX_WORD bytes, not only digits) as its stem, and
 * each pair of kept words of one sentence with at most two stop words between
 * them as a phrase. *lang (may be NULL) gets the language used: the guess by
 * stop-word hits. Returns the number of kept words, -1 when text is not valid
 * UTF-8 (fn not called), -2 when out of memory. NULL or empty text: 0.
 */
int textmine_text(struct textmine *tm, const char *text, int flags, int *lang, tm_term_fn fn,
                  void *arg);

/* The language of text by stop-word hits (words of one list only count):
 * TM_LANG_FR or TM_LANG_EN, the default when tied. */
int textmine_lang(struct textmine *tm, const char *text);

/* 1 when the folded word is a stop word of either language. */
int textmine_is_stop(const struct textmine *tm, const char *word);

/* Folds word (its first word) and stems it in lang: 0, or -1 when it has no
 * word or out is too small. */
int textmine_stem(struct textmine *tm, const char *word, int lang, char *out, size_t outlen);

/* The key a segment value matches (segments' complaint_terms_90d): a value
 * with accented letters or French stop words is stemmed in French, otherwise
 * in English, matching a set that holds both stems of each word. */
int textmine_key(struct textmine *tm, const char *value, char *out, size_t outlen);

/* ---------------------------------------------------------------- statistics */

/* tf-idf of a term in a group (a period, a category): its share of the
 * group's words times the smoothed inverse document frequency,
 *   (count / total) * (ln((1 + ndocs) / (1 + df)) + 1)
 * (the smoothing of scikit-learn's TfidfTransformer). 0 when total is 0. */
double tm_tfidf(double count, double total, double df, double ndocs);

struct tm_rank {
    size_t index;      /* into the input arrays */
    double share;      /* count / total of the current period */
    double prev_share; /* of the previous period */
    double lift;       /* smoothed share ratio, see tm_emerging */
};

/*
 * Emerging topics: terms i with cur[i] >= min_support whose smoothed share
 * rises by at least min_lift against the previous period,
 *   lift = ((cur + 0.5) / (tot_cur + 1)) / ((prev + 0.5) / (tot_prev + 1)),
 * into out (room for n), highest lift first (ties: larger count, then lower
 * index). Returns how many: none when either period has no words (no
 * baseline to rise against).
 */
size_t tm_emerging(const double *cur, const double *prev, size_t n, double tot_cur,
                   double tot_prev, double min_support, double min_lift, struct tm_rank *out);

struct tm_assoc {
    size_t index;    /* into the input arrays */
    double mean;     /* mean satisfaction (0..1) of the documents with the term */
    double diff;     /* mean minus the overall mean: negative is worse */
    double log_odds; /* of a low score with the term against without it */
};

/*
 * Words associated with low satisfaction: for term i, docs[i] scored
 * documents contain it, with satisfaction scores (0..1) summing to sum[i],
 * low[i] of them low. Over all scored documents: all_docs, all_sum, all_low.
 * Keeps terms with docs >= min_count whose mean is below the overall mean,
 * worst (lowest diff) first, ties by log-odds; log-odds with 0.5 added to
 * each cell (Haldane-Anscombe). Returns how many were written to out (room
 * for n).
 */
size_t tm_low_satisfaction(const double *docs, const double *sum, const double *low, size_t n,
                           double all_docs, double all_sum, double all_low, double min_count,
                           struct tm_assoc *out);

#endif
