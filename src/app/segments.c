/*
 * Segments (see segments.h): the column store of customer fields and scores
 * the segment language runs over, saved segments and static lists, and the
 * membership refresh that emits segment.entered / segment.left.
 */
#include "app/segments.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/segexpr.h"
#include "app/analytics.h"
#include "app/customers.h"
#include "app/events.h"
#include "app/textmining.h"
#include "app/geomarketing.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeu.h"

/* ---------------------------------------------------------------- catalogue */

enum {
    F_KIND,
    F_LIFECYCLE,
    F_COUNTRY,
    F_POSTAL,
    F_CITY,
    F_BIRTH,
    F_AGE,
    F_SEX,
    F_OCCUPATION,
    F_INCOME,
    F_TAGS,
    F_INTERESTS,
    F_FLAGS,
    F_AT_RISK,
    F_OWNER,
    F_OWNER_ID,
    F_CREATED,
    F_ORDERS,
    F_REVENUE,
    F_FIRST,
    F_LAST,
    F_C_EMAIL,
    F_C_SMS,
    F_C_PHONE,
    F_C_MAIL,
    F_C_TRACKING,
    F_C_PROFILING,
    /* geomarketing (app/geomarketing.h): placed from the postal code; the
     * nearest store is computed at evaluation, against the current stores */
    F_DEPT,
    F_REGION,
    F_LAT,
    F_LON,
    F_NEAREST,
    F_NEAREST_KM,
    F_COMPLAINT_TERMS, /* text mining: read at evaluation (eval_bits) */
    /* scores, computed only when an expression reads them */
    F_RFM_SCORE,
    F_RFM_R,
    F_RFM_F,
    F_RFM_M,
    F_RFM_SEGMENT,
    F_Q_R,
    F_Q_F,
    F_Q_M,
    F_ABC,
    F_CLV,
    F_P_ALIVE,
    F_EXPECTED,
    F_QUADRANT,
    NFIELDS
};
#define F_FIRST_SCORE F_RFM_SCORE

#define CONSENT_VALUES "granted|denied"

/* rfm_segment's values come from the analytics configuration (filled per
 * compile into a copy of this table). */
static const struct segx_field catalogue[NFIELDS] = {
    [F_KIND] = {"kind", SEGX_STR, "person|organization|guest", "person, organization or guest"},
    [F_LIFECYCLE] = {"lifecycle", SEGX_STR, "prospect|new|active|inactive|former",
                     "derived from purchases and contracts"},
    [F_COUNTRY] = {"country", SEGX_STR, NULL, "ISO code of the primary address"},
    [F_POSTAL] = {"postal_code", SEGX_STR, NULL, "of the primary address"},
    [F_CITY] = {"city", SEGX_STR, NULL, "of the primary address"},
    [F_BIRTH] = {"birth_date", SEGX_DATE, NULL, NULL},
    [F_AGE] = {"age", SEGX_NUM, NULL, "whole years, from birth_date"},
    [F_SEX] = {"sex", SEGX_STR, "female|male|other|unknown", NULL},
    [F_OCCUPATION] = {"occupation", SEGX_STR, NULL, "occupation category (CSP)"},
    [F_INCOME] = {"income_band", SEGX_STR, "low|lower_middle|middle|upper_middle|high", NULL},
    [F_TAGS] = {"tags", SEGX_SET, NULL, NULL},
    [F_INTERESTS] = {"interests", SEGX_SET, NULL, "centres of interest"},
    [F_FLAGS] = {"flags", SEGX_SET, NULL, "flags set on the customer (at_risk, ...)"},
    [F_AT_RISK] = {"at_risk", SEGX_BOOL, NULL, "the at_risk flag"},
    [F_OWNER] = {"owner", SEGX_STR, NULL, "e-mail of the owning user"},
    [F_OWNER_ID] = {"owner_id", SEGX_NUM, NULL, NULL},
    [F_CREATED] = {"created_at", SEGX_DATE, NULL, "day the record was created"},
    [F_ORDERS] = {"orders_count", SEGX_NUM, NULL, "transactions"},
    [F_REVENUE] = {"revenue", SEGX_NUM, NULL, "net revenue, major units (euros)"},
    [F_FIRST] = {"first_purchase", SEGX_DATE, NULL, NULL},
    [F_LAST] = {"last_purchase", SEGX_DATE, NULL, NULL},
    [F_C_EMAIL] = {"consent.email", SEGX_STR, CONSENT_VALUES, "latest decision on the channel"},
    [F_C_SMS] = {"consent.sms", SEGX_STR, CONSENT_VALUES, NULL},
    [F_C_PHONE] = {"consent.phone", SEGX_STR, CONSENT_VALUES, NULL},
    [F_C_MAIL] = {"consent.mail", SEGX_STR, CONSENT_VALUES, NULL},
    [F_C_TRACKING] = {"consent.tracking", SEGX_STR, CONSENT_VALUES, NULL},
    [F_C_PROFILING] = {"consent.profiling", SEGX_STR, CONSENT_VALUES, NULL},
    [F_DEPT] = {"departement", SEGX_STR, NULL, "INSEE code from the postal code: 69, 2A, 974"},
    [F_REGION] = {"region", SEGX_STR, NULL, "INSEE region code from the postal code: 84, 11"},
    [F_LAT] = {"latitude", SEGX_NUM, NULL, "of the postal code's commune (La Poste)"},
    [F_LON] = {"longitude", SEGX_NUM, NULL, "of the postal code's commune (La Poste)"},
    [F_NEAREST] = {"nearest_store", SEGX_STR, NULL, "code of the nearest active store"},
    [F_NEAREST_KM] = {"nearest_store_km", SEGX_NUM, NULL,
                      "km to it; distance_km.<code> names one store"},
    [F_COMPLAINT_TERMS] = {"complaint_terms_90d", SEGX_SET, NULL,
                           "stems of the customer's complaints of the last 90 days: contains "
                           "\"delivery\" (the value is stemmed too)",
                           textmining_segment_key},
    [F_RFM_SCORE] = {"rfm_score", SEGX_NUM, NULL, "seed grid score 5R+3F+2M"},
    [F_RFM_R] = {"rfm_r", SEGX_NUM, NULL, "seed grid recency points"},
    [F_RFM_F] = {"rfm_f", SEGX_NUM, NULL, "seed grid frequency points"},
    [F_RFM_M] = {"rfm_m", SEGX_NUM, NULL, "seed grid monetary points"},
    [F_RFM_SEGMENT] = {"rfm_segment", SEGX_STR, NULL, "quintile RFM segment"},
    [F_Q_R] = {"rfm_qr", SEGX_NUM, NULL, "recency quintile 1-5"},
    [F_Q_F] = {"rfm_qf", SEGX_NUM, NULL, "frequency quintile 1-5"},
    [F_Q_M] = {"rfm_qm", SEGX_NUM, NULL, "monetary quintile 1-5"},
    [F_ABC] = {"abc_class", SEGX_STR, "A|B|C", NULL},
    [F_CLV] = {"clv", SEGX_NUM, NULL, "BG/NBD + Gamma-Gamma, major units"},
    [F_P_ALIVE] = {"p_alive", SEGX_NUM, NULL, "probability the customer is still active"},
    [F_EXPECTED] = {"expected_purchases", SEGX_NUM, NULL, "over the CLV horizon"},
    [F_QUADRANT] = {"quadrant", SEGX_STR, "strangers|butterflies|barnacles|true_friends",
                    "loyalty x profitability"},
};

static const char *const consent_channels[] = {"email", "sms",      "phone",
                                               "mail",  "tracking", "profiling"};

/* ---------------------------------------------------------------- columns */

struct dict {
    char **s; /* s[0] unused: code 0 is "missing" */
    size_t n, cap;
    uint32_t *hash; /* open addressing: code, 0 empty */
    size_t hcap;
};

struct col {
    double *num;
    int32_t *day;
    uint8_t *flag;
    uint32_t *code;
    uint32_t *start, *items; /* SET */
    size_t nitems, capitems;
    struct dict d;
};

/* The fingerprint: highest ids and update times, and counts, that change
 * when what the columns hold changes (see fingerprint()). */
enum {
    FP_CUST_ID,
    FP_CUST_UPDATED,
    FP_AUDIT,
    FP_CONSENT,
    FP_ORDER,
    FP_INTERACTION,
    FP_EVENT,
    FP_FLAGS,
    FP_TAGS,
    FP_CONTRACTS,
    FP_CANCELLED,
    FP_SNAPGEN, /* the order snapshot's generation: bumped by every order hook */
    NFP
};

struct cols {
    size_t n, cap;
    int64_t *id; /* ascending */
    struct col c[NFIELDS];
    uint8_t *dead; /* merged or erased since the build: never a member */
    size_t ndead;
    int scored[4];   /* rfm, abc, clv, matrix computed */
    int64_t fp[NFP]; /* fingerprint of the data it reflects */
    int64_t built_at;
    int32_t today;
};

