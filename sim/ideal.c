/* ideal.c - the ideal replay oracle: policies over counts in a direct
 * event loop (see ideal.h for the rules of an instant).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sched/policy.h"
#include "sim/ideal.h"

struct completion {
    double end;
    uint64_t seq;
    size_t job;
};

struct ideal {
    const struct eddy_ideal_job *jobs;
    size_t n;
    double *run;   /* per job: how long it runs (capped or not) */
    double *start; /* per job */
    size_t *order; /* arrival order: (submit, id, input index) */
    size_t next;   /* next arrival in order[] */

    /* the queue occupies [qhead, qhead + qlen) of qidx/qjob */
    size_t *qidx;
    struct eddy_policy_job *qjob;
    size_t qhead, qlen;

    /* running jobs sorted by (start + req, seq), with their job index */
    struct eddy_policy_running *run_set;
    size_t *run_idx;
    size_t nrun;

    struct completion *heap; /* by (end, seq) */
    size_t nheap;

    size_t *started; /* queue positions started by the current pass */
    size_t nstarted;

    long free;
    uint64_t seq;
    size_t passes;
    eddy_policy_t *policy;
};

static int arrival_cmp (const void *a, const void *b, void *arg)
{
    const struct eddy_ideal_job *jobs = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (jobs[i].submit != jobs[j].submit)
        return jobs[i].submit < jobs[j].submit ? -1 : 1;
    if (jobs[i].id != jobs[j].id)
        return jobs[i].id < jobs[j].id ? -1 : 1;
    return i < j ? -1 : i > j;
}

static bool heap_less (const struct completion *a, const struct completion *b)
{
    return a->end < b->end || (a->end == b->end && a->seq < b->seq);
}

static void heap_push (struct ideal *s, struct completion c)
{
    size_t i = s->nheap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_less (&c, &s->heap[parent]))
            break;
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = c;
}

static struct completion heap_pop (struct ideal *s)
{
    struct completion top = s->heap[0];
    struct completion last = s->heap[--s->nheap];
    size_t i = 0;

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->nheap)
            break;
        if (c + 1 < s->nheap && heap_less (&s->heap[c + 1], &s->heap[c]))
            c++;
        if (!heap_less (&s->heap[c], &last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->nheap)
        s->heap[i] = last;
    return top;
}

static int
running_key_cmp (double end, uint64_t seq, const struct eddy_policy_running *r)
{
    double e = r->start + r->req;
    if (end != e)
        return end < e ? -1 : 1;
    return seq < r->seq ? -1 : seq > r->seq;
}

