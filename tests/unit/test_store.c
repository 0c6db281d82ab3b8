/* Unit tests for the storage interface, run against SQLite (a temporary file)
 * and, when RELATIO_TEST_PG names a PostgreSQL cluster (scripts/pg.sh), a
 * fresh PostgreSQL database too: values and their types, parameters the
 * server cannot type, '?N' parameters, error kinds, a failed write inside a
 * transaction, savepoints, foreign keys listed, per-table checksums that do
 * not depend on row order and agree between the two backends, ids generated
 * after explicit ones, and a PostgreSQL twin for every SQLite migration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "util/embedded.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

struct backend {
    char url[256];
    char file[96]; /* SQLite: the file to remove */
    char pgdb[64]; /* PostgreSQL: the database to drop */
};

static struct backend backends[2];
static int nbackends;

static void drop_pg(const char *name)
{
    char admin[256], sql[128];
    snprintf(admin, sizeof(admin), "%s/postgres", getenv("RELATIO_TEST_PG"));
    struct store *a = NULL;
    struct err e = {0};
    if (store_open_raw(&a, admin, &e) == 0) {
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
        store_exec(a, sql, NULL);
        store_close(a);
    }
}

static int setup_all(void **state)
{
    (void)state;
    struct backend *b = &backends[nbackends++];
    snprintf(b->file, sizeof(b->file), "/tmp/relatio-store-%d.db", (int)getpid());
    snprintf(b->url, sizeof(b->url), "/tmp/relatio-store-%d.db", (int)getpid());
    const char *pg = getenv("RELATIO_TEST_PG");
    if (pg && *pg) {
        b = &backends[nbackends++];
        snprintf(b->pgdb, sizeof(b->pgdb), "t_store_%d", (int)getpid());
        char admin[256], sql[128];
        snprintf(admin, sizeof(admin), "%s/postgres", pg);
        struct store *a = NULL;
        struct err e = {0};
        if (store_open_raw(&a, admin, &e)) {
            fprintf(stderr, "cannot reach %s: %s\n", admin, e.msg);
            return -1;
        }
        snprintf(sql, sizeof(sql), "CREATE DATABASE %s", b->pgdb);
        int rc = store_exec(a, sql, &e);
        store_close(a);
        if (rc)
            return -1;
        snprintf(b->url, sizeof(b->url), "%s/t_store_%d", pg, (int)getpid());
    }
    return 0;
}

static int teardown_all(void **state)
{
    (void)state;
    for (int i = 0; i < nbackends; i++) {
        if (backends[i].pgdb[0])
            drop_pg(backends[i].pgdb);
        if (backends[i].file[0]) {
            char p[128];
            unlink(backends[i].file);
            snprintf(p, sizeof(p), "%s-wal", backends[i].file);
            unlink(p);
            snprintf(p, sizeof(p), "%s-shm", backends[i].file);
            unlink(p);
        }
    }
    return 0;
}

static struct store *open_b(int i)
{
    struct store *st = NULL;
    struct err e = {0};
    int rc = store_open(&st, backends[i].url, &e);
    if (rc)
        fprintf(stderr, "%s: %s\n", backends[i].url, e.msg);
    assert_int_equal(rc, 0);
    return st;
}

/* A scratch table per test, created afresh. */
static void scratch(struct store *st)
{
    struct err e = {0};
    store_exec(st, "DROP TABLE IF EXISTS t_child", NULL);
    store_exec(st, "DROP TABLE IF EXISTS t_scratch", NULL);
    assert_int_equal(store_exec(st,
                                "CREATE TABLE t_scratch (id BIGINT PRIMARY KEY, name TEXT UNIQUE, "
                                "score DOUBLE PRECISION, n BIGINT CHECK (n IS NULL OR n >= 0))",
                                &e),
                     0);
    assert_int_equal(store_exec(st,
                                "CREATE TABLE t_child (id BIGINT PRIMARY KEY, parent BIGINT NOT "
                                "NULL REFERENCES t_scratch(id))",
                                &e),
                     0);
}

