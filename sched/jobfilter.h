/* jobfilter.h - the job states and results `eddy jobs -f` and job-list
 * select by, as Flux names them, in one bit mask.
 */
#ifndef EDDY_SCHED_JOBFILTER_H
#define EDDY_SCHED_JOBFILTER_H

#include "engine/error.h"

/* One bit per active state, one per result of an inactive job. */
enum {
    EDDY_JOBF_DEPEND = 0x001,
    EDDY_JOBF_PRIORITY = 0x002,
    EDDY_JOBF_SCHED = 0x004,
    EDDY_JOBF_RUN = 0x008,
    EDDY_JOBF_CLEANUP = 0x010,
    EDDY_JOBF_COMPLETED = 0x020,
    EDDY_JOBF_FAILED = 0x040,
    EDDY_JOBF_CANCELED = 0x080,
    EDDY_JOBF_TIMEOUT = 0x100,

    EDDY_JOBF_PENDING = 0x007,  /* depend, priority, sched */
    EDDY_JOBF_RUNNING = 0x018,  /* run, cleanup */
    EDDY_JOBF_ACTIVE = 0x01f,   /* pending and running */
    EDDY_JOBF_INACTIVE = 0x1e0, /* every result */
    EDDY_JOBF_ALL = 0x1ff,
};

/* Parse a comma-separated list of state names (depend priority sched run
 * cleanup inactive), groups (pending running active all) and results
 * (completed failed canceled timeout), in any case: "pending,RUN",
 * "failed".  Returns the mask (> 0), or -1 + EINVAL with err naming the
 * word that is none of them (or saying the list is empty or ends with a
 * comma).
 */
int eddy_jobfilter_parse (const char *s, eddy_error_t *err);

/* The bit of a job: state is its state name in upper case (DEPEND ...
 * INACTIVE) and result, for an inactive one, its result (COMPLETED
 * FAILED CANCELED TIMEOUT).  0 for a name that is none of them.
 */
int eddy_jobfilter_bit (const char *state, const char *result);

#endif /* !EDDY_SCHED_JOBFILTER_H */
