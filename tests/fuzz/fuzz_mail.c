/* libFuzzer driver for the e-mail parser of channels/imap: any bytes parse
 * into a message (or "not a message"), never a crash, an overread or a
 * leak; the text found is valid NUL-terminated memory; header decoding of
 * the same bytes is safe too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/imap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mail_parsed m;
    struct err e = {0};
    if (mail_parse((const char *)data, size, &m, &e) == 0) {
        if (!m.from_addr)
            abort(); /* a message has a sender */
        if (m.body)
            (void)strlen(m.body);
        if (m.subject)
            (void)strlen(m.subject);
    }
    mail_parsed_free(&m);
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    char *h = mail_decode_header(s);
    free(h);
    size_t n = 0;
    free(mail_decode_qp(s, size, &n));
    free(mail_decode_base64(s, size, &n));
    free(s);
    return 0;
}
