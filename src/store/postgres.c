/*
 * PostgreSQL implementation of store.h with libpq: '?' placeholders rewritten
 * to $1..$n once per statement text, statements prepared once per connection
 * (PQprepare / PQexecPrepared) and cached by text, values sent as text and
 * typed by the server from their context (an explicit int8, float8 or text
 * type only for a parameter it cannot infer, such as "? IS NULL"), SQLSTATEs
 * mapped to the same error kinds as SQLite's, savepoints for nested
 * transactions, and a clean reconnect after a lost connection.
 *
 * SQLite keeps a transaction usable after a failed statement (a unique
 * violation the service handles, then goes on); PostgreSQL aborts the whole
 * transaction. So a statement inside a write transaction runs under its own
 * savepoint, rolled back alone when it fails, as psql's ON_ERROR_ROLLBACK
 * does (read transactions skip it for reads: one round trip each).
 */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/backend.h"
#include "util/embedded.h"
#include "util/timeu.h"

#define CACHE_SLOTS 512 /* power of two */
#define MAX_PARAMS 32767 /* the protocol's limit */

/* type OIDs of pg_type.h (not exported by libpq-fe.h) */
enum { OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25, OID_OID = 26,
       OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_NUMERIC = 1700 };

struct stmt {
    const struct store_ops *ops; /* first: see backend.h */
    struct store *st;
    char *sql;   /* the caller's text, the cache key */
    char *pgsql; /* with $n placeholders */
    int nparams;
    int is_write; /* INSERT, UPDATE, DELETE: its own savepoint inside a transaction */
    int cached;
    unsigned gen;  /* connection generation it is prepared on; 0 not prepared */
    char name[24]; /* prepared statement name */
    Oid *types;  /* per parameter: 0 inferred by the server, else explicit */
    char **vals; /* bound values as text (owned), NULL for NULL */
    char *kinds; /* bind letter of each value, for explicit types */
    PGresult *res;
    int row; /* -1 before the first step */
    int nrows;
    int executed;
};

struct store {
    const struct store_ops *ops; /* first: see backend.h */
    PGconn *conn;
    unsigned gen; /* bumped at every (re)connection: prepared statements are per connection */
    int broken;   /* the connection was lost: reconnect before the next statement */
    int depth;    /* nesting of store_begin: 1 transaction, more savepoints */
    int reading;  /* inside store_begin_read */
    unsigned next_name;
    int64_t changes;
    struct stmt *cache[CACHE_SLOTS];
};

static int is_conn_state(const char *state)
{
    return state && (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
                     strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0);
}

/* Maps a failed result (or NULL when the connection failed) to an error kind. */
static int map_err(struct store *st, const PGresult *r, struct err *e)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = PQerrorMessage(st->conn);
    char m[200];
    snprintf(m, sizeof(m), "%s", msg ? msg : "");
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        m[--n] = 0;
    if (PQstatus(st->conn) != CONNECTION_OK || is_conn_state(state) || !state) {
        st->broken = 1;
        return err_set(e, ERR_UNAVAILABLE, "", "database unavailable (%s)", m);
    }
    if (strcmp(state, "23505") == 0)
        return err_set(e, ERR_EXISTS, "", "already exists (%s)", m);
    if (strncmp(state, "23", 2) == 0 || strcmp(state, "P0001") == 0)
        return err_set(e, ERR_INVALID, "", "constraint failed (%s)", m);
    if (strncmp(state, "22", 2) == 0)
        return err_set(e, ERR_INVALID, "", "invalid value (%s)", m);
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
        strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0)
        return err_set(e, ERR_UNAVAILABLE, "", "database busy (%s)", m);
    if (strcmp(state, "53100") == 0 || strncmp(state, "53", 2) == 0)
        return err_set(e, ERR_UNAVAILABLE, "", "database out of resources (%s)", m);
    return err_set(e, ERR_INTERNAL, "", "database error %s (%s)", state, m);
}

