/*
 * The segment language (docs/segments.md): a tokenizer, a recursive-descent
 * parser and a type checker that turn "lifecycle = active AND revenue > 500
 * AND last_purchase < today - 90d" into a typed tree, and an evaluator that
 * runs the tree over columns (one array per field, all customers at once)
 * into a bitset. Pure: no I/O, no globals; the caller supplies the field
 * catalogue, the columns and today's date.
 */
#ifndef ANALYTICS_SEGEXPR_H
#define ANALYTICS_SEGEXPR_H
#include <stddef.h>
#include <stdint.h>

#define SEGX_MAX_LEN 8192   /* bytes of expression */
#define SEGX_MAX_NODES 1024 /* conditions and operators */
#define SEGX_MAX_DEPTH 64   /* nesting of parentheses and NOT */
#define SEGX_MAX_LIST 512   /* values in one `in [...]` */

/* Field types. */
enum segx_type {
    SEGX_NUM = 1, /* a number; NaN is missing */
    SEGX_STR,     /* a text, dictionary-encoded; code 0 is missing */
    SEGX_DATE,    /* a calendar day (days since 1970-01-01); INT32_MIN missing */
    SEGX_SET,     /* a list of texts (tags, interests), dictionary-encoded */
    SEGX_BOOL     /* a flag, 0 or 1 */
};

/* One field the language knows. values ("a|b|c") restricts a text's values
 * (checked at compile time); NULL accepts any text. norm (may be NULL)
 * rewrites each text value of the field at compile time (e.g. a word into
 * its stem): 0, or -1 to refuse the value. */
struct segx_field {
    const char *name;
    int type; /* enum segx_type */
    const char *values;
    const char *doc;
    int (*norm)(const char *value, char *out, size_t outlen);
};

/* Where and why an expression was refused: pos is a byte offset in it. */
struct segx_error {
    size_t pos;
    char msg[224];
};

struct segx;

/*
 * Compiles src against the nfields fields. Dates written relative to today
 * (`today - 90d`) are resolved with the given day. On success *out is a
 * compiled expression the caller frees with segx_free; on failure returns -1
 * with err filled (position and what was expected). Never reads past src's
 * NUL; refuses more than SEGX_MAX_LEN bytes.
 */
int segx_compile(const char *src, const struct segx_field *fields, size_t nfields, int32_t today,
                 struct segx **out, struct segx_error *err);
void segx_free(struct segx *x);

/* 1 when the expression reads field index f. */
int segx_uses(const struct segx *x, size_t f);

/*
 * The data of one field for n customers, by its type:
 *   NUM  num[i] (NaN missing)       DATE day[i] (INT32_MIN missing)
 *   BOOL flag[i]                    STR  code[i] into dict[0..ndict) (0 missing;
 *                                        dict[0] is unused)
 *   SET  the codes items[start[i] .. start[i+1]) into dict
 * A field the expression does not use may be left zeroed.
 */
struct segx_column {
    const double *num;
    const int32_t *day;
    const uint8_t *flag;
    const uint32_t *code;
    const uint32_t *start, *items;
    const char *const *dict;
    size_t ndict;
};

/* Number of 64-bit words of a bitset over n customers. */
#define SEGX_WORDS(n) (((n) + 63) / 64)

/*
 * Evaluates x over n customers, cols[f] holding field f: bit i of out
 * (SEGX_WORDS(n) words, caller-allocated) is set when customer i matches.
 * Comparisons with a missing value are false (NOT inverts them).
 * Returns 0, or -1 when out of memory.
 */
int segx_eval(const struct segx *x, const struct segx_column *cols, size_t n, uint64_t *out);

/* Number of set bits among the first n. */
size_t segx_popcount(const uint64_t *bits, size_t n);

#endif