static int field_type(int f)
{
    return catalogue[f].type;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Code of s in d, added when new; 0 when out of memory. */
static uint32_t dict_code(struct dict *d, const char *s)
{
    if (!s)
        return 0;
    if (d->n + 1 >= d->hcap / 2) {
        size_t hcap = d->hcap ? d->hcap * 2 : 64;
        uint32_t *h = calloc(hcap, sizeof(*h));
        if (!h)
            return 0;
        for (size_t i = 1; i < d->n; i++) {
            size_t k = hash_str(d->s[i]) & (hcap - 1);
            while (h[k])
                k = (k + 1) & (hcap - 1);
            h[k] = (uint32_t)i;
        }
        free(d->hash);
        d->hash = h;
        d->hcap = hcap;
    }
    if (!d->n) {
        d->s = calloc(16, sizeof(char *));
        if (!d->s)
            return 0;
        d->cap = 16;
        d->n = 1;
    }
    size_t k = hash_str(s) & (d->hcap - 1);
    while (d->hash[k]) {
        if (!strcmp(d->s[d->hash[k]], s))
            return d->hash[k];
        k = (k + 1) & (d->hcap - 1);
    }
    if (d->n == d->cap) {
        char **ns = realloc(d->s, d->cap * 2 * sizeof(char *));
        if (!ns)
            return 0;
        d->s = ns;
        d->cap *= 2;
    }
    char *copy = strdup(s);
    if (!copy)
        return 0;
    d->s[d->n] = copy;
    d->hash[k] = (uint32_t)d->n;
    return (uint32_t)d->n++;
}

static void dict_free(struct dict *d)
{
    for (size_t i = 1; i < d->n; i++)
        free(d->s[i]);
    free(d->s);
    free(d->hash);
}

static void cols_free(struct cols *cs)
{
    if (!cs)
        return;
    for (int f = 0; f < NFIELDS; f++) {
        struct col *c = &cs->c[f];
        free(c->num);
        free(c->day);
        free(c->flag);
        free(c->code);
        free(c->start);
        free(c->items);
        dict_free(&c->d);
    }
    free(cs->id);
    free(cs->dead);
    free(cs);
}

static int grow(void **p, size_t cap, size_t size)
{
    void *np = realloc(*p, cap * size);
    if (!np)
        return -1;
    *p = np;
    return 0;
}

/* Room for customer n (one more row in every per-customer array). */
static int cols_reserve(struct cols *cs, size_t n)
{
    if (n < cs->cap)
        return 0;
    size_t cap = cs->cap ? cs->cap * 2 : 1024;
    if (grow((void **)&cs->id, cap, sizeof(int64_t)) || grow((void **)&cs->dead, cap, 1))
        return -1;
    for (int f = 0; f < NFIELDS; f++) {
        struct col *c = &cs->c[f];
        int rc = 0;
        switch (field_type(f)) {
        case SEGX_NUM:
            rc = grow((void **)&c->num, cap, sizeof(double));
            break;
        case SEGX_DATE:
            rc = grow((void **)&c->day, cap, sizeof(int32_t));
            break;
        case SEGX_BOOL:
            rc = grow((void **)&c->flag, cap, 1);
            break;
        case SEGX_STR:
            rc = grow((void **)&c->code, cap, sizeof(uint32_t));
            break;
        default:
            rc = grow((void **)&c->start, cap + 1, sizeof(uint32_t));
        }
        if (rc)
            return -1;
    }
    cs->cap = cap;
    return 0;
}

/* Index of a customer id, or (size_t)-1. */
static size_t cols_find(const struct cols *cs, int64_t id)
{
    size_t lo = 0, hi = cs->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cs->id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < cs->n && cs->id[lo] == id ? lo : (size_t)-1;
}

static int32_t day_of(int64_t t)
{
    return (int32_t)(t >= 0 ? t / 86400 : -((-t + 86399) / 86400));
}

static int oom(struct ctx *c)
{
    return fail(c, ERR_INTERNAL, "", "out of memory loading the segment columns");
}

static void progress_at(segment_progress_fn fn, void *arg, const char *stage, double frac)
{
    if (fn)
        fn(stage, frac, arg);
}

/* Loads a list field (SET) from (customer_id, text) rows in customer order. */
static int load_set(struct ctx *c, struct cols *cs, int f, const char *sql)
{
    struct col *col = &cs->c[f];
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, sql, "");
    if (rc)
        return rc;
    size_t next = 0; /* customers before next have their start set */
    while ((rc = stmt_step(s, &c->err)) == 1) {
        size_t i = cols_find(cs, stmt_int(s, 0));
        const char *v = stmt_text(s, 1);
        if (i == (size_t)-1 || !v || i < (next ? next - 1 : 0))
            continue;
        while (next <= i)
            col->start[next++] = (uint32_t)col->nitems;
        if (col->nitems == col->capitems) {
            size_t cap = col->capitems ? col->capitems * 2 : 1024;
            if (grow((void **)&col->items, cap, sizeof(uint32_t))) {
                rc = oom(c);
                break;
            }
            col->capitems = cap;
        }
        uint32_t code = dict_code(&col->d, v);
        if (!code) {
            rc = oom(c);
            break;
        }
        col->items[col->nitems++] = code;
    }
    stmt_done(s);
    while (next <= cs->n)
        col->start[next++] = (uint32_t)col->nitems;
    return rc < 0 ? rc : 0;
}

/* The customer rows: profile, address, owner, aggregates, lifecycle. */
/* The scalar columns of one customer row, as read by CUST_SELECT. */
#define CUST_SELECT                                                                                \
    "SELECT c.id, c.kind, c.birth_date, c.sex, c.occupation, c.income_band, c.owner_id, "          \
    "u.email, c.created_at, c.orders_count, c.revenue_minor, c.first_order_at, "                   \
    "c.last_order_at, a.country, a.postal_code, a.city, (SELECT COUNT(*) > 0 AND "                 \
    "SUM(CASE WHEN k.status = 'cancelled' THEN 1 ELSE 0 END) = COUNT(*) FROM contracts k "  \
    "WHERE k.customer_id = c.id), "                                                            \
    "c.merged_into IS NOT NULL OR c.erased_at IS NOT NULL FROM customers c LEFT JOIN "             \
    "customer_addresses a ON a.customer_id = c.id AND a.is_primary = 1 LEFT JOIN users u ON "      \
    "u.id = c.owner_id "

static void fill_row(struct cols *cs, size_t i, struct stmt *s, const struct config *cfg,
                     int64_t now)
{
    struct col *k = cs->c;
    k[F_KIND].code[i] = dict_code(&k[F_KIND].d, stmt_text(s, 1));
    int32_t birth = INT32_MIN;
    const char *bd = stmt_text(s, 2);
    if (bd && date_parse(bd, &birth))
        birth = INT32_MIN;
    k[F_BIRTH].day[i] = birth;
    k[F_AGE].num[i] = NAN;
    if (birth != INT32_MIN) {
        int m = months_between(birth, cs->today);
        k[F_AGE].num[i] = m < 0 ? NAN : (double)(m / 12);
    }
    k[F_SEX].code[i] = dict_code(&k[F_SEX].d, stmt_text(s, 3));
    k[F_OCCUPATION].code[i] = dict_code(&k[F_OCCUPATION].d, stmt_text(s, 4));
    k[F_INCOME].code[i] = dict_code(&k[F_INCOME].d, stmt_text(s, 5));
    k[F_OWNER_ID].num[i] = stmt_isnull(s, 6) ? NAN : (double)stmt_int(s, 6);
    k[F_OWNER].code[i] = dict_code(&k[F_OWNER].d, stmt_text(s, 7));
    k[F_CREATED].day[i] = day_of(stmt_int(s, 8));
    int64_t orders = stmt_int(s, 9);
    k[F_ORDERS].num[i] = (double)orders;
    k[F_REVENUE].num[i] = (double)stmt_int(s, 10) / 100.0;
    int64_t first = stmt_isnull(s, 11) ? 0 : stmt_int(s, 11);
    int64_t last = stmt_isnull(s, 12) ? 0 : stmt_int(s, 12);
    k[F_FIRST].day[i] = stmt_isnull(s, 11) ? INT32_MIN : day_of(first);
    k[F_LAST].day[i] = stmt_isnull(s, 12) ? INT32_MIN : day_of(last);
    k[F_COUNTRY].code[i] = dict_code(&k[F_COUNTRY].d, stmt_text(s, 13));
    k[F_POSTAL].code[i] = dict_code(&k[F_POSTAL].d, stmt_text(s, 14));
    k[F_CITY].code[i] = dict_code(&k[F_CITY].d, stmt_text(s, 15));
    struct geo_place gp;
    geo_place(stmt_text(s, 13), stmt_text(s, 14), stmt_text(s, 15), &gp);
    k[F_DEPT].code[i] = dict_code(&k[F_DEPT].d, *gp.dept ? gp.dept : NULL);
    k[F_REGION].code[i] = dict_code(&k[F_REGION].d, *gp.region ? gp.region : NULL);
    k[F_LAT].num[i] = gp.lat;
    k[F_LON].num[i] = gp.lon;
    k[F_NEAREST].code[i] = 0; /* filled at evaluation (eval_bits) */
    k[F_NEAREST_KM].num[i] = NAN;
    k[F_LIFECYCLE].code[i] = dict_code(
        &k[F_LIFECYCLE].d, customer_lifecycle(cfg, now, orders, first, last, (int)stmt_int(s, 16)));
    for (int ch = 0; ch < 6; ch++)
        k[F_C_EMAIL + ch].code[i] = 0;
    for (int f = F_FIRST_SCORE; f < NFIELDS; f++) {
        if (field_type(f) == SEGX_NUM)
            k[f].num[i] = NAN;
        else
            k[f].code[i] = 0;
    }
    cs->dead[i] = 0;
}

