/*
 * relatio score rfm|abc|clv|matrix: scores every customer as of a date;
 * relatio score kpis|cohorts|geo|churn|clusters: the KPI series, the cohort
 * matrix, geographic aggregates, the churn model and the k-means clusters.
 * --json prints DESIGN.md's document {"as_of", "model", "customers"},
 * --csv one line per customer, and the default a readable summary. The
 * customers are streamed as the service hands them over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/analytics.h"
#include "app/kpis.h"
#include "app/mining.h"
#include "cli/cli.h"
#include "util/timeu.h"

typedef int (*score_fn)(struct ctx *c, const struct analytics_query *q, json_t **out);

static const struct model {
    const char *name;
    score_fn run;
} models[] = {
    {"rfm", analytics_rfm},       {"abc", analytics_abc}, {"clv", analytics_clv},
    {"matrix", analytics_matrix}, {NULL, NULL},
};

struct out {
    int csv;
    size_t n;
    char **cols; /* CSV columns, "a" or "a.b", from the first customer */
    size_t ncols;
};

/* ------------------------------------------------------------------ JSON */

static int emit_json(void *arg, json_t *customer)
{
    struct out *o = arg;
    char *s = json_dumps(customer, JSON_COMPACT);
    json_decref(customer);
    if (!s)
        return -1;
    int rc = printf("%s\n    %s", o->n++ ? "," : "", s) < 0;
    free(s);
    return rc;
}

/* The document's head; the customers follow, then "]}". */
static int json_head(void *arg, const json_t *doc)
{
    (void)arg;
    char *as_of = json_dumps(json_object_get(doc, "as_of"), JSON_ENCODE_ANY);
    char *model = json_dumps(json_object_get(doc, "model"), JSON_COMPACT);
    int rc = !as_of || !model ||
             printf("{\"as_of\": %s,\n  \"model\": %s,\n  \"customers\": [", as_of, model) < 0;
    free(as_of);
    free(model);
    return rc;
}

/* ------------------------------------------------------------------- CSV */

static int add_col(struct out *o, const char *a, const char *b)
{
    char **p = realloc(o->cols, (o->ncols + 1) * sizeof(*p));
    if (!p)
        return -1;
    o->cols = p;
    size_t len = strlen(a) + (b ? strlen(b) + 1 : 0) + 1;
    char *name = malloc(len);
    if (!name)
        return -1;
    snprintf(name, len, "%s%s%s", a, b ? "." : "", b ? b : "");
    o->cols[o->ncols++] = name;
    return 0;
}

static int columns(struct out *o, const json_t *first)
{
    const char *k, *k2;
    json_t *v, *v2;
    json_object_foreach((json_t *)first, k, v)
    {
        if (!json_is_object(v)) {
            if (add_col(o, k, NULL))
                return -1;
            continue;
        }
        json_object_foreach(v, k2, v2)
        {
            if (add_col(o, k, k2))
                return -1;
        }
    }
    return 0;
}

static void csv_cell(const json_t *v)
{
    if (json_is_integer(v)) {
        printf("%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        printf("%.10g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        fputs(json_is_true(v) ? "true" : "false", stdout);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strpbrk(s, ",\"\r\n")) {
            fputs(s, stdout);
            return;
        }
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    }
}

static int emit_csv(void *arg, json_t *customer)
{
    struct out *o = arg;
    int rc = 0;
    if (!o->n++) {
        rc = columns(o, customer);
        for (size_t i = 0; !rc && i < o->ncols; i++)
            printf("%s%s", i ? "," : "", o->cols[i]);
        if (!rc)
            putchar('\n');
    }
    for (size_t i = 0; !rc && i < o->ncols; i++) {
        const char *dot = strchr(o->cols[i], '.');
        json_t *v;
        if (dot) {
            char head[64];
            snprintf(head, sizeof(head), "%.*s", (int)(dot - o->cols[i]), o->cols[i]);
            v = json_object_get(json_object_get(customer, head), dot + 1);
        } else {
            v = json_object_get(customer, o->cols[i]);
        }
        if (i)
            putchar(',');
        csv_cell(v);
    }
    json_decref(customer);
    if (!rc)
        rc = putchar('\n') == EOF;
    return rc;
}

/* ------------------------------------------------------------- summary */

