/* reactor.c - backend-independent reactor and watcher front end. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nest.h"
#include "engine/reactor_impl.h"

void eddy_reactor_destroy (eddy_reactor_t *r)
{
    if (r) {
        int saved_errno = errno;
        for (int i = EDDY_REACTOR_SHARED_MAX - 1; i >= 0; i--)
            if (r->shared[i].destroy)
                r->shared[i].destroy (r->shared[i].value);
        r->ops->destroy (r);
        errno = saved_errno;
    }
}

struct eddy_stats *eddy_reactor_stats (eddy_reactor_t *r)
{
    return &r->stats;
}

void eddy_reactor_count_hash (eddy_reactor_t *r, size_t len)
{
    if (r) {
        r->stats.hashes++;
        r->stats.hash_bytes += len;
    }
}

int eddy_reactor_run (eddy_reactor_t *r, eddy_run_flags_t flags)
{
    return r->ops->run (r, flags);
}

void eddy_reactor_stop (eddy_reactor_t *r)
{
    r->ops->stop (r, 0);
}

void eddy_reactor_stop_error (eddy_reactor_t *r)
{
    r->ops->stop (r, -1);
}

double eddy_reactor_now (eddy_reactor_t *r)
{
    return r->ops->now (r);
}

void eddy_reactor_now_update (eddy_reactor_t *r)
{
    r->ops->now_update (r);
}

double eddy_reactor_wallclock (eddy_reactor_t *r)
{
    return r->ops->wallclock (r);
}

void *eddy_reactor_shared_get (eddy_reactor_t *r, void (*destroy) (void *))
{
    for (int i = 0; destroy && i < EDDY_REACTOR_SHARED_MAX; i++)
        if (r->shared[i].destroy == destroy)
            return r->shared[i].value;
    return NULL;
}

int eddy_reactor_shared_set (eddy_reactor_t *r, void *value, void (*destroy) (void *))
{
    int i;

    if (!destroy) {
        errno = EINVAL;
        return -1;
    }
    for (i = 0; i < EDDY_REACTOR_SHARED_MAX && r->shared[i].destroy; i++)
        if (r->shared[i].destroy == destroy) {
            errno = EEXIST;
            return -1;
        }
    if (i == EDDY_REACTOR_SHARED_MAX) {
        errno = ENOSPC;
        return -1;
    }
    r->shared[i].value = value;
    r->shared[i].destroy = destroy;
    return 0;
}

void eddy_reactor_set_nest (eddy_reactor_t *r, const struct eddy_nest_ops *ops, void *world)
{
    r->nest_ops = ops;
    r->nest_world = ops ? world : NULL;
}

const struct eddy_nest_ops *eddy_reactor_nest (eddy_reactor_t *r, void **world)
{
    if (world)
        *world = r->nest_world;
    return r->nest_ops;
}

bool eddy_reactor_is_sim (eddy_reactor_t *r)
{
    return r->ops->is_sim;
}

static eddy_watcher_t *watcher_create (eddy_reactor_t *r,
                                       enum watcher_kind kind,
                                       eddy_watcher_f cb,
                                       void *arg)
{
    eddy_watcher_t *w;

    if (!r || !cb) {
        errno = EINVAL;
        return NULL;
    }
    if (!(w = calloc (1, r->ops->watcher_size)))
        return NULL;
    w->r = r;
    w->kind = kind;
    w->cb = cb;
    w->arg = arg;
    w->fd = -1;
    return w;
}

static eddy_watcher_t *watcher_init (eddy_watcher_t *w)
{
    if (w->r->ops->watcher_init (w) < 0) {
        int saved_errno = errno;
        free (w);
        errno = saved_errno;
        return NULL;
    }
    w->r->nwatchers++;
    return w;
}

eddy_watcher_t *eddy_timer_create (eddy_reactor_t *r,
                                   double after,
                                   double repeat,
                                   eddy_watcher_f cb,
                                   void *arg)
{
    eddy_watcher_t *w;

    if (after < 0 || repeat < 0) {
        errno = EINVAL;
        return NULL;
    }
    if (!(w = watcher_create (r, WATCHER_TIMER, cb, arg)))
        return NULL;
    w->after = after;
    w->repeat = repeat;
    return watcher_init (w);
}

void eddy_timer_set (eddy_watcher_t *w, double after, double repeat)
{
    assert (w->kind == WATCHER_TIMER);
    bool was_active = w->active;
    if (was_active)
        eddy_watcher_stop (w);
    w->after = after < 0 ? 0 : after;
    w->repeat = repeat < 0 ? 0 : repeat;
    if (was_active)
        eddy_watcher_start (w);
}

eddy_watcher_t *eddy_check_create (eddy_reactor_t *r, eddy_watcher_f cb, void *arg)
{
    eddy_watcher_t *w = watcher_create (r, WATCHER_CHECK, cb, arg);
    return w ? watcher_init (w) : NULL;
}

eddy_watcher_t *eddy_idle_create (eddy_reactor_t *r, eddy_watcher_f cb, void *arg)
{
    eddy_watcher_t *w = watcher_create (r, WATCHER_IDLE, cb, arg);
    return w ? watcher_init (w) : NULL;
}

eddy_watcher_t *eddy_fd_create (eddy_reactor_t *r,
                                int fd,
                                int events,
                                eddy_watcher_f cb,
                                void *arg)
{
    eddy_watcher_t *w;

    if (fd < 0) {
        errno = EINVAL;
        return NULL;
    }
    if (!(w = watcher_create (r, WATCHER_FD, cb, arg)))
        return NULL;
    w->fd = fd;
    w->events = events;
    return watcher_init (w);
}

void eddy_watcher_start (eddy_watcher_t *w)
{
    if (w && !w->active) {
        w->active = true;
        w->r->ops->watcher_start (w);
    }
}

void eddy_watcher_stop (eddy_watcher_t *w)
{
    if (w && w->active) {
        w->active = false;
        w->r->ops->watcher_stop (w);
    }
}

bool eddy_watcher_is_active (eddy_watcher_t *w)
{
    return w && w->active;
}

void *eddy_watcher_arg (eddy_watcher_t *w)
{
    return w ? w->arg : NULL;
}

void eddy_watcher_destroy (eddy_watcher_t *w)
{
    if (w) {
        int saved_errno = errno;
        eddy_watcher_stop (w);
        w->r->ops->watcher_fini (w);
        w->r->nwatchers--;
        free (w);
        errno = saved_errno;
    }
}
