/* CSV import of customers and orders (see import.h). */
#include "app/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/activity.h"
#include "app/customers.h"
#include "app/duplicates.h"
#include "store/store.h"
#include "util/csv.h"
#include "util/sbuf.h"
#include "util/numparse.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/timeu.h"
#include "util/validate.h"

/* New customers written per batch (multi-row inserts, one audit entry). */
#define IMPORT_BATCH 5000

/* Header names recognised, folded (lower case, no accents, spaces). */
static const struct alias {
    const char *header;
    const char *field;
} aliases[] = {
    {"external id", "external_id"},
    {"externalid", "external_id"},
    {"id", "external_id"},
    {"customer id", "external_id"},
    {"customerid", "external_id"},
    {"code client", "external_id"},
    {"email", "email"},
    {"e mail", "email"},
    {"courriel", "email"},
    {"mail", "email"},
    {"adresse email", "email"},
    {"first name", "first_name"},
    {"firstname", "first_name"},
    {"prenom", "first_name"},
    {"last name", "last_name"},
    {"lastname", "last_name"},
    {"nom", "last_name"},
    {"surname", "last_name"},
    {"nom de famille", "last_name"},
    {"phone", "phone"},
    {"telephone", "phone"},
    {"tel", "phone"},
    {"mobile", "phone"},
    {"portable", "phone"},
    {"postal code", "postal_code"},
    {"postcode", "postal_code"},
    {"zip", "postal_code"},
    {"zip code", "postal_code"},
    {"code postal", "postal_code"},
    {"cp", "postal_code"},
    {"city", "city"},
    {"ville", "city"},
    {"commune", "city"},
    {"country", "country"},
    {"pays", "country"},
    {"address", "line1"},
    {"adresse", "line1"},
    {"company", "name"},
    {"societe", "name"},
    {"raison sociale", "name"},
    {"organization", "name"},
    {"birth date", "birth_date"},
    {"date de naissance", "birth_date"},
    {"order id", "order_id"},
    {"orderid", "order_id"},
    {"invoiceno", "order_id"},
    {"invoice", "order_id"},
    {"commande", "order_id"},
    {"numero de commande", "order_id"},
    {"customer external id", "customer_external_id"},
    {"order date", "order_date"},
    {"date", "order_date"},
    {"invoicedate", "order_date"},
    {"date de commande", "order_date"},
    {"amount", "amount"},
    {"montant", "amount"},
    {"total", "amount"},
    {"currency", "currency"},
    {"devise", "currency"},
    {"sku", "sku"},
    {"stockcode", "sku"},
    {"reference", "sku"},
    {"description", "description"},
    {"libelle", "description"},
    {"quantity", "quantity"},
    {"quantite", "quantity"},
    {"qty", "quantity"},
    {"unit price", "unit_price"},
    {"unitprice", "unit_price"},
    {"prix unitaire", "unit_price"},
    {"channel", "channel"},
    {"canal", "channel"},
    {"store", "store"},
    {"magasin", "store"},
    {"kind", "kind"},
    {"type", "kind"},
};

/* Country names seen in real files → ISO 3166-1 alpha-2. */
static const struct {
    const char *name, *iso;
} country_names[] = {
    {"united kingdom", "GB"},
    {"uk", "GB"},
    {"france", "FR"},
    {"germany", "DE"},
    {"allemagne", "DE"},
    {"eire", "IE"},
    {"ireland", "IE"},
    {"spain", "ES"},
    {"espagne", "ES"},
    {"netherlands", "NL"},
    {"belgium", "BE"},
    {"belgique", "BE"},
    {"switzerland", "CH"},
    {"suisse", "CH"},
    {"portugal", "PT"},
    {"australia", "AU"},
    {"norway", "NO"},
    {"italy", "IT"},
    {"italie", "IT"},
    {"channel islands", "JE"},
    {"finland", "FI"},
    {"cyprus", "CY"},
    {"sweden", "SE"},
    {"austria", "AT"},
    {"denmark", "DK"},
    {"japan", "JP"},
    {"poland", "PL"},
    {"israel", "IL"},
    {"usa", "US"},
    {"united states", "US"},
    {"hong kong", "HK"},
    {"singapore", "SG"},
    {"iceland", "IS"},
    {"canada", "CA"},
    {"greece", "GR"},
    {"malta", "MT"},
    {"united arab emirates", "AE"},
    {"lebanon", "LB"},
    {"lithuania", "LT"},
    {"brazil", "BR"},
    {"czech republic", "CZ"},
    {"bahrain", "BH"},
    {"saudi arabia", "SA"},
    {"rsa", "ZA"},
    {"south africa", "ZA"},
    {"luxembourg", "LU"},
    {"maroc", "MA"},
    {"morocco", "MA"},
};

