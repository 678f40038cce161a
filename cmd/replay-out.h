/* replay-out.h - what `eddy sim replay` writes once a replay has run (or
 * was stopped): the per-job CSV, the time series, the simulated schedule
 * as SWF, and the summary's distribution figures.  Every writer is a pure
 * function of the run, so one seed writes the same bytes.
 */
#ifndef EDDY_CMD_REPLAY_OUT_H
#define EDDY_CMD_REPLAY_OUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/ideal.h"
#include "sim/replay.h"
#include "traces/swf.h"

/* The trace fields of a job that only the outputs read (24 bytes, not
 * the parsed line's 72: a replay holds one per job for its whole run).
 */
struct replay_who {
    int64_t user;
    int64_t group;
    int64_t queue;
};

/* One replay, as the writers read it (all borrowed; n entries each, in
 * trace file order).  who holds the trace's user, group and queue, jobs
 * what was replayed (submit times after --load-factor), res and detail
 * what happened.
 */
struct replay_run {
    const char *trace;
    const char *policy;
    const char *version; /* eddy's */
    double latency;
    uint64_t seed;
    int64_t procs; /* P */
    unsigned long nodes;
    const struct replay_who *who;
    const struct eddy_ideal_job *jobs;
    const struct eddy_ideal_result *res;
    const struct eddy_replay_job *detail;
    size_t n;
    bool complete;
    double stopped_at; /* trace time the replay ended (stopped or not) */
};

/* The CSV status of a job: completed, timeout, killed, denied, or for a
 * stopped replay running, queued (submitted, not started) or unsubmitted.
 */
const char *replay_status_name (eddy_replay_status_t status);

/* True if the job ran to an end (completed, timeout, killed): the jobs
 * every figure is computed over.
 */
bool replay_job_ended (const struct replay_run *r, size_t i);

/* max (1, (end - submit) / max (run, 10 s)) of an ended job. */
double replay_job_bsld (const struct eddy_ideal_result *res);

/* A number (seconds, a ratio) as text: "%.6f" without trailing zeros, so
 * integral times print as integers.
 */
void replay_fmt_num (char *buf, size_t len, double v);

/* Writers: 0, or -1 with errno (a write failed, ENOMEM). */

/* job_id,user,group,queue,submit,start,end,wait,run,req,procs,nodes,status,bsld,
 * attempts,lost_node_seconds,redone_proc_seconds: one row per job (the last
 * three: its starts, and what its attempts killed by a node failure had run,
 * x nodes and, when requeued, x procs).  Unknown values are empty: start, end, wait, run, bsld
 * and nodes of a denied job; what a stopped replay had not reached.
 */
int replay_write_jobs (FILE *f, const struct replay_run *r);

/* time,busy_procs,utilization,queued_jobs,queued_procs,running_jobs, from
 * each job's submit, start, end and refusal times.  step 0: one row per
 * instant at which any column changed, after all events of that instant;
 * step > 0: the state at every multiple of step from the one at or before
 * the first submit to the one at or after the last event (for a stopped
 * replay: the last one at or before it stopped).
 */
int replay_write_series (FILE *f, const struct replay_run *r, double step);

/* The simulated schedule in Standard Workload Format 2.2: header, then one
 * 18-field line per job that ended or was denied (status 1 completed, 0
 * timeout or killed, 5 denied with wait and run -1).  A stopped replay's
 * other jobs are left out, as a header note says.
 */
int replay_write_swf (FILE *f, const struct replay_run *r);

/* {"p50", "p90", "p99"} of wait and of bounded slowdown over the ended
 * jobs, nearest rank (the ceil (p/100 x n)-th smallest value), null
 * without jobs; and "size_classes": [{procs, count, mean_wait, mean_bsld}]
 * for procs 1, 2-4, 5-16, 17-64, 65-256, 257-1024, >1024 (means null for
 * an empty class).  Sets the three keys in summary; -1 on ENOMEM.
 */
int replay_summary_figures (json_t *summary, const struct replay_run *r);

/* Over every job: those killed at least once, the node-hours their killed
 * attempts had run and the processor-hours run again (requeued). */
struct replay_fault_figures {
    size_t killed_jobs;
    double lost_node_hours;
    double redone_proc_hours;
};
void replay_fault_figures (const struct replay_run *r, struct replay_fault_figures *ff);

/* Read an SWF trace (plain or gzip; max_jobs > 0: only that many job
 * lines).  Errors exit with "eddy-sim: WHAT: PATH: ..." (cmd/sim-replay.c). */
eddy_swf_t *replay_load_swf (const char *what, const char *path, unsigned long max_jobs);

#endif /* !EDDY_CMD_REPLAY_OUT_H */
