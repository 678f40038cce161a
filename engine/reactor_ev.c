/* reactor_ev.c - the libev reactor backend: real time and file descriptors.
 *
 * The one place in engine/ allowed to call ev_* and read the clock
 * (contracts.allow).  A check watcher pairs an ev_check with an ev_idle so
 * pending work never waits in poll.  An idle watcher pairs an ev_idle of
 * the lowest priority with an ev_check that bounds its wait: on a real
 * machine "the current instant" lasts IDLE_MAX_WAIT, so a loop that never
 * runs dry (a client streaming thousands of submissions) still gets its
 * scheduling passes instead of starving them until the stream stops.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <ev.h>

#include "engine/reactor_impl.h"

/* Seconds an active idle watcher may wait for the loop to run dry before
 * it runs anyway, at the end of an iteration: short enough that a busy
 * instance keeps scheduling (a pass starts what the last completions
 * freed), long enough that a pass still sees a few iterations' arrivals.
 */
#define IDLE_MAX_WAIT 0.001

struct ev_reactor {
    struct eddy_reactor base;
    struct ev_loop *loop;
    int rc;
};

struct ev_w {
    struct eddy_watcher base;
    union {
        ev_timer timer;
        struct {
            ev_check check;
            ev_idle idle;
        } ck;
        ev_io io;
        struct {
            ev_idle idle;
            ev_check bound; /* runs it once it waited IDLE_MAX_WAIT */
            ev_tstamp since; /* when it was started or last ran */
        } id;
    } u;
};

static struct ev_loop *loop_of (eddy_watcher_t *w)
{
    return ((struct ev_reactor *)w->r)->loop;
}

static void timer_cb (struct ev_loop *loop, ev_timer *t, int revents)
{
    eddy_watcher_t *w = t->data;
    if (w->repeat == 0)
        w->active = false; /* libev stopped it already */
    w->cb (w->r, w, 0, w->arg);
}

static void check_cb (struct ev_loop *loop, ev_check *c, int revents)
{
    eddy_watcher_t *w = c->data;
    w->cb (w->r, w, 0, w->arg);
}

static void idle_cb (struct ev_loop *loop, ev_idle *i, int revents)
{
    /* nothing: an active idle watcher only keeps ev_run from blocking */
}

static void user_idle_cb (struct ev_loop *loop, ev_idle *i, int revents)
{
    eddy_watcher_t *w = i->data;
    struct ev_w *e = (struct ev_w *)w;
    e->u.id.since = ev_now (loop); /* if it stays active, a new wait begins */
    w->cb (w->r, w, 0, w->arg);
}

static void idle_bound_cb (struct ev_loop *loop, ev_check *c, int revents)
{
    eddy_watcher_t *w = c->data;
    struct ev_w *e = (struct ev_w *)w;
    if (ev_now (loop) - e->u.id.since < IDLE_MAX_WAIT)
        return;
    e->u.id.since = ev_now (loop);
    w->cb (w->r, w, 0, w->arg);
}

static void io_cb (struct ev_loop *loop, ev_io *io, int revents)
{
    eddy_watcher_t *w = io->data;
    int ev = 0;
    if (revents & EV_READ)
        ev |= EDDY_POLLIN;
    if (revents & EV_WRITE)
        ev |= EDDY_POLLOUT;
    if (revents & EV_ERROR)
        ev |= EDDY_POLLERR;
    w->cb (w->r, w, ev, w->arg);
}

static int w_init (eddy_watcher_t *w)
{
    struct ev_w *e = (struct ev_w *)w;
    switch (w->kind) {
    case WATCHER_TIMER:
        ev_timer_init (&e->u.timer, timer_cb, w->after, w->repeat);
        e->u.timer.data = w;
        break;
    case WATCHER_CHECK:
        ev_check_init (&e->u.ck.check, check_cb);
        ev_idle_init (&e->u.ck.idle, idle_cb);
        e->u.ck.check.data = w;
        e->u.ck.idle.data = w;
        break;
    case WATCHER_IDLE:
        /* lowest priority: libev runs it only when nothing else is pending,
         * including the idle half of an active check watcher */
        ev_idle_init (&e->u.id.idle, user_idle_cb);
        ev_set_priority (&e->u.id.idle, EV_MINPRI);
        e->u.id.idle.data = w;
        ev_check_init (&e->u.id.bound, idle_bound_cb);
        e->u.id.bound.data = w;
        break;
    case WATCHER_FD: {
        int ev = 0;
        if (w->events & EDDY_POLLIN)
            ev |= EV_READ;
        if (w->events & EDDY_POLLOUT)
            ev |= EV_WRITE;
        ev_io_init (&e->u.io, io_cb, w->fd, ev);
        e->u.io.data = w;
        break;
    }
    }
    return 0;
}

