/* Rule e-mails: queue and SMTP sending with retries (see rule_mail.h). */
#include "app/rule_mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/smtp.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeu.h"

int rule_mail_enqueue(struct ctx *c, int64_t rule_id, int64_t run_id, int64_t customer_id,
                      const char *to, const char *subject, const char *body, int64_t *id)
{
    int64_t now = time_now(), newid = 0;
    int rc = store_int(c->st, &newid, &c->err,
                       "INSERT INTO rule_messages(rule_id, run_id, customer_id, to_addr, subject, "
                       "body, status, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, "
                       "?) RETURNING id",
                       "iIisssii", rule_id, run_id ? run_id : INT64_MIN, customer_id, to, subject,
                       body, now, now);
    if (!rc && id)
        *id = newid;
    return rc;
}

struct msg {
    int64_t id, next_at, attempts;
    char *to, *subject, *body;
};

int rule_mail_send_due(struct ctx *c, int max, int *sent)
{
    if (sent)
        *sent = 0;
    const char *url = getenv("RELATIO_SMTP_URL");
    if (!url || !*url)
        return 0; /* nothing configured: messages wait */
    const char *from = getenv("RELATIO_MAIL_FROM");
    if (!from || !*from)
        from = "relatio <noreply@relatio.invalid>";
    if (max <= 0 || max > 500)
        max = 100;
    struct msg *m = calloc((size_t)max, sizeof(*m));
    if (!m)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    int64_t now = time_now();
    int n = 0;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, next_at, attempts, to_addr, subject, body FROM rule_messages "
                         "WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?",
                         "ii", now, (int64_t)max);
    while (s && n < max && (rc = stmt_step(s, &c->err)) == 1) {
        m[n] =
            (struct msg){stmt_int(s, 0),          stmt_int(s, 1),          stmt_int(s, 2),
                         strdup(stmt_text(s, 3)), strdup(stmt_text(s, 4)), strdup(stmt_text(s, 5))};
        n++;
    }
    stmt_done(s);
    if (rc > 0)
        rc = 0;
    struct smtp_config cfg = {url, getenv("RELATIO_SMTP_USER"), getenv("RELATIO_SMTP_PASSWORD"),
                              10000};
    for (int i = 0; !rc && i < n; i++) {
        if (!m[i].to || !m[i].subject || !m[i].body)
            continue;
        int64_t ch = 0;
        rc = store_run(c->st, &ch, &c->err,
                       "UPDATE rule_messages SET next_at = ? WHERE id = ? AND next_at = ? AND "
                       "status = 'pending'",
                       "iii", now + 600, m[i].id, m[i].next_at);
        if (rc || !ch)
            continue;
        struct mail_msg mm = {
            .from = from, .to = m[i].to, .subject = m[i].subject, .text = m[i].body};
        struct err e = {0};
        int src = smtp_send(&cfg, &mm, &e);
        int64_t attempts = m[i].attempts + 1;
        const char *st = !src                                                       ? "sent"
                         : src == ERR_INVALID || attempts >= RULE_MAIL_MAX_ATTEMPTS ? "failed"
                                                                                    : "pending";
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE rule_messages SET status = ?, attempts = ?, last_error = ?, "
                       "next_at = ?, sent_at = ? WHERE id = ?",
                       "sisiIi", st, attempts, src ? e.msg : NULL,
                       now + ((int64_t)60 << (attempts > 10 ? 10 : attempts)),
                       src ? INT64_MIN : now, m[i].id);
        if (src)
            log_warn("rule e-mail %lld to %s: %s", (long long)m[i].id, m[i].to, e.msg);
        else if (sent)
            (*sent)++;
    }
    for (int i = 0; i < n; i++) {
        free(m[i].to);
        free(m[i].subject);
        free(m[i].body);
    }
    free(m);
    return rc;
}

int rule_mail_list(struct ctx *c, int64_t customer_id, int limit, json_t **out)
{
    if (limit <= 0 || limit > 500)
        limit = 50;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, rule_id, customer_id, to_addr, subject, body, status, "
                         "attempts, last_error, created_at, sent_at FROM rule_messages WHERE (? = "
                         "0 OR customer_id = ?) ORDER BY id DESC LIMIT ?",
                         "iii", customer_id, customer_id, (int64_t)limit);
    if (rc)
        return rc;
    json_t *items = json_array();
    char t1[TIME_BUF], t2[TIME_BUF];
    while ((rc = stmt_step(s, &c->err)) == 1)
        json_array_append_new(
            items,
            json_pack("{s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:I,s:s?,s:s,s:s?}", "id",
                      (json_int_t)stmt_int(s, 0), "rule_id", (json_int_t)stmt_int(s, 1),
                      "customer_id", (json_int_t)stmt_int(s, 2), "to", stmt_text(s, 3), "subject",
                      stmt_text(s, 4), "body", stmt_text(s, 5), "status", stmt_text(s, 6),
                      "attempts", (json_int_t)stmt_int(s, 7), "last_error", stmt_text(s, 8),
                      "created_at", time_format(stmt_int(s, 9), t1, sizeof(t1)), "sent_at",
                      stmt_isnull(s, 10) ? NULL : time_format(stmt_int(s, 10), t2, sizeof(t2))));
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}
