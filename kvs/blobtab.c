/* blobtab.c - see blobtab.h.  Linear probing with backward-shift
 * deletion (only filter () deletes).  Each slot keeps the digest's first
 * 64 bits beside the entry, so a probe touches only the slot array until
 * those match: the entries themselves are scattered over the heap, and
 * reading one per probe was most of what a lookup cost.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvs/blobtab.h"

struct slot {
    uint64_t key; /* eddy_digest_key (&b->digest) */
    struct eddy_blob *b;
};

struct eddy_blobtab {
    struct slot *slots;
    size_t cap; /* power of two */
    size_t count;
};

eddy_blobtab_t *eddy_blobtab_create (void)
{
    eddy_blobtab_t *t = calloc (1, sizeof (*t));
    if (!t)
        return NULL;
    t->cap = 1024;
    if (!(t->slots = calloc (t->cap, sizeof (t->slots[0])))) {
        free (t);
        return NULL;
    }
    return t;
}

void eddy_blobtab_destroy (eddy_blobtab_t *t)
{
    if (t) {
        int saved_errno = errno;
        for (size_t i = 0; i < t->cap; i++)
            free (t->slots[i].b);
        free (t->slots);
        free (t);
        errno = saved_errno;
    }
}

/* The slot holding digest, or the empty slot where it would go. */
static size_t find (eddy_blobtab_t *t, const struct eddy_digest *digest, uint64_t key)
{
    size_t mask = t->cap - 1, i = (size_t)key & mask;
    for (;;) {
        const struct slot *s = &t->slots[i];
        if (!s->b || (s->key == key && eddy_digest_equal (&s->b->digest, digest)))
            return i;
        i = (i + 1) & mask;
    }
}

/* Move every entry into a table of ncap slots. */
static int rehash (eddy_blobtab_t *t, size_t ncap)
{
    struct slot *n = calloc (ncap, sizeof (n[0]));
    if (!n)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].b) {
            size_t j = (size_t)t->slots[i].key & (ncap - 1);
            while (n[j].b)
                j = (j + 1) & (ncap - 1);
            n[j] = t->slots[i];
        }
    }
    free (t->slots);
    t->slots = n;
    t->cap = ncap;
    return 0;
}

struct eddy_blob *eddy_blobtab_get (eddy_blobtab_t *t, const struct eddy_digest *digest)
{
    return t ? t->slots[find (t, digest, eddy_digest_key (digest))].b : NULL;
}

struct eddy_blob *eddy_blobtab_add (eddy_blobtab_t *t,
                                    const struct eddy_digest *digest,
                                    const void *data,
                                    size_t len,
                                    bool *added)
{
    uint64_t key = eddy_digest_key (digest);
    struct eddy_blob *b;
    size_t i;

    if (added)
        *added = false;
    i = find (t, digest, key);
    if (t->slots[i].b)
        return t->slots[i].b;
    if ((t->count + 1) * 4 > t->cap * 3) {
        if (rehash (t, t->cap * 2) < 0)
            return NULL;
        i = find (t, digest, key);
    }
    if (!(b = malloc (sizeof (*b) + len + 1)))
        return NULL;
    b->digest = *digest;
    b->epoch = b->mark = 0;
    b->len = len;
    if (len > 0)
        memcpy (b->data, data, len);
    b->data[len] = '\0';
    t->slots[i].key = key;
    t->slots[i].b = b;
    t->count++;
    if (added)
        *added = true;
    return b;
}

size_t eddy_blobtab_count (eddy_blobtab_t *t)
{
    return t ? t->count : 0;
}

/* Free the entry in slot i and close the gap: shift back each later entry
 * of the probe chain whose home does not lie strictly between i and it.
 */
static void remove_slot (eddy_blobtab_t *t, size_t i)
{
    size_t mask = t->cap - 1, j = i;
    free (t->slots[i].b);
    t->slots[i].b = NULL;
    t->count--;
    for (;;) {
        j = (j + 1) & mask;
        if (!t->slots[j].b)
            break;
        size_t home = (size_t)t->slots[j].key & mask;
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            t->slots[i] = t->slots[j];
            t->slots[j].b = NULL;
            i = j;
        }
    }
}

size_t eddy_blobtab_filter (eddy_blobtab_t *t, bool (*keep) (const struct eddy_blob *b, void *arg), void *arg)
{
    size_t gone = 0, cap;

    for (size_t i = 0; i < t->cap;) {
        if (t->slots[i].b && !keep (t->slots[i].b, arg)) {
            remove_slot (t, i);
            gone++;
            continue; /* slot i may hold a shifted entry now */
        }
        i++;
    }
    /* give memory back once the table is mostly empty (if that fails, the
     * table simply stays larger)
     */
    for (cap = t->cap; cap > 1024 && t->count * 4 < cap; cap /= 2)
        ;
    if (cap < t->cap)
        (void)rehash (t, cap);
    return gone;
}
