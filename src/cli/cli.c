/* The command table, dispatch and shared helpers of the CLI (see cli.h). */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

const struct command commands[] = {
    {"help", cmd_help, "list the commands", "relatio help [COMMAND]"},
    {"serve", cmd_serve, "serve the API and the web app",
     "relatio serve [--db PATH] [--port 8080] [--bind 127.0.0.1] [--web DIR] [--threads N]"},
    {"demo", cmd_demo, "create a demo database and serve it",
     "relatio demo [--db PATH] [--customers N] [--orders-per-customer N] [--seed N] [--no-serve] "
     "[--port 8080] [--bind 127.0.0.1] [--web DIR]"},
    {"user", cmd_user, "add, change or list users",
     "relatio user add --email E --role ROLE [--name N] (--password-stdin | --password P)\n"
     "       relatio user passwd --email E --password-stdin\n"
     "       relatio user list [--json]"},
    {"token", cmd_token, "create an API token (printed once)",
     "relatio token create USER_EMAIL [--name N]"},
    {"customer", cmd_customer, "show or search customers",
     "relatio customer get ID [--json]\n       relatio customer search TEXT [--limit N] [--json]"},
    {"import", cmd_import, "import customers, orders, products or interactions from CSV",
     "relatio import customers|orders|products|interactions FILE.csv[.gz] [--map SOURCE=field ...] "
     "[--currency CODE] [--dry-run] [--skip-bad] [--rejects FILE.csv] [--no-duplicates] "
     "[--source bought|rented|exchanged|internal --source-terms T --source-expires DATE] [--json]"},
    {"score", cmd_score,
     "score every customer: RFM, ABC, CLV, loyalty matrix; KPIs, cohorts, geography, churn, "
     "clusters",
     "relatio score rfm|abc|clv|matrix [--as-of YYYY-MM-DD] [--json | --csv] [--segment NAME] "
     "[--class A|B|C] [--quadrant NAME] [--db PATH]\n"
     "       relatio score kpis|cohorts|geo|churn|clusters [--as-of YYYY-MM-DD] [--json | --csv] "
     "[--months N] [--segment NAME] [--channel C] [--country CC] [--region R] "
     "[--level country|region|postal] [--k N] [--horizon DAYS] [--limit N] [--db PATH]"},
    {"segment", cmd_segment, "customer segments, static lists and targeting groups",
     "relatio segment list|groups|fields [--json]\n"
     "       relatio segment count (--expr EXPR | SEGMENT) [--json]\n"
     "       relatio segment members (--expr EXPR | SEGMENT) [--csv | --json] [--limit N]\n"
     "       relatio segment show|delete SEGMENT\n"
     "       relatio segment create --name N (--expr EXPR | --static) [--description D]\n"
     "       relatio segment update SEGMENT [--expr EXPR] [--name N] [--description D]\n"
     "       relatio segment refresh [--every SECONDS]"},
    {"loyalty", cmd_loyalty, "loyalty programme: daily jobs, ledger check, balances",
     "relatio loyalty expire|birthdays|verify [--json] [--db PATH]   (daily, at RELATIO_NOW)\n"
     "       relatio loyalty balance|enrol CUSTOMER_ID [--db PATH]\n"
     "       relatio loyalty award CUSTOMER_ID POINTS [--reason R] [--ref REF] [--db PATH]"},
    {"survey", cmd_survey, "satisfaction surveys: ticket CSAT invitations, results",
     "relatio survey ticket-csat [--json] [--db PATH]   (invites after resolved tickets)\n"
     "       relatio survey results SURVEY_ID [--db PATH]"},
    {"campaign", cmd_campaign, "launch campaigns and deliver the send queue",
     "relatio campaign list | show ID | preview ID | send ID | results ID [--json]\n"
     "       relatio campaign send-queue [--max-seconds N] [--json]"},
    {"duplicates", cmd_duplicates, "find duplicate customers, list or dismiss candidate pairs",
     "relatio duplicates scan [--threshold 0.5]\n"
     "       relatio duplicates list [--status open|dismissed|merged] [--limit N]\n"
     "       relatio duplicates dismiss ID ID"},
    {"merge", cmd_merge, "merge a duplicate customer into a survivor (undoable)",
     "relatio merge SURVIVOR_ID DUPLICATE_ID [--fields '{\"birth_date\":\"duplicate\"}']"},
    {"unmerge", cmd_unmerge, "undo a merge", "relatio unmerge MERGE_ID"},
    {"export", cmd_export, "export customers as CSV, JSON or vCard",
     "relatio export customers [--format csv|json|vcard] [--segment ID | --expr EXPR | --q TEXT "
     "--tag T --country CC] [--out FILE]"},
    {"quality", cmd_quality, "data quality report",
     "relatio quality [--stale-months 24]"},
    {"privacy", cmd_privacy, "a person's data (export), erasure, retention policy",
     "relatio privacy export ID\n       relatio privacy erase ID [--reason TEXT]\n"
     "       relatio privacy retention [--months 36] [--dry-run]"},
    {"textmine", cmd_textmine,
     "text mining of complaints, ticket messages, survey comments: refresh, top terms, emerging "
     "topics, low-satisfaction words",
     "relatio textmine [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--period 30d|YYYY-MM|...] "
     "[--source all|ticket|complaint|survey|interaction] [--category C] [--limit N] [--json] "
     "[--db PATH]"},
    {"checksum", cmd_checksum, "checksum of every row of the database (or per table)",
     "relatio checksum [--tables]"},
    {"migrate", cmd_migrate, "copy a database into a new one (SQLite to PostgreSQL), verified",
     "relatio migrate --from relatio.db --to postgres://USER@HOST:PORT/DB [--json]"},
    {"backup", cmd_backup, "online backup of the database", "relatio backup FILE [--db PATH]"},
    {"restore", cmd_restore, "restore a backup into the database",
     "relatio restore FILE [--db PATH]"},
    {"rules", cmd_rules, "list, switch and run the behavioural rules",
     "relatio rules list [--json]\n       relatio rules run [--json]   (cron: events, waits, "
     "absences, schedules, webhooks at RELATIO_NOW)\n       relatio rules enable|disable ID\n"
     "       relatio rules firings [--rule ID] [--customer ID] [--limit N] [--json]"},
    {"forecast", cmd_forecast, "sales forecast against objectives",
     "relatio forecast --period YYYY-MM|YYYY-Qn|YYYY [--owner ID|EMAIL] [--team T] "
     "[--pipeline ID] [--currency EUR] [--json]"},
    {"sales", cmd_sales, "sales report (win rate, cycle, pipeline) and lead rescoring",
     "relatio sales report --from YYYY-MM-DD --to YYYY-MM-DD [--pipeline ID] [--json]\n"
     "       relatio sales rescore-leads"},
    {"sla", cmd_sla, "detect SLA breaches now (flag, escalate, emit sla.breached)",
     "relatio sla sweep [--db PATH] [--json]"},
    {"mail", cmd_mail, "import new mail from the support mailbox into tickets",
     "relatio mail fetch [--url imap://HOST:PORT/INBOX] [--user U] [--password-env VAR] [--db "
     "PATH] [--json]\n       (defaults: RELATIO_IMAP_URL, RELATIO_IMAP_USER, "
     "RELATIO_IMAP_PASSWORD)"},
    {"geo", cmd_geo, "geomarketing: customers, revenue, basket, response by area; stores",
     "relatio geo areas [--level departement|region|country|postal_code] [--kpi customers|buyers|"
     "revenue|average_basket|targeted|responded|response_rate|nearest_store_km] [--campaign ID] "
     "[--json]\n       relatio geo stores\n       relatio geo customer ID"},
    {NULL, NULL, NULL, NULL},
};

