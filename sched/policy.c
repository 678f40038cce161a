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
    if (in->pool_ops &&
        (!in->pool_ops->copy_free || !in->pool_ops->copy || !in->pool_ops->fits ||
         !in->pool_ops->take || !in->pool_ops->take_started ||
         !in->pool_ops->release_running || !in->pool_ops->release_started ||
         !in->pool_ops->start_within || !in->pool_ops->destroy ||
         !in->pool_ops->intersect || !in->pool_ops->subtract))
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

static bool guard_refuses (struct guard *g, size_t index)
{
    eddy_policy_t *p = g->p;

    if (index >= g->in->nqueue || p->stamp[index] == p->pass ||
        g->in->queue[index].procs > g->free) {
        g->broken = true;
        return true;
    }
    return false;
}

static void guard_started (struct guard *g, size_t index)
{
    eddy_policy_t *p = g->p;

    p->stamp[index] = p->pass;
    g->free -= g->in->queue[index].procs;
    g->started++;
}

static int guard_start (size_t index, void *arg)
{
    struct guard *g = arg;

    if (guard_refuses (g, index))
        return -1;
    if (g->start && g->start (index, g->arg) < 0)
        return -1;
    guard_started (g, index);
    return 0;
}

/* The pool ops a policy sees: the caller's, but the two that take the
 * caller's context go through the guard.
 */
static void *guard_copy_free (void *ctx)
{
    struct guard *g = ctx;
    return g->in->pool_ops->copy_free (g->in->pool_ctx);
}

static int guard_start_within (void *ctx, size_t index, const void *within)
{
    struct guard *g = ctx;

    if (guard_refuses (g, index))
        return -1;
    if (!within || g->in->pool_ops->start_within (g->in->pool_ctx, index, within) < 0)
        return -1;
    guard_started (g, index);
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
    struct eddy_policy_input gin;
    struct eddy_policy_pool_ops gops;
    int rc;

    if (!p || !valid_input (in)) {
        errno = EINVAL;
        return -1;
    }
    if (guard_reset (p, in->nqueue) < 0)
        return -1;
    g.free = in->free;
    gin = *in;
    if (in->pool_ops) {
        gops = *in->pool_ops;
        gops.copy_free = guard_copy_free;
        gops.start_within = guard_start_within;
        gin.pool_ops = &gops;
        gin.pool_ctx = &g;
    }
    errno = 0;
    rc = p->ops->run (p->state, &gin, guard_start, &g);
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
        free (sc->enders);
        free (sc->psteps);
        free (sc);
        errno = saved_errno;
    }
}

double policy_predicted_end (const struct eddy_policy_running *r, double now)
{
    double end = r->start + r->req;
    return end > now ? end : now;
}

int eddy_policy_running_cmp (const struct eddy_policy_running *a, const struct eddy_policy_running *b)
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
    return eddy_policy_running_cmp (a, b);
}

const struct eddy_policy_running *
policy_running_sorted (struct policy_scratch *sc, const struct eddy_policy_input *in)
{
    size_t n = in->nrunning;
    size_t i;

    for (i = 1; i < n; i++)
        if (eddy_policy_running_cmp (&in->running[i - 1], &in->running[i]) > 0)
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

bool policy_fits_now (const struct eddy_policy_input *in, size_t index)
{
    const struct eddy_policy_pool_ops *ops = in->pool_ops;
    void *now;
    bool fits;

    if (!ops)
        return true;
    if (!(now = ops->copy_free (in->pool_ctx)))
        return false;
    fits = ops->fits (now, index);
    ops->destroy (now);
    return fits;
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
        if (in->queue[i].procs > *free || !policy_fits_now (in, i) ||
            !policy_start (start, i, arg))
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

static int ender_cmp (const void *a, const void *b)
{
    const struct policy_ender *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

const struct policy_ender *policy_enders (struct policy_scratch *sc,
                                          const struct eddy_policy_input *in,
                                          size_t nheads,
                                          size_t *n)
{
    size_t need = in->nrunning + nheads;
    uint64_t seq = 0;

    if (sc->enders_size < need || !sc->enders) {
        size_t size = need ? need : 1;
        struct policy_ender *e = realloc (sc->enders, size * sizeof (*e));
        if (!e)
            return NULL;
        sc->enders = e;
        sc->enders_size = size;
    }
    for (size_t i = 0; i < in->nrunning; i++) {
        const struct eddy_policy_running *r = &in->running[i];
        sc->enders[i] = (struct policy_ender){
            .end = policy_predicted_end (r, in->now), .seq = r->seq, .ref = i};
        if (r->seq >= seq)
            seq = r->seq + 1;
    }
    for (size_t j = 0; j < nheads; j++)
        sc->enders[in->nrunning + j] = (struct policy_ender){
            .end = in->now + in->queue[j].req, .seq = seq + j, .ref = j, .head = true};
    qsort (sc->enders, need, sizeof (*sc->enders), ender_cmp);
    *n = need;
    return sc->enders;
}

int policy_release (const struct eddy_policy_input *in,
                    void *pool,
                    const struct policy_ender *e)
{
    if (e->head)
        return in->pool_ops->release_started (pool, e->ref);
    return in->pool_ops->release_running (pool, e->ref);
}
