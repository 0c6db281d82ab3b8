/* relatio migrate --from relatio.db --to postgres://...: copies a database
 * into a new, empty one (of any backend) and compares per-table checksums. */
#include <stdio.h>
#include <stdlib.h>

#include "app/dbcopy.h"
#include "cli/cli.h"

static void copy_progress(const char *stage, double frac, void *arg)
{
    cli_progress(stage, frac, arg);
}

int cmd_migrate(int argc, char **argv)
{
    const char *from = NULL, *to = NULL;
    int json = 0;
    const struct optdef defs[] = {{"from", &from}, {"to", &to}, {"json", NULL, &json}, {NULL}};
    int rc = cli_parse("migrate", argc, argv, defs, NULL, 0, NULL);
    if (rc)
        return rc;
    if (!from || !to) {
        cli_usage("migrate", 1);
        return EXIT_USAGE;
    }
    struct err e = {0};
    struct dbcopy_report rep;
    rc = dbcopy_run(from, to, copy_progress, NULL, &rep, &e);
    if (rc) {
        dbcopy_report_free(&rep);
        return cli_fail(&e);
    }
    json_t *tables = json_array();
    for (int i = 0; i < rep.ntables; i++) {
        const struct dbcopy_table *t = &rep.tables[i];
        if (json)
            json_array_append_new(tables, json_pack("{s:s, s:I, s:s, s:s, s:b}", "table", t->name,
                                                    "rows", (json_int_t)t->rows, "source",
                                                    t->src_sum, "destination", t->dst_sum, "same",
                                                    t->same));
        else
            printf("%-28s %10lld rows  %s  %s\n", t->name, (long long)t->rows, t->dst_sum,
                   t->same ? "ok" : "MISMATCH");
    }
    if (json)
        cli_print_json(json_pack("{s:I, s:i, s:o}", "rows", (json_int_t)rep.rows, "mismatches",
                                 rep.mismatches, "tables", tables));
    else
        json_decref(tables);
    fprintf(stderr, "%lld rows in %d tables copied from %s; %s\n", (long long)rep.rows,
            rep.ntables, from,
            rep.mismatches ? "CHECKSUMS DIFFER (see MISMATCH above)" : "every checksum matches");
    rc = rep.mismatches ? EXIT_DATA : EXIT_OK;
    dbcopy_report_free(&rep);
    return rc;
}
