/* relatio textmine: refreshes the text-mining index (since the last refresh,
 * or --since) and prints the top terms, emerging topics and the words of low
 * satisfaction of a period. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/textmining.h"
#include "cli/cli.h"
#include "util/timeu.h"

static void print_list(const char *title, json_t *list, const char *num, const char *fmt)
{
    printf("%s\n", title);
    if (!json_array_size(list))
        printf("  (none)\n");
    size_t i;
    json_t *t;
    json_array_foreach(list, i, t)
    {
        printf("  %-32s ", json_string_value(json_object_get(t, "label")));
        printf(fmt, json_number_value(json_object_get(t, num)));
        printf("\n");
    }
}

static void print_text(json_t *refresh, json_t *terms, json_t *emerging, json_t *sat)
{
    printf("indexed %s..%s: %lld texts, %lld words\n",
           json_string_value(json_object_get(refresh, "from")),
           json_string_value(json_object_get(refresh, "to")),
           (long long)json_integer_value(json_object_get(refresh, "documents")),
           (long long)json_integer_value(json_object_get(refresh, "words")));
    printf("period %s..%s (%s): %lld texts\n", json_string_value(json_object_get(terms, "from")),
           json_string_value(json_object_get(terms, "to")),
           json_string_value(json_object_get(terms, "source")),
           (long long)json_integer_value(json_object_get(terms, "documents")));
    print_list("top terms (tf-idf)", json_object_get(terms, "terms"), "tfidf", "%.4f");
    print_list("top phrases (tf-idf)", json_object_get(terms, "phrases"), "tfidf", "%.4f");
    print_list("emerging topics (lift)", json_object_get(emerging, "topics"), "lift", "x%.2f");
    print_list("low-satisfaction words (mean minus overall)", json_object_get(sat, "terms"),
               "diff", "%+.3f");
}

int cmd_textmine(int argc, char **argv)
{
    const char *db = cli_default_db(), *since_s = NULL, *until_s = NULL, *period = NULL,
               *source = NULL, *category = NULL, *limit_s = NULL;
    int json = 0, np = 0;
    const struct optdef defs[] = {{"db", &db},         {"since", &since_s},
                                  {"until", &until_s}, {"period", &period},
                                  {"source", &source}, {"category", &category},
                                  {"limit", &limit_s}, {"json", NULL, &json},
                                  {NULL}};
    int rc = cli_parse("textmine", argc, argv, defs, NULL, 0, &np);
    if (rc)
        return rc;
    int32_t since = INT32_MIN, until = INT32_MIN;
    if ((since_s && date_parse(since_s, &since)) || (until_s && date_parse(until_s, &until))) {
        fprintf(stderr, "error: --since and --until take a date YYYY-MM-DD\n");
        return EXIT_USAGE;
    }
    int limit = 20;
    if (limit_s) {
        char *end = NULL;
        long v = strtol(limit_s, &end, 10);
        if (!end || *end || v < 1 || v > 200) {
            fprintf(stderr, "error: --limit must be between 1 and 200\n");
            return EXIT_USAGE;
        }
        limit = (int)v;
    }
    struct app a;
    struct ctx c;
    struct err e = {0};
    if (app_init(&a, db, &e))
        return cli_fail(&e);
    ctx_init(&c, &a, NULL);
    snprintf(c.actor.email, sizeof(c.actor.email), "cli textmine");
    json_t *refresh = NULL, *terms = NULL, *emerging = NULL, *sat = NULL;
    struct textmining_query q = {source, period, category, limit, 0, 0};
    rc = textmining_refresh(&c, since, until, json ? NULL : cli_progress, NULL, &refresh);
    if (!rc)
        rc = textmining_terms(&c, &q, &terms);
    if (!rc)
        rc = textmining_emerging(&c, &q, &emerging);
    if (!rc)
        rc = textmining_satisfaction(&c, &q, &sat);
    if (rc) {
        rc = cli_fail(&c.err);
    } else if (json) {
        cli_print_json(json_pack("{s:o,s:o,s:o,s:o}", "refresh", refresh, "terms", terms,
                                 "emerging", emerging, "satisfaction", sat));
        refresh = terms = emerging = sat = NULL;
    } else {
        print_text(refresh, terms, emerging, sat);
    }
    json_decref(refresh);
    json_decref(terms);
    json_decref(emerging);
    json_decref(sat);
    app_release(&a);
    return rc;
}
