/* Unit tests for analytics/dedup: Jaro-Winkler reference values, the French
 * phonetic key, pair scores with their reasons, and precision / recall on a
 * generated population with known duplicates (typos, swapped names, missing
 * accents, changed e-mails, moves) and hard negatives (relatives sharing a
 * name, an address and a phone). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/dedup.h"
#include "util/text.h"

static void test_jaro_winkler(void **state)
{
    (void)state;
    /* the classic reference pairs (Winkler 1990) */
    assert_true(fabs(jaro_winkler("martha", "marhta") - 0.961) < 0.001);
    assert_true(fabs(jaro_winkler("dwayne", "duane") - 0.84) < 0.001);
    assert_true(fabs(jaro_winkler("dixon", "dicksonx") - 0.813) < 0.001);
    assert_true(jaro_winkler("abc", "abc") == 1.0);
    assert_true(jaro_winkler("", "abc") == 0.0);
    assert_true(jaro_winkler("abc", "xyz") == 0.0);
}

static void test_phonetic_fr(void **state)
{
    (void)state;
    char a[8], b[8];
    static const char *const same[][2] = {
        {"martin", "martinn"},  {"lefebvre", "lefevre"}, {"philippe", "filipe"},
        {"gauthier", "gautier"}, {"dupond", "dupont"},   {"rousseau", "rousso"},
        {"rousseau", "rouseau"},
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        phonetic_fr(same[i][0], a);
        phonetic_fr(same[i][1], b);
        if (strcmp(a, b) != 0)
            fail_msg("%s → %s but %s → %s", same[i][0], a, same[i][1], b);
    }
    phonetic_fr("martin", a);
    assert_string_equal(a, "MRTN");
    phonetic_fr("bernard", b);
    assert_string_not_equal(a, b);
    phonetic_fr("", a);
    assert_string_equal(a, "");
    phonetic_fr("123", a);
    assert_string_equal(a, "");
    assert_true(one_typo("martin", "martn"));
    assert_true(one_typo("martin", "matrin"));
    assert_true(one_typo("martin", "martiin"));
    assert_true(one_typo("martin", "marton"));
    assert_false(one_typo("martin", "martin"));
    assert_false(one_typo("joel", "noel")); /* the first letter is not a typo */
    assert_false(one_typo("louis", "loic"));
}

static void test_scores_and_reasons(void **state)
{
    (void)state;
    struct dedup_rec a = {1, "jean", "dupont", NULL, "jean.dupont@example.fr", "+33612345678",
                          "69001", "lyon", "1980-04-02"};
    struct dedup_rec typo = {2, "jean", "dupond", NULL, NULL, "+33612345678", "69001", "lyon", NULL};
    struct dedup_rec swapped = {3, "dupont", "jean", NULL, "jean.dupont@example.fr", NULL, NULL,
                                NULL, NULL};
    struct dedup_rec sister = {4, "marie", "dupont", NULL, "jean.dupont@example.fr",
                               "+33612345678", "69001", "lyon", "1984-09-12"};
    struct dedup_rec other = {5, "jean", "dupont", NULL, "jd@other.fr", "+33698765432", "69001",
                              "lyon", "1955-01-01"};
    unsigned why;
    assert_true(dedup_score(&a, &typo, &why) > 0.8);
    assert_true((why & DR_PHONE) && (why & DR_NAME) && (why & DR_PHONETIC) && (why & DR_POSTAL));
    assert_true(dedup_score(&a, &swapped, &why) > 0.8);
    assert_true((why & DR_NAME_SWAPPED) && (why & DR_EMAIL));
    assert_true(dedup_score(&a, &sister, &why) < 0.2); /* shares everything but who she is */
    assert_true(dedup_score(&a, &other, &why) < 0.2);  /* namesake, born 25 years apart */
    assert_true(why & DR_BIRTH_DIFFERS);
    struct dedup_rec o1 = {6, NULL, NULL, "boulangerie martin", NULL, NULL, "75011", "paris", NULL};
    struct dedup_rec o2 = {7, NULL, NULL, "boulangerie martinn", NULL, NULL, "75011", "paris", NULL};
    assert_true(dedup_score(&o1, &o2, &why) > 0.5);
    assert_true(why & DR_ORG);
    assert_string_equal(dedup_reason_name(0), "email");
}

/* ------------------------------------------------------ generated population */

