/*
 * The segment language (see segexpr.h and docs/segments.md): tokenizer,
 * recursive-descent parser with the type checker folded in, and a bitset
 * evaluator over columns.
 */
#include "analytics/segexpr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeu.h"

/* ---------------------------------------------------------------- tokens */

enum tok {
    T_END,
    T_IDENT, /* a field name or a bare word value */
    T_NUM,
    T_DATE,
    T_DUR, /* 90d, 3m */
    T_STR,
    T_LPAREN,
    T_RPAREN,
    T_LBRACK,
    T_RBRACK,
    T_COMMA,
    T_PLUS,
    T_MINUS,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_AND,
    T_OR,
    T_NOT,
    T_IN,
    T_CONTAINS,
    T_IS,
    T_NULL,
    T_TRUE,
    T_FALSE,
    T_TODAY,
    T_BAD
};

struct token {
    int kind;
    size_t pos, len;
    char unit; /* T_DUR: d w m y */
};

static const struct {
    const char *word;
    int kind;
} keywords[] = {
    {"and", T_AND},           {"or", T_OR},       {"not", T_NOT},   {"in", T_IN},
    {"contains", T_CONTAINS}, {"is", T_IS},       {"null", T_NULL}, {"true", T_TRUE},
    {"false", T_FALSE},       {"today", T_TODAY},
};

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

static int is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static int is_ident_start(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || (ch & 0x80);
}

static int is_ident(int ch)
{
    return is_ident_start(ch) || is_digit(ch) || ch == '.' || ch == '-';
}

static int ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* ---------------------------------------------------------------- tree */

