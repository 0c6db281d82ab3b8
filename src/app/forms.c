/* Web forms and lead capture (see forms.h). */
#include "app/forms.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/activity.h"
#include "app/audit.h"
#include "app/campaigns.h"
#include "app/customers.h"
#include "app/events.h"
#include "app/loyalty.h"
#include "app/newsletters.h"
#include "app/rowjson.h"
#include "app/tracking.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeu.h"
#include "util/validate.h"

#define jstr rowj_str

/* ------------------------------------------------------------ definitions */

#define FIELD_TYPES "text|email|tel|textarea|select|choices|checkbox|date"
#define MAPS_TO                                                                                    \
    "email|first_name|last_name|name|phone|birth_date|sex|language|line1|postal_code|city|"        \
    "country|interest|message|referral_code|referrer_email|none"

static const struct field def_field_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 40, NULL, NULL, "the input's name: [a-z0-9_], unique"},
    {"label", FT_STRING, FF_REQUIRED, 200, NULL, NULL, "what the visitor reads"},
    {"type", FT_ENUM, 0, 0, FIELD_TYPES, NULL, "default text (email for an e-mail field)"},
    {"maps_to", FT_ENUM, 0, 0, MAPS_TO, NULL,
     "customer field, interest, the message, the referrer; default none (kept with the "
     "submission only)"},
    {"required", FT_BOOL, 0, 0, NULL, NULL, NULL},
    {"options", FT_STRINGS, 0, 50, NULL, NULL, "choices of a select or choices field"},
    {"interest", FT_STRING, FF_NULLABLE, 100, NULL, NULL,
     "the interest a ticked checkbox mapped to interest declares"},
    {"max_length", FT_INT, 0, 20000, NULL, NULL, "bytes (default 200, textarea 5000)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const struct field def_consent_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 40, NULL, NULL, "the checkbox's name"},
    {"channel", FT_ENUM, FF_REQUIRED, 0, "email|sms|phone|mail|tracking|profiling", NULL, NULL},
    {"purpose", FT_STRING, FF_REQUIRED, 40, NULL, NULL, "marketing, newsletter, partners…"},
    {"wording", FT_TEXT, FF_REQUIRED, 2000, NULL, NULL,
     "the exact text shown next to the box, kept as proof in the consent ledger"},
    {"required", FT_BOOL, 0, 0, NULL, NULL, "the form cannot be sent unticked (contest rules)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const struct field def_hidden_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 40, NULL, NULL, "campaign, source, utm_medium…"},
    {"value", FT_STRING, FF_NULLABLE, 200, NULL, NULL, "default value; the page may set another"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field form_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 100, NULL, NULL, "unique, staff-facing"},
    {"kind", FT_ENUM, FF_REQUIRED, 0, FORM_KINDS, NULL, NULL},
    {"status", FT_ENUM, 0, 0, "active|closed", NULL, "a closed form takes no submission"},
    {"title", FT_STRING, FF_NULLABLE, 200, NULL, NULL, "shown above the form"},
    {"intro", FT_TEXT, FF_NULLABLE, 2000, NULL, NULL, NULL},
    {"submit_label", FT_STRING, FF_NULLABLE, 60, NULL, NULL, NULL},
    {"thanks", FT_STRING, FF_NULLABLE, 500, NULL, NULL, "shown after sending"},
    {"fields", FT_OBJECTS, FF_REQUIRED, 40, NULL, def_field_fields,
     "inputs; one must map to email"},
    {"consents", FT_OBJECTS, 0, 10, NULL, def_consent_fields, "consent checkboxes"},
    {"hidden", FT_OBJECTS, 0, 10, NULL, def_hidden_fields,
     "hidden fields (campaign, source) recorded with each submission"},
    {"newsletter_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "newsletter of a sign-up form"},
    {"site_key", FT_STRING, FF_NULLABLE, 64, NULL, NULL,
     "tracking site whose anonymous visitors are joined to the prospect"},
    {"origins", FT_STRINGS, 0, 20, NULL, NULL, "sites allowed to post (CORS); empty: any"},
    {"success_url", FT_STRING, FF_NULLABLE, 120, NULL, NULL,
     "page a plain HTML post is sent to afterwards (http or https)"},
    {"pow_bits", FT_INT, 0, FORM_POW_MAX_BITS, NULL, NULL, "proof-of-work difficulty, 0 off"},
    {"max_per_ip", FT_INT, 0, 1000000, NULL, NULL, "submissions per hour per address, 0 off"},
    {"max_per_email", FT_INT, 0, 1000000, NULL, NULL, "submissions per hour per e-mail, 0 off"},
    {"capacity", FT_INT, FF_NULLABLE, 10000000, NULL, NULL, "places of an event registration"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* Keys of the stored definition (the definition column). */
static const char *const def_keys[] = {"title",  "intro",    "submit_label", "thanks",
                                       "fields", "consents", "hidden",       NULL};

static int name_ok(const char *s)
{
    if (!s || !*s || *s == '_')
        return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

/* The business rules of a whole definition m (after fields_check). */
static int check_definition(struct ctx *c, const json_t *m)
{
    const char *kind = jstr(m, "kind");
    json_t *names = json_object();
    int rc = 0, has_email = 0, has_ref = 0;
    static const char *const lists[] = {"fields", "consents", "hidden"};
    char path[80];
    for (int l = 0; l < 3 && !rc; l++) {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(m, lists[l]), i, f)
        {
            const char *n = jstr(f, "name");
            snprintf(path, sizeof(path), "%s[%zu].name", lists[l], i);
            if (!name_ok(n)) {
                rc = fail(c, ERR_INVALID, path, "lower-case letters, digits and _, not first");
                break;
            }
            if (json_object_get(names, n)) {
                rc = fail(c, ERR_INVALID, path, "the name '%s' is used twice", n);
                break;
            }
            json_object_set_new(names, n, json_true());
            if (l)
                continue;
            const char *to = jstr(f, "maps_to") ? jstr(f, "maps_to") : "none";
            const char *type = jstr(f, "type") ? jstr(f, "type") : "text";
            snprintf(path, sizeof(path), "fields[%zu].maps_to", i);
            if (strcmp(to, "none") && strcmp(to, "interest")) {
                char seen[64];
                snprintf(seen, sizeof(seen), "=%s", to);
                if (json_object_get(names, seen)) {
                    rc = fail(c, ERR_INVALID, path, "two fields map to %s", to);
                    break;
                }
                json_object_set_new(names, seen, json_true());
            }
            if (!strcmp(to, "email")) {
                has_email = 1;
                if (strcmp(type, "email")) {
                    snprintf(path, sizeof(path), "fields[%zu].type", i);
                    rc = fail(c, ERR_INVALID, path, "the e-mail field has type email");
                    break;
                }
                if (!json_is_true(json_object_get(f, "required"))) {
                    snprintf(path, sizeof(path), "fields[%zu].required", i);
                    rc = fail(c, ERR_INVALID, path, "the e-mail field is required");
                    break;
                }
            }
            if (!strcmp(to, "referral_code") || !strcmp(to, "referrer_email"))
                has_ref = 1;
            if (!strcmp(to, "message") && strcmp(type, "textarea") && strcmp(type, "text")) {
                rc = fail(c, ERR_INVALID, path, "the message is a text or textarea field");
                break;
            }
            int choices = !strcmp(type, "select") || !strcmp(type, "choices");
            if (choices && json_array_size(json_object_get(f, "options")) == 0) {
                snprintf(path, sizeof(path), "fields[%zu].options", i);
                rc = fail(c, ERR_INVALID, path, "a %s field needs options", type);
                break;
            }
            if (!strcmp(type, "choices") && strcmp(to, "interest") && strcmp(to, "none")) {
                rc = fail(c, ERR_INVALID, path, "several choices map to interest or none");
                break;
            }
            if (!strcmp(type, "checkbox") && strcmp(to, "interest") && strcmp(to, "none")) {
                rc = fail(c, ERR_INVALID, path, "a checkbox maps to interest or none");
                break;
            }
        }
    }
    json_decref(names);
    if (rc)
        return rc;
    if (!has_email)
        return fail(c, ERR_INVALID, "fields", "one field must map to email (the duplicate check)");
    if (!strcmp(kind, "newsletter") && !json_is_integer(json_object_get(m, "newsletter_id")))
        return fail(c, ERR_INVALID, "newsletter_id", "a newsletter sign-up names its newsletter");
    if (!strcmp(kind, "referral") && !has_ref)
        return fail(c, ERR_INVALID, "fields",
                    "a referral form has a field mapped to referral_code or referrer_email");
    const char *url = jstr(m, "success_url");
    if (url && strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
        return fail(c, ERR_INVALID, "success_url", "an http or https URL");
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(m, "origins"), i, o)
    {
        const char *s = json_string_value(o);
        if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7)) {
            snprintf(path, sizeof(path), "origins[%zu]", i);
            return fail(c, ERR_INVALID, path, "scheme://host[:port], e.g. https://shop.example");
        }
    }
    json_t *nl = json_object_get(m, "newsletter_id");
    if (json_is_integer(nl)) {
        int64_t x = 0;
        int r = store_int(c->st, &x, &c->err, "SELECT id FROM newsletters WHERE id = ?", "i",
                          (int64_t)json_integer_value(nl));
        if (r == ERR_NOTFOUND)
            return fail(c, ERR_INVALID, "newsletter_id", "no such newsletter");
        if (r)
            return r;
    }
    const char *site = jstr(m, "site_key");
    if (site) {
        int64_t x = 0;
        int r = store_int(c->st, &x, &c->err, "SELECT id FROM track_sites WHERE key = ?", "s",
                          site);
        if (r == ERR_NOTFOUND)
            return fail(c, ERR_INVALID, "site_key", "no tracking site with this key");
        if (r)
            return r;
    }
    return 0;
}

/* ---------------------------------------------------------------- reading */

#define FORM_COLS                                                                                  \
    "f.id, f.form_key, f.name, f.kind, f.status, f.definition, f.newsletter_id, f.site_key, "     \
    "f.origins, f.success_url, f.pow_bits, f.max_per_ip, f.max_per_email, f.capacity, "           \
    "f.created_at, f.updated_at"
static const char *const form_names[] = {
    "id",          "key",      "name",       "kind",          "status",   "definition",
    "newsletter_id", "site_key", "origins", "success_url", "pow_bits", "max_per_ip",
    "max_per_email", "capacity", "created_at", "updated_at", NULL};
#define FORM_TYPES "isssssisssiiiitt"

/* Parsed definitions by their text: a definition changes rarely and every
 * submission would parse it again. The parsed objects are shared between
 * threads and read only (jansson's reference counts are atomic); whoever
 * changes a form works on a deep copy. */
#define DEF_CACHE 32
static struct {
    char *text;
    json_t *def;
} def_cache[DEF_CACHE];
static unsigned def_next;
static pthread_mutex_t def_lock = PTHREAD_MUTEX_INITIALIZER;

static json_t *definition_parse(const char *text)
{
    json_t *d = NULL;
    pthread_mutex_lock(&def_lock);
    for (int i = 0; i < DEF_CACHE && !d; i++)
        if (def_cache[i].text && !strcmp(def_cache[i].text, text))
            d = json_incref(def_cache[i].def);
    pthread_mutex_unlock(&def_lock);
    if (d)
        return d;
    d = json_loads(text, 0, NULL);
    char *copy = d ? strdup(text) : NULL;
    if (!copy)
        return d;
    pthread_mutex_lock(&def_lock);
    unsigned slot = def_next++ % DEF_CACHE;
    free(def_cache[slot].text);
    json_decref(def_cache[slot].def);
    def_cache[slot].text = copy;
    def_cache[slot].def = json_incref(d);
    pthread_mutex_unlock(&def_lock);
    return d;
}

/* Spreads the stored JSON texts (definition, origins) into the object. */
static void form_unpack(json_t *o)
{
    json_t *d = definition_parse(jstr(o, "definition") ? jstr(o, "definition") : "{}");
    for (int i = 0; def_keys[i]; i++) {
        json_t *v = d ? json_object_get(d, def_keys[i]) : NULL;
        int list = i >= 4; /* fields, consents, hidden */
        json_object_set_new(o, def_keys[i], v ? json_incref(v) : list ? json_array() : json_null());
    }
    json_decref(d);
    json_object_del(o, "definition");
    json_t *orig = json_loads(jstr(o, "origins") ? jstr(o, "origins") : "[]", 0, NULL);
    json_object_set_new(o, "origins", orig ? orig : json_array());
}

/* A form by id, or by its public key when key is not NULL. */
static int form_load(struct ctx *c, const char *key, int64_t id, json_t **out)
{
    int rc = 0;
    if (key) {
        rc = store_int(c->st, &id, &c->err, "SELECT id FROM forms WHERE form_key = ?", "s", key);
        if (rc == ERR_NOTFOUND)
            return fail(c, ERR_NOTFOUND, "key", "no such form");
    }
    if (!rc)
        rc = rowj_one(c, "SELECT " FORM_COLS " FROM forms f WHERE f.id = ?", id, form_names,
                      FORM_TYPES, "form", out);
    if (!rc)
        form_unpack(*out);
    return rc;
}

static int form_counts(struct ctx *c, json_t *o)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'spam' THEN 1 ELSE 0 "
                         "END), 0), COALESCE(SUM(created), 0) FROM form_submissions WHERE form_id "
                         "= ?",
                         "i", (int64_t)json_integer_value(json_object_get(o, "id")));
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1) {
        int64_t n = stmt_int(s, 0), spam = stmt_int(s, 1);
        json_object_set_new(o, "submissions", json_integer(n - spam));
        json_object_set_new(o, "spam", json_integer(spam));
        json_object_set_new(o, "prospects_created", json_integer(stmt_int(s, 2)));
        rc = 0;
    }
    stmt_done(s);
    return rc;
}

