/* tree.h - the KVS hash tree: lookups, listings and commits over tree
 * objects (treeobj.h) held in a blob source (the kvs module's cache).
 *
 * Nothing here waits: when a blob is not in the source, a call fails with
 * EAGAIN and names the blob in t->missing; the caller loads it and runs
 * the whole operation again (every operation starts from a root and is
 * free of side effects until it succeeds, apart from new blobs, which are
 * content-addressed and harmless).
 *
 * A commit works on a private working tree: eddy_kvs_tree_begin () copies
 * the root directory, apply () runs operations on it, copying only the
 * directories (and shards of sharded directories) on the paths it
 * touches, and finish () writes the modified objects bottom-up as new
 * blobs and returns the new root.  Many operations on one directory cost
 * one write of it.  The tree may then serve the next commit too, so that
 * the directories every commit goes through (the root, the top of the job
 * directories) are not copied and decoded again for each one.
 */
#ifndef EDDY_KVS_TREE_H
#define EDDY_KVS_TREE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/error.h"
#include "kvs/blobref.h"

/* Where blobs come from and go to.
 * get_obj: the tree object named ref (borrowed), or NULL + EAGAIN if not
 *   loaded, EINVAL (err set) if the blob is not a valid tree object.
 * get_data: raw bytes of ref (borrowed), or -1 + EAGAIN.
 * put: store a new blob; takes ownership of data (malloc'd) in every case;
 *   obj (borrowed, may be NULL) is its decoded form, kept if useful.
 *   Writes its blobref into ref.  -1 + ENOMEM.
 * copied (may be NULL): the stored directory object ref was copied into a
 *   working tree, so once the tree is written it is most likely garbage
 *   (a hint for caches; the object may still be shared elsewhere).
 */
struct eddy_kvs_tree_src {
    json_t *(*get_obj) (void *arg, const char *ref, eddy_error_t *err);
    int (*get_data) (void *arg, const char *ref, const void **data, size_t *len);
    int (*put) (void *arg, void *data, size_t len, json_t *obj, char ref[EDDY_BLOBREF_SIZE]);
    void (*copied) (void *arg, const char *ref);
};

/* One operation's context: the source, and on failure the missing blob
 * (EAGAIN) or the reason (err).
 */
struct eddy_kvs_tree {
    const struct eddy_kvs_tree_src *src;
    void *arg;
    uint64_t epoch; /* the caller's clock, for collapse () (init: 0) */
    char missing[EDDY_BLOBREF_SIZE];
    eddy_error_t err;
};

void eddy_kvs_tree_init (struct eddy_kvs_tree *t, const struct eddy_kvs_tree_src *src, void *arg);

/* An empty root directory: stores it and writes its ref.  -1 + ENOMEM. */
int eddy_kvs_tree_empty_root (struct eddy_kvs_tree *t, char ref[EDDY_BLOBREF_SIZE]);

/* Keys: dotted paths; empty components are ignored ("a..b." is "a.b"),
 * "." or "" is the root.  split () returns a new array of components (new
 * reference), or NULL + EINVAL (a component longer than 4095 bytes) / ENOMEM.
 */
json_t *eddy_kvs_key_split (const char *key);

/* Lookup: the entry at key (new reference: val, valref or dirref; the root
 * is a dirref), or NULL + ENOENT / ENOTDIR (a path component is a value)
 * / EAGAIN / EINVAL (corrupt tree, err set).
 */
json_t *eddy_kvs_tree_lookup (struct eddy_kvs_tree *t, const char *rootref, const char *key);

/* The bytes of a value entry (malloc'd, NUL-terminated, *len without it),
 * or NULL + EISDIR / EAGAIN / EINVAL / ENOMEM.
 */
char *eddy_kvs_tree_read (struct eddy_kvs_tree *t, const json_t *entry, size_t *len);

/* The names in a directory entry (dirref), sorted (new array), or NULL +
 * ENOTDIR / EAGAIN / EINVAL / ENOMEM.
 */
json_t *eddy_kvs_tree_list (struct eddy_kvs_tree *t, const json_t *entry);

/* Working trees
 *
 * begin () returns a private copy of the root directory (NULL + EAGAIN /
 * EINVAL / ENOMEM).  apply () runs one operation, an object
 *   {"op": "put", "key": K, "value": JSON-TEXT}
 *   {"op": "append", "key": K, "value": TEXT}
 *   {"op": "unlink", "key": K}       (a missing key is not an error)
 *   {"op": "mkdir", "key": K}        (replaces what was there)
 * creating missing parent directories (not for unlink).  -1 + EINVAL (err
 * says why: bad op, a value in the way, put/append on a directory, the
 * root as target), EAGAIN, ENOMEM; on failure the working tree may be
 * partly changed and must be discarded.  finish () writes what changed
 * (each changed directory once, whatever number of operations changed
 * it) and gives the new root's blobref (-1 + ENOMEM / EINVAL: discard the
 * tree).  The tree then stands for that root and may take more
 * operations for a next commit on top of it: the directories it wrote
 * stay in it, decoded, and are changed in place, not copied out of their
 * blobs again.  json_decref () it when done.
 *
 * collapse () bounds what a kept tree holds: after finish (), it turns
 * the directories written last before epoch `before` (t->epoch when they
 * were written) back into dirrefs, freeing them.  The tree stays valid
 * whatever the result (-1 + ENOMEM: less was freed).
 */
json_t *eddy_kvs_tree_begin (struct eddy_kvs_tree *t, const char *rootref);
int eddy_kvs_tree_apply (struct eddy_kvs_tree *t, json_t *work, const json_t *op);
int eddy_kvs_tree_finish (struct eddy_kvs_tree *t, json_t *work, char ref[EDDY_BLOBREF_SIZE]);
int eddy_kvs_tree_collapse (struct eddy_kvs_tree *t, json_t *work, uint64_t before);

#endif /* !EDDY_KVS_TREE_H */
