/*
 * Data mining over the column snapshot (see mining.h): per-customer
 * behavioural features as of a day, k-means clusters on them, and the churn
 * model trained on a time split and compared with BG/NBD's P(alive).
 */
#include "app/mining.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/bgnbd.h"
#include "analytics/clv_summary.h"
#include "analytics/kmeans.h"
#include "analytics/logreg.h"
#include "app/snapshot.h"
#include "util/log.h"
#include "util/timeu.h"

#define DEFAULT_K 4
#define DEFAULT_HORIZON 180
#define DEFAULT_LIMIT 50
#define NFEAT 6

static int32_t today(void)
{
    int64_t t = time_now(), d = t / 86400;
    if (t % 86400 < 0)
        d--;
    return (int32_t)d;
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int oom(struct ctx *c)
{
    return fail(c, ERR_INTERNAL, "", "out of memory");
}

/* ------------------------------------------------------------- features */

static const char *const feat_names[NFEAT] = {"recency_days", "log_frequency", "log_monetary",
                                              "tenure_days",  "mean_gap_days", "trend"};

/*
 * Customer i's features as of day (transactions on or before it), horizon h
 * for the trend: 0, or 1 when it has no transaction by then. x gets NFEAT
 * values: recency, log(1 + transactions), log(1 + net in major units,
 * floored at 0), tenure, mean days between transactions (tenure for a
 * single purchase), transactions in (day - h, day] minus those in
 * (day - 2h, day - h].
 */
static int features(const struct snapshot *s, uint32_t i, int32_t day, int h, double *x)
{
    int32_t first = INT32_MIN, last = INT32_MIN;
    double n = 0, net = 0, recent = 0, before = 0;
    for (uint32_t j = 0, cnt = snapshot_count_until(s, i, day); j < cnt; j++) {
        size_t o = s->c_start[i] + j;
        net += (double)s->o_amount[o];
        if (!(s->o_flags[o] & SNAP_TXN))
            continue;
        if (first == INT32_MIN)
            first = s->o_day[o];
        last = s->o_day[o];
        n++;
        if (s->o_day[o] > day - h)
            recent++;
        else if (s->o_day[o] > day - 2 * h)
            before++;
    }
    if (first == INT32_MIN)
        return 1;
    x[0] = day - last;
    x[1] = log1p(n);
    x[2] = log1p(net > 0 ? net / 100.0 : 0);
    x[3] = day - first;
    x[4] = n > 1 ? (double)(last - first) / (n - 1) : (double)(day - first);
    x[5] = recent - before;
    return 0;
}

/* 1 when customer i has a transaction in (from, to]. */
static int bought_in(const struct snapshot *s, uint32_t i, int32_t from, int32_t to)
{
    for (uint32_t j = snapshot_count_until(s, i, from), cnt = snapshot_count_until(s, i, to);
         j < cnt; j++)
        if (s->o_flags[s->c_start[i] + j] & SNAP_TXN)
            return 1;
    return 0;
}

/* ------------------------------------------------------------- clusters */

int mining_clusters(struct ctx *c, const struct kpi_query *q, json_t **out)
{
    int k = q->k ? q->k : DEFAULT_K;
    if (k < 2 || k > 20)
        return fail(c, ERR_BADREQ, "k", "between 2 and 20");
    static const char *const names[] = {"recency_days", "frequency", "monetary_minor",
                                        "tenure_days", "mean_gap_days"};
    enum { D = 5 };
    struct snapshot *s = NULL;
    double *x = NULL;
    int *labels = NULL;
    struct kmeans_result res = {0};
    json_t *doc = NULL;
    int32_t as_of = q->as_of == INT32_MIN ? today() : q->as_of;
    int rc = snapshot_read(c->app, &s, q->progress, q->progress_arg, &c->err);
    if (rc)
        goto out;
    size_t n = 0, cap = s->n_cust ? s->n_cust : 1;
    x = malloc(cap * D * sizeof(*x));
    if (!x) {
        rc = oom(c);
        goto out;
    }
    for (size_t i = 0; i < s->n_cust; i++) {
        double f[NFEAT];
        if (features(s, (uint32_t)i, as_of, 365, f))
            continue;
        double *r = &x[n++ * D];
        r[0] = f[0];
        r[1] = expm1(f[1]);
        r[2] = 0;
        for (uint32_t j = 0, cnt = snapshot_count_until(s, (uint32_t)i, as_of); j < cnt; j++)
            r[2] += (double)s->o_amount[s->c_start[i] + j];
        r[3] = f[3];
        r[4] = f[4];
    }
    if ((size_t)k > n) {
        rc = fail(c, ERR_INVALID, "k", "only %zu customers with a purchase", n);
        goto out;
    }
    labels = malloc((n ? n : 1) * sizeof(*labels));
    if (!labels) {
        rc = oom(c);
        goto out;
    }
    struct kmeans_options o;
    kmeans_options_default(&o);
    o.k = k;
    if (q->progress)
        q->progress("clustering", -1, q->progress_arg);
    rc = kmeans_fit(&res, labels, x, n, D, &o, &c->err);
    if (rc)
        goto out;
    json_t *clusters = json_array(), *feats = json_array();
    for (int f = 0; f < D; f++)
        json_array_append_new(feats, json_string(names[f]));
    for (int j = 0; j < res.k; j++) {
        json_t *prof = json_object();
        for (int f = 0; f < D; f++)
            json_object_set_new(prof, names[f], jnum(res.centroids[(size_t)j * D + (size_t)f]));
        json_array_append_new(
            clusters, json_pack("{s:i,s:I,s:o,s:o}", "cluster", j, "size", (json_int_t)res.sizes[j],
                                "share", jnum((double)res.sizes[j] / (double)n), "profile", prof));
    }
    char d[16];
    doc = json_pack("{s:s,s:i,s:I,s:o,s:s,s:o,s:i,s:o}", "as_of", date_format(as_of, d, sizeof(d)),
                    "k", k, "customers", (json_int_t)n, "features", feats, "method",
                    "k-means on z-scored features, k-means++ seeding, best of 5 starts", "inertia",
                    jnum(res.inertia), "iterations", res.iterations, "clusters", clusters);
out:
    snapshot_unlock(s);
    kmeans_result_release(&res);
    free(x);
    free(labels);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

/* ---------------------------------------------------------------- churn */

/* The last model trained in this process, for the 360° view; failed_as_of
 * remembers a day on which the view could not train one (too little
 * history), so profiles do not retry on every read that day. */
static struct {
    pthread_mutex_t lock;
    const struct app *app;
    int valid;
    int32_t as_of;
    int horizon;
    struct logreg_model m;
    const struct app *failed_app;
    int32_t failed_as_of;
} cache = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, {0}, NULL, 0};

/* The rows of the customers known as of day, labels from (day, day + h]. */
static int dataset(const struct snapshot *s, int32_t day, int h, double **x, uint8_t **y,
                   uint32_t **idx, size_t *n)
{
    size_t cap = s->n_cust ? s->n_cust : 1;
    *x = malloc(cap * NFEAT * sizeof(**x));
    *y = malloc(cap);
    *idx = malloc(cap * sizeof(**idx));
    *n = 0;
    if (!*x || !*y || !*idx)
        return -1;
    for (size_t i = 0; i < s->n_cust; i++) {
        if (features(s, (uint32_t)i, day, h, &(*x)[*n * NFEAT]))
            continue;
        (*y)[*n] = !bought_in(s, (uint32_t)i, day, day + h);
        (*idx)[*n] = (uint32_t)i;
        (*n)++;
    }
    return 0;
}

/* AUC of 1 - P(alive) from BG/NBD fitted on the customers as of day. */
static double bgnbd_auc(const struct snapshot *s, int32_t day, const uint32_t *idx,
                        const uint8_t *y, size_t n, struct bgnbd_params *out_p, struct err *e)
{
    struct clv_summary *sum = malloc((n ? n : 1) * sizeof(*sum));
    double *score = malloc((n ? n : 1) * sizeof(*score));
    struct rfm_txn *tx = NULL;
    size_t cap = 0;
    double auc = NAN;
    if (!sum || !score)
        goto out;
    for (size_t r = 0; r < n; r++) {
        uint32_t i = idx[r], cnt = snapshot_count_until(s, i, day), m = 0;
        if (cnt > cap) {
            struct rfm_txn *p = realloc(tx, cnt * sizeof(*p));
            if (!p)
                goto out;
            tx = p;
            cap = cnt;
        }
        for (uint32_t j = 0; j < cnt; j++) {
            size_t o = s->c_start[i] + j;
            if (s->o_flags[o] & SNAP_TXN)
                tx[m++] = (struct rfm_txn){0, s->o_day[o], s->o_amount[o], 0};
        }
        if (clv_summary_build(&sum[r], 1, tx, m, day, day, 7.0, 100, e))
            goto out;
    }
    struct mle_options o;
    struct bgnbd_fit fit;
    mle_options_default(&o);
    if (bgnbd_fit(&fit, sum, n, &o, e))
        goto out;
    *out_p = fit.p;
    for (size_t r = 0; r < n; r++)
        score[r] = 1 - bgnbd_p_alive(&fit.p, sum[r].x, sum[r].t_x, sum[r].T);
    auc = logreg_auc(score, y, n);
out:
    free(sum);
    free(score);
    free(tx);
    return auc;
}

struct risk {
    double p;
    uint32_t i;
    uint32_t row;
};

static int cmp_risk(const void *a, const void *b)
{
    const struct risk *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? 1 : -1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Trains on (T - 2h, T - h], evaluates on (T - h, T]. */
static int train(struct ctx *c, const struct snapshot *s, int32_t as_of, int h, int compare,
                 struct logreg_model *m, json_t **eval)
{
    double *x = NULL, *score = NULL;
    uint8_t *y = NULL;
    uint32_t *idx = NULL;
    size_t n;
    int rc = 0;
    if (dataset(s, as_of - 2 * h, h, &x, &y, &idx, &n)) {
        rc = oom(c);
        goto out;
    }
    size_t ntrain = n, pos_train = 0;
    for (size_t r = 0; r < n; r++)
        pos_train += y[r];
    struct err why = {0};
    if (logreg_fit(m, x, y, n, NFEAT, 1e-4, &why)) {
        rc = fail(c, ERR_INVALID, "as_of",
                  "the history before %d days ago cannot train a churn model: %s", 2 * h, why.msg);
        goto out;
    }
    free(x);
    free(y);
    free(idx);
    x = NULL;
    y = NULL;
    idx = NULL;
    if (dataset(s, as_of - h, h, &x, &y, &idx, &n) ||
        !(score = malloc((n ? n : 1) * sizeof(*score)))) {
        rc = oom(c);
        goto out;
    }
    size_t pos = 0;
    for (size_t r = 0; r < n; r++) {
        score[r] = logreg_predict(m, &x[r * NFEAT]);
        pos += y[r];
    }
    double auc = logreg_auc(score, y, n);
    struct bgnbd_params bp = {NAN, NAN, NAN, NAN};
    struct err bw = {0};
    double bauc = compare ? bgnbd_auc(s, as_of - h, idx, y, n, &bp, &bw) : NAN;
    const char *better = !compare          ? "not compared"
                         : !isfinite(bauc) ? "logistic (BG/NBD could not be fitted)"
                         : !isfinite(auc)  ? "undecided (one class only in the test period)"
                         : auc > bauc      ? "logistic"
                         : auc < bauc      ? "bgnbd"
                                           : "tie";
    *eval = json_pack(
        "{s:{s:I,s:I},s:{s:I,s:I},s:o,s:o,s:s,s:{s:o,s:o,s:o,s:o},s:s}", "train", "customers",
        (json_int_t)ntrain, "churned", (json_int_t)pos_train, "test", "customers", (json_int_t)n,
        "churned", (json_int_t)pos, "auc", jnum(auc), "bgnbd_auc", jnum(bauc), "better", better,
        "bgnbd", "r", jnum(bp.r), "alpha", jnum(bp.alpha), "a", jnum(bp.a), "b", jnum(bp.b), "why",
        "BG/NBD sees only frequency, recency and age and assumes a constant purchase rate while "
        "alive; the regression is trained on the label itself and also uses spend, gaps and the "
        "trend, so it usually ranks better on a fixed horizon, while P(alive) needs no labels "
        "and extrapolates to any horizon");
out:
    free(x);
    free(y);
    free(idx);
    free(score);
    return rc;
}

static json_t *model_json(const struct logreg_model *m)
{
    json_t *coef = json_object(), *raw = json_object(), *mean = json_object(), *sd = json_object();
    for (int j = 0; j < NFEAT; j++) {
        json_object_set_new(coef, feat_names[j], jnum(m->w[j + 1]));
        json_object_set_new(raw, feat_names[j], jnum(m->w_raw[j + 1]));
        json_object_set_new(mean, feat_names[j], jnum(m->mean[j]));
        json_object_set_new(sd, feat_names[j], jnum(m->sd[j]));
    }
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:i,s:b,s:o}", "kind",
                     "logistic regression (Newton-Raphson, ridge 1e-4 on z-scores)", "intercept",
                     jnum(m->w[0]), "coefficients", coef, "raw_intercept", jnum(m->w_raw[0]),
                     "raw_coefficients", raw, "mean", mean, "sd", sd, "iterations", m->iterations,
                     "converged", m->converged, "log_likelihood", jnum(m->ll));
}

