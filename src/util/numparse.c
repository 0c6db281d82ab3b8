/*
 * Import number and date parsing (see numparse.h): a value is cut into digit
 * groups and separators first, then the separators are given their meaning,
 * then the digits are scaled to minor units in integer arithmetic.
 */
#include "util/numparse.h"

#include <string.h>

#include "util/err.h"
#include "util/timeu.h"

#define MAX_GROUPS 32
#define MAX_DIGITS 96
#define MAX_EXP 100000L
#define DATE_BUF 64

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

/* Length of a space at p: ASCII space or tab, NBSP (C2 A0), NNBSP (E2 80 AF). */
static size_t space_at(const char *p, const char *end)
{
    const unsigned char *u = (const unsigned char *)p;
    if (p >= end)
        return 0;
    if (*p == ' ' || *p == '\t')
        return 1;
    if (end - p >= 2 && u[0] == 0xC2 && u[1] == 0xA0)
        return 2;
    if (end - p >= 3 && u[0] == 0xE2 && u[1] == 0x80 && u[2] == 0xAF)
        return 3;
    return 0;
}

static const char *skip_spaces(const char *p, const char *end)
{
    size_t n = space_at(p, end);
    while (n) {
        p += n;
        n = space_at(p, end);
    }
    return p;
}

/* Trims spaces on both sides of [*b, *e). */
static void trim(const char **b, const char **e)
{
    *b = skip_spaces(*b, *e);
    for (;;) {
        const char *q = *e;
        if (q > *b && (q[-1] == ' ' || q[-1] == '\t'))
            q -= 1;
        else if (q - *b >= 2 && (unsigned char)q[-2] == 0xC2 && (unsigned char)q[-1] == 0xA0)
            q -= 2;
        else if (q - *b >= 3 && (unsigned char)q[-3] == 0xE2 && (unsigned char)q[-2] == 0x80 &&
                 (unsigned char)q[-1] == 0xAF)
            q -= 3;
        if (q == *e)
            return;
        *e = q;
    }
}

