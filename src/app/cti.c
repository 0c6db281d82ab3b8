/*
 * Telephony (see cti.h): settings, the webhook's state machine, caller
 * lookup, the call card, follow-up tasks, click-to-call and the hub that
 * carries call cards to the agents' browsers.
 */
#include "app/cti.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/audit.h"
#include "app/customers.h"
#include "app/events.h"
#include "app/rowjson.h"
#include "app/tasks.h"
#include "channels/pbx.h"
#include "store/store.h"
#include "util/timeu.h"
#include "util/validate.h"

/* ----------------------------------------------------------------- settings */

const struct field cti_settings_fields[] = {
    {"secret", FT_STRING, FF_NULLABLE, 200, NULL, NULL,
     "shared secret of the call-event webhook (write-only, 16 characters at least)"},
    {"originate_url", FT_STRING, FF_NULLABLE, 500, NULL, NULL,
     "the phone system's click-to-call endpoint (http or https); empty: tel: links only"},
    {"originate_secret", FT_STRING, FF_NULLABLE, 200, NULL, NULL,
     "signs originate requests (write-only); the webhook secret when empty"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

struct cti_settings {
    char secret[201], originate_url[501], originate_secret[201];
};

static int settings_load(struct ctx *c, struct cti_settings *s)
{
    memset(s, 0, sizeof(*s));
    const char *env = getenv("RELATIO_CTI_SECRET");
    snprintf(s->secret, sizeof(s->secret), "%s", env ? env : "");
    struct stmt *st = NULL;
    int rc = store_query(c->st, &st, &c->err,
                         "SELECT key, value FROM settings WHERE key IN ('cti.secret', "
                         "'cti.originate_url', 'cti.originate_secret')",
                         "");
    if (rc)
        return rc;
    while ((rc = stmt_step(st, &c->err)) == 1) {
        const char *k = stmt_text(st, 0), *v = stmt_text(st, 1);
        if (!strcmp(k, "cti.secret") && *v)
            snprintf(s->secret, sizeof(s->secret), "%s", v);
        else if (!strcmp(k, "cti.originate_url"))
            snprintf(s->originate_url, sizeof(s->originate_url), "%s", v);
        else if (!strcmp(k, "cti.originate_secret"))
            snprintf(s->originate_secret, sizeof(s->originate_secret), "%s", v);
    }
    stmt_done(st);
    return rc < 0 ? rc : 0;
}

int cti_settings_get(struct ctx *c, json_t **out)
{
    struct cti_settings s;
    int rc = settings_load(c, &s);
    if (rc)
        return rc;
    *out = json_pack("{s:b,s:s,s:b,s:i}", "secret_set", s.secret[0] != 0, "originate_url",
                     s.originate_url, "originate_secret_set", s.originate_secret[0] != 0,
                     "window_seconds", CTI_WINDOW_S);
    sodium_memzero(&s, sizeof(s));
    return 0;
}

int cti_settings_set(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(cti_settings_fields, in, FIELDS_UPDATE, &c->err);
    if (rc)
        return rc;
    const char *sec = rowj_str(in, "secret"), *url = rowj_str(in, "originate_url");
    if (sec && *sec && strlen(sec) < 16)
        return fail(c, ERR_INVALID, "secret", "at least 16 characters");
    if (url && *url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return fail(c, ERR_INVALID, "originate_url", "must start with http:// or https://");
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)in, k, v)
    {
        char key[64];
        snprintf(key, sizeof(key), "cti.%s", k);
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                       "SET value = excluded.value",
                       "ss", key, json_is_string(v) ? json_string_value(v) : "");
        if (rc)
            break;
    }
    if (!rc) {
        json_t *redacted = json_deep_copy(in);
        static const char *const secrets[] = {"secret", "originate_secret"};
        for (int i = 0; i < 2; i++)
            if (json_object_get(redacted, secrets[i]))
                json_object_set_new(redacted, secrets[i], json_string("***"));
        rc = audit_record(c, "update", "cti_settings", 0, NULL, redacted);
        json_decref(redacted);
    }
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    return rc ? rc : cti_settings_get(c, out);
}

/* ---------------------------------------------------------------------- hub */

#define SUB_MAX_QUEUE 64

struct cti_sub {
    int64_t user_id;
    void (*wake)(void *arg);
    void *arg;
    char *queue[SUB_MAX_QUEUE]; /* ring of SSE texts */
    int head, count;
    struct cti_sub *next;
};

