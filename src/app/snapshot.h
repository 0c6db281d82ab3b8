/*
 * The column snapshot (DESIGN.md "Storage rules"): every order that counts
 * for analytics, in memory as a structure of arrays, grouped by customer and
 * kept up to date as orders arrive, so rescoring a whole base needs no SQL
 * scan. Built once per process, lazily on first use, from two sequential
 * reads (order counts per customer from the index, then the orders in table
 * order: 20M orders in about 10 s); the order hooks (order_create,
 * order_set_status) recompute the one customer they touched. About 21 bytes
 * an order plus 48 a customer.
 */
#ifndef APP_SNAPSHOT_H
#define APP_SNAPSHOT_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "util/err.h"

struct store;

#define SNAP_NONE UINT32_MAX /* no such customer; a free order slot */

/* Bits of o_flags. */
enum {
    SNAP_TXN = 1,   /* a transaction: a sale, not cancelled or refunded, amount > 0 */
    SNAP_REFUND = 2 /* kind "refund": its (negative) amount lowers net revenue */
};

/* Progress of a long step: stage name and fraction done (negative: unknown). */
typedef void (*snapshot_progress_fn)(const char *stage, double frac, void *arg);

/*
 * Which orders are kept (exactly refresh_aggregates in activity.c): refunds,
 * whatever their status, and sales that are neither cancelled nor refunded.
 * Net revenue is the sum of the kept amounts; a transaction is a kept sale
 * with a positive amount.
 *
 * Orders live in slots 0..n_slots-1. Customer i owns the slots
 * [c_start[i], c_start[i] + c_count[i]), sorted by day then order id; a slot
 * nobody owns has o_cust = SNAP_NONE (left behind when a customer's orders
 * moved; compacted away when they pile up). Customer indices are dense and
 * stable for the snapshot's life (until a rebuild); c_id is ascending unless
 * `unsorted` is set (a customer appended after the build with a smaller id).
 *
 * Everything is guarded by `lock`: readers hold it shared (snapshot_read ..
 * snapshot_unlock), the build and the hooks exclusive. `generation` grows
 * with every change, so derived results can tell they are stale. `derived`
 * belongs to analytics.c (its caches, guarded by derived_lock) and is freed
 * with derived_free when the snapshot is rebuilt or freed.
 */
struct snapshot {
    pthread_rwlock_t lock;
    int built;            /* 0 until built, and again after snapshot_invalidate */
    int unsorted;         /* c_id is not ascending */
    uint64_t generation;  /* bumped by every build and change */
    int64_t max_order_id; /* highest order id read: above it, orders are new */
    double build_seconds;

    size_t n_slots, cap_slots, n_free;
    uint32_t *o_cust;  /* customer index, SNAP_NONE for a free slot */
    int32_t *o_day;    /* days since 1970-01-01, UTC */
    int64_t *o_amount; /* minor units; refunds negative */
    int32_t *o_margin; /* minor units, clamped to +-INT32_MAX; INT32_MIN when unknown */
    uint8_t *o_flags;  /* SNAP_TXN | SNAP_REFUND */

    size_t n_cust, cap_cust;
    int64_t *c_id;   /* the customer's database id */
    uint32_t *c_ext; /* offset of its external id in ext, SNAP_NONE if none */
    uint32_t *c_start, *c_count;
    int32_t *c_first, *c_last; /* first and last transaction day, INT32_MIN if none */
    uint32_t *c_txns;          /* transactions, all time */
    int64_t *c_net;            /* net revenue, all time, minor units */

    char *ext; /* NUL-terminated external ids, back to back */
    size_t ext_len, ext_cap;
    uint32_t *map;  /* open addressing id -> index, SNAP_NONE empty */
    size_t map_cap; /* a power of two, at least twice n_cust */

    struct store *watch; /* asks for new order ids (behind() in snapshot.c) */
    pthread_mutex_t watch_lock;
    atomic_llong watch_at; /* CLOCK_MONOTONIC microseconds of its last answer "none" */

    pthread_mutex_t derived_lock;
    void *derived;
    void (*derived_free)(void *);
};

/*
 * The application's snapshot, built first if needed (progress may be NULL),
 * held shared: *out stays valid and unchanged until snapshot_unlock(*out).
 * Do not call a hook or snapshot_read again on this thread meanwhile.
 * The build reads on a connection of its own, in a read transaction begun
 * after the lock is taken, so a hook that ran before sees its order built
 * in and a hook that runs after waits and applies on top. Orders inserted
 * without a hook (another process: `relatio import` while serving) are
 * noticed by their ids and read in here (within a millisecond of their
 * commit: readers share one check per millisecond); status changes made by
 * another process are not (snapshot_invalidate).

 * Errors: those of the store, ERR_INTERNAL when out of memory.
 */
int snapshot_read(struct app *a, struct snapshot **out, snapshot_progress_fn progress, void *arg,
                  struct err *e);
void snapshot_unlock(struct snapshot *s);

/* Index of a customer id, or SNAP_NONE. Caller holds the lock. */
uint32_t snapshot_find(const struct snapshot *s, int64_t customer_id);
/* External id of customer index i, or NULL. Valid while the lock is held. */
const char *snapshot_ext(const struct snapshot *s, uint32_t i);
/* Number of the customer's slots dated <= day (its slots are by day). */
uint32_t snapshot_count_until(const struct snapshot *s, uint32_t i, int32_t day);
/* Bytes held by the arrays (capacity, not just size). Caller holds the lock. */
size_t snapshot_bytes(const struct snapshot *s);

/*
 * The order hook: called by the order services right after their commit,
 * as `return snapshot_after_commit(c, store_commit(…), customer_id);`.
 * When rc is 0 and the snapshot is built, re-reads that customer's orders
 * on c->st and replaces them in the snapshot; a failure there only marks the
 * snapshot for a rebuild (the order itself is committed). Returns rc.
 */
int snapshot_after_commit(struct ctx *c, int rc, int64_t customer_id);

/* Drops the contents; the next snapshot_read rebuilds. For changes that do
 * not go through the hooks (bulk imports, merges, restores). */
void snapshot_invalidate(struct app *a);

/* Frees a snapshot (NULL accepted); app_release calls it. */
void snapshot_free(struct snapshot *s);

#endif
