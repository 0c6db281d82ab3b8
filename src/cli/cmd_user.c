/* relatio user add|passwd|list, relatio token create. */
#include <stdio.h>
#include <string.h>

#include "app/users.h"
#include "cli/cli.h"

/* Reads one line (the password) from stdin, without its newline. */
static int read_password(char *buf, size_t len)
{
    if (!fgets(buf, (int)len, stdin))
        return -1;
    buf[strcspn(buf, "\r\n")] = 0;
    return 0;
}

static int open_ctx(const char *db, struct app *a, struct ctx *c)
{
    struct err e = {0};
    if (app_init(a, db, &e))
        return cli_fail(&e);
    if (ctx_init(c, a, NULL)) {
        int rc = cli_fail(&c->err);
        app_release(a);
        return rc;
    }
    snprintf(c->actor.email, sizeof(c->actor.email), "cli");
    return 0;
}

int cmd_user(int argc, char **argv)
{
    const char *db = cli_default_db(), *email = NULL, *name = NULL, *role = NULL, *pw = NULL;
    int pw_stdin = 0, json = 0;
    const char *pos[1];
    int np = 0;
    const struct optdef defs[] = {{"db", &db},           {"email", &email},
                                  {"name", &name},       {"role", &role},
                                  {"password", &pw},     {"password-stdin", NULL, &pw_stdin},
                                  {"json", NULL, &json}, {NULL}};
    int rc = cli_parse("user", argc, argv, defs, pos, 1, &np);
    if (rc)
        return rc;
    if (np != 1 || (strcmp(pos[0], "add") && strcmp(pos[0], "passwd") && strcmp(pos[0], "list"))) {
        cli_usage("user", 1);
        return EXIT_USAGE;
    }
    char buf[1100];
    if (pw_stdin) {
        if (read_password(buf, sizeof(buf))) {
            fprintf(stderr, "error: no password on standard input\n");
            return EXIT_USAGE;
        }
        pw = buf;
    }
    if (strcmp(pos[0], "list") && (!email || !pw)) {
        fprintf(stderr, "error: --email and a password (--password-stdin) are required\n");
        return EXIT_USAGE;
    }
    struct app a;
    struct ctx c;
    rc = open_ctx(db, &a, &c);
    if (rc)
        return rc;
    if (!strcmp(pos[0], "add")) {
        int64_t id = 0;
        rc = user_add(&c, email, name, role ? role : "", pw, &id);
        if (!rc)
            printf(json ? "{\"id\": %lld}\n" : "user %lld created\n", (long long)id);
    } else if (!strcmp(pos[0], "passwd")) {
        rc = user_passwd(&c, email, pw);
        if (!rc && !json)
            printf("password changed\n");
    } else {
        json_t *out = NULL;
        rc = user_list(&c, &out);
        if (!rc && json) {
            cli_print_json(out);
        } else if (!rc) {
            size_t i;
            json_t *u;
            json_array_foreach(json_object_get(out, "items"), i, u) printf(
                "%-5lld %-32s %-10s %s\n", (long long)json_integer_value(json_object_get(u, "id")),
                json_string_value(json_object_get(u, "email")),
                json_string_value(json_object_get(u, "role")),
                json_string_value(json_object_get(u, "name")));
            json_decref(out);
        }
    }
    rc = rc ? cli_fail(&c.err) : EXIT_OK;
    app_release(&a);
    return rc;
}

int cmd_token(int argc, char **argv)
{
    const char *db = cli_default_db(), *name = NULL;
    const char *pos[2];
    int np = 0;
    const struct optdef defs[] = {{"db", &db}, {"name", &name}, {NULL}};
    int rc = cli_parse("token", argc, argv, defs, pos, 2, &np);
    if (rc)
        return rc;
    if (np != 2 || strcmp(pos[0], "create")) {
        cli_usage("token", 1);
        return EXIT_USAGE;
    }
    struct app a;
    struct ctx c;
    rc = open_ctx(db, &a, &c);
    if (rc)
        return rc;
    char token[65];
    int64_t id = 0;
    rc = token_create(&c, pos[1], name, token, &id);
    if (!rc)
        printf("%s\n", token);
    rc = rc ? cli_fail(&c.err) : EXIT_OK;
    app_release(&a);
    return rc;
}
