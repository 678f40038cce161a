/* nest.h - nested virtual instances: a job of a simulated instance that
 * asks for one (attributes.system.exec.test.nest) runs a child instance on
 * the same discrete-event reactor, one virtual broker per node of its
 * allocation, on simulated links of its own with the world's latency.
 *
 * The child's rank 0 loads the stack a replay's does (content, kvs,
 * job-manager, job-ingest, job-list, resource, sched, exec with the sim
 * backend); its resource module gets the job's R renumbered 0..n-1
 * (sched/renumber.h, as `eddy start` under PMI does); its brokers have
 * the attributes parent-uri (the parent's local-uri) and jobid (F58), and
 * local-uri "PARENT-URI" + "ƒID/".  Once every broker is in RUN the
 * child's driver (the batch script's part) submits the workload to its
 * job-ingest, follows its job manager's journal, and when every job is
 * clean reads job-list.stats and shuts the child down: the parent's job
 * then finishes with status 0.  A signal (a cancel, a time limit) makes
 * the driver cancel every job of the child (job-manager.cancelall), wait
 * until they are clean, and shut down: the job finishes with the signal.
 *
 * The workload (the spec, a JSON object):
 *   jobs    number of jobs, 0-10000000 (required)
 *   run     seconds each runs, >= 0 (required)
 *   procs   cores each takes (one slot of one core per proc), default 1
 *   policy  the child's scheduler policy, default the world's
 * Jobs are submitted together, as `procs` slots of one core with a time
 * limit of `run`: the shape of a replayed SWF job.
 */
#ifndef EDDY_SIM_NEST_H
#define EDDY_SIM_NEST_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/broker/broker.h"
#include "engine/nest.h"
#include "engine/reactor.h"

struct eddy_sim_nest_world;

struct eddy_sim_nest_params {
    int fanout;
    double latency;
    double jitter;
    uint64_t seed; /* each child's links draw from seed mixed with its job id */
    const struct eddy_module *const *modules;
    const char *policy; /* default scheduler policy of the children */
    bool record_jobs;   /* the report lists each child's jobs */
    const char *uri;    /* the top instance's local-uri */
};

/* Install nesting on r (eddy_reactor_set_nest ()).  NULL + errno. */
struct eddy_sim_nest_world *eddy_sim_nest_world_create (eddy_reactor_t *r,
                                                        const struct eddy_sim_nest_params *p);
/* Removes the seam; children still alive are destroyed at once (only
 * when the reactor goes too). */
void eddy_sim_nest_world_destroy (struct eddy_sim_nest_world *w);

/* One object per child started so far, in start order (borrowed):
 *   {jobid, uri, parent_uri, size, R (as given, parent ranks), jobs
 *    (workload size), submitted, failed, completed (clean without
 *    exception), canceled, listed (job-list.stats active + inactive at
 *    the end), run_at (virtual time every broker was in RUN, -1 if never),
 *    end (virtual time the last broker exited, -1), status (-1 while it
 *    runs), messages (link deliveries), list (with record_jobs: one
 *    {id, ranks (child ranks of its R), start, end, status} per job
 *    that started, by id)}
 */
json_t *eddy_sim_nest_report (struct eddy_sim_nest_world *w);

#endif /* !EDDY_SIM_NEST_H */
