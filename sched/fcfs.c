/* fcfs.c - first come, first served: start queue heads while they fit and
 * stop at the first that does not (DESIGN.md, trace replay semantics).
 */
#include "sched/policy_impl.h"

static int fcfs_run (void *state,
                     const struct eddy_policy_input *in,
                     eddy_policy_start_f start,
                     void *arg)
{
    long free = in->free;
    size_t head;

    return policy_start_heads (in, start, arg, &free, &head);
}

const struct eddy_policy_ops policy_fcfs = {
    .abi_version = EDDY_POLICY_ABI_VERSION,
    .name = "fcfs",
    .run = fcfs_run,
};
