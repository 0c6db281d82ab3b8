/* Multi-row inserts (see bulk.h). */
#include "app/bulk.h"

#include <string.h>

#include "util/sbuf.h"

/* Statement sizes: BULK_ROWS, then powers of two for the rest, so a batch's
 * tail takes at most seven statements and every text stays cached. */
static const int sizes[] = {BULK_ROWS, 64, 32, 16, 8, 4, 2, 1};
#define NSIZES ((int)(sizeof(sizes) / sizeof(sizes[0])))

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
    struct sbuf sql[NSIZES] = {{0}};
    int rc = 0;
    for (size_t i = 0; i < nrows && !rc;) {
        int z = 0;
        while ((size_t)sizes[z] > nrows - i)
            z++;
        size_t k = (size_t)sizes[z];
        if (!sql[z].s) {
            sbuf_puts(&sql[z], head);
            for (size_t r = 0; r < k; r++) {
                if (r)
                    sbuf_put(&sql[z], ", ", 2);
                sbuf_puts(&sql[z], one);
            }
            sbuf_puts(&sql[z], tail);
            if (sql[z].oom) {
                rc = fail(c, ERR_INTERNAL, "", "out of memory");
                break;
            }
        }
        struct stmt *s = NULL;
        rc = store_queryv(c->st, &s, &c->err, sql[z].s, args + i * (size_t)ncols,
                          (int)(k * (size_t)ncols));
        if (!rc && (rc = stmt_step(s, &c->err)) > 0)
            rc = 0;
        stmt_done(s);
        i += k;
    }
    for (int z = 0; z < NSIZES; z++)
        sbuf_free(&sql[z]);
    return rc;
}
