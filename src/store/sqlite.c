/*
 * SQLite implementation of store.h: WAL, foreign keys, busy timeout, a
 * statement cache per connection, embedded numbered migrations applied at
 * open in one transaction, online backup.
 */
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/backend.h"
#include "util/embedded.h"
#include "util/timeu.h"

#define CACHE_SLOTS 512 /* power of two */

struct stmt {
    const struct store_ops *ops; /* first: see backend.h */
    struct store *st;
    sqlite3_stmt *s;
    char *sql; /* owned copy, the cache key */
    int cached;
};

struct store {
    const struct store_ops *ops; /* first: see backend.h */
    sqlite3 *db;
    int depth; /* nesting of store_begin: 1 transaction, more savepoints */
    struct stmt *cache[CACHE_SLOTS];
};

static int map_rc(struct store *st, int rc, struct err *e)
{
    const char *msg = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return err_set(e, ERR_EXISTS, "", "already exists (%s)", msg);
        return err_set(e, ERR_INVALID, "", "constraint failed (%s)", msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return err_set(e, ERR_UNAVAILABLE, "", "database busy (%s)", msg);
    case SQLITE_FULL:
        return err_set(e, ERR_UNAVAILABLE, "", "disk full (%s)", msg);
    default:
        return err_set(e, ERR_INTERNAL, "", "database error (%s)", msg);
    }
}

static const char *path_of(const char *url)
{
    if (strncmp(url, "sqlite:", 7) == 0)
        url += 7;
    if (strncmp(url, "//", 2) == 0)
        url += 2;
    return url;
}

static int sq_exec(struct store *st, const char *sql, struct err *e)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int k = map_rc(st, rc, e);
        if (msg && e)
            snprintf(e->msg, sizeof(e->msg), "database error (%s)", msg);
        sqlite3_free(msg);
        return k;
    }
    return 0;
}

static void sq_close(struct store *st);
static int sq_check(struct store *st, struct err *e);

static int set_pragmas(struct store *st, struct err *e)
{
    const char *sync = getenv("RELATIO_SYNC");
    char sql[512];
    /* WAL + NORMAL: a committed transaction survives a crash of the process;
     * FULL (RELATIO_SYNC=FULL) also survives power loss. */
    /* a page cache of up to 256 MiB per connection (filled only as pages
     * are read): at a million customers the 360° reads touch about a
     * gigabyte spread over the file, and a miss beyond the 2 GiB mapping
     * (SQLite's compile-time limit) is a pread system call */
    snprintf(sql, sizeof(sql),
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
             "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-262144; PRAGMA mmap_size=2147418112;",
             sync && strcmp(sync, "FULL") == 0 ? "FULL" : "NORMAL");
    return sq_exec(st, sql, e);
}

/* Before SQLite's first use: no memory statistics, whose global mutex
 * every allocation of every connection would otherwise take. */
