/* relatio duplicates | merge | unmerge | export | quality | checksum: data
 * quality commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/duplicates.h"
#include "app/export.h"
#include "app/merge.h"
#include "app/privacy.h"
#include "app/quality.h"
#include "cli/cli.h"
#include "store/store.h"

/* Opens the database and a system context named after the command. */
static int open_ctx(struct app *a, struct ctx *c, const char *db, const char *who)
{
    struct err e = {0};
    if (app_init(a, db, &e))
        return cli_fail(&e);
    ctx_init(c, a, NULL);
    snprintf(c->actor.email, sizeof(c->actor.email), "cli %s", who);
    return 0;
}

static int positive_id(const char *s, int64_t *out)
{
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !end || *end || v <= 0) {
        fprintf(stderr, "error: %s: not a customer id\n", s ? s : "(missing)");
        return EXIT_USAGE;
    }
    *out = v;
    return 0;
}

/* Prints out (JSON) and ends the command with the right exit code. */
static int finish(struct app *a, struct ctx *c, int rc, json_t *out)
{
    if (rc)
        rc = cli_fail(&c->err);
    else
        cli_print_json(out);
    app_release(a);
    return rc;
}

int cmd_duplicates(int argc, char **argv)
{
    const char *db = cli_default_db(), *threshold = NULL, *status = NULL, *limit_s = NULL;
    const char *pos[3];
    int np = 0, json = 0;
    const struct optdef defs[] = {{"db", &db},         {"threshold", &threshold},
                                  {"status", &status}, {"limit", &limit_s},
                                  {"json", NULL, &json}, {NULL}};
    int rc = cli_parse("duplicates", argc, argv, defs, pos, 3, &np);
    if (rc)
        return rc;
    if (np < 1 || (strcmp(pos[0], "scan") && strcmp(pos[0], "list") && strcmp(pos[0], "dismiss")) ||
        (!strcmp(pos[0], "dismiss") && np != 3)) {
        cli_usage("duplicates", 1);
        return EXIT_USAGE;
    }
    struct app a;
    struct ctx c;
    if ((rc = open_ctx(&a, &c, db, "duplicates")))
        return rc;
    json_t *out = NULL;
    if (!strcmp(pos[0], "scan")) {
        struct dup_scan_opts o = {.threshold = threshold ? strtod(threshold, NULL) : 0,
                                  .progress = cli_progress};
        if (threshold && (o.threshold <= 0 || o.threshold >= 1)) {
            app_release(&a);
            fprintf(stderr, "error: --threshold must be between 0 and 1\n");
            return EXIT_USAGE;
        }
        rc = duplicates_scan(&c, &o, &out);
    } else if (!strcmp(pos[0], "list")) {
        int limit = limit_s ? atoi(limit_s) : 50;
        rc = duplicates_list(&c, status, 0, limit > 0 && limit <= 500 ? limit : 50, &out);
    } else {
        int64_t x, y;
        if ((rc = positive_id(pos[1], &x)) || (rc = positive_id(pos[2], &y))) {
            app_release(&a);
            return rc;
        }
        rc = duplicates_dismiss(&c, x, y);
        out = json_pack("{s:s}", "status", "dismissed");
    }
    if (rc)
        json_decref(out), out = NULL;
    return finish(&a, &c, rc, out);
}

int cmd_merge(int argc, char **argv)
{
    const char *db = cli_default_db(), *fields = NULL;
    const char *pos[2];
    int np = 0;
    const struct optdef defs[] = {{"db", &db}, {"fields", &fields}, {NULL}};
    int rc = cli_parse("merge", argc, argv, defs, pos, 2, &np);
    if (rc)
        return rc;
    int64_t s, d;
    if (np != 2) {
        cli_usage("merge", 1);
        return EXIT_USAGE;
    }
    if ((rc = positive_id(pos[0], &s)) || (rc = positive_id(pos[1], &d)))
        return rc;
    json_t *f = NULL;
    if (fields && !(f = json_loads(fields, 0, NULL))) {
        fprintf(stderr, "error: --fields must be a JSON object\n");
        return EXIT_USAGE;
    }
    struct app a;
    struct ctx c;
    if ((rc = open_ctx(&a, &c, db, "merge"))) {
        json_decref(f);
        return rc;
    }
    json_t *out = NULL;
    rc = customer_merge(&c, s, d, f, &out);
    json_decref(f);
    return finish(&a, &c, rc, out);
}

int cmd_unmerge(int argc, char **argv)
{
    const char *db = cli_default_db();
    const char *pos[1];
    int np = 0;
    const struct optdef defs[] = {{"db", &db}, {NULL}};
    int rc = cli_parse("unmerge", argc, argv, defs, pos, 1, &np);
    if (rc)
        return rc;
    int64_t id;
    if (np != 1) {
        cli_usage("unmerge", 1);
        return EXIT_USAGE;
    }
    if ((rc = positive_id(pos[0], &id)))
        return rc;
    struct app a;
    struct ctx c;
    if ((rc = open_ctx(&a, &c, db, "unmerge")))
        return rc;
    json_t *out = NULL;
    rc = merge_undo(&c, id, &out);
    return finish(&a, &c, rc, out);
}

