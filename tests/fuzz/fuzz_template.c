/*
 * libFuzzer driver for channels/template: any input is parsed with and
 * without a field list; a parse error must name the field, give a line and
 * column and a position inside the input; a template that parses must render
 * (plain and HTML) without reading or writing out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fields[] = {"first_name", "city", "lang", "recommendations.name", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src = malloc(size + 1);
    if (!src)
        return 0;
    memcpy(src, data, size);
    src[size] = 0;
    size_t len = strlen(src);
    static json_t *vars;
    if (!vars)
        vars = json_pack("{s:s,s:s,s:i,s:[{s:s},{s:s}]}", "first_name", "Hélène <&>", "lang", "fr",
                         "city", 0, "recommendations", "name", "Crème", "name", "\"x\"");
    for (int mode = 0; mode < 2; mode++) {
        struct template *t = NULL;
        struct err e = {0};
        size_t pos = (size_t)-1;
        int rc = template_parse(&t, src, mode ? NULL : fields, "body", &pos, &e);
        if (rc) {
            if (t || strcmp(e.field, "body") || (len <= TEMPLATE_MAX_SRC && pos > len) ||
                (len <= TEMPLATE_MAX_SRC && strncmp(e.msg, "line ", 5)))
                abort();
            continue;
        }
        for (int html = 0; html < 2; html++) {
            char *out = template_render(t, vars, html);
            free(out);
        }
        json_t *f = template_fields(t);
        json_decref(f);
        template_free(t);
    }
    free(src);
    return 0;
}
