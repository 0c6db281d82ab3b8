/*
 * Web forms and lead capture: forms defined in relatio (fields mapped to
 * customer fields and interests, consent checkboxes with their exact
 * wording, hidden campaign / source fields) and posted from any site; a
 * submission creates or updates the prospect, records provenance and
 * consents, joins the visitor's anonymous web history and emits
 * form.submitted for the rules. Spam: honeypot, rate limits, optional
 * proof-of-work, replay detection.
 */
#ifndef APP_FORMS_H
#define APP_FORMS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

#define FORM_KINDS "contact|newsletter|contest|event|referral"
#define FORM_MAX_BODY (64 * 1024) /* bytes of one public submission */
#define FORM_POW_MAX_BITS 24      /* proof-of-work difficulty at most */
#define FORM_POW_TTL 900          /* seconds a challenge stays valid */
#define FORM_REPLAY_WINDOW 86400  /* the same values again within: a replay */

/* Bodies of the staff routes (validation and OpenAPI). */
extern const struct field form_fields[];

int form_create(struct ctx *c, const json_t *in, json_t **out);
/* Replaces the fields given (the definition as a whole). */
int form_update(struct ctx *c, int64_t id, const json_t *in, json_t **out);
/* A form with its counts (submissions, accepted, spam). */
int form_get(struct ctx *c, int64_t id, json_t **out);
/* {"items":[form…],"next_cursor"}, newest first, keyset on id. */
int form_list(struct ctx *c, int64_t after, int limit, json_t **out);
/* Submissions of a form, newest first: {"items":[…],"next_cursor"}. status
 * NULL: all, else accepted|spam. */
int form_submissions(struct ctx *c, int64_t id, const char *status, int64_t after, int limit,
                     json_t **out);

/* The public face of an active form (for the snippet): key, kind, title,
 * fields, consents with their wording, hidden field names, pow_bits.
 * ERR_NOTFOUND for an unknown or closed form. */
int form_public(struct ctx *c, const char *key, json_t **out);
/* A proof-of-work challenge for the form: {"challenge","bits"}. The client
 * finds a nonce such that SHA-256(challenge ":" nonce) starts with bits zero
 * bits, and posts both as _pow and _pow_nonce. */
int form_challenge(struct ctx *c, const char *key, json_t **out);

/* Pure: 1 when SHA-256(challenge ":" nonce) starts with bits zero bits. */
int form_pow_ok(const char *challenge, const char *nonce, int bits);

/* What the server knows of a submission besides its values. */
struct form_meta {
    const char *ip;         /* the client address */
    const char *origin;     /* Origin header or NULL */
    const char *referer;    /* Referer header or NULL (the page when no _page) */
    const char *user_agent; /* or NULL */
    const char *visitor;    /* the tracking cookie relatio_vid, or NULL */
};

/* Takes one submission of the form with key (values: the posted fields as
 * strings, arrays of strings or booleans; reserved names start with "_":
 * _hp honeypot, _nonce submission id, _pow/_pow_nonce proof-of-work,
 * _visitor, _page). One transaction: the prospect created or completed,
 * provenance, consents, kind actions (newsletter double opt-in, contest and
 * event entry, referral), the visitor's history, form.submitted. *out gets
 * {"status":"received","submission_id"} - the same for spam caught by the
 * honeypot. Errors: ERR_NOTFOUND (form), ERR_FORBIDDEN (origin, proof),
 * ERR_INVALID naming the field (missing, unknown, malformed), ERR_THROTTLED
 * (rate), ERR_CONFLICT (replay, already entered, event full). */
int form_submit(struct ctx *c, const char *key, const json_t *values, const struct form_meta *m,
                json_t **out);

/* The form's success_url for a plain HTML post, "" when none (out has len
 * bytes). */
int form_success_url(struct ctx *c, const char *key, char *out, size_t len);

/* 1 when origin may embed the form with key (its origins list is empty or
 * holds it); 0 when not or unknown. */
int form_origin_allowed(struct ctx *c, const char *key, const char *origin);

#endif
