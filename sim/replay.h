/* replay.h - replay a workload through the full eddy stack in the
 * simulator: a virtual cluster of one broker per node, with job-ingest,
 * the KVS, the job manager, the scheduler and the exec service (sim
 * backend) on rank 0, fed each job at its submit time.
 *
 * At link latency 0 the schedule equals the ideal oracle's (sim/ideal.h);
 * with latency, start times shift by the modeled message delays.
 */
#ifndef EDDY_SIM_REPLAY_H
#define EDDY_SIM_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/broker/broker.h"
#include "engine/error.h"
#include "sim/ideal.h"

typedef void (*eddy_replay_progress_f) (double vtime, size_t done, size_t total, void *arg);

struct eddy_replay_params {
    const char *policy;       /* "fcfs", "easy", ... */
    uint32_t nodes;           /* brokers, one per node */
    uint32_t cores_per_node;
    int fanout;
    double latency;           /* seconds per hop */
    double jitter;
    uint64_t seed;
    const struct eddy_module *const *modules; /* the module table */
    eddy_replay_progress_f progress;          /* may be NULL; called now and then */
    void *progress_arg;
};

struct eddy_replay_stats {
    size_t jobs;      /* jobs that ran */
    size_t denied;    /* refused by the scheduler (larger than the machine) */
    size_t failed;    /* refused at submission */
    double virtual_seconds;
    uint64_t events;  /* discrete events run */
    uint64_t messages; /* link deliveries */
};

/* Replay jobs[0..n) (sorted here by submit time, then id, then input
 * order).  The first submit is mapped to just after boot, and no rank
 * keeps a periodic timer, so virtual time without jobs costs nothing.
 * out (n entries, input order) gets each job's schedule in the trace's
 * time; start = end = -1 for a job that did not run.  0, or -1 with err
 * filled (boot failure, a module missing, ...; EINVAL if the submit
 * times span more than job ids hold, about 2^39 ms or 17 years).
 */
int eddy_replay_run (const struct eddy_replay_params *p,
                     const struct eddy_ideal_job *jobs,
                     size_t n,
                     struct eddy_ideal_result *out,
                     struct eddy_replay_stats *stats,
                     eddy_error_t *err);

#endif /* !EDDY_SIM_REPLAY_H */
