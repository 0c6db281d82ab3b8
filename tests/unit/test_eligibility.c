/* Unit tests for app/eligibility: the order of the pre-send checks, rented
 * file terms, the pressure cap, and quiet hours across midnight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "app/eligibility.h"
#include "util/timeu.h"

static int64_t T(const char *s)
{
    int64_t t = 0;
    assert_int_equal(time_parse(s, &t), 0);
    return t;
}

static const struct elig_facts ok = {.has_address = 1, .consent = CONSENT_GRANTED};

static void test_each_reason(void **state)
{
    (void)state;
    struct elig_policy p = {"marketing", 2, 1, T("2026-11-23T10:00:00Z")};
    struct elig_facts f = ok;
    assert_int_equal(eligibility_check(&p, &f), ELIG_OK);
    f.consent = CONSENT_NONE;
    assert_int_equal(eligibility_check(&p, &f), ELIG_NO_CONSENT);
    p.needs_consent = 0; /* postal mail, phone: opt-out */
    assert_int_equal(eligibility_check(&p, &f), ELIG_OK);
    f.consent = CONSENT_WITHDRAWN;
    assert_int_equal(eligibility_check(&p, &f), ELIG_CONSENT_WITHDRAWN);
    p.needs_consent = 1;
    f = ok;
    f.suppressed = 1;
    assert_int_equal(eligibility_check(&p, &f), ELIG_SUPPRESSED);
    f = ok;
    f.refused_offer = 1;
    assert_int_equal(eligibility_check(&p, &f), ELIG_OFFER_REFUSED);
    f = ok;
    f.recent_messages = 2;
    assert_int_equal(eligibility_check(&p, &f), ELIG_PRESSURE_CAP);
    f.recent_messages = 1;
    assert_int_equal(eligibility_check(&p, &f), ELIG_OK);
    p.pressure_max = 0; /* no cap */
    f.recent_messages = 50;
    assert_int_equal(eligibility_check(&p, &f), ELIG_OK);
    f = ok;
    f.has_address = 0;
    assert_int_equal(eligibility_check(&p, &f), ELIG_NO_ADDRESS);
    f.unreachable = 1;
    assert_int_equal(eligibility_check(&p, &f), ELIG_UNREACHABLE);
    /* the first failing check is the reason: withdrawn beats refused beats pressure */
    f = ok;
    f.consent = CONSENT_WITHDRAWN;
    f.refused_offer = 1;
    f.recent_messages = 9;
    p.pressure_max = 2;
    assert_int_equal(eligibility_check(&p, &f), ELIG_CONSENT_WITHDRAWN);
    assert_string_equal(elig_reason_name(ELIG_PRESSURE_CAP), "pressure_cap");
    assert_string_equal(elig_reason_name(99), "unknown");
}

static void test_rented_file_terms(void **state)
{
    (void)state;
    struct elig_policy p = {"marketing", 0, 1, T("2026-11-23T10:00:00Z")};
    struct elig_facts f = ok;
    f.restricted = 1;
    f.usable_from = T("2026-01-01");
    f.usable_until = T("2026-12-31");
    assert_int_equal(eligibility_check(&p, &f), ELIG_OK);
    f.usable_until = T("2026-11-23T10:00:00Z"); /* until is exclusive */
    assert_int_equal(eligibility_check(&p, &f), ELIG_PROVENANCE_EXPIRED);
    f.usable_until = 0;
    f.usable_from = T("2026-12-01");
    assert_int_equal(eligibility_check(&p, &f), ELIG_PROVENANCE_NOT_YET);
    f.usable_from = 0;
    f.allowed_purposes = "newsletter|survey";
    assert_int_equal(eligibility_check(&p, &f), ELIG_PROVENANCE_PURPOSE);
    f.allowed_purposes = "survey|marketing";
    assert_int_equal(eligibility_check(&p, &f), ELIG_OK);
    f.allowed_purposes = "marketingX";
    assert_int_equal(eligibility_check(&p, &f), ELIG_PROVENANCE_PURPOSE);
    /* internal data has no such terms */
    f.restricted = 0;
    f.usable_until = T("2020-01-01");
    assert_int_equal(eligibility_check(&p, &f), ELIG_OK);
}

static void test_quiet_hours(void **state)
{
    (void)state;
    int s = hhmm_minutes("21:00"), e = hhmm_minutes("08:00");
    assert_int_equal(s, 1260);
    assert_int_equal(hhmm_minutes("24:00"), -1);
    assert_int_equal(hhmm_minutes("8:00"), -1);
    assert_int_equal(hhmm_minutes(NULL), -1);
    /* outside: unchanged */
    assert_true(quiet_hours_defer(T("2026-11-23T12:00:00Z"), s, e) == T("2026-11-23T12:00:00Z"));
    /* late evening: to 08:00 the next day */
    assert_true(quiet_hours_defer(T("2026-11-23T22:30:00Z"), s, e) == T("2026-11-24T08:00:00Z"));
    /* early morning: to 08:00 the same day */
    assert_true(quiet_hours_defer(T("2026-11-23T03:00:00Z"), s, e) == T("2026-11-23T08:00:00Z"));
    /* the edges: start is quiet, end is not */
    assert_true(quiet_hours_defer(T("2026-11-23T21:00:00Z"), s, e) == T("2026-11-24T08:00:00Z"));
    assert_true(quiet_hours_defer(T("2026-11-23T08:00:00Z"), s, e) == T("2026-11-23T08:00:00Z"));
    /* a window inside one day */
    assert_true(quiet_hours_defer(T("2026-11-23T12:30:00Z"), 720, 840) ==
                T("2026-11-23T14:00:00Z"));
    /* none */
    assert_true(quiet_hours_defer(T("2026-11-23T22:30:00Z"), -1, -1) == T("2026-11-23T22:30:00Z"));
    assert_true(quiet_hours_defer(T("2026-11-23T22:30:00Z"), 600, 600) ==
                T("2026-11-23T22:30:00Z"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_reason),
        cmocka_unit_test(test_rented_file_terms),
        cmocka_unit_test(test_quiet_hours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
