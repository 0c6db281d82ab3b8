/* Users, sessions, API tokens, login throttling (see users.h). */
#include "app/users.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/audit.h"
#include "store/store.h"
#include "util/timeu.h"
#include "util/validate.h"

static void pwhash_limits(unsigned long long *ops, size_t *mem)
{
    /* RELATIO_PWHASH=fast: a test-only cost so suites do not spend minutes hashing */
    const char *v = getenv("RELATIO_PWHASH");
    if (v && strcmp(v, "fast") == 0) {
        *ops = crypto_pwhash_OPSLIMIT_MIN;
        *mem = crypto_pwhash_MEMLIMIT_MIN;
    } else {
        *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    }
}

static int hash_password(struct ctx *c, const char *password, char out[crypto_pwhash_STRBYTES])
{
    size_t len = strlen(password);
    if (len < 8)
        return fail(c, ERR_INVALID, "password", "at least 8 characters");
    if (len > 1024)
        return fail(c, ERR_INVALID, "password", "at most 1024 characters");
    unsigned long long ops;
    size_t mem;
    pwhash_limits(&ops, &mem);
    if (sodium_init() < 0 || crypto_pwhash_str(out, password, len, ops, mem) != 0)
        return fail(c, ERR_INTERNAL, "", "password hashing failed (out of memory?)");
    return 0;
}

/* hex SHA-256 of a secret: what the database keeps of tokens */
static void secret_hash(const char *secret, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)secret, strlen(secret));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

static void random_token(char out[65])
{
    unsigned char b[32];
    randombytes_buf(b, sizeof(b));
    sodium_bin2hex(out, 65, b, sizeof(b));
}

/* Resolved API tokens, kept a few seconds so that a busy integration does
 * not pay two queries per request. Any change to users or tokens in this
 * process empties it; a revocation made by another process (the CLI) takes
 * effect within TOKEN_CACHE_TTL seconds. */
#define TOKEN_CACHE_SLOTS 256
#define TOKEN_CACHE_TTL 10
static struct {
    char hash[65];
    struct actor who;
    int64_t expires;
} token_cache[TOKEN_CACHE_SLOTS];
static pthread_mutex_t token_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void token_cache_clear(void)
{
    pthread_mutex_lock(&token_cache_lock);
    memset(token_cache, 0, sizeof(token_cache));
    pthread_mutex_unlock(&token_cache_lock);
}

static unsigned token_slot(const char *hash)
{
    unsigned h = 0;
    for (int i = 0; i < 8; i++)
        h = h * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
    return h % TOKEN_CACHE_SLOTS;
}

static int token_cache_get(const char *hash, int64_t now, struct actor *who)
{
    unsigned i = token_slot(hash);
    int hit = 0;
    pthread_mutex_lock(&token_cache_lock);
    if (token_cache[i].expires > now && strcmp(token_cache[i].hash, hash) == 0) {
        *who = token_cache[i].who;
        hit = 1;
    }
    pthread_mutex_unlock(&token_cache_lock);
    return hit;
}

static void token_cache_put(const char *hash, int64_t now, const struct actor *who)
{
    unsigned i = token_slot(hash);
    pthread_mutex_lock(&token_cache_lock);
    snprintf(token_cache[i].hash, sizeof(token_cache[i].hash), "%s", hash);
    token_cache[i].who = *who;
    token_cache[i].expires = now + TOKEN_CACHE_TTL;
    pthread_mutex_unlock(&token_cache_lock);
}