void cli_usage(const char *name, int to_stderr)
{
    FILE *f = to_stderr ? stderr : stdout;
    for (const struct command *c = commands; c->name; c++)
        if (!strcmp(c->name, name)) {
            fprintf(f, "%s: %s\nusage: %s\n", c->name, c->summary, c->usage);
            fprintf(f, "common options: --db PATH (default ./relatio.db or $RELATIO_DB), --json, "
                       "--help\n");
        }
}

int cmd_help(int argc, char **argv)
{
    if (argc > 1) {
        cli_usage(argv[1], 0);
        return EXIT_OK;
    }
    printf("relatio: the customer relationship database\n\ncommands:\n");
    for (const struct command *c = commands; c->name; c++)
        printf("  %-10s %s\n", c->name, c->summary);
    printf("\n'relatio COMMAND --help' tells more. Exit codes: 0 ok, 1 usage, 2 data error.\n");
    return EXIT_OK;
}

int cli_fail(const struct err *e)
{
    if (e->field[0])
        fprintf(stderr, "error: %s: %s\n", e->field, e->msg);
    else
        fprintf(stderr, "error: %s\n", e->msg);
    return e->kind == ERR_BADREQ ? EXIT_USAGE : EXIT_DATA;
}

void cli_print_json(json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENSURE_ASCII * 0);
    if (s) {
        puts(s);
        free(s);
    }
    json_decref(v);
}