static const char *country_iso(const char *v)
{
    if (!v || !*v)
        return NULL;
    if (strlen(v) == 2 && v[0] >= 'A' && v[0] <= 'Z')
        return v;
    char f[64];
    text_fold(v, f, sizeof(f));
    for (size_t i = 0; i < sizeof(country_names) / sizeof(country_names[0]); i++)
        if (!strcmp(f, country_names[i].name))
            return country_names[i].iso;
    return NULL;
}

struct colmap {
    int ncols;
    const char *field[256]; /* target field per column, NULL = ignored */
};

static int map_headers(struct ctx *c, const struct import_opts *o, const struct csv_record *h,
                       struct colmap *m)
{
    m->ncols = h->nfields < 256 ? (int)h->nfields : 256;
    for (int i = 0; i < m->ncols; i++) {
        m->field[i] = NULL;
        char f[128];
        text_fold(h->fields[i], f, sizeof(f));
        for (int k = 0; k < o->nmaps; k++) {
            const char *eq = strchr(o->maps[k], '=');
            if (!eq)
                return fail(c, ERR_BADREQ, "map", "'%s' is not SOURCE=field", o->maps[k]);
            if ((size_t)(eq - o->maps[k]) == h->lens[i] &&
                !strncmp(o->maps[k], h->fields[i], h->lens[i]))
                m->field[i] = eq + 1;
        }
        for (size_t a = 0; !m->field[i] && a < sizeof(aliases) / sizeof(aliases[0]); a++)
            if (!strcmp(f, aliases[a].header))
                m->field[i] = aliases[a].field;
        if (!m->field[i]) {
            /* a header that is already a field name */
            static const char *const direct[] = {"external_id", "email",
                                                 "first_name",  "last_name",
                                                 "phone",       "postal_code",
                                                 "city",        "country",
                                                 "name",        "kind",
                                                 "line1",       "birth_date",
                                                 "order_id",    "customer_external_id",
                                                 "order_date",  "amount",
                                                 "currency",    "sku",
                                                 "description", "quantity",
                                                 "unit_price",  "channel",
                                                 "store",       "category",
                                                 "price",       "margin",
                                                 "subject",     "body",
                                                 "direction",   "outcome",
                                                 "offer",       "at",
                                                 NULL};
            for (int d = 0; direct[d]; d++)
                if (!strcmp(h->fields[i], direct[d]))
                    m->field[i] = direct[d];
        }
    }
    return 0;
}

static const char *col(const struct colmap *m, const struct csv_record *r, const char *field,
                       int *colno)
{
    for (int i = 0; i < m->ncols && i < (int)r->nfields; i++)
        if (m->field[i] && !strcmp(m->field[i], field)) {
            if (colno)
                *colno = i + 1;
            return r->lens[i] ? r->fields[i] : NULL;
        }
    return NULL;
}

struct run {
    struct ctx *c;
    const struct import_opts *o;
    json_t *problems;
    long rows, created, updated, unchanged, rejected;
    int64_t source_id;
    const struct csv_record *cur; /* the row being imported */
    struct sbuf rejects;          /* rejected rows with their reasons (CSV) */
    long rejects_line;            /* the last line written there */
    /* customers: new ones are written in batches; existing ones are found
     * by external id or e-mail in maps loaded once and kept current */
    struct customer_batch *batch;
    struct strmap by_ext, by_email;
};

/* Keeps a rejected row, as read, with the line and the reason in front. */
static void reject_row(struct run *ru, long line, const char *field, const char *msg)
{
    if (!ru->o->rejects_path || line == ru->rejects_line)
        return;
    ru->rejects_line = line;
    char ln[24], reason[400];
    snprintf(ln, sizeof(ln), "%ld", line);
    snprintf(reason, sizeof(reason), "%s%s%s", field && *field ? field : "",
             field && *field ? ": " : "", msg);
    csv_put_cell(&ru->rejects, ln, 0, 1);
    csv_put_cell(&ru->rejects, reason, 1, 0);
    if (ru->cur && ru->cur->line == line)
        for (size_t i = 0; i < ru->cur->nfields; i++)
            csv_put_cell(&ru->rejects, ru->cur->fields[i], 1, 0);
    sbuf_put(&ru->rejects, "\r\n", 2);
}

