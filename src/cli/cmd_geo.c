/*
 * relatio geo areas|stores|customer: the geographic aggregates (a table, or
 * --json), the stores, one customer's place. Same services as the API.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/geomarketing.h"
#include "cli/cli.h"

static void print_areas(const json_t *doc)
{
    printf("%-10s %-28s %10s %16s %12s %10s\n", "key", "name", "customers", "revenue",
           "basket", "value");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(doc, "areas"), i, a)
    {
        json_t *b = json_object_get(a, "average_basket_minor"), *v = json_object_get(a, "value");
        long long rev = json_integer_value(json_object_get(a, "revenue_minor"));
        char basket[32] = "-", value[32] = "-";
        if (json_is_integer(b))
            snprintf(basket, sizeof(basket), "%.2f", (double)json_integer_value(b) / 100);
        if (json_is_number(v))
            snprintf(value, sizeof(value), "%.4g", json_number_value(v));
        printf("%-10s %-28.28s %10lld %16.2f %12s %10s\n",
               json_string_value(json_object_get(a, "key")),
               json_string_value(json_object_get(a, "name")),
               (long long)json_integer_value(json_object_get(a, "customers")), (double)rev / 100,
               basket, value);
    }
}

int cmd_geo(int argc, char **argv)
{
    const char *db = cli_default_db(), *level = NULL, *kpi = NULL, *campaign = NULL;
    int json = 0;
    const char *pos[2];
    int np = 0;
    const struct optdef defs[] = {{"db", &db},           {"level", &level},
                                  {"kpi", &kpi},         {"campaign", &campaign},
                                  {"json", NULL, &json}, {NULL}};
    int rc = cli_parse("geo", argc, argv, defs, pos, 2, &np);
    if (rc)
        return rc;
    int areas = np == 1 && !strcmp(pos[0], "areas"), stores = np == 1 && !strcmp(pos[0], "stores"),
        customer = np == 2 && !strcmp(pos[0], "customer");
    if (!areas && !stores && !customer) {
        cli_usage("geo", 1);
        return EXIT_USAGE;
    }
    char *end = NULL;
    long long cid = customer ? strtoll(pos[1], &end, 10) : 0, camp = 0;
    if (customer && (!end || *end || cid <= 0)) {
        fprintf(stderr, "error: a customer id\n");
        return EXIT_USAGE;
    }
    if (campaign && ((camp = strtoll(campaign, &end, 10)) <= 0 || *end)) {
        fprintf(stderr, "error: --campaign takes a campaign id\n");
        return EXIT_USAGE;
    }
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    json_t *out = NULL;
    rc = ctx_init(&c, &a, NULL);
    if (!rc && areas)
        rc = geo_areas(&c, level, kpi, camp, &out);
    else if (!rc && stores)
        rc = geo_store_list(&c, &out);
    else if (!rc)
        rc = geo_customer(&c, cid, &out);
    if (rc)
        rc = cli_fail(&c.err);
    else if (json || !areas)
        cli_print_json(out);
    else {
        print_areas(out);
        json_decref(out);
    }
    app_release(&a);
    return rc;
}
