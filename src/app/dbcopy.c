/*
 * Whole-database copy between backends (see dbcopy.h). Portable SQL only:
 * rows are read with SELECT * and written with multi-row INSERTs through
 * store.h, so the same code copies SQLite into PostgreSQL or back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/dbcopy.h"
#include "store/store.h"
#include "util/sbuf.h"

#define MAX_TABLES 256
#define BATCH_PARAMS 4000 /* values per INSERT statement */

struct tables {
    struct dbcopy_table *t;
    int n;
    int err;
};

static void collect(const char *table, const char *hex, void *arg)
{
    struct tables *ts = arg;
    if (ts->n >= MAX_TABLES) {
        ts->err = 1;
        return;
    }
    struct dbcopy_table *t = &ts->t[ts->n++];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", table);
    snprintf(t->src_sum, sizeof(t->src_sum), "%s", hex);
}

static struct dbcopy_table *find(struct dbcopy_table *t, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

/* Foreign-key order: a table comes after every table it references. */
struct deps {
    struct dbcopy_table *t;
    int n;
    unsigned char (*edge)[MAX_TABLES]; /* edge[a][b]: a references b */
    int cur;
};

static int note_ref(const char *table, const char *column, int has_id, void *arg)
{
    (void)column;
    (void)has_id;
    struct deps *d = arg;
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->t[i].name, table) == 0 && i != d->cur)
            d->edge[i][d->cur] = 1;
    return 0;
}

static int order_tables(struct store *st, struct dbcopy_table *t, int n, struct err *e)
{
    struct deps d = {t, n, calloc(MAX_TABLES, sizeof(*d.edge)), 0};
    if (!d.edge)
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    int rc = 0;
    for (d.cur = 0; d.cur < n && !rc; d.cur++)
        rc = store_references(st, t[d.cur].name, note_ref, &d, e);
    struct dbcopy_table *sorted = calloc((size_t)n + 1, sizeof(*sorted));
    int *done = calloc((size_t)n + 1, sizeof(int));
    int k = 0;
    while (!rc && sorted && done && k < n) {
        int progressed = 0;
        for (int i = 0; i < n; i++) {
            if (done[i])
                continue;
            int ready = 1;
            for (int j = 0; j < n && ready; j++)
                if (d.edge[i][j] && !done[j])
                    ready = 0;
            if (ready) {
                sorted[k++] = t[i];
                done[i] = 1;
                progressed = 1;
            }
        }
        if (!progressed)
            rc = err_set(e, ERR_INVALID, "to", "foreign keys form a cycle: cannot order the copy");
    }
    if (!rc && (!sorted || !done))
        rc = err_set(e, ERR_INTERNAL, "", "out of memory");
    if (!rc)
        memcpy(t, sorted, (size_t)n * sizeof(*t));
    free(sorted);
    free(done);
    free(d.edge);
    return rc;
}

static int count_rows(struct store *st, const char *table, int64_t *n, struct err *e)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM \"%s\"", table);
    return store_int(st, n, e, sql, "");
}

struct copy {
    struct store *src, *dst;
    void (*progress)(const char *, double, void *);
    void *arg;
    int64_t done, total;
};

static int flush(struct copy *c, struct sbuf *sql, struct bindv *vals, int nvals,
                 struct err *e)
{
    if (!nvals)
        return 0;
    if (sql->oom || !sql->s)
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    struct stmt *s = NULL;
    int rc = store_queryv(c->dst, &s, e, sql->s, vals, nvals);
    if (!rc) {
        while ((rc = stmt_step(s, e)) == 1)
            ;
        stmt_done(s);
    }
    return rc;
}

static int copy_table(struct copy *c, struct dbcopy_table *t, struct err *e)
{
    char sel[128];
    snprintf(sel, sizeof(sel), "SELECT * FROM \"%s\"", t->name);
    struct stmt *q = NULL;
    int rc = store_query(c->src, &q, e, sel, "");
    if (rc)
        return rc;
    struct sbuf head = {0}, sql = {0};
    struct bindv *vals = NULL;
    char **texts = NULL;
    int ncols = 0, per = 0, inbatch = 0, nvals = 0;
    while ((rc = stmt_step(q, e)) == 1) {
        if (!ncols) {
            ncols = stmt_ncols(q);
            sbuf_printf(&head, "INSERT INTO \"%s\"(", t->name);
            for (int i = 0; i < ncols; i++)
                sbuf_printf(&head, "%s\"%s\"", i ? ", " : "", stmt_colname(q, i));
            sbuf_printf(&head, ") VALUES ");
            per = BATCH_PARAMS / ncols;
            if (per < 1)
                per = 1;
            vals = calloc((size_t)per * (size_t)ncols, sizeof(*vals));
            texts = calloc((size_t)per * (size_t)ncols, sizeof(*texts));
            if (!vals || !texts) {
                rc = err_set(e, ERR_INTERNAL, "", "out of memory");
                break;
            }
        }
        if (inbatch == 0) {
            sql.n = 0;
            sbuf_puts(&sql, head.s ? head.s : "");
        }
        sbuf_printf(&sql, "%s(", inbatch ? ", " : "");
        for (int i = 0; i < ncols; i++) {
            struct bindv *v = &vals[nvals];
            memset(v, 0, sizeof(*v));
            v->type = stmt_type(q, i);
            if (v->type == 'i') {
                v->i = stmt_int(q, i);
            } else if (v->type == 'd') {
                v->d = stmt_double(q, i);
            } else if (v->type == 's') {
                free(texts[nvals]);
                texts[nvals] = strdup(stmt_text(q, i));
                v->s = texts[nvals];
            }
            nvals++;
            sbuf_printf(&sql, "%s?", i ? ", " : "");
        }
        sbuf_printf(&sql, ")");
        t->rows++;
        if (++inbatch == per) {
            rc = flush(c, &sql, vals, nvals, e);
            c->done += inbatch;
            inbatch = nvals = 0;
            if (rc)
                break;
            if (c->progress && c->total)
                c->progress(t->name, (double)c->done / (double)c->total, c->arg);
        }
    }
    stmt_done(q);
    if (rc == 0 && inbatch) {
        rc = flush(c, &sql, vals, nvals, e);
        c->done += inbatch;
    }
    if (rc == 0)
        rc = store_reset_ids(c->dst, t->name, e);
    for (int i = 0; texts && i < per * ncols; i++)
        free(texts[i]);
    free(texts);
    free(vals);
    sbuf_free(&head);
    sbuf_free(&sql);
    return rc;
}

