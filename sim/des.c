/* des.c - discrete-event reactor: two binary heaps (timers, posted events)
 * merged on (due, seq), plus the active check and idle watchers, run in id
 * order by a heap built for each pass.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/reactor_impl.h"
#include "sim/des.h"

struct round;

struct des_watcher {
    struct eddy_watcher base;
    double due;
    uint64_t seq;
    size_t heap_index; /* timers: position in the timer heap while active;
                        * check and idle: position in round->heap */
    uint64_t id;       /* creation order, for check watchers */
    struct des_watcher *ck_next, *ck_prev; /* active list, unordered */
    struct round *round;                   /* round whose heap holds it */
};

/* One pass over the active check (or idle) watchers.  The watchers wait in
 * a min-heap on id, so a pass costs O(k log k) for k active watchers
 * however they were started; a watcher started during the pass with an id
 * above the one running joins it, as in a walk of a list sorted by id.
 */
struct round {
    enum watcher_kind kind;
    uint64_t cur_id; /* id of the watcher running */
    struct des_watcher **heap;
    size_t n, cap;
    struct round *outer; /* a pass interrupted by a nested run */
};

struct post {
    double due;
    uint64_t seq;
    eddy_sim_event_f fn;
    void *a, *b;
    void (*drop) (void *b); /* for b if the event never runs */
};

struct des {
    struct eddy_reactor base;
    double now;
    uint64_t seq;
    uint64_t next_id;
    bool stopped;
    int rc;
    uint64_t nevents;
    uint64_t niterations;

    struct des_watcher **timers; /* min-heap on (due, seq) */
    size_t ntimers, timers_cap;

    struct post *posts; /* min-heap on (due, seq) */
    size_t nposts, posts_cap;

    /* active check and idle watchers, unordered; a round orders them */
    struct des_watcher *ck_head, *idle_head;
    size_t nck, nidle;
    bool idle_done; /* idle watchers ran at this quiescent instant */

    struct round *round;   /* innermost pass in progress */
    struct des_watcher **rbuf; /* heap storage kept for the outermost pass */
    size_t rbuf_cap;
};

static inline bool before (double d1, uint64_t s1, double d2, uint64_t s2)
{
    return d1 < d2 || (d1 == d2 && s1 < s2);
}

/* ---- timer heap (indexed, so a timer can be removed) ---- */

static inline bool tless (struct des_watcher *a, struct des_watcher *b)
{
    return before (a->due, a->seq, b->due, b->seq);
}

static void tset (struct des *d, size_t i, struct des_watcher *w)
{
    d->timers[i] = w;
    w->heap_index = i;
}

static void tup (struct des *d, size_t i)
{
    struct des_watcher *w = d->timers[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!tless (w, d->timers[p]))
            break;
        tset (d, i, d->timers[p]);
        i = p;
    }
    tset (d, i, w);
}

static void tdown (struct des *d, size_t i)
{
    struct des_watcher *w = d->timers[i];
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        struct des_watcher *best = w;
        if (l < d->ntimers && tless (d->timers[l], best)) {
            m = l;
            best = d->timers[l];
        }
        if (l + 1 < d->ntimers && tless (d->timers[l + 1], best)) {
            m = l + 1;
            best = d->timers[l + 1];
        }
        if (m == i)
            break;
        tset (d, i, best);
        i = m;
    }
    tset (d, i, w);
}

static int tpush (struct des *d, struct des_watcher *w)
{
    if (d->ntimers == d->timers_cap) {
        size_t cap = d->timers_cap ? d->timers_cap * 2 : 64;
        void *p = realloc (d->timers, cap * sizeof (d->timers[0]));
        if (!p)
            return -1;
        d->timers = p;
        d->timers_cap = cap;
    }
    tset (d, d->ntimers++, w);
    tup (d, d->ntimers - 1);
    return 0;
}

static void tremove (struct des *d, struct des_watcher *w)
{
    size_t i = w->heap_index;
    assert (i < d->ntimers && d->timers[i] == w);
    d->ntimers--;
    if (i < d->ntimers) {
        tset (d, i, d->timers[d->ntimers]);
        tdown (d, i);
        tup (d, d->timers[i]->heap_index);
    }
}

