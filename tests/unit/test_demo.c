/* Unit tests for app/demo: determinism, purchase aggregates equal to the
 * SQL definition, the Pareto skew, every channel, consents, search terms,
 * the rebuilt indexes, and the refusal to fill a database twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/demo.h"
#include "store/store.h"
#include "util/text.h"
#include "util/timeu.h"
#undef fail /* app.h's shorthand; cmocka has its own */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define NCUST 2000

struct fixture {
    char dir[64], path_a[96], path_b[96], path_c[96], path_d[96];
    struct app a;
    struct ctx c;
    int stages, bad_frac;
    char last_stage[32];
};

static void on_progress(const char *stage, double frac, void *arg)
{
    struct fixture *f = arg;
    if (frac < 0 || frac > 1)
        f->bad_frac++;
    if (strcmp(stage, f->last_stage)) {
        f->stages++;
        snprintf(f->last_stage, sizeof(f->last_stage), "%s", stage);
    }
}

static const struct demo_opts opts = {NCUST, 20, 3, 42};

/* Tables whose rows hold secrets or ids drawn at random on purpose (webhook
 * secrets of the rule templates, e-mail Message-IDs, password salts), and
 * times of migrations: left out of the determinism check. */
#define SUMS 16384

static int random_by_design(const char *table)
{
    static const char *const t[] = {"rules", "ticket_messages", "users", "schema_migrations",
                                    "api_tokens", "sessions", NULL};
    for (int i = 0; t[i]; i++)
        if (!strcmp(t[i], table))
            return 1;
    return 0;
}

static void add_table(const char *table, const char *hex, void *arg)
{
    if (random_by_design(table))
        return;
    size_t n = strlen(arg);
    snprintf((char *)arg + n, SUMS - n, "%s=%s;", table, hex);
}

/* Every table's checksum but those random by design, as "t=hex;..." */
static int data_checksum(struct store *st, char sum[SUMS], struct err *e)
{
    sum[0] = 0;
    return store_checksum_tables(st, add_table, sum, e);
}

static int generate(struct fixture *f, const char *path, const struct demo_opts *o, char *sum)
{
    struct app a;
    struct ctx c;
    struct err e = {0};
    if (app_init(&a, path, &e))
        return e.kind;
    int rc = ctx_init(&c, &a, NULL);
    if (!rc)
        rc = demo_generate(&c, o, on_progress, f);
    if (!rc && sum)
        rc = data_checksum(c.st, sum, &c.err);
    int64_t fk = 0; /* the generator turns the checks off while loading */
    if (!rc)
        rc = store_int(c.st, &fk, &c.err, "PRAGMA foreign_keys", "");
    if (!rc && fk != 1)
        rc = err_set(&c.err, ERR_INTERNAL, "", "foreign keys left off");
    if (rc)
        fprintf(stderr, "demo: %s\n", c.err.msg);
    app_release(&a);
    return rc;
}

