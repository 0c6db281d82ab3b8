/* relatio segment list|show|count|members|create|update|delete|refresh|groups|fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/segments.h"
#include "app/targeting.h"
#include "cli/cli.h"

struct opts {
    const char *expr, *name, *description, *limit, *every;
    int json, csv, is_static;
    const char *pos[2];
    int np;
};

/* A CSV field, quoted when it needs to be. */
static void csv_field(const char *s, int last)
{
    s = s ? s : "";
    if (strpbrk(s, ",\"\r\n")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}

static int print_list(json_t *out, int json)
{
    if (json) {
        cli_print_json(out);
        return EXIT_OK;
    }
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(out, "items"), i, it)
    {
        const char *grp = json_string_value(json_object_get(it, "group"));
        const char *expr = json_string_value(json_object_get(it, "expr"));
        printf("%-6lld %-28s %-8s %9lld  %s%s%s\n",
               (long long)json_integer_value(json_object_get(it, "id")),
               json_string_value(json_object_get(it, "name")),
               json_string_value(json_object_get(it, "kind")),
               (long long)json_integer_value(json_object_get(it, "member_count")), grp ? "[" : "",
               grp ? grp : "", grp ? "] " : "");
        if (expr)
            printf("       %s\n", expr);
    }
    json_decref(out);
    return EXIT_OK;
}

/* The members of a segment or expression: ids (default), --csv rows, --json. */
static int print_members(struct ctx *c, int64_t *ids, size_t n, const struct opts *o)
{
    long limit = o->limit ? strtol(o->limit, NULL, 10) : 0;
    if (limit > 0 && (size_t)limit < n)
        n = (size_t)limit;
    if (!o->csv && !o->json) {
        for (size_t i = 0; i < n; i++)
            printf("%lld\n", (long long)ids[i]);
        return EXIT_OK;
    }
    if (o->csv)
        printf("id,display_name,email,city,country,lifecycle,orders_count,revenue_minor\n");
    else
        printf("[");
    for (size_t i = 0; i < n; i += 500) {
        json_t *rows = NULL;
        if (segment_member_rows(c, ids + i, n - i < 500 ? n - i : 500, &rows))
            return cli_fail(&c->err);
        size_t k;
        json_t *r;
        json_array_foreach(rows, k, r)
        {
            if (o->json) {
                char *txt = json_dumps(r, JSON_COMPACT);
                printf("%s\n  %s", i + k ? "," : "", txt ? txt : "null");
                free(txt);
                continue;
            }
            char num[3][32];
            snprintf(num[0], sizeof(num[0]), "%lld",
                     (long long)json_integer_value(json_object_get(r, "id")));
            snprintf(num[1], sizeof(num[1]), "%lld",
                     (long long)json_integer_value(json_object_get(r, "orders_count")));
            snprintf(num[2], sizeof(num[2]), "%lld",
                     (long long)json_integer_value(json_object_get(r, "revenue_minor")));
            csv_field(num[0], 0);
            csv_field(json_string_value(json_object_get(r, "display_name")), 0);
            csv_field(json_string_value(json_object_get(r, "email")), 0);
            csv_field(json_string_value(json_object_get(r, "city")), 0);
            csv_field(json_string_value(json_object_get(r, "country")), 0);
            csv_field(json_string_value(json_object_get(r, "lifecycle")), 0);
            csv_field(num[1], 0);
            csv_field(num[2], 1);
        }
        json_decref(rows);
        if (n > 5000)
            cli_progress("members", (double)(i + 500) / (double)n, NULL);
    }
    if (o->json)
        printf("\n]\n");
    return EXIT_OK;
}

