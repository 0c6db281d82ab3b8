/*
 * relatio loyalty expire|birthdays|verify|balance|enrol|award: the daily
 * jobs of the loyalty programme (expiry, birthday bonuses), the ledger check,
 * and a member's balance from the terminal. relatio survey ticket-csat |
 * results: invitations after resolved tickets, a survey's results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/loyalty.h"
#include "app/surveys.h"
#include "cli/cli.h"

static int parse_id(const char *s, int64_t *out)
{
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !end || *end || v <= 0) {
        fprintf(stderr, "error: '%s' is not an id\n", s ? s : "");
        return EXIT_USAGE;
    }
    *out = v;
    return 0;
}

static int print_count(int json, const char *what, long long n)
{
    if (json)
        cli_print_json(json_pack("{s:I}", what, (json_int_t)n));
    else
        printf("%s: %lld\n", what, n);
    return EXIT_OK;
}

int cmd_loyalty(int argc, char **argv)
{
    const char *db = cli_default_db(), *reason = NULL, *ref = NULL;
    int json = 0;
    const char *pos[3];
    int np = 0;
    const struct optdef defs[] = {
        {"db", &db}, {"reason", &reason}, {"ref", &ref}, {"json", NULL, &json}, {NULL}};
    int rc = cli_parse("loyalty", argc, argv, defs, pos, 3, &np);
    if (rc)
        return rc;
    static const char *const verbs[] = {"expire", "birthdays", "verify", "balance",
                                        "enrol",  "award",     NULL};
    static const int nargs[] = {1, 1, 1, 2, 2, 3};
    int v = -1;
    for (int i = 0; np > 0 && verbs[i]; i++)
        if (!strcmp(pos[0], verbs[i]))
            v = i;
    if (v < 0 || np != nargs[v]) {
        cli_usage("loyalty", 1);
        return EXIT_USAGE;
    }
    int64_t id = 0, points = 0;
    if (np >= 2 && (rc = parse_id(pos[1], &id)))
        return rc;
    if (np == 3 && (rc = parse_id(pos[2], &points)))
        return rc;
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    rc = ctx_init(&c, &a, NULL);
    json_t *out = NULL;
    int n = 0;
    int64_t bad = 0;
    if (!rc) {
        switch (v) {
        case 0:
            rc = loyalty_expire(&c, &n);
            if (!rc)
                print_count(json, "members_expired", n);
            break;
        case 1:
            rc = loyalty_birthdays(&c, &n);
            if (!rc)
                print_count(json, "birthday_bonuses", n);
            break;
        case 2:
            rc = loyalty_verify(&c, &bad);
            if (!rc)
                print_count(json, "mismatched", bad);
            if (!rc && bad)
                rc = err_set(&c.err, ERR_CONFLICT, "", "%lld balances differ from their ledger",
                             (long long)bad);
            break;
        case 3:
            rc = loyalty_balance(&c, id, &out);
            break;
        case 4:
            rc = loyalty_enrol(&c, id, NULL, &out);
            break;
        default:
            rc = loyalty_award(&c, id, points, reason, ref, &out);
            break;
        }
    }
    if (rc)
        rc = cli_fail(&c.err);
    else if (out)
        cli_print_json(out);
    app_release(&a);
    return rc;
}

int cmd_survey(int argc, char **argv)
{
    const char *db = cli_default_db();
    int json = 0;
    const char *pos[2];
    int np = 0;
    const struct optdef defs[] = {{"db", &db}, {"json", NULL, &json}, {NULL}};
    int rc = cli_parse("survey", argc, argv, defs, pos, 2, &np);
    if (rc)
        return rc;
    int results = np == 2 && !strcmp(pos[0], "results");
    if (!results && !(np == 1 && !strcmp(pos[0], "ticket-csat"))) {
        cli_usage("survey", 1);
        return EXIT_USAGE;
    }
    int64_t id = 0;
    if (results && (rc = parse_id(pos[1], &id)))
        return rc;
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    rc = ctx_init(&c, &a, NULL);
    json_t *out = NULL;
    int n = 0;
    if (!rc && results)
        rc = survey_results(&c, id, &out);
    else if (!rc)
        rc = survey_invite_resolved(&c, &n);
    if (rc)
        rc = cli_fail(&c.err);
    else if (out)
        cli_print_json(out);
    else
        print_count(json, "invited", n);
    app_release(&a);
    return rc;
}