/* Length of a sign at p (`-`, `+`, U+2212), *neg set; 0 when none. */
static size_t sign_at(const char *p, const char *end, int *neg)
{
    if (p < end && (*p == '-' || *p == '+')) {
        *neg = *p == '-';
        return 1;
    }
    if (end - p >= 3 && (unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x88 &&
        (unsigned char)p[2] == 0x92) {
        *neg = 1;
        return 3;
    }
    return 0;
}

static const struct {
    const char *sym;
    const char *code;
} currency_symbols[] = {
    {"\xC2\xA3", "GBP"},
    {"\xE2\x82\xAC", "EUR"},
    {"$", "USD"},
    {"\xC2\xA5", "JPY"},
};

/* Length of a currency symbol or 3-letter code at p, code copied to cur. */
static size_t currency_at(const char *p, const char *end, char cur[NUM_CURRENCY_LEN])
{
    for (size_t i = 0; i < sizeof(currency_symbols) / sizeof(currency_symbols[0]); i++) {
        size_t n = strlen(currency_symbols[i].sym);
        if ((size_t)(end - p) >= n && memcmp(p, currency_symbols[i].sym, n) == 0) {
            memcpy(cur, currency_symbols[i].code, NUM_CURRENCY_LEN);
            return n;
        }
    }
    if (end - p >= 3 && is_upper(p[0]) && is_upper(p[1]) && is_upper(p[2]) &&
        (end - p == 3 || !(is_upper(p[3]) || (p[3] >= 'a' && p[3] <= 'z')))) {
        memcpy(cur, p, 3);
        cur[3] = 0;
        return 3;
    }
    return 0;
}

/* Length of a thousands/decimal separator at p, *kind one of . , ' and ' '
 * (any space); spaces only count when a digit follows. */
static size_t sep_at(const char *p, const char *end, char *kind)
{
    const unsigned char *u = (const unsigned char *)p;
    if (p >= end)
        return 0;
    if (*p == '.' || *p == ',' || *p == '\'') {
        *kind = *p;
        return 1;
    }
    if (end - p >= 3 && u[0] == 0xE2 && u[1] == 0x80 && u[2] == 0x99) { /* ’ */
        *kind = '\'';
        return 3;
    }
    size_t n = *p == '\t' ? 0 : space_at(p, end);
    if (n && p + n < end && is_digit(p[n])) {
        *kind = ' ';
        return n;
    }
    return 0;
}

/* A number cut into its parts. */
struct numtok {
    int neg;
    char digits[MAX_DIGITS];
    int nd;   /* digits[] used */
    int frac; /* how many of them are after the decimal separator */
    long exp;
    char cur[NUM_CURRENCY_LEN];
};

/* Cuts s into a struct numtok. decimal_sep: '.', ',' or 0 (guess). */
static int scan_number(struct numtok *t, const char *s, char decimal_sep, int allow_currency,
                       struct err *e)
{
    const char *b, *end, *p;
    const char *gstart[MAX_GROUPS];
    size_t glen[MAX_GROUPS];
    char gsep[MAX_GROUPS];
    int ng = 0, have_sign = 0, paren = 0;
    char pre_cur[NUM_CURRENCY_LEN] = "", post_cur[NUM_CURRENCY_LEN] = "";

    memset(t, 0, sizeof(*t));
    if (!s)
        return err_set(e, ERR_INVALID, NULL, "missing number");
    b = s;
    end = s + strlen(s);
    trim(&b, &end);
    if (b == end)
        return err_set(e, ERR_INVALID, NULL, "empty number");
    if (*b == '(' && end[-1] == ')' && end - b >= 2) {
        paren = 1;
        b++;
        end--;
        trim(&b, &end);
    }

    /* prefix: a sign and a currency, in either order */
    for (int k = 0; k < 2; k++) {
        int neg = 0;
        size_t n = have_sign ? 0 : sign_at(b, end, &neg);
        if (n) {
            have_sign = 1;
            t->neg = neg;
            b = skip_spaces(b + n, end);
            continue;
        }
        n = pre_cur[0] || !allow_currency ? 0 : currency_at(b, end, pre_cur);
        if (n) {
            b = skip_spaces(b + n, end);
            continue;
        }
        break;
    }

    /* digit groups and the separators between them */
    p = b;
    for (;;) {
        const char *q = p;
        char kind = 0;
        while (q < end && is_digit(*q))
            q++;
        gstart[ng] = p;
        glen[ng] = (size_t)(q - p);
        p = q;
        size_t n = sep_at(p, end, &kind);
        gsep[ng++] = n ? kind : 0;
        if (!n)
            break;
        p += n;
        if (ng == MAX_GROUPS)
            return err_set(e, ERR_INVALID, NULL, "too many digit groups in '%s'", s);
    }

    /* exponent */
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        int eneg = 0;
        q += sign_at(q, end, &eneg);
        if (q < end && is_digit(*q)) {
            long x = 0;
            while (q < end && is_digit(*q)) {
                if (x < MAX_EXP)
                    x = x * 10 + (*q - '0');
                q++;
            }
            t->exp = eneg ? -x : x;
            p = q;
        }
    }

    /* suffix: a currency */
    p = skip_spaces(p, end);
    if (p < end && allow_currency) {
        size_t n = currency_at(p, end, post_cur);
        if (n)
            p = skip_spaces(p + n, end);
    }
    if (p != end)
        return err_set(e, ERR_INVALID, NULL, "'%s' is not a number", s);
    if (pre_cur[0] && post_cur[0])
        return err_set(e, ERR_INVALID, NULL, "two currencies in '%s'", s);
    if ((pre_cur[0] || post_cur[0]) && !allow_currency)
        return err_set(e, ERR_INVALID, NULL, "'%s' is not a number", s);
    memcpy(t->cur, pre_cur[0] ? pre_cur : post_cur, NUM_CURRENCY_LEN);
    if (paren && have_sign)
        return err_set(e, ERR_INVALID, NULL, "'%s' has both parentheses and a sign", s);
    t->neg |= paren;

    /* which separator is the decimal one */
    int ndot = 0, ncomma = 0, last_dc = -1;
    for (int i = 0; i < ng - 1; i++) {
        if (gsep[i] == '.' || gsep[i] == ',') {
            ndot += gsep[i] == '.';
            ncomma += gsep[i] == ',';
            last_dc = i;
        }
    }
    char dec = 0;
    if (ndot && ncomma) {
        dec = gsep[last_dc];
    } else if (ndot + ncomma == 1) {
        char c = gsep[last_dc];
        if (decimal_sep == c)
            dec = c;
        else if (decimal_sep == '.' || decimal_sep == ',')
            dec = 0; /* the other one: a thousands separator */
        else if (c == '.')
            dec = c;
        else if (ng == 2 && glen[0] >= 1 && glen[0] <= 3 && gstart[0][0] != '0' && glen[1] == 3)
            return err_set(e, ERR_INVALID, NULL,
                           "'%s' is ambiguous: thousands or decimal comma? set the decimal "
                           "separator",
                           s);
        else
            dec = c;
    } else if (ndot + ncomma > 1 && decimal_sep == (ndot ? '.' : ',')) {
        return err_set(e, ERR_INVALID, NULL, "'%s' has several decimal separators", s);
    }
    int di = -1; /* index of the group before the decimal separator */
    if (dec) {
        di = last_dc;
        if (di != ng - 2)
            return err_set(e, ERR_INVALID, NULL, "'%s': separator after the decimal part", s);
        int count = 0;
        for (int i = 0; i < ng - 1; i++)
            count += gsep[i] == dec;
        if (count != 1)
            return err_set(e, ERR_INVALID, NULL, "'%s' has several decimal separators", s);
    }
    char th = 0;
    int nint = di >= 0 ? di + 1 : ng; /* groups of the integer part */
    for (int i = 0; i < nint - 1; i++) {
        if (th && gsep[i] != th)
            return err_set(e, ERR_INVALID, NULL, "'%s' mixes thousands separators", s);
        th = gsep[i];
    }
    if (th) {
        if (t->exp)
            return err_set(e, ERR_INVALID, NULL, "'%s': exponent with thousands separators", s);
        if (glen[0] < 1 || glen[0] > 3)
            return err_set(e, ERR_INVALID, NULL, "'%s': misplaced thousands separator", s);
        for (int i = 1; i < nint; i++)
            if (glen[i] != 3)
                return err_set(e, ERR_INVALID, NULL, "'%s': misplaced thousands separator", s);
    }

    /* digits */
    size_t total = 0;
    for (int i = 0; i < ng; i++)
        total += glen[i];
    if (total == 0)
        return err_set(e, ERR_INVALID, NULL, "'%s' has no digits", s);
    if (total > MAX_DIGITS)
        return err_set(e, ERR_INVALID, NULL, "'%s' has too many digits", s);
    for (int i = 0; i < ng; i++) {
        memcpy(t->digits + t->nd, gstart[i], glen[i]);
        t->nd += (int)glen[i];
    }
    t->frac = dec ? (int)glen[ng - 1] : 0;
    return 0;
}

