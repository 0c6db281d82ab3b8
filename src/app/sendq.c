/* The send queue worker (see sendq.h). */
#include "app/sendq.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/activity.h"
#include "app/campaigns.h"
#include "app/events.h"
#include "channels/sms.h"
#include "channels/smtp.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeu.h"

#define LEASE_SECONDS 600 /* a claim older than this is taken back even if its worker lives */

static char me[64];
static pthread_once_t me_once = PTHREAD_ONCE_INIT;

static void me_init(void)
{
    unsigned char r[6];
    char hex[13];
    randombytes_buf(r, sizeof(r));
    sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
    snprintf(me, sizeof(me), "pid:%d:%s", (int)getpid(), hex);
}

static int64_t wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 when the claim's owner is gone: another process that no longer runs,
 * an earlier incarnation of this pid, or a lease run out. */
static int claim_dead(const char *by, int64_t claimed_at)
{
    if (!by || claimed_at < wall_now() - LEASE_SECONDS)
        return 1;
    if (!strcmp(by, me))
        return 0;
    int pid = 0;
    char nonce[32];
    if (sscanf(by, "pid:%d:%31s", &pid, nonce) != 2 || pid <= 0)
        return 1;
    if (pid == (int)getpid())
        return 1; /* same pid, other nonce: a previous process */
    return kill(pid, 0) == -1 && errno == ESRCH;
}

/* "Name <addr>" → the domain, for Message-IDs. */
static const char *from_domain(const char *from)
{
    const char *at = strrchr(from, '@');
    return at ? at + 1 : "relatio.invalid>";
}

/* The Message-ID of a queued e-mail, the same at every attempt: its
 * idempotency key at the sender's domain ("<c12.345@example.com>"). */
static void message_id(const char *idem_key, const char *from, char *out, size_t len)
{
    char key[80];
    snprintf(key, sizeof(key), "%s", idem_key);
    for (char *p = key; *p; p++)
        if (*p == ':')
            *p = '.';
    const char *dom = from_domain(from);
    size_t dl = strcspn(dom, ">");
    snprintf(out, len, "<%s@%.*s>", key, (int)dl, dom);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* Asks the delivery check whether the message id arrived: 1 yes (200),
 * 0 no (404), -1 unknown (anything else: asked again at the next pass). */
static int delivered(const char *url, const char *id, int timeout_ms)
{
    pthread_once(&curl_once, curl_start);
    CURL *h = curl_easy_init();
    if (!h)
        return -1;
    char *esc = curl_easy_escape(h, id, 0);
    char full[1024];
    snprintf(full, sizeof(full), "%s%smessage_id=%s", url, strchr(url, '?') ? "&" : "?",
             esc ? esc : "");
    curl_free(esc);
    curl_easy_setopt(h, CURLOPT_URL, full);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 10000));
    long code = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    return code == 200 ? 1 : code == 404 ? 0 : -1;
}

#define RECLAIM_MAX 1000

/* Takes back the claims of dead workers. A claim never tried goes back to
 * the queue (sending it cannot make a duplicate); one whose attempt had
 * begun (sending_at) is in doubt and follows the in_doubt setting. */