static const char *const firsts[] = {
    "Jean",    "Marie",   "Pierre",   "Michel",  "André",   "Philippe", "Nathalie", "Isabelle",
    "Hélène",  "François", "Sylvie",  "Catherine", "Frédéric", "Stéphane", "Céline",  "Anne",
    "Jérôme",  "Sébastien", "Émilie", "Aurélie", "Nicolas", "Julien",   "Camille",  "Léa",
    "Chloé",   "Inès",    "Louis",    "Gabriel", "Raphaël", "Arthur",   "Zoé",      "Maël",
    "Benoît",  "Thérèse", "Agnès",    "Noël",    "Loïc",    "Gaëlle",   "Anaïs",    "Joël",
};
static const char *const lasts[] = {
    "Martin",   "Bernard", "Dubois",  "Thomas",   "Robert",   "Richard",   "Petit",    "Durand",
    "Leroy",    "Moreau",  "Simon",   "Laurent",  "Lefèvre",  "Michel",    "García",   "David",
    "Bertrand", "Roux",    "Vincent", "Fournier", "Morel",    "Girard",    "André",    "Lefèbvre",
    "Mercier",  "Dupont",  "Lambert", "Bonnet",   "François", "Martínez",  "Légaré",   "Gauthier",
    "Chevalier", "Rousseau", "Blanc", "Guérin",   "Müller",   "Faure",     "Perrin",   "Mathieu",
    "Clément",  "Gautier", "Dumont",  "Lopez",    "Fontaine", "Brunet",    "Schmitt",  "Colin",
    "Vidal",    "Caron",   "Picard",  "Roger",    "Lemaire",  "Duval",     "Joly",     "Gérard",
    "Renard",   "Rolland", "Barbier", "Arnaud",   "Giraud",   "Aubert",    "Hoarau",   "Le Gall",
};

struct person {
    char first[32], last[32], email[64], phone[16], postal[8], city[16], birth[11], street[48];
    int identity; /* people with the same identity are the same person */
};

static uint64_t rng = 88172645463325252ULL;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void make_person(struct person *p, int identity)
{
    snprintf(p->first, sizeof(p->first), "%s", firsts[rnd(sizeof(firsts) / sizeof(firsts[0]))]);
    snprintf(p->last, sizeof(p->last), "%s", lasts[rnd(sizeof(lasts) / sizeof(lasts[0]))]);
    snprintf(p->email, sizeof(p->email), "u%d@mail%u.fr", identity, rnd(5));
    snprintf(p->phone, sizeof(p->phone), "+336%08u", rnd(100000000));
    unsigned pc = rnd(300);
    snprintf(p->postal, sizeof(p->postal), "%05u", 1000 + pc * 317);
    snprintf(p->city, sizeof(p->city), "ville%u", pc);
    snprintf(p->street, sizeof(p->street), "%u rue %u", 1 + rnd(120), rnd(400));
    snprintf(p->birth, sizeof(p->birth), "%04u-%02u-%02u", 1940 + rnd(60), 1 + rnd(12),
             1 + rnd(28));
    p->identity = identity;
}

/* A typo in an ASCII-folded copy: substitution, deletion, insertion or
 * transposition, never on the first letter. */
static void typo(char *s)
{
    size_t n = strlen(s);
    if (n < 4)
        return;
    size_t i = 1 + rnd((uint32_t)(n - 2));
    switch (rnd(4)) {
    case 0:
        s[i] = (char)('a' + rnd(26));
        break;
    case 1:
        memmove(s + i, s + i + 1, n - i);
        break;
    case 2:
        if (n + 1 < 32) {
            memmove(s + i + 1, s + i, n - i + 1);
            s[i] = (char)('a' + rnd(26));
        }
        break;
    default: {
        char t = s[i];
        s[i] = s[i + 1];
        s[i + 1] = t;
    }
    }
}

static void fold(char *s, size_t cap)
{
    char tmp[64];
    text_fold(s, tmp, sizeof(tmp));
    text_copy(s, cap, tmp);
}

/* A second record of the same person, as a second source would have it. */
static void make_duplicate(struct person *d, const struct person *p)
{
    *d = *p;
    fold(d->first, sizeof(d->first)); /* accents lost */
    fold(d->last, sizeof(d->last));
    uint32_t r = rnd(100);
    if (r < 40)
        typo(rnd(2) ? d->last : d->first);
    else if (r < 55) {
        char t[32];
        memcpy(t, d->first, sizeof(t));
        memcpy(d->first, d->last, sizeof(t));
        memcpy(d->last, t, sizeof(t));
    }
    r = rnd(100);
    if (r < 30)
        d->email[0] = 0;
    else if (r < 50)
        snprintf(d->email, sizeof(d->email), "other%d@mail9.fr", p->identity);
    if (rnd(2))
        d->phone[0] = 0;
    if (rnd(100) < 40)
        d->birth[0] = 0;
    if (rnd(100) < 15) { /* moved */
        unsigned pc = rnd(300);
        snprintf(d->postal, sizeof(d->postal), "%05u", 1000 + pc * 317);
        snprintf(d->city, sizeof(d->city), "ville%u", pc);
        snprintf(d->street, sizeof(d->street), "%u rue %u", 1 + rnd(120), rnd(400));
    } else if (rnd(100) < 20) {
        d->street[0] = 0; /* the second source had no street line */
    }
}