static void problem(struct run *ru, long line, int column, const char *field, const char *msg)
{
    reject_row(ru, line, field, msg);
    ru->rejected++;
    if (json_array_size(ru->problems) < IMPORT_MAX_PROBLEMS)
        json_array_append_new(ru->problems,
                              json_pack("{s:I,s:i,s:s,s:s}", "line", (json_int_t)line, "column",
                                        column, "field", field ? field : "", "message", msg));
}

/* Which column a validation error's field came from. */
static int column_of(const struct colmap *m, const char *field)
{
    static const struct {
        const char *from, *to;
    } renames[] = {{"addresses[0].postal_code", "postal_code"},
                   {"addresses[0].city", "city"},
                   {"addresses[0].country", "country"},
                   {"addresses[0].line1", "line1"}};
    for (size_t i = 0; i < sizeof(renames) / sizeof(renames[0]); i++)
        if (!strcmp(field, renames[i].from))
            field = renames[i].to;
    for (int i = 0; i < m->ncols; i++)
        if (m->field[i] && !strcmp(m->field[i], field))
            return i + 1;
    return 0;
}

/* -------------------------------------------------------------- customers */

static json_t *customer_row(struct run *ru, const struct colmap *m, const struct csv_record *r)
{
    json_t *o = json_object();
    static const char *const simple[] = {"external_id", "email", "first_name", "last_name",
                                         "phone",       "name",  "birth_date", NULL};
    for (int i = 0; simple[i]; i++) {
        const char *v = col(m, r, simple[i], NULL);
        if (v)
            json_object_set_new(o, simple[i], json_string(v));
    }
    const char *ext = col(m, r, "external_id", NULL);
    if (ext) {
        char clean[128];
        if (num_clean_id(clean, sizeof(clean), ext, NULL) == 0)
            json_object_set_new(o, "external_id", json_string(clean));
    }
    const char *kind = col(m, r, "kind", NULL);
    json_object_set_new(
        o, "kind",
        json_string(kind ? kind
                    : (json_object_get(o, "name") && !json_object_get(o, "last_name") &&
                       !json_object_get(o, "first_name"))
                        ? "organization"
                        : "person"));
    const char *pc = col(m, r, "postal_code", NULL), *city = col(m, r, "city", NULL),
               *country = col(m, r, "country", NULL), *line1 = col(m, r, "line1", NULL);
    if (pc || city || country || line1) {
        json_t *a = json_object();
        if (line1)
            json_object_set_new(a, "line1", json_string(line1));
        if (pc)
            json_object_set_new(a, "postal_code", json_string(pc));
        if (city)
            json_object_set_new(a, "city", json_string(city));
        if (country) {
            const char *iso = country_iso(country);
            json_object_set_new(a, "country", json_string(iso ? iso : country));
        }
        json_object_set_new(o, "addresses", json_pack("[o]", a));
    }
    if (ru->source_id)
        json_object_set_new(o, "source",
                            json_pack("{s:s,s:s}", "kind",
                                      ru->o->source_kind ? ru->o->source_kind : "import", "name",
                                      ru->o->path));
    return o;
}

/* 1 when every field of in already has that value in the stored customer. */
static int same_as_stored(const json_t *in, const json_t *stored)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)in, key, v)
    {
        if (!strcmp(key, "source") || !strcmp(key, "kind"))
            continue;
        json_t *s = json_object_get(stored, key);
        if (!strcmp(key, "addresses")) {
            json_t *a = json_array_get(v, 0), *b = json_array_get(s, 0);
            const char *k2;
            json_t *v2;
            if (!b)
                return 0;
            json_object_foreach(a, k2, v2) if (!json_equal(v2, json_object_get(b, k2))) return 0;
            continue;
        }
        if (!strcmp(key, "email") || !strcmp(key, "phone"))
            continue; /* compared after normalisation below */
        if (!s || !json_equal(v, s))
            return 0;
    }
    return 1;
}