enum op { N_AND, N_OR, N_NOT, N_CMP, N_IN, N_CONTAINS, N_NULL, N_FLAG };
enum cmp { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

struct value {
    double num;
    int32_t day;
    char *str; /* texts, owned */
};

struct node {
    uint8_t op, cmp, negate;
    uint32_t field;
    int32_t a, b;    /* children (AND, OR, NOT) */
    uint32_t v0, nv; /* values */
};

struct segx {
    struct node *nodes;
    size_t nnodes;
    struct value *vals;
    size_t nvals, capvals;
    int32_t root;
    size_t nfields;
    uint8_t *used;
    int *types; /* of each field of the catalogue */
};

struct parser {
    const char *src;
    size_t len, p;
    struct token t; /* the current token */
    const struct segx_field *fields;
    size_t nfields;
    int32_t today;
    struct segx *x;
    struct segx_error *err;
    int depth;
    int failed;
};

static int perr(struct parser *ps, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(struct parser *ps, size_t pos, const char *fmt, ...)
{
    if (ps->failed)
        return -1;
    ps->failed = 1;
    ps->err->pos = pos;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

/* Reads the next token into ps->t. */
static void next(struct parser *ps)
{
    const char *s = ps->src;
    size_t p = ps->p;
    while (p < ps->len && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r'))
        p++;
    struct token t = {T_END, p, 0, 0};
    if (p >= ps->len) {
        ps->t = t;
        ps->p = p;
        return;
    }
    unsigned char ch = (unsigned char)s[p];
    size_t q = p + 1;
    switch (ch) {
    case '(':
        t.kind = T_LPAREN;
        break;
    case ')':
        t.kind = T_RPAREN;
        break;
    case '[':
        t.kind = T_LBRACK;
        break;
    case ']':
        t.kind = T_RBRACK;
        break;
    case ',':
        t.kind = T_COMMA;
        break;
    case '+':
        t.kind = T_PLUS;
        break;
    case '-':
        t.kind = T_MINUS;
        break;
    case '=':
        t.kind = T_EQ;
        if (q < ps->len && s[q] == '=')
            q++;
        break;
    case '!':
        t.kind = T_BAD;
        if (q < ps->len && s[q] == '=') {
            t.kind = T_NE;
            q++;
        }
        break;
    case '<':
        t.kind = T_LT;
        if (q < ps->len && s[q] == '=') {
            t.kind = T_LE;
            q++;
        } else if (q < ps->len && s[q] == '>') {
            t.kind = T_NE;
            q++;
        }
        break;
    case '>':
        t.kind = T_GT;
        if (q < ps->len && s[q] == '=') {
            t.kind = T_GE;
            q++;
        }
        break;
    case '\'':
    case '"':
        t.kind = T_STR;
        while (q < ps->len && (unsigned char)s[q] != ch) {
            if (s[q] == '\\' && q + 1 < ps->len)
                q++;
            q++;
        }
        if (q >= ps->len)
            t.kind = T_BAD; /* unterminated */
        else
            q++;
        break;
    default:
        if (is_digit(ch)) {
            while (q < ps->len && is_digit((unsigned char)s[q]))
                q++;
            /* YYYY-MM-DD */
            if (q - p == 4 && q + 5 < ps->len && s[q] == '-' && is_digit((unsigned char)s[q + 1]) &&
                is_digit((unsigned char)s[q + 2]) && s[q + 3] == '-' &&
                is_digit((unsigned char)s[q + 4]) && is_digit((unsigned char)s[q + 5])) {
                t.kind = T_DATE;
                q += 6;
            } else {
                t.kind = T_NUM;
                if (q + 1 < ps->len && s[q] == '.' && is_digit((unsigned char)s[q + 1])) {
                    q++;
                    while (q < ps->len && is_digit((unsigned char)s[q]))
                        q++;
                } else if (q < ps->len && s[q] && strchr("dwmyDWMY", s[q]) &&
                           !(q + 1 < ps->len && is_ident((unsigned char)s[q + 1]))) {
                    t.kind = T_DUR;
                    t.unit = (char)lower((unsigned char)s[q]);
                    q++;
                }
            }
            if (q < ps->len && is_ident_start((unsigned char)s[q])) {
                t.kind = T_BAD; /* 12abc */
                while (q < ps->len && is_ident((unsigned char)s[q]))
                    q++;
            }
        } else if (is_ident_start(ch)) {
            while (q < ps->len && is_ident((unsigned char)s[q]))
                q++;
            t.kind = T_IDENT;
            for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
                if (ieq(s + p, q - p, keywords[k].word))
                    t.kind = keywords[k].kind;
        } else {
            t.kind = T_BAD;
        }
    }
    t.len = q - p;
    ps->t = t;
    ps->p = q;
}

static const char *tok_desc(const struct parser *ps, char *buf, size_t len)
{
    if (ps->t.kind == T_END)
        return "the end of the expression";
    size_t n = ps->t.len > 40 ? 40 : ps->t.len;
    snprintf(buf, len, "'%.*s'", (int)n, ps->src + ps->t.pos);
    return buf;
}

/* A token the tokenizer could not read: say so rather than what was expected. */
static int bad_token(struct parser *ps)
{
    char b[64];
    char q = ps->src[ps->t.pos];
    if (q == '\'' || q == '"')
        return perr(ps, ps->t.pos, "unterminated text: no closing %c", q);
    return perr(ps, ps->t.pos, "unexpected %s", tok_desc(ps, b, sizeof(b)));
}

static int expect_err(struct parser *ps, const char *what)
{
    char b[64];
    if (ps->t.kind == T_BAD)
        return bad_token(ps);
    return perr(ps, ps->t.pos, "expected %s, found %s", what, tok_desc(ps, b, sizeof(b)));
}

static int32_t add_node(struct parser *ps, struct node n)
{
    if (ps->x->nnodes >= SEGX_MAX_NODES)
        return perr(ps, ps->t.pos, "the expression has more than %d parts", SEGX_MAX_NODES);
    ps->x->nodes[ps->x->nnodes] = n;
    return (int32_t)ps->x->nnodes++;
}

static int add_value(struct parser *ps, struct value v)
{
    struct segx *x = ps->x;
    if (x->nvals == x->capvals) {
        size_t cap = x->capvals ? x->capvals * 2 : 16;
        struct value *nv = realloc(x->vals, cap * sizeof(*nv));
        if (!nv) {
            free(v.str);
            return perr(ps, ps->t.pos, "out of memory");
        }
        x->vals = nv;
        x->capvals = cap;
    }
    x->vals[x->nvals++] = v;
    return 0;
}

static const char *type_name(int type)
{
    switch (type) {
    case SEGX_NUM:
        return "a number";
    case SEGX_STR:
        return "a text";
    case SEGX_DATE:
        return "a date";
    case SEGX_SET:
        return "a list";
    default:
        return "a flag";
    }
}

/* 1 when word is one of the "a|b|c" values (case-insensitive). */
static int in_values(const char *values, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = values; *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (ieq(p, n, word) && n == wl)
            return 1;
        p += n + (bar ? 1 : 0);
    }
    return 0;
}

/* A text literal: quoted string (unescaped), bare word or number as typed. */
static char *text_of(const struct parser *ps)
{
    const char *s = ps->src + ps->t.pos;
    size_t n = ps->t.len;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t k = 0;
    if (ps->t.kind == T_STR) {
        for (size_t i = 1; i + 1 < n; i++) {
            if (s[i] == '\\' && i + 2 < n)
                i++;
            out[k++] = s[i];
        }
    } else {
        memcpy(out, s, n);
        k = n;
    }
    out[k] = 0;
    return out;
}

#define DAY_MIN (-719162) /* 0001-01-01 */
#define DAY_MAX 2932896   /* 9999-12-31 */

/* A date value: (DATE | today) (('+'|'-') DURATION)* */
static int parse_date(struct parser *ps, int32_t *out)
{
    int32_t day;
    if (ps->t.kind == T_TODAY) {
        day = ps->today;
    } else if (ps->t.kind == T_DATE) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%.*s", (int)ps->t.len, ps->src + ps->t.pos);
        if (date_parse(buf, &day))
            return perr(ps, ps->t.pos, "impossible date %s", buf);
    } else {
        return expect_err(ps, "a date (YYYY-MM-DD or today)");
    }
    next(ps);
    while (ps->t.kind == T_PLUS || ps->t.kind == T_MINUS) {
        int sign = ps->t.kind == T_PLUS ? 1 : -1;
        next(ps);
        if (ps->t.kind != T_DUR)
            return expect_err(ps, "a duration such as 90d, 2w, 6m or 1y");
        char buf[24];
        size_t n = ps->t.len - 1 < sizeof(buf) - 1 ? ps->t.len - 1 : sizeof(buf) - 1;
        memcpy(buf, ps->src + ps->t.pos, n);
        buf[n] = 0;
        long v = n > 7 ? 10000000 : strtol(buf, NULL, 10);
        /* stay within years 1..9999, where the calendar functions are exact */
        long months = ps->t.unit == 'm' ? v : ps->t.unit == 'y' ? v * 12 : 0;
        long days = ps->t.unit == 'd' ? v : ps->t.unit == 'w' ? v * 7 : 0;
        int y, m, d;
        civil_from_days(day, &y, &m, &d);
        long total = (long)y * 12 + (m - 1) + sign * months;
        long nday = (long)day + sign * days;
        if (v > 4000000 || total < 12 || total > 9999L * 12 + 11 || nday < DAY_MIN ||
            nday > DAY_MAX)
            return perr(ps, ps->t.pos, "the date falls outside the years 1 to 9999");
        day = months ? days_add_months(day, (int)(sign * months)) : (int32_t)nday;
        next(ps);
    }
    *out = day;
    return 0;
}

/* One value of the field's type (after an operator, in a list). */
static int parse_value(struct parser *ps, const struct segx_field *f)
{
    struct value v = {NAN, INT32_MIN, NULL};
    char b[64];
    size_t pos = ps->t.pos;
    if (ps->t.kind == T_BAD)
        return bad_token(ps);
    switch (f->type) {
    case SEGX_NUM: {
        int neg = 0;
        if (ps->t.kind == T_MINUS) {
            neg = 1;
            next(ps);
        }
        if (ps->t.kind != T_NUM)
            return perr(ps, ps->t.pos, "'%s' is a number: expected a number, found %s", f->name,
                        tok_desc(ps, b, sizeof(b)));
        char buf[64];
        size_t n = ps->t.len < sizeof(buf) - 1 ? ps->t.len : sizeof(buf) - 1;
        memcpy(buf, ps->src + ps->t.pos, n);
        buf[n] = 0;
        v.num = strtod(buf, NULL);
        if (neg)
            v.num = -v.num;
        next(ps);
        break;
    }
    case SEGX_DATE:
        if (ps->t.kind != T_DATE && ps->t.kind != T_TODAY)
            return perr(ps, ps->t.pos,
                        "'%s' is a date: expected YYYY-MM-DD or today - 90d, found %s", f->name,
                        tok_desc(ps, b, sizeof(b)));
        if (parse_date(ps, &v.day))
            return -1;
        break;
    case SEGX_BOOL:
        if (ps->t.kind != T_TRUE && ps->t.kind != T_FALSE)
            return perr(ps, ps->t.pos, "'%s' is a flag: expected true or false, found %s", f->name,
                        tok_desc(ps, b, sizeof(b)));
        v.num = ps->t.kind == T_TRUE;
        next(ps);
        break;
    default: /* STR, SET */
        if (ps->t.kind != T_STR && ps->t.kind != T_IDENT && ps->t.kind != T_NUM &&
            ps->t.kind != T_TRUE && ps->t.kind != T_FALSE && ps->t.kind != T_DATE)
            return perr(ps, ps->t.pos, "'%s' is %s: expected a text value, found %s", f->name,
                        type_name(f->type), tok_desc(ps, b, sizeof(b)));
        v.str = text_of(ps);
        if (!v.str)
            return perr(ps, pos, "out of memory");
        if (f->values && !in_values(f->values, v.str)) {
            perr(ps, pos, "'%s' has no value '%.40s' (one of: %.120s)", f->name, v.str, f->values);
            free(v.str);
            return -1;
        }
        if (f->norm) {
            char buf[128];
            char *nv = f->norm(v.str, buf, sizeof(buf)) ? NULL : strdup(buf);
            if (!nv) {
                perr(ps, pos, "'%s': no word in '%.40s'", f->name, v.str);
                free(v.str);
                return -1;
            }
            free(v.str);
            v.str = nv;
        }
        next(ps);
    }
    return add_value(ps, v);
}

static int32_t parse_or(struct parser *ps);

/* cond := FIELD (op value | [not] in [..] | contains value | is [not] null)?  */
static int32_t parse_cond(struct parser *ps)
{
    char b[64];
    if (ps->t.kind != T_IDENT)
        return expect_err(ps, "a field name, NOT or '('");
    size_t pos = ps->t.pos;
    const struct segx_field *f = NULL;
    uint32_t fi = 0;
    for (size_t i = 0; i < ps->nfields; i++)
        if (ieq(ps->src + pos, ps->t.len, ps->fields[i].name)) {
            f = &ps->fields[i];
            fi = (uint32_t)i;
            break;
        }
    if (!f)
        return perr(ps, pos, "unknown field '%.*s'", (int)(ps->t.len > 60 ? 60 : ps->t.len),
                    ps->src + pos);
    ps->x->used[fi] = 1;
    next(ps);
    struct node n = {0};
    n.field = fi;
    n.v0 = (uint32_t)ps->x->nvals;
    int k = ps->t.kind;
    if (k >= T_EQ && k <= T_GE) {
        n.op = N_CMP;
        n.cmp = (uint8_t)(C_EQ + (k - T_EQ));
        if (f->type == SEGX_SET)
            return perr(ps, ps->t.pos, "'%s' is a list: use contains, in [...] or is null",
                        f->name);
        if (f->type == SEGX_BOOL && n.cmp != C_EQ && n.cmp != C_NE)
            return perr(ps, ps->t.pos, "'%s' is a flag: only = and != apply", f->name);
        next(ps);
        if (parse_value(ps, f))
            return -1;
        n.nv = 1;
    } else if (k == T_IN || k == T_NOT) {
        if (k == T_NOT) {
            next(ps);
            if (ps->t.kind != T_IN)
                return expect_err(ps, "in after not");
            n.negate = 1;
        }
        if (f->type == SEGX_BOOL)
            return perr(ps, ps->t.pos, "'%s' is a flag: use = true or = false", f->name);
        n.op = N_IN;
        next(ps);
        if (ps->t.kind != T_LBRACK)
            return expect_err(ps, "'[' opening the list of values");
        next(ps);
        for (;;) {
            if (n.nv >= SEGX_MAX_LIST)
                return perr(ps, ps->t.pos, "more than %d values in the list", SEGX_MAX_LIST);
            if (parse_value(ps, f))
                return -1;
            n.nv++;
            if (ps->t.kind == T_COMMA) {
                next(ps);
                continue;
            }
            if (ps->t.kind == T_RBRACK)
                break;
            return expect_err(ps, "',' or ']'");
        }
        next(ps);
    } else if (k == T_CONTAINS) {
        if (f->type != SEGX_STR && f->type != SEGX_SET)
            return perr(ps, ps->t.pos, "'%s' is %s: contains applies to texts and lists", f->name,
                        type_name(f->type));
        n.op = N_CONTAINS;
        next(ps);
        if (parse_value(ps, f))
            return -1;
        n.nv = 1;
    } else if (k == T_IS) {
        n.op = N_NULL;
        next(ps);
        if (ps->t.kind == T_NOT) {
            n.negate = 1;
            next(ps);
        }
        if (ps->t.kind != T_NULL)
            return expect_err(ps, "null");
        next(ps);
    } else if (f->type == SEGX_BOOL) {
        n.op = N_FLAG;
    } else {
        return perr(ps, ps->t.pos,
                    "expected an operator (= != < <= > >= in contains is) after '%s', found %s",
                    f->name, tok_desc(ps, b, sizeof(b)));
    }
    return add_node(ps, n);
}

static int32_t parse_unary(struct parser *ps)
{
    if (++ps->depth > SEGX_MAX_DEPTH)
        return perr(ps, ps->t.pos, "nested more than %d deep", SEGX_MAX_DEPTH);
    int32_t r;
    if (ps->t.kind == T_NOT) {
        next(ps);
        int32_t a = parse_unary(ps);
        r = a < 0 ? -1 : add_node(ps, (struct node){.op = N_NOT, .a = a});
    } else if (ps->t.kind == T_LPAREN) {
        next(ps);
        r = parse_or(ps);
        if (r >= 0 && ps->t.kind != T_RPAREN)
            r = expect_err(ps, "')'");
        if (r >= 0)
            next(ps);
    } else {
        r = parse_cond(ps);
    }
    ps->depth--;
    return r;
}

static int32_t parse_and(struct parser *ps)
{
    int32_t a = parse_unary(ps);
    while (a >= 0 && ps->t.kind == T_AND) {
        next(ps);
        int32_t b = parse_unary(ps);
        a = b < 0 ? -1 : add_node(ps, (struct node){.op = N_AND, .a = a, .b = b});
    }
    return a;
}

static int32_t parse_or(struct parser *ps)
{
    int32_t a = parse_and(ps);
    while (a >= 0 && ps->t.kind == T_OR) {
        next(ps);
        int32_t b = parse_and(ps);
        a = b < 0 ? -1 : add_node(ps, (struct node){.op = N_OR, .a = a, .b = b});
    }
    return a;
}

void segx_free(struct segx *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->nvals; i++)
        free(x->vals[i].str);
    free(x->vals);
    free(x->nodes);
    free(x->used);
    free(x->types);
    free(x);
}

int segx_compile(const char *src, const struct segx_field *fields, size_t nfields, int32_t today,
                 struct segx **out, struct segx_error *err)
{
    *out = NULL;
    memset(err, 0, sizeof(*err));
    size_t len = strnlen(src, SEGX_MAX_LEN + 1);
    if (len > SEGX_MAX_LEN) {
        err->pos = SEGX_MAX_LEN;
        snprintf(err->msg, sizeof(err->msg), "longer than %d bytes", SEGX_MAX_LEN);
        return -1;
    }
    struct segx *x = calloc(1, sizeof(*x));
    if (x) {
        x->nodes = calloc(SEGX_MAX_NODES, sizeof(*x->nodes));
        x->used = calloc(nfields ? nfields : 1, 1);
        x->types = calloc(nfields ? nfields : 1, sizeof(int));
        x->nfields = nfields;
    }
    if (!x || !x->nodes || !x->used || !x->types) {
        segx_free(x);
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        return -1;
    }
    for (size_t i = 0; i < nfields; i++)
        x->types[i] = fields[i].type;
    struct parser ps = {src, len, 0, {0}, fields, nfields, today, x, err, 0, 0};
    next(&ps);
    int32_t root = -1;
    if (ps.t.kind == T_END)
        perr(&ps, 0, "empty expression: expected a condition such as lifecycle = active");
    else
        root = parse_or(&ps);
    if (root >= 0 && ps.t.kind != T_END) {
        char b[64];
        if (ps.t.kind == T_BAD)
            bad_token(&ps);
        else
            perr(&ps, ps.t.pos, "expected AND, OR or the end of the expression, found %s",
                 tok_desc(&ps, b, sizeof(b)));
        root = -1;
    }
    if (root < 0) {
        segx_free(x);
        return -1;
    }
    x->root = root;
    *out = x;
    return 0;
}

int segx_uses(const struct segx *x, size_t f)
{
    return f < x->nfields && x->used[f];
}

/* ---------------------------------------------------------------- evaluation */

static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = lower((unsigned char)*a), cb = lower((unsigned char)*b);
        if (ca != cb || !ca)
            return ca - cb;
    }
}

