/* taskmap.h - how a job's tasks are spread over the ranks of its R.
 *
 * The coordinator asks this once per job (real backend) to know which
 * ranks run how many tasks, and which global task ranks each one holds.
 */
#ifndef EDDY_EXEC_TASKMAP_H
#define EDDY_EXEC_TASKMAP_H

#include <jansson.h>
#include <stdint.h>

#include "engine/error.h"

typedef struct eddy_taskmap eddy_taskmap_t;

/* One rank of R and its share of the tasks: tasks [base, base + ntasks),
 * the rank's allocated cores and gpus (idset text, "" for none, borrowed
 * from the map) and the number of cores.  A rank of R may get ntasks 0
 * (more resources than tasks).
 */
struct eddy_taskmap_rank {
    uint32_t rank;
    int ncores;
    const char *cores;
    const char *gpus;
    int base;
    int ntasks;
};

/* Building a map
 *
 * eddy_taskmap_create () reads R version 1 (validated as sched/rlist.h
 * does) and spreads ntasks >= 1 tasks of cores_per_task >= 1 cores over its
 * ranks in rank order: each rank can hold ncores / cores_per_task tasks (at
 * least 1 if it has any core); tasks are dealt one at a time, round robin
 * over the ranks that still have room, so a job gets an even spread over
 * whole-node allocations; tasks beyond the total room are dealt round robin
 * over every rank with cores (oversubscription).  Task ranks are then
 * numbered contiguously in rank order.
 * eddy_taskmap_from_jobspec () takes ntasks from a jobspec (sched/jobspec.h,
 * parsed at the canonical level) and cores per task as
 * max (1, cores_per_slot * nslots / ntasks).
 * Both return a new map or NULL with errno EINVAL (err says why: a bad R, a
 * jobspec with no usable slot, an R with no ranks) or ENOMEM.  R and
 * jobspec are borrowed.
 */
eddy_taskmap_t *eddy_taskmap_create (json_t *R, int ntasks, int cores_per_task, eddy_error_t *err);
eddy_taskmap_t *eddy_taskmap_from_jobspec (json_t *R, json_t *jobspec, eddy_error_t *err);
void eddy_taskmap_destroy (eddy_taskmap_t *tm);

/* Queries: the number of ranks in R, the i-th rank in ascending rank order
 * (borrowed; NULL + EINVAL if i is out of range), and the total tasks.
 */
int eddy_taskmap_nranks (const eddy_taskmap_t *tm);
const struct eddy_taskmap_rank *eddy_taskmap_get (const eddy_taskmap_t *tm, int i);
int eddy_taskmap_ntasks (const eddy_taskmap_t *tm);

#endif /* !EDDY_EXEC_TASKMAP_H */
