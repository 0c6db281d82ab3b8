/*
 * Pipelines, stages and deals (see sales.h). A deal's stage, status and
 * probability change only through deal_move, which writes the history row
 * and the events in the same transaction.
 */
#include "app/sales.h"

#include <stdio.h>
#include <string.h>

#include "app/audit.h"
#include "app/customers.h"
#include "app/events.h"
#include "app/leads.h"
#include "app/rowjson.h"
#include "store/store.h"
#include "util/timeu.h"

#define jstr rowj_str
#define jint rowj_int

static int rollback(struct ctx *c, int rc)
{
    store_rollback(c->st);
    return rc;
}

/* 1 when the key is present and holds only spaces (an empty name or title). */
static int blank(const json_t *in, const char *k)
{
    const char *v = jstr(in, k);
    if (!v)
        return 0;
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    return !*v;
}

/* ---------------------------------------------------------------- pipelines */

const struct field stage_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 60, NULL, NULL, NULL},
    {"probability", FT_INT, FF_REQUIRED, 100, NULL, NULL, "default win probability, 0-100"},
    {"kind", FT_ENUM, 0, 0, STAGE_KINDS, NULL, "won and lost stages close the deal"},
    {"position", FT_INT, 0, 1000, NULL, NULL, "1 = first; default last"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field pipeline_fields[] = {
    {"name", FT_STRING, FF_REQUIRED, 100, NULL, NULL, NULL},
    {"currency", FT_CURRENCY, 0, 0, NULL, NULL, "default currency of its deals"},
    {"stages", FT_OBJECTS, FF_REQUIRED, 30, NULL, stage_fields, "in order"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const stage_names[] = {"id", "position", "name", "probability", "kind", NULL};
#define STAGE_TYPES "iisis"

int pipeline_get(struct ctx *c, int64_t id, json_t **out)
{
    static const char *const names[] = {"id", "name", "currency", "is_default", NULL};
    int rc = rowj_one(c, "SELECT id, name, currency, is_default FROM pipelines WHERE id = ?", id,
                      names, "issb", "pipeline", out);
    if (rc)
        return rc;
    struct stmt *s = NULL;
    json_t *stages = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT id, position, name, probability, kind FROM pipeline_stages WHERE "
                     "pipeline_id = ? ORDER BY position, id",
                     "i", id);
    if (!rc)
        rc = rowj_all(c, s, stage_names, STAGE_TYPES, &stages);
    if (rc) {
        json_decref(*out);
        *out = NULL;
        return rc;
    }
    json_object_set_new(*out, "stages", stages);
    return 0;
}

int pipeline_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, "SELECT id FROM pipelines ORDER BY id", "");
    if (rc)
        return rc;
    int64_t ids[256];
    int n = 0;
    while ((rc = stmt_step(s, &c->err)) == 1 && n < 256)
        ids[n++] = stmt_int(s, 0);
    stmt_done(s);
    if (rc < 0)
        return rc;
    json_t *items = json_array();
    for (int i = 0; i < n; i++) {
        json_t *p = NULL;
        rc = pipeline_get(c, ids[i], &p);
        if (rc) {
            json_decref(items);
            return rc;
        }
        json_array_append_new(items, p);
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

static int check_stages(struct ctx *c, const json_t *stages)
{
    size_t i;
    json_t *st;
    int open = 0;
    json_array_foreach(stages, i, st)
    {
        const char *k = jstr(st, "kind");
        if (!k || !strcmp(k, "open"))
            open++;
        if (blank(st, "name")) {
            char f[48];
            snprintf(f, sizeof(f), "stages[%zu].name", i);
            return fail(c, ERR_INVALID, f, "must not be empty");
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(jstr(json_array_get(stages, j), "name"), jstr(st, "name"))) {
                char f[48];
                snprintf(f, sizeof(f), "stages[%zu].name", i);
                return fail(c, ERR_INVALID, f, "two stages are named '%s'", jstr(st, "name"));
            }
    }
    if (!open)
        return fail(c, ERR_INVALID, "stages", "a pipeline needs at least one open stage");
    return 0;
}

int pipeline_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(pipeline_fields, in, FIELDS_CREATE, &c->err);
    if (!rc && blank(in, "name"))
        rc = fail(c, ERR_INVALID, "name", "must not be empty");
    if (!rc)
        rc = check_stages(c, json_object_get(in, "stages"));
    if (rc)
        return rc;
    int64_t id = 0, now = time_now();
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = store_int(c->st, &id, &c->err,
                   "INSERT INTO pipelines(name, currency, created_at, updated_at) VALUES (?, ?, ?, "
                   "?) RETURNING id",
                   "ssii", jstr(in, "name"),
                   jstr(in, "currency") ? jstr(in, "currency") : c->app->cfg.default_currency, now,
                   now);
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "name", "a pipeline with this name already exists");
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(in, "stages"), i, st)
    {
        if (rc)
            break;
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO pipeline_stages(pipeline_id, position, name, probability, "
                       "kind) VALUES (?, ?, ?, ?, ?)",
                       "iisis", id, (int64_t)i + 1, jstr(st, "name"), jint(st, "probability", 0),
                       jstr(st, "kind") ? jstr(st, "kind") : "open");
    }
    if (!rc)
        rc = pipeline_get(c, id, out);
    if (rc)
        return rollback(c, rc);
    return store_commit(c->st, &c->err);
}

