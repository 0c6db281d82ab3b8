/* Unit tests for channels/template: merge fields, fallbacks, conditionals,
 * loops, HTML escaping, and errors with their line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "channels/template.h"

static const char *const fields[] = {"first_name",
                                     "last_name",
                                     "city",
                                     "lang",
                                     "offer",
                                     "recommendations.name",
                                     "recommendations.price",
                                     NULL};

static char *render(const char *src, const char *vars_json, int html)
{
    struct template *t = NULL;
    struct err e = {0};
    int rc = template_parse(&t, src, fields, "body", NULL, &e);
    if (rc)
        fail_msg("parse failed: %s", e.msg);
    json_t *vars = json_loads(vars_json, 0, NULL);
    assert_non_null(vars);
    char *out = template_render(t, vars, html);
    json_decref(vars);
    template_free(t);
    return out;
}

static void expect(const char *src, const char *vars, const char *want)
{
    char *out = render(src, vars, 0);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void expect_error(const char *src, const char *msg_part, size_t want_pos)
{
    struct template *t = NULL;
    struct err e = {0};
    size_t pos = 9999;
    assert_int_equal(template_parse(&t, src, fields, "body_fr", &pos, &e), ERR_INVALID);
    assert_null(t);
    assert_string_equal(e.field, "body_fr");
    if (!strstr(e.msg, msg_part))
        fail_msg("'%s' does not contain '%s'", e.msg, msg_part);
    assert_int_equal(pos, want_pos);
}

static void test_merge_and_fallback(void **state)
{
    (void)state;
    expect("Bonjour {{ first_name }} !", "{\"first_name\":\"Hélène\"}", "Bonjour Hélène !");
    expect("Bonjour {{first_name | \"cher client\"}},", "{}", "Bonjour cher client,");
    expect("Bonjour {{first_name | \"cher client\"}},", "{\"first_name\":\"\"}",
           "Bonjour cher client,");
    expect("{{ city }}", "{\"city\":null}", "");
    expect("no tags at all { } %", "{}", "no tags at all { } %");
    expect("", "{}", "");
}

static void test_conditionals(void **state)
{
    (void)state;
    const char *src = "{% if lang == \"fr\" %}Bonjour{% else %}Hello{% endif %} {{first_name}}";
    expect(src, "{\"lang\":\"fr\",\"first_name\":\"Jean\"}", "Bonjour Jean");
    expect(src, "{\"lang\":\"en\",\"first_name\":\"John\"}", "Hello John");
    expect("{% if city %}à {{city}}{% endif %}.", "{\"city\":\"Lyon\"}", "à Lyon.");
    expect("{% if city %}à {{city}}{% endif %}.", "{}", ".");
    expect("{% if lang != \"fr\" %}EN{% endif %}", "{\"lang\":\"fr\"}", "");
    expect("{% if offer %}{% if city %}A{% else %}B{% endif %}{% else %}C{% endif %}",
           "{\"offer\":\"x\"}", "B");
}

static void test_loops(void **state)
{
    (void)state;
    const char *src = "{% for p in recommendations %}- {{ p.name }} ({{p.price}})\n{% endfor %}";
    expect(src,
           "{\"recommendations\":[{\"name\":\"Crème\",\"price\":\"12,00 €\"},"
           "{\"name\":\"Sérum\",\"price\":\"30,00 €\"}]}",
           "- Crème (12,00 €)\n- Sérum (30,00 €)\n");
    expect(src, "{\"recommendations\":[]}", "");
    expect(src, "{}", "");
    expect("{% if recommendations %}yes{% else %}none{% endif %}", "{\"recommendations\":[]}",
           "none");
}

static void test_html_escaping(void **state)
{
    (void)state;
    char *out = render("<p>{{first_name}}</p>", "{\"first_name\":\"<script>&\\\"'\"}", 1);
    assert_string_equal(out, "<p>&lt;script&gt;&amp;&quot;&#39;</p>");
    free(out);
    out = render("<p>{{first_name}}</p>", "{\"first_name\":\"<b>\"}", 0);
    assert_string_equal(out, "<p><b></p>");
    free(out);
}

static void test_errors_with_position(void **state)
{
    (void)state;
    expect_error("Bonjour {{ frist_name }}", "line 1, column 12: unknown merge field 'frist_name'",
                 11);
    expect_error("Hi\n  {{ first_name", "line 2, column 3: '{{' without '}}'", 5);
    expect_error("{% if city %}x", "line 1, column 1: 'if' without 'endif'", 0);
    expect_error("x{% endif %}", "'endif' without 'if'", 1);
    expect_error("{% else %}", "'else' outside an 'if'", 0);
    expect_error("{% if city %}a{% else %}b{% else %}c{% endif %}", "a second 'else'", 25);
    expect_error("{% for p in recommendations %}{{ p.colour }}{% endfor %}",
                 "unknown merge field 'p.colour'", 33);
    expect_error("{% for p in products %}{% endfor %}", "unknown list 'products'", 12);
    expect_error("{% while x %}", "unknown tag 'while'", 3);
    expect_error("{{ first_name | cher }}", "expected a fallback in double quotes", 16);
    expect_error("{% if lang = \"fr\" %}{% endif %}", "expected '%}', '==' or '!='", 11);
    expect_error("{{ }}", "expected a merge field name", 3);
    expect_error("é{{ x }}", "line 1, column 5: unknown merge field 'x'", 5);
    expect_error("{% for p in recommendations %}x{% endif %}", "this closes a 'for' wrongly", 31);
}

static void test_fields_listed(void **state)
{
    (void)state;
    struct template *t = NULL;
    struct err e;
    assert_int_equal(template_parse(&t, "{{first_name}} {% if city %}{{first_name}}{% endif %}",
                                    fields, "b", NULL, &e),
                     0);
    json_t *f = template_fields(t);
    assert_int_equal(json_array_size(f), 2);
    assert_string_equal(json_string_value(json_array_get(f, 0)), "first_name");
    assert_string_equal(json_string_value(json_array_get(f, 1)), "city");
    json_decref(f);
    template_free(t);
}

static void test_limits(void **state)
{
    (void)state;
    /* nesting deeper than the limit is an error, not a stack overflow */
    char src[512] = "";
    for (int i = 0; i < TEMPLATE_MAX_DEPTH + 1; i++)
        strcat(src, "{% if city %}");
    struct template *t = NULL;
    struct err e;
    assert_int_equal(template_parse(&t, src, fields, "b", NULL, &e), ERR_INVALID);
    assert_non_null(strstr(e.msg, "nested too deeply"));
    /* output over the cap gives NULL */
    char *big = malloc(TEMPLATE_MAX_SRC);
    memset(big, 'x', TEMPLATE_MAX_SRC - 100);
    strcpy(big + TEMPLATE_MAX_SRC - 100, "{% for p in recommendations %}");
    strcat(big, "{{p.name}}{% endfor %}");
    assert_int_equal(template_parse(&t, big, fields, "b", NULL, &e), 0);
    json_t *items = json_array();
    for (int i = 0; i < 20; i++)
        json_array_append_new(items, json_pack("{s:s}", "name", "y"));
    json_t *v = json_pack("{s:o}", "recommendations", items);
    char *out = template_render(t, v, 0);
    assert_non_null(out); /* ~64 KB fine */
    free(out);
    template_free(t);
    /* a loop whose items are huge is capped */
    memset(big, 'x', 60000);
    big[60000] = 0;
    json_t *v2 = json_pack("{s:[]}", "recommendations");
    for (int i = 0; i < 40; i++)
        json_array_append_new(json_object_get(v2, "recommendations"),
                              json_pack("{s:s}", "name", big));
    assert_int_equal(template_parse(&t, "{% for p in recommendations %}{{p.name}}{% endfor %}",
                                    fields, "b", NULL, &e),
                     0);
    assert_null(template_render(t, v2, 0));
    template_free(t);
    json_decref(v);
    json_decref(v2);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_and_fallback),
        cmocka_unit_test(test_conditionals),
        cmocka_unit_test(test_loops),
        cmocka_unit_test(test_html_escaping),
        cmocka_unit_test(test_errors_with_position),
        cmocka_unit_test(test_fields_listed),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
