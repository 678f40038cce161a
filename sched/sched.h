/* sched.h - the sched and resource modules (rank 0), as linked into
 * eddy-broker and the simulator.  Their protocols are in docs/protocols.md
 * ("sched", "resource").
 */
#ifndef EDDY_SCHED_SCHED_H
#define EDDY_SCHED_SCHED_H

#include "engine/broker/broker.h"
#include "sched/rlist.h"

/* sched: the queue of sched.alloc requests, a policy (module args
 * {"policy": "fcfs" | "easy" | "conservative"}, default "fcfs") and the
 * free pool.  R comes from resource.acquire, or from args {"R": R}.
 */
extern const struct eddy_module eddy_module_sched;

/* resource: builds the instance's R and answers resource.acquire.  Args
 * {"nodes": N, "cores_per_node": C, "gpus_per_node": G} or {"R": R}; with
 * neither, every rank's hostname and resource.cores / resource.gpus
 * attributes (idsets; "0" and none when absent).  N is at most
 * EDDY_RESOURCE_NODES_MAX (as many ranks as an R holds), C and G at most
 * EDDY_RESOURCE_CORES_MAX; larger ones fail the load with EINVAL.
 */
extern const struct eddy_module eddy_module_resource;

#define EDDY_RESOURCE_NODES_MAX EDDY_RLIST_RANKS_MAX
#define EDDY_RESOURCE_CORES_MAX 65536

#endif /* !EDDY_SCHED_SCHED_H */