/* 0 when stage_id belongs to pipeline_id; *kind (may be NULL) gets its kind. */
static int stage_of(struct ctx *c, int64_t pipeline_id, int64_t stage_id, const char *field,
                    char kind[8], int64_t *prob)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT kind, probability FROM pipeline_stages WHERE id = ? AND "
                         "pipeline_id = ?",
                         "ii", stage_id, pipeline_id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc == 1) {
        if (kind)
            snprintf(kind, 8, "%s", stmt_text(s, 0));
        if (prob)
            *prob = stmt_int(s, 1);
    }
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_INVALID, field, "stage %lld is not a stage of pipeline %lld",
                    (long long)stage_id, (long long)pipeline_id);
    return rc < 0 ? rc : 0;
}

int pipeline_add_stage(struct ctx *c, int64_t pipeline_id, const json_t *in, json_t **out)
{
    int rc = fields_check(stage_fields, in, FIELDS_CREATE, &c->err);
    if (!rc && blank(in, "name"))
        rc = fail(c, ERR_INVALID, "name", "must not be empty");
    if (rc)
        return rc;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    int64_t n = 0;
    rc = store_int(c->st, &n, &c->err,
                   "SELECT (SELECT COUNT(*) FROM pipeline_stages WHERE pipeline_id = ?1) FROM "
                   "pipelines WHERE id = ?1",
                   "i", pipeline_id);
    if (rc == ERR_NOTFOUND)
        rc = fail(c, ERR_NOTFOUND, "id", "no pipeline %lld", (long long)pipeline_id);
    int64_t pos = jint(in, "position", n + 1);
    if (!rc && (pos < 1 || pos > n + 1))
        rc = fail(c, ERR_INVALID, "position", "between 1 and %lld", (long long)n + 1);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE pipeline_stages SET position = position + 1 WHERE pipeline_id = ? "
                       "AND position >= ?",
                       "ii", pipeline_id, pos);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO pipeline_stages(pipeline_id, position, name, probability, "
                       "kind) VALUES (?, ?, ?, ?, ?)",
                       "iisis", pipeline_id, pos, jstr(in, "name"), jint(in, "probability", 0),
                       jstr(in, "kind") ? jstr(in, "kind") : "open");
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "name", "this pipeline already has a stage of that name");
    if (!rc)
        rc = pipeline_get(c, pipeline_id, out);
    if (rc)
        return rollback(c, rc);
    return store_commit(c->st, &c->err);
}

int pipeline_update_stage(struct ctx *c, int64_t pipeline_id, int64_t stage_id, const json_t *in,
                          json_t **out)
{
    int rc = fields_check(stage_fields, in, FIELDS_UPDATE, &c->err);
    if (!rc && blank(in, "name"))
        rc = fail(c, ERR_INVALID, "name", "must not be empty");
    if (rc)
        return rc;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    char kind[8] = "";
    rc = stage_of(c, pipeline_id, stage_id, "id", kind, NULL);
    if (rc == ERR_INVALID)
        rc = fail(c, ERR_NOTFOUND, "id", "no stage %lld in pipeline %lld", (long long)stage_id,
                  (long long)pipeline_id);
    const char *nk = jstr(in, "kind");
    if (!rc && nk && strcmp(nk, kind)) {
        int64_t used = 0;
        rc = store_int(c->st, &used, &c->err,
                       "SELECT COUNT(*) FROM (SELECT 1 FROM deals WHERE stage_id = ? LIMIT 1) AS d",
                       "i",
                       stage_id);
        if (!rc && used)
            rc = fail(c, ERR_CONFLICT, "kind", "the stage holds deals: its kind cannot change");
    }
    if (!rc && jstr(in, "name"))
        rc = store_run(c->st, NULL, &c->err, "UPDATE pipeline_stages SET name = ? WHERE id = ?",
                       "si", jstr(in, "name"), stage_id);
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "name", "this pipeline already has a stage of that name");
    if (!rc && rowj_has(in, "probability"))
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE pipeline_stages SET probability = ? WHERE id = ?", "ii",
                       jint(in, "probability", 0), stage_id);
    if (!rc && nk)
        rc = store_run(c->st, NULL, &c->err, "UPDATE pipeline_stages SET kind = ? WHERE id = ?",
                       "si", nk, stage_id);
    if (!rc && rowj_has(in, "position")) {
        int64_t n = 0, pos = jint(in, "position", 1), old = 0;
        rc = store_int(c->st, &n, &c->err,
                       "SELECT COUNT(*) FROM pipeline_stages WHERE pipeline_id = ?", "i",
                       pipeline_id);
        if (!rc)
            rc = store_int(c->st, &old, &c->err,
                           "SELECT position FROM pipeline_stages WHERE id = ?", "i", stage_id);
        if (!rc && (pos < 1 || pos > n))
            rc = fail(c, ERR_INVALID, "position", "between 1 and %lld", (long long)n);
        /* renumber: the others keep their order around the moved stage */
        if (!rc && pos != old)
            rc = store_run(c->st, NULL, &c->err,
                           "UPDATE pipeline_stages SET position = CASE WHEN id = ?1 THEN ?2 WHEN "
                           "?2 < ?3 AND position >= ?2 AND position < ?3 THEN position + 1 WHEN "
                           "?2 > ?3 AND position <= ?2 AND position > ?3 THEN position - 1 ELSE "
                           "position END WHERE pipeline_id = ?4",
                           "iiii", stage_id, pos, old, pipeline_id);
    }
    if (!rc)
        rc = store_run(c->st, NULL, &c->err, "UPDATE pipelines SET updated_at = ? WHERE id = ?",
                       "ii", time_now(), pipeline_id);
    if (!rc)
        rc = pipeline_get(c, pipeline_id, out);
    if (rc)
        return rollback(c, rc);
    return store_commit(c->st, &c->err);
}

