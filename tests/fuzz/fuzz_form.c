/*
 * libFuzzer driver for the public form endpoint's body parser
 * (util/formenc.c, application/x-www-form-urlencoded): any bytes go through
 * formenc_parse; an accepted body must keep the promises form_submit relies
 * on (an object of at most FORMENC_MAX_FIELDS names, each non-empty without
 * control characters, mapping to a string or an array of strings within the
 * limits), and must come back the same once encoded again; a refused one
 * names a field with a client-error kind.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/formenc.h"
#include "util/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void encode(struct sbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            sbuf_put(b, s + i, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sbuf_put(b, e, 3);
        }
    }
}

static void pair(struct sbuf *b, const char *name, const json_t *v)
{
    if (b->n)
        sbuf_put(b, "&", 1);
    encode(b, name, strlen(name));
    sbuf_put(b, "=", 1);
    encode(b, json_string_value(v), json_string_length(v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *o = NULL;
    struct err e = {0};
    int rc = formenc_parse((const char *)data, size, &o, &e);
    if (rc) {
        assert(o == NULL);
        assert(rc == ERR_BADREQ || rc == ERR_TOOLARGE);
        assert(e.kind == rc && e.field[0] && e.msg[0]);
        return 0;
    }
    assert(json_is_object(o));
    size_t values = 0;
    const char *k;
    json_t *v;
    struct sbuf b = {0};
    json_object_foreach(o, k, v)
    {
        size_t kl = strlen(k);
        assert(kl >= 1 && kl <= FORMENC_MAX_NAME);
        for (size_t i = 0; i < kl; i++)
            assert((unsigned char)k[i] >= 0x20 && k[i] != 0x7f);
        if (json_is_array(v)) {
            assert(json_array_size(v) >= 2);
            size_t i;
            json_t *x;
            json_array_foreach(v, i, x)
            {
                assert(json_is_string(x) && json_string_length(x) <= FORMENC_MAX_VALUE);
                assert(strlen(json_string_value(x)) == json_string_length(x)); /* no NUL */
                pair(&b, k, x);
                values++;
            }
        } else {
            assert(json_is_string(v) && json_string_length(v) <= FORMENC_MAX_VALUE);
            assert(strlen(json_string_value(v)) == json_string_length(v));
            pair(&b, k, v);
            values++;
        }
    }
    assert(values <= FORMENC_MAX_FIELDS);
    /* encoded again, the body parses to the same object */
    size_t len = 0;
    char *again = sbuf_take(&b, &len);
    json_t *o2 = NULL;
    struct err e2 = {0};
    assert(formenc_parse(again ? again : "", again ? len : 0, &o2, &e2) == 0);
    assert(json_equal(o, o2));
    free(again);
    json_decref(o2);
    json_decref(o);
    return 0;
}