/* Loads the external ids and e-mails of the stored customers (what
 * customer_find would look up row by row). */
static int load_known(struct run *ru)
{
    struct ctx *c = ru->c;
    static const char *const sql[] = {
        "SELECT external_id, id FROM customers WHERE external_id IS NOT NULL",
        "SELECT email, customer_id FROM customer_emails ORDER BY customer_id"};
    for (int k = 0; k < 2; k++) {
        struct stmt *s = NULL;
        int rc = store_query(c->st, &s, &c->err, sql[k], "");
        if (rc)
            return rc;
        while ((rc = stmt_step(s, &c->err)) == 1)
            strmap_add(k ? &ru->by_email : &ru->by_ext, stmt_text(s, 0), stmt_int(s, 1));
        stmt_done(s);
        if (rc < 0)
            return rc;
    }
    if (ru->by_ext.oom || ru->by_email.oom)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    return 0;
}

/* Remembers the external id and e-mails of a customer written by this run. */
static void remember(struct run *ru, const json_t *in, int64_t id)
{
    const char *ext = json_string_value(json_object_get(in, "external_id"));
    const char *email = json_string_value(json_object_get(in, "email"));
    char em[255];
    if (ext && *ext)
        strmap_add(&ru->by_ext, ext, id);
    if (email && !email_normalize(email, em))
        strmap_add(&ru->by_email, em, id);
}

/* customer_find over the maps: by external id, then by normalised e-mail. */
static int64_t known(struct run *ru, const json_t *in)
{
    const char *ext = json_string_value(json_object_get(in, "external_id"));
    const char *email = json_string_value(json_object_get(in, "email"));
    int64_t id = ext && *ext ? strmap_get(&ru->by_ext, ext) : 0;
    char em[255];
    if (!id && email && !email_normalize(email, em))
        id = strmap_get(&ru->by_email, em);
    return id;
}

/* A new customer joins the batch (no savepoint: a refused row writes
 * nothing); a known one is compared with what is stored and updated when it
 * differs, in its own savepoint. */
static int import_customer(struct run *ru, const struct colmap *m, const struct csv_record *r)
{
    struct ctx *c = ru->c;
    json_t *in = customer_row(ru, m, r);
    int64_t id = known(ru, in);
    int rc = 0;
    if (id && customer_batch_holds(ru->batch, id))
        rc = customer_batch_flush(ru->batch);
    if (!rc && id) {
        rc = store_begin(c->st, &c->err);
        json_t *stored = NULL;
        if (!rc)
            rc = customer_profile(c, id, &stored);
        int same = !rc && same_as_stored(in, stored);
        json_decref(stored);
        json_object_del(in, "kind");
        if (!rc && same) {
            ru->unchanged++;
        } else if (!rc) {
            rc = customer_update(c, id, in, 0, NULL); /* no scores: not shown */
            if (!rc) {
                ru->updated++;
                remember(ru, in, id);
            }
        }
        if (rc)
            store_rollback(c->st);
        else
            rc = store_commit(c->st, &c->err);
    } else if (!rc) {
        rc = customer_batch_add(ru->batch, in, r->line, &id);
        if (!rc) {
            ru->created++;
            remember(ru, in, id);
        }
    }
    if (rc)
        problem(ru, r->line, column_of(m, c->err.field), c->err.field, c->err.msg);
    json_decref(in);
    return rc;
}

/* ----------------------------------------------------------------- orders */

struct pending {
    json_t *order; /* the order being gathered from consecutive rows */
    char id[128];
    long line;
    int bad;
    json_t *created; /* order number -> id, for numbers this run created */
};