static int run(struct ctx *c, const char *verb, struct opts *o)
{
    json_t *out = NULL;
    int64_t id = 0;
    int rc = 0;
    const char *target = o->np > 1 ? o->pos[1] : NULL;
    if (!strcmp(verb, "list")) {
        rc = segment_list(c, &out);
        return rc ? cli_fail(&c->err) : print_list(out, o->json);
    }
    if (!strcmp(verb, "fields")) {
        rc = segment_fields_json(c, &out);
        if (rc)
            return cli_fail(&c->err);
        cli_print_json(out);
        return EXIT_OK;
    }
    if (!strcmp(verb, "groups")) {
        rc = targeting_groups(c, &out);
        if (rc)
            return cli_fail(&c->err);
        if (o->json) {
            cli_print_json(out);
            return EXIT_OK;
        }
        size_t i;
        json_t *g;
        json_array_foreach(json_object_get(out, "groups"), i, g)
        {
            json_t *err = json_object_get(g, "error");
            printf("%-15s %-26s %9lld %14.2f  %s\n", json_string_value(json_object_get(g, "key")),
                   json_string_value(json_object_get(g, "name")),
                   (long long)json_integer_value(json_object_get(g, "count")),
                   json_number_value(json_object_get(g, "revenue")),
                   err ? json_string_value(err) : json_string_value(json_object_get(g, "expr")));
        }
        json_decref(out);
        return EXIT_OK;
    }
    if (!strcmp(verb, "count") || (!strcmp(verb, "members") && o->expr)) {
        const char *expr = o->expr;
        char *owned = NULL;
        if (!expr && target) { /* a saved segment's expression */
            if ((rc = segment_find(c, target, &id)) || (rc = segment_get(c, id, &out)))
                return cli_fail(&c->err);
            const char *e = json_string_value(json_object_get(out, "expr"));
            owned = e ? strdup(e) : NULL;
            json_decref(out);
            expr = owned;
        }
        if (!expr) {
            fprintf(stderr, "error: give --expr EXPRESSION or a segment name\n");
            return EXIT_USAGE;
        }
        int64_t *ids = NULL;
        size_t n = 0;
        rc =
            segment_eval_expr(c, expr, &ids, &n, isatty(2) || o->every ? cli_progress : NULL, NULL);
        free(owned);
        if (rc)
            return cli_fail(&c->err);
        if (!strcmp(verb, "count")) {
            if (o->json)
                printf("{\"count\": %zu}\n", n);
            else
                printf("%zu\n", n);
            free(ids);
            return EXIT_OK;
        }
        rc = print_members(c, ids, n, o);
        free(ids);
        return rc;
    }
    if (!strcmp(verb, "create")) {
        if (!o->name) {
            fprintf(stderr, "error: --name is required\n");
            return EXIT_USAGE;
        }
        json_t *in =
            json_pack("{s:s,s:s}", "name", o->name, "kind", o->is_static ? "static" : "dynamic");
        if (o->expr)
            json_object_set_new(in, "expr", json_string(o->expr));
        if (o->description)
            json_object_set_new(in, "description", json_string(o->description));
        rc = segment_create(c, in, &out);
        json_decref(in);
        if (rc)
            return cli_fail(&c->err);
        if (o->json)
            cli_print_json(out);
        else {
            printf("%lld\n", (long long)json_integer_value(json_object_get(out, "id")));
            json_decref(out);
        }
        return EXIT_OK;
    }
    if (!strcmp(verb, "refresh")) {
        long every = o->every ? strtol(o->every, NULL, 10) : 0;
        for (;;) {
            int64_t changed = 0;
            rc = segments_refresh(c, !every, &changed);
            if (rc)
                return cli_fail(&c->err);
            fprintf(stderr, "relatio: segments refreshed, %lld entries and exits\n",
                    (long long)changed);
            if (every <= 0)
                return EXIT_OK;
            sleep((unsigned)every);
        }
    }
    /* the verbs on one saved segment */
    if (!target) {
        fprintf(stderr, "error: name the segment (id or name)\n");
        return EXIT_USAGE;
    }
    if (segment_find(c, target, &id))
        return cli_fail(&c->err);
    if (!strcmp(verb, "show")) {
        rc = segment_get(c, id, &out);
        if (rc)
            return cli_fail(&c->err);
        cli_print_json(out);
        return EXIT_OK;
    }
    if (!strcmp(verb, "members")) {
        int64_t *ids = NULL;
        size_t n = 0;
        if (segment_members(c, id, &ids, &n))
            return cli_fail(&c->err);
        rc = print_members(c, ids, n, o);
        free(ids);
        return rc;
    }
    if (!strcmp(verb, "update")) {
        json_t *in = json_object();
        if (o->expr)
            json_object_set_new(in, "expr", json_string(o->expr));
        if (o->name)
            json_object_set_new(in, "name", json_string(o->name));
        if (o->description)
            json_object_set_new(in, "description", json_string(o->description));
        rc = segment_update(c, id, in, &out);
        json_decref(in);
        if (rc)
            return cli_fail(&c->err);
        cli_print_json(out);
        return EXIT_OK;
    }
    if (!strcmp(verb, "delete"))
        return segment_delete(c, id) ? cli_fail(&c->err) : EXIT_OK;
    cli_usage("segment", 1);
    return EXIT_USAGE;
}

int cmd_segment(int argc, char **argv)
{
    const char *db = cli_default_db();
    struct opts o = {0};
    const struct optdef defs[] = {{"db", &db},
                                  {"expr", &o.expr},
                                  {"name", &o.name},
                                  {"description", &o.description},
                                  {"limit", &o.limit},
                                  {"every", &o.every},
                                  {"json", NULL, &o.json},
                                  {"csv", NULL, &o.csv},
                                  {"static", NULL, &o.is_static},
                                  {NULL}};
    int rc = cli_parse("segment", argc, argv, defs, o.pos, 2, &o.np);
    if (rc)
        return rc;
    if (o.np < 1) {
        cli_usage("segment", 1);
        return EXIT_USAGE;
    }
    char *end = NULL;
    if ((o.limit && (strtol(o.limit, &end, 10) < 1 || *end)) ||
        (o.every && (strtol(o.every, &end, 10) < 1 || *end))) {
        fprintf(stderr, "error: --limit and --every take a positive number\n");
        return EXIT_USAGE;
    }
    struct app a;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    struct ctx c;
    rc = ctx_init(&c, &a, NULL);
    rc = rc ? cli_fail(&c.err) : run(&c, o.pos[0], &o);
    app_release(&a);
    return rc;
}
