/* String → int64 hash map (see strmap.h): FNV-1a, linear probing, at most
 * half full. */
#include "util/strmap.h"

#include <stdlib.h>
#include <string.h>

struct strmap_slot {
    char *key; /* NULL: empty */
    uint64_t hash;
    int64_t v;
};

static uint64_t hash_of(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static struct strmap_slot *find(struct strmap_slot *slots, size_t cap, const char *key,
                                uint64_t h)
{
    for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!slots[i].key || (slots[i].hash == h && !strcmp(slots[i].key, key)))
            return &slots[i];
}

static int grow(struct strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    struct strmap_slot *s = calloc(cap, sizeof(*s));
    if (!s)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            *find(s, cap, m->slots[i].key, m->slots[i].hash) = m->slots[i];
    free(m->slots);
    m->slots = s;
    m->cap = cap;
    return 0;
}

int strmap_add(struct strmap *m, const char *key, int64_t v)
{
    if ((m->n + 1) * 2 > m->cap && grow(m)) {
        m->oom = 1;
        return -1;
    }
    uint64_t h = hash_of(key);
    struct strmap_slot *s = find(m->slots, m->cap, key, h);
    if (s->key)
        return 0;
    s->key = strdup(key);
    if (!s->key) {
        m->oom = 1;
        return -1;
    }
    s->hash = h;
    s->v = v;
    m->n++;
    return 1;
}

int64_t strmap_get(const struct strmap *m, const char *key)
{
    if (!m->n)
        return 0;
    struct strmap_slot *s = find(m->slots, m->cap, key, hash_of(key));
    return s->key ? s->v : 0;
}

void strmap_free(struct strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof(*m));
}