/* ---- posted-event heap (by value) ---- */

static inline bool pless (const struct post *a, const struct post *b)
{
    return before (a->due, a->seq, b->due, b->seq);
}

static void ppop (struct des *d, struct post *out)
{
    *out = d->posts[0];
    struct post last = d->posts[--d->nposts];
    size_t i = 0, n = d->nposts;
    if (n == 0)
        return;
    for (;;) {
        size_t l = 2 * i + 1, m = l;
        if (l >= n)
            break;
        if (l + 1 < n && pless (&d->posts[l + 1], &d->posts[l]))
            m = l + 1;
        if (!pless (&d->posts[m], &last))
            break;
        d->posts[i] = d->posts[m];
        i = m;
    }
    d->posts[i] = last;
}

int eddy_sim_post (eddy_reactor_t *r, double delay, eddy_sim_event_f fn, void *a, void *b)
{
    return eddy_sim_post_owned (r, delay, fn, a, b, NULL);
}

int eddy_sim_post_owned (eddy_reactor_t *r, double delay, eddy_sim_event_f fn, void *a, void *b,
                         void (*drop) (void *b))
{
    struct des *d = (struct des *)r;

    assert (r->ops->is_sim);
    if (!fn || !(delay >= 0) || isinf (delay)) {
        errno = EINVAL;
        return -1;
    }
    if (d->nposts == d->posts_cap) {
        size_t cap = d->posts_cap ? d->posts_cap * 2 : 1024;
        void *p = realloc (d->posts, cap * sizeof (d->posts[0]));
        if (!p)
            return -1;
        d->posts = p;
        d->posts_cap = cap;
    }
    struct post ev = { .due = d->now + delay, .seq = ++d->seq, .fn = fn, .a = a, .b = b,
                       .drop = drop };
    size_t i = d->nposts++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!pless (&ev, &d->posts[p]))
            break;
        d->posts[i] = d->posts[p];
        i = p;
    }
    d->posts[i] = ev;
    return 0;
}

/* ---- watchers ---- */

static int w_init (eddy_watcher_t *w)
{
    struct des *d = (struct des *)w->r;
    struct des_watcher *dw = (struct des_watcher *)w;
    if (w->kind == WATCHER_FD) {
        errno = ENOSYS;
        return -1;
    }
    dw->id = d->next_id++;
    return 0;
}

static void timer_arm (struct des *d, struct des_watcher *dw, double after)
{
    dw->due = d->now + after;
    dw->seq = ++d->seq;
    if (tpush (d, dw) < 0) {
        /* out of memory in the simulator's core: nothing sane to do */
        abort ();
    }
}

/* ---- round heap (check and idle passes) ---- */

static void rset (struct round *rd, size_t i, struct des_watcher *w)
{
    rd->heap[i] = w;
    w->heap_index = i;
}

static void rup (struct round *rd, size_t i)
{
    struct des_watcher *w = rd->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (rd->heap[p]->id < w->id)
            break;
        rset (rd, i, rd->heap[p]);
        i = p;
    }
    rset (rd, i, w);
}

static void rdown (struct round *rd, size_t i)
{
    struct des_watcher *w = rd->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        struct des_watcher *best = w;
        if (l < rd->n && rd->heap[l]->id < best->id)
            best = rd->heap[m = l];
        if (l + 1 < rd->n && rd->heap[l + 1]->id < best->id)
            best = rd->heap[m = l + 1];
        if (m == i)
            break;
        rset (rd, i, best);
        i = m;
    }
    rset (rd, i, w);
}

static void rpush (struct round *rd, struct des_watcher *w)
{
    if (rd->n == rd->cap) {
        size_t cap = rd->cap ? rd->cap * 2 : 16;
        void *p = realloc (rd->heap, cap * sizeof (rd->heap[0]));
        if (!p)
            abort (); /* out of memory in the simulator's core, as timer_arm */
        rd->heap = p;
        rd->cap = cap;
    }
    w->round = rd;
    rset (rd, rd->n++, w);
    rup (rd, rd->n - 1);
}

