/* Unit tests for util/ical and the task calendar rendering: folding at 75
 * octets without splitting UTF-8, TEXT escaping, UTC times, VEVENT/VTODO
 * choice and VALARM (RFC 5545 3.1, 3.3.5, 3.3.11, 3.6.1, 3.6.2, 3.6.6). */
#include <stdlib.h>
#include <string.h>

#include "app/tasks.h"
#include "util/ical.h"
#undef fail /* app.h's shorthand; cmocka has its own */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void test_escape(void **state)
{
    (void)state;
    char out[128];
    size_t n = ical_escape("a;b,c\\d\r\ne\tf", out, sizeof(out));
    assert_string_equal(out, "a\\;b\\,c\\\\d\\ne f");
    assert_int_equal(n, strlen(out));
    /* too small a buffer: truncated, NUL-terminated, full length returned */
    char tiny[4];
    assert_int_equal(ical_escape(";;;", tiny, sizeof(tiny)), 6);
    assert_int_equal(strlen(tiny) < 4, 1);
}

static void test_time_utc(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(ical_format_time(0, b, sizeof(b)), "19700101T000000Z");
    assert_string_equal(ical_format_time(1793883600, b, sizeof(b)), "20261105T130000Z");
    assert_string_equal(ical_format_time(-1, b, sizeof(b)), "19691231T235959Z");
}

/* Every physical line at most 75 octets, continuation lines start with a
 * space, no fold before a UTF-8 continuation byte; unfolding gives back the
 * logical line. */
static void check_folded(const char *doc, const char *logical)
{
    const char *p = doc;
    char *unfolded = calloc(1, strlen(doc) + 1);
    size_t u = 0;
    int first = 1;
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        assert_non_null(eol);
        size_t len = (size_t)(eol - p);
        assert_true(len <= 75);
        if (!first) {
            assert_int_equal(p[0], ' ');
            p++;
            len--;
        }
        if (len)
            assert_true(((unsigned char)p[0] & 0xC0) != 0x80);
        memcpy(unfolded + u, p, len);
        u += len;
        first = 0;
        p = eol + 2;
    }
    assert_string_equal(unfolded, logical);
    free(unfolded);
}

static void test_fold_utf8(void **state)
{
    (void)state;
    char text[600] = "";
    for (int i = 0; i < 60; i++)
        strcat(text, i % 3 ? "é" : "a€");
    struct ical ic;
    ical_init(&ic, 0);
    ical_text(&ic, "SUMMARY", text);
    assert_int_equal(ic.err, 0);
    char logical[700];
    snprintf(logical, sizeof(logical), "SUMMARY:%s", text);
    check_folded(ic.buf, logical);
    ical_release(&ic);
    /* exactly 75 octets: no fold */
    ical_init(&ic, 0);
    ical_raw(&ic, "X",
             "12345678901234567890123456789012345678901234567890123456789012345678901"
             "23");
    assert_int_equal(strlen(ic.buf), 77);
    ical_release(&ic);
}

static void test_limit(void **state)
{
    (void)state;
    struct ical ic;
    ical_init(&ic, 32);
    ical_raw(&ic, "BEGIN", "VCALENDAR");
    ical_raw(&ic, "SUMMARY", "this line goes over the limit of the buffer");
    assert_int_equal(ic.err, 1);
    ical_release(&ic);
}

static void test_render_tasks(void **state)
{
    (void)state;
    json_t *tasks = json_loads(
        "[{\"id\":7,\"kind\":\"meeting\",\"title\":\"Point, budget; suite\",\"notes\":\"l1\\nl2\","
        "\"customer_id\":3,\"customer_name\":\"Zoé\",\"status\":\"open\",\"due_at\":"
        "\"2026-11-05T13:00:00Z\",\"ends_at\":null,\"remind_at\":\"2026-11-05T12:45:00Z\","
        "\"updated_at\":\"2026-11-01T00:00:00Z\",\"created_at\":\"2026-11-01T00:00:00Z\","
        "\"sequence\":2},"
        "{\"id\":8,\"kind\":\"todo\",\"title\":\"Devis\",\"status\":\"done\",\"due_at\":null,"
        "\"done_at\":\"2026-11-02T08:00:00Z\",\"updated_at\":\"2026-11-02T08:00:00Z\","
        "\"sequence\":1},"
        "{\"id\":9,\"kind\":\"call\",\"title\":\"Sans date\",\"status\":\"open\"}]",
        0, NULL);
    assert_non_null(tasks);
    char *ics = NULL;
    size_t len = 0;
    assert_int_equal(tasks_ics_render(tasks, "relatio, test", 0, 0, &ics, &len), 0);
    assert_int_equal(strlen(ics), len);
    assert_non_null(strstr(ics, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert_non_null(strstr(ics, "X-WR-CALNAME:relatio\\, test\r\n"));
    assert_non_null(strstr(ics, "BEGIN:VEVENT\r\nUID:task-7@relatio\r\n"));
    assert_non_null(strstr(ics, "SUMMARY:Meeting: Point\\, budget\\; suite\r\n"));
    assert_non_null(strstr(ics, "DESCRIPTION:l1\\nl2\\nCustomer: Zoé (#3)\r\n"));
    assert_non_null(strstr(ics, "DTSTART:20261105T130000Z\r\nDTEND:20261105T140000Z\r\n"));
    assert_non_null(strstr(ics, "SEQUENCE:2\r\n"));
    assert_non_null(strstr(
        ics, "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Meeting: Point\\, budget\\; "
             "suite\r\nTRIGGER;VALUE=DATE-TIME:20261105T124500Z\r\nEND:VALARM\r\nEND:VEVENT"));
    assert_non_null(strstr(ics, "BEGIN:VTODO\r\nUID:task-8@relatio\r\n"));
    assert_non_null(strstr(ics, "STATUS:COMPLETED\r\nCOMPLETED:20261102T080000Z\r\n"));
    /* a call without a time is a to-do, with no DUE */
    const char *nine = strstr(ics, "UID:task-9@relatio");
    assert_non_null(nine);
    assert_true(nine > strstr(ics, "BEGIN:VTODO\r\nUID:task-8"));
    const char *end9 = strstr(nine, "END:VTODO");
    assert_non_null(end9);
    const char *due = strstr(nine, "DUE:");
    assert_true(!due || due > end9);
    assert_non_null(strstr(ics, "END:VCALENDAR\r\n"));
    assert_int_equal(ics[len - 1], '\n');
    free(ics);
    /* over the maximum size: refused */
    assert_int_equal(tasks_ics_render(tasks, "x", 0, 100, &ics, &len), -1);
    json_decref(tasks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),       cmocka_unit_test(test_time_utc),
        cmocka_unit_test(test_fold_utf8),    cmocka_unit_test(test_limit),
        cmocka_unit_test(test_render_tasks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