/* The customer rows: profile, address, owner, aggregates, lifecycle. */
static int load_customers(struct ctx *c, struct cols *cs, segment_progress_fn progress, void *arg)
{
    const struct config *cfg = &c->app->cfg;
    int64_t now = time_now();
    cs->today = day_of(now);
    struct stmt *s = NULL;
    progress_at(progress, arg, "customers", -1);
    int rc = store_query(c->st, &s, &c->err,
                         CUST_SELECT "WHERE c.merged_into IS NULL AND c.erased_at IS NULL ORDER "
                                     "BY c.id",
                         "");
    if (rc)
        return rc;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        int64_t id = stmt_int(s, 0);
        if (cs->n && cs->id[cs->n - 1] == id)
            continue; /* two primary addresses: the first wins */
        if (cols_reserve(cs, cs->n + 1)) {
            rc = oom(c);
            break;
        }
        size_t i = cs->n++;
        cs->id[i] = id;
        cs->c[F_AT_RISK].flag[i] = 0;
        fill_row(cs, i, s, cfg, now);
    }
    stmt_done(s);
    if (rc < 0)
        return rc;
    if (cols_reserve(cs, cs->n + 1)) /* room for the SET end offsets */
        return oom(c);
    return 0;
}

static int load_flags(struct ctx *c, struct cols *cs)
{
    int rc = load_set(c, cs, F_FLAGS,
                      "SELECT customer_id, flag FROM customer_flags ORDER BY customer_id, flag");
    if (rc)
        return rc;
    struct col *fl = &cs->c[F_FLAGS];
    for (size_t i = 0; i < cs->n; i++)
        for (uint32_t k = fl->start[i]; k < fl->start[i + 1]; k++)
            if (!strcmp(fl->d.s[fl->items[k]], "at_risk"))
                cs->c[F_AT_RISK].flag[i] = 1;
    return 0;
}

/* The latest consent decision per channel (whatever the purpose). */
static int load_consents(struct ctx *c, struct cols *cs)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id, channel, granted, at, id FROM consents ORDER BY "
                         "customer_id, channel, at, id",
                         "");
    if (rc)
        return rc;
    size_t i = (size_t)-1;
    int64_t last_id = 0;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        int64_t cid = stmt_int(s, 0);
        if (cid != last_id) {
            i = cols_find(cs, cid);
            last_id = cid;
        }
        if (i == (size_t)-1)
            continue;
        const char *ch = stmt_text(s, 1);
        for (int k = 0; k < 6; k++)
            if (ch && !strcmp(ch, consent_channels[k])) {
                struct col *col = &cs->c[F_C_EMAIL + k];
                col->code[i] = dict_code(&col->d, stmt_int(s, 2) ? "granted" : "denied");
            }
    }
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- scores */

struct score_pass {
    struct cols *cs;
    int kind; /* 0 rfm, 1 abc, 2 clv, 3 matrix */
};

static double jnumber(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static int score_emit(void *arg, json_t *row)
{
    struct score_pass *p = arg;
    struct cols *cs = p->cs;
    size_t i = cols_find(cs, json_integer_value(json_object_get(row, "id")));
    if (i != (size_t)-1) {
        struct col *k = cs->c;
        if (p->kind == 0) {
            k[F_RFM_SCORE].num[i] = jnumber(row, "score");
            k[F_RFM_R].num[i] = jnumber(row, "r");
            k[F_RFM_F].num[i] = jnumber(row, "f");
            k[F_RFM_M].num[i] = jnumber(row, "m");
            json_t *q = json_object_get(row, "quintile");
            k[F_Q_R].num[i] = jnumber(q, "r");
            k[F_Q_F].num[i] = jnumber(q, "f");
            k[F_Q_M].num[i] = jnumber(q, "m");
            k[F_RFM_SEGMENT].code[i] =
                dict_code(&k[F_RFM_SEGMENT].d, json_string_value(json_object_get(q, "segment")));
        } else if (p->kind == 1) {
            k[F_ABC].code[i] =
                dict_code(&k[F_ABC].d, json_string_value(json_object_get(row, "class")));
        } else if (p->kind == 2) {
            k[F_CLV].num[i] = jnumber(row, "clv");
            k[F_P_ALIVE].num[i] = jnumber(row, "p_alive");
            k[F_EXPECTED].num[i] = jnumber(row, "expected_purchases");
        } else {
            k[F_QUADRANT].code[i] =
                dict_code(&k[F_QUADRANT].d, json_string_value(json_object_get(row, "quadrant")));
        }
    }
    json_decref(row);
    return 0;
}

static const int score_group_first[4] = {F_RFM_SCORE, F_ABC, F_CLV, F_QUADRANT};
static const int score_group_last[4] = {F_Q_M, F_ABC, F_EXPECTED, F_QUADRANT};

static int score_group(int f)
{
    for (int g = 0; g < 4; g++)
        if (f >= score_group_first[g] && f <= score_group_last[g])
            return g;
    return -1;
}

/* Fills the scores of group g over the whole base, through the analytics
 * services (the snapshot, not SQL). Too little data for a CLV fit leaves
 * the CLV columns missing. */
static int load_scores(struct ctx *c, struct cols *cs, int g, segment_progress_fn progress,
                       void *arg)
{
    typedef int (*afn)(struct ctx *, const struct analytics_query *, json_t **);
    static const afn fns[4] = {analytics_rfm, analytics_abc, analytics_clv, analytics_matrix};
    static const char *const names[4] = {"rfm", "abc", "clv", "matrix"};
    struct score_pass p = {cs, g};
    struct analytics_query q;
    memset(&q, 0, sizeof(q));
    q.as_of = INT32_MIN;
    q.emit = score_emit;
    q.emit_arg = &p;
    q.progress = progress;
    q.progress_arg = arg;
    progress_at(progress, arg, names[g], 0);
    json_t *doc = NULL;
    int rc = fns[g](c, &q, &doc);
    json_decref(doc);
    if (rc == ERR_INVALID && g == 2) { /* not enough data to fit: no CLV */
        err_clear(&c->err);
        rc = 0;
    }
    if (!rc)
        cs->scored[g] = 1;
    return rc;
}

/* ---------------------------------------------------------------- the cache */

/* One column store per application, rebuilt when the data's fingerprint
 * changes or it is older than max_age seconds. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    struct app *app;
    struct cols *cs;
} cache;

/* A safety net for changes no fingerprint sees (an order's status): the
 * columns are rebuilt at least this often, and at midnight. */
#define COLS_MAX_AGE 600
/* More changed customers than this since the last look: rebuild instead. */
#define COLS_MAX_DELTA 10000

/* The generation of the application's order snapshot, 0 when there is none
 * yet. An order hook bumps it: with no new order id, an order's status
 * changed, which nothing else records. */
static int64_t snapshot_generation(struct app *a)
{
    pthread_mutex_lock(&a->lock);
    struct snapshot *s = a->snap;
    pthread_mutex_unlock(&a->lock);
    if (!s)
        return 0;
    pthread_rwlock_rdlock(&s->lock);
    int64_t g = (int64_t)s->generation;
    pthread_rwlock_unlock(&s->lock);
    return g;
}

static int fingerprint(struct ctx *c, int64_t fp[NFP])
{
    struct stmt *s = NULL;
    int rc = store_query(
        c->st, &s, &c->err,
        "SELECT (SELECT MAX(id) FROM customers), (SELECT MAX(updated_at) FROM customers), "
        "(SELECT MAX(id) FROM audit_log), (SELECT MAX(id) FROM consents), (SELECT MAX(id) FROM "
        "orders), (SELECT MAX(id) FROM interactions), (SELECT MAX(id) FROM events), (SELECT "
        "COUNT(*) FROM customer_flags), (SELECT COUNT(*) FROM customer_tags), (SELECT "
        "MAX(updated_at) FROM contracts), (SELECT COUNT(*) FROM contracts WHERE status = "
        "'cancelled')",
        "");
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1)
        for (int i = 0; i < FP_SNAPGEN; i++)
            fp[i] = stmt_isnull(s, i) ? 0 : stmt_int(s, i);
    stmt_done(s);
    fp[FP_SNAPGEN] = snapshot_generation(c->app);
    return rc < 0 ? rc : 0;
}