int user_add(struct ctx *c, const char *email, const char *name, const char *role,
             const char *password, int64_t *id)
{
    char em[255], hash[crypto_pwhash_STRBYTES];
    if (!email || email_normalize(email, em))
        return fail(c, ERR_INVALID, "email", "not a valid e-mail address");
    if (!role_from_name(role) || role_from_name(role) == ROLE_SYSTEM)
        return fail(c, ERR_INVALID, "role",
                    "must be one of: admin, manager, sales, support, marketing, analyst");
    if (name && strlen(name) > 200)
        return fail(c, ERR_INVALID, "name", "too long");
    int rc = hash_password(c, password ? password : "", hash);
    if (rc)
        return rc;
    int64_t now = time_now();
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = store_int(c->st, id, &c->err,
                   "INSERT INTO users(email, name, role, password_hash, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                   "ssssii", em, name ? name : "", role, hash, now, now);
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "email", "a user with this e-mail already exists");
    if (!rc) {
        json_t *after =
            json_pack("{s:s,s:s,s:s}", "email", em, "name", name ? name : "", "role", role);
        rc = audit_record(c, "create", "user", *id, NULL, after);
        json_decref(after);
    }
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int user_passwd(struct ctx *c, const char *email, const char *password)
{
    char em[255], hash[crypto_pwhash_STRBYTES];
    if (!email || email_normalize(email, em))
        return fail(c, ERR_INVALID, "email", "not a valid e-mail address");
    int rc = hash_password(c, password ? password : "", hash);
    if (rc)
        return rc;
    int64_t n = 0;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = store_run(c->st, &n, &c->err,
                   "UPDATE users SET password_hash = ?, updated_at = ?, failed_logins = 0, "
                   "locked_until = 0 WHERE email = ?",
                   "sis", hash, time_now(), em);
    if (!rc && n == 0)
        rc = fail(c, ERR_NOTFOUND, "email", "no user with this e-mail");
    /* a new password ends every open session */
    if (!rc)
        rc = store_run(
            c->st, NULL, &c->err,
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = ?)", "s", em);
    if (!rc)
        rc = audit_record(c, "passwd", "user", 0, NULL, NULL);
    token_cache_clear();
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}

static json_t *user_row(struct stmt *s)
{
    char ts[TIME_BUF];
    return json_pack("{s:I,s:s,s:s,s:s,s:o,s:b,s:s}", "id", (json_int_t)stmt_int(s, 0), "email",
                     stmt_text(s, 1), "name", stmt_text(s, 2), "role", stmt_text(s, 3), "team",
                     stmt_text(s, 4) ? json_string(stmt_text(s, 4)) : json_null(), "active",
                     (int)stmt_int(s, 5), "created_at",
                     time_format(stmt_int(s, 6), ts, sizeof(ts)));
}

#define USER_COLS "id, email, name, role, team, active, created_at"

int user_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, "SELECT " USER_COLS " FROM users ORDER BY id", "");
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = stmt_step(s, &c->err)) == 1)
        json_array_append_new(items, user_row(s));
    stmt_done(s);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

int user_get(struct ctx *c, int64_t id, json_t **out)
{
    struct stmt *s = NULL;
    int rc =
        store_query(c->st, &s, &c->err, "SELECT " USER_COLS " FROM users WHERE id = ?", "i", id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1)
        *out = user_row(s);
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_NOTFOUND, "id", "no such user");
    return rc < 0 ? rc : 0;
}

int user_public(struct ctx *c, int64_t id, json_t **out)
{
    return user_get(c, id, out);
}

int user_update(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    json_t *before = NULL;
    int rc = user_get(c, id, &before);
    if (rc)
        return rc;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)in, key, v)
    {
        if (!strcmp(key, "name") || !strcmp(key, "team")) {
            if (!json_is_string(v) || json_string_length(v) > 200) {
                rc = fail(c, ERR_INVALID, key, "must be a string of at most 200 bytes");
                goto out;
            }
        } else if (!strcmp(key, "role")) {
            int r = role_from_name(json_string_value(v));
            if (!r || r == ROLE_SYSTEM) {
                rc = fail(c, ERR_INVALID, "role",
                          "must be one of: admin, manager, sales, support, marketing, analyst");
                goto out;
            }
        } else if (!strcmp(key, "active")) {
            if (!json_is_boolean(v)) {
                rc = fail(c, ERR_INVALID, "active", "must be true or false");
                goto out;
            }
        } else if (strcmp(key, "password") != 0) {
            rc = fail(c, ERR_INVALID, key, "unknown field");
            goto out;
        }
    }
    rc = store_begin(c->st, &c->err);
    if (rc)
        goto out;
    json_t *pw = json_object_get(in, "password");
    if (pw) {
        char hash[crypto_pwhash_STRBYTES];
        rc = json_is_string(pw) ? hash_password(c, json_string_value(pw), hash)
                                : fail(c, ERR_INVALID, "password", "must be a string");
        if (!rc)
            rc = store_run(c->st, NULL, &c->err, "UPDATE users SET password_hash = ? WHERE id = ?",
                           "si", hash, id);
        if (!rc)
            rc = store_run(c->st, NULL, &c->err, "DELETE FROM sessions WHERE user_id = ?", "i", id);
    }
    json_t *v2;
    if (!rc && (v2 = json_object_get(in, "name")))
        rc = store_run(c->st, NULL, &c->err, "UPDATE users SET name = ? WHERE id = ?", "si",
                       json_string_value(v2), id);
    if (!rc && (v2 = json_object_get(in, "team")))
        rc = store_run(c->st, NULL, &c->err, "UPDATE users SET team = ? WHERE id = ?", "si",
                       json_string_value(v2), id);
    if (!rc && (v2 = json_object_get(in, "role")))
        rc = store_run(c->st, NULL, &c->err, "UPDATE users SET role = ? WHERE id = ?", "si",
                       json_string_value(v2), id);
    if (!rc && (v2 = json_object_get(in, "active"))) {
        rc = store_run(c->st, NULL, &c->err, "UPDATE users SET active = ? WHERE id = ?", "ii",
                       (int64_t)json_is_true(v2), id);
        if (!rc && !json_is_true(v2))
            rc = store_run(c->st, NULL, &c->err, "DELETE FROM sessions WHERE user_id = ?", "i", id);
    }
    if (!rc)
        rc = store_run(c->st, NULL, &c->err, "UPDATE users SET updated_at = ? WHERE id = ?", "ii",
                       time_now(), id);
    if (!rc)
        rc = user_get(c, id, out);
    if (!rc)
        rc = audit_record(c, "update", "user", id, before, *out);
    if (rc) {
        store_rollback(c->st);
        goto out;
    }
    rc = store_commit(c->st, &c->err);
    token_cache_clear();