int form_get(struct ctx *c, int64_t id, json_t **out)
{
    int rc = form_load(c, NULL, id, out);
    if (!rc)
        rc = form_counts(c, *out);
    if (rc && *out) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int form_list(struct ctx *c, int64_t after, int limit, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT " FORM_COLS " FROM forms f WHERE f.id < ? ORDER BY f.id DESC "
                         "LIMIT ?",
                         "ii", after > 0 ? after : INT64_MAX, (int64_t)limit + 1);
    if (!rc)
        rc = rowj_page(c, s, form_names, FORM_TYPES, limit, out);
    size_t i;
    json_t *o;
    json_array_foreach(rc ? NULL : json_object_get(*out, "items"), i, o)
    {
        form_unpack(o);
        if (!rc)
            rc = form_counts(c, o);
    }
    return rc;
}

int form_submissions(struct ctx *c, int64_t id, const char *status, int64_t after, int limit,
                     json_t **out)
{
    static const char *const names[] = {
        "id",        "form_id",  "customer_id", "customer", "at",      "status",
        "created",   "data",     "email",       "ip",       "user_agent", "page_url",
        "visitor",   "visitor_joined", "campaign", "source", NULL};
    if (status && strcmp(status, "accepted") && strcmp(status, "spam"))
        return fail(c, ERR_BADREQ, "status", "accepted or spam");
    int64_t x = 0;
    int rc = store_int(c->st, &x, &c->err, "SELECT id FROM forms WHERE id = ?", "i", id);
    if (rc == ERR_NOTFOUND)
        return fail(c, ERR_NOTFOUND, "id", "no such form");
    struct stmt *s = NULL;
    if (!rc)
        rc = store_query(
            c->st, &s, &c->err,
            "SELECT s.id, s.form_id, s.customer_id, COALESCE(NULLIF(TRIM(COALESCE(k.first_name, "
            "'') || ' ' || COALESCE(k.last_name, '')), ''), k.email), s.at, s.status, s.created, "
            "s.data, s.email, s.ip, s.user_agent, s.page_url, s.visitor, s.visitor_joined, "
            "s.campaign, s.source FROM form_submissions s LEFT JOIN customers k ON k.id = "
            "s.customer_id WHERE s.form_id = ? AND s.status = COALESCE(?, s.status) AND s.id < "
            "? ORDER BY s.id DESC LIMIT ?",
            "isii", id, status, after > 0 ? after : INT64_MAX, (int64_t)limit + 1);
    if (!rc)
        rc = rowj_page(c, s, names, "iiistsbssssssbss", limit, out);
    size_t i;
    json_t *o;
    json_array_foreach(rc ? NULL : json_object_get(*out, "items"), i, o)
    {
        /* the values as posted: text, shown escaped by whoever renders them */
        json_t *d = json_loads(jstr(o, "data") ? jstr(o, "data") : "{}", 0, NULL);
        json_object_set_new(o, "data", d ? d : json_object());
    }
    return rc;
}