static int setup(void **state)
{
    setenv("RELATIO_NOW", "2026-07-01T12:00:00Z", 1);
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/relatio_demo_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path_a, sizeof(f->path_a), "%s/a.db", f->dir);
    snprintf(f->path_b, sizeof(f->path_b), "%s/b.db", f->dir);
    snprintf(f->path_c, sizeof(f->path_c), "%s/c.db", f->dir);
    snprintf(f->path_d, sizeof(f->path_d), "%s/d.db", f->dir);
    if (generate(f, f->path_a, &opts, NULL))
        return -1;
    struct err e = {0};
    if (app_init(&f->a, f->path_a, &e) || ctx_init(&f->c, &f->a, NULL))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    app_release(&f->a);
    const char *files[] = {f->path_a, f->path_b, f->path_c, f->path_d};
    for (int i = 0; i < 4; i++) {
        char p[128];
        unlink(files[i]);
        snprintf(p, sizeof(p), "%s-wal", files[i]);
        unlink(p);
        snprintf(p, sizeof(p), "%s-shm", files[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static int64_t q1(struct fixture *f, const char *sql)
{
    int64_t v = -1;
    int rc = store_int(f->c.st, &v, &f->c.err, sql, "");
    if (rc)
        fprintf(stderr, "query failed: %s: %s\n", sql, f->c.err.msg);
    assert_int_equal(rc, 0);
    return v;
}

static void test_counts_and_shape(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->bad_frac, 0);
    assert_true(f->stages >= 4);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM customers"), NCUST);
    int64_t persons = q1(f, "SELECT COUNT(*) FROM customers WHERE kind = 'person'");
    int64_t orgs = q1(f, "SELECT COUNT(*) FROM customers WHERE kind = 'organization'");
    int64_t guests = q1(f, "SELECT COUNT(*) FROM customers WHERE kind = 'guest'");
    assert_true(persons > NCUST * 80 / 100 && orgs > NCUST * 5 / 100 && guests > 0);
    /* organisations carry their business data */
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM customers WHERE kind = 'organization' AND "
                           "(naf_code IS NULL OR headcount IS NULL OR company_revenue_minor IS "
                           "NULL OR name IS NULL)"),
                     0);
    /* French accents and English names are both there */
    assert_true(q1(f, "SELECT COUNT(*) FROM customers WHERE first_name IN ('Hélène', "
                      "'Françoise', 'Jérôme', 'Bénédicte', 'Zoé') OR last_name = 'Lefèvre'") > 0);
    assert_true(q1(f, "SELECT COUNT(*) FROM customers WHERE language = 'en'") > NCUST / 10);
    /* ~25% of persons are prospects */
    int64_t prospects =
        q1(f, "SELECT COUNT(*) FROM customers WHERE kind = 'person' AND orders_count = 0");
    assert_true(prospects > persons / 6 && prospects < persons / 3);
    /* orders: about orders_per_customer on average, with lines and a rented file */
    int64_t orders = q1(f, "SELECT COUNT(*) FROM orders");
    assert_true(orders > NCUST * 14 && orders < NCUST * 26);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM orders o WHERE total_minor <> (SELECT "
                           "SUM(amount_minor) FROM order_lines l WHERE l.order_id = o.id)"),
                     0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM order_lines l JOIN orders o ON o.id = "
                           "l.order_id WHERE l.customer_id IS NOT o.customer_id"),
                     0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM "
                           "order_lines l WHERE l.order_id = o.id)"),
                     0);
    assert_true(q1(f, "SELECT COUNT(*) FROM orders WHERE kind = 'refund' AND total_minor < 0") > 0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM orders WHERE kind = 'refund' AND total_minor "
                           ">= 0"),
                     0);
    assert_true(q1(f, "SELECT COUNT(*) FROM orders WHERE status = 'cancelled'") > 0);
    assert_int_equal(q1(f, "SELECT COUNT(DISTINCT channel) FROM orders"), 3);
    /* order ids follow time, except refunds of the month before */
    assert_true(q1(f, "SELECT COUNT(*) FROM orders a JOIN orders b ON b.id = a.id + 1 WHERE "
                      "b.ordered_at < a.ordered_at AND a.kind = 'sale' AND b.kind = 'sale'") == 0);
    /* the history: years ending now, the customer record before its orders */
    assert_true(q1(f, "SELECT MAX(ordered_at) FROM orders") <= time_now());
    assert_true(q1(f, "SELECT MIN(ordered_at) FROM orders") >= time_now() - 3 * 366 * 86400);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM customers c WHERE created_at > (SELECT "
                           "MIN(ordered_at) FROM orders o WHERE o.customer_id = c.id)"),
                     0);
    /* seasonality: December sells more per day than August */
    int64_t dec = q1(f, "SELECT COUNT(*) FROM orders WHERE strftime('%m', ordered_at, "
                        "'unixepoch') = '12'");
    int64_t aug = q1(f, "SELECT COUNT(*) FROM orders WHERE strftime('%m', ordered_at, "
                        "'unixepoch') = '08'");
    assert_true(dec > 2 * aug);
    /* churn: buyers without an order in the last year */
    assert_true(q1(f, "SELECT COUNT(*) FROM customers WHERE orders_count > 0 AND last_order_at "
                      "< strftime('%s', '2025-07-01')") > NCUST / 20);
    /* products and sources */
    int64_t products = q1(f, "SELECT COUNT(*) FROM products");
    assert_true(products >= 180 && products <= 250);
    assert_int_equal(q1(f, "SELECT COUNT(DISTINCT category) FROM products"), 7);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM sources WHERE kind = 'rented' AND terms IS NOT "
                           "NULL AND expires_at IS NOT NULL"),
                     1);
    assert_true(q1(f, "SELECT COUNT(*) FROM customers c JOIN sources s ON s.id = c.source_id "
                      "WHERE s.kind = 'rented'") > 0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM customers WHERE source_id IS NULL"), 0);
    /* contact data: one primary each, consistent with the customer row */
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM customers c WHERE email IS NOT (SELECT email "
                           "FROM customer_emails e WHERE e.customer_id = c.id AND is_primary = "
                           "1)"),
                     0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM customers c WHERE phone IS NOT (SELECT phone "
                           "FROM customer_phones e WHERE e.customer_id = c.id AND is_primary = "
                           "1)"),
                     0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM customer_phones WHERE phone NOT LIKE '+%' OR "
                           "length(phone) < 11"),
                     0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM customer_emails WHERE email NOT LIKE "
                           "'%@%example.%' OR email <> lower(email)"),
                     0);
    assert_true(q1(f, "SELECT COUNT(DISTINCT region) FROM customer_addresses WHERE country = "
                      "'FR'") >= 10);
    assert_true(q1(f, "SELECT COUNT(DISTINCT country) FROM customer_addresses") >= 5);
    assert_true(q1(f, "SELECT COUNT(*) FROM customer_addresses WHERE postal_code = '20000' OR "
                      "postal_code LIKE '750%'") > 0);
    /* contracts, some cancelled with a reason; tags and interests */
    assert_true(q1(f, "SELECT COUNT(*) FROM contracts WHERE status = 'cancelled' AND "
                      "cancel_reason IS NOT NULL AND cancelled_at IS NOT NULL") > 0);
    assert_true(q1(f, "SELECT COUNT(DISTINCT offer) FROM contracts") >= 2);
    assert_true(q1(f, "SELECT COUNT(*) FROM customer_tags") > 0);
    assert_true(q1(f, "SELECT COUNT(*) FROM customer_interests") > 0);
}

