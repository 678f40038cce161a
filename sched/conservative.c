/* conservative.c - conservative backfilling (DESIGN.md, trace replay
 * semantics): every queued job, in order, reserves the earliest interval
 * [t, t + req) where the availability profile has its processors; a job
 * reserved at now that fits the idle processors starts now.  The profile
 * is rebuilt at every pass from the running jobs' predicted ends.  With
 * pool_ops (jobs with shapes) the profile holds pools, not counts.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
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

/* Earliest step k >= from where procs are available over [steps[k].time,
 * + req) (at least over step k itself, so a zero-length job still needs
 * its processors at its start).  Returns nsteps if there is none.
 */
static size_t earliest_fit (const struct policy_step *steps,
                            size_t n,
                            size_t from,
                            int procs,
                            double req)
{
    size_t k = from;

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

/* True if procs are available over [now, now + req) (step 0 at least):
 * earliest_fit would answer 0.
 */
static bool fits_now (const struct policy_step *steps, size_t n, int procs, double req)
{
    double end = steps[0].time + req;

    for (size_t m = 0; m < n && (m == 0 || steps[m].time < end); m++)
        if (steps[m].avail < procs)
            return false;
    return true;
}

/* The first queue index >= from that could still start in this pass: it
 * fits the idle processors and the profile over its whole interval from
 * now.  Reservations and starts only take from the profile and from idle,
 * so a job that fails here fails for the rest of the pass, and once no
 * job is left that could start, the reservations still to be made change
 * nothing the pass does.  nqueue if there is none.
 */
/* Whether job j could still start in this pass (see next_candidate). */
static bool may_start (const struct eddy_policy_job *j,
                       const struct policy_step *steps,
                       size_t n,
                       long idle)
{
    return j->procs <= idle && fits_now (steps, n, j->procs, j->req);
}

static bool same_shape (const struct eddy_policy_job *a, const struct eddy_policy_job *b)
{
    return a->procs == b->procs && a->req == b->req;
}

static size_t next_candidate (const struct eddy_policy_input *in,
                              const struct policy_step *steps,
                              size_t n,
                              long idle,
                              size_t from)
{
    const struct eddy_policy_job *failed = NULL;

    for (; from < in->nqueue; from++) {
        const struct eddy_policy_job *j = &in->queue[from];
        if (failed && same_shape (j, failed))
            continue; /* fails as the job before it did */
        if (may_start (j, steps, n, idle))
            break;
        failed = j;
    }
    return from;
}

/* How many jobs of procs x req fit at step k, side by side: the least
 * availability over their interval, in units of procs.  A zero-length job
 * holds nothing past its start, so any number fits where one does.
 */
static size_t fit_count (const struct policy_step *steps,
                         size_t n,
                         size_t k,
                         int procs,
                         double req,
                         size_t most)
{
    double end = steps[k].time + req;
    long least = steps[k].avail;

    if (req <= 0)
        return most;
    for (size_t m = k + 1; m < n && steps[m].time < end; m++)
        if (steps[m].avail < least)
            least = steps[m].avail;
    size_t c = (size_t)(least / procs);
    return c < most ? c : most;
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

/* ---- with pools (shaped jobs) ----
 *
 * The profile is a list of breakpoints (time, pool): steps[0] is what is
 * free now plus the jobs predicted to end by now; each later breakpoint,
 * at a predicted end, is a copy of the one before with that job (and any
 * other ending then) released into it.  A job reserves the earliest
 * breakpoint t whose interval [t, t + req) has one placement free
 * throughout: the job is fitted to the intersection of the interval's
 * pools, which holds exactly what is free at every instant of it (a node
 * is whole in it only if whole throughout).  So the reservation is exact,
 * as exact as the caller's own placement: fitting each pool separately
 * could pass with different resources in each, and taking from the first
 * pool and checking the later ones would miss placements that first fit
 * does not pick there.  What the fit took (copy, take, subtract) is
 * taken from every pool of the interval, the breakpoint at t + req split
 * off first.  A job reserved at now starts with start_within on exactly
 * those resources, so it lands where it was planned; it fails (and the
 * job stays reserved) if they are not all idle yet, e.g. held by a job
 * past its limit.
 */

static void psteps_destroy (const struct eddy_policy_input *in,
                            struct policy_pstep *steps,
                            size_t n)
{
    for (size_t i = 0; i < n; i++)
        in->pool_ops->destroy (steps[i].pool);
}

/* Fill sc->psteps with the profile: *n breakpoints, room for
 * nrunning + 1 + nqueue.  -1 + ENOMEM (what was made is destroyed).
 */
static int build_pool_profile (struct policy_scratch *sc,
                               const struct eddy_policy_input *in,
                               size_t *n)
{
    const struct eddy_policy_pool_ops *ops = in->pool_ops;
    const struct policy_ender *end;
    size_t need = in->nrunning + 1 + in->nqueue;
    size_t ne, k = 1;

    if (sc->psteps_size < need) {
        struct policy_pstep *p = realloc (sc->psteps, need * sizeof (*p));
        if (!p)
            return -1;
        sc->psteps = p;
        sc->psteps_size = need;
    }
    if (!(end = policy_enders (sc, in, 0, &ne)))
        return -1;
    sc->psteps[0] = (struct policy_pstep){.time = in->now};
    if (!(sc->psteps[0].pool = ops->copy_free (in->pool_ctx)))
        return -1;
    for (size_t i = 0; i < ne; i++) {
        if (end[i].end > sc->psteps[k - 1].time) {
            sc->psteps[k].time = end[i].end;
            if (!(sc->psteps[k].pool = ops->copy (sc->psteps[k - 1].pool)))
                goto error;
            k++;
        }
        if (policy_release (in, sc->psteps[k - 1].pool, &end[i]) < 0)
            goto error;
    }
    *n = k;
    return 0;
error:
    psteps_destroy (in, sc->psteps, k);
    return -1;
}

/* The earliest breakpoint k whose interval [time, + req) has a placement
 * of queue[index] free throughout (at least step k itself), and in *got
 * a new pool of exactly that placement.  *k = n (and *got NULL) if there
 * is none.  -1 + ENOMEM.
 */
static int earliest_fit_pool (const struct eddy_policy_input *in,
                              const struct policy_pstep *steps,
                              size_t n,
                              size_t index,
                              size_t *k,
                              void **got)
{
    const struct eddy_policy_pool_ops *ops = in->pool_ops;
    double req = in->queue[index].req;
    void *I = NULL, *A = NULL;
    size_t t = 0;

    *got = NULL;
    while (t < n) {
        double end = steps[t].time + req;
        size_t m = t + 1;
        bool fits;

        if (!ops->fits (steps[t].pool, index)) {
            t++;
            continue;
        }
        if (!(I = ops->copy (steps[t].pool)))
            goto error;
        fits = true;
        for (; m < n && steps[m].time < end; m++)
            if (ops->intersect (I, steps[m].pool) < 0)
                goto error;
            else if (!(fits = ops->fits (I, index)))
                break;
        if (fits) {
            if (!(A = ops->copy (I)) || ops->take (I, index) < 0 ||
                ops->subtract (A, I) < 0)
                goto error;
            ops->destroy (I);
            *k = t;
            *got = A;
            return 0;
        }
        ops->destroy (I);
        I = NULL;
        /* an interval holding a breakpoint where the job cannot fit at
         * all is hopeless: start after it; otherwise a later start may
         * still find one placement free throughout */
        t = ops->fits (steps[m].pool, index) ? t + 1 : m + 1;
    }
    *k = n;
    return 0;
error:
    ops->destroy (I);
    ops->destroy (A);
    return -1;
}

/* Take A from the pools of [steps[k].time, + req), splitting the
 * breakpoint at the end (a copy of the pool before it; *n grows).
 * 0, or -1 + ENOMEM (the profile is then only fit to be destroyed).
 */
static int reserve_pool (const struct eddy_policy_input *in,
                         struct policy_pstep *steps,
                         size_t *n,
                         size_t k,
                         double req,
                         const void *A)
{
    const struct eddy_policy_pool_ops *ops = in->pool_ops;
    double end = steps[k].time + req;
    size_t e = k;

    if (req <= 0)
        return 0; /* it needs its placement at its start only */
    while (e < *n && steps[e].time < end)
        e++;
    if (isfinite (end) && (e == *n || steps[e].time != end)) {
        void *split = ops->copy (steps[e - 1].pool);
        if (!split)
            return -1;
        memmove (&steps[e + 1], &steps[e], (*n - e) * sizeof (*steps));
        steps[e] = (struct policy_pstep){.time = end, .pool = split};
        (*n)++;
    }
    for (size_t i = k; i < e; i++)
        if (ops->subtract (steps[i].pool, A) < 0)
            return -1;
    return 0;
}

static int conservative_run_pool (struct policy_scratch *sc,
                                  const struct eddy_policy_input *in,
                                  eddy_policy_start_f start,
                                  void *arg)
{
    const struct eddy_policy_pool_ops *ops = in->pool_ops;
    long idle = in->free;
    size_t n;
    int started = 0;

    if (build_pool_profile (sc, in, &n) < 0)
        return -1;
    for (size_t i = 0; i < in->nqueue; i++) {
        const struct eddy_policy_job *j = &in->queue[i];
        size_t k;
        void *A;

        if (earliest_fit_pool (in, sc->psteps, n, i, &k, &A) < 0)
            goto error;
        if (k >= n)
            continue; /* fits no state of the profile: cannot reserve */
        if (reserve_pool (in, sc->psteps, &n, k, j->req, A) < 0) {
            ops->destroy (A);
            goto error;
        }
        if (k == 0 && j->procs <= idle && ops->start_within (in->pool_ctx, i, A) == 0) {
            idle -= j->procs;
            started++;
        }
        ops->destroy (A);
    }
    psteps_destroy (in, sc->psteps, n);
    return started;
error:
    psteps_destroy (in, sc->psteps, n);
    if (errno == 0)
        errno = ENOMEM;
    return -1;
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
    if (in->pool_ops)
        return conservative_run_pool (sc, in, start, arg);
    if (!(run = policy_running_sorted (sc, in)) && in->nrunning)
        return -1;
    if (policy_steps_reserve (sc, in->nrunning + 1 + 2 * in->nqueue) < 0)
        return -1;
    n = build_profile (sc->steps, run, in->nrunning, idle, in->now);

    /* Jobs in a row with one shape (job arrays: a long queue is mostly
     * such runs) are reserved together: a job reserved at step k leaves
     * every earlier step unfit for the next of its shape, which sees no
     * more than it did, so the run takes step k while it fits side by
     * side there, then searches on from k + 1.  Each still starts or not
     * on its own, in order.
     *
     * next: a job that may still start; past the last one, stop.
     */
    size_t next = next_candidate (in, sc->steps, n, idle, 0);
    size_t i = 0, from = 0, run_end = 0;
    while (i < in->nqueue && next < in->nqueue) {
        const struct eddy_policy_job *j = &in->queue[i];
        if (i >= run_end) {
            run_end = i + 1;
            while (run_end < in->nqueue && same_shape (&in->queue[run_end], j))
                run_end++;
            from = 0;
        }
        size_t run = run_end - i;
        size_t k = earliest_fit (sc->steps, n, from, j->procs, j->req);

        if (k >= n) {
            i = run_end; /* more than the profile ever has: cannot reserve */
            continue;
        }
        size_t c = fit_count (sc->steps, n, k, j->procs, j->req, run);
        n = reserve (sc->steps, n, k, (int)c * j->procs, j->req);
        for (size_t x = i; x < i + c; x++) {
            if (k == 0 && j->procs <= idle && policy_start (start, x, arg)) {
                idle -= j->procs;
                started++;
            }
        }
        i += c;
        from = k + 1; /* used only by the rest of this run */
        if (next < i)
            next = next_candidate (in, sc->steps, n, idle, i);
        else if (sc->steps[k].time < sc->steps[0].time + in->queue[next].req &&
                 !may_start (&in->queue[next], sc->steps, n, idle))
            next = next_candidate (in, sc->steps, n, idle, next + 1);
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
