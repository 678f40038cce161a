/* policy.h - scheduling policy objects: a policy (sched/eddy/policy.h)
 * found by name, built in or loaded from a plugin, run one pass at a time
 * on counts (and, for jobs with shapes, on resource pools): given the
 * ordered queue, the running jobs, the free processors and the time, say
 * which queued jobs start now.
 *
 * The built-in rules are those of "Trace replay semantics (SWF)" in
 * DESIGN.md.  The same code decides in the ideal replay oracle
 * (sim/ideal.h) and in the sched module, which is what makes their
 * schedules comparable.
 */
#ifndef EDDY_SCHED_POLICY_H
#define EDDY_SCHED_POLICY_H

#include <stdbool.h>

#include "engine/error.h"
#include "sched/eddy/policy.h"

typedef struct eddy_policy eddy_policy_t;

/* Create and destroy
 *
 * eddy_policy_create () returns the policy called name: a built-in one
 * ("fcfs", "easy", "conservative"), or, when name contains a '/' or ends
 * in ".so", the plugin in that shared object (a name without '/' is found
 * by the dynamic linker's search).  The plugin's code is loaded once,
 * here, and its ops table checked (symbol, ABI version, run).  NULL with
 * err filled and errno ENOENT (no such built-in policy, the object cannot
 * be loaded), EINVAL (name NULL or empty, no eddy_policy_plugin symbol, an
 * ABI version other than EDDY_POLICY_ABI_VERSION, a table without name or
 * run), ENOMEM, or what the policy's create failed with.
 * eddy_policy_destroy (NULL) is a no-op; it keeps errno.
 */
eddy_policy_t *eddy_policy_create (const char *name, eddy_error_t *err);
void eddy_policy_destroy (eddy_policy_t *p);

/* The name in the policy's ops table ("easy", "sjf"). */
const char *eddy_policy_name (const eddy_policy_t *p);

/* True if name would be loaded from a shared object. */
bool eddy_policy_is_plugin (const char *name);

/* One scheduling pass.  Calls start () (may be NULL: every start succeeds)
 * for each job to start now.  Returns the number of jobs started, or -1
 * with errno EINVAL (bad input: NULL arrays with nonzero lengths, free <
 * 0, procs < 1, req < 0 or NaN, now or a start not finite), EPROTO (the
 * policy asked to start a job out of range, twice, or beyond the free
 * processors: see eddy_policy_start_f), ENOMEM, or the policy's own
 * error.  Jobs started before a failure stay started.
 */
int eddy_policy_run (eddy_policy_t *p,
                     const struct eddy_policy_input *in,
                     eddy_policy_start_f start,
                     void *arg);

/* The order the built-in policies walk running jobs in: start + req,
 * then seq.  Input already in this order is used as it is; any other is
 * copied and sorted by each pass.
 */
int eddy_policy_running_cmp (const struct eddy_policy_running *a, const struct eddy_policy_running *b);

#endif /* !EDDY_SCHED_POLICY_H */