static void test_values_and_types(void **state)
{
    (void)state;
    for (int b = 0; b < nbackends; b++) {
        struct store *st = open_b(b);
        struct err e = {0};
        scratch(st);
        int64_t changes = 0;
        assert_int_equal(store_run(st, &changes, &e,
                                   "INSERT INTO t_scratch(id, name, score, n) VALUES (?, ?, ?, ?), "
                                   "(?, ?, ?, ?)",
                                   "isdIisdI", (int64_t)1, "Hélène", 2.5, (int64_t)7, (int64_t)2,
                                   (const char *)NULL, 0.1, INT64_MIN),
                         0);
        assert_int_equal(changes, 2);
        struct stmt *s = NULL;
        assert_int_equal(store_query(st, &s, &e,
                                     "SELECT id, name, score, n, COUNT(*) OVER () AS c FROM "
                                     "t_scratch ORDER BY id",
                                     ""),
                         0);
        assert_int_equal(stmt_step(s, &e), 1);
        assert_int_equal(stmt_ncols(s), 5);
        assert_string_equal(stmt_colname(s, 4), "c");
        assert_int_equal(stmt_type(s, 0), 'i');
        assert_int_equal(stmt_type(s, 1), 's');
        assert_int_equal(stmt_type(s, 2), 'd');
        assert_int_equal(stmt_type(s, 4), 'i');
        assert_string_equal(stmt_text(s, 1), "Hélène");
        assert_true(stmt_double(s, 2) == 2.5);
        assert_int_equal(stmt_int(s, 3), 7);
        assert_int_equal(stmt_step(s, &e), 1);
        assert_true(stmt_isnull(s, 1));
        assert_null(stmt_text(s, 1));
        assert_int_equal(stmt_type(s, 3), 'n');
        assert_true(stmt_double(s, 2) == 0.1);
        assert_int_equal(stmt_step(s, &e), 0);
        stmt_done(s);
        /* parameters whose type only the bound value tells, numbered ones */
        int64_t n = -1;
        assert_int_equal(store_int(st, &n, &e,
                                   "SELECT COUNT(*) FROM t_scratch WHERE (? IS NULL OR name = ?) "
                                   "AND (?3 IS NULL OR id >= ?3)",
                                   "ssI", (const char *)NULL, (const char *)NULL, (int64_t)2),
                         0);
        assert_int_equal(n, 1);
        assert_int_equal(store_int(st, &n, &e, "SELECT ?1 + ?1", "i", (int64_t)21), 0);
        assert_int_equal(n, 42);
        /* the same text again reuses the cached statement with new values */
        assert_int_equal(store_int(st, &n, &e,
                                   "SELECT COUNT(*) FROM t_scratch WHERE (? IS NULL OR name = ?) "
                                   "AND (?3 IS NULL OR id >= ?3)",
                                   "ssI", "Hélène", "Hélène", INT64_MIN),
                         0);
        assert_int_equal(n, 1);
        struct bindv v[2] = {{'s', 0, 0, "x"}, {'n', 0, 0, NULL}};
        assert_int_equal(store_queryv(st, &s, &e,
                                      "SELECT COUNT(*) FROM t_scratch WHERE name = ? OR n = ?", v,
                                      2),
                         0);
        assert_int_equal(stmt_step(s, &e), 1);
        assert_int_equal(stmt_int(s, 0), 0);
        stmt_done(s);
        assert_int_equal(store_int(st, &n, &e, "SELECT id FROM t_scratch WHERE id = ?", "i",
                                   (int64_t)99),
                         ERR_NOTFOUND);
        store_close(st);
    }
}