static void remember(const struct app *a, int32_t as_of, int h, const struct logreg_model *m)
{
    pthread_mutex_lock(&cache.lock);
    cache.app = a;
    cache.valid = 1;
    cache.as_of = as_of;
    cache.horizon = h;
    cache.m = *m;
    pthread_mutex_unlock(&cache.lock);
}

static int churn_run(struct ctx *c, const struct kpi_query *q, int compare, json_t **out)
{
    int h = q->horizon_days ? q->horizon_days : DEFAULT_HORIZON;
    int limit = q->limit ? q->limit : DEFAULT_LIMIT;
    if (h < 30 || h > 730)
        return fail(c, ERR_BADREQ, "horizon", "between 30 and 730 days");
    if (limit < 1)
        return fail(c, ERR_BADREQ, "limit", "at least 1");
    struct snapshot *s = NULL;
    struct risk *risk = NULL;
    double *x = NULL;
    json_t *doc = NULL, *eval = NULL;
    struct logreg_model m;
    int32_t as_of = q->as_of == INT32_MIN ? today() : q->as_of;
    int rc = snapshot_read(c->app, &s, q->progress, q->progress_arg, &c->err);
    if (!rc) {
        if (q->progress)
            q->progress("training", -1, q->progress_arg);
        rc = train(c, s, as_of, h, compare, &m, &eval);
    }
    if (rc)
        goto out;
    size_t cap = s->n_cust ? s->n_cust : 1, n = 0, high = 0;
    risk = malloc(cap * sizeof(*risk));
    x = malloc(cap * NFEAT * sizeof(*x));
    if (!risk || !x) {
        rc = oom(c);
        goto out;
    }
    double sum = 0;
    for (size_t i = 0; i < s->n_cust; i++) {
        if (features(s, (uint32_t)i, as_of, h, &x[n * NFEAT]))
            continue;
        risk[n] = (struct risk){logreg_predict(&m, &x[n * NFEAT]), (uint32_t)i, (uint32_t)n};
        sum += risk[n].p;
        high += risk[n].p >= 0.5;
        n++;
    }
    qsort(risk, n, sizeof(*risk), cmp_risk);
    json_t *list = json_array();
    for (size_t r = 0; r < n && r < (size_t)limit; r++) {
        const double *f = &x[(size_t)risk[r].row * NFEAT];
        const char *ext = snapshot_ext(s, risk[r].i);
        json_t *o = json_pack("{s:I,s:o,s:o}", "id", (json_int_t)s->c_id[risk[r].i], "external_id",
                              ext ? json_string(ext) : json_null(), "probability", jnum(risk[r].p));
        for (int j = 0; j < NFEAT; j++)
            json_object_set_new(o, feat_names[j], jnum(f[j]));
        json_array_append_new(list, o);
    }
    char d[16];
    doc = json_pack("{s:s,s:i,s:s,s:o,s:O,s:{s:I,s:o,s:I},s:o}", "as_of",
                    date_format(as_of, d, sizeof(d)), "horizon_days", h, "label",
                    "no transaction in the next horizon_days", "model", model_json(&m),
                    "evaluation", eval, "summary", "customers", (json_int_t)n, "mean_probability",
                    jnum(n ? sum / (double)n : NAN), "high_risk", (json_int_t)high, "customers",
                    list);
    remember(c->app, as_of, h, &m);
out:
    snapshot_unlock(s);
    json_decref(eval);
    free(risk);
    free(x);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

int mining_churn(struct ctx *c, const struct kpi_query *q, json_t **out)
{
    return churn_run(c, q, 1, out);
}

void mining_customer_churn(struct ctx *c, int64_t id, json_t *scores)
{
    int32_t as_of = today();
    struct logreg_model m;
    int h = 0;
    pthread_mutex_lock(&cache.lock);
    int have = cache.valid && cache.app == c->app && cache.as_of == as_of;
    int failed = cache.failed_app == c->app && cache.failed_as_of == as_of;
    if (have) {
        m = cache.m;
        h = cache.horizon;
    }
    pthread_mutex_unlock(&cache.lock);
    if (!have && failed) {
        json_object_set_new(scores, "churn", json_null());
        return;
    }
    struct err saved = c->err;
    struct snapshot *s = NULL;
    if (!have) {
        json_t *doc = NULL;
        struct kpi_query q = {.as_of = as_of, .limit = 1};
        if (churn_run(c, &q, 0, &doc)) {
            log_info("churn model for the 360° view: %s", c->err.msg);
            c->err = saved;
            pthread_mutex_lock(&cache.lock);
            cache.failed_app = c->app;
            cache.failed_as_of = as_of;
            pthread_mutex_unlock(&cache.lock);
            json_object_set_new(scores, "churn", json_null());
            return;
        }
        json_decref(doc);
        pthread_mutex_lock(&cache.lock);
        m = cache.m;
        h = cache.horizon;
        pthread_mutex_unlock(&cache.lock);
    }
    double f[NFEAT];
    uint32_t i;
    if (snapshot_read(c->app, &s, NULL, NULL, &c->err) || (i = snapshot_find(s, id)) == SNAP_NONE ||
        features(s, i, as_of, h, f)) {
        c->err = saved;
        snapshot_unlock(s);
        json_object_set_new(scores, "churn", json_null());
        return;
    }
    snapshot_unlock(s);
    char d[16];
    json_object_set_new(scores, "churn",
                        json_pack("{s:o,s:i,s:s}", "probability", jnum(logreg_predict(&m, f)),
                                  "horizon_days", h, "model_as_of",
                                  date_format(as_of, d, sizeof(d))));
}
