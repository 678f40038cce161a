/* u64map.c - open addressing with linear probing and backward-shift
 * deletion (no tombstones), so lookups stay short after many removals.
 */
#include <errno.h>
#include <stdlib.h>

#include "engine/util/u64map.h"

struct slot {
    uint64_t key;
    void *val; /* NULL = empty */
};

struct eddy_u64map {
    struct slot *slots;
    size_t cap; /* a power of two */
    size_t count;
};

static inline size_t hash (uint64_t k, size_t mask)
{
    /* a 64-bit mix (splitmix finalizer): sequential ids spread out */
    k ^= k >> 30;
    k *= 0xbf58476d1ce4e5b9ULL;
    k ^= k >> 27;
    k *= 0x94d049bb133111ebULL;
    k ^= k >> 31;
    return (size_t)k & mask;
}

eddy_u64map_t *eddy_u64map_create (void)
{
    eddy_u64map_t *m = calloc (1, sizeof (*m));
    if (!m)
        return NULL;
    m->cap = 16;
    if (!(m->slots = calloc (m->cap, sizeof (m->slots[0])))) {
        free (m);
        return NULL;
    }
    return m;
}

void eddy_u64map_destroy (eddy_u64map_t *m)
{
    if (m) {
        free (m->slots);
        free (m);
    }
}

static int grow (eddy_u64map_t *m)
{
    size_t cap = m->cap * 2;
    struct slot *s = calloc (cap, sizeof (*s));
    if (!s)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].val)
            continue;
        size_t j = hash (m->slots[i].key, cap - 1);
        while (s[j].val)
            j = (j + 1) & (cap - 1);
        s[j] = m->slots[i];
    }
    free (m->slots);
    m->slots = s;
    m->cap = cap;
    return 0;
}

int eddy_u64map_put (eddy_u64map_t *m, uint64_t key, void *val)
{
    if (!val) {
        errno = EINVAL;
        return -1;
    }
    if ((m->count + 1) * 4 > m->cap * 3 && grow (m) < 0)
        return -1;
    size_t mask = m->cap - 1, i = hash (key, mask);
    while (m->slots[i].val) {
        if (m->slots[i].key == key) {
            m->slots[i].val = val;
            return 0;
        }
        i = (i + 1) & mask;
    }
    m->slots[i].key = key;
    m->slots[i].val = val;
    m->count++;
    return 0;
}

void *eddy_u64map_get (const eddy_u64map_t *m, uint64_t key)
{
    size_t mask = m->cap - 1, i = hash (key, mask);
    while (m->slots[i].val) {
        if (m->slots[i].key == key)
            return m->slots[i].val;
        i = (i + 1) & mask;
    }
    return NULL;
}

void *eddy_u64map_remove (eddy_u64map_t *m, uint64_t key)
{
    size_t mask = m->cap - 1, i = hash (key, mask);
    while (m->slots[i].val && m->slots[i].key != key)
        i = (i + 1) & mask;
    if (!m->slots[i].val)
        return NULL;
    void *val = m->slots[i].val;
    /* shift later members of the probe run back into the hole */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
        size_t home = hash (m->slots[j].key, mask);
        /* can slot j move to the hole?  only if its home is not in (hole, j] */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].val = NULL;
    m->count--;
    return val;
}

size_t eddy_u64map_count (const eddy_u64map_t *m)
{
    return m->count;
}
