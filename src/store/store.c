/*
 * The storage interface's dispatch: store_open picks the backend by the URL
 * (postgres:// or postgresql:// for PostgreSQL, anything else a SQLite file),
 * every other call goes to the handle's own backend. Also the backend-neutral
 * parts: checksums' canonical row text and the whole-database checksum.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/backend.h"

#define OPS(h) (*(const struct store_ops *const *)(const void *)(h))

int store_url_is_postgres(const char *url)
{
    return url && (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0);
}

static const struct store_ops *ops_for(const char *url)
{
    return store_url_is_postgres(url) ? &postgres_ops : &sqlite_ops;
}

int store_open_raw(struct store **out, const char *url, struct err *e)
{
    *out = NULL;
    if (!url || !*url)
        return err_set(e, ERR_INVALID, "db", "no database given");
    return ops_for(url)->open_raw(out, url, e);
}

int store_open(struct store **out, const char *url, struct err *e)
{
    int rc = store_open_raw(out, url, e);
    if (rc)
        return rc;
    rc = OPS(*out)->migrate(*out, e);
    if (rc) {
        store_close(*out);
        *out = NULL;
    }
    return rc;
}

void store_close(struct store *st)
{
    if (st)
        OPS(st)->close(st);
}

const char *store_backend(const struct store *st)
{
    return OPS(st)->name;
}

int store_begin(struct store *st, struct err *e)
{
    return OPS(st)->begin(st, e);
}

int store_commit(struct store *st, struct err *e)
{
    return OPS(st)->commit(st, e);
}

void store_rollback(struct store *st)
{
    OPS(st)->rollback(st);
}

int store_begin_read(struct store *st, struct err *e)
{
    return OPS(st)->begin_read(st, e);
}

void store_end_read(struct store *st)
{
    OPS(st)->end_read(st);
}

int store_bulk(struct store *st, int on, struct err *e)
{
    return OPS(st)->bulk(st, on, e);
}

int store_exec(struct store *st, const char *sql, struct err *e)
{
    return OPS(st)->exec(st, sql, e);
}

int store_query(struct store *st, struct stmt **out, struct err *e, const char *sql,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = OPS(st)->query_va(st, out, e, sql, fmt, ap);
    va_end(ap);
    return rc;
}

int store_queryv(struct store *st, struct stmt **out, struct err *e, const char *sql,
                 const struct bindv *args, int nargs)
{
    return OPS(st)->queryv(st, out, e, sql, args, nargs);
}

int store_run(struct store *st, int64_t *changes, struct err *e, const char *sql, const char *fmt,
              ...)
{
    struct stmt *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int rc = OPS(st)->query_va(st, &s, e, sql, fmt, ap);
    va_end(ap);
    if (rc)
        return rc;
    while ((rc = stmt_step(s, e)) == 1)
        ;
    if (rc == 0 && changes)
        *changes = OPS(st)->changes(st);
    stmt_done(s);
    return rc;
}

int store_int(struct store *st, int64_t *out, struct err *e, const char *sql, const char *fmt, ...)
{
    struct stmt *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int rc = OPS(st)->query_va(st, &s, e, sql, fmt, ap);
    va_end(ap);
    if (rc)
        return rc;
    rc = stmt_step(s, e);
    if (rc == 1) {
        *out = stmt_int(s, 0);
        /* finish the statement so RETURNING writes complete */
        while ((rc = stmt_step(s, e)) == 1)
            ;
    } else if (rc == 0) {
        rc = err_set(e, ERR_NOTFOUND, "", "not found");
    }
    stmt_done(s);
    return rc;
}

int stmt_step(struct stmt *s, struct err *e)
{
    return OPS(s)->step(s, e);
}

int stmt_ncols(struct stmt *s)
{
    return OPS(s)->ncols(s);
}

const char *stmt_colname(struct stmt *s, int col)
{
    return OPS(s)->colname(s, col);
}

int stmt_isnull(struct stmt *s, int col)
{
    return OPS(s)->isnull(s, col);
}

char stmt_type(struct stmt *s, int col)
{
    return OPS(s)->type(s, col);
}

int64_t stmt_int(struct stmt *s, int col)
{
    return OPS(s)->col_int(s, col);
}

double stmt_double(struct stmt *s, int col)
{
    return OPS(s)->col_double(s, col);
}

const char *stmt_text(struct stmt *s, int col)
{
    return OPS(s)->col_text(s, col);
}

void stmt_done(struct stmt *s)
{
    if (s)
        OPS(s)->done(s);
}

