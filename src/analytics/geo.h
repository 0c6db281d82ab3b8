/*
 * Geographic aggregates (geomarketing, seed 000/002): customers, buyers,
 * active customers and revenue grouped by an area key (a country, a region,
 * a postal area). Pure: rows in, areas out.
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

#endif
