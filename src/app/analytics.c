/*
 * Analytics services over the column snapshot (see analytics.h): the
 * snapshot's rows are handed to the pure models a slice of customers at a
 * time (bounded memory), results are listed by id, and the population a
 * single profile is ranked in, and the CLV fits, are cached per as-of date.
 */
#include "app/analytics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/bgnbd.h"
#include "analytics/clv_summary.h"
#include "analytics/gammagamma.h"
#include "analytics/matrix.h"
#include "app/mining.h"
#include "util/log.h"
#include "util/timeu.h"

#define CHUNK_ROWS ((size_t)1 << 20) /* order rows handed to a model at a time */
#define DAYS_PER_WEEK 7.0
#define CURVE_POINTS 21
#define MAX_FITS 4

static int32_t today(void)
{
    int64_t t = time_now(), d = t / 86400;
    if (t % 86400 < 0)
        d--;
    return (int32_t)d;
}

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A JSON number, or null for NaN and infinities (JSON has neither). */
static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jdate(int32_t day)
{
    char buf[16];
    return day == INT32_MIN ? json_null() : json_string(date_format(day, buf, sizeof(buf)));
}

static json_t *jext(const struct snapshot *s, uint32_t i)
{
    const char *x = snapshot_ext(s, i);
    return x ? json_string(x) : json_null();
}

static int oom(struct err *e)
{
    return err_set(e, ERR_INTERNAL, "", "out of memory");
}

/* ------------------------------------------------------------ the slices */

typedef int (*slice_fn)(void *arg, size_t first, size_t n, const struct rfm_txn *tx, size_t ntx,
                        struct err *e);

/*
 * Calls fn for consecutive slices of customers [first, first + n) with
 * their rows dated <= as_of (transactions only when txn_only), each row's
 * customer counted from first. A slice holds about CHUNK_ROWS rows.
 */
static int for_slices(const struct snapshot *s, int32_t as_of, int txn_only, slice_fn fn, void *arg,
                      const struct analytics_query *q, struct err *e)
{
    size_t cap = CHUNK_ROWS, ntx = 0, first = 0, done = 0;
    struct rfm_txn *tx = malloc(cap * sizeof(*tx));
    if (!tx)
        return oom(e);
    int rc = 0;
    for (size_t i = 0; i < s->n_cust && !rc; i++) {
        uint32_t k = snapshot_count_until(s, (uint32_t)i, as_of);
        if (ntx + k > cap && i > first) {
            rc = fn(arg, first, i - first, tx, ntx, e);
            done += ntx;
            if (q && q->progress && s->n_slots)
                q->progress("scoring", (double)done / (double)s->n_slots, q->progress_arg);
            first = i;
            ntx = 0;
        }
        if (!rc && k > cap) {
            struct rfm_txn *p = realloc(tx, (size_t)k * sizeof(*tx));
            if (!p) {
                rc = oom(e);
                break;
            }
            tx = p;
            cap = k;
        }
        for (uint32_t j = 0; !rc && j < k; j++) {
            size_t o = s->c_start[i] + j;
            if (txn_only && !(s->o_flags[o] & SNAP_TXN))
                continue;
            tx[ntx++] = (struct rfm_txn){(uint32_t)(i - first), s->o_day[o], s->o_amount[o],
                                         (s->o_flags[o] & SNAP_REFUND) != 0};
        }
    }
    if (!rc && s->n_cust > first)
        rc = fn(arg, first, s->n_cust - first, tx, ntx, e);
    if (!rc && q && q->progress)
        q->progress("scoring", 1.0, q->progress_arg);
    free(tx);
    return rc;
}

/* One customer's rows as of a day (customer 0); caller frees *out. */
static int own_rows(const struct snapshot *s, uint32_t i, int32_t as_of, int txn_only,
                    struct rfm_txn **out, size_t *n)
{
    uint32_t k = snapshot_count_until(s, i, as_of);
    *n = 0;
    *out = malloc((k ? k : 1) * sizeof(**out));
    if (!*out)
        return -1;
    for (uint32_t j = 0; j < k; j++) {
        size_t o = s->c_start[i] + j;
        if (txn_only && !(s->o_flags[o] & SNAP_TXN))
            continue;
        (*out)[(*n)++] =
            (struct rfm_txn){0, s->o_day[o], s->o_amount[o], (s->o_flags[o] & SNAP_REFUND) != 0};
    }
    return 0;
}

struct rfm_pass {
    const struct rfm_grid *g;
    int32_t as_of;
    struct rfm_grid_score *grid; /* may be NULL */
    struct rfm_agg *agg;
};

static int rfm_slice(void *arg, size_t first, size_t n, const struct rfm_txn *tx, size_t ntx,
                     struct err *e)
{
    struct rfm_pass *p = arg;
    int rc = p->grid ? rfm_grid_score(p->grid + first, n, tx, ntx, p->as_of, p->g, e) : 0;
    return rc ? rc : rfm_aggregate(p->agg + first, n, tx, ntx, INT32_MIN, p->as_of, e);
}

struct clv_pass {
    int32_t as_of;
    int64_t minor_per_major;
    struct clv_summary *sum;
};

static int clv_slice(void *arg, size_t first, size_t n, const struct rfm_txn *tx, size_t ntx,
                     struct err *e)
{
    struct clv_pass *p = arg;
    return clv_summary_build(p->sum + first, n, tx, ntx, p->as_of, p->as_of, DAYS_PER_WEEK,
                             p->minor_per_major, e);
}

/* --------------------------------------------------------------- caches */

struct fit_cache {
    int32_t as_of;
    uint64_t generation;
    double at; /* monotonic seconds */
    struct bgnbd_fit bg;
    struct gg_fit gg;
};

/* Ranks of every customer with a transaction as of a day, sorted so that a
 * single customer's fresh figures can be placed among them. */