static void rremove (struct round *rd, struct des_watcher *w)
{
    size_t i = w->heap_index;
    assert (w->round == rd && i < rd->n && rd->heap[i] == w);
    w->round = NULL;
    if (i < --rd->n) {
        rset (rd, i, rd->heap[rd->n]);
        rdown (rd, i);
        rup (rd, rd->heap[i]->heap_index);
    }
}

static struct des_watcher *rpop (struct round *rd)
{
    struct des_watcher *w = rd->heap[0];
    rremove (rd, w);
    return w;
}

static void w_start (eddy_watcher_t *w)
{
    struct des *d = (struct des *)w->r;
    struct des_watcher *dw = (struct des_watcher *)w;

    if (w->kind == WATCHER_TIMER) {
        timer_arm (d, dw, w->after);
        return;
    }
    struct des_watcher **head = w->kind == WATCHER_IDLE ? &d->idle_head : &d->ck_head;
    dw->ck_prev = NULL;
    dw->ck_next = *head;
    if (*head)
        (*head)->ck_prev = dw;
    *head = dw;
    if (w->kind == WATCHER_IDLE)
        d->nidle++;
    else
        d->nck++;
    /* a pass of this kind in progress runs it if its turn is still ahead */
    for (struct round *rd = d->round; rd; rd = rd->outer) {
        if (rd->kind == w->kind) {
            if (dw->id > rd->cur_id)
                rpush (rd, dw);
            break;
        }
    }
}

static void w_stop (eddy_watcher_t *w)
{
    struct des *d = (struct des *)w->r;
    struct des_watcher *dw = (struct des_watcher *)w;

    if (w->kind == WATCHER_TIMER) {
        tremove (d, dw);
        return;
    }
    struct des_watcher **head = w->kind == WATCHER_IDLE ? &d->idle_head : &d->ck_head;
    if (dw->ck_prev)
        dw->ck_prev->ck_next = dw->ck_next;
    else
        *head = dw->ck_next;
    if (dw->ck_next)
        dw->ck_next->ck_prev = dw->ck_prev;
    dw->ck_next = dw->ck_prev = NULL;
    if (w->kind == WATCHER_IDLE)
        d->nidle--;
    else
        d->nck--;
    if (dw->round)
        rremove (dw->round, dw);
}

static void w_fini (eddy_watcher_t *w)
{
}

/* ---- the loop ---- */

/* Earliest pending instant, or INFINITY. */
static double next_due (struct des *d)
{
    double t = INFINITY;
    if (d->ntimers > 0)
        t = d->timers[0]->due;
    if (d->nposts > 0 && d->posts[0].due < t)
        t = d->posts[0].due;
    return t;
}

/* Run the single earliest event if it is due at or before `t`. */
static bool run_one (struct des *d, double t)
{
    struct des_watcher *tw = d->ntimers > 0 ? d->timers[0] : NULL;
    struct post *pp = d->nposts > 0 ? &d->posts[0] : NULL;

    if (tw && tw->due <= t && (!pp || before (tw->due, tw->seq, pp->due, pp->seq))) {
        eddy_watcher_t *w = &tw->base;
        tremove (d, tw);
        if (w->repeat > 0)
            timer_arm (d, tw, w->repeat);
        else
            w->active = false;
        d->nevents++;
        w->cb (w->r, w, 0, w->arg);
        return true;
    }
    if (pp && pp->due <= t) {
        struct post ev;
        ppop (d, &ev);
        d->nevents++;
        ev.fn (&d->base, ev.a, ev.b);
        return true;
    }
    return false;
}

/* Run each active watcher of a kind once, in id order.  A callback may
 * stop itself or others, or start new ones: a watcher started with an id
 * above the running one runs in this pass, a stopped one does not.
 */
