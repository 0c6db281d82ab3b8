/*
 * The message template language of campaigns: merge fields, conditionals and
 * loops, parsed and checked once up front (syntax errors with their line and
 * column, unknown merge fields), then rendered per recipient from a JSON
 * object. Pure code: no I/O.
 *
 *   {{ first_name }}                  a merge field ("" when missing)
 *   {{ first_name | "client" }}       with a fallback when missing or empty
 *   {% if city %}…{% else %}…{% endif %}
 *   {% if lang == "fr" %}…{% endif %}  (also !=)
 *   {% for p in recommendations %}{{ p.name }}{% endfor %}
 *
 * Inside a loop, "p.name" is the field "name" of the current item; the
 * check looks it up as "recommendations.name" in the allowed list.
 */
#ifndef CHANNELS_TEMPLATE_H
#define CHANNELS_TEMPLATE_H
#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

#define TEMPLATE_MAX_SRC (64 * 1024)   /* bytes of template source */
#define TEMPLATE_MAX_OUT (1024 * 1024) /* bytes of one rendering */
#define TEMPLATE_MAX_DEPTH 8           /* nested if/for */

struct template;

/* Parses src. fields (NULL-terminated) lists the merge fields allowed;
 * NULL allows any. On error returns ERR_INVALID with e->field = field_name
 * and e->msg "line L, column C: …"; *pos (may be NULL) gets the byte offset.
 * Caller frees *out with template_free. */
int template_parse(struct template **out, const char *src, const char *const *fields,
                   const char *field_name, size_t *pos, struct err *e);

/* Renders t with vars (a JSON object; values are strings, numbers, booleans
 * or, for loops, arrays of objects). html = 1 escapes merged values for
 * HTML. Returns a malloc'd string, or NULL when over TEMPLATE_MAX_OUT. */
char *template_render(const struct template *t, const json_t *vars, int html);

/* The merge fields t uses (for previews), into a JSON array of names. */
json_t *template_fields(const struct template *t);

void template_free(struct template *t);

#endif