/* A relative: same last name, address and landline, another person. */
static void make_relative(struct person *r, const struct person *p, int identity)
{
    struct person q;
    do /* a relative has a first name of their own */
        make_person(&q, identity);
    while (strcmp(q.first, p->first) == 0);
    *r = *p;
    memcpy(r->first, q.first, sizeof(r->first));
    memcpy(r->birth, q.birth, sizeof(r->birth));
    if (rnd(2))
        memcpy(r->email, q.email, sizeof(r->email));
    r->identity = identity;
}

static void test_precision_recall(void **state)
{
    (void)state;
    enum { BASE = 20000, RELATIVES = 4000, DUPS = 2000 };
    size_t n = BASE + RELATIVES + DUPS;
    struct person *pp = calloc(n, sizeof(*pp));
    struct dedup_rec *recs = calloc(n, sizeof(*recs));
    assert_non_null(pp);
    assert_non_null(recs);
    size_t k = 0;
    for (int i = 0; i < BASE; i++)
        make_person(&pp[k++], i);
    for (int i = 0; i < RELATIVES; i++) {
        const struct person *p = &pp[(i * 5) % BASE]; /* one relative per household */
        make_relative(&pp[k++], p, BASE + i);
    }
    for (int i = 0; i < DUPS; i++)
        make_duplicate(&pp[k++], &pp[rnd(BASE)]);
    n = k;
    for (size_t i = 0; i < n; i++) {
        fold(pp[i].first, sizeof(pp[i].first));
        fold(pp[i].last, sizeof(pp[i].last));
        recs[i] = (struct dedup_rec){(int64_t)i,    pp[i].first, pp[i].last,  NULL,
                                     pp[i].email,   pp[i].phone, pp[i].postal, pp[i].city,
                                     pp[i].birth,   pp[i].street};
    }
    /* truth: every pair of records sharing an identity */
    size_t truth = 0;
    int *count = calloc(BASE + RELATIVES, sizeof(int));
    for (size_t i = 0; i < n; i++)
        count[pp[i].identity]++;
    for (int i = 0; i < BASE + RELATIVES; i++)
        truth += (size_t)count[i] * (size_t)(count[i] - 1) / 2;
    free(count);

    struct dedup_pair *pairs;
    size_t np;
    assert_int_equal(dedup_candidates(recs, n, 0.5, &pairs, &np, NULL, NULL), 0);
    size_t right = 0;
    for (size_t i = 0; i < np; i++) {
        assert_true(pairs[i].a < pairs[i].b);
        if (i)
            assert_true(pairs[i - 1].score >= pairs[i].score);
        if (pp[pairs[i].a].identity == pp[pairs[i].b].identity)
            right++;
        else if (getenv("DEDUP_DEBUG")) {
            const struct person *x = &pp[pairs[i].a], *y = &pp[pairs[i].b];
            print_message("FP %.2f %x | %s %s %s %s %s %s | %s %s %s %s %s %s\n", pairs[i].score,
                          pairs[i].reasons, x->first, x->last, x->email, x->phone, x->postal,
                          x->birth, y->first, y->last, y->email, y->phone, y->postal, y->birth);
        }
    }
    if (getenv("DEDUP_DEBUG"))
        for (size_t i = BASE + RELATIVES; i < n; i++) {
            const struct person *x = &pp[pp[i].identity], *y = &pp[i];
            unsigned why;
            double sc = dedup_score(&recs[pp[i].identity], &recs[i], &why);
            if (sc < 0.5)
                print_message("FN %.2f %x | %s %s %s %s %s %s | %s %s %s %s %s %s\n", sc, why,
                              x->first, x->last, x->email, x->phone, x->postal, x->birth,
                              y->first, y->last, y->email, y->phone, y->postal, y->birth);
        }
    double precision = np ? (double)right / (double)np : 0.0;
    double recall = truth ? (double)right / (double)truth : 0.0;
    print_message("dedup: %zu records, %zu true pairs, %zu found, precision %.3f, recall %.3f\n",
                  n, truth, np, precision, recall);
    assert_true(precision >= 0.95);
    assert_true(recall >= 0.90);
    free(pairs);
    free(recs);
    free(pp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jaro_winkler),
        cmocka_unit_test(test_phonetic_fr),
        cmocka_unit_test(test_scores_and_reasons),
        cmocka_unit_test(test_precision_recall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
