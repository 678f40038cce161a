/* backing_memory.c - the in-memory backing store: blobs in a table keyed
 * by digest (blobtab.h), checkpoints in a JSON object.  Lost when the
 * module unloads.  A blob's epoch is the generation it was last stored in
 * without a checkpoint (0: never), its mark the last collection that
 * reached it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvs/backing.h"
#include "kvs/blobtab.h"

struct mem {
    eddy_blobtab_t *blobs;
    json_t *checkpoints; /* key -> value text */
    uint64_t generation; /* starts at 1 */
    uint64_t gcrun;      /* collections so far */
    uint64_t bytes;
};

static void mem_close (void *impl)
{
    struct mem *m = impl;
    if (m) {
        int saved_errno = errno;
        eddy_blobtab_destroy (m->blobs);
        json_decref (m->checkpoints);
        free (m);
        errno = saved_errno;
    }
}

static void *mem_open (const char *dir, json_t *opts, eddy_error_t *err)
{
    struct mem *m = calloc (1, sizeof (*m));
    if (!m || !(m->blobs = eddy_blobtab_create ()) || !(m->checkpoints = json_object ())) {
        mem_close (m);
        eddy_error_set (err, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    m->generation = 1;
    return m;
}

static int mem_load (void *impl, const char *ref, void **data, size_t *len)
{
    struct mem *m = impl;
    struct eddy_digest digest;
    struct eddy_blob *b;
    char *buf;

    if (eddy_blobref_parse (ref, &digest) < 0 || !(b = eddy_blobtab_get (m->blobs, &digest))) {
        errno = ENOENT;
        return -1;
    }
    if (!(buf = malloc (b->len + 1)))
        return -1;
    memcpy (buf, b->data, b->len + 1);
    *data = buf;
    *len = b->len;
    return 0;
}

static int mem_store (void *impl,
                      size_t n,
                      const char *const refs[],
                      const void *const data[],
                      const size_t lens[],
                      const char *ckpt_key,
                      const char *ckpt_value,
                      eddy_error_t *err)
{
    struct mem *m = impl;
    json_t *cv = NULL;
    struct eddy_digest digest;

    /* the checkpoint value first, the one allocation that must not fail
     * after blobs went in; blobs without their checkpoint are merely
     * garbage, which the next collection takes
     */
    if (ckpt_key && !(cv = json_string (ckpt_value)))
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        bool added;
        struct eddy_blob *b;
        if (eddy_blobref_parse (refs[i], &digest) < 0) {
            json_decref (cv);
            eddy_error_set (err, "bad blobref");
            errno = EINVAL;
            return -1;
        }
        if (!(b = eddy_blobtab_add (m->blobs, &digest, data[i], lens[i], &added)))
            goto nomem;
        if (added)
            m->bytes += lens[i];
        if (!ckpt_key)
            b->epoch = m->generation;
    }
    if (ckpt_key && json_object_set_new (m->checkpoints, ckpt_key, cv) < 0) {
        cv = NULL; /* set_new consumed it */
        goto nomem;
    }
    return 0;
nomem:
    json_decref (cv);
    eddy_error_set (err, "out of memory");
    errno = ENOMEM;
    return -1;
}

static int mem_checkpoint_get (void *impl, const char *key, char **value)
{
    struct mem *m = impl;
    const char *s = json_string_value (json_object_get (m->checkpoints, key));
    if (!s) {
        errno = ENOENT;
        return -1;
    }
    return (*value = strdup (s)) ? 0 : -1;
}

static void mem_stats (void *impl, uint64_t *count, uint64_t *bytes)
{
    struct mem *m = impl;
    *count = eddy_blobtab_count (m->blobs);
    *bytes = m->bytes;
}

/* ---- garbage collection ---- */

struct mark {
    struct mem *m;
    struct eddy_blob **stack;
    size_t n, cap;
    bool nomem;
    struct eddy_backing_gc *res;
};

static int mark_one (const struct eddy_digest *digest, void *arg)
{
    struct mark *mk = arg;
    struct eddy_blob *b = eddy_blobtab_get (mk->m->blobs, digest);

    if (!b) {
        mk->res->missing++;
        return 0;
    }
    if (b->mark == mk->m->gcrun)
        return 0;
    if (mk->n == mk->cap) {
        size_t cap = mk->cap ? mk->cap * 2 : 1024;
        struct eddy_blob **p = realloc (mk->stack, cap * sizeof (p[0]));
        if (!p) {
            mk->nomem = true;
            return -1;
        }
        mk->stack = p;
        mk->cap = cap;
    }
    b->mark = mk->m->gcrun;
    mk->stack[mk->n++] = b;
    return 0;
}

static bool keep (const struct eddy_blob *b, void *arg)
{
    struct mark *mk = arg;
    if (b->mark == mk->m->gcrun) {
        mk->res->live_bytes += b->len;
        return true;
    }
    if (b->epoch == mk->m->generation) {
        mk->res->young++;
        mk->res->live_bytes += b->len;
        return true;
    }
    mk->res->freed_bytes += b->len;
    return false;
}

static int mem_gc (void *impl, struct eddy_backing_gc *res, eddy_error_t *err)
{
    struct mem *m = impl;
    struct mark mk = { .m = m, .res = res };
    const char *key;
    json_t *v;

    memset (res, 0, sizeof (*res));
    m->gcrun++;
    json_object_foreach (m->checkpoints, key, v) {
        if (eddy_blobref_scan (json_string_value (v), json_string_length (v), mark_one, &mk) < 0)
            goto nomem;
    }
    while (mk.n > 0) {
        struct eddy_blob *b = mk.stack[--mk.n];
        if (eddy_blobref_scan (b->data, b->len, mark_one, &mk) < 0)
            goto nomem;
    }
    free (mk.stack);
    res->freed = eddy_blobtab_filter (m->blobs, keep, &mk);
    res->live = eddy_blobtab_count (m->blobs);
    m->bytes = res->live_bytes;
    m->generation++;
    return 0;
nomem:
    /* nothing freed: marks of an unfinished run mean nothing later */
    free (mk.stack);
    memset (res, 0, sizeof (*res));
    eddy_error_set (err, "out of memory");
    errno = ENOMEM;
    return -1;
}

const struct eddy_backing_ops eddy_backing_memory = {
    .name = "memory",
    .open = mem_open,
    .close = mem_close,
    .load = mem_load,
    .store = mem_store,
    .checkpoint_get = mem_checkpoint_get,
    .stats = mem_stats,
    .gc = mem_gc,
};
