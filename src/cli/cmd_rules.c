/* relatio rules list|run|enable|disable|firings: the rules engine from a
 * terminal or cron (time from RELATIO_NOW when set). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/rules.h"
#include "app/rules_engine.h"
#include "cli/cli.h"

static int parse_id(const char *s, int64_t *out)
{
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !end || *end || v <= 0) {
        fprintf(stderr, "error: a rule id is required\n");
        cli_usage("rules", 1);
        return EXIT_USAGE;
    }
    *out = v;
    return 0;
}

int cmd_rules(int argc, char **argv)
{
    const char *db = cli_default_db(), *rule = NULL, *customer = NULL, *limit = NULL;
    int json = 0;
    const struct optdef defs[] = {{"db", &db},       {"json", NULL, &json},
                                  {"rule", &rule},   {"customer", &customer},
                                  {"limit", &limit}, {NULL}};
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    int rc = cli_parse("rules", argc, argv, defs, pos, 2, &npos);
    if (rc)
        return rc;
    const char *verb = pos[0];
    if (!verb || !strstr("|list|run|enable|disable|firings|", verb) || strchr(verb, '|')) {
        cli_usage("rules", 1);
        return EXIT_USAGE;
    }
    char probe[32];
    snprintf(probe, sizeof(probe), "|%s|", verb);
    if (!strstr("|list|run|enable|disable|firings|", probe)) {
        cli_usage("rules", 1);
        return EXIT_USAGE;
    }
    int64_t id = 0, rid = 0, cid = 0, lim = 50;
    if ((!strcmp(verb, "enable") || !strcmp(verb, "disable")) && parse_id(pos[1], &id))
        return EXIT_USAGE;
    if ((rule && parse_id(rule, &rid)) || (customer && parse_id(customer, &cid)) ||
        (limit && parse_id(limit, &lim)))
        return EXIT_USAGE;
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    json_t *out = NULL;
    rc = ctx_init(&c, &a, NULL);
    if (!rc && !strcmp(verb, "list"))
        rc = rule_list(&c, &out);
    else if (!rc && !strcmp(verb, "run")) {
        struct rules_stats st = {0};
        rc = rules_tick(&c, 1, &st);
        if (!rc)
            out = rules_stats_json(&st);
    } else if (!rc && !strcmp(verb, "firings"))
        rc = rules_firings(&c, rid, cid, 0, (int)lim, &out);
    else if (!rc)
        rc = rule_set_enabled(&c, id, !strcmp(verb, "enable"), &out);
    if (rc) {
        rc = cli_fail(&c.err);
        app_release(&a);
        return rc;
    }
    if (json) {
        cli_print_json(out);
    } else if (!strcmp(verb, "list")) {
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(out, "items"), i, r)
        {
            json_t *stats = json_object_get(r, "stats");
            printf("%4lld  %-3s  %-18s  %5lld runs %5lld firings  %s\n",
                   (long long)json_integer_value(json_object_get(r, "id")),
                   json_is_true(json_object_get(r, "enabled")) ? "on" : "off",
                   json_string_value(json_object_get(r, "trigger_event"))
                       ? json_string_value(json_object_get(r, "trigger_event"))
                       : "(scheduled)",
                   (long long)json_integer_value(json_object_get(stats, "runs")),
                   (long long)json_integer_value(json_object_get(stats, "firings")),
                   json_string_value(json_object_get(r, "name")));
        }
        json_decref(out);
    } else if (!strcmp(verb, "run")) {
        const char *k;
        json_t *v;
        json_object_foreach(out, k, v) printf("%s %lld\n", k, (long long)json_integer_value(v));
        json_decref(out);
    } else if (!strcmp(verb, "firings")) {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(out, "items"), i, f)
            printf("%s  rule %lld  customer %lld  step %lld  %-8s %-7s %s\n",
                   json_string_value(json_object_get(f, "at")),
                   (long long)json_integer_value(json_object_get(f, "rule_id")),
                   (long long)json_integer_value(json_object_get(f, "customer_id")),
                   (long long)json_integer_value(json_object_get(f, "step")),
                   json_string_value(json_object_get(f, "action")),
                   json_string_value(json_object_get(f, "status")),
                   json_string_value(json_object_get(f, "detail"))
                       ? json_string_value(json_object_get(f, "detail"))
                       : "");
        json_decref(out);
    } else {
        printf("rule %lld %s\n", (long long)id,
               json_is_true(json_object_get(out, "enabled")) ? "enabled" : "disabled");
        json_decref(out);
    }
    app_release(&a);
    return EXIT_OK;
}
