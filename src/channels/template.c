/*
 * The campaign template language (see template.h): a recursive-descent
 * parser into a small tree, checked against the allowed merge fields, and a
 * renderer over a JSON object.
 */
#include "channels/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_TEXT, N_VAR, N_IF, N_FOR };
enum { OP_TRUTH, OP_EQ, OP_NE };

struct tnode {
    int kind;
    const char *text; /* N_TEXT: points into src */
    size_t len;
    char *name;  /* N_VAR / N_IF: the field; N_FOR: the list */
    char *value; /* N_VAR: fallback; N_IF: compared string */
    char *var;   /* N_FOR: the loop variable */
    int op;
    struct tnode *body, *alt, *next;
};

struct template
{
    char *src; /* owned copy: text nodes point into it */
    struct tnode *root;
};

struct parser {
    const char *src, *p;
    const char *const *fields;
    const char *field_name;
    struct err *e;
    size_t errpos;
    int failed;
    /* loop variables in scope and the list each one walks */
    const char *loopvar[TEMPLATE_MAX_DEPTH], *looplist[TEMPLATE_MAX_DEPTH];
    int nloops, depth;
};

static void node_free(struct tnode *n)
{
    while (n) {
        struct tnode *next = n->next;
        node_free(n->body);
        node_free(n->alt);
        free(n->name);
        free(n->value);
        free(n->var);
        free(n);
        n = next;
    }
}

void template_free(struct template *t)
{
    if (!t)
        return;
    node_free(t->root);
    free(t->src);
    free(t);
}

static int perr(struct parser *ps, const char *at, const char *msg, const char *arg)
{
    if (ps->failed)
        return ERR_INVALID;
    ps->failed = 1;
    int line = 1, col = 1;
    for (const char *q = ps->src; q < at; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)*q & 0xC0) != 0x80) {
            col++;
        }
    }
    ps->errpos = (size_t)(at - ps->src);
    if (arg)
        err_set(ps->e, ERR_INVALID, ps->field_name, "line %d, column %d: %s '%.60s'", line, col,
                msg, arg);
    else
        err_set(ps->e, ERR_INVALID, ps->field_name, "line %d, column %d: %s", line, col, msg);
    return ERR_INVALID;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int is_ident(char ch, int first)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
           (!first && ((ch >= '0' && ch <= '9') || ch == '.'));
}

/* An identifier at *p (advancing); NULL when there is none. */
static char *ident(const char **p, const char *end)
{
    const char *s = *p;
    if (s >= end || !is_ident(*s, 1))
        return NULL;
    while (*p < end && is_ident(**p, 0) && *p - s < 64)
        (*p)++;
    if (*p < end && is_ident(**p, 0))
        return NULL; /* too long */
    return strndup(s, (size_t)(*p - s));
}

