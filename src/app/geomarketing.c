/*
 * Geomarketing (see geomarketing.h): the La Poste postal-code file read once
 * into a sorted table, stores CRUD, the per-customer column cache behind the
 * area aggregates, and the store columns of the segment language.
 */
#include "app/geomarketing.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analytics/geo.h"
#include "analytics/segexpr.h"
#include "app/events.h"
#include "app/rowjson.h"
#include "app/snapshot.h"
#include "store/store.h"
#include "util/csv.h"
#include "util/log.h"
#include "util/text.h"
#include "util/timeu.h"

/* ------------------------------------------------------ reference tables */

/* INSEE Code Officiel Géographique: départements with their région. */
static const struct dept {
    const char *code, *name, *region;
} depts[] = {
    {"01", "Ain", "84"},
    {"02", "Aisne", "32"},
    {"03", "Allier", "84"},
    {"04", "Alpes-de-Haute-Provence", "93"},
    {"05", "Hautes-Alpes", "93"},
    {"06", "Alpes-Maritimes", "93"},
    {"07", "Ardèche", "84"},
    {"08", "Ardennes", "44"},
    {"09", "Ariège", "76"},
    {"10", "Aube", "44"},
    {"11", "Aude", "76"},
    {"12", "Aveyron", "76"},
    {"13", "Bouches-du-Rhône", "93"},
    {"14", "Calvados", "28"},
    {"15", "Cantal", "84"},
    {"16", "Charente", "75"},
    {"17", "Charente-Maritime", "75"},
    {"18", "Cher", "24"},
    {"19", "Corrèze", "75"},
    {"21", "Côte-d'Or", "27"},
    {"22", "Côtes-d'Armor", "53"},
    {"23", "Creuse", "75"},
    {"24", "Dordogne", "75"},
    {"25", "Doubs", "27"},
    {"26", "Drôme", "84"},
    {"27", "Eure", "28"},
    {"28", "Eure-et-Loir", "24"},
    {"29", "Finistère", "53"},
    {"2A", "Corse-du-Sud", "94"},
    {"2B", "Haute-Corse", "94"},
    {"30", "Gard", "76"},
    {"31", "Haute-Garonne", "76"},
    {"32", "Gers", "76"},
    {"33", "Gironde", "75"},
    {"34", "Hérault", "76"},
    {"35", "Ille-et-Vilaine", "53"},
    {"36", "Indre", "24"},
    {"37", "Indre-et-Loire", "24"},
    {"38", "Isère", "84"},
    {"39", "Jura", "27"},
    {"40", "Landes", "75"},
    {"41", "Loir-et-Cher", "24"},
    {"42", "Loire", "84"},
    {"43", "Haute-Loire", "84"},
    {"44", "Loire-Atlantique", "52"},
    {"45", "Loiret", "24"},
    {"46", "Lot", "76"},
    {"47", "Lot-et-Garonne", "75"},
    {"48", "Lozère", "76"},
    {"49", "Maine-et-Loire", "52"},
    {"50", "Manche", "28"},
    {"51", "Marne", "44"},
    {"52", "Haute-Marne", "44"},
    {"53", "Mayenne", "52"},
    {"54", "Meurthe-et-Moselle", "44"},
    {"55", "Meuse", "44"},
    {"56", "Morbihan", "53"},
    {"57", "Moselle", "44"},
    {"58", "Nièvre", "27"},
    {"59", "Nord", "32"},
    {"60", "Oise", "32"},
    {"61", "Orne", "28"},
    {"62", "Pas-de-Calais", "32"},
    {"63", "Puy-de-Dôme", "84"},
    {"64", "Pyrénées-Atlantiques", "75"},
    {"65", "Hautes-Pyrénées", "76"},
    {"66", "Pyrénées-Orientales", "76"},
    {"67", "Bas-Rhin", "44"},
    {"68", "Haut-Rhin", "44"},
    {"69", "Rhône", "84"},
    {"70", "Haute-Saône", "27"},
    {"71", "Saône-et-Loire", "27"},
    {"72", "Sarthe", "52"},
    {"73", "Savoie", "84"},
    {"74", "Haute-Savoie", "84"},
    {"75", "Paris", "11"},
    {"76", "Seine-Maritime", "28"},
    {"77", "Seine-et-Marne", "11"},
    {"78", "Yvelines", "11"},
    {"79", "Deux-Sèvres", "75"},
    {"80", "Somme", "32"},
    {"81", "Tarn", "76"},
    {"82", "Tarn-et-Garonne", "76"},
    {"83", "Var", "93"},
    {"84", "Vaucluse", "93"},
    {"85", "Vendée", "52"},
    {"86", "Vienne", "75"},
    {"87", "Haute-Vienne", "75"},
    {"88", "Vosges", "44"},
    {"89", "Yonne", "27"},
    {"90", "Territoire de Belfort", "27"},
    {"91", "Essonne", "11"},
    {"92", "Hauts-de-Seine", "11"},
    {"93", "Seine-Saint-Denis", "11"},
    {"94", "Val-de-Marne", "11"},
    {"95", "Val-d'Oise", "11"},
    {"971", "Guadeloupe", "01"},
    {"972", "Martinique", "02"},
    {"973", "Guyane", "03"},
    {"974", "La Réunion", "04"},
    {"976", "Mayotte", "06"},
};
#define NDEPTS (sizeof(depts) / sizeof(depts[0]))

static const struct region {
    const char *code, *name;
} regions[] = {
    {"01", "Guadeloupe"},
    {"02", "Martinique"},
    {"03", "Guyane"},
    {"04", "La Réunion"},
    {"06", "Mayotte"},
    {"11", "Île-de-France"},
    {"24", "Centre-Val de Loire"},
    {"27", "Bourgogne-Franche-Comté"},
    {"28", "Normandie"},
    {"32", "Hauts-de-France"},
    {"44", "Grand Est"},
    {"52", "Pays de la Loire"},
    {"53", "Bretagne"},
    {"75", "Nouvelle-Aquitaine"},
    {"76", "Occitanie"},
    {"84", "Auvergne-Rhône-Alpes"},
    {"93", "Provence-Alpes-Côte d'Azur"},
    {"94", "Corse"},
};
#define NREGIONS (sizeof(regions) / sizeof(regions[0]))

/* Index+1 of a département code in depts, 0 when unknown. */
static int dept_index(const char *code)
{
    for (size_t i = 0; i < NDEPTS; i++)
        if (!strcmp(depts[i].code, code))
            return (int)i + 1;
    return 0;
}

static int region_index(const char *code)
{
    for (size_t i = 0; i < NREGIONS; i++)
        if (!strcmp(regions[i].code, code))
            return (int)i + 1;
    return 0;
}

/* Région index+1 of each département index+1 (0: none). */
static uint8_t dept_region[NDEPTS + 1];

const char *geo_dept_name(const char *code)
{
    int i = code ? dept_index(code) : 0;
    return i ? depts[i - 1].name : NULL;
}

const char *geo_region_name(const char *code)
{
    int i = code ? region_index(code) : 0;
    return i ? regions[i - 1].name : NULL;
}

/* ------------------------------------------------------ the postal file */

/* One (commune, postal code) row of the La Poste file. name and label are
 * normalised (norm_name). */