/* The hub is process-wide: the webhook's thread publishes, the streaming
 * connections read. wake is called with hub_lock held, so once
 * cti_unsubscribe returns no wake can reach a released subscriber. */
static pthread_mutex_t hub_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cti_sub *hub_subs;
static int hub_count;
static int64_t hub_seq;

int cti_subscribe(int64_t user_id, void (*wake)(void *arg), void *arg, struct cti_sub **out)
{
    struct cti_sub *s = calloc(1, sizeof(*s));
    if (!s)
        return ERR_INTERNAL;
    s->user_id = user_id;
    s->wake = wake;
    s->arg = arg;
    pthread_mutex_lock(&hub_lock);
    s->next = hub_subs;
    hub_subs = s;
    hub_count++;
    pthread_mutex_unlock(&hub_lock);
    *out = s;
    return 0;
}

char *cti_sub_next(struct cti_sub *s)
{
    char *m = NULL;
    pthread_mutex_lock(&hub_lock);
    if (s->count) {
        m = s->queue[s->head];
        s->queue[s->head] = NULL;
        s->head = (s->head + 1) % SUB_MAX_QUEUE;
        s->count--;
    }
    pthread_mutex_unlock(&hub_lock);
    return m;
}

void cti_unsubscribe(struct cti_sub *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&hub_lock);
    for (struct cti_sub **p = &hub_subs; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            hub_count--;
            break;
        }
    pthread_mutex_unlock(&hub_lock);
    for (int i = 0; i < s->count; i++)
        free(s->queue[(s->head + i) % SUB_MAX_QUEUE]);
    free(s);
}

int cti_subscribers(void)
{
    pthread_mutex_lock(&hub_lock);
    int n = hub_count;
    pthread_mutex_unlock(&hub_lock);
    return n;
}

/* Queues msg for user_id's subscribers (0: everyone's) and wakes them. */
static void hub_publish(int64_t user_id, const json_t *msg)
{
    char *data = json_dumps(msg, JSON_COMPACT);
    if (!data)
        return;
    pthread_mutex_lock(&hub_lock);
    int64_t seq = ++hub_seq;
    for (struct cti_sub *s = hub_subs; s; s = s->next) {
        if (user_id && s->user_id != user_id)
            continue;
        size_t n = strlen(data) + 64;
        char *text = malloc(n);
        if (!text)
            continue;
        snprintf(text, n, "id: %lld\nevent: call\ndata: %s\n\n", (long long)seq, data);
        if (s->count == SUB_MAX_QUEUE) { /* a stuck browser: drop its oldest */
            free(s->queue[s->head]);
            s->head = (s->head + 1) % SUB_MAX_QUEUE;
            s->count--;
        }
        s->queue[(s->head + s->count) % SUB_MAX_QUEUE] = text;
        s->count++;
        s->wake(s->arg);
    }
    pthread_mutex_unlock(&hub_lock);
    free(data);
}

/* -------------------------------------------------------------------- calls */

static const char *const call_names[] = {
    "id",       "call_id",    "customer_id", "direction",   "from",       "to",
    "agent",    "user_id",    "state",       "ringing_at",  "answered_at", "ended_at",
    "duration_s", "outcome",  "task_id",     "created_at",  "updated_at", NULL};
static const char call_types[] = "isissssistttisitt";
#define CALL_COLS                                                                                  \
    "id, call_ref, customer_id, direction, from_number, to_number, agent, user_id, state, "       \
    "ringing_at, answered_at, ended_at, duration_s, outcome, task_id, created_at, updated_at"

int cti_call_get(struct ctx *c, int64_t id, json_t **out)
{
    return rowj_one(c, "SELECT " CALL_COLS " FROM calls WHERE id = ?", id, call_names, call_types,
                    "call", out);
}

int cti_call_list(struct ctx *c, int64_t customer_id, int64_t before, int limit, json_t **out)
{
    if (limit < 1 || limit > 500)
        return fail(c, ERR_INVALID, "limit", "between 1 and 500");
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT " CALL_COLS " FROM calls WHERE (?1 = 0 OR customer_id = ?1) AND "
                         "id < ?2 ORDER BY id DESC LIMIT ?3",
                         "iii", customer_id, before > 0 ? before : INT64_MAX, (int64_t)limit + 1);
    return rc ? rc : rowj_page(c, s, call_names, call_types, limit, out);
}