int cmd_export(int argc, char **argv)
{
    const char *db = cli_default_db(), *format = "csv", *segment = NULL, *expr = NULL,
               *out_path = NULL, *q = NULL, *tag = NULL, *country = NULL;
    const char *pos[1];
    int np = 0;
    const struct optdef defs[] = {{"db", &db},           {"format", &format},   {"segment", &segment},
                                  {"expr", &expr},       {"out", &out_path},    {"q", &q},
                                  {"tag", &tag},         {"country", &country}, {NULL}};
    int rc = cli_parse("export", argc, argv, defs, pos, 1, &np);
    if (rc)
        return rc;
    if (np != 1 || strcmp(pos[0], "customers")) {
        cli_usage("export", 1);
        return EXIT_USAGE;
    }
    int64_t seg = 0;
    if (segment && (rc = positive_id(segment, &seg)))
        return rc;
    struct app a;
    struct ctx c;
    if ((rc = open_ctx(&a, &c, db, "export")))
        return rc;
    struct customer_query f = {.q = q, .tag = tag, .country = country};
    struct export_query eq = {.format = format, .segment_id = seg, .expr = expr, .filter = &f};
    char *body = NULL;
    size_t len = 0;
    const char *ctype = NULL;
    int64_t n = 0;
    rc = export_customers(&c, &eq, &body, &len, &ctype, &n);
    if (!rc) {
        FILE *fo = out_path ? fopen(out_path, "wb") : stdout;
        if (!fo || fwrite(body, 1, len, fo) != len || (out_path && fclose(fo))) {
            fprintf(stderr, "error: cannot write %s\n", out_path ? out_path : "stdout");
            rc = EXIT_DATA;
        } else {
            fprintf(stderr, "%lld customers exported\n", (long long)n);
        }
    } else {
        rc = cli_fail(&c.err);
    }
    free(body);
    app_release(&a);
    return rc;
}

int cmd_quality(int argc, char **argv)
{
    const char *db = cli_default_db(), *months = "24";
    const struct optdef defs[] = {{"db", &db}, {"stale-months", &months}, {NULL}};
    int np = 0;
    int rc = cli_parse("quality", argc, argv, defs, NULL, 0, &np);
    if (rc)
        return rc;
    struct app a;
    struct ctx c;
    if ((rc = open_ctx(&a, &c, db, "quality")))
        return rc;
    json_t *out = NULL;
    rc = quality_report(&c, atoi(months), &out);
    return finish(&a, &c, rc, out);
}

static void add_table(const char *table, const char *hex, void *arg)
{
    json_object_set_new(arg, table, json_string(hex));
}

int cmd_checksum(int argc, char **argv)
{
    const char *db = cli_default_db();
    int tables = 0;
    const struct optdef defs[] = {{"db", &db}, {"tables", NULL, &tables}, {NULL}};
    int np = 0;
    int rc = cli_parse("checksum", argc, argv, defs, NULL, 0, &np);
    if (rc)
        return rc;
    struct app a;
    struct ctx c;
    if ((rc = open_ctx(&a, &c, db, "checksum")))
        return rc;
    json_t *out = json_object();
    if (tables) {
        rc = store_checksum_tables(c.st, add_table, out, &c.err);
    } else {
        char hex[65];
        rc = store_checksum(c.st, hex, &c.err);
        if (!rc)
            json_object_set_new(out, "checksum", json_string(hex));
    }
    if (rc)
        json_decref(out), out = NULL;
    return finish(&a, &c, rc, out);
}

int cmd_privacy(int argc, char **argv)
{
    const char *db = cli_default_db(), *reason = NULL, *months = NULL;
    int dry = 0;
    const char *pos[2];
    int np = 0;
    const struct optdef defs[] = {{"db", &db},
                                  {"reason", &reason},
                                  {"months", &months},
                                  {"dry-run", NULL, &dry},
                                  {NULL}};
    int rc = cli_parse("privacy", argc, argv, defs, pos, 2, &np);
    if (rc)
        return rc;
    int retention = np == 1 && !strcmp(pos[0], "retention");
    if (!retention && (np != 2 || (strcmp(pos[0], "export") && strcmp(pos[0], "erase")))) {
        cli_usage("privacy", 1);
        return EXIT_USAGE;
    }
    int64_t id = 0;
    if (!retention && (rc = positive_id(pos[1], &id)))
        return rc;
    struct app a;
    struct ctx c;
    if ((rc = open_ctx(&a, &c, db, "privacy")))
        return rc;
    json_t *out = NULL;
    if (retention)
        rc = privacy_retention(&c, months ? atoi(months) : 36, dry, &out);
    else if (!strcmp(pos[0], "export"))
        rc = privacy_export(&c, id, &out);
    else
        rc = privacy_erase(&c, id, reason, &out);
    return finish(&a, &c, rc, out);
}
