/*
 * The demo data generator: realistic, deterministic (fixed seed) customers,
 * products, orders, interactions, consents and contracts, fast enough for
 * 1,000,000 customers and ~20,000,000 orders.
 */
#ifndef APP_DEMO_H
#define APP_DEMO_H
#include <stdint.h>

#include "app/app.h"

struct demo_opts {
    int64_t customers;          /* default 5000 */
    double orders_per_customer; /* mean, default 20 */
    int years;                  /* history length, default 3, ending at time_now() */
    uint64_t seed;              /* default 42 */
};

/* Fills an empty database. progress(stage, fraction 0..1, arg) may be NULL.
 * Refuses (ERR_CONFLICT) when the database already holds customers. */
int demo_generate(struct ctx *c, const struct demo_opts *o,
                  void (*progress)(const char *stage, double frac, void *arg), void *arg);

#endif
