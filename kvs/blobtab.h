/* blobtab.h - a table of blobs keyed by their digest (algorithm and
 * bytes): the memory backing store's blobs, and the mark set of a garbage
 * collection.  Open addressing on the digest's first bytes (already
 * uniform).  Nothing reaches the outside in table order: the only walk is
 * filter (), which decides per entry.
 */
#ifndef EDDY_KVS_BLOBTAB_H
#define EDDY_KVS_BLOBTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvs/blobref.h"

struct eddy_blob {
    struct eddy_digest digest;
    uint64_t epoch; /* free for the owner (backing: see backing_memory.c) */
    uint64_t mark;  /* free for the owner (gc: the run that reached it) */
    size_t len;
    char data[];    /* len bytes, then a NUL */
};

typedef struct eddy_blobtab eddy_blobtab_t;

eddy_blobtab_t *eddy_blobtab_create (void);
void eddy_blobtab_destroy (eddy_blobtab_t *t);

/* The blob with this digest (borrowed, valid until it is filtered out or
 * the table destroyed), or NULL.
 */
struct eddy_blob *eddy_blobtab_get (eddy_blobtab_t *t, const struct eddy_digest *digest);

/* Add a blob (a copy of data[0..len); data may be NULL when len is 0),
 * with epoch and mark 0.  If the digest is there already, the existing
 * entry is returned and *added (if not NULL) is false.  NULL + ENOMEM.
 */
struct eddy_blob *eddy_blobtab_add (eddy_blobtab_t *t,
                                    const struct eddy_digest *digest,
                                    const void *data,
                                    size_t len,
                                    bool *added);

/* Entries held. */
size_t eddy_blobtab_count (eddy_blobtab_t *t);

/* Keep the entries for which keep (b, arg) is true and free the others;
 * returns how many went.  Never fails (the table shrinks in place).
 */
size_t eddy_blobtab_filter (eddy_blobtab_t *t, bool (*keep) (const struct eddy_blob *b, void *arg), void *arg);

#endif /* !EDDY_KVS_BLOBTAB_H */
