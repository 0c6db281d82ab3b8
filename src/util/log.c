/* JSON-lines logger (see log.h). */
#include "util/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeu.h"

static int current = LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error", "off"};

void log_init(void)
{
    const char *v = getenv("RELATIO_LOG");
    for (int i = 0; v && i <= LOG_OFF; i++)
        if (strcmp(v, names[i]) == 0)
            current = i;
}

void log_set_level(int level)
{
    current = level;
}

int log_enabled(int level)
{
    return level >= current;
}

void log_write(int level, const char *fmt, ...)
{
    char msg[1024], ts[TIME_BUF];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *o = json_pack("{s:s,s:s,s:s}", "t", time_format(time_now(), ts, sizeof(ts)), "level",
                          names[level], "msg", msg);
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (line) {
        fprintf(stderr, "%s\n", line);
        free(line);
    }
    json_decref(o);
}