/* Scales t to 10^-decimals units, rounding half away from zero; *inexact set
 * when non-zero digits were dropped. 0 or -1 on overflow. */
static int to_minor(const struct numtok *t, int decimals, int64_t *out, int *inexact)
{
    long shift = (long)decimals - t->frac + t->exp;
    long keep = t->nd + (shift < 0 ? shift : 0);
    uint64_t mag = 0;
    const uint64_t max = (uint64_t)INT64_MAX;

    *inexact = 0;
    for (long i = 0; i < keep; i++) {
        unsigned d = (unsigned)(t->digits[i] - '0');
        if (mag > (max - d) / 10)
            return -1;
        mag = mag * 10 + d;
    }
    if (shift < 0) {
        long from = keep < 0 ? 0 : keep;
        for (long i = from; i < t->nd; i++)
            *inexact |= t->digits[i] != '0';
        if (keep >= 0 && keep < t->nd && t->digits[keep] >= '5') {
            if (mag == max)
                return -1;
            mag++;
        }
    }
    for (long i = 0; i < shift && mag; i++) {
        if (mag > max / 10)
            return -1;
        mag *= 10;
    }
    *out = t->neg ? -(int64_t)mag : (int64_t)mag;
    return 0;
}

int num_parse_amount(int64_t *out, char currency[NUM_CURRENCY_LEN], const char *s,
                     const struct num_opts *o, struct err *e)
{
    struct numtok t;
    int decimals = o ? o->decimals : 2;
    int inexact;
    int64_t v;

    if (decimals < 0 || decimals > 18)
        return err_set(e, ERR_INVALID, NULL, "decimals must be between 0 and 18, not %d", decimals);
    int rc = scan_number(&t, s, o ? o->decimal_sep : 0, 1, e);
    if (rc < 0)
        return rc;
    if (to_minor(&t, decimals, &v, &inexact) < 0)
        return err_set(e, ERR_INVALID, NULL, "'%s' is too large", s);
    *out = v;
    if (currency)
        memcpy(currency, t.cur, NUM_CURRENCY_LEN);
    return 0;
}

