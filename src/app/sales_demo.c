/*
 * Demo data for the sales pipeline and tasks (see sales.h): a B2B pipeline
 * beside the default one, deals over the first customers with a plausible
 * stage history, open and done tasks, and a company objective for the year.
 * Plain inserts, a few thousand rows: it adds well under a second to the demo.
 */
#include <stdio.h>
#include <string.h>

#include "app/sales.h"
#include "store/store.h"
#include "util/timeu.h"

#define DAY 86400

/* splitmix64: small, deterministic, good enough for demo data */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int64_t between(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next(s) % (uint64_t)(hi - lo + 1));
}

static const char *const titles[] = {
    "Renouvellement contrat annuel", "Équipement nouveau magasin",
    "Coffrets fin d'année",          "Formation des conseillères",
    "Programme fidélité entreprise", "Commande groupée CE",
    "Extension gamme soin",          "Partenariat salon",
};
static const char *const sources[] = {"web", "referral", "trade show", "phone", "campaign"};
static const char *const won_reasons[] = {"best offer", "existing relationship", "fast delivery"};
static const char *const lost_reasons[] = {"price", "competitor", "no budget", "no decision"};
static const char *const task_titles[] = {
    "Rappeler pour le devis", "Rendez-vous de présentation", "Envoyer la proposition",
    "Relancer la signature",  "Préparer la démonstration",   "Point d'avancement",
};
static const char *const task_kinds[] = {"call", "meeting", "email", "todo"};

#define PICK(s, arr) arr[next(s) % (sizeof(arr) / sizeof(arr[0]))]

static int stage_ids(struct ctx *c, int64_t pipeline, int64_t *open, int *nopen, int64_t *won,
                     int64_t *lost, int *probs)
{
    struct stmt *st = NULL;
    int rc = store_query(c->st, &st, &c->err,
                         "SELECT id, kind, probability FROM pipeline_stages WHERE pipeline_id = ? "
                         "ORDER BY position",
                         "i", pipeline);
    *nopen = 0;
    while (!rc && (rc = stmt_step(st, &c->err)) == 1) {
        const char *k = stmt_text(st, 1);
        if (!strcmp(k, "won"))
            *won = stmt_int(st, 0);
        else if (!strcmp(k, "lost"))
            *lost = stmt_int(st, 0);
        else if (*nopen < 8) {
            probs[*nopen] = (int)stmt_int(st, 2);
            open[(*nopen)++] = stmt_int(st, 0);
        }
        rc = 0;
    }
    stmt_done(st);
    return rc < 0 ? rc : 0;
}