static int ascii_contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!n)
        return 1;
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && lower((unsigned char)hay[i]) == lower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

static int cmp_holds(int cmp, int c)
{
    switch (cmp) {
    case C_EQ:
        return c == 0;
    case C_NE:
        return c != 0;
    case C_LT:
        return c < 0;
    case C_LE:
        return c <= 0;
    case C_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

/* Sets bit i of out from pred(i), 64 at a time. */
#define FILL(out, n, pred)                                                                         \
    do {                                                                                           \
        for (size_t w_ = 0; w_ < SEGX_WORDS(n); w_++) {                                            \
            uint64_t m_ = 0;                                                                       \
            size_t base_ = w_ * 64, end_ = base_ + 64 < (n) ? base_ + 64 : (n);                    \
            for (size_t i = base_; i < end_; i++)                                                  \
                m_ |= (uint64_t)(pred) << (i - base_);                                             \
            (out)[w_] = m_;                                                                        \
        }                                                                                          \
    } while (0)

/* Which dictionary codes a text condition accepts: table[code] (code 0 =
 * missing stays 0 except for is null, handled by the caller). */
static uint8_t *text_table(const struct segx *x, const struct node *nd,
                           const struct segx_column *col)
{
    uint8_t *t = calloc(col->ndict ? col->ndict : 1, 1);
    if (!t)
        return NULL;
    for (size_t c = 1; c < col->ndict; c++) {
        const char *s = col->dict[c];
        int hit = 0;
        for (uint32_t v = 0; v < nd->nv && !hit; v++) {
            const char *lit = x->vals[nd->v0 + v].str;
            if (nd->op == N_CONTAINS)
                hit = ascii_contains(s, lit);
            else if (nd->op == N_IN)
                hit = ascii_casecmp(s, lit) == 0;
            else
                hit =
                    cmp_holds(nd->cmp, ascii_casecmp(s, lit) < 0 ? -1 : ascii_casecmp(s, lit) > 0);
        }
        t[c] = (uint8_t)hit;
    }
    return t;
}

static int eval_leaf(const struct segx *x, const struct node *nd, const struct segx_column *col,
                     int type, size_t n, uint64_t *out)
{
    const struct value *v = nd->nv ? &x->vals[nd->v0] : NULL;
    if (nd->op == N_NULL) {
        int neg = nd->negate;
        switch (type) {
        case SEGX_NUM:
            FILL(out, n, isnan(col->num[i]) != neg);
            break;
        case SEGX_DATE:
            FILL(out, n, (col->day[i] == INT32_MIN) != neg);
            break;
        case SEGX_STR:
            FILL(out, n, (col->code[i] == 0) != neg);
            break;
        case SEGX_SET:
            FILL(out, n, (col->start[i] == col->start[i + 1]) != neg);
            break;
        default:
            FILL(out, n, neg);
            break;
        }
        return 0;
    }
    if (type == SEGX_BOOL) {
        if (nd->op == N_FLAG)
            FILL(out, n, col->flag[i] != 0);
        else {
            int want = v->num != 0, eq = nd->cmp == C_EQ;
            FILL(out, n, ((col->flag[i] != 0) == want) == eq);
        }
        return 0;
    }
    if (type == SEGX_NUM) {
        const double *a = col->num;
        if (nd->op == N_IN) {
            FILL(out, n, 0);
            for (uint32_t k = 0; k < nd->nv; k++) {
                double d = v[k].num;
                for (size_t w = 0; w < SEGX_WORDS(n); w++) {
                    uint64_t m = 0;
                    size_t base = w * 64, end = base + 64 < n ? base + 64 : n;
                    for (size_t i = base; i < end; i++)
                        m |= (uint64_t)(a[i] == d) << (i - base);
                    out[w] |= m;
                }
            }
        } else {
            double d = v->num;
            switch (nd->cmp) {
            case C_EQ:
                FILL(out, n, a[i] == d);
                break;
            case C_NE:
                FILL(out, n, a[i] != d && !isnan(a[i]));
                break;
            case C_LT:
                FILL(out, n, a[i] < d);
                break;
            case C_LE:
                FILL(out, n, a[i] <= d);
                break;
            case C_GT:
                FILL(out, n, a[i] > d);
                break;
            default:
                FILL(out, n, a[i] >= d);
                break;
            }
        }
    } else if (type == SEGX_DATE) {
        const int32_t *a = col->day;
        if (nd->op == N_IN) {
            FILL(out, n, 0);
            for (uint32_t k = 0; k < nd->nv; k++) {
                int32_t d = v[k].day;
                for (size_t w = 0; w < SEGX_WORDS(n); w++) {
                    uint64_t m = 0;
                    size_t base = w * 64, end = base + 64 < n ? base + 64 : n;
                    for (size_t i = base; i < end; i++)
                        m |= (uint64_t)(a[i] == d) << (i - base);
                    out[w] |= m;
                }
            }
        } else {
            int32_t d = v->day;
            const int32_t z = INT32_MIN;
            switch (nd->cmp) {
            case C_EQ:
                FILL(out, n, a[i] == d);
                break;
            case C_NE:
                FILL(out, n, a[i] != d && a[i] != z);
                break;
            case C_LT:
                FILL(out, n, a[i] < d && a[i] != z);
                break;
            case C_LE:
                FILL(out, n, a[i] <= d && a[i] != z);
                break;
            case C_GT:
                FILL(out, n, a[i] > d);
                break;
            default:
                FILL(out, n, a[i] >= d);
                break;
            }
        }
    } else if (type == SEGX_STR) {
        uint8_t *t = text_table(x, nd, col);
        if (!t)
            return -1;
        const uint32_t *code = col->code;
        size_t nd_ = col->ndict;
        FILL(out, n, code[i] < nd_ && t[code[i]]);
        free(t);
    } else { /* SET: any item matches */
        uint8_t *t = text_table(x, nd, col);
        if (!t)
            return -1;
        const uint32_t *st = col->start, *it = col->items;
        size_t nd_ = col->ndict;
        for (size_t w = 0; w < SEGX_WORDS(n); w++) {
            uint64_t m = 0;
            size_t base = w * 64, end = base + 64 < n ? base + 64 : n;
            for (size_t i = base; i < end; i++) {
                int hit = 0;
                for (uint32_t k = st[i]; k < st[i + 1] && !hit; k++)
                    hit = it[k] < nd_ && t[it[k]];
                m |= (uint64_t)hit << (i - base);
            }
            out[w] = m;
        }
        free(t);
    }
    if (nd->negate) { /* not in */
        for (size_t w = 0; w < SEGX_WORDS(n); w++)
            out[w] = ~out[w];
        if (n % 64)
            out[SEGX_WORDS(n) - 1] &= (UINT64_C(1) << (n % 64)) - 1;
    }
    return 0;
}

static int eval_tree(const struct segx *x, int32_t id, const struct segx_column *cols, size_t n,
                     uint64_t *out)
{
    const struct node *nd = &x->nodes[id];
    size_t words = SEGX_WORDS(n);
    if (nd->op == N_AND || nd->op == N_OR) {
        if (eval_tree(x, nd->a, cols, n, out))
            return -1;
        uint64_t *tmp = malloc(words * sizeof(uint64_t));
        if (!tmp)
            return -1;
        int rc = eval_tree(x, nd->b, cols, n, tmp);
        if (!rc)
            for (size_t w = 0; w < words; w++)
                out[w] = nd->op == N_AND ? out[w] & tmp[w] : out[w] | tmp[w];
        free(tmp);
        return rc;
    }
    if (nd->op == N_NOT) {
        if (eval_tree(x, nd->a, cols, n, out))
            return -1;
        for (size_t w = 0; w < words; w++)
            out[w] = ~out[w];
        if (n % 64)
            out[words - 1] &= (UINT64_C(1) << (n % 64)) - 1;
        return 0;
    }
    return eval_leaf(x, nd, &cols[nd->field], x->types[nd->field], n, out);
}

int segx_eval(const struct segx *x, const struct segx_column *cols, size_t n, uint64_t *out)
{
    if (!n)
        return 0;
    return eval_tree(x, x->root, cols, n, out);
}

size_t segx_popcount(const uint64_t *bits, size_t n)
{
    size_t c = 0;
    for (size_t w = 0; w < SEGX_WORDS(n); w++)
        c += (size_t)__builtin_popcountll(bits[w]);
    return c;
}