/* The customer whose number this is (0: unknown): the primary phone or any
 * listed one, of a live record; the oldest record when several share it. */
static int caller_lookup(struct ctx *c, const char *number, int64_t *cid)
{
    *cid = 0;
    if (number[0] != '+')
        return 0; /* withheld, extension: nobody */
    int rc = store_int(c->st, cid, &c->err,
                       "SELECT MIN(id) FROM (SELECT id FROM customers WHERE phone = ?1 AND "
                       "merged_into IS NULL AND erased_at IS NULL UNION ALL SELECT p.customer_id "
                       "FROM customer_phones p JOIN customers k ON k.id = p.customer_id WHERE "
                       "p.phone = ?1 AND k.merged_into IS NULL AND k.erased_at IS NULL) x",
                       "s", number);
    if (rc == ERR_NOTFOUND) {
        *cid = 0;
        return 0;
    }
    return rc;
}

static int agent_lookup(struct ctx *c, const char *agent, int64_t *uid)
{
    *uid = 0;
    char email[255];
    if (!*agent || email_normalize(agent, email) != 0)
        return 0;
    int rc = store_int(c->st, uid, &c->err, "SELECT id FROM users WHERE email = ? AND active = 1",
                       "s", email);
    if (rc == ERR_NOTFOUND) {
        *uid = 0;
        return 0;
    }
    return rc;
}

static int state_rank(const char *s)
{
    return !strcmp(s, "ended") ? 3 : !strcmp(s, "answered") ? 2 : 1;
}

struct call_row {
    int64_t id, customer_id, user_id, ringing_at, answered_at, ended_at;
    char state[16], direction[16], outcome[16];
};

static int call_load(struct ctx *c, const char *ref, struct call_row *r, int *found)
{
    memset(r, 0, sizeof(*r));
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, COALESCE(customer_id, 0), COALESCE(user_id, 0), "
                         "COALESCE(ringing_at, 0), COALESCE(answered_at, 0), COALESCE(ended_at, 0), "
                         "state, direction, COALESCE(outcome, '') FROM calls WHERE call_ref = ?",
                         "s", ref);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    *found = rc == 1;
    if (rc == 1) {
        r->id = stmt_int(s, 0);
        r->customer_id = stmt_int(s, 1);
        r->user_id = stmt_int(s, 2);
        r->ringing_at = stmt_int(s, 3);
        r->answered_at = stmt_int(s, 4);
        r->ended_at = stmt_int(s, 5);
        snprintf(r->state, sizeof(r->state), "%s", stmt_text(s, 6));
        snprintf(r->direction, sizeof(r->direction), "%s", stmt_text(s, 7));
        snprintf(r->outcome, sizeof(r->outcome), "%s", stmt_text(s, 8));
    }
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Outcome of an ended call: the phone system's word when it gave one (kept
 * unless a later event names another), else derived from the events seen. */
static const char *derive_outcome(const struct call_row *r, const char *given)
{
    if (given && *given)
        return given;
    int derived = !r->outcome[0] || !strcmp(r->outcome, "answered") ||
                  !strcmp(r->outcome, "missed") || !strcmp(r->outcome, "no_answer");
    if (!derived)
        return r->outcome;
    if (r->answered_at)
        return "answered";
    return !strcmp(r->direction, "outbound") ? "no_answer" : "missed";
}

/* Applies ev (at time at) to its call in the caller's transaction. *changed
 * is 1 when the state moved (or the call is new); *ended 1 when it became
 * ended now. r gets the row after the change. */
