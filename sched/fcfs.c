/* fcfs.c - first come, first served: start queue heads while they fit and
 * stop at the first that does not (DESIGN.md, trace replay semantics).
 */
#include "sched/policy_impl.h"

static int fcfs_run (eddy_policy_t *p,
                     const struct eddy_policy_input *in,
                     eddy_policy_start_f start,
                     void *arg)
{
    long free = in->free;
    size_t head;

    return policy_start_heads (in, start, arg, &free, &head);
}

const struct policy_ops policy_fcfs = {
    .name = "fcfs",
    .run = fcfs_run,
};
