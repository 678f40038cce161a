/* cache.c - an open-addressing hash table (linear probing, backward-shift
 * deletion) keyed by digest, plus a list of the entries in order of last
 * use (most recent first), from whose tail expiry takes.  A text blobref
 * is parsed once per call; probes compare the digest's first 64 bits,
 * kept in the slot array beside the entry, and read an entry only when
 * those match.  Nothing iterates the table in an order that can reach the
 * outside.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvs/cache.h"
#include "kvs/treeobj.h"

struct entry {
    struct eddy_digest d;
    bool dirty;
    void *data;
    size_t len;
    json_t *obj;
    uint64_t used;
    struct entry *newer, *older; /* the use list */
};

struct slot {
    uint64_t key; /* eddy_digest_key (&e->d) */
    struct entry *e;
};

struct eddy_kvs_cache {
    struct slot *slots;
    size_t cap; /* power of two */
    size_t count;
    uint64_t epoch;
    struct entry **dirty;
    size_t ndirty, dirty_cap;
    struct entry *newest, *oldest;
    size_t bytes; /* cost () summed */
    char ref[EDDY_BLOBREF_SIZE]; /* dirty_get ()'s answer */
};

/* What an entry costs in memory, as measured with glibc's malloc: its
 * block and its bytes' (16 bytes of each block are malloc's), and a
 * decoded tree object, which jansson holds in about 8 bytes per byte of
 * its text and 768 more (a directory of 1 to 1,000 entries of blobrefs:
 * 8.2 to 13 times its text).  4 times the text, counted before, was a
 * third of the truth: a budget of 64 MiB held about 200 MiB.
 */
#define BLOCK_OVERHEAD 16
#define OBJ_PER_BYTE 8
#define OBJ_FIXED 768
static size_t obj_cost (size_t len)
{
    return OBJ_PER_BYTE * len + OBJ_FIXED;
}

static size_t cost (const struct entry *e)
{
    return sizeof (*e) + BLOCK_OVERHEAD + e->len + 1 + BLOCK_OVERHEAD + (e->obj ? obj_cost (e->len) : 0);
}

static void list_unlink (eddy_kvs_cache_t *c, struct entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void list_push (eddy_kvs_cache_t *c, struct entry *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest)
        c->newest->newer = e;
    else
        c->oldest = e;
    c->newest = e;
}

/* Mark e used now. */
static void touch (eddy_kvs_cache_t *c, struct entry *e)
{
    e->used = c->epoch;
    if (c->newest != e) {
        list_unlink (c, e);
        list_push (c, e);
    }
}

static void entry_free (struct entry *e)
{
    if (e) {
        free (e->data);
        json_decref (e->obj);
        free (e);
    }
}

eddy_kvs_cache_t *eddy_kvs_cache_create (void)
{
    eddy_kvs_cache_t *c = calloc (1, sizeof (*c));
    if (!c)
        return NULL;
    c->cap = 1024;
    if (!(c->slots = calloc (c->cap, sizeof (c->slots[0])))) {
        free (c);
        return NULL;
    }
    return c;
}

void eddy_kvs_cache_destroy (eddy_kvs_cache_t *c)
{
    if (c) {
        int saved_errno = errno;
        for (size_t i = 0; i < c->cap; i++)
            entry_free (c->slots[i].e);
        free (c->slots);
        free (c->dirty);
        free (c);
        errno = saved_errno;
    }
}

/* The slot holding d, or the empty slot where it would go. */
static size_t find (eddy_kvs_cache_t *c, const struct eddy_digest *d)
{
    uint64_t key = eddy_digest_key (d);
    size_t mask = c->cap - 1, i = (size_t)key & mask;
    for (;;) {
        const struct slot *s = &c->slots[i];
        if (!s->e || (s->key == key && eddy_digest_equal (&s->e->d, d)))
            return i;
        i = (i + 1) & mask;
    }
}

static int grow (eddy_kvs_cache_t *c)
{
    size_t ncap = c->cap * 2;
    struct slot *n = calloc (ncap, sizeof (n[0]));
    if (!n)
        return -1;
    for (size_t i = 0; i < c->cap; i++) {
        if (c->slots[i].e) {
            size_t j = (size_t)c->slots[i].key & (ncap - 1);
            while (n[j].e)
                j = (j + 1) & (ncap - 1);
            n[j] = c->slots[i];
        }
    }
    free (c->slots);
    c->slots = n;
    c->cap = ncap;
    return 0;
}