struct pc_row {
    char postal[6];
    char insee[6];
    uint8_t dept; /* index+1 into depts, 0 unknown (COM, Monaco) */
    char name[40];
    char label[40];
    double lat, lon; /* NaN when the file has none */
};

static struct {
    pthread_mutex_t lock;
    int tried;
    struct pc_row *rows; /* by postal code, then INSEE code */
    size_t n;
} ref = {PTHREAD_MUTEX_INITIALIZER, 0, NULL, 0};

/* Folds a commune name for comparison: text_fold (lower case, no accents,
 * punctuation as spaces), then "saint"/"sainte" written "st"/"ste" as La
 * Poste does. */
static void norm_name(const char *s, char *out, size_t len)
{
    char f[128];
    out[0] = 0;
    if (!s || text_fold(s, f, sizeof(f)) < 0)
        return;
    size_t o = 0;
    for (const char *p = f; *p && o + 1 < len;) {
        const char *end = strchr(p, ' ');
        size_t w = end ? (size_t)(end - p) : strlen(p);
        const char *word = p;
        size_t wl = w;
        if (w == 5 && !strncmp(p, "saint", 5))
            word = "st", wl = 2;
        else if (w == 6 && !strncmp(p, "sainte", 6))
            word = "ste", wl = 3;
        if (o && o + 1 < len)
            out[o++] = ' ';
        for (size_t k = 0; k < wl && o + 1 < len; k++)
            out[o++] = word[k];
        p += w;
        while (*p == ' ')
            p++;
    }
    out[o] = 0;
}

static int cmp_pc(const void *a, const void *b)
{
    const struct pc_row *x = a, *y = b;
    int d = strcmp(x->postal, y->postal);
    return d ? d : strcmp(x->insee, y->insee);
}

static char data_dir[PATH_MAX];

static void find_data_dir(void)
{
    struct stat st;
    const char *env = getenv("RELATIO_GEO_DATA");
    if (env && *env) {
        snprintf(data_dir, sizeof(data_dir), "%s", env);
        return;
    }
    if (stat("data/geo/laposte_hexasmal.csv.gz", &st) == 0) {
        snprintf(data_dir, sizeof(data_dir), "data/geo");
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        for (int up = 0; up < 3; up++) { /* build/rel/relatio → the repository */
            char *slash = strrchr(exe, '/');
            if (slash)
                *slash = 0;
        }
        snprintf(data_dir, sizeof(data_dir), "%.*s/data/geo", (int)(sizeof(data_dir) - 10), exe);
    } else {
        snprintf(data_dir, sizeof(data_dir), "data/geo");
    }
}

static pthread_once_t dir_once = PTHREAD_ONCE_INIT;

const char *geo_data_dir(void)
{
    pthread_once(&dir_once, find_data_dir);
    return data_dir;
}

static const char *data_path(const char *file, char *buf, size_t len)
{
    pthread_once(&dir_once, find_data_dir);
    snprintf(buf, len, "%s/%s", data_dir, file);
    return buf;
}

/* The INSEE département of a commune code: 3 characters overseas. */
static uint8_t dept_of_insee(const char *insee)
{
    char d[4] = {insee[0], insee[1], 0, 0};
    if ((insee[0] == '9' && (insee[1] == '7' || insee[1] == '8')) && insee[2])
        d[2] = insee[2];
    return (uint8_t)dept_index(d);
}

static int load_rows(struct err *e)
{
    char path[PATH_MAX + 32];
    data_path("laposte_hexasmal.csv.gz", path, sizeof(path));
    struct csv_opts o = {0};
    o.delim = ';';
    o.encoding = CSV_ENC_UTF8;
    struct csv_reader *r = NULL;
    int rc = csv_open_file(&r, path, &o, e);
    if (rc)
        return rc;
    size_t cap = 40000, n = 0;
    struct pc_row *rows = malloc(cap * sizeof(*rows));
    struct csv_record rec;
    int first = 1;
    while (rows && (rc = csv_next(r, &rec)) != 0) {
        if (rc < 0 && rc != CSV_ERAGGED) {
            if (rc == CSV_EIO || rc == CSV_ENOMEM || rc == CSV_EQUOTE)
                break;
            continue;
        }
        if (first || rec.nfields < 6) {
            first = 0;
            continue;
        }
        const char *postal = rec.fields[2], *insee = rec.fields[0];
        if (strlen(postal) != 5 || strlen(insee) != 5)
            continue;
        if (n == cap) {
            struct pc_row *p = realloc(rows, cap * 2 * sizeof(*rows));
            if (!p)
                break;
            rows = p;
            cap *= 2;
        }
        struct pc_row *w = &rows[n++];
        memcpy(w->postal, postal, 6);
        memcpy(w->insee, insee, 6);
        w->dept = dept_of_insee(insee);
        norm_name(rec.fields[1], w->name, sizeof(w->name));
        norm_name(rec.fields[4], w->label, sizeof(w->label));
        w->lat = w->lon = NAN;
        const char *gps = rec.fields[5];
        char *end = NULL;
        if (*gps) {
            double la = strtod(gps, &end);
            if (end && *end == ',') {
                double lo = strtod(end + 1, &end);
                if (end && !*end && la >= -90 && la <= 90 && lo >= -180 && lo <= 180) {
                    w->lat = la;
                    w->lon = lo;
                }
            }
        }
    }
    if (rc < 0 && rc != CSV_ERAGGED) {
        csv_error_to_err(r, e);
        csv_close(r);
        free(rows);
        return ERR_INTERNAL;
    }
    csv_close(r);
    if (!rows)
        return err_set(e, ERR_INTERNAL, "", "out of memory reading the postal codes");
    qsort(rows, n, sizeof(*rows), cmp_pc);
    ref.rows = rows;
    ref.n = n;
    return 0;
}

/* Reads the file once per process; later calls are free. */
static void ref_load(void)
{
    pthread_mutex_lock(&ref.lock);
    if (!ref.tried) {
        ref.tried = 1;
        for (size_t i = 0; i < NDEPTS; i++)
            dept_region[i + 1] = (uint8_t)region_index(depts[i].region);
        struct err e = {0};
        if (load_rows(&e))
            log_warn("geo: postal codes not loaded from %s: %s (every place is unknown)",
                     data_dir, e.msg);
        else
            log_info("geo: %zu postal code rows from %s", ref.n, data_dir);
    }
    pthread_mutex_unlock(&ref.lock);
}

/* Frees the table at exit, so leak checks see nothing left. */
__attribute__((destructor)) static void ref_free(void)
{
    free(ref.rows);
    ref.rows = NULL;
    ref.n = 0;
}

static int french(const char *country)
{
    static const char *const codes[] = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM",
                                        "BL", "MF", "WF", "PF", "NC", "MC"};
    if (!country || !*country)
        return 1;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (!strcmp(country, codes[i]))
            return 1;
    return 0;
}

/* Places an address: *dept index+1 (0 unknown), lat/lon (NaN unknown).
 * Returns 1 when the postal code is in the file. */
