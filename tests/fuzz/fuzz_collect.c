/*
 * libFuzzer driver for the tracking collector's parser (app/collect.c): any
 * bytes go through collect_parse; an accepted batch must keep the promises
 * the store relies on (a key, 1 to TRACK_MAX_EVENTS events of known types
 * with the detail their type needs, a valid visitor id), a refused one must
 * name a field with a client-error kind; every URL and referrer of an
 * accepted batch then goes through the URL helpers and the source classifier.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "app/collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *b = NULL;
    struct err e = {0};
    int rc = collect_parse((const char *)data, size, &b, &e);
    if (rc) {
        assert(b == NULL);
        assert(rc == ERR_BADREQ || rc == ERR_INVALID || rc == ERR_TOOLARGE);
        /* the field is named, except an unknown key that is itself "" */
        assert(e.kind == rc && e.msg[0]);
        return 0;
    }
    assert(size <= TRACK_MAX_BODY);
    assert(json_is_object(b) && jstr(b, "key"));
    const char *v = jstr(b, "visitor");
    assert(!v || visitor_valid(v));
    json_t *evs = json_object_get(b, "events");
    assert(json_array_size(evs) >= 1 && json_array_size(evs) <= TRACK_MAX_EVENTS);
    size_t i;
    json_t *ev;
    json_array_foreach(evs, i, ev)
    {
        const char *type = jstr(ev, "type");
        assert(type && enum_has("page_view|product_view|search|add_to_cart|checkout_started|"
                                "purchase|identify",
                                type));
        if (!strcmp(type, "page_view"))
            assert(jstr(ev, "url"));
        if (!strcmp(type, "identify"))
            assert(jstr(ev, "token"));
        char host[256], path[512], kw[201];
        url_host(jstr(ev, "url"), host, sizeof(host));
        url_path(jstr(ev, "url"), path, sizeof(path));
        assert(path[0] == '/' && strlen(path) < sizeof(path));
        const char *src = url_source(jstr(ev, "url"), jstr(ev, "referrer"), kw, sizeof(kw));
        assert(enum_has("direct|search|social|email|campaign|referral", src));
        assert(strlen(kw) < sizeof(kw));
        assert(kw[0] == 0 || !strcmp(src, "search"));
    }
    (void)track_is_bot(jstr(b, "key"));
    json_decref(b);
    return 0;
}
