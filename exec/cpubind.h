/* cpubind.h - the OS cpus a job's task is bound to on its node.
 *
 * R's core ids are hwloc's logical indexes of the node's cores (or of its
 * PUs where hwloc sees no cores), which is how the broker counts them for
 * the resource module; binding needs OS cpu numbers, so the job shell
 * maps one to the other through the node's topology, loaded once.
 */
#ifndef EDDY_EXEC_CPUBIND_H
#define EDDY_EXEC_CPUBIND_H

#include <stdbool.h>

#include "engine/error.h"

typedef struct eddy_cpubind eddy_cpubind_t;

/* Affinity modes, as flux-shell(1)'s cpu-affinity option names them:
 * off (no binding), on (every task of the node on all of the job's cores
 * there; the default) and per-task (the cores dealt out among the node's
 * tasks).
 */
enum eddy_cpubind_mode {
    EDDY_CPUBIND_OFF = 0,
    EDDY_CPUBIND_ON = 1,
    EDDY_CPUBIND_PER_TASK = 2,
};

/* The mode a shell option string names: NULL is the default (on); -1
 * with errno EINVAL for anything else than "off", "on" or "per-task".
 */
int eddy_cpubind_mode_parse (const char *s);

/* Topology
 *
 * eddy_cpubind_create () loads the node's topology as hwloc finds it
 * (HWLOC_SYNTHETIC or HWLOC_XMLFILE in the environment replace the real
 * machine's, as they do for the broker's discovery).  NULL with errno
 * and err set on failure.  is_thissystem () says whether the topology is
 * this machine's: a synthetic or XML one names cpus that may not exist,
 * so its masks are computed and shown but not applied.
 */
eddy_cpubind_t *eddy_cpubind_create (eddy_error_t *err);
void eddy_cpubind_destroy (eddy_cpubind_t *cb);
bool eddy_cpubind_is_thissystem (const eddy_cpubind_t *cb);
int eddy_cpubind_ncores (const eddy_cpubind_t *cb);

/* The OS cpus (list text such as "0-3,8", the caller frees it) of the
 * task local (0 <= local < nlocal) among the node's nlocal tasks on the
 * job's cores there (R's idset text) in mode ON or PER_TASK.  PER_TASK
 * gives task i the cores [i*n/nlocal, (i+1)*n/nlocal) of the n sorted
 * cores, or, with fewer cores than tasks, the single core i*n/nlocal.
 * NULL with errno EINVAL (mode OFF, bad text, no core, a core the topology
 * does not have: err says which) or ENOMEM.
 */
char *eddy_cpubind_task_cpus (const eddy_cpubind_t *cb,
                              const char *cores,
                              int mode,
                              int local,
                              int nlocal,
                              eddy_error_t *err);

/* Shares
 *
 * share () gives task local (0 <= local < nlocal) among the node's nlocal
 * tasks its part [*first, *last] of n sorted items (n >= 1): [local*n/nlocal,
 * (local+1)*n/nlocal) when n >= nlocal, else the single item local*n/nlocal.
 * For cores of equal PU counts it is the split flux-shell's per-task makes
 * with hwloc_distrib () over the job's cores: contiguous blocks, the
 * larger ones last.
 *
 * task_gpus () is CUDA_VISIBLE_DEVICES of that task on the rank's gpus
 * (R's idset text): all of them with mode ON, its share with PER_TASK, as
 * ids separated by commas ("0,1").  NULL with errno EINVAL (mode OFF, bad
 * text, no gpu) or ENOMEM.
 */
void eddy_cpubind_share (int n, int local, int nlocal, int *first, int *last);
char *eddy_cpubind_task_gpus (const char *gpus, int mode, int local, int nlocal);

#endif /* !EDDY_EXEC_CPUBIND_H */