static int place_idx(const char *country, const char *postal, const char *city, int *dept,
                     double *lat, double *lon)
{
    *dept = 0;
    *lat = *lon = NAN;
    if (!postal || !french(country))
        return 0;
    char pc[6];
    size_t k = 0;
    for (const char *p = postal; *p; p++) {
        if (*p == ' ')
            continue;
        if (*p < '0' || *p > '9' || k == 5)
            return 0;
        pc[k++] = *p;
    }
    if (k != 5)
        return 0;
    pc[5] = 0;
    ref_load();
    size_t lo = 0, hi = ref.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ref.rows[mid].postal, pc) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < ref.n && !strcmp(ref.rows[end].postal, pc))
        end++;
    if (lo == end)
        return 0;
    int one = 1; /* one commune: no name to compare */
    for (size_t i = lo + 1; one && i < end; i++)
        one = !strcmp(ref.rows[i].insee, ref.rows[lo].insee);
    if (city && *city && !one) {
        char want[64];
        norm_name(city, want, sizeof(want));
        for (size_t i = lo; *want && i < end; i++) {
            const struct pc_row *r = &ref.rows[i];
            if (!strcmp(r->name, want) || !strcmp(r->label, want)) {
                *dept = r->dept;
                *lat = r->lat;
                *lon = r->lon;
                return 1;
            }
        }
    }
    /* no city match: the postal code's most common département, the mean
     * point of its communes (each commune once) */
    int best = 0, best_n = 0;
    double sla = 0, slo = 0;
    int pts = 0;
    for (size_t i = lo; i < end; i++) {
        const struct pc_row *r = &ref.rows[i];
        int cnt = 0;
        for (size_t j = lo; j < end; j++)
            cnt += ref.rows[j].dept == r->dept;
        if (cnt > best_n) {
            best_n = cnt;
            best = r->dept;
        }
        if ((i == lo || strcmp(ref.rows[i - 1].insee, r->insee)) && !isnan(r->lat)) {
            sla += r->lat;
            slo += r->lon;
            pts++;
        }
    }
    *dept = best;
    if (pts) {
        *lat = sla / pts;
        *lon = slo / pts;
    }
    return 1;
}

int geo_place(const char *country, const char *postal_code, const char *city,
              struct geo_place *out)
{
    int d = 0;
    int found = place_idx(country, postal_code, city, &d, &out->lat, &out->lon);
    out->dept[0] = out->region[0] = 0;
    if (d) {
        snprintf(out->dept, sizeof(out->dept), "%s", depts[d - 1].code);
        snprintf(out->region, sizeof(out->region), "%s", depts[d - 1].region);
    }
    return found;
}

/* ------------------------------------------------------------- stores */

