/* Newsletters with double opt-in (see newsletters.h). */
#include "app/newsletters.h"

#include <stdio.h>
#include <string.h>

#include "app/activity.h"
#include "app/audit.h"
#include "app/campaigns.h"
#include "app/customers.h"
#include "app/events.h"
#include "app/rowjson.h"
#include "store/store.h"
#include "util/timeu.h"

const struct field newsletter_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 100, NULL, NULL, "unique"},
    {"description", FT_TEXT, FF_NULLABLE, 2000, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field newsletter_subscribe_fields[] = {
    {"customer_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

#define NL_SQL                                                                                     \
    "SELECT n.id, n.name, n.description, n.created_at, (SELECT COUNT(*) FROM "                     \
    "newsletter_subscriptions s WHERE s.newsletter_id = n.id AND s.status = 'pending'), (SELECT "  \
    "COUNT(*) FROM newsletter_subscriptions s WHERE s.newsletter_id = n.id AND s.status = "        \
    "'confirmed'), (SELECT COUNT(*) FROM newsletter_subscriptions s WHERE s.newsletter_id = n.id " \
    "AND s.status = 'unsubscribed') FROM newsletters n"
static const char *const nl_names[] = {"id",      "name",      "description",  "created_at",
                                       "pending", "confirmed", "unsubscribed", NULL};

int newsletter_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(newsletter_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int64_t id = 0;
    rc = store_begin(c->st, &c->err);
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO newsletters(name, description, created_at) VALUES (?, ?, ?) "
                       "RETURNING id",
                       "ssi", rowj_str(in, "name"), rowj_str(in, "description"), time_now());
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "name", "a newsletter with this name exists");
    if (!rc)
        rc = rowj_one(c, NL_SQL " WHERE n.id = ?", id, nl_names, "isstiii", "newsletter", out);
    if (!rc)
        rc = audit_record(c, "create", "newsletter", id, NULL, *out);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int newsletter_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, NL_SQL " ORDER BY n.name LIMIT 1000", "");
    json_t *items = NULL;
    if (!rc)
        rc = rowj_all(c, s, nl_names, "isstiii", &items);
    if (!rc)
        *out = json_pack("{s:o}", "items", items);
    return rc;
}

int newsletter_subscribe(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = fields_check(newsletter_subscribe_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int64_t cid = rowj_int(in, "customer_id", 0), now = time_now();
    json_t *nl = NULL;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = rowj_one(c, NL_SQL " WHERE n.id = ?", id, nl_names, "isstiii", "newsletter", &nl);
    if (!rc)
        rc = customer_exists(c, cid);
    char email[256] = "", lang[8] = "", status[16] = "";
    struct stmt *s = NULL;
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT c.email, c.language, (SELECT status FROM newsletter_subscriptions "
                         "WHERE newsletter_id = ? AND customer_id = c.id) FROM customers c WHERE "
                         "c.id = ?",
                         "ii", id, cid);
    if (!rc && stmt_step(s, &c->err) == 1) {
        snprintf(email, sizeof(email), "%s", stmt_isnull(s, 0) ? "" : stmt_text(s, 0));
        snprintf(lang, sizeof(lang), "%s", stmt_isnull(s, 1) ? "" : stmt_text(s, 1));
        snprintf(status, sizeof(status), "%s", stmt_isnull(s, 2) ? "" : stmt_text(s, 2));
    }
    stmt_done(s);
    if (!rc && !email[0])
        rc = fail(c, ERR_INVALID, "customer_id", "this customer has no e-mail address");
    int confirmed = !strcmp(status, "confirmed");
    if (!rc && !confirmed)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO newsletter_subscriptions(newsletter_id, customer_id, status, "
                       "requested_at) VALUES (?, ?, 'pending', ?) ON CONFLICT(newsletter_id, "
                       "customer_id) DO UPDATE SET status "
                       "= 'pending', requested_at = excluded.requested_at, unsubscribed_at = NULL",
                       "iii", id, cid, now);
    char tok[128], link[600], key[80], subj[300], text[1200];
    if (!rc && !confirmed)
        rc = link_sign(c, 'n', id, cid, NULL, tok, sizeof(tok));
    if (!rc && !confirmed) {
        struct campaign_settings set;
        rc = campaign_settings_load(c, &set);
        snprintf(link, sizeof(link), "%s/api/v1/newsletters/confirm/%s", set.public_url, tok);
        snprintf(key, sizeof(key), "nl%lld:%lld:%lld", (long long)id, (long long)cid,
                 (long long)now);
        const char *name = rowj_str(nl, "name");
        int en = !strncmp(lang, "en", 2);
        snprintf(subj, sizeof(subj),
                 en ? "Please confirm your subscription to %s" : "Confirmez votre inscription à %s",
                 name);
        snprintf(text, sizeof(text),
                 en ? "Hello,\n\nPlease confirm that you want to receive \"%s\" by following this "
                      "link:\n%s\n\nIf you did not ask for it, ignore this message: nothing will "
                      "be sent.\n"
                    : "Bonjour,\n\nConfirmez que vous souhaitez recevoir « %s » en suivant ce "
                      "lien :\n%s\n\nSi vous ne l'avez pas demandé, ignorez ce message : rien ne "
                      "vous sera envoyé.\n",
                 name, link);
        if (!rc)
            rc = campaign_queue_email(c, key, cid, email, subj, text, NULL);
    }
    if (!rc)
        rc = audit_record(c, "subscribe", "newsletter", id, NULL, in);
    json_decref(nl);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (!rc)
        *out = json_pack("{s:I,s:I,s:s}", "newsletter_id", (json_int_t)id, "customer_id",
                         (json_int_t)cid, "status", confirmed ? "confirmed" : "pending");
    return rc;
}

int newsletter_confirm(struct ctx *c, const char *token, json_t **out)
{
    int64_t id = 0, cid = 0;
    int rc = link_verify(c, token, 'n', NULL, &id, &cid);
    if (rc)
        return rc;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = link_use_once(c, token);
    int64_t n = 0;
    if (!rc)
        rc = store_run(c->st, &n, &c->err,
                       "UPDATE newsletter_subscriptions SET status = 'confirmed', confirmed_at = ? "
                       "WHERE newsletter_id = ? AND customer_id = ? AND status = 'pending'",
                       "iii", time_now(), id, cid);
    if (!rc && n == 0)
        rc = fail(c, ERR_CONFLICT, "token", "there is no pending subscription for this link");
    json_t *in = json_pack("{s:s,s:s,s:b,s:s,s:s,s:s}", "channel", "email", "purpose", "newsletter",
                           "granted", 1, "legal_basis", "consent", "source", "double opt-in",
                           "proof", token);
    json_t *rec = NULL;
    struct actor saved = c->actor;
    c->actor.user_id = 0;
    snprintf(c->actor.email, sizeof(c->actor.email), "customer (confirmation link)");
    if (!rc)
        rc = consent_record(c, cid, in, &rec);
    c->actor = saved;
    json_t *d = json_pack("{s:I}", "newsletter_id", (json_int_t)id);
    if (!rc)
        rc = event_emit(c, "newsletter.confirmed", cid, "newsletter", id, d, NULL);
    json_decref(d);
    json_decref(in);
    json_decref(rec);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    rc = store_commit(c->st, &c->err);
    if (!rc)
        *out = json_pack("{s:s,s:I}", "status", "confirmed", "newsletter_id", (json_int_t)id);
    return rc;
}