static void stmt_free(struct stmt *s)
{
    if (!s)
        return;
    PQclear(s->res);
    for (int i = 0; s->vals && i < s->nparams; i++)
        free(s->vals[i]);
    free(s->vals);
    free(s->types);
    free(s->kinds);
    free(s->sql);
    free(s->pgsql);
    free(s);
}

/* Before a statement: reconnects a lost connection when no transaction is
 * open (inside one, the caller gets ERR_UNAVAILABLE until it rolls back). */
static int ensure_conn(struct store *st, struct err *e)
{
    if (!st->broken && PQstatus(st->conn) == CONNECTION_OK)
        return 0;
    if (st->depth > 0 || st->reading)
        return err_set(e, ERR_UNAVAILABLE, "", "database connection lost");
    PQreset(st->conn);
    if (PQstatus(st->conn) != CONNECTION_OK) {
        st->broken = 1;
        char m[200];
        snprintf(m, sizeof(m), "%s", PQerrorMessage(st->conn));
        m[strcspn(m, "\n")] = 0;
        return err_set(e, ERR_UNAVAILABLE, "", "database unavailable (%s)", m);
    }
    st->broken = 0;
    st->gen++;
    return 0;
}

/* Runs SQL without parameters; *out (may be NULL) gets a successful result. */
static int exec_sql(struct store *st, const char *sql, PGresult **out, struct err *e)
{
    PGresult *r = PQexec(st->conn, sql);
    ExecStatusType k = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (k != PGRES_COMMAND_OK && k != PGRES_TUPLES_OK && k != PGRES_EMPTY_QUERY) {
        int rc = map_err(st, r, e);
        PQclear(r);
        return rc;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return 0;
}

static int pg_exec(struct store *st, const char *sql, struct err *e)
{
    int rc = ensure_conn(st, e);
    return rc ? rc : exec_sql(st, sql, NULL, e);
}

static void notice_quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static int pg_open_raw(struct store **out, const char *url, struct err *e)
{
    struct store *st = calloc(1, sizeof(*st));
    if (!st)
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    st->ops = &postgres_ops;
    char *conninfo_err = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &conninfo_err);
    if (!opts) {
        int rc = err_set(e, ERR_INVALID, "db", "bad PostgreSQL URL '%s': %s", url,
                         conninfo_err ? conninfo_err : "cannot parse");
        PQfreemem(conninfo_err);
        free(st);
        return rc;
    }
    PQconninfoFree(opts);
    st->conn = PQconnectdb(url);
    if (!st->conn || PQstatus(st->conn) != CONNECTION_OK) {
        char m[200];
        snprintf(m, sizeof(m), "%s", st->conn ? PQerrorMessage(st->conn) : "out of memory");
        m[strcspn(m, "\n")] = 0;
        PQfinish(st->conn);
        free(st);
        return err_set(e, ERR_UNAVAILABLE, "db", "cannot connect to the database: %s", m);
    }
    PQsetNoticeProcessor(st->conn, notice_quiet, NULL);
    st->gen = 1;
    const char *sync = getenv("RELATIO_SYNC");
    int rc = exec_sql(st,
                      "SET client_encoding = 'UTF8'; SET extra_float_digits = 3;"
                      " SET client_min_messages = warning",
                      NULL, e);
    if (!rc && sync && strcmp(sync, "OFF") == 0)
        rc = exec_sql(st, "SET synchronous_commit = off", NULL, e);
    if (rc) {
        PQfinish(st->conn);
        free(st);
        return rc;
    }
    *out = st;
    return 0;
}

static void pg_close(struct store *st)
{
    for (int i = 0; i < CACHE_SLOTS; i++)
        stmt_free(st->cache[i]);
    PQfinish(st->conn);
    free(st);
}

static int pg_begin(struct store *st, struct err *e)
{
    char sql[48];
    if (st->depth == 0) {
        int rc = ensure_conn(st, e);
        if (rc)
            return rc;
        snprintf(sql, sizeof(sql), "BEGIN");
    } else {
        snprintf(sql, sizeof(sql), "SAVEPOINT s%d", st->depth);
    }
    int rc = exec_sql(st, sql, NULL, e);
    if (!rc)
        st->depth++;
    return rc;
}

