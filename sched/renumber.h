/* renumber.h - the R of a job as the R of the instance nested in it: the
 * k-th rank of the allocation becomes the child's rank k.  Both worlds use
 * it: `eddy start` under PMI (cmd/nest.h) and the simulator's nested
 * instances (sim/nest.h).
 */
#ifndef EDDY_SCHED_RENUMBER_H
#define EDDY_SCHED_RENUMBER_H

#include <jansson.h>

#include "engine/error.h"

/* A copy of R (version 1) with its ranks renumbered 0..n-1 in ascending
 * order: R_lite entries and properties follow their ranks, the nodelist
 * (in rank order already) and times are kept.  Returns a new R, or NULL
 * with errno EINVAL (err says why: not R, no ranks) or ENOMEM.
 */
json_t *eddy_nest_renumber_R (json_t *R, eddy_error_t *err);

#endif /* !EDDY_SCHED_RENUMBER_H */