static int flush_order(struct run *ru, struct pending *p, const struct colmap *m)
{
    int rc = 0;
    if (!p->order)
        return 0;
    if (!p->bad) {
        struct ctx *c = ru->c;
        int64_t existing = 0;
        json_t *mine = p->id[0] ? json_object_get(p->created, p->id) : NULL;
        if (mine) {
            /* the number came back after other orders: its rows join it */
            rc = order_add_lines(c, json_integer_value(mine), json_object_get(p->order, "lines"));
            if (rc)
                problem(ru, p->line, column_of(m, c->err.field), c->err.field, c->err.msg);
        } else if (p->id[0] &&
                   store_int(c->st, &existing, NULL, "SELECT id FROM orders WHERE external_id = ?",
                             "s", p->id) == 0) {
            ru->unchanged++;
        } else {
            json_t *out = NULL;
            rc = store_begin(c->st, &c->err);
            if (!rc)
                rc = order_create(c, p->order, &out);
            if (!rc)
                rc = store_commit(c->st, &c->err);
            else
                store_rollback(c->st);
            if (!rc && p->id[0])
                json_object_set(p->created, p->id, json_object_get(out, "id"));
            json_decref(out);
            if (rc)
                problem(ru, p->line, column_of(m, c->err.field), c->err.field, c->err.msg);
            else
                ru->created++;
        }
    }
    json_decref(p->order);
    p->order = NULL;
    p->id[0] = 0;
    p->bad = 0;
    return rc;
}

static int import_order_row(struct run *ru, const struct colmap *m, const struct csv_record *r,
                            struct pending *p)
{
    int colno = 0;
    const char *oid = col(m, r, "order_id", NULL);
    char clean[128] = "";
    if (oid)
        snprintf(clean, sizeof(clean), "%s", oid);
    /* consecutive rows with the same order id form one order */
    if (p->order && (!clean[0] || strcmp(clean, p->id) != 0))
        flush_order(ru, p, m);
    int line_mode =
        col(m, r, "sku", NULL) || col(m, r, "quantity", NULL) || col(m, r, "unit_price", NULL);
    struct num_opts no = {2, 0};
    struct err e = {0};
    if (!p->order) {
        json_t *o = json_object();
        p->line = r->line;
        snprintf(p->id, sizeof(p->id), "%s", clean);
        if (clean[0])
            json_object_set_new(o, "external_id", json_string(clean));
        /* an invoice number starting with C is a cancellation: a refund */
        if (clean[0] == 'C')
            json_object_set_new(o, "kind", json_string("refund"));
        const char *kind = col(m, r, "kind", NULL);
        if (kind)
            json_object_set_new(o, "kind", json_string(kind));
        const char *cust = col(m, r, "customer_external_id", &colno);
        if (cust) {
            char cid[128];
            if (num_clean_id(cid, sizeof(cid), cust, &e)) {
                problem(ru, r->line, colno, "customer_external_id", e.msg);
                p->bad = 1;
            } else {
                json_object_set_new(o, "customer_external_id", json_string(cid));
            }
        }
        const char *email = col(m, r, "email", NULL);
        if (email)
            json_object_set_new(o, "email", json_string(email));
        const char *date = col(m, r, "order_date", &colno);
        int64_t t;
        if (date) {
            if (num_parse_date(&t, date, NUM_DMY, &e)) {
                problem(ru, r->line, colno, "order_date", e.msg);
                p->bad = 1;
            } else {
                char ts[TIME_BUF];
                json_object_set_new(o, "ordered_at", json_string(time_format(t, ts, sizeof(ts))));
            }
        }
        const char *cur = col(m, r, "currency", NULL);
        cur = cur ? cur : ru->o->currency;
        if (cur)
            json_object_set_new(o, "currency", json_string(cur));
        const char *country = country_iso(col(m, r, "country", NULL));
        if (country)
            json_object_set_new(o, "country", json_string(country));
        const char *ch = col(m, r, "channel", NULL), *store = col(m, r, "store", NULL);
        if (ch)
            json_object_set_new(o, "channel", json_string(ch));
        if (store)
            json_object_set_new(o, "store", json_string(store));
        if (!line_mode) {
            const char *amount = col(m, r, "amount", &colno);
            int64_t minor;
            char ccy[NUM_CURRENCY_LEN] = "";
            if (!amount) {
                problem(ru, r->line, 0, "amount",
                        "an order needs an amount (or sku/quantity/unit_price lines)");
                p->bad = 1;
            } else if (num_parse_amount(&minor, ccy, amount, &no, &e)) {
                problem(ru, r->line, colno, "amount", e.msg);
                p->bad = 1;
            } else {
                json_object_set_new(o, "total_minor", json_integer(minor));
            }
        }
        json_object_set_new(o, "lines", json_array());
        p->order = o;
    }
    if (line_mode && !p->bad) {
        int64_t q = 0, up = 0;
        char ccy[NUM_CURRENCY_LEN] = "";
        const char *qs = col(m, r, "quantity", &colno);
        if (!qs || num_parse_int(&q, qs, &no, &e) || q == 0) {
            problem(ru, r->line, colno, "quantity",
                    qs ? (e.msg[0] ? e.msg : "must not be zero") : "missing");
            p->bad = 1;
            return 0;
        }
        const char *ps = col(m, r, "unit_price", &colno);
        if (!ps || num_parse_amount(&up, ccy, ps, &no, &e)) {
            problem(ru, r->line, colno, "unit_price", ps ? e.msg : "missing");
            p->bad = 1;
            return 0;
        }
        json_t *l =
            json_pack("{s:I,s:I}", "quantity", (json_int_t)q, "unit_price_minor", (json_int_t)up);
        const char *sku = col(m, r, "sku", NULL), *desc = col(m, r, "description", NULL);
        if (sku)
            json_object_set_new(l, "sku", json_string(sku));
        if (desc) {
            char d[201];
            text_copy(d, sizeof(d), desc);
            json_object_set_new(l, "description", json_string(d));
        }
        json_array_append_new(json_object_get(p->order, "lines"), l);
    }
    return 0;
}

