/*
 * Rules engine throughput: a fresh database with C customers, every shipped
 * template switched on, E events in a tracking-like mix appended to the log
 * (page and product views, searches, carts, checkouts, purchases, orders,
 * interactions), then the engine's consumer reads them all. Reports events/s
 * through the consumer (CPU and wall time), against a peer: the same log read
 * by events_consume with a consumer that does nothing (the floor).
 *   rules DB_PATH [EVENTS] [CUSTOMERS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "app/events.h"
#include "app/rules.h"
#include "app/rules_engine.h"
#include "store/store.h"
#include "util/timeu.h"

static double wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int die(struct ctx *c, const char *what)
{
    fprintf(stderr, "rules bench: %s: %s %s\n", what, c->err.field, c->err.msg);
    return 1;
}

static int noop(struct ctx *c, const struct event *ev, void *arg)
{
    (void)c;
    (void)ev;
    (*(long *)arg)++;
    return 0;
}

/* A tracking-like mix: mostly page views over 50 paths per customer. */
static int load(struct ctx *c, long nev, long ncust)
{
    int rc = store_bulk(c->st, 1, &c->err);
    if (!rc)
        rc = store_begin(c->st, &c->err);
    for (long i = 1; !rc && i <= ncust; i++)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO customers(kind, email, created_at, updated_at) VALUES "
                       "('guest', ?, 0, 0)",
                       "s", "");
    if (!rc)
        rc = store_commit(c->st, &c->err);
    unsigned long long x = 7;
    for (long i = 0; !rc && i < nev; i++) {
        if (i % 10000 == 0 && (rc = store_begin(c->st, &c->err)))
            break;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t cid = 1 + (int64_t)((x >> 16) % (unsigned long long)ncust);
        unsigned k = (unsigned)((x >> 40) % 1000);
        char path[32];
        snprintf(path, sizeof(path), "/p/%u", (unsigned)((x >> 8) % 50));
        const char *type = k < 700   ? "page.viewed"
                           : k < 850 ? "product.viewed"
                           : k < 900 ? "search"
                           : k < 940 ? "cart.added"
                           : k < 960 ? "checkout.started"
                           : k < 975 ? "purchase"
                           : k < 990 ? "interaction.logged"
                                     : "order.placed";
        json_t *d =
            !strcmp(type, "search")
                ? json_pack("{s:s,s:s,s:s}", "site", "bench", "query", "voyage gabon", "source",
                            k % 2 ? "referrer" : "site")
            : !strcmp(type, "interaction.logged")
                ? json_pack("{s:s,s:s,s:s}", "channel", k % 3 ? "web" : "store", "direction",
                            "inbound", "kind", "note")
            : !strcmp(type, "order.placed")
                ? json_pack("{s:i,s:i,s:s}", "order_id", (int)i, "total_minor", 1999, "currency",
                            "EUR")
                : json_pack("{s:s,s:s,s:I,s:s,s:s}", "site", "bench", "visitor", "v", "session_id",
                            (json_int_t)(i / 20), "path", path, "product", "SKU-1");
        rc = event_emit(c, type, cid, "bench", 0, d, NULL);
        json_decref(d);
        if (!rc && (i % 10000 == 9999 || i == nev - 1))
            rc = store_commit(c->st, &c->err);
    }
    if (!rc)
        rc = store_bulk(c->st, 0, &c->err);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rules DB_PATH [EVENTS] [CUSTOMERS]\n");
        return 2;
    }
    long nev = argc > 2 ? atol(argv[2]) : 1000000, ncust = argc > 3 ? atol(argv[3]) : 100000;
    const char *suffix[] = {"", "-wal", "-shm"};
    char p[512];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", argv[1], suffix[i]);
        unlink(p);
    }
    setenv("RELATIO_NOW", "2026-11-23T12:00:00Z", 1);
    struct app a;
    struct err e = {0};
    if (app_init(&a, argv[1], &e)) {
        fprintf(stderr, "rules bench: %s\n", e.msg);
        return 1;
    }
    struct ctx c;
    ctx_init(&c, &a, NULL);
    double t0 = wall_ms();
    if (load(&c, nev, ncust))
        return die(&c, "load");
    printf("%-52s %ld events, %ld customers, %.1f s\n", "log loaded", nev, ncust,
           (wall_ms() - t0) / 1e3);

    /* the floor: read the whole log with a consumer that does nothing */
    long seen = 0;
    int handled = 0;
    double w0 = wall_ms(), c0 = cpu_ms();
    do {
        if (events_consume(&c, "bench.noop", 10000, noop, &seen, &handled))
            return die(&c, "noop consume");
    } while (handled == 10000);
    double w1 = wall_ms(), c1 = cpu_ms();
    printf("%-52s %8.0f events/s (cpu %8.0f events/s)\n", "peer: events_consume, no-op consumer",
           seen / ((w1 - w0) / 1e3), seen / ((c1 - c0) / 1e3));

    /* every shipped template on */
    json_t *list = NULL;
    if (rule_list(&c, &list))
        return die(&c, "list");
    size_t i;
    json_t *r;
    int on = 0;
    const char *only = getenv("RULES_ONLY"); /* "seed004.search_banner,..." to profile */
    json_array_foreach(json_object_get(list, "items"), i, r)
    {
        const char *tpl = json_string_value(json_object_get(r, "template"));
        if (only && !(tpl && strstr(only, tpl)))
            continue;
        json_t *out = NULL;
        if (rule_set_enabled(&c, json_integer_value(json_object_get(r, "id")), 1, &out))
            return die(&c, "enable");
        json_decref(out);
        on++;
    }
    json_decref(list);

    struct rules_stats st = {0};
    w0 = wall_ms();
    c0 = cpu_ms();
    if (rules_consume(&c, 10000, &st))
        return die(&c, "rules consume");
    w1 = wall_ms();
    c1 = cpu_ms();
    char label[80];
    snprintf(label, sizeof(label), "rules consumer, %d templates on", on);
    printf("%-52s %8.0f events/s (cpu %8.0f events/s)\n", label, st.events / ((w1 - w0) / 1e3),
           st.events / ((c1 - c0) / 1e3));
    printf("%-52s %d events, %d runs, %d actions (%d failed: guests have no e-mail)\n",
           "  what it did", st.events, st.runs, st.actions, st.failed);
    app_release(&a);
    return 0;
}
