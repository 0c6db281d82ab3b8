/*
 * Private to src/store/: the table of operations each backend (sqlite.c,
 * postgres.c) fills in, and store.c dispatches to by the database URL. Every
 * backend's struct store and struct stmt begin with a pointer to its table,
 * so store.c reads the table from any handle without knowing the rest.
 */
#ifndef STORE_BACKEND_H
#define STORE_BACKEND_H
#include <sodium.h>
#include <stdarg.h>

#include "store/store.h"

struct store_ops {
    const char *name;
    int (*open_raw)(struct store **out, const char *url, struct err *e);
    int (*migrate)(struct store *st, struct err *e);
    void (*close)(struct store *st);
    int (*begin)(struct store *st, struct err *e);
    int (*commit)(struct store *st, struct err *e);
    void (*rollback)(struct store *st);
    int (*begin_read)(struct store *st, struct err *e);
    void (*end_read)(struct store *st);
    int (*bulk)(struct store *st, int on, struct err *e);
    int (*exec)(struct store *st, const char *sql, struct err *e);
    int (*query_va)(struct store *st, struct stmt **out, struct err *e, const char *sql,
                    const char *fmt, va_list ap);
    int (*queryv)(struct store *st, struct stmt **out, struct err *e, const char *sql,
                  const struct bindv *args, int nargs);
    int64_t (*changes)(struct store *st);
    int (*step)(struct stmt *s, struct err *e);
    int (*ncols)(struct stmt *s);
    const char *(*colname)(struct stmt *s, int col);
    int (*isnull)(struct stmt *s, int col);
    char (*type)(struct stmt *s, int col);
    int64_t (*col_int)(struct stmt *s, int col);
    double (*col_double)(struct stmt *s, int col);
    const char *(*col_text)(struct stmt *s, int col);
    void (*done)(struct stmt *s);
    int (*backup)(struct store *st, const char *path, void (*progress)(double, void *), void *arg,
                  struct err *e);
    int (*restore)(const char *url, const char *path, struct err *e);
    int (*check)(struct store *st, struct err *e);
    /* the names of the tables store_checksum_tables covers, in byte order */
    const char *tables_sql;
    int (*hash_table)(struct store *st, const char *table, char hex[64], struct err *e);
    /* (table, column, has_id) of the foreign keys referencing the table bound */
    const char *references_sql;
    int (*reset_ids)(struct store *st, const char *table, struct err *e);
};

extern const struct store_ops sqlite_ops;
extern const struct store_ops postgres_ops;

/* Checksums, the same in every backend: a row's hash is BLAKE2b over, per
 * column, a tag ('n' NULL, 'v' a value) and the value's canonical text
 * (integers in decimal, doubles with 17 significant digits, text as is), so a
 * table copied from one backend to the other keeps its checksum. Rows are
 * combined by adding their hashes lane by lane: independent of row order. */
void row_hash_begin(crypto_generichash_state *h);
void row_hash_int(crypto_generichash_state *h, int64_t v);
void row_hash_double(crypto_generichash_state *h, double v);
void row_hash_text(crypto_generichash_state *h, const char *v, size_t len); /* v NULL: NULL */
void row_hash_end(crypto_generichash_state *h, uint64_t sum[2]);
/* The table's 32 hex digits from the sum of its row hashes and its row count. */
void table_hash_hex(char out[64], const uint64_t sum[2], uint64_t rows);

/* Whether url names a PostgreSQL database. */
int store_url_is_postgres(const char *url);

#endif