/* Every reference points at an existing row. */
static void test_referential_integrity(void **state)
{
    struct fixture *f = *state;
    struct stmt *s = NULL;
    assert_int_equal(store_query(f->c.st, &s, &f->c.err, "PRAGMA foreign_key_check", ""), 0);
    int rc = stmt_step(s, &f->c.err);
    if (rc == 1)
        fprintf(stderr, "violation in %s\n", stmt_text(s, 0));
    stmt_done(s);
    assert_int_equal(rc, 0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM customer_relations WHERE customer_id = "
                           "related_id"),
                     0);
}

/* The aggregates must equal what refresh_aggregates (activity.c) computes. */
static void test_aggregates_match_sql(void **state)
{
    struct fixture *f = *state;
    int64_t bad = q1(
        f, "SELECT COUNT(*) FROM customers c LEFT JOIN (SELECT customer_id, COUNT(*) FILTER "
           "(WHERE kind = 'sale' AND status NOT IN ('cancelled','refunded') AND total_minor > 0) "
           "AS n, COALESCE(SUM(CASE WHEN kind = 'refund' THEN total_minor WHEN status IN "
           "('cancelled','refunded') THEN 0 ELSE total_minor END), 0) AS rev, MIN(ordered_at) "
           "FILTER (WHERE kind = 'sale' AND status NOT IN ('cancelled','refunded') AND "
           "total_minor > 0) AS first, MAX(ordered_at) FILTER (WHERE kind = 'sale' AND status "
           "NOT IN ('cancelled','refunded') AND total_minor > 0) AS last, MAX(currency) AS cur "
           "FROM orders GROUP BY customer_id) o ON o.customer_id = c.id WHERE c.orders_count IS "
           "NOT COALESCE(o.n, 0) OR c.revenue_minor IS NOT COALESCE(o.rev, 0) OR "
           "c.first_order_at IS NOT o.first OR c.last_order_at IS NOT o.last OR c.currency IS "
           "NOT o.cur");
    assert_int_equal(bad, 0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM orders WHERE margin_minor IS NULL OR currency "
                           "<> 'EUR'"),
                     0);
}

/* Few heavy buyers: the top 20% of buyers by revenue hold most of it. */
static void test_pareto(void **state)
{
    struct fixture *f = *state;
    int64_t buyers = q1(f, "SELECT COUNT(*) FROM customers WHERE revenue_minor > 0");
    int64_t total = q1(f, "SELECT SUM(revenue_minor) FROM customers WHERE revenue_minor > 0");
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT SUM(revenue_minor) FROM (SELECT revenue_minor FROM customers ORDER BY "
             "revenue_minor DESC LIMIT %lld)",
             (long long)(buyers / 5));
    int64_t top = q1(f, sql);
    double share = (double)top / (double)total;
    assert_true(share >= 0.6);
    assert_true(share <= 0.95);
}

