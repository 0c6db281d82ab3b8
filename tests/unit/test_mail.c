/* Unit tests for channels/imap's message parser: threading headers, folded
 * headers, RFC 2047 subjects, MIME text extraction with quoted-printable
 * and base64, charsets, HTML-only mail. Data-driven: message in, fields
 * out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "channels/imap.h"

static struct mail_parsed parse(const char *raw)
{
    struct mail_parsed m;
    struct err e = {0};
    assert_int_equal(mail_parse(raw, strlen(raw), &m, &e), 0);
    return m;
}

static void test_threading_headers(void **state)
{
    (void)state;
    struct mail_parsed m = parse("Return-Path: <x@y>\r\n"
                                 "From: \"Martin, Jean\" <Jean.Martin@Example.FR>\r\n"
                                 "To: support@relatio.local\r\n"
                                 "Subject: Re: [#12] Colis\r\n"
                                 "Message-ID: <abc.123@mail.example.fr>\r\n"
                                 "In-Reply-To: <t12.deadbeef@relatio.local>\r\n"
                                 "References: <m0@example.fr>\r\n"
                                 " <t12.deadbeef@relatio.local>\r\n"
                                 "\r\n"
                                 "Toujours rien.\r\n\r\n");
    assert_string_equal(m.message_id, "<abc.123@mail.example.fr>");
    assert_string_equal(m.in_reply_to, "<t12.deadbeef@relatio.local>");
    assert_string_equal(m.references, "<m0@example.fr> <t12.deadbeef@relatio.local>");
    assert_string_equal(m.subject, "Re: [#12] Colis");
    assert_string_equal(m.from_addr, "jean.martin@example.fr");
    assert_string_equal(m.from_name, "Martin, Jean");
    assert_string_equal(m.body, "Toujours rien.");
    mail_parsed_free(&m);
}

static void test_encoded_subject_and_qp_body(void **state)
{
    (void)state;
    struct mail_parsed m = parse("From: =?UTF-8?Q?H=C3=A9l=C3=A8ne?= <helene@example.fr>\n"
                                 "Subject: =?UTF-8?B?UsOpY2xhbWF0aW9u?= =?UTF-8?Q?_urgente?=\n"
                                 "Content-Type: text/plain; charset=utf-8\n"
                                 "Content-Transfer-Encoding: quoted-printable\n"
                                 "\n"
                                 "Le colis est arriv=C3=A9 ab=C3=AEm=C3=A9, une ligne tr=\n"
                                 "=C3=A8s longue.\n");
    assert_string_equal(m.from_name, "Hélène");
    assert_string_equal(m.subject, "Réclamation urgente");
    assert_string_equal(m.body, "Le colis est arrivé abîmé, une ligne très longue.");
    assert_null(m.message_id);
    mail_parsed_free(&m);
}

static void test_multipart_base64_latin1(void **state)
{
    (void)state;
    /* "Ça ne marche pas" in ISO-8859-1, base64 */
    struct mail_parsed m = parse("From: paul@example.com\r\n"
                                 "Subject: =?iso-8859-1?q?Probl=E8me?=\r\n"
                                 "MIME-Version: 1.0\r\n"
                                 "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
                                 "\r\n"
                                 "preamble\r\n"
                                 "--outer\r\n"
                                 "Content-Type: multipart/alternative; boundary=inner\r\n"
                                 "\r\n"
                                 "--inner\r\n"
                                 "Content-Type: text/html; charset=utf-8\r\n"
                                 "\r\n"
                                 "<p>HTML version</p>\r\n"
                                 "--inner\r\n"
                                 "Content-Type: text/plain; charset=ISO-8859-1\r\n"
                                 "Content-Transfer-Encoding: base64\r\n"
                                 "\r\n"
                                 "x2EgbmUgbWFy\r\n"
                                 "Y2hlIHBhcw==\r\n"
                                 "--inner--\r\n"
                                 "--outer\r\n"
                                 "Content-Type: application/pdf; name=a.pdf\r\n"
                                 "Content-Transfer-Encoding: base64\r\n"
                                 "\r\n"
                                 "JVBERi0=\r\n"
                                 "--outer--\r\n");
    assert_string_equal(m.subject, "Problème");
    assert_string_equal(m.body, "Ça ne marche pas");
    mail_parsed_free(&m);
}

static void test_html_only(void **state)
{
    (void)state;
    struct mail_parsed m = parse("From: a@b.c\n"
                                 "Content-Type: text/html\n"
                                 "\n"
                                 "<html><body><p>Bonjour &amp; merci</p><br>Fin</body></html>\n");
    assert_string_equal(m.body, "\nBonjour & merci\n\nFin");
    mail_parsed_free(&m);
}

static void test_not_a_message(void **state)
{
    (void)state;
    struct mail_parsed m;
    struct err e = {0};
    assert_int_equal(mail_parse("hello\n\nworld", 12, &m, &e), ERR_INVALID);
    assert_string_equal(e.field, "from");
    mail_parsed_free(&m);
}

static void test_decoders(void **state)
{
    (void)state;
    size_t n = 0;
    char *s = mail_decode_base64("aGVsbG8gd29ybGQ=", 16, &n);
    assert_string_equal(s, "hello world");
    assert_int_equal(n, 11);
    free(s);
    s = mail_decode_qp("a=3Db=\r\nc =XY", 14, &n);
    assert_string_equal(s, "a=bc =XY");
    free(s);
    s = mail_decode_header("plain text");
    assert_string_equal(s, "plain text");
    free(s);
    s = mail_decode_header("=?windows-1252?Q?=80_5?=");
    assert_string_equal(s, "€ 5");
    free(s);
    s = mail_decode_header("=?UTF-8?B?broken");
    assert_string_equal(s, "=?UTF-8?B?broken");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threading_headers),
        cmocka_unit_test(test_encoded_subject_and_qp_body),
        cmocka_unit_test(test_multipart_base64_latin1),
        cmocka_unit_test(test_html_only),
        cmocka_unit_test(test_not_a_message),
        cmocka_unit_test(test_decoders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