out:
    json_decref(before);
    return rc;
}

/* Throttling: LOGIN_MAX_FAILURES failures within LOGIN_LOCK lock the address
 * for LOGIN_LOCK seconds, whether or not the user exists (no enumeration). */
static int throttled(struct ctx *c, const char *key, int64_t now)
{
    int64_t until = 0;
    int rc = store_int(c->st, &until, NULL, "SELECT locked_until FROM login_attempts WHERE key = ?",
                       "s", key);
    return rc == 0 && until > now;
}

static void note_failure(struct ctx *c, const char *key, int64_t now)
{
    store_run(c->st, NULL, NULL,
              "INSERT INTO login_attempts(key, failures, window_start, locked_until) "
              "VALUES (?, 1, ?, 0) ON CONFLICT(key) DO UPDATE SET "
              "failures = CASE WHEN login_attempts.window_start < ? THEN 1 ELSE "
              "login_attempts.failures + 1 END, window_start = CASE WHEN "
              "login_attempts.window_start < ? THEN excluded.window_start ELSE "
              "login_attempts.window_start END",
              "siii", key, now, now - LOGIN_LOCK, now - LOGIN_LOCK);
    store_run(c->st, NULL, NULL,
              "UPDATE login_attempts SET locked_until = ? WHERE key = ? AND failures >= ?", "isi",
              now + LOGIN_LOCK, key, (int64_t)LOGIN_MAX_FAILURES);
}

int auth_login(struct ctx *c, const char *email, const char *password, char session_token[65],
               char csrf[65], json_t **user)
{
    char em[255];
    if (!email || email_normalize(email, em))
        return fail(c, ERR_INVALID, "email", "not a valid e-mail address");
    if (!password || !*password)
        return fail(c, ERR_INVALID, "password", "required field is missing");
    if (strlen(password) > 1024)
        return fail(c, ERR_INVALID, "password", "too long");
    int64_t now = time_now();
    if (throttled(c, em, now))
        return fail(c, ERR_THROTTLED, "email",
                    "too many failed sign-ins: try again in a few minutes");
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT id, password_hash, active FROM users WHERE email = ?", "s", em);
    if (rc)
        return rc;
    int64_t id = 0, active = 0;
    char hash[crypto_pwhash_STRBYTES] = "";
    if ((rc = stmt_step(s, &c->err)) == 1) {
        id = stmt_int(s, 0);
        snprintf(hash, sizeof(hash), "%s", stmt_text(s, 1));
        active = stmt_int(s, 2);
    }
    stmt_done(s);
    if (rc < 0)
        return rc;
    if (!id || !active || crypto_pwhash_str_verify(hash, password, strlen(password)) != 0) {
        note_failure(c, em, now);
        return fail(c, ERR_UNAUTH, "password", "wrong e-mail or password");
    }
    store_run(c->st, NULL, NULL, "DELETE FROM login_attempts WHERE key = ?", "s", em);
    char th[65];
    random_token(session_token);
    random_token(csrf);
    secret_hash(session_token, th);
    rc = store_run(c->st, NULL, &c->err,
                   "INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, expires_at, "
                   "last_seen) VALUES (?, ?, ?, ?, ?, ?)",
                   "sisiii", th, id, csrf, now, now + SESSION_TTL, now);
    if (rc)
        return rc;
    return user_public(c, id, user);
}

