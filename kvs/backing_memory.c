/* backing_memory.c - the in-memory backing store: blobs and checkpoints
 * in JSON objects (a blob is a string holding raw bytes, next to its
 * epoch).  Lost when the module unloads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvs/backing.h"

struct mem {
    json_t *blobs; /* ref -> [bytes, epoch] */
    json_t *checkpoints;
    uint64_t epoch;
    uint64_t bytes;
};

static void mem_close (void *impl)
{
    struct mem *m = impl;
    if (m) {
        json_decref (m->blobs);
        json_decref (m->checkpoints);
        free (m);
    }
}

static void *mem_open (const char *dir, json_t *opts, eddy_error_t *err)
{
    struct mem *m = calloc (1, sizeof (*m));
    if (!m || !(m->blobs = json_object ()) || !(m->checkpoints = json_object ())) {
        mem_close (m);
        eddy_error_set (err, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    m->epoch = 1;
    return m;
}

static int mem_load (void *impl, const char *ref, void **data, size_t *len)
{
    struct mem *m = impl;
    json_t *b = json_array_get (json_object_get (m->blobs, ref), 0);
    char *buf;
    if (!b) {
        errno = ENOENT;
        return -1;
    }
    size_t n = json_string_length (b);
    if (!(buf = malloc (n + 1)))
        return -1;
    memcpy (buf, json_string_value (b), n);
    buf[n] = '\0';
    *data = buf;
    *len = n;
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
    json_t *add = json_object ();
    json_t *ep = json_integer ((json_int_t)m->epoch);
    uint64_t bytes = 0;

    /* build everything first so that a failure changes nothing */
    if (!add || !ep)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        json_t *old = json_object_get (m->blobs, refs[i]);
        if (old) {
            json_array_set (old, 1, ep); /* refresh the epoch */
            continue;
        }
        json_t *e = json_pack ("[o O]", json_stringn_nocheck (data[i], lens[i]), ep);
        if (!e || json_object_set_new (add, refs[i], e) < 0)
            goto nomem;
    }
    const char *k;
    json_t *v;
    json_object_foreach (add, k, v) {
        bytes += json_string_length (json_array_get (v, 0));
    }
    if (json_object_update (m->blobs, add) < 0)
        goto nomem;
    m->bytes += bytes;
    /* blobs without the checkpoint are harmless garbage; not the reverse */
    if (ckpt_key && json_object_set_new (m->checkpoints, ckpt_key, json_string (ckpt_value)) < 0)
        goto nomem;
    json_decref (add);
    json_decref (ep);
    return 0;
nomem:
    json_decref (add);
    json_decref (ep);
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
    *count = json_object_size (m->blobs);
    *bytes = m->bytes;
}

const struct eddy_backing_ops eddy_backing_memory = {
    .name = "memory",
    .open = mem_open,
    .close = mem_close,
    .load = mem_load,
    .store = mem_store,
    .checkpoint_get = mem_checkpoint_get,
    .stats = mem_stats,
};
