/*
 * relatio forecast --period P: won + weighted pipeline against objectives;
 * relatio sales report|rescore-leads: the sales report over dates, and a
 * rescoring of every lead. Same services as the API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/forecast.h"
#include "app/leads.h"
#include "app/users.h"
#include "cli/cli.h"

/* --owner: a user id or e-mail. */
static int owner_id(struct ctx *c, const char *s, int64_t *id)
{
    char *end = NULL;
    long long n = strtoll(s, &end, 10);
    if (end && !*end && n > 0) {
        *id = n;
        return 0;
    }
    json_t *users = NULL;
    int rc = user_list(c, &users);
    if (rc)
        return rc;
    size_t i;
    json_t *u;
    *id = 0;
    json_array_foreach(json_object_get(users, "items"), i, u)
    {
        const char *em = json_string_value(json_object_get(u, "email"));
        if (em && !strcasecmp(em, s))
            *id = json_integer_value(json_object_get(u, "id"));
    }
    json_decref(users);
    return *id ? 0 : err_set(&c->err, ERR_NOTFOUND, "owner", "no user '%s'", s);
}

static void money(char *buf, size_t len, json_t *v)
{
    if (!json_is_integer(v)) {
        snprintf(buf, len, "%s", "-");
        return;
    }
    long long m = json_integer_value(v);
    snprintf(buf, len, "%s%lld.%02lld", m < 0 ? "-" : "", llabs(m) / 100, llabs(m) % 100);
}

static void print_forecast(const json_t *f)
{
    char a[32], b[32], d[32], e[32];
    printf("forecast %s (%s)\n", json_string_value(json_object_get(f, "period")),
           json_string_value(json_object_get(f, "currency")));
    printf("%-8s %14s %14s %14s %14s %6s\n", "month", "won", "weighted", "forecast", "objective",
           "open");
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(f, "months"), i, m)
    {
        money(a, sizeof(a), json_object_get(m, "won_minor"));
        money(b, sizeof(b), json_object_get(m, "weighted_minor"));
        money(d, sizeof(d), json_object_get(m, "forecast_minor"));
        money(e, sizeof(e), json_object_get(m, "objective_minor"));
        printf("%-8s %14s %14s %14s %14s %6lld\n", json_string_value(json_object_get(m, "month")),
               a, b, d, e, (long long)json_integer_value(json_object_get(m, "open_deals")));
    }
    json_t *t = json_object_get(f, "total");
    money(a, sizeof(a), json_object_get(t, "won_minor"));
    money(b, sizeof(b), json_object_get(t, "weighted_minor"));
    money(d, sizeof(d), json_object_get(t, "forecast_minor"));
    money(e, sizeof(e), json_object_get(t, "objective_minor"));
    printf("%-8s %14s %14s %14s %14s %6lld\n", "total", a, b, d, e,
           (long long)json_integer_value(json_object_get(t, "open_deals")));
    json_t *fa = json_object_get(t, "forecast_attainment");
    if (json_is_number(fa))
        printf("forecast attainment: %.1f %%\n", json_number_value(fa) * 100.0);
}

int cmd_forecast(int argc, char **argv)
{
    const char *db = cli_default_db(), *period = NULL, *owner = NULL, *team = NULL,
               *pipeline = NULL, *currency = NULL;
    int json = 0;
    const struct optdef defs[] = {{"db", &db},
                                  {"period", &period},
                                  {"owner", &owner},
                                  {"team", &team},
                                  {"pipeline", &pipeline},
                                  {"currency", &currency},
                                  {"json", NULL, &json},
                                  {NULL}};
    int rc = cli_parse("forecast", argc, argv, defs, NULL, 0, NULL);
    if (rc)
        return rc;
    if (!period) {
        fprintf(stderr, "error: --period YYYY-MM, YYYY-Qn or YYYY is required\n");
        cli_usage("forecast", 1);
        return EXIT_USAGE;
    }
    struct forecast_query q = {.period = period, .team = team, .currency = currency};
    if (pipeline) {
        char *end = NULL;
        q.pipeline_id = strtoll(pipeline, &end, 10);
        if (!end || *end || q.pipeline_id <= 0) {
            fprintf(stderr, "error: --pipeline takes a pipeline id\n");
            return EXIT_USAGE;
        }
    }
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    json_t *out = NULL;
    rc = ctx_init(&c, &a, NULL);
    if (!rc && owner)
        rc = owner_id(&c, owner, &q.owner_id);
    if (!rc)
        rc = forecast_report(&c, &q, &out);
    if (rc)
        rc = cli_fail(&c.err);
    else if (json)
        cli_print_json(out);
    else {
        print_forecast(out);
        json_decref(out);
    }
    app_release(&a);
    return rc;
}

int cmd_sales(int argc, char **argv)
{
    const char *db = cli_default_db(), *from = NULL, *to = NULL, *pipeline = NULL;
    int json = 0;
    const char *pos[1];
    int np = 0;
    const struct optdef defs[] = {{"db", &db},           {"from", &from},
                                  {"to", &to},           {"pipeline", &pipeline},
                                  {"json", NULL, &json}, {NULL}};
    int rc = cli_parse("sales", argc, argv, defs, pos, 1, &np);
    if (rc)
        return rc;
    if (np != 1 || (strcmp(pos[0], "report") && strcmp(pos[0], "rescore-leads"))) {
        cli_usage("sales", 1);
        return EXIT_USAGE;
    }
    int64_t pid = 0;
    if (pipeline) {
        char *end = NULL;
        pid = strtoll(pipeline, &end, 10);
        if (!end || *end || pid <= 0) {
            fprintf(stderr, "error: --pipeline takes a pipeline id\n");
            return EXIT_USAGE;
        }
    }
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    json_t *out = NULL;
    rc = ctx_init(&c, &a, NULL);
    if (!rc && !strcmp(pos[0], "report")) {
        rc = sales_report(&c, from, to, pid, &out);
    } else if (!rc) {
        int64_t n = 0;
        rc = lead_rescore_all(&c, &n);
        if (!rc)
            out = json_pack("{s:I}", "rescored", (json_int_t)n);
    }
    if (rc) {
        rc = cli_fail(&c.err);
    } else if (json || strcmp(pos[0], "report")) {
        cli_print_json(out);
    } else {
        json_t *wr = json_object_get(out, "win_rate"), *cy = json_object_get(out, "avg_cycle_days");
        printf("sales %s .. %s\n", from, to);
        printf("won %lld, lost %lld, win rate %s",
               (long long)json_integer_value(json_object_get(out, "won_deals")),
               (long long)json_integer_value(json_object_get(out, "lost_deals")),
               json_is_number(wr) ? "" : "-");
        if (json_is_number(wr))
            printf("%.1f %%", json_number_value(wr) * 100.0);
        if (json_is_number(cy))
            printf(", average cycle %.1f days", json_number_value(cy));
        printf("\n");
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(out, "by_stage"), i, s)
        {
            char m[32];
            money(m, sizeof(m), json_object_get(s, "amount_minor"));
            printf("  %-20s %5lld deals %14s %s\n", json_string_value(json_object_get(s, "stage")),
                   (long long)json_integer_value(json_object_get(s, "count")), m,
                   json_string_value(json_object_get(s, "currency")));
        }
        json_decref(out);
    }
    app_release(&a);
    return rc;
}