static void print_summary(const char *model, const json_t *doc)
{
    const json_t *m = json_object_get(doc, "model"), *s = json_object_get(doc, "summary");
    printf("%s as of %s\n", model, json_string_value(json_object_get(doc, "as_of")));
    if (!strcmp(model, "rfm")) {
        printf("customers scored: %lld, mean seed score %.2f\n",
               (long long)json_integer_value(json_object_get(s, "customers")),
               json_number_value(json_object_get(s, "mean_score")));
        size_t i;
        json_t *seg;
        printf("%-22s %10s %7s %16s\n", "segment", "customers", "share", "monetary");
        json_array_foreach(json_object_get(s, "segments"), i, seg)
        {
            const char *label = json_string_value(json_object_get(seg, "label"));
            printf("%-22s %10lld %6.1f%% %16.2f\n", label ? label : "(none)",
                   (long long)json_integer_value(json_object_get(seg, "customers")),
                   100 * json_number_value(json_object_get(seg, "share")),
                   (double)json_integer_value(json_object_get(seg, "monetary_minor")) / 100.0);
        }
    } else if (!strcmp(model, "abc")) {
        printf("customers ranked: %lld (cut-offs by %s: %.3g, %.3g)\n",
               (long long)json_integer_value(json_object_get(s, "customers")),
               json_string_value(json_object_get(m, "mode")),
               json_number_value(json_object_get(m, "a_cut")),
               json_number_value(json_object_get(m, "b_cut")));
        printf("%-6s %10s %9s %16s %9s\n", "class", "customers", "share", "revenue", "share");
        for (const char *k = "ABC"; *k; k++) {
            char name[2] = {*k, 0};
            const json_t *c = json_object_get(json_object_get(s, "classes"), name);
            printf("%-6s %10lld %8.1f%% %16.2f %8.1f%%\n", name,
                   (long long)json_integer_value(json_object_get(c, "customers")),
                   100 * json_number_value(json_object_get(c, "customer_share")),
                   (double)json_integer_value(json_object_get(c, "revenue_minor")) / 100.0,
                   100 * json_number_value(json_object_get(c, "revenue_share")));
        }
    } else if (!strcmp(model, "matrix")) {
        printf("customers placed: %lld (profit: %s; thresholds: %.0f days, %.2f)\n",
               (long long)json_integer_value(json_object_get(s, "customers")),
               json_string_value(json_object_get(m, "profit")),
               json_number_value(json_object_get(m, "duration_threshold")),
               json_number_value(json_object_get(m, "profit_threshold")) / 100.0);
        printf("%-14s %10s %9s %16s %9s\n", "quadrant", "customers", "share", "revenue", "share");
        const char *q[] = {"true_friends", "butterflies", "barnacles", "strangers"};
        for (int i = 0; i < 4; i++) {
            const json_t *c = json_object_get(json_object_get(s, "quadrants"), q[i]);
            printf("%-14s %10lld %8.1f%% %16.2f %8.1f%%\n", q[i],
                   (long long)json_integer_value(json_object_get(c, "customers")),
                   100 * json_number_value(json_object_get(c, "customer_share")),
                   (double)json_integer_value(json_object_get(c, "revenue_minor")) / 100.0,
                   100 * json_number_value(json_object_get(c, "revenue_share")));
        }
    } else {
        printf("BG/NBD (weeks): r %.4f alpha %.4f a %.4f b %.4f, log-likelihood %.2f\n",
               json_number_value(json_object_get(m, "r")),
               json_number_value(json_object_get(m, "alpha")),
               json_number_value(json_object_get(m, "a")),
               json_number_value(json_object_get(m, "b")),
               json_number_value(json_object_get(m, "ll")));
        printf("Gamma-Gamma: p %.4f q %.4f v %.4f\n", json_number_value(json_object_get(m, "p")),
               json_number_value(json_object_get(m, "q")),
               json_number_value(json_object_get(m, "v")));
        printf("customers: %lld, likely alive: %lld, mean P(alive) %.3f\n",
               (long long)json_integer_value(json_object_get(s, "customers")),
               (long long)json_integer_value(json_object_get(s, "likely_alive")),
               json_number_value(json_object_get(s, "p_alive_mean")));
        printf("CLV over %lld months: total %.2f, mean %.2f\n",
               (long long)json_integer_value(json_object_get(m, "horizon_months")),
               json_number_value(json_object_get(s, "clv_total")),
               json_number_value(json_object_get(s, "clv_mean")));
    }
    printf("(--json or --csv lists every customer)\n");
}

/* ---------------------------------------- kpis, cohorts, geo, churn, clusters */

typedef int (*doc_fn)(struct ctx *c, const struct kpi_query *q, json_t **out);

