/*
 * The demo data generator (see demo.h): a French beauty retailer with stores,
 * a web shop and a trade channel. Everything comes from one seed and one end
 * of history (time_now()), so the same options give the same bytes.
 *
 * Stages: products and sources; customers with their contact data, search
 * terms, tags and interests; orders month by month so that order ids follow
 * time; interactions, consents, contracts and flags; purchase aggregates;
 * the secondary indexes dropped for speed are rebuilt last. For speed, rows
 * go out in multi-row INSERTs inside large transactions, in bulk mode, with
 * SQLite's foreign-key checks off; a failure leaves the rows of the chunks
 * already committed (the generator is meant for a new database).
 */
#include "app/demo.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/loyalty.h"
#include "app/sales.h"
#include "app/tickets.h"
#include "store/store.h"
#include "util/text.h"
#include "util/timeu.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define DAY 86400
#define NOVAL INT64_MIN /* binds NULL through the 'I' format */

/* ------------------------------------------------------------------ random */

/* splitmix64 (Steele, Lea & Flood 2014): seeds the generators below and is
 * the per-customer stream (8 bytes of state for a million customers). */
static uint64_t splitmix64(uint64_t *x)
{
    *x += 0x9E3779B97F4A7C15ull;
    uint64_t z = *x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* xoshiro256** (Blackman & Vigna 2018): the main streams. */
struct rng {
    uint64_t s[4];
};

static void rng_init(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static double unit_of(uint64_t x)
{
    return (double)(x >> 11) * 0x1.0p-53;
}

static double rng_unit(struct rng *r)
{
    return unit_of(rng_next(r));
}

/* lo..hi inclusive */
static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static int rng_chance(struct rng *r, double p)
{
    return rng_unit(r) < p;
}

/* standard normal (Box-Muller) */
static double rng_normal(struct rng *r)
{
    double u = 1.0 - rng_unit(r), v = rng_unit(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* exponential with the given mean */
static double rng_exp(struct rng *r, double mean)
{
    return -log(1.0 - rng_unit(r)) * mean;
}

/* index i with probability w[i] / sum(w) */
static int rng_weighted(struct rng *r, const int *w, int n)
{
    int64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += w[i];
    int64_t x = rng_range(r, 0, sum - 1);
    for (int i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

/* skewed towards the start of a list ordered by frequency */
static int rng_skewed(struct rng *r, int n)
{
    double u = rng_unit(r);
    int i = (int)(u * u * n);
    return i < n ? i : n - 1;
}

#define PICK(r, a) ((a)[rng_range((r), 0, N(a) - 1)])

struct wstr {
    const char *s;
    int w;
};

static const char *rng_wstr(struct rng *r, const struct wstr *t, int n)
{
    int64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += t[i].w;
    int64_t x = rng_range(r, 0, sum - 1);
    for (int i = 0; i < n; i++) {
        if (x < t[i].w)
            return t[i].s;
        x -= t[i].w;
    }
    return t[n - 1].s;
}

#define PICKW(r, t) rng_wstr((r), (t), N(t))

/* ---------------------------------------------------------------- the data */

static const char *const fr_female[] = {
    "Marie",     "Nathalie",     "Isabelle",    "Sylvie",       "Catherine",    "Françoise",
    "Hélène",    "Valérie",      "Christine",   "Sophie",       "Sandrine",     "Stéphanie",
    "Céline",    "Véronique",    "Chantal",     "Aurélie",      "Émilie",       "Julie",
    "Camille",   "Léa",          "Manon",       "Chloé",        "Inès",         "Élodie",
    "Bénédicte", "Agnès",        "Anaïs",       "Laëtitia",     "Mélanie",      "Océane",
    "Zoé",       "Maëlle",       "Noémie",      "Gaëlle",       "Annick",       "Geneviève",
    "Josiane",   "Brigitte",     "Martine",     "Monique",      "Danièle",      "Corinne",
    "Laurence",  "Pascale",      "Emma",        "Jade",         "Louise",       "Alice",
    "Lina",      "Rose",         "Anne",        "Claire",       "Cécile",       "Béatrice",
    "Mathilde",  "Margaux",      "Clémence",    "Solène",       "Thérèse",      "Joséphine",
    "Héloïse",   "Marie-Claire", "Anne-Sophie", "Marie-Hélène", "Marie-Noëlle", "Ségolène",
    "Capucine",  "Apolline"};
static const char *const fr_male[] = {
    "Jean",     "Pierre", "Michel",      "André",         "Philippe",    "Alain",      "Jacques",
    "Bernard",  "Éric",   "Nicolas",     "Christophe",    "Laurent",     "Stéphane",   "Sébastien",
    "Frédéric", "Julien", "Thomas",      "Antoine",       "Jérôme",      "François",   "Hervé",
    "Benoît",   "Loïc",   "Gaël",        "Raphaël",       "Noël",        "Joël",       "Maël",
    "Lucas",    "Hugo",   "Louis",       "Gabriel",       "Arthur",      "Léo",        "Théo",
    "Clément",  "Maxime", "Quentin",     "Romain",        "Guillaume",   "Yves",       "Gérard",
    "Olivier",  "Régis",  "Cédric",      "Aurélien",      "Jérémy",      "Timothée",   "Baptiste",
    "Étienne",  "Rémi",   "Jean-Pierre", "Jean-François", "Pierre-Yves", "Jean-Michel"};
static const char *const fr_last[] = {
    "Martin",      "Bernard",    "Thomas",   "Petit",    "Robert",    "Richard",    "Durand",
    "Dubois",      "Moreau",     "Laurent",  "Simon",    "Michel",    "Lefèvre",    "Leroy",
    "Roux",        "David",      "Bertrand", "Morel",    "Fournier",  "Girard",     "Bonnet",
    "Dupont",      "Lambert",    "Fontaine", "Rousseau", "Vincent",   "Muller",     "Lefebvre",
    "Faure",       "André",      "Mercier",  "Blanc",    "Guérin",    "Boyer",      "Garnier",
    "Chevalier",   "François",   "Legrand",  "Gauthier", "Garcia",    "Perrin",     "Robin",
    "Clément",     "Morin",      "Nicolas",  "Henry",    "Roussel",   "Mathieu",    "Gautier",
    "Masson",      "Marchand",   "Duval",    "Denis",    "Dumont",    "Lemaire",    "Noël",
    "Meyer",       "Dufour",     "Meunier",  "Brun",     "Blanchard", "Giraud",     "Joly",
    "Rivière",     "Lucas",      "Brunet",   "Gaillard", "Barbier",   "Arnaud",     "Martinez",
    "Gérard",      "Roche",      "Renard",   "Schmitt",  "Roy",       "Leroux",     "Colin",
    "Vidal",       "Caron",      "Picard",   "Roger",    "Fabre",     "Aubert",     "Lemoine",
    "Renaud",      "Dumas",      "Lacroix",  "Olivier",  "Philippe",  "Bourgeois",  "Pierre",
    "Benoît",      "Rey",        "Leclerc",  "Payet",    "Rolland",   "Leclercq",   "Guillaume",
    "Lecomte",     "Lopez",      "Dupuy",    "Guillot",  "Hubert",    "Berger",     "Carpentier",
    "Sánchez",     "Dupuis",     "Moulin",   "Louis",    "Deschamps", "Huet",       "Vasseur",
    "Perez",       "Boucher",    "Fleury",   "Royer",    "Klein",     "Jacquet",    "Adam",
    "Poirier",     "Marty",      "Aubry",    "Guyot",    "Carré",     "Charles",    "Renault",
    "Charpentier", "Ménard",     "Maillard", "Baron",    "Bertin",    "Bailly",     "Hervé",
    "Schneider",   "Fernandez",  "Le Gall",  "Collet",   "Léger",     "Bouvier",    "Julien",
    "Prévost",     "Millet",     "Perrot",   "Daniel",   "Le Roux",   "Cousin",     "Germain",
    "Breton",      "Besson",     "Langlois", "Rémy",     "Le Goff",   "Pelletier",  "Lévêque",
    "Perrier",     "Leblanc",    "Barré",    "Lebrun",   "Marchal",   "Weber",      "Mallet",
    "Hamon",       "Boulanger",  "Jacob",    "Monnier",  "Michaud",   "Rodriguez",  "Guichard",
    "Gillet",      "Étienne",    "Grondin",  "Poulain",  "Tessier",   "Chevallier", "Collin",
    "Chauvin",     "Da Silva",   "Bouchet",  "Gay",      "Lemaître",  "Bénard",     "Maréchal",
    "Humbert",     "Reynaud",    "Antoine",  "Hoarau",   "Perret",    "Barthélemy", "Cordier",
    "Pichon",      "Lejeune",    "Gilbert",  "Lamy",     "Delaunay",  "Pasquier",   "Carlier",
    "Laporte",     "Desjardins", "Bérenger", "Château",  "Lefèbvre",  "Béranger",   "Dassé"};
static const char *const en_female[] = {
    "Emma",     "Olivia", "Sophie", "Charlotte", "Emily",     "Jessica",  "Amelia",  "Grace",
    "Lucy",     "Hannah", "Sarah",  "Rebecca",   "Elizabeth", "Victoria", "Eleanor", "Alice",
    "Isabella", "Chloe",  "Katie",  "Megan",     "Laura",     "Rachel",   "Helen",   "Margaret",
    "Susan",    "Joanne", "Claire", "Fiona",     "Harriet",   "Imogen",   "Zoe",     "Abigail"};
static const char *const en_male[] = {
    "James",   "Oliver",      "William",  "Harry",  "George",   "Jack",      "Thomas",
    "Charlie", "Edward",      "Henry",    "Daniel", "Matthew",  "David",     "Richard",
    "Michael", "Christopher", "Andrew",   "Paul",   "Mark",     "Peter",     "Robert",
    "Simon",   "Stephen",     "Benjamin", "Samuel", "Joseph",   "Alexander", "Luke",
    "Nathan",  "Owen",        "Rhys",     "Callum", "Alistair", "Hamish"};
static const char *const en_last[] = {
    "Smith",     "Jones",      "Taylor",   "Brown",    "Williams",  "Wilson",     "Johnson",
    "Davies",    "Robinson",   "Wright",   "Thompson", "Evans",     "Walker",     "White",
    "Roberts",   "Green",      "Hall",     "Wood",     "Jackson",   "Clarke",     "Patel",
    "Harris",    "Lewis",      "Young",    "Turner",   "Hill",      "Baker",      "Cooper",
    "Ward",      "Morris",     "King",     "Harrison", "Morgan",    "Allen",      "James",
    "Scott",     "Phillips",   "Watson",   "Davis",    "Parker",    "Price",      "Bennett",
    "Griffiths", "Edwards",    "Hughes",   "O'Brien",  "O'Connor",  "Murphy",     "McDonald",
    "MacLeod",   "Fitzgerald", "Ashworth", "Whitmore", "Pemberton", "Hargreaves", "Fletcher",
    "Chambers",  "Holmes",     "Marshall", "Russell",  "Campbell",  "Stewart",    "Kennedy",
    "Fraser"};

/* Cities with real postal codes (space-separated choices; for GB the
 * outward codes, an inward code is drawn). store: the nearest shop, NULL
 * where customers buy on the web. */
struct city {
    const char *name, *codes, *region, *country, *store;
    int weight;
};

static const struct city cities[] = {
    {"Paris",
     "75001 75002 75003 75004 75005 75006 75007 75008 75009 75010 75011 75012 75013 "
     "75014 75015 75016 75017 75018 75019 75020",
     "Île-de-France", "FR", "Paris Haussmann", 60},
    {"Boulogne-Billancourt", "92100", "Île-de-France", "FR", "Paris Haussmann", 6},
    {"Versailles", "78000", "Île-de-France", "FR", "Versailles", 5},
    {"Saint-Denis", "93200", "Île-de-France", "FR", "Paris Rivoli", 4},
    {"Montreuil", "93100", "Île-de-France", "FR", "Paris Rivoli", 4},
    {"Nanterre", "92000", "Île-de-France", "FR", "Paris Haussmann", 3},
    {"Créteil", "94000", "Île-de-France", "FR", "Paris Rivoli", 3},
    {"Argenteuil", "95100", "Île-de-France", "FR", "Paris Haussmann", 3},
    {"Vincennes", "94300", "Île-de-France", "FR", "Paris Rivoli", 2},
    {"Neuilly-sur-Seine", "92200", "Île-de-France", "FR", "Paris Haussmann", 2},
    {"Lyon", "69001 69002 69003 69004 69005 69006 69007 69008 69009", "Auvergne-Rhône-Alpes", "FR",
     "Lyon Part-Dieu", 18},
    {"Villeurbanne", "69100", "Auvergne-Rhône-Alpes", "FR", "Lyon Part-Dieu", 5},
    {"Grenoble", "38000 38100", "Auvergne-Rhône-Alpes", "FR", "Grenoble", 6},
    {"Saint-Étienne", "42000 42100", "Auvergne-Rhône-Alpes", "FR", "Saint-Étienne", 5},
    {"Clermont-Ferrand", "63000 63100", "Auvergne-Rhône-Alpes", "FR", "Clermont-Ferrand", 5},
    {"Annecy", "74000", "Auvergne-Rhône-Alpes", "FR", "Annecy", 4},
    {"Chambéry", "73000", "Auvergne-Rhône-Alpes", "FR", "Annecy", 2},
    {"Marseille",
     "13001 13002 13003 13004 13005 13006 13007 13008 13009 13010 13011 13012 13013 "
     "13014 13015 13016",
     "Provence-Alpes-Côte d'Azur", "FR", "Marseille Prado", 20},
    {"Nice", "06000 06100 06200 06300", "Provence-Alpes-Côte d'Azur", "FR", "Nice Masséna", 10},
    {"Toulon", "83000 83100 83200", "Provence-Alpes-Côte d'Azur", "FR", "Toulon", 5},
    {"Aix-en-Provence", "13090 13100", "Provence-Alpes-Côte d'Azur", "FR", "Aix-en-Provence", 4},
    {"Avignon", "84000", "Provence-Alpes-Côte d'Azur", "FR", "Avignon", 3},
    {"Cannes", "06400", "Provence-Alpes-Côte d'Azur", "FR", "Cannes Croisette", 3},
    {"Antibes", "06600", "Provence-Alpes-Côte d'Azur", "FR", "Cannes Croisette", 2},
    {"Toulouse", "31000 31100 31200 31300 31400 31500", "Occitanie", "FR", "Toulouse Capitole", 12},
    {"Montpellier", "34000 34070 34080 34090", "Occitanie", "FR", "Montpellier Comédie", 8},
    {"Nîmes", "30000 30900", "Occitanie", "FR", "Nîmes", 3},
    {"Perpignan", "66000 66100", "Occitanie", "FR", "Perpignan", 3},
    {"Bordeaux", "33000 33100 33200 33300 33800", "Nouvelle-Aquitaine", "FR",
     "Bordeaux Sainte-Catherine", 10},
    {"Limoges", "87000 87100", "Nouvelle-Aquitaine", "FR", "Limoges", 3},
    {"Poitiers", "86000", "Nouvelle-Aquitaine", "FR", "Poitiers", 2},
    {"La Rochelle", "17000", "Nouvelle-Aquitaine", "FR", "La Rochelle", 3},
    {"Pau", "64000", "Nouvelle-Aquitaine", "FR", "Pau", 2},
    {"Bayonne", "64100", "Nouvelle-Aquitaine", "FR", "Biarritz", 2},
    {"Bergerac", "24100", "Nouvelle-Aquitaine", "FR", NULL, 2},
    {"Sarlat-la-Canéda", "24200", "Nouvelle-Aquitaine", "FR", NULL, 1},
    {"Lille", "59000 59160 59260 59800", "Hauts-de-France", "FR", "Lille Euralille", 10},
    {"Roubaix", "59100", "Hauts-de-France", "FR", "Lille Euralille", 3},
    {"Tourcoing", "59200", "Hauts-de-France", "FR", "Lille Euralille", 2},
    {"Amiens", "80000 80080 80090", "Hauts-de-France", "FR", "Amiens", 3},
    {"Nantes", "44000 44100 44200 44300", "Pays de la Loire", "FR", "Nantes Pommeraye", 9},
    {"Angers", "49000 49100", "Pays de la Loire", "FR", "Angers", 4},
    {"Le Mans", "72000 72100", "Pays de la Loire", "FR", "Le Mans", 3},
    {"Strasbourg", "67000 67100 67200", "Grand Est", "FR", "Strasbourg Kléber", 7},
    {"Reims", "51100", "Grand Est", "FR", "Reims", 4},
    {"Metz", "57000 57050 57070", "Grand Est", "FR", "Metz", 3},
    {"Nancy", "54000 54100", "Grand Est", "FR", "Nancy", 3},
    {"Mulhouse", "68100 68200", "Grand Est", "FR", "Mulhouse", 3},
    {"Rennes", "35000 35200 35700", "Bretagne", "FR", "Rennes Colombier", 6},
    {"Brest", "29200", "Bretagne", "FR", "Brest", 3},
    {"Quimper", "29000", "Bretagne", "FR", NULL, 2},
    {"Vannes", "56000", "Bretagne", "FR", "Vannes", 2},
    {"Saint-Malo", "35400", "Bretagne", "FR", NULL, 2},
    {"Rouen", "76000 76100", "Normandie", "FR", "Rouen", 4},
    {"Le Havre", "76600 76610 76620", "Normandie", "FR", "Le Havre", 3},
    {"Caen", "14000", "Normandie", "FR", "Caen", 3},
    {"Dijon", "21000", "Bourgogne-Franche-Comté", "FR", "Dijon", 3},
    {"Besançon", "25000", "Bourgogne-Franche-Comté", "FR", "Besançon", 3},
    {"Tours", "37000 37100 37200", "Centre-Val de Loire", "FR", "Tours", 3},
    {"Orléans", "45000 45100", "Centre-Val de Loire", "FR", "Orléans", 3},
    {"Ajaccio", "20000 20090", "Corse", "FR", "Ajaccio", 2},
    {"Bastia", "20200 20600", "Corse", "FR", NULL, 1},
    {"Bruxelles", "1000 1050 1180", "Bruxelles-Capitale", "BE", "Bruxelles Louise", 5},
    {"Liège", "4000 4020", "Wallonie", "BE", NULL, 2},
    {"Namur", "5000", "Wallonie", "BE", NULL, 1},
    {"Genève", "1201 1204 1205 1206", "Genève", "CH", "Genève Rive", 3},
    {"Lausanne", "1003 1004 1006", "Vaud", "CH", NULL, 2},
    {"London", "SW3 SW7 NW1 NW3 W8 W11 E1 SE1 N1", "England", "GB", NULL, 6},
    {"Manchester", "M1 M4 M20", "England", "GB", NULL, 2},
    {"Bristol", "BS1 BS8", "England", "GB", NULL, 1},
    {"Brighton", "BN1 BN2", "England", "GB", NULL, 1},
    {"Oxford", "OX1 OX2", "England", "GB", NULL, 1},
    {"Edinburgh", "EH1 EH3 EH10", "Scotland", "GB", NULL, 1},
    {"Berlin", "10115 10117 10178", "Berlin", "DE", NULL, 2},
    {"München", "80331 80333", "Bayern", "DE", NULL, 1},
    {"Hamburg", "20095", "Hamburg", "DE", NULL, 1},
    {"Köln", "50667", "Nordrhein-Westfalen", "DE", NULL, 1},
    {"Madrid", "28001 28004 28010", "Comunidad de Madrid", "ES", NULL, 2},
    {"Barcelona", "08001 08007 08010", "Cataluña", "ES", NULL, 2},
    {"Valencia", "46001", "Comunitat Valenciana", "ES", NULL, 1},
};

static const char *const fr_street_types[] = {"rue",   "rue",   "rue",     "avenue", "boulevard",
                                              "place", "allée", "impasse", "chemin", "quai"};
static const char *const fr_street_names[] = {
    "de la République", "Victor Hugo",    "Jean Jaurès",
    "de la Paix",       "Pasteur",        "du Général de Gaulle",
    "Gambetta",         "de la Gare",     "des Lilas",
    "Émile Zola",       "du Château",     "des Écoles",
    "Saint-Michel",     "Foch",           "Carnot",
    "de Verdun",        "de la Liberté",  "du Moulin",
    "des Acacias",      "Molière",        "Voltaire",
    "Jules Ferry",      "de l'Église",    "Anatole France",
    "des Tilleuls",     "Sadi Carnot",    "du Marché",
    "des Peupliers",    "Gustave Eiffel", "Louise Michel",
    "Aristide Briand",  "de la Fontaine", "des Vignes",
    "du Port",          "Marcel Pagnol"};
static const char *const fr_line2[] = {
    "Appartement 12",    "Bâtiment B",    "Résidence Les Pins",   "Escalier C, 3e étage",
    "Résidence du Parc", "Appartement 4", "Lieu-dit Les Granges", "Chez Mme Martin"};
static const char *const gb_streets[] = {
    "High Street", "Church Road", "Station Road", "Victoria Road", "Green Lane",
    "Manor Road",  "Park Avenue", "Queen's Road", "King Street",   "Mill Lane"};
static const char *const de_streets[] = {"Hauptstraße",   "Schillerstraße", "Goethestraße",
                                         "Bahnhofstraße", "Lindenstraße",   "Gartenstraße"};
static const char *const es_streets[] = {"Calle Mayor",   "Avenida de la Constitución",
                                         "Calle del Sol", "Paseo de la Castellana",
                                         "Calle Real",    "Plaza de España"};

static const struct wstr person_domains[] = {{"example.fr", 30},      {"example.com", 20},
                                             {"mail.example.fr", 15}, {"example.net", 10},
                                             {"example.org", 5},      {"courriel.example.fr", 8},
                                             {"boite.example.fr", 7}, {"webmail.example.com", 5}};
static const struct wstr english_domains[] = {
    {"example.com", 40}, {"example.net", 30}, {"example.org", 20}, {"mail.example.com", 10}};

/* Occupation categories (INSEE CSP) and the income band they start from. */
static const char *const csp[] = {"agriculteur exploitant",
                                  "artisan, commerçant, chef d'entreprise",
                                  "cadre, profession intellectuelle supérieure",
                                  "profession intermédiaire",
                                  "employé",
                                  "ouvrier",
                                  "retraité",
                                  "étudiant",
                                  "sans activité professionnelle"};
static const int csp_weight[] = {15, 65, 200, 250, 280, 120, 0, 0, 70};
static const int csp_income[] = {1, 2, 3, 2, 1, 1, 2, 0, 0};
static const char *const income_bands[] = {"low", "lower_middle", "middle", "upper_middle", "high"};

static const struct wstr person_tags[] = {
    {"newsletter", 10}, {"jeu-concours", 4}, {"parrainage", 3},     {"peau sensible", 5},
    {"bio", 5},         {"ambassadrice", 1}, {"carte fidélité", 8}, {"salon beauté 2025", 2},
    {"cadeau", 3},      {"à relancer", 3},   {"client mystère", 1}};
static const char *const interests[] = {
    "parfums floraux", "parfums boisés", "soins bio", "maquillage", "soins anti-âge",
    "coiffure",        "bien-être",      "spa",       "mode",       "cuisine",
    "voyages",         "sport",          "yoga",      "jardinage",  "lecture",
    "cinéma",          "musique",        "art",       "décoration", "randonnée"};

/* Organisations: what they are and their NAF (APE) activity code. */
static const struct orgtype {
    const char *label, *naf;
    int cat; /* the product category they buy most */
    int weight;
} orgtypes[] = {
    {"Pharmacie", "47.73Z", 1, 20},
    {"Parapharmacie", "47.75Z", 1, 8},
    {"Parfumerie", "47.75Z", 0, 14},
    {"Institut de beauté", "96.02B", 1, 18},
    {"Salon de coiffure", "96.02A", 3, 16},
    {"Spa", "96.04Z", 4, 6},
    {"Hôtel", "55.10Z", 4, 6},
    {"Boutique", "47.71Z", 5, 8},
    {"Salle de sport", "93.13Z", 4, 4},
};
static const char *const org_suffixes[] = {
    "du Centre",    "de la Gare", "des Halles", "du Marché", "de la Place",
    "Belle Époque", "Sérénité",   "L'Éclat",    "Harmonie",  "Lumière",
    "Les Tilleuls", "Bel Air",    "Zen",        "du Parc",   "Saint-Honoré"};

/* Products: 7 categories x 5 ranges x 3 tiers x 2 formats = 210. */
#define NCAT 7
#define NRANGE 5
#define NPRODUCTS (NCAT * NRANGE * 3 * 2)
static const struct category {
    const char *key, *sku;
    double margin; /* share of the price */
    const char *ranges[NRANGE];
    const char *formats[6]; /* tier 1, 1, 2, 2, 3, 3 */
    int prices[6];          /* cents, before the range factor */
} categories[NCAT] = {
    {"perfume",
     "PRF",
     0.45,
     {"Éclat de Rose", "Bois d'Ambre", "Fleur d'Oranger", "Vétiver Noir", "Iris Poudré"},
     {"Eau de Cologne 50 ml", "Brume parfumée 100 ml", "Eau de Toilette 50 ml",
      "Eau de Toilette 100 ml", "Eau de Parfum 50 ml", "Extrait de Parfum 30 ml"},
     {2900, 2400, 4900, 6900, 7900, 12000}},
    {"skincare",
     "SKN",
     0.60,
     {"Hydra Source", "Éclat Vital", "Peau Neuve", "Jeunesse Absolue", "Pureté Marine"},
     {"Gel nettoyant 150 ml", "Lotion tonique 200 ml", "Crème hydratante 50 ml",
      "Sérum éclat 30 ml", "Crème anti-âge 50 ml", "Soin yeux 15 ml"},
     {1400, 1600, 3200, 4500, 7500, 5800}},
    {"makeup",
     "MKP",
     0.55,
     {"Teint Lumière", "Regard Intense", "Lèvres Velours", "Nude Naturel", "Soirée Étoilée"},
     {"Crayon yeux", "Gloss", "Mascara volume", "Rouge à lèvres", "Fond de teint", "Palette yeux"},
     {1200, 1400, 2400, 2700, 4200, 5500}},
    {"haircare",
     "HAR",
     0.50,
     {"Kératine Pro", "Argan Douceur", "Volume Aérien", "Boucles Définies", "Couleur Éclat"},
     {"Shampooing 250 ml", "Après-shampooing 200 ml", "Masque 200 ml", "Huile cheveux 100 ml",
      "Soin réparateur 100 ml", "Sérum pointes 50 ml"},
     {900, 1100, 1900, 2400, 3400, 3900}},
    {"bodycare",
     "BDY",
     0.50,
     {"Fleur de Coton", "Lait d'Amande", "Monoï des Îles", "Verveine Citron", "Karité Nourrissant"},
     {"Gel douche 250 ml", "Savon 100 g", "Lait corps 200 ml", "Gommage 200 ml",
      "Huile sèche 100 ml", "Crème corps 200 ml"},
     {800, 600, 1800, 2100, 3600, 4400}},
    {"gifts",
     "GFT",
     0.40,
     {"Noël Enchanté", "Fête des Mères", "Saint-Valentin", "Évasion", "Collection Privée"},
     {"Coffret découverte", "Trousse voyage", "Coffret duo", "Coffret soin", "Coffret prestige",
      "Calendrier de l'Avent"},
     {2500, 1900, 5900, 6900, 12900, 9900}},
    {"men",
     "MEN",
     0.50,
     {"Homme Boisé", "Sport Fraîcheur", "Barbier Classique", "Cuir Épicé", "Océan Bleu"},
     {"Gel de rasage 150 ml", "Déodorant 150 ml", "Baume après-rasage 100 ml",
      "Eau de Toilette 50 ml", "Eau de Parfum 100 ml", "Soin visage 50 ml"},
     {900, 800, 2200, 4500, 8500, 4800}},
};
static const double range_factor[NRANGE] = {0.9, 1.0, 1.1, 1.2, 1.35};

/* Where records come from (seed 002: internal sources and rented files). */
enum { SRC_INTERNAL, SRC_STORE, SRC_WEB, SRC_NEWSLETTER, SRC_CONTEST, SRC_GUEST, SRC_RENTED, NSRC };
static const struct source {
    const char *kind, *name, *terms, *consent_source;
} sources[NSRC] = {
    {"internal", "Reprise de la base clients historique", NULL, "base historique"},
    {"store", "Caisses des magasins", NULL, "magasin"},
    {"web", "Création de compte sur le site", NULL, "formulaire web"},
    {"web", "Inscription à la newsletter", NULL, "formulaire newsletter"},
    {"form", "Jeu-concours de printemps", NULL, "bulletin jeu-concours"},
    {"web", "Commandes sans compte", NULL, "tunnel de commande"},
    {"rented", "Fichier loué – abonnées d'un magazine beauté",
     "Location pour une campagne de prospection par e-mail : usage unique, ni revente ni "
     "cession ; les contacts non convertis sont supprimés à l'expiration.",
     "fichier loué"},
};

static const char *const person_offers[] = {
    "Carte Fidélité Premium", "Abonnement Box Beauté", "Coffret Prestige Noël",
    "Offre parrainage",       "Soin visage offert",    "Livraison offerte illimitée"};
static const char *const org_offers[] = {"Contrat professionnel – remise revendeur",
                                         "Présentoir nouvelle collection",
                                         "Formation produits en boutique"};
static const char *const cancel_reasons[] = {"Trop cher",
                                             "Ne l'utilise plus",
                                             "Déménagement",
                                             "Insatisfaite du service client",
                                             "Trouvé moins cher ailleurs",
                                             "Les produits ne conviennent pas",
                                             "Difficultés financières"};

/* What a touchpoint needs from the customer. */
enum {
    NEED_EMAIL = 1,      /* an e-mail address */
    NEED_PHONE = 2,      /* a phone */
    NEED_ADDR = 4,       /* a postal address */
    NEED_BUYER = 8,      /* at least one order; dated after the first */
    NEED_ORG = 16,       /* organisations only */
    NEED_B2C = 32,       /* persons and guests only */
    NEED_MKT_EMAIL = 64, /* e-mail marketing consent in force at the time */
    NEED_MKT_SMS = 128,  /* SMS marketing consent in force at the time */
};
enum { BODY_FIXED, BODY_PRODUCT, BODY_SCORE };

static const struct touch {
    const char *channel, *direction, *kind, *subject, *body;
    int body_kind;
    const char *outcomes[5]; /* drawn uniformly; "-" is no outcome */
    int offer;               /* names an offer: 1 when the outcome is about one, 2 always */
    unsigned need;
    int weight;
} touches[] = {
    {"web",
     "inbound",
     "visit",
     "Visite du site",
     "Fiche produit consultée : ",
     BODY_PRODUCT,
     {"-"},
     0,
     0,
     14},
    {"web",
     "inbound",
     "request",
     "Demande de rappel",
     "Rappel demandé au sujet de : ",
     BODY_PRODUCT,
     {"callback_requested"},
     0,
     NEED_PHONE,
     2},
    {"web",
     "inbound",
     "survey",
     "Enquête de satisfaction",
     "Note de recommandation : ",
     BODY_SCORE,
     {"completed"},
     0,
     NEED_BUYER,
     3},
    {"email",
     "outbound",
     "email",
     "Newsletter",
     "Les nouveautés du mois : ",
     BODY_PRODUCT,
     {"-"},
     0,
     NEED_EMAIL | NEED_MKT_EMAIL,
     14},
    {"email",
     "outbound",
     "email",
     "Offre personnalisée",
     "Une offre pensée pour vous : ",
     BODY_PRODUCT,
     {"offer_accepted", "offer_refused", "not_interested", "-", "-"},
     1,
     NEED_EMAIL | NEED_MKT_EMAIL | NEED_B2C,
     5},
    {"email",
     "inbound",
     "email",
     "Question sur une commande",
     "Bonjour, je n'ai pas encore reçu ma commande, pouvez-vous me dire où elle en est ?",
     BODY_FIXED,
     {"information_given"},
     0,
     NEED_EMAIL | NEED_BUYER,
     3},
    {"phone",
     "outbound",
     "call",
     "Appel de courtoisie",
     "Appel de suivi après achat.",
     BODY_FIXED,
     {"completed", "no_answer", "voicemail", "offer_refused", "offer_accepted"},
     1,
     NEED_PHONE | NEED_BUYER | NEED_B2C,
     4},
    {"phone",
     "inbound",
     "call",
     "Conseil produit",
     "Demande de conseil sur : ",
     BODY_PRODUCT,
     {"information_given"},
     0,
     NEED_PHONE,
     3},
    {"sms",
     "outbound",
     "sms",
     "Offre SMS",
     "-20 % ce week-end sur : ",
     BODY_PRODUCT,
     {"-"},
     0,
     NEED_PHONE | NEED_MKT_SMS,
     6},
    {"mail",
     "outbound",
     "letter",
     "Catalogue",
     "Envoi du catalogue de saison.",
     BODY_FIXED,
     {"-"},
     0,
     NEED_ADDR,
     4},
    {"mail",
     "outbound",
     "letter",
     "Bon d'anniversaire",
     "Bon de réduction de 10 € valable un mois pour votre anniversaire.",
     BODY_FIXED,
     {"-"},
     0,
     NEED_ADDR | NEED_B2C,
     2},
    {"store",
     "inbound",
     "visit",
     "Conseil en magasin",
     "Conseil beauté avec une conseillère : ",
     BODY_PRODUCT,
     {"offer_accepted", "offer_refused", "information_given", "information_given"},
     1,
     NEED_B2C,
     6},
    {"store",
     "inbound",
     "interest",
     "Intérêt pour une offre",
     "S'est renseignée en magasin sur l'offre.",
     BODY_FIXED,
     {"-"},
     2,
     NEED_B2C,
     3},
    {"call_center",
     "inbound",
     "complaint",
     "Colis endommagé",
     "Le colis est arrivé abîmé, un flacon était cassé.",
     BODY_FIXED,
     {"completed", "completed", "callback_requested", "escalated"},
     0,
     NEED_BUYER,
     2},
    {"call_center",
     "inbound",
     "complaint",
     "Retard de livraison",
     "Commande toujours pas livrée après dix jours.",
     BODY_FIXED,
     {"completed", "completed", "callback_requested", "escalated"},
     0,
     NEED_BUYER,
     2},
    {"call_center",
     "inbound",
     "complaint",
     "Produit non conforme",
     "Le produit reçu ne correspond pas à la commande.",
     BODY_FIXED,
     {"completed", "completed", "escalated"},
     0,
     NEED_BUYER,
     1},
    {"call_center",
     "inbound",
     "request",
     "Modification des coordonnées",
     "Demande de mise à jour de l'adresse postale.",
     BODY_FIXED,
     {"completed"},
     0,
     0,
     2},
    {"call_center",
     "outbound",
     "call",
     "Proposition d'adhésion",
     "Proposition d'adhésion au programme de fidélité.",
     BODY_FIXED,
     {"offer_refused", "offer_accepted", "not_interested", "no_answer"},
     1,
     NEED_PHONE | NEED_B2C,
     3},
    {"chat",
     "inbound",
     "chat",
     "Aide au choix",
     "Aide au choix d'un produit : ",
     BODY_PRODUCT,
     {"information_given"},
     0,
     0,
     4},
    {"chat",
     "inbound",
     "request",
     "Suivi de commande",
     "Où en est ma commande ?",
     BODY_FIXED,
     {"information_given"},
     0,
     NEED_BUYER,
     2},
    {"social",
     "inbound",
     "note",
     "Avis sur les réseaux sociaux",
     "Avis publié sur notre page : très satisfaite du conseil en magasin !",
     BODY_FIXED,
     {"completed", "-"},
     0,
     NEED_B2C,
     2},
    {"social",
     "inbound",
     "complaint",
     "Réclamation sur les réseaux sociaux",
     "Message privé : remboursement toujours pas reçu.",
     BODY_FIXED,
     {"completed", "callback_requested", "escalated"},
     0,
     NEED_BUYER,
     1},
    {"social",
     "outbound",
     "note",
     "Réponse à un avis",
     "Merci pour votre retour !",
     BODY_FIXED,
     {"-"},
     0,
     0,
     1},
    {"phone",
     "outbound",
     "call",
     "Point commercial",
     "Point trimestriel avec l'acheteur.",
     BODY_FIXED,
     {"completed", "offer_refused", "offer_accepted", "voicemail"},
     1,
     NEED_PHONE | NEED_ORG,
     8},
    {"email",
     "outbound",
     "email",
     "Proposition commerciale",
     "Tarifs professionnels de la nouvelle collection.",
     BODY_FIXED,
     {"offer_accepted", "offer_refused", "-"},
     1,
     NEED_EMAIL | NEED_ORG,
     5},
};

/* Secondary indexes dropped while loading and built at the end, with the
 * statements of the migration, word for word (the unit test compares them):
 * SQLite builds an index from a sorted scan faster than it maintains it row
 * by row, and most of these are filled in random key order. Not
 * order_lines_product: its 210 keys each grow at one leaf, cheaper kept live
 * than sorting 26M entries at a million customers. */
static const struct lazy_index {
    const char *name, *create;
} lazy_indexes[] = {
    {"customers_email", "CREATE INDEX customers_email ON customers(email)"},
    {"customers_phone", "CREATE INDEX customers_phone ON customers(phone)"},
    {"customers_last_order", "CREATE INDEX customers_last_order ON customers(last_order_at)"},
    {"customer_terms_customer",
     "CREATE INDEX customer_terms_customer ON customer_terms(customer_id)"},
    {"customer_emails_email", "CREATE INDEX customer_emails_email ON customer_emails(email)"},
    {"customer_phones_phone", "CREATE INDEX customer_phones_phone ON customer_phones(phone)"},
    {"interactions_customer_at",
     "CREATE INDEX interactions_customer_at ON interactions(customer_id, at)"},
    {"orders_timeline", "CREATE INDEX orders_timeline ON orders(customer_id, ordered_at, kind, "
                        "status, total_minor, currency, channel, store, external_id)"},
    {"orders_at", "CREATE INDEX orders_at ON orders(ordered_at)"},
    {"order_lines_order", "CREATE INDEX order_lines_order ON order_lines(order_id)"},
};

/* ------------------------------------------------------------- the season */

/* Orders per day relative to the mean: Christmas and Black Friday peaks, a
 * summer dip, busy Saturdays. Mother's day (end of May) lifts May. */
static const double month_factor[12] = {0.85, 0.85, 0.9, 0.9, 1.05, 0.95,
                                        0.75, 0.6,  0.9, 1.0, 1.3,  2.0};
static const double weekday_factor[7] = {0.55, 0.8, 0.95, 1.0, 1.0, 1.15, 1.55}; /* Sun..Sat */

static double season_of_day(int64_t day)
{
    int yy, mm, dd;
    civil_from_days((int32_t)day, &yy, &mm, &dd);
    double f = month_factor[mm - 1];
    if (mm == 12 && dd > 24)
        f = 0.8;
    else if (mm == 11 && dd >= 20)
        f *= 1.4;
    int wd = (int)(((day % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    return f * weekday_factor[wd];
}

/* --------------------------------------------------------------- the state */

enum { K_PERSON, K_ORG, K_GUEST };
enum { CH_STORE, CH_WEB, CH_PHONE };
enum {
    F_EMAIL = 1,
    F_PHONE = 2,
    F_ADDR = 4,
    F_ORDERED = 8, /* has an order row, whatever its status */
    F_FEMALE = 16,
};

/* One customer while generating: its profile, its own random stream for the
 * purchase process, and its purchase aggregates. */
struct cust {
    int64_t created_at;
    int64_t next_at; /* time of its next order, INT64_MAX when none */
    int64_t end_at;  /* buys nothing after this (churn) */
    double raw_at;   /* position of its purchase process */
    double rate;     /* weight, then orders per second at a season of 1 */
    uint64_t rs;     /* its own splitmix64 stream */
    int64_t revenue, first_at, last_at, any_at;
    int32_t count;
    int16_t city; /* index in cities, -1 without address */
    uint8_t kind, tier, cat1, cat2, chan, flags, source;
};

struct product {
    char sku[16], name[96];
    int cat, range, tier;
    int64_t price, margin, id;
};

/* Search terms of a batch of customers, sorted before insertion so the
 * (term, customer) key is written in order. Fixed buffers: full means flush. */
#define TERM_BYTES (8u << 20)
#define TERM_REFS (512u << 10)
struct term_ref {
    const char *term;
    int64_t cid;
};
struct terms {
    char *buf;
    size_t len;
    struct term_ref *v;
    size_t n;
    int64_t cid;
};

/* An order to write, gathered for a month then sorted by time. */
enum { E_SALE, E_REFUND };
struct oent {
    int64_t at;
    uint32_t cid, seq;
    uint8_t type;
    int16_t prod;
    int32_t qty;
    int64_t unit;
};
struct obuf {
    struct oent *v;
    size_t n, cap;
};

enum {
    B_CUSTOMERS,
    B_EMAILS,
    B_PHONES,
    B_ADDRESSES,
    B_TERMS,
    B_TAGS,
    B_INTERESTS,
    B_RELATIONS,
    B_ORDERS,
    B_LINES,
    B_INTERACTIONS,
    B_CONSENTS,
    B_CONTRACTS,
    NBATCH
};

#define BATCH_ROWS 64
#define BATCH_TEXT (BATCH_ROWS * 2048)

struct batch {
    char *sql_many, *sql_one; /* BATCH_ROWS rows; one row */
    struct bindv *args;       /* BATCH_ROWS * ncols */
    char *text;               /* copies of the text values */
    size_t used;
    int ncols, n;
};

struct gen {
    struct ctx *c;
    struct store *st;
    struct demo_opts o;
    void (*progress)(const char *stage, double frac, void *arg);
    void *arg;
    const char *stage;
    double shown;
    struct rng r;
    int64_t now, h0; /* history: [h0, now], h0 at midnight */
    double season_max, season_mean;
    int64_t n;
    struct cust *cu;
    struct product products[NPRODUCTS];
    int64_t source_ids[NSRC];
    int64_t rows; /* written since the last commit */
    int in_tx;
    struct terms tm;
    int64_t order_id;
    struct obuf month, pending;
    uint32_t seq;
    struct batch batches[NBATCH];
};

/* ---------------------------------------------------------------- plumbing */

static void report(struct gen *g, const char *stage, double frac)
{
    if (!g->progress)
        return;
    if (!g->stage || strcmp(stage, g->stage)) {
        g->stage = stage;
        g->shown = -1;
    }
    if (frac > 1)
        frac = 1;
    if (frac < 1 && frac - g->shown < 0.01)
        return;
    if (frac >= 1 && g->shown >= 1)
        return;
    g->shown = frac;
    g->progress(stage, frac, g->arg);
}

/* Commits every so many rows: the WAL stays small and checkpoints run. */
static int tick(struct gen *g, int rows)
{
    g->rows += rows;
    if (g->rows < 200000)
        return 0;
    g->rows = 0;
    int rc = store_commit(g->st, &g->c->err);
    g->in_tx = 0;
    if (!rc)
        rc = store_begin(g->st, &g->c->err);
    if (!rc)
        g->in_tx = 1;
    return rc;
}

/* snprintf for the generator's fixed buffers, where a cut is harmless and
 * the sizes leave room anyway */
__attribute__((format(printf, 3, 4))) static void bprintf(char *out, size_t len, const char *fmt,
                                                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, len, fmt, ap);
    va_end(ap);
}

static const char *nz(const char *s)
{
    return s && *s ? s : NULL;
}

/* ascii slug of a name for e-mail addresses: "Hélène" → "helene",
 * "Le Gall" → "legall" (sep 0) or "le-gall" (sep '-') */
static void slug(const char *in, char *out, size_t len, char sep)
{
    char folded[128];
    size_t o = 0;
    if (text_fold(in, folded, sizeof(folded)) < 0)
        folded[0] = 0;
    for (const char *p = folded; *p && o + 1 < len; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
            out[o++] = *p;
        else if (*p == ' ' && sep && o > 0 && out[o - 1] != sep)
            out[o++] = sep;
    }
    out[o] = 0;
}

static void digits(struct rng *r, char *out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = (char)('0' + rng_range(r, 0, 9));
    out[n] = 0;
}

/* k-th space-separated word of s, k drawn at random */
static void pick_word(struct rng *r, const char *s, char *out, size_t len)
{
    int words = 1;
    for (const char *p = s; *p; p++)
        words += *p == ' ';
    int k = (int)rng_range(r, 0, words - 1);
    const char *p = s;
    while (k > 0) {
        if (*p++ == ' ')
            k--;
    }
    size_t o = 0;
    while (*p && *p != ' ' && o + 1 < len)
        out[o++] = *p++;
    out[o] = 0;
}

static int city_pick(struct rng *r, const char *country)
{
    int sum = 0;
    for (int i = 0; i < N(cities); i++)
        if (!strcmp(cities[i].country, country))
            sum += cities[i].weight;
    int x = (int)rng_range(r, 0, sum - 1);
    for (int i = 0; i < N(cities); i++) {
        if (strcmp(cities[i].country, country))
            continue;
        if (x < cities[i].weight)
            return i;
        x -= cities[i].weight;
    }
    return 0;
}

/* ---------------------------------------------------------------- batching */

/* Rows of one table buffered and written 64 at a time by a multi-row INSERT:
 * SQLite's cost per statement (lookup, cursors, allocations) then falls on
 * many rows. Text values are copied into the batch's arena. */
static const struct batch_def {
    const char *head, *row;
} batch_defs[NBATCH] = {
    [B_CUSTOMERS] = {"INSERT INTO customers(id, kind, external_id, first_name, last_name, name, "
                     "email, phone, birth_date, sex, occupation, income_band, housing, "
                     "company_revenue_minor, naf_code, headcount, language, preferred_channel, "
                     "quiet_hours_start, quiet_hours_end, callback_requested_at, "
                     "category_spend_minor, custom, source_id, identity_updated_at, "
                     "contact_updated_at, socio_updated_at, company_updated_at, "
                     "prefs_updated_at, created_at, updated_at) VALUES ",
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                     "?, ?, ?, ?, ?, ?)"},
    [B_EMAILS] = {"INSERT INTO customer_emails(customer_id, email, label, is_primary) VALUES ",
                  "(?, ?, ?, ?)"},
    [B_PHONES] = {"INSERT INTO customer_phones(customer_id, phone, label, is_primary) VALUES ",
                  "(?, ?, ?, 1)"},
    [B_ADDRESSES] = {"INSERT INTO customer_addresses(customer_id, label, line1, line2, "
                     "postal_code, city, region, country, is_primary) VALUES ",
                     "(?, ?, ?, ?, ?, ?, ?, ?, 1)"},
    [B_TERMS] = {"INSERT OR IGNORE INTO customer_terms(term, customer_id) VALUES ", "(?, ?)"},
    [B_TAGS] = {"INSERT OR IGNORE INTO customer_tags(customer_id, tag) VALUES ", "(?, ?)"},
    [B_INTERESTS] = {"INSERT OR IGNORE INTO customer_interests(customer_id, interest, noted_at) "
                     "VALUES ",
                     "(?, ?, ?)"},
    [B_RELATIONS] = {"INSERT OR IGNORE INTO customer_relations(customer_id, related_id, kind, "
                     "created_at) VALUES ",
                     "(?, ?, ?, ?)"},
    [B_ORDERS] = {"INSERT INTO orders(id, customer_id, ordered_at, status, kind, currency, "
                  "total_minor, margin_minor, channel, store, country, created_at) VALUES ",
                  "(?, ?, ?, ?, ?, 'EUR', ?, ?, ?, ?, ?, ?)"},
    [B_LINES] = {"INSERT INTO order_lines(order_id, customer_id, product_id, sku, quantity, "
                 "unit_price_minor, amount_minor) VALUES ",
                 "(?, ?, ?, ?, ?, ?, ?)"},
    [B_INTERACTIONS] = {"INSERT INTO interactions(customer_id, at, channel, direction, kind, "
                        "subject, body, outcome, offer, created_at) VALUES ",
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
    [B_CONSENTS] = {"INSERT INTO consents(customer_id, at, channel, purpose, granted, "
                    "legal_basis, source, proof) VALUES ",
                    "(?, ?, ?, ?, ?, ?, ?, ?)"},
    [B_CONTRACTS] = {"INSERT INTO contracts(customer_id, offer, start_date, end_date, status, "
                     "cancelled_at, cancel_reason, created_at, updated_at) VALUES ",
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?)"},
};

static int batch_init(struct batch *b, const struct batch_def *d)
{
    b->ncols = 0;
    for (const char *p = d->row; *p; p++)
        b->ncols += *p == '?';
    size_t hl = strlen(d->head), rl = strlen(d->row);
    b->sql_many = malloc(hl + BATCH_ROWS * (rl + 2) + 1);
    b->sql_one = malloc(hl + rl + 1);
    b->args = calloc((size_t)BATCH_ROWS * (size_t)b->ncols, sizeof(*b->args));
    b->text = malloc(BATCH_TEXT);
    if (!b->sql_many || !b->sql_one || !b->args || !b->text)
        return -1;
    memcpy(b->sql_one, d->head, hl);
    memcpy(b->sql_one + hl, d->row, rl + 1);
    size_t len = hl;
    memcpy(b->sql_many, d->head, hl);
    for (int i = 0; i < BATCH_ROWS; i++) {
        if (i) {
            memcpy(b->sql_many + len, ", ", 2);
            len += 2;
        }
        memcpy(b->sql_many + len, d->row, rl);
        len += rl;
    }
    b->sql_many[len] = 0;
    return 0;
}

static void batch_release(struct batch *b)
{
    free(b->sql_many);
    free(b->sql_one);
    free(b->args);
    free(b->text);
}

static int batch_exec(struct gen *g, const char *sql, const struct bindv *args, int nargs)
{
    struct stmt *s = NULL;
    int rc = store_queryv(g->st, &s, &g->c->err, sql, args, nargs);
    if (rc)
        return rc;
    rc = stmt_step(s, &g->c->err);
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Writes the buffered rows: one statement when full, else row by row. */
static int batch_flush(struct gen *g, struct batch *b)
{
    int rc = 0;
    if (b->n == BATCH_ROWS)
        rc = batch_exec(g, b->sql_many, b->args, b->n * b->ncols);
    else
        for (int i = 0; i < b->n && !rc; i++)
            rc = batch_exec(g, b->sql_one, b->args + i * b->ncols, b->ncols);
    b->n = 0;
    b->used = 0;
    return rc;
}

static int batch_flush_all(struct gen *g)
{
    int rc = 0;
    for (int i = 0; i < NBATCH && !rc; i++)
        rc = batch_flush(g, &g->batches[i]);
    return rc;
}

/* Adds a row to batch k; fmt as store_query's: i, I (INT64_MIN is NULL),
 * s (NULL is NULL). */
static int batch_row(struct gen *g, int k, const char *fmt, ...)
{
    struct batch *b = &g->batches[k];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    size_t need = 0;
    for (const char *f = fmt; *f; f++) {
        if (*f == 's') {
            const char *v = va_arg(ap2, const char *);
            need += v ? strlen(v) + 1 : 0;
        } else {
            (void)va_arg(ap2, int64_t);
        }
    }
    va_end(ap2);
    int rc = 0;
    if (b->used + need > BATCH_TEXT)
        rc = batch_flush(g, b);
    if (rc || need > BATCH_TEXT) {
        va_end(ap);
        return rc ? rc : err_set(&g->c->err, ERR_INTERNAL, "", "row too long for a batch");
    }
    struct bindv *a = b->args + b->n * b->ncols;
    int i = 0;
    for (const char *f = fmt; *f && i < b->ncols; f++, i++) {
        a[i] = (struct bindv){'n', 0, 0, NULL};
        if (*f == 's') {
            const char *v = va_arg(ap, const char *);
            if (v) {
                size_t l = strlen(v) + 1;
                memcpy(b->text + b->used, v, l);
                a[i] = (struct bindv){'s', 0, 0, b->text + b->used};
                b->used += l;
            }
        } else {
            int64_t v = va_arg(ap, int64_t);
            if (!(*f == 'I' && v == INT64_MIN))
                a[i] = (struct bindv){'i', v, 0, NULL};
        }
    }
    va_end(ap);
    if (i != b->ncols || fmt[i])
        return err_set(&g->c->err, ERR_INTERNAL, "", "batch %d: %d values for %d columns", k, i,
                       b->ncols);
    if (++b->n == BATCH_ROWS)
        rc = batch_flush(g, b);
    return rc;
}

/* ------------------------------------------------------------ search terms */

static int terms_flush(struct gen *g);

static void term_add(const char *term, void *arg)
{
    struct terms *t = arg;
    size_t l = strlen(term) + 1;
    if (t->len + l > TERM_BYTES || t->n == TERM_REFS)
        return; /* terms_room() makes this unreachable */
    memcpy(t->buf + t->len, term, l);
    t->v[t->n].term = t->buf + t->len;
    t->v[t->n].cid = t->cid;
    t->n++;
    t->len += l;
}

/* The phone terms customers.c writes: digits without "+", and the national
 * form with its leading 0 for France and the UK. */
static void term_phone(struct terms *t, const char *e164)
{
    if (!e164 || e164[0] != '+')
        return;
    term_add(e164 + 1, t);
    if (!strncmp(e164, "+33", 3) || !strncmp(e164, "+44", 3)) {
        char nat[20];
        bprintf(nat, sizeof(nat), "0%s", e164 + 3);
        term_add(nat, t);
    }
}

static int term_cmp(const void *a, const void *b)
{
    const struct term_ref *x = a, *y = b;
    int c = strcmp(x->term, y->term);
    if (c)
        return c;
    return x->cid < y->cid ? -1 : x->cid > y->cid;
}

static int terms_flush(struct gen *g)
{
    struct terms *t = &g->tm;
    int rc = 0;
    qsort(t->v, t->n, sizeof(t->v[0]), term_cmp);
    for (size_t i = 0; i < t->n && !rc; i++) {
        if (i > 0 && !term_cmp(&t->v[i - 1], &t->v[i]))
            continue;
        rc = batch_row(g, B_TERMS, "si", t->v[i].term, t->v[i].cid);
    }
    if (!rc)
        rc = tick(g, (int)t->n);
    t->n = 0;
    t->len = 0;
    return rc;
}

/* room for one more customer's terms (a few hundred bytes at most) */
static int terms_room(struct gen *g)
{
    if (g->tm.len + 4096 < TERM_BYTES && g->tm.n + 64 < TERM_REFS)
        return 0;
    return terms_flush(g);
}

/* -------------------------------------------------------- products, sources */

static int gen_products(struct gen *g)
{
    int64_t at = g->h0 - 30 * DAY;
    int k = 0;
    for (int c = 0; c < NCAT; c++) {
        const struct category *cat = &categories[c];
        for (int rg = 0; rg < NRANGE; rg++) {
            for (int f = 0; f < 6; f++) {
                struct product *p = &g->products[k++];
                p->cat = c;
                p->range = rg;
                p->tier = f / 2 + 1;
                double price = cat->prices[f] * range_factor[rg];
                p->price = (int64_t)floor(price / 100.0 + 0.5) * 100 - 10;
                double m = cat->margin + 0.02 * (rg - 2);
                p->margin = (int64_t)floor((double)p->price * m + 0.5);
                bprintf(p->sku, sizeof(p->sku), "%s-%d%d%d", cat->sku, rg + 1, p->tier, f % 2 + 1);
                bprintf(p->name, sizeof(p->name), "%s – %s", cat->ranges[rg], cat->formats[f]);
                int rc = store_int(g->st, &p->id, &g->c->err,
                                   "INSERT INTO products(sku, name, category, range_name, tier, "
                                   "price_minor, margin_minor, currency, active, created_at, "
                                   "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'EUR', 1, ?, ?) "
                                   "RETURNING id",
                                   "ssssiiiii", p->sku, p->name, cat->key, cat->ranges[rg],
                                   (int64_t)p->tier, p->price, p->margin, at, at);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

static int gen_sources(struct gen *g)
{
    for (int i = 0; i < NSRC; i++) {
        const struct source *s = &sources[i];
        int rented = !strcmp(s->kind, "rented");
        int64_t created = rented ? g->now - 60 * DAY : g->h0 - DAY;
        int rc = store_run(g->st, NULL, &g->c->err,
                           "INSERT INTO sources(kind, name, terms, expires_at, created_at) VALUES "
                           "(?, ?, ?, ?, ?) ON CONFLICT(kind, name) DO NOTHING",
                           "sssIi", s->kind, s->name, s->terms, rented ? g->now + 120 * DAY : NOVAL,
                           created);
        if (!rc)
            rc = store_int(g->st, &g->source_ids[i], &g->c->err,
                           "SELECT id FROM sources WHERE kind = ? AND name = ?", "ss", s->kind,
                           s->name);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- customers */

/* One customer row as generated; empty strings are stored as NULL. */
struct crow {
    const char *kind, *sex, *occupation, *income, *housing, *naf, *lang, *pref, *qs, *qe;
    char ext[24], first[64], last[64], name[128], email[128], email2[128], phone[20];
    char birth[12], custom[64], line1[128], line2[64], postal[24];
    int64_t crev, headcount, callback, catspend, created, updated;
    int64_t u_identity, u_contact, u_socio, u_company, u_prefs;
    const char *email_label, *phone_label, *addr_label;
};

static void mobile(struct rng *r, const char *country, char *out, size_t len)
{
    char d[16];
    if (!strcmp(country, "GB")) {
        digits(r, d, 9);
        bprintf(out, len, "+447%s", d);
    } else if (!strcmp(country, "BE")) {
        digits(r, d, 7);
        bprintf(out, len, "+324%d%s", (int)rng_range(r, 7, 9), d);
    } else if (!strcmp(country, "CH")) {
        digits(r, d, 7);
        bprintf(out, len, "+417%d%s", (int)rng_range(r, 6, 9), d);
    } else if (!strcmp(country, "DE")) {
        digits(r, d, 8);
        bprintf(out, len, "+4915%d%s", (int)rng_range(r, 1, 9), d);
    } else if (!strcmp(country, "ES")) {
        digits(r, d, 8);
        bprintf(out, len, "+346%s", d);
    } else {
        digits(r, d, 8);
        bprintf(out, len, "+33%c%s", rng_chance(r, 0.7) ? '6' : '7', d);
    }
}

/* a French landline: the first digit follows the region */
static void landline(struct rng *r, const char *region, char *out, size_t len)
{
    static const struct {
        const char *region;
        char digit;
    } zones[] = {{"Île-de-France", '1'},
                 {"Bretagne", '2'},
                 {"Normandie", '2'},
                 {"Pays de la Loire", '2'},
                 {"Centre-Val de Loire", '2'},
                 {"Hauts-de-France", '3'},
                 {"Grand Est", '3'},
                 {"Bourgogne-Franche-Comté", '3'},
                 {"Auvergne-Rhône-Alpes", '4'},
                 {"Provence-Alpes-Côte d'Azur", '4'},
                 {"Corse", '4'}};
    char d[16], z = '5';
    for (int i = 0; i < N(zones); i++)
        if (!strcmp(zones[i].region, region))
            z = zones[i].digit;
    digits(r, d, 8);
    bprintf(out, len, "+33%c%s", z, d);
}

static void address(struct rng *r, const struct city *ct, struct crow *w)
{
    char code[16];
    pick_word(r, ct->codes, code, sizeof(code));
    int num = (int)rng_range(r, 1, rng_chance(r, 0.8) ? 60 : 250);
    w->line2[0] = 0;
    if (!strcmp(ct->country, "GB")) {
        static const char inward[] = "ABDEFGHJLNPQRSTUWXYZ";
        bprintf(w->postal, sizeof(w->postal), "%s %d%c%c", code, (int)rng_range(r, 1, 9),
                inward[rng_range(r, 0, 19)], inward[rng_range(r, 0, 19)]);
        bprintf(w->line1, sizeof(w->line1), "%d %s", num, PICK(r, gb_streets));
        if (rng_chance(r, 0.2))
            bprintf(w->line2, sizeof(w->line2), "Flat %d", (int)rng_range(r, 1, 24));
        return;
    }
    bprintf(w->postal, sizeof(w->postal), "%s", code);
    if (!strcmp(ct->country, "DE"))
        bprintf(w->line1, sizeof(w->line1), "%s %d", PICK(r, de_streets), num);
    else if (!strcmp(ct->country, "ES"))
        bprintf(w->line1, sizeof(w->line1), "%s, %d", PICK(r, es_streets), num);
    else
        bprintf(w->line1, sizeof(w->line1), "%d%s %s %s", num, rng_chance(r, 0.06) ? " bis" : "",
                PICK(r, fr_street_types), PICK(r, fr_street_names));
    if (rng_chance(r, 0.15))
        bprintf(w->line2, sizeof(w->line2), "%s", PICK(r, fr_line2));
}

static void person_email(struct rng *r, const struct crow *w, int english, int birth_year,
                         char *out, size_t len)
{
    char f[64], l[64];
    slug(w->first, f, sizeof(f), '-');
    slug(w->last, l, sizeof(l), 0);
    if (!*f)
        bprintf(f, sizeof(f), "client");
    if (!*l)
        bprintf(l, sizeof(l), "relatio");
    const char *dom = english ? PICKW(r, english_domains) : PICKW(r, person_domains);
    switch (rng_range(r, 0, 9)) {
    case 0:
    case 1:
    case 2:
        bprintf(out, len, "%s.%s@%s", f, l, dom);
        break;
    case 3:
    case 4:
        bprintf(out, len, "%s.%s%d@%s", f, l, (int)rng_range(r, 1, 99), dom);
        break;
    case 5:
        bprintf(out, len, "%c.%s@%s", f[0], l, dom);
        break;
    case 6:
        bprintf(out, len, "%s%s%02d@%s", f, l, birth_year % 100, dom);
        break;
    case 7:
        bprintf(out, len, "%s.%s@%s", l, f, dom);
        break;
    case 8:
        bprintf(out, len, "%s_%s@%s", f, l, dom);
        break;
    default:
        bprintf(out, len, "%s%d@%s", f, (int)rng_range(r, 1, 999), dom);
    }
}

/* Age bands of a beauty retailer's customers. */
static int draw_age(struct rng *r)
{
    static const int lo[] = {18, 25, 35, 45, 55, 65, 80}, hi[] = {24, 34, 44, 54, 64, 79, 92};
    static const int w[] = {10, 18, 20, 20, 17, 13, 2};
    int b = rng_weighted(r, w, N(w));
    return (int)rng_range(r, lo[b], hi[b]);
}

/* Profile of a person: identity, address, socio-demographics. */
static void gen_person(struct gen *g, struct cust *cu, struct crow *w)
{
    struct rng *r = &g->r;
    int english = rng_chance(r, 0.25);
    const char *country = "FR";
    if (english) {
        country = rng_chance(r, 0.55) ? "GB" : "FR";
    } else {
        static const struct wstr fr_countries[] = {
            {"FR", 940}, {"BE", 30}, {"CH", 20}, {"DE", 5}, {"ES", 5}};
        country = PICKW(r, fr_countries);
    }
    static const struct wstr sexes[] = {{"female", 68}, {"male", 30}, {"other", 1}, {"unknown", 1}};
    w->sex = PICKW(r, sexes);
    int female = !strcmp(w->sex, "female") || (strcmp(w->sex, "male") && rng_chance(r, 0.5));
    if (english) {
        bprintf(w->first, sizeof(w->first), "%s", female ? PICK(r, en_female) : PICK(r, en_male));
        bprintf(w->last, sizeof(w->last), "%s", en_last[rng_skewed(r, N(en_last))]);
    } else {
        bprintf(w->first, sizeof(w->first), "%s", female ? PICK(r, fr_female) : PICK(r, fr_male));
        bprintf(w->last, sizeof(w->last), "%s", fr_last[rng_skewed(r, N(fr_last))]);
    }
    cu->flags |= female ? F_FEMALE : 0;
    w->lang = english ? "en" : "fr";
    int age = draw_age(r);
    int64_t today = g->now / DAY;
    int32_t bday = (int32_t)(today - (int64_t)age * 365 - rng_range(r, 0, 364) - age / 4);
    int by, bm, bd;
    civil_from_days(bday, &by, &bm, &bd);
    if (rng_chance(r, 0.8))
        date_format(bday, w->birth, sizeof(w->birth));
    /* occupation, income and housing are declared by some, not all */
    int occ = age >= 63                         ? (rng_chance(r, 0.9) ? 6 : 1)
              : age < 24 && rng_chance(r, 0.55) ? 7
                                                : rng_weighted(r, csp_weight, N(csp_weight));
    if (rng_chance(r, 0.7))
        w->occupation = csp[occ];
    if (rng_chance(r, 0.6)) {
        int b = csp_income[occ] + (rng_chance(r, 0.2) ? -1 : rng_chance(r, 0.25) ? 1 : 0);
        b = b < 0 ? 0 : b > 4 ? 4 : b;
        w->income = income_bands[b];
        cu->tier = (uint8_t)(b <= 1 ? 1 : b == 2 ? (rng_chance(r, 0.6) ? 2 : 1) : b == 3 ? 2 : 3);
    } else {
        static const int tw[] = {45, 40, 15};
        cu->tier = (uint8_t)(rng_weighted(r, tw, 3) + 1);
    }
    if (rng_chance(r, 0.6)) {
        static const char *const housing[] = {"owner", "tenant", "lodged", "other"};
        static const int young[] = {8, 55, 35, 2}, mid[] = {30, 65, 4, 1}, old[] = {68, 30, 1, 1};
        w->housing = housing[rng_weighted(r, age < 25 ? young : age < 35 ? mid : old, 4)];
    }
    static const int fem_cat[NCAT] = {28, 25, 22, 10, 10, 5, 0};
    static const int male_cat[NCAT] = {25, 10, 2, 8, 5, 7, 43};
    cu->cat1 = (uint8_t)rng_weighted(r, female ? fem_cat : male_cat, NCAT);
    cu->cat2 = (uint8_t)rng_weighted(r, female ? fem_cat : male_cat, NCAT);
    cu->city = -1;
    if (rng_chance(r, 0.92)) {
        cu->city = (int16_t)city_pick(r, country);
        address(r, &cities[cu->city], w);
        w->addr_label = "home";
        cu->flags |= F_ADDR;
    }
    if (rng_chance(r, 0.85)) {
        person_email(r, w, english, by, w->email, sizeof(w->email));
        w->email_label = "home";
        cu->flags |= F_EMAIL;
        if (rng_chance(r, 0.08)) {
            char f[64], l[64];
            slug(w->first, f, sizeof(f), '-');
            slug(w->last, l, sizeof(l), 0);
            bprintf(w->email2, sizeof(w->email2), "%s.%s@entreprise.example.com", f, l);
        }
    }
    if (rng_chance(r, 0.78) || !(cu->flags & (F_EMAIL | F_ADDR))) {
        const char *home = cu->city >= 0 ? cities[cu->city].country : country;
        if (english && rng_chance(r, 0.6))
            home = "GB";
        else if (strcmp(home, "FR") && rng_chance(r, 0.3))
            home = "FR";
        mobile(r, home, w->phone, sizeof(w->phone));
        w->phone_label = "mobile";
        cu->flags |= F_PHONE;
    }
    static const struct wstr prefs[] = {{"", 40},     {"email", 25}, {"sms", 12}, {"mail", 8},
                                        {"phone", 5}, {"store", 8},  {"none", 2}};
    w->pref = nz(PICKW(r, prefs));
    if (rng_chance(r, 0.1)) {
        w->qs = "21:00";
        w->qe = "09:00";
    }
    if (rng_chance(r, 0.15))
        w->catspend = rng_range(r, 150, 3000) * 100;
    static const int chan_w[] = {55, 38, 7};
    cu->chan = (uint8_t)rng_weighted(r, chan_w, 3);
}

static void gen_org(struct gen *g, struct cust *cu, struct crow *w)
{
    struct rng *r = &g->r;
    int wts[N(orgtypes)];
    for (int i = 0; i < N(orgtypes); i++)
        wts[i] = orgtypes[i].weight;
    const struct orgtype *ot = &orgtypes[rng_weighted(r, wts, N(orgtypes))];
    const char *legal = rng_chance(r, 0.2) ? (rng_chance(r, 0.5) ? "SARL " : "SAS ") : "";
    if (rng_chance(r, 0.35))
        bprintf(w->name, sizeof(w->name), "%s%s %s", legal, ot->label,
                fr_last[rng_skewed(r, N(fr_last))]);
    else
        bprintf(w->name, sizeof(w->name), "%s%s %s", legal, ot->label, PICK(r, org_suffixes));
    w->naf = ot->naf;
    double hc = exp(log(4.0) + 1.0 * rng_normal(r));
    w->headcount = hc < 1 ? 1 : hc > 400 ? 400 : (int64_t)hc;
    w->crev = w->headcount * rng_range(r, 60000, 150000) * 100;
    w->lang = "fr";
    static const struct wstr countries[] = {{"FR", 95}, {"BE", 3}, {"CH", 2}};
    cu->city = (int16_t)city_pick(r, PICKW(r, countries));
    address(r, &cities[cu->city], w);
    w->addr_label = "work";
    cu->flags |= F_ADDR | F_EMAIL | F_PHONE;
    char s[128];
    slug(w->name, s, sizeof(s), '-');
    bprintf(w->email, sizeof(w->email), "%s@%s.example.fr",
            rng_chance(r, 0.6) ? "contact" : "commandes", s);
    w->email_label = "work";
    if (!strcmp(cities[cu->city].country, "FR"))
        landline(r, cities[cu->city].region, w->phone, sizeof(w->phone));
    else
        mobile(r, cities[cu->city].country, w->phone, sizeof(w->phone));
    w->phone_label = "work";
    w->pref = rng_chance(r, 0.5) ? "email" : "phone";
    cu->tier = (uint8_t)rng_range(r, 1, 3);
    cu->cat1 = (uint8_t)ot->cat;
    cu->cat2 = (uint8_t)rng_range(r, 0, NCAT - 1);
    static const int chan_w[] = {10, 50, 40};
    cu->chan = (uint8_t)rng_weighted(r, chan_w, 3);
}

static void gen_guest(struct gen *g, struct cust *cu, struct crow *w)
{
    struct rng *r = &g->r;
    int female = rng_chance(r, 0.7);
    bprintf(w->first, sizeof(w->first), "%s", female ? PICK(r, fr_female) : PICK(r, fr_male));
    bprintf(w->last, sizeof(w->last), "%s", fr_last[rng_skewed(r, N(fr_last))]);
    person_email(r, w, 0, (int)rng_range(r, 1950, 2005), w->email, sizeof(w->email));
    w->email_label = "home";
    cu->flags |= F_EMAIL;
    cu->city = -1;
    if (rng_chance(r, 0.3)) {
        cu->city = (int16_t)city_pick(r, "FR");
        address(r, &cities[cu->city], w);
        w->addr_label = "home";
        cu->flags |= F_ADDR;
    }
    if (!rng_chance(r, 0.4)) { /* most guests leave only their e-mail */
        w->first[0] = 0;
        w->last[0] = 0;
    }
    cu->tier = (uint8_t)rng_range(r, 1, 2);
    cu->cat1 = (uint8_t)rng_range(r, 0, NCAT - 1);
    cu->cat2 = 5;
    cu->chan = CH_WEB;
}

/* When a customer starts and stops buying; its weight in the purchase rate. */
static void plan_purchases(struct gen *g, struct cust *cu, int buyer)
{
    struct rng *r = &g->r;
    cu->next_at = INT64_MAX;
    cu->rate = 0;
    cu->first_at = cu->last_at = cu->any_at = 0;
    if (!buyer)
        return;
    int64_t span = g->now - g->h0;
    int64_t start;
    if (cu->kind != K_GUEST && rng_chance(r, 0.45)) /* a customer from before the history */
        start = g->h0 + rng_range(r, 0, 120 * DAY);
    else
        start = g->h0 + rng_range(r, 0, span - 1);
    int64_t end = g->now;
    if (start < g->now - 400 * DAY && rng_chance(r, 0.35)) { /* lost since */
        end = g->now - rng_range(r, 365 * DAY, 730 * DAY);
        if (end < start)
            end = start;
    }
    cu->end_at = end;
    /* a heavy-tailed weight (lognormal, mean 1): few customers buy a lot */
    double s = 1.3, wgt = exp(s * rng_normal(r) - s * s / 2);
    wgt = wgt < 0.01 ? 0.01 : wgt > 25 ? 25 : wgt;
    if (cu->kind == K_ORG)
        wgt *= 1.3;
    else if (cu->kind == K_GUEST)
        wgt = 0.02;
    cu->rate = wgt;
    cu->raw_at = (double)start;
}

/* The time of an order at position t of the purchase process: the position
 * within the day is mapped through the hourly profile (shops open 9-20, the
 * web later), which keeps a customer's orders in order; never after now. */
static int64_t order_time(struct gen *g, double t)
{
    static const int hours[24] = {0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 7, 8,
                                  7, 6, 7, 8, 8, 9, 9, 7, 5, 4, 2, 1}; /* sum 100 */
    int64_t day = (int64_t)floor(t / DAY);
    double u = (t - (double)(day * DAY)) / DAY * 100;
    int h = 0;
    while (h < 23 && u >= hours[h]) {
        u -= hours[h];
        h++;
    }
    double within = hours[h] ? u / hours[h] : 0;
    within = within < 0 ? 0 : within > 1 ? 1 : within;
    int64_t at = day * DAY + h * 3600 + (int64_t)(within * 3599);
    return at > g->now ? g->now : at;
}

/* The next order of a customer: a Poisson process whose rate follows the
 * season, drawn by thinning (Lewis & Shedler 1979). */
static void advance(struct gen *g, struct cust *cu)
{
    double rate = cu->rate * g->season_max, t = cu->raw_at;
    cu->next_at = INT64_MAX;
    if (rate <= 0)
        return;
    for (;;) {
        t += -log(1.0 - unit_of(splitmix64(&cu->rs))) / rate;
        if (t > (double)cu->end_at) {
            cu->raw_at = t;
            return;
        }
        double f = season_of_day((int64_t)floor(t / DAY));
        if (unit_of(splitmix64(&cu->rs)) * g->season_max < f)
            break;
    }
    cu->raw_at = t;
    cu->next_at = order_time(g, t);
}

static int insert_customer(struct gen *g, int64_t id, const struct crow *w, int64_t source_id)
{
    int rc =
        batch_row(g, B_CUSTOMERS,
                  "isssssss"
                  "sssss"
                  "IsI"
                  "ssss"
                  "II"
                  "s"
                  "I"
                  "IIIII"
                  "ii",
                  id, w->kind, nz(w->ext), nz(w->first), nz(w->last), nz(w->name), nz(w->email),
                  nz(w->phone), nz(w->birth), w->sex, w->occupation, w->income, w->housing, w->crev,
                  w->naf, w->headcount, w->lang, w->pref, w->qs, w->qe, w->callback, w->catspend,
                  w->custom[0] ? w->custom : "{}", source_id, w->u_identity, w->u_contact,
                  w->u_socio, w->u_company, w->u_prefs, w->created, w->updated);
    return rc ? rc : tick(g, 1);
}

/* The e-mails, phone and address of a customer, and its search terms as
 * customers.c writes them. */
static int insert_contacts(struct gen *g, int64_t id, const struct cust *cu, const struct crow *w)
{
    int rc = 0, rows = 0;
    struct terms *t = &g->tm;
    t->cid = id;
    const char *const words[] = {w->first, w->last, w->name, w->ext};
    for (int i = 0; i < 4; i++)
        if (*words[i])
            text_words(words[i], term_add, t);
    const char *const emails[] = {w->email, w->email2};
    for (int i = 0; !rc && i < 2; i++) {
        if (!*emails[i])
            continue;
        rc = batch_row(g, B_EMAILS, "issi", id, emails[i], i ? "work" : w->email_label,
                       (int64_t)(i == 0));
        text_words(emails[i], term_add, t);
        rows++;
    }
    if (!rc && *w->phone) {
        rc = batch_row(g, B_PHONES, "iss", id, w->phone, w->phone_label);
        term_phone(t, w->phone);
        rows++;
    }
    if (!rc && cu->city >= 0) {
        const struct city *ct = &cities[cu->city];
        rc = batch_row(g, B_ADDRESSES, "isssssss", id, w->addr_label, w->line1, nz(w->line2),
                       w->postal, ct->name, ct->region, ct->country);
        text_words(ct->name, term_add, t);
        text_words(w->postal, term_add, t);
        rows++;
    }
    if (!rc)
        rc = tick(g, rows);
    return rc;
}

static int gen_tags_interests(struct gen *g, int64_t id, const struct cust *cu, int64_t created)
{
    struct rng *r = &g->r;
    int rc = 0, rows = 0;
    if (cu->kind == K_GUEST)
        return 0;
    static const int ntags_w[] = {55, 30, 12, 3};
    int ntags = rng_weighted(r, ntags_w, 4);
    for (int i = 0; i < ntags && !rc; i++) {
        const char *tag = PICKW(r, person_tags);
        if (cu->kind == K_ORG)
            tag = i == 0 ? "B2B" : rng_chance(r, 0.5) ? "revendeur" : "grand compte";
        rc = batch_row(g, B_TAGS, "is", id, tag);
        rows++;
    }
    if (cu->kind != K_PERSON)
        return rc ? rc : tick(g, rows);
    static const int nint_w[] = {50, 25, 15, 10};
    int nint = rng_weighted(r, nint_w, 4);
    for (int i = 0; i < nint && !rc; i++) {
        rc =
            batch_row(g, B_INTERESTS, "isi", id, PICK(r, interests), rng_range(r, created, g->now));
        rows++;
    }
    return rc ? rc : tick(g, rows);
}

/* The random stream of one customer in one stage: customers can be drawn
 * again identically, and stages do not depend on each other's draws. */
static void stream(struct gen *g, uint64_t stage, int64_t id)
{
    rng_init(&g->r,
             g->o.seed * 0x9E3779B97F4A7C15ull + stage * 0xD1B54A32D192ED03ull + (uint64_t)id);
}

/* Draws customer id: its profile into cu, its row into w. */
static void make_customer(struct gen *g, int64_t id, struct cust *cu, struct crow *w)
{
    struct rng *r = &g->r;
    stream(g, 1, id);
    memset(w, 0, sizeof(*w));
    memset(cu, 0, sizeof(*cu));
    w->crev = w->headcount = w->callback = w->catspend = NOVAL;
    w->u_company = w->u_socio = w->u_prefs = NOVAL;
    cu->rs = g->o.seed ^ (0xD1B54A32D192ED03ull * (uint64_t)id);
    splitmix64(&cu->rs);
    double u = rng_unit(r);
    cu->kind = u < 0.89 ? K_PERSON : u < 0.97 ? K_ORG : K_GUEST;
    int src, buyer;
    if (cu->kind == K_PERSON) {
        w->kind = "person";
        gen_person(g, cu, w);
        buyer = rng_chance(r, 0.75);
    } else if (cu->kind == K_ORG) {
        w->kind = "organization";
        gen_org(g, cu, w);
        buyer = rng_chance(r, 0.9);
    } else {
        w->kind = "guest";
        gen_guest(g, cu, w);
        buyer = 1;
    }
    plan_purchases(g, cu, buyer);
    /* the first order is known now, so the record can predate it */
    int64_t first = INT64_MAX;
    if (buyer) {
        first = order_time(g, cu->raw_at);
        cu->next_at = first;
    }
    if (cu->kind == K_GUEST) {
        src = SRC_GUEST;
        w->created = first - rng_range(r, 30, 600);
    } else if (!buyer) {
        static const int pw[] = {45, 25, 20, 10};
        static const int ps[] = {SRC_NEWSLETTER, SRC_CONTEST, SRC_RENTED, SRC_STORE};
        src = cu->kind == K_ORG ? SRC_CONTEST : ps[rng_weighted(r, pw, 4)];
        if (src == SRC_RENTED)
            w->created = g->now - 60 * DAY + rng_range(r, 0, 7200);
        else
            w->created = g->h0 - 365 * DAY + rng_range(r, 0, g->now - g->h0 + 364 * DAY);
    } else if (first < g->h0 + 121 * DAY) { /* a customer from before the history */
        static const int ew[] = {60, 25, 15};
        static const int es[] = {SRC_INTERNAL, SRC_STORE, SRC_WEB};
        src = es[rng_weighted(r, ew, 3)];
        w->created = g->h0 - rng_range(r, DAY, 6 * 365 * DAY);
    } else {
        static const int nw[] = {50, 45, 5};
        static const int ns[] = {SRC_STORE, SRC_WEB, SRC_CONTEST};
        src = ns[rng_weighted(r, nw, 3)];
        w->created =
            src == SRC_STORE ? first - rng_range(r, 60, 900) : first - rng_range(r, 600, 45 * DAY);
    }
    if (w->created > g->now)
        w->created = g->now;
    cu->source = (uint8_t)src;
    cu->created_at = w->created;
    bprintf(w->ext, sizeof(w->ext), "%s%08lld", cu->kind == K_GUEST ? "WEB" : "CLI", (long long)id);
    if (src == SRC_STORE && cu->kind == K_PERSON)
        bprintf(w->custom, sizeof(w->custom), "{\"loyalty_card\":\"FID%09lld\"}",
                (long long)(id * 7919 % 1000000000));
    /* field-group dates: contact data is refreshed for some, not all */
    w->u_identity = w->created;
    w->u_contact = rng_chance(r, 0.3) ? rng_range(r, w->created, g->now) : w->created;
    if (w->occupation || w->income || w->housing || *w->birth)
        w->u_socio = w->created;
    if (cu->kind == K_ORG)
        w->u_company = rng_range(r, w->created, g->now);
    if (w->pref || w->qs || w->catspend != NOVAL)
        w->u_prefs = rng_range(r, w->created, g->now);
    if (cu->kind == K_PERSON && rng_chance(r, 0.005)) {
        w->callback = g->now - rng_range(r, 0, 3 * DAY);
        w->u_prefs = w->callback;
    }
    w->updated = w->created;
    const int64_t later[] = {w->u_contact, w->u_company, w->u_prefs};
    for (int k = 0; k < 3; k++)
        if (later[k] != NOVAL && later[k] > w->updated)
            w->updated = later[k];
}

/* Two passes: every customer row first, so the customers table is one
 * contiguous run of pages that the orders' foreign-key checks find in the
 * cache; then the contact data, terms, tags and interests, drawn again. */
static int gen_customers(struct gen *g)
{
    int rc = 0;
    struct crow w;
    for (int64_t i = 0; i < g->n && !rc; i++) {
        make_customer(g, i + 1, &g->cu[i], &w);
        rc = insert_customer(g, i + 1, &w, g->source_ids[g->cu[i].source]);
        report(g, "customers", 0.5 * (double)(i + 1) / (double)g->n);
    }
    for (int64_t i = 0; i < g->n && !rc; i++) {
        struct cust again;
        make_customer(g, i + 1, &again, &w);
        rc = terms_room(g);
        if (!rc)
            rc = insert_contacts(g, i + 1, &again, &w);
        if (!rc)
            rc = gen_tags_interests(g, i + 1, &again, w.created);
        report(g, "customers", 0.5 + 0.5 * (double)(i + 1) / (double)g->n);
    }
    if (!rc)
        rc = terms_flush(g);
    return rc;
}

/* A few relations: referrals between persons, contacts of organisations. */
static int gen_relations(struct gen *g)
{
    struct rng *r = &g->r;
    int rc = 0;
    stream(g, 2, 0);
    for (int64_t i = 1; i < g->n && !rc; i++) {
        struct cust *cu = &g->cu[i];
        int64_t other = rng_range(r, 0, i - 1);
        const char *kind = NULL;
        int64_t from = i + 1, to = other + 1;
        if (cu->kind == K_ORG && g->cu[other].kind == K_PERSON && rng_chance(r, 0.3))
            kind = "contact_of"; /* the person is the contact of the organisation */
        else if (cu->kind == K_PERSON && g->cu[other].kind == K_PERSON && rng_chance(r, 0.02))
            kind = "referral";
        if (!kind)
            continue;
        if (!strcmp(kind, "contact_of")) {
            from = other + 1;
            to = i + 1;
        }
        int64_t at =
            cu->created_at > g->cu[other].created_at ? cu->created_at : g->cu[other].created_at;
        rc = batch_row(g, B_RELATIONS, "iisi", from, to, kind, at);
        if (!rc)
            rc = tick(g, 1);
    }
    return rc;
}

/* ------------------------------------------------------------------- orders */

static int obuf_push(struct gen *g, struct obuf *b, const struct oent *e)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        struct oent *v = realloc(b->v, cap * sizeof(*v));
        if (!v)
            return err_set(&g->c->err, ERR_INTERNAL, "", "out of memory");
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = *e;
    return 0;
}

static int oent_cmp(const void *a, const void *b)
{
    const struct oent *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->cid != y->cid)
        return x->cid < y->cid ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A product for this customer: mostly from its favourite categories and
 * around its price tier; gift sets before Christmas. */
static int pick_product(struct gen *g, const struct cust *cu, int month)
{
    struct rng *r = &g->r;
    double u = rng_unit(r);
    int cat = u < 0.6 ? cu->cat1 : u < 0.8 ? cu->cat2 : (int)rng_range(r, 0, NCAT - 1);
    if ((month == 12 || month == 5) && rng_chance(r, 0.3))
        cat = 5;
    static const int range_w[NRANGE] = {35, 25, 18, 12, 10};
    int rg = rng_weighted(r, range_w, NRANGE);
    int tier = rng_chance(r, 0.6) ? cu->tier : (int)rng_range(r, 1, 3);
    return ((cat * NRANGE + rg) * 3 + (tier - 1)) * 2 + (int)rng_range(r, 0, 1);
}

struct oline {
    int prod;
    int64_t qty, unit, amount, margin;
};

static int write_order(struct gen *g, const struct oent *e, const char *status, const char *kind,
                       const struct oline *lines, int nl)
{
    struct cust *cu = &g->cu[e->cid - 1];
    int64_t id = ++g->order_id, total = 0, margin = 0;
    for (int i = 0; i < nl; i++) {
        total += lines[i].amount;
        margin += lines[i].margin;
    }
    int ch = cu->chan;
    if (e->type == E_SALE) {
        static const int by_pref[3][3] = {{75, 22, 3}, {13, 85, 2}, {30, 20, 50}};
        ch = rng_weighted(&g->r, by_pref[cu->chan], 3);
    }
    const struct city *ct = cu->city >= 0 ? &cities[cu->city] : NULL;
    int wd = (int)(((e->at / DAY % 7) + 11) % 7);
    if (ch == CH_STORE && (!ct || !ct->store || wd == 0))
        ch = CH_WEB;
    static const char *const chans[] = {"store", "web", "phone"};
    /* no external_id: these orders are the CRM's own */
    int rc = batch_row(g, B_ORDERS, "iiissiisssi", id, (int64_t)e->cid, e->at, status, kind, total,
                       margin, chans[ch], ch == CH_STORE ? ct->store : NULL,
                       ct ? ct->country : "FR", e->at);
    for (int i = 0; i < nl && !rc; i++) {
        const struct product *p = &g->products[lines[i].prod];
        rc = batch_row(g, B_LINES, "iiisiii", id, (int64_t)e->cid, p->id, p->sku, lines[i].qty,
                       lines[i].unit, lines[i].amount);
    }
    if (rc)
        return rc;
    /* the aggregates, as refresh_aggregates in activity.c defines them */
    cu->flags |= F_ORDERED;
    if (!cu->any_at)
        cu->any_at = e->at;
    if (!strcmp(kind, "refund")) {
        cu->revenue += total;
    } else if (strcmp(status, "cancelled") && strcmp(status, "refunded")) {
        cu->revenue += total;
        if (total > 0) {
            cu->count++;
            if (!cu->first_at || e->at < cu->first_at)
                cu->first_at = e->at;
            if (e->at > cu->last_at)
                cu->last_at = e->at;
        }
    }
    return tick(g, 1 + nl);
}

static int write_sale(struct gen *g, const struct oent *e)
{
    struct rng *r = &g->r;
    struct cust *cu = &g->cu[e->cid - 1];
    int yy, mm, dd;
    civil_from_days((int32_t)(e->at / DAY), &yy, &mm, &dd);
    static const int nl_w[] = {74, 20, 5, 1}; /* 1.33 lines on average */
    int nl = cu->kind == K_ORG ? (int)rng_range(r, 2, 4) : rng_weighted(r, nl_w, 4) + 1;
    struct oline lines[4];
    for (int i = 0; i < nl; i++) {
        struct oline *l = &lines[i];
        l->prod = pick_product(g, cu, mm);
        for (int k = 0; k < i; k++)
            if (lines[k].prod == l->prod)
                l->prod = (l->prod + 2) % NPRODUCTS; /* a neighbour in the range */
        const struct product *p = &g->products[l->prod];
        if (cu->kind == K_ORG) {
            l->qty = rng_range(r, 1, 6);
        } else {
            static const int qw[] = {86, 11, 3};
            l->qty = rng_weighted(r, qw, 3) + 1;
        }
        l->unit = p->price;
        if (rng_chance(r, mm == 11 ? 0.3 : 0.1))
            l->unit = p->price - (p->price / 5 / 10) * 10; /* -20 % */
        l->amount = l->qty * l->unit;
        l->margin = l->qty * (p->margin - (p->price - l->unit));
    }
    const char *status = "completed";
    double u = rng_unit(r);
    int recent = e->at > g->now - 4 * DAY;
    if (recent && cu->chan != CH_STORE) {
        static const char *const open[] = {"placed", "paid", "shipped", "shipped"};
        status = PICK(r, open);
    } else if (u < 0.03) {
        status = "cancelled";
    } else if (u < 0.042 && e->at < g->now - 10 * DAY) {
        status = "refunded";
    }
    int rc = write_order(g, e, status, "sale", lines, nl);
    if (rc || strcmp(status, "completed") || !rng_chance(r, 0.025))
        return rc;
    /* a partial refund of one line, a few days later */
    const struct oline *l = &lines[rng_range(r, 0, nl - 1)];
    struct oent refund = {e->at + rng_range(r, 2 * DAY, 30 * DAY),
                          e->cid,
                          g->seq++,
                          E_REFUND,
                          (int16_t)l->prod,
                          (int32_t)(l->qty > 1 ? rng_range(r, 1, l->qty) : 1),
                          l->unit};
    if (refund.at > g->now)
        return 0;
    return obuf_push(g, &g->pending, &refund);
}

static int write_refund(struct gen *g, const struct oent *e)
{
    const struct product *p = &g->products[e->prod];
    struct oline l = {e->prod, -e->qty, e->unit, -e->qty * e->unit,
                      -e->qty * (p->margin - (p->price - e->unit))};
    return write_order(g, e, "completed", "refund", &l, 1);
}

static int gen_orders(struct gen *g)
{
    int rc = 0;
    /* the rate that gives opts->orders_per_customer on average: one first
     * order per buyer, then weight x time x season */
    double exposure = 0;
    int64_t buyers = 0;
    for (int64_t i = 0; i < g->n; i++) {
        struct cust *cu = &g->cu[i];
        if (cu->next_at == INT64_MAX)
            continue;
        buyers++;
        exposure += cu->rate * (double)(cu->end_at - (int64_t)cu->raw_at);
    }
    double target = g->o.orders_per_customer * (double)g->n / 1.025; /* refunds come on top */
    double base = exposure > 0 && target > (double)buyers
                      ? (target - (double)buyers) / (exposure * g->season_mean)
                      : 0;
    for (int64_t i = 0; i < g->n; i++)
        g->cu[i].rate *= base;
    double expected = target > (double)buyers ? target : (double)buyers;
    stream(g, 3, 0);

    int32_t d = (int32_t)(g->h0 / DAY);
    int yy, mm, dd;
    civil_from_days(d, &yy, &mm, &dd);
    int64_t done = 0;
    for (int64_t ms = g->h0; ms <= g->now && !rc;) {
        if (++mm > 12) {
            mm = 1;
            yy++;
        }
        int64_t me = (int64_t)days_from_civil(yy, mm, 1) * DAY;
        if (me > g->now)
            me = g->now + 1;
        g->month.n = 0;
        /* refunds due this month, then every customer's orders */
        size_t keep = 0;
        for (size_t k = 0; k < g->pending.n && !rc; k++) {
            if (g->pending.v[k].at < me)
                rc = obuf_push(g, &g->month, &g->pending.v[k]);
            else
                g->pending.v[keep++] = g->pending.v[k];
        }
        g->pending.n = keep;
        for (int64_t i = 0; i < g->n && !rc; i++) {
            struct cust *cu = &g->cu[i];
            while (cu->next_at < me && !rc) {
                struct oent e = {cu->next_at, (uint32_t)(i + 1), g->seq++, E_SALE, 0, 0, 0};
                rc = obuf_push(g, &g->month, &e);
                advance(g, cu);
            }
        }
        qsort(g->month.v, g->month.n, sizeof(g->month.v[0]), oent_cmp);
        for (size_t k = 0; k < g->month.n && !rc; k++) {
            const struct oent *e = &g->month.v[k];
            rc = e->type == E_SALE ? write_sale(g, e) : write_refund(g, e);
            report(g, "orders", (double)++done / expected * 0.999);
        }
        ms = me;
    }
    /* refunds of the last days' orders land after the last month */
    qsort(g->pending.v, g->pending.n, sizeof(g->pending.v[0]), oent_cmp);
    for (size_t k = 0; k < g->pending.n && !rc; k++)
        rc = write_refund(g, &g->pending.v[k]);
    g->pending.n = 0;
    if (!rc)
        report(g, "orders", 1);
    return rc;
}

/* ------------------------------------------------- interactions and consent */

struct consent_ev {
    int64_t at;
    const char *channel, *purpose, *basis, *source, *proof;
    int granted;
};

struct touch_ev {
    int64_t at;
    const struct touch *t;
    const char *outcome, *offer;
    int score; /* a survey's 0-10 score, -1 otherwise */
    char body[192];
};

static int consent_cmp(const void *a, const void *b)
{
    const struct consent_ev *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

static int touch_cmp(const void *a, const void *b)
{
    const struct touch_ev *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* A consent granted at some time and maybe withdrawn later: appends both
 * entries; *from and *to get the span it is in force. */
static void consent_span(struct gen *g, struct consent_ev *ev, int *n, int64_t at,
                         const char *channel, const char *purpose, const char *basis,
                         const char *source, const char *proof, double p_withdraw,
                         const char *withdraw_source, int64_t *from, int64_t *to)
{
    struct rng *r = &g->r;
    ev[(*n)++] = (struct consent_ev){at, channel, purpose, basis, source, proof, 1};
    *from = at;
    *to = INT64_MAX;
    if (rng_chance(r, p_withdraw) && at < g->now - DAY) {
        int64_t w = rng_range(r, at + DAY, g->now);
        ev[(*n)++] = (struct consent_ev){w, channel, purpose, basis, withdraw_source, NULL, 0};
        *to = w;
    }
}

/* One of a touchpoint's outcomes, NULL for "-". */
static const char *pick_outcome(struct rng *r, const struct touch *t)
{
    int n = 0;
    while (n < N(t->outcomes) && t->outcomes[n])
        n++;
    const char *o = n ? t->outcomes[rng_range(r, 0, n - 1)] : "-";
    return strcmp(o, "-") ? o : NULL;
}

static int gen_activity_one(struct gen *g, int64_t id, struct cust *cu)
{
    struct rng *r = &g->r;
    int rc = 0, rows = 0;
    const struct source *src = &sources[cu->source];
    int64_t created = cu->created_at;
    /* consents first: marketing touchpoints respect them */
    struct consent_ev ev[16];
    int ne = 0;
    int64_t em_from = INT64_MAX, em_to = INT64_MAX, sms_from = INT64_MAX, sms_to = INT64_MAX, x0,
            x1;
    int64_t c_at = created + rng_range(r, 0, 600);
    if (c_at > g->now)
        c_at = g->now;
    if (cu->kind == K_ORG) {
        consent_span(g, ev, &ne, c_at, "email", "marketing", "legitimate_interest",
                     src->consent_source, NULL, 0.05, "lien de désinscription", &em_from, &em_to);
    } else if (cu->source == SRC_RENTED) {
        consent_span(g, ev, &ne, c_at, "email", "partners", "consent", src->consent_source,
                     "consentement aux offres des partenaires recueilli par le loueur du fichier",
                     0.1, "lien de désinscription", &x0, &x1);
    } else {
        if ((cu->flags & F_EMAIL) && rng_chance(r, 0.78))
            consent_span(g, ev, &ne, c_at, "email", "marketing", "consent", src->consent_source,
                         "case cochée : « J'accepte de recevoir les offres par e-mail »", 0.15,
                         "lien de désinscription", &em_from, &em_to);
        else if ((cu->flags & F_EMAIL) && rng_chance(r, 0.4))
            ev[ne++] = (struct consent_ev){
                c_at, "email", "marketing", "consent", src->consent_source, "case laissée décochée",
                0};
        if ((cu->flags & F_PHONE) && rng_chance(r, 0.45))
            consent_span(g, ev, &ne, c_at, "sms", "marketing", "consent", src->consent_source,
                         "case cochée : « J'accepte de recevoir les offres par SMS »", 0.12,
                         "réponse STOP au SMS", &sms_from, &sms_to);
        if ((cu->flags & F_PHONE) && rng_chance(r, 0.06))
            ev[ne++] = (struct consent_ev){rng_range(r, c_at, g->now),
                                           "phone",
                                           "marketing",
                                           "legal_obligation",
                                           "liste d'opposition Bloctel",
                                           NULL,
                                           0};
        if ((cu->flags & F_ADDR) && cu->any_at && rng_chance(r, 0.5))
            consent_span(g, ev, &ne, cu->any_at, "mail", "marketing", "legitimate_interest",
                         "achat", NULL, 0.05, "courrier d'opposition", &x0, &x1);
        if (cu->chan == CH_WEB && rng_chance(r, 0.6))
            consent_span(g, ev, &ne, c_at, "tracking", "marketing", "consent",
                         "bandeau cookies du site", "« Tout accepter »", 0.1,
                         "centre de préférences cookies", &x0, &x1);
        if (rng_chance(r, 0.3))
            consent_span(g, ev, &ne, rng_range(r, c_at, g->now), "profiling", "profiling",
                         "consent", "espace client", "préférences de personnalisation", 0.1,
                         "espace client", &x0, &x1);
    }
    qsort(ev, (size_t)ne, sizeof(ev[0]), consent_cmp);
    for (int k = 0; k < ne && !rc; k++) {
        rc = batch_row(g, B_CONSENTS, "iississs", id, ev[k].at, ev[k].channel, ev[k].purpose,
                       (int64_t)ev[k].granted, ev[k].basis, ev[k].source, ev[k].proof);
        rows++;
    }

    /* touchpoints on every channel */
    double mean = cu->kind == K_ORG ? 6 : cu->kind == K_GUEST ? 0.6 : cu->any_at ? 2.5 : 1.5;
    if (cu->count > 0)
        mean += log2(1.0 + cu->count);
    int nt = (int)rng_exp(r, mean);
    nt = nt > 40 ? 40 : nt;
    struct touch_ev te[40];
    int nte = 0;
    int wts[N(touches)];
    for (int k = 0; k < N(touches); k++)
        wts[k] = touches[k].weight;
    unsigned have = (cu->flags & F_EMAIL ? NEED_EMAIL : 0) |
                    (cu->flags & F_PHONE ? NEED_PHONE : 0) | (cu->flags & F_ADDR ? NEED_ADDR : 0) |
                    (cu->any_at ? NEED_BUYER : 0) | (cu->kind == K_ORG ? NEED_ORG : NEED_B2C) |
                    NEED_MKT_EMAIL | NEED_MKT_SMS;
    for (int k = 0; k < nt; k++) {
        for (int tries = 0; tries < 12; tries++) {
            const struct touch *t = &touches[rng_weighted(r, wts, N(touches))];
            if ((t->need & have) != t->need)
                continue;
            int64_t lo = t->need & NEED_BUYER ? cu->any_at : created;
            int64_t at = rng_range(r, lo, g->now);
            if ((t->need & NEED_MKT_EMAIL) && !(at >= em_from && at < em_to))
                continue;
            if ((t->need & NEED_MKT_SMS) && !(at >= sms_from && at < sms_to))
                continue;
            struct touch_ev *x = &te[nte++];
            x->at = at;
            x->t = t;
            x->outcome = pick_outcome(r, t);
            x->offer = NULL;
            x->score = -1;
            int about_offer =
                t->offer == 2 || (t->offer == 1 && x->outcome && !strncmp(x->outcome, "offer_", 6));
            if (about_offer)
                x->offer = cu->kind == K_ORG ? PICK(r, org_offers) : PICK(r, person_offers);
            if (t->body_kind == BODY_PRODUCT) {
                bprintf(x->body, sizeof(x->body), "%s%s", t->body,
                        g->products[pick_product(g, cu, 0)].name);
            } else if (t->body_kind == BODY_SCORE) {
                x->score = (int)(rng_chance(r, 0.2) ? rng_range(r, 0, 6) : rng_range(r, 7, 10));
                bprintf(x->body, sizeof(x->body), "%s%d/10", t->body, x->score);
            } else {
                bprintf(x->body, sizeof(x->body), "%s", t->body);
            }
            break;
        }
    }
    qsort(te, (size_t)nte, sizeof(te[0]), touch_cmp);
    for (int k = 0; k < nte && !rc; k++) {
        const struct touch_ev *x = &te[k];
        rc = batch_row(g, B_INTERACTIONS, "iisssssssi", id, x->at, x->t->channel, x->t->direction,
                       x->t->kind, x->t->subject, x->body, x->outcome, x->offer, x->at);
        rows++;
        if (!rc && !strcmp(x->t->kind, "interest"))
            rc = store_run(g->st, NULL, &g->c->err,
                           "INSERT INTO customer_interests(customer_id, interest, noted_at) "
                           "VALUES (?, ?, ?) ON CONFLICT(customer_id, interest) DO UPDATE SET "
                           "noted_at = excluded.noted_at",
                           "isi", id, x->offer, x->at);
        /* seed 004's journey: a bad score or an escalated complaint flags the
         * customer at risk */
        int bad_score = x->score >= 0 && x->score <= 6; /* an NPS detractor */
        int escalated = x->outcome && !strcmp(x->outcome, "escalated");
        if (!rc && (bad_score || escalated) && x->at > g->now - 180 * DAY)
            rc = store_run(
                g->st, NULL, &g->c->err,
                "INSERT INTO customer_flags(customer_id, flag, reason, set_at) VALUES "
                "(?, 'at_risk', ?, ?) ON CONFLICT(customer_id, flag) DO UPDATE SET "
                "reason = excluded.reason, set_at = excluded.set_at",
                "isi", id,
                bad_score ? "enquête de satisfaction défavorable" : "réclamation escaladée", x->at);
    }

    /* contracts: loyalty card, beauty box, trade agreement */
    const char *offer = NULL;
    int yearly = 0;
    double p_cancel = 0;
    if (cu->kind == K_PERSON && cu->any_at && rng_chance(r, 0.05)) {
        offer = "Carte Fidélité Premium";
        yearly = 1;
        p_cancel = 0.2;
    } else if (cu->kind == K_PERSON && cu->any_at && rng_chance(r, 0.025)) {
        offer = "Abonnement Box Beauté";
        p_cancel = 0.35;
    } else if (cu->kind == K_ORG && cu->any_at && rng_chance(r, 0.25)) {
        offer = "Contrat professionnel – remise revendeur";
        yearly = 2;
        p_cancel = 0.1;
    }
    if (!rc && offer) {
        int64_t start = rng_range(r, cu->any_at, g->now);
        int64_t end = yearly ? start + yearly * 365 * DAY : INT64_MAX;
        const char *status = end <= g->now ? "ended" : "active";
        int64_t cancelled = NOVAL;
        const char *reason = NULL;
        if (rng_chance(r, p_cancel) && start < g->now - DAY) {
            cancelled = rng_range(r, start + DAY, end < g->now ? end : g->now);
            reason = PICK(r, cancel_reasons);
            status = "cancelled";
        }
        char sd[12], ed[12];
        date_format((int32_t)(start / DAY), sd, sizeof(sd));
        if (yearly)
            date_format((int32_t)(end / DAY), ed, sizeof(ed));
        rc = batch_row(g, B_CONTRACTS, "issssIsii", id, offer, sd, yearly ? ed : NULL, status,
                       cancelled, reason, start, cancelled != NOVAL ? cancelled : start);
        rows++;
    }
    return rc ? rc : tick(g, rows);
}

static int gen_activity(struct gen *g)
{
    int rc = 0;
    for (int64_t i = 0; i < g->n && !rc; i++) {
        stream(g, 4, i + 1);
        rc = gen_activity_one(g, i + 1, &g->cu[i]);
        report(g, "interactions", (double)(i + 1) / (double)g->n);
    }
    return rc;
}

/* --------------------------------------------------------------- aggregates */

static int write_aggregates(struct gen *g)
{
    int rc = 0;
    for (int64_t i = 0; i < g->n && !rc; i++) {
        const struct cust *cu = &g->cu[i];
        if (!(cu->flags & F_ORDERED))
            continue;
        rc = store_run(g->st, NULL, &g->c->err,
                       "UPDATE customers SET orders_count = ?, revenue_minor = ?, currency = "
                       "'EUR', first_order_at = ?, last_order_at = ? WHERE id = ?",
                       "iiIIi", (int64_t)cu->count, cu->revenue, cu->count ? cu->first_at : NOVAL,
                       cu->count ? cu->last_at : NOVAL, i + 1);
        if (!rc)
            rc = tick(g, 1);
        report(g, "aggregates", (double)(i + 1) / (double)g->n);
    }
    if (!rc)
        report(g, "aggregates", 1);
    return rc;
}

/* ------------------------------------------------------------------ driver */

static int check_opts(struct ctx *c, const struct demo_opts *o)
{
    if (o->customers < 1 || o->customers > 100000000)
        return fail(c, ERR_INVALID, "customers", "between 1 and 100,000,000");
    if (!(o->orders_per_customer >= 0 && o->orders_per_customer <= 1000))
        return fail(c, ERR_INVALID, "orders_per_customer", "between 0 and 1000");
    if (o->years < 1 || o->years > 20)
        return fail(c, ERR_INVALID, "years", "between 1 and 20");
    return 0;
}

static int check_empty(struct ctx *c)
{
    static const char *const tables[] = {"customers", "products", "orders"};
    static const char *const sql[] = {
        "SELECT COUNT(*) FROM (SELECT 1 FROM customers LIMIT 1)",
        "SELECT COUNT(*) FROM (SELECT 1 FROM products LIMIT 1)",
        "SELECT COUNT(*) FROM (SELECT 1 FROM orders LIMIT 1)",
    };
    for (int i = 0; i < N(sql); i++) {
        int64_t n = 0;
        int rc = store_int(c->st, &n, &c->err, sql[i], "");
        if (rc)
            return rc;
        if (n)
            return fail(c, ERR_CONFLICT, "db", "the database already holds %s", tables[i]);
    }
    return 0;
}

static void season_init(struct gen *g)
{
    double sum = 0, max = 0;
    int64_t days = 0;
    for (int64_t d = g->h0 / DAY; d <= g->now / DAY; d++, days++) {
        double f = season_of_day(d);
        sum += f;
        max = f > max ? f : max;
    }
    g->season_mean = days ? sum / (double)days : 1;
    g->season_max = max > 0 ? max : 1;
}

/* SQLite-only settings for the load, through the store's pragma door:
 * other backends have their own bulk paths. */
static int sqlite_pragma(struct gen *g, const char *sql, struct err *e)
{
    if (strcmp(store_backend(g->st), "sqlite"))
        return 0;
    return store_exec(g->st, sql, e);
}

/* SQLite checks every foreign key of every row it writes, a third of the
 * cost of the orders; the generator writes consistent rows (the unit test
 * checks them all), so the checks are off while loading and on again after.
 * Outside a transaction: SQLite ignores the pragma inside one. */
static int fk_checks(struct gen *g, int on)
{
    return sqlite_pragma(g, on ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF", &g->c->err);
}

/* The second core sorts too (SQLite's multi-threaded sorter). */
static int rebuild_indexes(struct gen *g)
{
    int rc = sqlite_pragma(g, "PRAGMA threads=2", &g->c->err);
    for (int i = 0; i < N(lazy_indexes) && !rc; i++) {
        rc = store_exec(g->st, lazy_indexes[i].create, &g->c->err);
        report(g, "indexes", (double)(i + 1) / N(lazy_indexes));
    }
    sqlite_pragma(g, "PRAGMA threads=0", NULL);
    return rc;
}

int demo_generate(struct ctx *c, const struct demo_opts *o,
                  void (*progress)(const char *stage, double frac, void *arg), void *arg)
{
    int rc = check_opts(c, o);
    if (rc)
        return rc;
    rc = check_empty(c);
    if (rc)
        return rc;
    struct gen *g = calloc(1, sizeof(*g));
    if (!g)
        return fail(c, ERR_INTERNAL, "", "out of memory");
    g->c = c;
    g->st = c->st;
    g->o = *o;
    g->progress = progress;
    g->arg = arg;
    g->n = o->customers;
    g->now = time_now();
    g->h0 = (g->now - (int64_t)((double)o->years * 365.25 * DAY)) / DAY * DAY;
    rng_init(&g->r, o->seed);
    season_init(g);
    int dropped = 0, bulk = 0, fk_off = 0;
    g->cu = calloc((size_t)g->n, sizeof(*g->cu));
    g->tm.buf = malloc(TERM_BYTES);
    g->tm.v = malloc(TERM_REFS * sizeof(*g->tm.v));
    int batch_oom = 0;
    for (int i = 0; i < NBATCH; i++)
        batch_oom |= batch_init(&g->batches[i], &batch_defs[i]);
    if (!g->cu || !g->tm.buf || !g->tm.v || batch_oom) {
        rc = fail(c, ERR_INTERNAL, "", "out of memory for %lld customers", (long long)o->customers);
        goto out;
    }
    rc = store_bulk(g->st, 1, &c->err);
    if (rc)
        goto out;
    bulk = 1;
    rc = fk_checks(g, 0);
    if (rc)
        goto out;
    fk_off = 1;
    for (int i = 0; i < N(lazy_indexes) && !rc; i++) {
        char sql[128];
        bprintf(sql, sizeof(sql), "DROP INDEX IF EXISTS %s", lazy_indexes[i].name);
        rc = store_exec(g->st, sql, &c->err);
        dropped = 1;
    }
    if (!rc)
        rc = store_begin(g->st, &c->err);
    if (rc)
        goto out;
    g->in_tx = 1;
    /* each stage leaves its batches written: the next may read or update */
    static int (*const stages[])(struct gen *) = {
        gen_sources, gen_products, gen_customers,    gen_relations,
        gen_orders,  gen_activity, write_aggregates,
    };
    for (int i = 0; i < N(stages) && !rc; i++) {
        rc = stages[i](g);
        if (!rc)
            rc = batch_flush_all(g);
    }
    if (!rc) /* pipelines, deals, tasks over the first customers */
        rc = sales_demo_seed(c, o->seed);
    if (!rc) /* service desk: SLA, teams, KB articles, tickets */
        rc = service_demo_seed(c);
    if (!rc) /* loyalty members (the best customers) with their points, rewards */
        rc = loyalty_demo(c, 1000);
    if (!rc)
        rc = rebuild_indexes(g);
    if (!rc) {
        dropped = 0;
        g->in_tx = 0;
        rc = store_commit(g->st, &c->err);
    }
out:
    if (g->in_tx)
        store_rollback(g->st);
    if (dropped) /* leave the schema whole whatever happened */
        for (int i = 0; i < N(lazy_indexes); i++) {
            char sql[160];
            bprintf(sql, sizeof(sql), "CREATE INDEX IF NOT EXISTS %s", lazy_indexes[i].create + 13);
            store_exec(g->st, sql, NULL);
        }
    if (fk_off) {
        int frc = fk_checks(g, 1);
        rc = rc ? rc : frc;
    }
    if (bulk)
        store_bulk(g->st, 0, NULL);
    for (int i = 0; i < NBATCH; i++)
        batch_release(&g->batches[i]);
    free(g->cu);
    free(g->tm.buf);
    free(g->tm.v);
    free(g->month.v);
    free(g->pending.v);
    free(g);
    return rc;
}
