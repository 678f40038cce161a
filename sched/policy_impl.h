/* policy_impl.h - what the policy files (fcfs.c, easy.c, conservative.c)
 * share with policy.c: the ops table and helpers.  Not a public header.
 */
#ifndef EDDY_SCHED_POLICY_IMPL_H
#define EDDY_SCHED_POLICY_IMPL_H

#include <stdbool.h>

#include "sched/policy.h"

struct policy_ops {
    const char *name;
    int (*run) (eddy_policy_t *p,
                const struct eddy_policy_input *in,
                eddy_policy_start_f start,
                void *arg);
};

/* One breakpoint of an availability profile: `avail` processors from
 * `time` until the next breakpoint (the last one lasts forever).
 */
struct policy_step {
    double time;
    long avail;
};

struct eddy_policy {
    const struct policy_ops *ops;
    /* scratch, grown as needed and reused across passes */
    struct eddy_policy_running *sorted;
    size_t sorted_size;
    struct policy_step *steps;
    size_t steps_size;
    struct eddy_policy_running *merged; /* easy: running + this pass's heads */
    size_t merged_size;
};

extern const struct policy_ops policy_fcfs;
extern const struct policy_ops policy_easy;
extern const struct policy_ops policy_conservative;

/* Running jobs ordered by (start + req, seq), which is the order of their
 * predicted ends max (start + req, now) at any now.  Returns in->running
 * itself when it is already in that order, else a sorted scratch copy
 * (NULL + ENOMEM; NULL also when there are no running jobs).
 */
const struct eddy_policy_running *
policy_running_sorted (eddy_policy_t *p, const struct eddy_policy_input *in);

/* Predicted end of a running job at now. */
double policy_predicted_end (const struct eddy_policy_running *r, double now);

/* Ask the caller to start queue[index]: true if it did. */
bool policy_start (eddy_policy_start_f start, size_t index, void *arg);

/* The fcfs part every policy begins with: start queue heads while they fit
 * in *free (decremented).  Returns how many started; *head is the index of
 * the first job left queued (nqueue if none).
 */
int policy_start_heads (const struct eddy_policy_input *in,
                        eddy_policy_start_f start,
                        void *arg,
                        long *free,
                        size_t *head);

/* Make room for n profile steps (-1 + ENOMEM). */
int policy_steps_reserve (eddy_policy_t *p, size_t n);

#endif /* !EDDY_SCHED_POLICY_IMPL_H */
