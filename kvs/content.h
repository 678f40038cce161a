/* content.h - the content module (loaded on every rank): content-addressed
 * blobs.  Rank 0 keeps them in a backing store (backing.h): sqlite in
 * DIR/content.sqlite when a state directory is given (module argument
 * {"statedir": DIR}, else the broker attribute `statedir`), memory
 * otherwise.  Other ranks keep a cache, fault misses in from upstream and
 * forward stores upstream.
 *
 * Protocol (payloads; blobs travel as base64):
 *   content.load {blobref} -> {data}                    ENOENT if unknown
 *   content.store {data: B64} -> {blobref}
 *   content.store {data: [B64...], checkpoint?: {key, value}}
 *       -> {blobrefs: [...]}: the blobs, then the checkpoint, atomically
 *       (rank 0); ENOSPC when the disk or the quota is full, EROFS, EIO
 *   content.checkpoint-get {key} -> {value}               ENOENT if unset
 *   content.checkpoint-put {key, value} -> {}
 *   content.stats {} -> {backing, count, bytes} (rank 0) or {cached}
 * value is any JSON value.  Module arguments: statedir, backing
 * ("sqlite" | "memory"), max-size (sqlite quota, bytes), cache-max
 * (blobs cached on other ranks, default 65536).
 */
#ifndef EDDY_KVS_CONTENT_H
#define EDDY_KVS_CONTENT_H

#include "engine/broker/broker.h"

extern const struct eddy_module eddy_module_content;

#endif /* !EDDY_KVS_CONTENT_H */