static void test_errors_and_transactions(void **state)
{
    (void)state;
    for (int b = 0; b < nbackends; b++) {
        struct store *st = open_b(b);
        struct err e = {0};
        scratch(st);
        assert_int_equal(
            store_run(st, NULL, &e, "INSERT INTO t_scratch(id, name) VALUES (1, 'a')", ""), 0);
        assert_int_equal(
            store_run(st, NULL, &e, "INSERT INTO t_scratch(id, name) VALUES (2, 'a')", ""),
            ERR_EXISTS);
        assert_int_equal(store_run(st, NULL, &e, "INSERT INTO t_child(id, parent) VALUES (1, 5)",
                                   ""),
                         ERR_INVALID);
        assert_int_equal(store_run(st, NULL, &e, "UPDATE t_scratch SET n = -1", ""), ERR_INVALID);
        assert_int_equal(store_run(st, NULL, &e, "DELETE FROM audit_log", ""), 0);
        assert_int_equal(store_run(st, NULL, &e,
                                   "INSERT INTO audit_log(at, actor, action, entity) VALUES (1, "
                                   "'t', 'create', 'x')",
                                   ""),
                         0);
        assert_int_equal(store_run(st, NULL, &e, "DELETE FROM audit_log", ""), ERR_INVALID);
        /* a failed write inside a transaction leaves the transaction usable */
        assert_int_equal(store_begin(st, &e), 0);
        assert_int_equal(
            store_run(st, NULL, &e, "INSERT INTO t_scratch(id, name) VALUES (3, 'b')", ""), 0);
        assert_int_equal(
            store_run(st, NULL, &e, "INSERT INTO t_scratch(id, name) VALUES (4, 'b')", ""),
            ERR_EXISTS);
        /* a savepoint's rollback undoes its own work only */
        assert_int_equal(store_begin(st, &e), 0);
        assert_int_equal(
            store_run(st, NULL, &e, "INSERT INTO t_scratch(id, name) VALUES (5, 'c')", ""), 0);
        store_rollback(st);
        assert_int_equal(store_commit(st, &e), 0);
        int64_t n = 0;
        assert_int_equal(store_int(st, &n, &e, "SELECT COUNT(*) FROM t_scratch", ""), 0);
        assert_int_equal(n, 2); /* ids 1 and 3 */
        /* a rolled-back transaction leaves nothing */
        assert_int_equal(store_begin(st, &e), 0);
        assert_int_equal(store_run(st, NULL, &e, "DELETE FROM t_scratch", ""), 0);
        store_rollback(st);
        assert_int_equal(store_int(st, &n, &e, "SELECT COUNT(*) FROM t_scratch", ""), 0);
        assert_int_equal(n, 2);
        /* a read transaction sees one snapshot */
        assert_int_equal(store_begin_read(st, &e), 0);
        assert_int_equal(store_int(st, &n, &e, "SELECT COUNT(*) FROM t_scratch", ""), 0);
        store_end_read(st);
        assert_int_equal(n, 2);
        store_close(st);
    }
}

static int collect_ref(const char *table, const char *column, int has_id, void *arg)
{
    char *out = arg;
    char line[160];
    snprintf(line, sizeof(line), "%s.%s:%d;", table, column, has_id);
    strcat(out, line);
    return 0;
}

static void test_references_and_ids(void **state)
{
    (void)state;
    for (int b = 0; b < nbackends; b++) {
        struct store *st = open_b(b);
        struct err e = {0};
        char refs[4096] = "";
        assert_int_equal(store_references(st, "pipelines", collect_ref, refs, &e), 0);
        assert_non_null(strstr(refs, "deals.pipeline_id:1;"));
        assert_non_null(strstr(refs, "pipeline_stages.pipeline_id:1;"));
        /* ids generated after rows inserted with explicit ones */
        assert_int_equal(store_run(st, NULL, &e,
                                   "INSERT INTO sources(id, kind, name, created_at) VALUES (500, "
                                   "'import', 'explicit', 0)",
                                   ""),
                         0);
        assert_int_equal(store_reset_ids(st, "sources", &e), 0);
        int64_t id = 0;
        assert_int_equal(store_int(st, &id, &e,
                                   "INSERT INTO sources(kind, name, created_at) VALUES ('import', "
                                   "'generated', 0) RETURNING id",
                                   ""),
                         0);
        assert_true(id > 500);
        store_close(st);
    }
}

struct sums {
    char names[64][64], hex[64][64];
    int n;
};

