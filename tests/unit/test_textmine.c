/* Unit tests for analytics/textmine: folding, stop words, stems, language
 * guess, phrases, empty and non-Latin text, and the statistics against
 * hand-computed examples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/textmine.h"

/* The terms of a text as one string: "w:term[surface]|p:term|..." */
struct got {
    char s[4096];
    int words, phrases;
};

static void collect(const struct tm_term *t, void *arg)
{
    struct got *g = arg;
    size_t n = strlen(g->s);
    if (t->words == 1) {
        snprintf(g->s + n, sizeof(g->s) - n, "w:%s[%s]%s%s|", t->term, t->surface,
                 t->alt ? "~" : "", t->alt ? t->alt : "");
        g->words++;
    } else {
        snprintf(g->s + n, sizeof(g->s) - n, "p:%s|", t->term);
        g->phrases++;
    }
}

static struct textmine *tm;

static int setup(void **state)
{
    (void)state;
    return textmine_new(&tm, TM_LANG_FR);
}

static int teardown(void **state)
{
    (void)state;
    textmine_free(tm);
    return 0;
}

static void test_french_folding_stop_words_stems(void **state)
{
    (void)state;
    struct got g = {0};
    int lang = -1;
    int n = textmine_text(tm, "Bonjour, le COLIS n'est jamais arrivé : livraisons en retard !", 0,
                          &lang, collect, &g);
    assert_int_equal(lang, TM_LANG_FR);
    /* bonjour, le, n, est, en: stop words; accents and case folded */
    assert_int_equal(n, 5);
    assert_string_equal(g.s, "w:colis[colis]|w:jam[jamais]|p:colis jam|w:arriv[arrive]|p:jam "
                             "arriv|w:livraison[livraisons]|w:retard[retard]|p:livraison retard|");
    /* "arrive" (folded) and "arrivé" stem alike; the sentence break at ':'
     * stopped the phrase "arriv livraison" */
    assert_null(strstr(g.s, "p:arriv livraison"));
}

static void test_english_and_alt_stems(void **state)
{
    (void)state;
    struct got g = {0};
    int lang = 0;
    int n = textmine_text(tm, "The deliveries were late and the parcel was damaged.", TM_ALT, &lang,
                          collect, &g);
    assert_int_equal(lang, TM_LANG_EN);
    assert_int_equal(n, 4);
    assert_non_null(strstr(g.s, "w:deliveri[deliveries]~deliveri|"));
    assert_non_null(strstr(g.s, "w:damag[damaged]~damag|"));
    assert_non_null(strstr(g.s, "p:late parcel|")); /* "and the" between: two stop words */
    /* a French text's words carry their English stem too */
    memset(&g, 0, sizeof(g));
    textmine_text(tm, "les livraisons sont en retard", TM_ALT, &lang, collect, &g);
    assert_int_equal(lang, TM_LANG_FR);
    assert_non_null(strstr(g.s, "w:livraison[livraisons]~livraison|"));
}

static void test_stop_words_and_gaps(void **state)
{
    (void)state;
    assert_true(textmine_is_stop(tm, "les"));
    assert_true(textmine_is_stop(tm, "the"));
    assert_true(textmine_is_stop(tm, "tres")); /* folded "très" */
    assert_false(textmine_is_stop(tm, "livraison"));
    struct got g = {0};
    /* three stop words between two words: no phrase */
    textmine_text(tm, "remboursement de la part du vendeur", 0, NULL, collect, &g);
    assert_non_null(strstr(g.s, "p:rembours part|"));
    assert_null(strstr(g.s, "p:rembours vendeur"));
    memset(&g, 0, sizeof(g));
    textmine_text(tm, "remboursement et de la et vendeur", 0, NULL, collect, &g);
    assert_int_equal(g.phrases, 0);
    /* digits-only and one-letter words are not terms */
    memset(&g, 0, sizeof(g));
    assert_int_equal(textmine_text(tm, "commande 12345 x", 0, NULL, collect, &g), 1);
}

