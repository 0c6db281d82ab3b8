/* Multi-row inserts (see bulk.h). */
#include "app/bulk.h"

#include <string.h>

#include "util/sbuf.h"

int bulk_insert(struct ctx *c, const char *head, const char *tail, int ncols,
                const struct bindv *args, size_t nrows)
{
    if (!nrows)
        return 0;
    if (ncols < 1 || ncols > 60)
        return fail(c, ERR_INTERNAL, "", "bulk insert of %d columns", ncols);
    char one[256] = "(";
    for (int i = 0; i < ncols; i++)
        strcat(one, i ? ", ?" : "?");
    strcat(one, ")");
    struct sbuf many = {0}, single = {0};
    if (nrows >= BULK_ROWS) {
        sbuf_puts(&many, head);
        for (int r = 0; r < BULK_ROWS; r++) {
            if (r)
                sbuf_put(&many, ", ", 2);
            sbuf_puts(&many, one);
        }
        sbuf_puts(&many, tail);
    }
    sbuf_printf(&single, "%s%s%s", head, one, tail);
    int rc = many.oom || single.oom ? fail(c, ERR_INTERNAL, "", "out of memory") : 0;
    for (size_t i = 0; i < nrows && !rc;) {
        size_t k = nrows - i >= BULK_ROWS ? BULK_ROWS : 1;
        struct stmt *s = NULL;
        rc = store_queryv(c->st, &s, &c->err, k > 1 ? many.s : single.s, args + i * (size_t)ncols,
                          (int)(k * (size_t)ncols));
        if (!rc && (rc = stmt_step(s, &c->err)) > 0)
            rc = 0;
        stmt_done(s);
        i += k;
    }
    sbuf_free(&many);
    sbuf_free(&single);
    return rc;
}
