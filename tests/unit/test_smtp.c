/* Unit tests for channels/smtp: the rendered message (headers, RFC 2047,
 * quoted-printable round trip, MIME alternative, RFC 8058) and the error
 * kind of a send to a closed port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channels/smtp.h"

/* The value of header name (unfolded), or NULL; caller frees. */
static char *header(const char *msg, const char *name)
{
    size_t nl = strlen(name);
    const char *end = strstr(msg, "\r\n\r\n");
    for (const char *p = msg; p && p < end; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL) {
        if (!strncmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 2, *q = v;
            char *out = calloc(1, 4096);
            size_t o = 0;
            while (*q && o < 4095) {
                if (q[0] == '\r' && q[1] == '\n') {
                    if (q[2] == ' ' || q[2] == '\t') {
                        q += 3;
                        continue;
                    }
                    break;
                }
                out[o++] = *q++;
            }
            return out;
        }
    }
    return NULL;
}

/* Decodes a sequence of "=?UTF-8?B?…?=" words separated by spaces. */
static char *decode_words(const char *v)
{
    char *out = calloc(1, 4096);
    size_t o = 0;
    while (*v) {
        if (*v == ' ') {
            v++;
            continue;
        }
        assert_memory_equal(v, "=?UTF-8?B?", 10);
        const char *s = v + 10, *e = strstr(s, "?=");
        assert_non_null(e);
        assert_true(e + 2 - v <= 75);
        size_t bl = 0;
        assert_int_equal(sodium_base642bin((unsigned char *)out + o, 4095 - o, s, (size_t)(e - s),
                                           NULL, &bl, NULL, sodium_base64_VARIANT_ORIGINAL),
                         0);
        o += bl;
        v = e + 2;
    }
    return out;
}

/* Decodes quoted-printable text up to a line "--" boundary or the end. */
static char *qp_decode(const char *s, const char *stop)
{
    char *out = calloc(1, strlen(s) + 1);
    size_t o = 0;
    while (*s && (!stop || s < stop)) {
        if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
            s += 3;
        } else if (s[0] == '=') {
            unsigned v;
            assert_int_equal(sscanf(s + 1, "%2X", &v), 1);
            out[o++] = (char)v;
            s += 3;
        } else if (s[0] == '\r' && s[1] == '\n') {
            out[o++] = '\n';
            s += 2;
        } else {
            out[o++] = *s++;
        }
    }
    return out;
}

static void check_lines(const char *msg)
{
    /* every line ends CRLF, none over 998 octets, no body line is a lone '.' */
    const char *p = msg;
    while (*p) {
        const char *e = strstr(p, "\r\n");
        assert_non_null(e);
        assert_true(e - p <= 998);
        assert_false(e - p >= 1 && p[0] == '.');
        for (const char *q = p; q < e; q++)
            assert_true(*q != '\n' && *q != '\r');
        p = e + 2;
    }
}

static void test_plain_ascii(void **state)
{
    (void)state;
    struct mail_msg m = {.from = "relatio <noreply@example.org>",
                         .to = "jean@example.fr",
                         .subject = "Hello",
                         .text = "Line one\nLine two"};
    char *msg = mail_render(&m);
    assert_non_null(msg);
    check_lines(msg);
    char *v = header(msg, "Subject");
    assert_string_equal(v, "Hello");
    free(v);
    v = header(msg, "Message-ID");
    assert_non_null(strstr(v, "@example.org>"));
    free(v);
    v = header(msg, "Content-Type");
    assert_string_equal(v, "text/plain; charset=UTF-8");
    free(v);
    assert_null(header(msg, "List-Unsubscribe"));
    assert_null(header(msg, "In-Reply-To"));
    const char *body = strstr(msg, "\r\n\r\n") + 4;
    char *txt = qp_decode(body, NULL);
    assert_string_equal(txt, "Line one\nLine two\n");
    free(txt);
    free(msg);
}

static void test_utf8_subject_encoded(void **state)
{
    (void)state;
    const char *subj = "Offre spéciale pour Hélène : -20 % sur les crèmes, jusqu'à dimanche ! ✨";
    struct mail_msg m = {.from = "Équipe Relatio <news@example.org>",
                         .to = "Hélène <helene@example.fr>",
                         .subject = subj,
                         .text = "x"};
    char *msg = mail_render(&m);
    assert_non_null(msg);
    check_lines(msg);
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
        assert_true(*p < 0x80); /* 7-bit clean */
    char *v = header(msg, "Subject");
    char *d = decode_words(v);
    assert_string_equal(d, subj);
    free(v);
    free(d);
    v = header(msg, "From");
    assert_non_null(strstr(v, "<news@example.org>"));
    *strstr(v, " <news") = 0;
    d = decode_words(v);
    assert_string_equal(d, "Équipe Relatio");
    free(v);
    free(d);
    free(msg);
}