static int call_apply(struct ctx *c, const struct cti_event *ev, int64_t at, int64_t now,
                      struct call_row *r, int *changed, int *ended)
{
    int found = 0;
    *changed = *ended = 0;
    int rc = call_load(c, ev->call_id, r, &found);
    if (rc)
        return rc;
    const char *ext = !strcmp(ev->direction, "outbound") ? ev->to : ev->from;
    if (!found) {
        int64_t cid = 0, uid = 0;
        rc = caller_lookup(c, ext, &cid);
        if (!rc)
            rc = agent_lookup(c, ev->agent, &uid);
        if (!rc)
            rc = store_int(c->st, &r->id, &c->err,
                           "INSERT INTO calls(call_ref, customer_id, direction, from_number, "
                           "to_number, agent, user_id, state, created_at, updated_at) VALUES (?, "
                           "?, ?, ?, ?, ?, ?, 'ringing', ?, ?) RETURNING id",
                           "sIssssIii", ev->call_id, cid ? cid : INT64_MIN, ev->direction,
                           ev->from, ev->to, ev->agent[0] ? ev->agent : NULL,
                           uid ? uid : INT64_MIN, now, now);
        if (rc)
            return rc;
        r->customer_id = cid;
        r->user_id = uid;
        snprintf(r->state, sizeof(r->state), "ringing");
        snprintf(r->direction, sizeof(r->direction), "%s", ev->direction);
        *changed = 1;
        rc = event_emit(c, "call.started", cid, "call", r->id, NULL, NULL);
        if (rc)
            return rc;
    }
    /* the time of this event, unless an earlier copy already gave it */
    int64_t *slot = !strcmp(ev->event, "ringing")    ? &r->ringing_at
                    : !strcmp(ev->event, "answered") ? &r->answered_at
                                                     : &r->ended_at;
    if (!*slot)
        *slot = at;
    int was_ended = !strcmp(r->state, "ended");
    if (state_rank(ev->event) > state_rank(r->state)) {
        snprintf(r->state, sizeof(r->state), "%s", ev->event);
        *changed = 1;
    }
    if (!r->customer_id) { /* the "new caller" may have been created since */
        rc = caller_lookup(c, ext, &r->customer_id);
        if (rc)
            return rc;
    }
    if (!r->user_id && ev->agent[0]) {
        rc = agent_lookup(c, ev->agent, &r->user_id);
        if (rc)
            return rc;
    }
    int64_t duration = 0;
    const char *outcome = NULL;
    if (!strcmp(r->state, "ended")) {
        if (r->answered_at && r->ended_at > r->answered_at)
            duration = r->ended_at - r->answered_at;
        char word[16];
        snprintf(word, sizeof(word), "%s",
                 derive_outcome(r, !strcmp(ev->event, "ended") ? ev->outcome : NULL));
        memcpy(r->outcome, word, sizeof(word));
        outcome = r->outcome;
    }
    rc = store_run(c->st, NULL, &c->err,
                   "UPDATE calls SET state = ?, ringing_at = ?, answered_at = ?, ended_at = ?, "
                   "customer_id = ?, user_id = ?, agent = COALESCE(agent, ?), duration_s = ?, "
                   "outcome = ?, updated_at = ? WHERE id = ?",
                   "sIIIIIsisii", r->state, r->ringing_at ? r->ringing_at : INT64_MIN,
                   r->answered_at ? r->answered_at : INT64_MIN,
                   r->ended_at ? r->ended_at : INT64_MIN,
                   r->customer_id ? r->customer_id : INT64_MIN,
                   r->user_id ? r->user_id : INT64_MIN, ev->agent[0] ? ev->agent : NULL, duration,
                   outcome, now, r->id);
    if (rc)
        return rc;
    if (!was_ended && !strcmp(r->state, "ended")) {
        *ended = 1;
        json_t *d = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:I,s:s}", "call_id", ev->call_id,
                              "direction", r->direction, "from", ev->from, "to", ev->to, "agent",
                              ev->agent[0] ? ev->agent : NULL, "duration_s", (json_int_t)duration,
                              "outcome", outcome);
        rc = event_emit(c, "call.ended", r->customer_id, "call", r->id, d, NULL);
        json_decref(d);
    }
    return rc;
}

/* Refuses a signed request seen before (the same signature inside the
 * window), and forgets those too old to be accepted anyway. */
static int replay_check(struct ctx *c, const char *sig, int64_t now)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[65];
    crypto_hash_sha256(h, (const unsigned char *)sig, strlen(sig));
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    int rc = store_run(c->st, NULL, &c->err, "DELETE FROM cti_requests WHERE received_at < ?", "i",
                       now - 2 * CTI_WINDOW_S);
    int64_t n = 0;
    if (!rc)
        rc = store_run(c->st, &n, &c->err,
                       "INSERT INTO cti_requests(digest, received_at) VALUES (?, ?) ON "
                       "CONFLICT(digest) DO NOTHING",
                       "si", hex, now);
    if (!rc && n == 0)
        rc = fail(c, ERR_CONFLICT, "X-CTI-Signature", "this request was already received (replay)");
    return rc;
}

