/* easy.c - EASY backfilling (DESIGN.md, trace replay semantics): fcfs,
 * then the blocked head gets a reservation at the shadow time S, and later
 * jobs start now if they fit and either end by S or fit in the processors
 * the head will not need at S ("extra").  S is computed once per pass.
 */
#include <errno.h>
#include <math.h>

#include "sched/policy_impl.h"

/* The head's shadow time and the extra processors at it.  Running jobs
 * are walked in predicted-end order; ties in predicted end do not change
 * S or extra, so the order among them does not matter.  If the running
 * jobs can never free enough (resources down), S is infinite: nothing
 * started now can delay the head.
 */
static void shadow (const struct eddy_policy_running *run,
                    size_t nrun,
                    long free,
                    int need,
                    double now,
                    double *S,
                    long *extra)
{
    long avail = free;
    size_t i = 0;

    if (avail >= need) {
        /* the head fits but could not be placed (fragmentation) */
        *S = now;
    } else {
        for (i = 0; i < nrun; i++) {
            avail += run[i].procs;
            if (avail >= need)
                break;
        }
        if (i == nrun) {
            *S = INFINITY;
            *extra = free;
            return;
        }
        *S = policy_predicted_end (&run[i], now);
        i++;
    }
    for (; i < nrun && policy_predicted_end (&run[i], now) <= *S; i++)
        avail += run[i].procs;
    *extra = avail - need;
}

static int easy_run (void *scratch,
                     const struct eddy_policy_input *in,
                     eddy_policy_start_f start,
                     void *arg)
{
    const struct eddy_policy_running *run;
    long free = in->free;
    size_t head;
    int started;
    double S;
    long extra;

    started = policy_start_heads (in, start, arg, &free, &head);
    if (head >= in->nqueue || free == 0)
        return started;
    if (!(run = policy_running_sorted (scratch, in)) && in->nrunning)
        return -1;
    shadow (run, in->nrunning, free, in->queue[head].procs, in->now, &S, &extra);

    for (size_t i = head + 1; i < in->nqueue && free > 0; i++) {
        const struct eddy_policy_job *j = &in->queue[i];
        bool by_shadow, by_extra = false;

        if (j->procs > free)
            continue;
        by_shadow = in->now + j->req <= S;
        if (!by_shadow)
            by_extra = j->procs <= extra;
        if (!by_shadow && !by_extra)
            continue;
        if (!policy_start (start, i, arg))
            continue;
        free -= j->procs;
        if (by_extra)
            extra -= j->procs;
        started++;
    }
    return started;
}

const struct eddy_policy_ops policy_easy = {
    .abi_version = EDDY_POLICY_ABI_VERSION,
    .name = "easy",
    .create = policy_scratch_create,
    .destroy = policy_scratch_destroy,
    .run = easy_run,
};