int sales_demo_seed(struct ctx *c, uint64_t seed)
{
    uint64_t s = seed ^ 0x5A1E5ULL;
    int64_t now = time_now(), b2b = 0;
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    /* the migration dated the default pipeline by the wall clock: the demo's
     * data follows its own clock (RELATIO_NOW), so that a seed gives the
     * same database */
    rc = store_run(c->st, NULL, &c->err,
                   "UPDATE pipelines SET created_at = ?1, updated_at = ?1 WHERE is_default = 1",
                   "i", now);
    if (!rc)
        rc = store_int(c->st, &b2b, &c->err,
                       "INSERT INTO pipelines(name, currency, created_at, updated_at) VALUES "
                       "('Entreprises (B2B)', 'EUR', ?1, ?1) ON CONFLICT(name) DO UPDATE SET "
                       "updated_at = ?1 RETURNING id",
                       "i", now);
    static const struct {
        const char *name;
        int prob;
        const char *kind;
    } b2b_stages[] = {{"Découverte", 10, "open"},
                      {"Proposition", 40, "open"},
                      {"Négociation", 70, "open"},
                      {"Signé", 100, "won"},
                      {"Perdu", 0, "lost"}};
    for (int i = 0; !rc && i < 5; i++)
        rc =
            store_run(c->st, NULL, &c->err,
                      "INSERT INTO pipeline_stages(pipeline_id, position, name, probability, kind) "
                      "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                      "iisis", b2b, (int64_t)i + 1, b2b_stages[i].name, (int64_t)b2b_stages[i].prob,
                      b2b_stages[i].kind);
    /* organisations go to the B2B pipeline, persons to the default one */
    struct stmt *st = NULL;
    int64_t ids[400];
    int kinds[400], n = 0;
    if (!rc)
        rc = store_query(c->st, &st, &c->err,
                         "SELECT id, kind = 'organization' FROM customers WHERE kind IN "
                         "('person','organization') AND merged_into IS NULL ORDER BY kind = "
                         "'organization' DESC, id LIMIT 400",
                         "");
    while (!rc && n < 400 && (rc = stmt_step(st, &c->err)) == 1) {
        ids[n] = stmt_int(st, 0);
        kinds[n++] = (int)stmt_int(st, 1);
        rc = 0;
    }
    stmt_done(st);
    if (rc < 0)
        goto out;
    rc = 0;
    int64_t open[2][8], won[2] = {0, 0}, lost[2] = {0, 0};
    int nopen[2] = {0, 0}, probs[2][8];
    rc = stage_ids(c, 1, open[0], &nopen[0], &won[0], &lost[0], probs[0]);
    if (!rc)
        rc = stage_ids(c, b2b, open[1], &nopen[1], &won[1], &lost[1], probs[1]);
    if (!rc && (!nopen[0] || !nopen[1] || !won[0] || !won[1] || !lost[0] || !lost[1]))
        goto out; /* pipelines changed by hand: nothing to seed */
    for (int i = 0; !rc && i < n && i < 300; i++) {
        int p = kinds[i] ? 1 : 0;
        int64_t pid = p ? b2b : 1, cid = ids[i];
        int64_t created = now - between(&s, 5, 200) * DAY;
        int64_t expected = created + between(&s, 30, 160) * DAY;
        int64_t amount = (p ? between(&s, 2000, 60000) : between(&s, 100, 3000)) * 100;
        int roll = (int)between(&s, 0, 99), k = (int)between(&s, 0, nopen[p] - 1);
        const char *status = "open";
        int64_t stage = open[p][k], prob = probs[p][k], closed = INT64_MIN;
        const char *reason = NULL;
        if (roll < 35 && created + 20 * DAY < now) {
            int w = roll < 21;
            status = w ? "won" : "lost";
            stage = w ? won[p] : lost[p];
            prob = w ? 100 : 0;
            closed = created + between(&s, 20, (now - created) / DAY) * DAY;
            reason = w ? PICK(&s, won_reasons) : PICK(&s, lost_reasons);
        }
        char ec[16];
        date_format((int32_t)(expected / DAY), ec, sizeof(ec));
        int64_t did = 0, stage_at = closed != INT64_MIN ? closed : created + (now - created) / 2;
        rc = store_int(c->st, &did, &c->err,
                       "INSERT INTO deals(customer_id, pipeline_id, stage_id, title, amount_minor, "
                       "currency, probability, expected_close, team, source, status, "
                       "close_reason, closed_at, stage_at, created_at, updated_at) VALUES (?, ?, "
                       "?, ?, ?, 'EUR', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       "iiisiisssssIiii", cid, pid, stage, PICK(&s, titles), amount, prob, ec,
                       p ? "entreprises" : "magasins", PICK(&s, sources), status, reason, closed,
                       stage_at, created, stage_at);
        if (!rc)
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO deal_stage_history(deal_id, customer_id, at, "
                           "from_stage_id, to_stage_id, amount_minor, probability) VALUES (?, ?, "
                           "?, NULL, ?, ?, ?)",
                           "iiiiii", did, cid, created, open[p][0], amount, (int64_t)probs[p][0]);
        if (!rc && stage != open[p][0])
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO deal_stage_history(deal_id, customer_id, at, "
                           "from_stage_id, to_stage_id, amount_minor, probability, reason) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           "iiiiiiis", did, cid, stage_at, open[p][0], stage, amount, prob, reason);
        /* a follow-up task for open deals, a done one for some others */
        if (!rc && (!strcmp(status, "open") || roll % 3 == 0)) {
            int64_t due = now + between(&s, -10, 20) * DAY + between(&s, 8, 17) * 3600;
            const char *kind = PICK(&s, task_kinds);
            int done = due < now && between(&s, 0, 9) < 7;
            rc = store_run(c->st, NULL, &c->err,
                           "INSERT INTO tasks(customer_id, deal_id, kind, title, due_at, ends_at, "
                           "remind_at, team, status, done_at, created_at, updated_at) VALUES (?, "
                           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           "iissiIIssIii", cid, did, kind, PICK(&s, task_titles), due,
                           !strcmp(kind, "meeting") ? due + 3600 : INT64_MIN,
                           !strcmp(kind, "email") ? INT64_MIN : due - 900,
                           p ? "entreprises" : "magasins", done ? "done" : "open",
                           done ? due + 1800 : INT64_MIN, created, done ? due + 1800 : created);
        }
    }
    /* the company's objective for this year */
    int y, m, d;
    civil_from_days((int32_t)(now / DAY), &y, &m, &d);
    char year[8];
    snprintf(year, sizeof(year), "%04d", y);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err,
                       "INSERT INTO objectives(period, start_month, months, amount_minor, "
                       "currency, created_at, updated_at) SELECT ?1, ?2, 12, 150000000, 'EUR', ?3, "
                       "?3 WHERE NOT EXISTS (SELECT 1 FROM objectives WHERE user_id IS NULL AND "
                       "team IS NULL AND period = ?1)",
                       "sii", year, (int64_t)y * 12, now);
out:
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return store_commit(c->st, &c->err);
}