struct population {
    int32_t as_of;
    uint64_t generation;
    double at;
    size_t n_cust;       /* customers indexed (agg has n_cust entries) */
    size_t n;            /* of them, with a transaction */
    struct rfm_agg *agg; /* by customer index */
    int32_t *last;       /* n, ascending */
    uint32_t *count;     /* n, ascending */
    int64_t *net;        /* n, ascending */
    struct ranked {
        int64_t revenue, id;
    } * ranked;       /* n, revenue descending, id ascending (abc.h) */
    int64_t *cum;     /* n + 1: revenue of ranked[0 .. k-1] */
    int64_t positive; /* sum of the positive revenues */
};

struct derived {
    struct fit_cache fits[MAX_FITS];
    int nfits;
    struct population *pop;
};

static void population_free(struct population *p)
{
    if (!p)
        return;
    free(p->agg);
    free(p->last);
    free(p->count);
    free(p->net);
    free(p->ranked);
    free(p->cum);
    free(p);
}

static void derived_free(void *v)
{
    struct derived *d = v;
    if (d)
        population_free(d->pop);
    free(d);
}

/* The snapshot's derived caches; caller holds derived_lock. */
static struct derived *derived_of(struct snapshot *s)
{
    if (!s->derived) {
        s->derived = calloc(1, sizeof(struct derived));
        s->derived_free = derived_free;
    }
    return s->derived;
}

static int fresh(int32_t as_of, uint64_t gen, double at, int32_t want, const struct snapshot *s,
                 int stale_seconds)
{
    return as_of == want && (gen == s->generation || monotonic() - at < stale_seconds);
}

/* ------------------------------------------------------------- listing */

/* A customer's entry, or NULL to leave it out. */
typedef json_t *(*row_fn)(void *arg, const struct snapshot *s, uint32_t i);

static int cmp_by_id(const void *a, const void *b, void *arg)
{
    const int64_t *id = arg;
    int64_t x = id[*(const uint32_t *)a], y = id[*(const uint32_t *)b];
    return (x > y) - (x < y);
}

/*
 * Lists the customers row() keeps, by id, from q->after, at most q->limit,
 * into doc["customers"] and doc["next_cursor"] (or through q->emit).
 */
static int list_customers(const struct snapshot *s, const struct analytics_query *q, row_fn row,
                          void *arg, json_t *doc, struct err *e)
{
    if (q->no_customers)
        return 0;
    uint32_t *order = NULL;
    if (s->unsorted) {
        order = malloc((s->n_cust ? s->n_cust : 1) * sizeof(*order));
        if (!order)
            return oom(e);
        for (size_t i = 0; i < s->n_cust; i++)
            order[i] = (uint32_t)i;
        qsort_r(order, s->n_cust, sizeof(*order), cmp_by_id, s->c_id);
    }
    size_t lo = 0, hi = s->n_cust;
    while (lo < hi) { /* first position with an id above the cursor */
        size_t mid = lo + (hi - lo) / 2;
        if (s->c_id[order ? order[mid] : mid] <= q->after)
            lo = mid + 1;
        else
            hi = mid;
    }
    json_t *items = q->emit ? NULL : json_array();
    int n = 0, more = 0, rc = 0;
    if (q->emit && q->emit_head && q->emit_head(q->emit_arg, doc)) {
        free(order);
        return err_set(e, ERR_INTERNAL, "", "could not write the output");
    }
    int64_t last = 0;
    for (size_t pos = lo; pos < s->n_cust; pos++) {
        uint32_t i = order ? order[pos] : (uint32_t)pos;
        json_t *o = row(arg, s, i);
        if (!o)
            continue;
        if (q->limit && n == q->limit) {
            more = 1;
            json_decref(o);
            break;
        }
        n++;
        last = s->c_id[i];
        if (!q->emit) {
            json_array_append_new(items, o);
        } else if (q->emit(q->emit_arg, o)) {
            rc = err_set(e, ERR_INTERNAL, "", "could not write the output");
            break;
        }
    }
    free(order);
    if (items) {
        char cur[32];
        snprintf(cur, sizeof(cur), "%lld", (long long)last);
        json_object_set_new(doc, "customers", items);
        json_object_set_new(doc, "next_cursor", more ? json_string(cur) : json_null());
    }
    return rc;
}

/* The document's head: {"as_of": …, "model": model}. */
static json_t *document(int32_t as_of, json_t *model)
{
    return json_pack("{s:o,s:o}", "as_of", jdate(as_of), "model", model);
}

/* Opens the snapshot and resolves the as-of day and the configuration. */
static int begin(struct ctx *c, const struct analytics_query *q, struct analytics_config *cfg,
                 int32_t *as_of, struct snapshot **s)
{
    *s = NULL;
    *as_of = q->as_of == INT32_MIN ? today() : q->as_of;
    int rc = analytics_config_load(c, cfg);
    return rc ? rc : snapshot_read(c->app, s, q->progress, q->progress_arg, &c->err);
}

/* ------------------------------------------------------------------ RFM */

static json_t *grid_json(const struct rfm_grid *g)
{
    json_t *bands = json_array();
    for (int i = 0; i < g->nbands; i++)
        json_array_append_new(bands,
                              json_pack("[i,o]", g->band_months[i], jnum(g->band_points[i])));
    return json_pack("{s:o,s:i,s:s,s:o,s:o,s:o,s:o,s:[o,o,o],s:I}", "bands", bands, "window_months",
                     g->window_months, "r_mode", g->r_mode == RFM_R_LAST ? "last" : "sum",
                     "f_per_txn", jnum(g->f_per_txn), "f_cap", jnum(g->f_cap), "m_rate",
                     jnum(g->m_rate), "m_cap", jnum(g->m_cap), "weights", jnum(g->w_r),
                     jnum(g->w_f), jnum(g->w_m), "minor_per_major", (json_int_t)g->minor_per_major);
}

