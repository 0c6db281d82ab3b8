/* Unit tests for util/formenc (HTML form bodies) and the proof-of-work check
 * of app/forms: decoding, repeated names, limits and refusals naming the
 * field; leading zero bits of SHA-256(challenge ":" nonce). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/forms.h"
#include "util/formenc.h"
#undef fail /* app.h's shorthand; cmocka has its own */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static int parse(const char *body, json_t **out, struct err *e)
{
    memset(e, 0, sizeof(*e));
    *out = NULL;
    return formenc_parse(body, strlen(body), out, e);
}

static void test_decodes_a_browser_post(void **state)
{
    (void)state;
    json_t *o;
    struct err e;
    assert_int_equal(parse("email=zoe%40example.fr&name=H%C3%A9l%C3%A8ne+Dupont&msg=a%2Bb%3Dc%26d"
                           "&empty=&flag",
                           &o, &e),
                     0);
    assert_string_equal(json_string_value(json_object_get(o, "email")), "zoe@example.fr");
    assert_string_equal(json_string_value(json_object_get(o, "name")), "Hélène Dupont");
    assert_string_equal(json_string_value(json_object_get(o, "msg")), "a+b=c&d");
    assert_string_equal(json_string_value(json_object_get(o, "empty")), "");
    assert_string_equal(json_string_value(json_object_get(o, "flag")), "");
    json_decref(o);
    assert_int_equal(parse("", &o, &e), 0);
    assert_int_equal(json_object_size(o), 0);
    json_decref(o);
}

static void test_repeated_names_make_an_array(void **state)
{
    (void)state;
    json_t *o;
    struct err e;
    assert_int_equal(parse("topic=Spa&x=1&topic=Golf&&topic=Ski", &o, &e), 0);
    json_t *t = json_object_get(o, "topic");
    assert_true(json_is_array(t));
    assert_int_equal(json_array_size(t), 3);
    assert_string_equal(json_string_value(json_array_get(t, 2)), "Ski");
    assert_true(json_is_string(json_object_get(o, "x")));
    json_decref(o);
}

static void test_refusals_name_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int kind;
        const char *field;
    } cases[] = {
        {"a=1&b=%ZZ", ERR_BADREQ, "b"},     {"a=%4", ERR_BADREQ, "a"},
        {"a=%C3%28", ERR_BADREQ, "a"},      {"a=%00", ERR_BADREQ, "a"},
        {"=1", ERR_BADREQ, "body"},         {"%0A=1", ERR_BADREQ, "body"},
        {"a%ZZ=1", ERR_BADREQ, "body"},     {"a=%ED%A0%80", ERR_BADREQ, "a"}, /* surrogate */
        {"a=%C0%AF", ERR_BADREQ, "a"}, /* overlong */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *o;
        struct err e;
        assert_int_equal(parse(cases[i].body, &o, &e), cases[i].kind);
        assert_null(o);
        assert_string_equal(e.field, cases[i].field);
    }
}

static void test_limits(void **state)
{
    (void)state;
    json_t *o;
    struct err e;
    char *big = malloc(FORMENC_MAX_VALUE + 100);
    snprintf(big, 3, "m=");
    memset(big + 2, 'a', FORMENC_MAX_VALUE);
    big[2 + FORMENC_MAX_VALUE] = 0;
    assert_int_equal(parse(big, &o, &e), 0); /* exactly the limit */
    json_decref(o);
    strcat(big, "a");
    assert_int_equal(parse(big, &o, &e), ERR_TOOLARGE);
    assert_string_equal(e.field, "m");
    free(big);
    char many[2000] = "";
    for (int i = 0; i <= FORMENC_MAX_FIELDS; i++) {
        size_t n = strlen(many);
        snprintf(many + n, sizeof(many) - n, "%sf%d=1", i ? "&" : "", i);
    }
    assert_int_equal(parse(many, &o, &e), ERR_TOOLARGE);
    char name[200] = "";
    memset(name, 'n', FORMENC_MAX_NAME + 1);
    strcat(name, "=1");
    assert_int_equal(parse(name, &o, &e), ERR_TOOLARGE);
}

static void test_proof_of_work(void **state)
{
    (void)state;
    const char *ch = "p.7.1795000000123456.0123456789abcdef0123456789abcdef";
    /* find a nonce for 8 bits the slow way, then check the checker agrees */
    char nonce[32];
    int found = -1;
    for (int n = 0; n < 100000 && found < 0; n++) {
        snprintf(nonce, sizeof(nonce), "%d", n);
        if (form_pow_ok(ch, nonce, 8))
            found = n;
    }
    assert_true(found >= 0);
    snprintf(nonce, sizeof(nonce), "%d", found);
    assert_true(form_pow_ok(ch, nonce, 0));
    assert_true(form_pow_ok(ch, nonce, 8));
    /* no zero bit asked: any nonce */
    assert_true(form_pow_ok("a", "bc", 0));
    assert_false(form_pow_ok(NULL, "1", 0));
    assert_false(form_pow_ok(ch, NULL, 0));
    char longn[80];
    memset(longn, '1', 70);
    longn[70] = 0;
    assert_false(form_pow_ok(ch, longn, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decodes_a_browser_post),
        cmocka_unit_test(test_repeated_names_make_an_array),
        cmocka_unit_test(test_refusals_name_the_field),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_proof_of_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