static void test_interactions_and_consents(void **state)
{
    struct fixture *f = *state;
    const char *channels[] = {"web",   "email",       "phone", "sms",   "mail",
                              "store", "call_center", "chat",  "social"};
    for (int i = 0; i < 9; i++) {
        int64_t n = -1;
        assert_int_equal(store_int(f->c.st, &n, &f->c.err,
                                   "SELECT COUNT(*) FROM interactions WHERE channel = ?", "s",
                                   channels[i]),
                         0);
        assert_true(n > 0);
    }
    assert_true(q1(f, "SELECT COUNT(*) FROM interactions") > NCUST * 2);
    assert_true(q1(f, "SELECT COUNT(*) FROM interactions WHERE outcome = 'offer_refused' AND "
                      "offer IS NOT NULL") > 0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM interactions WHERE outcome = 'offer_refused' "
                           "AND offer IS NULL"),
                     0);
    assert_true(q1(f, "SELECT COUNT(*) FROM interactions WHERE kind = 'complaint'") > 0);
    /* every interest touchpoint is an interest of the customer */
    assert_true(q1(f, "SELECT COUNT(*) FROM interactions WHERE kind = 'interest'") > 0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM interactions i WHERE kind = 'interest' AND NOT "
                           "EXISTS (SELECT 1 FROM customer_interests x WHERE x.customer_id = "
                           "i.customer_id AND x.interest = i.offer)"),
                     0);
    /* no marketing e-mail while the e-mail consent is not in force */
    assert_int_equal(
        q1(f, "SELECT COUNT(*) FROM interactions i WHERE channel = 'email' AND direction = "
              "'outbound' AND subject = 'Newsletter' AND COALESCE((SELECT granted FROM consents k "
              "WHERE k.customer_id = i.customer_id AND k.channel = 'email' AND k.purpose = "
              "'marketing' AND k.at <= i.at ORDER BY k.at DESC, k.id DESC LIMIT 1), 0) = 0"),
        0);
    /* consents: most grant e-mail marketing, some withdraw later (latest wins) */
    assert_true(q1(f, "SELECT COUNT(DISTINCT customer_id) FROM consents WHERE channel = 'email' "
                      "AND granted = 1") > NCUST / 2);
    assert_true(q1(f, "SELECT COUNT(*) FROM consents w JOIN consents g ON g.customer_id = "
                      "w.customer_id AND g.channel = w.channel AND g.purpose = w.purpose AND "
                      "g.granted = 1 AND g.id < w.id AND g.at < w.at WHERE w.granted = 0") > 0);
    assert_true(q1(f, "SELECT COUNT(*) FROM consents WHERE channel = 'sms'") > 0);
    assert_true(q1(f, "SELECT COUNT(*) FROM consents WHERE channel = 'tracking'") > 0);
    assert_true(q1(f, "SELECT COUNT(*) FROM customer_flags WHERE flag = 'at_risk'") > 0);
}

/* ---------------------------------------------------------- search terms */

struct termset {
    char t[64][64];
    int n;
};