/* ------------------------------------------------------------------ driver */

/* -------------------------------------------------- products, interactions */

/* A money column into key (minor units); 0, or -1 with the problem noted. */
static int money(struct run *ru, const struct colmap *m, const struct csv_record *r,
                 const char *field, json_t *o, const char *key)
{
    int colno = 0;
    const char *v = col(m, r, field, &colno);
    if (!v)
        return 0;
    int64_t minor;
    char ccy[NUM_CURRENCY_LEN] = "";
    struct num_opts no = {2, 0};
    struct err e = {0};
    if (num_parse_amount(&minor, ccy, v, &no, &e)) {
        problem(ru, r->line, colno, field, e.msg);
        return -1;
    }
    json_object_set_new(o, key, json_integer(minor));
    if (ccy[0] && !json_object_get(o, "currency"))
        json_object_set_new(o, "currency", json_string(ccy));
    return 0;
}

static int import_product(struct run *ru, const struct colmap *m, const struct csv_record *r)
{
    struct ctx *c = ru->c;
    const char *sku = col(m, r, "sku", NULL);
    const char *name = col(m, r, "name", NULL);
    if (!name)
        name = col(m, r, "description", NULL);
    json_t *o = json_object();
    if (sku)
        json_object_set_new(o, "sku", json_string(sku));
    if (name) {
        char d[201];
        text_copy(d, sizeof(d), name);
        json_object_set_new(o, "name", json_string(d));
    }
    const char *cat = col(m, r, "category", NULL);
    if (cat)
        json_object_set_new(o, "category", json_string(cat));
    const char *cur = col(m, r, "currency", NULL);
    if (cur || ru->o->currency)
        json_object_set_new(o, "currency", json_string(cur ? cur : ru->o->currency));
    int rc = 0;
    if (money(ru, m, r, "unit_price", o, "price_minor") ||
        money(ru, m, r, "price", o, "price_minor") || money(ru, m, r, "margin", o, "margin_minor"))
        rc = ERR_INVALID;
    int64_t existing = 0;
    if (!rc && sku &&
        store_int(c->st, &existing, NULL, "SELECT id FROM products WHERE sku = ?", "s", sku) == 0) {
        ru->unchanged++; /* a product is matched by its SKU */
    } else if (!rc) {
        json_t *out = NULL;
        rc = product_create(c, o, &out);
        json_decref(out);
        if (rc)
            problem(ru, r->line, column_of(m, c->err.field), c->err.field, c->err.msg);
        else
            ru->created++;
    }
    json_decref(o);
    return rc;
}