static int reclaim(struct ctx *c, struct sendq_stats *st)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, claimed_by, claimed_at, sending_at, idem_key, channel FROM "
                         "send_queue WHERE status = 'claimed' LIMIT 1000",
                         "");
    if (rc)
        return rc;
    static __thread struct dead {
        int64_t id, sending_at;
        char key[80], channel[8];
        int arrived; /* in doubt: 1 delivered, 0 not, -1 unknown, -2 not asked */
    } dead[RECLAIM_MAX];
    int n = 0, doubt = 0;
    while ((rc = stmt_step(s, &c->err)) == 1 && n < RECLAIM_MAX)
        if (claim_dead(stmt_text(s, 1), stmt_isnull(s, 2) ? 0 : stmt_int(s, 2))) {
            struct dead *d = &dead[n++];
            d->id = stmt_int(s, 0);
            d->sending_at = stmt_isnull(s, 3) ? 0 : stmt_int(s, 3);
            snprintf(d->key, sizeof(d->key), "%s", stmt_text(s, 4));
            snprintf(d->channel, sizeof(d->channel), "%s", stmt_text(s, 5));
            d->arrived = -2;
            doubt += d->sending_at != 0;
        }
    stmt_done(s);
    if (rc < 0 || !n)
        return rc < 0 ? rc : 0;
    struct campaign_settings set;
    if (doubt && (rc = campaign_settings_load(c, &set)))
        return rc;
    int check = doubt && !strcmp(set.in_doubt, "check") && set.check_url[0];
    int hold = doubt && !strcmp(set.in_doubt, "hold");
    /* the check is a network call: asked before the write transaction */
    for (int i = 0; check && i < n; i++)
        if (dead[i].sending_at) {
            char mid[200];
            if (!strcmp(dead[i].channel, "email"))
                message_id(dead[i].key, set.from, mid, sizeof(mid));
            else
                snprintf(mid, sizeof(mid), "%s", dead[i].key); /* the gateway's key */
            dead[i].arrived = delivered(set.check_url, mid, set.timeout_ms);
        }
    rc = store_begin(c->st, &c->err);
    int taken = 0;
    for (int i = 0; !rc && i < n; i++) {
        struct dead *d = &dead[i];
        const char *why = NULL;
        if (!d->sending_at) {
            why = "claimed by a worker that stopped before trying it: sent now";
        } else if (d->arrived == 1) {
            rc = store_run(c->st, NULL, &c->err,
                           "UPDATE send_queue SET status = 'sent', sent_at = ?, claimed_by = NULL, "
                           "last_error = 'in doubt after an interrupted attempt: delivered (checked)' "
                           "WHERE id = ? AND status = 'claimed'",
                           "ii", d->sending_at, d->id);
            log_warn("send queue: message %lld was being sent when its worker stopped; the "
                     "delivery check says it arrived: not sent again",
                     (long long)d->id);
            taken++;
            continue;
        } else if (d->arrived == 0) {
            why = "in doubt after an interrupted attempt: not delivered (checked), sent again";
        } else if (check && d->arrived == -1) {
            log_warn("send queue: message %lld is in doubt and the delivery check did not "
                     "answer: asked again later",
                     (long long)d->id);
            continue;
        } else if (hold) {
            rc = store_run(c->st, NULL, &c->err,
                           "UPDATE send_queue SET status = 'failed', claimed_by = NULL, last_error "
                           "= 'in doubt: its worker stopped during the attempt; not sent again "
                           "(in_doubt = hold)' WHERE id = ? AND status = 'claimed'",
                           "i", d->id);
            log_warn("send queue: message %lld is in doubt: held as failed (in_doubt = hold)",
                     (long long)d->id);
            taken++;
            continue;
        } else {
            why = "in doubt after an interrupted attempt: sent again with the same Message-ID";
            log_warn("send queue: message %lld was being sent when its worker stopped; sending "
                     "it again with the same Message-ID (at-least-once)",
                     (long long)d->id);
        }
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE send_queue SET status = 'pending', claimed_by = NULL, last_error = "
                       "? WHERE id = ? AND status = 'claimed'",
                       "si", why, d->id);
        taken++;
    }
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    if (st)
        st->reclaimed += taken;
    return store_commit(c->st, &c->err);
}

/* Claims up to max due messages of the configured channels into ids. */
static int claim(struct ctx *c, const struct campaign_settings *set, int max, int64_t *ids, int *n)
{
    *n = 0;
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT id FROM send_queue WHERE status = 'pending' AND next_at <= ? AND "
                     "((? AND channel = 'email') OR (? AND channel = 'sms')) ORDER BY next_at, id "
                     "LIMIT ?",
                     "iiii", time_now(), (int64_t)(set->smtp_url[0] != 0),
                     (int64_t)(set->sms_url[0] != 0), (int64_t)max);
    int step = 0;
    while (!rc && (step = stmt_step(s, &c->err)) == 1)
        ids[(*n)++] = stmt_int(s, 0);
    stmt_done(s);
    if (!rc && step < 0)
        rc = step;
    for (int i = 0; !rc && i < *n; i++)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE send_queue SET status = 'claimed', claimed_by = ?, claimed_at = ?, "
                       "sending_at = NULL, attempts = attempts + 1 WHERE id = ?",
                       "sii", me, wall_now(), ids[i]);
    if (rc) {
        store_rollback(c->st);
        *n = 0;
        return rc;
    }
    return store_commit(c->st, &c->err);
}

struct msg {
    int64_t id, campaign_id, customer_id, attempts;
    char key[80], channel[8], to[260];
    char *subject, *body, *html, *unsub;
    char purpose[48], campaign_status[16];
};

static char *dup_col(struct stmt *s, int i)
{
    return stmt_isnull(s, i) ? NULL : strdup(stmt_text(s, i));
}