/* ---------------------------------------------------------------- writing */

static void random_key(char out[33])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof(b));
    sodium_bin2hex(out, 33, b, sizeof(b));
}

/* Writes m (a whole form) as id (0: a new one). */
static int form_write(struct ctx *c, int64_t id, const json_t *m, int64_t *out_id)
{
    json_t *d = json_object();
    for (int i = 0; def_keys[i]; i++) {
        json_t *v = json_object_get(m, def_keys[i]);
        if (v && !json_is_null(v))
            json_object_set(d, def_keys[i], v);
    }
    char *def = json_dumps(d, JSON_COMPACT);
    json_t *orig = json_object_get(m, "origins");
    char *origins = orig ? json_dumps(orig, JSON_COMPACT) : strdup("[]");
    json_decref(d);
    json_t *cap = json_object_get(m, "capacity"), *nl = json_object_get(m, "newsletter_id");
    int64_t now = time_now();
    int rc;
    int64_t pow = rowj_int(m, "pow_bits", 0), mip = rowj_int(m, "max_per_ip", 30),
            mem = rowj_int(m, "max_per_email", 5);
    int64_t capv = json_is_integer(cap) ? json_integer_value(cap) : INT64_MIN;
    int64_t nlv = json_is_integer(nl) ? json_integer_value(nl) : INT64_MIN;
    const char *status = jstr(m, "status") ? jstr(m, "status") : "active";
    if (!def || !origins) {
        rc = fail(c, ERR_INTERNAL, "", "out of memory");
    } else if (!id) {
        char key[33];
        random_key(key);
        rc = store_int(c->st, out_id, &c->err,
                       "INSERT INTO forms(form_key, name, kind, status, definition, newsletter_id, "
                       "site_key, origins, success_url, pow_bits, max_per_ip, max_per_email, "
                       "capacity, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                       "?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       "sssssIsssiiiIIii", key, jstr(m, "name"), jstr(m, "kind"), status, def,
                       nlv, jstr(m, "site_key"), origins, jstr(m, "success_url"), pow, mip, mem,
                       capv, c->actor.user_id ? c->actor.user_id : INT64_MIN, now, now);
    } else {
        *out_id = id;
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE forms SET name = ?, kind = ?, status = ?, definition = ?, "
                       "newsletter_id = ?, site_key = ?, origins = ?, success_url = ?, pow_bits = "
                       "?, max_per_ip = ?, max_per_email = ?, capacity = ?, updated_at = ? WHERE "
                       "id = ?",
                       "ssssIsssiiiIii", jstr(m, "name"), jstr(m, "kind"), status, def, nlv,
                       jstr(m, "site_key"), origins, jstr(m, "success_url"), pow, mip, mem, capv,
                       now, id);
    }
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "name", "a form with this name exists");
    free(def);
    free(origins);
    return rc;
}