static int pg_commit(struct store *st, struct err *e)
{
    if (st->depth <= 0)
        return err_set(e, ERR_INTERNAL, "", "commit without a transaction");
    char sql[48];
    st->depth--;
    if (st->depth == 0)
        snprintf(sql, sizeof(sql), "COMMIT");
    else
        snprintf(sql, sizeof(sql), "RELEASE SAVEPOINT s%d", st->depth);
    PGresult *r = NULL;
    int rc = exec_sql(st, sql, &r, e);
    /* COMMIT of an aborted transaction answers ROLLBACK: report it */
    if (!rc && st->depth == 0 && r && strcmp(PQcmdStatus(r), "ROLLBACK") == 0)
        rc = err_set(e, ERR_INTERNAL, "", "transaction rolled back");
    PQclear(r);
    if (rc && st->depth == 0 && !st->broken)
        exec_sql(st, "ROLLBACK", NULL, NULL);
    return rc;
}

static void pg_rollback(struct store *st)
{
    if (st->depth <= 0)
        return;
    char sql[80];
    st->depth--;
    if (st->depth == 0)
        snprintf(sql, sizeof(sql), "ROLLBACK");
    else
        snprintf(sql, sizeof(sql), "ROLLBACK TO SAVEPOINT s%d; RELEASE SAVEPOINT s%d", st->depth,
                 st->depth);
    if (!st->broken && PQtransactionStatus(st->conn) != PQTRANS_IDLE)
        exec_sql(st, sql, NULL, NULL);
}

static int pg_begin_read(struct store *st, struct err *e)
{
    if (st->depth > 0 || st->reading)
        return 0;
    int rc = ensure_conn(st, e);
    if (!rc)
        rc = exec_sql(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL, e);
    if (!rc)
        st->reading = 1;
    return rc;
}

static void pg_end_read(struct store *st)
{
    if (st->depth > 0 || !st->reading)
        return;
    st->reading = 0;
    if (!st->broken && PQtransactionStatus(st->conn) != PQTRANS_IDLE)
        exec_sql(st, "COMMIT", NULL, NULL);
}

static int pg_bulk(struct store *st, int on, struct err *e)
{
    return pg_exec(st, on ? "SET synchronous_commit = off" : "SET synchronous_commit = on", e);
}

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* '?' → $n outside string literals, quoted identifiers and comments. */
static char *rewrite(const char *sql, int *nparams)
{
    size_t len = strlen(sql);
    char *out = malloc(len * 6 + 1); /* '?' becomes at most "$32767" */
    if (!out)
        return NULL;
    char *o = out;
    int n = 0;
    for (const char *p = sql; *p;) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            *o++ = *p++;
            while (*p) {
                if (*p == q && p[1] == q) {
                    *o++ = *p++;
                    *o++ = *p++;
                } else if (*p == q) {
                    *o++ = *p++;
                    break;
                } else {
                    *o++ = *p++;
                }
            }
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                *o++ = *p++;
        } else if (*p == '?') {
            /* "?NNN" keeps its number; a bare '?' takes one more than the
             * largest so far, as in SQLite */
            int k = 0;
            p++;
            if (*p >= '0' && *p <= '9') {
                while (*p >= '0' && *p <= '9' && k <= MAX_PARAMS)
                    k = k * 10 + (*p++ - '0');
            } else {
                k = n + 1;
            }
            if (k < 1 || k > MAX_PARAMS) {
                free(out);
                return NULL;
            }
            if (k > n)
                n = k;
            o += sprintf(o, "$%d", k);
        } else {
            *o++ = *p++;
        }
    }
    *o = 0;
    *nparams = n;
    return out;
}