/* The texts of one customer's list (tags, interests, flags), sorted, into
 * codes of the column's dictionary; 1 when they equal what customer i has. */
static int same_set(struct ctx *c, struct col *col, size_t i, const char *sql, int64_t id,
                    int *same)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, sql, "i", id);
    if (rc)
        return rc;
    uint32_t k = col->start[i], end = col->start[i + 1];
    *same = 1;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        const char *v = stmt_text(s, 0);
        if (k >= end || !v || strcmp(col->d.s[col->items[k]], v))
            *same = 0;
        k++;
    }
    stmt_done(s);
    if (k != end)
        *same = 0;
    return rc < 0 ? rc : 0;
}

/* Appends a new customer's list items (the customer is the last one). */
static int append_set(struct ctx *c, struct cols *cs, int f, const char *sql, int64_t id)
{
    struct col *col = &cs->c[f];
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, sql, "i", id);
    if (rc)
        return rc;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        if (col->nitems == col->capitems) {
            size_t cap = col->capitems ? col->capitems * 2 : 1024;
            if (grow((void **)&col->items, cap, sizeof(uint32_t))) {
                rc = oom(c);
                break;
            }
            col->capitems = cap;
        }
        uint32_t code = dict_code(&col->d, stmt_text(s, 0));
        if (!code) {
            rc = oom(c);
            break;
        }
        col->items[col->nitems++] = code;
    }
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

static const char *const set_sql[3] = {
    "SELECT tag FROM customer_tags WHERE customer_id = ? ORDER BY tag",
    "SELECT interest FROM customer_interests WHERE customer_id = ? ORDER BY interest",
    "SELECT flag FROM customer_flags WHERE customer_id = ? ORDER BY flag",
};
static const int set_field[3] = {F_TAGS, F_INTERESTS, F_FLAGS};

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Re-reads customer id into slot i (an existing one, or the next one when
 * i == cs->n). *full is set when only a rebuild can follow the change. */
static int reload_one(struct ctx *c, struct cols *cs, size_t i, int64_t id, int *full)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, CUST_SELECT "WHERE c.id = ?", "i", id);
    if (rc)
        return rc;
    int64_t now = time_now();
    int appended = i == cs->n;
    rc = stmt_step(s, &c->err);
    if (rc == 1 && !stmt_int(s, 17)) {
        if (appended) {
            if (cols_reserve(cs, cs->n + 2)) {
                stmt_done(s);
                return oom(c);
            }
            cs->id[i] = id;
            cs->c[F_AT_RISK].flag[i] = 0;
        }
        fill_row(cs, i, s, &c->app->cfg, now);
        rc = 0;
    } else if (rc >= 0) { /* gone: merged, erased or deleted */
        rc = 0;
        if (!appended && !cs->dead[i]) {
            cs->dead[i] = 1;
            cs->ndead++;
        }
        stmt_done(s);
        return 0;
    }
    stmt_done(s);
    if (rc)
        return rc;
    for (int k = 0; k < 3 && !rc && !*full; k++) {
        struct col *col = &cs->c[set_field[k]];
        if (appended) {
            rc = append_set(c, cs, set_field[k], set_sql[k], id);
            col->start[i + 1] = (uint32_t)col->nitems;
        } else {
            int same = 0;
            rc = same_set(c, col, i, set_sql[k], id, &same);
            if (!rc && !same)
                *full = 1; /* a list changed in the middle: rebuild */
        }
    }
    if (rc || *full)
        return rc;
    if (appended) {
        cs->n++;
        struct col *fl = &cs->c[F_FLAGS];
        for (uint32_t k = fl->start[i]; k < fl->start[i + 1]; k++)
            if (!strcmp(fl->d.s[fl->items[k]], "at_risk"))
                cs->c[F_AT_RISK].flag[i] = 1;
    }
    rc = store_query(c->st, &s, &c->err,
                     "SELECT channel, granted FROM consents WHERE customer_id = ? ORDER BY "
                     "channel, at, id",
                     "i", id);
    if (rc)
        return rc;
    while ((rc = stmt_step(s, &c->err)) == 1) {
        const char *ch = stmt_text(s, 0);
        for (int k = 0; k < 6; k++)
            if (ch && !strcmp(ch, consent_channels[k])) {
                struct col *col = &cs->c[F_C_EMAIL + k];
                col->code[i] = dict_code(&col->d, stmt_int(s, 1) ? "granted" : "denied");
            }
    }
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

/*
 * Brings the columns from cs->fp to fp by re-reading only the customers that
 * changed in between (new ones appended). *full is set when a rebuild is
 * needed instead: contracts or the number of tags or flags moved, too many
 * changes, or a list changed on an existing customer.
 */
static int cols_update(struct ctx *c, struct cols *cs, const int64_t fp[NFP], int *full)
{
    *full = fp[FP_FLAGS] != cs->fp[FP_FLAGS] || fp[FP_TAGS] != cs->fp[FP_TAGS] ||
            fp[FP_CONTRACTS] != cs->fp[FP_CONTRACTS] || fp[FP_CANCELLED] != cs->fp[FP_CANCELLED] ||
            fp[FP_CUST_ID] < cs->fp[FP_CUST_ID] ||
            /* more snapshot changes than new orders: a status changed */
            fp[FP_SNAPGEN] - cs->fp[FP_SNAPGEN] > fp[FP_ORDER] - cs->fp[FP_ORDER];
    if (*full)
        return 0;
    /* each source on its own, by its id (or index) range; a UNION would
     * be planned as a merge of whole ordered tables */
    static const char *const sources[] = {
        "SELECT id FROM customers WHERE id > ? LIMIT ?",
        "SELECT id FROM customers WHERE updated_at >= ? LIMIT ?",
        /* by id, not by the (entity, entity_id) index: other entities give NULL */
        "SELECT CASE WHEN entity = 'customer' THEN entity_id END FROM audit_log WHERE id > ? "
        "LIMIT ?",
        "SELECT customer_id FROM consents WHERE id > ? LIMIT ?",
        "SELECT customer_id FROM orders WHERE id > ? LIMIT ?",
        "SELECT customer_id FROM interactions WHERE id > ? LIMIT ?",
        "SELECT customer_id FROM events WHERE id > ? AND customer_id IS NOT NULL AND type NOT "
        "LIKE 'segment.%' LIMIT ?",
    };
    static const int since[] = {FP_CUST_ID, FP_CUST_UPDATED, FP_AUDIT, FP_CONSENT,
                                FP_ORDER,   FP_INTERACTION,  FP_EVENT};
    size_t cap = 7 * (COLS_MAX_DELTA + 1), n = 0;
    int64_t *ids = malloc(cap * sizeof(int64_t));
    if (!ids)
        return oom(c);
    int rc = 0;
    for (size_t q = 0; q < 7 && !rc && !*full; q++) {
        struct stmt *s = NULL;
        size_t got = 0;
        rc = store_query(c->st, &s, &c->err, sources[q], "ii", cs->fp[since[q]],
                         (int64_t)COLS_MAX_DELTA + 1);
        if (rc)
            break;
        while ((rc = stmt_step(s, &c->err)) == 1) {
            if (!stmt_isnull(s, 0))
                ids[n++] = stmt_int(s, 0);
            got++;
        }
        stmt_done(s);
        if (rc > 0)
            rc = 0;
        if (got > COLS_MAX_DELTA)
            *full = 1;
    }
    if (!rc && !*full) { /* sorted, once each */
        qsort(ids, n, sizeof(int64_t), cmp_id);
        size_t u = 0;
        for (size_t k = 0; k < n; k++)
            if (!u || ids[u - 1] != ids[k])
                ids[u++] = ids[k];
        n = u;
        *full = n > COLS_MAX_DELTA;
    }
    if (rc || *full) {
        free(ids);
        return rc;
    }
    rc = 0;
    for (size_t k = 0; k < n && !rc && !*full; k++) {
        size_t i = cols_find(cs, ids[k]);
        if (i == (size_t)-1 && cs->n && ids[k] < cs->id[cs->n - 1])
            *full = 1; /* not at the end: only a rebuild keeps ids sorted */
        else
            rc = reload_one(c, cs, i == (size_t)-1 ? cs->n : i, ids[k], full);
    }
    free(ids);
    if (!rc && !*full) {
        if (n)
            memset(cs->scored, 0, sizeof(cs->scored)); /* scores follow orders */
        memcpy(cs->fp, fp, sizeof(cs->fp));
        log_debug("segment columns: %zu customers re-read", n);
    }
    return rc;
}

