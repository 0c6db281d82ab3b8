/* Unit tests for app/snapshot and the profile scores of app/analytics: what
 * the build keeps, the order hooks (append, cancel, refund, compaction), the
 * catch-up with orders written by another connection, memory per order, and
 * a profile's quintile/ABC placement against the full scoring. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/activity.h"
#include "app/analytics.h"
#include "app/customers.h"
#include "app/snapshot.h"
#include "store/store.h"
#include "util/timeu.h"
#undef fail /* app.h's shorthand; cmocka has its own */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

struct fx {
    char dir[64], db[96];
    struct app app;
    struct ctx c;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/relatio-snap-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof(f->db), "%s/t.db", f->dir);
    struct err e = {0};
    assert_int_equal(app_init(&f->app, f->db, &e), 0);
    assert_int_equal(ctx_init(&f->c, &f->app, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    app_release(&f->app);
    char path[160];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s%s", f->db, suffix[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static int32_t D(const char *s)
{
    int32_t d = 0;
    assert_int_equal(date_parse(s, &d), 0);
    return d;
}

/* Creates an order; returns its id. ext is the customer's external id. */
static int64_t order(struct fx *f, const char *ext, const char *at, int64_t total, const char *kind,
                     const char *status)
{
    json_t *in = json_pack("{s:s,s:s,s:I,s:s,s:s,s:I}", "customer_external_id", ext, "ordered_at",
                           at, "total_minor", (json_int_t)total, "kind", kind, "status", status,
                           "margin_minor", (json_int_t)(total / 3));
    json_t *out = NULL;
    int rc = order_create(&f->c, in, &out);
    if (rc)
        print_message("order_create: %s\n", f->c.err.msg);
    assert_int_equal(rc, 0);
    int64_t id = json_integer_value(json_object_get(out, "id"));
    json_decref(in);
    json_decref(out);
    return id;
}

static int64_t customer_of(struct fx *f, const char *ext)
{
    int64_t id = 0;
    assert_int_equal(customer_find(&f->c, ext, NULL, &id), 0);
    return id;
}

/* The snapshot's rows of one customer as text, for comparisons. */
static void rows_of(const struct snapshot *s, uint32_t i, char *buf, size_t len)
{
    size_t n = 0;
    n += (size_t)snprintf(buf + n, len - n, "%lld[%s]:", (long long)s->c_id[i],
                          snapshot_ext(s, i) ? snapshot_ext(s, i) : "-");
    for (uint32_t k = s->c_start[i]; k < s->c_start[i] + s->c_count[i] && n < len; k++)
        n += (size_t)snprintf(buf + n, len - n, " %d/%lld/%d/%d", s->o_day[k],
                              (long long)s->o_amount[k], s->o_margin[k], s->o_flags[k]);
    if (n < len)
        snprintf(buf + n, len - n, " | %d %d %u %lld", s->c_first[i], s->c_last[i], s->c_txns[i],
                 (long long)s->c_net[i]);
}

/* Every customer's rows, sorted by customer id, as one string (malloc'd). */
static char *dump(struct snapshot *s)
{
    size_t len = 1 << 20, n = 0;
    char *out = calloc(1, len);
    int64_t prev = INT64_MIN;
    for (;;) { /* by ascending id, whatever the index order */
        int64_t best = INT64_MAX;
        uint32_t bi = SNAP_NONE;
        for (uint32_t i = 0; i < s->n_cust; i++)
            if (s->c_id[i] > prev && s->c_id[i] < best && s->c_count[i]) {
                best = s->c_id[i];
                bi = i;
            }
        if (bi == SNAP_NONE)
            break;
        rows_of(s, bi, out + n, len - n);
        n += strlen(out + n);
        out[n++] = '\n';
        prev = best;
    }
    return out;
}

/* Rebuilds from the store and compares with the hooked snapshot. */
static void assert_same_as_rebuilt(struct fx *f)
{
    struct snapshot *s = NULL;
    struct err e = {0};
    assert_int_equal(snapshot_read(&f->app, &s, NULL, NULL, &e), 0);
    char *hooked = dump(s);
    snapshot_unlock(s);
    snapshot_invalidate(&f->app);
    assert_int_equal(snapshot_read(&f->app, &s, NULL, NULL, &e), 0);
    char *rebuilt = dump(s);
    snapshot_unlock(s);
    assert_string_equal(hooked, rebuilt);
    free(hooked);
    free(rebuilt);
}

/* ----------------------------------------------------------------- tests */

static void test_build_keeps_what_counts(void **state)
{
    struct fx *f = *state;
    order(f, "A", "2025-01-01T10:00:00Z", 5000, "sale", "completed");
    order(f, "A", "2026-02-01T23:59:59Z", 6000, "sale", "paid");
    order(f, "A", "2026-05-01T00:00:00Z", 4000, "sale", "completed");
    order(f, "A", "2026-05-02T00:00:00Z", 9999, "sale", "cancelled");   /* not kept */
    order(f, "A", "2026-05-03T00:00:00Z", 1500, "refund", "completed"); /* -1500 */
    order(f, "B", "2025-08-01T12:00:00Z", 60000, "sale", "completed");
    order(f, "B", "2025-09-01T12:00:00Z", 0, "sale", "completed");  /* kept, not a txn */
    order(f, "C", "2025-09-01T12:00:00Z", 700, "sale", "refunded"); /* C has nothing */
    struct snapshot *s = NULL;
    struct err e = {0};
    snapshot_invalidate(&f->app); /* the guests' profiles built it already: build afresh */
    assert_int_equal(snapshot_read(&f->app, &s, NULL, NULL, &e), 0);
    assert_int_equal(s->n_cust, 2);
    assert_int_equal(s->n_slots, 6);
    uint32_t a = snapshot_find(s, customer_of(f, "A")), b = snapshot_find(s, customer_of(f, "B"));
    assert_int_not_equal(a, SNAP_NONE);
    assert_int_not_equal(b, SNAP_NONE);
    assert_int_equal(snapshot_find(s, customer_of(f, "C")), SNAP_NONE);
    assert_string_equal(snapshot_ext(s, a), "A");
    assert_int_equal(s->c_count[a], 4);
    assert_int_equal(s->c_txns[a], 3);
    assert_int_equal(s->c_net[a], 5000 + 6000 + 4000 - 1500);
    assert_int_equal(s->c_first[a], D("2025-01-01"));
    assert_int_equal(s->c_last[a], D("2026-05-01"));
    uint32_t k = s->c_start[a];
    assert_int_equal(s->o_day[k + 1], D("2026-02-01")); /* 23:59:59 UTC is still that day */
    assert_int_equal(s->o_flags[k + 3], SNAP_REFUND);
    assert_int_equal(s->o_amount[k + 3], -1500);
    assert_int_equal(s->o_margin[k], 5000 / 3);
    assert_int_equal(s->c_txns[b], 1);
    assert_int_equal(s->o_flags[s->c_start[b] + 1], 0);
    assert_int_equal(snapshot_count_until(s, a, D("2026-02-01")), 2);
    assert_int_equal(snapshot_count_until(s, a, D("2024-12-31")), 0);
    assert_int_equal(snapshot_count_until(s, a, D("2030-01-01")), 4);
    snapshot_unlock(s);
}

static void test_hooks_follow_orders(void **state)
{
    struct fx *f = *state;
    order(f, "A", "2025-01-01T10:00:00Z", 5000, "sale", "completed");
    struct snapshot *s = NULL;
    struct err e = {0};
    assert_int_equal(snapshot_read(&f->app, &s, NULL, NULL, &e), 0);
    uint64_t gen = s->generation;
    snapshot_unlock(s);

    /* a new order, a new customer, a cancellation, a refund */
    int64_t o2 = order(f, "A", "2026-03-01T10:00:00Z", 7000, "sale", "completed");
    order(f, "NEW", "2026-03-02T10:00:00Z", 100, "sale", "completed");
    json_t *out = NULL;
    assert_int_equal(order_set_status(&f->c, o2, "cancelled", &out), 0);
    json_decref(out);
    order(f, "A", "2026-03-05T10:00:00Z", 2000, "refund", "completed");

    assert_int_equal(snapshot_read(&f->app, &s, NULL, NULL, &e), 0);
    assert_true(s->generation > gen);
    uint32_t a = snapshot_find(s, customer_of(f, "A"));
    uint32_t n = snapshot_find(s, customer_of(f, "NEW"));
    assert_int_not_equal(n, SNAP_NONE);
    assert_string_equal(snapshot_ext(s, n), "NEW");
    assert_int_equal(s->c_txns[a], 1);
    assert_int_equal(s->c_net[a], 5000 - 2000);
    assert_int_equal(s->c_net[n], 100);
    snapshot_unlock(s);
    assert_same_as_rebuilt(f);
}

/* Many orders to few customers: ranges move and the freed slots are
 * compacted; the result is what a fresh build gives. */
static void test_many_changes_and_compaction(void **state)
{
    struct fx *f = *state;
    struct snapshot *s = NULL;
    struct err e = {0};
    order(f, "seed", "2024-01-01T00:00:00Z", 100, "sale", "completed");
    assert_int_equal(snapshot_read(&f->app, &s, NULL, NULL, &e), 0);
    snapshot_unlock(s);
    srand(7);
    int64_t ids[400];
    int nids = 0;
    assert_int_equal(store_begin(f->c.st, &f->c.err), 0);
    for (int i = 0; i < 700; i++) {
        char ext[16], at[32];
        snprintf(ext, sizeof(ext), "K%d", rand() % (i < 300 ? 2 : 40));
        snprintf(at, sizeof(at), "2025-%02d-%02dT12:00:00Z", 1 + rand() % 12, 1 + rand() % 28);
        int64_t id =
            order(f, ext, at, (rand() % 20000) - 2000, rand() % 9 ? "sale" : "refund", "completed");
        if (nids < 400 && rand() % 3 == 0)
            ids[nids++] = id;
    }
    assert_int_equal(store_commit(f->c.st, &f->c.err), 0);
    for (int i = 0; i < nids; i += 2) {
        json_t *out = NULL;
        assert_int_equal(order_set_status(&f->c, ids[i], i % 4 ? "cancelled" : "refunded", &out),
                         0);
        json_decref(out);
    }
    assert_int_equal(snapshot_read(&f->app, &s, NULL, NULL, &e), 0);
    /* the two early customers moved ~150 times each, freeing ~22,000
     * slots: only compaction keeps the arrays this small */
    print_message("slots %zu, free %zu\n", s->n_slots, s->n_free);
    assert_true(s->n_slots < 4096 + 800);
    snapshot_unlock(s);
    assert_same_as_rebuilt(f);
}

/* Orders written by another connection (another process) are caught up. */
static void test_catch_up_other_writer(void **state)
{
    struct fx *f = *state;
    int64_t cid = 0;
    order(f, "A", "2025-01-01T10:00:00Z", 5000, "sale", "completed");
    cid = customer_of(f, "A");
    struct snapshot *s = NULL;
    struct err e = {0};
    assert_int_equal(snapshot_read(&f->app, &s, NULL, NULL, &e), 0);
    snapshot_unlock(s);
    struct store *other = NULL;
    assert_int_equal(store_open(&other, f->db, &e), 0);
    assert_int_equal(
        store_run(other, NULL, &e,
                  "INSERT INTO orders(customer_id, ordered_at, status, kind, currency, "
                  "total_minor, created_at) VALUES (?, ?, 'completed', 'sale', 'EUR', "
                  "?, 0)",
                  "iii", cid, (int64_t)D("2026-01-10") * 86400, (int64_t)4200),
        0);
    store_close(other);
    assert_int_equal(snapshot_read(&f->app, &s, NULL, NULL, &e), 0);
    uint32_t a = snapshot_find(s, cid);
    assert_int_equal(s->c_txns[a], 2);
    assert_int_equal(s->c_net[a], 9200);
    snapshot_unlock(s);
}

/* Memory: under 40 bytes an order on a base like a real shop's. */
static void test_bytes_per_order(void **state)
{
    struct fx *f = *state;
    assert_int_equal(store_begin(f->c.st, &f->c.err), 0);
    srand(11);
    for (int i = 0; i < 3000; i++) {
        char ext[16], at[32];
        snprintf(ext, sizeof(ext), "C%05d", rand() % 600);
        snprintf(at, sizeof(at), "2025-%02d-%02dT12:00:00Z", 1 + rand() % 12, 1 + rand() % 28);
        order(f, ext, at, 100 + rand() % 10000, "sale", "completed");
    }
    assert_int_equal(store_commit(f->c.st, &f->c.err), 0);
    snapshot_invalidate(&f->app);
    struct snapshot *s = NULL;
    struct err e = {0};
    assert_int_equal(snapshot_read(&f->app, &s, NULL, NULL, &e), 0);
    double per = (double)snapshot_bytes(s) / (double)s->n_slots;
    print_message("snapshot: %zu orders, %zu customers, %.1f bytes an order\n", s->n_slots,
                  s->n_cust, per);
    assert_true(per < 40);
    snapshot_unlock(s);
}

static int64_t jget(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* The profile ranks one customer's fresh figures among the cached
 * population: it must agree with the full scoring of everybody, also after
 * that customer's orders changed. */
static void test_profile_matches_full_scoring(void **state)
{
    struct fx *f = *state;
    setenv("RELATIO_NOW", "2026-07-01T12:00:00Z", 1);
    assert_int_equal(store_begin(f->c.st, &f->c.err), 0);
    srand(5);
    for (int i = 0; i < 1500; i++) {
        char ext[16], at[32];
        snprintf(ext, sizeof(ext), "P%04d", rand() % 300);
        snprintf(at, sizeof(at), "%d-%02d-%02dT12:00:00Z", 2024 + rand() % 3, 1 + rand() % 12,
                 1 + rand() % 28);
        if (strcmp(at, "2026-07-01") > 0)
            at[3] = '5';
        order(f, ext, at, (rand() % 6 ? 1 : -1) * (100 + rand() % 30000),
              rand() % 7 ? "sale" : "refund", "completed");
    }
    assert_int_equal(store_commit(f->c.st, &f->c.err), 0);
    for (int round = 0; round < 2; round++) {
        struct analytics_query q = {.as_of = D("2026-07-01"), .summary = 0};
        json_t *rfm = NULL, *abc = NULL;
        assert_int_equal(analytics_rfm(&f->c, &q, &rfm), 0);
        assert_int_equal(analytics_abc(&f->c, &q, &abc), 0);
        json_t *rc = json_object_get(rfm, "customers"), *ac = json_object_get(abc, "customers");
        assert_int_equal(json_array_size(rc), json_array_size(ac));
        assert_true(json_array_size(rc) > 200);
        int64_t changed = customer_of(f, "P0007");
        for (size_t i = 0; i < json_array_size(rc); i++) {
            json_t *r = json_array_get(rc, i), *a = json_array_get(ac, i);
            json_t *prof = NULL;
            if (round && jget(r, "id") != changed)
                continue; /* the others are ranked among stale figures */
            assert_int_equal(customer_get(&f->c, jget(r, "id"), &prof), 0);
            json_t *sc = json_object_get(prof, "scores");
            json_t *pq = json_object_get(sc, "quintile"), *fq = json_object_get(r, "quintile");
            assert_true(json_equal(json_object_get(json_object_get(sc, "rfm"), "score"),
                                   json_object_get(r, "score")));
            for (const char *k = "rfm"; *k; k++) {
                char key[2] = {*k, 0};
                assert_int_equal(jget(pq, key), jget(fq, key));
            }
            assert_true(json_equal(json_object_get(pq, "segment"), json_object_get(fq, "segment")));
            json_t *pa = json_object_get(sc, "abc");
            assert_string_equal(json_string_value(json_object_get(pa, "class")),
                                json_string_value(json_object_get(a, "class")));
            assert_int_equal(jget(pa, "rank"), jget(a, "rank"));
            json_decref(prof);
        }
        json_decref(rfm);
        json_decref(abc);
        /* change one customer a lot: the cached population is now stale,
         * its own fresh figures must still place it as a full rescoring does */
        order(f, "P0007", "2026-06-30T12:00:00Z", 9000000, "sale", "completed");
    }
    unsetenv("RELATIO_NOW");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_build_keeps_what_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hooks_follow_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_changes_and_compaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catch_up_other_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bytes_per_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_matches_full_scoring, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