static void run_list (struct des *d, enum watcher_kind kind)
{
    struct des_watcher *head = kind == WATCHER_IDLE ? d->idle_head : d->ck_head;
    size_t count = kind == WATCHER_IDLE ? d->nidle : d->nck;
    struct round rd = { .kind = kind, .outer = d->round };

    if (!head)
        return;
    if (!d->round) {
        /* the outermost pass reuses one buffer: no allocation per instant */
        rd.heap = d->rbuf;
        rd.cap = d->rbuf_cap;
    }
    if (rd.cap < count) {
        size_t cap = rd.cap ? rd.cap : 16;
        while (cap < count)
            cap *= 2;
        void *p = realloc (rd.heap, cap * sizeof (rd.heap[0]));
        if (!p)
            abort ();
        rd.heap = p;
        rd.cap = cap;
    }
    for (struct des_watcher *w = head; w; w = w->ck_next) {
        w->round = &rd;
        rset (&rd, rd.n++, w);
    }
    for (size_t i = rd.n / 2; i-- > 0;)
        rdown (&rd, i);
    d->round = &rd;
    while (rd.n > 0) {
        struct des_watcher *w = rpop (&rd);
        rd.cur_id = w->id;
        w->base.cb (w->base.r, &w->base, 0, w->base.arg);
    }
    d->round = rd.outer;
    if (!rd.outer) {
        d->rbuf = rd.heap;
        d->rbuf_cap = rd.cap;
    }
    else
        free (rd.heap);
}

static int r_run (eddy_reactor_t *r, eddy_run_flags_t flags)
{
    struct des *d = (struct des *)r;

    d->stopped = false;
    d->rc = 0;
    while (!d->stopped) {
        double t = next_due (d);
        if (d->ck_head || t <= d->now) {
            /* one round at this instant: its events, then check watchers */
            while (!d->stopped && run_one (d, d->now))
                ;
            d->niterations++;
            if (!d->stopped)
                run_list (d, WATCHER_CHECK);
            d->idle_done = false; /* new work: idle watchers get another turn */
            if (flags != EDDY_RUN_DEFAULT)
                break;
            continue;
        }
        /* the instant is quiescent: idle watchers once, then move on */
        if (d->idle_head && !d->idle_done) {
            d->idle_done = true;
            run_list (d, WATCHER_IDLE);
            continue;
        }
        if (isinf (t) || flags == EDDY_RUN_NOWAIT)
            break;
        d->now = t;
        d->idle_done = false;
    }
    return d->rc;
}

static void r_stop (eddy_reactor_t *r, int rc)
{
    struct des *d = (struct des *)r;
    d->stopped = true;
    d->rc = rc;
}

static double r_now (eddy_reactor_t *r)
{
    return ((struct des *)r)->now;
}

static void r_now_update (eddy_reactor_t *r)
{
}

static double r_wallclock (eddy_reactor_t *r)
{
    return ((struct des *)r)->now;
}

static void r_destroy (eddy_reactor_t *r)
{
    struct des *d = (struct des *)r;
    for (size_t i = 0; i < d->nposts; i++)
        if (d->posts[i].drop)
            d->posts[i].drop (d->posts[i].b);
    free (d->timers);
    free (d->posts);
    free (d->rbuf);
    free (d);
}

static const struct eddy_reactor_ops des_ops = {
    .name = "sim",
    .is_sim = true,
    .watcher_size = sizeof (struct des_watcher),
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

eddy_reactor_t *eddy_sim_reactor_create (double start)
{
    struct des *d;
    if (!(d = calloc (1, sizeof (*d))))
        return NULL;
    d->base.ops = &des_ops;
    d->now = start;
    return &d->base;
}

uint64_t eddy_sim_events (eddy_reactor_t *r)
{
    assert (r->ops->is_sim);
    return ((struct des *)r)->nevents;
}

uint64_t eddy_sim_iterations (eddy_reactor_t *r)
{
    assert (r->ops->is_sim);
    return ((struct des *)r)->niterations;
}

size_t eddy_sim_pending (eddy_reactor_t *r)
{
    struct des *d = (struct des *)r;
    assert (r->ops->is_sim);
    return d->ntimers + d->nposts;
}
