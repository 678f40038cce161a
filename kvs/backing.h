/* backing.h - where rank 0's content store keeps its blobs: an ops table
 * with two implementations, sqlite (a file in the state directory) and
 * memory (the default without a state directory, and in the simulator).
 *
 * Garbage collection (gc) marks from the roots, which are the blobrefs in
 * every checkpoint's value (the kvs checkpoint names each namespace's
 * root), following the blobrefs in each reached blob's text
 * (eddy_blobref_scan), and frees every blob that is neither reached nor
 * young.  A blob stored together with a checkpoint is the checkpoint's to
 * keep alive and is never young; a blob stored without one (a client
 * storing blobs it will refer to later) carries an epoch, the generation
 * it was last stored in, and is young while that is the current
 * generation, so it survives the next collection and goes at the one
 * after if nothing refers to it by then.  The generation goes up at each
 * open and each collection.  Nothing outside one call runs concurrently
 * (the content module calls these from its reactor, between requests), so
 * a collection never sees half a batch.
 */
#ifndef EDDY_KVS_BACKING_H
#define EDDY_KVS_BACKING_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/error.h"

/* What one garbage collection did. */
struct eddy_backing_gc {
    uint64_t live, live_bytes;   /* blobs kept: reached from a root, or young */
    uint64_t young;              /* of those, kept only for being young */
    uint64_t freed, freed_bytes; /* blobs freed */
    uint64_t missing;            /* blobrefs reached but not in the store */
};

struct eddy_backing_ops {
    const char *name;

    /* Open the store.  dir: the state directory (sqlite: required; the file
     * is DIR/content.sqlite, DIR is created if missing); opts: the content
     * module's arguments (sqlite reads "max-size", bytes: a quota after
     * which stores fail with ENOSPC; and "temporary", true: a store of this
     * instance only, removed at open and at close, without syncs or file
     * locks).  Reads what it needs at once
     * (checkpoints).  NULL + errno with err saying why.
     */
    void *(*open) (const char *dir, json_t *opts, eddy_error_t *err);
    void (*close) (void *impl);

    /* A blob by blobref: malloc'd bytes (NUL-terminated, the NUL not
     * counted in *len), or -1 + ENOENT / EIO / ENOMEM.
     */
    int (*load) (void *impl, const char *ref, void **data, size_t *len);

    /* Store n blobs (refs already verified by the caller; a blob already
     * stored is not written again) and then, if ckpt_key is not NULL, set
     * checkpoint ckpt_key to ckpt_value, all or nothing.  -1 + ENOSPC (disk full or quota reached) / EROFS / EIO /
     * ENOMEM with err; the store is then unchanged.
     */
    int (*store) (void *impl,
                  size_t n,
                  const char *const refs[],
                  const void *const data[],
                  const size_t lens[],
                  const char *ckpt_key,
                  const char *ckpt_value,
                  eddy_error_t *err);

    /* A checkpoint's value (malloc'd string), or -1 + ENOENT / EIO. */
    int (*checkpoint_get) (void *impl, const char *key, char **value);

    /* Counts for reports: blobs stored and their total size (kept up to
     * date in memory: cheap enough to ask after every store).
     */
    void (*stats) (void *impl, uint64_t *count, uint64_t *bytes);

    /* Collect garbage (see above); fills res.  -1 + EIO / ENOMEM with err
     * (nothing was freed, or the deletions were rolled back).
     */
    int (*gc) (void *impl, struct eddy_backing_gc *res, eddy_error_t *err);
};

extern const struct eddy_backing_ops eddy_backing_memory;
extern const struct eddy_backing_ops eddy_backing_sqlite;

#endif /* !EDDY_KVS_BACKING_H */
