/*
 * SLA calendars and policies (see sla.h). A calendar is stored as its JSON
 * hours and holidays, validated here once, and turned into a struct bizcal
 * when a clock needs it.
 */
#include "app/sla.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/tickets.h"
#include "store/store.h"
#include "util/timeu.h"

static const char *const days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

const struct field sla_calendar_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 100, NULL, NULL, NULL},
    {"tz_offset_minutes", FT_NUMBER, 0, 0, NULL, NULL,
     "local time = UTC + offset, -720..840 (a fixed offset, no DST)"},
    {"hours", FT_OBJECT, FF_REQUIRED, 2000, NULL, NULL,
     "opening hours per weekday: {\"mon\":[\"09:00\",\"18:00\"],…}; absent days are closed"},
    {"holidays", FT_STRINGS, 0, BIZ_MAX_HOLIDAYS, NULL, NULL, "closed dates, YYYY-MM-DD"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field sla_policy_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 100, NULL, NULL, NULL},
    {"kind", FT_ENUM, FF_NULLABLE, 0, TICKET_KINDS, NULL, "absent: any kind"},
    {"priority", FT_ENUM, FF_NULLABLE, 0, TICKET_PRIORITIES, NULL, "absent: any priority"},
    {"first_response_minutes", FT_INT, FF_REQUIRED, 525600, NULL, NULL, "business minutes"},
    {"resolution_minutes", FT_INT, FF_REQUIRED, 5256000, NULL, NULL, "business minutes"},
    {"calendar_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "business hours; absent: 24/7"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* Parses hours and holidays into cal, naming the offending field. */
static int parse_calendar(struct ctx *c, int64_t tz, const json_t *hours, const json_t *holidays,
                          struct bizcal *cal)
{
    bizcal_always(cal);
    if (tz < -720 || tz > 840)
        return fail(c, ERR_INVALID, "tz_offset_minutes", "must be between -720 and 840");
    cal->tz_offset_min = (int)tz;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)hours, k, v)
    {
        int d = 0;
        while (d < 7 && strcmp(days[d], k))
            d++;
        if (d == 7)
            return fail(c, ERR_INVALID, "hours", "unknown day '%.20s' (mon…sun)", k);
    }
    for (int d = 0; d < 7; d++) {
        char f[32];
        snprintf(f, sizeof(f), "hours.%s", days[d]);
        v = json_object_get(hours, days[d]);
        cal->open_min[d] = cal->close_min[d] = 0;
        if (!v || json_is_null(v))
            continue;
        if (!json_is_array(v) || json_array_size(v) != 2)
            return fail(c, ERR_INVALID, f, "must be [\"HH:MM\", \"HH:MM\"]");
        int o = bizhours_parse_hhmm(json_string_value(json_array_get(v, 0)));
        int cl = bizhours_parse_hhmm(json_string_value(json_array_get(v, 1)));
        if (o < 0 || cl < 0)
            return fail(c, ERR_INVALID, f, "hours must be HH:MM between 00:00 and 24:00");
        if (o >= cl)
            return fail(c, ERR_INVALID, f, "opening time must be before closing time");
        cal->open_min[d] = o;
        cal->close_min[d] = cl;
    }
    size_t i;
    json_array_foreach((json_t *)holidays, i, v)
    {
        int32_t day;
        char f[32];
        snprintf(f, sizeof(f), "holidays[%zu]", i);
        if (i >= BIZ_MAX_HOLIDAYS || !json_is_string(v) || date_parse(json_string_value(v), &day))
            return fail(c, ERR_INVALID, f, "not a date (YYYY-MM-DD)");
        cal->holidays[cal->nholidays++] = day;
    }
    if (bizcal_finish(cal))
        return fail(c, ERR_INVALID, "hours", "impossible calendar");
    return 0;
}

int sla_calendar_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(sla_calendar_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    json_t *tzv = json_object_get(in, "tz_offset_minutes");
    if (tzv && !json_is_integer(tzv))
        return fail(c, ERR_INVALID, "tz_offset_minutes", "must be an integer");
    int64_t tz = tzv ? json_integer_value(tzv) : 0;
    json_t *hours = json_object_get(in, "hours"), *hol = json_object_get(in, "holidays");
    struct bizcal cal;
    rc = parse_calendar(c, tz, hours, hol, &cal);
    if (rc)
        return rc;
    char *hs = json_dumps(hours, JSON_COMPACT), *hd = hol ? json_dumps(hol, JSON_COMPACT) : NULL;
    int64_t id = 0;
    rc = store_int(c->st, &id, &c->err,
                   "INSERT INTO sla_calendars(name, tz_offset_minutes, hours, holidays, "
                   "created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                   "sissi", json_string_value(json_object_get(in, "name")), tz, hs, hd ? hd : "[]",
                   time_now());
    free(hs);
    free(hd);
    if (rc == ERR_EXISTS)
        return fail(c, ERR_EXISTS, "name", "a calendar with this name already exists");
    if (rc)
        return rc;
    *out = json_deep_copy(in);
    json_object_set_new(*out, "id", json_integer(id));
    json_object_set_new(*out, "tz_offset_minutes", json_integer(tz));
    if (!hol)
        json_object_set_new(*out, "holidays", json_array());
    return 0;
}

