/*
 * The analytics configuration (see analytics.h): DOMAIN.md's defaults, with
 * the settings table's JSON values laid over them. Kept apart from
 * analytics.c so that the scoring services stay free of SQL.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/analytics.h"
#include "app/audit.h"
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

/* Lays one setting's JSON value over cfg; -1 when it is malformed. */
static int apply(struct analytics_config *cfg, const char *k, const json_t *j)
{
    if (!strcmp(k, "rfm_grid"))
        return parse_grid(j, &cfg->grid);
    if (!strcmp(k, "rfm_segments"))
        return parse_segments(j, cfg);
    if (!strcmp(k, "abc"))
        return parse_abc(j, &cfg->abc);
    if (!strcmp(k, "clv"))
        return parse_clv(j, &cfg->clv);
    if (!strcmp(k, "analytics_stale_seconds")) {
        if (!json_is_integer(j) || json_integer_value(j) < 0 || json_integer_value(j) > 86400 * 7)
            return -1;
        cfg->stale_seconds = (int)json_integer_value(j);
        return 0;
    }
    return -1;
}

#define SETTING_KEYS "'rfm_grid', 'rfm_segments', 'abc', 'clv', 'analytics_stale_seconds'"
static const char *const setting_keys[] = {"rfm_grid", "rfm_segments", "abc", "clv",
                                           "analytics_stale_seconds", NULL};

/* Loads the settings over the defaults; names the stored keys in *set when
 * set is not NULL (a JSON array). */
static int load(struct ctx *c, struct analytics_config *cfg, json_t *set)
{
    analytics_config_default(cfg);
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT key, value FROM settings WHERE key IN (" SETTING_KEYS
                         ") ORDER BY key",
                         "");
    if (rc)
        return rc;
    for (;;) {
        rc = stmt_step(s, &c->err);
        if (rc != 1)
            break;
        const char *k = stmt_text(s, 0), *v = stmt_text(s, 1);
        json_t *j = v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
        int bad = apply(cfg, k, j);
        json_decref(j);
        if (bad) {
            char field[64];
            snprintf(field, sizeof(field), "settings.%s", k);
            rc = err_set(&c->err, ERR_INVALID, field, "malformed setting (see analytics.h)");
            break;
        }
        if (set)
            json_array_append_new(set, json_string(k));
    }
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

int analytics_config_load(struct ctx *c, struct analytics_config *cfg)
{
    return load(c, cfg, NULL);
}

/* The configuration in the shapes of analytics.h. */
static json_t *config_json(const struct analytics_config *cfg)
{
    const struct rfm_grid *g = &cfg->grid;
    json_t *bands = json_array();
    for (int i = 0; i < g->nbands; i++)
        json_array_append_new(bands, json_pack("[i,f]", g->band_months[i], g->band_points[i]));
    json_t *grid = json_pack(
        "{s:o,s:i,s:s,s:f,s:f,s:f,s:f,s:o,s:I}", "bands", bands, "window_months", g->window_months,
        "r_mode", g->r_mode == RFM_R_LAST ? "last" : "sum", "f_per_txn", g->f_per_txn, "f_cap",
        g->f_cap, "m_rate", g->m_rate, "m_cap", g->m_cap, "weights",
        json_pack("[f,f,f]", g->w_r, g->w_f, g->w_m), "minor_per_major",
        (json_int_t)g->minor_per_major);
    json_t *segs = json_array();
    for (size_t i = 0; i < cfg->nsegments; i++) {
        const struct rfm_segment_rule *r = &cfg->segments[i];
        json_array_append_new(segs, json_pack("{s:s,s:s,s:[i,i],s:[i,i]}", "name", r->name, "label",
                                              r->label, "r", r->r_min, r->r_max, "fm", r->fm_min,
                                              r->fm_max));
    }
    return json_pack("{s:o,s:o,s:{s:s,s:f,s:f},s:{s:i,s:f,s:f},s:i}", "rfm_grid", grid,
                     "rfm_segments", segs, "abc", "mode",
                     cfg->abc.mode == ABC_BY_REVENUE ? "revenue" : "customers", "a",
                     cfg->abc.a_cut, "b", cfg->abc.b_cut, "clv", "months", cfg->clv.months,
                     "monthly_discount", cfg->clv.monthly_discount, "margin", cfg->clv.margin,
                     "analytics_stale_seconds", cfg->stale_seconds);
}

int analytics_config_json(struct ctx *c, json_t **out)
{
    struct analytics_config cfg, defaults;
    json_t *set = json_array();
    int rc = load(c, &cfg, set);
    if (rc) {
        json_decref(set);
        return rc;
    }
    analytics_config_default(&defaults);
    *out = json_pack("{s:o,s:o,s:o}", "settings", config_json(&cfg), "defaults",
                     config_json(&defaults), "customized", set);
    return 0;
}

int analytics_config_save(struct ctx *c, const json_t *in)
{
    if (!json_is_object(in))
        return err_set(&c->err, ERR_BADREQ, "", "expected a JSON object");
    struct analytics_config cfg;
    int rc = load(c, &cfg, NULL);
    if (rc)
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)in, k, v)
    {
        int known = 0;
        for (int i = 0; setting_keys[i]; i++)
            known |= !strcmp(k, setting_keys[i]);
        if (!known && strcmp(k, "reset"))
            return err_set(&c->err, ERR_BADREQ, k, "unknown setting");
        if (!strcmp(k, "reset")) {
            size_t i;
            json_t *name;
            if (!json_is_array(v))
                return err_set(&c->err, ERR_BADREQ, "reset", "expected a list of settings");
            json_array_foreach(v, i, name)
            {
                int ok = 0;
                for (int n = 0; setting_keys[n]; n++)
                    ok |= json_is_string(name) && !strcmp(json_string_value(name), setting_keys[n]);
                if (!ok)
                    return err_set(&c->err, ERR_INVALID, "reset", "unknown setting in the list");
            }
            continue;
        }
        if (apply(&cfg, k, v)) {
            if (!strcmp(k, "rfm_grid") && json_is_object(v) && rfm_grid_check(&cfg.grid, &c->err))
                return err_set(&c->err, ERR_INVALID, k, "%s: %s", c->err.field, c->err.msg);
            return err_set(&c->err, ERR_INVALID, k, "not a valid %s (see the defaults for its shape)",
                           k);
        }
    }
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    json_t *reset = json_object_get(in, "reset");
    size_t i;
    json_t *name;
    json_array_foreach(reset, i, name)
    {
        if (!rc)
            rc = store_run(c->st, NULL, &c->err, "DELETE FROM settings WHERE key = ?", "s",
                           json_string_value(name));
    }
    json_object_foreach((json_t *)in, k, v)
    {
        if (rc || !strcmp(k, "reset"))
            continue;
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        rc = text ? store_run(c->st, NULL, &c->err,
                              "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO "
                              "UPDATE SET value = excluded.value",
                              "ss", k, text)
                  : err_set(&c->err, ERR_INTERNAL, "", "out of memory");
        free(text);
    }
    if (!rc)
        rc = audit_record(c, "update", "analytics_settings", 0, NULL, in);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}
