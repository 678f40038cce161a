/* content.h - the content module (loaded on every rank): content-addressed
 * blobs.  Rank 0 keeps them in a backing store (backing.h): sqlite in
 * DIR/content.sqlite when a state directory is given (module argument
 * {"statedir": DIR}, else the broker attribute `statedir`), memory
 * otherwise.  Other ranks keep a cache, fault misses in from upstream and
 * forward stores upstream.
 *
 * Protocol (payloads).  A blob travels as base64, or as a JSON string of
 * its bytes when the message says "encoding": "utf-8" (what the kvs does:
 * its blobs are UTF-8 JSON text, and base64 cost more than anything else):
 *   content.load {blobref, encoding?: "utf-8"} -> {data, encoding?}
 *       encoding "utf-8" in the request asks for text; the answer says
 *       "utf-8" when it is text (a blob that is not UTF-8 comes as base64)
 *       ENOENT if unknown
 *   content.store {data: B64} -> {blobref}
 *   content.store {data: [BLOB...], encoding?: "base64" | "utf-8",
 *                  blobrefs?: [ref...], checkpoint?: {key, value}}
 *       -> {blobrefs: [...]}: the blobs, then the checkpoint, atomically
 *       (rank 0); ENOSPC when the disk or the quota is full, EROFS, EIO.
 *       blobrefs name the blobs: from a module of the same broker (a
 *       request whose route is that one hop) they are trusted and the
 *       blobs are not hashed again; from anyone else they are checked
 *       (EPROTO if one does not match)
 *   content.checkpoint-get {key} -> {value}               ENOENT if unset
 *   content.checkpoint-put {key, value} -> {}
 *   content.gc {} -> {live, live-bytes, young, freed, freed-bytes, missing}
 *       one garbage collection now (backing.h says what it keeps)
 *   content.stats {} -> {backing, temporary, count, bytes, gc: {runs, live, live-bytes,
 *       garbage, garbage-bytes, freed, freed-bytes}} (rank 0; live as of
 *       the last collection, garbage = what was added since, an upper
 *       bound, freed = totals) or {cached}
 * value is any JSON value.  Module arguments: statedir, backing
 * ("sqlite" | "memory"; without it, [content] backing; sqlite without a
 * statedir is a temporary store in the broker.rundir attribute's
 * directory, temporary true in stats), max-size (sqlite quota, bytes), cache-max
 * (blobs cached on other ranks, default 65536), gc-factor (collect after a
 * store once the store holds this many times the blobs live after the
 * last collection, default 2; 0: only on content.gc) and gc-min (but not
 * below this many blobs, default 10000), or the bytes live then and
 * gc-min-bytes (default 8 MiB).  The configuration's [content]
 * table: hash ("sha256", the default, or "blake2b"; read at load) names
 * the blobs stored without refs; refs given are checked by the hash they
 * name, so a store holds both kinds (blobref.h).  Collections run between
 * requests, so never in the middle of a batch; a commit's blobs and the
 * root that refers to them arrive in one store.
 */
#ifndef EDDY_KVS_CONTENT_H
#define EDDY_KVS_CONTENT_H

#include "engine/broker/broker.h"
#include "kvs/blobref.h"

extern const struct eddy_module eddy_module_content;

/* The hash a [content] table (may be NULL) asks for in *alg: its "hash"
 * key, sha256 without one.  -1 + EINVAL with err ("content.hash: 'md5'
 * is not a hash (sha256, blake2b)").  The kvs module names its blobs by
 * the same key.
 */
int eddy_content_hash_config (const json_t *table, eddy_hash_t *alg, eddy_error_t *err);

#endif /* !EDDY_KVS_CONTENT_H */