static int form_save(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = fields_check(form_fields, in, id ? FIELDS_UPDATE : FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    json_t *before = NULL, *m = NULL;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    if (id) {
        rc = form_load(c, NULL, id, &before);
        m = rc ? NULL : json_deep_copy(before);
    } else {
        m = json_object();
    }
    if (!rc) {
        json_object_update(m, (json_t *)in);
        rc = check_definition(c, m);
    }
    int64_t new_id = 0;
    if (!rc)
        rc = form_write(c, id, m, &new_id);
    if (!rc)
        rc = form_get(c, new_id, out);
    if (!rc)
        rc = audit_record(c, id ? "update" : "create", "form", new_id, before, *out);
    json_decref(before);
    json_decref(m);
    if (rc) {
        store_rollback(c->st);
        if (*out) {
            json_decref(*out);
            *out = NULL;
        }
        return rc;
    }
    return store_commit(c->st, &c->err);
}

int form_create(struct ctx *c, const json_t *in, json_t **out)
{
    *out = NULL;
    return form_save(c, 0, in, out);
}

int form_update(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    *out = NULL;
    return form_save(c, id, in, out);
}

/* ----------------------------------------------------------------- public */

/* An active form by key. */
static int form_active(struct ctx *c, const char *key, json_t **out)
{
    *out = NULL;
    if (!key || strlen(key) != 32)
        return fail(c, ERR_NOTFOUND, "key", "no such form");
    int rc = form_load(c, key, 0, out);
    if (!rc && strcmp(jstr(*out, "status"), "active")) {
        json_decref(*out);
        *out = NULL;
        rc = fail(c, ERR_NOTFOUND, "key", "this form is closed");
    }
    return rc;
}

int form_public(struct ctx *c, const char *key, json_t **out)
{
    json_t *f = NULL;
    int rc = form_active(c, key, &f);
    if (rc)
        return rc;
    json_t *fields = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(f, "fields"), i, x)
    {
        json_t *o = json_pack("{s:O,s:O,s:s,s:b}", "name", json_object_get(x, "name"), "label",
                              json_object_get(x, "label"), "type",
                              jstr(x, "type") ? jstr(x, "type") : "text", "required",
                              json_is_true(json_object_get(x, "required")));
        if (json_object_get(x, "options"))
            json_object_set(o, "options", json_object_get(x, "options"));
        json_array_append_new(fields, o);
    }
    json_t *consents = json_array();
    json_array_foreach(json_object_get(f, "consents"), i, x)
        json_array_append_new(consents,
                              json_pack("{s:O,s:O,s:b}", "name", json_object_get(x, "name"),
                                        "wording", json_object_get(x, "wording"), "required",
                                        json_is_true(json_object_get(x, "required"))));
    json_t *hidden = json_array();
    json_array_foreach(json_object_get(f, "hidden"), i, x)
        json_array_append_new(hidden, json_pack("{s:O,s:O}", "name", json_object_get(x, "name"),
                                                "value", json_object_get(x, "value")
                                                             ? json_object_get(x, "value")
                                                             : json_null()));
    *out = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:o,s:o,s:o,s:O,s:O}", "key",
                     json_object_get(f, "key"), "kind", json_object_get(f, "kind"), "title",
                     json_object_get(f, "title"), "intro", json_object_get(f, "intro"),
                     "submit_label", json_object_get(f, "submit_label"), "thanks",
                     json_object_get(f, "thanks"), "fields", fields, "consents", consents,
                     "hidden", hidden, "pow_bits", json_object_get(f, "pow_bits"), "site_key",
                     json_object_get(f, "site_key"));
    json_decref(f);
    return *out ? 0 : fail(c, ERR_INTERNAL, "", "out of memory");
}

int form_challenge(struct ctx *c, const char *key, json_t **out)
{
    json_t *f = NULL;
    int rc = form_active(c, key, &f);
    if (rc)
        return rc;
    int64_t id = rowj_int(f, "id", 0), bits = rowj_int(f, "pow_bits", 0);
    json_decref(f);
    char tok[128];
    int64_t b = time_now() * 1000000 + (int64_t)randombytes_uniform(1000000);
    rc = link_sign(c, 'p', id, b, NULL, tok, sizeof(tok));
    if (!rc)
        *out = json_pack("{s:s,s:I,s:i}", "challenge", tok, "bits", (json_int_t)bits,
                         "expires_in", FORM_POW_TTL);
    return rc;
}

int form_pow_ok(const char *challenge, const char *nonce, int bits)
{
    if (!challenge || !nonce || bits < 0 || bits > 256 || strlen(nonce) > 64)
        return 0;
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)challenge, strlen(challenge));
    crypto_hash_sha256_update(&st, (const unsigned char *)":", 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)nonce, strlen(nonce));
    crypto_hash_sha256_final(&st, h);
    for (int i = 0; i < bits; i++)
        if (h[i / 8] & (0x80 >> (i % 8)))
            return 0;
    return 1;
}

int form_success_url(struct ctx *c, const char *key, char *out, size_t len)
{
    json_t *f = NULL;
    out[0] = 0;
    int rc = form_active(c, key, &f);
    if (!rc && jstr(f, "success_url"))
        snprintf(out, len, "%s", jstr(f, "success_url"));
    json_decref(f);
    return rc;
}

static int origin_in(const json_t *f, const char *origin)
{
    json_t *list = json_object_get(f, "origins");
    if (json_array_size(list) == 0)
        return 1;
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        const char *s = json_string_value(o);
        size_t n = strlen(s);
        while (n && s[n - 1] == '/')
            n--;
        if (origin && strlen(origin) == n && !strncasecmp(s, origin, n))
            return 1;
    }
    return 0;
}

int form_origin_allowed(struct ctx *c, const char *key, const char *origin)
{
    json_t *f = NULL;
    if (!origin || form_active(c, key, &f)) {
        err_clear(&c->err);
        return 0;
    }
    int ok = origin_in(f, origin);
    json_decref(f);
    return ok;
}

/* ------------------------------------------------------------- submitting */

/* One posted value as text: strings as they are, numbers and booleans
 * written out; NULL for anything else. */
static const char *value_text(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_true(v))
        return "true";
    if (json_is_false(v))
        return "false";
    if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return NULL;
}

/* A checkbox: 1 ticked, 0 not, -1 not a checkbox value. */
static int ticked(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return 0;
    if (json_is_true(v))
        return 1;
    const char *s = json_string_value(v);
    if (!s)
        return -1;
    static const char *const yes[] = {"on", "1", "true", "yes", "oui"};
    static const char *const no[] = {"", "0", "false", "no", "off", "non"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!strcasecmp(s, yes[i]))
            return 1;
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (!strcasecmp(s, no[i]))
            return 0;
    return -1;
}

static int in_options(const json_t *f, const char *v)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(f, "options"), i, o)
    {
        if (!strcmp(json_string_value(o), v))
            return 1;
    }
    return 0;
}

static int date_ok(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return 0;
    int64_t t;
    return y >= 1900 && m >= 1 && m <= 12 && d >= 1 && d <= 31 && time_parse(s, &t) == 0;
}

/* What a submission says, checked against the form. */
struct sub {
    json_t *clean;     /* the values kept (known names only) */
    json_t *person;    /* customer fields */
    json_t *address;   /* postal_code, city, country, line1 */
    json_t *interests; /* array */
    json_t *consents;  /* the form's consent objects ticked */
    char email[255];
    const char *message, *referral_code, *referrer_email;
    const char *nonce, *pow, *pow_nonce, *visitor, *page;
    const char *postal_field; /* the form's name for the postal code */
    const char *campaign, *source;
    int honeypot;
};

static void sub_free(struct sub *s)
{
    json_decref(s->clean);
    json_decref(s->person);
    json_decref(s->address);
    json_decref(s->interests);
    json_decref(s->consents);
}

static int add_interest(json_t *list, const char *v)
{
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        if (!strcmp(json_string_value(o), v))
            return 0;
    }
    return json_array_append_new(list, json_string(v));
}

