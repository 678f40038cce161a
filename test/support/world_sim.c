/* world_sim.c - a test world on the simulator. */
#include <stdlib.h>

#include "cmd/modules.h"
#include "sim/cluster.h"
#include "test/support/world.h"

static void sim_destroy (struct world *w)
{
    eddy_sim_cluster_destroy (w->impl);
    free (w->b);
    free (w);
}

static int sim_kill (struct world *w, uint32_t rank)
{
    eddy_sim_cluster_t *c = w->impl;
    return eddy_simnet_kill (eddy_sim_cluster_net (c), rank, eddy_reactor_now (w->r));
}

static struct world *sim_create (uint32_t size, int fanout)
{
    struct eddy_sim_cluster_params p = {
        .size = size, .fanout = fanout, .latency = 0.0001, .seed = 42,
        .modules = eddy_builtin_modules,
    };
    struct world *w = calloc (1, sizeof (*w));
    eddy_sim_cluster_t *c = eddy_sim_cluster_create (&p, NULL);
    if (!w || !c || !(w->b = calloc (size, sizeof (w->b[0])))) {
        eddy_sim_cluster_destroy (c);
        free (w);
        return NULL;
    }
    w->ops = &world_sim;
    w->impl = c;
    w->r = eddy_sim_cluster_reactor (c);
    w->size = size;
    w->fanout = fanout;
    for (uint32_t i = 0; i < size; i++)
        w->b[i] = eddy_sim_cluster_broker (c, i);
    w->destroy = sim_destroy;
    w->kill = sim_kill;
    return w;
}

const struct world_ops world_sim = { "sim", sim_create };
