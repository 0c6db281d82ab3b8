/* Unit tests for app/collect: the /t/collect body checks (limits, fields
 * named with their path, the detail each event type needs), bot detection by
 * user agent, and where a visit comes from (source, search keyword, host,
 * path). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "app/collect.h"

static int parse(const char *body, struct err *e)
{
    json_t *b = NULL;
    memset(e, 0, sizeof(*e));
    int rc = collect_parse(body, strlen(body), &b, e);
    json_decref(b);
    return rc;
}

static void test_accepts_a_batch(void **state)
{
    (void)state;
    struct err e;
    json_t *b = NULL;
    const char *ok = "{\"key\":\"k1\",\"visitor\":\"abcdefgh\",\"consent\":true,\"events\":["
                     "{\"type\":\"page_view\",\"url\":\"https://s.example/a\"},"
                     "{\"type\":\"purchase\",\"amount_minor\":4990,\"currency\":\"EUR\"},"
                     "{\"type\":\"identify\",\"token\":\"1.2.ab\"}]}";
    assert_int_equal(collect_parse(ok, strlen(ok), &b, &e), 0);
    assert_int_equal(json_array_size(json_object_get(b, "events")), 3);
    json_decref(b);
}

static void test_refusals_name_the_field(void **state)
{
    (void)state;
    struct err e;
    assert_int_equal(parse("{\"key\":", &e), ERR_BADREQ);
    assert_string_equal(e.field, "body");
    assert_int_equal(parse("[]", &e), ERR_BADREQ);
    assert_int_equal(parse("{\"events\":[{\"type\":\"search\",\"query\":\"x\"}]}", &e),
                     ERR_INVALID);
    assert_string_equal(e.field, "key");
    assert_int_equal(parse("{\"key\":\"k\",\"events\":[]}", &e), ERR_INVALID);
    assert_string_equal(e.field, "events");
    assert_int_equal(
        parse("{\"key\":\"k\",\"events\":[{\"type\":\"search\",\"query\":\"x\"},{\"type\":"
              "\"page_view\"}]}",
              &e),
        ERR_INVALID);
    assert_string_equal(e.field, "events[1].url");
    assert_int_equal(parse("{\"key\":\"k\",\"events\":[{\"type\":\"fly\"}]}", &e), ERR_INVALID);
    assert_string_equal(e.field, "events[0].type");
    assert_int_equal(
        parse("{\"key\":\"k\",\"events\":[{\"type\":\"identify\",\"token\":\"\"}]}", &e),
        ERR_INVALID);
    assert_string_equal(e.field, "events[0].token");
    assert_int_equal(
        parse("{\"key\":\"k\",\"visitor\":\"short\",\"events\":[{\"type\":\"checkout_started\"}]}",
              &e),
        ERR_INVALID);
    assert_string_equal(e.field, "visitor");
    assert_int_equal(parse("{\"key\":\"k\",\"key\":\"j\",\"events\":[]}", &e), ERR_BADREQ);
}

static void test_limits(void **state)
{
    (void)state;
    struct err e;
    size_t cap = 200 * 30 + 64;
    char *b = malloc(cap);
    size_t n = (size_t)snprintf(b, cap, "{\"key\":\"k\",\"events\":[");
    for (int i = 0; i < TRACK_MAX_EVENTS + 1; i++)
        n += (size_t)snprintf(b + n, cap - n, "%s{\"type\":\"checkout_started\"}", i ? "," : "");
    snprintf(b + n, cap - n, "]}");
    assert_int_equal(parse(b, &e), ERR_TOOLARGE);
    assert_string_equal(e.field, "events");
    free(b);
    char *big = malloc(TRACK_MAX_BODY + 2);
    memset(big, ' ', TRACK_MAX_BODY + 1);
    big[TRACK_MAX_BODY + 1] = 0;
    json_t *out = NULL;
    assert_int_equal(collect_parse(big, TRACK_MAX_BODY + 1, &out, &e), ERR_TOOLARGE);
    assert_null(out);
    free(big);
}

static void test_bots(void **state)
{
    (void)state;
    assert_true(track_is_bot(NULL));
    assert_true(track_is_bot(""));
    assert_true(
        track_is_bot("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));
    assert_true(track_is_bot("curl/8.5.0"));
    assert_true(track_is_bot("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0 Safari/537.36"));
    assert_false(track_is_bot("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
                              "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile"));
}

static void test_sources_and_keywords(void **state)
{
    (void)state;
    char kw[64];
    assert_string_equal(url_source("https://s.example/", NULL, kw, sizeof(kw)), "direct");
    assert_string_equal(url_source("https://s.example/a", "https://s.example/b", kw, sizeof(kw)),
                        "direct");
    assert_string_equal(url_source("https://s.example/a",
                                   "https://www.google.fr/search?hl=fr&q=voyage+pas+cher+%C3%A0+"
                                   "Libreville",
                                   kw, sizeof(kw)),
                        "search");
    assert_string_equal(kw, "voyage pas cher \xc3\xa0 Libreville");
    assert_string_equal(
        url_source("https://s.example/a", "https://duckduckgo.com/", kw, sizeof(kw)), "search");
    assert_string_equal(kw, "");
    assert_string_equal(
        url_source("https://s.example/?utm_source=nl&utm_medium=email", NULL, kw, sizeof(kw)),
        "email");
    assert_string_equal(
        url_source("https://s.example/?utm_source=nl", "https://t.co/x", kw, sizeof(kw)),
        "campaign");
    assert_string_equal(url_source("https://s.example/", "https://m.facebook.com/", kw, sizeof(kw)),
                        "social");
    assert_string_equal(
        url_source("https://s.example/", "https://blog.example.org/post", kw, sizeof(kw)),
        "referral");
    /* "notgoogle.com" is not Google */
    assert_string_equal(
        url_source("https://s.example/", "https://notgoogle.com/?q=x", kw, sizeof(kw)), "referral");
}

static void test_hosts_and_paths(void **state)
{
    (void)state;
    char b[64];
    url_host("HTTPS://Shop.Example:8443/a?b", b, sizeof(b));
    assert_string_equal(b, "shop.example");
    url_host("/relative", b, sizeof(b));
    assert_string_equal(b, "");
    url_path("https://s.example/p/1?x=2#top", b, sizeof(b));
    assert_string_equal(b, "/p/1");
    url_path("https://s.example", b, sizeof(b));
    assert_string_equal(b, "/");
    url_path("/search?q=x", b, sizeof(b));
    assert_string_equal(b, "/search");
    url_path(NULL, b, sizeof(b));
    assert_string_equal(b, "/");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_a_batch),
        cmocka_unit_test(test_refusals_name_the_field),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bots),
        cmocka_unit_test(test_sources_and_keywords),
        cmocka_unit_test(test_hosts_and_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
