/*
 * A string → int64 hash map (open addressing, keys copied), for lookups
 * loaded once and probed per row: an import's known e-mails and external
 * ids. Not thread-safe.
 */
#ifndef UTIL_STRMAP_H
#define UTIL_STRMAP_H
#include <stddef.h>
#include <stdint.h>

struct strmap {
    struct strmap_slot *slots;
    size_t cap, n;
    int oom; /* a put ran out of memory (the key was not added) */
};

/* Adds key → v when the key is absent (the first value stays). 1 added,
 * 0 already there, -1 out of memory. */
int strmap_add(struct strmap *m, const char *key, int64_t v);
/* The value of key, or 0 when absent. */
int64_t strmap_get(const struct strmap *m, const char *key);
void strmap_free(struct strmap *m);

#endif