static void test_multipart_qp_roundtrip(void **state)
{
    (void)state;
    char text[600];
    snprintf(text, sizeof(text),
             "Bonjour Hélène,\n.leading dot\nA very long line %s end\ntrailing space \n= sign",
             "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
             "incididunt ut labore et dolore magna aliqua ut enim ad minim veniam");
    const char *html = "<p>Bonjour <b>Hélène</b></p>";
    struct mail_msg m = {.from = "a@example.org",
                         .to = "b@example.fr",
                         .subject = "s",
                         .text = text,
                         .html = html,
                         .message_id = "<fixed@example.org>",
                         .in_reply_to = "<prev@example.org>",
                         .references = "<first@example.org> <prev@example.org>",
                         .list_unsubscribe = "<https://crm.example.org/u/abc>",
                         .list_unsubscribe_one_click = 1};
    char *msg = mail_render(&m);
    assert_non_null(msg);
    check_lines(msg);
    char *v = header(msg, "Message-ID");
    assert_string_equal(v, "<fixed@example.org>");
    free(v);
    v = header(msg, "In-Reply-To");
    assert_string_equal(v, "<prev@example.org>");
    free(v);
    v = header(msg, "List-Unsubscribe");
    assert_string_equal(v, "<https://crm.example.org/u/abc>");
    free(v);
    v = header(msg, "List-Unsubscribe-Post");
    assert_string_equal(v, "List-Unsubscribe=One-Click");
    free(v);
    v = header(msg, "Content-Type");
    assert_non_null(strstr(v, "multipart/alternative; boundary=\""));
    char bnd[80];
    assert_int_equal(sscanf(strstr(v, "boundary=\"") + 10, "%79[^\"]", bnd), 1);
    free(v);
    char delim[100];
    snprintf(delim, sizeof(delim), "\r\n--%s\r\n", bnd);
    const char *p1 = strstr(msg, delim);
    assert_non_null(p1);
    const char *p2 = strstr(p1 + 1, delim);
    assert_non_null(p2);
    char closing[100];
    snprintf(closing, sizeof(closing), "\r\n--%s--\r\n", bnd);
    const char *p3 = strstr(p2 + 1, closing);
    assert_non_null(p3);
    const char *b1 = strstr(p1, "\r\n\r\n") + 4;
    assert_non_null(strstr(p1, "text/plain; charset=UTF-8"));
    char *t = qp_decode(b1, p2 + 2);
    char want[700];
    snprintf(want, sizeof(want), "%s\n", text);
    assert_string_equal(t, want);
    free(t);
    const char *b2 = strstr(p2, "\r\n\r\n") + 4;
    assert_non_null(strstr(p2, "text/html; charset=UTF-8"));
    t = qp_decode(b2, p3 + 2);
    snprintf(want, sizeof(want), "%s\n", html);
    assert_string_equal(t, want);
    free(t);
    free(msg);
}

static void test_header_injection_refused(void **state)
{
    (void)state;
    struct mail_msg m = {.from = "a@example.org",
                         .to = "b@example.fr\r\nBcc: victim@example.com",
                         .subject = "s",
                         .text = "t"};
    assert_null(mail_render(&m));
    m.to = "b@example.fr";
    m.subject = "hi\nBcc: x@example.com";
    assert_null(mail_render(&m));
    m.subject = "ok";
    m.text = NULL;
    assert_null(mail_render(&m));
}

static void test_send_to_closed_port_is_temporary(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd); /* nobody listens there now */
    char url[64];
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", ntohs(a.sin_port));
    struct smtp_config cfg = {.url = url, .timeout_ms = 2000};
    struct mail_msg m = {
        .from = "a@example.org", .to = "b@example.fr", .subject = "s", .text = "t"};
    struct err e = {0};
    assert_int_equal(smtp_send(&cfg, &m, &e), ERR_UNAVAILABLE);
    assert_true(e.msg[0] != 0);
    m.to = "not-an-address";
    assert_int_equal(smtp_send(&cfg, &m, &e), ERR_INVALID);
    assert_string_equal(e.field, "to");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_ascii),
        cmocka_unit_test(test_utf8_subject_encoded),
        cmocka_unit_test(test_multipart_qp_roundtrip),
        cmocka_unit_test(test_header_injection_refused),
        cmocka_unit_test(test_send_to_closed_port_is_temporary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
