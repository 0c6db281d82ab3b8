/* Routes: sign-in, sign-out, who am I; users and API tokens (admin). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/users.h"
#include "http/handlers.h"

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

int h_login(struct req *r, struct resp *w)
{
    int rc = req_body(r, login_fields, 0);
    if (rc)
        return rc;
    char token[65], csrf[65];
    json_t *user = NULL;
    rc = auth_login(&r->c, jstr(r->body, "email"), jstr(r->body, "password"), token, csrf, &user);
    if (rc)
        return rc;
    const char *secure = getenv("RELATIO_COOKIE_SECURE");
    snprintf(w->cookie, sizeof(w->cookie),
             "relatio_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", token,
             SESSION_TTL, secure && *secure == '1' ? "; Secure" : "");
    return reply_json(w, 200, json_pack("{s:o,s:s}", "user", user, "csrf_token", csrf));
}

int h_logout(struct req *r, struct resp *w)
{
    int rc = auth_logout(&r->c, r->session[0] ? r->session : NULL);
    if (rc)
        return rc;
    snprintf(w->cookie, sizeof(w->cookie),
             "relatio_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    w->status = 204;
    return 0;
}

int h_me(struct req *r, struct resp *w)
{
    json_t *user = NULL;
    int rc = user_public(&r->c, r->c.actor.user_id, &user);
    if (rc)
        return rc;
    json_t *out = json_pack("{s:o}", "user", user);
    if (r->session[0]) {
        char csrf[65];
        struct actor who;
        if (auth_session(&r->c, r->session, &who, csrf) == 0)
            json_object_set_new(out, "csrf_token", json_string(csrf));
    }
    return reply_json(w, 200, out);
}

const struct field user_fields[] = {
    {"email", FT_EMAIL, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"name", FT_STRING, 0, 200, NULL, NULL, NULL},
    {"role", FT_ENUM, FF_REQUIRED, 0, "admin|manager|sales|support|marketing|analyst", NULL, NULL},
    {"password", FT_STRING, FF_REQUIRED, 1024, NULL, NULL, "at least 8 characters"},
    {"team", FT_STRING, FF_NULLABLE, 60, NULL, NULL, NULL},
    {"active", FT_BOOL, 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int h_users_list(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = user_list(&r->c, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_users_create(struct req *r, struct resp *w)
{
    int rc = fields_check(user_fields, r->body, FIELDS_CREATE, &r->c.err);
    if (rc)
        return rc;
    int64_t id = 0;
    rc = user_add(&r->c, jstr(r->body, "email"), jstr(r->body, "name"), jstr(r->body, "role"),
                  jstr(r->body, "password"), &id);
    json_t *out = NULL;
    if (!rc && json_object_get(r->body, "team")) {
        json_t *t = json_pack("{s:O}", "team", json_object_get(r->body, "team"));
        rc = user_update(&r->c, id, t, &out);
        json_decref(t);
        json_decref(out);
        out = NULL;
    }
    if (!rc)
        rc = user_get(&r->c, id, &out);
    if (rc)
        return rc;
    snprintf(w->location, sizeof(w->location), "/api/v1/users/%lld", (long long)id);
    return reply_json(w, 201, out);
}

int h_users_get(struct req *r, struct resp *w)
{
    json_t *out = NULL;
    int rc = user_get(&r->c, r->id, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_users_update(struct req *r, struct resp *w)
{
    int rc = fields_check(user_fields, r->body, FIELDS_UPDATE, &r->c.err);
    if (rc)
        return rc;
    if (json_object_get(r->body, "email"))
        return err_set(&r->c.err, ERR_INVALID, "email", "the e-mail of a user cannot change");
    json_t *out = NULL;
    rc = user_update(&r->c, r->id, r->body, &out);
    return rc ? rc : reply_json(w, 200, out);
}

int h_tokens_create(struct req *r, struct resp *w)
{
    int brc = req_body(r, token_fields, 1);
    if (brc)
        return brc;
    const char *email = r->body ? jstr(r->body, "email") : NULL;
    const char *name = r->body ? jstr(r->body, "name") : NULL;
    /* a token for someone else is an admin's act */
    if (email && strcmp(email, r->c.actor.email) != 0 && r->c.actor.role != ROLE_ADMIN)
        return err_set(&r->c.err, ERR_FORBIDDEN, "email", "only an admin creates others' tokens");
    char token[65];
    int64_t id = 0;
    int rc = token_create(&r->c, email ? email : r->c.actor.email, name, token, &id);
    if (rc)
        return rc;
    return reply_json(w, 201, json_pack("{s:I,s:s}", "id", (json_int_t)id, "token", token));
}

int h_tokens_revoke(struct req *r, struct resp *w)
{
    int rc = token_revoke(&r->c, r->id);
    if (rc)
        return rc;
    w->status = 204;
    return 0;
}