static void w_start (eddy_watcher_t *w)
{
    struct ev_w *e = (struct ev_w *)w;
    switch (w->kind) {
    case WATCHER_TIMER:
        ev_timer_set (&e->u.timer, w->after, w->repeat);
        ev_timer_start (loop_of (w), &e->u.timer);
        break;
    case WATCHER_CHECK:
        ev_check_start (loop_of (w), &e->u.ck.check);
        ev_idle_start (loop_of (w), &e->u.ck.idle);
        break;
    case WATCHER_IDLE:
        e->u.id.since = ev_now (loop_of (w));
        ev_idle_start (loop_of (w), &e->u.id.idle);
        ev_check_start (loop_of (w), &e->u.id.bound);
        break;
    case WATCHER_FD:
        ev_io_start (loop_of (w), &e->u.io);
        break;
    }
}

static void w_stop (eddy_watcher_t *w)
{
    struct ev_w *e = (struct ev_w *)w;
    switch (w->kind) {
    case WATCHER_TIMER:
        ev_timer_stop (loop_of (w), &e->u.timer);
        break;
    case WATCHER_CHECK:
        ev_check_stop (loop_of (w), &e->u.ck.check);
        ev_idle_stop (loop_of (w), &e->u.ck.idle);
        break;
    case WATCHER_IDLE:
        ev_idle_stop (loop_of (w), &e->u.id.idle);
        ev_check_stop (loop_of (w), &e->u.id.bound);
        break;
    case WATCHER_FD:
        ev_io_stop (loop_of (w), &e->u.io);
        break;
    }
}

static void w_fini (eddy_watcher_t *w)
{
}

static void r_destroy (eddy_reactor_t *r)
{
    struct ev_reactor *er = (struct ev_reactor *)r;
    ev_loop_destroy (er->loop);
    free (er);
}

static int r_run (eddy_reactor_t *r, eddy_run_flags_t flags)
{
    struct ev_reactor *er = (struct ev_reactor *)r;
    int evflags = 0;
    if (flags == EDDY_RUN_ONCE)
        evflags = EVRUN_ONCE;
    else if (flags == EDDY_RUN_NOWAIT)
        evflags = EVRUN_NOWAIT;
    er->rc = 0;
    ev_run (er->loop, evflags);
    return er->rc;
}

static void r_stop (eddy_reactor_t *r, int rc)
{
    struct ev_reactor *er = (struct ev_reactor *)r;
    er->rc = rc;
    ev_break (er->loop, EVBREAK_ALL);
}

static double r_now (eddy_reactor_t *r)
{
    return ev_now (((struct ev_reactor *)r)->loop);
}

static void r_now_update (eddy_reactor_t *r)
{
    ev_now_update (((struct ev_reactor *)r)->loop);
}

static double r_wallclock (eddy_reactor_t *r)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const struct eddy_reactor_ops ev_ops = {
    .name = "libev",
    .is_sim = false,
    .watcher_size = sizeof (struct ev_w),
    .destroy = r_destroy,
    .run = r_run,
    .stop = r_stop,
    .now = r_now,
    .now_update = r_now_update,
    .wallclock = r_wallclock,
    .watcher_init = w_init,
    .watcher_start = w_start,
    .watcher_stop = w_stop,
    .watcher_fini = w_fini,
};

eddy_reactor_t *eddy_reactor_create (void)
{
    struct ev_reactor *er;

    if (!(er = calloc (1, sizeof (*er))))
        return NULL;
    /* EVFLAG_NOSIGMASK: eddy never lets libev own signal dispositions */
    if (!(er->loop = ev_loop_new (EVFLAG_AUTO | EVFLAG_NOSIGMASK))) {
        free (er);
        errno = ENOMEM;
        return NULL;
    }
    er->base.ops = &ev_ops;
    return &er->base;
}
