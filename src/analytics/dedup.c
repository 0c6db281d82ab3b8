/* Duplicate detection (see dedup.h). */
#include "analytics/dedup.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_names[DEDUP_NREASONS] = {
    "email", "phone", "name", "name_swapped", "phonetic", "postal_code", "birth_date", "city",
    "organization", "birth_date_differs", "street"};

const char *dedup_reason_name(int bit)
{
    return bit >= 0 && bit < DEDUP_NREASONS ? reason_names[bit] : "";
}

static int known(const char *s)
{
    return s && *s;
}

/* ------------------------------------------------------------ Jaro-Winkler */

#define JW_MAX 64

double jaro_winkler(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > JW_MAX)
        la = JW_MAX;
    if (lb > JW_MAX)
        lb = JW_MAX;
    if (!la && !lb)
        return 1.0;
    if (!la || !lb)
        return 0.0;
    size_t window = (la > lb ? la : lb) / 2;
    window = window ? window - 1 : 0;
    char ma[JW_MAX] = {0}, mb[JW_MAX] = {0};
    size_t matches = 0;
    for (size_t i = 0; i < la; i++) {
        size_t lo = i > window ? i - window : 0, hi = i + window + 1 < lb ? i + window + 1 : lb;
        for (size_t j = lo; j < hi; j++) {
            if (!mb[j] && a[i] == b[j]) {
                ma[i] = mb[j] = 1;
                matches++;
                break;
            }
        }
    }
    if (!matches)
        return 0.0;
    size_t half = 0;
    for (size_t i = 0, j = 0; i < la; i++) {
        if (!ma[i])
            continue;
        while (!mb[j])
            j++;
        if (a[i] != b[j])
            half++;
        j++;
    }
    double m = (double)matches;
    double jaro = (m / (double)la + m / (double)lb + (m - (double)half / 2.0) / m) / 3.0;
    size_t prefix = 0;
    while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix])
        prefix++;
    return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

int one_typo(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (!la || !lb || a[0] != b[0] || (la > lb ? la - lb : lb - la) > 1)
        return 0;
    size_t i = 0;
    while (i < la && i < lb && a[i] == b[i])
        i++;
    if (i == la && i == lb)
        return 0; /* equal */
    if (la == lb) {
        if (strcmp(a + i + 1, b + i + 1) == 0)
            return 1; /* substitution */
        return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
               strcmp(a + i + 2, b + i + 2) == 0; /* adjacent swap */
    }
    return la > lb ? strcmp(a + i + 1, b + i) == 0 : strcmp(a + i, b + i + 1) == 0;
}

/* ------------------------------------------------------- French phonetics */

