/* relatio serve / relatio demo: start the server, after generating demo data. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/analytics.h"
#include "app/segments.h"
#include "app/demo.h"
#include "app/sendq.h"
#include "app/tickets.h"
#include "app/rules_engine.h"
#include "app/users.h"
#include "app/jobs.h"
#include "cli/cli.h"
#include "http/http.h"

static int parse_int(const char *s, long lo, long hi, long *out, const char *name)
{
    char *end = NULL;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !end || *end || v < lo || v > hi) {
        fprintf(stderr, "error: --%s must be a number between %ld and %ld\n", name, lo, hi);
        return EXIT_USAGE;
    }
    *out = v;
    return 0;
}

/* The web app's files: --web, else web/dist beside the working directory. */
static const char *web_root(const char *given)
{
    struct stat st;
    if (given)
        return given;
    if (stat("web/dist/index.html", &st) == 0)
        return "web/dist";
    return NULL;
}

/* Loads the analytics snapshot while the server already answers, so the
 * first profile read does not pay for it. */
static void *warm(void *arg)
{
    struct ctx c;
    if (ctx_init(&c, arg, NULL) == 0 && analytics_warm(&c) != 0)
        fprintf(stderr, "relatio: analytics warm-up: %s\n", c.err.msg);
    return NULL;
}

static int serve(struct app *a, const char *bind, const char *port_s, const char *web,
                 const char *threads_s)
{
    long port = 8080, threads = 0;
    if (port_s && parse_int(port_s, 0, 65535, &port, "port"))
        return EXIT_USAGE;
    if (threads_s && parse_int(threads_s, 1, 256, &threads, "threads"))
        return EXIT_USAGE;
    if (!threads)
        threads = sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 2;
    struct err e = {0};
    const char *root = web_root(web);
    fprintf(stderr, "relatio: serving %s on http://%s:%ld/%s\n", a->db_url,
            bind ? bind : "127.0.0.1", port, root ? "" : " (API only: no web app built)");
    pthread_t warmer;
    int warming = pthread_create(&warmer, NULL, warm, a) == 0;
    int scheduling = rules_scheduler_start(a, 1000) == 0; /* rules: events, waits, schedules */
    int segmenting = segments_scheduler_start(a, 300000) == 0; /* segment memberships */
    int servicing = service_scheduler_start(a) == 0; /* SLA sweep, support mailbox */
    struct sendq_worker sender; /* delivers the campaign send queue in the background */
    if (sendq_start(&sender, a))
        fprintf(stderr, "relatio: the send queue worker did not start\n");
    int rc = http_serve(a, bind ? bind : "127.0.0.1", (int)port, root, (int)threads, &e);
    sendq_stop(&sender);
    if (servicing)
        service_scheduler_stop();
    if (segmenting)
        segments_scheduler_stop();
    if (scheduling)
        rules_scheduler_stop();
    if (warming)
        pthread_join(warmer, NULL);
    jobs_finish(); /* imports sent through the API finish before the exit */
    return rc ? cli_fail(&e) : EXIT_OK;
}

int cmd_serve(int argc, char **argv)
{
    const char *db = cli_default_db(), *port = NULL, *bind = NULL, *web = NULL, *threads = NULL;
    const struct optdef defs[] = {{"db", &db},   {"port", &port},       {"bind", &bind},
                                  {"web", &web}, {"threads", &threads}, {NULL}};
    int rc = cli_parse("serve", argc, argv, defs, NULL, 0, NULL);
    if (rc)
        return rc;
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    rc = serve(&a, bind, port, web, threads);
    app_release(&a);
    return rc;
}

/* The demo's users, one per role; the admin's password is printed. */
static const struct {
    const char *email, *name, *role;
} demo_users[] = {
    {"admin@relatio.demo", "Alice Admin", "admin"},
    {"manager@relatio.demo", "Marc Manager", "manager"},
    {"sales@relatio.demo", "Sophie Ventes", "sales"},
    {"support@relatio.demo", "Samir Support", "support"},
    {"marketing@relatio.demo", "Mona Marketing", "marketing"},
    {"analyst@relatio.demo", "Anna Analyste", "analyst"},
};
#define DEMO_PASSWORD "relatio-demo"

int cmd_demo(int argc, char **argv)
{
    const char *db = "demo.db", *port = NULL, *bind = NULL, *web = NULL, *threads = NULL;
    const char *customers = NULL, *opc = NULL, *seed = NULL;
    int no_serve = 0;
    const struct optdef defs[] = {{"db", &db},
                                  {"port", &port},
                                  {"bind", &bind},
                                  {"web", &web},
                                  {"threads", &threads},
                                  {"customers", &customers},
                                  {"orders-per-customer", &opc},
                                  {"seed", &seed},
                                  {"no-serve", NULL, &no_serve},
                                  {NULL}};
    int rc = cli_parse("demo", argc, argv, defs, NULL, 0, NULL);
    if (rc)
        return rc;
    struct demo_opts o = {5000, 20, 3, 42};
    long v;
    if (customers && parse_int(customers, 1, 100000000, &v, "customers"))
        return EXIT_USAGE;
    if (customers)
        o.customers = v;
    if (opc && parse_int(opc, 0, 1000, &v, "orders-per-customer"))
        return EXIT_USAGE;
    if (opc)
        o.orders_per_customer = (double)v;
    if (seed && parse_int(seed, 0, 2147483647, &v, "seed"))
        return EXIT_USAGE;
    if (seed)
        o.seed = (uint64_t)v;
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    rc = ctx_init(&c, &a, NULL);
    if (!rc) {
        rc = demo_generate(&c, &o, cli_progress, NULL);
        if (rc == ERR_CONFLICT) {
            fprintf(stderr, "relatio: %s already holds data; serving it as it is\n", db);
            rc = 0;
        }
    }
    for (size_t i = 0; !rc && i < sizeof(demo_users) / sizeof(demo_users[0]); i++) {
        int64_t id;
        int urc = user_add(&c, demo_users[i].email, demo_users[i].name, demo_users[i].role,
                           DEMO_PASSWORD, &id);
        if (urc && urc != ERR_EXISTS)
            rc = urc;
    }
    if (rc) {
        rc = cli_fail(&c.err);
        app_release(&a);
        return rc;
    }
    fprintf(stderr, "relatio: demo database %s ready\n", db);
    fprintf(stderr,
            "relatio: sign in as %s with password %s (other roles: manager@, sales@, "
            "support@, marketing@, analyst@relatio.demo, same password)\n",
            demo_users[0].email, DEMO_PASSWORD);
    rc = no_serve ? EXIT_OK : serve(&a, bind, port, web, threads);
    app_release(&a);
    return rc;
}