static const struct doc {
    const char *name;
    doc_fn run;
    const char *rows; /* the array listed by --csv */
} docs[] = {
    {"kpis", kpis_series, "series"},
    {"cohorts", kpis_cohorts, "cohorts"},
    {"geo", kpis_geo, "areas"},
    {"churn", mining_churn, "customers"},
    {"clusters", mining_clusters, "clusters"},
    {NULL, NULL, NULL},
};

/* A cohort's row for CSV: month, size, then the retention by period. */
static json_t *cohort_flat(const json_t *co)
{
    json_t *o = json_pack("{s:O,s:O}", "month", json_object_get(co, "month"), "size",
                          json_object_get(co, "size"));
    size_t k;
    json_t *v;
    json_array_foreach(json_object_get(co, "retention"), k, v)
    {
        char name[32];
        snprintf(name, sizeof(name), "m%zu", k);
        json_object_set(o, name, v);
    }
    return o;
}

static double num(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

static void print_doc(const char *name, const json_t *doc)
{
    size_t i;
    json_t *r;
    printf("%s as of %s\n", name, json_string_value(json_object_get(doc, "as_of")));
    if (!strcmp(name, "kpis")) {
        printf("%-8s %14s %8s %6s %6s %8s %7s %7s %9s\n", "month", "revenue", "active", "new",
               "lost", "base", "churn", "repeat", "basket");
        json_array_foreach(json_object_get(doc, "series"), i, r)
        {
            printf("%-8s %14.2f %8.0f %6.0f %6.0f %8.0f %6.1f%% %6.1f%% %9.2f\n",
                   json_string_value(json_object_get(r, "month")), num(r, "revenue_minor") / 100.0,
                   num(r, "active"), num(r, "new"), num(r, "lost"), num(r, "at_end"),
                   100 * num(r, "churn_rate"), 100 * num(r, "repeat_purchase_rate"),
                   num(r, "average_basket_minor") / 100.0);
        }
    } else if (!strcmp(name, "cohorts")) {
        json_array_foreach(json_object_get(doc, "cohorts"), i, r)
        {
            size_t k;
            json_t *v;
            printf("%-8s %7.0f ", json_string_value(json_object_get(r, "month")), num(r, "size"));
            json_array_foreach(json_object_get(r, "retention"), k, v)
                printf(" %5.1f", 100 * json_number_value(v));
            putchar('\n');
        }
    } else if (!strcmp(name, "geo")) {
        printf("%-12s %10s %10s %10s %16s\n", "area", "customers", "buyers", "active", "revenue");
        json_array_foreach(json_object_get(doc, "areas"), i, r)
        {
            const char *k = json_string_value(json_object_get(r, "key"));
            printf("%-12s %10.0f %10.0f %10.0f %16.2f\n", k ? k : "(unknown)", num(r, "customers"),
                   num(r, "buyers"), num(r, "active"), num(r, "revenue_minor") / 100.0);
        }
    } else if (!strcmp(name, "churn")) {
        const json_t *ev = json_object_get(doc, "evaluation");
        printf("horizon %lld days; held-out AUC: logistic %.4f, BG/NBD 1 - P(alive) %.4f (%s)\n",
               (long long)json_integer_value(json_object_get(doc, "horizon_days")), num(ev, "auc"),
               num(ev, "bgnbd_auc"), json_string_value(json_object_get(ev, "better")));
        const json_t *sm = json_object_get(doc, "summary");
        printf("customers scored: %.0f, mean churn probability %.3f, high risk (>= 0.5): %.0f\n",
               num(sm, "customers"), num(sm, "mean_probability"), num(sm, "high_risk"));
    } else {
        printf("k = %lld, inertia %.1f\n", (long long)json_integer_value(json_object_get(doc, "k")),
               num(doc, "inertia"));
        json_array_foreach(json_object_get(doc, "clusters"), i, r)
        {
            const json_t *p = json_object_get(r, "profile");
            printf("cluster %zu: %7.0f customers (%4.1f%%): recency %.0f d, frequency %.1f, "
                   "monetary %.2f, tenure %.0f d\n",
                   i, num(r, "size"), 100 * num(r, "share"), num(p, "recency_days"),
                   num(p, "frequency"), num(p, "monetary_minor") / 100.0, num(p, "tenure_days"));
        }
    }
}

static int run_doc(const struct doc *d, const struct kpi_query *q, const char *db, int json,
                   int csv)
{
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    json_t *doc = NULL;
    int rc = ctx_init(&c, &a, NULL);
    if (!rc)
        rc = d->run(&c, q, &doc);
    if (rc) {
        rc = cli_fail(&c.err);
    } else if (json) {
        rc = json_dumpf(doc, stdout, JSON_INDENT(2)) || putchar('\n') == EOF;
    } else if (csv) {
        struct out o = {.csv = 1};
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(doc, d->rows), i, r)
        {
            if (emit_csv(&o, !strcmp(d->name, "cohorts") ? cohort_flat(r) : json_incref(r))) {
                rc = EXIT_DATA;
                break;
            }
        }
        for (size_t k = 0; k < o.ncols; k++)
            free(o.cols[k]);
        free(o.cols);
    } else {
        print_doc(d->name, doc);
    }
    json_decref(doc);
    app_release(&a);
    return rc;
}