/* The reserved names: spam and provenance, never stored as values. */
static int reserved(struct ctx *c, struct sub *s, const char *name, const json_t *v)
{
    static const char *const known[] = {"_hp",      "_nonce",   "_pow", "_pow_nonce",
                                        "_visitor", "_page",    NULL};
    int k = 0;
    while (known[k] && strcmp(known[k], name))
        k++;
    if (!known[k])
        return fail(c, ERR_INVALID, name, "not a field of this form");
    const char *t = json_string_value(v);
    if (!t)
        return k == 0 && (json_is_null(v) || json_is_false(v))
                   ? 0
                   : fail(c, ERR_INVALID, name, "must be text");
    if (strlen(t) > (k == 5 ? 2000 : 200))
        return fail(c, ERR_INVALID, name, "too long");
    switch (k) {
    case 0:
        s->honeypot = *t != 0;
        break;
    case 1:
        s->nonce = *t ? t : NULL;
        break;
    case 2:
        s->pow = t;
        break;
    case 3:
        s->pow_nonce = t;
        break;
    case 4:
        s->visitor = *t ? t : NULL;
        break;
    default:
        s->page = *t ? t : NULL;
    }
    return 0;
}

/* One input field of the form against its posted value v (may be NULL). */
static int take_field(struct ctx *c, struct sub *s, const json_t *f, const json_t *v)
{
    const char *name = jstr(f, "name"), *type = jstr(f, "type") ? jstr(f, "type") : "text";
    const char *to = jstr(f, "maps_to") ? jstr(f, "maps_to") : "none";
    int required = json_is_true(json_object_get(f, "required"));
    if (!strcmp(type, "checkbox")) {
        int t = ticked(v);
        if (t < 0)
            return fail(c, ERR_INVALID, name, "a checkbox is ticked or not");
        if (!t && required)
            return fail(c, ERR_INVALID, name, "must be ticked");
        json_object_set_new(s->clean, name, json_boolean(t));
        if (t && !strcmp(to, "interest"))
            add_interest(s->interests, jstr(f, "interest") ? jstr(f, "interest") : jstr(f, "label"));
        return 0;
    }
    if (!strcmp(type, "choices")) {
        json_t *arr = json_array();
        if (json_is_string(v) && *json_string_value(v))
            json_array_append(arr, (json_t *)v);
        else if (json_is_array(v))
            json_array_extend(arr, (json_t *)v);
        else if (v && !json_is_null(v) && !json_is_string(v)) {
            json_decref(arr);
            return fail(c, ERR_INVALID, name, "one or more of the options");
        }
        size_t i;
        json_t *o;
        json_array_foreach(arr, i, o)
        {
            if (!json_is_string(o) || !in_options(f, json_string_value(o))) {
                json_decref(arr);
                return fail(c, ERR_INVALID, name, "not one of the options");
            }
        }
        if (required && json_array_size(arr) == 0) {
            json_decref(arr);
            return fail(c, ERR_INVALID, name, "choose at least one");
        }
        json_array_foreach(arr, i, o)
        {
            if (!strcmp(to, "interest"))
                add_interest(s->interests, json_string_value(o));
        }
        json_object_set_new(s->clean, name, arr);
        return 0;
    }
    char nbuf[32];
    if (json_is_array(v))
        return fail(c, ERR_INVALID, name, "one value expected");
    const char *t = v ? value_text(v, nbuf, sizeof(nbuf)) : NULL;
    if (v && !json_is_null(v) && !t)
        return fail(c, ERR_INVALID, name, "must be text");
    /* surrounding blanks are the browser's, not the person's */
    char *trim = NULL;
    if (t) {
        while (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n')
            t++;
        size_t n = strlen(t);
        while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r' || t[n - 1] == '\n'))
            n--;
        trim = strndup(t, n);
        if (!trim)
            return fail(c, ERR_INTERNAL, "", "out of memory");
    }
    int rc = 0;
    long max = rowj_int(f, "max_length", !strcmp(type, "textarea") ? 5000 : 200);
    if (!trim || !*trim) {
        if (required)
            rc = fail(c, ERR_INVALID, name, "required");
        free(trim);
        return rc;
    }
    char buf[255];
    const char *cc = c->app->cfg.default_country;
    if (strlen(trim) > (size_t)max)
        rc = fail(c, ERR_INVALID, name, "at most %ld bytes", max);
    else if (!strcmp(type, "email") && email_normalize(trim, buf))
        rc = fail(c, ERR_INVALID, name, "not an e-mail address");
    else if (!strcmp(type, "tel") && phone_normalize(trim, cc, buf))
        rc = fail(c, ERR_INVALID, name, "not a phone number");
    else if (!strcmp(type, "date") && !date_ok(trim))
        rc = fail(c, ERR_INVALID, name, "a date YYYY-MM-DD");
    else if (!strcmp(type, "select") && !in_options(f, trim))
        rc = fail(c, ERR_INVALID, name, "not one of the options");
    else if (!strcmp(to, "sex") && !enum_has("female|male|other|unknown", trim))
        rc = fail(c, ERR_INVALID, name, "female, male, other or unknown");
    else if (!strcmp(to, "language") && !enum_has("fr|en|de|es|it|nl|pt", trim))
        rc = fail(c, ERR_INVALID, name, "a language code: fr, en, de, es, it, nl, pt");
    else if (!strcmp(to, "birth_date") && !date_ok(trim))
        rc = fail(c, ERR_INVALID, name, "a date YYYY-MM-DD");
    else if (!strcmp(to, "phone") && phone_normalize(trim, cc, buf))
        rc = fail(c, ERR_INVALID, name, "not a phone number");
    else if (!strcmp(to, "referrer_email") && email_normalize(trim, buf))
        rc = fail(c, ERR_INVALID, name, "not an e-mail address");
    if (rc) {
        free(trim);
        return rc;
    }
    json_object_set_new(s->clean, name, json_string(trim));
    if (!strcmp(to, "email"))
        email_normalize(trim, s->email);
    if (!strcmp(to, "country")) {
        for (char *p = trim; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        if (!country_valid(trim))
            rc = fail(c, ERR_INVALID, name, "an ISO 3166 country code such as FR");
    }
    if (rc) {
        free(trim);
        return rc;
    }
    if (!strcmp(to, "postal_code"))
        s->postal_field = name;
    if (!strcmp(to, "postal_code") || !strcmp(to, "city") || !strcmp(to, "country") ||
        !strcmp(to, "line1"))
        json_object_set_new(s->address, to, json_string(trim));
    else if (!strcmp(to, "interest"))
        add_interest(s->interests, trim);
    else if (strcmp(to, "none") && strcmp(to, "message") && strcmp(to, "referral_code") &&
             strcmp(to, "referrer_email"))
        json_object_set_new(s->person, to, json_string(trim));
    /* the pointers below live as long as s->clean */
    const char *kept = jstr(s->clean, name);
    if (!strcmp(to, "message"))
        s->message = kept;
    else if (!strcmp(to, "referral_code"))
        s->referral_code = kept;
    else if (!strcmp(to, "referrer_email"))
        s->referrer_email = kept;
    free(trim);
    return 0;
}

/* Checks values against form f, filling s. */
static int sub_parse(struct ctx *c, const json_t *f, const json_t *values, struct sub *s)
{
    memset(s, 0, sizeof(*s));
    s->clean = json_object();
    s->person = json_object();
    s->address = json_object();
    s->interests = json_array();
    s->consents = json_array();
    if (!json_is_object(values))
        return fail(c, ERR_BADREQ, "body", "the form's values as an object");
    const char *k;
    json_t *v;
    json_t *known = json_object();
    static const char *const lists[] = {"fields", "consents", "hidden"};
    for (int l = 0; l < 3; l++) {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(f, lists[l]), i, x)
            json_object_set_new(known, jstr(x, "name"), json_integer(l));
    }
    int rc = 0;
    json_object_foreach((json_t *)values, k, v)
    {
        if (k[0] == '_')
            rc = reserved(c, s, k, v);
        else if (!json_object_get(known, k))
            rc = fail(c, ERR_INVALID, k, "not a field of this form");
        if (rc)
            break;
    }
    json_decref(known);
    if (rc)
        return rc;
    if (s->honeypot)
        return 0; /* a robot: nothing else is looked at */
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(f, "fields"), i, x)
    {
        rc = take_field(c, s, x, json_object_get(values, jstr(x, "name")));
        if (rc)
            return rc;
    }
    json_array_foreach(json_object_get(f, "consents"), i, x)
    {
        const char *name = jstr(x, "name");
        int t = ticked(json_object_get(values, name));
        if (t < 0)
            return fail(c, ERR_INVALID, name, "a checkbox is ticked or not");
        if (!t && json_is_true(json_object_get(x, "required")))
            return fail(c, ERR_INVALID, name, "must be ticked");
        json_object_set_new(s->clean, name, json_boolean(t));
        if (t)
            json_array_append(s->consents, x);
    }
    json_array_foreach(json_object_get(f, "hidden"), i, x)
    {
        const char *name = jstr(x, "name");
        json_t *pv = json_object_get(values, name);
        char nbuf[32];
        const char *t = pv && !json_is_null(pv) ? value_text(pv, nbuf, sizeof(nbuf)) : NULL;
        if (pv && !json_is_null(pv) && (!t || strlen(t) > 200))
            return fail(c, ERR_INVALID, name, "text of at most 200 bytes");
        if (!t || !*t)
            t = jstr(x, "value");
        if (t)
            json_object_set_new(s->clean, name, json_string(t));
    }
    const char *camp = jstr(s->clean, "campaign"), *src = jstr(s->clean, "source");
    s->campaign = camp ? camp : jstr(s->clean, "utm_campaign");
    s->source = src ? src : jstr(s->clean, "utm_source");
    return 0;
}

