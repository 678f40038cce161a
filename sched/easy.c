/* easy.c - EASY backfilling (DESIGN.md, trace replay semantics): fcfs,
 * then the blocked head gets a reservation at the shadow time S, and later
 * jobs start now if they fit and either end by S or fit in the processors
 * the head will not need at S ("extra").  S is computed once per pass,
 * over the running jobs including the heads this pass has just started:
 * they hold processors until their predicted end like any other job, so
 * leaving them out would place S too early and backfill jobs that delay
 * the head.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "sched/policy_impl.h"

/* Heads started by this pass all start now: order them by (now + req,
 * queue order), which is their (predicted end, start order).
 */
static int head_cmp (const void *a, const void *b)
{
    const struct eddy_policy_running *x = a, *y = b;
    if (x->req != y->req)
        return x->req < y->req ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The running jobs in (predicted end, start order), with queue[0..nheads)
 * added as jobs started now, later in start order than every job already
 * running.  Returns run itself when nheads is 0, else scratch in sc
 * (NULL + ENOMEM).
 */
static const struct eddy_policy_running *
with_heads (struct policy_scratch *sc,
            const struct eddy_policy_input *in,
            const struct eddy_policy_running *run,
            size_t nheads)
{
    size_t nrun = in->nrunning;
    size_t need = nrun + 2 * nheads;
    struct eddy_policy_running *m, *heads;
    uint64_t seq = 0;
    size_t i = 0, j = 0, k = 0;

    if (nheads == 0)
        return run;
    if (sc->merged_size < need) {
        if (!(m = realloc (sc->merged, need * sizeof (*m))))
            return NULL;
        sc->merged = m;
        sc->merged_size = need;
    }
    m = sc->merged;
    for (i = 0; i < nrun; i++)
        if (run[i].seq >= seq)
            seq = run[i].seq + 1;
    /* the heads, sorted, sit past the merged part until merged */
    heads = m + nrun + nheads;
    for (j = 0; j < nheads; j++)
        heads[j] = (struct eddy_policy_running){
            .procs = in->queue[j].procs,
            .start = in->now,
            .req = in->queue[j].req,
            .seq = seq + j,
        };
    qsort (heads, nheads, sizeof (*heads), head_cmp);
    /* merge by predicted end; on a tie the earlier start comes first,
     * and every job already running started before the heads */
    i = j = 0;
    while (i < nrun || j < nheads) {
        if (j == nheads
            || (i < nrun
                && policy_predicted_end (&run[i], in->now)
                       <= policy_predicted_end (&heads[j], in->now)))
            m[k++] = run[i++];
        else
            m[k++] = heads[j++];
    }
    return m;
}

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

/* EASY on pools (shaped jobs).  P, a copy of what is free, takes back
 * the running jobs and this pass's heads in predicted-end order until the
 * head fits: that end is S.  E, the pool the head leaves spare at S, is
 * what is free plus every job predicted to end by S, minus the head's
 * take.  A later job that fits now starts if it ends by S, or inside E
 * (start_within, so it lands only on resources the head does not need),
 * which then loses what it took.
 */
static int easy_run_pool (struct policy_scratch *sc,
                          const struct eddy_policy_input *in,
                          eddy_policy_start_f start,
                          void *arg,
                          size_t head,
                          long free,
                          int started)
{
    const struct eddy_policy_pool_ops *ops = in->pool_ops;
    const struct policy_ender *end;
    void *P = NULL, *E = NULL;
    double S = INFINITY;
    size_t n, k = 0;
    int rc = -1;

    if (!(end = policy_enders (sc, in, head, &n)) || !(P = ops->copy_free (in->pool_ctx)))
        goto done;
    if (ops->fits (P, head))
        S = in->now; /* it fits but could not be placed */
    else {
        for (k = 0; k < n; k++) {
            if (policy_release (in, P, &end[k]) < 0)
                goto done;
            if (ops->fits (P, head))
                break;
        }
        if (k < n)
            S = end[k].end;
    }
    if (!(E = ops->copy_free (in->pool_ctx)))
        goto done;
    if (isfinite (S)) {
        for (k = 0; k < n && end[k].end <= S; k++)
            if (policy_release (in, E, &end[k]) < 0)
                goto done;
        if (ops->take (E, head) < 0)
            goto done; /* cannot happen: it fits P, which E contains */
    }
    for (size_t i = head + 1; i < in->nqueue && free > 0; i++) {
        const struct eddy_policy_job *j = &in->queue[i];

        if (j->procs > free || !policy_fits_now (in, i))
            continue;
        if (in->now + j->req <= S) {
            if (!policy_start (start, i, arg))
                continue;
        } else if (ops->fits (E, i)) {
            if (ops->start_within (in->pool_ctx, i, E) < 0)
                continue;
            if (ops->take_started (E, i) < 0)
                goto done;
        } else
            continue;
        free -= j->procs;
        started++;
    }
    rc = started;
done:
    ops->destroy (P);
    ops->destroy (E);
    if (rc < 0 && errno == 0)
        errno = ENOMEM;
    return rc;
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
    if (in->pool_ops)
        return easy_run_pool (scratch, in, start, arg, head, free, started);
    if (!(run = policy_running_sorted (scratch, in)) && in->nrunning)
        return -1;
    if (!(run = with_heads (scratch, in, run, head)) && in->nrunning + head)
        return -1;
    shadow (run, in->nrunning + head, free, in->queue[head].procs, in->now, &S, &extra);

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
