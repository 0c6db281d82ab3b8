/*
 * Record visibility (who sees which customers), per role, in the settings
 * table (`visibility.<role>`): `all` (the default), `team` (customers whose
 * team is the user's, or whom the user owns) or `own` (customers the user
 * owns). Administrators and the system always see everything. A hidden
 * customer answers as if it did not exist (404), in lists and searches too.
 */
#ifndef APP_VISIBILITY_H
#define APP_VISIBILITY_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"

enum visibility { VIS_ALL = 0, VIS_TEAM, VIS_OWN };

/* The scope of c->actor: VIS_ALL for admins, the system and unset roles. */
int visibility_scope(struct ctx *c);

/* 0 when c->actor may see customer id (or there is no such customer: the
 * caller answers that), ERR_NOTFOUND when the customer is hidden. */
int visibility_check_customer(struct ctx *c, int64_t id);

/* {"admin":"all", "manager":"all", …} for every role. */
int visibility_get(struct ctx *c, json_t **out);
/* Sets the scopes given ({"sales":"team", …}; admin may only be "all"),
 * all or nothing, audited. ERR_INVALID naming the role. */
int visibility_set(struct ctx *c, const json_t *in);

#endif
