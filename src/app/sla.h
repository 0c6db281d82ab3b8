/*
 * SLA calendars (weekly business hours in a fixed UTC offset, holidays) and
 * SLA policies (first-response and resolution targets by ticket kind and
 * priority). The tickets service asks sla_target_for() when a ticket is
 * opened or re-prioritised; the clock arithmetic is util/bizhours.
 */
#ifndef APP_SLA_H
#define APP_SLA_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/bizhours.h"
#include "util/fields.h"

extern const struct field sla_calendar_fields[];
extern const struct field sla_policy_fields[];

/* Creates a calendar: name, tz_offset_minutes (-720..840), hours
 * {"mon":["09:00","18:00"],…} (days absent are closed), holidays
 * ["YYYY-MM-DD",…]. Impossible hours (opening after closing, past 24:00)
 * and bad dates are refused naming the field ("hours.mon",
 * "holidays[2]"). */
int sla_calendar_create(struct ctx *c, const json_t *in, json_t **out);
int sla_calendar_list(struct ctx *c, json_t **out);
/* Fills cal from calendar id; id <= 0 gives a 24/7 calendar. */
int sla_calendar_load(struct ctx *c, int64_t id, struct bizcal *cal);

/* Creates a policy: name, kind and priority (absent: any), targets in
 * business minutes, calendar_id (absent: 24/7). */
int sla_policy_create(struct ctx *c, const json_t *in, json_t **out);
int sla_policy_list(struct ctx *c, json_t **out);

/* The targets that apply to a ticket of kind and priority: the most
 * specific active policy. policy_id 0 when none applies (no SLA). */
struct sla_target {
    int64_t policy_id;
    int64_t first_response_s, resolution_s; /* business seconds */
    struct bizcal cal;
};
int sla_target_for(struct ctx *c, const char *kind, const char *priority, struct sla_target *t);
/* Same for a known policy id (0: none). */
int sla_target_load(struct ctx *c, int64_t policy_id, struct sla_target *t);

#endif