/* -------------------------------------------------------------------- deals */

static const struct field deal_product_fields[] = {
    {"product_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, NULL},
    {"quantity", FT_INT, 0, 1000000, NULL, NULL, "default 1"},
    {"unit_price_minor", FT_MONEY, 0, 0, NULL, NULL, "default: the product's price"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field deal_fields[] = {
    {"customer_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, "the person or organisation"},
    {"title", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"pipeline_id", FT_ID, 0, 0, NULL, NULL, "default: the default pipeline"},
    {"stage_id", FT_ID, 0, 0, NULL, NULL, "an open stage; default the first"},
    {"amount_minor", FT_MONEY, 0, 0, NULL, NULL, "minor units, >= 0; default: sum of products"},
    {"currency", FT_CURRENCY, 0, 0, NULL, NULL, "default: the pipeline's"},
    {"probability", FT_INT, 0, 100, NULL, NULL, "default: the stage's"},
    {"expected_close", FT_DATE, FF_NULLABLE, 0, NULL, NULL, "YYYY-MM-DD"},
    {"owner_id", FT_ID, FF_NULLABLE, 0, NULL, NULL, "default: the acting user"},
    {"team", FT_STRING, FF_NULLABLE, 64, NULL, NULL, "default: the owner's team"},
    {"source", FT_STRING, FF_NULLABLE, 100, NULL, NULL, "web, referral, trade show…"},
    {"products", FT_OBJECTS, 0, 100, NULL, deal_product_fields, "replaces the list on update"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

const struct field deal_move_fields[] = {
    {"stage_id", FT_ID, FF_REQUIRED, 0, NULL, NULL, "a stage of the deal's pipeline"},
    {"reason", FT_STRING, FF_NULLABLE, 500, NULL, NULL, "why it was won or lost (lost: required)"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const deal_names[] = {
    "id",          "customer_id",    "customer_name",  "pipeline_id",  "stage_id",
    "stage",       "stage_kind",     "title",          "amount_minor", "currency",
    "probability", "weighted_minor", "expected_close", "owner_id",     "owner_email",
    "team",        "source",         "status",         "close_reason", "closed_at",
    "stage_at",    "created_at",     "updated_at",     "version",      NULL};
#define DEAL_TYPES "iisiisssisiisissssstttti"
#define DEAL_SELECT                                                                                \
    "SELECT d.id, d.customer_id, COALESCE(cu.name, TRIM(COALESCE(cu.first_name, '') || ' ' || "    \
    "COALESCE(cu.last_name, '')), cu.email), d.pipeline_id, d.stage_id, s.name, s.kind, d.title, " \
    "d.amount_minor, d.currency, d.probability, (d.amount_minor * d.probability + 50) / 100, "     \
    "d.expected_close, d.owner_id, u.email, d.team, d.source, d.status, d.close_reason, "          \
    "d.closed_at, d.stage_at, d.created_at, d.updated_at, d.version FROM deals d JOIN "            \
    "pipeline_stages s ON s.id = d.stage_id JOIN customers cu ON cu.id = d.customer_id LEFT JOIN " \
    "users u ON u.id = d.owner_id "

static int deal_row(struct ctx *c, int64_t id, json_t **out)
{
    return rowj_one(c, DEAL_SELECT "WHERE d.id = ?", id, deal_names, DEAL_TYPES, "deal", out);
}

int deal_get(struct ctx *c, int64_t id, json_t **out)
{
    int rc = deal_row(c, id, out);
    if (rc)
        return rc;
    static const char *const pnames[] = {"product_id",       "sku", "name", "quantity",
                                         "unit_price_minor", NULL};
    static const char *const hnames[] = {
        "id",           "at",          "from_stage_id", "from_stage", "to_stage_id", "to_stage",
        "amount_minor", "probability", "reason",        "user_id",    NULL};
    struct stmt *s = NULL;
    json_t *products = NULL, *history = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT dp.product_id, p.sku, p.name, dp.quantity, dp.unit_price_minor FROM "
                     "deal_products dp JOIN products p ON p.id = dp.product_id WHERE dp.deal_id = "
                     "? ORDER BY dp.id",
                     "i", id);
    if (!rc)
        rc = rowj_all(c, s, pnames, "issii", &products);
    if (!rc)
        rc = store_query(c->st, &s, &c->err,
                         "SELECT h.id, h.at, h.from_stage_id, f.name, h.to_stage_id, t.name, "
                         "h.amount_minor, h.probability, h.reason, h.user_id FROM "
                         "deal_stage_history h LEFT JOIN pipeline_stages f ON f.id = "
                         "h.from_stage_id JOIN pipeline_stages t ON t.id = h.to_stage_id WHERE "
                         "h.deal_id = ? ORDER BY h.id",
                         "i", id);
    if (!rc)
        rc = rowj_all(c, s, hnames, "itisisiisi", &history);
    if (rc) {
        json_decref(products);
        json_decref(*out);
        *out = NULL;
        return rc;
    }
    json_object_set_new(*out, "products", products);
    json_object_set_new(*out, "history", history);
    return 0;
}

/* Sales reps change only their own deals (or unowned ones). */
static int may_change(struct ctx *c, const json_t *deal)
{
    json_t *owner = json_object_get(deal, "owner_id");
    if (c->actor.role == ROLE_SALES && json_is_integer(owner) &&
        json_integer_value(owner) != c->actor.user_id)
        return fail(c, ERR_FORBIDDEN, "owner_id", "deal %lld belongs to another sales rep",
                    (long long)jint(deal, "id", 0));
    return 0;
}

/* Writes the product lines of a deal (replacing any); *sum gets their total. */
static int write_products(struct ctx *c, int64_t deal_id, int64_t cid, const json_t *products,
                          int64_t *sum)
{
    *sum = 0;
    int rc = store_run(c->st, NULL, &c->err, "DELETE FROM deal_products WHERE deal_id = ?", "i",
                       deal_id);
    size_t i;
    json_t *p;
    json_array_foreach(products, i, p)
    {
        if (rc)
            break;
        char f[48];
        int64_t pid = jint(p, "product_id", 0), price = 0, q = jint(p, "quantity", 1), line;
        if (q < 1) {
            snprintf(f, sizeof(f), "products[%zu].quantity", i);
            return fail(c, ERR_INVALID, f, "at least 1");
        }
        rc = store_int(c->st, &price, &c->err,
                       "SELECT COALESCE(price_minor, 0) FROM products WHERE id = ?", "i", pid);
        if (rc == ERR_NOTFOUND) {
            snprintf(f, sizeof(f), "products[%zu].product_id", i);
            return fail(c, ERR_INVALID, f, "no product %lld", (long long)pid);
        }
        price = jint(p, "unit_price_minor", price);
        if (!rc && price < 0) {
            snprintf(f, sizeof(f), "products[%zu].unit_price_minor", i);
            return fail(c, ERR_INVALID, f, "must not be negative");
        }
        if (!rc && (__builtin_mul_overflow(price, q, &line) ||
                    __builtin_add_overflow(*sum, line, sum) || *sum > 999999999999999LL)) {
            snprintf(f, sizeof(f), "products[%zu].quantity", i);
            return fail(c, ERR_INVALID, f, "the deal's amount would overflow");
        }
        if (!rc)
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO deal_products(deal_id, customer_id, product_id, quantity, "
                           "unit_price_minor) VALUES (?, ?, ?, ?, ?)",
                           "iiiii", deal_id, cid, pid, q, price);
    }
    return rc;
}

static int check_amount(struct ctx *c, const json_t *in)
{
    if (blank(in, "title"))
        return fail(c, ERR_INVALID, "title", "must not be empty");
    if (rowj_has(in, "amount_minor") && jint(in, "amount_minor", 0) < 0)
        return fail(c, ERR_INVALID, "amount_minor", "must not be negative");
    return 0;
}

static int check_owner(struct ctx *c, const json_t *in, int64_t *owner, const char **team)
{
    *owner = jint(in, "owner_id", 0);
    if (!*owner)
        return 0;
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, "SELECT team FROM users WHERE id = ? AND active = 1",
                         "i", *owner);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    static __thread char tbuf[64];
    if (rc == 1) {
        snprintf(tbuf, sizeof(tbuf), "%s", stmt_text(s, 0) ? stmt_text(s, 0) : "");
        *team = tbuf[0] ? tbuf : NULL;
    }
    stmt_done(s);
    if (rc == 0)
        return fail(c, ERR_INVALID, "owner_id", "no active user %lld", (long long)*owner);
    return rc < 0 ? rc : 0;
}

int deal_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(deal_fields, in, FIELDS_CREATE, &c->err);
    if (!rc)
        rc = check_amount(c, in);
    if (rc)
        return rc;
    int64_t cid = jint(in, "customer_id", 0), pid = jint(in, "pipeline_id", 0),
            sid = jint(in, "stage_id", 0), prob = 0, id = 0, now = time_now(), owner = 0;
    const char *owner_team = NULL;
    char pcur[4] = "", kind[8] = "";
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = customer_exists(c, cid);
    if (rc == ERR_NOTFOUND)
        rc = fail(c, ERR_INVALID, "customer_id", "no customer %lld", (long long)cid);
    if (!rc && !pid) {
        rc = store_int(c->st, &pid, &c->err,
                       "SELECT id FROM pipelines ORDER BY is_default DESC, id LIMIT 1", "");
        if (rc == ERR_NOTFOUND)
            rc = fail(c, ERR_INVALID, "pipeline_id", "no pipeline: create one first");
    }
    if (!rc) {
        struct stmt *s = NULL;
        rc = store_query(c->st, &s, &c->err, "SELECT currency FROM pipelines WHERE id = ?", "i",
                         pid);
        if (!rc) {
            rc = stmt_step(s, &c->err);
            if (rc == 1)
                snprintf(pcur, sizeof(pcur), "%s", stmt_text(s, 0));
            stmt_done(s);
            rc = rc == 0  ? fail(c, ERR_INVALID, "pipeline_id", "no pipeline %lld", (long long)pid)
                 : rc < 0 ? rc
                          : 0;
        }
    }
    if (!rc && !sid) {
        rc = store_int(c->st, &sid, &c->err,
                       "SELECT id FROM pipeline_stages WHERE pipeline_id = ? AND kind = 'open' "
                       "ORDER BY position LIMIT 1",
                       "i", pid);
        if (rc == ERR_NOTFOUND)
            rc = fail(c, ERR_INVALID, "pipeline_id", "the pipeline has no open stage");
    }
    if (!rc)
        rc = stage_of(c, pid, sid, "stage_id", kind, &prob);
    if (!rc && strcmp(kind, "open"))
        rc = fail(c, ERR_INVALID, "stage_id", "a deal starts in an open stage, not a %s one", kind);
    if (!rc)
        rc = check_owner(c, in, &owner, &owner_team);
    if (!rc && !owner && !rowj_has(in, "owner_id"))
        owner = c->actor.user_id;
    const char *team = rowj_has(in, "team")                            ? jstr(in, "team")
                       : owner_team                                    ? owner_team
                       : owner == c->actor.user_id && c->actor.team[0] ? c->actor.team
                                                                       : NULL;
    if (!rc)
        rc = store_int(c->st, &id, &c->err,
                       "INSERT INTO deals(customer_id, pipeline_id, stage_id, title, amount_minor, "
                       "currency, probability, expected_close, owner_id, team, source, status, "
                       "stage_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                       "?, 'open', ?, ?, ?) RETURNING id",
                       "iiisisisIssiii", cid, pid, sid, jstr(in, "title"),
                       jint(in, "amount_minor", 0),
                       jstr(in, "currency") ? jstr(in, "currency") : pcur,
                       jint(in, "probability", prob), jstr(in, "expected_close"),
                       owner ? owner : INT64_MIN, team, jstr(in, "source"), now, now, now);
    int64_t sum = 0;
    if (!rc && json_array_size(json_object_get(in, "products")))
        rc = write_products(c, id, cid, json_object_get(in, "products"), &sum);
    if (!rc && !rowj_has(in, "amount_minor") && sum)
        rc = store_run(c->st, NULL, &c->err, "UPDATE deals SET amount_minor = ? WHERE id = ?", "ii",
                       sum, id);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO deal_stage_history(deal_id, customer_id, at, from_stage_id, "
                       "to_stage_id, amount_minor, probability, user_id) SELECT id, customer_id, "
                       "?, NULL, stage_id, amount_minor, probability, ? FROM deals WHERE id = ?",
                       "iIi", now, c->actor.user_id ? c->actor.user_id : INT64_MIN, id);
    if (!rc)
        rc = deal_get(c, id, out);
    if (!rc) {
        json_t *data = json_pack("{s:I,s:I,s:I,s:O,s:O}", "deal_id", (json_int_t)id, "pipeline_id",
                                 (json_int_t)pid, "stage_id", (json_int_t)sid, "amount_minor",
                                 json_object_get(*out, "amount_minor"), "currency",
                                 json_object_get(*out, "currency"));
        rc = event_emit(c, "deal.created", cid, "deal", id, data, NULL);
        json_decref(data);
    }
    if (!rc)
        rc = audit_record(c, "create", "deal", id, NULL, *out);
    if (rc) {
        if (*out) {
            json_decref(*out);
            *out = NULL;
        }
        return rollback(c, rc);
    }
    return store_commit(c->st, &c->err);
}

int deal_update(struct ctx *c, int64_t id, const json_t *in, int64_t if_version, json_t **out)
{
    int rc = fields_check(deal_fields, in, FIELDS_UPDATE, &c->err);
    if (!rc)
        rc = check_amount(c, in);
    if (rc)
        return rc;
    static const char *const fixed[] = {"customer_id", "pipeline_id", "stage_id", NULL};
    for (int i = 0; fixed[i]; i++)
        if (rowj_has(in, fixed[i]))
            return fail(c, ERR_INVALID, fixed[i],
                        strcmp(fixed[i], "stage_id")
                            ? "cannot change on an existing deal"
                            : "move a deal with POST /api/v1/deals/{id}/stage");
    json_t *before = NULL;
    *out = NULL;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = deal_get(c, id, &before);
    if (!rc)
        rc = may_change(c, before);
    if (!rc && if_version > 0 && jint(before, "version", 0) != if_version)
        rc = fail(c, ERR_CONFLICT, "version", "the deal changed since version %lld",
                  (long long)if_version);
    const char *status = rc ? NULL : jstr(before, "status");
    if (!rc && strcmp(status, "open") &&
        (rowj_has(in, "amount_minor") || rowj_has(in, "probability") || rowj_has(in, "products") ||
         rowj_has(in, "currency")))
        rc = fail(c, ERR_CONFLICT, rowj_has(in, "amount_minor") ? "amount_minor" : "probability",
                  "a %s deal keeps its amount and probability", status);
    int64_t owner = 0;
    const char *owner_team = NULL;
    if (!rc && rowj_has(in, "owner_id"))
        rc = check_owner(c, in, &owner, &owner_team);
    if (!rc && c->actor.role == ROLE_SALES && rowj_has(in, "owner_id") && owner != c->actor.user_id)
        rc = fail(c, ERR_FORBIDDEN, "owner_id", "a sales rep cannot give a deal away");
    int64_t sum = 0, cid = jint(before, "customer_id", 0);
    json_t *products = json_object_get(in, "products");
    if (!rc && products)
        rc = write_products(c, id, cid, products, &sum);
    if (!rc)
        rc = store_run(
            c->st, NULL, &c->err,
            "UPDATE deals SET title = COALESCE(?, title), amount_minor = CASE WHEN ? THEN ? ELSE "
            "amount_minor END, currency = COALESCE(?, currency), probability = COALESCE(?, "
            "probability), expected_close = CASE WHEN ? THEN ? ELSE expected_close END, owner_id "
            "= CASE WHEN ? THEN ? ELSE owner_id END, team = CASE WHEN ? THEN ? ELSE team END, "
            "source = CASE WHEN ? THEN ? ELSE source END, updated_at = ?, version = version + 1 "
            "WHERE id = ?",
            "siisIisiIisisii", jstr(in, "title"),
            (int64_t)(rowj_has(in, "amount_minor") || (products && !rowj_has(in, "amount_minor"))),
            rowj_has(in, "amount_minor") ? jint(in, "amount_minor", 0) : sum, jstr(in, "currency"),
            rowj_has(in, "probability") ? jint(in, "probability", 0) : INT64_MIN,
            (int64_t)rowj_has(in, "expected_close"), jstr(in, "expected_close"),
            (int64_t)rowj_has(in, "owner_id"), owner ? owner : INT64_MIN,
            (int64_t)(rowj_has(in, "team") || rowj_has(in, "owner_id")),
            rowj_has(in, "team") ? jstr(in, "team") : owner_team, (int64_t)rowj_has(in, "source"),
            jstr(in, "source"), time_now(), id);
    if (!rc)
        rc = deal_get(c, id, out);
    if (!rc)
        rc = audit_record(c, "update", "deal", id, before, *out);
    json_decref(before);
    if (rc) {
        json_decref(*out);
        *out = NULL;
        return rollback(c, rc);
    }
    return store_commit(c->st, &c->err);
}

int deal_move(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = fields_check(deal_move_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int64_t to = jint(in, "stage_id", 0), prob = 0, now = time_now();
    const char *reason = jstr(in, "reason");
    char kind[8] = "";
    json_t *before = NULL;
    *out = NULL;
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = deal_row(c, id, &before);
    if (!rc)
        rc = may_change(c, before);
    const char *status = rc ? NULL : jstr(before, "status");
    if (!rc && strcmp(status, "open"))
        rc = fail(c, ERR_CONFLICT, "stage_id", "deal %lld is %s: a closed deal does not move",
                  (long long)id, status);
    if (!rc)
        rc = stage_of(c, jint(before, "pipeline_id", 0), to, "stage_id", kind, &prob);
    if (!rc && !strcmp(kind, "lost") && !(reason && *reason))
        rc = fail(c, ERR_INVALID, "reason", "say why the deal was lost");
    int64_t from = jint(before, "stage_id", 0);
    if (!rc && from == to) { /* nothing to do */
        json_decref(before);
        store_rollback(c->st);
        return deal_get(c, id, out);
    }
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE deals SET stage_id = ?1, probability = ?2, status = ?3, "
                       "close_reason = CASE WHEN ?3 = 'open' THEN close_reason ELSE ?4 END, "
                       "closed_at = CASE WHEN ?3 = 'open' THEN NULL ELSE ?5 END, stage_at = ?5, "
                       "updated_at = ?5, version = version + 1 WHERE id = ?6",
                       "iissii", to, prob, kind, reason, now, id);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO deal_stage_history(deal_id, customer_id, at, from_stage_id, "
                       "to_stage_id, amount_minor, probability, reason, user_id) SELECT id, "
                       "customer_id, ?, ?, stage_id, amount_minor, probability, ?, ? FROM deals "
                       "WHERE id = ?",
                       "iisIi", now, from, reason, c->actor.user_id ? c->actor.user_id : INT64_MIN,
                       id);
    if (!rc)
        rc = deal_get(c, id, out);
    int64_t cid = jint(before, "customer_id", 0);
    if (!rc) {
        json_t *data = json_pack(
            "{s:I,s:I,s:I,s:I,s:O,s:s,s:O,s:O,s:I}", "deal_id", (json_int_t)id, "pipeline_id",
            (json_int_t)jint(before, "pipeline_id", 0), "from_stage_id", (json_int_t)from,
            "stage_id", (json_int_t)to, "stage", json_object_get(*out, "stage"), "kind", kind,
            "amount_minor", json_object_get(*out, "amount_minor"), "currency",
            json_object_get(*out, "currency"), "probability", (json_int_t)prob);
        rc = event_emit(c, "deal.stage_changed", cid, "deal", id, data, NULL);
        json_decref(data);
    }
    if (!rc && strcmp(kind, "open")) {
        json_t *data = json_pack("{s:I,s:O,s:O,s:s?}", "deal_id", (json_int_t)id, "amount_minor",
                                 json_object_get(*out, "amount_minor"), "currency",
                                 json_object_get(*out, "currency"), "reason", reason);
        rc = event_emit(c, !strcmp(kind, "won") ? "deal.won" : "deal.lost", cid, "deal", id, data,
                        NULL);
        json_decref(data);
    }
    if (!rc && !strcmp(kind, "won"))
        rc = lead_converted_by_deal(c, cid, id);
    if (!rc)
        rc = audit_record(c, "stage", "deal", id, before, *out);
    json_decref(before);
    if (rc) {
        json_decref(*out);
        *out = NULL;
        return rollback(c, rc);
    }
    return store_commit(c->st, &c->err);
}

int deal_reopen(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    int rc = fields_check(deal_move_fields, in, FIELDS_CREATE, &c->err);
    if (rc)
        return rc;
    int64_t to = jint(in, "stage_id", 0), prob = 0, now = time_now();
    const char *reason = jstr(in, "reason");
    char kind[8] = "";
    json_t *before = NULL;
    *out = NULL;
    if (!(reason && *reason))
        return fail(c, ERR_INVALID, "reason", "say why the deal is reopened");
    rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    rc = deal_row(c, id, &before);
    const char *status = rc ? NULL : jstr(before, "status");
    if (!rc && !strcmp(status, "open"))
        rc = fail(c, ERR_CONFLICT, "status", "deal %lld is open already", (long long)id);
    if (!rc)
        rc = stage_of(c, jint(before, "pipeline_id", 0), to, "stage_id", kind, &prob);
    if (!rc && strcmp(kind, "open"))
        rc = fail(c, ERR_INVALID, "stage_id", "a deal reopens in an open stage");
    int64_t from = jint(before, "stage_id", 0), cid = jint(before, "customer_id", 0);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE deals SET stage_id = ?1, probability = ?2, status = 'open', "
                       "close_reason = NULL, closed_at = NULL, stage_at = ?3, updated_at = ?3, "
                       "version = version + 1 WHERE id = ?4",
                       "iiii", to, prob, now, id);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO deal_stage_history(deal_id, customer_id, at, from_stage_id, "
                       "to_stage_id, amount_minor, probability, reason, user_id) SELECT id, "
                       "customer_id, ?, ?, stage_id, amount_minor, probability, ?, ? FROM deals "
                       "WHERE id = ?",
                       "iisIi", now, from, reason, c->actor.user_id ? c->actor.user_id : INT64_MIN,
                       id);
    if (!rc)
        rc = deal_get(c, id, out);
    if (!rc) {
        json_t *data = json_pack(
            "{s:I,s:I,s:I,s:O,s:s,s:s,s:O,s:O,s:I}", "deal_id", (json_int_t)id, "from_stage_id",
            (json_int_t)from, "stage_id", (json_int_t)to, "stage", json_object_get(*out, "stage"),
            "kind", "open", "reason", reason, "amount_minor", json_object_get(*out, "amount_minor"),
            "currency", json_object_get(*out, "currency"), "probability", (json_int_t)prob);
        rc = event_emit(c, "deal.reopened", cid, "deal", id, data, NULL);
        if (!rc)
            rc = event_emit(c, "deal.stage_changed", cid, "deal", id, data, NULL);
        json_decref(data);
    }
    if (!rc)
        rc = audit_record(c, "reopen", "deal", id, before, *out);
    json_decref(before);
    if (rc) {
        json_decref(*out);
        *out = NULL;
        return rollback(c, rc);
    }
    return store_commit(c->st, &c->err);
}

int deal_list(struct ctx *c, const struct deal_filter *f, int64_t after, int limit, json_t **out)
{
    if (limit <= 0)
        limit = 50;
    if (limit > 500)
        return fail(c, ERR_INVALID, "limit", "at most 500");
    if (f->status && !enum_has(DEAL_STATUSES, f->status))
        return fail(c, ERR_BADREQ, "status", "must be one of: %s", DEAL_STATUSES);
    struct stmt *s = NULL;
    int rc = store_query(
        c->st, &s, &c->err,
        DEAL_SELECT "WHERE (?1 = 0 OR d.pipeline_id = ?1) AND (?2 = 0 OR d.stage_id = ?2) AND (?3 "
                    "= 0 OR d.owner_id = ?3) AND (?4 = 0 OR d.customer_id = ?4) AND (?5 IS NULL "
                    "OR d.status = ?5) AND (?6 IS NULL OR d.team = ?6) AND d.id < ?7 ORDER BY "
                    "d.id DESC LIMIT ?8",
        "iiiissii", f->pipeline_id, f->stage_id, f->owner_id, f->customer_id, f->status, f->team,
        after > 0 ? after : INT64_MAX, (int64_t)limit + 1);
    return rc ? rc : rowj_page(c, s, deal_names, DEAL_TYPES, limit, out);
}

int pipeline_board(struct ctx *c, int64_t id, int64_t owner_id, int per_stage, json_t **out)
{
    if (per_stage <= 0)
        per_stage = 50;
    if (per_stage > 500)
        return fail(c, ERR_BADREQ, "per_stage", "at most 500");
    int rc = pipeline_get(c, id, out);
    if (rc)
        return rc;
    json_t *stages = json_object_get(*out, "stages"), *st;
    size_t i;
    json_array_foreach(stages, i, st)
    {
        int64_t sid = jint(st, "id", 0);
        struct stmt *s = NULL;
        rc = store_query(c->st, &s, &c->err,
                         "SELECT COUNT(*), COALESCE(SUM(amount_minor), 0), "
                         "COALESCE(SUM((amount_minor * probability + 50) / 100), 0) FROM deals "
                         "WHERE stage_id = ? AND (? = 0 OR owner_id = ?)",
                         "iii", sid, owner_id, owner_id);
        if (!rc && (rc = stmt_step(s, &c->err)) == 1) {
            json_object_set_new(st, "count", json_integer(stmt_int(s, 0)));
            json_object_set_new(st, "amount_minor", json_integer(stmt_int(s, 1)));
            json_object_set_new(st, "weighted_minor", json_integer(stmt_int(s, 2)));
            rc = 0;
        }
        stmt_done(s);
        json_t *deals = NULL;
        if (!rc)
            rc = store_query(c->st, &s, &c->err,
                             DEAL_SELECT "WHERE d.stage_id = ? AND (? = 0 OR d.owner_id = ?) "
                                         "ORDER BY d.id DESC LIMIT ?",
                             "iiii", sid, owner_id, owner_id, (int64_t)per_stage);
        if (!rc)
            rc = rowj_all(c, s, deal_names, DEAL_TYPES, &deals);
        if (rc) {
            json_decref(*out);
            *out = NULL;
            return rc;
        }
        json_object_set_new(st, "deals", deals);
    }
    return 0;
}