static int cols_build(struct ctx *c, struct cols **out, segment_progress_fn progress, void *arg)
{
    struct cols *cs = calloc(1, sizeof(*cs));
    if (!cs)
        return oom(c);
    int rc = load_customers(c, cs, progress, arg);
    if (!rc) {
        progress_at(progress, arg, "tags", -1);
        rc = load_set(c, cs, F_TAGS,
                      "SELECT customer_id, tag FROM customer_tags ORDER BY customer_id, tag");
    }
    if (!rc)
        rc = load_set(c, cs, F_INTERESTS,
                      "SELECT customer_id, interest FROM customer_interests ORDER BY customer_id, "
                      "interest");
    if (!rc)
        rc = load_flags(c, cs);
    if (!rc) {
        progress_at(progress, arg, "consents", -1);
        rc = load_consents(c, cs);
    }
    if (rc) {
        cols_free(cs);
        return rc;
    }
    *out = cs;
    return 0;
}

/*
 * The current column store, with the score groups uses[] needs, held under
 * cache_lock (the caller unlocks with cols_release). Evaluations are short;
 * a rebuild blocks the others, which would each have rebuilt.
 */
/*
 * The current column store, with the score groups uses[] needs, held under
 * cache_lock (the caller unlocks with cols_release). Evaluations are short;
 * a rebuild blocks the others, which would each have rebuilt; changes since
 * the last look are applied customer by customer when they are few.
 */
static int cols_acquire(struct ctx *c, const uint8_t *uses, struct cols **out,
                        segment_progress_fn progress, void *arg)
{
    int64_t fp[NFP];
    int rc = fingerprint(c, fp);
    if (rc)
        return rc;
    pthread_mutex_lock(&cache_lock);
    struct cols *cs = cache.app == c->app ? cache.cs : NULL;
    int64_t now = time_now();
    if (cs && (now - cs->built_at > COLS_MAX_AGE || now < cs->built_at || day_of(now) != cs->today))
        cs = NULL;
    if (cs && memcmp(cs->fp, fp, sizeof(fp))) {
        int full = 0;
        rc = cols_update(c, cs, fp, &full);
        if (rc || full) { /* half-updated columns are dropped */
            cols_free(cs);
            cache.cs = cs = NULL;
        }
        if (rc) {
            pthread_mutex_unlock(&cache_lock);
            return rc;
        }
    }
    if (!cs) {
        log_debug("segment columns: rebuilt");
        rc = cols_build(c, &cs, progress, arg);
        if (rc) {
            pthread_mutex_unlock(&cache_lock);
            return rc;
        }
        memcpy(cs->fp, fp, sizeof(fp));
        cs->built_at = now;
        if (cache.cs)
            cols_free(cache.cs);
        cache.app = c->app;
        cache.cs = cs;
    }
    int scored = 0;
    for (int f = F_FIRST_SCORE; uses && f < NFIELDS && !rc; f++) {
        int g = score_group(f);
        if (uses[f] && g >= 0 && !cs->scored[g]) {
            rc = load_scores(c, cs, g, progress, arg);
            scored = 1;
        }
    }
    if (scored) /* the scores may have built the snapshot: its generation moved */
        cs->fp[FP_SNAPGEN] = snapshot_generation(c->app);
    if (rc) {
        pthread_mutex_unlock(&cache_lock);
        return rc;
    }
    *out = cs;
    return 0;
}

static void cols_release(void)
{
    pthread_mutex_unlock(&cache_lock);
}

/* ---------------------------------------------------------------- compile */

struct compiled {
    struct segx *x;
    /* the catalogue, then distance_km.<code> per store */
    struct segx_field fields[NFIELDS + GEO_SEG_MAX_STORES];
    char store_fields[GEO_SEG_MAX_STORES][48];
    size_t nfields;
    char seg_values[ANALYTICS_MAX_SEGMENTS * 64];
    uint8_t uses[NFIELDS + GEO_SEG_MAX_STORES];
};

/* Compiles expr for today; ERR_INVALID naming "expr" with the position. */
static int compile(struct ctx *c, const char *expr, struct compiled *k)
{
    memset(k, 0, sizeof(*k));
    if (!expr)
        return fail(c, ERR_INVALID, "expr", "an expression is required");
    memcpy(k->fields, catalogue, sizeof(catalogue));
    struct analytics_config cfg;
    analytics_config_default(&cfg);
    if (analytics_config_load(c, &cfg))
        err_clear(&c->err); /* a bad setting is reported by the analytics routes */
    size_t off = 0;
    for (size_t i = 0; i < cfg.nsegments; i++)
        off += (size_t)snprintf(k->seg_values + off, sizeof(k->seg_values) - off, "%s%s",
                                i ? "|" : "", cfg.segments[i].name);
    k->fields[F_RFM_SEGMENT].values = k->seg_values;
    struct geo_seg *geo = NULL;
    size_t nstores = 0;
    int rc = geo_seg_open(c, &geo, k->fields + NFIELDS, &nstores);
    if (rc)
        return rc;
    for (size_t f = 0; f < nstores; f++) { /* names owned by k, not by geo */
        snprintf(k->store_fields[f], sizeof(k->store_fields[f]), "%s", k->fields[NFIELDS + f].name);
        k->fields[NFIELDS + f].name = k->store_fields[f];
    }
    geo_seg_free(geo);
    k->nfields = NFIELDS + nstores;
    struct segx_error e;
    if (segx_compile(expr, k->fields, k->nfields, day_of(time_now()), &k->x, &e))
        return fail(c, ERR_INVALID, "expr", "at byte %zu: %s", e.pos, e.msg);
    for (size_t f = 0; f < k->nfields; f++)
        k->uses[f] = (uint8_t)segx_uses(k->x, f);
    return 0;
}

/* The store columns the expression reads (nearest_store, nearest_store_km,
 * distance_km.<code>), against the stores as they are now; *geo owns them. */
static int geo_columns(struct ctx *c, const struct compiled *k, const struct cols *cs,
                       struct segx_column *sc, struct geo_seg **geo)
{
    int any = k->uses[F_NEAREST] || k->uses[F_NEAREST_KM];
    for (size_t f = NFIELDS; f < k->nfields; f++)
        any |= k->uses[f];
    *geo = NULL;
    if (!any)
        return 0;
    struct segx_field tmp[GEO_SEG_MAX_STORES];
    struct segx_column cols[GEO_SEG_MAX_STORES];
    uint8_t want[GEO_SEG_MAX_STORES] = {0};
    long at[GEO_SEG_MAX_STORES];
    size_t n = 0;
    int rc = geo_seg_open(c, geo, tmp, &n);
    for (size_t f = NFIELDS; !rc && f < k->nfields; f++) {
        at[f - NFIELDS] = geo_seg_index(*geo, k->fields[f].name);
        if (k->uses[f] && at[f - NFIELDS] < 0)
            rc = fail(c, ERR_CONFLICT, "expr", "'%s': the store is gone", k->fields[f].name);
        else if (k->uses[f])
            want[at[f - NFIELDS]] = 1;
    }
    if (!rc && geo_seg_columns(*geo, cs->c[F_LAT].num, cs->c[F_LON].num, cs->n,
                               k->uses[F_NEAREST] || k->uses[F_NEAREST_KM], want, &sc[F_NEAREST],
                               &sc[F_NEAREST_KM], cols))
        rc = oom(c);
    for (size_t f = NFIELDS; !rc && f < k->nfields; f++)
        if (k->uses[f])
            sc[f] = cols[at[f - NFIELDS]];
    if (rc) {
        geo_seg_free(*geo);
        *geo = NULL;
    }
    return rc;
}

/* Evaluates a compiled expression into a fresh bitset over cs (caller
 * frees *bits). Caller holds the columns. */
static int eval_bits(struct ctx *c, const struct compiled *k, const struct cols *cs,
                     uint64_t **bits)
{
    struct segx_column sc[NFIELDS + GEO_SEG_MAX_STORES];
    memset(sc, 0, sizeof(sc));
    for (int f = 0; f < NFIELDS; f++) {
        const struct col *col = &cs->c[f];
        sc[f] = (struct segx_column){col->num,
                                     col->day,
                                     col->flag,
                                     col->code,
                                     col->start,
                                     col->items,
                                     (const char *const *)col->d.s,
                                     col->d.n};
    }
    struct geo_seg *geo = NULL;
    int rc = geo_columns(c, k, cs, sc, &geo);
    if (rc)
        return rc;
    /* complaint stems: read now, the index changes without the columns */
    struct textmining_set terms = {0};
    if (k->uses[F_COMPLAINT_TERMS]) {
        rc = textmining_customer_set(c, cs->id, cs->n, time_now() - 90 * 86400, &terms);
        if (rc) {
            textmining_set_free(&terms);
            geo_seg_free(geo);
            return rc;
        }
        sc[F_COMPLAINT_TERMS] = (struct segx_column){.start = terms.start,
                                                     .items = terms.items,
                                                     .dict = (const char *const *)terms.dict,
                                                     .ndict = terms.ndict};
    }
    *bits = calloc(SEGX_WORDS(cs->n) + 1, sizeof(uint64_t));
    if (!*bits || segx_eval(k->x, sc, cs->n, *bits)) {
        textmining_set_free(&terms);
        free(*bits);
        *bits = NULL;
        geo_seg_free(geo);
        return oom(c);
    }
    geo_seg_free(geo);
    textmining_set_free(&terms);
    for (size_t i = 0; cs->ndead && i < cs->n; i++)
        if (cs->dead[i])
            (*bits)[i / 64] &= ~(UINT64_C(1) << (i % 64));
    return 0;
}