static int starts_with_word(const char *s, const char *w)
{
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '(')
        s++;
    size_t n = strlen(w);
    return strncasecmp(s, w, n) == 0 && !(s[n] >= 'A' && s[n] <= 'z');
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
    s->ops = &postgres_ops;
    s->st = st;
    s->row = -1;
    s->sql = strdup(sql);
    s->pgsql = rewrite(sql, &s->nparams);
    if (s->pgsql) {
        size_t n = s->nparams ? (size_t)s->nparams : 1;
        s->vals = calloc(n, sizeof(*s->vals));
        s->types = calloc(n, sizeof(*s->types));
        s->kinds = calloc(n, 1);
    }
    if (!s->sql || !s->pgsql || !s->vals || !s->types || !s->kinds) {
        stmt_free(s);
        return err_set(e, ERR_INTERNAL, "", "cannot prepare (too many parameters or no memory)");
    }
    s->is_write = starts_with_word(sql, "INSERT") || starts_with_word(sql, "UPDATE") ||
                  starts_with_word(sql, "DELETE") || starts_with_word(sql, "WITH");
    if (slot) {
        s->cached = 1;
        *slot = s;
    }
    *out = s;
    return 0;
}

static int set_val(struct stmt *s, int i, char kind, const char *v, size_t len)
{
    if (i >= s->nparams)
        return 0; /* more arguments than placeholders: ignored, as SQLite's range error is not */
    free(s->vals[i]);
    s->vals[i] = NULL;
    s->kinds[i] = kind;
    if (!v)
        return 0;
    s->vals[i] = malloc(len + 1);
    if (!s->vals[i])
        return ERR_INTERNAL;
    memcpy(s->vals[i], v, len);
    s->vals[i][len] = 0;
    return 0;
}

static int set_int(struct stmt *s, int i, int64_t v)
{
    char b[32];
    int n = snprintf(b, sizeof(b), "%" PRId64, v);
    return set_val(s, i, 'i', b, (size_t)n);
}

static int set_double(struct stmt *s, int i, double v)
{
    char b[40];
    int n = snprintf(b, sizeof(b), "%.17g", v);
    return set_val(s, i, 'd', b, (size_t)n);
}

static void reset_stmt(struct stmt *s)
{
    for (int i = 0; i < s->nparams; i++) {
        free(s->vals[i]);
        s->vals[i] = NULL;
        s->kinds[i] = 's';
    }
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
    s->nrows = 0;
    s->executed = 0;
}

static int pg_query_va(struct store *st, struct stmt **out, struct err *e, const char *sql,
                       const char *fmt, va_list ap)
{
    int rc = prepare(st, out, sql, e);
    if (rc)
        return rc;
    struct stmt *s = *out;
    reset_stmt(s);
    rc = 0;
    for (int i = 0; fmt && *fmt && !rc; fmt++, i++) {
        switch (*fmt) {
        case 'i':
            rc = set_int(s, i, va_arg(ap, int64_t));
            break;
        case 'I': {
            int64_t v = va_arg(ap, int64_t);
            rc = v == INT64_MIN ? set_val(s, i, 'i', NULL, 0) : set_int(s, i, v);
            break;
        }
        case 'd':
            rc = set_double(s, i, va_arg(ap, double));
            break;
        case 's': {
            const char *v = va_arg(ap, const char *);
            rc = set_val(s, i, 's', v, v ? strlen(v) : 0);
            break;
        }
        case 'b': {
            const char *v = va_arg(ap, const void *);
            int len = va_arg(ap, int);
            rc = set_val(s, i, 's', v ? v : "", v && len > 0 ? (size_t)len : 0);
            break;
        }
        default:
            rc = err_set(e, ERR_INTERNAL, "", "bad bind format '%c'", *fmt);
        }
    }
    if (rc) {
        stmt_done(s);
        *out = NULL;
        return rc < 0 ? rc : err_set(e, ERR_INTERNAL, "", "out of memory");
    }
    return 0;
}