/* Replaces every occurrence of from by to (not longer) in s, in place. */
static void subst(char *s, const char *from, const char *to)
{
    size_t lf = strlen(from), lt = strlen(to);
    char *r = s, *w = s;
    while (*r) {
        if (strncmp(r, from, lf) == 0) {
            memcpy(w, to, lt);
            w += lt;
            r += lf;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
}

static void subst_prefix(char *s, const char *from, const char *to)
{
    size_t lf = strlen(from);
    if (strncmp(s, from, lf) == 0)
        memcpy(s, to, strlen(to)); /* same length in every rule */
}

static int vowel(char c)
{
    return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U';
}

/* Soundex 2 (F. Brouard), the usual phonetic key for French names. */
void phonetic_fr(const char *folded, char *out)
{
    char s[64];
    size_t n = 0;
    for (const char *p = folded; *p && n < sizeof(s) - 1; p++) {
        char c = *p;
        if (c >= 'a' && c <= 'z')
            s[n++] = (char)(c - 32);
        else if (c >= 'A' && c <= 'Z')
            s[n++] = c;
    }
    s[n] = 0;
    out[0] = 0;
    if (!n)
        return;
    static const char *const primary[][2] = {
        {"GUI", "KI"}, {"GUE", "KE"}, {"GA", "KA"}, {"GO", "KO"}, {"GU", "K"}, {"CA", "KA"},
        {"CO", "KO"},  {"CU", "KU"},  {"Q", "K"},   {"CC", "K"},  {"CK", "K"},
        {"BV", "V"}, /* not in Soundex 2: Lefebvre and Lefèvre are one name */
    };
    for (size_t i = 0; i < sizeof(primary) / sizeof(primary[0]); i++)
        subst(s, primary[i][0], primary[i][1]);
    for (char *p = s + 1; *p; p++)
        if (vowel(*p))
            *p = 'A';
    static const char *const prefixes[][2] = {
        {"MAC", "MCC"}, {"ASA", "AZA"}, {"KN", "NN"}, {"PF", "FF"}, {"SCH", "SSS"}, {"PH", "FF"},
    };
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        subst_prefix(s, prefixes[i][0], prefixes[i][1]);
    /* H kept only after C or S; Y only after A */
    char t[64];
    size_t m = 0;
    for (size_t i = 0; s[i]; i++) {
        char prev = i ? s[i - 1] : 0;
        if (s[i] == 'H' && prev != 'C' && prev != 'S')
            continue;
        if (s[i] == 'Y' && prev != 'A')
            continue;
        t[m++] = s[i];
    }
    t[m] = 0;
    while (m > 1 && strchr("ADTS", t[m - 1]))
        t[--m] = 0;
    /* A dropped after the first letter, repeated letters collapsed */
    size_t k = 0;
    for (size_t i = 0; i < m && k < 4; i++) {
        if (i && t[i] == 'A')
            continue;
        if (k && out[k - 1] == t[i])
            continue;
        out[k++] = t[i];
    }
    out[k] = 0;
}

/* ------------------------------------------------------------------ score */

#define DEDUP_PIVOT 3.2 /* evidence at which a pair is even odds */

static double names_score(const struct dedup_rec *a, const struct dedup_rec *b, unsigned *why)
{
    if (known(a->org) || known(b->org)) {
        if (!known(a->org) || !known(b->org))
            return -1.0;
        double s = jaro_winkler(a->org, b->org);
        if (s >= 0.93) {
            *why |= DR_ORG;
            return s >= 0.98 ? 2.5 : 1.8;
        }
        return -3.0;
    }
    if (!known(a->last) || !known(b->last))
        return 0.0;
    int firsts = known(a->first) && known(b->first);
    double jf = firsts ? jaro_winkler(a->first, b->first) : 1.0;
    double jl = jaro_winkler(a->last, b->last);
    double direct = firsts ? (jf + jl) / 2.0 : jl;
    double sf = firsts ? jaro_winkler(a->first, b->last) : 0.0;
    double sl = firsts ? jaro_winkler(a->last, b->first) : 0.0;
    double swapped = (sf + sl) / 2.0;
    int swap = swapped > direct + 0.02;
    double name = swap ? swapped : direct;
    double worst = swap ? (sf < sl ? sf : sl) : (jf < jl ? jf : jl);
    /* a single typo in a name counts as the same name, whatever Jaro-Winkler
     * says of short names */
    const char *x1 = a->first, *x2 = swap ? b->last : b->first;
    const char *y1 = a->last, *y2 = swap ? b->first : b->last;
    int typos = (firsts && strcmp(x1, x2) != 0) + (strcmp(y1, y2) != 0);
    int typo_only = typos == 1 && ((firsts && one_typo(x1, x2)) || one_typo(y1, y2));
    if (typo_only && worst < 0.92)
        worst = name = 0.92;
    char p1[8], p2[8], p3[8], p4[8];
    phonetic_fr(a->last, p1);
    phonetic_fr(swap ? b->first : b->last, p2);
    int sounds = p1[0] && strcmp(p1, p2) == 0;
    if (sounds && firsts) {
        phonetic_fr(a->first, p3);
        phonetic_fr(swap ? b->last : b->first, p4);
        sounds = strcmp(p3, p4) == 0;
    }
    double s;
    if (worst < 0.88)
        s = -4.5; /* one of the names differs beyond a typo: a relative, not a duplicate */
    else if (name >= 0.97)
        s = 1.6;
    else if (name >= 0.92)
        s = 1.1;
    else if (name >= 0.87)
        s = 0.4;
    else
        s = -3.0;
    if (s > 0) {
        *why |= DR_NAME;
        if (swap)
            *why |= DR_NAME_SWAPPED;
    }
    if (sounds) {
        *why |= DR_PHONETIC;
        s += 0.3;
    }
    return s;
}

/* +same when both known and equal, +differ when both known and different. */
static double compare(const char *x, const char *y, double same, double differ, unsigned bit,
                      unsigned *why)
{
    if (!known(x) || !known(y))
        return 0.0;
    if (strcmp(x, y) == 0) {
        *why |= bit;
        return same;
    }
    return differ;
}

double dedup_score(const struct dedup_rec *a, const struct dedup_rec *b, unsigned *reasons)
{
    unsigned why = 0;
    double e = names_score(a, b, &why);
    e += compare(a->email, b->email, 2.5, -0.1, DR_EMAIL, &why);
    e += compare(a->phone, b->phone, 2.0, -0.3, DR_PHONE, &why);
    e += compare(a->birth, b->birth, 1.5, -4.0, DR_BIRTH, &why);
    if (known(a->birth) && known(b->birth) && !(why & DR_BIRTH))
        why |= DR_BIRTH_DIFFERS;
    e += compare(a->postal, b->postal, 0.6, 0.0, DR_POSTAL, &why);
    e += compare(a->city, b->city, 0.2, 0.0, DR_CITY, &why);
    e += compare(a->street, b->street, 1.0, 0.0, DR_STREET, &why);
    if (reasons)
        *reasons = why;
    return 1.0 / (1.0 + exp(-1.5 * (e - DEDUP_PIVOT)));
}

/* --------------------------------------------------------------- blocking */

struct entry {
    uint64_t key;
    uint32_t rec;
};

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    h ^= 0xff; /* field separator */
    return h * 1099511628211ULL;
}

static uint64_t key_of(int kind, const char *x, const char *y, const char *z)
{
    uint64_t h = 14695981039346656037ULL ^ (uint64_t)kind;
    return fnv(fnv(fnv(h, x), y), z);
}

/* Up to 6 blocking keys for one record: exact e-mail; exact phone; sound of
 * the last name + postal code; both names' sounds, in either order, with
 * the postal code and with the birth date; the first three letters of the
 * last name + postal code (a typo that changes the sound). */
static int keys_of(const struct dedup_rec *r, uint64_t *k)
{
    int n = 0;
    if (known(r->email))
        k[n++] = key_of(1, r->email, NULL, NULL);
    if (known(r->phone))
        k[n++] = key_of(2, r->phone, NULL, NULL);
    if (known(r->org)) {
        char po[8];
        phonetic_fr(r->org, po);
        if (known(r->postal))
            k[n++] = key_of(3, po, r->postal, NULL);
        return n;
    }
    if (!known(r->last))
        return n;
    char pl[8], pf[8] = "";
    phonetic_fr(r->last, pl);
    if (known(r->first))
        phonetic_fr(r->first, pf);
    const char *lo = strcmp(pl, pf) < 0 ? pl : pf, *hi = lo == pl ? pf : pl;
    if (known(r->postal)) {
        k[n++] = key_of(4, pl, r->postal, NULL);
        k[n++] = key_of(5, lo, hi, r->postal);
        char pre[4] = {0};
        memcpy(pre, r->last, strnlen(r->last, 3));
        k[n++] = key_of(6, pre, r->postal, NULL);
    }
    if (known(r->birth))
        k[n++] = key_of(7, lo, hi, r->birth);
    return n;
}

static int by_key(const void *x, const void *y)
{
    const struct entry *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->rec < b->rec ? -1 : a->rec > b->rec;
}

static int by_ids(const void *x, const void *y)
{
    const struct dedup_pair *a = x, *b = y;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : a->b > b->b;
}

static int by_score(const void *x, const void *y)
{
    const struct dedup_pair *a = x, *b = y;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return by_ids(x, y);
}

struct pairs {
    struct dedup_pair *v;
    size_t n, cap;
};

static int pairs_add(struct pairs *p, const struct dedup_rec *x, const struct dedup_rec *y,
                     double threshold)
{
    unsigned why;
    double s = dedup_score(x, y, &why);
    if (s < threshold)
        return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        struct dedup_pair *v = realloc(p->v, cap * sizeof(*v));
        if (!v)
            return -1;
        p->v = v;
        p->cap = cap;
    }
    int64_t a = x->id < y->id ? x->id : y->id, b = x->id < y->id ? y->id : x->id;
    p->v[p->n++] = (struct dedup_pair){a, b, s, why};
    return 0;
}