static int load(struct ctx *c, int64_t id, struct msg *m)
{
    memset(m, 0, sizeof(*m));
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT q.id, q.idem_key, q.channel, q.campaign_id, q.customer_id, "
                         "q.to_addr, q.subject, q.body, q.html, q.unsubscribe, q.attempts, "
                         "k.purpose, k.status FROM send_queue q LEFT JOIN campaigns k ON k.id = "
                         "q.campaign_id WHERE q.id = ?",
                         "i", id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1) {
        m->id = stmt_int(s, 0);
        snprintf(m->key, sizeof(m->key), "%s", stmt_text(s, 1));
        snprintf(m->channel, sizeof(m->channel), "%s", stmt_text(s, 2));
        m->campaign_id = stmt_isnull(s, 3) ? 0 : stmt_int(s, 3);
        m->customer_id = stmt_isnull(s, 4) ? 0 : stmt_int(s, 4);
        snprintf(m->to, sizeof(m->to), "%s", stmt_text(s, 5));
        m->subject = dup_col(s, 6);
        m->body = dup_col(s, 7);
        m->html = dup_col(s, 8);
        m->unsub = dup_col(s, 9);
        m->attempts = stmt_int(s, 10);
        snprintf(m->purpose, sizeof(m->purpose), "%s", stmt_isnull(s, 11) ? "" : stmt_text(s, 11));
        snprintf(m->campaign_status, sizeof(m->campaign_status), "%s",
                 stmt_isnull(s, 12) ? "" : stmt_text(s, 12));
    }
    stmt_done(s);
    return rc == 1 ? 0 : rc < 0 ? rc : ERR_NOTFOUND;
}

static void msg_release(struct msg *m)
{
    free(m->subject);
    free(m->body);
    free(m->html);
    free(m->unsub);
}

/* Why a campaign message must not go any more, or NULL. */
static const char *stale(struct ctx *c, const struct msg *m)
{
    if (!m->campaign_id)
        return NULL;
    if (!strcmp(m->campaign_status, "cancelled"))
        return "campaign_cancelled";
    int64_t one;
    if (store_int(c->st, &one, NULL, "SELECT 1 FROM suppressions WHERE channel = ? AND address = ?",
                  "ss", m->channel, m->to) == 0)
        return "suppressed";
    if (m->customer_id && !consent_granted(c, m->customer_id, m->channel, m->purpose))
        return "consent_withdrawn";
    return NULL;
}

/* Records the outcome of one attempt in one transaction. */
static int mark(struct ctx *c, const struct msg *m, int result, const char *why,
                const struct campaign_settings *set, struct sendq_stats *st)
{
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    int64_t now = time_now();
    if (result == 0) {
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE send_queue SET status = 'sent', sent_at = ?, last_error = NULL, "
                       "claimed_by = NULL WHERE id = ?",
                       "ii", now, m->id);
        st->sent++;
    } else if (result == ERR_INVALID) {
        rc =
            store_run(c->st, NULL, &c->err,
                      "UPDATE send_queue SET status = 'bounced', last_error = ?, claimed_by = NULL "
                      "WHERE id = ?",
                      "si", why, m->id);
        if (!rc)
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO suppressions(channel, address, reason, at) VALUES (?, ?, "
                           "?, ?) ON CONFLICT DO NOTHING",
                           "sssi", m->channel, m->to, "bounce", now);
        if (!rc && m->customer_id) {
            json_t *d = json_pack("{s:s,s:s,s:s}", "channel", m->channel, "to", m->to, "reason",
                                  why ? why : "");
            rc = event_emit(c, "message.bounced", m->customer_id, "campaign",
                            m->campaign_id ? m->campaign_id : 0, d, NULL);
            json_decref(d);
        }
        st->bounced++;
    } else if (result == ERR_UNAVAILABLE && m->attempts < set->max_attempts) {
        int64_t delay = (int64_t)(set->backoff_s > 0 ? set->backoff_s : 1);
        for (int64_t i = 1; i < m->attempts && delay < 86400; i++)
            delay *= 2;
        if (delay > 86400)
            delay = 86400;
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE send_queue SET status = 'pending', next_at = ?, last_error = ?, "
                       "claimed_by = NULL WHERE id = ?",
                       "isi", now + delay, why, m->id);
        st->retried++;
    } else if (result == ERR_CONFLICT) { /* not to be sent any more */
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE send_queue SET status = 'cancelled', last_error = ?, claimed_by = "
                       "NULL WHERE id = ?",
                       "si", why, m->id);
        if (!rc && m->campaign_id)
            rc = store_run(c->st, NULL, &c->err,
                           "UPDATE campaign_recipients SET status = 'excluded', reason = ? WHERE "
                           "campaign_id = ? AND customer_id = ?",
                           "sii", why, m->campaign_id, m->customer_id);
        st->cancelled++;
    } else {
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE send_queue SET status = 'failed', last_error = ?, claimed_by = NULL "
                       "WHERE id = ?",
                       "si", why, m->id);
        st->failed++;
    }
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