static int bits_ids(struct ctx *c, const struct cols *cs, const uint64_t *bits, int64_t **ids,
                    size_t *n)
{
    size_t cnt = segx_popcount(bits, cs->n), k = 0;
    *ids = malloc((cnt ? cnt : 1) * sizeof(int64_t));
    if (!*ids)
        return oom(c);
    for (size_t w = 0; w < SEGX_WORDS(cs->n); w++)
        for (uint64_t m = bits[w]; m; m &= m - 1)
            (*ids)[k++] = cs->id[w * 64 + (size_t)__builtin_ctzll(m)];
    *n = k;
    return 0;
}

int segment_eval_expr(struct ctx *c, const char *expr, int64_t **ids, size_t *n,
                      segment_progress_fn progress, void *arg)
{
    struct compiled k;
    struct cols *cs = NULL;
    uint64_t *bits = NULL;
    *ids = NULL;
    *n = 0;
    int rc = compile(c, expr, &k);
    if (!rc)
        rc = cols_acquire(c, k.uses, &cs, progress, arg);
    if (!rc) {
        rc = eval_bits(c, &k, cs, &bits);
        if (!rc)
            rc = bits_ids(c, cs, bits, ids, n);
        cols_release();
    }
    free(bits);
    segx_free(k.x);
    return rc;
}

int segment_count_expr(struct ctx *c, const char *expr, int64_t *count)
{
    struct compiled k;
    struct cols *cs = NULL;
    uint64_t *bits = NULL;
    int rc = compile(c, expr, &k);
    if (!rc)
        rc = cols_acquire(c, k.uses, &cs, NULL, NULL);
    if (!rc) {
        rc = eval_bits(c, &k, cs, &bits);
        if (!rc)
            *count = (int64_t)segx_popcount(bits, cs->n);
        cols_release();
    }
    free(bits);
    segx_free(k.x);
    return rc;
}

int segment_expr_stats(struct ctx *c, const char *expr, int64_t *count, double *revenue)
{
    struct compiled k;
    struct cols *cs = NULL;
    uint64_t *bits = NULL;
    int rc = compile(c, expr, &k);
    if (!rc)
        rc = cols_acquire(c, k.uses, &cs, NULL, NULL);
    if (!rc) {
        rc = eval_bits(c, &k, cs, &bits);
        if (!rc) {
            double sum = 0;
            const double *rev = cs->c[F_REVENUE].num;
            for (size_t w = 0; w < SEGX_WORDS(cs->n); w++)
                for (uint64_t m = bits[w]; m; m &= m - 1)
                    sum += rev[w * 64 + (size_t)__builtin_ctzll(m)];
            *count = (int64_t)segx_popcount(bits, cs->n);
            *revenue = sum;
        }
        cols_release();
    }
    free(bits);
    segx_free(k.x);
    return rc;
}

/* ---------------------------------------------------------------- records */

const struct field segment_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 100, NULL, NULL, "unique"},
    {"description", FT_TEXT, FF_NULLABLE, 2000, NULL, NULL, NULL},
    {"kind", FT_ENUM, 0, 0, "dynamic|static", NULL,
     "dynamic (default): members follow the expression; static: a list, filled once from expr "
     "when given, then by hand"},
    {"expr", FT_TEXT, FF_NULLABLE, SEGX_MAX_LEN, NULL, NULL,
     "the filter, in the segment language (docs/segments.md)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field segment_count_fields[] = {
    {"expr", FT_TEXT, FF_REQUIRED, SEGX_MAX_LEN, NULL, NULL, "a draft expression"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

#define SEG_COLS                                                                                   \
    "id, name, description, kind, expr, group_key, member_count, evaluated_at, created_at, "       \
    "updated_at"

static json_t *seg_row(struct stmt *s)
{
    char t1[TIME_BUF], t2[TIME_BUF], t3[TIME_BUF];
    json_t *o = json_pack(
        "{s:I,s:s,s:s?,s:s,s:s?,s:s?,s:I,s:s?,s:s,s:s}", "id", (json_int_t)stmt_int(s, 0), "name",
        stmt_text(s, 1), "description", stmt_text(s, 2), "kind", stmt_text(s, 3), "expr",
        stmt_text(s, 4), "group", stmt_text(s, 5), "member_count", (json_int_t)stmt_int(s, 6),
        "evaluated_at", stmt_isnull(s, 7) ? NULL : time_format(stmt_int(s, 7), t1, sizeof(t1)),
        "created_at", time_format(stmt_int(s, 8), t2, sizeof(t2)), "updated_at",
        time_format(stmt_int(s, 9), t3, sizeof(t3)));
    return o;
}

int segment_get(struct ctx *c, int64_t id, json_t **out)
{
    struct stmt *s = NULL;
    int rc =
        store_query(c->st, &s, &c->err, "SELECT " SEG_COLS " FROM segments WHERE id = ?", "i", id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1)
        *out = seg_row(s);
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "id", "no segment %lld", (long long)id);
    return rc < 0 ? rc : 0;
}

int segment_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT " SEG_COLS " FROM segments ORDER BY group_key IS NULL, name", "");
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1)
        json_array_append_new(items, seg_row(s));
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

int segment_find(struct ctx *c, const char *id_or_name, int64_t *id)
{
    char *end = NULL;
    long long v = strtoll(id_or_name, &end, 10);
    if (end && end != id_or_name && !*end && v > 0) {
        *id = v;
        return 0;
    }
    int rc = store_int(c->st, id, &c->err,
                       "SELECT id FROM segments WHERE name = ? OR group_key = ? ORDER BY "
                       "group_key = ? LIMIT 1",
                       "sss", id_or_name, id_or_name, id_or_name);
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_NOTFOUND, "segment", "no segment named '%s'", id_or_name);
    return rc;
}

/* kind, expr of a segment. */
static int seg_def(struct ctx *c, int64_t id, char *kind, size_t klen, char **expr, char *name,
                   size_t nlen)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, "SELECT kind, expr, name FROM segments WHERE id = ?",
                         "i", id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1) {
        snprintf(kind, klen, "%s", stmt_text(s, 0));
        *expr = stmt_text(s, 1) ? strdup(stmt_text(s, 1)) : NULL;
        if (name)
            snprintf(name, nlen, "%s", stmt_text(s, 2));
    }
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "id", "no segment %lld", (long long)id);
    return rc < 0 ? rc : 0;
}

static int stored_members(struct ctx *c, int64_t id, int64_t **ids, size_t *n)
{
    size_t cap = 1024;
    *n = 0;
    *ids = malloc(cap * sizeof(int64_t));
    if (!*ids)
        return oom(c);
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT customer_id FROM segment_members WHERE segment_id = ? ORDER BY "
                         "customer_id",
                         "i", id);
    while (!rc) {
        int step = stmt_step(s, &c->err);
        if (step <= 0) {
            rc = step;
            break;
        }
        if (*n == cap) {
            cap *= 2;
            if (grow((void **)ids, cap, sizeof(int64_t))) {
                rc = oom(c);
                break;
            }
        }
        (*ids)[(*n)++] = stmt_int(s, 0);
    }
    stmt_done(s);
    if (rc < 0) {
        free(*ids);
        *ids = NULL;
        return rc;
    }
    return 0;
}

int segment_members(struct ctx *c, int64_t segment_id, int64_t **ids, size_t *n)
{
    char kind[16], *expr = NULL;
    *ids = NULL;
    *n = 0;
    int rc = seg_def(c, segment_id, kind, sizeof(kind), &expr, NULL, 0);
    if (!rc)
        rc = strcmp(kind, "dynamic") ? stored_members(c, segment_id, ids, n)
                                     : segment_eval_expr(c, expr, ids, n, NULL, NULL);
    free(expr);
    return rc;
}

/*
 * Writes the difference between the stored membership and want (sorted),
 * emitting entered / left events when emit is set. In the caller's
 * transaction. *changed += entries + exits.
 */