static int load_actor(struct ctx *c, int64_t user_id, struct actor *who)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT email, role, COALESCE(team, ''), active FROM users WHERE id = ?",
                         "i", user_id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1 && stmt_int(s, 3)) {
        memset(who, 0, sizeof(*who));
        who->user_id = user_id;
        who->role = role_from_name(stmt_text(s, 1));
        snprintf(who->email, sizeof(who->email), "%s", stmt_text(s, 0));
        snprintf(who->team, sizeof(who->team), "%s", stmt_text(s, 2));
        rc = 0;
    } else if (rc >= 0) {
        rc = fail(c, ERR_UNAUTH, "", "the account is disabled");
    }
    stmt_done(s);
    return rc;
}

int auth_session(struct ctx *c, const char *session_token, struct actor *who, char csrf[65])
{
    char th[65];
    if (!session_token || strlen(session_token) != 64)
        return fail(c, ERR_UNAUTH, "", "not signed in");
    secret_hash(session_token, th);
    struct stmt *s = NULL;
    int64_t now = time_now();
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT user_id, csrf_token, last_seen FROM sessions WHERE token_hash = ? "
                         "AND expires_at > ?",
                         "si", th, now);
    if (rc)
        return rc;
    int64_t uid = 0, seen = 0;
    if ((rc = stmt_step(s, &c->err)) == 1) {
        uid = stmt_int(s, 0);
        snprintf(csrf, 65, "%s", stmt_text(s, 1));
        seen = stmt_int(s, 2);
    }
    stmt_done(s);
    if (rc < 0)
        return rc;
    if (!uid)
        return fail(c, ERR_UNAUTH, "", "the session has expired: sign in again");
    /* sliding expiry, written at most once a minute to keep reads read-only */
    if (now - seen > 60)
        store_run(c->st, NULL, NULL,
                  "UPDATE sessions SET last_seen = ?, expires_at = ? WHERE token_hash = ?", "iis",
                  now, now + SESSION_TTL, th);
    return load_actor(c, uid, who);
}

int auth_logout(struct ctx *c, const char *session_token)
{
    char th[65];
    if (!session_token)
        return 0;
    secret_hash(session_token, th);
    return store_run(c->st, NULL, &c->err, "DELETE FROM sessions WHERE token_hash = ?", "s", th);
}

int auth_bearer(struct ctx *c, const char *token, struct actor *who)
{
    char th[65];
    if (!token || strlen(token) != 64)
        return fail(c, ERR_UNAUTH, "", "invalid API token");
    secret_hash(token, th);
    int64_t now = time_now();
    if (token_cache_get(th, now, who))
        return 0;
    int64_t uid = 0;
    int rc = store_int(c->st, &uid, &c->err,
                       "SELECT user_id FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                       "s", th);
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_UNAUTH, "", "invalid or revoked API token");
    if (rc)
        return rc;
    rc = load_actor(c, uid, who);
    if (!rc)
        token_cache_put(th, now, who);
    return rc;
}

int token_create(struct ctx *c, const char *email, const char *name, char token[65], int64_t *id)
{
    char em[255], th[65];
    if (!email || email_normalize(email, em))
        return fail(c, ERR_INVALID, "email", "not a valid e-mail address");
    int64_t uid = 0;
    int rc = store_int(c->st, &uid, &c->err, "SELECT id FROM users WHERE email = ?", "s", em);
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_NOTFOUND, "email", "no user with this e-mail");
    if (rc)
        return rc;
    random_token(token);
    secret_hash(token, th);
    rc = store_int(c->st, id, &c->err,
                   "INSERT INTO api_tokens(user_id, token_hash, name, created_at) VALUES (?, ?, ?, "
                   "?) RETURNING id",
                   "issi", uid, th, name ? name : "", time_now());
    if (!rc)
        rc = audit_record(c, "create", "api_token", *id, NULL, NULL);
    return rc;
}

int token_revoke(struct ctx *c, int64_t id)
{
    int64_t n = 0;
    int rc = store_run(c->st, &n, &c->err,
                       "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                       "ii", time_now(), id);
    if (!rc && n == 0)
        return fail(c, ERR_NOTFOUND, "id", "no such active token");
    if (!rc)
        rc = audit_record(c, "revoke", "api_token", id, NULL, NULL);
    token_cache_clear();
    return rc;
}
