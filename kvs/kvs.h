/* kvs.h - the key-value store's client API, for modules and commands.
 *
 * Every call is an RPC to the kvs module on rank 0 and returns a future;
 * nothing blocks (commands may wait on the futures).  Keys are dotted
 * paths ("job.0000.0000.0000.0001.eventlog"); values are JSON text.
 * Namespace NULL means "primary".
 */
#ifndef EDDY_KVS_H
#define EDDY_KVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/future.h"
#include "engine/handle.h"

typedef struct eddy_kvs_txn eddy_kvs_txn_t;

/* Transactions
 *
 * A transaction is a list of operations applied atomically by one commit,
 * in order.  put stores a JSON value (the text is validated as JSON);
 * put_pack builds it with json_pack; append adds raw text at the end of a
 * value (eventlogs: one "{...}\n" entry per append; the key is created if
 * missing); unlink removes a key or a whole directory; mkdir makes an empty
 * directory; prune removes key if it is an empty directory and does nothing
 * otherwise (missing, a value, or not empty), so that unlinking a key and
 * then pruning its parents, deepest first, leaves no empty directories
 * behind.  -1 + EINVAL for a bad key or value, ENOMEM.
 */
eddy_kvs_txn_t *eddy_kvs_txn_create (void);
void eddy_kvs_txn_destroy (eddy_kvs_txn_t *txn);
int eddy_kvs_txn_put (eddy_kvs_txn_t *txn, const char *key, const char *json);
int eddy_kvs_txn_put_json (eddy_kvs_txn_t *txn, const char *key, json_t *value); /* borrowed */
int eddy_kvs_txn_put_pack (eddy_kvs_txn_t *txn, const char *key, const char *fmt, ...);
int eddy_kvs_txn_append (eddy_kvs_txn_t *txn, const char *key, const char *text);
int eddy_kvs_txn_unlink (eddy_kvs_txn_t *txn, const char *key);
int eddy_kvs_txn_mkdir (eddy_kvs_txn_t *txn, const char *key);
int eddy_kvs_txn_prune (eddy_kvs_txn_t *txn, const char *key);

/* Append more's operations, in order, at the end of txn (more is left as
 * it was).  -1 + EINVAL if either is NULL, ENOMEM.
 */
int eddy_kvs_txn_concat (eddy_kvs_txn_t *txn, const eddy_kvs_txn_t *more);

/* Commit
 *
 * Applies the transaction (the future keeps its own copy; the caller may
 * destroy txn at once).  Commits that reach the kvs in one reactor
 * iteration are merged into one new root, in arrival order.  The future
 * fulfils once the new root is stored; eddy_kvs_commit_get_seq () gives the
 * root's sequence number.  Errors: ENOSPC/EIO from the backing store (the
 * store is left unchanged), EINVAL for an operation that does not apply
 * (e.g. putting below a value).
 */
eddy_future_t *eddy_kvs_commit (eddy_handle_t *h, const char *ns, int flags, eddy_kvs_txn_t *txn);
int eddy_kvs_commit_get_seq (eddy_future_t *f, uint64_t *seq);

/* Lookups
 *
 * eddy_kvs_lookup () reads one key as of the current root.  get returns
 * the value's JSON text (borrowed, valid until the future is destroyed);
 * get_unpack decodes it; get_dir gives a directory's entry names (a JSON
 * array of strings, borrowed).  ENOENT if missing, EISDIR/ENOTDIR on a
 * type mismatch.
 */
eddy_future_t *eddy_kvs_lookup (eddy_handle_t *h, const char *ns, int flags, const char *key);
int eddy_kvs_lookup_get (eddy_future_t *f, const char **json);
int eddy_kvs_lookup_get_unpack (eddy_future_t *f, const char *fmt, ...);
int eddy_kvs_lookup_get_dir (eddy_future_t *f, json_t **names);

/* Watches (streaming)
 *
 * eddy_kvs_watch () responds with the key's value now (or ENOENT, unless
 * EDDY_KVS_WAITCREATE), then again each time a commit changes it, until
 * cancelled (eddy_kvs_watch_cancel) or the future is destroyed.  With
 * EDDY_KVS_WATCH_APPEND each response carries only the text appended since
 * the last one (eventlogs).  Read each response with eddy_kvs_lookup_get (),
 * then eddy_future_reset ().
 */
enum {
    EDDY_KVS_WAITCREATE = 1,
    EDDY_KVS_WATCH_APPEND = 2,
};
eddy_future_t *eddy_kvs_watch (eddy_handle_t *h, const char *ns, int flags, const char *key);
int eddy_kvs_watch_cancel (eddy_future_t *f);

/* Namespaces */
eddy_future_t *eddy_kvs_namespace_create (eddy_handle_t *h, const char *ns, uint32_t owner);
eddy_future_t *eddy_kvs_namespace_remove (eddy_handle_t *h, const char *ns);

/* Job keys: "job.XXXX.XXXX.XXXX.XXXX[.suffix]" (dothex id, as Flux).  Returns
 * the key's length, or -1 + EINVAL/EOVERFLOW. */
int eddy_kvs_job_key (char *buf, size_t len, uint64_t id, const char *suffix);

/* The inverse for a key under a job's directory ("job.XXXX.XXXX.XXXX.XXXX."
 * then a non-empty rest, in the form eddy_kvs_job_key () writes): 0 and
 * the job's id and the rest (either may be NULL), or -1 + EINVAL for any
 * other key, the job directory itself included.
 */
int eddy_kvs_job_key_parse (const char *key, uint64_t *id, const char **rest);

#endif /* !EDDY_KVS_H */
