/* jobindex.h - the KVS index of active jobs, so that a restart reads the
 * jobs that still need the job manager and not the whole history.
 *
 * A job is active from its submit entry to its clean entry.  Its index
 * key job-index.active.XXXX.XXXX.XXXX.XXXX (the id's groups, as its job
 * directory: jobs submitted or ended together share the directories
 * above, so a commit rewrites few of them) is written in the commit that
 * stores the submit entry (job-ingest) and unlinked, with the levels it
 * leaves empty, in the commit that stores the clean entry (job-manager),
 * so the index and the eventlogs never disagree.  A restart walks it
 * with eddy_jobscan_start_dir ().  job-index.version says the index is complete:
 * a state directory written before the index existed lacks it, and its
 * first restart walks the job directory once and writes the index.
 *
 * The highest id ever issued (new ids must stay above it, see
 * eddy_jobscan_max_id) is found without reading history either: the job
 * directory's levels are named by the id's 16-bit groups, so the largest
 * id is at the end of the largest name at each level, four lookups.
 */
#ifndef EDDY_SCHED_JOBINDEX_H
#define EDDY_SCHED_JOBINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "engine/handle.h"
#include "kvs/kvs.h"

#define EDDY_JOBINDEX_DIR "job-index.active"
#define EDDY_JOBINDEX_VERSION_KEY "job-index.version"
#define EDDY_JOBINDEX_VERSION 1

/* ---- keys (pure) ---- */

/* The index key of job id into buf.  Returns its length, or -1 with
 * EINVAL (no buf) or EOVERFLOW (buf too small).
 */
int eddy_jobindex_key (char *buf, size_t len, uint64_t id);

/* Add to txn the entry of a job that becomes active, the removal of one
 * that becomes inactive, or the mark that the index is complete.  0, or
 * -1 + errno from the transaction (ENOMEM, EINVAL).
 */
int eddy_jobindex_add (eddy_kvs_txn_t *txn, uint64_t id);
int eddy_jobindex_remove (eddy_kvs_txn_t *txn, uint64_t id);
int eddy_jobindex_mark (eddy_kvs_txn_t *txn);

/* ---- reading it back (asynchronous) ---- */

typedef struct eddy_jobindex_read eddy_jobindex_read_t;

/* Called exactly once, never from eddy_jobindex_read (); the reader may be
 * destroyed inside it.  errnum is 0 (the index is complete: walk it),
 * ENOENT (no index: walk the job directory instead),
 * or another error (logged; walk the job directory too).
 */
typedef void (*eddy_jobindex_f) (eddy_jobindex_read_t *rd, int errnum, void *arg);

/* Read the version key and the largest job id of the primary namespace,
 * a handful of lookups whatever the history.  NULL +
 * errno if nothing could be sent.  destroy () abandons it (no callback).
 */
eddy_jobindex_read_t *eddy_jobindex_read (eddy_handle_t *h, eddy_jobindex_f cb, void *arg);
void eddy_jobindex_read_destroy (eddy_jobindex_read_t *rd);

/* The largest id with a directory under "job" (0 if none), whatever
 * errnum said.
 */
uint64_t eddy_jobindex_max_id (eddy_jobindex_read_t *rd);

/* One step of that descent (pure, for tests): among the entry names of a
 * listing of the job directory at depth (0 for "job", 3 for "job.A.B.C"),
 * the largest group below bound (0x10000 at first; lower when an empty
 * directory sent the descent back), or-ed into prefix (the groups above)
 * at its place in the id.  0 and *id set, or -1 + ENOENT if no entry
 * qualifies (names that are not four hex digits never do).
 */
int eddy_jobindex_max_entry (const char *const names[], size_t n, int depth, uint64_t prefix,
                             uint32_t bound, uint64_t *id);

#endif /* !EDDY_SCHED_JOBINDEX_H */
