/* backing.h - where rank 0's content store keeps its blobs: an ops table
 * with two implementations, sqlite (a file in the state directory) and
 * memory (the default without a state directory, and in the simulator).
 *
 * Every blob row carries an epoch: the store's generation when the blob
 * was last written (a re-store of an existing blob refreshes it).  The
 * generation goes up each time a store is opened, so a later online
 * garbage collector can mark from the checkpointed roots and sweep what
 * is both unmarked and older than the generation its mark began in.
 */
#ifndef EDDY_KVS_BACKING_H
#define EDDY_KVS_BACKING_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/error.h"

struct eddy_backing_ops {
    const char *name;

    /* Open the store.  dir: the state directory (sqlite: required; the file
     * is DIR/content.sqlite, DIR is created if missing); opts: the content
     * module's arguments (sqlite reads "max-size", bytes: a quota after
     * which stores fail with ENOSPC).  Reads what it needs at once
     * (checkpoints).  NULL + errno with err saying why.
     */
    void *(*open) (const char *dir, json_t *opts, eddy_error_t *err);
    void (*close) (void *impl);

    /* A blob by blobref: malloc'd bytes (NUL-terminated, the NUL not
     * counted in *len), or -1 + ENOENT / EIO / ENOMEM.
     */
    int (*load) (void *impl, const char *ref, void **data, size_t *len);

    /* Store n blobs (refs already verified by the caller) and then, if
     * ckpt_key is not NULL, set checkpoint ckpt_key to ckpt_value, all or
     * nothing.  -1 + ENOSPC (disk full or quota reached) / EROFS / EIO /
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

    /* Counts for reports: blobs stored and their total size. */
    void (*stats) (void *impl, uint64_t *count, uint64_t *bytes);
};

extern const struct eddy_backing_ops eddy_backing_memory;
extern const struct eddy_backing_ops eddy_backing_sqlite;

#endif /* !EDDY_KVS_BACKING_H */