int store_backup(struct store *st, const char *path, void (*progress)(double, void *), void *arg,
                 struct err *e)
{
    return OPS(st)->backup(st, path, progress, arg, e);
}

int store_restore(const char *url, const char *path, struct err *e)
{
    if (!url || !*url)
        return err_set(e, ERR_INVALID, "db", "no database given");
    return ops_for(url)->restore(url, path, e);
}

int store_check(struct store *st, struct err *e)
{
    return OPS(st)->check(st, e);
}

int store_checksum_tables(struct store *st, void (*fn)(const char *table, const char *hex, void *arg),
                          void *arg, struct err *e)
{
    struct stmt *q = NULL;
    int rc = store_query(st, &q, e, OPS(st)->tables_sql, "");
    if (rc)
        return rc;
    char names[256][64];
    int n = 0;
    while (n < 256 && (rc = stmt_step(q, e)) == 1)
        snprintf(names[n++], sizeof(names[0]), "%s", stmt_text(q, 0));
    stmt_done(q);
    if (rc < 0)
        return rc;
    for (int t = 0; t < n; t++) {
        char hex[64];
        rc = OPS(st)->hash_table(st, names[t], hex, e);
        if (rc)
            return rc;
        fn(names[t], hex, arg);
    }
    return 0;
}

int store_references(struct store *st, const char *table,
                     int (*fn)(const char *table, const char *column, int has_id, void *arg),
                     void *arg, struct err *e)
{
    struct stmt *q = NULL;
    int rc = store_query(st, &q, e, OPS(st)->references_sql, "s", table);
    if (rc)
        return rc;
    char refs[128][2][64];
    int has_id[128];
    int n = 0;
    while (n < 128 && (rc = stmt_step(q, e)) == 1) {
        snprintf(refs[n][0], sizeof(refs[n][0]), "%s", stmt_text(q, 0));
        snprintf(refs[n][1], sizeof(refs[n][1]), "%s", stmt_text(q, 1));
        has_id[n++] = (int)stmt_int(q, 2);
    }
    stmt_done(q);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        rc = fn(refs[i][0], refs[i][1], has_id[i], arg);
        if (rc)
            return rc;
    }
    return 0;
}

void row_hash_begin(crypto_generichash_state *h)
{
    crypto_generichash_init(h, NULL, 0, 16);
}

static void row_hash_value(crypto_generichash_state *h, const char *v, size_t len)
{
    unsigned char tag = v ? 'v' : 'n';
    crypto_generichash_update(h, &tag, 1);
    if (v)
        crypto_generichash_update(h, (const unsigned char *)v, len);
    crypto_generichash_update(h, (const unsigned char *)"\x1f", 1);
}

void row_hash_int(crypto_generichash_state *h, int64_t v)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%" PRId64, v);
    row_hash_value(h, buf, (size_t)n);
}

void row_hash_double(crypto_generichash_state *h, double v)
{
    char buf[40];
    int n = snprintf(buf, sizeof(buf), "%.17g", v);
    row_hash_value(h, buf, (size_t)n);
}

void row_hash_text(crypto_generichash_state *h, const char *v, size_t len)
{
    row_hash_value(h, v, len);
}

void row_hash_end(crypto_generichash_state *h, uint64_t sum[2])
{
    uint64_t d[2];
    crypto_generichash_final(h, (unsigned char *)d, sizeof(d));
    sum[0] += d[0];
    sum[1] += d[1];
}

void table_hash_hex(char out[64], const uint64_t sum[2], uint64_t rows)
{
    snprintf(out, 64, "%016llx%016llx", (unsigned long long)(sum[0] ^ rows),
             (unsigned long long)sum[1]);
}

static void checksum_fold(const char *table, const char *hex, void *arg)
{
    crypto_generichash_state *h = arg;
    crypto_generichash_update(h, (const unsigned char *)table, strlen(table) + 1);
    crypto_generichash_update(h, (const unsigned char *)hex, strlen(hex) + 1);
}

int store_checksum(struct store *st, char out[65], struct err *e)
{
    crypto_generichash_state h;
    unsigned char digest[16];
    crypto_generichash_init(&h, NULL, 0, sizeof(digest));
    int rc = store_checksum_tables(st, checksum_fold, &h, e);
    if (rc)
        return rc;
    crypto_generichash_final(&h, digest, sizeof(digest));
    sodium_bin2hex(out, 65, digest, sizeof(digest));
    return 0;
}

int store_reset_ids(struct store *st, const char *table, struct err *e)
{
    return OPS(st)->reset_ids(st, table, e);
}