static int dirty_grow (eddy_kvs_cache_t *c)
{
    size_t ncap = c->dirty_cap ? c->dirty_cap * 2 : 64;
    struct entry **p = realloc (c->dirty, ncap * sizeof (p[0]));
    if (!p)
        return -1;
    c->dirty = p;
    c->dirty_cap = ncap;
    return 0;
}

int eddy_kvs_cache_insert (eddy_kvs_cache_t *c, const char *ref, void *data, size_t len, bool dirty)
{
    return eddy_kvs_cache_insert_obj (c, ref, data, len, NULL, dirty);
}

int eddy_kvs_cache_insert_obj (eddy_kvs_cache_t *c,
                               const char *ref,
                               void *data,
                               size_t len,
                               json_t *obj,
                               bool dirty)
{
    struct eddy_digest d;

    if (eddy_blobref_parse (ref, &d) < 0) {
        free (data);
        errno = EINVAL;
        return -1;
    }
    return eddy_kvs_cache_insert_digest (c, &d, data, len, obj, dirty);
}

int eddy_kvs_cache_insert_digest (eddy_kvs_cache_t *c,
                                  const struct eddy_digest *d,
                                  void *data,
                                  size_t len,
                                  json_t *obj,
                                  bool dirty)
{
    struct entry *e;
    size_t i;

    if (!c || !d || !eddy_hash_name ((eddy_hash_t)d->alg)) {
        free (data);
        errno = EINVAL;
        return -1;
    }
    i = find (c, d);
    if ((e = c->slots[i].e)) {
        free (data);
        touch (c, e);
        if (dirty && !e->dirty) {
            /* made again: send it again, see cache.h */
            if (c->ndirty == c->dirty_cap && dirty_grow (c) < 0) {
                errno = ENOMEM;
                return -1;
            }
            e->dirty = true;
            c->dirty[c->ndirty++] = e;
        }
        return 0;
    }
    if ((c->count + 1) * 4 > c->cap * 3) {
        if (grow (c) < 0)
            goto nomem;
        i = find (c, d);
    }
    if (dirty && c->ndirty == c->dirty_cap && dirty_grow (c) < 0)
        goto nomem;
    if (!(e = calloc (1, sizeof (*e))))
        goto nomem;
    e->d = *d;
    e->data = data;
    e->len = len;
    e->obj = json_incref (obj);
    e->used = c->epoch;
    e->dirty = dirty;
    c->slots[i].key = eddy_digest_key (d);
    c->slots[i].e = e;
    c->count++;
    c->bytes += cost (e);
    list_push (c, e);
    if (dirty)
        c->dirty[c->ndirty++] = e;
    return 0;
nomem:
    free (data);
    errno = ENOMEM;
    return -1;
}

static struct entry *lookup (eddy_kvs_cache_t *c, const struct eddy_digest *d)
{
    struct entry *e;
    if (!c || !d)
        return NULL;
    if ((e = c->slots[find (c, d)].e))
        touch (c, e);
    return e;
}

/* lookup () by text: NULL for a ref that is not one. */
static struct entry *lookup_ref (eddy_kvs_cache_t *c, const char *ref)
{
    struct eddy_digest d;
    if (eddy_blobref_parse (ref, &d) < 0)
        return NULL;
    return lookup (c, &d);
}

bool eddy_kvs_cache_has (eddy_kvs_cache_t *c, const char *ref)
{
    return lookup_ref (c, ref) != NULL;
}

static int entry_data (struct entry *e, const void **data, size_t *len)
{
    if (!e) {
        errno = ENOENT;
        return -1;
    }
    *data = e->data;
    *len = e->len;
    return 0;
}

int eddy_kvs_cache_get_data (eddy_kvs_cache_t *c, const char *ref, const void **data, size_t *len)
{
    return entry_data (lookup_ref (c, ref), data, len);
}

int eddy_kvs_cache_get_data_digest (eddy_kvs_cache_t *c,
                                    const struct eddy_digest *d,
                                    const void **data,
                                    size_t *len)
{
    return entry_data (lookup (c, d), data, len);
}

