/*
 * Geographic aggregates (geomarketing, seed 000/002): customers, buyers,
 * active customers and revenue grouped by an area key (a country, a region,
 * a postal area); great-circle distances, the nearest of a set of points
 * (stores) over a latitude-sorted index, and point-in-polygon. Pure: rows
 * in, areas out.
 */
#ifndef ANALYTICS_GEO_H
#define ANALYTICS_GEO_H
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum { GEO_BUYER = 1, GEO_ACTIVE = 2 };

/* One customer: its area key (NULL: unknown), net revenue, GEO_* flags. */
struct geo_row {
    const char *key;
    int64_t revenue;
    int flags;
};

struct geo_area {
    const char *key; /* points into the rows' keys; NULL for unknown */
    uint64_t customers, buyers, active;
    int64_t revenue;
};

/*
 * Groups the n rows by key (byte-wise equality) into *out (caller frees),
 * *nout areas sorted by revenue descending, then key ascending, the unknown
 * area last. rows is reordered. Errors: ERR_INTERNAL (memory).
 */
int geo_group(struct geo_area **out, size_t *nout, struct geo_row *rows, size_t n, struct err *e);

/* The postal area of a postal code: country + '-' + the first two
 * characters (the French département; Corsica's 2A/2B from 200xx/201xx
 * stay "20"), into buf; NULL when the code is empty. */
const char *geo_postal_area(const char *country, const char *postal_code, char *buf, size_t len);

/* ------------------------------------------------------------ distances */

#define GEO_EARTH_KM 6371.0088 /* mean Earth radius (IUGG) */

/* Great-circle distance in km between two WGS84 points in degrees, by the
 * haversine formula (Sinnott 1984), on a sphere of GEO_EARTH_KM: within
 * 0.5 % of the ellipsoid, plenty for "within 20 km of a store". */
double geo_distance_km(double lat1, double lon1, double lat2, double lon2);

/*
 * The nearest of n points (stores) to a query point. The points are kept
 * sorted by latitude; a query walks outwards from the query's latitude and
 * stops when the latitude gap alone (R * |dlat|, a lower bound of the
 * great-circle distance) exceeds the best distance found, so it is exact
 * and visits few points when they are spread out.
 */
struct geo_index;

/* Builds the index over n points (copied; NaN coordinates are left out).
 * *out is freed with geo_index_free. Errors: ERR_INTERNAL (memory). */
int geo_index_build(struct geo_index **out, const double *lat, const double *lon, size_t n,
                    struct err *e);
void geo_index_free(struct geo_index *ix);
/* Index (0..n-1, as given to the build) of the nearest point, its distance
 * in *km; -1 when the index is empty or the query has a NaN. Ties go to the
 * lowest index. */
long geo_nearest(const struct geo_index *ix, double lat, double lon, double *km);

/* 1 when (x, y) is inside the closed ring of n points xy[2*i], xy[2*i+1]
 * (even-odd rule, W. R. Franklin's PNPOLY); points on an edge may go either
 * way. x is the longitude, y the latitude, as in GeoJSON. */
int geo_in_ring(const double *xy, size_t n, double x, double y);

/* ------------------------------------------------------------- tallies */

/* One customer's contribution to an area (geo_tally). */
struct geo_item {
    uint32_t area;     /* 0..nareas-1 */
    int64_t revenue;   /* net revenue, minor units */
    uint32_t txns;     /* transactions (for the average basket) */
    uint32_t targeted; /* campaign messages received */
    uint32_t responded; /* of which answered (a click or an order in the window) */
    double km;         /* distance to the nearest store, NaN when unknown */
};

/* Totals of one area. */
struct geo_tally {
    uint64_t customers, buyers, txns, targeted, responded, located;
    int64_t revenue;
    double km_sum;
};

/* Adds the n items into t[0..nareas) (zeroed by the caller); items whose
 * area is out of range are ignored. */
void geo_tally_add(struct geo_tally *t, size_t nareas, const struct geo_item *items, size_t n);
/* Average basket (revenue / transactions, minor units), response rate
 * (responded / targeted) and mean distance of one tally; NaN when the
 * denominator is 0. */
double geo_tally_basket(const struct geo_tally *t);
double geo_tally_response(const struct geo_tally *t);
double geo_tally_km(const struct geo_tally *t);

#endif
