/*
 * The storage interface: a connection to a SQL database, prepared statements
 * with '?' placeholders, transactions, migrations and backup. Services above
 * write portable SQL; nothing backend-specific leaks past this header. The
 * SQLite implementation is store/sqlite.c, the PostgreSQL one store/postgres.c;
 * store/store.c picks one by the URL. One connection per thread: a struct
 * store is not thread-safe.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H
#include <stdint.h>

#include "util/err.h"

struct store;
struct stmt;

/* Opens the database named by url: a file path or "sqlite:PATH" (creating it),
 * or a PostgreSQL URL "postgres://user@host:port/db" (libpq's syntax), applies
 * the pending migrations of its dialect in one transaction, and sets the
 * durability pragmas. Caller owns *out and frees it with store_close. */
int store_open(struct store **out, const char *url, struct err *e);
/* Opens without migrating (for restore and read-only tools). */
int store_open_raw(struct store **out, const char *url, struct err *e);
void store_close(struct store *st);

/* "sqlite" or "postgres". */
const char *store_backend(const struct store *st);

/* Write transactions. store_begin takes the write lock at once (no upgrade
 * deadlocks); a nested begin is a savepoint that its rollback undoes alone. */
int store_begin(struct store *st, struct err *e);
int store_commit(struct store *st, struct err *e);
void store_rollback(struct store *st);

/* A read transaction: one consistent snapshot for several queries, and one
 * lock round instead of one per statement. Writes must not happen inside. */
int store_begin_read(struct store *st, struct err *e);
void store_end_read(struct store *st);

/* Bulk mode for generators and imports into a new database: trades crash
 * safety for speed until store_bulk(st, 0). Never used by the server. */
int store_bulk(struct store *st, int on, struct err *e);

/* Runs SQL without parameters (DDL, pragmas). */
int store_exec(struct store *st, const char *sql, struct err *e);

/* Prepares (or takes from the connection's cache) a statement and binds the
 * arguments described by fmt, one letter each:
 *   i int64_t, I int64_t or NULL when the value is INT64_MIN, d double,
 *   s const char * (NULL binds NULL), b (const void *, int len) blob-as-text.
 * The statement belongs to the store; release it with stmt_done when finished
 * (before preparing the same SQL again). */
int store_query(struct store *st, struct stmt **out, struct err *e, const char *sql,
                const char *fmt, ...);
/* store_query + step to completion for a write; *changes (may be NULL) gets
 * the number of rows changed. */
int store_run(struct store *st, int64_t *changes, struct err *e, const char *sql, const char *fmt,
              ...);
/* store_query for a statement returning one integer (e.g. RETURNING id or a
 * count): *out gets it; ERR_NOTFOUND when there is no row. */
int store_int(struct store *st, int64_t *out, struct err *e, const char *sql, const char *fmt, ...);

/* One bound value for store_queryv, when the arguments are built at run time:
 * type is 'i' (v.i), 'd' (v.d), 's' (v.s, NULL binds NULL) or 'n' (NULL). */
struct bindv {
    char type;
    int64_t i;
    double d;
    const char *s;
};
int store_queryv(struct store *st, struct stmt **out, struct err *e, const char *sql,
                 const struct bindv *args, int nargs);

/* Advances: 1 a row is ready, 0 no more rows, negative an error
 * (ERR_EXISTS on a unique violation, ERR_INVALID on a foreign-key or check
 * violation, ERR_UNAVAILABLE when busy beyond the timeout). */
int stmt_step(struct stmt *s, struct err *e);
int stmt_ncols(struct stmt *s);
const char *stmt_colname(struct stmt *s, int col);
int stmt_isnull(struct stmt *s, int col);
/* The stored type of a column of the current row: 'i', 'd', 's' or 'n'. */
char stmt_type(struct stmt *s, int col);
int64_t stmt_int(struct stmt *s, int col);
double stmt_double(struct stmt *s, int col);
/* Text of a column, NULL when NULL; valid until the next step or done. */
const char *stmt_text(struct stmt *s, int col);
/* Resets the statement for reuse; accepts NULL. */
void stmt_done(struct stmt *s);

/* Online backup of the live database into path (a consistent snapshot while
 * others keep writing). progress(frac, arg) may be NULL. */
int store_backup(struct store *st, const char *path, void (*progress)(double, void *), void *arg,
                 struct err *e);
/* Replaces the database at url with the backup file path. */
int store_restore(const char *url, const char *path, struct err *e);
/* Integrity check: 0 when the database is sound. */
int store_check(struct store *st, struct err *e);
/* Stable checksum of every row of every table, for backup/merge tests. out
 * gets 32 hex chars. Independent of the order rows are stored in. */
int store_checksum(struct store *st, char out[65], struct err *e);
/* The same per table: fn(table, 32 hex chars, arg) for each table by name. */
int store_checksum_tables(struct store *st, void (*fn)(const char *table, const char *hex, void *arg),
                          void *arg, struct err *e);
/* Every column of the schema that references table (a foreign key), with
 * has_id = 1 when its table has an integer primary key named id. Stops at
 * fn's first non-zero return and returns it. */
int store_references(struct store *st, const char *table,
                     int (*fn)(const char *table, const char *column, int has_id, void *arg),
                     void *arg, struct err *e);
/* After rows were inserted with explicit ids (a copy between databases):
 * makes the next generated id of table follow its largest. */
int store_reset_ids(struct store *st, const char *table, struct err *e);

#endif
