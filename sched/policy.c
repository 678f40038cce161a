/* policy.c - policy objects: a built-in ops table found by name or a
 * plugin's, checked the same way; input checks and the guard around the
 * start callback; the helpers the built-in policies share.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/policy_impl.h"

struct eddy_policy {
    const struct eddy_policy_ops *ops;
    void *state; /* what ops->create made */
    void *dso;   /* a plugin's shared object; NULL for a built-in policy */
    /* the pass guard: queue[i] started in this pass iff stamp[i] == pass */
    uint32_t *stamp;
    size_t stamp_size;
    uint32_t pass;
};

static const struct eddy_policy_ops *const builtins[] = {
    &policy_fcfs,
    &policy_easy,
    &policy_conservative,
    NULL,
};

bool eddy_policy_is_plugin (const char *name)
{
    size_t len = name ? strlen (name) : 0;

    return len > 0 &&
           (strchr (name, '/') || (len > 3 && !strcmp (name + len - 3, ".so")));
}

/* One check for every table, built in or not.  The ABI version comes
 * first: the rest of a table of another version may be laid out
 * differently.
 */
static int
check_ops (const struct eddy_policy_ops *ops, const char *what, eddy_error_t *err)
{
    const char *missing = NULL;

    if (ops->abi_version != EDDY_POLICY_ABI_VERSION) {
        errno = EINVAL;
        return eddy_error_set (err, "%s was built for policy ABI %d, eddy has %d", what,
                               ops->abi_version, EDDY_POLICY_ABI_VERSION);
    }
    if (!ops->run)
        missing = "run function";
    else if (!ops->name || !ops->name[0])
        missing = "name";
    if (missing) {
        errno = EINVAL;
        return eddy_error_set (err, "%s: its ops table has no %s", what, missing);
    }
    return 0;
}

eddy_policy_t *policy_create_from (const struct eddy_policy_ops *ops,
                                   void *dso,
                                   const char *what,
                                   eddy_error_t *err)
{
    eddy_policy_t *p = NULL;

    if (check_ops (ops, what, err) < 0)
        goto error;
    if (!(p = calloc (1, sizeof (*p)))) {
        eddy_error_set (err, "out of memory");
        goto error;
    }
    p->ops = ops;
    p->dso = dso;
    errno = 0;
    if (ops->create && !(p->state = ops->create ())) {
        if (errno == 0)
            errno = ENOMEM;
        eddy_error_set (err, "%s: create failed: %s", what, strerror (errno));
        goto error;
    }
    return p;
error : {
    int saved_errno = errno;
    free (p);
    policy_plugin_close (dso);
    errno = saved_errno;
}
    return NULL;
}

eddy_policy_t *eddy_policy_create (const char *name, eddy_error_t *err)
{
    const struct eddy_policy_ops *ops = NULL;
    void *dso = NULL;
    char what[256];

    if (!name || !name[0]) {
        errno = EINVAL;
        eddy_error_set (err, "no policy name");
        return NULL;
    }
    if (eddy_policy_is_plugin (name)) {
        if (!(ops = policy_plugin_open (name, &dso, err)))
            return NULL;
        snprintf (what, sizeof (what), "plugin %s", name);
    } else {
        for (int i = 0; !ops && builtins[i]; i++)
            if (!strcmp (builtins[i]->name, name))
                ops = builtins[i];
        if (!ops) {
            errno = ENOENT;
            eddy_error_set (err,
                            "unknown policy '%s': not fcfs, easy, conservative or a "
                            "plugin (a path with a '/' or ending in .so)",
                            name);
            return NULL;
        }
        snprintf (what, sizeof (what), "policy %s", name);
    }
    return policy_create_from (ops, dso, what, err);
}

