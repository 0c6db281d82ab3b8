/* Unit tests for app/cti_event: call events parsed (numbers to E.164 or
 * kept as sent, defaults, refusals naming the field, the size limit) and
 * the webhook signature (the HMAC-SHA256 of "<ts>.<body>" computed in one
 * go, the time window, forged and malformed headers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cti_event.h"

static int parse(const char *body, struct cti_event *ev, struct err *e)
{
    memset(e, 0, sizeof(*e));
    return cti_event_parse(body, strlen(body), "FR", ev, e);
}

static void test_parses_an_event(void **state)
{
    (void)state;
    struct cti_event ev;
    struct err e;
    assert_int_equal(parse("{\"call_id\":\"pbx-1\",\"event\":\"ringing\",\"from\":\"06 11 22 33 "
                           "44\",\"to\":\"+44 20 7946 0958\",\"agent\":\"a@example.com\","
                           "\"at\":\"2026-11-02T08:00:00Z\"}",
                           &ev, &e),
                     0);
    assert_string_equal(ev.call_id, "pbx-1");
    assert_string_equal(ev.event, "ringing");
    assert_string_equal(ev.direction, "inbound");
    assert_string_equal(ev.from, "+33611223344");
    assert_string_equal(ev.to, "+442079460958");
    assert_string_equal(ev.agent, "a@example.com");
    assert_string_equal(ev.outcome, "");
    assert_int_equal(ev.at, 1793606400);

    assert_int_equal(parse("{\"call_id\":\"c\",\"event\":\"ended\",\"direction\":\"outbound\","
                           "\"from\":\"201\",\"to\":\"anonymous\",\"outcome\":\"busy\",\"agent\":"
                           "null,\"at\":null}",
                           &ev, &e),
                     0);
    assert_string_equal(ev.from, "201");
    assert_string_equal(ev.to, "anonymous");
    assert_string_equal(ev.direction, "outbound");
    assert_string_equal(ev.outcome, "busy");
    assert_int_equal(ev.at, 0);
}

static void test_refusals_name_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *body, *field;
        int kind;
    } cases[] = {
        {"{\"event\":\"ringing\",\"from\":\"+33611223344\",\"to\":\"1\"}", "call_id", ERR_INVALID},
        {"{\"call_id\":\"\",\"event\":\"ringing\",\"from\":\"+33611223344\",\"to\":\"1\"}",
         "call_id", ERR_INVALID},
        {"{\"call_id\":\"a\\u0001\",\"event\":\"ringing\",\"from\":\"+33611223344\",\"to\":\"1\"}",
         "call_id", ERR_INVALID},
        {"{\"call_id\":\"c\",\"event\":\"hangup\",\"from\":\"+33611223344\",\"to\":\"1\"}", "event",
         ERR_INVALID},
        {"{\"call_id\":\"c\",\"event\":\"ended\",\"from\":\"\",\"to\":\"1\"}", "from", ERR_INVALID},
        {"{\"call_id\":\"c\",\"event\":\"ended\",\"from\":\"1\",\"to\":\"z\\u00e9ro\"}", "to",
         ERR_INVALID},
        {"{\"call_id\":\"c\",\"event\":\"ended\",\"from\":\"1\",\"to\":\"2\",\"at\":\"2026-02-30\"}",
         "at", ERR_INVALID},
        {"{\"call_id\":\"c\",\"event\":\"ended\",\"from\":\"1\",\"to\":\"2\",\"outcome\":\"x\"}",
         "outcome", ERR_INVALID},
        {"{\"call_id\":\"c\",\"event\":\"ended\",\"from\":\"1\",\"to\":\"2\",\"x\":1}", "x",
         ERR_INVALID},
        {"[1]", "body", ERR_BADREQ},
        {"{\"call_id\":", "body", ERR_BADREQ},
        {"{\"call_id\":\"a\",\"call_id\":\"b\"}", "body", ERR_BADREQ},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cti_event ev;
        struct err e;
        int rc = parse(cases[i].body, &ev, &e);
        if (rc != cases[i].kind || strcmp(e.field, cases[i].field) != 0)
            fail_msg("%s: rc %d field '%s' (%s)", cases[i].body, rc, e.field, e.msg);
        assert_string_equal(ev.call_id, ""); /* nothing half-parsed */
    }
}

static void test_size_limit(void **state)
{
    (void)state;
    size_t n = CTI_MAX_BODY + 1;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[n] = 0;
    struct cti_event ev;
    struct err e;
    assert_int_equal(parse(big, &ev, &e), ERR_TOOLARGE);
    assert_string_equal(e.field, "body");
    free(big);
}

static void test_signature(void **state)
{
    (void)state;
    const char *secret = "a-shared-secret-of-length", *body = "{\"call_id\":\"c\"}";
    char hex[65], sig[72];
    cti_sign(secret, "1700000000", body, strlen(body), hex);
    /* the same HMAC computed in one go over "<ts>.<body>" */
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char msg[64], want[65];
    snprintf(msg, sizeof(msg), "1700000000.%s", body);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(want, sizeof(want), mac, sizeof(mac));
    assert_string_equal(hex, want);

    struct err e = {0};
    snprintf(sig, sizeof(sig), "sha256=%s", hex);
    assert_int_equal(cti_signature_check(secret, "1700000000", sig, body, strlen(body), 1700000000, &e), 0);
    /* inside the window either way, outside refused */
    assert_int_equal(cti_signature_check(secret, "1700000000", sig, body, strlen(body), 1700000300, &e), 0);
    assert_int_equal(cti_signature_check(secret, "1700000000", sig, body, strlen(body), 1700000301, &e), ERR_UNAUTH);
    assert_string_equal(e.field, "X-CTI-Timestamp");
    assert_int_equal(cti_signature_check(secret, "1700000000", sig, body, strlen(body), 1699999699, &e), ERR_UNAUTH);
    /* another body, secret, timestamp or a flipped digit */
    assert_int_equal(cti_signature_check(secret, "1700000000", sig, "{}", 2, 1700000000, &e), ERR_UNAUTH);
    assert_string_equal(e.field, "X-CTI-Signature");
    assert_int_equal(cti_signature_check("another-secret-0123", "1700000000", sig, body, strlen(body), 1700000000, &e), ERR_UNAUTH);
    assert_int_equal(cti_signature_check(secret, "1700000001", sig, body, strlen(body), 1700000000, &e), ERR_UNAUTH);
    sig[20] = sig[20] == '0' ? '1' : '0';
    assert_int_equal(cti_signature_check(secret, "1700000000", sig, body, strlen(body), 1700000000, &e), ERR_UNAUTH);
    /* malformed headers, no secret */
    static const char *const bad[] = {"", "sha256=", "sha1=abc", "sha256=zz", NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal(cti_signature_check(secret, "1700000000", bad[i], body, strlen(body), 1700000000, &e), ERR_UNAUTH);
    assert_int_equal(cti_signature_check(secret, "17e8", sig, body, strlen(body), 1700000000, &e), ERR_UNAUTH);
    assert_int_equal(cti_signature_check(secret, NULL, sig, body, strlen(body), 1700000000, &e), ERR_UNAUTH);
    assert_int_equal(cti_signature_check(secret, "1700000000", NULL, body, strlen(body), 1700000000, &e), ERR_UNAUTH);
    assert_int_equal(cti_signature_check("", "1700000000", sig, body, strlen(body), 1700000000, &e), ERR_UNAUTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parses_an_event),
        cmocka_unit_test(test_refusals_name_the_field),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