int cti_receive(struct ctx *c, const char *ts, const char *sig, const char *body, size_t len,
                json_t **out)
{
    *out = NULL;
    /* the body is checked first, like every body (its schema is public);
     * nothing is read from the store for an unsigned request */
    struct cti_event ev;
    int rc = cti_event_parse(body, len, c->app->cfg.default_country, &ev, &c->err);
    if (rc)
        return rc;
    struct cti_settings set;
    int64_t now = time_now();
    rc = settings_load(c, &set);
    if (!rc)
        rc = cti_signature_check(set.secret, ts, sig, body, len, now, &c->err);
    sodium_memzero(&set, sizeof(set));
    if (rc)
        return rc;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    struct call_row r;
    int changed = 0, ended = 0;
    rc = replay_check(c, sig, now);
    if (!rc)
        rc = call_apply(c, &ev, ev.at ? ev.at : now, now, &r, &changed, &ended);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    json_t *call = NULL;
    if (!rc)
        rc = cti_call_get(c, r.id, &call);
    if (rc)
        return rc;
    if (changed) {
        json_t *card = NULL;
        if (r.customer_id && cti_card(c, r.customer_id, &card))
            err_clear(&c->err); /* the pop-up goes out without the card */
        json_t *msg = json_pack("{s:s,s:O,s:o}", "state", r.state, "call", call, "customer",
                                card ? card : json_null());
        hub_publish(r.user_id, msg);
        json_decref(msg);
    }
    *out = json_pack("{s:o,s:b}", "call", call, "changed", changed);
    return 0;
}

/* --------------------------------------------------------------------- card */

int cti_card(struct ctx *c, int64_t customer_id, json_t **out)
{
    json_t *full = NULL;
    int rc = customer_get(c, customer_id, &full);
    if (rc)
        return rc;
    json_t *card = json_object();
    static const char *const keep[] = {"id",    "kind",  "display_name", "lifecycle", "email",
                                       "phone", "stats", "scores",       "flags",     "tags",
                                       NULL};
    for (int i = 0; keep[i]; i++)
        json_object_set(card, keep[i], json_object_get(full, keep[i]));
    json_decref(full);
    static const char *const on[] = {"id", "external_id", "ordered_at", "total_minor", "currency",
                                     "status", NULL};
    static const char *const tn[] = {"id", "subject", "status", "priority", "created_at", NULL};
    json_t *orders = NULL, *tickets = NULL;
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT id, external_id, ordered_at, total_minor, currency, status FROM "
                     "orders WHERE customer_id = ? ORDER BY ordered_at DESC, id DESC LIMIT 3",
                     "i", customer_id);
    if (!rc)
        rc = rowj_all(c, s, on, "istiss", &orders);
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT id, subject, status, priority, created_at FROM tickets WHERE "
                         "customer_id = ? ORDER BY id DESC LIMIT 3",
                         "i", customer_id);
    if (!rc)
        rc = rowj_all(c, s, tn, "isssst", &tickets);
    if (rc) {
        json_decref(card);
        json_decref(orders);
        return rc;
    }
    json_object_set_new(card, "last_orders", orders);
    json_object_set_new(card, "last_tickets", tickets);
    *out = card;
    return 0;
}

/* ------------------------------------------------------------ card actions */

const struct field cti_link_fields[] = {
    {"customer_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, "the caller"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int cti_call_link(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = fields_check(cti_link_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int64_t cid = rowj_int(in, "customer_id", 0), cur = 0;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = customer_exists(c, cid);
    if (rc == ERR_NOTFOUND)
        rc = fail(c, ERR_INVALID, "customer_id", "no customer %lld", (long long)cid);
    if (!rc)
        rc = store_int(c->st, &cur, &c->err,
                       "SELECT COALESCE(customer_id, 0) FROM calls WHERE id = ?", "i", id);
    if (rc == ERR_NOTFOUND)
        rc = fail(c, ERR_NOTFOUND, "id", "no call %lld", (long long)id);
    if (!rc && cur && cur != cid)
        rc = fail(c, ERR_CONFLICT, "customer_id", "the call belongs to customer %lld",
                  (long long)cur);
    if (!rc && !cur) {
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE calls SET customer_id = ?, updated_at = ? WHERE id = ?", "iii", cid,
                       time_now(), id);
        json_t *after = json_pack("{s:I}", "customer_id", (json_int_t)cid);
        if (!rc)
            rc = audit_record(c, "update", "call", id, NULL, after);
        json_decref(after);
    }
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    return rc ? rc : cti_call_get(c, id, out);
}