#define BLOCK_ALL 64 /* blocks up to this size compare every pair */
#define WINDOW 16    /* larger blocks compare each record with its next 16 */

int dedup_candidates(const struct dedup_rec *recs, size_t n, double threshold,
                     struct dedup_pair **out, size_t *npairs, dedup_progress_fn progress,
                     void *arg)
{
    *out = NULL;
    *npairs = 0;
    struct entry *e = malloc((n * 6 + 1) * sizeof(*e));
    if (!e)
        return -1;
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t k[6];
        int nk = keys_of(&recs[i], k);
        for (int j = 0; j < nk; j++)
            e[ne++] = (struct entry){k[j], (uint32_t)i};
        if (progress && (i & 0x3ffff) == 0)
            progress("keys", 0.2 * (double)i / (double)n, arg);
    }
    if (ne)
        qsort(e, ne, sizeof(*e), by_key);
    struct pairs p = {0};
    int rc = 0;
    for (size_t lo = 0; lo < ne && !rc;) {
        size_t hi = lo + 1;
        while (hi < ne && e[hi].key == e[lo].key)
            hi++;
        size_t m = hi - lo;
        for (size_t i = lo; i < hi && !rc; i++) {
            size_t end = m <= BLOCK_ALL ? hi : (i + WINDOW + 1 < hi ? i + WINDOW + 1 : hi);
            for (size_t j = i + 1; j < end && !rc; j++)
                rc = pairs_add(&p, &recs[e[i].rec], &recs[e[j].rec], threshold);
        }
        if (progress && (lo & 0xfffff) < m)
            progress("compare", 0.2 + 0.75 * (double)lo / (double)ne, arg);
        lo = hi;
    }
    free(e);
    if (rc) {
        free(p.v);
        return -1;
    }
    /* the same pair found through several keys: keep one */
    if (p.n)
        qsort(p.v, p.n, sizeof(*p.v), by_ids);
    size_t u = 0;
    for (size_t i = 0; i < p.n; i++)
        if (!u || p.v[i].a != p.v[u - 1].a || p.v[i].b != p.v[u - 1].b)
            p.v[u++] = p.v[i];
    if (u)
        qsort(p.v, u, sizeof(*p.v), by_score);
    if (progress)
        progress("compare", 1.0, arg);
    *out = p.v;
    *npairs = u;
    return 0;
}
