/*
 * Demo data of the service desk and knowledge base: a business-hours
 * calendar with French holidays, SLA policies, two teams, knowledge-base
 * articles in French and English, and tickets of every kind and status on
 * the first customers, all through the services (so events, audit and SLA
 * clocks are the real ones).
 */
#include <stdio.h>
#include <string.h>

#include "app/kb.h"
#include "app/sla.h"
#include "app/tickets.h"
#include "store/store.h"

static int make(struct ctx *c, int (*fn)(struct ctx *, const json_t *, json_t **), json_t *in,
                int64_t *id)
{
    json_t *out = NULL;
    int rc = fn(c, in, &out);
    if (!rc && id)
        *id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    json_decref(in);
    return rc;
}

static const struct {
    const char *title, *lang, *cat, *vis, *body;
} articles[] = {
    {"Colis perdu ou jamais reçu", "fr", "Livraison", "public",
     "Si votre colis n’est pas arrivé 5 jours ouvrés après la date prévue, contactez-nous : nous "
     "ouvrons une enquête auprès du transporteur et renvoyons la commande si elle est perdue."},
    {"Délai de remboursement", "fr", "Retours et remboursements", "public",
     "Le remboursement est effectué sous 14 jours après réception du colis retourné, sur le "
     "moyen de paiement utilisé lors de la commande."},
    {"Refund delay", "en", "Retours et remboursements", "public",
     "Refunds are issued within 14 days of receiving the returned parcel, to the payment method "
     "used for the order."},
    {"Lost or missing parcel", "en", "Livraison", "public",
     "If your parcel has not arrived 5 working days after the expected date, contact us: we open "
     "an inquiry with the carrier and send the order again if it is lost."},
    {"Réinitialiser son mot de passe", "fr", "Compte client", "public",
     "Sur la page de connexion, choisissez « Mot de passe oublié » : un lien valable une heure "
     "vous est envoyé par e-mail."},
    {"Geste commercial : règles internes", "fr", "Retours et remboursements", "internal",
     "Un bon d’achat de 10 % peut être proposé sans validation ; au-delà de 50 euros, l’accord du "
     "responsable d’équipe est requis."},
};

static const struct {
    const char *kind, *priority, *channel, *subject, *body, *reply, *status;
} tickets[] = {
    {"complaint", "high", "email", "Colis jamais arrivé",
     "Bonjour, ma commande devait arriver lundi et je n’ai toujours rien reçu.", NULL, NULL},
    {"assistance", "normal", "phone", "Mot de passe oublié",
     "Je n’arrive plus à me connecter à mon compte.",
     "Vous pouvez le réinitialiser depuis la page de connexion, un lien vous est envoyé.",
     "resolved"},
    {"information", "low", "web", "Horaires du magasin de Lyon",
     "Quels sont les horaires d’ouverture le dimanche ?", NULL, NULL},
    {"complaint", "urgent", "email", "Produit reçu abîmé",
     "Le flacon était cassé à l’ouverture du colis.",
     "Pouvez-vous nous envoyer une photo du produit et de l’emballage ?", "waiting"},
    {"support", "normal", "chat", "Code promo refusé",
     "Le code BIENVENUE ne fonctionne pas sur ma commande.", NULL, NULL},
    {"complaint", "normal", "mail", "Remboursement non reçu",
     "J’ai renvoyé mon article il y a trois semaines et je ne suis toujours pas remboursé.",
     "Votre remboursement a été émis ce jour, il apparaîtra sous 3 jours.", "resolved"},
    {"information", "normal", "email", "Delivery to the UK",
     "Do you ship to London, and how long does it take?", NULL, NULL},
    {"assistance", "high", "phone", "Changer l’adresse de livraison",
     "Je viens de commander mais l’adresse est erronée.",
     "C’est corrigé, le colis partira à la nouvelle adresse.", "open"},
};

