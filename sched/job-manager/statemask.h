/* statemask.h - job state names as Flux writes them (RFC 21: depend,
 * priority, sched, run, cleanup, inactive) and their groups (pending,
 * running, active), as a bit mask over job_state_t (1 << state).
 */
#ifndef EDDY_JOBMGR_STATEMASK_H
#define EDDY_JOBMGR_STATEMASK_H

#include "engine/error.h"

#define JOB_MASK_PENDING 0x07 /* depend, priority, sched */
#define JOB_MASK_RUNNING 0x18 /* run, cleanup */
#define JOB_MASK_ACTIVE 0x1f
#define JOB_MASK_INACTIVE 0x20
#define JOB_MASK_ALL 0x3f

/* Parse a comma-separated list of names and groups, in any case ("sched",
 * "PENDING,run", "active").  Returns the mask, or -1 + EINVAL and err
 * naming the word that is not a state.
 */
int jobmgr_statemask_parse (const char *s, eddy_error_t *err);

#endif /* !EDDY_JOBMGR_STATEMASK_H */