static json_t *segments_json(const struct analytics_config *cfg)
{
    json_t *a = json_array();
    for (size_t i = 0; i < cfg->nsegments; i++) {
        const struct rfm_segment_rule *r = &cfg->segments[i];
        json_array_append_new(a, json_pack("{s:s,s:s,s:[i,i],s:[i,i]}", "name", r->name, "label",
                                           r->label, "r", r->r_min, r->r_max, "fm", r->fm_min,
                                           r->fm_max));
    }
    return a;
}

struct rfm_rows {
    const struct analytics_config *cfg;
    int32_t as_of;
    const struct rfm_grid_score *grid;
    const struct rfm_agg *agg;
    const struct rfm_quintile *qs;
    int filter; /* segment index, -1 all */
};

static json_t *rfm_row(void *arg, const struct snapshot *s, uint32_t i)
{
    const struct rfm_rows *p = arg;
    const struct rfm_agg *a = &p->agg[i];
    const struct rfm_quintile *q = &p->qs[i];
    if (!a->count || (p->filter >= 0 && q->segment != p->filter))
        return NULL;
    const struct rfm_grid_score *g = &p->grid[i];
    json_t *quint =
        json_pack("{s:i,s:i,s:I,s:i,s:i,s:i,s:i,s:o}", "recency_days", p->as_of - a->last_day,
                  "frequency", (int)a->count, "monetary_minor", (json_int_t)a->net, "r", q->r, "f",
                  q->f, "m", q->m, "fm", q->fm, "segment",
                  q->segment >= 0 ? json_string(p->cfg->segments[q->segment].name) : json_null());
    return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:i,s:I,s:o}", "id", (json_int_t)s->c_id[i],
                     "external_id", jext(s, i), "score", jnum(g->score), "r", jnum(g->r), "f",
                     jnum(g->f), "m", jnum(g->m), "transactions", (int)g->transactions, "net_minor",
                     (json_int_t)g->net, "quintile", quint);
}

static json_t *rfm_summary(const struct snapshot *s, const struct rfm_rows *p)
{
    size_t nseg = p->cfg->nsegments, n = 0;
    size_t *count = calloc(nseg + 1, sizeof(*count));
    int64_t *net = calloc(nseg + 1, sizeof(*net));
    double score = 0;
    json_t *segs = json_array();
    for (size_t i = 0; count && net && i < s->n_cust; i++) {
        if (!p->agg[i].count)
            continue;
        int k = p->qs[i].segment;
        size_t slot = k >= 0 ? (size_t)k : nseg;
        count[slot]++;
        net[slot] += p->agg[i].net;
        score += p->grid[i].score;
        n++;
    }
    for (size_t k = 0; count && net && k <= nseg; k++) {
        if (k == nseg && !count[k])
            break;
        json_array_append_new(
            segs,
            json_pack("{s:o,s:o,s:I,s:o,s:I}", "name",
                      k < nseg ? json_string(p->cfg->segments[k].name) : json_null(), "label",
                      k < nseg ? json_string(p->cfg->segments[k].label) : json_null(), "customers",
                      (json_int_t)count[k], "share", jnum(n ? (double)count[k] / (double)n : 0),
                      "monetary_minor", (json_int_t)net[k]));
    }
    free(count);
    free(net);
    return json_pack("{s:I,s:o,s:o}", "customers", (json_int_t)n, "mean_score",
                     jnum(n ? score / (double)n : 0), "segments", segs);
}

