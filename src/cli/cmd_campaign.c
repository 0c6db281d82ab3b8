/*
 * relatio campaign list | show ID | preview ID | send ID | results ID |
 * send-queue: the campaign service and the send queue worker from the
 * terminal (send launches; send-queue delivers what is due, then exits).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/campaigns.h"
#include "app/sendq.h"
#include "cli/cli.h"

static int parse_id(const char *s, int64_t *id)
{
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !end || *end || v <= 0) {
        fprintf(stderr, "error: a campaign id is a positive number\n");
        return EXIT_USAGE;
    }
    *id = v;
    return 0;
}

int cmd_campaign(int argc, char **argv)
{
    const char *db = cli_default_db(), *max_s = NULL;
    const char *pos[2];
    int np = 0, json = 0;
    const struct optdef defs[] = {
        {"db", &db}, {"json", NULL, &json}, {"max-seconds", &max_s}, {NULL}};
    int rc = cli_parse("campaign", argc, argv, defs, pos, 2, &np);
    if (rc)
        return rc;
    if (np < 1) {
        cli_usage("campaign", 1);
        return EXIT_USAGE;
    }
    const char *sub = pos[0];
    int needs_id = strcmp(sub, "list") && strcmp(sub, "send-queue");
    int64_t id = 0;
    if (needs_id && (np != 2 || parse_id(pos[1], &id))) {
        cli_usage("campaign", 1);
        return EXIT_USAGE;
    }
    if (!needs_id && np != 1) {
        cli_usage("campaign", 1);
        return EXIT_USAGE;
    }
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    rc = ctx_init(&c, &a, NULL);
    json_t *out = NULL;
    if (!rc) {
        if (!strcmp(sub, "list"))
            rc = campaign_list(&c, 0, 500, &out);
        else if (!strcmp(sub, "show"))
            rc = campaign_get(&c, id, &out);
        else if (!strcmp(sub, "preview"))
            rc = campaign_preview(&c, id, &out);
        else if (!strcmp(sub, "send"))
            rc = campaign_launch(&c, id, &out);
        else if (!strcmp(sub, "results"))
            rc = campaign_results(&c, id, &out);
        else if (!strcmp(sub, "send-queue")) {
            struct sendq_stats st = {0};
            long secs = max_s ? strtol(max_s, NULL, 10) : 0;
            rc = sendq_drain(&c, secs > 0 ? (int)secs : 3600, &st);
            if (!rc)
                out = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "sent", (json_int_t)st.sent, "bounced",
                                (json_int_t)st.bounced, "retried", (json_int_t)st.retried, "failed",
                                (json_int_t)st.failed, "cancelled", (json_int_t)st.cancelled,
                                "reclaimed", (json_int_t)st.reclaimed);
        } else {
            fprintf(stderr, "error: unknown subcommand '%s'\n", sub);
            cli_usage("campaign", 1);
            app_release(&a);
            return EXIT_USAGE;
        }
    }
    if (rc) {
        rc = cli_fail(&c.err);
        app_release(&a);
        return rc;
    }
    if (json || strcmp(sub, "send-queue")) {
        cli_print_json(out);
    } else {
        json_t *v;
        const char *k;
        json_object_foreach(out, k, v) printf("%-10s %lld\n", k, (long long)json_integer_value(v));
        json_decref(out);
    }
    app_release(&a);
    return EXIT_OK;
}