int num_parse_int(int64_t *out, const char *s, const struct num_opts *o, struct err *e)
{
    struct numtok t;
    int inexact;
    int64_t v;
    int rc = scan_number(&t, s, o ? o->decimal_sep : 0, 0, e);
    if (rc < 0)
        return rc;
    if (to_minor(&t, 0, &v, &inexact) < 0)
        return err_set(e, ERR_INVALID, NULL, "'%s' is too large", s);
    if (inexact)
        return err_set(e, ERR_INVALID, NULL, "'%s' is not a whole number", s);
    *out = v;
    return 0;
}

int num_clean_id(char *buf, size_t cap, const char *s, struct err *e)
{
    const char *b = s, *end;
    if (cap)
        buf[0] = 0;
    if (!s)
        return err_set(e, ERR_INVALID, NULL, "missing id");
    end = s + strlen(s);
    trim(&b, &end);
    if (b == end)
        return err_set(e, ERR_INVALID, NULL, "empty id");
    const char *q = b;
    while (q < end && is_digit(*q))
        q++;
    if (q > b && q < end - 1 && (*q == '.' || *q == ',')) {
        const char *z = q + 1;
        while (z < end && *z == '0')
            z++;
        if (z == end)
            end = q;
    }
    size_t n = (size_t)(end - b);
    if (n + 1 > cap)
        return err_set(e, ERR_TOOLARGE, NULL, "id longer than %zu bytes", cap ? cap - 1 : 0);
    memcpy(buf, b, n);
    buf[n] = 0;
    return 0;
}

/* ---- dates ------------------------------------------------------------- */

static const char *const month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};

