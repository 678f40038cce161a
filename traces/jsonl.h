/* jsonl.h - JSONL jobspec workloads as the simulator replays them: one
 * JSON object per line, a jobspec (V1, as job-ingest accepts it) with a
 * submit time, so jobs ask for nodes, cores and GPUs as real jobs do.
 *
 * Pure parsing, like traces/swf.h: the caller reads the file (plain or
 * gzipped) and feeds it one line at a time; the library does no I/O.
 */
#ifndef EDDY_TRACES_JSONL_H
#define EDDY_TRACES_JSONL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

typedef struct eddy_jsonl eddy_jsonl_t;

/* One job.  A line is
 *
 *   {"id": N, "submit": T, "run": R, "jobspec": {...},
 *    "user": U, "group": G, "queue": Q}
 *
 * id: an integer >= 0 (optional: the job's 1-based position among the job
 * lines).  submit: seconds >= 0 (required).  jobspec: a V1 jobspec object
 * (required).  run: seconds >= 0 the job runs (optional: its
 * attributes.system.duration, which must then be > 0).  user, group,
 * queue: integers for the outputs (optional, -1).  Other keys are errors,
 * so a typo does not pass silently.
 *
 * req is the time limit, attributes.system.duration (INFINITY when 0).
 * The shape is the jobspec's summary (sched/jobspec.h): procs = nslots x
 * cores_per_slot (total cores), nnodes (0: anywhere), gpus = nslots x
 * gpus_per_slot, exclusive.  jobspec is borrowed from the parser (valid
 * until destroy).  line is the 1-based line number.
 */
struct eddy_jsonl_job {
    int64_t id;
    double submit;
    double run;
    double req;
    int64_t procs;
    int64_t nnodes;
    int64_t gpus;
    bool exclusive;
    int64_t user;
    int64_t group;
    int64_t queue;
    json_t *jobspec;
    size_t line;
};

/* Create and destroy.  destroy (NULL) is a no-op and keeps errno. */
eddy_jsonl_t *eddy_jsonl_create (void);
void eddy_jsonl_destroy (eddy_jsonl_t *w);

/* Feed the next line (len bytes, not necessarily NUL-terminated; a
 * trailing "\n" or "\r\n" is ignored).  Blank lines are skipped (they
 * still count in line numbers).  Returns 0, or -1 with errno EINVAL and
 * err "line N: ..." naming what is wrong (the line is not recorded),
 * ENOMEM.
 */
int eddy_jsonl_feed (eddy_jsonl_t *w, const char *line, size_t len, eddy_error_t *err);

/* Feed a whole text buffer, line by line (stops at the first error). */
int eddy_jsonl_feed_text (eddy_jsonl_t *w, const char *text, size_t len, eddy_error_t *err);

/* The jobs recorded so far, in file order (borrowed; valid until the next
 * feed or destroy), and the number of lines fed.
 */
const struct eddy_jsonl_job *eddy_jsonl_jobs (const eddy_jsonl_t *w, size_t *count);
size_t eddy_jsonl_lines (const eddy_jsonl_t *w);

#endif /* !EDDY_TRACES_JSONL_H */