static int apply_members(struct ctx *c, int64_t id, const char *name, const int64_t *want,
                         size_t nwant, int emit, int64_t *changed)
{
    int64_t *have = NULL;
    size_t nhave = 0, i = 0, j = 0;
    int rc = stored_members(c, id, &have, &nhave);
    if (rc)
        return rc;
    int64_t now = time_now();
    json_t *data = json_pack("{s:s,s:I}", "segment", name, "segment_id", (json_int_t)id);
    while (!rc && (i < nhave || j < nwant)) {
        if (j >= nwant || (i < nhave && have[i] < want[j])) { /* left */
            rc = store_run(c->st, NULL, &c->err,
                           "DELETE FROM segment_members WHERE segment_id = ? AND customer_id = ?",
                           "ii", id, have[i]);
            if (!rc && emit)
                rc = event_emit(c, "segment.left", have[i], "segment", id, data, NULL);
            i++;
            (*changed)++;
        } else if (i >= nhave || want[j] < have[i]) { /* entered */
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO segment_members(segment_id, customer_id, added_at) VALUES "
                           "(?, ?, ?)",
                           "iii", id, want[j], now);
            if (!rc && emit)
                rc = event_emit(c, "segment.entered", want[j], "segment", id, data, NULL);
            j++;
            (*changed)++;
        } else {
            i++;
            j++;
        }
    }
    json_decref(data);
    free(have);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE segments SET member_count = (SELECT COUNT(*) FROM segment_members "
                       "WHERE segment_id = ?), evaluated_at = ? WHERE id = ?",
                       "iii", id, now, id);
    return rc;
}

int segment_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(segment_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    const char *name = jstr(in, "name"), *expr = jstr(in, "expr");
    const char *kind = jstr(in, "kind") ? jstr(in, "kind") : "dynamic";
    if (!*name)
        return fail(c, ERR_INVALID, "name", "a segment needs a name");
    if (!strcmp(kind, "dynamic") && !(expr && *expr))
        return fail(c, ERR_INVALID, "expr", "a dynamic segment needs an expression");
    int64_t *ids = NULL;
    size_t n = 0;
    if (expr && *expr && (rc = segment_eval_expr(c, expr, &ids, &n, NULL, NULL)))
        return rc;
    int64_t id = 0, now = time_now(), changed = 0;
    rc = store_begin(c->st, &c->err);
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO segments(name, description, kind, expr, created_by, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       "ssssIii", name, jstr(in, "description"), kind, expr && *expr ? expr : NULL,
                       c->actor.user_id ? c->actor.user_id : INT64_MIN, now, now);
    if (rc == ERR_EXISTS)
        fail(c, ERR_EXISTS, "name", "a segment named '%s' exists", name);
    if (!rc)
        rc = apply_members(c, id, name, ids, n, 0, &changed);
    if (!rc)
        rc = segment_get(c, id, out);
    free(ids);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int segment_update(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = fields_check(segment_fields, in, FIELDS_UPDATE, &c->err);
    if (rc)
        return rc;
    char kind[16], name[128];
    char *old_expr = NULL;
    rc = seg_def(c, id, kind, sizeof(kind), &old_expr, name, sizeof(name));
    free(old_expr);
    if (rc)
        return rc;
    const char *nkind = jstr(in, "kind"), *expr = jstr(in, "expr"), *nname = jstr(in, "name");
    if (nkind && strcmp(nkind, kind))
        return fail(c, ERR_CONFLICT, "kind", "a segment's kind cannot change");
    if (nname && !*nname)
        return fail(c, ERR_INVALID, "name", "a segment needs a name");
    if (json_object_get(in, "expr") && !strcmp(kind, "dynamic") && !(expr && *expr))
        return fail(c, ERR_INVALID, "expr", "a dynamic segment needs an expression");
    int64_t *ids = NULL;
    size_t n = 0;
    int refill = expr && *expr && !strcmp(kind, "dynamic");
    if (refill && (rc = segment_eval_expr(c, expr, &ids, &n, NULL, NULL)))
        return rc;
    if (!refill && expr && *expr) { /* a static list's expr is only checked */
        struct compiled k;
        if ((rc = compile(c, expr, &k)))
            return rc;
        segx_free(k.x);
    }
    int64_t changed = 0;
    rc = store_begin(c->st, &c->err);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE segments SET name = COALESCE(?, name), expr = COALESCE(?, expr), "
                       "updated_at = ? WHERE id = ?",
                       "ssii", nname, expr && *expr ? expr : NULL, time_now(), id);
    if (rc == ERR_EXISTS)
        fail(c, ERR_EXISTS, "name", "a segment named '%s' exists", nname);
    if (!rc && json_object_get(in, "description"))
        rc = store_run(c->st, NULL, &c->err, "UPDATE segments SET description = ? WHERE id = ?",
                       "si", jstr(in, "description"), id);
    if (!rc && refill)
        rc = apply_members(c, id, nname ? nname : name, ids, n, 1, &changed);
    if (!rc)
        rc = segment_get(c, id, out);
    free(ids);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int segment_delete(struct ctx *c, int64_t id)
{
    int64_t grp = 0;
    int rc = store_int(c->st, &grp, &c->err,
                       "SELECT group_key IS NOT NULL FROM segments WHERE id = ?", "i", id);
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_NOTFOUND, "id", "no segment %lld", (long long)id);
    if (rc)
        return rc;
    if (grp)
        return fail(c, ERR_CONFLICT, "id",
                    "a targeting group cannot be deleted; edit its expression instead");
    rc = store_begin(c->st, &c->err);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err, "DELETE FROM segments WHERE id = ?", "i", id);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

static json_t *member_row(struct ctx *c, int64_t id)
{
    struct stmt *s = NULL;
    if (store_query(c->st, &s, &c->err,
                    "SELECT c.kind, c.first_name, c.last_name, c.name, c.email, a.city, "
                    "a.country, c.orders_count, c.revenue_minor, c.first_order_at, "
                    "c.last_order_at FROM customers c LEFT JOIN customer_addresses a ON "
                    "a.customer_id = c.id AND a.is_primary = 1 WHERE c.id = ?",
                    "i", id))
        return NULL;
    json_t *o = NULL;
    if (stmt_step(s, &c->err) == 1) {
        const char *kind = stmt_text(s, 0), *first = stmt_text(s, 1), *last = stmt_text(s, 2),
                   *org = stmt_text(s, 3), *email = stmt_text(s, 4);
        char name[256], t[TIME_BUF];
        if (!strcmp(kind, "organization") && org)
            snprintf(name, sizeof(name), "%s", org);
        else if (first || last)
            snprintf(name, sizeof(name), "%s%s%s", first ? first : "", first && last ? " " : "",
                     last ? last : "");
        else if (email)
            snprintf(name, sizeof(name), "%s", email);
        else
            snprintf(name, sizeof(name), "#%lld", (long long)id);
        int64_t orders = stmt_int(s, 7);
        o = json_pack("{s:I,s:s,s:s,s:s?,s:s?,s:s?,s:I,s:I,s:s?,s:s}", "id", (json_int_t)id, "kind",
                      kind, "display_name", name, "email", email, "city", stmt_text(s, 5),
                      "country", stmt_text(s, 6), "orders_count", (json_int_t)orders,
                      "revenue_minor", (json_int_t)stmt_int(s, 8), "last_order_at",
                      stmt_isnull(s, 10) ? NULL : time_format(stmt_int(s, 10), t, sizeof(t)),
                      "lifecycle",
                      customer_lifecycle(&c->app->cfg, time_now(), orders,
                                         stmt_isnull(s, 9) ? 0 : stmt_int(s, 9),
                                         stmt_isnull(s, 10) ? 0 : stmt_int(s, 10), 0));
    }
    stmt_done(s);
    return o;
}

int segment_member_rows(struct ctx *c, const int64_t *ids, size_t n, json_t **out)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *row = member_row(c, ids[i]);
        if (!row && c->err.kind) {
            json_decref(arr);
            return c->err.kind;
        }
        if (row)
            json_array_append_new(arr, row);
    }
    *out = arr;
    return 0;
}

