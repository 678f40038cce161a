/* replay.h - replay a workload through the full eddy stack in the
 * simulator: a virtual cluster of one broker per node, with job-ingest,
 * the KVS, the job manager, the scheduler and the exec service (sim
 * backend) on rank 0, fed each job at its submit time.
 *
 * At link latency 0 the schedule equals the scheduler-only replay's
 * (sim/ideal.h) and the independent oracle's (test/oracle/swfsim.py);
 * with latency, start times shift by the modeled message delays.
 */
#ifndef EDDY_SIM_REPLAY_H
#define EDDY_SIM_REPLAY_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/broker/broker.h"
#include "engine/error.h"
#include "sim/ideal.h"

typedef void (*eddy_replay_progress_f) (double vtime, size_t done, size_t total, void *arg);

/* What became of a job, as the driver learns it from the job manager's
 * journal.  A replay that ran to its end leaves only COMPLETED, TIMEOUT,
 * KILLED and DENIED; a stopped one (params.stop) may leave the others.
 */
typedef enum {
    EDDY_REPLAY_UNSUBMITTED = 0, /* its submit time was not reached */
    EDDY_REPLAY_QUEUED,          /* submitted, not started */
    EDDY_REPLAY_RUNNING,         /* started, not finished */
    EDDY_REPLAY_COMPLETED,       /* ran its run time */
    EDDY_REPLAY_TIMEOUT,         /* killed at its time limit (cap_runtime) */
    EDDY_REPLAY_KILLED,          /* ended by any other fatal exception (node failure) */
    EDDY_REPLAY_DENIED,          /* refused by the scheduler or at submission */
} eddy_replay_status_t;

/* A job's fate beyond its schedule (struct eddy_ideal_result). */
struct eddy_replay_job {
    eddy_replay_status_t status;
    uint32_t nodes; /* distinct ranks (brokers) of its allocation R, 0 if none */
    double denied;  /* trace time it was refused, -1 if it was not */
    /* with params.requeue: how many times it started (1 for a job never
     * killed, 0 for one that never started); killed attempts' elapsed time
     * x their nodes (node-seconds lost) and x their procs (work redone) */
    uint32_t attempts;
    double lost_node_seconds;
    double redone_proc_seconds;
};

/* A fault injected at a trace time (transport/sim/simnet.h): kill (the
 * rank falls silent, its links drop: lost at once, as after kill -9),
 * cut (its link to its parent drops every message: lost at the keepalive
 * timeout), heal (a cut link works again: the rank rejoins), restart (a
 * killed rank's new broker boots and rejoins: sim/cluster.h), drain and
 * undrain (resource.drain / resource.undrain to rank 0 with the reason,
 * as `eddy resource drain` sends).
 */
typedef enum {
    EDDY_REPLAY_KILL,
    EDDY_REPLAY_CUT,
    EDDY_REPLAY_HEAL,
    EDDY_REPLAY_RESTART,
    EDDY_REPLAY_DRAIN,
    EDDY_REPLAY_UNDRAIN,
} eddy_replay_fault_kind_t;

struct eddy_replay_fault {
    eddy_replay_fault_kind_t kind;
    uint32_t rank;
    double at;          /* trace time, as the jobs' submit times */
    const char *reason; /* drain's reason (borrowed), NULL: "" */
};

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
    bool cap_runtime; /* a job is killed at its time limit: runs min (run, req) */
    /* may be NULL; the driver stops between two events once *stop is
     * nonzero (a signal handler's flag) and returns what it has so far */
    const volatile sig_atomic_t *stop;
    /* may be NULL; n entries in input order, filled by the run */
    struct eddy_replay_job *detail;
    /* may be NULL: the machine as an R object (borrowed), handed to the
     * resource module as {"R": R}; nodes must then be its rank count and
     * cores_per_node is ignored */
    json_t *R;
    /* may be NULL, or n entries in input order (borrowed): a job with a
     * jobspec is submitted with it (its shape; run duration and the
     * replay's bookkeeping added) instead of as jobs[i].procs slots of
     * one core */
    json_t *const *jobspecs;
    /* may be NULL: nfaults faults.  With a cut, the brokers of the subtree
     * of the cut rank's parent keep alive (keepalive_period 1s, the
     * broker's default timeouts), so that the cut is noticed as if every
     * rank kept alive; no other rank keeps a periodic timer. */
    const struct eddy_replay_fault *faults;
    size_t nfaults;
    /* may be NULL: set to what the nested instances did (a job with
     * attributes.system.exec.test.nest runs one, sim/nest.h: one object
     * per instance; the caller's reference), or NULL if none ran */
    json_t **nest_report;
    bool nest_record_jobs; /* the report lists each nested job */
    /* a job killed by a node failure is submitted again when it ends (as
     * Slurm's requeue): it runs its whole run time again; its result is
     * its last attempt's, its wait counted from its trace submit time */
    bool requeue;
    /* may be NULL, or n entries in input order: job i is submitted by a
     * handle that speaks as this user (a guest; one handle per user), as
     * a connection of that user would; UINT32_MAX: the driver's own */
    const uint32_t *userids;
    /* may be NULL, or n entries (NULL: none): attributes.system.bank */
    const char *const *banks;
    /* may be NULL: the job manager's priority table ({"plugin":
     * "multifactor", ...}, [job-manager.priority]'s keys) */
    json_t *priority;
    /* may be NULL: job-archive is loaded on rank 0 with these args
     * ({"dbpath", "period", "accounting": {...}}) */
    json_t *archive;
};

struct eddy_replay_stats {
    size_t jobs;      /* jobs that ran */
    size_t denied;    /* refused by the scheduler (larger than the machine) */
    size_t failed;    /* refused at submission */
    double virtual_seconds;
    double offset;    /* virtual time = trace time + offset */
    uint64_t events;  /* discrete events run */
    uint64_t messages; /* link deliveries */
    bool complete;     /* false if params.stop ended the replay early */
    size_t killed;     /* attempts ended by a node failure (requeued or not) */
    size_t requeued;   /* of those, submitted again */
    uint32_t restarts; /* ranks restarted */
    struct eddy_stats work; /* messages originated, KVS commits, hashes */
};

/* Replay jobs[0..n) (sorted here by submit time, then id, then input
 * order).  The first submit is mapped to just after boot, and no rank
 * keeps a periodic timer, so virtual time without jobs costs nothing.
 * out (n entries, input order) gets each job's schedule in the trace's
 * time; start = end = -1 for a job that did not run (end = -1 for one
 * still running when the replay was stopped); run is min (run, req) under
 * cap_runtime.  0 (also when stopped: stats->complete says so), or -1
 * with err filled (boot failure, a module missing, ...; EINVAL if the
 * submit times span more than job ids hold, about 2^39 ms or 17 years).
 */
int eddy_replay_run (const struct eddy_replay_params *p,
                     const struct eddy_ideal_job *jobs,
                     size_t n,
                     struct eddy_ideal_result *out,
                     struct eddy_replay_stats *stats,
                     eddy_error_t *err);

#endif /* !EDDY_SIM_REPLAY_H */