static void dst_sum(const char *table, const char *hex, void *arg)
{
    struct tables *ts = arg;
    struct dbcopy_table *t = find(ts->t, ts->n, table);
    if (t)
        snprintf(t->dst_sum, sizeof(t->dst_sum), "%s", hex);
}

int dbcopy_run(const char *from_url, const char *to_url,
               void (*progress)(const char *stage, double frac, void *arg), void *arg,
               struct dbcopy_report *rep, struct err *e)
{
    memset(rep, 0, sizeof(*rep));
    struct copy c = {NULL, NULL, progress, arg, 0, 0};
    struct tables ts = {calloc(MAX_TABLES, sizeof(struct dbcopy_table)), 0, 0};
    if (!ts.t)
        return err_set(e, ERR_INTERNAL, "", "out of memory");
    int rc = store_open(&c.src, from_url, e);
    if (rc) {
        if (e)
            snprintf(e->field, sizeof(e->field), "from");
        goto out;
    }
    rc = store_open(&c.dst, to_url, e);
    if (rc) {
        if (e)
            snprintf(e->field, sizeof(e->field), "to");
        goto out;
    }
    int64_t people = 0, users = 0;
    rc = store_int(c.dst, &people, e, "SELECT COUNT(*) FROM customers", "");
    if (!rc)
        rc = store_int(c.dst, &users, e, "SELECT COUNT(*) FROM users", "");
    if (rc)
        goto out;
    if (people || users) {
        rc = err_set(e, ERR_CONFLICT, "to",
                     "the destination holds data already (%lld customers, %lld users): "
                     "migrate into a new, empty database",
                     (long long)people, (long long)users);
        goto out;
    }
    /* the source's checksums first: they also list its tables */
    if (progress)
        progress("checksums", 0, arg);
    rc = store_checksum_tables(c.src, collect, &ts, e);
    if (!rc && ts.err)
        rc = err_set(e, ERR_INVALID, "from", "more than %d tables", MAX_TABLES);
    if (rc)
        goto out;
    for (int i = 0; i < ts.n && !rc; i++) {
        int64_t n = 0;
        rc = count_rows(c.dst, ts.t[i].name, &n, e);
        if (rc == ERR_INTERNAL || rc == ERR_NOTFOUND)
            rc = err_set(e, ERR_INVALID, "to", "the destination has no table %s (its schema is "
                         "older than the source's)", ts.t[i].name);
        int64_t m = 0;
        if (!rc)
            rc = count_rows(c.src, ts.t[i].name, &m, e);
        c.total += m;
    }
    if (!rc)
        rc = order_tables(c.dst, ts.t, ts.n, e);
    if (rc)
        goto out;
    rc = store_begin(c.dst, e);
    if (rc)
        goto out;
    /* the rows the destination's migrations seeded (default pipeline, rule
     * templates...) give way to the source's own */
    for (int i = ts.n - 1; i >= 0 && !rc; i--) {
        char sql[128];
        snprintf(sql, sizeof(sql), "DELETE FROM \"%s\"", ts.t[i].name);
        rc = store_run(c.dst, NULL, e, sql, "");
    }
    for (int i = 0; i < ts.n && !rc; i++)
        rc = copy_table(&c, &ts.t[i], e);
    if (rc) {
        store_rollback(c.dst);
        goto out;
    }
    rc = store_commit(c.dst, e);
    if (rc)
        goto out;
    if (progress)
        progress("copy", 1.0, arg);
    rc = store_checksum_tables(c.dst, dst_sum, &ts, e);
    if (rc)
        goto out;
    for (int i = 0; i < ts.n; i++) {
        ts.t[i].same = strcmp(ts.t[i].src_sum, ts.t[i].dst_sum) == 0;
        rep->mismatches += !ts.t[i].same;
        rep->rows += ts.t[i].rows;
    }
out:
    store_close(c.src);
    store_close(c.dst);
    rep->tables = ts.t;
    rep->ntables = ts.n;
    return rc;
}

void dbcopy_report_free(struct dbcopy_report *rep)
{
    free(rep->tables);
    rep->tables = NULL;
    rep->ntables = 0;
}
