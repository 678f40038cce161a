/* policy.h - scheduling policies (fcfs, easy, conservative) as pure
 * functions of counts: given the ordered queue, the running jobs, the free
 * processors and the time, say which queued jobs start now.
 *
 * The rules are those of "Trace replay semantics (SWF)" in DESIGN.md.  The
 * same code decides in the ideal replay oracle (sim/ideal.h) and in the
 * sched module, which is what makes their schedules comparable.  Nothing
 * here reads a clock or allocates per decision beyond scratch space kept
 * in the policy object.
 */
#ifndef EDDY_SCHED_POLICY_H
#define EDDY_SCHED_POLICY_H

#include <stddef.h>
#include <stdint.h>

typedef struct eddy_policy eddy_policy_t;

/* A queued job, in queue order (the caller orders the array).
 * procs >= 1; req is the time limit in seconds that reservations plan with
 * (>= 0; INFINITY for a job without a limit).
 */
struct eddy_policy_job {
    int procs;
    double req;
};

/* A running job.  seq is its start order (ties in predicted end are
 * broken by it).  Its predicted end is max (start + req, now).  A policy
 * is fastest when the array is already sorted by (start + req, seq); it
 * sorts a private copy otherwise.
 */
struct eddy_policy_running {
    int procs;
    double start;
    double req;
    uint64_t seq;
};

/* Called for each queued job (index into the queue array) the policy
 * starts, in decision order.  Return 0 if the job was started, -1 if the
 * caller could not place it after all (e.g. its resources are fragmented):
 * the policy then treats it as a job that does not fit now.
 */
typedef int (*eddy_policy_start_f) (size_t index, void *arg);

struct eddy_policy_input {
    const struct eddy_policy_job *queue;
    size_t nqueue;
    const struct eddy_policy_running *running;
    size_t nrunning;
    int free; /* idle processors now (>= 0) */
    double now;
};

/* Create and destroy
 *
 * eddy_policy_create () returns the policy called name ("fcfs", "easy",
 * "conservative"), or NULL with errno ENOENT for an unknown name, ENOMEM.
 * eddy_policy_destroy (NULL) is a no-op; it keeps errno.
 */
eddy_policy_t *eddy_policy_create (const char *name);
void eddy_policy_destroy (eddy_policy_t *p);
const char *eddy_policy_name (const eddy_policy_t *p);

/* True if name is a known policy. */
int eddy_policy_exists (const char *name);

/* One scheduling pass.  Calls start () (may be NULL: every start succeeds)
 * for each job to start now.  Returns the number of jobs started, or -1
 * with errno EINVAL (bad input: negative counts, NULL arrays with nonzero
 * lengths, procs < 1) or ENOMEM.  Nothing is kept between passes.
 */
int eddy_policy_run (eddy_policy_t *p,
                     const struct eddy_policy_input *in,
                     eddy_policy_start_f start,
                     void *arg);

#endif /* !EDDY_SCHED_POLICY_H */