const struct field cti_followup_fields[] = {
    {"title", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"notes", FT_TEXT, FF_NULLABLE, 5000, NULL, NULL, NULL},
    {"kind", FT_ENUM, 0, 0, TASK_KINDS, NULL, "call when absent"},
    {"due_at", FT_DATETIME, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"assignee_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "the acting user when absent"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int cti_followup(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    *out = NULL;
    int rc = fields_check(cti_followup_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int64_t cid = 0;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = store_int(c->st, &cid, &c->err, "SELECT COALESCE(customer_id, 0) FROM calls WHERE id = ?",
                   "i", id);
    if (rc == ERR_NOTFOUND)
        rc = fail(c, ERR_NOTFOUND, "id", "no call %lld", (long long)id);
    if (!rc && !cid)
        rc = fail(c, ERR_CONFLICT, "customer_id",
                  "the caller is unknown: link the call to a customer first");
    json_t *task = NULL, *tin = NULL;
    if (!rc) {
        tin = json_deep_copy(in);
        json_object_set_new(tin, "customer_id", json_integer(cid));
        if (!json_object_get(tin, "kind"))
            json_object_set_new(tin, "kind", json_string("call"));
        if (json_is_null(json_object_get(tin, "assignee_id")))
            json_object_del(tin, "assignee_id");
        rc = task_create(c, tin, &task);
        json_decref(tin);
    }
    if (!rc)
        rc = store_run(c->st, NULL, &c->err, "UPDATE calls SET task_id = ?, updated_at = ? WHERE id = ?",
                       "iii", rowj_int(task, "id", 0), time_now(), id);
    if (rc) {
        store_rollback(c->st);
        json_decref(task);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (rc) {
        json_decref(task);
        return rc;
    }
    *out = task;
    return 0;
}

/* ---------------------------------------------------------- click-to-call */

const struct field cti_originate_fields[] = {
    {"number", FT_PHONE, FF_REQUIRED, 0, NULL, NULL, "the number to call"},
    {"customer_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "whom (for the phone system's screen)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int cti_originate(struct ctx *c, const json_t *in, json_t **out)
{
    *out = NULL;
    int rc = fields_check(cti_originate_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    char to[17];
    if (phone_normalize(rowj_str(in, "number"), c->app->cfg.default_country, to))
        return fail(c, ERR_INVALID, "number", "not a phone number");
    int64_t cid = rowj_int(in, "customer_id", 0);
    if (cid) {
        rc = customer_exists(c, cid);
        if (rc == ERR_NOTFOUND)
            return fail(c, ERR_INVALID, "customer_id", "no customer %lld", (long long)cid);
        if (rc)
            return rc;
    }
    struct cti_settings set;
    rc = settings_load(c, &set);
    if (rc)
        return rc;
    char tel[32];
    snprintf(tel, sizeof(tel), "tel:%s", to);
    if (!set.originate_url[0]) {
        sodium_memzero(&set, sizeof(set));
        *out = json_pack("{s:b,s:s,s:s}", "requested", 0, "to", to, "tel", tel);
        return 0;
    }
    json_t *req = json_pack("{s:s,s:I,s:s,s:o}", "agent", c->actor.email, "user_id",
                            (json_int_t)c->actor.user_id, "to", to, "customer_id",
                            cid ? json_integer(cid) : json_null());
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!body) {
        sodium_memzero(&set, sizeof(set));
        return fail(c, ERR_INTERNAL, "", "out of memory");
    }
    char ts[24], sig[72] = "sha256=";
    snprintf(ts, sizeof(ts), "%lld", (long long)time_now());
    cti_sign(set.originate_secret[0] ? set.originate_secret : set.secret, ts, body, strlen(body),
             sig + 7);
    long status = 0;
    rc = pbx_post(set.originate_url, body, ts, sig, 5000, &status, &c->err);
    sodium_memzero(&set, sizeof(set));
    free(body);
    if (rc)
        return rc;
    *out = json_pack("{s:b,s:s,s:s,s:i}", "requested", 1, "to", to, "tel", tel, "status",
                     (int)status);
    return 0;
}
