/*
 * Duplicate detection, pure: string similarity (Jaro-Winkler), a phonetic
 * key for French names (Soundex 2 / "soundex français"), a pair score with
 * its reasons, and candidate pairs found through blocking keys so that a
 * million records compare in seconds instead of 10^12 pairs.
 *
 * Records hold already-normalised values: names and cities folded by
 * text_fold (lower-case ASCII, no accents, single spaces), e-mails
 * lower-cased, phones in E.164, dates as YYYY-MM-DD. Empty strings (or
 * NULL) mean "unknown" and neither help nor hurt a score.
 */
#ifndef ANALYTICS_DEDUP_H
#define ANALYTICS_DEDUP_H
#include <stddef.h>
#include <stdint.h>

struct dedup_rec {
    int64_t id;
    const char *first, *last; /* persons */
    const char *org;          /* organisations */
    const char *email, *phone;
    const char *postal, *city, *birth;
    const char *street; /* first address line, folded */
};

/* Why a pair was scored as it was (bits of struct dedup_pair.reasons). */
enum dedup_reason {
    DR_EMAIL = 1 << 0,        /* same e-mail */
    DR_PHONE = 1 << 1,        /* same phone */
    DR_NAME = 1 << 2,         /* names alike (Jaro-Winkler) */
    DR_NAME_SWAPPED = 1 << 3, /* first and last names swapped */
    DR_PHONETIC = 1 << 4,     /* names sound alike */
    DR_POSTAL = 1 << 5,       /* same postal code */
    DR_BIRTH = 1 << 6,        /* same birth date */
    DR_CITY = 1 << 7,         /* same city */
    DR_ORG = 1 << 8,          /* organisation names alike */
    DR_BIRTH_DIFFERS = 1 << 9, /* both birth dates known and different */
    DR_STREET = 1 << 10        /* same street address */
};
#define DEDUP_NREASONS 11
/* "email", "phone", ... for bit i. */
const char *dedup_reason_name(int bit);

struct dedup_pair {
    int64_t a, b;     /* ids, a < b */
    double score;     /* 0..1; pairs at or over the threshold are reported */
    unsigned reasons; /* enum dedup_reason bits */
};

/* Jaro-Winkler similarity of two byte strings, 0..1 (1: equal). */
double jaro_winkler(const char *a, const char *b);

/* 1 when a and b differ by exactly one typo (a substitution, insertion,
 * deletion or swap of adjacent letters) after their first letter. */
int one_typo(const char *a, const char *b);

/* French phonetic key of one folded word (or several: spaces are dropped)
 * into out (at least 8 bytes): "martin", "marten" → "MRTN". Empty input
 * gives "". */
void phonetic_fr(const char *folded, char *out);

/* Score of a pair, 0..1, and its reasons. */
double dedup_score(const struct dedup_rec *a, const struct dedup_rec *b, unsigned *reasons);

/* Called now and then with the fraction done; may be NULL. */
typedef void (*dedup_progress_fn)(const char *stage, double frac, void *arg);

/* Candidate pairs of recs[0..n) scoring at least threshold, sorted by score
 * (highest first), each pair once. *out is malloc'ed (free it); returns 0 or
 * -1 when out of memory. */
int dedup_candidates(const struct dedup_rec *recs, size_t n, double threshold,
                     struct dedup_pair **out, size_t *npairs, dedup_progress_fn progress,
                     void *arg);

#endif
