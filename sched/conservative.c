/* conservative.c - conservative backfilling (DESIGN.md, trace replay
 * semantics): every queued job, in order, reserves the earliest interval
 * [t, t + req) where the availability profile has its processors; a job
 * reserved at now that fits the idle processors starts now.  The profile
 * is rebuilt at every pass from the running jobs' predicted ends.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "sched/policy_impl.h"

/* steps[0] is now: the idle processors plus those of jobs predicted to end
 * by now; each later step adds the jobs predicted to end at its time.
 */
static size_t build_profile (struct policy_step *steps,
                             const struct eddy_policy_running *run,
                             size_t nrun,
                             long free,
                             double now)
{
    size_t n = 1;

    steps[0].time = now;
    steps[0].avail = free;
    for (size_t i = 0; i < nrun; i++) {
        double end = policy_predicted_end (&run[i], now);
        if (end > steps[n - 1].time) {
            steps[n].time = end;
            steps[n].avail = steps[n - 1].avail;
            n++;
        }
        steps[n - 1].avail += run[i].procs;
    }
    return n;
}

/* Earliest step k where procs are available over [steps[k].time, + req)
 * (at least over step k itself, so a zero-length job still needs its
 * processors at its start).  Returns nsteps if there is none.
 */
static size_t
earliest_fit (const struct policy_step *steps, size_t n, int procs, double req)
{
    size_t k = 0;

    while (k < n) {
        double end = steps[k].time + req;
        size_t m = k;
        while (m < n && (m == k || steps[m].time < end) && steps[m].avail >= procs)
            m++;
        if (m >= n || !(m == k || steps[m].time < end))
            return k;
        k = m + 1;
    }
    return n;
}

/* Take procs from [steps[k].time, + req), splitting a step at the end. */
static size_t
reserve (struct policy_step *steps, size_t n, size_t k, int procs, double req)
{
    double end = steps[k].time + req;
    size_t e = k;

    if (req <= 0)
        return n;
    while (e < n && steps[e].time < end)
        e++;
    if (e < n && steps[e].time != end && isfinite (end)) {
        memmove (&steps[e + 1], &steps[e], (n - e) * sizeof (*steps));
        steps[e].time = end;
        steps[e].avail = steps[e - 1].avail;
        n++;
    } else if (e == n && isfinite (end)) {
        steps[n].time = end;
        steps[n].avail = steps[n - 1].avail;
        n++;
    }
    for (size_t i = k; i < e; i++)
        steps[i].avail -= procs;
    return n;
}

static int conservative_run (void *state,
                             const struct eddy_policy_input *in,
                             eddy_policy_start_f start,
                             void *arg)
{
    struct policy_scratch *sc = state;
    const struct eddy_policy_running *run;
    long idle = in->free;
    size_t n;
    int started = 0;

    if (in->nqueue == 0 || idle == 0)
        return 0;
    if (!(run = policy_running_sorted (sc, in)) && in->nrunning)
        return -1;
    if (policy_steps_reserve (sc, in->nrunning + 1 + 2 * in->nqueue) < 0)
        return -1;
    n = build_profile (sc->steps, run, in->nrunning, idle, in->now);

    for (size_t i = 0; i < in->nqueue; i++) {
        const struct eddy_policy_job *j = &in->queue[i];
        size_t k = earliest_fit (sc->steps, n, j->procs, j->req);

        if (k >= n)
            continue; /* more than the profile ever has: cannot reserve */
        n = reserve (sc->steps, n, k, j->procs, j->req);
        if (k == 0 && j->procs <= idle && policy_start (start, i, arg)) {
            idle -= j->procs;
            started++;
        }
    }
    return started;
}

const struct eddy_policy_ops policy_conservative = {
    .abi_version = EDDY_POLICY_ABI_VERSION,
    .name = "conservative",
    .create = policy_scratch_create,
    .destroy = policy_scratch_destroy,
    .run = conservative_run,
};