/* An integer option within [lo, hi]; 0 when absent. -1 when bad. */
static int int_opt(const char *name, const char *v, int lo, int hi)
{
    if (!v)
        return 0;
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || x < lo || x > hi) {
        fprintf(stderr, "error: --%s: an integer from %d to %d\n", name, lo, hi);
        return -1;
    }
    return (int)x;
}

/* ------------------------------------------------------------- the command */

int cmd_score(int argc, char **argv)
{
    const char *db = cli_default_db(), *as_of_s = NULL, *filter = NULL;
    const char *months = NULL, *k = NULL, *horizon = NULL, *limit = NULL;
    struct kpi_query kq = {.as_of = INT32_MIN, .progress = cli_progress};
    int json = 0, csv = 0;
    const char *pos[1];
    int np = 0;
    const struct optdef defs[] = {{"db", &db},
                                  {"as-of", &as_of_s},
                                  {"segment", &filter},
                                  {"class", &filter},
                                  {"quadrant", &filter},
                                  {"months", &months},
                                  {"channel", &kq.channel},
                                  {"country", &kq.country},
                                  {"region", &kq.region},
                                  {"level", &kq.level},
                                  {"k", &k},
                                  {"horizon", &horizon},
                                  {"limit", &limit},
                                  {"json", NULL, &json},
                                  {"csv", NULL, &csv},
                                  {NULL}};
    int rc = cli_parse("score", argc, argv, defs, pos, 1, &np);
    if (rc)
        return rc;
    const struct doc *d = docs;
    while (np == 1 && d->name && strcmp(d->name, pos[0]))
        d++;
    if (np == 1 && d->name && !(json && csv)) {
        kq.segment = filter;
        if ((kq.months = int_opt("months", months, 1, 120)) < 0 ||
            (kq.k = int_opt("k", k, 2, 20)) < 0 ||
            (kq.horizon_days = int_opt("horizon", horizon, 30, 730)) < 0 ||
            (kq.limit = int_opt("limit", limit, 1, 10000000)) < 0)
            return EXIT_USAGE;
        if (as_of_s && date_parse(as_of_s, &kq.as_of)) {
            fprintf(stderr, "error: --as-of: not a date (YYYY-MM-DD)\n");
            return EXIT_USAGE;
        }
        return run_doc(d, &kq, db, json, csv);
    }
    const struct model *m = models;
    while (np == 1 && m->name && strcmp(m->name, pos[0]))
        m++;
    if (np != 1 || !m->name || (json && csv)) {
        cli_usage("score", 1);
        return EXIT_USAGE;
    }
    struct analytics_query q = {.as_of = INT32_MIN, .filter = filter, .progress = cli_progress};
    if (as_of_s && date_parse(as_of_s, &q.as_of)) {
        fprintf(stderr, "error: --as-of: not a date (YYYY-MM-DD)\n");
        return EXIT_USAGE;
    }
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    struct out o = {.csv = csv};
    json_t *doc = NULL;
    rc = ctx_init(&c, &a, NULL);
    if (json || csv) {
        q.emit = csv ? emit_csv : emit_json;
        q.emit_arg = &o;
    } else {
        q.summary = 1;
        q.no_customers = 1;
    }
    if (json)
        q.emit_head = json_head;
    if (!rc)
        rc = m->run(&c, &q, &doc);
    if (!rc && json)
        printf("%s]}\n", o.n ? "\n  " : "");
    if (rc)
        rc = cli_fail(&c.err);
    else if (!json && !csv)
        print_summary(m->name, doc);
    json_decref(doc);
    for (size_t i = 0; i < o.ncols; i++)
        free(o.cols[i]);
    free(o.cols);
    app_release(&a);
    return rc;
}
