/*
 * The analytics configuration (see analytics.h): DOMAIN.md's defaults, with
 * the settings table's JSON values laid over them. Kept apart from
 * analytics.c so that the scoring services stay free of SQL.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "app/analytics.h"
#include "store/store.h"

void analytics_config_default(struct analytics_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    rfm_grid_default(&cfg->grid);
    size_t n = 0;
    const struct rfm_segment_rule *rules = rfm_segments_default(&n);
    if (n > ANALYTICS_MAX_SEGMENTS)
        n = ANALYTICS_MAX_SEGMENTS;
    memcpy(cfg->segments, rules, n * sizeof(*rules));
    cfg->nsegments = n;
    abc_config_default(&cfg->abc);
    clv_options_default(&cfg->clv);
    cfg->stale_seconds = 60;
}

static int number(const json_t *o, const char *k, double *out)
{
    json_t *v = json_object_get(o, k);
    if (!v)
        return 0;
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return -1;
    *out = json_number_value(v);
    return 0;
}

static int whole(const json_t *o, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
    json_t *v = json_object_get(o, k);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static int parse_grid(const json_t *o, struct rfm_grid *g)
{
    if (!json_is_object(o))
        return -1;
    json_t *bands = json_object_get(o, "bands");
    if (bands) {
        if (!json_is_array(bands) || !json_array_size(bands) ||
            json_array_size(bands) > RFM_MAX_BANDS)
            return -1;
        g->nbands = (int)json_array_size(bands);
        for (int i = 0; i < g->nbands; i++) {
            json_t *b = json_array_get(bands, (size_t)i);
            if (!json_is_array(b) || json_array_size(b) != 2 ||
                !json_is_integer(json_array_get(b, 0)) || !json_is_number(json_array_get(b, 1)))
                return -1;
            g->band_months[i] = (int)json_integer_value(json_array_get(b, 0));
            g->band_points[i] = json_number_value(json_array_get(b, 1));
        }
    }
    int64_t w = g->window_months, mpm = g->minor_per_major;
    if (whole(o, "window_months", 1, 1200, &w) || whole(o, "minor_per_major", 1, 1000000, &mpm))
        return -1;
    g->window_months = (int)w;
    g->minor_per_major = mpm;
    const char *mode = json_string_value(json_object_get(o, "r_mode"));
    if (mode && !strcmp(mode, "last"))
        g->r_mode = RFM_R_LAST;
    else if (mode && !strcmp(mode, "sum"))
        g->r_mode = RFM_R_SUM;
    else if (json_object_get(o, "r_mode"))
        return -1;
    if (number(o, "f_per_txn", &g->f_per_txn) || number(o, "f_cap", &g->f_cap) ||
        number(o, "m_rate", &g->m_rate) || number(o, "m_cap", &g->m_cap))
        return -1;
    json_t *wt = json_object_get(o, "weights");
    if (wt) {
        if (!json_is_array(wt) || json_array_size(wt) != 3)
            return -1;
        for (size_t i = 0; i < 3; i++)
            if (!json_is_number(json_array_get(wt, i)))
                return -1;
        g->w_r = json_number_value(json_array_get(wt, 0));
        g->w_f = json_number_value(json_array_get(wt, 1));
        g->w_m = json_number_value(json_array_get(wt, 2));
    }
    return rfm_grid_check(g, NULL) ? -1 : 0;
}

static int range(const json_t *o, const char *k, uint8_t *lo, uint8_t *hi)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_array(v) || json_array_size(v) != 2)
        return -1;
    json_int_t a = json_integer_value(json_array_get(v, 0)),
               b = json_integer_value(json_array_get(v, 1));
    if (a < 1 || b > 5 || a > b)
        return -1;
    *lo = (uint8_t)a;
    *hi = (uint8_t)b;
    return 0;
}

static int parse_segments(const json_t *a, struct analytics_config *cfg)
{
    if (!json_is_array(a) || !json_array_size(a) || json_array_size(a) > ANALYTICS_MAX_SEGMENTS)
        return -1;
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o)
    {
        struct rfm_segment_rule *r = &cfg->segments[i];
        const char *name = json_string_value(json_object_get(o, "name"));
        const char *label = json_string_value(json_object_get(o, "label"));
        if (!name || !*name || strlen(name) >= sizeof(cfg->seg_text[i][0]) ||
            (label && strlen(label) >= sizeof(cfg->seg_text[i][1])))
            return -1;
        snprintf(cfg->seg_text[i][0], sizeof(cfg->seg_text[i][0]), "%s", name);
        snprintf(cfg->seg_text[i][1], sizeof(cfg->seg_text[i][1]), "%s", label ? label : name);
        r->name = cfg->seg_text[i][0];
        r->label = cfg->seg_text[i][1];
        if (range(o, "r", &r->r_min, &r->r_max) || range(o, "fm", &r->fm_min, &r->fm_max))
            return -1;
    }
    cfg->nsegments = json_array_size(a);
    return 0;
}

static int parse_abc(const json_t *o, struct abc_config *abc)
{
    if (!json_is_object(o))
        return -1;
    const char *mode = json_string_value(json_object_get(o, "mode"));
    if (mode && !strcmp(mode, "revenue"))
        abc->mode = ABC_BY_REVENUE;
    else if (mode && !strcmp(mode, "customers"))
        abc->mode = ABC_BY_CUSTOMERS;
    else if (json_object_get(o, "mode"))
        return -1;
    if (number(o, "a", &abc->a_cut) || number(o, "b", &abc->b_cut))
        return -1;
    return abc_config_check(abc, NULL) ? -1 : 0;
}

static int parse_clv(const json_t *o, struct clv_options *clv)
{
    int64_t months = clv->months;
    if (!json_is_object(o) || whole(o, "months", 1, 1200, &months) ||
        number(o, "monthly_discount", &clv->monthly_discount) ||
        number(o, "margin", &clv->margin) || clv->monthly_discount <= -1)
        return -1;
    clv->months = (int)months;
    return 0;
}

int analytics_config_load(struct ctx *c, struct analytics_config *cfg)
{
    analytics_config_default(cfg);
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT key, value FROM settings WHERE key IN ('rfm_grid', "
                         "'rfm_segments', 'abc', 'clv', 'analytics_stale_seconds')",
                         "");
    if (rc)
        return rc;
    for (;;) {
        rc = stmt_step(s, &c->err);
        if (rc != 1)
            break;
        const char *k = stmt_text(s, 0), *v = stmt_text(s, 1);
        json_t *j = v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
        int bad;
        if (!strcmp(k, "rfm_grid"))
            bad = parse_grid(j, &cfg->grid);
        else if (!strcmp(k, "rfm_segments"))
            bad = parse_segments(j, cfg);
        else if (!strcmp(k, "abc"))
            bad = parse_abc(j, &cfg->abc);
        else if (!strcmp(k, "clv"))
            bad = parse_clv(j, &cfg->clv);
        else
            bad = !json_is_integer(j) || json_integer_value(j) < 0 ||
                  json_integer_value(j) > 86400 * 7;
        if (!bad && !strcmp(k, "analytics_stale_seconds"))
            cfg->stale_seconds = (int)json_integer_value(j);
        json_decref(j);
        if (bad) {
            char field[64];
            snprintf(field, sizeof(field), "settings.%s", k);
            rc = err_set(&c->err, ERR_INVALID, field, "malformed setting (see analytics.h)");
            break;
        }
    }
    stmt_done(s);
    return rc < 0 ? rc : 0;
}
