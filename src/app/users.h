/*
 * Users, passwords (argon2id), sign-in sessions with CSRF tokens, API tokens
 * and login throttling. Secrets are stored only as hashes.
 */
#ifndef APP_USERS_H
#define APP_USERS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"

#define SESSION_TTL (12 * 3600) /* seconds a session lives without use */
#define LOGIN_MAX_FAILURES 5    /* then the account is locked for LOGIN_LOCK seconds */
#define LOGIN_LOCK (15 * 60)

/* Creates a user; *id gets its id. Password at least 8 bytes. */
int user_add(struct ctx *c, const char *email, const char *name, const char *role,
             const char *password, int64_t *id);
int user_passwd(struct ctx *c, const char *email, const char *password);
/* {"items":[{id,email,name,role,team,active,created_at}]} */
int user_list(struct ctx *c, json_t **out);
int user_get(struct ctx *c, int64_t id, json_t **out);
/* Updates name, role, team, active, password from a JSON object (admin). */
int user_update(struct ctx *c, int64_t id, const json_t *in, json_t **out);

/* Checks credentials, throttles failures per address, opens a session.
 * session_token (65 bytes) goes in the cookie, csrf (65 bytes) to the client;
 * *user gets the public user object. ERR_UNAUTH / ERR_THROTTLED. */
int auth_login(struct ctx *c, const char *email, const char *password, char session_token[65],
               char csrf[65], json_t **user);
/* Resolves a session cookie into an actor and its CSRF token. ERR_UNAUTH. */
int auth_session(struct ctx *c, const char *session_token, struct actor *who, char csrf[65]);
int auth_logout(struct ctx *c, const char *session_token);
/* Resolves a bearer API token. ERR_UNAUTH when unknown or revoked. */
int auth_bearer(struct ctx *c, const char *token, struct actor *who);
/* Creates an API token for the user with that e-mail; token gets 65 bytes
 * (shown once, only its hash is kept). */
int token_create(struct ctx *c, const char *email, const char *name, char token[65], int64_t *id);
int token_revoke(struct ctx *c, int64_t id);

/* Public object of the actor's user: {id,email,name,role,team}. */
int user_public(struct ctx *c, int64_t id, json_t **out);

#endif
