/* kvs_module.h - the kvs module (rank 0; a no-op elsewhere): the hash tree
 * (tree.h) over blobs in the content store, namespaces, commits, lookups
 * and watches.  The content module must be loaded too.
 *
 * Protocol (namespace defaults to "primary"; values travel as text):
 *   kvs.commit {namespace?, flags?, ops: [{op, key, value?}]} -> {rootref, seq}
 *   kvs.lookup {namespace?, key, flags?} -> {value: TEXT} or {dir: [names]}
 *   kvs.watch {namespace?, key, flags?} (streaming) -> as lookup, then on
 *       every change; with EDDY_KVS_WATCH_APPEND only the appended text;
 *       ENOENT ends it (unless EDDY_KVS_WAITCREATE, until the key exists)
 *   kvs.unwatch {matchtag} -> the watch with that matchtag from the same
 *       sender ends with ENODATA (no response of its own)
 *   kvs.namespace-create {namespace, owner} -> {}    (EEXIST)
 *   kvs.namespace-remove {namespace} -> {}           (ENOENT; not primary)
 *   kvs.namespace-list {} -> {namespaces: [{name, owner, seq, rootref}]}
 *   kvs.getroot {namespace?} -> {rootref, seq, owner}
 *   kvs.stats {} -> {commits, batches, cache, namespaces, watchers}
 *
 * Commits that arrive in one reactor iteration are applied in arrival
 * order to one working tree per namespace and written as one new root
 * (a check watcher); one batch is stored at a time, with the root
 * checkpoint ("kvs" in the content store) in the same atomic store.  An
 * operation that does not apply fails its own commit only (EINVAL); a
 * failed store fails the whole batch (ENOSPC, EIO) and changes nothing.
 * A namespace other than primary is usable by its owner (userid) too.
 * Module arguments: {"cache-max": N, "cache-max-bytes": B}: blobs kept
 * in memory, at most N (default 200000) and about B bytes (default 64
 * MiB of memory, counting each blob's bytes, its entry and its decoded
 * object, if any, as measured (kvs/cache.c)).  Beyond that,
 * the least recently used blobs not used in the last batch are dropped and
 * faulted in again from the content store when needed, after each batch
 * and after each blob loaded for a lookup (then sparing those used during
 * the last 1,024 loads), so reads without commits keep to it too; the old versions
 * of the directories a batch rewrote go as soon as it is stored.  A batch
 * that must wait for blobs asks for what all its operations miss at once.
 *
 * Blobs go to the content store as text with their blobrefs (content.h),
 * and a blob the batch makes is sent even if it is cached: the content
 * store may have collected it since it was last referred to.  A load that
 * finds a blob collected after the roots moved on starts the lookup again
 * from the new roots.
 */
#ifndef EDDY_KVS_MODULE_H
#define EDDY_KVS_MODULE_H

#include "engine/broker/broker.h"

extern const struct eddy_module eddy_module_kvs;

#endif /* !EDDY_KVS_MODULE_H */