/* Reads 1..max digits at *p; returns how many (0: none, or too many). */
static int read_num(const char **p, int max, int *v)
{
    int n = 0, x = 0;
    while (is_digit(**p)) {
        if (n == max)
            return 0;
        x = x * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *v = x;
    return n;
}

/* "a<sep>b<sep>c" with the same separator (/ . -); lengths in la/lb/lc. */
static int split_date(const char *s, int v[3], int len[3], const char **rest)
{
    const char *p = s;
    char sep = 0;
    for (int i = 0; i < 3; i++) {
        len[i] = read_num(&p, 4, &v[i]);
        if (len[i] == 0)
            return -1;
        if (i == 2)
            break;
        if (i == 0)
            sep = *p;
        if ((sep != '/' && sep != '.' && sep != '-') || *p != sep)
            return -1;
        p++;
    }
    *rest = p;
    return 0;
}

static int bad_date(const char *s, int y, int m, int d, int order, struct err *e)
{
    if (m < 1 || m > 12) {
        if (order == NUM_DMY && m > 12 && d >= 1 && d <= 12)
            return err_set(e, ERR_INVALID, NULL,
                           "no month %d in '%s' (day/month/year): are dates month first?", m, s);
        return err_set(e, ERR_INVALID, NULL, "no month %d in '%s'", m, s);
    }
    if (y < 1 || y > 9999)
        return err_set(e, ERR_INVALID, NULL, "year %d out of range in '%s'", y, s);
    return err_set(e, ERR_INVALID, NULL, "no such date '%s': %s %d has %d days", s,
                   month_names[m - 1], y, days_in_month(y, m));
}

/* " H:MM[:SS[.fff]][ AM|PM][Z]" after a date; end of string allowed. */
static int parse_clock(const char *p, int *secs)
{
    int h = 0, mi = 0, sec = 0, ampm = 0;
    if (*p == 0) {
        *secs = 0;
        return 0;
    }
    if (*p != ' ' && *p != 'T')
        return -1;
    while (*p == ' ' || *p == 'T')
        p++;
    if (read_num(&p, 2, &h) == 0 || *p != ':')
        return -1;
    p++;
    if (read_num(&p, 2, &mi) != 2)
        return -1;
    if (*p == ':') {
        p++;
        if (read_num(&p, 2, &sec) != 2)
            return -1;
        if (*p == '.' || *p == ',') {
            p++;
            if (!is_digit(*p))
                return -1;
            while (is_digit(*p))
                p++;
        }
    }
    while (*p == ' ')
        p++;
    if ((p[0] == 'A' || p[0] == 'a' || p[0] == 'P' || p[0] == 'p') &&
        (p[1] == 'M' || p[1] == 'm')) {
        ampm = p[0] == 'P' || p[0] == 'p' ? 2 : 1;
        p += 2;
    }
    if (*p == 'Z')
        p++;
    if (*p)
        return -1;
    if (ampm) {
        if (h < 1 || h > 12)
            return -1;
        h = h % 12 + (ampm == 2 ? 12 : 0);
    }
    if (h > 23 || mi > 59 || sec > 60)
        return -1;
    *secs = h * 3600 + mi * 60 + sec;
    return 0;
}

int num_parse_date(int64_t *out, const char *s, int order, struct err *e)
{
    char buf[DATE_BUF];
    const char *b = s, *end, *rest;
    int v[3], len[3], y, m, d, secs = 0;

    if (!s)
        return err_set(e, ERR_INVALID, NULL, "missing date");
    end = s + strlen(s);
    trim(&b, &end);
    if (b == end)
        return err_set(e, ERR_INVALID, NULL, "empty date");
    if ((size_t)(end - b) >= sizeof(buf))
        return err_set(e, ERR_INVALID, NULL, "'%.*s...' is not a date", 20, b);
    memcpy(buf, b, (size_t)(end - b));
    buf[end - b] = 0;

    if (time_parse(buf, out) == 0)
        return 0;
    rest = buf;
    if (strlen(buf) == 8 && read_num(&rest, 8, &v[0]) == 8) {
        y = v[0] / 10000;
        m = v[0] / 100 % 100;
        d = v[0] % 100;
        if (!date_valid(y, m, d))
            return bad_date(buf, y, m, d, -1, e);
        *out = (int64_t)days_from_civil(y, m, d) * 86400;
        return 0;
    }
    if (split_date(buf, v, len, &rest) < 0)
        return err_set(e, ERR_INVALID, NULL, "'%s' is not a date", buf);
    if (len[0] == 4 && len[1] <= 2 && len[2] <= 2) {
        y = v[0];
        m = v[1];
        d = v[2];
    } else if (len[0] <= 2 && len[1] <= 2 && len[2] == 4) {
        y = v[2];
        d = order == NUM_MDY ? v[1] : v[0];
        m = order == NUM_MDY ? v[0] : v[1];
    } else if (len[0] <= 2 && len[1] <= 2 && len[2] <= 2) {
        return err_set(e, ERR_INVALID, NULL, "'%s': write the year with 4 digits", buf);
    } else {
        return err_set(e, ERR_INVALID, NULL, "'%s' is not a date", buf);
    }
    if (!date_valid(y, m, d))
        return bad_date(buf, y, m, d, len[0] == 4 ? -1 : order, e);
    if (parse_clock(rest, &secs) < 0)
        return err_set(e, ERR_INVALID, NULL, "'%s': bad time of day", buf);
    *out = (int64_t)days_from_civil(y, m, d) * 86400 + secs;
    return 0;
}

int num_date_order_hint(const char *s)
{
    int v[3], len[3];
    const char *rest;
    if (!s)
        return -1;
    while (*s == ' ')
        s++;
    if (split_date(s, v, len, &rest) < 0 || len[0] > 2 || len[1] > 2)
        return -1;
    if (v[0] > 12 && v[0] <= 31 && v[1] >= 1 && v[1] <= 12)
        return NUM_DMY;
    if (v[1] > 12 && v[1] <= 31 && v[0] >= 1 && v[0] <= 12)
        return NUM_MDY;
    return -1;
}
