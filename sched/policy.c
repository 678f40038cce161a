/* policy.c - policy objects: lookup by name, input checks, and the helpers
 * the policies share (ordering running jobs, starting queue heads).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sched/policy_impl.h"

static const struct policy_ops *const policies[] = {
    &policy_fcfs,
    &policy_easy,
    &policy_conservative,
    NULL,
};

static const struct policy_ops *lookup (const char *name)
{
    for (int i = 0; name && policies[i]; i++)
        if (!strcmp (policies[i]->name, name))
            return policies[i];
    return NULL;
}

int eddy_policy_exists (const char *name)
{
    return lookup (name) != NULL;
}

eddy_policy_t *eddy_policy_create (const char *name)
{
    const struct policy_ops *ops = lookup (name);
    eddy_policy_t *p;

    if (!ops) {
        errno = ENOENT;
        return NULL;
    }
    if (!(p = calloc (1, sizeof (*p))))
        return NULL;
    p->ops = ops;
    return p;
}

void eddy_policy_destroy (eddy_policy_t *p)
{
    if (p) {
        int saved_errno = errno;
        free (p->sorted);
        free (p->steps);
        free (p->merged);
        free (p);
        errno = saved_errno;
    }
}

const char *eddy_policy_name (const eddy_policy_t *p)
{
    return p ? p->ops->name : NULL;
}

static bool valid_input (const struct eddy_policy_input *in)
{
    if (!in || in->free < 0 || !isfinite (in->now))
        return false;
    if ((in->nqueue && !in->queue) || (in->nrunning && !in->running))
        return false;
    for (size_t i = 0; i < in->nqueue; i++)
        if (in->queue[i].procs < 1 || !(in->queue[i].req >= 0))
            return false;
    for (size_t i = 0; i < in->nrunning; i++)
        if (in->running[i].procs < 0 || !(in->running[i].req >= 0) ||
            !isfinite (in->running[i].start))
            return false;
    return true;
}

int eddy_policy_run (eddy_policy_t *p,
                     const struct eddy_policy_input *in,
                     eddy_policy_start_f start,
                     void *arg)
{
    if (!p || !valid_input (in)) {
        errno = EINVAL;
        return -1;
    }
    return p->ops->run (p, in, start, arg);
}

double policy_predicted_end (const struct eddy_policy_running *r, double now)
{
    double end = r->start + r->req;
    return end > now ? end : now;
}

static int running_cmp (const struct eddy_policy_running *a,
                        const struct eddy_policy_running *b)
{
    double ea = a->start + a->req;
    double eb = b->start + b->req;
    if (ea != eb)
        return ea < eb ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return 0;
}

static int running_qsort_cmp (const void *a, const void *b)
{
    return running_cmp (a, b);
}

const struct eddy_policy_running *
policy_running_sorted (eddy_policy_t *p, const struct eddy_policy_input *in)
{
    size_t n = in->nrunning;
    size_t i;

    for (i = 1; i < n; i++)
        if (running_cmp (&in->running[i - 1], &in->running[i]) > 0)
            break;
    if (i >= n)
        return in->running;
    if (p->sorted_size < n) {
        struct eddy_policy_running *s = realloc (p->sorted, n * sizeof (*s));
        if (!s)
            return NULL;
        p->sorted = s;
        p->sorted_size = n;
    }
    memcpy (p->sorted, in->running, n * sizeof (*p->sorted));
    qsort (p->sorted, n, sizeof (*p->sorted), running_qsort_cmp);
    return p->sorted;
}

bool policy_start (eddy_policy_start_f start, size_t index, void *arg)
{
    return !start || start (index, arg) == 0;
}

int policy_start_heads (const struct eddy_policy_input *in,
                        eddy_policy_start_f start,
                        void *arg,
                        long *free,
                        size_t *head)
{
    size_t i;
    int started = 0;

    for (i = 0; i < in->nqueue; i++) {
        if (in->queue[i].procs > *free || !policy_start (start, i, arg))
            break;
        *free -= in->queue[i].procs;
        started++;
    }
    *head = i;
    return started;
}

int policy_steps_reserve (eddy_policy_t *p, size_t n)
{
    if (p->steps_size < n) {
        size_t size = p->steps_size ? p->steps_size : 64;
        while (size < n)
            size *= 2;
        struct policy_step *s = realloc (p->steps, size * sizeof (*s));
        if (!s)
            return -1;
        p->steps = s;
        p->steps_size = size;
    }
    return 0;
}
