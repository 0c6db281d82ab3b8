/* Unit tests for the lead score arithmetic (app/leads.h lead_score_compute):
 * fit rules on profile fields (present, eq, in, gte, lte, the first
 * address's country), behaviour points per occurrence with caps, grades. */
#include <string.h>

#include "app/leads.h"
#undef fail /* app.h's shorthand; cmocka has its own */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static const char config[] =
    "{\"fit\":["
    "{\"field\":\"email\",\"op\":\"present\",\"points\":10},"
    "{\"field\":\"phone\",\"op\":\"present\",\"points\":10},"
    "{\"field\":\"kind\",\"op\":\"eq\",\"value\":\"organization\",\"points\":15},"
    "{\"field\":\"headcount\",\"op\":\"gte\",\"number\":50,\"points\":15},"
    "{\"field\":\"headcount\",\"op\":\"lte\",\"number\":10,\"points\":3},"
    "{\"field\":\"naf_code\",\"op\":\"in\",\"value\":\"47.71Z|47.75Z\",\"points\":20},"
    "{\"field\":\"country\",\"op\":\"eq\",\"value\":\"FR\",\"points\":5}],"
    "\"behaviour\":["
    "{\"source\":\"interaction\",\"kind\":\"interest\",\"points\":10,\"max\":30},"
    "{\"source\":\"event\",\"type\":\"page.viewed\",\"points\":1,\"max\":20}],"
    "\"window_days\":90,\"hot\":60,\"warm\":30}";

static json_t *score(const char *profile, int64_t a, int64_t b)
{
    json_t *cfg = json_loads(config, 0, NULL), *p = json_loads(profile, 0, NULL);
    assert_non_null(cfg);
    assert_non_null(p);
    int64_t counts[2] = {a, b};
    json_t *r = lead_score_compute(cfg, p, counts, 2);
    json_decref(cfg);
    json_decref(p);
    return r;
}

static int64_t I(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static void test_fit(void **state)
{
    (void)state;
    json_t *r = score("{\"kind\":\"organization\",\"email\":\"a@b.fr\",\"phone\":null,"
                      "\"headcount\":120,\"naf_code\":\"47.75Z\",\"addresses\":[{\"country\":"
                      "\"FR\"},{\"country\":\"BE\"}]}",
                      0, 0);
    /* e-mail 10 + organisation 15 + headcount 15 + NAF 20 + country 5; phone null */
    assert_int_equal(I(r, "fit"), 65);
    assert_int_equal(I(r, "behaviour"), 0);
    assert_int_equal(I(r, "score"), 65);
    assert_string_equal(json_string_value(json_object_get(r, "grade")), "hot");
    assert_int_equal(json_array_size(json_object_get(r, "fit_rules")), 5);
    json_decref(r);
    /* empty strings are absent; "in" needs an exact alternative */
    r = score("{\"kind\":\"person\",\"email\":\"\",\"naf_code\":\"47.7\",\"headcount\":50}", 0, 0);
    assert_int_equal(I(r, "fit"), 15);
    assert_string_equal(json_string_value(json_object_get(r, "grade")), "cold");
    json_decref(r);
}

static void test_behaviour_caps_and_grades(void **state)
{
    (void)state;
    /* 2 interests = 20; 50 page views capped at 20 */
    json_t *r = score("{\"kind\":\"person\"}", 2, 50);
    assert_int_equal(I(r, "behaviour"), 40);
    assert_int_equal(I(r, "score"), 40);
    assert_string_equal(json_string_value(json_object_get(r, "grade")), "warm");
    json_t *b = json_object_get(r, "behaviour_rules");
    assert_int_equal(json_array_size(b), 2);
    assert_int_equal(I(json_array_get(b, 1), "count"), 50);
    assert_int_equal(I(json_array_get(b, 1), "points"), 20);
    assert_string_equal(json_string_value(json_object_get(json_array_get(b, 1), "type")),
                        "page.viewed");
    json_decref(r);
    /* interest cap 30; boundary: exactly hot */
    r = score("{\"email\":\"x@y.z\",\"phone\":\"+33612345678\"}", 9, 20);
    assert_int_equal(I(r, "behaviour"), 50);
    assert_int_equal(I(r, "score"), 70);
    assert_string_equal(json_string_value(json_object_get(r, "grade")), "hot");
    json_decref(r);
    r = score("{\"email\":\"x@y.z\"}", 2, 0);
    assert_int_equal(I(r, "score"), 30);
    assert_string_equal(json_string_value(json_object_get(r, "grade")), "warm");
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_behaviour_caps_and_grades),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