int analytics_rfm(struct ctx *c, const struct analytics_query *q, json_t **out)
{
    struct analytics_config cfg;
    struct snapshot *s = NULL;
    struct rfm_grid_score *grid = NULL;
    struct rfm_agg *agg = NULL;
    struct rfm_quintile *qs = NULL;
    json_t *doc = NULL;
    int32_t as_of;
    int rc = begin(c, q, &cfg, &as_of, &s);
    if (rc)
        goto out;
    int filter = -1;
    for (size_t k = 0; q->filter && k < cfg.nsegments; k++)
        if (!strcmp(cfg.segments[k].name, q->filter))
            filter = (int)k;
    if (q->filter && filter < 0) {
        rc = err_set(&c->err, ERR_BADREQ, "segment", "no segment '%s'", q->filter);
        goto out;
    }
    size_t n = s->n_cust ? s->n_cust : 1;
    grid = malloc(n * sizeof(*grid));
    agg = malloc(n * sizeof(*agg));
    qs = malloc(n * sizeof(*qs));
    if (!grid || !agg || !qs) {
        rc = oom(&c->err);
        goto out;
    }
    struct rfm_pass pass = {&cfg.grid, as_of, grid, agg};
    rc = for_slices(s, as_of, 0, rfm_slice, &pass, q, &c->err);
    if (!rc)
        rc = rfm_quintiles(qs, agg, s->n_cust, cfg.segments, cfg.nsegments, &c->err);
    if (rc)
        goto out;
    struct rfm_rows rows = {&cfg, as_of, grid, agg, qs, filter};
    size_t scored = 0;
    for (size_t i = 0; i < s->n_cust; i++)
        scored += agg[i].count > 0;
    doc = document(as_of,
                   json_pack("{s:s,s:o,s:o,s:s,s:I}", "kind", "rfm", "grid", grid_json(&cfg.grid),
                             "segments", segments_json(&cfg), "quintile_basis",
                             "all transactions up to as_of", "customers", (json_int_t)scored));
    if (q->summary)
        json_object_set_new(doc, "summary", rfm_summary(s, &rows));
    rc = list_customers(s, q, rfm_row, &rows, doc, &c->err);
out:
    snapshot_unlock(s);
    free(grid);
    free(agg);
    free(qs);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

/* ------------------------------------------------------------------ ABC */

static const char *const class_names[] = {"A", "B", "C"};

struct abc_rows {
    const uint8_t *cls; /* by index, 255 not ranked */
    const size_t *rank;
    const int64_t *revenue;
    int filter;
};

static json_t *abc_row(void *arg, const struct snapshot *s, uint32_t i)
{
    const struct abc_rows *p = arg;
    if (p->cls[i] > ABC_C || (p->filter >= 0 && p->cls[i] != p->filter))
        return NULL;
    return json_pack("{s:I,s:o,s:s,s:I,s:I}", "id", (json_int_t)s->c_id[i], "external_id",
                     jext(s, i), "class", class_names[p->cls[i]], "rank", (json_int_t)p->rank[i],
                     "revenue_minor", (json_int_t)p->revenue[i]);
}

int analytics_abc(struct ctx *c, const struct analytics_query *q, json_t **out)
{
    struct analytics_config cfg;
    struct snapshot *s = NULL;
    struct rfm_agg *agg = NULL;
    struct abc_input *in = NULL;
    uint8_t *cls = NULL, *cls_i = NULL;
    size_t *rank = NULL, *rank_i = NULL;
    int64_t *rev = NULL;
    json_t *doc = NULL;
    int32_t as_of;
    int filter = -1;
    for (int k = 0; q->filter && k < 3; k++)
        if (!strcmp(q->filter, class_names[k]))
            filter = k;
    if (q->filter && filter < 0)
        return err_set(&c->err, ERR_BADREQ, "class", "must be A, B or C");
    int rc = begin(c, q, &cfg, &as_of, &s);
    if (rc)
        goto out;
    size_t n = s->n_cust ? s->n_cust : 1;
    agg = malloc(n * sizeof(*agg));
    in = malloc(n * sizeof(*in));
    cls = malloc(n);
    cls_i = malloc(n);
    rank = malloc(n * sizeof(*rank));
    rank_i = malloc(n * sizeof(*rank_i));
    rev = malloc(n * sizeof(*rev));
    if (!agg || !in || !cls || !cls_i || !rank || !rank_i || !rev) {
        rc = oom(&c->err);
        goto out;
    }
    struct rfm_pass pass = {&cfg.grid, as_of, NULL, agg};
    rc = for_slices(s, as_of, 0, rfm_slice, &pass, q, &c->err);
    if (rc)
        goto out;
    /* the ranked: customers with a transaction in the period */
    size_t m = 0;
    for (size_t i = 0; i < s->n_cust; i++)
        if (agg[i].count)
            in[m++] = (struct abc_input){s->c_id[i], agg[i].net};
    struct abc_result res;
    struct abc_point curve[CURVE_POINTS];
    rc = abc_classify(cls, rank, &res, curve, CURVE_POINTS, in, m, &cfg.abc, &c->err);
    if (rc)
        goto out;
    for (size_t i = 0, k = 0; i < s->n_cust; i++) {
        cls_i[i] = agg[i].count ? cls[k] : 255;
        rank_i[i] = agg[i].count ? rank[k] : 0;
        rev[i] = agg[i].net;
        k += agg[i].count > 0;
    }
    doc = document(as_of, json_pack("{s:s,s:s,s:o,s:o,s:I}", "kind", "abc", "mode",
                                    cfg.abc.mode == ABC_BY_REVENUE ? "revenue" : "customers",
                                    "a_cut", jnum(cfg.abc.a_cut), "b_cut", jnum(cfg.abc.b_cut),
                                    "customers", (json_int_t)m));
    if (q->summary) {
        json_t *classes = json_object(), *pts = json_array();
        for (int k = 0; k < 3; k++)
            json_object_set_new(classes, class_names[k],
                                json_pack("{s:I,s:I,s:o,s:o}", "customers",
                                          (json_int_t)res.cls[k].customers, "revenue_minor",
                                          (json_int_t)res.cls[k].revenue, "customer_share",
                                          jnum(res.cls[k].customer_share), "revenue_share",
                                          jnum(res.cls[k].revenue_share)));
        for (int k = 0; k < CURVE_POINTS; k++)
            json_array_append_new(
                pts, json_pack("[o,o]", jnum(curve[k].customers), jnum(curve[k].revenue)));
        json_object_set_new(doc, "summary",
                            json_pack("{s:I,s:I,s:o,s:o}", "customers", (json_int_t)res.n,
                                      "revenue_minor", (json_int_t)res.total, "classes", classes,
                                      "curve", pts));
    }
    struct abc_rows rows = {cls_i, rank_i, rev, filter};
    rc = list_customers(s, q, abc_row, &rows, doc, &c->err);
out:
    snapshot_unlock(s);
    free(agg);
    free(in);
    free(cls);
    free(cls_i);
    free(rank);
    free(rank_i);
    free(rev);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

/* ------------------------------------------------------------------ CLV */

/* Fits both models on the summaries (no lock held). */
static int fit_models(struct fit_cache *f, const struct clv_summary *sum, size_t n, struct err *e)
{
    struct mle_options o;
    struct err why = {0};
    mle_options_default(&o);
    if (bgnbd_fit(&f->bg, sum, n, &o, &why))
        return err_set(e, ERR_INVALID, "", "the BG/NBD model cannot be fitted: %s", why.msg);
    if (gg_fit(&f->gg, sum, n, &o, &why))
        return err_set(e, ERR_INVALID, "",
                       "the Gamma-Gamma model cannot be fitted (it needs customers with repeat "
                       "purchases): %s",
                       why.msg);
    return 0;
}

/* The fit as of a day: cached, or made and cached. */
static int clv_fit(struct snapshot *s, const struct analytics_config *cfg, int32_t as_of,
                   const struct clv_summary *sum, struct fit_cache *out, struct err *e)
{
    pthread_mutex_lock(&s->derived_lock);
    struct derived *d = derived_of(s);
    for (int k = 0; d && k < d->nfits; k++)
        if (fresh(d->fits[k].as_of, d->fits[k].generation, d->fits[k].at, as_of, s,
                  cfg->stale_seconds)) {
            *out = d->fits[k];
            pthread_mutex_unlock(&s->derived_lock);
            return 0;
        }
    pthread_mutex_unlock(&s->derived_lock);
    struct fit_cache f = {as_of, s->generation, monotonic(), {{0}}, {{0}}};
    int rc = fit_models(&f, sum, s->n_cust, e);
    if (rc)
        return rc;
    pthread_mutex_lock(&s->derived_lock);
    d = derived_of(s);
    if (d) {
        int slot = d->nfits < MAX_FITS ? d->nfits++ : 0;
        for (int k = 0; k < d->nfits; k++) {
            if (d->fits[k].as_of == as_of) {
                slot = k;
                break;
            }
            if (d->fits[k].at < d->fits[slot].at)
                slot = k;
        }
        d->fits[slot] = f;
    }
    pthread_mutex_unlock(&s->derived_lock);
    *out = f;
    return 0;
}

struct clv_figures {
    double p_alive, expected, value, clv;
};

static struct clv_figures clv_of(const struct fit_cache *f, const struct clv_options *o,
                                 const struct clv_summary *sm)
{
    struct clv_figures r;
    r.p_alive = bgnbd_p_alive(&f->bg.p, sm->x, sm->t_x, sm->T);
    r.expected =
        bgnbd_conditional_expected(&f->bg.p, o->months * o->units_per_month, sm->x, sm->t_x, sm->T);
    r.value = gg_expected_spend(&f->gg.p, sm->x, sm->zbar);
    r.clv = clv_customer(&f->bg.p, &f->gg.p, sm, o);
    return r;
}

struct clv_rows {
    const struct fit_cache *fit;
    const struct clv_options *o;
    const struct clv_summary *sum;
};

static json_t *clv_row(void *arg, const struct snapshot *s, uint32_t i)
{
    const struct clv_rows *p = arg;
    const struct clv_summary *sm = &p->sum[i];
    if (sm->x < 0)
        return NULL;
    struct clv_figures f = clv_of(p->fit, p->o, sm);
    return json_pack("{s:I,s:o,s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)s->c_id[i],
                     "external_id", jext(s, i), "frequency", (int)sm->x, "recency", jnum(sm->t_x),
                     "T", jnum(sm->T), "monetary", jnum(sm->zbar), "p_alive", jnum(f.p_alive),
                     "expected_purchases", jnum(f.expected), "expected_value", jnum(f.value), "clv",
                     jnum(f.clv));
}

static json_t *clv_model(const struct fit_cache *f, const struct clv_options *o, int32_t as_of)
{
    const struct bgnbd_params *b = &f->bg.p;
    const struct gg_params *g = &f->gg.p;
    return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:b,s:i,s:o,s:o,s:o}",
                     "kind", "bgnbd+gammagamma", "time_unit", "weeks", "r", jnum(b->r), "alpha",
                     jnum(b->alpha), "a", jnum(b->a), "b", jnum(b->b), "ll", jnum(f->bg.ll), "p",
                     jnum(g->p), "q", jnum(g->q), "v", jnum(g->v), "gg_ll", jnum(f->gg.ll),
                     "customers", (json_int_t)f->bg.n, "repeat_customers", (json_int_t)f->gg.n,
                     "converged", f->bg.converged && f->gg.converged, "horizon_months", o->months,
                     "monthly_discount", jnum(o->monthly_discount), "margin", jnum(o->margin),
                     "fitted_as_of", jdate(f->as_of));
}

