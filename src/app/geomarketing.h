/*
 * Geomarketing (issue 11, part 4): where customers are and what they are
 * worth there. French postal codes are placed from the shipped La Poste file
 * (data/geo, ODbL, read once into memory) into a commune point, a
 * département and a région; stores are records with coordinates; areas
 * (country, région, département, postal code) carry customers, revenue,
 * average basket, campaign response and the distance to the nearest store,
 * from an in-memory column cache kept current by a fingerprint, so a
 * million customers aggregate in milliseconds.
 */
#ifndef APP_GEOMARKETING_H
#define APP_GEOMARKETING_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

struct segx_field;
struct segx_column;

/* ------------------------------------------------------------- places */

/* Where an address is. dept and region are "" when unknown (a postal code
 * that is not in the file, or a country other than France and its overseas
 * parts); lat/lon are NaN when unknown. */
struct geo_place {
    char dept[4];   /* INSEE département code: "69", "2A", "974" */
    char region[3]; /* INSEE région code: "84" */
    double lat, lon;
};

/*
 * Places a postal address. The commune is the one of that postal code whose
 * La Poste name (or routing label) matches the city, accents, case, hyphens
 * and SAINT/ST aside; else the postal code's first commune's département and
 * the mean point of its communes. Countries: FR, empty (taken as FR), the
 * overseas ISO codes (GP, MQ, GF, RE, YT, PM, BL, MF, WF, PF, NC) and MC.
 * Never fails: without the data file everything is unknown (logged once).
 * Returns 1 when the postal code was found, 0 otherwise.
 */
int geo_place(const char *country, const char *postal_code, const char *city,
              struct geo_place *out);

/* Name of a département or région code ("69" → "Rhône"), NULL if unknown. */
const char *geo_dept_name(const char *code);
const char *geo_region_name(const char *code);

/* The directory of the shipped data: $RELATIO_GEO_DATA, else data/geo in the
 * working directory, else data/geo two levels above the executable. */
const char *geo_data_dir(void);

/* ------------------------------------------------------------- stores */

/* Body of POST/PATCH /geo/stores: code ([a-z][a-z0-9_]*, the key segments
 * use), name, line1, postal_code, city, country, latitude, longitude
 * (both or neither; else taken from the postal code), active. */
extern const struct field geo_store_fields[];

int geo_store_create(struct ctx *c, const json_t *in, json_t **out);
int geo_store_get(struct ctx *c, int64_t id, json_t **out);
/* {"items": [...]} every store (a few hundred at most), by code. */
int geo_store_list(struct ctx *c, json_t **out);
int geo_store_update(struct ctx *c, int64_t id, const json_t *in, json_t **out);
int geo_store_delete(struct ctx *c, int64_t id);

/* ------------------------------------------------------------- areas */

/* Levels and KPIs of geo_areas. */
#define GEO_LEVELS "country|region|departement|postal_code"
#define GEO_KPIS                                                                                   \
    "customers|buyers|revenue|average_basket|targeted|responded|response_rate|nearest_store_km"

/*
 * {"level", "kpi", "customers", "areas": [{key, name, customers, buyers,
 * revenue_minor, average_basket_minor, targeted, responded, response_rate,
 * nearest_store_km, value}]} over the customers (not guests, not merged or
 * erased), by level, sorted by the KPI's value descending, the "unknown"
 * area (no or unknown postal code) last. Campaign figures are computed when
 * the KPI is one of them (campaign_id > 0: that campaign only), distances
 * when it is nearest_store_km. ERR_BADREQ naming level or kpi.
 */
int geo_areas(struct ctx *c, const char *level, const char *kpi, int64_t campaign_id,
              json_t **out);

/* One customer's place: {customer_id, country, postal_code, city,
 * departement, region, latitude, longitude, nearest_store, nearest_store_km,
 * distances: {code: km}}. ERR_NOTFOUND. */
int geo_customer(struct ctx *c, int64_t customer_id, json_t **out);

/* The shipped outline file of a level ("departements" or "regions") read
 * into *buf (caller frees), *len bytes of GeoJSON. ERR_NOTFOUND naming
 * "level". */
int geo_shapes(struct ctx *c, const char *level, char **buf, size_t *len);

/* ------------------------------------------------------------- segments */

/* Most stores a segment can name in distance_km.<code>. */
#define GEO_SEG_MAX_STORES 64

/* The stores, as the segment language sees them at one compile. */
struct geo_seg;

/* Reads the active stores (up to GEO_SEG_MAX_STORES, by code) into *out and
 * writes one field "distance_km.<code>" (NUM) per store into
 * fields[0..*nfields). Caller frees with geo_seg_free. */
int geo_seg_open(struct ctx *c, struct geo_seg **out, struct segx_field *fields, size_t *nfields);
void geo_seg_free(struct geo_seg *g);
/* Index of the store of a field name "distance_km.<code>" in g, -1 if none. */
long geo_seg_index(const struct geo_seg *g, const char *field);

/*
 * Columns over n customers located at lat/lon (NaN: unknown): the nearest
 * store's code (*nearest, STR), the distance to it (*nearest_km, NUM) and,
 * for each store k with want[k], the distance to it (extra[k], NUM). The
 * arrays belong to g. Returns 0, or ERR_INTERNAL when out of memory.
 */
int geo_seg_columns(struct geo_seg *g, const double *lat, const double *lon, size_t n,
                    int want_nearest, const uint8_t *want, struct segx_column *nearest,
                    struct segx_column *nearest_km, struct segx_column *extra);

#endif
