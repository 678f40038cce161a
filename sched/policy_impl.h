/* policy_impl.h - what the built-in policies (fcfs.c, easy.c,
 * conservative.c) share with policy.c: their ops tables, the scratch
 * state easy and conservative keep, and helpers.  Not a public header:
 * plugins see sched/eddy/policy.h only.
 */
#ifndef EDDY_SCHED_POLICY_IMPL_H
#define EDDY_SCHED_POLICY_IMPL_H

#include <stdbool.h>

#include "engine/error.h"
#include "sched/policy.h"

/* The built-in policies: one table per policy file. */
extern const struct eddy_policy_ops policy_fcfs;
extern const struct eddy_policy_ops policy_easy;
extern const struct eddy_policy_ops policy_conservative;

/* One breakpoint of an availability profile: `avail` processors from
 * `time` until the next breakpoint (the last one lasts forever).
 */
struct policy_step {
    double time;
    long avail;
};

/* One breakpoint of an availability profile of pools (conservative with
 * pool_ops): what is free from `time` until the next breakpoint.
 */
struct policy_pstep {
    double time;
    void *pool;
};

/* A running job (or a head started this pass) in predicted-end order, for
 * the pool planners: ref is its index in in->running, or in in->queue
 * when head is true.
 */
struct policy_ender {
    double end;
    uint64_t seq;
    size_t ref;
    bool head;
};

/* The state of easy and conservative: scratch space, grown as needed and
 * reused across passes.  It never carries a decision from one pass to
 * the next.
 */
struct policy_scratch {
    struct eddy_policy_running *sorted;
    size_t sorted_size;
    struct policy_step *steps;
    size_t steps_size;
    struct eddy_policy_running *merged; /* easy: running + this pass's heads */
    size_t merged_size;
    struct policy_ender *enders; /* pool planning */
    size_t enders_size;
    struct policy_pstep *psteps; /* conservative's pool profile */
    size_t psteps_size;
};

/* create and destroy for the ops tables (NULL + ENOMEM). */
void *policy_scratch_create (void);
void policy_scratch_destroy (void *scratch);

/* Running jobs ordered by (start + req, seq), which is the order of their
 * predicted ends max (start + req, now) at any now.  Returns in->running
 * itself when it is already in that order, else a sorted scratch copy
 * (NULL + ENOMEM; NULL also when there are no running jobs).
 */
const struct eddy_policy_running *
policy_running_sorted (struct policy_scratch *sc, const struct eddy_policy_input *in);

/* Predicted end of a running job at now. */
double policy_predicted_end (const struct eddy_policy_running *r, double now);

/* With a pool (in->pool_ops): true if queue[index] fits what is free now
 * (false also when a pool cannot be made).  Without one: true.
 */
bool policy_fits_now (const struct eddy_policy_input *in, size_t index);

/* Ask the caller to start queue[index]: true if it did. */
bool policy_start (eddy_policy_start_f start, size_t index, void *arg);

/* The fcfs part every policy begins with: start queue heads while they fit
 * in *free (decremented) and, with a pool, in what is free now.  Returns how many started; *head is the index of
 * the first job left queued (nqueue if none).
 */
int policy_start_heads (const struct eddy_policy_input *in,
                        eddy_policy_start_f start,
                        void *arg,
                        long *free,
                        size_t *head);

/* The running jobs and queue[0..nheads) (started now, in queue order,
 * after every running job) in (predicted end, start order), into sc's
 * scratch.  Returns the array (*n entries), or NULL + ENOMEM.
 */
const struct policy_ender *policy_enders (struct policy_scratch *sc,
                                          const struct eddy_policy_input *in,
                                          size_t nheads,
                                          size_t *n);

/* Release an ender's resources into pool (-1 on ENOMEM). */
int policy_release (const struct eddy_policy_input *in,
                    void *pool,
                    const struct policy_ender *e);

/* Make room for n profile steps (-1 + ENOMEM). */
int policy_steps_reserve (struct policy_scratch *sc, size_t n);

/* What eddy_policy_create () does once it has found a table: check it
 * (ABI version first), make the object, call create.  dso (may be NULL)
 * is closed on failure, else with the policy; what names the table in
 * messages ("plugin ./sjf.so").  Tests hand it tables of their own.
 */
eddy_policy_t *policy_create_from (const struct eddy_policy_ops *ops,
                                   void *dso,
                                   const char *what,
                                   eddy_error_t *err);

/* Plugins (policy-plugin.c): load the shared object at path and return
 * its ops table, unchecked but for its presence; *dso gets the handle for
 * policy_plugin_close ().  NULL with err filled and errno ENOENT (cannot
 * be loaded) or EINVAL (no eddy_policy_plugin symbol).
 */
const struct eddy_policy_ops *
policy_plugin_open (const char *path, void **dso, eddy_error_t *err);
void policy_plugin_close (void *dso);

#endif /* !EDDY_SCHED_POLICY_IMPL_H */