static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static void config_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sq_open_raw(struct store **out, const char *url, struct err *e)
{
    pthread_once(&config_once, config_sqlite);
    *out = NULL;
    struct store *st = calloc(1, sizeof(*st));
    if (!st)
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    st->ops = &sqlite_ops;
    int rc =
        sqlite3_open_v2(path_of(url), &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = err_set(e, ERR_UNAVAILABLE, "db", "cannot open database '%s': %s", url,
                     sqlite3_errmsg(st->db));
        sq_close(st);
        return rc;
    }
    sqlite3_busy_timeout(st->db, 10000);
    rc = set_pragmas(st, e);
    if (rc) {
        sq_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

static int migrate(struct store *st, struct err *e)
{
    int rc = sq_exec(st,
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
                        e);
    if (rc)
        return rc;
    rc = store_begin(st, e);
    if (rc)
        return rc;
    for (const struct embedded_file *f = migrations_files; f->name; f++) {
        if (strncmp(f->name, "sqlite/", 7) != 0)
            continue;
        int64_t n = 0;
        rc = store_int(st, &n, e, "SELECT COUNT(*) FROM schema_migrations WHERE name = ?", "s",
                       f->name);
        if (rc)
            goto out;
        if (n)
            continue;
        rc = sq_exec(st, (const char *)f->data, e);
        if (rc) {
            char m[sizeof(e->msg)];
            snprintf(m, sizeof(m), "%s", e ? e->msg : "");
            err_set(e, rc, "", "migration %s failed: %s", f->name, m);
            goto out;
        }
        rc = store_run(st, NULL, e, "INSERT INTO schema_migrations(name, applied_at) VALUES (?, ?)",
                       "si", f->name, time_now());
        if (rc)
            goto out;
    }
    return store_commit(st, e);
out:
    store_rollback(st);
    return rc;
}

static void stmt_free(struct stmt *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->s);
    free(s->sql);
    free(s);
}

static void sq_close(struct store *st)
{
    if (!st)
        return;
    for (int i = 0; i < CACHE_SLOTS; i++)
        stmt_free(st->cache[i]);
    if (st->db)
        sqlite3_close(st->db);
    free(st);
}

/* Nested levels are savepoints, so an inner failure (one bad row of an
 * import) rolls back only its own work. */
/* SQLite has one writer at a time. Threads of this process queue on a mutex
 * instead of polling the file lock with the busy handler's growing sleeps;
 * other processes still meet the busy timeout. */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static int sq_begin(struct store *st, struct err *e)
{
    char sql[48];
    if (st->depth == 0) {
        pthread_mutex_lock(&write_lock);
        snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE");
    } else {
        snprintf(sql, sizeof(sql), "SAVEPOINT s%d", st->depth);
    }
    int rc = sq_exec(st, sql, e);
    if (!rc)
        st->depth++;
    else if (st->depth == 0)
        pthread_mutex_unlock(&write_lock);
    return rc;
}

static int sq_commit(struct store *st, struct err *e)
{
    if (st->depth <= 0)
        return err_set(e, ERR_INTERNAL, "", "commit without a transaction");
    char sql[48];
    st->depth--;
    if (st->depth == 0)
        snprintf(sql, sizeof(sql), "COMMIT");
    else
        snprintf(sql, sizeof(sql), "RELEASE s%d", st->depth);
    int rc = sq_exec(st, sql, e);
    if (rc && st->depth == 0)
        sq_exec(st, "ROLLBACK", NULL);
    if (st->depth == 0)
        pthread_mutex_unlock(&write_lock);
    return rc;
}

static void sq_rollback(struct store *st)
{
    if (st->depth <= 0)
        return;
    char sql[64];
    st->depth--;
    if (st->depth == 0)
        snprintf(sql, sizeof(sql), "ROLLBACK");
    else
        snprintf(sql, sizeof(sql), "ROLLBACK TO s%d; RELEASE s%d", st->depth, st->depth);
    if (sqlite3_get_autocommit(st->db) == 0)
        sq_exec(st, sql, NULL);
    if (st->depth == 0)
        pthread_mutex_unlock(&write_lock);
}

static int prepare(struct store *st, struct stmt **out, const char *sql, struct err *e);

/* Runs a cached statement without parameters or rows (BEGIN, COMMIT): no
 * parse per call, unlike sq_exec. Every GET opens and closes a read
 * transaction. */
static int run_cached(struct store *st, const char *sql, struct err *e)
{
    struct stmt *s = NULL;
    int rc = prepare(st, &s, sql, e);
    if (rc)
        return rc;
    rc = sqlite3_step(s->s);
    sqlite3_reset(s->s);
    if (!s->cached)
        stmt_free(s);
    return rc == SQLITE_DONE ? 0 : map_rc(st, rc, e);
}

static int sq_begin_read(struct store *st, struct err *e)
{
    if (st->depth > 0)
        return 0;
    return run_cached(st, "BEGIN DEFERRED", e);
}

static void sq_end_read(struct store *st)
{
    if (st->depth == 0 && sqlite3_get_autocommit(st->db) == 0)
        run_cached(st, "COMMIT", NULL);
}

static int sq_bulk(struct store *st, int on, struct err *e)
{
    return sq_exec(st, on ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=NORMAL", e);
}

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int prepare(struct store *st, struct stmt **out, const char *sql, struct err *e)
{
    uint32_t h = hash_str(sql);
    struct stmt **slot = NULL;
    for (uint32_t i = 0; i < 8; i++) {
        struct stmt **c = &st->cache[(h + i) & (CACHE_SLOTS - 1)];
        if (*c && strcmp((*c)->sql, sql) == 0) {
            *out = *c;
            return 0;
        }
        if (!*c && !slot)
            slot = c;
    }
    struct stmt *s = calloc(1, sizeof(*s));
    if (!s)
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    s->ops = &sqlite_ops;
    s->st = st;
    s->sql = strdup(sql);
    int rc = sqlite3_prepare_v3(st->db, sql, -1, slot ? SQLITE_PREPARE_PERSISTENT : 0, &s->s, NULL);
    if (rc != SQLITE_OK || !s->sql) {
        rc = map_rc(st, rc, e);
        stmt_free(s);
        return rc ? rc : ERR_INTERNAL;
    }
    if (slot) {
        s->cached = 1;
        *slot = s;
    }
    *out = s;
    return 0;
}

static int bind_va(struct stmt *s, const char *fmt, va_list ap, struct err *e)
{
    sqlite3_stmt *q = s->s;
    int rc = SQLITE_OK;
    for (int i = 1; fmt && *fmt && rc == SQLITE_OK; fmt++, i++) {
        switch (*fmt) {
        case 'i':
            rc = sqlite3_bind_int64(q, i, va_arg(ap, int64_t));
            break;
        case 'I': {
            int64_t v = va_arg(ap, int64_t);
            rc = v == INT64_MIN ? sqlite3_bind_null(q, i) : sqlite3_bind_int64(q, i, v);
            break;
        }
        case 'd':
            rc = sqlite3_bind_double(q, i, va_arg(ap, double));
            break;
        case 's': {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(q, i);
            break;
        }
        case 'b': {
            const void *v = va_arg(ap, const void *);
            int len = va_arg(ap, int);
            rc = sqlite3_bind_text(q, i, v, len, SQLITE_TRANSIENT);
            break;
        }
        default:
            return err_set(e, ERR_INTERNAL, "", "bad bind format '%c'", *fmt);
        }
    }
    return rc == SQLITE_OK ? 0 : map_rc(s->st, rc, e);
}

static int query_va(struct store *st, struct stmt **out, struct err *e, const char *sql,
                    const char *fmt, va_list ap)
{
    int rc = prepare(st, out, sql, e);
    if (rc)
        return rc;
    rc = bind_va(*out, fmt, ap, e);
    if (rc) {
        stmt_done(*out);
        *out = NULL;
    }
    return rc;
}

static int sq_queryv(struct store *st, struct stmt **out, struct err *e, const char *sql,
                 const struct bindv *args, int nargs)
{
    int rc = prepare(st, out, sql, e);
    if (rc)
        return rc;
    sqlite3_stmt *q = (*out)->s;
    for (int i = 0; i < nargs && rc == SQLITE_OK; i++) {
        switch (args[i].type) {
        case 'i':
            rc = sqlite3_bind_int64(q, i + 1, args[i].i);
            break;
        case 'd':
            rc = sqlite3_bind_double(q, i + 1, args[i].d);
            break;
        case 's':
            rc = args[i].s ? sqlite3_bind_text(q, i + 1, args[i].s, -1, SQLITE_TRANSIENT)
                           : sqlite3_bind_null(q, i + 1);
            break;
        default:
            rc = sqlite3_bind_null(q, i + 1);
        }
    }
    if (rc != SQLITE_OK) {
        rc = map_rc(st, rc, e);
        stmt_done(*out);
        *out = NULL;
    }
    return rc;
}

static int sq_step(struct stmt *s, struct err *e)
{
    int rc = sqlite3_step(s->s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    int k = map_rc(s->st, sqlite3_extended_errcode(s->st->db), e);
    sqlite3_reset(s->s);
    return k;
}

static int sq_ncols(struct stmt *s)
{
    return sqlite3_column_count(s->s);
}

static const char *sq_colname(struct stmt *s, int col)
{
    return sqlite3_column_name(s->s, col);
}

static char sq_type(struct stmt *s, int col)
{
    switch (sqlite3_column_type(s->s, col)) {
    case SQLITE_INTEGER:
        return 'i';
    case SQLITE_FLOAT:
        return 'd';
    case SQLITE_NULL:
        return 'n';
    default:
        return 's';
    }
}

static int sq_isnull(struct stmt *s, int col)
{
    return sqlite3_column_type(s->s, col) == SQLITE_NULL;
}

static int64_t sq_int(struct stmt *s, int col)
{
    return sqlite3_column_int64(s->s, col);
}

static double sq_double(struct stmt *s, int col)
{
    return sqlite3_column_double(s->s, col);
}

static const char *sq_text(struct stmt *s, int col)
{
    return (const char *)sqlite3_column_text(s->s, col);
}

static void sq_done(struct stmt *s)
{
    if (!s)
        return;
    if (s->cached) {
        sqlite3_reset(s->s);
        sqlite3_clear_bindings(s->s);
    } else {
        stmt_free(s);
    }
}

static int sq_backup(struct store *st, const char *path, void (*progress)(double, void *), void *arg,
                 struct err *e)
{
    sqlite3 *dst = NULL;
    int rc = sqlite3_open(path, &dst);
    if (rc != SQLITE_OK) {
        rc = err_set(e, ERR_INVALID, "file", "cannot create '%s': %s", path, sqlite3_errmsg(dst));
        sqlite3_close(dst);
        return rc;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", st->db, "main");
    if (!b) {
        rc = err_set(e, ERR_INTERNAL, "", "backup failed: %s", sqlite3_errmsg(dst));
        sqlite3_close(dst);
        return rc;
    }
    do {
        rc = sqlite3_backup_step(b, 1024);
        if (progress) {
            int total = sqlite3_backup_pagecount(b);
            progress(total ? 1.0 - (double)sqlite3_backup_remaining(b) / total : 1.0, arg);
        }
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(20);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        rc = err_set(e, ERR_INTERNAL, "", "backup failed: %s", sqlite3_errstr(rc));
        sqlite3_close(dst);
        return rc;
    }
    /* the copy is a self-contained rollback-journal file */
    sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    sqlite3_close(dst);
    return 0;
}

static int sq_restore(const char *url, const char *path, struct err *e)
{
    struct store *src = NULL, *dst = NULL;
    if (access(path, R_OK) != 0)
        return err_set(e, ERR_NOTFOUND, "file", "cannot read backup '%s'", path);
    int rc = sq_open_raw(&src, path, e);
    if (rc)
        return rc;
    rc = sq_check(src, e);
    if (rc)
        goto out;
    rc = sq_open_raw(&dst, url, e);
    if (rc)
        goto out;
    sqlite3_backup *b = sqlite3_backup_init(dst->db, "main", src->db, "main");
    if (!b) {
        rc = map_rc(dst, sqlite3_errcode(dst->db), e);
        goto out;
    }
    int brc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (brc != SQLITE_DONE)
        rc = err_set(e, ERR_INTERNAL, "", "restore failed: %s", sqlite3_errstr(brc));
out:
    sq_close(src);
    sq_close(dst);
    return rc;
}

static int sq_check(struct store *st, struct err *e)
{
    struct stmt *s = NULL;
    int rc = store_query(st, &s, e, "PRAGMA integrity_check", "");
    if (rc)
        return rc;
    rc = stmt_step(s, e);
    if (rc == 1) {
        const char *r = stmt_text(s, 0);
        rc = r && strcmp(r, "ok") == 0 ? 0 : err_set(e, ERR_INTERNAL, "", "integrity check: %s", r);
    } else if (rc == 0) {
        rc = err_set(e, ERR_INTERNAL, "", "integrity check returned nothing");
    }
    stmt_done(s);
    return rc;
}

/* A row's hash, with the canonical value text of backend.h. */
static void row_hash(sqlite3_stmt *q, uint64_t sum[2])
{
    crypto_generichash_state h;
    row_hash_begin(&h);
    for (int c = 0; c < sqlite3_column_count(q); c++) {
        switch (sqlite3_column_type(q, c)) {
        case SQLITE_NULL:
            row_hash_text(&h, NULL, 0);
            break;
        case SQLITE_INTEGER:
            row_hash_int(&h, sqlite3_column_int64(q, c));
            break;
        case SQLITE_FLOAT:
            row_hash_double(&h, sqlite3_column_double(q, c));
            break;
        default: {
            const char *v = (const char *)sqlite3_column_text(q, c);
            row_hash_text(&h, v ? v : "", (size_t)sqlite3_column_bytes(q, c));
        }
        }
    }
    row_hash_end(&h, sum);
}

/* One table's checksum (backend.h): its rows hashed in the canonical text. */
static int sq_hash_table(struct store *st, const char *table, char hex[64], struct err *e)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT * FROM \"%.63s\"", table);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return map_rc(st, sqlite3_errcode(st->db), e);
    uint64_t sum[2] = {0, 0};
    uint64_t rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        row_hash(q, sum);
        rows++;
    }
    sqlite3_finalize(q);
    table_hash_hex(hex, sum, rows);
    return 0;
}


static int64_t sq_changes(struct store *st)
{
    return sqlite3_changes64(st->db);
}

static int sq_reset_ids(struct store *st, const char *table, struct err *e)
{
    (void)st;
    (void)table;
    (void)e;
    return 0; /* an INTEGER PRIMARY KEY follows the largest id by itself */
}

const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .open_raw = sq_open_raw,
    .migrate = migrate,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .begin_read = sq_begin_read,
    .end_read = sq_end_read,
    .bulk = sq_bulk,
    .exec = sq_exec,
    .query_va = query_va,
    .queryv = sq_queryv,
    .changes = sq_changes,
    .step = sq_step,
    .ncols = sq_ncols,
    .colname = sq_colname,
    .isnull = sq_isnull,
    .type = sq_type,
    .col_int = sq_int,
    .col_double = sq_double,
    .col_text = sq_text,
    .done = sq_done,
    .backup = sq_backup,
    .restore = sq_restore,
    .check = sq_check,
    .tables_sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                  "'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
    .hash_table = sq_hash_table,
    .references_sql =
        "SELECT m.name, f.\"from\", EXISTS (SELECT 1 FROM pragma_table_info(m.name) p WHERE "
        "p.name = 'id' AND p.pk = 1) FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
        "WHERE m.type = 'table' AND f.\"table\" = ? ORDER BY m.name, f.\"from\"",
    .reset_ids = sq_reset_ids,
};