const char *cli_default_db(void)
{
    const char *v = getenv("RELATIO_DB");
    return v && *v ? v : "relatio.db";
}

void cli_progress(const char *stage, double frac, void *arg)
{
    (void)arg;
    static char last_stage[64];
    static int last_pct = -1;
    if (frac < 0) { /* unknown total: the stage says how far */
        fprintf(stderr, isatty(2) ? "\r%-40s" : "%s\n", stage);
        return;
    }
    int pct = (int)(frac * 100.0 + 0.5);
    if (pct > 100)
        pct = 100;
    int same = strncmp(last_stage, stage, sizeof(last_stage) - 1) == 0;
    if (isatty(2)) {
        if (same && pct == last_pct)
            return;
        int bar = pct * 30 / 100;
        fprintf(stderr, "\r%-14s [%.*s%*s] %3d%%", stage, bar, "##############################",
                30 - bar, "", pct);
        if (pct >= 100)
            fputc('\n', stderr);
    } else {
        if (same && pct / 10 == last_pct / 10)
            return;
        fprintf(stderr, "%s: %d%%\n", stage, pct);
    }
    snprintf(last_stage, sizeof(last_stage), "%s", stage);
    last_pct = pct;
}

int cli_parse(const char *cmd, int argc, char **argv, const struct optdef *defs, const char **pos,
              int npos, int *npos_out)
{
    int np = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || !a[2]) {
            if (np >= npos) {
                fprintf(stderr, "error: unexpected argument '%s'\n", a);
                cli_usage(cmd, 1);
                return EXIT_USAGE;
            }
            pos[np++] = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const struct optdef *d = defs;
        while (d->name && !(strlen(d->name) == nl && !strncmp(d->name, a + 2, nl)))
            d++;
        if (!d->name) {
            fprintf(stderr, "error: unknown option '%s'\n", a);
            cli_usage(cmd, 1);
            return EXIT_USAGE;
        }
        if (d->flag) {
            *d->flag = 1;
            continue;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            fprintf(stderr, "error: option --%s needs a value\n", d->name);
            return EXIT_USAGE;
        }
        if (d->list) {
            if (*d->nlist >= d->max) {
                fprintf(stderr, "error: too many --%s options\n", d->name);
                return EXIT_USAGE;
            }
            d->list[(*d->nlist)++] = v;
        } else {
            *d->value = v;
        }
    }
    if (npos_out)
        *npos_out = np;
    return 0;
}

int cli_main(int argc, char **argv)
{
    log_init();
    if (argc < 2) {
        cmd_help(1, argv);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return cmd_help(1, argv);
    if (!strcmp(argv[1], "--version")) {
        puts("relatio 0.1.0");
        return EXIT_OK;
    }
    for (const struct command *c = commands; c->name; c++)
        if (!strcmp(c->name, argv[1])) {
            for (int i = 2; i < argc; i++)
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                    cli_usage(c->name, 0);
                    return EXIT_OK;
                }
            return c->run(argc - 1, argv + 1);
        }
    fprintf(stderr, "error: unknown command '%s' (see 'relatio help')\n", argv[1]);
    return EXIT_USAGE;
}
