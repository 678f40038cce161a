/* ideal.h - the scheduler-only replay: a trace scheduled by a policy
 * (sched/policy.h) in a direct event loop, with no brokers and no
 * messages.  A replay through eddy at link latency 0 must give the same
 * schedule, so comparing the two finds faults of the stack (messages,
 * timing, the job manager).  It is not an oracle of the policies: it runs
 * their code.  The independent check of DESIGN.md's rules is
 * test/oracle/swfsim.py, which shares no code with sched/ or sim/.
 *
 * Events at one instant t: completions at t free their processors, then
 * arrivals at t join the queue, then exactly one scheduling pass.  A job
 * started at t with run 0 ends at t, which is a further round at t (free,
 * then another pass).
 */
#ifndef EDDY_SIM_IDEAL_H
#define EDDY_SIM_IDEAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

/* A job to replay: run is how long it runs, req its time limit (what
 * reservations plan with; INFINITY for none).  1 <= procs <= P, run >= 0,
 * req >= 0.
 */
struct eddy_ideal_job {
    int64_t id;
    double submit;
    double run;
    int procs;
    double req;
};

/* A job's schedule (run is the time it actually ran). */
struct eddy_ideal_result {
    int64_t id;
    double submit;
    double start;
    double end;
    double run;
    int procs;
};

/* Summary (DESIGN.md): wait = start - submit; response = end - submit;
 * bounded slowdown = max (1, response / max (run, 10 s)); makespan = last
 * end - first submit; utilization = sum (run x procs) / (P x makespan).
 */
struct eddy_ideal_metrics {
    size_t njobs;
    double avg_wait, max_wait;
    double avg_response, max_response;
    double avg_bsld, max_bsld;
    double makespan;
    double utilization;
    size_t passes; /* scheduling passes run */
};

typedef enum {
    EDDY_IDEAL_CAP_RUN = 1, /* a job runs min (run, req) instead of run */
} eddy_ideal_flags_t;

/* Replay jobs[0..n) on P processors under the named policy ("fcfs",
 * "easy", "conservative", or a plugin: sched/policy.h).  Queue order is
 * (submit, id), then input order.  out (may be NULL) receives n results
 * in input order; m (may be NULL) the summary.  Returns 0, or -1 with
 * errno EINVAL (bad job or bad plugin: err names it), ENOENT (unknown
 * policy), EPROTO (the policy broke its contract), ENOMEM.
 */
int eddy_ideal_run (const char *policy,
                    int64_t procs,
                    const struct eddy_ideal_job *jobs,
                    size_t n,
                    int flags,
                    struct eddy_ideal_result *out,
                    struct eddy_ideal_metrics *m,
                    eddy_error_t *err);

/* Summary of any schedule (results of a real or simulated replay too). */
void eddy_ideal_metrics (const struct eddy_ideal_result *res,
                         size_t n,
                         int64_t procs,
                         struct eddy_ideal_metrics *m);

#endif /* !EDDY_SIM_IDEAL_H */
