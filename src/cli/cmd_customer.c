/* relatio customer get ID | search TEXT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/customers.h"
#include "cli/cli.h"

int cmd_customer(int argc, char **argv)
{
    const char *db = cli_default_db(), *limit_s = NULL;
    int json = 0;
    const char *pos[2];
    int np = 0;
    const struct optdef defs[] = {{"db", &db}, {"limit", &limit_s}, {"json", NULL, &json}, {NULL}};
    int rc = cli_parse("customer", argc, argv, defs, pos, 2, &np);
    if (rc)
        return rc;
    if (np != 2 || (strcmp(pos[0], "get") && strcmp(pos[0], "search"))) {
        cli_usage("customer", 1);
        return EXIT_USAGE;
    }
    char *end = NULL;
    long limit = limit_s ? strtol(limit_s, &end, 10) : 20;
    if ((limit_s && (!end || *end)) || limit < 1 || limit > 500) {
        fprintf(stderr, "error: --limit must be between 1 and 500\n");
        return EXIT_USAGE;
    }
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    rc = ctx_init(&c, &a, NULL);
    json_t *out = NULL;
    if (!rc && !strcmp(pos[0], "get")) {
        long long id = strtoll(pos[1], &end, 10);
        if (!end || *end || id <= 0) {
            app_release(&a);
            fprintf(stderr, "error: the id must be a positive number\n");
            return EXIT_USAGE;
        }
        rc = customer_get(&c, id, &out);
    } else if (!rc) {
        struct customer_query q = {.q = pos[1], .limit = (int)limit};
        rc = customer_list(&c, &q, &out);
    }
    if (rc) {
        rc = cli_fail(&c.err);
    } else if (json || !strcmp(pos[0], "get")) {
        cli_print_json(out);
    } else {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(out, "items"), i, it)
        {
            const char *em = json_string_value(json_object_get(it, "email"));
            const char *city = json_string_value(json_object_get(it, "city"));
            printf("%-8lld %-30s %-32s %s\n",
                   (long long)json_integer_value(json_object_get(it, "id")),
                   json_string_value(json_object_get(it, "display_name")), em ? em : "-",
                   city ? city : "-");
        }
        json_decref(out);
    }
    app_release(&a);
    return rc;
}