const struct field geo_store_fields[] = {
    {"code", FT_STRING, FF_REQUIRED, 32, NULL, NULL,
     "[a-z][a-z0-9_]*: the key of segments (distance_km.<code>) and of orders.store"},
    {"name", FT_STRING, FF_REQUIRED, 200, NULL, NULL, NULL},
    {"line1", FT_STRING, FF_NULLABLE, 200, NULL, NULL, NULL},
    {"postal_code", FT_STRING, FF_NULLABLE, 16, NULL, NULL,
     "places the store when latitude and longitude are not given"},
    {"city", FT_STRING, FF_NULLABLE, 100, NULL, NULL, NULL},
    {"country", FT_COUNTRY, 0, 0, NULL, NULL, "default FR"},
    {"latitude", FT_NUMBER, 0, 0, NULL, NULL, "WGS84 degrees, -90..90"},
    {"longitude", FT_NUMBER, 0, 0, NULL, NULL, "WGS84 degrees, -180..180"},
    {"active", FT_BOOL, 0, 0, NULL, NULL, "inactive stores are not nearest and not in segments"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

#define STORE_COLS                                                                                 \
    "id, code, name, line1, postal_code, city, country, latitude, longitude, active, "             \
    "created_at, updated_at"
static const char *const store_names[] = {
    "id",      "code",     "name",      "line1",  "postal_code", "city", "country",
    "latitude", "longitude", "active", "created_at", "updated_at", NULL};
static const char *const store_types = "issssssddbtt";

static int valid_code(const char *s)
{
    if (!s || !(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static double jnum(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The store's values after applying in over cur (NULL on create): checks
 * the code and the coordinates, places it from its postal code when needed. */
struct store_vals {
    const char *code, *name, *line1, *postal, *city, *country;
    double lat, lon;
    int active;
};

static const char *pick(const json_t *in, const json_t *cur, const char *k)
{
    if (rowj_has(in, k))
        return rowj_str(in, k);
    return cur ? rowj_str(cur, k) : NULL;
}

static int store_vals(struct ctx *c, const json_t *in, const json_t *cur, struct store_vals *v)
{
    v->code = pick(in, cur, "code");
    v->name = pick(in, cur, "name");
    v->line1 = pick(in, cur, "line1");
    v->postal = pick(in, cur, "postal_code");
    v->city = pick(in, cur, "city");
    v->country = pick(in, cur, "country");
    if (!v->country)
        v->country = "FR";
    v->active = rowj_has(in, "active") ? json_is_true(json_object_get(in, "active"))
                : cur                  ? json_is_true(json_object_get(cur, "active"))
                                       : 1;
    if (!valid_code(v->code))
        return fail(c, ERR_INVALID, "code", "lower-case letters, digits and _, starting with a letter");
    if (!v->name || !*v->name)
        return fail(c, ERR_INVALID, "name", "a name is required");
    int has_lat = rowj_has(in, "latitude"), has_lon = rowj_has(in, "longitude");
    if (has_lat != has_lon)
        return fail(c, ERR_INVALID, has_lat ? "longitude" : "latitude",
                    "give latitude and longitude together");
    v->lat = has_lat ? jnum(in, "latitude") : NAN;
    v->lon = has_lon ? jnum(in, "longitude") : NAN;
    if (has_lat && !(v->lat >= -90 && v->lat <= 90))
        return fail(c, ERR_INVALID, "latitude", "between -90 and 90");
    if (has_lon && !(v->lon >= -180 && v->lon <= 180))
        return fail(c, ERR_INVALID, "longitude", "between -180 and 180");
    int moved = rowj_has(in, "postal_code") || rowj_has(in, "city") || rowj_has(in, "country");
    if (!has_lat && (!cur || moved)) {
        struct geo_place p;
        geo_place(v->country, v->postal, v->city, &p);
        if (isnan(p.lat))
            return fail(c, ERR_INVALID, v->postal ? "postal_code" : "latitude",
                        v->postal ? "unknown postal code: give latitude and longitude"
                                  : "give latitude and longitude, or a French postal code");
        v->lat = p.lat;
        v->lon = p.lon;
    } else if (!has_lat) {
        v->lat = jnum(cur, "latitude");
        v->lon = jnum(cur, "longitude");
    }
    return 0;
}

int geo_store_get(struct ctx *c, int64_t id, json_t **out)
{
    return rowj_one(c, "SELECT " STORE_COLS " FROM stores WHERE id = ?", id, store_names,
                    store_types, "store", out);
}

int geo_store_list(struct ctx *c, json_t **out)
{
    struct stmt *s = NULL;
    json_t *items = NULL;
    int rc = store_query(c->st, &s, &c->err, "SELECT " STORE_COLS " FROM stores ORDER BY code", "");
    if (!rc)
        rc = rowj_all(c, s, store_names, store_types, &items);
    if (rc)
        return rc;
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

/* Writes a store (id 0: a new one) and its event in one transaction. */
static int store_write(struct ctx *c, int64_t id, const struct store_vals *v, json_t **out)
{
    int64_t now = time_now();
    int rc = store_begin(c->st, &c->err);
    if (rc)
        return rc;
    if (!id) {
        struct stmt *s = NULL;
        rc = store_query(c->st, &s, &c->err,
                         "INSERT INTO stores(code, name, line1, postal_code, city, country, "
                         "latitude, longitude, active, created_at, updated_at) VALUES (?, ?, ?, "
                         "?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                         "ssssssddiii", v->code, v->name, v->line1, v->postal, v->city,
                         v->country, v->lat, v->lon, (int64_t)v->active, now, now);
        if (!rc) {
            rc = stmt_step(s, &c->err);
            if (rc == 1)
                id = stmt_int(s, 0);
            stmt_done(s);
            rc = rc < 0 ? rc : 0;
        }
    } else {
        rc = store_run(c->st, NULL, &c->err,
                       "UPDATE stores SET code = ?, name = ?, line1 = ?, postal_code = ?, city = "
                       "?, country = ?, latitude = ?, longitude = ?, active = ?, updated_at = ? "
                       "WHERE id = ?",
                       "ssssssddiii", v->code, v->name, v->line1, v->postal, v->city, v->country,
                       v->lat, v->lon, (int64_t)v->active, now, id);
    }
    if (rc == ERR_EXISTS)
        rc = fail(c, ERR_EXISTS, "code", "a store already has the code '%s'", v->code);
    json_t *data = json_pack("{s:s}", "code", v->code);
    if (!rc)
        rc = event_emit(c, "store.saved", 0, "store", id, data, NULL);
    json_decref(data);
    if (!rc)
        rc = store_commit(c->st, &c->err);
    if (rc) {
        store_rollback(c->st);
        return rc;
    }
    return geo_store_get(c, id, out);
}

int geo_store_create(struct ctx *c, const json_t *in, json_t **out)
{
    int rc = fields_check(geo_store_fields, in, FIELDS_CREATE, &c->err);
    struct store_vals v;
    if (!rc)
        rc = store_vals(c, in, NULL, &v);
    return rc ? rc : store_write(c, 0, &v, out);
}

int geo_store_update(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
    json_t *cur = NULL;
    int rc = fields_check(geo_store_fields, in, FIELDS_UPDATE, &c->err);
    if (!rc)
        rc = geo_store_get(c, id, &cur);
    struct store_vals v;
    if (!rc)
        rc = store_vals(c, in, cur, &v);
    if (!rc)
        rc = store_write(c, id, &v, out);
    json_decref(cur);
    return rc;
}

int geo_store_delete(struct ctx *c, int64_t id)
{
    json_t *cur = NULL;
    int rc = geo_store_get(c, id, &cur);
    if (rc)
        return rc;
    json_t *data = json_pack("{s:s}", "code", rowj_str(cur, "code"));
    rc = store_begin(c->st, &c->err);
    if (!rc)
        rc = store_run(c->st, NULL, &c->err, "DELETE FROM stores WHERE id = ?", "i", id);
    if (!rc)
        rc = event_emit(c, "store.deleted", 0, "store", id, data, NULL);
    if (!rc)
        rc = store_commit(c->st, &c->err);
    if (rc)
        store_rollback(c->st);
    json_decref(data);
    json_decref(cur);
    return rc;
}

/* The active stores, by code: arrays of n (caller frees each). */
struct storeset {
    size_t n;
    char (*code)[33];
    double *lat, *lon;
    struct geo_index *ix;
};

static void storeset_release(struct storeset *ss)
{
    free(ss->code);
    free(ss->lat);
    free(ss->lon);
    geo_index_free(ss->ix);
    memset(ss, 0, sizeof(*ss));
}

static int storeset_load(struct ctx *c, struct storeset *ss, size_t max)
{
    memset(ss, 0, sizeof(*ss));
    int64_t n = 0;
    int rc = store_int(c->st, &n, &c->err, "SELECT COUNT(*) FROM stores WHERE active = 1", "");
    if (rc)
        return rc;
    if ((size_t)n > max)
        n = (int64_t)max;
    size_t cap = n ? (size_t)n : 1;
    ss->code = calloc(cap, sizeof(*ss->code));
    ss->lat = calloc(cap, sizeof(double));
    ss->lon = calloc(cap, sizeof(double));
    if (!ss->code || !ss->lat || !ss->lon) {
        storeset_release(ss);
        return fail(c, ERR_INTERNAL, "", "out of memory");
    }
    struct stmt *s = NULL;
    rc = store_query(c->st, &s, &c->err,
                     "SELECT code, latitude, longitude FROM stores WHERE active = 1 ORDER BY code "
                     "LIMIT ?",
                     "i", n);
    while (rc >= 0 && (rc = stmt_step(s, &c->err)) == 1 && ss->n < (size_t)n) {
        snprintf(ss->code[ss->n], sizeof(ss->code[0]), "%s", stmt_text(s, 0));
        ss->lat[ss->n] = stmt_double(s, 1);
        ss->lon[ss->n] = stmt_double(s, 2);
        ss->n++;
    }
    if (s)
        stmt_done(s);
    rc = rc < 0 ? rc : 0;
    if (!rc)
        rc = geo_index_build(&ss->ix, ss->lat, ss->lon, ss->n, &c->err);
    if (rc)
        storeset_release(ss);
    return rc;
}

/* ------------------------------------------------------ the column cache */

/* Text values of a column, by code (0: none). */
struct sdict {
    char **s; /* s[0] unused */
    size_t n, cap;
    uint32_t *h;
    size_t hcap;
};

static uint64_t hstr(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Code of s (added when new); 0 for NULL or "", UINT32_MAX out of memory. */
static uint32_t sdict_code(struct sdict *d, const char *s)
{
    if (!s || !*s)
        return 0;
    if (!d->n) {
        if (!(d->s = calloc(16, sizeof(char *))))
            return UINT32_MAX;
        d->cap = 16;
        d->n = 1;
    }
    if (d->n * 2 >= d->hcap) {
        size_t hcap = d->hcap ? d->hcap * 2 : 64;
        uint32_t *h = calloc(hcap, sizeof(*h));
        if (!h)
            return UINT32_MAX;
        for (size_t i = 1; i < d->n; i++) {
            size_t k = hstr(d->s[i]) & (hcap - 1);
            while (h[k])
                k = (k + 1) & (hcap - 1);
            h[k] = (uint32_t)i;
        }
        free(d->h);
        d->h = h;
        d->hcap = hcap;
    }
    size_t k = hstr(s) & (d->hcap - 1);
    while (d->h[k]) {
        if (!strcmp(d->s[d->h[k]], s))
            return d->h[k];
        k = (k + 1) & (d->hcap - 1);
    }
    if (d->n == d->cap) {
        char **ns = realloc(d->s, d->cap * 2 * sizeof(char *));
        if (!ns)
            return UINT32_MAX;
        d->s = ns;
        d->cap *= 2;
    }
    if (!(d->s[d->n] = strdup(s)))
        return UINT32_MAX;
    d->h[k] = (uint32_t)d->n;
    return (uint32_t)d->n++;
}

static void sdict_release(struct sdict *d)
{
    for (size_t i = 1; i < d->n; i++)
        free(d->s[i]);
    free(d->s);
    free(d->h);
    memset(d, 0, sizeof(*d));
}

enum { FP_CUST_ID, FP_CUST_UPDATED, FP_ADDR_ID, NFP };
enum { SFP_COUNT, SFP_UPDATED, SFP_ID, NSFP };
enum { RFP_CAMPAIGNS, RFP_ORDERS, RFP_CLICKS, RFP_CAMPAIGN, NRFP };

/* More changed customers than this since the last look: rebuild. */
#define GC_MAX_DELTA 10000

struct gcache {
    int64_t fp[NFP];
    uint64_t gen; /* bumped by every change of the rows */
    size_t n, cap;
    int64_t *id; /* ascending */
    uint16_t *country;
    uint32_t *postal; /* code in postals: "69003", or "XX-code" abroad */
    uint8_t *dept;    /* index+1 into depts */
    float *lat, *lon;
    uint8_t *gone; /* merged, erased or a guest since the build */
    struct sdict countries, postals;
    /* nearest store, for gen and the stores' fingerprint */
    int near_ok;
    uint64_t near_gen;
    int64_t sfp[NSFP];
    char (*near_code)[33];
    size_t near_nstores;
    int16_t *near; /* store index, -1 none */
    float *near_km;
    /* campaign response, for gen and the campaigns' fingerprint */
    int resp_ok;
    uint64_t resp_gen;
    int64_t rfp[NRFP];
    uint32_t *targeted, *responded;
    /* each row's index in the order snapshot, for that snapshot's generation */
    uint32_t *sidx;
    const struct snapshot *sidx_snap;
    uint64_t sidx_snap_gen, sidx_gen;
};

static pthread_mutex_t gc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    struct app *app;
    struct gcache *gc;
} gc_cache;

static void gc_free(struct gcache *g)
{
    if (!g)
        return;
    free(g->id);
    free(g->country);
    free(g->postal);
    free(g->dept);
    free(g->lat);
    free(g->lon);
    free(g->gone);
    free(g->near_code);
    free(g->near);
    free(g->near_km);
    free(g->targeted);
    free(g->responded);
    free(g->sidx);
    sdict_release(&g->countries);
    sdict_release(&g->postals);
    free(g);
}

__attribute__((destructor)) static void gc_atexit(void)
{
    gc_free(gc_cache.gc);
    gc_cache.gc = NULL;
}

static int gc_reserve(struct gcache *g, size_t n)
{
    if (n <= g->cap)
        return 0;
    size_t cap = g->cap ? g->cap * 2 : 4096;
    while (cap < n)
        cap *= 2;
    void *p;
#define GROW(f)                                                                                    \
    if (!(p = realloc(g->f, cap * sizeof(*g->f))))                                                 \
        return -1;                                                                                 \
    g->f = p;
    GROW(id) GROW(country) GROW(postal) GROW(dept) GROW(lat) GROW(lon) GROW(gone)
#undef GROW
    g->cap = cap;
    return 0;
}

#define GC_SELECT                                                                                  \
    "SELECT c.id, c.kind = 'guest' OR c.merged_into IS NOT NULL OR c.erased_at IS NOT NULL, "      \
    "a.country, a.postal_code, a.city FROM customers c LEFT JOIN customer_addresses a ON "         \
    "a.customer_id = c.id AND a.is_primary = 1 "

/* Fills row i from a GC_SELECT row. -1 when out of memory. */
static int gc_fill(struct gcache *g, size_t i, struct stmt *s)
{
    const char *country = stmt_text(s, 2), *postal = stmt_text(s, 3), *city = stmt_text(s, 4);
    int d = 0;
    double lat, lon;
    int found = place_idx(country, postal, city, &d, &lat, &lon);
    uint32_t cc = sdict_code(&g->countries, country && *country ? country : (postal ? "FR" : NULL));
    uint32_t pc = 0;
    if (postal && *postal) {
        char key[48];
        if (found) { /* the normalised 5 digits */
            size_t k = 0;
            for (const char *p = postal; *p && k < 5; p++)
                if (*p != ' ')
                    key[k++] = *p;
            key[k] = 0;
        } else {
            snprintf(key, sizeof(key), "%s-%.40s", country && *country ? country : "??", postal);
        }
        pc = sdict_code(&g->postals, key);
    }
    if (cc == UINT32_MAX || pc == UINT32_MAX || cc > UINT16_MAX)
        return -1;
    g->country[i] = (uint16_t)cc;
    g->postal[i] = pc;
    g->dept[i] = (uint8_t)d;
    g->lat[i] = (float)lat;
    g->lon[i] = (float)lon;
    g->gone[i] = (uint8_t)(stmt_int(s, 1) != 0);
    return 0;
}

static int gc_oom(struct ctx *c)
{
    return fail(c, ERR_INTERNAL, "", "out of memory loading the geographic columns");
}

static int gc_fingerprint(struct ctx *c, int64_t fp[NFP])
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT (SELECT MAX(id) FROM customers), (SELECT MAX(updated_at) FROM "
                         "customers), (SELECT MAX(id) FROM customer_addresses)",
                         "");
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    for (int k = 0; k < NFP; k++)
        fp[k] = rc == 1 && !stmt_isnull(s, k) ? stmt_int(s, k) : 0;
    stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int gc_build(struct ctx *c, struct gcache **out)
{
    struct gcache *g = calloc(1, sizeof(*g));
    if (!g)
        return gc_oom(c);
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err, GC_SELECT "ORDER BY c.id", "");
    while (rc >= 0 && (rc = stmt_step(s, &c->err)) == 1) {
        int64_t id = stmt_int(s, 0);
        if ((g->n && g->id[g->n - 1] == id) || stmt_int(s, 1))
            continue; /* a second primary address; a guest, merged or erased */
        if (gc_reserve(g, g->n + 1) || gc_fill(g, g->n, s)) {
            rc = gc_oom(c);
            break;
        }
        g->id[g->n++] = id;
    }
    if (s)
        stmt_done(s);
    if (rc < 0) {
        gc_free(g);
        return rc;
    }
    *out = g;
    return 0;
}

static size_t gc_find(const struct gcache *g, int64_t id)
{
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < g->n && g->id[lo] == id ? lo : (size_t)-1;
}

/* Re-reads the customers changed since g->fp; *full when only a rebuild
 * can follow (too many, or an id in the middle that was not there). */
static int gc_update(struct ctx *c, struct gcache *g, int *full)
{
    static const char *const sources[] = {
        "SELECT id FROM customers WHERE id > ? LIMIT ?",
        "SELECT id FROM customers WHERE updated_at >= ? LIMIT ?",
        "SELECT customer_id FROM customer_addresses WHERE id > ? LIMIT ?",
    };
    *full = 0;
    int rc = 0;
    for (int q = 0; q < NFP && !rc && !*full; q++) {
        struct stmt *s = NULL, *one = NULL;
        rc = store_query(c->st, &s, &c->err, sources[q], "ii", g->fp[q],
                         (int64_t)GC_MAX_DELTA + 1);
        int64_t got = 0;
        int64_t *ids = NULL;
        size_t nids = 0;
        if (!rc && !(ids = malloc((GC_MAX_DELTA + 1) * sizeof(int64_t))))
            rc = gc_oom(c);
        while (rc >= 0 && (rc = stmt_step(s, &c->err)) == 1)
            if (got++ < GC_MAX_DELTA)
                ids[nids++] = stmt_int(s, 0);
        if (s)
            stmt_done(s);
        rc = rc < 0 ? rc : 0;
        if (got > GC_MAX_DELTA)
            *full = 1;
        for (size_t k = 0; k < nids && !rc && !*full; k++) {
            rc = store_query(c->st, &one, &c->err, GC_SELECT "WHERE c.id = ?", "i", ids[k]);
            if (rc)
                break;
            rc = stmt_step(one, &c->err);
            if (rc == 1) {
                size_t i = gc_find(g, ids[k]);
                if (i == (size_t)-1 && g->n && ids[k] < g->id[g->n - 1]) {
                    if (!stmt_int(one, 1))
                        *full = 1; /* reappeared in the middle */
                } else if (i == (size_t)-1) {
                    if (!stmt_int(one, 1)) {
                        if (gc_reserve(g, g->n + 1) || gc_fill(g, g->n, one))
                            rc = gc_oom(c);
                        else
                            g->id[g->n++] = ids[k];
                    }
                } else if (gc_fill(g, i, one)) {
                    rc = gc_oom(c);
                }
            }
            stmt_done(one);
            rc = rc < 0 ? rc : 0;
        }
        free(ids);
    }
    return rc;
}

/* The application's cache, current, held under gc_lock (gc_release). */
static int gc_acquire(struct ctx *c, struct gcache **out)
{
    int64_t fp[NFP];
    int rc = gc_fingerprint(c, fp);
    if (rc)
        return rc;
    pthread_mutex_lock(&gc_lock);
    struct gcache *g = gc_cache.app == c->app ? gc_cache.gc : NULL;
    if (g && memcmp(g->fp, fp, sizeof(fp))) {
        int full = 0;
        rc = gc_update(c, g, &full);
        if (rc || full) {
            gc_free(g);
            gc_cache.gc = g = NULL;
        } else {
            memcpy(g->fp, fp, sizeof(fp));
            g->gen++;
        }
        if (rc) {
            pthread_mutex_unlock(&gc_lock);
            return rc;
        }
    }
    if (!g) {
        rc = gc_build(c, &g);
        if (rc) {
            pthread_mutex_unlock(&gc_lock);
            return rc;
        }
        memcpy(g->fp, fp, sizeof(fp));
        if (gc_cache.gc && gc_cache.app == c->app) {
            g->gen = gc_cache.gc->gen + 1;
            gc_free(gc_cache.gc);
        } else if (gc_cache.gc) {
            gc_free(gc_cache.gc);
        }
        gc_cache.app = c->app;
        gc_cache.gc = g;
    }
    *out = g;
    return 0;
}

static void gc_release(void)
{
    pthread_mutex_unlock(&gc_lock);
}

/* Brings the nearest-store columns up to date with the stores. */
static int gc_nearest(struct ctx *c, struct gcache *g)
{
    int64_t sfp[NSFP];
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT COUNT(*), MAX(updated_at), MAX(id) FROM stores", "");
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    for (int k = 0; k < NSFP; k++)
        sfp[k] = rc == 1 && !stmt_isnull(s, k) ? stmt_int(s, k) : 0;
    stmt_done(s);
    if (rc < 0)
        return rc;
    if (g->near_ok && g->near_gen == g->gen && !memcmp(g->sfp, sfp, sizeof(sfp)))
        return 0;
    struct storeset ss;
    rc = storeset_load(c, &ss, INT16_MAX);
    if (rc)
        return rc;
    free(g->near);
    free(g->near_km);
    free(g->near_code);
    g->near_ok = 0;
    g->near = malloc((g->n ? g->n : 1) * sizeof(*g->near));
    g->near_km = malloc((g->n ? g->n : 1) * sizeof(*g->near_km));
    g->near_code = ss.code;
    g->near_nstores = ss.n;
    ss.code = NULL;
    if (!g->near || !g->near_km) {
        storeset_release(&ss);
        return gc_oom(c);
    }
    for (size_t i = 0; i < g->n; i++) {
        double km = NAN;
        long k = geo_nearest(ss.ix, g->lat[i], g->lon[i], &km);
        g->near[i] = (int16_t)k;
        g->near_km[i] = k < 0 ? NAN : (float)km;
    }
    storeset_release(&ss);
    memcpy(g->sfp, sfp, sizeof(sfp));
    g->near_gen = g->gen;
    g->near_ok = 1;
    return 0;
}

/* Brings the campaign response columns up to date (campaign 0: all). A
 * recipient who received a message (status queued) responded when the
 * message was clicked or an order (a sale, neither cancelled nor refunded)
 * was placed within the campaign's conversion window after its launch. */
static int gc_response(struct ctx *c, struct gcache *g, int64_t campaign)
{
    int64_t rfp[NRFP];
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT (SELECT MAX(updated_at) FROM campaigns), (SELECT MAX(id) FROM "
                         "orders), (SELECT MAX(id) FROM campaign_clicks)",
                         "");
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    for (int k = 0; k < RFP_CAMPAIGN; k++)
        rfp[k] = rc == 1 && !stmt_isnull(s, k) ? stmt_int(s, k) : 0;
    stmt_done(s);
    if (rc < 0)
        return rc;
    rfp[RFP_CAMPAIGN] = campaign;
    if (g->resp_ok && g->resp_gen == g->gen && !memcmp(g->rfp, rfp, sizeof(rfp)))
        return 0;
    free(g->targeted);
    free(g->responded);
    g->resp_ok = 0;
    g->targeted = calloc(g->n ? g->n : 1, sizeof(uint32_t));
    g->responded = calloc(g->n ? g->n : 1, sizeof(uint32_t));
    if (!g->targeted || !g->responded)
        return gc_oom(c);
    rc = store_query(
        c->st, &s, &c->err,
        "SELECT r.customer_id, COUNT(*), SUM(CASE WHEN r.clicked_at IS NOT NULL OR EXISTS "
        "(SELECT 1 FROM orders o WHERE o.customer_id = r.customer_id AND o.kind = 'sale' AND "
        "o.status NOT IN ('cancelled', 'refunded') AND o.ordered_at >= k.launched_at AND "
        "o.ordered_at < k.launched_at + k.conversion_days * 86400) THEN 1 ELSE 0 END) FROM "
        "campaign_recipients r JOIN campaigns k ON k.id = r.campaign_id WHERE r.status = "
        "'queued' AND k.launched_at IS NOT NULL AND (? = 0 OR k.id = ?) GROUP BY r.customer_id",
        "ii", campaign, campaign);
    while (rc >= 0 && (rc = stmt_step(s, &c->err)) == 1) {
        size_t i = gc_find(g, stmt_int(s, 0));
        if (i == (size_t)-1)
            continue;
        g->targeted[i] = (uint32_t)stmt_int(s, 1);
        g->responded[i] = (uint32_t)stmt_int(s, 2);
    }
    if (s)
        stmt_done(s);
    if (rc < 0)
        return rc;
    memcpy(g->rfp, rfp, sizeof(rfp));
    g->resp_gen = g->gen;
    g->resp_ok = 1;
    return 0;
}

/* Each row's index in the order snapshot s (held): looked up again only
 * when the snapshot or the rows changed, so a warm aggregate reads arrays. */
static int gc_snapshot_index(struct ctx *c, struct gcache *g, const struct snapshot *s)
{
    if (g->sidx && g->sidx_snap == s && g->sidx_snap_gen == s->generation && g->sidx_gen == g->gen)
        return 0;
    free(g->sidx);
    g->sidx_snap = NULL;
    if (!(g->sidx = malloc((g->n ? g->n : 1) * sizeof(uint32_t))))
        return gc_oom(c);
    for (size_t i = 0; i < g->n; i++)
        g->sidx[i] = snapshot_find(s, g->id[i]);
    g->sidx_snap = s;
    g->sidx_snap_gen = s->generation;
    g->sidx_gen = g->gen;
    return 0;
}

/* ------------------------------------------------------------- areas */

enum { L_COUNTRY, L_REGION, L_DEPT, L_POSTAL };
enum {
    K_CUSTOMERS,
    K_BUYERS,
    K_REVENUE,
    K_BASKET,
    K_TARGETED,
    K_RESPONDED,
    K_RESPONSE,
    K_KM
};

static int word_index(const char *list, const char *w)
{
    int i = 0;
    size_t n = strlen(w);
    for (const char *p = list; *p; i++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, w, n))
            return i;
        if (!bar)
            break;
        p = bar + 1;
    }
    return -1;
}

struct area_out {
    uint32_t area;
    double value;
};

static int cmp_value(const void *a, const void *b)
{
    const struct area_out *x = a, *y = b;
    int xn = isnan(x->value), yn = isnan(y->value);
    if (xn != yn)
        return xn - yn;
    if (!xn && x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return (x->area > y->area) - (x->area < y->area);
}

static double kpi_value(int kpi, const struct geo_tally *t)
{
    switch (kpi) {
    case K_CUSTOMERS:
        return (double)t->customers;
    case K_BUYERS:
        return (double)t->buyers;
    case K_REVENUE:
        return (double)t->revenue;
    case K_BASKET:
        return geo_tally_basket(t);
    case K_TARGETED:
        return (double)t->targeted;
    case K_RESPONDED:
        return (double)t->responded;
    case K_RESPONSE:
        return geo_tally_response(t);
    default:
        return geo_tally_km(t);
    }
}

static json_t *num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

/* The key and display name of area a at a level. */
static void area_key(const struct gcache *g, int level, uint32_t a, const char **key,
                     const char **name)
{
    *key = *name = NULL;
    if (!a)
        return;
    switch (level) {
    case L_COUNTRY:
        *key = *name = g->countries.s[a];
        break;
    case L_REGION:
        *key = regions[a - 1].code;
        *name = regions[a - 1].name;
        break;
    case L_DEPT:
        *key = depts[a - 1].code;
        *name = depts[a - 1].name;
        break;
    default:
        *key = *name = g->postals.s[a];
    }
}

int geo_areas(struct ctx *c, const char *level_s, const char *kpi_s, int64_t campaign_id,
              json_t **out)
{
    int level = word_index(GEO_LEVELS, level_s ? level_s : "departement");
    int kpi = word_index(GEO_KPIS, kpi_s ? kpi_s : "customers");
    if (level < 0)
        return fail(c, ERR_BADREQ, "level", "one of %s", GEO_LEVELS);
    if (kpi < 0)
        return fail(c, ERR_BADREQ, "kpi", "one of %s", GEO_KPIS);
    if (campaign_id < 0)
        return fail(c, ERR_BADREQ, "campaign_id", "a campaign id");
    int want_resp = kpi == K_TARGETED || kpi == K_RESPONDED || kpi == K_RESPONSE || campaign_id;
    int want_km = kpi == K_KM;
    struct gcache *g = NULL;
    struct snapshot *snap = NULL;
    struct geo_tally *t = NULL;
    struct area_out *ao = NULL;
    json_t *list = NULL;
    int rc = snapshot_read(c->app, &snap, NULL, NULL, &c->err);
    if (rc)
        return rc;
    rc = gc_acquire(c, &g);
    if (rc) {
        snapshot_unlock(snap);
        return rc;
    }
    rc = gc_snapshot_index(c, g, snap);
    if (!rc && want_km)
        rc = gc_nearest(c, g);
    if (!rc && want_resp)
        rc = gc_response(c, g, campaign_id);
    size_t nareas = level == L_COUNTRY  ? (g->countries.n ? g->countries.n : 1)
                    : level == L_REGION ? NREGIONS + 1
                    : level == L_DEPT   ? NDEPTS + 1
                                        : (g->postals.n ? g->postals.n : 1);
    if (!rc && (!(t = calloc(nareas, sizeof(*t))) || !(ao = calloc(nareas, sizeof(*ao)))))
        rc = gc_oom(c);
    uint64_t total = 0;
    if (!rc) {
        struct geo_item buf[1024];
        size_t nb = 0;
        for (size_t i = 0; i < g->n; i++) {
            if (g->gone[i])
                continue;
            struct geo_item *it = &buf[nb++];
            switch (level) {
            case L_COUNTRY:
                it->area = g->country[i];
                break;
            case L_REGION:
                it->area = dept_region[g->dept[i]];
                break;
            case L_DEPT:
                it->area = g->dept[i];
                break;
            default:
                it->area = g->postal[i];
            }
            uint32_t si = g->sidx[i];
            it->revenue = si == SNAP_NONE ? 0 : snap->c_net[si];
            it->txns = si == SNAP_NONE ? 0 : snap->c_txns[si];
            it->targeted = want_resp ? g->targeted[i] : 0;
            it->responded = want_resp ? g->responded[i] : 0;
            it->km = want_km ? g->near_km[i] : NAN;
            if (nb == sizeof(buf) / sizeof(buf[0]) || i + 1 == g->n) {
                geo_tally_add(t, nareas, buf, nb);
                nb = 0;
            }
        }
        if (nb)
            geo_tally_add(t, nareas, buf, nb);
    }
    size_t nout = 0;
    for (size_t a = 1; !rc && a < nareas; a++)
        if (t[a].customers)
            ao[nout++] = (struct area_out){(uint32_t)a, kpi_value(kpi, &t[a])};
    if (!rc) {
        qsort(ao, nout, sizeof(*ao), cmp_value);
        if (t[0].customers)
            ao[nout++] = (struct area_out){0, kpi_value(kpi, &t[0])};
        list = json_array();
        for (size_t k = 0; k < nout; k++) {
            const struct geo_tally *x = &t[ao[k].area];
            const char *key, *name;
            area_key(g, level, ao[k].area, &key, &name);
            total += x->customers;
            double basket = geo_tally_basket(x);
            json_t *o = json_pack(
                "{s:s,s:s,s:I,s:I,s:I,s:o}", "key", key ? key : "unknown", "name",
                name ? name : "unknown", "customers", (json_int_t)x->customers, "buyers",
                (json_int_t)x->buyers, "revenue_minor", (json_int_t)x->revenue,
                "average_basket_minor",
                isnan(basket) ? json_null() : json_integer((json_int_t)llround(basket)));
            json_object_set_new(o, "targeted",
                                want_resp ? json_integer((json_int_t)x->targeted) : json_null());
            json_object_set_new(o, "responded",
                                want_resp ? json_integer((json_int_t)x->responded) : json_null());
            json_object_set_new(o, "response_rate",
                                want_resp ? num_or_null(geo_tally_response(x)) : json_null());
            json_object_set_new(o, "nearest_store_km",
                                want_km ? num_or_null(geo_tally_km(x)) : json_null());
            json_object_set_new(o, "value", num_or_null(ao[k].value));
            json_array_append_new(list, o);
        }
        *out = json_pack("{s:s,s:s,s:I,s:I,s:o}", "level", level_s ? level_s : "departement",
                         "kpi", kpi_s ? kpi_s : "customers", "campaign_id",
                         (json_int_t)campaign_id, "customers", (json_int_t)total, "areas", list);
    }
    gc_release();
    snapshot_unlock(snap);
    free(t);
    free(ao);
    return rc;
}

int geo_customer(struct ctx *c, int64_t customer_id, json_t **out)
{
    struct stmt *s = NULL;
    int rc = store_query(c->st, &s, &c->err,
                         "SELECT a.country, a.postal_code, a.city FROM customers c LEFT JOIN "
                         "customer_addresses a ON a.customer_id = c.id AND a.is_primary = 1 "
                         "WHERE c.id = ? AND c.merged_into IS NULL",
                         "i", customer_id);
    if (rc)
        return rc;
    rc = stmt_step(s, &c->err);
    if (rc != 1) {
        stmt_done(s);
        return rc < 0 ? rc : fail(c, ERR_NOTFOUND, "id", "no customer %lld",
                                  (long long)customer_id);
    }
    const char *country = stmt_text(s, 0), *postal = stmt_text(s, 1), *city = stmt_text(s, 2);
    struct geo_place p;
    geo_place(country, postal, city, &p);
    json_t *o = json_pack("{s:I,s:s?,s:s?,s:s?}", "customer_id", (json_int_t)customer_id,
                          "country", country, "postal_code", postal, "city", city);
    stmt_done(s);
    json_object_set_new(o, "departement", *p.dept ? json_string(p.dept) : json_null());
    json_object_set_new(o, "departement_name",
                        *p.dept ? json_string(geo_dept_name(p.dept)) : json_null());
    json_object_set_new(o, "region", *p.region ? json_string(p.region) : json_null());
    json_object_set_new(o, "region_name",
                        *p.region ? json_string(geo_region_name(p.region)) : json_null());
    json_object_set_new(o, "latitude", num_or_null(p.lat));
    json_object_set_new(o, "longitude", num_or_null(p.lon));
    struct storeset ss;
    rc = storeset_load(c, &ss, SIZE_MAX / 64);
    if (rc) {
        json_decref(o);
        return rc;
    }
    double km = NAN;
    long k = geo_nearest(ss.ix, p.lat, p.lon, &km);
    json_object_set_new(o, "nearest_store", k >= 0 ? json_string(ss.code[k]) : json_null());
    json_object_set_new(o, "nearest_store_km", k >= 0 ? json_real(km) : json_null());
    json_t *d = json_object();
    for (size_t i = 0; i < ss.n && !isnan(p.lat); i++)
        json_object_set_new(d, ss.code[i],
                            json_real(geo_distance_km(p.lat, p.lon, ss.lat[i], ss.lon[i])));
    json_object_set_new(o, "distances_km", d);
    storeset_release(&ss);
    *out = o;
    return 0;
}

int geo_shapes(struct ctx *c, const char *level, char **buf, size_t *len)
{
    const char *file = !level                           ? NULL
                       : !strcmp(level, "departements") ? "departements-version-simplifiee.geojson"
                       : !strcmp(level, "regions")      ? "regions-version-simplifiee.geojson"
                                                        : NULL;
    if (!file)
        return fail(c, ERR_NOTFOUND, "level", "departements or regions");
    char path[PATH_MAX + 64];
    data_path(file, path, sizeof(path));
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(c, ERR_UNAVAILABLE, "level", "the shapes file is not installed (%s)", path);
    struct stat st;
    char *b = NULL;
    int rc = 0;
    if (fstat(fileno(f), &st) || st.st_size <= 0 || st.st_size > 64 * 1024 * 1024 ||
        !(b = malloc((size_t)st.st_size)) || fread(b, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        rc = fail(c, ERR_INTERNAL, "", "cannot read %s", path);
    fclose(f);
    if (rc) {
        free(b);
        return rc;
    }
    *buf = b;
    *len = (size_t)st.st_size;
    return 0;
}

/* ------------------------------------------------------------- segments */

struct geo_seg {
    struct storeset ss;
    char names[GEO_SEG_MAX_STORES][48];
    const char *dict[GEO_SEG_MAX_STORES + 1]; /* dict[0] unused */
    uint32_t *near;
    double *near_km;
    double *dist[GEO_SEG_MAX_STORES];
};

int geo_seg_open(struct ctx *c, struct geo_seg **out, struct segx_field *fields, size_t *nfields)
{
    *out = NULL;
    *nfields = 0;
    struct geo_seg *g = calloc(1, sizeof(*g));
    if (!g)
        return gc_oom(c);
    int rc = storeset_load(c, &g->ss, GEO_SEG_MAX_STORES);
    if (rc) {
        free(g);
        return rc;
    }
    for (size_t k = 0; k < g->ss.n; k++) {
        snprintf(g->names[k], sizeof(g->names[k]), "distance_km.%s", g->ss.code[k]);
        g->dict[k + 1] = g->ss.code[k];
        fields[k] = (struct segx_field){g->names[k], SEGX_NUM, NULL,
                                        "great-circle km to the store, from the postal code"};
    }
    *nfields = g->ss.n;
    *out = g;
    return 0;
}

void geo_seg_free(struct geo_seg *g)
{
    if (!g)
        return;
    storeset_release(&g->ss);
    free(g->near);
    free(g->near_km);
    for (size_t k = 0; k < GEO_SEG_MAX_STORES; k++)
        free(g->dist[k]);
    free(g);
}

long geo_seg_index(const struct geo_seg *g, const char *field)
{
    for (size_t k = 0; k < g->ss.n; k++)
        if (!strcmp(g->names[k], field))
            return (long)k;
    return -1;
}

int geo_seg_columns(struct geo_seg *g, const double *lat, const double *lon, size_t n,
                    int want_nearest, const uint8_t *want, struct segx_column *nearest,
                    struct segx_column *nearest_km, struct segx_column *extra)
{
    size_t cap = n ? n : 1;
    if (want_nearest) {
        if (!(g->near = malloc(cap * sizeof(uint32_t))) ||
            !(g->near_km = malloc(cap * sizeof(double))))
            return ERR_INTERNAL;
        for (size_t i = 0; i < n; i++) {
            double km = NAN;
            long k = geo_nearest(g->ss.ix, lat[i], lon[i], &km);
            g->near[i] = k < 0 ? 0 : (uint32_t)k + 1;
            g->near_km[i] = k < 0 ? NAN : km;
        }
        memset(nearest, 0, sizeof(*nearest));
        nearest->code = g->near;
        nearest->dict = g->dict;
        nearest->ndict = g->ss.n + 1;
        memset(nearest_km, 0, sizeof(*nearest_km));
        nearest_km->num = g->near_km;
    }
    for (size_t k = 0; k < g->ss.n; k++) {
        memset(&extra[k], 0, sizeof(extra[k]));
        if (!want[k])
            continue;
        if (!(g->dist[k] = malloc(cap * sizeof(double))))
            return ERR_INTERNAL;
        for (size_t i = 0; i < n; i++)
            g->dist[k][i] = isnan(lat[i]) ? NAN
                                          : geo_distance_km(lat[i], lon[i], g->ss.lat[k],
                                                            g->ss.lon[k]);
        extra[k].num = g->dist[k];
    }
    return 0;
}
