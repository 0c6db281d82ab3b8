/*
 * relatio sla sweep: detects SLA breaches (flags, escalates, emits
 * sla.breached); relatio mail fetch: imports new mail from the support
 * mailbox (RELATIO_IMAP_URL, RELATIO_IMAP_USER, RELATIO_IMAP_PASSWORD, or
 * --url/--user/--password-env) into tickets. Both are meant for cron.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/tickets.h"
#include "channels/imap.h"
#include "cli/cli.h"

int cmd_sla(int argc, char **argv)
{
    const char *db = cli_default_db(), *pos[1];
    int json = 0, np = 0;
    const struct optdef defs[] = {{"db", &db}, {"json", NULL, &json}, {NULL}};
    int rc = cli_parse("sla", argc, argv, defs, pos, 1, &np);
    if (rc)
        return rc;
    if (np != 1 || strcmp(pos[0], "sweep")) {
        cli_usage("sla", 1);
        return EXIT_USAGE;
    }
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    int64_t n = 0;
    rc = ctx_init(&c, &a, NULL);
    if (!rc)
        rc = sla_sweep(&c, &n);
    if (rc)
        rc = cli_fail(&c.err);
    else if (json)
        cli_print_json(json_pack("{s:I}", "breaches", (json_int_t)n));
    else
        printf("%lld SLA breach%s\n", (long long)n, n == 1 ? "" : "es");
    app_release(&a);
    return rc;
}

int cmd_mail(int argc, char **argv)
{
    const char *db = cli_default_db(), *url = NULL, *user = NULL, *pass_env = NULL, *pos[1];
    int json = 0, np = 0;
    const struct optdef defs[] = {{"db", &db},           {"url", &url},
                                  {"user", &user},       {"password-env", &pass_env},
                                  {"json", NULL, &json}, {NULL}};
    int rc = cli_parse("mail", argc, argv, defs, pos, 1, &np);
    if (rc)
        return rc;
    if (np != 1 || strcmp(pos[0], "fetch")) {
        cli_usage("mail", 1);
        return EXIT_USAGE;
    }
    struct imap_config cfg;
    struct err e = {0};
    if (url) {
        cfg = (struct imap_config){.url = url, .user = user, .timeout_ms = 30000};
        cfg.password = getenv(pass_env ? pass_env : "RELATIO_IMAP_PASSWORD");
    } else if (ticket_mail_config(&cfg, &e)) {
        return cli_fail(&e);
    } else if (user) {
        cfg.user = user;
    }
    struct app a;
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    json_t *out = NULL;
    rc = ctx_init(&c, &a, NULL);
    if (!rc)
        rc = ticket_mail_fetch(&c, &cfg, &out);
    if (rc) {
        rc = cli_fail(&c.err);
    } else if (json) {
        cli_print_json(out);
    } else {
        printf("%lld fetched: %lld new tickets, %lld replies threaded, %lld duplicates, %lld "
               "skipped\n",
               (long long)json_integer_value(json_object_get(out, "fetched")),
               (long long)json_integer_value(json_object_get(out, "created")),
               (long long)json_integer_value(json_object_get(out, "threaded")),
               (long long)json_integer_value(json_object_get(out, "duplicates")),
               (long long)json_integer_value(json_object_get(out, "skipped")));
        json_decref(out);
    }
    app_release(&a);
    return rc;
}
