/* relatio backup FILE / relatio restore FILE: online backup and restore. */
#include <stdio.h>

#include "cli/cli.h"
#include "store/store.h"

static void backup_progress(double frac, void *arg)
{
    cli_progress("backup", frac, arg);
}

int cmd_backup(int argc, char **argv)
{
    const char *db = cli_default_db();
    const char *pos[1];
    int np = 0;
    const struct optdef defs[] = {{"db", &db}, {NULL}};
    int rc = cli_parse("backup", argc, argv, defs, pos, 1, &np);
    if (rc)
        return rc;
    if (np != 1) {
        cli_usage("backup", 1);
        return EXIT_USAGE;
    }
    struct store *st = NULL;
    struct err e = {0};
    rc = store_open(&st, db, &e);
    if (!rc)
        rc = store_backup(st, pos[0], backup_progress, NULL, &e);
    store_close(st);
    if (rc)
        return cli_fail(&e);
    fprintf(stderr, "backup of %s written to %s\n", db, pos[0]);
    return EXIT_OK;
}

int cmd_restore(int argc, char **argv)
{
    const char *db = cli_default_db();
    const char *pos[1];
    int np = 0;
    const struct optdef defs[] = {{"db", &db}, {NULL}};
    int rc = cli_parse("restore", argc, argv, defs, pos, 1, &np);
    if (rc)
        return rc;
    if (np != 1) {
        cli_usage("restore", 1);
        return EXIT_USAGE;
    }
    struct err e = {0};
    rc = store_restore(db, pos[0], &e);
    if (rc)
        return cli_fail(&e);
    fprintf(stderr, "%s restored into %s\n", pos[0], db);
    return EXIT_OK;
}