static int pg_queryv(struct store *st, struct stmt **out, struct err *e, const char *sql,
                     const struct bindv *args, int nargs)
{
    int rc = prepare(st, out, sql, e);
    if (rc)
        return rc;
    struct stmt *s = *out;
    reset_stmt(s);
    for (int i = 0; i < nargs && !rc; i++) {
        switch (args[i].type) {
        case 'i':
            rc = set_int(s, i, args[i].i);
            break;
        case 'd':
            rc = set_double(s, i, args[i].d);
            break;
        case 's':
            rc = set_val(s, i, 's', args[i].s, args[i].s ? strlen(args[i].s) : 0);
            break;
        default:
            rc = set_val(s, i, 's', NULL, 0);
        }
    }
    if (rc) {
        stmt_done(s);
        *out = NULL;
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    }
    return 0;
}

static Oid oid_of(char kind)
{
    return kind == 'i' ? OID_INT8 : kind == 'd' ? OID_FLOAT8 : OID_TEXT;
}

/* Prepares s on the current connection. A parameter whose type the server
 * cannot infer ("could not determine data type of parameter $3") gets the
 * type of the value bound to it, and the statement is prepared again. */
static int prepare_server(struct store *st, struct stmt *s, struct err *e)
{
    for (int i = 0; i < s->nparams; i++)
        s->types[i] = 0;
    if (s->cached)
        snprintf(s->name, sizeof(s->name), "r%u", st->next_name++);
    /* a failed attempt inside a transaction would abort it: under a savepoint */
    int intx = PQtransactionStatus(st->conn) == PQTRANS_INTRANS;
    int rc0 = intx ? exec_sql(st, "SAVEPOINT p", NULL, e) : 0;
    if (rc0)
        return rc0;
    for (int attempt = 0; attempt <= s->nparams; attempt++) {
        PGresult *r = PQprepare(st->conn, s->name, s->pgsql, s->nparams, s->types);
        if (r && PQresultStatus(r) == PGRES_COMMAND_OK) {
            PQclear(r);
            s->gen = st->gen;
            if (intx)
                exec_sql(st, "RELEASE SAVEPOINT p", NULL, NULL);
            return 0;
        }
        if (intx && PQstatus(st->conn) == CONNECTION_OK)
            exec_sql(st, "ROLLBACK TO SAVEPOINT p", NULL, NULL);
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        const char *d = msg ? strstr(msg, "parameter $") : NULL;
        int retry = 0;
        if (state && strcmp(state, "42P18") == 0 && d) {
            int n = atoi(d + 11);
            if (n >= 1 && n <= s->nparams && !s->types[n - 1]) {
                s->types[n - 1] = oid_of(s->kinds[n - 1]);
                retry = 1;
            }
        } else if (state && (strcmp(state, "42725") == 0 || strcmp(state, "42P08") == 0)) {
            for (int i = 0; i < s->nparams; i++)
                if (!s->types[i]) {
                    s->types[i] = oid_of(s->kinds[i]);
                    retry = 1;
                }
        }
        if (!retry) {
            int rc = map_err(st, r, e);
            if (e && rc == ERR_INTERNAL) {
                char m[sizeof(e->msg)];
                snprintf(m, sizeof(m), "%s", e->msg);
                snprintf(e->msg, sizeof(e->msg), "%.120s in: %.120s", m, s->sql);
            }
            PQclear(r);
            if (intx && !st->broken)
                exec_sql(st, "RELEASE SAVEPOINT p", NULL, NULL);
            return rc;
        }
        PQclear(r);
    }
    if (intx)
        exec_sql(st, "RELEASE SAVEPOINT p", NULL, NULL);
    return err_set(e, ERR_INTERNAL, "", "cannot type the parameters of: %.160s", s->sql);
}

/* SAVEPOINT, the prepared statement and RELEASE sent together in pipeline
 * mode. Returns the statement's result (NULL when the connection failed);
 * when it failed, the release did not run and the savepoint is still there. */