static json_t *entry_obj (eddy_kvs_cache_t *c, struct entry *e, eddy_error_t *err)
{
    if (!e) {
        errno = ENOENT;
        return NULL;
    }
    if (!e->obj) {
        if (!(e->obj = eddy_treeobj_decode (e->data, e->len, err))) {
            char ref[EDDY_BLOBREF_SIZE];
            eddy_blobref_format (&e->d, ref);
            eddy_error_prefix (err, "%s", ref);
            errno = EINVAL;
            return NULL;
        }
        c->bytes += obj_cost (e->len);
    }
    return e->obj;
}

json_t *eddy_kvs_cache_get_obj (eddy_kvs_cache_t *c, const char *ref, eddy_error_t *err)
{
    return entry_obj (c, lookup_ref (c, ref), err);
}

json_t *eddy_kvs_cache_get_obj_digest (eddy_kvs_cache_t *c, const struct eddy_digest *d, eddy_error_t *err)
{
    return entry_obj (c, lookup (c, d), err);
}

size_t eddy_kvs_cache_dirty_count (eddy_kvs_cache_t *c)
{
    return c ? c->ndirty : 0;
}

const char *eddy_kvs_cache_dirty_get (eddy_kvs_cache_t *c, size_t i, const void **data, size_t *len)
{
    if (!c || i >= c->ndirty)
        return NULL;
    *data = c->dirty[i]->data;
    *len = c->dirty[i]->len;
    eddy_blobref_format (&c->dirty[i]->d, c->ref);
    return c->ref;
}

/* Remove the entry in slot i, shifting back the probe chain after it. */
static void remove_slot (eddy_kvs_cache_t *c, size_t i)
{
    size_t mask = c->cap - 1, j = i;
    struct entry *gone = c->slots[i].e;

    c->bytes -= cost (gone);
    list_unlink (c, gone);
    entry_free (gone);
    c->slots[i].e = NULL;
    c->count--;
    for (;;) {
        j = (j + 1) & mask;
        if (!c->slots[j].e)
            break;
        size_t home = (size_t)c->slots[j].key & mask;
        /* move it back to i if i lies on its probe path from home */
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            c->slots[i] = c->slots[j];
            c->slots[j].e = NULL;
            i = j;
        }
    }
}

void eddy_kvs_cache_dirty_done (eddy_kvs_cache_t *c, bool stored)
{
    if (!c)
        return;
    for (size_t k = 0; k < c->ndirty; k++) {
        struct entry *e = c->dirty[k];
        if (stored)
            e->dirty = false;
        else
            remove_slot (c, find (c, &e->d));
    }
    c->ndirty = 0;
}

void eddy_kvs_cache_set_epoch (eddy_kvs_cache_t *c, uint64_t epoch)
{
    if (c)
        c->epoch = epoch;
}

size_t eddy_kvs_cache_trim (eddy_kvs_cache_t *c, size_t max_count, size_t max_bytes, uint64_t before)
{
    size_t n = 0;
    struct entry *e, *newer;

    if (!c)
        return 0;
    /* the list is in order of use, so what was used before `before` is a
     * run at the old end; dirty blobs are skipped, never dropped
     */
    for (e = c->oldest; e && e->used < before && (c->count > max_count || c->bytes > max_bytes); e = newer) {
        newer = e->newer;
        if (!e->dirty) {
            remove_slot (c, find (c, &e->d));
            n++;
        }
    }
    return n;
}

size_t eddy_kvs_cache_expire (eddy_kvs_cache_t *c, uint64_t before)
{
    return eddy_kvs_cache_trim (c, 0, 0, before);
}

void eddy_kvs_cache_drop_clean (eddy_kvs_cache_t *c, const char *ref)
{
    struct eddy_digest d;
    size_t i;
    if (!c || eddy_blobref_parse (ref, &d) < 0)
        return;
    i = find (c, &d);
    if (c->slots[i].e && !c->slots[i].e->dirty)
        remove_slot (c, i);
}

size_t eddy_kvs_cache_bytes (eddy_kvs_cache_t *c)
{
    return c ? c->bytes : 0;
}

size_t eddy_kvs_cache_count (eddy_kvs_cache_t *c)
{
    return c ? c->count : 0;
}
