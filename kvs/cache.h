/* cache.h - the kvs module's blob cache: blobref -> bytes (and the decoded
 * tree object, made on first use), keyed by digest (blobref.h); each call
 * that takes a text ref has a _digest twin for callers that hold one.  New blobs are "dirty" until the
 * content store has them; clean blobs not used for a while may be expired
 * and are faulted in again from the content store when needed.
 */
#ifndef EDDY_KVS_CACHE_H
#define EDDY_KVS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/error.h"
#include "kvs/blobref.h"

typedef struct eddy_kvs_cache eddy_kvs_cache_t;

eddy_kvs_cache_t *eddy_kvs_cache_create (void);
void eddy_kvs_cache_destroy (eddy_kvs_cache_t *c);

/* Insert a blob.  The cache takes ownership of data (malloc'd) in every
 * case, also on failure.  If ref is already cached the new copy is freed
 * and 0 returned; a dirty insert of a clean blob makes it dirty again, so
 * that the batch that made it anew stores it again: the content store may
 * have collected it as garbage since, and a blob a new root refers to must
 * either come from the old root or travel with the new one.  -1 + ENOMEM,
 * or EINVAL for a ref that is not a valid blobref.
 */
int eddy_kvs_cache_insert (eddy_kvs_cache_t *c, const char *ref, void *data, size_t len, bool dirty);

/* Insert a blob with its decoded tree object (the cache takes a reference
 * to obj, which must never be modified afterwards), so that it is not
 * parsed again (obj may be NULL).  As insert () otherwise.
 * insert_digest () is insert_obj () by digest (EINVAL: an unknown alg).
 */
int eddy_kvs_cache_insert_obj (eddy_kvs_cache_t *c,
                               const char *ref,
                               void *data,
                               size_t len,
                               json_t *obj,
                               bool dirty);
int eddy_kvs_cache_insert_digest (eddy_kvs_cache_t *c,
                                  const struct eddy_digest *d,
                                  void *data,
                                  size_t len,
                                  json_t *obj,
                                  bool dirty);

/* Lookups mark the blob as used in the current epoch.  get_data returns
 * borrowed bytes, -1 + ENOENT if not cached.  get_obj returns the blob
 * decoded as a tree object (borrowed; NULL + ENOENT if not cached, EINVAL
 * with err if it is not a valid tree object).
 */
bool eddy_kvs_cache_has (eddy_kvs_cache_t *c, const char *ref);
int eddy_kvs_cache_get_data (eddy_kvs_cache_t *c, const char *ref, const void **data, size_t *len);
json_t *eddy_kvs_cache_get_obj (eddy_kvs_cache_t *c, const char *ref, eddy_error_t *err);
int eddy_kvs_cache_get_data_digest (eddy_kvs_cache_t *c,
                                    const struct eddy_digest *d,
                                    const void **data,
                                    size_t *len);
json_t *eddy_kvs_cache_get_obj_digest (eddy_kvs_cache_t *c, const struct eddy_digest *d, eddy_error_t *err);

/* Dirty blobs, in insertion order: count, and the i-th one's ref (valid
 * until the next dirty_get ()) and bytes.  dirty_done () marks them all clean (stored = true) or drops them
 * from the cache (stored = false: the store failed, they must not be
 * mistaken for stored blobs later).
 */
size_t eddy_kvs_cache_dirty_count (eddy_kvs_cache_t *c);
const char *eddy_kvs_cache_dirty_get (eddy_kvs_cache_t *c, size_t i, const void **data, size_t *len);
void eddy_kvs_cache_dirty_done (eddy_kvs_cache_t *c, bool stored);

/* Epochs: the caller advances the epoch (e.g. per commit batch); expire
 * drops clean blobs last used before `before` and returns how many went.
 * trim drops clean blobs last used before `before`, least recently used
 * first, only while the cache holds more than max_count blobs or more
 * than max_bytes (the memory the cache holds, as cache.c measured it for
 * glibc's malloc: blocks, bytes, decoded objects); O(blobs dropped).
 * bytes () is that sum.
 */
void eddy_kvs_cache_set_epoch (eddy_kvs_cache_t *c, uint64_t epoch);

/* Drop ref if it is cached and clean (a blob known to be stale); dirty
 * blobs stay.
 */
void eddy_kvs_cache_drop_clean (eddy_kvs_cache_t *c, const char *ref);
size_t eddy_kvs_cache_expire (eddy_kvs_cache_t *c, uint64_t before);
size_t eddy_kvs_cache_trim (eddy_kvs_cache_t *c, size_t max_count, size_t max_bytes, uint64_t before);
size_t eddy_kvs_cache_count (eddy_kvs_cache_t *c);
size_t eddy_kvs_cache_bytes (eddy_kvs_cache_t *c);

#endif /* !EDDY_KVS_CACHE_H */