static int import_interaction(struct run *ru, const struct colmap *m, const struct csv_record *r)
{
    struct ctx *c = ru->c;
    int64_t cid = 0;
    const char *ext = col(m, r, "customer_external_id", NULL);
    if (!ext)
        ext = col(m, r, "external_id", NULL);
    int rc = customer_find(c, ext, col(m, r, "email", NULL), &cid);
    if (!rc && !cid) {
        problem(ru, r->line, 0, "customer_external_id", "no customer with this id or e-mail");
        return ERR_NOTFOUND;
    }
    json_t *o = json_pack("{s:I,s:s}", "customer_id", (json_int_t)cid, "direction", "inbound");
    static const char *const simple[] = {"channel", "direction", "subject", "body",
                                         "kind",    "outcome",   "offer",   NULL};
    for (int i = 0; simple[i]; i++) {
        const char *v = col(m, r, simple[i], NULL);
        if (v)
            json_object_set_new(o, simple[i], json_string(v));
    }
    int colno = 0;
    const char *at = col(m, r, "at", &colno);
    if (!at)
        at = col(m, r, "order_date", &colno);
    if (at) {
        int64_t t;
        struct err e = {0};
        if (num_parse_date(&t, at, NUM_DMY, &e)) {
            problem(ru, r->line, colno, "at", e.msg);
            json_decref(o);
            return ERR_INVALID;
        }
        char ts[TIME_BUF];
        json_object_set_new(o, "at", json_string(time_format(t, ts, sizeof(ts))));
    }
    json_t *out = NULL;
    if (!rc)
        rc = interaction_create(c, o, &out);
    json_decref(out);
    json_decref(o);
    if (rc)
        problem(ru, r->line, column_of(m, c->err.field), c->err.field, c->err.msg);
    else
        ru->created++;
    return rc;
}

/* Rows of one kind, each in its own savepoint so a bad row is dropped alone
 * (customers see to theirs: import_customer). */
static void import_row(struct run *ru, int kind, const struct colmap *m,
                       const struct csv_record *r)
{
    struct ctx *c = ru->c;
    if (kind == 'c') {
        import_customer(ru, m, r);
        return;
    }
    store_begin(c->st, &c->err);
    int rc = kind == 'p' ? import_product(ru, m, r) : import_interaction(ru, m, r);
    if (rc)
        store_rollback(c->st);
    else
        store_commit(c->st, &c->err);
}

/* The likely duplicates among the customers this import created or
 * changed, kept for review like a scan's. */
static void check_duplicates(struct run *ru, int64_t since, json_t *report)
{
    struct dup_scan_opts d = {.only_since = since};
    json_t *res = NULL;
    if (duplicates_scan(ru->c, &d, &res) == 0) {
        json_object_set(report, "possible_duplicates", json_object_get(res, "pairs"));
        json_decref(res);
    } else {
        err_clear(&ru->c->err);
    }
}

static int write_rejects(struct run *ru, json_t *report)
{
    size_t len = 0;
    char *text = sbuf_take(&ru->rejects, &len);
    if (!text)
        return fail(ru->c, ERR_INTERNAL, "", "out of memory");
    FILE *f = fopen(ru->o->rejects_path, "wb");
    int bad = !f || fwrite(text, 1, len, f) != len;
    if (f && fclose(f))
        bad = 1;
    free(text);
    if (bad)
        return fail(ru->c, ERR_INTERNAL, "rejects", "cannot write %s", ru->o->rejects_path);
    json_object_set_new(report, "rejects_file", json_string(ru->o->rejects_path));
    return 0;
}

