/* jobscan.h - walk the KVS job directory (job.XXXX.XXXX.XXXX.XXXX, see
 * eddy_kvs_job_key) without blocking the reactor, for the modules that
 * rebuild their state after a restart (job-manager, job-list).
 *
 * The walk is a chain of kvs.lookup RPCs, a bounded number in flight.  An
 * instance without history (the simulator, a new state directory) costs
 * one lookup of the missing "job" directory.
 */
#ifndef EDDY_SCHED_JOBSCAN_H
#define EDDY_SCHED_JOBSCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/handle.h"

typedef struct eddy_jobscan eddy_jobscan_t;

/* Other keys of a job that the eventlog callback may ask for. */
enum {
    EDDY_JOBSCAN_JOBSPEC = 1,
    EDDY_JOBSCAN_R = 2,
};

/* Callbacks, in no particular order across jobs (callers sort what they
 * keep, e.g. by id).
 * eventlog: one job's eventlog text (borrowed); return the EDDY_JOBSCAN_*
 *   flags of the keys to read next for this job, or 0 to be done with it.
 * extra: the keys asked for (borrowed; NULL if not asked, missing or not
 *   JSON), with the eventlog text again.
 * done: the walk is over; errnum is 0, or the first error met (each one
 *   is logged).  Called exactly once, never from eddy_jobscan_start ();
 *   the scan may be destroyed inside it.
 * known (optional, may be NULL): true for a job the caller has already, so
 *   its keys are not read (it still counts for max_id and count).
 */
struct eddy_jobscan_ops {
    int (*eventlog) (uint64_t id, const char *eventlog, void *arg);
    void (*extra) (uint64_t id, const char *eventlog, json_t *jobspec, json_t *R, void *arg);
    void (*done) (eddy_jobscan_t *scan, int errnum, void *arg);
    bool (*known) (uint64_t id, void *arg);
};

/* Start a walk of the primary namespace's job directory.  NULL + errno
 * (EINVAL, ENOMEM, or the RPC's error) if nothing could be sent.
 * destroy () abandons a walk in progress (no more callbacks).
 */
eddy_jobscan_t *eddy_jobscan_start (eddy_handle_t *h, const struct eddy_jobscan_ops *ops, void *arg);
void eddy_jobscan_destroy (eddy_jobscan_t *scan);

/* The same walk over another directory shaped as "job" (DIR.XXXX.XXXX.
 * XXXX.XXXX, e.g. the index of active jobs): its depth-four names are the
 * ids whose job directories are read.  "dir" is borrowed: it must outlive
 * the scan (a constant).
 */
eddy_jobscan_t *eddy_jobscan_start_dir (eddy_handle_t *h, const struct eddy_jobscan_ops *ops, void *arg,
                                        const char *dir);

/* The largest id with a directory under "job", whether or not its
 * eventlog could be read (0 if none), and the number of such directories;
 * meant for the done callback.  A directory whose eventlog is missing or
 * unreadable still holds its id: a new job must never reuse it.
 */
uint64_t eddy_jobscan_max_id (eddy_jobscan_t *scan);
uint32_t eddy_jobscan_count (eddy_jobscan_t *scan);

#endif /* !EDDY_SCHED_JOBSCAN_H */
