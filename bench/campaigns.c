/*
 * Campaign benchmark: a campaign to every person of a demo database (100k by
 * default): audience, the pre-send checks, personalisation (fr/en templates
 * with conditionals, HTML, signed links) and the send queue, timed through
 * the service (campaign_preview without writes, campaign_launch with them);
 * then delivery to a real local SMTP server for a few seconds.
 *   campaigns DB [SMTP_URL SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/campaigns.h"
#include "app/sendq.h"
#include "store/store.h"
#include "util/log.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void row(const char *k, const char *fmt, double v, const char *unit)
{
    char b[64];
    snprintf(b, sizeof(b), fmt, v);
    printf("%-52s %s %s\n", k, b, unit);
}

static int die(struct ctx *c, const char *what)
{
    fprintf(stderr, "campaigns bench: %s: %s %s\n", what, c->err.field, c->err.msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: campaigns DB [SMTP_URL SECONDS]\n");
        return 1;
    }
    log_set_level(LOG_ERROR);
    struct app a;
    struct err e = {0};
    if (app_init(&a, argv[1], &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    struct ctx c;
    ctx_init(&c, &a, NULL);
    /* opt-in for those the demo never asked (the ledger's latest decision wins) */
    if (store_exec(c.st,
                   "INSERT INTO consents(customer_id, at, channel, purpose, granted, legal_basis, "
                   "source) SELECT id, strftime('%s','now'), 'email', 'marketing', 1, 'consent', "
                   "'bench' FROM customers c WHERE kind = 'person' AND email IS NOT NULL AND NOT "
                   "EXISTS (SELECT 1 FROM consents k WHERE k.customer_id = c.id AND k.channel = "
                   "'email' AND k.purpose = 'marketing')",
                   &c.err))
        return die(&c, "consents");
    json_t *set = json_pack("{s:n,s:n,s:s,s:i}", "quiet_start", "quiet_end", "public_url",
                            "https://crm.example.org", "rate_per_sec", 0);
    json_t *out = NULL;
    if (campaign_settings_set(&c, set, &out))
        return die(&c, "settings");
    json_decref(set);
    json_decref(out);
    json_t *ids = json_array();
    struct stmt *s = NULL;
    store_query(c.st, &s, NULL,
                "SELECT id FROM customers WHERE kind = 'person' ORDER BY id LIMIT 100000", "");
    while (stmt_step(s, NULL) == 1)
        json_array_append_new(ids, json_integer(stmt_int(s, 0)));
    stmt_done(s);
    size_t n = json_array_size(ids);
    json_t *cam = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:o}", "name", "Bench", "channel", "email",
        "offer", "Spa weekend", "subject_fr", "{{ first_name | \"Bonjour\" }}, -20 % sur le spa",
        "subject_en", "{{ first_name | \"Hello\" }}, 20% off the spa", "body_fr",
        "Bonjour {{ first_name | \"cher client\" }},\n{% if city %}Notre spa de {{ city }} vous "
        "attend.{% else %}Nos spas vous attendent.{% endif %}\nVoir : {{ landing_url }}\nSe "
        "désinscrire : {{ unsubscribe_url }}\n",
        "body_en",
        "Hello {{ first_name | \"dear customer\" }},\n{% if city %}Our spa in {{ city }} is "
        "waiting.{% endif %}\n{{ landing_url }}\nUnsubscribe: {{ unsubscribe_url }}\n",
        "html_fr",
        "<p>Bonjour {{ first_name }},</p><p><a href=\"{{ landing_url }}\">-20 %</a></p><p><a "
        "href=\"{{ unsubscribe_url }}\">désinscription</a></p>",
        "landing_url", "https://shop.example.org/spa", "control_pct", 10, "seed", 42,
        "customer_ids", ids);
    if (campaign_create(&c, cam, &out))
        return die(&c, "create");
    int64_t id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    json_decref(cam);

    printf("== campaigns (%zu recipients, %s)\n", n, argv[1]);
    double t0 = now_s(), u0 = cpu_s();
    if (campaign_preview(&c, id, &out))
        return die(&c, "preview");
    double t1 = now_s(), u1 = cpu_s();
    row("preview: audience + checks + rendering (no writes)", "%.0f", (double)n / (t1 - t0),
        "recipients/s (wall)");
    row("", "%.0f", (double)n / (u1 - u0), "recipients/s (per CPU second)");
    json_decref(out);
    t0 = now_s();
    u0 = cpu_s();
    if (campaign_launch(&c, id, &out))
        return die(&c, "launch");
    t1 = now_s();
    u1 = cpu_s();
    json_t *l = json_object_get(out, "launch");
    int64_t queued = json_integer_value(json_object_get(l, "queued"));
    row("launch: recipients decided", "%.0f", (double)n, "");
    row("  queued / control / excluded", "%.0f", (double)queued, "");
    printf("%-52s %lld / %lld\n", "", (long long)json_integer_value(json_object_get(l, "control")),
           (long long)json_integer_value(json_object_get(l, "excluded")));
    char *reasons = json_dumps(json_object_get(l, "excluded_by_reason"), JSON_COMPACT);
    printf("%-52s %s\n", "  exclusions", reasons);
    free(reasons);
    row("launch: wall time (one transaction)", "%.2f", t1 - t0, "s");
    row("launch: checks + personalisation + queue", "%.0f", (double)n / (t1 - t0),
        "recipients/s (wall)");
    row("launch: messages into the queue", "%.0f", (double)queued / (t1 - t0), "messages/s (wall)");
    row("launch: checks + personalisation + queue", "%.0f", (double)n / (u1 - u0),
        "recipients/s (per CPU second)");
    json_decref(out);

    if (argc >= 4) {
        set = json_pack("{s:s,s:s}", "smtp_url", argv[2], "from", "Bench <bench@example.org>");
        if (campaign_settings_set(&c, set, &out))
            return die(&c, "settings");
        json_decref(set);
        json_decref(out);
        struct sendq_stats st = {0};
        int secs = atoi(argv[3]);
        t0 = now_s();
        if (sendq_drain(&c, secs > 0 ? secs : 10, &st))
            return die(&c, "send queue");
        t1 = now_s();
        row("delivery to the local SMTP server (aiosmtpd)", "%.0f", (double)st.sent / (t1 - t0),
            "messages/s");
        printf("%-52s %lld sent in %.1f s, %lld retried, %lld bounced\n", "", (long long)st.sent,
               t1 - t0, (long long)st.retried, (long long)st.bounced);
    }
    app_release(&a);
    return 0;
}