static void payload_hash(const json_t *clean, char out[65])
{
    char *dump = json_dumps(clean, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)(dump ? dump : ""), dump ? strlen(dump) : 0);
    free(dump);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

static int count_since(struct ctx *c, const char *sql, int64_t form, const char *v, int64_t since,
                       int64_t *n)
{
    return store_int(c->st, n, &c->err, sql, "isi", form, v, since);
}

/* The spam barriers that need the store: rates, replays, the proof. */
static int barriers(struct ctx *c, const json_t *f, const struct sub *s, const struct form_meta *m,
                    const char *hash)
{
    int64_t id = rowj_int(f, "id", 0), now = time_now(), n = 0;
    int64_t mip = rowj_int(f, "max_per_ip", 0), mem = rowj_int(f, "max_per_email", 0);
    int rc = 0;
    if (mip > 0 && m->ip) {
        rc = count_since(c,
                         "SELECT COUNT(*) FROM form_submissions WHERE form_id = ? AND ip = ? AND "
                         "at > ?",
                         id, m->ip, now - 3600, &n);
        if (!rc && n >= mip)
            return fail(c, ERR_THROTTLED, "ip", "too many submissions from this address; retry "
                                                "in an hour");
    }
    if (!rc && mem > 0 && s->email[0]) {
        rc = count_since(c,
                         "SELECT COUNT(*) FROM form_submissions WHERE form_id = ? AND email = ? "
                         "AND at > ?",
                         id, s->email, now - 3600, &n);
        if (!rc && n >= mem)
            return fail(c, ERR_THROTTLED, "email",
                        "too many submissions for this e-mail address; retry in an hour");
    }
    if (rc || s->honeypot)
        return rc;
    if (s->nonce) {
        rc = store_int(c->st, &n, &c->err,
                       "SELECT COUNT(*) FROM form_submissions WHERE form_id = ? AND nonce = ?",
                       "is", id, s->nonce);
        if (!rc && n)
            return fail(c, ERR_CONFLICT, "_nonce", "this submission was already received");
    }
    if (!rc) {
        rc = store_int(c->st, &n, &c->err,
                       "SELECT COUNT(*) FROM form_submissions WHERE form_id = ? AND payload_hash "
                       "= ? AND at > ? AND status = 'accepted'",
                       "isi", id, hash, now - FORM_REPLAY_WINDOW);
        if (!rc && n)
            return fail(c, ERR_CONFLICT, "body",
                        "the same values were already received (a replayed submission)");
    }
    int64_t bits = rowj_int(f, "pow_bits", 0);
    if (rc || bits <= 0)
        return rc;
    int64_t a = 0, b = 0;
    if (!s->pow || !s->pow_nonce)
        return fail(c, ERR_FORBIDDEN, "_pow", "this form needs a proof of work (_pow, _pow_nonce)");
    rc = link_verify(c, s->pow, 'p', NULL, &a, &b);
    if (rc || a != id)
        return fail(c, ERR_FORBIDDEN, "_pow", "the challenge is not valid for this form");
    if (b / 1000000 < now - FORM_POW_TTL || b / 1000000 > now + 60)
        return fail(c, ERR_FORBIDDEN, "_pow", "the challenge expired; ask for another");
    if (!form_pow_ok(s->pow, s->pow_nonce, (int)bits))
        return fail(c, ERR_FORBIDDEN, "_pow_nonce", "the proof of work is wrong");
    rc = link_use_once(c, s->pow);
    if (rc == ERR_CONFLICT)
        return fail(c, ERR_CONFLICT, "_pow", "this challenge was already used (a replay)");
    return rc;
}

/* What upsert_prospect needs of an existing customer, read in three small
 * queries instead of the whole profile (customer_profile): the fields a form
 * may fill, the number of addresses, the interests. */
static int known_profile(struct ctx *c, int64_t cid, const struct sub *s, json_t **out)
{
    static const char *const names[] = {"first_name", "last_name", "name",     "phone",
                                        "birth_date", "sex",       "language", NULL};
    *out = NULL;
    struct stmt *st = NULL;
    int rc = rowj_one(c,
                      "SELECT first_name, last_name, name, phone, birth_date, sex, language FROM "
                      "customers WHERE id = ?",
                      cid, names, "sssssss", "customer", out);
    if (rc)
        return rc;
    int64_t n = 0;
    if (json_object_size(s->address)) {
        rc = store_int(c->st, &n, &c->err,
                       "SELECT COUNT(*) FROM customer_addresses WHERE customer_id = ?", "i", cid);
        json_t *a = json_array();
        for (int64_t i = 0; !rc && i < n; i++)
            json_array_append_new(a, json_object());
        json_object_set_new(*out, "addresses", a);
    }
    if (!rc && json_array_size(s->interests)) {
        static const char *const iname[] = {"interest", NULL};
        json_t *rows = NULL, *list = json_array();
        rc = store_query(c->st, &st, &c->err,
                         "SELECT interest FROM customer_interests WHERE customer_id = ? ORDER BY "
                         "interest",
                         "i", cid);
        if (!rc)
            rc = rowj_all(c, st, iname, "s", &rows);
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r)
        {
            json_array_append(list, json_object_get(r, "interest"));
        }
        json_decref(rows);
        json_object_set_new(*out, "interests", list);
    }
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* Creates the prospect or completes the one with this e-mail: an
 * unauthenticated form only fills what is empty and adds interests, it
 * never overwrites what the customer said before. */
