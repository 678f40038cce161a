/* world.c - shared driving code for test worlds. */
#include <errno.h>
#include <stdlib.h>

#include "test/support/world.h"

static void wakeup (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    *(bool *)arg = true;
}

int world_wait_pred (struct world *w, bool (*pred) (void *arg), void *arg, double timeout)
{
    bool expired = false;
    eddy_watcher_t *t = eddy_timer_create (w->r, timeout, 0, wakeup, &expired);
    if (!t)
        return -1;
    eddy_watcher_start (t);
    while (!pred (arg) && !expired)
        eddy_reactor_run (w->r, EDDY_RUN_ONCE);
    eddy_watcher_destroy (t);
    if (!pred (arg)) {
        errno = ETIMEDOUT;
        return -1;
    }
    return 0;
}

static bool ready (void *arg)
{
    return eddy_future_is_ready (arg);
}

int world_wait (struct world *w, eddy_future_t *f, double timeout)
{
    return world_wait_pred (w, ready, f, timeout);
}

static bool never (void *arg)
{
    return false;
}

void world_run_for (struct world *w, double seconds)
{
    world_wait_pred (w, never, NULL, seconds);
}

uint32_t world_count_state (struct world *w, eddy_broker_state_t state)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->size; i++)
        if (w->b[i] && eddy_broker_state (w->b[i]) == state)
            n++;
    return n;
}

struct all_run {
    struct world *w;
};

static bool all_in_run (void *arg)
{
    struct world *w = arg;
    return world_count_state (w, EDDY_STATE_RUN) == w->size;
}

int world_boot (struct world *w, double timeout)
{
    for (uint32_t i = 0; i < w->size; i++)
        if (eddy_broker_start (w->b[i]) < 0)
            return -1;
    return world_wait_pred (w, all_in_run, w, timeout);
}

void world_destroy (struct world *w)
{
    if (w)
        w->destroy (w);
}

struct gen_wait {
    struct world *w;
    uint32_t gen;
};

static bool every_rank_has (void *arg)
{
    struct gen_wait *g = arg;
    for (uint32_t i = 0; i < g->w->size; i++)
        if (eddy_broker_config_generation (g->w->b[i]) != g->gen)
            return false;
    return true;
}

int world_wait_config_generation (struct world *w, uint32_t gen, double timeout)
{
    struct gen_wait g = { w, gen };
    return world_wait_pred (w, every_rank_has, &g, timeout);
}
