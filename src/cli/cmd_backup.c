/* relatio backup FILE / relatio restore FILE: online backup and restore. */
#include <stdio.h>
#include <stdlib.h>

#include "app/privacy.h"
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
    /* the erasures of the database being replaced outlive it */
    int64_t *known = NULL;
    size_t nknown = 0;
    FILE *exists = fopen(db, "rb");
    if (exists) {
        fclose(exists);
        struct app old;
        struct ctx oc;
        if (app_init(&old, db, &e) == 0) {
            if (ctx_init(&oc, &old, NULL) == 0 && privacy_erased_ids(&oc, &known, &nknown))
                nknown = 0;
            app_release(&old);
        }
        err_clear(&e);
    }
    rc = store_restore(db, pos[0], &e);
    if (rc) {
        free(known);
        return cli_fail(&e);
    }
    fprintf(stderr, "%s restored into %s\n", pos[0], db);
    /* people erased since that backup was taken are erased again */
    struct app a;
    if (app_init(&a, db, &e)) {
        free(known);
        return cli_fail(&e);
    }
    struct ctx c;
    int64_t again = 0;
    rc = ctx_init(&c, &a, NULL);
    if (!rc) {
        snprintf(c.actor.email, sizeof(c.actor.email), "cli restore");
        rc = privacy_reapply(&c, known, nknown, &again);
    }
    if (rc)
        rc = cli_fail(&c.err);
    else if (again)
        fprintf(stderr, "%lld erased customer(s) erased again\n", (long long)again);
    app_release(&a);
    free(known);
    return rc ? rc : EXIT_OK;
}
