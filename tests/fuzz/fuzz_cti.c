/*
 * libFuzzer driver for the call-event parser and the webhook signature
 * (app/cti_event.c): any bytes go through cti_event_parse; an accepted
 * event must keep the promises the state machine relies on (a non-empty
 * call id without control characters, a known event and direction, numbers
 * of printable ASCII, an outcome of the list or none), a refused one must
 * name a field with a client-error kind. The same bytes, split at the first
 * newline into a signature header and a body, go through the signature
 * check, which must refuse them (or accept them only when they carry the
 * right HMAC, which cti_sign recomputes).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/cti_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *s)
{
    for (; *s; s++)
        assert((unsigned char)*s >= 0x20 && (unsigned char)*s <= 0x7e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cti_event ev;
    struct err e = {0};
    int rc = cti_event_parse((const char *)data, size, "FR", &ev, &e);
    if (rc) {
        assert(rc == ERR_BADREQ || rc == ERR_INVALID || rc == ERR_TOOLARGE);
        assert(e.kind == rc && e.msg[0]);
        assert(!ev.call_id[0]);
    } else {
        assert(size <= CTI_MAX_BODY);
        assert(ev.call_id[0]);
        for (const char *p = ev.call_id; *p; p++)
            assert((unsigned char)*p >= 0x20);
        assert(enum_has(CTI_EVENTS, ev.event));
        assert(enum_has("inbound|outbound", ev.direction));
        assert(ev.from[0] && ev.to[0]);
        printable(ev.from);
        printable(ev.to);
        assert(!ev.outcome[0] || enum_has(CTI_OUTCOMES, ev.outcome));
    }

    /* "<sig>\n<body>" against a fixed secret, timestamp and clock */
    const char *nl = memchr(data, '\n', size);
    size_t siglen = nl ? (size_t)(nl - (const char *)data) : size;
    char *sig = malloc(siglen + 1);
    if (!sig)
        return 0;
    memcpy(sig, data, siglen);
    sig[siglen] = 0;
    const char *body = nl ? nl + 1 : "";
    size_t blen = nl ? size - siglen - 1 : 0;
    struct err se = {0};
    int src = cti_signature_check("fuzz-secret-0123456789", "1700000000", sig, body, blen,
                                  1700000000, &se);
    if (src) {
        assert(src == ERR_UNAUTH && se.field[0]);
    } else {
        char hex[65];
        cti_sign("fuzz-secret-0123456789", "1700000000", body, blen, hex);
        assert(strlen(sig) == 71 && !strcasecmp(sig + 7, hex));
    }
    free(sig);
    return 0;
}