static int upsert_prospect(struct ctx *c, const json_t *f, struct sub *s, int64_t *cid,
                           int *created)
{
    int rc = customer_find(c, NULL, s->email, cid);
    if (rc)
        return rc;
    *created = *cid == 0;
    json_t *in = json_object();
    if (*created) {
        json_object_update(in, s->person);
        json_object_set_new(in, "kind", json_string("person"));
        json_object_set_new(in, "email", json_string(s->email));
        if (json_object_size(s->address)) {
            json_t *a = json_deep_copy(s->address);
            json_object_set_new(a, "primary", json_true());
            json_object_set_new(in, "addresses", json_pack("[o]", a));
        }
        if (json_array_size(s->interests))
            json_object_set(in, "interests", s->interests);
        char src[220];
        snprintf(src, sizeof(src), "web form: %s", jstr(f, "name"));
        json_object_set_new(in, "source", json_pack("{s:s,s:s}", "kind", "form", "name", src));
        rc = customer_create(c, in, cid, NULL);
    } else {
        json_t *p = NULL;
        rc = known_profile(c, *cid, s, &p);
        const char *k;
        json_t *v;
        json_object_foreach(rc ? NULL : s->person, k, v)
        {
            json_t *old = json_object_get(p, k);
            if (!old || json_is_null(old) || (json_is_string(old) && !*json_string_value(old)))
                json_object_set(in, k, v);
        }
        if (!rc && json_object_size(s->address) &&
            json_array_size(json_object_get(p, "addresses")) == 0) {
            json_t *a = json_deep_copy(s->address);
            json_object_set_new(a, "primary", json_true());
            json_object_set_new(in, "addresses", json_pack("[o]", a));
        }
        if (!rc && json_array_size(s->interests)) {
            json_t *all = json_deep_copy(json_object_get(p, "interests"));
            if (!json_is_array(all)) {
                json_decref(all);
                all = json_array();
            }
            size_t before = json_array_size(all), i;
            json_t *it;
            json_array_foreach(s->interests, i, it)
            {
                add_interest(all, json_string_value(it));
            }
            if (json_array_size(all) > 50)
                rc = fail(c, ERR_INVALID, "interests", "a customer has at most 50 interests");
            else if (json_array_size(all) > before)
                json_object_set(in, "interests", all);
            json_decref(all);
        }
        json_decref(p);
        if (!rc && json_object_size(in))
            rc = customer_update(c, *cid, in, 0, NULL);
    }
    json_decref(in);
    if (rc && !strncmp(c->err.field, "addresses", 9))
        snprintf(c->err.field, sizeof(c->err.field), "%s",
                 s->postal_field ? s->postal_field : "postal_code");
    return rc;
}

static int record_consents(struct ctx *c, const json_t *f, const struct sub *s, int64_t cid,
                           int64_t sub_id, const struct form_meta *m)
{
    size_t i;
    json_t *x;
    int rc = 0;
    int newsletter_form = !strcmp(jstr(f, "kind"), "newsletter");
    json_array_foreach(s->consents, i, x)
    {
        const char *purpose = jstr(x, "purpose"), *channel = jstr(x, "channel");
        /* a sign-up's own box is granted by the confirmation link (double
         * opt-in), which records it then */
        if (newsletter_form && !strcmp(purpose, "newsletter") && !strcmp(channel, "email"))
            continue;
        char proof[4000], source[100];
        snprintf(proof, sizeof(proof), "%s\n--\nweb form %s (submission %lld), page %s, address %s",
                 jstr(x, "wording"), jstr(f, "key"), (long long)sub_id,
                 s->page ? s->page : m->referer ? m->referer : "unknown", m->ip ? m->ip : "unknown");
        snprintf(source, sizeof(source), "web form %s", jstr(f, "key"));
        json_t *in = json_pack("{s:s,s:s,s:b,s:s,s:s,s:s}", "channel", channel, "purpose", purpose,
                               "granted", 1, "legal_basis", "consent", "source", source, "proof",
                               proof);
        json_t *rec = NULL;
        rc = consent_record(c, cid, in, &rec);
        json_decref(in);
        json_decref(rec);
        if (rc)
            break;
    }
    return rc;
}

/* One entry per person for contests and events; an event has its places. */
static int entry_rules(struct ctx *c, const json_t *f, int64_t cid)
{
    const char *kind = jstr(f, "kind");
    if (strcmp(kind, "contest") && strcmp(kind, "event"))
        return 0;
    int64_t id = rowj_int(f, "id", 0), n = 0;
    int rc = store_int(c->st, &n, &c->err,
                       "SELECT COUNT(*) FROM form_submissions WHERE form_id = ? AND customer_id = "
                       "? AND status = 'accepted'",
                       "ii", id, cid);
    if (!rc && n)
        return fail(c, ERR_CONFLICT, "email",
                    !strcmp(kind, "contest") ? "this person has already entered the contest"
                                             : "this person is already registered");
    json_t *cap = json_object_get(f, "capacity");
    if (!rc && !strcmp(kind, "event") && json_is_integer(cap)) {
        rc = store_int(c->st, &n, &c->err,
                       "SELECT COUNT(*) FROM form_submissions WHERE form_id = ? AND status = "
                       "'accepted'",
                       "i", id);
        if (!rc && n >= json_integer_value(cap))
            return fail(c, ERR_CONFLICT, "capacity", "the event is full");
    }
    return rc;
}

/* Referral (parrainage): the person filling in is the referee; the referrer
 * is a loyalty member named by code or e-mail. Enrolling the referee with
 * the code links both (relation "referral") and the loyalty programme
 * rewards both on the referee's first purchase. */