static PGresult *pipelined(struct store *st, struct stmt *s)
{
    if (!PQenterPipelineMode(st->conn))
        return NULL;
    PGresult *out = NULL;
    int ok = PQsendQueryParams(st->conn, "SAVEPOINT q", 0, NULL, NULL, NULL, NULL, 0) &&
             PQsendQueryPrepared(st->conn, s->name, s->nparams, (const char *const *)s->vals, NULL,
                                 NULL, 0) &&
             PQsendQueryParams(st->conn, "RELEASE SAVEPOINT q", 0, NULL, NULL, NULL, NULL, 0) &&
             PQpipelineSync(st->conn);
    /* results: one per query, each followed by NULL, then the sync */
    for (int q = 0; ok && q < 4;) {
        PGresult *r = PQgetResult(st->conn);
        if (!r) {
            if (PQstatus(st->conn) != CONNECTION_OK)
                break;
            q++;
            continue;
        }
        ExecStatusType k = PQresultStatus(r);
        if (k == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        if (q == 1 && !out) {
            out = r; /* the statement's */
        } else if (q == 0 && k != PGRES_COMMAND_OK && !out) {
            out = r; /* the savepoint failed: report that */
        } else {
            PQclear(r);
        }
    }
    PQexitPipelineMode(st->conn);
    return out;
}

static int execute(struct store *st, struct stmt *s, struct err *e)
{
    int rc = ensure_conn(st, e);
    if (rc)
        return rc;
    if (s->cached && s->gen != st->gen) {
        rc = prepare_server(st, s, e);
        if (rc)
            return rc;
    }
    /* inside a write transaction every statement, inside a read one every
     * write, runs under a savepoint: a failure undoes it alone */
    int guard = st->depth > 0 || (s->is_write && st->reading);
    PGresult *r;
    if (guard && s->cached) {
        /* savepoint, statement, release: one round trip */
        r = pipelined(st, s);
        guard = 2; /* the savepoint is taken; released when r succeeded */
    } else if (guard && (rc = exec_sql(st, "SAVEPOINT q", NULL, e))) {
        return rc;
    }
    if (guard == 2) {
        /* done above */
    } else if (s->cached) {
        r = PQexecPrepared(st->conn, s->name, s->nparams, (const char *const *)s->vals, NULL, NULL,
                           0);
    } else {
        for (int i = 0; i < s->nparams; i++)
            s->types[i] = 0;
        r = PQexecParams(st->conn, s->pgsql, s->nparams, NULL, (const char *const *)s->vals, NULL,
                         NULL, 0);
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        if (state && strcmp(state, "42P18") == 0) { /* untyped: type them all */
            PQclear(r);
            for (int i = 0; i < s->nparams; i++)
                s->types[i] = oid_of(s->kinds[i]);
            r = PQexecParams(st->conn, s->pgsql, s->nparams, s->types,
                             (const char *const *)s->vals, NULL, NULL, 0);
        }
    }
    ExecStatusType k = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (k != PGRES_COMMAND_OK && k != PGRES_TUPLES_OK) {
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        int stale = state && (strcmp(state, "26000") == 0 || strcmp(state, "0A000") == 0);
        rc = map_err(st, r, e);
        PQclear(r);
        if (guard && !st->broken)
            exec_sql(st, "ROLLBACK TO SAVEPOINT q; RELEASE SAVEPOINT q", NULL, NULL);
        if (stale && s->cached)
            s->gen = 0; /* prepared before a schema change: prepare again next time */
        return rc;
    }
    if (guard == 1)
        exec_sql(st, "RELEASE SAVEPOINT q", NULL, NULL);
    s->res = r;
    s->nrows = k == PGRES_TUPLES_OK ? PQntuples(r) : 0;
    const char *ct = PQcmdTuples(r);
    st->changes = ct && *ct ? strtoll(ct, NULL, 10) : 0;
    s->executed = 1;
    return 0;
}

static int pg_step(struct stmt *s, struct err *e)
{
    if (!s->executed) {
        int rc = execute(s->st, s, e);
        if (rc)
            return rc;
    }
    if (s->row + 1 < s->nrows) {
        s->row++;
        return 1;
    }
    s->row = s->nrows;
    return 0;
}

static int64_t pg_changes(struct store *st)
{
    return st->changes;
}

static int pg_ncols(struct stmt *s)
{
    if (!s->executed && execute(s->st, s, NULL))
        return 0;
    return s->res ? PQnfields(s->res) : 0;
}

static const char *pg_colname(struct stmt *s, int col)
{
    return s->res ? PQfname(s->res, col) : NULL;
}

static int valid_cell(struct stmt *s, int col)
{
    return s->res && s->row >= 0 && s->row < s->nrows && col >= 0 && col < PQnfields(s->res);
}

static int pg_isnull(struct stmt *s, int col)
{
    return !valid_cell(s, col) || PQgetisnull(s->res, s->row, col);
}

static int numeric_is_integral(const char *v)
{
    return !strpbrk(v, ".eEnN");
}

static char pg_type(struct stmt *s, int col)
{
    if (pg_isnull(s, col))
        return 'n';
    switch (PQftype(s->res, col)) {
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID:
    case OID_BOOL:
        return 'i';
    case OID_FLOAT4:
    case OID_FLOAT8:
        return 'd';
    case OID_NUMERIC:
        return numeric_is_integral(PQgetvalue(s->res, s->row, col)) ? 'i' : 'd';
    default:
        return 's';
    }
}

static int64_t pg_int(struct stmt *s, int col)
{
    if (pg_isnull(s, col))
        return 0;
    const char *v = PQgetvalue(s->res, s->row, col);
    if (PQftype(s->res, col) == OID_BOOL)
        return v[0] == 't';
    if (strpbrk(v, ".eE"))
        return (int64_t)strtod(v, NULL);
    return strtoll(v, NULL, 10);
}

static double pg_double(struct stmt *s, int col)
{
    if (pg_isnull(s, col))
        return 0;
    const char *v = PQgetvalue(s->res, s->row, col);
    if (PQftype(s->res, col) == OID_BOOL)
        return v[0] == 't';
    return strtod(v, NULL);
}

static const char *pg_text(struct stmt *s, int col)
{
    if (pg_isnull(s, col))
        return NULL;
    const char *v = PQgetvalue(s->res, s->row, col);
    if (PQftype(s->res, col) == OID_BOOL)
        return v[0] == 't' ? "1" : "0";
    return v;
}

static void pg_done(struct stmt *s)
{
    if (s->cached)
        reset_stmt(s);
    else
        stmt_free(s);
}

static int pg_backup(struct store *st, const char *path, void (*progress)(double, void *), void *arg,
                     struct err *e)
{
    (void)st;
    (void)path;
    (void)progress;
    (void)arg;
    return err_set(e, ERR_INVALID, "db",
                   "backup of a PostgreSQL database is pg_dump's job (see docs/postgres.md)");
}

static int pg_restore(const char *url, const char *path, struct err *e)
{
    (void)url;
    (void)path;
    return err_set(e, ERR_INVALID, "db",
                   "restore into PostgreSQL is pg_restore's job (see docs/postgres.md)");
}

static int pg_check(struct store *st, struct err *e)
{
    int64_t one = 0;
    return store_int(st, &one, e, "SELECT 1", "");
}

static int migrate(struct store *st, struct err *e)
{
    int rc = store_begin(st, e);
    if (rc)
        return rc;
    /* one migrator at a time: several servers may start together */
    rc = exec_sql(st,
                  "SELECT pg_advisory_xact_lock(7270001);"
                  " CREATE TABLE IF NOT EXISTS schema_migrations ("
                  " name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                  NULL, e);
    if (rc)
        goto out;
    for (const struct embedded_file *f = migrations_files; f->name; f++) {
        if (strncmp(f->name, "postgres/", 9) != 0)
            continue;
        int64_t n = 0;
        rc = store_int(st, &n, e, "SELECT COUNT(*) FROM schema_migrations WHERE name = ?", "s",
                       f->name);
        if (rc)
            goto out;
        if (n)
            continue;
        rc = exec_sql(st, (const char *)f->data, NULL, e);
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

static int hash_table(struct store *st, const char *table, char hex[64], struct err *e)
{
    char *ident = PQescapeIdentifier(st->conn, table, strlen(table));
    if (!ident)
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT * FROM %s", ident);
    PQfreemem(ident);
    PGresult *r = NULL;
    int rc = exec_sql(st, sql, &r, e);
    if (rc)
        return rc;
    uint64_t sum[2] = {0, 0};
    int rows = PQntuples(r), cols = PQnfields(r);
    for (int i = 0; i < rows; i++) {
        crypto_generichash_state h;
        row_hash_begin(&h);
        for (int c = 0; c < cols; c++) {
            const char *v = PQgetvalue(r, i, c);
            if (PQgetisnull(r, i, c)) {
                row_hash_text(&h, NULL, 0);
                continue;
            }
            switch (PQftype(r, c)) {
            case OID_INT2:
            case OID_INT4:
            case OID_INT8:
                row_hash_int(&h, strtoll(v, NULL, 10));
                break;
            case OID_BOOL:
                row_hash_int(&h, v[0] == 't');
                break;
            case OID_FLOAT4:
            case OID_FLOAT8:
            case OID_NUMERIC:
                row_hash_double(&h, strtod(v, NULL));
                break;
            default:
                row_hash_text(&h, v, (size_t)PQgetlength(r, i, c));
            }
        }
        row_hash_end(&h, sum);
    }
    PQclear(r);
    table_hash_hex(hex, sum, (uint64_t)rows);
    return 0;
}

static int pg_reset_ids(struct store *st, const char *table, struct err *e)
{
    int64_t n = 0;
    int rc = store_int(st, &n, e,
                       "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = "
                       "current_schema() AND table_name = ? AND column_name = 'id' AND "
                       "is_identity = 'YES'",
                       "s", table);
    if (rc || !n)
        return rc;
    char *ident = PQescapeIdentifier(st->conn, table, strlen(table));
    if (!ident)
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    char sql[300];
    snprintf(sql, sizeof(sql),
             "SELECT setval(pg_get_serial_sequence(?, 'id'), COALESCE((SELECT MAX(id) FROM %s), "
             "0) + 1, false)",
             ident);
    PQfreemem(ident);
    return store_int(st, &n, e, sql, "s", table);
}

const struct store_ops postgres_ops = {
    .name = "postgres",
    .open_raw = pg_open_raw,
    .migrate = migrate,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .begin_read = pg_begin_read,
    .end_read = pg_end_read,
    .bulk = pg_bulk,
    .exec = pg_exec,
    .query_va = pg_query_va,
    .queryv = pg_queryv,
    .changes = pg_changes,
    .step = pg_step,
    .ncols = pg_ncols,
    .colname = pg_colname,
    .isnull = pg_isnull,
    .type = pg_type,
    .col_int = pg_int,
    .col_double = pg_double,
    .col_text = pg_text,
    .done = pg_done,
    .backup = pg_backup,
    .restore = pg_restore,
    .check = pg_check,
    .tables_sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                  "current_schema() AND table_type = 'BASE TABLE' AND table_name <> "
                  "'schema_migrations' ORDER BY table_name COLLATE \"C\"",
    .hash_table = hash_table,
    .references_sql =
        "SELECT kcu.table_name, kcu.column_name, EXISTS (SELECT 1 FROM "
        "information_schema.table_constraints p JOIN information_schema.key_column_usage pk ON "
        "pk.constraint_name = p.constraint_name AND pk.constraint_schema = p.constraint_schema "
        "WHERE p.table_schema = kcu.table_schema AND p.table_name = kcu.table_name AND "
        "p.constraint_type = 'PRIMARY KEY' AND pk.column_name = 'id' AND pk.ordinal_position = 1) "
        "FROM information_schema.referential_constraints rc JOIN "
        "information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name AND "
        "kcu.constraint_schema = rc.constraint_schema JOIN information_schema.table_constraints u "
        "ON u.constraint_name = rc.unique_constraint_name AND u.constraint_schema = "
        "rc.unique_constraint_schema WHERE rc.constraint_schema = current_schema() AND "
        "u.table_name = ? ORDER BY kcu.table_name COLLATE \"C\", kcu.column_name COLLATE \"C\"",
    .reset_ids = pg_reset_ids,
};
