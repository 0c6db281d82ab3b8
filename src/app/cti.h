/*
 * Telephony (CTI): calls reported by the phone system's signed webhook go
 * through a state machine (ringing → answered → ended) that accepts events
 * in any order and more than once; the caller is found by phone number; the
 * agent's open web app gets a call card (the caller's 360° summary) through
 * an in-process hub that the HTTP layer streams as server-sent events; an
 * ended call is on the customer's timeline; click-to-call asks the phone
 * system to originate a call.
 */
#ifndef APP_CTI_H
#define APP_CTI_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "app/cti_event.h"
#include "util/fields.h"

extern const struct field cti_settings_fields[];
extern const struct field cti_link_fields[];
extern const struct field cti_followup_fields[];
extern const struct field cti_originate_fields[];

/* Settings (keys "cti.secret", "cti.originate_url", "cti.originate_secret"):
 * the webhook's shared secret (write-only: GET says whether it is set; the
 * environment's RELATIO_CTI_SECRET is the default) and the phone system's
 * originate URL (empty: click-to-call only opens tel: links). */
int cti_settings_get(struct ctx *c, json_t **out);
int cti_settings_set(struct ctx *c, const json_t *in, json_t **out);

/* The webhook: parses the event (refusals name the field), checks the
 * signature (headers ts and sig, see cti_signature_check) against the
 * secret, refuses a request already received (ERR_CONFLICT: replay) and
 * applies the event in one transaction. An event seen before changes nothing; one arriving late fills
 * its time without moving the state backwards. The first event of a call
 * finds the customer by number; the end computes duration and outcome and
 * emits call.ended {call_id, direction, from, to, agent, duration_s,
 * outcome}. After the commit, a change of state is published to the agent's
 * subscribers (all subscribers when the agent is unknown). *out gets
 * {"call":…, "changed": bool}. Errors: ERR_UNAUTH, ERR_CONFLICT, those of the
 * parser, of the store. */
int cti_receive(struct ctx *c, const char *ts, const char *sig, const char *body, size_t len,
                json_t **out);

int cti_call_get(struct ctx *c, int64_t id, json_t **out);
/* Calls (customer_id 0: all), newest first, keyset on id (before). */
int cti_call_list(struct ctx *c, int64_t customer_id, int64_t before, int limit, json_t **out);
/* Attaches an unknown caller's call to a customer (the "new caller" form
 * created it, or the agent recognised them); the call then shows on their
 * timeline. ERR_CONFLICT when it already belongs to another customer. */
int cti_call_link(struct ctx *c, int64_t id, const json_t *in, json_t **out);
/* A follow-up task for the call's customer (tasks.h), assigned to the acting
 * user unless the body says otherwise, remembered on the call. */
int cti_followup(struct ctx *c, int64_t id, const json_t *in, json_t **out);
/* Click-to-call: {number, customer_id?}. With an originate URL, POSTs
 * {"agent", "user_id", "to", "customer_id"} signed like the webhook
 * (X-CTI-Timestamp, X-CTI-Signature) and answers {"requested":true,…}; else
 * {"requested":false, "tel":"tel:+…"}. ERR_UNAVAILABLE when the phone system
 * fails. */
int cti_originate(struct ctx *c, const json_t *in, json_t **out);

/* The call card of a customer: name, lifecycle, contact, purchase stats,
 * scores, flags, the last 3 orders and tickets. */
int cti_card(struct ctx *c, int64_t customer_id, json_t **out);

/* ---- the hub: call cards to the agents' open web apps (in process) ---- */

struct cti_sub;

/* Subscribes user_id's browser. wake(arg) is called (from another thread,
 * with no lock of the caller held) when a message is queued; it must only
 * schedule a read. *out is released by cti_unsubscribe. */
int cti_subscribe(int64_t user_id, void (*wake)(void *arg), void *arg, struct cti_sub **out);
/* The next queued message as server-sent event text ("id:…\nevent:…\ndata:
 * …\n\n"), malloc'd (caller frees), or NULL when none. At most 64 wait per
 * subscriber: the oldest are dropped past that. */
char *cti_sub_next(struct cti_sub *s);
void cti_unsubscribe(struct cti_sub *s);
/* Number of subscribers (for /metrics and tests). */
int cti_subscribers(void);

#endif