int sla_calendar_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, name, tz_offset_minutes, hours, holidays FROM sla_calendars "
                         "ORDER BY id",
                         "");
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1)
        json_array_append_new(items, json_pack("{s:I,s:s,s:I,s:o,s:o}", "id",
                                               (json_int_t)stmt_int(s, 0), "name", stmt_text(s, 1),
                                               "tz_offset_minutes", (json_int_t)stmt_int(s, 2),
                                               "hours", json_loads(stmt_text(s, 3), 0, NULL),
                                               "holidays", json_loads(stmt_text(s, 4), 0, NULL)));
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

int sla_calendar_load(struct ctx *c, int64_t id, struct bizcal *cal)
{
    bizcal_always(cal);
    if (id <= 0)
        return 0;
    struct stmt *s = NULL;
    int rc = store_query(
        c->st, &s, &c->err,
        "SELECT tz_offset_minutes, hours, holidays FROM sla_calendars WHERE id = ?", "i", id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1) {
        int64_t tz = stmt_int(s, 0);
        json_t *hours = json_loads(stmt_text(s, 1), 0, NULL);
        json_t *hol = json_loads(stmt_text(s, 2), 0, NULL);
        rc = parse_calendar(c, tz, hours, hol, cal);
        json_decref(hours);
        json_decref(hol);
    } else if (rc == 0) {
        rc = fail(c, ERR_INVALID, "calendar_id", "no calendar %lld", (long long)id);
    }
    stmt_done(s);
    return rc;
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

int sla_policy_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(sla_policy_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    json_t *cal = json_object_get(in, "calendar_id");
    int64_t cal_id = json_is_integer(cal) ? json_integer_value(cal) : 0, n = 0;
    if (cal_id > 0 && (store_int(c->st, &n, &c->err,
                                 "SELECT COUNT(*) FROM sla_calendars WHERE id = ?", "i", cal_id) ||
                       n == 0))
        return fail(c, ERR_INVALID, "calendar_id", "no calendar %lld", (long long)cal_id);
    int64_t fr = json_integer_value(json_object_get(in, "first_response_minutes"));
    int64_t res = json_integer_value(json_object_get(in, "resolution_minutes"));
    if (fr <= 0)
        return fail(c, ERR_INVALID, "first_response_minutes", "must be positive");
    if (res <= 0)
        return fail(c, ERR_INVALID, "resolution_minutes", "must be positive");
    if (res < fr)
        return fail(c, ERR_INVALID, "resolution_minutes",
                    "must not be shorter than the first-response target");
    int64_t id = 0;
    rc = store_int(c->st, &id, &c->err,
                   "INSERT INTO sla_policies(name, kind, priority, first_response_minutes, "
                   "resolution_minutes, calendar_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                   "RETURNING id",
                   "sssiiIi", jstr(in, "name"), jstr(in, "kind"), jstr(in, "priority"), fr, res,
                   cal_id > 0 ? cal_id : INT64_MIN, time_now());
    if (rc)
        return rc;
    *out = json_deep_copy(in);
    json_object_set_new(*out, "id", json_integer(id));
    return 0;
}

int sla_policy_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, name, kind, priority, first_response_minutes, "
                         "resolution_minutes, calendar_id, active FROM sla_policies ORDER BY id",
                         "");
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1) {
        json_t *o = json_pack("{s:I,s:s,s:I,s:I,s:b}", "id", (json_int_t)stmt_int(s, 0), "name",
                              stmt_text(s, 1), "first_response_minutes", (json_int_t)stmt_int(s, 4),
                              "resolution_minutes", (json_int_t)stmt_int(s, 5), "active",
                              (int)stmt_int(s, 7));
        json_object_set_new(o, "kind",
                            stmt_isnull(s, 2) ? json_null() : json_string(stmt_text(s, 2)));
        json_object_set_new(o, "priority",
                            stmt_isnull(s, 3) ? json_null() : json_string(stmt_text(s, 3)));
        json_object_set_new(o, "calendar_id",
                            stmt_isnull(s, 6) ? json_null() : json_integer(stmt_int(s, 6)));
        json_array_append_new(items, o);
    }
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

static int target_from(struct ctx *c, struct stmt *s, struct sla_target *t)
{
    int rc = stmt_step(s, &c->err);
    int64_t cal = 0;
    if (rc == 1) {
        t->policy_id = stmt_int(s, 0);
        t->first_response_s = stmt_int(s, 1) * 60;
        t->resolution_s = stmt_int(s, 2) * 60;
        cal = stmt_isnull(s, 3) ? 0 : stmt_int(s, 3);
    }
    stmt_done(s);
    if (rc < 0)
        return rc;
    return sla_calendar_load(c, cal, &t->cal);
}

int sla_target_for(struct ctx *c, const char *kind, const char *priority, struct sla_target *t)
{
    memset(t, 0, sizeof(*t));
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, first_response_minutes, resolution_minutes, calendar_id FROM "
                         "sla_policies WHERE active = 1 AND (kind IS NULL OR kind = ?) AND "
                         "(priority IS NULL OR priority = ?) ORDER BY (kind IS NOT NULL) + "
                         "(priority IS NOT NULL) DESC, id DESC LIMIT 1",
                         "ss", kind, priority);
    return rc ? rc : target_from(c, s, t);
}

int sla_target_load(struct ctx *c, int64_t policy_id, struct sla_target *t)
{
    memset(t, 0, sizeof(*t));
    if (policy_id <= 0)
        return sla_calendar_load(c, 0, &t->cal);
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, first_response_minutes, resolution_minutes, calendar_id FROM "
                         "sla_policies WHERE id = ?",
                         "i", policy_id);
    return rc ? rc : target_from(c, s, t);
}