/* Index of the first running entry not below (end, seq). */
static size_t running_search (struct ideal *s, double end, uint64_t seq)
{
    size_t lo = 0, hi = s->nrun;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (running_key_cmp (end, seq, &s->run_set[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void running_insert (struct ideal *s, size_t job, double now)
{
    const struct eddy_ideal_job *j = &s->jobs[job];
    struct eddy_policy_running r = {
        .procs = j->procs,
        .start = now,
        .req = j->req,
        .seq = s->seq++,
    };
    size_t pos = running_search (s, r.start + r.req, r.seq);

    memmove (&s->run_set[pos + 1], &s->run_set[pos], (s->nrun - pos) * sizeof (r));
    memmove (&s->run_idx[pos + 1], &s->run_idx[pos], (s->nrun - pos) * sizeof (size_t));
    s->run_set[pos] = r;
    s->run_idx[pos] = job;
    s->nrun++;
    s->start[job] = now;
    heap_push (s,
               (struct completion){.end = now + s->run[job], .seq = r.seq, .job = job});
}

static void running_remove (struct ideal *s, const struct completion *c)
{
    const struct eddy_ideal_job *j = &s->jobs[c->job];
    size_t pos = running_search (s, s->start[c->job] + j->req, c->seq);

    memmove (&s->run_set[pos], &s->run_set[pos + 1],
             (s->nrun - pos - 1) * sizeof (s->run_set[0]));
    memmove (&s->run_idx[pos], &s->run_idx[pos + 1],
             (s->nrun - pos - 1) * sizeof (size_t));
    s->nrun--;
    s->free += j->procs;
}

static void complete_until (struct ideal *s, double t)
{
    while (s->nheap && s->heap[0].end <= t) {
        struct completion c = heap_pop (s);
        running_remove (s, &c);
    }
}

static int start_cb (size_t index, void *arg)
{
    struct ideal *s = arg;
    s->started[s->nstarted++] = index;
    return 0;
}

/* Drop the started positions (ascending) from the queue. */
static void queue_remove_started (struct ideal *s)
{
    size_t k = 0, w, r;

    while (k < s->nstarted && s->started[k] == k)
        k++;
    if (k == s->nstarted) {
        /* a prefix: the usual fcfs case, O(1) */
        s->qhead += k;
        s->qlen -= k;
        return;
    }
    w = s->started[0];
    k = 0;
    for (r = s->started[0]; r < s->qlen; r++) {
        if (k < s->nstarted && s->started[k] == r) {
            k++;
            continue;
        }
        s->qidx[s->qhead + w] = s->qidx[s->qhead + r];
        s->qjob[s->qhead + w] = s->qjob[s->qhead + r];
        w++;
    }
    s->qlen = w;
}

static int pass (struct ideal *s, double now)
{
    struct eddy_policy_input in = {
        .queue = &s->qjob[s->qhead],
        .nqueue = s->qlen,
        .running = s->run_set,
        .nrunning = s->nrun,
        .free = (int)s->free,
        .now = now,
    };

    if (s->qlen == 0)
        return 0;
    s->passes++;
    s->nstarted = 0;
    if (eddy_policy_run (s->policy, &in, start_cb, s) < 0)
        return -1;
    for (size_t k = 0; k < s->nstarted; k++) {
        size_t job = s->qidx[s->qhead + s->started[k]];
        s->free -= s->jobs[job].procs;
        running_insert (s, job, now);
    }
    if (s->nstarted)
        queue_remove_started (s);
    return 0;
}

static void arrive_until (struct ideal *s, double t)
{
    while (s->next < s->n && s->jobs[s->order[s->next]].submit <= t) {
        size_t job = s->order[s->next++];
        size_t pos = s->qhead + s->qlen;
        if (pos == s->n) {
            /* slide the queue down to make room at its tail */
            memmove (s->qidx, &s->qidx[s->qhead], s->qlen * sizeof (size_t));
            memmove (s->qjob, &s->qjob[s->qhead], s->qlen * sizeof (s->qjob[0]));
            s->qhead = 0;
            pos = s->qlen;
        }
        s->qidx[pos] = job;
        s->qjob[pos].procs = s->jobs[job].procs;
        s->qjob[pos].req = s->jobs[job].req;
        s->qlen++;
    }
}

static void ideal_free (struct ideal *s)
{
    free (s->run);
    free (s->start);
    free (s->order);
    free (s->qidx);
    free (s->qjob);
    free (s->run_set);
    free (s->run_idx);
    free (s->heap);
    free (s->started);
    eddy_policy_destroy (s->policy);
}

static int check_jobs (const struct eddy_ideal_job *jobs,
                       size_t n,
                       int64_t procs,
                       eddy_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct eddy_ideal_job *j = &jobs[i];
        if (j->procs < 1 || j->procs > procs || !isfinite (j->submit) ||
            !(j->run >= 0) || !isfinite (j->run) || !(j->req >= 0)) {
            errno = EINVAL;
            return eddy_error_set (err,
                                   "job %lld: needs 1 <= procs <= %lld, finite submit, "
                                   "run >= 0 and req >= 0",
                                   (long long)j->id, (long long)procs);
        }
    }
    return 0;
}

int eddy_ideal_run (const char *policy,
                    int64_t procs,
                    const struct eddy_ideal_job *jobs,
                    size_t n,
                    int flags,
                    struct eddy_ideal_result *out,
                    struct eddy_ideal_metrics *m,
                    eddy_error_t *err)
{
    struct ideal s = {.jobs = jobs, .n = n, .free = procs};
    size_t alloc = n ? n : 1;

    if (procs < 1 || procs > INT32_MAX || (n && !jobs)) {
        errno = EINVAL;
        return eddy_error_set (err, "invalid argument");
    }
    if (check_jobs (jobs, n, procs, err) < 0)
        return -1;
    if (!(s.policy = eddy_policy_create (policy, err)))
        return -1;
    if (!(s.run = malloc (alloc * sizeof (double))) ||
        !(s.start = malloc (alloc * sizeof (double))) ||
        !(s.order = malloc (alloc * sizeof (size_t))) ||
        !(s.qidx = malloc (alloc * sizeof (size_t))) ||
        !(s.qjob = malloc (alloc * sizeof (s.qjob[0]))) ||
        !(s.run_set = malloc (alloc * sizeof (s.run_set[0]))) ||
        !(s.run_idx = malloc (alloc * sizeof (size_t))) ||
        !(s.heap = malloc (alloc * sizeof (s.heap[0]))) ||
        !(s.started = malloc (alloc * sizeof (size_t))))
        goto error;
    for (size_t i = 0; i < n; i++) {
        s.order[i] = i;
        s.run[i] = jobs[i].run;
        if ((flags & EDDY_IDEAL_CAP_RUN) && jobs[i].req < s.run[i])
            s.run[i] = jobs[i].req;
    }
    qsort_r (s.order, n, sizeof (size_t), arrival_cmp, (void *)jobs);

    while (s.nheap || s.next < n) {
        double t;
        if (!s.nheap)
            t = jobs[s.order[s.next]].submit;
        else if (s.next == n)
            t = s.heap[0].end;
        else
            t = fmin (s.heap[0].end, jobs[s.order[s.next]].submit);
        complete_until (&s, t);
        arrive_until (&s, t);
        if (pass (&s, t) < 0)
            goto error;
        /* jobs that started at t with run 0 end at t: a further round */
        while (s.nheap && s.heap[0].end <= t) {
            complete_until (&s, t);
            if (pass (&s, t) < 0)
                goto error;
        }
    }
    if (s.qlen > 0) {
        /* cannot happen for valid jobs: everything fits an idle machine */
        errno = EDEADLK;
        eddy_error_set (err, "%zu jobs never started", s.qlen);
        goto error;
    }
    if (out || m) {
        struct eddy_ideal_result *res = out ? out : malloc (alloc * sizeof (*res));
        if (!res)
            goto error;
        for (size_t i = 0; i < n; i++) {
            res[i].id = jobs[i].id;
            res[i].submit = jobs[i].submit;
            res[i].start = s.start[i];
            res[i].run = s.run[i];
            res[i].end = s.start[i] + s.run[i];
            res[i].procs = jobs[i].procs;
        }
        if (m) {
            eddy_ideal_metrics (res, n, procs, m);
            m->passes = s.passes;
        }
        if (res != out)
            free (res);
    }
    ideal_free (&s);
    return 0;
error : {
    int saved_errno = errno;
    ideal_free (&s);
    errno = saved_errno;
}
    return -1;
}

void eddy_ideal_metrics (const struct eddy_ideal_result *res,
                         size_t n,
                         int64_t procs,
                         struct eddy_ideal_metrics *m)
{
    double first_submit = INFINITY, last_end = -INFINITY, work = 0;

    memset (m, 0, sizeof (*m));
    m->njobs = n;
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        double wait = res[i].start - res[i].submit;
        double response = res[i].end - res[i].submit;
        double bsld = response / fmax (res[i].run, 10.0);
        if (bsld < 1)
            bsld = 1;
        m->avg_wait += wait;
        m->avg_response += response;
        m->avg_bsld += bsld;
        m->max_wait = fmax (m->max_wait, wait);
        m->max_response = fmax (m->max_response, response);
        m->max_bsld = fmax (m->max_bsld, bsld);
        first_submit = fmin (first_submit, res[i].submit);
        last_end = fmax (last_end, res[i].end);
        work += res[i].run * res[i].procs;
    }
    m->avg_wait /= n;
    m->avg_response /= n;
    m->avg_bsld /= n;
    m->makespan = last_end - first_submit;
    m->utilization =
        m->makespan > 0 && procs > 0 ? work / ((double)procs * m->makespan) : 0;
}