/* A double-quoted string literal (\" and \\ escapes) at *p. */
static char *literal(const char **p, const char *end)
{
    const char *s = *p;
    if (s >= end || *s != '"')
        return NULL;
    char *out = malloc((size_t)(end - s) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (s++; s < end && *s != '"'; s++) {
        if (*s == '\\' && s + 1 < end && (s[1] == '"' || s[1] == '\\'))
            s++;
        out[o++] = *s;
    }
    if (s >= end) {
        free(out);
        return NULL;
    }
    out[o] = 0;
    *p = s + 1;
    return out;
}

/* Checks a merge field name against the allowed list, resolving loop
 * variables ("p.name" inside "for p in recommendations"). */
static int check_field(struct parser *ps, const char *at, const char *name)
{
    char full[160];
    const char *look = name;
    const char *dot = strchr(name, '.');
    for (int i = ps->nloops - 1; i >= 0; i--) {
        size_t vl = strlen(ps->loopvar[i]);
        if (!strncmp(name, ps->loopvar[i], vl) && (name[vl] == '.' || name[vl] == 0)) {
            if (name[vl] == 0)
                return perr(ps, at, "a loop item is not a value; name one of its fields, e.g.",
                            "item.name");
            snprintf(full, sizeof(full), "%s.%s", ps->looplist[i], name + vl + 1);
            look = full;
            dot = NULL;
            break;
        }
    }
    if (dot && look == name)
        return perr(ps, at, "unknown merge field", name);
    if (!ps->fields)
        return 0;
    size_t ll = strlen(look);
    for (const char *const *f = ps->fields; *f; f++)
        if (!strcmp(*f, look) || (look == name && !strncmp(*f, look, ll) && (*f)[ll] == '.'))
            return 0; /* a field, or a list tested for emptiness */
    return perr(ps, at, "unknown merge field", name);
}

static struct tnode *node_new(int kind)
{
    return calloc(1, sizeof(struct tnode));
}

/* Finds the closing "}}" or "%}" of a tag opened at open (after "{{" or
 * "{%"). Returns a pointer to it or NULL. */
static const char *tag_end(const char *p, const char *end, char kind)
{
    for (; p + 1 < end; p++) {
        if (*p == '"') { /* skip a literal: "}}" inside it is text */
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\' && p + 1 < end)
                    p++;
            if (p >= end)
                return NULL;
            continue;
        }
        if (p[0] == kind && p[1] == '}')
            return p;
        if (p[0] == '{' && (p[1] == '{' || p[1] == '%'))
            return NULL;
    }
    return NULL;
}

/* {{ name [| "fallback"] }} between s and e. */
static struct tnode *parse_var(struct parser *ps, const char *open, const char *s, const char *e)
{
    const char *p = skip_ws(s, e);
    const char *at = p;
    char *name = ident(&p, e);
    if (!name) {
        perr(ps, at, "expected a merge field name", NULL);
        return NULL;
    }
    struct tnode *n = node_new(N_VAR);
    if (!n) {
        free(name);
        return NULL;
    }
    n->kind = N_VAR;
    n->name = name;
    p = skip_ws(p, e);
    if (p < e && *p == '|') {
        p = skip_ws(p + 1, e);
        const char *lat = p;
        n->value = literal(&p, e);
        if (!n->value) {
            perr(ps, lat, "expected a fallback in double quotes after '|'", NULL);
            node_free(n);
            return NULL;
        }
        p = skip_ws(p, e);
    }
    if (p != e) {
        perr(ps, p, "unexpected text in merge field", NULL);
        node_free(n);
        return NULL;
    }
    if (check_field(ps, at, name)) {
        node_free(n);
        return NULL;
    }
    (void)open;
    return n;
}

enum { STOP_EOF, STOP_ELSE, STOP_ENDIF, STOP_ENDFOR };

static struct tnode *parse_seq(struct parser *ps, int *stop, const char **stop_at);

/* Parses the inside of "{% ... %}" at s..e: returns a node for if/for
 * (consuming its body), or sets *stop for else/endif/endfor. */
static struct tnode *parse_tag(struct parser *ps, const char *open, const char *s, const char *e,
                               int *stop)
{
    const char *p = skip_ws(s, e), *at = p;
    char *kw = ident(&p, e);
    if (!kw) {
        perr(ps, at, "expected if, else, endif, for or endfor", NULL);
        return NULL;
    }
    struct tnode *n = NULL;
    if (!strcmp(kw, "else") || !strcmp(kw, "endif") || !strcmp(kw, "endfor")) {
        *stop = !strcmp(kw, "else") ? STOP_ELSE : !strcmp(kw, "endif") ? STOP_ENDIF : STOP_ENDFOR;
        free(kw);
        if (skip_ws(p, e) != e)
            perr(ps, skip_ws(p, e), "unexpected text after the keyword", NULL);
        return NULL;
    }
    if (ps->depth >= TEMPLATE_MAX_DEPTH) {
        free(kw);
        perr(ps, open, "blocks nested too deeply", NULL);
        return NULL;
    }
    if (!strcmp(kw, "if")) {
        free(kw);
        n = node_new(N_IF);
        if (!n)
            return NULL;
        n->kind = N_IF;
        p = skip_ws(p, e);
        const char *nat = p;
        n->name = ident(&p, e);
        if (!n->name) {
            perr(ps, nat, "expected a merge field after 'if'", NULL);
            goto bad;
        }
        if (check_field(ps, nat, n->name))
            goto bad;
        p = skip_ws(p, e);
        if (p + 1 < e && (p[0] == '=' || p[0] == '!') && p[1] == '=') {
            n->op = p[0] == '=' ? OP_EQ : OP_NE;
            p = skip_ws(p + 2, e);
            const char *lat = p;
            n->value = literal(&p, e);
            if (!n->value) {
                perr(ps, lat, "expected a string in double quotes", NULL);
                goto bad;
            }
            p = skip_ws(p, e);
        }
        if (p != e) {
            perr(ps, p, "expected '%}', '==' or '!='", NULL);
            goto bad;
        }
        int st;
        const char *sat;
        ps->depth++;
        n->body = parse_seq(ps, &st, &sat);
        if (!ps->failed && st == STOP_ELSE) {
            n->alt = parse_seq(ps, &st, &sat);
            if (!ps->failed && st == STOP_ELSE)
                perr(ps, sat, "a second 'else' in the same 'if'", NULL);
        }
        ps->depth--;
        if (!ps->failed && st != STOP_ENDIF)
            perr(ps, st == STOP_EOF ? open : sat,
                 st == STOP_EOF ? "'if' without 'endif'" : "'endfor' closes an 'if'", NULL);
        if (ps->failed)
            goto bad;
        return n;
    }
    if (!strcmp(kw, "for")) {
        free(kw);
        n = node_new(N_FOR);
        if (!n)
            return NULL;
        n->kind = N_FOR;
        p = skip_ws(p, e);
        const char *vat = p;
        n->var = ident(&p, e);
        if (!n->var || strchr(n->var, '.')) {
            perr(ps, vat, "expected a loop variable after 'for'", NULL);
            goto bad;
        }
        p = skip_ws(p, e);
        if (e - p < 3 || strncmp(p, "in", 2) || !(p[2] == ' ' || p[2] == '\t')) {
            perr(ps, p, "expected 'in'", NULL);
            goto bad;
        }
        p = skip_ws(p + 2, e);
        const char *lat = p;
        n->name = ident(&p, e);
        if (!n->name || strchr(n->name, '.')) {
            perr(ps, lat, "expected a list after 'in'", NULL);
            goto bad;
        }
        if (skip_ws(p, e) != e) {
            perr(ps, skip_ws(p, e), "unexpected text after the list", NULL);
            goto bad;
        }
        if (ps->fields) {
            int known = 0;
            size_t ll = strlen(n->name);
            for (const char *const *f = ps->fields; *f && !known; f++)
                known = !strncmp(*f, n->name, ll) && (*f)[ll] == '.';
            if (!known) {
                perr(ps, lat, "unknown list", n->name);
                goto bad;
            }
        }
        int st;
        const char *sat;
        ps->loopvar[ps->nloops] = n->var;
        ps->looplist[ps->nloops] = n->name;
        ps->nloops++;
        ps->depth++;
        n->body = parse_seq(ps, &st, &sat);
        ps->depth--;
        ps->nloops--;
        if (!ps->failed && st != STOP_ENDFOR)
            perr(ps, st == STOP_EOF ? open : sat,
                 st == STOP_EOF ? "'for' without 'endfor'" : "this closes a 'for' wrongly", NULL);
        if (ps->failed)
            goto bad;
        return n;
    }
    perr(ps, at, "unknown tag", kw);
    free(kw);
    return NULL;
bad:
    node_free(n);
    return NULL;
}

/* A sequence of nodes until EOF or a closing tag (reported by *stop). */
static struct tnode *parse_seq(struct parser *ps, int *stop, const char **stop_at)
{
    struct tnode *head = NULL, **tail = &head;
    const char *end = ps->src + strlen(ps->src);
    *stop = STOP_EOF;
    *stop_at = end;
    while (*ps->p && !ps->failed) {
        const char *p = ps->p;
        const char *o = strstr(p, "{");
        while (o && !(o[1] == '{' || o[1] == '%'))
            o = strchr(o + 1, '{');
        if (!o)
            o = end;
        if (o > p) {
            struct tnode *t = node_new(N_TEXT);
            if (!t)
                break;
            t->kind = N_TEXT;
            t->text = p;
            t->len = (size_t)(o - p);
            *tail = t;
            tail = &t->next;
        }
        ps->p = o;
        if (o == end)
            break;
        char kind = o[1] == '{' ? '}' : '%';
        const char *close = tag_end(o + 2, end, kind);
        if (!close) {
            perr(ps, o, kind == '}' ? "'{{' without '}}'" : "'{%' without '%}'", NULL);
            break;
        }
        ps->p = close + 2;
        struct tnode *n = NULL;
        if (kind == '}') {
            n = parse_var(ps, o, o + 2, close);
        } else {
            int st = -1;
            n = parse_tag(ps, o, o + 2, close, &st);
            if (st >= 0 && !ps->failed) {
                *stop = st;
                *stop_at = o;
                return head;
            }
        }
        if (n) {
            *tail = n;
            tail = &n->next;
        }
    }
    return head;
}

int template_parse(struct template **out, const char *src, const char *const *fields,
                   const char *field_name, size_t *pos, struct err *e)
{
    *out = NULL;
    if (!src)
        src = "";
    if (strlen(src) > TEMPLATE_MAX_SRC)
        return err_set(e, ERR_INVALID, field_name, "template over %d bytes", TEMPLATE_MAX_SRC);
    struct template *t = calloc(1, sizeof(*t));
    if (!t || !(t->src = strdup(src))) {
        free(t);
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    }
    struct err local;
    struct parser ps = {.src = t->src,
                        .p = t->src,
                        .fields = fields,
                        .field_name = field_name ? field_name : "template",
                        .e = e ? e : &local};
    int st;
    const char *sat;
    t->root = parse_seq(&ps, &st, &sat);
    if (!ps.failed && st != STOP_EOF)
        perr(&ps, sat,
             st == STOP_ELSE    ? "'else' outside an 'if'"
             : st == STOP_ENDIF ? "'endif' without 'if'"
                                : "'endfor' without 'for'",
             NULL);
    if (ps.failed) {
        if (pos)
            *pos = ps.errpos;
        template_free(t);
        return ERR_INVALID;
    }
    *out = t;
    return 0;
}

/* ---------------------------------------------------------------- rendering */

struct obuf {
    char *p;
    size_t len, cap;
    int over;
};

static void put(struct obuf *b, const char *s, size_t n)
{
    if (b->over)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = cap > TEMPLATE_MAX_OUT + 1 ? NULL : realloc(b->p, cap);
        if (!np) {
            b->over = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void put_escaped(struct obuf *b, const char *s, int html)
{
    if (!html) {
        put(b, s, strlen(s));
        return;
    }
    for (; *s; s++) {
        switch (*s) {
        case '&':
            put(b, "&amp;", 5);
            break;
        case '<':
            put(b, "&lt;", 4);
            break;
        case '>':
            put(b, "&gt;", 4);
            break;
        case '"':
            put(b, "&quot;", 6);
            break;
        case '\'':
            put(b, "&#39;", 5);
            break;
        default:
            put(b, s, 1);
        }
    }
}

/* Scope of the renderer: the top object and the loop items in scope. */
struct scope {
    const json_t *vars;
    const char *loopvar[TEMPLATE_MAX_DEPTH];
    const json_t *item[TEMPLATE_MAX_DEPTH];
    int n;
};

static const json_t *lookup(const struct scope *sc, const char *name)
{
    for (int i = sc->n - 1; i >= 0; i--) {
        size_t vl = strlen(sc->loopvar[i]);
        if (!strncmp(name, sc->loopvar[i], vl) && name[vl] == '.')
            return json_object_get(sc->item[i], name + vl + 1);
    }
    return json_object_get(sc->vars, name);
}

/* The text of a value: strings as they are, numbers and booleans printed. */
static const char *value_text(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_real(v)) {
        snprintf(buf, len, "%.2f", json_real_value(v));
        return buf;
    }
    if (json_is_true(v))
        return "true";
    if (json_is_false(v))
        return "false";
    return "";
}

static int truthy(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return 0;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    if (json_is_real(v))
        return json_real_value(v) != 0;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    return 1;
}

static void render(const struct tnode *n, struct scope *sc, struct obuf *b, int html)
{
    char buf[64];
    for (; n && !b->over; n = n->next) {
        switch (n->kind) {
        case N_TEXT:
            put(b, n->text, n->len);
            break;
        case N_VAR: {
            const char *s = value_text(lookup(sc, n->name), buf, sizeof(buf));
            put_escaped(b, *s ? s : n->value ? n->value : "", html);
            break;
        }
        case N_IF: {
            const json_t *v = lookup(sc, n->name);
            int yes;
            if (n->op == OP_TRUTH)
                yes = truthy(v);
            else
                yes = (strcmp(value_text(v, buf, sizeof(buf)), n->value) == 0) == (n->op == OP_EQ);
            render(yes ? n->body : n->alt, sc, b, html);
            break;
        }
        case N_FOR: {
            const json_t *list = lookup(sc, n->name), *item;
            size_t i;
            if (!json_is_array(list) || sc->n >= TEMPLATE_MAX_DEPTH)
                break;
            sc->loopvar[sc->n] = n->var;
            sc->n++;
            json_array_foreach(list, i, item)
            {
                sc->item[sc->n - 1] = item;
                render(n->body, sc, b, html);
            }
            sc->n--;
            break;
        }
        }
    }
}

char *template_render(const struct template *t, const json_t *vars, int html)
{
    struct obuf b = {0};
    struct scope sc = {.vars = vars};
    put(&b, "", 0);
    render(t->root, &sc, &b, html);
    if (b.over) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static void collect(const struct tnode *n, json_t *arr)
{
    for (; n; n = n->next) {
        if (n->name) {
            int seen = 0;
            size_t i;
            json_t *v;
            json_array_foreach(arr, i, v) seen |= !strcmp(json_string_value(v), n->name);
            if (!seen)
                json_array_append_new(arr, json_string(n->name));
        }
        collect(n->body, arr);
        collect(n->alt, arr);
    }
}

json_t *template_fields(const struct template *t)
{
    json_t *arr = json_array();
    collect(t->root, arr);
    return arr;
}
