/* sjf.c - an eddy scheduling policy plugin: shortest job first, with
 * EASY-style backfilling behind the shortest job that cannot start.  It
 * is built out of tree against the installed <eddy/policy.h> (see the
 * Makefile) and loaded with `--policy ./sjf.so`.
 *
 * The rule, for one pass at time now with `free` idle processors:
 *
 * 1. Order.  Queued jobs are taken by (req, queue position): the shortest
 *    time limit first, ties in queue order.  A job without a limit (req =
 *    INFINITY) comes after every job with one.
 * 2. Start.  In that order, start each job while it fits in free; each
 *    start takes its procs from free.  The first job that does not fit,
 *    or that eddy cannot place, is R: the shortest job that waits.
 * 3. Reserve for R.  Walk the running jobs, those started in step 2
 *    included (they started now), by predicted end max (start + req, now),
 *    adding their procs to free.  The shadow time S is the predicted end
 *    at which the total first reaches R.procs; S = now if free already
 *    has them (R could not be placed), S = infinity if the running jobs
 *    never free enough.  extra = free + the procs of every running job
 *    predicted to end at or before S, minus R.procs.
 * 4. Backfill.  Each job J after R in the order of step 1 starts now if
 *    J.procs <= free and either now + J.req <= S (it ends before R needs
 *    its processors) or J.procs <= extra (it takes processors R will not
 *    need at S; extra -= J.procs).  Each start takes J.procs from free.  S
 *    and extra are not recomputed within the pass.
 *
 * Only R is protected: while the running jobs keep to their limits, no
 * backfilled job delays R past S.  Any other job can wait as long as
 * shorter ones keep arriving, or behind a long job that backfilled into
 * extra while a shorter one was R (SJF's starvation; a production policy
 * would age req).
 *
 * A pass is a pure function of its input: no clock, no I/O, no
 * randomness, ties by queue position or start order (seq).  The state is
 * scratch space reused between passes; no decision is carried over.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include <eddy/policy.h>

/* It plans on counts and ignores the input's pool (ABI 2): a start eddy
 * cannot place is refused and the job waits.
 *
 * Written for this version of the API: a new one may change what a job
 * is, so the build stops here until this file has been read again.
 */
_Static_assert(EDDY_POLICY_ABI_VERSION == 2, "sjf.c is written for eddy policy ABI 2");

/* A queued job in SJF order. */
struct job {
    double req;
    size_t index; /* into the queue */
};

/* A running job (or one started in this pass) in predicted-end order. */
struct end {
    double end; /* start + req: sorts like max (start + req, now) */
    uint64_t seq;
    int procs;
};

struct sjf {
    struct job *order;
    size_t order_size;
    struct end *ends;
    size_t ends_size;
};

static void *sjf_create (void)
{
    return calloc (1, sizeof (struct sjf));
}

static void sjf_destroy (void *state)
{
    struct sjf *s = state;

    if (s) {
        free (s->order);
        free (s->ends);
        free (s);
    }
}

/* Make room for n elements of elem bytes in *vec (-1 + ENOMEM). */
static int grow (void *pvec, size_t *size, size_t n, size_t elem)
{
    void **vec = pvec;

    if (*size < n) {
        size_t want = *size ? *size : 64;
        while (want < n)
            want *= 2;
        void *p = realloc (*vec, want * elem);
        if (!p)
            return -1;
        *vec = p;
        *size = want;
    }
    return 0;
}

static int job_cmp (const void *a, const void *b)
{
    const struct job *x = a, *y = b;

    if (x->req != y->req)
        return x->req < y->req ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int end_cmp (const void *a, const void *b)
{
    const struct end *x = a, *y = b;

    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static double predicted_end (const struct end *e, double now)
{
    return e->end > now ? e->end : now;
}

/* Step 3: the shadow time and the extra processors for a job of need
 * procs, over ends[0..n) sorted by end_cmp.  Jobs ending at one time are
 * all added before S is compared, so their order does not matter.
 */
static void reserve (const struct end *ends,
                     size_t n,
                     long free,
                     int need,
                     double now,
                     double *S,
                     long *extra)
{
    long avail = free;
    size_t i = 0;

    if (avail >= need)
        *S = now;
    else {
        for (; i < n; i++) {
            avail += ends[i].procs;
            if (avail >= need)
                break;
        }
        if (i == n) {
            *S = INFINITY;
            *extra = free;
            return;
        }
        *S = predicted_end (&ends[i++], now);
    }
    for (; i < n && predicted_end (&ends[i], now) <= *S; i++)
        avail += ends[i].procs;
    *extra = avail - need;
}

static int sjf_run (void *state,
                    const struct eddy_policy_input *in,
                    eddy_policy_start_f start,
                    void *arg)
{
    struct sjf *s = state;
    size_t n = in->nqueue, nends = 0, r;
    long free = in->free, extra;
    uint64_t seq = 0;
    int started = 0;
    double S;

    if (n == 0)
        return 0;
    if (grow (&s->order, &s->order_size, n, sizeof (*s->order)) < 0 ||
        grow (&s->ends, &s->ends_size, in->nrunning + n, sizeof (*s->ends)) < 0)
        return -1;

    /* 1. order */
    for (size_t i = 0; i < n; i++)
        s->order[i] = (struct job){.req = in->queue[i].req, .index = i};
    qsort (s->order, n, sizeof (*s->order), job_cmp);

    for (size_t i = 0; i < in->nrunning; i++) {
        const struct eddy_policy_running *run = &in->running[i];
        s->ends[nends++] = (struct end){run->start + run->req, run->seq, run->procs};
        if (run->seq >= seq)
            seq = run->seq + 1; /* this pass's starts come after every running job */
    }

    /* 2. start while jobs fit; r is R's position in the order */
    for (r = 0; r < n; r++) {
        const struct eddy_policy_job *j = &in->queue[s->order[r].index];
        if (j->procs > free || start (s->order[r].index, arg) < 0)
            break;
        free -= j->procs;
        started++;
        s->ends[nends++] = (struct end){in->now + j->req, seq++, j->procs};
    }
    if (r == n || free == 0)
        return started;

    /* 3. R's reservation */
    qsort (s->ends, nends, sizeof (*s->ends), end_cmp);
    reserve (s->ends, nends, free, in->queue[s->order[r].index].procs, in->now, &S,
             &extra);

    /* 4. backfill */
    for (size_t k = r + 1; k < n && free > 0; k++) {
        size_t i = s->order[k].index;
        const struct eddy_policy_job *j = &in->queue[i];
        bool by_shadow, by_extra;

        if (j->procs > free)
            continue;
        by_shadow = in->now + j->req <= S;
        by_extra = !by_shadow && j->procs <= extra;
        if (!by_shadow && !by_extra)
            continue;
        if (start (i, arg) < 0)
            continue;
        free -= j->procs;
        if (by_extra)
            extra -= j->procs;
        started++;
    }
    return started;
}

const struct eddy_policy_ops eddy_policy_plugin = {
    .abi_version = EDDY_POLICY_ABI_VERSION,
    .name = "sjf",
    .create = sjf_create,
    .destroy = sjf_destroy,
    .run = sjf_run,
};