int analytics_clv(struct ctx *c, const struct analytics_query *q, json_t **out)
{
    struct analytics_config cfg;
    struct snapshot *s = NULL;
    struct clv_summary *sum = NULL;
    json_t *doc = NULL;
    int32_t as_of;
    int rc = begin(c, q, &cfg, &as_of, &s);
    if (rc)
        goto out;
    sum = malloc((s->n_cust ? s->n_cust : 1) * sizeof(*sum));
    if (!sum) {
        rc = oom(&c->err);
        goto out;
    }
    struct clv_pass pass = {as_of, cfg.grid.minor_per_major, sum};
    rc = for_slices(s, as_of, 1, clv_slice, &pass, q, &c->err);
    struct fit_cache fit;
    if (!rc)
        rc = clv_fit(s, &cfg, as_of, sum, &fit, &c->err);
    if (rc)
        goto out;
    doc = document(as_of, clv_model(&fit, &cfg.clv, as_of));
    struct clv_rows rows = {&fit, &cfg.clv, sum};
    if (q->summary) {
        double total = 0, alive = 0, purchases = 0;
        size_t n = 0, likely = 0;
        for (size_t i = 0; i < s->n_cust; i++) {
            if (sum[i].x < 0)
                continue;
            struct clv_figures f = clv_of(&fit, &cfg.clv, &sum[i]);
            n++;
            total += isfinite(f.clv) ? f.clv : 0;
            alive += isfinite(f.p_alive) ? f.p_alive : 0;
            purchases += isfinite(f.expected) ? f.expected : 0;
            likely += f.p_alive >= 0.5;
        }
        json_object_set_new(doc, "summary",
                            json_pack("{s:I,s:o,s:o,s:o,s:o,s:I}", "customers", (json_int_t)n,
                                      "clv_total", jnum(total), "clv_mean",
                                      jnum(n ? total / (double)n : 0), "p_alive_mean",
                                      jnum(n ? alive / (double)n : 0), "expected_purchases_total",
                                      jnum(purchases), "likely_alive", (json_int_t)likely));
    }
    rc = list_customers(s, q, clv_row, &rows, doc, &c->err);
out:
    snapshot_unlock(s);
    free(sum);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

/* --------------------------------------------------------------- matrix */

/* A customer's loyalty and profit as of a day, straight from its rows. */
struct tenure {
    int32_t first, last; /* transaction days; first > last when none */
    int64_t net, margin;
    int margin_missing; /* a kept row without a margin */
};

static void tenure_of(const struct snapshot *s, uint32_t i, int32_t as_of, struct tenure *t)
{
    *t = (struct tenure){INT32_MAX, INT32_MIN, 0, 0, 0};
    for (uint32_t j = 0, k = snapshot_count_until(s, i, as_of); j < k; j++) {
        size_t o = s->c_start[i] + j;
        t->net += s->o_amount[o];
        if (s->o_margin[o] == INT32_MIN)
            t->margin_missing = 1;
        else
            t->margin += s->o_margin[o];
        if (s->o_flags[o] & SNAP_TXN) {
            if (s->o_day[o] < t->first)
                t->first = s->o_day[o];
            t->last = s->o_day[o];
        }
    }
}

static const char *const quadrant_names[] = {"strangers", "butterflies", "barnacles",
                                             "true_friends"};

struct matrix_rows {
    const uint8_t *quad; /* by index, 255 not placed */
    const struct matrix_input *in;
    const uint32_t *slot; /* index -> input row */
    int filter;
};

static json_t *matrix_row(void *arg, const struct snapshot *s, uint32_t i)
{
    const struct matrix_rows *p = arg;
    if (p->quad[i] > MATRIX_TRUE_FRIENDS || (p->filter >= 0 && p->quad[i] != p->filter))
        return NULL;
    const struct matrix_input *m = &p->in[p->slot[i]];
    return json_pack("{s:I,s:o,s:s,s:o,s:o,s:I}", "id", (json_int_t)s->c_id[i], "external_id",
                     jext(s, i), "quadrant", matrix_quadrant_name(p->quad[i]), "duration_days",
                     jnum(m->duration), "profit_minor", jnum(m->profit), "revenue_minor",
                     (json_int_t)m->revenue);
}

int analytics_matrix(struct ctx *c, const struct analytics_query *q, json_t **out)
{
    struct analytics_config cfg;
    struct snapshot *s = NULL;
    struct matrix_input *in = NULL;
    uint32_t *slot = NULL;
    uint8_t *quad = NULL, *quad_i = NULL;
    json_t *doc = NULL;
    int32_t as_of;
    int filter = -1;
    for (int k = 0; q->filter && k < 4; k++)
        if (!strcmp(q->filter, quadrant_names[k]))
            filter = k;
    if (q->filter && filter < 0)
        return err_set(&c->err, ERR_BADREQ, "quadrant",
                       "must be strangers, butterflies, barnacles or true_friends");
    int rc = begin(c, q, &cfg, &as_of, &s);
    if (rc)
        goto out;
    size_t n = s->n_cust ? s->n_cust : 1, m = 0;
    in = malloc(n * sizeof(*in));
    slot = malloc(n * sizeof(*slot));
    quad = malloc(n);
    quad_i = malloc(n);
    if (!in || !slot || !quad || !quad_i) {
        rc = oom(&c->err);
        goto out;
    }
    /* profit is the margin when every order counted has one, else revenue */
    int by_margin = 1;
    for (size_t i = 0; i < s->n_cust; i++) {
        struct tenure t;
        tenure_of(s, (uint32_t)i, as_of, &t);
        slot[i] = SNAP_NONE;
        if (t.first > t.last)
            continue;
        by_margin &= !t.margin_missing;
        slot[i] = (uint32_t)m;
        in[m++] = (struct matrix_input){(double)(t.last - t.first), (double)t.margin, t.net};
    }
    for (size_t k = 0; !by_margin && k < m; k++)
        in[k].profit = (double)in[k].revenue;
    struct matrix_config mc;
    struct matrix_result res;
    matrix_config_default(&mc);
    rc = matrix_classify(quad, &res, in, m, &mc, &c->err);
    if (rc)
        goto out;
    for (size_t i = 0; i < s->n_cust; i++)
        quad_i[i] = slot[i] == SNAP_NONE ? 255 : quad[slot[i]];
    doc = document(as_of, json_pack("{s:s,s:s,s:s,s:o,s:o,s:I}", "kind", "matrix", "duration",
                                    "days from the first to the last transaction", "profit",
                                    by_margin ? "margin" : "net_revenue", "duration_threshold",
                                    jnum(res.duration_threshold), "profit_threshold",
                                    jnum(res.profit_threshold), "customers", (json_int_t)m));
    if (q->summary) {
        json_t *cells = json_object();
        for (int k = 0; k < 4; k++)
            json_object_set_new(cells, quadrant_names[k],
                                json_pack("{s:I,s:I,s:o,s:o,s:o}", "customers",
                                          (json_int_t)res.cell[k].customers, "revenue_minor",
                                          (json_int_t)res.cell[k].revenue, "profit_minor",
                                          jnum(res.cell[k].profit), "customer_share",
                                          jnum(res.cell[k].customer_share), "revenue_share",
                                          jnum(res.cell[k].revenue_share)));
        json_object_set_new(doc, "summary",
                            json_pack("{s:I,s:I,s:o}", "customers", (json_int_t)res.n,
                                      "revenue_minor", (json_int_t)res.total_revenue, "quadrants",
                                      cells));
    }
    struct matrix_rows rows = {quad_i, in, slot, filter};
    rc = list_customers(s, q, matrix_row, &rows, doc, &c->err);
out:
    snapshot_unlock(s);
    free(in);
    free(slot);
    free(quad);
    free(quad_i);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

/* ------------------------------------------------------ one customer's scores */

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* abc.h's order: revenue descending, then id ascending. */
static int ranked_before(const struct ranked *a, int64_t revenue, int64_t id)
{
    return a->revenue > revenue || (a->revenue == revenue && a->id < id);
}

static int cmp_ranked(const void *pa, const void *pb)
{
    const struct ranked *a = pa, *b = pb;
    return ranked_before(a, b->revenue, b->id) ? -1 : ranked_before(b, a->revenue, a->id) ? 1 : 0;
}

static int build_population(const struct snapshot *s, const struct analytics_config *cfg,
                            int32_t as_of, struct population **out, struct err *e)
{
    struct population *p = calloc(1, sizeof(*p));
    size_t n = s->n_cust ? s->n_cust : 1;
    int rc = 0;
    if (!p || !(p->agg = malloc(n * sizeof(*p->agg)))) {
        rc = oom(e);
        goto out;
    }
    p->as_of = as_of;
    p->generation = s->generation;
    p->at = monotonic();
    p->n_cust = s->n_cust;
    struct rfm_pass pass = {&cfg->grid, as_of, NULL, p->agg};
    rc = for_slices(s, as_of, 0, rfm_slice, &pass, NULL, e);
    if (rc)
        goto out;
    for (size_t i = 0; i < s->n_cust; i++)
        p->n += p->agg[i].count > 0;
    size_t m = p->n ? p->n : 1;
    p->last = malloc(m * sizeof(*p->last));
    p->count = malloc(m * sizeof(*p->count));
    p->net = malloc(m * sizeof(*p->net));
    p->ranked = malloc(m * sizeof(*p->ranked));
    p->cum = malloc((m + 1) * sizeof(*p->cum));
    if (!p->last || !p->count || !p->net || !p->ranked || !p->cum) {
        rc = oom(e);
        goto out;
    }
    for (size_t i = 0, k = 0; i < s->n_cust; i++) {
        const struct rfm_agg *a = &p->agg[i];
        if (!a->count)
            continue;
        p->last[k] = a->last_day;
        p->count[k] = a->count;
        p->net[k] = a->net;
        p->ranked[k] = (struct ranked){a->net, s->c_id[i]};
        if (a->net > 0)
            p->positive += a->net;
        k++;
    }
    qsort(p->last, p->n, sizeof(*p->last), cmp_i32);
    qsort(p->count, p->n, sizeof(*p->count), cmp_u32);
    qsort(p->net, p->n, sizeof(*p->net), cmp_i64);
    qsort(p->ranked, p->n, sizeof(*p->ranked), cmp_ranked);
    p->cum[0] = 0;
    for (size_t k = 0; k < p->n; k++)
        p->cum[k + 1] = p->cum[k] + p->ranked[k].revenue;
out:
    if (rc) {
        population_free(p);
        p = NULL;
    }
    *out = p;
    return rc;
}

/* Number of entries of sorted a[n] below v (lower bound), for each type. */
#define BELOW(name, type)                                                                          \
    static size_t name(const type *a, size_t n, type v)                                            \
    {                                                                                              \
        size_t lo = 0, hi = n;                                                                     \
        while (lo < hi) {                                                                          \
            size_t mid = lo + (hi - lo) / 2;                                                       \
            if (a[mid] < v)                                                                        \
                lo = mid + 1;                                                                      \
            else                                                                                   \
                hi = mid;                                                                          \
        }                                                                                          \
        return lo;                                                                                 \
    }
BELOW(below_i32, int32_t)
BELOW(below_u32, uint32_t)
BELOW(below_i64, int64_t)
#undef BELOW

/* ceil(cut * n) with the cut rounded to millionths, as abc.c does. */
static size_t ceil_share(double cut, size_t n)
{
    uint64_t ppm = (uint64_t)llround(cut * 1e6);
    return (size_t)(((uint64_t)n * ppm + 999999) / 1000000);
}

static uint8_t quintile_of(size_t worse, size_t n)
{
    return (uint8_t)(1 + (5 * (uint64_t)worse) / n);
}

/*
 * The quintile and ABC placement of customer (index i, id) with fresh
 * aggregate a among the cached population p, in which the customer may
 * appear with older figures: that entry is taken out of the counts.
 */
static void place(const struct population *p, const struct analytics_config *cfg, uint32_t i,
                  int64_t id, const struct rfm_agg *a, json_t *scores)
{
    const struct rfm_agg *old = i < p->n_cust && p->agg[i].count ? &p->agg[i] : NULL;
    size_t n = p->n - (old ? 1 : 0) + 1;
    size_t wr = below_i32(p->last, p->n, a->last_day) - (old && old->last_day < a->last_day);
    size_t wf = below_u32(p->count, p->n, a->count) - (old && old->count < a->count);
    size_t wm = below_i64(p->net, p->n, a->net) - (old && old->net < a->net);
    struct rfm_quintile q = {quintile_of(wr, n), quintile_of(wf, n), quintile_of(wm, n), 0, 0, -1};
    q.fm = (uint8_t)((q.f + q.m) / 2);
    q.segment = rfm_segment_of(cfg->segments, cfg->nsegments, q.r, q.fm);
    const struct rfm_segment_rule *seg = q.segment >= 0 ? &cfg->segments[q.segment] : NULL;
    json_object_set_new(scores, "quintile",
                        json_pack("{s:i,s:i,s:i,s:i,s:o,s:o}", "r", q.r, "f", q.f, "m", q.m, "fm",
                                  q.fm, "segment", seg ? json_string(seg->name) : json_null(),
                                  "label", seg ? json_string(seg->label) : json_null()));

    /* rank: the ranked strictly before (net, id), less the old entry */
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ranked_before(&p->ranked[mid], a->net, id))
            lo = mid + 1;
        else
            hi = mid;
    }
    int old_before = old && old->net > a->net;
    size_t j = lo - (size_t)old_before;
    int64_t cum = p->cum[lo] - (old_before ? old->net : 0);
    int64_t positive =
        p->positive - (old && old->net > 0 ? old->net : 0) + (a->net > 0 ? a->net : 0);
    enum abc_class k = ABC_C;
    if (a->net > 0 && cfg->abc.mode == ABC_BY_CUSTOMERS)
        k = j < ceil_share(cfg->abc.a_cut, n)   ? ABC_A
            : j < ceil_share(cfg->abc.b_cut, n) ? ABC_B
                                                : ABC_C;
    else if (a->net > 0)
        k = (double)cum < cfg->abc.a_cut * (double)positive   ? ABC_A
            : (double)cum < cfg->abc.b_cut * (double)positive ? ABC_B
                                                              : ABC_C;
    json_object_set_new(
        scores, "abc",
        json_pack("{s:s,s:I}", "class", class_names[k], "rank", (json_int_t)(j + 1)));
}