static int send_one(struct ctx *c, const struct msg *m, const struct campaign_settings *set,
                    struct err *e)
{
    if (!strcmp(m->channel, "email")) {
        char mid[200];
        message_id(m->key, set->from, mid, sizeof(mid));
        char lu[700];
        if (m->unsub)
            snprintf(lu, sizeof(lu), "<%s>", m->unsub);
        struct smtp_config cfg = {set->smtp_url, set->smtp_user[0] ? set->smtp_user : NULL,
                                  set->smtp_password, set->timeout_ms};
        struct mail_msg mm = {.from = set->from,
                              .to = m->to,
                              .subject = m->subject ? m->subject : "",
                              .text = m->body,
                              .html = m->html,
                              .message_id = mid,
                              .list_unsubscribe = m->unsub ? lu : NULL,
                              .list_unsubscribe_one_click = m->unsub != NULL};
        return smtp_send(&cfg, &mm, e);
    }
    struct sms_config cfg = {set->sms_url,
                             set->sms_template[0] ? set->sms_template : NULL,
                             set->sms_content_type[0] ? set->sms_content_type : NULL,
                             NULL,
                             set->sms_from[0] ? set->sms_from : NULL,
                             set->timeout_ms};
    return sms_send(&cfg, m->to, m->body, m->key, e);
}

static void throttle(int rate, double *last)
{
    if (rate <= 0)
        return;
    double gap = 1.0 / rate, now = mono_now();
    if (*last > 0 && now - *last < gap) {
        double wait = gap - (now - *last);
        struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
        nanosleep(&ts, NULL);
    }
    *last = mono_now();
}

int sendq_tick(struct ctx *c, int batch, struct sendq_stats *st, int *processed)
{
    pthread_once(&me_once, me_init);
    struct sendq_stats local = {0};
    if (!st)
        st = &local;
    if (processed)
        *processed = 0;
    if (batch <= 0 || batch > 500)
        batch = 100;
    int launched = 0;
    int rc = campaign_launch_due(c, &launched);
    if (!rc)
        rc = reclaim(c, st);
    struct campaign_settings set;
    if (!rc)
        rc = campaign_settings_load(c, &set);
    int64_t ids[500];
    int n = 0;
    if (!rc)
        rc = claim(c, &set, batch, ids, &n);
    static __thread double last;
    for (int i = 0; !rc && i < n; i++) {
        struct msg m;
        rc = load(c, ids[i], &m);
        if (rc == ERR_NOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc)
            break;
        struct err e = {0};
        const char *why = stale(c, &m);
        int result;
        if (why) {
            result = ERR_CONFLICT;
            snprintf(e.msg, sizeof(e.msg), "%s", why);
        } else {
            throttle(set.rate_per_sec, &last);
            /* committed before the attempt: a crash from here on leaves the
             * message in doubt (see reclaim) */
            rc = store_run(c->st, NULL, &c->err,
                           "UPDATE send_queue SET sending_at = ? WHERE id = ?", "ii", wall_now(),
                           m.id);
            if (rc) {
                msg_release(&m);
                break;
            }
            result = send_one(c, &m, &set, &e);
            if (result && result != ERR_INVALID)
                result = ERR_UNAVAILABLE;
            if (result)
                log_warn("send queue: message %lld to %s: %s", (long long)m.id, m.to, e.msg);
        }
        rc = mark(c, &m, result, e.msg, &set, st);
        msg_release(&m);
        if (processed)
            (*processed)++;
    }
    if (!rc && n)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE campaigns SET status = 'sent', updated_at = ? WHERE status = "
                       "'sending' AND NOT EXISTS (SELECT 1 FROM send_queue q WHERE q.campaign_id = "
                       "campaigns.id AND q.status IN ('pending', 'claimed'))",
                       "i", time_now());
    return rc;
}

int sendq_drain(struct ctx *c, int max_seconds, struct sendq_stats *st)
{
    double until = mono_now() + (max_seconds > 0 ? max_seconds : 3600);
    for (;;) {
        int n = 0;
        int rc = sendq_tick(c, 100, st, &n);
        if (rc)
            return rc;
        if (!n || mono_now() > until)
            return 0;
    }
}

static void *worker(void *arg)
{
    struct sendq_worker *w = arg;
    struct sendq_stats st = {0};
    while (!w->stop) {
        struct ctx c;
        int n = 0;
        if (ctx_init(&c, w->app, NULL) == 0 && sendq_tick(&c, 50, &st, &n) != 0)
            log_error("send queue: %s", c.err.msg);
        for (int i = 0; !n && i < 4 && !w->stop; i++) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

int sendq_start(struct sendq_worker *w, struct app *a)
{
    memset(w, 0, sizeof(*w));
    w->app = a;
    const char *off = getenv("RELATIO_SENDQ");
    if (off && !strcmp(off, "off"))
        return 0;
    if (pthread_create(&w->thread, NULL, worker, w) != 0)
        return ERR_INTERNAL;
    w->running = 1;
    return 0;
}

void sendq_stop(struct sendq_worker *w)
{
    if (!w->running)
        return;
    w->stop = 1;
    pthread_join(w->thread, NULL);
    w->running = 0;
}