void eddy_policy_destroy (eddy_policy_t *p)
{
    if (p) {
        int saved_errno = errno;
        if (p->ops->destroy)
            p->ops->destroy (p->state);
        free (p->stamp);
        policy_plugin_close (p->dso); /* last: destroy's code lives there */
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

/* The guard stands between every policy and the caller's start: it
 * refuses what no correct policy asks for, and counts the starts.
 */
struct guard {
    eddy_policy_t *p;
    const struct eddy_policy_input *in;
    eddy_policy_start_f start;
    void *arg;
    long free;
    int started;
    bool broken;
};

static int guard_start (size_t index, void *arg)
{
    struct guard *g = arg;
    eddy_policy_t *p = g->p;

    if (index >= g->in->nqueue || p->stamp[index] == p->pass ||
        g->in->queue[index].procs > g->free) {
        g->broken = true;
        return -1;
    }
    if (g->start && g->start (index, g->arg) < 0)
        return -1;
    p->stamp[index] = p->pass;
    g->free -= g->in->queue[index].procs;
    g->started++;
    return 0;
}

/* Stamps for n queued jobs and a new pass number (0 is never one). */
static int guard_reset (eddy_policy_t *p, size_t n)
{
    if (p->stamp_size < n) {
        size_t size = p->stamp_size ? p->stamp_size : 64;
        while (size < n)
            size *= 2;
        uint32_t *s = realloc (p->stamp, size * sizeof (*s));
        if (!s)
            return -1;
        memset (s + p->stamp_size, 0, (size - p->stamp_size) * sizeof (*s));
        p->stamp = s;
        p->stamp_size = size;
    }
    if (++p->pass == 0) {
        memset (p->stamp, 0, p->stamp_size * sizeof (*p->stamp));
        p->pass = 1;
    }
    return 0;
}

int eddy_policy_run (eddy_policy_t *p,
                     const struct eddy_policy_input *in,
                     eddy_policy_start_f start,
                     void *arg)
{
    struct guard g = {.p = p, .in = in, .start = start, .arg = arg};
    int rc;

    if (!p || !valid_input (in)) {
        errno = EINVAL;
        return -1;
    }
    if (guard_reset (p, in->nqueue) < 0)
        return -1;
    g.free = in->free;
    errno = 0;
    rc = p->ops->run (p->state, in, guard_start, &g);
    if (g.broken || (rc < 0 && errno == 0)) {
        errno = EPROTO;
        return -1;
    }
    return rc < 0 ? -1 : g.started;
}

/* ---- what the built-in policies share ---- */

void *policy_scratch_create (void)
{
    return calloc (1, sizeof (struct policy_scratch));
}

void policy_scratch_destroy (void *scratch)
{
    struct policy_scratch *sc = scratch;

    if (sc) {
        int saved_errno = errno;
        free (sc->sorted);
        free (sc->steps);
        free (sc->merged);
        free (sc);
        errno = saved_errno;
    }
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
policy_running_sorted (struct policy_scratch *sc, const struct eddy_policy_input *in)
{
    size_t n = in->nrunning;
    size_t i;

    for (i = 1; i < n; i++)
        if (running_cmp (&in->running[i - 1], &in->running[i]) > 0)
            break;
    if (i >= n)
        return in->running;
    if (sc->sorted_size < n) {
        struct eddy_policy_running *s = realloc (sc->sorted, n * sizeof (*s));
        if (!s)
            return NULL;
        sc->sorted = s;
        sc->sorted_size = n;
    }
    memcpy (sc->sorted, in->running, n * sizeof (*sc->sorted));
    qsort (sc->sorted, n, sizeof (*sc->sorted), running_qsort_cmp);
    return sc->sorted;
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

int policy_steps_reserve (struct policy_scratch *sc, size_t n)
{
    if (sc->steps_size < n) {
        size_t size = sc->steps_size ? sc->steps_size : 64;
        while (size < n)
            size *= 2;
        struct policy_step *s = realloc (sc->steps, size * sizeof (*s));
        if (!s)
            return -1;
        sc->steps = s;
        sc->steps_size = size;
    }
    return 0;
}