/* The figures that need the population: quintile and ABC. */
static int ranked_scores(struct snapshot *s, const struct analytics_config *cfg, int32_t as_of,
                         uint32_t i, int64_t id, const struct rfm_agg *a, json_t *scores,
                         struct err *e)
{
    pthread_mutex_lock(&s->derived_lock);
    struct derived *d = derived_of(s);
    struct population *p = d ? d->pop : NULL;
    if (p && fresh(p->as_of, p->generation, p->at, as_of, s, cfg->stale_seconds)) {
        place(p, cfg, i, id, a, scores);
        pthread_mutex_unlock(&s->derived_lock);
        return 0;
    }
    pthread_mutex_unlock(&s->derived_lock);
    int rc = build_population(s, cfg, as_of, &p, e);
    if (rc)
        return rc;
    pthread_mutex_lock(&s->derived_lock);
    d = derived_of(s);
    place(p, cfg, i, id, a, scores);
    if (d) {
        population_free(d->pop);
        d->pop = p;
    } else {
        population_free(p);
    }
    pthread_mutex_unlock(&s->derived_lock);
    return 0;
}

/* CLV from the latest cached fit made as of a day up to as_of, if any. */
static void cached_clv(struct snapshot *s, const struct analytics_config *cfg, int32_t as_of,
                       uint32_t i, json_t *scores)
{
    struct fit_cache fit;
    int found = 0;
    pthread_mutex_lock(&s->derived_lock);
    struct derived *d = derived_of(s);
    for (int k = 0; d && k < d->nfits; k++)
        if (d->fits[k].as_of <= as_of && (!found || d->fits[k].as_of > fit.as_of)) {
            fit = d->fits[k];
            found = 1;
        }
    pthread_mutex_unlock(&s->derived_lock);
    struct rfm_txn *tx = NULL;
    size_t ntx = 0;
    struct clv_summary sm;
    if (!found || own_rows(s, i, as_of, 1, &tx, &ntx) ||
        clv_summary_build(&sm, 1, tx, ntx, as_of, as_of, DAYS_PER_WEEK, cfg->grid.minor_per_major,
                          NULL) ||
        sm.x < 0) {
        free(tx);
        json_object_set_new(scores, "clv", json_null());
        return;
    }
    free(tx);
    struct clv_figures f = clv_of(&fit, &cfg->clv, &sm);
    json_object_set_new(scores, "clv",
                        json_pack("{s:o,s:o,s:o,s:o,s:o}", "p_alive", jnum(f.p_alive),
                                  "expected_purchases", jnum(f.expected), "expected_value",
                                  jnum(f.value), "clv", jnum(f.clv), "model_as_of",
                                  jdate(fit.as_of)));
}

