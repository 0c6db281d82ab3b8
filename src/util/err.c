/* Error struct helpers (see err.h). */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *e, int kind, const char *field, const char *fmt, ...)
{
    if (!e)
        return kind;
    e->kind = kind;
    snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return kind;
}

void err_clear(struct err *e)
{
    if (e)
        memset(e, 0, sizeof(*e));
}

static const char *const kind_names[] = {
    "ok",        "invalid",      "bad-request", "not-found", "exists",
    "conflict",  "unauthorized", "forbidden",   "too-large", "unsupported-media-type",
    "throttled", "internal",     "unavailable",
};

const char *err_kind_name(int kind)
{
    int i = -kind;
    if (i < 0 || i >= (int)(sizeof(kind_names) / sizeof(kind_names[0])))
        return "internal";
    return kind_names[i];
}
