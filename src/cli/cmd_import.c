/* relatio import customers|orders|products|interactions FILE: CSV import with a report. */
#include <stdio.h>
#include <string.h>

#include "app/import.h"
#include "cli/cli.h"

int cmd_import(int argc, char **argv)
{
    struct import_opts o = {0};
    const char *db = cli_default_db();
    int json = 0;
    const char *pos[2];
    int np = 0;
    const struct optdef defs[] = {{"db", &db},
                                  {"map", NULL, NULL, o.maps, &o.nmaps, IMPORT_MAX_MAPS},
                                  {"currency", &o.currency},
                                  {"source", &o.source_kind},
                                  {"source-terms", &o.source_terms},
                                  {"source-expires", &o.source_expires},
                                  {"dry-run", NULL, &o.dry_run},
                                  {"skip-bad", NULL, &o.skip_bad},
                                  {"rejects", &o.rejects_path},
                                  {"no-duplicates", NULL, &o.no_duplicates},
                                  {"json", NULL, &json},
                                  {NULL}};
    int rc = cli_parse("import", argc, argv, defs, pos, 2, &np);
    if (rc)
        return rc;
    if (np != 2 || (strcmp(pos[0], "customers") && strcmp(pos[0], "orders") &&
                    strcmp(pos[0], "products") && strcmp(pos[0], "interactions"))) {
        cli_usage("import", 1);
        return EXIT_USAGE;
    }
    o.kind = pos[0];
    o.path = pos[1];
    o.progress = cli_progress;
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    json_t *report = NULL;
    rc = ctx_init(&c, &a, NULL);
    if (!rc) {
        snprintf(c.actor.email, sizeof(c.actor.email), "cli import");
        rc = import_run(&c, &o, &report);
    }
    if (report && json) {
        cli_print_json(json_incref(report));
    } else if (report) {
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(report, "problems"), i, p)
            fprintf(stderr, "line %lld, column %lld (%s): %s\n",
                    (long long)json_integer_value(json_object_get(p, "line")),
                    (long long)json_integer_value(json_object_get(p, "column")),
                    json_string_value(json_object_get(p, "field")),
                    json_string_value(json_object_get(p, "message")));
        printf("%s%lld rows: %lld created, %lld updated, %lld unchanged, %lld rejected\n",
               o.dry_run ? "dry run: " : "",
               (long long)json_integer_value(json_object_get(report, "rows")),
               (long long)json_integer_value(json_object_get(report, "created")),
               (long long)json_integer_value(json_object_get(report, "updated")),
               (long long)json_integer_value(json_object_get(report, "unchanged")),
               (long long)json_integer_value(json_object_get(report, "rejected")));
        if (json_object_get(report, "possible_duplicates"))
            printf("%lld possible duplicate pair(s): relatio duplicates list\n",
                   (long long)json_integer_value(json_object_get(report, "possible_duplicates")));
        if (json_object_get(report, "rejects_file"))
            printf("rejected rows and their reasons: %s\n",
                   json_string_value(json_object_get(report, "rejects_file")));
    }
    json_decref(report);
    rc = rc ? cli_fail(&c.err) : EXIT_OK;
    app_release(&a);
    return rc;
}