int import_run(struct ctx *c, const struct import_opts *o, json_t **report)
{
    int orders = o->kind && !strcmp(o->kind, "orders");
    int kind = !o->kind                           ? 0
               : orders                           ? 'o'
               : !strcmp(o->kind, "customers")    ? 'c'
               : !strcmp(o->kind, "products")     ? 'p'
               : !strcmp(o->kind, "interactions") ? 'i'
                                                  : 0;
    if (!kind)
        return fail(c, ERR_BADREQ, "kind", "import customers, orders, products or interactions");
    struct csv_reader *rd = NULL;
    int64_t started = time_now();
    int rc = o->data ? csv_open_mem(&rd, o->data, o->data_len, NULL, &c->err)
                     : csv_open_file(&rd, o->path, NULL, &c->err);
    if (rc)
        return rc;
    struct run ru = {.c = c, .o = o, .problems = json_array()};
    struct colmap m;
    struct csv_record rec;
    struct pending p = {.created = json_object()};
    int n = csv_next(rd, &rec);
    if (n <= 0) {
        rc = fail(c, ERR_INVALID, "file", "the file has no header line");
        goto out;
    }
    rc = map_headers(c, o, &rec, &m);
    if (rc)
        goto out;
    if (o->rejects_path) {
        csv_put_cell(&ru.rejects, "line", 0, 1);
        csv_put_cell(&ru.rejects, "reason", 0, 0);
        for (size_t i = 0; i < rec.nfields; i++)
            csv_put_cell(&ru.rejects, rec.fields[i], 1, 0);
        sbuf_put(&ru.rejects, "\r\n", 2);
    }
    rc = store_begin(c->st, &c->err);
    if (rc)
        goto out;
    if (kind == 'c' && o->source_kind) {
        int64_t exp = INT64_MIN;
        if (o->source_expires && time_parse(o->source_expires, &exp)) {
            store_rollback(c->st);
            rc = fail(c, ERR_BADREQ, "source-expires", "not a date");
            goto out;
        }
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO sources(kind, name, terms, expires_at, created_at) VALUES (?, "
                       "?, ?, ?, ?) ON CONFLICT(kind, name) DO NOTHING",
                       "sssIi", o->source_kind, o->path, o->source_terms, exp, time_now());
        ru.source_id = 1;
    }
    if (!rc && kind == 'c')
        rc = customer_batch_new(c, o->path, IMPORT_BATCH, &ru.batch);
    if (!rc && kind == 'c')
        rc = load_known(&ru);
    if (rc) {
        store_rollback(c->st);
        goto out;
    }
    long since = 0, total_lines = 0;
    for (size_t i = 0; o->data && i < o->data_len; i++)
        total_lines += o->data[i] == '\n';
    while (!rc && (ru.cur = NULL, n = csv_next(rd, &rec)) != 0) {
        if (n < 0 && n != CSV_ERAGGED) {
            const struct csv_error *ce = csv_error(rd);
            problem(&ru, ce->line, ce->column, "", ce->msg);
            if (n == CSV_EIO || n == CSV_EQUOTE || n == CSV_ENOMEM)
                break;
            continue;
        }
        ru.rows++;
        ru.cur = &rec;
        if (n == CSV_ERAGGED) {
            problem(&ru, rec.line, 0, "", csv_error(rd)->msg);
            continue;
        }
        if (orders)
            import_order_row(&ru, &m, &rec, &p);
        else
            import_row(&ru, kind, &m, &rec);
        if (o->progress && ++since >= (o->data ? 2000 : 50000)) {
            /* a file's row count is unknown ahead (gzip): rows, not a fraction;
             * text in memory has its lines counted */
            char stage[64];
            since = 0;
            snprintf(stage, sizeof(stage), "%s: %ld rows", o->kind, ru.rows);
            o->progress(stage, total_lines ? (double)ru.rows / (double)total_lines : -1,
                        o->progress_arg);
        }
    }
    ru.cur = NULL;
    if (orders)
        flush_order(&ru, &p, &m);
    if (ru.batch && !rc && (rc = customer_batch_flush(ru.batch))) {
        store_rollback(c->st);
        goto out;
    }
    int failed = ru.rejected > 0 && !o->skip_bad;
    if (o->dry_run || failed) {
        store_rollback(c->st);
    } else {
        rc = store_commit(c->st, &c->err);
    }
    if (o->progress)
        o->progress(o->kind, 1.0, o->progress_arg);
    *report = json_pack("{s:I,s:I,s:I,s:I,s:I,s:O,s:b,s:b}", "rows", (json_int_t)ru.rows, "created",
                        (json_int_t)ru.created, "updated", (json_int_t)ru.updated, "unchanged",
                        (json_int_t)ru.unchanged, "rejected", (json_int_t)ru.rejected, "problems",
                        ru.problems, "dry_run", o->dry_run, "written", !o->dry_run && !failed);
    if (!rc && kind == 'c' && !o->dry_run && !failed && !o->no_duplicates &&
        ru.created + ru.updated > 0)
        check_duplicates(&ru, started, *report);
    if (!rc && o->rejects_path && ru.rejected)
        rc = write_rejects(&ru, *report);
    if (!rc && failed)
        rc = fail(c, ERR_INVALID, "file",
                  "%ld row(s) rejected: nothing was imported (use --skip-bad to import the good "
                  "rows)",
                  ru.rejected);
out:
    customer_batch_free(ru.batch);
    strmap_free(&ru.by_ext);
    strmap_free(&ru.by_email);
    sbuf_free(&ru.rejects);
    json_decref(ru.problems);
    json_decref(p.order);
    json_decref(p.created);
    csv_close(rd);
    return rc;
}