static void test_language_guess(void **state)
{
    (void)state;
    assert_int_equal(textmine_lang(tm, "je suis très déçu de la qualité"), TM_LANG_FR);
    assert_int_equal(textmine_lang(tm, "I am very disappointed with the quality"), TM_LANG_EN);
    /* no hits: the default */
    assert_int_equal(textmine_lang(tm, "livraison"), TM_LANG_FR);
    struct textmine *en = NULL;
    assert_int_equal(textmine_new(&en, TM_LANG_EN), 0);
    assert_int_equal(textmine_lang(en, "livraison"), TM_LANG_EN);
    textmine_free(en);
}

static void test_empty_invalid_non_latin(void **state)
{
    (void)state;
    struct got g = {0};
    int lang = 7;
    assert_int_equal(textmine_text(tm, NULL, 0, &lang, collect, &g), 0);
    assert_int_equal(lang, TM_LANG_NONE);
    assert_int_equal(textmine_text(tm, "", 0, NULL, collect, &g), 0);
    assert_int_equal(textmine_text(tm, " ... !!! ", 0, NULL, collect, &g), 0);
    assert_int_equal(g.words, 0);
    /* invalid UTF-8: refused, nothing emitted */
    assert_int_equal(textmine_text(tm, "caf\xc3 livraison", 0, NULL, collect, &g), -1);
    assert_int_equal(g.words, 0);
    /* Cyrillic and Greek words are kept (folded), stemmed as they are */
    memset(&g, 0, sizeof(g));
    assert_int_equal(textmine_text(tm, "Доставка задерживается", 0, NULL, collect, &g), 2);
    assert_non_null(strstr(g.s, "[доставка]"));
    /* an unspaced script gives one long run: skipped, not a crash */
    memset(&g, 0, sizeof(g));
    textmine_text(tm, "配送が遅れています。商品が届きません。配送が遅れています配送が遅れています",
                  0, NULL, collect, &g);
    assert_true(g.words <= 2);
    /* a text longer than TM_MAX_TEXT is cut at a character boundary */
    size_t big = TM_MAX_TEXT + 100;
    char *s = malloc(big + 1);
    for (size_t i = 0; i + 2 <= big; i += 2)
        memcpy(s + i, "\xc3\xa9", 2); /* é */
    s[big] = 0;
    memset(&g, 0, sizeof(g));
    assert_true(textmine_text(tm, s, 0, NULL, collect, &g) >= 0);
    free(s);
}

static void test_stem_and_key(void **state)
{
    (void)state;
    char a[TM_TERM_LEN], b[TM_TERM_LEN];
    assert_int_equal(textmine_key(tm, "delivery", a, sizeof(a)), 0);
    assert_int_equal(textmine_stem(tm, "Deliveries", TM_LANG_EN, b, sizeof(b)), 0);
    assert_string_equal(a, b);
    assert_int_equal(textmine_key(tm, "Livraisons", a, sizeof(a)), 0);
    assert_string_equal(a, "livraison");
    assert_int_equal(textmine_key(tm, "livrée", a, sizeof(a)), 0); /* accented: French */
    assert_int_equal(textmine_stem(tm, "livrées", TM_LANG_FR, b, sizeof(b)), 0);
    assert_string_equal(a, b);
    assert_int_equal(textmine_key(tm, "  ", a, sizeof(a)), -1);
    assert_int_equal(textmine_key(tm, "delivery", a, 3), -1); /* too small */
}

/* Hand-computed: group of 10 words, "retard" 4 times, in 2 of 5 documents:
 * 0.4 * (ln(6/3) + 1) = 0.4 * 1.693147 = 0.677259 */