static int customer_scores(struct ctx *c, int64_t id, json_t **out)
{
    struct analytics_config cfg;
    struct snapshot *s = NULL;
    struct rfm_txn *tx = NULL;
    size_t ntx = 0;
    json_t *scores = NULL;
    int32_t as_of = today();
    int rc = analytics_config_load(c, &cfg);
    if (!rc)
        rc = snapshot_read(c->app, &s, NULL, NULL, &c->err);
    if (rc)
        goto out;
    uint32_t i = snapshot_find(s, id);
    struct rfm_grid_score g = {0, 0, 0, 0, 0, INT32_MIN, 0};
    struct rfm_agg a = {INT32_MIN, 0, 0};
    if (i != SNAP_NONE) {
        if (own_rows(s, i, as_of, 0, &tx, &ntx)) {
            rc = oom(&c->err);
            goto out;
        }
        rc = rfm_grid_score(&g, 1, tx, ntx, as_of, &cfg.grid, &c->err);
        if (!rc)
            rc = rfm_aggregate(&a, 1, tx, ntx, INT32_MIN, as_of, &c->err);
        if (rc)
            goto out;
    }
    scores = json_pack("{s:o,s:{s:o,s:o,s:o,s:o,s:i,s:I}}", "as_of", jdate(as_of), "rfm", "score",
                       jnum(g.score), "r", jnum(g.r), "f", jnum(g.f), "m", jnum(g.m),
                       "transactions", (int)g.transactions, "net_minor", (json_int_t)g.net);
    if (a.count)
        rc = ranked_scores(s, &cfg, as_of, i, id, &a, scores, &c->err);
    else {
        json_object_set_new(scores, "quintile", json_null());
        json_object_set_new(scores, "abc", json_null());
    }
    if (rc)
        goto out;
    if (a.count)
        cached_clv(s, &cfg, as_of, i, scores);
    else
        json_object_set_new(scores, "clv", json_null());
out:
    snapshot_unlock(s);
    free(tx);
    if (rc) {
        json_decref(scores);
        return rc;
    }
    *out = scores;
    return 0;
}