int service_demo_seed(struct ctx *c)
{
    int64_t cal = 0, front = 0, level2 = 0, cats[3] = {0, 0, 0}, n = 0;
    int rc = store_int(c->st, &n, &c->err, "SELECT COUNT(*) FROM customers", "");
    if (rc || n < (int64_t)(sizeof(tickets) / sizeof(tickets[0])))
        return rc;
    json_t *week = json_pack("[s,s]", "09:00", "18:00");
    rc = make(c, sla_calendar_create,
              json_pack("{s:s,s:i,s:{s:O,s:O,s:O,s:O,s:O},s:[s,s,s,s,s,s,s,s,s,s,s]}", "name",
                        "Bureau Paris", "tz_offset_minutes", 60, "hours", "mon", week, "tue", week,
                        "wed", week, "thu", week, "fri", week, "holidays", "2026-11-11",
                        "2026-12-25", "2027-01-01", "2027-04-05", "2027-05-01", "2027-05-08",
                        "2027-05-13", "2027-05-24", "2027-07-14", "2027-08-15", "2027-11-01"),
              &cal);
    json_decref(week);
    if (!rc) /* equally specific policies: the newest wins, so urgent last */
        rc = make(c, sla_policy_create,
                  json_pack("{s:s,s:s,s:i,s:i,s:I}", "name", "Réclamations", "kind", "complaint",
                            "first_response_minutes", 120, "resolution_minutes", 960, "calendar_id",
                            (json_int_t)cal),
                  NULL);
    if (!rc)
        rc = make(c, sla_policy_create,
                  json_pack("{s:s,s:s,s:i,s:i,s:I}", "name", "Urgent", "priority", "urgent",
                            "first_response_minutes", 30, "resolution_minutes", 240, "calendar_id",
                            (json_int_t)cal),
                  NULL);
    if (!rc)
        rc = make(c, sla_policy_create,
                  json_pack("{s:s,s:i,s:i,s:I}", "name", "Standard", "first_response_minutes", 480,
                            "resolution_minutes", 2700, "calendar_id", (json_int_t)cal),
                  NULL);
    if (!rc)
        rc = make(c, team_create, json_pack("{s:s}", "name", "Niveau 2"), &level2);
    if (!rc)
        rc = make(c, team_create,
                  json_pack("{s:s,s:s,s:I}", "name", "Service client", "assignment", "round_robin",
                            "escalation_team_id", (json_int_t)level2),
                  &front);
    /* the demo's support and manager users, when they exist, share the queue */
    struct stmt *st = NULL;
    int64_t members[8];
    int nm = 0;
    if (!rc)
        rc = store_query(c->st, &st, &c->err,
                         "SELECT id FROM users WHERE role IN ('support','manager') AND active = 1 "
                         "ORDER BY id LIMIT 8",
                         "");
    while (!rc && nm < 8 && stmt_step(st, &c->err) == 1)
        members[nm++] = stmt_int(st, 0);
    stmt_done(st);
    for (int i = 0; i < nm && !rc; i++) {
        json_t *out = NULL;
        rc = team_add_member(c, front, members[i], &out);
        json_decref(out);
    }
    static const char *const cat_names[3] = {"Livraison", "Retours et remboursements",
                                             "Compte client"};
    for (int i = 0; i < 3 && !rc; i++)
        rc = make(c, kb_category_create, json_pack("{s:s}", "name", cat_names[i]), &cats[i]);
    for (size_t i = 0; i < sizeof(articles) / sizeof(articles[0]) && !rc; i++) {
        int64_t cat = 0;
        for (int k = 0; k < 3; k++)
            if (!strcmp(cat_names[k], articles[i].cat))
                cat = cats[k];
        rc = make(c, kb_article_create,
                  json_pack("{s:s,s:s,s:s,s:s,s:I}", "title", articles[i].title, "body",
                            articles[i].body, "lang", articles[i].lang, "visibility",
                            articles[i].vis, "category_id", (json_int_t)cat),
                  NULL);
    }
    for (size_t i = 0; i < sizeof(tickets) / sizeof(tickets[0]) && !rc; i++) {
        int64_t id = 0;
        rc = make(c, ticket_create,
                  json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I}", "customer_id", (json_int_t)(i + 1),
                            "kind", tickets[i].kind, "priority", tickets[i].priority, "channel",
                            tickets[i].channel, "subject", tickets[i].subject, "body",
                            tickets[i].body, "team_id", (json_int_t)front),
                  &id);
        if (!rc && tickets[i].reply) {
            json_t *in =
                json_pack("{s:s,s:s}", "body", tickets[i].reply, "status", tickets[i].status);
            json_t *out = NULL;
            rc = ticket_reply(c, id, in, &out);
            json_decref(in);
            json_decref(out);
        }
    }
    return rc;
}