static void test_tfidf(void **state)
{
    (void)state;
    assert_float_equal(tm_tfidf(4, 10, 2, 5), 0.6772589, 1e-6);
    /* a term in every document keeps idf 1 */
    assert_float_equal(tm_tfidf(3, 10, 5, 5), 0.3, 1e-12);
    assert_float_equal(tm_tfidf(3, 0, 1, 1), 0, 0);
    /* rarer scores higher at the same count */
    assert_true(tm_tfidf(2, 10, 1, 5) > tm_tfidf(2, 10, 4, 5));
}

/* Current period 100 words, previous 200:
 *   a: 10 now, 2 before  -> (10.5/101)/(2.5/201)  = 8.358
 *   b: 10 now, 20 before -> (10.5/101)/(20.5/201) = 1.019 (< min lift)
 *   c:  2 now, 0 before  -> below the minimum support of 3
 *   d:  5 now, 1 before  -> (5.5/101)/(1.5/201)   = 7.297 */
static void test_emerging(void **state)
{
    (void)state;
    double cur[] = {10, 10, 2, 5}, prev[] = {2, 20, 0, 1};
    struct tm_rank out[4];
    size_t k = tm_emerging(cur, prev, 4, 100, 200, 3, 1.5, out);
    assert_int_equal(k, 2);
    assert_int_equal(out[0].index, 0);
    assert_float_equal(out[0].lift, (10.5 / 101) / (2.5 / 201), 1e-9);
    assert_float_equal(out[0].share, 0.1, 1e-12);
    assert_float_equal(out[0].prev_share, 0.01, 1e-12);
    assert_int_equal(out[1].index, 3);
    assert_float_equal(out[1].lift, (5.5 / 101) / (1.5 / 201), 1e-9);
    /* an empty previous period is no baseline: nothing is emerging */
    double none[] = {0, 0, 0, 0};
    assert_int_equal(tm_emerging(cur, none, 4, 100, 0, 3, 1.5, out), 0);
    assert_int_equal(tm_emerging(cur, prev, 0, 0, 0, 1, 1, out), 0);
}

/* 10 scored documents, mean 0.7, 3 low.
 *   x: in 4 documents, sum 1.2 (mean 0.3), 3 low  -> diff -0.4
 *      log-odds: a=3 b=1 c=0 d=6: ln(3.5*6.5/(1.5*0.5)) = ln(30.333) = 3.4122
 *   y: in 2 documents, mean 0.5 (below min_count 3)
 *   z: in 5 documents, mean 0.9: above the mean */
static void test_low_satisfaction(void **state)
{
    (void)state;
    double docs[] = {4, 2, 5}, sum[] = {1.2, 1.0, 4.5}, low[] = {3, 1, 0};
    struct tm_assoc out[3];
    size_t k = tm_low_satisfaction(docs, sum, low, 3, 10, 7, 3, 3, out);
    assert_int_equal(k, 1);
    assert_int_equal(out[0].index, 0);
    assert_float_equal(out[0].mean, 0.3, 1e-12);
    assert_float_equal(out[0].diff, -0.4, 1e-12);
    assert_float_equal(out[0].log_odds, log(3.5 * 6.5 / (1.5 * 0.5)), 1e-9);
    k = tm_low_satisfaction(docs, sum, low, 3, 10, 7, 3, 2, out);
    assert_int_equal(k, 2);
    assert_int_equal(out[1].index, 1);
    assert_int_equal(tm_low_satisfaction(docs, sum, low, 3, 0, 0, 0, 1, out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_french_folding_stop_words_stems),
        cmocka_unit_test(test_english_and_alt_stems),
        cmocka_unit_test(test_stop_words_and_gaps),
        cmocka_unit_test(test_language_guess),
        cmocka_unit_test(test_empty_invalid_non_latin),
        cmocka_unit_test(test_stem_and_key),
        cmocka_unit_test(test_tfidf),
        cmocka_unit_test(test_emerging),
        cmocka_unit_test(test_low_satisfaction),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