static void collect(const char *term, void *arg)
{
    struct termset *ts = arg;
    for (int i = 0; i < ts->n; i++)
        if (!strcmp(ts->t[i], term))
            return;
    if (ts->n < 64)
        snprintf(ts->t[ts->n++], sizeof(ts->t[0]), "%s", term);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The terms customers.c writes, rebuilt from the stored rows with the same
 * folding function. */
static void expected_terms(struct fixture *f, int64_t id, struct termset *ts)
{
    struct stmt *s = NULL;
    ts->n = 0;
    assert_int_equal(store_query(f->c.st, &s, &f->c.err,
                                 "SELECT first_name, last_name, name, external_id FROM customers "
                                 "WHERE id = ?",
                                 "i", id),
                     0);
    assert_int_equal(stmt_step(s, &f->c.err), 1);
    for (int i = 0; i < 4; i++)
        if (stmt_text(s, i))
            text_words(stmt_text(s, i), collect, ts);
    stmt_done(s);
    assert_int_equal(store_query(f->c.st, &s, &f->c.err,
                                 "SELECT email FROM customer_emails WHERE customer_id = ? ORDER BY "
                                 "id",
                                 "i", id),
                     0);
    while (stmt_step(s, &f->c.err) == 1)
        text_words(stmt_text(s, 0), collect, ts);
    stmt_done(s);
    assert_int_equal(store_query(f->c.st, &s, &f->c.err,
                                 "SELECT phone FROM customer_phones WHERE customer_id = ? ORDER BY "
                                 "id",
                                 "i", id),
                     0);
    while (stmt_step(s, &f->c.err) == 1) {
        const char *p = stmt_text(s, 0);
        collect(p + 1, ts);
        if (!strncmp(p, "+33", 3) || !strncmp(p, "+44", 3)) {
            char nat[24];
            snprintf(nat, sizeof(nat), "0%s", p + 3);
            collect(nat, ts);
        }
    }
    stmt_done(s);
    assert_int_equal(store_query(f->c.st, &s, &f->c.err,
                                 "SELECT city, postal_code FROM customer_addresses WHERE "
                                 "customer_id = ? ORDER BY id",
                                 "i", id),
                     0);
    while (stmt_step(s, &f->c.err) == 1) {
        text_words(stmt_text(s, 0), collect, ts);
        text_words(stmt_text(s, 1), collect, ts);
    }
    stmt_done(s);
    qsort(ts->t, (size_t)ts->n, sizeof(ts->t[0]), cmp_str);
}

static void test_search_terms(void **state)
{
    struct fixture *f = *state;
    int checked = 0;
    for (int64_t id = 1; id <= NCUST; id += 7) {
        struct termset want, got = {.n = 0};
        expected_terms(f, id, &want);
        struct stmt *s = NULL;
        assert_int_equal(store_query(f->c.st, &s, &f->c.err,
                                     "SELECT term FROM customer_terms WHERE customer_id = ? ORDER "
                                     "BY term",
                                     "i", id),
                         0);
        while (stmt_step(s, &f->c.err) == 1 && got.n < 64)
            snprintf(got.t[got.n++], sizeof(got.t[0]), "%s", stmt_text(s, 0));
        stmt_done(s);
        assert_int_equal(got.n, want.n);
        for (int i = 0; i < want.n; i++)
            assert_string_equal(got.t[i], want.t[i]);
        checked++;
    }
    assert_true(checked > 200);
    /* and the search finds an accented name typed without accents */
    assert_true(q1(f, "SELECT COUNT(*) FROM customer_terms WHERE term IN ('helene', "
                      "'francoise', 'jerome', 'lefevre', 'benedicte')") > 0);
}

/* The dropped indexes are back, with the migration's own statements. */
static void test_indexes_rebuilt(void **state)
{
    struct fixture *f = *state;
    struct store *fresh = NULL;
    struct err e = {0};
    assert_int_equal(store_open(&fresh, f->path_d, &e), 0);
    struct stmt *s = NULL;
    assert_int_equal(store_query(fresh, &s, &e,
                                 "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                                 "sql IS NOT NULL ORDER BY name",
                                 ""),
                     0);
    int n = 0;
    while (stmt_step(s, &e) == 1) {
        char *got = NULL;
        struct stmt *t = NULL;
        assert_int_equal(store_query(f->c.st, &t, &f->c.err,
                                     "SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                                     "name = ?",
                                     "s", stmt_text(s, 0)),
                         0);
        assert_int_equal(stmt_step(t, &f->c.err), 1);
        got = strdup(stmt_text(t, 0));
        stmt_done(t);
        assert_string_equal(got, stmt_text(s, 1));
        free(got);
        n++;
    }
    stmt_done(s);
    assert_true(n >= 20);
    store_close(fresh);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND sql IS "
                           "NOT NULL"),
                     n);
    assert_int_equal(store_check(f->c.st, &f->c.err), 0);
}

static void test_deterministic(void **state)
{
    struct fixture *f = *state;
    static char sum_a[SUMS], sum_b[SUMS], sum_c[SUMS];
    assert_int_equal(data_checksum(f->c.st, sum_a, &f->c.err), 0);
    assert_int_equal(generate(f, f->path_b, &opts, sum_b), 0);
    assert_string_equal(sum_a, sum_b);
    /* another seed, other data */
    struct demo_opts other = opts;
    other.seed = 7;
    other.customers = 300;
    assert_int_equal(generate(f, f->path_c, &other, sum_c), 0);
    assert_string_not_equal(sum_a, sum_c);
}

static void test_refuses_twice(void **state)
{
    struct fixture *f = *state;
    struct demo_opts small = opts;
    small.customers = 10;
    assert_int_equal(demo_generate(&f->c, &small, NULL, NULL), ERR_CONFLICT);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM customers"), NCUST);
    /* bad options are refused before anything is written */
    small.customers = 0;
    assert_int_equal(demo_generate(&f->c, &small, NULL, NULL), ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_shape),
        cmocka_unit_test(test_referential_integrity),
        cmocka_unit_test(test_aggregates_match_sql),
        cmocka_unit_test(test_pareto),
        cmocka_unit_test(test_interactions_and_consents),
        cmocka_unit_test(test_search_terms),
        cmocka_unit_test(test_indexes_rebuilt),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_refuses_twice),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