static void keep_sum(const char *table, const char *hex, void *arg)
{
    struct sums *s = arg;
    if (s->n < 64 && strncmp(table, "t_", 2) == 0) {
        snprintf(s->names[s->n], 64, "%s", table);
        snprintf(s->hex[s->n++], 64, "%s", hex);
    }
}

static void test_checksums(void **state)
{
    (void)state;
    struct sums per[2];
    memset(per, 0, sizeof(per));
    for (int b = 0; b < nbackends; b++) {
        struct store *st = open_b(b);
        struct err e = {0};
        scratch(st);
        const char *ins = "INSERT INTO t_scratch(id, name, score, n) VALUES (?, ?, ?, ?)";
        assert_int_equal(store_run(st, NULL, &e, ins, "isdI", (int64_t)1, "un", 1.0, (int64_t)3),
                         0);
        assert_int_equal(
            store_run(st, NULL, &e, ins, "isdI", (int64_t)2, "deux", 0.1, INT64_MIN), 0);
        char a[65], c[65];
        assert_int_equal(store_checksum(st, a, &e), 0);
        /* deleted and inserted again (another physical order): the same */
        assert_int_equal(store_run(st, NULL, &e, "DELETE FROM t_scratch WHERE id = 1", ""), 0);
        assert_int_equal(store_run(st, NULL, &e, ins, "isdI", (int64_t)1, "un", 1.0, (int64_t)3),
                         0);
        assert_int_equal(store_checksum(st, c, &e), 0);
        assert_string_equal(a, c);
        /* a change shows */
        assert_int_equal(store_run(st, NULL, &e, "UPDATE t_scratch SET score = 0.2 WHERE id = 2",
                                   ""),
                         0);
        assert_int_equal(store_checksum(st, c, &e), 0);
        assert_string_not_equal(a, c);
        assert_int_equal(store_run(st, NULL, &e, "UPDATE t_scratch SET score = 0.1 WHERE id = 2",
                                   ""),
                         0);
        assert_int_equal(store_checksum_tables(st, keep_sum, &per[b], &e), 0);
        store_close(st);
    }
    /* the same rows give the same per-table checksums on both backends */
    if (nbackends == 2) {
        assert_int_equal(per[0].n, per[1].n);
        for (int i = 0; i < per[0].n; i++) {
            assert_string_equal(per[0].names[i], per[1].names[i]);
            assert_string_equal(per[0].hex[i], per[1].hex[i]);
        }
    }
}

static void test_every_migration_has_a_postgres_twin(void **state)
{
    (void)state;
    int sqlite = 0;
    for (const struct embedded_file *f = migrations_files; f->name; f++) {
        if (strncmp(f->name, "sqlite/", 7) != 0)
            continue;
        sqlite++;
        char twin[256];
        snprintf(twin, sizeof(twin), "postgres/%s", f->name + 7);
        int found = 0;
        for (const struct embedded_file *g = migrations_files; g->name; g++)
            found |= strcmp(g->name, twin) == 0;
        if (!found)
            fprintf(stderr, "no PostgreSQL twin for %s (scripts/pg_port.py drafts one)\n",
                    f->name);
        assert_true(found);
    }
    assert_true(sqlite > 0);
}

static void test_bad_urls(void **state)
{
    (void)state;
    struct store *st = NULL;
    struct err e = {0};
    assert_int_equal(store_open(&st, "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", &e),
                     ERR_UNAVAILABLE);
    assert_null(st);
    assert_non_null(strstr(e.msg, "cannot connect"));
    assert_int_equal(store_open(&st, "postgresql://[bad", &e), ERR_INVALID);
    assert_null(st);
    assert_int_equal(store_open(&st, "", &e), ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_types),
        cmocka_unit_test(test_errors_and_transactions),
        cmocka_unit_test(test_references_and_ids),
        cmocka_unit_test(test_checksums),
        cmocka_unit_test(test_every_migration_has_a_postgres_twin),
        cmocka_unit_test(test_bad_urls),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