int segment_members_page(struct ctx *c, int64_t id, int64_t after, int limit, json_t **out)
{
    if (limit <= 0)
        limit = 50;
    if (limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = segment_members(c, id, &ids, &n);
    if (rc)
        return rc;
    size_t lo = 0, hi = n; /* first id above the cursor */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    json_t *items = json_array();
    size_t k = lo;
    for (; k < n && k < lo + (size_t)limit; k++) {
        json_t *row = member_row(c, ids[k]);
        if (row)
            json_array_append_new(items, row);
    }
    json_t *next = k < n && k > lo ? json_integer(ids[k - 1]) : json_null();
    *out = json_pack("{s:o,s:I,s:o}", "items", items, "total", (json_int_t)n, "next_cursor", next);
    free(ids);
    return 0;
}

int segment_list_members(struct ctx *c, int64_t id, const json_t *customer_ids, int on,
                         json_t **out)
{
    char kind[16], name[128], *expr = NULL;
    int rc = seg_def(c, id, kind, sizeof(kind), &expr, name, sizeof(name));
    free(expr);
    if (rc)
        return rc;
    if (strcmp(kind, "static"))
        return fail(c, ERR_CONFLICT, "kind",
                    "members of a dynamic segment follow its expression; use a static list");
    if (!json_is_array(customer_ids) || json_array_size(customer_ids) > 10000)
        return fail(c, ERR_INVALID, "customer_ids", "a list of at most 10000 customer ids");
    rc = store_begin(c->st, &c->err);
    size_t i;
    json_t *v;
    json_t *data = json_pack("{s:s,s:I}", "segment", name, "segment_id", (json_int_t)id);
    int64_t now = time_now();
    json_array_foreach(customer_ids, i, v)
    {
        if (rc)
            break;
        char field[48];
        snprintf(field, sizeof(field), "customer_ids[%zu]", i);
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            rc = fail(c, ERR_INVALID, field, "a customer id");
            break;
        }
        int64_t cid = json_integer_value(v), changes = 0;
        rc = customer_exists(c, cid);
        if (rc) {
            snprintf(c->err.field, sizeof(c->err.field), "%s", field);
            break;
        }
        if (on)
            rc = store_run(c->st, &changes, &c->err,
                           "INSERT INTO segment_members(segment_id, customer_id, added_at) VALUES "
                           "(?, ?, ?) ON CONFLICT DO NOTHING",
                           "iii", id, cid, now);
        else
            rc = store_run(c->st, &changes, &c->err,
                           "DELETE FROM segment_members WHERE segment_id = ? AND customer_id = ?",
                           "ii", id, cid);
        if (!rc && changes)
            rc = event_emit(c, on ? "segment.entered" : "segment.left", cid, "segment", id, data,
                            NULL);
    }
    json_decref(data);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE segments SET member_count = (SELECT COUNT(*) FROM segment_members "
                       "WHERE segment_id = ?), updated_at = ? WHERE id = ?",
                       "iii", id, now, id);
    if (!rc)
        rc = segment_get(c, id, out);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

/* ---------------------------------------------------------------- refresh */

static int note_event(struct ctx *c, const struct event *ev, void *arg)
{
    int *seen = arg;
    if (strncmp(ev->type, "segment.", 8))
        (*seen)++;
    return 0;
}

static int64_t setting_int(struct ctx *c, const char *key, int64_t dflt)
{
    struct stmt *s = NULL;
    int64_t v = dflt;
    if (store_query(c->st, &s, NULL, "SELECT value FROM settings WHERE key = ?", "s", key))
        return dflt;
    if (stmt_step(s, NULL) == 1 && stmt_text(s, 0)) {
        char *end = NULL;
        long long x = strtoll(stmt_text(s, 0), &end, 10);
        if (end && !*end && x > 0)
            v = x;
    }
    stmt_done(s);
    return v;
}

int segments_refresh(struct ctx *c, int force, int64_t *changed)
{
    int64_t total = 0;
    if (changed)
        *changed = 0;
    /* drain the log: anything but our own events means data moved */
    int seen = 0, handled = 0, rc = 0;
    for (int round = 0; round < 10000; round++) { /* until the log is drained */
        rc = events_consume(c, "segments", 1000, note_event, &seen, &handled);
        if (rc || handled == 0)
            break;
    }
    if (rc)
        return rc;
    int64_t oldest = 0, period = setting_int(c, "segments_refresh_seconds", 300);
    rc = store_int(c->st, &oldest, &c->err,
                   "SELECT COALESCE(MIN(COALESCE(evaluated_at, 0)), 0) FROM segments WHERE kind = "
                   "'dynamic'",
                   "");
    if (rc)
        return rc;
    if (!force && !seen && time_now() - oldest < period)
        return 0;
    /* every dynamic segment, each in its own transaction */
    struct stmt *s = NULL;
    int64_t sids[1024];
    size_t ns = 0;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT id FROM segments WHERE kind = 'dynamic' ORDER BY id", "");
    if (!rc)
        while ((rc = stmt_step(s, &c->err)) == 1)
            if (ns < sizeof(sids) / sizeof(sids[0]))
                sids[ns++] = stmt_int(s, 0);
    stmt_done(s);
    if (rc < 0)
        return rc;
    rc = 0;
    for (size_t k = 0; k < ns && !rc; k++) {
        char kind[16], name[128], *expr = NULL;
        int64_t *ids = NULL;
        size_t n = 0;
        rc = seg_def(c, sids[k], kind, sizeof(kind), &expr, name, sizeof(name));
        if (!rc)
            rc = segment_eval_expr(c, expr, &ids, &n, NULL, NULL);
        free(expr);
        if (rc == ERR_INVALID) { /* a definition the catalogue no longer accepts */
            log_warn("segment %lld skipped: %s", (long long)sids[k], c->err.msg);
            err_clear(&c->err);
            rc = 0;
            free(ids);
            continue;
        }
        /* a segment never evaluated (a targeting group fresh from the
         * migration) is filled silently, like one just created */
        int64_t evaluated = 0;
        if (!rc)
            rc = store_int(c->st, &evaluated, &c->err,
                           "SELECT evaluated_at IS NOT NULL FROM segments WHERE id = ?", "i",
                           sids[k]);
        if (!rc)
            rc = store_begin(c->st, &c->err);
        if (!rc) {
            rc = apply_members(c, sids[k], name, ids, n, (int)evaluated, &total);
            if (rc)
                store_rollback(c->st);
            else
                rc = store_commit(c->st, &c->err);
        }
        free(ids);
    }
    if (changed)
        *changed = total;
    return rc;
}

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int started, stop, interval_ms;
    struct app *app;
} sched = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static void *sched_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sched.mu);
    while (!sched.stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += sched.interval_ms / 1000;
        until.tv_nsec += (long)(sched.interval_ms % 1000) * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        int timed_out = 0;
        while (!sched.stop && !timed_out)
            timed_out = pthread_cond_timedwait(&sched.cv, &sched.mu, &until) == ETIMEDOUT;
        if (sched.stop)
            break;
        pthread_mutex_unlock(&sched.mu);
        struct ctx c;
        int64_t changed = 0;
        if (ctx_init(&c, sched.app, NULL) == 0 && segments_refresh(&c, 0, &changed))
            log_warn("segments refresh: %s", c.err.msg);
        else if (changed)
            log_info("segments: %lld entries and exits", (long long)changed);
        pthread_mutex_lock(&sched.mu);
    }
    pthread_mutex_unlock(&sched.mu);
    return NULL;
}

int segments_scheduler_start(struct app *a, int interval_ms)
{
    const char *env = getenv("RELATIO_SEGMENT_REFRESH");
    if (env && *env) {
        char *end = NULL;
        long secs = strtol(env, &end, 10);
        if (end && !*end && secs >= 0 && secs <= 86400)
            interval_ms = (int)secs * 1000;
        if (interval_ms == 0)
            return 0; /* switched off */
    }
    pthread_mutex_lock(&sched.mu);
    int rc = 0;
    if (!sched.started) {
        sched.app = a;
        sched.stop = 0;
        sched.interval_ms = interval_ms > 0 ? interval_ms : 60000;
        rc = pthread_create(&sched.th, NULL, sched_main, NULL);
        sched.started = rc == 0;
    }
    pthread_mutex_unlock(&sched.mu);
    return rc ? ERR_INTERNAL : 0;
}

void segments_scheduler_stop(void)
{
    pthread_mutex_lock(&sched.mu);
    int started = sched.started;
    sched.stop = 1;
    pthread_cond_broadcast(&sched.cv);
    pthread_mutex_unlock(&sched.mu);
    if (started)
        pthread_join(sched.th, NULL);
    sched.started = 0;
}

int segment_fields_json(struct ctx *c, json_t **out)
{
    struct compiled k;
    int rc = compile(c, "kind = person", &k);
    if (rc)
        return rc;
    segx_free(k.x);
    static const char *const types[] = {"", "number", "text", "date", "list", "flag"};
    json_t *arr = json_array();
    for (size_t f = 0; f < k.nfields; f++) {
        const struct segx_field *fd = &k.fields[f];
        json_t *o = json_pack("{s:s,s:s}", "name", fd->name, "type", types[fd->type]);
        if (fd->doc)
            json_object_set_new(o, "doc", json_string(fd->doc));
        if (fd->values) {
            json_t *vals = json_array();
            const char *p = fd->values;
            while (*p) {
                const char *bar = strchr(p, '|');
                size_t len = bar ? (size_t)(bar - p) : strlen(p);
                json_array_append_new(vals, json_stringn(p, len));
                p += len + (bar ? 1 : 0);
            }
            json_object_set_new(o, "values", vals);
        }
        json_array_append_new(arr, o);
    }
    *out = json_pack("{s:o}", "fields", arr);
    return 0;
}