void analytics_customer_scores(struct ctx *c, int64_t id, json_t *profile)
{
    json_t *scores = NULL;
    struct err saved = c->err;
    if (customer_scores(c, id, &scores)) {
        log_warn("scores of customer %lld: %s", (long long)id, c->err.msg);
        c->err = saved;
        scores = json_null();
    }
    if (json_is_object(scores))
        mining_customer_churn(c, id, scores); /* after the snapshot lock is released */
    json_object_set_new(profile, "scores", scores);
}

int analytics_warm(struct ctx *c)
{
    struct analytics_config cfg;
    struct snapshot *s = NULL;
    struct population *p = NULL;
    int rc = analytics_config_load(c, &cfg);
    if (!rc)
        rc = snapshot_read(c->app, &s, NULL, NULL, &c->err);
    if (!rc)
        rc = build_population(s, &cfg, today(), &p, &c->err);
    if (!rc) {
        pthread_mutex_lock(&s->derived_lock);
        struct derived *d = derived_of(s);
        if (d) {
            population_free(d->pop);
            d->pop = p;
            p = NULL;
        }
        pthread_mutex_unlock(&s->derived_lock);
        population_free(p);
    }
    snapshot_unlock(s);
    if (!rc) { /* today's churn model for the 360° view */
        json_t *scratch = json_object();
        mining_customer_churn(c, 0, scratch);
        json_decref(scratch);
    }
    return rc;
}
