/* blobtab.c - see blobtab.h.  Linear probing with backward-shift
 * deletion (only filter () deletes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvs/blobtab.h"

struct eddy_blobtab {
    struct eddy_blob **slots;
    size_t cap; /* power of two */
    size_t count;
};

static size_t slot_of (const unsigned char *digest, size_t cap)
{
    uint64_t h;
    memcpy (&h, digest, sizeof (h));
    return (size_t)h & (cap - 1);
}

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
            free (t->slots[i]);
        free (t->slots);
        free (t);
        errno = saved_errno;
    }
}

static size_t find (eddy_blobtab_t *t, const unsigned char *digest)
{
    size_t i = slot_of (digest, t->cap);
    while (t->slots[i] && memcmp (t->slots[i]->digest, digest, EDDY_BLOBREF_DIGEST) != 0)
        i = (i + 1) & (t->cap - 1);
    return i;
}

/* Move every entry into a table of ncap slots. */
static int rehash (eddy_blobtab_t *t, size_t ncap)
{
    struct eddy_blob **n = calloc (ncap, sizeof (n[0]));
    if (!n)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        struct eddy_blob *b = t->slots[i];
        if (b) {
            size_t j = slot_of (b->digest, ncap);
            while (n[j])
                j = (j + 1) & (ncap - 1);
            n[j] = b;
        }
    }
    free (t->slots);
    t->slots = n;
    t->cap = ncap;
    return 0;
}

struct eddy_blob *eddy_blobtab_get (eddy_blobtab_t *t, const unsigned char digest[EDDY_BLOBREF_DIGEST])
{
    return t ? t->slots[find (t, digest)] : NULL;
}

struct eddy_blob *eddy_blobtab_add (eddy_blobtab_t *t,
                                    const unsigned char digest[EDDY_BLOBREF_DIGEST],
                                    const void *data,
                                    size_t len,
                                    bool *added)
{
    struct eddy_blob *b;
    size_t i;

    if (added)
        *added = false;
    i = find (t, digest);
    if (t->slots[i])
        return t->slots[i];
    if ((t->count + 1) * 4 > t->cap * 3) {
        if (rehash (t, t->cap * 2) < 0)
            return NULL;
        i = find (t, digest);
    }
    if (!(b = malloc (sizeof (*b) + len + 1)))
        return NULL;
    memcpy (b->digest, digest, EDDY_BLOBREF_DIGEST);
    b->epoch = b->mark = 0;
    b->len = len;
    if (len > 0)
        memcpy (b->data, data, len);
    b->data[len] = '\0';
    t->slots[i] = b;
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
    free (t->slots[i]);
    t->slots[i] = NULL;
    t->count--;
    for (;;) {
        j = (j + 1) & mask;
        struct eddy_blob *b = t->slots[j];
        if (!b)
            break;
        size_t home = slot_of (b->digest, t->cap);
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            t->slots[i] = b;
            t->slots[j] = NULL;
            i = j;
        }
    }
}

size_t eddy_blobtab_filter (eddy_blobtab_t *t, bool (*keep) (const struct eddy_blob *b, void *arg), void *arg)
{
    size_t gone = 0, cap;

    for (size_t i = 0; i < t->cap;) {
        if (t->slots[i] && !keep (t->slots[i], arg)) {
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