static int referral(struct ctx *c, const json_t *f, const struct sub *s, int64_t cid)
{
    if (strcmp(jstr(f, "kind"), "referral"))
        return 0;
    const char *field = s->referral_code ? "referral_code" : "referrer_email";
    const char *fname = field;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(f, "fields"), i, x)
    {
        if (jstr(x, "maps_to") && !strcmp(jstr(x, "maps_to"), field))
            fname = jstr(x, "name");
    }
    char code[64] = "";
    int rc = 0;
    if (s->referral_code) {
        snprintf(code, sizeof(code), "%s", s->referral_code);
    } else if (s->referrer_email) {
        int64_t rid = 0;
        rc = customer_find(c, NULL, s->referrer_email, &rid);
        json_t *m = NULL;
        if (!rc && rid == cid)
            return fail(c, ERR_INVALID, fname, "one cannot refer oneself");
        if (!rc && rid)
            rc = loyalty_balance(c, rid, &m);
        if (rc == ERR_NOTFOUND || (!rc && !rid))
            return fail(c, ERR_INVALID, fname, "no loyalty member has this e-mail address");
        if (!rc)
            snprintf(code, sizeof(code), "%s", jstr(m, "referral_code") ? jstr(m, "referral_code")
                                                                        : "");
        json_decref(m);
    } else {
        return 0; /* an optional referrer left empty */
    }
    if (rc)
        return rc;
    json_t *mine = NULL;
    rc = loyalty_balance(c, cid, &mine);
    if (!rc) {
        int self = jstr(mine, "referral_code") && !strcasecmp(jstr(mine, "referral_code"), code);
        json_decref(mine);
        return self ? fail(c, ERR_INVALID, fname, "one cannot refer oneself")
                    : fail(c, ERR_CONFLICT, fname,
                           "already a member of the loyalty programme: a referral is for newcomers");
    }
    if (rc != ERR_NOTFOUND)
        return rc;
    err_clear(&c->err);
    json_t *in = json_pack("{s:s}", "referral_code", code);
    rc = loyalty_enrol(c, cid, in, &mine);
    json_decref(in);
    json_decref(mine);
    if (rc && !strcmp(c->err.field, "referral_code"))
        snprintf(c->err.field, sizeof(c->err.field), "%s", fname);
    return rc;
}

static int kind_actions(struct ctx *c, const json_t *f, const struct sub *s, int64_t cid)
{
    const char *kind = jstr(f, "kind");
    int rc = 0;
    if (!strcmp(kind, "contact") || s->message) {
        char subj[200];
        snprintf(subj, sizeof(subj), "Web form: %.150s", jstr(f, "name"));
        json_t *in = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?}", "customer_id", (json_int_t)cid,
                               "channel", "web", "direction", "inbound", "kind", "request",
                               "subject", subj, "body", s->message);
        json_t *out = NULL;
        rc = interaction_create(c, in, &out);
        json_decref(in);
        json_decref(out);
    }
    if (!rc && !strcmp(kind, "newsletter")) {
        json_t *in = json_pack("{s:I}", "customer_id", (json_int_t)cid), *out = NULL;
        rc = newsletter_subscribe(c, rowj_int(f, "newsletter_id", 0), in, &out);
        json_decref(in);
        json_decref(out);
    }
    if (!rc)
        rc = referral(c, f, s, cid);
    return rc;
}

static int insert_submission(struct ctx *c, const json_t *f, const struct sub *s,
                             const struct form_meta *m, const char *status, int64_t cid,
                             int created, const char *hash, int64_t *id)
{
    char *data = json_dumps(s->clean, JSON_COMPACT);
    char ua[300];
    snprintf(ua, sizeof(ua), "%s", m->user_agent ? m->user_agent : "");
    const char *page = s->page ? s->page : m->referer;
    char pg[1000];
    snprintf(pg, sizeof(pg), "%s", page ? page : "");
    int rc = store_int(c->st, id, &c->err,
                       "INSERT INTO form_submissions(form_id, customer_id, at, status, created, "
                       "data, email, ip, user_agent, page_url, visitor, campaign, source, nonce, "
                       "payload_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                       "RETURNING id",
                       "iIisissssssssss", rowj_int(f, "id", 0), cid ? cid : INT64_MIN,
                       time_now(), status, (int64_t)created, data ? data : "{}",
                       s->email[0] ? s->email : NULL, m->ip, ua[0] ? ua : NULL,
                       pg[0] ? pg : NULL, s->visitor ? s->visitor : m->visitor, s->campaign,
                       s->source, s->nonce, hash);
    free(data);
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_CONFLICT, "_nonce", "this submission was already received");
    return rc;
}

int form_submit(struct ctx *c, const char *key, const json_t *values, const struct form_meta *m,
                json_t **out)
{
    *out = NULL;
    json_t *f = NULL;
    struct sub s;
    memset(&s, 0, sizeof(s));
    int rc = form_active(c, key, &f);
    if (!rc && m->origin && !origin_in(f, m->origin))
        rc = fail(c, ERR_FORBIDDEN, "Origin", "this site may not post this form");
    if (!rc)
        rc = sub_parse(c, f, values, &s);
    if (rc) {
        json_decref(f);
        sub_free(&s);
        return rc;
    }
    /* the audit log says who acted: the form, on the person's behalf */
    snprintf(c->actor.email, sizeof(c->actor.email), "web form %s", key);
    char hash[65];
    payload_hash(s.clean, hash);
    int64_t cid = 0, sub_id = 0;
    int created = 0, joined = 0;
    rc = store_begin(c->st, &c->err);
    if (rc) {
        json_decref(f);
        sub_free(&s);
        return rc;
    }
    rc = barriers(c, f, &s, m, hash);
    if (!rc && s.honeypot) {
        /* answered like any other, so the robot learns nothing */
        rc = insert_submission(c, f, &s, m, "spam", 0, 0, hash, &sub_id);
        if (!rc)
            log_info("forms: honeypot caught a submission of form %s from %s", key,
                     m->ip ? m->ip : "?");
        goto done;
    }
    if (!rc)
        rc = upsert_prospect(c, f, &s, &cid, &created);
    if (!rc)
        rc = entry_rules(c, f, cid);
    if (!rc)
        rc = insert_submission(c, f, &s, m, "accepted", cid, created, hash, &sub_id);
    if (!rc)
        rc = record_consents(c, f, &s, cid, sub_id, m);
    if (!rc)
        rc = kind_actions(c, f, &s, cid);
    const char *visitor = s.visitor ? s.visitor : m->visitor;
    /* a new prospect takes the visitor's anonymous history; an existing
     * customer's needs a signed identify (anyone can type an address) */
    if (!rc && created && visitor && jstr(f, "site_key"))
        rc = track_join_visitor(c, jstr(f, "site_key"), visitor, cid, &joined);
    if (!rc && joined)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE form_submissions SET visitor_joined = 1 WHERE id = ?", "i", sub_id);
    if (!rc) {
        /* form.submitted: {form_id, form_key, form, kind, submission_id,
         * created, campaign, source, visitor_joined} */
        json_t *d = json_pack("{s:I,s:s,s:s,s:s,s:I,s:b,s:s?,s:s?,s:b}", "form_id",
                              (json_int_t)rowj_int(f, "id", 0), "form_key", key, "form",
                              jstr(f, "name"), "kind", jstr(f, "kind"), "submission_id",
                              (json_int_t)sub_id, "created", created, "campaign", s.campaign,
                              "source", s.source, "visitor_joined", joined);
        rc = event_emit(c, "form.submitted", cid, "form_submission", sub_id, d, NULL);
        json_decref(d);
    }
done:
    if (!rc)
        rc = store_commit(c->st, &c->err);
    else
        store_rollback(c->st);
    if (!rc)
        *out = json_pack("{s:s,s:I,s:O}", "status", "received", "submission_id",
                         (json_int_t)sub_id, "thanks",
                         json_object_get(f, "thanks") ? json_object_get(f, "thanks")
                                                      : json_null());
    json_decref(f);
    sub_free(&s);
    return rc;
}
